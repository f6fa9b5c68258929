/*
 * endpoint_ipam.c - the addresses, MAC and host ports of a new endpoint.
 *
 * Rules (hcn-api.md 4.1, field-bugs.md D1): a local endpoint's IP must lie in
 * one of the network's subnets (HCN_E_INVALID_IP) and must not be the
 * subnet's network, broadcast or gateway address, nor an address another
 * local endpoint holds (HCN_E_ADDR_INVALID_OR_RESERVED). Remote endpoints
 * follow the REMOTE_IP_* choices. Without an IpConfiguration a local endpoint
 * gets the next free address (choice DYNAMIC_IP_NEXT_FIT). MACs come from the
 * network's MAC pool in order. PortMapping policies claim (protocol, external
 * port, VIP) on the network; a second claim is HCN_E_PORT_ALREADY_EXISTS.
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

/* ---- IPAM --------------------------------------------------------------------- */

/* One subnet of the parent network, as IPAM sees it. */
typedef struct ipam_subnet {
    hnsm_prefix prefix;
    const char *text;    /* IpAddressPrefix as stored */
    hnsm_ip gateways[8]; /* route next hops inside the subnet */
    int gateway_count;
    bool keep_gateway; /* SubnetFlags DoNotReserveGatewayAddress */
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
                sqlite3_stmt *put =
                    hnsm__stmt(inst, "INSERT OR REPLACE INTO ipam_cursor("
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
HRESULT hnsm__endpoint_assign_addresses(hnsm_instance *inst, const char *network_id,
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
            hr =
                hnsm__detail(HNSM_HCN_E_INVALID_IP, "%s is in none of the network's subnets", text);
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
HRESULT hnsm__endpoint_assign_mac(hnsm_instance *inst, const char *network_id,
                                  const cJSON *network_doc, const char *asked,
                                  char mac[HNSM_MAC_TEXT])
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
HRESULT hnsm__endpoint_claim_ports(hnsm_instance *inst, const char *network_id,
                                   const char *endpoint_id, const cJSON *policies)
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
