/* registry.h — the master's authoritative agent table: in memory, persisted to SQLite. */
#ifndef VIGIL_REGISTRY_H
#define VIGIL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "node/core/agent.h"

struct registry;

/*
 * registry_open: opens (creating and migrating) the SQLite database at path
 * in WAL mode, or the PostgreSQL database path names when it is a
 * postgresql:// connection URI, and loads every agent into memory.  Creates agent 000 (the
 * manager: name = manager_name, status active, version = manager_version,
 * node_name) when absent and refreshes it otherwise.  NULL on failure (logged).
 */
struct registry *registry_open(const char *path, const char *manager_name,
    const char *node_name, const char *manager_version);
/*
 * registry_open_wait: registry_open, which on PostgreSQL returns only once
 * node_name is the coordinator of the nodes sharing the database (it waits
 * as a standby while another is).  With wait, a database server that cannot
 * be reached is waited for too (a node that stepped down); without, that
 * fails at once (a mistyped URI is an error at start-up).
 */
struct registry *registry_open_wait(const char *path, const char *manager_name,
    const char *node_name, const char *manager_version, int wait);
/*
 * registry_check: 0 while this node may write the registry; -1 once its term
 * as coordinator is over (its session with PostgreSQL was lost, or another
 * node took a newer term): from then on every write fails and the node must
 * step down.  SQLite: always 0.  registry_term: this node's term (0 with
 * SQLite, -1 once over).
 */
int registry_check(struct registry *r);
long long registry_term(struct registry *r);

/* registry_where: path as it may be logged: a URI loses its password (":***"). */
void registry_where(const char *path, char *buf, size_t cap);

/* The lastKeepAlive wazuh-db gives the manager (000): 9999-12-31T23:59:59Z, never old. */
#define REGISTRY_MANAGER_KEEPALIVE ((time_t)253402300799LL)

/*
 * registry_manager_os: agent 000 takes the OS fields of ai (os_uname,
 * os_name, os_version, os_major, os_minor, os_build, os_codename,
 * os_platform, os_arch): this host, as Wazuh describes its manager.
 */
void registry_manager_os(struct registry *r, const struct agent_info *ai);
/* registry_close: flushes pending writes and closes; NULL is a no-op. */
void registry_close(struct registry *r);

/* Agents are kept sorted by id.  Index 0 is agent 000.  Pointers stay valid until
 * the agent is removed or the registry closed (agents are allocated one by one). */
size_t registry_count(const struct registry *r);
struct agent *registry_agent_at(const struct registry *r, size_t i);
struct agent *registry_agent_by_id(const struct registry *r, unsigned int id);
struct agent *registry_agent_by_name(const struct registry *r, const char *name);
/* registry_agent_by_ip: the agent whose client.keys ip is exactly this single host
 * (never agent 000; NULL for "any" or a CIDR).  A linear scan. */
struct agent *registry_agent_by_ip(const struct registry *r, const char *ip);

/*
 * registry_agent_add: a new agent with the next id (max id ever issued + 1,
 * never reused), status never_connected, date_add = now, group "default" when
 * groups is NULL or empty.  Written at the next flush.  NULL on failure,
 * including a name already taken or a field too long for struct agent.
 */
struct agent *registry_agent_add(struct registry *r, const char *name, const char *ip,
    const char *register_ip, const char *key, const char *groups, time_t now);

/*
 * registry_agent_put: as registry_agent_add with a given id (a worker copying
 * the master's agents).  NULL when the id or the name is taken.
 */
struct agent *registry_agent_put(struct registry *r, unsigned int id, const char *name,
    const char *ip, const char *register_ip, const char *key, const char *groups, time_t now);

/* registry_agent_remove: drops an agent (not 000).  The caller must have closed its session. 0 / -1.
 * The agent leaves the table at once; its struct (a->removed = 1) stays valid
 * until the next successful flush. */
int registry_agent_remove(struct registry *r, unsigned int id);

/* registry_agent_dirty: the agent's record changed; persist it at the next flush. */
void registry_agent_dirty(struct registry *r, struct agent *a);
/*
 * registry_agent_touch: only the agent's last keepalive changed.  It is
 * written by registry_flush_touches (every REGISTRY_TOUCH_FLUSH_S), not at the
 * next flush: the API reads memory, and rewriting a whole row for every
 * keepalive was most of the master's cost per keepalive.  A crash loses at
 * most that much of lastKeepAlive history; a clean stop loses none.
 */
