/*
 * bench_util.h - what every benchmark needs: a monotonic clock, medians, and
 * a check that stops the run when a call fails.
 */
#ifndef HNSIM_BENCH_UTIL_H
#define HNSIM_BENCH_UTIL_H

#include <hnsmock/hnsmock.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* The median of v[0..n) (sorts v). */
double bench_median(double *v, int n);

/* Exits with a message naming what failed when hr is a failure. */
void bench_must(HRESULT hr, const char *what);

#endif
