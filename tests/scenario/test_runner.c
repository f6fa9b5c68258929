/*
 * test_runner.c - the scenario runner (sim/scenario/runner.h) on small
 * scripts written to a temporary folder: errors name file, line and column
 * and stop the run; failed expectations are recorded with what was
 * expected, what happened and the trace, and the run goes on; raw HCN calls
 * check HRESULTs; the three report formats; the same seed gives the same
 * bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLUSTER                                                                                    \
    "cluster mode=host-gw\n"                                                                       \
    "node win1 os=windows ip=10.0.0.4 pod-cidr=10.244.1.0/24\n"                                    \
    "node lin1 os=linux ip=10.0.0.6 pod-cidr=10.244.3.0/24\n"                                      \
    "pod a node=win1 labels=app=a ports=80/tcp\n"                                                  \
    "pod b node=lin1 labels=app=b ports=8080/tcp\n"

static char dir[] = "/tmp/hnsim-runner-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to dir/name and returns the path (static buffer). */
static const char *script(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void passing_expectations(void **state)
{
    (void)state;
    scn_report r;
    const char *path = script("ok.scn", CLUSTER "expect reach a -> b:8080/tcp\n"
                                                "expect reach b -> a:80/tcp\n"
                                                "expect hns win1 count endpoints 2\n");
    assert_int_equal(scn_run_file(path, NULL, &r, NULL), 0);
    assert_int_equal(r.passed, 3);
    assert_int_equal(r.failed, 0);
    assert_null(r.error);
    assert_int_equal(r.results[0].line, 6);
    scn_report_clear(&r);
}

static void failed_expectation_is_recorded_and_the_run_goes_on(void **state)
{
    (void)state;
    scn_report r;
    const char *path = script("fail.scn", CLUSTER "expect no-reach a -> b:8080/tcp\n"
                                                  "expect reach a -> b:8080/tcp\n");
    assert_int_equal(scn_run_file(path, NULL, &r, NULL), 1);
    assert_int_equal(r.passed, 1);
    assert_int_equal(r.failed, 1);
    assert_false(r.results[0].passed);
    assert_non_null(strstr(r.results[0].detail, "expected no reach, got reached"));
    assert_non_null(r.results[0].trace);
    assert_non_null(strstr(r.results[0].trace, "verdict: delivered"));
    char *text;
    assert_int_equal(scn_report_text(&r, &text), 0);
    assert_non_null(strstr(text, "FAIL "));
    assert_non_null(strstr(text, "fail.scn:6"));
    assert_non_null(strstr(text, "1 passed, 1 failed"));
    free(text);
    scn_report_clear(&r);
}

static void statement_errors_name_the_position(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {CLUSTER "sevice web ports=80/tcp\n", "bad.scn:6:1: unknown statement 'sevice'"},
        {CLUSTER "pod c node=nowhere\n", "bad.scn:6:1: cannot add pod c"},
        {"pod c node=win1\n", "bad.scn:1:1: 'pod' before 'cluster'"},
        {CLUSTER "expect reach a -> nobody:80\n", "bad.scn:6:1: no pod nobody"},
        {CLUSTER "service s ports=80/tcp type=Magic\n", "bad.scn:6:24: type must be"},
        {CLUSTER "at 10s\nat 5s\n", "bad.scn:7:1: time goes backwards"},
        {CLUSTER "service s ip=10.96.0.20 ports=80/tcp\nservice t ip=10.96.0.20 ports=80/tcp\n",
         "bad.scn:7:1: cannot add service t"},
        {"cluster mode=host-gw\nnode x os=windows ip=10.0.0.4 pod-cidr=10.244.1.0/24 \"oops\n",
         "bad.scn:2:54: unterminated string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scn_report r;
        const char *path = script("bad.scn", cases[i].text);
        assert_true(scn_run_file(path, NULL, &r, NULL) != 0);
        assert_non_null(r.error);
        if (!strstr(r.error, cases[i].message))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, r.error, cases[i].message);
        scn_report_clear(&r);
    }
}

static void raw_hcn_call_checks_the_hresult(void **state)
{
    (void)state;
    scn_report r;
    const char *path = script(
        "hcn.scn", CLUSTER
        "hcn win1 create endpoint parent=network:cbr0 expect=0x803B001E {\"IpConfigurations\":"
        "[{\"IpAddress\":\"192.168.9.9\"}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}\n"
        "hcn win1 create endpoint parent=network:cbr0 as=ep expect=0 {\"IpConfigurations\":"
        "[{\"IpAddress\":\"10.244.1.77\"}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}\n"
        "hcn win1 query endpoint id=$ep expect=0\n"
        "expect hns win1 has endpoint ip=10.244.1.77\n");
    assert_int_equal(scn_run_file(path, NULL, &r, NULL), 0);
    assert_int_equal(r.passed, 4);
    scn_report_clear(&r);
}

static void reports_in_json_and_junit(void **state)
{
    (void)state;
    scn_report r;
    const char *path = script("rep.scn", CLUSTER "expect reach a -> b:8080/tcp\n"
                                                 "expect no-reach a -> b:8080/tcp\n");
    scn_run_file(path, NULL, &r, NULL);
    char *json, *xml;
    assert_int_equal(scn_report_json(&r, &json), 0);
    assert_non_null(strstr(json, "\"passed\":\t1"));
    assert_non_null(strstr(json, "\"failed\":\t1"));
    assert_non_null(strstr(json, "\"statement\":\t\"expect no-reach a -> b:8080/tcp\""));
    assert_int_equal(scn_report_junit(&r, 1, &xml), 0);
    assert_non_null(strstr(xml, "<testsuites tests=\"2\" failures=\"1\">"));
    assert_non_null(strstr(xml, "<failure message=\"expected no reach, got reached"));
    free(json);
    free(xml);
    scn_report_clear(&r);
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    const char *path = script("seed.scn", CLUSTER "service s selector=app=a ports=80/tcp\n"
                                                  "expect no-reach b -> s.default:80/tcp\n");
    char *out[2];
    for (int i = 0; i < 2; i++) {
        scn_report r;
        scn_options o = {.seed = 42, .stop_at_ms = -1};
        scn_run_file(path, &o, &r, NULL);
        assert_int_equal(scn_report_json(&r, &out[i]), 0);
        scn_report_clear(&r);
    }
    assert_string_equal(out[0], out[1]);
    free(out[0]);
    free(out[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passing_expectations),
        cmocka_unit_test(failed_expectation_is_recorded_and_the_run_goes_on),
        cmocka_unit_test(statement_errors_name_the_position),
        cmocka_unit_test(raw_hcn_call_checks_the_hresult),
        cmocka_unit_test(reports_in_json_and_junit),
        cmocka_unit_test(same_seed_same_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
