/* cmd_top.c — vigilctl top: the nodes, the agents by status and the running jobs, live. */
#include "ctl/cmd.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/term.h"
#include "ctl/top.h"

#define TOP_JOBS_LIMIT 100      /* running jobs read per refresh (and as many cancelling) */

/* What the last refresh read: the items of the API's answers (ours). */
struct snap {
	json_t *nodes, *agents, *jobs;
	long long jobs_total;       /* running and cancelling jobs, listed or not */
	time_t when;                /* when they were read */
	int standalone;             /* the node runs no cluster: nodes from /cluster/local/info */
};

static void
snap_free(struct snap *s)
{
	json_decref(s->nodes);
	json_decref(s->agents);
	json_decref(s->jobs);
	memset(s, 0, sizeof(*s));
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * get_data: GET target's data object into *data (the caller's).  On failure
 * the exit code, with the reason in err and the API's error code (3013...) in
 * *code when it answered.
 */
static int
get_data(struct client *c, const char *target, json_t **data, int *code, char *err,
    size_t errcap)
{
	json_t *body = NULL;
	char why[512];
	int rc, status;

	*data = NULL;
	*code = 0;
	if ((rc = client_send(c, "GET", target, NULL, &status, &body)) == CTL_EXIT_CONN) {
		snprintf(err, errcap, "%s", c->last_err);
		goto out;
	}
	if (rc == CTL_EXIT_OK && status != 200)
		rc = CTL_EXIT_API;
	if (rc != CTL_EXIT_OK) {
		client_problem(body, why, sizeof(why));
		snprintf(err, errcap, "GET %s: HTTP %d: %s", target, status, why);
		*code = (int)json_integer_value(json_object_get(body, "error"));
		goto out;
	}
	if (!json_is_object(json_object_get(body, "data"))) {
		snprintf(err, errcap, "GET %s: the answer has no data", target);
		rc = CTL_EXIT_API;
		goto out;
	}
	*data = json_incref(json_object_get(body, "data"));
out:
	json_decref(body);
	return rc;
}

/* get_items: as get_data, data.affected_items into *items, total_affected_items into *total. */
static int
get_items(struct client *c, const char *target, json_t **items, long long *total, int *code,
    char *err, size_t errcap)
{
	json_t *data;
	int rc;

	*items = NULL;
	if ((rc = get_data(c, target, &data, code, err, errcap)) != CTL_EXIT_OK)
		return rc;
	if (!json_is_array(json_object_get(data, "affected_items"))) {
		snprintf(err, errcap, "GET %s: the answer has no affected_items", target);
		json_decref(data);
		return CTL_EXIT_API;
	}
	*items = json_incref(json_object_get(data, "affected_items"));
	if (total != NULL)
		*total = (long long)json_integer_value(json_object_get(data, "total_affected_items"));
	json_decref(data);
	return CTL_EXIT_OK;
}

/*
 * standalone_nodes: a node without a cluster as the one node of the view:
 * its name and type (GET /cluster/local/info) and version (GET /).
 */
static int
standalone_nodes(struct client *c, json_t **nodes, char *err, size_t errcap)
{
	json_t *info = NULL, *api = NULL, *one;
	int rc, code;

	if ((rc = get_items(c, "/cluster/local/info", &info, NULL, &code, err, errcap)) !=
	    CTL_EXIT_OK || (rc = get_data(c, "/", &api, &code, err, errcap)) != CTL_EXIT_OK)
		goto out;
	one = json_array_get(info, 0);
	if ((*nodes = json_pack("[{s:O?, s:O?, s:O?}]", "name", json_object_get(one, "node"),
	    "type", json_object_get(one, "type"), "version", json_object_get(api,
	    "api_version"))) == NULL) {
		snprintf(err, errcap, "GET /cluster/local/info: malformed answer");
		rc = CTL_EXIT_API;
	}
out:
	json_decref(info);
	json_decref(api);
	return rc;
}

/*
 * fetch: one refresh into s (left as it was on failure): the nodes (GET
 * /cluster/nodes; on a node without a cluster, GET /cluster/local/info and GET /
 * once),
 * the agents by node and status (GET /agents/stats/distinct, 000 left out as
 * GET /agents/summary/status does), the running and the cancelling jobs (GET
 * /jobs twice: status takes one value).  Four requests, three without a
 * cluster: vigilctl(1) says so.  Exit code, with the reason in err.
 */
