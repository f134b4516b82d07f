/* Dataset folders (include/clcnn/data.h): detects the format from the files, reads the parts
 * asked for, and the class names. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/files.h"

#define CIFAR_FILE_BYTES ((size_t)1 << 30)
#define IDX_FILE_BYTES ((size_t)1 << 32)

static bool exists(const char *folder, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return access(path, F_OK) == 0;
}

/* "train-images-idx3-ubyte" or its ".gz", whichever is there */
static void idx_path(const char *folder, const char *stem, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", folder, stem);
    if (access(path, F_OK) != 0)
        snprintf(path, size, "%s/%s.gz", folder, stem);
}

static const char *detect(const char *folder)
{
    if (exists(folder, "data_batch_1.bin") || exists(folder, "test_batch.bin"))
        return "cifar10";
    if (exists(folder, "train.bin") || exists(folder, "test.bin"))
        return "cifar100";
    if (exists(folder, "train-images-idx3-ubyte") || exists(folder, "train-images-idx3-ubyte.gz") ||
        exists(folder, "t10k-images-idx3-ubyte") || exists(folder, "t10k-images-idx3-ubyte.gz"))
        return "idx";
    return NULL;
}

static clcnn_status read_cifar(const char *path, int label_bytes, int classes, clcnn_images *images)
{
    uint8_t *data;
    size_t size;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: missing; %s", path,
                          label_bytes == 1 ? CLCNN_WHERE_TO_GET_CIFAR10
                                           : "CIFAR-100's binary version holds train.bin and test.bin");
    CLCNN_TRY(clcnn_read_data_file(path, CIFAR_FILE_BYTES, &data, &size));
    clcnn_status status = clcnn_cifar_parse(data, size, path, label_bytes, classes, images);
    free(data);
    return status;
}

static clcnn_status read_idx(const char *folder, const char *prefix, clcnn_images *images)
{
    char images_path[4200], labels_path[4200], images_stem[64], labels_stem[64];
    snprintf(images_stem, sizeof images_stem, "%s-images-idx3-ubyte", prefix);
    snprintf(labels_stem, sizeof labels_stem, "%s-labels-idx1-ubyte", prefix);
    idx_path(folder, images_stem, images_path, sizeof images_path);
    idx_path(folder, labels_stem, labels_path, sizeof labels_path);
    uint8_t *pixels = NULL, *labels = NULL;
    size_t pixels_size = 0, labels_size = 0;
    clcnn_status status = clcnn_read_data_file(images_path, IDX_FILE_BYTES, &pixels, &pixels_size);
    if (status == CLCNN_OK)
        status = clcnn_read_data_file(labels_path, IDX_FILE_BYTES, &labels, &labels_size);
    if (status == CLCNN_OK)
        status = clcnn_idx_parse(pixels, pixels_size, labels, labels_size, images_path, images);
    free(pixels);
    free(labels);
    return status;
}

/* One name a line, at most `expected` (0: any number up to CLCNN_MAX_CLASSES). */
static clcnn_status read_names(const char *path, int expected, clcnn_dataset *data)
{
    uint8_t *text;
    size_t size;
    CLCNN_TRY(clcnn_read_data_file(path, 1 << 20, &text, &size));
    char names[CLCNN_MAX_CLASSES][CLCNN_CLASS_NAME_BYTES];
    int found = 0;
    clcnn_status status = CLCNN_OK;
    for (size_t at = 0; at < size && status == CLCNN_OK;) {
        size_t length = 0;
        while (at + length < size && text[at + length] != '\n')
            length++;
        size_t end = length;
        while (end > 0 && isspace(text[at + end - 1]))
            end--;
        if (end >= CLCNN_CLASS_NAME_BYTES)
            status = clcnn_fail(CLCNN_ERROR_FORMAT, "%s: class name %d '%.*s' is longer than %d "
                                "bytes", path, found, (int)end, (const char *)text + at,
                                CLCNN_CLASS_NAME_BYTES - 1);
        else if (end > 0 && found == CLCNN_MAX_CLASSES)
            status = clcnn_fail(CLCNN_ERROR_FORMAT, "%s: more than %d class names", path,
                                CLCNN_MAX_CLASSES);
        else if (end > 0 && (expected == 0 || found < expected)) {
            memcpy(names[found], text + at, end);
            names[found++][end] = '\0';
        }
        at += length + 1;
    }
    free(text);
    CLCNN_TRY(status);
    if (found == 0 || (expected && found < expected))
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %d class names, expected %d (one a line)", path,
                          found, expected ? expected : 1);
    data->class_names = malloc(sizeof names[0] * (size_t)found);
    if (!data->class_names)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    memcpy(data->class_names, names, sizeof names[0] * (size_t)found);
    data->classes = found;
    return CLCNN_OK;
}

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                              "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                              "Bag",         "Ankle boot"};

