/*
 * run_conformance.c - runs the data-driven HCN API conformance cases.
 *
 * Every *.json file under the cases directory (argv[1]) is one cmocka test.
 * A file opens a fresh in-memory HNS instance (its profile and seed), applies
 * its choice overrides, then runs its steps in order through hnsm_call, the
 * UTF-8 entry point behind the HCN API. Each step states the HRESULT it
 * expects and, optionally, what the result must contain; the format is
 * documented in README.md next to this file. Whatever a step expects, the
 * runner also checks the rules every client relies on (hcn-api.md 1.8,
 * 1.9.2-1.9.3): on failure no result and an ErrorRecord that is exactly
 * {"Success":false,"Error":"<message> ","ErrorCode":<hr>}; on success no
 * ErrorRecord and, for operations with output, a result. A step may instead
 * be an HNSCall (the v1 API, through hnsm_hnscall); its envelope is checked
 * the same way: Success, and on failure the ErrorCode's message plus a space.
 *
 * Extra arguments select files by name substring. With
 * HNSIM_CONFORMANCE_TRACE=1 every step's HRESULT and result are printed,
 * which is how new cases are written.
 */
#include "match.h"

#include <hnsmock/hnsmock.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *const kind_names[HNSM_KIND_COUNT] = {
    [HNSM_NETWORK] = "network",           [HNSM_ENDPOINT] = "endpoint",
    [HNSM_NAMESPACE] = "namespace",       [HNSM_LOADBALANCER] = "loadbalancer",
    [HNSM_SDNROUTE] = "sdnroute",         [HNSM_GUESTNETWORKSERVICE] = "guestnetworkservice"};

static const char *const op_names[HNSM_OP_COUNT] = {
    [HNSM_OP_ENUMERATE] = "enumerate", [HNSM_OP_CREATE] = "create",
    [HNSM_OP_OPEN] = "open",           [HNSM_OP_MODIFY] = "modify",
    [HNSM_OP_QUERY] = "query",         [HNSM_OP_DELETE] = "delete",
    [HNSM_OP_QUERY_STATS] = "query_stats", [HNSM_OP_QUERY_ADDRESSES] = "query_addresses"};

static int name_index(const char *const *names, int count, const char *name)
{
    for (int i = 0; name && i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* One case file being run. */
typedef struct case_run {
    const char *file;       /* path, for messages */
    hnsm_instance *inst;    /* the file's private HNS instance */
    cm_vars vars;           /* $names saved by its steps */
    int failures;           /* checks failed so far */
    bool trace;             /* HNSIM_CONFORMANCE_TRACE: print every step */
} case_run;

/* Reports a failed step (or file-level problem) and counts it. */
static void report(case_run *run, const char *step, const char *fmt, ...)
{
    char text[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    print_error("%s: step \"%s\": %s\n", run->file, step ? step : "(file)", text);
    run->failures++;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1))) {
            size_t got = fread(text, 1, (size_t)size, f);
            text[got] = '\0';
        }
    }
    fclose(f);
    return text;
}

/* Applies a {"NAME": value} object of choice overrides. */
static bool apply_choices(case_run *run, const char *step, const cJSON *choices)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, choices)
    {
        if (!cJSON_IsNumber(c) || hnsm_set_choice(run->inst, c->string, c->valueint) != 0) {
            report(run, step, "cannot set choice %s", c->string);
            return false;
        }
    }
    return true;
}

/* Builds the "text" document: a string, or an array of strings and
 * {"repeat": s, "times": n} pieces (for documents too big to write out). */
static char *build_text(const cJSON *text)
{
    if (cJSON_IsString(text))
        return strdup(text->valuestring);
    size_t len = 0;
    const cJSON *piece;
    cJSON_ArrayForEach(piece, text)
    {
        const cJSON *repeat = cJSON_GetObjectItemCaseSensitive(piece, "repeat");
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(piece, "times");
        if (cJSON_IsString(piece))
            len += strlen(piece->valuestring);
        else if (cJSON_IsString(repeat) && cJSON_IsNumber(times) && times->valueint >= 0)
            len += strlen(repeat->valuestring) * (size_t)times->valueint;
        else
            return NULL;
    }
    char *out = malloc(len + 1), *p = out;
    if (!out)
        return NULL;
    cJSON_ArrayForEach(piece, text)
    {
        if (cJSON_IsString(piece)) {
            p = stpcpy(p, piece->valuestring);
            continue;
        }
        const char *r = cJSON_GetObjectItemCaseSensitive(piece, "repeat")->valuestring;
        for (int i = 0; i < cJSON_GetObjectItemCaseSensitive(piece, "times")->valueint; i++)
            p = stpcpy(p, r);
    }
    *p = '\0';
    return out;
}

