/*
 * test_parse.c - cmocka tests of the scenario language parser (sim/scenario
 * parse.h): words, key=value, quoted strings, comments, JSON values over
 * several lines, continuation lines, CRLF, the exact position of every
 * verb, argument and JSON value, includes (nested, relative, cycles,
 * missing, too deep) in temporary directories, and every error message
 * with its file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "parse.h"

/* ---------------------------------------------------------------------------
 * Helpers
 */

/* Parses text as "t.scn"; fails the test with the error when it does not. */
static scn_script *parse_ok(const char *text)
{
    scn_script *s = NULL;
    scn_error e;
    if (scn_parse_text("t.scn", text, NULL, &s, &e)) {
        char msg[1024];
        scn_format_error(&e, msg, sizeof msg);
        fail_msg("unexpected parse error: %s", msg);
    }
    assert_non_null(s);
    return s;
}

/* The formatted error of a parse that must fail (with *out left NULL). */
static const char *error_of_result(int rc, scn_script *s, const scn_error *e, char *buf,
                                   size_t size)
{
    assert_int_equal(rc, -1);
    assert_null(s);
    scn_format_error(e, buf, size);
    return buf;
}

static const char *error_of_text(const char *text, char *buf, size_t size)
{
    scn_script *s = (scn_script *)1;
    scn_error e;
    int rc = scn_parse_text("t.scn", text, NULL, &s, &e);
    return error_of_result(rc, s, &e, buf, size);
}

static const char *error_of_file(const char *path, char *buf, size_t size)
{
    scn_script *s = (scn_script *)1;
    scn_error e;
    int rc = scn_parse_file(path, &s, &e);
    return error_of_result(rc, s, &e, buf, size);
}

#define assert_text_error(text, expected)                                                          \
    do {                                                                                           \
        char buf_[1024];                                                                           \
        assert_string_equal(error_of_text(text, buf_, sizeof buf_), expected);                     \
    } while (0)

#define assert_file_error(path, expected)                                                          \
    do {                                                                                           \
        char buf_[1024];                                                                           \
        assert_string_equal(error_of_file(path, buf_, sizeof buf_), expected);                     \
    } while (0)

#define assert_pos(p, file_, line_, col_)                                                          \
    do {                                                                                           \
        assert_string_equal((p).file, file_);                                                      \
        assert_int_equal((p).line, line_);                                                         \
        assert_int_equal((p).col, col_);                                                           \
    } while (0)

/* key NULL for a positional argument. */
#define assert_arg(a, key_, value_, quoted_, line_, col_)                                          \
    do {                                                                                           \
        const scn_arg *a_ = (a);                                                                   \
        assert_non_null(a_);                                                                       \
        if (key_)                                                                                  \
            assert_string_equal(a_->key, (const char *)(key_));                                    \
        else                                                                                       \
            assert_null(a_->key);                                                                  \
        assert_string_equal(a_->value, value_);                                                    \
        assert_int_equal(a_->quoted, quoted_);                                                     \
        assert_int_equal(a_->pos.line, line_);                                                     \
        assert_int_equal(a_->pos.col, col_);                                                       \
    } while (0)

/* A temporary directory tree, removed at the end of the test. */
typedef struct tmp_tree {
    char root[512];
    char made[64][600]; /* files and directories, in creation order */
    size_t n_made;
    char saved_cwd[1024];
} tmp_tree;

