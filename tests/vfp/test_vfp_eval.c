/*
 * test_vfp_eval.c - one test per evaluation semantic of sim/vfp, each naming
 * the reference entry (or the vfp.h choice) it follows: priorities and the
 * tie-break, protocol "any", address and port lists and ranges, IPv4/IPv6
 * separation, direction and local/remote, terminating and last-match rules,
 * Pass, layer defaults and the per-OS ACL default (field-bugs I1), layer
 * order per direction, stateful return traffic and its reverse translation,
 * action hooks, flows across ruleset swaps and TTLs, atomic swaps while a
 * reference is held (also under threads), counters, group reuse, builder
 * validation, LPM groups, group conditions, address text.
 */
#include "vfp_test.h"

#include <pthread.h>

/* ---------------------------------------------------------------------------
 * Fixture helpers
 */

/* Parses "a,b,c" port items ("80" or "1000-2000") into out; returns count. */
static size_t parse_ports(const char *csv, vfp_port_range *out, size_t cap)
{
    size_t n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", csv);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item && n < cap;
         item = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(item, '-');
        unsigned long lo = strtoul(item, NULL, 10);
        unsigned long hi = dash ? strtoul(dash + 1, NULL, 10) : lo;
        out[n++] = (vfp_port_range){(uint16_t)lo, (uint16_t)hi};
    }
    return n;
}

/* Adds a rule whose conditions are written "proto=6,17 local=10.0.0.0/8
 * remote=1.2.3.4 lport=80 rport=1000-2000" (any key may be left out). */
static int add_rule_ex(vfp_builder *b, int group, const char *id, uint32_t priority,
                       vfp_action action, uint32_t flags, const char *conditions)
{
    uint16_t protos[8];
    vfp_addr_range local[8], remote[8];
    vfp_port_range lport[8], rport[8];
    vfp_match m = {0};
    char buf[512];
    snprintf(buf, sizeof buf, "%s", conditions ? conditions : "");
    for (char *save = NULL, *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            fail_msg("condition \"%s\" has no '='", kv);
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(kv, "proto")) {
            char pb[128];
            snprintf(pb, sizeof pb, "%s", v);
            for (char *s2 = NULL, *p = strtok_r(pb, ",", &s2); p; p = strtok_r(NULL, ",", &s2))
                protos[m.n_protocols++] = (uint16_t)strtoul(p, NULL, 10);
            m.protocols = protos;
        } else if (!strcmp(kv, "local") || !strcmp(kv, "remote")) {
            vfp_addr_range *list = kv[0] == 'l' ? local : remote;
            size_t *n = kv[0] == 'l' ? &m.n_local_addrs : &m.n_remote_addrs;
            char ab[256];
            snprintf(ab, sizeof ab, "%s", v);
            for (char *s2 = NULL, *p = strtok_r(ab, ",", &s2); p; p = strtok_r(NULL, ",", &s2))
                list[(*n)++] = R(p);
            if (kv[0] == 'l')
                m.local_addrs = local;
            else
                m.remote_addrs = remote;
        } else if (!strcmp(kv, "lport")) {
            m.n_local_ports = parse_ports(v, lport, 8);
            m.local_ports = lport;
        } else if (!strcmp(kv, "rport")) {
            m.n_remote_ports = parse_ports(v, rport, 8);
            m.remote_ports = rport;
        } else {
            fail_msg("unknown condition key \"%s\"", kv);
        }
    }
    vfp_rule_spec spec = {.id = id,
                          .priority = priority,
                          .flags = flags,
                          .match = m,
                          .action = action,
                          .cookie = {.object_id = "EP-1", .policy_index = 0, .text = id}};
    return vfp_builder_add_rule(b, group, &spec);
}

/* add_rule_ex for a plain allow/block/pass action. */
static int add_rule(vfp_builder *b, int group, const char *id, uint32_t priority,
                    vfp_action_type action, uint32_t flags, const char *conditions)
{
    vfp_action a = {.type = action};
    return add_rule_ex(b, group, id, priority, a, flags, conditions);
}

static int add_layer(vfp_builder *b, const char *name, uint32_t priority, vfp_layer_default def)
{
    vfp_layer_spec spec = {.name = name, .priority = priority, .default_action = def};
    return vfp_builder_add_layer(b, &spec);
}

static int add_group(vfp_builder *b, int layer, const char *name, uint32_t priority,
                     vfp_direction dir, uint8_t family)
{
    vfp_group_spec spec = {.name = name,
                           .priority = priority,
                           .direction = dir,
                           .family = family,
                           .match_type = VFP_MATCH_PRIORITY};
    return vfp_builder_add_group(b, layer, &spec);
}

/* An ACL fixture: layer FW_ADMIN_LAYER (ACL default) with the groups
 * FW_GROUP_IPv4_IN (handle *in) and FW_GROUP_IPv4_OUT (handle *out). */
static vfp_builder *acl_builder(vfp_tie_break tie, int *in, int *out)
{
    vfp_build_options opts = {.tie_break = tie};
    vfp_builder *b = vfp_builder_new("EP-1", &opts);
    assert_non_null(b);
    int layer = add_layer(b, "FW_ADMIN_LAYER", 10, VFP_LAYER_ACL);
    assert_vfp_ok(layer);
    *in = add_group(b, layer, "FW_GROUP_IPv4_IN", 1, VFP_DIR_IN, VFP_FAMILY_IPV4);
    *out = add_group(b, layer, "FW_GROUP_IPv4_OUT", 1, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    assert_vfp_ok(*in);
    assert_vfp_ok(*out);
    return b;
}

static vfp_ruleset *finish(vfp_builder *b)
{
    vfp_ruleset *rs = NULL;
    assert_vfp_ok(vfp_builder_finish(b, &rs));
    return rs;
}

/* Evaluates p on rs with options for profile (no flows) and returns the verdict. */
static vfp_verdict verdict_of(const vfp_ruleset *rs, const char *profile, vfp_packet p)
{
    vfp_eval_options o;
    vfp_eval_options_init(&o, profile);
    vfp_result r;
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    return r.verdict;
}

/* The id of the rule that decided the (only) layer for p, or "(none)". */
static const char *decider_of(const vfp_ruleset *rs, vfp_packet p, vfp_result *r)
{
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2022");
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, r));
    for (size_t i = 0; i < r->trace.n; i++)
        if (r->trace.hits[i].decided && r->trace.hits[i].rule)
            return r->trace.hits[i].rule->id;
    return "(none)";
}

#define POD "10.0.0.5"
#define OUT_TCP(dst, dport) P(VFP_DIR_OUT, VFP_PROTO_TCP, POD, 40000, dst, dport)
#define IN_TCP(src, sport, dport) P(VFP_DIR_IN, VFP_PROTO_TCP, src, sport, POD, dport)

/* ---------------------------------------------------------------------------
 * Priorities, tie-break, match lists
 */

/* hcn-api.md 2.10 / field-bugs I1 (ACN PR #4823): lower number wins. */
static void lower_priority_number_wins(void **state)
{
    (void)state;
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, out, "allow-222", 222, VFP_ACTION_ALLOW, VFP_RULE_FLAGS_ACL,
                           "remote=10.1.0.0/16"));
    assert_vfp_ok(add_rule(b, out, "block-221", 221, VFP_ACTION_BLOCK, VFP_RULE_FLAGS_ACL,
                           "remote=10.1.2.0/24"));
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    assert_string_equal(decider_of(rs, OUT_TCP("10.1.2.3", 80), &r), "block-221");
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    assert_int_equal(r.reason, VFP_REASON_BLOCK_RULE);
    assert_string_equal(decider_of(rs, OUT_TCP("10.1.3.3", 80), &r), "allow-222");
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    vfp_ruleset_release(rs);
}

