/*
 * instance.c - opening and closing instances, the process's current instance,
 * and the small control calls (profile, choices, host).
 *
 * The current instance is what the HCN API acts on: the calling thread's
 * (hnsm_use_thread, one per simulated node on the cluster's worker threads)
 * if it chose one, else the process's - set with hnsm_use() or opened lazily,
 * once, from HNSIM_STORE / HNSIM_PROFILE / HNSIM_SEED the first time the API
 * is called.
 */
#include "instance.h"

#include "faults.h"
#include "hresult.h"
#include "ipaddr.h"
#include "jsonx.h"
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct choice_row {
    const char *name;
    int default_value;
    const char *reference;
    const char *description;
} choice_rows[] = {
#define HNSM_CHOICE(name, def, ref, text) {#name, def, ref, text},
#include "choices.def"
#undef HNSM_CHOICE
};

void hnsm__choices_defaults(int values[HNSM_CHOICE_COUNT])
{
    for (int i = 0; i < HNSM_CHOICE_COUNT; i++)
        values[i] = choice_rows[i].default_value;
}

int hnsm__choice(const hnsm_instance *inst, hnsm_choice c) { return inst->choices[c]; }

int hnsm_choice_info(int index, const char **name, int *default_value, const char **reference,
                     const char **description)
{
    if (index < 0 || index >= HNSM_CHOICE_COUNT)
        return HNSM_ENOENT;
    if (name)
        *name = choice_rows[index].name;
    if (default_value)
        *default_value = choice_rows[index].default_value;
    if (reference)
        *reference = choice_rows[index].reference;
    if (description)
        *description = choice_rows[index].description;
    return 0;
}

static int choice_index(const char *name)
{
    for (int i = 0; name && i < HNSM_CHOICE_COUNT; i++)
        if (strcmp(choice_rows[i].name, name) == 0)
            return i;
    return -1;
}

int hnsm_get_choice(const hnsm_instance *inst, const char *name, int *value)
{
    int i = choice_index(name);
    if (!inst || i < 0)
        return HNSM_ENOENT;
    *value = inst->choices[i];
    return 0;
}

int hnsm_set_choice(hnsm_instance *inst, const char *name, int value)
{
    int i = choice_index(name);
    if (!inst || i < 0)
        return HNSM_ENOENT;
    pthread_mutex_lock(&inst->lock);
    inst->choices[i] = value;
    pthread_mutex_unlock(&inst->lock);
    return 0;
}

const char *hnsm_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case HNSM_EINVAL:
        return "invalid argument";
    case HNSM_ESTORE:
        return "the store could not be opened or used";
    case HNSM_ENOMEM:
        return "out of memory";
    case HNSM_ESCHEMA:
        return "the store was written by an incompatible version of hnsim";
    case HNSM_ENOENT:
        return "no such item";
    default:
        return "unknown error";
    }
}

int hnsm_open(const hnsm_config *config, hnsm_instance **out)
{
    if (!out)
        return HNSM_EINVAL;
    *out = NULL;
    hnsm_profile probe;
    if (config && config->profile && !hnsm__profile_lookup(config->profile, &probe))
        return HNSM_EINVAL;
    hnsm_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return HNSM_ENOMEM;
    inst->generated_rescan = true; /* a store may hold pending network policies */
    pthread_mutex_init(&inst->lock, NULL);
    hnsm__choices_defaults(inst->choices);
    const char *store = config ? config->store : NULL;
    if (store && *store && strcmp(store, ":memory:") != 0) {
        inst->path = strdup(store);
        if (!inst->path) {
            free(inst);
            return HNSM_ENOMEM;
        }
    }
    int err = hnsm__store_open(inst, config);
    if (err) {
        hnsm__store_close(inst);
        pthread_mutex_destroy(&inst->lock);
        free(inst->path);
        free(inst);
        return err;
    }
    *out = inst;
    return 0;
}

/* The process's current instance and the lazily opened default. */
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static hnsm_instance *current_explicit;
static hnsm_instance *current_default;
static _Thread_local hnsm_instance *current_thread; /* hnsm_use_thread */

void hnsm_close(hnsm_instance *inst)
{
    if (!inst)
        return;
    pthread_mutex_lock(&current_lock);
    if (current_explicit == inst)
        current_explicit = NULL;
    if (current_default == inst)
        current_default = NULL;
    pthread_mutex_unlock(&current_lock);
    if (current_thread == inst)
        current_thread = NULL;
    hnsm__events_shutdown(inst);
    hnsm__faults_free(inst);
    hnsm__store_close(inst);
    pthread_mutex_destroy(&inst->lock);
    free(inst->path);
    free(inst);
}