static void tree_init(tmp_tree *t)
{
    const char *tmp = getenv("TMPDIR");
    memset(t, 0, sizeof *t);
    snprintf(t->root, sizeof t->root, "%s/scn_test_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(t->root));
}

static void tree_remember(tmp_tree *t, const char *path)
{
    assert_true(t->n_made < 64);
    snprintf(t->made[t->n_made++], sizeof t->made[0], "%s", path);
}

/* Writes len bytes of text to root/rel, making the directories on the way. */
static void tree_write_bytes(tmp_tree *t, const char *rel, const char *text, size_t len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", t->root, rel);
    for (char *slash = strchr(path + strlen(t->root) + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(path, 0700) == 0)
            tree_remember(t, path);
        *slash = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    tree_remember(t, path);
}

static void tree_write(tmp_tree *t, const char *rel, const char *text)
{
    tree_write_bytes(t, rel, text, strlen(text));
}

/* Makes root the current directory, so that names stay relative. */
static void tree_enter(tmp_tree *t)
{
    assert_non_null(getcwd(t->saved_cwd, sizeof t->saved_cwd));
    assert_int_equal(chdir(t->root), 0);
}

static void tree_remove(tmp_tree *t)
{
    if (t->saved_cwd[0] && chdir(t->saved_cwd) != 0)
        fprintf(stderr, "cannot return to %s\n", t->saved_cwd);
    while (t->n_made)
        remove(t->made[--t->n_made]);
    remove(t->root);
}

/* cmocka fixture: a fresh tree, entered; removed even when the test fails. */
static int tree_setup(void **state)
{
    tmp_tree *t = malloc(sizeof *t);
    if (!t)
        return -1;
    tree_init(t);
    tree_enter(t);
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    tree_remove(*state);
    free(*state);
    return 0;
}

/* Parses the file at name (relative to the current directory). */
static scn_script *parse_file_ok(const char *name)
{
    scn_script *s = NULL;
    scn_error e;
    if (scn_parse_file(name, &s, &e)) {
        char msg[1024];
        scn_format_error(&e, msg, sizeof msg);
        fail_msg("unexpected parse error: %s", msg);
    }
    return s;
}

/* ---------------------------------------------------------------------------
 * Lines, words, key=value, quoted strings, comments
 */

static void empty_text_has_no_statements(void **state)
{
    (void)state;
    const char *texts[] = {"", "\n", "   \n\t\n", "\r\n\r\n", "  "};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        scn_script *s = parse_ok(texts[i]);
        assert_int_equal(s->n_stmts, 0);
        assert_int_equal(s->n_files, 1);
        assert_string_equal(s->files[0], "t.scn");
        scn_script_free(s);
    }
}

static void a_file_of_comments_has_no_statements(void **state)
{
    (void)state;
    scn_script *s = parse_ok("# one\n   # indented\n\t# tab { [ \"\n#\n# last, no newline");
    assert_int_equal(s->n_stmts, 0);
    scn_script_free(s);
}

static void words_keep_their_punctuation(void **state)
{
    (void)state;
    scn_script *s = parse_ok("expect 10.0.0.4:80/tcp svc:web.default -> 1.5s C:\\x a}b x] -\n");
    assert_int_equal(s->n_stmts, 1);
    const scn_stmt *st = &s->stmts[0];
    assert_string_equal(st->verb, "expect");
    const char *want[] = {
        "10.0.0.4:80/tcp", "svc:web.default", "->", "1.5s", "C:\\x", "a}b", "x]", "-"};
    assert_int_equal(st->n_args, 8);
    assert_int_equal(scn_n_positional(st), 8);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(scn_positional(st, i)->value, want[i]);
        assert_null(st->args[i].key);
        assert_int_equal(st->args[i].quoted, 0);
    }
    assert_null(st->json);
    scn_script_free(s);
}

static void key_value_splits_at_the_first_equals(void **state)
{
    (void)state;
    scn_script *s = parse_ok("label sel=app=web,tier=db k==x ip=10.0.0.4:80/tcp pos\n");
    const scn_stmt *st = &s->stmts[0];
    assert_int_equal(st->n_args, 4);
    assert_arg(&st->args[0], "sel", "app=web,tier=db", 0, 1, 7);
    assert_arg(&st->args[1], "k", "=x", 0, 1, 27);
    assert_arg(&st->args[2], "ip", "10.0.0.4:80/tcp", 0, 1, 32);
    assert_arg(&st->args[3], NULL, "pos", 0, 1, 51);
    assert_int_equal(scn_n_positional(st), 1);
    assert_ptr_equal(scn_arg_named(st, "sel"), &st->args[0]);
    assert_ptr_equal(scn_arg_named(st, "ip"), &st->args[2]);
    assert_null(scn_arg_named(st, "pos"));
    assert_null(scn_arg_named(st, "app"));
    scn_script_free(s);
}

static void key_value_takes_a_quoted_value(void **state)
{
    (void)state;
    scn_script *s = parse_ok("pod name=\"web 1\" empty=\"\" note=\"a=b # c\"\n");
    const scn_stmt *st = &s->stmts[0];
    assert_int_equal(st->n_args, 3);
    assert_arg(&st->args[0], "name", "web 1", 1, 1, 5);
    assert_arg(&st->args[1], "empty", "", 1, 1, 18);
    assert_arg(&st->args[2], "note", "a=b # c", 1, 1, 27);
    assert_int_equal(scn_n_positional(st), 0);
    assert_null(scn_positional(st, 0));
    scn_script_free(s);
}

static void the_first_named_argument_wins(void **state)
{
    (void)state;
    scn_script *s = parse_ok("v k=1 x k=2 y\n");
    const scn_stmt *st = &s->stmts[0];
    assert_string_equal(scn_arg_named(st, "k")->value, "1");
    assert_int_equal(scn_n_positional(st), 2);
    assert_string_equal(scn_positional(st, 0)->value, "x");
    assert_string_equal(scn_positional(st, 1)->value, "y");
    assert_null(scn_positional(st, 2));
    scn_script_free(s);
}

static void quoted_strings_resolve_escapes(void **state)
{
    (void)state;
    scn_script *s =
        parse_ok("echo \"a \\\"b\\\" \\\\ c\\nd\\te\" \"# not a comment\" \"\" \"{ [\"\n");
    const scn_stmt *st = &s->stmts[0];
    assert_int_equal(st->n_args, 4);
    assert_arg(&st->args[0], NULL, "a \"b\" \\ c\nd\te", 1, 1, 6);
    assert_arg(&st->args[1], NULL, "# not a comment", 1, 1, 27);
    assert_arg(&st->args[2], NULL, "", 1, 1, 45);
    assert_arg(&st->args[3], NULL, "{ [", 1, 1, 48);
    assert_null(st->json);
    assert_int_equal(scn_n_positional(st), 4);
    scn_script_free(s);
}

