/*
 * test_profile.c - HNS version profiles (profile.h).
 *
 * Covers hnsm__profile_lookup for the named profiles (ws2019 = HNS 9.5 on
 * build 17763, ws2022 = 13.3 on 20348, ws2025 = 15.4 on 26100, their schema
 * versions), NULL or "" meaning ws2022, explicit "MAJOR.MINOR" versions
 * (named by their text, build and schema taken from the nearest named
 * profile at or below them), names that are refused (unknown, wrong case,
 * malformed or absurd versions), and hnsm__profile_at_least.
 */
#include "unit.h"

#include "profile.h"

static hnsm_profile lookup(const char *name)
{
    hnsm_profile p;
    memset(&p, 0xA5, sizeof p);
    if (!hnsm__profile_lookup(name, &p))
        fail_msg("profile \"%s\" was refused", name ? name : "(null)");
    return p;
}

static void check(const hnsm_profile *p, const char *name, unsigned major, unsigned minor,
                  unsigned build, unsigned schema_major, unsigned schema_minor)
{
    assert_string_equal(p->name, name);
    assert_int_equal(p->major, major);
    assert_int_equal(p->minor, minor);
    assert_int_equal(p->build, build);
    assert_int_equal(p->schema_major, schema_major);
    assert_int_equal(p->schema_minor, schema_minor);
}

static void named_profiles(void **state)
{
    (void)state;
    hnsm_profile p = lookup("ws2019");
    check(&p, "ws2019", 9, 5, 17763, 2, 0);
    p = lookup("ws2022");
    check(&p, "ws2022", 13, 3, 20348, 2, 11);
    p = lookup("ws2025");
    check(&p, "ws2025", 15, 4, 26100, 2, 16);
}

static void default_is_ws2022(void **state)
{
    (void)state;
    hnsm_profile p = lookup(NULL);
    check(&p, "ws2022", 13, 3, 20348, 2, 11);
    p = lookup("");
    check(&p, "ws2022", 13, 3, 20348, 2, 11);
}

static void explicit_versions_borrow_the_nearest_named_profile(void **state)
{
    (void)state;
    hnsm_profile p = lookup("14.0");
    check(&p, "14.0", 14, 0, 20348, 2, 11);
    p = lookup("13.3");
    check(&p, "13.3", 13, 3, 20348, 2, 11);
    p = lookup("13.2");
    check(&p, "13.2", 13, 2, 17763, 2, 0);
    p = lookup("15.4");
    check(&p, "15.4", 15, 4, 26100, 2, 16);
    p = lookup("16.1");
    check(&p, "16.1", 16, 1, 26100, 2, 16);
    p = lookup("11.10");
    check(&p, "11.10", 11, 10, 17763, 2, 0);
    /* Below every named profile: the oldest one's build and schema. */
    p = lookup("7.2");
    check(&p, "7.2", 7, 2, 17763, 2, 0);
}

static void bad_names_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "ws2016", "WS2022", "ws2022 ", "2022", "14", "14.", ".5", "14.0.1",
        "14.0x", "a.b", "14.x", "-1.0", "1001.0", "14.1001", "latest",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hnsm_profile p;
        if (hnsm__profile_lookup(bad[i], &p))
            fail_msg("accepted profile \"%s\"", bad[i]);
    }
}

static void at_least_compares_major_then_minor(void **state)
{
    (void)state;
    hnsm_profile p = lookup("ws2022"); /* 13.3 */
    assert_true(hnsm__profile_at_least(&p, 13, 3));
    assert_true(hnsm__profile_at_least(&p, 13, 0));
    assert_true(hnsm__profile_at_least(&p, 12, 99));
    assert_true(hnsm__profile_at_least(&p, 0, 0));
    assert_false(hnsm__profile_at_least(&p, 13, 4));
    assert_false(hnsm__profile_at_least(&p, 14, 0));
    p = lookup("ws2019"); /* 9.5 */
    assert_false(hnsm__profile_at_least(&p, 10, 0));
    assert_true(hnsm__profile_at_least(&p, 9, 5));
    p = lookup("ws2025"); /* 15.4: NetworkACL (15.0) and TierAcl (14.0) */
    assert_true(hnsm__profile_at_least(&p, 15, 0));
    assert_true(hnsm__profile_at_least(&p, 14, 0));
    p = lookup("11.10");
    assert_true(hnsm__profile_at_least(&p, 11, 9));
    assert_false(hnsm__profile_at_least(&p, 11, 11));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(named_profiles),
        cmocka_unit_test(default_is_ws2022),
        cmocka_unit_test(explicit_versions_borrow_the_nearest_named_profile),
        cmocka_unit_test(bad_names_are_refused),
        cmocka_unit_test(at_least_compares_major_then_minor),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
