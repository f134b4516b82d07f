/* The context: one device, one in-order queue, its programs, kernels and scratch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

clcnn_status clcnn_device_handles(const clcnn_device_info *info, cl_platform_id *platform,
                                  cl_device_id *device);

static void CL_CALLBACK on_context_notify(const char *message, const void *private_info,
                                          size_t private_size, void *user_data)
{
    (void)private_info;
    (void)private_size;
    clcnn_context *context = user_data;
    if (!context)
        return; /* Oclgrind 21.10 calls back with user_data == NULL */
    pthread_mutex_lock(&context->notify_lock);
    snprintf(context->notify_message, sizeof context->notify_message, "%s", message);
    pthread_mutex_unlock(&context->notify_lock);
}

static size_t largest_power_of_two_at_most(size_t limit)
{
    size_t size = 1;
    while (size * 2 <= limit)
        size *= 2;
    return size;
}

static clcnn_status open_device(clcnn_context *context, const clcnn_context_options *options)
{
    CLCNN_TRY(clcnn_device_handles(&context->device, &context->platform_id, &context->device_id));
    cl_context_properties properties[] = {CL_CONTEXT_PLATFORM,
                                          (cl_context_properties)context->platform_id, 0};
    cl_int code = CL_SUCCESS;
    context->cl = clCreateContext(properties, 1, &context->device_id, on_context_notify, context,
                                  &code);
    CLCNN_CL_CHECK(context, code);
    context->tracing = options && options->trace;
    context->profiling = context->tracing || (options && options->profiling);
    cl_command_queue_properties queue_properties =
        context->profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
    context->queue = clCreateCommandQueue(context->cl, context->device_id, queue_properties, &code);
    CLCNN_CL_CHECK(context, code);
    size_t limit = context->device.max_work_group_size;
    if (limit > CLCNN_REDUCE_WG_MAX)
        limit = CLCNN_REDUCE_WG_MAX;
    context->reduce_work_group = largest_power_of_two_at_most(limit ? limit : 1);
    clcnn_tuning_load(context);
    return CLCNN_OK;
}

clcnn_status clcnn_context_create(const char *spec, const clcnn_context_options *options,
                                  clcnn_context **out)
{
    *out = NULL;
    clcnn_context *context = calloc(1, sizeof *context);
    if (!context)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating a context");
    pthread_mutex_init(&context->notify_lock, NULL);
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++)
        context->forced_variant[op] = context->tuned_variant[op] = -1;

    if (spec && !strcasecmp(spec, "ref")) {
        context->reference = true;
        context->tracing = options && options->trace; /* host spans only: there is no queue */
        context->device = clcnn_reference_device_info();
        *out = context;
        return CLCNN_OK;
    }
    clcnn_device_info *devices = NULL;
    int count = 0, chosen = 0;
    clcnn_status status = clcnn_list_devices(&devices, &count);
    if (status == CLCNN_OK)
        status = clcnn_select_device(spec, devices, count, &chosen);
    if (status == CLCNN_OK) {
        context->device = devices[chosen];
        status = open_device(context, options);
    }
    free(devices);
    if (status != CLCNN_OK) {
        clcnn_context_destroy(context);
        return status;
    }
    *out = context;
    return CLCNN_OK;
}

void clcnn_context_destroy(clcnn_context *context)
{
    if (!context)
        return;
    clcnn_profile_free(context);
    for (int i = 0; i < CLCNN_KERNEL_COUNT; i++)
        if (context->kernels[i])
            clReleaseKernel(context->kernels[i]);
    for (int i = 0; i < CLCNN_PROGRAM_COUNT; i++)
        if (context->programs[i])
            clReleaseProgram(context->programs[i]);
    if (context->gemm_temp)
        clReleaseMemObject(context->gemm_temp);
    for (int i = 0; i < CLCNN_SCRATCH_SLOTS; i++)
        if (context->scratch[i])
            clReleaseMemObject(context->scratch[i]);
    if (context->queue)
        clReleaseCommandQueue(context->queue);
    if (context->cl)
        clReleaseContext(context->cl);
    pthread_mutex_destroy(&context->notify_lock);
    free(context);
}

const clcnn_device_info *clcnn_context_device(const clcnn_context *context)
{
    return &context->device;
}

clcnn_build_stats clcnn_context_build_stats(const clcnn_context *context) { return context->stats; }

uint64_t clcnn_context_host_syncs(const clcnn_context *context) { return context->host_syncs; }

clcnn_status clcnn_context_finish(clcnn_context *context)
{
    if (context->reference)
        return CLCNN_OK;
    context->host_syncs++;
    CLCNN_CL_CHECK(context, clFinish(context->queue));
    return CLCNN_OK;
}

static const char *const program_files[CLCNN_PROGRAM_COUNT] = {
#define FILE_OF(id, file, family) file,
    CLCNN_PROGRAMS(FILE_OF)
#undef FILE_OF
};

static const struct {
    clcnn_program_id program;
    const char *name;
} kernel_table[CLCNN_KERNEL_COUNT] = {
#define ENTRY(id, program, name, tuned_by) {CLCNN_PROGRAM_##program, name},
    CLCNN_KERNELS(ENTRY)
#undef ENTRY
};

