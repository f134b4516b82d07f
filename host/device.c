/* Device enumeration over every platform, and selection by spec string. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* ocl-icd returns this (cl_khr_icd) when no platform is installed */
#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001
#endif

#define MAX_PLATFORMS 16
#define MAX_DEVICES_PER_PLATFORM 64

static void copy_string_info(cl_device_id device, cl_device_info what, char *out, size_t size)
{
    out[0] = '\0';
    if (clGetDeviceInfo(device, what, size, out, NULL) != CL_SUCCESS)
        snprintf(out, size, "?");
    out[size - 1] = '\0';
}

static cl_ulong ulong_info(cl_device_id device, cl_device_info what)
{
    cl_ulong value = 0;
    clGetDeviceInfo(device, what, sizeof value, &value, NULL);
    return value;
}

static cl_uint uint_info(cl_device_id device, cl_device_info what)
{
    cl_uint value = 0;
    clGetDeviceInfo(device, what, sizeof value, &value, NULL);
    return value;
}

static bool contains_case_insensitive(const char *haystack, const char *needle)
{
    size_t needle_length = strlen(needle);
    for (const char *start = haystack; *start; start++) {
        size_t i = 0;
        while (i < needle_length && start[i] &&
               tolower((unsigned char)start[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == needle_length)
            return true;
    }
    return needle_length == 0;
}

static void describe_type(cl_device_type type, clcnn_device_info *info)
{
    info->type[0] = '\0';
    const struct { cl_device_type bit; const char *name; } names[] = {
        {CL_DEVICE_TYPE_GPU, "GPU"}, {CL_DEVICE_TYPE_CPU, "CPU"},
        {CL_DEVICE_TYPE_ACCELERATOR, "accelerator"}, {CL_DEVICE_TYPE_CUSTOM, "custom"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(type & names[i].bit))
            continue;
        if (info->type[0])
            strncat(info->type, "+", sizeof info->type - strlen(info->type) - 1);
        strncat(info->type, names[i].name, sizeof info->type - strlen(info->type) - 1);
    }
    info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    info->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
}

static void read_device_info(cl_platform_id platform, cl_device_id device, clcnn_device_info *info)
{
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof info->platform, info->platform, NULL);
    info->platform[sizeof info->platform - 1] = '\0';
    clGetPlatformInfo(platform, CL_PLATFORM_VERSION, sizeof info->platform_version,
                      info->platform_version, NULL);
    info->platform_version[sizeof info->platform_version - 1] = '\0';
    copy_string_info(device, CL_DEVICE_NAME, info->name, sizeof info->name);
    copy_string_info(device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    copy_string_info(device, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    copy_string_info(device, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version,
                     sizeof info->opencl_c_version);
    copy_string_info(device, CL_DEVICE_VERSION, info->version, sizeof info->version);
    cl_device_type type = 0;
    clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    describe_type(type, info);
    info->is_simulator = contains_case_insensitive(info->platform, "oclgrind");
    info->compute_units = uint_info(device, CL_DEVICE_MAX_COMPUTE_UNITS);
    info->clock_mhz = uint_info(device, CL_DEVICE_MAX_CLOCK_FREQUENCY);
    info->global_mem_bytes = ulong_info(device, CL_DEVICE_GLOBAL_MEM_SIZE);
    info->max_alloc_bytes = ulong_info(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    info->local_mem_bytes = ulong_info(device, CL_DEVICE_LOCAL_MEM_SIZE);
    size_t max_work_group = 0;
    clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_work_group,
                    &max_work_group, NULL);
    info->max_work_group_size = max_work_group;
    char extensions[8192] = "";
    clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, sizeof extensions - 1, extensions, NULL);
    info->fp64 = strstr(extensions, "cl_khr_fp64") != NULL;
    info->fp16 = strstr(extensions, "cl_khr_fp16") != NULL;
    /* cut at the field's size: a driver's list can be longer */
    size_t length = strnlen(extensions, sizeof info->extensions - 1);
    memcpy(info->extensions, extensions, length);
    info->extensions[length] = '\0';
}

/* The platform and device handles behind devices[index]; used by context creation. */
clcnn_status clcnn_device_handles(const clcnn_device_info *info, cl_platform_id *platform,
                                  cl_device_id *device);

clcnn_status clcnn_device_handles(const clcnn_device_info *info, cl_platform_id *platform,
                                  cl_device_id *device)
{
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint platform_count = 0;
    CLCNN_CL_CHECK(NULL, clGetPlatformIDs(MAX_PLATFORMS, platforms, &platform_count));
    if (info->platform_index >= (int)platform_count)
        return clcnn_fail(CLCNN_ERROR_NO_DEVICE, "platform %d has gone away", info->platform_index);
    cl_device_id devices[MAX_DEVICES_PER_PLATFORM];
    cl_uint device_count = 0;
    CLCNN_CL_CHECK(NULL, clGetDeviceIDs(platforms[info->platform_index], CL_DEVICE_TYPE_ALL,
                                        MAX_DEVICES_PER_PLATFORM, devices, &device_count));
    if (info->device_index >= (int)device_count)
        return clcnn_fail(CLCNN_ERROR_NO_DEVICE, "device %d:%d has gone away",
                          info->platform_index, info->device_index);
    *platform = platforms[info->platform_index];
    *device = devices[info->device_index];
    return CLCNN_OK;
}

clcnn_status clcnn_list_devices(clcnn_device_info **devices, int *count)
{
    *devices = NULL;
    *count = 0;
    cl_platform_id platforms[MAX_PLATFORMS];
    cl_uint platform_count = 0;
    cl_int code = clGetPlatformIDs(MAX_PLATFORMS, platforms, &platform_count);
    if (code == CL_PLATFORM_NOT_FOUND_KHR || platform_count == 0)
        return CLCNN_OK; /* no OpenCL at all: an empty list, not an error */
    CLCNN_CL_CHECK(NULL, code);
    if (platform_count > MAX_PLATFORMS)
        platform_count = MAX_PLATFORMS;

    clcnn_device_info *list = calloc(platform_count * MAX_DEVICES_PER_PLATFORM, sizeof *list);
    if (!list)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory listing devices");
    int total = 0;
    for (cl_uint p = 0; p < platform_count; p++) {
        cl_device_id ids[MAX_DEVICES_PER_PLATFORM];
        cl_uint device_count = 0;
        code = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES_PER_PLATFORM, ids,
                              &device_count);
        if (code == CL_DEVICE_NOT_FOUND)
            continue; /* a platform with no device is legal */
        if (code != CL_SUCCESS) {
            free(list);
            return clcnn_fail_cl(NULL, code, "clGetDeviceIDs", __FILE__, __LINE__);
        }
        for (cl_uint d = 0; d < device_count && d < MAX_DEVICES_PER_PLATFORM; d++) {
            clcnn_device_info *info = &list[total];
            info->index = total;
            info->platform_index = (int)p;
            info->device_index = (int)d;
            read_device_info(platforms[p], ids[d], info);
            total++;
        }
    }
    *devices = list;
    *count = total;
    return CLCNN_OK;
}

clcnn_device_info clcnn_reference_device_info(void)
{
    clcnn_device_info info = {0};
    info.index = -1;
    info.platform_index = -1;
    info.device_index = -1;
    snprintf(info.platform, sizeof info.platform, "clcnn");
    snprintf(info.platform_version, sizeof info.platform_version, "clcnn %s", CLCNN_VERSION_STRING);
    snprintf(info.name, sizeof info.name, "reference (plain C)");
    snprintf(info.vendor, sizeof info.vendor, "clcnn");
    snprintf(info.driver_version, sizeof info.driver_version, "%s", CLCNN_VERSION_STRING);
    snprintf(info.type, sizeof info.type, "reference");
    info.is_reference = true;
    info.compute_units = 1;
    info.fp64 = true;
    return info;
}

static bool parse_int(const char *text, int *value)
{
    char *end = NULL;
    long parsed = strtol(text, &end, 10);
    if (end == text || *end != '\0' || parsed < 0 || parsed > 1000000)
        return false;
    *value = (int)parsed;
    return true;
}

static int find_by_type(const clcnn_device_info *devices, int count, bool want_gpu, bool want_cpu,
                        bool want_accelerator)
{
    for (int i = 0; i < count; i++) {
        const clcnn_device_info *d = &devices[i];
        if (d->is_simulator)
            continue;
        if ((want_gpu && d->is_gpu) || (want_cpu && d->is_cpu) ||
            (want_accelerator && strstr(d->type, "accelerator")))
            return i;
    }
    return -1;
}

static int match_spec(const char *spec, const clcnn_device_info *devices, int count)
{
    if (!spec || !*spec) {
        int gpu = find_by_type(devices, count, true, false, false);
        return gpu >= 0 ? gpu : find_by_type(devices, count, false, true, false);
    }
    int index = 0;
    if (parse_int(spec, &index))
        return index < count ? index : -1;
    const char *colon = strchr(spec, ':');
    if (colon) {
        char platform_text[32];
        size_t length = (size_t)(colon - spec);
        int platform = 0, device = 0;
        if (length < sizeof platform_text) {
            memcpy(platform_text, spec, length);
            platform_text[length] = '\0';
            if (parse_int(platform_text, &platform) && parse_int(colon + 1, &device)) {
                for (int i = 0; i < count; i++)
                    if (devices[i].platform_index == platform && devices[i].device_index == device)
                        return i;
                return -1;
            }
        }
    }
    if (!strcasecmp(spec, "gpu"))
        return find_by_type(devices, count, true, false, false);
    if (!strcasecmp(spec, "cpu"))
        return find_by_type(devices, count, false, true, false);
    if (!strcasecmp(spec, "accelerator"))
        return find_by_type(devices, count, false, false, true);
    for (int i = 0; i < count; i++)
        if (contains_case_insensitive(devices[i].name, spec) ||
            contains_case_insensitive(devices[i].platform, spec) ||
            contains_case_insensitive(devices[i].platform_version, spec) ||
            contains_case_insensitive(devices[i].vendor, spec))
            return i;
    return -1;
}

/* Whether the folder path exists or can be created: tried by creating (and removing) its
 * first missing component, since access() says yes to root even on /proc. blocking names the
 * path that failed. */
static bool creatable(const char *path, char *blocking, size_t size, int *error)
{
    char partial[4096], missing[4096] = "";
    snprintf(partial, sizeof partial, "%s", path);
    struct stat info;
    while (stat(partial, &info) != 0) {
        snprintf(missing, sizeof missing, "%s", partial);
        char *slash = strrchr(partial, '/');
        if (!slash || slash == partial) {
            snprintf(partial, sizeof partial, "%s", slash ? "/" : ".");
            stat(partial, &info);
            break;
        }
        *slash = '\0';
    }
    *error = 0;
    if (!S_ISDIR(info.st_mode)) {
        snprintf(blocking, size, "%s", partial);
        *error = ENOTDIR;
    } else if (*missing && mkdir(missing, 0700) != 0) {
        snprintf(blocking, size, "%s", missing);
        *error = errno;
    } else if (*missing) {
        rmdir(missing);
    }
    return *error == 0;
}

void clcnn_explain_no_device(char *out, size_t size)
{
    /* ocl-icd reads OCL_ICD_VENDORS (a folder or one .icd file) or /etc/OpenCL/vendors */
    const char *vendors = getenv("OCL_ICD_VENDORS");
    const char *folder = vendors && *vendors ? vendors : "/etc/OpenCL/vendors";
    char installed[512] = "";
    bool pocl = false;
    DIR *listing = opendir(folder);
    struct dirent *entry;
    while (listing && (entry = readdir(listing))) {
        size_t length = strlen(entry->d_name);
        if (length < 5 || strcmp(entry->d_name + length - 4, ".icd") != 0)
            continue;
        pocl = pocl || strstr(entry->d_name, "pocl") != NULL;
        if (strlen(installed) + length + 3 < sizeof installed)
            snprintf(installed + strlen(installed), sizeof installed - strlen(installed), "%s%s",
                     *installed ? ", " : "", entry->d_name);
    }
    if (listing)
        closedir(listing);
    if (!*installed) {
        snprintf(out, size, "no OpenCL driver is installed (no .icd file in %s); on Debian, "
                            "install pocl-opencl-icd for the CPU or your GPU vendor's ICD", folder);
        return;
    }
    /* PoCL creates POCL_CACHE_DIR, else $XDG_CACHE_HOME/pocl, else $HOME/.cache/pocl, and
     * refuses to start when it cannot: a service user's HOME often does not exist */
    char cache[4096] = "";
    const char *explicit_dir = getenv("POCL_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (explicit_dir && *explicit_dir)
        snprintf(cache, sizeof cache, "%s", explicit_dir);
    else if (xdg && *xdg)
        snprintf(cache, sizeof cache, "%s/pocl", xdg);
    else if (home && *home)
        snprintf(cache, sizeof cache, "%s/.cache/pocl", home);
    char blocking[4096];
    int error = 0;
    if (pocl && *cache && !creatable(cache, blocking, sizeof blocking, &error)) {
        snprintf(out, size, "PoCL is installed but cannot create its kernel cache %s (%s: %s); "
                            "set POCL_CACHE_DIR, or HOME, to a writable folder", cache, blocking,
                 strerror(error));
        return;
    }
    snprintf(out, size, "OpenCL drivers are installed (%s in %s) but none started; run with "
                        "POCL_DEBUG=all (PoCL) or check the driver's own log", installed, folder);
}

clcnn_status clcnn_select_device(const char *spec, const clcnn_device_info *devices, int count,
                                 int *chosen)
{
    int found = match_spec(spec, devices, count);
    if (found >= 0) {
        *chosen = found;
        return CLCNN_OK;
    }
    char list[3000] = "";
    for (int i = 0; i < count; i++) {
        char line[400];
        snprintf(line, sizeof line, "\n  %d  %d:%d  %s — %s (%s)", devices[i].index,
                 devices[i].platform_index, devices[i].device_index, devices[i].platform,
                 devices[i].name, devices[i].type);
        strncat(list, line, sizeof list - strlen(list) - 1);
    }
    if (count == 0) {
        char reason[2048];
        clcnn_explain_no_device(reason, sizeof reason);
        snprintf(list, sizeof list, "\n  (none: %s)", reason);
    }
    return clcnn_fail(CLCNN_ERROR_NO_DEVICE,
                      "no OpenCL device matches '%s'%s; available devices:%s\n"
                      "  ref  the plain-C reference path\n"
                      "a spec is an index, a type (cpu, gpu, accelerator), platform:device, "
                      "a name substring, or ref",
                      spec && *spec ? spec : "(default: first GPU, else first CPU)",
                      spec && *spec ? "" : "", list);
}
