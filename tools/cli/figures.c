/* The seed's three figures, drawn with cairo (Debian's libcairo2: a mature 2-D library with
 * anti-aliased lines, text and PNG output, far less code than plotting by hand, and no
 * Python in the loop):
 *   accuracy.png   train and validation accuracy per epoch (the seed's history plot)
 *   loss.png       train and validation loss per epoch
 *   confusion.png  confusion matrix normalised by predicted class (normalize='pred'), as a
 *                  heat map with a colour bar
 *   samples.png    the first 25 training images in a 5x5 grid with their class names */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Writes the surface to path as PNG, through a temporary name so that a full disk never leaves
 * a truncated figure, and destroys both. cairo stops drawing at its first error and says so
 * only through the status: a figure that failed is not written. */
static bool save(cairo_t *cr, cairo_surface_t *surface, const char *path)
{
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    char temporary[4300];
    temporary_name(temporary, sizeof temporary, path);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_write_to_png(surface, temporary);
    cairo_surface_destroy(surface);
    if (status == CAIRO_STATUS_SUCCESS && rename(temporary, path) != 0)
        status = CAIRO_STATUS_WRITE_ERROR;
    if (status != CAIRO_STATUS_SUCCESS) {
        unlink(temporary);
        fprintf(stderr, "clcnn: cannot draw %s: %s\n", path, cairo_status_to_string(status));
        return false;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at text, or 0. */
static int utf8_sequence(const unsigned char *text)
{
    int length = text[0] < 0x80 ? 1 : (text[0] & 0xE0) == 0xC0 ? 2 : (text[0] & 0xF0) == 0xE0 ? 3
                                    : (text[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (length == 2 && text[0] < 0xC2)
        return 0; /* overlong */
    for (int i = 1; i < length; i++)
        if ((text[i] & 0xC0) != 0x80)
            return 0;
    return length;
}

/* Class names come from the user's files, in any encoding; cairo draws only UTF-8 and draws
 * nothing at all after one bad byte. Each byte that is not UTF-8 is drawn as U+FFFD. */
static void printable(const char *text, char *out, size_t size)
{
    size_t at = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c && at + 4 < size;) {
        int length = utf8_sequence(c);
        if (length) {
            memcpy(out + at, c, (size_t)length);
            c += length;
            at += (size_t)length;
        } else {
            memcpy(out + at, "\xef\xbf\xbd", 3);
            c++;
            at += 3;
        }
    }
    out[at] = '\0';
}

static void text_at(cairo_t *cr, double x, double y, double size, const char *raw,
                    double align_x, double align_y)
{
    char text[4 * 256];
    printable(raw, text, sizeof text);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    cairo_move_to(cr, x - extents.width * align_x - extents.x_bearing,
                  y - extents.height * align_y - extents.y_bearing);
    cairo_show_text(cr, text);
}

/* A label rotated to read upwards, centred at (x, y): the y axis's title. */
static void vertical_text_at(cairo_t *cr, double x, double y, double size, const char *text)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, 0, 0, size, text, 0.5, 0.5);
    cairo_restore(cr);
}

/* One series of the history: the training or the validation accuracy or loss of row i. */
static double metric(const clcnn_history_row *row, bool loss, bool validation)
{
    return loss ? (validation ? row->val_loss : row->loss)
                : (validation ? row->val_accuracy : row->accuracy);
}

/* The history plot of accuracy (the seed's) or of loss: train and validation per epoch. */
static bool draw_history(const char *path, const clcnn_history_row *history, int count, bool loss)
{
    const int width = 900, height = 600;
    const double left = 90, right = 30, top = 30, bottom = 80;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double low = INFINITY, high = -INFINITY;
    for (int i = 0; i < count; i++)
        for (int validation = 0; validation < 2; validation++) {
            double value = metric(&history[i], loss, validation);
            if (isfinite(value)) {
                low = fmin(low, value);
                high = fmax(high, value);
            }
        }
    if (!isfinite(low))
        low = 0, high = 1;
    /* accuracy on a 0.1 grid within [0, 1]; loss from 0 on a grid of about 5 ticks */
    const double tick_step = loss ? fmax(0.1, ceil(high * 2) / 10) : 0.1;
    low = loss ? 0 : fmax(0, floor(low * 10 - 0.5) / 10);
    high = loss ? ceil(high / tick_step + 0.5) * tick_step : fmin(1, ceil(high * 10 + 0.5) / 10);
    if (high <= low)
        high = low + 0.1;
    double plot_w = width - left - right, plot_h = height - top - bottom;
    double last_x = count > 1 ? count - 1 : 1;
#define X(e) (left + (e) / last_x * plot_w)
#define Y(a) (top + (1 - ((a) - low) / (high - low)) * plot_h)
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.5);
    cairo_rectangle(cr, left, top, plot_w, plot_h);
    cairo_stroke(cr);
    char label[32];
    for (double a = low; a <= high + 1e-9; a += tick_step) {
        cairo_move_to(cr, left - 6, Y(a));
        cairo_line_to(cr, left, Y(a));
        cairo_stroke(cr);
        snprintf(label, sizeof label, tick_step < 0.25 ? "%.1f" : "%.2g", a);
        text_at(cr, left - 10, Y(a), 18, label, 1.0, 0.5);
    }
    int tick = count > 12 ? 5 : count > 6 ? 2 : 1;
    for (int e = 0; e < count; e += tick) {
        cairo_move_to(cr, X(e), top + plot_h);
        cairo_line_to(cr, X(e), top + plot_h + 6);
        cairo_stroke(cr);
        snprintf(label, sizeof label, "%d", e);
        text_at(cr, X(e), top + plot_h + 12, 18, label, 0.5, 0.0);
    }
    text_at(cr, left + plot_w / 2, height - 12, 20, "epoch", 0.5, 1.0);
    vertical_text_at(cr, 24, top + plot_h / 2, 20, loss ? "loss" : "accuracy");
    const double colors[2][3] = {{0.12, 0.47, 0.71}, {1.0, 0.50, 0.05}}; /* matplotlib C0, C1 */
    const char *names[2] = {"train", "validation"};
    for (int series = 0; series < 2; series++) {
        cairo_set_source_rgb(cr, colors[series][0], colors[series][1], colors[series][2]);
        cairo_set_line_width(cr, 3);
        for (int e = 0; e < count; e++) {
            double a = metric(&history[e], loss, series);
            if (e == 0)
                cairo_move_to(cr, X(e), Y(a));
            else
                cairo_line_to(cr, X(e), Y(a));
        }
        if (count == 1)
            cairo_arc(cr, X(0), Y(metric(&history[0], loss, series)), 4, 0, 2 * M_PI);
        cairo_stroke(cr);
        /* legend where the curves are not: lower right for accuracy (the seed's), upper right
         * for loss */
        double legend_y = (loss ? top + 40 : top + plot_h - 70) + series * 32;
        cairo_move_to(cr, left + plot_w - 210, legend_y);
        cairo_line_to(cr, left + plot_w - 170, legend_y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, left + plot_w - 160, legend_y, 18, names[series], 0.0, 0.5);
    }
#undef X
#undef Y
    return save(cr, surface, path);
}

