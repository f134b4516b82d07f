/* The --profile table and profile.csv. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void geometry(const clcnn_profile_row *row, char *out, size_t size)
{
    if (row->global_size)
        snprintf(out, size, "%zu/%zu", row->global_size, row->local_size);
    else
        snprintf(out, size, "(CLBlast)");
}

bool report_profile(clcnn_context *context, const char *csv_path)
{
    clcnn_profile_row *rows = NULL;
    int count = clcnn_profile_rows(context, &rows);
    if (count < 0) {
        fprintf(stderr, "clcnn: profiling failed: %s\n", clcnn_last_error());
        return false;
    }
    printf("\nProfile on %s (device time from OpenCL events)\n", clcnn_context_device(context)->name);
    printf("%-34s %7s %10s %10s %10s %6s %8s %8s %s\n", "kernel", "calls", "total ms", "mean us",
           "median us", "share", "GFLOP/s", "GB/s", "global/local");
    for (int i = 0; i < count; i++) {
        const clcnn_profile_row *row = &rows[i];
        char where[48];
        geometry(row, where, sizeof where);
        printf("%-34s %7ld %10.1f %10.1f %10.1f %5.1f%% %8.1f %8.1f %s\n", row->name, row->calls,
               row->total_ms, row->mean_us, row->median_us, 100 * row->share, row->gflops,
               row->gbytes_per_s, where);
    }
    bool ok = true;
    if (csv_path) {
        FILE *file = fopen(csv_path, "w");
        ok = file != NULL;
        if (file) {
            fprintf(file, "kernel,calls,total_ms,mean_us,median_us,share,gflops,gbytes_per_s,"
                          "global_size,local_size\n");
            for (int i = 0; i < count; i++)
                fprintf(file, "%s,%ld,%.3f,%.3f,%.3f,%.5f,%.3f,%.3f,%zu,%zu\n", rows[i].name,
                        rows[i].calls, rows[i].total_ms, rows[i].mean_us, rows[i].median_us,
                        rows[i].share, rows[i].gflops, rows[i].gbytes_per_s, rows[i].global_size,
                        rows[i].local_size);
            ok = fclose(file) == 0;
        }
        if (!ok)
            fprintf(stderr, "clcnn: cannot write %s\n", csv_path);
        else
            printf("(also in %s)\n", csv_path);
    }
    free(rows);
    return ok;
}
