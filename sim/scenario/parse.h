/*
 * parse.h - the generic parser of the scenario language (*.scn files): text
 * in, a list of statements out, each with the exact file, line and column of
 * its verb, of every argument and of its JSON value. The parser knows no
 * verbs except include; the runner interprets statements and uses the
 * positions in its own error messages.
 *
 * The grammar, as implemented:
 *
 *   script    = { line }                 lines end in "\n" or "\r\n"
 *   statement = verb { blanks argument } [ blanks json ] [ blanks ] [ comment ]
 *   argument  = word | key "=" value | quoted
 *   verb, key = word
 *   value     = value-word | quoted
 *   word      = one or more bytes other than blank, '#', '"', '=', '{', '['
 *               and the line end; a value-word may also contain '='
 *   quoted    = '"' ... '"' on one line, with the escapes \" \\ \n \t
 *   json      = '{' ... '}' or '[' ... ']', possibly over several lines
 *   comment   = '#' to the end of the line
 *   blank     = ' ', '\t' or '\r'
 *
 *  - Blank lines, comment lines, indentation and trailing blanks are
 *    ignored. '#' starts a comment anywhere outside a quoted string and
 *    outside a JSON string, so "a#b" is the word a and a comment.
 *  - Arguments are separated by blanks: "a"b, k="v"x and word{ are errors
 *    ("expected a blank before ..."). 10.0.0.4:80/tcp, svc:web.default, ->,
 *    1.5s and C:\x are words.
 *  - In key=value the first '=' splits: sel=app=web,tier=db has key sel and
 *    value app=web,tier=db. The value is a value-word or a quoted string
 *    (k="" is the empty value); a bare k= is an error, as is =v. The key is
 *    a word, so its value starts at pos.col + strlen(key) + 1.
 *  - The JSON value starts at a '{' or '[' after a blank and runs to its
 *    matching bracket; brackets inside JSON strings (with their \ escapes)
 *    do not count, and a JSON string may not cross a line end. Nothing but
 *    blanks and a comment may follow it on its last line. The parser checks
 *    only that the brackets balance; the runner parses the JSON. scn_stmt.json
 *    is the source text from the opening to the closing bracket, except that
 *    comments are cut out and "\r\n" becomes "\n": lines and the columns
 *    before a comment are unchanged, so scn_json_pos() maps an offset in it
 *    (a cJSON error, say) back to the file.
 *  - A line whose last byte, ignoring trailing blanks and a comment, is a
 *    backslash continues on the next line; the backslash and the line end
 *    count as a blank, so "a\" + "b" is two arguments. A backslash right
 *    after another backslash never continues a line ("C:\\" is a word), and
 *    a continuation on the last line of a file is an error. A blank or
 *    comment line after a continuation ends the statement.
 *  - include PATH (a word or a quoted string, nothing else) is done by the
 *    parser: the statements of PATH take the include's place. A relative
 *    PATH is joined to the directory of the including file (or to the dir
 *    given to scn_parse_text), and that joined name is what positions show,
 *    so names stay relative when the top file was named relatively.
 *    Includes nest at most SCN_MAX_INCLUDE_DEPTH deep; a file that includes
 *    itself, directly or not, is an error at the include that started the
 *    cycle ("a.scn:3:1: include cycle: a.scn -> b.scn -> a.scn"). The same
 *    file may be included more than once when it is not a cycle.
 *  - A whole file is checked before it is parsed: a NUL byte or a line
 *    longer than SCN_MAX_LINE bytes anywhere in it is reported first. A
 *    UTF-8 byte order mark at the start of a file is skipped.
 *
 * Positions are 1-based; columns count bytes. The first error stops parsing
 * and is reported as file:line:col: message; an error at the end of a file
 * (an unclosed JSON value) points just after the last byte of its last line.
 */
#ifndef HNSIM_SCENARIO_PARSE_H
#define HNSIM_SCENARIO_PARSE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest line, in bytes without its line end, and the deepest include. */
#define SCN_MAX_LINE 65536
#define SCN_MAX_INCLUDE_DEPTH 16

/* A place in a script. */
typedef struct scn_pos {
    const char *file; /* points into the script's file table (scn_script.files) */
    int line;         /* 1-based */
    int col;          /* 1-based, in bytes */
} scn_pos;

/* One argument of a statement. */
typedef struct scn_arg {
    char *key;   /* the key of key=value; NULL for a positional word or string */
    char *value; /* the word, or the string with its escapes resolved */
    int quoted;  /* 1 when value was written as a quoted string (also k="v") */
    scn_pos pos; /* the first byte: the key, the word or the opening quote */
} scn_arg;

/* One statement: verb, arguments, and an optional JSON value. */
typedef struct scn_stmt {
    char *verb;    /* never NULL */
    scn_pos pos;   /* of the verb; pos.file is the file it came from */
    scn_arg *args; /* in the order written */
    size_t n_args;
    char *json;       /* NULL when none; the text, brackets included (see above) */
    scn_pos json_pos; /* of the opening bracket; all zero when json is NULL */
} scn_stmt;

/* A parsed script: statements with includes expanded, and the names of the
 * files they came from (each name once). The script owns everything. */
typedef struct scn_script {
    scn_stmt *stmts;
    size_t n_stmts;
    char **files;
    size_t n_files;
} scn_script;

/* Why parsing failed. line and col are 0 when the error is about a whole
 * file (the top file cannot be read). */
typedef struct scn_error {
    char file[512];
    int line;
    int col;
    char message[256];
} scn_error;

/* Parses the file at path and the files it includes. Returns 0 with *out
 * set (free it with scn_script_free), or -1 with *out NULL and *err filled
 * (err may be NULL). */
int scn_parse_file(const char *path, scn_script **out, scn_error *err);

/* Parses text (a C string) as if it were the file name (NULL = "<text>");
 * relative includes are resolved against dir (NULL or "" = the current
 * directory). Returns as scn_parse_file. */
int scn_parse_text(const char *name, const char *text, const char *dir, scn_script **out,
                   scn_error *err);

/* Frees the script and everything in it. Accepts NULL. */
void scn_script_free(scn_script *s);

/* The first key=value argument with this key, or NULL. */
const scn_arg *scn_arg_named(const scn_stmt *s, const char *key);

/* The i-th (0-based) positional argument (a word or a quoted string, not a
 * key=value), or NULL. */
const scn_arg *scn_positional(const scn_stmt *s, size_t i);

/* How many positional arguments the statement has. */
size_t scn_n_positional(const scn_stmt *s);

/* The position in the file of byte offset in s->json (clamped to its
 * length); all zero when the statement has no JSON. */
scn_pos scn_json_pos(const scn_stmt *s, size_t offset);

/* Writes "file:line:col: message" (or "file: message" when line is 0) to
 * out, truncated to size. Returns what snprintf returns. */
int scn_format_error(const scn_error *e, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif
