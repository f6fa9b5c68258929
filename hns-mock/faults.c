/*
 * faults.c - fault rules, call counters, the virtual clock and the latency
 * model (see faults.h for how rules decide).
 *
 * The latency model is the table `latency_model` below: one row per Windows
 * entry point with the range a call of it takes on real HNS, in virtual
 * milliseconds, and where the figure comes from. The reference has few
 * timings, so most rows are derived from the ones it has (cited) or marked
 * inferred; this table is the one place to change them. A charged call draws
 * uniformly from its row's range (seeded: the instance seed and the number of
 * draws so far), multiplies by the instance's latency scale and advances
 * inst->clock_ms. Nothing here reads wall time.
 *
 * The model is per profile in the one way the reference supports: a call
 * the profile's HNS version does not implement (HcnModifyLoadBalancer before
 * HNS 15.4, consumers.md 1.4 / field-bugs A7) is refused at once and costs
 * what a query costs, not what the operation would. The reference gives no
 * per-build timings, so the figures are otherwise shared by all profiles.
 */
#include "faults.h"

#include "feature_gates.h"
#include "guid.h"
#include "hresult.h"
#include "instance.h"
#include "jsonx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const api_names[HNSM_KIND_COUNT][HNSM_OP_COUNT] = {
    [HNSM_NETWORK] = {"HcnEnumerateNetworks", "HcnCreateNetwork", "HcnOpenNetwork",
                      "HcnModifyNetwork", "HcnQueryNetworkProperties", "HcnDeleteNetwork", NULL,
                      NULL},
    [HNSM_ENDPOINT] = {"HcnEnumerateEndpoints", "HcnCreateEndpoint", "HcnOpenEndpoint",
                       "HcnModifyEndpoint", "HcnQueryEndpointProperties", "HcnDeleteEndpoint",
                       "HcnQueryEndpointStats", "HcnQueryEndpointAddresses"},
    [HNSM_NAMESPACE] = {"HcnEnumerateNamespaces", "HcnCreateNamespace", "HcnOpenNamespace",
                        "HcnModifyNamespace", "HcnQueryNamespaceProperties",
                        "HcnDeleteNamespace", NULL, NULL},
    [HNSM_LOADBALANCER] = {"HcnEnumerateLoadBalancers", "HcnCreateLoadBalancer",
                           "HcnOpenLoadBalancer", "HcnModifyLoadBalancer",
                           "HcnQueryLoadBalancerProperties", "HcnDeleteLoadBalancer", NULL, NULL},
    [HNSM_SDNROUTE] = {"HcnEnumerateSdnRoutes", "HcnCreateSdnRoute", "HcnOpenSdnRoute",
                       "HcnModifySdnRoute", "HcnQuerySdnRouteProperties", "HcnDeleteSdnRoute",
                       NULL, NULL},
    [HNSM_GUESTNETWORKSERVICE] = {"HcnEnumerateGuestNetworkServices",
                                  "HcnCreateGuestNetworkService", "HcnOpenGuestNetworkService",
                                  "HcnModifyGuestNetworkService",
                                  "HcnQueryGuestNetworkServiceProperties",
                                  "HcnDeleteGuestNetworkService", NULL, NULL},
};

/* Entry points that take faults besides api_names: the v1 API and the
 * port reservations of guest network services (gns.c names them so). */
static const char *const other_apis[] = {
    "HNSCall", "HcnReserveGuestNetworkServicePort", "HcnReserveGuestNetworkServicePortRange",
    "HcnReleaseGuestNetworkServicePortReservationHandle",
    "HcnEnumerateGuestNetworkPortReservations"};

/* Whether a fault rule for api can ever strike: "*" or an entry point name. */
static bool known_api(const char *api)
{
    if (!strcmp(api, "*"))
        return true;
    for (size_t i = 0; i < sizeof other_apis / sizeof other_apis[0]; i++)
        if (!strcmp(api, other_apis[i]))
            return true;
    for (int k = 0; k < HNSM_KIND_COUNT; k++)
        for (int o = 0; o < HNSM_OP_COUNT; o++)
            if (api_names[k][o] && !strcmp(api, api_names[k][o]))
                return true;
    return false;
}

