/*
 * notify.h - HNS notifications: raised inside operations, delivered after.
 *
 * An operation raises events while its transaction is open; they wait in the
 * instance's pending list and are released to subscribers only when the
 * transaction commits (a rolled-back call notifies nobody). Delivery happens
 * in raise order on one delivery thread per instance, never inside the call
 * that raised them (hcn-api.md 1.4: NotificationData is {"ID","Flags"}).
 */
#ifndef HNSM_NOTIFY_H
#define HNSM_NOTIFY_H

#include <cjson/cJSON.h>
#include <stdint.h>

struct hnsm_instance;

/* Raises notification type (an HCN_NOTIFICATIONS value) about object id;
 * data_extra, when not NULL, is added to the NotificationData as "Data"
 * (borrowed). Cheap when nobody subscribes. */
void hnsm__event(struct hnsm_instance *inst, uint32_t type, const char *id, const cJSON *data_extra);

/* Releases the pending events after a commit / drops them after a rollback. */
void hnsm__events_commit(struct hnsm_instance *inst);
void hnsm__events_discard(struct hnsm_instance *inst);

/* Stops the delivery thread and frees everything; called by hnsm_close. */
void hnsm__events_shutdown(struct hnsm_instance *inst);

#endif
