/*
 * walk.c - one packet's journey through the simulated network.
 *
 * The walker is a small set of mutually recursive places a packet can be:
 * leaving a Windows port (OUT evaluation), in the vSwitch, in a host stack,
 * crossing the external port, on the underlay, arriving at a node, in a
 * Linux node's netfilter and routing. Each place appends steps to the walk
 * and hands the packet to the next place, until one of the three ends:
 * delivered, dropped, forwarded. A step budget turns routing loops into a
 * "routing loop" drop. net.h describes the semantics; this file is their
 * only implementation.
 *
 * VFP evaluation is vfp_evaluate() on the port's current ruleset; the typed
 * actions it cannot perform (lbnat, snat, routeencap, paroute) come back
 * through the action hook below, which chooses backends, takes SNAT ports
 * and records where the packet must be encapsulated or routed.
 */
#include "net_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct walker {
    net_cluster *c;
    net_walk *w;
    bool what_if;
    int budget;        /* steps left before a loop is declared */
    vfp_packet pkt;    /* the packet now */
    bool done;         /* a verdict was given */

    /* Set by the action hook during one port evaluation. */
    net_node *node;    /* node of the port being evaluated */
    const char *port;  /* name of that port (SNAT owner) */
    bool encap;
    vfp_addr encap_pa;
    uint32_t encap_vni;
    uint8_t encap_dr_mac[6];   /* the inner frame's destination MAC (zero = unknown) */
    uint8_t wire_dr_mac[6];    /* that of the VXLAN packet on the wire now (zero = unknown) */
    bool routed;
    vfp_addr next_hop;
    net_reason hook_reason;
    char hook_note[160];       /* what the action of the current hook call did */
    struct {
        const vfp_rule *rule;   /* a rule the hook acted for in this evaluation */
        char note[160];         /* what it did (backend chosen, ...) */
    } notes[8];
    size_t n_notes;
} walker;

static void arrive(walker *k, net_node *n, bool encapsulated, uint32_t vni);
static void vswitch(walker *k, net_node *n, bool from_host);
static void linux_forward(walker *k, net_node *n);

/* ---------------------------------------------------------------------------
 * Hash, steps, ends
 */

uint64_t net__hash(uint64_t seed, const uint64_t *words, size_t n)
{
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        h ^= words[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebull;
        h ^= h >> 31;
    }
    return h;
}

/* Copies src into dst, cutting it to size - 1 bytes. */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
}

/* Appends a step at node/at with the current packet; NULL when out of
 * memory or out of budget (then the walk has ended). */
static net_step *step(walker *k, const char *node, const char *at, const char *action)
{
    net_walk *w = k->w;
    if (k->done)
        return NULL;
    if (k->budget-- <= 0) {
        k->done = true;
        w->verdict = NET_DROPPED;
        w->reason = NET_REASON_LOOP;
        copy(w->detail, sizeof w->detail, "routing loop: the step budget ran out");
        return NULL;
    }
    if (w->n_steps == w->cap_steps) {
        size_t cap = w->cap_steps ? 2 * w->cap_steps : 16;
        net_step *s = realloc(w->steps, cap * sizeof *s);
        if (!s) {
            k->done = true;
            w->verdict = NET_DROPPED;
            w->reason = NET_REASON_BAD_PACKET;
            copy(w->detail, sizeof w->detail, "out of memory");
            return NULL;
        }
        w->steps = s;
        w->cap_steps = cap;
    }
    net_step *s = &w->steps[w->n_steps++];
    memset(s, 0, sizeof *s);
    copy(s->node, sizeof s->node, node);
    copy(s->at, sizeof s->at, at);
    copy(s->action, sizeof s->action, action);
    s->policy = -1;
    s->packet = k->pkt;
    return s;
}

static void end(walker *k, net_verdict v, net_reason r, const char *detail)
{
    if (k->done)
        return;
    k->done = true;
    k->w->verdict = v;
    k->w->reason = r;
    copy(k->w->detail, sizeof k->w->detail, detail ? detail : net_reason_text(r));
    k->w->output = k->pkt;
}

