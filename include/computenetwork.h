/*
 * computenetwork.h - the Host Compute Network (HCN) API, source-compatible with
 * the Windows SDK's ComputeNetwork.h.
 *
 * Every function, type and value below has the name, argument list and meaning
 * of its Windows counterpart (reference hcn-api.md section 1). JSON documents are
 * wide strings (PCWSTR in, PWSTR* out); every returned string is allocated with
 * CoTaskMemAlloc and freed by the caller with CoTaskMemFree. On success the
 * ErrorRecord out-parameter is set to NULL; on failure it receives
 * {"Success":false,"Error":"<message> ","ErrorCode":<HRESULT>} when the pointer
 * is not NULL.
 *
 * libhnsmock serves these calls from an HNS model: in process (on the SQLite
 * store named by HNSIM_STORE, in memory when unset) or, when HNSIM_HNSD is set,
 * from the hnsd daemon. Besides the SDK's functions it declares the SDN-route
 * and guest-network-service functions that computenetwork.dll exports without
 * a header (hcn-api.md 1.3), since hcsshim calls them.
 */
#ifndef HNSIM_COMPUTENETWORK_H
#define HNSIM_COMPUTENETWORK_H

#include <hnsmock/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles (an RPC context handle on Windows). */
typedef void *HCN_NETWORK;
typedef HCN_NETWORK *PHCN_NETWORK;
typedef void *HCN_ENDPOINT;
typedef HCN_ENDPOINT *PHCN_ENDPOINT;
typedef void *HCN_NAMESPACE;
typedef HCN_NAMESPACE *PHCN_NAMESPACE;
typedef void *HCN_LOADBALANCER;
typedef HCN_LOADBALANCER *PHCN_LOADBALANCER;
typedef void *HCN_GUESTNETWORKSERVICE;
typedef HCN_GUESTNETWORKSERVICE *PHCN_GUESTNETWORKSERVICE;
typedef void *HCN_SERVICE;
typedef HCN_SERVICE *PHCN_SERVICE;
typedef void *HCN_CALLBACK;
typedef void *HCN_SDNROUTE;  /* exported, not in the SDK header: void* there */

/* Notification types passed as the callback's NotificationType. */
typedef enum HCN_NOTIFICATIONS {
    HcnNotificationInvalid = 0x00000000,
    HcnNotificationNetworkPreCreate = 0x00000001,
    HcnNotificationNetworkCreate = 0x00000002,
    HcnNotificationNetworkPreDelete = 0x00000003,
    HcnNotificationNetworkDelete = 0x00000004,
    HcnNotificationNamespaceCreate = 0x00000005,
    HcnNotificationNamespaceDelete = 0x00000006,
    HcnNotificationGuestNetworkServiceCreate = 0x00000007,
    HcnNotificationGuestNetworkServiceDelete = 0x00000008,
    HcnNotificationNetworkEndpointAttached = 0x00000009,
    HcnNotificationNetworkEndpointDetached = 0x00000010,
    HcnNotificationGuestNetworkServiceStateChanged = 0x00000011,
    HcnNotificationGuestNetworkServiceInterfaceStateChanged = 0x00000012,
    HcnNotificationServiceDisconnect = 0x01000000,
    HcnNotificationFlagsReserved = (int)0xF0000000
} HCN_NOTIFICATIONS;

typedef void(CALLBACK *HCN_NOTIFICATION_CALLBACK)(DWORD NotificationType, void *Context,
                                                  HRESULT NotificationStatus,
                                                  PCWSTR NotificationData);

/* Port reservation types. */
typedef enum tagHCN_PORT_PROTOCOL {
    HCN_PORT_PROTOCOL_TCP = 0x01,
    HCN_PORT_PROTOCOL_UDP = 0x02,
    HCN_PORT_PROTOCOL_BOTH = 0x03
} HCN_PORT_PROTOCOL;

typedef enum tagHCN_PORT_ACCESS {
    HCN_PORT_ACCESS_EXCLUSIVE = 0x01,
    HCN_PORT_ACCESS_SHARED = 0x02
} HCN_PORT_ACCESS;

typedef struct tagHCN_PORT_RANGE_RESERVATION {
    USHORT startingPort;  /* first port, inclusive */
    USHORT endingPort;    /* last port, inclusive */
} HCN_PORT_RANGE_RESERVATION;

