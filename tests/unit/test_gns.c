/*
 * test_gns.c - the guest network service, its callbacks and its port
 * reservations through the wide-string HCN API (hns-mock/gns.c,
 * hns-mock/hcn_service.c; hcn-api.md 1.2-1.4, 2.7).
 *
 * Covers: the create/open/query/modify/enumerate/close/delete family with
 * WSL's documents, the ErrorRecord contract, stale handles (E_HANDLE) and
 * missing services (ERROR_NOT_FOUND); fields and states gated by the
 * profile's schema (ws2019 2.0, ws2022 2.11, ws2025 2.16);
 * HcnRegisterServiceCallback hearing network and service create/delete but
 * not a service's state, on a thread that is not the caller's, with
 * NotificationStatus S_OK and the NotificationData as a wide string; a
 * guest network service's callback hearing only its own state changes, and
 * only changes; a callback calling the HCN API; a callback unregistering
 * itself; ServiceDisconnect (NULL data) when the instance closes, and
 * unregistering afterwards; unregister errors (NULL, unknown, double, the
 * other kind's handle); port reservations: exclusive vs shared per protocol
 * across services, release and re-reservation, stale reservation handles,
 * argument errors, first-fit ranges from 49152 with both settings of
 * PORT_RANGE_END_IS_START_PLUS_COUNT, a range skipping a single port,
 * exhaustion (HCN_E_PORT_ALREADY_EXISTS, field-bugs.md B1), the enumerated
 * entries, a deleted service releasing its reservations (choice
 * GNS_DELETE_RELEASES_PORTS, both ways), and an injected fault.
 */
#include "unit.h"

#include "guid.h"
#include "hresult.h"
#include "wstr.h"

#include <computenetwork.h>

#include <pthread.h>
#include <stdio.h>

#define VM_ID "6F1E4A52-3C0B-4D7E-9A41-1B2C3D4E5F60"
#define WSL_BODY                                                                                   \
    L"{\"VirtualMachineId\":\"6f1e4a52-3c0b-4d7e-9a41-1b2c3d4e5f60\",\"MirrorHostNetworking\":"    \
    L"true,\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"GnsRpcServerInformation\":{"              \
    L"\"EndpointType\":\"LRpc\",\"ObjectUuid\":\"0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9\"},"         \
    L"\"Flags\":3}"
#define QUERY_V2 L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"
#define STATE_REQUEST(state)                                                                       \
    L"{\"ResourceType\":\"State\",\"RequestType\":\"Update\",\"Settings\":{\"State\":\"" state   \
    L"\"}}"

/* ---- fixtures ---------------------------------------------------------------- */

static hnsm_instance *use_instance(const char *profile)
{
    hnsm_config config = {0};
    config.profile = profile;
    config.seed = 11;
    config.seed_set = 1;
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    hnsm_use(inst);
    return inst;
}

static void done_instance(hnsm_instance *inst)
{
    hnsm_use(NULL);
    hnsm_close(inst);
}

static GUID guid_of(const char *text)
{
    GUID g;
    assert_true(hnsm__guid_parse(text, &g));
    return g;
}

/* A wide string as UTF-8 (freed by the caller), for comparisons. */
static char *narrow(PCWSTR ws)
{
    char *s = NULL;
    assert_int_equal(hnsm__wide_to_utf8(ws, &s), WSTR_OK);
    return s;
}

/* Creates a guest network service with settings; returns its handle. */
static HCN_GUESTNETWORKSERVICE create_gns(const char *id, PCWSTR settings)
{
    GUID g = id ? guid_of(id) : (GUID){0};
    HCN_GUESTNETWORKSERVICE h = NULL;
    PWSTR error = (PWSTR)1;
    HRESULT hr = HcnCreateGuestNetworkService(&g, settings, &h, &error);
    if (FAILED(hr))
        fail_msg("create: 0x%08X (%s)", (unsigned)hr, hnsm_last_detail());
    assert_null(error);
    assert_non_null(h);
    return h;
}