const char *hnsm__api_name(hnsm_kind kind, hnsm_op op)
{
    if ((int)kind < 0 || kind >= HNSM_KIND_COUNT || (int)op < 0 || op >= HNSM_OP_COUNT ||
        !api_names[kind][op])
        return "HcnUnknown";
    return api_names[kind][op];
}

/* ---- the latency model -------------------------------------------------- */

/* No feature gate on a row. */
#define NO_GATE HNSM_FEATURE_COUNT

static const struct latency_row {
    const char *api;      /* entry point; NULL ends the table (the default row) */
    unsigned low_ms;      /* each call draws uniformly from [low_ms, high_ms] */
    unsigned high_ms;
    hnsm_feature gate;    /* the profile must support this, else the call costs a refusal */
    const char *basis;    /* where the figure comes from */
} latency_model[] = {
    /* Network create builds (or binds) a vSwitch and its host vNIC: seconds.
     * consumers.md 7: ManagementIP/ProviderAddress appear seconds after
     * network creation; 3.3: flannel polls every 0.5 s for at most 5 s for
     * the ProviderAddress, 2.2: kube-proxy sleeps 10 s on Overlay. A create
     * that reliably finishes inside flannel's 5 s window: 1-5 s. */
    {"HcnCreateNetwork", 1000, 5000, NO_GATE, "consumers.md 7, 3.3 (seconds; flannel's 5 s poll)"},
    /* Teardown of the vSwitch port set and host vNIC (inferred: less than create). */
    {"HcnDeleteNetwork", 500, 2000, NO_GATE, "inferred from HcnCreateNetwork"},
    /* A policy added to a network (RemoteSubnetRoute per flannel lease, HostRoute). */
    {"HcnModifyNetwork", 20, 100, NO_GATE, "inferred (policy programming)"},
    /* Endpoint create allocates a switch port and programs its VFP layers:
     * hundreds of milliseconds (the reference has no HNS figure; a whole CNI
     * ADD under Wine costs ~150 ms of process work, wine-interop.md 10). */
    {"HcnCreateEndpoint", 100, 300, NO_GATE, "inferred (switch port + VFP layers, 100s of ms)"},
    {"HcnDeleteEndpoint", 50, 150, NO_GATE, "inferred (port teardown)"},
    /* ACL and policy updates (felix, Calico CNI, NPM). */
    {"HcnModifyEndpoint", 20, 100, NO_GATE, "inferred (policy programming)"},
    {"HcnCreateNamespace", 20, 80, NO_GATE, "inferred (compartment bookkeeping)"},
    /* Adding an endpoint moves its vNIC into the compartment. */
    {"HcnModifyNamespace", 50, 150, NO_GATE, "inferred (vNIC move into the compartment)"},
    {"HcnDeleteNamespace", 20, 80, NO_GATE, "inferred"},
    /* Issue 3: real HNS took minutes for 2000 services. kube-proxy creates one
     * LB per service port and kind (consumers.md 2.4: ClusterIP, and a
     * NodePort LB for NodePort services), so 2000 services are 2000-4000
     * creates; 30-90 ms (mean 60 ms) gives 2-4 minutes. */
    {"HcnCreateLoadBalancer", 30, 90, NO_GATE, "issue 3 (minutes for 2000 services), consumers.md 2.4"},
    /* The whole-document update does a create's work (field-bugs A7); before
     * HNS 15.4 the call is refused at once (consumers.md 1.4). */
    {"HcnModifyLoadBalancer", 30, 90, HNSM_FEATURE_MODIFY_LOADBALANCER,
     "field-bugs A7, consumers.md 1.4 (>= 15.4)"},
    {"HcnDeleteLoadBalancer", 20, 60, NO_GATE, "inferred from HcnCreateLoadBalancer"},
    /* SDN routes are programmed like load-balancer policies. */
    {"HcnCreateSdnRoute", 20, 60, NO_GATE, "inferred (by analogy with load balancers)"},
    {"HcnModifySdnRoute", 20, 60, NO_GATE, "inferred (by analogy with load balancers)"},
    {"HcnDeleteSdnRoute", 10, 40, NO_GATE, "inferred (by analogy with load balancers)"},
    {"HcnCreateGuestNetworkService", 100, 500, NO_GATE, "inferred (guest service set-up)"},
    {"HcnModifyGuestNetworkService", 20, 100, NO_GATE, "inferred"},
    {"HcnDeleteGuestNetworkService", 50, 200, NO_GATE, "inferred"},
    /* hnscall.c charges a v1 path the HCN operation it performs (POST
     * /networks -> HcnCreateNetwork); the v1 reads cost this. */
    {"HNSCall", 1, 5, NO_GATE, "as queries (the v1 reads)"},
    /* Everything else reads state: a few milliseconds. A2's slow start
     * ("roughly half a minute per policy", per-endpoint queries during each
     * policy's sync before kubernetes PR #109124) is the cost of thousands
     * of such queries per policy on a large cluster, not of one call. */
    {NULL, 1, 5, NO_GATE, "field-bugs A2 (queries: a few ms each)"},
};

