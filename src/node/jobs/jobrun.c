/*
 * jobrun.c — restart and reconnect jobs on the master (see jobrun.h).
 *
 * Saving: each job keeps a copy of its rows as last saved (saved[]) and how
 * many of its earlier sessions are saved (nold_saved); jr_save writes the
 * rows that differ and the sessions added since, in one transaction.  A save
 * that fails is tried again at the next tick; a job's sends wait for it.
 */
#include "node/jobs/jobrun.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "lib/log.h"
#include "node/cluster/cluster.h"
#include "node/core/agent.h"
#include "node/ledger/ledger.h"

struct jr_job {
	TAILQ_ENTRY(jr_job) entry;
	struct job *job;
	struct registry_job row;
	struct job_agent *saved;        /* the rows as last saved, in the job's order */
	size_t nold_saved;              /* earlier sessions saved */
	int waves;                      /* waves recorded that the saved rows do not show */
	int64_t saved_ms;               /* when the rows were last saved (or found unchanged) */
	int running;                    /* not done yet (row.done_ms == 0) */
	unsigned int rounds;            /* sends whose answers are due */
};
TAILQ_HEAD(jr_list, jr_job);

struct jr_round;
TAILQ_HEAD(jr_rounds, jr_round);

struct jobrun {
	struct node *node;
	struct jr_rounds rounds;        /* answers due: cancelled with the cluster's at the stop */
	struct jr_list jobs;            /* id order: oldest first */
	size_t njobs, nrunning;
	struct event *tick_ev;
	int tick_armed;
	struct job_send *sends;
	struct registry_job_wave *wave;  /* a tick's sends as the registry records them */
	size_t capsends;
};

/* One tick's sends of one job: their answers come back through jr_answer. */
struct jr_round {
	TAILQ_ENTRY(jr_round) entry;
	struct jobrun *jr;
	uint64_t job;
	size_t n, left;
	struct job_send s[];
};

static void
jr_view(void *arg, uint32_t id, struct job_view *v)
{
	struct node *n = arg;
	struct agent *a = registry_agent_by_id(n->reg, id);

	memset(v, 0, sizeof(*v));
	if (a == NULL || a->removed)
		return;
	v->exists = 1;
	v->live = a->led.cur_live && a->led.cur.sid != 0;
	/*
	 * Active for the job once it has been so for --restart-settle-ms: the
	 * proof of a restart (the new process's first session) may reach the
	 * master after the session it moved on to, from another node; a session
	 * taken at once for the old process would get the command a second time.
	 */
	v->active = a->st.status == AGENT_ACTIVE && a->active_since_ms != 0 &&
	    a->active_node == a->led.cur.node && a->active_sid == a->led.cur.sid &&
	    node_wall_ms() - a->active_since_ms >= n->cfg.restart_settle_ms;
	v->node = a->led.cur.node;
	v->sid = a->led.cur.sid;
	v->proc_start_ms = a->st.proc_start_ms > a->proc_start_seen_ms ? a->st.proc_start_ms :
	    a->proc_start_seen_ms;
	/* a worker whose link is down (within --node-grace its agents still look
	 * active): a send would only be answered 1792 at once, tick after tick */
	v->node_down = a->led.cur.node != LEDGER_SELF &&
	    !cluster_node_up(n, (uint16_t)a->led.cur.node);
}

static struct jr_job *
jr_by_id(struct jobrun *jr, uint64_t id)
{
	struct jr_job *x;

	TAILQ_FOREACH(x, &jr->jobs, entry)
		if (x->row.id == id)
			return x;
	return NULL;
}

