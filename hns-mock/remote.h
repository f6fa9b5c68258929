/*
 * remote.h - libhnsmock as a client of hnsd.
 *
 * When HNSIM_HNSD names a daemon ("/path/to/hnsd.sock", "unix:PATH" or
 * "tcp:127.0.0.1:PORT"), the HCN API and HNSCall of this process forward every
 * call to it instead of opening an instance: the program needs no change.
 * Over TCP the token comes from HNSIM_HNSD_TOKEN, or the file named by
 * HNSIM_HNSD_TOKEN_FILE. One connection carries requests (one at a time,
 * answered in order); notifications use a second connection read by a
 * delivery thread of the library, so a callback may call the API again.
 */
#ifndef HNSM_REMOTE_H
#define HNSM_REMOTE_H

#include <hnsmock/hnsmock.h>
#include <stdbool.h>

#include "backend.h"

/* True when HNSIM_HNSD is set (read once). */
bool hnsm__remote_enabled(void);

/* hnsm_call through the daemon; same contract. A transport failure answers
 * HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) with its ErrorRecord. */
HRESULT hnsm__remote_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                          const char *json, char **result, char **error_record);

/* hnsm_hnscall through the daemon. */
HRESULT hnsm__remote_hnscall(const char *method, const char *path, const char *request,
                             char **response);

/* Port reservations through the daemon (hns-mock/gns.h has the rules); they
 * belong to this process's connection and end with it. */
HRESULT hnsm__remote_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                                  int64_t *number);
HRESULT hnsm__remote_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                   uint16_t *end, int64_t *number);
HRESULT hnsm__remote_release_reservation(int64_t number);
HRESULT hnsm__remote_list_reservations(hnsm_port_reservation **out, size_t *count);

/* A subscription to the daemon's notifications: its own connection, read by
 * its own thread, which calls fn in order. */
typedef struct hnsm_remote_subscription hnsm_remote_subscription;

/* Subscribes fn; returns 0 or HNSM_E*. */
int hnsm__remote_subscribe(hnsm_event_fn fn, void *context, hnsm_remote_subscription **out);
/* Ends it; when this returns fn is not running and will not run again. */
void hnsm__remote_unsubscribe(hnsm_remote_subscription *sub);

#endif
