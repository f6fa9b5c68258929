/*
 * test_guid.c - GUID text forms and the seeded id stream (guid.h).
 *
 * Covers hnsm__guid_parse (36 characters or 38 with braces, hex of either
 * case, the Windows field layout; wrong lengths, unbalanced braces, non-hex
 * characters and missing or misplaced dashes refused), hnsm__guid_format
 * (upper case, fixed layout), hnsm__guid_canonical, hnsm__guid_is_null, and
 * the generator: hnsm__guid_generate gives the same GUID for the same (seed,
 * n), distinct GUIDs for distinct n and seeds, and always the version-4 and
 * RFC 4122 variant bits; hnsm__mix64 is deterministic.
 */
#include "unit.h"

#include "guid.h"

#include <stdio.h>

static const char *const sample = "3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B";

static void assert_sample_fields(const GUID *g)
{
    assert_int_equal(g->Data1, 0x3E23D9E6u);
    assert_int_equal(g->Data2, 0x6B8Au);
    assert_int_equal(g->Data3, 0x4C55u);
    static const uint8_t data4[8] = {0x9F, 0x4A, 0x0B, 0x5C, 0x0E, 0x6F, 0x1A, 0x2B};
    assert_memory_equal(g->Data4, data4, 8);
}

static void parses_upper_lower_and_braced_forms(void **state)
{
    (void)state;
    GUID g;
    assert_true(hnsm__guid_parse(sample, &g));
    assert_sample_fields(&g);
    assert_true(hnsm__guid_parse("3e23d9e6-6b8a-4c55-9f4a-0b5c0e6f1a2b", &g));
    assert_sample_fields(&g);
    assert_true(hnsm__guid_parse("{3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B}", &g));
    assert_sample_fields(&g);
    assert_true(hnsm__guid_parse("{3e23D9e6-6B8a-4c55-9F4A-0b5C0E6f1A2b}", &g));
    assert_sample_fields(&g);
    assert_true(hnsm__guid_parse("00000000-0000-0000-0000-000000000000", &g));
    assert_true(hnsm__guid_is_null(&g));
    assert_true(hnsm__guid_parse("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", &g));
    assert_int_equal(g.Data1, 0xFFFFFFFFu);
    assert_false(hnsm__guid_is_null(&g));
}

static void rejects_malformed_text(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "3E23D9E6",
        "3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2",     /* 35 characters */
        "3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B0",   /* 37 characters */
        "{3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B",   /* opening brace only */
        "3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B}",   /* closing brace only */
        "(3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B)",  /* wrong brackets */
        "{{3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B}}",
        "3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2G",    /* G is not hex */
        "3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2 ",
        " 3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2",
        "XE23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B",
        "3E23D9E6-6B8A-4C55-9F4A-+B5C0E6F1A2B",
        "3E23D9E6-6B8A-4C55-9F4A-0x5C0E6F1A2B",
        "3E23D9E606B8A-4C55-9F4A-0B5C0E6F1A2B",    /* first dash missing */
        "3E23D9E6-6B8A04C55-9F4A-0B5C0E6F1A2B",    /* second dash missing */
        "3E23D9E6-6B8A-4C5509F4A-0B5C0E6F1A2B",    /* third dash missing */
        "3E23D9E6-6B8A-4C55-9F4A00B5C0E6F1A2B",    /* fourth dash missing */
        "3E23D9E66B8A4C559F4A0B5C0E6F1A2B",        /* no dashes at all (32) */
        "3E23D9E-66B8A-4C55-9F4A-0B5C0E6F1A2B",    /* dash one place early */
        "3E23D9E6-6B8A-4C55-9F4A0-B5C0E6F1A2B",    /* dash one place late */
        "3E23D9E6:6B8A:4C55:9F4A:0B5C0E6F1A2B",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        GUID g;
        if (hnsm__guid_parse(bad[i], &g))
            fail_msg("accepted \"%s\"", bad[i]);
        char out[HNSM_GUID_TEXT];
        if (hnsm__guid_canonical(bad[i], out))
            fail_msg("canonical accepted \"%s\"", bad[i]);
    }
    GUID g;
    assert_false(hnsm__guid_parse(NULL, &g));
}