static void drop(walker *k, const char *node, const char *at, net_reason r, const char *detail)
{
    net_step *s = step(k, node, at, "drop");
    if (s)
        copy(s->note, sizeof s->note, detail ? detail : net_reason_text(r));
    end(k, NET_DROPPED, r, detail);
}

static void deliver(walker *k, net_place_kind kind, const char *node, const char *name,
                    const char *label)
{
    net_step *s = step(k, node, name, "deliver");
    if (!s)
        return;
    net_place *to = &k->w->to;
    to->kind = kind;
    copy(to->node, sizeof to->node, node);
    copy(to->name, sizeof to->name, name);
    copy(to->label, sizeof to->label, label);
    to->ip = k->pkt.dst;
    to->port = k->pkt.dst_port;
    end(k, NET_DELIVERED, NET_REASON_DELIVERED, NULL);
}

/* ---------------------------------------------------------------------------
 * VFP evaluation and the action hook
 */

/* The packet that the port-relative tuple t means for direction dir. */
static void set_tuple(vfp_packet *p, const vfp_tuple *t)
{
    if (p->direction == VFP_DIR_OUT) {
        p->src = t->local;
        p->src_port = t->local_port;
        p->dst = t->remote;
        p->dst_port = t->remote_port;
    } else {
        p->dst = t->local;
        p->dst_port = t->local_port;
        p->src = t->remote;
        p->src_port = t->remote_port;
    }
}

static vfp_hook_verdict hook_fail(walker *k, net_reason r, const char **reason)
{
    k->hook_reason = r;
    *reason = net_reason_text(r);
    return VFP_HOOK_DROP;
}

/* Source NAT of p to vip from the node's pool. */
static vfp_hook_verdict snat(walker *k, const vfp_action_context *ac, const vfp_addr *vip,
                             vfp_packet *p, const char **reason)
{
    uint16_t port;
    net__snat_result r = net__snat_take(k->node, vip, p->protocol, k->port, ac->rule->flow_ttl,
                                        !k->what_if, &port);
    if (r != NET__SNAT_OK)
        return hook_fail(k, r == NET__SNAT_EXHAUSTED ? NET_REASON_SNAT_EXHAUSTED : NET_REASON_BAD_PACKET,
                         reason);
    p->src = *vip;
    p->src_port = port;
    return VFP_HOOK_CONTINUE;
}

/* The backend of an lbnat rule for p (distribution: consumers.md 2.4). */
static size_t pick_backend(const walker *k, const vfp_action *a, const vfp_packet *p)
{
    uint64_t words[5] = {p->src.lo, p->protocol, p->src_port, p->dst.lo, p->dst_port};
    size_t n_words = a->u.lb_nat.distribution == 2 ? 1 : a->u.lb_nat.distribution == 1 ? 2 : 5;
    return (size_t)(net__hash(k->c->seed, words, n_words) % a->u.lb_nat.n_dips);
}

static vfp_hook_verdict lb_nat(walker *k, const vfp_action_context *ac, vfp_packet *p,
                               const char **reason)
{
    const vfp_action *a = &ac->rule->action;
    if (a->u.lb_nat.n_dips == 0)
        return hook_fail(k, NET_REASON_NO_BACKEND, reason);
    size_t i = pick_backend(k, a, p);
    const vfp_dip *d = &a->u.lb_nat.dips[i];
    char ip[VFP_ADDR_TEXT];
    vfp_addr_format(&d->addr, ip);
    static const char *const dist[] = {"per connection", "source IP and protocol", "source IP"};
    snprintf(k->hook_note, sizeof k->hook_note, "backend %s:%u (%zu of %zu, %s)", ip,
             d->port ? d->port : p->dst_port, i + 1, a->u.lb_nat.n_dips,
             a->u.lb_nat.distribution < 3 ? dist[a->u.lb_nat.distribution] : "per connection");
    p->dst = d->addr;
    if (d->port)
        p->dst_port = d->port;
    if (a->u.lb_nat.source_vip.family && !(a->u.lb_nat.flags & VFP_LB_DSR))
        return snat(k, ac, &a->u.lb_nat.source_vip, p, reason);
    return VFP_HOOK_CONTINUE;
}

