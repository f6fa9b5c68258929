/*
 * kube_proxy.c - kube-proxy's winkernel proxier on one Windows node
 * (consumers.md 2), talking to HNS only through hcn_client.h: the public HCN
 * API and HNSCall, as kube-proxy does through hcsshim/hnslib.
 *
 * The proxier turns the cluster's services and their endpoints into HNS
 * load balancers and remote endpoints. Its startup (consumers.md 2.2) checks
 * the v1 policy lists, reads /globals/version, deletes every load balancer
 * on the host (DeleteAllHnsLoadBalancerPolicy) and waits for the network.
 * One sync is syncProxyRules in the order of consumers.md 2.6: network
 * check, service and endpoint changes, endpoint and load-balancer listings,
 * the overlay source-VIP endpoint, then per service port not yet applied the
 * ClusterIP remote endpoint (overlay), the backends (local endpoints found
 * by IP, remote ones created), and the ClusterIP, NodePort, external-IP and
 * ingress load balancers of consumers.md 2.4; then the terminated remote
 * endpoints and the stale load balancers. A service port whose load
 * balancers were all programmed is "policyApplied" and skipped by later
 * syncs until it changes, so a load balancer deleted behind kube-proxy's
 * back stays gone until the service or its endpoints change or kube-proxy
 * restarts (consumers.md 2.5, field-bugs A1, A2).
 *
 * Cache and identity (consumers.md 2.5): a load balancer is known by
 * (protocol, internal port, external port, first frontend VIP, hash of its
 * backend endpoint IDs); each sync lists HNS's load balancers into that
 * identity map and reuses a match instead of creating. Remote endpoints
 * carry a reference count per HNS endpoint ID; CNI-owned local endpoints
 * are never deleted (except by the C2 bug below).
 *
 * What kube-proxy learns from the API server is read from the cluster
 * structs; what it learns from HNS is read back from HNS. A pod becomes an
 * EndpointSlice endpoint once it has an address: ready = running and ready,
 * serving = ready, terminating = phase TERMINATING; local = on this node.
 *
 * Version-dependent behaviour is in one table, kp_versions below, read only
 * through kp_has(). Convention: a behaviour changed by a PR counts from the
 * first minor release whose .0 contains the PR; patch-release backports are
 * not modelled (they are named in the table for reference).
 *
 * Choices where the reference is silent or the simulator differs from a
 * Windows host, each used in one place:
 *
 * | question                          | what this model does                      | reference        |
 * |-----------------------------------|-------------------------------------------|------------------|
 * | network name (KUBE_NETWORK)       | flannel's: "vxlan0" (vxlan), "cbr0"       | consumers.md 2.1,|
 * |                                   | (host-gw)                                 | 3.3; flannel.c   |
 * | backend-set hash of the identity  | XOR of FNV-1a-64 of each upper-cased      | consumers.md 2.5 |
 * |                                   | endpoint ID (upstream: XOR of SHA-1); an  | (SHA-1)          |
 * |                                   | order-free set hash all the same          |                  |
 * | host MAC (an OS call upstream)    | 00-15-5D + the node IP's last three bytes | consumers.md 2.2 |
 * | overlay 10 s startup sleep, 1 s   | not spent: a stage that cannot finish is  | consumers.md 2.2 |
 * | network retry loops               | retried at the next k8s_kube_proxy_sync   |                  |
 * | when a sync runs                  | the first time, when services/endpoints   | consumers.md 2.6;|
 * |                                   | changed, or when n->next_proxy_sync is    | field-bugs A1    |
 * |                                   | due (the BoundedFrequencyRunner); each run|                  |
 * |                                   | sets the next periodic sync               |                  |
 * | local backends                    | found by IP in the network's endpoint     | consumers.md 2.3 |
 * |                                   | listing (kube-proxy cannot see the pod's  |                  |
 * |                                   | endpoint ID); missing = skipped, logged   |                  |
 * | ProviderAddress when no remote    | this node's IP ("assuming it is a public  | consumers.md 2.3 |
 * | subnet holds the IP               | IP"), as kube-proxy's nodeIP              |                  |
 * | DSR of NodePort/external/ingress  | externalTrafficPolicy Local and HNS has   | consumers.md 2.1,|
 * | LBs (localTrafficDSR)             | DSR (DsrSupported at service creation)    | 2.3              |
 * | externalIPs vs LB ingress IPs     | external_ips of a LoadBalancer service are| k8s.h            |
 * |                                   | ingress IPs, of other types externalIPs   |                  |
 * | "backends available" (NodePort,   | NodePort/external: >= 1 backend and not   | consumers.md 2.4;|
 * | external, ingress)                | all terminating; ingress: >= 1 backend and| kubernetes PR    |
 * |                                   | not all non-serving                       | #113776          |
 * | a service re-applied after a      | releases its earlier remote-endpoint      | inferred         |
 * | partial failure                   | references before taking new ones         |                  |
 * | zero eligible backends            | the service's LBs are deleted (from 1.31; | consumers.md 2.5 |
 * |                                   | before, the endpoint change deleted them);|                  |
 * |                                   | the service stays not applied             |                  |
 * | overlay ClusterIP remote endpoint | created when missing, never deleted       | consumers.md 2.3 |
 * | remote endpoint delete at refcount| only endpoints HNS lists as remote (from  | inferred from    |
 * | 0 / terminated sweep              | 1.34; before, see C2 in the table)        | PR #131138       |
 * | a listed LB without PortMappings  | skipped from 1.36 (PR #141489's guard);   | field-bugs A9    |
 * |                                   | before, a panic: see the version table    |                  |
 * | the restart of a crashed process  | kubelet's CrashLoopBackOff: 10 s doubling | kubelet defaults |
 * |                                   | to 5 min, reset after 10 min of running   |                  |
 * |                                   | (and by a reboot)                         |                  |
 * | a startup that cannot finish (no  | tried again every 10 s in the same        | inferred (E3's   |
 * | HNS network yet)                  | process                                   | "Waiting for     |
 * |                                   |                                           | Network" loop)   |
 * | IPv6, dual stack,                 | not modelled (the cluster has no IPv6, no | consumers.md 2.4 |
 * | preserve-destination,             | such options or annotations); health-     |                  |
 * | winProxyOptimization=DISABLED     | check LBs are (kp_health_check_lbs)       |                  |
 */
#include "k8s_internal.h"
#include "str_index.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define V2_SCHEMA "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"
#define V2_QUERY "{" V2_SCHEMA "}"

/* ---------------------------------------------------------------------------
 * Versions
 */

/* Behaviours that depend on kube-proxy's minor version (1.<minor>). */
typedef enum kp_behaviour {
    KP_LB_IDENTITY_WITHOUT_HASH,
    KP_INGRESS_LB_WRONG_ID,
    KP_READY_ENDPOINTS_ONLY,
    KP_NO_VIP_EXTERNAL_IP_FLAG,
    KP_CLUSTER_IP_SKIPPED_ALL_TERMINATING,
    KP_ENDPOINT_CHANGE_DELETES_LBS,
    KP_MODIFY_LOAD_BALANCER,
    KP_MODIFY_KEEPS_OLD_BACKENDS,
    KP_IP_MAP_LAST_WINS,
    KP_TERMINATED_SWEEP,
    KP_TERMINATED_CLEARED_PER_SERVICE,
    KP_ITP_LOCAL_DELETE_HASHES_ALL,
    KP_STALE_REMOTE_SHARING_LOCAL_IP_KEPT,
    KP_HNS_ERROR_MEANS_GONE,
    KP_HOURLY_RESYNC,
    KP_LB_LIST_PANICS_WITHOUT_PORT_MAPPINGS,
    KP_BEHAVIOUR_COUNT
} kp_behaviour;

#define KP_ANY_BEFORE 0
#define KP_ANY_AFTER 999

/*
 * The version table: one row per behaviour, the minor versions that have it
 * (inclusive; KP_ANY_* = open-ended), and the reference entry. Boundaries
 * are the first .0 release containing the PR that changed the behaviour;
 * "inferred" marks a boundary the reference does not state.
 */
static const struct kp_version_row {
    int from, to;
    const char *behaviour;
    const char *reference;
} kp_versions[KP_BEHAVIOUR_COUNT] = {
    [KP_LB_IDENTITY_WITHOUT_HASH] =
        {KP_ANY_BEFORE, 25,
         "LB identity has no backend hash; a failed LB delete is neither retried nor kept as stale",
         "field-bugs A5(2), PR #113521"},
    [KP_INGRESS_LB_WRONG_ID] =
        {24, 25,
         "the ingress-IP LB is remembered under another LB's ID (the NodePort's, else the "
         "ClusterIP's; which one is inferred), so it is never deleted",
         "field-bugs A5(1), PR #112837"},
    [KP_READY_ENDPOINTS_ONLY] =
        {KP_ANY_BEFORE, 25, "only ready endpoints are backends, never serving-terminating ones",
         "field-bugs G4(a), PR #113776"},
    [KP_NO_VIP_EXTERNAL_IP_FLAG] =
        {KP_ANY_BEFORE, 25, "no VipExternalIP (16) port-mapping flag on NodePort/external LBs",
         "field-bugs G4(b), PR #113742"},
    [KP_CLUSTER_IP_SKIPPED_ALL_TERMINATING] =
        {26, 26,
         "ClusterIP LB skipped when \"all endpoints are terminating\", vacuously true with no "
         "local endpoint under ETP=Local",
         "field-bugs G2, PR #115919"},
    [KP_ENDPOINT_CHANGE_DELETES_LBS] =
        {KP_ANY_BEFORE, 30,
         "an endpoint change deletes the service's LBs and remote endpoints at once (no "
         "update/reuse logic)",
         "consumers.md 2.5; boundary inferred from PR #124092 (1.31)"},
    [KP_MODIFY_LOAD_BALANCER] =
        {31, KP_ANY_AFTER, "in-place UpdateLoadBalancer when HNS >= 15.4",
         "consumers.md 2.5, field-bugs A7, PR #124092"},
    [KP_MODIFY_KEEPS_OLD_BACKENDS] =
        {31, 33, "the UpdateLoadBalancer request (vendored hnslib) carries the old backend list",
         "field-bugs A7, PR #131506 (mechanism inferred)"},
    [KP_IP_MAP_LAST_WINS] =
        {KP_ANY_BEFORE, 33,
         "the endpoint IP map keeps the last listed endpoint (later: a remote one wins), and the "
         "terminated sweep deletes what it holds, local or not",
         "field-bugs C2, PR #131138"},
    [KP_TERMINATED_SWEEP] =
        {31, KP_ANY_AFTER, "remote endpoints of terminated IPs are deleted at the end of the sync",
         "consumers.md 2.5/2.6 step 8, field-bugs C1; PR #124092"},
    [KP_TERMINATED_CLEARED_PER_SERVICE] =
        {31, 34, "the terminated-endpoint map is cleared per changed service, not per sync",
         "field-bugs C3, PR #135146"},
    [KP_ITP_LOCAL_DELETE_HASHES_ALL] =
        {31, 34,
         "ITP=Local: the delete decision hashes all endpoints, the create path local ones",
         "field-bugs A6, PR #133953"},
    [KP_STALE_REMOTE_SHARING_LOCAL_IP_KEPT] =
        {31, 36, "a remote endpoint sharing a local endpoint's IP is kept (later: deleted)",
         "field-bugs C1, PR #138000"},
    [KP_HNS_ERROR_MEANS_GONE] =
        {KP_ANY_BEFORE, 36,
         "an HNS error on GetLoadBalancerByID or the network lookup is taken for \"gone\"",
         "consumers.md 2.5, field-bugs A2, issue #139519, PR #139503"},
    [KP_HOURLY_RESYNC] =
        {34, 35, "the periodic full sync runs every hour, not every sync_period",
         "field-bugs A1, PR #135631"},
    [KP_LB_LIST_PANICS_WITHOUT_PORT_MAPPINGS] =
        {KP_ANY_BEFORE, 35,
         "listing a load balancer without PortMappings reads PortMappings[0] and panics: the "
         "process exits and the kubelet restarts it with CrashLoopBackOff",
         "field-bugs A9, issue #141488, PR #141489 (1.36; the 1.34/1.35 patch backports #141681, "
         "#141707 are below the model's minor-version granularity)"},
};

