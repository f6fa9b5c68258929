/*
 * network.c - HostComputeNetwork: create, modify, delete, render.
 *
 * A network is stored as its canonical v2 document (hcn-api.md 2.2) plus the
 * columns that enumeration filters and IPAM use. v1-shaped create documents
 * (5.3) are translated first (1.9.8). HNS-generated parts are added at create:
 * subnet ids, a default MAC pool, and for L2Bridge/L2Tunnel/Overlay the
 * ProviderAddress and DrMacAddress policies consumers wait for (choice
 * AUTO_PROVIDER_ADDRESS). Private bookkeeping in the stored document uses keys
 * starting with '_' that no rendering emits.
 */
#include "objects.h"

#include "hresult.h"
#include "ipaddr.h"
#include "jsonx.h"
#include "macaddr.h"
#include "notify.h"

#include <computenetwork.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* NetworkMode (hcn-api.md 2.2): NAT, ICS, Transparent confirmed; the rest in doc order. */
static const jx_enum_entry network_modes[] = {
    {"NAT", 0}, {"ICS", 1}, {"Transparent", 2}, {"L2Bridge", 3}, {"L2Tunnel", 4},
    {"Overlay", 5}, {"Private", 6}, {"Internal", 7}, {"Mirrored", 8}, {"Infiniband", 9},
    {"ConstrainedICS", 10}, {NULL, 0}};

enum { MODE_NAT = 0, MODE_ICS = 1, MODE_L2BRIDGE = 3, MODE_L2TUNNEL = 4, MODE_OVERLAY = 5 };

static const jx_enum_entry ipam_types[] = {{"Static", 0}, {"Dhcp", 1}, {NULL, 0}};

static const jx_enum_entry network_resource_types[] = {
    {"DNS", 0}, {"Extension", 1}, {"Policy", 2}, {"Subnet", 3}, {"IPSubnet", 4}, {NULL, 0}};

/* The switch extensions every network reports (v1 Extensions; modify
 * ResourceType Extension). */
static const struct switch_extension {
    const char *id;
    const char *name;
    bool enabled;
} switch_extensions[] = {
    {"E7C3B2F0-F3C5-48DF-AF2B-10FED6D72E7A", "Microsoft Windows Filtering Platform", true},
    {"E9B59CFA-2BE1-4B21-828F-B6FBDBDDC017", "Microsoft Azure VFP Switch Extension", true},
    {"430BDADD-BAB0-41AB-A369-94B67FA5BE0A", "Microsoft NDIS Capture", false},
};

/* ---- v1 input ------------------------------------------------------------ */

