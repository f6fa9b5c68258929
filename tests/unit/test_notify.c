/*
 * test_notify.c - HNS notifications (hns-mock/notify.c, hcn-api.md 1.4).
 *
 * Covers, through the control API (hnsm_subscribe, hnsm_unsubscribe,
 * hnsm_notifications_drain) and hnsm_call: the exact NotificationData of
 * network, namespace and endpoint attach/detach events, in raise order, with
 * the GUID case of the GUID_UPPER_CASE choice; VM port attach/detach
 * (choice NOTIFY_PORT_ATTACH); delivery on one thread that is
 * not the caller's, after the call returned (a callback that waits for the
 * caller to return does not deadlock it); a callback calling back into the
 * API; a failed call notifying nobody, and events raised inside a transaction
 * that rolls back reaching nobody (through the internal hooks exec.c uses);
 * hnsm_unsubscribe waiting for a slow callback to return, and a callback
 * unsubscribing itself; a subscription not hearing events committed before
 * it; drain covering every subscriber; four threads creating networks at once
 * giving events in the order the networks were created; ServiceDisconnect as
 * the last event when the instance closes, and unsubscribing after close;
 * a callback closing its own instance;
 * the scopes of the HCN registrations (service callbacks do not hear a guest
 * network service's state, a service's callback hears only its own), and a
 * restart's disconnect ending HCN registrations but not control-API ones.
 *
 * Callbacks only record what they receive (cmocka cannot fail from another
 * thread); the test thread asserts after draining.
 */
#include "unit.h"

#include "hresult.h"
#include "instance.h"
#include "notify.h"

#include <computenetwork.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

/* ---- a recorder that callbacks append to -------------------------------- */

#define MAX_RECORDS 256

typedef struct record {
    uint32_t type;
    char data[256]; /* "(null)" for a NULL NotificationData */
    pthread_t thread;
} record;

typedef struct recorder {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    record records[MAX_RECORDS];
    int count;
    /* Knobs some tests turn. */
    hnsm_instance *inst;        /* for callbacks that call back */
    int call_back_on;           /* notification type that triggers a namespace create */
    HRESULT call_back_hr;       /* what that create returned */
    unsigned slow_ms;           /* sleep this long inside every callback */
    bool entered, left;         /* set around the sleep of a slow callback */
    bool block_first;           /* the first callback waits for `released` */
    bool released;
    bool wait_for_caller;       /* each callback waits for `caller_returned` */
    bool caller_returned;
    bool timed_out;             /* a wait above gave up */
    hnsm_subscription *self;    /* unsubscribe this from the first callback */
    bool close_on_first;        /* the first callback closes inst ... */
    bool closed;                /* ... and sets this once hnsm_close returned */
} recorder;

static void recorder_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
}

static void recorder_done(recorder *r)
{
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
}

/* Waits on r->changed until *flag, for at most 5 s; lock held. */
static void wait_flag(recorder *r, const bool *flag)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    while (!*flag) {
        if (pthread_cond_timedwait(&r->changed, &r->lock, &deadline) == ETIMEDOUT) {
            r->timed_out = true;
            return;
        }
    }
}

