/*
 * os_update.c - an OS update of the node and what it can do to HNS's
 * persisted store (field-bugs.md E4 (a)).
 *
 * An update installs another HNS and reboots. Usually the new HNS reads the
 * objects the old one persisted (HNS.data) and the reboot rules apply as
 * for any reboot. On some WS2019 updates it could not: every HNS call then
 * answered ERROR_WRONG_DISK ("The wrong diskette is in the drive ...",
 * 0x80070022) until the store was cleared - stop HNS, delete
 * C:\ProgramData\Microsoft\Windows\HNS\HNS.data, start HNS. The store
 * records that state (meta "store_incompatible"), so it survives restarts
 * and reopening, as the file on disk would.
 */
#include "objects.h"

#include "hresult.h"
#include "notify.h"

#include <stdio.h>
#include <string.h>

/* Every table that holds HNS objects (HNS.data). */
static const char *const object_tables[] = {
    "networks",       "endpoints",   "endpoint_ips", "ipam_cursor",     "port_mappings",
    "namespaces",     "loadbalancers", "lb_backends", "lb_frontends",   "sdnroutes",
    "route_endpoints", "guest_network_services", "port_reservations"};

/* Whether the store holds any object the old HNS persisted. */
static HRESULT store_has_objects(hnsm_instance *inst, bool *any)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT EXISTS(SELECT 1 FROM networks) OR "
                                        "EXISTS(SELECT 1 FROM endpoints) OR "
                                        "EXISTS(SELECT 1 FROM loadbalancers) OR "
                                        "EXISTS(SELECT 1 FROM namespaces)");
    if (!st)
        return HNSM_E_FAIL;
    int rc = sqlite3_step(st);
    *any = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? S_OK : hnsm__sql_error(inst, rc);
}

int hnsm_os_update(hnsm_instance *inst, const char *profile, int store_compatible)
{
    hnsm_profile next;
    if (!inst || (profile && !hnsm__profile_lookup(profile, &next)))
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    bool any = false;
    HRESULT hr = hnsm__begin_write(inst);
    if (SUCCEEDED(hr) && !store_compatible)
        hr = store_has_objects(inst, &any);
    if (SUCCEEDED(hr) && profile)
        hr = hnsm__meta_set_text(inst, "profile", next.name);
    if (SUCCEEDED(hr) && any)
        hr = hnsm__meta_set_int(inst, "store_incompatible", 1);
    hr = hnsm__finish(inst, hr);
    if (SUCCEEDED(hr)) {
        if (profile)
            inst->profile = next;
        inst->store_incompatible = inst->store_incompatible || any;
    }
    pthread_mutex_unlock(&inst->lock);
    if (FAILED(hr))
        return HNSM_ESTORE;
    /* The update's reboot: on an unreadable store nothing is rehydrated,
     * and nothing is dropped either - the file stays as it is. */
    if (inst->store_incompatible) { /* the reboot's processes are gone all the same */
        pthread_mutex_lock(&inst->lock);
        hnsm__host_sockets_close_all(inst);
        pthread_mutex_unlock(&inst->lock);
        return 0;
    }
    return hnsm_reboot(inst);
}

int hnsm_clear_store(hnsm_instance *inst)
{
    if (!inst)
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    HRESULT hr = hnsm__begin_write(inst);
    for (size_t i = 0; SUCCEEDED(hr) && i < sizeof object_tables / sizeof object_tables[0]; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "DELETE FROM %s", object_tables[i]);
        hr = sqlite3_exec(inst->db, sql, NULL, NULL, NULL) == SQLITE_OK ? S_OK
                                                                       : hnsm__sql_error(inst, SQLITE_ERROR);
    }
    if (SUCCEEDED(hr))
        hr = hnsm__meta_set_int(inst, "store_incompatible", 0);
    hnsm__events_discard(inst); /* nothing is notified: HNS was stopped */
    hr = hnsm__finish(inst, hr);
    if (SUCCEEDED(hr)) {
        inst->store_incompatible = false;
        hnsm__forget_network_cache(inst);
    }
    pthread_mutex_unlock(&inst->lock);
    return SUCCEEDED(hr) ? 0 : HNSM_ESTORE;
}

HRESULT hnsm__store_readable(const hnsm_instance *inst)
{
    if (!inst->store_incompatible)
        return S_OK;
    return hnsm__detail(HNSM_HRESULT_ERROR_WRONG_DISK,
                        "HNS.data holds objects an older HNS persisted (field-bugs E4); "
                        "clear the store (hnsm_clear_store) to start again");
}
