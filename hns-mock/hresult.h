/*
 * hresult.h - named HRESULTs, their messages, and the ErrorRecord JSON.
 *
 * The names come from errors.def, the project's single table of codes. An
 * error record is the JSON HNS writes to *ErrorRecord on failure:
 * {"Success":false,"Error":"<system message> ","ErrorCode":<hr as unsigned>}
 * (reference hcn-api.md 1.8).
 */
#ifndef HNSM_HRESULT_H
#define HNSM_HRESULT_H

#include <hnsmock/wintypes.h>

/* Every code as an enumerator HNSM_<NAME>, so that code never spells a literal. */
enum {
#define HNSM_ERROR(name, value, text) HNSM_##name = (int32_t)(value##u),
#include "errors.def"
#undef HNSM_ERROR
};

/* The symbolic name of hr ("HCN_E_INVALID_IP"), or NULL when hr is unknown. */
const char *hnsm__hresult_name(HRESULT hr);

/* The system message of hr; a generic text for unknown codes. Never NULL. */
const char *hnsm__hresult_message(HRESULT hr);

/* Builds the ErrorRecord JSON for hr, exactly as Windows words it. Returns a
 * malloc'd UTF-8 string the caller frees with free(), or NULL when out of
 * memory. What hnsim knows beyond the code (which field was wrong) is not put
 * in the record, whose text consumers match; it goes to hnsm_last_detail(). */
char *hnsm__error_record(HRESULT hr);

#endif
