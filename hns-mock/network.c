/*
 * network.c - HostComputeNetwork: validate, create, delete, render v2.
 * The v1 shape is in network_v1.c, modify requests in network_modify.c.
 *
 * A network is stored as its canonical v2 document (hcn-api.md 2.2) plus the
 * columns that enumeration filters and IPAM use. v1-shaped create documents
 * (5.3) are translated first (1.9.8). HNS-generated parts are added at create:
 * subnet ids, a default MAC pool, and for L2Bridge/L2Tunnel/Overlay the
 * ProviderAddress and DrMacAddress policies consumers wait for
 * (network_generated.c). Private bookkeeping in the stored document uses keys
 * starting with '_' that no rendering emits.
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

/* NetworkMode (hcn-api.md 2.2): NAT, ICS, Transparent confirmed; the rest in doc order. */
static const jx_enum_entry network_modes[] = {
    {"NAT", 0},      {"ICS", 1},        {"Transparent", 2},     {"L2Bridge", 3},
    {"L2Tunnel", 4}, {"Overlay", 5},    {"Private", 6},         {"Internal", 7},
    {"Mirrored", 8}, {"Infiniband", 9}, {"ConstrainedICS", 10}, {NULL, 0}};

static const jx_enum_entry ipam_types[] = {{"Static", 0}, {"Dhcp", 1}, {NULL, 0}};

const hnsm_switch_extension hnsm__switch_extensions[HNSM_SWITCH_EXTENSION_COUNT] = {
    {"E7C3B2F0-F3C5-48DF-AF2B-10FED6D72E7A", "Microsoft Windows Filtering Platform", true},
    {"E9B59CFA-2BE1-4B21-828F-B6FBDBDDC017", "Microsoft Azure VFP Switch Extension", true},
    {"430BDADD-BAB0-41AB-A369-94B67FA5BE0A", "Microsoft NDIS Capture", false},
};

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
HRESULT hnsm__subnet_canonical(hnsm_instance *inst, const cJSON *in, const hnsm_profile *profile,
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
HRESULT hnsm__subnets_disjoint(const cJSON *ipams)
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
            return SUCCEEDED(hr)
                       ? hnsm__detail(HNSM_HCN_E_INVALID_NETWORK,
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
            if (FAILED(hr = hnsm__subnet_canonical(inst, subnet, &inst->profile, &s)))
                break;
            cJSON_AddItemToArray(list, s);
        }
        if (FAILED(hr))
            break;
    }
    if (SUCCEEDED(hr))
        hr = hnsm__subnets_disjoint(ipams);
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

/* Builds the stored document of a new network from a v2 document. */
static HRESULT network_canonical(hnsm_instance *inst, const cJSON *in, cJSON **out, int *mode_out,
                                 uint32_t *flags_out, const char **name_out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const char *name = "";
    int mode = HNSM_MODE_NAT;
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
    if (mode != HNSM_MODE_NAT)
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

    if (FAILED(hr = hnsm__network_generated(inst, mode, policies, doc)))
        goto fail;
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
    for (size_t i = 0; i < HNSM_SWITCH_EXTENSION_COUNT; i++)
        cJSON_AddBoolToObject(ext, hnsm__switch_extensions[i].id,
                              hnsm__switch_extensions[i].enabled);

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
HRESULT hnsm__network_save(hnsm_instance *inst, const char *id, const cJSON *doc)
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
    return hnsm__detail(mode == HNSM_MODE_ICS ? HNSM_HRESULT_ERROR_DUP_NAME
                                              : HNSM_HCN_E_NETWORK_ALREADY_EXISTS,
                        "a network named \"%s\" already exists", name);
}

HRESULT hnsm__network_create(hnsm_instance *inst, const char *id, const cJSON *in,
                             char out_id[HNSM_GUID_TEXT])
{
    cJSON *v2 = NULL, *doc = NULL;
    HRESULT hr = S_OK;
    if (hnsm__network_doc_is_v1(in)) {
        if (FAILED(hr = hnsm__network_from_v1(inst, in, &v2)))
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
        FAILED(hr = network_name_taken(inst, name, mode)) ||
        FAILED(hr = hnsm__next_seq(inst, &seq)))
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
            return hnsm__detail(HNSM_HCN_E_ENTITY_HAS_REFERENCES, "network %s still has endpoints",
                                id);
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

/* ---- rendering (v2; v1 in network_v1.c)
 * ------------------------------------------------------------- */

HRESULT hnsm__network_endpoint_count(hnsm_instance *inst, const char *id, int64_t *count)
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
const char *hnsm__network_policy_setting(const cJSON *doc, const char *type, const char *field)
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

HRESULT hnsm__network_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                             cJSON **out)
{
    cJSON *doc;
    int64_t count = 0;
    HRESULT hr = hnsm__network_load(inst, id, &doc);
    if (FAILED(hr))
        return hr;
    if (how->v1) {
        if (FAILED(hr = hnsm__network_endpoint_count(inst, id, &count))) {
            cJSON_Delete(doc);
            return hr;
        }
        *out = hnsm__network_v1_view(inst, id, doc, count, how);
        cJSON_Delete(doc);
        return S_OK;
    }
    cJSON *v2 = cJSON_CreateObject();
    char gid[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, gid);
    cJSON_AddStringToObject(v2, "ID", gid);
    static const char *const order[] = {"Name", "Type",  "Policies", "MacPool",
                                        "Dns",  "Ipams", "Flags"};
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
