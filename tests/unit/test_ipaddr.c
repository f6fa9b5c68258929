/*
 * test_ipaddr.c - addresses and prefixes for IPAM and validation (ipaddr.h).
 *
 * Covers hnsm__ip_parse (strict dotted quads and RFC 4291 text, IPv4 kept
 * v4-mapped; junk, zones, prefixes and over-long text refused),
 * hnsm__ip_format (canonical text), hnsm__prefix_parse (lengths 0..32 and
 * 0..128, bare addresses only when allowed, bad lengths refused, host bits
 * kept as written), hnsm__prefix_contains and hnsm__prefix_overlaps (family
 * aware, both argument orders), hnsm__prefix_first / _last, hnsm__ip_increment
 * (carry across bytes, wrap reported at the end of each family) and
 * hnsm__ip_compare (numeric order inside a family, IPv4 sorting between ::1
 * and the rest of IPv6).
 *
 * Regression tests for fixed bugs are in regress_ipaddr.c.
 */
#include "unit.h"

#include "ipaddr.h"

static hnsm_ip ip(const char *text)
{
    hnsm_ip a;
    if (!hnsm__ip_parse(text, &a))
        fail_msg("fixture address \"%s\" did not parse", text);
    return a;
}

static hnsm_prefix prefix(const char *text)
{
    hnsm_prefix p;
    if (!hnsm__prefix_parse(text, false, &p))
        fail_msg("fixture prefix \"%s\" did not parse", text);
    return p;
}

/* Formats a and compares with expected. */
static void assert_ip_text(const hnsm_ip *a, const char *expected)
{
    char text[HNSM_IP_TEXT];
    hnsm__ip_format(a, text);
    assert_string_equal(text, expected);
}

static void parses_ipv4_as_v4_mapped(void **state)
{
    (void)state;
    hnsm_ip a = ip("10.1.2.3");
    assert_int_equal(a.family, 4);
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3};
    assert_memory_equal(a.b, mapped, 16);
    assert_int_equal(hnsm__ip_bits(&a), 32);
    assert_ip_text(&a, "10.1.2.3");
    a = ip("255.255.255.255");
    assert_ip_text(&a, "255.255.255.255");
    a = ip("0.0.0.0");
    assert_int_equal(a.family, 4);
    assert_ip_text(&a, "0.0.0.0");
}

static void parses_ipv6_and_formats_canonically(void **state)
{
    (void)state;
    hnsm_ip a = ip("FE80::1");
    assert_int_equal(a.family, 6);
    assert_int_equal(hnsm__ip_bits(&a), 128);
    assert_int_equal(a.b[0], 0xFE);
    assert_int_equal(a.b[1], 0x80);
    assert_int_equal(a.b[15], 1);
    assert_ip_text(&a, "fe80::1");
    a = ip("2001:0DB8:0000:0000:0000:0000:0000:0001");
    assert_ip_text(&a, "2001:db8::1");
    a = ip("::");
    assert_int_equal(a.family, 6);
    assert_ip_text(&a, "::");
    /* A v4-mapped IPv6 text stays IPv6. */
    a = ip("::ffff:10.0.0.1");
    assert_int_equal(a.family, 6);
    assert_ip_text(&a, "::ffff:10.0.0.1");
}

static void rejects_what_is_not_one_address(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "10.0.0",
        "10.0.0.256",
        "10.0.0.1.5",
        "10.0.0.1/24",
        " 10.0.0.1",
        "10.0.0.1 ",
        "10.0.0.-1",
        "0x0A.0.0.1",
        "localhost",
        "fe80::1%eth0",
        "fe80::1/64",
        "2001:db8::g",
        "1:2:3:4:5:6:7:8:9",
        "2001:db8:::1",
        "::ffff:10.0.0.256",
        "1111111111111111111111111111111111111111111111111111", /* longer than any address */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hnsm_ip a;
        if (hnsm__ip_parse(bad[i], &a))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    hnsm_ip a;
    assert_false(hnsm__ip_parse(NULL, &a));
}

static void prefix_lengths_per_family(void **state)
{
    (void)state;
    hnsm_prefix p;
    assert_true(hnsm__prefix_parse("10.0.0.0/8", false, &p));
    assert_int_equal(p.length, 8);
    assert_int_equal(p.addr.family, 4);
    assert_true(hnsm__prefix_parse("0.0.0.0/0", false, &p));
    assert_int_equal(p.length, 0);
    assert_true(hnsm__prefix_parse("10.0.0.7/32", false, &p));
    assert_int_equal(p.length, 32);
    assert_false(hnsm__prefix_parse("10.0.0.0/33", false, &p));
    assert_true(hnsm__prefix_parse("::/0", false, &p));
    assert_int_equal(p.length, 0);
    assert_int_equal(p.addr.family, 6);
    assert_true(hnsm__prefix_parse("2001:db8::/64", false, &p));
    assert_int_equal(p.length, 64);
    assert_true(hnsm__prefix_parse("2001:db8::1/128", false, &p));
    assert_int_equal(p.length, 128);
    assert_false(hnsm__prefix_parse("2001:db8::/129", false, &p));
    /* The address keeps its host bits as written. */
    assert_true(hnsm__prefix_parse("10.1.2.3/8", false, &p));
    assert_ip_text(&p.addr, "10.1.2.3");
}

