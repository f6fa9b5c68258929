/*
 * net.c - building the simulated network: the cluster, its Windows and
 * Linux nodes, the underlay, and net_node_sync(), which turns a Windows
 * node's HNS state into installed VFP rulesets (one per vSwitch port).
 *
 * A sync reads a fresh view of HNS, compiles every port, then installs each
 * ruleset with vfp_port_install (an atomic pointer swap per port). Ports of
 * endpoints that still exist keep their vfp_port and its flows; ports of
 * endpoints that are gone are freed; new endpoints get new ports. A failed
 * sync changes nothing that was installed.
 */
#include "net_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool net__grow(void **array, size_t n, size_t elem)
{
    /* Capacity doubles at powers of two, so n alone says when to grow. */
    if (n && (n & (n - 1)))
        return true;
    void *p = realloc(*array, (n ? 2 * n : 4) * elem);
    if (!p)
        return false;
    *array = p;
    return true;
}

int net__parse_cidr(const char *text, vfp_addr_range *range, unsigned *length)
{
    if (!text || vfp_range_parse(text, range) != 0)
        return -1;
    int len = vfp_range_prefix_length(range);
    if (len < 0)
        return -1;
    *length = (unsigned)len;
    return 0;
}

static bool in_range(const vfp_addr_range *r, const vfp_addr *a)
{
    return r->lo.family == a->family && vfp_addr_compare(&r->lo, a) <= 0 &&
           vfp_addr_compare(a, &r->hi) <= 0;
}

const net__route *net__route_lookup(const net__route *table, size_t n, const vfp_addr *a)
{
    const net__route *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (in_range(&table[i].dest, a) && (!best || table[i].length > best->length))
            best = &table[i];
    return best;
}

net_cluster *net_cluster_new(uint64_t seed)
{
    net_cluster *c = calloc(1, sizeof *c);
    if (c) {
        c->seed = seed;
        c->mtu = 1500;
    }
    return c;
}

static void port_clear(net__port *p)
{
    free(p->name);
    free(p->label);
    vfp_port_free(p->vfp);
    memset(p, 0, sizeof *p);
}

static void node_free(net_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_ports; i++)
        port_clear(&n->ports[i]);
    free(n->ports);
    free(n->by_ip);
    free(n->host_ips);
    port_clear(&n->host);
    port_clear(&n->external);
    net__snat_free(n);
    net__faults_free(n);
    net__linux_free(n);
    free(n->routes);
    free(n->name);
    free(n);
}

void net_cluster_free(net_cluster *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_nodes; i++)
        node_free(c->nodes[i]);
    for (size_t i = 0; i < c->n_externals; i++)
        free(c->externals[i].name);
    free(c->externals);
    free(c->nodes);
    free(c->cluster_cidrs);
    free(c->underlay);
    free(c->owners);
    free(c);
}

void net_set_time(net_cluster *c, uint64_t seconds)
{
    c->now = seconds;
}

uint64_t net_time(const net_cluster *c)
{
    return c->now;
}

void net_set_underlay_mtu(net_cluster *c, uint32_t mtu)
{
    c->mtu = mtu;
}

const uint8_t *net__node_dr_mac(const net_node *n, uint32_t vni)
{
    for (size_t i = 0; i < n->n_dr_macs; i++)
        if (n->dr_macs[i].vni == vni)
            return n->dr_macs[i].mac;
    return NULL;
}

/* Remembers the DR MAC of every overlay VSID of view v (net__node_dr_mac). */
static void note_dr_macs(net_node *n, const hns_view *v)
{
    n->n_dr_macs = 0;
    for (size_t i = 0; i < v->n_networks; i++) {
        const hv_network *net = &v->networks[i];
        for (size_t j = 0; net->has_dr_mac && j < net->n_subnets; j++) {
            if (!net->subnets[j].vsid || net__node_dr_mac(n, net->subnets[j].vsid) ||
                n->n_dr_macs == sizeof n->dr_macs / sizeof n->dr_macs[0])
                continue;
            n->dr_macs[n->n_dr_macs].vni = net->subnets[j].vsid;
            memcpy(n->dr_macs[n->n_dr_macs].mac, net->dr_mac, 6);
            n->n_dr_macs++;
        }
    }
}

