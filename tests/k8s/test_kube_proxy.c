/*
 * test_kube_proxy.c - the winkernel kube-proxy model (sim/k8s/kube_proxy.c)
 * driven through the cluster API of k8s.h, checked the way a user would:
 * the load balancers and endpoints HNS holds afterwards (hnsm_call
 * enumerate/query, never the proxier's own state), the controller log, and
 * packet walks through the node (net.h).
 *
 * Every world is two Windows nodes, win1 (10.0.0.4, pods 10.244.1.0/24)
 * and win2 (10.0.0.5, pods 10.244.2.0/24), on flannel host-gw (L2Bridge
 * "cbr0") or vxlan (Overlay "vxlan0"). Tests name the consumers.md or
 * field-bugs.md entry they check; a version quirk is checked on both sides
 * of its boundary (kube_proxy.c's version table).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "hresult.h"
#include "k8s.h"

#include <cjson/cJSON.h>
#include <hnsmock/hnsmock.h>

#define V2_QUERY "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"
#define CLUSTER_IP "10.96.0.10"
#define INGRESS_IP "20.1.1.1"

/* ---------------------------------------------------------------------------
 * Worlds
 */

typedef struct world_options {
    k8s_mode mode;       /* 0 = host-gw */
    const char *profile; /* NULL = ws2022 */
    int minor;           /* 0 = the default (33) */
    int dsr;
    const char *source_vip;
} world_options;

static k8s_cluster *world(const world_options *o)
{
    k8s_cluster *c = k8s_cluster_new(42, o->mode ? o->mode : K8S_MODE_HOST_GW, 4096,
                                     "10.244.0.0/16", "10.96.0.0/12", "10.0.0.0/24");
    assert_non_null(c);
    static const char *const names[] = {"win1", "win2"};
    static const char *const ips[] = {"10.0.0.4", "10.0.0.5"};
    static const char *const cidrs[] = {"10.244.1.0/24", "10.244.2.0/24"};
    for (int i = 0; i < 2; i++) {
        k8s_node spec = {.windows = 1};
        snprintf(spec.name, sizeof spec.name, "%s", names[i]);
        snprintf(spec.ip, sizeof spec.ip, "%s", ips[i]);
        snprintf(spec.pod_cidr, sizeof spec.pod_cidr, "%s", cidrs[i]);
        snprintf(spec.profile, sizeof spec.profile, "%s", o->profile ? o->profile : "ws2022");
        spec.kube_proxy.minor_version = o->minor;
        spec.kube_proxy.dsr = o->dsr;
        if (o->source_vip)
            snprintf(spec.kube_proxy.source_vip, sizeof spec.kube_proxy.source_vip, "%s",
                     o->source_vip);
        assert_non_null(k8s_add_node(c, &spec));
    }
    return c;
}

static k8s_node *node(k8s_cluster *c, const char *name)
{
    k8s_node *n = k8s_node_named(c, name);
    assert_non_null(n);
    return n;
}

static void add_pod(k8s_cluster *c, const char *name, const char *on, const char *app)
{
    k8s_pod spec = {.n_ports = 0};
    snprintf(spec.name, sizeof spec.name, "%s", name);
    snprintf(spec.node, sizeof spec.node, "%s", on);
    if (app) {
        snprintf(spec.labels.items[0].key, K8S_NAME, "app");
        snprintf(spec.labels.items[0].value, K8S_NAME, "%s", app);
        spec.labels.n = 1;
    }
    assert_non_null(k8s_add_pod(c, &spec));
}

static k8s_pod *pod(k8s_cluster *c, const char *name)
{
    k8s_pod *p = k8s_pod_named(c, "default", name);
    assert_non_null(p);
    return p;
}

/* The pod is deleted: the next reconcile runs CNI DEL and it is gone. */
static void delete_pod(k8s_cluster *c, const char *name)
{
    pod(c, name)->phase = K8S_POD_TERMINATING;
}

typedef struct service_options {
    k8s_service_type type;
    const char *ingress; /* an external IP (LoadBalancer: the ingress IP) */
    int affinity, etp_local, itp_local;
} service_options;

/* Service name selecting app, port 80 -> 8080, NodePort 30080 unless a
 * ClusterIP service, cluster IP 10.96.0.10 (+ n for the nth). */
static void add_service(k8s_cluster *c, const char *name, const char *app, const char *cluster_ip,
                        const service_options *o)
{
    k8s_service spec = {.type = o && o->type ? o->type : K8S_SVC_CLUSTER_IP, .n_ports = 1};
    snprintf(spec.name, sizeof spec.name, "%s", name);
    snprintf(spec.cluster_ip, sizeof spec.cluster_ip, "%s", cluster_ip);
    snprintf(spec.selector.items[0].key, K8S_NAME, "app");
    snprintf(spec.selector.items[0].value, K8S_NAME, "%s", app);
    spec.selector.n = 1;
    spec.ports[0] = (k8s_port){.port = 80, .target = 8080, .protocol = 6,
                               .node_port = spec.type == K8S_SVC_CLUSTER_IP ? 0 : 30080};
    if (o && o->ingress) {
        snprintf(spec.external_ips[0], K8S_ADDR, "%s", o->ingress);
        spec.n_external_ips = 1;
    }
    spec.session_affinity = o ? o->affinity : 0;
    spec.etp_local = o ? o->etp_local : 0;
    spec.itp_local = o ? o->itp_local : 0;
    assert_non_null(k8s_add_service(c, &spec));
}

static void reconcile(k8s_cluster *c)
{
    int rc = k8s_reconcile(c);
    if (rc != 0)
        for (size_t i = 0; i < c->n_log; i++)
            fprintf(stderr, "%s\n", c->log[i]);
    assert_int_equal(rc, 0);
}

/* Moves virtual time on by ms. */
static void advance(k8s_cluster *c, uint64_t ms)
{
    c->now_ms += ms;
}

static bool log_has(const k8s_cluster *c, const char *text)
{
    for (size_t i = 0; i < c->n_log; i++)
        if (strstr(c->log[i], text))
            return true;
    return false;
}

static void print_log(const k8s_cluster *c)
{
    for (size_t i = 0; i < c->n_log; i++)
        fprintf(stderr, "%s\n", c->log[i]);
}

/* ---------------------------------------------------------------------------
 * What HNS holds (through hnsm_call, as an operator's hnsdiag would)
 */

