/*
 * policy.c - the network-policy agent of one Windows node: Calico for
 * Windows' felix dataplane (consumers.md 4), talking to HNS only through
 * hcn_client.h, and only through the v1 calls felix makes (consumers.md
 * 4.1): GET /globals/version at startup (the AclRuleId and
 * AclNoHostRulePriority features, hcn-api.md 3), GET /endpoints/ to find the
 * HNS endpoint of each pod (HNSListEndpointRequest), and POST
 * /endpoints/<id> with {"ID", "Policies": [ACL...]} to replace the
 * endpoint's whole ACL set (ApplyACLPolicy). Felix never deletes endpoints
 * or ACLs: a pod that goes away is forgotten, and HNS drops its policies
 * with the endpoint.
 *
 * What felix learns from the datastore is read from the cluster structs:
 * the local workloads (pods of this node with an address and an endpoint),
 * every pod's address for the IP sets (Linux pods included), and the
 * NetworkPolicies. A pod counts while it runs and while it terminates
 * within its grace period, until CNI DEL takes its address away
 * (libcalico-go's IsFinished). A workload's rules are computed as
 * consumers.md 4.3 lists them, per endpoint, in this order:
 *
 *  1. allow-host-to-endpoint: In, Allow, RemoteAddresses = the host's IPv4
 *     addresses, priority 900;
 *  2. ingress, 3. egress: when a policy selects the pod for the direction,
 *     each selecting policy's rules (by policy name) then the end-of-tier
 *     Block - the default deny; when none does, the namespace profile
 *     kns.<ns> (Allow any) then Block - "allow for pods no policy selects".
 *     Priorities are then rewritten 1000, 1001, ... per direction;
 *  4. a Host rule per direction (Allow, any protocol; see the choices).
 *
 * A NetworkPolicy rule becomes what Calico's Kubernetes conversion makes of
 * it (libcalico-go): one Calico rule per protocol and peer, the ports of one
 * protocol merged into ranges; felix (protoRuleToHnsRules) turns each into
 * an HNS ACL: Protocol (256 = any), RemoteAddresses = the peer's CIDR or
 * its IP set expanded to pod addresses, LocalPorts (ingress) or RemotePorts
 * (egress), chunked by 4 000 addresses, Id "<set>-<rule>-<n>". Felix skips,
 * and logs once per policy, what HNS cannot express: negated matches (an
 * ipBlock with except), named ports, IPv6 (consumers.md 4.3, field-bugs I1).
 *
 * One refresh is felix's CompleteDeferredWork: workloads whose datastore view
 * changed are pending; when any is, the HNS endpoint cache is re-read
 * (forced), else it is re-read every 10 minutes; each pending workload is
 * resolved by address and its rules are sent when they differ from what was
 * last applied. A lookup or apply failure is retried after 5 s, or at the
 * next update (consumers.md 4.2).
 *
 * Choices where the reference is silent or the simulator differs from a
 * Windows host:
 *
 * | question                          | what this model does                      | reference        |
 * |-----------------------------------|-------------------------------------------|------------------|
 * | the network felix manages         | KUBE_NETWORK set to flannel's network     | consumers.md 4.2 |
 * | (KUBE_NETWORK)                    | ("cbr0", "vxlan0"), matched as an         | (default         |
 * |                                   | unanchored pattern (substring), as Go's   | "(?i)calico.*"), |
 * |                                   | regexp.MatchString does for a literal     | 3.3              |
 * | the host's IPv4 addresses         | the node IP, and on host-gw the bridge    | consumers.md 4.3 |
 * | (net.InterfaceAddrs)              | endpoint cbr0_ep (.2, the host vNIC),     | step 1; flannel.c|
 * |                                   | as "/32", sorted as text                  |                  |
 * | namespace labels                  | kubernetes.io/metadata.name=<ns>, and     | Kubernetes; the  |
 * |                                   | those a script gives (k8s_namespace_labels)| model (k8s.h)   |
 * | a datastore update (pending)      | a workload new to the agent, or whose     | consumers.md 4.2 |
 * |                                   | address or computed rules changed (a      |                  |
 * |                                   | policy, IP-set or host-address change);   |                  |
 * |                                   | an HNS endpoint recreated behind felix's  |                  |
 * |                                   | back is no datastore change               |                  |
 * | when a pending workload's rules   | they differ from the last applied, or the | consumers.md 4.1,|
 * | are sent                          | workload now resolves to another HNS      | 4.2 ("a later    |
 * |                                   | endpoint (upstream compares the rules     | update for that  |
 * |                                   | only)                                     | pod")            |
 * | rule Ids                          | <set>-<direction><k8s rule>.<Calico rule> | consumers.md 4.3 |
 * |                                   | -<chunk>: Calico's rule ids are hashes,   |                  |
 * |                                   | the model's are positions                 |                  |
 * | ipBlock.except                    | Calico puts it in the peer rule's notNets;| consumers.md 4.3,|
 * |                                   | felix skips rules with a negated match,   | field-bugs I1    |
 * |                                   | so the whole peer rule is lost, not only  | (calico #7231)   |
 * |                                   | the exception: an allow from the CIDR     |                  |
 * |                                   | falls to the end-of-tier Block            |                  |
 * | a selector peer that matches no   | no rule: felix reads an empty IP set as   | upstream felix   |
 * | pod                               | missing and skips the rule                | ipsets (nil when |
 * |                                   |                                           | empty)           |
 * | tiers and Pass                    | NetworkPolicies are Calico's default tier | consumers.md 4.3,|
 * |                                   | (end-of-tier Block); no Pass rule can     | field-bugs I1    |
 * |                                   | arise from them, so tier flattening (pass | (calico #13208)  |
 * |                                   | in the last tier becomes Block) is the    |                  |
 * |                                   | identity here                             |                  |
 * | static-rules.json                 | none installed                            | consumers.md 4.3 |
 * | Host rules (step 4)               | left out (PA_SEND_HOST_RULES is 0). The   | consumers.md 4.3;|
 * |                                   | compiler now confines RuleType Host ACLs  | sim/vfp/         |
 * |                                   | to host traffic (compile.h), so sending   | compile.h;       |
 * |                                   | them is safe, but felix's Host rule has   | hcn-api.md 2.10  |
 * |                                   | no priority and the reference does not    | (AclNoHostRule-  |
 * |                                   | say how it orders against the priority-   | Priority)        |
 * |                                   | 900 host rule; without it, host access is |                  |
 * |                                   | decided by allow-host-to-endpoint alone   |                  |
 * | IP-set members                    | sorted by address (felix's sets iterate   | STYLE.md         |
 * |                                   | in map order)                             | (byte-stable)    |
 * | matchExpressions                  | In, NotIn, Exists, DoesNotExist; another  | Kubernetes       |
 * |                                   | operator matches nothing                  |                  |
 */
