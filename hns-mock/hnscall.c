/*
 * hnscall.c - the v1 API, HNSCall(Method, Path, Request, &Response): a second
 * view of the objects the HCN API manages.
 *
 * Every path of hcn-api.md 5.2 is served from the one object model
 * (objects.h): a network, endpoint, namespace, load balancer or SDN route
 * created through either API is listed, changed and deleted through the
 * other, and rendered here in its v1 shape (the renderers with how->v1; load
 * balancers and routes are the policy lists). v1-shaped create documents are
 * recognised by the create functions themselves, which mark such networks
 * and endpoints origin=1; the mark does not change rendering (GUIDs are upper
 * case for every object, choice GUID_UPPER_CASE).
 *
 * One call, one transaction. Each HNSCall takes the instance lock, counts as
 * one call of the API "HNSCall" for fault injection (faults.h), costs the
 * virtual latency of the HCN operation its path performs (POST /networks/
 * costs what HcnCreateNetwork costs; reads cost "HNSCall"), and runs its whole operation - e.g. create and render the
 * created object, or a policy-list replace - in one store transaction whose
 * notifications are released on commit and dropped on rollback, as exec.c
 * does for the HCN calls. It does not nest hnsm_call: that would count a v1
 * call as HcnCreateNetwork & co. and split one v1 operation into several
 * transactions; the validate/apply/render work is the same objects.h code.
 *
 * The answer is the envelope {"Success":bool,"Error":"<message> ",
 * "ErrorCode":<hr>,"Output":<JSON>} (hcn-api.md 5.1). Logical failures are
 * HRESULT S_OK with Success:false and the HRESULT's system message followed
 * by one space (hcsshim parses Error; flannel matches "already attached to
 * the switch"); ErrorCode is signed (choice V1_ERROR_CODE_SIGNED). HNSCall
 * itself fails, with no response, only when the call cannot reach HNS: bad
 * arguments, no service, out of memory, or an injected fault ("hnsCall failed
 * in Win32: ..." in field-bugs.md E3/E4).
 *
 * Paths compare case-insensitively, with or without a trailing slash; an
 * object id segment is a GUID in either case, with or without braces.
 *
 * Decisions where the reference names a path but not its behaviour:
 *
 * | path | behaviour | reference |
 * |---|---|---|
 * | unknown path, or a method a path does not take | Success:false, HCN_E_REQUEST_UNSUPPORTED | inferred |
 * | id segment that is not a GUID | Success:false, HCN_E_GUID_CONVERSION_FAILURE | as the HCN API's GUID arguments |
 * | POST /networks/<id> | applies Extensions [{Id, IsEnabled}] as Extension updates; other keys of a full HNSNetwork document are read-only and ignored; Output the network | 5.2 |
 * | POST /networks/<id>/refresh, /endpoints/<id>/refresh | the object must exist; nothing changes (the model has no programming to redo); Output the object | [PS1], inferred |
 * | GET .../detailed | the v1 view with the Detailed flag (VFP layer, port allocators) | diagnostics.md 2-3 |
 * | POST /networks/<id>/messageGuest | the network must exist and the body be a JSON object; no guest to deliver to, so no state changes; no Output | [PS1], inferred |
 * | POST /endpoints/ | the v1 HNSEndpoint (VirtualNetwork names the network); Output the endpoint | 5.3 |
 * | POST /endpoints/<id> | Policies (flat v1 shapes) replace the endpoint's policies as a policy Update request does (choice POLICY_UPDATE_SAME_TYPE: Calico's ACL-only update keeps OutBoundNAT/SDNRoute/PA); without Policies nothing changes; other keys ignored; Output the endpoint | consumers.md 4.1, 8, 9.1 |
 * | POST /endpoints/<id>/attach, /detach | endpoint.c (hnsm__endpoint_v1_attach); no Output; detach of what is not attached: choice V1_DETACH_NOT_ATTACHED_FAILS | consumers.md 1.3, 3.3 |
 * | POST /endpoints/<id>/modify | a ModifySettingRequest as HcnModifyEndpoint takes it; Output the endpoint | [PS1] |
 * | GET /endpointstats/<id> | EndpointStats on every profile (the v2 call needs build 22621) | 5.3 |
 * | GET /endpointaddresses/[<id>] | {ID, IPAddress, PrefixLength, IPv6Address, IPv6PrefixLength, MacAddress} per endpoint (all of them, or one) | [PS1], shape inferred |
 * | GET/POST /policylists/, GET/DELETE /policylists/<id> | the v1 view of load balancers (ELB policies, hnsm__lb_*) and of SDN routes (ROUTE policies, hcsshim AddRoute; hnsm__route_*), listed together in creation order; a body whose Policies are all ROUTE makes a route, any other a load balancer; hcsshim's AddEndpoint is DELETE + POST | 5.2-5.3, consumers.md 1.2 |
 * | GET /namespaces/ | every namespace (hns.psm1 lists them) | inferred |
 * | POST /namespaces/<id>/addresource, /removeresource (any case) | {"Type":"Endpoint"|"Container","Data":{"Id"}} as a namespace Add/Remove request; Output the namespace | 5.2 |
 * | /accelnet/ | only from HNS 15.4 (HNSM_FEATURE_ACCELNET; before it the path does not exist); GET the list, POST adds MACs (canonical form, no duplicates), DELETE removes the MACs given (all of them without a body; absent ones are ignored); Output the list | 5.2 |
 * | GET /activities, /plugins, /portpools | [] (the model keeps no activity log, loads no plugins and programs no port pools) | [PS1], inferred |
 * | GET /compartments | [{CompartmentId, NamespaceId?}] sorted: the host's compartment 1 and each namespace's | [PS1], inferred |
 */