static vfp_hook_verdict act(walker *k, const vfp_action_context *ac, vfp_packet *p,
                            const char **reason);

/* The action hook: carries out the action and keeps what it did for the
 * trace step of its rule. */
static vfp_hook_verdict apply(void *ctx, const vfp_action_context *ac, vfp_packet *p,
                              const char **reason)
{
    walker *k = ctx;
    vfp_hook_verdict v = act(k, ac, p, reason);
    if (k->hook_note[0] && k->n_notes < sizeof k->notes / sizeof k->notes[0]) {
        k->notes[k->n_notes].rule = ac->rule;
        memcpy(k->notes[k->n_notes].note, k->hook_note, sizeof k->hook_note);
        k->n_notes++;
    }
    return v;
}

static vfp_hook_verdict act(walker *k, const vfp_action_context *ac, vfp_packet *p,
                            const char **reason)
{
    const vfp_action *a = &ac->rule->action;
    k->hook_note[0] = 0;
    switch (a->type) {
    case VFP_ACTION_LB_NAT:
    case VFP_ACTION_SNAT:
        if (ac->flow) { /* a later packet of the flow: same translation */
            set_tuple(p, &ac->flow->translated);
            if (vfp_addr_compare(&ac->flow->translated.local, &ac->flow->original.local) != 0 &&
                p->direction == VFP_DIR_OUT)
                net__snat_touch(k->node, &p->src, p->protocol, p->src_port, ac->rule->flow_ttl);
            copy(k->hook_note, sizeof k->hook_note, "existing flow: same translation");
            return VFP_HOOK_CONTINUE;
        }
        if (a->type == VFP_ACTION_LB_NAT)
            return lb_nat(k, ac, p, reason);
        return snat(k, ac, &a->u.snat.vip, p, reason);
    case VFP_ACTION_ENCAP:
        k->encap = true;
        k->encap_pa = a->u.encap.pa;
        k->encap_vni = a->u.encap.vni;
        memcpy(k->encap_dr_mac, a->u.encap.dr_mac, 6);
        return VFP_HOOK_CONTINUE;
    case VFP_ACTION_ROUTE:
        k->routed = true;
        k->next_hop = a->u.route.next_hop;
        return VFP_HOOK_CONTINUE;
    default:
        return VFP_HOOK_CONTINUE;
    }
}

/* Turns the evaluator's trace into steps. */
static void record_hits(walker *k, const net_node *n, const char *port, const vfp_result *r)
{
    for (size_t i = 0; i < r->trace.n; i++) {
        const vfp_hit *h = &r->trace.hits[i];
        const char *action = h->kind == VFP_HIT_FLOW      ? "flow"
                             : h->kind == VFP_HIT_DEFAULT ? "default"
                                                          : vfp_action_name(h->action);
        net_step *s = step(k, n->name, port, action);
        if (!s)
            return;
        copy(s->layer, sizeof s->layer, h->layer ? h->layer->name : "");
        copy(s->group, sizeof s->group, h->group ? h->group->name : "");
        if (h->rule) {
            copy(s->rule, sizeof s->rule, h->rule->id);
            copy(s->object, sizeof s->object, h->rule->cookie.object_id);
            s->policy = h->rule->cookie.policy_index;
            copy(s->note, sizeof s->note, h->rule->cookie.text);
            for (size_t j = 0; j < k->n_notes; j++)
                if (k->notes[j].rule == h->rule) {
                    size_t len = strlen(s->note);
                    snprintf(s->note + len, sizeof s->note - len, "; %s", k->notes[j].note);
                }
        } else if (h->kind == VFP_HIT_FLOW) {
            copy(s->note, sizeof s->note, "return traffic of an existing flow");
        } else {
            snprintf(s->note, sizeof s->note, "layer default: %s", vfp_action_name(h->action));
        }
        if (h->rewrote) {
            s->rewrote = 1;
            s->packet = h->after;
            k->pkt = h->after;
        }
    }
}

