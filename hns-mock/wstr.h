/*
 * wstr.h - conversion between the API's wide strings and UTF-8.
 *
 * The HCN API passes JSON as WCHAR strings: UTF-16 on Windows and under
 * mingw, UTF-32 where wchar_t is 32 bits (Linux, macOS). Everything inside
 * hnsim is UTF-8. Conversion is strict: a lone surrogate, a code point above
 * U+10FFFF or malformed UTF-8 is refused rather than replaced, so that a bad
 * string gets a clear error and never a silently different document.
 */
#ifndef HNSM_WSTR_H
#define HNSM_WSTR_H

#include <hnsmock/wintypes.h>

/* The longest document the API accepts, in UTF-8 bytes (16 MiB). Longer
 * inputs are refused with E_INVALIDARG before any parsing. */
#define HNSM_MAX_DOCUMENT_BYTES (16u * 1024u * 1024u)

enum wstr_status { WSTR_OK = 0, WSTR_INVALID = -1, WSTR_TOO_LONG = -2, WSTR_NOMEM = -3 };

/* Converts the NUL-terminated wide string ws to a malloc'd UTF-8 string.
 * On success stores it in *out (caller frees) and returns WSTR_OK; otherwise
 * returns a negative wstr_status and leaves *out NULL. */
int hnsm__wide_to_utf8(const WCHAR *ws, char **out);

/* Converts UTF-8 s to a wide string allocated with CoTaskMemAlloc (the
 * caller frees it with CoTaskMemFree). Returns NULL on invalid UTF-8 or when
 * out of memory. */
WCHAR *hnsm__utf8_to_wide_cotask(const char *s);



/* True when s[0..len) is well-formed UTF-8 (same rules as above). */
int hnsm__utf8_valid(const char *s, size_t len);

#endif
