/*
 * test_dp_walk.c - packet walks across simulated nodes (sim/net), one test
 * per dataplane semantic of net.h and compile.h, on HNS state built the way
 * a CNI plugin and kube-proxy build it.
 *
 * Two worlds: an L2Bridge cluster of two Windows nodes with flannel host-gw
 * routes (10.0.0.4 with pods 10.244.1.0/24, 10.0.0.5 with 10.244.2.0/24),
 * and an overlay cluster of two Windows nodes and one Linux node on VXLAN
 * VNI 4096 (10.244.3.0/24 on the Linux node 10.0.0.6). Field-bug entries
 * are named where a test reproduces one. Golden traces live in
 * tests/vfp/golden/walk_*.txt|json (VFP_GOLDEN_UPDATE=1 rewrites them).
 */
#include "dp_world.h"
#include "vfp_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define VIP "10.96.0.50"

typedef struct world {
    hnsm_instance *hns[2];
    char *net[2];
    char *pod[2][2];    /* node i, pod j: 10.244.(i+1).(10+j) */
    char *remote[2][2]; /* on node i, the other node's pods */
    char *lb[2];
    net_cluster *c;
    net_node *node[2];
    net_node *linux_node; /* overlay world only */
} world;

static const char *const node_ip[] = {"10.0.0.4", "10.0.0.5", "10.0.0.6"};

static void pod_ip(char *out, int node, int pod)
{
    sprintf(out, "10.244.%d.%d", node + 1, 10 + pod);
}

/* Service VIP:80 -> both pods of node 2 (port 8080) on both nodes' HNS. */
static void add_service(world *w, unsigned mapping_flags, unsigned lb_flags, const char *svip0,
                        unsigned distribution)
{
    char *node1_backends[2] = {w->remote[0][0], w->remote[0][1]};
    w->lb[0] = dp_lb(w->hns[0], node1_backends, 2, VIP, 6, 80, 8080, mapping_flags, lb_flags, svip0,
                     distribution);
    w->lb[1] = dp_lb(w->hns[1], w->pod[1], 2, VIP, 6, 80, 8080, mapping_flags, lb_flags, NULL,
                     distribution);
}

/* The L2Bridge world (flannel host-gw, win-bridge). pod 0 of each node has
 * OutBoundNAT; lb_flags 1 = DSR; service = 0 for none. */
static world *l2bridge(const char *profile, int service, unsigned lb_flags)
{
    world *w = calloc(1, sizeof *w);
    w->c = net_cluster_new(42);
    net_add_cluster_cidr(w->c, "10.244.0.0/16");
    net_add_cluster_cidr(w->c, "10.96.0.0/12");
    net_add_external(w->c, "client", "203.0.113.7");
    for (int i = 0; i < 2; i++) {
        char subnet[32], gw[32], name[16], ip[32];
        sprintf(subnet, "10.244.%d.0/24", i + 1);
        sprintf(gw, "10.244.%d.1", i + 1);
        w->hns[i] = dp_hns(profile);
        w->net[i] = dp_network(w->hns[i], "cbr0", "L2Bridge", subnet, gw, 0, "");
        for (int j = 0; j < 2; j++) {
            pod_ip(ip, i, j);
            sprintf(name, "pod%d%d", i, j);
            w->pod[i][j] = dp_pod(w->hns[i], w->net[i], name, ip, j == 0 ? DP_OUTBOUND_NAT : "");
        }
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            char ip[32];
            pod_ip(ip, 1 - i, j);
            w->remote[i][j] = dp_remote(w->hns[i], w->net[i], ip, NULL);
        }
    if (service)
        add_service(w, 0, lb_flags, NULL, 0);
    for (int i = 0; i < 2; i++) {
        char name[8], route[32];
        sprintf(name, "win%d", i + 1);
        w->node[i] = net_add_windows(w->c, name, node_ip[i], w->hns[i]);
        net_node_set_profile(w->node[i], profile);
        sprintf(route, "10.244.%d.0/24", 2 - i);
        net_node_add_route(w->node[i], route, node_ip[1 - i]);
        dp_sync(w->node[i]);
    }
    return w;
}

static void world_free(world *w)
{
    net_cluster_free(w->c);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            free(w->pod[i][j]);
            free(w->remote[i][j]);
        }
        free(w->net[i]);
        free(w->lb[i]);
        hnsm_close(w->hns[i]);
    }
    free(w);
}

static net_walk walk(world *w, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                     uint8_t proto, uint32_t size)
{
    vfp_packet p = dp_packet(src, sport, dst, dport, proto, size);
    net_walk r;
    assert_int_equal(net_walk_packet(w->c, &p, NULL, &r), 0);
    return r;
}

/* The first step with this action (and rule prefix, when given), or NULL. */
static const net_step *find_step(const net_walk *r, const char *action, const char *rule_prefix)
{
    for (size_t i = 0; i < r->n_steps; i++)
        if (strcmp(r->steps[i].action, action) == 0 &&
            (!rule_prefix || strncmp(r->steps[i].rule, rule_prefix, strlen(rule_prefix)) == 0))
            return &r->steps[i];
    return NULL;
}

/* The first step with this action in layer, or NULL. */
static const net_step *find_in_layer(const net_walk *r, const char *action, const char *layer)
{
    for (size_t i = 0; i < r->n_steps; i++)
        if (strcmp(r->steps[i].action, action) == 0 && strcmp(r->steps[i].layer, layer) == 0)
            return &r->steps[i];
    return NULL;
}

static void assert_addr(const vfp_addr *a, const char *text)
{
    char got[VFP_ADDR_TEXT];
    vfp_addr_format(a, got);
    assert_string_equal(got, text);
}

static void assert_verdict(const net_walk *r, net_verdict v, net_reason reason)
{
    if (r->verdict != v || r->reason != reason) {
        char *text = NULL;
        net_walk_format_text(r, &text);
        fail_msg("verdict %s/%s, expected %s/%s\n%s", net_verdict_name(r->verdict),
                 net_reason_name(r->reason), net_verdict_name(v), net_reason_name(reason),
                 text ? text : "");
    }
}

/* ---- L2Bridge: pods, routes ------------------------------------------------------------ */