/* IDX carries no names: classes.txt, Fashion-MNIST's for a folder named so, else numbers. */
static clcnn_status idx_names(const char *folder, clcnn_dataset *data)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/classes.txt", folder);
    if (access(path, F_OK) == 0)
        return read_names(path, 0, data);
    int classes = 0;
    const clcnn_images *parts[2] = {&data->train, &data->test};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < parts[p]->count; i++)
            classes = parts[p]->labels[i] + 1 > classes ? parts[p]->labels[i] + 1 : classes;
    char lower[4200];
    size_t length = strlen(folder) < sizeof lower - 1 ? strlen(folder) : sizeof lower - 1;
    for (size_t i = 0; i < length; i++)
        lower[i] = (char)tolower((unsigned char)folder[i]);
    lower[length] = '\0';
    bool fashion = strstr(lower, "fashion") && classes <= 10;
    if (fashion)
        classes = 10;
    data->class_names = calloc((size_t)(classes ? classes : 1), CLCNN_CLASS_NAME_BYTES);
    if (!data->class_names)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    for (int k = 0; k < classes; k++) {
        if (fashion)
            snprintf(data->class_names[k], CLCNN_CLASS_NAME_BYTES, "%s", fashion_names[k]);
        else
            snprintf(data->class_names[k], CLCNN_CLASS_NAME_BYTES, "%d", k);
    }
    data->classes = classes;
    return CLCNN_OK;
}

static clcnn_status load_cifar10(const char *folder, int parts, clcnn_dataset *data)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/batches.meta.txt", folder);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: missing; " CLCNN_WHERE_TO_GET_CIFAR10, path);
    CLCNN_TRY(read_names(path, 10, data));
    for (int batch = 1; (parts & CLCNN_DATA_TRAIN) && batch <= 5; batch++) {
        snprintf(path, sizeof path, "%s/data_batch_%d.bin", folder, batch);
        CLCNN_TRY(read_cifar(path, 1, 10, &data->train));
    }
    snprintf(data->test_name, sizeof data->test_name, "test_batch.bin");
    snprintf(path, sizeof path, "%s/test_batch.bin", folder);
    return parts & CLCNN_DATA_TEST ? read_cifar(path, 1, 10, &data->test) : CLCNN_OK;
}

static clcnn_status load_cifar100(const char *folder, int parts, clcnn_dataset *data)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/fine_label_names.txt", folder);
    if (access(path, F_OK) == 0) {
        CLCNN_TRY(read_names(path, 100, data));
    } else {
        data->class_names = calloc(100, CLCNN_CLASS_NAME_BYTES);
        if (!data->class_names)
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
        for (int k = 0; k < 100; k++)
            snprintf(data->class_names[k], CLCNN_CLASS_NAME_BYTES, "%d", k);
        data->classes = 100;
    }
    snprintf(path, sizeof path, "%s/train.bin", folder);
    if (parts & CLCNN_DATA_TRAIN)
        CLCNN_TRY(read_cifar(path, 2, 100, &data->train));
    snprintf(data->test_name, sizeof data->test_name, "test.bin");
    snprintf(path, sizeof path, "%s/test.bin", folder);
    return parts & CLCNN_DATA_TEST ? read_cifar(path, 2, 100, &data->test) : CLCNN_OK;
}

static clcnn_status load_idx(const char *folder, int parts, clcnn_dataset *data)
{
    if (parts & CLCNN_DATA_TRAIN)
        CLCNN_TRY(read_idx(folder, "train", &data->train));
    snprintf(data->test_name, sizeof data->test_name, "t10k-images-idx3-ubyte");
    if (parts & CLCNN_DATA_TEST)
        CLCNN_TRY(read_idx(folder, "t10k", &data->test));
    CLCNN_TRY(idx_names(folder, data));
    const clcnn_images *loaded[2] = {&data->train, &data->test};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < loaded[p]->count; i++)
            if (loaded[p]->labels[i] >= data->classes)
                return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: label %d of %s image %d, but %d class "
                                  "names", folder, loaded[p]->labels[i], p ? "test" : "training",
                                  i, data->classes);
    return CLCNN_OK;
}

clcnn_status clcnn_dataset_load(const char *folder, const char *format, int parts,
                                clcnn_dataset *data)
{
    memset(data, 0, sizeof *data);
    struct stat info;
    if (stat(folder, &info) != 0 || !S_ISDIR(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "data folder %s: %s; " CLCNN_WHERE_TO_GET_CIFAR10,
                          folder, stat(folder, &info) != 0 ? "missing" : "not a folder");
    if (!format)
        format = detect(folder);
    if (!format)
        return clcnn_fail(CLCNN_ERROR_IO,
                          "data folder %s holds no dataset clcnn reads: expected CIFAR-10 "
                          "(data_batch_1.bin ... test_batch.bin), CIFAR-100 (train.bin, test.bin) "
                          "or MNIST-format IDX files (train-images-idx3-ubyte[.gz] ...); "
                          CLCNN_WHERE_TO_GET_CIFAR10, folder);
    clcnn_status status;
    if (strcmp(format, "cifar10") == 0)
        status = load_cifar10(folder, parts, data);
    else if (strcmp(format, "cifar100") == 0)
        status = load_cifar100(folder, parts, data);
    else if (strcmp(format, "idx") == 0)
        status = load_idx(folder, parts, data);
    else
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "data format '%s': expected cifar10, "
                          "cifar100 or idx", format);
    snprintf(data->format, sizeof data->format, "%s", format);
    if (status != CLCNN_OK)
        clcnn_dataset_free(data);
    return status;
}

void clcnn_images_free(clcnn_images *images)
{
    free(images->labels);
    free(images->pixels);
    memset(images, 0, sizeof *images);
}

void clcnn_dataset_free(clcnn_dataset *data)
{
    clcnn_images_free(&data->train);
    clcnn_images_free(&data->test);
    free(data->class_names);
    data->class_names = NULL;
    data->classes = 0;
}
