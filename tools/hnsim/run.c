/*
 * run.c - `hnsim run`, `hnsim reach` and `hnsim trace FILE`: scenarios
 * from the command line (sim/scenario/runner.h, language in
 * scenarios/README.md).
 *
 *   hnsim run FILE... [--seed N] [--json] [--junit FILE] [--trace-dir DIR]
 *   hnsim reach FILE [--at T] [--seed N]
 *   hnsim trace FILE --from A --to B[:PORT/PROTO] [--at T] [--seed N] [--json]
 *
 * run exits 0 only when every expectation of every file held; the text
 * report (or the JSON one) goes to standard output, JUnit XML to --junit,
 * and with --trace-dir each failed expectation's trace to
 * DIR/<file>-<line>.txt. reach prints the pod-to-pod reachability matrix
 * (every running pod to every pod's first port) of the cluster as the
 * script left it (or at time T); trace walks one packet there - after the
 * pod's DNS lookup when it goes to a service name (probe.h): the lookup
 * comes first in the text, as a "lookup" member in the JSON, and when it
 * fails the packet is not sent.
 */
#include "cli.h"
#include "probe.h"
#include "runner.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int usage(void)
{
    fprintf(stderr, "usage: hnsim run FILE... [--seed N] [--json] [--junit FILE] [--trace-dir DIR]\n"
                    "       hnsim reach FILE [--at T] [--seed N]\n"
                    "       hnsim trace FILE --from A --to B[:PORT/PROTO] [--at T] [--seed N] [--json]\n");
    return 2;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0) {
        fprintf(stderr, "hnsim: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* DIR/<file with '/' as '_'>-<line>.txt for each failed expectation. */
static void write_traces(const char *dir, const scn_report *r)
{
    char parents[1024]; /* mkdir -p */
    snprintf(parents, sizeof parents, "%s", dir);
    for (char *slash = strchr(parents + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        mkdir(parents, 0755);
        *slash = '/';
    }
    mkdir(dir, 0755);
    for (size_t i = 0; i < r->n_results; i++) {
        const scn_result *res = &r->results[i];
        if (res->passed || !res->trace)
            continue;
        char name[512], path[1024];
        snprintf(name, sizeof name, "%s", res->file);
        for (char *p = name; *p; p++)
            if (*p == '/')
                *p = '_';
        snprintf(path, sizeof path, "%s/%s-%d.txt", dir, name, res->line);
        write_file(path, res->trace);
    }
}

static int parse_seed(const char *text, uint64_t *seed)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 0);
    if (*text == 0 || *end)
        return -1;
    *seed = v;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    scn_options o = {.seed = 1, .stop_at_ms = -1};
    const char *junit = NULL, *trace_dir = NULL;
    int json = 0;
    const char *files[256];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (parse_seed(argv[++i], &o.seed) < 0)
                return usage();
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--junit") && i + 1 < argc) {
            junit = argv[++i];
        } else if (!strcmp(argv[i], "--trace-dir") && i + 1 < argc) {
            trace_dir = argv[++i];
        } else if (argv[i][0] == '-' || n == 256) {
            return usage();
        } else {
            files[n++] = argv[i];
        }
    }
    if (!n)
        return usage();
    scn_report *reports = calloc(n, sizeof *reports);
    int status = 0;
    if (json && n > 1)
        printf("[\n");
    for (size_t i = 0; i < n; i++) {
        if (scn_run_file(files[i], &o, &reports[i], NULL) != 0)
            status = 1;
        char *text = NULL;
        if ((json ? scn_report_json(&reports[i], &text) : scn_report_text(&reports[i], &text)) == 0)
            printf("%s%s", text, json ? (i + 1 < n ? ",\n" : "\n") : "");
        free(text);
        if (trace_dir)
            write_traces(trace_dir, &reports[i]);
    }
    if (json && n > 1)
        printf("]\n");
    if (junit) {
        char *xml = NULL;
        if (scn_report_junit(reports, n, &xml) != 0 || write_file(junit, xml) != 0)
            status = 1;
        free(xml);
    }
    for (size_t i = 0; i < n; i++)
        scn_report_clear(&reports[i]);
    free(reports);
    return status;
}

/* Runs file up to --at and keeps the cluster; NULL (said on stderr) when
 * the script stopped at an error or declares no cluster. */
static k8s_cluster *run_to(const char *file, const scn_options *o)
{
    scn_report rep;
    k8s_cluster *c = NULL;
    scn_run_file(file, o, &rep, &c);
    if (rep.error) { /* a half-built cluster would answer for a script that failed */
        fprintf(stderr, "hnsim: %s\n", rep.error);
        k8s_cluster_free(c);
        c = NULL;
    } else if (!c) {
        fprintf(stderr, "hnsim: %s declares no cluster\n", file);
    }
    scn_report_clear(&rep);
    return c;
}

/* Shared options of reach and trace. Returns the file or NULL. */
static const char *scenario_options(int argc, char **argv, scn_options *o, const char **from,
                                    const char **to, int *json)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--at") && i + 1 < argc) {
            o->stop_at_ms = scn_parse_duration(argv[++i]);
            if (o->stop_at_ms < 0) {
                fprintf(stderr, "hnsim: --at %s: a time like 30s, 1500ms, 5m or 1h\n", argv[i]);
                return NULL;
            }
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (parse_seed(argv[++i], &o->seed) < 0)
                return NULL;
        } else if (from && !strcmp(argv[i], "--from") && i + 1 < argc) {
            *from = argv[++i];
        } else if (to && !strcmp(argv[i], "--to") && i + 1 < argc) {
            *to = argv[++i];
        } else if (json && !strcmp(argv[i], "--json")) {
            *json = 1;
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            return NULL;
        }
    }
    return file;
}