static void sleep_ms(unsigned ms)
{
    struct timespec t = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

static void set_flag(recorder *r, bool *flag)
{
    pthread_mutex_lock(&r->lock);
    *flag = true;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

static void on_event(uint32_t type, const char *data, void *context)
{
    recorder *r = context;
    pthread_mutex_lock(&r->lock);
    bool first = r->count == 0;
    if (r->count < MAX_RECORDS) {
        record *rec = &r->records[r->count++];
        rec->type = type;
        snprintf(rec->data, sizeof rec->data, "%s", data ? data : "(null)");
        rec->thread = pthread_self();
    }
    pthread_cond_broadcast(&r->changed);
    if (first && r->block_first)
        wait_flag(r, &r->released);
    if (r->wait_for_caller)
        wait_flag(r, &r->caller_returned);
    hnsm_subscription *self = first ? r->self : NULL;
    unsigned slow = r->slow_ms;
    int call_back_on = r->call_back_on;
    pthread_mutex_unlock(&r->lock);

    if (self)
        hnsm_unsubscribe(self);
    if (first && r->close_on_first) {
        hnsm_close(r->inst);
        set_flag(r, &r->closed);
    }
    if (slow) {
        set_flag(r, &r->entered);
        sleep_ms(slow);
        set_flag(r, &r->left);
    }
    if (call_back_on && (int)type == call_back_on) {
        char *id = NULL;
        HRESULT hr = hnsm_call(r->inst, HNSM_NAMESPACE, HNSM_OP_CREATE, NULL, NULL,
                               "{" V2 "}", &id, NULL);
        hnsm_free(id);
        pthread_mutex_lock(&r->lock);
        r->call_back_hr = hr;
        pthread_mutex_unlock(&r->lock);
    }
}

static int recorded(recorder *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static void assert_record(const recorder *r, int i, uint32_t type, const char *data)
{
    if (i >= r->count)
        fail_msg("event %d missing (only %d recorded)", i, r->count);
    if (r->records[i].type != type || strcmp(r->records[i].data, data) != 0)
        fail_msg("event %d: got 0x%X %s\n wanted 0x%X %s", i, (unsigned)r->records[i].type,
                 r->records[i].data, (unsigned)type, data);
}

/* ---- helpers --------------------------------------------------------------- */

static hnsm_instance *open_memory(void)
{
    hnsm_config config = {0};
    config.seed = 7;
    config.seed_set = 1;
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    return inst;
}

/* Runs a call that must succeed; returns its result (free with hnsm_free). */
static char *call_ok(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                     const char *parent, const char *json)
{
    char *result = NULL, *error = NULL;
    HRESULT hr = hnsm_call(inst, kind, op, id, parent, json, &result, &error);
    if (FAILED(hr))
        fail_msg("call %d/%d: 0x%08X %s (%s)", kind, op, (unsigned)hr, error ? error : "",
                 hnsm_last_detail());
    hnsm_free(error);
    return result;
}

static void create_network(hnsm_instance *inst, const char *name, char id[64])
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"Name\":\"%s\",\"Type\":\"NAT\",\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":"
             "\"172.20.0.0/24\",\"Routes\":[{\"NextHop\":\"172.20.0.1\",\"DestinationPrefix\":"
             "\"0.0.0.0/0\"}]}]}]," V2 "}",
             name);
    char *result = call_ok(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, json);
    snprintf(id, 64, "%s", result);
    hnsm_free(result);
}

static void expect_json(char *out, size_t size, const char *id)
{
    snprintf(out, size, "{\"ID\":\"%s\",\"Flags\":0}", id);
}

/* ---- tests ----------------------------------------------------------------- */

/* hcn-api.md 1.4 (WSDOC NotificationBase {ID, Flags}; Data from schema 2.2). */
static void events_arrive_in_order_with_their_notification_data(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);

    char net[64], ns[64], ep[64], want[256];
    create_network(inst, "nat", net);
    char *t = call_ok(inst, HNSM_NAMESPACE, HNSM_OP_CREATE, NULL, NULL, "{" V2 "}");
    snprintf(ns, sizeof ns, "%s", t);
    hnsm_free(t);
    t = call_ok(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, net, "{\"Name\":\"ep\"," V2 "}");
    snprintf(ep, sizeof ep, "%s", t);
    hnsm_free(t);
    char attach[256];
    snprintf(attach, sizeof attach,
             "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":{\"EndpointId\":"
             "\"%s\"}}",
             ep);
    hnsm_free(call_ok(inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, ns, NULL, attach));
    snprintf(attach, sizeof attach,
             "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Remove\",\"Settings\":{"
             "\"EndpointId\":\"%s\"}}",
             ep);
    hnsm_free(call_ok(inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, ns, NULL, attach));
    hnsm_free(call_ok(inst, HNSM_NAMESPACE, HNSM_OP_DELETE, ns, NULL, NULL));
    hnsm_free(call_ok(inst, HNSM_NETWORK, HNSM_OP_DELETE, net, NULL, NULL));
    hnsm_notifications_drain(inst);

    assert_int_equal(r.count, 6);
    expect_json(want, sizeof want, net);
    assert_record(&r, 0, HcnNotificationNetworkCreate, want);
    expect_json(want, sizeof want, ns);
    assert_record(&r, 1, HcnNotificationNamespaceCreate, want);
    snprintf(want, sizeof want, "{\"ID\":\"%s\",\"Flags\":0,\"Data\":{\"NamespaceId\":\"%s\"}}",
             ep, ns);
    assert_record(&r, 2, HcnNotificationNetworkEndpointAttached, want);
    assert_record(&r, 3, HcnNotificationNetworkEndpointDetached, want);
    expect_json(want, sizeof want, ns);
    assert_record(&r, 4, HcnNotificationNamespaceDelete, want);
    expect_json(want, sizeof want, net);
    assert_record(&r, 5, HcnNotificationNetworkDelete, want);

    /* One delivery thread, never the caller's. */
    for (int i = 0; i < r.count; i++) {
        assert_true(pthread_equal(r.records[i].thread, r.records[0].thread));
        assert_false(pthread_equal(r.records[i].thread, pthread_self()));
    }
    hnsm_unsubscribe(sub);
    hnsm_close(inst);
    recorder_done(&r);
}

/* choices.def NOTIFY_PORT_ATTACH: a VM port attach (hcn-api.md 2.3, 2.7
 * ResourceType Port) is an endpoint attach too, with the Data of a v1
 * VirtualMachine attach; 0 = not notified. */
static void vm_port_attach_and_detach_are_notified(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    char net[64], ep[64], want[256];
    create_network(inst, "nat", net);
    char *t = call_ok(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, net, "{\"Name\":\"ep\"," V2 "}");
    snprintf(ep, sizeof ep, "%s", t);
    hnsm_free(t);
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    static const char attach[] =
        "{\"ResourceType\":\"Port\",\"RequestType\":\"Add\",\"Settings\":{\"PortId\":"
        "\"9C1D6B1A-52A4-4C61-8E2B-0F4B8B6C2D11\",\"VirtualNicName\":\"vm1--ep\","
        "\"VirtualMachineId\":\"5E0E4A52-3C0B-4D7E-9A41-1B2C3D4E5F61\"}}";
    static const char detach[] = "{\"ResourceType\":\"Port\",\"RequestType\":\"Remove\"}";
    hnsm_free(call_ok(inst, HNSM_ENDPOINT, HNSM_OP_MODIFY, ep, NULL, attach));
    hnsm_free(call_ok(inst, HNSM_ENDPOINT, HNSM_OP_MODIFY, ep, NULL, detach));
    /* A second detach fails (HCN_E_ENDPOINT_NOT_ATTACHED): nobody hears it. */
    assert_hr(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_MODIFY, ep, NULL, detach, NULL, NULL),
              HNSM_HCN_E_ENDPOINT_NOT_ATTACHED);
    assert_int_equal(hnsm_set_choice(inst, "NOTIFY_PORT_ATTACH", 0), 0);
    hnsm_free(call_ok(inst, HNSM_ENDPOINT, HNSM_OP_MODIFY, ep, NULL, attach));
    hnsm_free(call_ok(inst, HNSM_ENDPOINT, HNSM_OP_MODIFY, ep, NULL, detach));
    hnsm_notifications_drain(inst);
    assert_int_equal(r.count, 2);
    snprintf(want, sizeof want,
             "{\"ID\":\"%s\",\"Flags\":0,\"Data\":{\"SystemType\":\"VirtualMachine\","
             "\"VirtualNicName\":\"vm1--ep\"}}",
             ep);
    assert_record(&r, 0, HcnNotificationNetworkEndpointAttached, want);
    assert_record(&r, 1, HcnNotificationNetworkEndpointDetached, want);
    hnsm_unsubscribe(sub);
    hnsm_close(inst);
    recorder_done(&r);
}

