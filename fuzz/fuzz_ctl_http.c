/* fuzz_ctl_http.c — libFuzzer target: vigilctl's HTTP response parser (head and chunked body). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	char *buf, *out;
	size_t outlen = 0;
	long long c;
	int n;

	/* exact-size copies so ASan sees any read past the end */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	n = http_parse_head(buf, size, &h);
	if (n > (int)size || n < -2)
		abort();
	if (n >= 0) {
		if (h.status < 100 || h.status > 599 || (h.chunked && h.content_length != -1))
			abort();
		if (memchr(h.content_type, '\0', sizeof(h.content_type)) == NULL ||
		    memchr(h.date, '\0', sizeof(h.date)) == NULL ||
		    memchr(h.vigil_job, '\0', sizeof(h.vigil_job)) == NULL)
			abort();
		(void)http_parse_date(h.date);
	}
	/* the body decoder on the same bytes, into a buffer and in place */
	if ((out = malloc(size ? size : 1)) != NULL) {
		c = http_dechunk(buf, size, out, size, &outlen);
		if (c > (long long)size || c < -2 || (c >= 0 && outlen > size))
			abort();
		free(out);
	}
	c = http_dechunk(buf, size, buf, size, &outlen);
	if (c > (long long)size || c < -2)
		abort();
	free(buf);
	return 0;
}
