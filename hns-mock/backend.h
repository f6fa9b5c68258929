/*
 * backend.h - where the wide-string HCN API (hcn_api.c) sends its calls.
 *
 * hcn_api.c checks arguments, converts UTF-16 and hands out handles; this one
 * function runs the operation. In libhnsmock (backend.c) that is hnsd when
 * HNSIM_HNSD is set, else the process's current instance; in the Windows DLLs
 * (win/backend_win.c) it is always hnsd over TCP. Same contract as hnsm_call:
 * on success *result (malloc'd, may be NULL) and a NULL *error_record; on
 * failure the HRESULT and the ErrorRecord (malloc'd). Free with free().
 */
#ifndef HNSM_BACKEND_H
#define HNSM_BACKEND_H

#include <hnsmock/hnsmock.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HNSM_BACKEND_GUID_TEXT 37

/* One reservation as HcnEnumerateGuestNetworkPortReservations lists it. */
typedef struct hnsm_port_reservation {
    int64_t number;                      /* the reservation's number, never reused */
    char gns_id[HNSM_BACKEND_GUID_TEXT]; /* the guest network service that made it */
    char vm_id[HNSM_BACKEND_GUID_TEXT];  /* that service's VirtualMachineId, "" when none */
    int protocol;                        /* HCN_PORT_PROTOCOL: 1 TCP, 2 UDP, 3 both */
    int access;                          /* HCN_PORT_ACCESS: 1 exclusive, 2 shared */
    uint16_t start_port;                 /* first port, inclusive */
    uint16_t end_port;                   /* last port, inclusive */
} hnsm_port_reservation;

HRESULT hnsm__backend_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                           const char *json, char **result, char **error_record);

/* Port reservations (rules in gns.h); through hnsd they belong to this
 * process's connection. list: a malloc'd array of *count entries. */
HRESULT hnsm__backend_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                                   int64_t *number);
HRESULT hnsm__backend_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                    uint16_t *end, int64_t *number);
HRESULT hnsm__backend_release_reservation(int64_t number);
HRESULT hnsm__backend_list_reservations(hnsm_port_reservation **out, size_t *count);

/* The notifications a service callback hears (on_gns false), or the callback
 * of guest network service gns_id (its state changes), delivered in order to
 * fn on a library thread, never inside the call that raised them.
 * Unsubscribing waits for a running fn, except from inside it. */
typedef struct hnsm_backend_subscription hnsm_backend_subscription;
HRESULT hnsm__backend_subscribe(bool on_gns, const char *gns_id, hnsm_event_fn fn, void *context,
                                hnsm_backend_subscription **out);
void hnsm__backend_unsubscribe(hnsm_backend_subscription *sub);

/* Whether a subscription of that scope hears notification type, for the
 * backends that receive every notification (hnsd sends them all): a service
 * callback everything but guest-network-service state changes, a service's
 * callback only the changes whose data names gns_id, both
 * ServiceDisconnect (notify.c's table). event_id reads the canonical ID out
 * of data with the backend's JSON reader. (event_scope.c) */
bool hnsm__scope_hears(bool on_gns, const char *gns_id, uint32_t type, const char *data,
                       bool (*event_id)(const char *data, char out[HNSM_BACKEND_GUID_TEXT]));

#endif
