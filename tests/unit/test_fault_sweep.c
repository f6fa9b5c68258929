/*
 * test_fault_sweep.c - the SQLite-style fault sweep (STYLE.md): a multi-call
 * sequence is run with "fail call N" for N = 1, 2, 3... until it completes
 * without the fault firing.
 *
 * The sequence is what a node does when a pod starts, kube-proxy syncs and
 * the pod goes away: create the network, look it up, CNI ADD (endpoint with a
 * host port, namespace, attach), kube-proxy's listing and a remote backend
 * endpoint, a load balancer over both backends, a second pod's endpoint, then CNI
 * DEL (detach, delete the LB, delete the endpoint and the namespace).
 *
 * For each N and for both modes (NTH: only call N fails; FROM_NTH: call N
 * and every later one fails) the test checks that
 *   - the caller sees exactly the injected HRESULT, with its real ErrorRecord;
 *   - the store is consistent at that moment: every listed object can be
 *     queried, the listed objects are exactly the acknowledged ones, the
 *     namespace holds exactly the acknowledged attachment, the network's
 *     endpoint count matches, no address is held twice;
 *   - after the fault is cleared the caller retries the failed call and the
 *     rest of the sequence, and the final state is byte for byte the state
 *     of the run without any fault (a failed call drew no id and no address).
 *
 * The second test sweeps a v1 sequence (flannel host-gw and kube-proxy over
 * HNSCall: network, bridge endpoint + HostAttach, remote endpoint, policy
 * list) the same way with an "HNSCall" rule: HNSCall itself fails with the
 * injected HRESULT and no envelope, and every other answer is Success:true.
 */
#include "unit.h"

#include "hresult.h"

#include <stdbool.h>
#include <stdio.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"
#define QUERY_V2 "{" V2 "}"

/* The injected code: one the sequence never produces by itself. */
#define INJECTED HNSM_HCN_E_MANAGER_STOPPED

/* What the caller has been told: the acknowledged state. */
typedef struct sweep {
    hnsm_instance *inst;
    char net[64], e1[64], e2[64], r1[64], ns[64], lb[64];
    bool has_net, has_e1, has_e2, has_r1, has_ns, has_lb;
    bool e1_in_ns;
} sweep;

static HRESULT call(sweep *s, hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                    const char *json, char save[64])
{
    char *result = NULL, *record = NULL;
    HRESULT hr = hnsm_call(s->inst, kind, op, id, parent, json, &result, &record);
    if (SUCCEEDED(hr)) {
        assert_null(record);
        if (save)
            snprintf(save, 64, "%s", result ? result : "");
    } else {
        assert_null(result);
        assert_non_null(record);
        if (hr == INJECTED) {
            char *expected = hnsm__error_record(INJECTED);
            assert_string_equal(record, expected);
            free(expected);
        }
    }
    hnsm_free(result);
    hnsm_free(record);
    return hr;
}

/* ---- the steps --------------------------------------------------------------- */

static HRESULT create_network(sweep *s)
{
    HRESULT hr = call(s, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                      "{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\",\"Ipams\":[{\"Subnets\":[{"
                      "\"IpAddressPrefix\":\"10.244.1.0/24\",\"Routes\":[{\"NextHop\":"
                      "\"10.244.1.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]," V2 "}",
                      s->net);
    s->has_net |= SUCCEEDED(hr);
    return hr;
}

static HRESULT find_network(sweep *s)
{
    return call(s, HNSM_NETWORK, HNSM_OP_ENUMERATE, NULL, NULL,
                "{" V2 ",\"Filter\":\"{\\\"Name\\\":\\\"cbr0\\\"}\"}", NULL);
}

static HRESULT create_pod_endpoint(sweep *s)
{
    HRESULT hr = call(s, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, s->net,
                      "{\"Name\":\"pod1_eth0\",\"Policies\":[{\"Type\":\"PortMapping\","
                      "\"Settings\":{\"Protocol\":6,\"InternalPort\":80,\"ExternalPort\":8080}}]," V2
                      "}",
                      s->e1);
    s->has_e1 |= SUCCEEDED(hr);
    return hr;
}

