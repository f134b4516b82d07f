/* libFuzzer target: the image input path of clcnn predict (PNG and JPEG, any size, resized to
 * a 32x32 RGB model input). */
#include <stdint.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t planes[3 * 32 * 32];
    char note[256], error[512];
    decode_image(data, size, 3, 32, 32, planes, note, sizeof note, error, sizeof error);
    return 0;
}
