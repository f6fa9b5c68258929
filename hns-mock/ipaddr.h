/*
 * ipaddr.h - IPv4/IPv6 addresses and prefixes for IPAM and validation.
 *
 * An address is 16 bytes; IPv4 addresses are kept v4-mapped (::ffff:a.b.c.d)
 * so that one byte order sorts both families and a v4 address never equals a
 * v6 one. Parsing uses inet_pton (POSIX), so only the strict dotted-quad and
 * RFC 4291 text forms are accepted.
 */
#ifndef HNSM_IPADDR_H
#define HNSM_IPADDR_H

#include <stdbool.h>
#include <stdint.h>

#define HNSM_IP_TEXT 46 /* INET6_ADDRSTRLEN */

typedef struct hnsm_ip {
    uint8_t family; /* 4 or 6 */
    uint8_t b[16];  /* network byte order; v4 at b[12..15], v4-mapped */
} hnsm_ip;

typedef struct hnsm_prefix {
    hnsm_ip addr;    /* the address as written (host bits may be set) */
    uint8_t length;  /* 0..32 for IPv4, 0..128 for IPv6 */
} hnsm_prefix;

/* Parses a plain address. Returns false on anything else. */
bool hnsm__ip_parse(const char *text, hnsm_ip *out);

/* Parses "addr/len"; with allow_bare, a plain address means a host prefix
 * (/32 or /128). Returns false on a bad address or length. */
bool hnsm__prefix_parse(const char *text, bool allow_bare, hnsm_prefix *out);

/* Writes the canonical text of ip into out. */
void hnsm__ip_format(const hnsm_ip *ip, char out[HNSM_IP_TEXT]);

/* Bits of the family: 32 or 128. */
int hnsm__ip_bits(const hnsm_ip *ip);

/* True when ip lies inside prefix p (same family, same leading bits). */
bool hnsm__prefix_contains(const hnsm_prefix *p, const hnsm_ip *ip);

/* True when the two prefixes share any address. */
bool hnsm__prefix_overlaps(const hnsm_prefix *a, const hnsm_prefix *b);

/* The first (network) and last (broadcast for IPv4) addresses of p. */
void hnsm__prefix_first(const hnsm_prefix *p, hnsm_ip *out);
void hnsm__prefix_last(const hnsm_prefix *p, hnsm_ip *out);

/* Adds 1 to ip in place; returns false on wrap-around. */
bool hnsm__ip_increment(hnsm_ip *ip);

/* memcmp-order comparison: <0, 0, >0; equal bytes of different families
 * (10.0.0.5 and ::ffff:10.0.0.5) order by family. */
int hnsm__ip_compare(const hnsm_ip *a, const hnsm_ip *b);

/* True for an IPv6 address written in the v4-mapped form (::ffff:a.b.c.d),
 * which shares its 16 bytes with the IPv4 address. */
bool hnsm__ip_is_v4_mapped_v6(const hnsm_ip *ip);

#endif