/* consumers.md 9.2 is open; vfp.h chooses Block first at equal priority,
 * then the order rules were added; VFP_TIE_ADDED_FIRST flips it. */
static void equal_priority_block_first_then_added_order(void **state)
{
    (void)state;
    for (int tie = VFP_TIE_BLOCK_FIRST; tie <= VFP_TIE_ADDED_FIRST; tie++) {
        int in, out;
        vfp_builder *b = acl_builder((vfp_tie_break)tie, &in, &out);
        assert_vfp_ok(add_rule(b, out, "allow-a", 500, VFP_ACTION_ALLOW, 1, NULL));
        assert_vfp_ok(add_rule(b, out, "allow-b", 500, VFP_ACTION_ALLOW, 1, NULL));
        assert_vfp_ok(add_rule(b, out, "block-c", 500, VFP_ACTION_BLOCK, 1, NULL));
        vfp_ruleset *rs = finish(b);
        vfp_result r;
        const char *want = tie == VFP_TIE_BLOCK_FIRST ? "block-c" : "allow-a";
        assert_string_equal(decider_of(rs, OUT_TCP("8.8.8.8", 53), &r), want);
        assert_int_equal(rs->build.tie_break, tie);
        vfp_ruleset_release(rs);
    }
}

/* hcn-api.md 2.10: Protocols "256" (v1 Protocol 256) is any; so is no list. */
static void protocol_256_and_empty_list_mean_any(void **state)
{
    (void)state;
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(
        add_rule(b, out, "tcp-udp", 100, VFP_ACTION_ALLOW, 1, "proto=6,17 remote=1.1.1.1"));
    assert_vfp_ok(
        add_rule(b, out, "any-256", 100, VFP_ACTION_ALLOW, 1, "proto=256 remote=2.2.2.2"));
    assert_vfp_ok(add_rule(b, out, "any-empty", 100, VFP_ACTION_ALLOW, 1, "remote=3.3.3.3"));
    vfp_ruleset *rs = finish(b);
    const vfp_group *g =
        vfp_layer_group(vfp_ruleset_layer(rs, "FW_ADMIN_LAYER"), "FW_GROUP_IPv4_OUT");
    assert_int_equal(vfp_group_rule(g, "any-256")->match.n_protocols, 0); /* normalized to any */
    static const uint8_t protos[] = {VFP_PROTO_TCP, VFP_PROTO_UDP, VFP_PROTO_ICMP, 47};
    for (int i = 0; i < 4; i++) {
        vfp_result r;
        vfp_packet p = P(VFP_DIR_OUT, protos[i], POD, 0, "1.1.1.1", 0);
        assert_string_equal(decider_of(rs, p, &r), i < 2 ? "tcp-udp" : "(none)");
        p.dst = A("2.2.2.2");
        assert_string_equal(decider_of(rs, p, &r), "any-256");
        p.dst = A("3.3.3.3");
        assert_string_equal(decider_of(rs, p, &r), "any-empty");
    }
    vfp_ruleset_release(rs);
}

/* hcn-api.md 2.10: comma lists of IPs/CIDRs and of ports, port ranges
 * (AclPortRanges); consumers.md 4.3 "a-b" ranges. Lists are OR-ed, kinds
 * AND-ed, and range ends are inclusive. */
static void address_and_port_lists_and_ranges(void **state)
{
    (void)state;
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, out, "list", 100, VFP_ACTION_ALLOW, 1,
                           "remote=192.168.100.0/24,10.0.0.21 rport=80,8080"));
    assert_vfp_ok(add_rule(b, out, "range", 200, VFP_ACTION_ALLOW, 1,
                           "remote=172.16.0.1-172.16.0.9 rport=1000-2000"));
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    assert_string_equal(decider_of(rs, OUT_TCP("192.168.100.0", 80), &r), "list");
    assert_string_equal(decider_of(rs, OUT_TCP("192.168.100.255", 8080), &r), "list");
    assert_string_equal(decider_of(rs, OUT_TCP("10.0.0.21", 80), &r), "list");
    assert_string_equal(decider_of(rs, OUT_TCP("10.0.0.22", 80), &r), "(none)");
    assert_string_equal(decider_of(rs, OUT_TCP("192.168.101.0", 80), &r), "(none)");
    assert_string_equal(decider_of(rs, OUT_TCP("192.168.100.7", 81), &r), "(none)");
    assert_string_equal(decider_of(rs, OUT_TCP("172.16.0.1", 1000), &r), "range");
    assert_string_equal(decider_of(rs, OUT_TCP("172.16.0.9", 2000), &r), "range");
    assert_string_equal(decider_of(rs, OUT_TCP("172.16.0.10", 1500), &r), "(none)");
    assert_string_equal(decider_of(rs, OUT_TCP("172.16.0.0", 1500), &r), "(none)");
    assert_string_equal(decider_of(rs, OUT_TCP("172.16.0.5", 999), &r), "(none)");
    assert_string_equal(decider_of(rs, OUT_TCP("172.16.0.5", 2001), &r), "(none)");
    vfp_ruleset_release(rs);
}

/* vfp.h: IPv4 and IPv6 keys live in separate tables; a v4 range never
 * matches a v6 packet (not even ::ffff:a.b.c.d), a v6 range never a v4 one,
 * an empty list matches both; typed groups ignore the other family. */
static void ipv4_and_ipv6_never_cross_match(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "L", 1, VFP_LAYER_CONTINUE);
    int any = add_group(b, layer, "G_ANY", 1, VFP_DIR_OUT, VFP_FAMILY_ANY);
    int v4 = add_group(b, layer, "G_V4", 2, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    /* Non-terminating, so the IPv4 group after them has the last word. */
    assert_vfp_ok(add_rule(b, any, "v4-range", 100, VFP_ACTION_ALLOW, 0, "remote=10.0.0.0/8"));
    assert_vfp_ok(add_rule(b, any, "v6-all", 200, VFP_ACTION_ALLOW, 0, "remote=::/0"));
    assert_vfp_ok(add_rule(b, any, "wild", 300, VFP_ACTION_ALLOW, 0, "proto=58"));
    assert_vfp_ok(add_rule(b, v4, "v4-group", 100, VFP_ACTION_BLOCK, 0, NULL));
    assert_int_equal(add_rule(b, v4, "v6-in-v4", 100, VFP_ACTION_BLOCK, 0, "remote=fd00::/8"),
                     VFP_EFAMILY);
    vfp_ruleset *rs = finish(b);
    const vfp_group *g = vfp_layer_group(&rs->layers[0], "G_ANY");
    vfp_key k;
    vfp_packet p = P(VFP_DIR_OUT, VFP_PROTO_TCP, "::ffff:10.0.0.5", 1, "::ffff:10.0.0.1", 80);
    vfp_key_from_packet(&p, &k);
    assert_string_equal(vfp_group_classify(g, &k)->id, "v6-all");
    p = P(VFP_DIR_OUT, VFP_PROTO_TCP, "10.0.0.5", 1, "10.0.0.1", 80);
    vfp_key_from_packet(&p, &k);
    assert_string_equal(vfp_group_classify(g, &k)->id, "v4-range");
    p = P(VFP_DIR_OUT, VFP_PROTO_TCP, "192.168.0.5", 1, "192.168.0.1", 80);
    vfp_key_from_packet(&p, &k);
    assert_null(vfp_group_classify(g, &k));
    p = P(VFP_DIR_OUT, VFP_PROTO_ICMPV6, "192.168.0.5", 0, "192.168.0.1", 0);
    vfp_key_from_packet(&p, &k);
    assert_string_equal(vfp_group_classify(g, &k)->id, "wild");
    /* The IPv4 group (non-terminating block, last group) decides v4 only. */
    assert_int_equal(verdict_of(rs, "ws2022", P(VFP_DIR_OUT, 6, "10.0.0.5", 1, "10.0.0.1", 80)),
                     VFP_VERDICT_BLOCK);
    assert_int_equal(verdict_of(rs, "ws2022", P(VFP_DIR_OUT, 6, "fd00::5", 1, "fd00::1", 80)),
                     VFP_VERDICT_ALLOW);
    vfp_ruleset_release(rs);
}

