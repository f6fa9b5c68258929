/*
 * endpoint.c - HostComputeEndpoint: create, modify (policies, VM port
 * attach), delete. Addresses, MACs and host ports are assigned by
 * endpoint_ipam.c, v1 documents and attach state live in endpoint_v1.c,
 * rendering in endpoint_render.c.
 *
 * Address rules (hcn-api.md 4.1, field-bugs.md D1): a local endpoint's IP
 * must lie in one of the network's subnets (HCN_E_INVALID_IP) and must not be
 * the subnet's network, broadcast or gateway address, nor an address another
 * local endpoint holds (HCN_E_ADDR_INVALID_OR_RESERVED). Remote endpoints
 * (Flags & RemoteEndpoint) follow the REMOTE_IP_* choices. Without an
 * IpConfiguration a local endpoint gets the next free address (choice
 * DYNAMIC_IP_NEXT_FIT). MACs come from the network's MAC pool in order.
 * PortMapping policies claim (protocol, external port, VIP) on the network; a
 * second claim is HCN_E_PORT_ALREADY_EXISTS (hcsshim's own test).
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

static const jx_enum_entry endpoint_resource_types[] = {{"Port", 0}, {"Policy", 1}, {NULL, 0}};

/* ---- create, load, delete ------------------------------------------------------------ */

HRESULT hnsm__endpoint_exists(hnsm_instance *inst, const char *id)
{
    return hnsm__row_exists(inst, "SELECT 1 FROM endpoints WHERE id = ?1", id,
                            HNSM_HCN_E_ENDPOINT_NOT_FOUND, "endpoint");
}

void hnsm__endpoint_row_free(endpoint_row *row)
{
    cJSON_Delete(row->doc);
    cJSON_Delete(row->vm_port);
    cJSON_Delete(row->v1_attach);
}

HRESULT hnsm__endpoint_load(hnsm_instance *inst, const char *id, endpoint_row *row)
{
    memset(row, 0, sizeof *row);
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT network_id, namespace_id, flags, state, port_id, "
                                        "vm_port, doc, v1_attach FROM endpoints WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr;
    if (rc == SQLITE_ROW) {
        snprintf(row->network_id, sizeof row->network_id, "%s", sqlite3_column_text(st, 0));
        const unsigned char *ns = sqlite3_column_text(st, 1);
        snprintf(row->namespace_id, sizeof row->namespace_id, "%s", ns ? (const char *)ns : "");
        row->flags = (uint32_t)sqlite3_column_int64(st, 2);
        row->state = sqlite3_column_int(st, 3);
        snprintf(row->port_id, sizeof row->port_id, "%s", sqlite3_column_text(st, 4));
        const unsigned char *vm = sqlite3_column_text(st, 5);
        row->vm_port = vm ? cJSON_Parse((const char *)vm) : NULL;
        const unsigned char *attach = sqlite3_column_text(st, 7);
        row->v1_attach = attach ? cJSON_Parse((const char *)attach) : NULL;
        hr = hnsm__parse_stored((const char *)sqlite3_column_text(st, 6), &row->doc);
    } else if (rc == SQLITE_DONE) {
        hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_FOUND, "no endpoint %s", id);
    } else {
        hr = hnsm__sql_error(inst, rc);
    }
    sqlite3_reset(st);
    if (FAILED(hr))
        hnsm__endpoint_row_free(row);
    return hr;
}

/* Records the endpoint's addresses for IPAM and duplicate checks. */
static HRESULT record_addresses(hnsm_instance *inst, const char *network_id, const char *id,
                                const hnsm_ip *addrs, int count, bool remote)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO endpoint_ips(network_id, ip, endpoint_id, "
                                        "remote) VALUES(?1, ?2, ?3, ?4)");
    HRESULT hr = S_OK;
    for (int i = 0; SUCCEEDED(hr) && i < count; i++) {
        if (!st)
            return HNSM_E_FAIL;
        sqlite3_bind_text(st, 1, network_id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, addrs[i].b, 16, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, remote);
        hr = hnsm__step_done(inst, st);
    }
    return hr;
}

