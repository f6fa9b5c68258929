/*
 * wirejson.c - the writer and the strict reader of wirejson.h.
 *
 * The reader is a recursive-descent validator over the RFC 8259 grammar that
 * records nothing: wj_parse checks a whole reply once, and the accessors then
 * re-walk spans they know to be valid, so they need no error paths of their
 * own beyond type checks.
 */
#include "wirejson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---------------------------------------------------------------------- */

/* Makes room for n more bytes and the NUL; false (and b->failed) when it cannot. */
static bool reserve(wj_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *bigger = realloc(b->data, cap);
    if (!bigger) {
        b->failed = true;
        return false;
    }
    b->data = bigger;
    b->cap = cap;
    return true;
}

void wj_append_n(wj_buf *b, const char *text, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void wj_append(wj_buf *b, const char *text) { wj_append_n(b, text, strlen(text)); }

void wj_append_string(wj_buf *b, const char *utf8)
{
    static const char hex[] = "0123456789abcdef";
    wj_append_n(b, "\"", 1);
    const unsigned char *s = (const unsigned char *)utf8;
    size_t run = 0; /* bytes of s copied as they are, not yet appended */
    for (size_t i = 0;; i++) {
        unsigned char c = s[i];
        const char *escape = NULL;
        char unicode[7];
        if (c == '"')
            escape = "\\\"";
        else if (c == '\\')
            escape = "\\\\";
        else if (c == '\n')
            escape = "\\n";
        else if (c == '\r')
            escape = "\\r";
        else if (c == '\t')
            escape = "\\t";
        else if (c == '\b')
            escape = "\\b";
        else if (c == '\f')
            escape = "\\f";
        else if (c < 0x20 && c != 0) {
            memcpy(unicode, "\\u00", 4);
            unicode[4] = hex[c >> 4];
            unicode[5] = hex[c & 15];
            unicode[6] = '\0';
            escape = unicode;
        }
        if (escape || c == 0) {
            wj_append_n(b, (const char *)s + i - run, run);
            run = 0;
            if (c == 0)
                break;
            wj_append(b, escape);
        } else {
            run++;
        }
    }
    wj_append_n(b, "\"", 1);
}

void wj_append_int(wj_buf *b, long long value)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", value);
    wj_append(b, text);
}

/* A comma unless the member is the first of its object. */
static void member_key(wj_buf *b, const char *key)
{
    if (b->len && b->data[b->len - 1] != '{')
        wj_append_n(b, ",", 1);
    wj_append_string(b, key);
    wj_append_n(b, ":", 1);
}

void wj_append_member_string(wj_buf *b, const char *key, const char *utf8)
{
    member_key(b, key);
    wj_append_string(b, utf8);
}

void wj_append_member_int(wj_buf *b, const char *key, long long value)
{
    member_key(b, key);
    wj_append_int(b, value);
}

char *wj_buf_take(wj_buf *b)
{
    char *text = b->failed ? NULL : b->data;
    if (b->failed)
        free(b->data);
    else if (!text)
        text = calloc(1, 1);
    memset(b, 0, sizeof *b);
    return text;
}

