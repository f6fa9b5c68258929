/*
 * hcn_service.c - the notification-callback and port-reservation entry points
 * of computenetwork.h (the guest network service object itself goes through
 * hcn_api.c like every other kind).
 *
 * A callback registration is a subscription (notify.c) of the current
 * instance, or of hnsd when HNSIM_HNSD is set. Its HCN_NOTIFICATION_CALLBACK
 * runs on that instance's delivery thread (hnsmock.h), never inside the call
 * that caused the notification, with NotificationStatus S_OK and the
 * NotificationData as a wide string valid for the call only. What each
 * registration hears is notify.c's table: a service callback hears network,
 * namespace and guest-network-service create/delete and endpoint
 * attach/detach; a guest network service's callback hears that service's
 * state changes. Both hear HcnNotificationServiceDisconnect (NULL data) when
 * the instance closes or the service restarts, and nothing after it: the
 * registration is dead, as an RPC registration dies with the service, but its
 * handle must still be unregistered to free it.
 *
 * Handles (callbacks and port reservations) live in the process handle table
 * (handles.h) under two kinds of their own, so a stale, double-released or
 * foreign handle is recognised and refused, never followed:
 *
 * | call | NULL handle | unknown, released, or of another kind |
 * |---|---|---|
 * | HcnUnregisterServiceCallback / HcnUnregisterGuestNetworkServiceCallback | E_INVALIDARG | E_HANDLE (a service callback handle given to the guest-network-service unregister, or the reverse, too) |
 * | HcnReserveGuestNetworkServicePort(Range), HcnRegisterGuestNetworkServiceCallback (service handle) | E_INVALIDARG | E_HANDLE |
 * | HcnReleaseGuestNetworkServicePortReservationHandle | E_INVALIDARG | E_HANDLE |
 *
 * Unregistering waits for a running callback to return (hnsm_unsubscribe),
 * except from inside that callback, where it returns at once. The port rules
 * are in gns.c. Through hnsd (HNSIM_HNSD) callbacks work (filtered here by
 * scope) and port reservations are held by this process's connection to the
 * daemon, which releases them when the process goes (docs/hnsd-protocol.md).
 */
#include <computenetwork.h>

#include "backend.h"
#include "detail.h"
#include "guid.h"
#include "handles.h"
#include "hresult.h"
#include "wstr.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Kinds of handle beyond the object kinds, in the same table. */
#define HANDLE_KIND_PORT_RESERVATION ((hnsm_kind)HNSM_KIND_COUNT)
#define HANDLE_KIND_CALLBACK ((hnsm_kind)(HNSM_KIND_COUNT + 1))

/* ---- callbacks -------------------------------------------------------------- */

typedef struct registration {
    struct registration *next;
    uint64_t serial;                 /* the key its handle carries */
    bool on_gns;                     /* made by HcnRegisterGuestNetworkServiceCallback */
    HCN_NOTIFICATION_CALLBACK callback;
    void *context;
    hnsm_backend_subscription *sub;  /* in process or through hnsd (backend.h) */
} registration;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static registration *registry;
static uint64_t registry_serial;

/* The handle-table key of a serial or reservation number. */
static void key_text(uint64_t n, char out[HNSM_GUID_TEXT])
{
    memset(out, 0, HNSM_GUID_TEXT);
    snprintf(out, HNSM_GUID_TEXT, "%llu", (unsigned long long)n);
}

/* Runs on the delivery thread: hands one notification to the callback. */
static void deliver(uint32_t type, const char *data, void *context)
{
    const registration *reg = context;
    if (data && !*data)
        data = NULL; /* hnsd sends ServiceDisconnect's missing data as "" */
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
    reg->callback = callback;
    reg->context = context;
    HRESULT hr = hnsm__backend_subscribe(on_gns, gns_id, deliver, reg, &reg->sub);
    if (FAILED(hr)) {
        free(reg);
        return hr;
    }
    char key[HNSM_GUID_TEXT];
    pthread_mutex_lock(&registry_lock);
    reg->serial = ++registry_serial;
    key_text(reg->serial, key);
    *handle = hnsm__handle_new(HANDLE_KIND_CALLBACK, key);
    if (*handle) {
        reg->next = registry;
        registry = reg;
    }
    pthread_mutex_unlock(&registry_lock);
    if (!*handle) {
        hnsm__backend_unsubscribe(reg->sub);
        free(reg);
        return HNSM_E_OUTOFMEMORY;
    }
    return S_OK;
}

