/* Per-kernel profiling (include/clcnn/profile.h). Launches record their events; the events are
 * resolved into durations when the queue has been drained (clcnn_profile_flush, once a step),
 * so profiling adds no synchronisation inside a step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/profile.h"
#include "internal.h"

void clcnn_profile_cost(clcnn_context *context, double flops, double bytes)
{
    context->profile.next_flops = flops;
    context->profile.next_bytes = bytes;
}

cl_event *clcnn_profile_event(clcnn_context *context, cl_event *event)
{
    *event = NULL;
    return context->profiling ? event : NULL;
}

static bool grow(void **items, int *capacity, int needed, size_t size)
{
    if (needed <= *capacity)
        return true;
    int grown_capacity = *capacity ? *capacity * 2 : 256;
    void *grown = realloc(*items, (size_t)grown_capacity * size);
    if (!grown)
        return false;
    *items = grown;
    *capacity = grown_capacity;
    return true;
}

clcnn_status clcnn_profile_launch(clcnn_context *context, const char *name, cl_event first,
                                  cl_event last, size_t global_size, size_t local_size)
{
    clcnn_profile *p = &context->profile;
    if (!grow((void **)&p->pending, &p->pending_capacity, p->pending_count + 1, sizeof *p->pending)) {
        clReleaseEvent(first);
        if (last != first)
            clReleaseEvent(last);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory profiling");
    }
    clcnn_pending_launch *launch = &p->pending[p->pending_count++];
    snprintf(launch->name, sizeof launch->name, "%s", name);
    launch->first = first;
    launch->last = last;
    launch->global_size = global_size;
    launch->local_size = local_size;
    launch->flops = p->next_flops;
    launch->bytes = p->next_bytes;
    p->next_flops = p->next_bytes = 0;
    return CLCNN_OK;
}

static clcnn_kernel_times *times_for(clcnn_profile *p, const char *name)
{
    for (int i = 0; i < p->kernel_count; i++)
        if (!strcmp(p->kernels[i].name, name))
            return &p->kernels[i];
    if (!grow((void **)&p->kernels, &p->kernel_capacity, p->kernel_count + 1, sizeof *p->kernels))
        return NULL;
    clcnn_kernel_times *times = &p->kernels[p->kernel_count++];
    memset(times, 0, sizeof *times);
    snprintf(times->name, sizeof times->name, "%s", name);
    return times;
}

clcnn_status clcnn_profile_flush(clcnn_context *context)
{
    clcnn_profile *p = &context->profile;
    if (!context->profiling || p->pending_count == 0)
        return CLCNN_OK;
    CLCNN_CL_CHECK(context, clFinish(context->queue));
    clcnn_status status = CLCNN_OK;
    for (int i = 0; i < p->pending_count; i++) {
        clcnn_pending_launch *launch = &p->pending[i];
        cl_ulong start = 0, end = 0;
        cl_profiling_info start_info = launch->first == launch->last ? CL_PROFILING_COMMAND_START
                                                                     : CL_PROFILING_COMMAND_END;
        cl_int code = clGetEventProfilingInfo(launch->first, start_info, sizeof start, &start, NULL);
        if (code == CL_SUCCESS)
            code = clGetEventProfilingInfo(launch->last, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
        if (code != CL_SUCCESS && status == CLCNN_OK)
            status = clcnn_fail_cl(context, code, "clGetEventProfilingInfo", __FILE__, __LINE__);
        clcnn_kernel_times *times = times_for(p, launch->name);
        if (times && code == CL_SUCCESS) {
            if (times->count == times->capacity) {
                long capacity = times->capacity ? times->capacity * 2 : 64;
                double *grown = realloc(times->nanoseconds, (size_t)capacity * sizeof *grown);
                if (grown) {
                    times->nanoseconds = grown;
                    times->capacity = capacity;
                }
            }
            if (times->count < times->capacity)
                times->nanoseconds[times->count++] = end > start ? (double)(end - start) : 0.0;
            times->flops += launch->flops;
            times->bytes += launch->bytes;
            times->global_size = launch->global_size;
            times->local_size = launch->local_size;
        }
        clReleaseEvent(launch->first);
        if (launch->last != launch->first)
            clReleaseEvent(launch->last);
    }
    p->pending_count = 0;
    return status;
}

void clcnn_profile_reset(clcnn_context *context)
{
    clcnn_profile_flush(context);
    clcnn_profile *p = &context->profile;
    for (int i = 0; i < p->kernel_count; i++)
        free(p->kernels[i].nanoseconds);
    p->kernel_count = 0;
}

void clcnn_profile_free(clcnn_context *context)
{
    clcnn_profile_reset(context);
    free(context->profile.pending);
    free(context->profile.kernels);
    memset(&context->profile, 0, sizeof context->profile);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int by_total_descending(const void *a, const void *b)
{
    double x = ((const clcnn_profile_row *)a)->total_ms, y = ((const clcnn_profile_row *)b)->total_ms;
    return (x < y) - (x > y);
}

int clcnn_profile_rows(clcnn_context *context, clcnn_profile_row **out)
{
    *out = NULL;
    if (clcnn_profile_flush(context) != CLCNN_OK)
        return -1;
    clcnn_profile *p = &context->profile;
    clcnn_profile_row *rows = calloc(p->kernel_count ? (size_t)p->kernel_count : 1, sizeof *rows);
    if (!rows)
        return -1;
    double everything = 0.0;
    for (int i = 0; i < p->kernel_count; i++) {
        clcnn_kernel_times *times = &p->kernels[i];
        clcnn_profile_row *row = &rows[i];
        double total = 0.0;
        for (long k = 0; k < times->count; k++)
            total += times->nanoseconds[k];
        qsort(times->nanoseconds, (size_t)times->count, sizeof(double), compare_doubles);
        snprintf(row->name, sizeof row->name, "%s", times->name);
        row->calls = times->count;
        row->total_ms = total * 1e-6;
        row->mean_us = times->count ? total * 1e-3 / times->count : 0.0;
        row->median_us = times->count ? times->nanoseconds[times->count / 2] * 1e-3 : 0.0;
        row->gflops = total > 0 ? times->flops / total : 0.0;
        row->gbytes_per_s = total > 0 ? times->bytes / total : 0.0;
        row->global_size = times->global_size;
        row->local_size = times->local_size;
        everything += total;
    }
    for (int i = 0; i < p->kernel_count; i++)
        rows[i].share = everything > 0 ? rows[i].total_ms * 1e6 / everything : 0.0;
    qsort(rows, (size_t)p->kernel_count, sizeof *rows, by_total_descending);
    *out = rows;
    return p->kernel_count;
}
