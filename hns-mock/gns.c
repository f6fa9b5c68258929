/*
 * gns.c - the guest network service (GNS) object and the host ports reserved
 * through it.
 *
 * A guest network service is HNS's record of a VM whose networking a guest
 * agent mirrors (WSL's mirrored mode is the known client: it creates one per
 * VM with the VM's id as the GNS id, registers a GNS callback, moves its State
 * to Bootstrapping then Synchronized, and reserves host ports for the guest's
 * binds). The document (MSDOC HNS_Schema GuestNetworkService; WSL hns_schema.h):
 *
 * | field                   | type                                    | schema |
 * |-------------------------|-----------------------------------------|--------|
 * | ID, Name, Owner         | GUID, string, string                    | 2.0    |
 * | VirtualMachineId        | GUID                                    | 2.0    |
 * | MirroredInterfaces      | array of GuestNetworkServiceInterface   | 2.2    |
 * | MirrorHostNetworking    | bool                                    | 2.5    |
 * | GnsRpcServerInformation | {EndpointType HvSocket/LRpc, ObjectUuid}| 2.11   |
 * | Flags                   | IsFlowsteered 1 (2.12), IsFlowsteeredSelfManaged 2 (2.14) | 2.12 |
 * | State                   | GuestNetworkServiceState                | 2.0    |
 *
 * Decisions where the reference is silent (each cites what it leans on):
 *
 * | question | hnsim | because |
 * |---|---|---|
 * | State of a new service | Created (1) | WSL moves it on to Bootstrapping itself, so it does not start there |
 * | State in query output | a number (Base.State is uint16 in HNS_Schema) | the string form appears only in requests and NotificationData |
 * | a field newer than the profile's schema | ignored: not stored, not rendered | an older service deserialises the schema it knows; State values newer than it (Desynchronized, Rehydrating: 2.5) are refused with E_INVALIDARG as unknown enum values are |
 * | modify | ResourceType State (the only GuestNetworkServiceResourceType); RequestType Update or Add set it, Refresh checks it; others HCN_E_REQUEST_UNSUPPORTED | WSL sends Update (hcn-api.md 2.7) |
 * | notifications | GuestNetworkServiceCreate/Delete to service callbacks; GuestNetworkServiceStateChanged with Data {"State":"<name>"} to the service's own callbacks, only when the state changes | hcn-api.md 1.4 (GuestNetworkServiceNotificationData = {State, Interfaces}) |
 * | open/query/delete of a missing service | ERROR_NOT_FOUND (0x80070490) | as namespaces; hcn-api.md 8.1 lists no GNS code |
 * | v1 query (SchemaVersion 1 or none) | the same v2 document | there is no v1 GNS object (hcn-api.md 5.2 has no GNS path) |
 *
 * Port reservations (hcn-api.md 1.2; the header says a range is always
 * exclusive and for both protocols):
 *
 * | rule | hnsim |
 * |---|---|
 * | conflict | two reservations conflict when their protocols share a bit (BOTH = TCP+UDP), their ports overlap, and at least one is EXCLUSIVE: SHARED reservations coexist with each other, never with an EXCLUSIVE one. Whose service made them does not matter (WSL reference-counts its own binds and never reserves a port twice) |
 * | conflict HRESULT | HCN_E_PORT_ALREADY_EXISTS (0x803B0013, "The specified port already exists.") |
 * | bad protocol (not 1-3), access (not 1-2), port 0, PortCount 0 | E_INVALIDARG |
 * | where a range goes | first fit: the lowest start in the dynamic range 49152-65535 at which the whole range meets no reservation of either protocol |
 * | range exhausted | HCN_E_PORT_ALREADY_EXISTS, the code a full dynamic range gives load balancers (field-bugs.md B1) |
 * | endingPort of a range | startingPort + PortCount, covering PortCount + 1 ports (choice PORT_RANGE_END_IS_START_PLUS_COUNT) |
 * | lifetime | until its handle is released; deleting the service releases them too (choice GNS_DELETE_RELEASES_PORTS) |
 * | a reservation's number | from a per-store counter, never reused, so a stale handle cannot release a newer reservation |
 * | listing | every reservation of the store, by first port then number: OwningPartitionId = the service's id, TargetPartitionId = its VirtualMachineId (zero when none), Protocol, ReservationType = the access (1 exclusive, 2 shared), StartingPort/EndingPort inclusive; Priority, SharingFlags and DeliveryMode 0 (no source gives their meaning) |
 */
