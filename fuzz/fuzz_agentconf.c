/*
 * fuzz_agentconf.c — what GET /groups/{id}/files/{file} parses: an agent.conf
 * a client stored (agentconf_to_json) and a merged.mg read back file by file
 * (merged_next).  Must never crash, leak or read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/agentconf.h"
#include "proto/merged.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, name[256];
	const char *d;
	size_t off = 0, dlen;
	int guard = 0;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	json_decref(agentconf_to_json(s, size));
	while (merged_next(s, size, &off, name, sizeof(name), &d, &dlen) == 1 && guard++ < 100000)
		;
	free(s);
	return 0;
}
