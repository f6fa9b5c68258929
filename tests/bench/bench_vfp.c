/*
 * bench_vfp.c - how fast sim/vfp classifies and evaluates packets.
 *
 * For groups of 1k and 10k random ACL rules shaped like the ones Calico
 * writes on a Windows endpoint (consumers.md 4.3: priorities 1000, 1001, ...;
 * TCP/UDP or any protocol; a few remote CIDRs; a port or two; mostly Allow),
 * it times vfp_group_classify() over PACKETS random packets per round and
 * reports the median ns/packet over ROUNDS rounds, next to the linear
 * reference vfp_group_classify_linear() on the same packets and the ratio.
 * Half of the packets aim into a random rule's ranges, the other half are
 * random; then all of them are moved outside every rule's ranges, the
 * bit-vector worst case (every word ANDed) and the linear one (every rule
 * tested). It also reports the build time and classifier memory, and a
 * full port evaluation (vfp_evaluate) through an FW_ADMIN_LAYER of N ACLs,
 * an SLB_NAT_LAYER of 1000 lbnat rules and an LPM routing layer of 256
 * routes, without and with a flow table. Goal (issue 6): one classification
 * under 1 microsecond with 10k rules. This is a benchmark, not a test: it
 * asserts nothing about time. Usage: bench_vfp [rounds] [packets]
 */
#include "bench_util.h"

#include "vfp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: the benchmark's seeded generator. */
static uint64_t rng_state = 20240601;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n) { return (uint32_t)(rng_next() % n); }

/* One ACL as generated, kept to aim packets at it. */
typedef struct acl {
    uint16_t protocol; /* 6, 17 or 256 */
    vfp_addr_range remote[4];
    size_t n_remote;
    vfp_port_range rport[2];
    size_t n_rport;
} acl;

static const uint16_t service_ports[] = {53, 80, 443, 8080, 8443, 9090, 6379, 5432, 3306, 27017};

/* A random remote CIDR inside 10.0.0.0/8, /16 to /32. */
static vfp_addr_range random_cidr(void)
{
    vfp_addr base = vfp_addr_v4(0x0A000000u | (uint32_t)(rng_next() & 0xFFFFFF));
    unsigned length = 16 + below(17);
    vfp_addr_range r;
    vfp_range_from_prefix(&base, length, &r);
    return r;
}

static void random_acl(acl *a)
{
    memset(a, 0, sizeof *a);
    uint32_t p = below(10);
    a->protocol = p < 5 ? 6 : p < 8 ? 17 : 256;
    a->n_remote = 1 + below(4); /* no catch-all before the end, as Calico orders them */
    for (size_t i = 0; i < a->n_remote; i++)
        a->remote[i] = random_cidr();
    a->n_rport = below(3);
    for (size_t i = 0; i < a->n_rport; i++) {
        uint16_t port = service_ports[below(10)];
        a->rport[i] = (vfp_port_range){port, port};
    }
    if (a->n_rport == 0 && below(4) == 0) {
        a->n_rport = 1;
        a->rport[0] = (vfp_port_range){30000, 32767}; /* a NodePort-like range */
    }
}

/* Adds acls[0..n) to group g at priorities 1000 + i. */
static void add_acls(vfp_builder *b, int g, const acl *acls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "ACL_%zu", i);
        const acl *a = &acls[i];
        vfp_rule_spec spec = {
            .id = id,
            .priority = 1000 + (uint32_t)i,
            .flags = VFP_RULE_FLAGS_ACL,
            .action = {.type = below(8) ? VFP_ACTION_ALLOW : VFP_ACTION_BLOCK},
            .match = {.protocols = &a->protocol,
                      .n_protocols = 1,
                      .remote_addrs = a->remote,
                      .n_remote_addrs = a->n_remote,
                      .remote_ports = a->rport,
                      .n_remote_ports = a->n_rport},
            .cookie = {.object_id = "EP", .policy_index = 0},
        };
        if (vfp_builder_add_rule(b, g, &spec)) {
            fprintf(stderr, "bench: add rule failed\n");
            exit(1);
        }
    }
}