static void comments_end_lines_anywhere(void **state)
{
    (void)state;
    scn_script *s = parse_ok("# header\n"
                             "   # indented\n"
                             "verb a # trailing\n"
                             "verb2 b#glued\n"
                             "verb3 \"x # y\" # after a string\n"
                             "verb4 k=v#c\n");
    assert_int_equal(s->n_stmts, 4);
    assert_int_equal(s->stmts[0].n_args, 1);
    assert_string_equal(s->stmts[0].args[0].value, "a");
    assert_string_equal(s->stmts[1].args[0].value, "b");
    assert_int_equal(s->stmts[1].n_args, 1);
    assert_string_equal(s->stmts[2].args[0].value, "x # y");
    assert_string_equal(scn_arg_named(&s->stmts[3], "k")->value, "v");
    assert_pos(s->stmts[3].pos, "t.scn", 6, 1);
    scn_script_free(s);
}

static void indentation_and_trailing_blanks_are_ignored(void **state)
{
    (void)state;
    scn_script *s = parse_ok("\t  verb   a\t b  \t\n    next\t\n");
    assert_int_equal(s->n_stmts, 2);
    assert_pos(s->stmts[0].pos, "t.scn", 1, 4);
    assert_int_equal(s->stmts[0].n_args, 2);
    assert_arg(&s->stmts[0].args[1], NULL, "b", 0, 1, 14);
    assert_int_equal(s->stmts[1].n_args, 0);
    assert_pos(s->stmts[1].pos, "t.scn", 2, 5);
    scn_script_free(s);
}

/* ---------------------------------------------------------------------------
 * JSON values
 */

static void json_spans_lines_with_nested_brackets_and_strings(void **state)
{
    (void)state;
    const char *json = "{\n"
                       "  \"Name\": \"web\",\n"
                       "  \"Policies\": [ { \"Type\": \"ACL\", \"Text\": \"} ] { [\" } ],\n"
                       "  \"Esc\": \"a\\\"}b\\\\\"\n"
                       "}";
    char text[512];
    snprintf(text, sizeof text, "create network web %s\nnext\n", json);
    scn_script *s = parse_ok(text);
    assert_int_equal(s->n_stmts, 2);
    const scn_stmt *st = &s->stmts[0];
    assert_int_equal(st->n_args, 2);
    assert_string_equal(st->json, json);
    assert_pos(st->json_pos, "t.scn", 1, 20);
    assert_string_equal(s->stmts[1].verb, "next");
    assert_pos(s->stmts[1].pos, "t.scn", 6, 1);
    scn_script_free(s);
}

static void json_may_be_an_array(void **state)
{
    (void)state;
    scn_script *s = parse_ok("routes [ {\"p\": \"10.0.0.0/8\"}, [1, [2]] ]  # done\n");
    assert_string_equal(s->stmts[0].json, "[ {\"p\": \"10.0.0.0/8\"}, [1, [2]] ]");
    assert_int_equal(s->stmts[0].n_args, 0);
    assert_pos(s->stmts[0].json_pos, "t.scn", 1, 8);
    scn_script_free(s);
}

static void json_comments_are_cut_and_hashes_in_strings_stay(void **state)
{
    (void)state;
    scn_script *s = parse_ok("set {   # opening\n"
                             "  \"a\": 1, # the a\n"
                             "  \"b\": \"#keep {\"\n"
                             "} # after\n");
    const scn_stmt *st = &s->stmts[0];
    assert_string_equal(st->json, "{   \n  \"a\": 1, \n  \"b\": \"#keep {\"\n}");
    scn_script_free(s);
}

static void json_offsets_map_back_to_the_file(void **state)
{
    (void)state;
    scn_script *s = parse_ok("\n  set x {  # c\n    \"a\": 1,\n  \"b\": 2 }\n");
    const scn_stmt *st = &s->stmts[0];
    assert_pos(st->json_pos, "t.scn", 2, 9);
    assert_pos(scn_json_pos(st, 0), "t.scn", 2, 9);
    size_t a = (size_t)(strstr(st->json, "\"a\"") - st->json);
    size_t b = (size_t)(strstr(st->json, "\"b\"") - st->json);
    assert_pos(scn_json_pos(st, a), "t.scn", 3, 5);
    assert_pos(scn_json_pos(st, b), "t.scn", 4, 3);
    assert_pos(scn_json_pos(st, 100000), "t.scn", 4, 11); /* clamped: after the '}' */
    scn_script_free(s);
}

