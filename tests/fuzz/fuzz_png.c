/* libFuzzer target: the PNG input path of clcnn predict. */
#include <stdint.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t planes[PNG_IMAGE_BYTES];
    char error[512];
    decode_png(data, size, "fuzz", planes, error, sizeof error);
    return 0;
}
