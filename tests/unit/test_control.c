/*
 * test_control.c - the control API of include/hnsmock/hnsmock.h.
 *
 * Covers hnsm_open on private memory (independent instances, ws2022 by
 * default) and on a temporary file; argument errors (no out pointer, unknown
 * profile, unopenable path) with hnsm_strerror texts; reopening a file store keeps its seed (ids continue the
 * same stream a fresh store with that seed gives), its profile and its
 * objects, while a new seed given on reopen is ignored; hnsm_set_profile
 * changes the answer of hnsm_version and persists, and refuses unknown names;
 * hnsm_set_choice / hnsm_get_choice / hnsm_choice_info (defaults, unknown
 * names, the GUID_UPPER_CASE choice changing what create returns);
 * hnsm_open_from_env honouring HNSIM_STORE, HNSIM_PROFILE and HNSIM_SEED and
 * refusing a malformed seed or profile; hnsm_use / hnsm_current; two
 * instances on one file seeing each other's completed calls (create, delete,
 * failed calls leaving nothing behind), and four threads with an instance
 * each writing one file at once losing no object and repeating no id; a file
 * that is not a store refused and left unchanged; and hnsm_hnscall answering
 * GET /globals/version and /globals/ per profile, other paths with the
 * E_NOTIMPL envelope. (HNSM_ESCHEMA is not tested: making a store of another
 * schema would mean writing hns-mock's tables, which ARCHITECTURE.md rule 1
 * reserves to hns-mock.)
 */
#include "unit.h"

#include "hresult.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"
#define QUERY_V2 "{" V2 "}"

/* ---- temporary store files -------------------------------------------- */

typedef struct tmp_dir {
    char dir[256];
} tmp_dir;

static void tmp_make(tmp_dir *t)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/hnsim-unit-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t->dir))
        fail_msg("mkdtemp %s: %s", t->dir, strerror(errno));
}

/* dir/name into out. */
static void tmp_path(const tmp_dir *t, const char *name, char out[320])
{
    snprintf(out, 320, "%s/%s", t->dir, name);
}

/* Removes dir/name and SQLite's companions of it. */
static void tmp_remove_store(const tmp_dir *t, const char *name)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[340];
        snprintf(path, sizeof path, "%s/%s%s", t->dir, name, suffixes[i]);
        unlink(path);
    }
}

static void tmp_done(const tmp_dir *t)
{
    tmp_remove_store(t, "a.db");
    tmp_remove_store(t, "b.db");
    if (rmdir(t->dir) != 0)
        fail_msg("temporary directory %s not empty", t->dir);
}

/* ---- helpers ------------------------------------------------------------ */

static hnsm_instance *open_store(const char *path, const char *profile, uint64_t seed, int seed_set)
{
    hnsm_config config = {0};
    config.store = path;
    config.profile = profile;
    config.seed = seed;
    config.seed_set = seed_set;
    hnsm_instance *inst = NULL;
    int err = hnsm_open(&config, &inst);
    if (err)
        fail_msg("hnsm_open(%s, %s): %s", path ? path : "(memory)", profile ? profile : "(default)",
                 hnsm_strerror(err));
    return inst;
}

/* Creates a NAT network named name (HNS picks the id); returns its id in id. */
static void create_network(hnsm_instance *inst, const char *name, char id[64])
{
    char json[256];
    snprintf(json, sizeof json, "{\"Name\":\"%s\",\"Type\":\"NAT\"," V2 "}", name);
    char *result = NULL, *error = NULL;
    HRESULT hr = hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, json, &result, &error);
    if (FAILED(hr))
        fail_msg("create %s: 0x%08X %s (%s)", name, (unsigned)hr, error ? error : "",
                 hnsm_last_detail());
    assert_null(error);
    assert_non_null(result);
    assert_int_equal(strlen(result), 36);
    snprintf(id, 64, "%s", result);
    hnsm_free(result);
}

