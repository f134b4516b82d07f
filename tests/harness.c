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
