/*
 * flannel.c - the flannel daemon's Windows backends (host-gw on L2Bridge,
 * vxlan on Overlay; consumers.md 3.3) and its Linux routes.
 *
 * flanneld's start on Windows: look the network up by name (a restart finds
 * it), delete it when it is stale (another type or subnet than the lease;
 * compared on the v2 view, where host-gw reads the same fields through v1),
 * create it when missing - host-gw through v1 POST /networks/, a
 * persistent network; vxlan through HCN with Flags 8, gone after a reboot -
 * without the ProviderAddress and DrMacAddress
 * policies, which HNS adds on its own, possibly seconds later - then wait
 * for them: host-gw polls the v1 network for its ManagementIP, vxlan the v2
 * network for its ProviderAddress policy, for at most 5 s; when they do not
 * come flanneld exits and its service manager starts it again. Until the
 * start is through flanneld has written no subnet.env, so the flannel CNI
 * plugin - and every pod ADD on the node - fails. vxlan then adds the
 * HostRoute policy when missing and publishes HNS's DrMacAddress as the
 * node's VTEP MAC in its lease.
 *
 * Running: host-gw keeps the bridge endpoint "cbr0_ep" (.2) attached to the
 * HostDefault namespace - the host vNIC - and a host route to every peer's
 * pod CIDR through the peer's address. vxlan keeps one RemoteSubnetRoute
 * per peer lease (pod CIDR, the peer's address as ProviderAddress, its VTEP
 * MAC); a lease whose MAC or address changed (the peer's network was
 * recreated) has its old route removed - settings as HNS returned them - and
 * the new one added. Linux: host-gw routes through peers, or VXLAN routes
 * through their VTEPs.
 */
#include "k8s_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

/* The VTEP MAC of Linux node i's flannel.1 device (a fixed, recognisable form). */
static void linux_vtep_mac(size_t i, char out[18])
{
    snprintf(out, 18, "00-15-5D-%02X-%02X-01", (unsigned)((i >> 8) & 0xff), (unsigned)(i & 0xff));
}

static size_t node_index(const k8s_cluster *c, const k8s_node *n)
{
    return (size_t)(n - c->nodes);
}

/* The ID of the network named name on the current HNS, or "". */
static void find_network(const char *name, char out[K8S_ADDR])
{
    char *id = NULL;
    hcnc_find_network(name, &id, NULL);
    snprintf(out, K8S_ADDR, "%s", id ? id : "");
    free(id);
}

/* The VTEP MAC peer p's lease carries: a Windows node's is its network's
 * DrMacAddress, once flanneld read it ("" before). */
static const char *lease_mac(const k8s_cluster *c, const k8s_node *p, char buf[18])
{
    if (p->windows)
        return p->vtep_mac;
    linux_vtep_mac(node_index(c, p), buf);
    return buf;
}

/* The settings of peer p's RemoteSubnetRoute. */
static void remote_subnet_settings(const k8s_cluster *c, const k8s_node *p, const char *mac,
                                   char *out, size_t size)
{
    snprintf(out, size,
             "{\"DestinationPrefix\":\"%s\",\"IsolationId\":%u,\"ProviderAddress\":\"%s\","
             "\"DistributedRouterMacAddress\":\"%s\"}",
             p->pod_cidr, c->vni, p->ip, mac);
}

/* host-gw's network through v1 (consumers.md 3.3): POST /networks/ with
 * the lease's subnet and its .1 gateway, no flags - a persistent network,
 * which HNS keeps across a reboot. */
