/*
 * computenetwork.c - the service part of computenetwork.dll for Windows
 * programs under Wine: callbacks and port reservations, forwarded to hnsd.
 *
 * The object functions of the DLL are hns-mock/hcn_api.c itself, compiled
 * with backend_win.c (every call to hnsd); this file holds what libhnsmock
 * keeps in hcn_service.c, written for Windows threads. Handles come from
 * hns-mock/handles.c: a handle names an object and nothing is kept for it in
 * hnsd, as the protocol says.
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

#include "backend.h"
#include "guid.h"
#include "handles.h"
#include "hnsd_link.h"
#include "hresult.h"
#include "wirejson.h"
#include "wstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Handle kinds beyond the object kinds, in the same table (as hcn_service.c). */
#define HANDLE_KIND_PORT_RESERVATION ((hnsm_kind)HNSM_KIND_COUNT)
#define HANDLE_KIND_CALLBACK ((hnsm_kind)(HNSM_KIND_COUNT + 1))

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
    hr = hnsm__backend_call(HNSM_GUESTNETWORKSERVICE, HNSM_OP_OPEN, id, NULL, NULL, NULL, NULL);
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