/* Every object of kind on n's HNS, as a JSON array of v2 documents. */
static cJSON *hns_objects(k8s_node *n, hnsm_kind kind)
{
    char *ids = NULL, *error = NULL;
    assert_true(SUCCEEDED(hnsm_call(n->hns, kind, HNSM_OP_ENUMERATE, NULL, NULL, V2_QUERY, &ids,
                                    &error)));
    cJSON *list = cJSON_Parse(ids);
    hnsm_free(ids);
    hnsm_free(error);
    cJSON *out = cJSON_CreateArray();
    const cJSON *id;
    cJSON_ArrayForEach(id, list)
    {
        char *doc = NULL;
        assert_true(SUCCEEDED(hnsm_call(n->hns, kind, HNSM_OP_QUERY, id->valuestring, NULL,
                                        V2_QUERY, &doc, NULL)));
        cJSON_AddItemToArray(out, cJSON_Parse(doc));
        hnsm_free(doc);
    }
    cJSON_Delete(list);
    return out;
}

static unsigned number(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(doc, key);
    return cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0;
}

static const char *string(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(doc, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The load balancers of n with frontend vip (NULL = none, i.e. NodePort)
 * and external port. *count receives how many; the first is returned as a
 * copy (free with cJSON_Delete), or NULL. */
static cJSON *find_lb(k8s_node *n, const char *vip, unsigned external, int *count)
{
    cJSON *all = hns_objects(n, HNSM_LOADBALANCER), *found = NULL;
    int matches = 0;
    const cJSON *lb;
    cJSON_ArrayForEach(lb, all)
    {
        const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "FrontendVIPs"), 0);
        const cJSON *pm = cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "PortMappings"), 0);
        bool vip_ok = vip ? cJSON_IsString(v) && strcmp(v->valuestring, vip) == 0 : v == NULL;
        if (!vip_ok || number(pm, "ExternalPort") != external)
            continue;
        if (!matches++)
            found = cJSON_Duplicate(lb, 1);
    }
    cJSON_Delete(all);
    if (count)
        *count = matches;
    return found;
}

static int lb_count(k8s_node *n)
{
    cJSON *all = hns_objects(n, HNSM_LOADBALANCER);
    int count = cJSON_GetArraySize(all);
    cJSON_Delete(all);
    return count;
}

static const cJSON *mapping(const cJSON *lb)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "PortMappings"), 0);
}

static int backend_count(const cJSON *lb)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(lb, "HostComputeEndpoints"));
}

static bool has_backend(const cJSON *lb, const char *endpoint_id)
{
    const cJSON *id;
    cJSON_ArrayForEach(id, cJSON_GetObjectItem(lb, "HostComputeEndpoints"))
        if (cJSON_IsString(id) && strcasecmp(id->valuestring, endpoint_id) == 0)
            return true;
    return false;
}

/* The endpoint of n with address ip and the given remote flag (-1 = any);
 * a copy or NULL. */
static cJSON *find_endpoint(k8s_node *n, const char *ip, int remote)
{
    cJSON *all = hns_objects(n, HNSM_ENDPOINT), *found = NULL;
    const cJSON *ep;
    cJSON_ArrayForEach(ep, all)
    {
        const cJSON *config = cJSON_GetArrayItem(cJSON_GetObjectItem(ep, "IpConfigurations"), 0);
        int is_remote = (number(ep, "Flags") & 1u) != 0;
        if (strcmp(string(config, "IpAddress"), ip) == 0 && (remote < 0 || remote == is_remote)) {
            found = cJSON_Duplicate(ep, 1);
            break;
        }
    }
    cJSON_Delete(all);
    return found;
}

static int endpoints_with_ip(k8s_node *n, const char *ip)
{
    cJSON *all = hns_objects(n, HNSM_ENDPOINT);
    int count = 0;
    const cJSON *ep;
    cJSON_ArrayForEach(ep, all)
    {
        const cJSON *config = cJSON_GetArrayItem(cJSON_GetObjectItem(ep, "IpConfigurations"), 0);
        count += strcmp(string(config, "IpAddress"), ip) == 0;
    }
    cJSON_Delete(all);
    return count;
}

/* The ID of the remote endpoint n's kube-proxy made for ip ("" if none). */
static void remote_id(k8s_node *n, const char *ip, char out[K8S_ADDR])
{
    cJSON *ep = find_endpoint(n, ip, 1);
    snprintf(out, K8S_ADDR, "%s", ep ? string(ep, "ID") : "");
    cJSON_Delete(ep);
}

/* A remote endpoint created behind kube-proxy's back (a leftover of an
 * earlier kube-proxy, field-bugs C1). Returns its ID in out. */
static void stale_remote_endpoint(k8s_node *n, const char *ip, char out[K8S_ADDR])
{
    char doc[512], *id = NULL, *error = NULL;
    snprintf(doc, sizeof doc,
             "{\"IpConfigurations\":[{\"IpAddress\":\"%s\"}],\"MacAddress\":\"02-11-0a-f4-01-0a\","
             "\"Flags\":1,\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
             ip);
    HRESULT hr = hnsm_call(n->hns, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, n->network_id, doc, &id,
                           &error);
    assert_true(SUCCEEDED(hr));
    snprintf(out, K8S_ADDR, "%s", id);
    hnsm_free(id);
    hnsm_free(error);
}

/* ---------------------------------------------------------------------------
 * Packets
 */

/* Walks one TCP packet src -> dst:port (what-if: no flows kept). Returns
 * the verdict; *to receives the address it was delivered to. */
static net_verdict walk(k8s_cluster *c, const char *src, const char *dst, uint16_t port,
                        char to[VFP_ADDR_TEXT])
{
    vfp_packet p = {.protocol = 6, .src_port = 40000, .dst_port = port, .size = 100};
    assert_int_equal(vfp_addr_parse(src, &p.src), 0);
    assert_int_equal(vfp_addr_parse(dst, &p.dst), 0);
    net_walk_options opts = {.what_if = 1};
    net_walk w;
    assert_int_equal(net_walk_packet(c->net, &p, &opts, &w), 0);
    net_verdict v = w.verdict;
    if (to)
        vfp_addr_format(&w.to.ip, to);
    net_walk_clear(&w);
    return v;
}

/* ---------------------------------------------------------------------------
 * Load balancers per service port (consumers.md 2.4)
 */

/* ClusterIP on L2Bridge: FrontendVIPs [clusterIP], mapping flags 0, no
 * SourceVIP, one local and one remote backend; the remote endpoint has
 * Flags 1, the conjured MAC and no policies; a pod reaches a backend. */