static int create_network_v1(k8s_cluster *c, k8s_node *n, const char *gw)
{
    char doc[512], *reply = NULL;
    snprintf(doc, sizeof doc,
             "{\"Name\":\"%s\",\"Type\":\"L2Bridge\",\"Subnets\":[{\"AddressPrefix\":\"%s\","
             "\"GatewayAddress\":\"%s\"}]}",
             k8s_network_name(c), n->pod_cidr, gw);
    HRESULT hr = hcnc_hnscall("POST", "/networks/", doc, &reply);
    cJSON *env = SUCCEEDED(hr) && reply ? cJSON_Parse(reply) : NULL;
    const cJSON *id = cJSON_GetObjectItem(cJSON_GetObjectItem(env, "Output"), "ID");
    int rc = -1;
    if (cJSON_IsString(id)) {
        snprintf(n->network_id, sizeof n->network_id, "%s", id->valuestring);
        k8s_log(c, "%s flannel: created HNSNetwork %s (%s)", n->name, n->network_id,
                k8s_network_name(c));
        rc = 0;
    } else { /* HNSCall failed, or HNS answered Success:false */
        const cJSON *code = cJSON_GetObjectItem(env, "ErrorCode");
        HRESULT failed = FAILED(hr) ? hr : cJSON_IsNumber(code) ? (HRESULT)(int64_t)code->valuedouble : E_FAIL;
        char text[300];
        hcnc_error_text(reply, text, sizeof text);
        k8s_log(c, "%s flannel: unable to create network %s: hnsCall failed in Win32: %s (0x%08X)",
                n->name, k8s_network_name(c), text[0] ? text : hnsm_hresult_message(failed),
                (unsigned)failed);
    }
    cJSON_Delete(env);
    free(reply);
    return rc;
}

static int create_network(k8s_cluster *c, k8s_node *n)
{
    char gw[K8S_ADDR], doc[8192];
    if (k8s__cidr_host(n->pod_cidr, 1, gw) < 0)
        return -1;
    bool vxlan = c->mode == K8S_MODE_VXLAN;
    if (c->mode == K8S_MODE_HOST_GW)
        return create_network_v1(c, n, gw);
    int used = snprintf(doc, sizeof doc,
                        "{\"Name\":\"%s\",\"Type\":\"%s\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
                        "\"IpAddressPrefix\":\"%s\"",
                        k8s_network_name(c), k8s_network_type(c), n->pod_cidr);
    if (vxlan)
        used += snprintf(doc + used, sizeof doc - (size_t)used,
                         ",\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":%u}}]",
                         c->vni);
    /* vxlan creates its network non-persistent (Flags 8, EnableNonPersistent):
     * it is gone after a reboot until flanneld runs again (field-bugs E3, F4);
     * the static and NAT networks are made the same way (their setup
     * scripts' shapes are not in the reference). */
    snprintf(doc + used, sizeof doc - (size_t)used,
             ",\"Routes\":[{\"NextHop\":\"%s\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}],"
             "\"Flags\":8," V2 "}",
             gw);
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
             "{\"Name\":\"cbr0_ep\",\"IpConfigurations\":[{\"IpAddress\":\"%s\"}],"
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

/* The network's RemoteSubnetRoute policy for prefix, or NULL. */
static const cJSON *remote_subnet_of(const cJSON *network, const char *prefix)
{
    const cJSON *policy;
    cJSON_ArrayForEach(policy, cJSON_GetObjectItem(network, "Policies"))
    {
        const cJSON *type = cJSON_GetObjectItem(policy, "Type");
        const cJSON *dest = cJSON_GetObjectItem(cJSON_GetObjectItem(policy, "Settings"),
                                                "DestinationPrefix");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "RemoteSubnetRoute") == 0 &&
            cJSON_IsString(dest) && strcmp(dest->valuestring, prefix) == 0)
            return policy;
    }
    return NULL;
}

/* True when the string field of settings is text (case folded: MACs). */
static bool setting_is(const cJSON *settings, const char *field, const char *text)
{
    const cJSON *v = cJSON_GetObjectItem(settings, field);
    return cJSON_IsString(v) && strcasecmp(v->valuestring, text) == 0;
}

/* AddPolicy / RemovePolicy of one network policy; the result is only logged. */
static void modify_network_policy(k8s_cluster *c, k8s_node *n, const char *request_type,
                                  const char *policy, const char *what)
{
    char request[1024], *error = NULL;
    snprintf(request, sizeof request,
             "{\"ResourceType\":\"Policy\",\"RequestType\":\"%s\",\"Settings\":{\"Policies\":[%s]}}",
             request_type, policy);
    HRESULT hr = hcnc_modify(HCNC_NETWORK, n->network_id, request, &error);
    if (FAILED(hr))
        k8s_log(c, "%s flannel: %s %s failed 0x%08X: %s", n->name, request_type, what,
                (unsigned)hr, error ? error : "");
    free(error);
}

