/*
 * endpoint_v1.c - endpoints in the v1 (HNSCall) world: reading v1 HNSEndpoint
 * documents, and the v1 attach/detach state.
 *
 * v1 attach (HNSCall POST /endpoints/<id>/attach, hcn-api.md 5.2-5.3): a Host
 * attach (flannel's and Calico's HostAttach) or Container attaches (shared by
 * several containers, listed in SharedContainers) are kept in the v1_attach
 * column; a VirtualMachine attach is the same VM port state a v2 Port attach
 * keeps. One system at a time: any other attach while attached, or the same
 * container twice, is HCN_E_ENDPOINT_ALREADY_ATTACHED ("This endpoint is
 * already attached to the switch.", which flannel matches as success).
 */
#include "endpoint_internal.h"

#include "hresult.h"
#include "jsonx.h"
#include "notify.h"

#include <computenetwork.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- v1 input ----------------------------------------------------------------- */

bool hnsm__endpoint_doc_is_v1(const cJSON *doc)
{
    if (cJSON_GetObjectItem(doc, "SchemaVersion") || cJSON_GetObjectItem(doc, "IpConfigurations") ||
        cJSON_GetObjectItem(doc, "HostComputeNetwork"))
        return false;
    static const char *const v1_keys[] = {"VirtualNetwork",
                                          "VirtualNetworkName",
                                          "IPAddress",
                                          "PrefixLength",
                                          "DNSServerList",
                                          "DNSSuffix",
                                          "GatewayAddress",
                                          "IsRemoteEndpoint",
                                          "EnableInternalDNS",
                                          "DisableICC",
                                          "EnableLowMetric",
                                          "EncapOverhead",
                                          NULL};
    for (int i = 0; v1_keys[i]; i++)
        if (cJSON_GetObjectItem(doc, v1_keys[i]))
            return true;
    return false;
}

HRESULT hnsm__endpoint_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    cJSON *v2 = cJSON_CreateObject();
    HRESULT hr = S_OK;
    const cJSON *item;
    static const char *const copied[] = {"ID", "Name", "MacAddress"};
    for (int i = 0; i < 3; i++)
        if ((item = cJSON_GetObjectItem(v1, copied[i])))
            cJSON_AddItemToObject(v2, copied[i], cJSON_Duplicate(item, 1));
    if ((item = cJSON_GetObjectItem(v1, "VirtualNetwork")))
        cJSON_AddItemToObject(v2, "HostComputeNetwork", cJSON_Duplicate(item, 1));

    cJSON *policies = cJSON_AddArrayToObject(v2, "Policies");
    const cJSON *list = NULL;
    if (FAILED(hr = jx_array(v1, "Policies", bad, &list)))
        goto fail;
    cJSON_ArrayForEach(item, list)
    {
        cJSON *p;
        if (FAILED(hr = hnsm__policy_from_v1(HNSM_POLICY_ENDPOINT, item, &p)))
            goto fail;
        cJSON_AddItemToArray(policies, p);
    }
    uint64_t overhead = 0;
    if (FAILED(hr = jx_uint(v1, "EncapOverhead", 0xFFFF, bad, &overhead)))
        goto fail;
    if (overhead) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Type", "EncapOverhead");
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(p, "Settings"), "Overhead",
                                (double)overhead);
        cJSON_AddItemToArray(policies, p);
    }

    cJSON *configs = cJSON_AddArrayToObject(v2, "IpConfigurations");
    cJSON *routes = cJSON_AddArrayToObject(v2, "Routes");
    static const char *const families[2][4] = {
        {"IPAddress", "PrefixLength", "GatewayAddress", "0.0.0.0/0"},
        {"IPv6Address", "IPv6PrefixLength", "GatewayAddressV6", "::/0"}};
    for (int f = 0; f < 2; f++) {
        const char *ip = NULL, *gw = NULL;
        uint64_t len = 0;
        if (FAILED(hr = jx_string(v1, families[f][0], bad, &ip)) ||
            FAILED(hr = jx_uint(v1, families[f][1], 128, bad, &len)) ||
            FAILED(hr = jx_string(v1, families[f][2], bad, &gw)))
            goto fail;
        if (ip && *ip) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "IpAddress", ip);
            jx_put_uint(c, "PrefixLength", len);
            cJSON_AddItemToArray(configs, c);
        }
        if (gw && *gw) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "NextHop", gw);
            cJSON_AddStringToObject(r, "DestinationPrefix", families[f][3]);
            cJSON_AddItemToArray(routes, r);
        }
    }
    const char *suffix = NULL, *servers = NULL;
    if (FAILED(hr = jx_string(v1, "DNSSuffix", bad, &suffix)) ||
        FAILED(hr = jx_string(v1, "DNSServerList", bad, &servers)))
        goto fail;
    cJSON *dns = cJSON_AddObjectToObject(v2, "Dns");
    jx_put_string(dns, "Domain", suffix);
    if (servers && *servers) {
        cJSON *list_out = cJSON_AddArrayToObject(dns, "ServerList");
        char buf[256];
        const char *s = servers;
        while (*s) {
            const char *comma = strchr(s, ',');
            size_t n = comma ? (size_t)(comma - s) : strlen(s);
            if (n && n < sizeof buf) {
                memcpy(buf, s, n);
                buf[n] = '\0';
                cJSON_AddItemToArray(list_out, cJSON_CreateString(buf));
            }
            if (!comma)
                break;
            s = comma + 1;
        }
    }
    static const struct {
        const char *key;
        uint32_t bit;
    } flag_keys[] = {{"IsRemoteEndpoint", 1},
                     {"DisableICC", 2},
                     {"EnableLowMetric", 8},
                     {"EnableInternalDNS", 16}};
    uint64_t flags = 0;
    for (size_t i = 0; i < sizeof flag_keys / sizeof flag_keys[0]; i++) {
        bool on = false;
        if (FAILED(hr = jx_bool(v1, flag_keys[i].key, bad, &on)))
            goto fail;
        if (on)
            flags |= flag_keys[i].bit;
    }
    jx_put_uint(v2, "Flags", flags);
    *out = v2;
    return S_OK;
