/*
 * compile.c - HNS objects (hns_view.h) to per-port VFP rulesets (vfp.h).
 *
 * One function per port kind builds the layers of compile.h's table; one
 * static function per HNS feature adds its rules (load balancers, ACLs,
 * OutBoundNAT, VNET routes, port mappings). Every rule carries a cookie
 * naming the HNS object and the index of the policy it came from, so a trace
 * can say which object dropped or rewrote a packet. The output depends only
 * on the view and the options: the view is sorted by ID and rules are added
 * in view order, so the same HNS state always compiles to the same bytes.
 */
#include "compile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Layer and group priorities inside a port (compile.h's table). */
enum {
    LAYER_LB_DSR = 10,
    LAYER_SLB_LB = 20,
    LAYER_FW = 30,
    LAYER_SLB_NAT = 40,
    LAYER_VNET = 50,
};

/* Rule priorities: exceptions before translations, LB rules all alike. */
enum {
    PRIO_LB = 100,
    PRIO_NAT_EXCEPTION = 100,
    PRIO_NAT = 1000,
    PRIO_INBOUND_ALLOW = 100,
    PRIO_ROUTE = 100,
};

/* Flags of translating rules: they decide their layer and keep a flow so a
 * flow's later packets and its replies take the same translation. */
#define FLAGS_NAT (VFP_RULE_TERMINATING | VFP_RULE_STATEFUL)

/* LoadBalancerPortMappingFlags bit kube-proxy calls VipExternalIP (consumers.md 2.4). */
#define LB_MAPPING_VIP_EXTERNAL_IP 0x10
/* LoadBalancerFlags: 1 direct server return, 2 IPv6 (hcn-api.md 2.5). */
#define LB_FLAG_DSR 0x1
#define LB_FLAG_IPV6 0x2
/* NatFlags (PortMapping, OutBoundNAT): 1 LocalRoutedVip, 2 IPv6 (hcn-api.md 2.9). */
#define NAT_FLAG_LOCAL_ROUTED_VIP 0x1
#define NAT_FLAG_IPV6 0x2

/* Where a load-balancer frontend is programmed. */
typedef enum lb_site {
    LB_SITE_CONTAINER = 1, /* every endpoint port: pods -> VIP */
    LB_SITE_HOST,          /* the host vNIC: LocalRoutedVIP */
    LB_SITE_EXTERNAL,      /* the external port: clients outside the node */
} lb_site;

/* Counts a skipped item in stats (which may be NULL). */
#define NOTE_SKIP(stats, field)                                                                    \
    do {                                                                                           \
        if (stats)                                                                                 \
            (stats)->field++;                                                                      \
    } while (0)

static int ipv4(const vfp_addr *a)
{
    return a->family == VFP_FAMILY_IPV4;
}

static const char *proto_name(uint8_t p)
{
    return p == VFP_PROTO_TCP ? "TCP" : p == VFP_PROTO_UDP ? "UDP" : p == VFP_PROTO_ICMP ? "ICMP" : "IP";
}

static int add_layer(vfp_builder *b, const char *name, uint32_t priority, vfp_layer_default def)
{
    vfp_layer_spec spec = {.name = name, .priority = priority, .default_action = def};
    return vfp_builder_add_layer(b, &spec);
}

static int add_group(vfp_builder *b, int layer, const char *name, uint32_t priority,
                     vfp_direction dir, vfp_match_type type)
{
    if (layer < 0)
        return layer;
    vfp_group_spec spec = {.name = name,
                           .priority = priority,
                           .direction = dir,
                           .family = VFP_FAMILY_IPV4,
                           .match_type = type ? type : VFP_MATCH_PRIORITY};
    return vfp_builder_add_group(b, layer, &spec);
}

static vfp_addr_range single(const vfp_addr *a)
{
    vfp_addr_range r = {*a, *a};
    return r;
}

static vfp_addr_range prefix_range(const hv_prefix *p)
{
    vfp_addr_range r = {p->addr, p->addr};
    vfp_range_from_prefix(&p->addr, p->length, &r);
    return r;
}

/* ---------------------------------------------------------------------------
 * Load balancers
 */

/* The source a non-DSR LB rewrites to (compile.h: "non-DSR source"). */
static vfp_addr lb_source(const hv_loadbalancer *lb, const vfp_compile_options *o)
{
    if (lb->flags & LB_FLAG_DSR)
        return (vfp_addr){0};
    return ipv4(&lb->source_vip) ? lb->source_vip : o->host_ip;
}

/* Backends of lb as DIPs, in HNS order. *n may be 0 (a degraded LB). */
static vfp_dip *lb_dips(const hns_view *v, const hv_loadbalancer *lb, uint16_t port, size_t *n)
{
    vfp_dip *dips = calloc(lb->n_backends ? lb->n_backends : 1, sizeof *dips);
    *n = 0;
    if (!dips)
        return NULL;
    for (size_t i = 0; i < lb->n_backends; i++) {
        const hv_endpoint *ep = hns_view_endpoint(v, lb->backend_ids[i]);
        if (ep && ipv4(&ep->ip))
            dips[(*n)++] = (vfp_dip){ep->ip, port};
    }
    return dips;
}

/* Counts, once per LB and compilation of a port where it is programmed, its
 * backends that name no endpoint and those with no IPv4 address. */
static void count_backend_gaps(const hns_view *v, const hv_loadbalancer *lb,
                               vfp_compile_stats *stats)
{
    for (size_t i = 0; i < lb->n_backends; i++) {
        const hv_endpoint *ep = hns_view_endpoint(v, lb->backend_ids[i]);
        if (!ep)
            NOTE_SKIP(stats, missing_backends);
        else if (!ipv4(&ep->ip))
            NOTE_SKIP(stats, skipped_ipv6);
    }
}

/* Whether a mapping's frontend is programmed at site (compile.h's choices). */
static int lb_applies(const hv_loadbalancer *lb, const hv_lb_mapping *m, lb_site site)
{
    int node_port = lb->n_frontend_vips == 0;
    switch (site) {
    case LB_SITE_CONTAINER:
        return 1;
    case LB_SITE_HOST:
        return (m->flags & VFP_LB_LOCAL_ROUTED_VIP) != 0;
    case LB_SITE_EXTERNAL:
        return node_port || (m->flags & LB_MAPPING_VIP_EXTERNAL_IP);
    }
    return 0;
}