static net_reason block_reason(const vfp_result *r)
{
    switch (r->reason) {
    case VFP_REASON_BLOCK_RULE:
        return NET_REASON_ACL_BLOCK;
    case VFP_REASON_ACL_DEFAULT:
        return NET_REASON_ACL_DEFAULT;
    case VFP_REASON_BAD_PACKET:
        return NET_REASON_BAD_PACKET;
    default:
        return NET_REASON_DROPPED_RULE;
    }
}

/* Runs the packet through port p of node n in direction dir. Returns true
 * when it got through (k->pkt is then the packet after the port). */
static bool eval_port(walker *k, net_node *n, net__port *p, vfp_direction dir)
{
    vfp_ruleset *rs = vfp_port_acquire(p->vfp);
    k->encap = k->routed = false;
    k->next_hop = (vfp_addr){0};
    if (!rs)
        return true; /* a port with nothing programmed lets everything through */
    vfp_hooks hooks = {apply, k};
    vfp_eval_options o;
    vfp_eval_options_init(&o, n->profile);
    o.count = !k->what_if;
    o.now = k->c->now;
    o.hooks = &hooks;
    k->node = n;
    k->port = p->name;
    k->hook_reason = NET_REASON_DROPPED_RULE;
    k->hook_note[0] = 0;
    k->n_notes = 0;
    vfp_packet in = k->pkt;
    in.direction = dir;
    vfp_result r;
    k->pkt.direction = dir;
    vfp_evaluate(rs, k->what_if ? NULL : vfp_port_flows(p->vfp), &o, &in, &r);
    record_hits(k, n, p->name, &r);
    bool pass = r.verdict == VFP_VERDICT_ALLOW;
    if (pass) {
        k->pkt = r.output;
    } else {
        net_reason reason = r.reason == VFP_REASON_HOOK ? k->hook_reason : block_reason(&r);
        char detail[200];
        const vfp_hit *h = r.deciding_hit >= 0 ? &r.trace.hits[r.deciding_hit] : NULL;
        if (h && h->rule)
            snprintf(detail, sizeof detail, "%s: rule %s (%s) in %s/%s on port %s",
                     net_reason_text(reason), h->rule->id, h->rule->cookie.text, h->layer->name,
                     h->group->name, p->name);
        else if (h)
            snprintf(detail, sizeof detail, "%s: layer %s on port %s", net_reason_text(reason),
                     h->layer->name, p->name);
        else
            snprintf(detail, sizeof detail, "%s on port %s", net_reason_text(reason), p->name);
        end(k, NET_DROPPED, reason, detail);
    }
    vfp_ruleset_release(rs);
    return pass && !k->done;
}

/* ---------------------------------------------------------------------------
 * Underlay and encapsulation
 */

