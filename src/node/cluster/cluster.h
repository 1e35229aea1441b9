/* cluster.h — the worker <-> master link: agent keys down, agent state up,
 * commands routed to the node that holds the agent.  See docs/design/cluster-sync.md.
 */
#ifndef VIGIL_CLUSTER_H
#define VIGIL_CLUSTER_H

#include "node/core/node.h"
#include "node/agents/session.h"

struct agent;
struct session;

/* cluster_hooks: installs what the rooms below need of the cluster (node.h, "Rooms"). */
void cluster_hooks(struct node *n);
/* cluster_start: master: listen on the cluster port; worker: connect to the master.  0 / -1. */
int cluster_start(struct node *n);
void cluster_stop(struct node *n);
/* cluster_tick: once a second: liveness, node grace periods, command timeouts. */
void cluster_tick(struct node *n);


/* cluster_fence: master: sends fence f to the worker with ledger index node. */
struct crec_fence;
void cluster_fence(struct node *n, uint16_t node, const struct crec_fence *f);
/* cluster_node_name: the name of ledger node index node (0: this node); "unknown" if none. */
const char *cluster_node_name(struct node *n, uint16_t node);
/* cluster_node_up: 1 when the link to the worker with index node is up. */
int cluster_node_up(struct node *n, uint16_t node);

/* cluster_agents_changed: the master added (a != NULL) or removed (id) an agent: tell the workers. */
void cluster_agent_added(struct node *n, struct agent *a);
void cluster_agent_removed(struct node *n, unsigned int id);

/*
 * cluster_agent_group_changed: the master changed an agent's groups: tell the
 * workers (its keys entry carries them).
 */
void cluster_agent_group_changed(struct node *n, struct agent *a);
/* cluster_group_changed / _removed: the master created or changed a group's agent.conf, or deleted it. */
struct group;
void cluster_group_changed(struct node *n, const struct group *gr);
void cluster_group_removed(struct node *n, const char *name);

/*
 * cluster_agent_command: routes cmd (restart or reconnect) of job to the node
 * holding the agent's current session (the ledger's).  That node writes a
 * job's command on a session once: sent again (after an answer that could not
 * say whether it was written), it answers 0 without writing it.  Returns 0
 * when delivered locally, a Wazuh/Vigil error code when it failed at once, or
 * -1 when it was queued for a worker: done(arg, id, code) is then called
 * exactly once, with the worker's answer or a timeout (VIGIL_ERR_NODE_UNREACHABLE).
 * One arg submits one kind of command of one job.
 */
int cluster_agent_command(struct node *n, struct agent *a, enum agent_cmd cmd, uint64_t job,
    void (*done)(void *, unsigned int, int), void *arg);
/*
 * cluster_command_flush: sends the batches cluster_agent_command filled for
 * arg (call once arg has submitted every agent).  Their results, or failures,
 * may come back through done before it returns.
 */
void cluster_command_flush(struct node *n, void *arg);

/* cluster_cancel: forgets the pending commands of arg (its requester went away). */
void cluster_cancel(struct node *n, void *arg);

/*
 * cluster_enroll_forward: a worker sends an enrollment request line from peer to
 * the master; enrolld_forward_done(conn, reply) is called with the answer.
 * -1 when the master is not reachable now; -2 when no frame can carry the
 * line (not UTF-8, a NUL, too long): that one request fails, not the link.
 */
int cluster_enroll_forward(struct node *n, const char *line, size_t len, const char *peer,
    void *conn);
/* cluster_enroll_cancel: the connection conn went away; drop its pending request. */
void cluster_enroll_cancel(struct node *n, void *conn);

/* What the master knows of a cluster node (for the /cluster endpoints). */
struct cluster_node_info {
	char name[64];
	char type[8];           /* "master" or "worker" */
	char ip[64];
	int connected;          /* the master itself: always 1 */
	time_t last_seen;       /* last frame from that node (the master: now) */
	time_t joined;          /* when its current link was established (0 if down) */
	uint64_t updates;       /* agent records received from it */
};

/* cluster_enabled: 1 when this node runs the cluster link (a master with a cluster key, or a worker). */
int cluster_enabled(const struct node *n);

/*
 * cluster_master_joined: worker: 1 with the name and --master address of the
 * master it is joined to now (borrowed until the link changes), 0 when it is
 * joined to none (or this node is not a worker of a cluster).
 */
int cluster_master_joined(struct node *n, const char **name, const char **addr);

/*
 * cluster_nodes: the master first, then every worker that has joined since the
 * master started (connected or not), at most max.  Returns how many were written.
 */
size_t cluster_nodes(struct node *n, struct cluster_node_info *out, size_t max);

#endif
