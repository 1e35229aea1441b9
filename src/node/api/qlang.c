/* qlang.c — Wazuh's query language: a recursive-descent parser to a small
 * tree (n-ary AND/OR nodes over conditions) and its evaluation.  Pure: no
 * I/O, no globals.
 *
 * The grammar follows the regular expression of Wazuh's WazuhDBQuery
 * (framework/wazuh/core/utils.py), read as a grammar rather than as a
 * pattern that findall() applies leniently:
 *
 *   or    := and (',' and)*
 *   and   := prim (';' prim)*
 *   prim  := '(' or ')' | cond
 *   cond  := field op value
 *   field := [\w.]+
 *   op    := [=!<>~]{1,2}        (then checked against = != < > ~)
 *   value := one or more of: a character of [\w _-.:?\/'"=@%<>{}$\[\]],
 *            a bracket run '[' ... ']' (which may hold ','), or a group
 *            '(' chars ')' (which may not hold parentheses)
 */
#include "node/api/qlang.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_COND, N_AND, N_OR };

struct qlang_node {
	int kind;
	int first;              /* N_AND/N_OR: first child; N_COND: condition index */
	int next;               /* next sibling, or -1 */
};

struct qlang {
	struct qlang_node *nodes;
	size_t nnodes, capnodes;
	struct qlang_cond *conds;
	size_t nconds, capconds;
	int root;
};

struct parser {
	const char *s;
	size_t len, pos;
	struct qlang *ql;
	qlang_lookup lookup;
	void *arg;
	struct qlang_err *err;
	int failed;             /* a syntax error (1407) or out of memory */
	int sem_code;           /* the first 1408/1409, reported once the syntax is good */
	char sem_token[128];
};

