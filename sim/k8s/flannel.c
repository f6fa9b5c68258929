/*
 * flannel.c - the flannel daemon's Windows backends (host-gw on L2Bridge,
 * vxlan on Overlay; consumers.md 3.3) and its Linux routes.
 *
 * Windows host-gw: network "cbr0" (L2Bridge, the node's pod CIDR, gateway
 * .1), the bridge endpoint "cbr0_ep" (.2) attached to the host's
 * HostDefault namespace - the host vNIC - and a host route to every peer's
 * pod CIDR through the peer's address. Windows vxlan: network "vxlan0"
 * (Overlay, VSID = the cluster VNI on the subnet, DrMacAddress, HostRoute)
 * with one RemoteSubnetRoute per peer (the peer's pod CIDR, its address as
 * ProviderAddress, its DR MAC), added with HcnModifyNetwork as peers join.
 * The network is looked up by name first, as flannel does, so a restart
 * finds it. Linux: host-gw routes through peers, or VXLAN routes through
 * their VTEPs.
 */
#include "k8s_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

/* The DR MAC flannel gives the node at index i (a fixed, recognisable form). */
static void dr_mac(size_t i, char out[18])
{
    snprintf(out, 18, "00-15-5D-%02X-%02X-01", (unsigned)((i >> 8) & 0xff), (unsigned)(i & 0xff));
}

static size_t node_index(const k8s_cluster *c, const k8s_node *n)
{
    return (size_t)(n - c->nodes);
}

/* The ID of the network named name on the current HNS, or "" (enumerate
 * with a Name filter, as GetNetworkByName does). */
static void find_network(const char *name, char out[K8S_ADDR])
{
    char query[160], *ids = NULL;
    out[0] = 0;
    snprintf(query, sizeof query, "{" V2 ",\"Filter\":\"{\\\"Name\\\":\\\"%s\\\"}\"}", name);
    if (SUCCEEDED(hcnc_enumerate(HCNC_NETWORK, query, &ids, NULL)) && ids) {
        cJSON *list = cJSON_Parse(ids);
        const cJSON *first = cJSON_GetArrayItem(list, 0);
        if (cJSON_IsString(first))
            snprintf(out, K8S_ADDR, "%s", first->valuestring);
        cJSON_Delete(list);
    }
    free(ids);
}

/* The RemoteSubnetRoute policy of peer p. */
static void remote_subnet_policy(const k8s_cluster *c, const k8s_node *p, char *out, size_t size)
{
    char mac[18];
    dr_mac(node_index(c, p), mac);
    snprintf(out, size,
             "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"%s\","
             "\"IsolationId\":%u,\"ProviderAddress\":\"%s\",\"DistributedRouterMacAddress\":\"%s\"}}",
             p->pod_cidr, c->vni, p->ip, mac);
}

static int create_network(k8s_cluster *c, k8s_node *n)
{
    char gw[K8S_ADDR], doc[8192], mac[18];
    if (k8s__cidr_host(n->pod_cidr, 1, gw) < 0)
        return -1;
    bool vxlan = c->mode == K8S_MODE_VXLAN;
    int used = snprintf(doc, sizeof doc,
                        "{\"Name\":\"%s\",\"Type\":\"%s\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
                        "\"IpAddressPrefix\":\"%s\"",
                        k8s_network_name(c), k8s_network_type(c), n->pod_cidr);
    if (vxlan)
        used += snprintf(doc + used, sizeof doc - (size_t)used,
                         ",\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":%u}}]",
                         c->vni);
    used += snprintf(doc + used, sizeof doc - (size_t)used,
                     ",\"Routes\":[{\"NextHop\":\"%s\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}],"
                     "\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":"
                     "\"%s\"}}",
                     gw, n->ip);
    if (vxlan) {
        dr_mac(node_index(c, n), mac);
        used += snprintf(doc + used, sizeof doc - (size_t)used,
                         ",{\"Type\":\"DrMacAddress\",\"Settings\":{\"Address\":\"%s\"}},"
                         "{\"Type\":\"HostRoute\",\"Settings\":{}}",
                         mac);
    }
    /* flanneld creates its network non-persistent (Flags 8, EnableNonPersistent):
     * it is gone after a reboot until flanneld runs again (field-bugs E3, F4). */
    snprintf(doc + used, sizeof doc - (size_t)used, "],\"Flags\":8," V2 "}");
    char *id = NULL, *error = NULL;
    HRESULT hr = hcnc_create(HCNC_NETWORK, NULL, doc, &id, &error);
    if (FAILED(hr) || !id) {
        k8s_log(c, "%s flannel: HcnCreateNetwork failed 0x%08X: %s", n->name, (unsigned)hr,
                error ? error : "");
        free(id);
        free(error);
        return -1;
    }
    snprintf(n->network_id, sizeof n->network_id, "%s", id);
    k8s_log(c, "%s flannel: created HostComputeNetwork %s (%s)", n->name, id, k8s_network_name(c));
    free(id);
    free(error);
    return 0;
}

