/*
 * ipam.c - host-local IPAM of a node's pod CIDR, as the CNI plugins
 * delegate to it (consumers.md 3.3: `ipam:{type:host-local, subnet:<node
 * lease>}`).
 *
 * The range is .10 up to the last host address: .1 is the gateway and .2
 * the bridge endpoint or the overlay source VIP (the model keeps .3-.9
 * free as well). Like host-local, an allocation takes the first free
 * address after the last one handed out, wrapping around, so a released
 * address is reused only once the range has come round; an exhausted range
 * is host-local's "no IP addresses available in range set". The records
 * are the plugin's own (files under C:\var\lib\cni\networks), separate from
 * HNS: an address whose DEL failed stays recorded although HNS has no
 * endpoint for it (field-bugs C4).
 */
#include "k8s_internal.h"

#include <stdlib.h>
#include <string.h>

#define IPAM_FIRST_HOST 10u

/* The node's pod CIDR: its first address and the last host number of the
 * range (the one before the broadcast address). */
static int ipam_bounds(const k8s_node *n, uint64_t *base, unsigned *last)
{
    vfp_addr_range r;
    if (vfp_range_parse(n->pod_cidr, &r) != 0 || r.lo.family != VFP_FAMILY_IPV4 ||
        r.hi.lo - r.lo.lo < IPAM_FIRST_HOST + 1 || r.hi.lo - r.lo.lo > 0xffffffu)
        return -1;
    *base = r.lo.lo;
    *last = (unsigned)(r.hi.lo - r.lo.lo - 1);
    return 0;
}

int k8s__ipam_allocate(k8s_node *n, char out[K8S_ADDR])
{
    unsigned last;
    uint64_t base;
    if (ipam_bounds(n, &base, &last) < 0)
        return -1;
    if (!n->ipam_used && !(n->ipam_used = calloc(last + 1, 1)))
        return -1;
    unsigned size = last - IPAM_FIRST_HOST + 1;
    unsigned start = n->next_host >= IPAM_FIRST_HOST && n->next_host <= last
                         ? n->next_host - IPAM_FIRST_HOST + 1
                         : 0;
    for (unsigned k = 0; k < size; k++) {
        unsigned host = IPAM_FIRST_HOST + (start + k) % size;
        if (n->ipam_used[host])
            continue;
        n->ipam_used[host] = 1;
        n->next_host = host;
        return k8s__cidr_host(n->pod_cidr, host, out);
    }
    return -1;
}

void k8s__ipam_release(k8s_node *n, const char *ip)
{
    unsigned last;
    uint64_t base;
    vfp_addr a;
    if (!n->ipam_used || !ip || !*ip || ipam_bounds(n, &base, &last) < 0 ||
        vfp_addr_parse(ip, &a) != 0 || a.family != VFP_FAMILY_IPV4 || a.lo < base ||
        a.lo - base > last)
        return;
    n->ipam_used[a.lo - base] = 0;
}

void k8s__ipam_range(const k8s_node *n, char first[K8S_ADDR], char last_text[K8S_ADDR])
{
    unsigned last;
    uint64_t base;
    first[0] = last_text[0] = 0;
    if (ipam_bounds(n, &base, &last) == 0) {
        k8s__cidr_host(n->pod_cidr, IPAM_FIRST_HOST, first);
        k8s__cidr_host(n->pod_cidr, last, last_text);
    }
}
