/* CIFAR-10 binary loader (include/clcnn/cifar10.h). Every check names the file, the record
 * and what was expected; nothing is trusted before it is checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clcnn/cifar10.h"
#include "internal.h"

#define WHERE_TO_GET_IT                                                                      \
    "get the CIFAR-10 binary version from https://www.cs.toronto.edu/~kriz/"                 \
    "cifar-10-binary.tar.gz (tools/get-cifar10.sh downloads and verifies it) and pass its "  \
    "cifar-10-batches-bin folder with --data or CLCNN_DATA"

static clcnn_status open_regular_file(const char *path, FILE **file, long long *size)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        if (errno == ENOENT)
            return clcnn_fail(CLCNN_ERROR_IO, "%s: missing; " WHERE_TO_GET_IT, path);
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot read: %s", path, strerror(errno));
    }
    if (S_ISDIR(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "%s: is a directory, expected a CIFAR-10 file", path);
    if (!S_ISREG(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "%s: is not a regular file", path);
    *file = fopen(path, "rb");
    if (!*file)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
    *size = (long long)info.st_size;
    return CLCNN_OK;
}

clcnn_status clcnn_cifar10_parse_batch(const uint8_t *data, size_t size, const char *name,
                                       clcnn_images *images)
{
    size_t records = size / CLCNN_CIFAR10_RECORD_BYTES;
    if (size == 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: empty, expected records of 3,073 bytes (1 label + 3,072 pixels)", name);
    if (size % CLCNN_CIFAR10_RECORD_BYTES != 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: %zu bytes is not a whole number of 3,073-byte records: record %zu "
                          "holds only %zu bytes (truncated, or not CIFAR-10 binary)",
                          name, size, records, size % CLCNN_CIFAR10_RECORD_BYTES);
    if (records > 1000000 || (size_t)images->count + records > 10000000)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %zu records is more than CIFAR-10 holds", name,
                          records);
    for (size_t r = 0; r < records; r++) {
        uint8_t label = data[r * CLCNN_CIFAR10_RECORD_BYTES];
        if (label >= CLCNN_CIFAR10_CLASSES)
            return clcnn_fail(CLCNN_ERROR_FORMAT,
                              "%s: record %zu (byte offset %zu) has label %d, expected 0-9", name,
                              r, r * CLCNN_CIFAR10_RECORD_BYTES, label);
    }
    size_t total = (size_t)images->count + records;
    uint8_t *labels = realloc(images->labels, total);
    if (labels)
        images->labels = labels;
    uint8_t *pixels = labels ? realloc(images->pixels, total * CLCNN_CIFAR10_IMAGE_BYTES) : NULL;
    if (pixels)
        images->pixels = pixels;
    if (!labels || !pixels)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory for %zu images", name,
                          total);
    for (size_t r = 0; r < records; r++) {
        const uint8_t *record = data + r * CLCNN_CIFAR10_RECORD_BYTES;
        size_t index = (size_t)images->count + r;
        images->labels[index] = record[0];
        memcpy(images->pixels + index * CLCNN_CIFAR10_IMAGE_BYTES, record + 1,
               CLCNN_CIFAR10_IMAGE_BYTES);
    }
    images->count = (int)total;
    return CLCNN_OK;
}

/* Reads exactly the size stat() reported; a file that shrinks or grows meanwhile is an error. */
clcnn_status clcnn_cifar10_read_batch(const char *path, clcnn_images *images)
{
    FILE *file = NULL;
    long long size = 0;
    CLCNN_TRY(open_regular_file(path, &file, &size));
    uint8_t *data = size > 0 && size <= (1ll << 34) ? malloc((size_t)size) : NULL;
    if (size > 0 && !data) {
        fclose(file);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: cannot hold %lld bytes in memory", path, size);
    }
    size_t got = size > 0 ? fread(data, 1, (size_t)size, file) : 0;
    clcnn_status status = CLCNN_OK;
    if (got != (size_t)size)
        status = clcnn_fail(CLCNN_ERROR_IO,
                            "%s: read %zu of %lld bytes (the file shrank while being read, or a "
                            "read error: %s)",
                            path, got, size, ferror(file) ? strerror(errno) : "end of file");
    else if (fgetc(file) != EOF)
        status = clcnn_fail(CLCNN_ERROR_IO, "%s: grew while being read (expected %lld bytes)",
                            path, size);
    fclose(file);
    if (status == CLCNN_OK)
        status = clcnn_cifar10_parse_batch(data, (size_t)size, path, images);
    free(data);
    return status;
}

clcnn_status clcnn_cifar10_read_class_names(const char *path, char names[CLCNN_CIFAR10_CLASSES][32])
{
    FILE *file = NULL;
    long long size = 0;
    CLCNN_TRY(open_regular_file(path, &file, &size));
    char line[256];
    int found = 0;
    while (found < CLCNN_CIFAR10_CLASSES && fgets(line, sizeof line, file)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (strlen(line) >= sizeof names[0]) {
            fclose(file);
            return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: class name %d '%s' is longer than 31 bytes",
                              path, found, line);
        }
        memcpy(names[found++], line, strlen(line) + 1);
    }
    fclose(file);
    if (found < CLCNN_CIFAR10_CLASSES)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %d class names, expected 10 (one a line)", path,
                          found);
    return CLCNN_OK;
}

clcnn_status clcnn_cifar10_load(const char *folder, clcnn_cifar10 *data)
{
    memset(data, 0, sizeof *data);
    struct stat info;
    if (stat(folder, &info) != 0 || !S_ISDIR(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "CIFAR-10 data folder %s: %s; " WHERE_TO_GET_IT, folder,
                          stat(folder, &info) != 0 ? "missing" : "not a folder");
    char path[4200];
    snprintf(path, sizeof path, "%s/batches.meta.txt", folder);
    clcnn_status status = clcnn_cifar10_read_class_names(path, data->class_names);
    for (int batch = 1; status == CLCNN_OK && batch <= 5; batch++) {
        snprintf(path, sizeof path, "%s/data_batch_%d.bin", folder, batch);
        status = clcnn_cifar10_read_batch(path, &data->train);
    }
    if (status == CLCNN_OK) {
        snprintf(path, sizeof path, "%s/test_batch.bin", folder);
        status = clcnn_cifar10_read_batch(path, &data->test);
    }
    if (status != CLCNN_OK)
        clcnn_cifar10_free(data);
    return status;
}

void clcnn_images_free(clcnn_images *images)
{
    free(images->labels);
    free(images->pixels);
    memset(images, 0, sizeof *images);
}

void clcnn_cifar10_free(clcnn_cifar10 *data)
{
    clcnn_images_free(&data->train);
    clcnn_images_free(&data->test);
}
