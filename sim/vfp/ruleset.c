/*
 * ruleset.c - building immutable port rulesets, their lifetime, and ports.
 *
 * A compiler describes a port's program with vfp_builder_add_layer / _group /
 * _rule; each call validates and copies its input at once, so a bad HNS
 * policy is reported by the call that carries it and a failed call leaves the
 * builder as it was. vfp_builder_finish() then sorts layers, groups and rules
 * into evaluation order, normalizes nothing further (rules are normalized
 * when added) and compiles each group's classifier. The result never changes
 * again except for its atomic counters; ports swap whole rulesets under a
 * lock and readers keep theirs alive by reference count (pf's ruleset
 * commit, see vfp.h).
 */
#include "vfp_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Errors
 */

const char *vfp_strerror(int err)
{
    switch (err) {
#define VFP_ERRNO_TEXT(name, value, message)                                                       \
    case VFP_##name:                                                                               \
        return message;
        VFP_ERRNO_MAP(VFP_ERRNO_TEXT)
#undef VFP_ERRNO_TEXT
    case 0:
        return "success";
    default:
        return "unknown error";
    }
}

const char *vfp_err_name(int err)
{
    switch (err) {
#define VFP_ERRNO_NAME(name, value, message)                                                       \
    case VFP_##name:                                                                               \
        return #name;
        VFP_ERRNO_MAP(VFP_ERRNO_NAME)
#undef VFP_ERRNO_NAME
    case 0:
        return "OK";
    default:
        return "UNKNOWN";
    }
}

const char *vfp_action_name(vfp_action_type t)
{
    switch (t) {
    case VFP_ACTION_ALLOW:
        return "allow";
    case VFP_ACTION_BLOCK:
        return "block";
    case VFP_ACTION_PASS:
        return "pass";
    case VFP_ACTION_LB_NAT:
        return "lbnat";
    case VFP_ACTION_SNAT:
        return "snat";
    case VFP_ACTION_ENCAP:
        return "routeencap";
    case VFP_ACTION_ROUTE:
        return "paroute";
    case VFP_ACTION_MAC_REWRITE:
        return "macrewrite";
    }
    return "unknown";
}

/* ---------------------------------------------------------------------------
 * Copying and normalizing matches
 */

/* strdup of s, or of fallback when s is NULL; NULL when both are NULL or
 * memory ran out (*failed is then set for the latter). */
static char *copy_text(const char *s, const char *fallback, bool *failed)
{
    const char *src = s ? s : fallback;
    if (!src)
        return NULL;
    size_t n = strlen(src) + 1;
    char *d = malloc(n);
    if (!d) {
        *failed = true;
        return NULL;
    }
    memcpy(d, src, n);
    return d;
}

static int compare_addr_range(const void *a, const void *b)
{
    const vfp_addr_range *x = a, *y = b;
    int c = vfp_addr_compare(&x->lo, &y->lo);
    return c ? c : vfp_addr_compare(&x->hi, &y->hi);
}

static int compare_port_range(const void *a, const void *b)
{
    const vfp_port_range *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return (x->hi > y->hi) - (x->hi < y->hi);
}

static int compare_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* 1 when address b directly follows a in the same family (so a range ending
 * at a and one starting at b can merge). */
static bool addr_adjacent(const vfp_addr *a, const vfp_addr *b)
{
    if (a->family != b->family)
        return false;
    vfp_addr next = *a;
    if (++next.lo == 0)
        next.hi++;
    if (a->family == VFP_FAMILY_IPV4 && a->lo == 0xFFFFFFFFu)
        return false;
    if (a->family == VFP_FAMILY_IPV6 && a->hi == UINT64_MAX && a->lo == UINT64_MAX)
        return false;
    return !vfp_addr_compare(&next, b);
}

/* Validates list[0..n) against family (0 = either) and writes a sorted,
 * merged copy to *out / *n_out. Returns 0, VFP_EFAMILY, VFP_ERANGE or
 * VFP_ENOMEM. */