#include "k8s_internal.h"
#include "vfp_internal.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Priorities and limits of felix (consumers.md 4.3; policyset_defs). */
#define PA_HOST_TO_ENDPOINT_PRIORITY 900 /* allow-host-to-endpoint */
#define PA_RULE_BASE_PRIORITY 1000       /* the first policy rule of a direction */
#define PA_RULE_MAX_PRIORITY 65000       /* beyond 64 000 rules, same-action runs share */
#define PA_OLD_HOST_RULE_PRIORITY 100    /* Host rules before AclNoHostRulePriority */
#define PA_PROTOCOL_ANY 256              /* v1 ACL Protocol: any */
#define PA_ADDRESSES_PER_RULE 4000       /* felix's chunk size */
#define PA_CACHE_TIMEOUT_MS 600000u      /* endpoint cache refresh: 10 min (4.1) */
#define PA_RETRY_MS 5000u                /* retry of a failed apply (4.2) */
#define PA_CIDR (K8S_ADDR + 8)          /* "a.b.c.d/len" */

/* Whether the Host rules of step 4 are sent (see the choices above). */
#define PA_SEND_HOST_RULES 0

/* ---------------------------------------------------------------------------
 * State
 */

/* One workload endpoint (a local pod) as felix tracks it. */
typedef struct pa_workload {
    char ns[K8S_NAME];
    char name[K8S_NAME];
    char ip[K8S_ADDR];               /* its address, as the datastore last showed it */
    char *rules;                     /* the rules last computed (JSON array text) */
    char *applied;                   /* the rules last sent to HNS, NULL = none yet */
    char endpoint_id[K8S_ADDR];      /* the HNS endpoint they were sent to */
    int pending;                     /* a datastore update not yet applied */
    int seen;                        /* still a workload at this refresh */
} pa_workload;

/* One entry of felix's HNS endpoint cache (address -> endpoint ID). */
typedef struct pa_cached_endpoint {
    char ip[K8S_ADDR];
    char id[K8S_ADDR];
} pa_cached_endpoint;

struct k8s_policy_state {
    int started;                     /* the HNS features were read */
    unsigned hns_major, hns_minor;
    int acl_rule_id;                 /* AclRuleId: rules carry an Id */
    int acl_no_host_rule_priority;   /* Host rules may omit Priority */
    pa_workload *workloads;
    size_t n_workloads;
    pa_cached_endpoint *cache;
    size_t n_cache;
    int cache_loaded;
    uint64_t cache_time;             /* virtual ms of the last cache refresh */
    uint64_t retry_at;               /* virtual ms of a scheduled retry, 0 = none */
    size_t n_noted;                  /* policies whose conversion was logged */
};

/* A controller log line "<node> calico-felix: <text>". */
#define pa_log(c, n, ...) k8s__node_log((c), (n), "calico-felix", __VA_ARGS__)

/* ---------------------------------------------------------------------------
 * Growable text
 */

/* The growable text buffer of sim/vfp's outputs. */
typedef vfp__buf pa_text;
#define pa_text_add vfp__buf_printf

static const char *pa_text_str(const pa_text *t)
{
    return t->text ? t->text : "";
}

/* ---------------------------------------------------------------------------
 * Label selectors (Kubernetes LabelSelector)
 */

/* The value of label key, or NULL. */
static const char *pa_label(const k8s_labels *labels, const char *key)
{
    for (size_t i = 0; i < labels->n; i++)
        if (strcmp(labels->items[i].key, key) == 0)
            return labels->items[i].value;
    return NULL;
}

/* One matchExpressions requirement {key, operator, values}. */
static bool pa_requirement_holds(const cJSON *req, const k8s_labels *labels)
{
    const cJSON *key = cJSON_GetObjectItem(req, "key");
    const cJSON *op = cJSON_GetObjectItem(req, "operator");
    if (!cJSON_IsString(key) || !cJSON_IsString(op))
        return false;
    const char *have = pa_label(labels, key->valuestring);
    if (strcmp(op->valuestring, "Exists") == 0)
        return have != NULL;
    if (strcmp(op->valuestring, "DoesNotExist") == 0)
        return have == NULL;
    bool listed = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(req, "values"))
    {
        if (have && cJSON_IsString(v) && strcmp(v->valuestring, have) == 0)
            listed = true;
    }
    if (strcmp(op->valuestring, "In") == 0)
        return listed;
    if (strcmp(op->valuestring, "NotIn") == 0)
        return !listed;
    return false;
}

/* 1 when selector (a LabelSelector object; {} selects everything) selects
 * labels. */
static bool pa_selector_matches(const cJSON *selector, const k8s_labels *labels)
{
    if (!cJSON_IsObject(selector))
        return false;
    const cJSON *match = cJSON_GetObjectItem(selector, "matchLabels");
    const cJSON *exprs = cJSON_GetObjectItem(selector, "matchExpressions");
    if ((match && !cJSON_IsObject(match)) || (exprs && !cJSON_IsArray(exprs)))
        return false;
    const cJSON *item;
    cJSON_ArrayForEach(item, match)
    {
        const char *have = pa_label(labels, item->string);
        if (!cJSON_IsString(item) || !have || strcmp(have, item->valuestring) != 0)
            return false;
    }
    cJSON_ArrayForEach(item, exprs)
    {
        if (!pa_requirement_holds(item, labels))
            return false;
    }
    return true;
}


/* 1 when a selector peer (podSelector and/or namespaceSelector) of a policy
 * in policy_ns selects pod p: without a namespaceSelector, pods of the
 * policy's namespace. */
