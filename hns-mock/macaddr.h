/*
 * macaddr.h - MAC addresses as 48-bit numbers and HNS's dashed text form.
 *
 * HNS writes MACs upper case with dashes ("00-15-5D-52-C0-00"); input may use
 * dashes or colons and either case.
 */
#ifndef HNSM_MACADDR_H
#define HNSM_MACADDR_H

#include <stdbool.h>
#include <stdint.h>

#define HNSM_MAC_TEXT 18

/* Parses a MAC into its 48-bit value; false when malformed. */
bool hnsm__mac_parse(const char *text, uint64_t *out);

/* Formats a 48-bit value as "XX-XX-XX-XX-XX-XX". */
void hnsm__mac_format(uint64_t mac, char out[HNSM_MAC_TEXT]);

#endif