static int normalize_addrs(const vfp_addr_range *list, size_t n, uint8_t family,
                           const vfp_addr_range **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    if (!list)
        return VFP_EINVAL;
    for (size_t i = 0; i < n; i++) {
        uint8_t f = list[i].lo.family;
        if ((f != VFP_FAMILY_IPV4 && f != VFP_FAMILY_IPV6) || list[i].hi.family != f)
            return VFP_EFAMILY;
        if (family != VFP_FAMILY_ANY && f != family)
            return VFP_EFAMILY;
        if (f == VFP_FAMILY_IPV4 && (list[i].lo.hi || list[i].hi.hi ||
                                     list[i].lo.lo > 0xFFFFFFFFu || list[i].hi.lo > 0xFFFFFFFFu))
            return VFP_ERANGE;
        if (vfp_addr_compare(&list[i].lo, &list[i].hi) > 0)
            return VFP_ERANGE;
    }
    vfp_addr_range *copy = malloc(n * sizeof *copy);
    if (!copy)
        return VFP_ENOMEM;
    memcpy(copy, list, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, compare_addr_range);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && copy[m - 1].hi.family == copy[i].lo.family &&
            (vfp_addr_compare(&copy[i].lo, &copy[m - 1].hi) <= 0 ||
             addr_adjacent(&copy[m - 1].hi, &copy[i].lo))) {
            if (vfp_addr_compare(&copy[i].hi, &copy[m - 1].hi) > 0)
                copy[m - 1].hi = copy[i].hi;
        } else {
            copy[m++] = copy[i];
        }
    }
    *out = copy;
    *n_out = m;
    return 0;
}

/* As normalize_addrs for port ranges. */
static int normalize_ports(const vfp_port_range *list, size_t n, const vfp_port_range **out,
                           size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    if (!list)
        return VFP_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (list[i].lo > list[i].hi)
            return VFP_ERANGE;
    vfp_port_range *copy = malloc(n * sizeof *copy);
    if (!copy)
        return VFP_ENOMEM;
    memcpy(copy, list, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, compare_port_range);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && (uint32_t)copy[i].lo <= (uint32_t)copy[m - 1].hi + 1) {
            if (copy[i].hi > copy[m - 1].hi)
                copy[m - 1].hi = copy[i].hi;
        } else {
            copy[m++] = copy[i];
        }
    }
    *out = copy;
    *n_out = m;
    return 0;
}

/* Protocols 0..255 sorted and unique; 256 anywhere (or an empty list) means
 * any, stored as an empty list. Returns 0, VFP_EINVAL or VFP_ENOMEM. */
static int normalize_protocols(const uint16_t *list, size_t n, const uint16_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    if (!list)
        return VFP_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (list[i] > VFP_PROTO_ANY)
            return VFP_EINVAL;
        if (list[i] == VFP_PROTO_ANY)
            return 0;
    }
    uint16_t *copy = malloc(n * sizeof *copy);
    if (!copy)
        return VFP_ENOMEM;
    memcpy(copy, list, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, compare_u16);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || copy[m - 1] != copy[i])
            copy[m++] = copy[i];
    *out = copy;
    *n_out = m;
    return 0;
}

/* Frees the arrays of a normalized match. */
static void match_free(vfp_match *m)
{
    free((void *)m->protocols);
    free((void *)m->local_addrs);
    free((void *)m->remote_addrs);
    free((void *)m->local_ports);
    free((void *)m->remote_ports);
    memset(m, 0, sizeof *m);
}

/* Normalized copy of in into *out for a group of family. On failure *out is
 * empty and the error is returned. */