/* Random outbound packets from the pod; half aim into a random ACL. */
static void random_packets(vfp_packet *packets, size_t n, const acl *acls, size_t n_acls)
{
    for (size_t i = 0; i < n; i++) {
        vfp_packet *p = &packets[i];
        memset(p, 0, sizeof *p);
        p->direction = VFP_DIR_OUT;
        p->protocol = below(4) ? 6 : 17;
        p->src = vfp_addr_v4(0x0AF4010A);
        p->src_port = (uint16_t)(32768 + below(28000));
        p->dst = vfp_addr_v4(0x0A000000u | (uint32_t)(rng_next() & 0xFFFFFF));
        p->dst_port = service_ports[below(10)];
        p->size = 100;
        if (i % 2 == 0) {
            const acl *a = &acls[below((uint32_t)n_acls)];
            if (a->n_remote) {
                const vfp_addr_range *r = &a->remote[below((uint32_t)a->n_remote)];
                uint64_t span = r->hi.lo - r->lo.lo + 1;
                p->dst = vfp_addr_v4((uint32_t)(r->lo.lo + rng_next() % span));
            }
            if (a->n_rport)
                p->dst_port = a->rport[0].lo;
            if (a->protocol != 256)
                p->protocol = (uint8_t)a->protocol;
        }
    }
}

/* A ruleset of one FW_ADMIN_LAYER with one OUT group of the acls. */
static vfp_ruleset *acl_ruleset(const acl *acls, size_t n, double *build_ms)
{
    double start = bench_now();
    vfp_builder *b = vfp_builder_new("EP", NULL);
    vfp_layer_spec ls = {.name = "FW_ADMIN_LAYER", .priority = 10, .default_action = VFP_LAYER_ACL};
    int layer = vfp_builder_add_layer(b, &ls);
    vfp_group_spec gs = {.name = "FW_GROUP_IPv4_OUT",
                         .priority = 1,
                         .direction = VFP_DIR_OUT,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_PRIORITY};
    int g = vfp_builder_add_group(b, layer, &gs);
    add_acls(b, g, acls, n);
    vfp_ruleset *rs = NULL;
    if (layer < 0 || g < 0 || vfp_builder_finish(b, &rs)) {
        fprintf(stderr, "bench: build failed\n");
        exit(1);
    }
    *build_ms = (bench_now() - start) * 1e3;
    return rs;
}

