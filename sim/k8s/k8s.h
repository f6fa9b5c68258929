/*
 * k8s.h - the Kubernetes side of a simulated cluster: the objects a
 * scenario declares (nodes, pods, services, network policies) and the
 * controller models that turn them into HNS state on Windows nodes (through
 * the public HCN API only, hcn_client.h) and into routes and service rules
 * on Linux nodes (sim/net).
 *
 * The cluster owns one HNS instance per Windows node (in memory, seeded
 * from the cluster seed and the node's index, so the same script gives the
 * same GUIDs) and the sim/net cluster the packets walk through. Objects are
 * plain arrays in declaration order; names are unique per kind and
 * namespace. Controllers run when the scenario runner calls k8s_reconcile():
 * per node flannel then CNI, then per node kube-proxy (Windows or Linux)
 * and the policy agent, then net_node_sync on every Windows node so VFP
 * follows HNS. A stopped flanneld or kube-proxy is skipped (E3).
 *
 * Controller behaviour, with the reference it follows:
 *  - flannel (consumers.md 3.3): at start looks its network up by name
 *    (deleting it when its type or subnet is not the lease's), else
 *    creates it - host-gw: L2Bridge "cbr0" with gateway .1 through v1, a
 *    persistent network; vxlan: Overlay "vxlan0" with VSID = VNI,
 *    non-persistent (Flags 8: a reboot removes it, E3) -
 *    then waits at most 5 s for the management IP HNS adds (v1 ManagementIP
 *    / ProviderAddress policy; a node's management_ip_delay_ms delays it)
 *    and exits to be started again when it does not come; pods wait for the
 *    subnet.env of a first successful start. vxlan adds HostRoute and
 *    publishes HNS's DrMacAddress as its VTEP MAC. Running, it keeps the
 *    bridge endpoint cbr0_ep (.2) in the host's HostDefault namespace and
 *    host routes to peer pod subnets (host-gw), or one RemoteSubnetRoute per
 *    peer lease, replaced when the lease's MAC or address changes (vxlan).
 *    Mode static leaves the routes to the script, mode nat gives each node a
 *    NAT network. With flannel_recreates_bridge a restarted flanneld re-adds
 *    cbr0_ep and crash-loops on the address conflict (F3).
 *  - CNI (win-bridge / win-overlay, consumers.md 3.2): per pod, a namespace,
 *    an endpoint with an address from host-local IPAM (ipam.c, from .10),
 *    OutBoundNAT with the cluster, service and node CIDRs as exceptions (or
 *    the node's cni_nat_exceptions, B5), an
 *    SDNRoute of the service CIDR (NeedEncap), a PortMapping per hostPort
 *    when the node's CNI has the portMappings capability (K1), then the
 *    attach; DEL deletes the endpoint and the namespace and releases the
 *    address, once a terminating pod's grace period (delete_after_ms) is
 *    over - until then the pod's containers still run and it stays a
 *    terminating, serving endpoint. With cni_del_strict a DEL whose
 *    endpoint HNS no longer has fails and the address leaks (C4).
 *  - kube-proxy winkernel (kube_proxy.c, consumers.md 2): see there.
 *  - the network-policy agent (policy.c, consumers.md 4): Calico felix's
 *    ACLs from the NetworkPolicies, on nodes with policy_agent set.
 *  - Linux nodes: pods get addresses the same way; kube-proxy programs
 *    ClusterIP and NodePort DNAT to every ready backend; flannel routes peer
 *    pod subnets (host-gw: via the peer node; vxlan: through VTEPs).
 */
#ifndef HNSIM_K8S_H
#define HNSIM_K8S_H

#include "net.h"

#include <hnsmock/hnsmock.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define K8S_NAME 64
/* Names a pod's DNS client keeps as failed at once (dns.c). */
#define K8S_DNS_FAILED 4
#define K8S_ADDR 48
#define K8S_MAX_LABELS 8
#define K8S_MAX_PORTS 8

