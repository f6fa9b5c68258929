/*
 * store.c - the SQLite store: schema, pragmas, statements, transactions, meta.
 *
 * A file store runs in WAL mode with synchronous=NORMAL: a committed call
 * survives the process being killed (the log is in the OS before COMMIT
 * returns), and readers in other processes never block the writer. The busy
 * timeout lets several processes share one store file. Private stores live
 * in memory and vanish with the instance.
 */
#include "instance.h"

#include "hresult.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    /* Each object table is keyed by its creation sequence (the rowid), which
       orders enumeration; the GUID is a unique column. */
    /* Networks: doc is the canonical v2 document without its ID. */
    "CREATE TABLE IF NOT EXISTS networks("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, type INTEGER NOT NULL,"
    "  flags INTEGER NOT NULL, origin INTEGER NOT NULL, mac_next INTEGER NOT NULL, doc TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS networks_by_name ON networks(name);"
    /* Endpoints: namespace and state change without touching doc. */
    "CREATE TABLE IF NOT EXISTS endpoints("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, network_id TEXT NOT NULL,"
    "  namespace_id TEXT, flags INTEGER NOT NULL, state INTEGER NOT NULL, mac TEXT,"
    "  origin INTEGER NOT NULL, port_id TEXT NOT NULL, vm_port TEXT, v1_attach TEXT,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS endpoints_by_name ON endpoints(name);"
    "CREATE INDEX IF NOT EXISTS endpoints_by_network ON endpoints(network_id);"
    "CREATE INDEX IF NOT EXISTS endpoints_by_namespace ON endpoints(namespace_id);"
    "CREATE INDEX IF NOT EXISTS endpoints_by_mac ON endpoints(network_id, mac);"
    /* IPAM: every address an endpoint holds, ordered by the 16-byte address. */
    "CREATE TABLE IF NOT EXISTS endpoint_ips("
    "  network_id TEXT NOT NULL, ip BLOB NOT NULL, endpoint_id TEXT NOT NULL, remote INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS endpoint_ips_by_ip ON endpoint_ips(network_id, ip);"
    "CREATE INDEX IF NOT EXISTS endpoint_ips_by_endpoint ON endpoint_ips(endpoint_id);"
    "CREATE TABLE IF NOT EXISTS ipam_cursor("
    "  network_id TEXT NOT NULL, subnet TEXT NOT NULL, next BLOB NOT NULL,"
    "  PRIMARY KEY(network_id, subnet)) WITHOUT ROWID;"
    /* Host port mappings of endpoints (PortMapping policies), for conflicts. */
    "CREATE TABLE IF NOT EXISTS port_mappings("
    "  network_id TEXT NOT NULL, protocol INTEGER NOT NULL, external_port INTEGER NOT NULL,"
    "  vip TEXT NOT NULL, endpoint_id TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS port_mappings_by_port ON port_mappings(network_id, protocol, external_port);"
    "CREATE INDEX IF NOT EXISTS port_mappings_by_endpoint ON port_mappings(endpoint_id);"
    /* Namespaces: the endpoint resources are derived from endpoints.namespace_id;
       containers are kept in doc. */
    "CREATE TABLE IF NOT EXISTS namespaces("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, compartment INTEGER NOT NULL,"
    "  type INTEGER NOT NULL, doc TEXT NOT NULL);"
    /* Load balancers (v2) = policy lists (v1). applied: 0 when VFP was not
       programmed (IsApplied:false); rehydrated: restored by an HNS restart. */
    "CREATE TABLE IF NOT EXISTS loadbalancers("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, origin INTEGER NOT NULL,"
    "  applied INTEGER NOT NULL DEFAULT 1, rehydrated INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS lb_backends(lb_id TEXT NOT NULL, endpoint_id TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS lb_backends_by_lb ON lb_backends(lb_id);"
    "CREATE INDEX IF NOT EXISTS lb_backends_by_endpoint ON lb_backends(endpoint_id);"
    /* One row per (frontend VIP or '' for all host addresses, protocol, port). */
    "CREATE TABLE IF NOT EXISTS lb_frontends("
    "  lb_id TEXT NOT NULL, protocol INTEGER NOT NULL, vip TEXT NOT NULL, external_port INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS lb_frontends_by_port_vip ON lb_frontends(protocol, external_port, vip);"
    "CREATE INDEX IF NOT EXISTS lb_frontends_by_lb ON lb_frontends(lb_id);"
    /* SDN routes and the endpoints they apply to. */
    "CREATE TABLE IF NOT EXISTS sdnroutes("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS route_endpoints(route_id TEXT NOT NULL, endpoint_id TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS route_endpoints_by_route ON route_endpoints(route_id);"
    "CREATE INDEX IF NOT EXISTS route_endpoints_by_endpoint ON route_endpoints(endpoint_id);"
    /* Guest network services and the host ports reserved through them. */
    "CREATE TABLE IF NOT EXISTS guest_network_services("
    "  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS port_reservations("
    "  handle INTEGER PRIMARY KEY, gns_id TEXT NOT NULL, protocol INTEGER NOT NULL,"
    "  access INTEGER NOT NULL, start_port INTEGER NOT NULL, end_port INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS port_reservations_by_port ON port_reservations(start_port, end_port);";

sqlite3_stmt *hnsm__stmt(hnsm_instance *inst, const char *sql)
{
    /* Move to front: an operation uses the same few statements again and
     * again, so the one asked for is almost always near the head. */
    for (store_stmt **link = &inst->stmts, *s; (s = *link); link = &s->next) {
        if (s->sql == sql) {
            *link = s->next;
            s->next = inst->stmts;
            inst->stmts = s;
            sqlite3_reset(s->stmt);
            sqlite3_clear_bindings(s->stmt);
            return s->stmt;
        }
    }
    store_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (sqlite3_prepare_v3(inst->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "hnsmock: cannot prepare [%s]: %s\n", sql, sqlite3_errmsg(inst->db));
        free(s);
        return NULL;
    }
    s->sql = sql;
    s->next = inst->stmts;
    inst->stmts = s;
    return s->stmt;
}

sqlite3_stmt *hnsm__stmt_text(hnsm_instance *inst, const char *sql)
{
    for (store_stmt *s = inst->text_stmts; s; s = s->next) {
        if (strcmp(s->sql, sql) == 0) {
            sqlite3_reset(s->stmt);
            sqlite3_clear_bindings(s->stmt);
            return s->stmt;
        }
    }
    store_stmt *s = calloc(1, sizeof *s);
    char *copy = strdup(sql);
    if (!s || !copy ||
        sqlite3_prepare_v3(inst->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt, NULL) !=
            SQLITE_OK) {
        free(s);
        free(copy);
        return NULL;
    }
    s->sql = copy;
    s->next = inst->text_stmts;
    inst->text_stmts = s;
    return s->stmt;
}

HRESULT hnsm__sql_error(hnsm_instance *inst, int rc)
{
    if (rc == SQLITE_NOMEM)
        return hnsm__detail(HNSM_E_OUTOFMEMORY, "store: out of memory");
    return hnsm__detail(HNSM_E_FAIL, "store: %s", sqlite3_errmsg(inst->db));
}

HRESULT hnsm__step_done(hnsm_instance *inst, sqlite3_stmt *st)
{
    if (!st)
        return hnsm__detail(HNSM_E_FAIL, "store: statement unavailable");
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? S_OK : hnsm__sql_error(inst, rc);
}

HRESULT hnsm__row_exists(hnsm_instance *inst, const char *sql, const char *id, HRESULT missing,
                         const char *what)
{
    sqlite3_stmt *st = hnsm__stmt(inst, sql);
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return S_OK;
    if (rc == SQLITE_DONE)
        return hnsm__detail(missing, "no %s %s", what, id);
    return hnsm__sql_error(inst, rc);
}

HRESULT hnsm__row_doc(hnsm_instance *inst, const char *sql, const char *id, HRESULT missing,
                      const char *what, cJSON **doc)
{
    *doc = NULL;
    sqlite3_stmt *st = hnsm__stmt(inst, sql);
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr;
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        *doc = text ? cJSON_Parse(text) : NULL;
        hr = *doc ? S_OK : hnsm__detail(HNSM_E_FAIL, "store: a stored document is corrupt");
    } else if (rc == SQLITE_DONE) {
        hr = hnsm__detail(missing, "no %s %s", what, id);
    } else {
        hr = hnsm__sql_error(inst, rc);
    }
    sqlite3_reset(st);
    return hr;
}

