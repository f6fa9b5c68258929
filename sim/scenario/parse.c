/*
 * parse.c - the scenario language parser (parse.h has the grammar): reads
 * a file or a string, checks it as a whole (NUL bytes, line lengths), then
 * walks it with a cursor that knows its line and column, building one
 * scn_stmt per statement and expanding include statements in place.
 *
 * Everything the script keeps is malloc'd and owned by it; a statement is
 * built aside and appended only when complete, so a failure frees exactly
 * what was built. Included files are read whole, parsed, and freed before
 * the parser returns to the including file; only their names stay, in the
 * script's file table.
 */
#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------------------
 * Sources, cursors and the parser state
 */

/* A file (or string) being parsed. text is NUL-terminated and, once
 * check_text has passed, holds no other NUL, so text[off] == '\0' means
 * the end. */
typedef struct scn_source {
    const char *name; /* in the script's file table */
    char *dir;        /* includes are relative to it; "" = current directory */
    const char *text;
    char *owned_text; /* text when it was read from a file, else NULL */
    size_t len;
    size_t start;      /* 3 when the text opens with a UTF-8 byte order mark */
    bool has_identity; /* a file: dev and ino say which */
    dev_t dev;
    ino_t ino;
    scn_pos include_pos; /* the include statement being expanded, if any */
} scn_source;

/* A read position: offset and the line and column it is at. */
typedef struct scn_cursor {
    const scn_source *src;
    size_t off;
    int line;
    int col;
} scn_cursor;

typedef struct scn_parser {
    scn_script *script;
    scn_error *err;
    scn_source *chain[SCN_MAX_INCLUDE_DEPTH + 1]; /* chain[0] is the top file */
    int depth;                                    /* of the source being parsed */
} scn_parser;

/* Makes room for element n of *array, which holds n elements now. Capacity
 * doubles at powers of two, so n alone says when to grow. */
static bool grow(void **array, size_t n, size_t elem)
{
    if (n && (n & (n - 1)))
        return true;
    void *p = realloc(*array, (n ? 2 * n : 4) * elem);
    if (!p)
        return false;
    *array = p;
    return true;
}

/* Fills the error (when there is one) and returns -1, for `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static int fail(scn_parser *p, scn_pos at, const char *fmt,
                                                      ...)
{
    if (!p->err)
        return -1;
    snprintf(p->err->file, sizeof p->err->file, "%s", at.file ? at.file : "");
    p->err->line = at.line;
    p->err->col = at.col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_out_of_memory(scn_parser *p, scn_pos at) { return fail(p, at, "out of memory"); }

static scn_pos pos_of(const scn_cursor *c) { return (scn_pos){c->src->name, c->line, c->col}; }

static unsigned char peek(const scn_cursor *c) { return (unsigned char)c->src->text[c->off]; }

/* Moves one byte on; at the end of the text it stays put. */
static void advance(scn_cursor *c)
{
    unsigned char ch = peek(c);
    if (!ch)
        return;
    c->off++;
    if (ch == '\n') {
        c->line++;
        c->col = 1;
    } else {
        c->col++;
    }
}

/* ---------------------------------------------------------------------------
 * Character classes
 */

