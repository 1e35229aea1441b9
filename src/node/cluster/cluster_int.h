/* cluster_int.h — what the cluster_*.c files share; not for the rest of vigild. */
#ifndef VIGIL_CLUSTER_INT_H
#define VIGIL_CLUSTER_INT_H

#include <sys/queue.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "lib/tls_psk.h"
#include "node/core/node.h"
#include "proto/cbody.h"
#include "proto/crec.h"

#define CLUSTER_BATCH_MAX 2000        /* records per UPDATES frame */
#define CLUSTER_TOUCH_MS 100          /* keepalive-only changes wait this long to be batched */
#define CLUSTER_PING_EVERY 2          /* s of silence before a ping */
#define CLUSTER_DEAD_AFTER 10         /* s of silence that closes a link */
#define CLUSTER_CMD_TIMEOUT 5         /* s for a worker to answer a command batch... */
#define CLUSTER_CMD_PER_S 2000        /* ...plus 1 s per this many agents in it */
#define CLUSTER_JOIN_DEADLINE 3        /* s for a master (of several) to answer the hello */
#define CLUSTER_OUTBUF_MAX (64 << 20)
#define CLUSTER_MAX_IO (1 << 20)      /* bytes of the link read or written per loop turn */

struct peer {
	TAILQ_ENTRY(peer) entry;
	struct node *node;
	struct bufferevent *bev;
	char name[64];              /* the other node */
	char addr[128];             /* master: the worker's IP:port; worker: the --master item */
	int ready;                  /* hello exchanged */
	int accepted;               /* master: came through the listener (gate_cluster counts it) */
	time_t opened;
	int closing;
	int close_after_flush;      /* refused: close once the error frame is written */
	char close_reason[160];
	time_t last_rx;
	time_t last_tx;
	uint64_t expect_seq;        /* master: next sync batch expected (0 = any) */
	uint16_t idx;               /* master: the worker's ledger node index */
};
TAILQ_HEAD(peer_list, peer);

/* A worker known to the master, connected or not: for the grace period. */
struct known_node {
	TAILQ_ENTRY(known_node) entry;
	char name[64];
	char addr[64];
	time_t down_since;          /* 0 = connected */
	int marked;                 /* its agents were marked unreachable */
	time_t joined;
	uint64_t updates;
	uint16_t idx;               /* its node index in the ledger (1, 2, ...; 0 is the master) */
};
TAILQ_HEAD(known_list, known_node);

/* A batch of records sent by a worker and not yet acknowledged. */
struct batch {
	TAILQ_ENTRY(batch) entry;
	uint64_t seq;
	size_t n;
	unsigned int ids[];
};
TAILQ_HEAD(batch_list, batch);

#define CLUSTER_CMD_CHUNK 20000      /* agents per RESTART frame */

/*
 * Restarts for up to CLUSTER_CMD_CHUNK agents held by one worker, for one
 * request (arg): filled while the request submits agents, sent when full or
 * when the request has submitted them all, then waiting for its result.
 */
struct pending_cmd {
	TAILQ_ENTRY(pending_cmd) entry;
	uint64_t req;
	char peer[64];                      /* the worker it is for */
	int sent;
	time_t deadline;
	void (*done)(void *, unsigned int, int);
	void *arg;
	enum agent_cmd cmd;
	uint64_t job;                       /* the job it belongs to (0: none) */
	size_t n, cap;
	struct crec_target *a;              /* grows as agents are added */
};
TAILQ_HEAD(cmd_list, pending_cmd);

/* Worker: an enrollment forwarded to the master, waiting for its reply. */
struct pending_enroll {
	TAILQ_ENTRY(pending_enroll) entry;
	uint64_t req;
	void *conn;
	time_t deadline;
};
TAILQ_HEAD(enroll_list, pending_enroll);