static void bad_prefixes_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "10.0.0.0/",  "/8",          "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8a",
        "10.0.0.0/ 8", "10.0.0.0/1234", "10.0.0.0/8/8", "10.0.0/8",  "10.0.0.0//8",
        "::/200",     "fe80::1%eth0/64", "x/8",     "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hnsm_prefix p;
        if (hnsm__prefix_parse(bad[i], true, &p))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    hnsm_prefix p;
    assert_false(hnsm__prefix_parse(NULL, true, &p));
}

static void bare_addresses_are_host_prefixes_only_when_allowed(void **state)
{
    (void)state;
    hnsm_prefix p;
    assert_false(hnsm__prefix_parse("10.0.0.1", false, &p));
    assert_true(hnsm__prefix_parse("10.0.0.1", true, &p));
    assert_int_equal(p.length, 32);
    assert_ip_text(&p.addr, "10.0.0.1");
    assert_false(hnsm__prefix_parse("2001:db8::5", false, &p));
    assert_true(hnsm__prefix_parse("2001:db8::5", true, &p));
    assert_int_equal(p.length, 128);
    assert_false(hnsm__prefix_parse("not-an-ip", true, &p));
}

static void contains_matches_leading_bits_of_one_family(void **state)
{
    (void)state;
    hnsm_prefix p = prefix("10.0.0.0/8");
    hnsm_ip a = ip("10.0.0.0"), b = ip("10.255.255.255"), c = ip("11.0.0.0"),
            d = ip("9.255.255.255");
    assert_true(hnsm__prefix_contains(&p, &a));
    assert_true(hnsm__prefix_contains(&p, &b));
    assert_false(hnsm__prefix_contains(&p, &c));
    assert_false(hnsm__prefix_contains(&p, &d));

    /* Host bits in the prefix do not matter. */
    p = prefix("192.168.1.77/24");
    a = ip("192.168.1.1");
    b = ip("192.168.2.1");
    assert_true(hnsm__prefix_contains(&p, &a));
    assert_false(hnsm__prefix_contains(&p, &b));

    /* /32 holds one address; /0 holds every IPv4 address but no IPv6 one. */
    p = prefix("10.0.0.5/32");
    a = ip("10.0.0.5");
    b = ip("10.0.0.6");
    assert_true(hnsm__prefix_contains(&p, &a));
    assert_false(hnsm__prefix_contains(&p, &b));
    p = prefix("0.0.0.0/0");
    a = ip("203.0.113.9");
    b = ip("::1");
    assert_true(hnsm__prefix_contains(&p, &a));
    assert_false(hnsm__prefix_contains(&p, &b));

    /* IPv6, and the mapped range that must not swallow real IPv4 addresses. */
    p = prefix("2001:db8::/32");
    a = ip("2001:db8:ffff::1");
    b = ip("2001:db9::1");
    assert_true(hnsm__prefix_contains(&p, &a));
    assert_false(hnsm__prefix_contains(&p, &b));
    p = prefix("::ffff:0:0/96");
    a = ip("10.0.0.1");
    assert_false(hnsm__prefix_contains(&p, &a));
    p = prefix("::/0");
    assert_false(hnsm__prefix_contains(&p, &a));
}

/* Checks overlaps(a, b) and overlaps(b, a) both give expected. */
static void check_overlap(const char *a, const char *b, bool expected)
{
    hnsm_prefix pa = prefix(a), pb = prefix(b);
    if (hnsm__prefix_overlaps(&pa, &pb) != expected || hnsm__prefix_overlaps(&pb, &pa) != expected)
        fail_msg("%s and %s should %soverlap", a, b, expected ? "" : "not ");
}

static void overlaps_is_symmetric_and_family_aware(void **state)
{
    (void)state;
    check_overlap("10.0.0.0/8", "10.1.0.0/16", true);
    check_overlap("10.0.0.0/24", "10.0.0.0/24", true);
    check_overlap("10.0.0.0/24", "10.0.1.0/24", false);
    check_overlap("10.0.0.0/23", "10.0.1.0/24", true);
    check_overlap("10.0.0.0/24", "10.0.0.255/32", true);
    check_overlap("10.0.0.0/24", "10.0.1.0/32", false);
    check_overlap("0.0.0.0/0", "192.168.0.0/16", true);
    check_overlap("0.0.0.0/0", "::/0", false);
    check_overlap("10.0.0.0/8", "::ffff:10.0.0.0/104", false);
    check_overlap("2001:db8::/48", "2001:db8:0:1::/64", true);
    check_overlap("2001:db8::/64", "2001:db8:0:1::/64", false);
}

