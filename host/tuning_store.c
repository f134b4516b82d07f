/* The tuning store (include/clcnn/tune.h): the work-group sizes a context uses, their
 * defaults from the device's limits, and the winners of `clcnn tune` stored as a small text
 * entry in the program cache ("conv2d_3x3_work_group 128" a line), under a key of the device,
 * driver, platform and clcnn version, so they get the cache's atomic writes, checksum and
 * whole-key check for free. It sits below the context, which loads it; the tuner
 * (host/tune.c) sits above the cross-check, which times its candidates. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define TUNING_FORMAT_VERSION 2
#define DEFAULT_WORK_GROUP 64

const clcnn_tuning_parameter clcnn_tuning_parameters[CLCNN_TUNING_PARAMETERS] = {
    {"conv2d_3x3_work_group", CLCNN_TUNED_BY_CONV2D_3X3,
     offsetof(clcnn_tuning, conv2d_3x3_work_group), 16, 256},
    {"elementwise_work_group", CLCNN_TUNED_BY_ELEMENTWISE,
     offsetof(clcnn_tuning, elementwise_work_group), 16, 256},
    {"planes_work_group", CLCNN_TUNED_BY_PLANES, offsetof(clcnn_tuning, planes_work_group), 32,
     1024},
};

static const char *const program_families[CLCNN_PROGRAM_COUNT] = {
#define FAMILY_OF(id, file, family) family,
    CLCNN_PROGRAMS(FAMILY_OF)
#undef FAMILY_OF
};

static const struct {
    clcnn_program_id program;
    clcnn_tuned_by tuned_by;
} kernel_parameters[CLCNN_KERNEL_COUNT] = {
#define PARAMETER_OF(id, program, name, tuned_by) {CLCNN_PROGRAM_##program, CLCNN_TUNED_BY_##tuned_by},
    CLCNN_KERNELS(PARAMETER_OF)
#undef PARAMETER_OF
};

void clcnn_tuning_families(const clcnn_tuning_parameter *parameter, char *families, size_t size)
{
    families[0] = '\0';
    for (int k = 0; k < CLCNN_KERNEL_COUNT; k++) {
        if (kernel_parameters[k].tuned_by != parameter->tuned_by)
            continue;
        const char *family = program_families[kernel_parameters[k].program];
        bool listed = false;
        for (const char *at = families; *at && !listed; at += strcspn(at, " "), at += strspn(at, " "))
            listed = strcspn(at, " ") == strlen(family) && !strncmp(at, family, strlen(family));
        size_t used = strlen(families);
        if (!listed)
            snprintf(families + used, size - used, "%s%s", used ? " " : "", family);
    }
}

int *clcnn_tuning_field(clcnn_tuning *tuning, const clcnn_tuning_parameter *p)
{
    return (int *)((char *)tuning + p->offset);
}

int clcnn_tuning_limit(const clcnn_context *context)
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

/* The store's name of a variant op: "conv2d forward" -> "conv2d_forward". */
static void variant_key(clcnn_variant_op op, char *key, size_t size)
{
    snprintf(key, size, "%s", clcnn_variant_op_name(op));
    for (char *c = key; *c; c++)
        if (*c == ' ')
            *c = '_';
}

/* Lines "<parameter> <value>": every parameter once, each a power of two the device accepts;
 * then lines "variant <op> <name>" for the ops whose variant tune chose, and "block <NAME>
 * <value>" for block parameters it chose. Anything else is refused. */
static bool parse_tuning(const unsigned char *bytes, size_t length, int limit, clcnn_tuning *out,
                         int variants[CLCNN_VARIANT_OP_COUNT], int blocks[CLCNN_BLOCK_COUNT],
                         char *xgemm, size_t xgemm_size)
{
    char *text = malloc(length + 1);
    if (!text)
        return false;
    memcpy(text, bytes, length);
    text[length] = '\0';
    bool seen[CLCNN_TUNING_PARAMETERS] = {false}, valid = true;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && valid; line = strtok_r(NULL, "\n", &save)) {
        char name[64], variant[64];
        int value = 0;
        if (!strncmp(line, "clblast_xgemm ", strlen("clblast_xgemm "))) {
            valid = xgemm[0] == '\0' && strlen(line) < xgemm_size + strlen("clblast_xgemm ");
            if (valid)
                snprintf(xgemm, xgemm_size, "%s", line + strlen("clblast_xgemm "));
            continue;
        }
        if (sscanf(line, "block %63s %d", name, &value) == 2) {
            int id = 0;
            while (id < CLCNN_BLOCK_COUNT && strcmp(clcnn_block_name((clcnn_block_id)id), name))
                id++;
            valid = id < CLCNN_BLOCK_COUNT && blocks[id] == 0 && value >= 1 && value <= 4096;
            if (valid)
                blocks[id] = value;
            continue;
        }
        if (sscanf(line, "variant %63s %63s", name, variant) == 2) {
            int op = 0, index = -1;
            for (char key[64]; op < CLCNN_VARIANT_OP_COUNT; op++) {
                variant_key((clcnn_variant_op)op, key, sizeof key);
                if (!strcmp(key, name))
                    break;
            }
            for (int v = 0; op < CLCNN_VARIANT_OP_COUNT && v < clcnn_variant_count((clcnn_variant_op)op); v++)
                if (!strcmp(clcnn_variant_at((clcnn_variant_op)op, v)->name, variant))
                    index = v;
            valid = index >= 0 && variants[op] < 0;
            if (valid)
                variants[op] = index;
            continue;
        }
        valid = sscanf(line, "%63s %d", name, &value) == 2 && value >= 1 && value <= limit &&
                (value & (value - 1)) == 0;
        size_t i = 0;
        while (valid && i < CLCNN_TUNING_PARAMETERS && strcmp(clcnn_tuning_parameters[i].name, name) != 0)
            i++;
        valid = valid && i < CLCNN_TUNING_PARAMETERS && !seen[i];
        if (valid) {
            seen[i] = true;
            *clcnn_tuning_field(out, &clcnn_tuning_parameters[i]) = value;
        }
    }
    for (size_t i = 0; i < CLCNN_TUNING_PARAMETERS; i++)
        valid = valid && seen[i];
    free(text);
    return valid;
}

