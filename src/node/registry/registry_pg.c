/*
 * registry_pg.c — the registry's PostgreSQL backend, through libpq.
 *
 * Synchronous: each call waits for its answer on the node's thread, as
 * SQLite's do (docs/design/registry-backends.md says what must become
 * asynchronous).  Every statement is prepared once per connection, on its
 * first use (pg_run); values travel as text.  The flush writes its rows in
 * one transaction (regdb_begin .. regdb_commit), as with SQLite.
 *
 * Schema: the description of registry_schema.c, created in one transaction
 * on a database that has none of our tables; the table vigil_schema_version
 * counts PostgreSQL's own steps from there (pg_migrations).  A database with
 * other tables but not ours, or with a newer version, is refused.
 *
 * One coordinator (docs/design/registry-backends.md): several master-capable
 * nodes may open the same database; pg_open returns only once this node's
 * connection holds the advisory lock PG_COORD_KEY, and has then raised the
 * term in vigil_coordinator and set it as its session's vigil.term.  A
 * statement trigger on every table (vigil_fence) refuses any write of a
 * session whose vigil.term is not the current term, so a node that lost its
 * connection, and with it the lock, can write nothing more: its connection
 * is not made again (that would be a session without the term) and the
 * backend is deposed (regdb_deposed); the node steps down.
 */
#include "node/registry/registry_pg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "lib/log.h"
#include "node/registry/registry_jobdata.h"
#include "node/registry/registry_schema.h"

#define PG_STMTS_MAX 128
#define PG_LOCK_KEY 0x5669676cLL     /* "Vigl": serialises two nodes creating the schema */
#define PG_COORD_KEY 0x56676c43LL    /* "VglC": held by the coordinator's connection */
#define PG_STANDBY_POLL_MS 200       /* a waiting node asks for the lock this often */
#define PG_FENCED "VG001"            /* vigil_fence's SQLSTATE */

/*
 * The fence, created with the schema: the coordinator's row, and a trigger
 * before every statement that writes one of our tables (the table names are
 * added after ON; registry_schema.c lists them).
 */
#define PG_FENCE_DDL \
	"CREATE TABLE vigil_coordinator (id BIGINT PRIMARY KEY CHECK (id = 1)," \
	" term BIGINT NOT NULL, node TEXT NOT NULL, since_ms BIGINT NOT NULL);" \
	"INSERT INTO vigil_coordinator VALUES (1, 0, '', 0);" \
	"CREATE FUNCTION vigil_fence() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN" \
	" PERFORM 1 FROM vigil_coordinator WHERE id = 1 AND term::text =" \
	" current_setting('vigil.term', true) FOR SHARE;" \
	" IF NOT FOUND THEN RAISE EXCEPTION 'vigil: a write under term %, not the coordinator''s'," \
	" coalesce(nullif(current_setting('vigil.term', true), ''), 'none')" \
	" USING ERRCODE = '" PG_FENCED "'; END IF; RETURN NULL; END $f$;"
#define PG_FENCE_TRIGGER "CREATE TRIGGER vigil_fence BEFORE INSERT OR UPDATE OR DELETE OR" \
	" TRUNCATE ON \"%s\" FOR EACH STATEMENT EXECUTE FUNCTION vigil_fence();"

/*
 * PostgreSQL's schema steps after the description (version 1).  Never edit
 * a released step: append one, and change the description and SQLite's
 * migrations with it.
 */
static const char *const pg_migrations[] = {
	NULL,       /* 1: the description (regschema_ddl) */
};
#define PG_SCHEMA_VERSION ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))

/* A growing text for the array and bytea literals of one statement. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

struct pgdb {
	struct regdb base;           /* first: a struct regdb * is a struct pgdb * */
	PGconn *c;
	PGresult *load;              /* between load_begin and load_end */
	int load_row;
	int in_tx;                   /* between BEGIN and COMMIT / ROLLBACK */
	char *sql_upsert;            /* every row of a flush in one statement (pg_batch_send) */
	struct text up[REGDB_NCOLS + 1];   /* the flush's agent rows, a text array a column */
	size_t nup;
	struct text seen[2];         /* the flush's keepalive times: ids, times */
	size_t nseen;
	int sending;                 /* in pg_batch_send */
	char *stmt[PG_STMTS_MAX];    /* prepared as "v<index>" on this connection */
	size_t nstmt;
	long long term;              /* this node's term as coordinator (0: none yet) */
	int deposed;                 /* the term is over: nothing more is written */
};

static const struct regdb_ops pg_ops;
static int pg_batch_send(struct pgdb *d);
static void pg_batch_drop(struct pgdb *d);

static void
stmts_forget(struct pgdb *d)
{
	size_t i;

	for (i = 0; i < d->nstmt; i++)
		free(d->stmt[i]);
	d->nstmt = 0;
}

/*
 * pg_alive: outside a transaction, a lost connection is reset (and its
 * prepared statements forgotten: they were the old session's).  0 / -1.
 */
static int
pg_alive(struct pgdb *d)
{
	if (d->deposed)
		return -1;
	if (PQstatus(d->c) == CONNECTION_OK)
		return 0;
	if (d->term > 0) {
		/* the lock went with the session: a new one would have no term */
		log_warnx("registry: PostgreSQL connection lost: term %lld is over", d->term);
		d->deposed = 1;
		return -1;
	}
	if (d->in_tx)           /* the transaction is lost: its caller rolls back */
		return -1;
	log_warnx("registry: PostgreSQL connection lost; reconnecting");
	stmts_forget(d);
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK) {
		log_warnx("registry: PostgreSQL: %s", PQerrorMessage(d->c));
		return -1;
	}
	return 0;
}

/* pg_err: the error of a result, on one line. */
static void
pg_err(struct pgdb *d, const PGresult *res, const char *what)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(d->c);
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	size_t n = strcspn(m, "\n");

	log_warnx("registry: PostgreSQL: %.60s: %.*s", what, (int)n, m);
	if (state != NULL && strcmp(state, PG_FENCED) == 0 && !d->deposed) {
		log_warnx("registry: PostgreSQL: another node is the coordinator now: term %lld is "
		    "over", d->term);
		d->deposed = 1;
	}
	if (d->term > 0 && PQstatus(d->c) != CONNECTION_OK && !d->deposed) {
		log_warnx("registry: PostgreSQL connection lost: term %lld is over", d->term);
		d->deposed = 1;
	}
}

/*
 * pg_run: runs sql (prepared on this connection at its first use) with n
 * text parameters (NULL is SQL NULL).  The result, or NULL on an error:
 * logged, except a unique violation when dup is not NULL (*dup is set).
 */
