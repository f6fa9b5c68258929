/*
 * endpoint_render.c - an endpoint as the HCN API (v2) and HNSCall (v1) show
 * it, and the stats and address queries of Windows 11 22H2 and later.
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

#define NI_BUILD 22621u /* Windows 11 22H2: HcnQueryEndpointStats/Addresses appear */

/* ---- rendering ----------------------------------------------------------------------- */

/* Column 0 (as a malloc'd string, "" when absent) and column 1 of the row
 * that sql finds for id; for names and documents the renderers need. */
static char *lookup_text(hnsm_instance *inst, const char *sql, const char *id, int64_t *number)
{
    const char *text = "";
    sqlite3_stmt *st = hnsm__stmt(inst, sql);
    if (!st)
        return strdup("");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        text = t ? (const char *)t : "";
        if (number)
            *number = sqlite3_column_int64(st, 1);
    }
    char *copy = strdup(text);
    sqlite3_reset(st);
    return copy;
}

static const char *endpoint_policy_value(const cJSON *doc, const char *type, const char *field,
                                         double *number)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "Policies"))
    {
        const char *t = hnsm__policy_type(p);
        const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "Settings"), field);
        if (t && strcmp(t, type) == 0 && v) {
            if (number && cJSON_IsNumber(v))
                *number = v->valuedouble;
            return cJSON_IsString(v) ? v->valuestring : "";
        }
    }
    return NULL;
}