/* choices.def GUID_UPPER_CASE: NotificationData ids follow the output case. */
static void notification_ids_follow_the_guid_case_choice(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    assert_int_equal(hnsm_set_choice(inst, "GUID_UPPER_CASE", 0), 0);
    recorder r;
    recorder_init(&r);
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char net[64], want[256];
    create_network(inst, "nat", net);
    hnsm_notifications_drain(inst);
    for (char *p = net; *p; p++)
        assert_false(*p >= 'A' && *p <= 'F'); /* create returned it lower-case too */
    expect_json(want, sizeof want, net);
    assert_int_equal(r.count, 1);
    assert_record(&r, 0, HcnNotificationNetworkCreate, want);
    hnsm_unsubscribe(sub);
    hnsm_close(inst);
    recorder_done(&r);
}

/* Issue 3: "never re-entering the caller's call". The callback waits until
 * the caller's call has returned: synchronous delivery would deadlock here. */
static void delivery_happens_after_the_call_returned(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    r.wait_for_caller = true;
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char net[64];
    create_network(inst, "nat", net);
    set_flag(&r, &r.caller_returned);
    hnsm_notifications_drain(inst);
    assert_false(r.timed_out);
    assert_int_equal(r.count, 1);
    hnsm_unsubscribe(sub);
    hnsm_close(inst);
    recorder_done(&r);
}

