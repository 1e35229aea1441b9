/*
 * fuzz_agent_shared.c — the agent's receiver of files pushed by a manager
 * (merged.mg): the input is split into messages at each 0xff byte and fed
 * in order.  It must stay inside its input, never crash, and a DONE file
 * must hash to the announced md5.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sharedrx.h"
#include "lib/hash.h"
#include "proto/merged.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sharedrx rx;
	size_t start = 0, i;
	char md5[33], name[64];

	sharedrx_init(&rx);
	for (i = 0; i <= size; i++) {
		char *m;
		size_t n;

		if (i < size && data[i] != 0xff)
			continue;
		n = i - start;
		/* exact-size heap copies so ASan sees any read past a message */
		if ((m = malloc(n ? n : 1)) == NULL)
			break;
		memcpy(m, data + start, n);
		(void)merged_parse_up(m, n, md5, name, sizeof(name));
		if (sharedrx_feed(&rx, m, n) == SHAREDRX_DONE) {
			hash_md5_hex(rx.buf, rx.len, md5);
			if (strcmp(md5, rx.md5) != 0)
				abort();
		}
		free(m);
		start = i + 1;
	}
	sharedrx_free(&rx);
	return 0;
}
