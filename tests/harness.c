#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *test_device_spec(void)
{
    const char *spec = getenv("CLCNN_DEVICE");
    return spec && *spec ? spec : NULL;
}

const char *make_temp_dir(const char *name)
{
    static char path[4096];
    const char *base = getenv("CLCNN_TEST_TMP");
    snprintf(path, sizeof path, "%s/%s.%ld", base && *base ? base : "/tmp", name, (long)getpid());
    char command[8300];
    snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", path, path);
    ck_assert_msg(system(command) == 0, "cannot create %s", path);
    return path;
}

bool write_file(const char *path, const void *data, size_t length)
{
    FILE *file = fopen(path, "wb");
    if (!file)
        return false;
    bool ok = fwrite(data, 1, length, file) == length;
    return fclose(file) == 0 && ok;
}

static void write_records(FILE *file, int count, uint64_t *state)
{
    uint8_t record[3073];
    for (int r = 0; r < count; r++) {
        *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
        int label = (int)((*state >> 33) % 10);
        record[0] = (uint8_t)label;
        for (int channel = 0; channel < 3; channel++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
                    int base = 40 + 20 * ((label + channel * 3) % 10);
                    int stripe = ((label % 2 ? x : y) / (2 + label / 2)) % 2 ? 40 : 0;
                    int noise = (int)((*state >> 40) % 40);
                    int value = base + stripe + noise;
                    record[1 + channel * 1024 + y * 32 + x] = (uint8_t)(value > 255 ? 255 : value);
                }
        fwrite(record, 1, sizeof record, file);
    }
}

bool write_cifar_folder(const char *folder, int per_batch, int test_count, uint64_t seed)
{
    char path[4200];
    uint64_t state = seed;
    for (int batch = 1; batch <= 6; batch++) {
        if (batch <= 5)
            snprintf(path, sizeof path, "%s/data_batch_%d.bin", folder, batch);
        else
            snprintf(path, sizeof path, "%s/test_batch.bin", folder);
        FILE *file = fopen(path, "wb");
        if (!file)
            return false;
        write_records(file, batch <= 5 ? per_batch : test_count, &state);
        if (fclose(file) != 0)
            return false;
    }
    snprintf(path, sizeof path, "%s/batches.meta.txt", folder);
    const char *names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    return write_file(path, names, strlen(names));
}

clcnn_model *test_small_model(void)
{
    clcnn_model *model = clcnn_model_create(3, 32, 32);
    clcnn_model_conv2d(model, 8, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 4);
    clcnn_model_flatten(model);
    clcnn_model_dense(model, 16, CLCNN_ACTIVATION_RELU);
    clcnn_model_dropout(model, 0.25f);
    clcnn_model_dense(model, 10, CLCNN_ACTIVATION_SOFTMAX);
    ck_assert_ok(clcnn_model_status(model));
    return model;
}
