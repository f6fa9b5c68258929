/*
 * bench_loadbalancers.c - how fast the HNS model takes the load balancers a
 * large cluster's kube-proxy programs, and lists them back.
 *
 * Each round opens a fresh store, creates a pool of backend endpoints, then
 * times COUNT load balancers created through hnsm_call (each a ClusterIP-
 * style LB with 3 backends, its own VIP, one TCP port mapping), one
 * HcnEnumerateLoadBalancers of all of them, and kube-proxy's
 * ListLoadBalancers (enumerate, then query each in v2). It does this in
 * memory and on a WAL file store and prints the medians, calls per second
 * and the file/memory ratio. Two frontend layouts are measured: every VIP on
 * its own port, and every VIP on port 80 (the common case of a cluster's
 * services), which is where a frontend index without the VIP shows. Goal
 * (issue 3): 10k load balancers created in under 1 s in memory (real HNS
 * took minutes for 2000 services). This is a benchmark, not a test: it
 * asserts nothing about time. Usage: bench_loadbalancers [rounds] [count]
 */
#include <hnsmock/hnsmock.h>

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"
#define POOL 3000 /* backend endpoints the LBs draw from, 3 each, in turn */

static void remove_store(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; path && i < 3; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* A fresh instance on path (NULL = memory) with a network and POOL endpoints;
 * their ids go to backends (POOL strings, malloc'd). */
static hnsm_instance *open_filled(const char *path, char **backends)
{
    remove_store(path);
    hnsm_config c = {.store = path, .profile = "ws2022", .seed = 42, .seed_set = 1};
    hnsm_instance *inst;
    if (hnsm_open(&c, &inst)) {
        fprintf(stderr, "bench: cannot open store\n");
        exit(1);
    }
    char *network = NULL;
    bench_must(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                   "{\"Name\":\"bench\",\"Type\":\"L2Bridge\",\"Ipams\":[{\"Subnets\":[{"
                   "\"IpAddressPrefix\":\"10.128.0.0/14\",\"Routes\":[{\"NextHop\":\"10.128.0.1\","
                   "\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]," V2 "}",
                   &network, NULL),
         "network create");
    for (int i = 0; i < POOL; i++) {
        char doc[256];
        snprintf(doc, sizeof doc,
                 "{\"Name\":\"pod%d\",\"IpConfigurations\":[{\"IpAddress\":\"10.129.%d.%d\"}]," V2
                 "}",
                 i, i / 250, 2 + i % 250);
        bench_must(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, network, doc, &backends[i], NULL),
             "endpoint create");
    }
    hnsm_free(network);
    return inst;
}

/* Seconds to create count LBs; shared_port puts every VIP on port 80. */
static double create_seconds(hnsm_instance *inst, char **backends, int count, int shared_port)
{
    char doc[512];
    double start = bench_now();
    for (int i = 0; i < count; i++) {
        int b = (3 * i) % POOL;
        snprintf(doc, sizeof doc,
                 "{\"HostComputeEndpoints\":[\"%s\",\"%s\",\"%s\"],\"SourceVIP\":\"10.128.0.2\","
                 "\"FrontendVIPs\":[\"10.96.%d.%d\"],\"PortMappings\":[{\"Protocol\":6,"
                 "\"InternalPort\":8080,\"ExternalPort\":%d}]," V2 "}",
                 backends[b], backends[(b + 1) % POOL], backends[(b + 2) % POOL], i / 250,
                 1 + i % 250, shared_port ? 80 : 1024 + i);
        char *id = NULL;
        bench_must(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL, doc, &id, NULL),
             "load balancer create");
        hnsm_free(id);
    }
    return bench_now() - start;
}

/* Seconds of one enumerate of every LB; *list gets the result (malloc'd). */
static double enumerate_seconds(hnsm_instance *inst, char **list)
{
    double start = bench_now();
    bench_must(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_ENUMERATE, NULL, NULL, "{" V2 "}", list, NULL),
         "enumerate");
    return bench_now() - start;
}