/* True when doc looks like a v1 HNSNetwork rather than a HostComputeNetwork. */
static bool network_doc_is_v1(const cJSON *doc)
{
    if (cJSON_GetObjectItem(doc, "SchemaVersion") || cJSON_GetObjectItem(doc, "Ipams") ||
        cJSON_GetObjectItem(doc, "MacPool"))
        return false;
    static const char *const v1_keys[] = {"Subnets", "MacPools", "DNSServerList", "DNSSuffix",
                                          "NetworkAdapterName", "SourceMac", "ManagementIP",
                                          "AutomaticDNS", NULL};
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
static HRESULT network_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out)
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
    if (SUCCEEDED(hr) && SUCCEEDED(hr = jx_string(v1, "NetworkAdapterName", bad, &s)) && s &&
        *s) {
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

/* ---- canonical v2 form ---------------------------------------------------- */

HRESULT hnsm__dns_canonical(const hnsm_instance *inst, const cJSON *dns, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    cJSON *c = cJSON_CreateObject();
    const char *domain = NULL;
    HRESULT hr = jx_string(dns, "Domain", bad, &domain);
    if (SUCCEEDED(hr) && !domain)
        hr = jx_string(dns, "Suffix", bad, &domain); /* 2018 spelling */
    jx_put_string(c, "Domain", domain);
    static const char *const lists[] = {"Search", "ServerList", "Options"};
    for (int i = 0; SUCCEEDED(hr) && i < 3; i++) {
        const cJSON *list;
        if (FAILED(hr = jx_array(dns, lists[i], bad, &list)) || !list)
            continue;
        const cJSON *item;
        cJSON *copy = cJSON_CreateArray();
        cJSON_ArrayForEach(item, list)
        {
            if (!cJSON_IsString(item)) {
                hr = hnsm__detail(bad, "Dns.%s must hold strings", lists[i]);
                break;
            }
            cJSON_AddItemToArray(copy, cJSON_CreateString(item->valuestring));
        }
        if (cJSON_GetArraySize(copy))
            cJSON_AddItemToObject(c, lists[i], copy);
        else
            cJSON_Delete(copy);
    }
    if (FAILED(hr)) {
        cJSON_Delete(c);
        return hr;
    }
    *out = c;
    return S_OK;
}

/* Canonicalises one subnet; assigns an ID when it has none. */
static HRESULT subnet_canonical(hnsm_instance *inst, const cJSON *in, const hnsm_profile *profile,
                                cJSON **out)
{
    const HRESULT bad = HNSM_HCN_E_INVALID_SUBNET;
    if (!cJSON_IsObject(in))
        return hnsm__detail(bad, "a subnet must be an object");
    cJSON *s = cJSON_CreateObject();
    HRESULT hr = S_OK;
    const char *id_text = NULL, *prefix_text = NULL;
    char id[HNSM_GUID_TEXT];
    hnsm_prefix prefix;
    if (FAILED(hr = jx_string(in, "ID", bad, &id_text)))
        goto fail;
    if (id_text && *id_text) {
        if (!hnsm__guid_canonical(id_text, id)) {
            hr = hnsm__detail(bad, "subnet ID \"%s\" is not a GUID", id_text);
            goto fail;
        }
    } else if (FAILED(hr = hnsm__new_guid(inst, id))) {
        goto fail;
    }
    cJSON_AddStringToObject(s, "ID", id);
    if (FAILED(hr = jx_string(in, "IpAddressPrefix", bad, &prefix_text)))
        goto fail;
    if (!prefix_text || !hnsm__prefix_parse(prefix_text, false, &prefix)) {
        hr = hnsm__detail(bad, "subnet IpAddressPrefix \"%s\" is not a prefix",
                          prefix_text ? prefix_text : "");
        goto fail;
    }
    cJSON_AddStringToObject(s, "IpAddressPrefix", prefix_text);

    const cJSON *policies;
    cJSON *canonical;
    hnsm_policy_context ctx = {profile, NULL};
    if (FAILED(hr = jx_array(in, "Policies", bad, &policies)) ||
        FAILED(hr = hnsm__policies_canonical(HNSM_POLICY_SUBNET, policies, &ctx, &canonical)))
        goto fail;
    if (cJSON_GetArraySize(canonical))
        cJSON_AddItemToObject(s, "Policies", canonical);
    else
        cJSON_Delete(canonical);

    const cJSON *routes, *route;
    if (FAILED(hr = jx_array(in, "Routes", bad, &routes)))
        goto fail;
    cJSON *route_list = cJSON_AddArrayToObject(s, "Routes");
    cJSON_ArrayForEach(route, routes)
    {
        const char *next_hop = NULL, *destination = NULL;
        uint64_t metric = 0;
        hnsm_ip ip;
        hnsm_prefix dp;
        if (!cJSON_IsObject(route) || FAILED(hr = jx_string(route, "NextHop", bad, &next_hop)) ||
            FAILED(hr = jx_string(route, "DestinationPrefix", bad, &destination)) ||
            FAILED(hr = jx_uint(route, "Metric", 0xFFFF, bad, &metric))) {
            if (SUCCEEDED(hr))
                hr = hnsm__detail(bad, "a route must be an object");
            goto fail;
        }
        if ((next_hop && *next_hop && !hnsm__ip_parse(next_hop, &ip)) ||
            (destination && *destination && !hnsm__prefix_parse(destination, false, &dp))) {
            hr = hnsm__detail(bad, "route %s via %s is not valid", destination ? destination : "",
                              next_hop ? next_hop : "");
            goto fail;
        }
        cJSON *r = cJSON_CreateObject();
        jx_put_string(r, "NextHop", next_hop);
        jx_put_string(r, "DestinationPrefix", destination);
        jx_put_uint(r, "Metric", metric);
        cJSON_AddItemToArray(route_list, r);
    }
    if (!cJSON_GetArraySize(route_list))
        cJSON_DeleteItemFromObject(s, "Routes");

    uint64_t flags = 0;
    if (FAILED(hr = jx_uint(in, "Flags", 0xFFFFFFFFu, bad, &flags)))
        goto fail;
    jx_put_uint(s, "Flags", flags);

    const cJSON *ip_subnets, *ips;
    if (FAILED(hr = jx_array(in, "IpSubnets", bad, &ip_subnets)))
        goto fail;
    cJSON *ip_list = cJSON_AddArrayToObject(s, "IpSubnets");
    cJSON_ArrayForEach(ips, ip_subnets)
    {
        const char *p = NULL, *ips_id = NULL;
        uint64_t f = 0;
        hnsm_prefix ipp;
        char canonical_id[HNSM_GUID_TEXT];
        if (!cJSON_IsObject(ips) ||
            FAILED(hr = jx_string(ips, "IpAddressPrefix", HNSM_HCN_E_INVALID_IP_SUBNET, &p)) ||
            FAILED(hr = jx_string(ips, "ID", HNSM_HCN_E_INVALID_IP_SUBNET, &ips_id)) ||
            FAILED(hr = jx_uint(ips, "Flags", 0xFFFFFFFFu, HNSM_HCN_E_INVALID_IP_SUBNET, &f)) ||
            !p || !hnsm__prefix_parse(p, false, &ipp) ||
            !hnsm__prefix_contains(&prefix, &ipp.addr) || ipp.length < prefix.length) {
            if (SUCCEEDED(hr))
                hr = hnsm__detail(HNSM_HCN_E_INVALID_IP_SUBNET,
                                  "IpSubnets entries need an IpAddressPrefix inside %s",
                                  prefix_text);
            goto fail;
        }
        cJSON *e = cJSON_CreateObject();
        if (ips_id && *ips_id && hnsm__guid_canonical(ips_id, canonical_id))
            cJSON_AddStringToObject(e, "ID", canonical_id);
        else if (SUCCEEDED(hr = hnsm__new_guid(inst, canonical_id)))
            cJSON_AddStringToObject(e, "ID", canonical_id);
        cJSON_AddStringToObject(e, "IpAddressPrefix", p);
        jx_put_uint(e, "Flags", f);
        cJSON_AddItemToArray(ip_list, e);
        if (FAILED(hr))
            goto fail;
    }
    if (!cJSON_GetArraySize(ip_list))
        cJSON_DeleteItemFromObject(s, "IpSubnets");
    *out = s;
    return S_OK;
fail:
    cJSON_Delete(s);
    return hr;
}

/* Refuses subnets that overlap one another anywhere in the network's IPAMs. */
static HRESULT subnets_disjoint(const cJSON *ipams)
{
    const cJSON *ipam_a, *a, *ipam_b, *b;
    cJSON_ArrayForEach(ipam_a, ipams) cJSON_ArrayForEach(a, cJSON_GetObjectItem(ipam_a, "Subnets"))
    {
        hnsm_prefix pa, pb;
        hnsm__prefix_parse(cJSON_GetObjectItem(a, "IpAddressPrefix")->valuestring, false, &pa);
        cJSON_ArrayForEach(ipam_b, ipams)
            cJSON_ArrayForEach(b, cJSON_GetObjectItem(ipam_b, "Subnets"))
        {
            if (a == b)
                continue;
            hnsm__prefix_parse(cJSON_GetObjectItem(b, "IpAddressPrefix")->valuestring, false, &pb);
            if (hnsm__prefix_overlaps(&pa, &pb))
                return hnsm__detail(HNSM_HCN_E_INVALID_SUBNET, "subnets %s and %s overlap",
                                    cJSON_GetObjectItem(a, "IpAddressPrefix")->valuestring,
                                    cJSON_GetObjectItem(b, "IpAddressPrefix")->valuestring);
        }
    }
    return S_OK;
}

static HRESULT mac_pool_canonical(const hnsm_instance *inst, const cJSON *pool, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *ranges, *range;
    HRESULT hr = jx_array(pool, "Ranges", bad, &ranges);
    if (FAILED(hr))
        return hr;
    cJSON *c = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(c, "Ranges");
    cJSON_ArrayForEach(range, ranges)
    {
        const char *start = NULL, *end = NULL;
        uint64_t a, b;
        if (!cJSON_IsObject(range) ||
            FAILED(hr = jx_string(range, "StartMacAddress", bad, &start)) ||
            FAILED(hr = jx_string(range, "EndMacAddress", bad, &end)) ||
            !hnsm__mac_parse(start, &a) || !hnsm__mac_parse(end, &b) || a > b) {
            cJSON_Delete(c);
            return SUCCEEDED(hr) ? hnsm__detail(HNSM_HCN_E_INVALID_NETWORK,
                                                "MacPool ranges need StartMacAddress <= EndMacAddress")
                                 : hr;
        }
        char sa[HNSM_MAC_TEXT], sb[HNSM_MAC_TEXT];
        hnsm__mac_format(a, sa);
        hnsm__mac_format(b, sb);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "StartMacAddress", sa);
        cJSON_AddStringToObject(r, "EndMacAddress", sb);
        cJSON_AddItemToArray(list, r);
    }
    *out = c;
    return S_OK;
}

