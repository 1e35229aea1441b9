/* api_security.h — helpers the /security endpoints share (api_security.c, api_rbac.c). */
#ifndef VIGIL_API_SECURITY_H
#define VIGIL_API_SECURITY_H

#include <stddef.h>
#include <jansson.h>

#include "node/api/rbac.h"

struct api_req;
struct envelope;

#define SEC_MAX_IDS 1000             /* ids in one user_ids / role_ids list */

/* sec_envelope: a result whose failed ids are numbers, as Wazuh's. */
struct envelope *sec_envelope(void);
/* sec_reply_envelope: renders e with its three messages, replies and frees e. */
void sec_reply_envelope(struct api_req *r, struct envelope *e, const char *all, const char *some,
    const char *none);
/* sec_parse_ids: an id list (or "all" when allow_all); replies 400 and -1 when malformed. */
int sec_parse_ids(struct api_req *r, const char *key, const char *s, long long *v, size_t *n,
    int allow_all, int *all);
/* sec_path_id: the one numeric id in path segment i; replies 400 and -1 when malformed. */
int sec_path_id(struct api_req *r, size_t i, long long *id);
/* sec_parse_range: limit and offset; replies 400 and -1 when bad. */
int sec_parse_range(struct api_req *r, long *limit, long *offset);
/* sec_read_body: the JSON object body with only allowed keys; replies and NULL on failure. */
json_t *sec_read_body(struct api_req *r, const char *const *allowed);
/* sec_body_string: member key as a string; replies 400 and NULL when absent (required) or not one. */
const char *sec_body_string(struct api_req *r, json_t *o, const char *key, int required);
/* sec_allowed_id: api_allowed on the numeric id of p's resource type (user:id, role:id...). */
int sec_allowed_id(struct api_req *r, enum rbac_perm p, long long id);
/*
 * sec_deny_ids: Wazuh's expose_resources on the ids a request names: when
 * the caller may act on none of them with p, replies 403 (4000) and returns
 * 1; else 0 (the handler fails each refused id with 4000).  Ids not named
 * ("all", or none) are instead left out silently by the handler.
 */
int sec_deny_ids(struct api_req *r, enum rbac_perm p, const long long *ids, size_t n);
/* sec_fail_id: id failed with code. */
void sec_fail_id(struct envelope *e, long long id, int code);

#endif
