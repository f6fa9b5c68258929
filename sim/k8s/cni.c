/*
 * cni.c - the CNI plugin of each node: win-bridge / win-overlay on Windows
 * (consumers.md 3.2), a host-local bridge on Linux.
 *
 * Windows ADD, as the plugins do it through HCN: a namespace for the pod
 * sandbox, an endpoint on the node's flannel network with the next address
 * of the node's pod CIDR (no mask: HNS takes the subnet's), a default
 * route through the gateway, the cluster DNS address (kubelet's
 * --cluster-dns, the service CIDR's .10) as its Dns.ServerList, and the
 * plugin's policies - win-overlay: its 0E-2A MAC and a ProviderAddress
 * policy from the network's v1 ManagementIP - OutBoundNAT whose
 * Exceptions are the cluster, service and node CIDRs, or the list of the
 * node's CNI config when the scenario gives one (field-bugs B5), an
 * SDNRoute of the service CIDR with NeedEncap (L2Bridge), a PortMapping per
 * hostPort when the CNI config has the portMappings capability (K1) - then
 * the attach; an ADD that fails gives its address back. DEL releases the
 * address (the plugins' IPAM DEL comes first, consumers.md 3.2), then
 * deletes the endpoint and the namespace. A DEL whose endpoint
 * is already gone succeeds (the fixed plugins treat "not found" as done),
 * unless the node's plugin is strict (cni_del_strict, field-bugs C4; Azure
 * CNI's behaviour in #715/#831 - win-bridge and win-overlay run their IPAM
 * DEL first, consumers.md 3.2): then it fails before releasing the
 * address, the kubelet removes the pod anyway, and the address stays
 * recorded in IPAM - leaked. A terminating pod with a grace period (delete_after_ms, set by the
 * scenario's `delete ... grace=` or `scale ... grace=`) gets its DEL, on
 * Windows and Linux, only once the period is over: its containers still
 * run until then. Addresses come from host-local IPAM (ipam.c).
 *
 * A named choice: endpoints are called "<pod>_<network>" where the plugins
 * use "<sandbox ID>_<network>" (consumers.md 3.2), a 64-digit container ID.
 * Names stay readable in traces and HNS listings, and scripts can find a
 * pod's endpoint by name. As pods of one name in two namespaces share it,
 * DEL takes, of the endpoints so named, the one its ADD created.
 */
#include "k8s_internal.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

/* An address from the node's IPAM, or -1 with host-local's error logged. */
static int next_address(k8s_cluster *c, k8s_node *n, const k8s_pod *p, char out[K8S_ADDR])
{
    if (k8s__ipam_allocate(n, out) == 0)
        return 0;
    char first[K8S_ADDR], last[K8S_ADDR];
    k8s__ipam_range(n, first, last);
    k8s_log(c, "%s cni: ADD %s/%s failed: failed to allocate for range 0: no IP addresses "
               "available in range set: %s-%s",
            n->name, p->ns, p->name, first, last);
    return -1;
}

/* The OutBoundNAT Exceptions as a JSON list body ("\"a\",\"b\""): the node's
 * CNI config list when it has one ("none" = empty), else the cluster,
 * service and node CIDRs. */
static void nat_exceptions(const k8s_cluster *c, const k8s_node *n, char *out, size_t size)
{
    int used = 0;
    out[0] = 0;
    if (!n->cni_nat_exceptions[0]) {
        snprintf(out, size, "\"%s\",\"%s\"%s%s%s", c->pod_cidr, c->service_cidr,
                 c->node_cidr[0] ? ",\"" : "", c->node_cidr, c->node_cidr[0] ? "\"" : "");
        return;
    }
    if (!strcmp(n->cni_nat_exceptions, "none"))
        return;
    char list[sizeof n->cni_nat_exceptions];
    snprintf(list, sizeof list, "%s", n->cni_nat_exceptions);
    for (char *save = NULL, *item = strtok_r(list, ",", &save); item && (size_t)used < size;
         item = strtok_r(NULL, ",", &save))
        used += snprintf(out + used, size - (size_t)used, "%s\"%s\"", used ? "," : "", item);
}