static void cluster_ip_on_l2bridge(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "client", "win1", NULL);
    add_pod(c, "web-1", "win1", "web");
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");

    int count = 0;
    cJSON *lb = find_lb(w1, CLUSTER_IP, 80, &count);
    assert_int_equal(count, 1);
    assert_non_null(lb);
    assert_string_equal(string(lb, "SourceVIP"), "");
    assert_int_equal(number(mapping(lb), "Flags"), 0);
    assert_int_equal(number(mapping(lb), "InternalPort"), 8080);
    assert_int_equal(number(mapping(lb), "Protocol"), 6);
    assert_int_equal(number(lb, "Flags"), 0);
    assert_int_equal(backend_count(lb), 2);
    assert_true(has_backend(lb, pod(c, "web-1")->endpoint_id));
    char remote[K8S_ADDR];
    remote_id(w1, pod(c, "web-2")->ip, remote);
    assert_true(remote[0]);
    assert_true(has_backend(lb, remote));
    cJSON_Delete(lb);

    cJSON *ep = find_endpoint(w1, pod(c, "web-2")->ip, 1);
    assert_string_equal(string(ep, "MacAddress"), "02-11-0A-F4-02-0A");
    assert_null(cJSON_GetObjectItem(ep, "Policies"));
    cJSON_Delete(ep);
    assert_int_equal(lb_count(w1), 1); /* a ClusterIP service: one LB */

    char to[VFP_ADDR_TEXT];
    assert_int_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, to), NET_DELIVERED);
    assert_true(strcmp(to, pod(c, "web-1")->ip) == 0 || strcmp(to, pod(c, "web-2")->ip) == 0);
    k8s_cluster_free(c);
}

/* Overlay: the source-VIP endpoint (.2, local, no namespace), the ClusterIP
 * remote endpoint (PA = node IP), the remote backend with the PA of its
 * RemoteSubnetRoute; LBs carry SourceVIP; created in that order
 * (consumers.md 2.3, 2.6 example). */
static void overlay_endpoints_and_source_vip(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){.mode = K8S_MODE_VXLAN});
    add_pod(c, "client", "win1", NULL);
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");

    cJSON *svip = find_endpoint(w1, "10.244.1.2", 0);
    assert_non_null(svip);
    assert_string_equal(string(svip, "HostComputeNamespace"), "");
    assert_string_equal(string(svip, "MacAddress"), "00-15-5D-00-00-04");
    cJSON *cip = find_endpoint(w1, CLUSTER_IP, 1);
    assert_non_null(cip);
    const cJSON *pa = cJSON_GetArrayItem(cJSON_GetObjectItem(cip, "Policies"), 0);
    assert_string_equal(string(pa, "Type"), "ProviderAddress");
    assert_string_equal(string(cJSON_GetObjectItem(pa, "Settings"), "ProviderAddress"), "10.0.0.4");
    cJSON *backend = find_endpoint(w1, pod(c, "web-2")->ip, 1);
    assert_non_null(backend);
    pa = cJSON_GetArrayItem(cJSON_GetObjectItem(backend, "Policies"), 0);
    assert_string_equal(string(cJSON_GetObjectItem(pa, "Settings"), "ProviderAddress"), "10.0.0.5");

    /* Creation order: source VIP, ClusterIP endpoint, backend. */
    cJSON *all = hns_objects(w1, HNSM_ENDPOINT);
    int at_svip = -1, at_cip = -1, at_backend = -1, i = 0;
    const cJSON *ep;
    cJSON_ArrayForEach(ep, all)
    {
        if (strcmp(string(ep, "ID"), string(svip, "ID")) == 0)
            at_svip = i;
        if (strcmp(string(ep, "ID"), string(cip, "ID")) == 0)
            at_cip = i;
        if (strcmp(string(ep, "ID"), string(backend, "ID")) == 0)
            at_backend = i;
        i++;
    }
    assert_true(at_svip >= 0 && at_svip < at_cip && at_cip < at_backend);
    cJSON_Delete(all);

    cJSON *lb = find_lb(w1, CLUSTER_IP, 80, NULL);
    assert_string_equal(string(lb, "SourceVIP"), "10.244.1.2");
    assert_true(has_backend(lb, string(backend, "ID")));
    cJSON_Delete(lb);
    cJSON_Delete(svip);
    cJSON_Delete(cip);
    cJSON_Delete(backend);

    char to[VFP_ADDR_TEXT];
    assert_int_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, to), NET_DELIVERED);
    assert_string_equal(to, pod(c, "web-2")->ip);
    k8s_cluster_free(c);
}

/* NodePort: no FrontendVIPs, LocalRoutedVIP + VipExternalIP; ingress IP:
 * VipExternalIP; session affinity: DistributionType 2 everywhere. */
static void node_port_ingress_and_affinity(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP,
                &(service_options){.type = K8S_SVC_LOAD_BALANCER, .ingress = INGRESS_IP,
                                   .affinity = 1});
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    assert_int_equal(lb_count(w1), 3);
    cJSON *np = find_lb(w1, NULL, 30080, NULL);
    assert_non_null(np);
    assert_int_equal(number(mapping(np), "Flags"), 2 | 16);
    assert_int_equal(number(mapping(np), "InternalPort"), 8080);
    assert_int_equal(number(mapping(np), "DistributionType"), 2);
    cJSON *in = find_lb(w1, INGRESS_IP, 80, NULL);
    assert_non_null(in);
    assert_int_equal(number(mapping(in), "Flags"), 16);
    assert_int_equal(number(mapping(in), "DistributionType"), 2);
    cJSON *cl = find_lb(w1, CLUSTER_IP, 80, NULL);
    assert_int_equal(number(mapping(cl), "DistributionType"), 2);
    cJSON_Delete(np);
    cJSON_Delete(in);
    cJSON_Delete(cl);
    /* field-bugs G1: the host reaches the NodePort's backends through
     * LocalRoutedVIP, not the ClusterIP (flags 0). */
    assert_int_not_equal(walk(c, "10.0.0.4", CLUSTER_IP, 80, NULL), NET_DELIVERED);
    k8s_cluster_free(c);
}

/* --enable-dsr: the ClusterIP LB has the DSR flag (consumers.md 2.1, 2.4). */
static void dsr_option_sets_cluster_ip_flag(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){.dsr = 1});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    cJSON *lb = find_lb(node(c, "win1"), CLUSTER_IP, 80, NULL);
    assert_int_equal(number(lb, "Flags"), 1);
    cJSON_Delete(lb);
    k8s_cluster_free(c);
}

