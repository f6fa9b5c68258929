/*
 * cotaskmem.c - the COM task allocator for non-Windows builds.
 *
 * Every string the HCN API and HNSCall return is allocated here and freed by
 * the caller with CoTaskMemFree, as on Windows. On Windows the real
 * ole32/combase functions are used and this file compiles to nothing.
 */
#include <hnsmock/wintypes.h>

#if !defined(_WIN32)
#include <stdlib.h>

LPVOID CoTaskMemAlloc(SIZE_T cb) { return malloc(cb ? cb : 1); }

LPVOID CoTaskMemRealloc(LPVOID pv, SIZE_T cb) { return realloc(pv, cb ? cb : 1); }

void CoTaskMemFree(LPVOID pv) { free(pv); }
#endif
