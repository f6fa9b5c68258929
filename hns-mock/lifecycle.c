/*
 * lifecycle.c - what survives an HNS service restart, an HNS crash and a node
 * reboot, and objects dropped out of band.
 *
 * Every rule is a row of `lifecycle_rules` below: when it applies, what
 * happens, the reference entry it follows and, where the reference is
 * unsure, the choice (choices.def) that flips it. hnsm_restart and
 * hnsm_reboot run the rows of their event in table order inside one write
 * transaction: the store shows the state before or the state after, never
 * half of it. Rows delete through the model's own delete functions
 * (hnsm__endpoint_delete, hnsm__network_delete, hnsm__namespace_delete,
 * hnsm__lb_drop, hnsm__route_delete, hnsm__gns_delete) so that addresses,
 * port mappings and references are released as a client delete would.
 * Load balancers and routes keep referring to backends a rule removed: they
 * render degraded (State 4, field-bugs A8.4), as loadbalancer.c and
 * sdnroute.c define.
 *
 * What a restart removes is not notified (HNS does not announce objects it
 * failed to rehydrate); subscribers get HcnNotificationServiceDisconnect
 * instead (choice RESTART_NOTIFIES_SERVICE_DISCONNECT), after which their
 * HCN registrations are dead (notify.c). Open handles to removed objects
 * stay valid handles whose calls answer "not found".
 *
 * Beyond the model: field-bugs E1 (the DECAP_IN VFP layer lost when HNS
 * rehydrates) is a dataplane defect for sim/vfp, and E4 (every call failing
 * after an OS update) is a fault rule on "*" (faults.h).
 */
#include <hnsmock/hnsmock.h>

#include <computenetwork.h>

#include "hresult.h"
#include "jsonx.h"
#include "notify.h"
#include "objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The events a rule can apply to. */
enum {
    ON_RESTART = 1u << 0, /* hnsm_restart(HNSM_RESTART_SERVICE) */
    ON_CRASH = 1u << 1,   /* hnsm_restart(HNSM_RESTART_CRASH_WIPE) */
    ON_REBOOT = 1u << 2,  /* hnsm_reboot */
};

/* A rule with no choice behind it (the reference is clear). */
#define NO_CHOICE (-1)

/* NetworkFlags bits (hcn-api.md 2.2). */
#define NETWORK_FLAG_NON_PERSISTENT 8u
#define NETWORK_FLAG_PERSISTENT 16u

/* Namespace type HostDefault (namespace.c's enumeration). */
#define NAMESPACE_TYPE_HOST_DEFAULT 1

/* ---- collecting ids, then deleting ---------------------------------------- */

/* A list of object ids, collected before deleting so that no statement
 * steps over a table while rows leave it. */
typedef struct id_list {
    char (*ids)[HNSM_GUID_TEXT];
    size_t count, capacity;
} id_list;

static void id_list_free(id_list *list)
{
    free(list->ids);
    memset(list, 0, sizeof *list);
}

/* Appends every id the prepared, bound statement st returns (first column)
 * to list, and resets st. */
static HRESULT collect_ids(hnsm_instance *inst, sqlite3_stmt *st, id_list *list)
{
    if (!st)
        return hnsm__detail(HNSM_E_FAIL, "store: statement unavailable");
    HRESULT hr = S_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (list->count == list->capacity) {
            size_t capacity = list->capacity ? list->capacity * 2 : 32;
            void *grown = realloc(list->ids, capacity * sizeof *list->ids);
            if (!grown) {
                hr = HNSM_E_OUTOFMEMORY;
                break;
            }
            list->ids = grown;
            list->capacity = capacity;
        }
        const unsigned char *id = sqlite3_column_text(st, 0);
        snprintf(list->ids[list->count++], HNSM_GUID_TEXT, "%s", id ? (const char *)id : "");
    }
    if (SUCCEEDED(hr) && rc != SQLITE_DONE)
        hr = hnsm__sql_error(inst, rc);
    sqlite3_reset(st);
    return hr;
}

/* Deletes with fn every object the prepared, bound statement st selects. */
static HRESULT delete_selected(hnsm_instance *inst, sqlite3_stmt *st,
                               HRESULT (*fn)(hnsm_instance *, const char *))
{
    id_list list = {0};
    HRESULT hr = collect_ids(inst, st, &list);
    for (size_t i = 0; SUCCEEDED(hr) && i < list.count; i++)
        hr = fn(inst, list.ids[i]);
    id_list_free(&list);
    return hr;
}

