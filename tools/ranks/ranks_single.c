/* Built without CLCNN_MPI: every run is one rank of one (tools/ranks/ranks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clcnn/replicas.h"
#include "ranks.h"

bool ranks_start(ranks *r, int *argc, char ***argv)
{
    (void)argc, (void)argv;
    *r = (ranks){.rank = 0, .size = 1, .local_rank = 0};
    if (gethostname(r->host, sizeof r->host) != 0)
        snprintf(r->host, sizeof r->host, "?");
    if (getenv("OMPI_COMM_WORLD_SIZE") && atoi(getenv("OMPI_COMM_WORLD_SIZE")) > 1) {
        fprintf(stderr, "clcnn: launched by mpirun, but this clcnn was built without Open MPI "
                        "(configure with -DCLCNN_MPI=ON)\n");
        return false;
    }
    return true;
}

void ranks_stop(ranks *r) { (void)r; }

void ranks_abort(const ranks *r, const char *why)
{
    (void)r;
    fprintf(stderr, "clcnn: %s\n", why);
    exit(1);
}

bool ranks_sum_gradients(ranks *r, const float *gradients, double scale, size_t floats,
                         float *sum)
{
    (void)r;
    clcnn_gradients_sum(&gradients, &scale, 1, floats, sum);
    return true;
}

bool ranks_share(const ranks *r, double *values, int count)
{
    (void)r, (void)values, (void)count;
    return true;
}

bool ranks_share_floats(const ranks *r, float *values, size_t count)
{
    (void)r, (void)values, (void)count;
    return true;
}

bool ranks_agree(const ranks *r, unsigned long long hash, bool *agree)
{
    (void)r, (void)hash;
    *agree = true;
    return true;
}

bool ranks_sum_totals(const ranks *r, rank_totals *totals)
{
    (void)r, (void)totals;
    return true;
}

void ranks_barrier(const ranks *r) { (void)r; }