#include "gns.h"

#include "faults.h"
#include "feature_gates.h"
#include "hresult.h"
#include "jsonx.h"
#include "notify.h"
#include "objects.h"

#include <computenetwork.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GuestNetworkServiceState, with the schema minor that introduced each value. */
static const jx_enum_entry gns_states[] = {
    {"None", 0},         {"Created", 1},        {"Bootstrapping", 2},
    {"Synchronized", 3}, {"Paused", 4},         {"Desynchronized", 5},
    {"Rehydrating", 6},  {"Degraded", 7},       {"Destroyed", 8},
    {NULL, 0}};
enum { GNS_STATE_CREATED = 1, GNS_STATE_DESYNCHRONIZED = 5, GNS_STATE_REHYDRATING = 6 };

/* RpcEndpointType, in schema order (numbers inferred from that order). */
static const jx_enum_entry rpc_endpoint_types[] = {{"HvSocket", 0}, {"LRpc", 1}, {NULL, 0}};

static const jx_enum_entry gns_resource_types[] = {{"State", 0}, {NULL, 0}};

/* GuestNetworkServiceFlags bits and the schema that introduced them. */
#define GNS_FLAG_FLOWSTEERED 1u
#define GNS_FLAG_FLOWSTEERED_SELF_MANAGED 2u

/* True when the profile's schema (2.x) has minor `minor`. */
static bool schema_has(const hnsm_instance *inst, unsigned minor)
{
    return inst->profile.schema_major > 2 ||
           (inst->profile.schema_major == 2 && inst->profile.schema_minor >= minor);
}

HRESULT hnsm__gns_exists(hnsm_instance *inst, const char *id)
{
    return hnsm__row_exists(inst, "SELECT 1 FROM guest_network_services WHERE id = ?1", id,
                            HNSM_HRESULT_ERROR_NOT_FOUND, "guest network service");
}

/* Loads the stored document of a service (caller deletes). */
static HRESULT gns_load(hnsm_instance *inst, const char *id, cJSON **doc)
{
    return hnsm__row_doc(inst, "SELECT doc FROM guest_network_services WHERE id = ?1", id,
                         HNSM_HRESULT_ERROR_NOT_FOUND, "guest network service", doc);
}

static HRESULT gns_store(hnsm_instance *inst, const char *id, const cJSON *doc)
{
    char *text = jx_print(doc);
    if (!text)
        return HNSM_E_OUTOFMEMORY;
    sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE guest_network_services SET doc = ?2 WHERE id = ?1");
    HRESULT hr = HNSM_E_FAIL;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, st);
    }
    free(text);
    return hr;
}

/* Reads an optional GUID field into canonical form (out "" when absent). */
static HRESULT guid_field(const hnsm_instance *inst, const cJSON *obj, const char *key,
                          char out[HNSM_GUID_TEXT])
{
    const char *text = NULL;
    out[0] = '\0';
    HRESULT hr = jx_string(obj, key, hnsm__type_error(inst), &text);
    if (FAILED(hr) || !text || !*text)
        return hr;
    if (!hnsm__guid_canonical(text, out))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE, "%s \"%s\" is not a GUID", key,
                            text);
    return S_OK;
}

