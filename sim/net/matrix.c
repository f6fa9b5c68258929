/*
 * matrix.c - reachability matrices in the shape of the Kubernetes
 * network-policy e2e tests: every source probes every destination, '.' is
 * reached and 'X' is not, and when the caller gives the expected grid the
 * output shows expected, observed and the cells that differ.
 *
 * Probes are what-if walks (no flows, counters or SNAT ports are left
 * behind), so a matrix does not disturb the cluster it looks at, and one
 * walk buffer is reused for every cell.
 */
#include "net_internal.h"
#include "vfp_internal.h"

#include <stdlib.h>
#include <string.h>

/* The ephemeral source port of every probe. */
#define PROBE_SOURCE_PORT 40000

void net_matrix_clear(net_matrix *m)
{
    for (size_t i = 0; m->from_names && i < m->n_from; i++)
        free(m->from_names[i]);
    for (size_t i = 0; m->to_names && i < m->n_to; i++)
        free(m->to_names[i]);
    free(m->from_names);
    free(m->to_names);
    free(m->observed);
    free(m->expected);
    free(m->reasons);
    memset(m, 0, sizeof *m);
}

static char **copy_names(const net_probe_point *p, size_t n)
{
    char **names = calloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++)
        if (!(names[i] = strdup(p[i].name ? p[i].name : p[i].ip)))
            return names; /* the caller's clear frees what was copied */
    return names;
}

static int parse_points(const net_probe_point *p, size_t n, vfp_addr *out)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i].ip || vfp_addr_parse(p[i].ip, &out[i]) != 0)
            return -1;
    return 0;
}

int net_matrix_probe(net_cluster *c, const net_probe_point *from, size_t n_from,
                     const net_probe_point *to, size_t n_to, const unsigned char *expected,
                     net_matrix *m)
{
    memset(m, 0, sizeof *m);
    m->n_from = n_from;
    m->n_to = n_to;
    size_t cells = n_from * n_to;
    vfp_addr *src = calloc(n_from + 1, sizeof *src), *dst = calloc(n_to + 1, sizeof *dst);
    m->from_names = copy_names(from, n_from);
    m->to_names = copy_names(to, n_to);
    m->observed = calloc(cells + 1, 1);
    m->reasons = calloc(cells + 1, sizeof *m->reasons);
    if (expected && (m->expected = malloc(cells + 1)))
        memcpy(m->expected, expected, cells);
    int rc = -1;
    if (!src || !dst || !m->from_names || !m->to_names || !m->observed || !m->reasons ||
        (expected && !m->expected) || parse_points(from, n_from, src) < 0 ||
        parse_points(to, n_to, dst) < 0)
        goto out;
    net_walk_options o = {.what_if = 1};
    net_walk w = {0};
    for (size_t i = 0; i < n_from; i++)
        for (size_t j = 0; j < n_to; j++) {
            vfp_packet p = {.protocol = to[j].protocol ? to[j].protocol : VFP_PROTO_TCP,
                            .src = src[i],
                            .dst = dst[j],
                            .src_port = PROBE_SOURCE_PORT,
                            .dst_port = to[j].port,
                            .size = 100};
            if (p.protocol != VFP_PROTO_TCP && p.protocol != VFP_PROTO_UDP)
                p.src_port = p.dst_port = 0;
            if (net__walk_again(c, &p, &o, &w) < 0) {
                net_walk_clear(&w);
                goto out;
            }
            m->observed[i * n_to + j] = w.verdict != NET_DROPPED;
            m->reasons[i * n_to + j] = w.reason;
        }
    net_walk_clear(&w);
    rc = 0;
out:
    free(src);
    free(dst);
    if (rc < 0)
        net_matrix_clear(m);
    return rc;
}

size_t net_matrix_mismatches(const net_matrix *m)
{
    size_t n = 0;
    for (size_t i = 0; m->expected && i < m->n_from * m->n_to; i++)
        n += (m->expected[i] != 0) != (m->observed[i] != 0);
    return n;
}

static size_t widest(char **names, size_t n)
{
    size_t w = 1;
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) > w)
            w = strlen(names[i]);
    return w;
}

/* One grid: the header of column numbers, then a row per source. cell()
 * gives the character of (i, j). */
static void grid(vfp__buf *b, const char *title, const net_matrix *m,
                 char (*cell)(const net_matrix *, size_t))
{
    int w = (int)widest(m->from_names, m->n_from);
    vfp__buf_printf(b, "%s:\n%-*s", title, w, "");
    for (size_t j = 0; j < m->n_to; j++)
        vfp__buf_printf(b, " %zu", j % 10);
    vfp__buf_printf(b, "\n");
    for (size_t i = 0; i < m->n_from; i++) {
        vfp__buf_printf(b, "%-*s", w, m->from_names[i]);
        for (size_t j = 0; j < m->n_to; j++)
            vfp__buf_printf(b, " %c", cell(m, i * m->n_to + j));
        vfp__buf_printf(b, "\n");
    }
}

static char observed_cell(const net_matrix *m, size_t k)
{
    return m->observed[k] ? '.' : 'X';
}

static char expected_cell(const net_matrix *m, size_t k)
{
    return m->expected[k] ? '.' : 'X';
}

static char compare_cell(const net_matrix *m, size_t k)
{
    return (m->expected[k] != 0) == (m->observed[k] != 0) ? '.' : 'X';
}

int net_matrix_format(const net_matrix *m, char **out)
{
    vfp__buf b = {0};
    vfp__buf_printf(&b, "columns:\n");
    for (size_t j = 0; j < m->n_to; j++)
        vfp__buf_printf(&b, "  %zu %s\n", j, m->to_names[j]);
    if (m->expected) {
        grid(&b, "expected", m, expected_cell);
        grid(&b, "observed", m, observed_cell);
        grid(&b, "comparison (X = differs)", m, compare_cell);
        vfp__buf_printf(&b, "%zu of %zu cells differ\n", net_matrix_mismatches(m),
                        m->n_from * m->n_to);
    } else {
        grid(&b, "reachability", m, observed_cell);
    }
    if (b.failed) {
        free(b.text);
        return -1;
    }
    *out = b.text;
    return 0;
}
