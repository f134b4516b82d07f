/* Optimizer dispatch (Adam, SGD with momentum and Nesterov, decoupled weight decay); kernels in cl/optimizer.cl, reference twin in
 * ref/optimizer.c. */
#include <math.h>

#include "ops.h"

float clcnn_adam_alpha(double learning_rate, double beta1, double beta2, uint64_t t)
{
    return (float)(learning_rate * sqrt(1.0 - pow(beta2, (double)t)) / (1.0 - pow(beta1, (double)t)));
}

clcnn_status clcnn_adam_update(clcnn_context *context, const clcnn_adam_step *step,
                               const clcnn_decay *decay, int count, clcnn_buffer *param,
                               const clcnn_buffer *grad, clcnn_buffer *m, clcnn_buffer *v)
{
    CLCNN_TRY(clcnn_require_bytes("adam_update", "param", param, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("adam_update", "grad", grad, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("adam_update", "m", m, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("adam_update", "v", v, (size_t)count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_adam_update(step, decay, count, param->host, grad->host, m->host, v->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_ADAM_UPDATE, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 11, sizeof(cl_mem), &param->mem, sizeof(cl_mem),
                             &grad->mem, sizeof(cl_mem), &m->mem, sizeof(cl_mem), &v->mem,
                             sizeof(int), &count, sizeof(float), &step->alpha, sizeof(float),
                             &step->beta1, sizeof(float), &step->beta2, sizeof(float),
                             &step->epsilon, sizeof(int), &decay->count, sizeof(float),
                             &decay->factor));
    clcnn_profile_cost(context, 0.0, 28.0 * count); /* param, grad, m, v read; param, m, v written */
    return clcnn_launch_elementwise(context, kernel, (size_t)count);
}

clcnn_status clcnn_sgd_update(clcnn_context *context, const clcnn_sgd_step *step,
                              const clcnn_decay *decay, int count, clcnn_buffer *param,
                              const clcnn_buffer *grad, clcnn_buffer *velocity)
{
    CLCNN_TRY(clcnn_require_bytes("sgd_update", "param", param, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("sgd_update", "grad", grad, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("sgd_update", "velocity", velocity, (size_t)count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_sgd_update(step, decay, count, param->host, grad->host, velocity->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_SGD_UPDATE, &kernel));
    const int nesterov = step->nesterov;
    CLCNN_TRY(clcnn_set_args(context, kernel, 9, sizeof(cl_mem), &param->mem, sizeof(cl_mem),
                             &grad->mem, sizeof(cl_mem), &velocity->mem, sizeof(int), &count,
                             sizeof(float), &step->learning_rate, sizeof(float), &step->momentum,
                             sizeof(int), &nesterov, sizeof(int), &decay->count, sizeof(float),
                             &decay->factor));
    clcnn_profile_cost(context, 0.0, 20.0 * count); /* param, grad, velocity read; two written */
    return clcnn_launch_elementwise(context, kernel, (size_t)count);
}
