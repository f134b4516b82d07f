/* Per-device tuning of work-group sizes (include/clcnn/tune.h). The winners are stored as a
 * small text entry in the program cache ("conv2d_3x3_work_group 128" a line), under a key of
 * the device, driver, platform and clcnn version, so they get the cache's atomic writes,
 * checksum and whole-key check for free. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define TUNING_FORMAT_VERSION 1
#define DEFAULT_WORK_GROUP 64

typedef struct parameter {
    const char *name;
    const char *families; /* the check cases whose time it changes */
    size_t offset;        /* of its field in clcnn_tuning */
    int smallest, largest;
} parameter;

static const parameter parameters[] = {
    {"conv2d_3x3_work_group", "conv2d", offsetof(clcnn_tuning, conv2d_3x3_work_group), 16, 256},
    {"elementwise_work_group", "activation add dropout optimizers",
     offsetof(clcnn_tuning, elementwise_work_group), 16, 256},
    {"planes_work_group", "maxpool2d", offsetof(clcnn_tuning, planes_work_group), 32, 1024},
};
#define PARAMETER_COUNT (sizeof parameters / sizeof parameters[0])

static int *field(clcnn_tuning *tuning, const parameter *p)
{
    return (int *)((char *)tuning + p->offset);
}

/* The largest power of two the device accepts as a work-group. */
static int device_limit(const clcnn_context *context)
{
    size_t limit = context->device.max_work_group_size;
    int size = 1;
    while ((size_t)size * 2 <= limit && size < 1024)
        size *= 2;
    return size;
}

static void tuning_key(const clcnn_context *context, char *key, size_t size)
{
    snprintf(key, size, "clcnn tuning format %u\nclcnn %s\ndevice %s\nvendor %s\ndriver %s\nplatform %s\n",
             TUNING_FORMAT_VERSION, CLCNN_VERSION_STRING, context->device.name,
             context->device.vendor, context->device.driver_version,
             context->device.platform_version);
}

/* Every parameter once, each a power of two the device accepts; anything else is refused. */
static bool parse_tuning(const unsigned char *bytes, size_t length, int limit, clcnn_tuning *out)
{
    char *text = malloc(length + 1);
    if (!text)
        return false;
    memcpy(text, bytes, length);
    text[length] = '\0';
    bool seen[PARAMETER_COUNT] = {false}, valid = true;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && valid; line = strtok_r(NULL, "\n", &save)) {
        char name[64];
        int value = 0;
        valid = sscanf(line, "%63s %d", name, &value) == 2 && value >= 1 && value <= limit &&
                (value & (value - 1)) == 0;
        size_t i = 0;
        while (valid && i < PARAMETER_COUNT && strcmp(parameters[i].name, name) != 0)
            i++;
        valid = valid && i < PARAMETER_COUNT && !seen[i];
        if (valid) {
            seen[i] = true;
            *field(out, &parameters[i]) = value;
        }
    }
    for (size_t i = 0; i < PARAMETER_COUNT; i++)
        valid = valid && seen[i];
    free(text);
    return valid;
}

void clcnn_tuning_load(clcnn_context *context)
{
    int limit = device_limit(context);
    int fallback = DEFAULT_WORK_GROUP < limit ? DEFAULT_WORK_GROUP : limit;
    context->tuning = (clcnn_tuning_state){{fallback, fallback, fallback}, false};
    char key[2048];
    tuning_key(context, key, sizeof key);
    unsigned char *stored = NULL;
    size_t length = 0;
    bool rejected = false;
    if (clcnn_cache_load(key, &stored, &length, &rejected) != CLCNN_OK || !stored)
        return;
    clcnn_tuning values = context->tuning.values;
    if (parse_tuning(stored, length, limit, &values))
        context->tuning = (clcnn_tuning_state){values, true};
    free(stored);
}

clcnn_tuning clcnn_context_tuning(const clcnn_context *context, bool *from_store)
{
    if (from_store)
        *from_store = context->tuning.from_store;
    return context->tuning.values;
}

/* Sums the median device time of the rows into *user_data (a double, milliseconds). */
static void add_row(const clcnn_check_row *row, void *user_data)
{
    *(double *)user_data += row->device_ms;
}

clcnn_status clcnn_tune(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                        clcnn_tune_callback callback, void *user_data, clcnn_tuning *winners)
{
    if (context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "tune: the reference path has no work-groups to tune; pick an OpenCL device");
    CLCNN_TRY(clcnn_context_build_all(context));
    const clcnn_tuning_state saved = context->tuning;
    const int limit = device_limit(context);
    clcnn_tuning best = saved.values;
    for (size_t i = 0; i < PARAMETER_COUNT; i++) {
        const parameter *p = &parameters[i];
        double best_milliseconds = INFINITY;
        int best_value = 0;
        for (int value = p->smallest; value <= p->largest && value <= limit; value *= 2) {
            context->tuning.values = best;
            *field(&context->tuning.values, p) = value;
            double milliseconds = 0.0;
            int failures = 0;
            clcnn_status status = clcnn_check_families(context, shapes, p->families, 1, runs,
                                                       add_row, &milliseconds, &failures);
            if (status != CLCNN_OK) {
                context->tuning = saved;
                return status;
            }
            clcnn_tune_row row = {.value = value, .milliseconds = milliseconds,
                                  .passed = failures == 0};
            snprintf(row.parameter, sizeof row.parameter, "%s", p->name);
            if (callback)
                callback(&row, user_data);
            if (row.passed && row.milliseconds < best_milliseconds) {
                best_milliseconds = row.milliseconds;
                best_value = value;
            }
        }
        if (best_value == 0) {
            context->tuning = saved;
            return clcnn_fail(CLCNN_ERROR_NUMERIC,
                              "tune: no candidate for %s passed the cross-check on %s; nothing "
                              "was stored (run `clcnn check` on this device)",
                              p->name, context->device.name);
        }
        *field(&best, p) = best_value;
    }
    char text[512] = "", key[2048];
    for (size_t i = 0; i < PARAMETER_COUNT; i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s %d\n", parameters[i].name,
                 *field(&best, &parameters[i]));
    }
    tuning_key(context, key, sizeof key);
    context->tuning = (clcnn_tuning_state){best, false};
    CLCNN_TRY(clcnn_cache_store(key, (const unsigned char *)text, strlen(text)));
    context->tuning.from_store = clcnn_cache_dir() != NULL;
    *winners = best;
    return CLCNN_OK;
}
