/* api_params.c — repeated query parameters combined as connexion combines them. */
#include "node/api/api_params.h"

#include <stdlib.h>
#include <string.h>

/*
 * The query parameters of type array in Wazuh v4.12's spec.yaml.  Their
 * style is form and explode defaults to true, so connexion's
 * _resolve_param_duplicates joins repeated values with ','; every other
 * parameter keeps its last value (values[-1]).
 */
static const char *const list_params[] = {
	"agents_list", "daemons_list", "fields", "filename", "group_ids", "groups_list",
	"nodes_list", "policy_ids", "role_ids", "rule_ids", "select", "status", "tasks_list",
	"user_ids", NULL,
};

int
api_param_is_list(const char *key)
{
	size_t i;

	for (i = 0; list_params[i] != NULL; i++)
		if (strcmp(list_params[i], key) == 0)
			return 1;
	return 0;
}

int
api_params_add(struct api_params *ps, const char *key, const char *value)
{
	size_t i, k, la, lb;
	char *joined;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].key, key) == 0)
			break;
	if (i == ps->n) {
		if (ps->n == ps->max)
			return -1;
		ps->v[ps->n].key = key;
		ps->v[ps->n].value = value;
		ps->n++;
		return 0;
	}
	if (!api_param_is_list(key)) {
		ps->v[i].value = value;
		return 0;
	}
	/* a value joined before is grown in place: any number of repeats, one slot */
	for (k = 0; k < ps->nowned && ps->owned[k] != ps->v[i].value; k++)
		;
	if (k == ps->nowned && ps->nowned == ps->max)
		return -1;
	la = strlen(ps->v[i].value);
	lb = strlen(value);
	if ((joined = malloc(la + lb + 2)) == NULL)
		return -1;
	memcpy(joined, ps->v[i].value, la);
	joined[la] = ',';
	memcpy(joined + la + 1, value, lb + 1);
	if (k < ps->nowned)
		free(ps->owned[k]);
	else
		ps->nowned++;
	ps->owned[k] = joined;
	ps->v[i].value = joined;
	return 0;
}

void
api_params_clear(struct api_params *ps)
{
	size_t i;

	for (i = 0; i < ps->nowned; i++)
		free(ps->owned[i]);
	ps->nowned = 0;
	ps->n = 0;
}