#define REGISTRY_TOUCH_FLUSH_S 30
void registry_agent_touch(struct registry *r, struct agent *a);
/* registry_flush_touches: writes up to max queued keepalive times; how many, or -1. */
int registry_flush_touches(struct registry *r, size_t max);
/* registry_touches_pending: keepalive times queued. */
size_t registry_touches_pending(const struct registry *r);

/* registry_flush: writes every dirty agent and removal in one transaction. Returns rows written, -1 on error. */
int registry_flush(struct registry *r);
/*
 * registry_flush_some: the same for at most max_rows queued upserts (all
 * removals), leaving the rest queued: bounds how long one flush holds the
 * event loop.  Rows written, or -1.
 */
int registry_flush_some(struct registry *r, size_t max_rows);

/* registry_write_stats: rows and transactions committed so far. */
void registry_write_stats(const struct registry *r, uint64_t *rows, uint64_t *commits);
/* registry_commit_seconds: how long each of those transactions took (BEGIN to COMMIT). */
struct promhist;
const struct promhist *registry_commit_seconds(const struct registry *r);

/* registry_pending: rows waiting for the next flush. */
size_t registry_pending(const struct registry *r);

/* Users of the REST API (written immediately; see regdb_user_* for the return values). */
#define REGISTRY_USER_ROLES_MAX 16
struct registry_user {
	long long id;                 /* 1..99 reserved (Wazuh's admin users), then 100.. */
	char name[128];
	char hash[160];               /* auth_password_hash's text */
	int allow_run_as;
	long long revoked_ms;         /* tokens issued up to this (ms) are revoked */
	int roles[REGISTRY_USER_ROLES_MAX];
	size_t nroles;
};
int registry_user_find(struct registry *r, const char *name, struct registry_user *u);
int registry_user_find_id(struct registry *r, long long id, struct registry_user *u);
int registry_user_list(struct registry *r, struct registry_user **out, size_t *n);
int registry_user_add(struct registry *r, const char *name, const char *hash, int reserved,
    long long *id);
int registry_user_delete(struct registry *r, long long id);
int registry_user_set_hash(struct registry *r, long long id, const char *hash);
int registry_user_revoke(struct registry *r, long long id, long long ms);
int registry_user_role_add(struct registry *r, long long uid, int rid);
int registry_user_role_del(struct registry *r, long long uid, int rid);
int registry_user_count(struct registry *r);

/*
 * The API's custom RBAC (registry_sec.c, written at once): Wazuh's roles,
 * policies and security rules, a role's policies in order and its rules.
 * Ids up to 99 are Wazuh's defaults; new ones take max(id) + 1, at least 100.
 */
enum registry_sec_kind { REGISTRY_SEC_ROLE, REGISTRY_SEC_POLICY, REGISTRY_SEC_RULE };
struct registry_sec_cb {
	/* every role, policy and rule by kind and id (body: NULL for roles) */
	int (*item)(void *arg, enum registry_sec_kind k, long long id, const char *name,
	    const char *body, long long revoked_ms);
	/* every role-policy link (k POLICY, in position order) and role-rule link (k RULE) */
	int (*link)(void *arg, enum registry_sec_kind k, long long role, long long other);
	void *arg;
};
/* registry_sec_load: everything through cb; 0, or -1 on an error or a callback's -1. */
int registry_sec_load(struct registry *r, const struct registry_sec_cb *cb);
/* registry_sec_add: 0 added (*id set), 1 the name (or body) exists, -1 error. */
int registry_sec_add(struct registry *r, enum registry_sec_kind k, const char *name,
    const char *body, long long *id);
/* registry_sec_update: name and/or body (NULL: unchanged): 1 done, 0 no such id, 2 taken, -1. */
int registry_sec_update(struct registry *r, enum registry_sec_kind k, long long id,
    const char *name, const char *body);
/* registry_sec_delete: the item and its links: 1 / 0 no such id / -1. */
int registry_sec_delete(struct registry *r, enum registry_sec_kind k, long long id);
/*
 * registry_sec_link: links role to a policy (k POLICY: at position, later
 * ones move down; position < 0 or past the end: last) or a rule (k RULE).
 * 1 linked, 0 already linked, -1.  registry_sec_unlink: 1 / 0 not linked / -1.
 */
int registry_sec_link(struct registry *r, enum registry_sec_kind k, long long role,
    long long other, long long position);
int registry_sec_unlink(struct registry *r, enum registry_sec_kind k, long long role,
    long long other);
