/*
 * references.c - objects that name other objects: the endpoint lists of
 * load balancers and SDN routes, and the HostComputeNetwork field (schema 2.5).
 */
#include "objects.h"

#include "hresult.h"
#include "jsonx.h"

#include <stdio.h>
#include <string.h>

HRESULT hnsm__endpoint_refs(hnsm_instance *inst, const cJSON *list, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT state FROM endpoints WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    cJSON *ids = cJSON_CreateArray();
    HRESULT hr = S_OK;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        char id[HNSM_GUID_TEXT];
        if (!cJSON_IsString(item)) {
            hr = hnsm__detail(bad, "HostComputeEndpoints entries must be strings");
            break;
        }
        if (!hnsm__guid_canonical(item->valuestring, id)) {
            hr = hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE,
                              "endpoint reference \"%s\" is not a GUID", item->valuestring);
            break;
        }
        bool seen = false;
        const cJSON *have;
        cJSON_ArrayForEach(have, ids) seen = seen || strcmp(have->valuestring, id) == 0;
        if (seen)
            continue;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        int state = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_FOUND, "no endpoint %s", id);
        else if (rc != SQLITE_ROW)
            hr = hnsm__sql_error(inst, rc);
        else if (state == HNSM_EP_DESTROYED)
            hr =
                hnsm__detail(HNSM_HCN_E_PORT_NOT_FOUND, "endpoint %s has lost its switch port", id);
        if (FAILED(hr))
            break;
        cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    }
    if (FAILED(hr)) {
        cJSON_Delete(ids);
        return hr;
    }
    *out = ids;
    return S_OK;
}

HRESULT hnsm__network_ref(hnsm_instance *inst, const cJSON *doc, char out[HNSM_GUID_TEXT])
{
    out[0] = '\0';
    /* HostComputeNetwork on LBs and routes is schema 2.5; an older HNS does
     * not know the field and ignores it like any unknown one (hcn-api.md 2.5). */
    if (inst->profile.schema_major == 2 && inst->profile.schema_minor < 5)
        return S_OK;
    const char *text = NULL;
    HRESULT hr = jx_string(doc, "HostComputeNetwork", hnsm__type_error(inst), &text);
    if (FAILED(hr) || !text || !*text)
        return hr;
    if (!hnsm__guid_canonical(text, out))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE,
                            "HostComputeNetwork \"%s\" is not a GUID", text);
    return hnsm__network_exists(inst, out);
}
