/* fuzz_bearer.c — libFuzzer target: arbitrary Authorization header values into auth_bearer. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = malloc(size + 1);
	const char *tok;
	size_t len;

	if (h == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';     /* evhttp hands over NUL-terminated header values */
	if ((tok = auth_bearer(h)) != NULL) {
		len = auth_bearer_len(tok);
		/* the token lies inside the header, after "Bearer ", and is not empty */
		assert(tok >= h + 7 && tok + len <= h + strlen(h) && len > 0);
		assert(tok[0] != ' ' && tok[0] != '\t');
	}
	free(h);
	return 0;
}
