/*
 * test_hnscall.c - the wide-string v1 entry point HNSCall (hns-mock/hnscall.c,
 * hcn-api.md 5.1).
 *
 * The conformance cases (tests/conformance/cases/v1_*.json) cover every path
 * through hnsm_hnscall; this file covers what only the Windows-shaped entry
 * point does and what the cases cannot see: no service to reach
 * (ERROR_SERVICE_NOT_ACTIVE, no response); the envelope as a CoTaskMem wide
 * string; non-ASCII text surviving the UTF-16/32 <-> UTF-8 round trip; a NULL
 * Request taken as ""; argument errors (E_POINTER, E_INVALIDARG, invalid wide
 * text) answered without a response; notifications of v1 calls raised in
 * order and only when the call commits; one latency charge per call and an
 * injected fault answered without a response (test_faults.c and
 * test_fault_sweep.c sweep faults over v1 sequences); several threads
 * calling HNSCall on one instance, each call one transaction.
 */
#include "unit.h"

#include "hresult.h"

#include <computenetwork.h>
#include <hnsmock/hnscall.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <wchar.h>

/* A malloc'd narrow copy of a wide string, for failure messages (characters
 * beyond ASCII become '?'). */
static char *narrow(const WCHAR *w)
{
    size_t n = w ? wcslen(w) : 0;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = w[i] < 0x80 ? (char)w[i] : '?';
    s[n] = '\0';
    return s;
}

/* Calls HNSCall and checks its HRESULT and, when expected is not NULL, the
 * exact response text; frees the response. */
static void check_call(PCWSTR method, PCWSTR path, PCWSTR request, HRESULT expected_hr,
                       PCWSTR expected)
{
    PWSTR response = (PWSTR)(uintptr_t)1;
    HRESULT hr = HNSCall(method, path, request, &response);
    assert_hr(hr, expected_hr);
    if (FAILED(hr)) {
        assert_null(response);
        return;
    }
    assert_non_null(response);
    if (expected && wcscmp(response, expected) != 0) {
        char *got = narrow(response), *want = narrow(expected);
        fail_msg("response\n   got: %s\nwanted: %s", got, want);
    }
    CoTaskMemFree(response);
}

static hnsm_instance *open_instance(const char *profile)
{
    hnsm_config config = {.profile = profile, .seed = 7, .seed_set = 1};
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    hnsm_use(inst);
    return inst;
}

static void close_instance(hnsm_instance *inst)
{
    hnsm_use(NULL);
    hnsm_close(inst);
}

/* Runs first: with no current instance and an environment that names no
 * valid profile, the default service cannot start. */
static void no_service_is_not_active(void **state)
{
    (void)state;
    setenv("HNSIM_PROFILE", "no-such-profile", 1);
    hnsm_use(NULL);
    check_call(L"GET", L"/globals/version", L"", HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE, NULL);
    unsetenv("HNSIM_PROFILE");
}

static void envelope_is_a_cotaskmem_wide_string(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    check_call(L"GET", L"/globals/version", L"", S_OK,
               L"{\"Success\":true,\"Output\":{\"Major\":13,\"Minor\":3}}");
    /* A logical failure is S_OK with Success:false (hcn-api.md 5.1). */
    check_call(L"GET", L"/networks/6B2D7E0A-7A53-4C55-9B1E-0C0C8D6F3A10", L"", S_OK,
               L"{\"Success\":false,\"Error\":\"The network was not found. \","
               L"\"ErrorCode\":-2143617023}");
    close_instance(inst);
}

