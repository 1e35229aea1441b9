/*
 * fuzz_cluster_frames.c — libFuzzer target: cluster frames through the real
 * handlers.  The first input byte picks the node that receives (bit 0: a
 * master or a worker) and whether the link has already exchanged hellos
 * (bit 1); the rest is a sequence of cluster frames (cmsg_decode), each
 * given to clu_dispatch() as the link's read callback would, until the link
 * closes or refuses.  The node is as vigild builds it, as far as the
 * handlers reach: a registry in a temporary directory with three agents, the
 * groups, a struct cluster whose one peer writes to a socketpair on a real
 * event_base; what the handlers write is drained and must be frames again.
 * Everything is built and torn down per input, so inputs reproduce and a
 * leak shows as one.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/log.h"
#include "node/core/agent.h"
#include "node/cluster/cluster.h"
#include "node/cluster/cluster_int.h"
#include "node/registry/groups.h"
#include "node/core/node.h"
#include "node/registry/registry.h"
#include "proto/cmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WORKER "worker1"
#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MAX_FRAMES 64

static char dir[64];

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;

	(void)fd, (void)what;
	(void)registry_flush(n->reg);
}

static void
nop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;   /* dead peers are freed by cluster_stop */
}

static void
cmd_done(void *arg, unsigned int id, int code)
{
	(void)arg, (void)id;
	if (code < 0)
		abort();
}

static void
db_unlink(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[96];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/registry.db%s", dir, sfx[i]);
		unlink(p);
	}
}

/* pending_add: a restart batch the master sent to the worker, waiting for its result. */
static void
pending_add(struct cluster *c, uint64_t req, size_t n)
{
	struct pending_cmd *pc;
	size_t i;

	if ((pc = calloc(1, sizeof(*pc))) == NULL || (pc->a = calloc(n, sizeof(*pc->a))) == NULL)
		abort();
	pc->req = req;
	snprintf(pc->peer, sizeof(pc->peer), "%s", WORKER);
	pc->sent = 1;
	pc->deadline = time(NULL) + 60;
	pc->done = cmd_done;
	pc->cmd = AGENT_CMD_RESTART;
	pc->n = pc->cap = n;
	for (i = 0; i < n; i++) {
		pc->a[i].id = (uint32_t)(i + 1);
		pc->a[i].sid = 1;
	}
	TAILQ_INSERT_TAIL(&c->cmds, pc, entry);
	c->next_req = req;
}

/*
 * node_up: a node of the role with its registry, groups and a cluster whose
 * one peer is joined or not; *fd is the socketpair's other end, where what
 * the peer sends arrives.
 */
