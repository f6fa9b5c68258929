/*
 * computenetwork.c - computenetwork.dll for Windows programs under Wine: the
 * whole HCN API of include/computenetwork.h, forwarded to hnsd.
 *
 * Each function checks its arguments as hns-mock/hcn_api.c and
 * hcn_service.c do in process (same HRESULTs for NULL pointers, stale or
 * foreign handles), converts its UTF-16 JSON to UTF-8 (hns-mock/wstr.c),
 * sends one `call` to hnsd (hnsd_link.h) and returns the result and the
 * ErrorRecord as CoTaskMemAlloc'd UTF-16, which clients free with
 * CoTaskMemFree (reference hcn-api.md 1.5, 1.9). Handles come from
 * hns-mock/handles.c: a handle names an object and nothing is kept for it
 * in hnsd, as the protocol says.
 *
 * Service callbacks are subscriptions on a connection of their own, read by
 * a thread (hnsd_link_subscribe); hnsd sends every notification, and each
 * registration keeps what its scope hears, the table of hns-mock/notify.c:
 * a service callback everything but guest-network-service state changes, a
 * guest network service callback only that service's state changes, both
 * HcnNotificationServiceDisconnect. Port reservations are held by this
 * process's request connection, which hnsd releases when the process ends.
 */
#include <computenetwork.h>

#include "guid.h"
#include "handles.h"
#include "hnsd_link.h"
#include "hresult.h"
#include "wirejson.h"
#include "wstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The protocol's words for kinds and calls (docs/hnsd-protocol.md). */
static const char *const kind_words[HNSM_KIND_COUNT] = {
    "network", "endpoint", "namespace", "loadbalancer", "sdnroute", "guestnetworkservice"};
static const char *const op_words[HNSM_OP_COUNT] = {"enumerate", "create", "open",  "modify",
                                                    "query",     "delete", "stats", "addresses"};

/* Handle kinds beyond the object kinds, in the same table (as hcn_service.c). */
#define HANDLE_KIND_PORT_RESERVATION ((hnsm_kind)HNSM_KIND_COUNT)
#define HANDLE_KIND_CALLBACK ((hnsm_kind)(HNSM_KIND_COUNT + 1))

/* Stores a CoTaskMem UTF-16 copy of utf8 in *out (when out is not NULL). */
static HRESULT give_wide(const char *utf8, PWSTR *out)
{
    if (!out)
        return S_OK;
    *out = NULL;
    if (!utf8)
        return S_OK;
    *out = hnsm__utf8_to_wide_cotask(utf8);
    return *out ? S_OK : HNSM_E_OUTOFMEMORY;
}

/* Converts an optional UTF-16 argument to UTF-8. */
static HRESULT take_wide(PCWSTR ws, char **out)
{
    *out = NULL;
    if (!ws)
        return S_OK;
    switch (hnsm__wide_to_utf8(ws, out)) {
    case WSTR_OK:
        return S_OK;
    case WSTR_TOO_LONG:
        return HNSM_E_INVALIDARG;
    case WSTR_INVALID:
        return HNSM_HCN_E_INVALID_JSON;
    default:
        return HNSM_E_OUTOFMEMORY;
    }
}

/* Fails a call on the client side: sets the ErrorRecord. */
static HRESULT fail(HRESULT hr, PWSTR *error_record)
{
    if (error_record) {
        char *record = hnsm__error_record(hr);
        give_wide(record, error_record);
        free(record);
    }
    return hr;
}

