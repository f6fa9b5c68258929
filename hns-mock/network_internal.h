/*
 * network_internal.h - what the network files share. network.c validates,
 * creates, deletes and renders v2; network_v1.c reads and renders the v1
 * (HNSNetwork) shape; network_modify.c applies ModifySettingRequests.
 */
#ifndef HNSM_NETWORK_INTERNAL_H
#define HNSM_NETWORK_INTERNAL_H

#include "ipaddr.h"
#include "macaddr.h"
#include "objects.h"

/* NetworkMode values the model treats specially (hcn-api.md 2.2). */
enum {
    HNSM_MODE_NAT = 0,
    HNSM_MODE_ICS = 1,
    HNSM_MODE_L2BRIDGE = 3,
    HNSM_MODE_L2TUNNEL = 4,
    HNSM_MODE_OVERLAY = 5
};

/* The switch extensions every network reports (v1 Extensions; modify
 * ResourceType Extension). */
typedef struct hnsm_switch_extension {
    const char *id;
    const char *name;
    bool enabled; /* state on a new network */
} hnsm_switch_extension;

#define HNSM_SWITCH_EXTENSION_COUNT 3
extern const hnsm_switch_extension hnsm__switch_extensions[HNSM_SWITCH_EXTENSION_COUNT];

/* True when doc looks like a v1 HNSNetwork rather than a HostComputeNetwork. */
bool hnsm__network_doc_is_v1(const cJSON *doc);

/* Translates a v1 network document into a v2 one (not yet validated). */
HRESULT hnsm__network_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out);

/* Canonicalises one subnet, assigning an ID when it has none. */
HRESULT hnsm__subnet_canonical(hnsm_instance *inst, const cJSON *in, const hnsm_profile *profile,
                               cJSON **out);

/* Refuses subnets that overlap one another anywhere in the IPAMs. */
HRESULT hnsm__subnets_disjoint(const cJSON *ipams);

/* Writes doc back to the network's row. */
HRESULT hnsm__network_save(hnsm_instance *inst, const char *id, const cJSON *doc);

/* How many endpoints network id has. */
HRESULT hnsm__network_endpoint_count(hnsm_instance *inst, const char *id, int64_t *count);

/* The string settings field of the first policy of type in doc, or NULL. */
const char *hnsm__network_policy_setting(const cJSON *doc, const char *type, const char *field);

/* The v1 (HNSNetwork) rendering of a network; count = its endpoints. */
cJSON *hnsm__network_v1_view(hnsm_instance *inst, const char *id, const cJSON *doc, int64_t count,
                             const hnsm_render *how);

/* The policies HNS adds to a new network of mode (network_generated.c):
 * appended to policies, or, with a delay set, kept pending in doc. */
HRESULT hnsm__network_generated(hnsm_instance *inst, int mode, cJSON *policies, cJSON *doc);

#endif
