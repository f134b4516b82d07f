/* Writes a JPEG test image: a colour (3) or grayscale (1) gradient of any size, so that the
 * tests of predict's JPEG input need no image tools. usage: make_jpeg OUT WIDTH HEIGHT CHANNELS */
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: make_jpeg OUT WIDTH HEIGHT CHANNELS\n");
        return 2;
    }
    int width = atoi(argv[2]), height = atoi(argv[3]), channels = atoi(argv[4]);
    if (width < 1 || height < 1 || width > 4096 || height > 4096 || (channels != 1 && channels != 3)) {
        fprintf(stderr, "make_jpeg: WIDTH and HEIGHT 1..4096, CHANNELS 1 or 3\n");
        return 2;
    }
    FILE *file = fopen(argv[1], "wb");
    if (!file) {
        perror(argv[1]);
        return 1;
    }
    struct jpeg_compress_struct jpeg;
    struct jpeg_error_mgr errors;
    jpeg.err = jpeg_std_error(&errors);
    jpeg_create_compress(&jpeg);
    jpeg_stdio_dest(&jpeg, file);
    jpeg.image_width = (JDIMENSION)width;
    jpeg.image_height = (JDIMENSION)height;
    jpeg.input_components = channels;
    jpeg.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&jpeg);
    jpeg_set_quality(&jpeg, 90, TRUE);
    jpeg_start_compress(&jpeg, TRUE);
    JSAMPLE *row = malloc((size_t)width * channels);
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++)
                row[x * channels + c] = (JSAMPLE)((x * 255 / width + y * 97 / height + c * 80) % 256);
        jpeg_write_scanlines(&jpeg, &row, 1);
    }
    jpeg_finish_compress(&jpeg);
    jpeg_destroy_compress(&jpeg);
    free(row);
    return fclose(file) == 0 ? 0 : 1;
}