void wj_buf_free(wj_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- reader ---------------------------------------------------------------------- */

/* A cursor over [p, end). */
typedef struct scan {
    const char *p;
    const char *end;
} scan;

static void skip_space(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at p; -1 when they are not hex. */
static long read_hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Checks a string starting at its opening quote; leaves s after the closing one. */
static bool check_string(scan *s)
{
    s->p++; /* the opening quote */
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false; /* raw control characters (and NUL) are not allowed */
        if (c == '\\') {
            if (s->end - s->p < 2)
                return false;
            char e = s->p[1];
            if (e == 'u') {
                if (read_hex4(s->p + 2, s->end) < 0)
                    return false;
                s->p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return false;
            s->p += 2;
            continue;
        }
        s->p++;
    }
    return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Checks a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool check_number(scan *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (s->p >= s->end || !is_digit(*s->p))
        return false;
    if (*s->p == '0')
        s->p++;
    else
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return false;
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return false;
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    return true;
}

static bool check_literal(scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

/* Checks one value at s (no leading space); describes it in *out. */
static bool check_value(scan *s, int depth, wj_value *out)
{
    if (s->p >= s->end || depth > WJ_MAX_DEPTH)
        return false;
    const char *start = s->p;
    wj_type type;
    bool ok;
    switch (*s->p) {
    case '"':
        type = WJ_STRING;
        ok = check_string(s);
        break;
    case 't':
        type = WJ_TRUE;
        ok = check_literal(s, "true");
        break;
    case 'f':
        type = WJ_FALSE;
        ok = check_literal(s, "false");
        break;
    case 'n':
        type = WJ_NULL;
        ok = check_literal(s, "null");
        break;
    case '{':
    case '[': {
        bool object = *s->p == '{';
        char close = object ? '}' : ']';
        type = object ? WJ_OBJECT : WJ_ARRAY;
        s->p++;
        skip_space(s);
        ok = true;
        if (s->p < s->end && *s->p == close) {
            s->p++;
            break;
        }
        for (;;) {
            wj_value item;
            if (object) {
                if (s->p >= s->end || *s->p != '"' || !check_string(s)) {
                    ok = false;
                    break;
                }
                skip_space(s);
                if (s->p >= s->end || *s->p != ':') {
                    ok = false;
                    break;
                }
                s->p++;
                skip_space(s);
            }
            if (!check_value(s, depth + 1, &item)) {
                ok = false;
                break;
            }
            skip_space(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                skip_space(s);
                continue;
            }
            if (s->p < s->end && *s->p == close) {
                s->p++;
                break;
            }
            ok = false;
            break;
        }
        break;
    }
    default:
        type = WJ_NUMBER;
        ok = check_number(s);
        break;
    }
    if (!ok)
        return false;
    out->start = start;
    out->len = (size_t)(s->p - start);
    out->type = type;
    return true;
}

bool wj_parse(const char *text, size_t len, wj_value *out)
{
    memset(out, 0, sizeof *out);
    if (!text || memchr(text, '\0', len))
        return false;
    scan s = {text, text + len};
    skip_space(&s);
    wj_value v;
    if (!check_value(&s, 0, &v))
        return false;
    skip_space(&s);
    if (s.p != s.end)
        return false;
    *out = v;
    return true;
}

/* Appends code point cp to out as UTF-8; returns the bytes written. */
static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *wj_string(const wj_value *value, size_t *out_len)
{
    if (out_len)
        *out_len = 0;
    if (!value || value->type != WJ_STRING || value->len < 2)
        return NULL;
    const char *p = value->start + 1, *end = value->start + value->len - 1;
    /* Escapes only shrink: "\uXXXX" (6 bytes) is at most 3 bytes of UTF-8,
     * and a pair (12 bytes) 4. */
    char *out = malloc(value->len);
    if (!out)
        return NULL;
    size_t o = 0;
    while (p < end) {
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        char e = p[1];
        p += 2;
        switch (e) {
        case 'b': out[o++] = '\b'; continue;
        case 'f': out[o++] = '\f'; continue;
        case 'n': out[o++] = '\n'; continue;
        case 'r': out[o++] = '\r'; continue;
        case 't': out[o++] = '\t'; continue;
        case 'u': break;
        default: out[o++] = e; continue; /* '"', '\\' and '/' stand for themselves */
        }
        unsigned long cp = (unsigned long)read_hex4(p, end);
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long low = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? read_hex4(p + 2, end) : -1;
            if (low < 0xDC00 || low > 0xDFFF)
                goto invalid;
            cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)low - 0xDC00);
            p += 6;
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            goto invalid;
        }
        o += put_utf8(out + o, cp);
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
invalid:
    free(out);
    return NULL;
}

bool wj_member(const wj_value *object, const char *key, wj_value *out)
{
    if (!object || object->type != WJ_OBJECT)
        return false;
    scan s = {object->start + 1, object->start + object->len - 1};
    size_t key_len = strlen(key);
    for (;;) {
        skip_space(&s);
        if (s.p >= s.end || *s.p != '"')
            return false;
        wj_value name, value;
        check_value(&s, 0, &name);
        skip_space(&s);
        s.p++; /* ':' */
        skip_space(&s);
        check_value(&s, 0, &value);
        size_t name_len;
        char *text = wj_string(&name, &name_len);
        bool match = text && name_len == key_len && memcmp(text, key, key_len) == 0;
        free(text);
        if (match) {
            *out = value;
            return true;
        }
        skip_space(&s);
        if (s.p < s.end && *s.p == ',')
            s.p++;
    }
}

bool wj_next(const wj_value *array, size_t *cursor, wj_value *out)
{
    if (!array || array->type != WJ_ARRAY)
        return false;
    scan s = {array->start + 1 + *cursor, array->start + array->len - 1};
    skip_space(&s);
    if (s.p < s.end && *s.p == ',') {
        s.p++;
        skip_space(&s);
    }
    if (s.p >= s.end)
        return false;
    check_value(&s, 0, out);
    *cursor = (size_t)(s.p - (array->start + 1));
    return true;
}

bool wj_int(const wj_value *value, int64_t *out)
{
    if (!value || value->type != WJ_NUMBER)
        return false;
    const char *p = value->start, *end = value->start + value->len;
    bool negative = *p == '-';
    if (negative)
        p++;
    uint64_t mantissa = 0;
    long exponent = 0; /* decimal exponent applied to mantissa */
    bool fraction = false;
    for (; p < end && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            fraction = true;
            continue;
        }
        unsigned digit = (unsigned)(*p - '0');
        if (mantissa <= (UINT64_MAX - digit) / 10) {
            mantissa = mantissa * 10 + digit;
            if (fraction)
                exponent--;
        } else if (!fraction) {
            exponent++; /* digits past 19 only scale the value */
        }
    }
    if (p < end) { /* the exponent */
        p++;
        bool exp_negative = *p == '-';
        if (*p == '+' || *p == '-')
            p++;
        long e = 0;
        for (; p < end; p++)
            e = e < 100000 ? e * 10 + (*p - '0') : e;
        exponent += exp_negative ? -e : e;
    }
    for (; exponent < 0 && mantissa; exponent++)
        mantissa /= 10;
    for (; exponent > 0 && mantissa; exponent--) {
        if (mantissa > UINT64_MAX / 10)
            return false;
        mantissa *= 10;
    }
    if (negative ? mantissa > (uint64_t)INT64_MAX + 1 : mantissa > (uint64_t)INT64_MAX)
        return false;
    *out = negative ? (int64_t)(0 - mantissa) : (int64_t)mantissa;
    return true;
}
