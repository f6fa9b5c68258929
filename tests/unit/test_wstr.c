/*
 * test_wstr.c - the wide <-> UTF-8 conversions at the API boundary (wstr.h).
 *
 * Covers hnsm__wide_to_utf8 (ASCII, 2-, 3- and 4-byte UTF-8 output, every
 * valid code point in one round trip, lone surrogates and values above
 * U+10FFFF refused with *out left NULL, the HNSM_MAX_DOCUMENT_BYTES limit
 * counted in UTF-8 bytes), hnsm__utf8_to_wide_cotask (the same texts back,
 * malformed, truncated, overlong, surrogate and out-of-range UTF-8 refused)
 * and hnsm__utf8_valid (the same rules, bounded by the given length). The
 * tests assume the 32-bit wchar_t of Linux and macOS, where WCHAR holds one
 * code point.
 */
#include "unit.h"

#include "wstr.h"

#include <wchar.h>

/* Converts ws and checks the UTF-8 bytes. */
static void check_to_utf8(const WCHAR *ws, const char *expected)
{
    char *out = (char *)1;
    assert_int_equal(hnsm__wide_to_utf8(ws, &out), WSTR_OK);
    assert_non_null(out);
    assert_string_equal(out, expected);
    free(out);
}

/* Checks that ws is refused with status and that *out is left NULL. */
static void check_refused(const WCHAR *ws, int status)
{
    char *out = (char *)1;
    assert_int_equal(hnsm__wide_to_utf8(ws, &out), status);
    assert_null(out);
}

/* Converts UTF-8 s to wide and checks the result against expected. */
static void check_to_wide(const char *s, const WCHAR *expected)
{
    WCHAR *w = hnsm__utf8_to_wide_cotask(s);
    assert_non_null(w);
    if (wcscmp(w, expected) != 0)
        fail_msg("wide conversion of \"%s\" differs", s);
    CoTaskMemFree(w);
}

static void ascii_converts_both_ways(void **state)
{
    (void)state;
    check_to_utf8(L"{\"Name\":\"nat\",\"Type\":\"NAT\"}", "{\"Name\":\"nat\",\"Type\":\"NAT\"}");
    check_to_utf8(L"", "");
    check_to_wide("{\"Name\":\"nat\"}", L"{\"Name\":\"nat\"}");
    check_to_wide("", L"");
    assert_true(hnsm__utf8_valid("plain ascii", 11));
    assert_true(hnsm__utf8_valid("", 0));
}

static void bmp_characters_use_two_and_three_bytes(void **state)
{
    (void)state;
    /* U+00E9 (2 bytes), U+20AC (3 bytes), U+FFFD and U+FFFF (3 bytes, the top of the BMP). */
    static const WCHAR ws[] = {L'c', L'a', L'f', 0x00E9, L' ', 0x20AC, 0xFFFD, 0xFFFF, 0};
    const char *utf8 = "caf\xC3\xA9 \xE2\x82\xAC\xEF\xBF\xBD\xEF\xBF\xBF";
    check_to_utf8(ws, utf8);
    check_to_wide(utf8, ws);
    assert_true(hnsm__utf8_valid(utf8, strlen(utf8)));
    /* The last code points of the 1-byte and 2-byte ranges. */
    static const WCHAR edges[] = {0x7F, 0x80, 0x7FF, 0x800, 0};
    check_to_utf8(edges, "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80");
}

static void astral_characters_use_four_bytes(void **state)
{
    (void)state;
    /* U+1F600 and U+10FFFF are single WCHARs when wchar_t is 32 bits. */
    static const WCHAR ws[] = {0x1F600, L'x', 0x10000, 0x10FFFF, 0};
    const char *utf8 = "\xF0\x9F\x98\x80x\xF0\x90\x80\x80\xF4\x8F\xBF\xBF";
    check_to_utf8(ws, utf8);
    check_to_wide(utf8, ws);
    assert_true(hnsm__utf8_valid(utf8, strlen(utf8)));
}