/* Builds the canonical endpoint document from a v2 input (addresses aside). */
static HRESULT endpoint_canonical(hnsm_instance *inst, const cJSON *in, const cJSON *network_doc,
                                  cJSON **out, uint32_t *flags_out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const char *name = "";
    uint64_t flags = 0;
    const cJSON *policies_in, *dns_in, *routes_in, *configs_in;
    HRESULT hr;
    if (FAILED(hr = jx_string(in, "Name", bad, &name)) ||
        FAILED(hr = jx_uint(in, "Flags", 0xFFFFFFFFu, bad, &flags)) ||
        FAILED(hr = jx_array(in, "Policies", bad, &policies_in)) ||
        FAILED(hr = jx_object(in, "Dns", bad, &dns_in)) ||
        FAILED(hr = jx_array(in, "Routes", bad, &routes_in)) ||
        FAILED(hr = jx_array(in, "IpConfigurations", bad, &configs_in)))
        return hr;
    cJSON *ids = hnsm__network_set_policy_ids(network_doc);
    hnsm_policy_context ctx = {&inst->profile, ids};
    cJSON *policies = NULL, *dns = NULL;
    hr = hnsm__policies_canonical(HNSM_POLICY_ENDPOINT, policies_in, &ctx, &policies);
    cJSON_Delete(ids);
    if (SUCCEEDED(hr) && dns_in && FAILED(hr = hnsm__dns_canonical(inst, dns_in, &dns)))
        cJSON_Delete(policies);
    if (FAILED(hr))
        return hr;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Name", name);
    if (cJSON_GetArraySize(policies))
        cJSON_AddItemToObject(doc, "Policies", policies);
    else
        cJSON_Delete(policies);
    if (configs_in)
        cJSON_AddItemToObject(doc, "IpConfigurations", cJSON_Duplicate(configs_in, 1));
    if (dns && dns->child)
        cJSON_AddItemToObject(doc, "Dns", dns);
    else
        cJSON_Delete(dns);
    cJSON *routes = cJSON_CreateArray();
    const cJSON *r;
    cJSON_ArrayForEach(r, routes_in)
    {
        const char *hop = NULL, *dest = NULL;
        uint64_t metric = 0;
        hnsm_ip ip;
        hnsm_prefix p;
        if (!cJSON_IsObject(r) || FAILED(hr = jx_string(r, "NextHop", bad, &hop)) ||
            FAILED(hr = jx_string(r, "DestinationPrefix", bad, &dest)) ||
            FAILED(hr = jx_uint(r, "Metric", 0xFFFF, bad, &metric)) ||
            (hop && *hop && !hnsm__ip_parse(hop, &ip)) ||
            (dest && *dest && !hnsm__prefix_parse(dest, false, &p))) {
            if (SUCCEEDED(hr))
                hr = hnsm__detail(HNSM_HCN_E_INVALID_ENDPOINT, "a route is not valid");
            cJSON_Delete(routes);
            cJSON_Delete(doc);
            return hr;
        }
        cJSON *c = cJSON_CreateObject();
        jx_put_string(c, "NextHop", hop);
        jx_put_string(c, "DestinationPrefix", dest);
        jx_put_uint(c, "Metric", metric);
        cJSON_AddItemToArray(routes, c);
    }
    if (cJSON_GetArraySize(routes))
        cJSON_AddItemToObject(doc, "Routes", routes);
    else
        cJSON_Delete(routes);
    jx_put_uint(doc, "Flags", flags);
    *flags_out = (uint32_t)flags;
    *out = doc;
    return S_OK;
}