static void a_statement_without_json_has_no_json_position(void **state)
{
    (void)state;
    scn_script *s = parse_ok("v a\n");
    assert_null(s->stmts[0].json);
    assert_null(s->stmts[0].json_pos.file);
    assert_int_equal(s->stmts[0].json_pos.line, 0);
    assert_null(scn_json_pos(&s->stmts[0], 0).file);
    scn_script_free(s);
}

/* ---------------------------------------------------------------------------
 * Continuation lines, line endings
 */

static void continuation_lines_join_arguments(void **state)
{
    (void)state;
    scn_script *s = parse_ok("walk from=pod-a \\\n"
                             "     to=10.0.0.4:80/tcp \\   # a note\n"
                             "     expect=delivered\n"
                             "next a\\\n"
                             "b\n");
    assert_int_equal(s->n_stmts, 2);
    const scn_stmt *st = &s->stmts[0];
    assert_int_equal(st->n_args, 3);
    assert_arg(&st->args[0], "from", "pod-a", 0, 1, 6);
    assert_arg(&st->args[1], "to", "10.0.0.4:80/tcp", 0, 2, 6);
    assert_arg(&st->args[2], "expect", "delivered", 0, 3, 6);
    assert_pos(s->stmts[1].pos, "t.scn", 4, 1);
    assert_int_equal(s->stmts[1].n_args, 2);
    assert_arg(&s->stmts[1].args[0], NULL, "a", 0, 4, 6);
    assert_arg(&s->stmts[1].args[1], NULL, "b", 0, 5, 1);
    scn_script_free(s);
}

static void a_double_backslash_does_not_continue(void **state)
{
    (void)state;
    scn_script *s = parse_ok("path C:\\\\\nother\n");
    assert_int_equal(s->n_stmts, 2);
    assert_string_equal(s->stmts[0].args[0].value, "C:\\\\");
    assert_string_equal(s->stmts[1].verb, "other");
    scn_script_free(s);
}

static void a_blank_or_comment_line_ends_a_continued_statement(void **state)
{
    (void)state;
    scn_script *s = parse_ok("v a \\\n\nw \\\n# c\nx\n");
    assert_int_equal(s->n_stmts, 3);
    assert_int_equal(s->stmts[0].n_args, 1);
    assert_int_equal(s->stmts[1].n_args, 0);
    assert_string_equal(s->stmts[2].verb, "x");
    scn_script_free(s);
}

static void json_may_start_on_a_continuation_line(void **state)
{
    (void)state;
    scn_script *s = parse_ok("apply a \\\n  {\"x\": 1}\n");
    assert_int_equal(s->stmts[0].n_args, 1);
    assert_string_equal(s->stmts[0].json, "{\"x\": 1}");
    assert_pos(s->stmts[0].json_pos, "t.scn", 2, 3);
    scn_script_free(s);
}

static void crlf_line_endings_are_accepted(void **state)
{
    (void)state;
    scn_script *s = parse_ok("a x=1 \"s\"\r\nb {\r\n  \"k\": 2 # c\r\n}\r\n\r\nc \\\r\n  d\r\n");
    assert_int_equal(s->n_stmts, 3);
    assert_arg(&s->stmts[0].args[0], "x", "1", 0, 1, 3);
    assert_arg(&s->stmts[0].args[1], NULL, "s", 1, 1, 7);
    assert_string_equal(s->stmts[1].json, "{\n  \"k\": 2 \n}");
    assert_pos(s->stmts[2].pos, "t.scn", 6, 1);
    assert_arg(&s->stmts[2].args[0], NULL, "d", 0, 7, 3);
    scn_script_free(s);
}

static void a_byte_order_mark_is_skipped(void **state)
{
    (void)state;
    scn_script *s = parse_ok("\xEF\xBB\xBFverb a\n");
    assert_string_equal(s->stmts[0].verb, "verb");
    assert_pos(s->stmts[0].pos, "t.scn", 1, 1);
    assert_arg(&s->stmts[0].args[0], NULL, "a", 0, 1, 6);
    scn_script_free(s);
}

/* ---------------------------------------------------------------------------
 * Positions
 */

static void every_verb_argument_and_json_has_its_position(void **state)
{
    (void)state;
    scn_script *s = parse_ok("\tverb  alpha k=v \"q\"  {\"j\": [1]}\n  second x\n");
    const scn_stmt *st = &s->stmts[0];
    assert_pos(st->pos, "t.scn", 1, 2);
    assert_arg(&st->args[0], NULL, "alpha", 0, 1, 8);
    assert_arg(&st->args[1], "k", "v", 0, 1, 14);
    assert_arg(&st->args[2], NULL, "q", 1, 1, 18);
    assert_pos(st->json_pos, "t.scn", 1, 23);
    assert_pos(s->stmts[1].pos, "t.scn", 2, 3);
    assert_arg(&s->stmts[1].args[0], NULL, "x", 0, 2, 10);
    assert_ptr_equal(st->pos.file, s->files[0]);
    scn_script_free(s);
}

