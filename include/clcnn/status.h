/* clcnn status codes and error messages.
 *
 * Every library function that can fail returns a clcnn_status. Zero is success,
 * negative values are OpenCL error codes passed through unchanged (CL_INVALID_WORK_GROUP_SIZE
 * is -54 here too, and CLBlast's own codes below -1000 likewise), positive values are
 * clcnn's own. The text of the most recent failure on the calling thread, naming the call,
 * the error, the device and the source line, is clcnn_last_error().
 */
#ifndef CLCNN_STATUS_H
#define CLCNN_STATUS_H

#include "clcnn/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_status {
    /* OpenCL and CLBlast error codes lie in [-4096, -1]; this bound keeps the enum signed. */
    CLCNN_ERROR_OPENCL_LOWEST = -4096,
    CLCNN_OK = 0,
    CLCNN_ERROR_INVALID_ARGUMENT = 1, /* a caller passed a value out of range */
    CLCNN_ERROR_NO_DEVICE = 2,        /* no OpenCL device, or a device spec matched none */
    CLCNN_ERROR_BUILD = 3,            /* a kernel program failed to compile */
    CLCNN_ERROR_ALLOCATION = 4,       /* host memory, or a buffer beyond the device's limits */
    CLCNN_ERROR_IO = 5,               /* a file could not be opened, read or written */
    CLCNN_ERROR_FORMAT = 6,           /* a file's content is not what its format says */
    CLCNN_ERROR_NUMERIC = 7,          /* NaN or Inf, or a result outside its tolerance */
    CLCNN_ERROR_INTERRUPTED = 8,      /* the user asked to stop (SIGINT, SIGTERM) */
} clcnn_status;

/* "CLCNN_ERROR_BUILD", or for a negative status the OpenCL or CLBlast error name,
 * e.g. "CL_INVALID_WORK_GROUP_SIZE". Never NULL. */
CLCNN_API const char *clcnn_status_name(int status);

/* The message of the last failure on this thread; "" when there was none. */
CLCNN_API const char *clcnn_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
