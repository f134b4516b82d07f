/* The ranks of an mpirun job through Open MPI (tools/ranks/ranks.h). Errors use MPI's default
 * handler, MPI_ERRORS_ARE_FATAL: a failed collective, or a rank that died, ends the job, and
 * mpirun says which rank on which host. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clcnn/replicas.h"
#include "ranks.h"

bool ranks_start(ranks *r, int *argc, char ***argv)
{
    *r = (ranks){.rank = 0, .size = 1, .local_rank = 0};
    if (!getenv("OMPI_COMM_WORLD_SIZE")) { /* not launched by mpirun: no job to join */
        if (gethostname(r->host, sizeof r->host) != 0)
            snprintf(r->host, sizeof r->host, "?");
        return true;
    }
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &r->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &r->size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, r->rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &r->local_rank);
    MPI_Comm_free(&local);
    int length = 0;
    char name[MPI_MAX_PROCESSOR_NAME];
    MPI_Get_processor_name(name, &length);
    snprintf(r->host, sizeof r->host, "%s", name);
    return true;
}

void ranks_stop(ranks *r)
{
    free(r->received);
    free(r->counts);
    free(r->scales);
    free(r->parts);
    r->received = NULL, r->counts = NULL, r->scales = NULL, r->parts = NULL;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized && r->size >= 1)
        MPI_Finalize();
}

void ranks_abort(const ranks *r, const char *why)
{
    fprintf(stderr, "clcnn: rank %d of %d on %s: %s; stopping every rank\n", r->rank, r->size,
            r->host, why);
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized)
        MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

/* chunk p of an arena of floats split in size parts: [begin, end) */
static void chunk(size_t floats, int size, int p, size_t *begin, size_t *end)
{
    *begin = floats * (size_t)p / (size_t)size;
    *end = floats * (size_t)(p + 1) / (size_t)size;
}

/* The exchange's buffers for chunks of `mine` floats, made once (the arena's size does not
 * change within a run) */
static bool exchange_buffers(ranks *r, size_t mine)
{
    const size_t size = (size_t)r->size, needed = size * mine + 1;
    if (!r->counts) {
        r->counts = calloc(4 * size, sizeof(int));
        r->scales = calloc(size, sizeof(double));
        r->parts = calloc(size, sizeof *r->parts);
    }
    if (r->received_floats < needed) {
        free(r->received);
        r->received = malloc(needed * sizeof(float));
        r->received_floats = r->received ? needed : 0;
    }
    return r->counts && r->scales && r->parts && r->received;
}

bool ranks_sum_gradients(ranks *r, const float *gradients, double scale, size_t floats,
                         float *sum)
{
    if (r->size == 1) {
        clcnn_gradients_sum(&gradients, &scale, 1, floats, sum);
        return true;
    }
    const int size = r->size;
    size_t mine_begin, mine_end;
    chunk(floats, size, r->rank, &mine_begin, &mine_end);
    const size_t mine = mine_end - mine_begin;
    const bool ok = exchange_buffers(r, mine);
    if (ok) {
        int *send_counts = r->counts, *send_offsets = r->counts + size;
        int *receive_counts = r->counts + 2 * size, *receive_offsets = r->counts + 3 * size;
        float *received = r->received;
        double *scales = r->scales;
        const float **parts = r->parts;
        for (int p = 0; p < size; p++) {
            size_t begin, end;
            chunk(floats, size, p, &begin, &end);
            send_counts[p] = (int)(end - begin); /* chunk p goes to rank p */
            send_offsets[p] = (int)begin;
            receive_counts[p] = (int)mine; /* this rank's chunk, from every rank in rank order */
            receive_offsets[p] = (int)((size_t)p * mine);
        }
        MPI_Alltoallv(gradients, send_counts, send_offsets, MPI_FLOAT, received, receive_counts,
                      receive_offsets, MPI_FLOAT, MPI_COMM_WORLD);
        MPI_Allgather(&scale, 1, MPI_DOUBLE, scales, 1, MPI_DOUBLE, MPI_COMM_WORLD);
        for (int q = 0; q < size; q++)
            parts[q] = received + (size_t)q * mine;
        float *reduced = sum + mine_begin;
        clcnn_gradients_sum(parts, scales, size, mine, reduced);
        /* every rank's reduced chunk to every rank: the chunks are where send_* said */
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, sum, send_counts, send_offsets,
                       MPI_FLOAT, MPI_COMM_WORLD);
    }
    return ok;
}

bool ranks_sum_totals(const ranks *r, rank_totals *totals)
{
    if (r->size == 1)
        return true;
    rank_totals *all = calloc((size_t)r->size, sizeof *all);
    if (!all)
        return false;
    MPI_Allgather(totals, 4, MPI_DOUBLE, all, 4, MPI_DOUBLE, MPI_COMM_WORLD);
    *totals = (rank_totals){0, 0, 0, 0};
    for (int q = 0; q < r->size; q++) {
        totals->loss_sum += all[q].loss_sum;
        totals->correct += all[q].correct;
        totals->count += all[q].count;
        totals->stop = totals->stop > all[q].stop ? totals->stop : all[q].stop;
    }
    free(all);
    return true;
}

bool ranks_share(const ranks *r, double *values, int count)
{
    if (r->size > 1)
        MPI_Bcast(values, count, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return true;
}

bool ranks_share_floats(const ranks *r, float *values, size_t count)
{
    /* in pieces an int can count */
    for (size_t done = 0; r->size > 1 && done < count;) {
        const int piece = count - done > (1u << 30) ? 1 << 30 : (int)(count - done);
        MPI_Bcast(values + done, piece, MPI_FLOAT, 0, MPI_COMM_WORLD);
        done += (size_t)piece;
    }
    return true;
}

bool ranks_agree(const ranks *r, unsigned long long hash, bool *agree)
{
    *agree = true;
    if (r->size == 1)
        return true;
    unsigned long long *all = calloc((size_t)r->size, sizeof *all);
    if (!all)
        return false;
    MPI_Allgather(&hash, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
    for (int q = 1; q < r->size; q++)
        *agree = *agree && all[q] == all[0];
    free(all);
    return true;
}

void ranks_barrier(const ranks *r)
{
    if (r->size > 1)
        MPI_Barrier(MPI_COMM_WORLD);
}