static void pod_to_pod_across_nodes(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.2.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_string_equal(r.to.node, "win2");
    assert_string_equal(r.to.name, w->pod[1][1]);
    /* Exception 10.244.0.0/16 keeps the pod address; host-gw route to node 2. */
    assert_non_null(find_step(&r, "allow", "ALLOW_NAT_10.244.0.0_16"));
    const net_step *route = find_step(&r, "route", NULL);
    assert_non_null(route);
    assert_non_null(strstr(route->note, "next hop 10.0.0.5"));
    assert_addr(&r.output.src, "10.244.1.10");
    net_walk_clear(&r);
    world_free(w);
}

static void same_node_pods_stay_in_the_vswitch(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    net_walk r = walk(w, "10.244.1.11", 40000, "10.244.1.10", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_null(find_step(&r, "route", NULL));
    assert_string_equal(r.to.node, "win1");
    net_walk_clear(&r);
    world_free(w);
}

static void unknown_pod_address_has_no_route(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.9.9", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_NO_ROUTE);
    net_walk_clear(&r);
    world_free(w);
}

/* ---- services ------------------------------------------------------------------------------ */

static void service_non_dsr_snat_and_reply(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 1, 0);
    net_walk r = walk(w, "10.244.1.10", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *lb = find_step(&r, "lbnat", "LB_");
    assert_non_null(lb);
    assert_string_equal(lb->layer, "SLB_LB_LAYER");
    assert_string_equal(lb->object, w->lb[0]);
    /* L2Bridge LBs have no SourceVIP: the node address (compile.h). */
    assert_addr(&r.output.src, "10.0.0.4");
    assert_int_equal(r.output.src_port, 49152);
    assert_int_equal(r.output.dst_port, 8080);
    assert_string_equal(r.to.node, "win2");

    /* A second packet of the flow: same backend, same SNAT port. */
    net_walk again = walk(w, "10.244.1.10", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&again, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_int_equal(vfp_addr_compare(&again.output.dst, &r.output.dst), 0);
    assert_int_equal(again.output.src_port, 49152);

    /* The reply is un-NATed twice: back to the client, from the VIP. */
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&reply.output.src, VIP);
    assert_int_equal(reply.output.src_port, 80);
    assert_addr(&reply.output.dst, "10.244.1.10");
    assert_int_equal(reply.output.dst_port, 40000);
    assert_string_equal(reply.to.name, w->pod[0][0]);
    assert_non_null(find_step(&reply, "flow", NULL));

    /* Another connection takes the next SNAT port. */
    net_walk other = walk(w, "10.244.1.10", 40001, VIP, 80, VFP_PROTO_TCP, 100);
    assert_int_equal(other.output.src_port, 49153);
    net_walk_clear(&other);
    net_walk_clear(&reply);
    net_walk_clear(&again);
    net_walk_clear(&r);
    world_free(w);
}

static void lb_groups_are_shared_by_the_ports_of_a_node(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 1, 0);
    vfp_ruleset *a = net_node_port_rules(w->node[0], w->pod[0][0]);
    vfp_ruleset *b = net_node_port_rules(w->node[0], w->pod[0][1]);
    const vfp_group *la = vfp_layer_group(vfp_ruleset_layer(a, "SLB_LB_LAYER"), "SLB_GROUP_LB_IPv4_OUT");
    const vfp_group *lb = vfp_layer_group(vfp_ruleset_layer(b, "SLB_LB_LAYER"), "SLB_GROUP_LB_IPv4_OUT");
    assert_non_null(la);
    assert_ptr_equal(la, lb); /* one copy per node */
    assert_int_equal(la->n_rules, 1);
    const vfp_group *na = vfp_layer_group(vfp_ruleset_layer(a, "SLB_NAT_LAYER"), "SLB_GROUP_NAT_IPv4_OUT");
    const vfp_group *nb = vfp_layer_group(vfp_ruleset_layer(b, "SLB_NAT_LAYER"), "SLB_GROUP_NAT_IPv4_OUT");
    assert_ptr_not_equal(na, nb); /* per-endpoint policies stay per port */
    vfp_ruleset_release(a);
    vfp_ruleset_release(b);
    world_free(w);
}

static void service_dsr_keeps_client_address(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 1, 1);
    net_walk r = walk(w, "10.244.1.11", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *lb = find_step(&r, "lbnat", "LB_DSR_");
    assert_non_null(lb);
    assert_string_equal(lb->layer, "LB_DSR");
    assert_addr(&r.output.src, "10.244.1.11"); /* field-bugs D4: DSR keeps the client */
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&reply.output.src, VIP);
    net_walk_clear(&reply);
    net_walk_clear(&r);
    world_free(w);
}