/* The document argument of a step: "json" (with "filter" folded into its
 * Filter string), or "text". NULL document when neither is given. */
static bool step_document(case_run *run, const char *name, const cJSON *step, char **doc)
{
    char why[512];
    *doc = NULL;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(step, "text");
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(step, "json");
    const cJSON *filter = cJSON_GetObjectItemCaseSensitive(step, "filter");
    if (text) {
        char *raw = build_text(text);
        if (!raw) {
            report(run, name, "\"text\" must be a string or an array of pieces");
            return false;
        }
        *doc = cm_subst_text(&run->vars, raw, why, sizeof why);
        free(raw);
        if (!*doc)
            report(run, name, "%s", why);
        return *doc != NULL;
    }
    if (!json && !filter)
        return true;
    cJSON *copy = json ? cJSON_Duplicate(json, 1) : cJSON_CreateObject();
    bool ok = cm_subst_tree(&run->vars, copy, why, sizeof why);
    if (ok && filter) {
        cJSON *f = cJSON_Duplicate(filter, 1);
        ok = cm_subst_tree(&run->vars, f, why, sizeof why);
        char *s = ok ? cJSON_PrintUnformatted(f) : NULL;
        if (s)
            cJSON_AddStringToObject(copy, "Filter", s);
        free(s);
        cJSON_Delete(f);
    }
    if (ok)
        *doc = cJSON_PrintUnformatted(copy);
    else
        report(run, name, "%s", why);
    cJSON_Delete(copy);
    return ok;
}

/* An optional id/parent argument: absent or null = NULL, else substituted. */
static bool step_guid_arg(case_run *run, const char *name, const cJSON *value, char **out)
{
    char why[512];
    *out = NULL;
    if (!value || cJSON_IsNull(value))
        return true;
    if (!cJSON_IsString(value)) {
        report(run, name, "id and parent must be strings or null");
        return false;
    }
    if (!(*out = cm_subst_text(&run->vars, value->valuestring, why, sizeof why)))
        report(run, name, "%s", why);
    return *out != NULL;
}

/* True when hr is what expect_hr names ("HCN_E_INVALID_IP" or "0x803B001E"). */
static bool hr_is(HRESULT hr, const char *expected)
{
    if (strncmp(expected, "0x", 2) == 0)
        return (uint32_t)hr == (uint32_t)strtoul(expected, NULL, 16);
    const char *name = hnsm_hresult_name(hr);
    return name && strcmp(name, expected) == 0;
}

/* Checks the invariants every call must keep, whatever the step expects. */
static void check_contract(case_run *run, const char *name, hnsm_op op, HRESULT hr,
                           const char *result, const char *record)
{
    if (hr < 0) {
        char want[1024];
        snprintf(want, sizeof want, "{\"Success\":false,\"Error\":\"%s \",\"ErrorCode\":%u}",
                 hnsm_hresult_message(hr), (unsigned)(uint32_t)hr);
        if (!record || strcmp(record, want) != 0)
            report(run, name, "ErrorRecord is %s, want %s", record ? record : "NULL", want);
        if (result)
            report(run, name, "a failed call returned a result: %s", result);
        return;
    }
    if (record)
        report(run, name, "a successful call returned an ErrorRecord: %s", record);
    if (*hnsm_last_detail())
        report(run, name, "a successful call left a failure detail: %s", hnsm_last_detail());
    bool has_output = op == HNSM_OP_ENUMERATE || op == HNSM_OP_CREATE || op == HNSM_OP_QUERY ||
                      op == HNSM_OP_QUERY_STATS || op == HNSM_OP_QUERY_ADDRESSES;
    if (has_output && !result)
        report(run, name, "a successful %s returned no result", op_names[op]);
    if (!has_output && result)
        report(run, name, "%s returned a result: %s", op_names[op], result);
}

