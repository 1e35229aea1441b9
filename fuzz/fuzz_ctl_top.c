/* fuzz_ctl_top.c — libFuzzer target: vigilctl top drawing the API's answers (ctl/top.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl/top.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* chars: the UTF-8 characters of s (continuation bytes do not count). */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/*
 * The first two bytes are the width and the height (0: no limit); the rest
 * is JSON: {"nodes": [...], "agents": [...], "jobs": [...]} as the three
 * answers, or anything else, given as all three.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct top_input in;
	struct top_lines l;
	size_t width, height, i;
	const char *p;
	json_t *j;

	if (size < 2)
		return 0;
	width = data[0];
	height = data[1] % 64;
	if ((j = json_loadb((const char *)data + 2, size - 2, JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	memset(&in, 0, sizeof(in));
	if (json_is_object(j) && (json_object_get(j, "nodes") || json_object_get(j, "agents") ||
	    json_object_get(j, "jobs"))) {
		in.nodes = json_object_get(j, "nodes");
		in.agents = json_object_get(j, "agents");
		in.jobs = json_object_get(j, "jobs");
	} else
		in.nodes = in.agents = in.jobs = j;
	in.head = "head";
	if (top_render(&in, width, height, &l) == 0) {
		if (height > 0 && l.n > height)
			abort();
		for (i = 0; i < l.n; i++) {
			if (width > 0 && chars(l.line[i]) > width)
				abort();
			for (p = l.line[i]; *p; p++)
				if ((unsigned char)*p < 32 || (unsigned char)*p == 127)
					abort();
		}
	}
	top_lines_free(&l);
	json_decref(j);
	return 0;
}
