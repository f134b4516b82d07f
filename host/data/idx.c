/* MNIST's IDX format (include/clcnn/data.h): a big-endian header of magic (0x0000 0x08 =
 * unsigned bytes, then the number of dimensions) and one 32-bit size per dimension, then the
 * data. Images are [count, rows, columns], labels [count]. */
#include <stdio.h>
#include <string.h>

#include "data/files.h"

static uint32_t big_endian(const uint8_t *at)
{
    return (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3];
}

/* Checks the header of an IDX file of `dimensions` dimensions; sizes[] receives them. */
static clcnn_status check_header(const uint8_t *data, size_t size, const char *name,
                                 const char *what, int dimensions, uint32_t sizes[3])
{
    size_t header = 4 + 4 * (size_t)dimensions;
    if (size < header)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %s: %zu bytes, shorter than the %zu-byte IDX "
                          "header", name, what, size, header);
    uint32_t magic = big_endian(data);
    if (magic != (0x0800u | (uint32_t)dimensions))
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %s: magic 0x%08x, expected 0x%08x (unsigned "
                          "bytes, %d dimension%s)", name, what, magic, 0x0800u | (uint32_t)dimensions,
                          dimensions, dimensions > 1 ? "s" : "");
    uint64_t expected = 1;
    for (int d = 0; d < dimensions; d++) {
        sizes[d] = big_endian(data + 4 + 4 * d);
        if (sizes[d] == 0 || (d > 0 && sizes[d] > 4096) || sizes[d] > 10000000)
            return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %s: dimension %d is %u, expected 1 to %d",
                              name, what, d, sizes[d], d > 0 ? 4096 : 10000000);
        expected *= sizes[d];
    }
    if (size - header != expected)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %s: %zu data bytes, the header says %llu "
                          "(truncated or padded)", name, what, size - header,
                          (unsigned long long)expected);
    return CLCNN_OK;
}

clcnn_status clcnn_idx_parse(const uint8_t *images_data, size_t images_size,
                             const uint8_t *labels_data, size_t labels_size, const char *name,
                             clcnn_images *images)
{
    uint32_t image_sizes[3], label_sizes[3];
    CLCNN_TRY(check_header(images_data, images_size, name, "images", 3, image_sizes));
    CLCNN_TRY(check_header(labels_data, labels_size, name, "labels", 1, label_sizes));
    if (image_sizes[0] != label_sizes[0])
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %u images but %u labels", name, image_sizes[0],
                          label_sizes[0]);
    size_t count = image_sizes[0], image_bytes = (size_t)image_sizes[1] * image_sizes[2];
    CLCNN_TRY(clcnn_images_grow(images, 1, (int)image_sizes[1], (int)image_sizes[2], count, name));
    memcpy(images->labels + images->count, labels_data + 8, count);
    memcpy(images->pixels + (size_t)images->count * image_bytes, images_data + 16, count * image_bytes);
    images->count += (int)count;
    return CLCNN_OK;
}
