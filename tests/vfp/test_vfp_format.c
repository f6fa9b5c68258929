/*
 * test_vfp_format.c - golden text of the vfpctrl-style listing and of traces.
 *
 * The fixture is the program of one Windows pod port as the reference shows
 * its pieces: FW_ADMIN_LAYER ACLs with the Calico/Azure CNI priorities and
 * "8195 terminating stateful" flags (consumers.md 4.3, field-bugs I1), an
 * SLB_NAT_LAYER with a kube-proxy style lbnat rule (diagnostics.md 6 rule
 * ids) and an outbound NAT, and a VNET routing layer with an LPM group of
 * routeencap / paroute rules (field-bugs 0.4: VNET_GROUP_PA_ROUTE_IPV4_OUT,
 * REMOTESUBNETROUTE), then a layer rewriting the destination MAC. The
 * expected text is in tests/vfp/golden/; run with VFP_GOLDEN_UPDATE=1 to
 * rewrite it after an intended change, then review the diff. Byte stability
 * is checked too: the same program added in another order lists the same
 * bytes.
 */
#include "vfp_test.h"

#define PORT "5A8C2F1E-3B7D-4E21-9C55-0F6A1B2C3D4E"
#define POD "10.244.1.10"

/* Adds one rule (conditions as arrays; any may be NULL/0). */
static void rule(vfp_builder *b, int g, const char *id, uint32_t prio, uint32_t flags,
                 vfp_action action, uint16_t proto, const char *remote, uint16_t rport,
                 const char *object, int policy, const char *text)
{
    vfp_addr_range r;
    vfp_port_range p = {rport, rport};
    vfp_rule_spec spec = {
        .id = id,
        .priority = prio,
        .flags = flags,
        .flow_ttl = flags & VFP_RULE_STATEFUL ? 240 : 0,
        .action = action,
        .match = {.protocols = proto ? &proto : NULL,
                  .n_protocols = proto ? 1 : 0,
                  .remote_addrs = remote ? &r : NULL,
                  .n_remote_addrs = remote ? 1 : 0,
                  .remote_ports = rport ? &p : NULL,
                  .n_remote_ports = rport ? 1 : 0},
        .cookie = {.object_id = object, .policy_index = policy, .text = text},
    };
    if (remote)
        r = R(remote);
    assert_vfp_ok(vfp_builder_add_rule(b, g, &spec));
}

static int group(vfp_builder *b, int layer, const char *name, uint32_t prio, vfp_direction dir,
                 uint8_t family, vfp_match_type match)
{
    vfp_group_spec spec = {
        .name = name, .priority = prio, .direction = dir, .family = family, .match_type = match};
    int g = vfp_builder_add_group(b, layer, &spec);
    assert_vfp_ok(g);
    return g;
}

static const vfp_dip dns_dips[] = {{{4, 0, 0x0AF40105}, 53}, {{4, 0, 0x0AF40207}, 53}};

/* The pod port's program. reversed adds every layer, group and rule in the
 * opposite order (the priorities of siblings all differ), which must not
 * change a byte. */