/* The endpoint policies of the plugin for pod p. */
static void pod_policies(const k8s_cluster *c, const k8s_node *n, const k8s_pod *p, char *out,
                         size_t size)
{
    char exceptions[512] = "";
    if (c->mode != K8S_MODE_NAT) /* WinNAT translates everything that leaves */
        nat_exceptions(c, n, exceptions, sizeof exceptions);
    int used = snprintf(out, size, "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":[%s]}}",
                        exceptions);
    if (c->mode == K8S_MODE_HOST_GW || c->mode == K8S_MODE_STATIC)
        used += snprintf(out + used, size - (size_t)used,
                         ",{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"%s\","
                         "\"NeedEncap\":true}}",
                         c->service_cidr);
    for (size_t i = 0; n->cni_port_mappings && i < p->n_ports; i++)
        if (p->ports[i].host_port)
            used += snprintf(out + used, size - (size_t)used,
                             ",{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":%u,"
                             "\"InternalPort\":%u,\"ExternalPort\":%u}}",
                             p->ports[i].protocol, p->ports[i].port, p->ports[i].host_port);
}

/* The plugin's network lookup by name (consumers.md 3.2), with its error
 * text when HNS fails it or has no such network. NULL on failure. */
static char *plugin_network(k8s_cluster *c, k8s_node *n, const k8s_pod *p)
{
    char *id = NULL, *error = NULL;
    HRESULT hr = hcnc_find_network(k8s_network_name(c), &id, &error);
    if (FAILED(hr) || !id) {
        char message[300];
        hcnc_error_text(error, message, sizeof message);
        if (!message[0])
            snprintf(message, sizeof message, "Element not found.");
        k8s_log(c, "%s cni: ADD %s/%s failed: network %s not found: hnsCall failed in Win32: %s (0x%08X)",
                n->name, p->ns, p->name, k8s_network_name(c), message,
                (unsigned)(FAILED(hr) ? hr : (HRESULT)0x80070490));
    }
    free(error);
    return id;
}

/* win-overlay's v1 look at its network (consumers.md 3.2): the
 * ManagementIP, for the ProviderAddress policy, and the first subnet's
 * gateway. 0, or -1 when HNS does not answer. */
static int overlay_v1_network(const char *network_id, char mgmt[K8S_ADDR], char gw[K8S_ADDR])
{
    cJSON *out = hcnc_v1_network(network_id);
    const cJSON *ip = cJSON_GetObjectItem(out, "ManagementIP");
    const cJSON *gateway = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "Subnets"), 0),
                                               "GatewayAddress");
    snprintf(mgmt, K8S_ADDR, "%s", cJSON_IsString(ip) ? ip->valuestring : "");
    snprintf(gw, K8S_ADDR, "%s", cJSON_IsString(gateway) ? gateway->valuestring : "");
    int rc = out ? 0 : -1;
    cJSON_Delete(out);
    return rc;
}

/* The endpoint document of pod p with address ip (consumers.md 3.2, the
 * create row): only IpAddress - HNS takes the mask from the network's
 * subnet - the default route through the gateway, the DNS settings and the
 * policies; win-overlay adds its MAC (0E-2A and the IPv4 bytes) and a
 * ProviderAddress policy with the network's v1 ManagementIP. */