/* Every scalar value U+0001..U+10FFFF (no surrogates) survives wide -> UTF-8 -> wide. */
static void every_code_point_round_trips(void **state)
{
    (void)state;
    size_t count = 0x10FFFF - 0x800; /* 1..0x10FFFF less the 2048 surrogates */
    WCHAR *ws = malloc((count + 1) * sizeof *ws);
    assert_non_null(ws);
    size_t n = 0, expected_bytes = 0;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        ws[n++] = (WCHAR)cp;
        expected_bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
    assert_int_equal(n, count);
    ws[n] = 0;
    char *utf8 = NULL;
    assert_int_equal(hnsm__wide_to_utf8(ws, &utf8), WSTR_OK);
    assert_int_equal(strlen(utf8), expected_bytes);
    assert_true(hnsm__utf8_valid(utf8, expected_bytes));
    WCHAR *back = hnsm__utf8_to_wide_cotask(utf8);
    assert_non_null(back);
    assert_int_equal(wcslen(back), n);
    assert_memory_equal(back, ws, n * sizeof *ws);
    CoTaskMemFree(back);
    free(utf8);
    free(ws);
}

static void lone_surrogates_are_refused(void **state)
{
    (void)state;
    static const WCHAR high[] = {L'a', 0xD800, L'b', 0};
    static const WCHAR low[] = {0xDFFF, 0};
    static const WCHAR last_high[] = {L'x', 0xDBFF, 0};
    /* A UTF-16 pair spelled as two 32-bit units is two surrogates, not U+1F600. */
    static const WCHAR pair[] = {0xD83D, 0xDE00, 0};
    check_refused(high, WSTR_INVALID);
    check_refused(low, WSTR_INVALID);
    check_refused(last_high, WSTR_INVALID);
    check_refused(pair, WSTR_INVALID);
}

static void code_points_above_unicode_are_refused(void **state)
{
    (void)state;
    static const WCHAR just_above[] = {L'{', 0x110000, L'}', 0};
    static const WCHAR far_above[] = {0x7FFFFFFF, 0};
    static const WCHAR negative[] = {(WCHAR)-1, 0};
    check_refused(just_above, WSTR_INVALID);
    check_refused(far_above, WSTR_INVALID);
    check_refused(negative, WSTR_INVALID);
}

/* Byte strings that are not UTF-8, each refused by both the validator and the
 * converter. */
static const struct {
    const char *what;
    const char *bytes;
} bad_utf8[] = {
    {"lone continuation byte", "a\x80z"},
    {"truncated 2-byte sequence at the end", "caf\xC3"},
    {"truncated 3-byte sequence at the end", "\xE2\x82"},
    {"truncated 4-byte sequence at the end", "\xF0\x9F\x98"},
    {"lead byte followed by ASCII", "\xC3\x28"},
    {"3-byte lead with a bad second byte", "\xE2\x28\xA1"},
    {"overlong '/' in 2 bytes", "\xC0\xAF"},
    {"overlong U+007F in 2 bytes", "\xC1\xBF"},
    {"overlong '/' in 3 bytes", "\xE0\x80\xAF"},
    {"overlong U+07FF in 3 bytes", "\xE0\x9F\xBF"},
    {"overlong '/' in 4 bytes", "\xF0\x80\x80\xAF"},
    {"overlong U+FFFF in 4 bytes", "\xF0\x8F\xBF\xBF"},
    {"surrogate U+D800 encoded", "\xED\xA0\x80"},
    {"surrogate U+DFFF encoded", "\xED\xBF\xBF"},
    {"U+110000", "\xF4\x90\x80\x80"},
    {"lead byte F5", "\xF5\x80\x80\x80"},
    {"5-byte form", "\xF8\x88\x80\x80\x80"},
    {"6-byte form", "\xFC\x84\x80\x80\x80\x80"},
    {"byte FE", "\xFE"},
    {"byte FF", "\xFF"},
};