static int
fetch(struct client *c, struct snap *s, char *err, size_t errcap)
{
	json_t *nodes = NULL, *agents = NULL, *jobs = NULL, *more = NULL;
	char running[64], cancelling[64];
	long long t1 = 0, t2 = 0;
	int rc = CTL_EXIT_OK, code;

	if (!s->standalone) {
		rc = get_items(c, "/cluster/nodes?limit=100000", &nodes, NULL, &code, err, errcap);
		if (rc == CTL_EXIT_API && code == 3013)
			s->standalone = 1;
		else if (rc != CTL_EXIT_OK)
			goto out;
	}
	if (s->standalone && s->nodes != NULL)
		nodes = json_incref(s->nodes);
	else if (s->standalone && (rc = standalone_nodes(c, &nodes, err, errcap)) != CTL_EXIT_OK)
		goto out;
	snprintf(running, sizeof(running), "/jobs?status=running&limit=%d", TOP_JOBS_LIMIT);
	snprintf(cancelling, sizeof(cancelling), "/jobs?status=cancelling&limit=%d",
	    TOP_JOBS_LIMIT);
	if ((rc = get_items(c, "/agents/stats/distinct?fields=node_name,status&q=id%21%3D000"
	    "&limit=100000", &agents, NULL, &code, err, errcap)) != CTL_EXIT_OK ||
	    (rc = get_items(c, running, &jobs, &t1, &code, err, errcap)) != CTL_EXIT_OK ||
	    (rc = get_items(c, cancelling, &more, &t2, &code, err, errcap)) != CTL_EXIT_OK)
		goto out;
	if (json_array_extend(jobs, more) == -1) {
		snprintf(err, errcap, "out of memory");
		rc = CTL_EXIT_API;
		goto out;
	}
	json_decref(s->nodes);
	json_decref(s->agents);
	json_decref(s->jobs);
	s->nodes = nodes;
	s->agents = agents;
	s->jobs = jobs;
	nodes = agents = jobs = NULL;
	s->jobs_total = t1 + t2;
	s->when = time(NULL);
out:
	json_decref(nodes);
	json_decref(agents);
	json_decref(jobs);
	json_decref(more);
	return rc;
}

/* hms: t as HH:MM:SS (local time) into buf. */
static const char *
hms(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%H:%M:%S", &tm) == 0)
		snprintf(buf, cap, "?");
	return buf;
}

/* render: s as lines (width, height: 0 for no limit); 0 / -1. */
static int
render(struct client *c, const struct snap *s, const char *note, int live, size_t width,
    size_t height, struct top_lines *l)
{
	struct top_input in;
	char head[1024], when[16], more[64] = "";

	if (s->jobs_total > (long long)json_array_size(s->jobs))
		snprintf(more, sizeof(more), " (%lld jobs running, the newest shown)",
		    s->jobs_total);
	if (live)
		snprintf(head, sizeof(head), "vigilctl top: %s as %s, every %ld s, at %s%s; q quits",
		    c->conf.url, c->conf.user, c->o->interval, hms(s->when, when, sizeof(when)),
		    more);
	else
		snprintf(head, sizeof(head), "vigilctl top: %s as %s, at %s%s", c->conf.url,
		    c->conf.user, hms(s->when, when, sizeof(when)), more);
	in.nodes = s->nodes;
	in.agents = s->agents;
	in.jobs = s->jobs;
	in.head = head;
	in.note = note[0] ? note : NULL;
	return top_render(&in, width, height, l);
}

/*
 * draw: the view over the whole screen, from its top left corner: each line
 * cleared to its end, the rest of the screen cleared, in one write.  Lines
 * are one character narrower than the screen (a full line would leave the
 * cursor waiting to wrap, and the clearing would take its last character).
 */