/* One call through hnsd: wide JSON in, wide result (or the created id) out. */
static HRESULT api_call(hnsm_kind kind, hnsm_op op, const char *id_text, const char *parent_text,
                        PCWSTR json, PWSTR *result, PWSTR *error_record, char **created)
{
    if (error_record)
        *error_record = NULL;
    if (result)
        *result = NULL;
    if (created)
        *created = NULL;
    char *utf8 = NULL;
    HRESULT hr = take_wide(json, &utf8);
    if (FAILED(hr))
        return fail(hr, error_record);
    char *out = NULL, *record = NULL;
    hr = hnsd_link_call(kind_words[kind], op_words[op], id_text, parent_text, utf8, &out,
                        error_record ? &record : NULL);
    free(utf8);
    if (SUCCEEDED(hr)) {
        if (created) {
            *created = out;
            out = NULL;
        } else if (FAILED(give_wide(out ? out : "", result))) {
            hr = HNSM_E_OUTOFMEMORY;
        }
    } else if (error_record) {
        give_wide(record, error_record);
    }
    free(out);
    free(record);
    return hr;
}

static HRESULT api_enumerate(hnsm_kind kind, PCWSTR query, PWSTR *list, PWSTR *error_record)
{
    if (!list) {
        if (error_record)
            *error_record = NULL;
        return fail(HNSM_E_POINTER, error_record);
    }
    return api_call(kind, HNSM_OP_ENUMERATE, NULL, NULL, query, list, error_record, NULL);
}

/* Create: a handle on the new object; parent_handle names the network of an endpoint. */
static HRESULT api_create(hnsm_kind kind, void *parent_handle, const GUID *id, PCWSTR settings,
                          void **handle, PWSTR *error_record)
{
    if (error_record)
        *error_record = NULL;
    if (!handle || !id)
        return fail(!handle ? HNSM_E_POINTER : HNSM_E_INVALIDARG, error_record);
    *handle = NULL;
    char id_text[HNSM_GUID_TEXT], parent[HNSM_GUID_TEXT];
    hnsm__guid_format(id, id_text);
    if (kind == HNSM_ENDPOINT) {
        if (!parent_handle)
            return fail(HNSM_E_INVALIDARG, error_record);
        if (!hnsm__handle_get(parent_handle, HNSM_NETWORK, parent))
            return fail(HNSM_E_HANDLE, error_record);
    }
    char *created = NULL;
    HRESULT hr = api_call(kind, HNSM_OP_CREATE, id_text, kind == HNSM_ENDPOINT ? parent : NULL,
                          settings, NULL, error_record, &created);
    if (SUCCEEDED(hr)) {
        char canonical[HNSM_GUID_TEXT];
        if (!created || !hnsm__guid_canonical(created, canonical))
            hr = fail(HNSM_E_FAIL, error_record);
        else if (!(*handle = hnsm__handle_new(kind, canonical)))
            hr = fail(HNSM_E_OUTOFMEMORY, error_record);
    }
    free(created);
    return hr;
}

static HRESULT api_open(hnsm_kind kind, const GUID *id, void **handle, PWSTR *error_record)
{
    if (error_record)
        *error_record = NULL;
    if (!handle || !id)
        return fail(!handle ? HNSM_E_POINTER : HNSM_E_INVALIDARG, error_record);
    *handle = NULL;
    char id_text[HNSM_GUID_TEXT];
    hnsm__guid_format(id, id_text);
    HRESULT hr = api_call(kind, HNSM_OP_OPEN, id_text, NULL, NULL, NULL, error_record, NULL);
    if (SUCCEEDED(hr) && !(*handle = hnsm__handle_new(kind, id_text)))
        hr = fail(HNSM_E_OUTOFMEMORY, error_record);
    return hr;
}

/* Modify or query through a handle. */
static HRESULT api_on_handle(hnsm_kind kind, hnsm_op op, void *handle, PCWSTR json, PWSTR *result,
                             PWSTR *error_record)
{
    if (error_record)
        *error_record = NULL;
    if (result)
        *result = NULL;
    char id[HNSM_GUID_TEXT];
    if (!handle)
        return fail(HNSM_E_INVALIDARG, error_record);
    if (!hnsm__handle_get(handle, kind, id))
        return fail(HNSM_E_HANDLE, error_record);
    if (op != HNSM_OP_MODIFY && !result)
        return fail(HNSM_E_POINTER, error_record);
    return api_call(kind, op, id, NULL, json, result, error_record, NULL);
}