/* delete_selected for a statement with one integer parameter ?1. */
static HRESULT delete_each(hnsm_instance *inst, const char *sql, int64_t param,
                           HRESULT (*fn)(hnsm_instance *, const char *))
{
    sqlite3_stmt *st = hnsm__stmt(inst, sql);
    if (st)
        sqlite3_bind_int64(st, 1, param);
    return delete_selected(inst, st, fn);
}

/* Removes an endpoint whatever its attachment: out of its namespace first
 * (so that choice DELETE_ATTACHED_ENDPOINT, which governs client deletes,
 * does not apply to objects HNS itself drops), then the model's delete. */
static HRESULT drop_endpoint(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__endpoint_set_namespace(inst, id, NULL, HNSM_EP_DETACHED);
    return SUCCEEDED(hr) ? hnsm__endpoint_delete(inst, id) : hr;
}

/* Removes a network with its endpoints (whatever DELETE_NETWORK_CASCADES
 * says about client deletes: field-bugs F4, a network takes its endpoints). */
static HRESULT drop_network(hnsm_instance *inst, const char *id)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT id FROM endpoints WHERE network_id = ?1 "
                                        "ORDER BY seq");
    if (st)
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    HRESULT hr = delete_selected(inst, st, drop_endpoint);
    return SUCCEEDED(hr) ? hnsm__network_delete(inst, id) : hr;
}

/* ---- the rules' actions -------------------------------------------------------
 * Each receives the value of the rule's choice (1 for rules without one). */

/* Networks flagged EnableNonPersistent go, with their endpoints. */
static HRESULT drop_non_persistent_networks(hnsm_instance *inst, int value)
{
    (void)value;
    return delete_each(inst, "SELECT id FROM networks WHERE (flags & ?1) != 0 ORDER BY seq",
                       NETWORK_FLAG_NON_PERSISTENT, drop_network);
}

/* Reboot, choice 0: networks without EnablePersistent go too. */
static HRESULT drop_unflagged_networks(hnsm_instance *inst, int value)
{
    if (value)
        return S_OK;
    return delete_each(inst, "SELECT id FROM networks WHERE (flags & ?1) = 0 ORDER BY seq",
                       NETWORK_FLAG_PERSISTENT, drop_network);
}

/* Restart, choice 0: non-persistent networks go as on a reboot. */
static HRESULT restart_non_persistent_networks(hnsm_instance *inst, int value)
{
    return value ? S_OK : drop_non_persistent_networks(inst, 1);
}

/* Values of choice RESTART_DROPS_LOCAL_ENDPOINTS. */
enum { LOCAL_KEPT = 0, LOCAL_DROPPED = 1, LOCAL_PORTS_DESTROYED = 2 };

/* Local endpoints go (LOCAL_DROPPED), stay (LOCAL_KEPT), or stay listed
 * without their switch ports (LOCAL_PORTS_DESTROYED: State Destroyed, which
 * loadbalancer.c answers with HCN_E_PORT_NOT_FOUND, field-bugs A2). */
static HRESULT drop_local_endpoints(hnsm_instance *inst, int value)
{
    if (value == LOCAL_PORTS_DESTROYED) {
        sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE endpoints SET state = ?2 "
                                            "WHERE (flags & ?1) = 0");
        if (st) {
            sqlite3_bind_int64(st, 1, HNSM_EP_FLAG_REMOTE);
            sqlite3_bind_int(st, 2, HNSM_EP_DESTROYED);
        }
        return hnsm__step_done(inst, st);
    }
    if (value != LOCAL_DROPPED)
        return S_OK;
    return delete_each(inst, "SELECT id FROM endpoints WHERE (flags & ?1) = 0 ORDER BY seq",
                       HNSM_EP_FLAG_REMOTE, drop_endpoint);
}

/* Remote endpoints go unless they persist (value 1); on a restart they
 * follow the local ones when those are rehydrated too. */
static HRESULT drop_remote_endpoints(hnsm_instance *inst, int value)
{
    if (value)
        return S_OK;
    return delete_each(inst, "SELECT id FROM endpoints WHERE (flags & ?1) != 0 ORDER BY seq",
                       HNSM_EP_FLAG_REMOTE, drop_endpoint);
}

/* Reboot: namespaces go; the HostDefault one stays when value is 1. */
static HRESULT drop_namespaces(hnsm_instance *inst, int value)
{
    if (!value)
        return delete_each(inst, "SELECT id FROM namespaces WHERE ?1 ORDER BY seq", 1,
                           hnsm__namespace_delete);
    return delete_each(inst, "SELECT id FROM namespaces WHERE type != ?1 ORDER BY seq",
                       NAMESPACE_TYPE_HOST_DEFAULT, hnsm__namespace_delete);
}

