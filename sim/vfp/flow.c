/*
 * flow.c - a port's flow table: the flows stateful rules created, found by
 * their first packet's tuple (forward) and by their return tuple (reply).
 *
 * Each flow is its own allocation, so a vfp_flow pointer stays valid until
 * the flow is removed; the flows are also chained in creation order, which is
 * the order clear and expire walk them (never the hash order, STYLE.md). The
 * index is an open-addressing hash table with linear probing holding up to two
 * entries per flow: the forward entry keyed by (layer, direction, original
 * tuple) and the reply entry keyed by (layer, direction, translated tuple);
 * when the layer did not rewrite the packet the two keys differ only in role.
 * A key another flow already holds (possible only after NAT) stays with its
 * first owner, and the newer flow goes without that entry.
 */
#include "vfp_internal.h"

#include <stdlib.h>
#include <string.h>

enum { ROLE_FORWARD = 0, ROLE_REPLY = 1 };

/* A flow and its bookkeeping; the vfp_flow comes first so the pointers
 * handed out convert back. */
typedef struct flow_node {
    vfp_flow flow;          /* what callers see */
    struct flow_node *prev; /* creation-order chain */
    struct flow_node *next;
    bool indexed[2]; /* which entries the index holds */
} flow_node;

/* One index entry. */
typedef struct slot {
    uint64_t hash;   /* hash of the key, kept for growing and deleting */
    flow_node *node; /* NULL = empty */
    int role;        /* ROLE_FORWARD or ROLE_REPLY */
} slot;

struct vfp_flow_table {
    size_t max_flows; /* 0 = no limit */
    size_t n_flows;   /* flows held */
    flow_node *first; /* oldest flow */
    flow_node *last;  /* newest flow */
    slot *slots;      /* the index */
    size_t cap;       /* slots allocated, a power of two (0 before the first flow) */
    size_t used;      /* slots in use */
};

vfp_flow_table *vfp_flow_table_new(size_t max_flows)
{
    vfp_flow_table *t = calloc(1, sizeof *t);
    if (t)
        t->max_flows = max_flows;
    return t;
}

void vfp_flow_table_free(vfp_flow_table *t)
{
    if (!t)
        return;
    vfp_flow_table_clear(t);
    free(t->slots);
    free(t);
}

size_t vfp_flow_table_count(const vfp_flow_table *t) { return t ? t->n_flows : 0; }

void vfp_flow_table_clear(vfp_flow_table *t)
{
    if (!t)
        return;
    for (flow_node *n = t->first, *next; n; n = next) {
        next = n->next;
        free(n);
    }
    t->first = t->last = NULL;
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->n_flows = 0;
    t->used = 0;
}

uint64_t vfp__layer_hash(const char *name)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h;
}

/* Folds v into h: one multiply per word; key_hash finishes with a full mix. */
static inline uint64_t fold(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
}

/* The hash of (layer, flow direction, tuple, role). */
static uint64_t key_hash(uint64_t layer_hash, vfp_direction dir, const vfp_tuple *t, int role)
{
    uint64_t h = fold(layer_hash, (uint64_t)dir << 8 | (uint64_t)role);
    h = fold(h, (uint64_t)t->protocol << 48 | (uint64_t)t->local.family << 40 |
                    (uint64_t)t->remote.family << 32 | (uint64_t)t->local_port << 16 |
                    t->remote_port);
    h = fold(h, t->local.hi);
    h = fold(h, t->local.lo);
    h = fold(h, t->remote.hi);
    h = fold(h, t->remote.lo);
    /* The splitmix64 finalizer, so that the low bits (the slot) depend on all. */
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

/* The tuple an entry of role is keyed by. */
static const vfp_tuple *role_tuple(const vfp_flow *f, int role)
{
    return role == ROLE_FORWARD ? &f->original : &f->translated;
}

/* The hash of node's entry of role. */
static uint64_t node_hash(const flow_node *n, uint64_t layer_hash, int role)
{
    return key_hash(layer_hash, n->flow.direction, role_tuple(&n->flow, role), role);
}

/* Places an entry (the capacity is known to suffice). */
static void slot_put(vfp_flow_table *t, uint64_t hash, flow_node *node, int role)
{
    size_t i = (size_t)hash & (t->cap - 1);
    while (t->slots[i].node)
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = (slot){hash, node, role};
    t->used++;
}

/* Makes room for two more entries at a load of at most one half. */
static bool reserve(vfp_flow_table *t)
{
    if ((t->used + 2) * 2 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap * 2 : 64;
    slot *fresh = calloc(cap, sizeof *fresh);
    if (!fresh)
        return false;
    slot *old = t->slots;
    size_t old_cap = t->cap;
    t->slots = fresh;
    t->cap = cap;
    t->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].node)
            slot_put(t, old[i].hash, old[i].node, old[i].role);
    free(old);
    return true;
}

/* The node with an entry of role for (layer, flow_dir, tuple) whose key
 * hashes to hash, or NULL. */
