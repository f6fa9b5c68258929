/*
 * cluster.c - the objects of a simulated Kubernetes cluster and the
 * reconcile loop that runs the controller models (k8s.h).
 *
 * Objects live in arrays in declaration order, so every loop over them -
 * and so every HNS call the controllers make - happens in the same order
 * for the same script. k8s_reconcile() runs, per node in order: flannel
 * (the network), CNI (pods pending or terminating on the node), kube-proxy
 * (Windows: kube_proxy.c; Linux: linux.c), then syncs every Windows node's
 * VFP with what HNS now holds.
 */
#include "k8s_internal.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Addresses
 */

static int parse_cidr(const char *cidr, uint32_t *base, unsigned *length)
{
    vfp_addr_range r;
    if (!cidr || vfp_range_parse(cidr, &r) != 0 || r.lo.family != VFP_FAMILY_IPV4)
        return -1;
    int len = vfp_range_prefix_length(&r);
    if (len < 0)
        return -1;
    *base = (uint32_t)r.lo.lo;
    *length = (unsigned)len;
    return 0;
}

const char *k8s_network_name(const k8s_cluster *c)
{
    return c->mode == K8S_MODE_VXLAN ? "vxlan0" : c->mode == K8S_MODE_NAT ? "nat" : "cbr0";
}

const char *k8s_network_type(const k8s_cluster *c)
{
    return c->mode == K8S_MODE_VXLAN ? "Overlay" : c->mode == K8S_MODE_NAT ? "NAT" : "L2Bridge";
}

int k8s__cidr_host(const char *cidr, unsigned host, char out[K8S_ADDR])
{
    uint32_t base;
    unsigned length;
    if (parse_cidr(cidr, &base, &length) < 0 || length > 30 ||
        host >= (1u << (32 - length)) - 1 || host == 0)
        return -1;
    vfp_addr a = vfp_addr_v4(base + host);
    char text[VFP_ADDR_TEXT];
    vfp_addr_format(&a, text);
    snprintf(out, K8S_ADDR, "%s", text);
    return 0;
}

bool k8s__cidr_contains(const char *cidr, const char *ip)
{
    vfp_addr_range r;
    vfp_addr a;
    return cidr && ip && vfp_range_parse(cidr, &r) == 0 && vfp_addr_parse(ip, &a) == 0 &&
           r.lo.family == a.family && vfp_addr_compare(&r.lo, &a) <= 0 &&
           vfp_addr_compare(&a, &r.hi) <= 0;
}

/* ---------------------------------------------------------------------------
 * Objects
 */

k8s_cluster *k8s_cluster_new(uint64_t seed, k8s_mode mode, uint32_t vni, const char *pod_cidr,
                             const char *service_cidr, const char *node_cidr)
{
    hnsm_tune_for_many_instances(); /* one HNS per Windows node, on worker threads */
    uint32_t base;
    unsigned len;
    if (parse_cidr(pod_cidr, &base, &len) < 0 || parse_cidr(service_cidr, &base, &len) < 0 ||
        (node_cidr && parse_cidr(node_cidr, &base, &len) < 0))
        return NULL;
    k8s_cluster *c = calloc(1, sizeof *c);
    if (!c || !(c->net = net_cluster_new(seed))) {
        free(c);
        return NULL;
    }
    c->seed = seed;
    c->mode = mode;
    c->vni = vni ? vni : 4096;
    snprintf(c->pod_cidr, sizeof c->pod_cidr, "%s", pod_cidr);
    snprintf(c->service_cidr, sizeof c->service_cidr, "%s", service_cidr);
    if (k8s__cidr_host(service_cidr, 10, c->dns_ip) < 0)
        c->dns_ip[0] = 0;
    snprintf(c->node_cidr, sizeof c->node_cidr, "%s", node_cidr ? node_cidr : "");
    net_add_cluster_cidr(c->net, pod_cidr);
    net_add_cluster_cidr(c->net, service_cidr);
    return c;
}

static void selection_free(struct k8s_selection *sel);

