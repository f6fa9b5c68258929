/*
 * bcryptprimitives.c - bcryptprimitives.dll for Wine 8: ProcessPrng.
 *
 * The Go runtime from Go 1.22 on imports ProcessPrng from
 * bcryptprimitives.dll, which Wine ships only from 9.0; without it every Go
 * program (CNI plugins, test clients) stops before main (reference
 * wine-interop.md 6). ProcessPrng fills a buffer with random bytes and always
 * succeeds on Windows; here RtlGenRandom (advapi32!SystemFunction036) draws
 * them, in chunks because it takes a ULONG length.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG chunk = len > 0x80000000u ? 0x80000000u : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