static void positions_name_the_text(void **state)
{
    (void)state;
    scn_script *s = NULL;
    assert_int_equal(scn_parse_text(NULL, "v\n", NULL, &s, NULL), 0);
    assert_pos(s->stmts[0].pos, "<text>", 1, 1);
    scn_script_free(s);
    assert_int_equal(scn_parse_text("cluster.scn", "\n\n  v\n", NULL, &s, NULL), 0);
    assert_pos(s->stmts[0].pos, "cluster.scn", 3, 3);
    scn_script_free(s);
}

static void a_2000_line_script_parses(void **state)
{
    (void)state;
    size_t cap = 2000 * 80, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 1; i <= 2000; i++) {
        if (i % 100 == 0)
            len += (size_t)snprintf(text + len, cap - len, "# comment %d\n", i);
        else
            len += (size_t)snprintf(text + len, cap - len,
                                    "stmt%d a=%d \"s %d\" {\"i\": %d, \"s\": \"}\"}\n", i, i, i, i);
    }
    scn_script *s = parse_ok(text);
    assert_int_equal(s->n_stmts, 1980);
    const scn_stmt *last = &s->stmts[1979];
    assert_string_equal(last->verb, "stmt1999");
    assert_pos(last->pos, "t.scn", 1999, 1);
    assert_string_equal(scn_arg_named(last, "a")->value, "1999");
    assert_string_equal(scn_positional(last, 0)->value, "s 1999");
    assert_string_equal(last->json, "{\"i\": 1999, \"s\": \"}\"}");
    scn_script_free(s);
    free(text);
}

/* ---------------------------------------------------------------------------
 * Errors in one file
 */

static void string_errors(void **state)
{
    (void)state;
    assert_text_error("v \"abc\n", "t.scn:1:3: unterminated string");
    assert_text_error("ok\nv x \"abc", "t.scn:2:5: unterminated string");
    assert_text_error("v \"abc\\\"\n", "t.scn:1:3: unterminated string");
    assert_text_error("v \"abc\\\n\"\n", "t.scn:1:3: unterminated string");
    assert_text_error("v \"a\\qb\"\n", "t.scn:1:5: unknown escape '\\q' in string");
    assert_text_error("v \"a\\ b\"\n",
                      "t.scn:1:5: unknown escape: '\\' followed by byte 0x20 in string");
}

static void key_value_errors(void **state)
{
    (void)state;
    assert_text_error("v =x\n", "t.scn:1:3: '=' with no key");
    assert_text_error("  =x\n", "t.scn:1:3: '=' with no key");
    assert_text_error("v a =\n", "t.scn:1:5: '=' with no key");
    assert_text_error("v k=\n", "t.scn:1:4: '=' with no value");
    assert_text_error("v k= y\n", "t.scn:1:4: '=' with no value");
    assert_text_error("v k=#c\n", "t.scn:1:4: '=' with no value");
    assert_text_error("v k=\\\n y\n", "t.scn:1:4: '=' with no value");
    assert_text_error("v \"k\"=x\n", "t.scn:1:6: '=' after a quoted string: a key must be a word");
    assert_text_error("v k={\"x\":1}\n",
                      "t.scn:1:5: a value cannot start with '{': JSON goes last, after a blank");
    assert_text_error("v k=[1]\n",
                      "t.scn:1:5: a value cannot start with '[': JSON goes last, after a blank");
}

static void arguments_need_blanks_between_them(void **state)
{
    (void)state;
    assert_text_error("v a\"b\"\n", "t.scn:1:4: expected a blank before '\"'");
    assert_text_error("v \"a\"b\n", "t.scn:1:6: expected a blank before 'b'");
    assert_text_error("v \"a\"\"b\"\n", "t.scn:1:6: expected a blank before '\"'");
    assert_text_error("v k=\"x\"y\n", "t.scn:1:8: expected a blank before 'y'");
    assert_text_error("v k=x\"y\"\n", "t.scn:1:6: expected a blank before '\"'");
    assert_text_error("v a{\"x\":1}\n", "t.scn:1:4: expected a blank before '{'");
    assert_text_error("v{}\n", "t.scn:1:2: expected a blank before '{'");
    assert_text_error("v k=x[1]\n", "t.scn:1:6: expected a blank before '['");
}

static void a_statement_starts_with_a_verb(void **state)
{
    (void)state;
    assert_text_error("\"v\" a\n", "t.scn:1:1: expected a verb, found a quoted string");
    assert_text_error("  {\"a\":1}\n", "t.scn:1:3: expected a verb before the JSON value");
    assert_text_error("[1]\n", "t.scn:1:1: expected a verb before the JSON value");
    assert_text_error("k=v a\n", "t.scn:1:1: expected a verb, found 'k='");
    assert_text_error("=v\n", "t.scn:1:1: '=' with no key");
}