/* Validates a create document into the canonical stored form (*out). */
static HRESULT gns_canonical(const hnsm_instance *inst, const cJSON *in, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const char *name = NULL, *owner = NULL;
    char vm[HNSM_GUID_TEXT];
    const cJSON *interfaces = NULL, *rpc = NULL;
    bool mirror = false;
    uint64_t flags = 0;
    HRESULT hr;
    if (FAILED(hr = jx_string(in, "Name", bad, &name)) ||
        FAILED(hr = jx_string(in, "Owner", bad, &owner)) ||
        FAILED(hr = guid_field(inst, in, "VirtualMachineId", vm)) ||
        FAILED(hr = jx_array(in, "MirroredInterfaces", bad, &interfaces)) ||
        FAILED(hr = jx_bool(in, "MirrorHostNetworking", bad, &mirror)) ||
        FAILED(hr = jx_object(in, "GnsRpcServerInformation", bad, &rpc)) ||
        FAILED(hr = jx_uint(in, "Flags", 0xFFFFFFFFu, bad, &flags)))
        return hr;
    int endpoint_type = -1;
    char object_uuid[HNSM_GUID_TEXT] = "";
    if (rpc && (FAILED(hr = jx_enum(rpc, "EndpointType", rpc_endpoint_types, bad,
                                    &endpoint_type)) ||
                FAILED(hr = guid_field(inst, rpc, "ObjectUuid", object_uuid))))
        return hr;
    const cJSON *item;
    cJSON_ArrayForEach(item, interfaces)
    {
        if (!cJSON_IsObject(item))
            return hnsm__detail(bad, "MirroredInterfaces must hold objects");
    }

    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return HNSM_E_OUTOFMEMORY;
    jx_put_string(doc, "Name", name);
    jx_put_string(doc, "Owner", owner);
    jx_put_string(doc, "VirtualMachineId", vm);
    if (interfaces && cJSON_GetArraySize(interfaces) && schema_has(inst, 2))
        cJSON_AddItemToObject(doc, "MirroredInterfaces", cJSON_Duplicate(interfaces, 1));
    if (schema_has(inst, 5))
        jx_put_bool(doc, "MirrorHostNetworking", mirror);
    if (rpc && schema_has(inst, 11)) {
        cJSON *r = cJSON_AddObjectToObject(doc, "GnsRpcServerInformation");
        if (endpoint_type >= 0)
            cJSON_AddStringToObject(r, "EndpointType", jx_enum_name(rpc_endpoint_types,
                                                                    endpoint_type));
        jx_put_string(r, "ObjectUuid", object_uuid);
    }
    if (!schema_has(inst, 12))
        flags = 0;
    else if (!schema_has(inst, 14))
        flags &= ~(uint64_t)GNS_FLAG_FLOWSTEERED_SELF_MANAGED;
    jx_put_uint(doc, "Flags", flags);
    cJSON_AddNumberToObject(doc, "State", GNS_STATE_CREATED);
    *out = doc;
    return S_OK;
}

/* Raises a service-level event with no Data. */
static void gns_event(hnsm_instance *inst, uint32_t type, const char *id)
{
    hnsm__event(inst, type, id, NULL);
}

HRESULT hnsm__gns_create(hnsm_instance *inst, const char *id, const cJSON *in,
                         char out_id[HNSM_GUID_TEXT])
{
    cJSON *doc = NULL;
    HRESULT hr = gns_canonical(inst, in, &doc);
    if (FAILED(hr))
        return hr;
    int64_t seq;
    if (FAILED(hr = hnsm__choose_id(inst, id, in, hnsm__gns_exists, out_id)) ||
        FAILED(hr = hnsm__next_seq(inst, &seq))) {
        cJSON_Delete(doc);
        return hr;
    }
    char *text = jx_print(doc);
    cJSON_Delete(doc);
    if (!text)
        return HNSM_E_OUTOFMEMORY;
    sqlite3_stmt *st =
        hnsm__stmt(inst, "INSERT INTO guest_network_services(seq, id, doc) VALUES(?1, ?2, ?3)");
    hr = HNSM_E_FAIL;
    if (st) {
        sqlite3_bind_int64(st, 1, seq);
        sqlite3_bind_text(st, 2, out_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, st);
    }
    free(text);
    if (SUCCEEDED(hr))
        gns_event(inst, HcnNotificationGuestNetworkServiceCreate, out_id);
    return hr;
}

