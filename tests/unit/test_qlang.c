/* test_qlang.c — Wazuh's query language: syntax, precedence, operators, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/api/qlang.h"

enum { F_NAME, F_OS_NAME, F_ID, F_GROUP, F_NFIELDS };

static const char *const field_names[F_NFIELDS] = { "name", "os.name", "id", "group" };

static int
lookup(void *arg, const char *name, size_t len)
{
	int f;

	(void)arg;
	for (f = 0; f < F_NFIELDS; f++)
		if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
			return f;
	return -1;
}

/* A record: one text value per field (NULL = SQL NULL). */
struct rec {
	const char *v[F_NFIELDS];
};

struct eval_ctx {
	const struct qlang *ql;
	const struct rec *r;
	int calls;
};

static int
match(void *arg, size_t i)
{
	struct eval_ctx *c = arg;
	const struct qlang_cond *cond = qlang_cond(c->ql, i);

	c->calls++;
	return qlang_text_match(cond, c->r->v[cond->field]);
}

static struct qlang *
parse_ok(const char *q)
{
	struct qlang_err err;
	struct qlang *ql = qlang_parse(q, strlen(q), lookup, NULL, &err);

	if (ql == NULL)
		fail_msg("'%s': error %d (%s)", q, err.code, err.token);
	return ql;
}

static int
parse_code(const char *q, char *token, size_t cap)
{
	struct qlang_err err;
	struct qlang *ql = qlang_parse(q, strlen(q), lookup, NULL, &err);

	if (ql != NULL) {
		qlang_free(ql);
		fail_msg("'%s' parsed", q);
	}
	if (token != NULL)
		snprintf(token, cap, "%s", err.token);
	return err.code;
}

static int
eval(const char *q, const struct rec *r)
{
	struct eval_ctx c = { NULL, r, 0 };
	struct qlang *ql = parse_ok(q);
	int v;

	c.ql = ql;
	v = qlang_eval(ql, match, &c);
	qlang_free(ql);
	return v;
}

static const struct rec web = { { "web-01", "Ubuntu", "1", "default,web" } };
static const struct rec db = { { "db-01", "CentOS Linux", "2", "default" } };
static const struct rec bare = { { "bare", NULL, "3", NULL } };

static void
test_conditions(void **state)
{
	struct qlang *ql;
	const struct qlang_cond *c;

	(void)state;
	ql = parse_ok("name=web-01;os.name!=x,group~web");
	assert_int_equal(qlang_nconds(ql), 3);
	c = qlang_cond(ql, 0);
	assert_int_equal(c->field, F_NAME);
	assert_int_equal(c->op, QLANG_EQ);
	assert_string_equal(c->value, "web-01");
	assert_null(c->like);
	c = qlang_cond(ql, 1);
	assert_int_equal(c->field, F_OS_NAME);
	assert_int_equal(c->op, QLANG_NE);
	c = qlang_cond(ql, 2);
	assert_int_equal(c->op, QLANG_LIKE);
	assert_string_equal(c->like, "%web%");
	assert_null(qlang_cond(ql, 3));
	qlang_free(ql);
	qlang_free(NULL);

	/* Values: spaces, dates, brackets with commas, groups in parentheses. */
	ql = parse_ok("name=Wazuh v4.12.0;os.name=2024-01-01 10:00:00,name=[a,b];name=f(x)y");
	assert_string_equal(qlang_cond(ql, 0)->value, "Wazuh v4.12.0");
	assert_string_equal(qlang_cond(ql, 1)->value, "2024-01-01 10:00:00");
	assert_string_equal(qlang_cond(ql, 2)->value, "[a,b]");
	assert_string_equal(qlang_cond(ql, 3)->value, "f(x)y");
	qlang_free(ql);

	/* "=<" backtracks to "=" when nothing would be left for the value. */
	ql = parse_ok("name=<");
	assert_int_equal(qlang_cond(ql, 0)->op, QLANG_EQ);
	assert_string_equal(qlang_cond(ql, 0)->value, "<");
	qlang_free(ql);

	/* null; a quote is one character in a LIKE pattern, and the operator stays as written. */
	ql = parse_ok("os.name=null;name='x\";name~a'b;name!='y';name<'z'");
	assert_true(qlang_cond(ql, 0)->is_null);
	assert_int_equal(qlang_cond(ql, 1)->op, QLANG_EQ);
	assert_string_equal(qlang_cond(ql, 1)->value, "'x\"");
	assert_string_equal(qlang_cond(ql, 1)->like, "_x_");
	assert_int_equal(qlang_cond(ql, 2)->op, QLANG_LIKE);
	assert_string_equal(qlang_cond(ql, 2)->like, "%a_b%");
	assert_int_equal(qlang_cond(ql, 3)->op, QLANG_NE);
	assert_string_equal(qlang_cond(ql, 3)->like, "_y_");
	assert_int_equal(qlang_cond(ql, 4)->op, QLANG_LT);
	assert_string_equal(qlang_cond(ql, 4)->value, "'z'");
	qlang_free(ql);
}

