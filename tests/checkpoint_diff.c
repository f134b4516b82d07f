/* checkpoint_diff A B: exit 0 when two checkpoints hold bit-identical parameters, Adam
 * moments, step counts and models (timings may differ); prints the first difference. */
#include <stdio.h>
#include <string.h>

#include "clcnn/checkpoint.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: checkpoint_diff A B\n");
        return 2;
    }
    clcnn_checkpoint a, b;
    if (clcnn_checkpoint_read(argv[1], &a) != CLCNN_OK || clcnn_checkpoint_read(argv[2], &b) != CLCNN_OK) {
        fprintf(stderr, "checkpoint_diff: %s\n", clcnn_last_error());
        return 2;
    }
    int result = 0;
    if (strcmp(a.model_text, b.model_text) || a.parameter_count != b.parameter_count ||
        a.steps != b.steps || a.epochs_done != b.epochs_done) {
        fprintf(stderr, "models, sizes, steps (%llu, %llu) or epochs (%d, %d) differ\n",
                (unsigned long long)a.steps, (unsigned long long)b.steps, a.epochs_done, b.epochs_done);
        result = 1;
    }
    for (size_t i = 0; result == 0 && i < a.parameter_count; i++)
        if (memcmp(&a.parameters[i], &b.parameters[i], 4) || memcmp(&a.m[i], &b.m[i], 4) ||
            memcmp(&a.v[i], &b.v[i], 4)) {
            fprintf(stderr, "parameter %zu differs: %.9g vs %.9g\n", i, a.parameters[i], b.parameters[i]);
            result = 1;
        }
    for (int i = 0; result == 0 && i < a.history_count && i < b.history_count; i++)
        if (a.history[i].loss != b.history[i].loss || a.history[i].val_accuracy != b.history[i].val_accuracy) {
            fprintf(stderr, "history of epoch %d differs\n", i + 1);
            result = 1;
        }
    clcnn_checkpoint_free(&a);
    clcnn_checkpoint_free(&b);
    return result;
}
