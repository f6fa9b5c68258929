/*
 * hnsmock/wintypes.h - the few Windows types and macros that ComputeNetwork.h
 * and its callers need, for builds that are not on Windows.
 *
 * On Windows (and under mingw-w64) the real <windows.h> and <objbase.h> are
 * used instead and this header only includes them. Elsewhere it defines
 * HRESULT, GUID, DWORD, WCHAR (= wchar_t: UTF-32 on Linux and macOS, which the
 * library converts), the SAL annotations as nothing, and CoTaskMemAlloc /
 * CoTaskMemFree, which libhnsmock implements with the C heap. A C file written
 * for Windows against the HCN API compiles unchanged on top of this.
 */
#ifndef HNSMOCK_WINTYPES_H
#define HNSMOCK_WINTYPES_H

#if defined(_WIN32)
#include <windows.h>
#include <objbase.h>
#include <stdint.h> /* as below: hnsim's headers rely on the fixed-width types */
#include <string.h>
#else

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t HRESULT;          /* COM status: negative means failure */
typedef uint32_t DWORD;           /* 32 bits on every platform, as on Windows */
typedef uint32_t ULONG;
typedef int32_t LONG;
typedef uint16_t USHORT;
typedef uint16_t WORD;
typedef uint8_t BYTE;
typedef uint8_t BOOLEAN;
typedef int BOOL;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef uint32_t UINT;
typedef void VOID;
typedef void *PVOID;
typedef void *LPVOID;
typedef void *HANDLE;
typedef wchar_t WCHAR;
typedef WCHAR *PWSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *PCWSTR;
typedef const WCHAR *LPCWSTR;
typedef size_t SIZE_T;

/* A GUID with the Windows memory layout. */
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID, IID, CLSID;

#ifdef __cplusplus
#define REFGUID const GUID &
#else
#define REFGUID const GUID *
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* Calling conventions mean nothing off Windows x86. */
#define WINAPI
#define CALLBACK
#define STDAPI HRESULT
#define STDAPI_(t) t
#define DECLSPEC_IMPORT

/* SAL annotations used by ComputeNetwork.h. */
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Out_writes_bytes_all_(n)
#define _Reserved_
#define _Check_return_
#define _Success_(e)

/* Status codes and their tests. */
#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001L)
#define E_POINTER ((HRESULT)0x80004003L)
#define E_FAIL ((HRESULT)0x80004005L)
#define E_HANDLE ((HRESULT)0x80070006L)
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#define E_INVALIDARG ((HRESULT)0x80070057L)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define FACILITY_WIN32 7
#define HRESULT_CODE(hr) ((hr) & 0xFFFF)
#define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1FFF)
#define HRESULT_FROM_WIN32(x) \
    ((HRESULT)(x) <= 0 ? ((HRESULT)(x)) \
                       : ((HRESULT)(((uint32_t)(x) & 0x0000FFFFu) | (FACILITY_WIN32 << 16) | 0x80000000u)))
#define ERROR_SUCCESS 0L
#define ERROR_ALREADY_EXISTS 183L
#define ERROR_NOT_FOUND 1168L

/* The all-zero GUID; HcnCreate* with it lets HNS choose the id. */
static const GUID GUID_NULL = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
#define IsEqualGUID(a, b) (memcmp((a), (b), sizeof(GUID)) == 0)

/* The COM task allocator. Every string the HCN API returns is freed with
 * CoTaskMemFree, exactly as on Windows. */
LPVOID CoTaskMemAlloc(SIZE_T cb);
LPVOID CoTaskMemRealloc(LPVOID pv, SIZE_T cb);
void CoTaskMemFree(LPVOID pv);

#ifdef __cplusplus
}
#endif

#endif /* !_WIN32 */
#endif /* HNSMOCK_WINTYPES_H */
