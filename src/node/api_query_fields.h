/* api_query_fields.h — internal to api_query*.c: the GET /agents field names. */
#ifndef VIGIL_API_QUERY_FIELDS_H
#define VIGIL_API_QUERY_FIELDS_H

#include <stddef.h>

/* api_field_lookup: index of the field called name (len bytes, e.g. "os.name"), or -1. */
int api_field_lookup(const char *name, size_t len);
/* api_field_name: the name of field index f, or NULL. */
const char *api_field_name(int f);
/* api_fields_list: every field name, joined by ", ", in Wazuh's order (truncated to cap). */
void api_fields_list(char *buf, size_t cap);

#endif
