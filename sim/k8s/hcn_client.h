/*
 * hcn_client.h - the controller models' way into HNS: the public HCN API
 * (computenetwork.h) and HNSCall, with UTF-8 documents and string IDs.
 *
 * ARCHITECTURE.md rule 2: a controller model may only do what the real
 * component can do through computenetwork.dll and vmcompute.dll. These
 * functions are thin: each one is the open / call / close sequence a Go
 * consumer makes through hcsshim (consumers.md 1.1), with the wide-string
 * and GUID conversions done once here. Every call goes to the instance
 * made current with hcnc_use() (hnsm_use_thread underneath: a node's HNS,
 * for the calling thread).
 *
 * Results and error records are malloc'd UTF-8 (free with free()); on
 * failure *result is NULL and *error (when asked for) holds the
 * ErrorRecord JSON HNS returned.
 */
#ifndef HNSIM_HCN_CLIENT_H
#define HNSIM_HCN_CLIENT_H

#include <cjson/cJSON.h>
#include <computenetwork.h>
#include <hnsmock/hnsmock.h>

/* The HNS objects a controller handles. */
typedef enum hcnc_kind {
    HCNC_NETWORK = 1,
    HCNC_ENDPOINT,
    HCNC_NAMESPACE,
    HCNC_LOADBALANCER,
} hcnc_kind;

/* Makes inst the HNS the next calls go to. */
void hcnc_use(hnsm_instance *inst);

/* Hcn{Create}{Network,Namespace,LoadBalancer}(GUID_NULL, json) or, for an
 * endpoint, HcnOpenNetwork(network_id) + HcnCreateEndpoint. *id receives
 * the new object's ID (queried back, as hcsshim does). */
HRESULT hcnc_create(hcnc_kind kind, const char *network_id, const char *json, char **id,
                    char **error);

/* Hcn{Delete}* by ID. */
HRESULT hcnc_delete(hcnc_kind kind, const char *id, char **error);

/* Open + HcnQuery*Properties(query) + close. query NULL = SchemaVersion 2.0. */
HRESULT hcnc_query(hcnc_kind kind, const char *id, const char *query, char **result,
                   char **error);

/* HcnEnumerate*(query): *result is the JSON array of IDs. */
HRESULT hcnc_enumerate(hcnc_kind kind, const char *query, char **result, char **error);

/* Open + HcnModify*(json) + close. */
HRESULT hcnc_modify(hcnc_kind kind, const char *id, const char *json, char **error);

/* The "Error" text of an ErrorRecord without trailing spaces ("The
 * switch-port was not found."), into out; "" when record has none. */
void hcnc_error_text(const char *record, char *out, size_t size);

/* GetNetworkByName: *id = the first network named name (malloc'd), NULL
 * when there is none; the HRESULT of the enumerate. */
HRESULT hcnc_find_network(const char *name, char **id, char **error);

/* GetHNSNetworkByID (v1 GET /networks/<id>): the network's v1 document
 * (ManagementIP, Subnets, ...) or NULL when HNSCall fails or HNS answers
 * Success:false (caller deletes). */
cJSON *hcnc_v1_network(const char *id);

/* GetEndpointByName's query: *ids = the JSON list of the IDs of the
 * endpoints named name (malloc'd); the HRESULT of the enumerate. */
HRESULT hcnc_find_endpoints(const char *name, char **ids, char **error);

/* HcnModifyNamespace(ns, add/remove endpoint) - the CNI attach/detach. */
HRESULT hcnc_namespace_endpoint(const char *namespace_id, const char *endpoint_id, int add,
                                char **error);

/* HNSCall(method, path, request) of vmcompute.dll: *response is the v1
 * envelope. */
HRESULT hcnc_hnscall(const char *method, const char *path, const char *request, char **response);

#endif
