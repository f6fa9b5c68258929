/*
 * vfp_test.h - helpers shared by the cmocka tests of sim/vfp: cmocka itself,
 * a seeded generator, and short ways to write addresses, ranges and rules.
 * Nothing here knows about hns-mock: the evaluator is tested alone.
 */
#ifndef HNSIM_TESTS_VFP_TEST_H
#define HNSIM_TESTS_VFP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vfp.h"

/* A small seeded generator (splitmix64): same seed, same sequence. */
typedef struct test_rng {
    uint64_t state;
} test_rng;

static inline uint64_t rng_next(test_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static inline uint32_t rng_below(test_rng *r, uint32_t n)
{
    return n ? (uint32_t)(rng_next(r) % n) : 0;
}

/* The address in text; fails the test when it does not parse. */
static inline vfp_addr A(const char *text)
{
    vfp_addr a;
    if (vfp_addr_parse(text, &a))
        fail_msg("fixture address \"%s\" did not parse", text);
    return a;
}

/* The range in text ("a", "a/n", "a-b"); fails the test when it does not parse. */
static inline vfp_addr_range R(const char *text)
{
    vfp_addr_range r;
    int err = vfp_range_parse(text, &r);
    if (err)
        fail_msg("fixture range \"%s\" did not parse: %s", text, vfp_err_name(err));
    return r;
}

/* A packet of direction dir and protocol proto from src:sport to dst:dport. */
static inline vfp_packet P(vfp_direction dir, uint8_t proto, const char *src, uint16_t sport,
                           const char *dst, uint16_t dport)
{
    vfp_packet p = {.direction = dir,
                    .protocol = proto,
                    .src = A(src),
                    .dst = A(dst),
                    .src_port = sport,
                    .dst_port = dport,
                    .size = 100};
    return p;
}

/* Fails unless err is 0, naming the error. */
#define assert_vfp_ok(expr)                                                                        \
    do {                                                                                           \
        int vfp_t_err_ = (expr);                                                                   \
        if (vfp_t_err_ < 0)                                                                        \
            fail_msg("%s failed: %s (%s)", #expr, vfp_err_name(vfp_t_err_),                        \
                     vfp_strerror(vfp_t_err_));                                                    \
    } while (0)

/* Compares text with the golden file name in $VFP_GOLDEN_DIR, or rewrites
 * the file when VFP_GOLDEN_UPDATE=1 (golden files stay under 64 KiB). */
static inline void assert_golden(const char *name, const char *text)
{
    const char *dir = getenv("VFP_GOLDEN_DIR");
    if (!dir)
        fail_msg("VFP_GOLDEN_DIR is not set (run through meson test)");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *update = getenv("VFP_GOLDEN_UPDATE");
    if (update && *update == '1') {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open golden file %s", path);
    static char want[65536];
    size_t n = fread(want, 1, sizeof want - 1, f);
    fclose(f);
    want[n] = '\0';
    if (strcmp(want, text)) {
        size_t i = 0;
        while (want[i] && want[i] == text[i])
            i++;
        size_t line = 1;
        for (size_t k = 0; k < i; k++)
            line += text[k] == '\n';
        fail_msg("%s differs from the output at line %zu; output:\n%s", name, line, text);
    }
}

#endif