/* The enumerate result of inst's networks, as text. Caller frees. */
static char *list_networks(hnsm_instance *inst)
{
    char *result = NULL;
    assert_succeeded(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_ENUMERATE, NULL, NULL, NULL, &result,
                               NULL));
    assert_non_null(result);
    return result;
}

static void assert_networks(hnsm_instance *inst, const char *expected)
{
    char *list = list_networks(inst);
    assert_string_equal(list, expected);
    hnsm_free(list);
}

/* The Name property of network id as inst sees it. */
static void assert_network_name(hnsm_instance *inst, const char *id, const char *name)
{
    char *props = NULL;
    assert_succeeded(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_QUERY, id, NULL, QUERY_V2, &props, NULL));
    cJSON *doc = parse_json(props);
    const cJSON *n = cJSON_GetObjectItem(doc, "Name");
    assert_true(cJSON_IsString(n));
    assert_string_equal(n->valuestring, name);
    cJSON_Delete(doc);
    hnsm_free(props);
}

/* ---- opening ------------------------------------------------------------ */

static void memory_instances_are_private(void **state)
{
    (void)state;
    hnsm_instance *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(hnsm_open(NULL, &a), 0);
    assert_non_null(a);
    assert_string_equal(hnsm_profile_name(a), "ws2022");
    unsigned major = 0, minor = 0;
    hnsm_version(a, &major, &minor);
    assert_int_equal(major, 13);
    assert_int_equal(minor, 3);
    b = open_store(":memory:", NULL, 0, 0);
    c = open_store("", "ws2025", 0, 0);
    assert_string_equal(hnsm_profile_name(c), "ws2025");

    assert_networks(a, "[]");
    char id[64];
    create_network(a, "only-in-a", id);
    char expected[80];
    snprintf(expected, sizeof expected, "[\"%s\"]", id);
    assert_networks(a, expected);
    assert_networks(b, "[]");
    assert_networks(c, "[]");
    hnsm_close(a);
    hnsm_close(b);
    hnsm_close(c);
    hnsm_close(NULL); /* accepted */
}

static void open_refuses_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(hnsm_open(NULL, NULL), HNSM_EINVAL);

    hnsm_config config = {0};
    config.profile = "ws2016";
    hnsm_instance *inst = (hnsm_instance *)1;
    assert_int_equal(hnsm_open(&config, &inst), HNSM_EINVAL);
    assert_null(inst);

    config.profile = NULL;
    config.store = "/nonexistent-hnsim-dir/sub/store.db";
    inst = (hnsm_instance *)1;
    assert_int_equal(hnsm_open(&config, &inst), HNSM_ESTORE);
    assert_null(inst);

    /* Every code has its own message. */
    static const int codes[] = {0, HNSM_EINVAL, HNSM_ESTORE, HNSM_ENOMEM, HNSM_ESCHEMA,
                                HNSM_ENOENT};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_non_null(hnsm_strerror(codes[i]));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(hnsm_strerror(codes[i]), hnsm_strerror(codes[j]));
    }
    assert_non_null(hnsm_strerror(-999));
}

static void a_file_that_is_not_a_store_is_refused_and_left_alone(void **state)
{
    (void)state;
    tmp_dir t;
    tmp_make(&t);
    char path[320];
    tmp_path(&t, "a.db", path);
    static const char text[] = "These are somebody's notes, not an HNS store.\n";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
    fclose(f);

    hnsm_config config = {0};
    config.store = path;
    hnsm_instance *inst = (hnsm_instance *)1;
    assert_int_equal(hnsm_open(&config, &inst), HNSM_ESTORE);
    assert_null(inst);

    char back[sizeof text + 16] = "";
    f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(back, 1, sizeof back, f);
    fclose(f);
    assert_int_equal(n, sizeof text - 1);
    assert_memory_equal(back, text, n);
    tmp_done(&t);
}