static int
is_word(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* value_char: a character a value may hold outside brackets and groups. */
static int
value_char(unsigned char c)
{
	return is_word(c) || (c != '\0' && strchr(" -.:?\\/'\"=@%<>{}$[]", c) != NULL);
}

/* bracket_char: a character inside a '[' ... ']' run (',' yes, '$' no). */
static int
bracket_char(unsigned char c)
{
	return is_word(c) || (c != '\0' && strchr(" -.,:?\\/'\"=@%<>{}[]", c) != NULL);
}

static int
op_char(unsigned char c)
{
	return c != '\0' && strchr("=!<>~", c) != NULL;
}

/* fail: the parse stops; code 1407 for a syntax error, 0 when out of memory (the first one stays). */
static void
fail(struct parser *p, int code)
{
	if (!p->failed) {
		p->failed = 1;
		p->err->code = code;
		p->err->token[0] = '\0';
	}
}

#define syntax_error(p) fail((p), 1407)
#define nomem(p) fail((p), 0)

static void
skip_spaces(struct parser *p)
{
	while (p->pos < p->len && p->s[p->pos] == ' ')
		p->pos++;
}

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/*
 * grow: the array v of n elements of size bytes (capacity *cap) with room
 * for one more: v itself or a larger copy; NULL when out of memory (v stays).
 */
static void *
grow(struct parser *p, void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 8;
	if ((nv = realloc(v, ncap * size)) == NULL) {
		nomem(p);
		return NULL;
	}
	*cap = ncap;
	return nv;
}

static int
new_node(struct parser *p, int kind, int first)
{
	struct qlang *ql = p->ql;
	struct qlang_node *nodes;

	if ((nodes = grow(p, ql->nodes, &ql->capnodes, ql->nnodes, sizeof(*nodes))) == NULL)
		return -1;
	ql->nodes = nodes;
	ql->nodes[ql->nnodes].kind = kind;
	ql->nodes[ql->nnodes].first = first;
	ql->nodes[ql->nnodes].next = -1;
	return (int)ql->nnodes++;
}

/*
 * bracket_end: at p->pos is '['; the end (one past the last ']') of the
 * longest run of bracket characters that closes with ']', or 0 if none.
 */
static size_t
bracket_end(const struct parser *p)
{
	size_t i, end = 0;

	for (i = p->pos + 1; i < p->len && bracket_char((unsigned char)p->s[i]); i++)
		if (p->s[i] == ']')
			end = i + 1;
	return end;
}

/* group_end: at p->pos is '('; one past its ')' when only value characters lie between, else 0. */
static size_t
group_end(const struct parser *p)
{
	size_t i;

	for (i = p->pos + 1; i < p->len; i++) {
		if (p->s[i] == ')')
			return i + 1;
		if (!value_char((unsigned char)p->s[i]))
			return 0;
	}
	return 0;
}

/* scan_value: the end of the value starting at p->pos (== p->pos when there is none). */
static size_t
scan_value(struct parser *p)
{
	size_t start = p->pos, end;
	int c;

	while ((c = peek(p)) != -1) {
		if (c == '[' && (end = bracket_end(p)) != 0)
			p->pos = end;
		else if (c == '(' && (end = group_end(p)) != 0)
			p->pos = end;
		else if (value_char((unsigned char)c))
			p->pos++;
		else
			break;
	}
	end = p->pos;
	p->pos = start;
	return end;
}

static void
set_sem_error(struct parser *p, int code, const char *tok, size_t len)
{
	if (p->sem_code != 0)
		return;
	p->sem_code = code;
	if (len >= sizeof(p->sem_token))
		len = sizeof(p->sem_token) - 1;
	memcpy(p->sem_token, tok, len);
	p->sem_token[len] = '\0';
}

/*
 * like_pattern: the LIKE pattern of a value: quotes become '_' (Wazuh's
 * special characters), wrapped in '%' when wrap.
 */
static char *
like_pattern(const char *v, int wrap)
{
	size_t len = strlen(v), i;
	char *p;

	if ((p = malloc(len + 3)) == NULL)
		return NULL;
	i = 0;
	if (wrap)
		p[i++] = '%';
	memcpy(p + i, v, len);
	for (; i < len + (wrap ? 1 : 0); i++)
		if (p[i] == '\'' || p[i] == '"')
			p[i] = '_';
	if (wrap)
		p[i++] = '%';
	p[i] = '\0';
	return p;
}

static int
parse_cond(struct parser *p)
{
	struct qlang *ql = p->ql;
	struct qlang_cond *c;
	size_t fstart, flen, ostart, olen, vend;
	int field, op;

	fstart = p->pos;
	while (p->pos < p->len && (is_word((unsigned char)p->s[p->pos]) || p->s[p->pos] == '.'))
		p->pos++;
	flen = p->pos - fstart;
	if (flen == 0 || peek(p) == -1 || !op_char((unsigned char)p->s[p->pos])) {
		syntax_error(p);
		return -1;
	}
	/* Two operator characters only if a value can still follow (the regex backtracks). */
	ostart = p->pos;
	olen = 1;
	if (p->pos + 2 < p->len && op_char((unsigned char)p->s[p->pos + 1])) {
		p->pos += 2;
		if (scan_value(p) > p->pos)
			olen = 2;
	}
	p->pos = ostart + olen;
	if ((vend = scan_value(p)) == p->pos) {
		syntax_error(p);
		return -1;
	}
	if (olen == 1 && p->s[ostart] == '=')
		op = QLANG_EQ;
	else if (olen == 2 && memcmp(p->s + ostart, "!=", 2) == 0)
		op = QLANG_NE;
	else if (olen == 1 && p->s[ostart] == '<')
		op = QLANG_LT;
	else if (olen == 1 && p->s[ostart] == '>')
		op = QLANG_GT;
	else if (olen == 1 && p->s[ostart] == '~')
		op = QLANG_LIKE;
	else
		op = -1;
	if ((field = p->lookup(p->arg, p->s + fstart, flen)) < 0)
		set_sem_error(p, 1408, p->s + fstart, flen);
	else if (op < 0)
		set_sem_error(p, 1409, p->s + ostart, olen);
	if (ql->nconds == QLANG_MAX_CONDS) {
		syntax_error(p);
		return -1;
	}
	if ((c = grow(p, ql->conds, &ql->capconds, ql->nconds, sizeof(*c))) == NULL)
		return -1;
	ql->conds = c;
	c = &ql->conds[ql->nconds];
	memset(c, 0, sizeof(*c));
	if ((c->value = strndup(p->s + p->pos, vend - p->pos)) == NULL) {
		nomem(p);
		return -1;
	}
	ql->nconds++;
	c->field = field;
	c->op = op < 0 ? QLANG_EQ : (enum qlang_op)op;
	c->is_null = strcmp(c->value, "null") == 0;
	/* The operator stays as written: a quote only makes the value a pattern. */
	if (strpbrk(c->value, "'\"") != NULL || c->op == QLANG_LIKE) {
		if ((c->like = like_pattern(c->value, c->op == QLANG_LIKE)) == NULL) {
			nomem(p);
			return -1;
		}
	}
	p->pos = vend;
	return new_node(p, N_COND, (int)ql->nconds - 1);
}

static int parse_or(struct parser *p, int depth);

static int
parse_prim(struct parser *p, int depth)
{
	int n;

	skip_spaces(p);
	if (peek(p) != '(')
		return parse_cond(p);
	if (depth >= QLANG_MAX_DEPTH) {
		syntax_error(p);
		return -1;
	}
	p->pos++;
	if ((n = parse_or(p, depth + 1)) < 0)
		return -1;
	skip_spaces(p);
	if (peek(p) != ')') {
		syntax_error(p);
		return -1;
	}
	p->pos++;
	skip_spaces(p);
	return n;
}

/* parse_list: items of kind (N_AND over primaries, N_OR over ANDs) joined by sep. */
static int
parse_list(struct parser *p, int depth, int kind, int sep)
{
	int first, last, n, node;

	if ((first = kind == N_AND ? parse_prim(p, depth) : parse_list(p, depth, N_AND, ';')) < 0)
		return -1;
	if (peek(p) != sep)
		return first;
	if ((node = new_node(p, kind, first)) < 0)
		return -1;
	last = first;
	while (peek(p) == sep) {
		p->pos++;
		if ((n = kind == N_AND ? parse_prim(p, depth) : parse_list(p, depth, N_AND, ';')) < 0)
			return -1;
		p->ql->nodes[last].next = n;
		last = n;
	}
	return node;
}

static int
parse_or(struct parser *p, int depth)
{
	return parse_list(p, depth, N_OR, ',');
}

struct qlang *
qlang_parse(const char *q, size_t len, qlang_lookup lookup, void *arg, struct qlang_err *err)
{
	struct parser p;
	struct qlang *ql;

	memset(err, 0, sizeof(*err));
	if ((ql = calloc(1, sizeof(*ql))) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.s = q;
	p.len = len;
	p.ql = ql;
	p.lookup = lookup;
	p.arg = arg;
	p.err = err;
	ql->root = parse_or(&p, 0);
	if (!p.failed && p.pos != p.len)
		syntax_error(&p);   /* a stray ')' or a character no value may hold */
	if (!p.failed && p.sem_code != 0) {
		err->code = p.sem_code;
		memcpy(err->token, p.sem_token, sizeof(err->token));
		p.failed = 1;
	}
	if (p.failed) {
		qlang_free(ql);
		return NULL;
	}
	return ql;
}

void
qlang_free(struct qlang *ql)
{
	size_t i;

	if (ql == NULL)
		return;
	for (i = 0; i < ql->nconds; i++) {
		free(ql->conds[i].value);
		free(ql->conds[i].like);
	}
	free(ql->conds);
	free(ql->nodes);
	free(ql);
}

size_t
qlang_nconds(const struct qlang *ql)
{
	return ql->nconds;
}

const struct qlang_cond *
qlang_cond(const struct qlang *ql, size_t i)
{
	return i < ql->nconds ? &ql->conds[i] : NULL;
}

/* eval_node: recursion only through parentheses (depth <= QLANG_MAX_DEPTH). */
static int
eval_node(const struct qlang *ql, int n, int (*match)(void *arg, size_t i), void *arg)
{
	const struct qlang_node *node = &ql->nodes[n];
	int c;

	if (node->kind == N_COND)
		return match(arg, (size_t)node->first) != 0;
	for (c = node->first; c != -1; c = ql->nodes[c].next) {
		int r = eval_node(ql, c, match, arg);

		if (node->kind == N_AND && !r)
			return 0;
		if (node->kind == N_OR && r)
			return 1;
	}
	return node->kind == N_AND;
}

int
qlang_eval(const struct qlang *ql, int (*match)(void *arg, size_t i), void *arg)
{
	return eval_node(ql, ql->root, match, arg);
}

int
qlang_like(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	while (*s != '\0') {
		if (*p == '%') {
			while (*p == '%')
				p++;
			if (*p == '\0')
				return 1;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p == '_') {
			p++;
			s++;
			while ((*s & 0xc0) == 0x80)
				s++;
			continue;
		}
		if (*p != '\0' && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
			continue;
		}
		if (star_p == NULL)
			return 0;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '%')
		p++;
	return *p == '\0';
}

int
qlang_nocase_cmp(const char *a, const char *b)
{
	unsigned char ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca < 0x80)
			ca = (unsigned char)tolower(ca);
		if (cb < 0x80)
			cb = (unsigned char)tolower(cb);
		if (ca != cb || ca == '\0')
			return (ca > cb) - (ca < cb);
	}
}

