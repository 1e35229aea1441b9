/* opts.h — vigilctl's command line. */
#ifndef VIGIL_CTL_OPTS_H
#define VIGIL_CTL_OPTS_H

#include <stddef.h>

#include "ctl/conf.h"

/* Exit codes; docs/vigilctl.1 documents them and scripts rely on them. */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_API = 1,           /* the API answered with an error, or some items failed */
	CTL_EXIT_USAGE = 2,         /* bad command line or configuration */
	CTL_EXIT_CONN = 3,          /* cannot connect, TLS or certificate failure */
	CTL_EXIT_AUTH = 4,          /* authentication or permission refused */
	CTL_EXIT_TIMEOUT = 5,       /* --wait: some agents had not completed when it timed out */
	CTL_EXIT_INCOMPLETE = 6,    /* --wait: the job ended with agents failed, expired, cancelled */
	CTL_EXIT_INTERRUPTED = 130, /* --wait ended by SIGINT (128 + 2, as shells report it) */
};

enum ctl_cmd {
	CMD_NONE,
	CMD_HELP,
	CMD_LOGIN,
	CMD_AGENTS_LIST,
	CMD_AGENTS_RESTART,
	CMD_AGENTS_IMPORT,
	CMD_CLUSTER_NODES,
	CMD_CLUSTER_HEALTH,
	CMD_JOBS_LIST,
	CMD_JOBS_SHOW,
	CMD_JOBS_CANCEL,
	CMD_TOP,
};

#define OPTS_MAX_IDS 100000

struct ctl_opts {
	int cmd;
	const char *config;         /* --config FILE, NULL for the default */
	struct ctl_conf flags;      /* --url --user --password --password-file --ca --insecure */
	int json;
	/* agents list */
	const char *status, *node, *group, *q, *search, *select, *sort, *name, *ip,
	    *version, *os_platform;
	long limit;                 /* 0 = every agent */
	long offset;
	long page_size;             /* agents per request while paging (default 1000) */
	/* agents restart */
	int all;
	int wait;                   /* agents restart, jobs show: follow the job(s) until done */
	double timeout;             /* --timeout S for --wait */
	long max_in_flight;         /* --max-in-flight N, -1 when not given (the API's default) */
	long rate;                  /* --rate N (deliveries per second), -1 when not given */
	long expires_in;            /* --expires-in S, -1 when not given */
	int queue;                  /* --queue: offline agents get it when they connect */
	/* jobs */
	unsigned long long job_id;  /* jobs show|cancel ID */
	const char *command;        /* jobs list --command restart|reconnect */
	const char *state;          /* jobs show --state S,... */
	/* top */
	long interval;              /* --interval S: seconds between two refreshes (default 2) */
	int once;                   /* --once: one snapshot, even on a terminal */
	/* agents import */
	const char *keys;           /* --keys FILE: a Wazuh manager's client.keys */
	const char *groups_path;    /* --groups PATH: global.db, agent-groups dir or ID|groups lines */
	char (*ids)[8];             /* normalised agent ids ("001"), nids of them */
	size_t nids;
};

extern const char opts_usage[];

/*
 * opts_parse: argv into o (which it initialises).  0, or -1 with a message in
 * err for a usage error.  o->ids is allocated: opts_free releases it.
 */
int opts_parse(int argc, char **argv, struct ctl_opts *o, char *err, size_t errcap);
void opts_free(struct ctl_opts *o);

/* opts_agent_id: "1", "01", "001" -> "001" into out (cap >= 8); 0 / -1 when not an id. */
int opts_agent_id(const char *s, char *out, size_t cap);

/* opts_name_ok: a node or group name that may go into a URL path (Wazuh's `names`). */
int opts_name_ok(const char *s);

#endif
