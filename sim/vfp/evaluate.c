/*
 * evaluate.c - one packet through one port's layers: the pure evaluator.
 *
 * vfp_evaluate() takes an immutable ruleset, the port's flow table and a
 * packet, and returns a verdict, a reason and the ordered trace of every
 * group winner, flow and layer default that touched the packet. It performs
 * no I/O and keeps no state of its own: the flow table and the per-rule
 * atomic counters are the only things it writes, and both are the caller's.
 * The semantics (layer order per direction, terminating and last-match
 * rules, Pass, layer defaults, the ACL default of field-bugs I1, stateful
 * return traffic and lazy revalidation after a swap) are the essay of vfp.h;
 * this file follows it step by step.
 */
#include "vfp_internal.h"

#include <string.h>

void vfp_eval_options_init(vfp_eval_options *o, const char *profile)
{
    memset(o, 0, sizeof *o);
    /* field-bugs I1: WS2025 turns any ACL on an endpoint into default-deny;
     * earlier releases let unmatched traffic through. */
    o->acl_default =
        profile && !strcmp(profile, "ws2025") ? VFP_ACL_DEFAULT_BLOCK : VFP_ACL_DEFAULT_ALLOW;
    o->acl_scope = VFP_ACL_SCOPE_ANY_DIRECTION;
    o->flows_survive_swap = 0;
    o->count = 1;
}

/* The state of one evaluation. */
typedef struct eval {
    const vfp_ruleset *rs;     /* the program */
    vfp_flow_table *flows;     /* the port's flows, or NULL */
    const vfp_eval_options *o; /* options */
    vfp_packet packet;         /* the packet as it is now */
    vfp_result *out;           /* what we report */
} eval;

/* What a layer tells the loop over layers. */
enum { LAYER_CONTINUE, LAYER_STOP };

/* A fresh trace step, or NULL when the trace is full (then counted). */
static vfp_hit *trace_add(eval *e, vfp_hit_kind kind, const vfp_layer *layer)
{
    vfp_trace *t = &e->out->trace;
    if (t->n >= VFP_TRACE_MAX) {
        t->overflow++;
        return NULL;
    }
    vfp_hit *h = &t->hits[t->n++];
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->layer = layer;
    return h;
}

/* The trace index of h, or -1 when it did not fit. */
static int hit_index(const eval *e, const vfp_hit *h)
{
    return h ? (int)(h - e->out->trace.hits) : -1;
}

/* Records a drop. */
static int drop(eval *e, vfp_reason reason, vfp_hit *h)
{
    e->out->verdict = VFP_VERDICT_BLOCK;
    e->out->reason = reason;
    e->out->deciding_hit = hit_index(e, h);
    return LAYER_STOP;
}

/* Notes in h that the packet is now e->packet if it differs from before. */
static void note_rewrite(eval *e, vfp_hit *h, const vfp_packet *before)
{
    if (h && !vfp__packet_equal(before, &e->packet)) {
        h->rewrote = 1;
        h->after = e->packet;
    }
}

/* 1 when group g of a layer applies to a packet with key k. */
static bool group_applies(const vfp_group *g, vfp_direction dir, const vfp_key *k)
{
    return g->direction == dir && (g->family == VFP_FAMILY_ANY || g->family == k->family) &&
           vfp_match_key(&g->conditions, k);
}

/* The rule that decides layer l for a packet of direction dir and key k
 * (terminating first match, else the last group winner; Pass never
 * decides), with its group's index in *group_index. When e is given, every
 * group winner is traced and counted and *decider gets the deciding step.
 * NULL when nothing decides. */
static const vfp_rule *decide_layer(eval *e, const vfp_layer *l, vfp_direction dir,
                                    const vfp_key *k, size_t *group_index, vfp_hit **decider)
{
    const vfp_rule *decision = NULL;
    for (size_t gi = 0; gi < l->n_groups; gi++) {
        const vfp_group *g = l->groups[gi];
        if (!group_applies(g, dir, k))
            continue;
        const vfp_rule *r = vfp_group_classify(g, k);
        if (!r)
            continue;
        vfp_hit *h = NULL;
        if (e) {
            h = trace_add(e, VFP_HIT_RULE, l);
            if (h) {
                h->group = g;
                h->rule = r;
                h->action = r->action.type;
            }
            if (e->o->count) {
                vfp_rule *counted = (vfp_rule *)r;
                atomic_fetch_add_explicit(&counted->packets, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&counted->bytes, e->packet.size, memory_order_relaxed);
            }
        }
        if (r->action.type == VFP_ACTION_PASS)
            continue;
        decision = r;
        *group_index = gi;
        if (decider)
            *decider = h;
        if (r->flags & VFP_RULE_TERMINATING)
            break;
    }
    return decision;
}

/* 1 when stale flow f (of an older ruleset) would still be created at layer
 * l by the current rules: its first packet, evaluated again without counters
 * or trace, is decided by a stateful rule that does not block (the VFP
 * paper's lazy reconciliation). Points f at the new deciding rule. */
