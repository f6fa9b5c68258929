/*
 * objects.h - the HNS object model: operations on networks, endpoints and
 * namespaces, and their rendering.
 *
 * These functions run inside a transaction opened by exec.c and return an
 * HRESULT with detail recorded on failure. Documents arrive parsed (cJSON);
 * ids are canonical upper-case GUID strings. A create receives the requested
 * id (NULL for GUID_NULL) and writes the id it used to out_id.
 */
#ifndef HNSM_OBJECTS_H
#define HNSM_OBJECTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "instance.h"
#include "jsonx.h"
#include "policy.h"

/* Rendering options taken from a HostComputeQuery. */
typedef struct hnsm_render {
    bool v1;        /* v1 (HNSCall-shaped) output instead of schema 2.x */
    bool detailed;  /* Flags: Detailed */
} hnsm_render;

/* Endpoint State values (hcn-api.md 5.3). */
enum {
    HNSM_EP_UNINITIALIZED = 0,
    HNSM_EP_CREATED = 1,
    HNSM_EP_ATTACHED = 2,
    HNSM_EP_ATTACHED_SHARING = 3,
    HNSM_EP_DETACHED = 4,
    HNSM_EP_DEGRADED = 5,
    HNSM_EP_DESTROYED = 6,
};

/* Endpoint Flags bits. */
#define HNSM_EP_FLAG_REMOTE 1u

/* Networks (network.c) */
HRESULT hnsm__network_create(hnsm_instance *inst, const char *id, const cJSON *doc,
                             char out_id[HNSM_GUID_TEXT]);
HRESULT hnsm__network_modify(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__network_delete(hnsm_instance *inst, const char *id);
HRESULT hnsm__network_exists(hnsm_instance *inst, const char *id);
/* Loads the stored canonical document (caller deletes); HCN_E_NETWORK_NOT_FOUND. */
HRESULT hnsm__network_load(hnsm_instance *inst, const char *id, cJSON **doc);
/* Borrows the network's parsed document (read-only, valid until the next
 * network call on inst); HCN_E_NETWORK_NOT_FOUND when there is none. */
HRESULT hnsm__network_peek(hnsm_instance *inst, const char *id, const cJSON **doc);
HRESULT hnsm__network_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                             cJSON **out);
/* The gateway of a stored subnet: NextHop of its default route, else of its
 * first route; NULL when it has none. */
const char *hnsm__subnet_gateway(const cJSON *subnet);
/* Validates a Dns object (networks and endpoints) into its canonical form
 * (*out; caller deletes): Domain (or the 2018 Suffix), Search, ServerList,
 * Options. Wrong types give the choice's type-error HRESULT. */
HRESULT hnsm__dns_canonical(const hnsm_instance *inst, const cJSON *dns, cJSON **out);
/* The SetPolicy ids of a network's policies (a new array; caller deletes). */
cJSON *hnsm__network_set_policy_ids(const cJSON *network_doc);

/* Endpoints (endpoint.c) */
HRESULT hnsm__endpoint_create(hnsm_instance *inst, const char *network_id, const char *id,
                              const cJSON *doc, char out_id[HNSM_GUID_TEXT]);
HRESULT hnsm__endpoint_modify(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__endpoint_delete(hnsm_instance *inst, const char *id);
HRESULT hnsm__endpoint_exists(hnsm_instance *inst, const char *id);
HRESULT hnsm__endpoint_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                              cJSON **out);
HRESULT hnsm__endpoint_stats(hnsm_instance *inst, const char *id, cJSON **out);
HRESULT hnsm__endpoint_addresses(hnsm_instance *inst, const char *id, cJSON **out);
/* The EndpointStats counters of an endpoint, on every profile (the v1
 * /endpointstats path; hnsm__endpoint_stats gates the v2 call by build). */
HRESULT hnsm__endpoint_counters(hnsm_instance *inst, const char *id, cJSON **out);
/* v1 attach/detach with an EndpointAttachDetachRequest {ContainerId,
 * SystemType Container|VirtualMachine|Host, CompartmentId, VirtualNicName}
 * (hcn-api.md 5.3); raises the endpoint attached/detached notification. */