/* How pods on different nodes reach each other. */
typedef enum k8s_mode {
    K8S_MODE_HOST_GW = 1, /* flannel host-gw: L2Bridge networks + host routes */
    K8S_MODE_VXLAN,       /* flannel vxlan: Overlay networks + RemoteSubnetRoutes */
    K8S_MODE_STATIC,      /* wincni: L2Bridge networks, host routes set by hand (`route`) */
    K8S_MODE_NAT,         /* a NAT network per node: pods reachable only through hostPorts */
} k8s_mode;


typedef struct k8s_label {
    char key[K8S_NAME];
    char value[K8S_NAME];
} k8s_label;

typedef struct k8s_labels {
    k8s_label items[K8S_MAX_LABELS];
    size_t n;
} k8s_labels;

/* kube-proxy winkernel options and the version whose quirks it has. */
typedef struct k8s_kube_proxy_options {
    int dsr;                   /* --enable-dsr (WinDSR) */
    char source_vip[K8S_ADDR]; /* --source-vip ("" = .2 of the pod CIDR on overlay) */
    int no_source_vip;         /* --source-vip not given: on overlay the proxier does not start
                                  (field-bugs D1) */
    int sync_period;           /* seconds between full syncs (default 30) */
    int minor_version;         /* 1.<minor>: selects version-specific behaviour (default 33) */
    int gate_win_dsr;          /* feature gate WinDSR: 1 on, -1 off, 0 the version's default */
    int gate_win_overlay;      /* feature gate WinOverlay: likewise */
    int forward_healthcheck_vip; /* --forward-healthcheck-vip: health-check LBs per ingress IP */
    char root_hns_endpoint[K8S_NAME]; /* --root-hnsendpoint-name ("" = "cbr0") */
} k8s_kube_proxy_options;

typedef struct k8s_node {
    char name[K8S_NAME];
    int windows;
    char ip[K8S_ADDR];
    char pod_cidr[K8S_ADDR];
    char profile[16];              /* Windows: ws2019, ws2022, ws2025 */
    int cni_port_mappings;         /* CNI config has capabilities.portMappings (K1) */
    int cni_del_strict;            /* CNI DEL fails on "endpoint not found" and keeps the
                                      address in IPAM (field-bugs C4); 0 = not-found is done */
    char cni_nat_exceptions[256];  /* the CNI config's OutBoundNAT ExceptionList: CIDRs separated
                                      by commas, "none" = an empty list; "" = the default, the
                                      cluster, service and node CIDRs (field-bugs B5) */
    k8s_kube_proxy_options kube_proxy;
    int ready;                     /* 0 while drained or rebooting */
    int policy_agent;              /* runs the Calico-style network-policy agent (policy.c) */
    int flannel_stopped;           /* flanneld is not running (boot order, field-bugs E3) */
    int flannel_recreates_bridge;  /* flanneld adds cbr0_ep at every start without looking (F3) */
    int flannel_started;           /* flanneld got through its start since the last (re)start */
    int flannel_waiting;           /* flanneld waits for its network's management IP ... */
    uint64_t flannel_wait_since_ms; /* ... since this virtual time */
    int flannel_subnet_env;        /* a started flanneld wrote subnet.env (kept across restarts) */
    int flannel_bad_config;        /* flanneld refused its configuration (logged once) */
    char vtep_mac[18];             /* vxlan: the VTEP MAC in the node's lease (HNS's DrMacAddress) */
    uint64_t management_ip_delay_ms; /* HNS adds the network's management IP this late */
    uint64_t dns_config_delay_ms;  /* a pod's DNS configuration is written this long after it
                                      starts (the dockershim path, field-bugs H1) */
    uint64_t dns_negative_cache_ms; /* the pods' DNS client keeps a failed lookup this long
                                      (MaxNegativeCacheTtl on builds 1803 and below, H1; 0 = not
                                      kept, as on the builds of the profiles) */
    int kube_proxy_stopped;        /* kube-proxy is not running */
    /* Run-time state, owned by the cluster. */
    hnsm_instance *hns;            /* Windows: this node's HNS */
    net_node *net;                 /* the node in the packet network */
    char network_id[K8S_ADDR];     /* the flannel network */
    unsigned next_host;            /* last host number handed out in the pod CIDR */
    unsigned char *ipam_used;      /* host-local IPAM records, by host number (ipam.c) */
    struct k8s_proxy_state *proxy; /* kube_proxy.c */
    struct k8s_policy_state *policy; /* policy.c */
    uint64_t next_proxy_sync;      /* virtual ms of the next periodic sync */
    uint64_t kube_proxy_restart_at; /* crashed: restarted at this virtual ms (0 = running) */
    uint64_t kube_proxy_backoff_ms; /* the last CrashLoopBackOff delay */
    uint64_t kube_proxy_started_ms; /* when the process last started */
} k8s_node;