static HRESULT api_delete(hnsm_kind kind, const GUID *id, PWSTR *error_record)
{
    if (error_record)
        *error_record = NULL;
    if (!id)
        return fail(HNSM_E_INVALIDARG, error_record);
    char id_text[HNSM_GUID_TEXT];
    hnsm__guid_format(id, id_text);
    return api_call(kind, HNSM_OP_DELETE, id_text, NULL, NULL, NULL, error_record, NULL);
}

static HRESULT api_close(hnsm_kind kind, void *handle)
{
    if (!handle)
        return HNSM_E_INVALIDARG;
    return hnsm__handle_close(handle, kind) ? S_OK : HNSM_E_HANDLE;
}

/* ---- Networks ---- */
HRESULT WINAPI HcnEnumerateNetworks(PCWSTR Query, PWSTR *Networks, PWSTR *ErrorRecord)
{
    return api_enumerate(HNSM_NETWORK, Query, Networks, ErrorRecord);
}
HRESULT WINAPI HcnCreateNetwork(REFGUID Id, PCWSTR Settings, PHCN_NETWORK Network,
                                PWSTR *ErrorRecord)
{
    return api_create(HNSM_NETWORK, NULL, Id, Settings, Network, ErrorRecord);
}
HRESULT WINAPI HcnOpenNetwork(REFGUID Id, PHCN_NETWORK Network, PWSTR *ErrorRecord)
{
    return api_open(HNSM_NETWORK, Id, Network, ErrorRecord);
}
HRESULT WINAPI HcnModifyNetwork(HCN_NETWORK Network, PCWSTR Settings, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_NETWORK, HNSM_OP_MODIFY, Network, Settings, NULL, ErrorRecord);
}
HRESULT WINAPI HcnQueryNetworkProperties(HCN_NETWORK Network, PCWSTR Query, PWSTR *Properties,
                                         PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_NETWORK, HNSM_OP_QUERY, Network, Query, Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteNetwork(REFGUID Id, PWSTR *ErrorRecord)
{
    return api_delete(HNSM_NETWORK, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseNetwork(HCN_NETWORK Network) { return api_close(HNSM_NETWORK, Network); }

/* ---- Namespaces ---- */
HRESULT WINAPI HcnEnumerateNamespaces(PCWSTR Query, PWSTR *Namespaces, PWSTR *ErrorRecord)
{
    return api_enumerate(HNSM_NAMESPACE, Query, Namespaces, ErrorRecord);
}
HRESULT WINAPI HcnCreateNamespace(REFGUID Id, PCWSTR Settings, PHCN_NAMESPACE Namespace,
                                  PWSTR *ErrorRecord)
{
    return api_create(HNSM_NAMESPACE, NULL, Id, Settings, Namespace, ErrorRecord);
}
HRESULT WINAPI HcnOpenNamespace(REFGUID Id, PHCN_NAMESPACE Namespace, PWSTR *ErrorRecord)
{
    return api_open(HNSM_NAMESPACE, Id, Namespace, ErrorRecord);
}
HRESULT WINAPI HcnModifyNamespace(HCN_NAMESPACE Namespace, PCWSTR Settings, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_NAMESPACE, HNSM_OP_MODIFY, Namespace, Settings, NULL, ErrorRecord);
}
HRESULT WINAPI HcnQueryNamespaceProperties(HCN_NAMESPACE Namespace, PCWSTR Query,
                                           PWSTR *Properties, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_NAMESPACE, HNSM_OP_QUERY, Namespace, Query, Properties,
                         ErrorRecord);
}
HRESULT WINAPI HcnDeleteNamespace(REFGUID Id, PWSTR *ErrorRecord)
{
    return api_delete(HNSM_NAMESPACE, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseNamespace(HCN_NAMESPACE Namespace)
{
    return api_close(HNSM_NAMESPACE, Namespace);
}

/* ---- Endpoints ---- */
HRESULT WINAPI HcnEnumerateEndpoints(PCWSTR Query, PWSTR *Endpoints, PWSTR *ErrorRecord)
{
    return api_enumerate(HNSM_ENDPOINT, Query, Endpoints, ErrorRecord);
}
HRESULT WINAPI HcnCreateEndpoint(HCN_NETWORK Network, REFGUID Id, PCWSTR Settings,
                                 PHCN_ENDPOINT Endpoint, PWSTR *ErrorRecord)
{
    return api_create(HNSM_ENDPOINT, Network, Id, Settings, Endpoint, ErrorRecord);
}
HRESULT WINAPI HcnOpenEndpoint(REFGUID Id, PHCN_ENDPOINT Endpoint, PWSTR *ErrorRecord)
{
    return api_open(HNSM_ENDPOINT, Id, Endpoint, ErrorRecord);
}
HRESULT WINAPI HcnModifyEndpoint(HCN_ENDPOINT Endpoint, PCWSTR Settings, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_ENDPOINT, HNSM_OP_MODIFY, Endpoint, Settings, NULL, ErrorRecord);
}
HRESULT WINAPI HcnQueryEndpointProperties(HCN_ENDPOINT Endpoint, PCWSTR Query, PWSTR *Properties,
                                          PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_ENDPOINT, HNSM_OP_QUERY, Endpoint, Query, Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteEndpoint(REFGUID Id, PWSTR *ErrorRecord)
{
    return api_delete(HNSM_ENDPOINT, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseEndpoint(HCN_ENDPOINT Endpoint) { return api_close(HNSM_ENDPOINT, Endpoint); }
HRESULT WINAPI HcnQueryEndpointStats(HCN_ENDPOINT Endpoint, PCWSTR Query, PWSTR *Stats,
                                     PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_ENDPOINT, HNSM_OP_QUERY_STATS, Endpoint, Query, Stats, ErrorRecord);
}
HRESULT WINAPI HcnQueryEndpointAddresses(HCN_ENDPOINT Endpoint, PCWSTR Query, PWSTR *Addresses,
                                         PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_ENDPOINT, HNSM_OP_QUERY_ADDRESSES, Endpoint, Query, Addresses,
                         ErrorRecord);
}

/* ---- Load balancers ---- */
HRESULT WINAPI HcnEnumerateLoadBalancers(PCWSTR Query, PWSTR *LoadBalancer, PWSTR *ErrorRecord)
{
    return api_enumerate(HNSM_LOADBALANCER, Query, LoadBalancer, ErrorRecord);
}
HRESULT WINAPI HcnCreateLoadBalancer(REFGUID Id, PCWSTR Settings, PHCN_LOADBALANCER LoadBalancer,
                                     PWSTR *ErrorRecord)
{
    return api_create(HNSM_LOADBALANCER, NULL, Id, Settings, LoadBalancer, ErrorRecord);
}
HRESULT WINAPI HcnOpenLoadBalancer(REFGUID Id, PHCN_LOADBALANCER LoadBalancer, PWSTR *ErrorRecord)
{
    return api_open(HNSM_LOADBALANCER, Id, LoadBalancer, ErrorRecord);
}
HRESULT WINAPI HcnModifyLoadBalancer(HCN_LOADBALANCER LoadBalancer, PCWSTR Settings,
                                     PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_LOADBALANCER, HNSM_OP_MODIFY, LoadBalancer, Settings, NULL,
                         ErrorRecord);
}
HRESULT WINAPI HcnQueryLoadBalancerProperties(HCN_LOADBALANCER LoadBalancer, PCWSTR Query,
                                              PWSTR *Properties, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_LOADBALANCER, HNSM_OP_QUERY, LoadBalancer, Query, Properties,
                         ErrorRecord);
}
HRESULT WINAPI HcnDeleteLoadBalancer(REFGUID Id, PWSTR *ErrorRecord)
{
    return api_delete(HNSM_LOADBALANCER, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseLoadBalancer(HCN_LOADBALANCER LoadBalancer)
{
    return api_close(HNSM_LOADBALANCER, LoadBalancer);
}

/* ---- SDN routes ---- */
HRESULT WINAPI HcnEnumerateSdnRoutes(PCWSTR Query, PWSTR *Routes, PWSTR *ErrorRecord)
{
    return api_enumerate(HNSM_SDNROUTE, Query, Routes, ErrorRecord);
}
HRESULT WINAPI HcnCreateSdnRoute(REFGUID Id, PCWSTR Settings, HCN_SDNROUTE *Route,
                                 PWSTR *ErrorRecord)
{
    return api_create(HNSM_SDNROUTE, NULL, Id, Settings, Route, ErrorRecord);
}
HRESULT WINAPI HcnOpenSdnRoute(REFGUID Id, HCN_SDNROUTE *Route, PWSTR *ErrorRecord)
{
    return api_open(HNSM_SDNROUTE, Id, Route, ErrorRecord);
}
HRESULT WINAPI HcnModifySdnRoute(HCN_SDNROUTE Route, PCWSTR Settings, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_SDNROUTE, HNSM_OP_MODIFY, Route, Settings, NULL, ErrorRecord);
}
HRESULT WINAPI HcnQuerySdnRouteProperties(HCN_SDNROUTE Route, PCWSTR Query, PWSTR *Properties,
                                          PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_SDNROUTE, HNSM_OP_QUERY, Route, Query, Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteSdnRoute(REFGUID Id, PWSTR *ErrorRecord)
{
    return api_delete(HNSM_SDNROUTE, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseSdnRoute(HCN_SDNROUTE Route) { return api_close(HNSM_SDNROUTE, Route); }

/* ---- Guest network services ---- */
HRESULT WINAPI HcnEnumerateGuestNetworkServices(PCWSTR Query, PWSTR *GuestNetworkServices,
                                                PWSTR *ErrorRecord)
{
    return api_enumerate(HNSM_GUESTNETWORKSERVICE, Query, GuestNetworkServices, ErrorRecord);
}
HRESULT WINAPI HcnCreateGuestNetworkService(REFGUID Id, PCWSTR Settings,
                                            PHCN_GUESTNETWORKSERVICE GuestNetworkService,
                                            PWSTR *ErrorRecord)
{
    return api_create(HNSM_GUESTNETWORKSERVICE, NULL, Id, Settings, GuestNetworkService,
                      ErrorRecord);
}
HRESULT WINAPI HcnOpenGuestNetworkService(REFGUID Id, PHCN_GUESTNETWORKSERVICE GuestNetworkService,
                                          PWSTR *ErrorRecord)
{
    return api_open(HNSM_GUESTNETWORKSERVICE, Id, GuestNetworkService, ErrorRecord);
}
HRESULT WINAPI HcnModifyGuestNetworkService(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                            PCWSTR Settings, PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_GUESTNETWORKSERVICE, HNSM_OP_MODIFY, GuestNetworkService, Settings,
                         NULL, ErrorRecord);
}
HRESULT WINAPI HcnQueryGuestNetworkServiceProperties(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                     PCWSTR Query, PWSTR *Properties,
                                                     PWSTR *ErrorRecord)
{
    return api_on_handle(HNSM_GUESTNETWORKSERVICE, HNSM_OP_QUERY, GuestNetworkService, Query,
                         Properties, ErrorRecord);
}
HRESULT WINAPI HcnDeleteGuestNetworkService(REFGUID Id, PWSTR *ErrorRecord)
{
    return api_delete(HNSM_GUESTNETWORKSERVICE, Id, ErrorRecord);
}
HRESULT WINAPI HcnCloseGuestNetworkService(HCN_GUESTNETWORKSERVICE GuestNetworkService)
{
    return api_close(HNSM_GUESTNETWORKSERVICE, GuestNetworkService);
}

/* ---- Callbacks ---- */

typedef struct registration {
    struct registration *next;
    unsigned long long serial;   /* the key its handle carries */
    bool on_gns;                 /* made by HcnRegisterGuestNetworkServiceCallback */
    char gns_id[HNSM_GUID_TEXT]; /* that service (canonical) */
    HCN_NOTIFICATION_CALLBACK callback;
    void *context;
    hnsd_link_subscription *subscription;
} registration;

static SRWLOCK registry_lock = SRWLOCK_INIT;
static registration *registry;
static unsigned long long registry_serial;

/* The handle-table key of a serial or reservation number. */
static void key_text(unsigned long long n, char out[HNSM_GUID_TEXT])
{
    memset(out, 0, HNSM_GUID_TEXT);
    snprintf(out, HNSM_GUID_TEXT, "%llu", n);
}

/* Whether this registration's scope hears a notification (notify.c's table). */
static bool wanted(const registration *reg, uint32_t type, const char *data)
{
    bool gns_type = type == HcnNotificationGuestNetworkServiceStateChanged ||
                    type == HcnNotificationGuestNetworkServiceInterfaceStateChanged;
    if (type == HcnNotificationServiceDisconnect)
        return true;
    if (!reg->on_gns)
        return !gns_type;
    if (!gns_type || !data)
        return false;
    wj_value doc, id;
    char *text = NULL, canonical[HNSM_GUID_TEXT];
    bool mine = wj_parse(data, strlen(data), &doc) && wj_member(&doc, "ID", &id) &&
                (text = wj_string(&id, NULL)) && hnsm__guid_canonical(text, canonical) &&
                strcmp(canonical, reg->gns_id) == 0;
    free(text);
    return mine;
}

/* Runs on the subscription's thread: hands one notification to the callback. */
static void deliver(uint32_t type, const char *data, void *context)
{
    const registration *reg = context;
    if (data && !*data)
        data = NULL; /* ServiceDisconnect carries no data: NULL, as on Windows */
    if (!wanted(reg, type, data))
        return;
    HCN_NOTIFICATION_CALLBACK callback = reg->callback;
    void *callback_context = reg->context;
    WCHAR *wide = data ? hnsm__utf8_to_wide_cotask(data) : NULL;
    if (data && !wide)
        return; /* out of memory: this notification is lost */
    /* reg may be freed by an unregister inside the callback: not read after. */
    callback((DWORD)type, callback_context, S_OK, wide);
    CoTaskMemFree(wide);
}

static HRESULT register_callback(bool on_gns, const char *gns_id,
                                 HCN_NOTIFICATION_CALLBACK callback, void *context,
                                 HCN_CALLBACK *handle)
{
    registration *reg = calloc(1, sizeof *reg);
    if (!reg)
        return HNSM_E_OUTOFMEMORY;
    reg->on_gns = on_gns;
    if (gns_id)
        snprintf(reg->gns_id, sizeof reg->gns_id, "%s", gns_id);
    reg->callback = callback;
    reg->context = context;
    HRESULT hr = hnsd_link_subscribe(deliver, reg, &reg->subscription);
    if (FAILED(hr)) {
        free(reg);
        return hr;
    }
    char key[HNSM_GUID_TEXT];
    AcquireSRWLockExclusive(&registry_lock);
    reg->serial = ++registry_serial;
    key_text(reg->serial, key);
    *handle = hnsm__handle_new(HANDLE_KIND_CALLBACK, key);
    if (*handle) {
        reg->next = registry;
        registry = reg;
    }
    ReleaseSRWLockExclusive(&registry_lock);
    if (!*handle) {
        hnsd_link_unsubscribe(reg->subscription);
        free(reg);
        return HNSM_E_OUTOFMEMORY;
    }
    return S_OK;
}

static HRESULT unregister_callback(HCN_CALLBACK handle, bool on_gns)
{
    if (!handle)
        return HNSM_E_INVALIDARG;
    char key[HNSM_GUID_TEXT];
    registration *reg = NULL;
    AcquireSRWLockExclusive(&registry_lock);
    if (hnsm__handle_get(handle, HANDLE_KIND_CALLBACK, key)) {
        unsigned long long serial = strtoull(key, NULL, 10);
        registration **link = &registry;
        while (*link && (*link)->serial != serial)
            link = &(*link)->next;
        if (*link && (*link)->on_gns == on_gns &&
            hnsm__handle_close(handle, HANDLE_KIND_CALLBACK)) {
            reg = *link;
            *link = reg->next;
        }
    }
    ReleaseSRWLockExclusive(&registry_lock);
    if (!reg)
        return HNSM_E_HANDLE;
    /* Outside the lock: this waits for a running callback. */
    hnsd_link_unsubscribe(reg->subscription);
    free(reg);
    return S_OK;
}

HRESULT WINAPI HcnRegisterServiceCallback(HCN_NOTIFICATION_CALLBACK Callback, void *Context,
                                          HCN_CALLBACK *CallbackHandle)
{
    if (!CallbackHandle)
        return HNSM_E_POINTER;
    *CallbackHandle = NULL;
    if (!Callback)
        return HNSM_E_INVALIDARG;
    return register_callback(false, NULL, Callback, Context, CallbackHandle);
}

HRESULT WINAPI HcnUnregisterServiceCallback(HCN_CALLBACK CallbackHandle)
{
    return unregister_callback(CallbackHandle, false);
}

/* The canonical id of the service behind a GNS handle. */
static HRESULT gns_of_handle(HCN_GUESTNETWORKSERVICE handle, char id[HNSM_GUID_TEXT])
{
    if (!handle)
        return HNSM_E_INVALIDARG;
    if (!hnsm__handle_get(handle, HNSM_GUESTNETWORKSERVICE, id))
        return HNSM_E_HANDLE;
    return S_OK;
}

HRESULT WINAPI HcnRegisterGuestNetworkServiceCallback(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                      HCN_NOTIFICATION_CALLBACK Callback,
                                                      void *Context, HCN_CALLBACK *CallbackHandle)
{
    if (!CallbackHandle)
        return HNSM_E_POINTER;
    *CallbackHandle = NULL;
    char id[HNSM_GUID_TEXT];
    HRESULT hr = gns_of_handle(GuestNetworkService, id);
    if (FAILED(hr))
        return hr;
    if (!Callback)
        return HNSM_E_INVALIDARG;
    /* The service must still exist (a handle only names it). */
    hr = hnsd_link_call(kind_words[HNSM_GUESTNETWORKSERVICE], op_words[HNSM_OP_OPEN], id, NULL,
                        NULL, NULL, NULL);
    if (FAILED(hr))
        return hr;
    return register_callback(true, id, Callback, Context, CallbackHandle);
}

HRESULT WINAPI HcnUnregisterGuestNetworkServiceCallback(HCN_CALLBACK CallbackHandle)
{
    return unregister_callback(CallbackHandle, true);
}

/* ---- Port reservations ---- */

/* Hands out a handle for reservation number; releases it when none can be had. */
static HRESULT reservation_handle(int64_t number, HANDLE *out)
{
    char key[HNSM_GUID_TEXT];
    key_text((unsigned long long)number, key);
    *out = hnsm__handle_new(HANDLE_KIND_PORT_RESERVATION, key);
    if (*out)
        return S_OK;
    hnsd_link_release_reservation(number);
    return HNSM_E_OUTOFMEMORY;
}

HRESULT WINAPI HcnReserveGuestNetworkServicePort(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                 HCN_PORT_PROTOCOL Protocol,
                                                 HCN_PORT_ACCESS Access, USHORT Port,
                                                 HANDLE *PortReservationHandle)
{
    if (!PortReservationHandle)
        return HNSM_E_POINTER;
    *PortReservationHandle = NULL;
    char id[HNSM_GUID_TEXT];
    HRESULT hr = gns_of_handle(GuestNetworkService, id);
    if (FAILED(hr))
        return hr;
    int64_t number;
    hr = hnsd_link_reserve_port(id, (int)Protocol, (int)Access, Port, &number);
    if (SUCCEEDED(hr))
        hr = reservation_handle(number, PortReservationHandle);
    return hr;
}

HRESULT WINAPI HcnReserveGuestNetworkServicePortRange(
    HCN_GUESTNETWORKSERVICE GuestNetworkService, USHORT PortCount,
    HCN_PORT_RANGE_RESERVATION *PortRangeReservation, HANDLE *PortReservationHandle)
{
    if (!PortReservationHandle || !PortRangeReservation)
        return HNSM_E_POINTER;
    *PortReservationHandle = NULL;
    char id[HNSM_GUID_TEXT];
    HRESULT hr = gns_of_handle(GuestNetworkService, id);
    if (FAILED(hr))
        return hr;
    int64_t number;
    uint16_t start, end;
    hr = hnsd_link_reserve_range(id, PortCount, &start, &end, &number);
    if (SUCCEEDED(hr))
        hr = reservation_handle(number, PortReservationHandle);
    if (SUCCEEDED(hr)) {
        PortRangeReservation->startingPort = start;
        PortRangeReservation->endingPort = end;
    }
    return hr;
}

HRESULT WINAPI HcnReleaseGuestNetworkServicePortReservationHandle(HANDLE PortReservationHandle)
{
    if (!PortReservationHandle)
        return HNSM_E_INVALIDARG;
    char key[HNSM_GUID_TEXT];
    if (!hnsm__handle_get(PortReservationHandle, HANDLE_KIND_PORT_RESERVATION, key))
        return HNSM_E_HANDLE;
    HRESULT hr = hnsd_link_release_reservation((int64_t)strtoll(key, NULL, 10));
    /* Only one of two racing releases closes the handle; the other is stale. */
    if (SUCCEEDED(hr) && !hnsm__handle_close(PortReservationHandle, HANDLE_KIND_PORT_RESERVATION))
        hr = HNSM_E_HANDLE;
    return hr;
}

HRESULT WINAPI HcnEnumerateGuestNetworkPortReservations(ULONG *ReturnCount,
                                                        HCN_PORT_RANGE_ENTRY **PortEntries)
{
    if (ReturnCount)
        *ReturnCount = 0;
    if (PortEntries)
        *PortEntries = NULL;
    if (!ReturnCount || !PortEntries)
        return HNSM_E_POINTER;
    hnsd_link_reservation *list = NULL;
    size_t count = 0;
    HRESULT hr = hnsd_link_list_reservations(&list, &count);
    if (FAILED(hr))
        return hr;
    if (count) {
        HCN_PORT_RANGE_ENTRY *entries = CoTaskMemAlloc(count * sizeof *entries);
        if (!entries) {
            free(list);
            return HNSM_E_OUTOFMEMORY;
        }
        memset(entries, 0, count * sizeof *entries);
        for (size_t i = 0; i < count; i++) {
            hnsm__guid_parse(list[i].gns_id, &entries[i].OwningPartitionId);
            if (list[i].vm_id[0])
                hnsm__guid_parse(list[i].vm_id, &entries[i].TargetPartitionId);
            entries[i].Protocol = (HCN_PORT_PROTOCOL)list[i].protocol;
            entries[i].ReservationType = (UINT32)list[i].access;
            entries[i].StartingPort = list[i].start_port;
            entries[i].EndingPort = list[i].end_port;
        }
        *PortEntries = entries;
        *ReturnCount = (ULONG)count;
    }
    free(list);
    return S_OK;
}

VOID WINAPI HcnFreeGuestNetworkPortReservations(HCN_PORT_RANGE_ENTRY *PortEntries)
{
    CoTaskMemFree(PortEntries);
}