static vfp_ruleset *pod_port(bool reversed)
{
    vfp_builder *b = vfp_builder_new(PORT, NULL);
    assert_non_null(b);
    const char *ep = "5A8C2F1E-3B7D-4E21-9C55-0F6A1B2C3D4E";
    const char *lb = "B1D5E0A2-7C44-4F0B-8E2D-3A9F6C1B2D0E";
    vfp_action allow = {.type = VFP_ACTION_ALLOW}, block = {.type = VFP_ACTION_BLOCK};
    vfp_action lbnat = {.type = VFP_ACTION_LB_NAT,
                        .u.lb_nat = {.dips = dns_dips,
                                     .n_dips = 2,
                                     .flags = 0,
                                     .distribution = 0,
                                     .source_vip = A("10.244.1.2")}};
    vfp_action snat = {
        .type = VFP_ACTION_SNAT,
        .u.snat = {.vip = A("192.168.1.11"), .pool = "SLB_NATPOOL_IPV4_UDP_192.168.1.11"}};
    vfp_action encap = {.type = VFP_ACTION_ENCAP,
                        .u.encap = {.encap_type = VFP_ENCAP_VXLAN,
                                    .vni = 4096,
                                    .pa = A("192.168.1.12"),
                                    .dr_mac = {0x00, 0x15, 0x5d, 0x0a, 0x01, 0x02}}};
    vfp_action route = {.type = VFP_ACTION_ROUTE,
                        .u.route = {.next_hop = A("192.168.1.1"), .compartment = 1}};
    vfp_action mac = {
        .type = VFP_ACTION_MAC_REWRITE,
        .u.mac_rewrite = {.dst_mac = {0x00, 0x15, 0x5d, 0x0a, 0x01, 0x01}, .rewrite_dst = 1}};

    for (int step = 0; step < 4; step++) {
        int which = reversed ? 3 - step : step;
        if (which == 0) {
            vfp_layer_spec ls = {.name = "FW_ADMIN_LAYER",
                                 .priority = 10,
                                 .flags = 0,
                                 .default_action = VFP_LAYER_ACL};
            int l = vfp_builder_add_layer(b, &ls);
            assert_vfp_ok(l);
            int in, out, out6;
            if (!reversed) {
                in = group(b, l, "FW_GROUP_IPv4_IN", 1, VFP_DIR_IN, VFP_FAMILY_IPV4,
                           VFP_MATCH_PRIORITY);
                out = group(b, l, "FW_GROUP_IPv4_OUT", 2, VFP_DIR_OUT, VFP_FAMILY_IPV4,
                            VFP_MATCH_PRIORITY);
                out6 = group(b, l, "FW_GROUP_IPv6_OUT", 3, VFP_DIR_OUT, VFP_FAMILY_IPV6,
                             VFP_MATCH_PRIORITY);
            } else {
                out6 = group(b, l, "FW_GROUP_IPv6_OUT", 3, VFP_DIR_OUT, VFP_FAMILY_IPV6,
                             VFP_MATCH_PRIORITY);
                out = group(b, l, "FW_GROUP_IPv4_OUT", 2, VFP_DIR_OUT, VFP_FAMILY_IPV4,
                            VFP_MATCH_PRIORITY);
                in = group(b, l, "FW_GROUP_IPv4_IN", 1, VFP_DIR_IN, VFP_FAMILY_IPV4,
                           VFP_MATCH_PRIORITY);
            }
            if (!reversed) {
                rule(b, in, "allow-host-to-endpoint", 900, VFP_RULE_FLAGS_ACL, allow, 0,
                     "192.168.1.11", 0, ep, 0, "ACL Allow In host");
                rule(b, in, "block-all-in", 65500, VFP_RULE_FLAGS_ACL, block, 256, NULL, 0, ep, 1,
                     "ACL Block In 256");
                rule(b, out, "allow-dns", 200, VFP_RULE_FLAGS_ACL, allow, 17, "10.96.0.10", 53, ep,
                     2, "ACL Allow Out DNS");
                rule(b, out, "block-wireserver", 65000, VFP_RULE_FLAGS_ACL, block, 6,
                     "168.63.129.16", 80, ep, 3, "ACL Block Out wireserver");
                rule(b, out, "allow-all-out", 65500, VFP_RULE_FLAGS_ACL, allow, 0, NULL, 0, ep, 4,
                     "ACL Allow Out 256");
                rule(b, out6, "allow-v6-cluster", 1000, VFP_RULE_FLAGS_ACL, allow, 6,
                     "fd00:10:244::/56", 0, ep, 5, "ACL Allow Out v6");
            } else {
                rule(b, out6, "allow-v6-cluster", 1000, VFP_RULE_FLAGS_ACL, allow, 6,
                     "fd00:10:244::/56", 0, ep, 5, "ACL Allow Out v6");
                rule(b, out, "allow-all-out", 65500, VFP_RULE_FLAGS_ACL, allow, 0, NULL, 0, ep, 4,
                     "ACL Allow Out 256");
                rule(b, out, "block-wireserver", 65000, VFP_RULE_FLAGS_ACL, block, 6,
                     "168.63.129.16", 80, ep, 3, "ACL Block Out wireserver");
                rule(b, out, "allow-dns", 200, VFP_RULE_FLAGS_ACL, allow, 17, "10.96.0.10", 53, ep,
                     2, "ACL Allow Out DNS");
                rule(b, in, "block-all-in", 65500, VFP_RULE_FLAGS_ACL, block, 256, NULL, 0, ep, 1,
                     "ACL Block In 256");
                rule(b, in, "allow-host-to-endpoint", 900, VFP_RULE_FLAGS_ACL, allow, 0,
                     "192.168.1.11", 0, ep, 0, "ACL Allow In host");
            }
        } else if (which == 1) {
            vfp_layer_spec ls = {
                .name = "SLB_NAT_LAYER", .priority = 20, .default_action = VFP_LAYER_CONTINUE};
            int l = vfp_builder_add_layer(b, &ls);
            assert_vfp_ok(l);
            int out = group(b, l, "SLB_GROUP_NAT_IPv4_OUT", 1, VFP_DIR_OUT, VFP_FAMILY_IPV4,
                            VFP_MATCH_PRIORITY);
            const uint32_t nat_flags = VFP_RULE_TERMINATING | VFP_RULE_STATEFUL;
            if (!reversed) {
                rule(b, out, "NAT_10.96.0.10_53_17", 100, nat_flags, lbnat, 17, "10.96.0.10", 53,
                     lb, -1, "LoadBalancer 10.96.0.10:53/UDP");
                rule(b, out, "NatExceptions_1", 200, VFP_RULE_TERMINATING, allow, 0,
                     "10.244.0.0/16", 0, ep, 6, "OutBoundNAT exception");
                rule(b, out, "OUTBOUND_NAT", 300, nat_flags, snat, 0, NULL, 0, ep, 6,
                     "OutBoundNAT VirtualIP");
            } else {
                rule(b, out, "OUTBOUND_NAT", 300, nat_flags, snat, 0, NULL, 0, ep, 6,
                     "OutBoundNAT VirtualIP");
                rule(b, out, "NatExceptions_1", 200, VFP_RULE_TERMINATING, allow, 0,
                     "10.244.0.0/16", 0, ep, 6, "OutBoundNAT exception");
                rule(b, out, "NAT_10.96.0.10_53_17", 100, nat_flags, lbnat, 17, "10.96.0.10", 53,
                     lb, -1, "LoadBalancer 10.96.0.10:53/UDP");
            }
        } else if (which == 3) {
            /* A layer of its own, so that it runs after the routing decision
             * (a fixture name; the reference names no MAC rewrite layer). */
            vfp_layer_spec ls = {
                .name = "VNET_DR_MAC_LAYER", .priority = 40, .default_action = VFP_LAYER_CONTINUE};
            int l = vfp_builder_add_layer(b, &ls);
            assert_vfp_ok(l);
            int macs = group(b, l, "VNET_GROUP_MAC_IPV4_OUT", 1, VFP_DIR_OUT, VFP_FAMILY_IPV4,
                             VFP_MATCH_PRIORITY);
            rule(b, macs, "MAC_DR", 1, 0, mac, 0, NULL, 0, NULL, -1, NULL);
        } else {
            vfp_layer_spec ls = {.name = "VNET_PA_ROUTE_LAYER",
                                 .priority = 30,
                                 .default_action = VFP_LAYER_CONTINUE};
            int l = vfp_builder_add_layer(b, &ls);
            assert_vfp_ok(l);
            int routes = group(b, l, "VNET_GROUP_PA_ROUTE_IPV4_OUT", 1, VFP_DIR_OUT,
                               VFP_FAMILY_IPV4, VFP_MATCH_LPM);
            if (!reversed) {
                rule(b, routes, "REMOTESUBNETROUTE_10.244.2.0_24", 10, VFP_RULE_TERMINATING, encap,
                     0, "10.244.2.0/24", 0, "9F3E2D1C-0B0A-4908-8706-050403020100", -1,
                     "RemoteSubnetRoute 10.244.2.0/24 via 192.168.1.12");
                rule(b, routes, "PA_ROUTE_DEFAULT", 20, VFP_RULE_TERMINATING, route, 0, "0.0.0.0/0",
                     0, NULL, -1, "host route");
            } else {
                rule(b, routes, "PA_ROUTE_DEFAULT", 20, VFP_RULE_TERMINATING, route, 0, "0.0.0.0/0",
                     0, NULL, -1, "host route");
                rule(b, routes, "REMOTESUBNETROUTE_10.244.2.0_24", 10, VFP_RULE_TERMINATING, encap,
                     0, "10.244.2.0/24", 0, "9F3E2D1C-0B0A-4908-8706-050403020100", -1,
                     "RemoteSubnetRoute 10.244.2.0/24 via 192.168.1.12");
            }
        }
    }
    vfp_ruleset *rs = NULL;
    assert_vfp_ok(vfp_builder_finish(b, &rs));
    return rs;
}

