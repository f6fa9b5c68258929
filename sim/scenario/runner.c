/*
 * runner.c - carrying out a scenario's statements (runner.h).
 *
 * One function per verb, found through the table at the bottom. A setup
 * verb (cluster, node, external, pod, deployment, service) declares
 * objects; a change (scale, delete, ready, drain) edits them; time (at,
 * advance) moves the virtual clock; faults act on a node's HNS, its
 * controllers or its VFP; `hcn` makes a raw HCN call; `expect` checks
 * packets, HNS state and the controllers' log. After every statement that
 * can change what the controllers see, the cluster is reconciled
 * (k8s_reconcile: informers react at once), so an expectation sees the
 * state the real components would have reached - except inside `batch
 * begin` ... `batch end`, whose changes reach the controllers together at
 * its end. A pod deleted with grace= keeps running (terminating, serving)
 * until its grace period is over; CNI DEL waits for it (cni.c).
 *
 * A statement the runner cannot carry out (unknown verb, bad argument,
 * unknown object) stops the run with "file:line:col: message"; a failed
 * expectation is recorded and the run goes on.
 */
#include "runner.h"

#include "probe.h"

#include "hcn_client.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct run {
    const scn_options *o;
    scn_report *report;
    k8s_cluster *c;
    const scn_stmt *st;      /* the statement being carried out */
    unsigned char *read;     /* which of its arguments the verb has read (n_args) */
    int json_read;           /* the verb took the statement's JSON document */
    struct deployment {      /* declared deployments: the spec of a new replica */
        k8s_pod model;       /* name = the deployment's, ns, labels, ports, first node */
        int live;            /* not deleted */
        char nodes[64][K8S_NAME]; /* its nodes= (n_nodes 0: any ready node of its OS) */
        size_t n_nodes;
    } *deployments;
    size_t n_deployments;
    char error[512];         /* set when a statement fails */
    uint16_t next_port;      /* ephemeral source ports of probes */
    char vars[32][2][K8S_ADDR * 2]; /* `as=NAME` results: name, value */
    size_t n_vars;
    int batch;               /* inside `batch begin` ... `batch end`: no reconcile */
    scn_pos batch_pos;       /* where the open batch began */
} run;

/* ---------------------------------------------------------------------------
 * Errors, arguments
 */

static int fail(run *r, const scn_pos *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(run *r, const scn_pos *at, const char *fmt, ...)
{
    const scn_pos *pos = at ? at : &r->st->pos;
    int used = snprintf(r->error, sizeof r->error, "%s:%d:%d: ", pos->file, pos->line, pos->col);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error + used, sizeof r->error - (size_t)used, fmt, ap);
    va_end(ap);
    return -1;
}

/* Copies src into dst, cut to size - 1 bytes. */
static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
}

/* Notes that the statement's argument a was read: a key=value no verb
 * reads is an error (unread_argument), not silently ignored. */
static const scn_arg *mark_read(run *r, const scn_arg *a)
{
    if (a && r->read)
        r->read[a - r->st->args] = 1;
    return a;
}

static const char *arg(run *r, const char *key)
{
    const scn_arg *a = mark_read(r, scn_arg_named(r->st, key));
    return a ? a->value : NULL;
}

static const char *need(run *r, const char *key)
{
    const char *v = arg(r, key);
    if (!v)
        fail(r, NULL, "%s needs %s=", r->st->verb, key);
    return v;
}

static const char *positional(run *r, size_t i)
{
    const scn_arg *a = mark_read(r, scn_positional(r->st, i));
    return a ? a->value : NULL;
}

/* Where the argument whose value text holds value (as positional() or
 * arg() returned it, or a pointer into it) is written; NULL (the
 * statement's start) when none is. */
static const scn_pos *pos_of_value(run *r, const char *value)
{
    for (size_t i = 0; value && i < r->st->n_args; i++) {
        const char *v = r->st->args[i].value;
        if (v && value >= v && value <= v + strlen(v)) /* the value, or a part of it */
            return &r->st->args[i].pos;
    }
    return NULL;
}

/* Where key= is written, for a message (it does not count as read). */
static const scn_pos *pos_of(run *r, const char *key)
{
    const scn_arg *a = scn_arg_named(r->st, key);
    return a ? &a->pos : NULL;
}

/* 1 for "on", "yes", "true", "1"; 0 for "off", "no", "false", "0"; -1
 * for anything else. */
static int switch_value(const char *v)
{
    static const char *const on[] = {"on", "yes", "true", "1"}, *const off[] = {"off", "no", "false", "0"};
    for (size_t i = 0; v && i < 4; i++) {
        if (!strcasecmp(v, on[i]))
            return 1;
        if (!strcasecmp(v, off[i]))
            return 0;
    }
    return -1;
}

/* The switch key= (dflt when absent); -1 (failed) for another value. */
static int switch_arg(run *r, const char *key, int dflt)
{
    const char *v = arg(r, key);
    int on = v ? switch_value(v) : dflt;
    if (on < 0)
        fail(r, pos_of(r, key), "%s=%s: on or off (yes/no, true/false, 1/0)", key, v);
    return on;
}

/* The position in options (a NULL-ended list, compared without case) of
 * key='s value, dflt when absent; -1 (failed) for another value. */
static int choice_arg(run *r, const char *key, const char *const *options, int dflt)
{
    const char *v = arg(r, key);
    if (!v)
        return dflt;
    char list[128] = "";
    for (int i = 0; options[i]; i++) {
        if (!strcasecmp(v, options[i]))
            return i;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "|" : "", options[i]);
    }
    fail(r, pos_of(r, key), "%s=%s: one of %s", key, v, list);
    return -1;
}

/* "90", "90s", "1.5s", "500ms", "2m", "1h" in milliseconds; -1 when bad. */
int64_t scn_parse_duration(const char *text)
{
    if (!text || !*text || strspn(text, "0123456789.") == 0)
        return -1; /* not "0x10", "1e3", "-1" or " 5" */
    const char *unit = text + strspn(text, "0123456789.");
    if (*unit && strcmp(unit, "s") && strcmp(unit, "ms") && strcmp(unit, "m") && strcmp(unit, "h"))
        return -1;
    char *end;
    double v = strtod(text, &end);
    double scale = !*end || !strcmp(end, "s") ? 1000 : !strcmp(end, "ms") ? 1
                   : !strcmp(end, "m")        ? 60000
                   : !strcmp(end, "h")        ? 3600000
                                              : -1;
    if (scale < 0 || v < 0 || end == text)
        return -1;
    return (int64_t)(v * scale + 0.5);
}

/* A decimal number up to max (no sign, no leading "0x": "010" is ten). */
static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    if (!text || !*text || *text == '-' || *text == '+')
        return -1;
    unsigned long v = strtoul(text, &end, 10);
    if (*end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* An HRESULT: "0x803B0013" or a decimal number. */
static int parse_hresult(const char *text, unsigned long *out)
{
    char *end;
    if (!text || !*text || *text == '-')
        return -1;
    unsigned long v = strtoul(text, &end, 0);
    if (*end || v > 0xffffffffUL)
        return -1;
    *out = v;
    return 0;
}

/* A name or label that fits the model's fixed fields (K8S_NAME - 1 bytes):
 * longer ones are refused rather than cut, which could merge two names. */
static int check_length(run *r, const scn_pos *at, const char *what, const char *text)
{
    if (strlen(text) >= K8S_NAME - 8) /* room for a replica suffix */
        return fail(r, at, "%s '%.20s...' is longer than %d bytes", what, text, K8S_NAME - 9);
    return 0;
}

/* 1 when a lies in cidr. */
static bool cidr_holds(const char *cidr, const vfp_addr *a)
{
    vfp_addr_range r;
    return vfp_range_parse(cidr, &r) == 0 && r.lo.family == a->family &&
           vfp_addr_compare(&r.lo, a) <= 0 && vfp_addr_compare(a, &r.hi) <= 0;
}

/* 1 when text is an IPv4 prefix "a.b.c.d/n" with n <= max_length. */
static bool valid_cidr(const char *text, int max_length)
{
    vfp_addr_range range;
    int len;
    return text && vfp_range_parse(text, &range) == 0 && range.lo.family == VFP_FAMILY_IPV4 &&
           strchr(text, '/') && (len = vfp_range_prefix_length(&range)) >= 0 && len <= max_length;
}

/* "app=web,tier=db" (the value of labels= or selector=). */
static int parse_labels(run *r, const char *key, k8s_labels *out)
{
    memset(out, 0, sizeof *out);
    const char *text = arg(r, key);
    if (!text)
        return 0;
    char buf[512];
    copy_text(buf, sizeof buf, text);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item || out->n == K8S_MAX_LABELS)
            return fail(r, pos_of(r, key), "bad label '%s' (want key=value, at most %d)", item,
                        K8S_MAX_LABELS);
        *eq = 0;
        if (check_length(r, pos_of(r, key), "label", item) || check_length(r, pos_of(r, key), "label value", eq + 1))
            return -1;
        for (size_t i = 0; i < out->n; i++)
            if (!strcmp(out->items[i].key, item))
                return fail(r, pos_of(r, key), "label %s is given twice", item);
        copy_text(out->items[out->n].key, K8S_NAME, item);
        copy_text(out->items[out->n].value, K8S_NAME, eq + 1);
        out->n++;
    }
    return 0;
}

static int parse_protocol(const char *text, uint8_t *out)
{
    if (!text || !strcasecmp(text, "tcp"))
        *out = 6;
    else if (!strcasecmp(text, "udp"))
        *out = 17;
    else if (!strcasecmp(text, "icmp"))
        *out = 1;
    else
        return -1;
    return 0;
}

/* A port list "80/tcp,53/udp" or, for services, "80:8080/tcp" (port:target)
 * or, for hostPorts, "8081:80/tcp" (hostPort:containerPort). */
static int parse_ports(run *r, const char *key, k8s_port *ports, size_t *n, int kind)
{
    const char *text = arg(r, key);
    if (!text)
        return 0;
    char buf[512];
    copy_text(buf, sizeof buf, text);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (*n == K8S_MAX_PORTS)
            return fail(r, pos_of(r, key), "more than %d ports", K8S_MAX_PORTS);
        k8s_port p = {0};
        char *slash = strchr(item, '/');
        if (slash)
            *slash++ = 0;
        unsigned long a, b = 0;
        char *colon = strchr(item, ':');
        if (colon)
            *colon++ = 0;
        if (parse_uint(item, 65535, &a) < 0 || (colon && parse_uint(colon, 65535, &b) < 0) ||
            parse_protocol(slash, &p.protocol) < 0 || a == 0)
            return fail(r, pos_of(r, key), "bad port '%s' (want PORT[:PORT][/tcp|udp])", text);
        if (kind == 'h') { /* hostPort:containerPort */
            p.host_port = (uint16_t)a;
            p.port = (uint16_t)(colon ? b : a);
        } else {
            p.port = (uint16_t)a;
            p.target = (uint16_t)(colon ? b : a);
        }
        ports[(*n)++] = p;
    }
    return 0;
}

#define VAR_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

/* The value `as=name` stored for the name of len bytes at name, or NULL. */
static const char *var_value(const run *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->n_vars; i++)
        if (strlen(r->vars[i][0]) == len && !strncmp(r->vars[i][0], name, len))
            return r->vars[i][1];
    return NULL;
}

/* text with every `$name` replaced by what `as=name` stored (malloc'd), or
 * NULL with an error when a name was never stored. */
static char *expand(run *r, const char *text)
{
    size_t cap = strlen(text) + 1;
    for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$'))
        cap += sizeof r->vars[0][1];
    char *out = malloc(cap), *o = out;
    for (const char *p = text; out && *p;) {
        size_t len = *p == '$' ? strspn(p + 1, VAR_CHARS) : 0;
        const char *value = len ? var_value(r, p + 1, len) : NULL;
        if (len && !value) {
            fail(r, NULL, "$%.*s was never set (as=NAME on an hcn statement sets it)", (int)len, p + 1);
            free(out);
            return NULL;
        }
        if (value) {
            o += sprintf(o, "%s", value);
            p += len + 1;
        } else {
            *o++ = *p++;
        }
    }
    if (out)
        *o = 0;
    return out;
}