fail:
    cJSON_Delete(v2);
    return hr;
}

/* ---- v1 attach and detach (HNSCall /endpoints/<id>/attach, /detach) -------------------- */

/* EndpointAttachDetachRequest.SystemType (hcn-api.md 5.3). */
static const jx_enum_entry v1_system_types[] = {
    {"Container", 0}, {"VirtualMachine", 1}, {"Host", 2}, {NULL, 0}};
enum { V1_SYSTEM_CONTAINER = 0, V1_SYSTEM_VM = 1, V1_SYSTEM_HOST = 2 };

/* The fields of an EndpointAttachDetachRequest, read as HNS reads them. */
typedef struct v1_attach_request {
    int system;            /* V1_SYSTEM_* */
    const char *container; /* ContainerId, or NULL */
    uint64_t compartment;  /* CompartmentId (uint16 in hcsshim), 0 when absent */
    const char *nic;       /* VirtualNicName, or NULL */
} v1_attach_request;

static HRESULT v1_attach_read(const hnsm_instance *inst, const cJSON *request,
                              v1_attach_request *out)
{
    const HRESULT bad = hnsm__type_error(inst);
    memset(out, 0, sizeof *out);
    out->system = -1;
    HRESULT hr;
    if (FAILED(hr = jx_enum(request, "SystemType", v1_system_types, bad, &out->system)) ||
        FAILED(hr = jx_string(request, "ContainerId", bad, &out->container)) ||
        FAILED(hr = jx_uint(request, "CompartmentId", 0xFFFF, bad, &out->compartment)) ||
        FAILED(hr = jx_string(request, "VirtualNicName", bad, &out->nic)))
        return hr;
    /* hcsshim always sends SystemType; without it HNS cannot tell what to attach. */
    if (out->system < 0)
        return hnsm__detail(HNSM_E_INVALIDARG, "SystemType is required");
    if (out->system == V1_SYSTEM_CONTAINER && (!out->container || !*out->container))
        return hnsm__detail(HNSM_E_INVALIDARG, "a Container attach or detach needs ContainerId");
    return S_OK;
}

/* The index of container (compared case-insensitively, as hcsshim's
 * IsAttached does) in the v1 Containers list, or -1. */
static int v1_container_index(const cJSON *attach, const char *container)
{
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(attach, "Containers"))
    {
        const cJSON *cid = cJSON_GetObjectItem(c, "ContainerId");
        if (cJSON_IsString(cid) && strcasecmp(cid->valuestring, container) == 0)
            return i;
        i++;
    }
    return -1;
}

/* Raises the attach/detach notification of a v1 request; Data names what
 * the endpoint was attached to. */
static void v1_attach_event(hnsm_instance *inst, uint32_t type, const char *id,
                            const v1_attach_request *req)
{
    if (!hnsm__events_wanted(inst))
        return; /* nobody listens: build nothing */
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "SystemType", jx_enum_name(v1_system_types, req->system));
    if (req->system == V1_SYSTEM_CONTAINER)
        cJSON_AddStringToObject(data, "ContainerId", req->container);
    if (req->system == V1_SYSTEM_VM && req->nic)
        cJSON_AddStringToObject(data, "VirtualNicName", req->nic);
    hnsm__event(inst, type, id, data);
    cJSON_Delete(data);
}

