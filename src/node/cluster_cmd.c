/* cluster_cmd.c — commands routed to the node holding the agent, and
 * enrollments forwarded from workers to the master.
 */
#include "node/cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "lib/tls_psk.h"
#include "node/agent.h"
#include "node/registry.h"
#include "node/session.h"
#include "proto/cmsg.h"
#include "node/cluster_int.h"

/* ---- commands ---- */

static void
cmd_free(struct pending_cmd *pc)
{
	free(pc->a);
	free(pc);
}

/* clu_cmd_finish: every agent of the batch gets code; the batch is freed. */
void
clu_cmd_finish(struct cluster *c, struct pending_cmd *pc, int code)
{
	size_t i;

	TAILQ_REMOVE(&c->cmds, pc, entry);
	for (i = 0; i < pc->n; i++)
		pc->done(pc->arg, pc->a[i].id, code);
	cmd_free(pc);
}

/*
 * cmd_send: the RESTART frame of a batch: {"req", "agents": [[id, kg, kl], ...]},
 * plus "cmd": "reconnect" for a reconnect (no "cmd" means restart, which is
 * what a proto 2 worker that predates the field does).
 */
static void
cmd_send(struct cluster *c, struct pending_cmd *pc)
{
	struct node *n = c->node;
	struct peer *p = clu_peer_by_name(c, pc->peer);
	json_t *body;

	pc->sent = 1;
	/* a big batch under load takes the worker longer to read and answer */
	pc->deadline = node_now(n) + CLUSTER_CMD_TIMEOUT + (time_t)(pc->n / CLUSTER_CMD_PER_S);
	if (p == NULL || !p->ready || p->closing) {
		clu_cmd_finish(c, pc, VIGIL_ERR_NODE_UNREACHABLE);
		return;
	}
	body = crec_command_encode(pc->req, pc->cmd == AGENT_CMD_RECONNECT ? CREC_CMD_RECONNECT :
	    CREC_CMD_RESTART, pc->a, pc->n);
	if (body == NULL)
		return;   /* out of memory: the deadline answers for it */
	clu_send(p, CMSG_RESTART, body);
}

int
cluster_agent_command(struct node *n, struct agent *a, enum agent_cmd cmd,
    void (*done)(void *, unsigned int, int), void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc;
	struct peer *p;

	struct known_node *k;

	if (a->led.cur.sid == 0 || !a->led.cur_live)
		return 1707;
	if (a->led.cur.node == LEDGER_SELF)
		return session_command_agent(n, a, a->led.cur.sid, cmd);
	if (c == NULL || (k = clu_known_by_idx(c, a->led.cur.node)) == NULL ||
	    (p = clu_peer_by_name(c, k->name)) == NULL)
		return VIGIL_ERR_NODE_UNREACHABLE;
	/* the open batch for this request and worker is near the tail */
	TAILQ_FOREACH_REVERSE(pc, &c->cmds, cmd_list, entry)
		if (!pc->sent && pc->arg == arg && pc->cmd == cmd && strcmp(pc->peer, p->name) == 0)
			break;
	if (pc == NULL) {
		if ((pc = calloc(1, sizeof(*pc))) == NULL)
			return 1000;
		pc->req = ++c->next_req;
		snprintf(pc->peer, sizeof(pc->peer), "%s", p->name);
		pc->deadline = node_now(n) + CLUSTER_CMD_TIMEOUT;
		pc->done = done;
		pc->arg = arg;
		pc->cmd = cmd;
		TAILQ_INSERT_TAIL(&c->cmds, pc, entry);
	}
	if (pc->n == pc->cap) {
		size_t cap = pc->cap == 0 ? 64 : pc->cap * 2;
		struct crec_target *v = realloc(pc->a, cap * sizeof(*v));

		if (v == NULL)
			return 1000;
		pc->a = v;
		pc->cap = cap;
	}
	pc->a[pc->n].id = a->id;
	pc->a[pc->n].sid = a->led.cur.sid;
	/* a full batch leaves at once: the worker starts while the rest is being built */
	if (++pc->n == CLUSTER_CMD_CHUNK)
		cmd_send(c, pc);
	return -1;
}

void
cluster_command_flush(struct node *n, void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc, *next;

	if (c == NULL)
		return;
	for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, entry);
		if (!pc->sent && pc->arg == arg)
			cmd_send(c, pc);
	}
}

void
cluster_cancel(struct node *n, void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc, *next;

	if (c == NULL)
		return;
	for (pc = TAILQ_FIRST(&c->cmds); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, entry);
		if (pc->arg == arg) {
			TAILQ_REMOVE(&c->cmds, pc, entry);
			cmd_free(pc);
		}
	}
}

/*
 * clu_worker_command: the master asks this node to restart or reconnect
 * agents in the sessions it names.  A session this node no longer holds is
 * 1791 (the agent moved); a "cmd" this node does not know is answered 1000
 * for every agent: nothing is done in its place.
 */