/* 1 when the network has its bridge endpoint (looked up by name, as
 * flanneld does at start). */
static bool bridge_endpoint_exists(const k8s_node *n)
{
    char query[256], *ids = NULL;
    snprintf(query, sizeof query,
             "{" V2 ",\"Filter\":\"{\\\"Name\\\":\\\"cbr0_ep\\\",\\\"HostComputeNetwork\\\":"
             "\\\"%s\\\"}\"}",
             n->network_id);
    bool found = false;
    if (SUCCEEDED(hcnc_enumerate(HCNC_ENDPOINT, query, &ids, NULL)) && ids) {
        cJSON *list = cJSON_Parse(ids);
        found = cJSON_GetArraySize(list) > 0;
        cJSON_Delete(list);
    }
    free(ids);
    return found;
}

/* The ID of the HostDefault namespace, or NULL (malloc'd). */
static char *host_default_namespace(void)
{
    char *ids = NULL, *found = NULL;
    if (FAILED(hcnc_enumerate(HCNC_NAMESPACE, NULL, &ids, NULL)) || !ids)
        return NULL;
    cJSON *list = cJSON_Parse(ids);
    const cJSON *id;
    cJSON_ArrayForEach(id, list)
    {
        char *props = NULL;
        if (!found && cJSON_IsString(id) &&
            SUCCEEDED(hcnc_query(HCNC_NAMESPACE, id->valuestring, NULL, &props, NULL)) && props &&
            strstr(props, "\"HostDefault\""))
            found = strdup(id->valuestring);
        free(props);
    }
    cJSON_Delete(list);
    free(ids);
    return found;
}

/* host-gw: cbr0_ep (.2) in the HostDefault namespace - the host vNIC. The
 * namespace is looked up first: HNS allows one HostDefault namespace. */
static HRESULT create_bridge_endpoint(k8s_cluster *c, k8s_node *n)
{
    char ip[K8S_ADDR], doc[512], *ns = NULL, *ep = NULL;
    if (k8s__cidr_host(n->pod_cidr, 2, ip) < 0)
        return E_INVALIDARG;
    snprintf(doc, sizeof doc,
             "{\"Name\":\"cbr0_ep\",\"IpConfigurations\":[{\"IpAddress\":\"%s\",\"PrefixLength\":24}],"
             V2 "}",
             ip);
    HRESULT hr = hcnc_create(HCNC_ENDPOINT, n->network_id, doc, &ep, NULL);
    if (SUCCEEDED(hr) && !(ns = host_default_namespace()))
        hr = hcnc_create(HCNC_NAMESPACE, NULL, "{\"Type\":\"HostDefault\"," V2 "}", &ns, NULL);
    if (SUCCEEDED(hr))
        hr = hcnc_namespace_endpoint(ns, ep, 1, NULL);
    if (FAILED(hr))
        k8s_log(c, "%s flannel: bridge endpoint cbr0_ep failed 0x%08X", n->name, (unsigned)hr);
    free(ns);
    free(ep);
    return hr;
}

/* 1 when the network document has a RemoteSubnetRoute for prefix. */
static bool has_remote_subnet(const cJSON *network, const char *prefix)
{
    const cJSON *policy;
    cJSON_ArrayForEach(policy, cJSON_GetObjectItem(network, "Policies"))
    {
        const cJSON *type = cJSON_GetObjectItem(policy, "Type");
        const cJSON *dest = cJSON_GetObjectItem(cJSON_GetObjectItem(policy, "Settings"),
                                                "DestinationPrefix");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "RemoteSubnetRoute") == 0 &&
            cJSON_IsString(dest) && strcmp(dest->valuestring, prefix) == 0)
            return true;
    }
    return false;
}