#include <hnsmock/hnscall.h>
#include <hnsmock/hnsmock.h>

#include "faults.h"
#include "feature_gates.h"
#include "hresult.h"
#include "instance.h"
#include "jsonx.h"
#include "macaddr.h"
#include "notify.h"
#include "remote.h"
#include "objects.h"
#include "query.h"
#include "wstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One HNSCall being served. */
typedef struct v1_call {
    hnsm_instance *inst;
    char id[HNSM_GUID_TEXT]; /* the path's object id, canonical; "" when none */
    const cJSON *body;       /* the parsed request, when the route reads one */
} v1_call;

typedef HRESULT (*v1_handler)(v1_call *call, cJSON **output);

/* How a route reads the request body. */
typedef enum body_use {
    BODY_NONE,     /* ignored (GET, DELETE, refresh) */
    BODY_REQUIRED, /* a JSON object; anything else is HCN_E_INVALID_JSON */
    BODY_OPTIONAL, /* a JSON object, or empty */
} body_use;

/* One path pattern: segments separated by '/', "{id}" for an object id. */
typedef struct v1_route {
    const char *method;
    const char *pattern;
    body_use body;
    bool write;         /* runs in a write transaction */
    v1_handler handler;
    const char *cost;   /* the HCN operation whose latency it costs (faults.c), or NULL
                           for the plain HNSCall figure */
} v1_route;

/* ---- the envelope --------------------------------------------------------------- */

/* Builds {"Success","Error","ErrorCode","Output"}; output is consumed. */
static char *envelope(const hnsm_instance *inst, HRESULT hr, cJSON *output)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddBoolToObject(e, "Success", SUCCEEDED(hr));
    if (FAILED(hr)) {
        char text[512];
        snprintf(text, sizeof text, "%s ", hnsm__hresult_message(hr));
        cJSON_AddStringToObject(e, "Error", text);
        bool is_signed = hnsm__choice(inst, HNSM_CHOICE_V1_ERROR_CODE_SIGNED);
        cJSON_AddNumberToObject(e, "ErrorCode",
                                is_signed ? (double)(int32_t)hr : (double)(uint32_t)hr);
        cJSON_Delete(output);
    } else if (output) {
        cJSON_AddItemToObject(e, "Output", output);
    }
    char *text = jx_print(e);
    cJSON_Delete(e);
    return text;
}

/* ---- shared pieces of the handlers ------------------------------------------------- */

static const hnsm_render v1_view = {.v1 = true, .detailed = false};
static const hnsm_render v1_detailed = {.v1 = true, .detailed = true};

/* Renders every object of kind, in creation order, in the v1 view. */
static HRESULT list_objects(hnsm_instance *inst, hnsm_kind kind, cJSON **output)
{
    hnsm_query query = {.render = v1_view, .filter = NULL};
    cJSON *ids = NULL;
    HRESULT hr = hnsm__enumerate(inst, kind, &query, &ids);
    if (FAILED(hr))
        return hr;
    cJSON *list = cJSON_CreateArray();
    const cJSON *item;
    cJSON_ArrayForEach(item, ids)
    {
        char id[HNSM_GUID_TEXT];
        cJSON *one = NULL;
        if (!cJSON_IsString(item) || !hnsm__guid_canonical(item->valuestring, id)) {
            hr = hnsm__detail(HNSM_E_FAIL, "enumeration returned a bad id");
            break;
        }
        if (FAILED(hr = hnsm__render_object(inst, kind, id, &v1_view, &one)))
            break;
        cJSON_AddItemToArray(list, one);
    }
    cJSON_Delete(ids);
    if (FAILED(hr)) {
        cJSON_Delete(list);
        return hr;
    }
    *output = list;
    return S_OK;
}

/* Renders the path's object of kind as the call's Output. */
static HRESULT render_path_object(v1_call *call, hnsm_kind kind, const hnsm_render *how,
                                  cJSON **output)
{
    return hnsm__render_object(call->inst, kind, call->id, how, output);
}

/* Output for the object a create made. */
static HRESULT render_created(v1_call *call, hnsm_kind kind, const char *created, cJSON **output)
{
    return hnsm__render_object(call->inst, kind, created, &v1_view, output);
}

/* ---- networks ------------------------------------------------------------------- */

static HRESULT networks_list(v1_call *call, cJSON **output)
{
    return list_objects(call->inst, HNSM_NETWORK, output);
}

static HRESULT network_create(v1_call *call, cJSON **output)
{
    char created[HNSM_GUID_TEXT];
    HRESULT hr = hnsm__network_create(call->inst, NULL, call->body, created);
    return FAILED(hr) ? hr : render_created(call, HNSM_NETWORK, created, output);
}

