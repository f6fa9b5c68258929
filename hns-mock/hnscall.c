/*
 * hnscall.c - the v1 API, HNSCall(Method, Path, Request, &Response).
 *
 * Every answer is the v1 envelope {"Success":..,"Error":..,"Output":..}
 * (hcn-api.md 5.1): logical failures return S_OK with Success:false and the
 * message, as on Windows. The globals paths are served here; the object paths
 * answer E_NOTIMPL until the v1 views of the object model are wired in.
 */
#include <hnsmock/hnscall.h>
#include <hnsmock/hnsmock.h>

#include "hresult.h"
#include "instance.h"
#include "jsonx.h"
#include "wstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Builds the envelope. output is consumed. */
static char *envelope(HRESULT hr, cJSON *output)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddBoolToObject(e, "Success", SUCCEEDED(hr));
    if (FAILED(hr)) {
        char text[512];
        snprintf(text, sizeof text, "%s ", hnsm__hresult_message(hr));
        cJSON_AddStringToObject(e, "Error", text);
        cJSON_AddNumberToObject(e, "ErrorCode", (double)(uint32_t)hr);
    }
    if (output)
        cJSON_AddItemToObject(e, "Output", output);
    char *text = jx_print(e);
    cJSON_Delete(e);
    return text;
}

/* The version object of the instance's profile. */
static cJSON *version_object(const hnsm_instance *inst)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddNumberToObject(v, "Major", inst->profile.major);
    cJSON_AddNumberToObject(v, "Minor", inst->profile.minor);
    return v;
}

/* Strips a trailing slash and compares case-insensitively. */
static bool path_is(const char *path, const char *want)
{
    size_t n = strlen(path), w = strlen(want);
    while (n > 1 && path[n - 1] == '/')
        n--;
    return n == w && strncasecmp(path, want, n) == 0;
}

HRESULT hnsm_hnscall(hnsm_instance *inst, const char *method, const char *path,
                     const char *request, char **response)
{
    (void)request;
    if (response)
        *response = NULL;
    hnsm__detail_clear();
    if (!inst || !method || !path || !response)
        return HNSM_E_INVALIDARG;
    HRESULT hr;
    cJSON *output = NULL;
    if (strcasecmp(method, "GET") == 0 && path_is(path, "/globals/version")) {
        output = version_object(inst);
        hr = S_OK;
    } else if (strcasecmp(method, "GET") == 0 && path_is(path, "/globals")) {
        output = cJSON_CreateObject();
        cJSON_AddItemToObject(output, "Version", version_object(inst));
        hr = S_OK;
    } else {
        hr = hnsm__detail(HNSM_E_NOTIMPL, "HNSCall %s %s is not modelled yet", method, path);
    }
    *response = envelope(hr, output);
    if (!*response)
        return HNSM_E_OUTOFMEMORY;
    /* Path-level failures of HNSCall come back in the envelope with S_OK;
     * only an unknown API surface answers with the HRESULT itself. */
    return hr == HNSM_E_NOTIMPL ? hr : S_OK;
}

HRESULT WINAPI HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR *Response)
{
    if (!Response)
        return HNSM_E_POINTER;
    *Response = NULL;
    if (!Method || !Path)
        return HNSM_E_INVALIDARG;
    hnsm_instance *inst = hnsm_current();
    if (!inst)
        return HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE;
    char *method = NULL, *path = NULL, *request = NULL, *reply = NULL;
    HRESULT hr = HNSM_E_INVALIDARG;
    if (hnsm__wide_to_utf8(Method, &method) == WSTR_OK && hnsm__wide_to_utf8(Path, &path) == WSTR_OK &&
        (!Request || hnsm__wide_to_utf8(Request, &request) == WSTR_OK)) {
        hr = hnsm_hnscall(inst, method, path, request, &reply);
        if (reply) {
            *Response = hnsm__utf8_to_wide_cotask(reply);
            if (!*Response)
                hr = HNSM_E_OUTOFMEMORY;
        }
    }
    free(method);
    free(path);
    free(request);
    free(reply);
    return hr;
}