int cmd_reach(int argc, char **argv)
{
    scn_options o = {.seed = 1, .stop_at_ms = -1};
    const char *file = scenario_options(argc, argv, &o, NULL, NULL, NULL);
    if (!file)
        return usage();
    k8s_cluster *c = run_to(file, &o);
    if (!c)
        return 1;
    net_probe_point *pts = calloc(c->n_pods + 1, sizeof *pts);
    char (*names)[2 * K8S_NAME] = calloc(c->n_pods + 1, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < c->n_pods; i++) {
        const k8s_pod *p = &c->pods[i];
        if (p->phase != K8S_POD_RUNNING || !p->ip[0])
            continue;
        snprintf(names[n], sizeof names[n], "%s/%s", p->ns, p->name);
        pts[n] = (net_probe_point){names[n], p->ip, p->n_ports ? p->ports[0].port : 80,
                                   p->n_ports ? p->ports[0].protocol : 6};
        n++;
    }
    net_matrix m;
    char *text = NULL;
    int status = net_matrix_probe(c->net, pts, n, pts, n, NULL, &m) == 0 && net_matrix_format(&m, &text) == 0 ? 0 : 1;
    if (text)
        fputs(text, stdout);
    free(text);
    if (!status)
        net_matrix_clear(&m);
    free(pts);
    free(names);
    k8s_cluster_free(c);
    return status;
}

/* Prints the walk w after lookup l (NULL when there was none), as text or
 * as JSON (the walk's object with a "lookup" member). Returns 0 or -1. */
static int print_trace(const scn_lookup *l, const net_walk *w, int json)
{
    char *text = NULL;
    if (!json) {
        char *dns = l ? scn_lookup_text(l) : NULL;
        int rc = w ? net_walk_format_text(w, &text) : 0;
        printf("%s%s%s", dns ? dns : "", dns && text ? "--- then\n" : "", text ? text : "");
        free(dns);
        free(text);
        return rc;
    }
    cJSON *o = NULL;
    if (w) {
        if (net_walk_format_json(w, &text) != 0)
            return -1;
        if (!l) { /* the walk alone, as net_walk_format_json writes it */
            printf("%s\n", text);
            free(text);
            return 0;
        }
        o = cJSON_Parse(text);
        free(text);
    } else {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "verdict", net_verdict_name(NET_DROPPED));
        cJSON_AddStringToObject(o, "reason", net_reason_name(l->reason));
        cJSON_AddStringToObject(o, "detail", l->account);
    }
    if (!o)
        return -1;
    if (l)
        cJSON_AddItemToObject(o, "lookup", scn_lookup_json(l));
    text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return -1;
    printf("%s\n", text);
    free(text);
    return 0;
}

int cmd_trace_scenario(int argc, char **argv)
{
    scn_options o = {.seed = 1, .stop_at_ms = -1};
    const char *from = NULL, *to = NULL;
    int json = 0;
    const char *file = scenario_options(argc, argv, &o, &from, &to, &json);
    if (!file || !from || !to)
        return usage();
    k8s_cluster *c = run_to(file, &o);
    if (!c)
        return 1;
    char src[K8S_ADDR], err[256];
    uint16_t sport;
    uint8_t ignored;
    scn_address to_addr;
    int status = 1;
    if (scn_resolve(c, from, src, &sport, &ignored, err, sizeof err) ||
        scn_destination_resolve(c, to, &to_addr, err, sizeof err)) {
        fprintf(stderr, "hnsim: %s\n", err);
        k8s_cluster_free(c);
        return 1;
    }
    /* A pod sending to a service name looks it up first (probe.h). The
       query and the packet take ports below those of the script's probes
       (40000 on), so they meet none of the flows those left behind. */
    uint16_t query_port = 39998;
    scn_lookup lookup;
    int looked_up = scn_lookup_needed(c, from, to, &lookup);
    if (looked_up && !scn_lookup_run(c, &lookup, &query_port)) {
        status = print_trace(&lookup, NULL, json) == 0 ? 0 : 1;
    } else {
        const char *dst = to_addr.ip;
        uint16_t dport = to_addr.port;
        uint8_t proto = to_addr.protocol;
        vfp_packet p = {.protocol = proto, .size = 100};
        if (vfp_addr_parse(src, &p.src) || vfp_addr_parse(dst, &p.dst)) {
            fprintf(stderr, "hnsim: bad address %s or %s\n", src, dst);
        } else {
            if (proto == 6 || proto == 17) {
                p.src_port = 39999;
                p.dst_port = dport;
            }
            net_walk w;
            if (net_walk_packet(c->net, &p, NULL, &w) == 0)
                status = print_trace(looked_up ? &lookup : NULL, &w, json) == 0 ? 0 : 1;
            net_walk_clear(&w);
        }
    }
    scn_lookup_clear(&lookup);
    k8s_cluster_free(c);
    return status;
}