/* Whether kube-proxy on n has behaviour b. */
static bool kp_has(const k8s_node *n, kp_behaviour b)
{
    int minor = n->kube_proxy.minor_version ? n->kube_proxy.minor_version : 33;
    return minor >= kp_versions[b].from && minor <= kp_versions[b].to;
}

/* ---------------------------------------------------------------------------
 * State
 */

/* LoadBalancerFlags and LoadBalancerPortMappingFlags (consumers.md 2.4). */
enum { KP_LB_DSR = 1 };
enum { KP_PM_LOCAL_ROUTED_VIP = 2, KP_PM_VIP_EXTERNAL_IP = 16 };
/* DistributionType for sessionAffinity ClientIP (SourceIP). */
enum { KP_DISTRIBUTION_SOURCE_IP = 2 };
/* A proxier that cannot start yet (no HNS network, no policy lists) tries
 * again this much later. */
enum { KP_STARTUP_RETRY_MS = 10000 };
/* Stale LB deletes retried per sync (consumers.md 2.5). */
enum { KP_STALE_RETRIES_PER_SYNC = 20 };
/* kube-proxy's healthz port (--healthz-bind-address 0.0.0.0:10256): its
 * server's socket, and the health-check LBs' port without a
 * healthCheckNodePort. */
enum { KP_HEALTHZ_PORT = 10256 };

#define KP_MAX_IPS 4

/* What a service port's spec says, compared whole to notice a change. */
typedef struct kp_spec {
    k8s_service_type type;
    char cluster_ip[K8S_ADDR];
    char external_ips[KP_MAX_IPS][K8S_ADDR];
    size_t n_external_ips;
    k8s_port port;
    int session_affinity;
    int etp_local;
    int itp_local;
    unsigned health_check_node_port;
} kp_spec;

/* One endpoint of a service port as its EndpointSlice shows it. */
typedef struct kp_endpoint {
    char ip[K8S_ADDR];
    int local;
    int ready;
    int serving;
    int terminating;
} kp_endpoint;

/* kube-proxy's serviceInfo of one service port. */
typedef struct kp_service {
    char ns[K8S_NAME];
    char name[K8S_NAME];
    size_t port_index;
    kp_spec spec;
    kp_endpoint *eps; /* the endpoints map entry */
    size_t n_eps;
    int applied;          /* policyApplied */
    int local_traffic_dsr;
    char cluster_lb[K8S_ADDR];
    char node_port_lb[K8S_ADDR];
    char external_lb[KP_MAX_IPS][K8S_ADDR];
    char ingress_lb[KP_MAX_IPS][K8S_ADDR];
    char health_lb[KP_MAX_IPS][K8S_ADDR]; /* the health-check LB of each ingress IP */
    char (*refs)[K8S_ADDR]; /* remote endpoint IDs this service holds a reference on */
    size_t n_refs;
    int seen; /* marker while comparing with the cluster */
} kp_service;

/* A reference count on a remote endpoint. */
typedef struct kp_refcount {
    char id[K8S_ADDR];
    int count;
} kp_refcount;

struct k8s_proxy_state {
    int stage;          /* startup: 0 checks, 1 network wait, 2 done; -1 gave up */
    int crashed;        /* the last sync panicked (A9) */
    int synced;         /* a sync has run */
    unsigned hns_major, hns_minor;
    int modify_disabled; /* UpdateLoadBalancer answered E_NOTIMPL */
    int overlay;
    char network_id[K8S_ADDR];
    char source_vip[K8S_ADDR];
    char host_mac[18];
    kp_service *svcs;
    size_t n_svcs;
    kp_refcount *refcounts;
    size_t n_refcounts;
    str_index refcount_by_id; /* folded ID -> position in refcounts */
    char (*terminated)[K8S_ADDR]; /* IPs gone from the endpoints map */
    size_t n_terminated;
    char (*stale)[K8S_ADDR]; /* LB IDs whose delete failed */
    size_t n_stale;
};

/* snprintf-copies src (NULL = "") into dst of size bytes. */
static void kp_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

#define KP_COPY(dst, src) kp_copy((dst), sizeof(dst), (src))

/* ---------------------------------------------------------------------------
 * Logging
 */

/* A controller log line "<node> kube-proxy: <text>". */
#define kp_log(c, n, ...) k8s__node_log((c), (n), "kube-proxy", __VA_ARGS__)

/* The message of an ErrorRecord ("The switch-port was not found."), the
 * HRESULT in hex when there is none. */
static void kp_error_message(char *out, size_t size, HRESULT hr, const char *record)
{
    hcnc_error_text(record, out, size);
    if (!out[0])
        snprintf(out, size, "HRESULT 0x%08X", (unsigned)hr);
}

/* The code hcsshim prints: the Win32 error of a FACILITY_WIN32 HRESULT
 * (0xb7), else the HRESULT (0x803b0013). */
static unsigned kp_error_code(HRESULT hr)
{
    uint32_t code = (uint32_t)hr;
    return (code & 0xFFFF0000u) == 0x80070000u ? code & 0xFFFFu : code;
}

/* The error text hcsshim builds for a failed HCN call: "<fn> failed in
 * Win32: <message> (0x<code>) <ErrorRecord>" (diagnostics.md 7,
 * field-bugs 0.3). */
static void kp_hcn_error(char *out, size_t size, const char *fn, HRESULT hr, const char *record)
{
    char message[160];
    kp_error_message(message, sizeof message, hr, record);
    snprintf(out, size, "%s failed in Win32: %s (0x%x) %s", fn, message, kp_error_code(hr),
             record ? record : "");
}

/* ---------------------------------------------------------------------------
 * Small helpers
 */

/* The network kube-proxy looks up by name (a named choice, see the top). */
static const char *kp_network_name(const k8s_cluster *c)
{
    return k8s_network_name(c);
}

/* The IPv4 address text as a 32-bit number; 0 when it does not parse. */
static uint32_t kp_ipv4(const char *ip)
{
    vfp_addr a;
    if (!ip || vfp_addr_parse(ip, &a) != 0 || a.family != VFP_FAMILY_IPV4)
        return 0;
    return (uint32_t)a.lo;
}

/* hcsshim's GUID comparisons fold case. */
static bool kp_same_id(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* FNV-1a 64 of the upper-cased ID: the per-endpoint hash of the identity. */
static uint64_t kp_id_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = id; p && *p; p++) {
        h ^= (uint64_t)(unsigned char)toupper((unsigned char)*p);
        h *= 1099511628211ull;
    }
    return h;
}

/* Feature bits of the HNS version, as hcsshim derives them (consumers.md 1.4). */
static bool kp_hns_at_least(const struct k8s_proxy_state *st, unsigned major, unsigned minor)
{
    return st->hns_major > major || (st->hns_major == major && st->hns_minor >= minor);
}

static bool kp_dsr_supported(const struct k8s_proxy_state *st)
{
    return (st->hns_major == 9 && st->hns_minor >= 3) || kp_hns_at_least(st, 10, 2);
}

/* ---------------------------------------------------------------------------
 * HNS reads
 */

/* A filtered v2 query: {"SchemaVersion":..,"Filter":"{\"key\":\"value\"}"}. */
static void kp_filter_query(char *out, size_t size, const char *key, const char *value)
{
    snprintf(out, size, "{" V2_SCHEMA ",\"Filter\":\"{\\\"%s\\\":\\\"%s\\\"}\"}", key, value);
}

/* Enumerate with query, then open and query each result (hcsshim's list
 * calls). On success *items is a JSON array of the objects' properties. An
 * object failing between the two steps fails the whole list (consumers.md
 * 1.1). */
static HRESULT kp_list(hcnc_kind kind, const char *query, cJSON **items, char **error)
{
    char *ids = NULL;
    *items = NULL;
    HRESULT hr = hcnc_enumerate(kind, query, &ids, error);
    if (FAILED(hr)) {
        free(ids);
        return hr;
    }
    cJSON *list = cJSON_Parse(ids ? ids : "[]");
    free(ids);
    cJSON *out = cJSON_CreateArray();
    const cJSON *id;
    cJSON_ArrayForEach(id, list)
    {
        char *props = NULL;
        if (!cJSON_IsString(id))
            continue;
        if (error) {
            free(*error);
            *error = NULL;
        }
        hr = hcnc_query(kind, id->valuestring, query, &props, error);
        cJSON *doc = SUCCEEDED(hr) && props ? cJSON_Parse(props) : NULL;
        free(props);
        if (!doc) {
            cJSON_Delete(list);
            cJSON_Delete(out);
            return FAILED(hr) ? hr : E_FAIL;
        }
        cJSON_AddItemToArray(out, doc);
    }
    cJSON_Delete(list);
    *items = out;
    return S_OK;
}

/* GetNetworkByName: S_OK with *doc NULL when there is no such network. */
static HRESULT kp_network_by_name(const char *name, cJSON **doc, char **error)
{
    char query[200];
    kp_filter_query(query, sizeof query, "Name", name);
    cJSON *items = NULL;
    HRESULT hr = kp_list(HCNC_NETWORK, query, &items, error);
    *doc = items ? cJSON_DetachItemFromArray(items, 0) : NULL;
    cJSON_Delete(items);
    return hr;
}

