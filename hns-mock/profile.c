/*
 * profile.c - the table of named profiles and explicit versions.
 */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const hnsm_profile named_profiles[] = {
    {"ws2019", 9, 5, 17763, 2, 0},
    {"ws2022", 13, 3, 20348, 2, 11},
    {"ws2025", 15, 4, 26100, 2, 16},
};

bool hnsm__profile_lookup(const char *name, hnsm_profile *out)
{
    if (!name || !*name)
        name = "ws2022";
    for (size_t i = 0; i < sizeof named_profiles / sizeof named_profiles[0]; i++) {
        if (strcmp(name, named_profiles[i].name) == 0) {
            *out = named_profiles[i];
            return true;
        }
    }
    /* "MAJOR.MINOR": the build and schema follow the nearest named profile below it. */
    unsigned major, minor;
    char extra;
    if (sscanf(name, "%u.%u%c", &major, &minor, &extra) != 2 || major > 1000 || minor > 1000)
        return false;
    hnsm_profile p = named_profiles[0];
    for (size_t i = 0; i < sizeof named_profiles / sizeof named_profiles[0]; i++)
        if (major > named_profiles[i].major ||
            (major == named_profiles[i].major && minor >= named_profiles[i].minor))
            p = named_profiles[i];
    snprintf(p.name, sizeof p.name, "%u.%u", major, minor);
    p.major = major;
    p.minor = minor;
    *out = p;
    return true;
}

bool hnsm__profile_at_least(const hnsm_profile *p, unsigned major, unsigned minor)
{
    return p->major > major || (p->major == major && p->minor >= minor);
}
