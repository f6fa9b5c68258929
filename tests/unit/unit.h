/*
 * unit.h - helpers shared by the cmocka unit tests under tests/unit/.
 *
 * Every test file includes this instead of cmocka.h directly. It adds
 * assertions that say what went wrong in the project's own terms: an HRESULT
 * mismatch names both codes and shows hnsm_last_detail(), and a JSON mismatch
 * prints both documents. Nothing here knows about any one module.
 */
#ifndef HNSIM_TESTS_UNIT_H
#define HNSIM_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <hnsmock/hnsmock.h>

/* Fails unless HRESULT actual equals expected, naming both codes. */
#define assert_hr(actual, expected)                                                           \
    do {                                                                                      \
        HRESULT unit_a_ = (actual), unit_e_ = (expected);                                     \
        if (unit_a_ != unit_e_) {                                                             \
            const char *unit_an_ = hnsm_hresult_name(unit_a_);                                \
            const char *unit_en_ = hnsm_hresult_name(unit_e_);                                \
            fail_msg("HRESULT 0x%08X (%s), expected 0x%08X (%s); detail: %s",                 \
                     (unsigned)unit_a_, unit_an_ ? unit_an_ : "?", (unsigned)unit_e_,         \
                     unit_en_ ? unit_en_ : "?", hnsm_last_detail());                          \
        }                                                                                     \
    } while (0)

/* Fails unless actual is a success code. */
#define assert_succeeded(actual) assert_hr((actual), S_OK)

/* Prints item compactly and compares it with the expected text. */
static inline void unit_assert_json(const cJSON *item, const char *expected, const char *file,
                                    int line)
{
    if (!item) {
        fail_msg("%s:%d: no JSON value, expected %s", file, line, expected);
        return;
    }
    char *text = cJSON_PrintUnformatted(item);
    if (!text || strcmp(text, expected) != 0) {
        fail_msg("%s:%d: JSON differs\n   got: %s\nwanted: %s", file, line, text ? text : "(null)",
                 expected);
    }
    free(text);
}
#define assert_json(item, expected) unit_assert_json((item), (expected), __FILE__, __LINE__)

/* Parses text, failing the test when it is not JSON. */
static inline cJSON *unit_parse(const char *text, const char *file, int line)
{
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("%s:%d: test fixture is not JSON: %s", file, line, text);
    return j;
}
#define parse_json(text) unit_parse((text), __FILE__, __LINE__)

#endif
