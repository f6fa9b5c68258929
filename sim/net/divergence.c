/*
 * divergence.c - VFP state that differs from HNS state, on purpose.
 *
 * Several field bugs are not about what HNS stores but about what it failed
 * to program, or left behind, in VFP (field-bugs A8, B6, E1). A node keeps a
 * list of such faults; every net_node_sync compiles the ports from HNS as
 * usual and then rebuilds each affected port's ruleset with the fault
 * applied:
 *
 *  | fault              | what the port gets                          | reference        |
 *  |--------------------|---------------------------------------------|------------------|
 *  | SKIP_GROUP         | the group, empty                            | B6 (no OutBoundNAT rules in SLB_NAT_LAYER), A8.3 (missing LB_DSR rules) |
 *  | KEEP_GROUP         | the group as it was when the fault was added | A8.1 (stale LB_DSR rules keep deleted DIPs) |
 *  | DUPLICATE_RULES    | every rule of the group twice               | A8.2 (duplicate LB_DSR rules) |
 *  | DROP_LAYER         | no such layer                               | E1 (DECAP_IN lost on HNS restart) |
 *
 * The rebuilt ruleset copies every other layer, group and rule unchanged
 * (ids, priorities, flags, matches, actions, cookies), so traces still name
 * the HNS object behind each rule.
 */
#include "net_internal.h"

#include <stdlib.h>
#include <string.h>

struct net__fault {
    net_vfp_fault_kind kind;
    char *port;           /* NULL = every port */
    char *layer;
    char *group;          /* NULL for DROP_LAYER */
    vfp_ruleset **kept;   /* KEEP_GROUP: the port rulesets when the fault was added */
    char **kept_ports;
    size_t n_kept;
};

static bool applies(const net__fault *f, const char *port)
{
    return !f->port || strcmp(f->port, port) == 0;
}

static void fault_clear(net__fault *f)
{
    for (size_t i = 0; i < f->n_kept; i++) {
        vfp_ruleset_release(f->kept[i]);
        free(f->kept_ports[i]);
    }
    free(f->kept);
    free(f->kept_ports);
    free(f->port);
    free(f->layer);
    free(f->group);
}

void net__faults_free(net_node *n)
{
    for (size_t i = 0; i < n->n_faults; i++)
        fault_clear(&n->faults[i]);
    free(n->faults);
    n->faults = NULL;
    n->n_faults = 0;
}

void net_node_clear_vfp_faults(net_node *n)
{
    net__faults_free(n);
}

/* KEEP_GROUP: remembers the current ruleset of every port it covers. */
static int keep_current(net_node *n, net__fault *f)
{
    size_t cap = n->n_ports + 2;
    f->kept = calloc(cap, sizeof *f->kept);
    f->kept_ports = calloc(cap, sizeof *f->kept_ports);
    if (!f->kept || !f->kept_ports)
        return -1;
    for (size_t i = 0; i < cap; i++) {
        net__port *p = i < n->n_ports ? &n->ports[i] : i == n->n_ports ? &n->host : &n->external;
        if (!applies(f, p->name))
            continue;
        vfp_ruleset *rs = vfp_port_acquire(p->vfp);
        if (!rs)
            continue;
        f->kept[f->n_kept] = rs;
        if (!(f->kept_ports[f->n_kept++] = strdup(p->name)))
            return -1;
    }
    return 0;
}