static void json_errors(void **state)
{
    (void)state;
    assert_text_error("v {\"a\":1} x\n",
                      "t.scn:1:11: text after JSON: only a comment may follow the JSON value on "
                      "its line");
    assert_text_error("v {\"a\":1}}\n",
                      "t.scn:1:10: text after JSON: only a comment may follow the JSON value on "
                      "its line");
    assert_text_error("v {\"a\":1} \\\n x\n",
                      "t.scn:1:11: text after JSON: only a comment may follow the JSON value on "
                      "its line");
    assert_text_error("v [1] {}\n",
                      "t.scn:1:7: text after JSON: only a comment may follow the JSON value on "
                      "its line");
    assert_text_error("v {\"a\": [1}\n",
                      "t.scn:1:11: unbalanced JSON: ']' expected, found '}' (opened at 1:9)");
    assert_text_error("v [{]\n",
                      "t.scn:1:5: unbalanced JSON: '}' expected, found ']' (opened at 1:4)");
    assert_text_error("v {\"a\": \"x\n}\n", "t.scn:1:9: unterminated string in JSON");
    assert_text_error("v {\"a\": \"x\\\n\"}\n", "t.scn:1:9: unterminated string in JSON");
}

static void unbalanced_json_is_reported_at_the_end_of_the_file(void **state)
{
    (void)state;
    const char *want = "x.scn:5:20: unbalanced JSON: '}' expected before end of file (opened at "
                       "5:14)";
    const char *texts[] = {"a\nb\nc\nd\nnetwork web1 {\"a\":1",
                           "a\nb\nc\nd\nnetwork web1 {\"a\":1\n",
                           "a\nb\nc\nd\nnetwork web1 {\"a\":1\r\n"};
    for (size_t i = 0; i < 3; i++) {
        scn_script *s = (scn_script *)1;
        scn_error e;
        char buf[512];
        assert_int_equal(scn_parse_text("x.scn", texts[i], NULL, &s, &e), -1);
        assert_null(s);
        scn_format_error(&e, buf, sizeof buf);
        assert_string_equal(buf, want);
        assert_string_equal(e.file, "x.scn");
        assert_int_equal(e.line, 5);
        assert_int_equal(e.col, 20);
    }
    assert_text_error(
        "v {\"a\": [1,\n2\n",
        "t.scn:2:2: unbalanced JSON: ']' expected before end of file (opened at 1:9)");
    assert_text_error(
        "v {\"a\": \"}\"\n\n",
        "t.scn:2:1: unbalanced JSON: '}' expected before end of file (opened at 1:3)");
    assert_text_error(
        "v { # }\n", "t.scn:1:8: unbalanced JSON: '}' expected before end of file (opened at 1:3)");
}

static void a_continuation_needs_a_next_line(void **state)
{
    (void)state;
    assert_text_error("v a \\\n", "t.scn:1:5: line continuation at end of file");
    assert_text_error("v a \\", "t.scn:1:5: line continuation at end of file");
    assert_text_error("v a\\  # c", "t.scn:1:4: line continuation at end of file");
}

static void the_first_error_stops_parsing(void **state)
{
    (void)state;
    assert_text_error("ok 1\nv \"x\nv =y\n", "t.scn:2:3: unterminated string");
    scn_script *s = (scn_script *)1;
    assert_int_equal(scn_parse_text("t.scn", "=x\n", NULL, &s, NULL), -1);
    assert_null(s);
}

static void long_lines_are_rejected(void **state)
{
    (void)state;
    size_t n = SCN_MAX_LINE;
    char *text = malloc(2 * n + 16);
    assert_non_null(text);
    memset(text, 'a', n);
    memcpy(text + n, "\r\n", 3);
    scn_script *s = parse_ok(text);
    assert_int_equal(strlen(s->stmts[0].verb), n);
    scn_script_free(s);
    memcpy(text + n, "\n", 1);
    memset(text + n + 1, 'b', n + 1);
    text[2 * n + 2] = '\0';
    assert_text_error(text, "t.scn:2:65537: line longer than 65536 bytes");
    free(text);
}

static void error_text_is_formatted_and_truncated(void **state)
{
    (void)state;
    scn_error e = {.file = "cluster.scn", .line = 12, .col = 7, .message = "unterminated string"};
    char out[64];
    assert_int_equal(scn_format_error(&e, out, sizeof out), 37);
    assert_string_equal(out, "cluster.scn:12:7: unterminated string");
    assert_int_equal(scn_format_error(&e, out, 8), 37);
    assert_string_equal(out, "cluster");
    scn_error whole = {.file = "x.scn", .message = "cannot open"};
    scn_format_error(&whole, out, sizeof out);
    assert_string_equal(out, "x.scn: cannot open");
}

/* ---------------------------------------------------------------------------
 * Files and includes
 */

static void a_nul_byte_is_an_error(void **state)
{
    tmp_tree *t = *state;
    tree_write_bytes(t, "nul.scn", "ok\nabc\0def\n", 11);
    assert_file_error("nul.scn", "nul.scn:2:4: NUL byte in text");
    tree_write(t, "top.scn", "first\ninclude nul.scn\n");
    assert_file_error("top.scn", "nul.scn:2:4: NUL byte in text");
}

