/*
 * net.h - the simulated network: Windows nodes programmed by HNS, Linux
 * nodes, the underlay between them, packet walks with traces, and
 * reachability matrices.
 *
 * A Windows node is an HNS instance (in process, or an hnsd) plus what the
 * OS around it holds: the node address, a host routing table, the MTU of its
 * NIC and the SNAT port range. net_node_sync() reads the instance through
 * the public API (hns_view.h), compiles one VFP ruleset per port
 * (compile.h) and swaps each port's ruleset atomically; flows survive the
 * swap and are revalidated against the new rules (vfp.h). A Linux node is
 * what Windows pods need to talk to Linux ones: pods, a routing table
 * (flannel host-gw routes or VXLAN routes), kube-proxy's service DNAT with
 * conntrack, MTU. The underlay delivers to node addresses, to declared
 * external hosts and along cloud routes; every other address is either an
 * unknown pod address (dropped: no route) or the rest of the world
 * (forwarded: the packet leaves the modelled network).
 *
 * A walk injects a packet at its source (a pod, a node, an external host,
 * found by the source address) and follows it across ports, layers, nodes
 * and the underlay until it is delivered, dropped or leaves. The result says
 * so (verdict and reason), where it ended (to), and every step: node, port,
 * layer, group, rule, the HNS object and policy behind the rule, rewrites,
 * encapsulation, routing decisions. Walks are deterministic: backend choice
 * hashes the packet with the cluster's seed, SNAT ports are handed out in
 * order, time is the cluster's virtual clock. Flows and SNAT ports are kept
 * between walks (a second packet of a flow takes the same backend and port;
 * replies are reverse-translated) unless the walk is a what-if.
 *
 * Walk semantics (the named choices of the dataplane; compile.h has the
 * compiler's):
 *  - A pod's packet leaves through its port (OUT), then the vSwitch
 *    delivers it to a local port by destination (first to the port that owns
 *    an SNAT address and port, then by endpoint address), or encapsulates it
 *    (routeencap) to a provider address, or hands it to the host stack.
 *  - The host stack delivers packets for the node's own address (host vNIC,
 *    IN), else routes them: longest prefix in the node's routing table, else
 *    the underlay directly. Packets leaving the node cross the external port
 *    (OUT) and packets arriving cross it IN (NodePort, hostPort DNAT; replies
 *    of NATed flows).
 *  - VXLAN adds 50 bytes (VFP_VXLAN_OVERHEAD); an encapsulated packet
 *    larger than the underlay MTU is dropped (DF set: field-bugs F1). A
 *    Windows host decapsulates a VNI it has a DECAP_IN rule for, and routes
 *    the inner frame only when its destination MAC is the host's DR MAC for
 *    that VNI (a stale RemoteSubnetRoute: "dr_mac_mismatch"; inferred). A
 *    MAC the sender did not know (a Linux VTEP, or a remote endpoint no
 *    RemoteSubnetRoute covers) is not checked.
 *  - The cloud may keep host ports (net_reserve_host_port): a packet for a
 *    node's own address and such a port is taken on the wire (B3).
 *  - Overlay host <-> local pod needs the network's HostRoute policy
 *    (consumers.md 8, flannel PR #1096); on other network types the host
 *    reaches its pods through the bridge.
 *  - SNAT ports come from [lo, hi] (49152-65535 by default, the Windows
 *    dynamic range) per node address and protocol, lowest free port after
 *    the last one handed out; a port is free again when its flow has been
 *    idle for the rule's TTL; ports excluded from the range
 *    (net_node_exclude_snat_port) are never handed out. No free port:
 *    dropped, "SNAT ports exhausted" (field-bugs B1, B4).
 */
#ifndef HNSIM_NET_H
#define HNSIM_NET_H

#include "compile.h"
#include "vfp.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VFP_VXLAN_OVERHEAD 50

typedef struct net_cluster net_cluster;
typedef struct net_node net_node;

/* A cluster with no nodes. seed drives backend choice. NULL when out of memory. */
net_cluster *net_cluster_new(uint64_t seed);

/* Frees the cluster and its nodes (not the HNS instances). Accepts NULL. */
void net_cluster_free(net_cluster *c);

