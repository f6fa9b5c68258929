/*
 * hcn_service.c - the service-callback, guest-network-service and
 * port-reservation entry points of computenetwork.h.
 *
 * Notifications and the guest network service are modelled in a later step;
 * until then each entry point answers E_NOTIMPL, as hcsshim's IsNotImplemented
 * recognises, and writes nothing through its out-parameters except NULLs.
 */
#include <computenetwork.h>

#include "hresult.h"

#include <stdlib.h>

HRESULT WINAPI HcnRegisterServiceCallback(HCN_NOTIFICATION_CALLBACK Callback, void *Context,
                                          HCN_CALLBACK *CallbackHandle)
{
    (void)Callback;
    (void)Context;
    if (CallbackHandle)
        *CallbackHandle = NULL;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnUnregisterServiceCallback(HCN_CALLBACK CallbackHandle)
{
    (void)CallbackHandle;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnRegisterGuestNetworkServiceCallback(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                      HCN_NOTIFICATION_CALLBACK Callback,
                                                      void *Context, HCN_CALLBACK *CallbackHandle)
{
    (void)GuestNetworkService;
    (void)Callback;
    (void)Context;
    if (CallbackHandle)
        *CallbackHandle = NULL;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnUnregisterGuestNetworkServiceCallback(HCN_CALLBACK CallbackHandle)
{
    (void)CallbackHandle;
    return HNSM_E_NOTIMPL;
}

/* Writes the E_NOTIMPL ErrorRecord to *error_record when it is not NULL. */
static HRESULT not_modelled(PWSTR *error_record)
{
    if (error_record) {
        *error_record = NULL;
        char *record = hnsm__error_record(HNSM_E_NOTIMPL);
        if (record) {
            size_t n = strlen(record);
            *error_record = CoTaskMemAlloc((n + 1) * sizeof(WCHAR));
            if (*error_record) {
                for (size_t i = 0; i <= n; i++)
                    (*error_record)[i] = (WCHAR)(unsigned char)record[i]; /* ASCII record */
            }
            free(record);
        }
    }
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnCreateGuestNetworkService(REFGUID Id, PCWSTR Settings,
                                            PHCN_GUESTNETWORKSERVICE GuestNetworkService,
                                            PWSTR *ErrorRecord)
{
    (void)Id;
    (void)Settings;
    if (GuestNetworkService)
        *GuestNetworkService = NULL;
    return not_modelled(ErrorRecord);
}

HRESULT WINAPI HcnCloseGuestNetworkService(HCN_GUESTNETWORKSERVICE GuestNetworkService)
{
    (void)GuestNetworkService;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnModifyGuestNetworkService(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                            PCWSTR Settings, PWSTR *ErrorRecord)
{
    (void)GuestNetworkService;
    (void)Settings;
    return not_modelled(ErrorRecord);
}

HRESULT WINAPI HcnDeleteGuestNetworkService(REFGUID Id, PWSTR *ErrorRecord)
{
    (void)Id;
    return not_modelled(ErrorRecord);
}

HRESULT WINAPI HcnReserveGuestNetworkServicePort(HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                                 HCN_PORT_PROTOCOL Protocol,
                                                 HCN_PORT_ACCESS Access, USHORT Port,
                                                 HANDLE *PortReservationHandle)
{
    (void)GuestNetworkService;
    (void)Protocol;
    (void)Access;
    (void)Port;
    if (PortReservationHandle)
        *PortReservationHandle = NULL;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnReserveGuestNetworkServicePortRange(
    HCN_GUESTNETWORKSERVICE GuestNetworkService, USHORT PortCount,
    HCN_PORT_RANGE_RESERVATION *PortRangeReservation, HANDLE *PortReservationHandle)
{
    (void)GuestNetworkService;
    (void)PortCount;
    (void)PortRangeReservation;
    if (PortReservationHandle)
        *PortReservationHandle = NULL;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnReleaseGuestNetworkServicePortReservationHandle(HANDLE PortReservationHandle)
{
    (void)PortReservationHandle;
    return HNSM_E_NOTIMPL;
}

HRESULT WINAPI HcnEnumerateGuestNetworkPortReservations(ULONG *ReturnCount,
                                                        HCN_PORT_RANGE_ENTRY **PortEntries)
{
    if (ReturnCount)
        *ReturnCount = 0;
    if (PortEntries)
        *PortEntries = NULL;
    return HNSM_E_NOTIMPL;
}

VOID WINAPI HcnFreeGuestNetworkPortReservations(HCN_PORT_RANGE_ENTRY *PortEntries)
{
    free(PortEntries);
}