/* The properties of h as parsed JSON (caller deletes). */
static cJSON *query(HCN_GUESTNETWORKSERVICE h)
{
    PWSTR props = NULL, error = (PWSTR)1;
    assert_succeeded(HcnQueryGuestNetworkServiceProperties(h, QUERY_V2, &props, &error));
    assert_null(error);
    char *text = narrow(props);
    CoTaskMemFree(props);
    cJSON *doc = parse_json(text);
    free(text);
    return doc;
}

static void set_state(HCN_GUESTNETWORKSERVICE h, PCWSTR request)
{
    PWSTR error = (PWSTR)1;
    assert_succeeded(HcnModifyGuestNetworkService(h, request, &error));
    assert_null(error);
}

/* ---- the object ------------------------------------------------------------------ */

static void gns_lifecycle_through_the_hcn_api(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    HCN_GUESTNETWORKSERVICE h = create_gns(VM_ID, WSL_BODY);
    cJSON *doc = query(h);
    assert_json(doc, "{\"ID\":\"" VM_ID "\",\"VirtualMachineId\":\"" VM_ID "\",\"MirrorHostNetworking\""
                     ":true,\"GnsRpcServerInformation\":{\"EndpointType\":\"LRpc\",\"ObjectUuid\":"
                     "\"0A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9\"},\"State\":1,\"SchemaVersion\":{"
                     "\"Major\":2,\"Minor\":11}}");
    cJSON_Delete(doc);

    /* WSL moves it to Bootstrapping, then Synchronized. */
    set_state(h, STATE_REQUEST(L"Bootstrapping"));
    set_state(h, STATE_REQUEST(L"Synchronized"));
    doc = query(h);
    assert_int_equal(cJSON_GetObjectItem(doc, "State")->valueint, 3);
    cJSON_Delete(doc);

    PWSTR list = NULL, error = (PWSTR)1;
    assert_succeeded(HcnEnumerateGuestNetworkServices(NULL, &list, &error));
    assert_null(error);
    char *text = narrow(list);
    assert_string_equal(text, "[\"" VM_ID "\"]");
    free(text);
    CoTaskMemFree(list);

    GUID id = guid_of(VM_ID);
    HCN_GUESTNETWORKSERVICE opened = NULL;
    assert_succeeded(HcnOpenGuestNetworkService(&id, &opened, NULL));
    assert_non_null(opened);
    assert_succeeded(HcnCloseGuestNetworkService(opened));
    assert_hr(HcnCloseGuestNetworkService(opened), HNSM_E_HANDLE); /* already closed */
    assert_hr(HcnCloseGuestNetworkService(NULL), HNSM_E_INVALIDARG);
    PWSTR props = (PWSTR)1;
    assert_hr(HcnQueryGuestNetworkServiceProperties(opened, QUERY_V2, &props, NULL), HNSM_E_HANDLE);
    assert_null(props);

    error = (PWSTR)1;
    assert_succeeded(HcnDeleteGuestNetworkService(&id, &error));
    assert_null(error);
    /* A handle only names the service: it outlives it, and finds nothing. */
    assert_hr(HcnQueryGuestNetworkServiceProperties(h, QUERY_V2, &props, &error),
              HNSM_HRESULT_ERROR_NOT_FOUND);
    assert_non_null(error);
    text = narrow(error);
    assert_string_equal(text, "{\"Success\":false,\"Error\":\"Element not found. \",\"ErrorCode\":"
                              "2147943568}");
    free(text);
    CoTaskMemFree(error);
    assert_hr(HcnOpenGuestNetworkService(&id, &opened, NULL), HNSM_HRESULT_ERROR_NOT_FOUND);
    assert_null(opened);
    assert_succeeded(HcnCloseGuestNetworkService(h));
    done_instance(inst);
}