/* Virtual time in seconds (flow TTLs, SNAT port reuse). */
void net_set_time(net_cluster *c, uint64_t seconds);
uint64_t net_time(const net_cluster *c);

/* The underlay MTU (default 1500). */
void net_set_underlay_mtu(net_cluster *c, uint32_t mtu);

/* A cluster CIDR (pods or services): the underlay cannot route its
 * addresses without a cloud route (net_add_underlay_route), so a packet for
 * one that reaches the underlay is dropped ("no route") rather than
 * forwarded out of the modelled network. */
int net_add_cluster_cidr(net_cluster *c, const char *cidr);

/* The cloud platform keeps (protocol, port) for itself on every host: a
 * packet on the underlay to a node's own address and that destination port
 * is taken by the platform and never reaches the node - Azure's UDP 65330,
 * where a DNS answer to a query that left with that source port is lost
 * (field-bugs B3). At most 8. Returns 0 or -1. */
int net_reserve_host_port(net_cluster *c, uint8_t protocol, uint16_t port);

/* A cloud route: the underlay sends prefix to the node with address via. */
int net_add_underlay_route(net_cluster *c, const char *cidr, const char *via);

/* An external host: packets to it are delivered, and it can send. */
int net_add_external(net_cluster *c, const char *name, const char *ip);

/* The address of the external host named name into ip; 0 or -1. */
int net_external_address(const net_cluster *c, const char *name, char ip[VFP_ADDR_TEXT]);

/* A Windows node on HNS instance inst (NULL = the hnsd of HNSIM_HNSD) with
 * address ip. The node does not own inst. Call net_node_sync to program it. */
net_node *net_add_windows(net_cluster *c, const char *name, const char *ip, hnsm_instance *inst);

/* A Linux node with address ip and pod CIDR (may be NULL). */
net_node *net_add_linux(net_cluster *c, const char *name, const char *ip, const char *pod_cidr);

/* The node named name, or NULL. */
net_node *net_node_by_name(const net_cluster *c, const char *name);

/* The VFP profile of a Windows node's ACL default (vfp_eval_options_init). */
void net_node_set_profile(net_node *n, const char *profile);

/* A route in the node's host routing table (Windows: flannel host-gw,
 * wincni static routes; Linux: host-gw). via NULL = on-link. */
int net_node_add_route(net_node *n, const char *cidr, const char *via);

/* Removes every route of the node's host routing table (controllers
 * rewrite the table whole). */
void net_node_clear_routes(net_node *n);

/* Linux: a VXLAN route: prefix reached through VTEP pa with vni. */
int net_linux_add_vxlan_route(net_node *n, const char *cidr, const char *pa, uint32_t vni);

/* Linux: a pod address on the node. */
int net_linux_add_pod(net_node *n, const char *ip, const char *name);

/* Linux: removes the pod with address ip. Returns 0 or -1 (no such pod). */
int net_linux_remove_pod(net_node *n, const char *ip);

/* Linux kube-proxy: removes every service (it rewrites its rules whole). */
void net_linux_clear_services(net_node *n);

/* Linux kube-proxy: frontend ip:port/proto (ip NULL = NodePort on the node's
 * address) DNATed to backends "ip:port" (n of them). */
int net_linux_add_service(net_node *n, const char *ip, uint16_t port, uint8_t proto,
                          const char *const *backends, size_t n_backends);

/* The SNAT port range of a Windows node (default 49152-65535). */
int net_node_set_snat_range(net_node *n, uint16_t lo, uint16_t hi);

/* Keeps one port of a protocol out of the node's SNAT range (a persistent
 * excluded port range of one port, as `netsh int ipv4 add excludedportrange`
 * makes; field-bugs B3's fix). At most 8. Returns 0 or -1. */
int net_node_exclude_snat_port(net_node *n, uint8_t protocol, uint16_t port);

/* Ways VFP can differ from HNS (divergence.c has the table and the
 * field-bug entries). */
typedef enum net_vfp_fault_kind {
    NET_VFP_SKIP_GROUP = 1, /* the group is programmed empty (B6, A8.3) */
    NET_VFP_KEEP_GROUP,     /* the group keeps the rules it has now (A8.1) */
    NET_VFP_DUPLICATE_RULES, /* every rule of the group twice (A8.2) */
    NET_VFP_DROP_LAYER,     /* the layer is not programmed (E1: DECAP_IN) */
} net_vfp_fault_kind;

