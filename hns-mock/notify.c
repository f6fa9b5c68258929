/*
 * notify.c - HNS notifications: the pending list of an open transaction, the
 * committed queue, and the delivery thread that hands each event to the
 * subscriptions that want it.
 *
 * Design. An operation runs with the instance lock held; each event it raises
 * is rendered at once (its NotificationData text, GUID case per the
 * GUID_UPPER_CASE choice) and appended to inst->events->pending. exec.c
 * commits or discards that list with the transaction. Commit moves the
 * events to the queue, stamping each with the subscription serial reached so
 * far, so that a subscription made later never hears an earlier event. The
 * delivery thread, started by the first subscription, pops the queue in order
 * and, for each event, calls every matching subscription in subscription
 * order. It holds the events mutex except while a callback runs, and never
 * takes the instance lock: a callback may call any HCN function, even one that
 * raises more notifications (they are queued behind the current one).
 *
 * Unsubscribe. hnsm_unsubscribe unlinks the subscription; if its callback is
 * running on the delivery thread it waits until it returns, so that on return
 * the callback is neither running nor will run. Called from inside a callback
 * (on the delivery thread) it cannot wait for itself: it returns at once and
 * the thread frees the subscription when the callback returns.
 *
 * Who hears what (hcn-api.md 1.4; the header groups the values by the handle
 * they are delivered on):
 *
 * | notification                         | ALL | SERVICE | GNS (that service) |
 * |--------------------------------------|-----|---------|--------------------|
 * | NetworkCreate/Delete, NamespaceCreate/Delete, GuestNetworkServiceCreate/Delete | yes | yes | no |
 * | NetworkEndpointAttached/Detached (network-handle values; HcnRegisterNetworkCallback is not modelled, so service callbacks hear them, as issue 3 asks) | yes | yes | no |
 * | GuestNetworkServiceStateChanged / InterfaceStateChanged (GNS-handle values) | yes | no | yes |
 * | ServiceDisconnect (instance closed, service restarted) | yes | yes | yes |
 *
 * NotificationData: {"ID":"<object GUID>","Flags":0} and, where the event has
 * them, "Data" (WSDOC NotificationBase; MSDOC adds Data from schema 2.2):
 * {"NamespaceId"} for namespace attach/detach, {"State"} for a guest network
 * service's state change. ServiceDisconnect has no data (NULL): it is not
 * about an object. The Pre* values (NetworkPreCreate, NetworkPreDelete) are
 * never raised: no source says when HNS sends them and no known consumer
 * registers for them.
 */
#include "notify.h"

#include "instance.h"
#include "jsonx.h"
#include "objects.h"

#include <computenetwork.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One rendered notification. */
typedef struct event {
    struct event *next;
    uint32_t type;               /* HCN_NOTIFICATIONS value */
    char object[HNSM_GUID_TEXT]; /* canonical id of the object, "" for ServiceDisconnect */
    uint64_t serial_limit;       /* only subscriptions with a smaller serial hear it */
    char *data;                  /* NotificationData JSON (malloc'd); NULL for ServiceDisconnect */
} event;

struct hnsm_subscription {
    struct hnsm_events *ev;      /* NULL once the instance has closed */
    hnsm_subscription *next;     /* in the instance's list, in serial order */
    uint64_t serial;             /* order of subscription, from 1 */
    hnsm_event_scope scope;      /* which notifications it hears */
    char object[HNSM_GUID_TEXT]; /* the guest network service of an HNSM_EVENTS_GNS scope */
    hnsm_event_fn fn;
    void *context;
    bool disconnected;           /* heard ServiceDisconnect: an HCN registration is dead */
};

struct hnsm_events {
    pthread_mutex_t mutex;       /* guards everything below except pending */
    pthread_cond_t wake;         /* the delivery thread waits here for work */
    pthread_cond_t idle;         /* a callback returned, or an event was delivered */
    pthread_t thread;            /* the delivery thread */
    bool stopping;               /* shutdown asked the thread to finish the queue and exit */
    bool orphaned;               /* shutdown ran on the thread itself: it frees this struct */
    hnsm_subscription *subs;     /* live subscriptions, in serial order */
    hnsm_subscription *subs_tail;
    size_t live;                 /* subscriptions not yet disconnected */
    uint64_t next_serial;        /* serial of the next subscription */
    event *pending;              /* raised in the open transaction (instance lock) */
    event *pending_tail;
    event *queue;                /* committed, not yet delivered */
    event *queue_tail;
    uint64_t committed;          /* events ever queued */
    uint64_t delivered;          /* events fully delivered */
    hnsm_subscription *running;  /* whose callback runs now, or NULL */
    bool release_running;        /* running was unsubscribed by its own callback */
};