static PGresult *
pg_run(struct pgdb *d, const char *sql, int n, const char *const *v, int *dup)
{
	PGresult *res;
	char name[16];
	size_t i;
	ExecStatusType st;
	const char *state;

	if (dup != NULL)
		*dup = 0;
	if (pg_alive(d) == -1)
		return NULL;
	/* the flush's batched rows go first: statements run in the order they were made */
	if (!d->sending && (d->nup > 0 || d->nseen > 0) && pg_batch_send(d) == -1)
		return NULL;
	for (i = 0; i < d->nstmt; i++)
		if (strcmp(d->stmt[i], sql) == 0)
			break;
	snprintf(name, sizeof(name), "v%zu", i);
	if (i == d->nstmt) {
		if (i == PG_STMTS_MAX) {
			log_warnx("registry: PostgreSQL: too many statements");
			return NULL;
		}
		res = PQprepare(d->c, name, sql, n, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_err(d, res, sql);
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		if ((d->stmt[i] = strdup(sql)) == NULL) {
			log_warn("registry");
			return NULL;
		}
		d->nstmt++;
	}
	res = PQexecPrepared(d->c, name, n, v, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (dup != NULL && state != NULL && strcmp(state, "23505") == 0)
		*dup = 1;
	else
		pg_err(d, res, sql);
	PQclear(res);
	return NULL;
}

/* pg_do: pg_run for a statement whose result only counts rows: changed rows or -1. */
static int
pg_do(struct pgdb *d, const char *sql, int n, const char *const *v)
{
	PGresult *res = pg_run(d, sql, n, v, NULL);
	int rows;

	if (res == NULL)
		return -1;
	rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rows;
}

/* pg_simple: an unprepared command without parameters (transactions, DDL).  0 / -1. */
static int
pg_simple(struct pgdb *d, const char *sql, const char *want)
{
	PGresult *res = PQexec(d->c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		pg_err(d, res, sql);
	else if (want != NULL && strcmp(PQcmdStatus(res), want) != 0) {
		/* COMMIT of a failed transaction answers ROLLBACK */
		log_warnx("registry: PostgreSQL: %s: %s", sql, PQcmdStatus(res));
		ok = 0;
	}
	PQclear(res);
	return ok ? 0 : -1;
}

static long long
val_ll(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* pg_int: the integer of a query's one row and column (NULL: 0); -1 on an error. */
static long long
pg_int(struct pgdb *d, const char *sql, int n, const char *const *v)
{
	PGresult *res = pg_run(d, sql, n, v, NULL);
	long long x = -1;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		x = val_ll(res, 0, 0);
	PQclear(res);
	return x;
}

/* A number as a parameter. */
struct num {
	char s[24];
};

static const char *
num(struct num *b, long long v)
{
	snprintf(b->s, sizeof(b->s), "%lld", v);
	return b->s;
}


static void
text_add(struct text *t, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		for (cap = t->cap ? t->cap : 256; cap < t->len + n + 1; cap *= 2)
			;
		if ((np = realloc(t->p, cap)) == NULL) {
			t->failed = 1;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

/* text_num: an array element, after a ',' but for the first. */
static void
text_num(struct text *t, long long v)
{
	char b[24];
	int n = snprintf(b + 1, sizeof(b) - 1, "%lld", v);

	b[0] = ',';
	if (t->len == 1)           /* just the '{' */
		text_add(t, b + 1, (size_t)n);
	else
		text_add(t, b, (size_t)n + 1);
}

/* text_str: a quoted array element ('"' and '\' escaped). */
static void
text_str(struct text *t, const char *s)
{
	if (t->len > 1)
		text_add(t, ",", 1);
	text_add(t, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			text_add(t, "\\", 1);
		text_add(t, s, 1);
	}
	text_add(t, "\"", 1);
}

/* text_bytea: bytes as a bytea literal in hex ("\x0a1b..."). */
static void
text_bytea(struct text *t, const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char two[2];
	size_t i;

	text_add(t, "\\x", 2);
	for (i = 0; i < n; i++) {
		two[0] = hex[b[i] >> 4];
		two[1] = hex[b[i] & 15];
		text_add(t, two, 2);
	}
}

/* text_done: the text, or NULL when it could not be built (then freed). */
static const char *
text_done(struct text *t)
{
	if (t->failed || t->p == NULL) {
		free(t->p);
		t->p = NULL;
		return NULL;
	}
	return t->p;
}

static int
pg_begin(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;

	if (pg_alive(d) == -1 || pg_simple(d, "BEGIN", NULL) == -1)
		return -1;
	d->in_tx = 1;
	return 0;
}

static int
pg_commit(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;

	if (!d->in_tx || ((d->nup > 0 || d->nseen > 0) && pg_batch_send(d) == -1) ||
	    pg_simple(d, "COMMIT", "COMMIT") == -1)
		return -1;
	d->in_tx = 0;
	return 0;
}

static void
pg_rollback(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;
	PGTransactionStatusType t = PQtransactionStatus(d->c);

	pg_batch_drop(d);
	if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR)
		(void)pg_simple(d, "ROLLBACK", NULL);
	d->in_tx = 0;
}

/* pg_end: commits when ok, else rolls back; ok ? 0 : -1. */
static int
pg_end(struct pgdb *d, int ok)
{
	if (ok && pg_commit(&d->base) == 0)
		return 0;
	pg_rollback(&d->base);
	return -1;
}

/* pg_fence_create: the coordinator's row and the fence on every table (PG_FENCE_DDL). */
static int
pg_fence_create(struct pgdb *d)
{
	char sql[512];
	const char *t;
	size_t i;

	if (pg_simple(d, PG_FENCE_DDL, NULL) == -1)
		return -1;
	for (i = 0; (t = regschema_table(i)) != NULL; i++) {
		snprintf(sql, sizeof(sql), PG_FENCE_TRIGGER, t);
		if (pg_simple(d, sql, NULL) == -1)
			return -1;
	}
	return 0;
}

/*
 * pg_migrate: brings the schema to PG_SCHEMA_VERSION in one transaction,
 * under an advisory lock so that two nodes starting together do not both
 * create it.  Refuses another program's tables and a newer schema.
 */
static int
pg_migrate(struct pgdb *d)
{
	struct num n1;
	const char *v[1];
	long long version = 0, others, ours;
	char *ddl = NULL;
	int i, ret = -1;

	if (pg_begin(&d->base) == -1)
		return -1;
	v[0] = num(&n1, PG_LOCK_KEY);
	if (pg_int(d, "SELECT 0 FROM pg_advisory_xact_lock($1::bigint)", 1, v) == -1)
		goto out;
	others = pg_int(d, "SELECT count(*) FROM pg_catalog.pg_tables "
	    "WHERE schemaname = current_schema() AND tablename <> 'vigil_schema_version'", 0, NULL);
	ours = pg_int(d, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
	    "current_schema() AND tablename = 'vigil_schema_version'", 0, NULL);
	if (others == -1 || ours == -1)
		goto out;
	if (ours > 0) {
		if ((version = pg_int(d, "SELECT max(version) FROM vigil_schema_version", 0, NULL))
		    < 1) {
			log_warnx("registry: PostgreSQL: vigil_schema_version holds no version");
			goto out;
		}
	} else if (others > 0) {
		log_warnx("registry: PostgreSQL: the database holds %lld tables of another "
		    "program (no vigil_schema_version): give Vigil a database of its own", others);
		goto out;
	}
	if (version > PG_SCHEMA_VERSION) {
		log_warnx("registry: PostgreSQL: schema version %lld is newer than this program's %d",
		    version, PG_SCHEMA_VERSION);
		goto out;
	}
	if (version == 0) {
		log_info("registry: PostgreSQL: creating the schema (version %d)", PG_SCHEMA_VERSION);
		if ((ddl = regschema_ddl(REGSCHEMA_PG)) == NULL ||
		    pg_simple(d, ddl, NULL) == -1 || pg_fence_create(d) == -1 ||
		    /* a wave lives a second and its session ids do not compress: not trying
		     * saves most of the insert (140 KB at 10,000 sends: 13-20 ms -> 5-8 ms) */
		    pg_simple(d, "ALTER TABLE job_wave ALTER COLUMN items SET STORAGE EXTERNAL",
		    NULL) == -1 ||
		    pg_simple(d, "CREATE TABLE vigil_schema_version (version BIGINT NOT NULL);"
		    "INSERT INTO vigil_schema_version (version) VALUES (1)", NULL) == -1)
			goto out;
		version = 1;
	}
	for (i = (int)version; i < PG_SCHEMA_VERSION; i++) {
		log_info("registry: PostgreSQL: migrating schema to version %d", i + 1);
		v[0] = num(&n1, i + 1);
		if (pg_simple(d, pg_migrations[i], NULL) == -1 ||
		    pg_do(d, "UPDATE vigil_schema_version SET version = $1::bigint", 1, v) != 1)
			goto out;
	}
	ret = 0;
out:
	free(ddl);
	return pg_end(d, ret == 0);
}

static int
pg_prepare_sql(struct pgdb *d)
{
	char sql[4096];
	size_t len = 0, i;
	int n;

#define ADD(...) do { \
	n = snprintf(sql + len, sizeof(sql) - len, __VA_ARGS__); \
	if (n < 0 || (size_t)n >= sizeof(sql) - len) \
		return -1; \
	len += (size_t)n; \
} while (0)
	ADD("INSERT INTO agent (id");
	for (i = 0; i < REGDB_NCOLS; i++)
		ADD(", %s", regdb_agent_cols[i].name);
	ADD(") SELECT * FROM unnest($1::bigint[]");
	for (i = 0; i < REGDB_NCOLS; i++)
		ADD(", $%zu%s", i + 2, regdb_agent_cols[i].type == REGDB_COL_TEXT ? "::text[]" :
		    "::bigint[]");
	ADD(")");
	/* Not a delete and insert: that would silently drop another row holding the name. */
	ADD(" ON CONFLICT (id) DO UPDATE SET ");
	for (i = 0; i < REGDB_NCOLS; i++)
		ADD("%s%s = excluded.%s", i ? ", " : "", regdb_agent_cols[i].name,
		    regdb_agent_cols[i].name);
#undef ADD
	return (d->sql_upsert = strdup(sql)) == NULL ? -1 : 0;
}

static void
pg_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static int64_t
pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * pg_connect: a connection to uri, named after the node in pg_stat_activity,
 * with TCP keepalives and a user timeout so that a server gone silent is
 * noticed in seconds, not hours.  The URI's own parameters win.
 */
static PGconn *
pg_connect(const char *uri, const char *node)
{
	char app[80];
	const char *const keys[] = { "application_name", "connect_timeout", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    "dbname", NULL };
	const char *const vals[] = { app, "5", "1", "2", "1", "3", "5000", uri, NULL };

	snprintf(app, sizeof(app), "vigild %s", node);
	return PQconnectdbParams(keys, vals, 1);
}

/*
 * pg_elect: waits until this session holds PG_COORD_KEY (another node's
 * session holds it while that node is the coordinator), then takes the next
 * term and writes under it.  A connection lost while waiting is made again.
 * With wait (a node that stepped down), the other standbys are given a head
 * start.  0, or -1 on an error.
 */
static int
pg_elect(struct pgdb *d, const char *node, int wait)
{
	struct num n1, n2;
	const char *v[2];
	PGresult *res;
	long long got, held = -1;
	int down = 0;

	if (wait)
		pg_sleep_ms(5 * PG_STANDBY_POLL_MS);
	for (;;) {
		if (PQstatus(d->c) != CONNECTION_OK) {
			stmts_forget(d);
			PQreset(d->c);
			if (PQstatus(d->c) != CONNECTION_OK) {
				if (!down++)
					log_warnx("registry: PostgreSQL: %s; waiting for it",
					    PQerrorMessage(d->c));
				pg_sleep_ms(500);
				continue;
			}
			down = 0;
		}
		v[0] = num(&n1, PG_COORD_KEY);
		if ((got = pg_int(d, "SELECT pg_try_advisory_lock($1::bigint)::int", 1, v)) == 1)
			break;
		if (got == 0 && (res = pg_run(d, "SELECT node, term FROM vigil_coordinator WHERE "
		    "id = 1", 0, NULL, NULL)) != NULL) {
			if (PQntuples(res) == 1 && val_ll(res, 0, 1) != held) {
				held = val_ll(res, 0, 1);
				log_info("registry: PostgreSQL: node '%s' is the coordinator (term %lld); "
				    "this node stands by to take over", PQgetvalue(res, 0, 0), held);
			}
			PQclear(res);
		} else if (got == -1 && PQstatus(d->c) == CONNECTION_OK) {
			return -1;
		}
		pg_sleep_ms(PG_STANDBY_POLL_MS);
	}
	/* the lock is this session's: the next term, and every write of the session under it */
	v[0] = node;
	v[1] = num(&n2, pg_now_ms());
	if ((res = pg_run(d, "UPDATE vigil_coordinator SET term = term + 1, node = $1::text, "
	    "since_ms = $2::bigint WHERE id = 1 RETURNING term", 2, v, NULL)) == NULL)
		return -1;
	got = PQntuples(res) == 1 ? val_ll(res, 0, 0) : -1;
	PQclear(res);
	if (got < 1) {
		log_warnx("registry: PostgreSQL: vigil_coordinator has no row");
		return -1;
	}
	v[0] = num(&n1, got);
	if ((res = pg_run(d, "SELECT set_config('vigil.term', $1::text, false)", 1, v, NULL))
	    == NULL)
		return -1;
	PQclear(res);
	d->term = got;
	log_info("registry: PostgreSQL: this node is the coordinator, term %lld", got);
	return 0;
}

struct regdb *
pg_open(const char *uri, const char *node, int wait)
{
	struct pgdb *d;
	int tries = 0;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_warn("registry");
		return NULL;
	}
	d->base.ops = &pg_ops;
	/* libpq reads the password from the URI, PGPASSFILE or ~/.pgpass, or PGPASSWORD */
	for (;;) {
		d->c = pg_connect(uri, node);
		if (d->c != NULL && PQstatus(d->c) == CONNECTION_OK)
			break;
		if (!wait || d->c == NULL || tries++ == 0)
			log_warnx("registry: PostgreSQL: cannot connect: %s",
			    d->c != NULL ? PQerrorMessage(d->c) : "out of memory");
		if (!wait || d->c == NULL)
			goto err;
		PQfinish(d->c);
		d->c = NULL;
		pg_sleep_ms(500);
	}
	if (pg_simple(d, "SET synchronous_commit = on", NULL) == -1 ||
	    pg_simple(d, "SET client_encoding = 'UTF8'", NULL) == -1 ||
	    pg_migrate(d) == -1 || pg_prepare_sql(d) == -1 || pg_elect(d, node, wait) == -1)
		goto err;
	log_info("registry: PostgreSQL %d, database %s on %s", PQserverVersion(d->c),
	    PQdb(d->c), PQhost(d->c));
	return &d->base;
err:
	pg_ops.close(&d->base);
	return NULL;
}

/* pg_check: the coordinator's session still answers (a cheap round trip).  0 / -1. */
static int
pg_check(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;
	PGresult *res;

	if (d->deposed || d->in_tx)
		return d->deposed ? -1 : 0;
	if ((res = pg_run(d, "SELECT 1", 0, NULL, NULL)) == NULL) {
		if (!d->deposed) {
			log_warnx("registry: PostgreSQL: the coordinator's session does not answer: "
			    "term %lld is over", d->term);
			d->deposed = 1;
		}
		return -1;
	}
	PQclear(res);
	return 0;
}

static long long
pg_term(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;

	return d->deposed ? -1 : d->term;
}

static void
pg_close(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;

	if (d == NULL)
		return;
	PQclear(d->load);
	stmts_forget(d);
	free(d->sql_upsert);
	pg_batch_drop(d);
	PQfinish(d->c);
	free(d);
}

static int
pg_load_begin(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;
	char sql[2048];
	size_t len = 0, i;
	int n;

	n = snprintf(sql, sizeof(sql), "SELECT agent.id");
	len = (size_t)n;
	for (i = 0; i < REGDB_NCOLS && len < sizeof(sql); i++) {
		const char *c = regdb_agent_cols[i].name;

		if (strcmp(c, "last_keepalive") == 0)
			n = snprintf(sql + len, sizeof(sql) - len, ", GREATEST(agent.last_keepalive, "
			    "coalesce(agent_seen.last_keepalive, 0))");
		else
			n = snprintf(sql + len, sizeof(sql) - len, ", agent.%s", c);
		if (n < 0)
			return -1;
		len += (size_t)n;
	}
	if (len >= sizeof(sql))
		return -1;
	n = snprintf(sql + len, sizeof(sql) - len, " FROM agent LEFT JOIN agent_seen "
	    "ON agent_seen.id = agent.id ORDER BY agent.id");
	if (n < 0 || (size_t)n >= sizeof(sql) - len)
		return -1;
	PQclear(d->load);
	d->load_row = 0;
	if ((d->load = pg_run(d, sql, 0, NULL, NULL)) == NULL)
		return -1;
	return 0;
}

static int
pg_load_next(struct regdb *b, struct agent *a)
{
	struct pgdb *d = (struct pgdb *)b;
	const struct regdb_agent_col *c;
	long long id;
	size_t i;
	int row = d->load_row;

	if (d->load == NULL)
		return -1;
	if (row >= PQntuples(d->load))
		return 0;
	d->load_row++;
	id = val_ll(d->load, row, 0);
	if (id < 0 || id > REGDB_ID_MAX) {
		log_warnx("registry: load: agent id %lld out of range", id);
		return -1;
	}
	a->id = (unsigned int)id;
	for (i = 0; i < REGDB_NCOLS; i++) {
		c = &regdb_agent_cols[i];
		if (c->type != REGDB_COL_TEXT)
			regdb_col_int(a, c, val_ll(d->load, row, (int)i + 1));
		else if (regdb_col_text(a, c, PQgetvalue(d->load, row, (int)i + 1),
		    (size_t)PQgetlength(d->load, row, (int)i + 1)) == -1) {
			log_warnx("registry: load: agent %03u: %s too long", a->id, c->name);
			return -1;
		}
	}
	if (a->name[0] == '\0') {
		log_warnx("registry: load: agent %03u has no name", a->id);
		return -1;
	}
	return 1;
}

static void
pg_load_end(struct regdb *b)
{
	struct pgdb *d = (struct pgdb *)b;

	PQclear(d->load);
	d->load = NULL;
}

/*
 * pg_upsert / pg_touch: the row joins the flush's batch, written in one
 * statement (pg_batch_send) before the next other statement or the commit:
 * one round trip a batch, not one a row.
 */
static int
pg_upsert(struct regdb *b, const struct agent *a)
{
	struct pgdb *d = (struct pgdb *)b;
	const struct regdb_agent_col *c;
	const char *p;
	size_t i;
	int iv;
	time_t t;

	for (i = 0; i < REGDB_NCOLS; i++) {
		c = &regdb_agent_cols[i];
		if (c->type == REGDB_COL_TEXT && strnlen((const char *)a + c->off, c->size) ==
		    c->size) {
			log_warnx("registry: agent %03u: %s not terminated", a->id, c->name);
			return -1;
		}
	}
	if (d->nup == 0)
		for (i = 0; i < REGDB_NCOLS + 1; i++)
			text_add(&d->up[i], "{", 1);
	text_num(&d->up[0], a->id);
	for (i = 0; i < REGDB_NCOLS; i++) {
		c = &regdb_agent_cols[i];
		p = (const char *)a + c->off;
		switch (c->type) {
		case REGDB_COL_TEXT:
			text_str(&d->up[i + 1], p);
			break;
		case REGDB_COL_INT:
			memcpy(&iv, p, sizeof(iv));
			text_num(&d->up[i + 1], iv);
			break;
		case REGDB_COL_TIME:
			memcpy(&t, p, sizeof(t));
			text_num(&d->up[i + 1], (long long)t);
			break;
		}
	}
	d->nup++;
	return 0;
}

static void
pg_batch_drop(struct pgdb *d)
{
	size_t i;

	for (i = 0; i < REGDB_NCOLS + 1; i++) {
		free(d->up[i].p);
		memset(&d->up[i], 0, sizeof(d->up[i]));
	}
	for (i = 0; i < 2; i++) {
		free(d->seen[i].p);
		memset(&d->seen[i], 0, sizeof(d->seen[i]));
	}
	d->nup = d->nseen = 0;
}

/* pg_batch_send: the batched rows, one statement for the agents, one for the times.  0 / -1. */
static int
pg_batch_send(struct pgdb *d)
{
	const char *v[REGDB_NCOLS + 1];
	size_t i, nup = d->nup, nseen = d->nseen;
	int ok = 1;

	d->sending = 1;
	for (i = 0; ok && nup > 0 && i < REGDB_NCOLS + 1; i++) {
		text_add(&d->up[i], "}", 1);
		ok = (v[i] = text_done(&d->up[i])) != NULL;
	}
	if (ok && nup > 0 && pg_do(d, d->sql_upsert, REGDB_NCOLS + 1, v) != (int)nup)
		ok = 0;
	for (i = 0; ok && nseen > 0 && i < 2; i++) {
		text_add(&d->seen[i], "}", 1);
		ok = (v[i] = text_done(&d->seen[i])) != NULL;
	}
	if (ok && nseen > 0 && pg_do(d, "INSERT INTO agent_seen (id, last_keepalive) SELECT * "
	    "FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT (id) DO UPDATE SET "
	    "last_keepalive = excluded.last_keepalive", 2, v) != (int)nseen)
		ok = 0;
	d->sending = 0;
	pg_batch_drop(d);
	return ok ? 0 : -1;
}

static int
pg_delete(struct regdb *b, unsigned int id)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1;
	const char *v[1] = { num(&n1, id) };

	if (pg_do(d, "DELETE FROM agent_seen WHERE id = $1::bigint", 1, v) == -1 ||
	    pg_do(d, "DELETE FROM agent WHERE id = $1::bigint", 1, v) == -1)
		return -1;
	return 0;
}

static int
pg_touch(struct regdb *b, unsigned int id, int64_t last_keepalive)
{
	struct pgdb *d = (struct pgdb *)b;

	if (d->nseen == 0) {
		text_add(&d->seen[0], "{", 1);
		text_add(&d->seen[1], "{", 1);
	}
	text_num(&d->seen[0], id);
	text_num(&d->seen[1], last_keepalive);
	d->nseen++;
	return 0;
}

/* Users. */

#define USER_COLS "SELECT id, name, hash, allow_run_as, revoked_ms FROM \"user\" "

static int
user_row(const PGresult *res, int row, struct registry_user *u)
{
	int n;

	memset(u, 0, sizeof(*u));
	u->id = val_ll(res, row, 0);
	n = snprintf(u->name, sizeof(u->name), "%s", PQgetvalue(res, row, 1));
	if (n < 0 || (size_t)n >= sizeof(u->name))
		return -1;
	n = snprintf(u->hash, sizeof(u->hash), "%s", PQgetvalue(res, row, 2));
	if (n < 0 || (size_t)n >= sizeof(u->hash))
		return -1;
	u->allow_run_as = val_ll(res, row, 3) != 0;
	u->revoked_ms = val_ll(res, row, 4);
	return 0;
}

static int
user_roles(struct pgdb *d, struct registry_user *u)
{
	struct num n1;
	const char *v[1] = { num(&n1, u->id) };
	PGresult *res;
	int i;

	u->nroles = 0;
	if ((res = pg_run(d, "SELECT role_id FROM user_role WHERE user_id = $1::bigint "
	    "ORDER BY position, role_id", 1, v, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res) && u->nroles < REGISTRY_USER_ROLES_MAX; i++)
		u->roles[u->nroles++] = (int)val_ll(res, i, 0);
	PQclear(res);
	return 0;
}

static int
user_find(struct pgdb *d, const char *sql, const char *arg, struct registry_user *u)
{
	const char *v[1] = { arg };
	PGresult *res;
	int ret = -1;

	if ((res = pg_run(d, sql, 1, v, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		ret = 0;
	else if (user_row(res, 0, u) == -1)
		log_warnx("registry: user %s does not fit", PQgetvalue(res, 0, 0));
	else
		ret = 1;
	PQclear(res);
	if (ret == 1 && user_roles(d, u) == -1)
		ret = -1;
	return ret;
}

static int
pg_user_find(struct regdb *b, const char *name, struct registry_user *u)
{
	return user_find((struct pgdb *)b, USER_COLS "WHERE name = $1::text", name, u);
}

static int
pg_user_find_id(struct regdb *b, long long id, struct registry_user *u)
{
	struct num n1;

	return user_find((struct pgdb *)b, USER_COLS "WHERE id = $1::bigint", num(&n1, id), u);
}

static int
pg_user_list(struct regdb *b, struct registry_user **out, size_t *n)
{
	struct pgdb *d = (struct pgdb *)b;
	struct registry_user *v;
	PGresult *res;
	size_t cnt = 0, i;
	int row;

	*out = NULL;
	*n = 0;
	if ((res = pg_run(d, USER_COLS "ORDER BY id", 0, NULL, NULL)) == NULL)
		return -1;
	if ((v = calloc((size_t)PQntuples(res) + 1, sizeof(*v))) == NULL) {
		PQclear(res);
		return -1;
	}
	for (row = 0; row < PQntuples(res); row++)
		if (user_row(res, row, &v[cnt]) == 0)
			cnt++;        /* else cannot be represented: not listed */
	PQclear(res);
	for (i = 0; i < cnt; i++)
		if (user_roles(d, &v[i]) == -1) {
			free(v);
			return -1;
		}
	*out = v;
	*n = cnt;
	return 0;
}

static int
pg_user_add(struct regdb *b, const char *name, const char *hash, int reserved, long long *id)
{
	struct pgdb *d = (struct pgdb *)b;
	struct timespec ts;
	struct num n1, n2;
	const char *v[4];
	long long next;
	int rows;

	/* Reserved users take the lowest free id in 1..99; others max(id)+1, at least 100. */
	next = reserved ?
	    pg_int(d, "SELECT coalesce(min(id + 1), 1) FROM (SELECT 0::bigint AS id UNION "
	    "SELECT id FROM \"user\" WHERE id < 99) s WHERE id + 1 NOT IN (SELECT id FROM \"user\")",
	    0, NULL) :
	    pg_int(d, "SELECT GREATEST(coalesce(max(id), 0) + 1, 100) FROM \"user\"", 0, NULL);
	if (next < 1 || (reserved && next > 99))
		return -1;
	/* a new user revokes every token issued before it (see registry_sqlite.c) */
	clock_gettime(CLOCK_REALTIME, &ts);
	v[0] = num(&n1, next);
	v[1] = name;
	v[2] = hash;
	v[3] = num(&n2, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if ((rows = pg_do(d, "INSERT INTO \"user\" (id, name, hash, revoked_ms) VALUES "
	    "($1::bigint, $2::text, $3::text, $4::bigint) ON CONFLICT (name) DO NOTHING", 4, v)) == -1)
		return -1;
	if (rows == 0)
		return 1;
	*id = next;
	return 0;
}

static int
pg_user_delete(struct regdb *b, long long id)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1;
	const char *v[1] = { num(&n1, id) };
	int n;

	if (pg_begin(b) == -1)
		return -1;
	if (pg_do(d, "DELETE FROM user_role WHERE user_id = $1::bigint", 1, v) == -1 ||
	    (n = pg_do(d, "DELETE FROM \"user\" WHERE id = $1::bigint", 1, v)) == -1) {
		pg_rollback(b);
		return -1;
	}
	if (pg_end(d, 1) == -1)
		return -1;
	return n > 0;
}

static int
pg_user_set_hash(struct regdb *b, long long id, const char *hash)
{
	struct num n1;
	const char *v[2] = { hash, num(&n1, id) };

	return pg_do((struct pgdb *)b, "UPDATE \"user\" SET hash = $1::text WHERE id = $2::bigint",
	    2, v) == -1 ? -1 : 0;
}

static int
pg_user_revoke(struct regdb *b, long long id, long long ms)
{
	struct num n1, n2;
	const char *v[2] = { num(&n1, ms), num(&n2, id) };

	return pg_do((struct pgdb *)b, "UPDATE \"user\" SET revoked_ms = GREATEST(revoked_ms, "
	    "$1::bigint) WHERE id = $2::bigint", 2, v) == -1 ? -1 : 0;
}

static int
pg_user_role_add(struct regdb *b, long long uid, int rid)
{
	struct num n1, n2;
	const char *v[2] = { num(&n1, uid), num(&n2, rid) };

	return pg_do((struct pgdb *)b, "INSERT INTO user_role (user_id, role_id, position) "
	    "SELECT $1::bigint, $2::bigint, coalesce(max(position) + 1, 0) FROM user_role "
	    "WHERE user_id = $1::bigint ON CONFLICT (user_id, role_id) DO NOTHING", 2, v);
}

static int
pg_user_role_del(struct regdb *b, long long uid, int rid)
{
	struct num n1, n2;
	const char *v[2] = { num(&n1, uid), num(&n2, rid) };

	return pg_do((struct pgdb *)b, "DELETE FROM user_role WHERE user_id = $1::bigint AND "
	    "role_id = $2::bigint", 2, v);
}

static int
pg_user_count(struct regdb *b)
{
	return (int)pg_int((struct pgdb *)b, "SELECT count(*) FROM \"user\"", 0, NULL);
}

static int
pg_user_set_run_as(struct regdb *b, long long id, int allow)
{
	struct num n1, n2;
	const char *v[2] = { num(&n1, allow != 0), num(&n2, id) };
	int rc = pg_do((struct pgdb *)b, "UPDATE \"user\" SET allow_run_as = $1::bigint "
	    "WHERE id = $2::bigint", 2, v);

	return rc < 0 ? -1 : rc > 0;
}

/* Meta and groups. */

static int
pg_meta_get(struct regdb *b, const char *key, char *val, size_t cap)
{
	const char *v[1] = { key };
	PGresult *res;
	int n, ret = -1;

	if ((res = pg_run((struct pgdb *)b, "SELECT value FROM meta WHERE key = $1::text", 1, v,
	    NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		n = snprintf(val, cap, "%s", PQgetvalue(res, 0, 0));
		if (n >= 0 && (size_t)n < cap)
			ret = 0;
		else
			log_warnx("registry: value for '%s' does not fit", key);
	}
	PQclear(res);
	return ret;
}

static int
pg_meta_set(struct regdb *b, const char *key, const char *val)
{
	const char *v[2] = { key, val };

	return pg_do((struct pgdb *)b, "INSERT INTO meta (key, value) VALUES ($1::text, $2::text) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", 2, v) == -1 ? -1 : 0;
}

static int
pg_group_load(struct regdb *b, int (*cb)(void *, const char *, const char *, size_t),
    void *arg)
{
	PGresult *res;
	int i, ret = 0;

	if ((res = pg_run((struct pgdb *)b, "SELECT name, conf FROM grp ORDER BY name", 0, NULL,
	    NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		if (cb(arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    (size_t)PQgetlength(res, i, 1)) == -1) {
			log_warnx("registry: group '%s' cannot be loaded", PQgetvalue(res, i, 0));
			ret = -1;
			break;
		}
	PQclear(res);
	return ret;
}

static int
pg_group_set(struct regdb *b, const char *name, const char *conf, size_t len)
{
	const char *v[2];
	char *c;
	int rc;

	/* conf is len bytes, not terminated; PostgreSQL's text holds no NUL */
	if (memchr(conf, '\0', len) != NULL) {
		log_warnx("registry: group %s: agent.conf holds a NUL byte", name);
		return -1;
	}
	if ((c = strndup(conf, len)) == NULL)
		return -1;
	v[0] = name;
	v[1] = c;
	rc = pg_do((struct pgdb *)b, "INSERT INTO grp (name, conf) VALUES ($1::text, $2::text) "
	    "ON CONFLICT (name) DO UPDATE SET conf = excluded.conf", 2, v);
	free(c);
	return rc == -1 ? -1 : 0;
}

static int
pg_group_delete(struct regdb *b, const char *name)
{
	const char *v[1] = { name };

	return pg_do((struct pgdb *)b, "DELETE FROM grp WHERE name = $1::text", 1, v) == -1 ?
	    -1 : 0;
}

/* The API's custom RBAC (see registry_sqlite_sec.c for what each returns). */


static int
pg_sec_load(struct regdb *b, const struct registry_sec_cb *cb)
{
	static const char *const items[] = {
		"SELECT 0, id, name, NULL, revoked_ms FROM role ORDER BY id",
		"SELECT 1, id, name, policy, 0 FROM policy ORDER BY id",
		"SELECT 2, id, name, rule, 0 FROM rule ORDER BY id",
		"SELECT 1, role_id, policy_id FROM role_policy ORDER BY role_id, position, policy_id",
		/* SQLite lists a role's rules in the order they were linked (its rowid) */
		"SELECT 2, role_id, rule_id FROM role_rule ORDER BY role_id, rule_id",
	};
	PGresult *res;
	size_t i;
	int row, ret = 0;

	for (i = 0; i < sizeof(items) / sizeof(items[0]) && ret == 0; i++) {
		if ((res = pg_run((struct pgdb *)b, items[i], 0, NULL, NULL)) == NULL)
			return -1;
		for (row = 0; row < PQntuples(res) && ret == 0; row++) {
			enum registry_sec_kind k = (enum registry_sec_kind)val_ll(res, row, 0);

			if (i < 3)
				ret = cb->item(cb->arg, k, val_ll(res, row, 1), PQgetvalue(res, row, 2),
				    PQgetisnull(res, row, 3) ? NULL : PQgetvalue(res, row, 3),
				    val_ll(res, row, 4));
			else
				ret = cb->link(cb->arg, k, val_ll(res, row, 1), val_ll(res, row, 2));
		}
		PQclear(res);
	}
	return ret;
}

static int
pg_sec_add(struct regdb *b, enum registry_sec_kind k, const char *name, const char *body,
    long long *id)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1;
	const char *v[3];
	char sql[256];
	long long next;
	PGresult *res;
	int dup;

	snprintf(sql, sizeof(sql), "SELECT GREATEST(coalesce(max(id), 0) + 1, 100) FROM %s",
	    regschema_sec_tables[k].table);
	if ((next = pg_int(d, sql, 0, NULL)) < 100)
		return -1;
	v[0] = name;
	v[1] = num(&n1, next);
	v[2] = body != NULL ? body : "";
	if (regschema_sec_tables[k].body != NULL)
		snprintf(sql, sizeof(sql), "INSERT INTO %s (name, id, %s) VALUES ($1::text, "
		    "$2::bigint, $3::text)", regschema_sec_tables[k].table, regschema_sec_tables[k].body);
	else
		snprintf(sql, sizeof(sql), "INSERT INTO %s (name, id) VALUES ($1::text, $2::bigint)",
		    regschema_sec_tables[k].table);
	res = pg_run(d, sql, regschema_sec_tables[k].body != NULL ? 3 : 2, v, &dup);
	if (res == NULL)
		return dup ? 1 : -1;
	PQclear(res);
	*id = next;
	return 0;
}

static int
pg_sec_update(struct regdb *b, enum registry_sec_kind k, long long id, const char *name,
    const char *body)
{
	struct num n1;
	const char *v[3] = { name, num(&n1, id), body };
	char sql[256];
	PGresult *res;
	int dup, rows;

	if (regschema_sec_tables[k].body != NULL)
		snprintf(sql, sizeof(sql), "UPDATE %s SET name = coalesce($1::text, name), "
		    "%s = coalesce($3::text, %s) WHERE id = $2::bigint", regschema_sec_tables[k].table,
		    regschema_sec_tables[k].body, regschema_sec_tables[k].body);
	else
		snprintf(sql, sizeof(sql), "UPDATE %s SET name = coalesce($1::text, name) "
		    "WHERE id = $2::bigint", regschema_sec_tables[k].table);
	res = pg_run((struct pgdb *)b, sql, regschema_sec_tables[k].body != NULL ? 3 : 2, v, &dup);
	if (res == NULL)
		return dup ? 2 : -1;
	rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rows;
}

static int
pg_sec_delete(struct regdb *b, enum registry_sec_kind k, long long id)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1;
	const char *v[1] = { num(&n1, id) };
	char sql[256];
	int rc;

	if (pg_begin(b) == -1)
		return -1;
	if (k == REGISTRY_SEC_ROLE) {
		rc = pg_do(d, "DELETE FROM role_policy WHERE role_id = $1::bigint", 1, v) < 0 ||
		    pg_do(d, "DELETE FROM role_rule WHERE role_id = $1::bigint", 1, v) < 0 ||
		    pg_do(d, "DELETE FROM user_role WHERE role_id = $1::bigint", 1, v) < 0 ? -1 : 0;
	} else {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = $1::bigint", regschema_sec_tables[k].link,
		    regschema_sec_tables[k].link_col);
		rc = pg_do(d, sql, 1, v) < 0 ? -1 : 0;
	}
	if (rc == 0) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = $1::bigint",
		    regschema_sec_tables[k].table);
		rc = pg_do(d, sql, 1, v);
	}
	if (pg_end(d, rc >= 0) == -1)
		return -1;
	return rc > 0;
}

static int
pg_sec_link(struct regdb *b, enum registry_sec_kind k, long long role, long long other,
    long long position)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1, n2, n3;
	const char *v[3] = { num(&n1, role), num(&n2, other), NULL };
	long long n;
	int rc;

	if (k == REGISTRY_SEC_RULE) {
		rc = pg_do(d, "INSERT INTO role_rule (role_id, rule_id) VALUES ($1::bigint, "
		    "$2::bigint) ON CONFLICT DO NOTHING", 2, v);
		return rc < 0 ? -1 : rc;
	}
	if (pg_begin(b) == -1)
		return -1;
	if ((n = pg_int(d, "SELECT count(*) FROM role_policy WHERE role_id = $1::bigint AND "
	    "policy_id = $2::bigint", 2, v)) != 0) {
		pg_rollback(b);
		return n < 0 ? -1 : 0;
	}
	if ((n = pg_int(d, "SELECT count(*) FROM role_policy WHERE role_id = $1::bigint", 1, v))
	    < 0) {
		pg_rollback(b);
		return -1;
	}
	if (position < 0 || position > n)
		position = n;
	v[2] = num(&n3, position);
	/* positions are kept 0..n-1: make room, then take it */
	if (pg_do(d, "UPDATE role_policy SET position = position + 1 WHERE role_id = $1::bigint "
	    "AND position >= $2::bigint", 2, (const char *const[]){ v[0], v[2] }) < 0 ||
	    pg_do(d, "INSERT INTO role_policy (role_id, policy_id, position) VALUES ($1::bigint, "
	    "$2::bigint, $3::bigint)", 3, v) != 1) {
		pg_rollback(b);
		return -1;
	}
	return pg_end(d, 1) == -1 ? -1 : 1;
}

static int
pg_sec_unlink(struct regdb *b, enum registry_sec_kind k, long long role, long long other)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1, n2, n3;
	const char *v[2] = { num(&n1, role), num(&n2, other) };
	PGresult *res;
	long long pos;
	int rc;

	if (k == REGISTRY_SEC_RULE) {
		rc = pg_do(d, "DELETE FROM role_rule WHERE role_id = $1::bigint AND "
		    "rule_id = $2::bigint", 2, v);
		return rc < 0 ? -1 : rc;
	}
	if (pg_begin(b) == -1)
		return -1;
	if ((res = pg_run(d, "SELECT position FROM role_policy WHERE role_id = $1::bigint AND "
	    "policy_id = $2::bigint", 2, v, NULL)) == NULL) {
		pg_rollback(b);
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		pg_rollback(b);
		return 0;
	}
	pos = val_ll(res, 0, 0);
	PQclear(res);
	if (pg_do(d, "DELETE FROM role_policy WHERE role_id = $1::bigint AND "
	    "policy_id = $2::bigint", 2, v) != 1 ||
	    pg_do(d, "UPDATE role_policy SET position = position - 1 WHERE role_id = $1::bigint "
	    "AND position > $2::bigint", 2, (const char *const[]){ v[0], num(&n3, pos) }) < 0) {
		pg_rollback(b);
		return -1;
	}
	return pg_end(d, 1) == -1 ? -1 : 1;
}

static int
pg_sec_revoke_role(struct regdb *b, long long role, long long ms)
{
	struct num n1, n2;
	const char *v[2] = { num(&n1, ms), num(&n2, role) };

	return pg_do((struct pgdb *)b, "UPDATE role SET revoked_ms = GREATEST(revoked_ms, "
	    "$1::bigint) WHERE id = $2::bigint", 2, v) < 0 ? -1 : 0;
}

/*
 * Jobs (see registry_sqlite_jobs.c).  A job's agents and a wave's sends are
 * the bytes of registry_jobdata.c, as bytea; a save is one statement for all
 * its rows, its values in arrays, not one round trip a row.
 */

/* bytea: a bytea column's bytes, malloc'd by libpq (PQfreemem), or NULL (logged). */
static unsigned char *
bytea(const PGresult *res, int row, int col, size_t *n)
{
	unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), n);

	if (b == NULL)
		log_warnx("registry: PostgreSQL: a bytea value could not be read");
	return b;
}

static int
pg_job_create(struct regdb *b, struct registry_job *j, const uint32_t *agents, size_t n)
{
	struct pgdb *d = (struct pgdb *)b;
	struct text ids = { NULL, 0, 0, 0 };
	struct num nm[7];
	const char *v[10];
	unsigned char *packed;
	PGresult *res;

	if (regjob_ids_pack(agents, n, &packed) == -1)
		return -1;
	text_bytea(&ids, packed, n * 4);
	free(packed);
	if ((v[9] = text_done(&ids)) == NULL)
		return -1;
	v[0] = num(&nm[0], j->kind);
	v[1] = j->user;
	v[2] = j->scope;
	v[3] = num(&nm[1], j->created_ms);
	v[4] = num(&nm[2], j->expires_ms);
	v[5] = num(&nm[3], j->max_in_flight);
	v[6] = num(&nm[4], j->rate);
	v[7] = num(&nm[5], j->cancelled_ms);
	v[8] = num(&nm[6], j->done_ms);
	/* the agents' rows come at their first save: one insert here, not one an agent */
	res = pg_run(d, "INSERT INTO job (kind, \"user\", scope, created_ms, expires_ms, "
	    "max_in_flight, rate, cancelled_ms, done_ms, agents) VALUES ($1::bigint, $2::text, "
	    "$3::text, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::bigint, "
	    "$10::bytea) RETURNING id", 10, v, NULL);
	free(ids.p);
	if (res == NULL)
		return -1;
	j->id = (uint64_t)val_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

static int
pg_job_set(struct regdb *b, const struct registry_job *j)
{
	struct num n1, n2, n3;
	const char *v[3] = { num(&n1, j->cancelled_ms), num(&n2, j->done_ms),
	    num(&n3, (long long)j->id) };

	return pg_do((struct pgdb *)b, "UPDATE job SET cancelled_ms = $1::bigint, done_ms = "
	    "$2::bigint WHERE id = $3::bigint", 3, v) < 0 ? -1 : 0;
}

/* job_ids: job's list of agents (*listed 0: none, a job without one).  0 / -1. */
static int
job_ids(struct pgdb *d, uint64_t job, int *listed, uint32_t **ids, size_t *n)
{
	struct num n1;
	const char *v[1] = { num(&n1, (long long)job) };
	PGresult *res;
	unsigned char *b;
	size_t size;
	int rc = -1;

	*listed = 0;
	*ids = NULL;
	*n = 0;
	if ((res = pg_run(d, "SELECT agents FROM job WHERE id = $1::bigint", 1, v, NULL)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		log_warnx("registry: jobs: no job %llu", (unsigned long long)job);
	} else if (PQgetisnull(res, 0, 0)) {
		rc = 0;
	} else if ((b = bytea(res, 0, 0, &size)) != NULL) {
		*listed = 1;
		rc = regjob_ids_unpack(job, b, size, ids, n);
		PQfreemem(b);
	}
	PQclear(res);
	return rc;
}

static int
pg_job_save(struct regdb *b, uint64_t job, const struct registry_job_agent *a, size_t n,
    const struct registry_job_sent *old, size_t nold, int drop_waves)
{
	/* the columns of job_agent after job_id, each an array of the n rows */
	static const char *const cols[] = { "agent_id", "state", "t_delivered", "t_done",
	    "sent_ms", "node", "sid", "sends", "code", "wait" };
	enum { NCOLS = sizeof(cols) / sizeof(cols[0]) };
	struct pgdb *d = (struct pgdb *)b;
	struct text col[NCOLS];
	struct num n1;
	const char *v[1 + NCOLS];
	uint32_t *ids = NULL;
	size_t i, k, nids;
	int ok = 0, listed, rows;

	if (n == 0 && nold == 0 && !drop_waves)
		return 0;
	memset(col, 0, sizeof(col));
	if (pg_begin(b) == -1)
		return -1;
	if (job_ids(d, job, &listed, &ids, &nids) == -1)
		goto out;
	v[0] = num(&n1, (long long)job);
	if (drop_waves && pg_do(d, "DELETE FROM job_wave WHERE job_id = $1::bigint", 1, v) < 0)
		goto out;
	for (k = 0; k < NCOLS; k++)
		text_add(&col[k], "{", 1);
	for (i = 0; i < n; i++) {
		if (listed && !regjob_ids_has(ids, nids, a[i].agent)) {
			log_warnx("registry: jobs: job %llu has no agent %u", (unsigned long long)job,
			    a[i].agent);
			goto out;
		}
		text_num(&col[0], a[i].agent);
		text_num(&col[1], a[i].state);
		text_num(&col[2], a[i].t_delivered);
		text_num(&col[3], a[i].t_done);
		text_num(&col[4], a[i].sent_ms);
		text_str(&col[5], a[i].node);
		text_num(&col[6], (long long)a[i].sid);
		text_num(&col[7], a[i].sends);
		text_num(&col[8], a[i].code);
		text_num(&col[9], a[i].wait != 0);
	}
	for (k = 0; k < NCOLS; k++) {
		text_add(&col[k], "}", 1);
		if ((v[1 + k] = text_done(&col[k])) == NULL)
			goto out;
	}
	if (n > 0) {
		rows = pg_do(d, listed ?
		    "INSERT INTO job_agent (job_id, agent_id, state, t_delivered, t_done, sent_ms, node, "
		    "sid, sends, code, wait) SELECT $1::bigint, * FROM unnest($2::bigint[], "
		    "$3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], "
		    "$9::bigint[], $10::bigint[], $11::bigint[]) ON CONFLICT (job_id, agent_id) DO "
		    "UPDATE SET state = excluded.state, t_delivered = excluded.t_delivered, "
		    "t_done = excluded.t_done, sent_ms = excluded.sent_ms, node = excluded.node, "
		    "sid = excluded.sid, sends = excluded.sends, code = excluded.code, "
		    "wait = excluded.wait" :
		    "UPDATE job_agent SET state = u.state, t_delivered = u.t_delivered, "
		    "t_done = u.t_done, sent_ms = u.sent_ms, node = u.node, sid = u.sid, "
		    "sends = u.sends, code = u.code, wait = u.wait FROM unnest($2::bigint[], "
		    "$3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], "
		    "$9::bigint[], $10::bigint[], $11::bigint[]) AS u (agent_id, state, t_delivered, "
		    "t_done, sent_ms, node, sid, sends, code, wait) WHERE job_agent.job_id = $1::bigint "
		    "AND job_agent.agent_id = u.agent_id", 1 + NCOLS, v);
		if (rows != (int)n) {
			if (rows >= 0)
				log_warnx("registry: jobs: job %llu: %d of %zu agents' rows saved",
				    (unsigned long long)job, rows, n);
			goto out;
		}
	}
	for (k = 0; k < NCOLS; k++) {
		free(col[k].p);
		memset(&col[k], 0, sizeof(col[k]));
	}
	if (nold > 0) {
		for (k = 0; k < 3; k++)
			text_add(&col[k], "{", 1);
		for (i = 0; i < nold; i++) {
			text_num(&col[0], old[i].agent);
			text_str(&col[1], old[i].node);
			text_num(&col[2], (long long)old[i].sid);
		}
		for (k = 0; k < 3; k++) {
			text_add(&col[k], "}", 1);
			if ((v[1 + k] = text_done(&col[k])) == NULL)
				goto out;
		}
		if (pg_do(d, "INSERT INTO job_sent (job_id, agent_id, node, sid) SELECT $1::bigint, * "
		    "FROM unnest($2::bigint[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING", 4, v)
		    < 0)
			goto out;
	}
	ok = 1;
out:
	for (k = 0; k < NCOLS; k++)
		free(col[k].p);
	free(ids);
	return pg_end(d, ok);
}

static int
pg_job_wave_add(struct regdb *b, uint64_t job, int64_t sent_ms,
    const struct registry_job_wave *w, size_t n)
{
	struct pgdb *d = (struct pgdb *)b;
	struct text nodes = { NULL, 0, 0, 0 }, items = { NULL, 0, 0, 0 };
	struct num n1, n2;
	const char *v[4];
	unsigned char *it;
	char *nm;
	size_t len;
	int rc = -1;

	if (n == 0)
		return 0;
	if (regjob_wave_pack(job, w, n, &nm, &len, &it) == -1)
		return -1;
	text_add(&nodes, nm, len);
	text_bytea(&items, it, n * REGJOB_WAVE_ITEM);
	free(nm);
	free(it);
	v[0] = num(&n1, (long long)job);
	v[1] = num(&n2, sent_ms);
	if ((v[2] = text_done(&nodes)) != NULL && (v[3] = text_done(&items)) != NULL)
		rc = pg_do(d, "INSERT INTO job_wave (job_id, seq, sent_ms, nodes, items) VALUES "
		    "($1::bigint, (SELECT coalesce(max(seq), 0) + 1 FROM job_wave WHERE job_id = "
		    "$1::bigint), $2::bigint, $3::text, $4::bytea)", 4, v) == 1 ? 0 : -1;
	free(nodes.p);
	free(items.p);
	return rc;
}

/* job_agents: job's agents through cb (its list merged with its rows).  0 / -1. */
static int
job_agents(struct pgdb *d, const PGresult *js, int jrow, uint64_t job, const char *const *v,
    const struct registry_job_cb *cb)
{
	struct registry_job_agent *rows = NULL;
	uint32_t *ids = NULL;
	unsigned char *b;
	size_t size, nids = 0;
	PGresult *res;
	int i, n, listed = !PQgetisnull(js, jrow, 10), ret = 0;

	if (listed) {
		if ((b = bytea(js, jrow, 10, &size)) == NULL)
			return -1;
		ret = regjob_ids_unpack(job, b, size, &ids, &nids);
		PQfreemem(b);
		if (ret == -1)
			return -1;
	}
	if ((res = pg_run(d, "SELECT agent_id, state, t_delivered, t_done, sent_ms, node, sid, "
	    "sends, code, wait FROM job_agent WHERE job_id = $1::bigint ORDER BY agent_id", 1, v,
	    NULL)) == NULL) {
		free(ids);
		return -1;
	}
	n = PQntuples(res);
	if (n > 0 && (rows = calloc((size_t)n, sizeof(*rows))) == NULL)
		ret = -1;
	for (i = 0; ret == 0 && i < n; i++) {
		long long id = val_ll(res, i, 0);

		if (id < 1 || id > REGDB_ID_MAX) {
			log_warnx("registry: jobs: job %llu: agent id %lld out of range",
			    (unsigned long long)job, id);
			ret = -1;
			break;
		}
		rows[i].agent = (uint32_t)id;
		rows[i].state = (int)val_ll(res, i, 1);
		rows[i].t_delivered = val_ll(res, i, 2);
		rows[i].t_done = val_ll(res, i, 3);
		rows[i].sent_ms = val_ll(res, i, 4);
		snprintf(rows[i].node, sizeof(rows[i].node), "%s", PQgetvalue(res, i, 5));
		rows[i].sid = (uint64_t)val_ll(res, i, 6);
		rows[i].sends = (int)val_ll(res, i, 7);
		rows[i].code = (int)val_ll(res, i, 8);
		rows[i].wait = val_ll(res, i, 9) != 0;
	}
	PQclear(res);
	if (ret == 0)
		ret = regjob_agents_merge(job, listed, ids, nids, rows, (size_t)n, cb);
	free(rows);
	free(ids);
	return ret;
}

/* job_waves: job's waves through cb->wave, in the order they were added.  0 / -1. */
static int
job_waves(struct pgdb *d, uint64_t job, const char *const *v, const struct registry_job_cb *cb)
{
	PGresult *res;
	unsigned char *items;
	size_t size;
	int i, ret = 0;

	if ((res = pg_run(d, "SELECT sent_ms, nodes, items FROM job_wave WHERE job_id = $1::bigint "
	    "ORDER BY seq", 1, v, NULL)) == NULL)
		return -1;
	for (i = 0; ret == 0 && i < PQntuples(res); i++) {
		if ((items = bytea(res, i, 2, &size)) == NULL) {
			ret = -1;
			break;
		}
		ret = regjob_wave_unpack(job, val_ll(res, i, 0), PQgetvalue(res, i, 1),
		    (size_t)PQgetlength(res, i, 1), items, size, cb);
		PQfreemem(items);
	}
	PQclear(res);
	return ret;
}

static int
pg_job_load(struct regdb *b, const struct registry_job_cb *cb)
{
	struct pgdb *d = (struct pgdb *)b;
	struct registry_job j;
	struct registry_job_sent o;
	struct num n1;
	const char *v[1];
	PGresult *js, *res;
	int row, i, ret = 0;

	if ((js = pg_run(d, "SELECT id, kind, \"user\", scope, created_ms, expires_ms, "
	    "max_in_flight, rate, cancelled_ms, done_ms, agents FROM job ORDER BY id", 0, NULL,
	    NULL)) == NULL)
		return -1;
	for (row = 0; ret == 0 && row < PQntuples(js); row++) {
		memset(&j, 0, sizeof(j));
		j.id = (uint64_t)val_ll(js, row, 0);
		j.kind = (int)val_ll(js, row, 1);
		snprintf(j.user, sizeof(j.user), "%s", PQgetvalue(js, row, 2));
		snprintf(j.scope, sizeof(j.scope), "%s", PQgetvalue(js, row, 3));
		j.created_ms = val_ll(js, row, 4);
		j.expires_ms = val_ll(js, row, 5);
		j.max_in_flight = (int)val_ll(js, row, 6);
		j.rate = (int)val_ll(js, row, 7);
		j.cancelled_ms = val_ll(js, row, 8);
		j.done_ms = val_ll(js, row, 9);
		if ((ret = cb->job(cb->arg, &j)) != 0)
			break;
		v[0] = num(&n1, (long long)j.id);
		if ((ret = job_agents(d, js, row, j.id, v, cb)) != 0)
			break;
		if ((res = pg_run(d, "SELECT agent_id, node, sid FROM job_sent WHERE job_id = "
		    "$1::bigint ORDER BY agent_id, node, sid", 1, v, NULL)) == NULL) {
			ret = -1;
			break;
		}
		for (i = 0; ret == 0 && i < PQntuples(res); i++) {
			memset(&o, 0, sizeof(o));
			o.agent = (uint32_t)val_ll(res, i, 0);
			snprintf(o.node, sizeof(o.node), "%s", PQgetvalue(res, i, 1));
			o.sid = (uint64_t)val_ll(res, i, 2);
			ret = cb->sent(cb->arg, j.id, &o);
		}
		PQclear(res);
		if (ret == 0 && cb->wave != NULL)
			ret = job_waves(d, j.id, v, cb);
	}
	PQclear(js);
	return ret;
}

static int
pg_job_delete(struct regdb *b, uint64_t job)
{
	struct pgdb *d = (struct pgdb *)b;
	struct num n1;
	const char *v[1] = { num(&n1, (long long)job) };
	int rc;

	if (pg_begin(b) == -1)
		return -1;
	if (pg_do(d, "DELETE FROM job_agent WHERE job_id = $1::bigint", 1, v) < 0 ||
	    pg_do(d, "DELETE FROM job_sent WHERE job_id = $1::bigint", 1, v) < 0 ||
	    pg_do(d, "DELETE FROM job_wave WHERE job_id = $1::bigint", 1, v) < 0 ||
	    (rc = pg_do(d, "DELETE FROM job WHERE id = $1::bigint", 1, v)) < 0) {
		pg_rollback(b);
		return -1;
	}
	if (pg_end(d, 1) == -1)
		return -1;
	return rc > 0;
}

static const struct regdb_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.load_begin = pg_load_begin,
	.load_next = pg_load_next,
	.load_end = pg_load_end,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.upsert = pg_upsert,
	.touch = pg_touch,
	.delete = pg_delete,
	.user_find = pg_user_find,
	.user_find_id = pg_user_find_id,
	.user_list = pg_user_list,
	.user_add = pg_user_add,
	.user_delete = pg_user_delete,
	.user_set_hash = pg_user_set_hash,
	.user_revoke = pg_user_revoke,
	.user_role_add = pg_user_role_add,
	.user_role_del = pg_user_role_del,
	.user_count = pg_user_count,
	.user_set_run_as = pg_user_set_run_as,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.group_load = pg_group_load,
	.group_set = pg_group_set,
	.group_delete = pg_group_delete,
	.sec_load = pg_sec_load,
	.sec_add = pg_sec_add,
	.sec_update = pg_sec_update,
	.sec_delete = pg_sec_delete,
	.sec_link = pg_sec_link,
	.sec_unlink = pg_sec_unlink,
	.sec_revoke_role = pg_sec_revoke_role,
	.job_create = pg_job_create,
	.job_set = pg_job_set,
	.job_save = pg_job_save,
	.job_wave_add = pg_job_wave_add,
	.job_load = pg_job_load,
	.job_delete = pg_job_delete,
	.check = pg_check,
	.term = pg_term,
};