static void formats_upper_case_with_fixed_layout(void **state)
{
    (void)state;
    GUID g = {0x0a0b0c0d, 0x00ef, 0x0001, {0xab, 0xcd, 0x00, 0x01, 0x02, 0x03, 0xfe, 0xff}};
    char out[HNSM_GUID_TEXT];
    memset(out, 'x', sizeof out);
    hnsm__guid_format(&g, out);
    assert_string_equal(out, "0A0B0C0D-00EF-0001-ABCD-00010203FEFF");
    assert_int_equal(strlen(out), 36);
    static const GUID zero;
    hnsm__guid_format(&zero, out);
    assert_string_equal(out, "00000000-0000-0000-0000-000000000000");
    /* Format and parse are inverses. */
    GUID back;
    hnsm__guid_format(&g, out);
    assert_true(hnsm__guid_parse(out, &back));
    assert_memory_equal(&back, &g, sizeof g);
}

static void canonical_rewrites_to_upper_case_without_braces(void **state)
{
    (void)state;
    char out[HNSM_GUID_TEXT];
    assert_true(hnsm__guid_canonical("{3e23d9e6-6b8a-4c55-9f4a-0b5c0e6f1a2b}", out));
    assert_string_equal(out, sample);
    assert_true(hnsm__guid_canonical("3e23d9e6-6B8A-4c55-9F4A-0b5c0e6f1a2b", out));
    assert_string_equal(out, sample);
    assert_true(hnsm__guid_canonical(sample, out));
    assert_string_equal(out, sample);
}

static void generator_is_deterministic(void **state)
{
    (void)state;
    for (uint64_t n = 0; n < 64; n++) {
        GUID a, b;
        hnsm__guid_generate(42, n, &a);
        hnsm__guid_generate(42, n, &b);
        assert_memory_equal(&a, &b, sizeof a);
    }
    assert_int_equal(hnsm__mix64(7, 3), hnsm__mix64(7, 3));
    assert_int_not_equal(hnsm__mix64(7, 3), hnsm__mix64(7, 4));
    assert_int_not_equal(hnsm__mix64(7, 3), hnsm__mix64(8, 3));
}

static int compare_text(const void *a, const void *b) { return strcmp(a, b); }

static void generator_never_repeats_within_a_stream(void **state)
{
    (void)state;
    enum { COUNT = 10000 };
    char(*texts)[HNSM_GUID_TEXT] = malloc(COUNT * sizeof *texts);
    assert_non_null(texts);
    for (uint64_t n = 0; n < COUNT; n++) {
        GUID g;
        hnsm__guid_generate(0, n, &g);
        assert_false(hnsm__guid_is_null(&g));
        hnsm__guid_format(&g, texts[n]);
    }
    qsort(texts, COUNT, sizeof texts[0], compare_text);
    for (size_t i = 1; i < COUNT; i++)
        if (strcmp(texts[i - 1], texts[i]) == 0)
            fail_msg("GUID %s generated twice", texts[i]);
    free(texts);
}

static void different_seeds_give_different_streams(void **state)
{
    (void)state;
    for (uint64_t n = 0; n < 32; n++) {
        GUID a, b;
        hnsm__guid_generate(1, n, &a);
        hnsm__guid_generate(2, n, &b);
        assert_memory_not_equal(&a, &b, sizeof a);
    }
}

static void generated_guids_are_version_4_rfc4122(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0, 1, 42, 0xFFFFFFFFFFFFFFFFull};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (uint64_t n = 0; n < 2000; n++) {
            GUID g;
            hnsm__guid_generate(seeds[s], n, &g);
            assert_int_equal(g.Data3 >> 12, 4);
            assert_int_equal(g.Data4[0] & 0xC0, 0x80);
            char text[HNSM_GUID_TEXT];
            hnsm__guid_format(&g, text);
            assert_int_equal(text[14], '4');
            assert_non_null(strchr("89AB", text[19]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_upper_lower_and_braced_forms),
        cmocka_unit_test(rejects_malformed_text),
        cmocka_unit_test(formats_upper_case_with_fixed_layout),
        cmocka_unit_test(canonical_rewrites_to_upper_case_without_braces),
        cmocka_unit_test(generator_is_deterministic),
        cmocka_unit_test(generator_never_repeats_within_a_stream),
        cmocka_unit_test(different_seeds_give_different_streams),
        cmocka_unit_test(generated_guids_are_version_4_rfc4122),
    };
    return cmocka_run_group_tests_name("guid", tests, NULL, NULL);
}
