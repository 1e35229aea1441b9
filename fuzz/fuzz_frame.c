/* fuzz_frame.c — frame_decode over arbitrary bytes, as a stream of frames. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t off = 0, plen;
	ssize_t used;
	uint8_t hdr[4];

	while ((used = frame_decode(data + off, size - off, &p, &plen)) > 0) {
		assert((size_t)used == plen + 4 && plen > 0 && plen <= FRAME_MAX);
		assert(p == data + off + 4 && off + (size_t)used <= size);
		frame_put_header(hdr, (uint32_t)plen);
		assert(hdr[0] == data[off] && hdr[1] == data[off + 1] &&
		    hdr[2] == data[off + 2] && hdr[3] == data[off + 3]);
		off += (size_t)used;
	}
	assert(used == -1 || used == -2);
	return 0;
}