/* hcn-api.md 2.10 Direction; consumers.md 4.3: inbound source -> Remote,
 * destination -> Local; outbound the reverse. Groups apply to their
 * direction only. */
static void direction_selects_groups_and_local_remote(void **state)
{
    (void)state;
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, in, "web-in", 100, VFP_ACTION_ALLOW, 1,
                           "local=10.0.0.5 lport=80 remote=10.1.0.0/16"));
    assert_vfp_ok(add_rule(b, out, "web-out", 100, VFP_ACTION_ALLOW, 1,
                           "local=10.0.0.5 lport=80 remote=10.1.0.0/16"));
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    assert_string_equal(decider_of(rs, IN_TCP("10.1.2.3", 5555, 80), &r), "web-in");
    /* The reply of that connection: local port 80 is now the source. */
    assert_string_equal(decider_of(rs, P(VFP_DIR_OUT, 6, POD, 80, "10.1.2.3", 5555), &r),
                        "web-out");
    /* Same addresses, wrong sides. */
    assert_string_equal(decider_of(rs, P(VFP_DIR_IN, 6, POD, 80, "10.1.2.3", 5555), &r), "(none)");
    vfp_ruleset_release(rs);
}

/* ---------------------------------------------------------------------------
 * Terminating, last match, Pass, defaults, layer order
 */

/* vfp.h (VFP paper): a terminating match decides the layer at once; without
 * one the last group's match decides. */
static void terminating_stops_and_last_group_wins_otherwise(void **state)
{
    (void)state;
    for (int terminating = 0; terminating <= 1; terminating++) {
        vfp_builder *b = vfp_builder_new("EP-1", NULL);
        int layer = add_layer(b, "L", 1, VFP_LAYER_CONTINUE);
        int g1 = add_group(b, layer, "G1", 1, VFP_DIR_OUT, VFP_FAMILY_IPV4);
        int g2 = add_group(b, layer, "G2", 2, VFP_DIR_OUT, VFP_FAMILY_IPV4);
        assert_vfp_ok(add_rule(b, g2, "late-block", 1, VFP_ACTION_BLOCK, 0, NULL));
        assert_vfp_ok(add_rule(b, g1, "early-allow", 1, VFP_ACTION_ALLOW,
                               terminating ? VFP_RULE_TERMINATING : 0, NULL));
        vfp_ruleset *rs = finish(b);
        vfp_result r;
        const char *id = decider_of(rs, OUT_TCP("8.8.8.8", 53), &r);
        if (terminating) {
            assert_string_equal(id, "early-allow");
            assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
            assert_int_equal(r.trace.n, 1); /* G2 never visited */
        } else {
            assert_string_equal(id, "late-block");
            assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
            assert_int_equal(r.trace.n, 2);
            assert_false(r.trace.hits[0].decided);
            assert_true(r.trace.hits[1].decided);
        }
        vfp_ruleset_release(rs);
    }
}

/* hcn-api.md 2.9 TierAcl Pass: traced and counted, never decides, even when
 * flagged terminating; the next group (tier) decides. */
static void pass_hands_the_packet_to_the_next_group(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "FW_ADMIN_LAYER", 1, VFP_LAYER_ACL);
    int tier1 = add_group(b, layer, "TIER1", 1001, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    int tier2 = add_group(b, layer, "TIER2", 1002, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    assert_vfp_ok(add_rule(b, tier1, "pass-web", 2001, VFP_ACTION_PASS, 1, "rport=80"));
    assert_vfp_ok(add_rule(b, tier1, "block-rest", 2002, VFP_ACTION_BLOCK, 1, NULL));
    assert_vfp_ok(add_rule(b, tier2, "allow-web", 2001, VFP_ACTION_ALLOW, 1, "rport=80,443"));
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    assert_string_equal(decider_of(rs, OUT_TCP("8.8.8.8", 80), &r), "allow-web");
    assert_int_equal(r.trace.n, 2);
    assert_int_equal(r.trace.hits[0].action, VFP_ACTION_PASS);
    assert_false(r.trace.hits[0].decided);
    assert_string_equal(decider_of(rs, OUT_TCP("8.8.8.8", 443), &r), "block-rest");
    vfp_ruleset_release(rs);

    /* A Pass with no later tier falls to the ACL default. */
    b = vfp_builder_new("EP-1", NULL);
    layer = add_layer(b, "FW_ADMIN_LAYER", 1, VFP_LAYER_ACL);
    tier1 = add_group(b, layer, "TIER1", 1001, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    assert_vfp_ok(add_rule(b, tier1, "pass-all", 2001, VFP_ACTION_PASS, 1, NULL));
    rs = finish(b);
    assert_int_equal(verdict_of(rs, "ws2025", OUT_TCP("8.8.8.8", 80)), VFP_VERDICT_BLOCK);
    assert_int_equal(verdict_of(rs, "ws2022", OUT_TCP("8.8.8.8", 80)), VFP_VERDICT_ALLOW);
    vfp_ruleset_release(rs);
}

/* field-bugs I1, the repro: a lone Block Out 1.2.3.4 at priority 100 makes
 * the endpoint default-deny on WS2025 (8.8.8.8:443 fails) but not before;
 * an Allow Out at priority 1000 fixes it. An endpoint without ACLs is open
 * on every release. */
static void acl_default_follows_the_os_profile(void **state)
{
    (void)state;
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    vfp_ruleset *none = finish(b);
    assert_int_equal(verdict_of(none, "ws2025", OUT_TCP("8.8.8.8", 443)), VFP_VERDICT_ALLOW);
    vfp_ruleset_release(none);

    b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, out, "block-1.2.3.4", 100, VFP_ACTION_BLOCK, VFP_RULE_FLAGS_ACL,
                           "remote=1.2.3.4"));
    vfp_ruleset *only_block = finish(b);
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 443);
    assert_vfp_ok(vfp_evaluate(only_block, NULL, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    assert_int_equal(r.reason, VFP_REASON_ACL_DEFAULT);
    assert_int_equal(r.trace.hits[r.deciding_hit].kind, VFP_HIT_DEFAULT);
    assert_int_equal(verdict_of(only_block, "ws2022", p), VFP_VERDICT_ALLOW);
    assert_int_equal(verdict_of(only_block, "ws2019", p), VFP_VERDICT_ALLOW);
    assert_int_equal(verdict_of(only_block, "ws2022", OUT_TCP("1.2.3.4", 443)), VFP_VERDICT_BLOCK);

    /* "any ACL policy on an endpoint": the Out rule closes In too... */
    assert_int_equal(verdict_of(only_block, "ws2025", IN_TCP("8.8.8.8", 443, 80)),
                     VFP_VERDICT_BLOCK);
    /* ...unless the scope is flipped to the packet's direction. */
    o.acl_scope = VFP_ACL_SCOPE_SAME_DIRECTION;
    p = IN_TCP("8.8.8.8", 443, 80);
    assert_vfp_ok(vfp_evaluate(only_block, NULL, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    vfp_ruleset_release(only_block);

    b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, out, "block-1.2.3.4", 100, VFP_ACTION_BLOCK, VFP_RULE_FLAGS_ACL,
                           "remote=1.2.3.4"));
    assert_vfp_ok(
        add_rule(b, out, "allow-all-out", 1000, VFP_ACTION_ALLOW, VFP_RULE_FLAGS_ACL, "proto=256"));
    vfp_ruleset *fixed = finish(b);
    assert_int_equal(verdict_of(fixed, "ws2025", OUT_TCP("8.8.8.8", 443)), VFP_VERDICT_ALLOW);
    assert_int_equal(verdict_of(fixed, "ws2025", OUT_TCP("1.2.3.4", 443)), VFP_VERDICT_BLOCK);
    vfp_ruleset_release(fixed);
}

/* vfp_layer_default: BLOCK drops what no group decided, CONTINUE passes it. */
static void layer_default_block_drops_unmatched(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "DECAP_IN", 1, VFP_LAYER_BLOCK);
    int g = add_group(b, layer, "DECAP_IN_GROUP", 1, VFP_DIR_IN, VFP_FAMILY_IPV4);
    assert_vfp_ok(add_rule(b, g, "vxlan", 1, VFP_ACTION_ALLOW, 1, "proto=17 lport=4789"));
    vfp_ruleset *rs = finish(b);
    vfp_eval_options o;
    vfp_eval_options_init(&o, NULL);
    vfp_result r;
    vfp_packet p = P(VFP_DIR_IN, 17, "10.1.0.1", 5000, POD, 4789);
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    p.dst_port = 53;
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    assert_int_equal(r.reason, VFP_REASON_LAYER_DEFAULT);
    /* An OUT packet meets no OUT group; the block default applies to it too. */
    p = OUT_TCP("8.8.8.8", 53);
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    assert_int_equal(r.reason, VFP_REASON_LAYER_DEFAULT);
    vfp_ruleset_release(rs);
}

