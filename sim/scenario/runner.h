/*
 * runner.h - running a scenario: statements (parse.h) become a cluster
 * (k8s.h), events on a virtual clock, faults, raw HCN calls and
 * expectations, and the result is a report: every expectation with where it
 * was written, what was expected, what happened and, for packets, the
 * trace. scenarios/README.md is the language reference; runner.c has one
 * function per verb.
 *
 * Determinism: the run depends only on the script and the seed. Every
 * random choice (GUIDs in HNS, backend choice, ephemeral ports) is drawn
 * from the seed, time is the virtual clock, and reports contain no wall
 * time, so the same script and seed give the same bytes.
 */
#ifndef HNSIM_SCENARIO_RUNNER_H
#define HNSIM_SCENARIO_RUNNER_H

#include "k8s.h"
#include "parse.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The outcome of one expectation (or one failed statement). */
typedef struct scn_result {
    char file[256];
    int line, col;
    char text[256];     /* the statement, as written (verb and arguments) */
    int passed;
    char *detail;       /* what was expected and what happened (malloc'd) */
    char *trace;        /* the packet trace for reach expectations (malloc'd, may be NULL) */
    uint64_t at_ms;     /* virtual time it was checked */
} scn_result;

typedef struct scn_report {
    char file[256];
    uint64_t seed;
    scn_result *results;
    size_t n_results;
    size_t passed, failed;
    char *error;        /* a statement the runner could not carry out ("file:line:col: ...") */
    char **log;         /* the controllers' log, copied */
    size_t n_log;
} scn_report;

/* Options of a run. */
typedef struct scn_options {
    uint64_t seed;         /* default 1 */
    int64_t stop_at_ms;    /* stop before the first statement after this time, then move the
                              clock on to it, running the controllers on the way (-1 = run all) */
} scn_options;

/* Runs the script in file. The report is filled even when the run stops
 * at an error (report->error says where). *cluster, when not NULL, receives
 * the cluster as the run left it (free with k8s_cluster_free) for reach and
 * trace queries. Returns 0 when every expectation held and no statement
 * failed, 1 otherwise, -1 when the file could not be parsed (report->error). */
int scn_run_file(const char *file, const scn_options *o, scn_report *report,
                 k8s_cluster **cluster);

/* Frees what a report holds. */
void scn_report_clear(scn_report *r);

/* The report for people: one line per expectation (PASS/FAIL file:line),
 * the details and traces of failures, then a summary line. */
int scn_report_text(const scn_report *r, char **out);

/* The report as JSON: {file, seed, passed, failed, error, results:[...]}. */
int scn_report_json(const scn_report *r, char **out);

/* JUnit XML of several reports (one testsuite per file). */
int scn_report_junit(const scn_report *reports, size_t n, char **out);

/* Resolves a scenario address ("pod:web-0", "web-0", "svc:web.default",
 * "web.default", "node:win1", "ext:client", "ip:10.0.0.9", with an optional
 * ":PORT/PROTO") in cluster c to an address, port and protocol. Returns 0
 * or -1 with a message in err. */
int scn_resolve(k8s_cluster *c, const char *text, char ip[K8S_ADDR], uint16_t *port,
                uint8_t *protocol, char *err, size_t err_size);

typedef enum scn_address_kind {
    SCN_ADDRESS_POD = 1,
    SCN_ADDRESS_SERVICE,
    SCN_ADDRESS_NODE,
    SCN_ADDRESS_EXTERNAL,
    SCN_ADDRESS_IP,
} scn_address_kind;

/* A scenario address, resolved. */
typedef struct scn_address {
    scn_address_kind kind;
    int by_name;             /* a service written as "NAME.NS" (no svc:): a DNS name */
    char name[2 * K8S_NAME]; /* pod and service: the name without its namespace */
    char ns[K8S_NAME];       /* pod and service ("default" when not written) */
    char ip[K8S_ADDR];
    uint16_t port;           /* as written, else the pod's or service's first (0 = none) */
    uint8_t protocol;        /* 6 unless written */
    k8s_pod *pod;            /* SCN_ADDRESS_POD */
    k8s_service *service;    /* SCN_ADDRESS_SERVICE */
} scn_address;

/* scn_address_resolve for where a probe goes: a TCP or UDP destination
 * also needs a port (pods and services have a default one; a pod without
 * ports= takes any). Returns 0 or -1 with the message in err. */
int scn_destination_resolve(k8s_cluster *c, const char *text, scn_address *a, char *err,
                            size_t err_size);

/* A duration as scripts write it: "30s", "1500ms", "5m", "1h", or a bare
 * number of seconds. Returns milliseconds, or -1. */
int64_t scn_parse_duration(const char *text);

/* scn_resolve with everything the text says: what it names and how. */
int scn_address_resolve(k8s_cluster *c, const char *text, scn_address *a, char *err,
                        size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