typedef struct k8s_port {
    uint16_t port;        /* service port / container port */
    uint16_t target;      /* service targetPort */
    uint16_t node_port;   /* service nodePort (0 = none) */
    uint16_t host_port;   /* pod hostPort (0 = none) */
    uint8_t protocol;     /* 6, 17 */
} k8s_port;

typedef enum k8s_pod_phase {
    K8S_POD_PENDING = 1, /* not yet on its node (CNI ADD not done) */
    K8S_POD_RUNNING,
    K8S_POD_TERMINATING, /* deleted, CNI DEL not done */
    K8S_POD_GONE,
} k8s_pod_phase;

typedef struct k8s_pod {
    char name[K8S_NAME];
    char ns[K8S_NAME];
    char node[K8S_NAME];
    k8s_labels labels;
    k8s_port ports[K8S_MAX_PORTS];
    size_t n_ports;
    k8s_pod_phase phase;
    int ready;                      /* counts as a service backend */
    char ip[K8S_ADDR];
    char endpoint_id[K8S_ADDR];     /* Windows: the HNS endpoint */
    char namespace_id[K8S_ADDR];    /* Windows: the HNS namespace */
    char deployment[K8S_NAME];      /* owner ("" = none) */
    uint64_t delete_after_ms;       /* TERMINATING: the end of its grace period (virtual ms);
                                       CNI DEL waits for it (0 = at once) */
    uint64_t dns_ready_ms;          /* RUNNING: when its resolver configuration is in place */
    char dns_server[K8S_ADDR];      /* Windows: the DNS server CNI put in its endpoint ("" none) */
    struct {
        char name[2 * K8S_NAME];    /* "svc.ns" */
        uint64_t until_ms;
    } dns_failed[K8S_DNS_FAILED];   /* its DNS client's negative cache (dns.c) */
} k8s_pod;

typedef enum k8s_service_type {
    K8S_SVC_CLUSTER_IP = 1,
    K8S_SVC_NODE_PORT,
    K8S_SVC_LOAD_BALANCER,
} k8s_service_type;

typedef struct k8s_service {
    char name[K8S_NAME];
    char ns[K8S_NAME];
    k8s_service_type type;
    k8s_labels selector;
    char cluster_ip[K8S_ADDR];
    char external_ips[4][K8S_ADDR]; /* externalIPs and LoadBalancer ingress IPs */
    size_t n_external_ips;
    k8s_port ports[K8S_MAX_PORTS];
    size_t n_ports;
    int session_affinity;           /* ClientIP */
    int etp_local;                  /* externalTrafficPolicy: Local */
    int itp_local;                  /* internalTrafficPolicy: Local */
    uint16_t health_check_node_port; /* LoadBalancer with ETP Local: spec.healthCheckNodePort */
    int deleted;
} k8s_service;

/* A NetworkPolicy: its spec as Kubernetes JSON (podSelector, policyTypes,
 * ingress, egress with podSelector / namespaceSelector / ipBlock peers and
 * ports), interpreted by the policy agent. */
typedef struct k8s_policy {
    char name[K8S_NAME];
    char ns[K8S_NAME];
    char *spec_json;   /* malloc'd, owned by the cluster */
    int deleted;
} k8s_policy;

/* A namespace someone labelled. */
typedef struct k8s_namespace {
    char name[K8S_NAME];
    k8s_labels labels;
} k8s_namespace;

