/*
 * fuzz_qlang.c — libFuzzer target for Wazuh's query language (qlang.c).
 *
 * The input is a q value.  It is parsed against a few field names; a query
 * that parses is evaluated over two records with qlang_text_match, and its
 * conditions are checked for the parser's promises (known field, a value,
 * a LIKE pattern exactly when the operator is LIKE).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/qlang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = { "id", "name", "os.name", "group", "lastKeepAlive" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const rec_a[NFIELDS] = { "1", "web-01", "Ubuntu", "default,web", NULL };
static const char *const rec_b[NFIELDS] = { "2", "db'01", NULL, "", "1700000000" };

struct ctx {
	const struct qlang *ql;
	const char *const *rec;
};

static int
lookup(void *arg, const char *name, size_t len)
{
	size_t f;

	(void)arg;
	for (f = 0; f < NFIELDS; f++)
		if (strlen(fields[f]) == len && memcmp(fields[f], name, len) == 0)
			return (int)f;
	return -1;
}

static int
match(void *arg, size_t i)
{
	const struct ctx *c = arg;
	const struct qlang_cond *cond = qlang_cond(c->ql, i);

	if (cond == NULL || cond->field < 0 || (size_t)cond->field >= NFIELDS ||
	    cond->value == NULL || cond->value[0] == '\0' ||
	    (cond->op == QLANG_LIKE && cond->like == NULL) ||
	    ((cond->like != NULL) != (cond->op == QLANG_LIKE || strpbrk(cond->value, "'\"") != NULL)))
		abort();
	return qlang_text_match(cond, c->rec[cond->field]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qlang_err err;
	struct qlang *ql;
	struct ctx c;

	/* The parser takes a length: no NUL needed, and none is read past size. */
	ql = qlang_parse((const char *)data, size, lookup, NULL, &err);
	if (ql == NULL) {
		if (err.code != 1407 && err.code != 1408 && err.code != 1409 && err.code != 0)
			abort();
		if (strnlen(err.token, sizeof(err.token)) == sizeof(err.token))
			abort();
		return 0;
	}
	if (qlang_nconds(ql) == 0 || qlang_nconds(ql) > QLANG_MAX_CONDS)
		abort();
	c.ql = ql;
	c.rec = rec_a;
	(void)qlang_eval(ql, match, &c);
	c.rec = rec_b;
	(void)qlang_eval(ql, match, &c);
	qlang_free(ql);
	return 0;
}
