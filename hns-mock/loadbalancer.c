/* loadbalancer.c - PLACEHOLDER being replaced by its implementation (issue 3). */
#include "objects.h"

#include "hresult.h"
#include "jsonx.h"

HRESULT hnsm__lb_create(hnsm_instance *inst, const char *id, const cJSON *doc,
                        char out_id[HNSM_GUID_TEXT])
{
    (void)inst, (void)id, (void)doc, (void)out_id;
    return hnsm__detail(HNSM_E_NOTIMPL, "not modelled yet");
}
HRESULT hnsm__lb_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    (void)inst, (void)id, (void)request;
    return hnsm__detail(HNSM_E_NOTIMPL, "not modelled yet");
}
HRESULT hnsm__lb_delete(hnsm_instance *inst, const char *id)
{
    (void)inst, (void)id;
    return hnsm__detail(HNSM_E_NOTIMPL, "not modelled yet");
}
HRESULT hnsm__lb_exists(hnsm_instance *inst, const char *id)
{
    (void)inst, (void)id;
    return hnsm__detail(HNSM_E_NOTIMPL, "not modelled yet");
}
HRESULT hnsm__lb_render(hnsm_instance *inst, const char *id, const hnsm_render *how, cJSON **out)
{
    (void)inst, (void)id, (void)how, (void)out;
    return hnsm__detail(HNSM_E_NOTIMPL, "not modelled yet");
}