static bool pa_peer_selects(const k8s_cluster *c, const cJSON *peer, const char *policy_ns,
                            const k8s_pod *p)
{
    const cJSON *pods = cJSON_GetObjectItem(peer, "podSelector");
    const cJSON *namespaces = cJSON_GetObjectItem(peer, "namespaceSelector");
    if (namespaces) {
        k8s_labels ns_labels;
        k8s_namespace_labels(c, p->ns, &ns_labels);
        if (!pa_selector_matches(namespaces, &ns_labels))
            return false;
    } else if (strcmp(p->ns, policy_ns) != 0) {
        return false;
    }
    return !pods || pa_selector_matches(pods, &p->labels);
}

/* ---------------------------------------------------------------------------
 * Which policies select a pod
 */

/* 1 when the policy's policyTypes include the direction. Without
 * policyTypes, or with an empty list, the API server fills them in: every
 * policy is Ingress, and those with at least one egress rule also Egress
 * ("egress": [] alone does not make a policy Egress). */
static bool pa_policy_has_type(const cJSON *spec, bool inbound)
{
    const cJSON *types = cJSON_GetObjectItem(spec, "policyTypes");
    if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) == 0)
        return inbound || cJSON_GetArraySize(cJSON_GetObjectItem(spec, "egress")) > 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
    {
        if (cJSON_IsString(t) && strcmp(t->valuestring, inbound ? "Ingress" : "Egress") == 0)
            return true;
    }
    return false;
}

/* 1 when policy pol (spec parsed) applies to pod p in the direction. */
static bool pa_policy_applies(const k8s_policy *pol, const cJSON *spec, const k8s_pod *p,
                              bool inbound)
{
    if (pol->deleted || strcmp(pol->ns, p->ns) != 0 || !pa_policy_has_type(spec, inbound))
        return false;
    const cJSON *selector = cJSON_GetObjectItem(spec, "podSelector");
    return !selector || pa_selector_matches(selector, &p->labels);
}

/* ---------------------------------------------------------------------------
 * IP sets: the pods a selector peer names
 */

/* 1 when pod p is a workload endpoint of Calico's datastore: running, or
 * terminating within its grace period, and holding its address (Calico
 * drops a pod when its CNI DEL removes the address; libcalico-go
 * IsFinished). */
static bool pa_pod_has_network(const k8s_pod *p)
{
    return (p->phase == K8S_POD_RUNNING || p->phase == K8S_POD_TERMINATING) && p->ip[0];
}

static int pa_compare_pod_addresses(const void *a, const void *b)
{
    const k8s_pod *pa = *(const k8s_pod *const *)a, *pb = *(const k8s_pod *const *)b;
    vfp_addr x, y;
    if (vfp_addr_parse(pa->ip, &x) != 0 || vfp_addr_parse(pb->ip, &y) != 0)
        return strcmp(pa->ip, pb->ip);
    return vfp_addr_compare(&x, &y);
}

/* The members of the IP set of a selector peer: the addresses of every pod
 * with a network that it selects, on any node (Linux pods included),
 * sorted, as "a.b.c.d/32". *out is
 * malloc'd (caller frees); returns how many. */
static size_t pa_ip_set_members(const k8s_cluster *c, const cJSON *peer, const char *policy_ns,
                                char (**out)[PA_CIDR])
{
    *out = NULL;
    const k8s_pod **pods = calloc(c->n_pods ? c->n_pods : 1, sizeof *pods);
    size_t n = 0;
    for (size_t i = 0; pods && i < c->n_pods; i++) {
        const k8s_pod *p = &c->pods[i];
        vfp_addr a;
        if (pa_pod_has_network(p) && vfp_addr_parse(p->ip, &a) == 0 &&
            a.family == VFP_FAMILY_IPV4 && pa_peer_selects(c, peer, policy_ns, p))
            pods[n++] = p;
    }
    qsort(pods, n, sizeof *pods, pa_compare_pod_addresses);
    char(*members)[PA_CIDR] = n ? calloc(n, sizeof *members) : NULL;
    size_t kept = 0;
    for (size_t i = 0; members && i < n; i++)
        if (i == 0 || strcmp(pods[i]->ip, pods[i - 1]->ip) != 0)
            snprintf(members[kept++], PA_CIDR, "%s/32", pods[i]->ip);
    free(pods);
    *out = members;
    return kept;
}

/* ---------------------------------------------------------------------------
 * HNS ACLs (the v1 ACLPolicy felix sends; hcsshim omits zero fields)
 */

typedef struct pa_acl_spec {
    const char *id;               /* NULL = no Id */
    unsigned protocol;            /* PA_PROTOCOL_ANY = any */
    bool allow;                   /* Allow, else Block */
    bool inbound;                 /* Direction In, else Out */
    bool host;                    /* RuleType Host, else Switch */
    const char *local_addresses;  /* NULL or "" = omitted */
    const char *remote_addresses;
    const char *local_ports;
    const char *remote_ports;
    int priority;                 /* < 0 = omitted */
} pa_acl_spec;

static void pa_add_string(cJSON *obj, const char *key, const char *value)
{
    if (value && *value)
        cJSON_AddStringToObject(obj, key, value);
}

/* A v1 ACL policy object in hcsshim's field order. */
static cJSON *pa_acl(const pa_acl_spec *a)
{
    cJSON *acl = cJSON_CreateObject();
    cJSON_AddStringToObject(acl, "Type", "ACL");
    pa_add_string(acl, "Id", a->id);
    cJSON_AddNumberToObject(acl, "Protocol", a->protocol);
    cJSON_AddStringToObject(acl, "Action", a->allow ? "Allow" : "Block");
    cJSON_AddStringToObject(acl, "Direction", a->inbound ? "In" : "Out");
    pa_add_string(acl, "LocalAddresses", a->local_addresses);
    pa_add_string(acl, "RemoteAddresses", a->remote_addresses);
    pa_add_string(acl, "LocalPorts", a->local_ports);
    pa_add_string(acl, "RemotePorts", a->remote_ports);
    cJSON_AddStringToObject(acl, "RuleType", a->host ? "Host" : "Switch");
    if (a->priority > 0)
        cJSON_AddNumberToObject(acl, "Priority", a->priority);
    return acl;
}

