/* api_query.h — parsing and validating REST API query parameters (pure). */
#ifndef VIGIL_API_QUERY_H
#define VIGIL_API_QUERY_H

#include <stddef.h>
#include <jansson.h>

#include "node/agent.h"

struct api_param {
	const char *key;
	const char *value;
};

/* A failed validation: the HTTP status, Wazuh code (0 = schema error without code) and detail text. */
struct api_qerr {
	int http_status;
	int code;
	char detail[1024];        /* Wazuh's 1403/1724 details list every allowed field */
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
 * parameters (unknown parameter, bad limit/offset/status/sort/select/search
 * -> -1 with err: schema 400s, 1724 bad select, 1403 bad sort field, 2003
 * offset beyond a 64-bit integer).  The string members of q point into
 * params, which must outlive q.  Filters compare case-insensitively, as
 * Wazuh's COLLATE NOCASE does; version matches "Wazuh v4.9.2", "v4.9.2",
 * "Wazuh 4.9.2" and "4.9.2" alike.  sort is Wazuh's "[+|-]f1,f2": the first
 * sign orders every field; a field may carry its own sign ("+a,-b").
 * q, older_than and distinct are in Wazuh's spec but not implemented: 400.
 * On failure q holds nothing to free.  Caller frees with agents_query_free.
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
 * agents_query_run: applies q (filters, search, sort, offset, limit) to the
 * n agents (sorted by id) and returns the matching ones as JSON objects
 * appended to items; *total receives the match count before offset/limit.
 * Ids in q->ids that do not exist are reported through the missing callback.
 */
void agents_query_run(const struct agents_query *q, struct agent *const *agents, size_t n,
    json_t *items, long *total, void (*missing)(void *arg, const char *id), void *arg);

/*
 * api_parse_basic_auth: parses an "Authorization: Basic base64(user:pass)"
 * header value (api_basic.c).  The user is everything before the first ':'.
 * 0 with user/pass copied (NUL-terminated), -1 when the header is absent,
 * not Basic, not valid base64, has no ':', holds a NUL byte, or a part does
 * not fit its buffer.
 */
int api_parse_basic_auth(const char *header, char *user, size_t ucap, char *pass, size_t pcap);

#endif