HRESULT hnsm__gns_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    cJSON *doc = NULL;
    HRESULT hr = gns_load(inst, id, &doc);
    if (FAILED(hr))
        return hr;
    int request_type, resource_type, state = -1;
    const cJSON *settings;
    if (FAILED(hr = hnsm__modify_request(request, gns_resource_types, &request_type,
                                         &resource_type, &settings)))
        goto done;
    if (request_type != HNSM_REQ_UPDATE && request_type != HNSM_REQ_ADD &&
        request_type != HNSM_REQ_REFRESH) {
        hr = hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED,
                          "a guest network service's State is set with Update (or Add, Refresh)");
        goto done;
    }
    if (!cJSON_IsObject(settings)) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "State settings must be an object");
        goto done;
    }
    if (FAILED(hr = jx_enum(settings, "State", gns_states, hnsm__type_error(inst), &state)))
        goto done;
    if (state < 0) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "the State request has no State");
        goto done;
    }
    if ((state == GNS_STATE_DESYNCHRONIZED || state == GNS_STATE_REHYDRATING) &&
        !schema_has(inst, 5)) {
        hr = hnsm__detail(HNSM_E_INVALIDARG, "State %s needs schema 2.5; this profile speaks 2.%u",
                          jx_enum_name(gns_states, state), inst->profile.schema_minor);
        goto done;
    }
    const cJSON *current = cJSON_GetObjectItem(doc, "State");
    if (request_type == HNSM_REQ_REFRESH ||
        (cJSON_IsNumber(current) && current->valueint == state))
        goto done; /* nothing changes, nobody is told */
    cJSON_DeleteItemFromObject(doc, "State");
    cJSON_AddNumberToObject(doc, "State", state);
    if (SUCCEEDED(hr = gns_store(inst, id, doc)) && hnsm__events_wanted(inst)) {
        cJSON *data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "State", jx_enum_name(gns_states, state));
        hnsm__event(inst, HcnNotificationGuestNetworkServiceStateChanged, id, data);
        cJSON_Delete(data);
    }
done:
    cJSON_Delete(doc);
    return hr;
}

HRESULT hnsm__gns_delete(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__gns_exists(inst, id);
    if (FAILED(hr))
        return hr;
    if (hnsm__choice(inst, HNSM_CHOICE_GNS_DELETE_RELEASES_PORTS)) {
        sqlite3_stmt *ports = hnsm__stmt(inst, "DELETE FROM port_reservations WHERE gns_id = ?1");
        if (!ports)
            return HNSM_E_FAIL;
        sqlite3_bind_text(ports, 1, id, -1, SQLITE_STATIC);
        if (FAILED(hr = hnsm__step_done(inst, ports)))
            return hr;
    }
    sqlite3_stmt *del = hnsm__stmt(inst, "DELETE FROM guest_network_services WHERE id = ?1");
    if (!del)
        return HNSM_E_FAIL;
    sqlite3_bind_text(del, 1, id, -1, SQLITE_STATIC);
    if (SUCCEEDED(hr = hnsm__step_done(inst, del)))
        gns_event(inst, HcnNotificationGuestNetworkServiceDelete, id);
    return hr;
}

/* Copies a GUID field of the stored document in the output case. */
static void put_guid(const hnsm_instance *inst, cJSON *dst, const cJSON *src, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(src, key);
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char g[HNSM_GUID_TEXT];
        hnsm__render_guid(inst, v->valuestring, g);
        cJSON_AddStringToObject(dst, key, g);
    }
}

HRESULT hnsm__gns_render(hnsm_instance *inst, const char *id, const hnsm_render *how, cJSON **out)
{
    cJSON *doc = NULL;
    HRESULT hr = gns_load(inst, id, &doc);
    if (FAILED(hr))
        return hr;
    char g[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, g);
    cJSON *gns = cJSON_CreateObject();
    cJSON_AddStringToObject(gns, "ID", g);
    jx_move(gns, doc, "Name");
    jx_move(gns, doc, "Owner");
    put_guid(inst, gns, doc, "VirtualMachineId");
    jx_move(gns, doc, "MirroredInterfaces");
    jx_move(gns, doc, "MirrorHostNetworking");
    const cJSON *rpc = cJSON_GetObjectItem(doc, "GnsRpcServerInformation");
    if (rpc) {
        cJSON *r = cJSON_AddObjectToObject(gns, "GnsRpcServerInformation");
        jx_move(r, (cJSON *)rpc, "EndpointType");
        put_guid(inst, r, rpc, "ObjectUuid");
    }
    jx_move(gns, doc, "Flags");
    jx_move(gns, doc, "State");
    if (how->detailed)
        cJSON_AddNumberToObject(gns, "Version", hnsm__object_version(inst));
    hnsm__add_schema_version(inst, gns);
    cJSON_Delete(doc);
    *out = gns;
    return S_OK;
}

