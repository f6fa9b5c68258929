/*
 * test_dp_compile.c - the HNS -> VFP compiler (sim/vfp/compile.c) on HNS
 * state built through hnsm_call() (dp_world.h) and read back with
 * hns_view_take(), as the simulator does.
 *
 * Each test builds a small node and asserts on the three kinds of port
 * compile.h describes - an endpoint port, the host vNIC and the external
 * port: layer and group names, order and directions; rule ids, priorities,
 * flags, actions and their data; match lists (the frontend on the remote
 * side for pods and the host, on the local side for the external port); and
 * the cookie naming the HNS object and policy index. The cases follow
 * compile.h's choice table and the field bugs behind it: ClusterIP vs
 * LocalRoutedVIP vs VipExternalIP vs NodePort frontends (G1), DSR, ACLs and
 * their Host/NetworkACL/TierAcl variants (I1), OutBoundNAT without ICMP
 * (B5), hostPort (K1), overlay encapsulation and SDN routes. One realistic
 * endpoint listing is compared with tests/vfp/golden/compile_endpoint.txt
 * (VFP_GOLDEN_UPDATE=1 rewrites it), and the same state always compiles to
 * the same bytes.
 */
#include "vfp_test.h"

#include "dp_world.h"

#include "compile.h"
#include "hns_view.h"

#define NODE_IP "10.0.0.4"

/* ---------------------------------------------------------------------------
 * Helpers
 */

/* The view of inst, failing the test on error. */
static hns_view *take(hnsm_instance *inst)
{
    hns_view *v = NULL;
    char *error = NULL;
    if (hns_view_take(inst, &v, &error) != 0)
        fail_msg("hns_view_take failed: %s", error ? error : "(no message)");
    assert_non_null(v);
    return v;
}

static vfp_compile_options node_options(void)
{
    vfp_compile_options o = {.host_ip = A(NODE_IP)};
    return o;
}

/* The local endpoint with this id, failing when it is absent. */
static const hv_endpoint *endpoint(const hns_view *v, const char *id)
{
    const hv_endpoint *ep = hns_view_endpoint(v, id);
    if (!ep)
        fail_msg("no endpoint %s in the view", id);
    return ep;
}

/* Compiles the port of endpoint id; stats may be NULL. */
static vfp_ruleset *compile_ep(const hns_view *v, const char *id, vfp_compile_stats *stats)
{
    vfp_compile_options o = node_options();
    vfp_ruleset *rs = NULL;
    assert_vfp_ok(vfp_compile_endpoint(v, endpoint(v, id), &o, &rs, stats));
    assert_non_null(rs);
    assert_string_equal(rs->port, id);
    return rs;
}

static vfp_ruleset *compile_host(const hns_view *v, vfp_compile_stats *stats)
{
    vfp_compile_options o = node_options();
    vfp_ruleset *rs = NULL;
    assert_vfp_ok(vfp_compile_host(v, &o, &rs, stats));
    assert_non_null(rs);
    assert_string_equal(rs->port, VFP_PORT_HOST_NAME);
    return rs;
}

static vfp_ruleset *compile_external(const hns_view *v, vfp_compile_stats *stats)
{
    vfp_compile_options o = node_options();
    vfp_ruleset *rs = NULL;
    assert_vfp_ok(vfp_compile_external(v, &o, &rs, stats));
    assert_non_null(rs);
    assert_string_equal(rs->port, VFP_PORT_EXTERNAL_NAME);
    return rs;
}

/* The group layer/group of rs, failing when it is absent. */
static const vfp_group *group_of(const vfp_ruleset *rs, const char *layer, const char *group)
{
    const vfp_layer *l = vfp_ruleset_layer(rs, layer);
    if (!l)
        fail_msg("port %s has no layer %s", rs->port, layer);
    const vfp_group *g = vfp_layer_group(l, group);
    if (!g)
        fail_msg("port %s layer %s has no group %s", rs->port, layer, group);
    return g;
}

/* The rule id of layer/group, failing when it is absent. */
static const vfp_rule *rule_of(const vfp_ruleset *rs, const char *layer, const char *group,
                               const char *id)
{
    const vfp_rule *r = vfp_group_rule(group_of(rs, layer, group), id);
    if (!r)
        fail_msg("port %s %s/%s has no rule %s", rs->port, layer, group, id);
    return r;
}

/* Number of rules in layer/group. */
static size_t n_rules(const vfp_ruleset *rs, const char *layer, const char *group)
{
    return group_of(rs, layer, group)->n_rules;
}

/* The rule ids of a group in evaluation order, comma-separated. */
static void assert_rule_ids(const vfp_group *g, const char *expected)
{
    char got[4096] = "";
    size_t used = 0;
    for (size_t i = 0; i < g->n_rules; i++)
        used +=
            (size_t)snprintf(got + used, sizeof got - used, "%s%s", i ? "," : "", g->rules[i].id);
    assert_string_equal(got, expected);
}

/* "NAME:priority,..." of the layers of rs, in order. */
static void assert_layers(const vfp_ruleset *rs, const char *expected)
{
    char got[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < rs->n_layers; i++)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%s:%u", i ? "," : "",
                                 rs->layers[i].name, (unsigned)rs->layers[i].priority);
    assert_string_equal(got, expected);
}

/* "NAME:priority:IN|OUT[:LPM],..." of the groups of a layer, in order. */
static void assert_groups(const vfp_ruleset *rs, const char *layer, const char *expected)
{
    const vfp_layer *l = vfp_ruleset_layer(rs, layer);
    if (!l)
        fail_msg("port %s has no layer %s", rs->port, layer);
    char got[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < l->n_groups; i++) {
        const vfp_group *g = l->groups[i];
        assert_int_equal(g->family, VFP_FAMILY_IPV4);
        used +=
            (size_t)snprintf(got + used, sizeof got - used, "%s%s:%u:%s%s", i ? "," : "", g->name,
                             (unsigned)g->priority, g->direction == VFP_DIR_IN ? "IN" : "OUT",
                             g->match_type == VFP_MATCH_LPM ? ":LPM" : "");
    }
    assert_string_equal(got, expected);
}

/* An address list equals expected: comma-separated items as R() reads
 * them ("10.0.0.1", "10.0.0.0/8", "a-b"), in normalized order; "" = empty. */
static void assert_addrs(const vfp_addr_range *r, size_t n, const char *expected)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", expected);
    size_t i = 0;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save), i++) {
        if (i >= n)
            fail_msg("address list has %zu items, expected %s", n, expected);
        vfp_addr_range want = R(item);
        if (vfp_addr_compare(&want.lo, &r[i].lo) || vfp_addr_compare(&want.hi, &r[i].hi)) {
            char lo[VFP_ADDR_TEXT], hi[VFP_ADDR_TEXT];
            vfp_addr_format(&r[i].lo, lo);
            vfp_addr_format(&r[i].hi, hi);
            fail_msg("address item %zu is %s-%s, expected %s", i, lo, hi, item);
        }
    }
    assert_int_equal(n, i);
}

/* A port list equals expected ("80,8080-8090"; "" = empty). */
static void assert_ports(const vfp_port_range *p, size_t n, const char *expected)
{
    char got[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].lo == p[i].hi)
            used += (size_t)snprintf(got + used, sizeof got - used, "%s%u", i ? "," : "",
                                     (unsigned)p[i].lo);
        else
            used += (size_t)snprintf(got + used, sizeof got - used, "%s%u-%u", i ? "," : "",
                                     (unsigned)p[i].lo, (unsigned)p[i].hi);
    }
    assert_string_equal(got, expected);
}

/* A protocol list equals expected ("6,17"; "" = any). */
static void assert_protocols(const vfp_match *m, const char *expected)
{
    char got[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < m->n_protocols; i++)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%u", i ? "," : "",
                                 (unsigned)m->protocols[i]);
    assert_string_equal(got, expected);
}

/* Every list of a rule's match: protocols, local and remote addresses,
 * local and remote ports. */
static void assert_match(const vfp_rule *r, const char *protocols, const char *local,
                         const char *remote, const char *local_ports, const char *remote_ports)
{
    assert_protocols(&r->match, protocols);
    assert_addrs(r->match.local_addrs, r->match.n_local_addrs, local);
    assert_addrs(r->match.remote_addrs, r->match.n_remote_addrs, remote);
    assert_ports(r->match.local_ports, r->match.n_local_ports, local_ports);
    assert_ports(r->match.remote_ports, r->match.n_remote_ports, remote_ports);
}

static void assert_cookie(const vfp_rule *r, const char *object, int policy_index)
{
    assert_non_null(r->cookie.object_id);
    assert_string_equal(r->cookie.object_id, object);
    assert_int_equal(r->cookie.policy_index, policy_index);
    assert_non_null(r->cookie.text);
}

/* a is the address text, or family 0 when text is NULL. */
static void assert_addr(const vfp_addr *a, const char *text)
{
    if (!text) {
        assert_int_equal(a->family, 0);
        return;
    }
    char got[VFP_ADDR_TEXT];
    assert_int_equal(a->family, VFP_FAMILY_IPV4);
    vfp_addr_format(a, got);
    assert_string_equal(got, text);
}

/* An lbnat rule: its DIPs ("ip:port,..." in HNS order), flags,
 * distribution and source VIP (NULL = none). */
static void assert_lbnat(const vfp_rule *r, const char *dips, uint32_t flags, uint32_t distribution,
                         const char *source_vip)
{
    assert_int_equal(r->action.type, VFP_ACTION_LB_NAT);
    char got[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < r->action.u.lb_nat.n_dips; i++) {
        char a[VFP_ADDR_TEXT];
        vfp_addr_format(&r->action.u.lb_nat.dips[i].addr, a);
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%s:%u", i ? "," : "", a,
                                 (unsigned)r->action.u.lb_nat.dips[i].port);
    }
    assert_string_equal(got, dips);
    assert_int_equal(r->action.u.lb_nat.flags, flags);
    assert_int_equal(r->action.u.lb_nat.distribution, distribution);
    assert_addr(&r->action.u.lb_nat.source_vip, source_vip);
}

/* A translating rule as compile.c writes them: priority, terminating and
 * stateful, a flow TTL for the protocol. */
static void assert_nat_rule(const vfp_rule *r, uint32_t priority, uint32_t ttl)
{
    assert_int_equal(r->priority, priority);
    assert_int_equal(r->flags, VFP_RULE_TERMINATING | VFP_RULE_STATEFUL);
    assert_int_equal(r->flow_ttl, ttl);
}