/* jr_row: a job's agent row as the registry keeps it (node by name). */
static void
jr_row(struct node *n, const struct job_agent *a, struct registry_job_agent *out)
{
	memset(out, 0, sizeof(*out));
	out->agent = a->id;
	out->state = a->state;
	out->t_delivered = a->t_delivered;
	out->t_done = a->t_done;
	out->sent_ms = a->sent_ms;
	if (a->sid != 0)
		snprintf(out->node, sizeof(out->node), "%s",
		    n->hooks.node_name(n, (uint16_t)a->node));
	out->sid = a->sid;
	out->sends = (int)a->sends;
	out->code = a->code;
	out->wait = a->wait;
}

/* jr_unsaved: test-only (vigild-test): the master keeps its jobs' rows and ends unsaved. */
static int
jr_unsaved(const struct jobrun *jr)
{
#ifdef VIGIL_TEST_FAULTS
	return jr->node->fault_jobs_unsaved;
#else
	(void)jr;
	return 0;
#endif
}

/*
 * jr_save: the rows of x that changed since the last save, and the earlier
 * sessions added since.  0 (nothing to do, or saved) / -1 (nothing saved).
 */
static int
jr_save(struct jobrun *jr, struct jr_job *x)
{
	struct node *n = jr->node;
	size_t i, size = job_size(x->job), nchanged = 0, nold = 0, k;
	const struct job_sent *old = job_sent_old(x->job, &nold);
	struct registry_job_agent *rows = NULL;
	struct registry_job_sent *olds = NULL;
	int rc = -1;

	if (jr_unsaved(jr))
		return 0;
	for (i = 0; i < size; i++)
		if (memcmp(job_agent_at(x->job, i), &x->saved[i], sizeof(x->saved[i])) != 0)
			nchanged++;
	if (nchanged == 0 && nold == x->nold_saved && !x->waves) {
		x->saved_ms = node_wall_ms();
		return 0;
	}
	if ((nchanged > 0 && (rows = calloc(nchanged, sizeof(*rows))) == NULL) ||
	    (nold > x->nold_saved && (olds = calloc(nold - x->nold_saved, sizeof(*olds))) == NULL))
		goto out;
	for (i = 0, k = 0; i < size; i++)
		if (memcmp(job_agent_at(x->job, i), &x->saved[i], sizeof(x->saved[i])) != 0)
			jr_row(n, job_agent_at(x->job, i), &rows[k++]);
	for (i = x->nold_saved; i < nold; i++) {
		olds[i - x->nold_saved].agent = old[i].id;
		snprintf(olds[i - x->nold_saved].node, sizeof(olds[0].node), "%s",
		    n->hooks.node_name(n, (uint16_t)old[i].node));
		olds[i - x->nold_saved].sid = old[i].sid;
	}
	if (registry_job_save(n->reg, x->row.id, rows, nchanged, olds, nold - x->nold_saved,
	    x->waves) == -1)
		goto out;
	for (i = 0; i < size; i++)
		x->saved[i] = *job_agent_at(x->job, i);
	x->nold_saved = nold;
	x->waves = 0;
	x->saved_ms = node_wall_ms();
	rc = 0;
out:
	if (rc == -1)
		log_warnx("jobs: job %llu: cannot save %zu agents' rows; trying again",
		    (unsigned long long)x->row.id, nchanged);
	free(rows);
	free(olds);
	return rc;
}

static void
jr_free_job(struct jr_job *x)
{
	if (x == NULL)
		return;
	job_free(x->job);
	free(x->saved);
	free(x);
}

static void jr_arm(struct jobrun *jr, int now);

