/*
 * test_jsonx.c - reading and writing HNS JSON the way HNS does (jsonx.h).
 *
 * Covers jx_parse_object (objects accepted with surrounding white space and
 * only within len bytes; malformed JSON, trailing garbage, non-object roots,
 * invalid UTF-8, escaped lone surrogates and nesting beyond cJSON's limit all
 * give HCN_E_INVALID_JSON with a detail; documents over the size limit give
 * E_INVALIDARG), the typed readers (absent and null leave the output alone,
 * keys match in any case, jx_uint takes only whole numbers in 0..max, jx_bool
 * only true/false, jx_enum a name in any case or a listed number, an empty
 * string meaning unset; wrong values give the caller's HRESULT and a detail
 * naming the key), jx_array / jx_object, jx_enum_value / jx_enum_name, the
 * writers that omit zero values, jx_move's key respelling, and jx_equal
 * (keys case-insensitive, member order free, numbers by value, strings and
 * array order exact).
 *
 * Regression tests for fixed bugs are in regress_jsonx.c.
 */
#include "unit.h"

#include "hresult.h"
#include "jsonx.h"
#include "wstr.h"

#include <stdio.h>

/* The HRESULT readers are given for a present-but-wrong value. */
#define BAD HNSM_HCN_E_INVALID_NETWORK

static HRESULT parse(const char *text, cJSON **out) { return jx_parse_object(text, strlen(text), out); }

/* Checks that text is refused with HCN_E_INVALID_JSON, *out NULL and a detail. */
static void check_invalid(const char *text)
{
    cJSON *out = (cJSON *)1;
    hnsm__detail_clear();
    HRESULT hr = parse(text, &out);
    if (hr != HNSM_HCN_E_INVALID_JSON)
        fail_msg("\"%s\" gave 0x%08X, expected HCN_E_INVALID_JSON", text, (unsigned)hr);
    assert_null(out);
    assert_true(hnsm__detail_get()[0] != '\0');
}

static void parses_objects(void **state)
{
    (void)state;
    cJSON *doc = NULL;
    assert_succeeded(parse("{}", &doc));
    assert_true(cJSON_IsObject(doc));
    cJSON_Delete(doc);
    assert_succeeded(parse(" \t\r\n{\"Name\":\"n\",\"Flags\":2} \n\t\r ", &doc));
    assert_json(doc, "{\"Name\":\"n\",\"Flags\":2}");
    cJSON_Delete(doc);
    /* UTF-8 text inside strings is kept. */
    assert_succeeded(parse("{\"Name\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}", &doc));
    assert_string_equal(cJSON_GetObjectItem(doc, "Name")->valuestring,
                        "caf\xC3\xA9 \xF0\x9F\x98\x80");
    cJSON_Delete(doc);
}

static void reads_only_len_bytes(void **state)
{
    (void)state;
    /* The buffer goes on past len; what follows is not part of the document. */
    const char buffer[] = "{\"a\":1}garbage";
    cJSON *doc = NULL;
    assert_succeeded(jx_parse_object(buffer, 7, &doc));
    assert_json(doc, "{\"a\":1}");
    cJSON_Delete(doc);
    /* Cut short inside the object, it is malformed. */
    doc = (cJSON *)1;
    assert_hr(jx_parse_object(buffer, 6, &doc), HNSM_HCN_E_INVALID_JSON);
    assert_null(doc);
}

static void malformed_documents_are_invalid_json(void **state)
{
    (void)state;
    check_invalid("");
    check_invalid("   ");
    check_invalid("{");
    check_invalid("{\"a\":}");
    check_invalid("{\"a\" 1}");
    check_invalid("{\"a\":1,}");
    check_invalid("{'a':1}");
    check_invalid("{a:1}");
    check_invalid("{\"a\":tru}");
    check_invalid("{\"a\":\"unterminated}");
}

static void trailing_garbage_is_invalid_json(void **state)
{
    (void)state;
    check_invalid("{} x");
    check_invalid("{}{}");
    check_invalid("{\"a\":1}}");
    check_invalid("{\"a\":1},");
    check_invalid("{} // comment");
}