int net_node_exclude_snat_port(net_node *n, uint8_t protocol, uint16_t port)
{
    if (!n || n->n_snat_excluded == sizeof n->snat_excluded / sizeof n->snat_excluded[0])
        return -1;
    n->snat_excluded[n->n_snat_excluded].protocol = protocol;
    n->snat_excluded[n->n_snat_excluded].port = port;
    n->n_snat_excluded++;
    return 0;
}

int net_reserve_host_port(net_cluster *c, uint8_t protocol, uint16_t port)
{
    if (c->n_reserved == sizeof c->reserved / sizeof c->reserved[0])
        return -1;
    c->reserved[c->n_reserved].protocol = protocol;
    c->reserved[c->n_reserved].port = port;
    c->n_reserved++;
    return 0;
}

/* Whether the cloud keeps (protocol, port) of the hosts. */
bool net__host_port_reserved(const net_cluster *c, uint8_t protocol, uint16_t port)
{
    for (size_t i = 0; i < c->n_reserved; i++)
        if (c->reserved[i].protocol == protocol && c->reserved[i].port == port)
            return true;
    return false;
}

int net_add_cluster_cidr(net_cluster *c, const char *cidr)
{
    vfp_addr_range r;
    unsigned len;
    if (net__parse_cidr(cidr, &r, &len) < 0)
        return -1;
    if (!net__grow((void **)&c->cluster_cidrs, c->n_cluster_cidrs, sizeof *c->cluster_cidrs))
        return -1;
    c->cluster_cidrs[c->n_cluster_cidrs++] = r;
    return 0;
}

static int add_route(net__route **table, size_t *n, const char *cidr, const char *via, uint32_t vni)
{
    net__route r = {.vni = vni};
    if (net__parse_cidr(cidr, &r.dest, &r.length) < 0)
        return -1;
    if (via && vfp_addr_parse(via, &r.via) != 0)
        return -1;
    if (!net__grow((void **)table, *n, sizeof **table))
        return -1;
    (*table)[(*n)++] = r;
    return 0;
}

int net_add_underlay_route(net_cluster *c, const char *cidr, const char *via)
{
    return add_route(&c->underlay, &c->n_underlay, cidr, via, 0);
}

int net_add_external(net_cluster *c, const char *name, const char *ip)
{
    vfp_addr a;
    if (!name || vfp_addr_parse(ip, &a) != 0)
        return -1;
    if (!net__grow((void **)&c->externals, c->n_externals, sizeof *c->externals))
        return -1;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    c->externals[c->n_externals++] = (net__external){copy, a};
    return 0;
}

int net_external_address(const net_cluster *c, const char *name, char ip[VFP_ADDR_TEXT])
{
    for (size_t i = 0; name && i < c->n_externals; i++)
        if (strcmp(c->externals[i].name, name) == 0) {
            vfp_addr_format(&c->externals[i].ip, ip);
            return 0;
        }
    return -1;
}

static net_node *add_node(net_cluster *c, const char *name, const char *ip, bool windows)
{
    vfp_addr a;
    if (!name || vfp_addr_parse(ip, &a) != 0 || net_node_by_name(c, name))
        return NULL;
    net_node *n = calloc(1, sizeof *n);
    if (!n || !(n->name = strdup(name)) ||
        !net__grow((void **)&c->nodes, c->n_nodes, sizeof *c->nodes)) {
        node_free(n);
        return NULL;
    }
    n->cluster = c;
    n->windows = windows;
    n->ip = a;
    n->snat_lo = 49152;
    n->snat_hi = 65535;
    c->nodes[c->n_nodes++] = n;
    net__addresses_changed(c);
    return n;
}

