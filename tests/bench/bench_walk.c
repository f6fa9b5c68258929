/*
 * bench_walk.c - packet walks and reachability matrices (issue 6 targets).
 *
 *   bench_walk [rounds] [matrix-size]
 *
 * 1. Walks through one port whose endpoint has N ACL policies (1k, 10k) on
 *    a node with 10k load balancers: pod -> local pod (every ACL group and
 *    the 10k-rule LB group are classified on the way) and pod -> VIP. What-
 *    if walks (no state) and stateful walks of one established flow.
 * 2. pod -> service -> pod across two L2Bridge nodes (host-gw routes):
 *    what-if, the established flow, and new connections.
 * 3. A matrix of size x size pods (half on each node, each pod with two
 *    ACLs), and its growth from size/10.
 *
 * Everything is built through the public HCN path (hnsm_call), synced with
 * net_node_sync, and timed with the monotonic clock; medians over rounds.
 * Targets from the issue: single-port classification < 1 us with 10k rules
 * (see bench_vfp), a pod -> service -> pod walk < 10 us, the 1000 x 1000
 * matrix < 10 s. Nothing here asserts on time.
 */
#include "bench_util.h"
#include "dp_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIP "10.96.0.50"

static int rounds = 5;

/* Median seconds per walk of n walks of p with the source port varied (vary
 * = 1) or fixed, over `rounds` rounds. */
static double time_walks(net_cluster *c, vfp_packet p, int n, int vary, int what_if)
{
    double *per = calloc((size_t)rounds, sizeof *per);
    net_walk_options o = {.what_if = what_if};
    net_walk w;
    uint16_t base = p.src_port;
    for (int r = 0; r < rounds; r++) {
        double t0 = bench_now();
        for (int i = 0; i < n; i++) {
            if (vary)
                p.src_port = (uint16_t)(base + (r * n + i) % 20000);
            if (net_walk_packet(c, &p, &o, &w) != 0) {
                fprintf(stderr, "walk failed\n");
                exit(1);
            }
            if (w.verdict == NET_DROPPED && !vary) {
                char *text = NULL;
                net_walk_format_text(&w, &text);
                fprintf(stderr, "unexpected drop:\n%s", text ? text : "");
                exit(1);
            }
            net_walk_clear(&w);
        }
        per[r] = (bench_now() - t0) / n;
    }
    double m = bench_median(per, rounds);
    free(per);
    return m;
}

/* ---- 1. one busy port -------------------------------------------------------------------- */

/* n ACL policies: blocks of remote /24s and port ranges, then allow-all. */
static char *acl_policies(int n)
{
    size_t cap = (size_t)n * 200 + 256, used = 0;
    char *s = malloc(cap);
    for (int i = 0; i < n - 2; i++)
        used += (size_t)snprintf(s + used, cap - used,
                                 "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":"
                                 "\"%s\",\"Protocols\":\"6\",\"RemoteAddresses\":\"172.%d.%d.0/24\","
                                 "\"RemotePorts\":\"%d-%d\",\"Priority\":%d}},",
                                 i % 2 ? "In" : "Out", 16 + i / 65536 % 16, i / 256 % 256, 1000 + i % 500,
                                 1100 + i % 500, 100 + i % 60000);
    snprintf(s + used, cap - used,
             "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"Out\","
             "\"Priority\":65000}},{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\","
             "\"Direction\":\"In\",\"Priority\":65000}}");
    return s;
}