/* ---- persistence -------------------------------------------------------- */

static void reopened_store_keeps_seed_profile_and_objects(void **state)
{
    (void)state;
    tmp_dir t;
    tmp_make(&t);
    char path[320], other[320];
    tmp_path(&t, "a.db", path);
    tmp_path(&t, "b.db", other);

    /* A store seeded 42 on ws2019 with one network. */
    hnsm_instance *inst = open_store(path, "ws2019", 42, 1);
    char first[64], second[64];
    create_network(inst, "first", first);
    hnsm_close(inst);

    /* Reopened with no profile and another seed: both are the stored ones. */
    inst = open_store(path, NULL, 99, 1);
    assert_string_equal(hnsm_profile_name(inst), "ws2019");
    unsigned major = 0, minor = 0;
    hnsm_version(inst, &major, &minor);
    assert_int_equal(major, 9);
    assert_int_equal(minor, 5);
    char expected[160];
    snprintf(expected, sizeof expected, "[\"%s\"]", first);
    assert_networks(inst, expected);
    assert_network_name(inst, first, "first");
    create_network(inst, "second", second);
    hnsm_close(inst);

    /* A fresh store with seed 42 and the same calls gives the same ids. */
    hnsm_instance *fresh = open_store(other, "ws2019", 42, 1);
    char again1[64], again2[64];
    create_network(fresh, "first", again1);
    create_network(fresh, "second", again2);
    assert_string_equal(again1, first);
    assert_string_equal(again2, second);
    hnsm_close(fresh);

    /* A different seed gives different ids. */
    tmp_remove_store(&t, "b.db");
    fresh = open_store(other, "ws2019", 43, 1);
    create_network(fresh, "first", again1);
    assert_string_not_equal(again1, first);
    hnsm_close(fresh);

    /* Both networks are still there, in creation order. */
    inst = open_store(path, NULL, 0, 0);
    snprintf(expected, sizeof expected, "[\"%s\",\"%s\"]", first, second);
    assert_networks(inst, expected);
    hnsm_close(inst);
    tmp_done(&t);
}

static void set_profile_changes_version_and_persists(void **state)
{
    (void)state;
    tmp_dir t;
    tmp_make(&t);
    char path[320];
    tmp_path(&t, "a.db", path);
    hnsm_instance *inst = open_store(path, NULL, 0, 0);
    assert_string_equal(hnsm_profile_name(inst), "ws2022");

    assert_int_equal(hnsm_set_profile(inst, "ws2025"), 0);
    unsigned major = 0, minor = 0;
    hnsm_version(inst, &major, &minor);
    assert_int_equal(major, 15);
    assert_int_equal(minor, 4);
    assert_string_equal(hnsm_profile_name(inst), "ws2025");

    /* Unknown names change nothing. */
    assert_int_equal(hnsm_set_profile(inst, "ws1999"), HNSM_EINVAL);
    assert_int_equal(hnsm_set_profile(inst, NULL), HNSM_EINVAL);
    assert_int_equal(hnsm_set_profile(NULL, "ws2019"), HNSM_EINVAL);
    assert_string_equal(hnsm_profile_name(inst), "ws2025");
    hnsm_close(inst);

    inst = open_store(path, NULL, 0, 0);
    assert_string_equal(hnsm_profile_name(inst), "ws2025");
    /* An explicit version persists the same way. */
    assert_int_equal(hnsm_set_profile(inst, "14.0"), 0);
    hnsm_close(inst);
    inst = open_store(path, NULL, 0, 0);
    assert_string_equal(hnsm_profile_name(inst), "14.0");
    hnsm_version(inst, &major, &minor);
    assert_int_equal(major, 14);
    assert_int_equal(minor, 0);
    hnsm_close(inst);

    /* A profile given at open overrides the stored one. */
    inst = open_store(path, "ws2019", 0, 0);
    assert_string_equal(hnsm_profile_name(inst), "ws2019");
    hnsm_close(inst);
    tmp_done(&t);
}