/* Compares the result with expect / expect_exact / expect_absent. */
static void check_result(case_run *run, const char *name, const cJSON *step, const char *result)
{
    char why[2048];
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(step, "expect");
    const cJSON *exact = cJSON_GetObjectItemCaseSensitive(step, "expect_exact");
    const cJSON *absent = cJSON_GetObjectItemCaseSensitive(step, "expect_absent");
    /* A create returns a bare id; anything else that is not JSON is matched as a string. */
    cJSON *parsed = result ? cJSON_ParseWithOpts(result, NULL, 1) : NULL;
    if (result && !parsed)
        parsed = cJSON_CreateString(result);
    if (cJSON_IsNull(exact) && result) {
        report(run, name, "result is %s, want none", result);
    } else if (cJSON_IsString(exact)) {
        char *want = cm_subst_text(&run->vars, exact->valuestring, why, sizeof why);
        if (!want)
            report(run, name, "%s", why);
        else if (!result || strcmp(want, result) != 0)
            report(run, name, "result is %s, want exactly %s", result ? result : "NULL", want);
        free(want);
    } else if (exact && !cJSON_IsNull(exact)) {
        report(run, name, "expect_exact must be a string or null");
    }
    if (expect) {
        cJSON *want = cJSON_Duplicate(expect, 1);
        if (!cm_subst_tree(&run->vars, want, why, sizeof why))
            report(run, name, "%s", why);
        else if (!cm_match(want, parsed, why, sizeof why))
            report(run, name, "%s\n    result: %s", why, result ? result : "NULL");
        cJSON_Delete(want);
    }
    const cJSON *path;
    cJSON_ArrayForEach(path, absent)
    {
        if (cJSON_IsString(path) && cm_lookup(parsed, path->valuestring))
            report(run, name, "%s should be absent\n    result: %s", path->valuestring,
                   result ? result : "NULL");
    }
    cJSON_Delete(parsed);
}

/* Saves the result ("save") or fields of it ("save_fields": {"var": "path"}). */
static void save_result(case_run *run, const char *name, const cJSON *step, const char *result)
{
    const cJSON *save = cJSON_GetObjectItemCaseSensitive(step, "save");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(step, "save_fields");
    if (cJSON_IsString(save) && result)
        cm_vars_set(&run->vars, save->valuestring, result);
    if (!fields)
        return;
    cJSON *parsed = result ? cJSON_ParseWithOpts(result, NULL, 1) : NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
    {
        const cJSON *v = cJSON_IsString(f) ? cm_lookup(parsed, f->valuestring) : NULL;
        char *text = cJSON_IsString(v) ? NULL : v ? cJSON_PrintUnformatted(v) : NULL;
        if (!v)
            report(run, name, "cannot save %s: no %s in the result", f->string,
                   cJSON_IsString(f) ? f->valuestring : "?");
        else
            cm_vars_set(&run->vars, f->string, cJSON_IsString(v) ? v->valuestring : text);
        free(text);
    }
    cJSON_Delete(parsed);
}

/* Checks what every HNSCall envelope must be (hcn-api.md 5.1) and that it
 * reports the step's expect_error (an HRESULT name or hex), or success. */