static void underlay(walker *k, const vfp_addr *next_hop, bool encapsulated, uint32_t vni)
{
    net_cluster *c = k->c;
    uint32_t size = k->pkt.size + (encapsulated ? VFP_VXLAN_OVERHEAD : 0);
    char hop[VFP_ADDR_TEXT], note[160];
    vfp_addr_format(next_hop, hop);
    if (size > c->mtu) {
        snprintf(note, sizeof note, "MTU exceeded: %u bytes%s > underlay MTU %u (DF set)", size,
                 encapsulated ? " with VXLAN" : "", c->mtu);
        drop(k, "underlay", "wire", NET_REASON_MTU_EXCEEDED, note);
        return;
    }
    net_node *n = net__node_by_ip(c, next_hop);
    const net__route *r = n ? NULL : net__route_lookup(c->underlay, c->n_underlay, next_hop);
    if (!n && r)
        n = net__node_by_ip(c, &r->via);
    if (n && !encapsulated && vfp_addr_compare(&k->pkt.dst, &n->ip) == 0 &&
        net__host_port_reserved(c, k->pkt.protocol, k->pkt.dst_port)) {
        snprintf(note, sizeof note, "the cloud platform keeps %s port %u of the hosts: taken "
                                    "before node %s",
                 k->pkt.protocol == 17 ? "UDP" : k->pkt.protocol == 6 ? "TCP" : "IP",
                 (unsigned)k->pkt.dst_port, n->name);
        drop(k, "underlay", "wire", NET_REASON_CLOUD_RESERVED_PORT, note);
        return;
    }
    net_step *s = step(k, "underlay", "wire", "forward");
    if (!s)
        return;
    if (n) {
        snprintf(s->note, sizeof s->note, "to node %s (%s)%s", n->name, hop,
                 encapsulated ? " in VXLAN" : "");
        arrive(k, n, encapsulated, vni);
        return;
    }
    const net__external *e = net__external_by_ip(c, next_hop);
    if (e && !encapsulated) {
        snprintf(s->note, sizeof s->note, "to external host %s", e->name);
        deliver(k, NET_PLACE_EXTERNAL, "", e->name, NULL);
        return;
    }
    if (encapsulated || net__is_cluster_address(c, next_hop)) {
        snprintf(note, sizeof note, "no route: the underlay does not know %s", hop);
        drop(k, "underlay", "wire", NET_REASON_NO_ROUTE, note);
        return;
    }
    snprintf(s->note, sizeof s->note, "leaves the modelled network towards %s", hop);
    net_place *to = &k->w->to;
    to->kind = NET_PLACE_EXTERNAL;
    copy(to->name, sizeof to->name, "world");
    to->ip = k->pkt.dst;
    to->port = k->pkt.dst_port;
    end(k, NET_FORWARDED, NET_REASON_FORWARDED, NULL);
}

/* Encapsulates towards pa; dr_mac is the inner frame's destination MAC
 * (NULL = a Linux VTEP's, which the model does not follow). */
static void encapsulate(walker *k, net_node *n, const vfp_addr *pa, uint32_t vni,
                        const uint8_t *dr_mac)
{
    memset(k->wire_dr_mac, 0, 6);
    /* A rule that names the sender's own DR MAC had no peer MAC to name (a
     * remote endpoint no RemoteSubnetRoute covers, compile.c): unknown. */
    const uint8_t *own = net__node_dr_mac(n, vni);
    if (dr_mac && !(own && !memcmp(dr_mac, own, 6)))
        memcpy(k->wire_dr_mac, dr_mac, 6);
    net_step *s = step(k, n->name, "vSwitch", "encap");
    if (!s)
        return;
    char a[VFP_ADDR_TEXT];
    vfp_addr_format(pa, a);
    snprintf(s->note, sizeof s->note, "VXLAN VNI %u to PA %s (+%d bytes)", vni, a, VFP_VXLAN_OVERHEAD);
    underlay(k, pa, true, vni);
}

/* ---------------------------------------------------------------------------
 * Windows nodes
 */

/* Leaves node n through its external port towards the underlay. */
/* Leaves node n through its external port towards the underlay: to via
 * when given (an SDN route's next hop), else by the host routing table. */
static void leave_node_via(walker *k, net_node *n, const vfp_addr *via)
{
    if (!eval_port(k, n, &n->external, VFP_DIR_OUT))
        return;
    const net__route *r = via ? NULL : net__route_lookup(n->routes, n->n_routes, &k->pkt.dst);
    vfp_addr hop = via ? *via : r && r->via.family ? r->via : k->pkt.dst;
    net_step *s = step(k, n->name, "route", "route");
    if (!s)
        return;
    char a[VFP_ADDR_TEXT];
    vfp_addr_format(&hop, a);
    snprintf(s->note, sizeof s->note, "%s: next hop %s%s", via ? "SDN route" : "host routing table",
             a, via || r ? "" : " (default route)");
    underlay(k, &hop, false, 0);
}

static void leave_node(walker *k, net_node *n)
{
    leave_node_via(k, n, NULL);
}

static void port_in(walker *k, net_node *n, net__port *p, bool from_host)
{
    if (from_host && p->overlay && !p->host_route) {
        drop(k, n->name, p->name, NET_REASON_NO_HOST_ROUTE, NULL);
        return;
    }
    if (eval_port(k, n, p, VFP_DIR_IN))
        deliver(k, NET_PLACE_POD, n->name, p->name, p->label);
}

