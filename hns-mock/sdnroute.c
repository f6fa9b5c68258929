/*
 * sdnroute.c - HostComputeRoute (SDN routes): create, delete, render in v2
 * and as a v1 ROUTE policy list. Routes cannot be modified.
 *
 * A route is a row of `sdnroutes` whose doc holds Name, HostComputeNetwork
 * and the canonical route entries, plus one `route_endpoints` row per
 * endpoint it applies to, in the caller's order. The entry array has two
 * names in the reference (hcn-api.md 2.6, 8.6): hcsshim sends and decodes
 * `Setting`, the schema and hns.v2.psm1 use `Routes`. Both are read on input
 * and, by default, both are written on output (choice SDNROUTE_OUTPUT_SPELLING).
 * Endpoints must exist when named (the reference helpers of loadbalancer.c);
 * an endpoint deleted later stays referenced and the route shows degraded
 * (State 4 in v1 and v2 Detailed), as load balancers do.
 *
 * Decisions the reference leaves open:
 *
 * | question                                | answer                                  | reference         |
 * |-----------------------------------------|-----------------------------------------|-------------------|
 * | HcnModifySdnRoute                       | E_NOTIMPL on every profile: hcsshim says| hcn-api.md 2.6    |
 * |                                         | "HCNRoute doesn't implement modify" and |                   |
 * |                                         | re-creates instead                      |                   |
 * | open/query/delete of a missing route    | ERROR_NOT_FOUND (0x80070490); hcsshim   | hcn-api.md 1.9.13,|
 * |                                         | looks routes up before deleting         | 8.1               |
 * | both Setting and Routes given           | they must agree, else E_INVALIDARG      | inferred          |
 * | DestinationPrefix missing or not a      | HCN_E_INVALID_PREFIX                    | hcn-api.md 4.1    |
 * | prefix (host bits may be set, as in     |                                         |                   |
 * | hcsshim's 169.254.169.254/24)           |                                         |                   |
 * | NextHop not an address                  | HCN_E_INVALID_IP; it may be absent      | hcn-api.md 4.1    |
 * |                                         | (NeedEncap routes)                      |                   |
 * | NeedEncap, AutomaticEndpointMonitor     | booleans (wrong type: type error),      | hcn-api.md 2.6    |
 * |                                         | emitted only when true                  |                   |
 * | no entries, no endpoints                | accepted                                | inferred          |
 * | v1 view                                 | {ID, IsApplied:true, Policies:[ROUTE..],| hcn-api.md 5.2,   |
 * |                                         | References, State}                      | 5.3               |
 */
#include "objects.h"

#include "hresult.h"
#include "ipaddr.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROUTE_STATE_OK = 1, ROUTE_STATE_DEGRADED = 4 };
enum { SPELLING_ROUTES = 0, SPELLING_SETTING = 1, SPELLING_BOTH = 2 };

HRESULT hnsm__route_exists(hnsm_instance *inst, const char *id)
{
    return hnsm__row_exists(inst, "SELECT 1 FROM sdnroutes WHERE id = ?1", id,
                            HNSM_HRESULT_ERROR_NOT_FOUND, "SDN route");
}

/* Validates the route entries (SDNRoutePolicySetting[]) into out. */
static HRESULT route_entries(const hnsm_instance *inst, const cJSON *list, cJSON *out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *r;
    cJSON_ArrayForEach(r, list)
    {
        const char *dest = NULL, *hop = NULL;
        bool encap = false, monitor = false;
        HRESULT hr;
        if (!cJSON_IsObject(r))
            return hnsm__detail(bad, "route entries must be objects");
        if (FAILED(hr = jx_string(r, "DestinationPrefix", bad, &dest)) ||
            FAILED(hr = jx_string(r, "NextHop", bad, &hop)) ||
            FAILED(hr = jx_bool(r, "NeedEncap", bad, &encap)) ||
            FAILED(hr = jx_bool(r, "AutomaticEndpointMonitor", bad, &monitor)))
            return hr;
        hnsm_prefix prefix;
        if (!dest || !hnsm__prefix_parse(dest, false, &prefix) ||
            hnsm__ip_is_v4_mapped_v6(&prefix.addr))
            return hnsm__detail(HNSM_HCN_E_INVALID_PREFIX,
                                "DestinationPrefix \"%s\" is not a prefix", dest ? dest : "");
        char hop_text[HNSM_IP_TEXT] = "";
        hnsm_ip ip;
        if (hop && *hop) {
            if (!hnsm__ip_parse(hop, &ip) || hnsm__ip_is_v4_mapped_v6(&ip))
                return hnsm__detail(HNSM_HCN_E_INVALID_IP, "NextHop \"%s\" is not an address",
                                    hop);
            hnsm__ip_format(&ip, hop_text);
        }
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "DestinationPrefix", dest);
        jx_put_string(c, "NextHop", hop_text);
        jx_put_bool(c, "NeedEncap", encap);
        jx_put_bool(c, "AutomaticEndpointMonitor", monitor);
        cJSON_AddItemToArray(out, c);
    }
    return S_OK;
}