/* Ends the registration behind handle when it was made on_gns (or not). */
static HRESULT unregister_callback(HCN_CALLBACK handle, bool on_gns)
{
    if (!handle)
        return HNSM_E_INVALIDARG;
    char key[HNSM_GUID_TEXT];
    registration *reg = NULL;
    pthread_mutex_lock(&registry_lock);
    if (hnsm__handle_get(handle, HANDLE_KIND_CALLBACK, key)) {
        unsigned long long serial = strtoull(key, NULL, 10);
        registration **link = &registry;
        while (*link && (*link)->serial != serial)
            link = &(*link)->next;
        if (*link && (*link)->on_gns == on_gns && hnsm__handle_close(handle, HANDLE_KIND_CALLBACK)) {
            reg = *link;
            *link = reg->next;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    if (!reg)
        return HNSM_E_HANDLE;
    /* Outside the registry lock: this waits for a running callback, which
     * may itself be registering or unregistering. */
    hnsm__backend_unsubscribe(reg->sub);
    free(reg);
    return S_OK;
}

HRESULT WINAPI HcnRegisterServiceCallback(HCN_NOTIFICATION_CALLBACK Callback, void *Context,
                                          HCN_CALLBACK *CallbackHandle)
{
    hnsm__detail_clear();
    if (!CallbackHandle)
        return HNSM_E_POINTER;
    *CallbackHandle = NULL;
    if (!Callback)
        return hnsm__detail(HNSM_E_INVALIDARG, "no callback");
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
        return hnsm__detail(HNSM_E_INVALIDARG, "the guest network service handle is NULL");
    if (!hnsm__handle_get(handle, HNSM_GUESTNETWORKSERVICE, id))
        return hnsm__detail(HNSM_E_HANDLE, "not an open guest network service handle");
    return S_OK;
}

HRESULT WINAPI HcnRegisterGuestNetworkServiceCallback(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                      HCN_NOTIFICATION_CALLBACK Callback,
                                                      void *Context, HCN_CALLBACK *CallbackHandle)
{
    hnsm__detail_clear();
    if (!CallbackHandle)
        return HNSM_E_POINTER;
    *CallbackHandle = NULL;
    char id[HNSM_GUID_TEXT];
    HRESULT hr = gns_of_handle(GuestNetworkService, id);
    if (FAILED(hr))
        return hr;
    if (!Callback)
        return hnsm__detail(HNSM_E_INVALIDARG, "no callback");
    /* The service must still exist (a handle only names it). */
    hr = hnsm__backend_call(HNSM_GUESTNETWORKSERVICE, HNSM_OP_OPEN, id, NULL, NULL, NULL, NULL);
    if (FAILED(hr))
        return hr;
    return register_callback(true, id, Callback, Context, CallbackHandle);
}

HRESULT WINAPI HcnUnregisterGuestNetworkServiceCallback(HCN_CALLBACK CallbackHandle)
{
    return unregister_callback(CallbackHandle, true);
}

/* ---- port reservations -------------------------------------------------------- */

/* Hands out a handle for reservation number; releases it when none can be had. */
static HRESULT reservation_handle(int64_t number, HANDLE *out)
{
    char key[HNSM_GUID_TEXT];
    key_text((uint64_t)number, key);
    *out = hnsm__handle_new(HANDLE_KIND_PORT_RESERVATION, key);
    if (*out)
        return S_OK;
    hnsm__backend_release_reservation(number);
    return HNSM_E_OUTOFMEMORY;
}

HRESULT WINAPI HcnReserveGuestNetworkServicePort(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                 HCN_PORT_PROTOCOL Protocol,
                                                 HCN_PORT_ACCESS Access, USHORT Port,
                                                 HANDLE *PortReservationHandle)
{
    hnsm__detail_clear();
    if (!PortReservationHandle)
        return HNSM_E_POINTER;
    *PortReservationHandle = NULL;
    char id[HNSM_GUID_TEXT];
    HRESULT hr = gns_of_handle(GuestNetworkService, id);
    if (FAILED(hr))
        return hr;
    int64_t number;
    hr = hnsm__backend_reserve_port(id, (int)Protocol, (int)Access, Port, &number);
    if (SUCCEEDED(hr))
        hr = reservation_handle(number, PortReservationHandle);
    return hr;
}

HRESULT WINAPI HcnReserveGuestNetworkServicePortRange(
    HCN_GUESTNETWORKSERVICE GuestNetworkService, USHORT PortCount,
    HCN_PORT_RANGE_RESERVATION *PortRangeReservation, HANDLE *PortReservationHandle)
{
    hnsm__detail_clear();
    if (!PortReservationHandle || !PortRangeReservation)
        return HNSM_E_POINTER;
    *PortReservationHandle = NULL;
    char id[HNSM_GUID_TEXT];
    HRESULT hr = gns_of_handle(GuestNetworkService, id);
    if (FAILED(hr))
        return hr;
    int64_t number;
    uint16_t start, end;
    hr = hnsm__backend_reserve_range(id, PortCount, &start, &end, &number);
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
    hnsm__detail_clear();
    if (!PortReservationHandle)
        return hnsm__detail(HNSM_E_INVALIDARG, "the reservation handle is NULL");
    char key[HNSM_GUID_TEXT];
    if (!hnsm__handle_get(PortReservationHandle, HANDLE_KIND_PORT_RESERVATION, key))
        return hnsm__detail(HNSM_E_HANDLE, "not an open port reservation handle");
    int64_t number = (int64_t)strtoll(key, NULL, 10);
    HRESULT hr = hnsm__backend_release_reservation(number);
    /* Only one of two racing releases closes the handle; the other is stale. */
    if (SUCCEEDED(hr) && !hnsm__handle_close(PortReservationHandle, HANDLE_KIND_PORT_RESERVATION))
        hr = hnsm__detail(HNSM_E_HANDLE, "the reservation handle was released meanwhile");
    return hr;
}

HRESULT WINAPI HcnEnumerateGuestNetworkPortReservations(ULONG *ReturnCount,
                                                        HCN_PORT_RANGE_ENTRY **PortEntries)
{
    hnsm__detail_clear();
    if (ReturnCount)
        *ReturnCount = 0;
    if (PortEntries)
        *PortEntries = NULL;
    if (!ReturnCount || !PortEntries)
        return HNSM_E_POINTER;
    hnsm_port_reservation *list = NULL;
    size_t count = 0;
    HRESULT hr = hnsm__backend_list_reservations(&list, &count);
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
