/* The persistent program-binary cache.
 *
 * One file per program and device: <cache dir>/<fnv1a64(key) as hex>.bin, holding
 *   magic "CLCNNPB\0" | u32 format version | u32 key length | key bytes
 *   | u64 binary length | u64 fnv1a64(binary) | binary
 * in host byte order. The whole key is stored and compared, so a foreign entry (another
 * device, driver, source or option set whose key hashes alike) is never trusted; a wrong
 * length or checksum means a truncated or corrupt entry, which is rebuilt. Entries are
 * written to a temporary file in the same folder and renamed, so concurrent builders never
 * expose a partial file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CACHE_MAGIC "CLCNNPB"
#define CACHE_FORMAT_VERSION 1u
#define CACHE_MAX_BINARY (512u << 20)

uint64_t clcnn_fnv1a64(const void *data, size_t length, uint64_t hash)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < length; i++) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

const char *clcnn_cache_dir(void)
{
    static _Thread_local char path[4096];
    const char *enabled = getenv("CLCNN_CACHE");
    if (enabled && strcmp(enabled, "0") == 0)
        return NULL;
    const char *explicit_dir = getenv("CLCNN_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (explicit_dir && *explicit_dir)
        snprintf(path, sizeof path, "%s", explicit_dir);
    else if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/clcnn", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.cache/clcnn", home);
    else
        return NULL;
    return path;
}

void clcnn_cache_key(const clcnn_context *context, const char *source, size_t source_length,
                     const char *options, char *key, size_t key_size)
{
    snprintf(key, key_size,
             "clcnn program cache format %u\nclcnn %s\nsource fnv1a64 %016llx length %zu\n"
             "options %s\ndevice %s\ndriver %s\nplatform %s\n",
             CACHE_FORMAT_VERSION, CLCNN_VERSION_STRING,
             (unsigned long long)clcnn_fnv1a64(source, source_length, CLCNN_FNV1A64_INIT),
             source_length, options, context->device.name, context->device.driver_version,
             context->device.platform_version);
}

void clcnn_cache_entry_path(const char *key, char *path, size_t path_size)
{
    const char *dir = clcnn_cache_dir();
    snprintf(path, path_size, "%s/%016llx.bin", dir ? dir : ".",
             (unsigned long long)clcnn_fnv1a64(key, strlen(key), CLCNN_FNV1A64_INIT));
}

static bool read_exact(FILE *file, void *data, size_t length)
{
    return fread(data, 1, length, file) == length;
}

clcnn_status clcnn_cache_load(const char *key, unsigned char **binary, size_t *length,
                              bool *rejected)
{
    *binary = NULL;
    *length = 0;
    *rejected = false;
    char path[4200];
    clcnn_cache_entry_path(key, path, sizeof path);
    FILE *file = fopen(path, "rb");
    if (!file)
        return CLCNN_OK;

    char magic[8];
    uint32_t version = 0, key_length = 0;
    uint64_t binary_length = 0, checksum = 0;
    size_t expected_key_length = strlen(key);
    bool ok = read_exact(file, magic, sizeof magic) && memcmp(magic, CACHE_MAGIC, 8) == 0 &&
              read_exact(file, &version, sizeof version) && version == CACHE_FORMAT_VERSION &&
              read_exact(file, &key_length, sizeof key_length) &&
              key_length == expected_key_length;
    char *stored_key = ok ? malloc(key_length + 1) : NULL;
    ok = ok && stored_key && read_exact(file, stored_key, key_length) &&
         memcmp(stored_key, key, key_length) == 0 &&
         read_exact(file, &binary_length, sizeof binary_length) &&
         binary_length > 0 && binary_length <= CACHE_MAX_BINARY &&
         read_exact(file, &checksum, sizeof checksum);
    free(stored_key);
    unsigned char *data = ok ? malloc(binary_length) : NULL;
    ok = ok && data && read_exact(file, data, binary_length) && fgetc(file) == EOF &&
         clcnn_fnv1a64(data, binary_length, CLCNN_FNV1A64_INIT) == checksum;
    fclose(file);
    if (!ok) {
        free(data);
        *rejected = true;
        if (getenv("CLCNN_VERBOSE"))
            fprintf(stderr, "clcnn: cache entry %s is corrupt, truncated or foreign; rebuilding\n",
                    path);
        return CLCNN_OK;
    }
    *binary = data;
    *length = binary_length;
    return CLCNN_OK;
}

static clcnn_status make_directories(const char *path)
{
    char partial[4096];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *slash = partial + 1; *slash; slash++) {
        if (*slash != '/')
            continue;
        *slash = '\0';
        if (mkdir(partial, 0755) != 0 && errno != EEXIST)
            return clcnn_fail(CLCNN_ERROR_IO, "cannot create cache folder %s: %s", partial,
                              strerror(errno));
        *slash = '/';
    }
    if (mkdir(partial, 0755) != 0 && errno != EEXIST)
        return clcnn_fail(CLCNN_ERROR_IO, "cannot create cache folder %s: %s", partial,
                          strerror(errno));
    return CLCNN_OK;
}

clcnn_status clcnn_cache_store(const char *key, const unsigned char *binary, size_t length)
{
    const char *dir = clcnn_cache_dir();
    if (!dir)
        return CLCNN_OK;
    CLCNN_TRY(make_directories(dir));
    char path[4200], temporary[4300];
    clcnn_cache_entry_path(key, path, sizeof path);
    static _Atomic unsigned counter;
    snprintf(temporary, sizeof temporary, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    FILE *file = fopen(temporary, "wb");
    if (!file)
        return clcnn_fail(CLCNN_ERROR_IO, "cannot write cache entry %s: %s", temporary,
                          strerror(errno));
    uint32_t version = CACHE_FORMAT_VERSION, key_length = (uint32_t)strlen(key);
    uint64_t binary_length = length;
    uint64_t checksum = clcnn_fnv1a64(binary, length, CLCNN_FNV1A64_INIT);
    bool ok = fwrite(CACHE_MAGIC, 1, 8, file) == 8 &&
              fwrite(&version, sizeof version, 1, file) == 1 &&
              fwrite(&key_length, sizeof key_length, 1, file) == 1 &&
              fwrite(key, 1, key_length, file) == key_length &&
              fwrite(&binary_length, sizeof binary_length, 1, file) == 1 &&
              fwrite(&checksum, sizeof checksum, 1, file) == 1 &&
              fwrite(binary, 1, length, file) == length && fflush(file) == 0 &&
              fsync(fileno(file)) == 0;
    ok = (fclose(file) == 0) && ok;
    if (!ok || rename(temporary, path) != 0) {
        int saved = errno;
        unlink(temporary);
        return clcnn_fail(CLCNN_ERROR_IO, "cannot write cache entry %s: %s", path,
                          strerror(saved));
    }
    return CLCNN_OK;
}
