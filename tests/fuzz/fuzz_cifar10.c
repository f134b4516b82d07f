/* libFuzzer target: the CIFAR-10 and CIFAR-100 record parsers, and the IDX parser (the input
 * split at its first byte into images and labels), on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "clcnn/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int label_bytes = 1; label_bytes <= 2; label_bytes++) {
        clcnn_images images = {0};
        int classes = label_bytes == 1 ? 10 : 100;
        if (clcnn_cifar_parse(data, size, "fuzz", label_bytes, classes, &images) == CLCNN_OK) {
            /* a success must describe exactly the records given, every label in range */
            if ((size_t)images.count * (3072u + (size_t)label_bytes) != size)
                abort();
            for (int i = 0; i < images.count; i++)
                if (images.labels[i] >= classes)
                    abort();
        }
        clcnn_images_free(&images);
    }
    if (size > 1) {
        size_t split = 1 + data[0] % (size - 1);
        clcnn_images images = {0};
        if (clcnn_idx_parse(data + 1, split - 1, data + split,
                            size - split, "fuzz", &images) == CLCNN_OK &&
            (images.count <= 0 || images.channels != 1))
            abort();
        clcnn_images_free(&images);
    }
    return 0;
}