/* The v1 (HNSEndpoint) view, keys in alphabetical order. */
static cJSON *endpoint_v1(hnsm_instance *inst, const char *id, const endpoint_row *row,
                          const hnsm_render *how)
{
    const cJSON *doc = row->doc;
    char gid[HNSM_GUID_TEXT], net[HNSM_GUID_TEXT];
    int64_t type_num = 0;
    hnsm__render_guid(inst, id, gid);
    hnsm__render_guid(inst, row->network_id, net);
    char *network_name = lookup_text(inst, "SELECT name, type FROM networks WHERE id = ?1",
                                     row->network_id, &type_num);
    cJSON *v1 = cJSON_CreateObject();
    const cJSON *dns = cJSON_GetObjectItem(doc, "Dns");
    const cJSON *servers = cJSON_GetObjectItem(dns, "ServerList");
    if (cJSON_GetArraySize(servers)) {
        char list[1024] = "";
        const cJSON *s;
        cJSON_ArrayForEach(s, servers)
        {
            if (list[0])
                strncat(list, ",", sizeof list - strlen(list) - 1);
            if (cJSON_IsString(s))
                strncat(list, s->valuestring, sizeof list - strlen(list) - 1);
        }
        cJSON_AddStringToObject(v1, "DNSServerList", list);
    }
    const cJSON *domain = cJSON_GetObjectItem(dns, "Domain");
    if (cJSON_IsString(domain))
        cJSON_AddStringToObject(v1, "DNSSuffix", domain->valuestring);
    cJSON_AddBoolToObject(v1, "DisableICC", (row->flags & 2u) != 0);
    cJSON_AddBoolToObject(v1, "EnableInternalDNS", (row->flags & 16u) != 0);
    cJSON_AddBoolToObject(v1, "EnableLowMetric", (row->flags & 8u) != 0);
    double overhead = 0;
    if (endpoint_policy_value(doc, "EncapOverhead", "Overhead", &overhead) || type_num == 5)
        cJSON_AddNumberToObject(v1, "EncapOverhead", overhead ? overhead : 50);
    const char *gw4 = NULL, *gw6 = NULL;
    const cJSON *route;
    cJSON_ArrayForEach(route, cJSON_GetObjectItem(doc, "Routes"))
    {
        const cJSON *dest = cJSON_GetObjectItem(route, "DestinationPrefix");
        const cJSON *hop = cJSON_GetObjectItem(route, "NextHop");
        if (!cJSON_IsString(dest) || !cJSON_IsString(hop))
            continue;
        if (strcmp(dest->valuestring, "0.0.0.0/0") == 0)
            gw4 = hop->valuestring;
        else if (strcmp(dest->valuestring, "::/0") == 0)
            gw6 = hop->valuestring;
    }
    if (!gw4) {
        /* Without its own default route the endpoint uses its subnet's gateway. */
        const cJSON *network_doc = NULL, *ipam, *subnet;
        const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "IpConfigurations"), 0);
        hnsm_ip ip;
        if (first && hnsm__ip_parse(cJSON_GetObjectItem(first, "IpAddress")->valuestring, &ip) &&
            SUCCEEDED(hnsm__network_peek(inst, row->network_id, &network_doc))) {
            cJSON_ArrayForEach(ipam, cJSON_GetObjectItem(network_doc, "Ipams"))
                cJSON_ArrayForEach(subnet, cJSON_GetObjectItem(ipam, "Subnets"))
            {
                hnsm_prefix p;
                if (!gw4 &&
                    hnsm__prefix_parse(cJSON_GetObjectItem(subnet, "IpAddressPrefix")->valuestring,
                                       false, &p) &&
                    hnsm__prefix_contains(&p, &ip))
                    gw4 = hnsm__subnet_gateway(subnet);
            }
        }
    }
    if (gw4)
        cJSON_AddStringToObject(v1, "GatewayAddress", gw4);
    if (gw6)
        cJSON_AddStringToObject(v1, "GatewayAddressV6", gw6);
    cJSON *health = cJSON_AddObjectToObject(v1, "Health");
    cJSON_AddNumberToObject(health, "LastErrorCode", 0);
    cJSON_AddNumberToObject(health, "LastUpdateTime", 0);
    cJSON_AddStringToObject(v1, "ID", gid);
    const cJSON *config;
    bool have4 = false, have6 = false;
    cJSON_ArrayForEach(config, cJSON_GetObjectItem(doc, "IpConfigurations"))
    {
        const char *ip = cJSON_GetObjectItem(config, "IpAddress")->valuestring;
        double len = cJSON_GetObjectItem(config, "PrefixLength")->valuedouble;
        if (strchr(ip, ':') && !have6) {
            cJSON_AddStringToObject(v1, "IPv6Address", ip);
            cJSON_AddNumberToObject(v1, "IPv6PrefixLength", len);
            have6 = true;
        } else if (!strchr(ip, ':') && !have4) {
            cJSON_AddStringToObject(v1, "IPAddress", ip);
            cJSON_AddNumberToObject(v1, "PrefixLength", len);
            have4 = true;
        }
    }
    cJSON_AddBoolToObject(v1, "IsRemoteEndpoint", (row->flags & HNSM_EP_FLAG_REMOTE) != 0);
    cJSON_AddStringToObject(v1, "MacAddress", cJSON_GetObjectItem(doc, "MacAddress")->valuestring);
    cJSON_AddStringToObject(v1, "Name", cJSON_GetObjectItem(doc, "Name")->valuestring);
    cJSON *containers = cJSON_CreateArray();
    if (row->namespace_id[0]) {
        char ns[HNSM_GUID_TEXT];
        int64_t compartment = 0;
        hnsm__render_guid(inst, row->namespace_id, ns);
        char *ns_doc_text =
            lookup_text(inst, "SELECT doc, compartment FROM namespaces WHERE id = ?1",
                        row->namespace_id, &compartment);
        cJSON *namespace = cJSON_AddObjectToObject(v1, "Namespace");
        cJSON_AddNumberToObject(namespace, "CompartmentId", (double)compartment);
        cJSON_AddStringToObject(namespace, "ID", ns);
        cJSON *ns_doc = ns_doc_text ? cJSON_Parse(ns_doc_text) : NULL;
        free(ns_doc_text);
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(ns_doc, "_Containers"))
            cJSON_AddItemToArray(containers, cJSON_Duplicate(c, 1));
        cJSON_Delete(ns_doc);
    }
    /* Containers attached through v1 share the endpoint too (hcsshim
     * IsAttached looks for the id here). */
    const cJSON *attached;
    cJSON_ArrayForEach(attached, cJSON_GetObjectItem(row->v1_attach, "Containers"))
        cJSON_AddItemToArray(containers,
                             cJSON_Duplicate(cJSON_GetObjectItem(attached, "ContainerId"), 1));
    cJSON *policies = cJSON_AddArrayToObject(v1, "Policies");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "Policies"))
        cJSON_AddItemToArray(policies, hnsm__policy_to_v1(HNSM_POLICY_ENDPOINT, p));
    if (how->detailed) {
        cJSON *allocators =
            cJSON_AddArrayToObject(cJSON_AddObjectToObject(v1, "Resources"), "Allocators");
        cJSON *port = cJSON_CreateObject();
        char pid[HNSM_GUID_TEXT];
        hnsm__render_guid(inst, row->port_id, pid);
        cJSON_AddStringToObject(port, "EndpointPortGuid", pid);
        cJSON_AddStringToObject(port, "Tag", "Endpoint Port");
        cJSON_AddItemToArray(allocators, port);
    }
    cJSON_AddItemToObject(v1, "SharedContainers", containers);
    cJSON_AddNumberToObject(v1, "State", row->state);
    cJSON_AddNumberToObject(v1, "Version", hnsm__object_version(inst));
    cJSON_AddStringToObject(v1, "VirtualNetwork", net);
    cJSON_AddStringToObject(v1, "VirtualNetworkName", network_name ? network_name : "");
    free(network_name);
    return v1;
}

