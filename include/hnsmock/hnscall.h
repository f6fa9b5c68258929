/*
 * hnsmock/hnscall.h - the legacy HNS v1 entry point, vmcompute.dll!HNSCall.
 *
 * HNSCall(Method, Path, Request, &Response): Method is "GET", "POST" or
 * "DELETE", Path a v1 REST path such as L"/globals/version", Request a JSON
 * string or L"". *Response receives the {"Success":..,"Error":..,"Output":..}
 * envelope, allocated with CoTaskMemAlloc; free it with CoTaskMemFree.
 * Logical failures come back as S_OK with Success:false, as on Windows
 * (reference hcn-api.md 5.1). It reaches the same HNS objects as the HCN API.
 */
#ifndef HNSMOCK_HNSCALL_H
#define HNSMOCK_HNSCALL_H

#include <hnsmock/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

HRESULT WINAPI HNSCall(_In_ PCWSTR Method, _In_ PCWSTR Path, _In_opt_ PCWSTR Request,
                       _Outptr_ PWSTR *Response);

#ifdef __cplusplus
}
#endif

#endif