/* ---- port reservations ------------------------------------------------------ */

typedef HRESULT (*reservation_op)(hnsm_instance *inst, void *arg);

/* Runs op as one call named api: the same steps exec.c takes (the HCN API
 * gate, fault check, latency, one transaction, notifications with it). */
static HRESULT run_call(hnsm_instance *inst, const char *api, bool write, reservation_op op,
                        void *arg)
{
    hnsm__detail_clear();
    if (!inst)
        return hnsm__detail(HNSM_E_INVALIDARG, "no HNS instance");
    if (!hnsm__feature(&inst->profile, HNSM_FEATURE_API_V2))
        return hnsm__detail(HNSM_E_NOTIMPL, "HNS %u.%u has no HCN (v2) API", inst->profile.major,
                            inst->profile.minor);
    pthread_mutex_lock(&inst->lock);
    HRESULT hr = hnsm__fault_check(inst, api);
    if (SUCCEEDED(hr))
        hr = hnsm__store_readable(inst);
    if (SUCCEEDED(hr)) {
        hnsm__latency_charge(inst, api);
        hr = write ? hnsm__begin_write(inst) : hnsm__begin_read(inst);
        if (SUCCEEDED(hr)) {
            hr = hnsm__finish(inst, op(inst, arg));
        }
    }
    pthread_mutex_unlock(&inst->lock);
    if (SUCCEEDED(hr))
        hnsm__detail_clear();
    return hr;
}

/* A reservation being made. */
typedef struct reservation_request {
    const char *gns_id;
    int protocol;
    int access;
    unsigned first, last;   /* the ports (a range: the span placed) */
    unsigned count;         /* ranges: how many ports the range must span */
    int64_t number;         /* out */
} reservation_request;

/* S_OK when no reservation conflicts with ports first..last of protocol and
 * access (the rule in the table above); otherwise HCN_E_PORT_ALREADY_EXISTS
 * with the detail naming the first reservation in the way. */