/* Surviving load balancers were re-read from HNS's store: a client that
 * creates one again gets ERROR_ALREADY_EXISTS (loadbalancer.c). */
static HRESULT mark_load_balancers_rehydrated(hnsm_instance *inst, int value)
{
    (void)value;
    return hnsm__step_done(inst, hnsm__stmt(inst, "UPDATE loadbalancers SET rehydrated = 1"));
}

/* The frontends deleted LBs leaked (choice LB_DELETE_LEAKS_PORT) go with
 * the process that held them. */
static HRESULT free_leaked_frontends(hnsm_instance *inst, int value)
{
    (void)value;
    return hnsm__step_done(inst, hnsm__stmt(inst, "DELETE FROM lb_frontends WHERE lb_id LIKE "
                                                  "'leaked:%'"));
}

/* hnsm__lb_drop: HNS losing an LB never fails on a degraded one. */
static HRESULT drop_load_balancers(hnsm_instance *inst, int value)
{
    (void)value;
    return delete_selected(inst, hnsm__stmt(inst, "SELECT id FROM loadbalancers ORDER BY seq"),
                           hnsm__lb_drop);
}

static HRESULT drop_routes(hnsm_instance *inst)
{
    return delete_selected(inst, hnsm__stmt(inst, "SELECT id FROM sdnroutes ORDER BY seq"),
                           hnsm__route_delete);
}

/* Restart and reboot: routes stay when they follow load balancers. */
static HRESULT keep_or_drop_routes(hnsm_instance *inst, int value)
{
    return value ? S_OK : drop_routes(inst);
}

/* Crash wipe: routes are lost either way (with the LBs, or as on every restart). */
static HRESULT crash_drops_routes(hnsm_instance *inst, int value)
{
    (void)value;
    return drop_routes(inst);
}

/* Guest network services go, then every port reservation left. */
static HRESULT drop_guest_services(hnsm_instance *inst, int value)
{
    if (!value)
        return S_OK;
    HRESULT hr = delete_selected(
        inst, hnsm__stmt(inst, "SELECT id FROM guest_network_services ORDER BY seq"),
        hnsm__gns_delete);
    if (SUCCEEDED(hr))
        hr = hnsm__step_done(inst, hnsm__stmt(inst, "DELETE FROM port_reservations"));
    return hr;
}

static HRESULT reboot_drops_guest_services(hnsm_instance *inst, int value)
{
    (void)value;
    return drop_guest_services(inst, 1);
}

/* ---- the rule table ---------------------------------------------------------- */