static bool is_blank(unsigned char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

static bool is_line_end(unsigned char ch) { return ch == '\n' || ch == '\0'; }

/* A byte of a word: anything but a blank, the line end and # " = { [. */
static bool is_word_byte(unsigned char ch)
{
    return !is_blank(ch) && !is_line_end(ch) && !strchr("#\"={[", ch);
}

static bool is_json_open(unsigned char ch) { return ch == '{' || ch == '['; }

/* "'x'" for a printable byte, "byte 0xNN" for any other. */
static const char *describe_byte(unsigned char ch, char out[16])
{
    if (ch > ' ' && ch < 0x7f)
        snprintf(out, 16, "'%c'", ch);
    else
        snprintf(out, 16, "byte 0x%02x", ch);
    return out;
}

/* ---------------------------------------------------------------------------
 * Blanks, comments and continuation lines
 */

static void skip_blanks(scn_cursor *c)
{
    while (is_blank(peek(c)))
        advance(c);
}

/* At a '#', moves to the end of its line. */
static void skip_comment(scn_cursor *c)
{
    if (peek(c) != '#')
        return;
    while (!is_line_end(peek(c)))
        advance(c);
}

/* True when the cursor is on a backslash that continues the line: not right
 * after another backslash, and followed by nothing but blanks and a
 * comment. */
static bool at_continuation(const scn_cursor *c)
{
    const scn_source *s = c->src;
    if (s->text[c->off] != '\\' || (c->off > s->start && s->text[c->off - 1] == '\\'))
        return false;
    size_t i = c->off + 1;
    while (is_blank((unsigned char)s->text[i]))
        i++;
    return s->text[i] == '#' || is_line_end((unsigned char)s->text[i]);
}

/* Moves past a continuation backslash, its comment and the line end. A
 * continuation with no line after it is an error. */
static int skip_continuation(scn_parser *p, scn_cursor *c)
{
    scn_pos backslash = pos_of(c);
    advance(c);
    skip_blanks(c);
    skip_comment(c);
    advance(c); /* the '\n', if any */
    if (!peek(c))
        return fail(p, backslash, "line continuation at end of file");
    return 0;
}

/* Skips blanks and continuations. Returns 1 when it skipped something, 0
 * when not, -1 on error. */
static int skip_separators(scn_parser *p, scn_cursor *c)
{
    size_t from = c->off;
    for (;;) {
        if (is_blank(peek(c)))
            advance(c);
        else if (at_continuation(c)) {
            if (skip_continuation(p, c))
                return -1;
        } else
            return c->off != from;
    }
}

/* ---------------------------------------------------------------------------
 * Words and quoted strings
 */

/* Reads the word at the cursor into *out (malloc'd): word bytes (and '='
 * when allow_equals) up to a continuation backslash. The caller has checked
 * that the first byte is one. */
static int read_word(scn_parser *p, scn_cursor *c, bool allow_equals, char **out)
{
    scn_pos at = pos_of(c);
    size_t n = 0;
    scn_cursor end = *c;
    for (;;) {
        unsigned char ch = peek(&end);
        if (!(is_word_byte(ch) || (allow_equals && ch == '=')) || at_continuation(&end))
            break;
        advance(&end);
        n++;
    }
    *out = strndup(c->src->text + c->off, n);
    if (!*out)
        return fail_out_of_memory(p, at);
    *c = end;
    return 0;
}

/* The byte an escape \x stands for, or 0 when x is not an escape. */
static char unescape(unsigned char x)
{
    switch (x) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case 'n':
        return '\n';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

/* Fails on \x, x not an escape, at the backslash. */
static int unknown_escape(scn_parser *p, scn_pos backslash, unsigned char x)
{
    if (x > ' ' && x < 0x7f)
        return fail(p, backslash, "unknown escape '\\%c' in string", x);
    return fail(p, backslash, "unknown escape: '\\' followed by byte 0x%02x in string", x);
}

/* Reads the quoted string at the cursor (on its opening quote) into *out,
 * escapes resolved. The string must end on its line. */
static int read_quoted(scn_parser *p, scn_cursor *c, char **out)
{
    scn_pos open = pos_of(c);
    const char *text = c->src->text;
    /* The value is never longer than the source of the string. */
    size_t cap = strcspn(text + c->off + 1, "\n") + 1;
    char *value = malloc(cap);
    if (!value)
        return fail_out_of_memory(p, open);
    size_t n = 0;
    advance(c);
    for (;;) {
        unsigned char ch = peek(c);
        if (is_line_end(ch)) {
            free(value);
            return fail(p, open, "unterminated string");
        }
        advance(c);
        if (ch == '"')
            break;
        if (ch == '\\') {
            unsigned char x = peek(c);
            if (is_line_end(x))
                continue; /* reported as unterminated on the next turn */
            if (!unescape(x)) {
                free(value);
                return unknown_escape(p, (scn_pos){open.file, c->line, c->col - 1}, x);
            }
            ch = (unsigned char)unescape(x);
            advance(c);
        }
        value[n++] = (char)ch;
    }
    value[n] = '\0';
    *out = value;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Arguments
 */

static void free_arg(scn_arg *a)
{
    free(a->key);
    free(a->value);
}

/* Reads the value of key=value; the cursor is just after the '='. */
static int read_value(scn_parser *p, scn_cursor *c, scn_pos equals, scn_arg *arg)
{
    unsigned char ch = peek(c);
    if (ch == '"') {
        arg->quoted = 1;
        return read_quoted(p, c, &arg->value);
    }
    if (is_json_open(ch))
        return fail(p, pos_of(c), "a value cannot start with '%c': JSON goes last, after a blank",
                    ch);
    if ((is_word_byte(ch) || ch == '=') && !at_continuation(c))
        return read_word(p, c, true, &arg->value);
    return fail(p, equals, "'=' with no value");
}

/* Reads one argument (a word, key=value or a quoted string) into *arg. */
static int read_argument(scn_parser *p, scn_cursor *c, scn_arg *arg)
{
    arg->pos = pos_of(c);
    unsigned char ch = peek(c);
    if (ch == '=')
        return fail(p, arg->pos, "'=' with no key");
    if (ch == '"') {
        arg->quoted = 1;
        if (read_quoted(p, c, &arg->value))
            return -1;
        if (peek(c) == '=')
            return fail(p, pos_of(c), "'=' after a quoted string: a key must be a word");
        return 0;
    }
    char *word;
    if (read_word(p, c, false, &word))
        return -1;
    if (peek(c) != '=') {
        arg->value = word;
        return 0;
    }
    arg->key = word;
    scn_pos equals = pos_of(c);
    advance(c);
    return read_value(p, c, equals, arg);
}

/* ---------------------------------------------------------------------------
 * JSON values
 */

/* Where an error at the end of the text points: just after the last byte
 * of the last line, line end excluded. */
static scn_pos end_of_text(const scn_cursor *c)
{
    const scn_source *s = c->src;
    size_t end = s->len;
    int line = c->line;
    if (end > s->start && s->text[end - 1] == '\n') {
        end--;
        line--;
        if (end > s->start && s->text[end - 1] == '\r')
            end--;
    }
    size_t begin = end;
    while (begin > s->start && s->text[begin - 1] != '\n')
        begin--;
    return (scn_pos){s->name, line, (int)(end - begin) + 1};
}

/* A growing string; after a failed allocation it stays failed. */
typedef struct text_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} text_buf;

static void buf_putc(text_buf *b, char ch)
{
    if (b->failed)
        return;
    if (b->len + 1 >= b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        char *data = realloc(b->data, cap);
        if (!data) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    b->data[b->len++] = ch;
    b->data[b->len] = '\0';
}

/* An open bracket of a JSON value and the one that must close it. */
typedef struct json_open {
    char close;
    scn_pos pos;
} json_open;

/* The state of a JSON value being read: the open brackets (innermost
 * last), whether the scan is inside a string and where it opened, and the
 * text so far. */
typedef struct json_scan {
    json_open *open;
    size_t depth;
    bool in_string;
    scn_pos string_open;
    text_buf text;
} json_scan;

/* Handles one byte inside a JSON string: copies it and, after a backslash,
 * the byte it escapes. A line end is an unterminated string. */
static int json_string_byte(scn_parser *p, scn_cursor *c, json_scan *j)
{
    unsigned char ch = peek(c);
    if (ch == '\n')
        return fail(p, j->string_open, "unterminated string in JSON");
    buf_putc(&j->text, (char)ch);
    advance(c);
    if (ch == '"')
        j->in_string = false;
    else if (ch == '\\' && !is_line_end(peek(c))) {
        buf_putc(&j->text, (char)peek(c));
        advance(c);
    }
    return 0;
}

static int json_push(scn_parser *p, scn_cursor *c, json_scan *j)
{
    if (!grow((void **)&j->open, j->depth, sizeof *j->open))
        return fail_out_of_memory(p, pos_of(c));
    j->open[j->depth++] = (json_open){peek(c) == '{' ? '}' : ']', pos_of(c)};
    return 0;
}

/* Handles a closing bracket: it must match the innermost open one. */
static int json_pop(scn_parser *p, scn_cursor *c, json_scan *j)
{
    const json_open *top = &j->open[j->depth - 1];
    if (peek(c) != (unsigned char)top->close)
        return fail(p, pos_of(c), "unbalanced JSON: '%c' expected, found '%c' (opened at %d:%d)",
                    top->close, peek(c), top->pos.line, top->pos.col);
    j->depth--;
    return 0;
}

/* Handles one byte outside JSON strings: brackets, comments (cut out),
 * "\r\n" (becomes "\n"), the opening quote of a string. */
static int json_byte(scn_parser *p, scn_cursor *c, json_scan *j)
{
    unsigned char ch = peek(c);
    if (ch == '#') {
        skip_comment(c);
        return 0;
    }
    if (ch == '\r' && c->src->text[c->off + 1] == '\n') {
        advance(c);
        return 0;
    }
    if (ch == '"') {
        j->in_string = true;
        j->string_open = pos_of(c);
    } else if (is_json_open(ch) && json_push(p, c, j)) {
        return -1;
    } else if ((ch == '}' || ch == ']') && json_pop(p, c, j)) {
        return -1;
    }
    buf_putc(&j->text, (char)ch);
    advance(c);
    return 0;
}

/* The error for a JSON value still open at the end of the text. */
static int json_unclosed(scn_parser *p, const scn_cursor *c, const json_scan *j)
{
    const json_open *top = &j->open[j->depth - 1];
    return fail(p, end_of_text(c),
                "unbalanced JSON: '%c' expected before end of file (opened at %d:%d)", top->close,
                top->pos.line, top->pos.col);
}

/* Reads the JSON value at the cursor (on its opening bracket) to its
 * matching close into *out (malloc'd), comments cut out. */
static int read_json(scn_parser *p, scn_cursor *c, char **out)
{
    json_scan j = {0};
    int rc = 0;
    do {
        if (!peek(c))
            rc = json_unclosed(p, c, &j);
        else if (j.in_string)
            rc = json_string_byte(p, c, &j);
        else
            rc = json_byte(p, c, &j);
    } while (!rc && j.depth > 0);
    free(j.open);
    if (!rc && j.text.failed)
        rc = fail_out_of_memory(p, pos_of(c));
    if (rc) {
        free(j.text.data);
        return -1;
    }
    *out = j.text.data;
    return 0;
}

/* After a JSON value only blanks and a comment may follow on its line. */
static int expect_end_after_json(scn_parser *p, scn_cursor *c)
{
    skip_blanks(c);
    skip_comment(c);
    if (!is_line_end(peek(c)))
        return fail(p, pos_of(c),
                    "text after JSON: only a comment may follow the JSON value on its line");
    return 0;
}

/* ---------------------------------------------------------------------------
 * Statements
 */

static void free_stmt(scn_stmt *st)
{
    free(st->verb);
    for (size_t i = 0; i < st->n_args; i++)
        free_arg(&st->args[i]);
    free(st->args);
    free(st->json);
}

/* Reads the verb; the cursor is on the first byte of the statement. */
static int read_verb(scn_parser *p, scn_cursor *c, scn_stmt *st)
{
    st->pos = pos_of(c);
    unsigned char ch = peek(c);
    if (ch == '=')
        return fail(p, st->pos, "'=' with no key");
    if (ch == '"')
        return fail(p, st->pos, "expected a verb, found a quoted string");
    if (is_json_open(ch))
        return fail(p, st->pos, "expected a verb before the JSON value");
    if (read_word(p, c, false, &st->verb))
        return -1;
    if (peek(c) == '=')
        return fail(p, st->pos, "expected a verb, found '%s='", st->verb);
    return 0;
}

static int append_argument(scn_parser *p, scn_cursor *c, scn_stmt *st)
{
    if (!grow((void **)&st->args, st->n_args, sizeof *st->args))
        return fail_out_of_memory(p, pos_of(c));
    scn_arg *arg = &st->args[st->n_args++];
    *arg = (scn_arg){0};
    return read_argument(p, c, arg);
}

/* Reads one statement into *st (which the caller frees, also on error) and
 * leaves the cursor at the end of its last line. */
static int read_statement(scn_parser *p, scn_cursor *c, scn_stmt *st)
{
    if (read_verb(p, c, st))
        return -1;
    for (;;) {
        int blank = skip_separators(p, c);
        if (blank < 0)
            return -1;
        unsigned char ch = peek(c);
        if (ch == '#' || is_line_end(ch)) {
            skip_comment(c);
            return 0;
        }
        if (!blank) {
            char what[16];
            return fail(p, pos_of(c), "expected a blank before %s", describe_byte(ch, what));
        }
        if (is_json_open(ch)) {
            st->json_pos = pos_of(c);
            if (read_json(p, c, &st->json))
                return -1;
            return expect_end_after_json(p, c);
        }
        if (append_argument(p, c, st))
            return -1;
    }
}

static int append_statement(scn_parser *p, scn_stmt *st)
{
    scn_script *s = p->script;
    if (!grow((void **)&s->stmts, s->n_stmts, sizeof *s->stmts))
        return fail_out_of_memory(p, st->pos);
    s->stmts[s->n_stmts++] = *st;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Sources: file names, reading, checking
 */

/* The name's entry in the file table, added when new; NULL when out of
 * memory. */
static const char *intern_file_name(scn_script *s, const char *name)
{
    for (size_t i = 0; i < s->n_files; i++)
        if (!strcmp(s->files[i], name))
            return s->files[i];
    char *copy = strdup(name);
    if (!copy || !grow((void **)&s->files, s->n_files, sizeof *s->files)) {
        free(copy);
        return NULL;
    }
    s->files[s->n_files++] = copy;
    return copy;
}

/* The directory part of a file name (malloc'd): "a/b.scn" -> "a",
 * "b.scn" -> "", "/b.scn" -> "/". */
static char *dir_of(const char *name)
{
    const char *slash = strrchr(name, '/');
    if (!slash)
        return strdup("");
    return strndup(name, slash == name ? 1 : (size_t)(slash - name));
}

/* path joined to dir (malloc'd); an absolute path or an empty dir leaves
 * path as it is. */
static char *join_path(const char *dir, const char *path)
{
    size_t dlen = strlen(dir);
    if (path[0] == '/' || !dlen)
        return strdup(path);
    const char *sep = dir[dlen - 1] == '/' ? "" : "/";
    size_t size = dlen + strlen(sep) + strlen(path) + 1;
    char *joined = malloc(size);
    if (joined)
        snprintf(joined, size, "%s%s%s", dir, sep, path);
    return joined;
}

/* Reads all of f into *text (malloc'd, NUL-terminated) and *len. Returns 0
 * or an errno value. */
static int read_stream(FILE *f, char **text, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    if (!data)
        return ENOMEM;
    errno = 0;
    for (;;) {
        if (n + 1 == cap) {
            char *bigger = realloc(data, cap * 2);
            if (!bigger) {
                free(data);
                return ENOMEM;
            }
            data = bigger;
            cap *= 2;
        }
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        free(data);
        return e;
    }
    data[n] = '\0';
    *text = data;
    *len = n;
    return 0;
}

/* Opens and reads the file called name into src (text and identity).
 * Returns 0 or an errno value. */
static int read_file(const char *name, scn_source *src)
{
    FILE *f = fopen(name, "rb");
    if (!f)
        return errno;
    struct stat st;
    int rc = 0;
    if (fstat(fileno(f), &st))
        rc = errno;
    else if (S_ISDIR(st.st_mode))
        rc = EISDIR;
    else
        rc = read_stream(f, &src->owned_text, &src->len);
    fclose(f);
    if (rc)
        return rc;
    src->text = src->owned_text;
    src->has_identity = true;
    src->dev = st.st_dev;
    src->ino = st.st_ino;
    return 0;
}

/* Sets up src for a file or a string called name, with its directory.
 * at is where a failure to read it is reported. text NULL means read the
 * file. */
static int open_source(scn_parser *p, const char *name, const char *text, const char *dir,
                       scn_pos at, scn_source *src)
{
    *src = (scn_source){0};
    src->name = intern_file_name(p->script, name);
    src->dir = dir ? strdup(dir) : dir_of(name);
    if (!src->name || !src->dir)
        return fail_out_of_memory(p, at);
    if (text) {
        src->text = text;
        src->len = strlen(text);
    } else {
        int e = read_file(name, src);
        if (e)
            return fail(p, at, "cannot open '%s': %s", name, strerror(e));
    }
    if (src->len >= 3 && !memcmp(src->text, "\xEF\xBB\xBF", 3))
        src->start = 3;
    return 0;
}

static void close_source(scn_source *src)
{
    free(src->dir);
    free(src->owned_text);
}

/* Checks one line of len bytes (line end excluded) starting at text. */
static int check_line(scn_parser *p, const scn_source *src, int line, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return fail(p, (scn_pos){src->name, line, (int)(nul - text) + 1}, "NUL byte in text");
    if (len > SCN_MAX_LINE)
        return fail(p, (scn_pos){src->name, line, SCN_MAX_LINE + 1}, "line longer than %d bytes",
                    SCN_MAX_LINE);
    return 0;
}

/* Checks the whole source, line by line, before it is parsed. */
static int check_text(scn_parser *p, const scn_source *src)
{
    const char *text = src->text + src->start;
    const char *end = src->text + src->len;
    for (int line = 1; text < end; line++) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *line_end = nl ? nl : end;
        if (nl && line_end > text && line_end[-1] == '\r')
            line_end--;
        if (check_line(p, src, line, text, (size_t)(line_end - text)))
            return -1;
        text = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Includes
 */

static bool same_file(const scn_source *a, const scn_source *b)
{
    return a->has_identity && b->has_identity && a->dev == b->dev && a->ino == b->ino;
}

/* Appends s to the buffer of size bytes, truncating. */
static void append_text(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s", s);
}

/* Fails when src is already in the include chain, at the include that
 * started the cycle, naming every file of it. */
static int check_cycle(scn_parser *p, const scn_source *src)
{
    for (int k = 0; k <= p->depth; k++) {
        if (!same_file(p->chain[k], src))
            continue;
        char cycle[sizeof p->err->message] = "";
        for (int i = k; i <= p->depth; i++) {
            append_text(cycle, sizeof cycle, p->chain[i]->name);
            append_text(cycle, sizeof cycle, " -> ");
        }
        append_text(cycle, sizeof cycle, src->name);
        return fail(p, p->chain[k]->include_pos, "include cycle: %s", cycle);
    }
    return 0;
}

/* The path of an include statement: exactly one positional argument. */
static const scn_arg *include_path(scn_parser *p, const scn_stmt *st)
{
    if (st->n_args != 1 || st->args[0].key || st->json) {
        fail(p, st->pos, "include expects one file path (a word or a quoted string)");
        return NULL;
    }
    if (!st->args[0].value[0]) {
        fail(p, st->args[0].pos, "include: empty path");
        return NULL;
    }
    return &st->args[0];
}

static int parse_source(scn_parser *p, scn_source *src);

/* Parses the file an include statement names, in place of the statement. */
static int expand_include(scn_parser *p, const scn_stmt *st)
{
    const scn_arg *path = include_path(p, st);
    if (!path)
        return -1;
    if (p->depth + 1 > SCN_MAX_INCLUDE_DEPTH)
        return fail(p, st->pos, "includes nested more than %d deep", SCN_MAX_INCLUDE_DEPTH);
    scn_source *including = p->chain[p->depth];
    char *name = join_path(including->dir, path->value);
    if (!name)
        return fail_out_of_memory(p, path->pos);
    including->include_pos = st->pos;
    scn_source src;
    int rc = open_source(p, name, NULL, NULL, path->pos, &src);
    free(name);
    if (!rc)
        rc = check_cycle(p, &src);
    if (!rc) {
        p->chain[++p->depth] = &src;
        rc = parse_source(p, &src);
        p->depth--;
    }
    close_source(&src);
    return rc;
}

/* Parses one statement and appends it, or expands it when it is an include. */
static int parse_statement(scn_parser *p, scn_cursor *c)
{
    scn_stmt st = {0};
    int rc = read_statement(p, c, &st);
    if (!rc && !strcmp(st.verb, "include")) {
        rc = expand_include(p, &st);
        free_stmt(&st);
        return rc;
    }
    if (!rc)
        rc = append_statement(p, &st);
    if (rc)
        free_stmt(&st);
    return rc;
}

/* Parses every statement of src (chain[depth] already). */
static int parse_source(scn_parser *p, scn_source *src)
{
    if (check_text(p, src))
        return -1;
    scn_cursor c = {src, src->start, 1, 1};
    for (;;) {
        if (skip_separators(p, &c) < 0)
            return -1;
        skip_comment(&c);
        if (!peek(&c))
            return 0;
        if (peek(&c) == '\n')
            advance(&c);
        else if (parse_statement(p, &c))
            return -1;
    }
}

/* ---------------------------------------------------------------------------
 * Public API
 */

/* Parses the top source (text NULL: the file name) into *out. */
static int parse_top(const char *name, const char *text, const char *dir, scn_script **out,
                     scn_error *err)
{
    if (err)
        *err = (scn_error){0};
    *out = NULL;
    scn_parser p = {.err = err};
    scn_pos at = {name, 0, 0};
    p.script = calloc(1, sizeof *p.script);
    if (!p.script)
        return fail_out_of_memory(&p, at);
    scn_source src;
    int rc = open_source(&p, name, text, dir, at, &src);
    if (!rc) {
        p.chain[0] = &src;
        rc = parse_source(&p, &src);
    }
    close_source(&src);
    if (rc) {
        scn_script_free(p.script);
        return -1;
    }
    *out = p.script;
    return 0;
}

int scn_parse_file(const char *path, scn_script **out, scn_error *err)
{
    return parse_top(path, NULL, NULL, out, err);
}

int scn_parse_text(const char *name, const char *text, const char *dir, scn_script **out,
                   scn_error *err)
{
    return parse_top(name ? name : "<text>", text ? text : "", dir ? dir : "", out, err);
}

void scn_script_free(scn_script *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_stmts; i++)
        free_stmt(&s->stmts[i]);
    free(s->stmts);
    for (size_t i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    free(s);
}

const scn_arg *scn_arg_named(const scn_stmt *s, const char *key)
{
    for (size_t i = 0; s && i < s->n_args; i++)
        if (s->args[i].key && !strcmp(s->args[i].key, key))
            return &s->args[i];
    return NULL;
}

const scn_arg *scn_positional(const scn_stmt *s, size_t i)
{
    for (size_t k = 0; s && k < s->n_args; k++)
        if (!s->args[k].key && i-- == 0)
            return &s->args[k];
    return NULL;
}

size_t scn_n_positional(const scn_stmt *s)
{
    size_t n = 0;
    for (size_t k = 0; s && k < s->n_args; k++)
        n += !s->args[k].key;
    return n;
}

scn_pos scn_json_pos(const scn_stmt *s, size_t offset)
{
    if (!s || !s->json)
        return (scn_pos){0};
    scn_pos pos = s->json_pos;
    for (size_t i = 0; i < offset && s->json[i]; i++) {
        if (s->json[i] == '\n') {
            pos.line++;
            pos.col = 1;
        } else {
            pos.col++;
        }
    }
    return pos;
}

int scn_format_error(const scn_error *e, char *out, size_t size)
{
    if (e->line <= 0)
        return snprintf(out, size, "%s: %s", e->file, e->message);
    return snprintf(out, size, "%s:%d:%d: %s", e->file, e->line, e->col, e->message);
}
