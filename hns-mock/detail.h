/*
 * detail.h - why the current call failed, beyond its HRESULT.
 *
 * Thread-local text that a failing operation records ("Name must be a
 * string", "10.0.0.0 is the network address of 10.0.0.0/24") and
 * hnsm_last_detail() hands to the caller. It is not part of Windows' output:
 * ErrorRecords stay exactly as Windows words them (hresult.h). No JSON here,
 * so the Windows DLLs share it.
 */
#ifndef HNSM_DETAIL_H
#define HNSM_DETAIL_H

#include <hnsmock/wintypes.h>

/* Records the reason for the current call's failure; returns hr for chaining. */
HRESULT hnsm__detail(HRESULT hr, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The reason recorded last on this thread ("" when none). */
const char *hnsm__detail_get(void);

/* Forgets it (at the start of every call). */
void hnsm__detail_clear(void);

#endif