void
clu_worker_command(struct node *n, struct peer *p, json_t *body)
{
	struct crec_command cmd;
	json_t *codes;
	const char *why;
	size_t i;

	if (crec_command_decode(body, &cmd, &why) == -1) {
		log_warnx("cluster: a command from the master was ignored: %s", why);
		return;   /* the master's deadline answers for it */
	}
	if ((codes = json_array()) == NULL) {
		crec_command_free(&cmd);
		return;
	}
	for (i = 0; i < cmd.n; i++) {
		struct agent *a = registry_agent_by_id(n->reg, cmd.agents[i].id);
		int code;

		if (cmd.cmd == CREC_CMD_UNKNOWN)
			code = 1000;
		else if (a == NULL || a->session == NULL)
			code = VIGIL_ERR_SESSION_MOVED;
		else
			code = session_command_agent(n, a, cmd.agents[i].sid,
			    cmd.cmd == CREC_CMD_RECONNECT ? AGENT_CMD_RECONNECT : AGENT_CMD_RESTART);
		json_array_append_new(codes, json_integer(code));
	}
	clu_send(p, CMSG_RESULT, json_pack("{s:I, s:o}", "req", (json_int_t)cmd.req, "codes",
	    codes));
	crec_command_free(&cmd);
}

/* clu_master_result: a worker's codes for a batch it was sent, in the batch's order. */
void
clu_master_result(struct node *n, const char *peer, json_t *body)
{
	struct cluster *c = n->cluster;
	uint64_t req = (uint64_t)json_integer_value(json_object_get(body, "req"));
	json_t *codes = json_object_get(body, "codes"), *v;
	struct pending_cmd *pc;
	size_t i;

	TAILQ_FOREACH(pc, &c->cmds, entry)
		if (pc->sent && pc->req == req && strcmp(pc->peer, peer) == 0)
			break;
	if (pc == NULL || !json_is_array(codes))
		return;
	TAILQ_REMOVE(&c->cmds, pc, entry);
	for (i = 0; i < pc->n; i++) {
		v = json_array_get(codes, i);
		pc->done(pc->arg, pc->a[i].id, json_is_integer(v) ?
		    (int)json_integer_value(v) : VIGIL_ERR_NODE_UNREACHABLE);
	}
	cmd_free(pc);
}

/* ---- enrollment forwarding ---- */

void
clu_enroll_finish(struct cluster *c, struct pending_enroll *pe, const char *reply)
{
	TAILQ_REMOVE(&c->enrolls, pe, entry);
	enrolld_forward_done(pe->conn, reply);
	free(pe);
}

int
cluster_enroll_forward(struct node *n, const char *line, size_t len, const char *peer,
    void *conn)
{
	struct cluster *c = n->cluster;
	struct pending_enroll *pe;
	struct peer *p;
	json_t *body;

	if (c == NULL || (p = TAILQ_FIRST(&c->peers)) == NULL || !p->ready || p->closing)
		return -1;
	if ((body = json_object()) == NULL || (pe = calloc(1, sizeof(*pe))) == NULL) {
		json_decref(body);
		return -1;
	}
	pe->req = ++c->next_req;
	pe->conn = conn;
	pe->deadline = node_now(n) + ENROLL_FORWARD_TIMEOUT;
	TAILQ_INSERT_TAIL(&c->enrolls, pe, entry);
	json_object_set_new(body, "req", json_integer((json_int_t)pe->req));
	json_object_set_new(body, "line", json_stringn_nocheck(line, len));
	json_object_set_new(body, "peer", json_string(peer));
	clu_send(p, CMSG_ENROLL, body);
	return 0;
}

void
cluster_enroll_cancel(struct node *n, void *conn)
{
	struct cluster *c = n->cluster;
	struct pending_enroll *pe, *next;

	if (c == NULL)
		return;
	for (pe = TAILQ_FIRST(&c->enrolls); pe != NULL; pe = next) {
		next = TAILQ_NEXT(pe, entry);
		if (pe->conn == conn) {
			TAILQ_REMOVE(&c->enrolls, pe, entry);
			free(pe);
		}
	}
}

/* clu_master_enroll: a worker forwards an agent's enrollment; decide it here. */
void
clu_master_enroll(struct peer *p, json_t *body)
{
	const char *line = json_string_value(json_object_get(body, "line"));
	const char *peer = json_string_value(json_object_get(body, "peer"));
	size_t len = json_string_length(json_object_get(body, "line"));
	char reply[1100];

	if (line == NULL || peer == NULL ||
	    enrolld_process_line(p->node, line, len, peer, reply, sizeof(reply)) == -1)
		snprintf(reply, sizeof(reply), "ERROR: Unable to add agent");
	/* The new agent's key went out (keys frame) before this reply, on the same link. */
	clu_send(p, CMSG_ENROLL_REPLY, json_pack("{s:O, s:s}", "req",
	    json_object_get(body, "req"), "reply", reply));
}

void
clu_worker_enroll_reply(struct cluster *c, json_t *body)
{
	uint64_t req = (uint64_t)json_integer_value(json_object_get(body, "req"));
	const char *reply = json_string_value(json_object_get(body, "reply"));
	struct pending_enroll *pe;

	TAILQ_FOREACH(pe, &c->enrolls, entry)
		if (pe->req == req) {
			clu_enroll_finish(c, pe, reply != NULL ? reply : "ERROR: Unable to add agent");
			return;
		}
}

