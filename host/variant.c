/* The variant registry: every op's ordered table of kernel variants (each defined beside its
 * dispatcher), and the rule that picks one for a shape on a device. The check and the tuner
 * force variants through context->forced_variant, so that a variant the device would not
 * choose (a GPU one on PoCL) is still proven against the reference. */
#include "internal.h"

static const clcnn_variant_table *const tables[CLCNN_VARIANT_OP_COUNT] = {
#define TABLE_OF(id, table, name) &table,
    CLCNN_VARIANT_OPS(TABLE_OF)
#undef TABLE_OF
};

static const char *const op_names[CLCNN_VARIANT_OP_COUNT] = {
#define NAME_OF(id, table, name) name,
    CLCNN_VARIANT_OPS(NAME_OF)
#undef NAME_OF
};

const clcnn_variant *clcnn_variant_at(clcnn_variant_op op, int index)
{
    const clcnn_variant_table *table = tables[op];
    return (const clcnn_variant *)((const char *)table->first + (size_t)index * table->stride);
}

int clcnn_variant_count(clcnn_variant_op op) { return tables[op]->count; }

const char *clcnn_variant_op_name(clcnn_variant_op op) { return op_names[op]; }

static bool fits(clcnn_context *context, const clcnn_variant *variant, const void *shape)
{
    return !variant->fits || variant->fits(context, shape);
}

static bool suits(const clcnn_context *context, const clcnn_variant *variant)
{
    switch (variant->suits) {
    case CLCNN_SUITS_CPU:
        return context->device.is_cpu;
    case CLCNN_SUITS_GPU:
        return !context->device.is_cpu;
    default:
        return true;
    }
}

clcnn_status clcnn_variant_pick(clcnn_context *context, clcnn_variant_op op,
                                const void *shape, int *index)
{
    const int forced = context->forced_variant[op];
    if (forced >= 0) {
        const clcnn_variant *variant = clcnn_variant_at(op, forced);
        if (!fits(context, variant, shape))
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "%s: the forced variant %s does not handle this shape on %s",
                              op_names[op], variant->name, context->device.name);
        *index = forced;
        return CLCNN_OK;
    }
    const int tuned = context->tuned_variant[op];
    if (tuned >= 0 && fits(context, clcnn_variant_at(op, tuned), shape)) {
        *index = tuned;
        return CLCNN_OK;
    }
    /* the first that suits the device, fits and prefers the shape; else the first that suits
     * and fits; else the first that fits */
    const int count = tables[op]->count;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < count; i++) {
            const clcnn_variant *variant = clcnn_variant_at(op, i);
            const bool preferred = pass > 0 || !variant->prefers || variant->prefers(context, shape);
            if ((pass == 2 || suits(context, variant)) && preferred && fits(context, variant, shape)) {
                *index = i;
                return CLCNN_OK;
            }
        }
    return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "%s: no variant handles this shape on %s",
                      op_names[op], context->device.name);
}