static void host_in(walker *k, net_node *n)
{
    if (eval_port(k, n, &n->host, VFP_DIR_IN))
        deliver(k, NET_PLACE_HOST, n->name, "host", NULL);
}

/* A packet in node n's vSwitch (from a port, the host or the wire). */
static void vswitch(walker *k, net_node *n, bool from_host)
{
    const char *owner = net__snat_owner(n, &k->pkt.dst, k->pkt.protocol, k->pkt.dst_port);
    net__port *p = owner ? net__port_by_name(n, owner) : NULL;
    if (owner && strcmp(owner, VFP_PORT_EXTERNAL_NAME) == 0) {
        leave_node(k, n); /* a reply of NodePort traffic: un-NAT at the external port */
        return;
    }
    if (!p)
        p = net__port_by_ip(n, &k->pkt.dst);
    net_step *s = step(k, n->name, "vSwitch", "forward");
    if (!s)
        return;
    if (p) {
        snprintf(s->note, sizeof s->note, "to port %s%s", p->name, owner ? " (owns the SNAT port)" : "");
        port_in(k, n, p, from_host);
    } else if (net__is_host_address(n, &k->pkt.dst)) {
        copy(s->note, sizeof s->note, "to the host vNIC");
        host_in(k, n);
    } else {
        copy(s->note, sizeof s->note, "not a local port: to the host stack");
        leave_node(k, n);
    }
}

/* After a port's OUT evaluation: encapsulate, or switch. */
/* After a port's OUT evaluation: encapsulate, follow an SDN route's next
 * hop (paroute) when the destination is not on this node, or switch. */
static void after_out(walker *k, net_node *n, bool from_host)
{
    if (k->encap) {
        encapsulate(k, n, &k->encap_pa, k->encap_vni, k->encap_dr_mac);
        return;
    }
    vfp_addr hop = k->next_hop;
    if (k->routed && hop.family && !net__is_host_address(n, &hop) &&
        !net__port_by_ip(n, &k->pkt.dst) && !net__is_host_address(n, &k->pkt.dst)) {
        leave_node_via(k, n, &hop);
        return;
    }
    vswitch(k, n, from_host);
}

static void from_windows_pod(walker *k, net_node *n, net__port *p)
{
    if (eval_port(k, n, p, VFP_DIR_OUT))
        after_out(k, n, false);
}

static void from_windows_host(walker *k, net_node *n)
{
    if (eval_port(k, n, &n->host, VFP_DIR_OUT))
        after_out(k, n, true);
}

/* The DECAP_IN rule of node n for vni (a counted ruleset reference in
 * *held), or NULL when the external port has none (field-bugs E1). */
static const vfp_rule *decap_rule(net_node *n, uint32_t vni, vfp_ruleset **held)
{
    char id[64];
    vfp_decap_rule_id(vni, id, sizeof id);
    *held = vfp_port_acquire(n->external.vfp);
    const vfp_layer *l = *held ? vfp_ruleset_layer(*held, VFP_DECAP_LAYER) : NULL;
    const vfp_group *g = l ? vfp_layer_group(l, VFP_DECAP_GROUP) : NULL;
    return g ? vfp_group_rule(g, id) : NULL;
}

/* The inner frame of a VXLAN packet is for the receiving host's
 * distributed router: its destination MAC must be the DrMacAddress of the
 * host's network of that VNI. A sender whose RemoteSubnetRoute still names
 * an old DR MAC (the peer recreated its network and the lease change did
 * not reach the sender) is not routed into the VSID (choice: dropped, as
 * unknown unicast; the reference is silent - inferred from what a DR MAC
 * is for). Unknown on either side: no check. True when it dropped. */