static void event_free(event *e)
{
    if (e) {
        free(e->data);
        free(e);
    }
}

static void event_list_free(event *e)
{
    while (e) {
        event *next = e->next;
        event_free(e);
        e = next;
    }
}

static bool is_gns_handle_type(uint32_t type)
{
    return type == HcnNotificationGuestNetworkServiceStateChanged ||
           type == HcnNotificationGuestNetworkServiceInterfaceStateChanged;
}

/* True when subscription s is to hear event e (the table above). */
static bool wants(const hnsm_subscription *s, const event *e)
{
    if (s->serial >= e->serial_limit || s->disconnected)
        return false;
    if (e->type == HcnNotificationServiceDisconnect)
        return true;
    switch (s->scope) {
    case HNSM_EVENTS_ALL:
        return true;
    case HNSM_EVENTS_SERVICE:
        return !is_gns_handle_type(e->type);
    case HNSM_EVENTS_GNS:
        return is_gns_handle_type(e->type) && strcmp(s->object, e->object) == 0;
    }
    return false;
}

/* The next subscription after serial `after` that wants e; mutex held. */
static hnsm_subscription *next_recipient(struct hnsm_events *ev, const event *e, uint64_t after)
{
    for (hnsm_subscription *s = ev->subs; s; s = s->next)
        if (s->serial > after && wants(s, e))
            return s;
    return NULL;
}

static bool on_delivery_thread(const struct hnsm_events *ev)
{
    return pthread_equal(pthread_self(), ev->thread) != 0;
}

/* Frees the struct itself (the thread has exited or is exiting). */
static void events_destroy(struct hnsm_events *ev)
{
    event_list_free(ev->pending);
    event_list_free(ev->queue);
    pthread_cond_destroy(&ev->wake);
    pthread_cond_destroy(&ev->idle);
    pthread_mutex_destroy(&ev->mutex);
    free(ev);
}

/* The delivery thread: pops events in order and calls each recipient with
 * the mutex released. Exits when shutdown asked it to and the queue is empty
 * (or at once when orphaned, freeing the struct). */
static void *delivery_main(void *arg)
{
    struct hnsm_events *ev = arg;
    pthread_mutex_lock(&ev->mutex);
    for (;;) {
        while (!ev->queue && !ev->stopping)
            pthread_cond_wait(&ev->wake, &ev->mutex);
        if (!ev->queue || ev->orphaned)
            break;
        event *e = ev->queue;
        uint64_t after = 0;
        hnsm_subscription *s;
        while (!ev->orphaned && (s = next_recipient(ev, e, after)) != NULL) {
            after = s->serial;
            hnsm_event_fn fn = s->fn;
            void *context = s->context;
            if (e->type == HcnNotificationServiceDisconnect && s->scope != HNSM_EVENTS_ALL) {
                s->disconnected = true;
                ev->live--;
            }
            ev->running = s;
            pthread_mutex_unlock(&ev->mutex);
            fn(e->type, e->data, context);
            pthread_mutex_lock(&ev->mutex);
            /* The callback may have unsubscribed itself: only then is s ours
             * to free (it is no longer linked). s is not read otherwise. */
            if (ev->release_running) {
                free(s);
                ev->release_running = false;
            }
            ev->running = NULL;
            pthread_cond_broadcast(&ev->idle);
        }
        ev->queue = e->next;
        if (!ev->queue)
            ev->queue_tail = NULL;
        event_free(e);
        ev->delivered++;
        pthread_cond_broadcast(&ev->idle);
    }
    bool orphaned = ev->orphaned;
    pthread_mutex_unlock(&ev->mutex);
    if (orphaned)
        events_destroy(ev);
    return NULL;
}

/* Creates inst->events and starts its thread; instance lock held. */
static int events_create(hnsm_instance *inst)
{
    struct hnsm_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return HNSM_ENOMEM;
    ev->next_serial = 1;
    if (pthread_mutex_init(&ev->mutex, NULL) != 0) {
        free(ev);
        return HNSM_ENOMEM;
    }
    if (pthread_cond_init(&ev->wake, NULL) != 0) {
        pthread_mutex_destroy(&ev->mutex);
        free(ev);
        return HNSM_ENOMEM;
    }
    if (pthread_cond_init(&ev->idle, NULL) != 0) {
        pthread_cond_destroy(&ev->wake);
        pthread_mutex_destroy(&ev->mutex);
        free(ev);
        return HNSM_ENOMEM;
    }
    if (pthread_create(&ev->thread, NULL, delivery_main, ev) != 0) {
        events_destroy(ev);
        return HNSM_ENOMEM;
    }
    inst->events = ev;
    return 0;
}