/* Runs one of the transaction-control statements, prepared once. */
static HRESULT exec_cached(hnsm_instance *inst, const char *sql)
{
    sqlite3_stmt *st = hnsm__stmt(inst, sql);
    if (!st)
        return hnsm__sql_error(inst, SQLITE_ERROR);
    return hnsm__step_done(inst, st);
}

HRESULT hnsm__begin_write(hnsm_instance *inst)
{
    HRESULT hr = exec_cached(inst, "BEGIN IMMEDIATE");
    inst->in_write = SUCCEEDED(hr);
    inst->counters_loaded = false;
    inst->counters_dirty = false;
    return hr;
}

HRESULT hnsm__begin_read(hnsm_instance *inst) { return exec_cached(inst, "BEGIN"); }

/* Writes the batched counters back before the transaction ends. */
static HRESULT flush_counters(hnsm_instance *inst)
{
    if (!inst->counters_dirty)
        return S_OK;
    HRESULT hr = hnsm__meta_set_int(inst, "random_counter", inst->random_counter);
    if (SUCCEEDED(hr))
        hr = hnsm__meta_set_int(inst, "creation_seq", inst->creation_seq);
    inst->counters_dirty = false;
    return hr;
}

HRESULT hnsm__commit(hnsm_instance *inst)
{
    HRESULT hr = inst->in_write ? flush_counters(inst) : S_OK;
    if (SUCCEEDED(hr))
        hr = exec_cached(inst, "COMMIT");
    if (FAILED(hr))
        hnsm__rollback(inst);
    inst->in_write = false;
    inst->counters_loaded = false;
    return hr;
}

