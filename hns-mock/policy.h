/*
 * policy.h - network, endpoint and subnet policies: validation, canonical
 * form, and the v1 <-> v2 shapes.
 *
 * A v2 policy is {"Type": <name>, "Settings": {...}} (hcn-api.md 2.8-2.10).
 * Validation follows HNS: an unknown Type is HCN_E_INVALID_POLICY_TYPE, bad
 * settings are HCN_E_INVALID_POLICY (a PortMapping without an internal port is
 * HCN_E_INVALID_INTERNAL_PORT). The canonical form keeps only the fields HNS
 * knows, with HNS's spelling, in table order, zero values omitted except the
 * fields HNS always emits. v1 policies are flat ({"Type":"NAT","InternalPort"..});
 * hnsim converts them on input and renders them for v1 output, one table
 * driving both directions.
 */
#ifndef HNSM_POLICY_H
#define HNSM_POLICY_H

#include <cjson/cJSON.h>
#include <hnsmock/wintypes.h>

#include "profile.h"

typedef enum hnsm_policy_scope {
    HNSM_POLICY_NETWORK,
    HNSM_POLICY_ENDPOINT,
    HNSM_POLICY_SUBNET
} hnsm_policy_scope;

/* What a policy may refer to while it is validated. */
typedef struct hnsm_policy_context {
    const hnsm_profile *profile;  /* gates schema-versioned types */
    const cJSON *set_policy_ids;  /* array of SetPolicy Id strings ACLs may name, or NULL */
} hnsm_policy_context;

/* Validates one v2 policy and returns its canonical copy in *out (caller
 * deletes). Returns S_OK or the HRESULT, with detail recorded. */
HRESULT hnsm__policy_canonical(hnsm_policy_scope scope, const cJSON *policy,
                               const hnsm_policy_context *ctx, cJSON **out);

/* Validates an array of v2 policies into a new canonical array in *out.
 * NULL input yields an empty array. */
HRESULT hnsm__policies_canonical(hnsm_policy_scope scope, const cJSON *policies,
                                 const hnsm_policy_context *ctx, cJSON **out);

/* Converts one flat v1 policy into a v2 policy (not yet validated).
 * Returns S_OK or HCN_E_INVALID_POLICY_TYPE / HCN_E_INVALID_POLICY. */
HRESULT hnsm__policy_from_v1(hnsm_policy_scope scope, const cJSON *v1, cJSON **out);

/* Renders one canonical v2 policy in its flat v1 shape. */
cJSON *hnsm__policy_to_v1(hnsm_policy_scope scope, const cJSON *v2);

/* The canonical Type name of a policy object, or NULL. */
const char *hnsm__policy_type(const cJSON *policy);

/* Whether a list of {Type, Settings} policies holds one of type. */
bool hnsm__policies_have_type(const cJSON *policies, const char *type);

#endif