/* The end-of-tier rule: Block everything in the direction. */
static cJSON *pa_block_rule(bool inbound, int priority)
{
    pa_acl_spec a = {.protocol = PA_PROTOCOL_ANY, .inbound = inbound, .priority = priority};
    return pa_acl(&a);
}

/* ---------------------------------------------------------------------------
 * Ports of a NetworkPolicy rule, grouped per protocol as Calico does
 */

typedef struct pa_range {
    unsigned lo, hi;
} pa_range;

/* The protocols of a Calico rule, in the order the conversion emits them
 * (protocol names sorted as text; "" = no protocol, any). */
enum { PA_N_PROTOCOLS = 4 };
static const struct {
    const char *name;
    unsigned number;
} pa_protocols[PA_N_PROTOCOLS] = {{"", PA_PROTOCOL_ANY}, {"SCTP", 132}, {"TCP", 6}, {"UDP", 17}};

typedef struct pa_port_group {
    bool used;
    bool all_ports;   /* a port entry without a port: every port of the protocol */
    bool named;       /* a named port: felix skips the rule */
    pa_range *ranges;
    size_t n;
} pa_port_group;

static void pa_port_groups_free(pa_port_group groups[PA_N_PROTOCOLS])
{
    for (int i = 0; i < PA_N_PROTOCOLS; i++)
        free(groups[i].ranges);
}

static int pa_compare_ranges(const void *a, const void *b)
{
    const pa_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* SimplifyPorts: sorted, overlapping and adjacent ranges merged. */
static void pa_merge_ranges(pa_port_group *g)
{
    if (g->n < 2)
        return;
    qsort(g->ranges, g->n, sizeof *g->ranges, pa_compare_ranges);
    size_t kept = 0;
    for (size_t i = 1; i < g->n; i++) {
        if (g->ranges[i].lo <= g->ranges[kept].hi + 1) {
            if (g->ranges[i].hi > g->ranges[kept].hi)
                g->ranges[kept].hi = g->ranges[i].hi;
        } else {
            g->ranges[++kept] = g->ranges[i];
        }
    }
    g->n = kept + 1;
}

/* Adds one NetworkPolicyPort to its protocol's group. Returns -1 for a
 * protocol Kubernetes does not know (the rule is skipped). */
static int pa_add_port(const cJSON *entry, pa_port_group groups[PA_N_PROTOCOLS])
{
    const cJSON *proto = cJSON_GetObjectItem(entry, "protocol");
    const char *name = cJSON_IsString(proto) ? proto->valuestring : "TCP";
    int g = -1;
    for (int i = 1; i < PA_N_PROTOCOLS && g < 0; i++)
        if (strcmp(pa_protocols[i].name, name) == 0)
            g = i;
    if (g < 0)
        return -1;
    pa_port_group *group = &groups[g];
    group->used = true;
    const cJSON *port = cJSON_GetObjectItem(entry, "port");
    if (!port) { /* every port of the protocol; it overrides listed ones */
        group->all_ports = true;
        group->named = false;
        group->n = 0;
        return 0;
    }
    if (group->all_ports)
        return 0;
    if (cJSON_IsString(port)) {
        group->named = true;
        return 0;
    }
    if (!cJSON_IsNumber(port) || port->valuedouble < 1 || port->valuedouble > 65535)
        return -1;
    const cJSON *end = cJSON_GetObjectItem(entry, "endPort");
    pa_range r = {(unsigned)port->valuedouble, (unsigned)port->valuedouble};
    if (cJSON_IsNumber(end) && end->valuedouble >= r.lo && end->valuedouble <= 65535)
        r.hi = (unsigned)end->valuedouble;
    pa_range *ranges = realloc(group->ranges, (group->n + 1) * sizeof *ranges);
    if (!ranges)
        return -1;
    group->ranges = ranges;
    group->ranges[group->n++] = r;
    return 0;
}

/* The port groups of a rule's ports (absent or empty: any protocol, any
 * port). Returns 0, or -1 when a port entry is invalid. */
static int pa_port_groups(const cJSON *ports, pa_port_group groups[PA_N_PROTOCOLS])
{
    memset(groups, 0, PA_N_PROTOCOLS * sizeof *groups);
    if (cJSON_GetArraySize(ports) == 0) {
        groups[0].used = groups[0].all_ports = true;
        return 0;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, ports)
    {
        if (pa_add_port(entry, groups) < 0)
            return -1;
    }
    for (int i = 0; i < PA_N_PROTOCOLS; i++)
        pa_merge_ranges(&groups[i]);
    return 0;
}

/* "80,8080-8090": felix's port list of a group. */
static void pa_ports_text(const pa_port_group *g, pa_text *out)
{
    for (size_t i = 0; i < g->n; i++) {
        if (g->ranges[i].lo == g->ranges[i].hi)
            pa_text_add(out, "%s%u", i ? "," : "", g->ranges[i].lo);
        else
            pa_text_add(out, "%s%u-%u", i ? "," : "", g->ranges[i].lo, g->ranges[i].hi);
    }
}

/* ---------------------------------------------------------------------------
 * One NetworkPolicy direction -> HNS ACLs
 */

/* What one policy rule conversion needs. */
typedef struct pa_rule_ctx {
    const k8s_cluster *c;
    const struct k8s_policy_state *st;
    const k8s_policy *pol;
    const char *set_id;    /* "policy-<ns>/knp.default.<name>" */
    bool inbound;
    cJSON *out;            /* the direction's ACLs */
} pa_rule_ctx;

/* The canonical "a.b.c.d/len" of an IPv4 ipBlock cidr (Calico's
 * ipNet.String()), or -1 when it is not one. */
static int pa_canonical_cidr(const char *cidr, char out[PA_CIDR])
{
    vfp_addr_range r;
    if (!cidr || !strchr(cidr, '/') || vfp_range_parse(cidr, &r) != 0 ||
        r.lo.family != VFP_FAMILY_IPV4)
        return -1;
    char text[VFP_ADDR_TEXT];
    vfp_addr_format(&r.lo, text);
    snprintf(out, PA_CIDR, "%s/%d", text, vfp_range_prefix_length(&r));
    return 0;
}

/* felix protoRuleToHnsRules for one Calico Allow rule whose remote side is
 * addrs (n of them; NULL = any): one ACL per chunk of addresses. */
static void pa_emit_allow(const pa_rule_ctx *x, const char *rule_id, unsigned protocol,
                          const char *ports, char (*addrs)[PA_CIDR], size_t n)
{
    size_t chunks = n ? (n + PA_ADDRESSES_PER_RULE - 1) / PA_ADDRESSES_PER_RULE : 1;
    for (size_t k = 0; k < chunks; k++) {
        pa_text remote = {0}, id = {0};
        for (size_t i = k * PA_ADDRESSES_PER_RULE; i < n && i < (k + 1) * PA_ADDRESSES_PER_RULE; i++)
            pa_text_add(&remote, "%s%s", remote.len ? "," : "", addrs[i]);
        if (x->st->acl_rule_id)
            pa_text_add(&id, "%s-%s-%zu", x->set_id, rule_id, k);
        pa_acl_spec a = {.id = id.text,
                         .protocol = protocol,
                         .allow = true,
                         .inbound = x->inbound,
                         .remote_addresses = remote.text,
                         .local_ports = x->inbound ? ports : NULL,
                         .remote_ports = x->inbound ? NULL : ports,
                         .priority = PA_RULE_BASE_PRIORITY};
        cJSON_AddItemToArray(x->out, pa_acl(&a));
        free(remote.text);
        free(id.text);
    }
}

/* One Calico rule: the peer (NULL = any) with the ports of one protocol
 * group. Appends its ACLs, or nothing when felix skips it. */
static void pa_calico_rule(const pa_rule_ctx *x, const char *rule_id, int protocol_index,
                           const pa_port_group *g, const cJSON *peer)
{
    if (g->named)
        return; /* named ports: skipped (consumers.md 4.3) */
    pa_text ports = {0};
    pa_ports_text(g, &ports);
    unsigned protocol = pa_protocols[protocol_index].number;
    const cJSON *block = cJSON_GetObjectItem(peer, "ipBlock");
    if (block) {
        char cidr[1][PA_CIDR];
        const cJSON *cidr_text = cJSON_GetObjectItem(block, "cidr");
        /* A negated match (except -> notNets) makes felix skip the rule;
         * so does an IPv6 or malformed CIDR (no IPv4 rule to write). */
        if (cJSON_GetArraySize(cJSON_GetObjectItem(block, "except")) == 0 &&
            pa_canonical_cidr(cJSON_GetStringValue(cidr_text), cidr[0]) == 0)
            pa_emit_allow(x, rule_id, protocol, ports.text, cidr, 1);
    } else if (cJSON_GetObjectItem(peer, "podSelector") ||
               cJSON_GetObjectItem(peer, "namespaceSelector")) {
        char(*members)[PA_CIDR] = NULL;
        size_t n = pa_ip_set_members(x->c, peer, x->pol->ns, &members);
        if (n) /* an empty IP set reads as missing: no rule */
            pa_emit_allow(x, rule_id, protocol, ports.text, members, n);
        free(members);
    } else {
        pa_emit_allow(x, rule_id, protocol, ports.text, NULL, 0);
    }
    free(ports.text);
}

/* One NetworkPolicy ingress or egress rule (index rule_index): a Calico rule
 * per protocol group and peer, in that order. */
static void pa_policy_rule(const pa_rule_ctx *x, const cJSON *rule, int rule_index)
{
    pa_port_group groups[PA_N_PROTOCOLS];
    if (pa_port_groups(cJSON_GetObjectItem(rule, "ports"), groups) == 0) {
        const cJSON *peers = cJSON_GetObjectItem(rule, x->inbound ? "from" : "to");
        int n_peers = cJSON_GetArraySize(peers), calico_index = 0;
        for (int g = 0; g < PA_N_PROTOCOLS; g++) {
            for (int j = 0; groups[g].used && j < (n_peers ? n_peers : 1); j++) {
                char rule_id[48];
                snprintf(rule_id, sizeof rule_id, "%s%d.%d", x->inbound ? "in" : "eg", rule_index,
                         calico_index++);
                pa_calico_rule(x, rule_id, g, &groups[g], n_peers ? cJSON_GetArrayItem(peers, j) : NULL);
            }
        }
    }
    pa_port_groups_free(groups);
}

/* The ACLs of policy pol (spec parsed) in one direction. */
static void pa_policy_rules(const pa_rule_ctx *x, const cJSON *spec)
{
    int i = 0;
    const cJSON *rule;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItem(spec, x->inbound ? "ingress" : "egress"))
    {
        pa_policy_rule(x, rule, i++);
    }
}

