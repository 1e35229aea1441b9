/* cmd_agents.c — vigilctl agents list | restart [--wait]. */
#include "ctl/cmd.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/progress.h"
#include "ctl/table.h"

#define IDS_PER_CALL  500       /* agent ids per request (keeps URLs short) */
#define WAIT_ALL_FROM 2000      /* --wait: past this many agents, look at all of them */
#define WAIT_PAGE     100000    /* the API's largest limit */
#define POLL_MS       500       /* --wait: time between two looks at the agents */
#define PLAIN_EVERY   5         /* --wait without a terminal: a line at least this often (s) */

/* A growing string for query strings. */
struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, ncap);

		if (ns == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* sb_param: "&name=value" (value percent-encoded); the first one gets '?'. */
static void
sb_param(struct sbuf *b, const char *name, const char *value)
{
	char *enc;
	size_t cap;

	if (value == NULL)
		return;
	cap = strlen(value) * 3 + 1;
	if ((enc = malloc(cap)) == NULL || conf_url_encode(value, enc, cap) == -1) {
		free(enc);
		b->oom = 1;
		return;
	}
	sb_add(b, strchr(b->s ? b->s : "", '?') ? "&" : "?");
	sb_add(b, name);
	sb_add(b, "=");
	sb_add(b, enc);
	free(enc);
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Default columns of agents list, and the field each shows. */
static const char *const list_heads[] = { "ID", "NAME", "IP", "STATUS", "VERSION", "NODE",
    "GROUP", "LAST KEEPALIVE" };
static const char *const list_fields[] = { "id", "name", "ip", "status", "version",
    "node_name", "group", "lastKeepAlive" };
#define LIST_COLS (sizeof(list_heads) / sizeof(list_heads[0]))
#define MAX_COLS 32

/* select_columns: the columns --select asks for (id first); their count, or -1. */
static int
select_columns(const char *select, char names[MAX_COLS][64], char heads[MAX_COLS][64])
{
	char buf[2048], *tok, *save = NULL;
	int n = 1, k;

	snprintf(names[0], 64, "id");
	snprintf(buf, sizeof(buf), "%s", select);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok == '\0' || strcmp(tok, "id") == 0)
			continue;
		if (n == MAX_COLS || strlen(tok) >= 64)
			return -1;
		snprintf(names[n++], 64, "%s", tok);
	}
	for (k = 0; k < n; k++) {
		char *p;

		snprintf(heads[k], 64, "%s", names[k]);
		for (p = heads[k]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	}
	return n;
}

int
cmd_agents_list(struct client *c)
{
	const struct ctl_opts *o = c->o;
	char names[MAX_COLS][64], heads[MAX_COLS][64];
	const char *hp[MAX_COLS], *fp[MAX_COLS];
	json_t *all = NULL, *body = NULL, *items, *it;
	struct table *t = NULL;
	long offset = o->offset, got = 0, total = -1;
	size_t i, k, ncols, npage;
	int rc = CTL_EXIT_OK;

	if (o->select != NULL) {
		int n = select_columns(o->select, names, heads);

		if (n < 0) {
			fprintf(stderr, "vigilctl: --select: too many or too long field names\n");
			return CTL_EXIT_USAGE;
		}
		ncols = (size_t)n;
		for (k = 0; k < ncols; k++) {
			hp[k] = heads[k];
			fp[k] = names[k];
		}
	} else {
		ncols = LIST_COLS;
		for (k = 0; k < ncols; k++) {
			hp[k] = list_heads[k];
			fp[k] = list_fields[k];
		}
	}
	if ((all = json_array()) == NULL)
		return CTL_EXIT_API;
	/* Page through limit/offset until the API has nothing more (or --limit is reached). */
	for (;;) {
		struct sbuf q = { 0 };
		char num[32];
		long page = o->page_size;

		if (o->limit > 0 && o->limit - got < page)
			page = o->limit - got;
		sb_add(&q, "/agents");
		snprintf(num, sizeof(num), "%ld", offset);
		sb_param(&q, "offset", num);
		snprintf(num, sizeof(num), "%ld", page);
		sb_param(&q, "limit", num);
		sb_param(&q, "status", o->status);
		sb_param(&q, "node_name", o->node);
		sb_param(&q, "group", o->group);
		sb_param(&q, "q", o->q);
		sb_param(&q, "search", o->search);
		sb_param(&q, "select", o->select);
		sb_param(&q, "sort", o->sort);
		sb_param(&q, "name", o->name);
		sb_param(&q, "ip", o->ip);
		sb_param(&q, "version", o->version);
		sb_param(&q, "os.platform", o->os_platform);
		if (q.oom) {
			free(q.s);
			rc = CTL_EXIT_API;
			goto out;
		}
		rc = client_call(c, "GET", q.s, &body, NULL);
		free(q.s);
		if (rc != CTL_EXIT_OK)
			goto out;
		if ((items = cmd_items(body, "GET /agents")) == NULL) {
			rc = CTL_EXIT_API;
			goto out;
		}
		if (total < 0)
			total = (long)json_integer_value(json_object_get(json_object_get(body, "data"),
			    "total_affected_items"));
		json_array_foreach(items, i, it)
			json_array_append(all, it);
		npage = json_array_size(items);
		got += (long)npage;
		offset += (long)npage;
		json_decref(body);      /* items with it */
		body = NULL;
		if (npage == 0 || offset >= total ||
		    (o->limit > 0 && got >= o->limit))
			break;
	}
	if (o->json) {
		cmd_print_json(all);
		goto out;
	}
	if ((t = table_new(ncols, hp)) == NULL) {
		rc = CTL_EXIT_API;
		goto out;
	}
	json_array_foreach(all, i, it) {
		char bufs[MAX_COLS][256];
		const char *cells[MAX_COLS];

		for (k = 0; k < ncols; k++)
			cells[k] = cmd_cell(it, fp[k], bufs[k], sizeof(bufs[k]));
		if (table_add(t, cells) == -1) {
			rc = CTL_EXIT_API;
			goto out;
		}
	}
	table_print(t, stdout);
out:
	table_free(t);
	json_decref(body);
	json_decref(all);
	return rc;
}

/* The merged result of one restart (several requests when many ids are given). */
struct restart_result {
	json_t *affected;           /* array of id strings */
	json_t *failed;             /* array of Wazuh failed items */
	long long t0;               /* server time of the first answer */
};

/* restart_merge: one answer's data into res. */
static void
restart_merge(struct restart_result *res, json_t *body, long long date)
{
	json_t *data = json_object_get(body, "data"), *v;
	size_t i;

	json_array_foreach(json_object_get(data, "affected_items"), i, v)
		json_array_append(res->affected, v);
	json_array_foreach(json_object_get(data, "failed_items"), i, v)
		json_array_append(res->failed, v);
	if (res->t0 < 0)
		res->t0 = date;
}

/* restart_send: the restart request(s) for the command line's target; exit code. */
static int
restart_send(struct client *c, struct restart_result *res)
{
	const struct ctl_opts *o = c->o;
	json_t *body = NULL;
	long long date;
	size_t i, k;
	int rc;

	if (o->nids == 0) {
		char path[400];

		if (o->all)
			snprintf(path, sizeof(path), "/agents/restart");
		else
			snprintf(path, sizeof(path), "/agents/%s/%s/restart", o->node ? "node" : "group",
			    o->node ? o->node : o->group);
		if ((rc = client_call(c, "PUT", path, &body, &date)) != CTL_EXIT_OK)
			return rc;
		restart_merge(res, body, date);
		json_decref(body);
		return CTL_EXIT_OK;
	}
	for (i = 0; i < o->nids; i += IDS_PER_CALL) {
		struct sbuf q = { 0 };

		sb_add(&q, "/agents/restart?agents_list=");
		for (k = i; k < o->nids && k < i + IDS_PER_CALL; k++) {
			if (k > i)
				sb_add(&q, ",");
			sb_add(&q, o->ids[k]);
		}
		if (q.oom) {
			free(q.s);
			return CTL_EXIT_API;
		}
		rc = client_call(c, "PUT", q.s, &body, &date);
		free(q.s);
		if (rc != CTL_EXIT_OK)
			return rc;
		restart_merge(res, body, date);
		json_decref(body);
		body = NULL;
	}
	return CTL_EXIT_OK;
}

/* restart_report: what was sent and what failed; returns how many agents failed. */
static size_t
restart_report(const struct restart_result *res)
{
	struct table *t = NULL;
	size_t i, k, nfailed = 0;
	json_t *f, *id;
	static const char *const heads[] = { "AGENT", "CODE", "ERROR" };

	printf("Restart command sent to %zu agent%s.\n", json_array_size(res->affected),
	    json_array_size(res->affected) == 1 ? "" : "s");
	if (json_array_size(res->failed) == 0 || (t = table_new(3, heads)) == NULL)
		return 0;
	json_array_foreach(res->failed, i, f) {
		json_t *e = json_object_get(f, "error");
		char code[32];
		const char *cells[3];

		snprintf(code, sizeof(code), "%lld",
		    (long long)json_integer_value(json_object_get(e, "code")));
		cells[1] = code;
		cells[2] = json_string_value(json_object_get(e, "message"));
		json_array_foreach(json_object_get(f, "id"), k, id) {
			char buf[64];

			if (json_is_string(id))
				cells[0] = json_string_value(id);
			else {
				snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(id));
				cells[0] = buf;
			}
			(void)table_add(t, cells);
			nfailed++;
		}
	}
	printf("Not sent to %zu agent%s:\n", nfailed, nfailed == 1 ? "" : "s");
	table_print(t, stdout);
	table_free(t);
	return nfailed;
}

