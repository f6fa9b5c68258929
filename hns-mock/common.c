/*
 * common.c - small pieces every object kind shares: id choice, stored
 * document handling, version stamps.
 */
#include "objects.h"

#include "hresult.h"

#include <ctype.h>
#include <string.h>

HRESULT hnsm__type_error(const hnsm_instance *inst)
{
    return hnsm__choice(inst, HNSM_CHOICE_BAD_FIELD_TYPE_HRESULT_INVALIDARG)
               ? HNSM_E_INVALIDARG
               : HNSM_HCN_E_INVALID_JSON;
}

HRESULT hnsm__parse_stored(const char *text, cJSON **out)
{
    *out = text ? cJSON_Parse(text) : NULL;
    return *out ? S_OK : hnsm__detail(HNSM_E_FAIL, "store: a stored document is corrupt");
}

void hnsm__strip_private(cJSON *doc)
{
    cJSON *item = doc ? doc->child : NULL;
    while (item) {
        cJSON *next = item->next;
        if (item->string && item->string[0] == '_')
            cJSON_Delete(cJSON_DetachItemViaPointer(doc, item));
        item = next;
    }
}

void hnsm__render_guid(const hnsm_instance *inst, const char *id, char out[HNSM_GUID_TEXT])
{
    memcpy(out, id, HNSM_GUID_TEXT);
    if (!hnsm__choice(inst, HNSM_CHOICE_GUID_UPPER_CASE))
        for (int i = 0; out[i]; i++)
            out[i] = (char)tolower((unsigned char)out[i]);
}

double hnsm__object_version(const hnsm_instance *inst)
{
    return (double)(((uint64_t)inst->profile.major << 32) | inst->profile.minor);
}

void hnsm__add_schema_version(const hnsm_instance *inst, cJSON *obj)
{
    cJSON *v = cJSON_AddObjectToObject(obj, "SchemaVersion");
    cJSON_AddNumberToObject(v, "Major", inst->profile.schema_major);
    cJSON_AddNumberToObject(v, "Minor", inst->profile.schema_minor);
}

HRESULT hnsm__choose_id(hnsm_instance *inst, const char *requested, const cJSON *doc,
                        HRESULT (*exists)(hnsm_instance *, const char *),
                        char out_id[HNSM_GUID_TEXT])
{
    HRESULT hr;
    if (requested) {
        memcpy(out_id, requested, HNSM_GUID_TEXT);
    } else {
        const cJSON *id = hnsm__choice(inst, HNSM_CHOICE_JSON_ID_WHEN_GUID_NULL)
                              ? cJSON_GetObjectItem(doc, "ID")
                              : NULL;
        if (cJSON_IsString(id) && id->valuestring[0]) {
            if (!hnsm__guid_canonical(id->valuestring, out_id))
                return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE,
                                    "ID \"%s\" is not a GUID", id->valuestring);
            GUID g;
            hnsm__guid_parse(out_id, &g);
            if (hnsm__guid_is_null(&g) && FAILED(hr = hnsm__new_guid(inst, out_id)))
                return hr;
        } else if (id && !cJSON_IsNull(id) && !cJSON_IsString(id)) {
            return hnsm__detail(hnsm__type_error(inst), "ID must be a string");
        } else if (FAILED(hr = hnsm__new_guid(inst, out_id))) {
            return hr;
        }
    }
    hr = exists(inst, out_id);
    if (SUCCEEDED(hr))
        return hnsm__detail(hnsm__choice(inst, HNSM_CHOICE_DUPLICATE_ID_HRESULT_ALREADY_EXISTS)
                                ? HNSM_HRESULT_ERROR_ALREADY_EXISTS
                                : HNSM_E_INVALIDARG,
                            "an object with id %s already exists", out_id);
    /* exists() reports "not found" with the kind's own HRESULT; anything
     * else (a store error) is passed on. */
    if (hr == HNSM_E_FAIL || hr == HNSM_E_OUTOFMEMORY)
        return hr;
    return S_OK;
}

HRESULT hnsm__render_object(hnsm_instance *inst, hnsm_kind kind, const char *id,
                            const hnsm_render *how, cJSON **out)
{
    switch (kind) {
    case HNSM_NETWORK:
        return hnsm__network_render(inst, id, how, out);
    case HNSM_ENDPOINT:
        return hnsm__endpoint_render(inst, id, how, out);
    case HNSM_NAMESPACE:
        return hnsm__namespace_render(inst, id, how, out);
    case HNSM_LOADBALANCER:
        return hnsm__lb_render(inst, id, how, out);
    case HNSM_SDNROUTE:
        return hnsm__route_render(inst, id, how, out);
    case HNSM_GUESTNETWORKSERVICE:
        return hnsm__gns_render(inst, id, how, out);
    default:
        return hnsm__detail(HNSM_E_INVALIDARG, "unknown object kind");
    }
}