typedef struct k8s_cluster {
    uint64_t seed;
    k8s_mode mode;
    uint32_t vni;
    char pod_cidr[K8S_ADDR];
    char service_cidr[K8S_ADDR];
    char dns_ip[K8S_ADDR];         /* kubelet's --cluster-dns: the service CIDR's .10 */
    char node_cidr[K8S_ADDR];      /* the nodes' subnet (OutBoundNAT exception) */
    uint64_t now_ms;               /* virtual time */
    net_cluster *net;
    k8s_node *nodes;
    size_t n_nodes;
    k8s_pod *pods;
    size_t n_pods;
    k8s_service *services;
    size_t n_services;
    k8s_policy *policies;
    size_t n_policies;
    k8s_namespace *namespaces;     /* namespaces given labels (others have only their name's) */
    size_t n_namespaces;
    struct k8s_selection *selection; /* which pods each service selects (cluster.c) */
    char **log;                    /* controller log lines, for reports */
    size_t n_log;
} k8s_cluster;

/* The node network's name and HNS Type for the cluster's mode: "cbr0"
 * L2Bridge (host-gw, static), "vxlan0" Overlay, "nat" NAT. */
const char *k8s_network_name(const k8s_cluster *c);
const char *k8s_network_type(const k8s_cluster *c);

/* A cluster with no nodes. Returns NULL when out of memory. */
k8s_cluster *k8s_cluster_new(uint64_t seed, k8s_mode mode, uint32_t vni, const char *pod_cidr,
                             const char *service_cidr, const char *node_cidr);
void k8s_cluster_free(k8s_cluster *c);

/* Adds a node (copied; run-time fields are the cluster's). Windows nodes get
 * their HNS instance here. Returns the node or NULL (duplicate name, bad
 * address, out of memory). */
k8s_node *k8s_add_node(k8s_cluster *c, const k8s_node *spec);

/* Adds a pod (copied) in phase PENDING; the next reconcile runs CNI ADD. */
k8s_pod *k8s_add_pod(k8s_cluster *c, const k8s_pod *spec);

/* Adds a service (copied). cluster_ip "" = the next free address of the
 * service CIDR. */
k8s_service *k8s_add_service(k8s_cluster *c, const k8s_service *spec);

/* Adds a NetworkPolicy (spec_json copied; it must parse as a JSON object).
 * Returns NULL for a duplicate name, bad JSON or no memory. */
k8s_policy *k8s_add_policy(k8s_cluster *c, const char *ns, const char *name, const char *spec_json);

/* Labels namespace name (besides kubernetes.io/metadata.name, which every
 * namespace has), as `kubectl label namespace --overwrite` does: each label
 * is added, or replaces the value of a key the namespace has. Returns 0,
 * -1 (out of memory) or -2 (more than K8S_MAX_LABELS in all, with
 * kubernetes.io/metadata.name; nothing changed). */
int k8s_set_namespace_labels(k8s_cluster *c, const char *name, const k8s_labels *labels);

/* The labels of namespace name: kubernetes.io/metadata.name=<name>, then
 * those k8s_set_namespace_labels gave it (up to K8S_MAX_LABELS in all). */
void k8s_namespace_labels(const k8s_cluster *c, const char *name, k8s_labels *out);

k8s_node *k8s_node_named(k8s_cluster *c, const char *name);
k8s_pod *k8s_pod_named(k8s_cluster *c, const char *ns, const char *name);
k8s_service *k8s_service_named(k8s_cluster *c, const char *ns, const char *name);

/* 1 when every selector label is on labels. */
int k8s_selects(const k8s_labels *selector, const k8s_labels *labels);

/* Runs every controller until nothing changes, then syncs the dataplane.
 * Returns 0, or -1 when a controller hit an error it cannot recover from
 * (logged). HRESULT failures that the real component only logs are logged
 * and the run goes on. */
int k8s_reconcile(k8s_cluster *c);

/* Appends a printf-style line to the controller log ("[12.000s] win1
 * kube-proxy: ..."). */