void hnsm__rollback(hnsm_instance *inst)
{
    if (!sqlite3_get_autocommit(inst->db))
        exec_cached(inst, "ROLLBACK");
    inst->in_write = false;
    inst->counters_loaded = false;
    inst->counters_dirty = false;
}

HRESULT hnsm__meta_get_int(hnsm_instance *inst, const char *key, int64_t *value)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT value FROM meta WHERE key = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? S_OK : hnsm__sql_error(inst, rc);
}

HRESULT hnsm__meta_set_int(hnsm_instance *inst, const char *key, int64_t value)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    return hnsm__step_done(inst, st);
}

HRESULT hnsm__meta_get_text(hnsm_instance *inst, const char *key, char *buf, size_t size)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT value FROM meta WHERE key = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, size, "%s", text ? text : "");
    }
    sqlite3_reset(st);
    return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? S_OK : hnsm__sql_error(inst, rc);
}

HRESULT hnsm__meta_set_text(hnsm_instance *inst, const char *key, const char *value)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return hnsm__step_done(inst, st);
}

/* Loads the counters once per write transaction. */
static HRESULT load_counters(hnsm_instance *inst)
{
    if (inst->counters_loaded)
        return S_OK;
    inst->random_counter = inst->creation_seq = 0;
    HRESULT hr = hnsm__meta_get_int(inst, "random_counter", &inst->random_counter);
    if (SUCCEEDED(hr))
        hr = hnsm__meta_get_int(inst, "creation_seq", &inst->creation_seq);
    inst->counters_loaded = SUCCEEDED(hr);
    return hr;
}

HRESULT hnsm__new_guid(hnsm_instance *inst, char out[HNSM_GUID_TEXT])
{
    HRESULT hr = load_counters(inst);
    if (FAILED(hr))
        return hr;
    GUID g;
    hnsm__guid_generate(inst->seed, (uint64_t)inst->random_counter++, &g);
    inst->counters_dirty = true;
    hnsm__guid_format(&g, out);
    return S_OK;
}

HRESULT hnsm__new_random(hnsm_instance *inst, uint64_t *out)
{
    HRESULT hr = load_counters(inst);
    if (SUCCEEDED(hr)) {
        *out = hnsm__mix64(inst->seed ^ 0x5EED5EED5EED5EEDull, (uint64_t)inst->random_counter++);
        inst->counters_dirty = true;
    }
    return hr;
}

HRESULT hnsm__next_seq(hnsm_instance *inst, int64_t *out)
{
    HRESULT hr = load_counters(inst);
    if (SUCCEEDED(hr)) {
        *out = inst->creation_seq++;
        inst->counters_dirty = true;
    }
    return hr;
}

HRESULT hnsm__host(hnsm_instance *inst, char adapter[64], char ip_prefix[64])
{
    snprintf(adapter, 64, "Ethernet");
    snprintf(ip_prefix, 64, "10.0.0.4/24");
    HRESULT hr = hnsm__meta_get_text(inst, "host_adapter", adapter, 64);
    if (SUCCEEDED(hr))
        hr = hnsm__meta_get_text(inst, "host_ip", ip_prefix, 64);
    return hr;
}