static int match_copy(const vfp_match *in, uint8_t family, vfp_match *out)
{
    memset(out, 0, sizeof *out);
    int err =
        normalize_protocols(in->protocols, in->n_protocols, &out->protocols, &out->n_protocols);
    if (!err)
        err = normalize_addrs(in->local_addrs, in->n_local_addrs, family, &out->local_addrs,
                              &out->n_local_addrs);
    if (!err)
        err = normalize_addrs(in->remote_addrs, in->n_remote_addrs, family, &out->remote_addrs,
                              &out->n_remote_addrs);
    if (!err)
        err = normalize_ports(in->local_ports, in->n_local_ports, &out->local_ports,
                              &out->n_local_ports);
    if (!err)
        err = normalize_ports(in->remote_ports, in->n_remote_ports, &out->remote_ports,
                              &out->n_remote_ports);
    if (err)
        match_free(out);
    return err;
}

/* ---------------------------------------------------------------------------
 * Rules and groups
 */

/* Frees what a rule owns (not the rule itself). */
static void rule_clear(vfp_rule *r)
{
    free(r->id);
    free(r->friendly_name);
    match_free(&r->match);
    if (r->action.type == VFP_ACTION_LB_NAT)
        free((void *)r->action.u.lb_nat.dips);
    if (r->action.type == VFP_ACTION_SNAT)
        free((void *)r->action.u.snat.pool);
    free((void *)r->cookie.object_id);
    free((void *)r->cookie.text);
}

/* Checks an action and copies what it points to. Returns 0, VFP_EINVAL or
 * VFP_ENOMEM. */
static int action_copy(const vfp_action *in, vfp_action *out)
{
    *out = *in;
    bool failed = false;
    switch (in->type) {
    case VFP_ACTION_ALLOW:
    case VFP_ACTION_BLOCK:
    case VFP_ACTION_PASS:
    case VFP_ACTION_ENCAP:
    case VFP_ACTION_ROUTE:
    case VFP_ACTION_MAC_REWRITE:
        return 0;
    case VFP_ACTION_LB_NAT:
        out->u.lb_nat.dips = NULL;
        if (in->u.lb_nat.n_dips) {
            if (!in->u.lb_nat.dips)
                return VFP_EINVAL;
            vfp_dip *d = malloc(in->u.lb_nat.n_dips * sizeof *d);
            if (!d)
                return VFP_ENOMEM;
            memcpy(d, in->u.lb_nat.dips, in->u.lb_nat.n_dips * sizeof *d);
            out->u.lb_nat.dips = d;
        }
        return 0;
    case VFP_ACTION_SNAT:
        out->u.snat.pool = copy_text(in->u.snat.pool, NULL, &failed);
        return failed ? VFP_ENOMEM : 0;
    }
    return VFP_EINVAL;
}

static void group_free(vfp_group *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_rules; i++)
        rule_clear(&g->rules[i]);
    free(g->rules);
    vfp__classifier_free(g);
    match_free(&g->conditions);
    free(g->name);
    free(g->friendly_name);
    free(g);
}