/* gns.c's table: fields newer than the profile's schema are not kept. */
static void fields_follow_the_profile_schema(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2025"); /* schema 2.16: everything */
    HCN_GUESTNETWORKSERVICE h = create_gns(VM_ID, WSL_BODY);
    cJSON *doc = query(h);
    assert_int_equal(cJSON_GetObjectItem(doc, "Flags")->valueint, 3);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "MirrorHostNetworking")));
    cJSON_Delete(doc);
    assert_succeeded(HcnCloseGuestNetworkService(h));
    done_instance(inst);

    inst = use_instance("ws2019"); /* schema 2.0 */
    h = create_gns(VM_ID, WSL_BODY);
    doc = query(h);
    assert_json(doc, "{\"ID\":\"" VM_ID "\",\"VirtualMachineId\":\"" VM_ID "\",\"State\":1,"
                     "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
    cJSON_Delete(doc);
    /* Desynchronized arrived with schema 2.5. */
    PWSTR error = NULL;
    assert_hr(HcnModifyGuestNetworkService(h, STATE_REQUEST(L"Desynchronized"), &error),
              HNSM_E_INVALIDARG);
    assert_non_null(error);
    CoTaskMemFree(error);
    set_state(h, STATE_REQUEST(L"Paused"));
    assert_succeeded(HcnCloseGuestNetworkService(h));
    done_instance(inst);
}

/* ---- callbacks ------------------------------------------------------------------- */

#define MAX_EVENTS 32

typedef struct heard {
    pthread_mutex_t lock;
    int count;
    DWORD types[MAX_EVENTS];
    char data[MAX_EVENTS][200];
    HRESULT status[MAX_EVENTS];
    pthread_t thread[MAX_EVENTS];
    HRESULT enumerate_hr;        /* what HcnEnumerateNetworks said inside the callback */
    HCN_CALLBACK unregister_me;  /* unregistered by the first callback */
} heard;

static void heard_init(heard *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    h->enumerate_hr = E_FAIL;
}

static void CALLBACK on_notification(DWORD type, void *context, HRESULT status, PCWSTR data)
{
    heard *h = context;
    char *text = NULL;
    if (data && hnsm__wide_to_utf8(data, &text) != WSTR_OK)
        text = NULL;
    pthread_mutex_lock(&h->lock);
    HCN_CALLBACK unregister = h->count == 0 ? h->unregister_me : NULL;
    if (h->count < MAX_EVENTS) {
        h->types[h->count] = type;
        snprintf(h->data[h->count], sizeof h->data[0], "%s", text ? text : "(null)");
        h->status[h->count] = status;
        h->thread[h->count] = pthread_self();
        h->count++;
    }
    pthread_mutex_unlock(&h->lock);
    free(text);
    if (unregister)
        HcnUnregisterServiceCallback(unregister);
    if (type == HcnNotificationNetworkCreate) {
        PWSTR list = NULL;
        HRESULT hr = HcnEnumerateNetworks(NULL, &list, NULL);
        CoTaskMemFree(list);
        pthread_mutex_lock(&h->lock);
        h->enumerate_hr = hr;
        pthread_mutex_unlock(&h->lock);
    }
}