static void busy_port(int n_acls, int n_lbs)
{
    hnsm_instance *h = dp_hns("ws2022");
    char *net = dp_network(h, "cbr0", "L2Bridge", "10.244.0.0/16", "10.244.0.1", 0, "");
    char *policies = acl_policies(n_acls);
    char *busy = dp_pod(h, net, "busy", "10.244.1.10", policies);
    char *peer[2] = {dp_pod(h, net, "peer0", "10.244.1.11", ""),
                     dp_pod(h, net, "peer1", "10.244.1.12", "")};
    for (int i = 0; i < n_lbs; i++) {
        char vip[32];
        snprintf(vip, sizeof vip, "10.96.%d.%d", i / 250, 1 + i % 250);
        free(dp_lb(h, peer, 2, vip, 6, 80, 8080, 0, 0, NULL, 0));
    }
    net_cluster *c = net_cluster_new(1);
    net_node *n = net_add_windows(c, "win1", "10.0.0.4", h);
    double t0 = bench_now();
    dp_sync(n);
    double sync = bench_now() - t0;
    vfp_ruleset *rs = net_node_port_rules(n, busy);
    const vfp_layer *fw = vfp_ruleset_layer(rs, "FW_ADMIN_LAYER");
    const vfp_layer *lb = vfp_ruleset_layer(rs, "SLB_LB_LAYER");
    printf("busy port programmed: %zu ACL rules, %zu LB rules\n",
           fw->n_rules_in + fw->n_rules_out, lb->n_rules_in + lb->n_rules_out);
    vfp_ruleset_release(rs);
    vfp_packet to_pod = dp_packet("10.244.1.10", 40000, "10.244.1.11", 80, 6, 100);
    vfp_packet to_vip = dp_packet("10.244.1.10", 40000, "10.96.20.7", 80, 6, 100);
    double whatif = time_walks(c, to_pod, 20000, 1, 1);
    double flow = time_walks(c, to_pod, 20000, 0, 0);
    double vip_whatif = time_walks(c, to_vip, 20000, 1, 1);
    printf("busy port: %5d ACLs, %5d LBs: sync %.3f s; pod->pod what-if %.2f us (%.0f walks/s), "
           "established flow %.2f us; pod->VIP what-if %.2f us\n",
           n_acls, n_lbs, sync, whatif * 1e6, 1 / whatif, flow * 1e6, vip_whatif * 1e6);
    net_cluster_free(c);
    free(policies);
    free(busy);
    free(peer[0]);
    free(peer[1]);
    free(net);
    hnsm_close(h);
}

/* ---- 2 and 3. two L2Bridge nodes ---------------------------------------------------------- */

typedef struct two_nodes {
    hnsm_instance *h[2];
    char *net[2];
    char **pods[2];
    int n_pods;
    net_cluster *c;
    net_node *node[2];
} two_nodes;

/* pods_per_node pods per node (10.244.{1,2}.0/16 halves), each with an
 * Allow In from the cluster and a Block In of port 22, and a service VIP:80
 * over the first two pods of node 2 on both nodes. */
static two_nodes *build(int pods_per_node)
{
    two_nodes *t = calloc(1, sizeof *t);
    t->n_pods = pods_per_node;
    t->c = net_cluster_new(1);
    net_add_cluster_cidr(t->c, "10.244.0.0/16");
    net_add_cluster_cidr(t->c, "10.96.0.0/12");
    const char *ips[2] = {"10.0.0.4", "10.0.0.5"};
    const char *acls = "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
                       "\"RemoteAddresses\":\"10.244.0.0/16\",\"Priority\":1000}},"
                       "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"In\","
                       "\"Protocols\":\"6\",\"LocalPorts\":\"22\",\"Priority\":100}}," DP_OUTBOUND_NAT;
    for (int i = 0; i < 2; i++) {
        char subnet[32], gw[32];
        snprintf(subnet, sizeof subnet, "10.244.%d.0/17", i * 128);
        snprintf(gw, sizeof gw, "10.244.%d.1", i * 128);
        t->h[i] = dp_hns("ws2022");
        t->net[i] = dp_network(t->h[i], "cbr0", "L2Bridge", subnet, gw, 0, "");
        t->pods[i] = calloc((size_t)pods_per_node, sizeof *t->pods[i]);
        for (int j = 0; j < pods_per_node; j++) {
            char ip[32], name[32];
            snprintf(ip, sizeof ip, "10.244.%d.%d", i * 128 + 1 + j / 250, 2 + j % 250);
            snprintf(name, sizeof name, "pod%d_%d", i, j);
            t->pods[i][j] = dp_pod(t->h[i], t->net[i], name, ip, acls);
        }
    }
    char *remote[2] = {dp_remote(t->h[0], t->net[0], "10.244.129.2", NULL),
                       dp_remote(t->h[0], t->net[0], "10.244.129.3", NULL)};
    free(dp_lb(t->h[0], remote, 2, VIP, 6, 80, 8080, 0, 0, NULL, 0));
    free(dp_lb(t->h[1], t->pods[1], 2, VIP, 6, 80, 8080, 0, 0, NULL, 0));
    free(remote[0]);
    free(remote[1]);
    for (int i = 0; i < 2; i++) {
        t->node[i] = net_add_windows(t->c, i ? "win2" : "win1", ips[i], t->h[i]);
        net_node_add_route(t->node[i], i ? "10.244.0.0/17" : "10.244.128.0/17", ips[1 - i]);
        dp_sync(t->node[i]);
    }
    return t;
}

