/*
 * notify.h - HNS notifications: raised inside operations, delivered after.
 *
 * An operation raises events while its transaction is open; they wait in the
 * instance's pending list and are released to subscribers only when the
 * transaction commits (a rolled-back call notifies nobody). Delivery happens
 * in raise order on one delivery thread per instance, started by the first
 * subscription, never inside the call that raised them (hcn-api.md 1.4:
 * NotificationData is {"ID","Flags"} plus "Data" where the event has some).
 *
 * Subscriptions have a scope, because the HCN API hands out callbacks on
 * different handles: a service callback hears service- and network-handle
 * notifications, a guest-network-service callback hears that one service's
 * notifications, and the control API's hnsm_subscribe hears everything.
 * Every scope hears HcnNotificationServiceDisconnect when the instance closes.
 *
 * Locking: hnsm__event, hnsm__events_commit, hnsm__events_discard and
 * hnsm__events_disconnect are called with the instance lock held (exec.c and
 * every other request path). The delivery thread never takes the instance
 * lock, so a callback may call back into the HCN API.
 */
#ifndef HNSM_NOTIFY_H
#define HNSM_NOTIFY_H

#include <cjson/cJSON.h>
#include <hnsmock/hnsmock.h>
#include <stdbool.h>
#include <stdint.h>

struct hnsm_instance;

/* Raises notification type (an HCN_NOTIFICATIONS value) about object id (a
 * canonical GUID); data_extra, when not NULL, is added to the
 * NotificationData as "Data" (borrowed). Costs one uncontended mutex and no
 * allocation when nobody subscribes, nothing at all before the first
 * subscription. */
void hnsm__event(struct hnsm_instance *inst, uint32_t type, const char *id, const cJSON *data_extra);

/* True when some subscription is live, so that a caller can skip building
 * the Data of an event nobody will hear. */
bool hnsm__events_wanted(struct hnsm_instance *inst);

/* Releases the pending events after a commit / drops them after a rollback. */
void hnsm__events_commit(struct hnsm_instance *inst);
void hnsm__events_discard(struct hnsm_instance *inst);

/* Queues HcnNotificationServiceDisconnect for every subscription, after what
 * is already queued: the HNS service went away (a restart). Service and
 * guest-network-service subscriptions hear nothing more afterwards, as a
 * Windows client's RPC registration dies with the service; control-API
 * subscriptions keep listening. */
void hnsm__events_disconnect(struct hnsm_instance *inst);

/* Stops the delivery thread and frees everything; called by hnsm_close.
 * Subscribers hear ServiceDisconnect first. Subscriptions stay allocated,
 * detached from the instance, until their owner calls hnsm_unsubscribe. */
void hnsm__events_shutdown(struct hnsm_instance *inst);

/* Who hears what (see notify.c for the table). */
typedef enum hnsm_event_scope {
    HNSM_EVENTS_ALL = 0, /* hnsm_subscribe: every notification */
    HNSM_EVENTS_SERVICE, /* HcnRegisterServiceCallback: service- and network-handle ones */
    HNSM_EVENTS_GNS,     /* HcnRegisterGuestNetworkServiceCallback: one service's */
} hnsm_event_scope;

/* hnsm_subscribe with a scope; object_id is the canonical GUID of the guest
 * network service for HNSM_EVENTS_GNS (ignored otherwise). Returns 0,
 * HNSM_EINVAL or HNSM_ENOMEM. */
int hnsm__subscribe_scoped(struct hnsm_instance *inst, hnsm_event_scope scope,
                           const char *object_id, hnsm_event_fn fn, void *context,
                           hnsm_subscription **out);

#endif