static flow_node *find(const vfp_flow_table *t, const char *layer, uint64_t hash,
                       vfp_direction flow_dir, const vfp_tuple *tuple, int role)
{
    if (!t || !t->used || !layer || !tuple)
        return NULL;
    for (size_t i = (size_t)hash & (t->cap - 1); t->slots[i].node; i = (i + 1) & (t->cap - 1)) {
        const slot *s = &t->slots[i];
        const vfp_flow *f = &s->node->flow;
        if (s->hash == hash && s->role == role && f->direction == flow_dir &&
            vfp__tuple_equal(role_tuple(f, role), tuple) && !strcmp(f->layer, layer))
            return s->node;
    }
    return NULL;
}

vfp_flow *vfp__flow_find_forward(vfp_flow_table *t, const char *layer, uint64_t layer_hash,
                                 vfp_direction dir, const vfp_tuple *tuple)
{
    if (!t || !t->used || !tuple)
        return NULL;
    flow_node *n =
        find(t, layer, key_hash(layer_hash, dir, tuple, ROLE_FORWARD), dir, tuple, ROLE_FORWARD);
    return n ? &n->flow : NULL;
}

vfp_flow *vfp__flow_find_reply(vfp_flow_table *t, const char *layer, uint64_t layer_hash,
                               vfp_direction dir, const vfp_tuple *tuple)
{
    if (!t || !t->used || !tuple)
        return NULL;
    vfp_direction flow_dir = dir == VFP_DIR_IN ? VFP_DIR_OUT : VFP_DIR_IN;
    flow_node *n = find(t, layer, key_hash(layer_hash, flow_dir, tuple, ROLE_REPLY), flow_dir,
                        tuple, ROLE_REPLY);
    return n ? &n->flow : NULL;
}

vfp_flow *vfp_flow_find_forward(vfp_flow_table *t, const char *layer, vfp_direction dir,
                                const vfp_tuple *tuple)
{
    return layer ? vfp__flow_find_forward(t, layer, vfp__layer_hash(layer), dir, tuple) : NULL;
}

vfp_flow *vfp_flow_find_reply(vfp_flow_table *t, const char *layer, vfp_direction dir,
                              const vfp_tuple *tuple)
{
    return layer ? vfp__flow_find_reply(t, layer, vfp__layer_hash(layer), dir, tuple) : NULL;
}

vfp_flow *vfp__flow_insert(vfp_flow_table *t, const vfp_flow *f)
{
    if (!t || !f || (t->max_flows && t->n_flows >= t->max_flows) || !reserve(t))
        return NULL;
    flow_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->flow = *f;
    n->flow.layer[sizeof n->flow.layer - 1] = '\0';
    uint64_t layer_hash = vfp__layer_hash(n->flow.layer);
    for (int role = ROLE_FORWARD; role <= ROLE_REPLY; role++) {
        uint64_t hash = node_hash(n, layer_hash, role);
        if (find(t, n->flow.layer, hash, n->flow.direction, role_tuple(&n->flow, role), role))
            continue;
        slot_put(t, hash, n, role);
        n->indexed[role] = true;
    }
    n->prev = t->last;
    if (t->last)
        t->last->next = n;
    else
        t->first = n;
    t->last = n;
    t->n_flows++;
    return &n->flow;
}

/* Removes the entry at i and closes the gap (backward-shift deletion). */
static void slot_delete(vfp_flow_table *t, size_t i)
{
    size_t mask = t->cap - 1;
    t->slots[i].node = NULL;
    t->used--;
    for (size_t j = (i + 1) & mask; t->slots[j].node; j = (j + 1) & mask) {
        size_t home = (size_t)t->slots[j].hash & mask;
        /* j may move back to the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->slots[j].node = NULL;
            i = j;
        }
    }
}

void vfp__flow_remove(vfp_flow_table *t, vfp_flow *f)
{
    if (!t || !f)
        return;
    flow_node *n = (flow_node *)f;
    uint64_t layer_hash = vfp__layer_hash(n->flow.layer);
    for (int role = ROLE_FORWARD; role <= ROLE_REPLY; role++) {
        if (!n->indexed[role])
            continue;
        uint64_t hash = node_hash(n, layer_hash, role);
        for (size_t i = (size_t)hash & (t->cap - 1); t->slots[i].node; i = (i + 1) & (t->cap - 1)) {
            if (t->slots[i].node == n && t->slots[i].role == role) {
                slot_delete(t, i);
                break;
            }
        }
    }
    if (n->prev)
        n->prev->next = n->next;
    else
        t->first = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        t->last = n->prev;
    t->n_flows--;
    free(n);
}

size_t vfp_flow_table_expire(vfp_flow_table *t, uint64_t now)
{
    size_t dropped = 0;
    for (flow_node *n = t ? t->first : NULL, *next; n; n = next) {
        next = n->next;
        const vfp_flow *f = &n->flow;
        if (f->ttl && now > f->last_seen && now - f->last_seen > f->ttl) {
            vfp__flow_remove(t, &n->flow);
            dropped++;
        }
    }
    return dropped;
}