HRESULT hnsm__route_create(hnsm_instance *inst, const char *id, const cJSON *in,
                           char out_id[HNSM_GUID_TEXT])
{
    const HRESULT bad = hnsm__type_error(inst);
    const char *name = NULL;
    const cJSON *setting, *routes, *endpoints_in;
    cJSON *doc = NULL, *endpoints = NULL;
    char network[HNSM_GUID_TEXT], *text = NULL;
    int64_t seq;
    HRESULT hr;
    if (FAILED(hr = hnsm__choose_id(inst, id, in, hnsm__route_exists, out_id)) ||
        FAILED(hr = jx_string(in, "Name", bad, &name)) ||
        FAILED(hr = jx_array(in, "Setting", bad, &setting)) ||
        FAILED(hr = jx_array(in, "Routes", bad, &routes)) ||
        FAILED(hr = jx_array(in, "HostComputeEndpoints", bad, &endpoints_in)))
        return hr;
    if (setting && routes && cJSON_GetArraySize(setting) && cJSON_GetArraySize(routes) &&
        !jx_equal(setting, routes))
        return hnsm__detail(HNSM_E_INVALIDARG, "Setting and Routes name different routes");
    doc = cJSON_CreateObject();
    jx_put_string(doc, "Name", name);
    cJSON *entries = cJSON_AddArrayToObject(doc, "Routes");
    if (FAILED(hr = route_entries(inst, cJSON_GetArraySize(routes) ? routes : setting, entries)) ||
        FAILED(hr = hnsm__network_ref(inst, in, network)) ||
        FAILED(hr = hnsm__endpoint_refs(inst, endpoints_in, &endpoints)) ||
        FAILED(hr = hnsm__next_seq(inst, &seq)))
        goto done;
    jx_put_string(doc, "HostComputeNetwork", network);
    sqlite3_stmt *add = hnsm__stmt(inst, "INSERT INTO route_endpoints(route_id, endpoint_id) "
                                         "VALUES(?1, ?2)");
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO sdnroutes(id, seq, doc) VALUES(?1, ?2, ?3)");
    if (!add || !st) {
        hr = HNSM_E_FAIL;
        goto done;
    }
    const cJSON *ep;
    cJSON_ArrayForEach(ep, endpoints)
    {
        sqlite3_bind_text(add, 1, out_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(add, 2, ep->valuestring, -1, SQLITE_STATIC);
        if (FAILED(hr = hnsm__step_done(inst, add)))
            goto done;
    }
    if (!(text = jx_print(doc))) {
        hr = HNSM_E_OUTOFMEMORY;
        goto done;
    }
    sqlite3_bind_text(st, 1, out_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    hr = hnsm__step_done(inst, st);
done:
    free(text);
    cJSON_Delete(doc);
    cJSON_Delete(endpoints);
    return hr;
}

HRESULT hnsm__route_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    (void)request;
    HRESULT hr = hnsm__route_exists(inst, id);
    if (FAILED(hr))
        return hr;
    return hnsm__detail(HNSM_E_NOTIMPL, "SDN routes cannot be modified; delete and re-create");
}

HRESULT hnsm__route_delete(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__route_exists(inst, id);
    static const char *const deletes[] = {"DELETE FROM route_endpoints WHERE route_id = ?1",
                                          "DELETE FROM sdnroutes WHERE id = ?1"};
    for (size_t i = 0; SUCCEEDED(hr) && i < sizeof deletes / sizeof deletes[0]; i++) {
        sqlite3_stmt *st = hnsm__stmt(inst, deletes[i]);
        if (!st)
            return HNSM_E_FAIL;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, st);
    }
    return hr;
}

/* Loads a route's document and endpoint ids (in order); *missing counts
 * the endpoints that are gone or have lost their switch port. */
static HRESULT route_load(hnsm_instance *inst, const char *id, cJSON **doc, cJSON **endpoints,
                          int *missing)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT doc FROM sdnroutes WHERE id = ?1");
    sqlite3_stmt *eps = hnsm__stmt(inst, "SELECT r.endpoint_id, e.id IS NULL OR e.state = ?2 "
                                         "FROM route_endpoints r LEFT JOIN endpoints e "
                                         "ON e.id = r.endpoint_id WHERE r.route_id = ?1 "
                                         "ORDER BY r.rowid");
    if (!st || !eps)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr;
    if (rc == SQLITE_ROW)
        hr = hnsm__parse_stored((const char *)sqlite3_column_text(st, 0), doc);
    else if (rc == SQLITE_DONE)
        hr = hnsm__detail(HNSM_HRESULT_ERROR_NOT_FOUND, "no SDN route %s", id);
    else
        hr = hnsm__sql_error(inst, rc);
    sqlite3_reset(st);
    if (FAILED(hr))
        return hr;
    *endpoints = cJSON_CreateArray();
    *missing = 0;
    sqlite3_bind_text(eps, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(eps, 2, HNSM_EP_DESTROYED);
    while ((rc = sqlite3_step(eps)) == SQLITE_ROW) {
        cJSON_AddItemToArray(*endpoints,
                             cJSON_CreateString((const char *)sqlite3_column_text(eps, 0)));
        *missing += sqlite3_column_int(eps, 1);
    }
    sqlite3_reset(eps);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(*doc);
        cJSON_Delete(*endpoints);
        return hnsm__sql_error(inst, rc);
    }
    return S_OK;
}