/* ETP=Local: ClusterIP keeps every backend; NodePort and ingress LBs only
 * exist where a local backend is, hold only it, and are DSR (consumers.md
 * 2.1, 2.4; field-bugs G2 second half). */
static void external_traffic_policy_local(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_pod(c, "web-3", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP,
                &(service_options){.type = K8S_SVC_LOAD_BALANCER, .ingress = INGRESS_IP,
                                   .etp_local = 1});
    reconcile(c);
    k8s_node *w1 = node(c, "win1"), *w2 = node(c, "win2");
    cJSON *cl = find_lb(w1, CLUSTER_IP, 80, NULL);
    assert_non_null(cl);
    assert_int_equal(backend_count(cl), 2);
    cJSON_Delete(cl);
    assert_int_equal(lb_count(w1), 1);

    cJSON *np = find_lb(w2, NULL, 30080, NULL);
    assert_non_null(np);
    assert_int_equal(number(np, "Flags"), 1);
    assert_int_equal(backend_count(np), 2);
    cJSON *in = find_lb(w2, INGRESS_IP, 80, NULL);
    assert_non_null(in);
    assert_int_equal(number(in, "Flags"), 1);
    cJSON_Delete(np);
    cJSON_Delete(in);
    k8s_cluster_free(c);
}

/* ITP=Local: the ClusterIP LB holds local backends only, and a node with
 * none has no ClusterIP LB (consumers.md 2.1). */
static void internal_traffic_policy_local(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-1", "win1", "web");
    add_pod(c, "web-2", "win2", "web");
    add_pod(c, "client", "win2", NULL);
    add_service(c, "web", "web", CLUSTER_IP, &(service_options){.itp_local = 1});
    reconcile(c);
    cJSON *lb = find_lb(node(c, "win1"), CLUSTER_IP, 80, NULL);
    assert_non_null(lb);
    assert_int_equal(backend_count(lb), 1);
    assert_true(has_backend(lb, pod(c, "web-1")->endpoint_id));
    cJSON_Delete(lb);
    /* win2 has its own local backend. */
    lb = find_lb(node(c, "win2"), CLUSTER_IP, 80, NULL);
    assert_true(has_backend(lb, pod(c, "web-2")->endpoint_id));
    cJSON_Delete(lb);
    char to[VFP_ADDR_TEXT];
    assert_int_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, to), NET_DELIVERED);
    assert_string_equal(to, pod(c, "web-2")->ip);
    k8s_cluster_free(c);
}

/* ---------------------------------------------------------------------------
 * Startup, caching, identity (consumers.md 2.2, 2.5)
 */

/* DeleteAllHnsLoadBalancerPolicy removes LBs nobody in the cluster made. */
static void startup_deletes_every_load_balancer(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    k8s_node *w1 = node(c, "win1");
    char *id = NULL;
    assert_true(SUCCEEDED(hnsm_call(
        w1->hns, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL,
        "{\"FrontendVIPs\":[\"10.96.9.9\"],\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":80,"
        "\"ExternalPort\":80}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
        &id, NULL)));
    hnsm_free(id);
    assert_int_equal(lb_count(w1), 1);
    reconcile(c);
    assert_int_equal(lb_count(w1), 0);
    assert_true(log_has(c, "win1 kube-proxy: Deleted all HNS load balancer policies count=1"));
    k8s_cluster_free(c);
}

/* A sync with nothing changed and no periodic sync due makes no HNS call;
 * a due periodic sync lists again (BoundedFrequencyRunner). The VFP sync
 * of every reconcile reads HNS too, so kube-proxy's share is what a due
 * sync adds over an idle one. */
static void idle_sync_makes_no_calls(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    uint64_t start = hnsm_call_count(w1->hns, "HcnEnumerateLoadBalancers");
    advance(c, 10000);
    reconcile(c);
    uint64_t idle = hnsm_call_count(w1->hns, "HcnEnumerateLoadBalancers") - start;
    start += idle;
    advance(c, 25000);
    reconcile(c);
    uint64_t due = hnsm_call_count(w1->hns, "HcnEnumerateLoadBalancers") - start;
    assert_true(due > idle);
    k8s_cluster_free(c);
}

/* A1: an LB deleted out of band stays gone: policyApplied skips the
 * service on every later sync, periodic ones included. An endpoint change
 * or a kube-proxy restart brings it back. */
static void out_of_band_delete_is_not_repaired(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "client", "win1", NULL);
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    cJSON *lb = find_lb(w1, CLUSTER_IP, 80, NULL);
    assert_int_equal(hnsm_drop_object(w1->hns, HNSM_LOADBALANCER, string(lb, "ID")), 0);
    cJSON_Delete(lb);
    for (int i = 0; i < 4; i++) {
        advance(c, 31000);
        reconcile(c);
    }
    assert_int_equal(lb_count(w1), 0);
    assert_int_not_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, NULL), NET_DELIVERED);

    add_pod(c, "web-3", "win2", "web"); /* an endpoint change */
    reconcile(c);
    assert_int_equal(lb_count(w1), 1);
    assert_int_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, NULL), NET_DELIVERED);

    lb = find_lb(w1, CLUSTER_IP, 80, NULL);
    assert_int_equal(hnsm_drop_object(w1->hns, HNSM_LOADBALANCER, string(lb, "ID")), 0);
    cJSON_Delete(lb);
    k8s_kube_proxy_restart(c, w1);
    reconcile(c);
    assert_int_equal(lb_count(w1), 1);
    k8s_cluster_free(c);
}

/* A2: an HNS crash that wipes LBs leaves kube-proxy's cache believing
 * they exist; only a kube-proxy restart re-creates them all. */
static void hns_crash_wipe_needs_kube_proxy_restart(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    add_service(c, "dns", "web", "10.96.0.11", NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    assert_int_equal(lb_count(w1), 2);
    assert_int_equal(hnsm_restart(w1->hns, HNSM_RESTART_CRASH_WIPE), 0);
    assert_int_equal(lb_count(w1), 0);
    advance(c, 31000);
    reconcile(c);
    assert_int_equal(lb_count(w1), 0);
    k8s_kube_proxy_restart(c, w1);
    reconcile(c);
    assert_int_equal(lb_count(w1), 2);
    k8s_cluster_free(c);
}

/* Zero eligible backends: the service's LBs and its remote endpoints go
 * (consumers.md 2.5; field-bugs A4 is the HNS side). */
static void zero_backends_deletes_load_balancers(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, &(service_options){.type = K8S_SVC_NODE_PORT});
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    char ip[K8S_ADDR];
    snprintf(ip, sizeof ip, "%s", pod(c, "web-2")->ip);
    assert_int_equal(lb_count(w1), 2);
    delete_pod(c, "web-2");
    reconcile(c);
    assert_int_equal(lb_count(w1), 0);
    assert_int_equal(endpoints_with_ip(w1, ip), 0);
    assert_true(log_has(c, "No endpoints for service default/web port 80"));
    k8s_cluster_free(c);
}