static void non_object_roots_are_invalid_json(void **state)
{
    (void)state;
    check_invalid("[]");
    check_invalid("[{\"Name\":\"n\"}]");
    check_invalid("\"{}\"");
    check_invalid("42");
    check_invalid("true");
    check_invalid("null");
}

static void invalid_utf8_is_invalid_json(void **state)
{
    (void)state;
    check_invalid("{\"Name\":\"caf\xC3\"}");
    check_invalid("{\"Name\":\"\xC0\xAF\"}");
    check_invalid("{\"Name\":\"\xED\xA0\x80\"}");
    check_invalid("{\"Name\":\"\xF4\x90\x80\x80\"}");
    check_invalid("{\"Name\":\"\xFF\"}");
    /* The same bytes outside strings too. */
    check_invalid("{\xC3\xA9}");
    cJSON *doc;
    hnsm__detail_clear();
    assert_hr(parse("{\"a\":\"\x80\"}", &doc), HNSM_HCN_E_INVALID_JSON);
    assert_non_null(strstr(hnsm__detail_get(), "UTF-8"));
}

static void escaped_lone_surrogates_are_invalid_json(void **state)
{
    (void)state;
    check_invalid("{\"Name\":\"\\ud800\"}");
    check_invalid("{\"Name\":\"\\udc00\"}");
    check_invalid("{\"Name\":\"\\ud83d x\"}");
    /* A proper escaped pair is one astral character. */
    cJSON *doc = NULL;
    assert_succeeded(parse("{\"Name\":\"\\ud83d\\ude00\"}", &doc));
    assert_string_equal(cJSON_GetObjectItem(doc, "Name")->valuestring, "\xF0\x9F\x98\x80");
    cJSON_Delete(doc);
}

/* Builds {"a":[[...[]...]]} with depth containers in all (the root included). */
static char *nested(int depth)
{
    size_t len = (size_t)depth * 2 + 8;
    char *s = malloc(len);
    assert_non_null(s);
    char *p = s;
    p += sprintf(p, "{\"a\":");
    for (int i = 1; i < depth; i++)
        *p++ = '[';
    for (int i = 1; i < depth; i++)
        *p++ = ']';
    *p++ = '}';
    *p = '\0';
    return s;
}

static void nesting_beyond_the_cjson_limit_is_invalid_json(void **state)
{
    (void)state;
    cJSON *doc = NULL;
    char *ok = nested(CJSON_NESTING_LIMIT);
    assert_succeeded(parse(ok, &doc));
    cJSON_Delete(doc);
    free(ok);
    char *deep = nested(CJSON_NESTING_LIMIT + 1);
    check_invalid(deep);
    free(deep);
    char *deeper = nested(100000);
    check_invalid(deeper);
    free(deeper);
}

static void oversized_documents_are_invalid_arguments(void **state)
{
    (void)state;
    size_t len = HNSM_MAX_DOCUMENT_BYTES + 1;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    big[len] = '\0';
    cJSON *doc = (cJSON *)1;
    assert_hr(jx_parse_object(big, len, &doc), HNSM_E_INVALIDARG);
    assert_null(doc);
    /* One byte less is within the limit and parses. */
    big[len - 2] = '}';
    assert_succeeded(jx_parse_object(big, len - 1, &doc));
    assert_true(cJSON_IsObject(doc));
    cJSON_Delete(doc);
    free(big);
}

static void string_reader(void **state)
{
    (void)state;
    cJSON *doc = parse_json("{\"Name\":\"n1\",\"Empty\":\"\",\"Null\":null,\"Num\":5}");
    const char *s = "untouched";
    assert_succeeded(jx_string(doc, "name", BAD, &s));
    assert_string_equal(s, "n1");
    assert_succeeded(jx_string(doc, "Empty", BAD, &s));
    assert_string_equal(s, "");
    s = "untouched";
    assert_succeeded(jx_string(doc, "Missing", BAD, &s));
    assert_string_equal(s, "untouched");
    assert_succeeded(jx_string(doc, "Null", BAD, &s));
    assert_string_equal(s, "untouched");
    hnsm__detail_clear();
    assert_hr(jx_string(doc, "Num", BAD, &s), BAD);
    assert_string_equal(s, "untouched");
    assert_non_null(strstr(hnsm__detail_get(), "Num"));
    cJSON_Delete(doc);
}

