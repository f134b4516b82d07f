/* The test-set report: scikit-learn's classification_report layout (precision, recall,
 * f1-score, support per class, then accuracy, macro avg and weighted avg), then the confusion
 * matrix as counts (rows: true class, columns: predicted class). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Display width of a UTF-8 name: its code points (continuation bytes do not count), so that
 * "Ankle boot" and "Überrock" line up alike. */
static int display_width(const char *text)
{
    int width = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        width += (*c & 0xC0) != 0x80;
    return width;
}

/* printf's %*s pads by bytes; pad by display width instead. */
static void print_right(FILE *out, const char *text, int width)
{
    for (int pad = width - display_width(text); pad > 0; pad--)
        fputc(' ', out);
    fputs(text, out);
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
    /* scikit-learn's layout exactly: the name column as wide as the longest name or "weighted
     * avg", then " " and four columns of " %9s" */
    int width = (int)strlen("weighted avg");
    for (int k = 0; k < classes; k++)
        width = display_width(names[k]) > width ? display_width(names[k]) : width;
    fprintf(out, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score",
            "support");
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
        print_right(out, names[k], width);
        fprintf(out, "  %9.2f %9.2f %9.2f %9ld\n", precision, recall, f1, support);
        const double values[3] = {precision, recall, f1};
        for (int m = 0; m < 3; m++) {
            macro[m] += values[m] / classes;
            weighted[m] += values[m] * (double)support / (count > 0 ? count : 1);
        }
    }
    fprintf(out, "\n%*s  %9s %9s %9.2f %9d\n", width, "accuracy", "", "",
            ratio((double)correct, (double)count), count);
    fprintf(out, "%*s  %9.2f %9.2f %9.2f %9d\n", width, "macro avg", macro[0], macro[1],
            macro[2], count);
    fprintf(out, "%*s  %9.2f %9.2f %9.2f %9d\n", width, "weighted avg", weighted[0],
            weighted[1], weighted[2], count);

    /* whole names in the header: each column as wide as its name, counts at least 6 wide */
    fprintf(out, "\nConfusion matrix (rows: true class, columns: predicted class)\n%*s", width, "");
    for (int k = 0; k < classes; k++) {
        fputc(' ', out);
        print_right(out, names[k], 6);
    }
    fprintf(out, "\n");
    for (int k = 0; k < classes; k++) {
        print_right(out, names[k], width);
        for (int j = 0; j < classes; j++) {
            int column = display_width(names[j]) > 6 ? display_width(names[j]) : 6;
            fprintf(out, " %*ld", column, matrix(k, j));
        }
        fprintf(out, "\n");
    }
#undef matrix
    free(cells);
}

bool write_report_file(const char *path, const char (*names)[CLCNN_CLASS_NAME_BYTES], int classes,
                       const uint8_t *labels, const int32_t *predictions, int count,
                       const char *heading)
{
    char temporary[4300];
    temporary_name(temporary, sizeof temporary, path);
    FILE *file = fopen(temporary, "w");
    if (!file) {
        fprintf(stderr, "clcnn: cannot write %s: %s\n", temporary, strerror(errno));
        return false;
    }
    fprintf(file, "%s\n\n", heading);
    print_report(file, names, classes, labels, predictions, count);
    bool ok = !ferror(file);
    ok = fclose(file) == 0 && ok && rename(temporary, path) == 0;
    if (!ok) {
        fprintf(stderr, "clcnn: cannot write %s: %s\n", path, strerror(errno ? errno : EIO));
        unlink(temporary);
    }
    return ok;
}