/* The v1 view: a policy list of ROUTE policies (hcn-api.md 5.3), keys in
 * alphabetical order. */
static cJSON *route_v1(hnsm_instance *inst, const char *id, const cJSON *doc,
                       const cJSON *endpoints, int missing)
{
    char g[HNSM_GUID_TEXT];
    cJSON *v1 = cJSON_CreateObject();
    hnsm__render_guid(inst, id, g);
    cJSON_AddStringToObject(v1, "ID", g);
    cJSON_AddBoolToObject(v1, "IsApplied", 1);
    const cJSON *network = cJSON_GetObjectItem(doc, "HostComputeNetwork");
    if (network) {
        hnsm__render_guid(inst, network->valuestring, g);
        cJSON_AddStringToObject(v1, "NetworkId", g);
    }
    cJSON *policies = cJSON_AddArrayToObject(v1, "Policies");
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "Routes"))
    {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "Type", "ROUTE");
        jx_move(p, (cJSON *)r, "DestinationPrefix");
        jx_move(p, (cJSON *)r, "NextHop");
        cJSON_AddBoolToObject(p, "NeedEncap", cJSON_IsTrue(cJSON_GetObjectItem(r, "NeedEncap")));
        if (cJSON_IsTrue(cJSON_GetObjectItem(r, "AutomaticEndpointMonitor")))
            cJSON_AddBoolToObject(p, "AutomaticEndpointMonitor", 1);
        cJSON_AddItemToArray(policies, p);
    }
    cJSON *references = cJSON_AddArrayToObject(v1, "References");
    const cJSON *ep;
    cJSON_ArrayForEach(ep, endpoints)
    {
        char path[16 + HNSM_GUID_TEXT];
        hnsm__render_guid(inst, ep->valuestring, g);
        snprintf(path, sizeof path, "/endpoints/%s", g);
        cJSON_AddItemToArray(references, cJSON_CreateString(path));
    }
    cJSON_AddNumberToObject(v1, "State", missing ? ROUTE_STATE_DEGRADED : ROUTE_STATE_OK);
    return v1;
}

HRESULT hnsm__route_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                           cJSON **out)
{
    cJSON *doc, *endpoints;
    int missing;
    HRESULT hr = route_load(inst, id, &doc, &endpoints, &missing);
    if (FAILED(hr))
        return hr;
    if (how->v1) {
        *out = route_v1(inst, id, doc, endpoints, missing);
        cJSON_Delete(doc);
        cJSON_Delete(endpoints);
        return S_OK;
    }
    char g[HNSM_GUID_TEXT];
    cJSON *v2 = cJSON_CreateObject();
    hnsm__render_guid(inst, id, g);
    cJSON_AddStringToObject(v2, "ID", g);
    jx_move(v2, doc, "Name");
    const cJSON *network = cJSON_GetObjectItem(doc, "HostComputeNetwork");
    if (network) {
        hnsm__render_guid(inst, network->valuestring, g);
        cJSON_AddStringToObject(v2, "HostComputeNetwork", g);
    }
    cJSON *list = cJSON_AddArrayToObject(v2, "HostComputeEndpoints");
    const cJSON *ep;
    cJSON_ArrayForEach(ep, endpoints)
    {
        hnsm__render_guid(inst, ep->valuestring, g);
        cJSON_AddItemToArray(list, cJSON_CreateString(g));
    }
    cJSON *entries = cJSON_DetachItemFromObject(doc, "Routes");
    if (!entries)
        entries = cJSON_CreateArray();
    int spelling = hnsm__choice(inst, HNSM_CHOICE_SDNROUTE_OUTPUT_SPELLING);
    if (spelling != SPELLING_SETTING)
        cJSON_AddItemToObject(v2, "Routes", cJSON_Duplicate(entries, 1));
    if (spelling != SPELLING_ROUTES)
        cJSON_AddItemToObject(v2, "Setting", cJSON_Duplicate(entries, 1));
    cJSON_Delete(entries);
    if (how->detailed) {
        cJSON_AddNumberToObject(v2, "State", missing ? ROUTE_STATE_DEGRADED : ROUTE_STATE_OK);
        cJSON_AddNumberToObject(v2, "Version", hnsm__object_version(inst));
    }
    hnsm__add_schema_version(inst, v2);
    cJSON_Delete(doc);
    cJSON_Delete(endpoints);
    *out = v2;
    return S_OK;
}
