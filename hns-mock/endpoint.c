/*
 * endpoint.c - HostComputeEndpoint: create with IPAM, MACs and host ports;
 * modify (policies, VM port attach); delete; render v1 and v2.
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

static const jx_enum_entry endpoint_resource_types[] = {{"Port", 0}, {"Policy", 1}, {NULL, 0}};

#define NI_BUILD 22621u /* Windows 11 22H2: HcnQueryEndpointStats/Addresses appear */

/* ---- v1 input ----------------------------------------------------------------- */

static bool endpoint_doc_is_v1(const cJSON *doc)
{
    if (cJSON_GetObjectItem(doc, "SchemaVersion") || cJSON_GetObjectItem(doc, "IpConfigurations") ||
        cJSON_GetObjectItem(doc, "HostComputeNetwork"))
        return false;
    static const char *const v1_keys[] = {"VirtualNetwork", "VirtualNetworkName", "IPAddress",
                                          "PrefixLength", "DNSServerList", "DNSSuffix",
                                          "GatewayAddress", "IsRemoteEndpoint", "EnableInternalDNS",
                                          "DisableICC", "EnableLowMetric", "EncapOverhead", NULL};
    for (int i = 0; v1_keys[i]; i++)
        if (cJSON_GetObjectItem(doc, v1_keys[i]))
            return true;
    return false;
}

static HRESULT endpoint_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out)
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
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(p, "Settings"), "Overhead", (double)overhead);
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
    } flag_keys[] = {{"IsRemoteEndpoint", 1}, {"DisableICC", 2}, {"EnableLowMetric", 8},
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

/* ---- IPAM --------------------------------------------------------------------- */

/* One subnet of the parent network, as IPAM sees it. */
typedef struct ipam_subnet {
    hnsm_prefix prefix;
    const char *text;      /* IpAddressPrefix as stored */
    hnsm_ip gateways[8];   /* route next hops inside the subnet */
    int gateway_count;
    bool keep_gateway;     /* SubnetFlags DoNotReserveGatewayAddress */
} ipam_subnet;

typedef struct ipam_view {
    ipam_subnet subnets[64];
    int count;
} ipam_view;

static void ipam_load(const cJSON *network_doc, ipam_view *view)
{
    view->count = 0;
    const cJSON *ipam, *subnet;
    cJSON_ArrayForEach(ipam, cJSON_GetObjectItem(network_doc, "Ipams"))
        cJSON_ArrayForEach(subnet, cJSON_GetObjectItem(ipam, "Subnets"))
    {
        if (view->count == (int)(sizeof view->subnets / sizeof view->subnets[0]))
            return;
        ipam_subnet *s = &view->subnets[view->count];
        s->text = cJSON_GetObjectItem(subnet, "IpAddressPrefix")->valuestring;
        if (!hnsm__prefix_parse(s->text, false, &s->prefix))
            continue;
        const cJSON *flags = cJSON_GetObjectItem(subnet, "Flags");
        s->keep_gateway = flags && ((uint32_t)flags->valuedouble & 1u);
        s->gateway_count = 0;
        const cJSON *route;
        cJSON_ArrayForEach(route, cJSON_GetObjectItem(subnet, "Routes"))
        {
            const cJSON *hop = cJSON_GetObjectItem(route, "NextHop");
            hnsm_ip ip;
            if (cJSON_IsString(hop) && hnsm__ip_parse(hop->valuestring, &ip) &&
                hnsm__prefix_contains(&s->prefix, &ip) && s->gateway_count < 8)
                s->gateways[s->gateway_count++] = ip;
        }
        view->count++;
    }
}

/* True when ip is the subnet's network, broadcast or (reserved) gateway address. */
static bool ipam_reserved(const ipam_subnet *s, const hnsm_ip *ip)
{
    hnsm_ip first, last;
    hnsm__prefix_first(&s->prefix, &first);
    hnsm__prefix_last(&s->prefix, &last);
    int bits = hnsm__ip_bits(ip);
    if (s->prefix.length < bits - 1) {
        if (hnsm__ip_compare(ip, &first) == 0)
            return true;
        if (ip->family == 4 && hnsm__ip_compare(ip, &last) == 0)
            return true;
    }
    for (int i = 0; !s->keep_gateway && i < s->gateway_count; i++)
        if (hnsm__ip_compare(ip, &s->gateways[i]) == 0)
            return true;
    return false;
}

/* Whether a local (*local) and a remote (*remote) endpoint of the network
 * already hold ip. */
static HRESULT ip_holders(hnsm_instance *inst, const char *network_id, const hnsm_ip *ip,
                          bool *local, bool *remote)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT remote FROM endpoint_ips WHERE network_id = ?1 "
                                        "AND ip = ?2");
    if (!st)
        return HNSM_E_FAIL;
    *local = *remote = false;
    sqlite3_bind_text(st, 1, network_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, ip->b, 16, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0))
            *remote = true;
        else
            *local = true;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? S_OK : hnsm__sql_error(inst, rc);
}

