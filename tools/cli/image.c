/* Image files for clcnn predict: PNG through libpng's simplified API and JPEG through
 * libjpeg-turbo, both decoded straight to 8-bit grayscale or RGB (whichever the model takes,
 * since both libraries convert better than we would), then resized to the model's input by
 * area averaging: each output pixel is the mean of the source pixels it covers, weighted by
 * how much of each it covers. That is what shrinking a photo to 32x32 needs (no aliasing), and
 * it reduces to nearest-neighbour when enlarging. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t without including them */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

#include "cli.h"

#define MAX_IMAGE_FILE_BYTES (64u << 20)
#define MAX_IMAGE_PIXELS (64u << 20) /* a decompression bomb stops here, before decoding */

/* ---- decoders: 8-bit, interleaved, `channels` 1 (gray) or 3 (RGB) ------------------------------ */

typedef struct decoded_image {
    int width, height;
    bool colour;     /* what the file held, before conversion */
    uint8_t *pixels; /* [height, width, channels] */
} decoded_image;

static bool decode_png(const uint8_t *data, size_t size, int channels, decoded_image *out,
                       char *error, size_t error_size)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        snprintf(error, error_size, "not a readable PNG image (%s)", image.message);
        png_image_free(&image);
        return false;
    }
    out->width = (int)image.width;
    out->height = (int)image.height;
    out->colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
    if ((uint64_t)image.width * image.height > MAX_IMAGE_PIXELS) {
        snprintf(error, error_size, "%u x %u PNG is larger than the %u megapixels clcnn decodes",
                 image.width, image.height, MAX_IMAGE_PIXELS >> 20);
        png_image_free(&image);
        return false;
    }
    /* transparent pixels over white, as image viewers show them */
    const png_color white = {255, 255, 255};
    image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    out->pixels = malloc(PNG_IMAGE_SIZE(image));
    if (!out->pixels) {
        snprintf(error, error_size, "out of host memory");
        png_image_free(&image);
        return false;
    }
    if (!png_image_finish_read(&image, &white, out->pixels, 0, NULL)) {
        snprintf(error, error_size, "corrupt PNG (%s)", image.message);
        png_image_free(&image);
        return false;
    }
    return true;
}

typedef struct jpeg_failure {
    struct jpeg_error_mgr manager;
    jmp_buf back;
    char message[JMSG_LENGTH_MAX];
} jpeg_failure;

/* libjpeg's default error_exit calls exit(); ours returns to decode_jpeg with the message */
static void jpeg_fail(j_common_ptr jpeg)
{
    jpeg_failure *failure = (jpeg_failure *)jpeg->err;
    failure->manager.format_message(jpeg, failure->message);
    longjmp(failure->back, 1);
}

static void jpeg_quiet(j_common_ptr jpeg, int level) { (void)jpeg, (void)level; }

static bool decode_jpeg(const uint8_t *data, size_t size, int channels, decoded_image *out,
                        char *error, size_t error_size)
{
    struct jpeg_decompress_struct jpeg;
    jpeg_failure failure;
    jpeg.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = jpeg_fail;
    failure.manager.emit_message = jpeg_quiet; /* warnings on stderr would garble the output */
    /* volatile: assigned after setjmp and read after longjmp */
    uint8_t *volatile pixels = NULL;
    if (setjmp(failure.back)) {
        snprintf(error, error_size, "corrupt JPEG (%s)", failure.message);
        jpeg_destroy_decompress(&jpeg);
        free(pixels);
        return false;
    }
    jpeg_create_decompress(&jpeg);
    jpeg_mem_src(&jpeg, data, (unsigned long)size);
    jpeg_read_header(&jpeg, TRUE);
    out->width = (int)jpeg.image_width;
    out->height = (int)jpeg.image_height;
    out->colour = jpeg.num_components > 1;
    if ((uint64_t)jpeg.image_width * jpeg.image_height > MAX_IMAGE_PIXELS) {
        snprintf(error, error_size, "%u x %u JPEG is larger than the %u megapixels clcnn decodes",
                 jpeg.image_width, jpeg.image_height, MAX_IMAGE_PIXELS >> 20);
        jpeg_destroy_decompress(&jpeg);
        return false;
    }
    jpeg.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&jpeg);
    size_t row_bytes = (size_t)jpeg.output_width * (size_t)jpeg.output_components;
    pixels = malloc(row_bytes * jpeg.output_height);
    if (!pixels) {
        snprintf(error, error_size, "out of host memory");
        jpeg_destroy_decompress(&jpeg);
        return false;
    }
    while (jpeg.output_scanline < jpeg.output_height) {
        JSAMPROW row = pixels + row_bytes * jpeg.output_scanline;
        jpeg_read_scanlines(&jpeg, &row, 1);
    }
    jpeg_finish_decompress(&jpeg);
    jpeg_destroy_decompress(&jpeg);
    out->pixels = pixels;
    return true;
}

