/*
 * modify.c - ModifySettingRequest parsing and policy-list edits, shared by
 * networks and endpoints (hcn-api.md 2.7).
 *
 * Add appends (an identical policy already present is refused, choice
 * POLICY_ADD_DUPLICATE_FAILS); Remove deletes matching policies, compared as
 * parsed JSON because callers re-marshal what HNS returned (consumers.md 8);
 * Update replaces the policies of the types the request carries (choice
 * POLICY_UPDATE_SAME_TYPE) or all of them; Refresh re-applies: the policies
 * must be valid, nothing changes.
 */
#include "objects.h"

#include "hresult.h"

#include <string.h>

static const jx_enum_entry request_types[] = {
    {"Add", HNSM_REQ_ADD},         {"Remove", HNSM_REQ_REMOVE}, {"Update", HNSM_REQ_UPDATE},
    {"Refresh", HNSM_REQ_REFRESH}, {"Reset", HNSM_REQ_RESET},   {NULL, 0}};

HRESULT hnsm__modify_request(const cJSON *request, const jx_enum_entry *resource_types,
                             int *request_type, int *resource_type, const cJSON **settings)
{
    const cJSON *rt = cJSON_GetObjectItem(request, "ResourceType");
    const cJSON *rq = cJSON_GetObjectItem(request, "RequestType");
    if (!rt || cJSON_IsNull(rt))
        return hnsm__detail(HNSM_E_INVALIDARG, "the modify request has no ResourceType");
    if (!jx_enum_value(rt, resource_types, resource_type))
        return hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED, "ResourceType is not supported here");
    *request_type = HNSM_REQ_ADD;
    if (rq && !cJSON_IsNull(rq) && !jx_enum_value(rq, request_types, request_type))
        return hnsm__detail(HNSM_E_INVALIDARG, "RequestType is not Add/Remove/Update/Refresh/Reset");
    *settings = cJSON_GetObjectItem(request, "Settings");
    if (*settings && cJSON_IsNull(*settings))
        *settings = NULL;
    return S_OK;
}

/* The index in list of a policy equal to p, or -1. */
static int policy_index(const cJSON *list, const cJSON *p)
{
    int i = 0;
    const cJSON *q;
    cJSON_ArrayForEach(q, list)
    {
        if (jx_equal(p, q))
            return i;
        i++;
    }
    return -1;
}

HRESULT hnsm__apply_policy_request(hnsm_instance *inst, cJSON *list, int request_type,
                                   const cJSON *policies)
{
    const cJSON *p;
    switch (request_type) {
    case HNSM_REQ_ADD:
        cJSON_ArrayForEach(p, policies)
        {
            if (hnsm__choice(inst, HNSM_CHOICE_POLICY_ADD_DUPLICATE_FAILS) &&
                policy_index(list, p) >= 0)
                return hnsm__detail(HNSM_HCN_E_POLICY_ALREADY_EXISTS,
                                    "an identical %s policy is already present",
                                    hnsm__policy_type(p));
            cJSON_AddItemToArray(list, cJSON_Duplicate(p, 1));
        }
        return S_OK;
    case HNSM_REQ_REMOVE:
        cJSON_ArrayForEach(p, policies)
        {
            int i = policy_index(list, p);
            if (i < 0) {
                if (hnsm__choice(inst, HNSM_CHOICE_POLICY_REMOVE_MISSING_FAILS))
                    return hnsm__detail(HNSM_HCN_E_POLICY_NOT_FOUND,
                                        "no matching %s policy to remove", hnsm__policy_type(p));
                continue;
            }
            cJSON_DeleteItemFromArray(list, i);
        }
        return S_OK;
    case HNSM_REQ_UPDATE: {
        bool same_type = hnsm__choice(inst, HNSM_CHOICE_POLICY_UPDATE_SAME_TYPE);
        cJSON *item = list->child;
        while (item) {
            cJSON *next = item->next;
            const char *t = hnsm__policy_type(item);
            if (!same_type || (t && hnsm__policies_have_type(policies, t)))
                cJSON_Delete(cJSON_DetachItemViaPointer(list, item));
            item = next;
        }
        cJSON_ArrayForEach(p, policies) cJSON_AddItemToArray(list, cJSON_Duplicate(p, 1));
        return S_OK;
    }
    case HNSM_REQ_REFRESH:
        return S_OK;
    default:
        return hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED,
                            "this RequestType is not supported for policies");
    }
}