void vfp__group_retain(vfp_group *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

void vfp__group_release(vfp_group *g)
{
    if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        group_free(g);
}

void vfp_rule_counters(const vfp_rule *rule, uint64_t *packets, uint64_t *bytes)
{
    if (packets)
        *packets = atomic_load_explicit(&rule->packets, memory_order_relaxed);
    if (bytes)
        *bytes = atomic_load_explicit(&rule->bytes, memory_order_relaxed);
}

/* ---------------------------------------------------------------------------
 * The builder
 */

/* A layer being built. */
typedef struct build_layer {
    vfp_layer_spec spec; /* with owned copies of the names */
    size_t sequence;     /* order of addition, for equal priorities */
    size_t *groups;      /* indexes into vfp_builder.groups */
    size_t n_groups;
    size_t cap_groups;
} build_layer;

/* A group being built (or shared from an older ruleset). */
typedef struct build_group {
    vfp_group *group; /* rules appended in order of addition */
    size_t layer;     /* index into vfp_builder.layers */
    size_t sequence;  /* order of addition, for equal priorities */
    size_t cap_rules; /* allocated rules */
    bool shared;      /* taken from an older ruleset: already compiled */
} build_group;

struct vfp_builder {
    char *port;             /* port name */
    vfp_build_options opts; /* defaults filled in */
    build_layer *layers;    /* layers in order of addition */
    size_t n_layers, cap_layers;
    build_group *groups; /* groups in order of addition */
    size_t n_groups, cap_groups;
};

/* Grows *array (of elem-byte items, *cap allocated) to hold one more.
 * Returns false when out of memory. */
static bool grow(void **array, size_t *cap, size_t used, size_t elem)
{
    if (used < *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 8;
    void *p = realloc(*array, n * elem);
    if (!p)
        return false;
    *array = p;
    *cap = n;
    return true;
}

vfp_builder *vfp_builder_new(const char *port, const vfp_build_options *opts)
{
    vfp_builder *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    bool failed = false;
    b->port = copy_text(port, "", &failed);
    if (failed) {
        free(b);
        return NULL;
    }
    if (opts)
        b->opts = *opts;
    if (!b->opts.tie_break)
        b->opts.tie_break = VFP_TIE_BLOCK_FIRST;
    if (!b->opts.table_budget)
        b->opts.table_budget = (size_t)1 << 20;
    return b;
}

void vfp_builder_free(vfp_builder *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_layers; i++) {
        free((void *)b->layers[i].spec.name);
        free((void *)b->layers[i].spec.friendly_name);
        free(b->layers[i].groups);
    }
    for (size_t i = 0; i < b->n_groups; i++) {
        if (b->groups[i].shared)
            vfp__group_release(b->groups[i].group);
        else
            group_free(b->groups[i].group);
    }
    free(b->layers);
    free(b->groups);
    free(b->port);
    free(b);
}

int vfp_builder_add_layer(vfp_builder *b, const vfp_layer_spec *spec)
{
    if (!b || !spec || !spec->name || !*spec->name || strlen(spec->name) >= 64)
        return VFP_EINVAL;
    if (spec->default_action < VFP_LAYER_CONTINUE || spec->default_action > VFP_LAYER_ACL)
        return VFP_EINVAL;
    for (size_t i = 0; i < b->n_layers; i++)
        if (!strcmp(b->layers[i].spec.name, spec->name))
            return VFP_EEXIST;
    if (b->n_layers >= INT32_MAX ||
        !grow((void **)&b->layers, &b->cap_layers, b->n_layers, sizeof *b->layers))
        return VFP_ENOMEM;
    build_layer *l = &b->layers[b->n_layers];
    memset(l, 0, sizeof *l);
    bool failed = false;
    l->spec = *spec;
    l->spec.name = copy_text(spec->name, NULL, &failed);
    l->spec.friendly_name = copy_text(spec->friendly_name, spec->name, &failed);
    if (failed) {
        free((void *)l->spec.name);
        free((void *)l->spec.friendly_name);
        return VFP_ENOMEM;
    }
    l->sequence = b->n_layers;
    return (int)b->n_layers++;
}

/* Appends group index gi to layer li; false when out of memory. */
static bool layer_add_group(vfp_builder *b, size_t li, size_t gi)
{
    build_layer *l = &b->layers[li];
    if (!grow((void **)&l->groups, &l->cap_groups, l->n_groups, sizeof *l->groups))
        return false;
    l->groups[l->n_groups++] = gi;
    return true;
}

/* VFP_EEXIST when layer li already has a group called name. */
static int check_group_name(const vfp_builder *b, size_t li, const char *name)
{
    const build_layer *l = &b->layers[li];
    for (size_t i = 0; i < l->n_groups; i++)
        if (!strcmp(b->groups[l->groups[i]].group->name, name))
            return VFP_EEXIST;
    return 0;
}

int vfp_builder_add_group(vfp_builder *b, int layer, const vfp_group_spec *spec)
{
    if (!b || !spec)
        return VFP_EINVAL;
    if (layer < 0 || (size_t)layer >= b->n_layers)
        return VFP_ENOENT;
    if (!spec->name || !*spec->name)
        return VFP_EINVAL;
    if (spec->direction != VFP_DIR_IN && spec->direction != VFP_DIR_OUT)
        return VFP_EINVAL;
    if (spec->family != VFP_FAMILY_ANY && spec->family != VFP_FAMILY_IPV4 &&
        spec->family != VFP_FAMILY_IPV6)
        return VFP_EINVAL;
    if (spec->match_type != VFP_MATCH_PRIORITY && spec->match_type != VFP_MATCH_LPM)
        return VFP_EINVAL;
    int err = check_group_name(b, (size_t)layer, spec->name);
    if (err)
        return err;
    if (b->n_groups >= INT32_MAX ||
        !grow((void **)&b->groups, &b->cap_groups, b->n_groups, sizeof *b->groups))
        return VFP_ENOMEM;
    vfp_group *g = calloc(1, sizeof *g);
    if (!g)
        return VFP_ENOMEM;
    err = match_copy(&spec->conditions, spec->family, &g->conditions);
    if (err) {
        free(g);
        return err;
    }
    bool failed = false;
    g->name = copy_text(spec->name, NULL, &failed);
    g->friendly_name = copy_text(spec->friendly_name, spec->name, &failed);
    g->priority = spec->priority;
    g->direction = spec->direction;
    g->family = spec->family;
    g->match_type = spec->match_type;
    atomic_init(&g->refs, 1);
    if (failed || !layer_add_group(b, (size_t)layer, b->n_groups)) {
        group_free(g);
        return VFP_ENOMEM;
    }
    build_group *bg = &b->groups[b->n_groups];
    memset(bg, 0, sizeof *bg);
    bg->group = g;
    bg->layer = (size_t)layer;
    bg->sequence = b->n_groups;
    return (int)b->n_groups++;
}

int vfp_builder_reuse_group(vfp_builder *b, int layer, const vfp_ruleset *old,
                            const char *layer_name, const char *group_name)
{
    if (!b || !old || !layer_name || !group_name)
        return VFP_EINVAL;
    if (layer < 0 || (size_t)layer >= b->n_layers)
        return VFP_ENOENT;
    const vfp_layer *ol = vfp_ruleset_layer(old, layer_name);
    const vfp_group *og = ol ? vfp_layer_group(ol, group_name) : NULL;
    if (!og)
        return VFP_ENOENT;
    int err = check_group_name(b, (size_t)layer, group_name);
    if (err)
        return err;
    if (b->n_groups >= INT32_MAX ||
        !grow((void **)&b->groups, &b->cap_groups, b->n_groups, sizeof *b->groups) ||
        !layer_add_group(b, (size_t)layer, b->n_groups))
        return VFP_ENOMEM;
    vfp_group *g = (vfp_group *)og;
    vfp__group_retain(g);
    build_group *bg = &b->groups[b->n_groups];
    memset(bg, 0, sizeof *bg);
    bg->group = g;
    bg->layer = (size_t)layer;
    bg->sequence = b->n_groups;
    bg->shared = true;
    return (int)b->n_groups++;
}

/* The list an LPM group ranks by: the destination, which is the remote
 * address of an OUT group and the local address of an IN group. */
static void lpm_prefixes(const vfp_group *g, const vfp_match *m, const vfp_addr_range **list,
                         size_t *n)
{
    bool in = g->direction == VFP_DIR_IN;
    *list = in ? m->local_addrs : m->remote_addrs;
    *n = in ? m->n_local_addrs : m->n_remote_addrs;
}

int vfp_builder_add_rule(vfp_builder *b, int group, const vfp_rule_spec *spec)
{
    if (!b || !spec)
        return VFP_EINVAL;
    if (group < 0 || (size_t)group >= b->n_groups || b->groups[group].shared)
        return VFP_ENOENT;
    if (!spec->id || !*spec->id)
        return VFP_EINVAL;
    build_group *bg = &b->groups[group];
    vfp_group *g = bg->group;
    if (g->match_type == VFP_MATCH_LPM) {
        const vfp_addr_range *prefix;
        size_t n_prefix;
        lpm_prefixes(g, &spec->match, &prefix, &n_prefix);
        if (n_prefix > 1 || (n_prefix == 1 && (!prefix || vfp_range_prefix_length(prefix) < 0)))
            return VFP_ELPM;
    }
    if (g->n_rules >= UINT32_MAX / 2)
        return VFP_ENOMEM;
    vfp_rule r;
    memset(&r, 0, sizeof r);
    int err = match_copy(&spec->match, g->family, &r.match);
    if (err)
        return err;
    err = action_copy(&spec->action, &r.action);
    if (err) {
        match_free(&r.match);
        return err;
    }
    bool failed = false;
    r.id = copy_text(spec->id, NULL, &failed);
    r.friendly_name = copy_text(spec->friendly_name, spec->id, &failed);
    r.cookie.object_id = copy_text(spec->cookie.object_id, NULL, &failed);
    r.cookie.text = copy_text(spec->cookie.text, NULL, &failed);
    r.cookie.policy_index = spec->cookie.policy_index;
    r.priority = spec->priority;
    r.flags = spec->flags;
    r.flow_ttl = spec->flow_ttl;
    r.sequence = (uint32_t)g->n_rules;
    atomic_init(&r.packets, 0);
    atomic_init(&r.bytes, 0);
    if (failed || !grow((void **)&g->rules, &bg->cap_rules, g->n_rules, sizeof *g->rules)) {
        rule_clear(&r);
        return VFP_ENOMEM;
    }
    memcpy(&g->rules[g->n_rules++], &r, sizeof r);
    return 0;
}

/* The sort key of one rule in its group's evaluation order. */
typedef struct rule_order_key {
    uint32_t lpm;      /* 128 - prefix length for LPM groups (longest first), else 0 */
    uint32_t priority; /* lower first */
    uint32_t rank;     /* tie-break rank: 0 for Block under VFP_TIE_BLOCK_FIRST */
    uint32_t sequence; /* order of addition */
} rule_order_key;

static int compare_rule_order(const void *a, const void *b)
{
    const rule_order_key *x = a, *y = b;
    if (x->lpm != y->lpm)
        return x->lpm < y->lpm ? -1 : 1;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->sequence > y->sequence) - (x->sequence < y->sequence);
}