static HRESULT create_namespace(sweep *s)
{
    HRESULT hr = call(s, HNSM_NAMESPACE, HNSM_OP_CREATE, NULL, NULL, "{\"Type\":\"Host\"," V2 "}",
                      s->ns);
    s->has_ns |= SUCCEEDED(hr);
    return hr;
}

static HRESULT modify_namespace(sweep *s, const char *request, bool attached)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"%s\",\"Settings\":{"
             "\"EndpointId\":\"%s\"}}",
             request, s->e1);
    HRESULT hr = call(s, HNSM_NAMESPACE, HNSM_OP_MODIFY, s->ns, NULL, json, NULL);
    if (SUCCEEDED(hr))
        s->e1_in_ns = attached;
    return hr;
}

static HRESULT attach_pod(sweep *s) { return modify_namespace(s, "Add", true); }

static HRESULT query_pod(sweep *s)
{
    return call(s, HNSM_ENDPOINT, HNSM_OP_QUERY, s->e1, NULL, QUERY_V2, NULL);
}

static HRESULT list_endpoints(sweep *s)
{
    return call(s, HNSM_ENDPOINT, HNSM_OP_ENUMERATE, NULL, NULL, QUERY_V2, NULL);
}

static HRESULT create_remote_endpoint(sweep *s)
{
    HRESULT hr = call(s, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, s->net,
                      "{\"Name\":\"remote\",\"Flags\":1,\"MacAddress\":\"02-11-0a-f4-02-05\","
                      "\"IpConfigurations\":[{\"IpAddress\":\"10.244.2.5\"}]," V2 "}",
                      s->r1);
    s->has_r1 |= SUCCEEDED(hr);
    return hr;
}

static HRESULT list_load_balancers(sweep *s)
{
    return call(s, HNSM_LOADBALANCER, HNSM_OP_ENUMERATE, NULL, NULL, QUERY_V2, NULL);
}

static HRESULT create_load_balancer(sweep *s)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"HostComputeEndpoints\":[\"%s\",\"%s\"],\"FrontendVIPs\":[\"10.96.0.10\"],"
             "\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":80,\"ExternalPort\":80}]," V2 "}",
             s->e1, s->r1);
    HRESULT hr = call(s, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL, json, s->lb);
    s->has_lb |= SUCCEEDED(hr);
    return hr;
}

static HRESULT create_second_pod(sweep *s)
{
    HRESULT hr = call(s, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, s->net, "{\"Name\":\"pod2_eth0\"," V2 "}",
                      s->e2);
    s->has_e2 |= SUCCEEDED(hr);
    return hr;
}

static HRESULT detach_pod(sweep *s) { return modify_namespace(s, "Remove", false); }

static HRESULT delete_load_balancer(sweep *s)
{
    HRESULT hr = call(s, HNSM_LOADBALANCER, HNSM_OP_DELETE, s->lb, NULL, NULL, NULL);
    if (SUCCEEDED(hr))
        s->has_lb = false;
    return hr;
}

static HRESULT delete_pod_endpoint(sweep *s)
{
    HRESULT hr = call(s, HNSM_ENDPOINT, HNSM_OP_DELETE, s->e1, NULL, NULL, NULL);
    if (SUCCEEDED(hr))
        s->has_e1 = false;
    return hr;
}

static HRESULT delete_namespace(sweep *s)
{
    HRESULT hr = call(s, HNSM_NAMESPACE, HNSM_OP_DELETE, s->ns, NULL, NULL, NULL);
    if (SUCCEEDED(hr))
        s->has_ns = false;
    return hr;
}

static HRESULT (*const steps[])(sweep *) = {
    create_network,      find_network,         create_pod_endpoint,  create_namespace,
    attach_pod,          query_pod,            list_endpoints,       create_remote_endpoint,
    list_load_balancers, create_load_balancer, create_second_pod,    detach_pod,
    delete_load_balancer, delete_pod_endpoint, delete_namespace,
};
#define STEP_COUNT (sizeof steps / sizeof steps[0])

/* ---- consistency -------------------------------------------------------------- */

/* The listed ids of kind (an array; caller deletes). */
static cJSON *list(sweep *s, hnsm_kind kind)
{
    char *result = NULL;
    assert_succeeded(hnsm_call(s->inst, kind, HNSM_OP_ENUMERATE, NULL, NULL, QUERY_V2, &result,
                               NULL));
    cJSON *ids = parse_json(result);
    hnsm_free(result);
    return ids;
}

