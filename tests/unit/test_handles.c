/*
 * test_handles.c - the opaque HCN handles (handles.h).
 *
 * Covers hnsm__handle_new / _get / _close: a handle resolves to the id it
 * was made for and only as its own kind; closing with the wrong kind does
 * not close it; a closed handle, a second close, NULL and small integers are
 * refused; a handle stays refused after its slot is reused by a new handle;
 * ten thousand handles live at once stay distinct and resolve correctly
 * while every other one is closed and the slots are reused; and four threads
 * creating, resolving and closing handles together never see each other's
 * ids. The table is process-wide, so every test closes what it opens.
 *
 * Regression tests for fixed bugs are in regress_handles.c.
 */
#include "unit.h"

#include "handles.h"

#include <pthread.h>
#include <stdio.h>

/* The id text of the n-th test object. */
static void id_of(unsigned n, char id[HNSM_GUID_TEXT])
{
    GUID g;
    hnsm__guid_generate(0x4A4E444C, n, &g);
    hnsm__guid_format(&g, id);
}

static void new_handle_resolves_to_its_id(void **state)
{
    (void)state;
    char id[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(1, id);
    void *h = hnsm__handle_new(HNSM_NETWORK, id);
    assert_non_null(h);
    memset(got, 0, sizeof got);
    assert_true(hnsm__handle_get(h, HNSM_NETWORK, got));
    assert_string_equal(got, id);
    /* Resolving does not consume the handle. */
    assert_true(hnsm__handle_get(h, HNSM_NETWORK, got));
    assert_true(hnsm__handle_close(h, HNSM_NETWORK));
}

static void handles_for_the_same_object_are_independent(void **state)
{
    (void)state;
    char id[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(2, id);
    void *a = hnsm__handle_new(HNSM_ENDPOINT, id);
    void *b = hnsm__handle_new(HNSM_ENDPOINT, id);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_true(hnsm__handle_close(a, HNSM_ENDPOINT));
    assert_true(hnsm__handle_get(b, HNSM_ENDPOINT, got));
    assert_string_equal(got, id);
    assert_true(hnsm__handle_close(b, HNSM_ENDPOINT));
}

static void wrong_kind_is_refused(void **state)
{
    (void)state;
    char id[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(3, id);
    void *h = hnsm__handle_new(HNSM_NAMESPACE, id);
    assert_non_null(h);
    for (int k = 0; k < HNSM_KIND_COUNT; k++) {
        if (k == HNSM_NAMESPACE)
            continue;
        strcpy(got, "untouched");
        assert_false(hnsm__handle_get(h, (hnsm_kind)k, got));
        assert_string_equal(got, "untouched");
        /* Closing as another kind fails and leaves the handle open. */
        assert_false(hnsm__handle_close(h, (hnsm_kind)k));
    }
    assert_true(hnsm__handle_get(h, HNSM_NAMESPACE, got));
    assert_string_equal(got, id);
    assert_true(hnsm__handle_close(h, HNSM_NAMESPACE));
}

static void closed_handles_are_refused(void **state)
{
    (void)state;
    char id[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(4, id);
    void *h = hnsm__handle_new(HNSM_NETWORK, id);
    assert_true(hnsm__handle_close(h, HNSM_NETWORK));
    assert_false(hnsm__handle_get(h, HNSM_NETWORK, got));
    /* Double close. */
    assert_false(hnsm__handle_close(h, HNSM_NETWORK));
}

static void null_and_foreign_values_are_refused(void **state)
{
    (void)state;
    char got[HNSM_GUID_TEXT];
    assert_false(hnsm__handle_get(NULL, HNSM_NETWORK, got));
    assert_false(hnsm__handle_close(NULL, HNSM_NETWORK));
    static void *const foreign[] = {(void *)(uintptr_t)1, (void *)(uintptr_t)0x40,
                                    (void *)(uintptr_t)0x7FFFFFFF};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        for (int k = 0; k < HNSM_KIND_COUNT; k++) {
            assert_false(hnsm__handle_get(foreign[i], (hnsm_kind)k, got));
            assert_false(hnsm__handle_close(foreign[i], (hnsm_kind)k));
        }
    }
}

static void stale_handle_after_reuse_is_refused(void **state)
{
    (void)state;
    char a[HNSM_GUID_TEXT], b[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(5, a);
    id_of(6, b);
    void *old = hnsm__handle_new(HNSM_NETWORK, a);
    assert_true(hnsm__handle_close(old, HNSM_NETWORK));
    /* The freed slot is handed out again, for another object of the same kind. */
    void *fresh = hnsm__handle_new(HNSM_NETWORK, b);
    assert_non_null(fresh);
    assert_ptr_not_equal(fresh, old);
    assert_false(hnsm__handle_get(old, HNSM_NETWORK, got));
    assert_false(hnsm__handle_close(old, HNSM_NETWORK));
    /* The stale close did not take the new handle with it. */
    assert_true(hnsm__handle_get(fresh, HNSM_NETWORK, got));
    assert_string_equal(got, b);
    assert_true(hnsm__handle_close(fresh, HNSM_NETWORK));
}

enum { MANY = 10000 };

static void ten_thousand_handles(void **state)
{
    (void)state;
    void **h = calloc(MANY, sizeof *h);
    char(*ids)[HNSM_GUID_TEXT] = calloc(MANY, sizeof *ids);
    assert_non_null(h);
    assert_non_null(ids);
    char got[HNSM_GUID_TEXT];
    for (unsigned i = 0; i < MANY; i++) {
        id_of(1000 + i, ids[i]);
        h[i] = hnsm__handle_new((hnsm_kind)(i % HNSM_KIND_COUNT), ids[i]);
        assert_non_null(h[i]);
    }
    for (unsigned i = 0; i < MANY; i++) {
        if (!hnsm__handle_get(h[i], (hnsm_kind)(i % HNSM_KIND_COUNT), got) ||
            strcmp(got, ids[i]) != 0)
            fail_msg("handle %u does not resolve to its id", i);
        if (i > 0 && h[i] == h[i - 1])
            fail_msg("handles %u and %u are equal", i - 1, i);
    }
    /* Close every other one; the rest stay valid. */
    for (unsigned i = 0; i < MANY; i += 2)
        assert_true(hnsm__handle_close(h[i], (hnsm_kind)(i % HNSM_KIND_COUNT)));
    for (unsigned i = 0; i < MANY; i++) {
        bool open = hnsm__handle_get(h[i], (hnsm_kind)(i % HNSM_KIND_COUNT), got);
        if (open != (i % 2 == 1))
            fail_msg("handle %u is %s", i, open ? "still open" : "closed");
        if (open)
            assert_string_equal(got, ids[i]);
    }
    /* Refill the freed slots with new handles; old values stay dead. */
    void **again = calloc(MANY / 2, sizeof *again);
    assert_non_null(again);
    for (unsigned j = 0; j < MANY / 2; j++) {
        again[j] = hnsm__handle_new(HNSM_ENDPOINT, ids[2 * j]);
        assert_non_null(again[j]);
    }
    for (unsigned i = 0; i < MANY; i += 2)
        assert_false(hnsm__handle_get(h[i], (hnsm_kind)(i % HNSM_KIND_COUNT), got));
    for (unsigned j = 0; j < MANY / 2; j++) {
        assert_true(hnsm__handle_get(again[j], HNSM_ENDPOINT, got));
        assert_string_equal(got, ids[2 * j]);
        assert_true(hnsm__handle_close(again[j], HNSM_ENDPOINT));
    }
    for (unsigned i = 1; i < MANY; i += 2)
        assert_true(hnsm__handle_close(h[i], (hnsm_kind)(i % HNSM_KIND_COUNT)));
    free(again);
    free(ids);
    free(h);
}

/* One thread: repeatedly opens a few handles on its own ids, checks them,
 * closes them. Returns a count of mismatches. */
static void *worker(void *arg)
{
    unsigned base = (unsigned)(uintptr_t)arg;
    uintptr_t bad = 0;
    char ids[8][HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    void *h[8];
    for (unsigned k = 0; k < 8; k++)
        id_of(base + k, ids[k]);
    for (int round = 0; round < 2000; round++) {
        for (unsigned k = 0; k < 8; k++)
            h[k] = hnsm__handle_new(HNSM_ENDPOINT, ids[k]);
        for (unsigned k = 0; k < 8; k++)
            if (!h[k] || !hnsm__handle_get(h[k], HNSM_ENDPOINT, got) || strcmp(got, ids[k]) != 0)
                bad++;
        for (unsigned k = 0; k < 8; k++)
            if (!h[k] || !hnsm__handle_close(h[k], HNSM_ENDPOINT))
                bad++;
    }
    return (void *)bad;
}

static void threads_share_the_table_safely(void **state)
{
    (void)state;
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(50000 + 100 * i)), 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_int_equal((uintptr_t)bad, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_handle_resolves_to_its_id),
        cmocka_unit_test(handles_for_the_same_object_are_independent),
        cmocka_unit_test(wrong_kind_is_refused),
        cmocka_unit_test(closed_handles_are_refused),
        cmocka_unit_test(null_and_foreign_values_are_refused),
        cmocka_unit_test(stale_handle_after_reuse_is_refused),
        cmocka_unit_test(ten_thousand_handles),
        cmocka_unit_test(threads_share_the_table_safely),
    };
    return cmocka_run_group_tests_name("handles", tests, NULL, NULL);
}
