/*
 * str_index.h - an index from text keys to positions in an array, for the
 * controller models' lookups by IP, ID or identity (uthash underneath).
 *
 * The models keep their objects in plain arrays, in the order HNS listed
 * them or they were created, because that order decides which one wins
 * when two share a key (a Go map: the last one written). The index keeps,
 * per key, every position added under it in the order added, so a lookup
 * can apply the same rule without scanning the array. Keys are compared
 * exactly; fold the case of IDs before adding or looking up (str_index_fold).
 */
#ifndef HNSIM_K8S_STR_INDEX_H
#define HNSIM_K8S_STR_INDEX_H

#include <stddef.h>

typedef struct str_index_entry str_index_entry;

/* An index; a NULL pointer is the empty index. */
typedef struct str_index {
    str_index_entry *head;
} str_index;

/* Adds position pos under key. Returns 0, or -1 when out of memory. */
int str_index_add(str_index *ix, const char *key, size_t pos);

/* The positions under key, in the order added; *n = 0 and NULL when none. */
const size_t *str_index_find(const str_index *ix, const char *key, size_t *n);

/* Empties the index. */
void str_index_clear(str_index *ix);

/* Copies src into out (size bytes) upper-cased: the key of a GUID. */
void str_index_fold(char *out, size_t size, const char *src);

#endif
