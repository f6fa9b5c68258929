/*
 * hresult.c - lookups over errors.def and the ErrorRecord JSON builder.
 *
 * The record's fields and spacing follow the records real HNS returns: the
 * message ends with a single space, ErrorCode is the HRESULT as an unsigned
 * decimal. cJSON renders the record so that any detail text is escaped.
 */
#include "hresult.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

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
    const char *message = hnsm__hresult_message(hr);
    size_t len = strlen(message) + 2;
    char *text = malloc(len);
    if (!text)
        return NULL;
    snprintf(text, len, "%s ", message);

    cJSON *record = cJSON_CreateObject();
    char *json = NULL;
    if (record && cJSON_AddBoolToObject(record, "Success", 0) &&
        cJSON_AddStringToObject(record, "Error", text) &&
        cJSON_AddNumberToObject(record, "ErrorCode", (double)(uint32_t)hr))
        json = cJSON_PrintUnformatted(record);
    cJSON_Delete(record);
    free(text);
    return json;
}