/* doc.key as a string ("" when absent). */
static const char *kp_string(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(doc, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* doc.key as a non-negative number (0 when absent). */
static unsigned kp_number(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(doc, key);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (unsigned)v->valuedouble : 0;
}

/* The ProviderAddress of the network's RemoteSubnetRoute whose prefix holds
 * ip, or "" (consumers.md 2.3). */
static void kp_provider_address(const cJSON *network, const char *ip, char out[K8S_ADDR])
{
    out[0] = 0;
    const cJSON *policy;
    cJSON_ArrayForEach(policy, cJSON_GetObjectItem(network, "Policies"))
    {
        const cJSON *settings = cJSON_GetObjectItem(policy, "Settings");
        if (strcmp(kp_string(policy, "Type"), "RemoteSubnetRoute") == 0 &&
            k8s__cidr_contains(kp_string(settings, "DestinationPrefix"), ip)) {
            kp_copy(out, K8S_ADDR, kp_string(settings, "ProviderAddress"));
            return;
        }
    }
}

/* ---------------------------------------------------------------------------
 * One sync's view of HNS
 */

/* An HNS endpoint of the network, as listed. */
typedef struct kp_hns_endpoint {
    char id[K8S_ADDR];
    char ip[2][K8S_ADDR];
    int remote; /* Flags & 1 */
    int gone;   /* deleted during this sync */
} kp_hns_endpoint;

/* A listed load balancer and its identity. */
typedef struct kp_lb_key {
    unsigned protocol, internal, external;
    char vip[K8S_ADDR];
    uint64_t hash;
} kp_lb_key;

typedef struct kp_listed_lb {
    kp_lb_key key;
    char id[K8S_ADDR];
    cJSON *backends; /* HostComputeEndpoints as listed (owned) */
} kp_listed_lb;

typedef struct kp_sync {
    k8s_cluster *c;
    k8s_node *n;
    struct k8s_proxy_state *st;
    cJSON *network;
    kp_hns_endpoint *eps;
    size_t n_eps;
    kp_listed_lb *lbs;
    size_t n_lbs;
    str_index ep_by_ip;  /* IP -> positions in eps (either address) */
    str_index lb_by_key; /* identity (kp_lb_key_text) -> positions in lbs */
    str_index lb_by_id;  /* folded ID -> positions in lbs */
    int panicked;        /* an LB without PortMappings was read unguarded (A9) */
} kp_sync;

/* Frees what one sync read from HNS. */
static void kp_sync_clear(kp_sync *s)
{
    cJSON_Delete(s->network);
    free(s->eps);
    for (size_t i = 0; i < s->n_lbs; i++)
        cJSON_Delete(s->lbs[i].backends);
    free(s->lbs);
    str_index_clear(&s->ep_by_ip);
    str_index_clear(&s->lb_by_key);
    str_index_clear(&s->lb_by_id);
}

/* The endpoint the IP map gives for ip (field-bugs C2): up to 1.33 the one
 * listed last; from 1.34 a remote endpoint wins. */
static kp_hns_endpoint *kp_endpoint_by_ip(kp_sync *s, const char *ip)
{
    kp_hns_endpoint *last = NULL, *remote = NULL;
    size_t n = 0;
    const size_t *at = ip && *ip ? str_index_find(&s->ep_by_ip, ip, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        kp_hns_endpoint *e = &s->eps[at[i]];
        if (e->gone)
            continue;
        last = e;
        if (e->remote && !remote)
            remote = e;
    }
    if (kp_has(s->n, KP_IP_MAP_LAST_WINS) || !remote)
        return last;
    return remote;
}

/* Indexes the addresses of endpoint e (one of s->eps) by IP. */
static void kp_index_ips(kp_sync *s, const kp_hns_endpoint *e)
{
    size_t pos = (size_t)(e - s->eps);
    if (e->ip[0][0])
        str_index_add(&s->ep_by_ip, e->ip[0], pos);
    if (e->ip[1][0] && strcmp(e->ip[1], e->ip[0]) != 0)
        str_index_add(&s->ep_by_ip, e->ip[1], pos);
}

/* Appends an endpoint to the sync's listing (listed or just created); ip
 * "" leaves the indexing to the caller (kp_index_ips). */
static kp_hns_endpoint *kp_add_listed_endpoint(kp_sync *s, const char *id, const char *ip,
                                               int remote)
{
    kp_hns_endpoint *e = k8s__append(&s->eps, &s->n_eps, sizeof *s->eps);
    if (e) {
        KP_COPY(e->id, id);
        KP_COPY(e->ip[0], ip);
        e->remote = remote;
        kp_index_ips(s, e);
    }
    return e;
}

/* ListEndpointsOfNetwork into s->eps (consumers.md 2.6 step 3). */
static HRESULT kp_list_endpoints(kp_sync *s, char **error)
{
    char query[200];
    kp_filter_query(query, sizeof query, "VirtualNetwork", s->st->network_id);
    cJSON *items = NULL;
    HRESULT hr = kp_list(HCNC_ENDPOINT, query, &items, error);
    if (FAILED(hr))
        return hr;
    const cJSON *ep;
    cJSON_ArrayForEach(ep, items)
    {
        kp_hns_endpoint *e = kp_add_listed_endpoint(s, kp_string(ep, "ID"), "", 0);
        if (!e)
            break;
        e->remote = (kp_number(ep, "Flags") & 1u) != 0;
        const cJSON *config = cJSON_GetObjectItem(ep, "IpConfigurations");
        for (int k = 0; k < 2; k++)
            KP_COPY(e->ip[k], kp_string(cJSON_GetArrayItem(config, k), "IpAddress"));
        kp_index_ips(s, e);
    }
    cJSON_Delete(items);
    return S_OK;
}

/* The backend-set hash: XOR of the per-endpoint hashes (0 before 1.26, when
 * the identity had none: field-bugs A5). */
static uint64_t kp_backend_hash(const kp_sync *s, const cJSON *ids)
{
    uint64_t h = 0;
    if (kp_has(s->n, KP_LB_IDENTITY_WITHOUT_HASH))
        return 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
        if (cJSON_IsString(id))
            h ^= kp_id_hash(id->valuestring);
    return h;
}

/* The identity as one text: the key of the identity map's index. */
static void kp_lb_key_text(const kp_lb_key *key, char *out, size_t size)
{
    snprintf(out, size, "%u/%u/%u/%s/%016llx", key->protocol, key->internal, key->external,
             key->vip, (unsigned long long)key->hash);
}

/* The identity map: the ID listed (or created this sync) under key, or NULL. */
static const char *kp_lb_lookup(const kp_sync *s, const kp_lb_key *key)
{
    char text[128];
    size_t n = 0;
    kp_lb_key_text(key, text, sizeof text); /* every field of the key: equal text, equal key */
    const size_t *at = str_index_find(&s->lb_by_key, text, &n);
    return n ? s->lbs[at[n - 1]].id : NULL; /* a Go map: the last one listed wins */
}

/* The listed LB with ID id, or NULL. */
static const kp_listed_lb *kp_lb_by_id(const kp_sync *s, const char *id)
{
    char key[K8S_ADDR];
    size_t n = 0;
    str_index_fold(key, sizeof key, id);
    const size_t *at = id && *id ? str_index_find(&s->lb_by_id, key, &n) : NULL;
    return n ? &s->lbs[at[0]] : NULL;
}

/* Inserts an LB into the identity map; takes ownership of backends. */
static void kp_lb_remember(kp_sync *s, const kp_lb_key *key, const char *id, cJSON *backends)
{
    kp_listed_lb *lb = k8s__append(&s->lbs, &s->n_lbs, sizeof *s->lbs);
    if (!lb) {
        cJSON_Delete(backends);
        return;
    }
    lb->key = *key;
    KP_COPY(lb->id, id);
    lb->backends = backends;
    char text[128];
    kp_lb_key_text(key, text, sizeof text);
    str_index_add(&s->lb_by_key, text, (size_t)(lb - s->lbs));
    str_index_fold(text, sizeof text, id);
    str_index_add(&s->lb_by_id, text, (size_t)(lb - s->lbs));
}

/* ListLoadBalancers into the identity map (consumers.md 2.6 step 4). An LB
 * without PortMappings is skipped (the guard of PR #141489), or, before it,
 * panics the process (s->panicked; field-bugs A9). */
static HRESULT kp_list_load_balancers(kp_sync *s, char **error)
{
    cJSON *items = NULL;
    HRESULT hr = kp_list(HCNC_LOADBALANCER, V2_QUERY, &items, error);
    if (FAILED(hr))
        return hr;
    const cJSON *lb;
    cJSON_ArrayForEach(lb, items)
    {
        const cJSON *pm = cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "PortMappings"), 0);
        if (!pm && kp_has(s->n, KP_LB_LIST_PANICS_WITHOUT_PORT_MAPPINGS)) {
            s->panicked = 1;
            break;
        }
        if (!pm)
            continue;
        kp_lb_key key = {.protocol = kp_number(pm, "Protocol"),
                         .internal = kp_number(pm, "InternalPort"),
                         .external = kp_number(pm, "ExternalPort")};
        const cJSON *vip = cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "FrontendVIPs"), 0);
        KP_COPY(key.vip, cJSON_IsString(vip) ? vip->valuestring : "");
        const cJSON *backends = cJSON_GetObjectItem(lb, "HostComputeEndpoints");
        key.hash = kp_backend_hash(s, backends);
        kp_lb_remember(s, &key, kp_string(lb, "ID"),
                       backends ? cJSON_Duplicate(backends, 1) : cJSON_CreateArray());
    }
    cJSON_Delete(items);
    return S_OK;
}

/* ---------------------------------------------------------------------------
 * Reference counts of remote endpoints
 */

/* The count of endpoint id; with create, a new zero count when there is none. */
static kp_refcount *kp_refcount_of(struct k8s_proxy_state *st, const char *id, bool create)
{
    char key[K8S_ADDR];
    size_t n = 0;
    str_index_fold(key, sizeof key, id);
    const size_t *at = str_index_find(&st->refcount_by_id, key, &n);
    if (n)
        return &st->refcounts[at[0]];
    kp_refcount *r = create ? k8s__append(&st->refcounts, &st->n_refcounts, sizeof *st->refcounts)
                            : NULL;
    if (r) {
        KP_COPY(r->id, id);
        str_index_add(&st->refcount_by_id, key, (size_t)(r - st->refcounts));
    }
    return r;
}

/* How many service ports reference endpoint id. */
static int kp_refs(struct k8s_proxy_state *st, const char *id)
{
    const kp_refcount *r = kp_refcount_of(st, id, false);
    return r ? r->count : 0;
}

/* GetEndpointByID + DeleteEndpoint of a remote endpoint. */
static void kp_delete_endpoint(k8s_cluster *c, k8s_node *n, const char *id)
{
    char query[200], *ids = NULL, *error = NULL;
    kp_filter_query(query, sizeof query, "ID", id);
    HRESULT hr = hcnc_enumerate(HCNC_ENDPOINT, query, &ids, NULL);
    bool exists = SUCCEEDED(hr) && ids && strcmp(ids, "[]") != 0;
    free(ids);
    if (!exists)
        return;
    hr = hcnc_delete(HCNC_ENDPOINT, id, &error);
    if (FAILED(hr)) {
        char text[400];
        kp_hcn_error(text, sizeof text, "hcnDeleteEndpoint", hr, error);
        kp_log(c, n, "Remote endpoint delete failed: %s", text);
    } else {
        kp_log(c, n, "Remote endpoint deleted hnsID=%s", id);
    }
    free(error);
}

/* Drops the references svc holds; with delete_at_zero an endpoint nobody
 * references any more is deleted (cleanupAllPolicies, consumers.md 2.5). */
