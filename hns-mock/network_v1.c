/*
 * network_v1.c - networks in the v1 (HNSNetwork) shape: v1 create documents
 * accepted by HcnCreateNetwork and POST /networks/ (hcn-api.md 1.9.8, 5.3),
 * and the v1 rendering (keys in alphabetical order, as HNS v1 output shows).
 */
#include "network_internal.h"

#include "hresult.h"
#include "jsonx.h"
#include "notify.h"

#include <computenetwork.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- v1 input ------------------------------------------------------------ */

/* True when doc looks like a v1 HNSNetwork rather than a HostComputeNetwork. */
bool hnsm__network_doc_is_v1(const cJSON *doc)
{
    if (cJSON_GetObjectItem(doc, "SchemaVersion") || cJSON_GetObjectItem(doc, "Ipams") ||
        cJSON_GetObjectItem(doc, "MacPool"))
        return false;
    static const char *const v1_keys[] = {"Subnets",      "MacPools",           "DNSServerList",
                                          "DNSSuffix",    "NetworkAdapterName", "SourceMac",
                                          "ManagementIP", "AutomaticDNS",       NULL};
    for (int i = 0; v1_keys[i]; i++)
        if (cJSON_GetObjectItem(doc, v1_keys[i]))
            return true;
    return false;
}

/* Splits "a,b, c" into a JSON array of strings. */
static cJSON *comma_list(const char *s)
{
    cJSON *list = cJSON_CreateArray();
    char item[256];
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (n && n < sizeof item) {
            memcpy(item, s, n);
            item[n] = '\0';
            cJSON_AddItemToArray(list, cJSON_CreateString(item));
        }
        s = comma ? comma + 1 : NULL;
    }
    return list;
}

