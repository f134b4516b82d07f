/* The tuner (clcnn_tune in include/clcnn/tune.h): times every candidate of every tuning
 * parameter through the cross-check, so that a candidate that breaks an op cannot win, and
 * hands the winners to the store (host/tuning_store.c). */
#include <math.h>
#include <stdio.h>

#include "ops.h"

/* Sums the median device time of the rows into *user_data (a double, milliseconds). */
static void add_row(const clcnn_check_row *row, void *user_data)
{
    *(double *)user_data += row->device_ms;
}

clcnn_status clcnn_tune(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                        clcnn_tune_callback callback, void *user_data, clcnn_tuning *winners)
{
    if (context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "tune: the reference path has no work-groups to tune; pick an OpenCL device");
    CLCNN_TRY(clcnn_context_build_all(context));
    const clcnn_tuning_state saved = context->tuning;
    const int limit = clcnn_tuning_limit(context);
    clcnn_tuning best = saved.values;
    for (size_t i = 0; i < CLCNN_TUNING_PARAMETERS; i++) {
        const clcnn_tuning_parameter *p = &clcnn_tuning_parameters[i];
        double best_milliseconds = INFINITY;
        int best_value = 0;
        for (int value = p->smallest; value <= p->largest && value <= limit; value *= 2) {
            context->tuning.values = best;
            *clcnn_tuning_field(&context->tuning.values, p) = value;
            double milliseconds = 0.0;
            int failures = 0;
            clcnn_status status = clcnn_check_families(context, shapes, p->families, 1, runs,
                                                       add_row, &milliseconds, &failures);
            if (status != CLCNN_OK) {
                context->tuning = saved;
                return status;
            }
            clcnn_tune_row row = {.value = value, .milliseconds = milliseconds,
                                  .passed = failures == 0};
            snprintf(row.parameter, sizeof row.parameter, "%s", p->name);
            if (callback)
                callback(&row, user_data);
            if (row.passed && row.milliseconds < best_milliseconds) {
                best_milliseconds = row.milliseconds;
                best_value = value;
            }
        }
        if (best_value == 0) {
            context->tuning = saved;
            return clcnn_fail(CLCNN_ERROR_NUMERIC,
                              "tune: no candidate for %s passed the cross-check on %s; nothing "
                              "was stored (run `clcnn check` on this device)",
                              p->name, context->device.name);
        }
        *clcnn_tuning_field(&best, p) = best_value;
    }
    CLCNN_TRY(clcnn_tuning_save(context, &best));
    *winners = best;
    return CLCNN_OK;
}
