/*
 * str_index.c - text key -> array positions, over uthash (str_index.h).
 */
#include "str_index.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct str_index_entry {
    char *key;
    size_t *at;
    size_t n, cap;
    UT_hash_handle hh;
};

int str_index_add(str_index *ix, const char *key, size_t pos)
{
    str_index_entry *e = NULL;
    HASH_FIND_STR(ix->head, key, e);
    if (!e) {
        if (!(e = calloc(1, sizeof *e)) || !(e->key = strdup(key))) {
            free(e);
            return -1;
        }
        HASH_ADD_KEYPTR(hh, ix->head, e->key, strlen(e->key), e);
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1;
        size_t *at = realloc(e->at, cap * sizeof *at);
        if (!at)
            return -1;
        e->at = at;
        e->cap = cap;
    }
    e->at[e->n++] = pos;
    return 0;
}

const size_t *str_index_find(const str_index *ix, const char *key, size_t *n)
{
    str_index_entry *e = NULL;
    if (key)
        HASH_FIND_STR(ix->head, key, e);
    *n = e ? e->n : 0;
    return e ? e->at : NULL;
}

void str_index_clear(str_index *ix)
{
    str_index_entry *e, *tmp;
    HASH_ITER(hh, ix->head, e, tmp)
    {
        HASH_DEL(ix->head, e);
        free(e->key);
        free(e->at);
        free(e);
    }
}

void str_index_fold(char *out, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; i++)
        out[i] = (char)toupper((unsigned char)src[i]);
    if (size)
        out[i] = 0;
}