static HRESULT network_get(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_NETWORK, &v1_view, output);
}

static HRESULT network_get_detailed(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_NETWORK, &v1_detailed, output);
}

/* POST /networks/<id>: each Extensions entry becomes an Extension update
 * request, all in this call's transaction. */
static HRESULT network_update(v1_call *call, cJSON **output)
{
    const cJSON *extensions = NULL, *e;
    HRESULT hr = hnsm__network_exists(call->inst, call->id);
    if (FAILED(hr) ||
        FAILED(hr = jx_array(call->body, "Extensions", hnsm__type_error(call->inst), &extensions)))
        return hr;
    cJSON_ArrayForEach(e, extensions)
    {
        if (!cJSON_IsObject(e))
            return hnsm__detail(hnsm__type_error(call->inst), "Extensions entries must be objects");
        cJSON *request = cJSON_CreateObject();
        cJSON_AddStringToObject(request, "ResourceType", "Extension");
        cJSON_AddStringToObject(request, "RequestType", "Update");
        cJSON_AddItemToObject(request, "Settings", cJSON_Duplicate(e, 1));
        hr = hnsm__network_modify(call->inst, call->id, request);
        cJSON_Delete(request);
        if (FAILED(hr))
            return hr;
    }
    return render_path_object(call, HNSM_NETWORK, &v1_view, output);
}

static HRESULT network_delete(v1_call *call, cJSON **output)
{
    (void)output;
    return hnsm__network_delete(call->inst, call->id);
}

static HRESULT network_refresh(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_NETWORK, &v1_view, output);
}

static HRESULT network_message_guest(v1_call *call, cJSON **output)
{
    (void)output;
    return hnsm__network_exists(call->inst, call->id);
}

/* ---- endpoints ------------------------------------------------------------------ */

static HRESULT endpoints_list(v1_call *call, cJSON **output)
{
    return list_objects(call->inst, HNSM_ENDPOINT, output);
}

static HRESULT endpoint_create(v1_call *call, cJSON **output)
{
    char created[HNSM_GUID_TEXT];
    HRESULT hr = hnsm__endpoint_create(call->inst, NULL, NULL, call->body, created);
    return FAILED(hr) ? hr : render_created(call, HNSM_ENDPOINT, created, output);
}

static HRESULT endpoint_get(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_ENDPOINT, &v1_view, output);
}

static HRESULT endpoint_get_detailed(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_ENDPOINT, &v1_detailed, output);
}

/* POST /endpoints/<id>: the full v1 endpoint; its Policies replace the
 * endpoint's as a policy Update request (hcsshim ApplyACLPolicy, Calico felix). */
static HRESULT endpoint_update(v1_call *call, cJSON **output)
{
    hnsm_instance *inst = call->inst;
    const cJSON *given = NULL, *p;
    HRESULT hr = hnsm__endpoint_exists(inst, call->id);
    if (FAILED(hr) || FAILED(hr = jx_array(call->body, "Policies", hnsm__type_error(inst), &given)))
        return hr;
    if (given) {
        cJSON *request = cJSON_CreateObject();
        cJSON_AddStringToObject(request, "ResourceType", "Policy");
        cJSON_AddStringToObject(request, "RequestType", "Update");
        cJSON *policies =
            cJSON_AddArrayToObject(cJSON_AddObjectToObject(request, "Settings"), "Policies");
        cJSON_ArrayForEach(p, given)
        {
            cJSON *v2;
            if (FAILED(hr = hnsm__policy_from_v1(HNSM_POLICY_ENDPOINT, p, &v2)))
                break;
            cJSON_AddItemToArray(policies, v2);
        }
        if (SUCCEEDED(hr))
            hr = hnsm__endpoint_modify(inst, call->id, request);
        cJSON_Delete(request);
        if (FAILED(hr))
            return hr;
    }
    return render_path_object(call, HNSM_ENDPOINT, &v1_view, output);
}

static HRESULT endpoint_delete(v1_call *call, cJSON **output)
{
    (void)output;
    return hnsm__endpoint_delete(call->inst, call->id);
}

static HRESULT endpoint_attach(v1_call *call, cJSON **output)
{
    (void)output;
    return hnsm__endpoint_v1_attach(call->inst, call->id, call->body);
}

static HRESULT endpoint_detach(v1_call *call, cJSON **output)
{
    (void)output;
    return hnsm__endpoint_v1_detach(call->inst, call->id, call->body);
}

static HRESULT endpoint_modify(v1_call *call, cJSON **output)
{
    HRESULT hr = hnsm__endpoint_modify(call->inst, call->id, call->body);
    return FAILED(hr) ? hr : render_path_object(call, HNSM_ENDPOINT, &v1_view, output);
}

static HRESULT endpoint_refresh(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_ENDPOINT, &v1_view, output);
}

static HRESULT endpoint_stats(v1_call *call, cJSON **output)
{
    return hnsm__endpoint_counters(call->inst, call->id, output);
}

/* The address fields of a rendered v1 endpoint. */
static cJSON *addresses_of(const cJSON *v1)
{
    static const char *const keys[] = {"ID", "IPAddress", "PrefixLength", "IPv6Address",
                                       "IPv6PrefixLength", "MacAddress"};
    cJSON *out = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(v1, keys[i]);
        if (v)
            cJSON_AddItemToObject(out, keys[i], cJSON_Duplicate(v, 1));
    }
    return out;
}