net_node *net_add_windows(net_cluster *c, const char *name, const char *ip, hnsm_instance *inst)
{
    net_node *n = add_node(c, name, ip, true);
    if (!n)
        return NULL;
    n->inst = inst;
    strcpy(n->profile, "ws2022");
    if (vfp_port_new(VFP_PORT_HOST_NAME, 0, &n->host.vfp) != 0 ||
        vfp_port_new(VFP_PORT_EXTERNAL_NAME, 0, &n->external.vfp) != 0 ||
        !(n->host.name = strdup(VFP_PORT_HOST_NAME)) ||
        !(n->external.name = strdup(VFP_PORT_EXTERNAL_NAME))) {
        c->n_nodes--;
        node_free(n);
        return NULL;
    }
    return n;
}

net_node *net_add_linux(net_cluster *c, const char *name, const char *ip, const char *pod_cidr)
{
    vfp_addr_range r;
    unsigned len;
    if (pod_cidr && net__parse_cidr(pod_cidr, &r, &len) < 0)
        return NULL;
    net_node *n = add_node(c, name, ip, false);
    if (n && pod_cidr) {
        n->has_pod_cidr = true;
        n->pod_cidr = r;
    }
    return n;
}

net_node *net_node_by_name(const net_cluster *c, const char *name)
{
    for (size_t i = 0; name && i < c->n_nodes; i++)
        if (strcmp(c->nodes[i]->name, name) == 0)
            return c->nodes[i];
    return NULL;
}

/* ---------------------------------------------------------------------------
 * The address index: one sorted array of every address a node holds, so a
 * walk finds the owner of an address in O(log n) instead of asking every
 * node. Rebuilt lazily after anything that adds or removes addresses.
 */

void net__addresses_changed(net_cluster *c)
{
    atomic_store(&c->owners_stale, true);
}

static int compare_owner(const void *a, const void *b)
{
    const net__owner *x = a, *y = b;
    int cmp = vfp_addr_compare(&x->ip, &y->ip);
    return cmp ? cmp : (x->node > y->node) - (x->node < y->node);
}

static bool add_owner(net__owner **list, size_t *n, size_t *cap, vfp_addr ip, size_t node, bool node_ip)
{
    if (*n == *cap) {
        size_t grown = *cap ? 2 * *cap : 64;
        net__owner *p = realloc(*list, grown * sizeof *p);
        if (!p)
            return false;
        *list = p;
        *cap = grown;
    }
    (*list)[(*n)++] = (net__owner){ip, node, node_ip};
    return true;
}

static void rebuild_owners(net_cluster *c)
{
    net__owner *list = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < c->n_nodes; i++) {
        const net_node *nd = c->nodes[i];
        ok = add_owner(&list, &n, &cap, nd->ip, i, true);
        for (size_t j = 0; ok && j < nd->n_ports; j++)
            ok = add_owner(&list, &n, &cap, nd->ports[j].ip, i, false);
        for (size_t j = 0; ok && j < nd->n_host_ips; j++)
            ok = add_owner(&list, &n, &cap, nd->host_ips[j], i, false);
        for (size_t j = 0; ok && j < nd->n_pods; j++)
            ok = add_owner(&list, &n, &cap, nd->pods[j].ip, i, false);
    }
    if (!ok) { /* out of memory: keep the stale index, lookups fall back */
        free(list);
        return;
    }
    qsort(list, n, sizeof *list, compare_owner);
    free(c->owners);
    c->owners = list;
    c->n_owners = n;
    atomic_store(&c->owners_stale, false);
}

/* The first index entry for ip (lowest node index), or NULL. */
static const net__owner *first_owner(net_cluster *c, const vfp_addr *ip)
{
    if (atomic_load(&c->owners_stale) || (!c->owners && c->n_nodes))
        rebuild_owners(c);
    size_t lo = 0, hi = c->n_owners;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vfp_addr_compare(&c->owners[mid].ip, ip) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_owners && vfp_addr_compare(&c->owners[lo].ip, ip) == 0 ? &c->owners[lo] : NULL;
}