/* Adds a divergence applied by every later net_node_sync of n: on port
 * (an endpoint ID, VFP_PORT_HOST_NAME, VFP_PORT_EXTERNAL_NAME; NULL = every
 * port), in layer, to group (NULL for DROP_LAYER). Returns 0 or -1. */
int net_node_add_vfp_fault(net_node *n, net_vfp_fault_kind kind, const char *port,
                           const char *layer, const char *group);

/* Removes every divergence (the next sync programs what HNS says). */
void net_node_clear_vfp_faults(net_node *n);

/* Reads the node's HNS state and installs fresh rulesets on its ports.
 * Returns 0, or -1 with *error (malloc'd; caller frees). */
int net_node_sync(net_node *n, char **error);

/* The current ruleset of the port named by an endpoint ID, an endpoint
 * address, VFP_PORT_HOST_NAME or VFP_PORT_EXTERNAL_NAME (a counted reference:
 * vfp_ruleset_release it), or NULL. */
vfp_ruleset *net_node_port_rules(net_node *n, const char *port);

/* ---------------------------------------------------------------------------
 * Walks
 */

typedef enum net_verdict {
    NET_DELIVERED = 1, /* reached a pod, a host or an external host */
    NET_DROPPED,       /* see reason */
    NET_FORWARDED,     /* left the modelled network */
} net_verdict;

/* X(name, text) */
#define NET_REASON_MAP(X)                                                                          \
    X(DELIVERED, "delivered")                                                                      \
    X(FORWARDED, "left the modelled network")                                                      \
    X(ACL_BLOCK, "dropped by an ACL rule")                                                         \
    X(ACL_DEFAULT, "dropped by the ACL default")                                                   \
    X(NO_ROUTE, "no route")                                                                        \
    X(NO_BACKEND, "load balancer has no backend")                                                  \
    X(SNAT_EXHAUSTED, "SNAT ports exhausted")                                                      \
    X(MTU_EXCEEDED, "MTU exceeded")                                                                \
    X(NO_HOST_ROUTE, "no HostRoute policy between host and overlay pod")                          \
    X(LOOP, "routing loop")                                                                        \
    X(BAD_PACKET, "bad packet")                                                                    \
    X(UNKNOWN_SOURCE, "no pod, node or external host has the source address")                      \
    X(NO_DECAP, "no DECAP_IN rule for the VXLAN network")                                         \
    X(DROPPED_RULE, "dropped by a rule")                                                           \
    X(NO_LISTENER, "delivered to a host where nothing listens on the port")                      \
    X(CLOUD_RESERVED_PORT, "taken by the cloud platform: a port it keeps for the host")          \
    X(DNS_UNRESOLVED, "the name did not resolve: no DNS server, or the query got no answer")     \
    X(DNS_NEGATIVE_CACHED, "the pod's DNS client still holds an earlier failure of the name")    \
    X(DR_MAC_MISMATCH, "VXLAN inner MAC is not the receiving host's DR MAC")

typedef enum net_reason {
#define NET_REASON_ENUM(name, text) NET_REASON_##name,
    NET_REASON_MAP(NET_REASON_ENUM)
#undef NET_REASON_ENUM
} net_reason;

/* Where a walk starts or ends. */
typedef enum net_place_kind {
    NET_PLACE_NONE = 0,
    NET_PLACE_POD,      /* a Windows endpoint or a Linux pod */
    NET_PLACE_HOST,     /* a node's host */
    NET_PLACE_EXTERNAL, /* an external host or the world */
} net_place_kind;

typedef struct net_place {
    net_place_kind kind;
    char node[64];   /* node name ("" for external) */
    char name[80];   /* endpoint ID, pod name, external host name */
    char label[80];  /* a Windows endpoint's Name ("" otherwise) */
    vfp_addr ip;     /* address */
    uint16_t port;   /* port */
} net_place;

