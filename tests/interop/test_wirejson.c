/*
 * test_wirejson.c - the JSON writer and reader of the Windows DLLs
 * (hns-mock/win/wirejson.c), tested natively: the file is plain C and the
 * DLLs use it unchanged.
 *
 * What the DLLs rely on: every document they forward survives the trip into
 * a request string member and back out of a reply member byte for byte
 * (escapes, control characters, non-ASCII, surrogate pairs); hnsd's replies
 * as cJSON prints them are read (hr as a signed 32-bit number, nested event
 * objects, reservation arrays); and malformed or hostile input is refused,
 * never half-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "wirejson.h"

/* Writes s as a member, parses the object back and returns the member. */
static char *round_trip(const char *s)
{
    wj_buf b = {0};
    wj_append(&b, "{");
    wj_append_member_string(&b, "json", s);
    wj_append(&b, "}");
    char *text = wj_buf_take(&b);
    assert_non_null(text);
    wj_value root, member;
    assert_true(wj_parse(text, strlen(text), &root));
    assert_true(wj_member(&root, "json", &member));
    char *back = wj_string(&member, NULL);
    /* cJSON, which hnsd uses, must read the same string. */
    cJSON *doc = cJSON_Parse(text);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, "json");
    assert_true(cJSON_IsString(item));
    assert_string_equal(item->valuestring, s);
    cJSON_Delete(doc);
    free(text);
    return back;
}

static void documents_survive_the_trip(void **state)
{
    (void)state;
    static const char *const documents[] = {
        "",
        "{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\"}",
        "quote \" backslash \\ slash / tab \t newline \n return \r",
        "\x01\x02\x1f control characters",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", /* é, €, an emoji (4 bytes) */
        "{\"Filter\":\"{\\\"Name\\\":\\\"cbr0\\\"}\"}", /* a JSON string inside JSON */
    };
    for (size_t i = 0; i < sizeof documents / sizeof documents[0]; i++) {
        char *back = round_trip(documents[i]);
        assert_non_null(back);
        assert_string_equal(back, documents[i]);
        free(back);
    }
}

static void control_characters_are_escaped(void **state)
{
    (void)state;
    wj_buf b = {0};
    wj_append_string(&b, "a\x01\n\"");
    char *text = wj_buf_take(&b);
    assert_string_equal(text, "\"a\\u0001\\n\\\"\"");
    free(text);
}

/* hnsd's replies as cJSON prints them. */
static void replies_of_hnsd_are_read(void **state)
{
    (void)state;
    const char *reply = "{\"id\":12,\"hr\":-2143682559,\"error\":\"{\\\"Success\\\":false,"
                        "\\\"Error\\\":\\\"The network was not found. \\\",\\\"ErrorCode\\\":"
                        "2151284737}\"}";
    wj_value root, v;
    assert_true(wj_parse(reply, strlen(reply), &root));
    int64_t n;
    assert_true(wj_member(&root, "hr", &v));
    assert_true(wj_int(&v, &n));
    assert_int_equal(n, -2143682559); /* HCN_E_NETWORK_NOT_FOUND, 0x803B0001 */
    assert_true(wj_member(&root, "error", &v));
    char *record = wj_string(&v, NULL);
    assert_string_equal(record, "{\"Success\":false,\"Error\":\"The network was not found. \","
                                "\"ErrorCode\":2151284737}");
    free(record);
    assert_false(wj_member(&root, "result", &v));

    const char *event = " {\"event\" : {\"type\":2,\"data\":\"{\\\"ID\\\":\\\"X\\\"}\"}}\n";
    wj_value e, type;
    assert_true(wj_parse(event, strlen(event), &root));
    assert_true(wj_member(&root, "event", &e));
    assert_int_equal(e.type, WJ_OBJECT);
    assert_true(wj_member(&e, "type", &type));
    assert_true(wj_int(&type, &n));
    assert_int_equal(n, 2);

    const char *list = "{\"hr\":0,\"entries\":[{\"start\":49152,\"end\":49161},{\"start\":80,"
                       "\"end\":80},[],\"x\"]}";
    wj_value entries, entry;
    size_t cursor = 0, count = 0;
    assert_true(wj_parse(list, strlen(list), &root));
    assert_true(wj_member(&root, "entries", &entries));
    int64_t starts[2] = {0, 0};
    while (wj_next(&entries, &cursor, &entry)) {
        if (count < 2) {
            assert_true(wj_member(&entry, "start", &v));
            assert_true(wj_int(&v, &starts[count]));
        }
        count++;
    }
    assert_int_equal(count, 4);
    assert_int_equal(starts[0], 49152);
    assert_int_equal(starts[1], 80);
}