/* vfp.h (VFP paper): OUT traverses layers by ascending priority, IN in
 * reverse; the order layers were added does not matter. */
static void layers_run_forward_out_and_backward_in(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    const char *names[] = {"VNET_LAYER", "FW_ADMIN_LAYER", "SLB_NAT_LAYER"};
    uint32_t prios[] = {30, 10, 20};
    for (int i = 0; i < 3; i++) {
        int layer = add_layer(b, names[i], prios[i], VFP_LAYER_CONTINUE);
        int gi = add_group(b, layer, "IN", 1, VFP_DIR_IN, VFP_FAMILY_ANY);
        int go = add_group(b, layer, "OUT", 1, VFP_DIR_OUT, VFP_FAMILY_ANY);
        assert_vfp_ok(add_rule(b, gi, names[i], 1, VFP_ACTION_ALLOW, 1, NULL));
        assert_vfp_ok(add_rule(b, go, names[i], 1, VFP_ACTION_ALLOW, 1, NULL));
    }
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 53);
    assert_vfp_ok(vfp_evaluate(rs, NULL, NULL, &p, &r));
    assert_int_equal(r.trace.n, 3);
    assert_string_equal(r.trace.hits[0].layer->name, "FW_ADMIN_LAYER");
    assert_string_equal(r.trace.hits[1].layer->name, "SLB_NAT_LAYER");
    assert_string_equal(r.trace.hits[2].layer->name, "VNET_LAYER");
    p = IN_TCP("8.8.8.8", 53, 40000);
    assert_vfp_ok(vfp_evaluate(rs, NULL, NULL, &p, &r));
    assert_string_equal(r.trace.hits[0].layer->name, "VNET_LAYER");
    assert_string_equal(r.trace.hits[1].layer->name, "SLB_NAT_LAYER");
    assert_string_equal(r.trace.hits[2].layer->name, "FW_ADMIN_LAYER");
    vfp_ruleset_release(rs);
}

/* ---------------------------------------------------------------------------
 * Stateful flows and hooks
 */

/* A WS2025 endpoint whose only ACL is a stateful Allow Out (8195,
 * field-bugs I1 observable): what it opens is the way out and the replies. */
static vfp_ruleset *stateful_allow_out(uint32_t flags, uint32_t ttl)
{
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    vfp_rule_spec spec = {
        .id = "allow-out",
        .priority = 1000,
        .flags = flags,
        .flow_ttl = ttl,
        .action = {.type = VFP_ACTION_ALLOW},
        .cookie = {.object_id = "EP-1", .policy_index = 2, .text = "ACL Allow Out"}};
    assert_vfp_ok(vfp_builder_add_rule(b, out, &spec));
    return finish(b);
}

static void stateful_allow_lets_return_traffic_in(void **state)
{
    (void)state;
    vfp_ruleset *rs = stateful_allow_out(VFP_RULE_FLAGS_ACL, 0);
    vfp_flow_table *flows = vfp_flow_table_new(0);
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 443);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    assert_int_equal(r.flows_created, 1);
    assert_int_equal(vfp_flow_table_count(flows), 1);

    vfp_packet reply = IN_TCP("8.8.8.8", 443, 40000);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &reply, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    assert_int_equal(r.trace.n, 1);
    assert_int_equal(r.trace.hits[0].kind, VFP_HIT_FLOW);
    assert_string_equal(r.trace.hits[0].rule->id, "allow-out");
    assert_false(r.trace.hits[0].rewrote);

    /* Not a reply: another local port, or another remote. */
    vfp_packet stranger = IN_TCP("8.8.8.8", 443, 40001);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &stranger, &r));
    assert_int_equal(r.reason, VFP_REASON_ACL_DEFAULT);
    stranger = IN_TCP("8.8.4.4", 443, 40000);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &stranger, &r));
    assert_int_equal(r.reason, VFP_REASON_ACL_DEFAULT);

    /* A second packet of the flow refreshes it rather than adding one. */
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(r.flows_created, 0);
    assert_int_equal(vfp_flow_table_count(flows), 1);
    const vfp_flow *f =
        vfp_flow_find_forward(flows, "FW_ADMIN_LAYER", VFP_DIR_OUT, &(vfp_tuple){0});
    assert_null(f);
    vfp_tuple t;
    vfp_tuple_from_packet(&p, &t);
    f = vfp_flow_find_forward(flows, "FW_ADMIN_LAYER", VFP_DIR_OUT, &t);
    assert_non_null(f);
    assert_int_equal(f->packets, 3);

    /* Without a flow table the reply is just an unmatched inbound packet. */
    assert_int_equal(verdict_of(rs, "ws2025", reply), VFP_VERDICT_BLOCK);
    vfp_flow_table_free(flows);
    vfp_ruleset_release(rs);

    /* A non-stateful rule ("1 terminating") creates no flow. */
    rs = stateful_allow_out(VFP_RULE_TERMINATING, 0);
    flows = vfp_flow_table_new(0);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(vfp_flow_table_count(flows), 0);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &reply, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    vfp_flow_table_free(flows);
    vfp_ruleset_release(rs);
}

/* A hook context: counts calls and whether an existing flow was offered. */
typedef struct lb_hook {
    int calls;
    int with_flow;
    const char *drop_reason; /* non-NULL = drop with this reason */
} lb_hook;

/* Rewrites the destination to the rule's first DIP (what the next session's
 * load balancer will do with a seeded choice). */
static vfp_hook_verdict lb_apply(void *ctx, const vfp_action_context *ac, vfp_packet *packet,
                                 const char **reason)
{
    lb_hook *h = ctx;
    h->calls++;
    h->with_flow += ac->flow != NULL;
    if (h->drop_reason) {
        *reason = h->drop_reason;
        return VFP_HOOK_DROP;
    }
    if (ac->rule->action.type == VFP_ACTION_LB_NAT && ac->rule->action.u.lb_nat.n_dips) {
        packet->dst = ac->rule->action.u.lb_nat.dips[0].addr;
        packet->dst_port = ac->rule->action.u.lb_nat.dips[0].port;
    }
    return VFP_HOOK_CONTINUE;
}

