/* The tuner (clcnn_tune in include/clcnn/tune.h): times every candidate of every tuning
 * parameter through the cross-check, so that a candidate that breaks an op cannot win, and
 * hands the winners to the store (host/tuning_store.c). */
#include <math.h>
#include <stdio.h>

#include "ops.h"

/* Sums the median, fastest and slowest device times of the rows into *user_data (a
 * clcnn_tune_row, milliseconds). */
static void add_row(const clcnn_check_row *row, void *user_data)
{
    clcnn_tune_row *sum = user_data;
    sum->milliseconds += row->device_ms;
    sum->min_milliseconds += row->device_ms_min;
    sum->max_milliseconds += row->device_ms_max;
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
        char families[256];
        clcnn_tuning_families(p, families, sizeof families);
        const int default_value = *clcnn_tuning_field(&best, p);
        clcnn_tune_row fastest = {.milliseconds = INFINITY}, standard = {.passed = false};
        for (int value = p->smallest; value <= p->largest && value <= limit; value *= 2) {
            context->tuning.values = best;
            *clcnn_tuning_field(&context->tuning.values, p) = value;
            clcnn_tune_row row = {.value = value};
            int failures = 0;
            clcnn_status status = clcnn_check_families(context, shapes, families, 1, runs,
                                                       add_row, &row, &failures);
            if (status != CLCNN_OK) {
                context->tuning = saved;
                return status;
            }
            row.passed = failures == 0;
            snprintf(row.parameter, sizeof row.parameter, "%s", p->name);
            if (callback)
                callback(&row, user_data);
            if (row.passed && row.milliseconds < fastest.milliseconds)
                fastest = row;
            if (value == default_value)
                standard = row;
        }
        /* one noisy run must not move the setting: the default stays unless the winner's
         * slowest run beats the default's median */
        int best_value = fastest.value;
        if (standard.passed && fastest.max_milliseconds >= standard.milliseconds)
            best_value = default_value;
        if (callback && best_value) {
            clcnn_tune_row decision = best_value == fastest.value ? fastest : standard;
            decision.decision = true;
            decision.default_value = default_value;
            decision.default_milliseconds = standard.passed ? standard.milliseconds : NAN;
            callback(&decision, user_data);
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
