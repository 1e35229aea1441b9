/* cmd_agents.c — vigilctl agents list | restart [--wait] (the restart is a job: cmd_jobs.c). */
#include "ctl/cmd.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/table.h"

#define IDS_PER_CALL  500       /* agent ids per request (keeps URLs short); a job each */

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

/*
 * The merged result of one restart: several requests (and so several jobs)
 * when many ids are given.
 */
struct restart_result {
	json_t *affected;           /* array of id strings */
	json_t *failed;             /* array of Wazuh failed items */
	unsigned long long *jobs;   /* X-Vigil-Job of each answer that has one */
	size_t *job_agents;         /* the agents each of those answers affected */
	size_t njobs;
	size_t untracked;           /* agents affected by answers without a job (not Vigil) */
};

/* restart_merge: one answer's data and job into res; -1 when out of memory. */
static int
restart_merge(struct restart_result *res, json_t *body, const struct http_head *h)
{
	json_t *data = json_object_get(body, "data"), *v;
	size_t i, before = json_array_size(res->affected), n;
	unsigned long long id;
	char *end;

	json_array_foreach(json_object_get(data, "affected_items"), i, v)
		json_array_append(res->affected, v);
	json_array_foreach(json_object_get(data, "failed_items"), i, v)
		json_array_append(res->failed, v);
	n = json_array_size(res->affected) - before;
	id = strtoull(h->vigil_job, &end, 10);
	if (h->vigil_job[0] == '\0' || *end != '\0' || id == 0) {
		res->untracked += n;
		return 0;
	}
	{
		unsigned long long *j = reallocarray(res->jobs, res->njobs + 1, sizeof(*j));
		size_t *a;

		if (j == NULL)
			return -1;
		res->jobs = j;
		if ((a = reallocarray(res->job_agents, res->njobs + 1, sizeof(*a))) == NULL)
			return -1;
		res->job_agents = a;
	}
	res->jobs[res->njobs] = id;
	res->job_agents[res->njobs++] = n;
	return 0;
}

/* restart_options: Vigil's job options of the command line onto the query q. */
static void
restart_options(const struct ctl_opts *o, struct sbuf *q)
{
	char num[32];

	if (o->max_in_flight >= 0) {
		snprintf(num, sizeof(num), "%ld", o->max_in_flight);
		sb_param(q, "max_in_flight", num);
	}
	if (o->rate >= 0) {
		snprintf(num, sizeof(num), "%ld", o->rate);
		sb_param(q, "rate", num);
	}
	if (o->expires_in >= 0) {
		snprintf(num, sizeof(num), "%ld", o->expires_in);
		sb_param(q, "expires_in", num);
	}
	if (o->queue)
		sb_param(q, "queue", "true");
}

/* restart_call: one PUT into res; exit code. */
static int
restart_call(struct client *c, struct sbuf *q, struct restart_result *res)
{
	struct http_head h;
	json_t *body = NULL;
	int rc;

	restart_options(c->o, q);
	if (q->oom) {
		free(q->s);
		return CTL_EXIT_API;
	}
	rc = client_call_head(c, "PUT", q->s, &body, &h);
	free(q->s);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (restart_merge(res, body, &h) == -1)
		rc = CTL_EXIT_API;
	json_decref(body);
	return rc;
}

/* restart_send: the restart request(s) for the command line's target; exit code. */
static int
restart_send(struct client *c, struct restart_result *res)
{
	const struct ctl_opts *o = c->o;
	size_t i, k;
	int rc;

	if (o->nids == 0) {
		struct sbuf q = { 0 };

		if (o->all)
			sb_add(&q, "/agents/restart");
		else {
			sb_add(&q, o->node ? "/agents/node/" : "/agents/group/");
			sb_add(&q, o->node ? o->node : o->group);     /* checked by opts_name_ok */
			sb_add(&q, "/restart");
		}
		return restart_call(c, &q, res);
	}
	for (i = 0; i < o->nids; i += IDS_PER_CALL) {
		struct sbuf q = { 0 };

		sb_add(&q, "/agents/restart?agents_list=");
		for (k = i; k < o->nids && k < i + IDS_PER_CALL; k++) {
			if (k > i)
				sb_add(&q, ",");
			sb_add(&q, o->ids[k]);
		}
		if ((rc = restart_call(c, &q, res)) != CTL_EXIT_OK)
			return rc;
	}
	return CTL_EXIT_OK;
}

/* restart_report: the jobs and what failed; returns how many agents failed. */
static size_t
restart_report(const struct restart_result *res)
{
	struct table *t = NULL;
	size_t i, k, nfailed = 0;
	json_t *f, *id;
	static const char *const heads[] = { "AGENT", "CODE", "ERROR" };

	for (i = 0; i < res->njobs; i++)
		printf("Job %llu: restart of %zu agent%s.\n", res->jobs[i], res->job_agents[i],
		    res->job_agents[i] == 1 ? "" : "s");
	if (res->untracked > 0)
		printf("Restart command sent to %zu agent%s (the server names no job).\n",
		    res->untracked, res->untracked == 1 ? "" : "s");
	if (json_array_size(res->affected) == 0)
		printf("No agent to restart.\n");
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
	printf("Not restarted, %zu agent%s:\n", nfailed, nfailed == 1 ? "" : "s");
	table_print(t, stdout);
	table_free(t);
	return nfailed;
}

int
cmd_agents_restart(struct client *c)
{
	struct restart_result res = { json_array(), json_array(), NULL, NULL, 0, 0 };
	struct sigaction old_sa;
	size_t nfailed;
	int rc;

	if (res.affected == NULL || res.failed == NULL) {
		rc = CTL_EXIT_API;
		goto out;
	}
	if ((rc = restart_send(c, &res)) != CTL_EXIT_OK)
		goto out;
	if (c->o->json) {
		json_t *data, *f, *jobs = json_array();
		size_t i, nids = 0;

		json_array_foreach(res.failed, i, f)
			nids += json_array_size(json_object_get(f, "id"));
		for (i = 0; jobs != NULL && i < res.njobs; i++)
			json_array_append_new(jobs, json_integer((json_int_t)res.jobs[i]));
		data = json_pack("{s:O, s:I, s:I, s:O, s:o}", "affected_items", res.affected,
		    "total_affected_items", (json_int_t)json_array_size(res.affected),
		    "total_failed_items", (json_int_t)nids,
		    "failed_items", res.failed, "jobs", jobs);

		cmd_print_json(data);
		json_decref(data);
		rc = json_array_size(res.failed) > 0 ? CTL_EXIT_API : CTL_EXIT_OK;
		goto out;
	}
	/* From here on Ctrl-C ends the wait with the summary so far. */
	if (c->o->wait)
		cmd_sigint_catch(&old_sa);
	nfailed = restart_report(&res);
	fflush(stdout);
	if (c->o->wait) {
		if (res.untracked > 0) {
			fprintf(stderr, "vigilctl: --wait follows Vigil's restart jobs: the server "
			    "named none for %zu agent%s (is it a Vigil server?)\n", res.untracked,
			    res.untracked == 1 ? "" : "s");
			rc = CTL_EXIT_API;
		} else if (res.njobs > 0)
			rc = cmd_jobs_wait(c, res.jobs, res.njobs, 1);
		cmd_sigint_restore(&old_sa);
	}
	if (rc == CTL_EXIT_OK && nfailed > 0)
		rc = CTL_EXIT_API;
out:
	json_decref(res.affected);
	json_decref(res.failed);
	free(res.jobs);
	free(res.job_agents);
	return rc;
}