static HRESULT endpoint_addresses_one(v1_call *call, cJSON **output)
{
    cJSON *v1 = NULL;
    HRESULT hr = render_path_object(call, HNSM_ENDPOINT, &v1_view, &v1);
    if (SUCCEEDED(hr))
        *output = addresses_of(v1);
    cJSON_Delete(v1);
    return hr;
}

static HRESULT endpoint_addresses_all(v1_call *call, cJSON **output)
{
    cJSON *all = NULL;
    HRESULT hr = list_objects(call->inst, HNSM_ENDPOINT, &all);
    if (FAILED(hr))
        return hr;
    cJSON *list = cJSON_CreateArray();
    const cJSON *v1;
    cJSON_ArrayForEach(v1, all) cJSON_AddItemToArray(list, addresses_of(v1));
    cJSON_Delete(all);
    *output = list;
    return S_OK;
}

/* ---- policy lists (load balancers and SDN routes) -------------------------------- */

/* A policy list is the v1 view of a load balancer (ELB policies) or of an
 * SDN route (ROUTE policies, hcsshim AddRoute); both answer to /policylists. */
static HRESULT policylists_list(v1_call *call, cJSON **output)
{
    hnsm_instance *inst = call->inst;
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT id, 0, seq FROM loadbalancers UNION ALL "
                                        "SELECT id, 1, seq FROM sdnroutes ORDER BY 3");
    if (!st)
        return HNSM_E_FAIL;
    cJSON *list = cJSON_CreateArray();
    HRESULT hr = S_OK;
    int rc;
    while (SUCCEEDED(hr) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char id[HNSM_GUID_TEXT];
        snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
        hnsm_kind kind = sqlite3_column_int(st, 1) ? HNSM_SDNROUTE : HNSM_LOADBALANCER;
        cJSON *one = NULL;
        if (SUCCEEDED(hr = hnsm__render_object(inst, kind, id, &v1_view, &one)))
            cJSON_AddItemToArray(list, one);
    }
    sqlite3_reset(st);
    if (SUCCEEDED(hr) && rc != SQLITE_DONE)
        hr = hnsm__sql_error(inst, rc);
    if (FAILED(hr)) {
        cJSON_Delete(list);
        return hr;
    }
    *output = list;
    return S_OK;
}

/* The kind of the policy list named by the path: a load balancer, else an
 * SDN route; ERROR_NOT_FOUND when neither has the id. */
static HRESULT policylist_kind(v1_call *call, hnsm_kind *kind)
{
    HRESULT hr = hnsm__lb_exists(call->inst, call->id);
    *kind = HNSM_LOADBALANCER;
    if (hr == HNSM_HRESULT_ERROR_NOT_FOUND) {
        *kind = HNSM_SDNROUTE;
        hr = hnsm__route_exists(call->inst, call->id);
    }
    return hr;
}

/* True when the body's Policies are all ROUTE policies (at least one). */
static bool policylist_is_route(const cJSON *body)
{
    const cJSON *p, *policies = cJSON_GetObjectItem(body, "Policies");
    int routes = 0;
    if (!cJSON_IsArray(policies))
        return false;
    cJSON_ArrayForEach(p, policies)
    {
        const cJSON *type = cJSON_GetObjectItem(p, "Type");
        if (!cJSON_IsString(type) || strcasecmp(type->valuestring, "ROUTE") != 0)
            return false;
        routes++;
    }
    return routes > 0;
}

/* {References:["/endpoints/<id>"], Policies:[ROUTE...]} as a HostComputeRoute
 * document {HostComputeEndpoints, Routes}. */
static HRESULT route_from_policylist(const hnsm_instance *inst, const cJSON *body, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *references = NULL, *item;
    HRESULT hr = jx_array(body, "References", bad, &references);
    if (FAILED(hr))
        return hr;
    cJSON *doc = cJSON_CreateObject();
    const cJSON *id = cJSON_GetObjectItem(body, "ID");
    if (id)
        cJSON_AddItemToObject(doc, "ID", cJSON_Duplicate(id, 1));
    cJSON *endpoints = cJSON_AddArrayToObject(doc, "HostComputeEndpoints");
    cJSON_ArrayForEach(item, references)
    {
        if (!cJSON_IsString(item)) {
            cJSON_Delete(doc);
            return hnsm__detail(bad, "References entries must be strings");
        }
        const char *ref = item->valuestring;
        if (strncasecmp(ref, "/endpoints/", 11) == 0)
            ref += 11;
        cJSON_AddItemToArray(endpoints, cJSON_CreateString(ref));
    }
    cJSON *routes = cJSON_AddArrayToObject(doc, "Routes");
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(body, "Policies"))
    {
        cJSON *r = cJSON_CreateObject();
        static const char *const keys[] = {"DestinationPrefix", "NextHop", "NeedEncap",
                                           "AutomaticEndpointMonitor"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const cJSON *v = cJSON_GetObjectItem(item, keys[i]);
            if (v)
                cJSON_AddItemToObject(r, keys[i], cJSON_Duplicate(v, 1));
        }
        cJSON_AddItemToArray(routes, r);
    }
    *out = doc;
    return S_OK;
}