static HRESULT ipams_canonical(hnsm_instance *inst, const cJSON *ipams_in, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    cJSON *ipams = cJSON_CreateArray();
    const cJSON *ipam;
    HRESULT hr = S_OK;
    cJSON_ArrayForEach(ipam, ipams_in)
    {
        int type = 0;
        const cJSON *subnets, *subnet;
        if (!cJSON_IsObject(ipam)) {
            hr = hnsm__detail(bad, "Ipams entries must be objects");
            break;
        }
        if (FAILED(hr = jx_enum(ipam, "Type", ipam_types, HNSM_HCN_E_INVALID_NETWORK, &type)) ||
            FAILED(hr = jx_array(ipam, "Subnets", bad, &subnets)))
            break;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddItemToArray(ipams, c);
        cJSON_AddStringToObject(c, "Type", jx_enum_name(ipam_types, type));
        cJSON *list = cJSON_AddArrayToObject(c, "Subnets");
        cJSON_ArrayForEach(subnet, subnets)
        {
            cJSON *s;
            if (FAILED(hr = subnet_canonical(inst, subnet, &inst->profile, &s)))
                break;
            cJSON_AddItemToArray(list, s);
        }
        if (FAILED(hr))
            break;
    }
    if (SUCCEEDED(hr))
        hr = subnets_disjoint(ipams);
    if (FAILED(hr)) {
        cJSON_Delete(ipams);
        return hr;
    }
    *out = ipams;
    return S_OK;
}

cJSON *hnsm__network_set_policy_ids(const cJSON *network_doc)
{
    cJSON *ids = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(network_doc, "Policies"))
    {
        const char *type = hnsm__policy_type(p);
        const cJSON *id = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "Settings"), "Id");
        if (type && strcmp(type, "SetPolicy") == 0 && cJSON_IsString(id))
            cJSON_AddItemToArray(ids, cJSON_CreateString(id->valuestring));
    }
    return ids;
}

/* Adds a policy of type with one settings field, unless the list has that type. */
static void add_default_policy(cJSON *policies, const char *type, const char *field,
                               const char *value)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, policies)
    {
        const char *t = hnsm__policy_type(p);
        if (t && strcmp(t, type) == 0)
            return;
    }
    cJSON *policy = cJSON_CreateObject();
    cJSON_AddStringToObject(policy, "Type", type);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(policy, "Settings"), field, value);
    cJSON_AddItemToArray(policies, policy);
}