static void malformed_utf8_is_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        const char *s = bad_utf8[i].bytes;
        if (hnsm__utf8_valid(s, strlen(s)))
            fail_msg("hnsm__utf8_valid accepted %s", bad_utf8[i].what);
        WCHAR *w = hnsm__utf8_to_wide_cotask(s);
        if (w) {
            CoTaskMemFree(w);
            fail_msg("hnsm__utf8_to_wide_cotask accepted %s", bad_utf8[i].what);
        }
    }
}

static void utf8_valid_respects_the_length(void **state)
{
    (void)state;
    const char *euro = "\xE2\x82\xAC";
    assert_true(hnsm__utf8_valid(euro, 3));
    /* The same bytes cut inside the sequence are not UTF-8. */
    assert_false(hnsm__utf8_valid(euro, 2));
    assert_false(hnsm__utf8_valid(euro, 1));
    /* Bytes past len are not looked at: a bad tail outside the range is fine. */
    assert_true(hnsm__utf8_valid("ok\xFF", 2));
    /* An embedded NUL is a valid (1-byte) character. */
    assert_true(hnsm__utf8_valid("a\0b", 3));
    /* A sequence not at the end but broken by the length. */
    assert_false(hnsm__utf8_valid("x\xF0\x9F\x98\x80", 4));
    assert_true(hnsm__utf8_valid("x\xF0\x9F\x98\x80", 5));
}

/* Returns a wide string of count copies of c (NUL-terminated), or fails. */
static WCHAR *repeat(WCHAR c, size_t count)
{
    WCHAR *ws = malloc((count + 1) * sizeof *ws);
    assert_non_null(ws);
    wmemset(ws, c, count);
    ws[count] = 0;
    return ws;
}

static void document_size_limit_counts_utf8_bytes(void **state)
{
    (void)state;
    const size_t max = HNSM_MAX_DOCUMENT_BYTES;
    char *out = NULL;

    /* Exactly the limit in ASCII converts; one more character is too long. */
    WCHAR *ws = repeat(L'a', max + 1);
    ws[max] = 0;
    assert_int_equal(hnsm__wide_to_utf8(ws, &out), WSTR_OK);
    assert_int_equal(strlen(out), max);
    free(out);
    ws[max] = L'a';
    check_refused(ws, WSTR_TOO_LONG);
    free(ws);

    /* Half as many 2-byte characters reach the limit; one more passes it even
     * though the character count stays far below it. */
    ws = repeat(0x00E9, max / 2 + 1);
    ws[max / 2] = 0;
    assert_int_equal(hnsm__wide_to_utf8(ws, &out), WSTR_OK);
    assert_int_equal(strlen(out), max);
    free(out);
    ws[max / 2] = 0x00E9;
    check_refused(ws, WSTR_TOO_LONG);
    free(ws);

    /* The same for 4-byte characters. */
    ws = repeat(0x1F600, max / 4 + 1);
    check_refused(ws, WSTR_TOO_LONG);
    ws[max / 4] = 0;
    assert_int_equal(hnsm__wide_to_utf8(ws, &out), WSTR_OK);
    assert_int_equal(strlen(out), max);
    free(out);
    free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ascii_converts_both_ways),
        cmocka_unit_test(bmp_characters_use_two_and_three_bytes),
        cmocka_unit_test(astral_characters_use_four_bytes),
        cmocka_unit_test(every_code_point_round_trips),
        cmocka_unit_test(lone_surrogates_are_refused),
        cmocka_unit_test(code_points_above_unicode_are_refused),
        cmocka_unit_test(malformed_utf8_is_refused),
        cmocka_unit_test(utf8_valid_respects_the_length),
        cmocka_unit_test(document_size_limit_counts_utf8_bytes),
    };
    return cmocka_run_group_tests_name("wstr", tests, NULL, NULL);
}