/* Translates a v1 network document into a v2 one (not yet validated). */
HRESULT hnsm__network_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    cJSON *v2 = cJSON_CreateObject();
    HRESULT hr = S_OK;
    const char *s = NULL;
    const cJSON *item;
    if ((item = cJSON_GetObjectItem(v1, "ID")))
        cJSON_AddItemToObject(v2, "ID", cJSON_Duplicate(item, 1));
    if ((item = cJSON_GetObjectItem(v1, "Name")))
        cJSON_AddItemToObject(v2, "Name", cJSON_Duplicate(item, 1));
    if ((item = cJSON_GetObjectItem(v1, "Type")))
        cJSON_AddItemToObject(v2, "Type", cJSON_Duplicate(item, 1));
    if ((item = cJSON_GetObjectItem(v1, "Flags")))
        cJSON_AddItemToObject(v2, "Flags", cJSON_Duplicate(item, 1));

    cJSON *policies = cJSON_AddArrayToObject(v2, "Policies");
    const cJSON *list = NULL;
    if (SUCCEEDED(hr))
        hr = jx_array(v1, "Policies", bad, &list);
    cJSON_ArrayForEach(item, list)
    {
        cJSON *p;
        if (FAILED(hr = hnsm__policy_from_v1(HNSM_POLICY_NETWORK, item, &p)))
            break;
        cJSON_AddItemToArray(policies, p);
    }
    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_string(v1, "NetworkAdapterName", bad, &s)) && s && *s) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Type", "NetAdapterName");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "Settings"), "NetworkAdapterName", s);
        cJSON_AddItemToArray(policies, p);
    }
    s = NULL;
    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_string(v1, "SourceMac", bad, &s)) && s && *s) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Type", "SourceMacAddress");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "Settings"), "SourceMacAddress", s);
        cJSON_AddItemToArray(policies, p);
    }
    bool automatic_dns = false;
    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_bool(v1, "AutomaticDNS", bad, &automatic_dns)) &&
        automatic_dns) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Type", "AutomaticDNS");
        cJSON_AddBoolToObject(cJSON_AddObjectToObject(p, "Settings"), "Enable", 1);
        cJSON_AddItemToArray(policies, p);
    }

    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_array(v1, "MacPools", bad, &list)) && list) {
        cJSON *ranges = cJSON_AddArrayToObject(cJSON_AddObjectToObject(v2, "MacPool"), "Ranges");
        cJSON_ArrayForEach(item, list) cJSON_AddItemToArray(ranges, cJSON_Duplicate(item, 1));
    }

    cJSON *dns = cJSON_AddObjectToObject(v2, "Dns");
    s = NULL;
    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_string(v1, "DNSSuffix", bad, &s)) && s)
        cJSON_AddStringToObject(dns, "Domain", s);
    s = NULL;
    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_string(v1, "DNSServerList", bad, &s)) && s)
        cJSON_AddItemToObject(dns, "ServerList", comma_list(s));

    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_array(v1, "Subnets", bad, &list)) && list) {
        cJSON *ipam = cJSON_CreateObject();
        cJSON_AddStringToObject(ipam, "Type", "Static");
        cJSON *subnets = cJSON_AddArrayToObject(ipam, "Subnets");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(v2, "Ipams"), ipam);
        cJSON_ArrayForEach(item, list)
        {
            if (!cJSON_IsObject(item)) {
                hr = hnsm__detail(bad, "Subnets entries must be objects");
                break;
            }
            cJSON *subnet = cJSON_CreateObject();
            cJSON_AddItemToArray(subnets, subnet);
            const char *prefix = NULL, *gateway = NULL;
            if (FAILED(hr = jx_string(item, "AddressPrefix", bad, &prefix)) ||
                FAILED(hr = jx_string(item, "GatewayAddress", bad, &gateway)))
                break;
            if (prefix)
                cJSON_AddStringToObject(subnet, "IpAddressPrefix", prefix);
            if (gateway && *gateway) {
                hnsm_prefix p;
                bool v6 = prefix && hnsm__prefix_parse(prefix, false, &p) && p.addr.family == 6;
                cJSON *route = cJSON_CreateObject();
                cJSON_AddStringToObject(route, "NextHop", gateway);
                cJSON_AddStringToObject(route, "DestinationPrefix", v6 ? "::/0" : "0.0.0.0/0");
                cJSON_AddItemToArray(cJSON_AddArrayToObject(subnet, "Routes"), route);
            }
            const cJSON *subnet_policies = NULL;
            if (FAILED(hr = jx_array(item, "Policies", bad, &subnet_policies)))
                break;
            cJSON *converted = cJSON_AddArrayToObject(subnet, "Policies");
            const cJSON *sp;
            cJSON_ArrayForEach(sp, subnet_policies)
            {
                cJSON *p;
                if (FAILED(hr = hnsm__policy_from_v1(HNSM_POLICY_SUBNET, sp, &p)))
                    break;
                cJSON_AddItemToArray(converted, p);
            }
            if (FAILED(hr))
                break;
        }
    }
    if (FAILED(hr)) {
        cJSON_Delete(v2);
        return hr;
    }
    *out = v2;
    return S_OK;
}

/* Network rendering in the v1 (HNSNetwork) shape, keys in alphabetical order
 * as HNS v1 output shows them. */
