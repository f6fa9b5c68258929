/*
 * wstr.c - strict UTF-16/UTF-32 <-> UTF-8 conversion for the API boundary.
 *
 * The width of WCHAR decides the encoding at compile time. Both directions
 * validate every code point; see wstr.h for the rules.
 */
#include "wstr.h"

#include <stdlib.h>

/* Appends code point cp to buf as UTF-8; returns bytes written (1..4). */
static size_t utf8_put(char *buf, uint32_t cp)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads one code point of wide string ws at *i, advancing *i; returns
 * 0xFFFFFFFF for an invalid sequence. */
static uint32_t wide_get(const WCHAR *ws, size_t *i)
{
    uint32_t c = (uint32_t)ws[*i];
    (*i)++;
    if (sizeof(WCHAR) == 2) {
        c &= 0xFFFF;
        if (c >= 0xD800 && c <= 0xDBFF) {
            uint32_t lo = (uint32_t)ws[*i] & 0xFFFF;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return 0xFFFFFFFFu;
            (*i)++;
            return 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (c >= 0xDC00 && c <= 0xDFFF)
            return 0xFFFFFFFFu;
        return c;
    }
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0xFFFFFFFFu;
    return c;
}

int hnsm__wide_to_utf8(const WCHAR *ws, char **out)
{
    *out = NULL;
    size_t n = 0;
    while (ws[n]) {
        if (n > HNSM_MAX_DOCUMENT_BYTES)
            return WSTR_TOO_LONG;
        n++;
    }
    if (n > HNSM_MAX_DOCUMENT_BYTES)
        return WSTR_TOO_LONG;
    char *buf = malloc(n * 4 + 1);
    if (!buf)
        return WSTR_NOMEM;
    size_t i = 0, o = 0;
    while (i < n) {
        uint32_t cp = wide_get(ws, &i);
        if (cp == 0xFFFFFFFFu) {
            free(buf);
            return WSTR_INVALID;
        }
        o += utf8_put(buf + o, cp);
    }
    if (o > HNSM_MAX_DOCUMENT_BYTES) {
        free(buf);
        return WSTR_TOO_LONG;
    }
    buf[o] = '\0';
    *out = buf;
    return WSTR_OK;
}

/* Decodes one UTF-8 code point at s[*i]; returns 0xFFFFFFFF when malformed,
 * overlong, a surrogate or above U+10FFFF. */
static uint32_t utf8_get(const unsigned char *s, size_t *i)
{
    uint32_t c = s[*i];
    size_t extra;
    uint32_t min;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        extra = 1, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        extra = 2, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        extra = 3, min = 0x10000, c &= 0x07;
    } else {
        return 0xFFFFFFFFu;
    }
    for (size_t k = 1; k <= extra; k++) {
        unsigned char b = s[*i + k];
        if ((b & 0xC0) != 0x80)
            return 0xFFFFFFFFu;
        c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0xFFFFFFFFu;
    *i += extra + 1;
    return c;
}

WCHAR *hnsm__utf8_to_wide_cotask(const char *s)
{
    size_t n = strlen(s);
    /* At most one WCHAR per byte, plus a surrogate pair never exceeds 4 bytes. */
    WCHAR *out = CoTaskMemAlloc((n + 1) * sizeof(WCHAR));
    if (!out)
        return NULL;
    size_t i = 0, o = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        uint32_t cp = utf8_get(u, &i);
        if (cp == 0xFFFFFFFFu) {
            CoTaskMemFree(out);
            return NULL;
        }
        if (sizeof(WCHAR) == 2 && cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (WCHAR)(0xD800 + (cp >> 10));
            out[o++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
        } else {
            out[o++] = (WCHAR)cp;
        }
    }
    out[o] = 0;
    return out;
}

int hnsm__utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        /* utf8_get reads continuation bytes; guard against running off the end. */
        size_t need = (u[i] & 0xE0) == 0xC0 ? 2 : (u[i] & 0xF0) == 0xE0 ? 3 : 4;
        if (i + need > len || utf8_get(u, &i) == 0xFFFFFFFFu)
            return 0;
    }
    return 1;
}
