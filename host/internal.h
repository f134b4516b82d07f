/* Library-internal declarations: the context, error helpers, the kernel registry and
 * device buffers. Nothing here is exported from the shared library. */
#ifndef CLCNN_INTERNAL_H
#define CLCNN_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <pthread.h>
#include <stdarg.h>

#include "clcnn/device.h"
#include "clcnn/status.h"
#include "clcnn/tune.h"

#include "clcnn/version.h"
#define CLCNN_VERSION_STRING CLCNN_VERSION

/* ---- errors ------------------------------------------------------------------------ */

/* Sets this thread's error message (printf-style) and returns status. */
clcnn_status clcnn_fail(clcnn_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats a failed OpenCL call: its name, the error's name and code, the device, the
 * source line, and what the driver said through the context callback, if anything. */
clcnn_status clcnn_fail_cl(const clcnn_context *context, cl_int code, const char *call,
                           const char *file, int line);

#define CLCNN_CL_CHECK(context, call)                                                        \
    do {                                                                                     \
        cl_int check_code_ = (call);                                                         \
        if (check_code_ != CL_SUCCESS)                                                       \
            return clcnn_fail_cl((context), check_code_, #call, __FILE__, __LINE__);         \
    } while (0)

#define CLCNN_TRY(expression)                                                                \
    do {                                                                                     \
        clcnn_status try_status_ = (expression);                                             \
        if (try_status_ != CLCNN_OK)                                                         \
            return try_status_;                                                              \
    } while (0)

/* ---- kernel registry ----------------------------------------------------------------- */

/* One program per op family, one file per program in cl/ (a large variant may have its own):
 * program id, file, the check family (host/check.c's case) that runs its kernels. */
#define CLCNN_PROGRAMS(X)                                                                    \
    X(CONV2D, "conv2d.cl", "conv2d")                                                        \
    X(MAXPOOL2D, "maxpool2d.cl", "maxpool2d")                                               \
    X(AVGPOOL2D, "avgpool2d.cl", "avgpool2d")                                               \
    X(BATCHNORM, "batchnorm.cl", "batchnorm")                                               \
    X(AUGMENT, "augment.cl", "augment")                                                     \
    X(GATHER, "gather.cl", "gather")                                                        \
    X(ACTIVATION, "activation.cl", "activation")                                            \
    X(ADD, "add.cl", "add")                                                                 \
    X(DENSE, "dense.cl", "dense")                                                           \
    X(DROPOUT, "dropout.cl", "dropout")                                                     \
    X(SOFTMAX_CROSS_ENTROPY, "softmax_cross_entropy.cl", "softmax_and_metrics")             \
    X(OPTIMIZER, "optimizer.cl", "optimizers")                                              \
    X(METRICS, "metrics.cl", "softmax_and_metrics")                                         \
    X(CONV2D_TILED, "conv2d_tiled.cl", "conv2d")                                            \
    X(CONV2D_WINOGRAD, "conv2d_winograd.cl", "conv2d")

/* Which tuning parameter sizes a kernel's work-groups (clcnn_tuning; FIXED: sizes of its own,
 * REDUCE_WG or a variant's block parameters), so that `clcnn tune` times, for each parameter,
 * the check families of every kernel it drives. */
typedef enum {
    CLCNN_TUNED_BY_FIXED,
    CLCNN_TUNED_BY_CONV2D_3X3,  /* conv2d_3x3_work_group */
    CLCNN_TUNED_BY_ELEMENTWISE, /* elementwise_work_group */
    CLCNN_TUNED_BY_PLANES,      /* planes_work_group */
} clcnn_tuned_by;

/* kernel id, program id, function name in the .cl file, the parameter its launches use */
#define CLCNN_KERNELS(X)                                                                     \
    X(CONV2D_FORWARD, CONV2D, "conv2d_forward", ELEMENTWISE)                                \
    X(CONV2D_BACKWARD_DATA, CONV2D, "conv2d_backward_data", ELEMENTWISE)                    \
    X(CONV2D_BACKWARD_WEIGHTS, CONV2D, "conv2d_backward_weights", FIXED)                    \
    X(CONV2D_BACKWARD_WEIGHTS_3X3, CONV2D, "conv2d_backward_weights_3x3", FIXED)            \
    X(CONV2D_PAD, CONV2D, "conv2d_pad", PLANES)                                             \
    X(CONV2D_FLIP_3X3, CONV2D, "conv2d_flip_3x3", PLANES)                                   \
    X(CONV2D_FORWARD_3X3, CONV2D, "conv2d_forward_3x3", PLANES)                             \
    X(CONV2D_BACKWARD_WEIGHTS_3X3_FAST, CONV2D, "conv2d_backward_weights_3x3_fast", CONV2D_3X3)\
    X(CONV2D_BACKWARD_WEIGHTS_3X3_WIDE, CONV2D, "conv2d_backward_weights_3x3_wide", CONV2D_3X3)\
    X(CONV2D_BACKWARD_BIAS, CONV2D, "conv2d_backward_bias", ELEMENTWISE)                    \
    X(CONV2D_BACKWARD_WEIGHTS_CHANNELS, CONV2D, "conv2d_backward_weights_channels", CONV2D_3X3)\
    X(CONV2D_TRANSPOSE_GRADIENT, CONV2D, "conv2d_transpose_gradient", PLANES)               \
    X(CONV2D_FORWARD_CHANNELS, CONV2D, "conv2d_forward_channels", PLANES)                   \
    X(CONV2D_TRANSPOSE_WEIGHTS, CONV2D, "conv2d_transpose_weights", PLANES)                 \
    X(MAXPOOL2D_FORWARD, MAXPOOL2D, "maxpool2d_forward", PLANES)                            \
    X(MAXPOOL2D_FORWARD_2X2, MAXPOOL2D, "maxpool2d_forward_2x2", PLANES)                    \
    X(MAXPOOL2D_BACKWARD, MAXPOOL2D, "maxpool2d_backward", PLANES)                          \
    X(MAXPOOL2D_BACKWARD_TILED, MAXPOOL2D, "maxpool2d_backward_tiled", PLANES)              \
    X(MAXPOOL2D_BACKWARD_2X2, MAXPOOL2D, "maxpool2d_backward_2x2", PLANES)                  \
    X(AVGPOOL2D_FORWARD, AVGPOOL2D, "avgpool2d_forward", PLANES)                            \
    X(AVGPOOL2D_BACKWARD, AVGPOOL2D, "avgpool2d_backward", PLANES)                          \
    X(AVGPOOL2D_BACKWARD_WINDOW, AVGPOOL2D, "avgpool2d_backward_window", ELEMENTWISE)        \
    X(BATCHNORM_PLANE_MOMENTS, BATCHNORM, "batchnorm_plane_moments", ELEMENTWISE)           \
    X(BATCHNORM_STATISTICS, BATCHNORM, "batchnorm_statistics", ELEMENTWISE)                 \
    X(BATCHNORM_MOVING_STATISTICS, BATCHNORM, "batchnorm_moving_statistics", ELEMENTWISE)\
    X(BATCHNORM_FORWARD, BATCHNORM, "batchnorm_forward", PLANES)                            \
    X(BATCHNORM_FORWARD_POOL, BATCHNORM, "batchnorm_forward_pool", PLANES)                  \
    X(BATCHNORM_PLANE_GRADIENTS, BATCHNORM, "batchnorm_plane_gradients", ELEMENTWISE)       \
    X(BATCHNORM_BACKWARD_PARAMETERS, BATCHNORM, "batchnorm_backward_parameters", ELEMENTWISE)\
    X(BATCHNORM_BACKWARD_DATA, BATCHNORM, "batchnorm_backward_data", PLANES)                \
    X(AUGMENT, AUGMENT, "augment", PLANES)                                                  \
    X(GATHER, GATHER, "gather", PLANES)                                                     \
    X(ACTIVATION_FORWARD, ACTIVATION, "activation_forward", ELEMENTWISE)                    \
    X(ACTIVATION_BACKWARD, ACTIVATION, "activation_backward", ELEMENTWISE)                  \
    X(ADD, ADD, "add", ELEMENTWISE)                                                         \
    X(DENSE_GEMM, DENSE, "dense_gemm", ELEMENTWISE)                                         \
    X(DENSE_TRANSPOSE, DENSE, "dense_transpose", PLANES)                                    \
    X(DENSE_BIAS_ADD, DENSE, "dense_bias_add", ELEMENTWISE)                                 \
    X(DENSE_BACKWARD_BIAS, DENSE, "dense_backward_bias", ELEMENTWISE)                       \
    X(DROPOUT_FORWARD, DROPOUT, "dropout_forward", ELEMENTWISE)                             \
    X(DROPOUT_BACKWARD, DROPOUT, "dropout_backward", ELEMENTWISE)                           \
    X(SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY, "softmax_cross_entropy", ELEMENTWISE)\
    X(ADAM_UPDATE, OPTIMIZER, "adam_update", ELEMENTWISE)                                   \
    X(SGD_UPDATE, OPTIMIZER, "sgd_update", ELEMENTWISE)                                     \
    X(METRICS_REDUCE, METRICS, "metrics_reduce", FIXED)                                     \
    X(ARGMAX, METRICS, "argmax", ELEMENTWISE)                                               \
    X(CONV2D_TILED_FORWARD, CONV2D_TILED, "conv2d_tiled_forward", FIXED)                    \
    X(CONV2D_TILED_BACKWARD_DATA, CONV2D_TILED, "conv2d_tiled_backward_data", FIXED)        \
    X(CONV2D_TILED_BACKWARD_WEIGHTS, CONV2D_TILED, "conv2d_tiled_backward_weights", FIXED)\
    X(CONV2D_TILED_SUM_SPLITS, CONV2D_TILED, "conv2d_tiled_sum_splits", ELEMENTWISE)        \
    X(CONV2D_WINOGRAD_WEIGHTS, CONV2D_WINOGRAD, "conv2d_winograd_weights", PLANES)          \
    X(CONV2D_WINOGRAD, CONV2D_WINOGRAD, "conv2d_winograd", FIXED)

#define CLCNN_ENUM_PROGRAM(id, file, family) CLCNN_PROGRAM_##id,
typedef enum { CLCNN_PROGRAMS(CLCNN_ENUM_PROGRAM) CLCNN_PROGRAM_COUNT } clcnn_program_id;
#undef CLCNN_ENUM_PROGRAM

#define CLCNN_ENUM_KERNEL(id, program, name, tuned_by) CLCNN_KERNEL_##id,
typedef enum { CLCNN_KERNELS(CLCNN_ENUM_KERNEL) CLCNN_KERNEL_COUNT } clcnn_kernel_id;
#undef CLCNN_ENUM_KERNEL

/* Block parameters: a program's tuning defines (tile and work sizes), passed as -DNAME=value.
 * Their defaults are the `#define NAME value` lines of the program's own .cl file, under
 * `#ifndef NAME`; the host reads them from that source (clcnn_block), so that launch geometry
 * and kernel agree on one record. name, program id */
#define CLCNN_BLOCKS(X)                                                                      \
    X(TILE_M, CONV2D_TILED)                                                                  \
    X(TILE_P, CONV2D_TILED)                                                                  \
    X(TILE_K, CONV2D_TILED)                                                                  \
    X(WORK_M, CONV2D_TILED)                                                                  \
    X(WORK_P, CONV2D_TILED)

#define CLCNN_ENUM_BLOCK(name, program) CLCNN_BLOCK_##name,
typedef enum { CLCNN_BLOCKS(CLCNN_ENUM_BLOCK) CLCNN_BLOCK_COUNT } clcnn_block_id;
#undef CLCNN_ENUM_BLOCK

/* Work-group size of the reduction kernels (a power of two the device supports); passed to
 * every program as -DREDUCE_WG so that kernels can size their local arrays. */
#define CLCNN_REDUCE_WG_MAX 256

/* ---- profiling (host/profile.c) ----------------------------------------------------- */

/* One launch awaiting its timestamps: from start of `first` to end of `last` (the same event
 * for a kernel; two markers around a CLBlast call). */
typedef struct clcnn_pending_launch {
    char name[48];
    cl_event first, last;
    uint64_t host_enqueued_ns; /* host clock just after the enqueue: aligns the device clock */
    size_t global_size, local_size;
    double flops, bytes;
} clcnn_pending_launch;

/* Every duration seen for one kernel name. */
typedef struct clcnn_kernel_times {
    char name[48];
    double *nanoseconds;
    long count, capacity;
    double flops, bytes;
    size_t global_size, local_size;
} clcnn_kernel_times;

typedef struct clcnn_profile {
    clcnn_pending_launch *pending;
    long pending_count, pending_capacity;
    clcnn_kernel_times *kernels;
    long kernel_count, kernel_capacity;
    double next_flops, next_bytes; /* declared by an op for its next launch */
} clcnn_profile;

/* The trace (options.trace): device records keep the device's own timestamps, host records
 * the host's; device_offset_ns maps one onto the other. It is the smallest (host time after an
 * enqueue - device time the command was queued) seen: the command was queued before the
 * enqueue call returned, so each difference bounds the offset from above. */
typedef struct clcnn_trace_entry {
    char name[48];
    bool on_device;
    uint64_t start_ns, end_ns;
    size_t global_size, local_size;
    uint64_t step; /* host spans of a training step: its number (1-based); else 0 */
} clcnn_trace_entry;

typedef struct clcnn_trace {
    clcnn_trace_entry *entries;
    long count, capacity, dropped;
    int64_t device_offset_ns;
    bool offset_known;
} clcnn_trace;

/* Keeps the trace of a long run within about 50 MiB; later records are counted, not kept. */
#define CLCNN_TRACE_LIMIT 500000L

/* The host's monotonic clock in nanoseconds (the trace's time base). */
uint64_t clcnn_host_ns(void);

/* A host span on the trace: begin returns the start time (0 when not tracing), end records it.
 * The name says what kind of span it is ("train step", "forward conv2d_1"), the same in every
 * step, so that trace viewers group them; step (0: none) says which step it belongs to. */
uint64_t clcnn_trace_begin(const clcnn_context *context);
void clcnn_trace_end(clcnn_context *context, uint64_t begin_ns, uint64_t step, const char *format,
                     ...) __attribute__((format(printf, 4, 5)));

/* ---- the context ------------------------------------------------------------------- */

/* Scratch buffers the ops keep between calls, one slot per use (an in-order queue lets every
 * call reuse its slot). */
enum {
    CLCNN_SCRATCH_PADDED_INPUT,    /* conv2d: x padded to the 3x3 tiles */
    CLCNN_SCRATCH_PADDED_GRADIENT, /* conv2d: dy padded for dX or dW */
    CLCNN_SCRATCH_FLIPPED_WEIGHTS, /* conv2d: dX's flipped, transposed (channels) or
                                      transformed (winograd) weights */
    CLCNN_SCRATCH_PLANE_SUMS,      /* batchnorm: per-plane sums, [N * C, 2] */
    CLCNN_SCRATCH_TRANSPOSED_WEIGHTS, /* dense: w^T for dX on dense_gemm */
    CLCNN_SCRATCH_SPLIT_SUMS,      /* conv2d tiled dW: partial sums, [splits, OC, C*KH*KW] */
    CLCNN_SCRATCH_TRANSPOSED_GRADIENT, /* conv2d channels dW: dy as [N*OH*OW, OC to 16] */
    CLCNN_SCRATCH_SLOTS
};

/* Work-group sizes (include/clcnn/tune.h): defaults from the device's limits, replaced by the
 * winners `clcnn tune` stored for this device, if any. */
typedef struct clcnn_tuning_state {
    clcnn_tuning values;
    bool from_store;
} clcnn_tuning_state;

/* ---- kernel variants (host/variant.c) ----------------------------------------------------- */

/* Ops with more than one implementation. Each dispatcher holds an ordered table of variants
 * (its records begin with a clcnn_variant; the table is exported for the registry); the first
 * that fits the shape and suits the device runs, unless one is forced. id, table, name */
#define CLCNN_VARIANT_OPS(X)                                                                 \
    X(CONV2D_FORWARD, clcnn_conv2d_forward_variants, "conv2d forward")                       \
    X(CONV2D_BACKWARD_DATA, clcnn_conv2d_backward_data_variants, "conv2d backward_data")     \
    X(CONV2D_BACKWARD_WEIGHTS, clcnn_conv2d_backward_weights_variants,                       \
      "conv2d backward_weights")                                                             \
    X(DENSE, clcnn_dense_variants, "dense")                                                  \
    X(MAXPOOL2D_FORWARD, clcnn_maxpool2d_forward_variants, "maxpool2d forward")              \
    X(MAXPOOL2D_BACKWARD, clcnn_maxpool2d_backward_variants, "maxpool2d backward")

#define CLCNN_ENUM_VARIANT_OP(id, table, name) CLCNN_VARIANT_##id,
typedef enum { CLCNN_VARIANT_OPS(CLCNN_ENUM_VARIANT_OP) CLCNN_VARIANT_OP_COUNT } clcnn_variant_op;
#undef CLCNN_ENUM_VARIANT_OP

/* The device class a variant is shaped for: chosen by default only there. */
typedef enum { CLCNN_SUITS_ANY, CLCNN_SUITS_CPU, CLCNN_SUITS_GPU } clcnn_suits;

typedef struct clcnn_variant {
    const char *name;
    clcnn_suits suits;
    /* whether it computes this shape (the op's shape struct) on this device; NULL: always */
    bool (*fits)(clcnn_context *context, const void *shape);
    /* Optional: false where a later variant of the table is expected to be faster for this
     * shape (measured rules, stated beside the variant); NULL: always the one to take */
    bool (*prefers)(clcnn_context *context, const void *shape);
} clcnn_variant;

/* count records of `stride` bytes from `first`, each beginning with its clcnn_variant */
typedef struct clcnn_variant_table {
    const clcnn_variant *first;
    int count;
    size_t stride;
} clcnn_variant_table;

#define CLCNN_DECLARE_VARIANT_TABLE(id, table, name) extern const clcnn_variant_table table;
CLCNN_VARIANT_OPS(CLCNN_DECLARE_VARIANT_TABLE)
#undef CLCNN_DECLARE_VARIANT_TABLE

const clcnn_variant *clcnn_variant_at(clcnn_variant_op op, int index);
int clcnn_variant_count(clcnn_variant_op op);
const char *clcnn_variant_op_name(clcnn_variant_op op);
/* The index of the variant that runs `shape`: the forced one (context->forced_variant), else
 * the one tune chose for the device (context->tuned_variant) where it fits, else the first in
 * table order that fits and suits the device, else the first that fits (the last of every
 * table fits every shape). Fails naming the op, variant and device when the forced
 * variant does not fit. */
clcnn_status clcnn_variant_pick(clcnn_context *context, clcnn_variant_op op,
                                const void *shape, int *index);

struct clcnn_context {
    clcnn_device_info device;
    bool reference; /* the plain-C path: no OpenCL objects below are created */
    cl_platform_id platform_id;
    cl_device_id device_id;
    cl_context cl;
    cl_command_queue queue;
    bool profiling;
    bool tracing; /* implies profiling */
    size_t reduce_work_group;
    /* per op: the variant index that runs whatever the device would choose, or -1 */
    int forced_variant[CLCNN_VARIANT_OP_COUNT];
    /* per op: the variant `clcnn tune` chose for this device (where it fits), or -1 */
    int tuned_variant[CLCNN_VARIANT_OP_COUNT];
    clcnn_tuning_state tuning;
    int blocks[CLCNN_BLOCK_COUNT]; /* read from the .cl sources on first use; 0: not yet */
    bool blocks_tuned;             /* blocks came from `clcnn tune` (and are stored with it) */
    char clblast_xgemm[512];       /* CLBlast's Xgemm parameters from the store, or "" */
    cl_program programs[CLCNN_PROGRAM_COUNT];
    cl_kernel kernels[CLCNN_KERNEL_COUNT];
    clcnn_build_stats stats;
    uint64_t host_syncs; /* clcnn_context_host_syncs */
    /* CLBlast's GEMM scratch, owned here so that CLBlast never allocates per call. */
    cl_mem gemm_temp;
    size_t gemm_temp_bytes;
    /* Scratch for kernels that stage data (padded inputs, flipped weights), by slot; grown
     * when a larger shape first needs it, never per step. */
    cl_mem scratch[CLCNN_SCRATCH_SLOTS];
    size_t scratch_bytes[CLCNN_SCRATCH_SLOTS];
    clcnn_profile profile;
    clcnn_trace trace;
    /* Filled by the driver's context callback (NVIDIA explains most errors there). */
    pthread_mutex_t notify_lock;
    char notify_message[1024];
};

/* ---- the tuning store (host/tuning_store.c) ------------------------------------------- */

/* One tuning parameter: its name in the store, the kernels it sizes, its field in
 * clcnn_tuning and its candidate range. */
typedef struct clcnn_tuning_parameter {
    const char *name;
    clcnn_tuned_by tuned_by;
    size_t offset;
    int smallest, largest;
} clcnn_tuning_parameter;

#define CLCNN_TUNING_PARAMETERS 3
extern const clcnn_tuning_parameter clcnn_tuning_parameters[CLCNN_TUNING_PARAMETERS];
int *clcnn_tuning_field(clcnn_tuning *tuning, const clcnn_tuning_parameter *parameter);
/* The check families (space-separated) of the programs whose kernels the parameter sizes:
 * what the tuner times for it. */
void clcnn_tuning_families(const clcnn_tuning_parameter *parameter, char *families, size_t size);
/* Gives CLBlast the Xgemm parameters "NAME=value,..." for the context's device ("": nothing),
 * checking every name and value; CLBlast's refusal names the call and its code. */
clcnn_status clcnn_clblast_override(clcnn_context *context, const char *parameters);

/* Times the tiled convolution (forced, every direction) with each candidate tile shape at
 * `shapes`, through the check, and keeps the fastest that passed by the tuner's noise rule in
 * context->blocks (blocks_tuned when not the default); clcnn_tune runs it where the tiled
 * variant runs. The caller stores the result (clcnn_tuning_save). */
clcnn_status clcnn_tune_blocks(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                               clcnn_tune_callback callback, void *user_data);
/* The largest power of two the device accepts as a work-group. */
int clcnn_tuning_limit(const clcnn_context *context);

/* Sets the defaults for the device, then the stored winners of `clcnn tune` if there are any
 * for this device, driver and clcnn version. */
void clcnn_tuning_load(clcnn_context *context);
/* Applies the winners to the context and stores them, with the context's tuned variants, for
 * later contexts on the device. */
clcnn_status clcnn_tuning_save(clcnn_context *context, const clcnn_tuning *winners);

/* A scratch buffer of at least `bytes` in `slot`; valid until the next call for that slot. */
clcnn_status clcnn_scratch(clcnn_context *context, int slot, size_t bytes, cl_mem *buffer);

/* The value of a block parameter: context->blocks[id] when set (by the tuning store or the
 * tuner), else its default in the .cl source, read on first use. */
clcnn_status clcnn_block(clcnn_context *context, clcnn_block_id id, int *value);
const char *clcnn_block_name(clcnn_block_id id);
/* Releases a program and its kernels, so that the next use builds it again (with the block
 * parameters then set). */
void clcnn_program_forget(clcnn_context *context, clcnn_program_id program);

/* The kernel, building its program on first use. */
clcnn_status clcnn_kernel(clcnn_context *context, clcnn_kernel_id id, cl_kernel *kernel);

/* Builds one program from source for the context's device, through the binary cache.
 * name is the .cl file name, named in messages; the source is passed unmodified so that the
 * line numbers in a build log are the file's own. */
clcnn_status clcnn_program_build(clcnn_context *context, const char *name, const char *source,
                                 size_t source_length, const char *extra_options,
                                 cl_program *program);

/* The text of cl/<name>: from CLCNN_KERNEL_DIR when set, else embedded at build time.
 * *source is malloc'ed and NUL-terminated. */
clcnn_status clcnn_kernel_source(const char *name, char **source, size_t *length);

typedef struct clcnn_embedded_file {
    const char *name;
    const unsigned char *bytes;
    size_t length;
} clcnn_embedded_file;
extern const clcnn_embedded_file clcnn_embedded_kernels[];
extern const size_t clcnn_embedded_kernel_count;

/* ---- the program binary cache -------------------------------------------------------- */

/* The cache folder ($CLCNN_CACHE_DIR, else $XDG_CACHE_HOME/clcnn, else ~/.cache/clcnn);
 * NULL when CLCNN_CACHE=0. Returns a static buffer. */
const char *clcnn_cache_dir(void);

/* Everything a compiled binary depends on, as one string (the entry stores it whole, so a
 * hash collision cannot hand back a foreign binary). */
void clcnn_cache_key(const clcnn_context *context, const char *source, size_t source_length,
                     const char *options, char *key, size_t key_size);

/* Loads the binary stored under key. CLCNN_OK with *binary == NULL: no entry. A corrupt,
 * truncated or foreign entry also gives *binary == NULL and sets *rejected. */
clcnn_status clcnn_cache_load(const char *key, unsigned char **binary, size_t *length,
                              bool *rejected);

/* Stores the binary atomically: a temporary file in the cache folder, then rename(). */
clcnn_status clcnn_cache_store(const char *key, const unsigned char *binary, size_t length);

/* The path of the entry for key (for tests that corrupt entries on purpose). */
void clcnn_cache_entry_path(const char *key, char *path, size_t path_size);

uint64_t clcnn_fnv1a64(const void *data, size_t length, uint64_t hash);
#define CLCNN_FNV1A64_INIT 0xcbf29ce484222325ULL

/* ---- buffers ------------------------------------------------------------------------- */

/* A tensor's storage on either path: cl_mem on an OpenCL device, host memory on the
 * reference path. Shapes live with the ops, not here. */
typedef struct clcnn_buffer {
    cl_mem mem;
    void *host;
    size_t bytes;
    bool view; /* a range of another buffer: its host memory belongs to that one */
} clcnn_buffer;

/* Allocates and zero-fills (the fill makes lazily allocating drivers fail here, with a
 * clear message, rather than at first use). bytes is checked against the device's
 * maximum allocation before the call. */
clcnn_status clcnn_buffer_create(clcnn_context *context, size_t bytes, clcnn_buffer *buffer);
void clcnn_buffer_release(clcnn_buffer *buffer);
/* bytes at offset of parent, as a buffer of its own (an OpenCL sub-buffer): how the trainer
 * hands each parameter tensor a piece of one contiguous arena. offset must be a multiple of
 * clcnn_buffer_alignment(). Release views before their parent. */
clcnn_status clcnn_buffer_view(clcnn_context *context, clcnn_buffer *parent, size_t offset,
                               size_t bytes, clcnn_buffer *view);
/* The device's sub-buffer origin alignment in bytes (CL_DEVICE_MEM_BASE_ADDR_ALIGN). */
size_t clcnn_buffer_alignment(const clcnn_context *context);
clcnn_status clcnn_buffer_write(clcnn_context *context, clcnn_buffer *buffer, size_t offset,
                                const void *data, size_t bytes);
clcnn_status clcnn_buffer_read(clcnn_context *context, const clcnn_buffer *buffer, size_t offset,
                               void *data, size_t bytes);
clcnn_status clcnn_buffer_copy(clcnn_context *context, const clcnn_buffer *source,
                               clcnn_buffer *destination, size_t bytes);
/* bytes from source_offset of source to destination_offset of destination, queued (no wait) */
clcnn_status clcnn_buffer_copy_at(clcnn_context *context, const clcnn_buffer *source,
                                  size_t source_offset, clcnn_buffer *destination,
                                  size_t destination_offset, size_t bytes);

/* Pinned host memory for uploads that do not wait (CL_MEM_ALLOC_HOST_PTR, mapped once): two
 * regions of `bytes`, used in turn. An upload from a region is queued without blocking, and a
 * region is written again only once its last upload has finished, which the host waits for
 * (a synchronisation, counted) only when it has not. On the reference path, plain memory. */
typedef struct clcnn_staging {
    cl_mem buffer;
    char *host;
    size_t bytes;        /* of a region */
    cl_event done[2];    /* each region's last upload, or NULL */
    int next;
} clcnn_staging;
clcnn_status clcnn_staging_create(clcnn_context *context, size_t bytes, clcnn_staging *staging);
void clcnn_staging_release(clcnn_context *context, clcnn_staging *staging);
/* The next region to fill, once its last upload has finished. */
clcnn_status clcnn_staging_next(clcnn_context *context, clcnn_staging *staging, char **region);
/* Queues `bytes` at region + offset (of the region clcnn_staging_next gave) into buffer. */
clcnn_status clcnn_staging_upload(clcnn_context *context, clcnn_staging *staging,
                                  size_t offset, clcnn_buffer *buffer, size_t bytes);

/* ---- dispatch helpers ------------------------------------------------------------------ */

/* Sets kernel arguments from (size, pointer) pairs: clcnn_set_args(ctx, k, 3, sizeof(cl_mem),
 * &x, sizeof(int), &n, ...). Names the kernel and argument index on failure. */
clcnn_status clcnn_set_args(clcnn_context *context, cl_kernel kernel, int count, ...);

/* Enqueues a 1-D launch of at least `items` work-items in groups of local_size (rounded up;
 * kernels bound-check), or a launch of exactly `groups` work-groups of local_size. */
clcnn_status clcnn_launch_items(clcnn_context *context, cl_kernel kernel, size_t items,
                                size_t local_size);
clcnn_status clcnn_launch_groups(clcnn_context *context, cl_kernel kernel, size_t groups,
                                 size_t local_size);
/* clcnn_launch_items with local_size halved (down to 1) until every compute unit gets two
 * work-groups: for launches of few, long work-items, which one group would leave to one core. */
clcnn_status clcnn_launch_spread(clcnn_context *context, cl_kernel kernel, size_t items,
                                 size_t local_size);
/* clcnn_launch_items in groups of the device's tuned element-wise work-group size. */
clcnn_status clcnn_launch_elementwise(clcnn_context *context, cl_kernel kernel, size_t items);

/* Enqueues an n-D launch of exactly global[i] items in groups of local[i] (global[i] a multiple
 * of local[i]), for kernels with a fixed work-group shape. */
clcnn_status clcnn_launch_nd(clcnn_context *context, cl_kernel kernel, cl_uint dimensions,
                             const size_t *global, const size_t *local);

/* Enqueues a 3-D launch over [planes][height][width], x fastest: work-groups of up to
 * tuning.planes_work_group items, a power of two wide (and tall, and several planes deep, when a
 * plane is smaller), so that kernels read their coordinates from get_global_id() with no
 * division. Kernels bound-check x < width and y < height; the plane range is exact. */
clcnn_status clcnn_launch_planes(clcnn_context *context, cl_kernel kernel, size_t width,
                                 size_t height, size_t planes);

/* Declares the floating-point operations and bytes moved of the next launch (profiling only;
 * a no-op otherwise). */
void clcnn_profile_cost(clcnn_context *context, double flops, double bytes);

/* With profiling on: the event argument for a launch (NULL when off), and the record of it. */
cl_event *clcnn_profile_event(clcnn_context *context, cl_event *event);
clcnn_status clcnn_profile_launch(clcnn_context *context, const char *name, cl_event first,
                                  cl_event last, size_t global_size, size_t local_size);

/* Resolves pending events into per-kernel times (after the queue is drained). */
clcnn_status clcnn_profile_flush(clcnn_context *context);
void clcnn_profile_free(clcnn_context *context);


#endif
