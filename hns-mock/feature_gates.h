/*
 * feature_gates.h - what each HNS version supports, exactly as hcsshim gates it.
 *
 * hcsshim derives every supported feature from GET /globals/version
 * (reference hcn-api.md 3). The model refuses what the profile's version would
 * not support, so that a client sees the same answers it would see on that
 * Windows build. A feature is supported when any of its version ranges
 * matches: major within [min.major, max.major], minor >= min.minor when major
 * == min.major, minor <= max.minor when major == max.major.
 */
#ifndef HNSM_FEATURE_GATES_H
#define HNSM_FEATURE_GATES_H

#include <stdbool.h>

#include "profile.h"

typedef enum hnsm_feature {
    HNSM_FEATURE_ACL_ADDRESS_LISTS,   /* >= 7.2 (with AclPortRanges, AclRuleId, no host-rule priority) */
    HNSM_FEATURE_API_V2,              /* >= 9.2 */
    HNSM_FEATURE_REMOTE_SUBNET,       /* >= 9.2 */
    HNSM_FEATURE_HOST_ROUTE,          /* >= 9.2 */
    HNSM_FEATURE_DSR,                 /* 9.3-9.x, >= 10.2 */
    HNSM_FEATURE_SLASH32_PREFIXES,    /* 9.3-9.x, >= 10.4 */
    HNSM_FEATURE_ACL_PROTOCOL_252,    /* >= 11.0 */
    HNSM_FEATURE_SESSION_AFFINITY,    /* >= 12.0 */
    HNSM_FEATURE_IPV6_DUAL_STACK,     /* >= 11.10 */
    HNSM_FEATURE_SET_POLICY,          /* >= 13.0 */
    HNSM_FEATURE_VXLAN_PORT,          /* >= 10.3 */
    HNSM_FEATURE_L4_PROXY,            /* 9.5-9.x, 10.5-10.x, 11.11-11.x, 12.1-12.x, >= 13.1 */
    HNSM_FEATURE_L4_WFP_PROXY,        /* >= 13.2 */
    HNSM_FEATURE_TIER_ACL,            /* >= 14.0 */
    HNSM_FEATURE_NETWORK_ACL,         /* >= 15.0 */
    HNSM_FEATURE_NESTED_IP_SET,       /* >= 15.0 */
    HNSM_FEATURE_DISABLE_HOST_PORT,   /* >= 15.1 */
    HNSM_FEATURE_MODIFY_LOADBALANCER, /* >= 15.4 */
    HNSM_FEATURE_ACCELNET,            /* >= 15.4 */
    HNSM_FEATURE_COUNT
} hnsm_feature;

/* True when the profile's HNS version supports feature f. */
bool hnsm__feature(const hnsm_profile *p, hnsm_feature f);

/* hcsshim's JSON name of f ("DSR", "ModifyLoadbalancer"...), for messages. */
const char *hnsm__feature_name(hnsm_feature f);

#endif
