/*
 * serve.h - the request side of hnsd, without any I/O: one protocol message
 * in, one reply out (docs/hnsd-protocol.md). The daemon (tools/hnsd) owns
 * sockets, framing and subscriptions; this file owns what a message means,
 * so it can be tested without a socket.
 */
#ifndef HNSM_SERVE_H
#define HNSM_SERVE_H

#include <hnsmock/hnsmock.h>
#include <stdbool.h>

/* What the daemon must do after a message, beyond sending the reply. */
typedef enum hnsm_serve_action {
    HNSM_SERVE_REPLY = 0,      /* just send the reply */
    HNSM_SERVE_SUBSCRIBE,      /* start pushing events to this connection */
    HNSM_SERVE_UNSUBSCRIBE,    /* stop pushing events */
    HNSM_SERVE_CLOSE,          /* send the reply, then close the connection */
} hnsm_serve_action;

/* Per-connection protocol state. */
typedef struct hnsm_serve_session {
    bool authenticated;        /* passed hello (always true when no token is required) */
    bool require_token;        /* TCP connections must say hello with the token first */
    int64_t *reservations;     /* port reservations this connection holds */
    size_t reservation_count;
} hnsm_serve_session;

/* Handles one request frame (UTF-8 JSON of len bytes). token is the daemon's
 * secret (NULL when none). Returns the malloc'd reply JSON (never NULL unless
 * out of memory) and sets *action. */
char *hnsm__serve(hnsm_instance *inst, hnsm_serve_session *session, const char *token,
                  const char *frame, size_t len, hnsm_serve_action *action);

/* Ends a connection's session: releases the port reservations it still holds
 * (a process that goes away drops its reservation handles, as on Windows). */
void hnsm__serve_session_end(hnsm_instance *inst, hnsm_serve_session *session);

/* The push message for one notification: {"event":{"type":T,"data":"..."}}. */
char *hnsm__serve_event(uint32_t type, const char *data);

#endif