/* observe_items: the agents of one GET /agents answer into w. */
static void
observe_items(struct waitset *w, json_t *body)
{
	json_t *items, *it;
	size_t k;

	if ((items = cmd_items(body, "GET /agents")) == NULL)
		return;
	json_array_foreach(items, k, it) {
		const char *id = json_string_value(json_object_get(it, "id"));

		if (id != NULL)
			waitset_observe(w, id, json_string_value(json_object_get(it, "status")),
			    progress_parse_date(json_string_value(json_object_get(it,
			    "lastKeepAlive"))));
	}
}

/*
 * wait_poll_all: one look at every agent, a page of WAIT_PAGE at a time: for
 * a large fleet fewer requests than naming the agents 500 at a time.
 */
static int
wait_poll_all(struct client *c, struct waitset *w)
{
	long offset = 0, total = 0;
	int rc;

	do {
		char q[160];
		json_t *body = NULL;
		size_t n;

		snprintf(q, sizeof(q), "/agents?select=status,lastKeepAlive&limit=%d&offset=%ld",
		    WAIT_PAGE, offset);
		if ((rc = client_call(c, "GET", q, &body, NULL)) != CTL_EXIT_OK)
			return rc;
		observe_items(w, body);
		total = (long)json_integer_value(json_object_get(json_object_get(body, "data"),
		    "total_affected_items"));
		n = json_array_size(json_object_get(json_object_get(body, "data"),
		    "affected_items"));
		json_decref(body);
		if (n == 0)
			break;
		offset += (long)n;
	} while (offset < total);
	return CTL_EXIT_OK;
}