static void non_ascii_text_round_trips(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    /* e-acute, two CJK characters and an emoji outside the BMP (a surrogate
     * pair where WCHAR is 16 bits). */
    check_call(L"POST", L"/networks/",
               L"{\"Name\":\"r\u00e9seau-\u7f51\u7edc-\U0001F642\",\"Type\":\"NAT\","
               L"\"Subnets\":[{\"AddressPrefix\":\"172.31.0.0/16\",\"GatewayAddress\":\"172.31.0.1\"}]}",
               S_OK, NULL);
    PWSTR response = NULL;
    assert_hr(HNSCall(L"GET", L"/networks/", L"", &response), S_OK);
    assert_non_null(wcsstr(response, L"\"Name\":\"r\u00e9seau-\u7f51\u7edc-\U0001F642\""));
    CoTaskMemFree(response);
    /* The same name through the UTF-8 entry point. */
    char *list = NULL;
    assert_hr(hnsm_hnscall(inst, "GET", "/networks/", "", &list), S_OK);
    assert_non_null(strstr(list, "\"Name\":\"r\xc3\xa9seau-\xe7\xbd\x91\xe7\xbb\x9c-\xf0\x9f\x99\x82\""));
    hnsm_free(list);
    close_instance(inst);
}

static void null_request_is_empty(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    check_call(L"GET", L"/networks/", NULL, S_OK, L"{\"Success\":true,\"Output\":[]}");
    /* A create needs a document: NULL reads as "", which is not JSON. */
    check_call(L"POST", L"/networks/", NULL, S_OK,
               L"{\"Success\":false,\"Error\":\"Invalid JSON document string. \","
               L"\"ErrorCode\":-2143616997}");
    close_instance(inst);
}

static void argument_errors_give_no_response(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    assert_hr(HNSCall(L"GET", L"/globals/version", L"", NULL), HNSM_E_POINTER);
    check_call(NULL, L"/globals/version", L"", HNSM_E_INVALIDARG, NULL);
    check_call(L"GET", NULL, L"", HNSM_E_INVALIDARG, NULL);
    /* A lone surrogate is not text, in the path or in the request. */
    const WCHAR bad_path[] = {L'/', L'n', (WCHAR)0xD800, 0};
    const WCHAR bad_request[] = {L'{', L'"', (WCHAR)0xDC00, L'"', L'}', 0};
    check_call(L"GET", bad_path, L"", HNSM_E_INVALIDARG, NULL);
    check_call(L"POST", L"/networks/", bad_request, HNSM_E_INVALIDARG, NULL);
    /* Nothing was created by the refused calls. */
    check_call(L"GET", L"/networks/", L"", S_OK, L"{\"Success\":true,\"Output\":[]}");
    close_instance(inst);
}

/* ---- notifications --------------------------------------------------------- */

#define MAX_EVENTS 32

typedef struct events {
    pthread_mutex_t lock;
    int count;
    uint32_t types[MAX_EVENTS];
    char data[MAX_EVENTS][256];
} events;

static void record_event(uint32_t type, const char *data, void *context)
{
    events *e = context;
    pthread_mutex_lock(&e->lock);
    if (e->count < MAX_EVENTS) {
        e->types[e->count] = type;
        snprintf(e->data[e->count], sizeof e->data[0], "%s", data ? data : "(null)");
        e->count++;
    }
    pthread_mutex_unlock(&e->lock);
}

/* Runs an HNSCall through the UTF-8 entry point, returning the envelope. */
static cJSON *call(hnsm_instance *inst, const char *method, const char *path, const char *body)
{
    char *response = NULL;
    assert_hr(hnsm_hnscall(inst, method, path, body, &response), S_OK);
    cJSON *e = parse_json(response);
    hnsm_free(response);
    return e;
}

/* The Output.ID of a successful create. */
static void created_id(cJSON *envelope, char id[64])
{
    const cJSON *out = cJSON_GetObjectItem(envelope, "Output");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(envelope, "Success")));
    snprintf(id, 64, "%s", cJSON_GetObjectItem(out, "ID")->valuestring);
    cJSON_Delete(envelope);
}