/* An SLB_NAT_LAYER with one stateful lbnat rule for 10.96.0.10:53/TCP. */
static vfp_ruleset *lb_ruleset(void)
{
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "SLB_NAT_LAYER", 20, VFP_LAYER_CONTINUE);
    int g = add_group(b, layer, "SLB_GROUP_NAT_IPv4_OUT", 1, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    vfp_dip dips[] = {{A("10.244.1.5"), 53}, {A("10.244.2.7"), 53}};
    vfp_action a = {.type = VFP_ACTION_LB_NAT, .u.lb_nat = {.dips = dips, .n_dips = 2}};
    assert_vfp_ok(add_rule_ex(b, g, "NAT_10.96.0.10_53_6", 100, a,
                              VFP_RULE_TERMINATING | VFP_RULE_STATEFUL,
                              "proto=6 remote=10.96.0.10 rport=53"));
    return finish(b);
}

/* vfp.h: the flow remembers the tuple before and after the layer, so the
 * reply from the DIP comes back from the VIP (the hook for the next
 * session's NAT); a further packet of the flow is offered its flow. */
static void lbnat_replies_are_translated_back(void **state)
{
    (void)state;
    vfp_ruleset *rs = lb_ruleset();
    vfp_flow_table *flows = vfp_flow_table_new(0);
    lb_hook ctx = {0};
    vfp_hooks hooks = {.apply = lb_apply, .ctx = &ctx};
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2022");
    o.hooks = &hooks;
    vfp_result r;
    vfp_packet p = OUT_TCP("10.96.0.10", 53);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(ctx.calls, 1);
    assert_int_equal(ctx.with_flow, 0);
    assert_true(r.trace.hits[0].rewrote);
    char text[VFP_ADDR_TEXT];
    vfp_addr_format(&r.output.dst, text);
    assert_string_equal(text, "10.244.1.5");

    vfp_packet reply = P(VFP_DIR_IN, VFP_PROTO_TCP, "10.244.1.5", 53, POD, 40000);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &reply, &r));
    assert_int_equal(r.trace.hits[0].kind, VFP_HIT_FLOW);
    vfp_addr_format(&r.output.src, text);
    assert_string_equal(text, "10.96.0.10");
    assert_int_equal(r.output.src_port, 53);
    assert_int_equal(ctx.calls, 1); /* replies do not call the hook */

    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(ctx.calls, 2);
    assert_int_equal(ctx.with_flow, 1);
    vfp_flow_table_free(flows);
    vfp_ruleset_release(rs);
}

/* The hook may drop with its own reason ("SNAT ports exhausted"). */
static void hook_drop_is_the_verdict_with_its_reason(void **state)
{
    (void)state;
    vfp_ruleset *rs = lb_ruleset();
    lb_hook ctx = {.drop_reason = "SNAT ports exhausted"};
    vfp_hooks hooks = {.apply = lb_apply, .ctx = &ctx};
    vfp_eval_options o;
    vfp_eval_options_init(&o, NULL);
    o.hooks = &hooks;
    vfp_flow_table *flows = vfp_flow_table_new(0);
    vfp_result r;
    vfp_packet p = OUT_TCP("10.96.0.10", 53);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    assert_int_equal(r.reason, VFP_REASON_HOOK);
    assert_string_equal(r.hook_reason, "SNAT ports exhausted");
    assert_int_equal(vfp_flow_table_count(flows), 0); /* a dropped packet creates no flow */
    vfp_flow_table_free(flows);
    /* Without a hook, typed actions are traced and the packet goes on unchanged. */
    vfp_eval_options_init(&o, NULL);
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    assert_int_equal(r.trace.hits[0].action, VFP_ACTION_LB_NAT);
    assert_false(r.trace.hits[0].rewrote);
    assert_int_equal(vfp_addr_compare(&r.output.dst, &p.dst), 0);
    vfp_ruleset_release(rs);
}

/* vfp.h (VFP paper, reconciliation): after a swap a reply is honoured only
 * if the new rules would still create its flow; pf's states-survive is the
 * option. */
static void flows_are_revalidated_after_a_swap(void **state)
{
    (void)state;
    vfp_port *port;
    assert_vfp_ok(vfp_port_new("EP-1", 0, &port));
    assert_vfp_ok(vfp_port_install(port, stateful_allow_out(VFP_RULE_FLAGS_ACL, 0)));
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 443), reply = IN_TCP("8.8.8.8", 443, 40000);
    vfp_ruleset *rs = vfp_port_acquire(port);
    assert_vfp_ok(vfp_evaluate(rs, vfp_port_flows(port), &o, &p, &r));
    vfp_ruleset_release(rs);

    /* The same rules again: the flow revalidates, the trace names the new rule. */
    assert_vfp_ok(vfp_port_install(port, stateful_allow_out(VFP_RULE_FLAGS_ACL, 0)));
    rs = vfp_port_acquire(port);
    assert_int_equal(rs->generation, 2);
    assert_vfp_ok(vfp_evaluate(rs, vfp_port_flows(port), &o, &reply, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    assert_ptr_equal(r.trace.hits[0].rule, vfp_group_rule(rs->layers[0].groups[1], "allow-out"));
    vfp_ruleset_release(rs);

    /* Rules that no longer allow the flow: pf keeps it on request... */
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, out, "block-1.2.3.4", 100, VFP_ACTION_BLOCK, VFP_RULE_FLAGS_ACL,
                           "remote=1.2.3.4"));
    assert_vfp_ok(vfp_port_install(port, finish(b)));
    rs = vfp_port_acquire(port);
    o.flows_survive_swap = 1;
    assert_vfp_ok(vfp_evaluate(rs, vfp_port_flows(port), &o, &reply, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    assert_null(r.trace.hits[0].rule); /* the rule belongs to an earlier ruleset */
    /* ...and by default the flow is gone and the reply meets the ACL default. */
    o.flows_survive_swap = 0;
    assert_vfp_ok(vfp_evaluate(rs, vfp_port_flows(port), &o, &reply, &r));
    assert_int_equal(r.reason, VFP_REASON_ACL_DEFAULT);
    assert_int_equal(vfp_flow_table_count(vfp_port_flows(port)), 0);
    vfp_ruleset_release(rs);
    vfp_port_free(port);
}

/* vfpctrl "Flow TTL": an idle flow expires; expire() sweeps them. */
static void idle_flows_expire_after_their_ttl(void **state)
{
    (void)state;
    vfp_ruleset *rs = stateful_allow_out(VFP_RULE_FLAGS_ACL, 240);
    vfp_flow_table *flows = vfp_flow_table_new(0);
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 443), reply = IN_TCP("8.8.8.8", 443, 40000);
    o.now = 1000;
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    o.now = 1240;
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &reply, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW); /* refreshed at 1240 */
    o.now = 1481;
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &reply, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    assert_int_equal(vfp_flow_table_count(flows), 0);
    o.now = 2000;
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(vfp_flow_table_expire(flows, 2240), 0);
    assert_int_equal(vfp_flow_table_expire(flows, 2241), 1);
    assert_int_equal(vfp_flow_table_count(flows), 0);
    vfp_flow_table_free(flows);
    vfp_ruleset_release(rs);
}