static void
draw(struct client *c, const struct snap *s, const char *note)
{
	struct top_lines l;
	size_t cols = 80, rows = 24, i, len = 0;
	char *buf = NULL;
	FILE *f;

	(void)term_size(STDOUT_FILENO, &cols, &rows);
	if (render(c, s, note, 1, cols > 1 ? cols - 1 : 1, rows, &l) == -1 ||
	    (f = open_memstream(&buf, &len)) == NULL) {
		top_lines_free(&l);
		return;
	}
	fputs("\033[H", f);
	for (i = 0; i < l.n; i++)
		fprintf(f, "%s\033[K%s", l.line[i], i + 1 < l.n ? "\r\n" : "");
	fputs("\033[J", f);
	if (fclose(f) == 0)
		(void)term_draw(buf, len);
	free(buf);
	top_lines_free(&l);
}

enum { KEY_TIMEOUT, KEY_QUIT, KEY_SIGNAL };

/* wait_key: until the deadline (now_mono), a 'q', the end of the input, or a signal. */
static int
wait_key(double deadline)
{
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		double left = deadline - now_mono();
		char buf[64];
		ssize_t n, i;
		int rc;

		if (left <= 0)
			return KEY_TIMEOUT;
		if ((rc = poll(&p, 1, (int)(left * 1000) + 1)) == -1)
			return errno == EINTR ? KEY_SIGNAL : KEY_QUIT;
		if (rc == 0)
			return KEY_TIMEOUT;
		if ((n = read(STDIN_FILENO, buf, sizeof(buf))) == -1)
			return errno == EINTR ? KEY_SIGNAL : KEY_QUIT;
		if (n == 0)
			return KEY_QUIT;        /* the terminal hung up */
		for (i = 0; i < n; i++)
			if (buf[i] == 'q' || buf[i] == 'Q')
				return KEY_QUIT;
	}
}

/* print_once: the view as plain lines on stdout, as wide as the terminal when it is one. */
static int
print_once(struct client *c, const struct snap *s)
{
	struct top_lines l;
	size_t cols = 0, rows = 0, i;

	if (isatty(STDOUT_FILENO) && term_size(STDOUT_FILENO, &cols, &rows) == -1)
		cols = 0;
	if (render(c, s, "", 0, cols, 0, &l) == -1) {
		top_lines_free(&l);
		fprintf(stderr, "vigilctl: out of memory\n");
		return CTL_EXIT_API;
	}
	for (i = 0; i < l.n; i++)
		printf("%s\n", l.line[i]);
	top_lines_free(&l);
	return CTL_EXIT_OK;
}

int
cmd_top(struct client *c)
{
	struct snap s = { 0 };
	char err[1024] = "", note[1200] = "", t1[16], t2[16];
	double next;
	int rc, k, sig;

	c->quiet_net = 1;           /* connection errors are ours to show */
	if ((rc = fetch(c, &s, err, sizeof(err))) != CTL_EXIT_OK) {
		if (rc != CTL_EXIT_AUTH)        /* client_send has said why */
			fprintf(stderr, "vigilctl: %s\n", err);
		goto out;
	}
	if (c->o->once || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		rc = print_once(c, &s);
		goto out;
	}
	if (term_enter() == -1) {
		fprintf(stderr, "vigilctl: cannot set the terminal's modes (%s): one view only\n",
		    strerror(errno));
		rc = print_once(c, &s);
		goto out;
	}
	next = now_mono() + (double)c->o->interval;
	for (;;) {
		draw(c, &s, note);
		k = wait_key(next);
		if (k == KEY_QUIT || term_stop_signal())
			break;
		if (k != KEY_TIMEOUT)
			continue;       /* resized, or continued: drawn again */
		rc = fetch(c, &s, err, sizeof(err));
		next = now_mono() + (double)c->o->interval;
		if (term_stop_signal() || rc == CTL_EXIT_AUTH)
			break;
		if (rc != CTL_EXIT_OK)
			snprintf(note, sizeof(note), "%s: %s; the view is from %s",
			    hms(time(NULL), t1, sizeof(t1)), err, hms(s.when, t2, sizeof(t2)));
		else
			note[0] = '\0';
		rc = CTL_EXIT_OK;
	}
	term_leave();
	if ((sig = term_stop_signal()) != 0)
		rc = sig == SIGINT ? CTL_EXIT_INTERRUPTED : 128 + sig;
	else if (rc == CTL_EXIT_AUTH)
		fprintf(stderr, "vigilctl: %s\n", err);
out:
	snap_free(&s);
	return rc;
}
