/* libFuzzer target: the checkpoint reader, and the model description it carries. */
#include <stdint.h>
#include <stdlib.h>

#include "clcnn/checkpoint.h"
#include "clcnn/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink; /* keeps the reads below from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clcnn_checkpoint checkpoint;
    if (clcnn_checkpoint_parse(data, size, "fuzz", &checkpoint) != CLCNN_OK)
        return 0;
    /* touch every float the reader claims to hold */
    for (size_t i = 0; i < checkpoint.parameter_count; i++)
        sink += checkpoint.parameters[i] + checkpoint.m[i] + checkpoint.v[i];
    clcnn_model *model = NULL;
    if (clcnn_model_parse(checkpoint.model_text, "fuzz", &model) == CLCNN_OK)
        clcnn_model_destroy(model);
    clcnn_checkpoint_free(&checkpoint);
    return 0;
}