static void uint_reader_takes_whole_numbers_in_range(void **state)
{
    (void)state;
    cJSON *doc = parse_json("{\"Zero\":0,\"Port\":65535,\"Over\":65536,\"Neg\":-1,\"Half\":1.5,"
                            "\"Exp\":1e3,\"Text\":\"80\",\"Bool\":true,\"Null\":null,"
                            "\"Big\":4294967295,\"Bigger\":4294967296,\"Frac\":0.0001,"
                            "\"NegZero\":-0}");
    uint64_t v = 77;
    assert_succeeded(jx_uint(doc, "zero", 0xFFFF, BAD, &v));
    assert_int_equal(v, 0);
    assert_succeeded(jx_uint(doc, "PORT", 0xFFFF, BAD, &v));
    assert_int_equal(v, 65535);
    assert_succeeded(jx_uint(doc, "Exp", 0xFFFF, BAD, &v));
    assert_int_equal(v, 1000);
    assert_succeeded(jx_uint(doc, "Big", 0xFFFFFFFFu, BAD, &v));
    assert_int_equal(v, 4294967295u);
    assert_succeeded(jx_uint(doc, "NegZero", 10, BAD, &v));
    assert_int_equal(v, 0);

    v = 77;
    assert_succeeded(jx_uint(doc, "Missing", 10, BAD, &v));
    assert_int_equal(v, 77);
    assert_succeeded(jx_uint(doc, "Null", 10, BAD, &v));
    assert_int_equal(v, 77);

    static const char *const wrong[] = {"Over", "Neg", "Half", "Text", "Bool", "Frac"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        hnsm__detail_clear();
        HRESULT hr = jx_uint(doc, wrong[i], 0xFFFF, BAD, &v);
        if (hr != BAD)
            fail_msg("%s was accepted as a uint16", wrong[i]);
        assert_int_equal(v, 77);
        assert_non_null(strstr(hnsm__detail_get(), wrong[i]));
    }
    assert_hr(jx_uint(doc, "Bigger", 0xFFFFFFFFu, BAD, &v), BAD);
    assert_hr(jx_uint(doc, "Port", 0xFFFE, BAD, &v), BAD);
    cJSON_Delete(doc);
}

static void bool_reader(void **state)
{
    (void)state;
    cJSON *doc = parse_json("{\"On\":true,\"Off\":false,\"One\":1,\"Text\":\"true\",\"Null\":null}");
    bool b = false;
    assert_succeeded(jx_bool(doc, "on", BAD, &b));
    assert_true(b);
    assert_succeeded(jx_bool(doc, "OFF", BAD, &b));
    assert_false(b);
    b = true;
    assert_succeeded(jx_bool(doc, "Missing", BAD, &b));
    assert_true(b);
    assert_succeeded(jx_bool(doc, "Null", BAD, &b));
    assert_true(b);
    assert_hr(jx_bool(doc, "One", BAD, &b), BAD);
    assert_hr(jx_bool(doc, "Text", BAD, &b), BAD);
    assert_true(b);
    cJSON_Delete(doc);
}

static const jx_enum_entry modes[] = {
    {"NAT", 0}, {"ICS", 1}, {"Transparent", 2}, {"L2Bridge", 3}, {"Overlay", 5}, {NULL, 0}};