static HRESULT find_conflict(hnsm_instance *inst, int protocol, int access, unsigned first,
                             unsigned last)
{
    sqlite3_stmt *st = hnsm__stmt(
        inst, "SELECT handle, gns_id, start_port, end_port FROM port_reservations "
              "WHERE (protocol & ?1) <> 0 AND start_port <= ?3 AND end_port >= ?2 "
              "AND (access = ?4 OR ?5) ORDER BY start_port, handle LIMIT 1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_int(st, 1, protocol);
    sqlite3_bind_int(st, 2, (int)first);
    sqlite3_bind_int(st, 3, (int)last);
    sqlite3_bind_int(st, 4, HCN_PORT_ACCESS_EXCLUSIVE);
    sqlite3_bind_int(st, 5, access == HCN_PORT_ACCESS_EXCLUSIVE);
    int rc = sqlite3_step(st);
    HRESULT hr = S_OK;
    if (rc == SQLITE_ROW)
        hr = hnsm__detail(HNSM_HCN_E_PORT_ALREADY_EXISTS,
                          "ports %u-%u are reserved (reservation %lld, ports %d-%d, by %s)", first,
                          last, (long long)sqlite3_column_int64(st, 0),
                          sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
                          (const char *)sqlite3_column_text(st, 1));
    else if (rc != SQLITE_DONE)
        hr = hnsm__sql_error(inst, rc);
    sqlite3_reset(st);
    return hr;
}

/* Stores the reservation under the next number of the store's counter. */
static HRESULT insert_reservation(hnsm_instance *inst, reservation_request *req)
{
    int64_t last = 0;
    HRESULT hr = hnsm__meta_get_int(inst, "port_reservation_seq", &last);
    if (FAILED(hr) || FAILED(hr = hnsm__meta_set_int(inst, "port_reservation_seq", last + 1)))
        return hr;
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO port_reservations(handle, gns_id, protocol, "
                                        "access, start_port, end_port) VALUES(?1, ?2, ?3, ?4, "
                                        "?5, ?6)");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_int64(st, 1, last + 1);
    sqlite3_bind_text(st, 2, req->gns_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, req->protocol);
    sqlite3_bind_int(st, 4, req->access);
    sqlite3_bind_int(st, 5, (int)req->first);
    sqlite3_bind_int(st, 6, (int)req->last);
    if (SUCCEEDED(hr = hnsm__step_done(inst, st)))
        req->number = last + 1;
    return hr;
}

static HRESULT reserve_port_op(hnsm_instance *inst, void *arg)
{
    reservation_request *req = arg;
    HRESULT hr = hnsm__gns_exists(inst, req->gns_id);
    if (FAILED(hr) ||
        FAILED(hr = find_conflict(inst, req->protocol, req->access, req->first, req->last)))
        return hr;
    return insert_reservation(inst, req);
}

HRESULT hnsm__gns_reserve_port(hnsm_instance *inst, const char *gns_id, int protocol, int access,
                               unsigned port, int64_t *number)
{
    if (protocol < HCN_PORT_PROTOCOL_TCP || protocol > HCN_PORT_PROTOCOL_BOTH)
        return hnsm__detail(HNSM_E_INVALIDARG, "Protocol %d is not TCP (1), UDP (2) or BOTH (3)",
                            protocol);
    if (access != HCN_PORT_ACCESS_EXCLUSIVE && access != HCN_PORT_ACCESS_SHARED)
        return hnsm__detail(HNSM_E_INVALIDARG, "Access %d is not EXCLUSIVE (1) or SHARED (2)",
                            access);
    if (port == 0 || port > 65535)
        return hnsm__detail(HNSM_E_INVALIDARG, "port %u cannot be reserved", port);
    reservation_request req = {gns_id, protocol, access, port, port, 1, 0};
    HRESULT hr = run_call(inst, "HcnReserveGuestNetworkServicePort", true, reserve_port_op, &req);
    if (SUCCEEDED(hr))
        *number = req.number;
    return hr;
}

/* Places a range of req->count ports at the lowest free start (first fit). */
static HRESULT reserve_range_op(hnsm_instance *inst, void *arg)
{
    reservation_request *req = arg;
    HRESULT hr = hnsm__gns_exists(inst, req->gns_id);
    if (FAILED(hr))
        return hr;
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT start_port, end_port FROM port_reservations "
                                        "WHERE end_port >= ?1 AND start_port <= ?2 "
                                        "ORDER BY start_port, end_port");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_int(st, 1, (int)HNSM_DYNAMIC_PORT_FIRST);
    sqlite3_bind_int(st, 2, (int)HNSM_DYNAMIC_PORT_LAST);
    unsigned start = HNSM_DYNAMIC_PORT_FIRST;
    bool placed = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        unsigned used_first = (unsigned)sqlite3_column_int(st, 0);
        unsigned used_last = (unsigned)sqlite3_column_int(st, 1);
        if (start + req->count - 1 < used_first) {
            placed = true;
            break;
        }
        if (used_last + 1 > start)
            start = used_last + 1;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hnsm__sql_error(inst, rc);
    if (!placed && start + req->count - 1 <= HNSM_DYNAMIC_PORT_LAST)
        placed = true;
    if (!placed)
        return hnsm__detail(HNSM_HCN_E_PORT_ALREADY_EXISTS,
                            "no %u free ports left in the dynamic range %u-%u", req->count,
                            HNSM_DYNAMIC_PORT_FIRST, HNSM_DYNAMIC_PORT_LAST);
    req->first = start;
    req->last = start + req->count - 1;
    return insert_reservation(inst, req);
}