void k8s_cluster_free(k8s_cluster *c)
{
    if (!c)
        return;
    net_cluster_free(c->net);
    for (size_t i = 0; i < c->n_nodes; i++) {
        k8s_kube_proxy_free(&c->nodes[i]);
        k8s_policy_agent_free(&c->nodes[i]);
        free(c->nodes[i].ipam_used);
        hnsm_close(c->nodes[i].hns);
    }
    selection_free(c->selection);
    free(c->namespaces);
    for (size_t i = 0; i < c->n_policies; i++)
        free(c->policies[i].spec_json);
    free(c->policies);
    for (size_t i = 0; i < c->n_log; i++)
        free(c->log[i]);
    free(c->log);
    free(c->nodes);
    free(c->pods);
    free(c->services);
    free(c);
}

void *k8s__append(void *array_ptr, size_t *n, size_t size)
{
    void **array = array_ptr;
    void *p = realloc(*array, (*n + 1) * size);
    if (!p)
        return NULL;
    *array = p;
    char *slot = (char *)p + *n * size;
    memset(slot, 0, size);
    (*n)++;
    return slot;
}

k8s_node *k8s_node_named(k8s_cluster *c, const char *name)
{
    for (size_t i = 0; name && i < c->n_nodes; i++)
        if (strcmp(c->nodes[i].name, name) == 0)
            return &c->nodes[i];
    return NULL;
}

k8s_pod *k8s_pod_named(k8s_cluster *c, const char *ns, const char *name)
{
    for (size_t i = 0; name && i < c->n_pods; i++)
        if (c->pods[i].phase != K8S_POD_GONE && strcmp(c->pods[i].name, name) == 0 &&
            strcmp(c->pods[i].ns, ns ? ns : "default") == 0)
            return &c->pods[i];
    return NULL;
}

k8s_service *k8s_service_named(k8s_cluster *c, const char *ns, const char *name)
{
    for (size_t i = 0; name && i < c->n_services; i++)
        if (!c->services[i].deleted && strcmp(c->services[i].name, name) == 0 &&
            strcmp(c->services[i].ns, ns ? ns : "default") == 0)
            return &c->services[i];
    return NULL;
}

/* A Windows node's HNS: in memory, seeded from the cluster seed and the
 * node's position, so GUIDs are the same for the same script. */
static hnsm_instance *open_hns(const k8s_cluster *c, const char *profile)
{
    hnsm_config config = {.profile = profile && *profile ? profile : "ws2022",
                          .seed = c->seed * 1000003u + c->n_nodes,
                          .seed_set = 1};
    hnsm_instance *inst = NULL;
    return hnsm_open(&config, &inst) == 0 ? inst : NULL;
}

k8s_node *k8s_add_node(k8s_cluster *c, const k8s_node *spec)
{
    if (!spec || k8s_node_named(c, spec->name))
        return NULL;
    /* One address per node. Pod CIDRs may overlap: the IP-reuse field bugs
     * (C1, C2) need a pod address to move between nodes. */
    for (size_t i = 0; i < c->n_nodes; i++)
        if (!strcmp(c->nodes[i].ip, spec->ip))
            return NULL;
    /* Node pointers handed out before stay valid: nets keep their own. */
    hnsm_instance *hns = spec->windows ? open_hns(c, spec->profile) : NULL;
    if (spec->windows && !hns)
        return NULL;
    net_node *nn = spec->windows
                       ? net_add_windows(c->net, spec->name, spec->ip, hns)
                       : net_add_linux(c->net, spec->name, spec->ip, spec->pod_cidr);
    k8s_node *n = nn ? k8s__append(&c->nodes, &c->n_nodes, sizeof *c->nodes) : NULL;
    if (!n) {
        hnsm_close(hns);
        return NULL;
    }
    *n = *spec;
    n->hns = hns;
    if (hns)
        hnsm_set_generated_policy_delay(hns, spec->management_ip_delay_ms);
    n->net = nn;
    n->ready = 1;
    n->next_host = 0; /* ipam.c hands out addresses from .10 */
    n->ipam_used = NULL;
    n->proxy = NULL;
    n->policy = NULL;
    n->network_id[0] = 0;
    if (!n->profile[0])
        snprintf(n->profile, sizeof n->profile, "ws2022");
    if (!n->kube_proxy.sync_period)
        n->kube_proxy.sync_period = 30;
    if (!n->kube_proxy.minor_version)
        n->kube_proxy.minor_version = 33;
    if (nn && spec->windows)
        net_node_set_profile(nn, n->profile);
    return n;
}

