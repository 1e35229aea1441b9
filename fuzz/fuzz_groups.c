/*
 * fuzz_groups.c — what a client or the master may send about groups: an
 * agent.conf (group_conf_check, then the merged.mg built from it), group
 * names and comma-separated group lists as an agent record carries them.
 * Must never crash or read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/registry/groups.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct groups *g;
	char *s, md5[33], out[256], *m = NULL;
	size_t len;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)group_conf_check(s, size);
	if ((g = groups_new()) == NULL)
		goto out;
	(void)groups_set(g, "default", s, size);
	(void)groups_set(g, "b", "<agent_config/>", 15);
	/* the input as a group name and as an agent's group list */
	(void)group_name_valid(s);
	(void)groups_set(g, s, s, size);
	(void)group_list_has(s, "default");
	(void)group_list_count(s);
	(void)group_list_add(s, "b", out, sizeof(out));
	(void)group_list_del(s, "default", out, sizeof(out));
	if (groups_merged_for(g, s, md5, &m, &len) == 0)
		free(m);
	(void)groups_remove(g, s);
	groups_free(g);
out:
	free(s);
	return 0;
}