static void kp_release_refs(k8s_cluster *c, k8s_node *n, kp_service *svc, bool delete_at_zero)
{
    struct k8s_proxy_state *st = n->proxy;
    for (size_t i = 0; i < svc->n_refs; i++) {
        kp_refcount *r = kp_refcount_of(st, svc->refs[i], false);
        if (!r || r->count <= 0)
            continue;
        if (--r->count == 0 && delete_at_zero)
            kp_delete_endpoint(c, n, svc->refs[i]);
    }
    free(svc->refs);
    svc->refs = NULL;
    svc->n_refs = 0;
}

/* svc references endpoint id (a remote backend). */
static void kp_take_ref(struct k8s_proxy_state *st, kp_service *svc, const char *id)
{
    kp_refcount *r = kp_refcount_of(st, id, true);
    char(*slot)[K8S_ADDR] = k8s__append(&svc->refs, &svc->n_refs, sizeof *svc->refs);
    if (!r || !slot)
        return;
    r->count++;
    kp_copy(*slot, K8S_ADDR, id);
}

/* ---------------------------------------------------------------------------
 * Load balancer deletes
 */

/* Remembers an LB whose delete failed, for the end-of-sync retries. */
static void kp_add_stale(struct k8s_proxy_state *st, const char *id)
{
    for (size_t i = 0; i < st->n_stale; i++)
        if (kp_same_id(st->stale[i], id))
            return;
    char(*slot)[K8S_ADDR] = k8s__append(&st->stale, &st->n_stale, sizeof *st->stale);
    if (slot)
        kp_copy(*slot, K8S_ADDR, id);
}

/* GetLoadBalancerByID + DeleteLoadBalancer of the LB whose ID *slot holds
 * (consumers.md 2.3). Returns 0 when the ID is forgotten (deleted, gone, or
 * handed to the stale list), -1 when kept (an HNS error that, from 1.37,
 * is not taken for "gone": PR #139503). */
static int kp_delete_lb(k8s_cluster *c, k8s_node *n, char *slot)
{
    struct k8s_proxy_state *st = n->proxy;
    if (!slot[0])
        return 0;
    char query[200], *ids = NULL, *error = NULL, text[400];
    kp_filter_query(query, sizeof query, "ID", slot);
    HRESULT hr = hcnc_enumerate(HCNC_LOADBALANCER, query, &ids, &error);
    bool exists = SUCCEEDED(hr) && ids && strcmp(ids, "[]") != 0;
    free(ids);
    if (FAILED(hr)) {
        kp_hcn_error(text, sizeof text, "hcnEnumerateLoadBalancers", hr, error);
        free(error);
        if (!kp_has(n, KP_HNS_ERROR_MEANS_GONE)) {
            kp_log(c, n, "Failed to get load balancer %s: %s", slot, text);
            return -1;
        }
        kp_log(c, n, "Load balancer %s not found, assuming it is gone: %s", slot, text);
        slot[0] = 0;
        return 0;
    }
    free(error);
    error = NULL;
    if (!exists) {
        slot[0] = 0;
        return 0;
    }
    bool retry = !kp_has(n, KP_LB_IDENTITY_WITHOUT_HASH);
    for (int attempt = 0; attempt < (retry ? 2 : 1); attempt++) {
        free(error);
        error = NULL;
        hr = hcnc_delete(HCNC_LOADBALANCER, slot, &error);
        if (SUCCEEDED(hr))
            break;
    }
    if (FAILED(hr)) {
        kp_hcn_error(text, sizeof text, "hcnDeleteLoadBalancer", hr, error);
        kp_log(c, n, "Failed to delete load balancer %s: %s", slot, text);
        if (retry)
            kp_add_stale(st, slot);
    } else {
        kp_log(c, n, "Hns LoadBalancer resource deleted hnsID=%s", slot);
    }
    free(error);
    slot[0] = 0;
    return 0;
}

/* cleanupAllPolicies: every LB of the service by its stored ID, then its
 * remote-endpoint references (consumers.md 2.5). */
static void kp_cleanup_all_policies(k8s_cluster *c, k8s_node *n, kp_service *svc)
{
    kp_delete_lb(c, n, svc->cluster_lb);
    kp_delete_lb(c, n, svc->node_port_lb);
    for (size_t i = 0; i < KP_MAX_IPS; i++) {
        kp_delete_lb(c, n, svc->external_lb[i]);
        kp_delete_lb(c, n, svc->ingress_lb[i]);
        kp_delete_lb(c, n, svc->health_lb[i]);
    }
    kp_release_refs(c, n, svc, true);
    svc->applied = 0;
}

/* ---------------------------------------------------------------------------
 * The cluster as kube-proxy's informers see it
 */

/* Whether the service's external_ips are LoadBalancer ingress IPs. */
static bool kp_ingress(const kp_spec *spec)
{
    return spec->type == K8S_SVC_LOAD_BALANCER;
}

/* The spec of port index port_index of s, zero-padded for memcmp. */
static void kp_spec_of(const k8s_service *s, size_t port_index, kp_spec *out)
{
    memset(out, 0, sizeof *out);
    out->type = s->type;
    KP_COPY(out->cluster_ip, s->cluster_ip);
    out->n_external_ips = s->n_external_ips < KP_MAX_IPS ? s->n_external_ips : KP_MAX_IPS;
    for (size_t i = 0; i < out->n_external_ips; i++)
        KP_COPY(out->external_ips[i], s->external_ips[i]);
    /* Field by field: padding must not make two equal specs differ. */
    const k8s_port *port = &s->ports[port_index];
    out->port.port = port->port;
    out->port.target = port->target;
    out->port.node_port = port->node_port;
    out->port.host_port = port->host_port;
    out->port.protocol = port->protocol;
    out->session_affinity = s->session_affinity;
    out->etp_local = s->etp_local;
    out->itp_local = s->itp_local;
    out->health_check_node_port = s->health_check_node_port;
}

/* The EndpointSlice endpoints of s on node n (malloc'd; *count of them). */
static kp_endpoint *kp_endpoints_of(k8s_cluster *c, const k8s_node *n, const k8s_service *s,
                                    size_t *count)
{
    kp_endpoint *eps = NULL;
    *count = 0;
    size_t n_selected;
    const size_t *selected = k8s__selected_pods(c, s, &n_selected);
    for (size_t i = 0; i < n_selected; i++) {
        const k8s_pod *p = &c->pods[selected[i]];
        if ((p->phase != K8S_POD_RUNNING && p->phase != K8S_POD_TERMINATING) || !p->ip[0])
            continue;
        kp_endpoint *e = k8s__append(&eps, count, sizeof *eps);
        if (!e)
            break;
        KP_COPY(e->ip, p->ip);
        e->local = strcmp(p->node, n->name) == 0;
        e->terminating = p->phase == K8S_POD_TERMINATING;
        e->serving = p->ready != 0;
        e->ready = p->ready && !e->terminating;
    }
    return eps;
}

