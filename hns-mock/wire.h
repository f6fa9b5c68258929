/*
 * wire.h - framing of the hnsd protocol (docs/hnsd-protocol.md): a 4-byte
 * big-endian length, then that many bytes of UTF-8 JSON.
 *
 * The reader accumulates bytes from a stream and hands out whole frames; it
 * refuses a declared length above HNSM_WIRE_MAX_FRAME before buffering it, so
 * a hostile length costs nothing. Shared by the daemon and the client.
 */
#ifndef HNSM_WIRE_H
#define HNSM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define HNSM_WIRE_VERSION 1
#define HNSM_WIRE_MAX_FRAME (17u * 1024u * 1024u)

/* Accumulates stream bytes into frames. Zero-initialise; free with
 * hnsm__wire_reader_free. */
typedef struct hnsm_wire_reader {
    uint8_t *buf;  /* received bytes not yet returned as frames */
    size_t len;    /* bytes in buf */
    size_t cap;    /* allocated size of buf */
} hnsm_wire_reader;

/* Appends n bytes. Returns 0, or -1 when out of memory. */
int hnsm__wire_feed(hnsm_wire_reader *r, const void *data, size_t n);

/* Takes the next complete frame: returns 1 and a malloc'd NUL-terminated copy
 * in *frame (length in *len), 0 when more bytes are needed, or -1 when the
 * declared length exceeds HNSM_WIRE_MAX_FRAME (the stream is then unusable). */
int hnsm__wire_next(hnsm_wire_reader *r, char **frame, size_t *len);

void hnsm__wire_reader_free(hnsm_wire_reader *r);

/* Writes the 4-byte header for a payload of len bytes. */
void hnsm__wire_header(size_t len, uint8_t header[4]);

#endif