/* A deleted service: its LBs and the remote endpoints only it used go. */
static void deleted_service_is_cleaned_up(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    assert_int_equal(endpoints_with_ip(w1, pod(c, "web-2")->ip), 1);
    k8s_service_named(c, "default", "web")->deleted = 1;
    reconcile(c);
    assert_int_equal(lb_count(w1), 0);
    assert_int_equal(endpoints_with_ip(w1, pod(c, "web-2")->ip), 0);
    k8s_cluster_free(c);
}

/* Errors are logged in hcsshim's shape and the sync goes on; the failed
 * service is retried by the next (periodic) sync. */
static void create_failure_is_logged_and_retried(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    add_service(c, "other", "web", "10.96.0.11", NULL);
    k8s_node *w1 = node(c, "win1");
    hnsm_fault f = {.api = "HcnCreateLoadBalancer", .hr = HNSM_HCN_E_PORT_ALREADY_EXISTS,
                    .mode = HNSM_FAULT_NTH, .nth = 1};
    assert_int_equal(hnsm_fault_add(w1->hns, &f), 0);
    f.hr = HNSM_HRESULT_ERROR_ALREADY_EXISTS;
    f.nth = 2; /* counted from now too: the second create */
    assert_int_equal(hnsm_fault_add(w1->hns, &f), 0);
    reconcile(c);
    if (!log_has(c, "win1 kube-proxy: Policy creation failed: hcnCreateLoadBalancer failed in "
                    "Win32: The specified port already exists. (0x803b0013) {\"Success\":false,"))
        print_log(c);
    assert_true(log_has(c, "win1 kube-proxy: Policy creation failed: hcnCreateLoadBalancer failed "
                           "in Win32: The specified port already exists. (0x803b0013) "
                           "{\"Success\":false,"));
    assert_true(log_has(c, "hcnCreateLoadBalancer failed in Win32: Cannot create a file when that "
                           "file already exists. (0xb7)"));
    assert_int_equal(lb_count(w1), 0);
    advance(c, 31000);
    reconcile(c);
    assert_int_equal(lb_count(w1), 2);
    k8s_cluster_free(c);
}

/* A remote endpoint create failing (0x803B0007, field-bugs A2) drops that
 * backend only: the LB is programmed without it, the service counts as
 * applied, and the line has the diagnostics.md 7 shape. */
static void remote_endpoint_failure_skips_that_backend(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){0});
    add_pod(c, "web-1", "win1", "web");
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c); /* networks and pods first: the fault is for kube-proxy */
    k8s_node *w1 = node(c, "win1");
    k8s_service_named(c, "default", "web")->ports[0].port = 81; /* re-applied below */
    cJSON *ep = find_endpoint(w1, pod(c, "web-2")->ip, 1);
    assert_int_equal(hnsm_drop_object(w1->hns, HNSM_ENDPOINT, string(ep, "ID")), 0);
    cJSON_Delete(ep);
    hnsm_fault f = {.api = "HcnCreateEndpoint", .hr = HNSM_HCN_E_PORT_NOT_FOUND,
                    .mode = HNSM_FAULT_NTH, .nth = 1};
    assert_int_equal(hnsm_fault_add(w1->hns, &f), 0);
    reconcile(c);
    assert_true(log_has(c, "win1 kube-proxy: Remote endpoint creation failed: HNS failed with "
                           "error : The switch-port was not found. (0x803b0007)"));
    cJSON *lb = find_lb(w1, CLUSTER_IP, 81, NULL);
    assert_non_null(lb);
    assert_int_equal(backend_count(lb), 1);
    assert_true(has_backend(lb, pod(c, "web-1")->endpoint_id));
    cJSON_Delete(lb);
    k8s_cluster_free(c);
}

/* D1: a source VIP outside the overlay subnet: the endpoint create fails
 * every sync, logged, and no LB is made. */
static void bad_source_vip_blocks_every_load_balancer(void **state)
{
    (void)state;
    k8s_cluster *c = world(&(world_options){.mode = K8S_MODE_VXLAN, .source_vip = "10.244.9.2"});
    node(c, "win2")->kube_proxy.source_vip[0] = 0; /* win2: the default, .2 of its range */
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    assert_true(log_has(c, "win1 kube-proxy: Source Vip endpoint creation failed: "
                           "hcnCreateEndpoint failed in Win32:"));
    assert_int_equal(lb_count(node(c, "win1")), 0);
    assert_int_equal(lb_count(node(c, "win2")), 1);
    k8s_cluster_free(c);
}

/* ---------------------------------------------------------------------------
 * Endpoint changes per version
 */

/* Builds web (ClusterIP) over web-2 on win2, reconciles, scales to two
 * pods on win2, reconciles; returns the cluster and the LB IDs before and
 * after in before/after. */
static k8s_cluster *scale_up(const world_options *o, char before[K8S_ADDR], char after[K8S_ADDR])
{
    k8s_cluster *c = world(o);
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    cJSON *lb = find_lb(w1, CLUSTER_IP, 80, NULL);
    snprintf(before, K8S_ADDR, "%s", string(lb, "ID"));
    cJSON_Delete(lb);
    add_pod(c, "web-3", "win2", "web");
    reconcile(c);
    int count = 0;
    lb = find_lb(w1, CLUSTER_IP, 80, &count);
    assert_int_equal(count, 1);
    snprintf(after, K8S_ADDR, "%s", string(lb, "ID"));
    cJSON_Delete(lb);
    return c;
}

static int cluster_lb_backends(k8s_cluster *c)
{
    cJSON *lb = find_lb(node(c, "win1"), CLUSTER_IP, 80, NULL);
    int n = backend_count(lb);
    cJSON_Delete(lb);
    return n;
}

/* HNS without ModifyLoadbalancer: delete + create, a new ID (consumers.md 2.5). */
static void scale_replaces_load_balancer_before_15_4(void **state)
{
    (void)state;
    char before[K8S_ADDR], after[K8S_ADDR];
    k8s_cluster *c = scale_up(&(world_options){0}, before, after);
    assert_string_not_equal(before, after);
    assert_int_equal(cluster_lb_backends(c), 2);
    k8s_cluster_free(c);
}