/* ---- choices ------------------------------------------------------------ */

static void choices_have_defaults_and_can_be_flipped(void **state)
{
    (void)state;
    hnsm_instance *inst = open_store(NULL, NULL, 0, 0);
    int count = 0;
    const char *name, *reference, *description;
    int def;
    while (hnsm_choice_info(count, &name, &def, &reference, &description) == 0) {
        assert_non_null(name);
        assert_true(reference && *reference);
        assert_true(description && *description);
        int value = -12345;
        assert_int_equal(hnsm_get_choice(inst, name, &value), 0);
        assert_int_equal(value, def);
        for (int j = 0; j < count; j++) {
            const char *earlier;
            assert_int_equal(hnsm_choice_info(j, &earlier, NULL, NULL, NULL), 0);
            assert_string_not_equal(earlier, name);
        }
        count++;
    }
    assert_true(count >= 10);
    assert_int_equal(hnsm_choice_info(count, &name, &def, NULL, NULL), HNSM_ENOENT);
    assert_int_equal(hnsm_choice_info(-1, &name, &def, NULL, NULL), HNSM_ENOENT);

    int value = 0;
    assert_int_equal(hnsm_get_choice(inst, "GUID_UPPER_CASE", &value), 0);
    assert_int_equal(value, 1);
    assert_int_equal(hnsm_get_choice(inst, "NAMESPACE_ATTACH_STATE", &value), 0);
    assert_int_equal(value, 3);
    assert_int_equal(hnsm_set_choice(inst, "NAMESPACE_ATTACH_STATE", 2), 0);
    assert_int_equal(hnsm_get_choice(inst, "NAMESPACE_ATTACH_STATE", &value), 0);
    assert_int_equal(value, 2);

    assert_int_equal(hnsm_get_choice(inst, "NO_SUCH_CHOICE", &value), HNSM_ENOENT);
    assert_int_equal(hnsm_set_choice(inst, "NO_SUCH_CHOICE", 1), HNSM_ENOENT);
    assert_int_equal(hnsm_get_choice(inst, "guid_upper_case", &value), HNSM_ENOENT);
    assert_int_equal(hnsm_get_choice(inst, NULL, &value), HNSM_ENOENT);
    assert_int_equal(hnsm_set_choice(NULL, "GUID_UPPER_CASE", 0), HNSM_ENOENT);
    hnsm_close(inst);
}

static void guid_case_choice_changes_what_create_returns(void **state)
{
    (void)state;
    hnsm_instance *inst = open_store(NULL, NULL, 5, 1);
    char upper[64], lower[64];
    create_network(inst, "n1", upper);
    for (const char *p = upper; *p; p++)
        assert_true(!(*p >= 'a' && *p <= 'z'));
    assert_int_equal(hnsm_set_choice(inst, "GUID_UPPER_CASE", 0), 0);
    create_network(inst, "n2", lower);
    int letters = 0;
    for (const char *p = lower; *p; p++) {
        assert_true(!(*p >= 'A' && *p <= 'Z'));
        letters += *p >= 'a' && *p <= 'f';
    }
    assert_true(letters > 0);
    /* The lower-case id still names the object. */
    assert_network_name(inst, lower, "n2");
    hnsm_close(inst);
}

/* ---- environment -------------------------------------------------------- */