static bool revalidate(const vfp_layer *l, vfp_flow *f)
{
    vfp_packet first = {.direction = f->direction, .protocol = f->original.protocol};
    vfp__packet_set_tuple(&first, &f->original);
    vfp_key k;
    vfp_key_from_packet(&first, &k);
    size_t gi = 0;
    const vfp_rule *r = decide_layer(NULL, l, f->direction, &k, &gi, NULL);
    if (!r || r->action.type == VFP_ACTION_BLOCK || !(r->flags & VFP_RULE_STATEFUL))
        return false;
    f->group_index = (uint32_t)gi;
    f->rule_order = r->order;
    return true;
}

/* Lets the packet through layer l on an existing flow it is the return
 * traffic of, restoring the tuple the flow's first packet had. */
static void follow_reply(eval *e, const vfp_layer *l, vfp_flow *f)
{
    vfp_hit *h = trace_add(e, VFP_HIT_FLOW, l);
    if (h) {
        h->action = VFP_ACTION_ALLOW;
        h->decided = 1;
        if (f->generation == e->rs->generation && f->group_index < l->n_groups) {
            const vfp_group *g = l->groups[f->group_index];
            h->group = g;
            h->rule = f->rule_order < g->n_rules ? &g->rules[f->rule_order] : NULL;
        }
    }
    vfp_packet before = e->packet;
    vfp__packet_set_tuple(&e->packet, &f->original);
    note_rewrite(e, h, &before);
    f->last_seen = e->o->now;
    f->packets++;
    f->bytes += e->packet.size;
}

/* The flow at layer l the packet is the return traffic of, after dropping
 * expired flows and revalidating (or dropping) flows of older rulesets. */
static vfp_flow *reply_flow(eval *e, const vfp_layer *l, const vfp_tuple *tuple)
{
    vfp_flow *f = vfp__flow_find_reply(e->flows, l->name, l->name_hash, e->packet.direction, tuple);
    if (!f)
        return NULL;
    uint64_t now = e->o->now;
    if (f->ttl && now > f->last_seen && now - f->last_seen > f->ttl) {
        vfp__flow_remove(e->flows, f);
        return NULL;
    }
    if (f->generation != e->rs->generation && !e->o->flows_survive_swap) {
        if (!revalidate(l, f)) {
            vfp__flow_remove(e->flows, f);
            return NULL;
        }
        f->generation = e->rs->generation;
    }
    return f;
}

/* Records or refreshes the flow that stateful rule r (group gi of layer l)
 * created for the packet, which had tuple before at the layer's entry. */
static void record_flow(eval *e, const vfp_layer *l, size_t gi, const vfp_rule *r,
                        const vfp_tuple *before)
{
    vfp_tuple after;
    vfp_tuple_from_packet(&e->packet, &after);
    vfp_direction dir = e->packet.direction;
    vfp_flow *f = vfp__flow_find_forward(e->flows, l->name, l->name_hash, dir, before);
    if (f && !vfp__tuple_equal(&f->translated, &after)) {
        /* The same first tuple now leaves translated differently (a new
         * backend after a swap): the old return tuple no longer applies. */
        vfp__flow_remove(e->flows, f);
        f = NULL;
    }
    if (!f) {
        vfp_flow fresh;
        memset(&fresh, 0, sizeof fresh);
        size_t n = strlen(l->name);
        memcpy(fresh.layer, l->name, n < sizeof fresh.layer ? n : sizeof fresh.layer - 1);
        fresh.direction = dir;
        fresh.original = *before;
        fresh.translated = after;
        fresh.created = e->o->now;
        f = vfp__flow_insert(e->flows, &fresh);
        if (!f) {
            e->out->flows_not_recorded++;
            return;
        }
        e->out->flows_created++;
    }
    f->generation = e->rs->generation;
    f->group_index = (uint32_t)gi;
    f->rule_order = r->order;
    f->ttl = r->flow_ttl;
    f->last_seen = e->o->now;
    f->packets++;
    f->bytes += e->packet.size;
}

/* Hands a typed action to the caller's hook. Returns LAYER_STOP when the
 * hook drops the packet. */
static int apply_action(eval *e, const vfp_layer *l, const vfp_group *g, const vfp_rule *r,
                        vfp_hit *h, const vfp_tuple *before)
{
    const vfp_hooks *hooks = e->o->hooks;
    if (!hooks || !hooks->apply)
        return LAYER_CONTINUE;
    vfp_action_context ac = {
        .ruleset = e->rs,
        .layer = l,
        .group = g,
        .rule = r,
        .flows = e->flows,
        .flow =
            vfp__flow_find_forward(e->flows, l->name, l->name_hash, e->packet.direction, before),
    };
    vfp_packet prior = e->packet;
    const char *reason = NULL;
    vfp_hook_verdict v = hooks->apply(hooks->ctx, &ac, &e->packet, &reason);
    e->packet.direction = prior.direction; /* a hook rewrites headers, not the direction */
    if (v == VFP_HOOK_DROP) {
        e->out->hook_reason = reason ? reason : "dropped by the action hook";
        return drop(e, VFP_REASON_HOOK, h);
    }
    note_rewrite(e, h, &prior);
    return LAYER_CONTINUE;
}

