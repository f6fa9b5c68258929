/*
 * backend.c - libhnsmock's backend for the HCN API: hnsd when HNSIM_HNSD is
 * set, otherwise the process's current instance (backend.h). Object calls,
 * port reservations and notification subscriptions.
 */
#include "backend.h"

#include "detail.h"
#include "gns.h"
#include "guid.h"
#include "hresult.h"
#include "notify.h"
#include "remote.h"

#include <cjson/cJSON.h>
#include <computenetwork.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HRESULT hnsm__backend_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                           const char *json, char **result, char **error_record)
{
    if (hnsm__remote_enabled())
        return hnsm__remote_call(kind, op, id, parent, json, result, error_record);
    hnsm_instance *inst = hnsm_current();
    if (!inst) {
        HRESULT hr = hnsm__detail(HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE,
                                  "the HNS instance could not be opened");
        if (result)
            *result = NULL;
        if (error_record)
            *error_record = hnsm__error_record(hr);
        return hr;
    }
    return hnsm_call(inst, kind, op, id, parent, json, result, error_record);
}

/* The instance for local calls, or an HRESULT when none can be opened. */
static HRESULT local_instance(hnsm_instance **inst)
{
    *inst = hnsm_current();
    return *inst ? S_OK
                 : hnsm__detail(HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE,
                                "the HNS instance could not be opened");
}

HRESULT hnsm__backend_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                                   int64_t *number)
{
    if (hnsm__remote_enabled())
        return hnsm__remote_reserve_port(gns_id, protocol, access, port, number);
    hnsm_instance *inst;
    HRESULT hr = local_instance(&inst);
    return FAILED(hr) ? hr : hnsm__gns_reserve_port(inst, gns_id, protocol, access, port, number);
}

HRESULT hnsm__backend_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                    uint16_t *end, int64_t *number)
{
    if (hnsm__remote_enabled())
        return hnsm__remote_reserve_range(gns_id, count, start, end, number);
    hnsm_instance *inst;
    HRESULT hr = local_instance(&inst);
    return FAILED(hr) ? hr : hnsm__gns_reserve_range(inst, gns_id, count, start, end, number);
}

HRESULT hnsm__backend_release_reservation(int64_t number)
{
    if (hnsm__remote_enabled())
        return hnsm__remote_release_reservation(number);
    hnsm_instance *inst;
    HRESULT hr = local_instance(&inst);
    return FAILED(hr) ? hr : hnsm__gns_release_reservation(inst, number);
}

HRESULT hnsm__backend_list_reservations(hnsm_port_reservation **out, size_t *count)
{
    if (hnsm__remote_enabled())
        return hnsm__remote_list_reservations(out, count);
    hnsm_instance *inst;
    HRESULT hr = local_instance(&inst);
    return FAILED(hr) ? hr : hnsm__gns_list_reservations(inst, out, count);
}

struct hnsm_backend_subscription {
    hnsm_subscription *local;         /* in process: scoped by notify.c */
    hnsm_remote_subscription *remote; /* through hnsd: every event, filtered here */
    bool on_gns;
    char gns_id[HNSM_GUID_TEXT];
    hnsm_event_fn fn;
    void *context;
};

/* The canonical ID named by a notification's data (cJSON). */
static bool event_id(const char *data, char out[HNSM_BACKEND_GUID_TEXT])
{
    cJSON *doc = cJSON_Parse(data);
    const cJSON *id = cJSON_GetObjectItem(doc, "ID");
    bool ok = cJSON_IsString(id) && hnsm__guid_canonical(id->valuestring, out);
    cJSON_Delete(doc);
    return ok;
}

/* hnsd sends every notification: keep what the scope hears. */
static void remote_filter(uint32_t type, const char *data, void *context)
{
    const hnsm_backend_subscription *sub = context;
    if (hnsm__scope_hears(sub->on_gns, sub->gns_id, type, data, event_id))
        sub->fn(type, data, sub->context);
}

HRESULT hnsm__backend_subscribe(bool on_gns, const char *gns_id, hnsm_event_fn fn, void *context,
                                hnsm_backend_subscription **out)
{
    *out = NULL;
    hnsm_backend_subscription *sub = calloc(1, sizeof *sub);
    if (!sub)
        return HNSM_E_OUTOFMEMORY;
    sub->on_gns = on_gns;
    if (gns_id)
        snprintf(sub->gns_id, sizeof sub->gns_id, "%s", gns_id);
    sub->fn = fn;
    sub->context = context;
    int err;
    if (hnsm__remote_enabled()) {
        err = hnsm__remote_subscribe(remote_filter, sub, &sub->remote);
    } else {
        hnsm_instance *inst;
        HRESULT hr = local_instance(&inst);
        if (FAILED(hr)) {
            free(sub);
            return hr;
        }
        err = hnsm__subscribe_scoped(inst, on_gns ? HNSM_EVENTS_GNS : HNSM_EVENTS_SERVICE, gns_id,
                                     fn, context, &sub->local);
    }
    if (err) {
        free(sub);
        return err == HNSM_ENOMEM ? HNSM_E_OUTOFMEMORY
                                  : hnsm__detail(HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE,
                                                 "cannot subscribe to notifications");
    }
    *out = sub;
    return S_OK;
}

void hnsm__backend_unsubscribe(hnsm_backend_subscription *sub)
{
    if (!sub)
        return;
    hnsm_unsubscribe(sub->local);
    hnsm__remote_unsubscribe(sub->remote);
    free(sub);
}
