/*
 * net_internal.h - what the files of sim/net share: the node and cluster
 * structures, SNAT pools, and the walker's entry points per node kind.
 * Internal non-static names are net__*.
 */
#ifndef HNSIM_NET_INTERNAL_H
#define HNSIM_NET_INTERNAL_H

#include "net.h"

#include <stdatomic.h>
#include <stdbool.h>

/* A route of a host routing table or of the underlay. */
typedef struct net__route {
    vfp_addr_range dest; /* destination prefix as a range */
    unsigned length;     /* prefix length (longest wins) */
    vfp_addr via;        /* next hop (family 0 = on-link) */
    uint32_t vni;        /* Linux VXLAN routes: VNI (0 = plain route) */
} net__route;

/* A vSwitch port of a Windows node. */
typedef struct net__port {
    char *name;           /* endpoint ID, or the host/external port name */
    char *label;          /* the endpoint's Name (NULL when it has none) */
    vfp_addr ip;          /* endpoint address (family 0 for host/external) */
    vfp_port *vfp;        /* rules and flows */
    bool overlay;         /* on an Overlay network */
    bool host_route;      /* that network has a HostRoute policy */
    uint32_t vni;         /* its network's VSID (overlay) */
    bool seen;            /* marked during a sync */
} net__port;

/* One SNAT port pool: one address, one protocol. */
typedef struct net__pool {
    vfp_addr ip;
    uint8_t protocol;
    uint32_t next;         /* where the next search starts */
    uint64_t *expires;     /* 65536 entries: virtual time the port frees (0 = free) */
    int32_t *owner;        /* 65536 entries: index in node->owners */
} net__pool;

/* A Linux service (kube-proxy DNAT). */
typedef struct net__service {
    vfp_addr ip;          /* family 0 = NodePort on the node address */
    uint16_t port;
    uint8_t protocol;
    vfp_dip *backends;
    size_t n_backends;
} net__service;

/* A Linux conntrack entry: the first packet and its translation. */
typedef struct net__conn {
    vfp_packet original;
    vfp_packet translated;
} net__conn;

/* A Linux pod. */
typedef struct net__pod {
    vfp_addr ip;
    char name[80];
} net__pod;

typedef struct net__fault net__fault;

struct net_node {
    net_cluster *cluster;
    char *name;
    bool windows;
    vfp_addr ip;
    net__route *routes;
    size_t n_routes;

    /* Windows */
    hnsm_instance *inst;
    char profile[16];
    net__port *ports;       /* endpoint ports sorted by name */
    size_t n_ports;
    size_t *by_ip;          /* indexes into ports, sorted by address */
    vfp_addr *host_ips;     /* host vNIC endpoint addresses (the node address aside) */
    size_t n_host_ips;
    net__port host;         /* host vNIC */
    net__port external;     /* physical NIC */
    uint16_t snat_lo, snat_hi;
    struct {
        uint32_t vni;
        uint8_t mac[6];
    } dr_macs[8];           /* DrMacAddress of each overlay VNI (read at sync) */
    size_t n_dr_macs;
    struct {
        uint8_t protocol;
        uint16_t port;
    } snat_excluded[8];     /* ports excluded from the range (net_node_exclude_snat_port) */
    size_t n_snat_excluded;
    net__pool *pools;
    size_t n_pools;
    char **owners;          /* port names that own SNAT ports */
    size_t n_owners;
    net__fault *faults;     /* VFP divergences (divergence.c) */
    size_t n_faults;

    /* Linux */
    bool has_pod_cidr;
    vfp_addr_range pod_cidr;
    net__pod *pods;
    size_t n_pods;
    net__service *services;
    size_t n_services;
    net__conn *conns;
    size_t n_conns;
};

typedef struct net__external {
    char *name;
    vfp_addr ip;
} net__external;

/* One address of the cluster's address index (net.c): who owns it. */
typedef struct net__owner {
    vfp_addr ip;
    size_t node;     /* index in the cluster's nodes */
    bool node_ip;    /* the node's own address (not a pod's or host vNIC's) */
} net__owner;

struct net_cluster {
    uint64_t seed;
    net__owner *owners;   /* every pod, host and node address, sorted (address, node) */
    size_t n_owners;
    atomic_bool owners_stale; /* rebuilt before the next lookup (node syncs may run on
                                 several threads and set it at once) */
    uint64_t now;
    uint32_t mtu;
    net_node **nodes;
    size_t n_nodes;
    vfp_addr_range *cluster_cidrs;
    size_t n_cluster_cidrs;
    net__route *underlay;
    size_t n_underlay;
    net__external *externals;
    size_t n_externals;
    struct {
        uint8_t protocol;
        uint16_t port;
    } reserved[8];        /* the cloud keeps these ports of the hosts (net_reserve_host_port) */
    size_t n_reserved;
};