/* A full table refuses new flows and says so (VFP caps flows per port). */
static void a_full_flow_table_reports_unrecorded_flows(void **state)
{
    (void)state;
    vfp_ruleset *rs = stateful_allow_out(VFP_RULE_FLAGS_ACL, 0);
    vfp_flow_table *flows = vfp_flow_table_new(1);
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 443);
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    p.src_port++;
    assert_vfp_ok(vfp_evaluate(rs, flows, &o, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    assert_int_equal(r.flows_created, 0);
    assert_int_equal(r.flows_not_recorded, 1);
    assert_int_equal(vfp_flow_table_count(flows), 1);
    /* Many flows through a roomy table: each one's reply is found. */
    vfp_flow_table *big = vfp_flow_table_new(0);
    for (uint16_t port = 1000; port < 3000; port++) {
        vfp_packet q = P(VFP_DIR_OUT, 6, POD, port, "8.8.8.8", 443);
        assert_vfp_ok(vfp_evaluate(rs, big, &o, &q, &r));
    }
    assert_int_equal(vfp_flow_table_count(big), 2000);
    for (uint16_t port = 1000; port < 3000; port += 7) {
        vfp_packet q = IN_TCP("8.8.8.8", 443, port);
        assert_vfp_ok(vfp_evaluate(rs, big, &o, &q, &r));
        assert_int_equal(r.verdict, VFP_VERDICT_ALLOW);
    }
    vfp_flow_table_clear(big);
    assert_int_equal(vfp_flow_table_count(big), 0);
    vfp_flow_table_free(big);
    vfp_flow_table_free(flows);
    vfp_ruleset_release(rs);
}

/* ---------------------------------------------------------------------------
 * Atomic swaps, counters, reuse
 */

/* A one-rule ruleset whose verdict is allow or block. */
static vfp_ruleset *one_rule(vfp_action_type action, const char *id)
{
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "L", 1, VFP_LAYER_CONTINUE);
    int g = add_group(b, layer, "G", 1, VFP_DIR_OUT, VFP_FAMILY_ANY);
    assert_vfp_ok(add_rule(b, g, id, 1, action, 1, NULL));
    return finish(b);
}

/* STYLE.md (pf): a held ruleset stays whole and usable after the port moves
 * on; a ruleset is installed once. */
static void swap_keeps_a_held_ruleset_alive(void **state)
{
    (void)state;
    vfp_port *port;
    assert_vfp_ok(vfp_port_new("EP-1", 0, &port));
    assert_string_equal(vfp_port_name(port), "EP-1");
    assert_null(vfp_port_acquire(port));
    vfp_ruleset *first = one_rule(VFP_ACTION_ALLOW, "first");
    assert_vfp_ok(vfp_port_install(port, first));
    vfp_ruleset *held = vfp_port_acquire(port);
    assert_ptr_equal(held, first);
    vfp_ruleset *second = one_rule(VFP_ACTION_BLOCK, "second");
    assert_vfp_ok(vfp_port_install(port, second));
    assert_int_equal(verdict_of(held, NULL, OUT_TCP("8.8.8.8", 53)), VFP_VERDICT_ALLOW);
    assert_string_equal(held->layers[0].groups[0]->rules[0].id, "first");
    vfp_ruleset_release(held); /* the last reference: first is freed here */
    vfp_ruleset *now = vfp_port_acquire(port);
    assert_ptr_equal(now, second);
    assert_int_equal(verdict_of(now, NULL, OUT_TCP("8.8.8.8", 53)), VFP_VERDICT_BLOCK);
    assert_int_equal(vfp_port_install(port, now), VFP_EINSTALLED);
    vfp_ruleset_release(now);
    vfp_port_free(port);
}

/* Threads: one installs rulesets that alternate allow/block, others acquire
 * and evaluate; each evaluation must agree with the ruleset it holds (never
 * a mix), and the sanitizer build sees no use after free. */
typedef struct swap_race {
    vfp_port *port;
    int rounds;
    int mismatches;
} swap_race;

static void *race_reader(void *arg)
{
    swap_race *s = arg;
    for (int i = 0; i < s->rounds; i++) {
        vfp_ruleset *rs = vfp_port_acquire(s->port);
        vfp_packet p = OUT_TCP("8.8.8.8", 53);
        vfp_result r;
        vfp_evaluate(rs, NULL, NULL, &p, &r);
        bool allow_rules = rs->layers[0].groups[0]->rules[0].action.type == VFP_ACTION_ALLOW;
        if ((r.verdict == VFP_VERDICT_ALLOW) != allow_rules)
            __atomic_fetch_add(&s->mismatches, 1, __ATOMIC_RELAXED);
        vfp_ruleset_release(rs);
    }
    return NULL;
}

static void swaps_under_concurrent_readers_are_atomic(void **state)
{
    (void)state;
    swap_race s = {.rounds = 3000};
    assert_vfp_ok(vfp_port_new("EP-1", 0, &s.port));
    assert_vfp_ok(vfp_port_install(s.port, one_rule(VFP_ACTION_ALLOW, "r0")));
    pthread_t readers[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &s), 0);
    for (int i = 1; i <= 300; i++)
        assert_vfp_ok(
            vfp_port_install(s.port, one_rule(i % 2 ? VFP_ACTION_BLOCK : VFP_ACTION_ALLOW, "r")));
    for (int i = 0; i < 2; i++)
        pthread_join(readers[i], NULL);
    assert_int_equal(s.mismatches, 0);
    vfp_port_free(s.port);
}

/* pf: per-rule counters of packets and bytes for group winners; what-if
 * evaluations (count = 0) leave them alone; a reused group keeps them. */
static void counters_count_winners_and_survive_group_reuse(void **state)
{
    (void)state;
    int in, out;
    vfp_builder *b = acl_builder(VFP_TIE_BLOCK_FIRST, &in, &out);
    assert_vfp_ok(add_rule(b, out, "dns", 100, VFP_ACTION_ALLOW, 1, "rport=53"));
    assert_vfp_ok(add_rule(b, out, "all", 200, VFP_ACTION_ALLOW, 1, NULL));
    vfp_ruleset *rs = finish(b);
    vfp_eval_options o;
    vfp_eval_options_init(&o, NULL);
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 53);
    for (int i = 0; i < 3; i++)
        assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    p.size = 1500;
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    o.count = 0;
    assert_vfp_ok(vfp_evaluate(rs, NULL, &o, &p, &r));
    const vfp_layer *l = vfp_ruleset_layer(rs, "FW_ADMIN_LAYER");
    const vfp_group *g = vfp_layer_group(l, "FW_GROUP_IPv4_OUT");
    uint64_t packets, bytes;
    vfp_rule_counters(vfp_group_rule(g, "dns"), &packets, &bytes);
    assert_int_equal(packets, 4);
    assert_int_equal(bytes, 1800);
    vfp_rule_counters(vfp_group_rule(g, "all"), &packets, NULL);
    assert_int_equal(packets, 0);

    /* The next ruleset of the port carries FW_GROUP_IPv4_OUT over as is. */
    vfp_builder *next = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(next, "FW_ADMIN_LAYER", 10, VFP_LAYER_ACL);
    int shared = vfp_builder_reuse_group(next, layer, rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT");
    assert_vfp_ok(shared);
    assert_int_equal(add_rule(next, shared, "x", 1, VFP_ACTION_ALLOW, 1, NULL), VFP_ENOENT);
    assert_int_equal(vfp_builder_reuse_group(next, layer, rs, "FW_ADMIN_LAYER", "NOPE"),
                     VFP_ENOENT);
    assert_int_equal(
        vfp_builder_reuse_group(next, layer, rs, "FW_ADMIN_LAYER", "FW_GROUP_IPv4_OUT"),
        VFP_EEXIST);
    vfp_ruleset *rs2 = finish(next);
    vfp_ruleset_release(rs); /* the group lives on in rs2 */
    o.count = 1;
    p.size = 100;
    assert_vfp_ok(vfp_evaluate(rs2, NULL, &o, &p, &r));
    g = vfp_layer_group(vfp_ruleset_layer(rs2, "FW_ADMIN_LAYER"), "FW_GROUP_IPv4_OUT");
    vfp_rule_counters(vfp_group_rule(g, "dns"), &packets, &bytes);
    assert_int_equal(packets, 5);
    assert_int_equal(bytes, 1900);
    vfp_ruleset_release(rs2);
}