k8s_pod *k8s_add_pod(k8s_cluster *c, const k8s_pod *spec)
{
    if (!spec || k8s_pod_named(c, spec->ns, spec->name) || !k8s_node_named(c, spec->node))
        return NULL;
    k8s_pod *p = k8s__append(&c->pods, &c->n_pods, sizeof *c->pods);
    if (!p)
        return NULL;
    *p = *spec;
    if (!p->ns[0])
        snprintf(p->ns, sizeof p->ns, "default");
    p->phase = K8S_POD_PENDING;
    p->ready = 1;
    p->ip[0] = p->endpoint_id[0] = p->namespace_id[0] = p->dns_server[0] = 0;
    p->dns_ready_ms = 0;
    k8s_pod_dns_flush(p);
    return p;
}

/* The next unused address of the service CIDR, from .10. */
static int next_cluster_ip(k8s_cluster *c, char out[K8S_ADDR])
{
    for (unsigned host = 10;; host++) {
        if (k8s__cidr_host(c->service_cidr, host, out) < 0)
            return -1;
        bool used = false;
        for (size_t i = 0; i < c->n_services && !used; i++)
            used = strcmp(c->services[i].cluster_ip, out) == 0;
        if (!used)
            return 0;
    }
}

k8s_service *k8s_add_service(k8s_cluster *c, const k8s_service *spec)
{
    if (!spec || k8s_service_named(c, spec->ns[0] ? spec->ns : "default", spec->name))
        return NULL;
    char ip[K8S_ADDR];
    if (spec->cluster_ip[0]) {
        snprintf(ip, sizeof ip, "%s", spec->cluster_ip);
        for (size_t i = 0; i < c->n_services; i++) /* the API server refuses a taken ClusterIP */
            if (!c->services[i].deleted && !strcmp(c->services[i].cluster_ip, ip))
                return NULL;
    } else if (next_cluster_ip(c, ip) < 0) {
        return NULL;
    }
    k8s_service *s = k8s__append(&c->services, &c->n_services, sizeof *c->services);
    if (!s)
        return NULL;
    *s = *spec;
    if (!s->ns[0])
        snprintf(s->ns, sizeof s->ns, "default");
    if (!s->type)
        s->type = K8S_SVC_CLUSTER_IP;
    snprintf(s->cluster_ip, sizeof s->cluster_ip, "%s", ip);
    return s;
}

k8s_policy *k8s_add_policy(k8s_cluster *c, const char *ns, const char *name, const char *spec_json)
{
    ns = ns && *ns ? ns : "default";
    for (size_t i = 0; i < c->n_policies; i++)
        if (!c->policies[i].deleted && !strcmp(c->policies[i].name, name) &&
            !strcmp(c->policies[i].ns, ns))
            return NULL;
    cJSON *doc = spec_json ? cJSON_Parse(spec_json) : NULL;
    int is_object = cJSON_IsObject(doc);
    cJSON_Delete(doc);
    char *copy = is_object ? strdup(spec_json) : NULL;
    k8s_policy *p = copy ? k8s__append(&c->policies, &c->n_policies, sizeof *c->policies) : NULL;
    if (!p) {
        free(copy);
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->ns, sizeof p->ns, "%s", ns);
    p->spec_json = copy;
    return p;
}

/* The selection cache: for each service, the pods it selects. */
struct k8s_selection {
    size_t **pods;    /* per service: pod indexes */
    size_t *n;        /* per service: how many */
    size_t n_services; /* services covered */
    size_t n_pods;    /* pods covered (a new pod or service makes it stale) */
};

static void selection_free(struct k8s_selection *sel)
{
    for (size_t i = 0; sel && i < sel->n_services; i++)
        free(sel->pods[i]);
    if (sel) {
        free(sel->pods);
        free(sel->n);
    }
    free(sel);
}