/* ---- net.c ---- */

/* The DrMacAddress of node n's overlay network with VSID vni, or NULL. */
const uint8_t *net__node_dr_mac(const net_node *n, uint32_t vni);

/* Whether the cloud keeps (protocol, port) of the hosts (net_reserve_host_port). */
bool net__host_port_reserved(const net_cluster *c, uint8_t protocol, uint16_t port);

/* Parses "a.b.c.d/n" (or a bare address = /32) into a route destination. */
int net__parse_cidr(const char *text, vfp_addr_range *range, unsigned *length);

/* The longest-prefix route of table holding a, or NULL. */
const net__route *net__route_lookup(const net__route *table, size_t n, const vfp_addr *a);

/* Grows *array to hold one more element of size elem. */
bool net__grow(void **array, size_t n, size_t elem);

/* The endpoint port named name, or NULL. */
net__port *net__port_by_name(net_node *n, const char *name);

/* The endpoint port with address ip, or NULL. */
net__port *net__port_by_ip(net_node *n, const vfp_addr *ip);

/* 1 when ip is one of node n's own addresses (node address, host vNICs). */
bool net__is_host_address(const net_node *n, const vfp_addr *ip);

/* The first node (in declaration order) holding ip as a pod, host or node
 * address, or NULL. */
net_node *net__node_holding(net_cluster *c, const vfp_addr *ip);

/* Marks the address index out of date (addresses were added or removed). */
void net__addresses_changed(net_cluster *c);

/* The node with address ip, or NULL. */
net_node *net__node_by_ip(net_cluster *c, const vfp_addr *ip);

/* The external host with address ip, or NULL. */
const net__external *net__external_by_ip(const net_cluster *c, const vfp_addr *ip);

/* 1 when ip is inside a cluster CIDR (pods, services). */
bool net__is_cluster_address(const net_cluster *c, const vfp_addr *ip);

/* ---- snat.c ---- */

/* Outcome of an allocation. */
typedef enum net__snat_result { NET__SNAT_OK = 0, NET__SNAT_EXHAUSTED, NET__SNAT_NOMEM } net__snat_result;

/* Takes the next free port of (ip, protocol) for owner (a port name) until
 * now + ttl. hold = 0 only looks (what-if walks). */
net__snat_result net__snat_take(net_node *n, const vfp_addr *ip, uint8_t protocol,
                                const char *owner, uint32_t ttl, bool hold, uint16_t *port);

/* Keeps port in use until now + ttl (a later packet of the same flow). */
void net__snat_touch(net_node *n, const vfp_addr *ip, uint8_t protocol, uint16_t port, uint32_t ttl);

/* The name of the port owning (ip, port, protocol) as an SNAT source, or NULL. */
const char *net__snat_owner(net_node *n, const vfp_addr *ip, uint8_t protocol, uint16_t port);

/* Frees the node's pools. */
void net__snat_free(net_node *n);

/* ---- divergence.c ---- */

/* fresh with the node's faults for port applied (a new ruleset; fresh is
 * released), or fresh itself when none applies. */
vfp_ruleset *net__diverge(const net_node *n, const char *port, vfp_ruleset *fresh);

/* Frees the node's faults. */
void net__faults_free(net_node *n);

/* ---- linux.c ---- */

/* Linux conntrack + kube-proxy DNAT on a packet entering the node's
 * netfilter (from a pod, the host or the wire). Returns true when the
 * packet was rewritten; *what names the service or "conntrack". */
bool net__linux_nat(net_node *n, vfp_packet *p, bool record, uint64_t seed, char *what,
                    size_t what_size);

/* The Linux pod with address ip, or NULL. */
const net__pod *net__linux_pod(const net_node *n, const vfp_addr *ip);

/* Frees the Linux parts of a node. */
void net__linux_free(net_node *n);

/* ---- walk.c ---- */

/* net_walk_packet on a walk whose step buffer is reused (w must be a
 * cleared or earlier walk). */
int net__walk_again(net_cluster *c, const vfp_packet *in, const net_walk_options *opts, net_walk *w);

/* A deterministic 64-bit hash of the given words and the seed. */
uint64_t net__hash(uint64_t seed, const uint64_t *words, size_t n);

#endif