/* Whether two endpoint lists are the same, in order. */
static bool kp_endpoints_equal(const kp_endpoint *a, size_t na, const kp_endpoint *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* The serviceInfo of port index port of s, or NULL. */
static kp_service *kp_service_find(struct k8s_proxy_state *st, const k8s_service *s, size_t port)
{
    for (size_t i = 0; i < st->n_svcs; i++)
        if (st->svcs[i].port_index == port && strcmp(st->svcs[i].ns, s->ns) == 0 &&
            strcmp(st->svcs[i].name, s->name) == 0)
            return &st->svcs[i];
    return NULL;
}

/* Whether the cluster differs from what the proxier last applied to its
 * service and endpoints maps (the change trackers have something). */
static bool kp_changes_pending(k8s_cluster *c, const k8s_node *n)
{
    struct k8s_proxy_state *st = n->proxy;
    size_t live = 0;
    for (size_t i = 0; i < c->n_services; i++) {
        const k8s_service *s = &c->services[i];
        if (s->deleted)
            continue;
        for (size_t p = 0; p < s->n_ports && p < K8S_MAX_PORTS; p++) {
            live++;
            const kp_service *svc = kp_service_find(st, s, p);
            kp_spec spec;
            kp_spec_of(s, p, &spec);
            if (!svc || memcmp(&spec, &svc->spec, sizeof spec) != 0)
                return true;
            size_t count;
            kp_endpoint *eps = kp_endpoints_of(c, n, s, &count);
            bool same = kp_endpoints_equal(eps, count, svc->eps, svc->n_eps);
            free(eps);
            if (!same)
                return true;
        }
    }
    return live != st->n_svcs;
}

/* Records the endpoints of old that new lacks as terminated (their remote
 * HNS endpoints are deleted at the end of the sync). */
static void kp_note_terminated(struct k8s_proxy_state *st, const kp_endpoint *old, size_t n_old,
                               const kp_endpoint *now, size_t n_now)
{
    for (size_t i = 0; i < n_old; i++) {
        bool kept = false;
        for (size_t j = 0; j < n_now && !kept; j++)
            kept = strcmp(old[i].ip, now[j].ip) == 0;
        for (size_t j = 0; j < st->n_terminated && !kept; j++)
            kept = strcmp(old[i].ip, st->terminated[j]) == 0;
        if (kept || old[i].local)
            continue;
        char(*slot)[K8S_ADDR] = k8s__append(&st->terminated, &st->n_terminated, sizeof *st->terminated);
        if (slot)
            kp_copy(*slot, K8S_ADDR, old[i].ip);
    }
}

/* Empties the terminated-endpoint map. */
static void kp_clear_terminated(struct k8s_proxy_state *st)
{
    free(st->terminated);
    st->terminated = NULL;
    st->n_terminated = 0;
}

/* Appends an endpoints map, "{ip:port={Ready:..,Serving:..,Terminating:..,IsRemote:..} ...}",
 * to out (used bytes in *used). */
static void kp_format_endpoints(const kp_endpoint *eps, size_t count, unsigned port, char *out,
                                size_t size, size_t *used)
{
    static const char *const tf[] = {"false", "true"};
    *used += (size_t)snprintf(out + *used, *used < size ? size - *used : 0, "{");
    for (size_t i = 0; i < count; i++)
        *used += (size_t)snprintf(out + *used, *used < size ? size - *used : 0,
                                  "%s%s:%u={Ready:%s,Serving:%s,Terminating:%s,IsRemote:%s}",
                                  i ? " " : "", eps[i].ip, port, tf[!!eps[i].ready],
                                  tf[!!eps[i].serving], tf[!!eps[i].terminating], tf[!eps[i].local]);
    *used += (size_t)snprintf(out + *used, *used < size ? size - *used : 0, "}");
}

/* An endpoint change of svc (endpointsMapChange, logged as kube-proxy
 * logs it: diagnostics.md 7); old_port is the target port of the old map. */
static void kp_endpoints_changed(k8s_cluster *c, k8s_node *n, kp_service *svc, unsigned old_port,
                                 kp_endpoint *eps, size_t count)
{
    struct k8s_proxy_state *st = n->proxy;
    char text[2048];
    size_t used = 0;
    unsigned port = svc->spec.port.target ? svc->spec.port.target : svc->spec.port.port;
    used += (size_t)snprintf(text, sizeof text, "endpointsMapChange service=%s/%s:%u oldEndpointsMap=",
                             svc->ns, svc->name, svc->spec.port.port);
    kp_format_endpoints(svc->eps, svc->n_eps, old_port, text, sizeof text, &used);
    used += (size_t)snprintf(text + used, used < sizeof text ? sizeof text - used : 0, " newEndpointsMap=");
    kp_format_endpoints(eps, count, port, text, sizeof text, &used);
    if (used >= sizeof text) /* a long map: cut, marked */
        memcpy(text + sizeof text - 5, "...}", 5);
    kp_log(c, n, "%s", text);
    if (kp_has(n, KP_TERMINATED_CLEARED_PER_SERVICE))
        kp_clear_terminated(st); /* field-bugs C3 */
    kp_note_terminated(st, svc->eps, svc->n_eps, eps, count);
    if (kp_has(n, KP_ENDPOINT_CHANGE_DELETES_LBS))
        kp_cleanup_all_policies(c, n, svc);
    else
        kp_release_refs(c, n, svc, false); /* winProxyOptimization: LBs kept for the sync */
    svc->applied = 0;
    free(svc->eps);
    svc->eps = eps;
    svc->n_eps = count;
}

/* Step 2 of the sync: the service and endpoint changes (consumers.md 2.5). */
static void kp_apply_changes(k8s_cluster *c, k8s_node *n)
{
    struct k8s_proxy_state *st = n->proxy;
    if (!kp_has(n, KP_TERMINATED_CLEARED_PER_SERVICE))
        kp_clear_terminated(st); /* once per sync (PR #135146) */
    for (size_t i = 0; i < st->n_svcs; i++)
        st->svcs[i].seen = 0;
    for (size_t i = 0; i < c->n_services; i++) {
        const k8s_service *s = &c->services[i];
        if (s->deleted)
            continue;
        for (size_t p = 0; p < s->n_ports && p < K8S_MAX_PORTS; p++) {
            kp_spec spec;
            kp_spec_of(s, p, &spec);
            size_t count;
            kp_endpoint *eps = kp_endpoints_of(c, n, s, &count);
            kp_service *svc = kp_service_find(st, s, p);
            if (!svc) {
                svc = k8s__append(&st->svcs, &st->n_svcs, sizeof *st->svcs);
                if (!svc) {
                    free(eps);
                    continue;
                }
                KP_COPY(svc->ns, s->ns);
                KP_COPY(svc->name, s->name);
                svc->port_index = p;
                svc->spec = spec;
                svc->eps = eps;
                svc->n_eps = count;
                svc->seen = 1;
                /* newServiceInfo: DsrSupported for localTrafficDSR (consumers.md 2.3). */
                if (spec.etp_local) {
                    char *reply = NULL;
                    hcnc_hnscall("GET", "/globals/version", "", &reply);
                    free(reply);
                    svc->local_traffic_dsr = kp_dsr_supported(st);
                }
                continue;
            }
            svc->seen = 1;
            unsigned old_port = svc->spec.port.target ? svc->spec.port.target : svc->spec.port.port;
            if (memcmp(&spec, &svc->spec, sizeof spec) != 0) {
                kp_cleanup_all_policies(c, n, svc);
                svc->spec = spec;
                svc->local_traffic_dsr = spec.etp_local && kp_dsr_supported(st);
            }
            if (!kp_endpoints_equal(eps, count, svc->eps, svc->n_eps))
                kp_endpoints_changed(c, n, svc, old_port, eps, count);
            else
                free(eps);
        }
    }
    /* Services (or ports) that went away. */
    size_t kept = 0;
    for (size_t i = 0; i < st->n_svcs; i++) {
        kp_service *svc = &st->svcs[i];
        if (!svc->seen) {
            kp_note_terminated(st, svc->eps, svc->n_eps, NULL, 0);
            kp_cleanup_all_policies(c, n, svc);
            free(svc->eps);
            free(svc->refs);
            continue;
        }
        st->svcs[kept++] = *svc;
    }
    st->n_svcs = kept;
}

/* ---------------------------------------------------------------------------
 * Endpoints kube-proxy creates
 */

/* The MAC kube-proxy conjures for a remote endpoint: 02-11 and the IPv4
 * bytes (consumers.md 2.3). */
static void kp_remote_mac(const char *ip, char out[18])
{
    uint32_t a = kp_ipv4(ip);
    snprintf(out, 18, "02-11-%02x-%02x-%02x-%02x", (unsigned)(a >> 24), (unsigned)((a >> 16) & 0xff),
             (unsigned)((a >> 8) & 0xff), (unsigned)(a & 0xff));
}

/* CreateEndpoint / CreateRemoteEndpoint with the fields of consumers.md 2.3.
 * pa NULL = no ProviderAddress policy. Returns the listed entry or NULL
 * (with *hr, *error set). */
static kp_hns_endpoint *kp_create_endpoint(kp_sync *s, const char *ip, const char *mac, int remote,
                                           const char *pa, HRESULT *hr, char **error)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "HostComputeNetwork", s->st->network_id);
    cJSON *configs = cJSON_AddArrayToObject(doc, "IpConfigurations");
    cJSON *config = cJSON_CreateObject();
    cJSON_AddStringToObject(config, "IpAddress", ip);
    cJSON_AddItemToArray(configs, config);
    cJSON_AddStringToObject(doc, "MacAddress", mac);
    if (remote)
        cJSON_AddNumberToObject(doc, "Flags", 1);
    if (pa) {
        cJSON *policy = cJSON_CreateObject();
        cJSON_AddStringToObject(policy, "Type", "ProviderAddress");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(policy, "Settings"), "ProviderAddress", pa);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "Policies"), policy);
    }
    cJSON *schema = cJSON_AddObjectToObject(doc, "SchemaVersion");
    cJSON_AddNumberToObject(schema, "Major", 2);
    cJSON_AddNumberToObject(schema, "Minor", 0);
    char *json = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char *id = NULL;
    *hr = hcnc_create(HCNC_ENDPOINT, s->st->network_id, json, &id, error);
    free(json);
    kp_hns_endpoint *e = SUCCEEDED(*hr) && id ? kp_add_listed_endpoint(s, id, ip, remote) : NULL;
    free(id);
    return e;
}

/* The overlay source-VIP endpoint (step 5); -1 aborts the sync (D1). */
static int kp_ensure_source_vip(kp_sync *s)
{
    if (!s->st->overlay || kp_endpoint_by_ip(s, s->st->source_vip))
        return 0;
    HRESULT hr;
    char *error = NULL, text[400];
    kp_hns_endpoint *e = kp_create_endpoint(s, s->st->source_vip, s->st->host_mac, 0, NULL, &hr,
                                            &error);
    if (!e) {
        kp_hcn_error(text, sizeof text, "hcnCreateEndpoint", hr, error);
        kp_log(s->c, s->n, "Source Vip endpoint creation failed: %s", text);
        free(error);
        return -1;
    }
    free(error);
    kp_log(s->c, s->n, "Source Vip endpoint created ip=%s hnsID=%s", s->st->source_vip, e->id);
    return 0;
}

/* A remote backend endpoint for ip (overlay: with the PA of its remote
 * subnet, the network re-read first). */
static kp_hns_endpoint *kp_create_remote_backend(kp_sync *s, const char *ip, bool *outside)
{
    char mac[18], pa[K8S_ADDR] = "", *error = NULL;
    kp_remote_mac(ip, mac);
    *outside = false;
    if (s->st->overlay) {
        cJSON *network = NULL;
        if (SUCCEEDED(kp_network_by_name(kp_network_name(s->c), &network, NULL)) && network) {
            cJSON_Delete(s->network);
            s->network = network;
        }
        kp_provider_address(s->network, ip, pa);
        if (!pa[0]) {
            kp_log(s->c, s->n, "Could not find provider address, assuming it is a public IP IP=%s",
                   ip);
            kp_copy(pa, sizeof pa, s->n->ip);
            *outside = true;
        }
    }
    HRESULT hr;
    kp_hns_endpoint *e = kp_create_endpoint(s, ip, mac, 1, s->st->overlay ? pa : NULL, &hr, &error);
    if (!e) {
        char message[160];
        kp_error_message(message, sizeof message, hr, error);
        kp_log(s->c, s->n, "Remote endpoint creation failed: HNS failed with error : %s (0x%x)",
               message, kp_error_code(hr));
    }
    free(error);
    return e;
}

/* ---------------------------------------------------------------------------
 * Load balancers
 */

/* One backend of a service port. */
typedef struct kp_backend {
    char id[K8S_ADDR];
    int local;   /* the EndpointSlice says it is on this node */
    int outside; /* overlay: a remote IP no remote subnet holds */
} kp_backend;

/* What one load balancer of a service port should be. */
typedef struct kp_lb_want {
    const char *kind; /* for logs: "cluster ip", "nodePort", "external ip", "load balancer ingress ip" */
    char *slot;       /* the service's stored ID */
    const char *vip;  /* NULL = no FrontendVIPs (NodePort) */
    unsigned external, internal, protocol;
    unsigned mapping_flags, lb_flags, distribution;
    const kp_backend *backends;
    size_t n_backends;
    const kp_backend *decision; /* the set the delete decision hashes (A6), NULL = backends */
    size_t n_decision;
    const char *source_vip;
} kp_lb_want;

/* The endpoint IDs of n backends as a JSON array (caller deletes). */
static cJSON *kp_backend_ids(const kp_backend *b, size_t n)
{
    cJSON *ids = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(b[i].id));
    return ids;
}

/* The identity of w over backends b (n of them). */
static kp_lb_key kp_want_key(const kp_sync *s, const kp_lb_want *w, const kp_backend *b, size_t n)
{
    kp_lb_key key = {.protocol = w->protocol, .internal = w->internal, .external = w->external};
    KP_COPY(key.vip, w->vip ? w->vip : "");
    cJSON *ids = kp_backend_ids(b, n);
    key.hash = kp_backend_hash(s, ids);
    cJSON_Delete(ids);
    return key;
}

/* The HostComputeLoadBalancer document (consumers.md 2.4); backends =
 * the HostComputeEndpoints to send (owned by the caller). */
static char *kp_lb_document(const kp_lb_want *w, const cJSON *backends)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "HostComputeEndpoints", cJSON_Duplicate(backends, 1));
    if (w->source_vip && *w->source_vip)
        cJSON_AddStringToObject(doc, "SourceVIP", w->source_vip);
    if (w->vip)
        cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "FrontendVIPs"), cJSON_CreateString(w->vip));
    cJSON *pm = cJSON_CreateObject();
    cJSON_AddNumberToObject(pm, "Protocol", w->protocol);
    cJSON_AddNumberToObject(pm, "InternalPort", w->internal);
    cJSON_AddNumberToObject(pm, "ExternalPort", w->external);
    if (w->distribution)
        cJSON_AddNumberToObject(pm, "DistributionType", w->distribution);
    if (w->mapping_flags)
        cJSON_AddNumberToObject(pm, "Flags", w->mapping_flags);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "PortMappings"), pm);
    cJSON *schema = cJSON_AddObjectToObject(doc, "SchemaVersion");
    cJSON_AddNumberToObject(schema, "Major", 2);
    cJSON_AddNumberToObject(schema, "Minor", 0);
    if (w->lb_flags)
        cJSON_AddNumberToObject(doc, "Flags", w->lb_flags);
    char *json = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return json;
}