/* vxlan: one RemoteSubnetRoute per peer lease. A route whose VTEP MAC or
 * address is not the lease's any more is removed first (consumers.md 3.3
 * step 8: the settings re-marshalled from what HNS returned). */
static void sync_remote_subnets(k8s_cluster *c, k8s_node *n, const cJSON *network)
{
    for (size_t i = 0; i < c->n_nodes; i++) {
        const k8s_node *p = &c->nodes[i];
        char buf[18];
        const char *mac = lease_mac(c, p, buf);
        if (p == n || !p->pod_cidr[0] || !mac[0])
            continue;
        const cJSON *old = remote_subnet_of(network, p->pod_cidr);
        const cJSON *old_settings = cJSON_GetObjectItem(old, "Settings");
        if (old && setting_is(old_settings, "DistributedRouterMacAddress", mac) &&
            setting_is(old_settings, "ProviderAddress", p->ip))
            continue;
        if (old) {
            char *settings = cJSON_PrintUnformatted(old_settings), policy[700];
            snprintf(policy, sizeof policy, "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":%s}",
                     settings ? settings : "{}");
            free(settings);
            modify_network_policy(c, n, "Remove", policy, "RemoteSubnetRoute");
        }
        char settings[512], policy[700];
        remote_subnet_settings(c, p, mac, settings, sizeof settings);
        snprintf(policy, sizeof policy, "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":%s}", settings);
        modify_network_policy(c, n, "Add", policy, "RemoteSubnetRoute");
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
        if (!n->windows && c->mode == K8S_MODE_VXLAN) {
            if (!p->windows || p->vtep_mac[0]) /* a lease without its VTEP MAC yet */
                net_linux_add_vxlan_route(n->net, p->pod_cidr, p->ip, c->vni);
        }
        else if (n->windows && c->mode == K8S_MODE_VXLAN)
            continue; /* Windows vxlan routes are RemoteSubnetRoutes */
        else
            net_node_add_route(n->net, p->pod_cidr, p->ip);
    }
}

/* The network's first policy of type, or NULL. */
static const cJSON *find_policy(const cJSON *network, const char *type)
{
    const cJSON *policy;
    cJSON_ArrayForEach(policy, cJSON_GetObjectItem(network, "Policies"))
    {
        const cJSON *t = cJSON_GetObjectItem(policy, "Type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
            return policy;
    }
    return NULL;
}

/* The string settings field of the network's first policy of type ("" when
 * that policy lacks it), or NULL when there is no such policy. */
static const char *policy_setting(const cJSON *network, const char *type, const char *field)
{
    const cJSON *policy = find_policy(network, type);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(policy, "Settings"), field);
    return !policy ? NULL : cJSON_IsString(v) ? v->valuestring : "";
}

/* Whether HNS has given the network its management IP yet: host-gw reads
 * the v1 network's ManagementIP, vxlan the v2 ProviderAddress policy
 * (consumers.md 3.3 host-gw step 2, vxlan step 5). */
static bool management_ip_ready(const k8s_cluster *c, const k8s_node *n, const cJSON *network)
{
    if (c->mode == K8S_MODE_VXLAN) {
        const char *pa = policy_setting(network, "ProviderAddress", "ProviderAddress");
        return pa && *pa;
    }
    cJSON *v1 = hcnc_v1_network(n->network_id);
    const cJSON *ip = cJSON_GetObjectItem(v1, "ManagementIP");
    bool ready = cJSON_IsString(ip) && ip->valuestring[0];
    cJSON_Delete(v1);
    return ready;
}

void k8s_flannel_restart(k8s_cluster *c, k8s_node *n)
{
    (void)c;
    n->network_id[0] = 0; /* flanneld looks its network up again */
    n->flannel_started = 0;
    n->flannel_waiting = 0;
}

/* The F3 start: a flanneld that re-adds cbr0_ep without looking meets HNS's
 * refusal of the address in use on a network that already has it, and exits
 * - it crash-loops, and while it does no route is updated - until cbr0_ep is
 * removed. True when this start attempt collides. */