/* Builds the stored document of a new network from a v2 document. */
static HRESULT network_canonical(hnsm_instance *inst, const cJSON *in, cJSON **out, int *mode_out,
                                 uint32_t *flags_out, const char **name_out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const char *name = "";
    int mode = MODE_NAT;
    uint64_t flags = 0;
    const cJSON *policies_in, *pool_in, *dns_in, *ipams_in;
    HRESULT hr;
    if (FAILED(hr = jx_string(in, "Name", bad, &name)) ||
        FAILED(hr = jx_enum(in, "Type", network_modes, HNSM_HCN_E_INVALID_NETWORK_TYPE, &mode)) ||
        FAILED(hr = jx_uint(in, "Flags", 0xFFFFFFFFu, bad, &flags)) ||
        FAILED(hr = jx_array(in, "Policies", bad, &policies_in)) ||
        FAILED(hr = jx_object(in, "MacPool", bad, &pool_in)) ||
        FAILED(hr = jx_object(in, "Dns", bad, &dns_in)) ||
        FAILED(hr = jx_array(in, "Ipams", bad, &ipams_in)))
        return hr;

    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Name", name);
    if (mode != MODE_NAT)
        cJSON_AddStringToObject(doc, "Type", jx_enum_name(network_modes, mode));

    /* SetPolicy ids given in this document may be referenced by its ACLs. */
    cJSON *view = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(view, "Policies", (cJSON *)policies_in);
    cJSON *raw_ids = hnsm__network_set_policy_ids(view);
    cJSON_Delete(view);
    hnsm_policy_context ctx = {&inst->profile, raw_ids};
    cJSON *policies = NULL, *pool = NULL, *dns = NULL, *ipams = NULL;
    hr = hnsm__policies_canonical(HNSM_POLICY_NETWORK, policies_in, &ctx, &policies);
    cJSON_Delete(raw_ids);
    if (SUCCEEDED(hr) && pool_in)
        hr = mac_pool_canonical(inst, pool_in, &pool);
    if (SUCCEEDED(hr) && dns_in)
        hr = hnsm__dns_canonical(inst, dns_in, &dns);
    if (SUCCEEDED(hr))
        hr = ipams_canonical(inst, ipams_in, &ipams);
    if (FAILED(hr))
        goto fail;

    char adapter[64], host_ip[64];
    if (FAILED(hr = hnsm__host(inst, adapter, host_ip)))
        goto fail;
    if (hnsm__choice(inst, HNSM_CHOICE_AUTO_PROVIDER_ADDRESS) &&
        (mode == MODE_L2BRIDGE || mode == MODE_L2TUNNEL || mode == MODE_OVERLAY)) {
        char *slash = strchr(host_ip, '/');
        if (slash)
            *slash = '\0';
        add_default_policy(policies, "ProviderAddress", "ProviderAddress", host_ip);
        if (mode == MODE_OVERLAY) {
            uint64_t r;
            char mac[HNSM_MAC_TEXT];
            if (FAILED(hr = hnsm__new_random(inst, &r)))
                goto fail;
            hnsm__mac_format(0x00155D000000ull | (r & 0xFFFFFF), mac);
            add_default_policy(policies, "DrMacAddress", "Address", mac);
        }
    }
    if (!pool || !cJSON_GetArraySize(cJSON_GetObjectItem(pool, "Ranges"))) {
        /* Hyper-V style default pool: 4096 addresses 00-15-5D-XX-Y0-00..00-15-5D-XX-YF-FF. */
        uint64_t r;
        char start[HNSM_MAC_TEXT], end[HNSM_MAC_TEXT];
        if (FAILED(hr = hnsm__new_random(inst, &r)))
            goto fail;
        uint64_t base = 0x00155D000000ull | ((r & 0xFFF) << 12);
        hnsm__mac_format(base, start);
        hnsm__mac_format(base | 0xFFF, end);
        cJSON_Delete(pool);
        pool = cJSON_CreateObject();
        cJSON *range = cJSON_CreateObject();
        cJSON_AddStringToObject(range, "StartMacAddress", start);
        cJSON_AddStringToObject(range, "EndMacAddress", end);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(pool, "Ranges"), range);
    }

    if (cJSON_GetArraySize(policies))
        cJSON_AddItemToObject(doc, "Policies", policies);
    else
        cJSON_Delete(policies);
    policies = NULL;
    cJSON_AddItemToObject(doc, "MacPool", pool);
    pool = NULL;
    if (dns && dns->child)
        cJSON_AddItemToObject(doc, "Dns", dns);
    else
        cJSON_Delete(dns);
    dns = NULL;
    if (cJSON_GetArraySize(ipams))
        cJSON_AddItemToObject(doc, "Ipams", ipams);
    else
        cJSON_Delete(ipams);
    ipams = NULL;
    jx_put_uint(doc, "Flags", flags);

    /* HNS-side identities: the vSwitch, its VFP layer and the host vNIC port. */
    static const char *const private_ids[] = {"_SwitchGuid", "_LayerId", "_HostVnicPort",
                                              "_ExternalPort"};
    for (int i = 0; i < 4; i++) {
        char g[HNSM_GUID_TEXT];
        if (FAILED(hr = hnsm__new_guid(inst, g)))
            goto fail;
        cJSON_AddStringToObject(doc, private_ids[i], g);
    }
    cJSON *ext = cJSON_AddObjectToObject(doc, "_Extensions");
    for (size_t i = 0; i < sizeof switch_extensions / sizeof switch_extensions[0]; i++)
        cJSON_AddBoolToObject(ext, switch_extensions[i].id, switch_extensions[i].enabled);

    *mode_out = mode;
    *flags_out = (uint32_t)flags;
    *name_out = cJSON_GetObjectItem(doc, "Name")->valuestring;
    *out = doc;
    return S_OK;
fail:
    cJSON_Delete(policies);
    cJSON_Delete(pool);
    cJSON_Delete(dns);
    cJSON_Delete(ipams);
    cJSON_Delete(doc);
    return hr;
}

/* ---- create, load, delete -------------------------------------------------- */

HRESULT hnsm__network_exists(hnsm_instance *inst, const char *id)
{
    return hnsm__row_exists(inst, "SELECT 1 FROM networks WHERE id = ?1", id,
                            HNSM_HCN_E_NETWORK_NOT_FOUND, "network");
}

HRESULT hnsm__network_load(hnsm_instance *inst, const char *id, cJSON **doc)
{
    return hnsm__row_doc(inst, "SELECT doc FROM networks WHERE id = ?1", id,
                         HNSM_HCN_E_NETWORK_NOT_FOUND, "network", doc);
}

