/* Shared test harness. Suites run without fork (CK_NOFORK): an OpenCL context created in
 * Check's parent process hangs in a forked child, and Check's per-test timeouts (which
 * only apply when forking) are far below a cold PoCL kernel build. */
#ifndef CLCNN_TEST_HARNESS_H
#define CLCNN_TEST_HARNESS_H

#include <check.h>
#include <stddef.h>

#include "clcnn/model.h"
#include "internal.h"

/* Runs the suite without fork; returns the process exit status. */
int run_suite(Suite *suite);

/* The device the OpenCL tests run on: CLCNN_DEVICE, else the default (PoCL here). */
const char *test_device_spec(void);

/* A fresh, empty folder under the build tree's temporary area; returns a static buffer. */
const char *make_temp_dir(const char *name);

/* Writes `length` bytes to path; returns false on failure. */
bool write_file(const char *path, const void *data, size_t length);

/* Fails the current test with the library's last error when status is not CLCNN_OK. */
#define ck_assert_ok(expression)                                                             \
    do {                                                                                     \
        clcnn_status ok_status_ = (expression);                                              \
        ck_assert_msg(ok_status_ == CLCNN_OK, "%s returned %s: %s", #expression,             \
                      clcnn_status_name(ok_status_), clcnn_last_error());                    \
    } while (0)



/* Writes a CIFAR-10 binary folder: data_batch_1..5.bin with `per_batch` records each,
 * test_batch.bin with `test_count`, and batches.meta.txt. Images are learnable: each class
 * has its own colour and stripe pattern, plus noise from `seed`. */
bool write_cifar_folder(const char *folder, int per_batch, int test_count, uint64_t seed);

/* A small CNN on 32x32x3 images: conv 8 (ReLU), pool 4, dense 16 (ReLU), dropout 0.25,
 * dense 10 softmax, for tests that train many steps. */
clcnn_model *test_small_model(void);
#endif