/* ---------------------------------------------------------------------------
 * The rules of one endpoint (consumers.md 4.3)
 */

static int pa_compare_policy_names(const void *a, const void *b)
{
    const k8s_policy *x = *(const k8s_policy *const *)a, *y = *(const k8s_policy *const *)b;
    return strcmp(x->name, y->name);
}

/* The policies that apply to p in the direction, sorted by name (Calico
 * orders a tier by order, 1000 for every NetworkPolicy, then name). *out is
 * malloc'd; returns how many. */
static size_t pa_selecting_policies(const k8s_cluster *c, const k8s_pod *p, bool inbound,
                                    const k8s_policy ***out)
{
    const k8s_policy **list = calloc(c->n_policies ? c->n_policies : 1, sizeof *list);
    size_t n = 0;
    for (size_t i = 0; list && i < c->n_policies; i++) {
        cJSON *spec = cJSON_Parse(c->policies[i].spec_json);
        if (spec && pa_policy_applies(&c->policies[i], spec, p, inbound))
            list[n++] = &c->policies[i];
        cJSON_Delete(spec);
    }
    qsort(list, n, sizeof *list, pa_compare_policy_names);
    *out = list;
    return n;
}

/* The priorities of one direction (rewritePriorities): 1000, 1001, ... in
 * order; beyond 64 000 rules a run of rules with the same action shares
 * one. A direction of a single rule keeps what GetPolicySetRules gave it:
 * the end-of-tier Block after no policy rule, 1001. */