net_node *net__node_holding(net_cluster *c, const vfp_addr *ip)
{
    const net__owner *o = first_owner(c, ip);
    return o ? c->nodes[o->node] : NULL;
}

net_node *net__node_by_ip(net_cluster *c, const vfp_addr *ip)
{
    for (const net__owner *o = first_owner(c, ip);
         o && o < c->owners + c->n_owners && vfp_addr_compare(&o->ip, ip) == 0; o++)
        if (o->node_ip)
            return c->nodes[o->node];
    return NULL;
}

const net__external *net__external_by_ip(const net_cluster *c, const vfp_addr *ip)
{
    for (size_t i = 0; i < c->n_externals; i++)
        if (vfp_addr_compare(&c->externals[i].ip, ip) == 0)
            return &c->externals[i];
    return NULL;
}

bool net__is_host_address(const net_node *n, const vfp_addr *ip)
{
    if (vfp_addr_compare(&n->ip, ip) == 0)
        return true;
    for (size_t i = 0; i < n->n_host_ips; i++)
        if (vfp_addr_compare(&n->host_ips[i], ip) == 0)
            return true;
    return false;
}

bool net__is_cluster_address(const net_cluster *c, const vfp_addr *ip)
{
    for (size_t i = 0; i < c->n_cluster_cidrs; i++)
        if (in_range(&c->cluster_cidrs[i], ip))
            return true;
    return false;
}

void net_node_set_profile(net_node *n, const char *profile)
{
    snprintf(n->profile, sizeof n->profile, "%s", profile ? profile : "ws2022");
}

int net_node_add_route(net_node *n, const char *cidr, const char *via)
{
    return add_route(&n->routes, &n->n_routes, cidr, via, 0);
}

void net_node_clear_routes(net_node *n)
{
    n->n_routes = 0;
}

int net_linux_add_vxlan_route(net_node *n, const char *cidr, const char *pa, uint32_t vni)
{
    if (n->windows || !pa)
        return -1;
    return add_route(&n->routes, &n->n_routes, cidr, pa, vni ? vni : 1);
}

int net_node_set_snat_range(net_node *n, uint16_t lo, uint16_t hi)
{
    if (!n->windows || lo == 0 || lo > hi)
        return -1;
    n->snat_lo = lo;
    n->snat_hi = hi;
    for (size_t i = 0; i < n->n_pools; i++)
        n->pools[i].next = lo;
    return 0;
}

static int compare_port_name(const void *a, const void *b)
{
    return strcmp(((const net__port *)a)->name, ((const net__port *)b)->name);
}

static net__port *find_port(net__port *ports, size_t n, const char *name)
{
    net__port key = {.name = (char *)name};
    return name && n ? bsearch(&key, ports, n, sizeof *ports, compare_port_name) : NULL;
}

net__port *net__port_by_name(net_node *n, const char *name)
{
    return find_port(n->ports, n->n_ports, name);
}

