/* Image datasets and the data sources the trainer reads.
 *
 * A dataset is a folder in one of the formats clcnn reads, detected from its files:
 *   cifar10   data_batch_1..5.bin, test_batch.bin, batches.meta.txt: records of 1 label byte +
 *             3,072 pixel bytes (R, G, B planes of 32x32). https://www.cs.toronto.edu/~kriz/cifar.html
 *   cifar100  train.bin, test.bin (records of coarse label, fine label, 3,072 pixels; clcnn
 *             trains on the 100 fine labels), fine_label_names.txt when present
 *   idx       MNIST's format, gzipped or not: train-images-idx3-ubyte[.gz],
 *             train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz],
 *             t10k-labels-idx1-ubyte[.gz]; class names from classes.txt when present
 *             (Fashion-MNIST's when the folder's name says fashion), else the label numbers
 * Every reader checks sizes before it allocates and names the file, the record and what was
 * expected when something is wrong.
 *
 * A source (clcnn_source) is what training reads: a count of samples of one shape and a
 * fill() that writes the float batch of given indices. Normalisation belongs to the source;
 * clcnn_images_source() scales bytes to [0, 1] as the tutorial does. */
#ifndef CLCNN_DATA_H
#define CLCNN_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLCNN_MAX_CLASSES 256
#define CLCNN_CLASS_NAME_BYTES 32

/* 8-bit images, channel planes: pixels [count, channels, height, width], labels [count]. */
typedef struct clcnn_images {
    int count, channels, height, width;
    uint8_t *labels;
    uint8_t *pixels;
} clcnn_images;

typedef struct clcnn_dataset {
    char format[16]; /* "cifar10", "cifar100" or "idx" */
    int classes;
    char (*class_names)[CLCNN_CLASS_NAME_BYTES]; /* [classes] */
    clcnn_images train, test;
    char test_name[64]; /* the test file, for reports: "test_batch.bin" */
} clcnn_dataset;

enum { CLCNN_DATA_TRAIN = 1, CLCNN_DATA_TEST = 2, CLCNN_DATA_ALL = 3 };

/* Loads the parts asked for from folder. format: "cifar10", "cifar100", "idx", or NULL to
 * detect it from the files. A missing folder or file gets a message saying what was looked
 * for and where CIFAR-10 comes from. */
CLCNN_API clcnn_status clcnn_dataset_load(const char *folder, const char *format, int parts,
                                          clcnn_dataset *data);
CLCNN_API void clcnn_dataset_free(clcnn_dataset *data);
CLCNN_API void clcnn_images_free(clcnn_images *images);

/* CIFAR records held in memory (name is used in messages), appended to images (32x32x3).
 * label_bytes: 1 for CIFAR-10, 2 for CIFAR-100 (the second, fine label is kept); every label
 * must be below classes. */
CLCNN_API clcnn_status clcnn_cifar_parse(const uint8_t *data, size_t size, const char *name,
                                         int label_bytes, int classes, clcnn_images *images);
/* One IDX file (gzipped or not) into memory, its header checked: magic 0x0803 with 3
 * dimensions for images, 0x0801 with 1 for labels. */
CLCNN_API clcnn_status clcnn_idx_parse(const uint8_t *images_data, size_t images_size,
                                       const uint8_t *labels_data, size_t labels_size,
                                       const char *name, clcnn_images *images);

typedef struct clcnn_source clcnn_source;
struct clcnn_source {
    int count, channels, height, width, classes;
    /* x: [n, channels, height, width] floats, labels: [n], for samples indices[0..n) */
    clcnn_status (*fill)(const clcnn_source *self, const int32_t *indices, int n, float *x,
                         int32_t *labels);
    const void *data; /* the source's own */
};

/* A source over 8-bit images, scaled by 1/255. images must outlive it. */
CLCNN_API clcnn_source clcnn_images_source(const clcnn_images *images, int classes);

#ifdef __cplusplus
}
#endif

#endif