static void check_envelope(case_run *run, const char *name, const cJSON *step,
                           const char *response)
{
    cJSON *e = response ? cJSON_Parse(response) : NULL;
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(e, "Success");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(e, "Error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "ErrorCode");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(step, "expect_error");
    if (!cJSON_IsBool(success)) {
        report(run, name, "the response is not an envelope: %s", response ? response : "NULL");
    } else if (cJSON_IsTrue(success)) {
        if (error || code)
            report(run, name, "a successful envelope carries Error/ErrorCode: %s", response);
        if (*hnsm_last_detail())
            report(run, name, "a successful call left a failure detail: %s", hnsm_last_detail());
        if (cJSON_IsString(want))
            report(run, name, "Success:true, want %s\n    response: %s", want->valuestring,
                   response);
    } else {
        /* ErrorCode as the signed HRESULT (choice V1_ERROR_CODE_SIGNED) or unsigned. */
        HRESULT hr = cJSON_IsNumber(code) ? (HRESULT)(int64_t)code->valuedouble : 0;
        char text[600];
        snprintf(text, sizeof text, "%s ", hnsm_hresult_message(hr));
        if (!cJSON_IsString(error) || strcmp(error->valuestring, text) != 0)
            report(run, name, "Error is not the message of ErrorCode plus a space: %s", response);
        if (cJSON_GetObjectItemCaseSensitive(e, "Output"))
            report(run, name, "a failed envelope carries Output: %s", response);
        if (!cJSON_IsString(want))
            report(run, name, "Success:false, want success\n    detail: %s\n    response: %s",
                   hnsm_last_detail(), response);
        else if (!hr_is(hr, want->valuestring))
            report(run, name, "ErrorCode %s, want %s\n    detail: %s\n    response: %s",
                   hnsm_hresult_name(hr) ? hnsm_hresult_name(hr) : "?", want->valuestring,
                   hnsm_last_detail(), response);
    }
    cJSON_Delete(e);
}

/* A step {"hnscall": {"method", "path", "body"}}: body is a JSON value sent
 * printed, or a string sent as is; absent = "". expect_hr is HNSCall's own
 * HRESULT, expect_error the envelope's ErrorCode; expect* and save* apply to
 * the envelope. */
static void run_hnscall_step(case_run *run, const char *name, const cJSON *step,
                             const cJSON *call)
{
    char why[512];
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(call, "method");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(call, "path");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(call, "body");
    const cJSON *hr_item = cJSON_GetObjectItemCaseSensitive(step, "expect_hr");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(step, "expect_detail");
    const char *want_hr = cJSON_IsString(hr_item) ? hr_item->valuestring : "S_OK";
    if (!cJSON_IsString(method) || !cJSON_IsString(path)) {
        report(run, name, "hnscall needs string method and path");
        return;
    }
    char *path_text = cm_subst_text(&run->vars, path->valuestring, why, sizeof why);
    char *request = NULL, *response = NULL;
    if (!path_text) {
        report(run, name, "%s", why);
        return;
    }
    if (cJSON_IsString(body)) {
        request = cm_subst_text(&run->vars, body->valuestring, why, sizeof why);
    } else if (body) {
        cJSON *copy = cJSON_Duplicate(body, 1);
        if (cm_subst_tree(&run->vars, copy, why, sizeof why))
            request = cJSON_PrintUnformatted(copy);
        cJSON_Delete(copy);
    } else {
        request = strdup("");
    }
    if (!request) {
        report(run, name, "%s", why);
        free(path_text);
        return;
    }
    HRESULT hr = hnsm_hnscall(run->inst, method->valuestring, path_text, request, &response);
    const char *hr_name = hnsm_hresult_name(hr);
    if (run->trace)
        printf("  [%s] %s: HNSCall %s %s -> %s (0x%08X)\n    %s\n", run->file, name,
               method->valuestring, path_text, hr_name ? hr_name : "?", (unsigned)(uint32_t)hr,
               response ? response : "NULL");
    if (!hr_is(hr, want_hr)) {
        report(run, name, "HNSCall returned %s (0x%08X), want %s\n    detail: %s",
               hr_name ? hr_name : "?", (unsigned)(uint32_t)hr, want_hr, hnsm_last_detail());
    } else if (hr < 0) {
        if (response)
            report(run, name, "a failed HNSCall returned a response: %s", response);
    } else {
        check_envelope(run, name, step, response);
        if (cJSON_IsString(detail) && !strstr(hnsm_last_detail(), detail->valuestring))
            report(run, name, "detail is \"%s\", want it to contain \"%s\"", hnsm_last_detail(),
                   detail->valuestring);
        check_result(run, name, step, response);
        save_result(run, name, step, response);
    }
    hnsm_free(response);
    free(request);
    free(path_text);
}

static void run_step(case_run *run, const cJSON *step, int index)
{
    char fallback[32];
    const cJSON *name_item = cJSON_GetObjectItemCaseSensitive(step, "name");
    snprintf(fallback, sizeof fallback, "#%d", index + 1);
    const char *name = cJSON_IsString(name_item) ? name_item->valuestring : fallback;
    const cJSON *hnscall = cJSON_GetObjectItemCaseSensitive(step, "hnscall");
    if (hnscall) {
        if (apply_choices(run, name, cJSON_GetObjectItemCaseSensitive(step, "choices")))
            run_hnscall_step(run, name, step, hnscall);
        return;
    }
    const cJSON *kind_item = cJSON_GetObjectItemCaseSensitive(step, "kind");
    const cJSON *op_item = cJSON_GetObjectItemCaseSensitive(step, "op");
    const cJSON *hr_item = cJSON_GetObjectItemCaseSensitive(step, "expect_hr");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(step, "expect_detail");
    int kind = name_index(kind_names, HNSM_KIND_COUNT, cJSON_GetStringValue(kind_item));
    int op = name_index(op_names, HNSM_OP_COUNT, cJSON_GetStringValue(op_item));
    const char *want_hr = cJSON_IsString(hr_item) ? hr_item->valuestring : "S_OK";
    if (kind < 0 || op < 0) {
        report(run, name, "unknown kind or op");
        return;
    }
    if (!apply_choices(run, name, cJSON_GetObjectItemCaseSensitive(step, "choices")))
        return;
    char *id = NULL, *parent = NULL, *doc = NULL, *result = NULL, *record = NULL;
    if (!step_guid_arg(run, name, cJSON_GetObjectItemCaseSensitive(step, "id"), &id) ||
        !step_guid_arg(run, name, cJSON_GetObjectItemCaseSensitive(step, "parent"), &parent) ||
        !step_document(run, name, step, &doc))
        goto done;
    HRESULT hr = hnsm_call(run->inst, (hnsm_kind)kind, (hnsm_op)op, id, parent, doc, &result,
                           &record);
    const char *hr_name = hnsm_hresult_name(hr);
    if (run->trace)
        printf("  [%s] %s -> %s (0x%08X)\n    %s\n", run->file, name, hr_name ? hr_name : "?",
               (unsigned)(uint32_t)hr, result ? result : record ? record : "NULL");
    check_contract(run, name, (hnsm_op)op, hr, result, record);
    if (!hr_is(hr, want_hr)) {
        report(run, name, "HRESULT %s (0x%08X), want %s\n    detail: %s\n    result: %s",
               hr_name ? hr_name : "?", (unsigned)(uint32_t)hr, want_hr, hnsm_last_detail(),
               result ? result : "NULL");
        goto done;
    }
    if (cJSON_IsString(detail) && !strstr(hnsm_last_detail(), detail->valuestring))
        report(run, name, "detail is \"%s\", want it to contain \"%s\"", hnsm_last_detail(),
               detail->valuestring);
    check_result(run, name, step, result);
    save_result(run, name, step, result);
done:
    hnsm_free(result);
    hnsm_free(record);
    free(id);
    free(parent);
    free(doc);
}

static void run_case_file(void **state)
{
    case_run run = {.file = *state, .trace = getenv("HNSIM_CONFORMANCE_TRACE") != NULL};
    if (run.trace)
        setvbuf(stdout, NULL, _IONBF, 0); /* keep trace lines in order with failures */
    char *text = read_file(run.file);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    if (!cJSON_IsObject(root)) {
        char near[48] = "";
        if (text && !root && cJSON_GetErrorPtr())
            snprintf(near, sizeof near, "%s", cJSON_GetErrorPtr());
        free(text);
        cJSON_Delete(root);
        fail_msg("%s: cannot read or parse the case file (near \"%s\")", run.file, near);
    }
    free(text);
    const cJSON *profile = cJSON_GetObjectItemCaseSensitive(root, "profile");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
    hnsm_config config = {.profile = cJSON_GetStringValue(profile),
                          .seed = cJSON_IsNumber(seed) ? (uint64_t)seed->valuedouble : 1,
                          .seed_set = 1};
    int err = hnsm_open(&config, &run.inst);
    if (err) {
        cJSON_Delete(root);
        fail_msg("%s: hnsm_open: %s", run.file, hnsm_strerror(err));
    }
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    if (!cJSON_GetArraySize(steps))
        report(&run, NULL, "the file has no steps");
    if (apply_choices(&run, NULL, cJSON_GetObjectItemCaseSensitive(root, "choices"))) {
        int i = 0;
        const cJSON *step;
        cJSON_ArrayForEach(step, steps) run_step(&run, step, i++);
    }
    hnsm_close(run.inst);
    cm_vars_free(&run.vars);
    cJSON_Delete(root);
    if (run.failures)
        fail_msg("%s: %d check(s) failed", run.file, run.failures);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASES_DIR [NAME_SUBSTRING...]\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        perror(argv[1]);
        return 2;
    }
    char **paths = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t len = strlen(entry->d_name);
        bool is_case = len > 5 && strcmp(entry->d_name + len - 5, ".json") == 0;
        bool wanted = is_case && argc == 2;
        for (int i = 2; is_case && i < argc; i++)
            if (strstr(entry->d_name, argv[i]))
                wanted = true;
        if (!wanted)
            continue;
        char **grown = realloc(paths, (count + 1) * sizeof *paths);
        size_t need = strlen(argv[1]) + len + 2;
        if (!grown || !(grown[count] = malloc(need)))
            return 2;
        paths = grown;
        snprintf(paths[count++], need, "%s/%s", argv[1], entry->d_name);
    }
    closedir(dir);
    qsort(paths, count, sizeof *paths, compare_names);
    struct CMUnitTest *tests = calloc(count ? count : 1, sizeof *tests);
    for (size_t i = 0; i < count; i++) {
        tests[i].name = strrchr(paths[i], '/') + 1;
        tests[i].test_func = run_case_file;
        tests[i].initial_state = paths[i];
    }
    int failed = count ? _cmocka_run_group_tests("conformance", tests, count, NULL, NULL) : 1;
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
    free(tests);
    return failed ? 1 : 0;
}