/* A callback holds no lock of the instance: it may call the API, and what
 * that call raises is delivered after the current event. */
static void a_callback_may_call_back_into_the_api(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    r.inst = inst;
    r.call_back_on = HcnNotificationNetworkCreate;
    r.call_back_hr = E_FAIL;
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char net[64];
    create_network(inst, "nat", net);
    hnsm_notifications_drain(inst); /* the network event (and the callback's call) */
    hnsm_notifications_drain(inst); /* the namespace event that call committed */
    assert_hr(r.call_back_hr, S_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.records[0].type, HcnNotificationNetworkCreate);
    assert_int_equal(r.records[1].type, HcnNotificationNamespaceCreate);
    hnsm_unsubscribe(sub);
    hnsm_close(inst);
    recorder_done(&r);
}

/* A call that fails rolls back and notifies nobody (exec.c discards the
 * pending events); events raised in a rolled-back transaction never leave. */
static void rolled_back_calls_notify_nobody(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char first[64], second[64], want[256];
    create_network(inst, "one", first);
    HRESULT hr = hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                           "{\"Name\":\"one\",\"Type\":\"NAT\"," V2 "}", NULL, NULL);
    assert_hr(hr, HNSM_HCN_E_NETWORK_ALREADY_EXISTS);
    create_network(inst, "two", second);

    /* The hooks as exec.c drives them: raise, then roll back or commit. */
    pthread_mutex_lock(&inst->lock);
    hnsm__event(inst, HcnNotificationNamespaceCreate, "11111111-1111-1111-1111-111111111111",
                NULL);
    hnsm__events_discard(inst);
    hnsm__event(inst, HcnNotificationNamespaceDelete, "22222222-2222-2222-2222-222222222222",
                NULL);
    hnsm__events_commit(inst);
    pthread_mutex_unlock(&inst->lock);
    hnsm_notifications_drain(inst);

    assert_int_equal(r.count, 3);
    expect_json(want, sizeof want, first);
    assert_record(&r, 0, HcnNotificationNetworkCreate, want);
    expect_json(want, sizeof want, second);
    assert_record(&r, 1, HcnNotificationNetworkCreate, want);
    assert_record(&r, 2, HcnNotificationNamespaceDelete,
                  "{\"ID\":\"22222222-2222-2222-2222-222222222222\",\"Flags\":0}");
    hnsm_unsubscribe(sub);
    hnsm_close(inst);
    recorder_done(&r);
}