/* True when the choices refuse a new endpoint (remote or not) an address
 * that local_held / remote_held endpoints already have. */
static bool ip_duplicate_refused(const hnsm_instance *inst, bool remote, bool local_held,
                                 bool remote_held)
{
    /* REMOTE_IP_MAY_DUPLICATE exempts every pair that involves a remote endpoint. */
    bool remote_exempt = hnsm__choice(inst, HNSM_CHOICE_REMOTE_IP_MAY_DUPLICATE);
    if (remote)
        return !remote_exempt && (local_held || remote_held);
    return (local_held && hnsm__choice(inst, HNSM_CHOICE_DUPLICATE_LOCAL_IP_REFUSED)) ||
           (remote_held && !remote_exempt);
}

/* Picks the next free address of subnet s (next-fit from the stored cursor). */
static HRESULT ipam_allocate(hnsm_instance *inst, const char *network_id, const ipam_subnet *s,
                             hnsm_ip *out)
{
    hnsm_ip first, last, cursor;
    hnsm__prefix_first(&s->prefix, &first);
    hnsm__prefix_last(&s->prefix, &last);
    cursor = first;
    /* Without DYNAMIC_IP_NEXT_FIT the walk always starts at the subnet's
     * first address (first-fit). */
    bool next_fit = hnsm__choice(inst, HNSM_CHOICE_DYNAMIC_IP_NEXT_FIT);
    sqlite3_stmt *get = hnsm__stmt(inst, "SELECT next FROM ipam_cursor WHERE network_id = ?1 AND "
                                         "subnet = ?2");
    if (!get)
        return HNSM_E_FAIL;
    sqlite3_bind_text(get, 1, network_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(get, 2, s->text, -1, SQLITE_STATIC);
    if (next_fit && sqlite3_step(get) == SQLITE_ROW && sqlite3_column_bytes(get, 0) == 16) {
        memcpy(cursor.b, sqlite3_column_blob(get, 0), 16);
        if (hnsm__ip_compare(&cursor, &first) < 0 || hnsm__ip_compare(&cursor, &last) > 0)
            cursor = first;
    }
    sqlite3_reset(get);

    /* Walk forward from the cursor, wrapping once; the taken addresses in the
     * way are read in order, so a full scan costs one pass over the subnet.
     * Addresses of remote endpoints are taken only when they may not be
     * duplicated (choice REMOTE_IP_MAY_DUPLICATE). */
    sqlite3_stmt *taken = hnsm__stmt(inst, "SELECT ip FROM endpoint_ips WHERE network_id = ?1 AND "
                                           "ip >= ?2 AND ip <= ?3 AND (remote = 0 OR ?4) "
                                           "ORDER BY ip");
    if (!taken)
        return HNSM_E_FAIL;
    for (int pass = 0; pass < 2; pass++) {
        hnsm_ip candidate = pass == 0 ? cursor : first;
        hnsm_ip stop = last;
        sqlite3_reset(taken);
        sqlite3_bind_text(taken, 1, network_id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(taken, 2, candidate.b, 16, SQLITE_TRANSIENT);
        sqlite3_bind_blob(taken, 3, stop.b, 16, SQLITE_TRANSIENT);
        sqlite3_bind_int(taken, 4, !hnsm__choice(inst, HNSM_CHOICE_REMOTE_IP_MAY_DUPLICATE));
        int rc = sqlite3_step(taken);
        for (;;) {
            if (hnsm__ip_compare(&candidate, &stop) > 0)
                break;
            hnsm_ip held;
            bool is_held = false;
            while (rc == SQLITE_ROW) {
                memcpy(held.b, sqlite3_column_blob(taken, 0), 16);
                int c = memcmp(held.b, candidate.b, 16);
                if (c < 0) {
                    rc = sqlite3_step(taken);
                    continue;
                }
                is_held = c == 0;
                break;
            }
            if (!is_held && !ipam_reserved(s, &candidate)) {
                sqlite3_reset(taken);
                *out = candidate;
                hnsm_ip next = candidate;
                if (!hnsm__ip_increment(&next) || hnsm__ip_compare(&next, &last) > 0)
                    next = first;
                sqlite3_stmt *put = hnsm__stmt(inst, "INSERT OR REPLACE INTO ipam_cursor("
                                                     "network_id, subnet, next) VALUES(?1, ?2, ?3)");
                if (!put)
                    return HNSM_E_FAIL;
                sqlite3_bind_text(put, 1, network_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(put, 2, s->text, -1, SQLITE_STATIC);
                sqlite3_bind_blob(put, 3, next.b, 16, SQLITE_TRANSIENT);
                return hnsm__step_done(inst, put);
            }
            if (!hnsm__ip_increment(&candidate))
                break;
        }
        sqlite3_reset(taken);
    }
    return hnsm__detail(HNSM_HCN_E_ADDR_INVALID_OR_RESERVED, "subnet %s has no free address",
                        s->text);
}

/* Validates (or allocates) the endpoint's addresses; rewrites IpConfigurations
 * canonically in doc and fills addrs/count. */
static HRESULT endpoint_addresses(hnsm_instance *inst, const char *network_id,
                                  const cJSON *network_doc, cJSON *doc, bool remote,
                                  hnsm_ip addrs[8], int *count)
{
    ipam_view view;
    ipam_load(network_doc, &view);
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *configs;
    HRESULT hr = jx_array(doc, "IpConfigurations", bad, &configs);
    if (FAILED(hr))
        return hr;
    cJSON *out = cJSON_CreateArray();
    *count = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, configs)
    {
        const char *text = NULL;
        uint64_t len = 0;
        hnsm_ip ip;
        if (!cJSON_IsObject(c) || FAILED(hr = jx_string(c, "IpAddress", bad, &text)) ||
            FAILED(hr = jx_uint(c, "PrefixLength", 128, bad, &len))) {
            if (SUCCEEDED(hr))
                hr = hnsm__detail(bad, "IpConfigurations entries must be objects");
            goto fail;
        }
        if (!text || !*text)
            continue; /* an empty entry asks for nothing */
        /* v4-mapped IPv6 text would alias the IPv4 address in IPAM: refused. */
        if (!hnsm__ip_parse(text, &ip) || hnsm__ip_is_v4_mapped_v6(&ip) ||
            (int)len > hnsm__ip_bits(&ip)) {
            hr = hnsm__detail(HNSM_HCN_E_INVALID_IP, "\"%s\" is not a valid IP address", text);
            goto fail;
        }
        const ipam_subnet *home = NULL;
        for (int i = 0; i < view.count && !home; i++)
            if (hnsm__prefix_contains(&view.subnets[i].prefix, &ip))
                home = &view.subnets[i];
        bool check_subnet = !remote || !hnsm__choice(inst, HNSM_CHOICE_REMOTE_IP_ANY_SUBNET);
        if (check_subnet && !home) {
            hr = hnsm__detail(HNSM_HCN_E_INVALID_IP, "%s is in none of the network's subnets", text);
            goto fail;
        }
        if (!remote && home && ipam_reserved(home, &ip)) {
            hr = hnsm__detail(HNSM_HCN_E_ADDR_INVALID_OR_RESERVED,
                              "%s is the network, broadcast or gateway address of %s", text,
                              home->text);
            goto fail;
        }
        bool local_held, remote_held;
        if (FAILED(hr = ip_holders(inst, network_id, &ip, &local_held, &remote_held)))
            goto fail;
        if (ip_duplicate_refused(inst, remote, local_held, remote_held)) {
            hr = hnsm__detail(HNSM_HCN_E_ADDR_INVALID_OR_RESERVED,
                              "%s is already used by another endpoint", text);
            goto fail;
        }
        if (*count == 8) {
            hr = hnsm__detail(HNSM_HCN_E_INVALID_ENDPOINT, "too many IpConfigurations");
            goto fail;
        }
        addrs[(*count)++] = ip;
        char canonical[HNSM_IP_TEXT];
        hnsm__ip_format(&ip, canonical);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "IpAddress", canonical);
        int prefix_length = len ? (int)len : home ? home->prefix.length : hnsm__ip_bits(&ip);
        cJSON_AddNumberToObject(e, "PrefixLength", prefix_length);
        cJSON_AddItemToArray(out, e);
    }
    if (*count == 0 && !remote && view.count > 0) {
        hnsm_ip ip;
        if (FAILED(hr = ipam_allocate(inst, network_id, &view.subnets[0], &ip)))
            goto fail;
        addrs[(*count)++] = ip;
        char canonical[HNSM_IP_TEXT];
        hnsm__ip_format(&ip, canonical);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "IpAddress", canonical);
        cJSON_AddNumberToObject(e, "PrefixLength", view.subnets[0].prefix.length);
        cJSON_AddItemToArray(out, e);
    }
    if (*count == 0 && remote) {
        hr = hnsm__detail(HNSM_HCN_E_INVALID_ENDPOINT, "a remote endpoint needs an IpAddress");
        goto fail;
    }
    cJSON_DeleteItemFromObject(doc, "IpConfigurations");
    if (cJSON_GetArraySize(out))
        cJSON_AddItemToObject(doc, "IpConfigurations", out);
    else
        cJSON_Delete(out);
    return S_OK;
fail:
    cJSON_Delete(out);
    return hr;
}