HRESULT hnsm__gns_reserve_range(hnsm_instance *inst, const char *gns_id, unsigned count,
                                uint16_t *start, uint16_t *end, int64_t *number)
{
    if (count == 0 || count > 65535)
        return hnsm__detail(HNSM_E_INVALIDARG, "PortCount %u cannot be reserved", count);
    bool plus_count = inst && hnsm__choice(inst, HNSM_CHOICE_PORT_RANGE_END_IS_START_PLUS_COUNT);
    /* A range is always exclusive and for both protocols (the header's comment). */
    reservation_request req = {gns_id, HCN_PORT_PROTOCOL_BOTH, HCN_PORT_ACCESS_EXCLUSIVE, 0, 0,
                               plus_count ? count + 1 : count, 0};
    HRESULT hr = run_call(inst, "HcnReserveGuestNetworkServicePortRange", true, reserve_range_op,
                          &req);
    if (SUCCEEDED(hr)) {
        *start = (uint16_t)req.first;
        *end = (uint16_t)req.last;
        *number = req.number;
    }
    return hr;
}

static HRESULT release_op(hnsm_instance *inst, void *arg)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "DELETE FROM port_reservations WHERE handle = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
    return hnsm__step_done(inst, st);
}

HRESULT hnsm__gns_release_reservation(hnsm_instance *inst, int64_t number)
{
    return run_call(inst, "HcnReleaseGuestNetworkServicePortReservationHandle", true, release_op,
                    &number);
}

typedef struct reservation_list {
    hnsm_port_reservation *items;
    size_t count;
} reservation_list;

/* The VirtualMachineId stored for a service ("" when none). */
static void stored_vm_id(const char *doc_text, char out[HNSM_GUID_TEXT])
{
    out[0] = '\0';
    cJSON *doc = doc_text ? cJSON_Parse(doc_text) : NULL;
    const cJSON *vm = cJSON_GetObjectItem(doc, "VirtualMachineId");
    if (cJSON_IsString(vm))
        snprintf(out, HNSM_GUID_TEXT, "%s", vm->valuestring);
    cJSON_Delete(doc);
}

static HRESULT list_op(hnsm_instance *inst, void *arg)
{
    reservation_list *list = arg;
    sqlite3_stmt *st = hnsm__stmt(
        inst, "SELECT r.handle, r.gns_id, r.protocol, r.access, r.start_port, r.end_port, g.doc "
              "FROM port_reservations r LEFT JOIN guest_network_services g ON g.id = r.gns_id "
              "ORDER BY r.start_port, r.handle");
    if (!st)
        return HNSM_E_FAIL;
    size_t capacity = 0;
    int rc;
    HRESULT hr = S_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (list->count == capacity) {
            size_t grown = capacity ? capacity * 2 : 8;
            hnsm_port_reservation *bigger = realloc(list->items, grown * sizeof *bigger);
            if (!bigger) {
                hr = HNSM_E_OUTOFMEMORY;
                break;
            }
            list->items = bigger;
            capacity = grown;
        }
        hnsm_port_reservation *r = &list->items[list->count++];
        memset(r, 0, sizeof *r);
        r->number = sqlite3_column_int64(st, 0);
        snprintf(r->gns_id, sizeof r->gns_id, "%s", (const char *)sqlite3_column_text(st, 1));
        r->protocol = sqlite3_column_int(st, 2);
        r->access = sqlite3_column_int(st, 3);
        r->start_port = (uint16_t)sqlite3_column_int(st, 4);
        r->end_port = (uint16_t)sqlite3_column_int(st, 5);
        stored_vm_id((const char *)sqlite3_column_text(st, 6), r->vm_id);
    }
    sqlite3_reset(st);
    if (SUCCEEDED(hr) && rc != SQLITE_DONE)
        hr = hnsm__sql_error(inst, rc);
    return hr;
}

HRESULT hnsm__gns_list_reservations(hnsm_instance *inst, hnsm_port_reservation **out,
                                    size_t *count)
{
    reservation_list list = {NULL, 0};
    HRESULT hr = run_call(inst, "HcnEnumerateGuestNetworkPortReservations", false, list_op, &list);
    if (FAILED(hr)) {
        free(list.items);
        list.items = NULL;
        list.count = 0;
    }
    *out = list.items;
    *count = list.count;
    return hr;
}