/* A frontend match: protocol, address and port. The frontend is the far end
 * of a packet leaving a pod or the host, and the near end of one arriving
 * from the network. */
static void match_frontend(vfp_match *m, lb_site site, const uint16_t *proto,
                           const vfp_addr_range *front, const vfp_port_range *port)
{
    m->protocols = proto;
    m->n_protocols = 1;
    if (site == LB_SITE_EXTERNAL) {
        m->local_addrs = front;
        m->n_local_addrs = 1;
        m->local_ports = port;
        m->n_local_ports = 1;
    } else {
        m->remote_addrs = front;
        m->n_remote_addrs = 1;
        m->remote_ports = port;
        m->n_remote_ports = 1;
    }
}

/* The rule id: kube-proxy's patterns (diagnostics.md 6). */
static void lb_rule_id(char *id, size_t size, lb_site site, int dsr, const vfp_addr *src,
                       const vfp_addr *vip, const hv_lb_mapping *m)
{
    char s[VFP_ADDR_TEXT] = "0.0.0.0", f[VFP_ADDR_TEXT];
    if (src->family)
        vfp_addr_format(src, s);
    vfp_addr_format(vip, f);
    const char *prefix = site == LB_SITE_HOST       ? "LB_HOST"
                         : site == LB_SITE_EXTERNAL ? "NAT"
                         : dsr                      ? "LB_DSR"
                                                    : "LB";
    if (site == LB_SITE_EXTERNAL)
        snprintf(id, size, "%s_%s_%u_%u", prefix, f, m->external_port, m->protocol);
    else
        snprintf(id, size, "%s_%s_%s_%u_%u_%u", prefix, s, f, m->external_port, m->internal_port,
                 m->protocol);
}

/* Adds one lbnat rule for frontend vip of mapping m to group. */
static int add_lb_rule(vfp_builder *b, int group, lb_site site, const hv_loadbalancer *lb,
                       const hv_lb_mapping *m, const vfp_addr *vip, const vfp_dip *dips,
                       size_t n_dips, const vfp_compile_options *o)
{
    int dsr = (lb->flags & LB_FLAG_DSR) != 0;
    vfp_addr src = lb_source(lb, o);
    char id[160], text[96], v[VFP_ADDR_TEXT];
    lb_rule_id(id, sizeof id, site, dsr, &src, vip, m);
    vfp_addr_format(vip, v);
    snprintf(text, sizeof text, "LoadBalancer %s %s:%u -> :%u%s", proto_name(m->protocol), v,
             m->external_port, m->internal_port, dsr ? " DSR" : "");
    uint16_t proto = m->protocol;
    vfp_addr_range frontend = single(vip);
    vfp_port_range port = {m->external_port, m->external_port};
    vfp_rule_spec r = {.id = id,
                       .priority = PRIO_LB,
                       .flags = FLAGS_NAT,
                       .flow_ttl = m->protocol == VFP_PROTO_TCP ? VFP_TTL_TCP : VFP_TTL_UDP,
                       .cookie = {.object_id = lb->id, .policy_index = -1, .text = text}};
    match_frontend(&r.match, site, &proto, &frontend, &port);
    r.action.type = VFP_ACTION_LB_NAT;
    r.action.u.lb_nat.dips = dips;
    r.action.u.lb_nat.n_dips = n_dips;
    r.action.u.lb_nat.flags = (m->flags & 0xff) | (dsr ? VFP_LB_DSR : 0);
    r.action.u.lb_nat.distribution = m->distribution;
    r.action.u.lb_nat.source_vip = src;
    return vfp_builder_add_rule(b, group, &r);
}

/* Adds every LB frontend programmed at site. dsr_group takes DSR LBs when
 * >= 0, group the others (and all when dsr_group < 0). */
