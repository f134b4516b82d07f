/* Device buffers (host memory on the reference path) and kernel launch helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

clcnn_status clcnn_buffer_create(clcnn_context *context, size_t bytes, clcnn_buffer *buffer)
{
    memset(buffer, 0, sizeof *buffer);
    if (bytes == 0)
        bytes = sizeof(float); /* OpenCL rejects empty buffers; keep one element */
    if (context->reference) {
        buffer->host = calloc(1, bytes);
        if (!buffer->host)
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory allocating %zu bytes",
                              bytes);
        buffer->bytes = bytes;
        return CLCNN_OK;
    }
    const clcnn_device_info *device = &context->device;
    if ((uint64_t)bytes > device->max_alloc_bytes)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION,
                          "a buffer of %zu bytes (%.1f MiB) exceeds the largest allocation "
                          "device '%s' allows, %llu bytes (%.1f MiB; global memory %.1f MiB)",
                          bytes, bytes / 1048576.0, device->name,
                          (unsigned long long)device->max_alloc_bytes,
                          device->max_alloc_bytes / 1048576.0,
                          device->global_mem_bytes / 1048576.0);
    cl_int code = CL_SUCCESS;
    buffer->mem = clCreateBuffer(context->cl, CL_MEM_READ_WRITE, bytes, NULL, &code);
    if (code != CL_SUCCESS)
        return clcnn_fail_cl(context, code, "clCreateBuffer", __FILE__, __LINE__);
    buffer->bytes = bytes;
    const cl_uchar zero = 0;
    code = clEnqueueFillBuffer(context->queue, buffer->mem, &zero, sizeof zero, 0, bytes, 0, NULL,
                               NULL);
    if (code != CL_SUCCESS) {
        clcnn_status status = clcnn_fail_cl(context, code, "clEnqueueFillBuffer", __FILE__, __LINE__);
        clcnn_buffer_release(buffer);
        return status;
    }
    return CLCNN_OK;
}

void clcnn_buffer_release(clcnn_buffer *buffer)
{
    if (buffer->mem)
        clReleaseMemObject(buffer->mem);
    if (!buffer->view)
        free(buffer->host);
    memset(buffer, 0, sizeof *buffer);
}

static clcnn_status check_range(const clcnn_buffer *buffer, size_t offset, size_t bytes,
                                const char *what)
{
    if (offset > buffer->bytes || bytes > buffer->bytes - offset)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "%s of %zu bytes at offset %zu overruns a buffer of %zu bytes", what,
                          bytes, offset, buffer->bytes);
    return CLCNN_OK;
}

size_t clcnn_buffer_alignment(const clcnn_context *context)
{
    cl_uint bits = 0;
    if (context->reference ||
        clGetDeviceInfo(context->device_id, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits,
                        NULL) != CL_SUCCESS || bits < 8 * sizeof(float))
        return 64;
    return bits / 8;
}

clcnn_status clcnn_buffer_view(clcnn_context *context, clcnn_buffer *parent, size_t offset,
                               size_t bytes, clcnn_buffer *view)
{
    memset(view, 0, sizeof *view);
    CLCNN_TRY(check_range(parent, offset, bytes, "a view"));
    if (offset % clcnn_buffer_alignment(context) != 0)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a view at offset %zu is not aligned to "
                          "%zu bytes", offset, clcnn_buffer_alignment(context));
    view->bytes = bytes;
    view->view = true;
    if (context->reference) {
        view->host = (char *)parent->host + offset;
        return CLCNN_OK;
    }
    const cl_buffer_region region = {offset, bytes};
    cl_int code = CL_SUCCESS;
    view->mem = clCreateSubBuffer(parent->mem, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION,
                                  &region, &code);
    if (code != CL_SUCCESS)
        return clcnn_fail_cl(context, code, "clCreateSubBuffer", __FILE__, __LINE__);
    return CLCNN_OK;
}

clcnn_status clcnn_buffer_write(clcnn_context *context, clcnn_buffer *buffer, size_t offset,
                                const void *data, size_t bytes)
{
    CLCNN_TRY(check_range(buffer, offset, bytes, "a write"));
    if (context->reference) {
        memcpy((char *)buffer->host + offset, data, bytes);
        return CLCNN_OK;
    }
    context->host_syncs++;
    CLCNN_CL_CHECK(context, clEnqueueWriteBuffer(context->queue, buffer->mem, CL_TRUE, offset,
                                                 bytes, data, 0, NULL, NULL));
    return CLCNN_OK;
}