static void enum_reader_takes_names_in_any_case_and_numbers(void **state)
{
    (void)state;
    cJSON *doc = parse_json("{\"A\":\"l2bridge\",\"B\":\"TRANSPARENT\",\"C\":\"Overlay\",\"D\":1,"
                            "\"E\":0,\"F\":4,\"G\":1.5,\"H\":\"Bogus\",\"I\":true,\"J\":\"\","
                            "\"K\":null,\"L\":\"3\",\"M\":-1}");
    int v = -7;
    assert_succeeded(jx_enum(doc, "A", modes, BAD, &v));
    assert_int_equal(v, 3);
    assert_succeeded(jx_enum(doc, "b", modes, BAD, &v));
    assert_int_equal(v, 2);
    assert_succeeded(jx_enum(doc, "C", modes, BAD, &v));
    assert_int_equal(v, 5);
    assert_succeeded(jx_enum(doc, "D", modes, BAD, &v));
    assert_int_equal(v, 1);
    assert_succeeded(jx_enum(doc, "E", modes, BAD, &v));
    assert_int_equal(v, 0);

    /* Unset: absent, null, or (as Go clients send it) the empty string. */
    v = -7;
    assert_succeeded(jx_enum(doc, "Missing", modes, BAD, &v));
    assert_succeeded(jx_enum(doc, "J", modes, BAD, &v));
    assert_succeeded(jx_enum(doc, "K", modes, BAD, &v));
    assert_int_equal(v, -7);

    /* A number not in the table, a fraction, an unknown name, a bool, a
     * number spelled as a string, a negative number. */
    static const char *const wrong[] = {"F", "G", "H", "I", "L", "M"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        hnsm__detail_clear();
        if (jx_enum(doc, wrong[i], modes, BAD, &v) != BAD)
            fail_msg("enum field %s was accepted", wrong[i]);
        assert_int_equal(v, -7);
        assert_non_null(strstr(hnsm__detail_get(), wrong[i]));
    }
    cJSON_Delete(doc);
}

static void enum_value_and_name(void **state)
{
    (void)state;
    int v = -1;
    cJSON *name = cJSON_CreateString("ics"), *number = cJSON_CreateNumber(5),
          *unknown = cJSON_CreateNumber(9);
    assert_true(jx_enum_value(name, modes, &v));
    assert_int_equal(v, 1);
    assert_true(jx_enum_value(number, modes, &v));
    assert_int_equal(v, 5);
    assert_false(jx_enum_value(unknown, modes, &v));
    assert_string_equal(jx_enum_name(modes, 3), "L2Bridge");
    assert_string_equal(jx_enum_name(modes, 0), "NAT");
    assert_null(jx_enum_name(modes, 4));
    cJSON_Delete(name);
    cJSON_Delete(number);
    cJSON_Delete(unknown);
}

static void array_and_object_readers(void **state)
{
    (void)state;
    cJSON *doc = parse_json("{\"List\":[1,2],\"Obj\":{\"x\":1},\"Null\":null,\"Str\":\"s\"}");
    const cJSON *out = NULL;
    assert_succeeded(jx_array(doc, "list", BAD, &out));
    assert_int_equal(cJSON_GetArraySize(out), 2);
    assert_succeeded(jx_array(doc, "Missing", BAD, &out));
    assert_null(out);
    assert_succeeded(jx_array(doc, "Null", BAD, &out));
    assert_null(out);
    assert_hr(jx_array(doc, "Obj", BAD, &out), BAD);
    assert_null(out);
    assert_hr(jx_array(doc, "Str", BAD, &out), BAD);

    assert_succeeded(jx_object(doc, "OBJ", BAD, &out));
    assert_json(out, "{\"x\":1}");
    assert_succeeded(jx_object(doc, "Null", BAD, &out));
    assert_null(out);
    assert_succeeded(jx_object(doc, "Missing", BAD, &out));
    assert_null(out);
    assert_hr(jx_object(doc, "List", BAD, &out), BAD);
    assert_null(out);
    cJSON_Delete(doc);
}

static void writers_omit_zero_values(void **state)
{
    (void)state;
    cJSON *obj = cJSON_CreateObject();
    jx_put_string(obj, "Name", "n");
    jx_put_string(obj, "Empty", "");
    jx_put_string(obj, "Null", NULL);
    jx_put_uint(obj, "Flags", 0);
    jx_put_uint(obj, "Mtu", 1500);
    jx_put_uint(obj, "Luid", (uint64_t)1 << 40);
    jx_put_bool(obj, "Off", false);
    jx_put_bool(obj, "On", true);
    assert_json(obj, "{\"Name\":\"n\",\"Mtu\":1500,\"Luid\":1099511627776,\"On\":true}");
    char *text = jx_print(obj);
    assert_string_equal(text, "{\"Name\":\"n\",\"Mtu\":1500,\"Luid\":1099511627776,\"On\":true}");
    free(text);
    cJSON_Delete(obj);
}

