/*
 * match.c - partial JSON matching, matchers and $variable substitution for
 * the conformance runner (rules: tests/conformance/README.md).
 *
 * Matching is deliberately simple so that a failing case is easy to read:
 * objects match when every expected key is present (exact key spelling, since
 * HNS output spelling is part of the contract) with a matching value; arrays
 * match element-wise and must have the same length; GUID-shaped strings
 * compare without regard to case unless written "~=..."; other "~" strings
 * are matchers.
 */
#include "match.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cm_vars_set(cm_vars *vars, const char *name, const char *value)
{
    for (int i = 0; i < vars->count; i++) {
        if (strcmp(vars->names[i], name) == 0) {
            free(vars->values[i]);
            vars->values[i] = strdup(value);
            return;
        }
    }
    if (vars->count == CM_MAX_VARS)
        return;
    vars->names[vars->count] = strdup(name);
    vars->values[vars->count] = strdup(value);
    vars->count++;
}

void cm_vars_free(cm_vars *vars)
{
    for (int i = 0; i < vars->count; i++) {
        free(vars->names[i]);
        free(vars->values[i]);
    }
    vars->count = 0;
}

static const char *var_get(const cm_vars *vars, const char *name, size_t len)
{
    for (int i = 0; i < vars->count; i++)
        if (strlen(vars->names[i]) == len && strncmp(vars->names[i], name, len) == 0)
            return vars->values[i];
    return NULL;
}

static bool name_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

char *cm_subst_text(const cm_vars *vars, const char *text, char *why, size_t size)
{
    /* First pass sizes the result, second pass writes it. */
    size_t need = 1;
    char *out = NULL;
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        for (const char *p = text; *p;) {
            const char *piece = p;
            size_t piece_len = 1;
            if (p[0] == '$' && p[1] == '$') {
                p += 2;
            } else if (p[0] == '$' && name_char(p[1])) {
                size_t len = 1;
                while (name_char(p[len]))
                    len++;
                piece = var_get(vars, p + 1, len - 1);
                if (!piece) {
                    snprintf(why, size, "unknown variable $%.*s", (int)(len - 1), p + 1);
                    free(out);
                    return NULL;
                }
                piece_len = strlen(piece);
                p += len;
            } else {
                p++;
            }
            if (out)
                memcpy(out + n, piece, piece_len);
            n += piece_len;
        }
        if (out) {
            out[n] = '\0';
        } else {
            need = n + 1;
            if (!(out = malloc(need))) {
                snprintf(why, size, "out of memory");
                return NULL;
            }
        }
    }
    return out;
}

bool cm_subst_tree(const cm_vars *vars, cJSON *tree, char *why, size_t size)
{
    if (cJSON_IsString(tree) && strchr(tree->valuestring, '$')) {
        char *s = cm_subst_text(vars, tree->valuestring, why, size);
        if (!s)
            return false;
        cJSON_SetValuestring(tree, s);
        free(s);
        return true;
    }
    cJSON *child;
    cJSON_ArrayForEach(child, tree)
    {
        if (!cm_subst_tree(vars, child, why, size))
            return false;
    }
    return true;
}

/* True for the 36-character GUID form; upper demands upper-case hex. */
static bool guid_text(const char *s, bool upper)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
        if (upper && islower((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* True for the canonical MAC form 00-15-5D-0A-0B-0C (upper-case hex). */
static bool mac_text(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    }
    return true;
}

static void describe(char *why, size_t size, const char *path, const cJSON *expected,
                     const cJSON *actual)
{
    char *e = cJSON_PrintUnformatted(expected);
    char *a = actual ? cJSON_PrintUnformatted(actual) : NULL;
    snprintf(why, size, "at %s: expected %s, got %s", *path ? path : "(root)", e ? e : "?",
             actual ? (a ? a : "?") : "(absent)");
    free(e);
    free(a);
}

static bool string_matches(const char *want, const cJSON *actual)
{
    if (strcmp(want, "~any") == 0)
        return actual != NULL;
    if (!cJSON_IsString(actual))
        return false;
    const char *got = actual->valuestring;
    if (strcmp(want, "~GUID") == 0)
        return guid_text(got, true);
    if (strcmp(want, "~guid") == 0)
        return guid_text(got, false);
    if (strcmp(want, "~mac") == 0)
        return mac_text(got);
    if (strncmp(want, "~=", 2) == 0)
        return strcmp(want + 2, got) == 0; /* exact, even for GUIDs */
    if (guid_text(want, false) && guid_text(got, false)) {
        for (int i = 0; i < 36; i++)
            if (toupper((unsigned char)want[i]) != toupper((unsigned char)got[i]))
                return false;
        return true;
    }
    return strcmp(want, got) == 0;
}

static bool match_at(const cJSON *expected, const cJSON *actual, char *path, size_t path_len,
                     char *why, size_t size)
{
    size_t base = strlen(path);
    if (cJSON_IsString(expected)) {
        if (!string_matches(expected->valuestring, actual)) {
            describe(why, size, path, expected, actual);
            return false;
        }
        return true;
    }
    if (cJSON_IsObject(expected)) {
        if (!cJSON_IsObject(actual)) {
            describe(why, size, path, expected, actual);
            return false;
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, expected)
        {
            snprintf(path + base, path_len - base, "%s%s", base ? "." : "", e->string);
            if (!match_at(e, cJSON_GetObjectItemCaseSensitive(actual, e->string), path, path_len,
                          why, size))
                return false;
            path[base] = '\0';
        }
        return true;
    }
    if (cJSON_IsArray(expected)) {
        if (!cJSON_IsArray(actual) || cJSON_GetArraySize(actual) != cJSON_GetArraySize(expected)) {
            describe(why, size, path, expected, actual);
            return false;
        }
        int i = 0;
        for (const cJSON *e = expected->child, *a = actual->child; e; e = e->next, a = a->next) {
            snprintf(path + base, path_len - base, "%s%d", base ? "." : "", i++);
            if (!match_at(e, a, path, path_len, why, size))
                return false;
            path[base] = '\0';
        }
        return true;
    }
    bool same = actual && ((cJSON_IsNumber(expected) && cJSON_IsNumber(actual) &&
                            expected->valuedouble == actual->valuedouble) ||
                           (cJSON_IsBool(expected) && cJSON_IsBool(actual) &&
                            cJSON_IsTrue(expected) == cJSON_IsTrue(actual)) ||
                           (cJSON_IsNull(expected) && cJSON_IsNull(actual)));
    if (!same)
        describe(why, size, path, expected, actual);
    return same;
}

bool cm_match(const cJSON *expected, const cJSON *actual, char *why, size_t size)
{
    char path[512] = "";
    return match_at(expected, actual, path, sizeof path, why, size);
}

const cJSON *cm_lookup(const cJSON *root, const char *path)
{
    const cJSON *item = root;
    char key[256];
    while (item && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        path += n + (path[n] == '.');
        if (cJSON_IsArray(item)) {
            char *end;
            long index = strtol(key, &end, 10);
            item = (*end || index < 0) ? NULL : cJSON_GetArrayItem(item, (int)index);
        } else {
            item = cJSON_GetObjectItemCaseSensitive(item, key);
        }
    }
    return item;
}