/* The row for api (the default row when none names it). */
static const struct latency_row *latency_find(const char *api)
{
    const struct latency_row *row = latency_model;
    while (row->api && (!api || strcmp(row->api, api) != 0))
        row++;
    return row;
}

void hnsm__latency_range(const hnsm_instance *inst, const char *api, unsigned *low_ms,
                         unsigned *high_ms)
{
    const struct latency_row *row = latency_find(api);
    if (row->gate != NO_GATE && !hnsm__feature(&inst->profile, row->gate))
        row = latency_find(NULL); /* refused by this HNS version: a query's cost */
    *low_ms = row->low_ms;
    *high_ms = row->high_ms;
}

/* ---- fault state ----------------------------------------------------------- */

/* Longest API name a rule may name ("HcnQueryGuestNetworkServiceProperties" is 37). */
#define API_NAME_MAX 64

typedef struct fault_rule {
    char api[API_NAME_MAX]; /* entry point name, or "*" */
    HRESULT hr;             /* what a failed call returns */
    hnsm_fault_mode mode;
    uint32_t nth;           /* NTH / FROM_NTH: 1-based */
    double probability;     /* PROBABILITY: 0..1 */
    uint64_t matched;       /* calls this rule matched since it was added */
    char *match;            /* owned: the text a call's JSON must contain, or NULL */
    bool leave_partial;     /* see hnsm_fault */
} fault_rule;

typedef struct call_counter {
    char *api;              /* owned copy of the entry point name */
    uint64_t count;         /* calls served, failed ones included */
} call_counter;

struct hnsm_faults {
    fault_rule *rules;      /* in the order they were added */
    size_t rule_count, rule_capacity;
    call_counter *counters; /* one per entry point seen, in first-call order */
    size_t counter_count, counter_capacity;
    uint64_t total_calls;   /* calls of every name (hnsm_call_count "*") */
    uint64_t latency_draws; /* latency draws so far (the seeded stream's index) */
};

/* Salts that keep the fault and latency streams apart from the id stream. */
#define FAULT_STREAM 0xFA017FA017FA0170ull
#define LATENCY_STREAM 0x1A7E1C71A7E1C710ull

/* inst's fault state, created on first use; NULL when out of memory. */
static struct hnsm_faults *faults_of(hnsm_instance *inst)
{
    if (!inst->faults)
        inst->faults = calloc(1, sizeof *inst->faults);
    return inst->faults;
}