net__port *net__port_by_ip(net_node *n, const vfp_addr *ip)
{
    size_t lo = 0, hi = n->n_ports;
    while (lo < hi) { /* the first port whose address is not below ip */
        size_t mid = lo + (hi - lo) / 2;
        if (vfp_addr_compare(&n->ports[n->by_ip[mid]].ip, ip) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n->n_ports && vfp_addr_compare(&n->ports[n->by_ip[lo]].ip, ip) == 0)
        return &n->ports[n->by_ip[lo]];
    return NULL;
}

/* The ports' address index; equal addresses keep ID order (the view's
 * choice between duplicates is the first by ID). */
typedef struct ip_slot {
    vfp_addr ip;
    size_t index;
} ip_slot;

static int compare_slot(const void *a, const void *b)
{
    const ip_slot *x = a, *y = b;
    int c = vfp_addr_compare(&x->ip, &y->ip);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static size_t *index_by_ip(const net__port *ports, size_t n)
{
    ip_slot *slots = malloc((n ? n : 1) * sizeof *slots);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (slots && idx) {
        for (size_t i = 0; i < n; i++)
            slots[i] = (ip_slot){ports[i].ip, i};
        qsort(slots, n, sizeof *slots, compare_slot);
        for (size_t i = 0; i < n; i++)
            idx[i] = slots[i].index;
    } else {
        free(idx);
        idx = NULL;
    }
    free(slots);
    return idx;
}

vfp_ruleset *net_node_port_rules(net_node *n, const char *port)
{
    if (!n->windows || !port)
        return NULL;
    if (strcmp(port, VFP_PORT_HOST_NAME) == 0)
        return vfp_port_acquire(n->host.vfp);
    if (strcmp(port, VFP_PORT_EXTERNAL_NAME) == 0)
        return vfp_port_acquire(n->external.vfp);
    net__port *p = net__port_by_name(n, port);
    vfp_addr a;
    if (!p && vfp_addr_parse(port, &a) == 0)
        p = net__port_by_ip(n, &a);
    return p ? vfp_port_acquire(p->vfp) : NULL;
}

/* ---------------------------------------------------------------------------
 * Sync
 */

/* What a port needs to know of its endpoint's network. */
static void port_network(net__port *p, const hns_view *v, const hv_endpoint *ep)
{
    const hv_network *net = ep->network_id ? hns_view_network(v, ep->network_id) : NULL;
    p->overlay = net && net->type && strcasecmp(net->type, "Overlay") == 0;
    p->host_route = net && net->host_route;
    p->vni = 0;
    for (size_t i = 0; net && i < net->n_subnets && !p->vni; i++)
        p->vni = net->subnets[i].vsid;
}

/* The compiled rulesets of one sync, before any is installed. */
typedef struct sync_plan {
    net__port *ports;     /* the new endpoint port list (sorted) */
    size_t n_ports;
    vfp_ruleset **rules;  /* one per port, then host, then external */
} sync_plan;

static void plan_free(sync_plan *p, size_t n_rules)
{
    for (size_t i = 0; p->rules && i < n_rules; i++)
        vfp_ruleset_release(p->rules[i]);
    free(p->rules);
    for (size_t i = 0; i < p->n_ports; i++) {
        if (!p->ports[i].seen) /* ports created for this plan */
            port_clear(&p->ports[i]);
        else
            free(p->ports[i].label); /* the plan's copy; the node keeps its own */
    }
    free(p->ports);
}

/* Builds the new port list, reusing the node's ports of endpoints that
 * still exist (seen = reused). */
static int plan_ports(net_node *n, const hns_view *v, sync_plan *plan)
{
    plan->ports = calloc(v->n_endpoints + 1, sizeof *plan->ports);
    if (!plan->ports)
        return -1;
    for (size_t i = 0; i < v->n_endpoints; i++) {
        const hv_endpoint *ep = &v->endpoints[i];
        if (!vfp_endpoint_has_port(ep))
            continue;
        net__port *old = net__port_by_name(n, ep->id);
        net__port *p = &plan->ports[plan->n_ports++];
        if (old) {
            *p = *old;
            p->seen = true;
        } else if (!(p->name = strdup(ep->id)) || vfp_port_new(ep->id, 0, &p->vfp) != 0) {
            return -1;
        }
        p->ip = ep->ip;
        char *label = ep->name ? strdup(ep->name) : NULL;
        if (ep->name && !label)
            return -1;
        p->label = label; /* a reused port's old label stays with the node's list */
        port_network(p, v, ep);
    }
    return 0; /* the view is sorted by ID, so the list is too */
}

static int plan_rules(net_node *n, const hns_view *v, sync_plan *plan)
{
    vfp_compile_options o = {.host_ip = n->ip};
    plan->rules = calloc(plan->n_ports + 2, sizeof *plan->rules);
    if (!plan->rules)
        return -1;
    for (size_t i = 0; i < plan->n_ports; i++) {
        const hv_endpoint *ep = hns_view_endpoint(v, plan->ports[i].name);
        o.share_lb_groups_from = i ? plan->rules[0] : NULL; /* one copy of the LB rules per node */
        if (vfp_compile_endpoint(v, ep, &o, &plan->rules[i], NULL) != 0)
            return -1;
    }
    o.share_lb_groups_from = NULL;
    if (vfp_compile_host(v, &o, &plan->rules[plan->n_ports], NULL) != 0 ||
        vfp_compile_external(v, &o, &plan->rules[plan->n_ports + 1], NULL) != 0)
        return -1;
    for (size_t i = 0; i < plan->n_ports + 2; i++) {
        const char *port = i < plan->n_ports    ? plan->ports[i].name
                           : i == plan->n_ports ? VFP_PORT_HOST_NAME
                                                : VFP_PORT_EXTERNAL_NAME;
        plan->rules[i] = net__diverge(n, port, plan->rules[i]);
    }
    return 0;
}

/* The addresses of the host's vNIC endpoints in v (malloc'd, never NULL
 * unless out of memory). */
static vfp_addr *host_addresses(const hns_view *v, size_t *n)
{
    vfp_addr *a = malloc((v->n_endpoints + 1) * sizeof *a);
    *n = 0;
    for (size_t i = 0; a && i < v->n_endpoints; i++)
        if (v->endpoints[i].host_vnic && v->endpoints[i].ip.family == VFP_FAMILY_IPV4)
            a[(*n)++] = v->endpoints[i].ip;
    return a;
}

static char *message(const char *text)
{
    return strdup(text);
}

int net_node_sync(net_node *n, char **error)
{
    *error = NULL;
    if (!n->windows) {
        *error = message("net_node_sync: not a Windows node");
        return -1;
    }
    hns_view *v = NULL;
    if (hns_view_take(n->inst, &v, error) != 0)
        return -1;
    sync_plan plan = {0};
    size_t *by_ip = NULL, n_host_ips = 0;
    vfp_addr *host_ips = host_addresses(v, &n_host_ips);
    if (!host_ips || plan_ports(n, v, &plan) < 0 || plan_rules(n, v, &plan) < 0 ||
        !(by_ip = index_by_ip(plan.ports, plan.n_ports))) {
        free(host_ips);
        plan_free(&plan, plan.n_ports + 2);
        hns_view_free(v);
        *error = message("net_node_sync: out of memory or a rule the compiler refused");
        return -1;
    }
    /* Nothing can fail from here: install, then retire the old ports. */
    for (size_t i = 0; i < plan.n_ports; i++) {
        vfp_port_install(plan.ports[i].vfp, plan.rules[i]);
        plan.rules[i] = NULL;
    }
    vfp_port_install(n->host.vfp, plan.rules[plan.n_ports]);
    vfp_port_install(n->external.vfp, plan.rules[plan.n_ports + 1]);
    for (size_t i = 0; i < n->n_ports; i++) {
        if (!find_port(plan.ports, plan.n_ports, n->ports[i].name))
            port_clear(&n->ports[i]);
        else
            free(n->ports[i].label); /* replaced by the plan's copy */
    }
    free(n->ports);
    for (size_t i = 0; i < plan.n_ports; i++)
        plan.ports[i].seen = false;
    n->ports = plan.ports;
    n->n_ports = plan.n_ports;
    free(n->by_ip);
    n->by_ip = by_ip;
    free(n->host_ips);
    n->host_ips = host_ips;
    n->n_host_ips = n_host_ips;
    net__addresses_changed(n->cluster);
    free(plan.rules);
    note_dr_macs(n, v);
    hns_view_free(v); /* the rules keep what they need of it */
    return 0;
}
