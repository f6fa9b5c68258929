/*
 * jsonx.h - reading HNS JSON documents the way HNS reads them.
 *
 * HNS deserialises documents into typed structures: keys match case-
 * insensitively (cJSON_GetObjectItem already does), enums may be given as
 * their name (any case) or their number, numbers must be whole and in range.
 * Each reader returns S_OK, or an HRESULT after recording what was wrong with
 * hnsm__detail(); absent optional fields leave the output untouched and return
 * S_OK. The writers emit canonical PascalCase keys and omit zero values, as HNS
 * output does (reference hcn-api.md 1.9.4-1.9.5).
 */
#ifndef HNSM_JSONX_H
#define HNSM_JSONX_H

#include <cjson/cJSON.h>

#include "detail.h"
#include <hnsmock/wintypes.h>
#include <stdbool.h>
#include <stdint.h>

/* One named value of an enum, for jx_enum and jx_enum_name. */
typedef struct jx_enum_entry {
    const char *name; /* canonical spelling, as HNS emits it */
    int value;
} jx_enum_entry;



/* Parses a UTF-8 document of len bytes. Malformed JSON, invalid UTF-8 or
 * nesting beyond cJSON's limit give HCN_E_INVALID_JSON; a root that is not
 * an object gives HCN_E_INVALID_JSON too. *out is set on success. */
HRESULT jx_parse_object(const char *text, size_t len, cJSON **out);

/* Field readers. bad_hr is the HRESULT for a present-but-wrong value. */
HRESULT jx_string(const cJSON *obj, const char *key, HRESULT bad_hr, const char **out);
HRESULT jx_uint(const cJSON *obj, const char *key, uint64_t max, HRESULT bad_hr, uint64_t *out);
HRESULT jx_bool(const cJSON *obj, const char *key, HRESULT bad_hr, bool *out);
HRESULT jx_enum(const cJSON *obj, const char *key, const jx_enum_entry *table, HRESULT bad_hr,
                int *out);
/* An array field; absent or null gives *out = NULL. */
HRESULT jx_array(const cJSON *obj, const char *key, HRESULT bad_hr, const cJSON **out);
/* An object field; absent or null gives *out = NULL. */
HRESULT jx_object(const cJSON *obj, const char *key, HRESULT bad_hr, const cJSON **out);
/* Converts a JSON value (string name or number) of an enum; false if unknown. */
bool jx_enum_value(const cJSON *item, const jx_enum_entry *table, int *out);
/* The canonical name of value, or NULL. */
const char *jx_enum_name(const jx_enum_entry *table, int value);

/* Writers that keep output canonical: they do nothing for zero/empty values. */
void jx_put_string(cJSON *obj, const char *key, const char *value);
void jx_put_uint(cJSON *obj, const char *key, uint64_t value);
void jx_put_bool(cJSON *obj, const char *key, bool value);

/* Detaches obj[key] (any case) and re-adds it as key, keeping value; used to
 * canonicalise key spelling. No-op when absent. */
void jx_move(cJSON *dst, cJSON *src, const char *key);

/* Prints obj compactly; malloc'd, caller frees. */
char *jx_print(const cJSON *obj);

/* True when the two values are equal as JSON (object keys compared
 * case-insensitively, numbers numerically, strings exactly). */
bool jx_equal(const cJSON *a, const cJSON *b);

#endif