HRESULT hnsm__network_peek(hnsm_instance *inst, const char *id, const cJSON **doc)
{
    *doc = NULL;
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT doc FROM networks WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr = S_OK;
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        if (!inst->network_cache_doc || strcmp(inst->network_cache_id, id) != 0 ||
            strcmp(inst->network_cache_text, text) != 0) {
            cJSON *parsed;
            char *copy = strdup(text);
            hr = copy ? hnsm__parse_stored(text, &parsed) : HNSM_E_OUTOFMEMORY;
            if (SUCCEEDED(hr)) {
                free(inst->network_cache_text);
                cJSON_Delete(inst->network_cache_doc);
                inst->network_cache_text = copy;
                inst->network_cache_doc = parsed;
                memcpy(inst->network_cache_id, id, HNSM_GUID_TEXT);
            } else {
                free(copy);
            }
        }
        *doc = inst->network_cache_doc;
    } else if (rc == SQLITE_DONE) {
        hr = hnsm__detail(HNSM_HCN_E_NETWORK_NOT_FOUND, "no network %s", id);
    } else {
        hr = hnsm__sql_error(inst, rc);
    }
    sqlite3_reset(st);
    return hr;
}

/* Writes doc back to the network's row. */
static HRESULT network_save(hnsm_instance *inst, const char *id, const cJSON *doc)
{
    char *text = jx_print(doc);
    if (!text)
        return HNSM_E_OUTOFMEMORY;
    const cJSON *flags = cJSON_GetObjectItem(doc, "Flags");
    sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE networks SET doc = ?2, flags = ?3 WHERE id = ?1");
    HRESULT hr = HNSM_E_FAIL;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, flags ? (int64_t)flags->valuedouble : 0);
        hr = hnsm__step_done(inst, st);
    }
    free(text);
    return hr;
}

static HRESULT network_name_taken(hnsm_instance *inst, const char *name, int mode)
{
    if (!hnsm__choice(inst, HNSM_CHOICE_NETWORK_NAME_UNIQUE))
        return S_OK;
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT 1 FROM networks WHERE name = ?1 LIMIT 1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return S_OK;
    if (rc != SQLITE_ROW)
        return hnsm__sql_error(inst, rc);
    return hnsm__detail(mode == MODE_ICS ? HNSM_HRESULT_ERROR_DUP_NAME
                                         : HNSM_HCN_E_NETWORK_ALREADY_EXISTS,
                        "a network named \"%s\" already exists", name);
}

HRESULT hnsm__network_create(hnsm_instance *inst, const char *id, const cJSON *in,
                             char out_id[HNSM_GUID_TEXT])
{
    cJSON *v2 = NULL, *doc = NULL;
    HRESULT hr = S_OK;
    if (network_doc_is_v1(in)) {
        if (FAILED(hr = network_from_v1(inst, in, &v2)))
            return hr;
        in = v2;
    }
    int mode;
    uint32_t flags;
    const char *name;
    int64_t seq;
    char *text = NULL;
    if (FAILED(hr = hnsm__choose_id(inst, id, in, hnsm__network_exists, out_id)) ||
        FAILED(hr = network_canonical(inst, in, &doc, &mode, &flags, &name)) ||
        FAILED(hr = network_name_taken(inst, name, mode)) || FAILED(hr = hnsm__next_seq(inst, &seq)))
        goto done;
    if (!(text = jx_print(doc))) {
        hr = HNSM_E_OUTOFMEMORY;
        goto done;
    }
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO networks(id, seq, name, type, flags, origin, "
                                        "mac_next, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)");
    if (!st) {
        hr = HNSM_E_FAIL;
        goto done;
    }
    sqlite3_bind_text(st, 1, out_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, mode);
    sqlite3_bind_int64(st, 5, flags);
    sqlite3_bind_int(st, 6, v2 ? 1 : 0);
    sqlite3_bind_text(st, 7, text, -1, SQLITE_STATIC);
    hr = hnsm__step_done(inst, st);
    if (SUCCEEDED(hr))
        hnsm__event(inst, HcnNotificationNetworkCreate, out_id, NULL);
done:
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(v2);
    return hr;
}

HRESULT hnsm__network_delete(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__network_exists(inst, id);
    if (FAILED(hr))
        return hr;
    /* Endpoints first: they release their addresses, ports and namespaces. */
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT id FROM endpoints WHERE network_id = ?1 LIMIT 1");
    for (;;) {
        if (!st)
            return HNSM_E_FAIL;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            sqlite3_reset(st);
            break;
        }
        if (rc != SQLITE_ROW) {
            sqlite3_reset(st);
            return hnsm__sql_error(inst, rc);
        }
        if (!hnsm__choice(inst, HNSM_CHOICE_DELETE_NETWORK_CASCADES)) {
            sqlite3_reset(st);
            return hnsm__detail(HNSM_HCN_E_ENTITY_HAS_REFERENCES,
                                "network %s still has endpoints", id);
        }
        char ep[HNSM_GUID_TEXT];
        snprintf(ep, sizeof ep, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (FAILED(hr = hnsm__endpoint_delete(inst, ep)))
            return hr;
    }
    sqlite3_stmt *cursor = hnsm__stmt(inst, "DELETE FROM ipam_cursor WHERE network_id = ?1");
    if (!cursor)
        return HNSM_E_FAIL;
    sqlite3_bind_text(cursor, 1, id, -1, SQLITE_STATIC);
    if (FAILED(hr = hnsm__step_done(inst, cursor)))
        return hr;
    sqlite3_stmt *del = hnsm__stmt(inst, "DELETE FROM networks WHERE id = ?1");
    if (!del)
        return HNSM_E_FAIL;
    sqlite3_bind_text(del, 1, id, -1, SQLITE_STATIC);
    if (SUCCEEDED(hr = hnsm__step_done(inst, del)))
        hnsm__event(inst, HcnNotificationNetworkDelete, id, NULL);
    return hr;
}

