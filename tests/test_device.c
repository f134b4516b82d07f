/* Device enumeration and every form of the device spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A synthetic machine: a simulator that claims to be a GPU first, then a CPU, then a GPU. */
static void fake_devices(clcnn_device_info devices[3])
{
    memset(devices, 0, 3 * sizeof devices[0]);
    const char *platforms[3] = {"Oclgrind", "Portable Computing Language", "NVIDIA CUDA"};
    const char *names[3] = {"Oclgrind Simulator", "pthread-skylake", "NVIDIA GeForce RTX 4090"};
    for (int i = 0; i < 3; i++) {
        devices[i].index = i;
        devices[i].platform_index = i;
        snprintf(devices[i].platform, sizeof devices[i].platform, "%s", platforms[i]);
        snprintf(devices[i].name, sizeof devices[i].name, "%s", names[i]);
    }
    devices[0].is_gpu = devices[0].is_cpu = devices[0].is_simulator = true;
    devices[1].is_cpu = true;
    devices[2].is_gpu = true;
    snprintf(devices[1].platform_version, sizeof devices[1].platform_version, "OpenCL 3.0 PoCL 3.1");
}

static int select_fake(const char *spec)
{
    clcnn_device_info devices[3];
    fake_devices(devices);
    int chosen = -1;
    clcnn_status status = clcnn_select_device(spec, devices, 3, &chosen);
    return status == CLCNN_OK ? chosen : -(int)status;
}

START_TEST(spec_forms_on_a_synthetic_machine)
{
    ck_assert_int_eq(select_fake(NULL), 2);  /* default: the first GPU, never the simulator */
    ck_assert_int_eq(select_fake(""), 2);
    ck_assert_int_eq(select_fake("gpu"), 2);
    ck_assert_int_eq(select_fake("cpu"), 1);
    ck_assert_int_eq(select_fake("0"), 0);   /* an index names the simulator explicitly */
    ck_assert_int_eq(select_fake("1"), 1);
    ck_assert_int_eq(select_fake("2:0"), 2);
    ck_assert_int_eq(select_fake("rtx"), 2); /* name substring, any case */
    ck_assert_int_eq(select_fake("NVIDIA"), 2);
    ck_assert_int_eq(select_fake("pocl"), 1); /* platform version */
    ck_assert_int_eq(select_fake("oclgrind"), 0);
    ck_assert_int_eq(select_fake("3"), -CLCNN_ERROR_NO_DEVICE);
    ck_assert_int_eq(select_fake("0:5"), -CLCNN_ERROR_NO_DEVICE);
    ck_assert_int_eq(select_fake("accelerator"), -CLCNN_ERROR_NO_DEVICE);
}
END_TEST

START_TEST(default_falls_back_to_the_first_cpu)
{
    clcnn_device_info devices[3];
    fake_devices(devices);
    int chosen = -1;
    ck_assert_ok(clcnn_select_device(NULL, devices, 2, &chosen)); /* no real GPU in the list */
    ck_assert_int_eq(chosen, 1);
}
END_TEST

START_TEST(a_bad_spec_lists_the_available_devices)
{
    clcnn_device_info devices[3];
    fake_devices(devices);
    int chosen = -1;
    ck_assert_int_eq(clcnn_select_device("nosuchname", devices, 3, &chosen), CLCNN_ERROR_NO_DEVICE);
    const char *message = clcnn_last_error();
    ck_assert_ptr_nonnull(strstr(message, "'nosuchname'"));
    ck_assert_ptr_nonnull(strstr(message, "NVIDIA GeForce RTX 4090"));
    ck_assert_ptr_nonnull(strstr(message, "pthread-skylake"));
    ck_assert_ptr_nonnull(strstr(message, "ref"));
}
END_TEST

START_TEST(enumeration_finds_the_pocl_cpu)
{
    clcnn_device_info *devices = NULL;
    int count = 0;
    ck_assert_ok(clcnn_list_devices(&devices, &count));
    int pocl = -1;
    for (int i = 0; i < count; i++) {
        ck_assert_int_eq(devices[i].index, i);
        ck_assert_msg(devices[i].name[0] && devices[i].driver_version[0], "device %d unnamed", i);
        ck_assert_uint_gt(devices[i].max_alloc_bytes, 0);
        ck_assert_uint_gt(devices[i].max_work_group_size, 0);
        if (strstr(devices[i].platform_version, "PoCL") && devices[i].is_cpu)
            pocl = i;
    }
    ck_assert_msg(pocl >= 0, "no PoCL CPU device among %d devices", count);
    int chosen = -1;
    ck_assert_ok(clcnn_select_device("pocl", devices, count, &chosen));
    ck_assert_int_eq(chosen, pocl);
    ck_assert_ok(clcnn_select_device("cpu", devices, count, &chosen));
    ck_assert(!devices[chosen].is_simulator);
    free(devices);
}
END_TEST

START_TEST(context_on_pocl_and_on_the_reference)
{
    clcnn_context *context = NULL;
    ck_assert_ok(clcnn_context_create("pocl", NULL, &context));
    ck_assert_ptr_nonnull(strstr(clcnn_context_device(context)->platform_version, "PoCL"));
    clcnn_context_destroy(context);
    ck_assert_ok(clcnn_context_create("ref", NULL, &context));
    ck_assert(clcnn_context_device(context)->is_reference);
    clcnn_context_destroy(context);
    ck_assert_int_eq(clcnn_context_create("99", NULL, &context), CLCNN_ERROR_NO_DEVICE);
    ck_assert_ptr_null(context);
}
END_TEST

START_TEST(allocation_beyond_the_device_limit_is_refused_with_sizes)
{
    clcnn_context *context = NULL;
    ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &context));
    clcnn_buffer buffer;
    size_t too_big = (size_t)context->device.max_alloc_bytes + 4096;
    ck_assert_int_eq(clcnn_buffer_create(context, too_big, &buffer), CLCNN_ERROR_ALLOCATION);
    char expected[64];
    snprintf(expected, sizeof expected, "%zu bytes", too_big);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), expected));
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "largest allocation"));
    clcnn_context_destroy(context);
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(clcnn_status_name(-54), "CL_INVALID_WORK_GROUP_SIZE");
    ck_assert_str_eq(clcnn_status_name(CLCNN_ERROR_BUILD), "CLCNN_ERROR_BUILD");
    ck_assert_str_eq(clcnn_status_name(-2046), "CLBlastInvalidLocalMemUsage");
    ck_assert_str_eq(clcnn_status_name(-9999), "unknown error");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("device");
    TCase *tc = tcase_create("device");
    tcase_add_test(tc, spec_forms_on_a_synthetic_machine);
    tcase_add_test(tc, default_falls_back_to_the_first_cpu);
    tcase_add_test(tc, a_bad_spec_lists_the_available_devices);
    tcase_add_test(tc, enumeration_finds_the_pocl_cpu);
    tcase_add_test(tc, context_on_pocl_and_on_the_reference);
    tcase_add_test(tc, allocation_beyond_the_device_limit_is_refused_with_sizes);
    tcase_add_test(tc, status_names);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