static void open_from_env_honours_the_variables(void **state)
{
    (void)state;
    tmp_dir t;
    tmp_make(&t);
    char path[320];
    tmp_path(&t, "a.db", path);
    setenv("HNSIM_STORE", path, 1);
    setenv("HNSIM_PROFILE", "ws2019", 1);
    setenv("HNSIM_SEED", "42", 1);
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open_from_env(&inst), 0);
    assert_string_equal(hnsm_profile_name(inst), "ws2019");
    char from_env[64], from_config[64];
    create_network(inst, "n", from_env);
    hnsm_close(inst);

    /* The same seed through hnsm_open gives the same first id. */
    hnsm_instance *ref = open_store(NULL, "ws2019", 42, 1);
    create_network(ref, "n", from_config);
    assert_string_equal(from_env, from_config);
    hnsm_close(ref);

    /* The variables named a real file: the network is in it. */
    inst = open_store(path, NULL, 0, 0);
    assert_string_equal(hnsm_profile_name(inst), "ws2019");
    assert_network_name(inst, from_env, "n");
    hnsm_close(inst);

    /* Empty variables: private memory, ws2022, seed 0. */
    setenv("HNSIM_STORE", "", 1);
    setenv("HNSIM_PROFILE", "", 1);
    setenv("HNSIM_SEED", "", 1);
    assert_int_equal(hnsm_open_from_env(&inst), 0);
    assert_string_equal(hnsm_profile_name(inst), "ws2022");
    assert_networks(inst, "[]");
    char zero_env[64], zero_config[64];
    create_network(inst, "n", zero_env);
    hnsm_close(inst);
    ref = open_store(NULL, NULL, 0, 1);
    create_network(ref, "n", zero_config);
    assert_string_equal(zero_env, zero_config);
    hnsm_close(ref);

    unsetenv("HNSIM_STORE");
    unsetenv("HNSIM_PROFILE");
    unsetenv("HNSIM_SEED");
    tmp_done(&t);
}

static void open_from_env_rejects_bad_values(void **state)
{
    (void)state;
    setenv("HNSIM_STORE", "", 1);
    setenv("HNSIM_PROFILE", "", 1);
    static const char *const bad_seeds[] = {"abc", "12abc", "4 2", " ", "1.5",
                                            "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad_seeds / sizeof bad_seeds[0]; i++) {
        setenv("HNSIM_SEED", bad_seeds[i], 1);
        hnsm_instance *inst = NULL;
        int err = hnsm_open_from_env(&inst);
        if (err != HNSM_EINVAL) {
            hnsm_close(inst);
            fail_msg("HNSIM_SEED=\"%s\" gave %d, expected HNSM_EINVAL", bad_seeds[i], err);
        }
        assert_null(inst);
    }
    setenv("HNSIM_SEED", "7", 1);
    setenv("HNSIM_PROFILE", "ws2030", 1);
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open_from_env(&inst), HNSM_EINVAL);
    assert_null(inst);
    unsetenv("HNSIM_STORE");
    unsetenv("HNSIM_PROFILE");
    unsetenv("HNSIM_SEED");
}

static void use_and_current(void **state)
{
    (void)state;
    setenv("HNSIM_STORE", "", 1);
    setenv("HNSIM_PROFILE", "ws2025", 1);
    setenv("HNSIM_SEED", "", 1);
    hnsm_instance *mine = open_store(NULL, "ws2019", 0, 0);
    hnsm_use(mine);
    assert_ptr_equal(hnsm_current(), mine);
    /* Closing the current instance falls back to the environment default. */
    hnsm_close(mine);
    hnsm_instance *fallback = hnsm_current();
    assert_non_null(fallback);
    /* (It may reuse mine's memory, so tell them apart by profile.) */
    assert_string_equal(hnsm_profile_name(fallback), "ws2025");
    /* The default is opened once. */
    assert_ptr_equal(hnsm_current(), fallback);
    hnsm_use(NULL);
    assert_ptr_equal(hnsm_current(), fallback);
    hnsm_close(fallback);
    unsetenv("HNSIM_STORE");
    unsetenv("HNSIM_PROFILE");
    unsetenv("HNSIM_SEED");
}

/* ---- two connections ---------------------------------------------------- */