/* registry_sec_revoke_role: tokens carrying role issued up to ms are revoked.  0 / -1. */
int registry_sec_revoke_role(struct registry *r, long long role, long long ms);
/* registry_user_set_run_as: the user's allow_run_as: 1 / 0 no such user / -1. */
int registry_user_set_run_as(struct registry *r, long long id, int allow);

/*
 * Restart and reconnect jobs (registry_jobs.c, schema step 7), written at
 * once, each call in one transaction: a job's row, and one row per agent
 * with where it stands (the job module's state, times in ms, the session the
 * command last went to as node name and session id).  Ids are never reused.
 */
struct registry_job {
	uint64_t id;
	int kind;                     /* the job module's kind */
	char user[128];               /* who asked */
	char scope[256];              /* what was asked, as text */
	int64_t created_ms, expires_ms, cancelled_ms, done_ms;
	int max_in_flight, rate;      /* 0: no limit */
};
struct registry_job_agent {
	uint32_t agent;
	int state;                    /* the job module's state */
	int64_t t_delivered, t_done, sent_ms;
	char node[64];                /* "" before the first send */
	uint64_t sid;
	int sends, code;
	int wait;                     /* the node's answer to the latest send was due */
};
/* A session a job sent an agent's command to before its latest send. */
struct registry_job_sent {
	uint32_t agent;
	char node[64];
	uint64_t sid;
};
/* One send of a tick, recorded before it is made (registry_job_wave_add). */
struct registry_job_wave {
	uint32_t agent;
	char node[64];                /* a node name: [A-Za-z0-9._-] */
	uint64_t sid;                 /* not 0 */
	int64_t sent_ms;              /* the wave's time (given per wave when added) */
};
struct registry_job_cb {
	/* every job in id order, then each of its agents (in agent order), its
	 * earlier sessions, and the sends of its waves still recorded (in the
	 * order they were added); -1 stops.  wave may be NULL. */
	int (*job)(void *arg, const struct registry_job *j);
	int (*agent)(void *arg, uint64_t job, const struct registry_job_agent *a);
	int (*sent)(void *arg, uint64_t job, const struct registry_job_sent *s);
	int (*wave)(void *arg, uint64_t job, const struct registry_job_wave *w);
	void *arg;
};
/* registry_job_create: j (its id set here) with agents in state 0.  0 / -1. */
int registry_job_create(struct registry *r, struct registry_job *j, const uint32_t *agents,
    size_t n);
/* registry_job_set: the job's cancelled_ms and done_ms.  0 / -1. */
int registry_job_set(struct registry *r, const struct registry_job *j);
/*
 * registry_job_save: the rows of n agents of job (each must exist), and
 * nold earlier sessions (added; one already there is kept); with drop_waves,
 * the job's waves go (the rows show them now).  0 / -1, and then nothing of
 * it is written.
 */
int registry_job_save(struct registry *r, uint64_t job, const struct registry_job_agent *v,
    size_t n, const struct registry_job_sent *old, size_t nold, int drop_waves);
/*
 * registry_job_wave_add: one row for n sends made at sent_ms (v's sent_ms is
 * not read), written before they are made: a single insert, where saving
 * each agent's row would be one update an agent (37 ms for 10,000 here).  A
 * node name that is empty or not [A-Za-z0-9._-] fails it.  0 / -1.
 */
int registry_job_wave_add(struct registry *r, uint64_t job, int64_t sent_ms,
    const struct registry_job_wave *v, size_t n);
/* registry_job_load: every job and its agents through cb.  0, or -1 (error or cb's -1). */
int registry_job_load(struct registry *r, const struct registry_job_cb *cb);
/* registry_job_delete: the job and its agents: 1 / 0 no such job / -1. */
int registry_job_delete(struct registry *r, uint64_t job);

/*
 * Groups and their agent.conf (written immediately).  registry_groups_load
 * calls cb(arg, name, conf, len) for each; 0 / -1.
 */
int registry_groups_load(struct registry *r,
    int (*cb)(void *, const char *, const char *, size_t), void *arg);
int registry_group_save(struct registry *r, const char *name, const char *conf, size_t len);
int registry_group_delete(struct registry *r, const char *name);

/* Small key/value table for node metadata (written immediately). */
int registry_meta_get(struct registry *r, const char *key, char *val, size_t cap);
int registry_meta_set(struct registry *r, const char *key, const char *val);

#endif
