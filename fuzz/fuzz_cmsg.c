/* fuzz_cmsg.c — libFuzzer target: cluster link frame decoding (and re-encoding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/cmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, len;
	ssize_t used;
	json_t *body;
	uint8_t *again;
	int type;

	while (off < size) {
		used = cmsg_decode(data + off, size - off, &type, &body);
		if (used < 0)
			break;
		if (used == 0 || (size_t)used > size - off)
			abort();
		again = cmsg_encode(type, body, &len);
		if (again == NULL)
			abort();
		free(again);
		json_decref(body);
		off += (size_t)used;
	}
	return 0;
}