int hnsm__subscribe_scoped(hnsm_instance *inst, hnsm_event_scope scope, const char *object_id,
                           hnsm_event_fn fn, void *context, hnsm_subscription **out)
{
    if (out)
        *out = NULL;
    if (!inst || !fn || !out || (scope == HNSM_EVENTS_GNS && !object_id))
        return HNSM_EINVAL;
    hnsm_subscription *s = calloc(1, sizeof *s);
    if (!s)
        return HNSM_ENOMEM;
    s->scope = scope;
    s->fn = fn;
    s->context = context;
    if (scope == HNSM_EVENTS_GNS)
        snprintf(s->object, sizeof s->object, "%s", object_id);
    pthread_mutex_lock(&inst->lock);
    int err = inst->events ? 0 : events_create(inst);
    struct hnsm_events *ev = inst->events;
    if (!err) {
        pthread_mutex_lock(&ev->mutex);
        s->ev = ev;
        s->serial = ev->next_serial++;
        if (ev->subs_tail)
            ev->subs_tail->next = s;
        else
            ev->subs = s;
        ev->subs_tail = s;
        ev->live++;
        pthread_mutex_unlock(&ev->mutex);
    }
    pthread_mutex_unlock(&inst->lock);
    if (err) {
        free(s);
        return err;
    }
    *out = s;
    return 0;
}

int hnsm_subscribe(hnsm_instance *inst, hnsm_event_fn fn, void *context, hnsm_subscription **out)
{
    return hnsm__subscribe_scoped(inst, HNSM_EVENTS_ALL, NULL, fn, context, out);
}

/* Removes s from the list; mutex held. */
static void unlink_subscription(struct hnsm_events *ev, hnsm_subscription *s)
{
    hnsm_subscription *prev = NULL;
    for (hnsm_subscription *p = ev->subs; p; prev = p, p = p->next) {
        if (p != s)
            continue;
        if (prev)
            prev->next = p->next;
        else
            ev->subs = p->next;
        if (ev->subs_tail == p)
            ev->subs_tail = prev;
        if (!p->disconnected)
            ev->live--;
        p->next = NULL;
        return;
    }
}

void hnsm_unsubscribe(hnsm_subscription *sub)
{
    if (!sub)
        return;
    struct hnsm_events *ev = sub->ev;
    if (!ev) { /* the instance has closed; nothing can call it any more */
        free(sub);
        return;
    }
    pthread_mutex_lock(&ev->mutex);
    unlink_subscription(ev, sub);
    if (ev->running == sub) {
        if (on_delivery_thread(ev)) {
            /* Its own callback: the thread frees it when the callback returns. */
            ev->release_running = true;
            pthread_mutex_unlock(&ev->mutex);
            return;
        }
        while (ev->running == sub)
            pthread_cond_wait(&ev->idle, &ev->mutex);
    }
    pthread_mutex_unlock(&ev->mutex);
    free(sub);
}

bool hnsm__events_wanted(hnsm_instance *inst)
{
    struct hnsm_events *ev = inst->events;
    if (!ev)
        return false;
    pthread_mutex_lock(&ev->mutex);
    bool live = ev->live > 0;
    pthread_mutex_unlock(&ev->mutex);
    return live;
}