static const struct {
    clcnn_program_id program;
    const char *name;
} block_table[CLCNN_BLOCK_COUNT] = {
#define ENTRY(name, program) {CLCNN_PROGRAM_##program, #name},
    CLCNN_BLOCKS(ENTRY)
#undef ENTRY
};

/* The value of the line `#define <name> <value>` in source; false when there is none. */
static bool read_default(const char *source, const char *name, int *value)
{
    const size_t length = strlen(name);
    for (const char *at = strstr(source, "#define "); at; at = strstr(at + 1, "#define ")) {
        const char *rest = at + strlen("#define ");
        if (strncmp(rest, name, length) != 0 || rest[length] != ' ')
            continue;
        char *end = NULL;
        long parsed = strtol(rest + length, &end, 10);
        if (end == rest + length || parsed < 1 || parsed > 4096)
            return false;
        *value = (int)parsed;
        return true;
    }
    return false;
}

/* Reads the defaults of every block parameter of the program not yet known. */
static clcnn_status read_blocks(clcnn_context *context, clcnn_program_id program,
                                const char *source)
{
    for (int i = 0; i < CLCNN_BLOCK_COUNT; i++)
        if (block_table[i].program == program && context->blocks[i] == 0 &&
            !read_default(source, block_table[i].name, &context->blocks[i]))
            return clcnn_fail(CLCNN_ERROR_BUILD,
                              "kernel source %s has no default for its block parameter %s "
                              "(expected a line `#define %s <1..4096>`)",
                              program_files[program], block_table[i].name, block_table[i].name);
    return CLCNN_OK;
}

const char *clcnn_block_name(clcnn_block_id id) { return block_table[id].name; }

void clcnn_program_forget(clcnn_context *context, clcnn_program_id program)
{
    for (int k = 0; k < CLCNN_KERNEL_COUNT; k++)
        if (kernel_table[k].program == program && context->kernels[k]) {
            clReleaseKernel(context->kernels[k]);
            context->kernels[k] = NULL;
        }
    if (context->programs[program])
        clReleaseProgram(context->programs[program]);
    context->programs[program] = NULL;
}

clcnn_status clcnn_block(clcnn_context *context, clcnn_block_id id, int *value)
{
    if (context->blocks[id] == 0) {
        char *source = NULL;
        size_t length = 0;
        CLCNN_TRY(clcnn_kernel_source(program_files[block_table[id].program], &source, &length));
        clcnn_status status = read_blocks(context, block_table[id].program, source);
        free(source);
        CLCNN_TRY(status);
    }
    *value = context->blocks[id];
    return CLCNN_OK;
}

/* Builds a program and creates all its kernels before the binary is cached (inside
 * clcnn_program_build), since some drivers compile only when a kernel is created. */
static clcnn_status load_program(clcnn_context *context, clcnn_program_id program)
{
    char *source = NULL;
    size_t length = 0;
    CLCNN_TRY(clcnn_kernel_source(program_files[program], &source, &length));
    clcnn_status status = read_blocks(context, program, source);
    char options[512];
    int used = snprintf(options, sizeof options, "-DREDUCE_WG=%zu", context->reduce_work_group);
    for (int i = 0; i < CLCNN_BLOCK_COUNT; i++)
        if (block_table[i].program == program)
            used += snprintf(options + used, sizeof options - (size_t)used, " -D%s=%d",
                             block_table[i].name, context->blocks[i]);
    if (status == CLCNN_OK)
        status = clcnn_program_build(context, program_files[program], source, length, options,
                                     &context->programs[program]);
    free(source);
    CLCNN_TRY(status);
    for (int k = 0; k < CLCNN_KERNEL_COUNT; k++) {
        if (kernel_table[k].program != program)
            continue;
        cl_int code = CL_SUCCESS;
        context->kernels[k] = clCreateKernel(context->programs[program], kernel_table[k].name, &code);
        if (code != CL_SUCCESS)
            return clcnn_fail_cl(context, code, "clCreateKernel", __FILE__, __LINE__);
    }
    return CLCNN_OK;
}

clcnn_status clcnn_kernel(clcnn_context *context, clcnn_kernel_id id, cl_kernel *kernel)
{
    if (!context->kernels[id])
        CLCNN_TRY(load_program(context, kernel_table[id].program));
    *kernel = context->kernels[id];
    return CLCNN_OK;
}

clcnn_status clcnn_context_build_all(clcnn_context *context)
{
    if (context->reference)
        return CLCNN_OK;
    for (int p = 0; p < CLCNN_PROGRAM_COUNT; p++)
        if (!context->programs[p])
            CLCNN_TRY(load_program(context, (clcnn_program_id)p));
    return CLCNN_OK;
}

clcnn_status clcnn_scratch(clcnn_context *context, int slot, size_t bytes, cl_mem *buffer)
{
    if (bytes > context->scratch_bytes[slot]) {
        clcnn_buffer grown;
        CLCNN_TRY(clcnn_buffer_create(context, bytes, &grown));
        /* commands already queued on the old buffer keep it alive until they finish */
        if (context->scratch[slot])
            clReleaseMemObject(context->scratch[slot]);
        context->scratch[slot] = grown.mem;
        context->scratch_bytes[slot] = bytes;
    }
    *buffer = context->scratch[slot];
    return CLCNN_OK;
}
