/* api_query_fields.h — internal to api_query*.c: the GET /agents field names. */
#ifndef VIGIL_API_QUERY_FIELDS_H
#define VIGIL_API_QUERY_FIELDS_H

#include <stddef.h>

struct agents_query;
struct api_qerr;

/* api_field_lookup: index of the field called name (len bytes, e.g. "os.name"), or -1. */
int api_field_lookup(const char *name, size_t len);
/* api_field_name: the name of field index f, or NULL. */
const char *api_field_name(int f);
/* api_fields_list: every field name, joined by ", ", in Wazuh's order (truncated to cap). */
void api_fields_list(char *buf, size_t cap);

/*
 * agents_q_compile: parses q->q_str and q->older_than into q->ql and
 * prepares each condition for its field (q->qc): 1407/1408/1409 from the
 * parser, 1409 for < or > on group, 1411/1412 for a date that is neither a
 * timeframe nor a date.  No q and no older_than: nothing.  0 / -1 with err.
 */
int agents_q_compile(struct agents_query *q, struct api_qerr *err);
/* agents_q_free: frees q->ql and q->qc (both may be NULL). */
void agents_q_free(struct agents_query *q);

#endif