int
qlang_text_match(const struct qlang_cond *c, const char *s)
{
	int r;

	if (c->is_null)
		return s == NULL;
	if (s == NULL)
		return 0;
	/* A quoted value is a pattern for = != ~; < and > compare it as written. */
	if (c->op == QLANG_LIKE || (c->like != NULL && c->op == QLANG_EQ))
		return qlang_like(c->like, s);
	if (c->like != NULL && c->op == QLANG_NE)
		return !qlang_like(c->like, s);
	r = qlang_nocase_cmp(s, c->value);
	switch (c->op) {
	case QLANG_EQ: return r == 0;
	case QLANG_NE: return r != 0;
	case QLANG_LT: return r < 0;
	case QLANG_GT: return r > 0;
	case QLANG_LIKE: break;
	}
	return 0;
}

int
qlang_py_match(const struct qlang_cond *c, const char *s)
{
	enum qlang_op op = c->op;
	int r;

	if (s == NULL)
		return 0;
	if (op == QLANG_LIKE)
		return strstr(s, c->value) != NULL;
	r = strcmp(s, c->value);
	switch (op) {
	case QLANG_EQ: return r == 0;
	case QLANG_NE: return r != 0;
	case QLANG_LT: return r < 0;
	case QLANG_GT: return r > 0;
	default: return 0;
	}
}

int
qlang_py_match_int(const struct qlang_cond *c, long long v)
{
	char text[32], *end;
	const char *p = c->value;
	enum qlang_op op = c->op;
	long long x;

	snprintf(text, sizeof(text), "%lld", v);
	if (op == QLANG_LIKE)
		return strstr(text, c->value) != NULL;
	/* int(): blanks around, an optional sign, digits (underscores between them aside). */
	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)p[*p == '+' || *p == '-']))
		return 0;
	x = strtoll(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return 0;
	switch (op) {
	case QLANG_EQ: return v == x;
	case QLANG_NE: return v != x;
	case QLANG_LT: return v < x;
	case QLANG_GT: return v > x;
	default: return 0;
	}
}
