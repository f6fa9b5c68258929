/*
 * hnsmock/hnsmock.h - controlling the HNS model: instances, profiles, seeds,
 * choices, and a UTF-8 entry point to every operation.
 *
 * An instance is one simulated HNS service: a SQLite store (a file, or private
 * memory), an HNS version profile, and a seed from which every GUID and MAC
 * it invents is derived. The HCN API (computenetwork.h) and HNSCall act on the
 * calling thread's instance (hnsm_use_thread), else the process's current
 * instance: the one given to hnsm_use(), or else a default instance opened on
 * first use from the environment (HNSIM_STORE, HNSIM_PROFILE, HNSIM_SEED), or
 * a daemon named by HNSIM_HNSD.
 *
 * Functions returning int give 0 or a negative HNSM_E* code; hnsm_strerror()
 * names it. Operations on HNS objects return an HRESULT, as on Windows.
 * The caller owns an instance and closes it with hnsm_close().
 */
#ifndef HNSMOCK_HNSMOCK_H
#define HNSMOCK_HNSMOCK_H

#include <hnsmock/wintypes.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hnsm_instance hnsm_instance;

/* Error codes of the control API (never HRESULTs). */
#define HNSM_EINVAL (-1)   /* a bad argument: unknown profile, NULL pointer */
#define HNSM_ESTORE (-2)   /* the SQLite store could not be opened or used */
#define HNSM_ENOMEM (-3)   /* out of memory */
#define HNSM_ESCHEMA (-4)  /* the store was written by an incompatible hnsim */
#define HNSM_ENOENT (-5)   /* no such choice or object */

/* How to open an instance. Zero-initialise, then set what you need. */
typedef struct hnsm_config {
    const char *store;   /* SQLite file path; NULL, "" or ":memory:" = private memory */
    const char *profile; /* "ws2019", "ws2022", "ws2025" or "MAJOR.MINOR"; NULL = "ws2022".
                            For an existing store file, NULL keeps the stored profile. */
    uint64_t seed;       /* seeds ids and MACs of a new store; ignored for an existing one */
    int seed_set;        /* nonzero when seed was given (a new store otherwise uses 0) */
} hnsm_config;

/* Opens (creating if needed) an instance. On success *out owns it. */
int hnsm_open(const hnsm_config *config, hnsm_instance **out);

/* Closes inst and releases its store; NULL is accepted. If inst is the
 * current instance, the HCN API falls back to the environment default. */
void hnsm_close(hnsm_instance *inst);

/* Makes inst the instance the HCN API and HNSCall of this process use
 * (NULL = the environment default). The caller keeps ownership. */
void hnsm_use(hnsm_instance *inst);

/* For a process that runs many instances on several threads (the cluster
 * simulator): turns off SQLite's process-wide memory statistics, whose
 * mutex every allocation of every connection takes. It affects the whole
 * process (sqlite3_memory_used() and the soft heap limit stop working), so
 * a library user does not call it; it works only before SQLite's first use. */
void hnsm_tune_for_many_instances(void);

/* Makes inst the instance the HCN API and HNSCall use on the calling thread
 * only, ahead of hnsm_use's (NULL = the process's again): one thread per
 * simulated node, each on its own HNS. Reset it before closing inst. */
void hnsm_use_thread(hnsm_instance *inst);

/* The current instance, opening the environment default if needed; NULL
 * (with the reason on stderr) when that default cannot be opened. */
hnsm_instance *hnsm_current(void);

/* Opens the default instance described by HNSIM_STORE, HNSIM_PROFILE and
 * HNSIM_SEED into *out (the caller owns it). */
int hnsm_open_from_env(hnsm_instance **out);

/* A message for an HNSM_E* code. */
const char *hnsm_strerror(int err);

/* The profile's name ("ws2022" or "13.3") and HNS version. */
const char *hnsm_profile_name(const hnsm_instance *inst);
void hnsm_version(const hnsm_instance *inst, unsigned *major, unsigned *minor);

/* Changes the version profile of inst (and of its store). */
int hnsm_set_profile(hnsm_instance *inst, const char *profile);

/* Fidelity choices (see hns-mock/choices.def): read and flip by name. */
int hnsm_get_choice(const hnsm_instance *inst, const char *name, int *value);
int hnsm_set_choice(hnsm_instance *inst, const char *name, int value);
/* Iterates choices: index 0.. until it returns HNSM_ENOENT. */
int hnsm_choice_info(int index, const char **name, int *default_value, const char **reference,
                     const char **description);

/* The host the instance models: the adapter HNS binds L2Bridge/Overlay
 * networks to. Defaults: "Ethernet", 10.0.0.4/24. */
int hnsm_set_host(hnsm_instance *inst, const char *adapter_name, const char *ip_prefix);

