/* clcnn devices [--json]: every platform and device with the properties that matter. */
#include <getopt.h>
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
        json_object_array_add(list, o);
    }
    printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY));
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

static void print_table(const clcnn_device_info *devices, int count)
{
    printf("%-3s %-5s %-28s %-44s %-16s %-22s %-14s %-16s %4s %5s %10s %10s %9s %6s %4s %4s\n",
           "#", "p:d", "platform", "device", "type", "vendor", "driver", "OpenCL C", "CUs",
           "MHz", "global", "max alloc", "local", "max WG", "fp64", "fp16");
    for (int i = 0; i < count; i++) {
        const clcnn_device_info *d = &devices[i];
        char location[16], global[24], alloc[24], local[24];
        snprintf(location, sizeof location, "%d:%d", d->platform_index, d->device_index);
        format_bytes(d->global_mem_bytes, global, sizeof global);
        format_bytes(d->max_alloc_bytes, alloc, sizeof alloc);
        format_bytes(d->local_mem_bytes, local, sizeof local);
        printf("%-3d %-5s %-28.28s %-44.44s %-16.16s %-22.22s %-14.14s %-16.16s %4u %5u %10s "
               "%10s %9s %6zu %4s %4s\n",
               d->index, location, d->platform, d->name, d->type, d->vendor, d->driver_version,
               d->opencl_c_version, d->compute_units, d->clock_mhz, global, alloc, local,
               d->max_work_group_size, d->fp64 ? "yes" : "no", d->fp16 ? "yes" : "no");
    }
    if (count == 0)
        printf("(no OpenCL device found: install an ICD, e.g. Debian's pocl-opencl-icd)\n");
    printf("ref   the plain-C reference path (--device ref)\n");
}

int command_devices(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int option;
    while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'j': json = true; break;
        case 'h':
            printf("usage: clcnn devices [--json]\nLists every OpenCL platform and device; the "
                   "index and p:d columns are what --device accepts.\n");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "clcnn devices: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    clcnn_device_info *devices = NULL;
    int count = 0;
    clcnn_status status = clcnn_list_devices(&devices, &count);
    if (status != CLCNN_OK)
        return report_failure(status, "listing OpenCL devices");
    if (json)
        print_json(devices, count);
    else
        print_table(devices, count);
    free(devices);
    return 0;
}
