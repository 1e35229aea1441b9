/* fuzz_console_etag.c — libFuzzer target: arbitrary If-None-Match values into console_etag_match. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tag[] = "\"0123456789abcdef\"";
	char *h = malloc(size + 1);
	int m;

	if (h == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';     /* evhttp hands over NUL-terminated header values */
	m = console_etag_match(h, tag);
	assert(m == 0 || m == 1);
	/* a value that names the tag nowhere can only match as "*" */
	if (m == 1 && strstr(h, tag) == NULL)
		assert(strchr(h, '*') != NULL);
	free(h);
	return 0;
}
