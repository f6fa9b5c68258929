/*
 * namespace.c - HostComputeNamespace: create, attach/detach endpoints and
 * containers, delete, render.
 *
 * A namespace is a network compartment. Adding an endpoint back-fills the
 * endpoint's HostComputeNamespace and moves it to the attached state (choice
 * NAMESPACE_ATTACH_STATE), and the namespace lists it under Resources as
 * {"Type":"Endpoint","Data":{"ID":<upper-case id>}} (consumers.md 3.1). Only
 * one HostDefault namespace may exist (GCN_E_DEFAULTNAMESPACE_EXISTS).
 */
#include "objects.h"

#include "hresult.h"
#include "jsonx.h"
#include "notify.h"

#include <computenetwork.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jx_enum_entry namespace_types[] = {
    {"Host", 0}, {"HostDefault", 1}, {"Guest", 2}, {"GuestDefault", 3}, {NULL, 0}};
enum { NS_HOST_DEFAULT = 1, NS_GUEST_DEFAULT = 3 };

static const jx_enum_entry namespace_resource_types[] = {
    {"Container", 0}, {"Endpoint", 1}, {NULL, 0}};

HRESULT hnsm__namespace_exists(hnsm_instance *inst, const char *id)
{
    /* Unknown namespaces are ERROR_NOT_FOUND (hcsshim TestNotFoundError expects 1168). */
    return hnsm__row_exists(inst, "SELECT 1 FROM namespaces WHERE id = ?1", id,
                            HNSM_HRESULT_ERROR_NOT_FOUND, "namespace");
}

/* Loads type, compartment and the stored document of a namespace. */
static HRESULT namespace_load(hnsm_instance *inst, const char *id, int *type, int64_t *compartment,
                              cJSON **doc)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT type, compartment, doc FROM namespaces WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr;
    if (rc == SQLITE_ROW) {
        *type = sqlite3_column_int(st, 0);
        *compartment = sqlite3_column_int64(st, 1);
        hr = hnsm__parse_stored((const char *)sqlite3_column_text(st, 2), doc);
    } else if (rc == SQLITE_DONE) {
        hr = hnsm__detail(HNSM_HRESULT_ERROR_NOT_FOUND, "no namespace %s", id);
    } else {
        hr = hnsm__sql_error(inst, rc);
    }
    sqlite3_reset(st);
    return hr;
}

HRESULT hnsm__namespace_create(hnsm_instance *inst, const char *id, const cJSON *in,
                               char out_id[HNSM_GUID_TEXT])
{
    const HRESULT bad = hnsm__type_error(inst);
    int type = 0;
    uint64_t compartment = 0;
    bool is_default = false;
    HRESULT hr;
    if (FAILED(hr = jx_enum(in, "Type", namespace_types, bad, &type)) ||
        FAILED(hr = jx_uint(in, "NamespaceId", 0xFFFFFFFFu, bad, &compartment)) ||
        FAILED(hr = jx_bool(in, "IsDefault", bad, &is_default)))
        return hr;
    if (is_default && !cJSON_GetObjectItem(in, "Type"))
        type = NS_HOST_DEFAULT; /* the v1 create body {"IsDefault": true} */
    if (FAILED(hr = hnsm__choose_id(inst, id, in, hnsm__namespace_exists, out_id)))
        return hr;
    if (type == NS_HOST_DEFAULT) {
        sqlite3_stmt *st = hnsm__stmt(inst, "SELECT 1 FROM namespaces WHERE type = ?1 LIMIT 1");
        if (!st)
            return HNSM_E_FAIL;
        sqlite3_bind_int(st, 1, NS_HOST_DEFAULT);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            return hnsm__detail(HNSM_GCN_E_DEFAULTNAMESPACE_EXISTS,
                                "a HostDefault namespace already exists");
    }
    if (!compartment) {
        /* The host's default compartment is 1; new compartments count up from 2. */
        if (type == NS_HOST_DEFAULT) {
            compartment = 1;
        } else {
            sqlite3_stmt *st = hnsm__stmt(inst, "SELECT max(compartment) FROM namespaces");
            if (!st)
                return HNSM_E_FAIL;
            int64_t top = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
            sqlite3_reset(st);
            compartment = (uint64_t)(top < 1 ? 2 : top + 1);
        }
    }
    int64_t seq;
    if (FAILED(hr = hnsm__next_seq(inst, &seq)))
        return hr;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddArrayToObject(doc, "_Containers");
    char *text = jx_print(doc);
    cJSON_Delete(doc);
    if (!text)
        return HNSM_E_OUTOFMEMORY;
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO namespaces(id, seq, compartment, type, doc) "
                                        "VALUES(?1, ?2, ?3, ?4, ?5)");
    hr = HNSM_E_FAIL;
    if (st) {
        sqlite3_bind_text(st, 1, out_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, seq);
        sqlite3_bind_int64(st, 3, (int64_t)compartment);
        sqlite3_bind_int(st, 4, type);
        sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, st);
        if (SUCCEEDED(hr))
            hnsm__event(inst, HcnNotificationNamespaceCreate, out_id, NULL);
    }
    free(text);
    return hr;
}