HRESULT hnsm__endpoint_create(hnsm_instance *inst, const char *network_id, const char *id,
                              const cJSON *in, char out_id[HNSM_GUID_TEXT])
{
    cJSON *v2 = NULL, *doc = NULL;
    const cJSON *network_doc = NULL;
    char *text = NULL;
    HRESULT hr;
    if (hnsm__endpoint_doc_is_v1(in)) {
        if (FAILED(hr = hnsm__endpoint_from_v1(inst, in, &v2)))
            return hr;
        in = v2;
    }
    /* The document may name the network too (hcsshim sends HostComputeNetwork);
     * it must agree with the handle. */
    const char *named = NULL;
    char named_id[HNSM_GUID_TEXT];
    if (FAILED(hr = jx_string(in, "HostComputeNetwork", hnsm__type_error(inst), &named)))
        goto done;
    if (!network_id) {
        if (!named || !hnsm__guid_canonical(named, named_id)) {
            hr = hnsm__detail(HNSM_E_INVALIDARG, "no network given for the endpoint");
            goto done;
        }
        network_id = named_id;
    } else if (named && *named &&
               (!hnsm__guid_canonical(named, named_id) || strcmp(named_id, network_id) != 0)) {
        hr = hnsm__detail(HNSM_HCN_E_INVALID_ENDPOINT,
                          "HostComputeNetwork %s differs from the network handle", named);
        goto done;
    }
    uint32_t flags = 0;
    hnsm_ip addrs[8];
    int count;
    char mac[HNSM_MAC_TEXT], port_id[HNSM_GUID_TEXT];
    const char *asked_mac = NULL;
    int64_t seq;
    if (FAILED(hr = hnsm__network_peek(inst, network_id, &network_doc)) ||
        FAILED(hr = hnsm__choose_id(inst, id, in, hnsm__endpoint_exists, out_id)) ||
        FAILED(hr = endpoint_canonical(inst, in, network_doc, &doc, &flags)))
        goto done;
    bool remote = flags & HNSM_EP_FLAG_REMOTE;
    if (FAILED(hr = hnsm__endpoint_assign_addresses(inst, network_id, network_doc, doc, remote,
                                                    addrs, &count)) ||
        FAILED(hr = jx_string(in, "MacAddress", hnsm__type_error(inst), &asked_mac)) ||
        FAILED(hr = hnsm__endpoint_assign_mac(inst, network_id, network_doc, asked_mac, mac)) ||
        FAILED(hr = hnsm__new_guid(inst, port_id)) || FAILED(hr = hnsm__next_seq(inst, &seq)) ||
        FAILED(hr = record_addresses(inst, network_id, out_id, addrs, count, remote)) ||
        FAILED(hr = hnsm__endpoint_claim_ports(inst, network_id, out_id,
                                               cJSON_GetObjectItem(doc, "Policies"))))
        goto done;
    cJSON_AddStringToObject(doc, "MacAddress", mac);
    if (!(text = jx_print(doc))) {
        hr = HNSM_E_OUTOFMEMORY;
        goto done;
    }
    sqlite3_stmt *st =
        hnsm__stmt(inst, "INSERT INTO endpoints(id, seq, name, network_id, "
                         "namespace_id, flags, state, mac, origin, port_id, vm_port, "
                         "doc) VALUES(?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9, NULL, "
                         "?10)");
    if (!st) {
        hr = HNSM_E_FAIL;
        goto done;
    }
    sqlite3_bind_text(st, 1, out_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, cJSON_GetObjectItem(doc, "Name")->valuestring, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, network_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, flags);
    sqlite3_bind_int(st, 6, HNSM_EP_CREATED);
    sqlite3_bind_text(st, 7, mac, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, v2 ? 1 : 0);
    sqlite3_bind_text(st, 9, port_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, text, -1, SQLITE_STATIC);
    hr = hnsm__step_done(inst, st);
done:
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(v2);
    return hr;
}

HRESULT hnsm__endpoint_delete(hnsm_instance *inst, const char *id)
{
    endpoint_row row;
    HRESULT hr = hnsm__endpoint_load(inst, id, &row);
    if (FAILED(hr))
        return hr;
    bool in_namespace = row.namespace_id[0] != '\0';
    hnsm__endpoint_row_free(&row);
    if (in_namespace && !hnsm__choice(inst, HNSM_CHOICE_DELETE_ATTACHED_ENDPOINT))
        return hnsm__detail(HNSM_HCN_E_ENTITY_HAS_REFERENCES, "endpoint %s is still in a namespace",
                            id);
    static const char *const deletes[] = {
        "DELETE FROM endpoint_ips WHERE endpoint_id = ?1",
        "DELETE FROM port_mappings WHERE endpoint_id = ?1",
        "DELETE FROM endpoints WHERE id = ?1",
    };
    for (size_t i = 0; SUCCEEDED(hr) && i < sizeof deletes / sizeof deletes[0]; i++) {
        sqlite3_stmt *st = hnsm__stmt(inst, deletes[i]);
        if (!st)
            return HNSM_E_FAIL;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, st);
    }
    return hr;
}