static HCN_NETWORK create_network(char id[HNSM_GUID_TEXT])
{
    HCN_NETWORK net = NULL;
    GUID none = {0};
    assert_succeeded(HcnCreateNetwork(&none, L"{\"Name\":\"nat\",\"Type\":\"NAT\"," 
                                             L"\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                      &net, NULL));
    PWSTR props = NULL;
    assert_succeeded(HcnQueryNetworkProperties(net, QUERY_V2, &props, NULL));
    char *text = narrow(props);
    CoTaskMemFree(props);
    cJSON *doc = parse_json(text);
    free(text);
    snprintf(id, HNSM_GUID_TEXT, "%s", cJSON_GetObjectItem(doc, "ID")->valuestring);
    cJSON_Delete(doc);
    return net;
}

/* hcn-api.md 1.4: service callbacks hear service-handle notifications. */
static void service_callbacks_hear_creates_and_deletes(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    heard h;
    heard_init(&h);
    HCN_CALLBACK cb = NULL;
    assert_succeeded(HcnRegisterServiceCallback(on_notification, &h, &cb));
    assert_non_null(cb);

    char net_id[HNSM_GUID_TEXT];
    HCN_NETWORK net = create_network(net_id);
    HCN_GUESTNETWORKSERVICE g = create_gns(VM_ID, WSL_BODY);
    set_state(g, STATE_REQUEST(L"Bootstrapping")); /* a GNS-handle notification: not heard */
    GUID id = guid_of(VM_ID);
    assert_succeeded(HcnDeleteGuestNetworkService(&id, NULL));
    hnsm_notifications_drain(inst);
    hnsm_notifications_drain(inst); /* anything the callback's own call raised */

    assert_int_equal(h.count, 3);
    char want[200];
    snprintf(want, sizeof want, "{\"ID\":\"%s\",\"Flags\":0}", net_id);
    assert_int_equal(h.types[0], HcnNotificationNetworkCreate);
    assert_string_equal(h.data[0], want);
    assert_int_equal(h.types[1], HcnNotificationGuestNetworkServiceCreate);
    assert_string_equal(h.data[1], "{\"ID\":\"" VM_ID "\",\"Flags\":0}");
    assert_int_equal(h.types[2], HcnNotificationGuestNetworkServiceDelete);
    assert_string_equal(h.data[2], "{\"ID\":\"" VM_ID "\",\"Flags\":0}");
    for (int i = 0; i < h.count; i++) {
        assert_hr(h.status[i], S_OK);
        assert_false(pthread_equal(h.thread[i], pthread_self()));
    }
    /* The callback called HcnEnumerateNetworks without deadlocking. */
    assert_hr(h.enumerate_hr, S_OK);

    assert_succeeded(HcnUnregisterServiceCallback(cb));
    assert_hr(HcnUnregisterServiceCallback(cb), HNSM_E_HANDLE); /* twice */
    assert_hr(HcnUnregisterServiceCallback(NULL), HNSM_E_INVALIDARG);
    assert_hr(HcnUnregisterServiceCallback((HCN_CALLBACK)(uintptr_t)0x1234), HNSM_E_HANDLE);
    assert_hr(HcnUnregisterServiceCallback(net), HNSM_E_HANDLE); /* a network handle */
    HCN_CALLBACK none = (HCN_CALLBACK)1;
    assert_hr(HcnRegisterServiceCallback(NULL, NULL, &none), HNSM_E_INVALIDARG);
    assert_null(none);
    assert_hr(HcnRegisterServiceCallback(on_notification, NULL, NULL), HNSM_E_POINTER);

    /* Nothing more reaches the unregistered callback. */
    GUID nid = guid_of(net_id);
    assert_succeeded(HcnDeleteNetwork(&nid, NULL));
    hnsm_notifications_drain(inst);
    assert_int_equal(h.count, 3);
    assert_succeeded(HcnCloseNetwork(net));
    assert_succeeded(HcnCloseGuestNetworkService(g));
    done_instance(inst);
    pthread_mutex_destroy(&h.lock);
}

/* A guest network service's callback hears its own state changes, with
 * Data {"State"} (GuestNetworkServiceNotificationData), and only changes. */
static void gns_callbacks_hear_their_own_state_changes(void **state)
{
    (void)state;
    static const char other_id[] = "7A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9";
    hnsm_instance *inst = use_instance("ws2022");
    HCN_GUESTNETWORKSERVICE a = create_gns(VM_ID, WSL_BODY);
    HCN_GUESTNETWORKSERVICE b = create_gns(other_id, L"{}");
    heard h;
    heard_init(&h);
    HCN_CALLBACK cb = NULL;
    assert_succeeded(HcnRegisterGuestNetworkServiceCallback(a, on_notification, &h, &cb));
    set_state(a, STATE_REQUEST(L"Bootstrapping"));
    set_state(b, STATE_REQUEST(L"Bootstrapping"));
    set_state(a, STATE_REQUEST(L"Bootstrapping")); /* no change, no notification */
    set_state(a, STATE_REQUEST(L"Synchronized"));
    hnsm_notifications_drain(inst);
    assert_int_equal(h.count, 2);
    assert_int_equal(h.types[0], HcnNotificationGuestNetworkServiceStateChanged);
    assert_string_equal(h.data[0], "{\"ID\":\"" VM_ID "\",\"Flags\":0,\"Data\":{\"State\":"
                                   "\"Bootstrapping\"}}");
    assert_string_equal(h.data[1], "{\"ID\":\"" VM_ID "\",\"Flags\":0,\"Data\":{\"State\":"
                                   "\"Synchronized\"}}");

    /* The other kind's unregister refuses the handle; its own takes it. */
    assert_hr(HcnUnregisterServiceCallback(cb), HNSM_E_HANDLE);
    assert_succeeded(HcnUnregisterGuestNetworkServiceCallback(cb));
    assert_hr(HcnUnregisterGuestNetworkServiceCallback(cb), HNSM_E_HANDLE);
    assert_hr(HcnUnregisterGuestNetworkServiceCallback(NULL), HNSM_E_INVALIDARG);

    /* Registration errors. */
    HCN_CALLBACK bad = (HCN_CALLBACK)1;
    assert_hr(HcnRegisterGuestNetworkServiceCallback(NULL, on_notification, &h, &bad),
              HNSM_E_INVALIDARG);
    assert_null(bad);
    assert_hr(HcnRegisterGuestNetworkServiceCallback(a, NULL, &h, &bad), HNSM_E_INVALIDARG);
    GUID bid = guid_of(other_id);
    assert_succeeded(HcnDeleteGuestNetworkService(&bid, NULL));
    assert_hr(HcnRegisterGuestNetworkServiceCallback(b, on_notification, &h, &bad),
              HNSM_HRESULT_ERROR_NOT_FOUND);
    assert_succeeded(HcnCloseGuestNetworkService(b));
    assert_hr(HcnRegisterGuestNetworkServiceCallback(b, on_notification, &h, &bad), HNSM_E_HANDLE);
    assert_succeeded(HcnCloseGuestNetworkService(a));
    done_instance(inst);
    pthread_mutex_destroy(&h.lock);
}

static void a_callback_may_unregister_itself(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    heard h;
    heard_init(&h);
    HCN_CALLBACK cb = NULL;
    pthread_mutex_lock(&h.lock);
    assert_succeeded(HcnRegisterServiceCallback(on_notification, &h, &cb));
    h.unregister_me = cb;
    pthread_mutex_unlock(&h.lock);
    HCN_GUESTNETWORKSERVICE g1 = create_gns(NULL, L"{}");
    HCN_GUESTNETWORKSERVICE g2 = create_gns(NULL, L"{}");
    hnsm_notifications_drain(inst);
    assert_int_equal(h.count, 1);
    assert_hr(HcnUnregisterServiceCallback(cb), HNSM_E_HANDLE); /* already gone */
    HcnCloseGuestNetworkService(g1);
    HcnCloseGuestNetworkService(g2);
    done_instance(inst);
    pthread_mutex_destroy(&h.lock);
}

/* hcn_service.c: HcnNotificationServiceDisconnect (no data) when the
 * instance closes; the registration must still be unregistered. */
static void closing_the_instance_disconnects_callbacks(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    heard h;
    heard_init(&h);
    HCN_CALLBACK cb = NULL;
    assert_succeeded(HcnRegisterServiceCallback(on_notification, &h, &cb));
    HCN_GUESTNETWORKSERVICE g = create_gns(NULL, L"{}");
    assert_succeeded(HcnCloseGuestNetworkService(g));
    done_instance(inst);
    assert_int_equal(h.count, 2);
    assert_int_equal(h.types[0], HcnNotificationGuestNetworkServiceCreate);
    assert_int_equal(h.types[1], HcnNotificationServiceDisconnect);
    assert_string_equal(h.data[1], "(null)");
    assert_succeeded(HcnUnregisterServiceCallback(cb));
    pthread_mutex_destroy(&h.lock);
}

/* ---- port reservations ----------------------------------------------------------- */

static HANDLE reserve(HCN_GUESTNETWORKSERVICE g, HCN_PORT_PROTOCOL protocol,
                      HCN_PORT_ACCESS access, USHORT port, HRESULT expected)
{
    HANDLE r = (HANDLE)1;
    assert_hr(HcnReserveGuestNetworkServicePort(g, protocol, access, port, &r), expected);
    if (SUCCEEDED(expected))
        assert_non_null(r);
    else
        assert_null(r);
    return r;
}

static void exclusive_and_shared_reservations(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    HCN_GUESTNETWORKSERVICE a = create_gns(VM_ID, WSL_BODY);
    HCN_GUESTNETWORKSERVICE b = create_gns(NULL, L"{}");
    const HRESULT taken = HNSM_HCN_E_PORT_ALREADY_EXISTS;

    /* Exclusive: refused to the next reservation of the same protocol, by
     * anyone; another protocol is another port. */
    HANDLE tcp8080 = reserve(a, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);
    reserve(a, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, taken);
    reserve(b, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_SHARED, 8080, taken);
    reserve(b, HCN_PORT_PROTOCOL_BOTH, HCN_PORT_ACCESS_EXCLUSIVE, 8080, taken);
    HANDLE udp8080 = reserve(b, HCN_PORT_PROTOCOL_UDP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);

    /* Shared: coexists with shared (WSL's multicast binds), never with exclusive. */
    HANDLE mdns1 = reserve(a, HCN_PORT_PROTOCOL_UDP, HCN_PORT_ACCESS_SHARED, 5353, S_OK);
    HANDLE mdns2 = reserve(b, HCN_PORT_PROTOCOL_UDP, HCN_PORT_ACCESS_SHARED, 5353, S_OK);
    reserve(a, HCN_PORT_PROTOCOL_UDP, HCN_PORT_ACCESS_EXCLUSIVE, 5353, taken);
    reserve(a, HCN_PORT_PROTOCOL_BOTH, HCN_PORT_ACCESS_EXCLUSIVE, 5353, taken);
    HANDLE tcp5353 = reserve(a, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 5353, S_OK);

    /* Released on handle release: the port is free again, the handle is stale. */
    assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(tcp8080));
    assert_hr(HcnReleaseGuestNetworkServicePortReservationHandle(tcp8080), HNSM_E_HANDLE);
    HANDLE again = reserve(b, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);
    assert_hr(HcnReleaseGuestNetworkServicePortReservationHandle(tcp8080), HNSM_E_HANDLE);

    /* Argument errors. */
    assert_hr(HcnReleaseGuestNetworkServicePortReservationHandle(NULL), HNSM_E_INVALIDARG);
    assert_hr(HcnReleaseGuestNetworkServicePortReservationHandle((HANDLE)a), HNSM_E_HANDLE);
    reserve(a, (HCN_PORT_PROTOCOL)0, HCN_PORT_ACCESS_EXCLUSIVE, 80, HNSM_E_INVALIDARG);
    reserve(a, (HCN_PORT_PROTOCOL)4, HCN_PORT_ACCESS_EXCLUSIVE, 80, HNSM_E_INVALIDARG);
    reserve(a, HCN_PORT_PROTOCOL_TCP, (HCN_PORT_ACCESS)0, 80, HNSM_E_INVALIDARG);
    reserve(a, HCN_PORT_PROTOCOL_TCP, (HCN_PORT_ACCESS)3, 80, HNSM_E_INVALIDARG);
    reserve(a, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 0, HNSM_E_INVALIDARG);
    reserve(NULL, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 80, HNSM_E_INVALIDARG);
    reserve((HCN_GUESTNETWORKSERVICE)(uintptr_t)0x4321, HCN_PORT_PROTOCOL_TCP,
            HCN_PORT_ACCESS_EXCLUSIVE, 80, HNSM_E_HANDLE);
    assert_hr(HcnReserveGuestNetworkServicePort(a, HCN_PORT_PROTOCOL_TCP,
                                                HCN_PORT_ACCESS_EXCLUSIVE, 80, NULL),
              HNSM_E_POINTER);

    /* The list: by first port, with the owning service and its VM. */
    ULONG count = 99;
    HCN_PORT_RANGE_ENTRY *entries = NULL;
    assert_succeeded(HcnEnumerateGuestNetworkPortReservations(&count, &entries));
    assert_int_equal(count, 5);
    GUID vm = guid_of(VM_ID), zero = {0};
    static const struct {
        USHORT port;
        HCN_PORT_PROTOCOL protocol;
        UINT32 access;
        bool by_a;
    } want[] = {{5353, HCN_PORT_PROTOCOL_UDP, 2, true},
                {5353, HCN_PORT_PROTOCOL_UDP, 2, false},
                {5353, HCN_PORT_PROTOCOL_TCP, 1, true},
                {8080, HCN_PORT_PROTOCOL_UDP, 1, false},
                {8080, HCN_PORT_PROTOCOL_TCP, 1, false}};
    for (ULONG i = 0; i < count; i++) {
        assert_int_equal(entries[i].StartingPort, want[i].port);
        assert_int_equal(entries[i].EndingPort, want[i].port);
        assert_int_equal(entries[i].Protocol, want[i].protocol);
        assert_int_equal(entries[i].ReservationType, want[i].access);
        if (want[i].by_a) {
            assert_memory_equal(&entries[i].OwningPartitionId, &vm, sizeof vm);
            assert_memory_equal(&entries[i].TargetPartitionId, &vm, sizeof vm);
        } else {
            assert_memory_not_equal(&entries[i].OwningPartitionId, &vm, sizeof vm);
            assert_memory_equal(&entries[i].TargetPartitionId, &zero, sizeof zero);
        }
    }
    HcnFreeGuestNetworkPortReservations(entries);
    HcnFreeGuestNetworkPortReservations(NULL);
    assert_hr(HcnEnumerateGuestNetworkPortReservations(NULL, &entries), HNSM_E_POINTER);
    assert_hr(HcnEnumerateGuestNetworkPortReservations(&count, NULL), HNSM_E_POINTER);

    HANDLE all[] = {udp8080, mdns1, mdns2, tcp5353, again};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(all[i]));
    assert_succeeded(HcnEnumerateGuestNetworkPortReservations(&count, &entries));
    assert_int_equal(count, 0);
    assert_null(entries);
    HcnCloseGuestNetworkService(a);
    HcnCloseGuestNetworkService(b);
    done_instance(inst);
}

