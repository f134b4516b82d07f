/* Checkpoint reading and writing (include/clcnn/checkpoint.h, docs/checkpoint-format.md).
 * Little-endian throughout; the reader checks the magic, the version, the checksum and every
 * section's length against what its fields require before it trusts anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clcnn/checkpoint.h"
#include "internal.h"

#define MAGIC "CLCNNCKP"
#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_MODEL TAG('M', 'O', 'D', 'L')
#define TAG_TRAINING TAG('T', 'R', 'N', 'G')
#define TAG_PARAMETERS TAG('P', 'A', 'R', 'M')
#define TAG_ADAM_M TAG('A', 'D', 'M', 'M')
#define TAG_ADAM_V TAG('A', 'D', 'M', 'V')
#define TAG_HISTORY TAG('H', 'I', 'S', 'T')
#define TAG_CLASSES TAG('C', 'L', 'A', 'S')
#define TAG_SETTINGS TAG('R', 'U', 'N', 'S')
#define TRAINING_BYTES (8 + 4 + 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 8 + 8)
#define HISTORY_ROW_BYTES (4 + 5 * 8)
#define MAX_SECTION (1ull << 33)

/* ---- a growing byte buffer for the writer ------------------------------------------------------ */

typedef struct bytes {
    uint8_t *data;
    size_t used, capacity;
    bool failed;
} bytes;

static void put(bytes *b, const void *data, size_t length)
{
    if (b->failed || length == 0)
        return;
    if (b->used + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->used + length)
            capacity *= 2;
        uint8_t *grown = realloc(b->data, capacity);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->used, data, length);
    b->used += length;
}

