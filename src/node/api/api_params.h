/* api_params.h — a request's query parameters as Wazuh's connexion resolves them (pure). */
#ifndef VIGIL_API_PARAMS_H
#define VIGIL_API_PARAMS_H

#include <stddef.h>

#include "node/api/api_query.h"

/*
 * api_param_is_list: whether key is an array parameter of Wazuh's contract
 * (agents_list, select, status, fields, ...): form style, exploded, so its
 * repeated values combine.
 */
int api_param_is_list(const char *key);

/*
 * A request's parameters, each key once.  Values point into the caller's
 * strings, except those joined from repeated list parameters, which are held
 * in owned and freed by api_params_clear.
 */
struct api_params {
	struct api_param *v;
	size_t n, max;
	char **owned;            /* max entries */
	size_t nowned;
};

/*
 * api_params_add: adds key=value (both must outlive ps) as connexion does
 * with a repeated key: a list parameter's values are joined with ','
 * ("agents_list=001&agents_list=002" is "001,002"), a scalar keeps the last
 * value given; either way the key keeps its first position.  Returns 0, or
 * -1 when max keys are already held or memory runs out (ps is unchanged).
 */
int api_params_add(struct api_params *ps, const char *key, const char *value);

/* api_params_clear: frees the joined values; the parameters are gone. */
void api_params_clear(struct api_params *ps);

#endif