static HANDLE reserve_range(HCN_GUESTNETWORKSERVICE g, USHORT count, USHORT first, USHORT last)
{
    HCN_PORT_RANGE_RESERVATION range = {0, 0};
    HANDLE r = NULL;
    assert_succeeded(HcnReserveGuestNetworkServicePortRange(g, count, &range, &r));
    assert_non_null(r);
    assert_int_equal(range.startingPort, first);
    assert_int_equal(range.endingPort, last);
    return r;
}

/* gns.c: first fit in 49152-65535, exclusive on both protocols. */
static void ranges_are_placed_first_fit_in_the_dynamic_range(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    HCN_GUESTNETWORKSERVICE g = create_gns(VM_ID, WSL_BODY);

    /* WSL's 4095-port range: endingPort - startingPort == PortCount
     * (choice PORT_RANGE_END_IS_START_PLUS_COUNT). */
    HANDLE wsl = reserve_range(g, 4095, 49152, 53247);
    HANDLE second = reserve_range(g, 64, 53248, 53312);
    /* Ranges hold both protocols exclusively. */
    reserve(g, HCN_PORT_PROTOCOL_UDP, HCN_PORT_ACCESS_SHARED, 53300, HNSM_HCN_E_PORT_ALREADY_EXISTS);
    /* A single shared UDP port in the way: the next range goes after it. */
    HANDLE single = reserve(g, HCN_PORT_PROTOCOL_UDP, HCN_PORT_ACCESS_SHARED, 53350, S_OK);
    HANDLE third = reserve_range(g, 64, 53351, 53415);
    /* A freed range is reused first. */
    assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(second));
    HANDLE fourth = reserve_range(g, 10, 53248, 53258);

    /* 0 = exactly PortCount ports. */
    assert_int_equal(hnsm_set_choice(inst, "PORT_RANGE_END_IS_START_PLUS_COUNT", 0), 0);
    HANDLE exact = reserve_range(g, 10, 53259, 53268);

    /* Exhaustion, and argument errors. */
    HCN_PORT_RANGE_RESERVATION range = {1, 1};
    HANDLE r = (HANDLE)1;
    assert_hr(HcnReserveGuestNetworkServicePortRange(g, 60000, &range, &r),
              HNSM_HCN_E_PORT_ALREADY_EXISTS);
    assert_null(r);
    assert_hr(HcnReserveGuestNetworkServicePortRange(g, 0, &range, &r), HNSM_E_INVALIDARG);
    assert_hr(HcnReserveGuestNetworkServicePortRange(g, 10, NULL, &r), HNSM_E_POINTER);
    assert_hr(HcnReserveGuestNetworkServicePortRange(g, 10, &range, NULL), HNSM_E_POINTER);

    ULONG count = 0;
    HCN_PORT_RANGE_ENTRY *entries = NULL;
    assert_succeeded(HcnEnumerateGuestNetworkPortReservations(&count, &entries));
    assert_int_equal(count, 5);
    assert_int_equal(entries[0].StartingPort, 49152);
    assert_int_equal(entries[0].EndingPort, 53247);
    assert_int_equal(entries[0].Protocol, HCN_PORT_PROTOCOL_BOTH);
    assert_int_equal(entries[0].ReservationType, HCN_PORT_ACCESS_EXCLUSIVE);
    assert_int_equal(entries[3].StartingPort, 53350);
    HcnFreeGuestNetworkPortReservations(entries);

    HANDLE all[] = {wsl, single, third, fourth, exact};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(all[i]));
    HcnCloseGuestNetworkService(g);
    done_instance(inst);
}

