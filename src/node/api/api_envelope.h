/* api_envelope.h — Wazuh's AffectedItemsWazuhResult: affected_items / failed_items. */
#ifndef VIGIL_API_ENVELOPE_H
#define VIGIL_API_ENVELOPE_H

#include <jansson.h>

struct envelope;

/* envelope_new: an empty result.  NULL on allocation failure. */
struct envelope *envelope_new(void);
void envelope_free(struct envelope *e);

/* envelope_affect: appends an affected item (steals the reference). */
void envelope_affect(struct envelope *e, json_t *item);
/* envelope_fail: records that id failed with a Wazuh error code (message/remediation from the table). */
void envelope_fail(struct envelope *e, const char *id, int code);
/* envelope_set_message: failures with code show message instead of the table's (Wazuh's
 * exceptions that carry extra text, such as 1731's requirements). */
void envelope_set_message(struct envelope *e, int code, const char *message);
/* envelope_set_numeric_ids: failed ids made of digits render as JSON numbers (Wazuh's
 * security framework reports user and role ids as integers). */
void envelope_set_numeric_ids(struct envelope *e);
/* envelope_total: overrides total_affected_items (for paged listings, the count before limit/offset). */
void envelope_set_total(struct envelope *e, long total);
int envelope_affected_count(const struct envelope *e);
/* envelope_affected_id: the i-th affected item when items are id strings ("" otherwise). */
const char *envelope_affected_id(const struct envelope *e, size_t i);
int envelope_failed_count(const struct envelope *e);

/*
 * envelope_render: {"data":{"affected_items","total_affected_items",
 * "total_failed_items","failed_items"},"message","error"} exactly as Wazuh:
 * failed_items grouped per code, sorted by code; ids sorted numerically;
 * message = none_msg when nothing affected, all_msg when nothing failed, else
 * some_msg; error 0 none failed / 1 all failed / 2 some failed.  When
 * sort_affected is set, affected items are sorted by numeric "id" (or
 * string items numerically).  New reference.
 */
json_t *envelope_render(struct envelope *e, const char *all_msg, const char *some_msg,
    const char *none_msg, int sort_affected);

#endif
