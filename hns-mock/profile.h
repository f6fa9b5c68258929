/*
 * profile.h - HNS version profiles: which Windows build an instance models.
 *
 * A profile fixes what GET /globals/version answers, the schema version the
 * service speaks, and the Windows build it stands for. The HNS versions for
 * the named profiles are choices (the reference gives only 19041 -> 11.10 and
 * 2025-era hosts -> 15.x): ws2019 = 9.5 (V2, RemoteSubnet, HostRoute, DSR and
 * L4Proxy but no SessionAffinity), ws2022 = 13.3 (adds SessionAffinity,
 * IPv6DualStack, SetPolicy, L4WfpProxy), ws2025 = 15.4 (everything hcsshim
 * gates, incl. ModifyLoadbalancer; field-bugs.md A7). See hcn-api.md 3.
 */
#ifndef HNSM_PROFILE_H
#define HNSM_PROFILE_H

#include <stdbool.h>

typedef struct hnsm_profile {
    char name[16];        /* "ws2022", or "MAJOR.MINOR" for an explicit version */
    unsigned major;       /* HNS version reported by /globals/version */
    unsigned minor;
    unsigned build;       /* Windows build number (17763, 20348, 26100) */
    unsigned schema_major; /* HCN schema version the service emits */
    unsigned schema_minor;
} hnsm_profile;

/* Resolves a profile name or "MAJOR.MINOR" into *out; false when unknown. */
bool hnsm__profile_lookup(const char *name, hnsm_profile *out);

/* True when the profile's HNS version is at least major.minor. */
bool hnsm__profile_at_least(const hnsm_profile *p, unsigned major, unsigned minor);

#endif