HRESULT hnsm__endpoint_set_namespace(hnsm_instance *inst, const char *id, const char *namespace_id,
                                     int state)
{
    sqlite3_stmt *st =
        hnsm__stmt(inst, "UPDATE endpoints SET namespace_id = ?2, state = ?3 WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (namespace_id)
        sqlite3_bind_text(st, 2, namespace_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int(st, 3, state);
    return hnsm__step_done(inst, st);
}

/* ---- modify ---------------------------------------------------------------------------- */

HRESULT hnsm__endpoint_save(hnsm_instance *inst, const char *id, const endpoint_row *row)
{
    char *text = jx_print(row->doc);
    char *vm = row->vm_port ? jx_print(row->vm_port) : NULL;
    char *attach = row->v1_attach ? jx_print(row->v1_attach) : NULL;
    sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE endpoints SET doc = ?2, state = ?3, vm_port = ?4, "
                                        "v1_attach = ?5 WHERE id = ?1");
    bool printed = text && (vm || !row->vm_port) && (attach || !row->v1_attach);
    HRESULT hr = printed ? HNSM_E_FAIL : HNSM_E_OUTOFMEMORY;
    if (st && printed) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, row->state);
        if (vm)
            sqlite3_bind_text(st, 4, vm, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 4);
        if (attach)
            sqlite3_bind_text(st, 5, attach, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 5);
        hr = hnsm__step_done(inst, st);
    }
    free(text);
    free(vm);
    free(attach);
    return hr;
}

/* True when a VM port attach or detach is to be notified (choice
 * NOTIFY_PORT_ATTACH) and someone listens. */
static bool port_event_wanted(hnsm_instance *inst)
{
    return hnsm__choice(inst, HNSM_CHOICE_NOTIFY_PORT_ATTACH) && hnsm__events_wanted(inst);
}

/* Raises NetworkEndpointAttached/Detached for a VM port (ResourceType Port)
 * attach or detach, with the Data a v1 VirtualMachine attach carries:
 * {"SystemType":"VirtualMachine","VirtualNicName":...}. */
static void port_event(hnsm_instance *inst, const char *id, uint32_t type, const cJSON *vm_port)
{
    if (!port_event_wanted(inst))
        return;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "SystemType", "VirtualMachine");
    const cJSON *nic = cJSON_GetObjectItem(vm_port, "VirtualNicName");
    if (cJSON_IsString(nic) && nic->valuestring[0])
        cJSON_AddStringToObject(data, "VirtualNicName", nic->valuestring);
    hnsm__event(inst, type, id, data);
    cJSON_Delete(data);
}

