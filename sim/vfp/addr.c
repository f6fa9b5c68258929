/*
 * addr.c - addresses, ranges, packets and the plain (linear) match test.
 *
 * Addresses are 128-bit numbers with a family so that every address list of
 * an HNS policy ("10.0.0.0/8", "10.0.0.1-10.0.0.9", "fd00::/64") becomes an
 * inclusive numeric range, which is what the classifier cuts into intervals.
 * The text forms are written here rather than with inet_ntop so that output
 * is the same bytes on every libc (RFC 5952: lower case, the longest run of
 * two or more zero groups compressed, the first such run on ties). The HNS
 * list fields ("10.0.0.0/8,10.0.0.21", "80,1000-2000", "6,17") are parsed
 * here too, so that a compiler needs nothing else to fill a vfp_match.
 */
#include "vfp_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vfp_addr vfp_addr_v4(uint32_t address)
{
    vfp_addr a = {.family = VFP_FAMILY_IPV4, .hi = 0, .lo = address};
    return a;
}

vfp_addr vfp_addr_v6(const uint8_t bytes[16])
{
    vfp_addr a = {.family = VFP_FAMILY_IPV6};
    for (int i = 0; i < 8; i++) {
        a.hi = (a.hi << 8) | bytes[i];
        a.lo = (a.lo << 8) | bytes[8 + i];
    }
    return a;
}