static HRESULT policylist_create(v1_call *call, cJSON **output)
{
    char created[HNSM_GUID_TEXT];
    HRESULT hr;
    if (policylist_is_route(call->body)) {
        cJSON *doc = NULL;
        if (FAILED(hr = route_from_policylist(call->inst, call->body, &doc)))
            return hr;
        hr = hnsm__route_create(call->inst, NULL, doc, created);
        cJSON_Delete(doc);
        return FAILED(hr) ? hr : render_created(call, HNSM_SDNROUTE, created, output);
    }
    hr = hnsm__lb_create(call->inst, NULL, call->body, created);
    return FAILED(hr) ? hr : render_created(call, HNSM_LOADBALANCER, created, output);
}

static HRESULT policylist_get(v1_call *call, cJSON **output)
{
    hnsm_kind kind;
    HRESULT hr = policylist_kind(call, &kind);
    return FAILED(hr) ? hr : render_path_object(call, kind, &v1_view, output);
}

static HRESULT policylist_delete(v1_call *call, cJSON **output)
{
    (void)output;
    hnsm_kind kind;
    HRESULT hr = policylist_kind(call, &kind);
    if (FAILED(hr))
        return hr;
    return kind == HNSM_LOADBALANCER ? hnsm__lb_delete(call->inst, call->id)
                                     : hnsm__route_delete(call->inst, call->id);
}

/* ---- namespaces ----------------------------------------------------------------- */

static HRESULT namespaces_list(v1_call *call, cJSON **output)
{
    return list_objects(call->inst, HNSM_NAMESPACE, output);
}

static HRESULT namespace_create(v1_call *call, cJSON **output)
{
    char created[HNSM_GUID_TEXT];
    HRESULT hr = hnsm__namespace_create(call->inst, NULL, call->body, created);
    return FAILED(hr) ? hr : render_created(call, HNSM_NAMESPACE, created, output);
}

static HRESULT namespace_get(v1_call *call, cJSON **output)
{
    return render_path_object(call, HNSM_NAMESPACE, &v1_view, output);
}

static HRESULT namespace_delete(v1_call *call, cJSON **output)
{
    (void)output;
    return hnsm__namespace_delete(call->inst, call->id);
}

/* {"Type":"Endpoint","Data":{"Id":<ep>}} (or Type Container) as the namespace
 * ModifySettingRequest of request_type ("Add" / "Remove"). */
static HRESULT namespace_resource(v1_call *call, const char *request_type, cJSON **output)
{
    hnsm_instance *inst = call->inst;
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *type = cJSON_GetObjectItem(call->body, "Type");
    const cJSON *data = NULL;
    const char *resource_id = NULL;
    HRESULT hr = hnsm__namespace_exists(inst, call->id);
    if (FAILED(hr) || FAILED(hr = jx_object(call->body, "Data", bad, &data)) ||
        (data && FAILED(hr = jx_string(data, "Id", bad, &resource_id))))
        return hr;
    if (!cJSON_IsString(type))
        return hnsm__detail(HNSM_E_INVALIDARG, "the resource request needs a string Type");
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "ResourceType", type->valuestring);
    cJSON_AddStringToObject(request, "RequestType", request_type);
    cJSON *settings = cJSON_AddObjectToObject(request, "Settings");
    const char *key = strcasecmp(type->valuestring, "Container") == 0 ? "ContainerId" : "EndpointId";
    if (resource_id)
        cJSON_AddStringToObject(settings, key, resource_id);
    hr = hnsm__namespace_modify(inst, call->id, request);
    cJSON_Delete(request);
    return FAILED(hr) ? hr : render_path_object(call, HNSM_NAMESPACE, &v1_view, output);
}

static HRESULT namespace_add_resource(v1_call *call, cJSON **output)
{
    return namespace_resource(call, "Add", output);
}

static HRESULT namespace_remove_resource(v1_call *call, cJSON **output)
{
    return namespace_resource(call, "Remove", output);
}

/* ---- globals and diagnostics ---------------------------------------------------- */

static cJSON *version_object(const hnsm_instance *inst)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddNumberToObject(v, "Major", inst->profile.major);
    cJSON_AddNumberToObject(v, "Minor", inst->profile.minor);
    return v;
}

static HRESULT globals_version(v1_call *call, cJSON **output)
{
    *output = version_object(call->inst);
    return S_OK;
}

static HRESULT globals_get(v1_call *call, cJSON **output)
{
    *output = cJSON_CreateObject();
    cJSON_AddItemToObject(*output, "Version", version_object(call->inst));
    return S_OK;
}

static HRESULT empty_list(v1_call *call, cJSON **output)
{
    (void)call;
    *output = cJSON_CreateArray();
    return S_OK;
}

