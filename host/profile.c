/* Per-kernel profiling and the trace (include/clcnn/profile.h). Launches record their events;
 * the events are resolved into durations when the queue has been drained (clcnn_profile_flush,
 * once a step), so profiling adds no synchronisation inside a step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

uint64_t clcnn_host_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static bool grow(void **items, long *capacity, long needed, size_t size)
{
    if (needed <= *capacity)
        return true;
    long grown_capacity = *capacity ? *capacity * 2 : 256;
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
    launch->host_enqueued_ns = context->tracing ? clcnn_host_ns() : 0;
    launch->global_size = global_size;
    launch->local_size = local_size;
    launch->flops = p->next_flops;
    launch->bytes = p->next_bytes;
    p->next_flops = p->next_bytes = 0;
    return CLCNN_OK;
}

/* A slot for one more trace record, or NULL (counted as dropped) past CLCNN_TRACE_LIMIT. */
static clcnn_trace_entry *trace_slot(clcnn_trace *trace)
{
    if (trace->count >= CLCNN_TRACE_LIMIT ||
        !grow((void **)&trace->entries, &trace->capacity, trace->count + 1, sizeof *trace->entries)) {
        trace->dropped++;
        return NULL;
    }
    return &trace->entries[trace->count++];
}

uint64_t clcnn_trace_begin(const clcnn_context *context)
{
    return context->tracing ? clcnn_host_ns() : 0;
}

void clcnn_trace_end(clcnn_context *context, uint64_t begin_ns, uint64_t step, const char *format,
                     ...)
{
    if (!context->tracing)
        return;
    uint64_t end_ns = clcnn_host_ns();
    clcnn_trace_entry *entry = trace_slot(&context->trace);
    if (!entry)
        return;
    *entry = (clcnn_trace_entry){.on_device = false, .start_ns = begin_ns, .end_ns = end_ns,
                                 .step = step};
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(entry->name, sizeof entry->name, format, arguments);
    va_end(arguments);
}

/* Keeps one resolved launch on the device track, and tightens the clock offset with it. */
static cl_int trace_launch(clcnn_context *context, const clcnn_pending_launch *launch,
                           cl_ulong start, cl_ulong end)
{
    clcnn_trace *trace = &context->trace;
    cl_ulong queued = 0;
    cl_int code = clGetEventProfilingInfo(launch->first, CL_PROFILING_COMMAND_QUEUED,
                                          sizeof queued, &queued, NULL);
    if (code != CL_SUCCESS)
        return code;
    int64_t offset = (int64_t)launch->host_enqueued_ns - (int64_t)queued;
    if (!trace->offset_known || offset < trace->device_offset_ns) {
        trace->device_offset_ns = offset;
        trace->offset_known = true;
    }
    clcnn_trace_entry *entry = trace_slot(trace);
    if (entry) {
        *entry = (clcnn_trace_entry){.on_device = true, .start_ns = start, .end_ns = end,
                                     .global_size = launch->global_size,
                                     .local_size = launch->local_size};
        snprintf(entry->name, sizeof entry->name, "%s", launch->name);
    }
    return CL_SUCCESS;
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
    context->host_syncs++;
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
        if (code == CL_SUCCESS && context->tracing)
            code = trace_launch(context, launch, start, end);
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
    free(context->trace.entries);
    memset(&context->trace, 0, sizeof context->trace);
}

int clcnn_trace_records(clcnn_context *context, clcnn_trace_record **out, long *dropped)
{
    *out = NULL;
    *dropped = 0;
    if (clcnn_profile_flush(context) != CLCNN_OK)
        return -1;
    const clcnn_trace *trace = &context->trace;
    clcnn_trace_record *records = calloc(trace->count ? (size_t)trace->count : 1, sizeof *records);
    if (!records) {
        clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory copying the trace");
        return -1;
    }
    for (long i = 0; i < trace->count; i++) {
        const clcnn_trace_entry *entry = &trace->entries[i];
        int64_t shift = entry->on_device ? trace->device_offset_ns : 0;
        clcnn_trace_record *record = &records[i];
        snprintf(record->name, sizeof record->name, "%s", entry->name);
        record->step = entry->step;
        record->on_device = entry->on_device;
        record->start_us = ((double)entry->start_ns + (double)shift) * 1e-3;
        record->duration_us = entry->end_ns > entry->start_ns
                                  ? (double)(entry->end_ns - entry->start_ns) * 1e-3 : 0.0;
        record->global_size = entry->global_size;
        record->local_size = entry->local_size;
    }
    *out = records;
    *dropped = trace->dropped;
    return (int)trace->count;
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
    return (int)p->kernel_count;
}