/* Fails unless the listing of kind is exactly the acknowledged ids (the
 * ones whose flag is set), each of them queryable. */
static void assert_listing(sweep *s, hnsm_kind kind, const char *const ids[], const bool has[],
                           int n)
{
    cJSON *listed = list(s, kind);
    int expected = 0;
    for (int i = 0; i < n; i++) {
        if (!has[i])
            continue;
        expected++;
        bool found = false;
        const cJSON *item;
        cJSON_ArrayForEach(item, listed) found |= strcmp(item->valuestring, ids[i]) == 0;
        if (!found)
            fail_msg("acknowledged object %s (kind %d) is not listed", ids[i], (int)kind);
    }
    assert_int_equal(cJSON_GetArraySize(listed), expected);
    const cJSON *item;
    cJSON_ArrayForEach(item, listed)
    {
        char *doc = NULL;
        assert_succeeded(hnsm_call(s->inst, kind, HNSM_OP_QUERY, item->valuestring, NULL,
                                   QUERY_V2, &doc, NULL));
        hnsm_free(doc);
    }
    cJSON_Delete(listed);
}

/* The v2 document of kind id (caller deletes). */
static cJSON *query(sweep *s, hnsm_kind kind, const char *id, const char *q)
{
    char *result = NULL;
    assert_succeeded(hnsm_call(s->inst, kind, HNSM_OP_QUERY, id, NULL, q, &result, NULL));
    cJSON *doc = parse_json(result);
    hnsm_free(result);
    return doc;
}

static void assert_consistent(sweep *s)
{
    const char *networks[] = {s->net};
    const bool has_networks[] = {s->has_net};
    assert_listing(s, HNSM_NETWORK, networks, has_networks, 1);
    const char *endpoints[] = {s->e1, s->e2, s->r1};
    const bool has_endpoints[] = {s->has_e1, s->has_e2, s->has_r1};
    assert_listing(s, HNSM_ENDPOINT, endpoints, has_endpoints, 3);
    const char *namespaces[] = {s->ns};
    const bool has_namespaces[] = {s->has_ns};
    assert_listing(s, HNSM_NAMESPACE, namespaces, has_namespaces, 1);
    const char *lbs[] = {s->lb};
    const bool has_lbs[] = {s->has_lb};
    assert_listing(s, HNSM_LOADBALANCER, lbs, has_lbs, 1);
    /* The attachment is what the caller was told, seen from both sides. */
    if (s->has_ns) {
        cJSON *ns = query(s, HNSM_NAMESPACE, s->ns, QUERY_V2);
        char expected[160];
        if (s->e1_in_ns)
            snprintf(expected, sizeof expected, "[{\"Type\":\"Endpoint\",\"Data\":{\"ID\":\"%s\"}}]",
                     s->e1);
        else
            snprintf(expected, sizeof expected, "[]");
        assert_json(cJSON_GetObjectItem(ns, "Resources"), expected);
        cJSON_Delete(ns);
    }
    if (s->has_e1) {
        cJSON *ep = query(s, HNSM_ENDPOINT, s->e1, QUERY_V2);
        const cJSON *in = cJSON_GetObjectItem(ep, "HostComputeNamespace");
        if (s->e1_in_ns)
            assert_string_equal(cJSON_GetStringValue(in), s->ns);
        else
            assert_null(in);
        cJSON_Delete(ep);
    }
    /* The network counts exactly the acknowledged endpoints (v1 view). */
    if (s->has_net) {
        cJSON *v1 = query(s, HNSM_NETWORK, s->net, NULL);
        int count = s->has_e1 + s->has_e2 + s->has_r1;
        assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(v1, "CurrentEndpointCount")),
                         count);
        cJSON_Delete(v1);
    }
    /* No address is held twice. */
    if (s->has_e1 && s->has_e2) {
        cJSON *a = query(s, HNSM_ENDPOINT, s->e1, QUERY_V2), *b = query(s, HNSM_ENDPOINT, s->e2, QUERY_V2);
        const char *ip_a = cJSON_GetStringValue(cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(a, "IpConfigurations"), 0), "IpAddress"));
        const char *ip_b = cJSON_GetStringValue(cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(b, "IpConfigurations"), 0), "IpAddress"));
        assert_non_null(ip_a);
        assert_non_null(ip_b);
        assert_string_not_equal(ip_a, ip_b);
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
}