/* One step of a walk. */
typedef struct net_step {
    char node[64];    /* node name, or "underlay" */
    char at[80];      /* port name, "vSwitch", "host", "iptables", "route", "wire" */
    char layer[64];   /* VFP layer ("" when not a rule) */
    char group[64];   /* VFP group */
    char rule[160];   /* rule id */
    char action[16];  /* allow, block, lbnat, snat, routeencap, paroute, flow, default,
                         forward, encap, decap, deliver, drop, dnat, route */
    char object[64];  /* HNS object (or Kubernetes-ish object) behind the rule */
    int policy;       /* index in its Policies, -1 if none */
    char note[200];   /* what happened, for people */
    int rewrote;      /* 1 when the packet changed here */
    vfp_packet packet; /* the packet after the step */
} net_step;

/* Options of a walk. */
typedef struct net_walk_options {
    int what_if;        /* 1 = record no flows, count nothing, hold no SNAT ports */
    int max_steps;      /* 0 = 256 */
} net_walk_options;

/* The result of a walk. */
typedef struct net_walk {
    net_verdict verdict;
    net_reason reason;
    char detail[200];   /* the reason in words, naming the rule or object */
    vfp_packet input;   /* the packet as injected */
    net_place from;     /* where it started */
    net_place to;       /* where it ended (for FORWARDED: the next hop / destination) */
    vfp_packet output;  /* the packet as delivered */
    net_step *steps;    /* every step, in order (malloc'd; net_walk_clear frees) */
    size_t n_steps;
    size_t cap_steps;
} net_walk;

/* Walks packet p (direction ignored) from the place its source address
 * names. opts may be NULL. Returns 0 (the walk is in *w: clear it with
 * net_walk_clear) or -1 when out of memory. */
int net_walk_packet(net_cluster *c, const vfp_packet *p, const net_walk_options *opts, net_walk *w);

/* Walks the reply of a delivered walk (source and destination of its output
 * swapped) back from where it ended. */
int net_walk_reply(net_cluster *c, const net_walk *request, const net_walk_options *opts,
                   net_walk *w);

/* Frees the steps of w. */
void net_walk_clear(net_walk *w);

/* "delivered", "dropped", "forwarded". */
const char *net_verdict_name(net_verdict v);

/* "acl_block", ... (lower case) and the text of NET_REASON_MAP. */
const char *net_reason_name(net_reason r);
const char *net_reason_text(net_reason r);
/* Whether name is the net_reason_name of a reason. */
int net_reason_named(const char *name);

/* The walk as text for people (*out malloc'd) and as JSON (the verdict,
 * reason, detail, from, to, input, output and steps). Both byte-stable.
 * Return 0 or -1 (out of memory). */
int net_walk_format_text(const net_walk *w, char **out);
int net_walk_format_json(const net_walk *w, char **out);

/* ---------------------------------------------------------------------------
 * Reachability matrix (the Kubernetes network-policy e2e shape)
 */

/* One row or column: a name and the address:port/proto it stands for. */
typedef struct net_probe_point {
    const char *name; /* printed */
    const char *ip;   /* address */
    uint16_t port;    /* destination port when a column */
    uint8_t protocol; /* destination protocol when a column (6, 17, 1) */
} net_probe_point;

typedef struct net_matrix {
    size_t n_from, n_to;
    char **from_names, **to_names;
    unsigned char *observed; /* n_from * n_to: 1 = reached */
    unsigned char *expected; /* NULL, or as observed: what the caller expected */
    net_reason *reasons;     /* why each cell is what it is */
} net_matrix;

/* Probes every source against every destination with what-if walks of one
 * packet each (ephemeral source port 40000; a pod can reach a destination
 * when the walk is delivered there). expected may be NULL. Returns 0 or -1. */
int net_matrix_probe(net_cluster *c, const net_probe_point *from, size_t n_from,
                     const net_probe_point *to, size_t n_to, const unsigned char *expected,
                     net_matrix *m);

/* Cells where observed differs from expected (0 without expectations). */
size_t net_matrix_mismatches(const net_matrix *m);

/* The grid: rows of '.' (reached) and 'X' (not), with an "expected" grid
 * and the mismatches marked when expectations were given. */
int net_matrix_format(const net_matrix *m, char **out);

void net_matrix_clear(net_matrix *m);

#ifdef __cplusplus
}
#endif

#endif
