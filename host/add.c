/* Element-wise add dispatch; kernel in cl/add.cl, reference twin in ref/add.c. */
#include "ops.h"

clcnn_status clcnn_add(clcnn_context *context, int count, const clcnn_buffer *a,
                       const clcnn_buffer *b, clcnn_buffer *y)
{
    CLCNN_TRY(clcnn_require_bytes("add", "a", a, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("add", "b", b, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("add", "y", y, (size_t)count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_add(count, a->host, b->host, y->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_ADD, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &a->mem, sizeof(cl_mem), &b->mem,
                             sizeof(cl_mem), &y->mem, sizeof(int), &count));
    clcnn_profile_cost(context, (double)count, 12.0 * count); /* a and b read, y written */
    return clcnn_launch_elementwise(context, kernel, (size_t)count);
}