struct cluster {
	struct node *node;
	struct tls_psk_key key;
	SSL_CTX *ctx;
	struct peer_list peers;             /* master: workers; worker: at most the master */
	struct peer_list dead;
	struct known_list known;            /* master */
	uint16_t next_idx;                  /* master: the next worker's node index */
	struct evconnlistener *lsn;         /* master */
	struct event *reap_ev;
	struct event *send_ev;              /* worker: flush the outbox */
	struct event *touch_ev;             /* worker: flush the outbox of touches, a bit later */
	struct event *reconnect_ev;         /* worker */
	unsigned int master_idx;            /* worker: the --master address tried or joined */
	uint32_t fails;                     /* worker: failures in a row since it last joined */
	/* worker outbox */
	unsigned int *dirty;
	size_t ndirty, capdirty;
	struct batch_list inflight;
	uint64_t next_seq;
	/* worker: the ids of a full keys table that comes in parts, so far */
	unsigned int *full_ids;
	size_t nfull, capfull;
	unsigned int full_next;             /* the part expected next; 0: none under way */
	/* master commands, worker enrollments */
	struct cmd_list cmds;
	struct enroll_list enrolls;
	uint64_t next_req;
	/* master: how long changes on workers take to reach the registry (ms) */
	uint32_t *lat;
	size_t nlat, caplat;
	time_t lat_logged;
	/* test-only fault injection on the sync stream (--test-faults) */
	struct event *faults_ev;
	struct event *delay_ev;
	int hold, dup, drop;
	struct held { uint8_t *f; size_t len; } *held;
	size_t nheld, capheld;
};

#define ENROLL_FORWARD_TIMEOUT 8
#define ENROLL_MASTER_DOWN "ERROR: Cannot reach the master node. Unable to add agent"

static inline int
clu_is_master(const struct node *n)
{
	return n->cfg.role == ROLE_MASTER;
}


/* clu_now_ms: wall-clock milliseconds (nodes of one cluster compare these). */
static inline uint64_t
clu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Shared between cluster.c, cluster_sync.c, cluster_cmd.c and cluster_faults.c. */
/* clu_send: one frame; body is stolen, and a NULL body (an encoder refused) is logged. */
int clu_send(struct peer *p, int type, json_t *body);
/* clu_dispatch: one decoded frame from p's link (cluster.c; also fuzz_cluster_frames.c). */
void clu_dispatch(struct peer *p, int type, json_t *body);
void clu_close(struct peer *p, const char *reason);
struct peer *clu_peer_by_name(struct cluster *c, const char *name);
struct known_node *clu_known_get(struct cluster *c, const char *name);
struct known_node *clu_known_by_idx(struct cluster *c, uint16_t idx);
int clu_faults_take(struct cluster *c, uint8_t *f, size_t len);
void clu_faults_cb(evutil_socket_t fd, short what, void *arg);
void clu_send_cb(evutil_socket_t fd, short what, void *arg);
void clu_outbox_ack(struct cluster *c, uint64_t seq);
/*
 * clu_outbox_hook (node.h hooks.outbox): worker: the agent's record (a->st,
 * a->sync) goes to the master; with touch, only its keepalive time changed:
 * it goes within CLUSTER_TOUCH_MS, batched with others (the whole record if
 * the master has not acknowledged one of this session yet).
 */
void clu_outbox_hook(struct node *n, struct agent *a, int touch);
void clu_outbox_resync(struct cluster *c);
void clu_keys_send_full(struct node *n, struct peer *p);
void clu_worker_keys(struct node *n, const struct cbody_keys *k);
void clu_groups_send_full(struct node *n, struct peer *p);
void clu_worker_groups(struct node *n, const struct cbody_groups *g);
void clu_master_updates(struct peer *p, json_t *body);
void clu_worker_fence(struct node *n, json_t *body);
void clu_mark_unreachable(struct node *n, struct known_node *k);
void clu_latency_report(struct cluster *c, time_t now);
void clu_cmd_finish(struct cluster *c, struct pending_cmd *pc, int code);
void clu_worker_command(struct node *n, struct peer *p, json_t *body);
void clu_master_result(struct node *n, const char *peer, const struct cbody_result *r);
void clu_enroll_finish(struct cluster *c, struct pending_enroll *pe, const char *reply);
void clu_master_enroll(struct peer *p, const struct cbody_enroll *e);
void clu_worker_enroll_reply(struct cluster *c, const struct cbody_enroll_reply *r);

#endif
