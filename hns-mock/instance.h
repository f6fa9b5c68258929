/*
 * instance.h - the inside of an HNS instance and the store it runs on.
 *
 * One instance = one SQLite connection, guarded by a mutex so that a process
 * may call the HCN API from several threads. Every mutating operation runs in
 * one write transaction (BEGIN IMMEDIATE ... COMMIT): a crash never leaves
 * half an object, and another process sharing the store file sees each call
 * completely or not at all. Reads run in a read transaction so a list and
 * the objects it names are one consistent snapshot.
 *
 * Only hns-mock/ touches these tables (ARCHITECTURE.md rule 1).
 */
#ifndef HNSM_INSTANCE_H
#define HNSM_INSTANCE_H

#include <hnsmock/hnsmock.h>
#include <pthread.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "choices.h"
#include "guid.h"
#include "profile.h"

/* One cached prepared statement, keyed by the address of its SQL text. */
typedef struct store_stmt {
    const char *sql;
    sqlite3_stmt *stmt;
    struct store_stmt *next;
} store_stmt;

struct hnsm_instance {
    sqlite3 *db;                     /* the store connection */
    pthread_mutex_t lock;            /* one operation at a time on db */
    char *path;                      /* store file, or NULL for private memory */
    hnsm_profile profile;            /* version profile (also kept in the store) */
    uint64_t seed;                   /* seed of ids and MACs (kept in the store) */
    int choices[HNSM_CHOICE_COUNT];  /* fidelity choices, defaults from choices.def */
    store_stmt *stmts;               /* prepared statement cache, by SQL address */
    store_stmt *text_stmts;          /* cache of run-time SQL, by SQL text (owned copies) */
    bool in_write;                   /* inside a write transaction */
    /* The seeded counters, read once per write transaction and written back
     * at commit, so that a create costs no extra statements per id drawn. */
    bool counters_loaded;
    int64_t random_counter;          /* ids and MACs drawn so far */
    int64_t creation_seq;            /* objects created so far (enumeration order) */
    bool counters_dirty;
    /* The last network document parsed, kept with the stored text it came
     * from: endpoint operations reuse it when the stored text is unchanged
     * (also across processes, since the text is re-read every time). */
    char network_cache_id[HNSM_GUID_TEXT];
    char *network_cache_text;
    cJSON *network_cache_doc;
    struct hnsm_events *events;      /* notifications: pending and delivery (notify.c) */
    struct hnsm_faults *faults;      /* fault rules and call counters (faults.c) */
    uint64_t clock_ms;               /* virtual clock, advanced by the latency model */
    bool latency_enabled;            /* charge per-call virtual latency (faults.c) */
    double latency_scale;            /* multiplier of the profile's latency figures */
    /* HNS-generated network policies (network_generated.c). */
    uint64_t generated_delay_ms;     /* how long after a create they appear */
    struct {                         /* host processes' listening sockets (host_sockets.c) */
        int protocol;
        uint16_t port;
    } host_sockets[16];
    size_t n_host_sockets;
    uint64_t generated_due_ms;       /* earliest pending one (0 = none known) */
    bool generated_rescan;           /* the store may hold pending ones (open, restart) */
    bool store_incompatible;         /* an OS update left HNS.data unreadable (os_update.c) */
};

/* Store schema version; a store with another one is refused (HNSM_ESCHEMA). */
#define HNSM_STORE_SCHEMA 2

/* Opens the database for inst->path (NULL = memory), applies pragmas and the
 * schema, and loads or initialises meta (seed, profile). Returns 0 or HNSM_E*. */
int hnsm__store_open(hnsm_instance *inst, const hnsm_config *config);
void hnsm__store_close(hnsm_instance *inst);

/* A cached prepared statement for sql (which must be a string literal or
 * otherwise live as long as inst), reset and with bindings cleared. NULL on
 * a prepare error (a bug: the SQL is ours). */
sqlite3_stmt *hnsm__stmt(hnsm_instance *inst, const char *sql);

/* The same for SQL built at run time (filters): cached by its text. */
sqlite3_stmt *hnsm__stmt_text(hnsm_instance *inst, const char *sql);

/* Transactions. Each returns S_OK or an HRESULT (E_FAIL with detail on a
 * SQLite error, e.g. the store file is locked beyond the busy timeout). */
HRESULT hnsm__begin_write(hnsm_instance *inst);
HRESULT hnsm__begin_read(hnsm_instance *inst);
HRESULT hnsm__commit(hnsm_instance *inst);
void hnsm__rollback(hnsm_instance *inst);

/* Maps a SQLite result to an HRESULT (E_FAIL / E_OUTOFMEMORY) with detail. */
HRESULT hnsm__sql_error(hnsm_instance *inst, int rc);

/* S_OK when `sql` (one ?1 parameter, bound to id) returns a row; otherwise
 * `missing` with detail "no <what> <id>", or the store error. */
HRESULT hnsm__row_exists(hnsm_instance *inst, const char *sql, const char *id, HRESULT missing,
                         const char *what);

/* Parses the stored document that `sql` (one ?1 parameter, bound to id)
 * returns in its first column into *doc (caller deletes); otherwise `missing`
 * with detail "no <what> <id>", or the store error. */
HRESULT hnsm__row_doc(hnsm_instance *inst, const char *sql, const char *id, HRESULT missing,
                      const char *what, cJSON **doc);

/* Runs a statement that returns no rows; S_OK or an HRESULT. */
HRESULT hnsm__step_done(hnsm_instance *inst, sqlite3_stmt *st);

/* meta table access (inside a transaction). */
HRESULT hnsm__meta_get_int(hnsm_instance *inst, const char *key, int64_t *value);
HRESULT hnsm__meta_set_int(hnsm_instance *inst, const char *key, int64_t value);
HRESULT hnsm__meta_get_text(hnsm_instance *inst, const char *key, char *buf, size_t size);
HRESULT hnsm__meta_set_text(hnsm_instance *inst, const char *key, const char *value);

/* Draws the next id of the seeded stream (inside a write transaction). */
HRESULT hnsm__new_guid(hnsm_instance *inst, char out[HNSM_GUID_TEXT]);
/* Draws the next value of the seeded stream, for MACs and other picks. */
HRESULT hnsm__new_random(hnsm_instance *inst, uint64_t *out);
/* The next creation sequence number, which orders enumerations. */
HRESULT hnsm__next_seq(hnsm_instance *inst, int64_t *out);

/* The modelled host adapter (from meta). */
HRESULT hnsm__host(hnsm_instance *inst, char adapter[64], char ip_prefix[64]);

/* Whether the calling thread chose its own instance (hnsm_use_thread): its
 * calls then stay in this process even with HNSIM_HNSD set. */
bool hnsm__thread_has_instance(void);

/* host_sockets.c: whether a host socket holds protocol/port; closing them
 * all (a reboot). Called with inst->lock held. */
bool hnsm__host_port_held(const hnsm_instance *inst, int protocol, int port);
void hnsm__host_sockets_close_all(hnsm_instance *inst);

#endif
