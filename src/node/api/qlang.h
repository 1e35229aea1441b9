/* qlang.h — Wazuh's query language (the `q` parameter), parsed to a tree and
 * evaluated through a callback.  Pure: no I/O, no globals.
 *
 * A query is conditions `field op value` joined by ';' (AND) and ',' (OR),
 * with parentheses; AND binds tighter than OR, as in the SQL Wazuh builds
 * from it.  The operators are = != < > ~ (~ is LIKE '%value%').  What a
 * condition means for a given field (text, number, date...) is the caller's
 * business: qlang only knows the syntax and the boolean structure.
 */
#ifndef VIGIL_QLANG_H
#define VIGIL_QLANG_H

#include <stddef.h>

enum qlang_op { QLANG_EQ, QLANG_NE, QLANG_LT, QLANG_GT, QLANG_LIKE };

/* One condition. */
struct qlang_cond {
	int field;              /* what the lookup callback returned for the field name */
	enum qlang_op op;
	char *value;            /* NUL-terminated copy of the value (owned by the query) */
	char *like;             /* the LIKE pattern when op is QLANG_LIKE or the value holds a
	                         * quote (then '_' for each quote, '%' around only for ~),
	                         * else NULL */
	int is_null;            /* the value is the word "null" (Wazuh's IS NULL) */
};

/* A failed parse: Wazuh's code and the token it is about. */
struct qlang_err {
	int code;               /* 1407 bad format, 1408 unknown field, 1409 bad operator */
	char token[128];        /* 1408: the field; 1409: the operator; 1407: empty */
};

#define QLANG_MAX_DEPTH 32      /* nested parentheses */
#define QLANG_MAX_CONDS 1024

struct qlang;

/*
 * qlang_lookup: the field index of name (len bytes, e.g. "os.name"), or -1
 * when no such field exists.
 */
typedef int (*qlang_lookup)(void *arg, const char *name, size_t len);

/*
 * qlang_parse: parses the len bytes of q.  The syntax is checked first
 * (1407: an empty or malformed condition, a value with characters outside
 * Wazuh's set, unbalanced parentheses, a separator with nothing after it,
 * nesting deeper than QLANG_MAX_DEPTH or more than QLANG_MAX_CONDS
 * conditions); then each condition in order: an unknown field is 1408, an
 * operator that is not one of = != < > ~ (e.g. "==", "<=", "=!") is 1409.
 * Spaces before a field, around parentheses and before a separator that
 * follows ')' are ignored; inside a value they are part of it.  As Wazuh
 * does, a value holding a quote (' or ") gets a LIKE pattern with '_' for
 * each quote, wrapped in '%' only when the operator is ~; the operator stays
 * as written (Wazuh's SQL makes any such condition a LIKE, so its != and <
 * with a quote match what = would: Vigil keeps their meaning).  Returns the
 * query (caller frees with qlang_free), or NULL with err filled (code 0 when
 * out of memory).
 */
struct qlang *qlang_parse(const char *q, size_t len, qlang_lookup lookup, void *arg,
    struct qlang_err *err);
void qlang_free(struct qlang *ql);

/* qlang_nconds / qlang_cond: the conditions, in the order they appear in the query. */
size_t qlang_nconds(const struct qlang *ql);
const struct qlang_cond *qlang_cond(const struct qlang *ql, size_t i);

/*
 * qlang_eval: evaluates the query; match(arg, i) says whether condition i
 * holds (1) or not (0).  AND and OR short-circuit, left to right.
 */
int qlang_eval(const struct qlang *ql, int (*match)(void *arg, size_t i), void *arg);

/*
 * qlang_like: SQLite's LIKE without ESCAPE: '%' any run, '_' one UTF-8
 * character, ASCII letters case-insensitive.  O(len(p) * len(s)) at worst.
 */
int qlang_like(const char *pattern, const char *s);

/* qlang_nocase_cmp: SQLite's NOCASE collation: bytes, ASCII letters folded. <0, 0, >0. */
int qlang_nocase_cmp(const char *a, const char *b);

/*
 * qlang_text_match: condition c over a text value s (NULL = SQL NULL) as
 * Wazuh's SQL does it on a TEXT column with COLLATE NOCASE: NULL never
 * matches (except "null", which means IS NULL); = != < > compare with NOCASE;
 * ~ is LIKE '%value%'.  A value with a quote is a pattern for = (LIKE), !=
 * (NOT LIKE) and ~; < and > compare it as written.
 */
int qlang_text_match(const struct qlang_cond *c, const char *s);

/*
 * qlang_py_match: condition c over the text s of one field of a listing built
 * in memory, as Wazuh's filter_array_by_query (utils.process_array) judges
 * it in Python: = != < > compare the strings as they are (bytes, case
 * counts); ~ holds when the value is inside s.  The value is taken as
 * written (no LIKE, no "null"; quotes are characters like any other).
 */
int qlang_py_match(const struct qlang_cond *c, const char *s);

/*
 * qlang_py_match_int: the same over an integer field (v): = != < > compare
 * numbers, the value read as Python's int() reads it (a value that is not
 * an integer never matches); ~ looks for the value in v's decimal text.
 */
int qlang_py_match_int(const struct qlang_cond *c, long long v);

#endif