/* wait_poll: one look at the agents being waited for; exit code (a failed look is not fatal). */
static int
wait_poll(struct client *c, struct waitset *w)
{
	size_t i, k;
	int rc;

	if (w->n - waitset_count(w, WAIT_BACK) > WAIT_ALL_FROM)
		return wait_poll_all(c, w);
	for (i = 0; i < w->n; i += IDS_PER_CALL) {
		struct sbuf q = { 0 };
		json_t *body = NULL;
		size_t pending = 0;

		for (k = i; k < w->n && k < i + IDS_PER_CALL; k++)
			pending += w->a[k].state != WAIT_BACK;
		if (pending == 0)
			continue;
		sb_add(&q, "/agents?select=status,lastKeepAlive&limit=100000&agents_list=");
		for (k = i; k < w->n && k < i + IDS_PER_CALL; k++) {
			if (k > i)
				sb_add(&q, ",");
			sb_add(&q, w->a[k].id);
		}
		if (q.oom) {
			free(q.s);
			return CTL_EXIT_API;
		}
		rc = client_call(c, "GET", q.s, &body, NULL);
		free(q.s);
		if (rc != CTL_EXIT_OK) {
			json_decref(body);
			return rc;
		}
		observe_items(w, body);
		json_decref(body);
	}
	return CTL_EXIT_OK;
}

/* wait_show: the progress, as a redrawn bar on a terminal or a plain line otherwise. */
static void
wait_show(const struct waitset *w, double elapsed, int tty, int final)
{
	char bar[128];
	size_t back = waitset_count(w, WAIT_BACK), away = waitset_count(w, WAIT_AWAY);

	progress_bar(bar, sizeof(bar), back, w->n, 30);
	if (tty)
		fprintf(stderr, "\r\033[K%s  %zu away, %zu not yet seen going away  %.0fs%s", bar,
		    away, w->n - back - away, elapsed, final ? "\n" : "");
	else
		fprintf(stderr, "vigilctl: %zu/%zu agents back, %zu away, %zu not yet seen going "
		    "away (%.0f s)\n", back, w->n, away, w->n - back - away, elapsed);
	fflush(stderr);
}

static volatile sig_atomic_t wait_interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	wait_interrupted = 1;
}

