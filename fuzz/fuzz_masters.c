/*
 * fuzz_masters.c — the --master list parser (config_masters_parse) over
 * arbitrary text: it accepts or refuses with a message, never overruns, and
 * what it accepts is a list of distinct, well-formed HOST:PORT items.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_master m[CONFIG_MASTERS_MAX];
	char *v, err[256];
	int n, i, k;

	if ((v = malloc(size + 1)) == NULL)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	err[0] = '\0';
	n = config_masters_parse(v, m, CONFIG_MASTERS_MAX, err, sizeof(err));
	assert(n == -1 || (n >= 1 && n <= CONFIG_MASTERS_MAX));
	assert(n != -1 || err[0] != '\0');
	for (i = 0; i < n; i++) {
		long port = atol(m[i].port);

		assert(m[i].host[0] != '\0' && strchr(m[i].host, ':') == NULL);
		assert(port >= 1 && port <= 65535);
		assert(strlen(m[i].addr) == strlen(m[i].host) + 1 + strlen(m[i].port));
		for (k = 0; k < i; k++)
			assert(strcmp(m[i].addr, m[k].addr) != 0);
	}
	free(v);
	return 0;
}