static void two_instances_on_one_file_see_each_others_calls(void **state)
{
    (void)state;
    tmp_dir t;
    tmp_make(&t);
    char path[320];
    tmp_path(&t, "a.db", path);
    hnsm_instance *a = open_store(path, NULL, 11, 1);
    hnsm_instance *b = open_store(path, NULL, 0, 0);
    assert_networks(b, "[]");

    char n1[64], n2[64], expected[160];
    create_network(a, "from-a", n1);
    snprintf(expected, sizeof expected, "[\"%s\"]", n1);
    assert_networks(b, expected);
    assert_network_name(b, n1, "from-a");
    assert_succeeded(hnsm_call(b, HNSM_NETWORK, HNSM_OP_OPEN, n1, NULL, NULL, NULL, NULL));

    /* b draws from the same stored stream: a new id, never a repeat. */
    create_network(b, "from-b", n2);
    assert_string_not_equal(n1, n2);
    snprintf(expected, sizeof expected, "[\"%s\",\"%s\"]", n1, n2);
    assert_networks(a, expected);
    assert_networks(b, expected);

    /* A refused call in one leaves nothing for the other to see. */
    char *error = NULL;
    assert_hr(hnsm_call(a, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                        "{\"Name\":\"from-b\",\"Type\":\"NAT\"," V2 "}", NULL, &error),
              HNSM_HCN_E_NETWORK_ALREADY_EXISTS);
    assert_non_null(error);
    hnsm_free(error);
    assert_networks(b, expected);

    /* A delete by one is seen by the other, for lists and direct opens. */
    assert_succeeded(hnsm_call(b, HNSM_NETWORK, HNSM_OP_DELETE, n1, NULL, NULL, NULL, NULL));
    snprintf(expected, sizeof expected, "[\"%s\"]", n2);
    assert_networks(a, expected);
    assert_hr(hnsm_call(a, HNSM_NETWORK, HNSM_OP_OPEN, n1, NULL, NULL, NULL, NULL),
              HNSM_HCN_E_NETWORK_NOT_FOUND);
    assert_hr(hnsm_call(a, HNSM_NETWORK, HNSM_OP_QUERY, n1, NULL, QUERY_V2, NULL, NULL),
              HNSM_HCN_E_NETWORK_NOT_FOUND);

    /* A profile change by one is in the store for the next opener. */
    assert_int_equal(hnsm_set_profile(a, "ws2025"), 0);
    hnsm_instance *c = open_store(path, NULL, 0, 0);
    assert_string_equal(hnsm_profile_name(c), "ws2025");
    hnsm_close(c);
    hnsm_close(a);
    hnsm_close(b);
    tmp_done(&t);
}

/* One writer: its own instance on the shared file, creating networks w<k>-<i>. */
typedef struct writer {
    const char *path;
    int index;
    int created;
    HRESULT failure;
} writer;

enum { WRITERS = 4, NETWORKS_EACH = 20 };

