/*
 * hresult.c - lookups over errors.def and the ErrorRecord JSON builder.
 *
 * The record's fields and spacing follow the records real HNS returns: the
 * message ends with a single space, ErrorCode is the HRESULT as an unsigned
 * decimal. No JSON library is needed, so the mingw-built DLLs share it.
 */
#include "hresult.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hresult_row {
    uint32_t value;
    const char *name;
    const char *text;
};

static const struct hresult_row hresult_rows[] = {
#define HNSM_ERROR(name, value, text) {value##u, #name, text},
#include "errors.def"
#undef HNSM_ERROR
};

static const struct hresult_row *hresult_find(HRESULT hr)
{
    for (size_t i = 0; i < sizeof hresult_rows / sizeof hresult_rows[0]; i++)
        if (hresult_rows[i].value == (uint32_t)hr)
            return &hresult_rows[i];
    return NULL;
}

const char *hnsm__hresult_name(HRESULT hr)
{
    const struct hresult_row *row = hresult_find(hr);
    return row ? row->name : NULL;
}

const char *hnsm__hresult_message(HRESULT hr)
{
    const struct hresult_row *row = hresult_find(hr);
    return row ? row->text : "Unknown error.";
}

char *hnsm__error_record(HRESULT hr)
{
    /* The messages of errors.def hold no character JSON would escape (a unit
     * test keeps it so), so the record is written directly; the Windows DLLs
     * share this file and have no JSON library. */
    const char *message = hnsm__hresult_message(hr);
    static const char format[] = "{\"Success\":false,\"Error\":\"%s \",\"ErrorCode\":%lu}";
    size_t size = sizeof format + strlen(message) + 16;
    char *json = malloc(size);
    if (json)
        snprintf(json, size, format, message, (unsigned long)(uint32_t)hr);
    return json;
}
