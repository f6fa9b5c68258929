/*
 * hcn_api.c - computenetwork.h: the wide-string HCN API.
 *
 * Each function checks its arguments, converts its wide JSON to UTF-8, runs
 * the operation through the backend (backend.h: the current instance or hnsd
 * in libhnsmock, hnsd in the Windows DLLs, which compile this same file), and
 * converts the result and ErrorRecord back into CoTaskMemAlloc'd wide strings. Rules clients depend on (hcn-api.md 1.9):
 * *ErrorRecord is NULL on success and never written through a NULL pointer;
 * a successful call always returns a valid document; handles only name objects.
 */
#include <computenetwork.h>
#include <hnsmock/hnsmock.h>

#include "backend.h"
#include "detail.h"
#include "handles.h"
#include "hresult.h"
#include "wstr.h"

#include <stdbool.h>
#include <stdlib.h>

/* Stores a CoTaskMem copy of utf8 in *out (when out is not NULL). */
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

/* Converts an optional wide argument; HRESULT on a bad string. */
static HRESULT take_wide(PCWSTR ws, char **out)
{
    *out = NULL;
    if (!ws)
        return S_OK;
    switch (hnsm__wide_to_utf8(ws, out)) {
    case WSTR_OK:
        return S_OK;
    case WSTR_TOO_LONG:
        return hnsm__detail(HNSM_E_INVALIDARG, "the document is larger than %u bytes",
                            HNSM_MAX_DOCUMENT_BYTES);
    case WSTR_INVALID:
        return hnsm__detail(HNSM_HCN_E_INVALID_JSON, "the document is not valid UTF-16");
    default:
        return HNSM_E_OUTOFMEMORY;
    }
}

/* Fails a call before it reached the model: sets the ErrorRecord. */
static HRESULT fail(HRESULT hr, PWSTR *error_record)
{
    if (error_record) {
        char *record = hnsm__error_record(hr);
        give_wide(record, error_record);
        free(record);
    }
    return hr;
}

/*
 * The common path: optional GUID, handle-resolved id or parent, a JSON
 * argument, a JSON result. id_text/parent_text may be NULL.
 */
static HRESULT api_call(hnsm_kind kind, hnsm_op op, const char *id_text, const char *parent_text,
                        PCWSTR json, PWSTR *result, PWSTR *error_record, char **created)
{
    if (error_record)
        *error_record = NULL;
    if (result)
        *result = NULL;
    if (created)
        *created = NULL;
    hnsm__detail_clear();
    char *utf8 = NULL;
    HRESULT hr = take_wide(json, &utf8);
    if (FAILED(hr))
        return fail(hr, error_record);
    char *out = NULL, *record = NULL;
    hr = hnsm__backend_call(kind, op, id_text, parent_text, utf8, &out, &record);
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

static void guid_text(const GUID *g, char out[HNSM_GUID_TEXT]) { hnsm__guid_format(g, out); }

/* Enumerate: Query may be NULL; the list is required. */
static HRESULT api_enumerate(hnsm_kind kind, PCWSTR query, PWSTR *list, PWSTR *error_record)
{
    if (!list) {
        if (error_record)
            *error_record = NULL;
        return fail(HNSM_E_POINTER, error_record);
    }
    return api_call(kind, HNSM_OP_ENUMERATE, NULL, NULL, query, list, error_record, NULL);
}

/* Create: returns a handle on the new object. parent_handle is used for endpoints. */
static HRESULT api_create(hnsm_kind kind, void *parent_handle, const GUID *id, PCWSTR settings,
                          void **handle, PWSTR *error_record)
{
    if (error_record)
        *error_record = NULL;
    if (!handle || !id)
        return fail(!handle ? HNSM_E_POINTER : HNSM_E_INVALIDARG, error_record);
    *handle = NULL;
    char id_text[HNSM_GUID_TEXT], parent[HNSM_GUID_TEXT];
    guid_text(id, id_text);
    if (kind == HNSM_ENDPOINT) {
        if (!parent_handle)
            return fail(hnsm__detail(HNSM_E_INVALIDARG, "the network handle is NULL"),
                        error_record);
        if (!hnsm__handle_get(parent_handle, HNSM_NETWORK, parent))
            return fail(HNSM_E_HANDLE, error_record);
    }
    char *created = NULL;
    HRESULT hr = api_call(kind, HNSM_OP_CREATE, id_text, kind == HNSM_ENDPOINT ? parent : NULL,
                          settings, NULL, error_record, &created);
    if (SUCCEEDED(hr)) {
        char canonical[HNSM_GUID_TEXT];
        hnsm__guid_canonical(created, canonical);
        *handle = hnsm__handle_new(kind, canonical);
        if (!*handle)
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
    guid_text(id, id_text);
    HRESULT hr = api_call(kind, HNSM_OP_OPEN, id_text, NULL, NULL, NULL, error_record, NULL);
    if (SUCCEEDED(hr)) {
        char canonical[HNSM_GUID_TEXT];
        hnsm__guid_canonical(id_text, canonical);
        *handle = hnsm__handle_new(kind, canonical);
        if (!*handle)
            hr = fail(HNSM_E_OUTOFMEMORY, error_record);
    }
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
    guid_text(id, id_text);
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

/* ---- Guest network services (the last three are exported without a header,
 * hcn-api.md 1.3; callbacks and port reservations are in hcn_service.c) ---- */
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