/* The host's default compartment 1, then each namespace's compartment. */
static HRESULT compartments_list(v1_call *call, cJSON **output)
{
    hnsm_instance *inst = call->inst;
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT compartment, id FROM namespaces "
                                        "ORDER BY compartment, seq");
    if (!st)
        return HNSM_E_FAIL;
    cJSON *list = cJSON_CreateArray();
    cJSON *host = cJSON_CreateObject();
    cJSON_AddNumberToObject(host, "CompartmentId", 1);
    cJSON_AddItemToArray(list, host);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t compartment = sqlite3_column_int64(st, 0);
        char id[HNSM_GUID_TEXT];
        hnsm__render_guid(inst, (const char *)sqlite3_column_text(st, 1), id);
        cJSON *entry = compartment == 1 ? host : cJSON_CreateObject();
        if (compartment != 1) {
            cJSON_AddNumberToObject(entry, "CompartmentId", (double)compartment);
            cJSON_AddItemToArray(list, entry);
        }
        if (!cJSON_GetObjectItem(entry, "NamespaceId"))
            cJSON_AddStringToObject(entry, "NamespaceId", id);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(list);
        return hnsm__sql_error(inst, rc);
    }
    *output = list;
    return S_OK;
}

/* ---- accelnet ------------------------------------------------------------------- */

#define ACCELNET_KEY "v1_accelnet_macs"

/* The stored MAC list (a JSON array of canonical MAC strings). */
static HRESULT accelnet_load(hnsm_instance *inst, cJSON **list)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT value FROM meta WHERE key = '" ACCELNET_KEY "'");
    if (!st)
        return HNSM_E_FAIL;
    int rc = sqlite3_step(st);
    const unsigned char *text = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    *list = text ? cJSON_Parse((const char *)text) : cJSON_CreateArray();
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        cJSON_Delete(*list);
        return hnsm__sql_error(inst, rc);
    }
    if (!cJSON_IsArray(*list)) {
        cJSON_Delete(*list);
        return hnsm__detail(HNSM_E_FAIL, "store: the accelnet MAC list is corrupt");
    }
    return S_OK;
}

/* {"MacAddressList":[{"MacAddress":...}]} of the stored list. */
static cJSON *accelnet_output(const cJSON *list)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *macs = cJSON_AddArrayToObject(out, "MacAddressList");
    const cJSON *m;
    cJSON_ArrayForEach(m, list)
    {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "MacAddress", m->valuestring);
        cJSON_AddItemToArray(macs, e);
    }
    return out;
}

static HRESULT accelnet_get(v1_call *call, cJSON **output)
{
    cJSON *list;
    HRESULT hr = accelnet_load(call->inst, &list);
    if (SUCCEEDED(hr))
        *output = accelnet_output(list);
    cJSON_Delete(list);
    return hr;
}

/* The index of mac in list, or -1. */
static int mac_index(const cJSON *list, const char *mac)
{
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, list)
    {
        if (strcmp(m->valuestring, mac) == 0)
            return i;
        i++;
    }
    return -1;
}

/* POST adds (add=true) or DELETE removes the request's MACs; a DELETE
 * without a body clears the list. */
static HRESULT accelnet_change(v1_call *call, bool add, cJSON **output)
{
    hnsm_instance *inst = call->inst;
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *given = NULL, *e;
    cJSON *list;
    HRESULT hr = jx_array(call->body, "MacAddressList", bad, &given);
    if (FAILED(hr) || FAILED(hr = accelnet_load(inst, &list)))
        return hr;
    if (!add && !call->body) {
        cJSON_Delete(list);
        list = cJSON_CreateArray();
    }
    cJSON_ArrayForEach(e, given)
    {
        const char *text = NULL;
        uint64_t value;
        char mac[HNSM_MAC_TEXT];
        if (!cJSON_IsObject(e) || FAILED(hr = jx_string(e, "MacAddress", bad, &text))) {
            if (SUCCEEDED(hr))
                hr = hnsm__detail(bad, "MacAddressList entries must be objects");
            break;
        }
        if (!text || !hnsm__mac_parse(text, &value)) {
            hr = hnsm__detail(HNSM_E_INVALIDARG, "\"%s\" is not a MAC address", text ? text : "");
            break;
        }
        hnsm__mac_format(value, mac);
        int at = mac_index(list, mac);
        if (add && at < 0)
            cJSON_AddItemToArray(list, cJSON_CreateString(mac));
        else if (!add && at >= 0)
            cJSON_DeleteItemFromArray(list, at);
    }
    char *text = SUCCEEDED(hr) ? jx_print(list) : NULL;
    if (SUCCEEDED(hr) && !text)
        hr = HNSM_E_OUTOFMEMORY;
    if (SUCCEEDED(hr) && SUCCEEDED(hr = hnsm__meta_set_text(inst, ACCELNET_KEY, text)))
        *output = accelnet_output(list);
    free(text);
    cJSON_Delete(list);
    return hr;
}

static HRESULT accelnet_post(v1_call *call, cJSON **output)
{
    return accelnet_change(call, true, output);
}

static HRESULT accelnet_delete(v1_call *call, cJSON **output)
{
    return accelnet_change(call, false, output);
}

/* ---- the route table ------------------------------------------------------------- */

