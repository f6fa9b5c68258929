/*
 * gns.h - host-port reservations made through a guest network service.
 *
 * The guest network service object itself is an ordinary kind
 * (HNSM_GUESTNETWORKSERVICE, objects.h). Its port reservations are not
 * documents: they are rows of port_reservations, made and released through
 * the HcnReserveGuestNetworkServicePort* functions (hcn-api.md 1.2). Each
 * function below is a whole call: it takes the instance, counts the call for
 * fault injection under its Windows name, runs one transaction, and returns
 * an HRESULT with hnsm_last_detail() set on failure. The rules (conflicts,
 * where ranges are placed, what a deleted service leaves) are in gns.c.
 */
#ifndef HNSM_GNS_H
#define HNSM_GNS_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "instance.h"

/* The dynamic port range ranges are taken from: Windows' default
 * (49152-65535, field-bugs.md B2; `netsh int ipv4 show dynamicportrange`). */
#define HNSM_DYNAMIC_PORT_FIRST 49152u
#define HNSM_DYNAMIC_PORT_LAST 65535u

/* hnsm_port_reservation: backend.h. */

/* Reserves port for the service gns_id; *number names the reservation.
 * E_INVALIDARG for a bad protocol, access or port 0; ERROR_NOT_FOUND when the
 * service does not exist; HCN_E_PORT_ALREADY_EXISTS on a conflict. */
HRESULT hnsm__gns_reserve_port(hnsm_instance *inst, const char *gns_id, int protocol, int access,
                               unsigned port, int64_t *number);

/* Reserves count ports (exclusive, both protocols) for gns_id at the first
 * place in the dynamic range where they fit; *start and *end receive the
 * range as HcnReserveGuestNetworkServicePortRange reports it (choice
 * PORT_RANGE_END_IS_START_PLUS_COUNT). HCN_E_PORT_ALREADY_EXISTS when the
 * range is exhausted (field-bugs.md B1). */
HRESULT hnsm__gns_reserve_range(hnsm_instance *inst, const char *gns_id, unsigned count,
                                uint16_t *start, uint16_t *end, int64_t *number);

/* Releases reservation number; S_OK also when it is already gone (its
 * service was deleted). */
HRESULT hnsm__gns_release_reservation(hnsm_instance *inst, int64_t number);

/* Every reservation of the store, by first port then number: *out is a
 * malloc'd array of *count entries (NULL when none); caller frees. */
HRESULT hnsm__gns_list_reservations(hnsm_instance *inst, hnsm_port_reservation **out,
                                    size_t *count);

#endif
