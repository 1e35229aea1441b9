/* api_query.h — parsing and validating REST API query parameters (pure). */
#ifndef VIGIL_API_QUERY_H
#define VIGIL_API_QUERY_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "node/core/agent.h"

struct qlang;
struct agents_qc;

struct api_param {
	const char *key;
	const char *value;
};

/* A failed validation: the HTTP status, Wazuh code (0 = schema error without code) and detail text. */
struct api_qerr {
	int http_status;
	int code;
	char detail[1024];        /* Wazuh's 1403/1724 details list every allowed field */
	char remediation[256];    /* replaces the code's remediation when not empty */
};

#define AGENTS_SORT_MAX 8

/* GET /agents parameters. */
struct agents_query {
	unsigned int *ids;        /* agents_list, malloc'd; NULL = all */
	char **id_strs;           /* the ids as given (for failed_items), parallel to ids */
	size_t nids;
	unsigned int status_mask; /* bit (1 << enum agent_status); 0 = any */
	const char *search;       /* substring (case-insensitive); a leading '-' negates */
	char **select;            /* selected top-level or dotted fields; NULL = all */
	size_t nselect;
	struct { char field[40]; int desc; } sort[AGENTS_SORT_MAX];
	size_t nsort;
	long limit;               /* default 500, 1..100000 */
	long offset;              /* default 0 */
	const char *name, *ip, *node_name, *version, *group;  /* exact-match filters or NULL */
	const char *os_name, *os_version, *os_platform, *manager, *register_ip;  /* idem */
	int group_config_status;  /* -1 any, 0 "not synced", 1 "synced" */
	const char *q_str;        /* q as given, or NULL */
	const char *older_than;   /* timeframe as given, or NULL */
	struct qlang *ql;         /* q and older_than together, or NULL (no filter) */
	struct agents_qc *qc;     /* per condition of ql: its value as the field compares it */
	int distinct;
	time_t now;               /* the clock of relative dates; 0 = time(NULL) when run */
	int pretty;
	int wait_for_complete;
};

/*
 * api_parse_bool: "true"/"false" (case-insensitive) -> 1/0; -1 otherwise.
 */
int api_parse_bool(const char *s);

/*
 * api_parse_agents_list: a comma-separated list of agent ids (each ^\d+$,
 * length >= 3 — Wazuh's AgentID format) or "all" (=> *ids NULL, *n 0).
 * Allocates *ids and *strs (caller frees with api_agents_list_free). 0 / -1
 * with err filled (400, schema).
 */
#define API_AGENTS_LIST_MAX 100000   /* items in agents_list, duplicates counted */
int api_parse_agents_list(const char *s, unsigned int **ids, char ***strs, size_t *n,
    struct api_qerr *err);
void api_agents_list_free(unsigned int *ids, char **strs, size_t n);

/*
 * api_check_params: every key of params must be in the NULL-terminated allowed
 * list (strict validation): else 400 with detail
 * "Extra parameter(s) <key> not in spec" (schema error, code 0).
 */
int api_check_params(const struct api_param *params, size_t n, const char *const *allowed,
    struct api_qerr *err);

/*
 * agents_query_parse: validates and fills q from the GET /agents query
 * parameters (unknown parameter, bad limit/offset/status/sort/select/search/
 * older_than -> -1 with err: schema 400s, 1724 bad select, 1407/1408/1409/
 * 1411/1412 bad q, 1403 bad sort field, 2003 offset beyond a 64-bit
 * integer; in that order when several are wrong, as Wazuh checks them).  The
 * string members of q point into params, which must outlive q.  Filters
 * compare case-insensitively, as Wazuh's COLLATE NOCASE does; version
 * matches "Wazuh v4.9.2", "v4.9.2", "Wazuh 4.9.2" and "4.9.2" alike.  sort
 * is Wazuh's "[+|-]f1,f2": the first sign orders every field; a field may
 * carry its own sign ("+a,-b").  older_than is added to q as Wazuh does:
 * "(lastKeepAlive>T;status!=never_connected,dateAdd>T;status=never_connected)"
 * (joined to the user's q by AND, the q in parentheses).  On failure q
 * holds nothing to free.  Caller frees with agents_query_free.
 */
int agents_query_parse(const struct api_param *params, size_t n, struct agents_query *q,
    struct api_qerr *err);
void agents_query_free(struct agents_query *q);

/*
 * agent_to_json: an agent object with Wazuh's fields and types: id ("001"),
 * name, ip, registerIP, status, status_code, os {name, version, platform,
 * codename, major, minor, uname, arch, build}, version, manager, node_name,
 * dateAdd, lastKeepAlive, disconnection_time (ISO "%Y-%m-%dT%H:%M:%S+00:00"),
 * group (array), mergedSum, configSum, group_config_status.  Unknown fields are
 * left out, as Wazuh does.  With select, only those fields (and id).  New reference.
 */
json_t *agent_to_json(const struct agent *a, char *const *select, size_t nselect);