/* The namespace an endpoint is in ("" for none). */
static HRESULT endpoint_namespace(hnsm_instance *inst, const char *endpoint_id,
                                  char ns[HNSM_GUID_TEXT], uint32_t *flags)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT namespace_id, flags FROM endpoints WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, endpoint_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr = S_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(ns, HNSM_GUID_TEXT, "%s", t ? (const char *)t : "");
        *flags = (uint32_t)sqlite3_column_int64(st, 1);
    } else if (rc == SQLITE_DONE) {
        hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_FOUND, "no endpoint %s", endpoint_id);
    } else {
        hr = hnsm__sql_error(inst, rc);
    }
    sqlite3_reset(st);
    return hr;
}

/* Raises an endpoint attach/detach notification naming the namespace. */
static void endpoint_event(hnsm_instance *inst, uint32_t type, const char *endpoint,
                           const char *namespace_id)
{
    if (!hnsm__events_wanted(inst))
        return; /* nobody listens: build nothing */
    cJSON *data = cJSON_CreateObject();
    char g[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, namespace_id, g);
    cJSON_AddStringToObject(data, "NamespaceId", g);
    hnsm__event(inst, type, endpoint, data);
    cJSON_Delete(data);
}

static HRESULT modify_endpoint(hnsm_instance *inst, const char *id, int request,
                               const cJSON *settings)
{
    const char *ep_text = NULL;
    char ep[HNSM_GUID_TEXT], current[HNSM_GUID_TEXT];
    uint32_t flags = 0;
    HRESULT hr = jx_string(settings, "EndpointId", hnsm__type_error(inst), &ep_text);
    if (FAILED(hr))
        return hr;
    if (!ep_text || !hnsm__guid_canonical(ep_text, ep))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE, "EndpointId is not a GUID");
    if (FAILED(hr = endpoint_namespace(inst, ep, current, &flags)))
        return hr;
    if (request == HNSM_REQ_ADD) {
        if (flags & HNSM_EP_FLAG_REMOTE)
            return hnsm__detail(HNSM_HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION,
                                "a remote endpoint cannot join a namespace");
        if (current[0])
            return hnsm__detail(HNSM_HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS,
                                "endpoint %s is already in namespace %s", ep, current);
        /* A v1 Host/Container attach already holds the vNIC (endpoint.c). */
        sqlite3_stmt *v1 = hnsm__stmt(inst, "SELECT 1 FROM endpoints WHERE id = ?1 AND "
                                            "v1_attach IS NOT NULL");
        if (!v1)
            return HNSM_E_FAIL;
        sqlite3_bind_text(v1, 1, ep, -1, SQLITE_STATIC);
        int rc = sqlite3_step(v1);
        sqlite3_reset(v1);
        if (rc == SQLITE_ROW)
            return hnsm__detail(HNSM_HCN_E_ENDPOINT_ALREADY_ATTACHED,
                                "endpoint %s is attached through the v1 API", ep);
        if (rc != SQLITE_DONE)
            return hnsm__sql_error(inst, rc);
        HRESULT hr_attach = hnsm__endpoint_set_namespace(
            inst, ep, id, hnsm__choice(inst, HNSM_CHOICE_NAMESPACE_ATTACH_STATE));
        if (SUCCEEDED(hr_attach))
            endpoint_event(inst, HcnNotificationNetworkEndpointAttached, ep, id);
        return hr_attach;
    }
    if (request == HNSM_REQ_REMOVE) {
        if (strcmp(current, id) != 0)
            return hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_FOUND, "endpoint %s is not in namespace %s",
                                ep, id);
        HRESULT hr_detach = hnsm__endpoint_set_namespace(inst, ep, NULL, HNSM_EP_DETACHED);
        if (SUCCEEDED(hr_detach))
            endpoint_event(inst, HcnNotificationNetworkEndpointDetached, ep, id);
        return hr_detach;
    }
    return hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED, "namespace requests are Add or Remove");
}