/* Puts g's rules in evaluation order (vfp.h) and numbers them. Returns 0 or
 * VFP_ENOMEM. */
static int sort_rules(vfp_group *g, vfp_tie_break tie_break)
{
    if (g->n_rules == 0)
        return 0;
    rule_order_key *keys = malloc(g->n_rules * sizeof *keys);
    vfp_rule *sorted = malloc(g->n_rules * sizeof *sorted);
    if (!keys || !sorted) {
        free(keys);
        free(sorted);
        return VFP_ENOMEM;
    }
    for (size_t i = 0; i < g->n_rules; i++) {
        const vfp_rule *r = &g->rules[i];
        keys[i].lpm = 0;
        if (g->match_type == VFP_MATCH_LPM) {
            const vfp_addr_range *prefix;
            size_t n_prefix;
            lpm_prefixes(g, &r->match, &prefix, &n_prefix);
            keys[i].lpm = n_prefix ? 128u - (uint32_t)vfp_range_prefix_length(prefix)
                                   : 129u; /* no prefix = /0 of either family: least specific */
        }
        keys[i].priority = r->priority;
        keys[i].rank =
            tie_break == VFP_TIE_BLOCK_FIRST && r->action.type != VFP_ACTION_BLOCK ? 1 : 0;
        keys[i].sequence = r->sequence;
    }
    qsort(keys, g->n_rules, sizeof *keys, compare_rule_order);
    for (size_t i = 0; i < g->n_rules; i++) {
        memcpy(&sorted[i], &g->rules[keys[i].sequence], sizeof *sorted);
        sorted[i].order = (uint32_t)i;
    }
    free(g->rules);
    free(keys);
    g->rules = sorted;
    return 0;
}