/* ---- modify ------------------------------------------------------------------ */

/* The subnet object with the given ID (any case) in doc, or NULL; *owner
 * receives the Subnets array that holds it. */
static cJSON *find_subnet_by_id(cJSON *doc, const char *id, cJSON **owner)
{
    char want[HNSM_GUID_TEXT];
    if (!hnsm__guid_canonical(id, want))
        return NULL;
    cJSON *ipam, *subnet;
    cJSON_ArrayForEach(ipam, cJSON_GetObjectItem(doc, "Ipams"))
        cJSON_ArrayForEach(subnet, cJSON_GetObjectItem(ipam, "Subnets"))
    {
        const cJSON *sid = cJSON_GetObjectItem(subnet, "ID");
        if (cJSON_IsString(sid) && strcmp(sid->valuestring, want) == 0) {
            *owner = cJSON_GetObjectItem(ipam, "Subnets");
            return subnet;
        }
    }
    return NULL;
}

/* True when any endpoint of the network holds an address inside prefix. */
static HRESULT prefix_in_use(hnsm_instance *inst, const char *network_id, const char *prefix_text,
                             bool *used)
{
    hnsm_prefix p;
    hnsm_ip first, last;
    *used = false;
    if (!hnsm__prefix_parse(prefix_text, true, &p))
        return S_OK;
    hnsm__prefix_first(&p, &first);
    hnsm__prefix_last(&p, &last);
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT 1 FROM endpoint_ips WHERE network_id = ?1 AND "
                                        "ip >= ?2 AND ip <= ?3 LIMIT 1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, network_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, first.b, 16, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, last.b, 16, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hnsm__sql_error(inst, rc);
    *used = rc == SQLITE_ROW;
    return S_OK;
}

static HRESULT modify_subnets(hnsm_instance *inst, const char *id, cJSON *doc, int request,
                              const cJSON *settings)
{
    const cJSON *list;
    HRESULT hr = jx_array(settings, "Subnets", hnsm__type_error(inst), &list);
    if (FAILED(hr))
        return hr;
    cJSON *ipams = cJSON_GetObjectItem(doc, "Ipams");
    if (!ipams)
        ipams = cJSON_AddArrayToObject(doc, "Ipams");
    if (!cJSON_GetArraySize(ipams)) {
        cJSON *ipam = cJSON_CreateObject();
        cJSON_AddStringToObject(ipam, "Type", "Static");
        cJSON_AddArrayToObject(ipam, "Subnets");
        cJSON_AddItemToArray(ipams, ipam);
    }
    cJSON *target = cJSON_GetObjectItem(cJSON_GetArrayItem(ipams, 0), "Subnets");
    const cJSON *s;
    cJSON_ArrayForEach(s, list)
    {
        if (request == HNSM_REQ_ADD || request == HNSM_REQ_UPDATE) {
            cJSON *c;
            if (FAILED(hr = subnet_canonical(inst, s, &inst->profile, &c)))
                return hr;
            cJSON_AddItemToArray(target, c);
            if (FAILED(hr = subnets_disjoint(ipams)))
                return hr;
        } else if (request == HNSM_REQ_REMOVE) {
            const cJSON *prefix = cJSON_GetObjectItem(s, "IpAddressPrefix");
            cJSON *ipam, *found = NULL, *owner = NULL;
            cJSON_ArrayForEach(ipam, ipams)
            {
                cJSON *candidate;
                cJSON_ArrayForEach(candidate, cJSON_GetObjectItem(ipam, "Subnets"))
                {
                    if (cJSON_IsString(prefix) &&
                        strcmp(cJSON_GetObjectItem(candidate, "IpAddressPrefix")->valuestring,
                               prefix->valuestring) == 0)
                        found = candidate, owner = cJSON_GetObjectItem(ipam, "Subnets");
                }
            }
            if (!found)
                return hnsm__detail(HNSM_HCN_E_SUBNET_NOT_FOUND, "the network has no such subnet");
            bool used;
            if (FAILED(hr = prefix_in_use(inst, id, prefix->valuestring, &used)))
                return hr;
            if (used)
                return hnsm__detail(HNSM_HCN_E_ENTITY_HAS_REFERENCES,
                                    "endpoints still hold addresses in %s", prefix->valuestring);
            cJSON_Delete(cJSON_DetachItemViaPointer(owner, found));
        }
    }
    return S_OK;
}