/* The counter of api, created when missing; NULL when out of memory. */
static call_counter *counter_of(struct hnsm_faults *f, const char *api, bool create)
{
    for (size_t i = 0; i < f->counter_count; i++)
        if (strcmp(f->counters[i].api, api) == 0)
            return &f->counters[i];
    if (!create)
        return NULL;
    if (f->counter_count == f->counter_capacity) {
        size_t capacity = f->counter_capacity ? f->counter_capacity * 2 : 16;
        call_counter *grown = realloc(f->counters, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        f->counters = grown;
        f->counter_capacity = capacity;
    }
    char *copy = strdup(api);
    if (!copy)
        return NULL;
    call_counter *c = &f->counters[f->counter_count++];
    c->api = copy;
    c->count = 0;
    return c;
}

/* A uniform double in [0, 1) from a 64-bit draw. */
static double unit_interval(uint64_t draw) { return (double)(draw >> 11) * 0x1.0p-53; }

/* True when rule (at position index) fires on the call it just counted. */
static bool rule_fires(const hnsm_instance *inst, const fault_rule *rule, size_t index)
{
    switch (rule->mode) {
    case HNSM_FAULT_NTH:
        return rule->matched == rule->nth;
    case HNSM_FAULT_FROM_NTH:
        return rule->matched >= rule->nth;
    case HNSM_FAULT_PROBABILITY: {
        uint64_t draw = hnsm__mix64(inst->seed ^ FAULT_STREAM,
                                    ((uint64_t)index << 40) ^ rule->matched);
        return unit_interval(draw) < rule->probability;
    }
    }
    return false;
}

static const char *mode_name(hnsm_fault_mode mode)
{
    switch (mode) {
    case HNSM_FAULT_NTH:
        return "NTH";
    case HNSM_FAULT_FROM_NTH:
        return "FROM_NTH";
    case HNSM_FAULT_PROBABILITY:
        return "PROBABILITY";
    }
    return "?";
}

HRESULT hnsm__fault_check(hnsm_instance *inst, const char *api)
{
    bool partial;
    return hnsm__fault_check_call(inst, api, NULL, &partial);
}

HRESULT hnsm__fault_check_call(hnsm_instance *inst, const char *api, const char *json,
                               bool *partial)
{
    *partial = false;
    struct hnsm_faults *f = faults_of(inst);
    call_counter *counter = f ? counter_of(f, api, true) : NULL;
    if (!counter)
        return hnsm__detail(HNSM_E_OUTOFMEMORY, "no memory to count the call of %s", api);
    counter->count++;
    f->total_calls++;
    const fault_rule *decider = NULL;
    size_t decider_index = 0;
    for (size_t i = 0; i < f->rule_count; i++) {
        fault_rule *rule = &f->rules[i];
        if ((strcmp(rule->api, "*") != 0 && strcmp(rule->api, api) != 0) ||
            (rule->match && (!json || !strstr(json, rule->match))))
            continue;
        rule->matched++;
        if (!decider && rule_fires(inst, rule, i)) {
            decider = rule;
            decider_index = i;
        }
    }
    if (!decider)
        return S_OK;
    *partial = decider->leave_partial;
    return hnsm__detail(decider->hr, "injected fault: rule %zu (%s %s) failed call %llu of %s",
                        decider_index + 1, decider->api, mode_name(decider->mode),
                        (unsigned long long)counter->count, api);
}

void hnsm__latency_charge(hnsm_instance *inst, const char *api)
{
    if (!inst->latency_enabled)
        return;
    struct hnsm_faults *f = faults_of(inst);
    if (!f)
        return; /* out of memory: the call runs without its latency */
    unsigned low, high;
    hnsm__latency_range(inst, api, &low, &high);
    uint64_t draw = hnsm__mix64(inst->seed ^ LATENCY_STREAM, f->latency_draws++);
    double ms = (double)low + unit_interval(draw) * (double)(high - low + 1);
    if (ms > (double)high)
        ms = (double)high;
    double scaled = floor(ms) * inst->latency_scale + 0.5;
    uint64_t step = scaled >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)scaled;
    inst->clock_ms = inst->clock_ms > UINT64_MAX - step ? UINT64_MAX : inst->clock_ms + step;
}

void hnsm__faults_free(hnsm_instance *inst)
{
    struct hnsm_faults *f = inst ? inst->faults : NULL;
    if (!f)
        return;
    for (size_t i = 0; i < f->counter_count; i++)
        free(f->counters[i].api);
    for (size_t i = 0; i < f->rule_count; i++)
        free(f->rules[i].match);
    free(f->counters);
    free(f->rules);
    free(f);
    inst->faults = NULL;
}

/* ---- the control API ------------------------------------------------------- */