static void *write_networks(void *arg)
{
    writer *w = arg;
    hnsm_config config = {0};
    config.store = w->path;
    hnsm_instance *inst = NULL;
    if (hnsm_open(&config, &inst) != 0) {
        w->failure = E_FAIL;
        return NULL;
    }
    for (int i = 0; i < NETWORKS_EACH; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"Name\":\"w%d-%d\",\"Type\":\"NAT\"," V2 "}", w->index, i);
        HRESULT hr = hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, json, NULL, NULL);
        if (FAILED(hr)) {
            w->failure = hr;
            break;
        }
        w->created++;
    }
    hnsm_close(inst);
    return NULL;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void concurrent_writers_never_lose_or_repeat_an_object(void **state)
{
    (void)state;
    tmp_dir t;
    tmp_make(&t);
    char path[320];
    tmp_path(&t, "a.db", path);
    hnsm_close(open_store(path, NULL, 3, 1)); /* create the store once */

    pthread_t threads[WRITERS];
    writer writers[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        writers[k] = (writer){path, k, 0, S_OK};
        assert_int_equal(pthread_create(&threads[k], NULL, write_networks, &writers[k]), 0);
    }
    for (int k = 0; k < WRITERS; k++) {
        assert_int_equal(pthread_join(threads[k], NULL), 0);
        assert_hr(writers[k].failure, S_OK);
        assert_int_equal(writers[k].created, NETWORKS_EACH);
    }

    hnsm_instance *inst = open_store(path, NULL, 0, 0);
    char *list = list_networks(inst);
    cJSON *ids = parse_json(list);
    assert_int_equal(cJSON_GetArraySize(ids), WRITERS * NETWORKS_EACH);
    const char *sorted[WRITERS * NETWORKS_EACH];
    int n = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        assert_true(cJSON_IsString(id));
        sorted[n++] = id->valuestring;
    }
    qsort(sorted, (size_t)n, sizeof sorted[0], compare_strings);
    for (int i = 1; i < n; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            fail_msg("id %s was handed out twice", sorted[i]);
    cJSON_Delete(ids);
    hnsm_free(list);
    hnsm_close(inst);
    tmp_done(&t);
}

/* ---- HNSCall ------------------------------------------------------------ */

/* Runs hnsm_hnscall and checks both the HRESULT and the exact envelope. */
static void check_hnscall(hnsm_instance *inst, const char *method, const char *path,
                          HRESULT expected_hr, const char *expected)
{
    char *response = NULL;
    HRESULT hr = hnsm_hnscall(inst, method, path, "", &response);
    if (hr != expected_hr)
        fail_msg("%s %s gave 0x%08X", method, path, (unsigned)hr);
    assert_non_null(response);
    if (strcmp(response, expected) != 0)
        fail_msg("%s %s\n   got: %s\nwanted: %s", method, path, response, expected);
    hnsm_free(response);
}

