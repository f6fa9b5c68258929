/*
 * linux.c - the Linux side of a mixed cluster, as much as Windows pods
 * need: pod addresses, kube-proxy's service DNAT (ClusterIP and NodePort,
 * iptables mode: a backend chosen per connection) and conntrack, which
 * reverse-translates replies and keeps a connection on its backend.
 *
 * The backend of a new connection is the seeded hash of its 5-tuple, the
 * same function Windows lbnat uses with DistributionType 0, so a walk
 * depends only on the script and the seed. NodePort traffic keeps its
 * client address (externalTrafficPolicy is the scenario's business).
 */
#include "net_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int net_linux_add_pod(net_node *n, const char *ip, const char *name)
{
    net__pod pod = {0};
    if (n->windows || vfp_addr_parse(ip, &pod.ip) != 0)
        return -1;
    snprintf(pod.name, sizeof pod.name, "%s", name ? name : ip);
    if (!net__grow((void **)&n->pods, n->n_pods, sizeof *n->pods))
        return -1;
    n->pods[n->n_pods++] = pod;
    net__addresses_changed(n->cluster);
    return 0;
}

const net__pod *net__linux_pod(const net_node *n, const vfp_addr *ip)
{
    for (size_t i = 0; i < n->n_pods; i++)
        if (vfp_addr_compare(&n->pods[i].ip, ip) == 0)
            return &n->pods[i];
    return NULL;
}

int net_linux_remove_pod(net_node *n, const char *ip)
{
    vfp_addr a;
    if (n->windows || vfp_addr_parse(ip, &a) != 0)
        return -1;
    for (size_t i = 0; i < n->n_pods; i++)
        if (vfp_addr_compare(&n->pods[i].ip, &a) == 0) {
            memmove(&n->pods[i], &n->pods[i + 1], (n->n_pods - i - 1) * sizeof *n->pods);
            n->n_pods--;
            net__addresses_changed(n->cluster);
            return 0;
        }
    return -1;
}

void net_linux_clear_services(net_node *n)
{
    for (size_t i = 0; i < n->n_services; i++)
        free(n->services[i].backends);
    n->n_services = 0;
}

/* "ip:port" into a DIP. */
static int parse_backend(const char *text, vfp_dip *out)
{
    const char *colon = text ? strrchr(text, ':') : NULL;
    char ip[64];
    if (!colon || (size_t)(colon - text) >= sizeof ip)
        return -1;
    memcpy(ip, text, (size_t)(colon - text));
    ip[colon - text] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port == 0 || port > 65535 || vfp_addr_parse(ip, &out->addr) != 0)
        return -1;
    out->port = (uint16_t)port;
    return 0;
}

int net_linux_add_service(net_node *n, const char *ip, uint16_t port, uint8_t proto,
                          const char *const *backends, size_t n_backends)
{
    net__service s = {.port = port, .protocol = proto};
    if (n->windows || (ip && vfp_addr_parse(ip, &s.ip) != 0))
        return -1;
    s.backends = calloc(n_backends ? n_backends : 1, sizeof *s.backends);
    if (!s.backends)
        return -1;
    for (size_t i = 0; i < n_backends; i++)
        if (parse_backend(backends[i], &s.backends[s.n_backends++]) < 0) {
            free(s.backends);
            return -1;
        }
    if (!net__grow((void **)&n->services, n->n_services, sizeof *n->services)) {
        free(s.backends);
        return -1;
    }
    n->services[n->n_services++] = s;
    return 0;
}

static bool same_flow(const vfp_packet *a, const vfp_packet *b)
{
    return a->protocol == b->protocol && a->src_port == b->src_port && a->dst_port == b->dst_port &&
           vfp_addr_compare(&a->src, &b->src) == 0 && vfp_addr_compare(&a->dst, &b->dst) == 0;
}

/* The reply of p: source and destination swapped. */
static vfp_packet reversed(const vfp_packet *p)
{
    vfp_packet r = *p;
    r.src = p->dst;
    r.dst = p->src;
    r.src_port = p->dst_port;
    r.dst_port = p->src_port;
    return r;
}

/* Applies conntrack to p: a later packet of a known connection or its
 * reply. Returns true when p matched. */
static bool conntrack(net_node *n, vfp_packet *p, char *what, size_t size)
{
    for (size_t i = 0; i < n->n_conns; i++) {
        net__conn *c = &n->conns[i];
        vfp_packet back = reversed(&c->translated);
        if (same_flow(p, &c->original)) {
            p->dst = c->translated.dst;
            p->dst_port = c->translated.dst_port;
        } else if (same_flow(p, &back)) {
            p->src = c->original.dst;
            p->src_port = c->original.dst_port;
        } else {
            continue;
        }
        snprintf(what, size, "conntrack");
        return true;
    }
    return false;
}

static const net__service *find_service(const net_node *n, const vfp_packet *p)
{
    for (size_t i = 0; i < n->n_services; i++) {
        const net__service *s = &n->services[i];
        const vfp_addr *front = s->ip.family ? &s->ip : &n->ip;
        if (s->protocol == p->protocol && s->port == p->dst_port &&
            vfp_addr_compare(front, &p->dst) == 0)
            return s;
    }
    return NULL;
}

bool net__linux_nat(net_node *n, vfp_packet *p, bool record, uint64_t seed, char *what,
                    size_t what_size)
{
    vfp_packet before = *p;
    if (conntrack(n, p, what, what_size))
        return !same_flow(&before, p);
    const net__service *s = find_service(n, p);
    if (!s || s->n_backends == 0)
        return false;
    uint64_t words[5] = {p->protocol, p->src.lo, p->src_port, p->dst.lo, p->dst_port};
    const vfp_dip *d = &s->backends[net__hash(seed, words, 5) % s->n_backends];
    char front[VFP_ADDR_TEXT];
    vfp_addr_format(&p->dst, front);
    snprintf(what, what_size, "KUBE-SERVICES %s:%u/%u", front, p->dst_port, p->protocol);
    p->dst = d->addr;
    p->dst_port = d->port;
    if (record && net__grow((void **)&n->conns, n->n_conns, sizeof *n->conns))
        n->conns[n->n_conns++] = (net__conn){before, *p};
    return true;
}

void net__linux_free(net_node *n)
{
    for (size_t i = 0; i < n->n_services; i++)
        free(n->services[i].backends);
    free(n->services);
    free(n->pods);
    free(n->conns);
}
