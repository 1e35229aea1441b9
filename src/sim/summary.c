/* summary.c — the simulator's JSON summary, polled by tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/keyfile.h"
#include "agent/mgrlist.h"
#include "lib/log.h"
#include "lib/procstat.h"
#include "sim/sim.h"

const char *
sim_state_name(enum sim_state s)
{
	switch (s) {
	case SIM_PENDING:
		return "pending";
	case SIM_ENROLLING:
		return "enrolling";
	case SIM_ENROLL_WAIT:
		return "enroll_wait";
	case SIM_CONNECTING:
		return "connecting";
	case SIM_HANDSHAKE:
		return "handshake";
	case SIM_ACTIVE:
		return "active";
	case SIM_RESTART_DUE:
		return "restart_due";
	case SIM_CLOSING:
		return "closing";
	case SIM_RESTARTING:
		return "restarting";
	case SIM_DISCONNECTED:
		return "disconnected";
	case SIM_STOPPED:
		return "stopped";
	}
	return "?";
}

enum sim_state
sim_agent_state(const struct sim_agent *ag)
{
	if (ag->state == SIM_CONNECTING && ag->ac != NULL && aconn_state(ag->ac) == ACONN_HANDSHAKE)
		return SIM_HANDSHAKE;
	return ag->state;
}

uint64_t
sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
sim_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
sim_percentiles(uint64_t *v, size_t n, uint64_t *p50, uint64_t *p99, uint64_t *max)
{
	*p50 = *p99 = *max = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), u64_cmp);
	/* nearest rank: the smallest value with at least p% of the values at or below it */
	*p50 = v[(n * 50 + 99) / 100 - 1];
	*p99 = v[(n * 99 + 99) / 100 - 1];
	*max = v[n - 1];
}

/* The first command at or after the mark, 0 when none. */
static uint64_t
first_cmd_since(const struct sim_agent *ag, uint64_t mark)
{
	unsigned int i;

	for (i = 0; i < ag->ncmd; i++)
		if (ag->cmd_us[i] >= mark)
			return ag->cmd_us[i];
	return 0;
}

/* {"count", "p50", "p99", "max"} in milliseconds (3 decimals) of n values in µs. */
static json_t *
latency_json(uint64_t *v, size_t n)
{
	uint64_t p50, p99, max;

	sim_percentiles(v, n, &p50, &p99, &max);
	return json_pack("{s:I, s:f, s:f, s:f}", "count", (json_int_t)n,
	    "p50", (double)p50 / 1000.0, "p99", (double)p99 / 1000.0, "max", (double)max / 1000.0);
}

/*
 * Latencies from the mark: when each agent got its first command after it,
 * and when those agents had a session up again after that command.
 */
static json_t *
latencies(const struct sim *s)
{
	uint64_t *cmd, *back, first;
	size_t ncmd = 0, nback = 0;
	unsigned int i;
	const struct sim_agent *ag;
	json_t *j;

	if (s->mark_us == 0)
		return json_null();
	cmd = calloc(s->o.agents + 1, sizeof(*cmd));
	back = calloc(s->o.agents + 1, sizeof(*back));
	if (cmd == NULL || back == NULL) {
		free(cmd);
		free(back);
		return NULL;
	}
	for (i = 0; i < s->o.agents; i++) {
		ag = &s->agents[i];
		if ((first = first_cmd_since(ag, s->mark_us)) == 0)
			continue;
		cmd[ncmd++] = first - s->mark_us;
		if (ag->up_us > first)
			back[nback++] = ag->up_us - s->mark_us;
	}
	j = json_pack("{s:I, s:o, s:o}", "mark_us", (json_int_t)s->mark_us,
	    "command_ms", latency_json(cmd, ncmd), "back_active_ms", latency_json(back, nback));
	free(cmd);
	free(back);
	return j;
}

/*
 * The summary.  Top level counts, then one object per agent.  A test checks
 * "every agent got exactly one restart and is back" with
 * min_restarts == max_restarts == 1 and back_after_restart == agents, or
 * per agent with restarts == 1 and back_after_restart.
 */