static bool dr_mac_mismatch(walker *k, net_node *n, uint32_t vni)
{
    static const uint8_t zero[6];
    const uint8_t *mine = net__node_dr_mac(n, vni);
    if (!mine || !memcmp(k->wire_dr_mac, zero, 6) || !memcmp(k->wire_dr_mac, mine, 6))
        return false;
    char note[160];
    snprintf(note, sizeof note,
             "inner destination MAC %02X-%02X-%02X-%02X-%02X-%02X is not this host's DR MAC "
             "%02X-%02X-%02X-%02X-%02X-%02X (VNI %u): a stale RemoteSubnetRoute",
             k->wire_dr_mac[0], k->wire_dr_mac[1], k->wire_dr_mac[2], k->wire_dr_mac[3],
             k->wire_dr_mac[4], k->wire_dr_mac[5], mine[0], mine[1], mine[2], mine[3], mine[4],
             mine[5], vni);
    drop(k, n->name, VFP_PORT_EXTERNAL_NAME, NET_REASON_DR_MAC_MISMATCH, note);
    return true;
}

static void arrive_windows(walker *k, net_node *n, bool encapsulated, uint32_t vni)
{
    if (encapsulated) {
        vfp_ruleset *rs;
        const vfp_rule *r = decap_rule(n, vni, &rs);
        if (!r) {
            char note[96];
            snprintf(note, sizeof note, "no %s rule for VXLAN VNI %u on the external port",
                     VFP_DECAP_LAYER, vni);
            drop(k, n->name, VFP_PORT_EXTERNAL_NAME, NET_REASON_NO_DECAP, note);
        } else if (dr_mac_mismatch(k, n, vni)) {
            r = NULL; /* dropped */
        } else {
            net_step *s = step(k, n->name, VFP_PORT_EXTERNAL_NAME, "decap");
            if (s) {
                copy(s->layer, sizeof s->layer, VFP_DECAP_LAYER);
                copy(s->group, sizeof s->group, VFP_DECAP_GROUP);
                copy(s->rule, sizeof s->rule, r->id);
                copy(s->object, sizeof s->object, r->cookie.object_id);
                snprintf(s->note, sizeof s->note, "%s decapsulated", r->cookie.text);
            }
        }
        vfp_ruleset_release(rs);
        if (r)
            vswitch(k, n, false);
        return;
    }
    if (!eval_port(k, n, &n->external, VFP_DIR_IN))
        return;
    if (k->encap) {
        encapsulate(k, n, &k->encap_pa, k->encap_vni, k->encap_dr_mac);
        return;
    }
    vswitch(k, n, false);
}

/* ---------------------------------------------------------------------------
 * Linux nodes
 */

static void linux_nat(walker *k, net_node *n)
{
    char what[96];
    if (net__linux_nat(n, &k->pkt, !k->what_if, k->c->seed, what, sizeof what)) {
        net_step *s = step(k, n->name, "iptables", "dnat");
        if (s) {
            s->rewrote = 1;
            copy(s->object, sizeof s->object, what);
            copy(s->note, sizeof s->note, strcmp(what, "conntrack") == 0
                                              ? "conntrack: same translation / reply un-NATed"
                                              : "kube-proxy service DNAT");
        }
    }
}

static void linux_forward(walker *k, net_node *n)
{
    const net__pod *pod = net__linux_pod(n, &k->pkt.dst);
    if (pod) {
        deliver(k, NET_PLACE_POD, n->name, pod->name, NULL);
        return;
    }
    if (vfp_addr_compare(&k->pkt.dst, &n->ip) == 0) {
        deliver(k, NET_PLACE_HOST, n->name, "host", NULL);
        return;
    }
    const net__route *r = net__route_lookup(n->routes, n->n_routes, &k->pkt.dst);
    net_step *s = step(k, n->name, "route", "route");
    if (!s)
        return;
    char a[VFP_ADDR_TEXT] = "";
    if (r && r->vni) {
        vfp_addr_format(&r->via, a);
        snprintf(s->note, sizeof s->note, "flannel.%u VXLAN route to VTEP %s", r->vni, a);
        encapsulate(k, n, &r->via, r->vni, NULL);
        return;
    }
    vfp_addr hop = r && r->via.family ? r->via : k->pkt.dst;
    vfp_addr_format(&hop, a);
    snprintf(s->note, sizeof s->note, "next hop %s%s", a, r ? "" : " (default route)");
    underlay(k, &hop, false, 0);
}

