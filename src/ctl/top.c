/* top.c — vigilctl top's view: the API's answers drawn as lines of a given width (pure). */
#include "ctl/top.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/progress.h"
#include "ctl/table.h"

#define TOP_MAX_COUNT (1LL << 40)   /* a count beyond any fleet: a malformed answer */
#define TOP_INDENT "    "           /* a job's bar and counts, under its row */

/* The agent statuses the view counts, in its columns' order. */
enum { TS_ACTIVE, TS_DISCONNECTED, TS_PENDING, TS_NEVER, TS_N };

static const char *const status_names[TS_N] = { "active", "disconnected", "pending",
	"never_connected" };

/* One row of the nodes table: a node, or a node name only the agents give. */
struct node_row {
	const char *name, *type, *version;
	long long c[TS_N];
};

void
top_lines_free(struct top_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

/* lines_take: s (malloc'ed, now l's) as the next line; 0 / -1 (s freed). */
static int
lines_take(struct top_lines *l, char *s)
{
	if (s == NULL)
		return -1;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		char **p = realloc(l->line, ncap * sizeof(*p));

		if (p == NULL) {
			free(s);
			return -1;
		}
		l->line = p;
		l->cap = ncap;
	}
	l->line[l->n++] = s;
	return 0;
}

static int lines_addf(struct top_lines *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
lines_addf(struct top_lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n == -1 ? -1 : lines_take(l, s);
}

/* table_lines: t as table_print draws it, one line each into l; 0 / -1. */
static int
table_lines(const struct table *t, struct top_lines *l)
{
	char *text = NULL, *p, *nl;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	table_print(t, f);
	if (fclose(f) == EOF) {
		free(text);
		return -1;
	}
	for (p = text; rc == 0 && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		rc = lines_take(l, strndup(p, (size_t)(nl - p)));
	free(text);
	return rc;
}

void
top_clip(char *s, size_t width)
{
	size_t chars = 0;
	char *p;

	for (p = s; *p; p++) {
		if ((unsigned char)*p < 32 || (unsigned char)*p == 127)
			*p = '?';
		if (((unsigned char)*p & 0xC0) != 0x80 && width > 0 && chars++ == width) {
			*p = '\0';
			return;
		}
	}
}

/* count_of: a count the API gives (an integer in 0..TOP_MAX_COUNT), or -1. */
static long long
count_of(const json_t *v)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > TOP_MAX_COUNT)
		return -1;
	return (long long)json_integer_value(v);
}

/* row_of: the row of node name, added (with no type nor version) when there is none. */
static struct node_row *
row_of(struct node_row **rows, size_t *n, size_t *cap, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*rows)[i].name, name) == 0)
			return &(*rows)[i];
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct node_row *p = realloc(*rows, ncap * sizeof(*p));

		if (p == NULL)
			return NULL;
		*rows = p;
		*cap = ncap;
	}
	memset(&(*rows)[*n], 0, sizeof(**rows));
	(*rows)[*n].name = name;
	return &(*rows)[(*n)++];
}

/* render_nodes: the agents' summary line and the nodes table; 0 / -1. */
static int
render_nodes(const struct top_input *in, struct top_lines *out)
{
	static const char *const heads[] = { "NODE", "TYPE", "VERSION", "ACTIVE", "DISCONNECTED",
		"PENDING", "NEVER CONNECTED" };
	struct node_row *rows = NULL, *r;
	long long sum[TS_N] = { 0 }, total = 0;
	struct table *t = NULL;
	size_t n = 0, cap = 0, i;
	const json_t *it;
	int rc = -1, s;

	json_array_foreach(in->nodes, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));

		if (name == NULL)
			continue;
		if ((r = row_of(&rows, &n, &cap, name)) == NULL)
			goto out;
		r->type = json_string_value(json_object_get(it, "type"));
		r->version = json_string_value(json_object_get(it, "version"));
	}
	json_array_foreach(in->agents, i, it) {
		const char *name = json_string_value(json_object_get(it, "node_name"));
		const char *status = json_string_value(json_object_get(it, "status"));
		long long count = count_of(json_object_get(it, "count"));

		if (status == NULL || count < 0)
			continue;
		total += count;
		for (s = 0; s < TS_N && strcmp(status, status_names[s]) != 0; s++)
			;
		if (s == TS_N)
			continue;       /* in the total, in no column */
		if ((r = row_of(&rows, &n, &cap, name != NULL ? name : "unknown")) == NULL)
			goto out;
		r->c[s] += count;
		sum[s] += count;
	}
	if (lines_addf(out, "Agents: %lld (%lld active, %lld disconnected, %lld pending, %lld "
	    "never connected)", total, sum[TS_ACTIVE], sum[TS_DISCONNECTED], sum[TS_PENDING],
	    sum[TS_NEVER]) == -1 || lines_addf(out, "%s", "") == -1)
		goto out;
	if ((t = table_new(sizeof(heads) / sizeof(heads[0]), heads)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		char num[TS_N][24];
		const char *cells[3 + TS_N];

		cells[0] = rows[i].name;
		cells[1] = rows[i].type;
		cells[2] = rows[i].version;
		for (s = 0; s < TS_N; s++) {
			snprintf(num[s], sizeof(num[s]), "%lld", rows[i].c[s]);
			cells[3 + s] = num[s];
		}
		if (table_add(t, cells) == -1)
			goto out;
	}
	rc = table_lines(t, out);
out:
	table_free(t);
	free(rows);
	return rc;
}

/* One job of the view, its counts checked (jobwatch_update). */
struct job_row {
	struct jobwatch w;
	const json_t *j;
};

