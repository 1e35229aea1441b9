/*
 * fuzz_security.c — libFuzzer target: what the /security endpoints take from
 * outside before anything else sees it: id lists (user_ids, role_ids),
 * passwords and user names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/rbac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long ids[8];
	size_t n, i, j;
	char *s;
	int rc;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (rbac_parse_ids(s, ids, 8, &n) == 0) {
		if (n == 0 || n > 8)
			abort();
		for (i = 0; i < n; i++) {
			if (ids[i] < 1 || ids[i] > 0x7fffffff)
				abort();
			for (j = 0; j < i; j++)
				if (ids[j] == ids[i])
					abort();
		}
	}
	rc = rbac_password_policy(s);
	if (rc != 0 && rc != 5007 && rc != 5009)
		abort();
	if (rbac_username_ok(s) && (strlen(s) < 4 || strlen(s) > 64))
		abort();
	free(s);
	return 0;
}