static void a_missing_top_file_is_an_error_without_position(void **state)
{
    (void)state;
    scn_script *s = (scn_script *)1;
    scn_error e;
    assert_int_equal(scn_parse_file("/nonexistent-dir/x.scn", &s, &e), -1);
    assert_null(s);
    assert_int_equal(e.line, 0);
    assert_string_equal(e.file, "/nonexistent-dir/x.scn");
    assert_file_error("/nonexistent-dir/x.scn", "/nonexistent-dir/x.scn: cannot open "
                                                "'/nonexistent-dir/x.scn': No such file or "
                                                "directory");
}

static void includes_nest_relative_to_the_including_file(void **state)
{
    tmp_tree *t = *state;
    tree_write(t, "top.scn", "first\ninclude sub/b.scn\nlast x\n");
    tree_write(t, "sub/b.scn", "b1\ninclude \"c.scn\"\n  include ../d.scn # comment\nb2\n");
    tree_write(t, "sub/c.scn", "c1 x\n");
    tree_write(t, "d.scn", "\nd1 {\"d\": 1}\n");
    scn_script *s = parse_file_ok("top.scn");
    const char *verbs[] = {"first", "b1", "c1", "d1", "b2", "last"};
    const char *files[] = {"top.scn",      "sub/b.scn", "sub/c.scn",
                           "sub/../d.scn", "sub/b.scn", "top.scn"};
    const int lines[] = {1, 1, 1, 2, 4, 3};
    assert_int_equal(s->n_stmts, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(s->stmts[i].verb, verbs[i]);
        assert_pos(s->stmts[i].pos, files[i], lines[i], 1);
    }
    assert_pos(s->stmts[3].json_pos, "sub/../d.scn", 2, 4);
    assert_arg(&s->stmts[5].args[0], NULL, "x", 0, 3, 6);
    assert_int_equal(s->n_files, 4);
    assert_ptr_equal(s->stmts[1].pos.file, s->stmts[4].pos.file);
    scn_script_free(s);
}

static void text_includes_resolve_against_the_given_dir(void **state)
{
    tmp_tree *t = *state;
    tree_write(t, "sub/c.scn", "c1\n");
    tree_write(t, "my dir/e.scn", "e1\n");
    char text[1200], want_c[600], want_e[600];
    snprintf(text, sizeof text,
             "include sub/c.scn\ninclude \"my dir/e.scn\"\ninclude %s/sub/c.scn\n", t->root);
    snprintf(want_c, sizeof want_c, "%s/sub/c.scn", t->root);
    snprintf(want_e, sizeof want_e, "%s/my dir/e.scn", t->root);
    scn_script *s = NULL;
    scn_error e;
    assert_int_equal(scn_parse_text("inline", text, t->root, &s, &e), 0);
    assert_int_equal(s->n_stmts, 3);
    assert_pos(s->stmts[0].pos, want_c, 1, 1);
    assert_pos(s->stmts[1].pos, want_e, 1, 1);
    assert_pos(s->stmts[2].pos, want_c, 1, 1); /* absolute path, as written */
    scn_script_free(s);
}

static void a_file_may_be_included_twice(void **state)
{
    tmp_tree *t = *state;
    tree_write(t, "top.scn", "include x.scn\ninclude x.scn\n");
    tree_write(t, "x.scn", "x\n");
    scn_script *s = parse_file_ok("top.scn");
    assert_int_equal(s->n_stmts, 2);
    assert_int_equal(s->n_files, 2);
    assert_ptr_equal(s->stmts[0].pos.file, s->stmts[1].pos.file);
    scn_script_free(s);
}

static void an_include_cycle_names_the_chain(void **state)
{
    tmp_tree *t = *state;
    tree_write(t, "a.scn", "one\ntwo\ninclude b.scn\n");
    tree_write(t, "b.scn", "b\n  include a.scn\n");
    tree_write(t, "top.scn", "include a.scn\n");
    tree_write(t, "self.scn", "include self.scn\n");
    tree_write(t, "sub/x.scn", "include ../sub/x.scn\n");
    assert_file_error("a.scn", "a.scn:3:1: include cycle: a.scn -> b.scn -> a.scn");
    assert_file_error("top.scn", "a.scn:3:1: include cycle: a.scn -> b.scn -> a.scn");
    assert_file_error("self.scn", "self.scn:1:1: include cycle: self.scn -> self.scn");
    assert_file_error("sub/x.scn", "sub/x.scn:1:1: include cycle: sub/x.scn -> sub/../sub/x.scn");
}

static void a_missing_include_names_the_including_file(void **state)
{
    tmp_tree *t = *state;
    tree_write(t, "top.scn", "a\ninclude   nope.scn\n");
    tree_write(t, "sub/b.scn", "include \"gone.scn\"\n");
    tree_write(t, "dir.scn", "include sub\n");
    assert_file_error("top.scn", "top.scn:2:11: cannot open 'nope.scn': No such file or directory");
    assert_file_error("sub/b.scn",
                      "sub/b.scn:1:9: cannot open 'sub/gone.scn': No such file or directory");
    assert_file_error("dir.scn", "dir.scn:1:9: cannot open 'sub': Is a directory");
}