/* A7: on HNS 15.4 the LB is updated in place (same ID); up to 1.33 the
 * request keeps the old backends, from 1.34 it carries the new ones. */
static void a7_modify_load_balancer_by_version(void **state)
{
    (void)state;
    char before[K8S_ADDR], after[K8S_ADDR];
    k8s_cluster *c = scale_up(&(world_options){.profile = "ws2025", .minor = 33}, before, after);
    assert_string_equal(before, after);
    assert_int_equal(cluster_lb_backends(c), 1);
    assert_true(log_has(c, "Hns LoadBalancer resource updated"));
    k8s_cluster_free(c);

    c = scale_up(&(world_options){.profile = "ws2025", .minor = 34}, before, after);
    assert_string_equal(before, after);
    assert_int_equal(cluster_lb_backends(c), 2);
    k8s_cluster_free(c);

    /* Before 1.31 kube-proxy had no in-place update: delete + create. */
    c = scale_up(&(world_options){.profile = "ws2025", .minor = 30}, before, after);
    assert_string_not_equal(before, after);
    assert_int_equal(cluster_lb_backends(c), 2);
    k8s_cluster_free(c);
}

/* A6: ITP=Local, a remote pod added: 1.31-1.34 hash all endpoints to
 * decide, delete the LB, then find the local-only identity in the listing
 * and create nothing; 1.35 keeps the LB. */
static k8s_cluster *itp_local_remote_scale(int minor)
{
    k8s_cluster *c = world(&(world_options){.minor = minor});
    add_pod(c, "client", "win1", NULL);
    add_pod(c, "web-1", "win1", "web");
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, &(service_options){.itp_local = 1});
    reconcile(c);
    assert_int_equal(lb_count(node(c, "win1")), 1);
    add_pod(c, "web-3", "win2", "web");
    reconcile(c);
    return c;
}

static void a6_itp_local_hash_mismatch_by_version(void **state)
{
    (void)state;
    k8s_cluster *c = itp_local_remote_scale(34);
    assert_int_equal(lb_count(node(c, "win1")), 0);
    assert_int_not_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, NULL), NET_DELIVERED);
    k8s_cluster_free(c);

    c = itp_local_remote_scale(35);
    assert_int_equal(lb_count(node(c, "win1")), 1);
    char to[VFP_ADDR_TEXT];
    assert_int_equal(walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, to), NET_DELIVERED);
    assert_string_equal(to, pod(c, "web-1")->ip);
    k8s_cluster_free(c);
}

/* A5(2): up to 1.25 the identity has no backend hash and a failed delete
 * is not retried: after the pods are replaced the old LB (dead backend) is
 * reused. From 1.26 the delete is retried and a new LB holds the new pod. */
static k8s_cluster *replace_pod_with_failed_delete(int minor)
{
    k8s_cluster *c = world(&(world_options){.minor = minor});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP, NULL);
    reconcile(c);
    k8s_node *w1 = node(c, "win1");
    hnsm_fault f = {.api = "HcnDeleteLoadBalancer", .hr = HNSM_HCN_E_ENDPOINT_NOT_FOUND,
                    .mode = HNSM_FAULT_NTH, .nth = 1};
    assert_int_equal(hnsm_fault_add(w1->hns, &f), 0);
    delete_pod(c, "web-2");
    reconcile(c);
    add_pod(c, "web-3", "win2", "web");
    reconcile(c);
    return c;
}

static void a5_stale_lb_reused_without_backend_hash(void **state)
{
    (void)state;
    k8s_cluster *c = replace_pod_with_failed_delete(25);
    k8s_node *w1 = node(c, "win1");
    char fresh[K8S_ADDR];
    remote_id(w1, pod(c, "web-3")->ip, fresh);
    int count = 0;
    cJSON *lb = find_lb(w1, CLUSTER_IP, 80, &count);
    assert_int_equal(count, 1);
    assert_false(has_backend(lb, fresh));
    cJSON_Delete(lb);
    k8s_cluster_free(c);

    c = replace_pod_with_failed_delete(26);
    w1 = node(c, "win1");
    remote_id(w1, pod(c, "web-3")->ip, fresh);
    lb = find_lb(w1, CLUSTER_IP, 80, &count);
    assert_int_equal(count, 1);
    assert_true(has_backend(lb, fresh));
    cJSON_Delete(lb);
    k8s_cluster_free(c);
}

/* A5(1): 1.24-1.25 stored another LB's ID for the ingress LB, so a
 * backend change never deletes it and a second ingress LB cannot be
 * created over it (HNS refuses the duplicate frontend); the ingress LB
 * keeps the dead backend. 1.26 replaces it. */
static k8s_cluster *ingress_scale(int minor)
{
    k8s_cluster *c = world(&(world_options){.minor = minor});
    add_pod(c, "web-2", "win2", "web");
    add_service(c, "web", "web", CLUSTER_IP,
                &(service_options){.type = K8S_SVC_LOAD_BALANCER, .ingress = INGRESS_IP});
    reconcile(c);
    delete_pod(c, "web-2");
    add_pod(c, "web-3", "win2", "web");
    reconcile(c);
    return c;
}

static void a5_ingress_lb_wrong_id(void **state)
{
    (void)state;
    k8s_cluster *c = ingress_scale(24);
    k8s_node *w1 = node(c, "win1");
    char fresh[K8S_ADDR];
    remote_id(w1, pod(c, "web-3")->ip, fresh);
    cJSON *in = find_lb(w1, INGRESS_IP, 80, NULL);
    assert_non_null(in);
    assert_false(has_backend(in, fresh));
    cJSON *cl = find_lb(w1, CLUSTER_IP, 80, NULL);
    assert_true(has_backend(cl, fresh));
    cJSON_Delete(in);
    cJSON_Delete(cl);
    k8s_cluster_free(c);

    c = ingress_scale(26);
    w1 = node(c, "win1");
    remote_id(w1, pod(c, "web-3")->ip, fresh);
    in = find_lb(w1, INGRESS_IP, 80, NULL);
    assert_true(has_backend(in, fresh));
    assert_int_equal(backend_count(in), 1);
    cJSON_Delete(in);
    k8s_cluster_free(c);
}

/* G2: ETP=Local with every backend remote: 1.26 skips the ClusterIP LB
 * ("all endpoints are terminating"), 1.27 creates it. */