/* ---------------------------------------------------------------------------
 * Builder validation, LPM, group conditions, bad packets, text
 */

static void builder_refuses_bad_input_and_stays_usable(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "L", 1, VFP_LAYER_CONTINUE);
    assert_int_equal(add_layer(b, "L", 2, VFP_LAYER_CONTINUE), VFP_EEXIST);
    assert_int_equal(add_layer(b, "M", 2, (vfp_layer_default)0), VFP_EINVAL);
    char long_name[65];
    memset(long_name, 'N', 64);
    long_name[64] = '\0';
    assert_int_equal(add_layer(b, long_name, 2, VFP_LAYER_CONTINUE), VFP_EINVAL);
    long_name[63] = '\0';
    assert_vfp_ok(add_layer(b, long_name, 2, VFP_LAYER_CONTINUE));
    int g = add_group(b, layer, "G", 1, VFP_DIR_OUT, VFP_FAMILY_IPV4);
    assert_int_equal(add_group(b, layer, "G", 1, VFP_DIR_IN, VFP_FAMILY_IPV4), VFP_EEXIST);
    assert_int_equal(add_group(b, layer, "H", 1, (vfp_direction)0, VFP_FAMILY_IPV4), VFP_EINVAL);
    assert_int_equal(add_group(b, 7, "H", 1, VFP_DIR_IN, VFP_FAMILY_IPV4), VFP_ENOENT);
    assert_int_equal(add_rule(b, g, "p", 1, VFP_ACTION_ALLOW, 1, "proto=257"), VFP_EINVAL);
    assert_int_equal(add_rule(b, g, "f", 1, VFP_ACTION_ALLOW, 1, "local=fd00::1"), VFP_EFAMILY);
    assert_int_equal(add_rule(b, g, "r", 1, VFP_ACTION_ALLOW, 1, "rport=90-80"), VFP_ERANGE);
    assert_int_equal(add_rule(b, g, NULL, 1, VFP_ACTION_ALLOW, 1, NULL), VFP_EINVAL);
    assert_int_equal(add_rule(b, g, "a", 1, (vfp_action_type)99, 1, NULL), VFP_EINVAL);
    assert_int_equal(add_rule(b, 9, "a", 1, VFP_ACTION_ALLOW, 1, NULL), VFP_ENOENT);
    vfp_addr_range backwards = {A("10.0.0.9"), A("10.0.0.1")};
    vfp_rule_spec spec = {.id = "back",
                          .action = {.type = VFP_ACTION_ALLOW},
                          .match = {.remote_addrs = &backwards, .n_remote_addrs = 1}};
    assert_int_equal(vfp_builder_add_rule(b, g, &spec), VFP_ERANGE);
    /* Nothing of the refused rules remains. */
    assert_vfp_ok(add_rule(b, g, "ok", 1, VFP_ACTION_ALLOW, 1, "rport=80"));
    vfp_ruleset *rs = finish(b);
    assert_int_equal(rs->layers[0].groups[0]->n_rules, 1);
    vfp_ruleset_release(rs);
    vfp_builder_free(NULL);
    vfp_ruleset_release(NULL);
    vfp_port_free(NULL);
    vfp_flow_table_free(NULL);
    assert_string_equal(vfp_err_name(VFP_ELPM), "ELPM");
    assert_string_equal(vfp_strerror(VFP_ENOMEM), "out of memory");
    assert_string_equal(vfp_err_name(12345), "UNKNOWN");
}

/* vfpctrl "Match type" LPM: the longest remote prefix wins whatever the
 * priorities; an LPM rule takes at most one prefix. */
static void lpm_group_picks_the_longest_prefix(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "VNET_PA_ROUTE_LAYER", 30, VFP_LAYER_CONTINUE);
    vfp_group_spec gs = {.name = "VNET_GROUP_PA_ROUTE_IPV4_OUT",
                         .priority = 1,
                         .direction = VFP_DIR_OUT,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_LPM};
    int g = vfp_builder_add_group(b, layer, &gs);
    assert_vfp_ok(g);
    vfp_action route = {.type = VFP_ACTION_ROUTE};
    assert_vfp_ok(add_rule_ex(b, g, "default", 1, route, 1, NULL));
    assert_vfp_ok(add_rule_ex(b, g, "cluster", 5, route, 1, "remote=10.0.0.0/8"));
    assert_vfp_ok(add_rule_ex(b, g, "node2-pods", 100, route, 1, "remote=10.244.2.0/24"));
    assert_int_equal(add_rule_ex(b, g, "two", 1, route, 1, "remote=10.0.0.0/8,11.0.0.0/8"),
                     VFP_ELPM);
    assert_int_equal(add_rule_ex(b, g, "not-cidr", 1, route, 1, "remote=10.0.0.1-10.0.0.3"),
                     VFP_ELPM);
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    assert_string_equal(decider_of(rs, OUT_TCP("10.244.2.9", 80), &r), "node2-pods");
    assert_string_equal(decider_of(rs, OUT_TCP("10.244.3.9", 80), &r), "cluster");
    assert_string_equal(decider_of(rs, OUT_TCP("8.8.8.8", 80), &r), "default");
    vfp_ruleset_release(rs);
}

/* vfpctrl GROUP "Conditions": a group applies only to packets matching them. */
static void group_conditions_gate_the_group(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    int layer = add_layer(b, "L", 1, VFP_LAYER_CONTINUE);
    uint16_t tcp = VFP_PROTO_TCP;
    vfp_group_spec gs = {.name = "TCP_ONLY",
                         .priority = 1,
                         .direction = VFP_DIR_OUT,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_PRIORITY,
                         .conditions = {.protocols = &tcp, .n_protocols = 1}};
    int g = vfp_builder_add_group(b, layer, &gs);
    assert_vfp_ok(add_rule(b, g, "block", 1, VFP_ACTION_BLOCK, 1, NULL));
    vfp_ruleset *rs = finish(b);
    assert_int_equal(verdict_of(rs, NULL, OUT_TCP("8.8.8.8", 53)), VFP_VERDICT_BLOCK);
    assert_int_equal(verdict_of(rs, NULL, P(VFP_DIR_OUT, 17, POD, 1, "8.8.8.8", 53)),
                     VFP_VERDICT_ALLOW);
    vfp_ruleset_release(rs);
}

static void packets_of_mixed_families_are_dropped(void **state)
{
    (void)state;
    vfp_ruleset *rs = one_rule(VFP_ACTION_ALLOW, "all");
    vfp_packet p = P(VFP_DIR_OUT, 6, POD, 1, "fd00::1", 80);
    vfp_result r;
    assert_vfp_ok(vfp_evaluate(rs, NULL, NULL, &p, &r));
    assert_int_equal(r.verdict, VFP_VERDICT_BLOCK);
    assert_int_equal(r.reason, VFP_REASON_BAD_PACKET);
    p.direction = (vfp_direction)0;
    assert_int_equal(vfp_evaluate(rs, NULL, NULL, &p, &r), VFP_EINVAL);
    assert_int_equal(vfp_evaluate(NULL, NULL, NULL, &p, &r), VFP_EINVAL);
    vfp_ruleset_release(rs);
}

/* A trace keeps VFP_TRACE_MAX steps and counts the rest. */
static void long_traces_count_what_did_not_fit(void **state)
{
    (void)state;
    vfp_builder *b = vfp_builder_new("EP-1", NULL);
    for (int i = 0; i < VFP_TRACE_MAX + 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "L%02d", i);
        int layer = add_layer(b, name, (uint32_t)i, VFP_LAYER_CONTINUE);
        int g = add_group(b, layer, "G", 1, VFP_DIR_OUT, VFP_FAMILY_ANY);
        assert_vfp_ok(add_rule(b, g, name, 1, VFP_ACTION_ALLOW, 1, NULL));
    }
    vfp_ruleset *rs = finish(b);
    vfp_result r;
    vfp_packet p = OUT_TCP("8.8.8.8", 53);
    assert_vfp_ok(vfp_evaluate(rs, NULL, NULL, &p, &r));
    assert_int_equal(r.trace.n, VFP_TRACE_MAX);
    assert_int_equal(r.trace.overflow, 6);
    vfp_ruleset_release(rs);
}

