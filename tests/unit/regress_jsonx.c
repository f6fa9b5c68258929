/*
 * regress_jsonx.c - regression tests for bugs found (and since fixed) in
 * hns-mock/jsonx.c. What was wrong:
 *
 * jx_parse_object(text, len) is documented to parse "a UTF-8 document of len
 * bytes" and to refuse trailing data, but a NUL byte inside the len bytes
 * silently ends the document: the trailing-data loop in jx_parse_object stops
 * at the first NUL (`p < text + len && *p`), so "{}\0xyz" is accepted, and a
 * NUL inside a string truncates the value ("x\0y" becomes "x") - a silently
 * different document, which wstr.h says hnsim never produces. Every caller
 * today passes strlen(), so the API entry points cannot reach it; any future
 * caller with a counted buffer (a socket, a file) would.
 *
 * The fix: in jx_parse_object, refuse the document with
 * HCN_E_INVALID_JSON when memchr(text, '\0', len) finds a NUL, and drop the
 * `*p` condition from the trailing-data loop.
 */
#include "unit.h"

#include "hresult.h"
#include "jsonx.h"

/* Parses len bytes of text, frees any document, and returns the HRESULT. */
static HRESULT parse_counted(const char *text, size_t len)
{
    cJSON *doc = NULL;
    HRESULT hr = jx_parse_object(text, len, &doc);
    cJSON_Delete(doc);
    return hr;
}

static void nul_byte_inside_len_is_invalid_json(void **state)
{
    (void)state;
    /* Trailing data hidden behind a NUL. */
    assert_hr(parse_counted("{}\0xyz", 6), HNSM_HCN_E_INVALID_JSON);
    /* A NUL inside a string value (it would come out as "x"). */
    assert_hr(parse_counted("{\"a\":\"x\0y\"}", 11), HNSM_HCN_E_INVALID_JSON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nul_byte_inside_len_is_invalid_json),
    };
    return cmocka_run_group_tests_name("jsonx regressions", tests, NULL, NULL);
}
