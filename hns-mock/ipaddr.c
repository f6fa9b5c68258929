/*
 * ipaddr.c - address and prefix arithmetic over 16-byte addresses.
 */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_head[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

bool hnsm__ip_parse(const char *text, hnsm_ip *out)
{
    if (!text || !*text || strlen(text) >= HNSM_IP_TEXT)
        return false;
    memset(out, 0, sizeof *out);
    if (strchr(text, ':')) {
        if (inet_pton(AF_INET6, text, out->b) != 1)
            return false;
        out->family = 6;
        return true;
    }
    if (inet_pton(AF_INET, text, out->b + 12) != 1)
        return false;
    memcpy(out->b, v4_mapped_head, sizeof v4_mapped_head);
    out->family = 4;
    return true;
}

int hnsm__ip_bits(const hnsm_ip *ip) { return ip->family == 4 ? 32 : 128; }

bool hnsm__prefix_parse(const char *text, bool allow_bare, hnsm_prefix *out)
{
    if (!text)
        return false;
    const char *slash = strchr(text, '/');
    char addr[HNSM_IP_TEXT];
    if (!slash) {
        if (!allow_bare || !hnsm__ip_parse(text, &out->addr))
            return false;
        out->length = (uint8_t)hnsm__ip_bits(&out->addr);
        return true;
    }
    size_t n = (size_t)(slash - text);
    if (n == 0 || n >= sizeof addr)
        return false;
    memcpy(addr, text, n);
    addr[n] = '\0';
    if (!hnsm__ip_parse(addr, &out->addr))
        return false;
    const char *len = slash + 1;
    if (!*len || strlen(len) > 3)
        return false;
    int value = 0;
    for (const char *c = len; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        value = value * 10 + (*c - '0');
    }
    if (value > hnsm__ip_bits(&out->addr))
        return false;
    out->length = (uint8_t)value;
    return true;
}

void hnsm__ip_format(const hnsm_ip *ip, char out[HNSM_IP_TEXT])
{
    if (ip->family == 4)
        inet_ntop(AF_INET, ip->b + 12, out, HNSM_IP_TEXT);
    else
        inet_ntop(AF_INET6, ip->b, out, HNSM_IP_TEXT);
}

/* The bit offset inside b[] where the family's address bits start. */
static int family_offset(const hnsm_ip *ip) { return ip->family == 4 ? 96 : 0; }

/* Sets (fill=1) or clears the host bits of ip past prefix length len. */
static void host_bits(hnsm_ip *ip, int len, int fill)
{
    int start = family_offset(ip) + len;
    for (int bit = start; bit < 128; bit++) {
        uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
        if (fill)
            ip->b[bit / 8] |= mask;
        else
            ip->b[bit / 8] &= (uint8_t)~mask;
    }
}

bool hnsm__prefix_contains(const hnsm_prefix *p, const hnsm_ip *ip)
{
    if (p->addr.family != ip->family)
        return false;
    hnsm_ip a = p->addr, b = *ip;
    host_bits(&a, p->length, 0);
    host_bits(&b, p->length, 0);
    return memcmp(a.b, b.b, 16) == 0;
}

bool hnsm__prefix_overlaps(const hnsm_prefix *a, const hnsm_prefix *b)
{
    if (a->addr.family != b->addr.family)
        return false;
    return a->length <= b->length ? hnsm__prefix_contains(a, &b->addr)
                                  : hnsm__prefix_contains(b, &a->addr);
}

void hnsm__prefix_first(const hnsm_prefix *p, hnsm_ip *out)
{
    *out = p->addr;
    host_bits(out, p->length, 0);
}

void hnsm__prefix_last(const hnsm_prefix *p, hnsm_ip *out)
{
    *out = p->addr;
    host_bits(out, p->length, 1);
}

bool hnsm__ip_increment(hnsm_ip *ip)
{
    int stop = family_offset(ip) / 8;
    for (int i = 15; i >= stop; i--) {
        if (++ip->b[i] != 0)
            return true;
    }
    return false;
}

int hnsm__ip_compare(const hnsm_ip *a, const hnsm_ip *b)
{
    int c = memcmp(a->b, b->b, 16);
    /* "::ffff:a.b.c.d" has the bytes of a.b.c.d; the family breaks the tie. */
    return c ? c : (int)a->family - (int)b->family;
}

bool hnsm__ip_is_v4_mapped_v6(const hnsm_ip *ip)
{
    return ip->family == 6 && memcmp(ip->b, v4_mapped_head, sizeof v4_mapped_head) == 0;
}
