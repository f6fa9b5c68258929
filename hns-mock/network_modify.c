/*
 * network_modify.c - ModifySettingRequests on a network (hcn-api.md 2.7):
 * DNS, Extension, Policy, Subnet and IPSubnet resources.
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

static const jx_enum_entry network_resource_types[] = {
    {"DNS", 0}, {"Extension", 1}, {"Policy", 2}, {"Subnet", 3}, {"IPSubnet", 4}, {NULL, 0}};

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
            if (FAILED(hr = hnsm__subnet_canonical(inst, s, &inst->profile, &c)))
                return hr;
            cJSON_AddItemToArray(target, c);
            if (FAILED(hr = hnsm__subnets_disjoint(ipams)))
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
    hr = hnsm__subnet_canonical(inst, candidate, &inst->profile, &canonical);
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
        hr =
            hnsm__detail(hnsm__type_error(inst), "the modify request's Settings must be an object");
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
    hr = hnsm__network_save(inst, id, doc);
done:
    cJSON_Delete(doc);
    return hr;
}
