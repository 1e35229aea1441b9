/*
 * pgtest.h — the registry tests' PostgreSQL side: the database VIGIL_TEST_PG
 * names (scripts/run-unit.sh starts a throwaway server and sets it).  Each
 * case starts from an empty schema (pgtest_reset).  Header-only: each test
 * program is one object file.
 */
#ifndef VIGIL_TEST_PGTEST_H
#define VIGIL_TEST_PGTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define PGTEST_UNUSED __attribute__((unused))

/* pgtest_uri: the test database's URI, or NULL when the PostgreSQL cases are skipped. */
static PGTEST_UNUSED const char *
pgtest_uri(void)
{
	const char *u = getenv("VIGIL_TEST_PG");

	return u != NULL && *u != '\0' ? u : NULL;
}

/* pgtest_skipped: says so when there is no test database; 1 if skipped. */
static PGTEST_UNUSED int
pgtest_skipped(const char *prog)
{
	if (pgtest_uri() != NULL)
		return 0;
	printf("%s: PostgreSQL cases SKIPPED: VIGIL_TEST_PG is not set "
	    "(scripts/run-unit.sh starts a server and sets it)\n", prog);
	return 1;
}

/* pgtest_quote_user: q with FROM user spelt FROM "user" (a reserved word in PostgreSQL). */
static PGTEST_UNUSED void
pgtest_quote_user(const char *q, char *out, size_t cap)
{
	const char *p = strstr(q, "FROM user");

	if (p != NULL && (p[9] == '\0' || p[9] == ' '))
		snprintf(out, cap, "%.*sFROM \"user\"%s", (int)(p - q), q, p + 9);
	else
		snprintf(out, cap, "%s", q);
}

static PGTEST_UNUSED PGconn *
pgtest_connect(void)
{
	PGconn *c = PQconnectdb(pgtest_uri());

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgtest: %s", PQerrorMessage(c));
		abort();
	}
	return c;
}

/* pgtest_exec: runs SQL (several statements) on the test database; 0 / -1 (printed). */
static PGTEST_UNUSED int
pgtest_exec_as(const char *q, int fenced)
{
	PGconn *c = pgtest_connect();
	PGresult *r;
	char buf[4096];
	int ok;

	pgtest_quote_user(q, buf, sizeof(buf));
	/* the test's own writes pass the coordinator's fence (triggers off for this session) */
	if (!fenced) {
		r = PQexec(c, "SET session_replication_role = replica");
		PQclear(r);
	}
	r = PQexec(c, buf);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "pgtest: %s: %s", buf, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* pgtest_exec: q as the test's own (the coordinator's fence does not apply). */
static PGTEST_UNUSED int
pgtest_exec(const char *q)
{
	return pgtest_exec_as(q, 0);
}

/* pgtest_exec_fenced: q as any other session (no term: a write is refused). */
static PGTEST_UNUSED int
pgtest_exec_fenced(const char *q)
{
	return pgtest_exec_as(q, 1);
}

/* pgtest_int: the integer a query's first row holds in its first column; -1 on an error. */
static PGTEST_UNUSED long long
pgtest_int(const char *q)
{
	PGconn *c = pgtest_connect();
	PGresult *r;
	char buf[4096];
	long long v = -1;

	pgtest_quote_user(q, buf, sizeof(buf));
	r = PQexec(c, buf);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		fprintf(stderr, "pgtest: %s: %s", buf, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* pgtest_reset: an empty schema, as a fresh SQLite file is.  0 / -1. */
static PGTEST_UNUSED int
pgtest_reset(void)
{
	return pgtest_exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE;"
	    " CREATE SCHEMA public");
}

#endif