static void errors_in_included_files_name_them(void **state)
{
    tmp_tree *t = *state;
    tree_write(t, "top.scn", "ok\ninclude sub/b.scn\n");
    tree_write(t, "sub/b.scn", "fine\n  v k=\n");
    assert_file_error("top.scn", "sub/b.scn:2:6: '=' with no value");
}

/* Writes <prefix>0.scn ... <prefix><last>.scn, each including the next;
 * the last one holds a plain statement. */
static void write_include_chain(tmp_tree *t, const char *prefix, int last)
{
    for (int i = 0; i <= last; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "%s%d.scn", prefix, i);
        if (i < last)
            snprintf(text, sizeof text, "include %s%d.scn\n", prefix, i + 1);
        else
            snprintf(text, sizeof text, "leaf\n");
        tree_write(t, name, text);
    }
}

static void includes_nest_at_most_16_deep(void **state)
{
    tmp_tree *t = *state;
    write_include_chain(t, "ok", SCN_MAX_INCLUDE_DEPTH);
    scn_script *s = parse_file_ok("ok0.scn");
    assert_int_equal(s->n_stmts, 1);
    assert_pos(s->stmts[0].pos, "ok16.scn", 1, 1);
    assert_int_equal(s->n_files, 17);
    scn_script_free(s);

    write_include_chain(t, "deep", SCN_MAX_INCLUDE_DEPTH + 1);
    assert_file_error("deep0.scn", "deep16.scn:1:1: includes nested more than 16 deep");
}

static void include_takes_exactly_one_path(void **state)
{
    (void)state;
    const char *want = "t.scn:1:1: include expects one file path (a word or a quoted string)";
    assert_text_error("include\n", want);
    assert_text_error("include a b\n", want);
    assert_text_error("include k=v\n", want);
    assert_text_error("include a {}\n", want);
    assert_text_error("include \"\"\n", "t.scn:1:9: include: empty path");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_text_has_no_statements),
        cmocka_unit_test(a_file_of_comments_has_no_statements),
        cmocka_unit_test(words_keep_their_punctuation),
        cmocka_unit_test(key_value_splits_at_the_first_equals),
        cmocka_unit_test(key_value_takes_a_quoted_value),
        cmocka_unit_test(the_first_named_argument_wins),
        cmocka_unit_test(quoted_strings_resolve_escapes),
        cmocka_unit_test(comments_end_lines_anywhere),
        cmocka_unit_test(indentation_and_trailing_blanks_are_ignored),
        cmocka_unit_test(json_spans_lines_with_nested_brackets_and_strings),
        cmocka_unit_test(json_may_be_an_array),
        cmocka_unit_test(json_comments_are_cut_and_hashes_in_strings_stay),
        cmocka_unit_test(json_offsets_map_back_to_the_file),
        cmocka_unit_test(a_statement_without_json_has_no_json_position),
        cmocka_unit_test(continuation_lines_join_arguments),
        cmocka_unit_test(a_double_backslash_does_not_continue),
        cmocka_unit_test(a_blank_or_comment_line_ends_a_continued_statement),
        cmocka_unit_test(json_may_start_on_a_continuation_line),
        cmocka_unit_test(crlf_line_endings_are_accepted),
        cmocka_unit_test(a_byte_order_mark_is_skipped),
        cmocka_unit_test(every_verb_argument_and_json_has_its_position),
        cmocka_unit_test(positions_name_the_text),
        cmocka_unit_test(a_2000_line_script_parses),
        cmocka_unit_test(string_errors),
        cmocka_unit_test(key_value_errors),
        cmocka_unit_test(arguments_need_blanks_between_them),
        cmocka_unit_test(a_statement_starts_with_a_verb),
        cmocka_unit_test(json_errors),
        cmocka_unit_test(unbalanced_json_is_reported_at_the_end_of_the_file),
        cmocka_unit_test(a_continuation_needs_a_next_line),
        cmocka_unit_test(the_first_error_stops_parsing),
        cmocka_unit_test(long_lines_are_rejected),
        cmocka_unit_test(error_text_is_formatted_and_truncated),
        cmocka_unit_test_setup_teardown(a_nul_byte_is_an_error, tree_setup, tree_teardown),
        cmocka_unit_test(a_missing_top_file_is_an_error_without_position),
        cmocka_unit_test_setup_teardown(includes_nest_relative_to_the_including_file, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(text_includes_resolve_against_the_given_dir, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(a_file_may_be_included_twice, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(an_include_cycle_names_the_chain, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(a_missing_include_names_the_including_file, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(errors_in_included_files_name_them, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(includes_nest_at_most_16_deep, tree_setup, tree_teardown),
        cmocka_unit_test(include_takes_exactly_one_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
