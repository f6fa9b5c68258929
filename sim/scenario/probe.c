/*
 * probe.c - exchanges (a packet and its reply) and the DNS lookup a pod
 * makes before it sends to a service name (probe.h).
 *
 * A lookup asks the pod's DNS client first: on a node whose client keeps
 * failures (k8s.h dns_negative_cache_ms, field-bugs H1) an earlier failure
 * of the same name answers at once. Then the pod needs a server (a Windows
 * pod: its endpoint's Dns.ServerList, once dockershim wrote it) and the
 * UDP 53 query must be delivered and answered, so a network policy that
 * forgets DNS egress breaks names and not addresses.
 */
#include "probe.h"

#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Exchanges
 */

/* The ports a node's host listens on (ssh 22, kubelet 10250, kube-proxy
 * health 10256); ICMP is always answered. */
static int host_listens(const vfp_packet *p)
{
    return (p->protocol != 6 && p->protocol != 17) || p->dst_port == 22 || p->dst_port == 10250 ||
           p->dst_port == 10256;
}

void scn_exchange_run(net_cluster *net, const vfp_packet *p, scn_exchange *x)
{
    memset(x, 0, sizeof *x);
    net_walk_packet(net, p, NULL, &x->out);
    x->reached = x->out.verdict != NET_DROPPED;
    x->reason = x->out.reason;
    if (x->out.verdict == NET_DELIVERED && x->out.to.kind == NET_PLACE_HOST && !host_listens(p)) {
        x->reached = 0; /* the node answers with a reset: nothing listens there */
        x->reason = NET_REASON_NO_LISTENER;
    } else if (x->out.verdict != NET_DROPPED) { /* the answer must come back */
        net_walk_reply(net, &x->out, NULL, &x->back);
        x->reached = x->back.verdict == NET_DELIVERED &&
                     vfp_addr_compare(&x->back.output.dst, &p->src) == 0 &&
                     x->back.output.dst_port == p->src_port;
        if (x->back.verdict != NET_DELIVERED)
            x->reason = x->back.reason;
    }
}

void scn_exchange_clear(scn_exchange *x)
{
    net_walk_clear(&x->out);
    net_walk_clear(&x->back);
}

char *scn_exchange_text(const scn_exchange *x)
{
    char *t1 = NULL, *t2 = NULL;
    net_walk_format_text(&x->out, &t1);
    if (x->back.n_steps || x->back.verdict)
        net_walk_format_text(&x->back, &t2);
    size_t len = (t1 ? strlen(t1) : 0) + (t2 ? strlen(t2) : 0) + 16;
    char *text = malloc(len);
    if (text)
        snprintf(text, len, "%s%s%s", t1 ? t1 : "", t2 ? "--- reply\n" : "", t2 ? t2 : "");
    free(t1);
    free(t2);
    return text;
}

/* ---------------------------------------------------------------------------
 * Lookups
 */

int scn_lookup_needed(k8s_cluster *c, const char *from, const char *to, scn_lookup *l)
{
    memset(l, 0, sizeof *l);
    scn_address src, dst;
    char err[256];
    if (!k8s_cluster_dns(c) || scn_address_resolve(c, to, &dst, err, sizeof err) < 0 ||
        !dst.by_name || scn_address_resolve(c, from, &src, err, sizeof err) < 0 ||
        src.kind != SCN_ADDRESS_POD)
        return 0;
    l->pod = src.pod;
    snprintf(l->name, sizeof l->name, "%s.%s", dst.name, dst.ns);
    return 1;
}

int scn_lookup_run(k8s_cluster *c, scn_lookup *l, uint16_t *next_port)
{
    k8s_pod *pod = l->pod;
    uint64_t until;
    l->resolved = 0;
    if (k8s_pod_dns_failure_cached(c, pod, l->name, &until)) {
        l->reason = NET_REASON_DNS_NEGATIVE_CACHED;
        snprintf(l->account, sizeof l->account,
                 "pod %s's DNS client holds an earlier failure of the name for %llu ms more "
                 "(MaxNegativeCacheTtl); no query is sent",
                 pod->name, (unsigned long long)(until - c->now_ms));
        return 0;
    }
    l->reason = NET_REASON_DNS_UNRESOLVED;
    char why[256] = "";
    if (k8s_pod_dns_server(c, pod, l->server, why, sizeof why) < 0) {
        snprintf(l->account, sizeof l->account, "%s", why);
        k8s_pod_dns_failed(c, pod, l->name);
        return 0;
    }
    vfp_packet q = {.protocol = 17, .size = 80, .src_port = *next_port, .dst_port = 53};
    if (vfp_addr_parse(pod->ip, &q.src) || vfp_addr_parse(l->server, &q.dst)) {
        snprintf(l->account, sizeof l->account, "bad DNS server address %s", l->server);
        return 0;
    }
    l->queried = 1;
    ++*next_port;
    scn_exchange_run(c->net, &q, &l->exchange);
    if (l->exchange.reached) {
        l->resolved = 1;
        l->reason = NET_REASON_DELIVERED;
        return 1;
    }
    snprintf(l->account, sizeof l->account, "the query to %s:53/udp got no answer (%s)", l->server,
             net_reason_name(l->exchange.reason));
    k8s_pod_dns_failed(c, pod, l->name);
    return 0;
}

void scn_lookup_clear(scn_lookup *l)
{
    scn_exchange_clear(&l->exchange);
}

char *scn_lookup_text(const scn_lookup *l)
{
    char *walks = l->queried ? scn_exchange_text(&l->exchange) : NULL;
    size_t len = strlen(l->name) + strlen(l->account) + strlen(l->server) + (walks ? strlen(walks) : 0) + 64;
    char *text = malloc(len);
    if (text) {
        if (l->resolved)
            snprintf(text, len, "DNS lookup of %s: answered by %s\n%s", l->name, l->server,
                     walks ? walks : "");
        else
            snprintf(text, len, "DNS lookup of %s: %s\n%s", l->name, l->account, walks ? walks : "");
    }
    free(walks);
    return text;
}

/* A walk's JSON object, or NULL when it did not happen. */
static cJSON *walk_json(const net_walk *w)
{
    char *text = NULL;
    if (!w->verdict || net_walk_format_json(w, &text) != 0)
        return NULL;
    cJSON *json = cJSON_Parse(text);
    free(text);
    return json;
}

cJSON *scn_lookup_json(const scn_lookup *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", l->name);
    cJSON_AddStringToObject(o, "server", l->server);
    cJSON_AddBoolToObject(o, "resolved", l->resolved);
    cJSON_AddStringToObject(o, "reason", l->resolved ? "resolved" : net_reason_name(l->reason));
    cJSON_AddStringToObject(o, "detail", l->account);
    cJSON *query = l->queried ? walk_json(&l->exchange.out) : NULL;
    cJSON *answer = l->queried ? walk_json(&l->exchange.back) : NULL;
    cJSON_AddItemToObject(o, "query", query ? query : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "answer", answer ? answer : cJSON_CreateNull());
    return o;
}
