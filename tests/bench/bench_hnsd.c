/*
 * bench_hnsd.c - calls per second in process and through hnsd.
 *
 * The same small call (query one network's properties) is made by libhnsmock
 * in process, then through a real hnsd over the Unix socket and over TCP
 * loopback, with one client and with several client processes at once.
 * Prints medians and the daemon/in-process ratios; asserts nothing about
 * time. Goal (issue 4): at least 10k small calls per second through the Unix
 * socket from one client. Usage: bench_hnsd PATH_TO_HNSD [calls] [rounds]
 */
#define _DEFAULT_SOURCE
#include "daemon_harness.h"

#include <hnsmock/hnsmock.h>

#include "bench_util.h"

#include "remote.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *query = "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}";
static const char *network_doc =
    "{\"Name\":\"bench\",\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":\"10.1.0.0/16\"}]}]}";

/* calls queries through the HNSIM_HNSD daemon; returns calls/s (0 on error). */
static double remote_rate(const char *network, int calls)
{
    double start = bench_now();
    for (int i = 0; i < calls; i++) {
        char *out = NULL;
        if (FAILED(hnsm__remote_call(HNSM_NETWORK, HNSM_OP_QUERY, network, NULL, query, &out,
                                     NULL)))
            return 0;
        free(out);
    }
    return calls / (bench_now() - start);
}

/* clients processes at once, each making calls queries; returns total calls/s. */
static double parallel_rate(const char *network, int clients, int calls)
{
    int pipes[16][2];
    pid_t pids[16];
    double start = bench_now();
    for (int c = 0; c < clients; c++) {
        if (pipe(pipes[c]) != 0)
            return 0;
        pids[c] = fork();
        if (pids[c] == 0) {
            double rate = remote_rate(network, calls);
            if (write(pipes[c][1], &rate, sizeof rate) < 0)
                _exit(1);
            _exit(rate > 0 ? 0 : 1);
        }
        close(pipes[c][1]);
    }
    int failed = 0;
    for (int c = 0; c < clients; c++) {
        int status;
        waitpid(pids[c], &status, 0);
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        close(pipes[c][0]);
    }
    return failed ? 0 : clients * calls / (bench_now() - start);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_hnsd PATH_TO_HNSD [calls] [rounds]\n");
        return 2;
    }
    harness_set_binary(argv[1]);
    int calls = argc > 2 ? atoi(argv[2]) : 20000;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (calls < 1 || rounds < 1 || rounds > 32)
        return 2;
    signal(SIGPIPE, SIG_IGN);

    /* In process. */
    hnsm_config config = {.profile = "ws2022", .seed = 1, .seed_set = 1};
    hnsm_instance *inst;
    char *network = NULL;
    if (hnsm_open(&config, &inst) ||
        FAILED(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, network_doc, &network,
                         NULL)))
        return 1;
    double v[32];
    for (int r = 0; r < rounds; r++) {
        double start = bench_now();
        for (int i = 0; i < calls; i++) {
            char *out = NULL;
            hnsm_call(inst, HNSM_NETWORK, HNSM_OP_QUERY, network, NULL, query, &out, NULL);
            hnsm_free(out);
        }
        v[r] = calls / (bench_now() - start);
    }
    double local = bench_median(v, rounds);
    hnsm_free(network);
    hnsm_close(inst);

    hnsd_proc d = {0};
    int port = 30000 + (int)(getpid() % 20000);
    if (!hnsd_start(&d, "ws2022", port)) {
        fprintf(stderr, "bench_hnsd: hnsd did not start\n");
        return 1;
    }
    char where[400], token[128] = "";
    snprintf(where, sizeof where, "unix:%s", d.socket);
    setenv("HNSIM_HNSD", where, 1);
    network = NULL;
    if (FAILED(hnsm__remote_call(HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, network_doc, &network,
                                 NULL)))
        return 1;
    for (int r = 0; r < rounds; r++)
        v[r] = remote_rate(network, calls);
    double unix_one = bench_median(v, rounds);
    double unix_four = parallel_rate(network, 4, calls / 2);

    FILE *tf = fopen(d.token_file, "r");
    if (tf && fgets(token, sizeof token, tf))
        token[strcspn(token, "\n")] = '\0';
    if (tf)
        fclose(tf);
    snprintf(where, sizeof where, "tcp:127.0.0.1:%d", port);
    setenv("HNSIM_HNSD", where, 1);
    setenv("HNSIM_HNSD_TOKEN", token, 1);
    for (int r = 0; r < rounds; r++)
        v[r] = remote_rate(network, calls);
    double tcp_one = bench_median(v, rounds);
    double tcp_four = parallel_rate(network, 4, calls / 2);
    hnsd_stop(&d);
    hnsd_cleanup(&d);
    free(network);

    printf("small calls (query one network), median of %d rounds of %d calls:\n", rounds, calls);
    printf("  in process              %9.0f calls/s\n", local);
    printf("  hnsd, Unix socket, 1    %9.0f calls/s  (goal >= 10000; %.3f of in-process)\n",
           unix_one, unix_one / local);
    printf("  hnsd, Unix socket, 4    %9.0f calls/s  (4 client processes together)\n", unix_four);
    printf("  hnsd, TCP loopback, 1   %9.0f calls/s  (%.3f of in-process)\n", tcp_one,
           tcp_one / local);
    printf("  hnsd, TCP loopback, 4   %9.0f calls/s\n", tcp_four);
    return 0;
}