static void pa_rewrite_priorities(cJSON *rules)
{
    int n = cJSON_GetArraySize(rules);
    bool always_increment = n < PA_RULE_MAX_PRIORITY - PA_RULE_BASE_PRIORITY;
    int priority = n == 1 ? PA_RULE_BASE_PRIORITY + 1 : PA_RULE_BASE_PRIORITY;
    const char *last_action = NULL;
    cJSON *rule;
    cJSON_ArrayForEach(rule, rules)
    {
        const char *action = cJSON_GetStringValue(cJSON_GetObjectItem(rule, "Action"));
        if (last_action && (always_increment || strcmp(last_action, action) != 0))
            priority++;
        cJSON_SetNumberValue(cJSON_GetObjectItem(rule, "Priority"), priority);
        last_action = action;
    }
}

/* The namespace profile kns.<ns>: Allow everything, then the end-of-tier
 * Block. */
static void pa_profile_rules(const struct k8s_policy_state *st, const k8s_pod *p, bool inbound,
                             cJSON *out)
{
    char id[2 * K8S_NAME];
    snprintf(id, sizeof id, "profile-kns.%s-%s0-0", p->ns, inbound ? "in" : "eg");
    pa_acl_spec a = {.id = st->acl_rule_id ? id : NULL,
                     .protocol = PA_PROTOCOL_ANY,
                     .allow = true,
                     .inbound = inbound,
                     .priority = PA_RULE_BASE_PRIORITY};
    cJSON_AddItemToArray(out, pa_acl(&a));
    cJSON_AddItemToArray(out, pa_block_rule(inbound, PA_RULE_BASE_PRIORITY));
}

/* One direction: the selecting policies' rules and the end-of-tier Block,
 * or the profile when no policy selects p; priorities rewritten; the Host
 * rule last. */
static void pa_direction_rules(const k8s_cluster *c, const struct k8s_policy_state *st,
                               const k8s_pod *p, bool inbound, cJSON *out)
{
    cJSON *tier = cJSON_CreateArray();
    const k8s_policy **policies = NULL;
    size_t n = pa_selecting_policies(c, p, inbound, &policies);
    for (size_t i = 0; i < n; i++) {
        char set_id[3 * K8S_NAME];
        snprintf(set_id, sizeof set_id, "policy-%s/knp.default.%s", policies[i]->ns, policies[i]->name);
        cJSON *spec = cJSON_Parse(policies[i]->spec_json);
        pa_rule_ctx x = {c, st, policies[i], set_id, inbound, tier};
        pa_policy_rules(&x, spec);
        cJSON_Delete(spec);
    }
    if (n)
        cJSON_AddItemToArray(tier, pa_block_rule(inbound, PA_RULE_BASE_PRIORITY));
    else
        pa_profile_rules(st, p, inbound, tier);
    free(policies);
    pa_rewrite_priorities(tier);
    if (PA_SEND_HOST_RULES) {
        pa_acl_spec host = {.protocol = PA_PROTOCOL_ANY,
                            .allow = true,
                            .inbound = inbound,
                            .host = true,
                            .priority = st->acl_no_host_rule_priority ? -1 : PA_OLD_HOST_RULE_PRIORITY};
        cJSON_AddItemToArray(tier, pa_acl(&host));
    }
    while (cJSON_GetArraySize(tier) > 0)
        cJSON_AddItemToArray(out, cJSON_DetachItemFromArray(tier, 0));
    cJSON_Delete(tier);
}

/* The host's IPv4 addresses as felix lists them (a named choice). */
static void pa_host_addresses(const k8s_cluster *c, const k8s_node *n, pa_text *out)
{
    char bridge[K8S_ADDR];
    bool has_bridge = c->mode == K8S_MODE_HOST_GW && k8s__cidr_host(n->pod_cidr, 2, bridge) == 0;
    char a[PA_CIDR], b[PA_CIDR];
    snprintf(a, sizeof a, "%s/32", n->ip);
    snprintf(b, sizeof b, "%s/32", has_bridge ? bridge : "");
    if (!has_bridge)
        pa_text_add(out, "%s", a);
    else if (strcmp(a, b) < 0)
        pa_text_add(out, "%s,%s", a, b);
    else
        pa_text_add(out, "%s,%s", b, a);
}

/* Every ACL of pod p's endpoint, in the order felix sends them, as JSON
 * text (malloc'd; NULL when out of memory). */
static char *pa_endpoint_rules(const k8s_cluster *c, const k8s_node *n,
                               const struct k8s_policy_state *st, const k8s_pod *p)
{
    cJSON *rules = cJSON_CreateArray();
    pa_text host = {0};
    pa_host_addresses(c, n, &host);
    pa_acl_spec to_endpoint = {.id = "allow-host-to-endpoint",
                               .protocol = PA_PROTOCOL_ANY,
                               .allow = true,
                               .inbound = true,
                               .remote_addresses = pa_text_str(&host),
                               .priority = PA_HOST_TO_ENDPOINT_PRIORITY};
    cJSON_AddItemToArray(rules, pa_acl(&to_endpoint));
    free(host.text);
    pa_direction_rules(c, st, p, true, rules);
    pa_direction_rules(c, st, p, false, rules);
    char *text = cJSON_PrintUnformatted(rules);
    cJSON_Delete(rules);
    return text;
}

/* ---------------------------------------------------------------------------
 * Conversion notes: what felix logs when a policy arrives
 */

/* Logs the rules of a new policy that felix skips ("Skipped rule because
 * it's not supported on Windows"): negated matches and named ports. */
static void pa_note_policy(k8s_cluster *c, const k8s_node *n, const k8s_policy *pol)
{
    cJSON *spec = cJSON_Parse(pol->spec_json);
    for (int dir = 0; dir < 2; dir++) {
        const char *section = dir ? "egress" : "ingress";
        int i = 0;
        const cJSON *rule;
        cJSON_ArrayForEach(rule, cJSON_GetObjectItem(spec, section))
        {
            const cJSON *peer, *port;
            cJSON_ArrayForEach(peer, cJSON_GetObjectItem(rule, dir ? "to" : "from"))
            {
                const cJSON *block = cJSON_GetObjectItem(peer, "ipBlock");
                if (cJSON_GetArraySize(cJSON_GetObjectItem(block, "except")) > 0)
                    pa_log(c, n, "Skipping rule because it contains negative matches (currently "
                                 "unsupported). policy=%s/%s %s[%d] ipBlock %s except",
                           pol->ns, pol->name, section, i,
                           cJSON_GetStringValue(cJSON_GetObjectItem(block, "cidr")));
            }
            cJSON_ArrayForEach(port, cJSON_GetObjectItem(rule, "ports"))
            {
                if (cJSON_IsString(cJSON_GetObjectItem(port, "port")))
                    pa_log(c, n, "Skipping rule because it contains named port ipsets (currently "
                                 "unsupported). policy=%s/%s %s[%d] port %s",
                           pol->ns, pol->name, section, i,
                           cJSON_GetStringValue(cJSON_GetObjectItem(port, "port")));
            }
            i++;
        }
    }
    cJSON_Delete(spec);
}

