/* clcnn devices [--long | --json]: every platform and device. The default table fits 80
 * columns with what choosing a device needs; --long lists every property, as clinfo does, and
 * --json the same for programs. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_json(const clcnn_device_info *devices, int count)
{
    json_object *list = json_object_new_array();
    for (int i = 0; i < count; i++) {
        const clcnn_device_info *d = &devices[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "index", json_object_new_int(d->index));
        json_object_object_add(o, "platform_index", json_object_new_int(d->platform_index));
        json_object_object_add(o, "device_index", json_object_new_int(d->device_index));
        json_object_object_add(o, "platform", json_object_new_string(d->platform));
        json_object_object_add(o, "platform_version", json_object_new_string(d->platform_version));
        json_object_object_add(o, "name", json_object_new_string(d->name));
        json_object_object_add(o, "type", json_object_new_string(d->type));
        json_object_object_add(o, "vendor", json_object_new_string(d->vendor));
        json_object_object_add(o, "version", json_object_new_string(d->version));
        json_object_object_add(o, "driver_version", json_object_new_string(d->driver_version));
        json_object_object_add(o, "opencl_c_version", json_object_new_string(d->opencl_c_version));
        json_object_object_add(o, "compute_units", json_object_new_int((int)d->compute_units));
        json_object_object_add(o, "clock_mhz", json_object_new_int((int)d->clock_mhz));
        json_object_object_add(o, "global_mem_bytes", json_object_new_int64((int64_t)d->global_mem_bytes));
        json_object_object_add(o, "max_alloc_bytes", json_object_new_int64((int64_t)d->max_alloc_bytes));
        json_object_object_add(o, "local_mem_bytes", json_object_new_int64((int64_t)d->local_mem_bytes));
        json_object_object_add(o, "max_work_group_size", json_object_new_int64((int64_t)d->max_work_group_size));
        json_object_object_add(o, "fp64", json_object_new_boolean(d->fp64));
        json_object_object_add(o, "fp16", json_object_new_boolean(d->fp16));
        json_object_object_add(o, "simulator", json_object_new_boolean(d->is_simulator));
        json_object *extensions = json_object_new_array();
        char words[sizeof d->extensions];
        snprintf(words, sizeof words, "%s", d->extensions);
        for (char *save = NULL, *word = strtok_r(words, " ", &save); word;
             word = strtok_r(NULL, " ", &save))
            json_object_array_add(extensions, json_object_new_string(word));
        json_object_object_add(o, "extensions", extensions);
        json_object_array_add(list, o);
    }
    printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(list);
}

static void format_bytes(uint64_t bytes, char *out, size_t size)
{
    if (bytes >= (1ull << 30))
        snprintf(out, size, "%.1f GiB", bytes / 1073741824.0);
    else if (bytes >= (1ull << 20))
        snprintf(out, size, "%.1f MiB", bytes / 1048576.0);
    else
        snprintf(out, size, "%.0f KiB", bytes / 1024.0);
}

static void print_no_device(int count)
{
    if (count > 0)
        return;
    char reason[2048];
    clcnn_explain_no_device(reason, sizeof reason);
    printf("(no OpenCL device: %s)\n", reason);
}

/* text in a column of `width`, cut with "…" when longer (3 bytes, 1 column: padded by hand) */
static void print_column(const char *text, int width)
{
    int length = (int)strlen(text);
    if (length <= width)
        printf("%s%*s", text, width - length, "");
    else
        printf("%.*s\xe2\x80\xa6", width - 1, text);
}

static void print_table(const clcnn_device_info *devices, int count)
{
    printf("%-2s %-5s %-30s %-11s %4s %9s  %s\n", "#", "p:d", "device", "type", "CUs", "memory",
           "platform");
    for (int i = 0; i < count; i++) {
        const clcnn_device_info *d = &devices[i];
        char location[16], memory[24];
        snprintf(location, sizeof location, "%d:%d", d->platform_index, d->device_index);
        format_bytes(d->global_mem_bytes, memory, sizeof memory);
        printf("%-2d %-5s ", d->index, location);
        print_column(d->name, 30);
        printf(" %-11.11s %4u %9s  ", d->type, d->compute_units, memory);
        int length = (int)strlen(d->platform);
        printf(length <= 11 ? "%s\n" : "%.10s\xe2\x80\xa6\n", d->platform);
    }
    print_no_device(count);
    printf("ref      the plain-C reference path\n");
    if (count > 0)
        printf("--device takes the # or p:d; 'clcnn devices --long' shows every property.\n");
}