/* Every object of the store, rendered (v2) in listing order: the final state. */
static char *snapshot(sweep *s)
{
    size_t size = 1, used = 0;
    char *text = calloc(1, 1);
    for (int kind = 0; kind < HNSM_KIND_COUNT; kind++) {
        if (kind == HNSM_SDNROUTE || kind == HNSM_GUESTNETWORKSERVICE)
            continue; /* the sequence makes none */
        cJSON *ids = list(s, (hnsm_kind)kind);
        const cJSON *item;
        cJSON_ArrayForEach(item, ids)
        {
            char *doc = NULL;
            assert_succeeded(hnsm_call(s->inst, (hnsm_kind)kind, HNSM_OP_QUERY, item->valuestring,
                                       NULL, QUERY_V2, &doc, NULL));
            size_t n = strlen(doc);
            if (used + n + 2 > size) {
                size = (used + n + 2) * 2;
                text = realloc(text, size);
                assert_non_null(text);
            }
            memcpy(text + used, doc, n);
            used += n;
            text[used++] = '\n';
            text[used] = '\0';
            hnsm_free(doc);
        }
        cJSON_Delete(ids);
    }
    return text;
}

static hnsm_instance *open_instance(void)
{
    hnsm_config config = {0};
    config.seed = 2024;
    config.seed_set = 1;
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    return inst;
}

/* The run without faults, checked after every step; returns the final state. */
static char *reference_run(void)
{
    sweep s = {0};
    s.inst = open_instance();
    for (size_t i = 0; i < STEP_COUNT; i++) {
        assert_succeeded(steps[i](&s));
        assert_consistent(&s);
    }
    char *text = snapshot(&s);
    hnsm_close(s.inst);
    return text;
}

/* Runs the sequence with call n failing (mode); returns false when the
 * fault never fired (the sweep is complete). */
static bool run_with_fault(uint32_t n, hnsm_fault_mode mode, const char *reference)
{
    sweep s = {0};
    s.inst = open_instance();
    hnsm_fault fault = {"*", INJECTED, mode, n, 0.0};
    assert_int_equal(hnsm_fault_add(s.inst, &fault), 0);
    bool fired = false;
    for (size_t i = 0; i < STEP_COUNT; i++) {
        HRESULT hr = steps[i](&s);
        if (SUCCEEDED(hr))
            continue;
        if (fired || hr != INJECTED)
            fail_msg("N=%u (%s): step %zu returned 0x%08X (%s), expected the injected 0x%08X; %s",
                     (unsigned)n, mode == HNSM_FAULT_NTH ? "NTH" : "FROM_NTH", i + 1,
                     (unsigned)hr, hnsm_hresult_name(hr) ? hnsm_hresult_name(hr) : "?",
                     (unsigned)INJECTED, hnsm_last_detail());
        fired = true;
        if (mode == HNSM_FAULT_FROM_NTH) /* a retry under a persistent fault fails the same way */
            assert_hr(steps[i](&s), INJECTED);
        assert_int_equal(hnsm_fault_clear(s.inst), 0);
        assert_consistent(&s);
        /* The caller retries the failed step, which now succeeds. */
        assert_succeeded(steps[i](&s));
    }
    if (fired) {
        assert_consistent(&s);
        char *text = snapshot(&s);
        assert_string_equal(text, reference);
        free(text);
    }
    hnsm_close(s.inst);
    return fired;
}

static void sweep_fail_call_n_once_and_from_n_on(void **state)
{
    (void)state;
    char *reference = reference_run();
    const hnsm_fault_mode modes[] = {HNSM_FAULT_NTH, HNSM_FAULT_FROM_NTH};
    for (size_t m = 0; m < 2; m++) {
        uint32_t n = 1;
        while (run_with_fault(n, modes[m], reference))
            n++;
        /* Every call of the sequence (one per step) was failed once. */
        assert_int_equal(n - 1, STEP_COUNT);
    }
    free(reference);
}

/* ---- the same sweep through the v1 API (HNSCall) ------------------------------ */