static HRESULT modify_ip_subnets(hnsm_instance *inst, const char *id, cJSON *doc, int request,
                                 const cJSON *settings)
{
    const char *subnet_id = NULL;
    const cJSON *list;
    HRESULT hr;
    if (FAILED(hr = jx_string(settings, "SubnetId", hnsm__type_error(inst), &subnet_id)) ||
        FAILED(hr = jx_array(settings, "IpSubnets", hnsm__type_error(inst), &list)))
        return hr;
    cJSON *owner = NULL;
    cJSON *subnet = subnet_id ? find_subnet_by_id(doc, subnet_id, &owner) : NULL;
    if (!subnet)
        return hnsm__detail(HNSM_HCN_E_SUBNET_NOT_FOUND, "no subnet %s in the network",
                            subnet_id ? subnet_id : "(none)");
    /* Re-validate the subnet with the new IpSubnets through the one canonicaliser. */
    cJSON *candidate = cJSON_Duplicate(subnet, 1);
    cJSON *ip_subnets = cJSON_GetObjectItem(candidate, "IpSubnets");
    if (!ip_subnets)
        ip_subnets = cJSON_AddArrayToObject(candidate, "IpSubnets");
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (request == HNSM_REQ_REMOVE) {
            const cJSON *prefix = cJSON_GetObjectItem(e, "IpAddressPrefix");
            int i = 0, found = -1;
            cJSON *existing;
            cJSON_ArrayForEach(existing, ip_subnets)
            {
                if (cJSON_IsString(prefix) &&
                    strcmp(cJSON_GetObjectItem(existing, "IpAddressPrefix")->valuestring,
                           prefix->valuestring) == 0)
                    found = i;
                i++;
            }
            bool used = false;
            if (found < 0) {
                cJSON_Delete(candidate);
                return hnsm__detail(HNSM_HCN_E_SUBNET_NOT_FOUND, "no such IpSubnet");
            }
            if (FAILED(hr = prefix_in_use(inst, id, prefix->valuestring, &used)) || used) {
                cJSON_Delete(candidate);
                return FAILED(hr) ? hr
                                  : hnsm__detail(HNSM_HCN_E_ENTITY_HAS_REFERENCES,
                                                 "endpoints still hold addresses in %s",
                                                 prefix->valuestring);
            }
            cJSON_DeleteItemFromArray(ip_subnets, found);
        } else {
            cJSON_AddItemToArray(ip_subnets, cJSON_Duplicate(e, 1));
        }
    }
    cJSON *canonical;
    hr = subnet_canonical(inst, candidate, &inst->profile, &canonical);
    cJSON_Delete(candidate);
    if (FAILED(hr))
        return hr;
    /* The subnet may belong to any of the network's IPAMs. */
    cJSON_ReplaceItemViaPointer(owner, subnet, canonical);
    return S_OK;
}

HRESULT hnsm__network_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    cJSON *doc;
    HRESULT hr = hnsm__network_load(inst, id, &doc);
    if (FAILED(hr))
        return hr;
    int request_type, resource_type;
    const cJSON *settings;
    if (FAILED(hr = hnsm__modify_request(request, network_resource_types, &request_type,
                                         &resource_type, &settings)))
        goto done;
    if (!settings && request_type != HNSM_REQ_REMOVE) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "the modify request has no Settings");
        goto done;
    }
    if (settings && !cJSON_IsObject(settings)) {
        hr = hnsm__detail(hnsm__type_error(inst), "the modify request's Settings must be an object");
        goto done;
    }
    switch (resource_type) {
    case 0: { /* DNS */
        cJSON *dns = NULL;
        cJSON_DeleteItemFromObject(doc, "Dns");
        if (request_type != HNSM_REQ_REMOVE) {
            if (FAILED(hr = hnsm__dns_canonical(inst, settings, &dns)))
                goto done;
            /* An empty Dns is omitted, as at create. */
            if (dns->child)
                cJSON_AddItemToObject(doc, "Dns", dns);
            else
                cJSON_Delete(dns);
        }
        break;
    }
    case 1: { /* Extension */
        const char *ext_id = NULL;
        bool enabled = false;
        char canonical[HNSM_GUID_TEXT];
        if (FAILED(hr = jx_string(settings, "Id", hnsm__type_error(inst), &ext_id)) ||
            FAILED(hr = jx_bool(settings, "IsEnabled", hnsm__type_error(inst), &enabled)))
            goto done;
        cJSON *ext = cJSON_GetObjectItem(doc, "_Extensions");
        if (!ext_id || !hnsm__guid_canonical(ext_id, canonical) ||
            !cJSON_GetObjectItemCaseSensitive(ext, canonical)) {
            hr = hnsm__detail(HNSM_HCN_E_SWITCH_EXTENSION_NOT_FOUND, "no switch extension %s",
                              ext_id ? ext_id : "(none)");
            goto done;
        }
        cJSON_ReplaceItemInObjectCaseSensitive(ext, canonical, cJSON_CreateBool(enabled));
        break;
    }
    case 2: { /* Policy */
        const cJSON *given = NULL;
        cJSON *canonical = NULL, *ids = hnsm__network_set_policy_ids(doc);
        if (FAILED(hr = jx_array(settings, "Policies", hnsm__type_error(inst), &given))) {
            cJSON_Delete(ids);
            goto done;
        }
        /* ACLs may refer to SetPolicies added in the same request. */
        cJSON *view = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(view, "Policies", (cJSON *)given);
        cJSON *new_ids = hnsm__network_set_policy_ids(view);
        cJSON_Delete(view);
        cJSON *id_item;
        cJSON_ArrayForEach(id_item, new_ids) cJSON_AddItemToArray(ids, cJSON_Duplicate(id_item, 1));
        cJSON_Delete(new_ids);
        hnsm_policy_context ctx = {&inst->profile, ids};
        hr = hnsm__policies_canonical(HNSM_POLICY_NETWORK, given, &ctx, &canonical);
        cJSON_Delete(ids);
        if (FAILED(hr))
            goto done;
        cJSON *list = cJSON_GetObjectItem(doc, "Policies");
        if (!list) {
            list = cJSON_CreateArray();
            /* Keep the canonical key order: Policies follows Type/Name. */
            cJSON_AddItemToObject(doc, "Policies", list);
        }
        hr = hnsm__apply_policy_request(inst, list, request_type, canonical);
        cJSON_Delete(canonical);
        if (FAILED(hr))
            goto done;
        if (!cJSON_GetArraySize(list))
            cJSON_DeleteItemFromObject(doc, "Policies");
        break;
    }
    case 3: /* Subnet */
        if (FAILED(hr = modify_subnets(inst, id, doc, request_type, settings)))
            goto done;
        break;
    case 4: /* IPSubnet */
        if (FAILED(hr = modify_ip_subnets(inst, id, doc, request_type, settings)))
            goto done;
        break;
    }
    hr = network_save(inst, id, doc);
