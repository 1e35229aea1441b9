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

void
clu_cmd_finish(struct cluster *c, struct pending_cmd *pc, int code)
{
	TAILQ_REMOVE(&c->cmds, pc, entry);
	pc->done(pc->arg, pc->id, code);
	free(pc);
}

int
cluster_restart(struct node *n, struct agent *a, void (*done)(void *, unsigned int, int),
    void *arg)
{
	struct cluster *c = n->cluster;
	struct pending_cmd *pc;
	struct peer *p;

	if (c == NULL || a->sync_node[0] == '\0' || strcmp(a->sync_node, n->cfg.name) == 0)
		return session_restart_agent(n, a);
	if ((p = clu_peer_by_name(c, a->sync_node)) == NULL)
		return VIGIL_ERR_NODE_UNREACHABLE;
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return 1000;
	pc->req = ++c->next_req;
	pc->id = a->id;
	pc->deadline = node_now(n) + CLUSTER_CMD_TIMEOUT;
	pc->done = done;
	pc->arg = arg;
	TAILQ_INSERT_TAIL(&c->cmds, pc, entry);
	clu_send(p, CMSG_RESTART, json_pack("{s:I, s:i, s:i, s:i}", "req", (json_int_t)pc->req,
	    "id", (json_int_t)a->id, "kg", (json_int_t)a->sync_kg, "kl", (json_int_t)a->sync_kl));
	return -1;
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
			free(pc);
		}
	}
}

/* clu_worker_restart: the master asks this node to restart an agent it holds. */
void
clu_worker_restart(struct node *n, struct peer *p, json_t *body)
{
	json_int_t req = json_integer_value(json_object_get(body, "req"));
	unsigned int id = (unsigned int)json_integer_value(json_object_get(body, "id"));
	unsigned int kg = (unsigned int)json_integer_value(json_object_get(body, "kg"));
	unsigned int kl = (unsigned int)json_integer_value(json_object_get(body, "kl"));
	struct agent *a = registry_agent_by_id(n->reg, id);
	struct session *s;
	int code;

	if (a == NULL || (s = a->session) == NULL || s->closing)
		code = VIGIL_ERR_SESSION_MOVED;
	else if (clu_key_cmp(s->key_global, s->key_local, "", kg, kl, "") < 0)
		code = VIGIL_ERR_SESSION_MOVED;   /* we hold an older session than the master's */
	else
		code = session_restart_agent(n, a);
	clu_send(p, CMSG_RESULT, json_pack("{s:I, s:i, s:i}", "req", req, "id", (json_int_t)id,
	    "code", code));
}

void
clu_master_result(struct node *n, json_t *body)
{
	struct cluster *c = n->cluster;
	uint64_t req = (uint64_t)json_integer_value(json_object_get(body, "req"));
	int code = (int)json_integer_value(json_object_get(body, "code"));
	struct pending_cmd *pc;

	TAILQ_FOREACH(pc, &c->cmds, entry)
		if (pc->req == req) {
			clu_cmd_finish(c, pc, code);
			return;
		}
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