json_t *
sim_summary(const struct sim *s, int final, int brief)
{
	json_t *root, *list, *a, *vers;
	unsigned int i, enrolled = 0, connected = 0, active = 0, restarted = 0, back = 0;
	unsigned long long restarts = 0, reconnects = 0, commands = 0, sessions = 0, legacy = 0;
	unsigned long long process_starts = 0;
	unsigned int minr = 0, maxr = 0;
	char mgr[300];
	const struct sim_agent *ag;
	enum sim_state st;
	int is_back, v;
	long rss = procstat_rss_kb();

	if ((root = json_object()) == NULL || (list = json_array()) == NULL) {
		json_decref(root);
		return NULL;
	}
	for (i = 0; i < s->o.agents; i++) {
		ag = &s->agents[i];
		st = sim_agent_state(ag);
		enrolled += ag->has_key;
		connected += st == SIM_HANDSHAKE || st == SIM_ACTIVE;
		active += st == SIM_ACTIVE;
		restarts += ag->restarts;
		reconnects += ag->reconnects;
		commands += ag->commands;
		sessions += ag->sessions;
		process_starts += ag->process_starts;
		legacy += ag->legacy;
		restarted += ag->restarts > 0;
		if (i == 0 || ag->restarts < minr)
			minr = ag->restarts;
		if (ag->restarts > maxr)
			maxr = ag->restarts;
		is_back = ag->restarts > 0 && st == SIM_ACTIVE &&
		    ag->last_up_ms > ag->last_restart_ms;
		back += is_back;
		if (brief)
			continue;
		if (mgrlist_format(&s->o.managers[ag->mgr], mgr, sizeof(mgr)) == -1)
			mgr[0] = '\0';
		a = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
		    "s:b, s:s, s:s}",
		    "id", ag->has_key ? ag->key.id : "",
		    "name", ag->name,
		    "version", s->vers[ag->ver].version,
		    "state", sim_state_name(st),
		    "restarts", (json_int_t)ag->restarts,
		    "reconnects", (json_int_t)ag->reconnects,
		    "commands", (json_int_t)ag->commands,
		    "messages", (json_int_t)ag->messages,
		    "sessions", (json_int_t)ag->sessions,
		    "process_starts", (json_int_t)ag->process_starts,
		    "ignored", (json_int_t)ag->ignored,
		    "failures", (json_int_t)ag->failures,
		    "moves", (json_int_t)ag->moves,
		    "flaps", (json_int_t)ag->flaps,
		    "back_after_restart", is_back,
		    "manager", mgr,
		    "last_error", ag->last_error);
		if (a == NULL || json_array_append_new(list, a) == -1)
			goto err;
	}
	if (json_object_set_new(root, "agents", json_integer(s->o.agents)) == -1 ||
	    json_object_set_new(root, "enrolled", json_integer(enrolled)) == -1 ||
	    json_object_set_new(root, "connected", json_integer(connected)) == -1 ||
	    json_object_set_new(root, "active", json_integer(active)) == -1 ||
	    json_object_set_new(root, "restarts_received", json_integer((json_int_t)restarts)) == -1 ||
	    json_object_set_new(root, "agents_restarted", json_integer(restarted)) == -1 ||
	    json_object_set_new(root, "reconnects_received",
	        json_integer((json_int_t)reconnects)) == -1 ||
	    json_object_set_new(root, "back_after_restart", json_integer(back)) == -1 ||
	    json_object_set_new(root, "min_restarts", json_integer(minr)) == -1 ||
	    json_object_set_new(root, "max_restarts", json_integer(maxr)) == -1 ||
	    json_object_set_new(root, "commands_received", json_integer((json_int_t)commands)) == -1 ||
	    json_object_set_new(root, "sessions", json_integer((json_int_t)sessions)) == -1 ||
	    json_object_set_new(root, "process_starts",
	        json_integer((json_int_t)process_starts)) == -1 ||
	    json_object_set_new(root, "enroll_errors", json_integer(s->enroll_errors)) == -1 ||
	    json_object_set_new(root, "elapsed_ms",
	        json_integer((json_int_t)(sim_now_ms() - s->start_ms))) == -1 ||
	    json_object_set_new(root, "final", json_boolean(final)) == -1 ||
	    json_object_set_new(root, "legacy_restarts", json_integer((json_int_t)legacy)) == -1 ||
	    json_object_set_new(root, "moves", json_integer((json_int_t)s->moves)) == -1 ||
	    json_object_set_new(root, "flaps", json_integer((json_int_t)s->flaps)) == -1 ||
	    json_object_set_new(root, "rss_kb", json_integer(rss)) == -1 ||
	    json_object_set_new(root, "memory_per_agent_bytes", json_integer(rss < 0 ? -1 :
	        (json_int_t)(rss - s->rss_start_kb) * 1024 / (json_int_t)s->o.agents)) == -1 ||
	    json_object_set_new(root, "latency", latencies(s)) == -1)
		goto err;
	if ((vers = json_object()) == NULL || json_object_set_new(root, "versions", vers) == -1)
		goto err;
	for (v = 0; v < s->nvers; v++)
		if (json_object_set_new(vers, s->vers[v].version,
		    json_integer(s->vers[v].agents)) == -1)
			goto err;
	if (brief) {
		json_decref(list);
		return root;
	}
	/* steals list, also on failure */
	if (json_object_set_new(root, "agent_list", list) == -1) {
		json_decref(root);
		return NULL;
	}
	return root;
err:
	json_decref(list);
	json_decref(root);
	return NULL;
}

int
sim_summary_write(const char *path, json_t *j)
{
	char *text;
	int rc;

	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		return -1;
	rc = keyfile_write_atomic(path, text, strlen(text), 0644);
	free(text);
	return rc;
}

int
sim_agent_file(const struct sim *s, const char *path)
{
	char tmp[PATH_MAX + 8], mgr[300];
	const struct sim_agent *ag;
	unsigned int i, k;
	FILE *f;
	int n, bad;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp) || (f = fopen(tmp, "w")) == NULL)
		return -1;
	fputs("# idx\tid\tname\tversion\tmanager\tstate\tsessions\tprocess_starts\trestarts\t"
	    "commands\tlegacy\tmoves\tflaps\tfailures\tup_us\tcommand_us\n", f);
	for (i = 0; i < s->o.agents; i++) {
		ag = &s->agents[i];
		if (mgrlist_format(&s->o.managers[ag->mgr], mgr, sizeof(mgr)) == -1)
			mgr[0] = '\0';
		fprintf(f, "%u\t%s\t%s\t%s\t%s\t%s\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t%llu\t",
		    ag->idx, ag->has_key ? ag->key.id : "-", ag->name, s->vers[ag->ver].version, mgr,
		    sim_state_name(sim_agent_state(ag)), ag->sessions, ag->process_starts,
		    ag->restarts, ag->commands,
		    ag->legacy, ag->moves, ag->flaps, ag->failures, (unsigned long long)ag->up_us);
		if (ag->ncmd == 0)
			fputc('-', f);
		for (k = 0; k < ag->ncmd; k++)
			fprintf(f, k == 0 ? "%llu" : ",%llu", (unsigned long long)ag->cmd_us[k]);
		fputc('\n', f);
	}
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
