/*
 * wirejson.h - the JSON the Windows DLLs need to speak the hnsd protocol.
 *
 * The DLLs are built with mingw-w64, where cJSON is not available, and they
 * never look inside an HNS document: a document travels as one JSON string
 * member of a request ("json", "body") or of a reply ("result", "error",
 * "response", "data"). So they need exactly two things, and this file is both:
 *
 *   - a writer that appends literal text, integers and escaped JSON strings to
 *     a growing buffer (requests are built field by field);
 *   - a strict reader that validates a whole reply once (RFC 8259 grammar,
 *     bounded nesting), then finds members of an object by key, walks arrays,
 *     and turns a string value back into UTF-8 with every escape resolved
 *     (\uXXXX surrogate pairs included; a lone surrogate is refused).
 *
 * Plain C11 with no Windows or POSIX dependency, so the native build tests it
 * (tests/interop/test_wirejson.c) exactly as the DLLs use it.
 */
#ifndef HNSM_WIREJSON_H
#define HNSM_WIREJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing text buffer. Zero-initialise; release with wj_buf_free. Once an
 * allocation fails, `failed` is set and later appends do nothing. */
typedef struct wj_buf {
    char *data;  /* NUL-terminated text, or NULL before the first append */
    size_t len;  /* bytes in data, without the NUL */
    size_t cap;  /* allocated bytes */
    bool failed; /* an allocation failed: the text is incomplete */
} wj_buf;

/* Appends literal text (no escaping). */
void wj_append(wj_buf *b, const char *text);
/* Appends n bytes of literal text. */
void wj_append_n(wj_buf *b, const char *text, size_t n);
/* Appends utf8 as a quoted JSON string: '"' and '\' escaped, control
 * characters as \n, \t... or \u00XX, everything else byte for byte. */
void wj_append_string(wj_buf *b, const char *utf8);
/* Appends a decimal integer. */
void wj_append_int(wj_buf *b, long long value);
/* Appends ,"key":"value" (or "key":"value" when the buffer ends with '{'). */
void wj_append_member_string(wj_buf *b, const char *key, const char *utf8);
/* Appends ,"key":value for an integer, with the same comma rule. */
void wj_append_member_int(wj_buf *b, const char *key, long long value);
/* Hands the text to the caller (malloc'd; NULL when an allocation failed)
 * and empties b. */
char *wj_buf_take(wj_buf *b);
void wj_buf_free(wj_buf *b);

/* What a value is. */
typedef enum wj_type {
    WJ_INVALID = 0,
    WJ_NULL,
    WJ_FALSE,
    WJ_TRUE,
    WJ_NUMBER,
    WJ_STRING,
    WJ_ARRAY,
    WJ_OBJECT
} wj_type;

/* One value inside a validated text: a span, never a copy. */
typedef struct wj_value {
    const char *start; /* first byte of the value */
    size_t len;        /* bytes of the value */
    wj_type type;
} wj_value;

/* Deepest nesting the reader accepts (a reply nests two levels). */
#define WJ_MAX_DEPTH 64

/* Validates text[0..len) as exactly one JSON value surrounded by optional
 * white space, and describes it in *out. False on any syntax error, on
 * nesting deeper than WJ_MAX_DEPTH, or on a NUL byte. Every other function
 * below takes values obtained from here, directly or through wj_member and
 * wj_next. */
bool wj_parse(const char *text, size_t len, wj_value *out);

/* Finds the member named key (compared byte for byte, after unescaping the
 * member name) in object; the first one when a key repeats. False when
 * object is not an object or has no such member. */
bool wj_member(const wj_value *object, const char *key, wj_value *out);

/* Iterates an array: start with *cursor = 0; each call stores the next
 * element in *out and returns true, then false at the end. */
bool wj_next(const wj_value *array, size_t *cursor, wj_value *out);

/* The string value as malloc'd UTF-8 with escapes resolved; NULL when value
 * is not a string, decodes to invalid UTF-8 (a lone surrogate), contains
 * \u0000, or memory runs out. *out_len (optional) receives its length. */
char *wj_string(const wj_value *value, size_t *out_len);

/* The number value as a 64-bit integer (fraction truncated toward zero);
 * false when value is not a number or is out of range. */
bool wj_int(const wj_value *value, int64_t *out);

#endif