/* Choice GNS_DELETE_RELEASES_PORTS, both ways; a deleted service reserves nothing. */
static void deleting_a_service_releases_its_reservations(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    HCN_GUESTNETWORKSERVICE g = create_gns(VM_ID, WSL_BODY);
    HANDLE port = reserve(g, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);
    GUID id = guid_of(VM_ID);
    assert_succeeded(HcnDeleteGuestNetworkService(&id, NULL));
    ULONG count = 9;
    HCN_PORT_RANGE_ENTRY *entries = NULL;
    assert_succeeded(HcnEnumerateGuestNetworkPortReservations(&count, &entries));
    assert_int_equal(count, 0);
    reserve(g, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8081,
            HNSM_HRESULT_ERROR_NOT_FOUND);
    /* The handle is still valid and releases nothing. */
    assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(port));
    HcnCloseGuestNetworkService(g);

    assert_int_equal(hnsm_set_choice(inst, "GNS_DELETE_RELEASES_PORTS", 0), 0);
    g = create_gns(VM_ID, WSL_BODY);
    port = reserve(g, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);
    assert_succeeded(HcnDeleteGuestNetworkService(&id, NULL));
    HCN_GUESTNETWORKSERVICE other = create_gns(NULL, L"{}");
    reserve(other, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080,
            HNSM_HCN_E_PORT_ALREADY_EXISTS);
    assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(port));
    HANDLE now = reserve(other, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);
    assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(now));
    HcnCloseGuestNetworkService(g);
    HcnCloseGuestNetworkService(other);
    done_instance(inst);
}

