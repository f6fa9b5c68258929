/*
 * probe.h - what a scenario probe sends: one packet and its reply through
 * the simulated network (an exchange), preceded, when a pod sends to a
 * service by name and the cluster has a DNS service, by the pod's DNS
 * lookup - itself an exchange, the UDP 53 query and its answer.
 *
 * `expect reach`, `expect trace` and `rollout probe=` probe through here;
 * `hnsim trace FILE` looks names up through here and then walks its one
 * packet (no reply), so a name is looked up the same way everywhere.
 */
#ifndef HNSIM_SCENARIO_PROBE_H
#define HNSIM_SCENARIO_PROBE_H

#include "k8s.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A packet, its walk and the reply's. */
typedef struct scn_exchange {
    net_walk out, back; /* back is empty when out was dropped or refused */
    int reached;        /* out arrived (or left the cluster) and the reply came back */
    net_reason reason;  /* why not; the delivery otherwise */
} scn_exchange;

/* Walks p and its reply in net. A TCP or UDP packet a node's host gets on
 * a port it does not listen on (it listens on 22, 10250, 10256) is
 * refused (NET_REASON_NO_LISTENER). Clear x with scn_exchange_clear. */
void scn_exchange_run(net_cluster *net, const vfp_packet *p, scn_exchange *x);
void scn_exchange_clear(scn_exchange *x);

/* Both traces as text, the reply after a "--- reply" line (malloc'd). */
char *scn_exchange_text(const scn_exchange *x);

/* A pod's lookup of a service name before it sends. */
typedef struct scn_lookup {
    k8s_pod *pod;
    char name[3 * K8S_NAME]; /* "web.default" */
    char server[K8S_ADDR];   /* the DNS server asked ("" when the pod has none) */
    int resolved;
    net_reason reason;       /* NET_REASON_DNS_UNRESOLVED or DNS_NEGATIVE_CACHED when not */
    char account[320];       /* why not, in a sentence ("" when resolved) */
    int queried;             /* the query was sent: exchange holds it */
    scn_exchange exchange;
} scn_lookup;

/* Whether FROM -> TO starts with a lookup: FROM is a pod with an address,
 * TO a service written as a name ("web.default[:PORT][/PROTO]", not
 * "svc:web.default": scn_address_resolve's by_name) and the cluster has a
 * DNS service (k8s_cluster_dns). Returns 1 with l->pod and l->name set (l
 * otherwise zeroed), or 0. */
int scn_lookup_needed(k8s_cluster *c, const char *from, const char *to, scn_lookup *l);

/* Runs the lookup l (from scn_lookup_needed): the pod's DNS client (its
 * negative cache, k8s_pod_dns_failure_cached), its server, then the query -
 * from port *next_port, which is then counted as taken - and the answer.
 * A failure is remembered by that cache. Returns l->resolved. */
int scn_lookup_run(k8s_cluster *c, scn_lookup *l, uint16_t *next_port);
void scn_lookup_clear(scn_lookup *l);

/* The lookup as text: a "DNS lookup of NAME" line, then, when the query
 * went out, its exchange (malloc'd). */
char *scn_lookup_text(const scn_lookup *l);

/* The lookup as JSON: {name, server, resolved, reason, detail, query,
 * answer} (query and answer: net_walk_format_json objects, when sent). */
cJSON *scn_lookup_json(const scn_lookup *l);

#ifdef __cplusplus
}
#endif

#endif
