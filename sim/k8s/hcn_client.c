/*
 * hcn_client.c - UTF-8 and string-ID wrappers over the HCN API and
 * HNSCall, for the controller models (hcn_client.h).
 *
 * One table gives, per kind, the Hcn* functions hcsshim calls; every
 * wrapper is open / call / close over that table, so the calls HNS sees
 * (and counts, and can fail on purpose) are exactly a Go consumer's.
 * Strings cross as UTF-32 wchar_t (the shim's WCHAR) and come back as
 * UTF-8; GUIDs as "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX".
 */
#include "hcn_client.h"

#include <hnsmock/hnscall.h>
#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Text and GUIDs
 */

/* UTF-8 to a malloc'd wide string (NULL stays NULL; bad bytes become U+FFFD). */
static wchar_t *wide(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    wchar_t *w = malloc((n + 1) * sizeof *w);
    if (!w)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
        int ok = len > 0 && i + (size_t)len <= n;
        for (int k = 1; ok && k < len; k++) {
            unsigned char cc = (unsigned char)s[i + (size_t)k];
            ok = (cc >> 6) == 2;
            cp = (cp << 6) | (cc & 0x3f);
        }
        w[j++] = ok ? (wchar_t)cp : (wchar_t)0xfffd;
        i += ok ? (size_t)len : 1;
    }
    w[j] = 0;
    return w;
}

