/*
 * regress_ipaddr.c - regression tests for a bug found (and since fixed) in
 * hns-mock/ipaddr.c. What was wrong:
 *
 * ipaddr.h promises that keeping IPv4 v4-mapped means "a v4 address never
 * equals a v6 one", but the IPv6 text "::ffff:10.0.0.5" parses (family 6) to
 * the very bytes of the IPv4 address 10.0.0.5 (family 4), and
 * hnsm__ip_compare (a memcmp of the 16 bytes) calls them equal. The same
 * bytes go into endpoint_ips, so the IPAM duplicate check (which compares the
 * 16-byte BLOB) cannot tell them apart either.
 *
 * The fix: in hnsm__ip_compare, break a tie of the bytes on family
 * (return a->family - b->family), which keeps the documented sort order; and
 * either refuse v4-mapped IPv6 text in hnsm__ip_parse (HNS has no use for
 * it) or store the family next to the bytes wherever addresses are keyed.
 */
#include "unit.h"

#include "ipaddr.h"

static void v4_never_equals_its_v4_mapped_v6_twin(void **state)
{
    (void)state;
    hnsm_ip v4, v6;
    assert_true(hnsm__ip_parse("10.0.0.5", &v4));
    assert_true(hnsm__ip_parse("::ffff:10.0.0.5", &v6));
    assert_int_equal(v4.family, 4);
    assert_int_equal(v6.family, 6);
    assert_int_not_equal(hnsm__ip_compare(&v4, &v6), 0);
    /* Whatever the order, it is consistent both ways round. */
    assert_true((hnsm__ip_compare(&v4, &v6) < 0) == (hnsm__ip_compare(&v6, &v4) > 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v4_never_equals_its_v4_mapped_v6_twin),
    };
    return cmocka_run_group_tests_name("ipaddr regressions", tests, NULL, NULL);
}
