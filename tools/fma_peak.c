/* fma_peak [SECONDS]: the measured float32 FMA peak of this machine's CPU, the denominator of
 * every "fraction of peak" that clcnn's benchmarks quote.
 *
 * Each thread runs 12 independent chains of fused multiply-adds on 256-bit and then 512-bit
 * vectors (where the CPU has them): enough chains to cover the FMA latency on both of a core's
 * FMA pipes, so the loop is bound by FMA throughput alone. It prints GFLOP/s (2 per FMA lane)
 * for one thread and for one thread per CPU the process may use, each pinned to its own CPU,
 * the best of 5 runs. Zen 4 runs 512-bit FMAs at half rate, so its two widths measure the same;
 * Intel server cores with two 512-bit units measure twice as much at 512 bits. */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ROUNDS 4096 /* FMAs per chain between clock reads */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Runs for about `seconds`; returns the FLOPs done and stores a sum so nothing is optimised
 * away. The multiplier is just under 1 and the addend small, so values stay normal. The FMAs
 * are intrinsics: ISO C mode (-std=c11) forbids the compiler to fuse a * b + c itself. */
#define FMA_LOOP(vector, lanes, set1, fmadd, store)                                          \
    const vector a = set1(0.999999f), b = set1(1e-7f);                                       \
    vector acc[CHAINS];                                                                      \
    for (int c = 0; c < CHAINS; c++)                                                         \
        acc[c] = set1((float)(c + 1));                                                       \
    double flops = 0, start = now();                                                         \
    do {                                                                                     \
        for (int r = 0; r < ROUNDS; r++) {                                                   \
            _Pragma("GCC unroll 12") for (int c = 0; c < CHAINS; c++)                        \
                acc[c] = fmadd(acc[c], a, b);                                                \
        }                                                                                    \
        flops += 2.0 * lanes * CHAINS * ROUNDS;                                              \
    } while (now() - start < seconds);                                                       \
    float values[lanes], sum = 0;                                                            \
    for (int c = 0; c < CHAINS; c++) {                                                       \
        store(values, acc[c]);                                                               \
        for (int k = 0; k < lanes; k++)                                                      \
            sum += values[k];                                                                \
    }                                                                                        \
    *sink = sum;                                                                             \
    return flops

__attribute__((target("avx2,fma"))) static double fma_256(double seconds, float *sink)
{
    FMA_LOOP(__m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps);
}

__attribute__((target("avx512f"))) static double fma_512(double seconds, float *sink)
{
    FMA_LOOP(__m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps);
}

typedef struct worker {
    pthread_t thread;
    int cpu, width;
    double seconds, flops, elapsed;
    float sink;
} worker;

static void *run_worker(void *argument)
{
    worker *w = argument;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    double start = now();
    w->flops = w->width == 512 ? fma_512(w->seconds, &w->sink) : fma_256(w->seconds, &w->sink);
    w->elapsed = now() - start;
    return NULL;
}

/* GFLOP/s of `count` threads pinned to the first `count` allowed CPUs, best of 5 runs. */
static double measure(const int *cpus, int count, int width, double seconds)
{
    double best = 0;
    for (int run = 0; run < 5; run++) {
        worker workers[CPU_SETSIZE];
        double total = 0;
        for (int i = 0; i < count; i++) {
            workers[i] = (worker){.cpu = cpus[i], .width = width, .seconds = seconds};
            if (pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]) != 0) {
                fprintf(stderr, "fma_peak: cannot start a thread\n");
                return 0;
            }
        }
        for (int i = 0; i < count; i++) {
            pthread_join(workers[i].thread, NULL);
            total += workers[i].flops / workers[i].elapsed;
        }
        if (total > best)
            best = total;
    }
    return best * 1e-9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.2;
    if (argc > 2 || seconds <= 0 || seconds > 60) {
        fprintf(stderr, "usage: fma_peak [SECONDS per run, default 0.2, at most 60]\n");
        return 2;
    }
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        fprintf(stderr, "fma_peak: cannot read the CPUs this process may use\n");
        return 1;
    }
    int cpus[CPU_SETSIZE], count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed))
            cpus[count++] = cpu;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "fma_peak: this CPU has no AVX2 FMA; nothing to measure\n");
        return 1;
    }
    printf("float32 FMA peak, GFLOP/s (best of 5 runs of %.2f s; %d CPUs allowed)\n", seconds, count);
    printf("%-10s %12s %12s\n", "width", "1 thread", "all threads");
    const int widths[2] = {256, 512};
    for (int i = 0; i < 2; i++) {
        if (widths[i] == 512 && !__builtin_cpu_supports("avx512f"))
            continue;
        printf("%-10d %12.1f %12.1f\n", widths[i], measure(cpus, 1, widths[i], seconds),
               measure(cpus, count, widths[i], seconds));
    }
    return 0;
}
