/*
 * detail.c - the thread-local failure detail (detail.h).
 */
#include "detail.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char detail_text[512];

HRESULT hnsm__detail(HRESULT hr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail_text, sizeof detail_text, fmt, ap);
    va_end(ap);
    return hr;
}

const char *hnsm__detail_get(void) { return detail_text; }

void hnsm__detail_clear(void) { detail_text[0] = '\0'; }