static void g2_cluster_ip_skipped_in_1_26(void **state)
{
    (void)state;
    for (int minor = 26; minor <= 27; minor++) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        add_pod(c, "client", "win1", NULL);
        add_pod(c, "web-2", "win2", "web");
        add_service(c, "web", "web", CLUSTER_IP,
                    &(service_options){.type = K8S_SVC_LOAD_BALANCER, .ingress = INGRESS_IP,
                                       .etp_local = 1});
        reconcile(c);
        cJSON *lb = find_lb(node(c, "win1"), CLUSTER_IP, 80, NULL);
        bool skipped = log_has(c, "win1 kube-proxy: Skipped creating Hns LoadBalancer for cluster "
                                  "ip resources. Reason : all endpoints are terminating");
        net_verdict v = walk(c, pod(c, "client")->ip, CLUSTER_IP, 80, NULL);
        if (minor == 26) {
            assert_null(lb);
            assert_true(skipped);
            assert_int_not_equal(v, NET_DELIVERED);
        } else {
            assert_non_null(lb);
            assert_false(skipped);
            assert_int_equal(v, NET_DELIVERED);
        }
        cJSON_Delete(lb);
        k8s_cluster_free(c);
    }
}

/* G4(b): the VipExternalIP flag appears in 1.26. */
static void g4_vip_external_ip_flag_by_version(void **state)
{
    (void)state;
    for (int minor = 25; minor <= 26; minor++) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        add_pod(c, "web-2", "win2", "web");
        add_service(c, "web", "web", CLUSTER_IP,
                    &(service_options){.type = K8S_SVC_LOAD_BALANCER, .ingress = INGRESS_IP});
        reconcile(c);
        cJSON *np = find_lb(node(c, "win1"), NULL, 30080, NULL);
        cJSON *in = find_lb(node(c, "win1"), INGRESS_IP, 80, NULL);
        assert_int_equal(number(mapping(np), "Flags"), minor == 25 ? 2 : 2 | 16);
        assert_int_equal(number(mapping(in), "Flags"), minor == 25 ? 0 : 16);
        cJSON_Delete(np);
        cJSON_Delete(in);
        k8s_cluster_free(c);
    }
}

/* G4(a): every backend terminating (still serving): from 1.26 the ingress
 * LB keeps them (ProxyTerminatingEndpoints), NodePort is not programmed;
 * before, everything goes. (1.23 stands for "before": in 1.24-1.25 the
 * ingress LB would also survive, as A5(1)'s stale rule.) */
static void g4_terminating_endpoints_by_version(void **state)
{
    (void)state;
    for (int minor = 23; minor <= 26; minor += 3) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        add_pod(c, "web-2", "win2", "web");
        add_service(c, "web", "web", CLUSTER_IP,
                    &(service_options){.type = K8S_SVC_LOAD_BALANCER, .ingress = INGRESS_IP});
        reconcile(c);
        /* Terminating, CNI DEL not yet run: only kube-proxy syncs. */
        pod(c, "web-2")->phase = K8S_POD_TERMINATING;
        k8s_node *w1 = node(c, "win1");
        k8s_kube_proxy_sync(c, w1);
        cJSON *in = find_lb(w1, INGRESS_IP, 80, NULL);
        cJSON *np = find_lb(w1, NULL, 30080, NULL);
        if (minor == 23) {
            assert_null(in);
            assert_int_equal(lb_count(w1), 0);
        } else {
            assert_non_null(in);
            assert_int_equal(backend_count(in), 1);
            assert_null(np);
        }
        cJSON_Delete(in);
        cJSON_Delete(np);
        k8s_cluster_free(c);
    }
}

/* ---------------------------------------------------------------------------
 * Remote endpoints per version (field-bugs C)
 */

/* C1: a stale remote endpoint holds the IP the CNI then gives a local pod.
 * 1.36 keeps it and (remote wins the IP map) programs it as the local
 * pod's backend; 1.37 deletes it at listing and uses the pod's endpoint. */
static void c1_stale_remote_sharing_local_ip(void **state)
{
    (void)state;
    for (int minor = 36; minor <= 37; minor++) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        reconcile(c); /* networks */
        k8s_node *w1 = node(c, "win1");
        char stale[K8S_ADDR];
        stale_remote_endpoint(w1, "10.244.1.10", stale); /* the CNI's first address */
        add_pod(c, "web-1", "win1", "web");
        add_service(c, "web", "web", CLUSTER_IP, NULL);
        reconcile(c);
        assert_string_equal(pod(c, "web-1")->ip, "10.244.1.10");
        cJSON *lb = find_lb(w1, CLUSTER_IP, 80, NULL);
        if (minor == 36) {
            assert_true(has_backend(lb, stale));
            assert_int_equal(endpoints_with_ip(w1, "10.244.1.10"), 2);
        } else {
            assert_true(has_backend(lb, pod(c, "web-1")->endpoint_id));
            assert_int_equal(endpoints_with_ip(w1, "10.244.1.10"), 1);
        }
        cJSON_Delete(lb);
        k8s_cluster_free(c);
    }
}

/* C2: a remote backend's pod goes and its IP is given to a new local pod
 * before kube-proxy syncs. 1.33's IP map holds the local endpoint (listed
 * last) and the terminated sweep deletes it; 1.34 deletes the remote one. */
static void c2_local_endpoint_deleted_by_version(void **state)
{
    (void)state;
    for (int minor = 33; minor <= 34; minor++) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        /* A Linux node whose pod range lies inside win1's (a shared subnet). */
        k8s_node lnx = {.windows = 0};
        snprintf(lnx.name, sizeof lnx.name, "lnx1");
        snprintf(lnx.ip, sizeof lnx.ip, "10.0.0.6");
        snprintf(lnx.pod_cidr, sizeof lnx.pod_cidr, "10.244.1.128/25");
        assert_non_null(k8s_add_node(c, &lnx));
        add_pod(c, "web-l", "lnx1", "web");
        add_service(c, "web", "web", CLUSTER_IP, NULL);
        reconcile(c);
        k8s_node *w1 = node(c, "win1");
        char ip[K8S_ADDR];
        snprintf(ip, sizeof ip, "%s", pod(c, "web-l")->ip);
        assert_int_equal(endpoints_with_ip(w1, ip), 1);

        /* The Windows CNI reuses the address for a pod on win1. */
        char *local = NULL, doc[256];
        snprintf(doc, sizeof doc,
                 "{\"Name\":\"reused\",\"IpConfigurations\":[{\"IpAddress\":\"%s\","
                 "\"PrefixLength\":24}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                 ip);
        assert_true(SUCCEEDED(hnsm_call(w1->hns, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL,
                                        w1->network_id, doc, &local, NULL)));
        delete_pod(c, "web-l");
        reconcile(c);
        cJSON *left = find_endpoint(w1, ip, -1);
        assert_non_null(left);
        if (minor == 33)
            assert_int_equal(number(left, "Flags") & 1u, 1); /* the local one went */
        else
            assert_string_equal(string(left, "ID"), local);
        assert_int_equal(endpoints_with_ip(w1, ip), 1);
        cJSON_Delete(left);
        hnsm_free(local);
        k8s_cluster_free(c);
    }
}

