/*
 * backend.c - libhnsmock's backend for the HCN API: hnsd when HNSIM_HNSD is
 * set, otherwise the process's current instance (backend.h).
 */
#include "backend.h"

#include "detail.h"
#include "hresult.h"
#include "remote.h"

HRESULT hnsm__backend_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                           const char *json, char **result, char **error_record)
{
    if (hnsm__remote_enabled())
        return hnsm__remote_call(kind, op, id, parent, json, result, error_record);
    hnsm_instance *inst = hnsm_current();
    if (!inst) {
        HRESULT hr = hnsm__detail(HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE,
                                  "the HNS instance could not be opened");
        if (result)
            *result = NULL;
        if (error_record)
            *error_record = hnsm__error_record(hr);
        return hr;
    }
    return hnsm_call(inst, kind, op, id, parent, json, result, error_record);
}