static struct node *
node_up(struct event_base *base, int master, int ready, int *fd)
{
	struct node *n;
	struct cluster *c;
	struct peer *p;
	struct known_node *k;
	char path[96], name[16];
	int sv[2], i;

	if ((n = calloc(1, sizeof(*n))) == NULL || (c = calloc(1, sizeof(*c))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		abort();
	config_defaults(&n->cfg);
	n->cfg.role = master ? ROLE_MASTER : ROLE_WORKER;
	snprintf(n->cfg.name, sizeof(n->cfg.name), "%s", master ? "master-node" : WORKER);
	snprintf(n->cfg.data_dir, sizeof(n->cfg.data_dir), "%s", dir);
	n->base = base;
	n->started = time(NULL);
	/* what main.c and cluster_start would install: this harness plays main */
	node_hooks_init(n);
	session_hooks(n);
	cluster_hooks(n);
	TAILQ_INIT(&n->sessions);
	TAILQ_INIT(&n->dead);
	db_unlink();
	snprintf(path, sizeof(path), "%s/registry.db", dir);
	if ((n->reg = registry_open(path, "fuzzhost", n->cfg.name, VIGIL_MANAGER_VERSION)) == NULL ||
	    (n->groups = groups_new()) == NULL)
		abort();
	if (master && node_groups_load(n) == -1)
		abort();
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "agent%d", i);
		if ((master ? registry_agent_add(n->reg, name, "any", "10.0.0.1", KEY, "default",
		    time(NULL)) : registry_agent_put(n->reg, (unsigned int)i, name, "any", "",
		    KEY, "default", time(NULL))) == NULL)
			abort();
	}
	if ((n->flush_ev = evtimer_new(base, flush_cb, n)) == NULL)
		abort();

	n->cluster = c;
	c->node = n;
	TAILQ_INIT(&c->peers);
	TAILQ_INIT(&c->dead);
	TAILQ_INIT(&c->known);
	TAILQ_INIT(&c->inflight);
	TAILQ_INIT(&c->cmds);
	TAILQ_INIT(&c->enrolls);
	if ((c->reap_ev = event_new(base, -1, 0, nop_cb, c)) == NULL ||
	    (c->send_ev = event_new(base, -1, 0, clu_send_cb, c)) == NULL ||
	    (c->touch_ev = evtimer_new(base, clu_send_cb, c)) == NULL)
		abort();

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
	*fd = sv[1];
	p->node = n;
	if ((p->bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE)) == NULL)
		abort();
	bufferevent_enable(p->bev, EV_WRITE);
	p->last_rx = p->last_tx = time(NULL);
	snprintf(p->addr, sizeof(p->addr), "127.0.0.1");
	/* the master knows the worker's name from its PSK identity before any hello */
	if (master)
		snprintf(p->name, sizeof(p->name), "%s", WORKER);
	TAILQ_INSERT_TAIL(&c->peers, p, entry);
	if (ready) {
		p->ready = 1;
		if (master) {
			if ((k = clu_known_get(c, WORKER)) == NULL)
				abort();
			p->idx = k->idx;
			pending_add(c, 1, 3);
			pending_add(c, 2, 1);
		} else
			snprintf(p->name, sizeof(p->name), "master-node");
	}
	return n;
}

static void
node_down(struct node *n)
{
	cluster_stop(n);
	event_free(n->flush_ev);
	registry_close(n->reg);
	groups_free(n->groups);
	free(n);
}

/* drain: what the node wrote must be whole frames, each one cmsg_decode accepts. */
static void
drain(struct event_base *base, int fd, struct evbuffer *got)
{
	uint8_t buf[65536], *f;
	ssize_t r, used;
	json_t *body;
	int type;

	event_base_loop(base, EVLOOP_NONBLOCK);
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		evbuffer_add(got, buf, (size_t)r);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	while (evbuffer_get_length(got) >= 4) {
		f = evbuffer_pullup(got, -1);
		used = cmsg_decode(f, evbuffer_get_length(got), &type, &body);
		if (used == -2)
			break;
		if (used < 0)
			abort();   /* we sent a frame we would refuse */
		json_decref(body);
		evbuffer_drain(got, (size_t)used);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_base *base;
	struct evbuffer *got;
	struct node *n;
	struct peer *p;
	size_t off = 1, frames = 0;
	ssize_t used;
	json_t *body;
	int fd, type;

	if (dir[0] == '\0') {
		/* a registry is created per input: in memory (tmpfs) where there is one */
		char shm[] = "/dev/shm/vigil-fuzz-frames-XXXXXX", tmp[] = "/tmp/vigil-fuzz-frames-XXXXXX";
		const char *d;

		log_init("fuzz_cluster_frames", 0);
		if ((d = mkdtemp(shm)) == NULL && (d = mkdtemp(tmp)) == NULL)
			abort();
		snprintf(dir, sizeof(dir), "%s", d);
	}
	if (size < 1)
		return 0;
	if ((base = event_base_new()) == NULL || (got = evbuffer_new()) == NULL)
		abort();
	n = node_up(base, data[0] & 1, data[0] & 2, &fd);
	p = TAILQ_FIRST(&n->cluster->peers);
	while (off < size && frames++ < MAX_FRAMES) {
		/* as peer_read_cb: nothing more is read once the link is going */
		if (p->closing || p->close_after_flush)
			break;
		if ((used = cmsg_decode(data + off, size - off, &type, &body)) < 0)
			break;
		clu_dispatch(p, type, body);
		json_decref(body);
		off += (size_t)used;
		drain(base, fd, got);
	}
	drain(base, fd, got);
	node_down(n);
	close(fd);
	evbuffer_free(got);
	event_base_free(base);
	return 0;
}
