/* PNG input for clcnn predict, through libpng's simplified API, which reports the image's
 * format before decoding so that every unsupported kind is refused by name. */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define MAX_PNG_BYTES (64u << 20)

bool decode_png(const void *data, size_t size, const char *name,
                uint8_t planes[PNG_IMAGE_BYTES], char *error, size_t error_size)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        snprintf(error, error_size, "%s: not a readable PNG image (%s)", name, image.message);
        png_image_free(&image);
        return false;
    }
    bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
    bool sixteen_bit = (image.format & PNG_FORMAT_FLAG_LINEAR) != 0;
    if (image.width != 32 || image.height != 32 || !colour || sixteen_bit) {
        snprintf(error, error_size, "%s: %u x %u %s%s PNG; expected a 32 x 32 8-bit RGB image, as "
                                    "CIFAR-10 images are",
                 name, image.width, image.height, colour ? "colour" : "grayscale",
                sixteen_bit ? " 16-bit" : "");
        png_image_free(&image);
        return false;
    }
    image.format = PNG_FORMAT_RGB;
    uint8_t interleaved[PNG_IMAGE_BYTES];
    if (!png_image_finish_read(&image, NULL, interleaved, 0, NULL)) {
        snprintf(error, error_size, "%s: corrupt PNG (%s)", name, image.message);
        png_image_free(&image);
        return false;
    }
    for (int i = 0; i < 1024; i++)
        for (int channel = 0; channel < 3; channel++)
            planes[channel * 1024 + i] = interleaved[i * 3 + channel];
    return true;
}

bool read_png_file(const char *path, uint8_t planes[PNG_IMAGE_BYTES])
{
    /* stat first: opening a FIFO or a device would block or read forever */
    struct stat info;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "clcnn: %s: cannot open: %s\n", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(info.st_mode)) {
        fprintf(stderr, "clcnn: %s: not a regular file; expected a PNG image\n", path);
        return false;
    }
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "clcnn: %s: cannot open: %s\n", path, strerror(errno));
        return false;
    }
    uint8_t *data = malloc(MAX_PNG_BYTES);
    size_t size = data ? fread(data, 1, MAX_PNG_BYTES, file) : 0;
    bool too_big = data && size == MAX_PNG_BYTES && fgetc(file) != EOF;
    fclose(file);
    bool ok = false;
    if (!data)
        fprintf(stderr, "clcnn: out of host memory reading %s\n", path);
    else if (too_big)
        fprintf(stderr, "clcnn: %s: larger than 64 MiB; a 32 x 32 PNG is a few KiB\n", path);
    else {
        char error[512];
        ok = decode_png(data, size, path, planes, error, sizeof error);
        if (!ok)
            fprintf(stderr, "clcnn: %s\n", error);
    }
    free(data);
    return ok;
}
