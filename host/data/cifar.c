/* CIFAR-10 and CIFAR-100 binary records (include/clcnn/data.h). */
#include <stdio.h>
#include <string.h>

#include "data/files.h"

#define CIFAR_IMAGE_BYTES 3072

clcnn_status clcnn_cifar_parse(const uint8_t *data, size_t size, const char *name,
                               int label_bytes, int classes, clcnn_images *images)
{
    const size_t record_bytes = (size_t)label_bytes + CIFAR_IMAGE_BYTES;
    const char *format = label_bytes == 1 ? "CIFAR-10" : "CIFAR-100";
    const char *record_text = label_bytes == 1 ? "3,073" : "3,074";
    size_t records = size / record_bytes;
    if (size == 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: empty, expected records of %s bytes (%d label byte%s + 3,072 "
                          "pixels)", name, record_text, label_bytes, label_bytes > 1 ? "s" : "");
    if (size % record_bytes != 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: %zu bytes is not a whole number of %s-byte records: record %zu "
                          "holds only %zu bytes (truncated, or not %s binary)",
                          name, size, record_text, records, size % record_bytes, format);
    for (size_t r = 0; r < records; r++) {
        uint8_t label = data[r * record_bytes + (size_t)label_bytes - 1];
        if (label >= classes)
            return clcnn_fail(CLCNN_ERROR_FORMAT,
                              "%s: record %zu (byte offset %zu) has label %d, expected 0-%d", name,
                              r, r * record_bytes, label, classes - 1);
    }
    CLCNN_TRY(clcnn_images_grow(images, 3, 32, 32, records, name));
    for (size_t r = 0; r < records; r++) {
        const uint8_t *record = data + r * record_bytes;
        size_t index = (size_t)images->count + r;
        images->labels[index] = record[label_bytes - 1];
        memcpy(images->pixels + index * CIFAR_IMAGE_BYTES, record + label_bytes, CIFAR_IMAGE_BYTES);
    }
    images->count += (int)records;
    return CLCNN_OK;
}
