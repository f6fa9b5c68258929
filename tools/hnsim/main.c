/*
 * main.c - the hnsim command: one entry point for the tools.
 *
 *   hnsim diag list networks|endpoints|namespaces|loadbalancers|sdnroutes|all [-d] [--json]
 *   hnsim demo [--store PATH] [--seed N] [--profile P]
 *   hnsim serve --store FILE [...]   (the hnsd daemon, see tools/hnsd/daemon.c)
 *   hnsim trace --from IP[:PORT] --to IP:PORT/PROTO [--json]   (trace.c)
 *   hnsim vfp list-ports | list-rules --port P                 (trace.c)
 *   hnsim run FILE... | reach FILE | trace FILE --from --to     (run.c)
 *
 * Further subcommands (run, trace, reach, vfp, import, serve, graph) join as
 * the simulator grows; `hnsim help` lists what this build has.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hnsim <command> [options]\n"
            "\n"
            "commands:\n"
            "  diag list networks|endpoints|namespaces|loadbalancers|sdnroutes|all\n"
            "       [-d] [--json] [--schema 1|2] [--store PATH | --hnsd SOCKET]\n"
            "                        show HNS objects, shaped like Windows `hnsdiag list`\n"
            "  diag choices          list the documented fidelity choices of the HNS model\n"
            "  demo [--store PATH] [--seed N] [--profile P]\n"
            "                        program a node the way flannel and a CNI plugin do,\n"
            "                        then show the result\n"
            "  serve --store FILE [--socket PATH] [--tcp 127.0.0.1:PORT --token-file F]\n"
            "        [--profile P] [--seed N] [--ready-fd N] [--pid-file F]\n"
            "                        run hnsd: serve the store to other processes\n"
            "  trace [--store PATH | --hnsd SOCKET] [--node-ip IP] --from IP[:PORT]\n"
            "        --to IP:PORT/PROTO [--size N] [--json]\n"
            "                        walk a packet through the node's VFP program\n"
            "  vfp list-ports | list-rules --port ID|IP|host|external [--layer L] [--group G]\n"
            "                        the node's vSwitch ports and rules, like `vfpctrl`\n"
            "  run FILE... [--seed N] [--json] [--junit FILE] [--trace-dir DIR]\n"
            "                        run scenarios (scenarios/README.md); exit 0 when all hold\n"
            "  reach FILE [--at T] [--seed N]\n"
            "                        the pod-to-pod reachability matrix of a scenario\n"
            "  trace FILE --from A --to B[:PORT/PROTO] [--at T] [--seed N] [--json]\n"
            "                        walk a packet through a scenario's cluster\n"
            "  help                  this text\n"
            "\n"
            "The store is a SQLite file written by libhnsmock (HNSIM_STORE by default).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "diag") == 0)
        return cmd_diag(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "trace") == 0) /* a scenario file first: trace in that scenario */
        return argc > 2 && argv[2][0] != '-' ? cmd_trace_scenario(argc - 1, argv + 1)
                                             : cmd_trace(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "reach") == 0)
        return cmd_reach(argc - 1, argv + 1);
    if (strcmp(cmd, "vfp") == 0)
        return cmd_vfp(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "hnsim: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}

hnsm_instance *cli_open_store(const char *store, int create, const char *profile)
{
    if (!store || !*store)
        store = getenv("HNSIM_STORE");
    if (!store || !*store) {
        fprintf(stderr, "hnsim: no store given (use --store PATH or set HNSIM_STORE)\n");
        return NULL;
    }
    if (!create && access(store, R_OK) != 0) {
        fprintf(stderr, "hnsim: cannot read store %s: %s\n", store, strerror(errno));
        return NULL;
    }
    hnsm_config config = {0};
    config.store = store;
    config.profile = profile;
    hnsm_instance *inst = NULL;
    int err = hnsm_open(&config, &inst);
    if (err) {
        fprintf(stderr, "hnsim: cannot open store %s: %s\n", store, hnsm_strerror(err));
        return NULL;
    }
    return inst;
}