/* getLoadBalancer: the listed LB with this identity, else a new one.
 * Returns 0 with the ID in w->slot, or -1 (logged). */
static int kp_get_load_balancer(kp_sync *s, const kp_lb_want *w, const kp_lb_key *key)
{
    const char *found = kp_lb_lookup(s, key);
    if (found) {
        kp_copy(w->slot, K8S_ADDR, found);
        return 0;
    }
    cJSON *ids = kp_backend_ids(w->backends, w->n_backends);
    char *json = kp_lb_document(w, ids);
    char *id = NULL, *error = NULL;
    HRESULT hr = hcnc_create(HCNC_LOADBALANCER, NULL, json, &id, &error);
    free(json);
    if (FAILED(hr) || !id) {
        char text[400];
        kp_hcn_error(text, sizeof text, "hcnCreateLoadBalancer", hr, error);
        kp_log(s->c, s->n, "Policy creation failed: %s", text);
        cJSON_Delete(ids);
        free(id);
        free(error);
        return -1;
    }
    kp_lb_remember(s, key, id, ids);
    kp_copy(w->slot, K8S_ADDR, id);
    kp_log(s->c, s->n, "Hns LoadBalancer resource created for %s resources vip=%s port=%u hnsID=%s",
           w->kind, w->vip ? w->vip : "", w->external, id);
    free(id);
    free(error);
    return 0;
}

/* UpdateLoadBalancer(ID) with the full document. Up to 1.33 the request
 * hnslib built kept the LB's old backend list (field-bugs A7). */
static HRESULT kp_update_load_balancer(kp_sync *s, const kp_lb_want *w)
{
    cJSON *ids = kp_backend_ids(w->backends, w->n_backends);
    const kp_listed_lb *listed = kp_lb_by_id(s, w->slot);
    if (kp_has(s->n, KP_MODIFY_KEEPS_OLD_BACKENDS) && listed && listed->backends) {
        cJSON_Delete(ids);
        ids = cJSON_Duplicate(listed->backends, 1);
    }
    char *json = kp_lb_document(w, ids);
    cJSON_Delete(ids);
    char *error = NULL;
    HRESULT hr = hcnc_modify(HCNC_LOADBALANCER, w->slot, json, &error);
    free(json);
    if (SUCCEEDED(hr))
        kp_log(s->c, s->n, "Hns LoadBalancer resource updated for %s resources vip=%s hnsID=%s",
               w->kind, w->vip ? w->vip : "", w->slot);
    else if (hr != E_NOTIMPL) {
        char text[400];
        kp_hcn_error(text, sizeof text, "hcnModifyLoadBalancer", hr, error);
        kp_log(s->c, s->n, "Policy update failed: %s", text);
    }
    free(error);
    return hr;
}

/* manageLoadbalancer for one LB (consumers.md 2.5). Returns 0 or -1 (the
 * service is retried next sync). */
static int kp_manage_load_balancer(kp_sync *s, const kp_lb_want *w)
{
    struct k8s_proxy_state *st = s->st;
    if (!w->n_backends)
        return kp_delete_lb(s->c, s->n, w->slot);
    kp_lb_key key = kp_want_key(s, w, w->backends, w->n_backends);
    if (!kp_has(s->n, KP_ENDPOINT_CHANGE_DELETES_LBS) && w->slot[0]) {
        bool modify = kp_has(s->n, KP_MODIFY_LOAD_BALANCER) && !st->modify_disabled &&
                      kp_hns_at_least(st, 15, 4);
        if (modify) {
            HRESULT hr = kp_update_load_balancer(s, w);
            if (SUCCEEDED(hr))
                return 0;
            if (hr != E_NOTIMPL)
                return -1;
            st->modify_disabled = 1;
        }
        kp_lb_key decision = w->decision ? kp_want_key(s, w, w->decision, w->n_decision) : key;
        const char *listed = kp_lb_lookup(s, &decision);
        if (!listed || !kp_same_id(listed, w->slot)) {
            if (kp_delete_lb(s->c, s->n, w->slot) < 0)
                return -1;
        }
    }
    return kp_get_load_balancer(s, w, &key);
}


/* The health-check LBs (consumers.md 2.4, 2.6 step 6c): with
 * --forward-healthcheck-vip and the service's backends available,
 * kube-proxy looks the root endpoint up by name (--root-hnsendpoint-name,
 * default "cbr0") - once per service applied - and follows each ingress
 * IP's load balancer with one to that endpoint on the service's
 * healthCheckNodePort, else its own healthz port, so a cloud load
 * balancer's health probe reaches this node's kube-proxy. Without the root
 * endpoint, or with backends unavailable, none is made and those made stay;
 * they go with the service's other policies when it has no endpoint left
 * or is cleaned up, as upstream. */

/* The root endpoint into root->id ("" when there is none to use). */
static void kp_health_check_root(kp_sync *s, bool available, kp_backend *root)
{
    memset(root, 0, sizeof *root);
    if (!s->n->kube_proxy.forward_healthcheck_vip || !available)
        return;
    const char *name = s->n->kube_proxy.root_hns_endpoint[0] ? s->n->kube_proxy.root_hns_endpoint : "cbr0";
    char *ids = NULL;
    hcnc_find_endpoints(name, &ids, NULL);
    cJSON *list = ids ? cJSON_Parse(ids) : NULL;
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    if (cJSON_IsString(first))
        KP_COPY(root->id, first->valuestring);
    cJSON_Delete(list);
    free(ids);
}

/* The health-check LB of ingress IP i, after its ingress LB; base is the
 * ClusterIP LB's want (source VIP, protocol). */
static int kp_health_check_lb(kp_sync *s, kp_service *svc, const kp_lb_want *base,
                              const kp_backend *root, size_t i)
{
    if (!root->id[0])
        return 0;
    const kp_spec *spec = &svc->spec;
    kp_lb_want hc = *base;
    hc.kind = "health check";
    hc.slot = svc->health_lb[i];
    hc.vip = spec->external_ips[i];
    hc.external = hc.internal =
        spec->health_check_node_port ? spec->health_check_node_port : KP_HEALTHZ_PORT;
    hc.mapping_flags = 0;
    hc.lb_flags = 0;
    hc.distribution = 0;
    hc.backends = root;
    hc.n_backends = 1;
    hc.decision = NULL;
    return kp_manage_load_balancer(s, &hc);
}

/* ---------------------------------------------------------------------------
 * One service port (consumers.md 2.6 step 6)
 */

/* Step 6a: the overlay ClusterIP remote endpoint. */
static int kp_ensure_cluster_ip_endpoint(kp_sync *s, const kp_service *svc)
{
    if (!s->st->overlay || !svc->spec.cluster_ip[0] || kp_endpoint_by_ip(s, svc->spec.cluster_ip))
        return 0;
    HRESULT hr;
    char *error = NULL, text[400];
    kp_hns_endpoint *e = kp_create_endpoint(s, svc->spec.cluster_ip, s->st->host_mac, 1, s->n->ip,
                                            &hr, &error);
    if (!e) {
        kp_hcn_error(text, sizeof text, "hcnCreateEndpoint", hr, error);
        kp_log(s->c, s->n, "ClusterIP endpoint creation failed: %s", text);
    }
    free(error);
    return e ? 0 : -1;
}

