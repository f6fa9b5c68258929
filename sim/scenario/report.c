/*
 * report.c - a scenario run's report as text for people, JSON for
 * programs and JUnit XML for CI (runner.h). All three depend only on the
 * report, which depends only on the script and the seed: no wall-clock
 * time is printed, so the same run gives the same bytes.
 */
#include "runner.h"
#include "vfp_internal.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The growable text buffer of sim/vfp's outputs. */
typedef vfp__buf text;
#define put vfp__buf_printf

static int done(text *t, char **out)
{
    if (t->failed) {
        free(t->text);
        *out = NULL;
        return -1;
    }
    *out = t->text ? t->text : strdup("");
    return *out ? 0 : -1;
}

/* Indents every line of block by two spaces. */
static void put_indented(text *t, const char *block)
{
    for (const char *line = block; line && *line;) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        put(t, "    %.*s\n", len, line);
        line = nl ? nl + 1 : NULL;
    }
}

int scn_report_text(const scn_report *r, char **out)
{
    text t = {0};
    for (size_t i = 0; i < r->n_results; i++) {
        const scn_result *res = &r->results[i];
        put(&t, "%s %s:%d at %llu.%03llus: %s\n", res->passed ? "PASS" : "FAIL", res->file, res->line,
            (unsigned long long)(res->at_ms / 1000), (unsigned long long)(res->at_ms % 1000), res->text);
        if (!res->passed) {
            if (res->detail)
                put(&t, "  %s\n", res->detail);
            if (res->trace)
                put_indented(&t, res->trace);
        }
    }
    if (r->error)
        put(&t, "ERROR %s\n", r->error);
    put(&t, "%s: %zu passed, %zu failed%s (seed %llu)\n", r->file, r->passed, r->failed,
        r->error ? ", stopped by an error" : "", (unsigned long long)r->seed);
    return done(&t, out);
}

int scn_report_json(const scn_report *r, char **out)
{
    cJSON *o = cJSON_CreateObject(), *results = cJSON_CreateArray(), *log = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "file", r->file);
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    cJSON_AddNumberToObject(o, "passed", (double)r->passed);
    cJSON_AddNumberToObject(o, "failed", (double)r->failed);
    if (r->error)
        cJSON_AddStringToObject(o, "error", r->error);
    else
        cJSON_AddNullToObject(o, "error");
    for (size_t i = 0; i < r->n_results; i++) {
        const scn_result *res = &r->results[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "file", res->file);
        cJSON_AddNumberToObject(item, "line", res->line);
        cJSON_AddNumberToObject(item, "col", res->col);
        cJSON_AddStringToObject(item, "statement", res->text);
        cJSON_AddBoolToObject(item, "passed", res->passed);
        cJSON_AddNumberToObject(item, "at_ms", (double)res->at_ms);
        cJSON_AddStringToObject(item, "detail", res->detail ? res->detail : "");
        if (res->trace)
            cJSON_AddStringToObject(item, "trace", res->trace);
        cJSON_AddItemToArray(results, item);
    }
    for (size_t i = 0; i < r->n_log; i++)
        cJSON_AddItemToArray(log, cJSON_CreateString(r->log[i]));
    cJSON_AddItemToObject(o, "results", results);
    cJSON_AddItemToObject(o, "log", log);
    *out = cJSON_Print(o);
    cJSON_Delete(o);
    return *out ? 0 : -1;
}

/* Writes s with the five XML entities escaped. */
static void put_xml(text *t, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': put(t, "&lt;"); break;
        case '>': put(t, "&gt;"); break;
        case '&': put(t, "&amp;"); break;
        case '"': put(t, "&quot;"); break;
        case '\'': put(t, "&apos;"); break;
        default: /* XML 1.0 has no form for other control bytes */
            put(t, "%c", (unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r' ? '?' : *s);
        }
    }
}

int scn_report_junit(const scn_report *reports, size_t n, char **out)
{
    text t = {0};
    size_t tests = 0, failures = 0;
    for (size_t i = 0; i < n; i++) {
        tests += reports[i].n_results + (reports[i].error ? 1 : 0);
        failures += reports[i].failed + (reports[i].error ? 1 : 0);
    }
    put(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"%zu\" failures=\"%zu\">\n",
        tests, failures);
    for (size_t i = 0; i < n; i++) {
        const scn_report *r = &reports[i];
        put(&t, "  <testsuite name=\"");
        put_xml(&t, r->file);
        put(&t, "\" tests=\"%zu\" failures=\"%zu\">\n", r->n_results + (r->error ? 1 : 0),
            r->failed + (r->error ? 1 : 0));
        for (size_t j = 0; j < r->n_results; j++) {
            const scn_result *res = &r->results[j];
            put(&t, "    <testcase classname=\"");
            put_xml(&t, r->file);
            put(&t, "\" name=\"line %d: ", res->line);
            put_xml(&t, res->text);
            put(&t, "\"");
            if (res->passed) {
                put(&t, "/>\n");
                continue;
            }
            put(&t, ">\n      <failure message=\"");
            put_xml(&t, res->detail);
            put(&t, "\">");
            put_xml(&t, res->trace);
            put(&t, "</failure>\n    </testcase>\n");
        }
        if (r->error) {
            put(&t, "    <testcase classname=\"");
            put_xml(&t, r->file);
            put(&t, "\" name=\"run\">\n      <error message=\"");
            put_xml(&t, r->error);
            put(&t, "\"/>\n    </testcase>\n");
        }
        put(&t, "  </testsuite>\n");
    }
    put(&t, "</testsuites>\n");
    return done(&t, out);
}
