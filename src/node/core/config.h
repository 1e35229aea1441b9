/* config.h — vigild's settings, from the command line and an optional config file. */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum node_role { ROLE_MASTER = 0, ROLE_WORKER };

/* A worker is given up to this many master-capable nodes (--master a:P,b:P,...). */
#define CONFIG_MASTERS_MAX 8

/* One address of --master, checked at start-up (config_masters_parse). */
struct config_master {
	char addr[128];             /* HOST:PORT as given, without the spaces around it */
	char host[128];             /* HOST: no ':', no space or control character */
	char port[6];               /* PORT: 1..65535 in decimal digits */
};

struct config {
	int role;
	char name[64];              /* node name, default "master-node" / "worker" */
	char data_dir[512];         /* default ./vigil-data */
	char registry[1024];        /* a postgresql:// URI; "" = SQLite, DATA_DIR/registry.db */
	char listen[64];            /* address to bind, default 0.0.0.0 */
	int agent_port;             /* 1514 */
	int enroll_port;            /* 1515 */
	int cluster_port;           /* 1516 */
	int api_port;               /* 55000 */
	char enroll_password_file[512];
	char cert_file[512];        /* TLS certificate (chain) for enrollment and the API; */
	char key_file[512];         /* "" = the self-signed DATA_DIR/sslmanager.{cert,key} */
	int foreground;
	int verbose;                /* 0 quiet, 1 info, 2 debug */
	int agents_disconnection_time; /* seconds, 600 */
	int token_lifetime;         /* seconds, 900 (until PUT /security/config sets one) */
	int api_request_timeout;    /* s before a request without wait_for_complete gets 3021, 10 */
	int max_login_attempts;     /* failed logins per IP before it is blocked, 50 (0: off) */
	int block_time;             /* seconds an IP stays blocked, 300 */
	int max_request_per_minute; /* API requests per user and minute, 300 (0: off) */
	int max_logins_per_source;  /* login attempts per address and minute, 60 (0: off) */
	int max_logins_per_user;    /* login attempts per user name and minute, 30 (0: off) */
	int login_threads;          /* threads that check login passwords, 1 */
	int login_queue;            /* logins waiting for or in a check at most, 32 */
	int flush_interval_ms;      /* registry batch interval, 100 */
	char master[1024];          /* worker: --master as given, HOST:PORT[,HOST:PORT...] */
	struct config_master masters[CONFIG_MASTERS_MAX]; /* worker: that list, parsed */
	size_t nmasters;            /* how many (0: --master not given) */
	char cluster_key_file[512];
	char user[64];              /* started as root: run as this user once the ports are bound */
	int node_grace;             /* s before a lost worker's agents are disconnected, 10 */
	int test_faults;            /* tests only: obey <data-dir>/faults.cmd (cluster.c) */
	int keys_chunk;             /* agents per keys frame of a full table, 5000 (tests: less) */
	/*
	 * Listener limits (docs/operations.md, "Limits").  A deadline is counted
	 * from the accept and is not moved by the bytes the peer sends; it ends
	 * when the peer is trusted (a frame that decrypts, a request line, a
	 * complete HTTP request, the cluster hello).  0 caps mean no cap.
	 */
	int agent_max_connections;  /* 0: what the descriptors allow */
	int agent_max_per_source;   /* 0: none (agents behind one NAT address) */
	int agent_deadline;         /* s, 60: never below CONFIG_AGENT_DEADLINE_MIN */
	int agent_deadline_asked;   /* a smaller value given, raised to the floor (logged), or 0 */
	int agent_frame_deadline;   /* s, 60: a frame, once begun, is complete within this */
	int enroll_max_connections; /* 1024 */
	int enroll_max_per_source;  /* 64 */
	int enroll_deadline;        /* s, 10 */
	int enroll_per_minute;      /* enrollment requests per source, 60 (0: no limit) */
	int enroll_burst;           /* 120 */
	int enroll_total_per_minute; /* from all sources together, 0 (no limit) */
	int enroll_total_burst;     /* 0: enroll_total_per_minute */
	int api_max_connections;    /* 256 */
	int api_max_per_source;     /* 64 */
	int api_deadline;           /* s, 10 */
	int api_max_body_kib;       /* one request's body, 10240 (Wazuh's max_upload_size) */
	int api_body_budget_kib;    /* bodies of every connection together, 131072 (0: none) */
	int restart_settle_ms;      /* ms, 2000: a session active this long without "Agent
	                             * started" is taken as the same process (jobs) */
	int restart_grace;          /* s, 10: an agent this recently disconnected is targeted by
	                             * restart jobs (it is moving to another node) */
	int cluster_max_connections; /* 64 */
	int cluster_max_per_source; /* 16 */
	int cluster_deadline;       /* s, 10 */
	/*
	 * GET /metrics (docs/operations.md, "Metrics"): on the API port of the
	 * master, and on a port of its own when metrics_port is set (0: off).
	 */
	int metrics_port;
	char metrics_bind[64];      /* that port's address, 127.0.0.1 */
	char metrics_token_file[512]; /* a bearer token that may scrape ("" : JWTs only, and
	                             * the metrics port is open to whoever reaches it) */
	int metrics_max_connections; /* 16 */
	int metrics_max_per_source; /* 8 */
	int metrics_deadline;       /* s, 10 */
	int allow_higher_versions;  /* accept agents newer than VIGIL_MANAGER_VERSION (Wazuh's
	                             * <agents><allow_higher_versions>), 0 */
};

/*
 * A new agent connection has this long at least to send its first frame:
 * Wazuh's agent simulator waits 10 s after connecting, and a Wazuh agent
 * gives up on a connection only after its time-reconnect (60 s).  remoted has
 * no such timer at all; a smaller --agent-deadline is raised to this.
 */
#define CONFIG_AGENT_DEADLINE_MIN 60

/* config_defaults: fills c with the built-in defaults. */
void config_defaults(struct config *c);

/*
 * config_parse_args: applies argv over c.  "--config FILE" is read first
 * (wherever it appears), then the other options override it.  Returns 0, 1
 * when the program should exit successfully (--help), -1 on a bad option
 * (message printed to stderr).
 */
int config_parse_args(struct config *c, int argc, char **argv);

/*
 * config_load_file: reads "key = value" lines (keys are the long option names
 * without "--", '#' starts a comment).  0 / -1 with the line number reported.
 */
int config_load_file(struct config *c, const char *path);

/*
 * config_masters_parse: v is a comma-separated list of HOST:PORT (spaces
 * around an item are not part of it).  Fills out[0..count) and returns the
 * count (1 to max), or -1 with why in err (the item is quoted): an empty
 * item, no port, no host, a port not in 1..65535, a ':' or a space in the
 * host, an item of 128 characters or more, an address listed twice, more
 * than max.  Pure: no I/O, no name resolution (DNS may be down at start-up).
 */
int config_masters_parse(const char *v, struct config_master *out, size_t max, char *err,
    size_t errlen);

/* config_set: applies one option by name; 0 / -1 (unknown key or bad value, printed). */
int config_set(struct config *c, const char *key, const char *value);

void config_usage(FILE *f);

#endif
