/* Run-time compilation of cl/ programs for the context's device, through the binary cache.
 *
 * Options are conservative and portable: OpenCL C 1.2, no fast-relaxed-math, plus -D
 * tuning defines. The source is passed exactly as the .cl file holds it, so the line numbers
 * in a build log are that file's (a `#line` prefix would name the file too, but Oclgrind
 * ignores it and every line would be off by one); the error message names the file. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static clcnn_status read_file(const char *path, char **text, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return clcnn_fail(CLCNN_ERROR_IO, "cannot open kernel source %s: %s", path, strerror(errno));
    char *buffer = NULL;
    size_t used = 0, capacity = 0;
    for (;;) {
        if (used + 4096 + 1 > capacity) {
            capacity = capacity ? capacity * 2 : 65536;
            char *grown = realloc(buffer, capacity);
            if (!grown) {
                free(buffer);
                fclose(file);
                return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory reading %s", path);
            }
            buffer = grown;
        }
        size_t got = fread(buffer + used, 1, 4096, file);
        used += got;
        if (got < 4096)
            break;
    }
    bool failed = ferror(file) != 0;
    fclose(file);
    if (failed) {
        free(buffer);
        return clcnn_fail(CLCNN_ERROR_IO, "error reading kernel source %s", path);
    }
    buffer[used] = '\0';
    *text = buffer;
    *length = used;
    return CLCNN_OK;
}

clcnn_status clcnn_kernel_source(const char *name, char **source, size_t *length)
{
    const char *directory = getenv("CLCNN_KERNEL_DIR");
    if (directory && *directory) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", directory, name);
        return read_file(path, source, length);
    }
    for (size_t i = 0; i < clcnn_embedded_kernel_count; i++) {
        if (strcmp(clcnn_embedded_kernels[i].name, name) != 0)
            continue;
        *length = clcnn_embedded_kernels[i].length;
        *source = malloc(*length + 1);
        if (!*source)
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory copying %s", name);
        memcpy(*source, clcnn_embedded_kernels[i].bytes, *length);
        (*source)[*length] = '\0';
        return CLCNN_OK;
    }
    return clcnn_fail(CLCNN_ERROR_BUILD, "no kernel source named %s is embedded in this build",
                      name);
}

static clcnn_status build_failure(clcnn_context *context, cl_program program, const char *name,
                                  cl_int code)
{
    size_t log_size = 0;
    clGetProgramBuildInfo(program, context->device_id, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = malloc(log_size + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(program, context->device_id, CL_PROGRAM_BUILD_LOG, log_size, log,
                              NULL);
        log[log_size] = '\0';
    }
    clcnn_status status = clcnn_fail(
        CLCNN_ERROR_BUILD, "building kernel program %s for device '%s' (%s, driver %s) failed "
        "with %s; build log:\n%s",
        name, context->device.name, context->device.platform, context->device.driver_version,
        clcnn_status_name(code), log && log[0] ? log : "(the driver gave no log)");
    free(log);
    return status;
}

/* Forces compilation of every kernel (lazy drivers compile at clCreateKernel), then frees them:
 * the caller creates the kernels it keeps. */
static clcnn_status create_all_kernels(clcnn_context *context, cl_program program)
{
    cl_uint count = 0;
    CLCNN_CL_CHECK(context, clCreateKernelsInProgram(program, 0, NULL, &count));
    if (count == 0)
        return CLCNN_OK;
    cl_kernel *kernels = calloc(count, sizeof *kernels);
    if (!kernels)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating kernels");
    cl_int code = clCreateKernelsInProgram(program, count, kernels, NULL);
    for (cl_uint i = 0; code == CL_SUCCESS && i < count; i++)
        clReleaseKernel(kernels[i]);
    free(kernels);
    CLCNN_CL_CHECK(context, code);
    return CLCNN_OK;
}

static void store_binary(cl_program program, const char *key)
{
    size_t size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *binary = malloc(size);
    if (!binary)
        return;
    /* Not an error (the program is built and works), but every later run would compile again,
     * for seconds each time, with no sign of why: said once per process. */
    static atomic_bool warned;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) == CL_SUCCESS &&
        clcnn_cache_store(key, binary, size) != CLCNN_OK && !atomic_exchange(&warned, true))
        fprintf(stderr, "clcnn: warning: the program cache is not writable (%s); every run will "
                        "compile its kernels again. Set CLCNN_CACHE_DIR to a writable folder, or "
                        "CLCNN_CACHE=0 to turn the cache off.\n", clcnn_last_error());
    free(binary);
}

/* A program from a cached binary, or NULL (with the entry counted as rejected when it was
 * there but unusable). */
static cl_program program_from_cache(clcnn_context *context, const char *key, const char *name,
                                     const char *options)
{
    unsigned char *binary = NULL;
    size_t length = 0;
    bool rejected = false;
    if (clcnn_cache_load(key, &binary, &length, &rejected) != CLCNN_OK || !binary) {
        context->stats.cache_rejected += rejected;
        return NULL;
    }
    cl_int binary_status = CL_SUCCESS, code = CL_SUCCESS;
    const unsigned char *binaries[] = {binary};
    cl_program program = clCreateProgramWithBinary(context->cl, 1, &context->device_id, &length,
                                                   binaries, &binary_status, &code);
    free(binary);
    if (code == CL_SUCCESS && binary_status == CL_SUCCESS)
        code = clBuildProgram(program, 1, &context->device_id, options, NULL, NULL);
    if (code == CL_SUCCESS && binary_status == CL_SUCCESS)
        return program;
    if (program)
        clReleaseProgram(program);
    context->stats.cache_rejected++;
    if (getenv("CLCNN_VERBOSE"))
        fprintf(stderr, "clcnn: cached binary of %s rejected by the driver; rebuilding\n", name);
    return NULL;
}

clcnn_status clcnn_program_build(clcnn_context *context, const char *name, const char *source,
                                 size_t source_length, const char *extra_options,
                                 cl_program *out)
{
    double start = now_seconds();
    char options[1024];
    snprintf(options, sizeof options, "-cl-std=CL1.2 %s", extra_options ? extra_options : "");
    char key[2048];
    clcnn_cache_key(context, source, source_length, options, key, sizeof key);
    bool use_cache = clcnn_cache_dir() != NULL;

    cl_program program = use_cache ? program_from_cache(context, key, name, options) : NULL;
    bool from_source = program == NULL;
    if (program) {
        context->stats.loaded_from_cache++;
        if (getenv("CLCNN_VERBOSE"))
            fprintf(stderr, "clcnn: %s loaded from the program cache\n", name);
    } else {
        cl_int code = CL_SUCCESS;
        program = clCreateProgramWithSource(context->cl, 1, &source, &source_length, &code);
        CLCNN_CL_CHECK(context, code);
        code = clBuildProgram(program, 1, &context->device_id, options, NULL, NULL);
        if (code != CL_SUCCESS) {
            clcnn_status status = build_failure(context, program, name, code);
            clReleaseProgram(program);
            return status;
        }
        context->stats.built_from_source++;
        if (getenv("CLCNN_VERBOSE"))
            fprintf(stderr, "clcnn: %s built from source\n", name);
    }
    clcnn_status status = create_all_kernels(context, program);
    if (status != CLCNN_OK) {
        clReleaseProgram(program);
        return status;
    }
    if (use_cache && from_source)
        store_binary(program, key);
    context->stats.build_seconds += now_seconds() - start;
    *out = program;
    return CLCNN_OK;
}
