/*
 * cmd_jobs.c — vigilctl jobs list | show | cancel, and following restart jobs
 * (agents restart --wait, jobs show --wait) through GET /jobs until they are
 * done: an agent counts as restarted only when the job says it completed,
 * which the server decides from the agent's own proof (a new process).
 */
#include "ctl/cmd.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/progress.h"
#include "ctl/table.h"

#define POLL_MS     500         /* --wait: time between two looks at the jobs */
#define PLAIN_EVERY 5           /* --wait without a terminal: a line at least this often (s) */
#define LIST_PAGE   500         /* jobs per GET /jobs while following several */
#define LEFT_STATES "pending,delivered,failed,expired,cancelled"

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

void
cmd_sigint_catch(struct sigaction *old)
{
	struct sigaction sa;

	/* No SA_RESTART, so that a blocked read returns. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, old);
}

void
cmd_sigint_restore(const struct sigaction *old)
{
	(void)sigaction(SIGINT, old, NULL);
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* job_item: the one job of a GET /jobs/{id} or PUT /jobs/{id}/cancel answer, or NULL (printed). */
static json_t *
job_item(json_t *body, const char *what)
{
	json_t *items = cmd_items(body, what), *j = json_array_get(items, 0);

	if (items != NULL && !json_is_object(j)) {
		fprintf(stderr, "vigilctl: the answer to %s holds no job\n", what);
		return NULL;
	}
	return j;
}

/* Columns of jobs list. */
static const char *const list_heads[] = { "ID", "COMMAND", "STATUS", "USER", "SCOPE", "CREATED",
	"TOTAL", "PENDING", "DELIVERED", "COMPLETED", "FAILED", "EXPIRED", "CANCELLED" };
static const char *const list_fields[] = { "id", "command", "status", "user", "scope",
	"created", "total", "counts.pending", "counts.delivered", "counts.completed",
	"counts.failed", "counts.expired", "counts.cancelled" };
#define LIST_COLS (sizeof(list_heads) / sizeof(list_heads[0]))
#define SCOPE_SHOWN 40          /* a long agents_list scope is cut to this many characters */

int
cmd_jobs_list(struct client *c)
{
	const struct ctl_opts *o = c->o;
	json_t *all = json_array(), *body = NULL, *items, *it;
	struct table *t = NULL;
	long offset = 0, total;
	size_t i, k, npage;
	int rc = CTL_EXIT_OK;

	if (all == NULL)
		return CTL_EXIT_API;
	for (;;) {
		char q[256];

		snprintf(q, sizeof(q), "/jobs?offset=%ld&limit=%ld%s%s%s%s", offset, o->page_size,
		    o->status ? "&status=" : "", o->status ? o->status : "",
		    o->command ? "&command=" : "", o->command ? o->command : "");
		if ((rc = client_call(c, "GET", q, &body, NULL)) != CTL_EXIT_OK)
			goto out;
		if ((items = cmd_items(body, "GET /jobs")) == NULL) {
			rc = CTL_EXIT_API;
			goto out;
		}
		json_array_foreach(items, i, it)
			json_array_append(all, it);
		npage = json_array_size(items);
		offset += (long)npage;
		total = (long)json_integer_value(json_object_get(json_object_get(body, "data"),
		    "total_affected_items"));
		json_decref(body);
		body = NULL;
		if (npage == 0 || offset >= total)
			break;
	}
	if (o->json) {
		cmd_print_json(all);
		goto out;
	}
	if ((t = table_new(LIST_COLS, list_heads)) == NULL) {
		rc = CTL_EXIT_API;
		goto out;
	}
	json_array_foreach(all, i, it) {
		char bufs[LIST_COLS][256];
		const char *cells[LIST_COLS];

		for (k = 0; k < LIST_COLS; k++)
			cells[k] = cmd_cell(it, list_fields[k], bufs[k], sizeof(bufs[k]));
		if (cells[4] != NULL && strlen(cells[4]) > SCOPE_SHOWN)
			snprintf(bufs[4] + SCOPE_SHOWN - 3, sizeof(bufs[4]) - SCOPE_SHOWN + 3, "...");
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

/*
 * job_fetch: job id with its agents in the given states (NULL: all), every
 * page of them, into *job (the caller's; agents.affected_items holds them all).
 */
static int
job_fetch(struct client *c, unsigned long long id, const char *states, json_t **job)
{
	json_t *body = NULL, *j, *agents = json_array(), *page;
	long offset = 0, total;
	size_t i, npage;
	json_t *a;
	int rc;

	*job = NULL;
	if (agents == NULL)
		return CTL_EXIT_API;
	for (;;) {
		char q[256];

		snprintf(q, sizeof(q), "/jobs/%llu?offset=%ld&limit=%ld%s%s", id, offset,
		    c->o->page_size, states ? "&state=" : "", states ? states : "");
		if ((rc = client_call(c, "GET", q, &body, NULL)) != CTL_EXIT_OK)
			goto out;
		if ((j = job_item(body, "GET /jobs/{id}")) == NULL) {
			rc = CTL_EXIT_API;
			goto out;
		}
		page = json_object_get(json_object_get(j, "agents"), "affected_items");
		json_array_foreach(page, i, a)
			json_array_append(agents, a);
		npage = json_array_size(page);
		offset += (long)npage;
		total = (long)json_integer_value(json_object_get(json_object_get(j, "agents"),
		    "total_affected_items"));
		if (npage == 0 || offset >= total) {
			/* the last page's job, with every agent read */
			*job = json_incref(j);
			json_object_set_new(*job, "agents", json_pack("{s:O, s:I}", "affected_items",
			    agents, "total_affected_items", (json_int_t)json_array_size(agents)));
			break;
		}
		json_decref(body);
		body = NULL;
	}
	rc = CTL_EXIT_OK;
out:
	json_decref(body);
	json_decref(agents);
	return rc;
}

/* print_job: the job's settings and counts as "Name: value" lines. */
static void
print_job(json_t *j)
{
	char b[6][256], counts[256];
	long long mif = (long long)json_integer_value(json_object_get(j, "max_in_flight"));
	long long rate = (long long)json_integer_value(json_object_get(j, "rate"));
	const char *none = "-";
	int s, n = 0;

	printf("Job %s: %s of %s agent%s, %s\n",
	    cmd_cell(j, "id", b[0], sizeof(b[0])) ? b[0] : "?",
	    cmd_cell(j, "command", b[1], sizeof(b[1])) ? b[1] : "?",
	    cmd_cell(j, "total", b[2], sizeof(b[2])) ? b[2] : "?",
	    json_integer_value(json_object_get(j, "total")) == 1 ? "" : "s",
	    cmd_cell(j, "status", b[3], sizeof(b[3])) ? b[3] : "?");
	printf("User:       %s\n", cmd_cell(j, "user", b[0], sizeof(b[0])) ? b[0] : none);
	printf("Scope:      %s\n", cmd_cell(j, "scope", b[0], sizeof(b[0])) ? b[0] : none);
	printf("Created:    %s\n", cmd_cell(j, "created", b[0], sizeof(b[0])) ? b[0] : none);
	printf("Expires:    %s\n", cmd_cell(j, "expires", b[0], sizeof(b[0])) ? b[0] : none);
	printf("Cancelled:  %s\n", cmd_cell(j, "cancelled", b[0], sizeof(b[0])) ? b[0] : none);
	printf("Finished:   %s\n", cmd_cell(j, "finished", b[0], sizeof(b[0])) ? b[0] : none);
	if (mif > 0)
		snprintf(b[4], sizeof(b[4]), "%lld in flight", mif);
	else
		snprintf(b[4], sizeof(b[4]), "no limit in flight");
	if (rate > 0)
		snprintf(b[5], sizeof(b[5]), "%lld a second", rate);
	else
		snprintf(b[5], sizeof(b[5]), "no rate limit");
	printf("Limits:     %s, %s\n", b[4], b[5]);
	counts[0] = '\0';
	for (s = 0; s < JW_NSTATES; s++) {
		int k = snprintf(counts + n, sizeof(counts) - (size_t)n, "%s%lld %s",
		    s ? ", " : "", (long long)json_integer_value(json_object_get(json_object_get(j,
		    "counts"), jobwatch_states[s])), jobwatch_states[s]);

		if (k < 0 || (size_t)k >= sizeof(counts) - (size_t)n)
			break;
		n += k;
	}
	printf("Agents:     %s; %lld in flight\n", counts,
	    (long long)json_integer_value(json_object_get(j, "in_flight")));
}

/* Columns of a job's agents. */
static const char *const agent_heads[] = { "AGENT", "STATE", "NODE", "SENDS", "DELIVERED",
	"DONE", "CODE" };
static const char *const agent_fields[] = { "id", "state", "node", "sends", "delivered", "done",
	"code" };
#define AGENT_COLS (sizeof(agent_heads) / sizeof(agent_heads[0]))

/* print_agents: the job's agents as a table. */
static int
print_agents(json_t *j)
{
	struct table *t = table_new(AGENT_COLS, agent_heads);
	json_t *a;
	size_t i, k;

	if (t == NULL)
		return CTL_EXIT_API;
	json_array_foreach(json_object_get(json_object_get(j, "agents"), "affected_items"), i, a) {
		char bufs[AGENT_COLS][128];
		const char *cells[AGENT_COLS];

		for (k = 0; k < AGENT_COLS; k++)
			cells[k] = cmd_cell(a, agent_fields[k], bufs[k], sizeof(bufs[k]));
		if (table_add(t, cells) == -1) {
			table_free(t);
			return CTL_EXIT_API;
		}
	}
	table_print(t, stdout);
	table_free(t);
	return CTL_EXIT_OK;
}

int
cmd_jobs_show(struct client *c)
{
	json_t *j = NULL;
	int rc, wrc = CTL_EXIT_OK;

	if (c->o->wait) {
		struct sigaction old;

		cmd_sigint_catch(&old);
		wrc = cmd_jobs_wait(c, &c->o->job_id, 1, 0);
		cmd_sigint_restore(&old);
		if (wrc != CTL_EXIT_OK && wrc != CTL_EXIT_TIMEOUT && wrc != CTL_EXIT_INCOMPLETE &&
		    wrc != CTL_EXIT_INTERRUPTED)
			return wrc;
		putchar('\n');
	}
	if ((rc = job_fetch(c, c->o->job_id, c->o->state, &j)) != CTL_EXIT_OK)
		return rc;
	if (c->o->json)
		cmd_print_json(j);
	else {
		print_job(j);
		putchar('\n');
		rc = print_agents(j);
	}
	json_decref(j);
	return rc != CTL_EXIT_OK ? rc : wrc;
}

int
cmd_jobs_cancel(struct client *c)
{
	json_t *body = NULL, *j;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/jobs/%llu/cancel", c->o->job_id);
	if ((rc = client_call(c, "PUT", path, &body, NULL)) != CTL_EXIT_OK)
		return rc;
	if ((j = job_item(body, "PUT /jobs/{id}/cancel")) == NULL)
		rc = CTL_EXIT_API;
	else if (c->o->json)
		cmd_print_json(j);
	else {
		json_t *counts = json_object_get(j, "counts");
		long long x = (long long)json_integer_value(json_object_get(counts, "cancelled"));
		long long d = (long long)json_integer_value(json_object_get(counts, "delivered"));

		printf("Job %llu cancelled: %lld agent%s will not get the command; %lld that got "
		    "it %s followed until %s done.\n", c->o->job_id, x, x == 1 ? "" : "s", d,
		    d == 1 ? "is" : "are", d == 1 ? "it is" : "they are");
	}
	json_decref(body);
	return rc;
}

/* poll_one: GET /jobs/{id} (its counts, one agent) into w; exit code. */
static int
poll_one(struct client *c, struct jobwatch *w, unsigned long long id)
{
	json_t *body = NULL, *j;
	char q[64];
	int rc;

	snprintf(q, sizeof(q), "/jobs/%llu?limit=1", id);
	if ((rc = client_call(c, "GET", q, &body, NULL)) != CTL_EXIT_OK)
		return rc;
	if ((j = job_item(body, "GET /jobs/{id}")) == NULL || jobwatch_update(w, j) != 1) {
		if (j != NULL)
			fprintf(stderr, "vigilctl: GET %s: not the job asked for, or malformed\n", q);
		rc = CTL_EXIT_API;
	}
	json_decref(body);
	return rc;
}

/*
 * poll_jobs: one look at the jobs not done yet.  One job: GET /jobs/{id}.
 * Several: GET /jobs (the newest first, where they are), one request for all
 * of them (the API limits requests a minute); any not found there is asked
 * for by its id.
 */
static int
poll_jobs(struct client *c, struct jobwatch *w)
{
	unsigned long *before;
	long offset = 0, total = 0;
	size_t k, left = 0;
	int rc = CTL_EXIT_OK;

	for (k = 0; k < w->n; k++)
		left += !w->j[k].done;
	if (left == 0)
		return CTL_EXIT_OK;
	if (w->n == 1)
		return poll_one(c, w, w->j[0].id);
	if ((before = calloc(w->n, sizeof(*before))) == NULL)
		return CTL_EXIT_API;
	for (k = 0; k < w->n; k++)
		before[k] = w->j[k].updates;
	do {
		json_t *body = NULL, *items, *it;
		char q[96];
		size_t i, got = 0;

		snprintf(q, sizeof(q), "/jobs?offset=%ld&limit=%d", offset, LIST_PAGE);
		if ((rc = client_call(c, "GET", q, &body, NULL)) != CTL_EXIT_OK)
			goto out;
		if ((items = cmd_items(body, "GET /jobs")) == NULL) {
			json_decref(body);
			rc = CTL_EXIT_API;
			goto out;
		}
		json_array_foreach(items, i, it)
			(void)jobwatch_update(w, it);
		offset += (long)json_array_size(items);
		total = (long)json_integer_value(json_object_get(json_object_get(body, "data"),
		    "total_affected_items"));
		if (json_array_size(items) == 0)
			total = 0;
		json_decref(body);
		for (k = 0; k < w->n; k++)
			got += w->j[k].done || w->j[k].updates != before[k];
		if (got == w->n)
			break;
	} while (offset < total);
	for (k = 0; k < w->n; k++)
		if (!w->j[k].done && w->j[k].updates == before[k] &&
		    (rc = poll_one(c, w, w->j[k].id)) != CTL_EXIT_OK)
			goto out;
out:
	free(before);
	return rc;
}

/* show: the progress, as a redrawn bar on a terminal or a plain line otherwise. */
static void
show(const struct jobwatch *w, double elapsed, int tty, int final)
{
	long long counts[JW_NSTATES], total;
	char bar[128], rest[160];

	jobwatch_sum(w, counts, &total);
	progress_bar(bar, sizeof(bar), (size_t)counts[JW_COMPLETED], (size_t)total, 30);
	progress_counts(rest, sizeof(rest), counts);
	if (tty)
		fprintf(stderr, "\r\033[K%s  %s  %.0fs%s", bar, rest, elapsed, final ? "\n" : "");
	else
		fprintf(stderr, "vigilctl: %lld/%lld agents completed, %s (%.0f s)\n",
		    counts[JW_COMPLETED], total, rest, elapsed);
	fflush(stderr);
}

/* job_names: "job 12" or "jobs 12, 13, 14" into buf. */
static void
job_names(const struct jobwatch *w, char *buf, size_t cap)
{
	size_t k, o;
	int n = snprintf(buf, cap, "job%s ", w->n == 1 ? "" : "s");

	o = n > 0 ? (size_t)n : 0;
	for (k = 0; k < w->n && o < cap; k++) {
		n = snprintf(buf + o, cap - o, "%s%llu", k ? ", " : "", w->j[k].id);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* print_left: the agents of w's jobs that have not completed, as a table; exit code. */
static int
print_left(struct client *c, const struct jobwatch *w)
{
	static const char *const heads[] = { "AGENT", "JOB", "STATE", "NODE", "SENDS", "CODE" };
	static const char *const fields[] = { "id", NULL, "state", "node", "sends", "code" };
	struct table *t;
	size_t k, i, col;
	int rc = CTL_EXIT_OK, several = w->n > 1;
	const char *hp[6];

	for (col = 0, i = 0; i < 6; i++)
		if (i != 1 || several)
			hp[col++] = heads[i];
	if ((t = table_new(col, hp)) == NULL)
		return CTL_EXIT_API;
	for (k = 0; k < w->n && rc == CTL_EXIT_OK; k++) {
		json_t *j = NULL, *a;
		char jid[32];

		if (w->j[k].seen && w->j[k].counts[JW_COMPLETED] == w->j[k].total)
			continue;
		if ((rc = job_fetch(c, w->j[k].id, LEFT_STATES, &j)) != CTL_EXIT_OK)
			break;
		snprintf(jid, sizeof(jid), "%llu", w->j[k].id);
		json_array_foreach(json_object_get(json_object_get(j, "agents"), "affected_items"),
		    i, a) {
			char bufs[6][128];
			const char *cells[6];
			size_t f;

			for (col = 0, f = 0; f < 6; f++) {
				if (f == 1 && !several)
					continue;
				cells[col++] = f == 1 ? jid : cmd_cell(a, fields[f], bufs[f],
				    sizeof(bufs[f]));
			}
			(void)table_add(t, cells);
		}
		json_decref(j);
	}
	table_print(t, stdout);
	table_free(t);
	return rc;
}

int
cmd_jobs_wait(struct client *c, const unsigned long long *ids, size_t n, int list_left)
{
	struct jobwatch w;
	long long counts[JW_NSTATES], total, last_done = -1;
	double start = now_mono(), last_line = -1e9, el;
	int tty = isatty(STDERR_FILENO), rc = CTL_EXIT_OK, warned = 0, outcome = JW_RUNNING;
	const char *verb;
	char names[256];

	if (jobwatch_init(&w, ids, n) == -1)
		return CTL_EXIT_API;
	for (;;) {
		c->quiet_net = 1;
		rc = poll_jobs(c, &w);
		c->quiet_net = 0;
		if (interrupted) {
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
		if ((outcome = jobwatch_outcome(&w)) != JW_RUNNING || el >= c->o->timeout)
			break;
		jobwatch_sum(&w, counts, &total);
		if (tty || counts[JW_COMPLETED] != last_done || el - last_line >= PLAIN_EVERY) {
			show(&w, el, tty, 0);
			last_done = counts[JW_COMPLETED];
			last_line = el;
		}
		usleep(POLL_MS * 1000);
		if (interrupted)
			break;
	}
	if (interrupted) {
		/* the summary so far: one more look (the wait may not have had one yet) */
		c->quiet_net = 1;
		(void)poll_jobs(c, &w);
		c->quiet_net = 0;
		outcome = jobwatch_outcome(&w);
	}
	el = now_mono() - start;
	show(&w, el, tty, 1);
	jobwatch_sum(&w, counts, &total);
	job_names(&w, names, sizeof(names));
	verb = w.n > 0 && strcmp(w.j[0].command, "reconnect") == 0 ? "reconnected" : "restarted";
	if (outcome == JW_COMPLETED_ALL) {
		printf("All %lld agent%s %s after %.0f s (%s).\n", total, total == 1 ? "" : "s",
		    verb, el, names);
		goto out;
	}
	if (interrupted && outcome != JW_INCOMPLETE) {
		printf("Interrupted after %.0f s; %lld of %lld agents have not completed yet (%s):\n",
		    el, total - counts[JW_COMPLETED], total, names);
		rc = CTL_EXIT_INTERRUPTED;
	} else if (outcome == JW_INCOMPLETE) {
		printf("%lld of %lld agents were not %s (%s):\n", total - counts[JW_COMPLETED], total,
		    verb, names);
		rc = CTL_EXIT_INCOMPLETE;
	} else {
		printf("%lld of %lld agents had not completed within %.0f s (%s):\n",
		    total - counts[JW_COMPLETED], total, c->o->timeout, names);
		rc = CTL_EXIT_TIMEOUT;
	}
	if (list_left) {
		int prc;

		c->quiet_net = 1;
		prc = print_left(c, &w);
		c->quiet_net = 0;
		if (prc == CTL_EXIT_CONN)
			fprintf(stderr, "vigilctl: cannot list them: %s\n", c->last_err);
	}
out:
	jobwatch_free(&w);
	return rc;
}