/* restart_wait: polls until every agent of res is back or the timeout passes; exit code. */
static int
restart_wait(struct client *c, const struct restart_result *res)
{
	struct waitset w;
	const char **ids;
	size_t i, n = json_array_size(res->affected), last_back = (size_t)-1;
	double start = now_mono(), last_line = -1e9;
	int tty = isatty(STDERR_FILENO), rc = CTL_EXIT_OK, warned = 0;
	struct table *t = NULL;

	if (n == 0) {
		printf("No agent to wait for.\n");
		return CTL_EXIT_OK;
	}
	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return CTL_EXIT_API;
	for (i = 0; i < n; i++)
		ids[i] = json_string_value(json_array_get(res->affected, i)) ?
		    json_string_value(json_array_get(res->affected, i)) : "";
	if (waitset_init(&w, ids, n, res->t0 >= 0 ? res->t0 : (long long)time(NULL)) == -1) {
		free(ids);
		return CTL_EXIT_API;
	}
	free(ids);
	for (;;) {
		double el = now_mono() - start;
		size_t back;

		c->quiet_net = 1;
		rc = wait_poll(c, &w);
		c->quiet_net = 0;
		if (wait_interrupted) {
			rc = CTL_EXIT_OK;       /* a poll cut short by the signal is no error */
			break;
		}
		if (rc == CTL_EXIT_CONN) {
			/* The API may be briefly unreachable (its node restarting): keep
			 * trying, and say so once. */
			if (!warned++)
				fprintf(stderr, "%svigilctl: %s; trying again until the timeout\n",
				    tty ? "\r\033[K" : "", c->last_err);
			rc = CTL_EXIT_OK;
		} else if (rc != CTL_EXIT_OK)
			goto out;
		el = now_mono() - start;
		back = waitset_count(&w, WAIT_BACK);
		if (back == w.n || el >= c->o->timeout)
			break;
		if (tty || back != last_back || el - last_line >= PLAIN_EVERY) {
			wait_show(&w, el, tty, 0);
			last_back = back;
			last_line = el;
		}
		usleep(POLL_MS * 1000);
		if (wait_interrupted)
			break;
	}
	wait_show(&w, now_mono() - start, tty, 1);
	if (waitset_count(&w, WAIT_BACK) == w.n) {
		printf("All %zu agent%s back after %.0f s.\n", w.n, w.n == 1 ? " is" : "s are",
		    now_mono() - start);
		goto out;
	}
	{
		static const char *const heads[] = { "AGENT", "STATUS", "RESTART SEEN" };

		if (wait_interrupted)
			printf("Interrupted after %.0f s; %zu of %zu agents are not back yet:\n",
			    now_mono() - start, w.n - waitset_count(&w, WAIT_BACK), w.n);
		else
			printf("%zu of %zu agents did not come back within %.0f s:\n",
			    w.n - waitset_count(&w, WAIT_BACK), w.n, c->o->timeout);
		if ((t = table_new(3, heads)) != NULL) {
			for (i = 0; i < w.n; i++) {
				const char *cells[3];

				if (w.a[i].state == WAIT_BACK)
					continue;
				cells[0] = w.a[i].id;
				cells[1] = w.a[i].last_status[0] ? w.a[i].last_status : "not found";
				cells[2] = w.a[i].state == WAIT_AWAY ? "went away" :
				    "never seen going away";
				(void)table_add(t, cells);
			}
			table_print(t, stdout);
			table_free(t);
		}
		rc = wait_interrupted ? CTL_EXIT_INTERRUPTED : CTL_EXIT_TIMEOUT;
	}
out:
	waitset_free(&w);
	return rc;
}

int
cmd_agents_restart(struct client *c)
{
	struct restart_result res = { json_array(), json_array(), -1 };
	struct sigaction sa, old_sa;
	size_t nfailed;
	int rc;

	if (res.affected == NULL || res.failed == NULL) {
		rc = CTL_EXIT_API;
		goto out;
	}
	if ((rc = restart_send(c, &res)) != CTL_EXIT_OK)
		goto out;
	if (c->o->json) {
		json_t *data, *f;
		size_t i, nids = 0;

		json_array_foreach(res.failed, i, f)
			nids += json_array_size(json_object_get(f, "id"));
		data = json_pack("{s:O, s:I, s:I, s:O}", "affected_items", res.affected,
		    "total_affected_items", (json_int_t)json_array_size(res.affected),
		    "total_failed_items", (json_int_t)nids,
		    "failed_items", res.failed);

		cmd_print_json(data);
		json_decref(data);
		rc = json_array_size(res.failed) > 0 ? CTL_EXIT_API : CTL_EXIT_OK;
		goto out;
	}
	if (c->o->wait) {
		/* From here on Ctrl-C ends the wait with the summary so far (no
		 * SA_RESTART, so that a blocked read returns). */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGINT, &sa, &old_sa);
	}
	nfailed = restart_report(&res);
	fflush(stdout);
	if (c->o->wait) {
		rc = restart_wait(c, &res);
		(void)sigaction(SIGINT, &old_sa, NULL);
	}
	if (rc == CTL_EXIT_OK && nfailed > 0)
		rc = CTL_EXIT_API;
out:
	json_decref(res.affected);
	json_decref(res.failed);
	return rc;
}