/* A wide string to malloc'd UTF-8; frees w with CoTaskMemFree. */
static char *narrow(PWSTR w)
{
    if (!w)
        return NULL;
    size_t n = wcslen(w);
    char *s = malloc(4 * n + 1);
    size_t j = 0;
    for (size_t i = 0; s && i < n; i++) {
        uint32_t cp = (uint32_t)w[i];
        if (cp < 0x80) {
            s[j++] = (char)cp;
        } else if (cp < 0x800) {
            s[j++] = (char)(0xc0 | cp >> 6);
            s[j++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            s[j++] = (char)(0xe0 | cp >> 12);
            s[j++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            s[j++] = (char)(0x80 | (cp & 0x3f));
        } else {
            s[j++] = (char)(0xf0 | cp >> 18);
            s[j++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            s[j++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            s[j++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    if (s)
        s[j] = 0;
    CoTaskMemFree(w);
    return s;
}

/* n hex digits at s into *v; -1 on anything else. */
static int hex_field(const char *s, int n, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v << 4 | (uint64_t)d;
    }
    return 0;
}

/* Parses a GUID string, 8-4-4-4-12 hex digits, alone or in braces.
 * Returns 0 or -1. By hand: the models parse a GUID on every HCN call they make. */
static int parse_guid(const char *text, GUID *g)
{
    if (!text)
        return -1;
    int braced = *text == '{';
    text += braced;
    if (strnlen(text, 38) != 36u + (size_t)braced || (braced && text[36] != '}') ||
        text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
        return -1;
    uint64_t v[5];
    static const int at[5] = {0, 9, 14, 19, 24}, digits[5] = {8, 4, 4, 4, 12};
    for (int i = 0; i < 5; i++)
        if (hex_field(text + at[i], digits[i], &v[i]) < 0)
            return -1;
    g->Data1 = (uint32_t)v[0];
    g->Data2 = (uint16_t)v[1];
    g->Data3 = (uint16_t)v[2];
    g->Data4[0] = (uint8_t)(v[3] >> 8);
    g->Data4[1] = (uint8_t)v[3];
    for (int i = 0; i < 6; i++)
        g->Data4[2 + i] = (uint8_t)(v[4] >> (40 - 8 * i));
    return 0;
}

/* ---------------------------------------------------------------------------
 * The per-kind table
 */

typedef HRESULT(WINAPI *open_fn)(REFGUID, void **, PWSTR *);
typedef HRESULT(WINAPI *close_fn)(void *);
typedef HRESULT(WINAPI *query_fn)(void *, PCWSTR, PWSTR *, PWSTR *);
typedef HRESULT(WINAPI *modify_fn)(void *, PCWSTR, PWSTR *);
typedef HRESULT(WINAPI *delete_fn)(REFGUID, PWSTR *);
typedef HRESULT(WINAPI *enumerate_fn)(PCWSTR, PWSTR *, PWSTR *);

typedef struct kind_api {
    open_fn open;
    close_fn close;
    query_fn query;
    modify_fn modify;
    delete_fn remove;
    enumerate_fn enumerate;
} kind_api;

/* The handle types differ only in name (void * underneath), so one table
 * holds them all. */
static const kind_api *api_of(hcnc_kind kind)
{
    static const kind_api apis[] = {
        [HCNC_NETWORK] = {(open_fn)HcnOpenNetwork, (close_fn)HcnCloseNetwork,
                          (query_fn)HcnQueryNetworkProperties, (modify_fn)HcnModifyNetwork,
                          HcnDeleteNetwork, HcnEnumerateNetworks},
        [HCNC_ENDPOINT] = {(open_fn)HcnOpenEndpoint, (close_fn)HcnCloseEndpoint,
                           (query_fn)HcnQueryEndpointProperties, (modify_fn)HcnModifyEndpoint,
                           HcnDeleteEndpoint, HcnEnumerateEndpoints},
        [HCNC_NAMESPACE] = {(open_fn)HcnOpenNamespace, (close_fn)HcnCloseNamespace,
                            (query_fn)HcnQueryNamespaceProperties, (modify_fn)HcnModifyNamespace,
                            HcnDeleteNamespace, HcnEnumerateNamespaces},
        [HCNC_LOADBALANCER] = {(open_fn)HcnOpenLoadBalancer, (close_fn)HcnCloseLoadBalancer,
                               (query_fn)HcnQueryLoadBalancerProperties,
                               (modify_fn)HcnModifyLoadBalancer, HcnDeleteLoadBalancer,
                               HcnEnumerateLoadBalancers},
    };
    return kind >= HCNC_NETWORK && kind <= HCNC_LOADBALANCER ? &apis[kind] : NULL;
}

#define V2_QUERY "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"

static HRESULT finish(HRESULT hr, PWSTR record, char **error)
{
    char *text = narrow(record);
    if (error)
        *error = text;
    else
        free(text);
    return hr;
}

void hcnc_use(hnsm_instance *inst)
{
    hnsm_use_thread(inst);
}

/* Opens kind id into *handle. */
static HRESULT open_by_id(const kind_api *api, const char *id, void **handle, char **error)
{
    GUID g;
    if (parse_guid(id, &g) < 0)
        return E_INVALIDARG;
    PWSTR record = NULL;
    HRESULT hr = api->open(&g, handle, &record); /* before reading record */
    return finish(hr, record, error);
}

/* The table of kind and an open handle of object id (close it with
 * api->close). Returns the HRESULT of the open. */
static HRESULT open_kind(hcnc_kind kind, const char *id, const kind_api **api, void **handle,
                         char **error)
{
    *api = api_of(kind);
    *handle = NULL;
    if (error)
        *error = NULL;
    return *api ? open_by_id(*api, id, handle, error) : E_INVALIDARG;
}

/* The ID of the object handle names (queried, as hcsshim reads it back). */
static char *id_of(const kind_api *api, void *handle)
{
    wchar_t *q = wide(V2_QUERY);
    PWSTR props = NULL, record = NULL;
    HRESULT hr = api->query(handle, q, &props, &record);
    free(q);
    CoTaskMemFree(record);
    char *json = narrow(props);
    char *id = NULL;
    const char *at = SUCCEEDED(hr) && json ? strstr(json, "\"ID\"") : NULL;
    const char *open = at ? strchr(at + 4, '"') : NULL;
    const char *close = open ? strchr(open + 1, '"') : NULL;
    if (close && (id = malloc((size_t)(close - open))))
        snprintf(id, (size_t)(close - open), "%s", open + 1);
    free(json);
    return id;
}

HRESULT hcnc_create(hcnc_kind kind, const char *network_id, const char *json, char **id,
                    char **error)
{
    const kind_api *api = api_of(kind);
    if (id)
        *id = NULL;
    if (error)
        *error = NULL;
    if (!api)
        return E_INVALIDARG;
    wchar_t *settings = wide(json);
    PWSTR record = NULL;
    void *handle = NULL, *network = NULL;
    HRESULT hr;
    switch (kind) {
    case HCNC_NETWORK:
        hr = HcnCreateNetwork(&GUID_NULL, settings, (PHCN_NETWORK)&handle, &record);
        break;
    case HCNC_NAMESPACE:
        hr = HcnCreateNamespace(&GUID_NULL, settings, (PHCN_NAMESPACE)&handle, &record);
        break;
    case HCNC_LOADBALANCER:
        hr = HcnCreateLoadBalancer(&GUID_NULL, settings, (PHCN_LOADBALANCER)&handle, &record);
        break;
    default:
        hr = open_by_id(api_of(HCNC_NETWORK), network_id, &network, error);
        if (SUCCEEDED(hr)) {
            hr = HcnCreateEndpoint(network, &GUID_NULL, settings, (PHCN_ENDPOINT)&handle, &record);
            HcnCloseNetwork(network);
        } else {
            free(settings);
            return hr;
        }
        break;
    }
    free(settings);
    if (SUCCEEDED(hr)) {
        if (id)
            *id = id_of(api, handle);
        api->close(handle);
    }
    return finish(hr, record, error);
}

HRESULT hcnc_delete(hcnc_kind kind, const char *id, char **error)
{
    const kind_api *api = api_of(kind);
    GUID g;
    if (error)
        *error = NULL;
    if (!api || parse_guid(id, &g) < 0)
        return E_INVALIDARG;
    PWSTR record = NULL;
    HRESULT hr = api->remove(&g, &record); /* before reading record */
    return finish(hr, record, error);
}

HRESULT hcnc_query(hcnc_kind kind, const char *id, const char *query, char **result,
                   char **error)
{
    const kind_api *api;
    void *handle;
    *result = NULL;
    HRESULT hr = open_kind(kind, id, &api, &handle, error);
    if (FAILED(hr))
        return hr;
    wchar_t *q = wide(query ? query : V2_QUERY);
    PWSTR props = NULL, record = NULL;
    hr = api->query(handle, q, &props, &record);
    free(q);
    api->close(handle);
    *result = narrow(props);
    return finish(hr, record, error);
}

HRESULT hcnc_enumerate(hcnc_kind kind, const char *query, char **result, char **error)
{
    const kind_api *api = api_of(kind);
    *result = NULL;
    if (error)
        *error = NULL;
    if (!api)
        return E_INVALIDARG;
    wchar_t *q = wide(query ? query : V2_QUERY);
    PWSTR list = NULL, record = NULL;
    HRESULT hr = api->enumerate(q, &list, &record);
    free(q);
    *result = narrow(list);
    return finish(hr, record, error);
}

HRESULT hcnc_modify(hcnc_kind kind, const char *id, const char *json, char **error)
{
    const kind_api *api;
    void *handle;
    HRESULT hr = open_kind(kind, id, &api, &handle, error);
    if (FAILED(hr))
        return hr;
    wchar_t *settings = wide(json);
    PWSTR record = NULL;
    hr = api->modify(handle, settings, &record);
    free(settings);
    api->close(handle);
    return finish(hr, record, error);
}

void hcnc_error_text(const char *record, char *out, size_t size)
{
    cJSON *doc = record ? cJSON_Parse(record) : NULL;
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "Error"));
    snprintf(out, size, "%s", text ? text : "");
    cJSON_Delete(doc);
    size_t len = strlen(out);
    while (len && out[len - 1] == ' ')
        out[--len] = 0;
}

HRESULT hcnc_find_network(const char *name, char **id, char **error)
{
    char query[300], *list = NULL;
    *id = NULL;
    snprintf(query, sizeof query, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},"
                                  "\"Filter\":\"{\\\"Name\\\":\\\"%s\\\"}\"}",
             name);
    HRESULT hr = hcnc_enumerate(HCNC_NETWORK, query, &list, error);
    /* The list is ["GUID", ...]: the first ID is between the first quotes. */
    const char *open = SUCCEEDED(hr) && list ? strchr(list, '"') : NULL;
    const char *close = open ? strchr(open + 1, '"') : NULL;
    if (close && (*id = malloc((size_t)(close - open))))
        snprintf(*id, (size_t)(close - open), "%s", open + 1);
    free(list);
    return hr;
}

cJSON *hcnc_v1_network(const char *id)
{
    char path[96], *reply = NULL;
    snprintf(path, sizeof path, "/networks/%s", id);
    cJSON *env = SUCCEEDED(hcnc_hnscall("GET", path, "", &reply)) && reply ? cJSON_Parse(reply) : NULL;
    cJSON *output = cJSON_DetachItemFromObject(env, "Output");
    cJSON_Delete(env);
    free(reply);
    return output;
}

HRESULT hcnc_find_endpoints(const char *name, char **ids, char **error)
{
    char query[300];
    snprintf(query, sizeof query, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},"
                                  "\"Filter\":\"{\\\"Name\\\":\\\"%s\\\"}\"}",
             name);
    return hcnc_enumerate(HCNC_ENDPOINT, query, ids, error);
}

HRESULT hcnc_namespace_endpoint(const char *namespace_id, const char *endpoint_id, int add,
                                char **error)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"%s\",\"Settings\":{"
             "\"EndpointId\":\"%s\"}}",
             add ? "Add" : "Remove", endpoint_id);
    return hcnc_modify(HCNC_NAMESPACE, namespace_id, json, error);
}

HRESULT hcnc_hnscall(const char *method, const char *path, const char *request, char **response)
{
    wchar_t *m = wide(method), *p = wide(path), *r = wide(request);
    PWSTR out = NULL;
    HRESULT hr = HNSCall(m, p, r, &out);
    free(m);
    free(p);
    free(r);
    *response = narrow(out);
    return hr;
}
