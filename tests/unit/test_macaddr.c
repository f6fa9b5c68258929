/*
 * test_macaddr.c - MAC addresses as 48-bit numbers (macaddr.h).
 *
 * Covers hnsm__mac_parse (dashes or colons, either case, the value as a
 * 48-bit number; mixed separators, other separators, missing or extra
 * digits, non-hex characters and surrounding text refused) and
 * hnsm__mac_format (HNS's upper-case dashed form, the inverse of parse).
 */
#include "unit.h"

#include "macaddr.h"

static void parses_dashes_and_colons_in_either_case(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "00-15-5D-52-C0-0A", "00-15-5d-52-c0-0a", "00:15:5D:52:C0:0A",
        "00:15:5d:52:c0:0a", "00-15-5d-52-C0-0a",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        uint64_t v = 0;
        if (!hnsm__mac_parse(forms[i], &v))
            fail_msg("refused \"%s\"", forms[i]);
        assert_int_equal(v, 0x00155D52C00Aull);
    }
    uint64_t v = 1;
    assert_true(hnsm__mac_parse("00-00-00-00-00-00", &v));
    assert_int_equal(v, 0);
    assert_true(hnsm__mac_parse("ff:ff:ff:ff:ff:ff", &v));
    assert_int_equal(v, 0xFFFFFFFFFFFFull);
    assert_true(hnsm__mac_parse("01-23-45-67-89-AB", &v));
    assert_int_equal(v, 0x0123456789ABull);
}

static void rejects_malformed_macs(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "00-15-5D-52-C0",          /* five groups */
        "00-15-5D-52-C0-0A-01",    /* seven groups */
        "00-15-5D-52-C0-0",        /* a short group */
        "00-15-5D-52-C0-0AB",
        "00-15:5D-52-C0-0A",       /* mixed separators */
        "00:15-5D:52-C0:0A",
        "00.15.5D.52.C0.0A",
        "00 15 5D 52 C0 0A",
        "00155D52C00A",            /* no separators */
        "0015.5D52.C00A",          /* Cisco dotted form */
        "00-15-5G-52-C0-0A",       /* G is not hex */
        "00-15-5D-52-C0-0A ",
        " 00-15-5D-52-C0-0A",
        "0-015-5D-52-C0-0A",       /* dash in the wrong place */
        "-0015-5D-52-C0-0A",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v;
        if (hnsm__mac_parse(bad[i], &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    uint64_t v;
    assert_false(hnsm__mac_parse(NULL, &v));
}

static void formats_upper_case_with_dashes(void **state)
{
    (void)state;
    char out[HNSM_MAC_TEXT];
    hnsm__mac_format(0x00155D52C00Aull, out);
    assert_string_equal(out, "00-15-5D-52-C0-0A");
    hnsm__mac_format(0, out);
    assert_string_equal(out, "00-00-00-00-00-00");
    hnsm__mac_format(0xFFFFFFFFFFFFull, out);
    assert_string_equal(out, "FF-FF-FF-FF-FF-FF");
    hnsm__mac_format(0xABCDEF012345ull, out);
    assert_string_equal(out, "AB-CD-EF-01-23-45");
}

static void format_and_parse_are_inverses(void **state)
{
    (void)state;
    static const uint64_t values[] = {0, 1, 0x00155D000000ull, 0x00155DFFFFFFull,
                                      0x0123456789ABull, 0xFEDCBA987654ull, 0xFFFFFFFFFFFFull};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char text[HNSM_MAC_TEXT];
        uint64_t back = ~0ull;
        hnsm__mac_format(values[i], text);
        assert_int_equal(strlen(text), 17);
        assert_true(hnsm__mac_parse(text, &back));
        assert_int_equal(back, values[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_dashes_and_colons_in_either_case),
        cmocka_unit_test(rejects_malformed_macs),
        cmocka_unit_test(formats_upper_case_with_dashes),
        cmocka_unit_test(format_and_parse_are_inverses),
    };
    return cmocka_run_group_tests_name("macaddr", tests, NULL, NULL);
}
