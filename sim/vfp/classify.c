/*
 * classify.c - the per-group classifier: which rule, first in evaluation
 * order, matches a key. Bit-vector classification with checkpointed
 * elementary-interval tables; vfp.h has the design essay.
 *
 * Layout of one dimension (a "table"):
 *
 *   starts[0..n)       the first value of each elementary interval, sorted;
 *                      starts[0] is 0, so every value has an interval
 *   checkpoints        the full rule bitset of intervals 0, K, 2K, ...
 *   change_at[0..n]    for interval i, changes[change_at[i] .. change_at[i+1])
 *   changes            the rules entering (bit 0 set) or leaving the match
 *                      set when going from interval i-1 to interval i
 *
 * Every rule's ranges in one dimension are disjoint after normalization
 * (ruleset.c merges them), so a change is always a plain set or clear, never
 * a toggle. A dimension in which every rule matches everything is "inactive"
 * and skipped at lookup time. Address dimensions have one table per family;
 * a rule whose address list is empty is set in every interval of both.
 *
 * A lookup finds each active dimension's interval by binary search, then, one
 * chunk of bitset words at a time (so no allocation is needed), copies the
 * checkpoint at or below the interval, replays the changes up to it, ANDs the
 * dimensions and returns the lowest set bit.
 */
#include "vfp_internal.h"

#include <stdlib.h>
#include <string.h>

/* Bitset words materialized per dimension at a time (16384 rules). */
#define CHUNK_WORDS 256

/* Longest checkpoint stride as a power of two (K <= 256). */
#define MAX_SHIFT 8

/* A 128-bit key. */
typedef struct u128 {
    uint64_t hi, lo;
} u128;

static int u128_compare(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return (a.lo > b.lo) - (a.lo < b.lo);
}

/* One dimension of the classifier (see the file comment). */
typedef struct table {
    bool active;           /* some rule constrains this dimension */
    bool wide;             /* keys are 128-bit (IPv6 addresses) */
    size_t n;              /* elementary intervals */
    uint64_t *starts64;    /* interval starts when !wide */
    u128 *starts128;       /* interval starts when wide */
    unsigned shift;        /* a checkpoint every 1 << shift intervals */
    uint64_t *checkpoints; /* ((n - 1) >> shift) + 1 bitsets */
    uint32_t *change_at;   /* n + 1 offsets into changes */
    uint32_t *changes;     /* rule << 1 | entering */
} table;

/* Indexes of the tables in vfp_classifier.tables. */
enum { T_PROTOCOL, T_LOCAL4, T_LOCAL6, T_REMOTE4, T_REMOTE6, T_LOCAL_PORT, T_REMOTE_PORT, T_COUNT };

struct vfp_classifier {
    size_t n_rules;        /* rules of the group */
    size_t n_words;        /* 64-bit words per bitset */
    table tables[T_COUNT]; /* one per dimension and family */
    size_t bytes;          /* memory used, for reports */
};

/* One range of one rule in one dimension, during the build. */
typedef struct span {
    u128 lo, hi;   /* inclusive */
    uint32_t rule; /* rule order */
} span;

/* What the builder of one table is given. */
typedef struct table_input {
    const span *spans; /* every range of every rule */
    size_t n_spans;
    const bool *any; /* per rule: the dimension is unconstrained */
    bool wide;       /* 128-bit keys */
    u128 max;        /* the largest value of the dimension */
} table_input;

/* The interval holding key: the last start <= key. */
static size_t search64(const uint64_t *starts, size_t n, uint64_t key)
{
    size_t lo = 0, len = n;
    while (len > 1) {
        size_t half = len / 2;
        if (starts[lo + half] <= key)
            lo += half;
        len -= half;
    }
    return lo;
}

static size_t search128(const u128 *starts, size_t n, u128 key)
{
    size_t lo = 0, len = n;
    while (len > 1) {
        size_t half = len / 2;
        if (u128_compare(starts[lo + half], key) <= 0)
            lo += half;
        len -= half;
    }
    return lo;
}

/* The interval of value in t (built, so starts are set). */
static size_t table_search(const table *t, u128 value)
{
    return t->wide ? search128(t->starts128, t->n, value) : search64(t->starts64, t->n, value.lo);
}