/* Address text: RFC 5952 output, HNS list items in, errors named. */
static void address_text_round_trips(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"10.1.2.3", "10.1.2.3"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"},
        {"::", "::"},
        {"::1", "::1"},
        {"fd00::", "fd00::"},
        {"1:0:2:0:0:3:0:4", "1:0:2::3:0:4"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"FD00::ABCD", "fd00::abcd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[VFP_ADDR_TEXT];
        vfp_addr a = A(cases[i][0]);
        vfp_addr_format(&a, text);
        assert_string_equal(text, cases[i][1]);
    }
    vfp_addr_range r = R(" 10.0.0.1 - 10.0.0.9 ");
    assert_int_equal(r.hi.lo - r.lo.lo, 8);
    r = R("10.1.2.3/16");
    char text[VFP_ADDR_TEXT];
    vfp_addr_format(&r.lo, text);
    assert_string_equal(text, "10.1.0.0");
    vfp_addr_format(&r.hi, text);
    assert_string_equal(text, "10.1.255.255");
    assert_int_equal(vfp_range_prefix_length(&r), 16);
    r = R("fd00::/8");
    assert_int_equal(vfp_range_prefix_length(&r), 8);
    r = R("0.0.0.0/0");
    assert_int_equal(vfp_range_prefix_length(&r), 0);
    r = R("10.0.0.1-10.0.0.3");
    assert_int_equal(vfp_range_prefix_length(&r), -1);
    vfp_addr_range bad;
    assert_int_equal(vfp_range_parse("10.0.0.9-10.0.0.1", &bad), VFP_ERANGE);
    assert_int_equal(vfp_range_parse("10.0.0.1-::1", &bad), VFP_EFAMILY);
    assert_int_equal(vfp_range_parse("10.0.0.0/33", &bad), VFP_EPARSE);
    assert_int_equal(vfp_range_parse("10.0.0.0/", &bad), VFP_EPARSE);
    assert_int_equal(vfp_range_parse("Any", &bad), VFP_EPARSE);
    assert_int_equal(vfp_range_parse("10.0.0", &bad), VFP_EPARSE);
    vfp_packet p = P(VFP_DIR_IN, 58, "fd00::1", 0, "fd00::2", 0);
    char ptext[VFP_PACKET_TEXT];
    vfp_packet_format(&p, ptext);
    assert_string_equal(ptext, "in icmpv6 [fd00::1]:0 -> [fd00::2]:0 (100 bytes)");
}

/* hcn-api.md 2.10: the ACL fields are comma-separated strings; port ranges
 * "a-b" (consumers.md 4.3); Protocols "256" = any. */
static void hns_list_fields_parse(void **state)
{
    (void)state;
    vfp_addr_range *addrs;
    size_t n;
    assert_vfp_ok(vfp_parse_addr_list("192.168.100.0/24, 10.0.0.21,fd00::/64", &addrs, &n));
    assert_int_equal(n, 3);
    assert_int_equal(vfp_range_prefix_length(&addrs[0]), 24);
    assert_int_equal(vfp_range_prefix_length(&addrs[1]), 32);
    assert_int_equal(addrs[2].lo.family, VFP_FAMILY_IPV6);
    free(addrs);
    assert_vfp_ok(vfp_parse_addr_list("", &addrs, &n));
    assert_int_equal(n, 0);
    assert_null(addrs);
    assert_vfp_ok(vfp_parse_addr_list(NULL, &addrs, &n));
    assert_int_equal(n, 0);
    /* consumers.md 1.3: "Any" is refused by HNS (HCN_E_INVALID_POLICY). */
    assert_int_equal(vfp_parse_addr_list("Any", &addrs, &n), VFP_EPARSE);
    assert_null(addrs);
    assert_int_equal(vfp_parse_addr_list("10.0.0.1,", &addrs, &n), VFP_EPARSE);
    assert_int_equal(vfp_parse_addr_list("10.0.0.9-10.0.0.1", &addrs, &n), VFP_ERANGE);

    vfp_port_range *ports;
    assert_vfp_ok(vfp_parse_port_list("80,8080, 1000-2000 ,0,65535", &ports, &n));
    assert_int_equal(n, 5);
    assert_int_equal(ports[2].lo, 1000);
    assert_int_equal(ports[2].hi, 2000);
    assert_int_equal(ports[4].lo, 65535);
    free(ports);
    assert_int_equal(vfp_parse_port_list("65536", &ports, &n), VFP_EPARSE);
    assert_int_equal(vfp_parse_port_list("-5", &ports, &n), VFP_EPARSE);
    assert_int_equal(vfp_parse_port_list("80x", &ports, &n), VFP_EPARSE);
    assert_int_equal(vfp_parse_port_list("90-80", &ports, &n), VFP_ERANGE);

    uint16_t *protos;
    assert_vfp_ok(vfp_parse_protocol_list("6,17", &protos, &n));
    assert_int_equal(n, 2);
    assert_int_equal(protos[1], 17);
    free(protos);
    assert_vfp_ok(vfp_parse_protocol_list("256", &protos, &n));
    assert_int_equal(protos[0], VFP_PROTO_ANY);
    free(protos);
    assert_int_equal(vfp_parse_protocol_list("257", &protos, &n), VFP_EPARSE);
    assert_int_equal(vfp_parse_protocol_list("TCP", &protos, &n), VFP_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lower_priority_number_wins),
        cmocka_unit_test(equal_priority_block_first_then_added_order),
        cmocka_unit_test(protocol_256_and_empty_list_mean_any),
        cmocka_unit_test(address_and_port_lists_and_ranges),
        cmocka_unit_test(ipv4_and_ipv6_never_cross_match),
        cmocka_unit_test(direction_selects_groups_and_local_remote),
        cmocka_unit_test(terminating_stops_and_last_group_wins_otherwise),
        cmocka_unit_test(pass_hands_the_packet_to_the_next_group),
        cmocka_unit_test(acl_default_follows_the_os_profile),
        cmocka_unit_test(layer_default_block_drops_unmatched),
        cmocka_unit_test(layers_run_forward_out_and_backward_in),
        cmocka_unit_test(stateful_allow_lets_return_traffic_in),
        cmocka_unit_test(lbnat_replies_are_translated_back),
        cmocka_unit_test(hook_drop_is_the_verdict_with_its_reason),
        cmocka_unit_test(flows_are_revalidated_after_a_swap),
        cmocka_unit_test(idle_flows_expire_after_their_ttl),
        cmocka_unit_test(a_full_flow_table_reports_unrecorded_flows),
        cmocka_unit_test(swap_keeps_a_held_ruleset_alive),
        cmocka_unit_test(swaps_under_concurrent_readers_are_atomic),
        cmocka_unit_test(counters_count_winners_and_survive_group_reuse),
        cmocka_unit_test(builder_refuses_bad_input_and_stays_usable),
        cmocka_unit_test(lpm_group_picks_the_longest_prefix),
        cmocka_unit_test(group_conditions_gate_the_group),
        cmocka_unit_test(packets_of_mixed_families_are_dropped),
        cmocka_unit_test(long_traces_count_what_did_not_fit),
        cmocka_unit_test(address_text_round_trips),
        cmocka_unit_test(hns_list_fields_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