/* A whole pod port: the ACL layer, 1000 lbnat rules, 256 LPM routes. */
static vfp_ruleset *port_ruleset(const acl *acls, size_t n)
{
    vfp_builder *b = vfp_builder_new("EP", NULL);
    vfp_layer_spec fw = {.name = "FW_ADMIN_LAYER", .priority = 10, .default_action = VFP_LAYER_ACL};
    vfp_layer_spec slb = {
        .name = "SLB_NAT_LAYER", .priority = 20, .default_action = VFP_LAYER_CONTINUE};
    vfp_layer_spec vnet = {
        .name = "VNET_PA_ROUTE_LAYER", .priority = 30, .default_action = VFP_LAYER_CONTINUE};
    int lf = vfp_builder_add_layer(b, &fw), ls = vfp_builder_add_layer(b, &slb),
        lv = vfp_builder_add_layer(b, &vnet);
    vfp_group_spec gf = {.name = "FW_GROUP_IPv4_OUT",
                         .priority = 1,
                         .direction = VFP_DIR_OUT,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_PRIORITY};
    vfp_group_spec gs = {.name = "SLB_GROUP_NAT_IPv4_OUT",
                         .priority = 1,
                         .direction = VFP_DIR_OUT,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_PRIORITY};
    vfp_group_spec gv = {.name = "VNET_GROUP_PA_ROUTE_IPV4_OUT",
                         .priority = 1,
                         .direction = VFP_DIR_OUT,
                         .family = VFP_FAMILY_IPV4,
                         .match_type = VFP_MATCH_LPM};
    int g1 = vfp_builder_add_group(b, lf, &gf), g2 = vfp_builder_add_group(b, ls, &gs),
        g3 = vfp_builder_add_group(b, lv, &gv);
    if (g1 < 0 || g2 < 0 || g3 < 0) {
        fprintf(stderr, "bench: port build failed\n");
        exit(1);
    }
    add_acls(b, g1, acls, n);
    for (uint32_t i = 0; i < 1000; i++) {
        char id[48];
        snprintf(id, sizeof id, "NAT_10.96.%u.%u_443_6", i / 250, i % 250);
        vfp_addr_range vip = {vfp_addr_v4(0x0A600000u | i), vfp_addr_v4(0x0A600000u | i)};
        vfp_port_range port = {443, 443};
        uint16_t tcp = 6;
        vfp_dip dips[3] = {{vfp_addr_v4(0x0AF40000u | (i * 3)), 8443},
                           {vfp_addr_v4(0x0AF40000u | (i * 3 + 1)), 8443},
                           {vfp_addr_v4(0x0AF40000u | (i * 3 + 2)), 8443}};
        vfp_rule_spec spec = {
            .id = id,
            .priority = 100,
            .flags = 3,
            .action = {.type = VFP_ACTION_LB_NAT, .u.lb_nat = {.dips = dips, .n_dips = 3}},
            .match = {.protocols = &tcp,
                      .n_protocols = 1,
                      .remote_addrs = &vip,
                      .n_remote_addrs = 1,
                      .remote_ports = &port,
                      .n_remote_ports = 1}};
        vfp_builder_add_rule(b, g2, &spec);
    }
    for (uint32_t i = 0; i < 256; i++) {
        char id[48];
        snprintf(id, sizeof id, "REMOTESUBNETROUTE_10.%u.0.0_16", i);
        vfp_addr base = vfp_addr_v4(0x0A000000u | (i << 16));
        vfp_addr_range r;
        vfp_range_from_prefix(&base, 16, &r);
        vfp_rule_spec spec = {.id = id,
                              .priority = 10,
                              .flags = 1,
                              .action = {.type = VFP_ACTION_ENCAP,
                                         .u.encap = {.encap_type = VFP_ENCAP_VXLAN,
                                                     .vni = 4096,
                                                     .pa = vfp_addr_v4(0xC0A80100u | i)}},
                              .match = {.remote_addrs = &r, .n_remote_addrs = 1}};
        vfp_builder_add_rule(b, g3, &spec);
    }
    vfp_ruleset *rs = NULL;
    if (vfp_builder_finish(b, &rs)) {
        fprintf(stderr, "bench: port finish failed\n");
        exit(1);
    }
    return rs;
}

/* Median ns per packet of the classifier (linear = 0) or the reference over
 * n packets, rounds times. The checksum keeps the calls from being elided. */
static double classify_ns(const vfp_group *g, const vfp_key *keys, size_t n, int rounds, int linear,
                          size_t *matched)
{
    double *t = malloc((size_t)rounds * sizeof *t);
    size_t hits = 0;
    for (int r = 0; r < rounds; r++) {
        hits = 0;
        double start = bench_now();
        for (size_t i = 0; i < n; i++) {
            const vfp_rule *rule =
                linear ? vfp_group_classify_linear(g, &keys[i]) : vfp_group_classify(g, &keys[i]);
            hits += rule != NULL;
        }
        t[r] = (bench_now() - start) * 1e9 / (double)n;
    }
    double m = bench_median(t, rounds);
    free(t);
    *matched = hits;
    return m;
}

