/* Whole-file reads for the dataset readers (files.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/files.h"

static clcnn_status read_gzip(const char *path, size_t max_bytes, uint8_t **data, size_t *size)
{
    gzFile file = gzopen(path, "rb");
    if (!file)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t capacity = 1 << 20, used = 0;
    uint8_t *buffer = malloc(capacity);
    clcnn_status status = buffer ? CLCNN_OK : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    while (status == CLCNN_OK) {
        if (used == capacity) {
            if (capacity >= max_bytes + 1) {
                status = clcnn_fail(CLCNN_ERROR_FORMAT, "%s: decompresses to more than %zu bytes, "
                                    "more than such a file can hold", path, max_bytes);
                break;
            }
            capacity = capacity * 2 > max_bytes + 1 ? max_bytes + 1 : capacity * 2;
            uint8_t *grown = realloc(buffer, capacity);
            if (!grown) {
                status = clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory", path);
                break;
            }
            buffer = grown;
        }
        unsigned chunk = capacity - used > (1u << 30) ? 1u << 30 : (unsigned)(capacity - used);
        int got = gzread(file, buffer + used, chunk);
        if (got < 0) {
            int code;
            const char *message = gzerror(file, &code);
            status = clcnn_fail(CLCNN_ERROR_FORMAT, "%s: corrupt gzip data: %s", path, message);
        } else if (got == 0) {
            break;
        } else {
            used += (size_t)got;
        }
    }
    gzclose(file);
    if (status != CLCNN_OK) {
        free(buffer);
        return status;
    }
    *data = buffer;
    *size = used;
    return CLCNN_OK;
}

clcnn_status clcnn_read_data_file(const char *path, size_t max_bytes, uint8_t **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    struct stat info;
    if (stat(path, &info) != 0)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: %s", path,
                          errno == ENOENT ? "missing" : strerror(errno));
    if (S_ISDIR(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "%s: is a directory, expected a data file", path);
    if (!S_ISREG(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "%s: is not a regular file", path);
    if ((uint64_t)info.st_size > max_bytes)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %lld bytes, more than such a file holds (%zu)",
                          path, (long long)info.st_size, max_bytes);
    FILE *file = fopen(path, "rb");
    if (!file)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t magic[2] = {0, 0};
    size_t magic_bytes = fread(magic, 1, 2, file);
    if (magic_bytes == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        fclose(file);
        return read_gzip(path, max_bytes, data, size);
    }
    rewind(file);
    size_t expected = (size_t)info.st_size;
    uint8_t *buffer = malloc(expected ? expected : 1);
    if (!buffer) {
        fclose(file);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: cannot hold %zu bytes in memory", path, expected);
    }
    size_t got = fread(buffer, 1, expected, file);
    clcnn_status status = CLCNN_OK;
    if (got != expected)
        status = clcnn_fail(CLCNN_ERROR_IO,
                            "%s: read %zu of %zu bytes (the file shrank while being read, or a "
                            "read error: %s)",
                            path, got, expected, ferror(file) ? strerror(errno) : "end of file");
    else if (fgetc(file) != EOF)
        status = clcnn_fail(CLCNN_ERROR_IO, "%s: grew while being read (expected %zu bytes)",
                            path, expected);
    fclose(file);
    if (status != CLCNN_OK) {
        free(buffer);
        return status;
    }
    *data = buffer;
    *size = expected;
    return CLCNN_OK;
}

clcnn_status clcnn_images_grow(clcnn_images *images, int channels, int height, int width,
                               size_t records, const char *name)
{
    if (images->count == 0) {
        images->channels = channels;
        images->height = height;
        images->width = width;
    } else if (images->channels != channels || images->height != height || images->width != width) {
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: images of %dx%dx%d, but earlier files held "
                          "%dx%dx%d (HxWxC)", name, height, width, channels, images->height,
                          images->width, images->channels);
    }
    size_t total = (size_t)images->count + records;
    size_t image_bytes = (size_t)channels * height * width;
    if (total > 10000000 || total * image_bytes > ((size_t)1 << 34))
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %zu images of %zu bytes is more than clcnn "
                          "holds in memory", name, total, image_bytes);
    uint8_t *labels = realloc(images->labels, total ? total : 1);
    if (labels)
        images->labels = labels;
    uint8_t *pixels = labels ? realloc(images->pixels, total * image_bytes + 1) : NULL;
    if (pixels)
        images->pixels = pixels;
    if (!labels || !pixels)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory for %zu images", name,
                          total);
    return CLCNN_OK;
}