static void put_u32(bytes *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(bytes *b, uint64_t v) { put(b, &v, 8); }
static void put_f64(bytes *b, double v) { put(b, &v, 8); }

static void put_section(bytes *b, uint32_t tag, const void *data, uint64_t length)
{
    put_u32(b, tag);
    put_u64(b, length);
    put(b, data, (size_t)length);
}

clcnn_status clcnn_checkpoint_write(const char *path, const clcnn_checkpoint *c)
{
    bytes b = {0};
    put(&b, MAGIC, 8);
    put_u32(&b, CLCNN_CHECKPOINT_VERSION);
    put_u32(&b, 6u + (c->class_names != NULL) + (c->settings != NULL));
    put_section(&b, TAG_MODEL, c->model_text, strlen(c->model_text));
    if (c->class_names)
        put_section(&b, TAG_CLASSES, c->class_names, strlen(c->class_names));
    if (c->settings)
        put_section(&b, TAG_SETTINGS, c->settings, strlen(c->settings));
    bytes training = {0};
    put_u64(&training, c->steps);
    put_u32(&training, (uint32_t)c->epochs_done);
    put_u64(&training, c->seed);
    put_f64(&training, c->learning_rate);
    put_u32(&training, (uint32_t)c->batch_size);
    put_f64(&training, c->best_val_accuracy);
    put_u32(&training, (uint32_t)c->best_epoch);
    put_u32(&training, (uint32_t)c->epoch_batches_done);
    put_f64(&training, c->epoch_loss_sum);
    put_f64(&training, c->epoch_seconds);
    put_u64(&training, (uint64_t)c->epoch_correct);
    put_u64(&training, (uint64_t)c->epoch_seen);
    put_section(&b, TAG_TRAINING, training.data, training.used);
    free(training.data);
    size_t parameter_bytes = c->parameter_count * sizeof(float);
    put_section(&b, TAG_PARAMETERS, c->parameters, parameter_bytes);
    put_section(&b, TAG_ADAM_M, c->m, parameter_bytes);
    put_section(&b, TAG_ADAM_V, c->v, parameter_bytes);
    bytes history = {0};
    for (int i = 0; i < c->history_count; i++) {
        const clcnn_history_row *row = &c->history[i];
        put_u32(&history, (uint32_t)row->epoch);
        put_f64(&history, row->loss);
        put_f64(&history, row->accuracy);
        put_f64(&history, row->val_loss);
        put_f64(&history, row->val_accuracy);
        put_f64(&history, row->seconds);
    }
    put_section(&b, TAG_HISTORY, history.data, history.used);
    free(history.data);
    put_u64(&b, b.failed ? 0 : clcnn_fnv1a64(b.data, b.used, CLCNN_FNV1A64_INIT));
    if (b.failed || training.failed || history.failed) {
        free(b.data);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory writing the checkpoint", path);
    }

    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.tmp.%ld", path, (long)getpid());
    FILE *file = fopen(temporary, "wb");
    if (!file) {
        int saved = errno;
        free(b.data);
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot write: %s", temporary, strerror(saved));
    }
    bool ok = fwrite(b.data, 1, b.used, file) == b.used && fflush(file) == 0 &&
              fsync(fileno(file)) == 0;
    ok = fclose(file) == 0 && ok;
    free(b.data);
    if (!ok || rename(temporary, path) != 0) {
        int saved = errno;
        unlink(temporary);
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot write the checkpoint: %s", path, strerror(saved));
    }
    return CLCNN_OK;
}

/* ---- reading ---------------------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *data;
    size_t size, at;
} reader;

static bool take(reader *r, void *out, size_t length)
{
    if (length > r->size - r->at)
        return false;
    memcpy(out, r->data + r->at, length);
    r->at += length;
    return true;
}

static const char *tag_name(uint32_t tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char ch = (char)(tag >> (8 * i));
        out[i] = ch >= 32 && ch < 127 ? ch : '?';
    }
    out[4] = '\0';
    return out;
}

static clcnn_status parse_training(const uint8_t *data, uint64_t length, const char *name,
                                   clcnn_checkpoint *c)
{
    if (length != TRAINING_BYTES)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: section TRNG holds %llu bytes, expected %d",
                          name, (unsigned long long)length, TRAINING_BYTES);
    reader r = {data, length, 0};
    uint32_t epochs = 0, batch = 0, best_epoch = 0, batches_done = 0;
    uint64_t correct = 0, seen = 0;
    take(&r, &c->steps, 8);
    take(&r, &epochs, 4);
    take(&r, &c->seed, 8);
    take(&r, &c->learning_rate, 8);
    take(&r, &batch, 4);
    take(&r, &c->best_val_accuracy, 8);
    take(&r, &best_epoch, 4);
    take(&r, &batches_done, 4);
    take(&r, &c->epoch_loss_sum, 8);
    take(&r, &c->epoch_seconds, 8);
    take(&r, &correct, 8);
    take(&r, &seen, 8);
    if (epochs > 1000000 || batch == 0 || batch > 65536 || best_epoch > epochs ||
        batches_done > 10000000 || correct > seen || seen > (uint64_t)batches_done * batch)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: section TRNG: epochs %u, batch size %u, best epoch %u are out of "
                          "range", name, epochs, batch, best_epoch);
    c->epochs_done = (int)epochs;
    c->batch_size = (int)batch;
    c->best_epoch = (int)best_epoch;
    c->epoch_batches_done = (int)batches_done;
    c->epoch_correct = (int64_t)correct;
    c->epoch_seen = (int64_t)seen;
    return CLCNN_OK;
}

static clcnn_status copy_floats(const uint8_t *data, uint64_t length, const char *name,
                                const char *section, clcnn_checkpoint *c, float **out)
{
    if (length % sizeof(float) != 0 || (c->parameter_count && length / 4 != c->parameter_count))
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: section %s holds %llu bytes, expected %zu parameters of 4 bytes",
                          name, section, (unsigned long long)length, c->parameter_count);
    c->parameter_count = (size_t)(length / 4);
    *out = malloc(length ? (size_t)length : 1);
    if (!*out)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory", name);
    memcpy(*out, data, (size_t)length);
    return CLCNN_OK;
}

/* A text section as a NUL-terminated string; a NUL inside would cut it short unseen. */
static clcnn_status copy_text(const uint8_t *data, uint64_t length, const char *name,
                              const char *section, char **out)
{
    if (memchr(data, '\0', (size_t)length))
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: section %s holds a NUL byte", name, section);
    *out = malloc((size_t)length + 1);
    if (!*out)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory", name);
    memcpy(*out, data, (size_t)length);
    (*out)[length] = '\0';
    return CLCNN_OK;
}

static clcnn_status parse_history(const uint8_t *data, uint64_t length, const char *name,
                                  clcnn_checkpoint *c)
{
    if (length % HISTORY_ROW_BYTES != 0 || length / HISTORY_ROW_BYTES > 1000000)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: section HIST holds %llu bytes, not a whole "
                          "number of %d-byte rows", name, (unsigned long long)length, HISTORY_ROW_BYTES);
    int rows = (int)(length / HISTORY_ROW_BYTES);
    c->history = calloc(rows ? (size_t)rows : 1, sizeof *c->history);
    if (!c->history)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory", name);
    reader r = {data, length, 0};
    for (int i = 0; i < rows; i++) {
        uint32_t epoch = 0;
        take(&r, &epoch, 4);
        c->history[i].epoch = (int)epoch;
        take(&r, &c->history[i].loss, 8);
        take(&r, &c->history[i].accuracy, 8);
        take(&r, &c->history[i].val_loss, 8);
        take(&r, &c->history[i].val_accuracy, 8);
        take(&r, &c->history[i].seconds, 8);
    }
    c->history_count = rows;
    return CLCNN_OK;
}