/* hnsmock.h: "when it returns, fn is not running and will not run". */
static void unsubscribe_waits_for_a_slow_callback(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    r.slow_ms = 300;
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char net[64];
    create_network(inst, "one", net);
    pthread_mutex_lock(&r.lock);
    wait_flag(&r, &r.entered);
    pthread_mutex_unlock(&r.lock);
    assert_false(r.timed_out);
    hnsm_unsubscribe(sub);
    pthread_mutex_lock(&r.lock);
    bool finished = r.left;
    pthread_mutex_unlock(&r.lock);
    assert_true(finished);
    create_network(inst, "two", net);
    hnsm_notifications_drain(inst);
    assert_int_equal(recorded(&r), 1);
    hnsm_close(inst);
    recorder_done(&r);
}

static void a_callback_may_unsubscribe_itself(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    hnsm_subscription *sub = NULL;
    pthread_mutex_lock(&r.lock); /* r.self is read by the callback under this lock */
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    r.self = sub;
    pthread_mutex_unlock(&r.lock);
    char net[64];
    create_network(inst, "one", net);
    create_network(inst, "two", net);
    create_network(inst, "three", net);
    hnsm_notifications_drain(inst);
    assert_int_equal(r.count, 1);
    hnsm_close(inst); /* the thread freed the subscription: nothing leaks */
    recorder_done(&r);
}

/* A subscription hears what is committed after it, not what was queued
 * before (the first subscriber is held inside its callback meanwhile). */
static void a_new_subscription_misses_events_committed_before_it(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder a, b;
    recorder_init(&a);
    recorder_init(&b);
    a.block_first = true;
    hnsm_subscription *sa = NULL, *sb = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &a, &sa), 0);
    char net[64];
    create_network(inst, "one", net);
    create_network(inst, "two", net);
    assert_int_equal(hnsm_subscribe(inst, on_event, &b, &sb), 0);
    set_flag(&a, &a.released);
    hnsm_notifications_drain(inst);
    assert_int_equal(a.count, 2);
    assert_int_equal(b.count, 0);
    create_network(inst, "three", net);
    hnsm_notifications_drain(inst);
    assert_int_equal(a.count, 3);
    assert_int_equal(b.count, 1);
    assert_false(a.timed_out);
    hnsm_unsubscribe(sa);
    hnsm_unsubscribe(sb);
    hnsm_close(inst);
    recorder_done(&a);
    recorder_done(&b);
}

typedef struct creator {
    hnsm_instance *inst;
    int index;
} creator;

static void *create_many(void *arg)
{
    creator *c = arg;
    for (int i = 0; i < 10; i++) {
        char name[32], json[160];
        snprintf(name, sizeof name, "t%d-%d", c->index, i);
        snprintf(json, sizeof json, "{\"Name\":\"%s\",\"Type\":\"NAT\"," V2 "}", name);
        char *id = NULL;
        if (FAILED(hnsm_call(c->inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, json, &id, NULL)))
            return (void *)1;
        hnsm_free(id);
    }
    return NULL;
}

/* Events leave in the order the operations committed: four threads creating
 * networks see them notified in enumeration (creation) order, once each. */
