/*
 * hnsd_link.h - the Windows DLLs' connection to hnsd: the Winsock twin of
 * hns-mock/remote.c, speaking docs/hnsd-protocol.md over TCP loopback (Wine 8
 * has no AF_UNIX sockets, reference wine-interop.md 8).
 *
 * Where hnsd is, and its token, come from (first found wins, per setting):
 *
 *   1. the process environment: HNSIM_HNSD=tcp:127.0.0.1:PORT, and
 *      HNSIM_HNSD_TOKEN (the token itself) or HNSIM_HNSD_TOKEN_FILE (a file
 *      whose first line is the token);
 *   2. a file hnsim.conf beside the DLL (C:\windows\system32\hnsim.conf in a
 *      prefix set up by tools/wine-setup.sh), with lines KEY=VALUE for the
 *      same three keys and '#' comments. This reaches processes whose parent
 *      did not pass the environment (a CNI plugin started by a runtime).
 *
 * A token file named by a Unix path ("/run/x/token") is opened through
 * Wine's drive Z:, which maps the Unix root. One connection per process
 * carries requests, opened on the first call (never in DllMain), one request
 * at a time behind a lock, reconnected once if hnsd went away and came back.
 * Each notification subscription has a connection and a thread of its own.
 */
#ifndef HNSM_HNSD_LINK_H
#define HNSM_HNSD_LINK_H

#include <hnsmock/wintypes.h>
#include <stdbool.h>
#include <stdint.h>

/* hnsm_call through hnsd (kind and call are the protocol's words; object,
 * parent and json may be NULL). On success *result (when not NULL) receives
 * the result text or NULL; on failure *error_record (when not NULL) receives
 * the ErrorRecord. Both malloc'd. A transport failure answers
 * HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) with its record. */
HRESULT hnsd_link_call(const char *kind, const char *call, const char *object,
                       const char *parent, const char *json, char **result,
                       char **error_record);

/* hnsm_hnscall through hnsd: *response receives the v1 envelope (malloc'd),
 * or NULL when the call did not reach HNS. */
HRESULT hnsd_link_hnscall(const char *method, const char *path, const char *body,
                          char **response);

/* Port reservations (docs/hnsd-protocol.md `reservation`); held by this
 * process's request connection and released by hnsd when it closes. */
HRESULT hnsd_link_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                               int64_t *number);
HRESULT hnsd_link_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                uint16_t *end, int64_t *number);
HRESULT hnsd_link_release_reservation(int64_t number);

/* One reservation as `list` reports it. */
typedef struct hnsd_link_reservation {
    char gns_id[40];     /* owning service GUID */
    char vm_id[40];      /* target partition GUID, "" when none */
    int protocol;        /* HCN_PORT_PROTOCOL */
    int access;          /* HCN_PORT_ACCESS */
    uint16_t start_port; /* first port, inclusive */
    uint16_t end_port;   /* last port, inclusive */
} hnsd_link_reservation;

/* Every reservation hnsd holds: *out (malloc'd array) and *count. */
HRESULT hnsd_link_list_reservations(hnsd_link_reservation **out, size_t *count);

/* Called on a subscription's thread for each notification, in order; data is
 * UTF-8 ("" when the notification carries none). */
typedef void (*hnsd_link_event_fn)(uint32_t type, const char *data, void *context);

typedef struct hnsd_link_subscription hnsd_link_subscription;

/* Opens a subscription connection and its reader thread. S_OK, or the
 * not-active HRESULT when hnsd cannot be reached. */
HRESULT hnsd_link_subscribe(hnsd_link_event_fn fn, void *context, hnsd_link_subscription **out);

/* Ends a subscription. When it returns, fn is not running and will not run
 * again - except when called from fn itself, where it returns at once and the
 * thread releases everything as fn returns. NULL is accepted. */
void hnsd_link_unsubscribe(hnsd_link_subscription *sub);

#endif
