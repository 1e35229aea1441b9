/* opts.h — command-line options of vigil-agent and vigil-sim. */
#ifndef VIGIL_OPTS_H
#define VIGIL_OPTS_H

#include <limits.h>
#include <stddef.h>

#include "agent/mgrlist.h"
#include "proto/enroll.h"

#define OPTS_DEFAULT_VERSION "4.12.0"
#define OPTS_DEFAULT_KEEPALIVE 20
#define OPTS_MANAGER_PORT "1514"
#define OPTS_ENROLL_PORT "1515"

struct agent_opts {
	struct mgrlist_entry managers[MGRLIST_MAX];
	int nmanagers;
	struct mgrlist_entry enroll;        /* defaults to the first manager's host, port 1515 */
	char password_file[PATH_MAX];       /* "" = none */
	char ca[PATH_MAX];                  /* verify the manager against it; "" = do not */
	int host_check;                     /* with ca: the certificate must name the host */
	char name[ENROLL_NAME_MAX + 1];     /* "" = hostname */
	char data_dir[PATH_MAX];
	unsigned int keepalive;             /* seconds */
	char version[16];                   /* "4.12.0", without 'v' */
	int foreground;
	int verbose;
};

#define OPTS_SIM_VERSIONS_MAX 8

struct sim_opts {
	struct mgrlist_entry managers[MGRLIST_MAX];
	int nmanagers;
	struct mgrlist_entry enroll;
	unsigned int agents;
	char version[16];
	unsigned int keepalive;             /* seconds */
	unsigned int duration;              /* seconds, 0 = until a signal */
	char data_dir[PATH_MAX];
	char password_file[PATH_MAX];
	char ca[PATH_MAX];                  /* as struct agent_opts */
	int host_check;
	char name_prefix[64];
	unsigned int restart_delay_ms;
	char summary[PATH_MAX];             /* "" = none */
	unsigned int enroll_concurrency;
	int first_keepalive;                /* seconds after the ack; -1 = soon, with jitter */
	int verbose;
	/* scenarios */
	double migrate_rate;                /* % of agents per second moved to the next manager */
	double flap_rate;                   /* % of agents per second dropped and reconnected */
	unsigned int reconnect_jitter_ms;   /* reconnects wait a random extra [0, this] */
	struct sim_version_share {
		char version[16];
		unsigned int weight;
	} mix[OPTS_SIM_VERSIONS_MAX];       /* agent versions; one entry = --version */
	int nmix;
	/* reporting and control */
	char agent_file[PATH_MAX];          /* per-agent file written at exit / on "dump"; "" = none */
	int summary_brief;                  /* summary without agent_list */
	int control;                        /* commands on stdin, events on stdout */
	int zlib_stored;                    /* --zlib stored (the default) / best */
	int counter;                        /* --counter: OPTS_COUNTER_* */
	unsigned int counter_global;        /* --counter fixed:G:L */
	unsigned int counter_local;
};

/* --counter MODE of vigil-sim (the sim maps them to aconn's counter modes). */
#define OPTS_COUNTER_NORMAL 0               /* one counter across connections */
#define OPTS_COUNTER_FIXED 1                /* fixed:G:L on every message */
#define OPTS_COUNTER_RESET 2                /* 0:0 again on every connection */
#define OPTS_COUNTER_LOCAL_MAX 9999         /* the message header has 4 digits for it */

#define OPTS_SIM_AGENTS_MAX 200000

/*
 * opts_version_parse: "X.Y.Z" or "vX.Y.Z" with 1..3 digit parts; copies the
 * form without 'v' into out (cap bytes).  0 / -1.
 */
int opts_version_parse(const char *s, char *out, size_t cap);

/*
 * opts_parse_agent / opts_parse_sim: parse argv (getopt_long; they reset
 * optind first, so they can be called more than once).  Missing values get
 * their defaults.  0 on success, 1 when --help was asked, -1 with a message
 * in err otherwise.
 */
int opts_parse_agent(int argc, char **argv, struct agent_opts *o, char *err, size_t errcap);
int opts_parse_sim(int argc, char **argv, struct sim_opts *o, char *err, size_t errcap);

extern const char opts_agent_usage[];
extern const char opts_sim_usage[];

#endif
