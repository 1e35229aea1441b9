/* cluster_cmd.c — commands routed to the node holding the agent, and
 * enrollments forwarded from workers to the master.
 */
#include "node/agents/enrolld.h"
#include "node/cluster/cluster.h"

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
#include "node/core/agent.h"
#include "node/registry/registry.h"
#include "node/agents/session.h"
#include "proto/cbody.h"
#include "proto/cmsg.h"
#include "proto/enroll.h"
#include "node/cluster/cluster_int.h"

#define ENROLL_UNABLE "ERROR: Unable to add agent"

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
 * cmd_send: the RESTART frame of a batch: {"req", "job", "agents": [[id, sid], ...],
 * "cmd"}: "cmd" is "restart" or "reconnect" (no "cmd" means restart, which is
 * what a proto 2 worker that predates the field does); "job" lets the worker
 * write a job's command on a session once (a worker that predates it ignores
 * it and writes every command it is sent).
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
	body = crec_command_encode(pc->req, pc->job, pc->cmd == AGENT_CMD_RECONNECT ?
	    CREC_CMD_RECONNECT : CREC_CMD_RESTART, pc->a, pc->n);
	if (body == NULL)
		return;   /* out of memory: the deadline answers for it */
	clu_send(p, CMSG_RESTART, body);
}

int
cluster_agent_command(struct node *n, struct agent *a, enum agent_cmd cmd, uint64_t job,
    void (*done)(void *, unsigned int, int), void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc;
	struct peer *p;

	struct known_node *k;

	if (a->led.cur.sid == 0 || !a->led.cur_live)
		return 1707;
	if (a->led.cur.node == LEDGER_SELF)
		return session_command_agent(n, a, a->led.cur.sid, cmd, job);
	if (c == NULL || (k = clu_known_by_idx(c, a->led.cur.node)) == NULL ||
	    (p = clu_peer_by_name(c, k->name)) == NULL)
		return VIGIL_ERR_NODE_UNREACHABLE;
	/* the open batch for this request and worker is near the tail */
	TAILQ_FOREACH_REVERSE(pc, &c->cmds, cmd_list, entry)
		if (!pc->sent && pc->arg == arg && pc->cmd == cmd && pc->job == job &&
		    strcmp(pc->peer, p->name) == 0)
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
		pc->job = job;
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
 * 1791 (the agent moved); a session that has the job's command already is 0,
 * and it is not written again; a "cmd" this node does not know is answered
 * 1000 for every agent: nothing is done in its place.
 */
void
clu_worker_command(struct node *n, struct peer *p, json_t *body)
{
	struct crec_command cmd;
	struct cbody_result res;
	const char *why;
	size_t i;

	if (crec_command_decode(body, &cmd, &why) == -1) {
		log_warnx("cluster: a command from the master was ignored: %s", why);
		return;   /* the master's deadline answers for it */
	}
	memset(&res, 0, sizeof(res));
	res.req = cmd.req;
	if (cmd.n > 0 && (res.codes = calloc(cmd.n, sizeof(*res.codes))) == NULL) {
		crec_command_free(&cmd);
		return;   /* as above */
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
			    cmd.cmd == CREC_CMD_RECONNECT ? AGENT_CMD_RECONNECT : AGENT_CMD_RESTART,
			    cmd.job);
		res.codes[res.ncodes++] = code;
	}
	log_info("cluster: command batch %llu (job %llu) for %zu agents carried out",
	    (unsigned long long)cmd.req, (unsigned long long)cmd.job, cmd.n);
	clu_send(p, CMSG_RESULT, cbody_result_encode(&res));
	cbody_result_free(&res);
	crec_command_free(&cmd);
}

/*
 * clu_master_result: a worker's codes for a batch it was sent, in the batch's
 * order.  A result for no pending batch (it timed out, or the worker is
 * confused) is dropped.  An agent the codes do not reach gets 1000: the worker
 * answered, so 1792 ("maybe written, send to that session again") would have
 * a job resend to a buggy worker every tick; 1000 leaves the agent for its
 * next session.
 */
void
clu_master_result(struct node *n, const char *peer, const struct cbody_result *r)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc;
	size_t i;

	TAILQ_FOREACH(pc, &c->cmds, entry)
		if (pc->sent && pc->req == r->req && strcmp(pc->peer, peer) == 0)
			break;
	if (pc == NULL)
		return;
	log_info("cluster %s: result of command batch %llu for %zu agents", peer,
	    (unsigned long long)pc->req, pc->n);
	TAILQ_REMOVE(&c->cmds, pc, entry);
	if (r->ncodes != pc->n)
		log_warnx("cluster %s: result of command batch %llu gave %zu codes for a batch"
		    " of %zu", peer, (unsigned long long)pc->req, r->ncodes, pc->n);
	for (i = 0; i < pc->n; i++)
		pc->done(pc->arg, pc->a[i].id, i < r->ncodes ? r->codes[i] : 1000);
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
	struct cbody_enroll e;
	struct peer *p;
	json_t *body;

	if (c == NULL || (p = TAILQ_FIRST(&c->peers)) == NULL || !p->ready || p->closing)
		return -1;
	memset(&e, 0, sizeof(e));
	if (len > ENROLL_LINE_MAX)
		return -2;
	memcpy(e.line, line, len);
	e.line_len = len;
	snprintf(e.peer, sizeof(e.peer), "%s", peer);
	e.req = c->next_req + 1;
	/* The encoder refuses a line that is not UTF-8 (or holds a NUL): sent
	 * anyway it would make a frame the master cannot parse, and the master
	 * would close the link of every agent of this node over one request. */
	if ((body = cbody_enroll_encode(&e)) == NULL)
		return -2;
	if ((pe = calloc(1, sizeof(*pe))) == NULL) {
		json_decref(body);
		return -1;
	}
	pe->req = ++c->next_req;
	pe->conn = conn;
	pe->deadline = node_now(n) + ENROLL_FORWARD_TIMEOUT;
	TAILQ_INSERT_TAIL(&c->enrolls, pe, entry);
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

/*
 * clu_master_enroll: a worker forwards an agent's enrollment; decide it here.
 * The reply always goes back: one the encoder refuses (a reply cut inside a
 * UTF-8 character) is replaced by a plain error, so the agent is not left
 * waiting for the worker's timeout.
 */
void
clu_master_enroll(struct peer *p, const struct cbody_enroll *e)
{
	struct cbody_enroll_reply r;
	json_t *body;

	memset(&r, 0, sizeof(r));
	r.req = e->req;
	if (enrolld_process_line(p->node, e->line, e->line_len, e->peer, r.reply,
	    sizeof(r.reply)) == -1)
		snprintf(r.reply, sizeof(r.reply), "%s", ENROLL_UNABLE);
	/* The new agent's key went out (keys frame) before this reply, on the same link. */
	if ((body = cbody_enroll_reply_encode(&r)) == NULL) {
		snprintf(r.reply, sizeof(r.reply), "%s", ENROLL_UNABLE);
		body = cbody_enroll_reply_encode(&r);
	}
	clu_send(p, CMSG_ENROLL_REPLY, body);
}

/* clu_worker_enroll_reply: a reply for no pending request (timed out) is dropped. */
void
clu_worker_enroll_reply(struct cluster *c, const struct cbody_enroll_reply *r)
{
	struct pending_enroll *pe;

	TAILQ_FOREACH(pe, &c->enrolls, entry)
		if (pe->req == r->req) {
			clu_enroll_finish(c, pe, r->reply);
			return;
		}
}