/* ResourceType Port: attach the endpoint to (or detach it from) a VM NIC. */
static HRESULT modify_port(hnsm_instance *inst, endpoint_row *row, int request,
                           const cJSON *settings)
{
    if (row->flags & HNSM_EP_FLAG_REMOTE)
        return hnsm__detail(HNSM_HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION,
                            "a remote endpoint has no port to attach");
    if (request == HNSM_REQ_REMOVE) {
        if (!row->vm_port)
            return hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_ATTACHED, "the endpoint is not attached");
        cJSON_Delete(row->vm_port);
        row->vm_port = NULL;
        row->state = HNSM_EP_DETACHED;
        return S_OK;
    }
    if (request != HNSM_REQ_ADD)
        return hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED, "Port requests are Add or Remove");
    /* A v1 Host or Container attach holds the vNIC too. */
    if (row->vm_port || row->v1_attach)
        return hnsm__detail(HNSM_HCN_E_ENDPOINT_ALREADY_ATTACHED,
                            "the endpoint is already attached");
    const HRESULT bad = hnsm__type_error(inst);
    const char *port = NULL, *nic = NULL, *vm = NULL;
    char port_id[HNSM_GUID_TEXT], vm_id[HNSM_GUID_TEXT];
    HRESULT hr;
    if (!cJSON_IsObject(settings))
        return hnsm__detail(HNSM_E_INVALIDARG, "Port settings must be an object");
    if (FAILED(hr = jx_string(settings, "PortId", bad, &port)) ||
        FAILED(hr = jx_string(settings, "VirtualNicName", bad, &nic)) ||
        FAILED(hr = jx_string(settings, "VirtualMachineId", bad, &vm)))
        return hr;
    if ((port && *port && !hnsm__guid_canonical(port, port_id)) ||
        (vm && *vm && !hnsm__guid_canonical(vm, vm_id)))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE,
                            "PortId/VirtualMachineId not GUIDs");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "PortId", port && *port ? port_id : "");
    cJSON_AddStringToObject(req, "VirtualNicName", nic ? nic : "");
    cJSON_AddStringToObject(req, "VirtualMachineId", vm && *vm ? vm_id : "");
    row->vm_port = req;
    row->state = HNSM_EP_ATTACHED;
    return S_OK;
}

HRESULT hnsm__endpoint_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    endpoint_row row;
    HRESULT hr = hnsm__endpoint_load(inst, id, &row);
    if (FAILED(hr))
        return hr;
    int request_type, resource_type;
    const cJSON *settings;
    if (FAILED(hr = hnsm__modify_request(request, endpoint_resource_types, &request_type,
                                         &resource_type, &settings)))
        goto done;
    if (resource_type == 0) {
        /* A detach names the NIC it leaves: keep it while modify_port drops it. */
        cJSON *leaving = request_type == HNSM_REQ_REMOVE && port_event_wanted(inst)
                             ? cJSON_Duplicate(row.vm_port, 1)
                             : NULL;
        hr = modify_port(inst, &row, request_type, settings);
        if (SUCCEEDED(hr))
            port_event(inst, id,
                       request_type == HNSM_REQ_REMOVE ? HcnNotificationNetworkEndpointDetached
                                                       : HcnNotificationNetworkEndpointAttached,
                       request_type == HNSM_REQ_REMOVE ? leaving : row.vm_port);
        cJSON_Delete(leaving);
    } else {
        const cJSON *given, *network_doc = NULL;
        cJSON *canonical = NULL;
        if (!cJSON_IsObject(settings)) {
            hr = hnsm__detail(HNSM_E_INVALIDARG, "Policy settings must be an object");
            goto done;
        }
        if (FAILED(hr = jx_array(settings, "Policies", hnsm__type_error(inst), &given)) ||
            FAILED(hr = hnsm__network_peek(inst, row.network_id, &network_doc)))
            goto done;
        cJSON *ids = hnsm__network_set_policy_ids(network_doc);
        hnsm_policy_context ctx = {&inst->profile, ids};
        hr = hnsm__policies_canonical(HNSM_POLICY_ENDPOINT, given, &ctx, &canonical);
        cJSON_Delete(ids);
        if (FAILED(hr))
            goto done;
        cJSON *list = cJSON_GetObjectItem(row.doc, "Policies");
        if (!list)
            list = cJSON_AddArrayToObject(row.doc, "Policies");
        hr = hnsm__apply_policy_request(inst, list, request_type, canonical);
        cJSON_Delete(canonical);
        if (SUCCEEDED(hr))
            hr = hnsm__endpoint_claim_ports(inst, row.network_id, id, list);
        if (!cJSON_GetArraySize(list))
            cJSON_DeleteItemFromObject(row.doc, "Policies");
    }
    if (SUCCEEDED(hr))
        hr = hnsm__endpoint_save(inst, id, &row);
done:
    hnsm__endpoint_row_free(&row);
    return hr;
}