HRESULT hnsm__endpoint_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                              cJSON **out)
{
    endpoint_row row;
    HRESULT hr = hnsm__endpoint_load(inst, id, &row);
    if (FAILED(hr))
        return hr;
    if (how->v1) {
        *out = endpoint_v1(inst, id, &row, how);
        hnsm__endpoint_row_free(&row);
        return S_OK;
    }
    cJSON *v2 = cJSON_CreateObject();
    char g[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, g);
    cJSON_AddStringToObject(v2, "ID", g);
    jx_move(v2, row.doc, "Name");
    hnsm__render_guid(inst, row.network_id, g);
    cJSON_AddStringToObject(v2, "HostComputeNetwork", g);
    if (row.namespace_id[0]) {
        hnsm__render_guid(inst, row.namespace_id, g);
        cJSON_AddStringToObject(v2, "HostComputeNamespace", g);
    }
    static const char *const order[] = {"Policies", "IpConfigurations", "Dns",
                                        "Routes",   "MacAddress",       "Flags"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        jx_move(v2, row.doc, order[i]);
    cJSON_AddNumberToObject(v2, "State", row.state);
    if (how->detailed) {
        cJSON *allocators =
            cJSON_AddArrayToObject(cJSON_AddObjectToObject(v2, "Resources"), "Allocators");
        cJSON *port = cJSON_CreateObject();
        hnsm__render_guid(inst, row.port_id, g);
        cJSON_AddStringToObject(port, "EndpointPortGuid", g);
        cJSON_AddStringToObject(port, "Tag", "Endpoint Port");
        cJSON_AddItemToArray(allocators, port);
        if (row.vm_port)
            cJSON_AddItemToObject(v2, "Port", cJSON_Duplicate(row.vm_port, 1));
        cJSON_AddNumberToObject(v2, "Version", hnsm__object_version(inst));
    }
    hnsm__add_schema_version(inst, v2);
    hnsm__endpoint_row_free(&row);
    *out = v2;
    return S_OK;
}

/* HcnQueryEndpointStats/Addresses exist from Windows 11 22H2 (NI) on; older
 * profiles answer E_NOTIMPL as a missing export would make hcsshim do. */
static HRESULT require_ni(const hnsm_instance *inst, const char *what)
{
    if (inst->profile.build < NI_BUILD)
        return hnsm__detail(HNSM_E_NOTIMPL, "%s needs Windows build %u or later (profile %s)", what,
                            NI_BUILD, inst->profile.name);
    return S_OK;
}

HRESULT hnsm__endpoint_stats(hnsm_instance *inst, const char *id, cJSON **out)
{
    HRESULT hr = require_ni(inst, "HcnQueryEndpointStats");
    if (FAILED(hr))
        return hr;
    return hnsm__endpoint_counters(inst, id, out);
}

HRESULT hnsm__endpoint_counters(hnsm_instance *inst, const char *id, cJSON **out)
{
    HRESULT hr = hnsm__endpoint_exists(inst, id);
    if (FAILED(hr))
        return hr;
    /* The v1 EndpointStats fields (hcn-api.md 5.3, 8.8). Counters stay zero
     * until the dataplane moves packets. */
    char g[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, g);
    cJSON *stats = cJSON_CreateObject();
    static const char *const counters[] = {"BytesReceived", "BytesSent", "DroppedPacketsIncoming",
                                           "DroppedPacketsOutgoing"};
    for (int i = 0; i < 4; i++)
        cJSON_AddNumberToObject(stats, counters[i], 0);
    cJSON_AddStringToObject(stats, "EndpointId", g);
    cJSON_AddStringToObject(stats, "InstanceId", g);
    cJSON_AddNumberToObject(stats, "PacketsReceived", 0);
    cJSON_AddNumberToObject(stats, "PacketsSent", 0);
    *out = stats;
    return S_OK;
}

HRESULT hnsm__endpoint_addresses(hnsm_instance *inst, const char *id, cJSON **out)
{
    HRESULT hr = require_ni(inst, "HcnQueryEndpointAddresses");
    if (FAILED(hr))
        return hr;
    endpoint_row row;
    if (FAILED(hr = hnsm__endpoint_load(inst, id, &row)))
        return hr;
    /* Shape not documented (hcn-api.md 8.8): the endpoint's IpConfigurations
     * and MAC, under the v2 names. */
    cJSON *addresses = cJSON_CreateObject();
    cJSON *configs = cJSON_GetObjectItem(row.doc, "IpConfigurations");
    cJSON_AddItemToObject(addresses, "IpConfigurations",
                          configs ? cJSON_Duplicate(configs, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(addresses, "MacAddress",
                            cJSON_GetObjectItem(row.doc, "MacAddress")->valuestring);
    hnsm__endpoint_row_free(&row);
    *out = addresses;
    return S_OK;
}