static void free_two(two_nodes *t)
{
    net_cluster_free(t->c);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < t->n_pods; j++)
            free(t->pods[i][j]);
        free(t->pods[i]);
        free(t->net[i]);
        hnsm_close(t->h[i]);
    }
    free(t);
}

static void service_walks(void)
{
    two_nodes *t = build(10);
    vfp_packet p = dp_packet("10.244.1.2", 40000, VIP, 80, 6, 100);
    double whatif = time_walks(t->c, p, 50000, 1, 1);
    double flow = time_walks(t->c, p, 50000, 0, 0);
    /* New connections: each round frees the SNAT ports of the last. */
    double fresh = time_walks(t->c, p, 10000, 1, 0);
    printf("pod -> service -> pod, two nodes: what-if %.2f us, established flow %.2f us, new "
           "connection %.2f us (goal < 10 us)\n",
           whatif * 1e6, flow * 1e6, fresh * 1e6);
    free_two(t);
}

static double matrix(int size)
{
    two_nodes *t = build(size / 2);
    net_probe_point *pts = calloc((size_t)size, sizeof *pts);
    char (*ips)[32] = calloc((size_t)size, 32);
    for (int k = 0; k < size; k++) {
        int i = k % 2, j = k / 2;
        snprintf(ips[k], 32, "10.244.%d.%d", i * 128 + 1 + j / 250, 2 + j % 250);
        pts[k] = (net_probe_point){ips[k], ips[k], 80, 6};
    }
    net_matrix m;
    double t0 = bench_now();
    if (net_matrix_probe(t->c, pts, (size_t)size, pts, (size_t)size, NULL, &m) != 0) {
        fprintf(stderr, "matrix failed\n");
        exit(1);
    }
    double secs = bench_now() - t0;
    size_t reached = 0;
    for (size_t k = 0; k < (size_t)size * (size_t)size; k++)
        reached += m.observed[k];
    printf("matrix %4d x %-4d: %.2f s (%.2f us per cell), %zu of %zu reached\n", size, size, secs,
           secs * 1e6 / ((double)size * size), reached, (size_t)size * (size_t)size);
    net_matrix_clear(&m);
    free(pts);
    free(ips);
    free_two(t);
    return secs;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atoi(argv[1]) : 5;
    int size = argc > 2 ? atoi(argv[2]) : 1000;
    if (rounds < 1 || size < 20) {
        fprintf(stderr, "usage: bench_walk [rounds] [matrix-size >= 20]\n");
        return 2;
    }
    busy_port(1000, 10000);
    busy_port(10000, 10000);
    service_walks();
    double small = matrix(size / 10), big = matrix(size);
    printf("matrix growth %dx cells: time x%.1f (goal for 1000 x 1000: < 10 s)\n", 100, big / small);
    return 0;
}