typedef struct tagHCN_PORT_RANGE_ENTRY {
    GUID OwningPartitionId;
    GUID TargetPartitionId;
    HCN_PORT_PROTOCOL Protocol;
    UINT64 Priority;
    UINT32 ReservationType;
    UINT32 SharingFlags;
    UINT32 DeliveryMode;
    UINT16 StartingPort;
    UINT16 EndingPort;
} HCN_PORT_RANGE_ENTRY, *PHCN_PORT_RANGE_ENTRY;

/* Networks */
HRESULT WINAPI HcnEnumerateNetworks(_In_ PCWSTR Query, _Outptr_ PWSTR *Networks,
                                    _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCreateNetwork(_In_ REFGUID Id, _In_ PCWSTR Settings, _Out_ PHCN_NETWORK Network,
                                _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnOpenNetwork(_In_ REFGUID Id, _Out_ PHCN_NETWORK Network,
                              _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnModifyNetwork(_In_ HCN_NETWORK Network, _In_ PCWSTR Settings,
                                _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQueryNetworkProperties(_In_ HCN_NETWORK Network, _In_ PCWSTR Query,
                                         _Outptr_ PWSTR *Properties,
                                         _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnDeleteNetwork(_In_ REFGUID Id, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCloseNetwork(_In_ HCN_NETWORK Network);

/* Namespaces */
HRESULT WINAPI HcnEnumerateNamespaces(_In_ PCWSTR Query, _Outptr_ PWSTR *Namespaces,
                                      _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCreateNamespace(_In_ REFGUID Id, _In_ PCWSTR Settings,
                                  _Out_ PHCN_NAMESPACE Namespace, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnOpenNamespace(_In_ REFGUID Id, _Out_ PHCN_NAMESPACE Namespace,
                                _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnModifyNamespace(_In_ HCN_NAMESPACE Namespace, _In_ PCWSTR Settings,
                                  _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQueryNamespaceProperties(_In_ HCN_NAMESPACE Namespace, _In_ PCWSTR Query,
                                           _Outptr_ PWSTR *Properties,
                                           _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnDeleteNamespace(_In_ REFGUID Id, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCloseNamespace(_In_ HCN_NAMESPACE Namespace);

/* Endpoints */
HRESULT WINAPI HcnEnumerateEndpoints(_In_ PCWSTR Query, _Outptr_ PWSTR *Endpoints,
                                     _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCreateEndpoint(_In_ HCN_NETWORK Network, _In_ REFGUID Id, _In_ PCWSTR Settings,
                                 _Out_ PHCN_ENDPOINT Endpoint, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnOpenEndpoint(_In_ REFGUID Id, _Out_ PHCN_ENDPOINT Endpoint,
                               _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnModifyEndpoint(_In_ HCN_ENDPOINT Endpoint, _In_ PCWSTR Settings,
                                 _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQueryEndpointProperties(_In_ HCN_ENDPOINT Endpoint, _In_ PCWSTR Query,
                                          _Outptr_ PWSTR *Properties,
                                          _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnDeleteEndpoint(_In_ REFGUID Id, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCloseEndpoint(_In_ HCN_ENDPOINT Endpoint);
HRESULT WINAPI HcnQueryEndpointStats(_In_ HCN_ENDPOINT Endpoint, _In_ PCWSTR Query,
                                     _Outptr_ PWSTR *Stats, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQueryEndpointAddresses(_In_ HCN_ENDPOINT Endpoint, _In_ PCWSTR Query,
                                         _Outptr_ PWSTR *Addresses,
                                         _Outptr_opt_ PWSTR *ErrorRecord);

/* Load balancers */
HRESULT WINAPI HcnEnumerateLoadBalancers(_In_ PCWSTR Query, _Outptr_ PWSTR *LoadBalancer,
                                         _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCreateLoadBalancer(_In_ REFGUID Id, _In_ PCWSTR Settings,
                                     _Out_ PHCN_LOADBALANCER LoadBalancer,
                                     _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnOpenLoadBalancer(_In_ REFGUID Id, _Out_ PHCN_LOADBALANCER LoadBalancer,
                                   _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnModifyLoadBalancer(_In_ HCN_LOADBALANCER LoadBalancer, _In_ PCWSTR Settings,
                                     _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQueryLoadBalancerProperties(_In_ HCN_LOADBALANCER LoadBalancer,
                                              _In_ PCWSTR Query, _Outptr_ PWSTR *Properties,
                                              _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnDeleteLoadBalancer(_In_ REFGUID Id, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCloseLoadBalancer(_In_ HCN_LOADBALANCER LoadBalancer);

/* SDN routes (exported by computenetwork.dll, not in the SDK header) */
HRESULT WINAPI HcnEnumerateSdnRoutes(_In_ PCWSTR Query, _Outptr_ PWSTR *Routes,
                                     _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCreateSdnRoute(_In_ REFGUID Id, _In_ PCWSTR Settings, _Out_ HCN_SDNROUTE *Route,
                                 _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnOpenSdnRoute(_In_ REFGUID Id, _Out_ HCN_SDNROUTE *Route,
                               _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnModifySdnRoute(_In_ HCN_SDNROUTE Route, _In_ PCWSTR Settings,
                                 _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQuerySdnRouteProperties(_In_ HCN_SDNROUTE Route, _In_ PCWSTR Query,
                                          _Outptr_ PWSTR *Properties,
                                          _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnDeleteSdnRoute(_In_ REFGUID Id, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCloseSdnRoute(_In_ HCN_SDNROUTE Route);

/* Service notifications */
HRESULT WINAPI HcnRegisterServiceCallback(_In_ HCN_NOTIFICATION_CALLBACK Callback,
                                          _In_ void *Context,
                                          _Outptr_ HCN_CALLBACK *CallbackHandle);
HRESULT WINAPI HcnUnregisterServiceCallback(_In_ HCN_CALLBACK CallbackHandle);

/* Guest network service */
HRESULT WINAPI HcnRegisterGuestNetworkServiceCallback(
    _In_ HCN_GUESTNETWORKSERVICE GuestNetworkService, _In_ HCN_NOTIFICATION_CALLBACK Callback,
    _In_ void *Context, _Outptr_ HCN_CALLBACK *CallbackHandle);
HRESULT WINAPI HcnUnregisterGuestNetworkServiceCallback(_In_ HCN_CALLBACK CallbackHandle);
HRESULT WINAPI HcnCreateGuestNetworkService(_In_ REFGUID Id, _In_ PCWSTR Settings,
                                            _Out_ PHCN_GUESTNETWORKSERVICE GuestNetworkService,
                                            _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnCloseGuestNetworkService(_In_ HCN_GUESTNETWORKSERVICE GuestNetworkService);
HRESULT WINAPI HcnModifyGuestNetworkService(_In_ HCN_GUESTNETWORKSERVICE GuestNetworkService,
                                            _In_ PCWSTR Settings, _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnDeleteGuestNetworkService(_In_ REFGUID Id, _Outptr_opt_ PWSTR *ErrorRecord);

/* Guest network service (exported by computenetwork.dll, not in the SDK header;
 * signatures from hns.v2.psm1, hcn-api.md 1.3) */
HRESULT WINAPI HcnEnumerateGuestNetworkServices(_In_ PCWSTR Query,
                                                _Outptr_ PWSTR *GuestNetworkServices,
                                                _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnOpenGuestNetworkService(_In_ REFGUID Id,
                                          _Out_ PHCN_GUESTNETWORKSERVICE GuestNetworkService,
                                          _Outptr_opt_ PWSTR *ErrorRecord);
HRESULT WINAPI HcnQueryGuestNetworkServiceProperties(
    _In_ HCN_GUESTNETWORKSERVICE GuestNetworkService, _In_ PCWSTR Query,
    _Outptr_ PWSTR *Properties, _Outptr_opt_ PWSTR *ErrorRecord);

/* Port reservations (tied to a guest network service handle) */
HRESULT WINAPI HcnReserveGuestNetworkServicePort(
    _In_ HCN_GUESTNETWORKSERVICE GuestNetworkService, _In_ HCN_PORT_PROTOCOL Protocol,
    _In_ HCN_PORT_ACCESS Access, _In_ USHORT Port, _Out_ HANDLE *PortReservationHandle);
HRESULT WINAPI HcnReserveGuestNetworkServicePortRange(
    _In_ HCN_GUESTNETWORKSERVICE GuestNetworkService, _In_ USHORT PortCount,
    _Out_ HCN_PORT_RANGE_RESERVATION *PortRangeReservation, _Out_ HANDLE *PortReservationHandle);
HRESULT WINAPI HcnReleaseGuestNetworkServicePortReservationHandle(
    _In_ HANDLE PortReservationHandle);
HRESULT WINAPI HcnEnumerateGuestNetworkPortReservations(
    _Out_ ULONG *ReturnCount, _Out_writes_bytes_all_(*ReturnCount) HCN_PORT_RANGE_ENTRY **PortEntries);
VOID WINAPI HcnFreeGuestNetworkPortReservations(_Inout_opt_ HCN_PORT_RANGE_ENTRY *PortEntries);

#ifdef __cplusplus
}
#endif

#endif /* HNSIM_COMPUTENETWORK_H */
