/* Cross-checking a device against the plain-C reference: every op and direction, on random
 * data, at chosen shapes. This is what `clcnn check` runs and what the test suite asserts. */
#ifndef CLCNN_CHECK_H
#define CLCNN_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "clcnn/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_check_shapes {
    CLCNN_CHECK_SHAPES_SMALL = 1, /* odd sizes, batch 1, counts off every work-group multiple */
    CLCNN_CHECK_SHAPES_SEED = 2,  /* the tutorial model's real shapes at batch 64 */
    CLCNN_CHECK_SHAPES_ALL = 3,
} clcnn_check_shapes;

/* One op, direction and shape compared on one device. A row passes when every output element
 * satisfies |device - reference| <= tolerance_abs + tolerance_rel * |reference| and the
 * canary elements written past the end of every output buffer are untouched. */
typedef struct clcnn_check_row {
    char op[32];
    char direction[24];
    char shape[96];
    /* the kernel variant that ran: the device's choice, or the one forced by
     * CLCNN_CHECK_VARIANTS_ALL; "" for ops with one implementation, "reference" on the
     * reference path */
    char variant[32];
    double max_abs_error;
    double max_rel_error; /* over elements with |reference| > 1e-6 */
    double tolerance_abs;
    double tolerance_rel;
    /* The deciding number: the largest, over elements, of the error over that element's
     * tolerance, |got - reference| / (tolerance_abs + tolerance_rel * |reference|). A row
     * passes when it is at most 1; so a large max_rel_error on a tiny reference value can pass
     * by the absolute term. */
    double error_over_tolerance;
    bool canaries_intact;
    bool passed;
    double device_ms;        /* median of the timed runs after a warm-up, queue drained */
    double device_ms_min, device_ms_max;
    int timing_runs;
    char mismatches[512];    /* the first mismatching elements with their values, or "" */
} clcnn_check_row;

typedef void (*clcnn_check_callback)(const clcnn_check_row *row, void *user_data);

/* Runs every case of the shape set on the context's device, calling back once per row.
 * *failures counts rows that did not pass. Returns an error only when the device itself
 * failed (build, allocation, launch); a numerical mismatch is a failed row, not an error. */
CLCNN_API clcnn_status clcnn_check_run(clcnn_context *context, clcnn_check_shapes shapes,
                                       uint64_t seed, clcnn_check_callback callback,
                                       void *user_data, int *failures);

/* Which kernel variants a check runs for ops that have several (conv2d, dense, maxpool2d):
 * the one the device would choose, or every variant that handles the case, each forced
 * whatever the device would choose, so that a GPU variant is proven on a CPU device (and on
 * Oclgrind) and the other way round. */
typedef enum clcnn_check_variants {
    CLCNN_CHECK_VARIANTS_CHOSEN = 0,
    CLCNN_CHECK_VARIANTS_ALL = 1,
} clcnn_check_variants;

/* As clcnn_check_run_timed, with the variants to run. */
CLCNN_API clcnn_status clcnn_check_run_variants(clcnn_context *context, clcnn_check_shapes shapes,
                                                clcnn_check_variants variants, uint64_t seed,
                                                int timing_runs, clcnn_check_callback callback,
                                                void *user_data, int *failures);

/* As clcnn_check_run, timing each op timing_runs times (1 to 1000) after its warm-up: the
 * rows' device_ms is then the median and device_ms_min/max the spread. `clcnn bench` uses
 * it for the per-op table, so every op it times has also been cross-checked. */
CLCNN_API clcnn_status clcnn_check_run_timed(clcnn_context *context, clcnn_check_shapes shapes,
                                             uint64_t seed, int timing_runs,
                                             clcnn_check_callback callback, void *user_data,
                                             int *failures);

#ifdef __cplusplus
}
#endif

#endif