static void numbers_in_every_json_form(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t value;
    } cases[] = {{"0", 0},           {"-0", 0},          {"2151284737", 2151284737},
                 {"1e3", 1000},      {"1.5E+2", 150},    {"-2.9", -2},
                 {"12.0", 12},       {"4294967295", 4294967295LL},
                 {"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wj_value v;
        int64_t n;
        assert_true(wj_parse(cases[i].text, strlen(cases[i].text), &v));
        assert_true(wj_int(&v, &n));
        assert_true(n == cases[i].value);
    }
    wj_value v;
    int64_t n;
    assert_true(wj_parse("9223372036854775808", 19, &v));
    assert_false(wj_int(&v, &n)); /* out of range is refused, not wrapped */
    assert_true(wj_parse("\"12\"", 4, &v));
    assert_false(wj_int(&v, &n));
}

static void escapes_decode_to_utf8(void **state)
{
    (void)state;
    const char *text = "\"\\u00e9\\u20AC\\ud83d\\ude00\\/\\b\\f\"";
    wj_value v;
    assert_true(wj_parse(text, strlen(text), &v));
    char *s = wj_string(&v, NULL);
    assert_string_equal(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\b\f");
    free(s);
    /* A lone surrogate or \u0000 has no UTF-8 form the API could pass on. */
    static const char *const refused[] = {"\"\\ud83d\"", "\"\\ude00x\"", "\"\\ud83d\\u0041\"",
                                          "\"a\\u0000b\""};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_true(wj_parse(refused[i], strlen(refused[i]), &v));
        assert_null(wj_string(&v, NULL));
    }
}

static void malformed_input_is_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "{",           "{\"a\":}",     "{\"a\" 1}",     "{a:1}",
        "[1,]",      "[1 2]",       "{\"a\":1,}",   "01",            "1.",
        "-",         "1e",          "\"\\x\"",      "\"\\u12\"",     "\"tab\there\"",
        "tru",       "nul",         "{} {}",        "\"open",        "{\"a\":[}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wj_value v;
        assert_false(wj_parse(bad[i], strlen(bad[i]), &v));
    }
    /* A NUL inside the frame ends nothing silently: it is refused. */
    wj_value v;
    assert_false(wj_parse("{\"a\":1}\0x", 9, &v));
    /* Nesting deeper than WJ_MAX_DEPTH is refused before it can exhaust the stack. */
    char deep[2 * (WJ_MAX_DEPTH + 2) + 1];
    memset(deep, '[', WJ_MAX_DEPTH + 2);
    memset(deep + WJ_MAX_DEPTH + 2, ']', WJ_MAX_DEPTH + 2);
    deep[sizeof deep - 1] = '\0';
    assert_false(wj_parse(deep, strlen(deep), &v));
    assert_true(wj_parse(deep + 2, strlen(deep) - 4, &v)); /* within the limit */
}

static void member_lookup_rules(void **state)
{
    (void)state;
    const char *text = "{\"a\\u0062\":1,\"ab\":2,\"AB\":3,\"x\":{\"ab\":4}}";
    wj_value root, v;
    int64_t n;
    assert_true(wj_parse(text, strlen(text), &root));
    assert_true(wj_member(&root, "ab", &v)); /* names compare after unescaping; first wins */
    assert_true(wj_int(&v, &n));
    assert_int_equal(n, 1);
    assert_true(wj_member(&root, "AB", &v)); /* and byte for byte */
    assert_true(wj_int(&v, &n));
    assert_int_equal(n, 3);
    assert_false(wj_member(&root, "a", &v));
    wj_value array;
    assert_true(wj_parse("[1]", 3, &array));
    assert_false(wj_member(&array, "a", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documents_survive_the_trip),
        cmocka_unit_test(control_characters_are_escaped),
        cmocka_unit_test(replies_of_hnsd_are_read),
        cmocka_unit_test(numbers_in_every_json_form),
        cmocka_unit_test(escapes_decode_to_utf8),
        cmocka_unit_test(malformed_input_is_refused),
        cmocka_unit_test(member_lookup_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