clcnn_status clcnn_buffer_read(clcnn_context *context, const clcnn_buffer *buffer, size_t offset,
                               void *data, size_t bytes)
{
    CLCNN_TRY(check_range(buffer, offset, bytes, "a read"));
    if (context->reference) {
        memcpy(data, (const char *)buffer->host + offset, bytes);
        return CLCNN_OK;
    }
    context->host_syncs++;
    CLCNN_CL_CHECK(context, clEnqueueReadBuffer(context->queue, buffer->mem, CL_TRUE, offset,
                                                bytes, data, 0, NULL, NULL));
    return CLCNN_OK;
}

clcnn_status clcnn_buffer_copy(clcnn_context *context, const clcnn_buffer *source,
                               clcnn_buffer *destination, size_t bytes)
{
    return clcnn_buffer_copy_at(context, source, 0, destination, 0, bytes);
}

clcnn_status clcnn_buffer_copy_at(clcnn_context *context, const clcnn_buffer *source,
                                  size_t source_offset, clcnn_buffer *destination,
                                  size_t destination_offset, size_t bytes)
{
    CLCNN_TRY(check_range(source, source_offset, bytes, "a copy"));
    CLCNN_TRY(check_range(destination, destination_offset, bytes, "a copy"));
    if (context->reference) {
        memcpy((char *)destination->host + destination_offset,
               (const char *)source->host + source_offset, bytes);
        return CLCNN_OK;
    }
    CLCNN_CL_CHECK(context, clEnqueueCopyBuffer(context->queue, source->mem, destination->mem,
                                                source_offset, destination_offset, bytes, 0, NULL,
                                                NULL));
    return CLCNN_OK;
}

clcnn_status clcnn_staging_create(clcnn_context *context, size_t bytes, clcnn_staging *staging)
{
    *staging = (clcnn_staging){.bytes = bytes};
    if (context->reference) {
        staging->host = calloc(2, bytes);
        return staging->host ? CLCNN_OK
                             : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory staging batches");
    }
    cl_int code = CL_SUCCESS;
    staging->buffer = clCreateBuffer(context->cl, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_WRITE,
                                     2 * bytes, NULL, &code);
    CLCNN_CL_CHECK(context, code);
    staging->host = clEnqueueMapBuffer(context->queue, staging->buffer, CL_TRUE,
                                       CL_MAP_READ | CL_MAP_WRITE, 0, 2 * bytes, 0, NULL, NULL, &code);
    CLCNN_CL_CHECK(context, code);
    return CLCNN_OK;
}

void clcnn_staging_release(clcnn_context *context, clcnn_staging *staging)
{
    for (int k = 0; k < 2; k++)
        if (staging->done[k])
            clReleaseEvent(staging->done[k]);
    if (staging->buffer) {
        if (staging->host)
            clEnqueueUnmapMemObject(context->queue, staging->buffer, staging->host, 0, NULL, NULL);
        clFinish(context->queue);
        clReleaseMemObject(staging->buffer);
    } else {
        free(staging->host);
    }
    *staging = (clcnn_staging){0};
}

clcnn_status clcnn_staging_next(clcnn_context *context, clcnn_staging *staging, char **region)
{
    const int k = staging->next;
    staging->next = 1 - k;
    if (staging->done[k]) {
        cl_int state = CL_COMPLETE;
        CLCNN_CL_CHECK(context, clGetEventInfo(staging->done[k], CL_EVENT_COMMAND_EXECUTION_STATUS,
                                               sizeof state, &state, NULL));
        if (state != CL_COMPLETE) {
            context->host_syncs++;
            CLCNN_CL_CHECK(context, clWaitForEvents(1, &staging->done[k]));
        }
        clReleaseEvent(staging->done[k]);
        staging->done[k] = NULL;
    }
    *region = staging->host + (size_t)k * staging->bytes;
    return CLCNN_OK;
}

clcnn_status clcnn_staging_upload(clcnn_context *context, clcnn_staging *staging,
                                  size_t offset, clcnn_buffer *buffer, size_t bytes)
{
    const int k = 1 - staging->next; /* the region clcnn_staging_next gave last */
    const char *from = staging->host + (size_t)k * staging->bytes + offset;
    CLCNN_TRY(check_range(buffer, 0, bytes, "an upload"));
    if (context->reference) {
        memcpy(buffer->host, from, bytes);
        return CLCNN_OK;
    }
    cl_event done;
    CLCNN_CL_CHECK(context, clEnqueueWriteBuffer(context->queue, buffer->mem, CL_FALSE, 0, bytes,
                                                 from, 0, NULL, &done));
    if (staging->done[k])
        clReleaseEvent(staging->done[k]);
    staging->done[k] = done;
    return CLCNN_OK;
}