static struct k8s_selection *selection_build(k8s_cluster *c)
{
    struct k8s_selection *sel = calloc(1, sizeof *sel);
    if (!sel || !(sel->pods = calloc(c->n_services + 1, sizeof *sel->pods)) ||
        !(sel->n = calloc(c->n_services + 1, sizeof *sel->n))) {
        selection_free(sel);
        return NULL;
    }
    sel->n_services = c->n_services;
    sel->n_pods = c->n_pods;
    for (size_t i = 0; i < c->n_services; i++) {
        const k8s_service *s = &c->services[i];
        for (size_t j = 0; j < c->n_pods; j++) {
            const k8s_pod *p = &c->pods[j];
            if (strcmp(p->ns, s->ns) || !k8s_selects(&s->selector, &p->labels))
                continue;
            size_t *grown = realloc(sel->pods[i], (sel->n[i] + 1) * sizeof *grown);
            if (!grown) {
                selection_free(sel);
                return NULL;
            }
            sel->pods[i] = grown;
            sel->pods[i][sel->n[i]++] = j;
        }
    }
    return sel;
}

const size_t *k8s__selected_pods(k8s_cluster *c, const k8s_service *s, size_t *n)
{
    struct k8s_selection *sel = c->selection;
    if (!sel || sel->n_services != c->n_services || sel->n_pods != c->n_pods) {
        selection_free(sel);
        sel = c->selection = selection_build(c);
    }
    size_t i = (size_t)(s - c->services);
    *n = sel && i < sel->n_services ? sel->n[i] : 0;
    return sel && i < sel->n_services ? sel->pods[i] : NULL;
}