int hnsm_fault_add(hnsm_instance *inst, const hnsm_fault *fault)
{
    if (!inst || !fault || !fault->api || !known_api(fault->api) || !FAILED(fault->hr))
        return HNSM_EINVAL;
    switch (fault->mode) {
    case HNSM_FAULT_NTH:
    case HNSM_FAULT_FROM_NTH:
        if (fault->nth < 1)
            return HNSM_EINVAL;
        break;
    case HNSM_FAULT_PROBABILITY:
        if (!(fault->probability >= 0.0 && fault->probability <= 1.0))
            return HNSM_EINVAL; /* also refuses NaN */
        break;
    default:
        return HNSM_EINVAL;
    }
    pthread_mutex_lock(&inst->lock);
    int err = HNSM_ENOMEM;
    struct hnsm_faults *f = faults_of(inst);
    if (f && f->rule_count == f->rule_capacity) {
        size_t capacity = f->rule_capacity ? f->rule_capacity * 2 : 8;
        fault_rule *grown = realloc(f->rules, capacity * sizeof *grown);
        if (grown) {
            f->rules = grown;
            f->rule_capacity = capacity;
        }
    }
    char *match = fault->match ? strdup(fault->match) : NULL;
    if (f && f->rule_count < f->rule_capacity && (match || !fault->match)) {
        fault_rule *rule = &f->rules[f->rule_count++];
        memset(rule, 0, sizeof *rule);
        rule->match = match;
        match = NULL;
        rule->leave_partial = fault->leave_partial != 0;
        snprintf(rule->api, sizeof rule->api, "%s", fault->api);
        rule->hr = fault->hr;
        rule->mode = fault->mode;
        rule->nth = fault->nth;
        rule->probability = fault->probability;
        err = 0;
    }
    free(match);
    pthread_mutex_unlock(&inst->lock);
    return err;
}

int hnsm_fault_clear(hnsm_instance *inst)
{
    if (!inst)
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    for (size_t i = 0; inst->faults && i < inst->faults->rule_count; i++)
        free(inst->faults->rules[i].match);
    if (inst->faults)
        inst->faults->rule_count = 0;
    pthread_mutex_unlock(&inst->lock);
    return 0;
}

uint64_t hnsm_call_count(const hnsm_instance *inst, const char *api)
{
    if (!inst || !api)
        return 0;
    /* The lock guards the counters, not the instance's constness. */
    hnsm_instance *mutable_inst = (hnsm_instance *)inst;
    pthread_mutex_lock(&mutable_inst->lock);
    uint64_t count = 0;
    struct hnsm_faults *f = inst->faults;
    if (f && strcmp(api, "*") == 0) {
        count = f->total_calls;
    } else if (f) {
        const call_counter *c = counter_of(f, api, false);
        count = c ? c->count : 0;
    }
    pthread_mutex_unlock(&mutable_inst->lock);
    return count;
}

uint64_t hnsm_clock_ms(const hnsm_instance *inst)
{
    if (!inst)
        return 0;
    hnsm_instance *mutable_inst = (hnsm_instance *)inst;
    pthread_mutex_lock(&mutable_inst->lock);
    uint64_t now = inst->clock_ms;
    pthread_mutex_unlock(&mutable_inst->lock);
    return now;
}

void hnsm_clock_advance(hnsm_instance *inst, uint64_t ms)
{
    if (!inst)
        return;
    pthread_mutex_lock(&inst->lock);
    inst->clock_ms = inst->clock_ms > UINT64_MAX - ms ? UINT64_MAX : inst->clock_ms + ms;
    pthread_mutex_unlock(&inst->lock);
}

int hnsm_set_latency(hnsm_instance *inst, int enabled, double scale)
{
    if (!inst || (enabled && !(scale >= 0.0 && scale <= 1e6)))
        return HNSM_EINVAL; /* also refuses NaN and infinities */
    pthread_mutex_lock(&inst->lock);
    inst->latency_enabled = enabled != 0;
    inst->latency_scale = enabled ? scale : 0.0;
    pthread_mutex_unlock(&inst->lock);
    return 0;
}