/* Reads or initialises seed and profile in meta. */
static int store_init_meta(hnsm_instance *inst, const hnsm_config *config)
{
    int64_t schema = 0, seed = 0, has_seed = 0;
    char profile[32] = "";
    if (FAILED(hnsm__begin_write(inst)))
        return HNSM_ESTORE;
    HRESULT hr = hnsm__meta_get_int(inst, "schema", &schema);
    if (SUCCEEDED(hr) && schema != 0 && schema != HNSM_STORE_SCHEMA) {
        hnsm__rollback(inst);
        return HNSM_ESCHEMA;
    }
    if (SUCCEEDED(hr))
        hr = hnsm__meta_set_int(inst, "schema", HNSM_STORE_SCHEMA);
    if (SUCCEEDED(hr))
        hr = hnsm__meta_get_int(inst, "has_seed", &has_seed);
    if (SUCCEEDED(hr) && !has_seed) {
        seed = config && config->seed_set ? (int64_t)config->seed : 0;
        hr = hnsm__meta_set_int(inst, "seed", seed);
        if (SUCCEEDED(hr))
            hr = hnsm__meta_set_int(inst, "has_seed", 1);
    }
    if (SUCCEEDED(hr))
        hr = hnsm__meta_get_int(inst, "seed", &seed);
    if (SUCCEEDED(hr))
        hr = hnsm__meta_get_text(inst, "profile", profile, sizeof profile);
    const char *wanted = config && config->profile ? config->profile : (profile[0] ? profile : NULL);
    if (SUCCEEDED(hr) && !hnsm__profile_lookup(wanted, &inst->profile)) {
        hnsm__rollback(inst);
        return HNSM_EINVAL;
    }
    if (SUCCEEDED(hr))
        hr = hnsm__meta_set_text(inst, "profile", inst->profile.name);
    int64_t incompatible = 0;
    if (SUCCEEDED(hr))
        hr = hnsm__meta_get_int(inst, "store_incompatible", &incompatible);
    inst->store_incompatible = incompatible != 0;
    if (FAILED(hr) || FAILED(hnsm__commit(inst))) {
        hnsm__rollback(inst);
        return HNSM_ESTORE;
    }
    inst->seed = (uint64_t)seed;
    return 0;
}

/* SQLite keeps memory statistics under one process-wide mutex, which every
 * allocation of every connection takes: the one lock the per-node HNS
 * instances of a simulated cluster would share across threads. */
static void sqlite_without_memstatus(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* fails harmlessly once initialised */
}

void hnsm_tune_for_many_instances(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_without_memstatus);
}

int hnsm__store_open(hnsm_instance *inst, const hnsm_config *config)
{
    const char *path = inst->path ? inst->path : ":memory:";
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &inst->db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "hnsmock: cannot open store %s: %s\n", path,
                inst->db ? sqlite3_errmsg(inst->db) : "out of memory");
        sqlite3_close(inst->db);
        inst->db = NULL;
        return HNSM_ESTORE;
    }
    sqlite3_busy_timeout(inst->db, 10000);
    const char *pragmas = inst->path ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192;"
                                     " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
                                     : "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;";
    if (sqlite3_exec(inst->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(inst->db, store_schema, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "hnsmock: cannot prepare store %s: %s\n", path, sqlite3_errmsg(inst->db));
        return HNSM_ESTORE;
    }
    return store_init_meta(inst, config);
}

void hnsm__store_close(hnsm_instance *inst)
{
    free(inst->network_cache_text);
    cJSON_Delete(inst->network_cache_doc);
    inst->network_cache_text = NULL;
    inst->network_cache_doc = NULL;
    store_stmt *s = inst->stmts;
    while (s) {
        store_stmt *next = s->next;
        sqlite3_finalize(s->stmt);
        free(s);
        s = next;
    }
    inst->stmts = NULL;
    s = inst->text_stmts;
    while (s) {
        store_stmt *next = s->next;
        sqlite3_finalize(s->stmt);
        free((char *)s->sql);
        free(s);
        s = next;
    }
    inst->text_stmts = NULL;
    if (inst->db)
        sqlite3_close(inst->db);
    inst->db = NULL;
}