/* Seconds of kube-proxy's ListLoadBalancers: enumerate, then open + query
 * each in v2 (hcsshim's open/query/close; the open is a cheap lookup). */
static double list_seconds(hnsm_instance *inst, int *listed)
{
    double start = bench_now();
    char *list = NULL;
    bench_must(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_ENUMERATE, NULL, NULL, "{" V2 "}", &list, NULL),
         "enumerate");
    *listed = 0;
    /* The ids are 36 characters between quotes. */
    for (const char *p = strchr(list, '"'); p; p = strchr(p + 38, '"')) {
        char id[37];
        memcpy(id, p + 1, 36);
        id[36] = '\0';
        char *props = NULL;
        bench_must(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_OPEN, id, NULL, NULL, NULL, NULL), "open");
        bench_must(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_QUERY, id, NULL, "{" V2 "}", &props, NULL),
             "query");
        hnsm_free(props);
        (*listed)++;
    }
    hnsm_free(list);
    return bench_now() - start;
}

typedef struct figures {
    double create, enumerate, list;
} figures;

static figures measure(const char *path, int rounds, int count, int shared_port)
{
    double c[64], e[64], l[64];
    char **backends = calloc(POOL, sizeof *backends);
    for (int r = 0; r < rounds; r++) {
        hnsm_instance *inst = open_filled(path, backends);
        c[r] = create_seconds(inst, backends, count, shared_port);
        char *list = NULL;
        e[r] = enumerate_seconds(inst, &list);
        if (strlen(list) != (size_t)count * 39 + 1) {
            fprintf(stderr, "bench: enumerate returned %zu bytes for %d LBs\n", strlen(list), count);
            exit(1);
        }
        hnsm_free(list);
        int listed;
        l[r] = list_seconds(inst, &listed);
        if (listed != count) {
            fprintf(stderr, "bench: listed %d of %d LBs\n", listed, count);
            exit(1);
        }
        for (int i = 0; i < POOL; i++)
            hnsm_free(backends[i]);
        hnsm_close(inst);
    }
    free(backends);
    remove_store(path);
    figures f = {bench_median(c, rounds), bench_median(e, rounds), bench_median(l, rounds)};
    return f;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    int count = argc > 2 ? atoi(argv[2]) : 10000;
    if (rounds < 1 || rounds > 64 || count < 1 || count > 62500) {
        fprintf(stderr, "usage: bench_loadbalancers [rounds 1..64] [count 1..62500]\n");
        return 2;
    }
    char file[256];
    snprintf(file, sizeof file, "%s/hnsim-bench-lb-%d.db",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    const char *stores[2] = {NULL, file};
    const char *labels[2] = {"memory", "file (WAL)"};
    static const char *const layouts[2] = {"each VIP on its own port", "every VIP on port 80"};
    for (int shared = 0; shared < 2; shared++) {
        printf("%d load balancers (3 backends of a %d-endpoint pool, own VIP, %s), median of %d "
               "rounds:\n",
               count, POOL, layouts[shared], rounds);
        figures f[2];
        for (int s = 0; s < 2; s++) {
            f[s] = measure(stores[s], rounds, count, shared);
            printf("  %-10s create all %7.3f s (%8.0f creates/s)%s\n", labels[s], f[s].create,
                   count / f[s].create, s == 0 ? "  goal < 1 s" : "");
            printf("  %-10s enumerate %7.2f ms   list (enumerate + open/query each) %7.3f s "
                   "(%8.0f LBs/s)\n",
                   "", f[s].enumerate * 1e3, f[s].list, count / f[s].list);
        }
        printf("  ratio file/memory: create %.2f, enumerate %.2f, list %.2f\n\n",
               f[1].create / f[0].create, f[1].enumerate / f[0].enumerate, f[1].list / f[0].list);
    }
    return 0;
}