static void v1_calls_notify_on_commit_only(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    events e = {.count = 0};
    pthread_mutex_init(&e.lock, NULL);
    hnsm_subscription *sub = NULL;
    assert_int_equal(hnsm_subscribe(inst, record_event, &e, &sub), 0);

    char net[64], ep[64], path[160], want[256];
    created_id(call(inst, "POST", "/networks/",
                    "{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\",\"Subnets\":[{\"AddressPrefix\":"
                    "\"10.244.1.0/24\",\"GatewayAddress\":\"10.244.1.1\"}]}"),
               net);
    /* A refused create (same name) commits nothing and notifies nobody. */
    cJSON *dup = call(inst, "POST", "/networks/", "{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\"}");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(dup, "Success")));
    cJSON_Delete(dup);
    snprintf(path, sizeof path, "{\"Name\":\"cbr0_ep\",\"VirtualNetwork\":\"%s\"}", net);
    created_id(call(inst, "POST", "/endpoints/", path), ep);
    snprintf(path, sizeof path, "/endpoints/%s/attach", ep);
    cJSON_Delete(call(inst, "POST", path, "{\"CompartmentID\":1,\"SystemType\":\"Host\"}"));
    /* The repeat fails: no second Attached event. */
    cJSON_Delete(call(inst, "POST", path, "{\"CompartmentID\":1,\"SystemType\":\"Host\"}"));
    snprintf(path, sizeof path, "/endpoints/%s/detach", ep);
    cJSON_Delete(call(inst, "POST", path, "{\"SystemType\":\"Host\"}"));
    snprintf(path, sizeof path, "/networks/%s", net);
    cJSON_Delete(call(inst, "DELETE", path, ""));
    hnsm_notifications_drain(inst);

    pthread_mutex_lock(&e.lock);
    assert_int_equal(e.count, 4);
    assert_int_equal(e.types[0], HcnNotificationNetworkCreate);
    snprintf(want, sizeof want, "{\"ID\":\"%s\",\"Flags\":0}", net);
    assert_string_equal(e.data[0], want);
    assert_int_equal(e.types[1], HcnNotificationNetworkEndpointAttached);
    snprintf(want, sizeof want, "{\"ID\":\"%s\",\"Flags\":0,\"Data\":{\"SystemType\":\"Host\"}}", ep);
    assert_string_equal(e.data[1], want);
    assert_int_equal(e.types[2], HcnNotificationNetworkEndpointDetached);
    assert_int_equal(e.types[3], HcnNotificationNetworkDelete);
    pthread_mutex_unlock(&e.lock);

    hnsm_unsubscribe(sub);
    pthread_mutex_destroy(&e.lock);
    close_instance(inst);
}

/* ---- faults and latency ---------------------------------------------------- */

/* Each HNSCall is one "HNSCall" for fault injection, and costs the virtual
 * latency of the HCN operation its path performs, once: a v1 network create
 * costs what HcnCreateNetwork costs (1000-5000 ms, faults.c), a v1 read what
 * a query costs (1-5 ms). A call an injected fault stops is not charged and
 * leaves no response. */