static const struct lifecycle_rule {
    unsigned when;    /* ON_* events the rule applies to */
    int choice;       /* the hnsm_choice that flips it, or NO_CHOICE */
    HRESULT (*apply)(hnsm_instance *inst, int value); /* NULL: the objects stay as they are */
    const char *rule; /* what happens */
    const char *reference;
} lifecycle_rules[] = {
    /* Networks */
    {ON_REBOOT, NO_CHOICE, drop_non_persistent_networks,
     "networks flagged EnableNonPersistent (8) are gone after a reboot, with their endpoints",
     "field-bugs E3; hcn-api.md 2.2 NetworkFlags; consumers.md 7"},
    {ON_REBOOT, HNSM_CHOICE_REBOOT_KEEPS_UNFLAGGED_NETWORKS, drop_unflagged_networks,
     "networks without EnableNonPersistent survive a reboot (choice 0: only EnablePersistent "
     "(16) ones)",
     "field-bugs E3; hcn-api.md 2.2 NetworkFlags"},
    {ON_RESTART | ON_CRASH, HNSM_CHOICE_RESTART_KEEPS_NONPERSISTENT_NETWORKS,
     restart_non_persistent_networks,
     "a service restart keeps every network, EnableNonPersistent ones included (choice 0: those "
     "go as on a reboot)",
     "field-bugs E2 (restart keeps networks); consumers.md 9.6"},
    /* Endpoints */
    {ON_RESTART | ON_CRASH, HNSM_CHOICE_RESTART_DROPS_LOCAL_ENDPOINTS, drop_local_endpoints,
     "a service restart drops local endpoints (detached from their namespaces first; pods keep "
     "running without them); choice 0: kept; 2: kept without switch ports (State Destroyed: "
     "an LB naming one fails with HCN_E_PORT_NOT_FOUND)",
     "field-bugs E2; consumers.md 7; value 2: field-bugs A2, consumers.md 1.3 (0x803B0007)"},
    {ON_REBOOT, NO_CHOICE, drop_local_endpoints, /* runs with value 1: LOCAL_DROPPED */
     "a reboot drops every local endpoint: containers are gone, CNI ADD re-creates pods' "
     "endpoints and agents their host endpoints",
     "field-bugs E3; consumers.md 2.3 (SourceVIP endpoint re-created), 3.3 (cbr0_ep)"},
    {ON_RESTART | ON_CRASH | ON_REBOOT, HNSM_CHOICE_REMOTE_ENDPOINTS_PERSIST,
     drop_remote_endpoints,
     "remote endpoints survive with their network (choice 0: they go like local ones)",
     "inferred from consumers.md 1.3, 7 (rehydrated LBs keep their backends)"},
    /* Namespaces */
    {ON_RESTART | ON_CRASH, NO_CHOICE, NULL,
     "namespaces (compartments) survive a service restart: the containers keep running",
     "field-bugs E2 (pods still Running)"},
    {ON_REBOOT, HNSM_CHOICE_REBOOT_KEEPS_HOST_DEFAULT_NAMESPACE, drop_namespaces,
     "a reboot removes every namespace (compartment) except the HostDefault one",
     "field-bugs E3 (sandboxes re-created after reboot); HostDefault inferred"},
    /* Load balancers */
    {ON_RESTART, NO_CHOICE, mark_load_balancers_rehydrated,
     "a service restart rehydrates every load balancer; re-creating one answers "
     "ERROR_ALREADY_EXISTS (0x800700B7)",
     "consumers.md 1.3, 2.5 (#139519), 7"},
    {ON_RESTART | ON_CRASH | ON_REBOOT, NO_CHOICE, free_leaked_frontends,
     "ports a deleted load balancer leaked (choice LB_DELETE_LEAKS_PORT) are free again",
     "field-bugs A4 (workaround: restart HNS)"},
    {ON_CRASH, NO_CHOICE, drop_load_balancers,
     "an HNS crash comes back without its load balancers",
     "field-bugs A2"},
    {ON_REBOOT, NO_CHOICE, mark_load_balancers_rehydrated,
     "load balancers persist across a reboot and are rehydrated; those whose backends went "
     "reference endpoints that no longer exist (degraded)",
     "field-bugs E1 (workaround: remove policy lists before reboot), A8.4"},
    /* SDN routes */
    {ON_RESTART | ON_REBOOT, HNSM_CHOICE_ROUTES_FOLLOW_LOAD_BALANCERS, keep_or_drop_routes,
     "SDN routes are rehydrated like load balancers (choice 0: dropped)",
     "inferred (no field report)"},
    {ON_CRASH, HNSM_CHOICE_ROUTES_FOLLOW_LOAD_BALANCERS, crash_drops_routes,
     "an HNS crash loses SDN routes with the load balancers",
     "inferred from field-bugs A2"},
    /* Guest network services and port reservations */
    {ON_RESTART | ON_CRASH, HNSM_CHOICE_RESTART_CLEARS_GUEST_SERVICES, drop_guest_services,
     "a service restart drops guest network services and every port reservation (choice 0: "
     "they survive)",
     "inferred (reservations are handles of the service's clients)"},
    {ON_REBOOT, NO_CHOICE, reboot_drops_guest_services,
     "a reboot drops guest network services and every port reservation",
     "inferred (the guests and the reserving processes are gone)"},
    /* Notifications (applied after the commit, in run_rules) */
    {ON_RESTART | ON_CRASH | ON_REBOOT, HNSM_CHOICE_RESTART_NOTIFIES_SERVICE_DISCONNECT, NULL,
     "subscribers get HcnNotificationServiceDisconnect; removals are not notified",
     "hcn-api.md 1.4"},
};

/* The value a rule runs with: its choice's, or 1. */
static int rule_value(const hnsm_instance *inst, const struct lifecycle_rule *rule)
{
    return rule->choice == NO_CHOICE ? 1 : hnsm__choice(inst, (hnsm_choice)rule->choice);
}

/* Forgets the parsed network kept across calls: the rows it came from may
 * be gone (network.c re-reads it when the stored text differs, but a
 * dropped network must not be served from memory either). */
void hnsm__forget_network_cache(hnsm_instance *inst)
{
    free(inst->network_cache_text);
    cJSON_Delete(inst->network_cache_doc);
    inst->network_cache_text = NULL;
    inst->network_cache_doc = NULL;
    inst->network_cache_id[0] = '\0';
}

/* Runs the rules of event in one write transaction. Call with the lock held.
 * A store an OS update left unreadable (os_update.c) is not touched: the
 * HNS that starts cannot read it either. */