/* Parses with inet_pton: IPv4 first (strict dotted quad), then IPv6. */
int vfp_addr_parse(const char *text, vfp_addr *out)
{
    if (!text || !out)
        return VFP_EINVAL;
    uint8_t bytes[16];
    if (inet_pton(AF_INET, text, bytes) == 1) {
        *out = vfp_addr_v4(((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) |
                           ((uint32_t)bytes[2] << 8) | bytes[3]);
        return 0;
    }
    if (inet_pton(AF_INET6, text, bytes) == 1) {
        *out = vfp_addr_v6(bytes);
        return 0;
    }
    return VFP_EPARSE;
}

/* Writes IPv6 text by RFC 5952 rules (see the file comment). */
static void format_v6(const vfp_addr *a, char text[VFP_ADDR_TEXT])
{
    unsigned groups[8];
    for (int i = 0; i < 4; i++) {
        groups[i] = (unsigned)(a->hi >> (48 - 16 * i)) & 0xFFFFu;
        groups[4 + i] = (unsigned)(a->lo >> (48 - 16 * i)) & 0xFFFFu;
    }
    int best = -1, best_len = 1; /* a run must be at least two groups */
    for (int i = 0; i < 8;) {
        if (groups[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && groups[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            n += (size_t)snprintf(text + n, VFP_ADDR_TEXT - n, "::");
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            text[n++] = ':';
        n += (size_t)snprintf(text + n, VFP_ADDR_TEXT - n, "%x", groups[i]);
    }
    text[n] = '\0';
}

void vfp_addr_format(const vfp_addr *a, char text[VFP_ADDR_TEXT])
{
    if (a->family == VFP_FAMILY_IPV4) {
        uint32_t v = (uint32_t)a->lo;
        snprintf(text, VFP_ADDR_TEXT, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xFF, (v >> 8) & 0xFF,
                 v & 0xFF);
    } else if (a->family == VFP_FAMILY_IPV6) {
        format_v6(a, text);
    } else {
        snprintf(text, VFP_ADDR_TEXT, "-");
    }
}

int vfp_addr_compare(const vfp_addr *a, const vfp_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return 0;
}

/* Width in bits of a family's addresses (0 for an unknown family). */
static unsigned family_bits(uint8_t family)
{
    return family == VFP_FAMILY_IPV4 ? 32 : family == VFP_FAMILY_IPV6 ? 128 : 0;
}

/* The mask of the low `host` bits of a 128-bit number, split in halves. */
static void host_mask(unsigned host, uint64_t *hi, uint64_t *lo)
{
    if (host >= 128) {
        *hi = *lo = UINT64_MAX;
    } else if (host >= 64) {
        *lo = UINT64_MAX;
        *hi = host == 64 ? 0 : (UINT64_MAX >> (128 - host));
    } else {
        *hi = 0;
        *lo = host == 0 ? 0 : (UINT64_MAX >> (64 - host));
    }
}

int vfp_range_from_prefix(const vfp_addr *base, unsigned length, vfp_addr_range *out)
{
    unsigned bits = family_bits(base->family);
    if (!bits || length > bits)
        return VFP_EINVAL;
    uint64_t mhi, mlo;
    host_mask(bits - length, &mhi, &mlo);
    out->lo = *base;
    out->lo.hi &= ~mhi;
    out->lo.lo &= ~mlo;
    out->hi = out->lo;
    out->hi.hi |= mhi;
    out->hi.lo |= mlo;
    if (base->family == VFP_FAMILY_IPV4) {
        out->lo.hi = out->hi.hi = 0;
        out->lo.lo &= 0xFFFFFFFFu;
        out->hi.lo &= 0xFFFFFFFFu;
    }
    return 0;
}

/* Copies text[0..n) without surrounding blanks into buf (size cap); 0 when it
 * does not fit. */
static int copy_trimmed(const char *text, size_t n, char *buf, size_t cap)
{
    while (n && (*text == ' ' || *text == '\t')) {
        text++;
        n--;
    }
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= cap)
        return 0;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return 1;
}

int vfp_range_parse(const char *text, vfp_addr_range *out)
{
    if (!text || !out)
        return VFP_EINVAL;
    char a[64], b[64];
    const char *slash = strchr(text, '/'), *dash = strchr(text, '-');
    if (slash) {
        if (!copy_trimmed(text, (size_t)(slash - text), a, sizeof a))
            return VFP_EPARSE;
        char *end;
        unsigned long length = strtoul(slash + 1, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (end == slash + 1 || *end || length > 128)
            return VFP_EPARSE;
        vfp_addr base;
        if (vfp_addr_parse(a, &base))
            return VFP_EPARSE;
        return vfp_range_from_prefix(&base, (unsigned)length, out) ? VFP_EPARSE : 0;
    }
    if (dash) {
        if (!copy_trimmed(text, (size_t)(dash - text), a, sizeof a) ||
            !copy_trimmed(dash + 1, strlen(dash + 1), b, sizeof b))
            return VFP_EPARSE;
        if (vfp_addr_parse(a, &out->lo) || vfp_addr_parse(b, &out->hi))
            return VFP_EPARSE;
        if (out->lo.family != out->hi.family)
            return VFP_EFAMILY;
        return vfp_addr_compare(&out->lo, &out->hi) > 0 ? VFP_ERANGE : 0;
    }
    if (!copy_trimmed(text, strlen(text), a, sizeof a) || vfp_addr_parse(a, &out->lo))
        return VFP_EPARSE;
    out->hi = out->lo;
    return 0;
}

int vfp_range_prefix_length(const vfp_addr_range *r)
{
    unsigned bits = family_bits(r->lo.family);
    if (!bits || r->hi.family != r->lo.family)
        return -1;
    for (unsigned length = 0; length <= bits; length++) {
        vfp_addr_range p;
        vfp_range_from_prefix(&r->lo, length, &p);
        if (!vfp_addr_compare(&p.lo, &r->lo) && !vfp_addr_compare(&p.hi, &r->hi))
            return (int)length;
    }
    return -1;
}

/* Splits text at commas and hands each trimmed item to parse_item, which
 * writes element i of an array of elem-byte elements. Shared by the three
 * list parsers. */
static int parse_list(const char *text, size_t elem, void **out, size_t *n,
                      int (*parse_item)(const char *item, void *element))
{
    *out = NULL;
    *n = 0;
    if (!text)
        return 0;
    size_t items = 1;
    bool blank = true;
    for (const char *p = text; *p; p++) {
        items += *p == ',';
        blank = blank && (*p == ' ' || *p == '\t');
    }
    if (blank)
        return 0;
    char *array = malloc(items * elem);
    if (!array)
        return VFP_ENOMEM;
    const char *start = text;
    for (size_t i = 0; i < items; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        char item[128];
        int err = copy_trimmed(start, len, item, sizeof item) ? parse_item(item, array + i * elem)
                                                              : VFP_EPARSE;
        if (err) {
            free(array);
            return err;
        }
        start = end ? end + 1 : start + len;
    }
    *out = array;
    *n = items;
    return 0;
}

static int parse_addr_item(const char *item, void *element)
{
    return vfp_range_parse(item, element);
}

/* A decimal number up to max with nothing after it; -1 when it is not one. */
static long parse_number(const char *text, long max)
{
    if (*text < '0' || *text > '9')
        return -1;
    char *end;
    long v = strtol(text, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    return *end || v > max ? -1 : v;
}

static int parse_port_item(const char *item, void *element)
{
    vfp_port_range *r = element;
    const char *dash = strchr(item, '-');
    char lo[16];
    if (!dash) {
        long v = parse_number(item, 65535);
        if (v < 0)
            return VFP_EPARSE;
        r->lo = r->hi = (uint16_t)v;
        return 0;
    }
    if (!copy_trimmed(item, (size_t)(dash - item), lo, sizeof lo))
        return VFP_EPARSE;
    const char *hi_text = dash + 1;
    while (*hi_text == ' ' || *hi_text == '\t')
        hi_text++;
    long a = parse_number(lo, 65535), b = parse_number(hi_text, 65535);
    if (a < 0 || b < 0)
        return VFP_EPARSE;
    if (a > b)
        return VFP_ERANGE;
    r->lo = (uint16_t)a;
    r->hi = (uint16_t)b;
    return 0;
}

static int parse_protocol_item(const char *item, void *element)
{
    long v = parse_number(item, VFP_PROTO_ANY);
    if (v < 0)
        return VFP_EPARSE;
    *(uint16_t *)element = (uint16_t)v;
    return 0;
}

int vfp_parse_addr_list(const char *text, vfp_addr_range **out, size_t *n)
{
    if (!out || !n)
        return VFP_EINVAL;
    void *array = NULL;
    int err = parse_list(text, sizeof **out, &array, n, parse_addr_item);
    *out = array;
    return err;
}

int vfp_parse_port_list(const char *text, vfp_port_range **out, size_t *n)
{
    if (!out || !n)
        return VFP_EINVAL;
    void *array = NULL;
    int err = parse_list(text, sizeof **out, &array, n, parse_port_item);
    *out = array;
    return err;
}

int vfp_parse_protocol_list(const char *text, uint16_t **out, size_t *n)
{
    if (!out || !n)
        return VFP_EINVAL;
    void *array = NULL;
    int err = parse_list(text, sizeof **out, &array, n, parse_protocol_item);
    *out = array;
    return err;
}

bool vfp__range_contains(const vfp_addr_range *r, const vfp_addr *a)
{
    return a->family == r->lo.family && vfp_addr_compare(&r->lo, a) <= 0 &&
           vfp_addr_compare(a, &r->hi) <= 0;
}

/* The protocol name used in packet text, or NULL for a bare number. */
static const char *protocol_name(unsigned protocol)
{
    switch (protocol) {
    case VFP_PROTO_ICMP:
        return "icmp";
    case VFP_PROTO_IGMP:
        return "igmp";
    case VFP_PROTO_TCP:
        return "tcp";
    case VFP_PROTO_UDP:
        return "udp";
    case VFP_PROTO_ICMPV6:
        return "icmpv6";
    default:
        return NULL;
    }
}

/* "a:port" or "[v6]:port" into text (size VFP_ADDR_TEXT + 8). */
static void format_endpoint(const vfp_addr *a, uint16_t port, char *text, size_t cap)
{
    char addr[VFP_ADDR_TEXT];
    vfp_addr_format(a, addr);
    if (a->family == VFP_FAMILY_IPV6)
        snprintf(text, cap, "[%s]:%u", addr, (unsigned)port);
    else
        snprintf(text, cap, "%s:%u", addr, (unsigned)port);
}

void vfp_packet_format(const vfp_packet *p, char text[VFP_PACKET_TEXT])
{
    char src[VFP_ADDR_TEXT + 8], dst[VFP_ADDR_TEXT + 8], proto[8];
    format_endpoint(&p->src, p->src_port, src, sizeof src);
    format_endpoint(&p->dst, p->dst_port, dst, sizeof dst);
    const char *name = protocol_name(p->protocol);
    if (name)
        snprintf(proto, sizeof proto, "%s", name);
    else
        snprintf(proto, sizeof proto, "%u", (unsigned)p->protocol);
    snprintf(text, VFP_PACKET_TEXT, "%s %s %s -> %s (%u bytes)",
             p->direction == VFP_DIR_IN ? "in" : "out", proto, src, dst, (unsigned)p->size);
}

void vfp_key_from_packet(const vfp_packet *p, vfp_key *out)
{
    bool in = p->direction == VFP_DIR_IN;
    out->family = p->src.family;
    out->protocol = p->protocol;
    out->local = in ? p->dst : p->src;
    out->remote = in ? p->src : p->dst;
    out->local_port = in ? p->dst_port : p->src_port;
    out->remote_port = in ? p->src_port : p->dst_port;
}

void vfp_tuple_from_packet(const vfp_packet *p, vfp_tuple *out)
{
    vfp_key k;
    vfp_key_from_packet(p, &k);
    out->protocol = k.protocol;
    out->local = k.local;
    out->remote = k.remote;
    out->local_port = k.local_port;
    out->remote_port = k.remote_port;
}

void vfp__packet_set_tuple(vfp_packet *p, const vfp_tuple *t)
{
    if (p->direction == VFP_DIR_IN) {
        p->dst = t->local;
        p->src = t->remote;
        p->dst_port = t->local_port;
        p->src_port = t->remote_port;
    } else {
        p->src = t->local;
        p->dst = t->remote;
        p->src_port = t->local_port;
        p->dst_port = t->remote_port;
    }
}

bool vfp__tuple_equal(const vfp_tuple *a, const vfp_tuple *b)
{
    return a->protocol == b->protocol && a->local_port == b->local_port &&
           a->remote_port == b->remote_port && !vfp_addr_compare(&a->local, &b->local) &&
           !vfp_addr_compare(&a->remote, &b->remote);
}

bool vfp__packet_equal(const vfp_packet *a, const vfp_packet *b)
{
    return a->direction == b->direction && a->protocol == b->protocol &&
           a->src_port == b->src_port && a->dst_port == b->dst_port && a->size == b->size &&
           !vfp_addr_compare(&a->src, &b->src) && !vfp_addr_compare(&a->dst, &b->dst);
}

/* 1 when some range of the list holds a (an empty list holds everything). */
static bool addr_list_holds(const vfp_addr_range *list, size_t n, const vfp_addr *a)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (vfp__range_contains(&list[i], a))
            return true;
    return false;
}

/* 1 when some range of the list holds port (an empty list holds everything). */
static bool port_list_holds(const vfp_port_range *list, size_t n, uint16_t port)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (list[i].lo <= port && port <= list[i].hi)
            return true;
    return false;
}

/* Works on normalized and raw (spec) matches alike: 256 in the protocol list
 * means any protocol. */
int vfp_match_key(const vfp_match *m, const vfp_key *key)
{
    if (m->n_protocols) {
        bool found = false;
        for (size_t i = 0; i < m->n_protocols && !found; i++)
            found = m->protocols[i] == VFP_PROTO_ANY || m->protocols[i] == key->protocol;
        if (!found)
            return 0;
    }
    return addr_list_holds(m->local_addrs, m->n_local_addrs, &key->local) &&
           addr_list_holds(m->remote_addrs, m->n_remote_addrs, &key->remote) &&
           port_list_holds(m->local_ports, m->n_local_ports, key->local_port) &&
           port_list_holds(m->remote_ports, m->n_remote_ports, key->remote_port);
}
