/* Reading dataset files whole, with their size checked before anything is allocated. */
#ifndef CLCNN_DATA_FILES_H
#define CLCNN_DATA_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/data.h"
#include "internal.h"

#define CLCNN_WHERE_TO_GET_CIFAR10                                                           \
    "get the CIFAR-10 binary version from https://www.cs.toronto.edu/~kriz/"                 \
    "cifar-10-binary.tar.gz (tools/get-cifar10.sh downloads and verifies it) and pass its "  \
    "cifar-10-batches-bin folder with --data or CLCNN_DATA"

/* The whole of a regular file of at most max_bytes; a gzip file (by its magic) is
 * decompressed, and its decompressed size is held to max_bytes too. A file that changes size
 * while read is an error. *data is malloc'ed. */
clcnn_status clcnn_read_data_file(const char *path, size_t max_bytes, uint8_t **data, size_t *size);

/* Appends records to images, growing both arrays; fails on a shape other than images'. */
clcnn_status clcnn_images_grow(clcnn_images *images, int channels, int height, int width,
                               size_t records, const char *name);

#endif