static int run_rules(hnsm_instance *inst, unsigned event)
{
    if (inst->store_incompatible)
        return 0;
    HRESULT hr = hnsm__begin_write(inst);
    for (size_t i = 0; SUCCEEDED(hr) && i < sizeof lifecycle_rules / sizeof lifecycle_rules[0];
         i++) {
        const struct lifecycle_rule *rule = &lifecycle_rules[i];
        if ((rule->when & event) && rule->apply)
            hr = rule->apply(inst, rule_value(inst, rule));
    }
    if (SUCCEEDED(hr))
        hr = hnsm__commit(inst);
    else
        hnsm__rollback(inst);
    /* Removals are not notified, committed or not. */
    hnsm__events_discard(inst);
    hnsm__forget_network_cache(inst);
    if (FAILED(hr))
        return hr == HNSM_E_OUTOFMEMORY ? HNSM_ENOMEM : HNSM_ESTORE;
    if (hnsm__choice(inst, HNSM_CHOICE_RESTART_NOTIFIES_SERVICE_DISCONNECT))
        hnsm__events_disconnect(inst);
    return 0;
}

int hnsm_restart(hnsm_instance *inst, hnsm_restart_mode mode)
{
    if (!inst || (mode != HNSM_RESTART_SERVICE && mode != HNSM_RESTART_CRASH_WIPE))
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    int err = run_rules(inst, mode == HNSM_RESTART_SERVICE ? ON_RESTART : ON_CRASH);
    inst->generated_rescan = true;
    pthread_mutex_unlock(&inst->lock);
    return err;
}

int hnsm_reboot(hnsm_instance *inst)
{
    if (!inst)
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    hnsm__host_sockets_close_all(inst); /* every process is gone */
    int err = run_rules(inst, ON_REBOOT);
    inst->generated_rescan = true;
    pthread_mutex_unlock(&inst->lock);
    return err;
}

/* ---- out-of-band drops ----------------------------------------------------------- */

int hnsm_drop_object(hnsm_instance *inst, hnsm_kind kind, const char *id)
{
    char canonical[HNSM_GUID_TEXT];
    if (!inst || (int)kind < 0 || kind >= HNSM_KIND_COUNT || !id ||
        !hnsm__guid_canonical(id, canonical))
        return HNSM_EINVAL;
    static HRESULT (*const exists[HNSM_KIND_COUNT])(hnsm_instance *, const char *) = {
        [HNSM_NETWORK] = hnsm__network_exists,
        [HNSM_ENDPOINT] = hnsm__endpoint_exists,
        [HNSM_NAMESPACE] = hnsm__namespace_exists,
        [HNSM_LOADBALANCER] = hnsm__lb_exists,
        [HNSM_SDNROUTE] = hnsm__route_exists,
        [HNSM_GUESTNETWORKSERVICE] = hnsm__gns_exists,
    };
    static HRESULT (*const drop[HNSM_KIND_COUNT])(hnsm_instance *, const char *) = {
        [HNSM_NETWORK] = drop_network,
        [HNSM_ENDPOINT] = drop_endpoint,
        [HNSM_NAMESPACE] = hnsm__namespace_delete,
        [HNSM_LOADBALANCER] = hnsm__lb_drop,
        [HNSM_SDNROUTE] = hnsm__route_delete,
        [HNSM_GUESTNETWORKSERVICE] = hnsm__gns_delete,
    };
    pthread_mutex_lock(&inst->lock);
    int err = 0;
    HRESULT hr = hnsm__begin_write(inst);
    if (SUCCEEDED(hr)) {
        HRESULT found = exists[kind](inst, canonical);
        if (found == HNSM_E_FAIL || found == HNSM_E_OUTOFMEMORY)
            hr = found; /* the store failed, the object may exist */
        else if (FAILED(found))
            err = HNSM_ENOENT; /* the kind's own "not found" code */
    }
    if (SUCCEEDED(hr) && !err)
        hr = drop[kind](inst, canonical);
    if (SUCCEEDED(hr) && !err)
        hr = hnsm__commit(inst);
    else
        hnsm__rollback(inst);
    hnsm__events_discard(inst); /* out of band: nobody is told */
    hnsm__forget_network_cache(inst);
    pthread_mutex_unlock(&inst->lock);
    hnsm__detail_clear();
    if (err)
        return err;
    return FAILED(hr) ? (hr == HNSM_E_OUTOFMEMORY ? HNSM_ENOMEM : HNSM_ESTORE) : 0;
}