static int endpoint_document(const k8s_cluster *c, const k8s_node *n, const k8s_pod *p,
                             const char *network, const char *ip, char *doc, size_t size)
{
    char policies[2048], gw[K8S_ADDR] = "", mgmt[K8S_ADDR] = "", mac[40] = "";
    pod_policies(c, n, p, policies, sizeof policies);
    if (c->mode == K8S_MODE_VXLAN) {
        uint32_t a = 0;
        unsigned b[4];
        if (overlay_v1_network(network, mgmt, gw) < 0 ||
            sscanf(ip, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4)
            return -1;
        a = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        snprintf(mac, sizeof mac, ",\"MacAddress\":\"0E-2A-%02x-%02x-%02x-%02x\"", a >> 24,
                 (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
        if (mgmt[0])
            snprintf(policies + strlen(policies), sizeof policies - strlen(policies),
                     ",{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"%s\"}}",
                     mgmt);
    }
    if (!gw[0] && k8s__cidr_host(n->pod_cidr, c->mode == K8S_MODE_VXLAN ? 1 : 2, gw) < 0)
        return -1; /* win-bridge: the subnet's base + 2, the bridge endpoint */
    /* The CNI config's dns.nameservers: the cluster DNS (kubelet --cluster-dns). */
    char servers[K8S_ADDR + 32] = "";
    if (c->dns_ip[0])
        snprintf(servers, sizeof servers, ",\"ServerList\":[\"%s\"]", c->dns_ip);
    snprintf(doc, size,
             "{\"Name\":\"%s_%s\"%s,\"IpConfigurations\":[{\"IpAddress\":\"%s\"}],"
             "\"Routes\":[{\"NextHop\":\"%s\",\"DestinationPrefix\":\"0.0.0.0/0\"}],"
             "\"Dns\":{\"Search\":[\"%s.svc.cluster.local\"]%s},\"Policies\":[%s]," V2 "}",
             p->name, k8s_network_name(c), mac, ip, gw, p->ns, servers, policies);
    return 0;
}

static int windows_add(k8s_cluster *c, k8s_node *n, k8s_pod *p)
{
    char ip[K8S_ADDR], doc[4096];
    hcnc_use(n->hns);
    char *network = plugin_network(c, n, p);
    if (!network)
        return -1;
    if (next_address(c, n, p, ip) < 0) {
        free(network);
        return -1;
    }
    if (endpoint_document(c, n, p, network, ip, doc, sizeof doc) < 0) {
        k8s_log(c, "%s cni: ADD %s/%s failed: cannot read network %s", n->name, p->ns, p->name,
                k8s_network_name(c));
        k8s__ipam_release(n, ip);
        free(network);
        return -1;
    }
    char *ns = NULL, *ep = NULL, *error = NULL;
    HRESULT hr = hcnc_create(HCNC_NAMESPACE, NULL, "{" V2 "}", &ns, &error);
    if (SUCCEEDED(hr)) {
        free(error);
        error = NULL;
        hr = hcnc_create(HCNC_ENDPOINT, network, doc, &ep, &error);
    }
    if (SUCCEEDED(hr)) {
        free(error);
        error = NULL;
        hr = hcnc_namespace_endpoint(ns, ep, 1, &error);
    }
    if (FAILED(hr)) {
        k8s_log(c, "%s cni: ADD %s/%s failed 0x%08X: %s", n->name, p->ns, p->name, (unsigned)hr,
                error ? error : "");
        if (ep)
            hcnc_delete(HCNC_ENDPOINT, ep, NULL);
        if (ns)
            hcnc_delete(HCNC_NAMESPACE, ns, NULL);
        k8s__ipam_release(n, ip); /* the plugin's ipam DEL on a failed ADD */
        free(network);
        free(ns);
        free(ep);
        free(error);
        return -1;
    }
    snprintf(p->ip, sizeof p->ip, "%s", ip);
    snprintf(p->endpoint_id, sizeof p->endpoint_id, "%s", ep);
    snprintf(p->namespace_id, sizeof p->namespace_id, "%s", ns);
    snprintf(p->dns_server, sizeof p->dns_server, "%s", c->dns_ip);
    free(network);
    free(ns);
    free(ep);
    free(error);
    return 0;
}

/* HCN_E_ENDPOINT_NOT_FOUND and friends: DEL of something already gone. */
static int gone(HRESULT hr)
{
    return hr == (HRESULT)0x803B0002 || hr == (HRESULT)0x803B0003 || hr == (HRESULT)0x80070490;
}

/* GetEndpointByName: the endpoint named name - of the pods of one name in
 * several namespaces (the model's names are not unique, the plugins'
 * sandbox IDs are) the one that ADD made, created_id. S_OK, 0x80070490
 * (Element not found) when there is none, or HNS's failure. */
static HRESULT endpoint_by_name(const char *name, const char *created_id, char id[K8S_ADDR],
                                char **error)
{
    char *ids = NULL;
    HRESULT hr = hcnc_find_endpoints(name, &ids, error);
    cJSON *list = SUCCEEDED(hr) && ids ? cJSON_Parse(ids) : NULL;
    const cJSON *each;
    id[0] = 0;
    cJSON_ArrayForEach(each, list)
        if (cJSON_IsString(each) && !strcasecmp(each->valuestring, created_id))
            snprintf(id, K8S_ADDR, "%s", each->valuestring);
    if (!id[0] && SUCCEEDED(hr))
        hr = (HRESULT)0x80070490;
    cJSON_Delete(list);
    free(ids);
    return hr;
}

/* DEL as win-bridge / win-overlay run it (consumers.md 3.2): IPAM DEL,
 * GetEndpointByName, GetNamespaceByID, RemoveNamespaceEndpoint, Delete.
 * An endpoint already gone is done (strict plugins: C4, see the top); a
 * namespace already gone, or an endpoint no longer in it (an earlier try
 * detached it), skips the detach. Another failure fails the DEL, which the
 * kubelet runs again. */
static int windows_del(k8s_cluster *c, k8s_node *n, k8s_pod *p)
{
    if (!p->endpoint_id[0]) { /* ADD never got this far: no sandbox network to tear down */
        k8s__ipam_release(n, p->ip);
        return 0;
    }
    if (!n->cni_del_strict) /* win-bridge / win-overlay: the IPAM DEL comes first */
        k8s__ipam_release(n, p->ip);
    hcnc_use(n->hns);
    char name[2 * K8S_NAME], ep[K8S_ADDR], *error = NULL, *props = NULL;
    snprintf(name, sizeof name, "%s_%s", p->name, k8s_network_name(c));
    HRESULT hr = endpoint_by_name(name, p->endpoint_id, ep, &error);
    if (SUCCEEDED(hr)) {
        free(error);
        error = NULL;
        hr = hcnc_query(HCNC_NAMESPACE, p->namespace_id, NULL, &props, &error);
        free(props);
        if (SUCCEEDED(hr)) {
            free(error);
            error = NULL;
            hr = hcnc_namespace_endpoint(p->namespace_id, ep, 0, &error);
        }
        if (FAILED(hr) && gone(hr)) { /* no namespace, or detached by an earlier try */
            free(error);
            error = NULL;
            hr = S_OK;
        }
        if (SUCCEEDED(hr)) {
            free(error);
            error = NULL;
            hr = hcnc_delete(HCNC_ENDPOINT, ep, &error);
        }
    }
    if (FAILED(hr) && gone(hr) && n->cni_del_strict) {
        /* C4: the plugin errors out before its IPAM DEL; the kubelet gives
         * up and removes the pod; the address stays recorded. */
        k8s_log(c, "%s cni: DEL %s/%s failed: Failed to delete endpoint: hns failed with error : "
                   "The endpoint was not found. (0x%08X); %s stays allocated in IPAM",
                n->name, p->ns, p->name, (unsigned)hr, p->ip);
        free(error);
        hcnc_delete(HCNC_NAMESPACE, p->namespace_id, NULL);
        return 0;
    }
    if (FAILED(hr) && !gone(hr)) {
        k8s_log(c, "%s cni: DEL %s/%s failed 0x%08X: %s", n->name, p->ns, p->name, (unsigned)hr,
                error ? error : "");
        free(error);
        return -1;
    }
    free(error);
    hcnc_delete(HCNC_NAMESPACE, p->namespace_id, NULL);
    k8s__ipam_release(n, p->ip); /* the strict plugin's IPAM DEL, after HNS */
    return 0;
}

int k8s__cni_add(k8s_cluster *c, k8s_node *n, k8s_pod *p)
{
    if (n->windows)
        return windows_add(c, n, p);
    char ip[K8S_ADDR];
    if (next_address(c, n, p, ip) < 0)
        return -1;
    if (net_linux_add_pod(n->net, ip, p->name) < 0) {
        k8s__ipam_release(n, ip);
        return -1;
    }
    snprintf(p->ip, sizeof p->ip, "%s", ip);
    return 0;
}

int k8s__cni_del(k8s_cluster *c, k8s_node *n, k8s_pod *p)
{
    /* Graceful termination: the kubelet tears the sandbox down (CNI DEL)
     * when the containers have stopped, at the end of the grace period. */
    if (p->delete_after_ms > c->now_ms)
        return -1;
    if (n->windows)
        return windows_del(c, n, p);
    net_linux_remove_pod(n->net, p->ip);
    k8s__ipam_release(n, p->ip);
    return 0;
}
