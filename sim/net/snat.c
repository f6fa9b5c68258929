/*
 * snat.c - SNAT port pools of a Windows node: one per source address and
 * protocol, ports handed out from the node's range [snat_lo, snat_hi].
 *
 * The allocator is the one net.h describes: the lowest free port after the
 * last one handed out, wrapping once around the range; a port is free when
 * its flow has been idle past the flow's TTL on the cluster's virtual clock
 * (field-bugs B4 assumes "sequential reuse within a pool"). Each held port
 * remembers the vSwitch port that owns it, so the vSwitch can hand a reply
 * addressed to (address, port) to the right container port. What-if walks
 * look without holding.
 */
#include "net_internal.h"

#include <stdlib.h>
#include <string.h>

#define PORTS 65536

static net__pool *find_pool(net_node *n, const vfp_addr *ip, uint8_t protocol)
{
    for (size_t i = 0; i < n->n_pools; i++)
        if (n->pools[i].protocol == protocol && vfp_addr_compare(&n->pools[i].ip, ip) == 0)
            return &n->pools[i];
    return NULL;
}

static net__pool *get_pool(net_node *n, const vfp_addr *ip, uint8_t protocol)
{
    net__pool *p = find_pool(n, ip, protocol);
    if (p)
        return p;
    if (!net__grow((void **)&n->pools, n->n_pools, sizeof *n->pools))
        return NULL;
    p = &n->pools[n->n_pools];
    *p = (net__pool){.ip = *ip, .protocol = protocol, .next = n->snat_lo};
    p->expires = calloc(PORTS, sizeof *p->expires);
    p->owner = calloc(PORTS, sizeof *p->owner);
    if (!p->expires || !p->owner) {
        free(p->expires);
        free(p->owner);
        return NULL;
    }
    n->n_pools++;
    return p;
}

/* The index of owner in the node's owner names, added when new. */
static int32_t owner_index(net_node *n, const char *owner)
{
    for (size_t i = 0; i < n->n_owners; i++)
        if (strcmp(n->owners[i], owner) == 0)
            return (int32_t)i;
    char *copy = strdup(owner);
    if (!copy || !net__grow((void **)&n->owners, n->n_owners, sizeof *n->owners)) {
        free(copy);
        return -1;
    }
    n->owners[n->n_owners] = copy;
    return (int32_t)n->n_owners++;
}

static bool port_free(const net__pool *p, uint32_t port, uint64_t now)
{
    return p->expires[port] == 0 || p->expires[port] <= now;
}

/* Whether port is excluded from node n's range for protocol. */
static bool port_excluded(const net_node *n, uint8_t protocol, uint32_t port)
{
    for (size_t i = 0; i < n->n_snat_excluded; i++)
        if (n->snat_excluded[i].protocol == protocol && n->snat_excluded[i].port == port)
            return true;
    return false;
}

net__snat_result net__snat_take(net_node *n, const vfp_addr *ip, uint8_t protocol,
                                const char *owner, uint32_t ttl, bool hold, uint16_t *port)
{
    net__pool *p = get_pool(n, ip, protocol);
    if (!p)
        return NET__SNAT_NOMEM;
    uint64_t now = n->cluster->now;
    uint32_t lo = n->snat_lo, hi = n->snat_hi, span = hi - lo + 1;
    uint32_t start = p->next < lo || p->next > hi ? lo : p->next;
    for (uint32_t k = 0; k < span; k++) {
        uint32_t candidate = lo + (start - lo + k) % span;
        if (!port_free(p, candidate, now) || port_excluded(n, protocol, candidate))
            continue;
        *port = (uint16_t)candidate;
        if (hold) {
            int32_t o = owner_index(n, owner);
            if (o < 0)
                return NET__SNAT_NOMEM;
            /* +1 keeps a TTL of 0 "held until now", never "free forever". */
            p->expires[candidate] = now + (ttl ? ttl : 1) + 1;
            p->owner[candidate] = o;
            p->next = candidate == hi ? lo : candidate + 1;
        }
        return NET__SNAT_OK;
    }
    return NET__SNAT_EXHAUSTED;
}

void net__snat_touch(net_node *n, const vfp_addr *ip, uint8_t protocol, uint16_t port, uint32_t ttl)
{
    net__pool *p = find_pool(n, ip, protocol);
    if (p && p->expires[port])
        p->expires[port] = n->cluster->now + (ttl ? ttl : 1) + 1;
}

const char *net__snat_owner(net_node *n, const vfp_addr *ip, uint8_t protocol, uint16_t port)
{
    net__pool *p = find_pool(n, ip, protocol);
    if (!p || port_free(p, port, n->cluster->now))
        return NULL;
    return n->owners[p->owner[port]];
}

void net__snat_free(net_node *n)
{
    for (size_t i = 0; i < n->n_pools; i++) {
        free(n->pools[i].expires);
        free(n->pools[i].owner);
    }
    free(n->pools);
    for (size_t i = 0; i < n->n_owners; i++)
        free(n->owners[i]);
    free(n->owners);
}
