/*
 * bench_cluster.c - a whole cluster built and synced by the controller
 * models, then a pod reachability matrix (issue 7 targets).
 *
 *   bench_cluster [max-nodes] [matrix-size]
 *
 * For N nodes (half Windows, half Linux; flannel host-gw), 30 pods per node
 * and 5 services per node (each selecting 6 pods across the cluster), the
 * benchmark declares everything, runs k8s_reconcile once (flannel, CNI and
 * kube-proxy on every node through the HCN API, then VFP; the per-node
 * steps on HNSIM_THREADS workers), and probes a matrix of up to
 * matrix-size x matrix-size pods. It reports build time, matrix time and
 * peak memory for N = 10, 20, 50, ... up to max-nodes, and how both grow
 * from one size to the next (the exponent k of N^k). The target is
 * 1000 nodes, 30k pods and 5k services under 60 s and 4 GiB; the growth
 * figures say how far this is.
 */
#include "bench_util.h"
#include "k8s.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define PODS_PER_NODE 30
#define SERVICES_PER_NODE 5

static double peak_mib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}

/* Node i: 10.0.x.y, pods 10.(16+i/256).(i%256).0/24. */
static void node_spec(size_t i, k8s_node *n)
{
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s%zu", i % 2 ? "lin" : "win", i);
    n->windows = i % 2 == 0;
    snprintf(n->ip, sizeof n->ip, "10.0.%zu.%zu", 1 + i / 250, 1 + i % 250);
    snprintf(n->pod_cidr, sizeof n->pod_cidr, "10.%zu.%zu.0/24", 16 + i / 256, i % 256);
    snprintf(n->profile, sizeof n->profile, "ws2022");
    n->cni_port_mappings = 1;
}

/* The previous size's figures, for the growth line. */
static double last_nodes, last_built, last_peak;

static void run(size_t nodes, size_t matrix)
{
    double t0 = bench_now();
    k8s_cluster *c = k8s_cluster_new(1, K8S_MODE_HOST_GW, 4096, "10.16.0.0/12", "10.96.0.0/12",
                                     "10.0.0.0/16");
    for (size_t i = 0; i < nodes; i++) {
        k8s_node n;
        node_spec(i, &n);
        if (!k8s_add_node(c, &n)) {
            fprintf(stderr, "node %zu refused\n", i);
            exit(1);
        }
    }
    for (size_t i = 0; i < nodes * PODS_PER_NODE; i++) {
        k8s_pod p = {0};
        snprintf(p.name, sizeof p.name, "p%zu", i);
        snprintf(p.node, sizeof p.node, "%s", c->nodes[i % nodes].name);
        p.labels.n = 1;
        snprintf(p.labels.items[0].key, K8S_NAME, "app");
        snprintf(p.labels.items[0].value, K8S_NAME, "a%zu", i / 6);
        p.ports[0] = (k8s_port){.port = 80, .protocol = 6};
        p.n_ports = 1;
        k8s_add_pod(c, &p);
    }
    for (size_t i = 0; i < nodes * SERVICES_PER_NODE; i++) {
        k8s_service s = {0};
        snprintf(s.name, sizeof s.name, "s%zu", i);
        s.selector.n = 1;
        snprintf(s.selector.items[0].key, K8S_NAME, "app");
        snprintf(s.selector.items[0].value, K8S_NAME, "a%zu", i);
        s.ports[0] = (k8s_port){.port = 80, .target = 80, .protocol = 6};
        s.n_ports = 1;
        k8s_add_service(c, &s);
    }
    k8s_reconcile(c);
    double built = bench_now() - t0;
    size_t n = c->n_pods < matrix ? c->n_pods : matrix;
    net_probe_point *pts = calloc(n, sizeof *pts);
    for (size_t i = 0; i < n; i++)
        pts[i] = (net_probe_point){c->pods[i].name, c->pods[i].ip, 80, 6};
    net_matrix m;
    double t1 = bench_now();
    net_matrix_probe(c->net, pts, n, pts, n, NULL, &m);
    double probed = bench_now() - t1;
    size_t reached = 0;
    for (size_t i = 0; i < n * n; i++)
        reached += m.observed[i];
    printf("%5zu nodes, %6zu pods, %5zu services: built and synced in %7.2f s; matrix %zu x %zu "
           "in %6.2f s (%zu reached); peak %7.1f MiB\n",
           nodes, c->n_pods, c->n_services, built, n, n, probed, reached, peak_mib());
    double peak = peak_mib();
    if (last_nodes > 0 && last_built > 0)
        printf("      growth from %.0f nodes: time x%.2f (N^%.2f), peak memory x%.2f (N^%.2f)\n",
               last_nodes, built / last_built, log(built / last_built) / log(nodes / last_nodes),
               peak / last_peak, log(peak / last_peak) / log(nodes / last_nodes));
    last_nodes = (double)nodes;
    last_built = built;
    last_peak = peak;
    fflush(stdout);
    net_matrix_clear(&m);
    free(pts);
    k8s_cluster_free(c);
}

int main(int argc, char **argv)
{
    size_t max_nodes = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
    size_t matrix = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
    static const size_t steps[] = {10, 20, 50, 100, 200, 500, 1000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && steps[i] <= max_nodes; i++)
        run(steps[i], matrix);
    return 0;
}
