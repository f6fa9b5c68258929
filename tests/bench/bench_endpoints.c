/*
 * bench_endpoints.c - how fast the HNS model serves the calls CNI plugins and
 * kube-proxy make most: endpoint create+delete, query, and filtered
 * enumeration over many endpoints.
 *
 * Runs each measurement for several rounds and prints the median rate, for
 * an in-memory store and a WAL file store, plus the file/memory ratio. Goals
 * (issue 2): >= 20k create+delete pairs/s in memory, >= 5k on a file store,
 * filtered enumeration answered from an index (its time must not grow with
 * the number of non-matching endpoints). This is a benchmark, not a test: it
 * asserts nothing about time. Usage: bench_endpoints [rounds] [pairs]
 */
#include <hnsmock/hnsmock.h>

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hnsm_instance *open_store(const char *path)
{
    if (path) {
        char p[512];
        const char *suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", path, suffix[i]);
            unlink(p);
        }
    }
    hnsm_config c = {.store = path, .profile = "ws2022", .seed = 42, .seed_set = 1};
    hnsm_instance *inst;
    if (hnsm_open(&c, &inst)) {
        fprintf(stderr, "bench: cannot open store\n");
        exit(1);
    }
    return inst;
}

/* Creates the network endpoints live on; returns its id (malloc'd). */
static char *make_network(hnsm_instance *inst)
{
    char *id = NULL;
    bench_must(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                   "{\"Name\":\"bench\",\"Type\":\"L2Bridge\",\"MacPool\":{\"Ranges\":[{"
                   "\"StartMacAddress\":\"00-15-5D-00-00-00\",\"EndMacAddress\":"
                   "\"00-15-5D-0F-FF-FF\"}]},\"Ipams\":[{\"Subnets\":[{"
                   "\"IpAddressPrefix\":\"10.128.0.0/14\",\"Routes\":[{\"NextHop\":\"10.128.0.1\","
                   "\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}],\"SchemaVersion\":{\"Major\":2,"
                   "\"Minor\":0}}",
                   &id, NULL),
         "network create");
    return id;
}

/* pairs endpoint create+delete (static IP, one policy, as a CNI ADD/DEL). */
static double pairs_per_second(hnsm_instance *inst, const char *network, int pairs)
{
    char doc[512];
    double start = bench_now();
    for (int i = 0; i < pairs; i++) {
        char *id = NULL;
        snprintf(doc, sizeof doc,
                 "{\"Name\":\"pod%d_cbr0\",\"IpConfigurations\":[{\"IpAddress\":\"10.129.%d.%d\"}],"
                 "\"Policies\":[{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":"
                 "[\"10.128.0.0/14\"]}}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                 i, (i / 250) % 250, 2 + i % 250);
        bench_must(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, network, doc, &id, NULL),
             "endpoint create");
        bench_must(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_DELETE, id, NULL, NULL, NULL, NULL),
             "endpoint delete");
        hnsm_free(id);
    }
    return pairs / (bench_now() - start);
}

/* Fills the network with n endpoints; returns the id of the last one. */
static char *fill(hnsm_instance *inst, const char *network, int n)
{
    char doc[256], *last = NULL;
    for (int i = 0; i < n; i++) {
        hnsm_free(last);
        last = NULL;
        snprintf(doc, sizeof doc, "{\"Name\":\"ep%d\",\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                 i);
        bench_must(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, network, doc, &last, NULL),
             "fill create");
    }
    return last;
}

/* Median seconds of one filtered enumerate (by Name) over the filled store. */
static double enumerate_seconds(hnsm_instance *inst, const char *filter, int rounds)
{
    double t[64];
    char query[256];
    snprintf(query, sizeof query, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Filter\":\"%s\"}",
             filter);
    for (int r = 0; r < rounds; r++) {
        char *out = NULL;
        double start = bench_now();
        for (int k = 0; k < 100; k++) {
            bench_must(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_ENUMERATE, NULL, NULL, query, &out, NULL),
                 "enumerate");
            hnsm_free(out);
        }
        t[r] = (bench_now() - start) / 100;
    }
    return bench_median(t, rounds);
}

static double query_seconds(hnsm_instance *inst, const char *id, int rounds)
{
    double t[64];
    for (int r = 0; r < rounds; r++) {
        double start = bench_now();
        for (int k = 0; k < 1000; k++) {
            char *out = NULL;
            bench_must(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_QUERY, id, NULL,
                           "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &out, NULL),
                 "query");
            hnsm_free(out);
        }
        t[r] = (bench_now() - start) / 1000;
    }
    return bench_median(t, rounds);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    int pairs = argc > 2 ? atoi(argv[2]) : 5000;
    if (rounds < 1 || rounds > 64 || pairs < 1) {
        fprintf(stderr, "usage: bench_endpoints [rounds 1..64] [pairs]\n");
        return 2;
    }
    char file[256];
    snprintf(file, sizeof file, "%s/hnsim-bench-%d.db", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    const char *stores[2] = {NULL, file};
    const char *labels[2] = {"memory", "file (WAL)"};
    double rate[2];
    printf("endpoint create+delete pairs (static IP, one policy), %d rounds of %d pairs:\n", rounds,
           pairs);
    for (int s = 0; s < 2; s++) {
        hnsm_instance *inst = open_store(stores[s]);
        char *network = make_network(inst);
        double v[64];
        for (int r = 0; r < rounds; r++)
            v[r] = pairs_per_second(inst, network, pairs);
        rate[s] = bench_median(v, rounds);
        printf("  %-11s median %9.0f pairs/s  (goal %s)\n", labels[s], rate[s],
               s == 0 ? ">= 20000" : ">= 5000");
        hnsm_free(network);
        hnsm_close(inst);
    }
    printf("  ratio file/memory: %.2f\n\n", rate[1] / rate[0]);

    printf("filtered enumerate (100 calls per round) and query, in memory:\n");
    hnsm_instance *inst = open_store(NULL);
    char *network = make_network(inst);
    int sizes[2] = {1000, 10000};
    double by_name[2];
    int filled = 0;
    for (int s = 0; s < 2; s++) {
        char *last = fill(inst, network, sizes[s] - filled);
        filled = sizes[s];
        by_name[s] = enumerate_seconds(inst, "{\\\"Name\\\":\\\"ep500\\\"}", rounds);
        double q = query_seconds(inst, last, rounds);
        printf("  %5d endpoints: by Name %7.1f us, query one %6.1f us\n", sizes[s],
               by_name[s] * 1e6, q * 1e6);
        hnsm_free(last);
    }
    printf("  growth of a filtered enumerate from 1k to 10k endpoints: %.2fx (index: ~1x)\n",
           by_name[1] / by_name[0]);
    char filter[128];
    snprintf(filter, sizeof filter, "{\\\"VirtualNetwork\\\":\\\"%s\\\"}", network);
    printf("  all 10000 of one network (VirtualNetwork filter): %.1f ms\n",
           enumerate_seconds(inst, filter, rounds > 3 ? 3 : rounds) * 1e3);
    hnsm_free(network);
    hnsm_close(inst);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", file, suffix[i]);
        unlink(p);
    }
    return 0;
}