static void concurrent_callers_are_notified_in_commit_order(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r, slow;
    recorder_init(&r);
    recorder_init(&slow);
    slow.slow_ms = 1;
    hnsm_subscription *sub = NULL, *slow_sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    assert_int_equal(hnsm_subscribe(inst, on_event, &slow, &slow_sub), 0);
    pthread_t threads[4];
    creator c[4];
    for (int i = 0; i < 4; i++) {
        c[i].inst = inst;
        c[i].index = i;
        assert_int_equal(pthread_create(&threads[i], NULL, create_many, &c[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *failed = NULL;
        pthread_join(threads[i], &failed);
        assert_null(failed);
    }
    hnsm_notifications_drain(inst);
    /* drain covers the slow subscriber too */
    assert_int_equal(r.count, 40);
    assert_int_equal(slow.count, 40);
    char *list = call_ok(inst, HNSM_NETWORK, HNSM_OP_ENUMERATE, NULL, NULL, NULL);
    cJSON *ids = parse_json(list);
    hnsm_free(list);
    assert_int_equal(cJSON_GetArraySize(ids), 40);
    for (int i = 0; i < 40; i++) {
        char want[256];
        expect_json(want, sizeof want, cJSON_GetArrayItem(ids, i)->valuestring);
        assert_record(&r, i, HcnNotificationNetworkCreate, want);
    }
    cJSON_Delete(ids);
    hnsm_unsubscribe(sub);
    hnsm_unsubscribe(slow_sub);
    hnsm_close(inst);
    recorder_done(&r);
    recorder_done(&slow);
}

/* hcn-api.md 1.4 HcnNotificationServiceDisconnect: the last thing a
 * subscriber hears when the instance closes; the subscription stays the
 * caller's to free. */
static void close_sends_service_disconnect_last(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char net[64], want[256];
    create_network(inst, "one", net);
    hnsm_close(inst); /* delivers what is queued, then the disconnect, then joins */
    assert_int_equal(r.count, 2);
    expect_json(want, sizeof want, net);
    assert_record(&r, 0, HcnNotificationNetworkCreate, want);
    assert_record(&r, 1, HcnNotificationServiceDisconnect, "(null)");
    hnsm_unsubscribe(sub); /* after close: frees, calls nothing */
    assert_int_equal(r.count, 2);
    recorder_done(&r);
}

/* hnsm_close from inside a callback cannot join the delivery thread: it
 * returns, the rest of the queue is dropped, and the thread frees itself. */
static void a_callback_may_close_its_instance(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    recorder r;
    recorder_init(&r);
    r.inst = inst;
    r.close_on_first = true;
    r.block_first = true; /* the first callback waits for `released`, then closes */
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &r, &sub), 0);
    char net[64];
    create_network(inst, "one", net);
    create_network(inst, "two", net); /* queued behind the first: never delivered */
    /* From here on this thread leaves inst alone: the callback closes it. */
    set_flag(&r, &r.released);
    pthread_mutex_lock(&r.lock);
    wait_flag(&r, &r.closed);
    pthread_mutex_unlock(&r.lock);
    assert_false(r.timed_out);
    assert_int_equal(recorded(&r), 1);
    hnsm_unsubscribe(sub); /* detached by the close: freed, nothing called */
    recorder_done(&r);
}

static void argument_errors(void **state)
{
    (void)state;
    hnsm_instance *inst = open_memory();
    hnsm_subscription *sub = (hnsm_subscription *)1;
    assert_int_equal(hnsm_subscribe(inst, NULL, NULL, &sub), HNSM_EINVAL);
    assert_null(sub);
    assert_int_equal(hnsm_subscribe(NULL, on_event, NULL, &sub), HNSM_EINVAL);
    assert_int_equal(hnsm_subscribe(inst, on_event, NULL, NULL), HNSM_EINVAL);
    hnsm_unsubscribe(NULL);
    hnsm_notifications_drain(NULL);
    hnsm_notifications_drain(inst); /* nobody ever subscribed: returns at once */
    assert_false(hnsm__events_wanted(inst));
    hnsm_close(inst);
}

/* notify.c's table: service callbacks hear service- and network-handle
 * values, a guest network service's callback only that service's values. */
static void scopes_select_what_a_registration_hears(void **state)
{
    (void)state;
    static const char gns_a[] = "AAAAAAAA-0000-0000-0000-000000000001";
    static const char gns_b[] = "BBBBBBBB-0000-0000-0000-000000000002";
    hnsm_instance *inst = open_memory();
    recorder all, service, only_a;
    recorder_init(&all);
    recorder_init(&service);
    recorder_init(&only_a);
    hnsm_subscription *s1 = NULL, *s2 = NULL, *s3 = NULL;
    assert_int_equal(hnsm_subscribe(inst, on_event, &all, &s1), 0);
    assert_int_equal(hnsm__subscribe_scoped(inst, HNSM_EVENTS_SERVICE, NULL, on_event, &service,
                                            &s2),
                     0);
    hnsm_subscription *refused = NULL;
    assert_int_equal(hnsm__subscribe_scoped(inst, HNSM_EVENTS_GNS, NULL, on_event, &only_a,
                                            &refused),
                     HNSM_EINVAL);
    assert_null(refused);
    assert_int_equal(hnsm__subscribe_scoped(inst, HNSM_EVENTS_GNS, gns_a, on_event, &only_a, &s3),
                     0);
    pthread_mutex_lock(&inst->lock);
    hnsm__event(inst, HcnNotificationGuestNetworkServiceCreate, gns_a, NULL);
    hnsm__event(inst, HcnNotificationGuestNetworkServiceStateChanged, gns_a, NULL);
    hnsm__event(inst, HcnNotificationGuestNetworkServiceStateChanged, gns_b, NULL);
    hnsm__event(inst, HcnNotificationNetworkEndpointAttached, gns_b, NULL);
    hnsm__events_commit(inst);
    pthread_mutex_unlock(&inst->lock);
    hnsm_notifications_drain(inst);
    assert_int_equal(all.count, 4);
    assert_int_equal(service.count, 2);
    assert_int_equal(service.records[0].type, HcnNotificationGuestNetworkServiceCreate);
    assert_int_equal(service.records[1].type, HcnNotificationNetworkEndpointAttached);
    assert_int_equal(only_a.count, 1);
    assert_int_equal(only_a.records[0].type, HcnNotificationGuestNetworkServiceStateChanged);

    /* A restart: everyone hears the disconnect; HCN registrations then hear
     * nothing more, the control-API subscription goes on. */
    pthread_mutex_lock(&inst->lock);
    hnsm__events_disconnect(inst);
    pthread_mutex_unlock(&inst->lock);
    char net[64];
    create_network(inst, "after", net);
    hnsm_notifications_drain(inst);
    assert_int_equal(all.count, 6);
    assert_int_equal(all.records[4].type, HcnNotificationServiceDisconnect);
    assert_int_equal(all.records[5].type, HcnNotificationNetworkCreate);
    assert_int_equal(service.count, 3);
    assert_int_equal(service.records[2].type, HcnNotificationServiceDisconnect);
    assert_int_equal(only_a.count, 2);
    assert_int_equal(only_a.records[1].type, HcnNotificationServiceDisconnect);
    hnsm_unsubscribe(s1);
    hnsm_unsubscribe(s2);
    hnsm_unsubscribe(s3);
    assert_false(hnsm__events_wanted(inst));
    hnsm_close(inst);
    recorder_done(&all);
    recorder_done(&service);
    recorder_done(&only_a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_arrive_in_order_with_their_notification_data),
        cmocka_unit_test(vm_port_attach_and_detach_are_notified),
        cmocka_unit_test(notification_ids_follow_the_guid_case_choice),
        cmocka_unit_test(delivery_happens_after_the_call_returned),
        cmocka_unit_test(a_callback_may_call_back_into_the_api),
        cmocka_unit_test(rolled_back_calls_notify_nobody),
        cmocka_unit_test(unsubscribe_waits_for_a_slow_callback),
        cmocka_unit_test(a_callback_may_unsubscribe_itself),
        cmocka_unit_test(a_new_subscription_misses_events_committed_before_it),
        cmocka_unit_test(concurrent_callers_are_notified_in_commit_order),
        cmocka_unit_test(close_sends_service_disconnect_last),
        cmocka_unit_test(a_callback_may_close_its_instance),
        cmocka_unit_test(argument_errors),
        cmocka_unit_test(scopes_select_what_a_registration_hears),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