/* Runs the packet through layer l. */
static int eval_layer(eval *e, const vfp_layer *l)
{
    vfp_direction dir = e->packet.direction;
    vfp_tuple before;
    vfp_tuple_from_packet(&e->packet, &before);
    /* A layer without stateful rules holds no flows of this ruleset; only
     * flows kept across a swap (pf option) could still be there. */
    if (e->flows && (l->n_stateful || e->o->flows_survive_swap)) {
        vfp_flow *f = reply_flow(e, l, &before);
        if (f) {
            follow_reply(e, l, f);
            return LAYER_CONTINUE;
        }
    }
    vfp_key k;
    vfp_key_from_packet(&e->packet, &k);
    size_t gi = 0;
    vfp_hit *h = NULL;
    const vfp_rule *r = decide_layer(e, l, dir, &k, &gi, &h);
    if (r) {
        if (h)
            h->decided = 1;
        if (r->action.type == VFP_ACTION_BLOCK)
            return drop(e, VFP_REASON_BLOCK_RULE, h);
        if (r->action.type != VFP_ACTION_ALLOW &&
            apply_action(e, l, l->groups[gi], r, h, &before) == LAYER_STOP)
            return LAYER_STOP;
        if ((r->flags & VFP_RULE_STATEFUL) && e->flows)
            record_flow(e, l, gi, r, &before);
        return LAYER_CONTINUE;
    }
    switch (l->default_action) {
    case VFP_LAYER_BLOCK:
        h = trace_add(e, VFP_HIT_DEFAULT, l);
        if (h) {
            h->action = VFP_ACTION_BLOCK;
            h->decided = 1;
        }
        return drop(e, VFP_REASON_LAYER_DEFAULT, h);
    case VFP_LAYER_ACL: {
        size_t present = e->o->acl_scope == VFP_ACL_SCOPE_SAME_DIRECTION
                             ? (dir == VFP_DIR_IN ? l->n_rules_in : l->n_rules_out)
                             : l->n_rules_in + l->n_rules_out;
        if (!present)
            return LAYER_CONTINUE;
        bool block = e->o->acl_default == VFP_ACL_DEFAULT_BLOCK;
        h = trace_add(e, VFP_HIT_DEFAULT, l);
        if (h) {
            h->action = block ? VFP_ACTION_BLOCK : VFP_ACTION_ALLOW;
            h->decided = 1;
        }
        return block ? drop(e, VFP_REASON_ACL_DEFAULT, h) : LAYER_CONTINUE;
    }
    case VFP_LAYER_CONTINUE:
        break;
    }
    return LAYER_CONTINUE;
}

int vfp_evaluate(const vfp_ruleset *rs, vfp_flow_table *flows, const vfp_eval_options *opts,
                 const vfp_packet *packet, vfp_result *out)
{
    if (!rs || !packet || !out)
        return VFP_EINVAL;
    if (packet->direction != VFP_DIR_IN && packet->direction != VFP_DIR_OUT)
        return VFP_EINVAL;
    vfp_eval_options defaults;
    if (!opts) {
        vfp_eval_options_init(&defaults, NULL);
        opts = &defaults;
    }
    out->verdict = VFP_VERDICT_ALLOW;
    out->reason = VFP_REASON_NO_RULES;
    out->deciding_hit = -1;
    out->hook_reason = NULL;
    out->input = *packet;
    out->flows_created = 0;
    out->flows_not_recorded = 0;
    out->trace.n = 0;
    out->trace.overflow = 0;
    eval e = {.rs = rs, .flows = flows, .o = opts, .packet = *packet, .out = out};
    uint8_t family = packet->src.family;
    if ((family != VFP_FAMILY_IPV4 && family != VFP_FAMILY_IPV6) || packet->dst.family != family) {
        drop(&e, VFP_REASON_BAD_PACKET, NULL);
        out->output = e.packet;
        return 0;
    }
    /* OUT walks the layers from the container side (ascending priority), IN
     * walks them back (vfp.h: the VFP paper's opposite orders). */
    bool out_dir = packet->direction == VFP_DIR_OUT;
    for (size_t i = 0; i < rs->n_layers; i++) {
        const vfp_layer *l = &rs->layers[out_dir ? i : rs->n_layers - 1 - i];
        if (eval_layer(&e, l) == LAYER_STOP)
            break;
    }
    if (out->verdict == VFP_VERDICT_ALLOW && (out->trace.n || out->trace.overflow))
        out->reason = VFP_REASON_RULES;
    out->output = e.packet;
    return 0;
}