/* ---- resizing --------------------------------------------------------------------------------- */

/* For output index o of `to` along an axis of `from` source pixels: the covered source range
 * [o * from / to, (o + 1) * from / to) and each source pixel's share of it. */
static void resize_area(const uint8_t *in, int in_w, int in_h, int channels, uint8_t *planes,
                        int out_w, int out_h)
{
    double scale_x = (double)in_w / out_w, scale_y = (double)in_h / out_h;
    for (int c = 0; c < channels; c++)
        for (int oy = 0; oy < out_h; oy++)
            for (int ox = 0; ox < out_w; ox++) {
                double y0 = oy * scale_y, y1 = y0 + scale_y, x0 = ox * scale_x, x1 = x0 + scale_x;
                double sum = 0, weight = 0;
                for (int y = (int)y0; y < in_h && y < y1; y++) {
                    double wy = (y + 1 < y1 ? y + 1 : y1) - (y > y0 ? y : y0);
                    for (int x = (int)x0; x < in_w && x < x1; x++) {
                        double wx = (x + 1 < x1 ? x + 1 : x1) - (x > x0 ? x : x0);
                        sum += wx * wy * in[((size_t)y * in_w + x) * channels + c];
                        weight += wx * wy;
                    }
                }
                planes[((size_t)c * out_h + oy) * out_w + ox] =
                    (uint8_t)(weight > 0 ? sum / weight + 0.5 : 0);
            }
}

bool decode_image(const uint8_t *data, size_t size, int channels, int height, int width,
                  uint8_t *planes, char *note, size_t note_size, char *error, size_t error_size)
{
    *note = '\0';
    if (channels != 1 && channels != 3) {
        snprintf(error, error_size, "the model takes %d channels; images give 1 (grayscale) or 3 "
                                    "(RGB)", channels);
        return false;
    }
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const uint8_t jpeg_signature[3] = {0xff, 0xd8, 0xff};
    decoded_image image = {0};
    bool ok = false;
    const char *kind = "";
    if (size >= 8 && !memcmp(data, png_signature, 8)) {
        kind = "PNG";
        ok = decode_png(data, size, channels, &image, error, error_size);
    } else if (size >= 3 && !memcmp(data, jpeg_signature, 3)) {
        kind = "JPEG";
        ok = decode_jpeg(data, size, channels, &image, error, error_size);
    } else {
        snprintf(error, error_size, "neither a PNG nor a JPEG image (no PNG or JPEG signature)");
    }
    if (ok) {
        resize_area(image.pixels, image.width, image.height, channels, planes, width, height);
        if (image.width != width || image.height != height || image.colour != (channels == 3))
            snprintf(note, note_size, "%d x %d %s %s, taken as %d x %d %s", image.width,
                     image.height, image.colour ? "colour" : "grayscale", kind, width, height,
                     channels == 3 ? "RGB" : "grayscale");
    }
    free(image.pixels);
    return ok;
}

bool read_image_file(const char *path, int channels, int height, int width, uint8_t *planes,
                     char *note, size_t note_size, char *error, size_t error_size)
{
    *note = '\0';
    /* stat first: opening a FIFO or a device would block or read forever */
    struct stat info;
    if (stat(path, &info) != 0) {
        snprintf(error, error_size, "cannot open: %s", strerror(errno));
        return false;
    }
    if (!S_ISREG(info.st_mode)) {
        snprintf(error, error_size, "not a regular file; expected a PNG or JPEG image");
        return false;
    }
    if (info.st_size > (off_t)MAX_IMAGE_FILE_BYTES) {
        snprintf(error, error_size, "%lld bytes, larger than the 64 MiB clcnn reads for an image",
                 (long long)info.st_size);
        return false;
    }
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "cannot open: %s", strerror(errno));
        return false;
    }
    size_t size = (size_t)info.st_size;
    uint8_t *data = malloc(size ? size : 1);
    bool read = data && fread(data, 1, size, file) == size;
    fclose(file);
    bool ok = read && decode_image(data, size, channels, height, width, planes, note, note_size,
                                   error, error_size);
    if (!read)
        snprintf(error, error_size, "%s", data ? "cannot read the whole file" : "out of host memory");
    free(data);
    return ok;
}