/* "  label                  value" lines, the extensions wrapped at 80 columns */
static void print_long(const clcnn_device_info *devices, int count)
{
    for (int i = 0; i < count; i++) {
        const clcnn_device_info *d = &devices[i];
        char global[24], alloc[24], local[24];
        format_bytes(d->global_mem_bytes, global, sizeof global);
        format_bytes(d->max_alloc_bytes, alloc, sizeof alloc);
        format_bytes(d->local_mem_bytes, local, sizeof local);
        printf("%sDevice %d (--device %d or %d:%d)%s\n", i ? "\n" : "", d->index, d->index,
               d->platform_index, d->device_index, d->is_simulator ? ": a simulator" : "");
        printf("  %-20s %s\n", "name", d->name);
        printf("  %-20s %s\n", "platform", d->platform);
        printf("  %-20s %s\n", "platform version", d->platform_version);
        printf("  %-20s %s\n", "vendor", d->vendor);
        printf("  %-20s %s\n", "type", d->type);
        printf("  %-20s %s\n", "version", d->version);
        printf("  %-20s %s\n", "driver version", d->driver_version);
        printf("  %-20s %s\n", "OpenCL C", d->opencl_c_version);
        printf("  %-20s %u\n", "compute units", d->compute_units);
        printf("  %-20s %u MHz\n", "clock", d->clock_mhz);
        printf("  %-20s %s\n", "global memory", global);
        printf("  %-20s %s\n", "largest allocation", alloc);
        printf("  %-20s %s\n", "local memory", local);
        printf("  %-20s %zu\n", "largest work-group", d->max_work_group_size);
        printf("  %-20s %s\n", "fp64", d->fp64 ? "yes" : "no");
        printf("  %-20s %s\n", "fp16", d->fp16 ? "yes" : "no");
        printf("  %-20s", "extensions");
        char words[sizeof d->extensions];
        snprintf(words, sizeof words, "%s", d->extensions);
        const int indent = 23;
        int column = indent;
        for (char *save = NULL, *word = strtok_r(words, " ", &save); word;
             word = strtok_r(NULL, " ", &save)) {
            int length = (int)strlen(word);
            if (column > indent && column + 1 + length > 79) {
                printf("\n%*s", indent - 1, "");
                column = indent - 1;
            }
            printf(" %s", word);
            column += 1 + length;
        }
        printf("\n");
    }
    print_no_device(count);
    printf("%sref: the plain-C reference path (--device ref)\n", count ? "\n" : "");
}

/* config: bool[2], json and long */
static bool handle(int key, const char *arg, void *config)
{
    (void)arg;
    bool *flags = config;
    if (key == 'j' || key == 'l')
        flags[key == 'l'] = true;
    return true;
}

int command_devices(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"long", 'l', NULL, 0, "every property: versions, memory, limits, extensions", 0},
        {"json", 'j', NULL, 0, "every property, as JSON", 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Lists every OpenCL platform and device; the # and p:d columns are what --device "
        "accepts.",
        handle};
    bool flags[2] = {false, false};
    int parsed = parse_command_line(&line, argc, argv, flags, NULL);
    if (parsed >= 0)
        return parsed;
    const bool json = flags[0], full = flags[1];
    clcnn_device_info *devices = NULL;
    int count = 0;
    clcnn_status status = clcnn_list_devices(&devices, &count);
    if (status != CLCNN_OK)
        return report_failure(status, "listing OpenCL devices");
    if (json)
        print_json(devices, count);
    else if (full)
        print_long(devices, count);
    else
        print_table(devices, count);
    free(devices);
    return 0;
}