static int add_lbs(vfp_builder *b, const hns_view *v, lb_site site, int group, int dsr_group,
                   const vfp_compile_options *o, vfp_compile_stats *stats)
{
    for (size_t i = 0; i < v->n_loadbalancers; i++) {
        const hv_loadbalancer *lb = &v->loadbalancers[i];
        if (lb->flags & LB_FLAG_IPV6) { /* an IPv6 LB: not compiled (IPv4 only) */
            NOTE_SKIP(stats, skipped_ipv6);
            continue;
        }
        bool programmed_here = false;
        for (size_t j = 0; j < lb->n_mappings; j++)
            programmed_here = programmed_here || lb_applies(lb, &lb->mappings[j], site);
        if (programmed_here)
            count_backend_gaps(v, lb, stats);
        int target = (dsr_group >= 0 && (lb->flags & LB_FLAG_DSR)) ? dsr_group : group;
        for (size_t j = 0; j < lb->n_mappings; j++) {
            const hv_lb_mapping *m = &lb->mappings[j];
            if (!lb_applies(lb, m, site))
                continue;
            size_t n_dips;
            vfp_dip *dips = lb_dips(v, lb, m->internal_port, &n_dips);
            if (!dips)
                return VFP_ENOMEM;
            int rc = 0;
            if (lb->n_frontend_vips == 0) {
                if (ipv4(&o->host_ip))
                    rc = add_lb_rule(b, target, site, lb, m, &o->host_ip, dips, n_dips, o);
            }
            for (size_t k = 0; rc == 0 && k < lb->n_frontend_vips; k++) {
                if (!ipv4(&lb->frontend_vips[k])) {
                    NOTE_SKIP(stats, skipped_ipv6);
                    continue;
                }
                rc = add_lb_rule(b, target, site, lb, m, &lb->frontend_vips[k], dips, n_dips, o);
            }
            free(dips);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * ACLs
 */

/* The match of one HNS ACL; the lists it allocates are freed by
 * acl_match_free. Returns 0 or a VFP_E* parse error. */
static int acl_match(const hv_acl *a, vfp_match *m)
{
    memset(m, 0, sizeof *m);
    int rc = vfp_parse_protocol_list(a->protocols, (uint16_t **)&m->protocols, &m->n_protocols);
    if (rc == 0)
        rc = vfp_parse_addr_list(a->local_addresses, (vfp_addr_range **)&m->local_addrs,
                                 &m->n_local_addrs);
    if (rc == 0)
        rc = vfp_parse_addr_list(a->remote_addresses, (vfp_addr_range **)&m->remote_addrs,
                                 &m->n_remote_addrs);
    if (rc == 0)
        rc = vfp_parse_port_list(a->local_ports, (vfp_port_range **)&m->local_ports,
                                 &m->n_local_ports);
    if (rc == 0)
        rc = vfp_parse_port_list(a->remote_ports, (vfp_port_range **)&m->remote_ports,
                                 &m->n_remote_ports);
    return rc;
}

static void acl_match_free(vfp_match *m)
{
    free((void *)m->protocols);
    free((void *)m->local_addrs);
    free((void *)m->remote_addrs);
    free((void *)m->local_ports);
    free((void *)m->remote_ports);
}

/* Drops the IPv6 items of an address list (compiled into IPv4 groups only).
 * Returns 1 when the list had items and none is left: the ACL has no IPv4
 * rule at all. */
static int keep_ipv4(const vfp_addr_range **list, size_t *n)
{
    vfp_addr_range *r = (vfp_addr_range *)*list;
    size_t had = *n, kept = 0;
    for (size_t i = 0; i < had; i++)
        if (r[i].lo.family == VFP_FAMILY_IPV4)
            r[kept++] = r[i];
    *n = kept;
    return had && !kept;
}

/* What ACL compilation needs besides the ACL: the host's own addresses
 * (for RuleType Host rules) and where to count skips. */
typedef struct acl_scope {
    vfp_addr_range host[16]; /* the node address and its host vNIC endpoints */
    size_t n_host;
    vfp_compile_stats *stats;
} acl_scope;

static void acl_scope_init(acl_scope *sc, const hns_view *v, const vfp_compile_options *o,
                           vfp_compile_stats *stats)
{
    memset(sc, 0, sizeof *sc);
    sc->stats = stats;
    if (ipv4(&o->host_ip))
        sc->host[sc->n_host++] = single(&o->host_ip);
    for (size_t i = 0; i < v->n_endpoints && sc->n_host < 16; i++)
        if (v->endpoints[i].host_vnic && ipv4(&v->endpoints[i].ip))
            sc->host[sc->n_host++] = single(&v->endpoints[i].ip);
}

/* A RuleType Host rule is a host-firewall (WFP) rule: it sees only traffic
 * between the container and the host itself (compile.h's choice), so its
 * remote side is narrowed to the host's addresses. Returns 1 when nothing
 * of it is left (it named only other remotes). */
static int narrow_to_host(vfp_match *m, const acl_scope *sc)
{
    if (!m->n_remote_addrs) {
        vfp_addr_range *copy = malloc(sizeof sc->host);
        if (!copy)
            return 1;
        memcpy(copy, sc->host, sc->n_host * sizeof *copy);
        m->remote_addrs = copy;
        m->n_remote_addrs = sc->n_host;
        return sc->n_host == 0;
    }
    vfp_addr_range *r = (vfp_addr_range *)m->remote_addrs;
    size_t kept = 0;
    for (size_t i = 0; i < m->n_remote_addrs; i++)
        for (size_t j = 0; j < sc->n_host; j++)
            if (vfp_addr_compare(&r[i].lo, &sc->host[j].lo) <= 0 &&
                vfp_addr_compare(&sc->host[j].lo, &r[i].hi) <= 0 && kept < m->n_remote_addrs) {
                r[kept++] = sc->host[j];
            }
    m->n_remote_addrs = kept;
    return kept == 0;
}

/* Adds ACL a (policy policy_index of object owner) to group. */
static int add_acl_rule(vfp_builder *b, int group, const char *owner, const hv_acl *a, size_t seq,
                        const acl_scope *sc)
{
    vfp_compile_stats *stats = sc->stats;
    vfp_match m;
    if (a->action < HV_ACL_ALLOW || a->action > HV_ACL_PASS) { /* no Action: HNS has no default */
        NOTE_SKIP(stats, skipped_bad_lists);
        return 0;
    }
    if (acl_match(a, &m) < 0) {
        acl_match_free(&m);
        NOTE_SKIP(stats, skipped_bad_lists);
        return 0;
    }
    int no_local = keep_ipv4(&m.local_addrs, &m.n_local_addrs);
    int no_remote = keep_ipv4(&m.remote_addrs, &m.n_remote_addrs);
    if (no_local || no_remote) {
        acl_match_free(&m);
        NOTE_SKIP(stats, skipped_ipv6);
        return 0;
    }
    if (a->host_rule && narrow_to_host(&m, sc)) {
        acl_match_free(&m); /* a host rule about other hosts: nothing the port sees */
        return 0;
    }
    const char *verb = a->action == HV_ACL_ALLOW ? "Allow" : a->action == HV_ACL_BLOCK ? "Block" : "Pass";
    const char *dir = a->direction == VFP_DIR_IN ? "In" : "Out";
    char id[128], text[256];
    if (a->id && *a->id)
        snprintf(id, sizeof id, "%s%s", a->host_rule ? "HOST_" : "", a->id);
    else if (a->tier_name)
        snprintf(id, sizeof id, "%sACL_%s_%d_%zu", a->host_rule ? "HOST_" : "", owner,
                 a->policy_index, seq);
    else
        snprintf(id, sizeof id, "%sACL_%s_%d", a->host_rule ? "HOST_" : "", owner, a->policy_index);
    snprintf(text, sizeof text, "%s%s %s %s prio %u%s%s%s%s%s%s", a->tier_name ? "TierAcl " : "ACL",
             a->tier_name ? a->tier_name : "", verb, dir, a->priority,
             a->remote_addresses ? " remote " : "", a->remote_addresses ? a->remote_addresses : "",
             a->remote_ports ? " ports " : "", a->remote_ports ? a->remote_ports : "",
             a->local_ports ? " local ports " : "", a->local_ports ? a->local_ports : "");
    vfp_rule_spec r = {.id = id,
                       .priority = a->priority,
                       .flags = a->action == HV_ACL_PASS ? 0 : VFP_RULE_FLAGS_ACL,
                       .flow_ttl = VFP_TTL_TCP,
                       .match = m,
                       .cookie = {.object_id = owner, .policy_index = a->policy_index, .text = text}};
    r.action.type = a->action == HV_ACL_ALLOW   ? VFP_ACTION_ALLOW
                    : a->action == HV_ACL_BLOCK ? VFP_ACTION_BLOCK
                                                : VFP_ACTION_PASS;
    int rc = vfp_builder_add_rule(b, group, &r);
    acl_match_free(&m);
    return rc;
}

/* The plain ACLs of one direction from the endpoint and its network. */
static int add_acl_group(vfp_builder *b, int layer, const hv_endpoint *ep, const hv_network *net,
                         vfp_direction dir, const acl_scope *sc)
{
    int g = add_group(b, layer, dir == VFP_DIR_IN ? "FW_GROUP_IPv4_IN" : "FW_GROUP_IPv4_OUT", 10,
                      dir, VFP_MATCH_PRIORITY);
    for (size_t i = 0; g >= 0 && net && i < net->n_acls; i++)
        if (net->acls[i].direction == dir) {
            int rc = add_acl_rule(b, g, net->id, &net->acls[i], i, sc);
            if (rc < 0)
                return rc;
        }
    for (size_t i = 0; g >= 0 && i < ep->n_acls; i++)
        if (ep->acls[i].direction == dir && !ep->acls[i].tier_name) {
            int rc = add_acl_rule(b, g, ep->id, &ep->acls[i], i, sc);
            if (rc < 0)
                return rc;
        }
    return g < 0 ? g : 0;
}

/* One group per TierAcl policy (and direction), in Order. */
static int add_tier_groups(vfp_builder *b, int layer, const hv_endpoint *ep, const acl_scope *sc)
{
    for (size_t i = 0; i < ep->n_acls; i++) {
        const hv_acl *a = &ep->acls[i];
        if (!a->tier_name)
            continue;
        char name[96];
        snprintf(name, sizeof name, "FW_TIER_%s_IPv4_%s", a->tier_name,
                 a->direction == VFP_DIR_IN ? "IN" : "OUT");
        int g = add_group(b, layer, name, 100 + (uint32_t)(a->tier_order < 0 ? 0 : a->tier_order),
                          a->direction, VFP_MATCH_PRIORITY);
        if (g == VFP_EEXIST)
            continue; /* the tier's rules were added with its first rule */
        if (g < 0)
            return g;
        for (size_t j = i; j < ep->n_acls; j++)
            if (ep->acls[j].tier_name && strcmp(ep->acls[j].tier_name, a->tier_name) == 0 &&
                ep->acls[j].direction == a->direction) {
                int rc = add_acl_rule(b, g, ep->id, &ep->acls[j], j, sc);
                if (rc < 0)
                    return rc;
            }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * OutBoundNAT
 */

static int add_nat_exception(vfp_builder *b, int group, const hv_endpoint *ep,
                             const hv_outbound_nat *n, const hv_prefix *p)
{
    char id[96], text[128], a[VFP_ADDR_TEXT];
    vfp_addr_format(&p->addr, a);
    snprintf(id, sizeof id, "ALLOW_NAT_%s_%u", a, p->length);
    snprintf(text, sizeof text, "OutBoundNAT exception %s/%u", a, p->length);
    vfp_addr_range r = prefix_range(p);
    vfp_rule_spec spec = {.id = id,
                          .priority = PRIO_NAT_EXCEPTION,
                          .flags = VFP_RULE_TERMINATING,
                          .cookie = {.object_id = ep->id, .policy_index = n->policy_index, .text = text}};
    spec.match.remote_addrs = &r;
    spec.match.n_remote_addrs = 1;
    spec.action.type = VFP_ACTION_ALLOW;
    return vfp_builder_add_rule(b, group, &spec);
}

/* The SNAT pool name of an address and protocol. */
static void pool_name(char *out, size_t size, const vfp_addr *vip, uint8_t proto)
{
    char a[VFP_ADDR_TEXT];
    vfp_addr_format(vip, a);
    snprintf(out, size, "SLB_NATPOOL_IPV4_%s_%s", proto_name(proto), a);
}

static int add_outbound_nat(vfp_builder *b, int group, const hv_endpoint *ep,
                            const hv_outbound_nat *n, const vfp_compile_options *o,
                            vfp_compile_stats *stats)
{
    if (n->flags & NAT_FLAG_IPV6) { /* an IPv6 OutBoundNAT: IPv4 only, its exceptions too */
        NOTE_SKIP(stats, skipped_ipv6);
        return 0;
    }
    for (size_t i = 0; i < n->n_exceptions; i++) {
        if (!ipv4(&n->exceptions[i].addr)) {
            NOTE_SKIP(stats, skipped_ipv6);
            continue;
        }
        int rc = add_nat_exception(b, group, ep, n, &n->exceptions[i]);
        if (rc < 0)
            return rc;
    }
    vfp_addr vip = ipv4(&n->vip) ? n->vip : o->host_ip;
    if (!ipv4(&vip))
        return 0;
    vfp_addr_range *dest = calloc(n->n_destinations ? n->n_destinations : 1, sizeof *dest);
    if (!dest)
        return VFP_ENOMEM;
    size_t n_dest = 0;
    for (size_t i = 0; i < n->n_destinations; i++)
        if (ipv4(&n->destinations[i].addr))
            dest[n_dest++] = prefix_range(&n->destinations[i]);
    static const uint8_t protos[] = {VFP_PROTO_TCP, VFP_PROTO_UDP};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        char id[96], text[128], pool[96], a[VFP_ADDR_TEXT];
        vfp_addr_format(&vip, a);
        snprintf(id, sizeof id, "SNAT_%s_%s", proto_name(protos[i]), a);
        snprintf(text, sizeof text, "OutBoundNAT %s -> %s", proto_name(protos[i]), a);
        pool_name(pool, sizeof pool, &vip, protos[i]);
        uint16_t proto = protos[i];
        vfp_rule_spec spec = {.id = id,
                              .priority = PRIO_NAT,
                              .flags = FLAGS_NAT,
                              .flow_ttl = protos[i] == VFP_PROTO_TCP ? VFP_TTL_TCP : VFP_TTL_UDP,
                              .cookie = {.object_id = ep->id, .policy_index = n->policy_index, .text = text}};
        spec.match.protocols = &proto;
        spec.match.n_protocols = 1;
        spec.match.remote_addrs = dest;
        spec.match.n_remote_addrs = n_dest;
        spec.action.type = VFP_ACTION_SNAT;
        spec.action.u.snat.vip = vip;
        spec.action.u.snat.pool = pool;
        /* "Destinations" given but none IPv4: nothing to NAT. */
        if (n->n_destinations && !n_dest)
            break;
        rc = vfp_builder_add_rule(b, group, &spec);
    }
    free(dest);
    return rc;
}

/* The stateful inbound allow that keeps replies of inbound connections
 * from being SNATed on their way out. */
static int add_inbound_allow(vfp_builder *b, int group, const hv_endpoint *ep)
{
    vfp_rule_spec spec = {.id = "NAT_INBOUND_ALLOW",
                          .priority = PRIO_INBOUND_ALLOW,
                          .flags = FLAGS_NAT,
                          .flow_ttl = VFP_TTL_TCP,
                          .cookie = {.object_id = ep->id,
                                     .policy_index = -1,
                                     .text = "inbound flow: its replies skip OutBoundNAT"}};
    spec.action.type = VFP_ACTION_ALLOW;
    return vfp_builder_add_rule(b, group, &spec);
}

/* ---------------------------------------------------------------------------
 * VNET routes (overlay encapsulation, SDN routes)
 */

/* The VSID of the network's subnet holding ip (else its first VSID). */
static uint32_t network_vni(const hv_network *net, const vfp_addr *ip)
{
    uint32_t first = 0;
    for (size_t i = 0; i < net->n_subnets; i++) {
        vfp_addr_range r = prefix_range(&net->subnets[i].prefix);
        if (!first)
            first = net->subnets[i].vsid;
        if (ip && vfp_addr_compare(&r.lo, ip) <= 0 && vfp_addr_compare(ip, &r.hi) <= 0 &&
            net->subnets[i].vsid)
            return net->subnets[i].vsid;
    }
    return first;
}

/* An IN group (the external port) matches the destination as the local
 * address, an OUT group as the remote one. */
static void match_destination(vfp_match *m, vfp_direction dir, const vfp_addr_range *r)
{
    if (dir == VFP_DIR_IN) {
        m->local_addrs = r;
        m->n_local_addrs = 1;
    } else {
        m->remote_addrs = r;
        m->n_remote_addrs = 1;
    }
}

static int add_encap_rule(vfp_builder *b, int group, vfp_direction dir, const char *id,
                          const hv_prefix *dest, uint32_t vni, const vfp_addr *pa,
                          const uint8_t *dr_mac, const char *owner, int policy_index,
                          const char *text)
{
    vfp_addr_range r = prefix_range(dest);
    vfp_rule_spec spec = {.id = id,
                          .priority = PRIO_ROUTE,
                          .flags = VFP_RULE_TERMINATING,
                          .cookie = {.object_id = owner, .policy_index = policy_index, .text = text}};
    match_destination(&spec.match, dir, &r);
    spec.action.type = VFP_ACTION_ENCAP;
    spec.action.u.encap.encap_type = VFP_ENCAP_VXLAN;
    spec.action.u.encap.vni = vni;
    spec.action.u.encap.pa = *pa;
    if (dr_mac)
        memcpy(spec.action.u.encap.dr_mac, dr_mac, 6);
    return vfp_builder_add_rule(b, group, &spec);
}

/* The RemoteSubnetRoute with the longest prefix holding ip, or NULL. */
static const hv_remote_subnet *covering_route(const hv_network *net, const vfp_addr *ip)
{
    const hv_remote_subnet *best = NULL;
    for (size_t i = 0; i < net->n_remote_subnets; i++) {
        const hv_remote_subnet *rs = &net->remote_subnets[i];
        vfp_addr_range r = prefix_range(&rs->destination);
        if (vfp_addr_compare(&r.lo, ip) <= 0 && vfp_addr_compare(ip, &r.hi) <= 0 &&
            (!best || rs->destination.length > best->destination.length))
            best = rs;
    }
    return best;
}

static bool mac_is_zero(const uint8_t mac[6])
{
    static const uint8_t zero[6];
    return memcmp(mac, zero, 6) == 0;
}

/* The DR MAC for a remote address: its RemoteSubnetRoute's (the peer's
 * distributed router) when it names one, else the network's own. */
static const uint8_t *remote_dr_mac(const hv_network *net, const vfp_addr *ip)
{
    const hv_remote_subnet *rs = covering_route(net, ip);
    if (rs && !mac_is_zero(rs->dr_mac))
        return rs->dr_mac;
    return net->has_dr_mac ? net->dr_mac : NULL;
}

/* The VNI for a remote address: its RemoteSubnetRoute's IsolationId, else
 * the network's. */
static uint32_t remote_vni(const hv_network *net, const vfp_addr *ip)
{
    const hv_remote_subnet *rs = covering_route(net, ip);
    return rs && rs->isolation_id ? rs->isolation_id : network_vni(net, ip);
}

/* Overlay: a routeencap rule per remote endpoint and per RemoteSubnetRoute. */
static int add_overlay_routes(vfp_builder *b, int group, vfp_direction dir, const hns_view *v,
                              const hv_network *net)
{
    for (size_t i = 0; i < v->n_endpoints; i++) {
        const hv_endpoint *r = &v->endpoints[i];
        if (!r->is_remote || !ipv4(&r->ip) || !ipv4(&r->provider_address) ||
            !r->network_id || strcmp(r->network_id, net->id) != 0)
            continue;
        char id[96], text[128], ip[VFP_ADDR_TEXT], pa[VFP_ADDR_TEXT];
        vfp_addr_format(&r->ip, ip);
        vfp_addr_format(&r->provider_address, pa);
        snprintf(id, sizeof id, "REMOTE_EP_%s", ip);
        snprintf(text, sizeof text, "remote endpoint %s via PA %s", ip, pa);
        hv_prefix host = {r->ip, 32};
        int rc = add_encap_rule(b, group, dir, id, &host, remote_vni(net, &r->ip),
                                &r->provider_address, remote_dr_mac(net, &r->ip), r->id, -1, text);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < net->n_remote_subnets; i++) {
        const hv_remote_subnet *s = &net->remote_subnets[i];
        if (!ipv4(&s->destination.addr) || !ipv4(&s->provider_address))
            continue;
        char id[96], text[128], p[VFP_ADDR_TEXT], pa[VFP_ADDR_TEXT];
        vfp_addr_format(&s->destination.addr, p);
        vfp_addr_format(&s->provider_address, pa);
        snprintf(id, sizeof id, "REMOTESUBNETROUTE_%s_%u", p, s->destination.length);
        snprintf(text, sizeof text, "RemoteSubnetRoute %s/%u via PA %s VNI %u", p,
                 s->destination.length, pa, s->isolation_id);
        int rc = add_encap_rule(b, group, dir, id, &s->destination, s->isolation_id, &s->provider_address,
                                s->dr_mac, net->id, s->policy_index, text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One paroute rule of an SDNRoute policy or an SDN route object. */
static int add_route_rule(vfp_builder *b, int group, const char *owner, const hv_route *rt)
{
    char id[96], text[128], p[VFP_ADDR_TEXT], nh[VFP_ADDR_TEXT] = "on-link";
    vfp_addr_format(&rt->destination.addr, p);
    if (ipv4(&rt->next_hop))
        vfp_addr_format(&rt->next_hop, nh);
    snprintf(id, sizeof id, "SDNROUTE_%s_%u", p, rt->destination.length);
    snprintf(text, sizeof text, "SDNRoute %s/%u -> %s%s", p, rt->destination.length, nh,
             rt->need_encap ? " NeedEncap" : "");
    vfp_addr_range r = prefix_range(&rt->destination);
    vfp_rule_spec spec = {.id = id,
                          .priority = PRIO_ROUTE,
                          .flags = VFP_RULE_TERMINATING,
                          .cookie = {.object_id = owner, .policy_index = rt->policy_index, .text = text}};
    spec.match.remote_addrs = &r;
    spec.match.n_remote_addrs = 1;
    spec.action.type = VFP_ACTION_ROUTE;
    spec.action.u.route.next_hop = rt->next_hop;
    return vfp_builder_add_rule(b, group, &spec);
}

/* The routes of an endpoint: its SDNRoute policies, then the SDN route
 * objects (HostComputeRoute) that list it, in view order. A prefix already
 * routed by an earlier rule keeps that rule (LPM ties keep the first). */
static int add_sdn_routes(vfp_builder *b, int group, const hns_view *v, const hv_endpoint *ep)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ep->n_routes; i++)
        if (ep->routes[i].policy_index >= 0 && ipv4(&ep->routes[i].destination.addr))
            rc = add_route_rule(b, group, ep->id, &ep->routes[i]);
    for (size_t i = 0; rc == 0 && i < v->n_sdn_routes; i++) {
        const hv_sdn_route *sr = &v->sdn_routes[i];
        bool listed = false;
        for (size_t j = 0; j < sr->n_endpoints && !listed; j++)
            listed = strcasecmp(sr->endpoint_ids[j], ep->id) == 0;
        for (size_t j = 0; listed && rc == 0 && j < sr->n_routes; j++)
            if (ipv4(&sr->routes[j].destination.addr))
                rc = add_route_rule(b, group, sr->id, &sr->routes[j]);
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * Port mappings (hostPort)
 */

static int add_port_mappings(vfp_builder *b, int group, lb_site site, const hns_view *v,
                             const vfp_compile_options *o, vfp_compile_stats *stats)
{
    for (size_t i = 0; i < v->n_endpoints; i++) {
        const hv_endpoint *ep = &v->endpoints[i];
        if (!vfp_endpoint_has_port(ep))
            continue;
        for (size_t j = 0; j < ep->n_port_mappings; j++) {
            const hv_port_mapping *pm = &ep->port_mappings[j];
            if (pm->flags & NAT_FLAG_IPV6) { /* IPv4 only */
                NOTE_SKIP(stats, skipped_ipv6);
                continue;
            }
            /* NatFlags LocalRoutedVip makes the host reach it too (K1). */
            if (site == LB_SITE_HOST && !(pm->flags & NAT_FLAG_LOCAL_ROUTED_VIP))
                continue;
            vfp_addr front = ipv4(&pm->vip) ? pm->vip : o->host_ip;
            if (!ipv4(&front))
                continue;
            hv_lb_mapping m = {.protocol = pm->protocol,
                               .internal_port = pm->internal_port,
                               .external_port = pm->external_port};
            char id[160], text[128], f[VFP_ADDR_TEXT], ip[VFP_ADDR_TEXT];
            vfp_addr_format(&front, f);
            vfp_addr_format(&ep->ip, ip);
            lb_rule_id(id, sizeof id, site, 1, &(vfp_addr){0}, &front, &m);
            snprintf(text, sizeof text, "PortMapping %s %s:%u -> %s:%u", proto_name(pm->protocol),
                     f, pm->external_port, ip, pm->internal_port);
            /* Distinguish from LB rules on the same frontend. */
            strncat(id, "_HOSTPORT", sizeof id - strlen(id) - 1);
            uint16_t proto = pm->protocol;
            vfp_addr_range fr = single(&front);
            vfp_port_range port = {pm->external_port, pm->external_port};
            vfp_dip dip = {ep->ip, pm->internal_port};
            vfp_rule_spec r = {.id = id,
                               .priority = PRIO_LB,
                               .flags = FLAGS_NAT,
                               .flow_ttl = proto == VFP_PROTO_TCP ? VFP_TTL_TCP : VFP_TTL_UDP,
                               .cookie = {.object_id = ep->id, .policy_index = pm->policy_index, .text = text}};
            match_frontend(&r.match, site, &proto, &fr, &port);
            r.action.type = VFP_ACTION_LB_NAT;
            r.action.u.lb_nat.dips = &dip;
            r.action.u.lb_nat.n_dips = 1;
            r.action.u.lb_nat.flags = 0; /* no source_vip: DNAT only, the source is kept */
            int rc = vfp_builder_add_rule(b, group, &r);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Ports
 */

int vfp_endpoint_has_port(const hv_endpoint *ep)
{
    return ep && !ep->is_remote && !ep->host_vnic && ipv4(&ep->ip);
}

static int finish(vfp_builder *b, int rc, vfp_ruleset **out)
{
    if (rc < 0) {
        vfp_builder_free(b);
        return rc;
    }
    return vfp_builder_finish(b, out);
}

static int compile_endpoint_layers(vfp_builder *b, const hns_view *v, const hv_endpoint *ep,
                                   const vfp_compile_options *o, vfp_compile_stats *stats)
{
    const hv_network *net = ep->network_id ? hns_view_network(v, ep->network_id) : NULL;
    int dsr = add_layer(b, "LB_DSR", LAYER_LB_DSR, VFP_LAYER_CONTINUE);
    int slb = add_layer(b, "SLB_LB_LAYER", LAYER_SLB_LB, VFP_LAYER_CONTINUE);
    int rc;
    if (o->share_lb_groups_from) {
        const vfp_ruleset *from = o->share_lb_groups_from;
        int d = vfp_builder_reuse_group(b, dsr, from, "LB_DSR", "LB_DSR_IPv4_OUT");
        int l = vfp_builder_reuse_group(b, slb, from, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT");
        rc = d < 0 ? d : l < 0 ? l : 0;
    } else {
        int dsr_g = add_group(b, dsr, "LB_DSR_IPv4_OUT", 10, VFP_DIR_OUT, VFP_MATCH_PRIORITY);
        int slb_g = add_group(b, slb, "SLB_GROUP_LB_IPv4_OUT", 10, VFP_DIR_OUT, VFP_MATCH_PRIORITY);
        if (dsr_g < 0 || slb_g < 0)
            return dsr_g < 0 ? dsr_g : slb_g;
        rc = add_lbs(b, v, LB_SITE_CONTAINER, slb_g, dsr_g, o, stats);
    }

    int fw = rc < 0 ? rc : add_layer(b, "FW_ADMIN_LAYER", LAYER_FW, VFP_LAYER_ACL);
    if (fw < 0)
        return fw;
    acl_scope sc;
    acl_scope_init(&sc, v, o, stats);
    rc = add_acl_group(b, fw, ep, net, VFP_DIR_IN, &sc);
    if (rc == 0)
        rc = add_acl_group(b, fw, ep, net, VFP_DIR_OUT, &sc);
    if (rc == 0)
        rc = add_tier_groups(b, fw, ep, &sc);

    int nat = rc < 0 ? rc : add_layer(b, "SLB_NAT_LAYER", LAYER_SLB_NAT, VFP_LAYER_CONTINUE);
    int nat_in = add_group(b, nat, "SLB_GROUP_NAT_IPv4_IN", 10, VFP_DIR_IN, VFP_MATCH_PRIORITY);
    int nat_out = add_group(b, nat, "SLB_GROUP_NAT_IPv4_OUT", 10, VFP_DIR_OUT, VFP_MATCH_PRIORITY);
    if (nat_in < 0 || nat_out < 0)
        return nat_in < 0 ? nat_in : nat_out;
    if (ep->n_outbound_nats)
        rc = add_inbound_allow(b, nat_in, ep);
    for (size_t i = 0; rc == 0 && i < ep->n_outbound_nats; i++)
        rc = add_outbound_nat(b, nat_out, ep, &ep->outbound_nats[i], o, stats);

    int vnet = rc < 0 ? rc : add_layer(b, "VNET_ROUTING_LAYER", LAYER_VNET, VFP_LAYER_CONTINUE);
    int route = add_group(b, vnet, "VNET_GROUP_PA_ROUTE_IPV4_OUT", 10, VFP_DIR_OUT, VFP_MATCH_LPM);
    if (route < 0)
        return route;
    if (net && strcasecmp(net->type ? net->type : "", "Overlay") == 0)
        rc = add_overlay_routes(b, route, VFP_DIR_OUT, v, net);
    if (rc == 0)
        rc = add_sdn_routes(b, route, v, ep);
    return rc;
}

int vfp_compile_endpoint(const hns_view *v, const hv_endpoint *ep, const vfp_compile_options *o,
                         vfp_ruleset **out, vfp_compile_stats *stats)
{
    if (!v || !ep || !o || !out || !ep->id)
        return VFP_EINVAL;
    if (stats)
        memset(stats, 0, sizeof *stats);
    vfp_builder *b = vfp_builder_new(ep->id, &o->build);
    if (!b)
        return VFP_ENOMEM;
    return finish(b, compile_endpoint_layers(b, v, ep, o, stats), out);
}

/* The overlay routes of every Overlay network on a node port: the host
 * vNIC (OUT, only with a HostRoute policy) or the external port (IN:
 * NodePort traffic DNATed to a pod on another node). */
static int add_node_overlay_routes(vfp_builder *b, const hns_view *v, vfp_direction dir,
                                   int need_host_route)
{
    int layer = -1, group = -1;
    for (size_t i = 0; i < v->n_networks; i++) {
        const hv_network *net = &v->networks[i];
        if (strcasecmp(net->type ? net->type : "", "Overlay") != 0 ||
            (need_host_route && !net->host_route))
            continue;
        if (layer < 0) {
            /* After the NAT layer in the packet's order: OUT goes up, IN down. */
            layer = add_layer(b, "VNET_ROUTING_LAYER", dir == VFP_DIR_IN ? 5 : 20,
                              VFP_LAYER_CONTINUE);
            group = add_group(b, layer,
                              dir == VFP_DIR_IN ? "VNET_GROUP_PA_ROUTE_IPV4_IN"
                                                : "VNET_GROUP_PA_ROUTE_IPV4_OUT",
                              10, dir, VFP_MATCH_LPM);
            if (group < 0)
                return group;
        }
        int rc = add_overlay_routes(b, group, dir, v, net);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The VNIs a node decapsulates: its overlay subnets' VSIDs and the
 * IsolationIds of its remote subnet routes, each once. */
typedef struct vni_set {
    uint32_t *vni;
    const hv_network **net; /* the first network naming it (the rule's cookie) */
    size_t n;
} vni_set;

static int vni_add(vni_set *s, uint32_t vni, const hv_network *net)
{
    if (!vni)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->vni[i] == vni)
            return 0;
    uint32_t *v = realloc(s->vni, (s->n + 1) * sizeof *v);
    const hv_network **n = v ? realloc(s->net, (s->n + 1) * sizeof *n) : NULL;
    if (v)
        s->vni = v;
    if (!n)
        return VFP_ENOMEM;
    s->net = n;
    s->vni[s->n] = vni;
    s->net[s->n++] = net;
    return 0;
}

static int add_decap_rule(vfp_builder *b, int group, uint32_t vni, const hv_network *net,
                          const vfp_compile_options *o)
{
    char id[64], text[160];
    vfp_decap_rule_id(vni, id, sizeof id);
    snprintf(text, sizeof text, "VXLAN VNI %u of network %s", vni, net->name ? net->name : net->id);
    uint16_t proto = VFP_PROTO_UDP;
    uint16_t udp = net->vxlan_port ? net->vxlan_port : 4789;
    vfp_port_range port = {udp, udp};
    vfp_addr_range local = single(&o->host_ip);
    vfp_rule_spec r = {.id = id,
                       .priority = PRIO_ROUTE,
                       .flags = VFP_RULE_TERMINATING,
                       .cookie = {.object_id = net->id, .policy_index = -1, .text = text}};
    r.match.protocols = &proto;
    r.match.n_protocols = 1;
    r.match.local_ports = &port;
    r.match.n_local_ports = 1;
    if (ipv4(&o->host_ip)) {
        r.match.local_addrs = &local;
        r.match.n_local_addrs = 1;
    }
    r.action.type = VFP_ACTION_ALLOW;
    return vfp_builder_add_rule(b, group, &r);
}

/* The DECAP_IN layer of the external port: one rule per VNI, matching the
 * outer VXLAN packet (UDP to the node, the network's VxlanPort or 4789). */
static int add_decap_layer(vfp_builder *b, const hns_view *v, const vfp_compile_options *o)
{
    vni_set set = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v->n_networks; i++) {
        const hv_network *net = &v->networks[i];
        if (strcasecmp(net->type ? net->type : "", "Overlay") != 0)
            continue;
        for (size_t j = 0; rc == 0 && j < net->n_subnets; j++)
            rc = vni_add(&set, net->subnets[j].vsid, net);
        for (size_t j = 0; rc == 0 && j < net->n_remote_subnets; j++)
            rc = vni_add(&set, net->remote_subnets[j].isolation_id, net);
    }
    if (rc == 0 && set.n) {
        int layer = add_layer(b, VFP_DECAP_LAYER, 1, VFP_LAYER_CONTINUE);
        int group = add_group(b, layer, VFP_DECAP_GROUP, 10, VFP_DIR_IN, VFP_MATCH_PRIORITY);
        rc = group < 0 ? group : 0;
        for (size_t i = 0; rc == 0 && i < set.n; i++)
            rc = add_decap_rule(b, group, set.vni[i], set.net[i], o);
    }
    free(set.vni);
    free(set.net);
    return rc;
}

void vfp_decap_rule_id(uint32_t vni, char *out, size_t size)
{
    snprintf(out, size, "DECAP_VXLAN_%u", vni);
}

int vfp_compile_host(const hns_view *v, const vfp_compile_options *o, vfp_ruleset **out,
                     vfp_compile_stats *stats)
{
    if (!v || !o || !out)
        return VFP_EINVAL;
    if (stats)
        memset(stats, 0, sizeof *stats);
    vfp_builder *b = vfp_builder_new(VFP_PORT_HOST_NAME, &o->build);
    if (!b)
        return VFP_ENOMEM;
    int layer = add_layer(b, "LB", 10, VFP_LAYER_CONTINUE);
    int g = add_group(b, layer, "LB_OUT", 10, VFP_DIR_OUT, VFP_MATCH_PRIORITY);
    int rc = g < 0 ? g : add_lbs(b, v, LB_SITE_HOST, g, -1, o, stats);
    if (rc == 0)
        rc = add_port_mappings(b, g, LB_SITE_HOST, v, o, stats);
    if (rc == 0)
        rc = add_node_overlay_routes(b, v, VFP_DIR_OUT, 1);
    return finish(b, rc, out);
}

int vfp_compile_external(const hns_view *v, const vfp_compile_options *o, vfp_ruleset **out,
                         vfp_compile_stats *stats)
{
    if (!v || !o || !out)
        return VFP_EINVAL;
    if (stats)
        memset(stats, 0, sizeof *stats);
    vfp_builder *b = vfp_builder_new(VFP_PORT_EXTERNAL_NAME, &o->build);
    if (!b)
        return VFP_ENOMEM;
    int layer = add_layer(b, "SLB_NAT_LAYER", 10, VFP_LAYER_CONTINUE);
    int g = add_group(b, layer, "SLB_GROUP_NAT_IPv4_IN", 10, VFP_DIR_IN, VFP_MATCH_PRIORITY);
    int rc = g < 0 ? g : add_port_mappings(b, g, LB_SITE_EXTERNAL, v, o, stats);
    if (rc == 0)
        rc = add_lbs(b, v, LB_SITE_EXTERNAL, g, -1, o, stats);
    if (rc == 0)
        rc = add_node_overlay_routes(b, v, VFP_DIR_IN, 0);
    if (rc == 0)
        rc = add_decap_layer(b, v, o);
    return finish(b, rc, out);
}