/* Reservations are calls like any other: a fault rule names them. */
static void reservations_take_injected_faults(void **state)
{
    (void)state;
    hnsm_instance *inst = use_instance("ws2022");
    HCN_GUESTNETWORKSERVICE g = create_gns(NULL, L"{}");
    hnsm_fault fault = {0};
    fault.api = "HcnReserveGuestNetworkServicePort";
    fault.hr = HNSM_E_OUTOFMEMORY;
    fault.mode = HNSM_FAULT_NTH;
    fault.nth = 1;
    assert_int_equal(hnsm_fault_add(inst, &fault), 0);
    reserve(g, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, HNSM_E_OUTOFMEMORY);
    HANDLE r = reserve(g, HCN_PORT_PROTOCOL_TCP, HCN_PORT_ACCESS_EXCLUSIVE, 8080, S_OK);
    assert_int_equal(hnsm_call_count(inst, "HcnReserveGuestNetworkServicePort"), 2);
    assert_succeeded(HcnReleaseGuestNetworkServicePortReservationHandle(r));
    HcnCloseGuestNetworkService(g);
    done_instance(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gns_lifecycle_through_the_hcn_api),
        cmocka_unit_test(fields_follow_the_profile_schema),
        cmocka_unit_test(service_callbacks_hear_creates_and_deletes),
        cmocka_unit_test(gns_callbacks_hear_their_own_state_changes),
        cmocka_unit_test(a_callback_may_unregister_itself),
        cmocka_unit_test(closing_the_instance_disconnects_callbacks),
        cmocka_unit_test(exclusive_and_shared_reservations),
        cmocka_unit_test(ranges_are_placed_first_fit_in_the_dynamic_range),
        cmocka_unit_test(deleting_a_service_releases_its_reservations),
        cmocka_unit_test(reservations_take_injected_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