HRESULT hnsm__endpoint_v1_attach(hnsm_instance *inst, const char *id, const cJSON *request)
{
    endpoint_row row;
    v1_attach_request req;
    HRESULT hr = v1_attach_read(inst, request, &req);
    if (FAILED(hr) || FAILED(hr = hnsm__endpoint_load(inst, id, &row)))
        return hr;
    const cJSON *system = cJSON_GetObjectItem(row.v1_attach, "SystemType");
    bool host_attached = cJSON_IsString(system) && strcmp(system->valuestring, "Host") == 0;
    if (row.flags & HNSM_EP_FLAG_REMOTE) {
        hr = hnsm__detail(HNSM_HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION,
                          "a remote endpoint cannot be attached");
    } else if (row.namespace_id[0]) {
        hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS,
                          "endpoint %s is in namespace %s", id, row.namespace_id);
    } else if (row.vm_port || host_attached ||
               (row.v1_attach && req.system != V1_SYSTEM_CONTAINER) ||
               (req.system == V1_SYSTEM_CONTAINER &&
                v1_container_index(row.v1_attach, req.container) >= 0)) {
        /* flannel host-gw repeats HostAttach and matches this message's text
         * as success (consumers.md 1.3, 3.3). */
        hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_ALREADY_ATTACHED, "endpoint %s is already attached",
                          id);
    } else if (req.system == V1_SYSTEM_VM) {
        if (!req.nic || !*req.nic) {
            hr = hnsm__detail(HNSM_E_INVALIDARG, "a VirtualMachine attach needs VirtualNicName");
        } else {
            /* The same VM port state a v2 Port attach keeps (modify_port). */
            row.vm_port = cJSON_CreateObject();
            cJSON_AddStringToObject(row.vm_port, "PortId", "");
            cJSON_AddStringToObject(row.vm_port, "VirtualNicName", req.nic);
            cJSON_AddStringToObject(row.vm_port, "VirtualMachineId", "");
            row.state = HNSM_EP_ATTACHED;
        }
    } else {
        /* Host and Container attaches put the vNIC in a compartment, as a
         * namespace attach does: the same State (choice NAMESPACE_ATTACH_STATE). */
        if (!row.v1_attach) {
            row.v1_attach = cJSON_CreateObject();
            cJSON_AddStringToObject(row.v1_attach, "SystemType",
                                    jx_enum_name(v1_system_types, req.system));
        }
        if (req.system == V1_SYSTEM_HOST) {
            cJSON_AddNumberToObject(row.v1_attach, "CompartmentId",
                                    req.compartment ? (double)req.compartment : 1);
        } else {
            cJSON *list = cJSON_GetObjectItem(row.v1_attach, "Containers");
            if (!list)
                list = cJSON_AddArrayToObject(row.v1_attach, "Containers");
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "ContainerId", req.container);
            cJSON_AddNumberToObject(c, "CompartmentId", (double)req.compartment);
            cJSON_AddItemToArray(list, c);
        }
        row.state = hnsm__choice(inst, HNSM_CHOICE_NAMESPACE_ATTACH_STATE);
    }
    if (SUCCEEDED(hr))
        hr = hnsm__endpoint_save(inst, id, &row);
    if (SUCCEEDED(hr))
        v1_attach_event(inst, HcnNotificationNetworkEndpointAttached, id, &req);
    hnsm__endpoint_row_free(&row);
    return hr;
}

HRESULT hnsm__endpoint_v1_detach(hnsm_instance *inst, const char *id, const cJSON *request)
{
    endpoint_row row;
    v1_attach_request req;
    HRESULT hr = v1_attach_read(inst, request, &req);
    if (FAILED(hr) || FAILED(hr = hnsm__endpoint_load(inst, id, &row)))
        return hr;
    const cJSON *system = cJSON_GetObjectItem(row.v1_attach, "SystemType");
    const char *attached_as = cJSON_IsString(system) ? system->valuestring : "";
    bool detached = false;
    if (req.system == V1_SYSTEM_VM && row.vm_port) {
        cJSON_Delete(row.vm_port);
        row.vm_port = NULL;
        detached = true;
    } else if (req.system == V1_SYSTEM_HOST && strcmp(attached_as, "Host") == 0) {
        cJSON_Delete(row.v1_attach);
        row.v1_attach = NULL;
        detached = true;
    } else if (req.system == V1_SYSTEM_CONTAINER && strcmp(attached_as, "Container") == 0) {
        int at = v1_container_index(row.v1_attach, req.container);
        cJSON *list = cJSON_GetObjectItem(row.v1_attach, "Containers");
        if (at >= 0) {
            cJSON_DeleteItemFromArray(list, at);
            detached = true;
        }
        if (!cJSON_GetArraySize(list)) {
            cJSON_Delete(row.v1_attach);
            row.v1_attach = NULL;
        }
    }
    if (detached) {
        /* The endpoint stays attached while other containers share it. */
        if (!row.v1_attach && !row.vm_port)
            row.state = HNSM_EP_DETACHED;
        if (SUCCEEDED(hr = hnsm__endpoint_save(inst, id, &row)))
            v1_attach_event(inst, HcnNotificationNetworkEndpointDetached, id, &req);
    } else if (hnsm__choice(inst, HNSM_CHOICE_V1_DETACH_NOT_ATTACHED_FAILS)) {
        hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_ATTACHED, "endpoint %s is not attached as %s", id,
                          jx_enum_name(v1_system_types, req.system));
    }
    hnsm__endpoint_row_free(&row);
    return hr;
}
