/*
 * vmcompute.c - vmcompute.dll for Windows programs under Wine: HNSCall, the
 * v1 HNS entry point (include/hnsmock/hnscall.h), forwarded to hnsd.
 *
 * Method, path and request go to hnsd as UTF-8 (`hnscall`); the v1 envelope
 * {"Success","Error","ErrorCode","Output"} comes back as the *Response
 * string, UTF-16 from CoTaskMemAlloc, freed by the caller with CoTaskMemFree.
 * As in hns-mock/hnscall.c, logical failures are S_OK with Success:false in
 * the envelope; HNSCall itself fails, with no response, only when the call
 * cannot reach HNS (bad arguments, hnsd unreachable, an injected fault).
 */
#include <hnsmock/hnscall.h>

#include "hnsd_link.h"
#include "hresult.h"
#include "wstr.h"

#include <stdlib.h>

/* Converts a required or optional UTF-16 argument to UTF-8. */
static HRESULT take_wide(PCWSTR ws, char **out)
{
    *out = NULL;
    if (!ws)
        return S_OK;
    switch (hnsm__wide_to_utf8(ws, out)) {
    case WSTR_OK:
        return S_OK;
    case WSTR_NOMEM:
        return HNSM_E_OUTOFMEMORY;
    default:
        return HNSM_E_INVALIDARG;
    }
}

HRESULT WINAPI HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR *Response)
{
    if (!Response)
        return HNSM_E_POINTER;
    *Response = NULL;
    if (!Method || !Path)
        return HNSM_E_INVALIDARG;
    char *method = NULL, *path = NULL, *request = NULL, *reply = NULL;
    HRESULT hr = take_wide(Method, &method);
    if (SUCCEEDED(hr))
        hr = take_wide(Path, &path);
    if (SUCCEEDED(hr))
        hr = take_wide(Request, &request);
    if (SUCCEEDED(hr))
        hr = hnsd_link_hnscall(method, path, request ? request : "", &reply);
    if (SUCCEEDED(hr) && reply && !(*Response = hnsm__utf8_to_wide_cotask(reply)))
        hr = HNSM_E_OUTOFMEMORY;
    free(method);
    free(path);
    free(request);
    free(reply);
    return hr;
}
