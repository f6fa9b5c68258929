/*
 * dns.c - the pods' DNS clients: the cluster DNS service, the server a pod
 * asks (k8s_pod_dns_server) and the negative cache of old Windows builds'
 * DNS client (field-bugs H1).
 *
 * The negative cache is a named, inferred choice. The reference says that
 * on Windows builds 1803 and below the in-container DNS client caches
 * failures, and that the workaround is MaxNegativeCacheTtl = 0 in the
 * Dnscache registry parameters (900 s by default). It does not say which
 * failures count; here every failed lookup does - no DNS server configured
 * yet, or a query that got no answer - so a pod that asked before dockershim
 * wrote its DNS settings keeps failing after they arrive, until the entry
 * expires, the cache is flushed or the container starts again. The builds
 * of the profiles (ws2019 and later) keep nothing: a node opts in with
 * dns_negative_cache_ms. Each pod keeps up to K8S_DNS_FAILED names; a new
 * failure replaces the entry that expires first.
 */
#include "k8s_internal.h"

#include <stdio.h>
#include <string.h>

k8s_service *k8s_cluster_dns(k8s_cluster *c)
{
    k8s_service *s = k8s_service_named(c, "kube-system", "kube-dns");
    return s && !s->deleted && s->cluster_ip[0] ? s : NULL;
}

int k8s_pod_dns_server(k8s_cluster *c, const k8s_pod *p, char server[K8S_ADDR], char *why,
                       size_t why_size)
{
    const k8s_node *n = k8s_node_named(c, p->node);
    const k8s_service *dns = k8s_cluster_dns(c);
    server[0] = 0;
    if (!n || !n->windows) {
        snprintf(server, K8S_ADDR, "%s", dns ? c->dns_ip : "");
        if (!server[0])
            snprintf(why, why_size, "no cluster DNS (kube-dns in kube-system, at %s)", c->dns_ip);
        return server[0] ? 0 : -1;
    }
    if (c->now_ms < p->dns_ready_ms) {
        snprintf(why, why_size, "pod %s has no DNS server yet: its DNS configuration is written "
                                "%llu ms after the container starts (dockershim)",
                 p->name, (unsigned long long)(p->dns_ready_ms - c->now_ms));
        return -1;
    }
    snprintf(server, K8S_ADDR, "%s", p->dns_server);
    if (!server[0])
        snprintf(why, why_size, "pod %s's HNS endpoint has no Dns.ServerList", p->name);
    return server[0] ? 0 : -1;
}

/* The node's negative-cache lifetime for pod p's DNS client (0 = none). */
static uint64_t negative_ttl(k8s_cluster *c, const k8s_pod *p)
{
    const k8s_node *n = k8s_node_named(c, p->node);
    return n && n->windows ? n->dns_negative_cache_ms : 0;
}

int k8s_pod_dns_failure_cached(k8s_cluster *c, const k8s_pod *p, const char *name,
                               uint64_t *until_ms)
{
    if (!negative_ttl(c, p))
        return 0;
    for (size_t i = 0; i < K8S_DNS_FAILED; i++)
        if (p->dns_failed[i].until_ms > c->now_ms && strcmp(p->dns_failed[i].name, name) == 0) {
            *until_ms = p->dns_failed[i].until_ms;
            return 1;
        }
    return 0;
}

void k8s_pod_dns_failed(k8s_cluster *c, k8s_pod *p, const char *name)
{
    uint64_t ttl = negative_ttl(c, p);
    if (!ttl)
        return;
    size_t slot = 0;
    for (size_t i = 0; i < K8S_DNS_FAILED; i++) {
        if (strcmp(p->dns_failed[i].name, name) == 0) {
            slot = i;
            break;
        }
        if (p->dns_failed[i].until_ms < p->dns_failed[slot].until_ms)
            slot = i;
    }
    snprintf(p->dns_failed[slot].name, sizeof p->dns_failed[slot].name, "%s", name);
    p->dns_failed[slot].until_ms = c->now_ms + ttl;
}

void k8s_pod_dns_flush(k8s_pod *p)
{
    memset(p->dns_failed, 0, sizeof p->dns_failed);
}