HRESULT hnsm__endpoint_v1_attach(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__endpoint_v1_detach(hnsm_instance *inst, const char *id, const cJSON *request);
/* Moves an endpoint into (namespace_id) or out of (NULL) a namespace. */
HRESULT hnsm__endpoint_set_namespace(hnsm_instance *inst, const char *id,
                                     const char *namespace_id, int state);

/* Namespaces (namespace.c) */
HRESULT hnsm__namespace_create(hnsm_instance *inst, const char *id, const cJSON *doc,
                               char out_id[HNSM_GUID_TEXT]);
HRESULT hnsm__namespace_modify(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__namespace_delete(hnsm_instance *inst, const char *id);
HRESULT hnsm__namespace_exists(hnsm_instance *inst, const char *id);
HRESULT hnsm__namespace_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                               cJSON **out);

/* Load balancers (loadbalancer.c): HostComputeLoadBalancer in v2, the ELB
 * policy list in v1 (how->v1). */
HRESULT hnsm__lb_create(hnsm_instance *inst, const char *id, const cJSON *doc,
                        char out_id[HNSM_GUID_TEXT]);
HRESULT hnsm__lb_modify(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__lb_delete(hnsm_instance *inst, const char *id);
HRESULT hnsm__lb_exists(hnsm_instance *inst, const char *id);
HRESULT hnsm__lb_render(hnsm_instance *inst, const char *id, const hnsm_render *how, cJSON **out);
/* Removes a load balancer whatever its state, for HNS dropping it on its own
 * (restart, out-of-band delete): unlike hnsm__lb_delete it never refuses a
 * degraded one (choice LB_DELETE_DEGRADED_FAILS is about client deletes). */
HRESULT hnsm__lb_drop(hnsm_instance *inst, const char *id);
/* Reads a HostComputeEndpoints array (NULL = none) into a new array of
 * canonical endpoint ids (*out; caller deletes), in order, each once. Each
 * must exist (HCN_E_ENDPOINT_NOT_FOUND) and keep its switch port
 * (HCN_E_PORT_NOT_FOUND when its State is Destroyed). Shared with routes. */
HRESULT hnsm__endpoint_refs(hnsm_instance *inst, const cJSON *list, cJSON **out);
/* Reads HostComputeNetwork (schema 2.5; ignored by older profiles) into out,
 * "" when absent; the network must exist (HCN_E_NETWORK_NOT_FOUND). */
HRESULT hnsm__network_ref(hnsm_instance *inst, const cJSON *doc, char out[HNSM_GUID_TEXT]);

/* SDN routes (sdnroute.c) */
HRESULT hnsm__route_create(hnsm_instance *inst, const char *id, const cJSON *doc,
                           char out_id[HNSM_GUID_TEXT]);
HRESULT hnsm__route_modify(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__route_delete(hnsm_instance *inst, const char *id);
HRESULT hnsm__route_exists(hnsm_instance *inst, const char *id);
HRESULT hnsm__route_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                           cJSON **out);

/* Guest network services (gns.c) */
HRESULT hnsm__gns_create(hnsm_instance *inst, const char *id, const cJSON *doc,
                         char out_id[HNSM_GUID_TEXT]);
HRESULT hnsm__gns_modify(hnsm_instance *inst, const char *id, const cJSON *request);
HRESULT hnsm__gns_delete(hnsm_instance *inst, const char *id);
HRESULT hnsm__gns_exists(hnsm_instance *inst, const char *id);
HRESULT hnsm__gns_render(hnsm_instance *inst, const char *id, const hnsm_render *how,
                         cJSON **out);

/* ModifySettingRequest (modify.c) */
enum { HNSM_REQ_ADD = 0, HNSM_REQ_REMOVE = 1, HNSM_REQ_UPDATE = 2, HNSM_REQ_REFRESH = 3,
       HNSM_REQ_RESET = 4 };
/* Reads RequestType, ResourceType (against resource_types) and Settings. */
HRESULT hnsm__modify_request(const cJSON *request, const jx_enum_entry *resource_types,
                             int *request_type, int *resource_type, const cJSON **settings);
/* Applies an Add/Remove/Update/Refresh of canonical policies to list (in
 * place), following the POLICY_* choices. */
HRESULT hnsm__apply_policy_request(hnsm_instance *inst, cJSON *list, int request_type,
                                   const cJSON *canonical_policies);

/* Adds the HNS-generated network policies that are due by the virtual
 * clock (network_generated.c). Call with the instance locked, outside a
 * transaction, before serving a call. */
void hnsm__network_generated_settle(hnsm_instance *inst);

/* Forgets the network document kept across calls (lifecycle.c). */
void hnsm__forget_network_cache(hnsm_instance *inst);

/* S_OK, or ERROR_WRONG_DISK when an OS update left a store this HNS cannot
 * read (os_update.c, field-bugs E4). Call with the instance locked. */
HRESULT hnsm__store_readable(const hnsm_instance *inst);

/* What a load-balancer create that failed mid-way leaves (an injected fault
 * with leave_partial, field-bugs A9): the LB of document json stored
 * without its PortMappings. Runs its own transaction; keeps the thread's
 * failure detail. Call with the instance locked. */
void hnsm__lb_leave_partial(hnsm_instance *inst, const char *json);

/* Shared helpers */
/* Ends an operation's transaction: on success commits it and releases the
 * notifications it raised, otherwise rolls back and drops them. Returns the
 * final HRESULT (a failed commit turns success into failure). (exec.c) */
HRESULT hnsm__finish(hnsm_instance *inst, HRESULT hr);
/* Renders any object by kind (the renderers above). */
HRESULT hnsm__render_object(hnsm_instance *inst, hnsm_kind kind, const char *id,
                            const hnsm_render *how, cJSON **out);
/* The HRESULT for a known field whose JSON type is wrong (choice
 * BAD_FIELD_TYPE_HRESULT_INVALIDARG). */
HRESULT hnsm__type_error(const hnsm_instance *inst);
/* Loads doc text into cJSON, E_FAIL with detail when the stored text is corrupt. */
HRESULT hnsm__parse_stored(const char *text, cJSON **out);
/* Private bookkeeping keys in stored documents start with '_'; removes them. */
void hnsm__strip_private(cJSON *doc);
/* Decides the id of a new object: the requested one, else (choice
 * JSON_ID_WHEN_GUID_NULL) a GUID in doc's "ID", else a new one. Fails with
 * the duplicate-id HRESULT when exists() says it is taken. */
HRESULT hnsm__choose_id(hnsm_instance *inst, const char *requested, const cJSON *doc,
                        HRESULT (*exists)(hnsm_instance *, const char *),
                        char out_id[HNSM_GUID_TEXT]);
/* Formats a GUID for output per the GUID_UPPER_CASE choice. */
void hnsm__render_guid(const hnsm_instance *inst, const char *id, char out[HNSM_GUID_TEXT]);
/* The document's "Version" value for this profile: (major << 32) | minor. */
double hnsm__object_version(const hnsm_instance *inst);
/* Adds SchemaVersion {Major, Minor} of the profile to obj. */
void hnsm__add_schema_version(const hnsm_instance *inst, cJSON *obj);

#endif