static void assert_encap(const vfp_rule *r, uint32_t vni, const char *pa, const char *dr_mac)
{
    assert_int_equal(r->action.type, VFP_ACTION_ENCAP);
    assert_int_equal(r->action.u.encap.encap_type, VFP_ENCAP_VXLAN);
    assert_int_equal(r->action.u.encap.vni, vni);
    assert_addr(&r->action.u.encap.pa, pa);
    const uint8_t *m = r->action.u.encap.dr_mac;
    char got[18];
    snprintf(got, sizeof got, "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
    assert_string_equal(got, dr_mac);
    assert_int_equal(r->priority, 100);
    assert_int_equal(r->flags, VFP_RULE_TERMINATING);
}

/* The whole listing of rs (caller frees). */
static char *listing(const vfp_ruleset *rs)
{
    char *text = NULL;
    assert_vfp_ok(vfp_ruleset_format(rs, NULL, NULL, &text));
    assert_non_null(text);
    return text;
}

/* The layers of every endpoint port (compile.h's table). */
#define EP_LAYERS                                                                                  \
    "LB_DSR:10,SLB_LB_LAYER:20,FW_ADMIN_LAYER:30,SLB_NAT_LAYER:40,VNET_ROUTING_LAYER:50"

/* An L2Bridge node with two pods a (10.244.1.3) and b (10.244.1.4). */
typedef struct bridge_node {
    hnsm_instance *inst;
    char *net, *a, *b;
} bridge_node;

static bridge_node bridge_open(const char *profile, const char *a_policies, const char *b_policies)
{
    bridge_node n = {.inst = dp_hns(profile)};
    n.net = dp_network(n.inst, "cbr0", "L2Bridge", "10.244.1.0/24", "10.244.1.1", 0, "");
    n.a = dp_pod(n.inst, n.net, "a", "10.244.1.3", a_policies);
    n.b = dp_pod(n.inst, n.net, "b", "10.244.1.4", b_policies);
    return n;
}

static void bridge_close(bridge_node *n)
{
    free(n->net);
    free(n->a);
    free(n->b);
    hnsm_close(n->inst);
}

/* A rule id built with printf. */
static const char *rid(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *rid(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

/* ---------------------------------------------------------------------------
 * Port shapes
 */

/* A pod with no policies on a node with nothing else: every layer and group
 * of compile.h's table is there, empty; the host and external ports have
 * their one layer and group. */
static void test_empty_ports(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    memset(&stats, 0xff, sizeof stats);
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.skipped_ipv6, 0);
    assert_int_equal(stats.skipped_bad_lists, 0);
    assert_int_equal(stats.missing_backends, 0);
    assert_layers(rs, EP_LAYERS);
    assert_groups(rs, "LB_DSR", "LB_DSR_IPv4_OUT:10:OUT");
    assert_groups(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT:10:OUT");
    assert_groups(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN:10:IN,FW_GROUP_IPv4_OUT:10:OUT");
    assert_groups(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN:10:IN,SLB_GROUP_NAT_IPv4_OUT:10:OUT");
    assert_groups(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT:10:OUT:LPM");
    assert_int_equal(vfp_ruleset_layer(rs, "FW_ADMIN_LAYER")->default_action, VFP_LAYER_ACL);
    assert_int_equal(vfp_ruleset_layer(rs, "LB_DSR")->default_action, VFP_LAYER_CONTINUE);
    assert_int_equal(vfp_ruleset_layer(rs, "SLB_NAT_LAYER")->default_action, VFP_LAYER_CONTINUE);
    for (size_t i = 0; i < rs->n_layers; i++)
        for (size_t j = 0; j < rs->layers[i].n_groups; j++)
            assert_int_equal(rs->layers[i].groups[j]->n_rules, 0);
    vfp_ruleset_release(rs);

    rs = compile_host(v, &stats);
    assert_layers(rs, "LB:10");
    assert_groups(rs, "LB", "LB_OUT:10:OUT");
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 0);
    vfp_ruleset_release(rs);

    rs = compile_external(v, &stats);
    assert_layers(rs, "SLB_NAT_LAYER:10");
    assert_groups(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN:10:IN");
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 0);
    vfp_ruleset_release(rs);

    /* NULL stats are allowed. */
    rs = compile_ep(v, n.b, NULL);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* Bad arguments, and which endpoints get a port. */
static void test_arguments_and_ports(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *remote = dp_remote(n.inst, n.net, "10.244.2.9", "10.0.0.5");
    hns_view *v = take(n.inst);
    vfp_compile_options o = node_options();
    vfp_ruleset *rs = NULL;
    const hv_endpoint *a = endpoint(v, n.a);
    assert_int_equal(vfp_compile_endpoint(NULL, a, &o, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_endpoint(v, NULL, &o, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_endpoint(v, a, NULL, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_endpoint(v, a, &o, NULL, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_host(NULL, &o, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_host(v, NULL, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_host(v, &o, NULL, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_external(NULL, &o, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_external(v, NULL, &rs, NULL), VFP_EINVAL);
    assert_int_equal(vfp_compile_external(v, &o, NULL, NULL), VFP_EINVAL);
    assert_null(rs);

    assert_int_equal(vfp_endpoint_has_port(a), 1);
    assert_int_equal(vfp_endpoint_has_port(endpoint(v, remote)), 0);
    assert_int_equal(vfp_endpoint_has_port(NULL), 0);
    hv_endpoint no_ip = *a;
    memset(&no_ip.ip, 0, sizeof no_ip.ip);
    assert_int_equal(vfp_endpoint_has_port(&no_ip), 0);
    assert_string_equal(VFP_PORT_HOST_NAME, "Container NIC");
    assert_string_equal(VFP_PORT_EXTERNAL_NAME, "ExternalPort");
    hns_view_free(v);
    free(remote);
    bridge_close(&n);
}

/* ---------------------------------------------------------------------------
 * Load balancers
 */

/* A ClusterIP (mapping flags 0): one lbnat rule on every endpoint port,
 * frontend on the remote side, DIPs in HNS order with the internal port,
 * source = the node address (no SourceVIP); nothing on the host port
 * (field-bugs G1) nor on the external port. */
static void test_lb_clusterip(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.b, n.a};
    char *lb = dp_lb(n.inst, backends, 2, "10.96.0.10", 6, 80, 8080, 0, 0, NULL, 1);
    hns_view *v = take(n.inst);
    const char *id = "LB_" NODE_IP "_10.96.0.10_80_8080_6";
    const char *pods[] = {n.a, n.b};
    for (size_t i = 0; i < 2; i++) {
        vfp_compile_stats stats;
        vfp_ruleset *rs = compile_ep(v, pods[i], &stats);
        assert_int_equal(stats.missing_backends, 0);
        const vfp_group *g = group_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT");
        assert_rule_ids(g, id);
        const vfp_rule *r = &g->rules[0];
        assert_nat_rule(r, 100, VFP_TTL_TCP);
        assert_match(r, "6", "", "10.96.0.10", "", "80");
        assert_lbnat(r, "10.244.1.4:8080,10.244.1.3:8080", 0, 1, NODE_IP);
        assert_cookie(r, lb, -1);
        assert_string_equal(r->cookie.text, "LoadBalancer TCP 10.96.0.10:80 -> :8080");
        assert_int_equal(n_rules(rs, "LB_DSR", "LB_DSR_IPv4_OUT"), 0);
        vfp_ruleset_release(rs);
    }
    vfp_ruleset *rs = compile_host(v, NULL);
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 0);
    vfp_ruleset_release(rs);
    rs = compile_external(v, NULL);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* SourceVIP replaces the node address as the non-DSR source (compile.h
 * "non-DSR source"), in the data and in the rule id; UDP flows live 60 s. */
static void test_lb_source_vip(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.b};
    char *lb = dp_lb(n.inst, backends, 1, "10.96.0.10", 17, 53, 53, 0, 0, "10.244.1.2", 2);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    const vfp_rule *r =
        rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT", "LB_10.244.1.2_10.96.0.10_53_53_17");
    assert_nat_rule(r, 100, VFP_TTL_UDP);
    assert_match(r, "17", "", "10.96.0.10", "", "53");
    assert_lbnat(r, "10.244.1.4:53", 0, 2, "10.244.1.2");
    assert_string_equal(r->cookie.text, "LoadBalancer UDP 10.96.0.10:53 -> :53");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* LocalRoutedVIP (2) adds an LB_HOST_ rule in layer LB, group LB_OUT of the
 * host port (field-bugs G1), still not on the external port. */
static void test_lb_local_routed_vip(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.a, n.b};
    char *lb = dp_lb(n.inst, backends, 2, "10.96.0.10", 6, 443, 8443, 2, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_host(v, NULL);
    const vfp_group *g = group_of(rs, "LB", "LB_OUT");
    assert_rule_ids(g, "LB_HOST_" NODE_IP "_10.96.0.10_443_8443_6");
    const vfp_rule *r = &g->rules[0];
    assert_nat_rule(r, 100, VFP_TTL_TCP);
    assert_match(r, "6", "", "10.96.0.10", "", "443");
    assert_lbnat(r, "10.244.1.3:8443,10.244.1.4:8443", VFP_LB_LOCAL_ROUTED_VIP, 0, NODE_IP);
    assert_cookie(r, lb, -1);
    vfp_ruleset_release(rs);

    rs = compile_ep(v, n.a, NULL);
    r = rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT",
                "LB_" NODE_IP "_10.96.0.10_443_8443_6");
    assert_lbnat(r, "10.244.1.3:8443,10.244.1.4:8443", VFP_LB_LOCAL_ROUTED_VIP, 0, NODE_IP);
    vfp_ruleset_release(rs);

    rs = compile_external(v, NULL);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* VipExternalIP (16) adds a NAT_ rule on the external port, matching the
 * VIP and port on the local side (the destination of an arriving packet);
 * pods keep their LB_ rule, the host gets nothing. */
static void test_lb_vip_external_ip(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.a};
    char *lb = dp_lb(n.inst, backends, 1, "192.168.50.7", 6, 80, 8080, 16, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_external(v, NULL);
    const vfp_group *g = group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN");
    assert_int_equal(g->direction, VFP_DIR_IN);
    assert_rule_ids(g, "NAT_192.168.50.7_80_6");
    const vfp_rule *r = &g->rules[0];
    assert_nat_rule(r, 100, VFP_TTL_TCP);
    assert_match(r, "6", "192.168.50.7", "", "80", "");
    assert_lbnat(r, "10.244.1.3:8080", 16, 0, NODE_IP);
    assert_cookie(r, lb, -1);
    vfp_ruleset_release(rs);

    rs = compile_ep(v, n.b, NULL);
    r = rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT",
                "LB_" NODE_IP "_192.168.50.7_80_8080_6");
    assert_match(r, "6", "", "192.168.50.7", "", "80");
    vfp_ruleset_release(rs);

    rs = compile_host(v, NULL);
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* A NodePort LB (no FrontendVIPs) with flags 18 (LocalRoutedVIP |
 * VipExternalIP) matches the node address on all three sites. */
static void test_lb_nodeport(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.a, n.b};
    char *lb = dp_lb(n.inst, backends, 2, NULL, 6, 30080, 80, 18, 0, NULL, 0);
    hns_view *v = take(n.inst);

    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    const vfp_rule *r = rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT",
                                "LB_" NODE_IP "_" NODE_IP "_30080_80_6");
    assert_match(r, "6", "", NODE_IP, "", "30080");
    assert_lbnat(r, "10.244.1.3:80,10.244.1.4:80", 18, 0, NODE_IP);
    assert_cookie(r, lb, -1);
    vfp_ruleset_release(rs);

    rs = compile_host(v, NULL);
    r = rule_of(rs, "LB", "LB_OUT", "LB_HOST_" NODE_IP "_" NODE_IP "_30080_80_6");
    assert_match(r, "6", "", NODE_IP, "", "30080");
    assert_lbnat(r, "10.244.1.3:80,10.244.1.4:80", 18, 0, NODE_IP);
    vfp_ruleset_release(rs);

    rs = compile_external(v, NULL);
    const vfp_group *g = group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN");
    assert_rule_ids(g, "NAT_" NODE_IP "_30080_6");
    assert_match(&g->rules[0], "6", NODE_IP, "", "30080", "");
    assert_lbnat(&g->rules[0], "10.244.1.3:80,10.244.1.4:80", 18, 0, NODE_IP);
    assert_nat_rule(&g->rules[0], 100, VFP_TTL_TCP);
    vfp_ruleset_release(rs);

    /* Without a node address a NodePort has no frontend anywhere. */
    vfp_compile_options none = {0};
    assert_vfp_ok(vfp_compile_external(v, &none, &rs, NULL));
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 0);
    vfp_ruleset_release(rs);
    assert_vfp_ok(vfp_compile_endpoint(v, endpoint(v, n.a), &none, &rs, NULL));
    assert_int_equal(n_rules(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* A NodePort without LocalRoutedVIP (flags 0) is reachable from outside and
 * from pods, not from the host (G1: "the node's own NodePorts are
 * unreachable"). */
static void test_lb_nodeport_not_local_routed(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.b};
    char *lb = dp_lb(n.inst, backends, 1, NULL, 17, 30053, 53, 0, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_external(v, NULL);
    const vfp_rule *r =
        rule_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN", "NAT_" NODE_IP "_30053_17");
    assert_nat_rule(r, 100, VFP_TTL_UDP);
    assert_match(r, "17", NODE_IP, "", "30053", "");
    vfp_ruleset_release(rs);
    rs = compile_host(v, NULL);
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 0);
    vfp_ruleset_release(rs);
    rs = compile_ep(v, n.a, NULL);
    assert_int_equal(n_rules(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT"), 1);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* DSR LBs (LoadBalancerFlags 1) land in LB_DSR/LB_DSR_IPv4_OUT with the DSR
 * bit (0x100) and no source VIP, even when HNS has one; non-DSR LBs of the
 * same node stay in SLB_LB_LAYER. */
static void test_lb_dsr(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.a, n.b};
    char *dsr = dp_lb(n.inst, backends, 2, "10.96.0.20", 6, 80, 8080, 0, 1, "10.244.1.2", 1);
    char *plain = dp_lb(n.inst, backends, 2, "10.96.0.21", 6, 80, 8080, 0, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    const vfp_group *g = group_of(rs, "LB_DSR", "LB_DSR_IPv4_OUT");
    assert_rule_ids(g, "LB_DSR_0.0.0.0_10.96.0.20_80_8080_6");
    const vfp_rule *r = &g->rules[0];
    assert_nat_rule(r, 100, VFP_TTL_TCP);
    assert_match(r, "6", "", "10.96.0.20", "", "80");
    assert_lbnat(r, "10.244.1.3:8080,10.244.1.4:8080", VFP_LB_DSR, 1, NULL);
    assert_cookie(r, dsr, -1);
    assert_string_equal(r->cookie.text, "LoadBalancer TCP 10.96.0.20:80 -> :8080 DSR");
    assert_rule_ids(group_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT"),
                    "LB_" NODE_IP "_10.96.0.21_80_8080_6");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(dsr);
    free(plain);
    bridge_close(&n);
}

/* A backend that is no endpoint of the view is left out of the DIPs and
 * counted in missing_backends. */
static void test_lb_missing_backend(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *c = dp_pod(n.inst, n.net, "c", "10.244.1.5", "");
    char *backends[] = {n.a, c, n.b};
    char *lb = dp_lb(n.inst, backends, 3, "10.96.0.30", 6, 80, 80, 0, 0, NULL, 0);
    free(dp_call(n.inst, HNSM_ENDPOINT, HNSM_OP_DELETE, c, NULL, "%s", ""));
    hns_view *v = take(n.inst);
    assert_null(hns_view_endpoint(v, c));
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.missing_backends, 1);
    assert_int_equal(stats.skipped_ipv6, 0);
    const vfp_rule *r =
        rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT", "LB_" NODE_IP "_10.96.0.30_80_80_6");
    assert_lbnat(r, "10.244.1.3:80,10.244.1.4:80", 0, 0, NODE_IP);
    vfp_ruleset_release(rs);
    /* Not programmed on the host port: nothing looked at, nothing counted. */
    rs = compile_host(v, &stats);
    assert_int_equal(stats.missing_backends, 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    free(c);
    bridge_close(&n);
}

/* Remote endpoints are valid backends (their address, not a port). */
static void test_lb_remote_backend(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *remote = dp_remote(n.inst, n.net, "10.244.2.9", "10.0.0.5");
    char *backends[] = {remote, n.a};
    char *lb = dp_lb(n.inst, backends, 2, "10.96.0.40", 6, 80, 9090, 0, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.b, &stats);
    assert_int_equal(stats.missing_backends, 0);
    assert_lbnat(
        rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT", "LB_" NODE_IP "_10.96.0.40_80_9090_6"),
        "10.244.2.9:9090,10.244.1.3:9090", 0, 0, NODE_IP);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    free(remote);
    bridge_close(&n);
}

/* ---------------------------------------------------------------------------
 * ACLs
 */

#define ACL_ALLOW_WEB                                                                              \
    "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"allow-web\",\"Protocols\":\"6\",\"Action\":"         \
    "\"Allow\",\"Direction\":\"In\",\"LocalPorts\":\"80,8080-8090\",\"RemoteAddresses\":"          \
    "\"10.0.0.0/8\",\"Priority\":200}}"
#define ACL_BLOCK_DNS                                                                              \
    "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"Out\",\"Protocols\":"    \
    "\"6,17\",\"RemoteAddresses\":\"10.0.0.53,10.0.0.54\",\"RemotePorts\":\"53\","                 \
    "\"LocalAddresses\":"                                                                          \
    "\"10.244.1.3\",\"Priority\":300}}"
#define ACL_HOST                                                                                   \
    "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"host-allow\",\"Action\":\"Allow\",\"Direction\":"    \
    "\"Out\",\"RuleType\":\"Host\",\"Priority\":400}}"
#define ACL_HOST_NO_ID                                                                             \
    "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"In\",\"RuleType\":"      \
    "\"Host\",\"Protocols\":\"256\",\"Priority\":65500}}"
#define TIER_LATE                                                                                  \
    "{\"Type\":\"TierAcl\",\"Settings\":{\"Name\":\"late\",\"Direction\":\"In\",\"Order\":1001,"   \
    "\"TierAclRules\":[{\"Id\":\"late-allow\",\"Protocols\":\"6\",\"TierAclRuleAction\":"          \
    "\"Allow\",\"LocalPorts\":\"443\",\"Priority\":2001},{\"Id\":\"late-pass\",\"Protocols\":"     \
    "\"17\",\"TierAclRuleAction\":\"Pass\",\"RemoteAddresses\":\"10.244.0.0/16\",\"Priority\":"    \
    "2002}]}}"
#define TIER_EARLY                                                                                 \
    "{\"Type\":\"TierAcl\",\"Settings\":{\"Name\":\"early\",\"Direction\":\"Out\",\"Order\":"      \
    "1000,\"TierAclRules\":[{\"TierAclRuleAction\":\"Block\",\"RemoteAddresses\":"                 \
    "\"169.254.169.254\",\"Priority\":10}]}}"
#define TIER_BAD                                                                                   \
    "{\"Type\":\"TierAcl\",\"Settings\":{\"Name\":\"bad\",\"Direction\":\"In\",\"Order\":5,"       \
    "\"TierAclRules\":[{\"Id\":\"bad-list\",\"TierAclRuleAction\":\"Allow\",\"RemoteAddresses\":"  \
    "\"not-an-address\",\"Priority\":5},{\"Id\":\"bad-ports\",\"TierAclRuleAction\":\"Allow\","    \
    "\"LocalPorts\":\"80-\",\"Priority\":6},{\"Id\":\"good\",\"TierAclRuleAction\":\"Block\","     \
    "\"Priority\":7}]}}"
#define NETWORK_ACL                                                                                \
    ",\"Policies\":[{\"Type\":\"NetworkACL\",\"Settings\":{\"Id\":\"no-dns\",\"Protocols\":"       \
    "\"17\",\"Action\":\"Block\",\"Direction\":\"Out\",\"RemotePorts\":\"53\",\"Priority\":250}}," \
    "{\"Type\":\"NetworkACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","            \
    "\"Priority\":1000}}]"

/* Plain ACLs of both directions: FW_ADMIN_LAYER groups by direction, ACL
 * flags 8195 (field-bugs I1), priorities, lists, ids (Id, else
 * ACL_<endpoint>_<n>; RuleType Host adds HOST_), cookies with the policy
 * index. */
static void test_acl_plain(void **state)
{
    (void)state;
    bridge_node n =
        bridge_open(NULL, ACL_ALLOW_WEB "," ACL_BLOCK_DNS "," ACL_HOST "," ACL_HOST_NO_ID, "");
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.skipped_bad_lists, 0);
    assert_int_equal(stats.skipped_ipv6, 0);
    assert_groups(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN:10:IN,FW_GROUP_IPv4_OUT:10:OUT");

    char hostid[128];
    rid(hostid, sizeof hostid, "HOST_ACL_%s_3", n.a);
    char blockid[128];
    rid(blockid, sizeof blockid, "ACL_%s_1", n.a);

    const vfp_group *in = group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN");
    char want[512];
    snprintf(want, sizeof want, "allow-web,%s", hostid);
    assert_rule_ids(in, want);
    const vfp_rule *r = &in->rules[0];
    assert_int_equal(r->priority, 200);
    assert_int_equal(r->flags, VFP_RULE_FLAGS_ACL);
    assert_int_equal(r->flags, 8195);
    assert_int_equal(r->action.type, VFP_ACTION_ALLOW);
    assert_match(r, "6", "", "10.0.0.0/8", "80,8080-8090", "");
    assert_cookie(r, n.a, 0);
    assert_non_null(strstr(r->cookie.text, "Allow In prio 200 remote 10.0.0.0/8"));
    r = &in->rules[1];
    assert_int_equal(r->priority, 65500);
    assert_int_equal(r->action.type, VFP_ACTION_BLOCK);
    assert_int_equal(r->flags, VFP_RULE_FLAGS_ACL);
    /* 256 = any protocol; a Host rule sees only the host: remote = node address */
    assert_match(r, "", "", NODE_IP, "", "");
    assert_cookie(r, n.a, 3);

    const vfp_group *out = group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT");
    snprintf(want, sizeof want, "%s,HOST_host-allow", blockid);
    assert_rule_ids(out, want);
    r = &out->rules[0];
    assert_int_equal(r->priority, 300);
    assert_int_equal(r->action.type, VFP_ACTION_BLOCK);
    assert_match(r, "6,17", "10.244.1.3", "10.0.0.53-10.0.0.54", "", "53");
    assert_cookie(r, n.a, 1);
    assert_non_null(
        strstr(r->cookie.text, "Block Out prio 300 remote 10.0.0.53,10.0.0.54 ports 53"));
    r = &out->rules[1];
    assert_int_equal(r->priority, 400);
    assert_int_equal(r->action.type, VFP_ACTION_ALLOW);
    assert_match(r, "", "", NODE_IP, "", "");
    assert_cookie(r, n.a, 2);
    vfp_ruleset_release(rs);

    /* The other pod has no ACL rule at all. */
    rs = compile_ep(v, n.b, NULL);
    assert_int_equal(n_rules(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN"), 0);
    assert_int_equal(n_rules(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* NetworkACL policies (ws2025) are merged into every endpoint's FW groups
 * with the network as cookie object; TierAcl policies get one group per
 * tier after the plain groups, in Order, Pass rules with flags 0; a tier
 * rule whose list does not parse is skipped and counted. */
static void test_acl_network_and_tiers(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns("ws2025");
    char *net = dp_network(inst, "cbr0", "L2Bridge", "10.244.1.0/24", "10.244.1.1", 0, NETWORK_ACL);
    char *a = dp_pod(inst, net, "a", "10.244.1.3",
                     ACL_BLOCK_DNS "," TIER_LATE "," TIER_EARLY "," TIER_BAD);
    char *b = dp_pod(inst, net, "b", "10.244.1.4", "");
    hns_view *v = take(inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, a, &stats);
    assert_int_equal(stats.skipped_bad_lists, 2);
    assert_groups(rs, "FW_ADMIN_LAYER",
                  "FW_GROUP_IPv4_IN:10:IN,FW_GROUP_IPv4_OUT:10:OUT,FW_TIER_bad_IPv4_IN:105:IN,"
                  "FW_TIER_early_IPv4_OUT:1100:OUT,FW_TIER_late_IPv4_IN:1101:IN");

    char want[512], netacl1[128];
    rid(netacl1, sizeof netacl1, "ACL_%s_1", net);
    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN"), netacl1);
    const vfp_rule *r = rule_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN", netacl1);
    assert_int_equal(r->priority, 1000);
    assert_int_equal(r->action.type, VFP_ACTION_ALLOW);
    assert_cookie(r, net, 1);

    /* Network ACLs come first in the group; priority orders them anyway. */
    snprintf(want, sizeof want, "no-dns,ACL_%s_0", a);
    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT"), want);
    r = rule_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT", "no-dns");
    assert_int_equal(r->priority, 250);
    assert_int_equal(r->flags, VFP_RULE_FLAGS_ACL);
    assert_int_equal(r->action.type, VFP_ACTION_BLOCK);
    assert_match(r, "17", "", "", "", "53");
    assert_cookie(r, net, 0);

    const vfp_group *late = group_of(rs, "FW_ADMIN_LAYER", "FW_TIER_late_IPv4_IN");
    assert_rule_ids(late, "late-allow,late-pass");
    r = &late->rules[0];
    assert_int_equal(r->priority, 2001);
    assert_int_equal(r->flags, VFP_RULE_FLAGS_ACL);
    assert_int_equal(r->action.type, VFP_ACTION_ALLOW);
    assert_match(r, "6", "", "", "443", "");
    assert_cookie(r, a, 1);
    assert_string_equal(r->cookie.text, "TierAcl late Allow In prio 2001 local ports 443");
    r = &late->rules[1];
    assert_int_equal(r->priority, 2002);
    assert_int_equal(r->flags, 0);
    assert_int_equal(r->action.type, VFP_ACTION_PASS);
    assert_match(r, "17", "", "10.244.0.0/16", "", "");
    assert_cookie(r, a, 1);

    const vfp_group *early = group_of(rs, "FW_ADMIN_LAYER", "FW_TIER_early_IPv4_OUT");
    assert_int_equal(early->n_rules, 1);
    r = &early->rules[0];
    assert_int_equal(r->action.type, VFP_ACTION_BLOCK);
    assert_match(r, "", "", "169.254.169.254", "", "");
    assert_cookie(r, a, 2);
    /* No Id: ACL_<endpoint>_<policy index>_<rule index> for a TierAcl rule. */
    snprintf(want, sizeof want, "ACL_%s_2_3", a);
    assert_string_equal(r->id, want);

    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_TIER_bad_IPv4_IN"), "good");
    vfp_ruleset_release(rs);

    /* The other endpoint of the network gets the NetworkACLs too. */
    rs = compile_ep(v, b, &stats);
    assert_int_equal(stats.skipped_bad_lists, 0);
    assert_groups(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN:10:IN,FW_GROUP_IPv4_OUT:10:OUT");
    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN"), netacl1);
    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT"), "no-dns");
    vfp_ruleset_release(rs);

    /* ACLs are endpoint port rules only. */
    rs = compile_host(v, NULL);
    assert_null(vfp_ruleset_layer(rs, "FW_ADMIN_LAYER"));
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(a);
    free(b);
    free(net);
    hnsm_close(inst);
}

/* ---------------------------------------------------------------------------
 * OutBoundNAT
 */

/* win-bridge's OutBoundNAT: ALLOW_NAT_ exceptions first (priority 100,
 * terminating), then SNAT for TCP and UDP only - no ICMP rule (field-bugs
 * B5) - to the node address, with the pool names; NAT_INBOUND_ALLOW in the
 * IN group. */
static void test_outbound_nat(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, DP_OUTBOUND_NAT, "");
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    const vfp_group *out = group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT");
    assert_rule_ids(out, "ALLOW_NAT_10.244.0.0_16,ALLOW_NAT_10.96.0.0_12,ALLOW_NAT_10.0.0.0_24,"
                         "SNAT_TCP_" NODE_IP ",SNAT_UDP_" NODE_IP);
    const char *exceptions[] = {"10.244.0.0/16", "10.96.0.0/12", "10.0.0.0/24"};
    for (size_t i = 0; i < 3; i++) {
        const vfp_rule *r = &out->rules[i];
        assert_int_equal(r->priority, 100);
        assert_int_equal(r->flags, VFP_RULE_TERMINATING);
        assert_int_equal(r->action.type, VFP_ACTION_ALLOW);
        assert_match(r, "", "", exceptions[i], "", "");
        assert_cookie(r, n.a, 0);
    }
    const vfp_rule *tcp = &out->rules[3], *udp = &out->rules[4];
    assert_nat_rule(tcp, 1000, VFP_TTL_TCP);
    assert_nat_rule(udp, 1000, VFP_TTL_UDP);
    assert_match(tcp, "6", "", "", "", "");
    assert_match(udp, "17", "", "", "", "");
    assert_int_equal(tcp->action.type, VFP_ACTION_SNAT);
    assert_addr(&tcp->action.u.snat.vip, NODE_IP);
    assert_string_equal(tcp->action.u.snat.pool, "SLB_NATPOOL_IPV4_TCP_" NODE_IP);
    assert_addr(&udp->action.u.snat.vip, NODE_IP);
    assert_string_equal(udp->action.u.snat.pool, "SLB_NATPOOL_IPV4_UDP_" NODE_IP);
    assert_cookie(tcp, n.a, 0);
    assert_string_equal(tcp->cookie.text, "OutBoundNAT TCP -> " NODE_IP);
    for (size_t i = 0; i < out->n_rules; i++)
        for (size_t k = 0; k < out->rules[i].match.n_protocols; k++)
            assert_int_not_equal(out->rules[i].match.protocols[k], VFP_PROTO_ICMP);

    const vfp_group *in = group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN");
    assert_rule_ids(in, "NAT_INBOUND_ALLOW");
    assert_nat_rule(&in->rules[0], 100, VFP_TTL_TCP);
    assert_int_equal(in->rules[0].action.type, VFP_ACTION_ALLOW);
    assert_match(&in->rules[0], "", "", "", "", "");
    assert_cookie(&in->rules[0], n.a, -1);
    vfp_ruleset_release(rs);

    /* No OutBoundNAT: no SNAT and no NAT_INBOUND_ALLOW. */
    rs = compile_ep(v, n.b, NULL);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 0);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* VirtualIP replaces the node address; Destinations restrict the SNAT rules
 * to those prefixes; IPv6 items are skipped and counted; the policy index
 * is the OutBoundNAT's place in Policies. */
static void test_outbound_nat_vip_destinations(void **state)
{
    (void)state;
    bridge_node n =
        bridge_open(NULL,
                    ACL_HOST ",{\"Type\":\"OutBoundNAT\",\"Settings\":{\"VirtualIP\":\"10.0.0.99\","
                             "\"Exceptions\":[\"10.244.0.0/16\",\"fd00::/64\"],\"Destinations\":"
                             "[\"192.168.0.0/16\",\"172.16.0.0/12\"]}}",
                    "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Destinations\":[\"fd00::/64\"]}}");
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.skipped_ipv6, 1);
    const vfp_group *out = group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT");
    assert_rule_ids(out, "ALLOW_NAT_10.244.0.0_16,SNAT_TCP_10.0.0.99,SNAT_UDP_10.0.0.99");
    assert_cookie(&out->rules[0], n.a, 1);
    for (size_t i = 1; i < 3; i++) {
        const vfp_rule *r = &out->rules[i];
        assert_match(r, i == 1 ? "6" : "17", "", "172.16.0.0/12,192.168.0.0/16", "", "");
        assert_addr(&r->action.u.snat.vip, "10.0.0.99");
        assert_cookie(r, n.a, 1);
    }
    assert_string_equal(out->rules[1].action.u.snat.pool, "SLB_NATPOOL_IPV4_TCP_10.0.0.99");
    assert_rule_ids(group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), "NAT_INBOUND_ALLOW");
    vfp_ruleset_release(rs);

    /* Destinations given, none IPv4: nothing to SNAT, but inbound flows are
     * still kept. */
    rs = compile_ep(v, n.b, NULL);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT"), 0);
    assert_rule_ids(group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), "NAT_INBOUND_ALLOW");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* ---------------------------------------------------------------------------
 * Port mappings (hostPort)
 */

#define HOSTPORT_TCP                                                                               \
    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"                  \
    "\"ExternalPort\":8081}}"
#define HOSTPORT_UDP_LOCAL                                                                         \
    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53,"                 \
    "\"ExternalPort\":5353,\"VIP\":\"10.0.0.44\",\"Flags\":1}}"

/* A PortMapping is a DNAT on the external port (frontend = VIP, else the
 * node address, on the local side; source kept: no source VIP), and on the
 * host port only with NatFlags LocalRoutedVip (field-bugs K1). */
static void test_port_mapping(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, DP_OUTBOUND_NAT "," HOSTPORT_TCP, HOSTPORT_UDP_LOCAL);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_external(v, NULL);
    const vfp_group *g = group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN");
    /* The view is sorted by endpoint id; look the rules up by id. */
    assert_int_equal(g->n_rules, 2);
    const vfp_rule *r =
        rule_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN", "NAT_" NODE_IP "_8081_6_HOSTPORT");
    assert_nat_rule(r, 100, VFP_TTL_TCP);
    assert_match(r, "6", NODE_IP, "", "8081", "");
    assert_lbnat(r, "10.244.1.3:80", 0, 0, NULL);
    assert_cookie(r, n.a, 1);
    assert_string_equal(r->cookie.text, "PortMapping TCP " NODE_IP ":8081 -> 10.244.1.3:80");
    r = rule_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN", "NAT_10.0.0.44_5353_17_HOSTPORT");
    assert_nat_rule(r, 100, VFP_TTL_UDP);
    assert_match(r, "17", "10.0.0.44", "", "5353", "");
    assert_lbnat(r, "10.244.1.4:53", 0, 0, NULL);
    assert_cookie(r, n.b, 0);
    vfp_ruleset_release(rs);

    rs = compile_host(v, NULL);
    g = group_of(rs, "LB", "LB_OUT");
    assert_rule_ids(g, "LB_HOST_0.0.0.0_10.0.0.44_5353_53_17_HOSTPORT");
    r = &g->rules[0];
    assert_nat_rule(r, 100, VFP_TTL_UDP);
    assert_match(r, "17", "", "10.0.0.44", "", "5353");
    assert_lbnat(r, "10.244.1.4:53", 0, 0, NULL);
    assert_cookie(r, n.b, 0);
    vfp_ruleset_release(rs);

    /* Not on the pods' own ports. */
    rs = compile_ep(v, n.a, NULL);
    assert_int_equal(n_rules(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT"), 0);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 1);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* Port mappings come before LB frontends on the external port. */
static void test_port_mapping_and_nodeport(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, HOSTPORT_TCP, "");
    char *backends[] = {n.b};
    char *lb = dp_lb(n.inst, backends, 1, NULL, 6, 30080, 80, 0, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_external(v, NULL);
    assert_rule_ids(group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"),
                    "NAT_" NODE_IP "_8081_6_HOSTPORT,NAT_" NODE_IP "_30080_6");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    bridge_close(&n);
}

/* ---------------------------------------------------------------------------
 * Overlay and routes
 */

#define DR_MAC "00-15-5D-AA-BB-01"
#define PEER_DR_MAC "00-15-5D-AA-BB-02"

/* The network policies of a flannel VXLAN network on node 10.0.0.4 with a
 * peer 10.0.0.5 owning 10.244.2.0/24; host_route adds HostRoute. */
static char *overlay_network(hnsm_instance *inst, int host_route)
{
    char extra[1024];
    snprintf(extra, sizeof extra,
             ",\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":"
             "\"" NODE_IP "\"}},{\"Type\":\"DrMacAddress\",\"Settings\":{\"Address\":\"" DR_MAC
             "\"}},{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":"
             "\"10.244.2.0/24\",\"IsolationId\":4097,\"ProviderAddress\":\"10.0.0.5\","
             "\"DistributedRouterMacAddress\":\"" PEER_DR_MAC "\"}}%s]",
             host_route ? ",{\"Type\":\"HostRoute\",\"Settings\":{}}" : "");
    return dp_network(inst, "vxlan0", "Overlay", "10.244.1.0/24", "10.244.1.1", 4096, extra);
}

#define SDN_ROUTES                                                                                 \
    "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.96.0.0/12\","                 \
    "\"NeedEncap\":true}},{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":"             \
    "\"" NODE_IP "/32\",\"NextHop\":\"10.244.1.1\"}}"

/* An Overlay network: one routeencap rule per remote endpoint with a
 * ProviderAddress (REMOTE_EP_<ip>, VNI from the VSID, the network's DR MAC)
 * and per RemoteSubnetRoute (its VNI, PA and DR MAC), in an LPM group;
 * SDNRoute policies become paroute rules in the same group; the external
 * port gets the encap routes in VNET_GROUP_PA_ROUTE_IPV4_IN with local-side
 * matches, after DECAP_IN (field-bugs E1); the host port gets none without
 * HostRoute. */
static void test_overlay(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = overlay_network(inst, 0);
    char *pod = dp_pod(inst, net, "web", "10.244.1.10", DP_OUTBOUND_NAT "," SDN_ROUTES);
    char *remote = dp_remote(inst, net, "10.244.3.7", "10.0.0.6");
    char *no_pa = dp_remote(inst, net, "10.244.3.8", NULL);
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_ep(v, pod, NULL);
    const vfp_group *g = group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT");
    assert_int_equal(g->match_type, VFP_MATCH_LPM);
    /* Longest prefix first. */
    assert_rule_ids(g,
                    "REMOTE_EP_10.244.3.7,SDNROUTE_" NODE_IP "_32,REMOTESUBNETROUTE_10.244.2.0_24,"
                    "SDNROUTE_10.96.0.0_12");
    const vfp_rule *r = &g->rules[0];
    assert_encap(r, 4096, "10.0.0.6", DR_MAC);
    assert_match(r, "", "", "10.244.3.7", "", "");
    assert_cookie(r, remote, -1);
    assert_string_equal(r->cookie.text, "remote endpoint 10.244.3.7 via PA 10.0.0.6");
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT",
                "REMOTESUBNETROUTE_10.244.2.0_24");
    assert_encap(r, 4097, "10.0.0.5", PEER_DR_MAC);
    assert_match(r, "", "", "10.244.2.0/24", "", "");
    assert_cookie(r, net, 2);
    assert_string_equal(r->cookie.text, "RemoteSubnetRoute 10.244.2.0/24 via PA 10.0.0.5 VNI 4097");
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT", "SDNROUTE_10.96.0.0_12");
    assert_int_equal(r->action.type, VFP_ACTION_ROUTE);
    assert_addr(&r->action.u.route.next_hop, NULL);
    assert_int_equal(r->flags, VFP_RULE_TERMINATING);
    assert_int_equal(r->priority, 100);
    assert_match(r, "", "", "10.96.0.0/12", "", "");
    assert_cookie(r, pod, 1);
    assert_string_equal(r->cookie.text, "SDNRoute 10.96.0.0/12 -> on-link NeedEncap");
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT",
                "SDNROUTE_" NODE_IP "_32");
    assert_addr(&r->action.u.route.next_hop, "10.244.1.1");
    assert_cookie(r, pod, 2);
    /* No rule for the remote endpoint without a provider address. */
    assert_null(vfp_group_rule(g, "REMOTE_EP_10.244.3.8"));
    /* An OUT packet to the peer's subnet picks the subnet route, one to the
     * remote endpoint its /32. */
    vfp_key key;
    vfp_packet p = P(VFP_DIR_OUT, VFP_PROTO_TCP, "10.244.1.10", 40000, "10.244.2.9", 80);
    vfp_key_from_packet(&p, &key);
    assert_string_equal(vfp_group_classify(g, &key)->id, "REMOTESUBNETROUTE_10.244.2.0_24");
    vfp_ruleset_release(rs);

    rs = compile_external(v, NULL);
    assert_layers(rs, VFP_DECAP_LAYER ":1,VNET_ROUTING_LAYER:5,SLB_NAT_LAYER:10");
    assert_groups(rs, VFP_DECAP_LAYER, VFP_DECAP_GROUP ":10:IN");
    assert_groups(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_IN:10:IN:LPM");
    /* DECAP_IN: the outer VXLAN packet of the network's VNI (UDP 4789 to the
     * node) is accepted, and so is the VNI a remote subnet route names. */
    g = group_of(rs, VFP_DECAP_LAYER, VFP_DECAP_GROUP);
    char decap[64];
    vfp_decap_rule_id(4096, decap, sizeof decap);
    assert_string_equal(decap, "DECAP_VXLAN_4096");
    assert_rule_ids(g, "DECAP_VXLAN_4096,DECAP_VXLAN_4097");
    r = &g->rules[0];
    assert_int_equal(r->action.type, VFP_ACTION_ALLOW);
    assert_int_equal(r->flags, VFP_RULE_TERMINATING);
    assert_int_equal(r->priority, 100);
    assert_match(r, "17", NODE_IP, "", "4789", "");
    assert_cookie(r, net, -1);
    assert_string_equal(r->cookie.text, "VXLAN VNI 4096 of network vxlan0");
    g = group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_IN");
    assert_int_equal(g->n_rules, 2);
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_IN", "REMOTE_EP_10.244.3.7");
    assert_encap(r, 4096, "10.0.0.6", DR_MAC);
    assert_match(r, "", "10.244.3.7", "", "", "");
    assert_cookie(r, remote, -1);
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_IN",
                "REMOTESUBNETROUTE_10.244.2.0_24");
    assert_encap(r, 4097, "10.0.0.5", PEER_DR_MAC);
    assert_match(r, "", "10.244.2.0/24", "", "", "");
    vfp_ruleset_release(rs);

    rs = compile_host(v, NULL);
    assert_layers(rs, "LB:10");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(pod);
    free(remote);
    free(no_pa);
    free(net);
    hnsm_close(inst);
}

/* With a HostRoute policy the host vNIC gets the overlay routes (OUT,
 * remote side) in VNET_ROUTING_LAYER after its LB layer. */
static void test_overlay_host_route(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = overlay_network(inst, 1);
    char *pod = dp_pod(inst, net, "web", "10.244.1.10", "");
    char *remote = dp_remote(inst, net, "10.244.3.7", "10.0.0.6");
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_host(v, NULL);
    assert_layers(rs, "LB:10,VNET_ROUTING_LAYER:20");
    assert_groups(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT:10:OUT:LPM");
    const vfp_group *g = group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT");
    assert_rule_ids(g, "REMOTE_EP_10.244.3.7,REMOTESUBNETROUTE_10.244.2.0_24");
    assert_match(&g->rules[0], "", "", "10.244.3.7", "", "");
    assert_encap(&g->rules[0], 4096, "10.0.0.6", DR_MAC);
    assert_match(&g->rules[1], "", "", "10.244.2.0/24", "", "");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(pod);
    free(remote);
    free(net);
    hnsm_close(inst);
}

/* The decapsulation layer: one DECAP_VXLAN_<vni> rule per distinct VSID of
 * the Overlay networks, on the network's VxlanPort; no layer without an
 * Overlay network. */
static void test_overlay_decap(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = dp_call(
        inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
        "{\"Name\":\"vxlan0\",\"Type\":\"Overlay\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":["
        "{\"IpAddressPrefix\":\"10.244.1.0/24\",\"Policies\":[{\"Type\":\"VSID\",\"Settings\":"
        "{\"IsolationId\":4096}}]},{\"IpAddressPrefix\":\"10.245.0.0/16\",\"Policies\":[{\"Type\":"
        "\"VSID\",\"Settings\":{\"IsolationId\":5001}}]},{\"IpAddressPrefix\":\"10.246.0.0/16\","
        "\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}]}]}],"
        "\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"" NODE_IP
        "\"}},{\"Type\":\"VxlanPort\",\"Settings\":{\"Port\":4790}}]," DP_V2 "}");
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_external(v, NULL);
    const vfp_group *g = group_of(rs, VFP_DECAP_LAYER, VFP_DECAP_GROUP);
    assert_rule_ids(g, "DECAP_VXLAN_4096,DECAP_VXLAN_5001");
    for (size_t i = 0; i < g->n_rules; i++) {
        assert_match(&g->rules[i], "17", NODE_IP, "", "4790", "");
        assert_cookie(&g->rules[i], net, -1);
    }
    vfp_ruleset_release(rs);
    /* Without a node address the rule takes any local address. */
    vfp_compile_options none = {0};
    assert_vfp_ok(vfp_compile_external(v, &none, &rs, NULL));
    g = group_of(rs, VFP_DECAP_LAYER, VFP_DECAP_GROUP);
    assert_match(&g->rules[0], "17", "", "", "4790", "");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(net);
    hnsm_close(inst);
}

/* The VNI of a remote endpoint is the VSID of the subnet holding it, else
 * the network's first VSID. */
static void test_overlay_vni_per_subnet(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = dp_call(
        inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
        "{\"Name\":\"vxlan0\",\"Type\":\"Overlay\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":["
        "{\"IpAddressPrefix\":\"10.244.1.0/24\",\"Policies\":[{\"Type\":\"VSID\",\"Settings\":"
        "{\"IsolationId\":4096}}],\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":"
        "\"0.0.0.0/0\"}]},{\"IpAddressPrefix\":\"10.245.0.0/16\",\"Policies\":[{\"Type\":\"VSID\","
        "\"Settings\":{\"IsolationId\":5001}}],\"Routes\":[{\"NextHop\":\"10.245.0.1\","
        "\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}],\"Policies\":[{\"Type\":\"ProviderAddress\","
        "\"Settings\":{\"ProviderAddress\":\"" NODE_IP "\"}}]," DP_V2 "}");
    char *pod = dp_pod(inst, net, "web", "10.244.1.10", "");
    char *r1 = dp_remote(inst, net, "10.245.3.7", "10.0.0.6");
    char *r2 = dp_remote(inst, net, "10.246.0.9", "10.0.0.7");
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_ep(v, pod, NULL);
    /* Without a DrMacAddress policy in the request HNS picks the network's
     * DR MAC itself; the rules carry whatever the view says. */
    const hv_network *hn = hns_view_network(v, net);
    assert_non_null(hn);
    char mac[18] = "00-00-00-00-00-00";
    if (hn->has_dr_mac)
        snprintf(mac, sizeof mac, "%02X-%02X-%02X-%02X-%02X-%02X", hn->dr_mac[0], hn->dr_mac[1],
                 hn->dr_mac[2], hn->dr_mac[3], hn->dr_mac[4], hn->dr_mac[5]);
    assert_encap(
        rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT", "REMOTE_EP_10.245.3.7"),
        5001, "10.0.0.6", mac);
    assert_encap(
        rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT", "REMOTE_EP_10.246.0.9"),
        4096, "10.0.0.7", mac);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(pod);
    free(r1);
    free(r2);
    free(net);
    hnsm_close(inst);
}

/* An L2Bridge network has no encapsulation: remote endpoints with a
 * provider address give no rule; only SDNRoute paroutes are in the VNET
 * group; nothing on the external or host port. */
static void test_l2bridge_no_encap(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, SDN_ROUTES, "");
    char *remote = dp_remote(n.inst, n.net, "10.244.2.9", "10.0.0.5");
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    const vfp_group *g = group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT");
    assert_rule_ids(g, "SDNROUTE_" NODE_IP "_32,SDNROUTE_10.96.0.0_12");
    for (size_t i = 0; i < g->n_rules; i++)
        assert_int_equal(g->rules[i].action.type, VFP_ACTION_ROUTE);
    vfp_ruleset_release(rs);
    rs = compile_external(v, NULL);
    assert_layers(rs, "SLB_NAT_LAYER:10");
    assert_null(vfp_ruleset_layer(rs, VFP_DECAP_LAYER));
    vfp_ruleset_release(rs);
    rs = compile_host(v, NULL);
    assert_layers(rs, "LB:10");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(remote);
    bridge_close(&n);
}

/* ---------------------------------------------------------------------------
 * Whole listings
 */

#define G_NET "C0000000-0000-4000-8000-00000000000A"
#define G_WEB "E0000000-0000-4000-8000-000000000001"
#define G_DB "D0000000-0000-4000-8000-000000000002"
#define G_REMOTE "A0000000-0000-4000-8000-000000000003"
#define G_LB_DNS "1B000000-0000-4000-8000-000000000001"
#define G_LB_DSR "2B000000-0000-4000-8000-000000000002"
#define G_LB_NODEPORT "3B000000-0000-4000-8000-000000000003"

/* A realistic ws2025 overlay node: flannel VXLAN network, a web pod with
 * win-overlay's OutBoundNAT and SDNRoute, Calico-style ACLs and a tier, a
 * db pod, a remote pod, and kube-proxy's ClusterIP (with SourceVIP), DSR
 * and NodePort load balancers. */
static hnsm_instance *golden_node(void)
{
    hnsm_instance *inst = dp_hns("ws2025");
    free(dp_call(
        inst, HNSM_NETWORK, HNSM_OP_CREATE, G_NET, NULL,
        "{\"Name\":\"vxlan0\",\"Type\":\"Overlay\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
        "\"IpAddressPrefix\":\"10.244.1.0/24\",\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{"
        "\"IsolationId\":4096}}],\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":"
        "\"0.0.0.0/0\"}]}]}],\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{"
        "\"ProviderAddress\":\"" NODE_IP
        "\"}},{\"Type\":\"DrMacAddress\",\"Settings\":{\"Address\":"
        "\"" DR_MAC "\"}},{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":"
        "\"10.244.2.0/24\",\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.5\","
        "\"DistributedRouterMacAddress\":\"" PEER_DR_MAC "\"}}]," DP_V2 "}"));
    free(dp_call(
        inst, HNSM_ENDPOINT, HNSM_OP_CREATE, G_WEB, G_NET,
        "{\"Name\":\"web\",\"IpConfigurations\":[{\"IpAddress\":\"10.244.1.10\","
        "\"PrefixLength\":24}],\"Policies\":[" DP_OUTBOUND_NAT ","
        "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.96.0.0/12\","
        "\"NeedEncap\":true}},"
        "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"allow-http\",\"Protocols\":\"6\","
        "\"Action\":\"Allow\",\"Direction\":\"In\",\"LocalPorts\":\"80\","
        "\"RemoteAddresses\":\"10.244.0.0/16\",\"Priority\":200}},"
        "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"deny-in\",\"Protocols\":\"256\","
        "\"Action\":\"Block\",\"Direction\":\"In\",\"Priority\":65500}},"
        "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"allow-out\",\"Action\":\"Allow\","
        "\"Direction\":\"Out\",\"Priority\":1000}}," TIER_EARLY "],"
        "\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]," DP_V2
        "}"));
    free(dp_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, G_DB, G_NET,
                 "{\"Name\":\"db\",\"IpConfigurations\":[{\"IpAddress\":\"10.244.1.11\","
                 "\"PrefixLength\":24}],\"Policies\":[" DP_OUTBOUND_NAT "]," DP_V2 "}"));
    free(dp_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, G_REMOTE, G_NET,
                 "{\"Name\":\"remote\",\"Flags\":1,\"IpConfigurations\":[{\"IpAddress\":"
                 "\"10.244.2.7\"}],\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{"
                 "\"ProviderAddress\":\"10.0.0.5\"}}]," DP_V2 "}"));
    free(dp_call(inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, G_LB_DNS, NULL,
                 "{\"HostComputeEndpoints\":[\"" G_DB "\",\"" G_REMOTE "\"],\"SourceVIP\":"
                 "\"10.244.1.2\",\"FrontendVIPs\":[\"10.96.0.10\"],\"PortMappings\":["
                 "{\"Protocol\":17,\"InternalPort\":53,\"ExternalPort\":53,\"Flags\":2},"
                 "{\"Protocol\":6,\"InternalPort\":53,\"ExternalPort\":53,\"Flags\":2}]," DP_V2
                 "}"));
    free(dp_call(inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, G_LB_DSR, NULL,
                 "{\"HostComputeEndpoints\":[\"" G_WEB "\",\"" G_REMOTE "\"],\"FrontendVIPs\":"
                 "[\"10.96.0.20\"],\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":8080,"
                 "\"ExternalPort\":80,\"DistributionType\":1}],\"Flags\":1," DP_V2 "}"));
    free(dp_call(inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, G_LB_NODEPORT, NULL,
                 "{\"HostComputeEndpoints\":[\"" G_WEB "\"],\"SourceVIP\":\"10.244.1.2\","
                 "\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":8080,\"ExternalPort\":30080,"
                 "\"Flags\":18}]," DP_V2 "}"));
    return inst;
}

/* Every port of a view, listed one after the other (caller frees). */
static char *all_listings(hnsm_instance *inst)
{
    hns_view *v = take(inst);
    size_t size = 1;
    char *all = calloc(1, 1);
    assert_non_null(all);
    for (size_t i = 0; i < v->n_endpoints + 2; i++) {
        vfp_ruleset *rs;
        if (i < v->n_endpoints) {
            if (!vfp_endpoint_has_port(&v->endpoints[i]))
                continue;
            rs = compile_ep(v, v->endpoints[i].id, NULL);
        } else {
            rs = i == v->n_endpoints ? compile_host(v, NULL) : compile_external(v, NULL);
        }
        char *text = listing(rs);
        size_t len = strlen(rs->port) + strlen(text) + 8;
        all = realloc(all, size + len);
        assert_non_null(all);
        size += (size_t)snprintf(all + size - 1, len, "PORT %s\n%s", rs->port, text);
        free(text);
        vfp_ruleset_release(rs);
    }
    hns_view_free(v);
    return all;
}

/* The web pod's port of the realistic node, as `vfpctrl /list-rule` would
 * show it, is the golden file compile_endpoint.txt. */
static void test_golden_endpoint(void **state)
{
    (void)state;
    hnsm_instance *inst = golden_node();
    hns_view *v = take(inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, G_WEB, &stats);
    assert_int_equal(stats.skipped_ipv6, 0);
    assert_int_equal(stats.skipped_bad_lists, 0);
    assert_int_equal(stats.missing_backends, 0);
    char *text = listing(rs);
    assert_golden("compile_endpoint.txt", text);
    free(text);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    hnsm_close(inst);
}

/* The same HNS state compiles to the same bytes: twice from one view, and
 * from a second instance built the same way. */
static void test_byte_stable(void **state)
{
    (void)state;
    hnsm_instance *one = golden_node();
    hnsm_instance *two = golden_node();
    char *a = all_listings(one);
    char *b = all_listings(one);
    char *c = all_listings(two);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_non_null(strstr(a, "PORT " G_WEB "\n"));
    assert_non_null(strstr(a, "PORT " G_DB "\n"));
    assert_null(strstr(a, "PORT " G_REMOTE "\n"));
    assert_non_null(strstr(a, "PORT " VFP_PORT_HOST_NAME "\n"));
    assert_non_null(strstr(a, "PORT " VFP_PORT_EXTERNAL_NAME "\n"));
    free(a);
    free(b);
    free(c);
    hnsm_close(one);
    hnsm_close(two);
}

/* ---------------------------------------------------------------------------
 * Regressions of the review fixes (one test per fix; each failed before it)
 */

/* Fix 1: an ACL whose address list mixes families (RemoteAddresses
 * "10.0.0.0/8,fd00::/64") lost its IPv4 items: the mixed list went to the
 * IPv4 group whole and the compiler refused the port (VFP_EFAMILY). The IPv4
 * items now make the rule, the IPv6 ones are dropped silently; an all-IPv6
 * list still skips the ACL and counts it in skipped_ipv6. */
#define ACL_MIXED_REMOTE                                                                           \
    "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"mixed-remote\",\"Protocols\":\"6\",\"Action\":"      \
    "\"Allow\",\"Direction\":\"In\",\"RemoteAddresses\":\"10.0.0.0/8,fd00::/64\",\"Priority\":"    \
    "200}}"
#define ACL_MIXED_LOCAL                                                                            \
    "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"mixed-local\",\"Action\":\"Block\",\"Direction\":"   \
    "\"Out\",\"LocalAddresses\":\"fd00::3,10.244.1.3\",\"RemoteAddresses\":"                       \
    "\"fd00::53,10.0.0.53\",\"Priority\":300}}"
#define ACL_IPV6_ONLY                                                                              \
    "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"v6-only\",\"Action\":\"Block\",\"Direction\":"       \
    "\"In\",\"RemoteAddresses\":\"fd00::/64,fd01::1\",\"Priority\":100}}"

static void test_acl_mixed_family_list_keeps_ipv4_items(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, ACL_MIXED_REMOTE "," ACL_MIXED_LOCAL "," ACL_IPV6_ONLY, "");
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.skipped_ipv6, 1); /* v6-only */
    assert_int_equal(stats.skipped_bad_lists, 0);
    const vfp_group *in = group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN");
    assert_rule_ids(in, "mixed-remote");
    assert_match(&in->rules[0], "6", "", "10.0.0.0/8", "", "");
    const vfp_group *out = group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT");
    assert_rule_ids(out, "mixed-local");
    assert_match(&out->rules[0], "", "10.244.1.3", "10.0.0.53", "", "");
    /* The IPv4 part works as a rule: 10.1.2.3 -> pod port 80 is allowed. */
    vfp_key key;
    vfp_packet p = P(VFP_DIR_IN, VFP_PROTO_TCP, "10.1.2.3", 40000, "10.244.1.3", 80);
    vfp_key_from_packet(&p, &key);
    const vfp_rule *r = vfp_group_classify(in, &key);
    assert_non_null(r);
    assert_string_equal(r->id, "mixed-remote");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* Fix 2: an LPM group ranked its rules by the remote prefix whatever its
 * direction. The external port's VNET_GROUP_PA_ROUTE_IPV4_IN matches the
 * destination on the local side and has no remote prefix, so it kept
 * insertion order: a packet for 10.244.2.9 took the /16 route added first
 * instead of the /24. LPM now ranks by the destination: the remote address
 * of an OUT group, the local address of an IN group (ruleset.c
 * lpm_prefixes), and the one-prefix rule applies to that side. */
static void test_lpm_in_group_ranks_the_local_prefix(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = dp_network(
        inst, "vxlan0", "Overlay", "10.244.1.0/24", "10.244.1.1", 4096,
        ",\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"" NODE_IP
        "\"}},{\"Type\":\"DrMacAddress\",\"Settings\":{\"Address\":\"" DR_MAC "\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.0.0/16\","
        "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.5\",\"DistributedRouterMacAddress\":"
        "\"" PEER_DR_MAC "\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.2.0/24\","
        "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.6\",\"DistributedRouterMacAddress\":"
        "\"" PEER_DR_MAC "\"}}]");
    char *pod = dp_pod(inst, net, "web", "10.244.1.10", "");
    hns_view *v = take(inst);

    vfp_ruleset *rs = compile_external(v, NULL);
    const vfp_group *g = group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_IN");
    assert_int_equal(g->match_type, VFP_MATCH_LPM);
    assert_rule_ids(g, "REMOTESUBNETROUTE_10.244.2.0_24,REMOTESUBNETROUTE_10.244.0.0_16");
    vfp_key key;
    vfp_packet p = P(VFP_DIR_IN, VFP_PROTO_TCP, "192.168.1.9", 40000, "10.244.2.9", 80);
    vfp_key_from_packet(&p, &key);
    assert_string_equal(vfp_group_classify(g, &key)->id, "REMOTESUBNETROUTE_10.244.2.0_24");
    assert_addr(&vfp_group_classify(g, &key)->action.u.encap.pa, "10.0.0.6");
    p = P(VFP_DIR_IN, VFP_PROTO_TCP, "192.168.1.9", 40000, "10.244.7.9", 80);
    vfp_key_from_packet(&p, &key);
    assert_string_equal(vfp_group_classify(g, &key)->id, "REMOTESUBNETROUTE_10.244.0.0_16");
    vfp_ruleset_release(rs);

    /* The OUT group of a pod ranks the remote side, as before. */
    rs = compile_ep(v, pod, NULL);
    assert_rule_ids(group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT"),
                    "REMOTESUBNETROUTE_10.244.2.0_24,REMOTESUBNETROUTE_10.244.0.0_16");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(pod);
    free(net);
    hnsm_close(inst);

    /* The builder's one-prefix rule follows the destination side too: an IN
     * LPM group takes any remote list but one local prefix at most. */
    vfp_builder *b = vfp_builder_new("lpm", NULL);
    assert_non_null(b);
    vfp_layer_spec ls = {.name = "L", .priority = 1, .default_action = VFP_LAYER_CONTINUE};
    int layer = vfp_builder_add_layer(b, &ls);
    assert_true(layer >= 0);
    vfp_group_spec gs = {.name = "G_IN",
                         .priority = 1,
                         .direction = VFP_DIR_IN,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_LPM};
    int group = vfp_builder_add_group(b, layer, &gs);
    assert_true(group >= 0);
    vfp_addr_range two[] = {R("10.0.0.0/8"), R("192.168.0.0/16")};
    vfp_addr_range not_prefix = R("10.0.0.1-10.0.0.5");
    vfp_rule_spec r = {.id = "two-remote", .priority = 1};
    r.action.type = VFP_ACTION_ALLOW;
    r.match.remote_addrs = two;
    r.match.n_remote_addrs = 2;
    assert_int_equal(vfp_builder_add_rule(b, group, &r), 0);
    r.id = "two-local";
    r.match.remote_addrs = NULL;
    r.match.n_remote_addrs = 0;
    r.match.local_addrs = two;
    r.match.n_local_addrs = 2;
    assert_int_equal(vfp_builder_add_rule(b, group, &r), VFP_ELPM);
    r.id = "local-range";
    r.match.local_addrs = &not_prefix;
    r.match.n_local_addrs = 1;
    assert_int_equal(vfp_builder_add_rule(b, group, &r), VFP_ELPM);
    vfp_builder_free(b);
}

/* Fix 3: a PortMapping with NatFlags IPv6 (2) was compiled as an IPv4 DNAT
 * on the node's address (and on the host port with LocalRoutedVip). It is
 * now skipped and counted in skipped_ipv6; IPv4 mappings are unchanged. */
#define HOSTPORT_V6_TCP                                                                            \
    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"                  \
    "\"ExternalPort\":8082,\"Flags\":2}}"
#define HOSTPORT_V6_UDP_LOCAL                                                                      \
    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53,"                 \
    "\"ExternalPort\":5353,\"Flags\":3}}"

static void test_port_mapping_ipv6_skipped(void **state)
{
    (void)state;
    bridge_node n =
        bridge_open(NULL, HOSTPORT_TCP "," HOSTPORT_V6_TCP "," HOSTPORT_V6_UDP_LOCAL, "");
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_external(v, &stats);
    assert_rule_ids(group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"),
                    "NAT_" NODE_IP "_8081_6_HOSTPORT");
    assert_int_equal(stats.skipped_ipv6, 2);
    vfp_ruleset_release(rs);
    rs = compile_host(v, NULL);
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* Fix 4: a load balancer with LoadBalancerFlags IPv6 (2) and no frontend
 * VIPs (an IPv6 NodePort) was compiled against the node's IPv4 address on
 * all three sites. IPv6 LBs are now skipped and counted once per LB in
 * skipped_ipv6; the IPv4 LBs of the node are unchanged. */
static void test_lb_ipv6_skipped(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *backends[] = {n.b};
    char *v6 = dp_lb(n.inst, backends, 1, NULL, 6, 30080, 80, 18, 2, NULL, 0);
    char *v4 = dp_lb(n.inst, backends, 1, "10.96.0.10", 6, 80, 8080, 0, 0, NULL, 0);
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_rule_ids(group_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT"),
                    "LB_" NODE_IP "_10.96.0.10_80_8080_6");
    assert_int_equal(n_rules(rs, "LB_DSR", "LB_DSR_IPv4_OUT"), 0);
    assert_int_equal(stats.skipped_ipv6, 1);
    vfp_ruleset_release(rs);
    rs = compile_host(v, &stats);
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 0);
    assert_int_equal(stats.skipped_ipv6, 1);
    vfp_ruleset_release(rs);
    rs = compile_external(v, &stats);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_IN"), 0);
    assert_int_equal(stats.skipped_ipv6, 1);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(v6);
    free(v4);
    bridge_close(&n);
}

/* Fix 5: an OutBoundNAT with NatFlags IPv6 (2) got SNAT_TCP/SNAT_UDP rules
 * to the node's IPv4 address (a dual-stack pod had them twice). It is now
 * skipped whole (its exceptions too) and counted once in skipped_ipv6. */
#define OUTBOUND_NAT_V6                                                                            \
    "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":[\"fd00::/64\"],\"Flags\":2}}"

static void test_outbound_nat_ipv6_skipped(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, DP_OUTBOUND_NAT "," OUTBOUND_NAT_V6, OUTBOUND_NAT_V6);
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_rule_ids(group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT"),
                    "ALLOW_NAT_10.244.0.0_16,ALLOW_NAT_10.96.0.0_12,ALLOW_NAT_10.0.0.0_24,"
                    "SNAT_TCP_" NODE_IP ",SNAT_UDP_" NODE_IP);
    assert_int_equal(stats.skipped_ipv6, 1); /* the IPv6 policy, its exceptions with it */
    vfp_ruleset_release(rs);
    /* Only an IPv6 OutBoundNAT: nothing SNATs IPv4 traffic. */
    rs = compile_ep(v, n.b, &stats);
    assert_int_equal(n_rules(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT"), 0);
    assert_int_equal(stats.skipped_ipv6, 1);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* Fix 6: missing_backends counted a missing backend once per port mapping
 * of its LB (2 here); it now counts once per missing backend per LB. */
static void test_lb_missing_backend_counted_once(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *c = dp_pod(n.inst, n.net, "c", "10.244.1.5", "");
    char *lb = dp_call(n.inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL,
                       "{\"HostComputeEndpoints\":[\"%s\",\"%s\",\"%s\"],\"FrontendVIPs\":"
                       "[\"10.96.0.30\"],\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":8080,"
                       "\"ExternalPort\":80},{\"Protocol\":6,\"InternalPort\":8443,"
                       "\"ExternalPort\":443}]," DP_V2 "}",
                       n.a, c, n.b);
    free(dp_call(n.inst, HNSM_ENDPOINT, HNSM_OP_DELETE, c, NULL, "%s", ""));
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.missing_backends, 1);
    assert_int_equal(stats.skipped_ipv6, 0);
    const vfp_group *g = group_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT");
    assert_int_equal(g->n_rules, 2);
    assert_lbnat(rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT",
                         "LB_" NODE_IP "_10.96.0.30_443_8443_6"),
                 "10.244.1.3:8443,10.244.1.4:8443", 0, 0, NODE_IP);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    free(c);
    bridge_close(&n);
}

/* Fix 6 (second half): a backend endpoint with only an IPv6 address was
 * counted as missing; it is now counted in skipped_ipv6 (and still left out
 * of the DIPs). */
static void test_lb_ipv6_only_backend_is_skipped_not_missing(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = dp_call(
        inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
        "{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":["
        "{\"IpAddressPrefix\":\"10.244.1.0/24\",\"Routes\":[{\"NextHop\":\"10.244.1.1\","
        "\"DestinationPrefix\":\"0.0.0.0/0\"}]},{\"IpAddressPrefix\":\"fd00::/64\",\"Routes\":"
        "[{\"NextHop\":\"fd00::1\",\"DestinationPrefix\":\"::/0\"}]}]}]," DP_V2 "}");
    char *a = dp_pod(inst, net, "a", "10.244.1.3", "");
    char *six = dp_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, net,
                        "{\"Name\":\"six\",\"IpConfigurations\":[{\"IpAddress\":\"fd00::5\","
                        "\"PrefixLength\":64}]," DP_V2 "}");
    char *backends[] = {six, a};
    char *lb = dp_lb(inst, backends, 2, "10.96.0.50", 6, 80, 8080, 0, 0, NULL, 0);
    hns_view *v = take(inst);
    assert_int_equal(endpoint(v, six)->ip.family, 0);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, a, &stats);
    assert_int_equal(stats.missing_backends, 0);
    assert_int_equal(stats.skipped_ipv6, 1);
    assert_lbnat(
        rule_of(rs, "SLB_LB_LAYER", "SLB_GROUP_LB_IPv4_OUT", "LB_" NODE_IP "_10.96.0.50_80_8080_6"),
        "10.244.1.3:8080", 0, 0, NODE_IP);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    free(six);
    free(a);
    free(net);
    hnsm_close(inst);
}

/* Fix 7: the note of a plain ACL read "ACL  Allow In ..." (two spaces: the
 * empty tier name); it is now "ACL Allow In ...". TierAcl notes keep
 * "TierAcl <name> ...". */
static void test_acl_note_has_single_spaces(void **state)
{
    (void)state;
    bridge_node n = bridge_open("ws2025", ACL_ALLOW_WEB "," ACL_BLOCK_DNS "," TIER_LATE, "");
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    assert_string_equal(rule_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN", "allow-web")->cookie.text,
                        "ACL Allow In prio 200 remote 10.0.0.0/8 local ports 80,8080-8090");
    char id[128];
    rid(id, sizeof id, "ACL_%s_1", n.a);
    assert_string_equal(rule_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT", id)->cookie.text,
                        "ACL Block Out prio 300 remote 10.0.0.53,10.0.0.54 ports 53");
    assert_string_equal(
        rule_of(rs, "FW_ADMIN_LAYER", "FW_TIER_late_IPv4_IN", "late-pass")->cookie.text,
        "TierAcl late Pass In prio 2002 remote 10.244.0.0/16");
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

/* The DR MAC of an encap rule, as text. */
static const char *dr_mac_of(const vfp_rule *r, char out[18])
{
    const uint8_t *m = r->action.u.encap.dr_mac;
    assert_int_equal(r->action.type, VFP_ACTION_ENCAP);
    snprintf(out, 18, "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
    return out;
}

/* Fix: a REMOTE_EP_ rule always took the network's own DR MAC; a remote
 * endpoint inside a RemoteSubnetRoute now takes that route's (the peer's
 * distributed router), one outside any takes the network's - on the pod,
 * host (HostRoute) and external ports alike. */
static void test_remote_endpoint_takes_its_subnet_route_dr_mac(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = overlay_network(inst, 1); /* 10.244.2.0/24 -> 10.0.0.5, PEER_DR_MAC */
    char *pod = dp_pod(inst, net, "web", "10.244.1.10", "");
    char *in_route = dp_remote(inst, net, "10.244.2.7", "10.0.0.5");
    char *outside = dp_remote(inst, net, "10.244.3.7", "10.0.0.6");
    hns_view *v = take(inst);
    struct {
        vfp_ruleset *rs;
        const char *group;
    } ports[] = {
        {compile_ep(v, pod, NULL), "VNET_GROUP_PA_ROUTE_IPV4_OUT"},
        {compile_host(v, NULL), "VNET_GROUP_PA_ROUTE_IPV4_OUT"},
        {compile_external(v, NULL), "VNET_GROUP_PA_ROUTE_IPV4_IN"},
    };
    for (size_t i = 0; i < sizeof ports / sizeof *ports; i++) {
        char mac[18];
        const vfp_rule *r =
            rule_of(ports[i].rs, "VNET_ROUTING_LAYER", ports[i].group, "REMOTE_EP_10.244.2.7");
        assert_string_equal(dr_mac_of(r, mac), PEER_DR_MAC);
        assert_addr(&r->action.u.encap.pa, "10.0.0.5");
        assert_cookie(r, in_route, -1);
        r = rule_of(ports[i].rs, "VNET_ROUTING_LAYER", ports[i].group, "REMOTE_EP_10.244.3.7");
        assert_string_equal(dr_mac_of(r, mac), DR_MAC);
        assert_addr(&r->action.u.encap.pa, "10.0.0.6");
        vfp_ruleset_release(ports[i].rs);
    }
    hns_view_free(v);
    free(pod);
    free(in_route);
    free(outside);
    free(net);
    hnsm_close(inst);
}

/* Fix: DECAP_IN had rules only for the VSIDs of local subnets, so VXLAN
 * from a peer whose RemoteSubnetRoute names another VNI found no rule. It
 * now has one rule per distinct VNI of the local subnets and of the
 * RemoteSubnetRoute IsolationIds, in that order. */
static void test_decap_covers_remote_route_vnis(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = dp_network(
        inst, "vxlan0", "Overlay", "10.244.1.0/24", "10.244.1.1", 4096,
        ",\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"" NODE_IP
        "\"}},{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":"
        "\"10.244.2.0/24\",\"IsolationId\":4098,\"ProviderAddress\":\"10.0.0.5\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.3.0/24\","
        "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.6\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.4.0/24\","
        "\"IsolationId\":4097,\"ProviderAddress\":\"10.0.0.7\"}}]");
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_external(v, NULL);
    const vfp_group *g = group_of(rs, VFP_DECAP_LAYER, VFP_DECAP_GROUP);
    assert_rule_ids(g, "DECAP_VXLAN_4096,DECAP_VXLAN_4098,DECAP_VXLAN_4097");
    for (size_t i = 0; i < g->n_rules; i++) {
        assert_match(&g->rules[i], "17", NODE_IP, "", "4789", "");
        assert_cookie(&g->rules[i], net, -1);
    }
    const vfp_rule *r = rule_of(rs, VFP_DECAP_LAYER, VFP_DECAP_GROUP, "DECAP_VXLAN_4098");
    assert_string_equal(r->cookie.text, "VXLAN VNI 4098 of network vxlan0");
    /* The outer packet of VNI 4098 from the peer now finds its rule. */
    vfp_key key;
    vfp_packet p = P(VFP_DIR_IN, VFP_PROTO_UDP, "10.0.0.5", 50000, NODE_IP, 4789);
    vfp_key_from_packet(&p, &key);
    assert_non_null(vfp_group_classify(g, &key));
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(net);
    hnsm_close(inst);
}

/* Fix: SDN route objects (HostComputeRoute) were read but never compiled.
 * Each route of the object is now a paroute rule SDNROUTE_<prefix>_<len>
 * (cookie: the route object's ID, no policy index) in the VNET group of
 * every endpoint the object lists - and of no other. */
static void test_sdn_route_object_compiled(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, SDN_ROUTES, "");
    char *route = dp_call(n.inst, HNSM_SDNROUTE, HNSM_OP_CREATE, NULL, NULL,
                          "{\"HostComputeEndpoints\":[\"%s\"],\"Setting\":["
                          "{\"DestinationPrefix\":\"169.254.169.254/32\",\"NextHop\":"
                          "\"127.10.0.34\"},{\"DestinationPrefix\":\"10.97.0.0/16\","
                          "\"NeedEncap\":true}]," DP_V2 "}",
                          n.a);
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    const vfp_group *g = group_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT");
    /* The endpoint's own SDNRoute policies and the object's routes, LPM order. */
    assert_rule_ids(g, "SDNROUTE_" NODE_IP "_32,SDNROUTE_169.254.169.254_32,"
                       "SDNROUTE_10.97.0.0_16,SDNROUTE_10.96.0.0_12");
    const vfp_rule *r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT",
                                "SDNROUTE_169.254.169.254_32");
    assert_int_equal(r->action.type, VFP_ACTION_ROUTE);
    assert_addr(&r->action.u.route.next_hop, "127.10.0.34");
    assert_int_equal(r->priority, 100);
    assert_int_equal(r->flags, VFP_RULE_TERMINATING);
    assert_match(r, "", "", "169.254.169.254", "", "");
    assert_cookie(r, route, -1);
    assert_string_equal(r->cookie.text, "SDNRoute 169.254.169.254/32 -> 127.10.0.34");
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT", "SDNROUTE_10.97.0.0_16");
    assert_addr(&r->action.u.route.next_hop, NULL);
    assert_match(r, "", "", "10.97.0.0/16", "", "");
    assert_cookie(r, route, -1);
    assert_string_equal(r->cookie.text, "SDNRoute 10.97.0.0/16 -> on-link NeedEncap");
    vfp_ruleset_release(rs);
    /* b is not listed by the object. */
    rs = compile_ep(v, n.b, NULL);
    assert_int_equal(n_rules(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT"), 0);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(route);
    bridge_close(&n);
}

/* Fix (field-bugs G1): an endpoint attached to the HostDefault namespace
 * (flannel's cbr0_ep) is the host's own vNIC, yet got an endpoint port of
 * its own, as a pod. The view now marks it host_vnic, it gets no port
 * (vfp_endpoint_has_port 0): not in the compiled ports, not among a synced
 * node's ports, by ID or by address. An endpoint in a plain Host namespace
 * is still a pod. */
static void test_host_default_namespace_endpoint_is_the_host_vnic(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *cbr0 = dp_pod(n.inst, n.net, "cbr0_ep", "10.244.1.2", "");
    char *host_default = dp_call(n.inst, HNSM_NAMESPACE, HNSM_OP_CREATE, NULL, NULL,
                                 "{\"Type\":\"HostDefault\"," DP_V2 "}");
    char *pod_ns = dp_call(n.inst, HNSM_NAMESPACE, HNSM_OP_CREATE, NULL, NULL,
                           "{\"Type\":\"Host\"," DP_V2 "}");
    free(dp_call(n.inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, host_default, NULL,
                 "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":"
                 "{\"EndpointId\":\"%s\"}}",
                 cbr0));
    free(dp_call(n.inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, pod_ns, NULL,
                 "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":"
                 "{\"EndpointId\":\"%s\"}}",
                 n.a));
    hns_view *v = take(n.inst);
    const hv_endpoint *host = endpoint(v, cbr0);
    assert_int_equal(host->host_vnic, 1);
    assert_int_equal(vfp_endpoint_has_port(host), 0);
    assert_int_equal(endpoint(v, n.a)->host_vnic, 0);
    assert_int_equal(vfp_endpoint_has_port(endpoint(v, n.a)), 1);
    assert_int_equal(endpoint(v, n.b)->host_vnic, 0);
    hns_view_free(v);

    char *all = all_listings(n.inst);
    char want[128];
    assert_non_null(strstr(all, rid(want, sizeof want, "PORT %s\n", n.a)));
    assert_non_null(strstr(all, rid(want, sizeof want, "PORT %s\n", n.b)));
    assert_null(strstr(all, rid(want, sizeof want, "PORT %s\n", cbr0)));
    free(all);

    net_cluster *c = net_cluster_new(7);
    assert_non_null(c);
    net_node *node = net_add_windows(c, "win", NODE_IP, n.inst);
    assert_non_null(node);
    dp_sync(node);
    assert_null(net_node_port_rules(node, cbr0));
    assert_null(net_node_port_rules(node, "10.244.1.2"));
    vfp_ruleset *rs = net_node_port_rules(node, n.a);
    assert_non_null(rs);
    vfp_ruleset_release(rs);
    rs = net_node_port_rules(node, "10.244.1.3");
    assert_non_null(rs);
    assert_string_equal(rs->port, n.a);
    vfp_ruleset_release(rs);
    net_cluster_free(c);

    free(cbr0);
    free(host_default);
    free(pod_ns);
    bridge_close(&n);
}

/* Fix: a default ACL id (no Id in HNS) was ACL_<owner>_<index among the
 * endpoint's ACL rules>, which shifts with the policies before it and is no
 * index HNS shows. It is now ACL_<owner>_<policy index>, and
 * ACL_<owner>_<policy index>_<rule index> for a TierAcl rule. */
#define TIER_ONE_NO_ID                                                                             \
    "{\"Type\":\"TierAcl\",\"Settings\":{\"Name\":\"t\",\"Direction\":\"In\",\"Order\":1000,"      \
    "\"TierAclRules\":[{\"TierAclRuleAction\":\"Block\",\"RemoteAddresses\":\"10.9.0.0/16\","      \
    "\"Priority\":10}]}}"
#define ACL_ALLOW_NO_ID                                                                            \
    "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\",\"Priority\":500}}"

static void test_acl_default_ids_use_the_policy_index(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns("ws2025");
    char *net = dp_network(inst, "cbr0", "L2Bridge", "10.244.1.0/24", "10.244.1.1", 0, "");
    /* Policies: 0 TierAcl, 1 OutBoundNAT, 2 ACL. */
    char *a = dp_pod(inst, net, "a", "10.244.1.3",
                     TIER_ONE_NO_ID "," DP_OUTBOUND_NAT "," ACL_ALLOW_NO_ID);
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_ep(v, a, NULL);
    char want[160];
    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN"),
                    rid(want, sizeof want, "ACL_%s_2", a));
    assert_cookie(&group_of(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN")->rules[0], a, 2);
    assert_rule_ids(group_of(rs, "FW_ADMIN_LAYER", "FW_TIER_t_IPv4_IN"),
                    rid(want, sizeof want, "ACL_%s_0_0", a));
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(a);
    free(net);
    hnsm_close(inst);
}

/* Review round 2: a kube-dns style LB (UDP 53 and TCP 53, the same
 * internal port) with one missing backend counted it twice; a missing
 * backend of an LB programmed on the host port only through its second
 * mapping was not counted at all. Now: once per LB per port compiled. */
static void test_missing_backend_counted_once_per_lb_and_site(void **state)
{
    (void)state;
    bridge_node n = bridge_open(NULL, "", "");
    char *c = dp_pod(n.inst, n.net, "c", "10.244.1.5", "");
    char *backends[] = {n.a, c};
    char *lb = dp_call(n.inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL,
                       "{\"HostComputeEndpoints\":[\"%s\",\"%s\"],\"FrontendVIPs\":[\"10.96.0.10\"],"
                       "\"PortMappings\":[{\"Protocol\":17,\"InternalPort\":53,\"ExternalPort\":53},"
                       "{\"Protocol\":6,\"InternalPort\":53,\"ExternalPort\":53,\"Flags\":2}]," DP_V2 "}",
                       backends[0], backends[1]);
    free(dp_call(n.inst, HNSM_ENDPOINT, HNSM_OP_DELETE, c, NULL, "%s", ""));
    hns_view *v = take(n.inst);
    vfp_compile_stats stats;
    vfp_ruleset *rs = compile_ep(v, n.a, &stats);
    assert_int_equal(stats.missing_backends, 1);
    vfp_ruleset_release(rs);
    rs = compile_host(v, &stats); /* only the TCP mapping (LocalRoutedVIP) is here */
    assert_int_equal(n_rules(rs, "LB", "LB_OUT"), 1);
    assert_int_equal(stats.missing_backends, 1);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(lb);
    free(c);
    bridge_close(&n);
}

/* Review round 2: overlapping RemoteSubnetRoutes gave a remote endpoint the
 * DR MAC of the first route holding it, not the longest; a route without a
 * DR MAC gave 00-00-00-00-00-00 instead of the network's. The longest route
 * also gives the VNI. */
static void test_remote_endpoint_longest_route_and_zero_mac(void **state)
{
    (void)state;
    hnsm_instance *inst = dp_hns(NULL);
    char *net = dp_network(
        inst, "vxlan0", "Overlay", "10.244.1.0/24", "10.244.1.1", 4096,
        ",\"Policies\":[{\"Type\":\"DrMacAddress\",\"Settings\":{\"Address\":\"" DR_MAC "\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.0.0/16\","
        "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.5\",\"DistributedRouterMacAddress\":"
        "\"00-15-5D-00-00-05\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.2.0/24\","
        "\"IsolationId\":4099,\"ProviderAddress\":\"10.0.0.6\",\"DistributedRouterMacAddress\":"
        "\"00-15-5D-00-00-06\"}},"
        "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.3.0/24\","
        "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.7\"}}]");
    char *pod = dp_pod(inst, net, "web", "10.244.1.10", "");
    char *two = dp_remote(inst, net, "10.244.2.7", "10.0.0.6");
    char *three = dp_remote(inst, net, "10.244.3.7", "10.0.0.7");
    hns_view *v = take(inst);
    vfp_ruleset *rs = compile_ep(v, pod, NULL);
    char mac[18];
    const vfp_rule *r =
        rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT", "REMOTE_EP_10.244.2.7");
    assert_string_equal(dr_mac_of(r, mac), "00-15-5D-00-00-06");
    assert_int_equal(r->action.u.encap.vni, 4099);
    r = rule_of(rs, "VNET_ROUTING_LAYER", "VNET_GROUP_PA_ROUTE_IPV4_OUT", "REMOTE_EP_10.244.3.7");
    assert_string_equal(dr_mac_of(r, mac), DR_MAC);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    free(pod);
    free(two);
    free(three);
    free(net);
    hnsm_close(inst);
}

/* Review round 2: an IPv6 OutBoundNAT's exceptions were compiled before the
 * policy was skipped, so an IPv4 exception in it exempted IPv4 traffic from
 * the IPv4 policy's SNAT. */
static void test_ipv6_outbound_nat_exceptions_not_compiled(void **state)
{
    (void)state;
    bridge_node n = bridge_open(
        NULL,
        DP_OUTBOUND_NAT ",{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":"
                        "[\"192.168.0.0/16\"],\"Flags\":2}}",
        "");
    hns_view *v = take(n.inst);
    vfp_ruleset *rs = compile_ep(v, n.a, NULL);
    assert_rule_ids(group_of(rs, "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT"),
                    "ALLOW_NAT_10.244.0.0_16,ALLOW_NAT_10.96.0.0_12,ALLOW_NAT_10.0.0.0_24,"
                    "SNAT_TCP_" NODE_IP ",SNAT_UDP_" NODE_IP);
    vfp_ruleset_release(rs);
    hns_view_free(v);
    bridge_close(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_ports),
        cmocka_unit_test(test_arguments_and_ports),
        cmocka_unit_test(test_lb_clusterip),
        cmocka_unit_test(test_lb_source_vip),
        cmocka_unit_test(test_lb_local_routed_vip),
        cmocka_unit_test(test_lb_vip_external_ip),
        cmocka_unit_test(test_lb_nodeport),
        cmocka_unit_test(test_lb_nodeport_not_local_routed),
        cmocka_unit_test(test_lb_dsr),
        cmocka_unit_test(test_lb_missing_backend),
        cmocka_unit_test(test_lb_remote_backend),
        cmocka_unit_test(test_acl_plain),
        cmocka_unit_test(test_acl_network_and_tiers),
        cmocka_unit_test(test_outbound_nat),
        cmocka_unit_test(test_outbound_nat_vip_destinations),
        cmocka_unit_test(test_port_mapping),
        cmocka_unit_test(test_port_mapping_and_nodeport),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_overlay_host_route),
        cmocka_unit_test(test_overlay_decap),
        cmocka_unit_test(test_overlay_vni_per_subnet),
        cmocka_unit_test(test_l2bridge_no_encap),
        cmocka_unit_test(test_golden_endpoint),
        cmocka_unit_test(test_byte_stable),
        cmocka_unit_test(test_acl_mixed_family_list_keeps_ipv4_items),
        cmocka_unit_test(test_lpm_in_group_ranks_the_local_prefix),
        cmocka_unit_test(test_port_mapping_ipv6_skipped),
        cmocka_unit_test(test_lb_ipv6_skipped),
        cmocka_unit_test(test_outbound_nat_ipv6_skipped),
        cmocka_unit_test(test_lb_missing_backend_counted_once),
        cmocka_unit_test(test_lb_ipv6_only_backend_is_skipped_not_missing),
        cmocka_unit_test(test_acl_note_has_single_spaces),
        cmocka_unit_test(test_remote_endpoint_takes_its_subnet_route_dr_mac),
        cmocka_unit_test(test_decap_covers_remote_route_vnis),
        cmocka_unit_test(test_sdn_route_object_compiled),
        cmocka_unit_test(test_host_default_namespace_endpoint_is_the_host_vnic),
        cmocka_unit_test(test_acl_default_ids_use_the_policy_index),
        cmocka_unit_test(test_missing_backend_counted_once_per_lb_and_site),
        cmocka_unit_test(test_remote_endpoint_longest_route_and_zero_mac),
        cmocka_unit_test(test_ipv6_outbound_nat_exceptions_not_compiled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