int net_node_add_vfp_fault(net_node *n, net_vfp_fault_kind kind, const char *port,
                           const char *layer, const char *group)
{
    if (!n->windows || !layer || kind < NET_VFP_SKIP_GROUP || kind > NET_VFP_DROP_LAYER ||
        (kind != NET_VFP_DROP_LAYER && !group))
        return -1;
    if (!net__grow((void **)&n->faults, n->n_faults, sizeof *n->faults))
        return -1;
    net__fault *f = &n->faults[n->n_faults];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    if ((port && !(f->port = strdup(port))) || !(f->layer = strdup(layer)) ||
        (group && !(f->group = strdup(group))) ||
        (kind == NET_VFP_KEEP_GROUP && keep_current(n, f) < 0)) {
        fault_clear(f);
        return -1;
    }
    n->n_faults++;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Rebuilding a ruleset
 */

static const net__fault *fault_for(const net_node *n, const char *port, const char *layer,
                                   const char *group)
{
    for (size_t i = 0; i < n->n_faults; i++) {
        const net__fault *f = &n->faults[i];
        if (applies(f, port) && strcmp(f->layer, layer) == 0 &&
            (f->kind == NET_VFP_DROP_LAYER || (group && strcmp(f->group, group) == 0)))
            return f;
    }
    return NULL;
}

static const vfp_ruleset *kept_for(const net__fault *f, const char *port)
{
    for (size_t i = 0; i < f->n_kept; i++)
        if (strcmp(f->kept_ports[i], port) == 0)
            return f->kept[i];
    return NULL;
}

/* The spec that re-adds a built rule. */
static vfp_rule_spec spec_of(const vfp_rule *r)
{
    vfp_rule_spec s = {.id = r->id,
                       .friendly_name = r->friendly_name,
                       .priority = r->priority,
                       .flags = r->flags,
                       .flow_ttl = r->flow_ttl,
                       .match = r->match,
                       .action = r->action,
                       .cookie = r->cookie};
    return s;
}

static int copy_group(vfp_builder *b, int layer, const vfp_group *g, int times)
{
    vfp_group_spec spec = {.name = g->name,
                           .friendly_name = g->friendly_name,
                           .priority = g->priority,
                           .direction = g->direction,
                           .family = g->family,
                           .match_type = g->match_type,
                           .conditions = g->conditions};
    int gi = vfp_builder_add_group(b, layer, &spec);
    if (gi < 0 || times == 0)
        return gi < 0 ? gi : 0;
    /* Rules in the order they were added, so ties break as before. */
    const vfp_rule **order = malloc((g->n_rules ? g->n_rules : 1) * sizeof *order);
    if (!order)
        return VFP_ENOMEM;
    for (size_t i = 0; i < g->n_rules; i++)
        order[g->rules[i].sequence] = &g->rules[i];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < g->n_rules; i++)
        for (int t = 0; rc == 0 && t < times; t++) {
            vfp_rule_spec s = spec_of(order[i]);
            rc = vfp_builder_add_rule(b, gi, &s);
        }
    free(order);
    return rc < 0 ? rc : 0;
}

/* One group of the fresh ruleset, with its fault applied. */
static int rebuild_group(vfp_builder *b, int layer, const vfp_layer *l, const vfp_group *g,
                         const net__fault *f, const char *port)
{
    if (!f)
        return copy_group(b, layer, g, 1);
    switch (f->kind) {
    case NET_VFP_SKIP_GROUP:
        return copy_group(b, layer, g, 0);
    case NET_VFP_DUPLICATE_RULES:
        return copy_group(b, layer, g, 2);
    case NET_VFP_KEEP_GROUP: {
        const vfp_ruleset *old = kept_for(f, port);
        const vfp_layer *ol = old ? vfp_ruleset_layer(old, l->name) : NULL;
        const vfp_group *og = ol ? vfp_layer_group(ol, g->name) : NULL;
        return copy_group(b, layer, og ? og : g, 1);
    }
    default:
        return copy_group(b, layer, g, 1);
    }
}

vfp_ruleset *net__diverge(const net_node *n, const char *port, vfp_ruleset *fresh)
{
    bool touched = false;
    for (size_t i = 0; i < n->n_faults && !touched; i++)
        touched = applies(&n->faults[i], port);
    if (!touched)
        return fresh;
    vfp_builder *b = vfp_builder_new(port, &fresh->build);
    int rc = b ? 0 : VFP_ENOMEM;
    for (size_t li = 0; rc == 0 && li < fresh->n_layers; li++) {
        const vfp_layer *l = &fresh->layers[li];
        const net__fault *lf = fault_for(n, port, l->name, NULL);
        if (lf && lf->kind == NET_VFP_DROP_LAYER)
            continue;
        vfp_layer_spec spec = {.name = l->name,
                               .friendly_name = l->friendly_name,
                               .priority = l->priority,
                               .flags = l->flags,
                               .default_action = l->default_action};
        int layer = vfp_builder_add_layer(b, &spec);
        rc = layer < 0 ? layer : 0;
        for (size_t gi = 0; rc == 0 && gi < l->n_groups; gi++) {
            const vfp_group *g = l->groups[gi];
            rc = rebuild_group(b, layer, l, g, fault_for(n, port, l->name, g->name), port);
        }
    }
    vfp_ruleset *out = NULL;
    if (rc == 0 && vfp_builder_finish(b, &out) == 0) {
        vfp_ruleset_release(fresh);
        return out;
    }
    if (rc != 0)
        vfp_builder_free(b);
    return fresh; /* out of memory: the port gets what HNS asked for */
}