/* Stores an `as=name` result (a later one with the same name replaces it). */
static int set_var(run *r, const char *name, const char *value)
{
    size_t i = 0;
    while (i < r->n_vars && strcmp(r->vars[i][0], name))
        i++;
    if (strlen(value) >= sizeof r->vars[0][1])
        return fail(r, pos_of(r, "as"), "cannot keep $%s: the value has %zu bytes, at most %zu (use "
                                        "field=PATH to keep one field of a JSON result)",
                    name, strlen(value), sizeof r->vars[0][1] - 1);
    if (i == sizeof r->vars / sizeof r->vars[0] || strlen(name) >= sizeof r->vars[0][0] ||
        strspn(name, VAR_CHARS) != strlen(name))
        return fail(r, pos_of(r, "as"), "cannot keep $%s (at most %zu names of letters, digits, '_', '-')",
                    name, sizeof r->vars / sizeof r->vars[0]);
    copy_text(r->vars[i][0], sizeof r->vars[i][0], name);
    copy_text(r->vars[i][1], sizeof r->vars[i][1], value);
    if (i == r->n_vars)
        r->n_vars++;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Results
 */

static scn_result *add_result(run *r, int passed, const char *detail, const char *trace)
{
    scn_report *rep = r->report;
    scn_result *res = realloc(rep->results, (rep->n_results + 1) * sizeof *res);
    if (!res)
        return NULL;
    rep->results = res;
    res = &rep->results[rep->n_results++];
    memset(res, 0, sizeof *res);
    copy_text(res->file, sizeof res->file, r->st->pos.file);
    res->line = r->st->pos.line;
    res->col = r->st->pos.col;
    copy_text(res->text, sizeof res->text, r->st->verb);
    int used = (int)strlen(res->text);
    for (size_t i = 0; i < r->st->n_args && used < (int)sizeof res->text; i++) {
        const scn_arg *a = &r->st->args[i];
        used += snprintf(res->text + used, sizeof res->text - (size_t)used, " %s%s%s",
                         a->key ? a->key : "", a->key ? "=" : "", a->value);
    }
    res->passed = passed;
    res->detail = detail ? strdup(detail) : NULL;
    res->trace = trace ? strdup(trace) : NULL;
    res->at_ms = r->c ? r->c->now_ms : 0;
    if (passed)
        rep->passed++;
    else
        rep->failed++;
    return res;
}

static int need_cluster(run *r)
{
    return r->c ? 0 : fail(r, NULL, "'%s' before 'cluster'", r->st->verb);
}

/* The controllers react (k8s_reconcile), unless a batch holds the
 * changes back until its end. */
static int reconcile(run *r)
{
    if (!r->batch)
        k8s_reconcile(r->c);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Setup verbs
 */

/* The list KEY=udp/PORT,tcp/PORT,... (at most 8): add(ctx, protocol, port)
 * for each; 0, or -1 after an error naming the key. */
static int port_list(run *r, const char *key, int (*add)(void *, uint8_t, uint16_t), void *ctx)
{
    char list[128];
    copy_text(list, sizeof list, arg(r, key) ? arg(r, key) : "");
    for (char *save = NULL, *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        unsigned long port;
        int proto = !strncmp(it, "udp/", 4) ? 17 : !strncmp(it, "tcp/", 4) ? 6 : 0;
        if (!proto || parse_uint(it + 4, 65535, &port) < 0 || !port ||
            add(ctx, (uint8_t)proto, (uint16_t)port) != 0)
            return fail(r, pos_of(r, key), "%s=udp/PORT,tcp/PORT,... (at most 8)", key);
    }
    return 0;
}

static int reserve_host_port(void *cluster, uint8_t protocol, uint16_t port)
{
    return net_reserve_host_port(cluster, protocol, port);
}

static int exclude_snat_port(void *node, uint8_t protocol, uint16_t port)
{
    return net_node_exclude_snat_port(node, protocol, port);
}

static int do_cluster(run *r)
{
    if (r->c)
        return fail(r, NULL, "a second 'cluster'");
    const char *mode = arg(r, "mode");
    k8s_mode m = !mode || !strcmp(mode, "host-gw") || !strcmp(mode, "l2bridge") ? K8S_MODE_HOST_GW
                 : !strcmp(mode, "vxlan") || !strcmp(mode, "overlay")        ? K8S_MODE_VXLAN
                 : !strcmp(mode, "static")                                   ? K8S_MODE_STATIC
                 : !strcmp(mode, "nat")                                      ? K8S_MODE_NAT
                                                                             : 0;
    if (!m)
        return fail(r, pos_of(r, "mode"),
                    "mode must be host-gw (l2bridge), vxlan (overlay), static or nat");
    unsigned long vni = 4096, mtu = 1500;
    if ((arg(r, "vni") && parse_uint(arg(r, "vni"), 16777215, &vni) < 0) ||
        (arg(r, "mtu") && parse_uint(arg(r, "mtu"), 65535, &mtu) < 0))
        return fail(r, NULL, "bad vni= or mtu=");
    const char *pods = arg(r, "pod-cidr") ? arg(r, "pod-cidr") : "10.244.0.0/16";
    const char *svcs = arg(r, "service-cidr") ? arg(r, "service-cidr") : "10.96.0.0/12";
    const char *nodes = arg(r, "node-cidr") ? arg(r, "node-cidr") : "10.0.0.0/24";
    r->c = k8s_cluster_new(r->o->seed, m, (uint32_t)vni, pods, svcs, nodes);
    if (!r->c)
        return fail(r, NULL, "bad pod-cidr, service-cidr or node-cidr");
    net_set_underlay_mtu(r->c->net, (uint32_t)mtu);
    /* cloud-reserved-ports=udp/65330,...: ports the cloud keeps of the hosts (B3). */
    return port_list(r, "cloud-reserved-ports", reserve_host_port, r->c->net);
}

/* feature-gates=WinDSR=true,WinOverlay=false (kube-proxy's flag). */
static int parse_gates(run *r, k8s_kube_proxy_options *kp)
{
    const char *text = arg(r, "feature-gates");
    if (!text)
        return 0;
    char buf[256];
    copy_text(buf, sizeof buf, text);
    for (char *save = NULL, *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(it, '=');
        int *gate = !eq ? NULL : !strncmp(it, "WinDSR", (size_t)(eq - it)) && eq - it == 6 ? &kp->gate_win_dsr
                    : !strncmp(it, "WinOverlay", (size_t)(eq - it)) && eq - it == 10 ? &kp->gate_win_overlay
                                                                                      : NULL;
        if (!gate || (strcasecmp(eq + 1, "true") && strcasecmp(eq + 1, "false")))
            return fail(r, pos_of(r, "feature-gates"), "feature-gates=WinDSR=true|false,WinOverlay=true|false");
        *gate = !strcasecmp(eq + 1, "true") ? 1 : -1;
    }
    return 0;
}

static int do_node(run *r)
{
    const char *name = positional(r, 0), *os = need(r, "os"), *ip = need(r, "ip");
    if (need_cluster(r) || !name || !os || !ip)
        return name ? -1 : fail(r, NULL, "node needs a name");
    k8s_node spec = {0};
    copy_text(spec.name, sizeof spec.name, name);
    spec.windows = !strcasecmp(os, "windows");
    if (!spec.windows && strcasecmp(os, "linux"))
        return fail(r, pos_of(r, "os"), "os must be windows or linux");
    /* What HNS, the Windows CNI, kube-proxy winkernel or the policy agent
       take: a Linux node has none of them. */
    static const char *const windows_only[] = {
        "profile", "port-mappings", "outbound-nat-exceptions", "feature-gates", "flannel-bridge",
        "cni-del", "dns-config-delay", "dns-negative-cache", "management-ip-delay", "policy-agent",
        "dsr", "source-vip", "kube-proxy", "sync-period", "snat-range", "excluded-ports",
        "forward-healthcheck-vip", "root-hnsendpoint-name"};
    for (size_t i = 0; !spec.windows && i < sizeof windows_only / sizeof windows_only[0]; i++)
        if (scn_arg_named(r->st, windows_only[i]))
            return fail(r, pos_of(r, windows_only[i]), "%s= is for a Windows node (%s is os=linux)",
                        windows_only[i], name);
    copy_text(spec.ip, sizeof spec.ip, ip);
    copy_text(spec.pod_cidr, sizeof spec.pod_cidr, arg(r, "pod-cidr") ? arg(r, "pod-cidr") : "");
    copy_text(spec.profile, sizeof spec.profile, arg(r, "profile") ? arg(r, "profile") : "ws2022");
    if ((spec.cni_port_mappings = switch_arg(r, "port-mappings", 1)) < 0)
        return -1;
    /* outbound-nat-exceptions=CIDR,...|none: the CNI config's OutBoundNAT
     * ExceptionList (field-bugs B5); absent = cluster, service, node CIDRs. */
    const char *exceptions = arg(r, "outbound-nat-exceptions");
    if (exceptions) {
        char list[sizeof spec.cni_nat_exceptions];
        if (strlen(exceptions) >= sizeof list || !*exceptions)
            return fail(r, pos_of(r, "outbound-nat-exceptions"), "outbound-nat-exceptions=CIDR,...|none");
        copy_text(list, sizeof list, exceptions);
        for (char *save = NULL, *it = strtok_r(list, ",", &save); strcmp(exceptions, "none") && it;
             it = strtok_r(NULL, ",", &save)) {
            vfp_addr_range range;
            if (vfp_range_parse(it, &range) != 0 || vfp_range_prefix_length(&range) < 0)
                return fail(r, pos_of(r, "outbound-nat-exceptions"), "bad CIDR '%s' in outbound-nat-exceptions", it);
        }
        copy_text(spec.cni_nat_exceptions, sizeof spec.cni_nat_exceptions, exceptions);
    }
    if (parse_gates(r, &spec.kube_proxy) < 0)
        return -1;
    const char *bridge = arg(r, "flannel-bridge");
    if (bridge && strcmp(bridge, "recreate") && strcmp(bridge, "reuse"))
        return fail(r, pos_of(r, "flannel-bridge"), "flannel-bridge=reuse|recreate");
    spec.flannel_recreates_bridge = bridge && !strcmp(bridge, "recreate");
    const char *del = arg(r, "cni-del");
    if (del && strcmp(del, "strict") && strcmp(del, "tolerant"))
        return fail(r, pos_of(r, "cni-del"), "cni-del=tolerant|strict");
    spec.cni_del_strict = del && !strcmp(del, "strict");
    int64_t dns_delay = arg(r, "dns-config-delay") ? scn_parse_duration(arg(r, "dns-config-delay")) : 0;
    if (dns_delay < 0 || (dns_delay && !spec.windows))
        return fail(r, pos_of(r, "dns-config-delay"), "dns-config-delay=DURATION (e.g. 2s) on a Windows node");
    spec.dns_config_delay_ms = (uint64_t)dns_delay;
    int64_t negative = arg(r, "dns-negative-cache") ? scn_parse_duration(arg(r, "dns-negative-cache")) : 0;
    if (negative < 0 || (negative && !spec.windows))
        return fail(r, pos_of(r, "dns-negative-cache"),
                    "dns-negative-cache=DURATION (e.g. 15m) on a Windows node");
    spec.dns_negative_cache_ms = (uint64_t)negative;
    int64_t mgmt_delay = arg(r, "management-ip-delay") ? scn_parse_duration(arg(r, "management-ip-delay")) : 0;
    if (mgmt_delay < 0)
        return fail(r, pos_of(r, "management-ip-delay"), "management-ip-delay=DURATION (e.g. 8s)");
    spec.management_ip_delay_ms = (uint64_t)mgmt_delay;
    const char *agent = arg(r, "policy-agent");
    if (agent && strcmp(agent, "calico") && strcmp(agent, "none"))
        return fail(r, pos_of(r, "policy-agent"), "policy-agent=calico|none");
    spec.policy_agent = agent && !strcmp(agent, "calico");
    if ((spec.kube_proxy.dsr = switch_arg(r, "dsr", 0)) < 0)
        return -1;
    if ((spec.kube_proxy.forward_healthcheck_vip = switch_arg(r, "forward-healthcheck-vip", 0)) < 0)
        return -1;
    if (arg(r, "root-hnsendpoint-name") && check_length(r, pos_of(r, "root-hnsendpoint-name"),
                                                        "root-hnsendpoint-name", arg(r, "root-hnsendpoint-name")))
        return -1;
    copy_text(spec.kube_proxy.root_hns_endpoint, sizeof spec.kube_proxy.root_hns_endpoint,
              arg(r, "root-hnsendpoint-name"));
    const char *source_vip = arg(r, "source-vip");
    spec.kube_proxy.no_source_vip = source_vip && !strcmp(source_vip, "none");
    copy_text(spec.kube_proxy.source_vip, K8S_ADDR,
              source_vip && !spec.kube_proxy.no_source_vip ? source_vip : "");
    const char *kp = arg(r, "kube-proxy");
    unsigned long minor = 0;
    if (kp && (strncmp(kp, "1.", 2) || parse_uint(kp + 2, 99, &minor) < 0 || minor < 14))
        return fail(r, pos_of(r, "kube-proxy"), "kube-proxy=1.<minor>, from 1.14 (winkernel's first)");
    spec.kube_proxy.minor_version = (int)minor;
    int64_t period = arg(r, "sync-period") ? scn_parse_duration(arg(r, "sync-period")) : 30000;
    if (period < 1000)
        return fail(r, pos_of(r, "sync-period"), "sync-period must be a duration of at least 1s");
    spec.kube_proxy.sync_period = (int)(period / 1000);
    if (!valid_cidr(spec.pod_cidr, 30))
        return fail(r, pos_of(r, "pod-cidr"), "node needs pod-cidr=CIDR (an IPv4 prefix of /30 or wider)");
    if (check_length(r, NULL, "node name", name))
        return -1;
    vfp_addr node_ip;
    if (vfp_addr_parse(spec.ip, &node_ip) || !cidr_holds(r->c->node_cidr, &node_ip))
        return fail(r, pos_of(r, "ip"), "ip= must be an address of the node CIDR %s", r->c->node_cidr);
    for (size_t i = 0; i < r->c->n_nodes; i++) {
        if (!strcmp(r->c->nodes[i].name, name))
            return fail(r, pos_of_value(r, name), "there is a node %s already", name);
        if (!strcmp(r->c->nodes[i].ip, spec.ip))
            return fail(r, pos_of(r, "ip"), "node %s has %s already", r->c->nodes[i].name, spec.ip);
    }
    k8s_node *n = k8s_add_node(r->c, &spec);
    if (!n)
        return fail(r, NULL, "cannot add node %s (bad profile?)", name);
    const char *range = arg(r, "snat-range");
    if (range) {
        char lo_text[16] = "", *dash = strchr(range, '-');
        unsigned long lo, hi;
        if (dash && (size_t)(dash - range) < sizeof lo_text)
            memcpy(lo_text, range, (size_t)(dash - range));
        if (!spec.windows || !dash || parse_uint(lo_text, 65535, &lo) || parse_uint(dash + 1, 65535, &hi) ||
            net_node_set_snat_range(n->net, (uint16_t)lo, (uint16_t)hi))
            return fail(r, pos_of(r, "snat-range"), "snat-range=LO-HI (ports, LO <= HI) on a Windows node");
    }
    /* excluded-ports=udp/65330,...: kept out of the SNAT range (B3's fix). */
    if (arg(r, "excluded-ports") && !spec.windows)
        return fail(r, pos_of(r, "excluded-ports"), "excluded-ports= is for a Windows node");
    if (port_list(r, "excluded-ports", exclude_snat_port, n->net) < 0)
        return -1;
    return reconcile(r);
}

/* route NODE CIDR [via=ADDR]: a static route in the node's host routing
 * table (wincni-style clusters; the table of host-gw and vxlan clusters is
 * flannel's and rewritten at every sync). */
static int do_route(run *r)
{
    k8s_node *n = r->c ? k8s_node_named(r->c, positional(r, 0)) : NULL;
    const char *cidr = positional(r, 1);
    if (need_cluster(r) || !n || !cidr)
        return r->c ? fail(r, NULL, "route NODE CIDR [via=ADDR]") : -1;
    if (r->c->mode != K8S_MODE_STATIC)
        return fail(r, NULL, "route is for mode=static (flannel owns the routes of host-gw and vxlan)");
    if (net_node_add_route(n->net, cidr, arg(r, "via")))
        return fail(r, NULL, "bad route %s via %s", cidr, arg(r, "via") ? arg(r, "via") : "on-link");
    return 0;
}

static int do_external(run *r)
{
    const char *name = positional(r, 0), *ip = need(r, "ip");
    if (need_cluster(r) || !name || !ip)
        return name ? -1 : fail(r, NULL, "external needs a name");
    return net_add_external(r->c->net, name, ip) ? fail(r, pos_of(r, "ip"), "bad address") : 0;
}

/* Fills a pod spec from the statement (labels, ports, hostport). */
static int pod_spec(run *r, k8s_pod *p, const char *name, const char *node)
{
    if (check_length(r, NULL, "pod name", name) || check_length(r, pos_of(r, "node"), "node name", node) ||
        (arg(r, "ns") && check_length(r, pos_of(r, "ns"), "namespace", arg(r, "ns"))))
        return -1;
    memset(p, 0, sizeof *p);
    copy_text(p->name, sizeof p->name, name);
    copy_text(p->ns, sizeof p->ns, arg(r, "ns") ? arg(r, "ns") : "default");
    copy_text(p->node, sizeof p->node, node);
    if (parse_labels(r, "labels", &p->labels) || parse_ports(r, "ports", p->ports, &p->n_ports, 'p') ||
        parse_ports(r, "hostport", p->ports, &p->n_ports, 'h'))
        return -1;
    return 0;
}

static int do_pod(run *r)
{
    const char *name = positional(r, 0), *node = need(r, "node");
    if (need_cluster(r) || !name || !node)
        return name ? -1 : fail(r, NULL, "pod needs a name");
    k8s_pod spec;
    if (pod_spec(r, &spec, name, node))
        return -1;
    if (!k8s_add_pod(r->c, &spec))
        return fail(r, NULL, "cannot add pod %s (duplicate, or no node %s)", name, node);
    return reconcile(r);
}

/* The nodes a deployment spreads over: nodes= or every node. */
static size_t deployment_nodes(run *r, char names[][K8S_NAME], size_t max)
{
    size_t n = 0;
    const char *list = arg(r, "nodes");
    if (list) {
        char buf[512];
        copy_text(buf, sizeof buf, list);
        for (char *save = NULL, *it = strtok_r(buf, ",", &save); it && n < max; it = strtok_r(NULL, ",", &save))
            copy_text(names[n++], K8S_NAME, it);
    } else {
        for (size_t i = 0; i < r->c->n_nodes && n < max; i++)
            if (!arg(r, "os") || (r->c->nodes[i].windows == !strcasecmp(arg(r, "os"), "windows")))
                /* os= was checked by do_deployment */
                copy_text(names[n++], K8S_NAME, r->c->nodes[i].name);
    }
    return n;
}

/* The declared deployment name in namespace ns, deleted or not, or NULL. */
static struct deployment *find_deployment(run *r, const char *name, const char *ns)
{
    for (size_t i = 0; i < r->n_deployments; i++)
        if (!strcmp(r->deployments[i].model.deployment, name) && !strcmp(r->deployments[i].model.ns, ns))
            return &r->deployments[i];
    return NULL;
}

static int do_deployment(run *r)
{
    const char *name = positional(r, 0);
    unsigned long replicas = 1;
    if (need_cluster(r) || !name)
        return name ? -1 : fail(r, NULL, "deployment needs a name");
    if (arg(r, "replicas") && parse_uint(arg(r, "replicas"), 10000, &replicas) < 0)
        return fail(r, pos_of(r, "replicas"), "bad replicas");
    if (arg(r, "os") && strcasecmp(arg(r, "os"), "windows") && strcasecmp(arg(r, "os"), "linux"))
        return fail(r, pos_of(r, "os"), "os must be windows or linux");
    if (arg(r, "os") && arg(r, "nodes"))
        return fail(r, pos_of(r, "os"), "deployment takes nodes= or os=, not both");
    char nodes[64][K8S_NAME];
    size_t n_nodes = deployment_nodes(r, nodes, 64);
    if (!n_nodes)
        return fail(r, NULL, "no node to place deployment %s on", name);
    for (size_t i = 0; i < n_nodes; i++)
        if (!k8s_node_named(r->c, nodes[i]))
            return fail(r, pos_of(r, "nodes"), "no node %s", nodes[i]);
    /* One spec for every replica, read even for replicas=0. */
    k8s_pod model;
    if (pod_spec(r, &model, name, nodes[0]))
        return -1;
    copy_text(model.deployment, sizeof model.deployment, name);
    struct deployment *d = find_deployment(r, name, model.ns);
    if (d && d->live)
        return fail(r, pos_of_value(r, name), "there is a deployment %s already", name);
    for (unsigned long i = 0; i < replicas; i++) {
        k8s_pod spec = model;
        snprintf(spec.name, sizeof spec.name, "%s-%lu", name, i);
        if (k8s_pod_named(r->c, spec.ns, spec.name)) /* a pod of the deleted one still terminates */
            snprintf(spec.name, sizeof spec.name, "%s-%zu", name, r->c->n_pods);
        copy_text(spec.node, sizeof spec.node, nodes[i % n_nodes]);
        if (check_length(r, pos_of(r, "nodes"), "node name", spec.node))
            return -1;
        if (!k8s_add_pod(r->c, &spec))
            return fail(r, NULL, "cannot add pod %s", spec.name);
    }
    if (!d) {
        struct deployment *grown = realloc(r->deployments, (r->n_deployments + 1) * sizeof *grown);
        if (!grown)
            return fail(r, NULL, "out of memory");
        r->deployments = grown;
        d = &r->deployments[r->n_deployments++];
    }
    d->model = model;
    d->live = 1;
    d->n_nodes = arg(r, "nodes") ? n_nodes : 0;
    memcpy(d->nodes, nodes, n_nodes * sizeof nodes[0]);
    return reconcile(r);
}

/* policy NAME [ns=NS] {NetworkPolicy spec JSON} */
static int do_policy(run *r)
{
    const char *name = positional(r, 0);
    if (need_cluster(r) || !name)
        return name ? -1 : fail(r, NULL, "policy needs a name");
    r->json_read = 1;
    if (!r->st->json)
        return fail(r, NULL, "policy %s needs its spec as JSON ({\"podSelector\": ...})", name);
    const char *bad = NULL;
    cJSON *spec = cJSON_ParseWithOpts(r->st->json, &bad, 1);
    bool object = cJSON_IsObject(spec);
    cJSON_Delete(spec);
    if (!object) {
        scn_pos at = scn_json_pos(r->st, bad ? (size_t)(bad - r->st->json) : 0);
        return fail(r, &at, "policy %s: the spec is not a JSON object%s", name, bad ? " (syntax error here)" : "");
    }
    if (!k8s_add_policy(r->c, arg(r, "ns"), name, r->st->json))
        return fail(r, NULL, "cannot add policy %s (a policy of that name exists)", name);
    return reconcile(r);
}

/* 1 when a live service already uses node port. */
static bool node_port_taken(const k8s_cluster *c, uint16_t port)
{
    for (size_t i = 0; i < c->n_services; i++) {
        if (c->services[i].deleted)
            continue;
        if (c->services[i].health_check_node_port == port)
            return true;
        for (size_t j = 0; j < c->services[i].n_ports; j++)
            if (c->services[i].ports[j].node_port == port)
                return true;
    }
    return false;
}


/* The first port from `from` on, wrapping within the default NodePort range
 * 30000-32767, that no service holds and new service s has not taken; 0
 * when there is none. */
static uint16_t free_node_port(const k8s_cluster *c, const k8s_service *s, unsigned from)
{
    enum { LO = 30000, SPAN = 32768 - 30000 };
    unsigned start = from >= LO && from < LO + SPAN ? from - LO : 0;
    for (unsigned k = 0; k < SPAN; k++) {
        uint16_t port = (uint16_t)(LO + (start + k) % SPAN);
        bool mine = s->health_check_node_port == port;
        for (size_t i = 0; i < s->n_ports && !mine; i++)
            mine = s->ports[i].node_port == port;
        if (!mine && !node_port_taken(c, port))
            return port;
    }
    return 0;
}

static int do_service(run *r)
{
    const char *name = positional(r, 0);
    if (need_cluster(r) || !name)
        return name ? -1 : fail(r, NULL, "service needs a name");
    if (check_length(r, NULL, "service name", name))
        return -1;
    k8s_service s = {0};
    copy_text(s.name, sizeof s.name, name);
    copy_text(s.ns, sizeof s.ns, arg(r, "ns") ? arg(r, "ns") : "default");
    const char *type = arg(r, "type");
    s.type = !type || !strcasecmp(type, "ClusterIP") ? K8S_SVC_CLUSTER_IP
             : !strcasecmp(type, "NodePort")         ? K8S_SVC_NODE_PORT
             : !strcasecmp(type, "LoadBalancer")     ? K8S_SVC_LOAD_BALANCER
                                                     : 0;
    if (!s.type)
        return fail(r, pos_of(r, "type"), "type must be ClusterIP, NodePort or LoadBalancer");
    if (parse_labels(r, "selector", &s.selector) || parse_ports(r, "ports", s.ports, &s.n_ports, 's'))
        return -1;
    if (!s.n_ports)
        return fail(r, NULL, "service needs ports=");
    unsigned long np = 0;
    if (arg(r, "nodeport") && s.type == K8S_SVC_CLUSTER_IP)
        return fail(r, pos_of(r, "nodeport"), "nodeport= is for type=NodePort or LoadBalancer");
    if (arg(r, "nodeport") && parse_uint(arg(r, "nodeport"), 65535, &np) < 0)
        return fail(r, pos_of(r, "nodeport"), "bad nodeport");
    for (size_t i = 0; i < s.n_ports && s.type != K8S_SVC_CLUSTER_IP; i++) {
        if (np) { /* given: NODEPORT, NODEPORT+1, ... must be free */
            if (np + i > 65535 || node_port_taken(r->c, (uint16_t)(np + i)))
                return fail(r, pos_of(r, "nodeport"), "nodePort %lu is taken or out of range", np + i);
            s.ports[i].node_port = (uint16_t)(np + i);
        } else if (!(s.ports[i].node_port = free_node_port(r->c, &s, 30000 + r->c->n_services * 10))) {
            return fail(r, NULL, "no free nodePort for service %s", name);
        }
    }
    if (arg(r, "external-ip")) {
        vfp_addr a;
        if (vfp_addr_parse(arg(r, "external-ip"), &a))
            return fail(r, pos_of(r, "external-ip"), "external-ip= must be an address");
        copy_text(s.external_ips[s.n_external_ips++], K8S_ADDR, arg(r, "external-ip"));
    }
    if (arg(r, "ip")) {
        vfp_addr a;
        if (vfp_addr_parse(arg(r, "ip"), &a) || !cidr_holds(r->c->service_cidr, &a))
            return fail(r, pos_of(r, "ip"), "ip= must be an address of the service CIDR %s", r->c->service_cidr);
    }
    copy_text(s.cluster_ip, sizeof s.cluster_ip, arg(r, "ip") ? arg(r, "ip") : "");
    static const char *const affinity[] = {"None", "ClientIP", NULL},
                             *const policy[] = {"Cluster", "Local", NULL};
    if ((s.session_affinity = choice_arg(r, "affinity", affinity, 0)) < 0 ||
        (s.etp_local = choice_arg(r, "etp", policy, 0)) < 0 ||
        (s.itp_local = choice_arg(r, "itp", policy, 0)) < 0)
        return -1;
    if (s.type == K8S_SVC_LOAD_BALANCER && s.etp_local) {
        /* The API server gives such a service a healthCheckNodePort: the
           next free port after its node ports. */
        unsigned last = s.n_ports ? s.ports[s.n_ports - 1].node_port : 30000u;
        if (!(s.health_check_node_port = free_node_port(r->c, &s, last + 1)))
            return fail(r, NULL, "no free port for the healthCheckNodePort of %s", name);
    }
    if (!k8s_add_service(r->c, &s))
        return fail(r, NULL, "cannot add service %s", name);
    return reconcile(r);
}

/* ---------------------------------------------------------------------------
 * Time and changes
 */

/* Moves the clock to t; the controllers run at every time one of them has
 * something scheduled on the way (k8s_advance), then at t. */
static int advance_to(run *r, uint64_t t)
{
    if (t < r->c->now_ms)
        return fail(r, NULL, "time goes backwards (now %llu ms)", (unsigned long long)r->c->now_ms);
    if (r->batch) { /* a batch reconciles once, at its end */
        k8s_set_clock(r->c, t);
        return 0;
    }
    k8s_advance(r->c, t);
    return 0;
}

static int do_at(run *r)
{
    int64_t t = scn_parse_duration(positional(r, 0));
    if (need_cluster(r) || t < 0)
        return t < 0 ? fail(r, NULL, "at needs a time (e.g. 30s)") : -1;
    return advance_to(r, (uint64_t)t);
}

static int do_advance(run *r)
{
    int64_t d = scn_parse_duration(positional(r, 0));
    if (need_cluster(r) || d < 0)
        return d < 0 ? fail(r, NULL, "advance needs a duration (e.g. 5s)") : -1;
    return advance_to(r, r->c->now_ms + (uint64_t)d);
}

static k8s_pod *named_pod(run *r, const char *name)
{
    if (need_cluster(r))
        return NULL;
    k8s_pod *p = k8s_pod_named(r->c, arg(r, "ns") ? arg(r, "ns") : "default", name);
    if (!p)
        fail(r, pos_of_value(r, name), "no pod %s", name ? name : "(none)");
    return p;
}

/* Marks p deleted (TERMINATING). grace_ms > 0: its containers run on for
 * that long (terminationGracePeriodSeconds / preStop), so it stays a
 * terminating, serving endpoint and CNI DEL waits (cni.c). */
static void terminate(run *r, k8s_pod *p, uint64_t grace_ms)
{
    p->phase = K8S_POD_TERMINATING;
    p->delete_after_ms = grace_ms ? r->c->now_ms + grace_ms : 0;
}

/* The grace= of a statement in ms (0 when absent); -1 when bad. */
static int64_t grace_of(run *r)
{
    const char *g = arg(r, "grace");
    int64_t ms = g ? scn_parse_duration(g) : 0;
    if (ms < 0)
        fail(r, pos_of(r, "grace"), "grace=DURATION expected (e.g. 30s)");
    return ms;
}

/* Whether p belongs to deployment name in the statement's namespace (ns=,
 * default "default"). */
static bool of_deployment(run *r, const k8s_pod *p, const char *name)
{
    const char *ns = arg(r, "ns") ? arg(r, "ns") : "default";
    return !strcmp(p->deployment, name) && !strcmp(p->ns, ns);
}

static int do_scale(run *r)
{
    const char *name = positional(r, 0);
    unsigned long want;
    if (need_cluster(r) || !name || parse_uint(positional(r, 1), 10000, &want) < 0)
        return r->c ? fail(r, NULL, "scale DEPLOYMENT N [ns=NS] [grace=DURATION]") : -1;
    int64_t grace = grace_of(r);
    if (grace < 0)
        return -1;
    struct deployment *d = find_deployment(r, name, arg(r, "ns") ? arg(r, "ns") : "default");
    if (!d || !d->live)
        return fail(r, pos_of_value(r, name), "no deployment %s", name);
    size_t have = 0;
    for (size_t i = 0; i < r->c->n_pods; i++) {
        k8s_pod *p = &r->c->pods[i];
        if (!of_deployment(r, p, name) || p->phase == K8S_POD_GONE || p->phase == K8S_POD_TERMINATING)
            continue;
        if (have++ >= want)
            terminate(r, p, (uint64_t)grace);
    }
    /* New replicas copy the deployment's spec, on nodes in turn. */
    k8s_pod spec = d->model;
    /* The deployment's nodes: ready ones of the OS its first pod runs on,
     * taken in turn after the replicas it has. */
    const k8s_node *home = k8s_node_named(r->c, spec.node);
    size_t candidates[256], n_candidates = 0;
    for (size_t i = 0; i < r->c->n_nodes && n_candidates < 256; i++) {
        bool listed = !d->n_nodes; /* nodes= keeps it to those nodes */
        for (size_t j = 0; j < d->n_nodes && !listed; j++)
            listed = !strcmp(d->nodes[j], r->c->nodes[i].name);
        if (listed && r->c->nodes[i].ready && (!home || r->c->nodes[i].windows == home->windows))
            candidates[n_candidates++] = i;
    }
    if (!n_candidates && have < want)
        return fail(r, NULL, "no ready node for deployment %s", name);
    for (size_t k = 0; have < want; k++) {
        char pod[2 * K8S_NAME];
        snprintf(pod, sizeof pod, "%s-%zu", name, r->c->n_pods);
        copy_text(spec.name, sizeof spec.name, pod);
        copy_text(spec.node, sizeof spec.node, r->c->nodes[candidates[have % n_candidates]].name);
        if (!k8s_add_pod(r->c, &spec))
            return fail(r, NULL, "cannot add pod %s", pod);
        have++;
    }
    return reconcile(r);
}

static int do_delete(run *r)
{
    const char *what = positional(r, 0), *name = positional(r, 1);
    if (need_cluster(r) || !what || !name)
        return r->c ? fail(r, NULL, "delete pod|service|deployment|policy NAME") : -1;
    const char *ns = arg(r, "ns") ? arg(r, "ns") : "default";
    bool graceful = !strcmp(what, "pod") || !strcmp(what, "deployment"); /* grace= is a pod's */
    int64_t grace = graceful ? grace_of(r) : 0;
    if (grace < 0)
        return -1;
    if (!strcmp(what, "pod")) {
        k8s_pod *p = named_pod(r, name);
        if (!p)
            return -1;
        terminate(r, p, (uint64_t)grace);
    } else if (!strcmp(what, "service")) {
        k8s_service *s = k8s_service_named(r->c, ns, name);
        if (!s)
            return fail(r, NULL, "no service %s", name);
        s->deleted = 1;
    } else if (!strcmp(what, "policy")) {
        size_t i = 0;
        while (i < r->c->n_policies && (r->c->policies[i].deleted || strcmp(r->c->policies[i].name, name) ||
                                        strcmp(r->c->policies[i].ns, ns)))
            i++;
        if (i == r->c->n_policies)
            return fail(r, NULL, "no policy %s", name);
        r->c->policies[i].deleted = 1;
    } else if (!strcmp(what, "deployment")) {
        size_t found = 0;
        for (size_t i = 0; i < r->c->n_pods; i++)
            if (of_deployment(r, &r->c->pods[i], name) && r->c->pods[i].phase != K8S_POD_GONE &&
                r->c->pods[i].phase != K8S_POD_TERMINATING) {
                terminate(r, &r->c->pods[i], (uint64_t)grace);
                found++;
            }
        struct deployment *d = find_deployment(r, name, ns);
        if (!d || !d->live)
            return fail(r, pos_of_value(r, name), "no deployment %s", name);
        d->live = 0;
        (void)found;
    } else {
        return fail(r, NULL, "delete pod|service|deployment|policy NAME");
    }
    return reconcile(r);
}

/* namespace NAME labels=k=v,...: labels the namespace (kubectl label
 * namespace --overwrite: added, or replacing the value of a key it has),
 * for namespaceSelector peers of network policies. */
static int do_namespace(run *r)
{
    const char *name = positional(r, 0);
    if (need_cluster(r) || !name)
        return r->c ? fail(r, NULL, "namespace NAME labels=k=v,...") : -1;
    if (check_length(r, pos_of_value(r, name), "namespace", name))
        return -1;
    k8s_labels labels = {0};
    if (!arg(r, "labels"))
        return fail(r, NULL, "namespace %s needs labels=k=v,...", name);
    if (parse_labels(r, "labels", &labels))
        return -1;
    int rc = k8s_set_namespace_labels(r->c, name, &labels);
    if (rc == -2)
        return fail(r, pos_of(r, "labels"), "namespace %s would have more than %d labels "
                                            "(kubernetes.io/metadata.name is one)", name, K8S_MAX_LABELS);
    if (rc < 0)
        return fail(r, NULL, "out of memory");
    return reconcile(r);
}

static int do_ready(run *r)
{
    k8s_pod *p = named_pod(r, positional(r, 0));
    if (!p)
        return -1;
    const char *v = positional(r, 1);
    int ready = v ? switch_value(v) : 1;
    if (ready < 0)
        return fail(r, NULL, "ready POD yes|no");
    p->ready = ready;
    return reconcile(r);
}

static int probe(run *r, const char *from, const char *to, int *reached, net_reason *why,
                 char **trace);

/* flush-dns POD: ipconfig /flushdns in the pod - its DNS client forgets
 * what it holds (the negative cache of old builds, field-bugs H1). */
static int do_flush_dns(run *r)
{
    k8s_pod *p = named_pod(r, positional(r, 0));
    if (!p)
        return -1;
    k8s_pod_dns_flush(p);
    return 0;
}

/* A new replica of deployment pod `old` named NAME-<n> on the same node. */
/* Whether p belongs to a deployment that is not deleted: only those
 * replace their pods. */
static bool has_live_owner(run *r, const k8s_pod *p)
{
    const struct deployment *d = p->deployment[0] ? find_deployment(r, p->deployment, p->ns) : NULL;
    return d && d->live;
}

static k8s_pod *replace_pod(run *r, size_t old_index)
{
    k8s_pod spec = r->c->pods[old_index];
    char name[2 * K8S_NAME];
    snprintf(name, sizeof name, "%s-%zu", spec.deployment, r->c->n_pods);
    copy_text(spec.name, sizeof spec.name, name);
    return k8s_add_pod(r->c, &spec);
}

/* crash POD: the pod fails its health check (not ready, no longer a
 * backend); its deployment replaces it with a new pod and the crashed one
 * is deleted - the health-based replacement of a Deployment. */
static int do_crash(run *r)
{
    k8s_pod *p = named_pod(r, positional(r, 0));
    if (!p)
        return -1;
    p->ready = 0;
    size_t index = (size_t)(p - r->c->pods);
    reconcile(r);
    if (has_live_owner(r, &r->c->pods[index]) && r->c->pods[index].phase != K8S_POD_TERMINATING) {
        if (!replace_pod(r, index))
            return fail(r, NULL, "cannot replace pod %s", r->c->pods[index].name);
        terminate(r, &r->c->pods[index], 0);
    }
    return reconcile(r);
}

/* rollout DEPLOYMENT [probe=FROM] [to=SERVICE[:PORT/PROTO]]: a rolling
 * update with maxSurge 1 and maxUnavailable 0 - for each old pod, start a
 * new one and wait for it, take the old one out of the service (not
 * ready), then delete it. With probe= and to=, the service is probed after
 * every step and the rollout is an expectation: zero downtime. */
static int do_rollout(run *r)
{
    const char *name = positional(r, 0), *from = arg(r, "probe"), *to = arg(r, "to");
    if (need_cluster(r) || !name || (!from != !to))
        return r->c ? fail(r, NULL, "rollout DEPLOYMENT [ns=NS] [probe=FROM to=SERVICE]") : -1;
    size_t olds[256], n_old = 0, steps = 0, failed = 0;
    for (size_t i = 0; i < r->c->n_pods && n_old < 256; i++)
        if (of_deployment(r, &r->c->pods[i], name) && r->c->pods[i].phase == K8S_POD_RUNNING)
            olds[n_old++] = i;
    if (!n_old)
        return fail(r, NULL, "deployment %s has no running pod", name);
    char detail[1024] = "";
    size_t used = 0;
    for (size_t k = 0; k < n_old; k++) {
        for (int stage = 0; stage < 3; stage++) {
            if (stage == 0 && !replace_pod(r, olds[k]))
                return fail(r, NULL, "cannot start a new pod of %s", name);
            if (stage == 1)
                r->c->pods[olds[k]].ready = 0;
            if (stage == 2)
                terminate(r, &r->c->pods[olds[k]], 0);
            reconcile(r);
            if (!from)
                continue;
            int reached;
            net_reason why;
            char *trace = NULL;
            if (probe(r, from, to, &reached, &why, &trace))
                return -1;
            free(trace);
            steps++;
            if (!reached) {
                failed++;
                used += (size_t)snprintf(detail + used, used < sizeof detail ? sizeof detail - used : 0,
                                         "%s%s: %s", failed > 1 ? "; " : "",
                                         stage == 0 ? "new pod started" : stage == 1 ? "old pod not ready" : "old pod deleted",
                                         net_reason_name(why));
            }
        }
    }
    if (from) {
        char summary[1200];
        snprintf(summary, sizeof summary, "%zu of %zu probes during the rollout failed%s%s", failed, steps,
                 failed ? ": " : "", failed ? detail : "");
        add_result(r, failed == 0, summary, NULL);
    }
    return 0;
}

static int do_drain(run *r)
{
    if (need_cluster(r))
        return -1;
    k8s_node *n = k8s_node_named(r->c, positional(r, 0));
    if (!n)
        return fail(r, NULL, "no node %s", positional(r, 0) ? positional(r, 0) : "");
    n->ready = 0;
    size_t moved = 0, n_pods = r->c->n_pods;
    for (size_t i = 0; i < n_pods; i++) {
        k8s_pod *p = &r->c->pods[i];
        if (strcmp(p->node, n->name) || p->phase == K8S_POD_GONE)
            continue;
        bool replaced = p->phase != K8S_POD_TERMINATING && has_live_owner(r, p);
        terminate(r, p, 0);
        if (!replaced) /* no owner, a deleted one, or already on its way out */
            continue;
        /* The deployment replaces it on another ready node of its nodes=. */
        const struct deployment *d = find_deployment(r, p->deployment, p->ns);
        for (size_t j = 0; j < r->c->n_nodes; j++) {
            const k8s_node *other = &r->c->nodes[(i + j) % r->c->n_nodes];
            bool listed = !d->n_nodes;
            for (size_t k = 0; k < d->n_nodes && !listed; k++)
                listed = !strcmp(d->nodes[k], other->name);
            if (!listed || !other->ready || other->windows != n->windows)
                continue;
            k8s_pod spec = r->c->pods[i];
            char name[2 * K8S_NAME];
            snprintf(name, sizeof name, "%s-r%zu", p->deployment, r->c->n_pods + moved++);
            copy_text(spec.name, sizeof spec.name, name);
            copy_text(spec.node, sizeof spec.node, other->name);
            k8s_add_pod(r->c, &spec);
            break;
        }
    }
    return reconcile(r);
}

/* ---------------------------------------------------------------------------
 * Faults and raw HCN
 */

static const struct {
    const char *name;
    hnsm_kind kind;
    hcnc_kind client;
} kinds[] = {
    {"network", HNSM_NETWORK, HCNC_NETWORK},     {"endpoint", HNSM_ENDPOINT, HCNC_ENDPOINT},
    {"namespace", HNSM_NAMESPACE, HCNC_NAMESPACE}, {"loadbalancer", HNSM_LOADBALANCER, HCNC_LOADBALANCER},
    {"sdnroute", HNSM_SDNROUTE, 0},
};

static int kind_of(const char *name)
{
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcasecmp(name, kinds[i].name) || (!strncasecmp(name, kinds[i].name, strlen(kinds[i].name)) &&
                                                 !strcasecmp(name + strlen(kinds[i].name), "s")))
            return (int)i;
    return -1;
}

static k8s_node *windows_node(run *r, const char *name)
{
    k8s_node *n = r->c ? k8s_node_named(r->c, name) : NULL;
    if (n && !n->windows)
        fail(r, pos_of_value(r, name), "%s is a Linux node: this needs a Windows node (HNS)", name);
    else if (!n)
        fail(r, pos_of_value(r, name), "no Windows node %s", name ? name : "(none)");
    return n && n->windows ? n : NULL;
}

/* The IDs of kind on node n whose rendered JSON contains every key=value
 * the statement gives among name=, vip=, ip= (as "Name", FrontendVIPs,
 * IpAddress). Writes up to max IDs and returns how many matched. */
/* 1 when item (a string, or an array of strings, or an array of objects
 * with key) holds value. */
static bool holds(const cJSON *item, const char *key, const char *value)
{
    if (cJSON_IsString(item))
        return !strcmp(item->valuestring, value);
    const cJSON *e;
    cJSON_ArrayForEach(e, item)
    {
        if (holds(key && cJSON_IsObject(e) ? cJSON_GetObjectItem(e, key) : e, NULL, value))
            return true;
    }
    return false;
}

/* The first value at FIELD of doc that equals value (NULL: the first
 * string or number there), or NULL. FIELD names a nested member with dots
 * ("PortMappings.0.Flags" picks the first element of an array,
 * "Policies.*.Type" tries every element). */
static const cJSON *field_find(const cJSON *doc, const char *path, const char *value)
{
    if (!doc)
        return NULL;
    if (*path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        const char *rest = dot ? dot + 1 : "";
        char part[128];
        if (len >= sizeof part)
            return NULL;
        memcpy(part, path, len);
        part[len] = 0;
        if (cJSON_IsArray(doc) && !strcmp(part, "*")) {
            const cJSON *e, *found = NULL;
            cJSON_ArrayForEach(e, doc)
                if (!found)
                    found = field_find(e, rest, value);
            return found;
        }
        return field_find(cJSON_IsArray(doc) ? cJSON_GetArrayItem(doc, atoi(part))
                                             : cJSON_GetObjectItem(doc, part),
                          rest, value);
    }
    if (!value)
        return cJSON_IsString(doc) || cJSON_IsNumber(doc) ? doc : NULL;
    if (cJSON_IsNumber(doc)) {
        char *end;
        double v = strtod(value, &end);
        return !*end && v == doc->valuedouble ? doc : NULL;
    }
    if (cJSON_IsBool(doc))
        return !strcmp(value, cJSON_IsTrue(doc) ? "true" : "false") ? doc : NULL;
    return cJSON_IsString(doc) && !strcmp(doc->valuestring, value) ? doc : NULL;
}

/* What a statement asks of HNS objects: name= (Name), vip= (FrontendVIPs),
 * ip= (IpConfigurations[].IpAddress) and where=FIELD=VALUE (any field, as
 * field_find reads it, $VARs expanded). NULL = any. */
typedef struct object_filter {
    const char *name, *vip, *ip, *where;
} object_filter;

/* Whether an HNS object document passes filter f. */
static bool object_matches(const cJSON *doc, const object_filter *f)
{
    const char *name = f->name, *vip = f->vip, *ip = f->ip, *where = f->where;
    const char *eq = where ? strchr(where, '=') : NULL;
    char field[128] = "";
    if (eq && (size_t)(eq - where) < sizeof field)
        memcpy(field, where, (size_t)(eq - where));
    return doc && (!name || holds(cJSON_GetObjectItem(doc, "Name"), NULL, name)) &&
           (!vip || holds(cJSON_GetObjectItem(doc, "FrontendVIPs"), NULL, vip)) &&
           (!ip || holds(cJSON_GetObjectItem(doc, "IpConfigurations"), "IpAddress", ip)) &&
           (!where || (eq && field_find(doc, field, eq + 1)));
}

static size_t find_objects(run *r, k8s_node *n, int k, char ids[][K8S_ADDR], size_t max)
{
    char *list = NULL, *where = arg(r, "where") ? expand(r, arg(r, "where")) : NULL;
    const object_filter filter = {arg(r, "name"), arg(r, "vip"), arg(r, "ip"), where};
    size_t found = 0;
    if (where && !strchr(where, '=')) {
        fail(r, pos_of(r, "where"), "where=FIELD=VALUE (e.g. where=State=4)");
        free(where);
        return 0;
    }
    if ((arg(r, "where") && !where) ||
        FAILED(hnsm_call(n->hns, kinds[k].kind, HNSM_OP_ENUMERATE, NULL, NULL,
                         "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &list, NULL))) {
        free(where);
        return 0;
    }
    cJSON *ids_json = cJSON_Parse(list);
    hnsm_free(list);
    const cJSON *id;
    cJSON_ArrayForEach(id, ids_json)
    {
        char *props = NULL;
        if (FAILED(hnsm_call(n->hns, kinds[k].kind, HNSM_OP_QUERY, id->valuestring, NULL,
                             "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &props, NULL)))
            continue;
        cJSON *doc = cJSON_Parse(props);
        bool match = object_matches(doc, &filter);
        cJSON_Delete(doc);
        if (match && found < max)
            copy_text(ids[found], K8S_ADDR, id->valuestring);
        found += match;
        hnsm_free(props);
    }
    cJSON_Delete(ids_json);
    free(where);
    return found;
}

static int fault_vfp(run *r, k8s_node *n)
{
    const char *what = positional(r, 2);
    static const struct {
        const char *name;
        net_vfp_fault_kind kind;
    } vfp[] = {{"skip-group", NET_VFP_SKIP_GROUP},
               {"keep-group", NET_VFP_KEEP_GROUP},
               {"duplicate-rules", NET_VFP_DUPLICATE_RULES},
               {"drop-layer", NET_VFP_DROP_LAYER}};
    for (size_t i = 0; what && i < sizeof vfp / sizeof vfp[0]; i++)
        if (!strcmp(what, vfp[i].name)) {
            const char *port = arg(r, "port");
            char resolved[K8S_ADDR];
            k8s_pod *p = port && strncmp(port, "pod:", 4) == 0 ? named_pod(r, port + 4) : NULL;
            if (port && !strncmp(port, "pod:", 4) && !p)
                return -1;
            if (p)
                copy_text(resolved, sizeof resolved, p->endpoint_id);
            if (net_node_add_vfp_fault(n->net, vfp[i].kind, p ? resolved : port, need(r, "layer") ? arg(r, "layer") : "",
                                       arg(r, "group")))
                return fail(r, NULL, "bad vfp fault (layer=, group= unless drop-layer)");
            return reconcile(r);
        }
    return fail(r, NULL, "fault NODE vfp skip-group|keep-group|duplicate-rules|drop-layer ...");
}

static int do_fault(run *r)
{
    k8s_node *n = windows_node(r, positional(r, 0));
    const char *what = positional(r, 1);
    if (!n)
        return -1;
    if (!what)
        return fail(r, NULL, "fault NODE restart-hns|crash-hns|reboot|os-update|clear-hns-store|restart|fail|latency|management-ip-delay|hns-choice|delete-oob|vfp|clear");
    if (!strcmp(what, "restart-hns") || !strcmp(what, "crash-hns")) {
        hnsm_restart(n->hns, !strcmp(what, "crash-hns") ? HNSM_RESTART_CRASH_WIPE : HNSM_RESTART_SERVICE);
        k8s_log(r->c, "%s: HNS %s", n->name, !strcmp(what, "crash-hns") ? "crashed (objects lost)" : "restarted");
    } else if (!strcmp(what, "reboot")) {
        k8s_node_reboot(r->c, n);
    } else if (!strcmp(what, "os-update")) {
        const char *store = arg(r, "store");
        if (store && strcmp(store, "compatible") && strcmp(store, "incompatible"))
            return fail(r, pos_of(r, "store"), "store=compatible|incompatible");
        if (k8s_node_os_update(r->c, n, arg(r, "profile"), !store || !strcmp(store, "compatible")) != 0)
            return fail(r, NULL, "fault NODE os-update [profile=ws2019|ws2022|ws2025] [store=compatible|incompatible] (a Windows node)");
    } else if (!strcmp(what, "clear-hns-store")) {
        if (!n->hns || hnsm_clear_store(n->hns) != 0)
            return fail(r, NULL, "fault NODE clear-hns-store (a Windows node)");
        k8s_log(r->c, "%s: HNS stopped, HNS.data deleted, HNS started", n->name);
    } else if (!strcmp(what, "stop") || !strcmp(what, "start")) {
        const char *who = positional(r, 2);
        int stop = !strcmp(what, "stop");
        if (who && !strcmp(who, "flannel")) {
            n->flannel_stopped = stop;
            if (!stop)
                k8s_flannel_restart(r->c, n); /* a started flanneld goes through its start */
        }
        else if (who && !strcmp(who, "kube-proxy"))
            n->kube_proxy_stopped = stop;
        else
            return fail(r, NULL, "fault NODE stop|start flannel|kube-proxy");
        if (stop && !strcmp(who, "kube-proxy"))
            k8s_kube_proxy_free(n); /* its caches go with the process; start begins afresh */
    } else if (!strcmp(what, "restart")) {
        const char *who = positional(r, 2);
        if (who && !strcmp(who, "kube-proxy"))
            k8s_kube_proxy_restart(r->c, n);
        else if (who && !strcmp(who, "flannel"))
            k8s_flannel_restart(r->c, n);
        else
            return fail(r, NULL, "fault NODE restart kube-proxy|flannel");
    } else if (!strcmp(what, "fail")) {
        const char *api = positional(r, 2), *hr = positional(r, 3);
        unsigned long code, nth = 1;
        if (!api || parse_hresult(hr, &code) < 0 ||
            (arg(r, "nth") && parse_uint(arg(r, "nth"), 1000000, &nth) < 0))
            return fail(r, NULL, "fault NODE fail API HRESULT [nth=N] [always=yes] [match=TEXT] [partial=yes]");
        int always = switch_arg(r, "always", 0), partial = switch_arg(r, "partial", 0);
        if (always < 0 || partial < 0)
            return -1;
        hnsm_fault f = {.api = api, .hr = (HRESULT)code, .mode = always ? HNSM_FAULT_FROM_NTH : HNSM_FAULT_NTH,
                        .nth = (uint32_t)nth, .match = arg(r, "match"),
                        .leave_partial = partial};
        if (!FAILED((HRESULT)code))
            return fail(r, NULL, "fault NODE fail API HRESULT: %s is a success code", hr);
        if (hnsm_fault_add(n->hns, &f))
            return fail(r, NULL, "cannot add the fault: %s is no HCN entry point (HcnCreateEndpoint, "
                                 "HcnModifyLoadBalancer, ...), HNSCall or *", api);
        return 0; /* it strikes at the next reconcile */
    } else if (!strcmp(what, "clear")) {
        hnsm_fault_clear(n->hns);
        net_node_clear_vfp_faults(n->net);
    } else if (!strcmp(what, "hns-choice")) {
        /* fault NODE hns-choice NAME=VALUE...: every key=value after the words */
        size_t set = 0;
        for (size_t i = 0; i < r->st->n_args; i++) {
            const scn_arg *a = &r->st->args[i];
            unsigned long value;
            if (!a->key)
                continue;
            mark_read(r, a);
            if (parse_uint(a->value, 1000, &value) < 0 || !n->hns)
                return fail(r, &a->pos, "hns-choice %s= needs a number (a Windows node)", a->key);
            if (hnsm_set_choice(n->hns, a->key, (int)value) != 0)
                return fail(r, &a->pos, "no HNS choice %s (`hnsim diag choices` lists them)", a->key);
            k8s_log(r->c, "%s: HNS choice %s=%lu", n->name, a->key, value);
            set++;
        }
        return set ? 0 : fail(r, NULL, "fault NODE hns-choice NAME=VALUE...");
    } else if (!strcmp(what, "management-ip-delay")) {
        int64_t d = scn_parse_duration(positional(r, 2));
        if (d < 0 || !n->hns)
            return fail(r, NULL, "fault NODE management-ip-delay DURATION (a Windows node)");
        n->management_ip_delay_ms = (uint64_t)d;
        hnsm_set_generated_policy_delay(n->hns, (uint64_t)d);
        return 0; /* networks created from now on */
    } else if (!strcmp(what, "latency")) {
        char *end = NULL;
        double scale = arg(r, "scale") ? strtod(arg(r, "scale"), &end) : 1.0;
        if (end && (*end || end == arg(r, "scale")))
            scale = -1; /* "3xyz", "" */
        int on = switch_value(positional(r, 2));
        if (scale <= 0 || on < 0 || hnsm_set_latency(n->hns, on, scale))
            return fail(r, NULL, "fault NODE latency on|off [scale=FACTOR > 0]");
        return 0;
    } else if (!strcmp(what, "delete-oob")) {
        int k = kind_of(positional(r, 2));
        char ids[256][K8S_ADDR];
        if (k < 0)
            return fail(r, NULL, "fault NODE delete-oob KIND [id=] [name=] [vip=] [ip=]");
        size_t found = arg(r, "id") ? 1 : find_objects(r, n, k, ids, 256);
        if (r->error[0])
            return -1;
        if (found > 256)
            return fail(r, NULL, "%zu %ss match; narrow the selection (at most 256)", found, kinds[k].name);
        if (arg(r, "id")) {
            char *id = expand(r, arg(r, "id"));
            if (!id)
                return -1;
            copy_text(ids[0], sizeof ids[0], id);
            free(id);
        }
        if (!found)
            return fail(r, NULL, "no %s matches on %s", kinds[k].name, n->name);
        for (size_t i = 0; i < found; i++)
            if (hnsm_drop_object(n->hns, kinds[k].kind, ids[i]) != 0)
                return fail(r, NULL, "no %s %s on %s", kinds[k].name, ids[i], n->name);
        k8s_log(r->c, "%s: %zu %s(s) deleted out of band", n->name, found, kinds[k].name);
    } else if (!strcmp(what, "vfp")) {
        return fault_vfp(r, n);
    } else {
        return fail(r, NULL, "unknown fault '%s'", what);
    }
    return reconcile(r);
}

/* An object reference of an hcn statement: "pod:NAME" (the pod's HNS
 * endpoint), "network:NAME" (the node's network of that name), "$VAR" or
 * an ID. */
static int object_ref(run *r, k8s_node *n, const char *text, char *out, size_t size)
{
    if (!strncmp(text, "pod:", 4)) {
        k8s_pod *p = named_pod(r, text + 4);
        if (!p || !p->endpoint_id[0])
            return p ? fail(r, NULL, "pod %s has no HNS endpoint", text + 4) : -1;
        copy_text(out, size, p->endpoint_id);
        return 0;
    }
    if (!strncmp(text, "network:", 8)) {
        char *list = NULL, query[256];
        snprintf(query, sizeof query,
                 "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Filter\":\"{\\\"Name\\\":\\\"%s\\\"}\"}",
                 text + 8);
        cJSON *ids = NULL;
        if (SUCCEEDED(hnsm_call(n->hns, HNSM_NETWORK, HNSM_OP_ENUMERATE, NULL, NULL, query, &list, NULL)))
            ids = cJSON_Parse(list);
        hnsm_free(list);
        const cJSON *first = cJSON_GetArrayItem(ids, 0);
        int rc = cJSON_IsString(first) ? 0 : fail(r, NULL, "no network %s on %s", text + 8, n->name);
        if (!rc)
            copy_text(out, size, first->valuestring);
        cJSON_Delete(ids);
        return rc;
    }
    char *value = expand(r, text);
    if (!value)
        return -1;
    copy_text(out, size, value);
    free(value);
    return 0;
}

/* hcn NODE OP KIND [id=] [parent=] [as=NAME [field=PATH]] [expect=HRESULT] {json} */
static int do_hcn(run *r)
{
    k8s_node *n = windows_node(r, positional(r, 0));
    const char *op = positional(r, 1);
    int k = kind_of(positional(r, 2));
    if (!n)
        return -1;
    static const struct {
        const char *name;
        hnsm_op op;
    } ops[] = {{"create", HNSM_OP_CREATE}, {"modify", HNSM_OP_MODIFY}, {"query", HNSM_OP_QUERY},
               {"delete", HNSM_OP_DELETE}, {"enumerate", HNSM_OP_ENUMERATE}};
    int o = -1;
    for (int i = 0; op && i < 5; i++)
        if (!strcmp(op, ops[i].name))
            o = i;
    if (o < 0 || k < 0)
        return fail(r, NULL, "hcn NODE create|modify|query|delete|enumerate KIND ...");
    char id[K8S_ADDR * 2] = "", parent[K8S_ADDR * 2] = "", *json = NULL;
    if (arg(r, "id") && object_ref(r, n, arg(r, "id"), id, sizeof id) < 0)
        return -1;
    if (arg(r, "parent") && object_ref(r, n, arg(r, "parent"), parent, sizeof parent) < 0)
        return -1;
    r->json_read = 1;
    if (r->st->json && !(json = expand(r, r->st->json)))
        return -1;
    unsigned long want = 0;
    if (arg(r, "expect") && parse_hresult(arg(r, "expect"), &want) < 0) {
        free(json);
        return fail(r, pos_of(r, "expect"), "expect=HRESULT (e.g. 0x803B0013 or 0)");
    }
    if (arg(r, "field") && !arg(r, "as")) {
        free(json);
        return fail(r, pos_of(r, "field"), "field=PATH says what as=NAME keeps: it needs as=");
    }
    char *result = NULL, *error = NULL;
    HRESULT hr = hnsm_call(n->hns, kinds[k].kind, ops[o].op, id[0] ? id : NULL, parent[0] ? parent : NULL,
                           json, &result, &error);
    free(json);
    if (arg(r, "as") && result && arg(r, "field")) {
        cJSON *doc = cJSON_Parse(result);
        const cJSON *v = field_find(doc, arg(r, "field"), NULL);
        char number[32];
        if (cJSON_IsNumber(v))
            snprintf(number, sizeof number, "%.17g", v->valuedouble);
        if (v)
            set_var(r, arg(r, "as"), cJSON_IsString(v) ? v->valuestring : number);
        else
            fail(r, pos_of(r, "field"), "the result has no %s", arg(r, "field"));
        cJSON_Delete(doc);
    } else if (arg(r, "as") && result) {
        set_var(r, arg(r, "as"), result);
    }
    if (arg(r, "expect")) {
        char detail[1024];
        snprintf(detail, sizeof detail, "expected HRESULT 0x%08lX (%s), got 0x%08X (%s)%s%s", want,
                 hnsm_hresult_name((HRESULT)want) ? hnsm_hresult_name((HRESULT)want) : "?", (unsigned)hr,
                 hnsm_hresult_name(hr) ? hnsm_hresult_name(hr) : "?", error ? "; ErrorRecord: " : "",
                 error ? error : "");
        add_result(r, (unsigned long)(uint32_t)hr == want, detail, NULL);
    } else if (FAILED(hr)) {
        fail(r, NULL, "HCN call failed 0x%08X: %s", (unsigned)hr, error ? error : "");
    }
    hnsm_free(result);
    hnsm_free(error);
    return r->error[0] ? -1 : reconcile(r);
}

/* ---------------------------------------------------------------------------
 * Expectations
 */

int scn_address_resolve(k8s_cluster *c, const char *text, scn_address *a, char *err,
                        size_t err_size)
{
    memset(a, 0, sizeof *a);
    char buf[256];
    copy_text(buf, sizeof buf, text ? text : "");
    a->protocol = 6;
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash++ = 0;
        if (parse_protocol(slash, &a->protocol) < 0) {
            snprintf(err, err_size, "bad protocol in '%s'", text);
            return -1;
        }
    }
    char *name = strchr(buf, ':');
    static const struct { const char *prefix; scn_address_kind kind; } typed[] = {
        {"pod", SCN_ADDRESS_POD}, {"svc", SCN_ADDRESS_SERVICE}, {"node", SCN_ADDRESS_NODE},
        {"ext", SCN_ADDRESS_EXTERNAL}, {"ip", SCN_ADDRESS_IP}};
    size_t t = 0;
    while (name && t < 5 && ((size_t)(name - buf) != strlen(typed[t].prefix) ||
                             strncmp(buf, typed[t].prefix, (size_t)(name - buf))))
        t++;
    bool typed_kind = name && t < 5;
    if (typed_kind) {
        a->kind = typed[t].kind;
        *name++ = 0;
    } else {
        name = buf;
        a->kind = SCN_ADDRESS_POD;
        if (strchr(buf, '.') && !strspn(buf, "0123456789")) { /* name.ns: a service, else a pod */
            char svc[K8S_NAME], *dot = strchr(buf, '.'), *colon_at = strchr(buf, ':');
            snprintf(svc, sizeof svc, "%.*s", (int)(dot - buf), buf);
            char ns[K8S_NAME];
            snprintf(ns, sizeof ns, "%.*s", colon_at ? (int)(colon_at - dot - 1) : (int)strlen(dot + 1),
                     dot + 1);
            if (k8s_service_named(c, ns, svc)) {
                a->kind = SCN_ADDRESS_SERVICE;
                a->by_name = 1;
            }
        }
    }
    char *colon = strrchr(name, ':');
    if (colon) {
        *colon++ = 0;
        unsigned long p;
        if (parse_uint(colon, 65535, &p) < 0) {
            snprintf(err, err_size, "bad port in '%s'", text);
            return -1;
        }
        a->port = (uint16_t)p;
    }
    copy_text(a->name, sizeof a->name, name);
    if (a->kind == SCN_ADDRESS_IP) {
        copy_text(a->ip, K8S_ADDR, name);
        return 0;
    }
    if (a->kind == SCN_ADDRESS_NODE || a->kind == SCN_ADDRESS_EXTERNAL) {
        char text_ip[VFP_ADDR_TEXT];
        k8s_node *n = a->kind == SCN_ADDRESS_NODE ? k8s_node_named(c, name) : NULL;
        if (n)
            copy_text(a->ip, K8S_ADDR, n->ip);
        else if (a->kind == SCN_ADDRESS_EXTERNAL && net_external_address(c->net, name, text_ip) == 0)
            copy_text(a->ip, K8S_ADDR, text_ip);
        else {
            snprintf(err, err_size, "no %s %s", a->kind == SCN_ADDRESS_NODE ? "node" : "external host",
                     name);
            return -1;
        }
        return 0;
    }
    /* pod or service: NAME[.NS] */
    char *dot = strchr(name, '.');
    snprintf(a->name, sizeof a->name, "%.*s", dot ? (int)(dot - name) : (int)strlen(name), name);
    copy_text(a->ns, sizeof a->ns, dot ? dot + 1 : "default");
    if (a->kind == SCN_ADDRESS_SERVICE) {
        a->service = k8s_service_named(c, a->ns, a->name);
        if (!a->service) {
            snprintf(err, err_size, "no service %s", name);
            return -1;
        }
        copy_text(a->ip, K8S_ADDR, a->service->cluster_ip);
        if (!a->port)
            a->port = a->service->ports[0].port;
        return 0;
    }
    a->pod = k8s_pod_named(c, a->ns, a->name);
    if (!a->pod || !a->pod->ip[0]) {
        snprintf(err, err_size, a->pod ? "pod %s has no address (not running)"
                                : dot && !typed_kind ? "no pod or service %s" : "no pod %s",
                 name);
        return -1;
    }
    copy_text(a->ip, K8S_ADDR, a->pod->ip);
    if (!a->port && a->pod->n_ports)
        a->port = a->pod->ports[0].port;
    return 0;
}

int scn_destination_resolve(k8s_cluster *c, const char *text, scn_address *a, char *err,
                            size_t err_size)
{
    if (scn_address_resolve(c, text, a, err, err_size) < 0)
        return -1;
    if ((a->protocol == 6 || a->protocol == 17) && !a->port &&
        a->kind != SCN_ADDRESS_POD) { /* a pod without ports= takes any port */
        snprintf(err, err_size, "%s needs a port (:PORT): only pods and services have a default one",
                 text);
        return -1;
    }
    return 0;
}

int scn_resolve(k8s_cluster *c, const char *text, char ip[K8S_ADDR], uint16_t *port,
                uint8_t *protocol, char *err, size_t err_size)
{
    scn_address a;
    if (scn_address_resolve(c, text, &a, err, err_size) < 0)
        return -1;
    copy_text(ip, K8S_ADDR, a.ip);
    *port = a.port;
    *protocol = a.protocol;
    return 0;
}

/* Walks FROM -> TO and its reply, after the pod's DNS lookup when TO is a
 * service name (probe.h); *reached when both arrive. *trace gets the
 * lookup's and the exchange's traces (malloc'd). */
static int probe(run *r, const char *from, const char *to, int *reached, net_reason *why,
                 char **trace)
{
    char src[K8S_ADDR], err[256];
    uint16_t sport;
    uint8_t ignored;
    if (scn_resolve(r->c, from, src, &sport, &ignored, err, sizeof err))
        return fail(r, pos_of_value(r, from), "%s", err);
    scn_address dst_addr;
    if (scn_destination_resolve(r->c, to, &dst_addr, err, sizeof err))
        return fail(r, pos_of_value(r, to), "%s", err);
    const char *dst = dst_addr.ip;
    uint16_t dport = dst_addr.port;
    uint8_t proto = dst_addr.protocol;
    unsigned long size = 100;
    if (arg(r, "size") && parse_uint(arg(r, "size"), 65535, &size) < 0)
        return fail(r, pos_of(r, "size"), "size=BYTES expected");
    vfp_packet p = {.protocol = proto, .size = (uint32_t)size};
    if (vfp_addr_parse(src, &p.src) || vfp_addr_parse(dst, &p.dst))
        return fail(r, NULL, "bad address %s or %s", src, dst);
    *trace = NULL;
    scn_lookup lookup;
    char *dns = NULL;
    if (scn_lookup_needed(r->c, from, to, &lookup)) {
        int resolved = scn_lookup_run(r->c, &lookup, &r->next_port);
        dns = scn_lookup_text(&lookup);
        scn_lookup_clear(&lookup);
        if (!resolved) {
            *reached = 0;
            *why = lookup.reason;
            *trace = dns;
            return 0;
        }
    }
    if (proto == 6 || proto == 17) {
        p.src_port = r->next_port++;
        p.dst_port = dport;
    }
    scn_exchange x;
    scn_exchange_run(r->c->net, &p, &x);
    *reached = x.reached;
    *why = x.reason;
    char *walks = scn_exchange_text(&x);
    scn_exchange_clear(&x);
    if (dns && walks) { /* the lookup, then the packet (as hnsim trace shows them) */
        size_t len = strlen(dns) + strlen(walks) + 16;
        if ((*trace = malloc(len)))
            snprintf(*trace, len, "%s--- then\n%s", dns, walks);
        free(walks);
    } else {
        *trace = walks;
    }
    free(dns);
    return 0;
}

/* expect reach|no-reach FROM -> TO [reason=R] */
static int expect_reach(run *r, int want)
{
    const char *from = positional(r, 1), *arrow = positional(r, 2), *to = positional(r, 3);
    if (!from || !arrow || strcmp(arrow, "->") || !to)
        return fail(r, NULL, "expect %s FROM -> TO[:PORT/PROTO]", want ? "reach" : "no-reach");
    int reached;
    net_reason why;
    char *trace = NULL;
    if (probe(r, from, to, &reached, &why, &trace))
        return -1;
    const char *reason = arg(r, "reason");
    int ok = reached == want && (!reason || !strcmp(reason, net_reason_name(why)));
    if (reason && !net_reason_named(reason)) {
        free(trace);
        return fail(r, pos_of(r, "reason"), "reason=%s is no verdict reason (%s)", reason,
                    "scenarios/README.md lists them");
    }
    char detail[512];
    snprintf(detail, sizeof detail, "expected %s%s%s, got %s (%s)", want ? "reach" : "no reach",
             reason ? " with reason " : "", reason ? reason : "", reached ? "reached" : "not reached",
             net_reason_name(why));
    add_result(r, ok, detail, trace);
    free(trace);
    return 0;
}

/* expect trace FROM -> TO contains="TEXT" */
static int expect_trace(run *r)
{
    const char *from = positional(r, 1), *arrow = positional(r, 2), *to = positional(r, 3),
               *text = need(r, "contains");
    if (!from || !arrow || strcmp(arrow, "->") || !to || !text || !*text)
        return fail(r, NULL, "expect trace FROM -> TO contains=\"TEXT\" (TEXT not empty)");
    int reached;
    net_reason why;
    char *trace = NULL;
    if (probe(r, from, to, &reached, &why, &trace))
        return -1;
    int ok = trace && strstr(trace, text);
    char detail[512];
    snprintf(detail, sizeof detail, "expected the trace to contain \"%s\"%s", text, ok ? "" : "; it does not");
    add_result(r, ok, detail, trace);
    free(trace);
    return 0;
}

/* expect hns NODE count KIND N [name= vip= ip=] | has KIND ... | lacks KIND ... */
static int expect_hns(run *r)
{
    k8s_node *n = windows_node(r, positional(r, 1));
    const char *how = positional(r, 2);
    int k = kind_of(positional(r, 3));
    if (!n)
        return -1;
    if (!how || k < 0)
        return fail(r, NULL, "expect hns NODE count|has|lacks KIND ...");
    char ids[1][K8S_ADDR];
    size_t found = find_objects(r, n, k, ids, 1);
    if (r->error[0])
        return -1; /* where= named a $VAR never set */
    unsigned long want = 0;
    char detail[256];
    int ok;
    if (!strcmp(how, "count")) {
        if (parse_uint(positional(r, 4), 1000000, &want) < 0)
            return fail(r, NULL, "expect hns NODE count KIND N");
        ok = found == want;
        snprintf(detail, sizeof detail, "expected %lu %s(s) on %s, found %zu", want, kinds[k].name, n->name, found);
    } else {
        bool has = !strcmp(how, "has");
        if (!has && strcmp(how, "lacks"))
            return fail(r, NULL, "expect hns NODE count|has|lacks KIND ...");
        ok = has == (found > 0);
        snprintf(detail, sizeof detail, "expected %s %s matching on %s, found %zu", has ? "a" : "no",
                 kinds[k].name, n->name, found);
    }
    add_result(r, ok, detail, NULL);
    return 0;
}

/* expect log contains="TEXT" */
static int expect_log(run *r)
{
    const char *text = need(r, "contains");
    if (!text || !*text)
        return text ? fail(r, pos_of(r, "contains"), "contains= needs a text") : -1;
    int ok = 0;
    for (size_t i = 0; i < r->c->n_log && !ok; i++)
        ok = strstr(r->c->log[i], text) != NULL;
    char detail[300];
    snprintf(detail, sizeof detail, "expected a controller log line containing \"%s\"", text);
    add_result(r, ok, detail, NULL);
    return 0;
}

/* Splits a comma list into items (in place). */
static size_t split(char *text, char **items, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *it = strtok_r(text, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return max + 1; /* too many: the caller refuses the list */
        items[n++] = it;
    }
    return n;
}

/* expect matrix from=A,B to=X,Y [".X", "X."] */
static int expect_matrix(run *r)
{
    char from_buf[2048], to_buf[2048], *from[64], *to[64];
    if (!need(r, "from") || !need(r, "to"))
        return -1;
    if (strlen(arg(r, "from")) >= sizeof from_buf || strlen(arg(r, "to")) >= sizeof to_buf)
        return fail(r, NULL, "from= and to= lists are limited to %zu bytes", sizeof from_buf - 1);
    copy_text(from_buf, sizeof from_buf, arg(r, "from"));
    copy_text(to_buf, sizeof to_buf, arg(r, "to"));
    size_t nf = split(from_buf, from, 64), nt = split(to_buf, to, 64);
    if (!nf || !nt || nf > 64 || nt > 64)
        return fail(r, NULL, "expect matrix needs 1 to 64 sources (from=) and destinations (to=)");
    r->json_read = 1;
    cJSON *rows = r->st->json ? cJSON_Parse(r->st->json) : NULL;
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) != (int)nf) {
        cJSON_Delete(rows);
        return fail(r, r->st->json ? &r->st->json_pos : NULL, "expect matrix needs a JSON list of %zu rows of '.'/'X'", nf);
    }
    net_probe_point pf[64], pt[64];
    char ips[128][K8S_ADDR], err[256];
    unsigned char expected[64 * 64];
    for (size_t i = 0; i < nf + nt; i++) {
        uint16_t port;
        uint8_t proto;
        if (scn_resolve(r->c, i < nf ? from[i] : to[i - nf], ips[i], &port, &proto, err, sizeof err)) {
            cJSON_Delete(rows);
            return fail(r, pos_of(r, i < nf ? "from" : "to"), "%s", err);
        }
        net_probe_point p = {i < nf ? from[i] : to[i - nf], ips[i], port, proto};
        if (i < nf)
            pf[i] = p;
        else
            pt[i - nf] = p;
    }
    for (size_t i = 0; i < nf; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
        if (!cJSON_IsString(row) || strlen(row->valuestring) != nt ||
            strspn(row->valuestring, ".X") != nt) {
            cJSON_Delete(rows);
            return fail(r, &r->st->json_pos, "row %zu must be %zu characters of '.' and 'X'", i + 1, nt);
        }
        for (size_t j = 0; j < nt; j++)
            expected[i * nt + j] = row->valuestring[j] == '.';
    }
    cJSON_Delete(rows);
    net_matrix m;
    if (net_matrix_probe(r->c->net, pf, nf, pt, nt, expected, &m))
        return fail(r, NULL, "matrix probe failed");
    char *text = NULL;
    net_matrix_format(&m, &text);
    size_t bad = net_matrix_mismatches(&m);
    char detail[128];
    snprintf(detail, sizeof detail, "%zu of %zu cells differ", bad, nf * nt);
    add_result(r, bad == 0, detail, text);
    free(text);
    net_matrix_clear(&m);
    return 0;
}

static int do_expect(run *r)
{
    const char *what = positional(r, 0);
    if (need_cluster(r))
        return -1;
    if (what && !strcmp(what, "reach"))
        return expect_reach(r, 1);
    if (what && !strcmp(what, "no-reach"))
        return expect_reach(r, 0);
    if (what && !strcmp(what, "trace"))
        return expect_trace(r);
    if (what && !strcmp(what, "hns"))
        return expect_hns(r);
    if (what && !strcmp(what, "log"))
        return expect_log(r);
    if (what && !strcmp(what, "matrix"))
        return expect_matrix(r);
    return fail(r, NULL, "expect reach|no-reach|trace|hns|log|matrix ...");
}

static int do_sync(run *r)
{
    return need_cluster(r) ? -1 : reconcile(r);
}

/* batch begin | batch end: the changes of the statements in between reach
 * the controllers together, in one reconcile at `batch end` - as when the
 * kubelet has run CNI DEL and ADD for several pods before kube-proxy's next
 * sync sees any of it (field-bugs C1, C2). Expectations inside a batch see
 * the state of the last reconcile before it. */
static int do_batch(run *r)
{
    const char *what = positional(r, 0);
    if (need_cluster(r))
        return -1;
    if (what && !strcmp(what, "begin")) {
        if (r->batch)
            return fail(r, NULL, "batch begin inside the batch begun at %s:%d", r->batch_pos.file,
                        r->batch_pos.line);
        r->batch = 1;
        r->batch_pos = r->st->pos;
        return 0;
    }
    if (what && !strcmp(what, "end")) {
        if (!r->batch)
            return fail(r, NULL, "batch end without batch begin");
        r->batch = 0;
        return reconcile(r);
    }
    return fail(r, NULL, "batch begin|end");
}

/* ---------------------------------------------------------------------------
 * The run
 */

static const struct {
    const char *verb;
    int (*fn)(run *);
} verbs[] = {
    {"cluster", do_cluster}, {"node", do_node},       {"external", do_external}, {"pod", do_pod},
    {"route", do_route},
    {"deployment", do_deployment}, {"service", do_service}, {"policy", do_policy},
    {"at", do_at},           {"advance", do_advance},
    {"scale", do_scale},     {"delete", do_delete},   {"ready", do_ready},       {"drain", do_drain},
    {"crash", do_crash},     {"rollout", do_rollout}, {"flush-dns", do_flush_dns},
    {"namespace", do_namespace},
    {"fault", do_fault},     {"hcn", do_hcn},         {"expect", do_expect},    {"sync", do_sync},
    {"batch", do_batch},
};

/* A key=value given twice, or a key=value or word the statement's verb
 * did not read: a misspelt or misplaced option, or a word too many, which
 * would otherwise change nothing without a word. */
static int unread_argument(run *r)
{
    for (size_t i = 0; i < r->st->n_args; i++) {
        const scn_arg *a = &r->st->args[i];
        if (!a->key) {
            if (!r->read[i])
                return fail(r, &a->pos, "'%s' does not take '%s' here", r->st->verb, a->value);
            continue;
        }
        if (scn_arg_named(r->st, a->key) != a)
            return fail(r, &a->pos, "%s= is given twice", a->key);
        if (!r->read[i])
            return fail(r, &a->pos, "'%s' does not take %s= here", r->st->verb, a->key);
    }
    return 0;
}

/* Forgets the results the statement added (it failed after all). */
static void drop_results(run *r, size_t keep)
{
    for (size_t i = keep; i < r->report->n_results; i++) {
        scn_result *res = &r->report->results[i];
        if (res->passed)
            r->report->passed--;
        else
            r->report->failed--;
        free(res->detail);
        free(res->trace);
    }
    if (r->report->n_results > keep)
        r->report->n_results = keep;
}

static int statement(run *r)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(r->st->verb, verbs[i].verb)) {
            size_t results = r->report->n_results;
            r->read = calloc(r->st->n_args ? r->st->n_args : 1, 1);
            if (!r->read)
                return fail(r, NULL, "out of memory");
            r->json_read = 0;
            int rc = verbs[i].fn(r);
            if (!rc && !r->error[0] && unread_argument(r))
                rc = -1;
            if (!rc && !r->error[0] && r->st->json && !r->json_read)
                rc = fail(r, &r->st->json_pos, "'%s' takes no JSON document", r->st->verb);
            if (rc && r->error[0])
                drop_results(r, results);
            free(r->read);
            r->read = NULL;
            return rc;
        }
    return fail(r, NULL, "unknown statement '%s'", r->st->verb);
}

/* The virtual time an `at` or `advance` statement moves to (-1 for other
 * statements and bad times). */
static int64_t time_after(run *r)
{
    int64_t t = scn_parse_duration(positional(r, 0));
    if (t < 0)
        return -1;
    if (!strcmp(r->st->verb, "at"))
        return t;
    if (!strcmp(r->st->verb, "advance"))
        return (int64_t)r->c->now_ms + t;
    return -1;
}

int scn_run_file(const char *file, const scn_options *o, scn_report *report, k8s_cluster **cluster)
{
    scn_options defaults = {.seed = 1, .stop_at_ms = -1};
    memset(report, 0, sizeof *report);
    copy_text(report->file, sizeof report->file, file);
    run r = {.o = o ? o : &defaults, .report = report, .next_port = 40000};
    report->seed = r.o->seed;
    if (cluster)
        *cluster = NULL;
    scn_script *s = NULL;
    scn_error e;
    if (scn_parse_file(file, &s, &e) != 0) {
        char text[1024];
        scn_format_error(&e, text, sizeof text);
        report->error = strdup(text);
        return -1;
    }
    for (size_t i = 0; i < s->n_stmts && !r.error[0]; i++) {
        r.st = &s->stmts[i];
        if (r.o->stop_at_ms >= 0 && r.c && time_after(&r) > r.o->stop_at_ms) {
            if (r.batch) { /* stopped inside a batch: its changes reach the controllers */
                r.batch = 0;
                reconcile(&r);
            }
            break;
        }
        if (statement(&r) && !r.error[0])
            fail(&r, NULL, "'%s' failed", r.st->verb);
    }
    if (!r.error[0] && r.batch)
        fail(&r, &r.batch_pos, "batch begun here is not ended (batch end)");
    /* Stopped at a time: the cluster as it is then, controllers run on the way. */
    if (!r.error[0] && r.c && r.o->stop_at_ms > (int64_t)r.c->now_ms)
        k8s_advance(r.c, (uint64_t)r.o->stop_at_ms);
    if (r.error[0])
        report->error = strdup(r.error);
    if (r.c) {
        report->log = calloc(r.c->n_log + 1, sizeof *report->log);
        for (size_t i = 0; report->log && i < r.c->n_log; i++)
            report->log[report->n_log++] = strdup(r.c->log[i]);
    }
    if (cluster)
        *cluster = r.c;
    else
        k8s_cluster_free(r.c);
    scn_script_free(s);
    free(r.deployments);
    return report->error || report->failed ? 1 : 0;
}

void scn_report_clear(scn_report *rep)
{
    for (size_t i = 0; i < rep->n_results; i++) {
        free(rep->results[i].detail);
        free(rep->results[i].trace);
    }
    for (size_t i = 0; i < rep->n_log; i++)
        free(rep->log[i]);
    free(rep->log);
    free(rep->results);
    free(rep->error);
    memset(rep, 0, sizeof *rep);
}
