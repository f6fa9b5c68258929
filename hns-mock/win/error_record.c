/*
 * error_record.c - hresult.h for the Windows DLLs: the names and messages of
 * errors.def and the ErrorRecord JSON, written with wirejson instead of
 * cJSON (which mingw builds do not have).
 *
 * The DLLs build a record only for failures decided on the client side (a
 * NULL pointer, a stale handle, hnsd unreachable); failures of the model
 * arrive from hnsd with the record hns-mock/hresult.c wrote. Both produce the
 * same bytes: {"Success":false,"Error":"<message> ","ErrorCode":<unsigned>}
 * (reference hcn-api.md 1.8).
 */
#include "hresult.h"

#include "wirejson.h"

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
    const char *message = hnsm__hresult_message(hr);
    size_t len = strlen(message);
    char *text = malloc(len + 2);
    if (!text)
        return NULL;
    memcpy(text, message, len);
    memcpy(text + len, " ", 2);
    wj_buf b = {0};
    wj_append(&b, "{\"Success\":false");
    wj_append_member_string(&b, "Error", text);
    wj_append_member_int(&b, "ErrorCode", (long long)(uint32_t)hr);
    wj_append(&b, "}");
    free(text);
    return wj_buf_take(&b);
}
