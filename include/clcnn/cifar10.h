/* The CIFAR-10 binary format: records of 1 label byte + 3,072 pixel bytes (the 1,024 red,
 * then green, then blue values of a 32x32 image, rows top to bottom), files
 * data_batch_1..5.bin and test_batch.bin, class names one a line in batches.meta.txt.
 * Official home: https://www.cs.toronto.edu/~kriz/cifar.html ("CIFAR-10 binary version"). */
#ifndef CLCNN_CIFAR10_H
#define CLCNN_CIFAR10_H

#include <stdbool.h>
#include <stdint.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLCNN_CIFAR10_IMAGE_BYTES 3072
#define CLCNN_CIFAR10_RECORD_BYTES 3073
#define CLCNN_CIFAR10_CLASSES 10
#define CLCNN_CIFAR10_BATCH_RECORDS 10000

typedef struct clcnn_images {
    int count;
    uint8_t *labels; /* [count], 0..9 */
    uint8_t *pixels; /* [count, 3, 32, 32] as stored: channel planes R, G, B */
} clcnn_images;

typedef struct clcnn_cifar10 {
    clcnn_images train; /* data_batch_1..5 in order */
    clcnn_images test;  /* test_batch.bin */
    char class_names[CLCNN_CIFAR10_CLASSES][32];
} clcnn_cifar10;

/* Reads one batch file, appending its records to images. Checks that the file exists, is a
 * regular readable file, is a non-empty multiple of 3,073 bytes, does not change size while
 * read, and that every label is 0..9; errors name the file, the record and what was
 * expected. */
CLCNN_API clcnn_status clcnn_cifar10_read_batch(const char *path, clcnn_images *images);

/* Parses batch file contents held in memory (name is used in messages), appending to images. */
CLCNN_API clcnn_status clcnn_cifar10_parse_batch(const uint8_t *data, size_t size, const char *name,
                                                 clcnn_images *images);

/* Reads batches.meta.txt: the first 10 non-empty lines are the class names. */
CLCNN_API clcnn_status clcnn_cifar10_read_class_names(const char *path,
                                                      char names[CLCNN_CIFAR10_CLASSES][32]);

/* Loads the five training batches, the test batch and the class names from folder. A
 * missing folder or file gets a message saying where the data comes from and what to run.
 * A test file of fewer than 10,000 records is accepted (the caller decides whether to
 * warn). */
CLCNN_API clcnn_status clcnn_cifar10_load(const char *folder, clcnn_cifar10 *data);

CLCNN_API void clcnn_images_free(clcnn_images *images);
CLCNN_API void clcnn_cifar10_free(clcnn_cifar10 *data);

#ifdef __cplusplus
}
#endif

#endif