/* Median ns per vfp_evaluate over the packets, with or without flows. */
static double evaluate_ns(const vfp_ruleset *rs, const vfp_packet *packets, size_t n, int rounds,
                          int with_flows)
{
    double *t = malloc((size_t)rounds * sizeof *t);
    vfp_eval_options o;
    vfp_eval_options_init(&o, "ws2025");
    static vfp_result result;
    for (int r = 0; r < rounds; r++) {
        vfp_flow_table *flows = with_flows ? vfp_flow_table_new(0) : NULL;
        double start = bench_now();
        for (size_t i = 0; i < n; i++)
            vfp_evaluate(rs, flows, &o, &packets[i], &result);
        t[r] = (bench_now() - start) * 1e9 / (double)n;
        vfp_flow_table_free(flows);
    }
    double m = bench_median(t, rounds);
    free(t);
    return m;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    size_t n_packets = argc > 2 ? (size_t)atol(argv[2]) : 20000;
    if (rounds < 1 || n_packets < 10) {
        fprintf(stderr, "usage: bench_vfp [rounds >= 1] [packets >= 10]\n");
        return 2;
    }
    const size_t sizes[] = {1000, 10000};
    printf("bench_vfp: %d rounds, %zu packets per round (median ns per packet)\n", rounds,
           n_packets);
    for (size_t s = 0; s < 2; s++) {
        size_t n = sizes[s];
        acl *acls = calloc(n, sizeof *acls);
        for (size_t i = 0; i < n; i++)
            random_acl(&acls[i]);
        double build_ms;
        vfp_ruleset *rs = acl_ruleset(acls, n, &build_ms);
        const vfp_group *g = rs->layers[0].groups[0];
        vfp_packet *packets = calloc(n_packets, sizeof *packets);
        vfp_key *keys = calloc(n_packets, sizeof *keys);
        random_packets(packets, n_packets, acls, n);
        for (size_t i = 0; i < n_packets; i++)
            vfp_key_from_packet(&packets[i], &keys[i]);
        /* The linear reference is slow at 10k: fewer packets, same mix. */
        size_t n_linear = n >= 10000 ? n_packets / 10 : n_packets;
        size_t matched, matched_linear;
        double fast = classify_ns(g, keys, n_packets, rounds, 0, &matched);
        double fast_same = classify_ns(g, keys, n_linear, rounds, 0, &matched_linear);
        double slow = classify_ns(g, keys, n_linear, rounds, 1, &matched);
        if (matched != matched_linear) {
            fprintf(stderr, "bench: classifier and reference disagree\n");
            return 1;
        }
        printf("  %5zu rules: build %.1f ms, classifier %.1f MiB; classify %.0f ns/packet "
               "(%zu of %zu packets matched); linear %.0f ns/packet; linear/classifier %.1fx\n",
               n, build_ms, (double)vfp_group_classifier_bytes(g) / (1024.0 * 1024.0), fast,
               matched_linear, n_linear, slow, slow / fast_same);
        /* The worst case: outside 10.0.0.0/8 no rule matches, so every word
         * of every dimension is ANDed and the linear scan tests every rule. */
        for (size_t i = 0; i < n_packets; i++)
            keys[i].remote = vfp_addr_v4(0x0B000000u | (uint32_t)(rng_next() & 0xFFFFFF));
        double miss = classify_ns(g, keys, n_packets, rounds, 0, &matched);
        double miss_same = classify_ns(g, keys, n_linear, rounds, 0, &matched_linear);
        double miss_slow = classify_ns(g, keys, n_linear, rounds, 1, &matched);
        if (matched || matched_linear) {
            fprintf(stderr, "bench: a packet outside every rule matched\n");
            return 1;
        }
        printf("  %5zu rules: no-match worst case: classify %.0f ns/packet; linear %.0f "
               "ns/packet; linear/classifier %.1fx\n",
               n, miss, miss_slow, miss_slow / miss_same);
        vfp_ruleset *port = port_ruleset(acls, n);
        double eval_plain = evaluate_ns(port, packets, n_packets, rounds, 0);
        double eval_flows = evaluate_ns(port, packets, n_packets, rounds, 1);
        printf("  %5zu rules: full port evaluation (3 layers: %zu ACLs, 1000 lbnat, 256 LPM "
               "routes) %.0f ns/packet, with a flow table %.0f ns/packet\n",
               n, n, eval_plain, eval_flows);
        vfp_ruleset_release(port);
        vfp_ruleset_release(rs);
        free(keys);
        free(packets);
        free(acls);
    }
    return 0;
}
