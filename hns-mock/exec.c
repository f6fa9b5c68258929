/*
 * exec.c - hnsm_call: the one request pipeline behind every entry point.
 *
 * parse -> lock the instance -> open a transaction -> validate and apply
 * (objects.h) -> commit -> render the result, or roll back and build the
 * ErrorRecord. Reads run in a read transaction, so a query sees one
 * consistent state even while another process writes the store.
 */
#include "objects.h"

#include "faults.h"
#include "feature_gates.h"
#include "hresult.h"
#include "jsonx.h"
#include "notify.h"
#include "query.h"

#include <stdlib.h>
#include <string.h>

typedef HRESULT (*exists_fn)(hnsm_instance *, const char *);
typedef HRESULT (*modify_fn)(hnsm_instance *, const char *, const cJSON *);
typedef HRESULT (*delete_fn)(hnsm_instance *, const char *);
typedef HRESULT (*render_fn)(hnsm_instance *, const char *, const hnsm_render *, cJSON **);

static const struct kind_ops {
    exists_fn exists;
    modify_fn modify;
    delete_fn del;
    render_fn render;
} kind_table[HNSM_KIND_COUNT] = {
    [HNSM_NETWORK] = {hnsm__network_exists, hnsm__network_modify, hnsm__network_delete,
                      hnsm__network_render},
    [HNSM_ENDPOINT] = {hnsm__endpoint_exists, hnsm__endpoint_modify, hnsm__endpoint_delete,
                       hnsm__endpoint_render},
    [HNSM_NAMESPACE] = {hnsm__namespace_exists, hnsm__namespace_modify, hnsm__namespace_delete,
                        hnsm__namespace_render},
    [HNSM_LOADBALANCER] = {hnsm__lb_exists, hnsm__lb_modify, hnsm__lb_delete, hnsm__lb_render},
    [HNSM_SDNROUTE] = {hnsm__route_exists, hnsm__route_modify, hnsm__route_delete,
                       hnsm__route_render},
    [HNSM_GUESTNETWORKSERVICE] = {hnsm__gns_exists, hnsm__gns_modify, hnsm__gns_delete,
                                  hnsm__gns_render},
};

HRESULT hnsm__finish(hnsm_instance *inst, HRESULT hr)
{
    if (SUCCEEDED(hr))
        hr = hnsm__commit(inst);
    else
        hnsm__rollback(inst);
    /* Notifications leave only with a committed transaction. */
    if (SUCCEEDED(hr))
        hnsm__events_commit(inst);
    else
        hnsm__events_discard(inst);
    return hr;
}

/* Canonicalises an optional GUID argument; NULL and GUID_NULL give "". */
static HRESULT guid_argument(const char *text, char out[HNSM_GUID_TEXT])
{
    out[0] = '\0';
    if (!text || !*text)
        return S_OK;
    GUID g;
    if (!hnsm__guid_parse(text, &g))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE, "\"%s\" is not a GUID", text);
    if (!hnsm__guid_is_null(&g))
        hnsm__guid_format(&g, out);
    return S_OK;
}