void hnsm_use(hnsm_instance *inst)
{
    pthread_mutex_lock(&current_lock);
    current_explicit = inst;
    pthread_mutex_unlock(&current_lock);
}

int hnsm_open_from_env(hnsm_instance **out)
{
    hnsm_config config = {0};
    config.store = getenv("HNSIM_STORE");
    config.profile = getenv("HNSIM_PROFILE");
    if (config.profile && !*config.profile)
        config.profile = NULL;
    const char *seed = getenv("HNSIM_SEED");
    if (seed && *seed) {
        char *end;
        if (strchr(seed, '-')) {
            fprintf(stderr, "hnsmock: HNSIM_SEED=%s is negative\n", seed);
            return HNSM_EINVAL;
        }
        errno = 0;
        unsigned long long v = strtoull(seed, &end, 0);
        if (errno || *end) {
            fprintf(stderr, "hnsmock: HNSIM_SEED=%s is not a number\n", seed);
            return HNSM_EINVAL;
        }
        config.seed = v;
        config.seed_set = 1;
    }
    int err = hnsm_open(&config, out);
    if (err)
        fprintf(stderr, "hnsmock: cannot open the default HNS instance (HNSIM_STORE=%s, "
                        "HNSIM_PROFILE=%s): %s\n",
                config.store ? config.store : "(memory)",
                config.profile ? config.profile : "(default)", hnsm_strerror(err));
    return err;
}

void hnsm_use_thread(hnsm_instance *inst)
{
    current_thread = inst;
}

bool hnsm__thread_has_instance(void)
{
    return current_thread != NULL;
}

hnsm_instance *hnsm_current(void)
{
    if (current_thread)
        return current_thread;
    pthread_mutex_lock(&current_lock);
    hnsm_instance *inst = current_explicit;
    if (!inst) {
        if (!current_default)
            hnsm_open_from_env(&current_default);
        inst = current_default;
    }
    pthread_mutex_unlock(&current_lock);
    return inst;
}

const char *hnsm_profile_name(const hnsm_instance *inst) { return inst->profile.name; }

void hnsm_version(const hnsm_instance *inst, unsigned *major, unsigned *minor)
{
    if (major)
        *major = inst->profile.major;
    if (minor)
        *minor = inst->profile.minor;
}

int hnsm_set_profile(hnsm_instance *inst, const char *profile)
{
    hnsm_profile p;
    if (!inst || !profile || !hnsm__profile_lookup(profile, &p))
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    int err = HNSM_ESTORE;
    if (SUCCEEDED(hnsm__begin_write(inst))) {
        if (SUCCEEDED(hnsm__meta_set_text(inst, "profile", p.name)) &&
            SUCCEEDED(hnsm__commit(inst))) {
            inst->profile = p;
            err = 0;
        } else {
            hnsm__rollback(inst);
        }
    }
    pthread_mutex_unlock(&inst->lock);
    return err;
}

int hnsm_set_host(hnsm_instance *inst, const char *adapter_name, const char *ip_prefix)
{
    hnsm_prefix p;
    if (!inst || !adapter_name || !*adapter_name || strlen(adapter_name) >= 64 || !ip_prefix ||
        strlen(ip_prefix) >= 64 || !hnsm__prefix_parse(ip_prefix, false, &p))
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    int err = HNSM_ESTORE;
    if (SUCCEEDED(hnsm__begin_write(inst))) {
        if (SUCCEEDED(hnsm__meta_set_text(inst, "host_adapter", adapter_name)) &&
            SUCCEEDED(hnsm__meta_set_text(inst, "host_ip", ip_prefix)) &&
            SUCCEEDED(hnsm__commit(inst)))
            err = 0;
        else
            hnsm__rollback(inst);
    }
    pthread_mutex_unlock(&inst->lock);
    return err;
}

void hnsm_free(void *p) { free(p); }

const char *hnsm_hresult_name(HRESULT hr) { return hnsm__hresult_name(hr); }

const char *hnsm_hresult_message(HRESULT hr) { return hnsm__hresult_message(hr); }

const char *hnsm_last_detail(void) { return hnsm__detail_get(); }
