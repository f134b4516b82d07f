/* Data-parallel benches, weak scaling: each device gets a batch of 64 (the global batch is 64
 * a device), against one device at batch 64. The step's median, the images per second, the
 * scaling efficiency (images per second over the devices' count times one device's) and the
 * time the gradient exchange takes. Synthetic images, as the workload's.
 *  - clcnn bench --device A,B,...: replicas in one process (the exchange: the sum on the
 *    host, written back);
 *  - mpirun -np N clcnn bench: a rank per device (the exchange: the rank-ordered sum across
 *    the ranks, written back). */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ranks.h"

#define BATCH_PER_DEVICE 64
#define WARMUP 3

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *samples, int count)
{
    qsort(samples, (size_t)count, sizeof *samples, compare_doubles);
    return samples[count / 2];
}

static void report(int devices, int steps, double single_ms, double step_ms, double exchange_ms,
                   const char *model_path, const char *what, bool json)
{
    const int global = BATCH_PER_DEVICE * devices;
    const double single_rate = BATCH_PER_DEVICE * 1e3 / single_ms;
    const double rate = global * 1e3 / step_ms;
    const double efficiency = rate / (devices * single_rate);
    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "devices", json_object_new_int(devices));
        json_object_object_add(o, "layout", json_object_new_string(what));
        json_object_object_add(o, "model", json_object_new_string(model_path ? model_path : "tutorial"));
        json_object_object_add(o, "batch_per_device", json_object_new_int(BATCH_PER_DEVICE));
        json_object_object_add(o, "steps", json_object_new_int(steps));
        json_object_object_add(o, "one_device_step_ms", json_object_new_double(single_ms));
        json_object_object_add(o, "step_ms", json_object_new_double(step_ms));
        json_object_object_add(o, "images_per_second", json_object_new_double(rate));
        json_object_object_add(o, "one_device_images_per_second", json_object_new_double(single_rate));
        json_object_object_add(o, "scaling_efficiency", json_object_new_double(efficiency));
        json_object_object_add(o, "exchange_ms_per_step", json_object_new_double(exchange_ms));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return;
    }
    printf("\n== %d %s, a batch of %d each (medians of %d steps after %d warm-up) ==\n"
           "one device, batch %d:  %8.2f ms a step, %8.0f images/s\n"
           "%d %s, batch %d: %8.2f ms a step, %8.0f images/s\n"
           "scaling efficiency: %.2f (images/s over %d x one device's)\n"
           "exchange (the gradients summed and written back): %.2f ms a step, %.0f%% of the step\n",
           devices, what, BATCH_PER_DEVICE, steps, WARMUP, BATCH_PER_DEVICE, single_ms, single_rate,
           devices, what, global, step_ms, rate, efficiency, devices, exchange_ms,
           100.0 * exchange_ms / step_ms);
}

int bench_ranks(const char *spec, const char *model_path, int steps, bool json)
{
    ranks r;
    if (!ranks_start(&r, NULL, NULL))
        return 1;
    if (r.rank != 0 && !freopen("/dev/null", "w", stdout)) /* rank 0 speaks for the job */
        ranks_abort(&r, "cannot quiet this rank's output");
    /* this rank's device: the list's entry for its rank on the machine */
    char mine[64] = "";
    int listed = 0;
    for (const char *at = spec; at; at = strchr(at, ',') ? strchr(at, ',') + 1 : NULL)
        listed++;
    const char *at = spec;
    for (int k = 0; at && k < r.local_rank % (listed ? listed : 1); k++)
        at = strchr(at, ',') + 1;
    if (at)
        snprintf(mine, sizeof mine, "%.*s", (int)strcspn(at, ","), at);
    clcnn_model *model = model_path ? load_model(model_path) : clcnn_model_seed();
    clcnn_context *context = NULL;
    clcnn_trainer *trainer = NULL;
    clcnn_images images = {0};
    clcnn_batch batch = {0};
    double *samples = calloc((size_t)steps, sizeof *samples);
    if (!model || !samples || !workload_images(model, BATCH_PER_DEVICE, &images, &batch))
        ranks_abort(&r, "its set-up failed (see above)");
    clcnn_train_options options = clcnn_train_defaults();
    options.batch_size = BATCH_PER_DEVICE;
    clcnn_status status = clcnn_context_create(mine[0] ? mine : NULL, NULL, &context);
    if (status == CLCNN_OK)
        status = clcnn_trainer_create(context, model, &options, &trainer);
    if (status != CLCNN_OK)
        ranks_abort(&r, clcnn_last_error());
    if (!json)
        print_device_header(clcnn_context_device(context));
    /* one device alone (rank 0's), while the others wait */
    clcnn_batch_totals totals;
    double single_ms = 0;
    if (r.rank == 0) {
        for (int i = -WARMUP; i < steps && status == CLCNN_OK; i++) {
            double start = seconds_now();
            status = clcnn_trainer_train_step(trainer, batch.x, batch.labels, BATCH_PER_DEVICE, &totals);
            if (status == CLCNN_OK)
                status = clcnn_context_finish(context);
            if (i >= 0)
                samples[i] = (seconds_now() - start) * 1e3;
        }
        if (status != CLCNN_OK)
            ranks_abort(&r, clcnn_last_error());
        single_ms = median(samples, steps);
    }
    ranks_barrier(&r);
    const size_t floats = clcnn_trainer_gradient_count(trainer) + 1;
    rank_step_state state = {malloc(floats * sizeof(float)), malloc(floats * sizeof(float)), 0};
    if (!state.gradients || !state.sum)
        ranks_abort(&r, "out of host memory for the gradients");
    const int global = BATCH_PER_DEVICE * r.size;
    double exchange_before = 0;
    for (int i = -WARMUP; i < steps; i++) {
        if (i == 0)
            exchange_before = state.exchange_seconds;
        double start = seconds_now();
        rank_totals sums;
        ranks_train_step(&r, trainer, &state, batch.x, batch.labels, BATCH_PER_DEVICE,
                         r.rank * BATCH_PER_DEVICE, global, false, &sums);
        if (clcnn_context_finish(context) != CLCNN_OK)
            ranks_abort(&r, clcnn_last_error());
        if (i >= 0)
            samples[i] = (seconds_now() - start) * 1e3;
    }
    if (r.rank == 0)
        report(r.size, steps, single_ms, median(samples, steps),
               (state.exchange_seconds - exchange_before) * 1e3 / steps, model_path, "ranks", json);
    free(state.gradients);
    free(state.sum);
    clcnn_trainer_destroy(trainer);
    clcnn_context_destroy(context);
    clcnn_batch_free(&batch);
    clcnn_images_free(&images);
    clcnn_model_destroy(model);
    free(samples);
    ranks_stop(&r);
    return 0;
}