/* Kinds of HNS object and operations, for hnsm_call. */
typedef enum hnsm_kind {
    HNSM_NETWORK = 0,
    HNSM_ENDPOINT,
    HNSM_NAMESPACE,
    HNSM_LOADBALANCER,
    HNSM_SDNROUTE,
    HNSM_GUESTNETWORKSERVICE,
    HNSM_KIND_COUNT
} hnsm_kind;

typedef enum hnsm_op {
    HNSM_OP_ENUMERATE = 0, /* json = query; result = JSON array of GUIDs */
    HNSM_OP_CREATE,        /* id = requested GUID or NULL; parent = network (endpoints) */
    HNSM_OP_OPEN,          /* id; succeeds when the object exists */
    HNSM_OP_MODIFY,        /* id; json = settings / modify request */
    HNSM_OP_QUERY,         /* id; json = query; result = properties */
    HNSM_OP_DELETE,        /* id */
    HNSM_OP_QUERY_STATS,   /* endpoints only */
    HNSM_OP_QUERY_ADDRESSES, /* endpoints only */
    HNSM_OP_COUNT
} hnsm_op;

/*
 * Runs one HNS operation with UTF-8 documents: the single entry point behind
 * the HCN API, HNSCall, the tools and the daemon. id and parent are GUID
 * strings (any case, or NULL), json may be NULL. On success returns S_OK (or
 * another success code), sets *result (malloc'd; NULL for operations without
 * output) and *error_record to NULL. On failure returns the HRESULT, sets
 * *result NULL and *error_record to the ErrorRecord JSON (malloc'd). Either
 * out-pointer may be NULL. Free results with hnsm_free().
 * On create, *result is the new object's id.
 */
HRESULT hnsm_call(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                  const char *parent, const char *json, char **result, char **error_record);

/* The v1 API: HNSCall with UTF-8 strings. *response receives the envelope
 * (malloc'd; free with hnsm_free). */
HRESULT hnsm_hnscall(hnsm_instance *inst, const char *method, const char *path,
                     const char *request, char **response);

/* Frees a string returned by this API. */
void hnsm_free(void *p);

/* The name ("HCN_E_INVALID_IP") and system message of an HRESULT. */
const char *hnsm_hresult_name(HRESULT hr);
const char *hnsm_hresult_message(HRESULT hr);

/* What hnsim knows about the last failure on this thread beyond its HRESULT
 * (which field, which value); "" when nothing. Not part of Windows' output. */
const char *hnsm_last_detail(void);

/* ---- Service lifecycle (see hns-mock/lifecycle.c for what survives what) ---- */

typedef enum hnsm_restart_mode {
    HNSM_RESTART_SERVICE = 0, /* Restart-Service hns: objects rehydrated per the rules */
    HNSM_RESTART_CRASH_WIPE,  /* HNS crashed and came back without its objects (field-bugs A2) */
} hnsm_restart_mode;

/* Restarts the HNS service of inst. Returns 0 or HNSM_E*. */
int hnsm_restart(hnsm_instance *inst, hnsm_restart_mode mode);

/* Reboots the node: non-persistent networks, containers' endpoints and
 * namespaces go; what persists is rehydrated. Returns 0 or HNSM_E*. */
int hnsm_reboot(hnsm_instance *inst);

/* Updates the node's OS (hns-mock/os_update.c): profile (NULL = the same)
 * becomes the instance's HNS, then the node reboots. With store_compatible
 * 0 and objects in the store, the new HNS cannot read them (field-bugs E4):
 * nothing is rehydrated or dropped, and every call fails with
 * ERROR_WRONG_DISK (0x80070022) until hnsm_clear_store. Returns 0 or HNSM_E*. */
int hnsm_os_update(hnsm_instance *inst, const char *profile, int store_compatible);

/* Stop HNS, delete HNS.data, start HNS: every object is gone (E4's
 * workaround). Returns 0 or HNSM_E*. */
int hnsm_clear_store(hnsm_instance *inst);

/* ---- The host's own sockets (hns-mock/host_sockets.c) ---- */

/* A process on the host listens on protocol (6, 17) and port on every
 * address (listen 1), or closes it (0). HNS refuses a load balancer
 * frontend on a port a host socket holds with HCN_E_PORT_ALREADY_EXISTS
 * (consumers.md 7: kube-proxy's :10256 healthz listener against its own
 * health-check load balancer). Sockets are not persisted and go with a
 * reboot, as their processes do. At most 16. Returns 0 or HNSM_E*. */
int hnsm_host_socket(hnsm_instance *inst, int protocol, uint16_t port, int listen);

/* ---- Fault injection (hns-mock/faults.c) ---- */

