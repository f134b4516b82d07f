/* Helpers shared by the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int report_failure(clcnn_status status, const char *doing)
{
    fprintf(stderr, "clcnn: %s failed: %s\n", doing, clcnn_last_error());
    return status == CLCNN_ERROR_NO_DEVICE || status == CLCNN_ERROR_INVALID_ARGUMENT ? EXIT_USAGE
                                                                                    : 1;
}

const char *device_spec(const char *from_flag)
{
    if (from_flag)
        return from_flag;
    const char *from_environment = getenv("CLCNN_DEVICE");
    return from_environment && *from_environment ? from_environment : NULL;
}

void print_device_header(const clcnn_device_info *device)
{
    if (device->is_reference)
        fprintf(stderr, "Device: %s\n", device->name);
    else
        fprintf(stderr, "Device: %s (%s, driver %s)\n", device->name, device->platform,
                device->driver_version);
}

bool parse_int_flag(const char *flag, const char *text, long minimum, long maximum, long *value)
{
    char *end = NULL;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || parsed < minimum || parsed > maximum) {
        fprintf(stderr, "clcnn: %s expects a whole number from %ld to %ld, got '%s'\n", flag,
                minimum, maximum, text);
        return false;
    }
    *value = parsed;
    return true;
}
