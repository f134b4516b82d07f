/* The test-set report: scikit-learn's classification_report layout (precision, recall,
 * f1-score, support per class, then accuracy, macro avg and weighted avg), then the confusion
 * matrix as counts (rows: true class, columns: predicted class). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

long *confusion_counts(const uint8_t *labels, const int32_t *predictions, int count, int classes)
{
    long *matrix = calloc((size_t)classes * classes, sizeof(long));
    for (int i = 0; matrix && i < count; i++)
        if (predictions[i] >= 0 && predictions[i] < classes && labels[i] < classes)
            matrix[labels[i] * classes + predictions[i]]++;
    return matrix;
}

static double ratio(double numerator, double denominator)
{
    return denominator > 0 ? numerator / denominator : 0.0; /* sklearn's zero_division=0 */
}

void print_report(FILE *out, const char (*names)[CLCNN_CLASS_NAME_BYTES], int classes,
                  const uint8_t *labels, const int32_t *predictions, int count)
{
    long *cells = confusion_counts(labels, predictions, count, classes);
    if (!cells) {
        fprintf(out, "(out of host memory for the report)\n");
        return;
    }
#define matrix(row, column) cells[(row) * classes + (column)]
    fprintf(out, "%12s %11s %9s %9s %9s\n\n", "", "precision", "recall", "f1-score", "support");
    double macro[3] = {0}, weighted[3] = {0};
    long correct = 0;
    for (int k = 0; k < classes; k++) {
        long predicted = 0, support = 0;
        for (int j = 0; j < classes; j++) {
            predicted += matrix(j, k);
            support += matrix(k, j);
        }
        correct += matrix(k, k);
        double precision = ratio((double)matrix(k, k), (double)predicted);
        double recall = ratio((double)matrix(k, k), (double)support);
        double f1 = ratio(2 * precision * recall, precision + recall);
        fprintf(out, "%12s %11.2f %9.2f %9.2f %9ld\n", names[k], precision, recall, f1, support);
        const double values[3] = {precision, recall, f1};
        for (int m = 0; m < 3; m++) {
            macro[m] += values[m] / classes;
            weighted[m] += values[m] * (double)support / (count > 0 ? count : 1);
        }
    }
    fprintf(out, "\n%12s %11s %9s %9.2f %9d\n", "accuracy", "", "",
            ratio((double)correct, (double)count), count);
    fprintf(out, "%12s %11.2f %9.2f %9.2f %9d\n", "macro avg", macro[0], macro[1], macro[2], count);
    fprintf(out, "%12s %11.2f %9.2f %9.2f %9d\n", "weighted avg", weighted[0], weighted[1],
            weighted[2], count);

    fprintf(out, "\nConfusion matrix (rows: true class, columns: predicted class)\n%12s", "");
    for (int k = 0; k < classes; k++)
        fprintf(out, " %6.6s", names[k]);
    fprintf(out, "\n");
    for (int k = 0; k < classes; k++) {
        fprintf(out, "%12s", names[k]);
        for (int j = 0; j < classes; j++)
            fprintf(out, " %6ld", matrix(k, j));
        fprintf(out, "\n");
    }
#undef matrix
    free(cells);
}

bool write_report_file(const char *path, const char (*names)[CLCNN_CLASS_NAME_BYTES], int classes,
                       const uint8_t *labels, const int32_t *predictions, int count,
                       const char *heading)
{
    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *file = fopen(temporary, "w");
    if (!file) {
        fprintf(stderr, "clcnn: cannot write %s\n", temporary);
        return false;
    }
    fprintf(file, "%s\n\n", heading);
    print_report(file, names, classes, labels, predictions, count);
    bool ok = fclose(file) == 0 && rename(temporary, path) == 0;
    if (!ok)
        fprintf(stderr, "clcnn: cannot write %s\n", path);
    return ok;
}