void k8s_log(k8s_cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- kube_proxy.c: the winkernel proxier of one Windows node ---- */

/* One sync of node n (syncProxyRules): load balancers and remote endpoints
 * for every service, per consumers.md 2.3-2.6. */
void k8s_kube_proxy_sync(k8s_cluster *c, k8s_node *n);

/* kube-proxy restarts on n: its caches are dropped and its startup runs
 * again (DeleteAllHnsLoadBalancerPolicy, consumers.md 2.2). */
void k8s_kube_proxy_restart(k8s_cluster *c, k8s_node *n);

/* Node n reboots: its HNS (hnsm_reboot), kube-proxy, the policy agent and
 * flanneld start again; the kubelet's garbage collection runs CNI DEL for
 * the old sandboxes (releasing their addresses - or, with a strict plugin,
 * leaking them: the endpoints are gone, C4) and the pods start again (CNI
 * ADD at the next reconcile). */
void k8s_node_reboot(k8s_cluster *c, k8s_node *n);

/* Windows node n gets an OS update (hnsm_os_update: profile NULL = the
 * same HNS; store_compatible 0 = the new HNS cannot read HNS.data, E4) and
 * reboots as above. Returns 0, or -1 for a Linux node or a bad profile. */
int k8s_node_os_update(k8s_cluster *c, k8s_node *n, const char *profile, int store_compatible);

/* The cluster DNS service (kube-dns in kube-system), or NULL: when there
 * is one, pods resolve service names through the cluster DNS address
 * (dns_ip, which that service should have: k8s_pod_dns_server). */
k8s_service *k8s_cluster_dns(k8s_cluster *c);

/* The DNS server pod p uses now, into server: on Windows the first entry of
 * the Dns.ServerList CNI gave its HNS endpoint (the cluster DNS address),
 * on Linux the cluster DNS address.
 * Returns 0, or -1 with why filled when the pod has none (yet). */
int k8s_pod_dns_server(k8s_cluster *c, const k8s_pod *p, char server[K8S_ADDR], char *why,
                       size_t why_size);

/* Whether pod p's DNS client holds a failed lookup of name ("web.default")
 * that has not expired (*until_ms: when it does). Only on a Windows node
 * with dns_negative_cache_ms (field-bugs H1). */
int k8s_pod_dns_failure_cached(k8s_cluster *c, const k8s_pod *p, const char *name,
                               uint64_t *until_ms);

/* A lookup of name by pod p failed: its DNS client keeps that for the
 * node's dns_negative_cache_ms (nothing without one). */
void k8s_pod_dns_failed(k8s_cluster *c, k8s_pod *p, const char *name);

/* Empties pod p's DNS client cache (ipconfig /flushdns; a new container). */
void k8s_pod_dns_flush(k8s_pod *p);

/* The policy agent's next scheduled retry (virtual ms), 0 = none. */
uint64_t k8s_policy_agent_next_due(const k8s_node *n);

/* The earliest virtual time after now at which a controller has something
 * scheduled - a periodic kube-proxy sync, a CrashLoopBackOff restart,
 * flanneld's next poll for its management IP, the policy agent's retry,
 * the end of a pod's grace period - or 0 when nothing is. Moving the clock
 * through these times (k8s_advance) runs every controller on its period. */
uint64_t k8s_next_due(k8s_cluster *c);

/* Sets the clock of the cluster, its packet network and every HNS to t,
 * without running anything. */
void k8s_set_clock(k8s_cluster *c, uint64_t t);

/* Moves the cluster's clock to t (>= now), reconciling at every time
 * k8s_next_due names on the way and at t. Returns k8s_reconcile's result
 * at t. */
int k8s_advance(k8s_cluster *c, uint64_t t);

/* flanneld on n exits and is started again: it looks its network up by
 * name and waits for the management IP anew (flannel.c). */
void k8s_flannel_restart(k8s_cluster *c, k8s_node *n);

/* How long flanneld waits for its network's management IP before it exits
 * (consumers.md 3.3: polls every 0.5 s for at most 5 s). */
#define K8S_FLANNEL_MANAGEMENT_IP_WAIT_MS 5000u
/* ... polling every 0.5 s. */
#define K8S_FLANNEL_POLL_MS 500u

/* Frees n's proxier state. */
void k8s_kube_proxy_free(k8s_node *n);

/* ---- policy.c: the network-policy agent of one Windows node ---- */

/* One refresh of node n's agent (n->policy_agent set): the ACLs of every
 * local pod endpoint from the cluster's NetworkPolicies, in the style of
 * Calico for Windows (consumers.md 4). */
void k8s_policy_agent_sync(k8s_cluster *c, k8s_node *n);

/* Frees n's agent state. */
void k8s_policy_agent_free(k8s_node *n);

#ifdef __cplusplus
}
#endif

#endif