/*
 * flannel host-gw and kube-proxy on v1 (consumers.md 3.3, 1.2): create the
 * network, read it back, create the bridge endpoint and HostAttach it, list
 * endpoints, a remote endpoint, a policy list (the v1 LB) over both, list
 * and delete it, delete the remote endpoint. An injected fault makes HNSCall
 * itself fail (no envelope); every other answer must be Success:true.
 */
typedef struct v1_step {
    const char *method;
    const char *path;  /* "$net", "$ep", "$rep", "$pl" are replaced by saved ids */
    const char *body;  /* same substitutions; NULL for none */
    int save;          /* index of the id slot Output.ID goes to, or -1 */
    int forget;        /* index of the id slot a successful delete clears, or -1 */
} v1_step;

enum { SLOT_NET, SLOT_EP, SLOT_REP, SLOT_PL, SLOT_COUNT };
static const char *const slot_names[SLOT_COUNT] = {"$net", "$ep", "$rep", "$pl"};

static const v1_step v1_steps[] = {
    {"POST", "/networks/",
     "{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\",\"Subnets\":[{\"AddressPrefix\":\"10.244.1.0/24\","
     "\"GatewayAddress\":\"10.244.1.1\"}]}",
     SLOT_NET, -1},
    {"GET", "/networks/$net", NULL, -1, -1},
    {"POST", "/endpoints/",
     "{\"Name\":\"cbr0_ep\",\"VirtualNetwork\":\"$net\",\"IPAddress\":\"10.244.1.2\"}", SLOT_EP,
     -1},
    {"POST", "/endpoints/$ep/attach", "{\"SystemType\":\"Host\"}", -1, -1},
    {"GET", "/endpoints/", NULL, -1, -1},
    {"POST", "/endpoints/",
     "{\"Name\":\"remote\",\"VirtualNetwork\":\"$net\",\"IPAddress\":\"10.244.2.5\","
     "\"IsRemoteEndpoint\":true}",
     SLOT_REP, -1},
    {"POST", "/policylists/",
     "{\"References\":[\"/endpoints/$ep\",\"/endpoints/$rep\"],\"Policies\":[{\"Type\":\"ELB\","
     "\"Protocol\":6,\"InternalPort\":80,\"ExternalPort\":80,\"VIPs\":[\"10.96.0.10\"]}]}",
     SLOT_PL, -1},
    {"GET", "/policylists/", NULL, -1, -1},
    {"DELETE", "/policylists/$pl", NULL, -1, SLOT_PL},
    {"DELETE", "/endpoints/$rep", NULL, -1, SLOT_REP},
};
#define V1_STEP_COUNT (sizeof v1_steps / sizeof v1_steps[0])

/* text with every $slot replaced by its id (malloc'd). */
static char *substitute(const char *text, char slots[SLOT_COUNT][64])
{
    size_t size = strlen(text) + SLOT_COUNT * 64 * 4 + 1;
    char *out = calloc(1, size);
    assert_non_null(out);
    size_t used = 0;
    while (*text) {
        int slot = -1;
        for (int i = 0; i < SLOT_COUNT && slot < 0; i++)
            if (strncmp(text, slot_names[i], strlen(slot_names[i])) == 0)
                slot = i;
        if (slot >= 0) {
            used += (size_t)snprintf(out + used, size - used, "%s", slots[slot]);
            text += strlen(slot_names[slot]);
        } else {
            out[used++] = *text++;
        }
    }
    return out;
}

/* Runs step i; on success saves or forgets its id and returns S_OK. */
static HRESULT v1_run(hnsm_instance *inst, size_t i, char slots[SLOT_COUNT][64])
{
    const v1_step *step = &v1_steps[i];
    char *path = substitute(step->path, slots);
    char *body = step->body ? substitute(step->body, slots) : NULL;
    char *response = NULL;
    HRESULT hr = hnsm_hnscall(inst, step->method, path, body, &response);
    if (FAILED(hr)) {
        assert_null(response);
    } else {
        cJSON *envelope = parse_json(response);
        if (!cJSON_IsTrue(cJSON_GetObjectItem(envelope, "Success")))
            fail_msg("%s %s failed: %s", step->method, path, response);
        const char *id = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(envelope, "Output"), "ID"));
        if (step->save >= 0) {
            assert_non_null(id);
            snprintf(slots[step->save], 64, "%s", id);
        }
        if (step->forget >= 0)
            slots[step->forget][0] = '\0';
        cJSON_Delete(envelope);
    }
    hnsm_free(response);
    free(path);
    free(body);
    return hr;
}

