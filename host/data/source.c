/* The 8-bit image source (include/clcnn/data.h): the tutorial's normalisation, x / 255. */
#include "data/files.h"

static clcnn_status fill_images(const clcnn_source *self, const int32_t *indices, int n, float *x,
                                int32_t *labels)
{
    const clcnn_images *images = self->data;
    size_t image_bytes = (size_t)images->channels * images->height * images->width;
    for (int i = 0; i < n; i++) {
        int index = indices[i];
        if (index < 0 || index >= images->count)
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "image index %d outside 0..%d", index,
                              images->count - 1);
        const uint8_t *pixels = images->pixels + (size_t)index * image_bytes;
        float *destination = x + (size_t)i * image_bytes;
        for (size_t k = 0; k < image_bytes; k++)
            destination[k] = (float)pixels[k] / 255.0f;
        labels[i] = images->labels[index];
    }
    return CLCNN_OK;
}

clcnn_source clcnn_images_source(const clcnn_images *images, int classes)
{
    return (clcnn_source){.count = images->count, .channels = images->channels,
                          .height = images->height, .width = images->width, .classes = classes,
                          .fill = fill_images, .data = images};
}