static void first_and_last_addresses(void **state)
{
    (void)state;
    hnsm_ip first, last;
    hnsm_prefix p = prefix("10.1.2.3/8");
    hnsm__prefix_first(&p, &first);
    hnsm__prefix_last(&p, &last);
    assert_ip_text(&first, "10.0.0.0");
    assert_ip_text(&last, "10.255.255.255");

    p = prefix("192.168.1.77/30");
    hnsm__prefix_first(&p, &first);
    hnsm__prefix_last(&p, &last);
    assert_ip_text(&first, "192.168.1.76");
    assert_ip_text(&last, "192.168.1.79");

    p = prefix("172.16.5.4/32");
    hnsm__prefix_first(&p, &first);
    hnsm__prefix_last(&p, &last);
    assert_ip_text(&first, "172.16.5.4");
    assert_ip_text(&last, "172.16.5.4");

    /* The whole IPv4 space stays IPv4 (the mapped prefix is untouched). */
    p = prefix("0.0.0.0/0");
    hnsm__prefix_first(&p, &first);
    hnsm__prefix_last(&p, &last);
    assert_int_equal(first.family, 4);
    assert_int_equal(last.family, 4);
    assert_ip_text(&first, "0.0.0.0");
    assert_ip_text(&last, "255.255.255.255");
    hnsm_ip broadcast = ip("255.255.255.255");
    assert_int_equal(hnsm__ip_compare(&last, &broadcast), 0);

    p = prefix("2001:db8::1234/126");
    hnsm__prefix_first(&p, &first);
    hnsm__prefix_last(&p, &last);
    assert_ip_text(&first, "2001:db8::1234");
    assert_ip_text(&last, "2001:db8::1237");

    p = prefix("2001:db8:aaaa:bbbb::/64");
    hnsm__prefix_last(&p, &last);
    assert_ip_text(&last, "2001:db8:aaaa:bbbb:ffff:ffff:ffff:ffff");
}

static void increment_carries_and_reports_wrap(void **state)
{
    (void)state;
    hnsm_ip a = ip("10.0.0.1");
    assert_true(hnsm__ip_increment(&a));
    assert_ip_text(&a, "10.0.0.2");
    a = ip("10.0.0.255");
    assert_true(hnsm__ip_increment(&a));
    assert_ip_text(&a, "10.0.1.0");
    a = ip("10.255.255.255");
    assert_true(hnsm__ip_increment(&a));
    assert_ip_text(&a, "11.0.0.0");

    /* The end of IPv4 wraps inside IPv4, never into the mapped prefix. */
    a = ip("255.255.255.255");
    assert_false(hnsm__ip_increment(&a));
    assert_int_equal(a.family, 4);
    hnsm_ip zero = ip("0.0.0.0");
    assert_memory_equal(a.b, zero.b, 16);

    a = ip("2001:db8::ffff");
    assert_true(hnsm__ip_increment(&a));
    assert_ip_text(&a, "2001:db8::1:0");
    a = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_false(hnsm__ip_increment(&a));
    assert_ip_text(&a, "::");
}

static void compare_orders_numerically(void **state)
{
    (void)state;
    hnsm_ip a = ip("10.0.0.9"), b = ip("10.0.0.10"), c = ip("9.255.255.255");
    assert_true(hnsm__ip_compare(&a, &b) < 0);
    assert_true(hnsm__ip_compare(&b, &a) > 0);
    assert_true(hnsm__ip_compare(&c, &a) < 0);
    hnsm_ip a2 = ip("10.0.0.9");
    assert_int_equal(hnsm__ip_compare(&a, &a2), 0);

    /* IPv4 (::ffff:a.b.c.d) sorts after ::1 and before global IPv6. */
    hnsm_ip loop6 = ip("::1"), global6 = ip("2001:db8::1"), v4 = ip("255.255.255.255"),
            v4low = ip("0.0.0.0");
    assert_true(hnsm__ip_compare(&loop6, &v4low) < 0);
    assert_true(hnsm__ip_compare(&v4, &global6) < 0);
    assert_true(hnsm__ip_compare(&v4low, &v4) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_ipv4_as_v4_mapped),
        cmocka_unit_test(parses_ipv6_and_formats_canonically),
        cmocka_unit_test(rejects_what_is_not_one_address),
        cmocka_unit_test(prefix_lengths_per_family),
        cmocka_unit_test(bad_prefixes_are_refused),
        cmocka_unit_test(bare_addresses_are_host_prefixes_only_when_allowed),
        cmocka_unit_test(contains_matches_leading_bits_of_one_family),
        cmocka_unit_test(overlaps_is_symmetric_and_family_aware),
        cmocka_unit_test(first_and_last_addresses),
        cmocka_unit_test(increment_carries_and_reports_wrap),
        cmocka_unit_test(compare_orders_numerically),
    };
    return cmocka_run_group_tests_name("ipaddr", tests, NULL, NULL);
}
