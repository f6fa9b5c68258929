/*
 * network_generated.c - the network policies HNS adds on its own: the
 * ProviderAddress (the host's management IP, v1 ManagementIP) of every
 * L2Bridge, L2Tunnel and Overlay network, and the DrMacAddress of an Overlay
 * one (choice AUTO_PROVIDER_ADDRESS; consumers.md 8 "HNS-generated data
 * consumers wait for").
 *
 * On Windows they appear seconds after the create returns (consumers.md 7):
 * flannel polls every 0.5 s for at most 5 s for the ProviderAddress, then
 * gives up. hnsm_set_generated_policy_delay() models that. With no delay
 * (the default) the policies are part of the network from its create; with
 * one, the create stores them aside with the virtual time they are due
 * (private "_PendingPolicies" / "_PendingAt", persisted, so a restart keeps
 * them pending) and the first call at or after that time moves them into
 * the network's Policies, as HNS's own background work would.
 */
#include "network_internal.h"

#include "hresult.h"
#include "jsonx.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends {Type:type, Settings:{field:value}} to into unless given has that type. */
static void add_policy(cJSON *into, const cJSON *given, const char *type, const char *field,
                       const char *value)
{
    if (hnsm__policies_have_type(given, type))
        return;
    cJSON *policy = cJSON_CreateObject();
    cJSON_AddStringToObject(policy, "Type", type);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(policy, "Settings"), field, value);
    cJSON_AddItemToArray(into, policy);
}

HRESULT hnsm__network_generated(hnsm_instance *inst, int mode, cJSON *policies, cJSON *doc)
{
    if (!hnsm__choice(inst, HNSM_CHOICE_AUTO_PROVIDER_ADDRESS) ||
        (mode != HNSM_MODE_L2BRIDGE && mode != HNSM_MODE_L2TUNNEL && mode != HNSM_MODE_OVERLAY))
        return S_OK;
    char adapter[64], host_ip[64];
    HRESULT hr = hnsm__host(inst, adapter, host_ip);
    if (FAILED(hr))
        return hr;
    char *slash = strchr(host_ip, '/');
    if (slash)
        *slash = '\0';
    cJSON *into = inst->generated_delay_ms ? cJSON_CreateArray() : policies;
    add_policy(into, policies, "ProviderAddress", "ProviderAddress", host_ip);
    if (mode == HNSM_MODE_OVERLAY) {
        uint64_t r;
        char mac[HNSM_MAC_TEXT];
        if (FAILED(hr = hnsm__new_random(inst, &r))) {
            if (into != policies)
                cJSON_Delete(into);
            return hr;
        }
        hnsm__mac_format(0x00155D000000ull | (r & 0xFFFFFF), mac);
        add_policy(into, policies, "DrMacAddress", "Address", mac);
    }
    if (into == policies)
        return S_OK;
    uint64_t due = inst->clock_ms + inst->generated_delay_ms;
    cJSON_AddItemToObject(doc, "_PendingPolicies", into);
    jx_put_uint(doc, "_PendingAt", due);
    if (!inst->generated_due_ms || due < inst->generated_due_ms)
        inst->generated_due_ms = due;
    return S_OK;
}

/* Moves the pending policies of one network into its Policies. */
static HRESULT settle_one(hnsm_instance *inst, const char *id, cJSON *doc)
{
    cJSON *pending = cJSON_DetachItemFromObject(doc, "_PendingPolicies");
    cJSON_DeleteItemFromObject(doc, "_PendingAt");
    cJSON *policies = cJSON_GetObjectItem(doc, "Policies");
    if (!policies)
        policies = cJSON_AddArrayToObject(doc, "Policies");
    cJSON *p;
    while (pending && (p = cJSON_DetachItemViaPointer(pending, pending->child))) {
        if (hnsm__policies_have_type(policies, hnsm__policy_type(p)))
            cJSON_Delete(p); /* the caller added one meanwhile: it stays */
        else
            cJSON_AddItemToArray(policies, p);
    }
    cJSON_Delete(pending);
    return hnsm__network_save(inst, id, doc);
}

void hnsm__network_generated_settle(hnsm_instance *inst)
{
    if (!inst->generated_rescan && (!inst->generated_due_ms || inst->clock_ms < inst->generated_due_ms))
        return;
    if (FAILED(hnsm__begin_write(inst)))
        return; /* tried again at the next call */
    uint64_t next = 0;
    HRESULT hr = S_OK;
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT id, doc FROM networks WHERE doc LIKE "
                                        "'%\"\\_PendingAt\"%' ESCAPE '\\' ORDER BY seq");
    /* Collected first: saving a row while the select walks the table is not allowed. */
    cJSON *due = cJSON_CreateObject();
    int rc = SQLITE_DONE;
    while (st && due && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        cJSON *doc = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
        const cJSON *at = cJSON_GetObjectItem(doc, "_PendingAt");
        uint64_t when = cJSON_IsNumber(at) ? (uint64_t)at->valuedouble : 0;
        if (doc && when <= inst->clock_ms) {
            cJSON_AddItemToObject(due, id, doc);
            continue;
        }
        if (doc && (!next || when < next))
            next = when;
        cJSON_Delete(doc);
    }
    if (st)
        sqlite3_reset(st);
    if (!st || !due || rc != SQLITE_DONE)
        hr = rc == SQLITE_DONE ? HNSM_E_OUTOFMEMORY : hnsm__sql_error(inst, rc);
    cJSON *doc;
    cJSON_ArrayForEach(doc, due)
        if (SUCCEEDED(hr))
            hr = settle_one(inst, doc->string, doc);
    cJSON_Delete(due);
    hr = hnsm__finish(inst, hr);
    if (SUCCEEDED(hr)) { /* else the next call scans again */
        inst->generated_due_ms = next;
        inst->generated_rescan = false;
    }
}

uint64_t hnsm_next_event_ms(hnsm_instance *inst)
{
    if (!inst)
        return 0;
    pthread_mutex_lock(&inst->lock);
    if (!inst->store_incompatible)
        hnsm__network_generated_settle(inst); /* learns the due time after a restart */
    uint64_t due = inst->store_incompatible ? 0 : inst->generated_due_ms;
    pthread_mutex_unlock(&inst->lock);
    return due;
}

int hnsm_set_generated_policy_delay(hnsm_instance *inst, uint64_t ms)
{
    if (!inst)
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    inst->generated_delay_ms = ms;
    pthread_mutex_unlock(&inst->lock);
    return 0;
}