static HRESULT modify_container(hnsm_instance *inst, const char *id, int request,
                                const cJSON *settings)
{
    const char *container = NULL;
    int type;
    int64_t compartment;
    cJSON *doc;
    HRESULT hr = jx_string(settings, "ContainerId", hnsm__type_error(inst), &container);
    if (FAILED(hr))
        return hr;
    if (!container || !*container)
        return hnsm__detail(HNSM_E_INVALIDARG, "ContainerId is required");
    if (FAILED(hr = namespace_load(inst, id, &type, &compartment, &doc)))
        return hr;
    cJSON *list = cJSON_GetObjectItem(doc, "_Containers");
    int found = -1, i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        if (cJSON_IsString(c) && strcmp(c->valuestring, container) == 0)
            found = i;
        i++;
    }
    if (request == HNSM_REQ_ADD && found < 0)
        cJSON_AddItemToArray(list, cJSON_CreateString(container));
    else if (request == HNSM_REQ_REMOVE && found >= 0)
        cJSON_DeleteItemFromArray(list, found);
    else if (request == HNSM_REQ_REMOVE)
        hr = hnsm__detail(HNSM_HRESULT_ERROR_NOT_FOUND, "container %s is not in the namespace",
                          container);
    else if (request != HNSM_REQ_ADD)
        hr = hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED, "namespace requests are Add or Remove");
    if (SUCCEEDED(hr)) {
        char *text = jx_print(doc);
        sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE namespaces SET doc = ?2 WHERE id = ?1");
        hr = HNSM_E_FAIL;
        if (st && text) {
            sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
            hr = hnsm__step_done(inst, st);
        }
        free(text);
    }
    cJSON_Delete(doc);
    return hr;
}

HRESULT hnsm__namespace_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    HRESULT hr = hnsm__namespace_exists(inst, id);
    int request_type, resource_type;
    const cJSON *settings;
    if (FAILED(hr) || FAILED(hr = hnsm__modify_request(request, namespace_resource_types,
                                                       &request_type, &resource_type, &settings)))
        return hr;
    if (!cJSON_IsObject(settings))
        return hnsm__detail(HNSM_E_INVALIDARG, "the namespace request needs Settings");
    return resource_type == 1 ? modify_endpoint(inst, id, request_type, settings)
                              : modify_container(inst, id, request_type, settings);
}

HRESULT hnsm__namespace_delete(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__namespace_exists(inst, id);
    if (FAILED(hr))
        return hr;
    sqlite3_stmt *detach = hnsm__stmt(inst, "UPDATE endpoints SET namespace_id = NULL, state = ?2 "
                                            "WHERE namespace_id = ?1");
    sqlite3_stmt *del = hnsm__stmt(inst, "DELETE FROM namespaces WHERE id = ?1");
    if (!detach || !del)
        return HNSM_E_FAIL;
    sqlite3_bind_text(detach, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(detach, 2, HNSM_EP_DETACHED);
    if (FAILED(hr = hnsm__step_done(inst, detach)))
        return hr;
    sqlite3_bind_text(del, 1, id, -1, SQLITE_STATIC);
    if (SUCCEEDED(hr = hnsm__step_done(inst, del)))
        hnsm__event(inst, HcnNotificationNamespaceDelete, id, NULL);
    return hr;
}

HRESULT hnsm__namespace_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                               cJSON **out)
{
    int type;
    int64_t compartment;
    cJSON *doc;
    HRESULT hr = namespace_load(inst, id, &type, &compartment, &doc);
    if (FAILED(hr))
        return hr;
    char g[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, g);
    cJSON *ns = cJSON_CreateObject();
    cJSON *resources;
    const char *data_key = how->v1 ? "Id" : "ID";
    if (how->v1) {
        cJSON_AddNumberToObject(ns, "CompartmentId", (double)compartment);
        cJSON_AddStringToObject(ns, "ID", g);
        cJSON_AddBoolToObject(ns, "IsDefault", type == NS_HOST_DEFAULT || type == NS_GUEST_DEFAULT);
        resources = cJSON_AddArrayToObject(ns, "ResourceList");
    } else {
        cJSON_AddStringToObject(ns, "ID", g);
        cJSON_AddNumberToObject(ns, "NamespaceId", (double)compartment);
        cJSON_AddStringToObject(ns, "NamespaceGuid", g);
        cJSON_AddStringToObject(ns, "Type", jx_enum_name(namespace_types, type));
        resources = cJSON_AddArrayToObject(ns, "Resources");
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "_Containers"))
    {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "Type", "Container");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "Data"), data_key, c->valuestring);
        cJSON_AddItemToArray(resources, r);
    }
    cJSON_Delete(doc);
    sqlite3_stmt *st =
        hnsm__stmt(inst, "SELECT id FROM endpoints WHERE namespace_id = ?1 ORDER BY seq");
    if (!st) {
        cJSON_Delete(ns);
        return HNSM_E_FAIL;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        hnsm__render_guid(inst, (const char *)sqlite3_column_text(st, 0), g);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "Type", "Endpoint");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "Data"), data_key, g);
        cJSON_AddItemToArray(resources, r);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(ns);
        return hnsm__sql_error(inst, rc);
    }
    if (!how->v1) {
        if (how->detailed)
            cJSON_AddNumberToObject(ns, "Version", hnsm__object_version(inst));
        hnsm__add_schema_version(inst, ns);
    }
    *out = ns;
    return S_OK;
}