/* vxlan: adds the RemoteSubnetRoutes of peers the network lacks. */
static void sync_remote_subnets(k8s_cluster *c, k8s_node *n, const cJSON *network)
{
    for (size_t i = 0; i < c->n_nodes; i++) {
        const k8s_node *p = &c->nodes[i];
        if (p == n || !p->pod_cidr[0] || has_remote_subnet(network, p->pod_cidr))
            continue;
        char policy[512], request[700];
        remote_subnet_policy(c, p, policy, sizeof policy);
        snprintf(request, sizeof request,
                 "{\"ResourceType\":\"Policy\",\"RequestType\":\"Add\",\"Settings\":{\"Policies\":[%s]}}",
                 policy);
        char *error = NULL;
        HRESULT hr = hcnc_modify(HCNC_NETWORK, n->network_id, request, &error);
        if (FAILED(hr))
            k8s_log(c, "%s flannel: adding RemoteSubnetRoute %s failed 0x%08X: %s", n->name,
                    p->pod_cidr, (unsigned)hr, error ? error : "");
        free(error);
    }
}

/* The node's network as HNS has it now (NULL when it is gone: the next
 * sync looks it up by name or creates it, as a restarted flanneld does). */
static cJSON *current_network(k8s_node *n)
{
    char *props = NULL;
    if (!n->network_id[0] || FAILED(hcnc_query(HCNC_NETWORK, n->network_id, NULL, &props, NULL))) {
        free(props);
        n->network_id[0] = 0;
        return NULL;
    }
    cJSON *doc = cJSON_Parse(props);
    free(props);
    return doc;
}

/* host-gw: the host routing table holds a route to every peer pod CIDR. */
static void sync_host_routes(k8s_cluster *c, k8s_node *n)
{
    net_node_clear_routes(n->net);
    for (size_t i = 0; i < c->n_nodes; i++) {
        const k8s_node *p = &c->nodes[i];
        if (p == n || !p->pod_cidr[0])
            continue;
        if (!n->windows && c->mode == K8S_MODE_VXLAN)
            net_linux_add_vxlan_route(n->net, p->pod_cidr, p->ip, c->vni);
        else if (n->windows && c->mode == K8S_MODE_VXLAN)
            continue; /* Windows vxlan routes are RemoteSubnetRoutes */
        else
            net_node_add_route(n->net, p->pod_cidr, p->ip);
    }
}

/* flanneld's start on a node whose network exists (F3): a flanneld that
 * re-adds cbr0_ep without looking meets HNS's refusal of the address in use
 * and exits - it crash-loops, and while it does, no route is updated -
 * until cbr0_ep is removed. Returns 0 when flanneld is up. */
static int start_once(k8s_cluster *c, k8s_node *n)
{
    if (!n->flannel_started && n->flannel_recreates_bridge && c->mode == K8S_MODE_HOST_GW) {
        if (!n->network_id[0]) /* flanneld looks its network up by name at start */
            find_network(k8s_network_name(c), n->network_id);
        cJSON *network = current_network(n); /* a fresh network has nothing to collide with */
        bool collides = network && FAILED(create_bridge_endpoint(c, n));
        cJSON_Delete(network);
        if (collides) {
            k8s_log(c, "%s flannel: failed to set up the bridge endpoint; flanneld exits (crash loop)",
                    n->name);
            return -1;
        }
    }
    n->flannel_started = 1;
    return 0;
}

int k8s__flannel_sync(k8s_cluster *c, k8s_node *n)
{
    /* host-gw and vxlan routes are flannel's; static routes are the
     * script's (`route`); a NAT network has none: pods are node-private. */
    if (n->windows) {
        hcnc_use(n->hns);
        if (start_once(c, n) < 0)
            return 0; /* flanneld is down; the network, and kubelet, are still there */
    }
    if (c->mode == K8S_MODE_HOST_GW || c->mode == K8S_MODE_VXLAN)
        sync_host_routes(c, n);
    if (!n->windows)
        return 0;
    cJSON *network = current_network(n);
    if (!network) {
        find_network(k8s_network_name(c), n->network_id);
        if (!n->network_id[0] && create_network(c, n) < 0)
            return -1;
        network = current_network(n);
    }
    bool bridged = c->mode == K8S_MODE_HOST_GW || c->mode == K8S_MODE_STATIC;
    if (network && bridged && !bridge_endpoint_exists(n))
        create_bridge_endpoint(c, n); /* also after a reboot dropped it */
    bool exists = network != NULL;
    if (exists && c->mode == K8S_MODE_VXLAN)
        sync_remote_subnets(c, n, network);
    cJSON_Delete(network);
    return exists ? 0 : -1;
}