/* Renders {"ID":..,"Flags":0[,"Data":..]}; NULL when out of memory. */
static char *notification_data(hnsm_instance *inst, const char *id, const cJSON *data_extra)
{
    char g[HNSM_GUID_TEXT];
    hnsm__render_guid(inst, id, g);
    cJSON *doc = cJSON_CreateObject();
    if (!doc || !cJSON_AddStringToObject(doc, "ID", g) ||
        !cJSON_AddNumberToObject(doc, "Flags", 0)) {
        cJSON_Delete(doc);
        return NULL;
    }
    if (data_extra) {
        cJSON *copy = cJSON_Duplicate(data_extra, 1);
        if (!copy || !cJSON_AddItemToObject(doc, "Data", copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(doc);
            return NULL;
        }
    }
    char *text = jx_print(doc);
    cJSON_Delete(doc);
    return text;
}

void hnsm__event(hnsm_instance *inst, uint32_t type, const char *id, const cJSON *data_extra)
{
    if (!hnsm__events_wanted(inst) || !id)
        return;
    event *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->type = type;
    snprintf(e->object, sizeof e->object, "%s", id);
    e->data = notification_data(inst, id, data_extra);
    if (!e->data) { /* out of memory: the notification is lost, the call is not */
        free(e);
        return;
    }
    struct hnsm_events *ev = inst->events;
    if (ev->pending_tail)
        ev->pending_tail->next = e;
    else
        ev->pending = e;
    ev->pending_tail = e;
}

/* Appends the list first..last to the queue and wakes the thread; mutex held. */
static void enqueue(struct hnsm_events *ev, event *first, event *last)
{
    for (event *e = first; e; e = e->next) {
        e->serial_limit = ev->next_serial;
        ev->committed++;
    }
    if (ev->queue_tail)
        ev->queue_tail->next = first;
    else
        ev->queue = first;
    ev->queue_tail = last;
    pthread_cond_signal(&ev->wake);
}

void hnsm__events_commit(hnsm_instance *inst)
{
    struct hnsm_events *ev = inst->events;
    if (!ev || !ev->pending)
        return;
    pthread_mutex_lock(&ev->mutex);
    enqueue(ev, ev->pending, ev->pending_tail);
    pthread_mutex_unlock(&ev->mutex);
    ev->pending = ev->pending_tail = NULL;
}

void hnsm__events_discard(hnsm_instance *inst)
{
    struct hnsm_events *ev = inst->events;
    if (!ev || !ev->pending)
        return;
    event_list_free(ev->pending);
    ev->pending = ev->pending_tail = NULL;
}

/* Queues ServiceDisconnect when anyone listens; mutex held. */
static void queue_disconnect(struct hnsm_events *ev)
{
    if (!ev->live)
        return;
    event *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->type = HcnNotificationServiceDisconnect;
    enqueue(ev, e, e);
}

void hnsm__events_disconnect(hnsm_instance *inst)
{
    struct hnsm_events *ev = inst->events;
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mutex);
    queue_disconnect(ev);
    pthread_mutex_unlock(&ev->mutex);
}

void hnsm_notifications_drain(hnsm_instance *inst)
{
    if (!inst)
        return;
    pthread_mutex_lock(&inst->lock);
    struct hnsm_events *ev = inst->events;
    pthread_mutex_unlock(&inst->lock);
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mutex);
    /* On the delivery thread the wait could never end: the events behind the
     * current one are delivered after this callback returns. */
    if (!on_delivery_thread(ev)) {
        uint64_t target = ev->committed;
        while (ev->delivered < target)
            pthread_cond_wait(&ev->idle, &ev->mutex);
    }
    pthread_mutex_unlock(&ev->mutex);
}

void hnsm__events_shutdown(hnsm_instance *inst)
{
    struct hnsm_events *ev = inst->events;
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mutex);
    bool self = on_delivery_thread(ev);
    if (!self)
        queue_disconnect(ev);
    ev->stopping = true;
    pthread_cond_signal(&ev->wake);
    if (self) {
        /* hnsm_close from inside a callback: the thread cannot join itself.
         * Undelivered events are dropped, subscriptions detached now, and the
         * thread frees the struct once the running callback returns. */
        inst->events = NULL;
        event_list_free(ev->pending);
        ev->pending = ev->pending_tail = NULL;
        ev->orphaned = true;
        for (hnsm_subscription *s = ev->subs; s; s = s->next)
            s->ev = NULL;
        ev->subs = ev->subs_tail = NULL;
        pthread_detach(ev->thread);
        pthread_mutex_unlock(&ev->mutex);
        return;
    }
    pthread_mutex_unlock(&ev->mutex);
    /* Callbacks still running may call into inst (and raise, or subscribe):
     * the thread delivers whatever they queue before it exits. */
    pthread_join(ev->thread, NULL);
    pthread_mutex_lock(&inst->lock);
    inst->events = NULL;
    event_list_free(ev->pending);
    ev->pending = ev->pending_tail = NULL;
    pthread_mutex_unlock(&inst->lock);
    for (hnsm_subscription *s = ev->subs; s;) {
        hnsm_subscription *next = s->next;
        s->ev = NULL;
        s->next = NULL;
        s = next;
    }
    events_destroy(ev);
}