typedef enum hnsm_fault_mode {
    HNSM_FAULT_NTH = 0,      /* fail only the nth matching call */
    HNSM_FAULT_FROM_NTH,     /* fail the nth matching call and every one after it */
    HNSM_FAULT_PROBABILITY,  /* fail each matching call with probability, seeded */
} hnsm_fault_mode;

typedef struct hnsm_fault {
    const char *api;     /* an HCN function name ("HcnCreateLoadBalancer"), "HNSCall", or "*" */
    HRESULT hr;          /* what the failing call returns (with its real ErrorRecord) */
    hnsm_fault_mode mode;
    uint32_t nth;        /* 1-based, counted from when the fault is added */
    double probability;  /* for HNSM_FAULT_PROBABILITY, 0..1 */
    const char *match;   /* optional: only calls whose JSON document contains this text */
    int leave_partial;   /* HcnCreateLoadBalancer: the failing create still stores the LB,
                            without its PortMappings - what a create that failed mid-way
                            leaves (field-bugs A9); ignored by other entry points */
} hnsm_fault;

/* Adds a fault rule; rules are checked in the order they were added.
 * HNSM_EINVAL for an api no entry point is named (a misspelt rule would
 * never strike), a success HRESULT or a bad nth/probability. */
int hnsm_fault_add(hnsm_instance *inst, const hnsm_fault *fault);
/* Removes every fault rule. */
int hnsm_fault_clear(hnsm_instance *inst);
/* How many calls of api (as named above) inst has served. */
uint64_t hnsm_call_count(const hnsm_instance *inst, const char *api);

/* ---- Out-of-band changes HNS or VFP would make on their own ---- */

/* Deletes an object without any client call (hnsdiag delete, HNS dropping
 * it): no notification is sent. Returns 0, HNSM_ENOENT or HNSM_E*. */
int hnsm_drop_object(hnsm_instance *inst, hnsm_kind kind, const char *id);
/* Marks a load balancer programmed or not (v1 IsApplied / State). */
int hnsm_set_lb_applied(hnsm_instance *inst, const char *id, int applied);

/* ---- Virtual time and latency ---- */

/* The instance's virtual clock in milliseconds (starts at 0). */
uint64_t hnsm_clock_ms(const hnsm_instance *inst);
/* Moves the virtual clock forward. */
void hnsm_clock_advance(hnsm_instance *inst, uint64_t ms);
/* Latency model: 0 = none (default), 1 = the profile's model scaled by
 * scale (1.0 = the reference figures). Each call then advances the virtual
 * clock by a seeded draw. */
int hnsm_set_latency(hnsm_instance *inst, int enabled, double scale);

/* HNS adds a network's ProviderAddress (v1 ManagementIP) and, on Overlay,
 * DrMacAddress policies this long (virtual ms) after the create; 0 (the
 * default) = at once. Consumers such as flannel poll for them
 * (consumers.md 3.3, 7). Returns 0 or HNSM_EINVAL. */
int hnsm_set_generated_policy_delay(hnsm_instance *inst, uint64_t ms);

/* The virtual time (ms) of the next thing HNS does on its own - a delayed
 * network policy appearing - or 0 when nothing is pending. */
uint64_t hnsm_next_event_ms(hnsm_instance *inst);

/* ---- Notifications ---- */

/*
 * Called for each notification (an HCN_NOTIFICATIONS value), in the order the
 * operations raised them, on the instance's delivery thread: one thread per
 * instance, created by its first subscription and joined by hnsm_close; never
 * the thread of the call that caused the notification, and never inside it.
 * A callback may call the HCN API and this API (it does not hold the
 * instance). data is the NotificationData JSON, {"ID":"<GUID>","Flags":0}
 * plus "Data" for some events; it is NULL for HcnNotificationServiceDisconnect,
 * which every subscriber hears last when the instance closes. A call that
 * fails (and rolls back) notifies nobody. data is valid during the call only.
 */
typedef void (*hnsm_event_fn)(uint32_t type, const char *data, void *context);
typedef struct hnsm_subscription hnsm_subscription;

/* Subscribes fn to every notification of inst committed from now on.
 * Returns 0, HNSM_EINVAL or HNSM_ENOMEM. The caller owns *out and ends it
 * with hnsm_unsubscribe (also after hnsm_close, but not concurrently with it). */
int hnsm_subscribe(hnsm_instance *inst, hnsm_event_fn fn, void *context,
                   hnsm_subscription **out);
/* Ends a subscription and frees it; NULL is accepted. When it returns, fn is
 * not running and will not run again; called from fn itself it returns at
 * once and fn is not called again. */
void hnsm_unsubscribe(hnsm_subscription *sub);
/* Waits until every notification committed so far has been delivered to
 * every subscriber; returns at once when called from a callback. */
void hnsm_notifications_drain(hnsm_instance *inst);

#ifdef __cplusplus
}
#endif

#endif
