/*
 * regress_handles.c - regression tests for bugs found (and since fixed) in
 * hns-mock/handles.c. What was wrong:
 *
 * 1. Only 7 bits of generation are kept (encode() masks with 0x7F), so after
 *    128 close/open cycles on one slot - which is what a single-threaded
 *    client doing open -> query -> close does all day - a stale handle
 *    matches the new one again: it resolves, and a stale double close
 *    closes somebody else's live handle.
 * 2. decode() looks only at the low 32 bits of the pointer, so any value
 *    whose low 32 bits equal a live handle's (a foreign pointer with other
 *    high bits) is accepted as that handle.
 *
 * The fix (handles.c encode/decode): on 64-bit targets put the
 * generation in bits 32..62 (31 bits, wrap practically unreachable) and have
 * decode() refuse any value with bits set outside the ones encode() uses
 * (bits 24..30 and, on LP64, anything encode did not set); keep the current
 * layout only where uintptr_t is 32 bits.
 */
#include "unit.h"

#include "handles.h"

static void id_of(unsigned n, char id[HNSM_GUID_TEXT])
{
    GUID g;
    hnsm__guid_generate(0xB06, n, &g);
    hnsm__guid_format(&g, id);
}

/* BUG 1: a stale handle comes back to life after 128 reuses of its slot. */
static void stale_handle_stays_refused_after_many_reuses(void **state)
{
    (void)state;
    char a[HNSM_GUID_TEXT], b[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(1, a);
    id_of(2, b);
    void *stale = hnsm__handle_new(HNSM_NETWORK, a);
    assert_true(hnsm__handle_close(stale, HNSM_NETWORK));
    void *live = NULL;
    for (int cycle = 1; cycle <= 300; cycle++) {
        live = hnsm__handle_new(HNSM_NETWORK, b);
        if (hnsm__handle_get(stale, HNSM_NETWORK, got))
            fail_msg("after %d reuses the stale handle resolves to %s", cycle, got);
        if (cycle < 300)
            assert_true(hnsm__handle_close(live, HNSM_NETWORK));
    }
    assert_true(hnsm__handle_close(live, HNSM_NETWORK));
}

/* BUG 1, the harmful side: a double close by one caller closes another's handle. */
static void stale_double_close_never_closes_a_live_handle(void **state)
{
    (void)state;
    char a[HNSM_GUID_TEXT], b[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(3, a);
    id_of(4, b);
    void *mine = hnsm__handle_new(HNSM_ENDPOINT, a);
    assert_true(hnsm__handle_close(mine, HNSM_ENDPOINT));
    for (int cycle = 0; cycle < 127; cycle++) {
        void *h = hnsm__handle_new(HNSM_ENDPOINT, b);
        assert_true(hnsm__handle_close(h, HNSM_ENDPOINT));
    }
    void *theirs = hnsm__handle_new(HNSM_ENDPOINT, b);
    /* My buggy second close must fail and leave their handle alone. */
    assert_false(hnsm__handle_close(mine, HNSM_ENDPOINT));
    assert_true(hnsm__handle_get(theirs, HNSM_ENDPOINT, got));
    assert_true(hnsm__handle_close(theirs, HNSM_ENDPOINT));
}

/* BUG 2: bits 32..63 of a handle value are ignored. */
static void value_with_other_high_bits_is_foreign(void **state)
{
    (void)state;
    if (sizeof(uintptr_t) < 8)
        skip();
    char a[HNSM_GUID_TEXT], got[HNSM_GUID_TEXT];
    id_of(5, a);
    void *h = hnsm__handle_new(HNSM_NAMESPACE, a);
    assert_non_null(h);
    void *foreign = (void *)((uintptr_t)h | ((uintptr_t)0x5555 << 32));
    assert_false(hnsm__handle_get(foreign, HNSM_NAMESPACE, got));
    assert_false(hnsm__handle_close(foreign, HNSM_NAMESPACE));
    /* The real handle is untouched. */
    assert_true(hnsm__handle_get(h, HNSM_NAMESPACE, got));
    assert_string_equal(got, a);
    assert_true(hnsm__handle_close(h, HNSM_NAMESPACE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_handle_stays_refused_after_many_reuses),
        cmocka_unit_test(stale_double_close_never_closes_a_live_handle),
        cmocka_unit_test(value_with_other_high_bits_is_foreign),
    };
    return cmocka_run_group_tests_name("handles regressions", tests, NULL, NULL);
}
