/*
 * test_hresult.c - HRESULT names, messages and the ErrorRecord (hresult.h).
 *
 * Driven by errors.def itself: for every row, hnsm__hresult_name gives the
 * row's name (so no two rows share a value), hnsm__hresult_message its text,
 * the public hnsm_hresult_name / hnsm_hresult_message agree, and
 * hnsm__error_record is exactly
 * {"Success":false,"Error":"<message> ","ErrorCode":<hr as unsigned decimal>}.
 * Also: unknown codes have no name, a generic message and still a record; a
 * few well-known codes are spelled out literally so that an edit to the table
 * that breaks what consumers match is caught.
 */
#include "unit.h"

#include "hresult.h"

#include <stdio.h>

static const struct row {
    const char *name;
    uint32_t value;
    const char *text;
} rows[] = {
#define HNSM_ERROR(name, value, text) {#name, value##u, text},
#include "errors.def"
#undef HNSM_ERROR
};

#define ROW_COUNT (sizeof rows / sizeof rows[0])

static void every_code_has_its_name_and_message(void **state)
{
    (void)state;
    assert_true(ROW_COUNT > 50);
    for (size_t i = 0; i < ROW_COUNT; i++) {
        HRESULT hr = (HRESULT)rows[i].value;
        const char *name = hnsm__hresult_name(hr);
        if (!name || strcmp(name, rows[i].name) != 0)
            fail_msg("0x%08X is named %s, expected %s (a duplicate value in errors.def?)",
                     rows[i].value, name ? name : "(null)", rows[i].name);
        assert_string_equal(hnsm__hresult_message(hr), rows[i].text);
        assert_string_equal(hnsm_hresult_name(hr), rows[i].name);
        assert_string_equal(hnsm_hresult_message(hr), rows[i].text);
    }
}

static void enumerators_match_the_table(void **state)
{
    (void)state;
    assert_int_equal((uint32_t)HNSM_S_OK, 0);
    assert_int_equal((uint32_t)HNSM_E_INVALIDARG, 0x80070057u);
    assert_int_equal((uint32_t)HNSM_HCN_E_INVALID_JSON, 0x803B001Bu);
    assert_int_equal((uint32_t)HNSM_HCN_E_INVALID_INTERNAL_PORT, 0x803B002Du);
    assert_true(FAILED(HNSM_HCN_E_NETWORK_NOT_FOUND));
    /* The enumerators agree with the shim's own COM constants. */
    assert_int_equal(HNSM_E_INVALIDARG, E_INVALIDARG);
    assert_int_equal(HNSM_E_NOTIMPL, E_NOTIMPL);
    assert_int_equal(HNSM_E_HANDLE, E_HANDLE);
}

static void error_record_is_exact_for_every_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROW_COUNT; i++) {
        char expected[1024];
        snprintf(expected, sizeof expected,
                 "{\"Success\":false,\"Error\":\"%s \",\"ErrorCode\":%u}", rows[i].text,
                 (unsigned)rows[i].value);
        char *record = hnsm__error_record((HRESULT)rows[i].value);
        assert_non_null(record);
        if (strcmp(record, expected) != 0)
            fail_msg("record of %s:\n   got: %s\nwanted: %s", rows[i].name, record, expected);
        free(record);
    }
}

static void well_known_records_spelled_out(void **state)
{
    (void)state;
    char *record = hnsm__error_record(HNSM_HCN_E_INVALID_JSON);
    assert_string_equal(record, "{\"Success\":false,\"Error\":\"Invalid JSON document string. \","
                                "\"ErrorCode\":2151350299}");
    free(record);
    record = hnsm__error_record(HNSM_E_INVALIDARG);
    assert_string_equal(record, "{\"Success\":false,\"Error\":\"The parameter is incorrect. \","
                                "\"ErrorCode\":2147942487}");
    free(record);
    record = hnsm__error_record(HNSM_HRESULT_ERROR_NOT_FOUND);
    assert_string_equal(record, "{\"Success\":false,\"Error\":\"Element not found. \","
                                "\"ErrorCode\":2147943568}");
    free(record);
    assert_string_equal(hnsm__hresult_name(HNSM_HCN_E_PORT_ALREADY_EXISTS),
                        "HCN_E_PORT_ALREADY_EXISTS");
    assert_string_equal(hnsm__hresult_message(HNSM_HCN_E_NETWORK_NOT_FOUND),
                        "The network was not found.");
}

/* hresult.c writes the record without a JSON library: that is exact only as
 * long as no message holds a character JSON escapes. */
static void messages_need_no_json_escaping(void **state)
{
    (void)state;
    static const char *const texts[] = {
#define HNSM_ERROR(name, value, text) text,
#include "errors.def"
#undef HNSM_ERROR
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        for (const char *c = texts[i]; *c; c++)
            assert_false(*c == '"' || *c == '\\' || (unsigned char)*c < 0x20);
}

static void unknown_codes_have_a_generic_message(void **state)
{
    (void)state;
    const HRESULT unknown = (HRESULT)0x8BADF00Du;
    assert_null(hnsm__hresult_name(unknown));
    assert_null(hnsm_hresult_name(unknown));
    const char *message = hnsm__hresult_message(unknown);
    assert_non_null(message);
    assert_true(message[0] != '\0');
    char expected[256];
    snprintf(expected, sizeof expected,
             "{\"Success\":false,\"Error\":\"%s \",\"ErrorCode\":%u}", message, 0x8BADF00Du);
    char *record = hnsm__error_record(unknown);
    assert_non_null(record);
    assert_string_equal(record, expected);
    free(record);
}

static void error_record_is_json_consumers_can_read(void **state)
{
    (void)state;
    /* The longest message (ERROR_DUP_NAME) survives a parse intact. */
    char *record = hnsm__error_record(HNSM_HRESULT_ERROR_DUP_NAME);
    cJSON *doc = parse_json(record);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "Success")));
    const cJSON *error = cJSON_GetObjectItem(doc, "Error");
    assert_true(cJSON_IsString(error));
    size_t n = strlen(error->valuestring);
    assert_true(n > 1);
    assert_int_equal(error->valuestring[n - 1], ' ');
    assert_int_equal(strncmp(error->valuestring, hnsm__hresult_message(HNSM_HRESULT_ERROR_DUP_NAME),
                             n - 1),
                     0);
    assert_true(cJSON_GetObjectItem(doc, "ErrorCode")->valuedouble == 2147942452.0);
    cJSON_Delete(doc);
    free(record);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_its_name_and_message),
        cmocka_unit_test(enumerators_match_the_table),
        cmocka_unit_test(error_record_is_exact_for_every_code),
        cmocka_unit_test(well_known_records_spelled_out),
        cmocka_unit_test(unknown_codes_have_a_generic_message),
        cmocka_unit_test(messages_need_no_json_escaping),
        cmocka_unit_test(error_record_is_json_consumers_can_read),
    };
    return cmocka_run_group_tests_name("hresult", tests, NULL, NULL);
}
