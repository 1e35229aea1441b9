/* fuzz_api_basic.c — libFuzzer target: the login endpoint's Basic credentials parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/api_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h, user[128], pass[256];

	if ((h = malloc(size + 7)) == NULL)
		return 0;
	memcpy(h, "Basic ", 6);
	memcpy(h + 6, data, size);
	h[size + 6] = '\0';
	if (api_parse_basic_auth(h, user, sizeof(user), pass, sizeof(pass)) == 0) {
		if (strlen(user) >= sizeof(user) || strlen(pass) >= sizeof(pass))
			abort();
	}
	free(h);
	return 0;
}