/* Steps 6b-c for one service port. Returns 0 when everything was programmed. */
static int kp_apply_service(kp_sync *s, kp_service *svc)
{
    k8s_cluster *c = s->c;
    k8s_node *n = s->n;
    struct k8s_proxy_state *st = s->st;
    const kp_spec *spec = &svc->spec;
    if (kp_ensure_cluster_ip_endpoint(s, svc) < 0)
        return -1;

    /* "All terminating" / "all non-serving", computed only when the service
     * has ingress IPs (a LoadBalancer service without any has none), remote
     * ones ignored under ETP=Local; 1.26 counted no endpoints as all
     * terminating (G2). */
    bool quirk_g2 = kp_has(n, KP_CLUSTER_IP_SKIPPED_ALL_TERMINATING);
    bool has_ingress_ips = kp_ingress(spec) && spec->n_external_ips > 0;
    bool all_terminating = false, all_nonserving = false;
    if (!kp_has(n, KP_READY_ENDPOINTS_ONLY) && (has_ingress_ips || quirk_g2)) {
        size_t counted = 0;
        all_terminating = all_nonserving = true;
        for (size_t i = 0; i < svc->n_eps; i++) {
            const kp_endpoint *e = &svc->eps[i];
            if (svc->local_traffic_dsr && !e->local)
                continue;
            counted++;
            /* isAllEndpointsTerminating skips a pod failing its readiness
               probe (Ready, Serving and Terminating all false). */
            if (e->ready || e->terminating)
                all_terminating = all_terminating && e->terminating;
            all_nonserving = all_nonserving && !e->serving;
        }
        /* With nothing counted both are vacuously true, as upstream's loops
         * return: no endpoint is filtered out and the external LBs wait.
         * 1.26 computed them for every service; there only "all
         * terminating" counted (G2). */
        if (!counted && quirk_g2)
            all_nonserving = false;
    }

    /* Step 6b: the backends, found in the listing or created. */
    kp_release_refs(c, n, svc, false);
    kp_backend *all = calloc(svc->n_eps + 1, sizeof *all);
    kp_backend *local = calloc(svc->n_eps + 1, sizeof *local);
    size_t n_all = 0, n_local = 0;
    if (!all || !local) {
        free(all);
        free(local);
        return -1;
    }
    for (size_t i = 0; i < svc->n_eps; i++) {
        const kp_endpoint *e = &svc->eps[i];
        if (spec->itp_local && svc->local_traffic_dsr && !e->local)
            continue;
        /* While some are serving: ready ones, or serving (terminating)
         * ones when all terminate; with none serving, every one
         * (consumers.md 2.4, backend eligibility). */
        bool usable = (has_ingress_ips && all_nonserving) || e->ready ||
                      (!kp_has(n, KP_READY_ENDPOINTS_ONLY) && all_terminating && e->serving &&
                       e->terminating);
        if (!usable)
            continue;
        bool outside = false;
        kp_hns_endpoint *h = kp_endpoint_by_ip(s, e->ip);
        if (!h && e->local) {
            kp_log(c, n, "Local endpoint not found for %s on network %s", e->ip,
                   kp_network_name(c));
            continue;
        }
        if (!h && !(h = kp_create_remote_backend(s, e->ip, &outside)))
            continue;
        if (st->overlay && !e->local && !outside) {
            char pa[K8S_ADDR];
            kp_provider_address(s->network, e->ip, pa);
            outside = !pa[0];
        }
        kp_backend *b = &all[n_all++];
        KP_COPY(b->id, h->id);
        b->local = e->local;
        b->outside = outside;
        if (e->local)
            local[n_local++] = *b;
        else
            kp_take_ref(st, svc, h->id);
    }

    int rc = 0;
    if (!n_all) {
        /* Zero eligible backends: the service's LBs go (consumers.md 2.5). */
        bool had = svc->cluster_lb[0] || svc->node_port_lb[0];
        for (size_t i = 0; i < KP_MAX_IPS; i++)
            had = had || svc->external_lb[i][0] || svc->ingress_lb[i][0];
        if (had) {
            kp_log(c, n, "No endpoints for service %s/%s port %u: deleting its load balancers",
                   svc->ns, svc->name, spec->port.port);
            kp_cleanup_all_policies(c, n, svc);
        }
        free(all);
        free(local);
        return -1;
    }

    /* SourceVIP: overlay only, the node IP when a backend is outside every
     * remote subnet (consumers.md 2.4). */
    const char *source_vip = NULL;
    if (st->overlay) {
        source_vip = st->source_vip;
        for (size_t i = 0; i < n_all; i++)
            if (all[i].outside)
                source_vip = n->ip;
    }
    unsigned protocol = spec->port.protocol ? spec->port.protocol : 6;
    unsigned target = spec->port.target ? spec->port.target : spec->port.port;
    unsigned distribution = spec->session_affinity ? KP_DISTRIBUTION_SOURCE_IP : 0;
    if (spec->session_affinity && !kp_hns_at_least(st, 12, 0))
        kp_log(c, n, "Session Affinity is not supported on this version of Windows");
    unsigned vip_external = kp_has(n, KP_NO_VIP_EXTERNAL_IP_FLAG) ? 0 : KP_PM_VIP_EXTERNAL_IP;
    unsigned local_dsr = svc->local_traffic_dsr ? KP_LB_DSR : 0;
    /* localTrafficDSR, not the ETP alone: an HNS without DSR makes an
     * ETP=Local service's external LBs use every backend (newServiceInfo). */
    const kp_backend *external = svc->local_traffic_dsr ? local : all;
    size_t n_external = svc->local_traffic_dsr ? n_local : n_all;

    /* Step 6c: ClusterIP -> NodePort -> external IPs -> ingress IPs. */
    kp_lb_want w = {.kind = "cluster ip",
                    .slot = svc->cluster_lb,
                    .vip = spec->cluster_ip,
                    .external = spec->port.port,
                    .internal = target,
                    .protocol = protocol,
                    .lb_flags = n->kube_proxy.dsr ? KP_LB_DSR : 0,
                    .distribution = distribution,
                    .backends = spec->itp_local ? local : all,
                    .n_backends = spec->itp_local ? n_local : n_all,
                    .source_vip = source_vip};
    if (spec->itp_local && kp_has(n, KP_ITP_LOCAL_DELETE_HASHES_ALL)) {
        w.decision = all; /* field-bugs A6 */
        w.n_decision = n_all;
    }
    kp_backend root;
    kp_health_check_root(s, n_external > 0 && !all_terminating && !all_nonserving, &root);
    if (quirk_g2 && all_terminating) {
        kp_log(c, n,
               "Skipped creating Hns LoadBalancer for cluster ip resources. Reason : all endpoints "
               "are terminating clusterIP=%s nodeport=%u allEndpointsTerminating=true",
               spec->cluster_ip, spec->port.node_port);
    } else if (kp_manage_load_balancer(s, &w) < 0) {
        rc = -1;
    }

    bool available = n_external > 0 && !all_terminating;
    if (rc == 0 && spec->type != K8S_SVC_CLUSTER_IP && spec->port.node_port) {
        kp_lb_want np = w;
        np.kind = "nodePort";
        np.slot = svc->node_port_lb;
        np.vip = NULL;
        np.external = spec->port.node_port;
        np.mapping_flags = KP_PM_LOCAL_ROUTED_VIP | vip_external;
        np.lb_flags = local_dsr;
        np.backends = external;
        np.n_backends = available ? n_external : 0;
        np.decision = NULL;
        if (kp_manage_load_balancer(s, &np) < 0)
            rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < spec->n_external_ips; i++) {
        kp_lb_want ex = w;
        bool ingress = kp_ingress(spec);
        ex.kind = ingress ? "load balancer ingress ip" : "external ip";
        ex.slot = ingress ? svc->ingress_lb[i] : svc->external_lb[i];
        ex.vip = spec->external_ips[i];
        ex.mapping_flags = vip_external;
        ex.lb_flags = local_dsr;
        ex.backends = external;
        ex.n_backends = (ingress ? n_external > 0 && !all_nonserving : available) ? n_external : 0;
        ex.decision = NULL;
        if (kp_manage_load_balancer(s, &ex) < 0)
            rc = -1;
        else if (ingress && kp_has(n, KP_INGRESS_LB_WRONG_ID))
            KP_COPY(svc->ingress_lb[i], svc->node_port_lb[0] ? svc->node_port_lb : svc->cluster_lb);
        if (rc == 0 && ingress && kp_health_check_lb(s, svc, &w, &root, i) < 0)
            rc = -1;
    }
    for (size_t i = 0; n_all == 0 && i < KP_MAX_IPS; i++) /* no endpoint left: these go too */
        if (kp_delete_lb(c, n, svc->health_lb[i]) < 0)
            rc = -1;
    free(all);
    free(local);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Startup (consumers.md 2.2)
 */

/* HNSCall GET /globals/version into st. */
static int kp_read_version(struct k8s_proxy_state *st)
{
    char *reply = NULL;
    HRESULT hr = hcnc_hnscall("GET", "/globals/version", "", &reply);
    cJSON *doc = SUCCEEDED(hr) && reply ? cJSON_Parse(reply) : NULL;
    free(reply);
    const cJSON *out = cJSON_GetObjectItem(doc, "Output");
    int rc = out ? 0 : -1;
    st->hns_major = kp_number(out, "Major");
    st->hns_minor = kp_number(out, "Minor");
    cJSON_Delete(doc);
    return rc;
}

/* DeleteAllHnsLoadBalancerPolicy: every LB on the host, whoever made it. */
static void kp_delete_all_load_balancers(k8s_cluster *c, k8s_node *n)
{
    char *ids = NULL, *error = NULL;
    HRESULT hr = hcnc_enumerate(HCNC_LOADBALANCER, V2_QUERY, &ids, &error);
    cJSON *list = SUCCEEDED(hr) && ids ? cJSON_Parse(ids) : NULL;
    free(ids);
    free(error);
    size_t deleted = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, list)
    {
        if (!cJSON_IsString(id))
            continue;
        error = NULL;
        hr = hcnc_delete(HCNC_LOADBALANCER, id->valuestring, &error);
        if (FAILED(hr)) {
            char text[400];
            kp_hcn_error(text, sizeof text, "hcnDeleteLoadBalancer", hr, error);
            kp_log(c, n, "Failed to delete load balancer %s: %s", id->valuestring, text);
        } else {
            deleted++;
        }
        free(error);
    }
    cJSON_Delete(list);
    kp_log(c, n, "Deleted all HNS load balancer policies count=%zu", deleted);
}

/* Runs the startup stages that can run now. Returns 0 when started. */
/* A feature gate's value: as set (1 on, -1 off), else on from the minor
 * version where it became default-on (consumers.md 2.1: WinOverlay beta
 * 1.20, WinDSR beta 1.33). */
static bool kp_gate(int set, int minor, int default_on_from)
{
    return set ? set > 0 : minor >= default_on_from;
}

static int kp_startup(k8s_cluster *c, k8s_node *n)
{
    struct k8s_proxy_state *st = n->proxy;
    const char *name = kp_network_name(c);
    if (st->stage < 0)
        return -1;
    if (st->stage == 0) {
        char *reply = NULL;
        HRESULT hr = hcnc_hnscall("GET", "/policylists/", "", &reply);
        free(reply);
        if (FAILED(hr)) {
            kp_log(c, n, "unable to create proxier: HNS policy lists unavailable (0x%x)",
                   (unsigned)hr);
            return -1;
        }
        if (kp_read_version(st) < 0) {
            kp_log(c, n, "unable to create proxier: cannot read the HNS version");
            return -1;
        }
        if (!kp_hns_at_least(st, 9, 2)) {
            kp_log(c, n, "panic: HNS %u.%u does not support the V2 API", st->hns_major,
                   st->hns_minor);
            st->stage = -1;
            return -1;
        }
        /* DualStackCompatible waits for the network when HNS can do IPv6. */
        if (kp_hns_at_least(st, 11, 10)) {
            cJSON *network = NULL;
            kp_network_by_name(name, &network, NULL);
            bool found = network != NULL;
            cJSON_Delete(network);
            if (!found) {
                kp_log(c, n, "Unable to find HNS Network specified by %s. Please check network "
                             "name and CNI deployment", name);
                return -1;
            }
        }
        kp_delete_all_load_balancers(c, n);
        st->stage = 1;
    }
    cJSON *network = NULL;
    kp_network_by_name(name, &network, NULL);
    if (!network) {
        kp_log(c, n, "Unable to find HNS Network specified by %s. Please check network name and "
                     "CNI deployment", name);
        return -1;
    }
    KP_COPY(st->network_id, kp_string(network, "ID"));
    st->overlay = strcasecmp(kp_string(network, "Type"), "Overlay") == 0;
    cJSON_Delete(network);
    if (st->overlay && !kp_gate(n->kube_proxy.gate_win_overlay, n->kube_proxy.minor_version, 20)) {
        kp_log(c, n, "unable to create proxier: WinOverlay feature gate not enabled");
        st->stage = -1;
        return -1;
    }
    if (st->overlay) {
        /* --source-vip, defaulting to .2 of the pod CIDR (k8s.h); the host
         * MAC of the node IP's interface (a named choice, see the top). */
        if (n->kube_proxy.source_vip[0])
            KP_COPY(st->source_vip, n->kube_proxy.source_vip);
        else if (n->kube_proxy.no_source_vip || k8s__cidr_host(n->pod_cidr, 2, st->source_vip) < 0) {
            kp_log(c, n, "unable to create proxier: source-vip flag not set");
            st->stage = -1;
            return -1;
        }
        uint32_t a = kp_ipv4(n->ip);
        snprintf(st->host_mac, sizeof st->host_mac, "00-15-5D-%02X-%02X-%02X",
                 (unsigned)((a >> 16) & 0xff), (unsigned)((a >> 8) & 0xff), (unsigned)(a & 0xff));
    }
    if (n->kube_proxy.dsr && !kp_gate(n->kube_proxy.gate_win_dsr, n->kube_proxy.minor_version, 33)) {
        kp_log(c, n, "unable to create proxier: WinDSR feature gate not enabled");
        st->stage = -1;
        return -1;
    }
    if (n->kube_proxy.dsr && !kp_dsr_supported(st)) {
        kp_log(c, n, "unable to create proxier: Platform does not support feature Direct Server "
                     "Return (DSR)");
        st->stage = -1;
        return -1;
    }
    st->stage = 2;
    /* The proxier runs: its healthz server listens on 0.0.0.0:10256, a
       socket of the host (not an HCN call) that HNS sees (consumers.md 7). */
    hnsm_host_socket(n->hns, 6, KP_HEALTHZ_PORT, 1);
    kp_log(c, n, "winkernel proxier started network=%s type=%s hns=%u.%u version=1.%d", name,
           st->overlay ? "Overlay" : "L2Bridge", st->hns_major, st->hns_minor,
           n->kube_proxy.minor_version);
    for (int b = 0; b < KP_BEHAVIOUR_COUNT; b++)
        if (kp_has(n, (kp_behaviour)b))
            kp_log(c, n, "1.%d behaviour: %s (%s)", n->kube_proxy.minor_version,
                   kp_versions[b].behaviour, kp_versions[b].reference);
    return 0;
}