static clcnn_status parse_sections(reader *r, const char *name, uint32_t sections,
                                   clcnn_checkpoint *c)
{
    uint32_t seen = 0;
    for (uint32_t s = 0; s < sections; s++) {
        uint32_t tag;
        uint64_t length;
        char tag_text[5];
        if (!take(r, &tag, 4) || !take(r, &length, 8))
            return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: truncated in the header of section %u", name, s);
        if (length > MAX_SECTION || length > r->size - r->at)
            return clcnn_fail(CLCNN_ERROR_FORMAT,
                              "%s: section %s claims %llu bytes but only %zu remain (truncated)",
                              name, tag_name(tag, tag_text), (unsigned long long)length, r->size - r->at);
        const uint8_t *payload = r->data + r->at;
        r->at += (size_t)length;
        clcnn_status status = CLCNN_OK;
        uint32_t bit = 0;
        if (tag == TAG_MODEL) {
            bit = 1;
            c->model_text = malloc((size_t)length + 1);
            if (!c->model_text)
                return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: out of host memory", name);
            memcpy(c->model_text, payload, (size_t)length);
            c->model_text[length] = '\0';
        } else if (tag == TAG_TRAINING) {
            bit = 2;
            status = parse_training(payload, length, name, c);
        } else if (tag == TAG_PARAMETERS) {
            bit = 4;
            status = copy_floats(payload, length, name, "PARM", c, &c->parameters);
        } else if (tag == TAG_ADAM_M) {
            bit = 8;
            status = copy_floats(payload, length, name, "ADMM", c, &c->m);
        } else if (tag == TAG_ADAM_V) {
            bit = 16;
            status = copy_floats(payload, length, name, "ADMV", c, &c->v);
        } else if (tag == TAG_CLASSES) {
            bit = 64;
            status = copy_text(payload, length, name, "CLAS", &c->class_names);
        } else if (tag == TAG_SETTINGS) {
            bit = 128;
            status = copy_text(payload, length, name, "RUNS", &c->settings);
        } else if (tag == TAG_HISTORY) {
            bit = 32;
            status = parse_history(payload, length, name, c);
        } /* unknown sections are skipped: later minor additions stay readable */
        CLCNN_TRY(status);
        if (bit & seen)
            return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: section %s appears twice", name,
                              tag_name(tag, tag_text));
        seen |= bit;
    }
    if ((seen & 63) != 63)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: missing sections (found mask %02x of MODL TRNG PARM ADMM ADMV HIST)",
                          name, seen);
    return CLCNN_OK;
}

