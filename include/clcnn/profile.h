/* Per-kernel profiling from OpenCL events, for contexts created with options.profiling, and
 * the trace behind `--trace` (options.trace).
 * Every kernel launch is timed from its event (start to end); each CLBlast call is bracketed
 * by markers, since CLBlast attaches its event only to the last kernel it enqueues. With
 * profiling off no event is created and nothing is synchronised. */
#ifndef CLCNN_PROFILE_H
#define CLCNN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "clcnn/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_profile_row {
    char name[48];     /* kernel function, or "clblast_sgemm" */
    long calls;
    double total_ms;
    double mean_us, median_us;
    double share;      /* of all device time profiled */
    double gflops;     /* declared floating-point work / time; 0 where an op declares none */
    double gbytes_per_s; /* declared bytes read and written / time */
    size_t global_size, local_size; /* of the last launch */
} clcnn_profile_row;

/* Waits for the queue, then summarises every launch since the last reset, largest total
 * first. *rows is malloc'ed (free() it); returns the row count, or -1 on failure. */
CLCNN_API int clcnn_profile_rows(clcnn_context *context, clcnn_profile_row **rows);
CLCNN_API void clcnn_profile_reset(clcnn_context *context);

/* The trace of a context created with options.trace: every kernel launch and CLBlast call
 * (on_device, timed by its events) and every host span the library marks (training steps,
 * each layer's forward and backward, the optimizer), in the order recorded. Times are on the
 * host's monotonic clock, in microseconds; device times are mapped onto it through the
 * offset between each command's queued time and the host time of its enqueue. */
typedef struct clcnn_trace_record {
    char name[48];
    bool on_device;
    double start_us, duration_us;
    size_t global_size, local_size; /* device records of kernels; 0 for CLBlast and host spans */
    uint64_t step; /* host spans inside a training step: the step's number (1-based); else 0 */
} clcnn_trace_record;

/* Waits for the queue, then copies the records into *records (malloc'ed; free() it). Returns
 * their count, or -1 on failure. *dropped counts records past the trace's limit of about
 * half a million, which are not kept: trace a shorter run. */
CLCNN_API int clcnn_trace_records(clcnn_context *context, clcnn_trace_record **records,
                                  long *dropped);

#ifdef __cplusplus
}
#endif

#endif