int k8s_selects(const k8s_labels *selector, const k8s_labels *labels)
{
    if (!selector->n)
        return 0; /* a service without a selector has no pods */
    for (size_t i = 0; i < selector->n; i++) {
        bool found = false;
        for (size_t j = 0; j < labels->n && !found; j++)
            found = strcmp(selector->items[i].key, labels->items[j].key) == 0 &&
                    strcmp(selector->items[i].value, labels->items[j].value) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

size_t k8s__backends(k8s_cluster *c, const k8s_service *s, const char *local_to, k8s_pod **out,
                     size_t max)
{
    size_t n = 0, n_selected;
    const size_t *selected = k8s__selected_pods(c, s, &n_selected);
    for (size_t i = 0; i < n_selected; i++) {
        k8s_pod *p = &c->pods[selected[i]];
        if (p->phase != K8S_POD_RUNNING || !p->ready || (local_to && strcmp(p->node, local_to) != 0))
            continue;
        if (n < max)
            out[n] = p;
        n++;
    }
    return n;
}

void k8s__node_log(k8s_cluster *c, const k8s_node *n, const char *component, const char *fmt, ...)
{
    char line[448];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    k8s_log(c, "%s %s: %s", n->name, component, line);
}

void k8s__log_append(k8s_cluster *c, char *line)
{
    char **log = line ? realloc(c->log, (c->n_log + 1) * sizeof *log) : NULL;
    if (!log) {
        free(line);
        return;
    }
    c->log = log;
    c->log[c->n_log++] = line;
}

void k8s_log(k8s_cluster *c, const char *fmt, ...)
{
    char line[512];
    int used = snprintf(line, sizeof line, "[%llu.%03llus] ", (unsigned long long)(c->now_ms / 1000),
                        (unsigned long long)(c->now_ms % 1000));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + used, sizeof line - (size_t)used, fmt, ap);
    va_end(ap);
    k8s_log_buffer *sink = k8s__log_sink();
    if (!sink) {
        k8s__log_append(c, strdup(line));
        return;
    }
    char **lines = realloc(sink->lines, (sink->n + 1) * sizeof *lines);
    if (lines && (lines[sink->n] = strdup(line)))
        sink->n++;
    if (lines)
        sink->lines = lines;
}

/* ---------------------------------------------------------------------------
 * Reconcile
 */

/* What a reboot does above HNS: the node's agents and pods start again. */
static void node_started_again(k8s_cluster *c, k8s_node *n)
{
    k8s_kube_proxy_restart(c, n);
    k8s_policy_agent_free(n); /* felix starts again with the node */
    k8s_flannel_restart(c, n);
    for (size_t i = 0; i < c->n_pods; i++) {
        k8s_pod *p = &c->pods[i];
        if (strcmp(p->node, n->name) != 0 || p->phase != K8S_POD_RUNNING)
            continue;
        k8s__cni_del(c, n, p); /* the old sandbox; its endpoint went with the reboot */
        p->phase = K8S_POD_PENDING;
        p->ip[0] = p->endpoint_id[0] = p->namespace_id[0] = p->dns_server[0] = 0;
    }
}

void k8s_node_reboot(k8s_cluster *c, k8s_node *n)
{
    if (n->hns)
        hnsm_reboot(n->hns);
    k8s_log(c, "%s: rebooted", n->name);
    node_started_again(c, n);
}

int k8s_node_os_update(k8s_cluster *c, k8s_node *n, const char *profile, int store_compatible)
{
    if (!n->hns || hnsm_os_update(n->hns, profile, store_compatible) != 0)
        return -1;
    if (profile) {
        snprintf(n->profile, sizeof n->profile, "%s", hnsm_profile_name(n->hns));
        net_node_set_profile(n->net, n->profile);
    }
    k8s_log(c, "%s: OS updated (HNS %s), rebooted", n->name, hnsm_profile_name(n->hns));
    node_started_again(c, n);
    return 0;
}

/* CNI for the pods of node n: ADD the pending, DEL the terminating. */
static void run_cni(k8s_cluster *c, k8s_node *n)
{
    for (size_t i = 0; i < c->n_pods; i++) {
        k8s_pod *p = &c->pods[i];
        if (strcmp(p->node, n->name) != 0)
            continue;
        if (p->phase == K8S_POD_PENDING && n->ready && k8s__cni_add(c, n, p) == 0) {
            p->phase = K8S_POD_RUNNING;
            p->dns_ready_ms = c->now_ms + (n->windows ? n->dns_config_delay_ms : 0);
            k8s_pod_dns_flush(p); /* a new container: its DNS client starts empty */
        }
        else if (p->phase == K8S_POD_TERMINATING && k8s__cni_del(c, n, p) == 0)
            p->phase = K8S_POD_GONE;
    }
}

/* Keeps the earliest of *best and t, among times after now. */
static void earliest(uint64_t *best, uint64_t now, uint64_t t)
{
    if (t > now && (!*best || t < *best))
        *best = t;
}

uint64_t k8s_next_due(k8s_cluster *c)
{
    uint64_t best = 0, now = c->now_ms;
    for (size_t i = 0; i < c->n_nodes; i++) {
        const k8s_node *n = &c->nodes[i];
        if (n->windows && !n->kube_proxy_stopped)
            earliest(&best, now, n->kube_proxy_restart_at ? n->kube_proxy_restart_at
                                 : n->proxy                ? n->next_proxy_sync
                                                           : 0);
        if (n->windows && !n->flannel_stopped && n->flannel_waiting) {
            /* flanneld gives up at the end of its wait, or sees the management
             * IP at its first poll after HNS adds it. */
            uint64_t since = n->flannel_wait_since_ms, hns = hnsm_next_event_ms(n->hns);
            earliest(&best, now, since + K8S_FLANNEL_MANAGEMENT_IP_WAIT_MS);
            if (hns > since)
                earliest(&best, now,
                         since + (hns - since + K8S_FLANNEL_POLL_MS - 1) / K8S_FLANNEL_POLL_MS *
                                     K8S_FLANNEL_POLL_MS);
        }
        earliest(&best, now, k8s_policy_agent_next_due(n));
    }
    for (size_t i = 0; i < c->n_pods; i++)
        if (c->pods[i].phase == K8S_POD_TERMINATING)
            earliest(&best, now, c->pods[i].delete_after_ms);
    return best;
}

void k8s_set_clock(k8s_cluster *c, uint64_t t)
{
    c->now_ms = t;
    net_set_time(c->net, t / 1000);
    for (size_t i = 0; i < c->n_nodes; i++)
        if (c->nodes[i].hns) {
            uint64_t hns_ms = hnsm_clock_ms(c->nodes[i].hns);
            if (hns_ms < t)
                hnsm_clock_advance(c->nodes[i].hns, t - hns_ms);
        }
}

int k8s_advance(k8s_cluster *c, uint64_t t)
{
    for (uint64_t due; (due = k8s_next_due(c)) && due < t;) {
        k8s_set_clock(c, due);
        k8s_reconcile(c);
    }
    if (t > c->now_ms)
        k8s_set_clock(c, t);
    return k8s_reconcile(c);
}

/* A node's proxies: kube-proxy (Windows or Linux) and the policy agent. */
static int proxy_step(k8s_cluster *c, k8s_node *n, void *arg)
{
    (void)arg;
    if (n->kube_proxy_stopped)
        ;
    else if (n->windows)
        k8s_kube_proxy_sync(c, n);
    else
        k8s__linux_proxy_sync(c, n);
    if (n->windows && n->policy_agent)
        k8s_policy_agent_sync(c, n);
    return 0;
}

/* A Windows node's VFP follows its HNS. */
static int vfp_step(k8s_cluster *c, k8s_node *n, void *arg)
{
    (void)arg;
    char *error = NULL;
    int rc = 0;
    if (n->windows && net_node_sync(n->net, &error) != 0) {
        k8s_log(c, "%s vfp: %s", n->name, error ? error : "sync failed");
        rc = -1;
    }
    free(error);
    return rc;
}

int k8s_reconcile(k8s_cluster *c)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (!c->nodes[i].flannel_stopped)
            k8s__flannel_start(c, &c->nodes[i]);
    for (size_t i = 0; i < c->n_nodes; i++) {
        k8s_node *n = &c->nodes[i];
        if (n->flannel_stopped || k8s__flannel_sync(c, n) == 0)
            run_cni(c, n); /* kubelet starts pods whether or not flanneld runs */
    }
    /* The proxies and VFP syncs of the nodes are independent (parallel.c);
     * the selection cache they share is built before they start. */
    size_t unused;
    if (c->n_services)
        k8s__selected_pods(c, &c->services[0], &unused);
    hcnc_use(NULL); /* the workers choose their node's HNS themselves */
    bool threads = !c->n_services || c->selection; /* no cache (no memory): one node at a time */
    k8s__for_each_node(c, proxy_step, NULL, threads);
    int rc = k8s__for_each_node(c, vfp_step, NULL, threads);
    hcnc_use(NULL);
    return rc ? -1 : 0;
}