/* job_extra: the lines under a job's row: its progress bar (fitted to width) and its counts. */
static int
job_extra(const struct job_row *jr, size_t width, struct top_lines *out)
{
	const struct jobwatch_job *j = &jr->w.j[0];
	size_t done = (size_t)j->counts[JW_COMPLETED], total = (size_t)j->total, barw = 30, rest;
	char bar[TOP_BAR_MAX + 96], counts[256];

	if (width > 0) {
		/* the text after the bar, measured on a bar one character wide ("[#]") */
		progress_bar(bar, sizeof(bar), done, total, 1);
		rest = strlen(TOP_INDENT) + strlen(bar) - 1;
		barw = width > rest + TOP_BAR_MIN ? width - rest : TOP_BAR_MIN;
		if (barw > TOP_BAR_MAX)
			barw = TOP_BAR_MAX;
	}
	progress_bar(bar, sizeof(bar), done, total, (int)barw);
	progress_counts(counts, sizeof(counts), j->counts);
	if (lines_addf(out, TOP_INDENT "%s", bar) == -1 ||
	    lines_addf(out, TOP_INDENT "%s", counts) == -1)
		return -1;
	return 0;
}

/* render_jobs: the jobs' line and table, each job's row followed by its bar and counts. */
static int
render_jobs(const struct top_input *in, size_t width, struct top_lines *out)
{
	static const char *const heads[] = { "ID", "KIND", "SCOPE", "STATUS", "TOTAL",
		"IN FLIGHT" };
	struct top_lines tl = { 0 };
	struct job_row *rows = NULL;
	struct table *t = NULL;
	size_t n = 0, i, running = 0, cancelling = 0;
	const json_t *it;
	int rc = -1;

	if (json_array_size(in->jobs) > 0 &&
	    (rows = calloc(json_array_size(in->jobs), sizeof(*rows))) == NULL)
		return -1;
	json_array_foreach(in->jobs, i, it) {
		const json_t *id = json_object_get(it, "id");
		unsigned long long v;
		const char *status;

		if (!json_is_integer(id) || json_integer_value(id) <= 0)
			continue;
		v = (unsigned long long)json_integer_value(id);
		if (jobwatch_init(&rows[n].w, &v, 1) == -1)
			goto out;
		if (jobwatch_update(&rows[n].w, it) != 1) {
			jobwatch_free(&rows[n].w);
			continue;
		}
		rows[n++].j = it;
		status = json_string_value(json_object_get(it, "status"));
		running += strcmp(status, "running") == 0;
		cancelling += strcmp(status, "cancelling") == 0;
	}
	if (n == 0) {
		rc = lines_addf(out, "Jobs: none running");
		goto out;
	}
	if ((cancelling > 0 ? lines_addf(out, "Jobs: %zu running, %zu cancelling", running,
	    cancelling) : lines_addf(out, "Jobs: %zu running", running)) == -1)
		goto out;
	if ((t = table_new(sizeof(heads) / sizeof(heads[0]), heads)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const json_t *j = rows[i].j;
		char id[24], total[24], infl[24], scope[TOP_SCOPE_SHOWN * 4 + 4] = "";
		const char *cells[6], *sc = json_string_value(json_object_get(j, "scope"));
		long long f = count_of(json_object_get(j, "in_flight"));

		snprintf(id, sizeof(id), "%llu", rows[i].w.j[0].id);
		snprintf(total, sizeof(total), "%lld", rows[i].w.j[0].total);
		snprintf(infl, sizeof(infl), "%lld", f);
		if (sc != NULL) {
			snprintf(scope, sizeof(scope), "%s", sc);
			if (table_width(sc) > TOP_SCOPE_SHOWN) {
				top_clip(scope, TOP_SCOPE_SHOWN - 3);
				snprintf(scope + strlen(scope), sizeof(scope) - strlen(scope), "...");
			}
		}
		cells[0] = id;
		cells[1] = rows[i].w.j[0].command;
		cells[2] = sc != NULL ? scope : NULL;
		cells[3] = json_string_value(json_object_get(j, "status"));
		cells[4] = total;
		cells[5] = f >= 0 ? infl : NULL;
		if (table_add(t, cells) == -1)
			goto out;
	}
	if (table_lines(t, &tl) == -1 || tl.n != n + 1)
		goto out;
	for (i = 0; i < tl.n; i++) {
		if (lines_take(out, tl.line[i]) == -1) {
			tl.line[i] = NULL;
			goto out;
		}
		tl.line[i] = NULL;
		if (i > 0 && job_extra(&rows[i - 1], width, out) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < tl.n; i++)
		free(tl.line[i]);
	free(tl.line);
	table_free(t);
	for (i = 0; i < n; i++)
		jobwatch_free(&rows[i].w);
	free(rows);
	return rc;
}

int
top_render(const struct top_input *in, size_t width, size_t height, struct top_lines *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((in->head != NULL && lines_addf(out, "%s", in->head) == -1) ||
	    (in->note != NULL && lines_addf(out, "%s", in->note) == -1) ||
	    ((in->head != NULL || in->note != NULL) && lines_addf(out, "%s", "") == -1) ||
	    render_nodes(in, out) == -1 || lines_addf(out, "%s", "") == -1 ||
	    render_jobs(in, width, out) == -1)
		return -1;
	if (height > 0 && out->n > height) {
		size_t more = out->n - (height - 1);

		for (i = height - 1; i < out->n; i++)
			free(out->line[i]);
		out->n = height - 1;
		if (lines_addf(out, "... %zu more line%s (a taller terminal shows them)", more,
		    more == 1 ? "" : "s") == -1)
			return -1;
	}
	for (i = 0; i < out->n; i++)
		top_clip(out->line[i], width);
	return 0;
}