static int compare_u128(const void *a, const void *b)
{
    return u128_compare(*(const u128 *)a, *(const u128 *)b);
}

static void table_free(table *t)
{
    free(t->starts64);
    free(t->starts128);
    free(t->checkpoints);
    free(t->change_at);
    free(t->changes);
    memset(t, 0, sizeof *t);
}

/* Builds t from in for n_rules rules of n_words words, under budget bytes
 * where a stride up to 1 << MAX_SHIFT allows. Returns 0 or VFP_ENOMEM. */
static int table_build(table *t, const table_input *in, size_t n_rules, size_t n_words,
                       size_t budget, size_t *bytes)
{
    memset(t, 0, sizeof *t);
    t->wide = in->wide;
    bool constrained = in->n_spans > 0;
    for (size_t r = 0; r < n_rules && !constrained; r++)
        constrained = !in->any[r];
    if (!constrained)
        return 0; /* inactive: every rule matches every value */
    t->active = true;

    /* Interval starts: 0, every range start, every value after a range end. */
    u128 *points = malloc((2 * in->n_spans + 1) * sizeof *points);
    if (!points)
        return VFP_ENOMEM;
    size_t np = 0;
    points[np++] = (u128){0, 0};
    for (size_t i = 0; i < in->n_spans; i++) {
        points[np++] = in->spans[i].lo;
        if (u128_compare(in->spans[i].hi, in->max) < 0) {
            u128 next = in->spans[i].hi;
            if (++next.lo == 0)
                next.hi++;
            points[np++] = next;
        }
    }
    qsort(points, np, sizeof *points, compare_u128);
    size_t n = 0;
    for (size_t i = 0; i < np; i++)
        if (!n || u128_compare(points[n - 1], points[i]))
            points[n++] = points[i];
    t->n = n;
    if (t->wide) {
        t->starts128 = points; /* n <= the allocated count: kept as it is */
    } else {
        t->starts64 = malloc(n * sizeof *t->starts64);
        if (!t->starts64) {
            free(points);
            return VFP_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            t->starts64[i] = points[i].lo;
        free(points);
    }

    /* Changes per interval, counted then placed (CSR). */
    t->change_at = calloc(n + 2, sizeof *t->change_at);
    t->changes = malloc((2 * in->n_spans + 1) * sizeof *t->changes);
    if (!t->change_at || !t->changes)
        goto nomem;
    for (size_t i = 0; i < in->n_spans; i++) {
        t->change_at[table_search(t, in->spans[i].lo) + 2]++;
        if (u128_compare(in->spans[i].hi, in->max) < 0) {
            u128 next = in->spans[i].hi;
            if (++next.lo == 0)
                next.hi++;
            t->change_at[table_search(t, next) + 2]++;
        }
    }
    for (size_t i = 2; i < n + 2; i++)
        t->change_at[i] += t->change_at[i - 1];
    for (size_t i = 0; i < in->n_spans; i++) {
        const span *s = &in->spans[i];
        t->changes[t->change_at[table_search(t, s->lo) + 1]++] = s->rule << 1 | 1u;
        if (u128_compare(s->hi, in->max) < 0) {
            u128 next = s->hi;
            if (++next.lo == 0)
                next.hi++;
            t->changes[t->change_at[table_search(t, next) + 1]++] = s->rule << 1;
        }
    }
    /* change_at[i] is now the start of interval i's changes, change_at[n] the end. */

    /* Checkpoint stride: the smallest that keeps the bitsets under budget. */
    size_t row = n_words * sizeof(uint64_t);
    while (t->shift < MAX_SHIFT && (((n - 1) >> t->shift) + 1) * row > budget)
        t->shift++;
    size_t n_checkpoints = ((n - 1) >> t->shift) + 1;
    t->checkpoints = malloc(n_checkpoints * row);
    uint64_t *current = calloc(n_words, sizeof *current);
    if (!t->checkpoints || !current) {
        free(current);
        goto nomem;
    }
    for (size_t r = 0; r < n_rules; r++)
        if (in->any[r])
            current[r >> 6] |= (uint64_t)1 << (r & 63);
    size_t mask = ((size_t)1 << t->shift) - 1;
    for (size_t i = 0; i < n; i++) {
        for (uint32_t c = t->change_at[i]; c < t->change_at[i + 1]; c++) {
            uint32_t r = t->changes[c] >> 1;
            uint64_t bit = (uint64_t)1 << (r & 63);
            if (t->changes[c] & 1u)
                current[r >> 6] |= bit;
            else
                current[r >> 6] &= ~bit;
        }
        if ((i & mask) == 0)
            memcpy(t->checkpoints + (i >> t->shift) * n_words, current, row);
    }
    free(current);
    *bytes += n * (t->wide ? sizeof(u128) : sizeof(uint64_t)) + n_checkpoints * row +
              (n + 2) * sizeof(uint32_t) + (2 * in->n_spans + 1) * sizeof(uint32_t);
    return 0;

nomem:
    table_free(t);
    return VFP_ENOMEM;
}

/* Appends the spans of one rule's address list of family to spans. */
static size_t add_addr_spans(span *spans, size_t n, const vfp_addr_range *list, size_t count,
                             uint8_t family, uint32_t rule)
{
    for (size_t i = 0; i < count; i++)
        if (list[i].lo.family == family)
            spans[n++] =
                (span){{list[i].lo.hi, list[i].lo.lo}, {list[i].hi.hi, list[i].hi.lo}, rule};
    return n;
}

int vfp__classifier_build(vfp_group *g, size_t budget)
{
    vfp_classifier *c = calloc(1, sizeof *c);
    if (!c)
        return VFP_ENOMEM;
    c->n_rules = g->n_rules;
    c->n_words = (g->n_rules + 63) / 64;
    size_t total = 0;
    for (size_t r = 0; r < g->n_rules; r++) {
        const vfp_match *m = &g->rules[r].match;
        total += m->n_protocols + m->n_local_addrs + m->n_remote_addrs + m->n_local_ports +
                 m->n_remote_ports;
    }
    span *spans = malloc((total + 1) * sizeof *spans);
    bool *any = malloc((g->n_rules + 1) * sizeof *any);
    if (!spans || !any) {
        free(spans);
        free(any);
        free(c);
        return VFP_ENOMEM;
    }
    int err = 0;
    for (int t = 0; t < T_COUNT && !err; t++) {
        size_t n = 0;
        table_input in = {.spans = spans, .any = any};
        for (size_t r = 0; r < g->n_rules; r++) {
            const vfp_match *m = &g->rules[r].match;
            uint32_t rule = (uint32_t)r;
            switch (t) {
            case T_PROTOCOL:
                any[r] = m->n_protocols == 0;
                for (size_t i = 0; i < m->n_protocols; i++)
                    spans[n++] = (span){{0, m->protocols[i]}, {0, m->protocols[i]}, rule};
                break;
            case T_LOCAL4:
            case T_LOCAL6:
                any[r] = m->n_local_addrs == 0;
                n = add_addr_spans(spans, n, m->local_addrs, m->n_local_addrs,
                                   t == T_LOCAL4 ? VFP_FAMILY_IPV4 : VFP_FAMILY_IPV6, rule);
                break;
            case T_REMOTE4:
            case T_REMOTE6:
                any[r] = m->n_remote_addrs == 0;
                n = add_addr_spans(spans, n, m->remote_addrs, m->n_remote_addrs,
                                   t == T_REMOTE4 ? VFP_FAMILY_IPV4 : VFP_FAMILY_IPV6, rule);
                break;
            case T_LOCAL_PORT:
                any[r] = m->n_local_ports == 0;
                for (size_t i = 0; i < m->n_local_ports; i++)
                    spans[n++] = (span){{0, m->local_ports[i].lo}, {0, m->local_ports[i].hi}, rule};
                break;
            case T_REMOTE_PORT:
                any[r] = m->n_remote_ports == 0;
                for (size_t i = 0; i < m->n_remote_ports; i++)
                    spans[n++] =
                        (span){{0, m->remote_ports[i].lo}, {0, m->remote_ports[i].hi}, rule};
                break;
            }
        }
        in.n_spans = n;
        switch (t) {
        case T_PROTOCOL:
            in.max = (u128){0, 255};
            break;
        case T_LOCAL4:
        case T_REMOTE4:
            in.max = (u128){0, 0xFFFFFFFFu};
            break;
        case T_LOCAL6:
        case T_REMOTE6:
            in.max = (u128){UINT64_MAX, UINT64_MAX};
            in.wide = true;
            break;
        default:
            in.max = (u128){0, 0xFFFF};
            break;
        }
        err = table_build(&c->tables[t], &in, g->n_rules, c->n_words, budget, &c->bytes);
    }
    free(spans);
    free(any);
    if (err) {
        for (int t = 0; t < T_COUNT; t++)
            table_free(&c->tables[t]);
        free(c);
        return err;
    }
    c->bytes += sizeof *c;
    g->classifier = c;
    return 0;
}

void vfp__classifier_free(vfp_group *g)
{
    if (!g->classifier)
        return;
    for (int t = 0; t < T_COUNT; t++)
        table_free(&g->classifier->tables[t]);
    free(g->classifier);
    g->classifier = NULL;
}

size_t vfp_group_classifier_bytes(const vfp_group *group)
{
    return group && group->classifier ? group->classifier->bytes : 0;
}

/* Writes words [w0, w0 + nw) of table t's bitset for interval i to out. */
static void materialize(const table *t, size_t n_words, size_t i, size_t w0, size_t nw,
                        uint64_t *out)
{
    size_t c = i >> t->shift;
    memcpy(out, t->checkpoints + c * n_words + w0, nw * sizeof *out);
    uint32_t from = t->change_at[(c << t->shift) + 1]; /* = to when i is the checkpoint */
    uint32_t to = t->change_at[i + 1];
    size_t r_lo = w0 * 64, r_hi = (w0 + nw) * 64;
    for (uint32_t k = from; k < to; k++) {
        uint32_t r = t->changes[k] >> 1;
        if (r < r_lo || r >= r_hi)
            continue;
        uint64_t bit = (uint64_t)1 << (r & 63);
        if (t->changes[k] & 1u)
            out[(r >> 6) - w0] |= bit;
        else
            out[(r >> 6) - w0] &= ~bit;
    }
}

/* Index of the lowest set bit of a nonzero word. */
static unsigned lowest_bit(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

const vfp_rule *vfp_group_classify(const vfp_group *group, const vfp_key *key)
{
    const vfp_classifier *c = group ? group->classifier : NULL;
    if (!c || !c->n_rules || !key)
        return NULL;
    if (key->family != VFP_FAMILY_IPV4 && key->family != VFP_FAMILY_IPV6)
        return NULL;
    bool v6 = key->family == VFP_FAMILY_IPV6;
    const table *dims[5];
    size_t at[5];
    size_t n_dims = 0;
    const struct {
        int table;
        u128 value;
    } probes[5] = {
        {T_PROTOCOL, {0, key->protocol}},
        {v6 ? T_LOCAL6 : T_LOCAL4, {key->local.hi, key->local.lo}},
        {v6 ? T_REMOTE6 : T_REMOTE4, {key->remote.hi, key->remote.lo}},
        {T_LOCAL_PORT, {0, key->local_port}},
        {T_REMOTE_PORT, {0, key->remote_port}},
    };
    for (int i = 0; i < 5; i++) {
        const table *t = &c->tables[probes[i].table];
        if (!t->active)
            continue;
        dims[n_dims] = t;
        at[n_dims++] = table_search(t, probes[i].value);
    }
    if (n_dims == 0)
        return &group->rules[0];
    uint64_t buffers[5][CHUNK_WORDS];
    for (size_t w0 = 0; w0 < c->n_words; w0 += CHUNK_WORDS) {
        size_t nw = c->n_words - w0 < CHUNK_WORDS ? c->n_words - w0 : CHUNK_WORDS;
        for (size_t d = 0; d < n_dims; d++)
            materialize(dims[d], c->n_words, at[d], w0, nw, buffers[d]);
        for (size_t w = 0; w < nw; w++) {
            uint64_t x = buffers[0][w];
            for (size_t d = 1; d < n_dims && x; d++)
                x &= buffers[d][w];
            if (x)
                return &group->rules[(w0 + w) * 64 + lowest_bit(x)];
        }
    }
    return NULL;
}

const vfp_rule *vfp_group_classify_linear(const vfp_group *group, const vfp_key *key)
{
    for (size_t i = 0; group && key && i < group->n_rules; i++)
        if (vfp_match_key(&group->rules[i].match, key))
            return &group->rules[i];
    return NULL;
}