static bool bridge_collides(k8s_cluster *c, k8s_node *n, const cJSON *network)
{
    if (!network || !n->flannel_recreates_bridge || c->mode != K8S_MODE_HOST_GW ||
        SUCCEEDED(create_bridge_endpoint(c, n)))
        return false;
    k8s_log(c, "%s flannel: failed to set up the bridge endpoint; flanneld exits (crash loop)",
            n->name);
    return true;
}

/* vxlan, once the management IP is there: the HostRoute policy when missing
 * (step 6; a failure is only logged) and HNS's DrMacAddress as the lease's
 * VTEP MAC (step 7). False when the network has no DR MAC: flanneld exits. */
static bool publish_vtep(k8s_cluster *c, k8s_node *n, const cJSON *network)
{
    if (!find_policy(network, "HostRoute"))
        modify_network_policy(c, n, "Add", "{\"Type\":\"HostRoute\",\"Settings\":{}}", "HostRoute");
    const char *mac = policy_setting(network, "DrMacAddress", "Address");
    if (!mac || !*mac) {
        k8s_log(c, "%s flannel: network %s has no DrMacAddress; flanneld exits", n->name,
                k8s_network_name(c));
        return false;
    }
    if (strcasecmp(n->vtep_mac, mac) != 0)
        k8s_log(c, "%s flannel: lease VTEP MAC %s", n->name, mac);
    snprintf(n->vtep_mac, sizeof n->vtep_mac, "%s", mac);
    return true;
}

/* Whether flanneld finds network, its own by name, stale: of another type,
 * or for another subnet than the node's lease (consumers.md 3.3, step 4 of
 * vxlan, step 1 of host-gw; field-bugs F4). Then it deletes it, to create
 * it anew. Returns 0 (fine), 1 (deleted) or -1 (stale, and the delete
 * failed). */
static int stale_network(k8s_cluster *c, k8s_node *n, const cJSON *network)
{
    const cJSON *type = cJSON_GetObjectItem(network, "Type"), *ipams = cJSON_GetObjectItem(network, "Ipams");
    const cJSON *subnet = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(ipams, 0), "Subnets"), 0);
    const cJSON *prefix = cJSON_GetObjectItem(subnet, "IpAddressPrefix");
    const char *have_type = cJSON_IsString(type) ? type->valuestring : "";
    const char *have_prefix = cJSON_IsString(prefix) ? prefix->valuestring : "";
    if (!strcasecmp(have_type, k8s_network_type(c)) && !strcmp(have_prefix, n->pod_cidr))
        return 0;
    k8s_log(c, "%s flannel: network %s is stale (%s %s, the lease is %s %s): deleting it", n->name,
            k8s_network_name(c), have_type, have_prefix, k8s_network_type(c), n->pod_cidr);
    HRESULT hr = hcnc_delete(HCNC_NETWORK, n->network_id, NULL);
    if (FAILED(hr)) { /* ensureNetwork gives up: flanneld exits, to try again */
        k8s_log(c, "%s flannel: failed to delete existing HostComputeNetwork %s: 0x%08X; flanneld "
                   "exits",
                n->name, k8s_network_name(c), (unsigned)hr);
        return -1;
    }
    n->network_id[0] = 0;
    return 1;
}

/* flanneld's start on Windows (see the top of this file), one step per
 * sync. Returns the network (the caller deletes it) once flanneld is up,
 * NULL while it is not: crash-looping, waiting for the management IP, or
 * without a network it could create. */