/* viridis, sampled at 11 points and interpolated */
static void viridis(double t, double rgb[3])
{
    static const double anchors[11][3] = {
        {0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530}, {0.207, 0.372, 0.553},
        {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551}, {0.135, 0.659, 0.518}, {0.267, 0.749, 0.441},
        {0.478, 0.821, 0.318}, {0.741, 0.873, 0.150}, {0.993, 0.906, 0.144}};
    t = fmin(fmax(t, 0.0), 1.0) * 10;
    int i = (int)t < 10 ? (int)t : 9;
    double f = t - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = anchors[i][k] * (1 - f) + anchors[i + 1][k] * f;
}

bool draw_confusion(const char *path, const clcnn_dataset *data, const int32_t *predictions)
{
    const int classes = data->classes;
    long *matrix = confusion_counts(data->test.labels, predictions, data->test.count, classes);
    if (!matrix) {
        fprintf(stderr, "clcnn: out of host memory drawing %s\n", path);
        return false;
    }
    /* 48-pixel cells for CIFAR-10's 10 classes; smaller ones, unlabelled past 20, for more */
    const int cell = classes <= 10 ? 48 : classes <= 20 ? 24 : 480 / classes > 4 ? 480 / classes : 4;
    const int left = 170, top = 60, size = cell * classes;
    const int width = left + size + 140, height = top + size + 150;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    for (int predicted = 0; predicted < classes; predicted++) {
        long column = 0;
        for (int truth = 0; truth < classes; truth++)
            column += matrix[truth * classes + predicted];
        for (int truth = 0; truth < classes; truth++) {
            double rgb[3];
            viridis(column ? (double)matrix[truth * classes + predicted] / column : 0.0, rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(cr, left + predicted * cell, top + truth * cell, cell, cell);
            cairo_fill(cr);
        }
    }
    free(matrix);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int k = 0; k < classes && classes <= 20; k++) {
        text_at(cr, left - 8, top + k * cell + cell / 2.0, 16, data->class_names[k], 1.0, 0.5);
        cairo_save(cr);
        cairo_translate(cr, left + k * cell + cell / 2.0, top + size + 8);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, 16, data->class_names[k], 1.0, 0.5);
        cairo_restore(cr);
    }
    text_at(cr, left + size / 2.0, height - 10, 18, "Predicted label", 0.5, 1.0);
    /* say how it is normalised: a reader's first question about a confusion figure */
    text_at(cr, left + size / 2.0, 30, 16, "Normalised by predicted class: each column sums to 1",
            0.5, 0.5);
    vertical_text_at(cr, 18, top + size / 2.0, 18, "True label");
    /* colour bar: the fraction of each predicted class that was truly this class */
    double bar_x = left + size + 30;
    for (int y = 0; y < size; y++) {
        double rgb[3];
        viridis(1.0 - (double)y / size, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, bar_x, top + y, 24, 1);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int k = 0; k <= 4; k++) {
        char label[8];
        snprintf(label, sizeof label, "%.2f", k / 4.0);
        text_at(cr, bar_x + 30, top + size * (1 - k / 4.0), 14, label, 0.0, 0.5);
    }
    return save(cr, surface, path);
}