clcnn_status clcnn_checkpoint_parse(const uint8_t *data, size_t size, const char *name,
                                    clcnn_checkpoint *c)
{
    memset(c, 0, sizeof *c);
    uint32_t version = 0, sections = 0;
    char magic[8];
    reader r = {data, size, 0};
    if (!take(&r, magic, 8) || memcmp(magic, MAGIC, 8) != 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: not a clcnn checkpoint (no CLCNNCKP magic)", name);
    if (!take(&r, &version, 4) || !take(&r, &sections, 4))
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: truncated in the header", name);
    if (version > CLCNN_CHECKPOINT_VERSION)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: format version %u was written by a newer clcnn; this one reads "
                          "versions up to %u", name, version, CLCNN_CHECKPOINT_VERSION);
    if (version == 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: format version 0 does not exist", name);
    if (version == 1)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: format version 1 was written by clcnn 0.1, whose model text this "
                          "one no longer reads; train the model again", name);
    if (size < 8 + 8 + 8)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: truncated (%zu bytes)", name, size);
    uint64_t checksum;
    memcpy(&checksum, data + size - 8, 8);
    if (clcnn_fnv1a64(data, size - 8, CLCNN_FNV1A64_INIT) != checksum)
        return clcnn_fail(CLCNN_ERROR_FORMAT,
                          "%s: checksum mismatch: the file is truncated or corrupted", name);
    r.size = size - 8;
    if (sections > 64)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %u sections is not plausible", name, sections);
    clcnn_status status = parse_sections(&r, name, sections, c);
    if (status == CLCNN_OK && r.at != r.size)
        status = clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %zu stray bytes after the last section", name,
                            r.size - r.at);
    if (status != CLCNN_OK)
        clcnn_checkpoint_free(c);
    return status;
}

clcnn_status clcnn_checkpoint_read(const char *path, clcnn_checkpoint *c)
{
    memset(c, 0, sizeof *c);
    /* stat first: a FIFO would block the open, a device (/dev/zero) would never end */
    struct stat info;
    if (stat(path, &info) != 0)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot open the checkpoint: %s", path, strerror(errno));
    if (!S_ISREG(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "%s: not a regular file; expected a checkpoint", path);
    FILE *file = fopen(path, "rb");
    if (!file)
        return clcnn_fail(CLCNN_ERROR_IO, "%s: cannot open the checkpoint: %s", path, strerror(errno));
    uint8_t *data = NULL;
    size_t used = 0, capacity = 0;
    for (;;) {
        if (used == capacity) {
            capacity = capacity ? capacity * 2 : (1u << 20);
            uint8_t *grown = capacity <= (1ull << 34) ? realloc(data, capacity) : NULL;
            if (!grown) {
                free(data);
                fclose(file);
                return clcnn_fail(CLCNN_ERROR_ALLOCATION, "%s: too large to read", path);
            }
            data = grown;
        }
        size_t got = fread(data + used, 1, capacity - used, file);
        used += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(file) != 0;
    fclose(file);
    clcnn_status status = failed ? clcnn_fail(CLCNN_ERROR_IO, "%s: read error", path)
                                 : clcnn_checkpoint_parse(data, used, path, c);
    free(data);
    return status;
}

void clcnn_checkpoint_free(clcnn_checkpoint *c)
{
    free(c->model_text);
    free(c->class_names);
    free(c->settings);
    free(c->parameters);
    free(c->m);
    free(c->v);
    free(c->history);
    memset(c, 0, sizeof *c);
}