static void move_respells_the_key(void **state)
{
    (void)state;
    cJSON *src = parse_json("{\"exceptionlist\":[\"10.0.0.0/8\"],\"other\":1}");
    cJSON *dst = cJSON_CreateObject();
    jx_move(dst, src, "ExceptionList");
    jx_move(dst, src, "Missing");
    assert_json(dst, "{\"ExceptionList\":[\"10.0.0.0/8\"]}");
    assert_json(src, "{\"other\":1}");
    cJSON_Delete(src);
    cJSON_Delete(dst);
}

/* jx_equal on two texts, both ways round. */
static bool equal(const char *a, const char *b)
{
    cJSON *x = parse_json(a), *y = parse_json(b);
    bool e = jx_equal(x, y);
    if (jx_equal(y, x) != e)
        fail_msg("jx_equal is not symmetric on %s and %s", a, b);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return e;
}

static void equal_compares_as_hns_reads(void **state)
{
    (void)state;
    assert_true(equal("{\"Name\":\"n\",\"Flags\":1}", "{\"name\":\"n\",\"FLAGS\":1}"));
    assert_true(equal("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"));
    assert_true(equal("{\"a\":1}", "{\"a\":1.0}"));
    assert_true(equal("{\"a\":100}", "{\"a\":1e2}"));
    assert_true(equal("{\"a\":[1,\"x\",true,null,{\"K\":[]}]}",
                      "{\"A\":[1,\"x\",true,null,{\"k\":[]}]}"));
    assert_true(equal("{}", "{}"));

    assert_false(equal("{\"a\":\"x\"}", "{\"a\":\"X\"}"));
    assert_false(equal("{\"a\":[1,2]}", "{\"a\":[2,1]}"));
    assert_false(equal("{\"a\":[1,2]}", "{\"a\":[1,2,3]}"));
    assert_false(equal("{\"a\":1}", "{\"a\":1,\"b\":2}"));
    assert_false(equal("{\"a\":1}", "{\"b\":1}"));
    assert_false(equal("{\"a\":1}", "{\"a\":\"1\"}"));
    assert_false(equal("{\"a\":true}", "{\"a\":1}"));
    assert_false(equal("{\"a\":true}", "{\"a\":false}"));
    assert_false(equal("{\"a\":null}", "{\"a\":0}"));
    assert_false(equal("{\"a\":{}}", "{\"a\":[]}"));
    assert_false(equal("{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":{\"c\":2}}}"));

    cJSON *obj = parse_json("{}");
    assert_true(jx_equal(NULL, NULL));
    assert_false(jx_equal(obj, NULL));
    assert_false(jx_equal(NULL, obj));
    cJSON_Delete(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_objects),
        cmocka_unit_test(reads_only_len_bytes),
        cmocka_unit_test(malformed_documents_are_invalid_json),
        cmocka_unit_test(trailing_garbage_is_invalid_json),
        cmocka_unit_test(non_object_roots_are_invalid_json),
        cmocka_unit_test(invalid_utf8_is_invalid_json),
        cmocka_unit_test(escaped_lone_surrogates_are_invalid_json),
        cmocka_unit_test(nesting_beyond_the_cjson_limit_is_invalid_json),
        cmocka_unit_test(oversized_documents_are_invalid_arguments),
        cmocka_unit_test(string_reader),
        cmocka_unit_test(uint_reader_takes_whole_numbers_in_range),
        cmocka_unit_test(bool_reader),
        cmocka_unit_test(enum_reader_takes_names_in_any_case_and_numbers),
        cmocka_unit_test(enum_value_and_name),
        cmocka_unit_test(array_and_object_readers),
        cmocka_unit_test(writers_omit_zero_values),
        cmocka_unit_test(move_respells_the_key),
        cmocka_unit_test(equal_compares_as_hns_reads),
    };
    return cmocka_run_group_tests_name("jsonx", tests, NULL, NULL);
}