static cJSON *start(k8s_cluster *c, k8s_node *n)
{
    if (!n->flannel_started && c->mode == K8S_MODE_VXLAN && c->vni < 4096) {
        /* the config check, before any HNS call (vxlan step 1) */
        if (!n->flannel_bad_config)
            k8s_log(c, "%s flannel: VNI %u is not supported on Windows: the vxlan backend needs a "
                       "VNI of 4096 or more; flanneld exits (and keeps exiting)",
                    n->name, c->vni);
        n->flannel_bad_config = 1;
        return NULL;
    }
    if (!n->network_id[0]) /* flanneld looks its network up by name at start */
        find_network(k8s_network_name(c), n->network_id);
    cJSON *network = current_network(n);
    if (n->flannel_started)
        return network;
    int stale = network ? stale_network(c, n, network) : 0;
    if (stale) {
        cJSON_Delete(network);
        network = NULL;
        if (stale < 0) { /* it could not be deleted: flanneld exits */
            k8s_flannel_restart(c, n);
            return NULL;
        }
    }
    bool existed = network != NULL;
    if (!network && create_network(c, n) == 0)
        network = current_network(n);
    if (!network)
        return NULL;
    if (!management_ip_ready(c, n, network)) {
        if (!n->flannel_waiting) {
            n->flannel_waiting = 1;
            n->flannel_wait_since_ms = c->now_ms;
            k8s_log(c, "%s flannel: waiting for the management IP of %s", n->name,
                    k8s_network_name(c));
        } else if (c->now_ms - n->flannel_wait_since_ms >= K8S_FLANNEL_MANAGEMENT_IP_WAIT_MS) {
            k8s_log(c, "%s flannel: timed out waiting for the management IP of %s; flanneld "
                       "exits and is started again",
                    n->name, k8s_network_name(c));
            k8s_flannel_restart(c, n);
            cJSON_Delete(network);
            return start(c, n); /* the new process: finds its network, waits anew */
        }
        cJSON_Delete(network);
        return NULL;
    }
    n->flannel_waiting = 0;
    /* Step 3, after the management IP (step 2): the bridge endpoint. */
    if (existed && bridge_collides(c, n, network)) {
        cJSON_Delete(network);
        return NULL;
    }
    if (c->mode == K8S_MODE_VXLAN && !publish_vtep(c, n, network)) {
        k8s_flannel_restart(c, n);
        cJSON_Delete(network);
        return NULL;
    }
    n->flannel_started = 1;
    if (c->mode == K8S_MODE_VXLAN) { /* the HostRoute just added */
        cJSON_Delete(network);
        network = current_network(n);
    }
    return network;
}

void k8s__flannel_start(k8s_cluster *c, k8s_node *n)
{
    if (!n->windows || c->mode == K8S_MODE_NAT || n->flannel_started)
        return;
    hcnc_use(n->hns);
    cJSON_Delete(start(c, n));
}

int k8s__flannel_sync(k8s_cluster *c, k8s_node *n)
{
    /* host-gw and vxlan routes are flannel's; static routes are the
     * script's (`route`); a NAT network has none: pods are node-private. */
    bool routed = c->mode == K8S_MODE_HOST_GW || c->mode == K8S_MODE_VXLAN;
    if (!n->windows) {
        if (routed)
            sync_host_routes(c, n);
        return 0;
    }
    hcnc_use(n->hns);
    cJSON *network;
    if (c->mode == K8S_MODE_NAT) {
        network = current_network(n);
        if (!network) {
            find_network(k8s_network_name(c), n->network_id);
            if (!n->network_id[0] && create_network(c, n) < 0)
                return -1;
            network = current_network(n);
        }
        bool exists = network != NULL;
        cJSON_Delete(network);
        return exists ? 0 : -1;
    }
    /* The start ran already in this reconcile (k8s__flannel_start). */
    network = n->flannel_started ? current_network(n) : NULL;
    if (!network && n->flannel_started) { /* the network went away: flanneld starts again */
        k8s_flannel_restart(c, n);
        network = start(c, n);
    }
    if (n->flannel_started) {
        n->flannel_subnet_env = 1;
        if (routed) /* a crash-looping or waiting flanneld updates no route */
            sync_host_routes(c, n);
    }
    bool bridged = c->mode == K8S_MODE_HOST_GW || c->mode == K8S_MODE_STATIC;
    if (network && bridged && !bridge_endpoint_exists(n))
        create_bridge_endpoint(c, n); /* also after a reboot dropped it */
    if (network && c->mode == K8S_MODE_VXLAN)
        sync_remote_subnets(c, n, network);
    cJSON_Delete(network);
    /* The flannel CNI plugin needs the subnet.env a started flanneld wrote
     * (it stays on disk across flanneld restarts and reboots). */
    return n->flannel_subnet_env ? 0 : -1;
}