static void
test_operators(void **state)
{
	(void)state;
	assert_true(eval("name=web-01", &web));
	assert_true(eval("name=WEB-01", &web));           /* COLLATE NOCASE */
	assert_false(eval("name=web-0", &web));
	assert_true(eval("name!=db-01", &web));
	assert_false(eval("name!=web-01", &web));
	assert_true(eval("name<x", &web));
	assert_true(eval("name>DB-01", &web));            /* "web" > "db", folded */
	assert_false(eval("name>x", &web));
	assert_true(eval("name~EB-0", &web));
	assert_true(eval("name~b_0", &web));              /* '_' is one character */
	assert_true(eval("os.name~Linux", &db));
	assert_false(eval("os.name~Linux", &web));
	/* NULL matches nothing but "null"; "!=" does not match NULL either. */
	assert_false(eval("os.name!=x", &bare));
	assert_false(eval("os.name~a", &bare));
	assert_true(eval("os.name=null", &bare));
	assert_false(eval("os.name=null", &web));
}

/*
 * A quote in a value stands for any one character (Wazuh turns it into '_'
 * for its SQL), and the operator keeps its meaning: = and ~ match the
 * pattern, != is their negation, < and > compare the value as written.
 */
static void
test_quoted_values(void **state)
{
	static const struct { const char *q; const struct rec *r; int want; } rows[] = {
		{ "name=bar'", &bare, 1 },              /* quote -> '_' */
		{ "name=BA'E", &bare, 1 },              /* still NOCASE */
		{ "name=bar'", &web, 0 },
		{ "name='bare'", &bare, 0 },            /* '_' is exactly one character */
		{ "name!=bar'", &bare, 0 },             /* != is NOT LIKE, not LIKE */
		{ "name!=bar'", &web, 1 },
		{ "name!='eb-01", &web, 0 },
		{ "name!='eb-01", &db, 1 },
		{ "os.name!=x'", &bare, 0 },            /* NULL: neither LIKE nor NOT LIKE */
		{ "name~'eb", &web, 1 },                /* ~ is LIKE '%_eb%' */
		{ "name~'eb", &db, 0 },
		{ "name<'zzz", &web, 0 },               /* "web-01" < "'zzz": ' sorts first */
		{ "name>'zzz", &web, 1 },
		{ "name>'a", &bare, 1 },
		{ "name<a'", &bare, 0 },                /* "bare" < "a'" is false */
		{ "name<c'", &bare, 1 },                /* "bare" < "c'" */
		{ "name>c'", &bare, 0 },
		{ "name=bare;name!=b'x',name=x'", &bare, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (eval(rows[i].q, rows[i].r) != rows[i].want)
			fail_msg("row %zu: '%s' should be %d", i, rows[i].q, rows[i].want);
}

static void
test_precedence(void **state)
{
	(void)state;
	/* ';' binds tighter than ',': a;b,c is (a AND b) OR c. */
	assert_true(eval("name=x;name=y,name=web-01", &web));
	assert_false(eval("name=x;(name=y,name=web-01)", &web));
	/* a,b;c is a OR (b AND c). */
	assert_true(eval("name=web-01,name=x;name=y", &web));
	assert_false(eval("(name=web-01,name=x);name=y", &web));
	assert_true(eval("(name=web-01,name=x);os.name=ubuntu", &web));
	assert_true(eval("((name=db-01));((os.name~cent))", &db));
	/* spaces around parentheses and before fields are skipped; in values they count */
	assert_true(eval(" ( name=x, name=db-01) ;id=2", &db));
	assert_false(eval("(name=db-01 );id=2", &db));
	assert_false(eval("(name=x,name=db-01);id=1", &db));
	assert_true(eval("name=a,name=b,name=c,name=db-01", &db));
	assert_false(eval("name~0;name~1;name~2", &db));
}

static void
test_short_circuit(void **state)
{
	struct eval_ctx c = { NULL, &web, 0 };
	struct qlang *ql;

	(void)state;
	ql = parse_ok("name=x;name=a;name=b,name=web-01,name=c");
	c.ql = ql;
	assert_true(qlang_eval(ql, match, &c));
	assert_int_equal(c.calls, 2);   /* name=x fails the AND, name=web-01 ends the OR */
	qlang_free(ql);
}

static void
test_errors(void **state)
{
	static const char *const bad_format[] = {
		"", "name", "name=", "=x", "name=x;", ";name=x", "name=x,", "name=x;;name=y",
		"(name=x", "name=x)", "(name=x));name=y", "()", "name =x", "name=x|y", "name=a&b",
		"name=x;(", "name=f(x", "na me=x", "name=!", "name~",
		"((((((((((((((((((((((((((((((((((name=x))))))))))))))))))))))))))))))))))",
	};
	char tok[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_format) / sizeof(bad_format[0]); i++)
		if (parse_code(bad_format[i], NULL, 0) != 1407)
			fail_msg("'%s' is not 1407", bad_format[i]);
	assert_int_equal(parse_code("nope=x", tok, sizeof(tok)), 1408);
	assert_string_equal(tok, "nope");
	assert_int_equal(parse_code("name=x;os.nope=y", tok, sizeof(tok)), 1408);
	assert_string_equal(tok, "os.nope");
	assert_int_equal(parse_code("name==x", tok, sizeof(tok)), 1409);
	assert_string_equal(tok, "==");
	assert_int_equal(parse_code("name<=x", tok, sizeof(tok)), 1409);
	assert_int_equal(parse_code("name=!x", tok, sizeof(tok)), 1409);
	assert_int_equal(parse_code("name!x", tok, sizeof(tok)), 1409);
	assert_int_equal(parse_code("name~~x", tok, sizeof(tok)), 1409);
	/* The first semantic error wins; a syntax error anywhere wins over both. */
	assert_int_equal(parse_code("name==x;nope=y", tok, sizeof(tok)), 1409);
	assert_int_equal(parse_code("nope==x", tok, sizeof(tok)), 1408);
	assert_int_equal(parse_code("nope=x;name=", NULL, 0), 1407);
}

static void
test_limits(void **state)
{
	char *q;
	size_t i, off = 0, cap = 16 * (QLANG_MAX_CONDS + 2);
	struct qlang *ql;
	struct qlang_err err;

	(void)state;
	assert_non_null(q = malloc(cap));
	for (i = 0; i < QLANG_MAX_CONDS; i++)
		off += (size_t)snprintf(q + off, cap - off, "%sname=%zu", i ? "," : "", i);
	assert_non_null(ql = qlang_parse(q, off, lookup, NULL, &err));
	assert_int_equal(qlang_nconds(ql), QLANG_MAX_CONDS);
	qlang_free(ql);
	snprintf(q + off, cap - off, ",name=x");
	assert_null(qlang_parse(q, strlen(q), lookup, NULL, &err));
	assert_int_equal(err.code, 1407);
	/* len bounds the text: what follows is not read */
	assert_non_null(ql = qlang_parse("name=x;garbage", 6, lookup, NULL, &err));
	qlang_free(ql);
	free(q);
}

static void
test_like_and_nocase(void **state)
{
	(void)state;
	assert_true(qlang_like("%", ""));
	assert_true(qlang_like("%b%", "abc"));
	assert_true(qlang_like("A%C", "abc"));
	assert_false(qlang_like("a%d", "abc"));
	assert_true(qlang_like("a_c", "a\xc3\xa9" "c"));   /* '_' is one UTF-8 character */
	assert_true(qlang_like("%a%a%a%", "banana"));
	assert_false(qlang_like("%a%a%a%a%", "banana"));
	assert_int_equal(qlang_nocase_cmp("ABC", "abc"), 0);
	assert_true(qlang_nocase_cmp("abc", "abd") < 0);
	assert_true(qlang_nocase_cmp("b", "A") > 0);
	assert_true(qlang_nocase_cmp("ab", "abc") < 0);
}

/* Python's comparisons, as process_array's filter_array_by_query makes them. */
static void
test_py_match(void **state)
{
	static const struct { const char *q, *s; long long v; int text, num; } rows[] = {
		{ "name=web", "web", 0, 1, 0 }, { "name=WEB", "web", 0, 0, 0 },
		{ "name!=web", "web2", 0, 1, 0 }, { "name~eb", "web", 0, 1, 0 },
		{ "name~EB", "web", 0, 0, 0 }, { "name>e", "web", 0, 1, 0 },
		{ "name<3", "4.12.0", 0, 0, 1 }, { "name>3", "4.12.0", 0, 1, 0 },
		{ "name=12", "12", 12, 1, 1 }, { "name<13", "12", 12, 1, 1 },
		{ "name>9", "12", 12, 0, 1 }, { "name= 12", "12", 12, 0, 1 },
		{ "name=x1", "x1", 1, 1, 0 }, { "name~1", "x1", 1, 1, 1 },
		{ "name=-3", "-3", -3, 1, 1 }, { "name=null", "null", 0, 1, 0 },
		{ "name='a'", "'a'", 0, 1, 0 }, { "name='a'", "xax", 0, 0, 0 },
		/* A quoted value keeps its operator: Python compares the quotes as they are. */
		{ "name!='a'", "'a'", 0, 0, 0 }, { "name!='a'", "a", 0, 1, 0 },
		{ "name<'b'", "'a'", 0, 1, 0 }, { "name<'b'", "a", 0, 0, 0 },
		{ "name>'b'", "a", 0, 1, 0 }, { "name~'a", "x'ay", 0, 1, 0 },
		{ "name~'a", "xay", 0, 0, 0 }, { "name!=1'", "1'", 1, 0, 0 },
	};
	struct qlang_err err;
	struct qlang *ql;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ql = qlang_parse(rows[i].q, strlen(rows[i].q), lookup, NULL, &err);
		assert_non_null(ql);
		assert_int_equal(qlang_py_match(qlang_cond(ql, 0), rows[i].s), rows[i].text);
		assert_int_equal(qlang_py_match_int(qlang_cond(ql, 0), rows[i].v), rows[i].num);
		assert_int_equal(qlang_py_match(qlang_cond(ql, 0), NULL), 0);
		qlang_free(ql);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_quoted_values),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_short_circuit),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_like_and_nocase),
		cmocka_unit_test(test_py_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