/* Orders indexes into the builder's layers or groups by (priority, sequence). */
typedef struct position {
    uint32_t priority;
    size_t sequence;
    size_t index;
} position;

static int compare_position(const void *a, const void *b)
{
    const position *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return (x->sequence > y->sequence) - (x->sequence < y->sequence);
}

int vfp_builder_finish(vfp_builder *b, vfp_ruleset **out)
{
    if (!b || !out) {
        vfp_builder_free(b);
        return VFP_EINVAL;
    }
    *out = NULL;
    for (size_t i = 0; i < b->n_groups; i++) {
        build_group *bg = &b->groups[i];
        if (bg->shared)
            continue;
        if (sort_rules(bg->group, b->opts.tie_break) ||
            vfp__classifier_build(bg->group, b->opts.table_budget)) {
            vfp_builder_free(b);
            return VFP_ENOMEM;
        }
    }
    vfp_ruleset *rs = calloc(1, sizeof *rs);
    position *order = malloc((b->n_layers + b->n_groups + 1) * sizeof *order);
    if (!rs || !order || (b->n_layers && !(rs->layers = calloc(b->n_layers, sizeof *rs->layers)))) {
        free(order);
        free(rs);
        vfp_builder_free(b);
        return VFP_ENOMEM;
    }
    rs->port = b->port;
    b->port = NULL;
    rs->build = b->opts;
    atomic_init(&rs->refs, 1);
    for (size_t i = 0; i < b->n_layers; i++)
        order[i] = (position){b->layers[i].spec.priority, b->layers[i].sequence, i};
    qsort(order, b->n_layers, sizeof *order, compare_position);
    int err = 0;
    for (size_t i = 0; i < b->n_layers; i++) {
        build_layer *bl = &b->layers[order[i].index];
        vfp_layer *l = &rs->layers[rs->n_layers++];
        l->name = (char *)bl->spec.name;
        l->friendly_name = (char *)bl->spec.friendly_name;
        bl->spec.name = bl->spec.friendly_name = NULL;
        l->priority = bl->spec.priority;
        l->flags = bl->spec.flags;
        l->default_action = bl->spec.default_action;
        l->name_hash = vfp__layer_hash(l->name);
        if (bl->n_groups && !(l->groups = malloc(bl->n_groups * sizeof *l->groups))) {
            err = VFP_ENOMEM;
            continue;
        }
        position *gorder = order + b->n_layers;
        for (size_t j = 0; j < bl->n_groups; j++) {
            const build_group *bg = &b->groups[bl->groups[j]];
            gorder[j] = (position){bg->group->priority, bg->sequence, bl->groups[j]};
        }
        qsort(gorder, bl->n_groups, sizeof *gorder, compare_position);
        for (size_t j = 0; j < bl->n_groups; j++) {
            build_group *bg = &b->groups[gorder[j].index];
            vfp_group *g = bg->group;
            bg->group = NULL; /* the ruleset owns the reference now */
            l->groups[l->n_groups++] = g;
            if (g->direction == VFP_DIR_IN)
                l->n_rules_in += g->n_rules;
            else
                l->n_rules_out += g->n_rules;
            for (size_t k = 0; k < g->n_rules; k++)
                l->n_stateful += (g->rules[k].flags & VFP_RULE_STATEFUL) != 0;
        }
    }
    free(order);
    /* Groups not moved into the ruleset (only after an allocation failure)
     * are freed or released with the builder. */
    vfp_builder_free(b);
    if (err) {
        vfp_ruleset_release(rs);
        return err;
    }
    *out = rs;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Ruleset lifetime and lookups
 */

vfp_ruleset *vfp_ruleset_retain(vfp_ruleset *rs)
{
    if (rs)
        atomic_fetch_add_explicit(&rs->refs, 1, memory_order_relaxed);
    return rs;
}

void vfp_ruleset_release(vfp_ruleset *rs)
{
    if (!rs || atomic_fetch_sub_explicit(&rs->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < rs->n_layers; i++) {
        vfp_layer *l = &rs->layers[i];
        for (size_t j = 0; j < l->n_groups; j++)
            vfp__group_release(l->groups[j]);
        free(l->groups);
        free(l->name);
        free(l->friendly_name);
    }
    free(rs->layers);
    free(rs->port);
    free(rs);
}

const vfp_layer *vfp_ruleset_layer(const vfp_ruleset *rs, const char *name)
{
    for (size_t i = 0; rs && name && i < rs->n_layers; i++)
        if (!strcmp(rs->layers[i].name, name))
            return &rs->layers[i];
    return NULL;
}

const vfp_group *vfp_layer_group(const vfp_layer *layer, const char *name)
{
    for (size_t i = 0; layer && name && i < layer->n_groups; i++)
        if (!strcmp(layer->groups[i]->name, name))
            return layer->groups[i];
    return NULL;
}

const vfp_rule *vfp_group_rule(const vfp_group *group, const char *id)
{
    for (size_t i = 0; group && id && i < group->n_rules; i++)
        if (!strcmp(group->rules[i].id, id))
            return &group->rules[i];
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Ports
 */

struct vfp_port {
    char *name;            /* port name */
    pthread_mutex_t lock;  /* guards current and generation */
    vfp_ruleset *current;  /* the installed ruleset (one reference), or NULL */
    uint64_t generation;   /* generation of current */
    vfp_flow_table *flows; /* the port's flows */
};

int vfp_port_new(const char *name, size_t max_flows, vfp_port **out)
{
    if (!name || !out)
        return VFP_EINVAL;
    *out = NULL;
    vfp_port *p = calloc(1, sizeof *p);
    if (!p)
        return VFP_ENOMEM;
    bool failed = false;
    p->name = copy_text(name, NULL, &failed);
    p->flows = vfp_flow_table_new(max_flows);
    if (failed || !p->flows || pthread_mutex_init(&p->lock, NULL)) {
        vfp_flow_table_free(p->flows);
        free(p->name);
        free(p);
        return VFP_ENOMEM;
    }
    *out = p;
    return 0;
}

void vfp_port_free(vfp_port *port)
{
    if (!port)
        return;
    vfp_ruleset_release(port->current);
    vfp_flow_table_free(port->flows);
    pthread_mutex_destroy(&port->lock);
    free(port->name);
    free(port);
}

int vfp_port_install(vfp_port *port, vfp_ruleset *rs)
{
    if (!port || !rs)
        return VFP_EINVAL;
    if (rs->generation)
        return VFP_EINSTALLED;
    pthread_mutex_lock(&port->lock);
    rs->generation = ++port->generation;
    vfp_ruleset *old = port->current;
    port->current = rs;
    pthread_mutex_unlock(&port->lock);
    vfp_ruleset_release(old);
    return 0;
}

vfp_ruleset *vfp_port_acquire(vfp_port *port)
{
    if (!port)
        return NULL;
    pthread_mutex_lock(&port->lock);
    vfp_ruleset *rs = vfp_ruleset_retain(port->current);
    pthread_mutex_unlock(&port->lock);
    return rs;
}

const char *vfp_port_name(const vfp_port *port) { return port ? port->name : NULL; }

vfp_flow_table *vfp_port_flows(vfp_port *port) { return port ? port->flows : NULL; }
