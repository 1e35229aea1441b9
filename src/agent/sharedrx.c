/* sharedrx.c — receives a file pushed by the manager (merged.mg). */
#include "agent/sharedrx.h"

#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "proto/merged.h"

void
sharedrx_init(struct sharedrx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void
sharedrx_free(struct sharedrx *rx)
{
	free(rx->buf);
	sharedrx_init(rx);
}

static int
append(struct sharedrx *rx, const char *p, size_t n)
{
	char *nb;
	size_t ncap;

	if (n > SHAREDRX_MAX - rx->len)
		return -1;
	if (rx->len + n + 1 > rx->cap) {
		ncap = rx->cap ? rx->cap : 4096;
		while (ncap < rx->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(rx->buf, ncap)) == NULL)
			return -1;
		rx->buf = nb;
		rx->cap = ncap;
	}
	memcpy(rx->buf + rx->len, p, n);
	rx->len += n;
	rx->buf[rx->len] = '\0';
	return 0;
}

enum sharedrx_result
sharedrx_feed(struct sharedrx *rx, const char *msg, size_t len)
{
	char md5[33];

	if (len >= 3 && memcmp(msg, "#!-", 3) == 0) {
		if (merged_parse_up(msg, len, md5, rx->name, sizeof(rx->name)) == 0) {
			rx->len = 0;
			rx->open = 1;
			rx->failed = 0;
			memcpy(rx->md5, md5, sizeof(md5));
			if (append(rx, "", 0) == -1) {   /* a buffer even for an empty file */
				rx->open = 0;
				return SHAREDRX_BAD;
			}
			return SHAREDRX_MORE;
		}
		if (len >= sizeof(MERGED_UP_PREFIX) - 1 &&
		    memcmp(msg, MERGED_UP_PREFIX, sizeof(MERGED_UP_PREFIX) - 1) == 0) {
			rx->open = 0;
			return SHAREDRX_BAD;
		}
		if (merged_is_close(msg, len)) {
			int ok = rx->open && !rx->failed;

			rx->open = 0;
			if (!ok)
				return SHAREDRX_BAD;
			hash_md5_hex(rx->buf, rx->len, md5);
			return strcmp(md5, rx->md5) == 0 ? SHAREDRX_DONE : SHAREDRX_BAD;
		}
		return SHAREDRX_NOT_MINE;
	}
	if (!rx->open)
		return SHAREDRX_NOT_MINE;
	if (rx->failed)
		return SHAREDRX_MORE;
	if (append(rx, msg, len) == -1) {
		rx->failed = 1;
		rx->len = 0;
	}
	return SHAREDRX_MORE;
}