static bool draw_samples(const char *path, const clcnn_dataset *data)
{
    const clcnn_images *images = &data->train;
    const int side = images->height > images->width ? images->height : images->width;
    const int scale = side >= 128 ? 1 : 128 / side, image = side * scale, pad = 14, label = 28;
    const int cell_w = image + 2 * pad, cell_h = image + label + pad;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 5 * cell_w, 5 * cell_h + pad);
    cairo_t *cr = cairo_create(surface);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_surface_flush(surface);
    for (int i = 0; i < 25 && i < data->train.count; i++) {
        const int h = images->height, w = images->width;
        cairo_surface_t *picture = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        unsigned char *pixels = cairo_image_surface_get_data(picture);
        int stride = cairo_image_surface_get_stride(picture);
        const size_t plane = (size_t)h * w;
        const uint8_t *planes = images->pixels + (size_t)i * images->channels * plane;
        /* planes R, G, B; one plane is grey */
        const size_t green = images->channels >= 3 ? plane : 0, blue = images->channels >= 3 ? 2 * plane : 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t at = (size_t)y * w + x;
                uint32_t rgb = (uint32_t)planes[at] << 16 | (uint32_t)planes[green + at] << 8 |
                               planes[blue + at];
                memcpy(pixels + y * stride + x * 4, &rgb, 4);
            }
        cairo_surface_mark_dirty(picture);
        double x0 = (i % 5) * cell_w + pad, y0 = (i / 5) * cell_h + pad;
        cairo_save(cr);
        cairo_translate(cr, x0, y0);
        cairo_scale(cr, scale, scale);
        cairo_set_source_surface(cr, picture, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(picture);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x0 + image / 2.0, y0 + image + 6, 16, data->class_names[data->train.labels[i]],
                0.5, 0.0);
    }
    return save(cr, surface, path);
}

void release_figure_caches(void)
{
    /* cairo and fontconfig keep font caches for the life of the process; a command that has
     * drawn its last figure returns them, so leak checkers see only clcnn's own memory */
    cairo_debug_reset_static_data();
    FcFini();
}

bool draw_figures(const char *folder, const clcnn_dataset *data, const clcnn_history_row *history,
                  int history_count, const int32_t *predictions)
{
    char accuracy[4200], loss[4200], samples[4200], confusion[4200];
    snprintf(accuracy, sizeof accuracy, "%s/accuracy.png", folder);
    snprintf(loss, sizeof loss, "%s/loss.png", folder);
    snprintf(samples, sizeof samples, "%s/samples.png", folder);
    snprintf(confusion, sizeof confusion, "%s/confusion.png", folder);
    return draw_history(accuracy, history, history_count, false) &&
           draw_history(loss, history, history_count, true) && draw_samples(samples, data) &&
           (!predictions || draw_confusion(confusion, data, predictions));
}