int k8s_set_namespace_labels(k8s_cluster *c, const char *name, const k8s_labels *labels)
{
    k8s_labels now;
    k8s_namespace_labels(c, name, &now);
    size_t n = now.n;
    for (size_t j = 0; j < labels->n; j++) { /* add, or overwrite a key it has */
        size_t k = 0;
        while (k < n && strcmp(now.items[k].key, labels->items[j].key) != 0)
            k++;
        if (k == K8S_MAX_LABELS)
            return -2;
        now.items[k] = labels->items[j];
        n += k == n;
    }
    size_t i = 0;
    while (i < c->n_namespaces && strcmp(c->namespaces[i].name, name) != 0)
        i++;
    k8s_namespace *ns = i < c->n_namespaces
                            ? &c->namespaces[i]
                            : k8s__append(&c->namespaces, &c->n_namespaces, sizeof *c->namespaces);
    if (!ns)
        return -1;
    snprintf(ns->name, sizeof ns->name, "%s", name);
    memset(&ns->labels, 0, sizeof ns->labels);
    for (size_t k = 1; k < n; k++) /* all but kubernetes.io/metadata.name, always first */
        ns->labels.items[ns->labels.n++] = now.items[k];
    return 0;
}

void k8s_namespace_labels(const k8s_cluster *c, const char *name, k8s_labels *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->items[0].key, sizeof out->items[0].key, "kubernetes.io/metadata.name");
    snprintf(out->items[0].value, sizeof out->items[0].value, "%s", name);
    out->n = 1;
    for (size_t i = 0; i < c->n_namespaces; i++)
        if (strcmp(c->namespaces[i].name, name) == 0)
            for (size_t j = 0; j < c->namespaces[i].labels.n && out->n < K8S_MAX_LABELS; j++)
                if (strcmp(c->namespaces[i].labels.items[j].key, "kubernetes.io/metadata.name") != 0)
                    out->items[out->n++] = c->namespaces[i].labels.items[j];
}