cJSON *hnsm__network_v1_view(hnsm_instance *inst, const char *id, const cJSON *doc, int64_t count,
                             const hnsm_render *how)
{
    char gid[HNSM_GUID_TEXT], adapter[64] = "", host_ip[64] = "";
    hnsm__render_guid(inst, id, gid);
    hnsm__host(inst, adapter, host_ip);
    char *slash = strchr(host_ip, '/');
    if (slash)
        *slash = '\0';
    const cJSON *type = cJSON_GetObjectItem(doc, "Type");
    const char *type_name = cJSON_IsString(type) ? type->valuestring : "NAT";
    const cJSON *dns = cJSON_GetObjectItem(doc, "Dns");
    cJSON *v1 = cJSON_CreateObject();

    cJSON_AddObjectToObject(v1, "AdditionalParams");
    cJSON_AddNumberToObject(v1, "CurrentEndpointCount", (double)count);
    /* WSL reads the domain as DNSDomain from this view (hcn-api.md 1.6). */
    const cJSON *dns_domain = cJSON_GetObjectItem(dns, "Domain");
    if (cJSON_IsString(dns_domain))
        cJSON_AddStringToObject(v1, "DNSDomain", dns_domain->valuestring);
    const cJSON *servers = cJSON_GetObjectItem(dns, "ServerList");
    if (cJSON_GetArraySize(servers)) {
        char list[1024] = "";
        const cJSON *s;
        cJSON_ArrayForEach(s, servers)
        {
            if (list[0])
                strncat(list, ",", sizeof list - strlen(list) - 1);
            strncat(list, s->valuestring, sizeof list - strlen(list) - 1);
        }
        cJSON_AddStringToObject(v1, "DNSServerList", list);
    }
    const cJSON *domain = cJSON_GetObjectItem(dns, "Domain");
    if (cJSON_IsString(domain))
        cJSON_AddStringToObject(v1, "DNSSuffix", domain->valuestring);
    const char *dr_mac = hnsm__network_policy_setting(doc, "DrMacAddress", "Address");
    if (dr_mac)
        cJSON_AddStringToObject(v1, "DrMacAddress", dr_mac);
    cJSON *extensions = cJSON_AddArrayToObject(v1, "Extensions");
    const cJSON *ext_state = cJSON_GetObjectItem(doc, "_Extensions");
    for (size_t i = 0; i < HNSM_SWITCH_EXTENSION_COUNT; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Id", hnsm__switch_extensions[i].id);
        cJSON_AddBoolToObject(e, "IsEnabled",
                              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                                  ext_state, hnsm__switch_extensions[i].id)));
        cJSON_AddStringToObject(e, "Name", hnsm__switch_extensions[i].name);
        cJSON_AddItemToArray(extensions, e);
    }
    const cJSON *flags = cJSON_GetObjectItem(doc, "Flags");
    cJSON_AddNumberToObject(v1, "Flags", flags ? flags->valuedouble : 0);
    cJSON *health = cJSON_AddObjectToObject(v1, "Health");
    cJSON_AddNumberToObject(health, "LastErrorCode", 0);
    cJSON_AddNumberToObject(health, "LastUpdateTime", 0);
    cJSON_AddStringToObject(v1, "ID", gid);
    bool ipv6 = false;
    const cJSON *ipam, *subnet;
    cJSON_ArrayForEach(ipam, cJSON_GetObjectItem(doc, "Ipams"))
        cJSON_ArrayForEach(subnet, cJSON_GetObjectItem(ipam, "Subnets"))
    {
        if (strchr(cJSON_GetObjectItem(subnet, "IpAddressPrefix")->valuestring, ':'))
            ipv6 = true;
    }
    cJSON_AddBoolToObject(v1, "IPv6", ipv6);
    /* ... and a top-level InterfaceConstraint (hcn-api.md 1.6): the settings
     * of the network's InterfaceConstraint policy. */
    const cJSON *policy;
    cJSON_ArrayForEach(policy, cJSON_GetObjectItem(doc, "Policies"))
    {
        const char *policy_type = hnsm__policy_type(policy);
        if (policy_type && strcmp(policy_type, "InterfaceConstraint") == 0) {
            cJSON_AddItemToObject(v1, "InterfaceConstraint",
                                  cJSON_Duplicate(cJSON_GetObjectItem(policy, "Settings"), 1));
            break;
        }
    }
    char layer[HNSM_GUID_TEXT];
    const cJSON *layer_id = cJSON_GetObjectItem(doc, "_LayerId");
    if (cJSON_IsString(layer_id)) {
        hnsm__render_guid(inst, layer_id->valuestring, layer);
        cJSON_AddStringToObject(v1, "LayeredOn", layer);
    }
    cJSON *pools = cJSON_AddArrayToObject(v1, "MacPools");
    const cJSON *range;
    cJSON_ArrayForEach(range, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "MacPool"), "Ranges"))
    {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "EndMacAddress",
                                cJSON_GetObjectItem(range, "EndMacAddress")->valuestring);
        cJSON_AddStringToObject(r, "StartMacAddress",
                                cJSON_GetObjectItem(range, "StartMacAddress")->valuestring);
        cJSON_AddItemToArray(pools, r);
    }
    const char *pa = hnsm__network_policy_setting(doc, "ProviderAddress", "ProviderAddress");
    if (pa)
        cJSON_AddStringToObject(v1, "ManagementIP", pa);
    cJSON_AddNumberToObject(v1, "MaxConcurrentEndpoints", 0);
    cJSON_AddStringToObject(v1, "Name", cJSON_GetObjectItem(doc, "Name")->valuestring);
    if (strcmp(type_name, "NAT") == 0 || strcmp(type_name, "ICS") == 0)
        cJSON_AddStringToObject(v1, "NatName", gid);
    const char *adapter_name =
        hnsm__network_policy_setting(doc, "NetAdapterName", "NetworkAdapterName");
    if (adapter_name)
        cJSON_AddStringToObject(v1, "NetworkAdapterName", adapter_name);
    else if (pa)
        cJSON_AddStringToObject(v1, "NetworkAdapterName", adapter);
    cJSON *policies = cJSON_AddArrayToObject(v1, "Policies");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "Policies"))
        cJSON_AddItemToArray(policies, hnsm__policy_to_v1(HNSM_POLICY_NETWORK, p));
    const char *source_mac =
        hnsm__network_policy_setting(doc, "SourceMacAddress", "SourceMacAddress");
    if (source_mac)
        cJSON_AddStringToObject(v1, "SourceMac", source_mac);
    cJSON_AddNumberToObject(v1, "State", 1);
    cJSON *subnets = cJSON_AddArrayToObject(v1, "Subnets");
    cJSON_ArrayForEach(ipam, cJSON_GetObjectItem(doc, "Ipams"))
        cJSON_ArrayForEach(subnet, cJSON_GetObjectItem(ipam, "Subnets"))
    {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "AddressPrefix",
                                cJSON_GetObjectItem(subnet, "IpAddressPrefix")->valuestring);
        const char *gw = hnsm__subnet_gateway(subnet);
        if (gw)
            cJSON_AddStringToObject(s, "GatewayAddress", gw);
        char sid[HNSM_GUID_TEXT];
        hnsm__render_guid(inst, cJSON_GetObjectItem(subnet, "ID")->valuestring, sid);
        cJSON_AddStringToObject(s, "ID", sid);
        cJSON *ip_subnets = cJSON_AddArrayToObject(s, "IpSubnets");
        const cJSON *ips;
        cJSON_ArrayForEach(ips, cJSON_GetObjectItem(subnet, "IpSubnets"))
        {
            cJSON *e = cJSON_CreateObject();
            const cJSON *f = cJSON_GetObjectItem(ips, "Flags");
            cJSON_AddNumberToObject(e, "Flags", f ? f->valuedouble : 0);
            char iid[HNSM_GUID_TEXT];
            hnsm__render_guid(inst, cJSON_GetObjectItem(ips, "ID")->valuestring, iid);
            cJSON_AddStringToObject(e, "ID", iid);
            cJSON_AddStringToObject(e, "IpAddressPrefix",
                                    cJSON_GetObjectItem(ips, "IpAddressPrefix")->valuestring);
            cJSON_AddItemToArray(ip_subnets, e);
        }
        cJSON_AddNumberToObject(s, "ObjectType", 5);
        cJSON *sp = cJSON_AddArrayToObject(s, "Policies");
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(subnet, "Policies"))
            cJSON_AddItemToArray(sp, hnsm__policy_to_v1(HNSM_POLICY_SUBNET, p));
        cJSON_AddItemToArray(subnets, s);
    }
    cJSON_AddStringToObject(v1, "Type", type_name);
    cJSON_AddNumberToObject(v1, "Version", hnsm__object_version(inst));
    if (how->detailed) {
        /* The detailed view carries the VFP layer and its port allocators
         * (diagnostics.md 2). */
        cJSON *layer_obj = cJSON_AddObjectToObject(v1, "Layer");
        cJSON_AddStringToObject(layer_obj, "ID", layer);
        cJSON *allocators =
            cJSON_AddArrayToObject(cJSON_AddObjectToObject(layer_obj, "Resources"), "Allocators");
        cJSON *vnic = cJSON_CreateObject();
        char g[HNSM_GUID_TEXT];
        hnsm__render_guid(inst, cJSON_GetObjectItem(doc, "_HostVnicPort")->valuestring, g);
        cJSON_AddStringToObject(vnic, "EndpointPortGuid", g);
        cJSON_AddStringToObject(vnic, "Tag", "Host Vnic");
        cJSON_AddItemToArray(allocators, vnic);
        cJSON *external = cJSON_CreateObject();
        hnsm__render_guid(inst, cJSON_GetObjectItem(doc, "_ExternalPort")->valuestring, g);
        cJSON_AddStringToObject(external, "ExternalNicPortGuid", g);
        cJSON_AddStringToObject(external, "Tag", "External Adapter Info");
        cJSON_AddItemToArray(allocators, external);
    }
    return v1;
}