/* ---------------------------------------------------------------------------
 * syncProxyRules (consumers.md 2.6)
 */

/* Step 1. Returns 0 to go on. */
static int kp_check_network(kp_sync *s)
{
    struct k8s_proxy_state *st = s->st;
    char *error = NULL;
    HRESULT hr = kp_network_by_name(kp_network_name(s->c), &s->network, &error);
    if (FAILED(hr)) {
        char text[400];
        kp_hcn_error(text, sizeof text, "hcnEnumerateNetworks", hr, error);
        free(error);
        kp_log(s->c, s->n, "Failed to get network %s: %s", kp_network_name(s->c), text);
        if (!kp_has(s->n, KP_HNS_ERROR_MEANS_GONE))
            return -1; /* transient: nothing is cleaned up (PR #139503) */
    } else {
        free(error);
    }
    const char *id = s->network ? kp_string(s->network, "ID") : "";
    if (s->network && kp_same_id(id, st->network_id))
        return 0;
    /* Missing or recreated: everything is cleaned up and the next sync
     * rebuilds (a missing network keeps its old ID, so it is "changed"
     * only when it comes back under a new one). */
    kp_log(s->c, s->n,
           "The HNS network is not present or has changed since the last sync, please check the "
           "CNI deployment hnsNetworkName=%s",
           kp_network_name(s->c));
    for (size_t i = 0; i < st->n_svcs; i++)
        kp_cleanup_all_policies(s->c, s->n, &st->svcs[i]);
    if (s->network)
        KP_COPY(st->network_id, id);
    return -1;
}

/* Step 3 extra from 1.37: a remote endpoint with a local endpoint's IP is
 * deleted at listing (field-bugs C1, PR #138000). */
static void kp_drop_shadowed_remotes(kp_sync *s)
{
    if (kp_has(s->n, KP_STALE_REMOTE_SHARING_LOCAL_IP_KEPT) || !kp_has(s->n, KP_TERMINATED_SWEEP))
        return;
    for (size_t i = 0; i < s->n_eps; i++) {
        kp_hns_endpoint *r = &s->eps[i];
        if (!r->remote || r->gone)
            continue;
        for (size_t j = 0; j < s->n_eps; j++) {
            const kp_hns_endpoint *l = &s->eps[j];
            if (l->remote || !l->ip[0][0] || strcmp(l->ip[0], r->ip[0]) != 0)
                continue;
            kp_log(s->c, s->n, "Deleting remote endpoint %s: local endpoint %s has its IP %s",
                   r->id, l->id, r->ip[0]);
            if (SUCCEEDED(hcnc_delete(HCNC_ENDPOINT, r->id, NULL)))
                r->gone = 1;
            break;
        }
    }
}

/* Step 8: remote endpoints of terminated IPs nobody references. */
static void kp_sweep_terminated(kp_sync *s)
{
    struct k8s_proxy_state *st = s->st;
    if (!kp_has(s->n, KP_TERMINATED_SWEEP))
        return;
    for (size_t i = 0; i < st->n_terminated; i++) {
        kp_hns_endpoint *e = kp_endpoint_by_ip(s, st->terminated[i]);
        if (!e || kp_refs(st, e->id) > 0)
            continue;
        /* Up to 1.33 the map may hold a local endpoint here, and it goes
         * (field-bugs C2). */
        if (!e->remote && !kp_has(s->n, KP_IP_MAP_LAST_WINS))
            continue;
        char *error = NULL;
        HRESULT hr = hcnc_delete(HCNC_ENDPOINT, e->id, &error);
        if (FAILED(hr)) {
            char text[400];
            kp_hcn_error(text, sizeof text, "hcnDeleteEndpoint", hr, error);
            kp_log(s->c, s->n, "Terminated endpoint delete failed: %s", text);
        } else {
            kp_log(s->c, s->n, "Deleted endpoint of terminated IP %s hnsID=%s", st->terminated[i],
                   e->id);
            e->gone = 1;
        }
        free(error);
    }
}

/* Step 9: stale LB deletes, at most KP_STALE_RETRIES_PER_SYNC. */
static void kp_retry_stale(kp_sync *s)
{
    struct k8s_proxy_state *st = s->st;
    size_t tries = st->n_stale < KP_STALE_RETRIES_PER_SYNC ? st->n_stale : KP_STALE_RETRIES_PER_SYNC;
    size_t kept = 0;
    char(*left)[K8S_ADDR] = st->stale;
    for (size_t i = 0; i < st->n_stale; i++) {
        if (i < tries) {
            char *error = NULL, query[200], *ids = NULL;
            HRESULT hr = hcnc_delete(HCNC_LOADBALANCER, left[i], &error);
            free(error);
            if (SUCCEEDED(hr))
                continue;
            kp_filter_query(query, sizeof query, "ID", left[i]);
            bool exists = SUCCEEDED(hcnc_enumerate(HCNC_LOADBALANCER, query, &ids, NULL)) && ids &&
                          strcmp(ids, "[]") != 0;
            free(ids);
            if (!exists)
                continue;
        }
        memmove(left[kept++], left[i], K8S_ADDR);
    }
    st->n_stale = kept;
}

/* One syncProxyRules, steps 1-9 of consumers.md 2.6 (7, the health-check
 * server, is not HNS). */
static void kp_run(k8s_cluster *c, k8s_node *n)
{
    struct k8s_proxy_state *st = n->proxy;
    kp_sync s = {.c = c, .n = n, .st = st};
    char *error = NULL;
    if (kp_check_network(&s) < 0)
        goto done;
    kp_apply_changes(c, n);
    cJSON_Delete(s.network);
    s.network = NULL;
    HRESULT hr = kp_network_by_name(kp_network_name(c), &s.network, NULL);
    if (SUCCEEDED(hr) && s.network)
        hr = kp_list_endpoints(&s, &error);
    if (SUCCEEDED(hr))
        hr = kp_list_load_balancers(&s, &error);
    if (s.panicked) {
        kp_log(c, n, "panic: runtime error: index out of range [0] with length 0 "
                     "(GetAllLoadBalancers: a load balancer without PortMappings)");
        st->crashed = 1;
        goto done;
    }
    if (FAILED(hr) || !s.network) {
        char text[400];
        kp_hcn_error(text, sizeof text, "hcnEnumerate", hr, error);
        kp_log(c, n, "Failed to list HNS objects, sync aborted: %s", text);
        goto done;
    }
    kp_drop_shadowed_remotes(&s);
    if (kp_ensure_source_vip(&s) < 0)
        goto done;
    for (size_t i = 0; i < st->n_svcs; i++) {
        kp_service *svc = &st->svcs[i];
        if (svc->applied)
            continue;
        if (kp_apply_service(&s, svc) == 0)
            svc->applied = 1;
    }
    kp_sweep_terminated(&s);
    kp_retry_stale(&s);
done:
    free(error);
    kp_sync_clear(&s);
}

/* The process died: its state goes, and the kubelet restarts it after a
 * back-off of 10 s doubling to 5 min, reset once it ran 10 minutes
 * (kubelet's CrashLoopBackOff). */
static void kp_crash(k8s_cluster *c, k8s_node *n)
{
    k8s_kube_proxy_free(n);
    uint64_t ran = c->now_ms - n->kube_proxy_started_ms;
    uint64_t backoff = n->kube_proxy_backoff_ms && ran < 600000u ? n->kube_proxy_backoff_ms * 2
                                                                   : 10000u;
    if (backoff > 300000u)
        backoff = 300000u;
    n->kube_proxy_backoff_ms = backoff;
    n->kube_proxy_restart_at = c->now_ms + backoff;
    kp_log(c, n, "exited; back-off %llus restarting failed container (CrashLoopBackOff)",
           (unsigned long long)(backoff / 1000));
}

/* k8s.h. The proxier's runner: the startup stages still to do, then a
 * sync when it is the first, changes are pending or the periodic sync is
 * due; each sync sets the next periodic one (sync_period, or an hour in
 * 1.34-1.35: field-bugs A1). */
void k8s_kube_proxy_sync(k8s_cluster *c, k8s_node *n)
{
    if (!c || !n || !n->windows || !n->hns)
        return;
    if (n->kube_proxy_restart_at) { /* CrashLoopBackOff */
        if (c->now_ms < n->kube_proxy_restart_at)
            return;
        n->kube_proxy_restart_at = 0;
        n->kube_proxy_started_ms = c->now_ms;
        kp_log(c, n, "started again after CrashLoopBackOff");
    }
    if (!n->proxy && !(n->proxy = calloc(1, sizeof *n->proxy)))
        return;
    struct k8s_proxy_state *st = n->proxy;
    hcnc_use(n->hns);
    if (st->stage != 2 && kp_startup(c, n) < 0) {
        if (st->stage >= 0) /* still starting: tried again (a named choice, see the top) */
            n->next_proxy_sync = c->now_ms + KP_STARTUP_RETRY_MS;
        return;
    }
    bool due = c->now_ms >= n->next_proxy_sync;
    if (st->synced && !due && !kp_changes_pending(c, n))
        return;
    st->synced = 1;
    kp_run(c, n);
    if (st->crashed) {
        kp_crash(c, n);
        return;
    }
    uint64_t period = kp_has(n, KP_HOURLY_RESYNC) ? 3600 : (uint64_t)(n->kube_proxy.sync_period > 0
                                                                          ? n->kube_proxy.sync_period
                                                                          : 30);
    n->next_proxy_sync = c->now_ms + period * 1000u;
}

/* k8s.h. A new process: no cache, no reference counts, and the startup
 * (DeleteAllHnsLoadBalancerPolicy) at once; the next sync rebuilds. */
void k8s_kube_proxy_restart(k8s_cluster *c, k8s_node *n)
{
    if (!c || !n || !n->windows)
        return;
    k8s_kube_proxy_free(n);
    if (n->kube_proxy_stopped) /* not running: nothing starts */
        return;
    kp_log(c, n, "restarted: caches dropped");
    n->next_proxy_sync = c->now_ms;
    n->kube_proxy_restart_at = 0;
    n->kube_proxy_backoff_ms = 0;
    n->kube_proxy_started_ms = c->now_ms;
    if (!n->hns || !(n->proxy = calloc(1, sizeof *n->proxy)))
        return;
    hcnc_use(n->hns);
    kp_startup(c, n);
}

/* k8s.h. NULL state is accepted. */
void k8s_kube_proxy_free(k8s_node *n)
{
    if (!n || !n->proxy)
        return;
    struct k8s_proxy_state *st = n->proxy;
    if (st->stage == 2 && n->hns) /* the process and its healthz socket go */
        hnsm_host_socket(n->hns, 6, KP_HEALTHZ_PORT, 0);
    for (size_t i = 0; i < st->n_svcs; i++) {
        free(st->svcs[i].eps);
        free(st->svcs[i].refs);
    }
    free(st->svcs);
    free(st->refcounts);
    str_index_clear(&st->refcount_by_id);
    free(st->terminated);
    free(st->stale);
    free(st);
    n->proxy = NULL;
}
