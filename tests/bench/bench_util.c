/*
 * bench_util.c - see bench_util.h.
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_must(HRESULT hr, const char *what)
{
    if (FAILED(hr)) {
        fprintf(stderr, "bench: %s failed 0x%08X: %s\n", what, (unsigned)hr, hnsm_last_detail());
        exit(1);
    }
}
