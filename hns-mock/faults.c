/* faults.c - PLACEHOLDER being replaced by its implementation (issue 3). */
#include "faults.h"

#include "instance.h"

static const char *const api_names[HNSM_KIND_COUNT][HNSM_OP_COUNT] = {
    [HNSM_NETWORK] = {"HcnEnumerateNetworks", "HcnCreateNetwork", "HcnOpenNetwork",
                      "HcnModifyNetwork", "HcnQueryNetworkProperties", "HcnDeleteNetwork", NULL,
                      NULL},
    [HNSM_ENDPOINT] = {"HcnEnumerateEndpoints", "HcnCreateEndpoint", "HcnOpenEndpoint",
                       "HcnModifyEndpoint", "HcnQueryEndpointProperties", "HcnDeleteEndpoint",
                       "HcnQueryEndpointStats", "HcnQueryEndpointAddresses"},
    [HNSM_NAMESPACE] = {"HcnEnumerateNamespaces", "HcnCreateNamespace", "HcnOpenNamespace",
                        "HcnModifyNamespace", "HcnQueryNamespaceProperties",
                        "HcnDeleteNamespace", NULL, NULL},
    [HNSM_LOADBALANCER] = {"HcnEnumerateLoadBalancers", "HcnCreateLoadBalancer",
                           "HcnOpenLoadBalancer", "HcnModifyLoadBalancer",
                           "HcnQueryLoadBalancerProperties", "HcnDeleteLoadBalancer", NULL, NULL},
    [HNSM_SDNROUTE] = {"HcnEnumerateSdnRoutes", "HcnCreateSdnRoute", "HcnOpenSdnRoute",
                       "HcnModifySdnRoute", "HcnQuerySdnRouteProperties", "HcnDeleteSdnRoute",
                       NULL, NULL},
    [HNSM_GUESTNETWORKSERVICE] = {"HcnEnumerateGuestNetworkServices",
                                  "HcnCreateGuestNetworkService", "HcnOpenGuestNetworkService",
                                  "HcnModifyGuestNetworkService",
                                  "HcnQueryGuestNetworkServiceProperties",
                                  "HcnDeleteGuestNetworkService", NULL, NULL},
};

const char *hnsm__api_name(hnsm_kind kind, hnsm_op op)
{
    if ((int)kind < 0 || kind >= HNSM_KIND_COUNT || (int)op < 0 || op >= HNSM_OP_COUNT ||
        !api_names[kind][op])
        return "HcnUnknown";
    return api_names[kind][op];
}

HRESULT hnsm__fault_check(hnsm_instance *inst, const char *api)
{
    (void)inst, (void)api;
    return S_OK;
}

void hnsm__latency_charge(hnsm_instance *inst, const char *api) { (void)inst, (void)api; }

void hnsm__faults_free(hnsm_instance *inst) { (void)inst; }
