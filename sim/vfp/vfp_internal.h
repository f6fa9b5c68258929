/*
 * vfp_internal.h - what the files of sim/vfp share and nobody else needs: the
 * classifier's build and free entry points, group reference counting, flow
 * table internals used by the evaluator, and a growable text buffer for the
 * byte-stable outputs. Internal non-static names are vfp__*.
 */
#ifndef HNSIM_VFP_INTERNAL_H
#define HNSIM_VFP_INTERNAL_H

#include "vfp.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- addr.c ---- */

/* 1 when a lies in r (same family and lo <= a <= hi). */
bool vfp__range_contains(const vfp_addr_range *r, const vfp_addr *a);

/* 1 when the two tuples are the same. */
bool vfp__tuple_equal(const vfp_tuple *a, const vfp_tuple *b);

/* Writes t into p (keeping p's direction and its protocol) as the port sees
 * it: local is the source for OUT, the destination for IN. */
void vfp__packet_set_tuple(vfp_packet *p, const vfp_tuple *t);

/* 1 when the two packets are the same in every field. */
bool vfp__packet_equal(const vfp_packet *a, const vfp_packet *b);

/* ---- ruleset.c ---- */

/* Adds a reference to g. */
void vfp__group_retain(vfp_group *g);

/* Drops a reference; the last frees the group. Accepts NULL. */
void vfp__group_release(vfp_group *g);

/* ---- classify.c ---- */

/* Builds g's classifier from g->rules (already in evaluation order), keeping
 * each table under budget bytes where checkpointing allows. Returns 0 or
 * VFP_ENOMEM. */
int vfp__classifier_build(vfp_group *g, size_t budget);

/* Frees g's classifier. */
void vfp__classifier_free(vfp_group *g);

/* ---- flow.c ---- */

/* The hash of a layer name as the flow table uses it. */
uint64_t vfp__layer_hash(const char *name);

/* vfp_flow_find_forward / _reply with the layer's hash already known. */
vfp_flow *vfp__flow_find_forward(vfp_flow_table *t, const char *layer, uint64_t layer_hash,
                                 vfp_direction dir, const vfp_tuple *tuple);
vfp_flow *vfp__flow_find_reply(vfp_flow_table *t, const char *layer, uint64_t layer_hash,
                               vfp_direction dir, const vfp_tuple *tuple);

/* Adds a flow (copied). Returns the stored flow, or NULL when the table is
 * full or memory ran out. */
vfp_flow *vfp__flow_insert(vfp_flow_table *t, const vfp_flow *f);

/* Removes flow f (a pointer returned by a find or insert). */
void vfp__flow_remove(vfp_flow_table *t, vfp_flow *f);

/* ---- format.c ---- */

/* A growable NUL-terminated text buffer. failed sticks once memory ran out. */
typedef struct vfp__buf {
    char *text;  /* malloc'd, NUL-terminated */
    size_t len;  /* bytes before the NUL */
    size_t cap;  /* bytes allocated */
    bool failed; /* an allocation failed; text is incomplete */
} vfp__buf;

/* Appends printf-style text. */
void vfp__buf_printf(vfp__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