void clcnn_tuning_load(clcnn_context *context)
{
    int limit = clcnn_tuning_limit(context);
    int fallback = DEFAULT_WORK_GROUP < limit ? DEFAULT_WORK_GROUP : limit;
    context->tuning = (clcnn_tuning_state){{fallback, fallback, fallback}, false};
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++)
        context->tuned_variant[op] = -1;
    memset(context->blocks, 0, sizeof context->blocks);
    context->blocks_tuned = false;
    context->clblast_xgemm[0] = '\0';
    char key[2048];
    tuning_key(context, key, sizeof key);
    unsigned char *stored = NULL;
    size_t length = 0;
    bool rejected = false;
    if (clcnn_cache_load(key, &stored, &length, &rejected) != CLCNN_OK || !stored)
        return;
    clcnn_tuning values = context->tuning.values;
    int variants[CLCNN_VARIANT_OP_COUNT], blocks[CLCNN_BLOCK_COUNT] = {0};
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++)
        variants[op] = -1;
    char xgemm[sizeof context->clblast_xgemm] = "";
    if (parse_tuning(stored, length, limit, &values, variants, blocks, xgemm, sizeof xgemm)) {
        context->tuning = (clcnn_tuning_state){values, true};
        memcpy(context->tuned_variant, variants, sizeof variants);
        memcpy(context->blocks, blocks, sizeof blocks);
        for (int id = 0; id < CLCNN_BLOCK_COUNT; id++)
            context->blocks_tuned = context->blocks_tuned || blocks[id] != 0;
        /* CLBlast keeps overrides per device for the process: a refused entry is ignored */
        if (xgemm[0] && clcnn_clblast_override(context, xgemm) == CLCNN_OK)
            snprintf(context->clblast_xgemm, sizeof context->clblast_xgemm, "%s", xgemm);
    }
    free(stored);
}

clcnn_tuning clcnn_context_tuning(const clcnn_context *context, bool *from_store)
{
    if (from_store)
        *from_store = context->tuning.from_store;
    return context->tuning.values;
}

clcnn_status clcnn_tuning_save(clcnn_context *context, const clcnn_tuning *winners)
{
    char text[4096] = "", key[2048];
    for (size_t i = 0; i < CLCNN_TUNING_PARAMETERS; i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s %d\n", clcnn_tuning_parameters[i].name,
                 *clcnn_tuning_field((clcnn_tuning *)winners, &clcnn_tuning_parameters[i]));
    }
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++) {
        if (context->tuned_variant[op] < 0)
            continue;
        char name[64];
        variant_key((clcnn_variant_op)op, name, sizeof name);
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "variant %s %s\n", name,
                 clcnn_variant_at((clcnn_variant_op)op, context->tuned_variant[op])->name);
    }
    if (context->clblast_xgemm[0]) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "clblast_xgemm %s\n", context->clblast_xgemm);
    }
    for (int id = 0; context->blocks_tuned && id < CLCNN_BLOCK_COUNT; id++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "block %s %d\n",
                 clcnn_block_name((clcnn_block_id)id), context->blocks[id]);
    }
    tuning_key(context, key, sizeof key);
    context->tuning = (clcnn_tuning_state){*winners, false};
    CLCNN_TRY(clcnn_cache_store(key, (const unsigned char *)text, strlen(text)));
    context->tuning.from_store = clcnn_cache_dir() != NULL;
    return CLCNN_OK;
}

clcnn_status clcnn_tuning_reset(clcnn_context *context)
{
    if (context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "tune: the reference path has nothing stored; pick an OpenCL device");
    char key[2048], path[4096];
    tuning_key(context, key, sizeof key);
    clcnn_cache_entry_path(key, path, sizeof path);
    if (clcnn_cache_dir() && unlink(path) != 0 && errno != ENOENT)
        return clcnn_fail(CLCNN_ERROR_IO, "tune: cannot remove the stored tuning %s: %s", path,
                          strerror(errno));
    clcnn_tuning_load(context);
    clcnn_program_forget(context, CLCNN_PROGRAM_CONV2D_TILED); /* built with the old blocks */
    return CLCNN_OK;
}

clcnn_status clcnn_tuning_store_clblast(clcnn_context *context, const char *parameters)
{
    if (context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "tune: the reference path has no CLBlast; pick an OpenCL device");
    if (strlen(parameters) >= sizeof context->clblast_xgemm)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "tune: CLBlast parameters too long: %s",
                          parameters);
    CLCNN_TRY(clcnn_clblast_override(context, parameters));
    snprintf(context->clblast_xgemm, sizeof context->clblast_xgemm, "%s", parameters);
    return clcnn_tuning_save(context, &context->tuning.values);
}
