/* clcnn build [--device SPEC]: compiles every kernel program for the device (or loads it
 * from the program cache) and reports what happened; run once to warm the cache. */
#include <stdio.h>

#include "cli.h"

static bool handle(int key, const char *arg, void *config)
{
    if (key == 'd')
        *(const char **)config = arg;
    return true;
}

int command_build(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"device", 'd', "SPEC", 0, DEVICE_HELP, 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Compiles every kernel program for the device, through the program cache "
        "($CLCNN_CACHE_DIR, else $XDG_CACHE_HOME/clcnn; CLCNN_CACHE=0 turns it off).",
        handle};
    const char *device_flag = NULL;
    int parsed = parse_command_line(&line, argc, argv, &device_flag, NULL);
    if (parsed >= 0)
        return parsed;
    clcnn_context *context = NULL;
    int opened = open_device(device_spec(device_flag), NULL, &context);
    if (opened != 0)
        return opened;
    clcnn_status status = clcnn_context_build_all(context);
    clcnn_build_stats stats = clcnn_context_build_stats(context);
    bool tuned = false;
    clcnn_tuning tuning = clcnn_context_tuning(context, &tuned);
    clcnn_context_destroy(context);
    if (status != CLCNN_OK)
        return report_failure(status, "building the kernels");
    printf("%d programs built from source, %d loaded from the cache, %d cache entries rejected; "
           "%.3f s\n",
           stats.built_from_source, stats.loaded_from_cache, stats.cache_rejected,
           stats.build_seconds);
    printf("work-groups (%s): conv2d 3x3 %d, element-wise %d, planes %d\n",
           tuned ? "from clcnn tune" : "defaults; clcnn tune may find better", tuning.conv2d_3x3_work_group,
           tuning.elementwise_work_group, tuning.planes_work_group);
    return 0;
}