/* Notes every policy added since the last refresh. */
static void pa_note_new_policies(k8s_cluster *c, const k8s_node *n, struct k8s_policy_state *st)
{
    for (size_t i = st->n_noted; i < c->n_policies; i++)
        if (!c->policies[i].deleted)
            pa_note_policy(c, n, &c->policies[i]);
    st->n_noted = c->n_policies;
}

/* ---------------------------------------------------------------------------
 * HNS: features, endpoint cache, apply
 */

/* KUBE_NETWORK: flannel's network (a named choice, see the top). */
static const char *pa_network_name(const k8s_cluster *c)
{
    return k8s_network_name(c);
}

/* The Output of a v1 HNSCall envelope (*doc owns it), or NULL on failure. */
static const cJSON *pa_hnscall(const char *method, const char *path, const char *body, cJSON **doc)
{
    char *reply = NULL;
    HRESULT hr = hcnc_hnscall(method, path, body, &reply);
    *doc = SUCCEEDED(hr) && reply ? cJSON_Parse(reply) : NULL;
    free(reply);
    if (!cJSON_IsTrue(cJSON_GetObjectItem(*doc, "Success")))
        return NULL;
    const cJSON *out = cJSON_GetObjectItem(*doc, "Output");
    return out ? out : *doc;
}

/* GetHNSSupportedFeatures: the ACL features from /globals/version (>= 7.2,
 * hcn-api.md 3). Returns 0 when read. */
static int pa_start(k8s_cluster *c, k8s_node *n, struct k8s_policy_state *st)
{
    cJSON *doc = NULL;
    const cJSON *version = pa_hnscall("GET", "/globals/version", "", &doc);
    if (!version) {
        cJSON_Delete(doc);
        pa_log(c, n, "failed to query HNS version; will retry");
        return -1;
    }
    st->hns_major = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(version, "Major"));
    st->hns_minor = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(version, "Minor"));
    cJSON_Delete(doc);
    bool acl_features = st->hns_major > 7 || (st->hns_major == 7 && st->hns_minor >= 2);
    st->acl_rule_id = st->acl_no_host_rule_priority = acl_features;
    st->started = 1;
    pa_log(c, n, "started network=%s hns=%u.%u AclRuleId=%d AclNoHostRulePriority=%d",
           pa_network_name(c), st->hns_major, st->hns_minor,
           st->acl_rule_id, st->acl_no_host_rule_priority);
    return 0;
}

/* 1 when a v1 endpoint is one felix manages: on its network, local, and
 * Attached (2) or AttachedSharing (3) (consumers.md 4.2). */
static bool pa_endpoint_managed(const cJSON *ep, const char *network)
{
    const char *net = cJSON_GetStringValue(cJSON_GetObjectItem(ep, "VirtualNetworkName"));
    double state = cJSON_GetNumberValue(cJSON_GetObjectItem(ep, "State"));
    return net && strstr(net, network) && !cJSON_IsTrue(cJSON_GetObjectItem(ep, "IsRemoteEndpoint")) &&
           (state == 2 || state == 3);
}

/* RefreshHnsEndpointCache: HNSListEndpointRequest into the address -> ID
 * cache. Returns 0, or -1 when HNS did not answer (the cache is kept). */
static int pa_refresh_cache(k8s_cluster *c, k8s_node *n, struct k8s_policy_state *st)
{
    cJSON *doc = NULL;
    const cJSON *list = pa_hnscall("GET", "/endpoints/", "", &doc), *ep;
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(doc);
        pa_log(c, n, "Failed to obtain HNS endpoints");
        return -1;
    }
    const char *network = pa_network_name(c);
    st->n_cache = 0;
    cJSON_ArrayForEach(ep, list)
    {
        const char *ip = cJSON_GetStringValue(cJSON_GetObjectItem(ep, "IPAddress"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(ep, "ID"));
        if (!ip || !id || !pa_endpoint_managed(ep, network))
            continue;
        pa_cached_endpoint *slot = NULL;
        for (size_t i = 0; i < st->n_cache && !slot; i++)
            if (strcmp(st->cache[i].ip, ip) == 0)
                slot = &st->cache[i]; /* a map: the last one listed wins */
        if (!slot && !(slot = k8s__append(&st->cache, &st->n_cache, sizeof *st->cache)))
            break;
        snprintf(slot->ip, sizeof slot->ip, "%s", ip);
        snprintf(slot->id, sizeof slot->id, "%s", id);
    }
    cJSON_Delete(doc);
    st->cache_loaded = 1;
    st->cache_time = c->now_ms;
    return 0;
}

/* The cached endpoint ID of address ip, or NULL. */
static const char *pa_cached_id(const struct k8s_policy_state *st, const char *ip)
{
    for (size_t i = 0; i < st->n_cache; i++)
        if (strcmp(st->cache[i].ip, ip) == 0)
            return st->cache[i].id;
    return NULL;
}

/* ApplyACLPolicy: POST /endpoints/<id> {"ID", "Policies"}, replacing the
 * endpoint's ACLs. Returns 0 when HNS accepted it. */
static int pa_apply(k8s_cluster *c, k8s_node *n, const pa_workload *w, const char *id)
{
    pa_text body = {0}, path = {0};
    pa_text_add(&body, "{\"ID\":\"%s\",\"Policies\":%s}", id, w->rules);
    pa_text_add(&path, "/endpoints/%s", id);
    cJSON *doc = NULL;
    const cJSON *out = pa_hnscall("POST", pa_text_str(&path), pa_text_str(&body), &doc);
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "Error"));
    cJSON *rules = cJSON_Parse(w->rules);
    if (out)
        pa_log(c, n, "Applying endpoint rules pod=%s/%s endpointId=%s rules=%d", w->ns, w->name, id,
               cJSON_GetArraySize(rules));
    else
        pa_log(c, n, "Failed to apply rules to pod=%s/%s endpointId=%s: %s. This operation will be "
                     "retried.", w->ns, w->name, id, error ? error : "HNSCall failed");
    cJSON_Delete(rules);
    cJSON_Delete(doc);
    free(body.text);
    free(path.text);
    return out ? 0 : -1;
}