static void arrive_linux(walker *k, net_node *n, bool encapsulated, uint32_t vni)
{
    if (encapsulated) {
        net_step *s = step(k, n->name, "flannel.1", "decap");
        if (s)
            snprintf(s->note, sizeof s->note, "VXLAN VNI %u decapsulated", vni);
    }
    linux_nat(k, n);
    linux_forward(k, n);
}

static void arrive(walker *k, net_node *n, bool encapsulated, uint32_t vni)
{
    if (n->windows)
        arrive_windows(k, n, encapsulated, vni);
    else
        arrive_linux(k, n, encapsulated, vni);
}

/* ---------------------------------------------------------------------------
 * Entry points
 */

/* Finds the place with address ip. */
static net_place locate(net_cluster *c, const vfp_addr *ip, net_node **node, net__port **port)
{
    net_place p = {.ip = *ip};
    net_node *n = net__node_holding(c, ip);
    const net__pod *pod = n && !n->windows ? net__linux_pod(n, ip) : NULL;
    net__port *pt = n && n->windows ? net__port_by_ip(n, ip) : NULL;
    *node = n;
    *port = pt;
    if (pod || pt) {
        p.kind = NET_PLACE_POD;
        copy(p.name, sizeof p.name, pod ? pod->name : pt->name);
        copy(p.label, sizeof p.label, pt ? pt->label : NULL);
        copy(p.node, sizeof p.node, n->name);
        return p;
    }
    if (n) { /* the node's own address or a host vNIC */
        p.kind = NET_PLACE_HOST;
        copy(p.name, sizeof p.name, "host");
        copy(p.node, sizeof p.node, n->name);
        return p;
    }
    const net__external *e = net__external_by_ip(c, ip);
    if (e || !net__is_cluster_address(c, ip)) {
        p.kind = NET_PLACE_EXTERNAL;
        copy(p.name, sizeof p.name, e ? e->name : "world");
    }
    return p;
}

int net_walk_packet(net_cluster *c, const vfp_packet *in, const net_walk_options *opts, net_walk *w)
{
    memset(w, 0, sizeof *w);
    return net__walk_again(c, in, opts, w);
}

int net__walk_again(net_cluster *c, const vfp_packet *in, const net_walk_options *opts, net_walk *w)
{
    net_step *keep = w->steps;
    size_t keep_cap = w->cap_steps;
    memset(w, 0, sizeof *w);
    w->steps = keep;
    w->cap_steps = keep_cap;
    walker k = {.c = c, .w = w, .pkt = *in};
    k.what_if = opts && opts->what_if;
    k.budget = opts && opts->max_steps > 0 ? opts->max_steps : 256;
    w->input = *in;
    w->output = *in;
    net_node *n;
    net__port *p;
    w->from = locate(c, &in->src, &n, &p);
    w->from.port = in->src_port;
    if (in->src.family != in->dst.family) {
        drop(&k, "", "", NET_REASON_BAD_PACKET, "source and destination of different families");
    } else if (w->from.kind == NET_PLACE_NONE) {
        drop(&k, "", "", NET_REASON_UNKNOWN_SOURCE, NULL);
    } else if (w->from.kind == NET_PLACE_EXTERNAL) {
        underlay(&k, &in->dst, false, 0);
    } else if (n->windows) {
        if (p)
            from_windows_pod(&k, n, p);
        else
            from_windows_host(&k, n);
    } else {
        linux_nat(&k, n);
        linux_forward(&k, n);
    }
    if (!k.done)
        end(&k, NET_DROPPED, NET_REASON_BAD_PACKET, "the walk ended without a verdict");
    return w->steps || w->n_steps == 0 ? 0 : -1;
}

int net_walk_reply(net_cluster *c, const net_walk *request, const net_walk_options *opts,
                   net_walk *w)
{
    vfp_packet r = request->output;
    r.src = request->output.dst;
    r.dst = request->output.src;
    r.src_port = request->output.dst_port;
    r.dst_port = request->output.src_port;
    return net_walk_packet(c, &r, opts, w);
}

void net_walk_clear(net_walk *w)
{
    free(w->steps);
    memset(w, 0, sizeof *w);
}
