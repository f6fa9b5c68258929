/*
 * match.h - the comparison and substitution rules of the conformance cases.
 *
 * A case file names objects it created as $variables, describes expected
 * results partially (only the keys it cares about) and may use a few
 * matchers where a value is generated ("~GUID", "~mac"). These helpers
 * implement exactly the rules tests/conformance/README.md documents, so the
 * runner itself only sequences calls and reports.
 */
#ifndef CONFORMANCE_MATCH_H
#define CONFORMANCE_MATCH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Saved values ($name -> text) of one case file. */
#define CM_MAX_VARS 128
typedef struct cm_vars {
    int count;
    char *names[CM_MAX_VARS];
    char *values[CM_MAX_VARS];
} cm_vars;

/* Sets (or replaces) name; the strings are copied. */
void cm_vars_set(cm_vars *vars, const char *name, const char *value);
/* Frees every saved value. */
void cm_vars_free(cm_vars *vars);

/* Replaces each $name in text with its saved value ("$$" gives "$").
 * Returns a malloc'd string, or NULL after writing the reason to why. */
char *cm_subst_text(const cm_vars *vars, const char *text, char *why, size_t size);
/* The same on every string value of a JSON tree, in place; false on an
 * unknown name (reason in why). */
bool cm_subst_tree(const cm_vars *vars, cJSON *tree, char *why, size_t size);

/* Partial match: true when actual satisfies expected (README "Matching").
 * On a mismatch, why receives the path and both values. */
bool cm_match(const cJSON *expected, const cJSON *actual, char *why, size_t size);

/* The item at a dotted path ("Policies.0.Settings.Id"; numbers index arrays),
 * keys compared case-sensitively; NULL when absent. */
const cJSON *cm_lookup(const cJSON *root, const char *path);

#endif
