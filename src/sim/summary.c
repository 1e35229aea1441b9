/* summary.c — the simulator's JSON summary, polled by tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/keyfile.h"
#include "agent/mgrlist.h"
#include "lib/log.h"
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

/*
 * The summary.  Top level counts, then one object per agent.  A test checks
 * "every agent got exactly one restart and is back" with
 * min_restarts == max_restarts == 1 and back_after_restart == agents, or
 * per agent with restarts == 1 and back_after_restart.
 */
json_t *
sim_summary(const struct sim *s, int final)
{
	json_t *root, *list, *a;
	unsigned int i, enrolled = 0, connected = 0, active = 0, restarted = 0, back = 0;
	unsigned long long restarts = 0, commands = 0, sessions = 0;
	unsigned int minr = 0, maxr = 0;
	char mgr[300];
	const struct sim_agent *ag;
	enum sim_state st;
	int is_back;

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
		commands += ag->commands;
		sessions += ag->sessions;
		restarted += ag->restarts > 0;
		if (i == 0 || ag->restarts < minr)
			minr = ag->restarts;
		if (ag->restarts > maxr)
			maxr = ag->restarts;
		is_back = ag->restarts > 0 && st == SIM_ACTIVE &&
		    ag->last_up_ms > ag->last_restart_ms;
		back += is_back;
		if (mgrlist_format(&s->o.managers[ag->mgr], mgr, sizeof(mgr)) == -1)
			mgr[0] = '\0';
		a = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:s, s:s}",
		    "id", ag->has_key ? ag->key.id : "",
		    "name", ag->name,
		    "state", sim_state_name(st),
		    "restarts", (json_int_t)ag->restarts,
		    "commands", (json_int_t)ag->commands,
		    "messages", (json_int_t)ag->messages,
		    "sessions", (json_int_t)ag->sessions,
		    "failures", (json_int_t)ag->failures,
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
	    json_object_set_new(root, "back_after_restart", json_integer(back)) == -1 ||
	    json_object_set_new(root, "min_restarts", json_integer(minr)) == -1 ||
	    json_object_set_new(root, "max_restarts", json_integer(maxr)) == -1 ||
	    json_object_set_new(root, "commands_received", json_integer((json_int_t)commands)) == -1 ||
	    json_object_set_new(root, "sessions", json_integer((json_int_t)sessions)) == -1 ||
	    json_object_set_new(root, "enroll_errors", json_integer(s->enroll_errors)) == -1 ||
	    json_object_set_new(root, "elapsed_ms",
	        json_integer((json_int_t)(sim_now_ms() - s->start_ms))) == -1 ||
	    json_object_set_new(root, "final", json_boolean(final)) == -1)
		goto err;
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
