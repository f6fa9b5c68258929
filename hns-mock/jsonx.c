/*
 * jsonx.c - typed, HNS-tolerant readers and canonical writers over cJSON.
 */
#include "jsonx.h"

#include "hresult.h"
#include "wstr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* True when a JSON string escape \u0000 occurs: cJSON would cut the string
 * there, silently changing the document. Backslashes only occur inside
 * strings, so following escapes pair by pair is exact. */
static bool has_escaped_nul(const char *text, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] != '\\')
            continue;
        if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
            return true;
        i++; /* skip the escaped character */
    }
    return false;
}

HRESULT jx_parse_object(const char *text, size_t len, cJSON **out)
{
    *out = NULL;
    if (len > HNSM_MAX_DOCUMENT_BYTES)
        return hnsm__detail(HNSM_E_INVALIDARG, "document larger than %u bytes",
                            HNSM_MAX_DOCUMENT_BYTES);
    if (!hnsm__utf8_valid(text, len))
        return hnsm__detail(HNSM_HCN_E_INVALID_JSON, "document is not valid UTF-8");
    if (memchr(text, '\0', len) || has_escaped_nul(text, len))
        return hnsm__detail(HNSM_HCN_E_INVALID_JSON, "document contains a NUL character");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root)
        return hnsm__detail(HNSM_HCN_E_INVALID_JSON, "malformed JSON near byte %ld",
                            end ? (long)(end - text) : 0L);
    /* Trailing garbage other than white space is malformed too. */
    for (const char *p = end; p && p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(root);
            return hnsm__detail(HNSM_HCN_E_INVALID_JSON, "trailing data after the document");
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return hnsm__detail(HNSM_HCN_E_INVALID_JSON, "the document is not a JSON object");
    }
    *out = root;
    return S_OK;
}

/* Looks a key up, treating JSON null as absent (Go clients send null for
 * empty slices and pointers). */
static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem(obj, key);
    return (item && !cJSON_IsNull(item)) ? item : NULL;
}

HRESULT jx_string(const cJSON *obj, const char *key, HRESULT bad_hr, const char **out)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return S_OK;
    if (!cJSON_IsString(item))
        return hnsm__detail(bad_hr, "%s must be a string", key);
    *out = item->valuestring;
    return S_OK;
}

HRESULT jx_uint(const cJSON *obj, const char *key, uint64_t max, HRESULT bad_hr, uint64_t *out)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return S_OK;
    double v = item->valuedouble;
    if (!cJSON_IsNumber(item) || v < 0 || v != floor(v) || v > (double)max)
        return hnsm__detail(bad_hr, "%s must be a whole number from 0 to %llu", key,
                            (unsigned long long)max);
    *out = (uint64_t)v;
    return S_OK;
}

HRESULT jx_bool(const cJSON *obj, const char *key, HRESULT bad_hr, bool *out)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return S_OK;
    if (!cJSON_IsBool(item))
        return hnsm__detail(bad_hr, "%s must be true or false", key);
    *out = cJSON_IsTrue(item);
    return S_OK;
}

bool jx_enum_value(const cJSON *item, const jx_enum_entry *table, int *out)
{
    for (const jx_enum_entry *e = table; e->name; e++) {
        if (cJSON_IsString(item) && strcasecmp(item->valuestring, e->name) == 0) {
            *out = e->value;
            return true;
        }
        if (cJSON_IsNumber(item) && item->valuedouble == (double)e->value) {
            *out = e->value;
            return true;
        }
    }
    return false;
}

HRESULT jx_enum(const cJSON *obj, const char *key, const jx_enum_entry *table, HRESULT bad_hr,
                int *out)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return S_OK;
    /* An empty string means "not set" for Go clients that always emit the field. */
    if (cJSON_IsString(item) && item->valuestring[0] == '\0')
        return S_OK;
    if (!jx_enum_value(item, table, out))
        return hnsm__detail(bad_hr, "%s has an unknown value", key);
    return S_OK;
}

const char *jx_enum_name(const jx_enum_entry *table, int value)
{
    for (const jx_enum_entry *e = table; e->name; e++)
        if (e->value == value)
            return e->name;
    return NULL;
}

HRESULT jx_array(const cJSON *obj, const char *key, HRESULT bad_hr, const cJSON **out)
{
    const cJSON *item = field(obj, key);
    *out = NULL;
    if (!item)
        return S_OK;
    if (!cJSON_IsArray(item))
        return hnsm__detail(bad_hr, "%s must be an array", key);
    *out = item;
    return S_OK;
}

HRESULT jx_object(const cJSON *obj, const char *key, HRESULT bad_hr, const cJSON **out)
{
    const cJSON *item = field(obj, key);
    *out = NULL;
    if (!item)
        return S_OK;
    if (!cJSON_IsObject(item))
        return hnsm__detail(bad_hr, "%s must be an object", key);
    *out = item;
    return S_OK;
}

void jx_put_string(cJSON *obj, const char *key, const char *value)
{
    if (value && *value)
        cJSON_AddStringToObject(obj, key, value);
}

void jx_put_uint(cJSON *obj, const char *key, uint64_t value)
{
    if (value)
        cJSON_AddNumberToObject(obj, key, (double)value);
}

void jx_put_bool(cJSON *obj, const char *key, bool value)
{
    if (value)
        cJSON_AddBoolToObject(obj, key, 1);
}

void jx_move(cJSON *dst, cJSON *src, const char *key)
{
    cJSON *item = cJSON_DetachItemFromObject(src, key);
    if (item)
        cJSON_AddItemToObject(dst, key, item);
}

char *jx_print(const cJSON *obj) { return cJSON_PrintUnformatted(obj); }

bool jx_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a) && cJSON_IsString(b))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsBool(a) && cJSON_IsBool(b))
        return cJSON_IsTrue(a) == cJSON_IsTrue(b);
    if (cJSON_IsNull(a) && cJSON_IsNull(b))
        return true;
    if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        for (const cJSON *x = a->child, *y = b->child; x; x = x->next, y = y->next)
            if (!jx_equal(x, y))
                return false;
        return true;
    }
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return false;
        for (const cJSON *x = a->child; x; x = x->next)
            if (!jx_equal(x, cJSON_GetObjectItem(b, x->string)))
                return false;
        return true;
    }
    return false;
}
