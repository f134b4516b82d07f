/* libFuzzer target: the CIFAR-10 batch parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "clcnn/cifar10.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clcnn_images images = {0};
    if (clcnn_cifar10_parse_batch(data, size, "fuzz", &images) == CLCNN_OK) {
        /* a success must describe exactly the records given, every label in range */
        if ((size_t)images.count * CLCNN_CIFAR10_RECORD_BYTES != size)
            abort();
        for (int i = 0; i < images.count; i++)
            if (images.labels[i] >= CLCNN_CIFAR10_CLASSES)
                abort();
    }
    clcnn_images_free(&images);
    return 0;
}
