/*
 * wire.c - length-prefixed frames for the hnsd protocol.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int hnsm__wire_feed(hnsm_wire_reader *r, const void *data, size_t n)
{
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap *= 2;
        uint8_t *bigger = realloc(r->buf, cap);
        if (!bigger)
            return -1;
        r->buf = bigger;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, n);
    r->len += n;
    return 0;
}

int hnsm__wire_next(hnsm_wire_reader *r, char **frame, size_t *len)
{
    *frame = NULL;
    if (r->len < 4)
        return 0;
    size_t n = ((size_t)r->buf[0] << 24) | ((size_t)r->buf[1] << 16) | ((size_t)r->buf[2] << 8) |
               (size_t)r->buf[3];
    if (n > HNSM_WIRE_MAX_FRAME)
        return -1;
    if (r->len < 4 + n)
        return 0;
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, r->buf + 4, n);
    copy[n] = '\0';
    memmove(r->buf, r->buf + 4 + n, r->len - 4 - n);
    r->len -= 4 + n;
    *frame = copy;
    *len = n;
    return 1;
}

void hnsm__wire_reader_free(hnsm_wire_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void hnsm__wire_header(size_t len, uint8_t header[4])
{
    header[0] = (uint8_t)(len >> 24);
    header[1] = (uint8_t)(len >> 16);
    header[2] = (uint8_t)(len >> 8);
    header[3] = (uint8_t)len;
}