/* C3: two services change in one sync, the first losing a remote pod, the
 * second gaining one. 1.34 clears the terminated map per service and the
 * first service's remote endpoint stays; 1.35 deletes it. */
static void c3_terminated_map_by_version(void **state)
{
    (void)state;
    for (int minor = 34; minor <= 35; minor++) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        add_pod(c, "a-1", "win2", "a");
        add_pod(c, "a-2", "win2", "a");
        add_pod(c, "b-1", "win2", "b");
        add_service(c, "svc-a", "a", CLUSTER_IP, NULL);
        add_service(c, "svc-b", "b", "10.96.0.11", NULL);
        reconcile(c);
        k8s_node *w1 = node(c, "win1");
        char gone[K8S_ADDR];
        snprintf(gone, sizeof gone, "%s", pod(c, "a-1")->ip);
        assert_int_equal(endpoints_with_ip(w1, gone), 1);
        delete_pod(c, "a-1");
        add_pod(c, "b-2", "win2", "b");
        reconcile(c);
        assert_int_equal(endpoints_with_ip(w1, gone), minor == 34 ? 1 : 0);
        k8s_cluster_free(c);
    }
}

/* ---------------------------------------------------------------------------
 * HNS errors and the resync period per version
 */

/* A2 / #139519: a failing GetLoadBalancerByID during a service change.
 * 1.36 takes it for "gone" and forgets the ID: the old LB is orphaned next
 * to the new one. 1.37 keeps the ID and deletes the old LB later. */
static void a2_hns_error_is_not_gone_from_1_37(void **state)
{
    (void)state;
    for (int minor = 36; minor <= 37; minor++) {
        k8s_cluster *c = world(&(world_options){.minor = minor});
        add_pod(c, "web-2", "win2", "web");
        add_service(c, "web", "web", CLUSTER_IP, NULL);
        reconcile(c);
        k8s_node *w1 = node(c, "win1");
        hnsm_fault f = {.api = "HcnEnumerateLoadBalancers", .hr = HNSM_HCN_E_MANAGER_STOPPED,
                        .mode = HNSM_FAULT_NTH, .nth = 1};
        assert_int_equal(hnsm_fault_add(w1->hns, &f), 0);
        k8s_service_named(c, "default", "web")->ports[0].port = 81; /* a spec change */
        reconcile(c);
        int old = 0, fresh = 0;
        cJSON_Delete(find_lb(w1, CLUSTER_IP, 80, &old));
        cJSON_Delete(find_lb(w1, CLUSTER_IP, 81, &fresh));
        assert_int_equal(fresh, 1);
        assert_int_equal(old, minor == 36 ? 1 : 0);
        k8s_cluster_free(c);
    }
}

/* A1 / PR #135631: 1.34-1.35 resync every hour, so a service whose LB
 * create failed waits an hour; 1.33 and 1.36 retry after sync_period. */
static void a1_resync_period_by_version(void **state)
{
    (void)state;
    static const int minors[] = {33, 34, 35, 36};
    for (size_t i = 0; i < 4; i++) {
        int minor = minors[i];
        bool hourly = minor == 34 || minor == 35;
        k8s_cluster *c = world(&(world_options){.minor = minor});
        add_pod(c, "web-2", "win2", "web");
        add_service(c, "web", "web", CLUSTER_IP, NULL);
        k8s_node *w1 = node(c, "win1");
        hnsm_fault f = {.api = "HcnCreateLoadBalancer", .hr = HNSM_HCN_E_PORT_NOT_FOUND,
                        .mode = HNSM_FAULT_NTH, .nth = 1};
        assert_int_equal(hnsm_fault_add(w1->hns, &f), 0);
        reconcile(c);
        assert_int_equal(w1->next_proxy_sync - c->now_ms, hourly ? 3600000u : 30000u);
        assert_int_equal(lb_count(w1), 0);
        advance(c, 31000);
        reconcile(c);
        assert_int_equal(lb_count(w1), hourly ? 0 : 1);
        advance(c, 3600000);
        reconcile(c);
        assert_int_equal(lb_count(w1), 1);
        k8s_cluster_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cluster_ip_on_l2bridge),
        cmocka_unit_test(overlay_endpoints_and_source_vip),
        cmocka_unit_test(node_port_ingress_and_affinity),
        cmocka_unit_test(dsr_option_sets_cluster_ip_flag),
        cmocka_unit_test(external_traffic_policy_local),
        cmocka_unit_test(internal_traffic_policy_local),
        cmocka_unit_test(startup_deletes_every_load_balancer),
        cmocka_unit_test(idle_sync_makes_no_calls),
        cmocka_unit_test(out_of_band_delete_is_not_repaired),
        cmocka_unit_test(hns_crash_wipe_needs_kube_proxy_restart),
        cmocka_unit_test(zero_backends_deletes_load_balancers),
        cmocka_unit_test(deleted_service_is_cleaned_up),
        cmocka_unit_test(create_failure_is_logged_and_retried),
        cmocka_unit_test(remote_endpoint_failure_skips_that_backend),
        cmocka_unit_test(bad_source_vip_blocks_every_load_balancer),
        cmocka_unit_test(scale_replaces_load_balancer_before_15_4),
        cmocka_unit_test(a7_modify_load_balancer_by_version),
        cmocka_unit_test(a6_itp_local_hash_mismatch_by_version),
        cmocka_unit_test(a5_stale_lb_reused_without_backend_hash),
        cmocka_unit_test(a5_ingress_lb_wrong_id),
        cmocka_unit_test(g2_cluster_ip_skipped_in_1_26),
        cmocka_unit_test(g4_vip_external_ip_flag_by_version),
        cmocka_unit_test(g4_terminating_endpoints_by_version),
        cmocka_unit_test(c1_stale_remote_sharing_local_ip),
        cmocka_unit_test(c2_local_endpoint_deleted_by_version),
        cmocka_unit_test(c3_terminated_map_by_version),
        cmocka_unit_test(a2_hns_error_is_not_gone_from_1_37),
        cmocka_unit_test(a1_resync_period_by_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
