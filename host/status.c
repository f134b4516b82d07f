/* Status names and the per-thread error message. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[4096];

const char *clcnn_last_error(void) { return last_error; }

clcnn_status clcnn_fail(clcnn_status status, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(last_error, sizeof last_error, format, arguments);
    va_end(arguments);
    return status;
}

static const char *opencl_error_name(int code)
{
    switch (code) {
#define NAME(c) case c: return #c;
        NAME(CL_DEVICE_NOT_FOUND) NAME(CL_DEVICE_NOT_AVAILABLE) NAME(CL_COMPILER_NOT_AVAILABLE)
        NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE) NAME(CL_OUT_OF_RESOURCES)
        NAME(CL_OUT_OF_HOST_MEMORY) NAME(CL_PROFILING_INFO_NOT_AVAILABLE)
        NAME(CL_MEM_COPY_OVERLAP) NAME(CL_IMAGE_FORMAT_MISMATCH)
        NAME(CL_IMAGE_FORMAT_NOT_SUPPORTED) NAME(CL_BUILD_PROGRAM_FAILURE)
        NAME(CL_MAP_FAILURE) NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        NAME(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) NAME(CL_COMPILE_PROGRAM_FAILURE)
        NAME(CL_LINKER_NOT_AVAILABLE) NAME(CL_LINK_PROGRAM_FAILURE)
        NAME(CL_DEVICE_PARTITION_FAILED) NAME(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        NAME(CL_INVALID_VALUE) NAME(CL_INVALID_DEVICE_TYPE) NAME(CL_INVALID_PLATFORM)
        NAME(CL_INVALID_DEVICE) NAME(CL_INVALID_CONTEXT) NAME(CL_INVALID_QUEUE_PROPERTIES)
        NAME(CL_INVALID_COMMAND_QUEUE) NAME(CL_INVALID_HOST_PTR) NAME(CL_INVALID_MEM_OBJECT)
        NAME(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) NAME(CL_INVALID_IMAGE_SIZE)
        NAME(CL_INVALID_SAMPLER) NAME(CL_INVALID_BINARY) NAME(CL_INVALID_BUILD_OPTIONS)
        NAME(CL_INVALID_PROGRAM) NAME(CL_INVALID_PROGRAM_EXECUTABLE)
        NAME(CL_INVALID_KERNEL_NAME) NAME(CL_INVALID_KERNEL_DEFINITION) NAME(CL_INVALID_KERNEL)
        NAME(CL_INVALID_ARG_INDEX) NAME(CL_INVALID_ARG_VALUE) NAME(CL_INVALID_ARG_SIZE)
        NAME(CL_INVALID_KERNEL_ARGS) NAME(CL_INVALID_WORK_DIMENSION)
        NAME(CL_INVALID_WORK_GROUP_SIZE) NAME(CL_INVALID_WORK_ITEM_SIZE)
        NAME(CL_INVALID_GLOBAL_OFFSET) NAME(CL_INVALID_EVENT_WAIT_LIST) NAME(CL_INVALID_EVENT)
        NAME(CL_INVALID_OPERATION) NAME(CL_INVALID_GL_OBJECT) NAME(CL_INVALID_BUFFER_SIZE)
        NAME(CL_INVALID_MIP_LEVEL) NAME(CL_INVALID_GLOBAL_WORK_SIZE) NAME(CL_INVALID_PROPERTY)
        NAME(CL_INVALID_IMAGE_DESCRIPTOR) NAME(CL_INVALID_COMPILER_OPTIONS)
        NAME(CL_INVALID_LINKER_OPTIONS) NAME(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef NAME
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    /* CLBlast's own codes (clblast_c.h) */
    case -1024: return "CLBlastNotImplemented";
    case -1022: return "CLBlastInvalidMatrixA";
    case -1021: return "CLBlastInvalidMatrixB";
    case -1020: return "CLBlastInvalidMatrixC";
    case -1019: return "CLBlastInvalidVectorX";
    case -1018: return "CLBlastInvalidVectorY";
    case -1017: return "CLBlastInvalidDimension";
    case -1016: return "CLBlastInvalidLeadDimA";
    case -1015: return "CLBlastInvalidLeadDimB";
    case -1014: return "CLBlastInvalidLeadDimC";
    case -1010: return "CLBlastInsufficientMemoryA";
    case -1009: return "CLBlastInsufficientMemoryB";
    case -1008: return "CLBlastInsufficientMemoryC";
    case -1004: return "CLBlastInsufficientMemoryTemp";
    case -2048: return "CLBlastKernelLaunchError";
    case -2047: return "CLBlastKernelRunError";
    case -2046: return "CLBlastInvalidLocalMemUsage";
    case -2045: return "CLBlastNoHalfPrecision";
    case -2044: return "CLBlastNoDoublePrecision";
    case -2043: return "CLBlastInvalidVectorScalar";
    case -2042: return "CLBlastInsufficientMemoryScalar";
    case -2041: return "CLBlastDatabaseError";
    case -2040: return "CLBlastUnknownError";
    case -2039: return "CLBlastUnexpectedError";
    default: return NULL;
    }
}

const char *clcnn_status_name(int status)
{
    switch (status) {
    case CLCNN_OK: return "CLCNN_OK";
    case CLCNN_ERROR_INVALID_ARGUMENT: return "CLCNN_ERROR_INVALID_ARGUMENT";
    case CLCNN_ERROR_NO_DEVICE: return "CLCNN_ERROR_NO_DEVICE";
    case CLCNN_ERROR_BUILD: return "CLCNN_ERROR_BUILD";
    case CLCNN_ERROR_ALLOCATION: return "CLCNN_ERROR_ALLOCATION";
    case CLCNN_ERROR_IO: return "CLCNN_ERROR_IO";
    case CLCNN_ERROR_FORMAT: return "CLCNN_ERROR_FORMAT";
    case CLCNN_ERROR_NUMERIC: return "CLCNN_ERROR_NUMERIC";
    case CLCNN_ERROR_INTERRUPTED: return "CLCNN_ERROR_INTERRUPTED";
    default: break;
    }
    const char *name = opencl_error_name(status);
    return name ? name : "unknown error";
}

clcnn_status clcnn_fail_cl(const clcnn_context *context, cl_int code, const char *call,
                           const char *file, int line)
{
    /* `call` is the stringified call expression; its name is everything before '('. */
    int name_length = (int)strcspn(call, "(");
    char driver_said[1100] = "";
    const char *device = "(no device yet)";
    if (context) {
        device = context->device.name;
        pthread_mutex_lock((pthread_mutex_t *)&context->notify_lock);
        if (context->notify_message[0])
            snprintf(driver_said, sizeof driver_said, "; the driver said: %s",
                     context->notify_message);
        pthread_mutex_unlock((pthread_mutex_t *)&context->notify_lock);
    }
    return clcnn_fail((clcnn_status)code, "%.*s failed with %s (%d) on device '%s' at %s:%d%s",
                      name_length, call, clcnn_status_name(code), code, device, file, line,
                      driver_said);
}

const char *clcnn_version(void)
{
    return CLCNN_VERSION;
}