static void latency_is_charged_once_per_call(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    assert_int_equal(hnsm_set_latency(inst, 1, 1.0), 0);
    for (int i = 0; i < 10; i++) {
        char body[160], *response = NULL;
        uint64_t before = hnsm_clock_ms(inst);
        snprintf(body, sizeof body, "{\"Name\":\"n%d\",\"Type\":\"NAT\",\"Subnets\":[{\"AddressPrefix\":"
                 "\"172.%d.0.0/16\",\"GatewayAddress\":\"172.%d.0.1\"}]}", i, 16 + i, 16 + i);
        assert_hr(hnsm_hnscall(inst, "POST", "/networks/", body, &response), S_OK);
        assert_non_null(strstr(response, "\"Success\":true"));
        hnsm_free(response);
        uint64_t spent = hnsm_clock_ms(inst) - before;
        assert_in_range(spent, 1000, 5000);
        before = hnsm_clock_ms(inst);
        assert_hr(hnsm_hnscall(inst, "GET", "/globals/version", "", &response), S_OK);
        hnsm_free(response);
        assert_in_range(hnsm_clock_ms(inst) - before, 1, 5);
    }
    assert_int_equal(hnsm_call_count(inst, "HNSCall"), 20);
    assert_int_equal(hnsm_call_count(inst, "HcnCreateNetwork"), 0);
    assert_int_equal(hnsm_call_count(inst, "HcnQueryNetworkProperties"), 0);

    hnsm_fault fault = {"HNSCall", HNSM_HCN_E_MANAGER_STOPPED, HNSM_FAULT_NTH, 1, 0.0};
    assert_int_equal(hnsm_fault_add(inst, &fault), 0);
    uint64_t before = hnsm_clock_ms(inst);
    char *response = (char *)"untouched";
    assert_hr(hnsm_hnscall(inst, "GET", "/networks/", "", &response), HNSM_HCN_E_MANAGER_STOPPED);
    assert_null(response);
    assert_int_equal(hnsm_clock_ms(inst), before);
    /* Through the wide entry point the injected HRESULT comes back the same way. */
    assert_int_equal(hnsm_fault_add(inst, &fault), 0);
    check_call(L"GET", L"/globals/version", L"", HNSM_HCN_E_MANAGER_STOPPED, NULL);
    close_instance(inst);
}

/* ---- threads --------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 25

typedef struct worker {
    hnsm_instance *inst;
    const char *network;
    int index;
    int failures;
} worker;

/* Each worker creates PER_THREAD endpoints through HNSCall. */
static void *create_endpoints(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char body[160], *response = NULL;
        snprintf(body, sizeof body, "{\"Name\":\"w%d-%d\",\"VirtualNetwork\":\"%s\"}", w->index, i,
                 w->network);
        if (FAILED(hnsm_hnscall(w->inst, "POST", "/endpoints/", body, &response)) ||
            !strstr(response, "\"Success\":true"))
            w->failures++;
        hnsm_free(response);
    }
    return NULL;
}

static void threads_get_one_transaction_per_call(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance("ws2022");
    char net[64];
    created_id(call(inst, "POST", "/networks/",
                    "{\"Name\":\"nat\",\"Type\":\"NAT\",\"Subnets\":[{\"AddressPrefix\":"
                    "\"172.28.0.0/24\",\"GatewayAddress\":\"172.28.0.1\"}]}"),
               net);
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){inst, net, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, create_endpoints, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].failures, 0);
    }
    /* Every endpoint got its own address: 100 distinct IPs from .2 up. */
    cJSON *list = call(inst, "GET", "/endpoints/", "");
    const cJSON *out = cJSON_GetObjectItem(list, "Output");
    assert_int_equal(cJSON_GetArraySize(out), THREADS * PER_THREAD);
    bool seen[256] = {false};
    const cJSON *ep;
    cJSON_ArrayForEach(ep, out)
    {
        unsigned a, b, c, d;
        assert_int_equal(sscanf(cJSON_GetObjectItem(ep, "IPAddress")->valuestring, "%u.%u.%u.%u",
                                &a, &b, &c, &d),
                         4);
        assert_false(seen[d]);
        seen[d] = true;
    }
    cJSON_Delete(list);
    cJSON *network = call(inst, "GET", "/networks/", "");
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(network, "Output"), 0),
                            "CurrentEndpointCount")
            ->valueint,
        THREADS * PER_THREAD);
    cJSON_Delete(network);
    close_instance(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_service_is_not_active),
        cmocka_unit_test(envelope_is_a_cotaskmem_wide_string),
        cmocka_unit_test(non_ascii_text_round_trips),
        cmocka_unit_test(null_request_is_empty),
        cmocka_unit_test(argument_errors_give_no_response),
        cmocka_unit_test(v1_calls_notify_on_commit_only),
        cmocka_unit_test(latency_is_charged_once_per_call),
        cmocka_unit_test(threads_get_one_transaction_per_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