static void listing_matches_vfpctrl_shape(void **state)
{
    (void)state;
    vfp_ruleset *rs = pod_port(false);
    char *text = NULL;
    assert_vfp_ok(vfp_ruleset_format(rs, NULL, NULL, &text));
    assert_golden("list_rule.txt", text);
    /* The reference's quoted fragments are all there. */
    assert_non_null(strstr(text, "ITEM LIST\n===========\n"));
    assert_non_null(strstr(text, "Flags : 8195 terminating stateful\n"));
    assert_non_null(strstr(text, "Destination IP : 10.96.0.10-10.96.0.10\n"));
    assert_non_null(strstr(text, "Match type : Priority-based match\n"));
    assert_non_null(strstr(text, "Encap Type: VXLAN\n"));
    assert_non_null(strstr(text, "{ 10.244.1.5 : 53 }\n"));
    free(text);
    assert_vfp_ok(vfp_ruleset_format(rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_IN", &text));
    assert_golden("list_rule_fw_in.txt", text);
    /* IN groups put the local side in Destination, the remote in Source. */
    assert_non_null(strstr(text, "Source IP : 192.168.1.11-192.168.1.11\n"));
    free(text);
    assert_int_equal(vfp_ruleset_format(rs, "NOPE", NULL, &text), VFP_ENOENT);
    assert_int_equal(vfp_ruleset_format(rs, "FW_ADMIN_LAYER", "NOPE", &text), VFP_ENOENT);
    assert_int_equal(vfp_ruleset_format(rs, NULL, "FW_GROUP_IPv4_IN", &text), VFP_ENOENT);
    vfp_ruleset_release(rs);
}

static void listing_does_not_depend_on_the_order_of_addition(void **state)
{
    (void)state;
    vfp_ruleset *a = pod_port(false), *b = pod_port(true);
    char *ta = NULL, *tb = NULL;
    assert_vfp_ok(vfp_ruleset_format(a, NULL, NULL, &ta));
    assert_vfp_ok(vfp_ruleset_format(b, NULL, NULL, &tb));
    assert_string_equal(ta, tb);
    /* And twice the same ruleset is twice the same bytes. */
    char *again = NULL;
    assert_vfp_ok(vfp_ruleset_format(a, NULL, NULL, &again));
    assert_string_equal(ta, again);
    free(again);
    free(ta);
    free(tb);
    vfp_ruleset_release(a);
    vfp_ruleset_release(b);
}

/* The walker's stand-in: lbnat picks the first DIP, snat rewrites the source. */
static vfp_hook_verdict rewrite(void *ctx, const vfp_action_context *ac, vfp_packet *p,
                                const char **reason)
{
    (void)ctx;
    (void)reason;
    const vfp_action *a = &ac->rule->action;
    if (a->type == VFP_ACTION_LB_NAT) {
        p->dst = a->u.lb_nat.dips[0].addr;
        p->dst_port = a->u.lb_nat.dips[0].port;
    } else if (a->type == VFP_ACTION_SNAT) {
        p->src = a->u.snat.vip;
        p->src_port = 1025;
    }
    return VFP_HOOK_CONTINUE;
}

/* Appends the trace of p to all (a growing text). */
static void trace_into(char **all, size_t *len, const vfp_ruleset *rs, vfp_flow_table *flows,
                       const vfp_eval_options *o, vfp_packet p)
{
    vfp_result r;
    assert_vfp_ok(vfp_evaluate(rs, flows, o, &p, &r));
    char *text = NULL;
    assert_vfp_ok(vfp_result_format(&r, &text));
    size_t n = strlen(text);
    *all = realloc(*all, *len + n + 2);
    assert_non_null(*all);
    memcpy(*all + *len, text, n);
    (*all)[*len + n] = '\n';
    *len += n + 1;
    (*all)[*len] = '\0';
    free(text);
}

static void traces_name_layers_rules_objects_and_rewrites(void **state)
{
    (void)state;
    vfp_ruleset *rs = pod_port(false);
    vfp_flow_table *flows = vfp_flow_table_new(0);
    vfp_hooks hooks = {.apply = rewrite};
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    o.hooks = &hooks;
    char *all = NULL;
    size_t len = 0;
    /* DNS to the service VIP: allowed, load-balanced, routed by the default. */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_OUT, 17, POD, 40000, "10.96.0.10", 53));
    /* Its reply from the backend: the flows let it in and restore the VIP. */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_IN, 17, "10.244.1.5", 53, POD, 40000));
    /* A pod on node 2: NAT exception, then VXLAN encap (LPM beats the default). */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_OUT, 6, POD, 40001, "10.244.2.7", 8080));
    /* The internet: SNAT to the node address. */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_OUT, 6, POD, 40002, "8.8.8.8", 443));
    /* Wireserver: blocked by its rule. */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_OUT, 6, POD, 40003, "168.63.129.16", 80));
    /* Unsolicited inbound: blocked by the base rule. */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_IN, 6, "10.244.2.7", 5555, POD, 80));
    /* IPv6 to outside the allowed prefix: the WS2025 ACL default. */
    trace_into(&all, &len, rs, flows, &o,
               P(VFP_DIR_OUT, 6, "fd00:10:244:1::a", 40004, "2001:db8::1", 443));
    /* Mixed families. */
    trace_into(&all, &len, rs, flows, &o, P(VFP_DIR_OUT, 6, POD, 1, "2001:db8::1", 443));
    assert_golden("traces.txt", all);
    free(all);
    vfp_flow_table_free(flows);
    vfp_ruleset_release(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listing_matches_vfpctrl_shape),
        cmocka_unit_test(listing_does_not_depend_on_the_order_of_addition),
        cmocka_unit_test(traces_name_layers_rules_objects_and_rewrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