/*
 * agents_query_run: applies q (filters, q, search, sort, offset, limit) to
 * the n agents (sorted by id) and returns the matching ones as JSON objects
 * appended to items; *total receives the match count before offset/limit.
 * Ids in q->ids that do not exist are reported through the missing callback.
 * With distinct, the items are the distinct combinations of the selected
 * fields (every field when none is selected), without id, among the agents
 * that have all of them (not null, not empty), as Wazuh's SELECT DISTINCT;
 * *total counts them.
 */
void agents_query_run(const struct agents_query *q, struct agent *const *agents, size_t n,
    json_t *items, long *total, void (*missing)(void *arg, const char *id), void *arg);

/*
 * agents_query_group: GET /agents/stats/distinct, Wazuh's
 * WazuhDBQueryGroupByAgents: the agents q selects (filters, q, search, sort
 * as agents_query_run) grouped by the selected fields (every field when none
 * is), one item per combination: those fields, a NULL one as "N/A", and
 * "count", the agents in it.  Groups come in the order of their first agent;
 * offset/limit page the groups.  *total is the number of agents matched
 * (Wazuh counts before its GROUP BY).
 */
void agents_query_group(const struct agents_query *q, struct agent *const *agents, size_t n,
    json_t *items, long *total);

/*
 * GET /cluster/nodes (parsed in api_query.c, run in api_query_nodes.c).
 * Wazuh's Master.get_connected_nodes over utils.process_array: items are
 * {name, type, version, ip}.
 */
enum nodes_field { NODES_F_NAME, NODES_F_TYPE, NODES_F_VERSION, NODES_F_IP, NODES_NFIELDS };
#define NODES_SORT_MAX 8

/* One node as the listing sees it: its fields, indexed by enum nodes_field. */
struct api_node_row {
	const char *f[NODES_NFIELDS];
};

struct nodes_query {
	char **nodes;             /* nodes_list, deduplicated, in the order given; NULL = all */
	size_t nnodes;
	int select[NODES_NFIELDS];/* selected fields in the order given (deduplicated) */
	size_t nselect;           /* 0 = every field */
	int sort[NODES_SORT_MAX]; /* sort fields; -1 = unknown (1403 once the list is not empty) */
	size_t nsort;
	int sort_desc;
	char sort_bad[128];       /* the unknown sort fields, for the 1403 remediation */
	const char *search;       /* without its leading '-' (search_neg); points into params */
	int search_neg;
	int type;                 /* -1 any, else 0 master / 1 worker */
	int distinct;
	const char *q_str;        /* q as given (points into params), or NULL */
	struct qlang *ql;         /* q compiled; unknown fields match nothing */
	long limit, offset;       /* 500, 0 */
	int pretty, wait_for_complete;
};

/*
 * api_check_node_name: s matches Wazuh's `names` format (^[\w\-.%]+$);
 * else -1 with a schema 400 naming key.
 */
int api_check_node_name(const char *s, const char *key, struct api_qerr *err);

/*
 * api_parse_nodes_list: a comma-separated list of node names (each `names`),
 * deduplicated, in the order given.  Allocates *names (free with
 * api_nodes_list_free).  0 / -1 with err (schema 400).
 */
int api_parse_nodes_list(const char *s, char ***names, size_t *n, struct api_qerr *err);
void api_nodes_list_free(char **names, size_t n);

/*
 * nodes_query_parse: validates and fills q from the GET /cluster/nodes
 * parameters: schema 400s (unknown parameter, bad format, limit/offset,
 * type not worker/master), 1724 for a select field that is not a node
 * field (detail and remediation as Wazuh's), 1407 for a q that does not
 * parse.  On failure q holds nothing to free.
 */
int nodes_query_parse(const struct api_param *params, size_t n, struct nodes_query *q,
    struct api_qerr *err);
void nodes_query_free(struct nodes_query *q);

/*
 * nodes_query_run: the listing over the n nodes (in cluster order: the master
 * first, then the workers as they joined).  Keeps the nodes named in
 * q->nodes (each one not among them is reported once through missing) and of
 * q->type; then, as process_array does over the selected fields: sort
 * (case-insensitive, stable; -1 with err 1403 when a sort field is unknown and
 * the list is not empty), search, distinct, then q over the items so built
 * (Wazuh's control.get_nodes: filter_array_by_query, a field not selected
 * matches nothing), offset/limit.  Appends the page
 * to items; *total is the count before offset/limit.  0 / -1.
 */
int nodes_query_run(const struct nodes_query *q, const struct api_node_row *v, size_t n,
    json_t *items, long *total, void (*missing)(void *arg, const char *name), void *arg,
    struct api_qerr *err);

/*
 * api_parse_basic_auth: parses an "Authorization: Basic base64(user:pass)"
 * header value (api_basic.c).  The user is everything before the first ':'.
 * 0 with user/pass copied (NUL-terminated), -1 when the header is absent,
 * not Basic, not valid base64, has no ':', holds a NUL byte, or a part does
 * not fit its buffer.
 */
int api_parse_basic_auth(const char *header, char *user, size_t ucap, char *pass, size_t pcap);

#endif
