/*
 * backend.h - where the wide-string HCN API (hcn_api.c) sends its calls.
 *
 * hcn_api.c checks arguments, converts UTF-16 and hands out handles; this one
 * function runs the operation. In libhnsmock (backend.c) that is hnsd when
 * HNSIM_HNSD is set, else the process's current instance; in the Windows DLLs
 * (win/backend_win.c) it is always hnsd over TCP. Same contract as hnsm_call:
 * on success *result (malloc'd, may be NULL) and a NULL *error_record; on
 * failure the HRESULT and the ErrorRecord (malloc'd). Free with free().
 */
#ifndef HNSM_BACKEND_H
#define HNSM_BACKEND_H

#include <hnsmock/hnsmock.h>

HRESULT hnsm__backend_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                           const char *json, char **result, char **error_record);

#endif
