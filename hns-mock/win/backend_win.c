/*
 * backend_win.c - the backend of hcn_api.c and hcn_service.c inside
 * computenetwork.dll: every call, reservation and subscription goes to hnsd
 * over TCP loopback (hnsd_link.h, docs/hnsd-protocol.md). See
 * hns-mock/backend.h for the contract.
 */
#include "backend.h"

#include "guid.h"
#include "hnsd_link.h"
#include "wirejson.h"

#include <computenetwork.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The protocol's words for kinds and calls. */
static const char *const kind_words[HNSM_KIND_COUNT] = {
    "network", "endpoint", "namespace", "loadbalancer", "sdnroute", "guestnetworkservice"};
static const char *const op_words[HNSM_OP_COUNT] = {"enumerate", "create", "open",  "modify",
                                                    "query",     "delete", "stats", "addresses"};

HRESULT hnsm__backend_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                           const char *json, char **result, char **error_record)
{
    if ((int)kind < 0 || kind >= HNSM_KIND_COUNT || (int)op < 0 || op >= HNSM_OP_COUNT)
        return E_INVALIDARG;
    return hnsd_link_call(kind_words[kind], op_words[op], id, parent, json, result, error_record);
}

HRESULT hnsm__backend_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                                   int64_t *number)
{
    return hnsd_link_reserve_port(gns_id, protocol, access, port, number);
}

HRESULT hnsm__backend_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                    uint16_t *end, int64_t *number)
{
    return hnsd_link_reserve_range(gns_id, count, start, end, number);
}

HRESULT hnsm__backend_release_reservation(int64_t number)
{
    return hnsd_link_release_reservation(number);
}

HRESULT hnsm__backend_list_reservations(hnsm_port_reservation **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    hnsd_link_reservation *list = NULL;
    size_t n = 0;
    HRESULT hr = hnsd_link_list_reservations(&list, &n);
    if (FAILED(hr) || n == 0) {
        free(list);
        return hr;
    }
    hnsm_port_reservation *copy = calloc(n, sizeof *copy);
    if (!copy) {
        free(list);
        return E_OUTOFMEMORY;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(copy[i].gns_id, sizeof copy[i].gns_id, "%s", list[i].gns_id);
        snprintf(copy[i].vm_id, sizeof copy[i].vm_id, "%s", list[i].vm_id);
        copy[i].protocol = list[i].protocol;
        copy[i].access = list[i].access;
        copy[i].start_port = list[i].start_port;
        copy[i].end_port = list[i].end_port;
    }
    free(list);
    *out = copy;
    *count = n;
    return S_OK;
}

struct hnsm_backend_subscription {
    hnsd_link_subscription *link;
    bool on_gns;
    char gns_id[HNSM_GUID_TEXT];
    hnsm_event_fn fn;
    void *context;
};

/* The canonical ID named by a notification's data (wirejson). */
static bool event_id(const char *data, char out[HNSM_BACKEND_GUID_TEXT])
{
    wj_value doc, id;
    char *text = NULL;
    bool ok = wj_parse(data, strlen(data), &doc) && wj_member(&doc, "ID", &id) &&
              (text = wj_string(&id, NULL)) && hnsm__guid_canonical(text, out);
    free(text);
    return ok;
}

/* hnsd sends every notification: keep what the scope hears. */
static void scope_filter(uint32_t type, const char *data, void *context)
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
        return E_OUTOFMEMORY;
    sub->on_gns = on_gns;
    if (gns_id)
        snprintf(sub->gns_id, sizeof sub->gns_id, "%s", gns_id);
    sub->fn = fn;
    sub->context = context;
    HRESULT hr = hnsd_link_subscribe(scope_filter, sub, &sub->link);
    if (FAILED(hr)) {
        free(sub);
        return hr;
    }
    *out = sub;
    return S_OK;
}

void hnsm__backend_unsubscribe(hnsm_backend_subscription *sub)
{
    if (!sub)
        return;
    hnsd_link_unsubscribe(sub->link);
    free(sub);
}