/* Runs op inside the right transaction; *result gets the output document. */
static HRESULT run(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                   const char *parent, const char *json, cJSON **result, char created[HNSM_GUID_TEXT])
{
    const struct kind_ops *ops = &kind_table[kind];
    cJSON *doc = NULL;
    hnsm_query query = {0};
    HRESULT hr = S_OK;
    bool write = op == HNSM_OP_CREATE || op == HNSM_OP_MODIFY || op == HNSM_OP_DELETE;

    /* Parse before taking the store: bad input never costs a transaction. */
    if (op == HNSM_OP_CREATE || op == HNSM_OP_MODIFY) {
        if (!json)
            return hnsm__detail(HNSM_E_INVALIDARG, "the settings document is missing");
        if (FAILED(hr = jx_parse_object(json, strlen(json), &doc)))
            return hr;
    } else if (op == HNSM_OP_ENUMERATE || op == HNSM_OP_QUERY || op == HNSM_OP_QUERY_STATS ||
               op == HNSM_OP_QUERY_ADDRESSES) {
        if (FAILED(hr = hnsm__query_parse(inst, json, &query)))
            return hr;
    }
    if (op != HNSM_OP_CREATE && op != HNSM_OP_ENUMERATE && !*id) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "no object id given");
        goto out;
    }
    if (FAILED(hr = write ? hnsm__begin_write(inst) : hnsm__begin_read(inst)))
        goto out;
    switch (op) {
    case HNSM_OP_ENUMERATE:
        hr = hnsm__enumerate(inst, kind, &query, result);
        break;
    case HNSM_OP_CREATE: {
        const char *requested = *id ? id : NULL;
        switch (kind) {
        case HNSM_NETWORK:
            hr = hnsm__network_create(inst, requested, doc, created);
            break;
        case HNSM_ENDPOINT:
            hr = hnsm__endpoint_create(inst, *parent ? parent : NULL, requested, doc, created);
            break;
        case HNSM_NAMESPACE:
            hr = hnsm__namespace_create(inst, requested, doc, created);
            break;
        case HNSM_LOADBALANCER:
            hr = hnsm__lb_create(inst, requested, doc, created);
            break;
        case HNSM_SDNROUTE:
            hr = hnsm__route_create(inst, requested, doc, created);
            break;
        default:
            hr = hnsm__gns_create(inst, requested, doc, created);
            break;
        }
        break;
    }
    case HNSM_OP_OPEN:
        hr = ops->exists(inst, id);
        break;
    case HNSM_OP_MODIFY:
        hr = ops->modify(inst, id, doc);
        break;
    case HNSM_OP_QUERY:
        hr = ops->render(inst, id, &query.render, result);
        break;
    case HNSM_OP_DELETE:
        hr = ops->del(inst, id);
        break;
    case HNSM_OP_QUERY_STATS:
    case HNSM_OP_QUERY_ADDRESSES:
        if (kind != HNSM_ENDPOINT)
            hr = hnsm__detail(HNSM_E_INVALIDARG, "stats and addresses are endpoint queries");
        else if (op == HNSM_OP_QUERY_STATS)
            hr = hnsm__endpoint_stats(inst, id, result);
        else
            hr = hnsm__endpoint_addresses(inst, id, result);
        break;
    default:
        hr = hnsm__detail(HNSM_E_INVALIDARG, "unknown operation");
        break;
    }
    hr = hnsm__finish(inst, hr);
    if (FAILED(hr)) {
        cJSON_Delete(*result);
        *result = NULL;
    }
out:
    cJSON_Delete(doc);
    hnsm__query_free(&query);
    return hr;
}

HRESULT hnsm_call(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                  const char *parent, const char *json, char **result, char **error_record)
{
    if (result)
        *result = NULL;
    if (error_record)
        *error_record = NULL;
    hnsm__detail_clear();
    HRESULT hr;
    char canonical_id[HNSM_GUID_TEXT], canonical_parent[HNSM_GUID_TEXT],
        created[HNSM_GUID_TEXT] = "";
    cJSON *output = NULL;
    if (!inst) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "no HNS instance");
    } else if ((int)kind < 0 || kind >= HNSM_KIND_COUNT || (int)op < 0 || op >= HNSM_OP_COUNT) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "unknown object kind or operation");
    } else if (!hnsm__feature(&inst->profile, HNSM_FEATURE_API_V2)) {
        /* Before HNS 9.2 there is no v2 (HCN) API to call (hcn-api.md 3). */
        hr = hnsm__detail(HNSM_E_NOTIMPL, "HNS %u.%u has no HCN (v2) API",
                          inst->profile.major, inst->profile.minor);
    } else if (SUCCEEDED(hr = guid_argument(id, canonical_id)) &&
               SUCCEEDED(hr = guid_argument(parent, canonical_parent))) {
        const char *api = hnsm__api_name(kind, op);
        pthread_mutex_lock(&inst->lock);
        /* HNS's own work touches only a store it can read. */
        bool readable = !inst->store_incompatible;
        if (readable)
            hnsm__network_generated_settle(inst);
        bool partial = false;
        hr = hnsm__fault_check_call(inst, api, json, &partial);
        if (FAILED(hr) && partial && readable && kind == HNSM_LOADBALANCER &&
            op == HNSM_OP_CREATE)
            hnsm__lb_leave_partial(inst, json); /* the injected failure stands */
        if (SUCCEEDED(hr))
            hr = hnsm__store_readable(inst);
        if (SUCCEEDED(hr)) {
            hnsm__latency_charge(inst, api);
            hr = run(inst, kind, op, canonical_id, canonical_parent, json, &output, created);
        }
        pthread_mutex_unlock(&inst->lock);
    }
    if (SUCCEEDED(hr)) {
        if (result && output)
            *result = jx_print(output);
        else if (result && created[0]) {
            char rendered[HNSM_GUID_TEXT];
            hnsm__render_guid(inst, created, rendered);
            *result = strdup(rendered);
        }
        if (result && (output || created[0]) && !*result)
            hr = HNSM_E_OUTOFMEMORY;
    }
    cJSON_Delete(output);
    /* A success leaves no detail behind (a create records "not found" while
     * checking that its id is free). */
    if (SUCCEEDED(hr))
        hnsm__detail_clear();
    if (FAILED(hr) && error_record)
        *error_record = hnsm__error_record(hr);
    return hr;
}
