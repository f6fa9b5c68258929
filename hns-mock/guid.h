/*
 * guid.h - GUID text forms and the seeded generator of ids.
 *
 * hnsim keeps GUIDs as their 36-character text in upper case, the form HNS
 * returns (reference consumers.md 8). Parsing accepts either case, with or
 * without braces. New ids come from a deterministic generator: the store's
 * seed and a counter kept in the store, so the same seed and the same calls
 * give the same ids, and two processes sharing a store never repeat one.
 */
#ifndef HNSM_GUID_H
#define HNSM_GUID_H

#include <hnsmock/wintypes.h>
#include <stdbool.h>

#define HNSM_GUID_TEXT 37 /* 36 characters and the NUL */

/* Formats g as "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" into out. */
void hnsm__guid_format(const GUID *g, char out[HNSM_GUID_TEXT]);

/* Parses text (36 characters, or 38 with braces; hex of either case) into g.
 * Returns true on success. */
bool hnsm__guid_parse(const char *text, GUID *g);

/* Rewrites a GUID string into canonical upper case; false if not a GUID. */
bool hnsm__guid_canonical(const char *text, char out[HNSM_GUID_TEXT]);

/* True when g is all zeroes (GUID_NULL). */
bool hnsm__guid_is_null(const GUID *g);

/* The n-th GUID of the stream seeded by seed: a version-4 layout whose bits
 * come from a splitmix64 mix of (seed, n). */
void hnsm__guid_generate(uint64_t seed, uint64_t n, GUID *out);

/* A 64-bit value mixed from (seed, n), for MAC ranges and other seeded picks. */
uint64_t hnsm__mix64(uint64_t seed, uint64_t n);

#endif
