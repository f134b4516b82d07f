/* OpenCL devices: enumeration, selection by a spec string, and the context that owns
 * one device's queue, compiled programs and buffers.
 *
 * Device spec, used by every tool, test and benchmark (--device SPEC or CLCNN_DEVICE):
 *   "1"        index in the list printed by `clcnn devices`
 *   "cpu"      first device of that type ("cpu", "gpu", "accelerator")
 *   "0:1"      platform 0, device 1
 *   "pocl"     first device whose name, vendor, platform name or platform version contains
 *              the text (any case)
 *   "ref"      the plain-C reference path, no OpenCL at all
 * With no spec: the first GPU, else the first CPU. Simulators (Oclgrind) answer to their
 * index, platform:device or name only: they are far too slow to be picked by type.
 */
#ifndef CLCNN_DEVICE_H
#define CLCNN_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_device_info {
    int index;          /* position in clcnn_list_devices(), across all platforms */
    int platform_index; /* clGetPlatformIDs order */
    int device_index;   /* clGetDeviceIDs order within the platform */
    char platform[128];
    char platform_version[128];
    char name[128];
    char vendor[128];
    char driver_version[128];
    char opencl_c_version[64];
    char version[128];     /* CL_DEVICE_VERSION: "OpenCL 3.0 PoCL ..." */
    char extensions[4096]; /* CL_DEVICE_EXTENSIONS, space-separated (cut at 4 KiB) */
    char type[32]; /* "CPU", "GPU", "accelerator", joined with '+' when several */
    bool is_gpu;
    bool is_cpu;
    bool is_simulator; /* Oclgrind: correct but thousands of times slower */
    bool is_reference; /* the plain-C path selected with "ref" */
    unsigned compute_units;
    unsigned clock_mhz;
    uint64_t global_mem_bytes;
    uint64_t max_alloc_bytes;
    uint64_t local_mem_bytes;
    size_t max_work_group_size;
    bool fp64;
    bool fp16;
} clcnn_device_info;

/* Every device of every platform. *devices is malloc'ed; free() it. A machine with no
 * OpenCL platform gives *count == 0 and CLCNN_OK. */
CLCNN_API clcnn_status clcnn_list_devices(clcnn_device_info **devices, int *count);

/* Why the list has no OpenCL device, in one or two sentences for the user: no driver (ICD)
 * installed, or drivers installed that did not start, and, for PoCL, the usual reason (its
 * kernel cache folder cannot be created). Written into out. */
CLCNN_API void clcnn_explain_no_device(char *out, size_t size);

/* The device a spec names (NULL or "" for the default) among devices[0..count). On no
 * match: CLCNN_ERROR_NO_DEVICE, and the message lists the available devices. */
CLCNN_API clcnn_status clcnn_select_device(const char *spec, const clcnn_device_info *devices,
                                           int count, int *chosen);

/* A description of the reference path as a device, for tables and headers. */
CLCNN_API clcnn_device_info clcnn_reference_device_info(void);

typedef struct clcnn_context clcnn_context;

typedef struct clcnn_context_options {
    bool profiling; /* queue with CL_QUEUE_PROFILING_ENABLE; off costs nothing */
    bool trace;     /* also keep every launch and host span for clcnn_trace_records();
                       implies profiling */
} clcnn_context_options;

/* A context on the device the spec names; spec "ref" gives the reference path.
 * options may be NULL. */
CLCNN_API clcnn_status clcnn_context_create(const char *spec, const clcnn_context_options *options,
                                            clcnn_context **context);
CLCNN_API void clcnn_context_destroy(clcnn_context *context);
CLCNN_API const clcnn_device_info *clcnn_context_device(const clcnn_context *context);

/* Builds (or loads from the binary cache) every kernel program clcnn has, so that a
 * compile error stops a run before it starts rather than in the middle of it. */
CLCNN_API clcnn_status clcnn_context_build_all(clcnn_context *context);

/* Blocks until all work queued on the context has finished. */
CLCNN_API clcnn_status clcnn_context_finish(clcnn_context *context);

typedef struct clcnn_build_stats {
    int built_from_source;  /* programs compiled from .cl source */
    int loaded_from_cache;  /* programs loaded from the persistent binary cache */
    int cache_rejected;     /* cache entries found corrupt, truncated or foreign, then rebuilt */
    double build_seconds;   /* wall time spent building or loading programs */
} clcnn_build_stats;

CLCNN_API clcnn_build_stats clcnn_context_build_stats(const clcnn_context *context);

/* Host synchronisations so far: calls that blocked until the device reached a point in its
 * queue (blocking reads and writes, finish). 0 on the reference path. */
CLCNN_API uint64_t clcnn_context_host_syncs(const clcnn_context *context);

#ifdef __cplusplus
}
#endif

#endif