static void session_affinity_keeps_backend_per_client(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    char *node1_backends[2] = {w->remote[0][0], w->remote[0][1]};
    w->lb[0] = dp_lb(w->hns[0], node1_backends, 2, VIP, 6, 80, 8080, 0, 1, NULL, 2);
    dp_sync(w->node[0]);
    net_walk first = walk(w, "10.244.1.11", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    for (uint16_t port = 40001; port < 40020; port++) {
        net_walk r = walk(w, "10.244.1.11", port, VIP, 80, VFP_PROTO_TCP, 100);
        assert_int_equal(vfp_addr_compare(&r.output.dst, &first.output.dst), 0);
        net_walk_clear(&r);
    }
    net_walk_clear(&first);
    world_free(w);
}

static void per_connection_spreads_backends(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 1, 1);
    int seen[2] = {0, 0};
    for (uint16_t port = 40000; port < 40040; port++) {
        net_walk r = walk(w, "10.244.1.11", port, VIP, 80, VFP_PROTO_TCP, 100);
        char ip[VFP_ADDR_TEXT];
        vfp_addr_format(&r.output.dst, ip);
        seen[strcmp(ip, "10.244.2.10") == 0 ? 0 : 1]++;
        net_walk_clear(&r);
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
    world_free(w);
}

static void lb_without_backends_drops(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    /* A backend deleted behind the LB's back leaves it with none (A8). */
    char *one[1] = {w->remote[0][0]};
    w->lb[0] = dp_lb(w->hns[0], one, 1, VIP, 6, 80, 8080, 0, 0, NULL, 0);
    hnsm_drop_object(w->hns[0], HNSM_ENDPOINT, w->remote[0][0]);
    dp_sync(w->node[0]);
    net_walk r = walk(w, "10.244.1.11", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_NO_BACKEND);
    net_walk_clear(&r);
    world_free(w);
}

static void host_to_vip_needs_local_routed_vip(void **state)
{
    (void)state;
    /* field-bugs G1: without LocalRoutedVIP the host vNIC has no LB rule. */
    world *w = l2bridge("ws2022", 1, 0);
    net_walk r = walk(w, "10.0.0.4", 50000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_NO_ROUTE);
    net_walk_clear(&r);
    world_free(w);

    w = l2bridge("ws2022", 0, 0);
    add_service(w, 2, 0, NULL, 0);
    dp_sync(w->node[0]);
    r = walk(w, "10.0.0.4", 50000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *lb = find_step(&r, "lbnat", "LB_HOST_");
    assert_non_null(lb);
    assert_string_equal(lb->group, "LB_OUT");
    net_walk_clear(&r);
    world_free(w);
}

static void nodeport_from_outside_and_back(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    /* kube-proxy's NodePort LB: no VIP, LocalRoutedVIP + VipExternalIP. */
    w->lb[1] = dp_lb(w->hns[1], w->pod[1], 2, NULL, 6, 30080, 8080, 18, 0, "10.0.0.5", 0);
    dp_sync(w->node[1]);
    net_walk r = walk(w, "203.0.113.7", 51000, "10.0.0.5", 30080, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *nat = find_step(&r, "lbnat", "NAT_10.0.0.5_30080_6");
    assert_non_null(nat);
    assert_string_equal(nat->at, VFP_PORT_EXTERNAL_NAME);
    assert_addr(&r.output.src, "10.0.0.5"); /* non-DSR hides the client (D4) */
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_int_equal(reply.to.kind, NET_PLACE_EXTERNAL);
    assert_addr(&reply.output.src, "10.0.0.5");
    assert_int_equal(reply.output.src_port, 30080);
    assert_int_equal(reply.output.dst_port, 51000);
    net_walk_clear(&reply);
    net_walk_clear(&r);
    world_free(w);
}

static void hostport_mapping(void **state)
{
    (void)state;
    /* field-bugs K1: a PortMapping policy opens node:8081 -> pod:80. */
    world *w = l2bridge("ws2022", 0, 0);
    char *pod = dp_pod(w->hns[1], w->net[1], "web", "10.244.2.20",
                       "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
                       "\"ExternalPort\":8081}}");
    dp_sync(w->node[1]);
    net_walk r = walk(w, "203.0.113.7", 52000, "10.0.0.5", 8081, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_string_equal(r.to.name, pod);
    assert_addr(&r.output.src, "203.0.113.7");
    assert_int_equal(r.output.dst_port, 80);
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&reply.output.src, "10.0.0.5");
    assert_int_equal(reply.output.src_port, 8081);
    /* Without the policy the port is closed: the host answers nothing. */
    net_walk closed = walk(w, "203.0.113.7", 52000, "10.0.0.4", 8081, VFP_PROTO_TCP, 100);
    assert_int_equal(closed.to.kind, NET_PLACE_HOST);
    net_walk_clear(&closed);
    net_walk_clear(&reply);
    net_walk_clear(&r);
    free(pod);
    world_free(w);
}

static void sdn_route_next_hop(void **state)
{
    (void)state;
    /* An SDNRoute policy sends its prefix to its next hop (paroute). */
    world *w = l2bridge("ws2022", 0, 0);
    char *pod = dp_pod(w->hns[0], w->net[0], "routed", "10.244.1.40",
                       "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":"
                       "\"192.168.50.0/24\",\"NextHop\":\"10.0.0.5\"}}");
    dp_sync(w->node[0]);
    net_walk r = walk(w, "10.244.1.40", 40000, "192.168.50.7", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_FORWARDED, NET_REASON_FORWARDED);
    const net_step *rule = find_step(&r, "paroute", "SDNROUTE_192.168.50.0_24");
    assert_non_null(rule);
    assert_int_equal(rule->policy, 0);
    const net_step *route = find_step(&r, "route", NULL);
    assert_non_null(strstr(route->note, "SDN route: next hop 10.0.0.5"));
    net_walk_clear(&r);
    free(pod);
    world_free(w);
}

/* ---- OutBoundNAT and SNAT ports ----------------------------------------------------------- */

static void outbound_nat_exceptions_and_icmp(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    net_walk r = walk(w, "10.244.1.10", 40000, "8.8.8.8", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_FORWARDED, NET_REASON_FORWARDED);
    assert_addr(&r.output.src, "10.0.0.4");
    assert_non_null(find_step(&r, "snat", "SNAT_TCP_10.0.0.4"));
    net_walk_clear(&r);
    /* field-bugs B5: ICMP has no outbound NAT rule; it leaves with the pod IP. */
    r = walk(w, "10.244.1.10", 0, "8.8.8.8", 0, VFP_PROTO_ICMP, 64);
    assert_addr(&r.output.src, "10.244.1.10");
    net_walk_clear(&r);
    /* Exception 10.0.0.0/24 (the node subnet): the pod address is kept. */
    net_add_external(w->c, "nas", "10.0.0.9");
    r = walk(w, "10.244.1.10", 40000, "10.0.0.9", 445, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&r.output.src, "10.244.1.10");
    net_walk_clear(&r);
    world_free(w);
}

static void snat_ports_exhaust_and_recover(void **state)
{
    (void)state;
    /* field-bugs B1/B4: a finite pool per node address. */
    world *w = l2bridge("ws2022", 0, 0);
    assert_int_equal(net_node_set_snat_range(w->node[0], 60000, 60001), 0);
    for (uint16_t i = 0; i < 2; i++) {
        net_walk r = walk(w, "10.244.1.10", 40000 + i, "203.0.113.7", 443, VFP_PROTO_TCP, 100);
        assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
        assert_int_equal(r.output.src_port, 60000 + i);
        net_walk_clear(&r);
    }
    net_walk r = walk(w, "10.244.1.10", 40002, "203.0.113.7", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_SNAT_EXHAUSTED);
    assert_non_null(strstr(r.detail, "SNAT_TCP_10.0.0.4"));
    net_walk_clear(&r);
    /* The flows idle past their TTL: the ports are free again, in order. */
    net_set_time(w->c, VFP_TTL_TCP + 10);
    r = walk(w, "10.244.1.10", 40002, "203.0.113.7", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_int_equal(r.output.src_port, 60000);
    net_walk_clear(&r);
    world_free(w);
}

/* field-bugs B3's fix: an excluded port of a protocol is never handed out;
 * the other protocol still uses it. */
static void snat_skips_excluded_ports(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    assert_int_equal(net_node_set_snat_range(w->node[0], 60000, 60002), 0);
    assert_int_equal(net_node_exclude_snat_port(w->node[0], VFP_PROTO_TCP, 60001), 0);
    static const uint16_t expected[] = {60000, 60002};
    for (uint16_t i = 0; i < 2; i++) {
        net_walk r = walk(w, "10.244.1.10", 40000 + i, "203.0.113.7", 443, VFP_PROTO_TCP, 100);
        assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
        assert_int_equal(r.output.src_port, expected[i]);
        net_walk_clear(&r);
    }
    net_walk r = walk(w, "10.244.1.10", 40002, "203.0.113.7", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_SNAT_EXHAUSTED);
    net_walk_clear(&r);
    r = walk(w, "10.244.1.10", 40003, "203.0.113.7", 53, VFP_PROTO_UDP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_int_equal(r.output.src_port, 60000);
    net_walk_clear(&r);
    world_free(w);
}

static void external_reply_reaches_the_pod(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    net_walk r = walk(w, "10.244.2.10", 40000, "203.0.113.7", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&r.output.src, "10.0.0.5");
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&reply.output.dst, "10.244.2.10");
    assert_int_equal(reply.output.dst_port, 40000);
    net_walk_clear(&reply);
    net_walk_clear(&r);
    world_free(w);
}

/* ---- ACLs ------------------------------------------------------------------------------------ */

#define ACL(action, dir, extra, prio)                                                              \
    "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"" action "\",\"Direction\":\"" dir "\"" extra    \
    ",\"Priority\":" #prio "}}"

static char *acl_pod(world *w, const char *ip, const char *policies)
{
    char *id = dp_pod(w->hns[0], w->net[0], "guarded", ip, policies);
    dp_sync(w->node[0]);
    return id;
}

static void acl_block_names_the_rule(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    char *id = acl_pod(w, "10.244.1.30",
                       ACL("Block", "In", ",\"Protocols\":\"6\",\"LocalPorts\":\"80\"", 100));
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.1.30", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_ACL_BLOCK);
    assert_non_null(strstr(r.detail, "FW_ADMIN_LAYER/FW_GROUP_IPv4_IN"));
    const net_step *s = find_step(&r, "block", NULL);
    assert_non_null(s);
    assert_string_equal(s->object, id);
    assert_int_equal(s->policy, 0);
    net_walk_clear(&r);
    r = walk(w, "10.244.1.10", 40000, "10.244.1.30", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    free(id);
    world_free(w);
}

static void ws2025_any_acl_flips_default_deny(void **state)
{
    (void)state;
    /* field-bugs I1 (Windows-Containers #616): one Block Out ACL blocks all egress on ws2025. */
    const char *policy = ACL("Block", "Out", ",\"RemoteAddresses\":\"1.2.3.4\"", 100);
    for (int ws2025 = 0; ws2025 < 2; ws2025++) {
        world *w = l2bridge(ws2025 ? "ws2025" : "ws2022", 0, 0);
        char *id = acl_pod(w, "10.244.1.30", policy);
        net_walk r = walk(w, "10.244.1.30", 40000, "10.244.1.10", 80, VFP_PROTO_TCP, 100);
        if (ws2025)
            assert_verdict(&r, NET_DROPPED, NET_REASON_ACL_DEFAULT);
        else
            assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
        net_walk_clear(&r);
        free(id);
        world_free(w);
    }
    /* The documented workaround: an explicit allow at a lower precedence. */
    world *w = l2bridge("ws2025", 0, 0);
    char *id = acl_pod(w, "10.244.1.30",
                       ACL("Block", "Out", ",\"RemoteAddresses\":\"1.2.3.4\"", 100) "," ACL(
                           "Allow", "Out", "", 1000) "," ACL("Allow", "In", "", 1000));
    net_walk r = walk(w, "10.244.1.30", 40000, "10.244.1.10", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    free(id);
    world_free(w);
}

static void stateful_allow_lets_replies_in(void **state)
{
    (void)state;
    /* ws2025 default deny; only outbound allowed: the reply still comes in. */
    world *w = l2bridge("ws2025", 0, 0);
    char *id = acl_pod(w, "10.244.1.30", ACL("Allow", "Out", "", 1000));
    net_walk r = walk(w, "10.244.1.30", 40000, "10.244.1.10", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *flow = find_in_layer(&reply, "flow", "FW_ADMIN_LAYER");
    assert_non_null(flow);
    assert_string_equal(flow->at, id);
    /* A new inbound connection is not a reply: denied. */
    net_walk fresh = walk(w, "10.244.1.10", 40000, "10.244.1.30", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&fresh, NET_DROPPED, NET_REASON_ACL_DEFAULT);
    net_walk_clear(&fresh);
    net_walk_clear(&reply);
    net_walk_clear(&r);
    free(id);
    world_free(w);
}

static void host_rules_only_see_the_host(void **state)
{
    (void)state;
    /* A RuleType Host Allow (Calico's "allow host to endpoint", sent without
     * a priority) lets the node in, not every other pod (compile.h). */
    world *w = l2bridge("ws2022", 0, 0);
    char *id = acl_pod(w, "10.244.1.30",
                       ACL("Block", "In", "", 1000) ",{\"Type\":\"ACL\",\"Settings\":{\"Action\":"
                       "\"Allow\",\"Direction\":\"In\",\"RuleType\":\"Host\"}}");
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.1.30", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_ACL_BLOCK);
    net_walk_clear(&r);
    r = walk(w, "10.0.0.4", 40000, "10.244.1.30", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    free(id);
    world_free(w);
}

static void non_dsr_acl_sees_the_snat_address(void **state)
{
    (void)state;
    /* field-bugs D4: the backend's ACL matches the SNAT source, not the client. */
    world *w = l2bridge("ws2022", 0, 0);
    char *guarded = dp_pod(w->hns[1], w->net[1], "guarded", "10.244.2.30",
                           ACL("Block", "In", ",\"RemoteAddresses\":\"10.244.1.0/24\"", 100));
    char *remote = dp_remote(w->hns[0], w->net[0], "10.244.2.30", NULL);
    char *b[1] = {remote};
    w->lb[0] = dp_lb(w->hns[0], b, 1, VIP, 6, 80, 80, 0, 0, NULL, 0);
    dp_sync(w->node[0]);
    dp_sync(w->node[1]);
    net_walk direct = walk(w, "10.244.1.11", 40000, "10.244.2.30", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&direct, NET_DROPPED, NET_REASON_ACL_BLOCK);
    net_walk via_vip = walk(w, "10.244.1.11", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&via_vip, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&via_vip);
    net_walk_clear(&direct);
    free(guarded);
    free(remote);
    world_free(w);
}

static void rules_swap_revalidates_flows(void **state)
{
    (void)state;
    /* A stateful Allow Out makes a flow; a Block added later (a new ruleset
     * swapped in) applies to that flow's next packet too. */
    world *w = l2bridge("ws2022", 0, 0);
    char *id = acl_pod(w, "10.244.1.30", ACL("Allow", "Out", "", 1000));
    net_walk r = walk(w, "10.244.1.30", 40000, "10.244.1.10", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    vfp_ruleset *before = net_node_port_rules(w->node[0], id);
    free(dp_call(w->hns[0], HNSM_ENDPOINT, HNSM_OP_MODIFY, id, NULL,
                 "{\"ResourceType\":\"Policy\",\"RequestType\":\"Add\",\"Settings\":{"
                 "\"Policies\":[" ACL("Block", "Out", "", 100) "]}}"));
    dp_sync(w->node[0]);
    vfp_ruleset *after = net_node_port_rules(w->node[0], id);
    assert_true(after->generation == before->generation + 1);
    r = walk(w, "10.244.1.30", 40000, "10.244.1.10", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_ACL_BLOCK);
    net_walk_clear(&r);
    vfp_ruleset_release(before);
    vfp_ruleset_release(after);
    free(id);
    world_free(w);
}

/* ---- overlay ------------------------------------------------------------------------------ */

/* The overlay world: Windows nodes 1 and 2 on VNI 4096 with remote subnet
 * routes to each other and to the Linux node 3 (10.244.3.0/24). pod 0 of
 * node 1 has OutBoundNAT; node 1 has the source VIP endpoint 10.244.1.250. */
static world *overlay(int host_route, uint32_t mtu)
{
    world *w = calloc(1, sizeof *w);
    w->c = net_cluster_new(42);
    net_set_underlay_mtu(w->c, mtu);
    net_add_cluster_cidr(w->c, "10.244.0.0/16");
    net_add_cluster_cidr(w->c, "10.96.0.0/12");
    for (int i = 0; i < 2; i++) {
        char subnet[32], gw[32], policies[1024], ip[32];
        sprintf(subnet, "10.244.%d.0/24", i + 1);
        sprintf(gw, "10.244.%d.1", i + 1);
        int used = sprintf(policies, ",\"Policies\":[{\"Type\":\"DrMacAddress\",\"Settings\":{"
                                     "\"Address\":\"00-15-5D-00-00-0%d\"}}",
                           i + 1);
        for (int peer = 0; peer < 3; peer++)
            if (peer != i)
                used += sprintf(policies + used,
                                ",{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{"
                                "\"DestinationPrefix\":\"10.244.%d.0/24\",\"IsolationId\":4096,"
                                "\"ProviderAddress\":\"%s\",\"DistributedRouterMacAddress\":"
                                "\"00-15-5D-00-00-0%d\"}}",
                                peer + 1, node_ip[peer], peer + 1);
        if (host_route)
            used += sprintf(policies + used, ",{\"Type\":\"HostRoute\",\"Settings\":{}}");
        sprintf(policies + used, "]");
        w->hns[i] = dp_hns("ws2022");
        /* The VSID goes on the subnet; Policies of the network follow. */
        w->net[i] = dp_network(w->hns[i], "vxlan0", "Overlay", subnet, gw, 4096, policies);
        for (int j = 0; j < 2; j++) {
            pod_ip(ip, i, j);
            w->pod[i][j] = dp_pod(w->hns[i], w->net[i], "pod", ip, j == 0 ? DP_OUTBOUND_NAT : "");
        }
    }
    free(dp_pod(w->hns[0], w->net[0], "source_vip", "10.244.1.250", ""));
    for (int i = 0; i < 2; i++) {
        w->node[i] = net_add_windows(w->c, i ? "win2" : "win1", node_ip[i], w->hns[i]);
        dp_sync(w->node[i]);
    }
    w->linux_node = net_add_linux(w->c, "linux1", node_ip[2], "10.244.3.0/24");
    net_linux_add_pod(w->linux_node, "10.244.3.5", "caller");
    net_linux_add_vxlan_route(w->linux_node, "10.244.1.0/24", node_ip[0], 4096);
    net_linux_add_vxlan_route(w->linux_node, "10.244.2.0/24", node_ip[1], 4096);
    return w;
}

static void overlay_encap_across_nodes(void **state)
{
    (void)state;
    world *w = overlay(0, 1500);
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.2.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *enc = find_step(&r, "routeencap", "REMOTESUBNETROUTE_10.244.2.0_24");
    assert_non_null(enc);
    assert_string_equal(enc->group, "VNET_GROUP_PA_ROUTE_IPV4_OUT");
    const net_step *wire = find_step(&r, "encap", NULL);
    assert_non_null(wire);
    assert_non_null(strstr(wire->note, "VNI 4096 to PA 10.0.0.5"));
    assert_non_null(find_step(&r, "decap", NULL));
    assert_string_equal(r.to.node, "win2");
    net_walk_clear(&r);
    world_free(w);
}

/* A RemoteSubnetRoute that names a DR MAC the peer's network does not have
 * (the peer recreated it): the peer drops what it decapsulates. */
static void stale_dr_mac_is_not_routed(void **state)
{
    (void)state;
    world *w = overlay(0, 1500);
    const char *old_route = "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{"
                            "\"DestinationPrefix\":\"10.244.2.0/24\",\"IsolationId\":4096,"
                            "\"ProviderAddress\":\"10.0.0.5\",\"DistributedRouterMacAddress\":"
                            "\"00-15-5D-00-00-02\"}}";
    const char *stale_route = "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{"
                              "\"DestinationPrefix\":\"10.244.2.0/24\",\"IsolationId\":4096,"
                              "\"ProviderAddress\":\"10.0.0.5\",\"DistributedRouterMacAddress\":"
                              "\"00-15-5D-00-00-09\"}}";
    char request[1024];
    snprintf(request, sizeof request, "{\"ResourceType\":\"Policy\",\"RequestType\":\"Remove\","
                                      "\"Settings\":{\"Policies\":[%s]}}", old_route);
    free(dp_call(w->hns[0], HNSM_NETWORK, HNSM_OP_MODIFY, w->net[0], NULL, "%s", request));
    snprintf(request, sizeof request, "{\"ResourceType\":\"Policy\",\"RequestType\":\"Add\","
                                      "\"Settings\":{\"Policies\":[%s]}}", stale_route);
    free(dp_call(w->hns[0], HNSM_NETWORK, HNSM_OP_MODIFY, w->net[0], NULL, "%s", request));
    dp_sync(w->node[0]);
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.2.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_DR_MAC_MISMATCH);
    assert_non_null(strstr(r.detail, "inner destination MAC 00-15-5D-00-00-09"));
    net_walk_clear(&r);
    /* Linux VTEPs carry no modelled MAC: not checked. */
    r = walk(w, "10.244.3.5", 40000, "10.244.2.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    world_free(w);
}

static void linux_pod_to_windows_pod_and_mtu(void **state)
{
    (void)state;
    /* field-bugs F1: 1400-byte segments + 50 bytes of VXLAN > MTU 1400. */
    world *w = overlay(0, 1400);
    net_walk r = walk(w, "10.244.3.5", 40000, "10.244.1.11", 443, VFP_PROTO_TCP, 1350);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_string_equal(r.from.node, "linux1");
    net_walk_clear(&r);
    r = walk(w, "10.244.3.5", 40000, "10.244.1.11", 443, VFP_PROTO_TCP, 1400);
    assert_verdict(&r, NET_DROPPED, NET_REASON_MTU_EXCEEDED);
    assert_non_null(strstr(r.detail, "1450 bytes with VXLAN > underlay MTU 1400"));
    net_walk_clear(&r);
    world_free(w);
}

/* field-bugs B3: the cloud keeps UDP 65330 of every host: a packet to a
 * node's own address and that port is taken on the wire; other ports and
 * protocols, and VXLAN, pass. */
static void cloud_reserved_host_port(void **state)
{
    (void)state;
    world *w = overlay(0, 1500);
    assert_int_equal(net_reserve_host_port(w->c, VFP_PROTO_UDP, 65330), 0);
    net_walk r = walk(w, "10.244.3.5", 40000, "10.0.0.4", 65330, VFP_PROTO_UDP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_CLOUD_RESERVED_PORT);
    assert_non_null(strstr(r.detail, "keeps UDP port 65330 of the hosts"));
    net_walk_clear(&r);
    r = walk(w, "10.244.3.5", 40000, "10.0.0.4", 65331, VFP_PROTO_UDP, 100);
    assert_int_not_equal(r.reason, NET_REASON_CLOUD_RESERVED_PORT);
    net_walk_clear(&r);
    r = walk(w, "10.244.3.5", 40000, "10.0.0.4", 65330, VFP_PROTO_TCP, 100);
    assert_int_not_equal(r.reason, NET_REASON_CLOUD_RESERVED_PORT);
    net_walk_clear(&r);
    r = walk(w, "10.244.3.5", 65330, "10.244.1.11", 65330, VFP_PROTO_UDP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED); /* a pod's port, in VXLAN */
    net_walk_clear(&r);
    world_free(w);
}

static void windows_service_with_linux_backend(void **state)
{
    (void)state;
    world *w = overlay(0, 1500);
    char *remote = dp_remote(w->hns[0], w->net[0], "10.244.3.5", "10.0.0.6");
    char *b[1] = {remote};
    w->lb[0] = dp_lb(w->hns[0], b, 1, VIP, 6, 80, 8080, 0, 0, "10.244.1.250", 0);
    dp_sync(w->node[0]);
    net_walk r = walk(w, "10.244.1.11", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_string_equal(r.to.node, "linux1");
    assert_addr(&r.output.src, "10.244.1.250"); /* the overlay source VIP (D1) */
    assert_non_null(find_step(&r, "routeencap", "REMOTE_EP_10.244.3.5"));
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&reply.output.src, VIP);
    assert_addr(&reply.output.dst, "10.244.1.11");
    net_walk_clear(&reply);
    net_walk_clear(&r);
    free(remote);
    world_free(w);
}

static void linux_service_dnat_from_windows(void **state)
{
    (void)state;
    world *w = overlay(0, 1500);
    const char *backends[] = {"10.244.3.5:8080"};
    /* The Linux node's kube-proxy DNATs what reaches it for the service. */
    assert_int_equal(net_linux_add_service(w->linux_node, NULL, 30090, 6, backends, 1), 0);
    net_walk r = walk(w, "10.244.1.11", 40000, "10.0.0.6", 30090, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_non_null(find_step(&r, "dnat", NULL));
    assert_addr(&r.output.dst, "10.244.3.5");
    net_walk_clear(&r);
    world_free(w);
}

static void overlay_host_to_pod_needs_host_route(void **state)
{
    (void)state;
    world *w = overlay(0, 1500);
    net_walk r = walk(w, "10.0.0.4", 50000, "10.244.1.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_NO_HOST_ROUTE);
    net_walk_clear(&r);
    world_free(w);
    w = overlay(1, 1500);
    r = walk(w, "10.0.0.4", 50000, "10.244.1.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    world_free(w);
}

/* ---- VFP diverging from HNS ---------------------------------------------------------------- */

static void outbound_nat_rules_missing(void **state)
{
    (void)state;
    /* field-bugs B6: the endpoint has OutBoundNAT in HNS, the port has no rules. */
    world *w = l2bridge("ws2022", 1, 1);
    net_add_external(w->c, "site", "1.1.1.1");
    assert_int_equal(net_node_add_vfp_fault(w->node[0], NET_VFP_SKIP_GROUP, w->pod[0][0],
                                            "SLB_NAT_LAYER", "SLB_GROUP_NAT_IPv4_OUT"),
                     0);
    dp_sync(w->node[0]);
    net_walk r = walk(w, "10.244.1.10", 40000, "1.1.1.1", 443, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    assert_addr(&r.output.src, "10.244.1.10"); /* left un-NATed */
    net_walk reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    assert_verdict(&reply, NET_DROPPED, NET_REASON_NO_ROUTE); /* nobody routes pod IPs back */
    net_walk_clear(&reply);
    net_walk_clear(&r);
    r = walk(w, "10.244.1.10", 40000, VIP, 80, VFP_PROTO_TCP, 100); /* services still work */
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&r);
    /* The other pod's port is programmed as HNS says. */
    vfp_ruleset *rs = net_node_port_rules(w->node[0], w->pod[0][0]);
    const vfp_group *g = vfp_layer_group(vfp_ruleset_layer(rs, "SLB_NAT_LAYER"), "SLB_GROUP_NAT_IPv4_OUT");
    assert_int_equal(g->n_rules, 0);
    vfp_ruleset_release(rs);
    net_node_clear_vfp_faults(w->node[0]);
    dp_sync(w->node[0]);
    rs = net_node_port_rules(w->node[0], w->pod[0][0]);
    g = vfp_layer_group(vfp_ruleset_layer(rs, "SLB_NAT_LAYER"), "SLB_GROUP_NAT_IPv4_OUT");
    assert_int_equal(g->n_rules, 5); /* three exceptions, SNAT TCP and UDP */
    vfp_ruleset_release(rs);
    world_free(w);
}

static void lb_dsr_rules_missing_on_one_port(void **state)
{
    (void)state;
    /* field-bugs A8.3: one pod cannot reach the service, its neighbour can. */
    world *w = l2bridge("ws2022", 1, 1);
    net_node_add_vfp_fault(w->node[0], NET_VFP_SKIP_GROUP, w->pod[0][1], "LB_DSR", "LB_DSR_IPv4_OUT");
    dp_sync(w->node[0]);
    net_walk bad = walk(w, "10.244.1.11", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&bad, NET_DROPPED, NET_REASON_NO_ROUTE);
    net_walk good = walk(w, "10.244.1.10", 40000, VIP, 80, VFP_PROTO_TCP, 100);
    assert_verdict(&good, NET_DELIVERED, NET_REASON_DELIVERED);
    net_walk_clear(&good);
    net_walk_clear(&bad);
    world_free(w);
}

static void stale_and_duplicate_lb_rules(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 1, 1);
    /* A8.1: the LB is replaced by one with a single backend; the port keeps
     * the old rule and its deleted DIP. */
    net_node_add_vfp_fault(w->node[0], NET_VFP_KEEP_GROUP, w->pod[0][1], "LB_DSR", "LB_DSR_IPv4_OUT");
    free(dp_call(w->hns[0], HNSM_LOADBALANCER, HNSM_OP_DELETE, w->lb[0], NULL, "{}"));
    char *one[1] = {w->remote[0][0]};
    char *lb = dp_lb(w->hns[0], one, 1, VIP, 6, 80, 8080, 0, 1, NULL, 0);
    dp_sync(w->node[0]);
    vfp_ruleset *stale = net_node_port_rules(w->node[0], w->pod[0][1]);
    vfp_ruleset *fresh = net_node_port_rules(w->node[0], w->pod[0][0]);
    const vfp_group *sg = vfp_layer_group(vfp_ruleset_layer(stale, "LB_DSR"), "LB_DSR_IPv4_OUT");
    const vfp_group *fg = vfp_layer_group(vfp_ruleset_layer(fresh, "LB_DSR"), "LB_DSR_IPv4_OUT");
    assert_int_equal(sg->rules[0].action.u.lb_nat.n_dips, 2);
    assert_string_equal(sg->rules[0].cookie.object_id, w->lb[0]);
    assert_int_equal(fg->rules[0].action.u.lb_nat.n_dips, 1);
    assert_string_equal(fg->rules[0].cookie.object_id, lb);
    vfp_ruleset_release(stale);
    vfp_ruleset_release(fresh);
    /* A8.2: duplicated rules on every port of the node. */
    net_node_clear_vfp_faults(w->node[0]);
    net_node_add_vfp_fault(w->node[0], NET_VFP_DUPLICATE_RULES, NULL, "LB_DSR", "LB_DSR_IPv4_OUT");
    dp_sync(w->node[0]);
    vfp_ruleset *dup = net_node_port_rules(w->node[0], "10.244.1.10");
    const vfp_group *dg = vfp_layer_group(vfp_ruleset_layer(dup, "LB_DSR"), "LB_DSR_IPv4_OUT");
    assert_int_equal(dg->n_rules, 2);
    assert_string_equal(dg->rules[0].id, dg->rules[1].id);
    vfp_ruleset_release(dup);
    free(lb);
    world_free(w);
}

static void decap_in_lost(void **state)
{
    (void)state;
    /* field-bugs E1: without DECAP_IN the node drops VXLAN traffic. */
    world *w = overlay(0, 1500);
    net_node_add_vfp_fault(w->node[1], NET_VFP_DROP_LAYER, VFP_PORT_EXTERNAL_NAME, "DECAP_IN", NULL);
    dp_sync(w->node[1]);
    net_walk r = walk(w, "10.244.1.10", 40000, "10.244.2.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DROPPED, NET_REASON_NO_DECAP);
    net_walk_clear(&r);
    net_node_clear_vfp_faults(w->node[1]);
    dp_sync(w->node[1]);
    r = walk(w, "10.244.1.10", 40000, "10.244.2.11", 80, VFP_PROTO_TCP, 100);
    assert_verdict(&r, NET_DELIVERED, NET_REASON_DELIVERED);
    const net_step *d = find_step(&r, "decap", "DECAP_VXLAN_4096");
    assert_non_null(d);
    assert_string_equal(d->object, w->net[1]);
    net_walk_clear(&r);
    world_free(w);
}

/* ---- output -------------------------------------------------------------------------------- */

/* The walk and reply of pod -> service -> pod across two nodes as text and JSON. */
static void service_walk_outputs(char **text, char **json)
{
    world *w = l2bridge("ws2022", 1, 0);
    net_walk r = walk(w, "10.244.1.10", 40000, VIP, 80, VFP_PROTO_TCP, 100), reply;
    assert_int_equal(net_walk_reply(w->c, &r, NULL, &reply), 0);
    char *t1, *t2, *j1, *j2;
    assert_int_equal(net_walk_format_text(&r, &t1), 0);
    assert_int_equal(net_walk_format_text(&reply, &t2), 0);
    assert_int_equal(net_walk_format_json(&r, &j1), 0);
    assert_int_equal(net_walk_format_json(&reply, &j2), 0);
    *text = malloc(strlen(t1) + strlen(t2) + 16);
    sprintf(*text, "%s\n--- reply\n%s", t1, t2);
    *json = malloc(strlen(j1) + strlen(j2) + 16);
    sprintf(*json, "%s\n%s\n", j1, j2);
    free(t1);
    free(t2);
    free(j1);
    free(j2);
    net_walk_clear(&reply);
    net_walk_clear(&r);
    world_free(w);
}

static void golden_service_trace(void **state)
{
    (void)state;
    char *text, *json, *text2, *json2;
    service_walk_outputs(&text, &json);
    service_walk_outputs(&text2, &json2); /* the same world again: the same bytes */
    assert_string_equal(text, text2);
    assert_string_equal(json, json2);
    assert_golden("walk_service.txt", text);
    assert_golden("walk_service.json", json);
    assert_non_null(strstr(json, "\"verdict\":\t\"delivered\""));
    assert_non_null(strstr(json, "\"steps\":"));
    free(text);
    free(json);
    free(text2);
    free(json2);
}

static void matrix_with_expectations(void **state)
{
    (void)state;
    world *w = l2bridge("ws2022", 0, 0);
    char *id = acl_pod(w, "10.244.1.30",
                       ACL("Block", "In", ",\"RemoteAddresses\":\"10.244.2.0/24\"", 100));
    net_probe_point from[] = {{"win1/pod0", "10.244.1.10", 0, 0},
                              {"win2/pod0", "10.244.2.10", 0, 0},
                              {"win2/pod1", "10.244.2.11", 0, 0}};
    net_probe_point to[] = {{"guarded:80", "10.244.1.30", 80, 6},
                            {"win1/pod1:80", "10.244.1.11", 80, 6},
                            {"nowhere:80", "10.244.7.7", 80, 6},
                            {"internet:443", "8.8.8.8", 443, 6}};
    unsigned char expected[] = {1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1};
    net_matrix m;
    assert_int_equal(net_matrix_probe(w->c, from, 3, to, 4, expected, &m), 0);
    assert_int_equal(net_matrix_mismatches(&m), 1); /* win2/pod1 -> nowhere */
    assert_int_equal(m.reasons[2 * 4 + 2], NET_REASON_NO_ROUTE);
    assert_int_equal(m.reasons[1 * 4 + 0], NET_REASON_ACL_BLOCK);
    assert_int_equal(m.reasons[0 * 4 + 3], NET_REASON_FORWARDED);
    char *text;
    assert_int_equal(net_matrix_format(&m, &text), 0);
    assert_golden("matrix.txt", text);
    free(text);
    net_matrix_clear(&m);
    /* What-if probes left nothing behind: no SNAT port is held. */
    net_walk r = walk(w, "10.244.1.10", 40000, "8.8.8.8", 443, VFP_PROTO_TCP, 100);
    assert_int_equal(r.output.src_port, 49152);
    net_walk_clear(&r);
    free(id);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pod_to_pod_across_nodes),
        cmocka_unit_test(same_node_pods_stay_in_the_vswitch),
        cmocka_unit_test(unknown_pod_address_has_no_route),
        cmocka_unit_test(service_non_dsr_snat_and_reply),
        cmocka_unit_test(lb_groups_are_shared_by_the_ports_of_a_node),
        cmocka_unit_test(service_dsr_keeps_client_address),
        cmocka_unit_test(session_affinity_keeps_backend_per_client),
        cmocka_unit_test(per_connection_spreads_backends),
        cmocka_unit_test(lb_without_backends_drops),
        cmocka_unit_test(host_to_vip_needs_local_routed_vip),
        cmocka_unit_test(nodeport_from_outside_and_back),
        cmocka_unit_test(hostport_mapping),
        cmocka_unit_test(sdn_route_next_hop),
        cmocka_unit_test(outbound_nat_exceptions_and_icmp),
        cmocka_unit_test(snat_ports_exhaust_and_recover),
        cmocka_unit_test(external_reply_reaches_the_pod),
        cmocka_unit_test(acl_block_names_the_rule),
        cmocka_unit_test(ws2025_any_acl_flips_default_deny),
        cmocka_unit_test(stateful_allow_lets_replies_in),
        cmocka_unit_test(host_rules_only_see_the_host),
        cmocka_unit_test(non_dsr_acl_sees_the_snat_address),
        cmocka_unit_test(rules_swap_revalidates_flows),
        cmocka_unit_test(overlay_encap_across_nodes),
        cmocka_unit_test(linux_pod_to_windows_pod_and_mtu),
        cmocka_unit_test(stale_dr_mac_is_not_routed),
        cmocka_unit_test(cloud_reserved_host_port),
        cmocka_unit_test(snat_skips_excluded_ports),
        cmocka_unit_test(windows_service_with_linux_backend),
        cmocka_unit_test(linux_service_dnat_from_windows),
        cmocka_unit_test(overlay_host_to_pod_needs_host_route),
        cmocka_unit_test(outbound_nat_rules_missing),
        cmocka_unit_test(lb_dsr_rules_missing_on_one_port),
        cmocka_unit_test(stale_and_duplicate_lb_rules),
        cmocka_unit_test(decap_in_lost),
        cmocka_unit_test(golden_service_trace),
        cmocka_unit_test(matrix_with_expectations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