static const v1_route routes[] = {
    {"GET", "networks", BODY_NONE, false, networks_list, NULL},
    {"POST", "networks", BODY_REQUIRED, true, network_create, "HcnCreateNetwork"},
    {"GET", "networks/{id}", BODY_NONE, false, network_get, NULL},
    {"POST", "networks/{id}", BODY_REQUIRED, true, network_update, "HcnModifyNetwork"},
    {"DELETE", "networks/{id}", BODY_NONE, true, network_delete, "HcnDeleteNetwork"},
    {"POST", "networks/{id}/refresh", BODY_NONE, false, network_refresh, NULL},
    {"GET", "networks/{id}/detailed", BODY_NONE, false, network_get_detailed, NULL},
    {"POST", "networks/{id}/messageGuest", BODY_REQUIRED, false, network_message_guest, NULL},

    {"GET", "endpoints", BODY_NONE, false, endpoints_list, NULL},
    {"POST", "endpoints", BODY_REQUIRED, true, endpoint_create, "HcnCreateEndpoint"},
    {"GET", "endpoints/{id}", BODY_NONE, false, endpoint_get, NULL},
    {"POST", "endpoints/{id}", BODY_REQUIRED, true, endpoint_update, "HcnModifyEndpoint"},
    {"DELETE", "endpoints/{id}", BODY_NONE, true, endpoint_delete, "HcnDeleteEndpoint"},
    {"POST", "endpoints/{id}/attach", BODY_REQUIRED, true, endpoint_attach, "HcnModifyEndpoint"},
    {"POST", "endpoints/{id}/detach", BODY_REQUIRED, true, endpoint_detach, "HcnModifyEndpoint"},
    {"GET", "endpoints/{id}/detailed", BODY_NONE, false, endpoint_get_detailed, NULL},
    {"POST", "endpoints/{id}/modify", BODY_REQUIRED, true, endpoint_modify, "HcnModifyEndpoint"},
    {"POST", "endpoints/{id}/refresh", BODY_NONE, false, endpoint_refresh, NULL},
    {"GET", "endpointstats/{id}", BODY_NONE, false, endpoint_stats, NULL},
    {"GET", "endpointaddresses", BODY_NONE, false, endpoint_addresses_all, NULL},
    {"GET", "endpointaddresses/{id}", BODY_NONE, false, endpoint_addresses_one, NULL},

    {"GET", "policylists", BODY_NONE, false, policylists_list, NULL},
    {"POST", "policylists", BODY_REQUIRED, true, policylist_create, "HcnCreateLoadBalancer"},
    {"GET", "policylists/{id}", BODY_NONE, false, policylist_get, NULL},
    {"DELETE", "policylists/{id}", BODY_NONE, true, policylist_delete, "HcnDeleteLoadBalancer"},

    {"GET", "namespaces", BODY_NONE, false, namespaces_list, NULL},
    {"POST", "namespaces", BODY_REQUIRED, true, namespace_create, "HcnCreateNamespace"},
    {"GET", "namespaces/{id}", BODY_NONE, false, namespace_get, NULL},
    {"DELETE", "namespaces/{id}", BODY_NONE, true, namespace_delete, "HcnDeleteNamespace"},
    {"POST", "namespaces/{id}/addresource", BODY_REQUIRED, true, namespace_add_resource, "HcnModifyNamespace"},
    {"POST", "namespaces/{id}/removeresource", BODY_REQUIRED, true, namespace_remove_resource, "HcnModifyNamespace"},

    {"GET", "globals", BODY_NONE, false, globals_get, NULL},
    {"GET", "globals/version", BODY_NONE, false, globals_version, NULL},

    {"GET", "accelnet", BODY_NONE, false, accelnet_get, NULL},
    {"POST", "accelnet", BODY_REQUIRED, true, accelnet_post, NULL},
    {"DELETE", "accelnet", BODY_OPTIONAL, true, accelnet_delete, NULL},

    {"GET", "activities", BODY_NONE, false, empty_list, NULL},
    {"GET", "plugins", BODY_NONE, false, empty_list, NULL},
    {"GET", "portpools", BODY_NONE, false, empty_list, NULL},
    {"GET", "compartments", BODY_NONE, false, compartments_list, NULL},
};

#define MAX_SEGMENTS 4

/* Splits path into at most MAX_SEGMENTS non-empty segments (pointers into
 * buf, a copy of path). A trailing slash is tolerated; an empty segment in
 * the middle, or too many segments, gives -1. */
static int split_path(const char *path, char *buf, size_t size, char *segments[MAX_SEGMENTS])
{
    if (snprintf(buf, size, "%s", path) >= (int)size)
        return -1;
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *p = buf;
    if (*p == '/')
        p++;
    int count = 0;
    while (*p) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (!*p || count == MAX_SEGMENTS)
            return -1;
        segments[count++] = p;
        if (!slash)
            break;
        p = slash + 1;
    }
    return count;
}

/* True when the segments match pattern; *id_text gets the {id} segment. */
static bool pattern_matches(const char *pattern, char *const *segments, int count,
                            const char **id_text)
{
    char buf[64];
    char *parts[MAX_SEGMENTS];
    int n = split_path(pattern, buf, sizeof buf, parts);
    if (n != count)
        return false;
    for (int i = 0; i < n; i++) {
        if (strcmp(parts[i], "{id}") == 0)
            *id_text = segments[i];
        else if (strcasecmp(parts[i], segments[i]) != 0)
            return false;
    }
    return true;
}

/* Finds the route for method and the path's segments. *path_known is true
 * when some route has the path (so only the method is wrong). */