/* ---------------------------------------------------------------------------
 * Workloads and one refresh
 */

static pa_workload *pa_workload_of(struct k8s_policy_state *st, const k8s_pod *p)
{
    for (size_t i = 0; i < st->n_workloads; i++)
        if (strcmp(st->workloads[i].ns, p->ns) == 0 && strcmp(st->workloads[i].name, p->name) == 0)
            return &st->workloads[i];
    pa_workload *w = k8s__append(&st->workloads, &st->n_workloads, sizeof *st->workloads);
    if (w) {
        snprintf(w->ns, sizeof w->ns, "%s", p->ns);
        snprintf(w->name, sizeof w->name, "%s", p->name);
    }
    return w;
}

static void pa_workload_clear(pa_workload *w)
{
    free(w->rules);
    free(w->applied);
}

/* Drops the workloads not seen at this refresh (WorkloadEndpointRemove:
 * felix forgets them). */
static void pa_forget_unseen(struct k8s_policy_state *st)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->n_workloads; i++) {
        if (st->workloads[i].seen)
            st->workloads[kept++] = st->workloads[i];
        else
            pa_workload_clear(&st->workloads[i]);
    }
    st->n_workloads = kept;
}

/* The datastore side: every local running pod becomes (or stays) a
 * workload with its computed rules; a new workload, a new address or new
 * rules make it pending. Returns how many became pending. */
static size_t pa_collect_updates(k8s_cluster *c, k8s_node *n, struct k8s_policy_state *st)
{
    size_t updates = 0;
    for (size_t i = 0; i < st->n_workloads; i++)
        st->workloads[i].seen = 0;
    for (size_t i = 0; i < c->n_pods; i++) {
        const k8s_pod *p = &c->pods[i];
        if (!pa_pod_has_network(p) || strcmp(p->node, n->name) != 0 || !p->endpoint_id[0])
            continue;
        char *rules = pa_endpoint_rules(c, n, st, p);
        pa_workload *w = rules ? pa_workload_of(st, p) : NULL;
        if (!w) {
            free(rules);
            continue;
        }
        w->seen = 1;
        if (!w->rules || strcmp(w->rules, rules) != 0 || strcmp(w->ip, p->ip) != 0) {
            free(w->rules);
            w->rules = rules;
            snprintf(w->ip, sizeof w->ip, "%s", p->ip);
            w->pending = 1;
            updates++;
        } else {
            free(rules);
        }
    }
    pa_forget_unseen(st);
    return updates;
}

/* Resolves and applies one pending workload. Returns 0 when it is done, -1
 * when it must be retried. */
static int pa_apply_workload(k8s_cluster *c, k8s_node *n, struct k8s_policy_state *st,
                             pa_workload *w)
{
    const char *id = pa_cached_id(st, w->ip);
    if (!id && pa_refresh_cache(c, n, st) == 0) /* a miss forces one refresh */
        id = pa_cached_id(st, w->ip);
    if (!id) {
        pa_log(c, n, "Failed to look up HNS endpoint for workload pod=%s/%s ip=%s", w->ns, w->name,
               w->ip);
        return -1;
    }
    bool same = w->applied && strcmp(w->applied, w->rules) == 0 && strcmp(w->endpoint_id, id) == 0;
    if (!same) {
        if (pa_apply(c, n, w, id) < 0)
            return -1;
        free(w->applied);
        w->applied = strdup(w->rules);
        snprintf(w->endpoint_id, sizeof w->endpoint_id, "%s", id);
    }
    w->pending = 0;
    return 0;
}

/* CompleteDeferredWork: the cache refresh, then every pending workload. A
 * failure schedules a retry in 5 s. */
static void pa_complete_deferred_work(k8s_cluster *c, k8s_node *n, struct k8s_policy_state *st,
                                      size_t updates)
{
    size_t pending = 0;
    for (size_t i = 0; i < st->n_workloads; i++)
        pending += st->workloads[i].pending != 0;
    bool retry_due = st->retry_at && c->now_ms >= st->retry_at;
    if (!pending || (!updates && !retry_due)) {
        if (!st->cache_loaded || c->now_ms - st->cache_time >= PA_CACHE_TIMEOUT_MS)
            pa_refresh_cache(c, n, st);
        return;
    }
    st->retry_at = 0;
    pa_refresh_cache(c, n, st); /* forced: addresses may have been reused */
    bool failed = false;
    for (size_t i = 0; i < st->n_workloads; i++) {
        pa_workload *w = &st->workloads[i];
        if (w->pending && pa_apply_workload(c, n, st, w) < 0)
            failed = true;
    }
    if (failed)
        st->retry_at = c->now_ms + PA_RETRY_MS;
}

void k8s_policy_agent_sync(k8s_cluster *c, k8s_node *n)
{
    if (!n->windows || !n->policy_agent || !n->hns)
        return;
    if (!n->policy && !(n->policy = calloc(1, sizeof *n->policy)))
        return;
    struct k8s_policy_state *st = n->policy;
    hcnc_use(n->hns);
    if (!st->started && pa_start(c, n, st) < 0)
        return;
    pa_note_new_policies(c, n, st);
    size_t updates = pa_collect_updates(c, n, st);
    pa_complete_deferred_work(c, n, st, updates);
}

uint64_t k8s_policy_agent_next_due(const k8s_node *n)
{
    const struct k8s_policy_state *st = n && n->policy_agent ? n->policy : NULL;
    return st ? st->retry_at : 0;
}

void k8s_policy_agent_free(k8s_node *n)
{
    if (!n || !n->policy)
        return;
    struct k8s_policy_state *st = n->policy;
    for (size_t i = 0; i < st->n_workloads; i++)
        pa_workload_clear(&st->workloads[i]);
    free(st->workloads);
    free(st->cache);
    free(st);
    n->policy = NULL;
}