int bench_replicas(const char *spec, const char *model_path, int steps, bool json)
{
    char specs[CLCNN_MAX_REPLICAS][64];
    int devices = 0;
    for (const char *at = spec;; at += strcspn(at, ",") + 1) {
        size_t length = strcspn(at, ",");
        if (devices == CLCNN_MAX_REPLICAS || length == 0 || length >= sizeof specs[0]) {
            fprintf(stderr, "clcnn bench: --device '%s': expected 1 to %d device specs, "
                            "comma-separated, none empty\n", spec, CLCNN_MAX_REPLICAS);
            return EXIT_USAGE;
        }
        snprintf(specs[devices++], sizeof specs[0], "%.*s", (int)length, at);
        if (!at[length])
            break;
    }
    clcnn_model *model = model_path ? load_model(model_path) : clcnn_model_seed();
    if (!model)
        return 1;
    clcnn_context *contexts[CLCNN_MAX_REPLICAS] = {NULL};
    clcnn_trainer *single = NULL;
    clcnn_replicas *replicas = NULL;
    clcnn_images images = {0};
    clcnn_batch batch = {0};
    double *samples = calloc((size_t)steps, sizeof *samples);
    const int global = BATCH_PER_DEVICE * devices;
    clcnn_status status = samples && workload_images(model, global, &images, &batch)
                              ? CLCNN_OK : CLCNN_ERROR_ALLOCATION;
    for (int k = 0; k < devices && status == CLCNN_OK; k++) {
        status = clcnn_context_create(specs[k], NULL, &contexts[k]);
        if (status == CLCNN_OK && !json)
            print_device_header(clcnn_context_device(contexts[k]));
    }
    clcnn_train_options options = clcnn_train_defaults();
    options.batch_size = BATCH_PER_DEVICE;
    if (status == CLCNN_OK)
        status = clcnn_trainer_create(contexts[0], model, &options, &single);
    clcnn_batch_totals totals;
    double single_ms = 0, replicas_ms = 0, exchange_ms = 0;
    for (int i = -WARMUP; i < steps && status == CLCNN_OK; i++) {
        double start = seconds_now();
        status = clcnn_trainer_train_step(single, batch.x, batch.labels, BATCH_PER_DEVICE, &totals);
        if (status == CLCNN_OK)
            status = clcnn_context_finish(contexts[0]);
        if (i >= 0)
            samples[i] = (seconds_now() - start) * 1e3;
    }
    if (status == CLCNN_OK)
        single_ms = median(samples, steps);
    clcnn_trainer_destroy(single);
    options.batch_size = global;
    if (status == CLCNN_OK)
        status = clcnn_replicas_create(contexts, devices, NULL, model, &options, &replicas);
    double exchange_before = 0;
    for (int i = -WARMUP; i < steps && status == CLCNN_OK; i++) {
        if (i == 0)
            exchange_before = clcnn_replicas_exchange_seconds(replicas);
        double start = seconds_now();
        status = clcnn_replicas_train_step(replicas, batch.x, batch.labels, global, &totals);
        for (int k = 0; k < devices && status == CLCNN_OK; k++)
            status = clcnn_context_finish(contexts[k]);
        if (i >= 0)
            samples[i] = (seconds_now() - start) * 1e3;
    }
    if (status == CLCNN_OK) {
        replicas_ms = median(samples, steps);
        exchange_ms = (clcnn_replicas_exchange_seconds(replicas) - exchange_before) * 1e3 / steps;
    }
    if (status == CLCNN_OK)
        report(devices, steps, single_ms, replicas_ms, exchange_ms, model_path, "replicas", json);
    int result = status == CLCNN_OK ? 0 : report_failure(status, "timing the replicas");
    clcnn_replicas_destroy(replicas);
    for (int k = 0; k < devices; k++)
        clcnn_context_destroy(contexts[k]);
    clcnn_batch_free(&batch);
    clcnn_images_free(&images);
    clcnn_model_destroy(model);
    free(samples);
    return result;
}