/* Gives the endpoint a MAC: the one asked for, or the next free one of the
 * network's pool. Writes the canonical form to mac. */
static HRESULT endpoint_mac(hnsm_instance *inst, const char *network_id, const cJSON *network_doc,
                            const char *asked, char mac[HNSM_MAC_TEXT])
{
    uint64_t value;
    if (asked && *asked) {
        if (!hnsm__mac_parse(asked, &value))
            return hnsm__detail(HNSM_HCN_E_INVALID_ENDPOINT, "MacAddress \"%s\" is not a MAC",
                                asked);
        hnsm__mac_format(value, mac);
        return S_OK;
    }
    /* The pool as (start, size) pieces, walked from the network's cursor. */
    uint64_t starts[16], sizes[16], total = 0;
    int n = 0;
    const cJSON *range;
    cJSON_ArrayForEach(range,
                       cJSON_GetObjectItem(cJSON_GetObjectItem(network_doc, "MacPool"), "Ranges"))
    {
        uint64_t a, b;
        if (n < 16 &&
            hnsm__mac_parse(cJSON_GetObjectItem(range, "StartMacAddress")->valuestring, &a) &&
            hnsm__mac_parse(cJSON_GetObjectItem(range, "EndMacAddress")->valuestring, &b)) {
            starts[n] = a;
            sizes[n] = b - a + 1;
            total += sizes[n++];
        }
    }
    sqlite3_stmt *cur = hnsm__stmt(inst, "SELECT mac_next FROM networks WHERE id = ?1");
    sqlite3_stmt *used = hnsm__stmt(inst, "SELECT 1 FROM endpoints WHERE network_id = ?1 AND "
                                          "mac = ?2 LIMIT 1");
    sqlite3_stmt *put = hnsm__stmt(inst, "UPDATE networks SET mac_next = ?2 WHERE id = ?1");
    if (!cur || !used || !put)
        return HNSM_E_FAIL;
    sqlite3_bind_text(cur, 1, network_id, -1, SQLITE_STATIC);
    uint64_t offset = sqlite3_step(cur) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(cur, 0) : 0;
    sqlite3_reset(cur);
    for (uint64_t tries = 0; tries < total; tries++) {
        uint64_t k = (offset + tries) % total;
        int r = 0;
        while (k >= sizes[r])
            k -= sizes[r++];
        hnsm__mac_format(starts[r] + k, mac);
        sqlite3_bind_text(used, 1, network_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(used, 2, mac, -1, SQLITE_STATIC);
        int rc = sqlite3_step(used);
        sqlite3_reset(used);
        if (rc == SQLITE_DONE) {
            sqlite3_bind_text(put, 1, network_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(put, 2, (int64_t)((offset + tries + 1) % total));
            return hnsm__step_done(inst, put);
        }
        if (rc != SQLITE_ROW)
            return hnsm__sql_error(inst, rc);
    }
    return hnsm__detail(HNSM_HCN_E_INVALID_ENDPOINT, "the network's MAC pool is exhausted");
}

/* ---- host port mappings ----------------------------------------------------------- */

/* Replaces the endpoint's port claims with those of its PortMapping policies,
 * refusing any that another endpoint (or the same list) already holds. */
static HRESULT claim_ports(hnsm_instance *inst, const char *network_id, const char *endpoint_id,
                           const cJSON *policies)
{
    sqlite3_stmt *clear = hnsm__stmt(inst, "DELETE FROM port_mappings WHERE endpoint_id = ?1");
    sqlite3_stmt *find = hnsm__stmt(inst, "SELECT vip FROM port_mappings WHERE network_id = ?1 AND "
                                          "protocol = ?2 AND external_port = ?3");
    sqlite3_stmt *add = hnsm__stmt(inst, "INSERT INTO port_mappings(network_id, protocol, "
                                         "external_port, vip, endpoint_id) VALUES(?1,?2,?3,?4,?5)");
    if (!clear || !find || !add)
        return HNSM_E_FAIL;
    sqlite3_bind_text(clear, 1, endpoint_id, -1, SQLITE_STATIC);
    HRESULT hr = hnsm__step_done(inst, clear);
    const cJSON *p;
    cJSON_ArrayForEach(p, policies)
    {
        const char *type = hnsm__policy_type(p);
        if (FAILED(hr) || !type || strcmp(type, "PortMapping") != 0)
            continue;
        const cJSON *s = cJSON_GetObjectItem(p, "Settings");
        const cJSON *proto = cJSON_GetObjectItem(s, "Protocol");
        const cJSON *ext = cJSON_GetObjectItem(s, "ExternalPort");
        const cJSON *internal = cJSON_GetObjectItem(s, "InternalPort");
        const cJSON *vip = cJSON_GetObjectItem(s, "VIP");
        int protocol = proto ? (int)proto->valuedouble : 6;
        int port = ext ? (int)ext->valuedouble : internal ? (int)internal->valuedouble : 0;
        const char *v = cJSON_IsString(vip) ? vip->valuestring : "";
        sqlite3_bind_text(find, 1, network_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(find, 2, protocol);
        sqlite3_bind_int(find, 3, port);
        int rc;
        while ((rc = sqlite3_step(find)) == SQLITE_ROW) {
            const char *held = (const char *)sqlite3_column_text(find, 0);
            if (!*v || !held[0] || strcmp(held, v) == 0) {
                sqlite3_reset(find);
                return hnsm__detail(HNSM_HCN_E_PORT_ALREADY_EXISTS,
                                    "protocol %d port %d%s%s is already mapped on this network",
                                    protocol, port, *v ? " on " : "", v);
            }
        }
        sqlite3_reset(find);
        if (rc != SQLITE_DONE)
            return hnsm__sql_error(inst, rc);
        sqlite3_bind_text(add, 1, network_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(add, 2, protocol);
        sqlite3_bind_int(add, 3, port);
        sqlite3_bind_text(add, 4, v, -1, SQLITE_STATIC);
        sqlite3_bind_text(add, 5, endpoint_id, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, add);
    }
    return hr;
}

/* ---- create, load, delete ------------------------------------------------------------ */

HRESULT hnsm__endpoint_exists(hnsm_instance *inst, const char *id)
{
    return hnsm__row_exists(inst, "SELECT 1 FROM endpoints WHERE id = ?1", id,
                            HNSM_HCN_E_ENDPOINT_NOT_FOUND, "endpoint");
}

/* The stored row of an endpoint. */
typedef struct endpoint_row {
    char network_id[HNSM_GUID_TEXT];
    char namespace_id[HNSM_GUID_TEXT]; /* "" when in no namespace */
    uint32_t flags;
    int state;
    char port_id[HNSM_GUID_TEXT];
    cJSON *vm_port;                    /* VmEndpointRequest when attached to a VM NIC */
    cJSON *v1_attach;                  /* v1 Host/Container attach state, or NULL */
    cJSON *doc;
} endpoint_row;

static void endpoint_row_free(endpoint_row *row)
{
    cJSON_Delete(row->doc);
    cJSON_Delete(row->vm_port);
    cJSON_Delete(row->v1_attach);
}

static HRESULT endpoint_load(hnsm_instance *inst, const char *id, endpoint_row *row)
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
        endpoint_row_free(row);
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
    if (endpoint_doc_is_v1(in)) {
        if (FAILED(hr = endpoint_from_v1(inst, in, &v2)))
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
    if (FAILED(hr = endpoint_addresses(inst, network_id, network_doc, doc, remote, addrs, &count)) ||
        FAILED(hr = jx_string(in, "MacAddress", hnsm__type_error(inst), &asked_mac)) ||
        FAILED(hr = endpoint_mac(inst, network_id, network_doc, asked_mac, mac)) ||
        FAILED(hr = hnsm__new_guid(inst, port_id)) || FAILED(hr = hnsm__next_seq(inst, &seq)) ||
        FAILED(hr = record_addresses(inst, network_id, out_id, addrs, count, remote)) ||
        FAILED(hr = claim_ports(inst, network_id, out_id, cJSON_GetObjectItem(doc, "Policies"))))
        goto done;
    cJSON_AddStringToObject(doc, "MacAddress", mac);
    if (!(text = jx_print(doc))) {
        hr = HNSM_E_OUTOFMEMORY;
        goto done;
    }
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO endpoints(id, seq, name, network_id, "
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
    HRESULT hr = endpoint_load(inst, id, &row);
    if (FAILED(hr))
        return hr;
    bool in_namespace = row.namespace_id[0] != '\0';
    endpoint_row_free(&row);
    if (in_namespace && !hnsm__choice(inst, HNSM_CHOICE_DELETE_ATTACHED_ENDPOINT))
        return hnsm__detail(HNSM_HCN_E_ENTITY_HAS_REFERENCES,
                            "endpoint %s is still in a namespace", id);
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

static HRESULT endpoint_save(hnsm_instance *inst, const char *id, const endpoint_row *row)
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
        return hnsm__detail(HNSM_HCN_E_ENDPOINT_ALREADY_ATTACHED, "the endpoint is already attached");
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
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE, "PortId/VirtualMachineId not GUIDs");
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
    HRESULT hr = endpoint_load(inst, id, &row);
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
            hr = claim_ports(inst, row.network_id, id, list);
        if (!cJSON_GetArraySize(list))
            cJSON_DeleteItemFromObject(row.doc, "Policies");
    }
    if (SUCCEEDED(hr))
        hr = endpoint_save(inst, id, &row);
done:
    endpoint_row_free(&row);
    return hr;
}

/* ---- v1 attach and detach (HNSCall /endpoints/<id>/attach, /detach) -------------------- */

/* EndpointAttachDetachRequest.SystemType (hcn-api.md 5.3). */
static const jx_enum_entry v1_system_types[] = {
    {"Container", 0}, {"VirtualMachine", 1}, {"Host", 2}, {NULL, 0}};
enum { V1_SYSTEM_CONTAINER = 0, V1_SYSTEM_VM = 1, V1_SYSTEM_HOST = 2 };

/* The fields of an EndpointAttachDetachRequest, read as HNS reads them. */
typedef struct v1_attach_request {
    int system;              /* V1_SYSTEM_* */
    const char *container;   /* ContainerId, or NULL */
    uint64_t compartment;    /* CompartmentId (uint16 in hcsshim), 0 when absent */
    const char *nic;         /* VirtualNicName, or NULL */
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
    if (FAILED(hr) || FAILED(hr = endpoint_load(inst, id, &row)))
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
               (req.system == V1_SYSTEM_CONTAINER && v1_container_index(row.v1_attach,
                                                                        req.container) >= 0)) {
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
        hr = endpoint_save(inst, id, &row);
    if (SUCCEEDED(hr))
        v1_attach_event(inst, HcnNotificationNetworkEndpointAttached, id, &req);
    endpoint_row_free(&row);
    return hr;
}

HRESULT hnsm__endpoint_v1_detach(hnsm_instance *inst, const char *id, const cJSON *request)
{
    endpoint_row row;
    v1_attach_request req;
    HRESULT hr = v1_attach_read(inst, request, &req);
    if (FAILED(hr) || FAILED(hr = endpoint_load(inst, id, &row)))
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
        if (SUCCEEDED(hr = endpoint_save(inst, id, &row)))
            v1_attach_event(inst, HcnNotificationNetworkEndpointDetached, id, &req);
    } else if (hnsm__choice(inst, HNSM_CHOICE_V1_DETACH_NOT_ATTACHED_FAILS)) {
        hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_ATTACHED, "endpoint %s is not attached as %s",
                          id, jx_enum_name(v1_system_types, req.system));
    }
    endpoint_row_free(&row);
    return hr;
}

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
    char *network_name =
        lookup_text(inst, "SELECT name, type FROM networks WHERE id = ?1", row->network_id,
                    &type_num);
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
        char *ns_doc_text = lookup_text(inst, "SELECT doc, compartment FROM namespaces WHERE id = ?1",
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
    HRESULT hr = endpoint_load(inst, id, &row);
    if (FAILED(hr))
        return hr;
    if (how->v1) {
        *out = endpoint_v1(inst, id, &row, how);
        endpoint_row_free(&row);
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
    static const char *const order[] = {"Policies", "IpConfigurations", "Dns", "Routes",
                                        "MacAddress", "Flags"};
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
    endpoint_row_free(&row);
    *out = v2;
    return S_OK;
}

/* HcnQueryEndpointStats/Addresses exist from Windows 11 22H2 (NI) on; older
 * profiles answer E_NOTIMPL as a missing export would make hcsshim do. */
static HRESULT require_ni(const hnsm_instance *inst, const char *what)
{
    if (inst->profile.build < NI_BUILD)
        return hnsm__detail(HNSM_E_NOTIMPL, "%s needs Windows build %u or later (profile %s)",
                            what, NI_BUILD, inst->profile.name);
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
    if (FAILED(hr = endpoint_load(inst, id, &row)))
        return hr;
    /* Shape not documented (hcn-api.md 8.8): the endpoint's IpConfigurations
     * and MAC, under the v2 names. */
    cJSON *addresses = cJSON_CreateObject();
    cJSON *configs = cJSON_GetObjectItem(row.doc, "IpConfigurations");
    cJSON_AddItemToObject(addresses, "IpConfigurations",
                          configs ? cJSON_Duplicate(configs, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(addresses, "MacAddress",
                            cJSON_GetObjectItem(row.doc, "MacAddress")->valuestring);
    endpoint_row_free(&row);
    *out = addresses;
    return S_OK;
}