static void hnscall_globals_per_profile(void **state)
{
    (void)state;
    static const struct {
        const char *profile;
        const char *version;
    } cases[] = {
        {"ws2019", "{\"Major\":9,\"Minor\":5}"},
        {"ws2022", "{\"Major\":13,\"Minor\":3}"},
        {"ws2025", "{\"Major\":15,\"Minor\":4}"},
        {"11.10", "{\"Major\":11,\"Minor\":10}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hnsm_instance *inst = open_store(NULL, cases[i].profile, 0, 0);
        char version[128], globals[160];
        snprintf(version, sizeof version, "{\"Success\":true,\"Output\":%s}", cases[i].version);
        snprintf(globals, sizeof globals, "{\"Success\":true,\"Output\":{\"Version\":%s}}",
                 cases[i].version);
        check_hnscall(inst, "GET", "/globals/version", S_OK, version);
        check_hnscall(inst, "get", "/Globals/Version/", S_OK, version);
        check_hnscall(inst, "GET", "/globals/", S_OK, globals);
        check_hnscall(inst, "GET", "/globals", S_OK, globals);
        hnsm_close(inst);
    }
    /* The answer follows hnsm_set_profile. */
    hnsm_instance *inst = open_store(NULL, "ws2019", 0, 0);
    assert_int_equal(hnsm_set_profile(inst, "ws2025"), 0);
    check_hnscall(inst, "GET", "/globals/version", S_OK,
                  "{\"Success\":true,\"Output\":{\"Major\":15,\"Minor\":4}}");
    hnsm_close(inst);
}

/* Paths and methods HNS does not serve are a logical failure in the envelope
 * (hns-mock/hnscall.c); the v1 object paths are covered by the conformance
 * cases tests/conformance/cases/v1_*.json. */
static void hnscall_unknown_paths_are_unsupported(void **state)
{
    (void)state;
    hnsm_instance *inst = open_store(NULL, NULL, 0, 0);
    const char *envelope = "{\"Success\":false,\"Error\":\"The specified request is unsupported. \","
                           "\"ErrorCode\":-2143617003}";
    check_hnscall(inst, "GET", "/networks/", S_OK, "{\"Success\":true,\"Output\":[]}");
    check_hnscall(inst, "POST", "/globals/version", S_OK, envelope);
    check_hnscall(inst, "DELETE", "/globals/", S_OK, envelope);
    check_hnscall(inst, "GET", "/globals/versions", S_OK, envelope);
    check_hnscall(inst, "GET", "/", S_OK, envelope);

    char *response = (char *)1;
    assert_hr(hnsm_hnscall(inst, NULL, "/globals/version", "", &response), HNSM_E_INVALIDARG);
    assert_null(response);
    response = (char *)1;
    assert_hr(hnsm_hnscall(inst, "GET", NULL, "", &response), HNSM_E_INVALIDARG);
    assert_null(response);
    response = (char *)1;
    assert_hr(hnsm_hnscall(NULL, "GET", "/globals/version", "", &response), HNSM_E_INVALIDARG);
    assert_null(response);
    assert_hr(hnsm_hnscall(inst, "GET", "/globals/version", "", NULL), HNSM_E_INVALIDARG);
    hnsm_close(inst);
}

static void call_argument_errors_come_with_a_record(void **state)
{
    (void)state;
    hnsm_instance *inst = open_store(NULL, NULL, 0, 0);
    char *result = (char *)1, *error = NULL;
    assert_hr(hnsm_call(NULL, HNSM_NETWORK, HNSM_OP_ENUMERATE, NULL, NULL, NULL, &result, &error),
              HNSM_E_INVALIDARG);
    assert_null(result);
    assert_string_equal(error, "{\"Success\":false,\"Error\":\"The parameter is incorrect. \","
                               "\"ErrorCode\":2147942487}");
    hnsm_free(error);
    assert_hr(hnsm_call(inst, HNSM_KIND_COUNT, HNSM_OP_ENUMERATE, NULL, NULL, NULL, NULL, NULL),
              HNSM_E_INVALIDARG);
    assert_hr(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_COUNT, NULL, NULL, NULL, NULL, NULL),
              HNSM_E_INVALIDARG);
    assert_hr(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_OPEN, "not-a-guid", NULL, NULL, NULL, NULL),
              HNSM_HCN_E_GUID_CONVERSION_FAILURE);
    assert_hr(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, "{\"Name\":", NULL, NULL),
              HNSM_HCN_E_INVALID_JSON);
    assert_true(hnsm_last_detail()[0] != '\0');
    /* A success clears the detail and leaves no record. */
    error = (char *)1;
    assert_succeeded(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_ENUMERATE, NULL, NULL, NULL, NULL, &error));
    assert_null(error);
    assert_string_equal(hnsm_last_detail(), "");
    hnsm_close(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory_instances_are_private),
        cmocka_unit_test(open_refuses_bad_arguments),
        cmocka_unit_test(a_file_that_is_not_a_store_is_refused_and_left_alone),
        cmocka_unit_test(reopened_store_keeps_seed_profile_and_objects),
        cmocka_unit_test(set_profile_changes_version_and_persists),
        cmocka_unit_test(choices_have_defaults_and_can_be_flipped),
        cmocka_unit_test(guid_case_choice_changes_what_create_returns),
        cmocka_unit_test(open_from_env_honours_the_variables),
        cmocka_unit_test(open_from_env_rejects_bad_values),
        cmocka_unit_test(use_and_current),
        cmocka_unit_test(two_instances_on_one_file_see_each_others_calls),
        cmocka_unit_test(concurrent_writers_never_lose_or_repeat_an_object),
        cmocka_unit_test(hnscall_globals_per_profile),
        cmocka_unit_test(hnscall_unknown_paths_are_unsupported),
        cmocka_unit_test(call_argument_errors_come_with_a_record),
    };
    return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