done:
    cJSON_Delete(doc);
    return hr;
}

/* ---- rendering ------------------------------------------------------------- */

static HRESULT endpoint_count(hnsm_instance *inst, const char *id, int64_t *count)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT count(*) FROM endpoints WHERE network_id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? S_OK : hnsm__sql_error(inst, rc);
}

/* The settings field of the first policy of type in doc, or NULL. */
static const char *policy_setting(const cJSON *doc, const char *type, const char *field)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "Policies"))
    {
        const char *t = hnsm__policy_type(p);
        const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "Settings"), field);
        if (t && strcmp(t, type) == 0 && cJSON_IsString(v))
            return v->valuestring;
    }
    return NULL;
}

/* The gateway of a subnet: NextHop of its default route, else its first route. */
const char *hnsm__subnet_gateway(const cJSON *subnet)
{
    const cJSON *route, *first = NULL;
    cJSON_ArrayForEach(route, cJSON_GetObjectItem(subnet, "Routes"))
    {
        const cJSON *dest = cJSON_GetObjectItem(route, "DestinationPrefix");
        const cJSON *hop = cJSON_GetObjectItem(route, "NextHop");
        if (!cJSON_IsString(hop))
            continue;
        if (!first)
            first = hop;
        if (cJSON_IsString(dest) &&
            (strcmp(dest->valuestring, "0.0.0.0/0") == 0 || strcmp(dest->valuestring, "::/0") == 0))
            return hop->valuestring;
    }
    return first ? first->valuestring : NULL;
}

/* Network rendering in the v1 (HNSNetwork) shape, keys in alphabetical order
 * as HNS v1 output shows them. */
static cJSON *network_v1(hnsm_instance *inst, const char *id, const cJSON *doc, int64_t count,
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
    const char *dr_mac = policy_setting(doc, "DrMacAddress", "Address");
    if (dr_mac)
        cJSON_AddStringToObject(v1, "DrMacAddress", dr_mac);
    cJSON *extensions = cJSON_AddArrayToObject(v1, "Extensions");
    const cJSON *ext_state = cJSON_GetObjectItem(doc, "_Extensions");
    for (size_t i = 0; i < sizeof switch_extensions / sizeof switch_extensions[0]; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Id", switch_extensions[i].id);
        cJSON_AddBoolToObject(
            e, "IsEnabled",
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ext_state, switch_extensions[i].id)));
        cJSON_AddStringToObject(e, "Name", switch_extensions[i].name);
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
    const char *pa = policy_setting(doc, "ProviderAddress", "ProviderAddress");
    if (pa)
        cJSON_AddStringToObject(v1, "ManagementIP", pa);
    cJSON_AddNumberToObject(v1, "MaxConcurrentEndpoints", 0);
    cJSON_AddStringToObject(v1, "Name", cJSON_GetObjectItem(doc, "Name")->valuestring);
    if (strcmp(type_name, "NAT") == 0 || strcmp(type_name, "ICS") == 0)
        cJSON_AddStringToObject(v1, "NatName", gid);
    const char *adapter_name = policy_setting(doc, "NetAdapterName", "NetworkAdapterName");
    if (adapter_name)
        cJSON_AddStringToObject(v1, "NetworkAdapterName", adapter_name);
    else if (pa)
        cJSON_AddStringToObject(v1, "NetworkAdapterName", adapter);
    cJSON *policies = cJSON_AddArrayToObject(v1, "Policies");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "Policies"))
        cJSON_AddItemToArray(policies, hnsm__policy_to_v1(HNSM_POLICY_NETWORK, p));
    const char *source_mac = policy_setting(doc, "SourceMacAddress", "SourceMacAddress");
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

HRESULT hnsm__network_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                             cJSON **out)
{
    cJSON *doc;
    int64_t count = 0;
    HRESULT hr = hnsm__network_load(inst, id, &doc);
    if (FAILED(hr))
        return hr;
    if (how->v1) {
        if (FAILED(hr = endpoint_count(inst, id, &count))) {
            cJSON_Delete(doc);
            return hr;
        }
        *out = network_v1(inst, id, doc, count, how);
        cJSON_Delete(doc);
        return S_OK;
    }
    cJSON *v2 = cJSON_CreateObject();
    char gid[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, gid);
    cJSON_AddStringToObject(v2, "ID", gid);
    static const char *const order[] = {"Name", "Type", "Policies", "MacPool", "Dns", "Ipams",
                                        "Flags"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        jx_move(v2, doc, order[i]);
    if (how->detailed) {
        cJSON *health = cJSON_AddObjectToObject(v2, "Health");
        cJSON *extra = cJSON_AddObjectToObject(health, "Extra");
        char g[HNSM_GUID_TEXT];
        hnsm__render_guid(inst, cJSON_GetObjectItem(doc, "_LayerId")->valuestring, g);
        cJSON_AddStringToObject(extra, "LayeredOn", g);
        hnsm__render_guid(inst, cJSON_GetObjectItem(doc, "_SwitchGuid")->valuestring, g);
        cJSON_AddStringToObject(extra, "SwitchGuid", g);
        cJSON_AddNumberToObject(v2, "State", 1);
        cJSON_AddNumberToObject(v2, "Version", hnsm__object_version(inst));
    }
    hnsm__add_schema_version(inst, v2);
    cJSON_Delete(doc);
    *out = v2;
    return S_OK;
}