static const v1_route *find_route(const hnsm_instance *inst, const char *method,
                                  char *const *segments, int count, const char **id_text,
                                  bool *path_known)
{
    *path_known = false;
    if (count <= 0)
        return NULL;
    /* Before HNS 15.4 the accelnet path does not exist (hcn-api.md 3, 5.2). */
    if (strcasecmp(segments[0], "accelnet") == 0 &&
        !hnsm__feature(&inst->profile, HNSM_FEATURE_ACCELNET))
        return NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        *id_text = NULL;
        if (!pattern_matches(routes[i].pattern, segments, count, id_text))
            continue;
        *path_known = true;
        if (strcasecmp(routes[i].method, method) == 0)
            return &routes[i];
    }
    return NULL;
}

/* ---- one call ---------------------------------------------------------------------- */

/* Matches the route, reads the body and runs the handler in one transaction
 * (called with the instance lock held). Returns the logical HRESULT. */
static HRESULT serve(hnsm_instance *inst, const char *method, const char *path,
                     const char *request, cJSON **output)
{
    char buf[512];
    char *segments[MAX_SEGMENTS];
    const char *id_text = NULL;
    bool path_known;
    int count = split_path(path, buf, sizeof buf, segments);
    const v1_route *route = find_route(inst, method, segments, count, &id_text, &path_known);
    if (!route)
        return hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED, "HNSCall %s %s: %s", method, path,
                            path_known ? "the path does not take this method" : "no such path");
    v1_call call = {.inst = inst, .id = "", .body = NULL};
    if (id_text && !hnsm__guid_canonical(id_text, call.id))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE, "\"%s\" is not a GUID", id_text);
    cJSON *body = NULL;
    HRESULT hr = S_OK;
    bool has_text = request && *request;
    if (route->body == BODY_REQUIRED || (route->body == BODY_OPTIONAL && has_text)) {
        if (FAILED(hr = jx_parse_object(has_text ? request : "", has_text ? strlen(request) : 0,
                                        &body)))
            return hr;
    }
    call.body = body;
    /* A v1 path costs what the HCN operation it performs costs. */
    hnsm__latency_charge(inst, route->cost ? route->cost : "HNSCall");
    if (SUCCEEDED(hr = route->write ? hnsm__begin_write(inst) : hnsm__begin_read(inst))) {
        hr = hnsm__finish(inst, route->handler(&call, output));
        if (FAILED(hr)) {
            cJSON_Delete(*output);
            *output = NULL;
        }
    }
    cJSON_Delete(body);
    return hr;
}

HRESULT hnsm_hnscall(hnsm_instance *inst, const char *method, const char *path,
                     const char *request, char **response)
{
    if (response)
        *response = NULL;
    hnsm__detail_clear();
    if (!inst || !method || !path || !response)
        return HNSM_E_INVALIDARG;
    cJSON *output = NULL;
    pthread_mutex_lock(&inst->lock);
    if (!inst->store_incompatible) /* HNS's own work touches only a store it can read */
        hnsm__network_generated_settle(inst);
    /* One HNSCall is one call for fault injection, whatever it does; its
     * latency is charged by serve() once the path is known. */
    HRESULT call_hr = hnsm__fault_check(inst, "HNSCall");
    HRESULT hr = call_hr;
    if (SUCCEEDED(call_hr))
        hr = hnsm__store_readable(inst);
    if (SUCCEEDED(hr))
        hr = serve(inst, method, path, request, &output);
    if (SUCCEEDED(call_hr))
        *response = envelope(inst, hr, output);
    pthread_mutex_unlock(&inst->lock);
    if (FAILED(call_hr))
        return call_hr; /* the call itself failed: no envelope */
    if (!*response)
        return HNSM_E_OUTOFMEMORY;
    if (SUCCEEDED(hr))
        hnsm__detail_clear();
    return S_OK;
}

HRESULT WINAPI HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR *Response)
{
    if (!Response)
        return HNSM_E_POINTER;
    *Response = NULL;
    if (!Method || !Path)
        return HNSM_E_INVALIDARG;
    /* With HNSIM_HNSD set the HNS lives in hnsd; otherwise in this process. */
    bool remote = hnsm__remote_enabled();
    hnsm_instance *inst = remote ? NULL : hnsm_current();
    if (!remote && !inst)
        return HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE;
    char *method = NULL, *path = NULL, *request = NULL, *reply = NULL;
    int status = hnsm__wide_to_utf8(Method, &method);
    if (status == WSTR_OK)
        status = hnsm__wide_to_utf8(Path, &path);
    if (status == WSTR_OK && Request)
        status = hnsm__wide_to_utf8(Request, &request);
    HRESULT hr = status == WSTR_NOMEM ? HNSM_E_OUTOFMEMORY : HNSM_E_INVALIDARG;
    if (status == WSTR_OK) {
        hr = remote ? hnsm__remote_hnscall(method, path, request, &reply)
                    : hnsm_hnscall(inst, method, path, request, &reply);
        if (reply) {
            *Response = hnsm__utf8_to_wide_cotask(reply);
            if (!*Response)
                hr = HNSM_E_OUTOFMEMORY;
        }
    }
    free(method);
    free(path);
    free(request);
    free(reply);
    return hr;
}
