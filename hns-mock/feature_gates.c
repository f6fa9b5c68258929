/*
 * feature_gates.c - the version ranges of every feature hcsshim gates
 * (hcn/hcnsupport.go, as tabulated in reference hcn-api.md 3).
 */
#include "feature_gates.h"

#include <limits.h>

typedef struct version_range {
    unsigned min_major, min_minor, max_major, max_minor;
} version_range;

#define INF UINT_MAX
#define ANY_FROM(maj, min) {maj, min, INF, INF}

static const struct feature_row {
    const char *name;
    version_range ranges[5];
    int count;
} feature_rows[HNSM_FEATURE_COUNT] = {
    [HNSM_FEATURE_ACL_ADDRESS_LISTS] = {"AclAddressLists", {ANY_FROM(7, 2)}, 1},
    [HNSM_FEATURE_API_V2] = {"V2ApiSupport", {ANY_FROM(9, 2)}, 1},
    [HNSM_FEATURE_REMOTE_SUBNET] = {"RemoteSubnet", {ANY_FROM(9, 2)}, 1},
    [HNSM_FEATURE_HOST_ROUTE] = {"HostRoute", {ANY_FROM(9, 2)}, 1},
    [HNSM_FEATURE_DSR] = {"DSR", {{9, 3, 9, INF}, ANY_FROM(10, 2)}, 2},
    [HNSM_FEATURE_SLASH32_PREFIXES] = {"Slash32EndpointPrefixes", {{9, 3, 9, INF}, ANY_FROM(10, 4)}, 2},
    [HNSM_FEATURE_ACL_PROTOCOL_252] = {"AclSupportForProtocol252", {ANY_FROM(11, 0)}, 1},
    [HNSM_FEATURE_SESSION_AFFINITY] = {"SessionAffinity", {ANY_FROM(12, 0)}, 1},
    [HNSM_FEATURE_IPV6_DUAL_STACK] = {"IPv6DualStack", {ANY_FROM(11, 10)}, 1},
    [HNSM_FEATURE_SET_POLICY] = {"SetPolicy", {ANY_FROM(13, 0)}, 1},
    [HNSM_FEATURE_VXLAN_PORT] = {"VxlanPort", {ANY_FROM(10, 3)}, 1},
    [HNSM_FEATURE_L4_PROXY] = {"L4Proxy",
                               {{9, 5, 9, INF}, {10, 5, 10, INF}, {11, 11, 11, INF},
                                {12, 1, 12, INF}, ANY_FROM(13, 1)},
                               5},
    [HNSM_FEATURE_L4_WFP_PROXY] = {"L4WfpProxy", {ANY_FROM(13, 2)}, 1},
    [HNSM_FEATURE_TIER_ACL] = {"TierAcl", {ANY_FROM(14, 0)}, 1},
    [HNSM_FEATURE_NETWORK_ACL] = {"NetworkACL", {ANY_FROM(15, 0)}, 1},
    [HNSM_FEATURE_NESTED_IP_SET] = {"NestedIpSet", {ANY_FROM(15, 0)}, 1},
    [HNSM_FEATURE_DISABLE_HOST_PORT] = {"DisableHostPort", {ANY_FROM(15, 1)}, 1},
    [HNSM_FEATURE_MODIFY_LOADBALANCER] = {"ModifyLoadbalancer", {ANY_FROM(15, 4)}, 1},
    [HNSM_FEATURE_ACCELNET] = {"Accelnet", {ANY_FROM(15, 4)}, 1},
};

static bool in_range(const version_range *r, unsigned major, unsigned minor)
{
    if (major < r->min_major || major > r->max_major)
        return false;
    if (major == r->min_major && minor < r->min_minor)
        return false;
    if (major == r->max_major && minor > r->max_minor)
        return false;
    return true;
}

bool hnsm__feature(const hnsm_profile *p, hnsm_feature f)
{
    if ((int)f < 0 || f >= HNSM_FEATURE_COUNT)
        return false;
    const struct feature_row *row = &feature_rows[f];
    for (int i = 0; i < row->count; i++)
        if (in_range(&row->ranges[i], p->major, p->minor))
            return true;
    return false;
}

const char *hnsm__feature_name(hnsm_feature f)
{
    return ((int)f >= 0 && f < HNSM_FEATURE_COUNT) ? feature_rows[f].name : "?";
}