/* jr_answer: a node's answer for one agent of a round. */
static void
jr_answer(void *arg, unsigned int id, int code)
{
	struct jr_round *rd = arg;
	struct jobrun *jr = rd->jr;
	struct jr_job *x = jr_by_id(jr, rd->job);
	size_t lo = 0, hi = rd->n;
	struct job_view v;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rd->s[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (x != NULL && lo < rd->n && rd->s[lo].id == id) {
		jr_view(jr->node, id, &v);
		(void)job_sent_result(x->job, id, rd->s[lo].node, rd->s[lo].sid, code, &v,
		    node_wall_ms());
		jr_arm(jr, 0);
	}
	if (--rd->left == 0) {
		if (x != NULL)
			x->rounds--;
		TAILQ_REMOVE(&jr->rounds, rd, entry);
		free(rd);
	}
}

/* jr_send: carries out the sends of x (already saved). */
static void
jr_send(struct jobrun *jr, struct jr_job *x, const struct job_send *s, size_t ns)
{
	struct node *n = jr->node;
	enum agent_cmd cmd = x->row.kind == JOB_RECONNECT ? AGENT_CMD_RECONNECT : AGENT_CMD_RESTART;
	struct jr_round *rd = malloc(sizeof(*rd) + ns * sizeof(rd->s[0]));
	struct job_view v;
	size_t i;
	int rc;

	if (rd != NULL) {
		rd->jr = jr;
		rd->job = x->row.id;
		rd->n = ns;
		rd->left = 1;        /* ours until every send is out */
		memcpy(rd->s, s, ns * sizeof(rd->s[0]));
		x->rounds++;
		TAILQ_INSERT_TAIL(&jr->rounds, rd, entry);
	}
	for (i = 0; i < ns; i++) {
		struct agent *a = registry_agent_by_id(n->reg, s[i].id);

		if (a == NULL || a->removed)
			rc = JOB_CODE_GONE;
		else if (a->led.cur.node != s[i].node || a->led.cur.sid != s[i].sid)
			rc = VIGIL_ERR_SESSION_MOVED;   /* not that session any more: not sent */
		else if (rd == NULL)
			rc = 1000;
		else if ((rc = cluster_agent_command(n, a, cmd, x->row.id, jr_answer, rd)) == -1) {
			rd->left++;
			continue;
		}
		jr_view(n, s[i].id, &v);
		(void)job_sent_result(x->job, s[i].id, s[i].node, s[i].sid, rc, &v,
		    node_wall_ms());
	}
	if (rd != NULL) {
		cluster_command_flush(n, rd);
		jr_answer(rd, 0, 0);     /* lets go of our hold (id 0 is in no round) */
	}
}

/* jr_finish: x is done: its last rows and its done time are saved. */
static void
jr_finish(struct jobrun *jr, struct jr_job *x, int64_t now)
{
	x->running = 0;
	jr->nrunning--;
	x->row.done_ms = now;
	(void)jr_save(jr, x);
	if (!jr_unsaved(jr) && registry_job_set(jr->node->reg, &x->row) == -1)
		log_warnx("jobs: job %llu: cannot save its end", (unsigned long long)x->row.id);
	log_info("jobs: job %llu (%s by %s) done: %zu completed, %zu failed, %zu expired, "
	    "%zu cancelled of %zu", (unsigned long long)x->row.id, job_kind_name(x->row.kind),
	    x->row.user, job_count(x->job, JOB_COMPLETED), job_count(x->job, JOB_FAILED),
	    job_count(x->job, JOB_EXPIRED), job_count(x->job, JOB_CANCELLED), job_size(x->job));
}

/* jr_retire: beyond JOBRUN_KEEP jobs, the oldest finished ones go. */
static void
jr_retire(struct jobrun *jr)
{
	struct jr_job *x, *next;

	for (x = TAILQ_FIRST(&jr->jobs); x != NULL && jr->njobs > JOBRUN_KEEP; x = next) {
		next = TAILQ_NEXT(x, entry);
		if (x->running || x->rounds > 0 || jr_unsaved(jr))
			continue;
		if (registry_job_delete(jr->node->reg, x->row.id) == -1)
			return;
		TAILQ_REMOVE(&jr->jobs, x, entry);
		jr->njobs--;
		jr_free_job(x);
	}
}

/*
 * jr_record: the ns sends of this tick in one row of the registry, before they
 * are made; the agents' rows follow at the next save, which drops the row
 * (jr_save).  A master stopped in between replays it when it reads the job
 * back (jr_load_flush).  0 / -1 (nothing recorded: the caller must not send).
 */
static int
jr_record(struct jobrun *jr, struct jr_job *x, size_t ns, int64_t now)
{
	struct node *n = jr->node;
	const char *name = NULL;
	int node = -1;
	size_t i;

	for (i = 0; i < ns; i++) {
		if (jr->sends[i].node != node) {
			node = jr->sends[i].node;
			name = n->hooks.node_name(n, (uint16_t)node);
		}
		jr->wave[i].agent = jr->sends[i].id;
		snprintf(jr->wave[i].node, sizeof(jr->wave[i].node), "%s", name);
		jr->wave[i].sid = jr->sends[i].sid;
		jr->wave[i].sent_ms = now;
	}
#ifdef VIGIL_TEST_FAULTS
	if (n->fault_jobs_record_fails) {
		n->fault_jobs_record_fails = 0;
		log_warnx("jobs: job %llu: cannot record %zu sends (fault injection); trying again",
		    (unsigned long long)x->row.id, ns);
		return -1;
	}
#endif
	if (registry_job_wave_add(n->reg, x->row.id, now, jr->wave, ns) == -1) {
		log_warnx("jobs: job %llu: cannot record %zu sends; trying again",
		    (unsigned long long)x->row.id, ns);
		return -1;
	}
	x->waves = 1;
	return 0;
}

static void
jr_tick_job(struct jobrun *jr, struct jr_job *x, int64_t now)
{
	size_t ns = 0;

	size_t i, size = job_size(x->job);
	struct job_view v;

	/*
	 * Delivered agents are judged again: a session that was not settled
	 * (--restart-settle-ms) when the agent's last change was observed may be
	 * now, and no change of the agent need come to say so.
	 */
	for (i = 0; i < size; i++) {
		const struct job_agent *a = job_agent_at(x->job, i);

		if (a->state != JOB_DELIVERED)
			continue;
		jr_view(jr->node, a->id, &v);
		if (v.sid != a->sid || v.node != a->node)
			(void)job_observe(x->job, a->id, &v, now);
	}
	/* what changed, at most every JOBRUN_SAVE_MS: a failed save holds the sends back */
	if (now - x->saved_ms >= JOBRUN_SAVE_MS && jr_save(jr, x) == -1)
		return;
	if (jr->capsends > 0)
		ns = job_tick(x->job, now, jr_view, jr->node, jr->sends, jr->capsends);
	if (ns > 0 && jr_record(jr, x, ns, now) == -1) {
		/* not recorded, so not sent: as an answer that never came (1792), they may
		 * go to the same sessions at a later tick, once the registry takes them */
		for (i = 0; i < ns; i++)
			(void)job_sent_result(x->job, jr->sends[i].id, jr->sends[i].node,
			    jr->sends[i].sid, JOB_CODE_UNREACHABLE, NULL, now);
		return;
	}
	if (ns > 0)
		jr_send(jr, x, jr->sends, ns);
	if (job_is_done(x->job))
		jr_finish(jr, x, now);
}

static void
jr_tick(evutil_socket_t fd, short what, void *arg)
{
	struct jobrun *jr = arg;
	struct jr_job *x;
	int64_t now = node_wall_ms();

	(void)fd;
	(void)what;
	jr->tick_armed = 0;
	TAILQ_FOREACH(x, &jr->jobs, entry)
		if (x->running)
			jr_tick_job(jr, x, now);
	jr_retire(jr);
	if (jr->nrunning > 0)
		jr_arm(jr, 0);
}

/* jr_arm: the next tick in JOBRUN_TICK_MS, or in this loop turn (now). */
static void
jr_arm(struct jobrun *jr, int now)
{
	struct timeval tv = { 0, now ? 0 : JOBRUN_TICK_MS * 1000 };

	if (now) {
		event_del(jr->tick_ev);
		event_active(jr->tick_ev, EV_TIMEOUT, 0);
		jr->tick_armed = 1;
		return;
	}
	if (!jr->tick_armed && evtimer_add(jr->tick_ev, &tv) == 0)
		jr->tick_armed = 1;
}

/* jr_agent_state: the ledger changed agent a: the running jobs holding it observe it. */
static void
jr_agent_state(struct node *n, struct agent *a)
{
	struct jobrun *jr = n->jobs;
	struct jr_job *x;
	struct job_view v;
	int seen = 0;

	if (jr == NULL || jr->nrunning == 0)
		return;
	TAILQ_FOREACH(x, &jr->jobs, entry) {
		if (!x->running || job_find(x->job, a->id) == NULL)
			continue;
		if (!seen) {
			jr_view(n, a->id, &v);
			seen = 1;
		}
		(void)job_observe(x->job, a->id, &v, node_wall_ms());
	}
	if (seen)
		jr_arm(jr, 0);
}

/* jr_grow: room for max sends a tick. */
static int
jr_grow(struct jobrun *jr, size_t max)
{
	struct job_send *v;
	struct registry_job_wave *w;

	if (max <= jr->capsends)
		return 0;
	if ((v = reallocarray(jr->sends, max, sizeof(*v))) == NULL)
		return -1;
	jr->sends = v;
	if ((w = reallocarray(jr->wave, max, sizeof(*w))) == NULL)
		return -1;
	jr->wave = w;
	jr->capsends = max;
	return 0;
}

/* jr_adopt: x joins the list (id order), with its saved copy; 0 / -1. */
static int
jr_adopt(struct jobrun *jr, struct jr_job *x)
{
	size_t i, size = job_size(x->job);

	if (size > 0 && (x->saved = calloc(size, sizeof(*x->saved))) == NULL)
		return -1;
	for (i = 0; i < size; i++)
		x->saved[i] = *job_agent_at(x->job, i);
	(void)job_sent_old(x->job, &x->nold_saved);
	if (jr_grow(jr, size) == -1)
		return -1;
	x->running = x->row.done_ms == 0;
	TAILQ_INSERT_TAIL(&jr->jobs, x, entry);
	jr->njobs++;
	if (x->running)
		jr->nrunning++;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
jobrun_create(struct node *n, const struct jobrun_params *p, const uint32_t *ids, size_t nids,
    uint64_t *id)
{
	struct jobrun *jr = n->jobs;
	struct jr_job *x = NULL;
	int64_t now = node_wall_ms();
	uint32_t *set = NULL;
	size_t i, nset = 0;

	if (jr == NULL || (p->kind != JOB_RESTART && p->kind != JOB_RECONNECT))
		return -1;
	/* the agents as a set in id order: the registry's rows and the job's are the same */
	if (nids > 0 && (set = calloc(nids, sizeof(*set))) == NULL)
		goto err;
	if (nids > 0)
		memcpy(set, ids, nids * sizeof(*set));
	qsort(set, nids, sizeof(*set), cmp_u32);
	for (i = 0; i < nids; i++)
		if (nset == 0 || set[nset - 1] != set[i])
			set[nset++] = set[i];
	if ((x = calloc(1, sizeof(*x))) == NULL)
		goto err;
	x->row.kind = p->kind;
	snprintf(x->row.user, sizeof(x->row.user), "%s", p->user != NULL ? p->user : "");
	snprintf(x->row.scope, sizeof(x->row.scope), "%s", p->scope != NULL ? p->scope : "");
	x->row.created_ms = now;
	x->row.expires_ms = now + (p->expires_in_ms > 0 ? p->expires_in_ms : JOB_EXPIRES_DEFAULT_MS);
	x->row.max_in_flight = (int)p->max_in_flight;
	x->row.rate = (int)p->rate;
	if (registry_job_create(n->reg, &x->row, set, nset) == -1)
		goto err;
	if ((x->job = job_new(x->row.id, p->kind, now, x->row.expires_ms - now, p->max_in_flight,
	    p->rate)) == NULL || job_add(x->job, set, nset) == -1 || jr_adopt(jr, x) == -1) {
		(void)registry_job_delete(n->reg, x->row.id);
		goto err;
	}
	free(set);
	*id = x->row.id;
	log_info("jobs: job %llu: %s of %zu agents by %s (%s; max_in_flight %u, rate %u/s, "
	    "expires in %lld s)", (unsigned long long)x->row.id, job_kind_name(p->kind),
	    job_size(x->job), x->row.user, x->row.scope, p->max_in_flight, p->rate,
	    (long long)((x->row.expires_ms - now) / 1000));
	/* the first sends now, before the caller answers: a 10,000-agent answer takes its
	 * time to build, and the commands were on their way before it when there were no jobs */
	jr_tick_job(jr, x, now);
	jr_arm(jr, 0);
	return 0;
err:
	log_warnx("jobs: cannot create a job of %zu agents", nids);
	free(set);
	jr_free_job(x);
	return -1;
}

/* Reading the jobs back: the rows of one job are gathered, then restored. */
struct jr_load {
	struct jobrun *jr;
	struct registry_job row;
	int have;
	struct job_agent *rows;
	size_t nrows, caprows;
	struct job_sent *olds;
	size_t nolds, capolds;
	struct job_send *wave;           /* recorded sends the rows may not show ... */
	int64_t *wave_ms;                /* ... and their times */
	size_t nwave, capwave;
	int failed;
};

static int
jr_load_sent_add(struct jr_load *l, const struct job_sent *s)
{
	struct job_sent *o;

	if (l->nolds == l->capolds) {
		size_t cap = l->capolds ? 2 * l->capolds : 64;

		if ((o = reallocarray(l->olds, cap, sizeof(*o))) == NULL)
			return -1;
		l->olds = o;
		l->capolds = cap;
	}
	l->olds[l->nolds++] = *s;
	return 0;
}

static int
jr_node_index(struct node *n, const char *name)
{
	int idx = name[0] != '\0' ? n->hooks.node_index(n, name) : 0;

	/* a node this master cannot name (no cluster any more): a session never seen again */
	return idx < 0 ? UINT16_MAX : idx;
}

static int
cmp_row(const void *key, const void *row)
{
	uint32_t id = *(const uint32_t *)key, r = ((const struct job_agent *)row)->id;

	return id < r ? -1 : id > r;
}

/*
 * jr_load_replay: the recorded sends (waves) on the rows, as job_tick made
 * them; the rows as they were read go to *pre (the saved copy: what the
 * registry has), so the next save writes the replayed ones and drops the
 * waves.  0 / -1 (no memory).
 */
static int
jr_load_replay(struct jr_load *l, struct job_agent **pre, size_t *nold_pre)
{
	size_t i;

	*nold_pre = l->nolds;
	if (l->nrows > 0 && (*pre = malloc(l->nrows * sizeof(**pre))) == NULL)
		return -1;
	if (l->nrows > 0)
		memcpy(*pre, l->rows, l->nrows * sizeof(**pre));
	for (i = 0; i < l->nwave; i++) {
		struct job_agent *row = bsearch(&l->wave[i].id, l->rows, l->nrows, sizeof(*row),
		    cmp_row);
		struct job_sent old;
		int rc;

		if (row == NULL)
			continue;    /* not an agent of the job: job_restore judges the rest */
		rc = job_row_sent(row, l->wave[i].node, l->wave[i].sid, l->wave_ms[i], &old);
		if (rc == 1 && jr_load_sent_add(l, &old) == -1)
			return -1;
	}
	return 0;
}

/* jr_load_flush: the job gathered so far, restored and adopted. */
static int
jr_load_flush(struct jr_load *l)
{
	struct job_head h;
	struct jr_job *x;
	struct job_agent *pre = NULL;
	size_t nold_pre = 0, i;
	int replayed = l->nwave > 0;

	if (!l->have)
		return 0;
	l->have = 0;
	if (replayed && jr_load_replay(l, &pre, &nold_pre) == -1) {
		free(pre);
		return -1;
	}
	if (replayed)
		log_info("jobs: job %llu: %zu sends recorded before a stop replayed",
		    (unsigned long long)l->row.id, l->nwave);
	l->nwave = 0;
	memset(&h, 0, sizeof(h));
	h.version = JOB_FORMAT_VERSION;
	h.id = l->row.id;
	h.kind = l->row.kind;
	h.created_ms = l->row.created_ms;
	h.expires_ms = l->row.expires_ms;
	h.max_in_flight = (uint32_t)l->row.max_in_flight;
	h.rate = (uint32_t)l->row.rate;
	h.cancelled = l->row.cancelled_ms != 0;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		free(pre);
		return -1;
	}
	x->row = l->row;
	if ((x->job = job_restore(&h, l->rows, l->nrows, l->olds, l->nolds)) == NULL) {
		log_warnx("jobs: job %llu in the registry is not valid: left out",
		    (unsigned long long)l->row.id);
		l->failed++;
		free(pre);
		jr_free_job(x);
		return 0;
	}
	if (jr_adopt(l->jr, x) == -1) {
		free(pre);
		jr_free_job(x);
		return -1;
	}
	if (replayed) {
		/* what the registry holds: the next save writes the rest and drops the waves */
		for (i = 0; i < l->nrows && i < job_size(x->job); i++)
			x->saved[i] = pre[i];
		x->nold_saved = nold_pre;
		x->waves = 1;
	}
	free(pre);
	return 0;
}

static int
jr_load_job(void *arg, const struct registry_job *j)
{
	struct jr_load *l = arg;

	if (jr_load_flush(l) == -1)
		return -1;
	l->row = *j;
	l->have = 1;
	l->nrows = l->nolds = l->nwave = 0;
	return 0;
}

static int
jr_load_agent(void *arg, uint64_t job, const struct registry_job_agent *a)
{
	struct jr_load *l = arg;
	struct job_agent *r;

	(void)job;
	if (l->nrows == l->caprows) {
		size_t cap = l->caprows ? 2 * l->caprows : 1024;

		if ((r = reallocarray(l->rows, cap, sizeof(*r))) == NULL)
			return -1;
		l->rows = r;
		l->caprows = cap;
	}
	r = &l->rows[l->nrows++];
	memset(r, 0, sizeof(*r));
	r->id = a->agent;
	r->state = a->state;
	r->node = a->sid != 0 ? jr_node_index(l->jr->node, a->node) : 0;
	r->sid = a->sid;
	r->sent_ms = a->sent_ms;
	r->sends = (uint32_t)a->sends;
	r->code = a->code;
	r->wait = a->wait;
	r->t_pending = l->row.created_ms;
	r->t_delivered = a->t_delivered;
	r->t_done = a->t_done;
	return 0;
}

static int
jr_load_sent(void *arg, uint64_t job, const struct registry_job_sent *s)
{
	struct jr_load *l = arg;
	struct job_sent o;

	(void)job;
	o.id = s->agent;
	o.node = jr_node_index(l->jr->node, s->node);
	o.sid = s->sid;
	return jr_load_sent_add(l, &o);
}

static int
jr_load_wave(void *arg, uint64_t job, const struct registry_job_wave *w)
{
	struct jr_load *l = arg;

	(void)job;
	if (l->nwave == l->capwave) {
		size_t cap = l->capwave ? 2 * l->capwave : 1024;
		struct job_send *s;
		int64_t *t;

		if ((s = reallocarray(l->wave, cap, sizeof(*s))) == NULL)
			return -1;
		l->wave = s;
		if ((t = reallocarray(l->wave_ms, cap, sizeof(*t))) == NULL)
			return -1;
		l->wave_ms = t;
		l->capwave = cap;
	}
	l->wave[l->nwave].id = w->agent;
	l->wave[l->nwave].node = jr_node_index(l->jr->node, w->node);
	l->wave[l->nwave].sid = w->sid;
	l->wave_ms[l->nwave++] = w->sent_ms;
	return 0;
}

int
jobrun_start(struct node *n)
{
	struct jobrun *jr;
	struct jr_load l;
	struct registry_job_cb cb = { jr_load_job, jr_load_agent, jr_load_sent, jr_load_wave, &l };
	int rc;

	if ((jr = calloc(1, sizeof(*jr))) == NULL)
		return -1;
	jr->node = n;
	TAILQ_INIT(&jr->jobs);
	TAILQ_INIT(&jr->rounds);
	if ((jr->tick_ev = evtimer_new(n->base, jr_tick, jr)) == NULL) {
		free(jr);
		return -1;
	}
	n->jobs = jr;
	memset(&l, 0, sizeof(l));
	l.jr = jr;
	rc = registry_job_load(n->reg, &cb);
	if (rc == 0)
		rc = jr_load_flush(&l);
	free(l.rows);
	free(l.olds);
	free(l.wave);
	free(l.wave_ms);
	if (rc == -1) {
		log_warnx("jobs: cannot read the jobs back from the registry");
		jobrun_stop(n);
		return -1;
	}
	n->hooks.agent_state = jr_agent_state;
	if (jr->njobs > 0)
		log_info("jobs: %zu jobs read back, %zu still running", jr->njobs, jr->nrunning);
	if (jr->nrunning > 0)
		jr_arm(jr, 1);
	return 0;
}

void
jobrun_stop(struct node *n)
{
	struct jobrun *jr = n->jobs;
	struct jr_round *rd;
	struct jr_job *x;

	if (jr == NULL)
		return;
	/* answers still due: the cluster forgets them, so no callback comes after this */
	while ((rd = TAILQ_FIRST(&jr->rounds)) != NULL) {
		cluster_cancel(n, rd);
		TAILQ_REMOVE(&jr->rounds, rd, entry);
		free(rd);
	}
	while ((x = TAILQ_FIRST(&jr->jobs)) != NULL) {
		(void)jr_save(jr, x);
		TAILQ_REMOVE(&jr->jobs, x, entry);
		jr_free_job(x);
	}
	event_free(jr->tick_ev);
	free(jr->sends);
	free(jr->wave);
	free(jr);
	n->jobs = NULL;
}

size_t
jobrun_count(struct node *n)
{
	return n->jobs != NULL ? n->jobs->njobs : 0;
}

const struct job *
jobrun_at(struct node *n, size_t i, const struct registry_job **row)
{
	struct jr_job *x;

	if (n->jobs == NULL)
		return NULL;
	TAILQ_FOREACH(x, &n->jobs->jobs, entry)
		if (i-- == 0) {
			if (row != NULL)
				*row = &x->row;
			return x->job;
		}
	return NULL;
}

const struct job *
jobrun_find(struct node *n, uint64_t id, const struct registry_job **row)
{
	struct jr_job *x;

	if (n->jobs == NULL || (x = jr_by_id(n->jobs, id)) == NULL)
		return NULL;
	if (row != NULL)
		*row = &x->row;
	return x->job;
}

int
jobrun_cancel(struct node *n, uint64_t id)
{
	struct jobrun *jr = n->jobs;
	struct jr_job *x;
	int64_t now = node_wall_ms();

	if (jr == NULL || (x = jr_by_id(jr, id)) == NULL || !x->running || x->row.cancelled_ms != 0)
		return 0;
	x->row.cancelled_ms = now;
	(void)job_cancel(x->job, now);
	if (registry_job_set(n->reg, &x->row) == -1 || jr_save(jr, x) == -1)
		return -1;
	log_info("jobs: job %llu cancelled", (unsigned long long)id);
	jr_arm(jr, 1);
	return 1;
}