/* The v1 objects listed by kind (networks, endpoints, LBs) are exactly the
 * acknowledged ones, and each can be queried. */
static void v1_assert_consistent(hnsm_instance *inst, char slots[SLOT_COUNT][64])
{
    sweep s = {0};
    s.inst = inst;
    const char *networks[] = {slots[SLOT_NET]};
    const bool has_networks[] = {slots[SLOT_NET][0] != '\0'};
    assert_listing(&s, HNSM_NETWORK, networks, has_networks, 1);
    const char *endpoints[] = {slots[SLOT_EP], slots[SLOT_REP]};
    const bool has_endpoints[] = {slots[SLOT_EP][0] != '\0', slots[SLOT_REP][0] != '\0'};
    assert_listing(&s, HNSM_ENDPOINT, endpoints, has_endpoints, 2);
    const char *lbs[] = {slots[SLOT_PL]};
    const bool has_lbs[] = {slots[SLOT_PL][0] != '\0'};
    assert_listing(&s, HNSM_LOADBALANCER, lbs, has_lbs, 1);
}

/* The v1 sequence with an "HNSCall" rule failing call n (mode); false when
 * the rule never fired. */
static bool v1_run_with_fault(uint32_t n, hnsm_fault_mode mode, const char *reference)
{
    hnsm_instance *inst = open_instance();
    char slots[SLOT_COUNT][64] = {{0}};
    hnsm_fault fault = {"HNSCall", INJECTED, mode, n, 0.0};
    assert_int_equal(hnsm_fault_add(inst, &fault), 0);
    bool fired = false;
    for (size_t i = 0; i < V1_STEP_COUNT; i++) {
        HRESULT hr = v1_run(inst, i, slots);
        if (SUCCEEDED(hr))
            continue;
        if (fired || hr != INJECTED)
            fail_msg("v1 N=%u: step %zu returned 0x%08X, expected the injected 0x%08X",
                     (unsigned)n, i + 1, (unsigned)hr, (unsigned)INJECTED);
        fired = true;
        if (mode == HNSM_FAULT_FROM_NTH)
            assert_hr(v1_run(inst, i, slots), INJECTED);
        assert_int_equal(hnsm_fault_clear(inst), 0);
        v1_assert_consistent(inst, slots);
        assert_succeeded(v1_run(inst, i, slots));
    }
    v1_assert_consistent(inst, slots);
    sweep s = {0};
    s.inst = inst;
    char *text = snapshot(&s);
    assert_string_equal(text, reference);
    free(text);
    /* The failed call, and under FROM_NTH the failed retry, count as calls. */
    assert_int_equal(hnsm_call_count(inst, "HNSCall"),
                     V1_STEP_COUNT + (fired ? 1 + (mode == HNSM_FAULT_FROM_NTH) : 0));
    hnsm_close(inst);
    return fired;
}

/* The final state of the fault-free v1 run (malloc'd). */
static char *v1_reference(void)
{
    hnsm_instance *inst = open_instance();
    char slots[SLOT_COUNT][64] = {{0}};
    for (size_t i = 0; i < V1_STEP_COUNT; i++)
        assert_succeeded(v1_run(inst, i, slots));
    sweep s = {0};
    s.inst = inst;
    char *text = snapshot(&s);
    hnsm_close(inst);
    return text;
}

static void sweep_v1_hnscall_fail_call_n_once_and_from_n_on(void **state)
{
    (void)state;
    char *reference = v1_reference();
    const hnsm_fault_mode modes[] = {HNSM_FAULT_NTH, HNSM_FAULT_FROM_NTH};
    for (size_t m = 0; m < 2; m++) {
        uint32_t n = 1;
        while (v1_run_with_fault(n, modes[m], reference))
            n++;
        assert_int_equal(n - 1, V1_STEP_COUNT);
    }
    free(reference);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sweep_fail_call_n_once_and_from_n_on),
        cmocka_unit_test(sweep_v1_hnscall_fail_call_n_once_and_from_n_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