clcnn_status clcnn_set_args(clcnn_context *context, cl_kernel kernel, int count, ...)
{
    va_list arguments;
    va_start(arguments, count);
    for (int i = 0; i < count; i++) {
        size_t size = va_arg(arguments, size_t);
        const void *value = va_arg(arguments, const void *);
        cl_int code = clSetKernelArg(kernel, (cl_uint)i, size, value);
        if (code != CL_SUCCESS) {
            va_end(arguments);
            char name[128] = "?";
            clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
            name[sizeof name - 1] = '\0';
            clcnn_fail_cl(context, code, "clSetKernelArg", __FILE__, __LINE__);
            char detail[4096];
            snprintf(detail, sizeof detail, "%s (kernel %s, argument %d)", clcnn_last_error(),
                     name, i);
            return clcnn_fail((clcnn_status)code, "%s", detail);
        }
    }
    va_end(arguments);
    return CLCNN_OK;
}

clcnn_status clcnn_launch_nd(clcnn_context *context, cl_kernel kernel, cl_uint dimensions,
                             const size_t *global_sizes, const size_t *local_sizes)
{
    cl_event event;
    cl_int code = clEnqueueNDRangeKernel(context->queue, kernel, dimensions, NULL, global_sizes,
                                         local_sizes, 0, NULL, clcnn_profile_event(context, &event));
    size_t global = 1, local = 1;
    for (cl_uint i = 0; i < dimensions; i++) {
        global *= global_sizes[i];
        local *= local_sizes[i];
    }
    char name[128] = "?";
    if (code == CL_SUCCESS && !context->profiling)
        return CLCNN_OK;
    clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    if (code == CL_SUCCESS)
        return clcnn_profile_launch(context, name, event, event, global, local);
    clcnn_fail_cl(context, code, "clEnqueueNDRangeKernel", __FILE__, __LINE__);
    char detail[4096];
    snprintf(detail, sizeof detail, "%s (kernel %s, global %zu, local %zu)", clcnn_last_error(),
             name, global, local);
    return clcnn_fail((clcnn_status)code, "%s", detail);
}

clcnn_status clcnn_launch_items(clcnn_context *context, cl_kernel kernel, size_t items,
                                size_t local_size)
{
    if (items == 0)
        return CLCNN_OK;
    size_t global = (items + local_size - 1) / local_size * local_size;
    return clcnn_launch_nd(context, kernel, 1, &global, &local_size);
}

clcnn_status clcnn_launch_groups(clcnn_context *context, cl_kernel kernel, size_t groups,
                                 size_t local_size)
{
    if (groups == 0)
        return CLCNN_OK;
    size_t global = groups * local_size;
    return clcnn_launch_nd(context, kernel, 1, &global, &local_size);
}

clcnn_status clcnn_launch_spread(clcnn_context *context, cl_kernel kernel, size_t items,
                                 size_t local_size)
{
    while (local_size > 1 && items < 2 * local_size * context->device.compute_units)
        local_size /= 2;
    return clcnn_launch_items(context, kernel, items, local_size);
}

clcnn_status clcnn_launch_elementwise(clcnn_context *context, cl_kernel kernel, size_t items)
{
    return clcnn_launch_items(context, kernel, items,
                              (size_t)context->tuning.values.elementwise_work_group);
}

static size_t power_of_two_at_least(size_t value, size_t limit)
{
    size_t size = 1;
    while (size < value && size < limit)
        size *= 2;
    return size;
}

clcnn_status clcnn_launch_planes(clcnn_context *context, cl_kernel kernel, size_t width,
                                 size_t height, size_t planes)
{
    if (width == 0 || height == 0 || planes == 0)
        return CLCNN_OK;
    const size_t budget = (size_t)context->tuning.values.planes_work_group;
    const size_t columns = power_of_two_at_least(width, budget);
    const size_t rows = power_of_two_at_least(height, budget / columns);
    /* small planes: several per work-group (a power of two dividing planes, so no bound check) */
    size_t depth = 1;
    while (depth * 2 * columns * rows <= budget && planes % (depth * 2) == 0)
        depth *= 2;
    const size_t local[3] = {columns, rows, depth};
    const size_t global[3] = {(width + columns - 1) / columns * columns,
                              (height + rows - 1) / rows * rows, planes};
    return clcnn_launch_nd(context, kernel, 3, global, local);
}

clcnn_status clcnn_require_bytes(const char *op, const char *argument, const clcnn_buffer *buffer,
                                 size_t elements, size_t element_size)
{
    size_t needed = elements * element_size;
    if (!buffer || buffer->bytes < needed)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "%s: argument %s holds %zu bytes but the shape needs %zu (%zu elements)",
                          op, argument, buffer ? buffer->bytes : 0, needed, elements);
    return CLCNN_OK;
}
