/*
 * guid.c - GUID parsing, formatting and the deterministic id stream.
 */
#include "guid.h"

#include <stdbool.h>

/* Writes the n low hex digits of v (upper case) at out; returns out + n. */
static char *hex_digits(char *out, uint64_t v, int n)
{
    static const char digits[] = "0123456789ABCDEF";
    for (int i = n - 1; i >= 0; i--, v >>= 4)
        out[i] = digits[v & 15];
    return out + n;
}

/* "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X" without printf: every
 * HNS object and call formats GUIDs, and snprintf was a visible share of a
 * cluster's build time. */
void hnsm__guid_format(const GUID *g, char out[HNSM_GUID_TEXT])
{
    char *p = hex_digits(out, g->Data1, 8);
    *p++ = '-';
    p = hex_digits(p, g->Data2, 4);
    *p++ = '-';
    p = hex_digits(p, g->Data3, 4);
    *p++ = '-';
    for (int i = 0; i < 8; i++) {
        if (i == 2)
            *p++ = '-';
        p = hex_digits(p, g->Data4[i], 2);
    }
    *p = 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads n hex digits of s into *v; false on a non-hex character. */
static bool hex_run(const char *s, int n, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return false;
        *v = (*v << 4) | (uint64_t)h;
    }
    return true;
}

bool hnsm__guid_parse(const char *text, GUID *g)
{
    if (!text)
        return false;
    size_t len = strlen(text);
    if (len == 38 && text[0] == '{' && text[37] == '}') {
        text++;
        len = 36;
    }
    if (len != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
        return false;
    uint64_t v;
    if (!hex_run(text, 8, &v))
        return false;
    g->Data1 = (uint32_t)v;
    if (!hex_run(text + 9, 4, &v))
        return false;
    g->Data2 = (uint16_t)v;
    if (!hex_run(text + 14, 4, &v))
        return false;
    g->Data3 = (uint16_t)v;
    static const int offsets[8] = {19, 21, 24, 26, 28, 30, 32, 34};
    for (int i = 0; i < 8; i++) {
        if (!hex_run(text + offsets[i], 2, &v))
            return false;
        g->Data4[i] = (uint8_t)v;
    }
    return true;
}

bool hnsm__guid_canonical(const char *text, char out[HNSM_GUID_TEXT])
{
    /* Fast path for the plain 36-character form every client sends:
     * upper-casing its hex digits gives what parsing and formatting would. */
    int i = 0;
    for (; text && i < 36 && text[i]; i++) {
        char c = text[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')))
            break;
        out[i] = c >= 'a' ? (char)(c - 'a' + 'A') : c;
    }
    if (i == 36 && !text[36]) {
        out[36] = '\0';
        return true;
    }
    GUID g;
    if (!hnsm__guid_parse(text, &g))
        return false;
    hnsm__guid_format(&g, out);
    return true;
}

bool hnsm__guid_is_null(const GUID *g)
{
    static const GUID zero;
    return memcmp(g, &zero, sizeof zero) == 0;
}

uint64_t hnsm__mix64(uint64_t seed, uint64_t n)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (n + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void hnsm__guid_generate(uint64_t seed, uint64_t n, GUID *out)
{
    uint64_t a = hnsm__mix64(seed, 2 * n), b = hnsm__mix64(seed, 2 * n + 1);
    out->Data1 = (uint32_t)(a >> 32);
    out->Data2 = (uint16_t)(a >> 16);
    out->Data3 = (uint16_t)((a & 0x0FFF) | 0x4000); /* version 4 */
    for (int i = 0; i < 8; i++)
        out->Data4[i] = (uint8_t)(b >> (56 - 8 * i));
    out->Data4[0] = (uint8_t)((out->Data4[0] & 0x3F) | 0x80); /* RFC 4122 variant */
}
