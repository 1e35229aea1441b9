/* fuzz_enroll.c — libFuzzer target for the authd request and reply parsers. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enroll_req req;
	struct enroll_reply rep;
	char line[ENROLL_LINE_MAX + 64];
	char *copy;
	ssize_t n;

	/* An exact-size heap copy so ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);

	n = enroll_parse_request(copy, size, &req);
	assert(n == -1 || n == -2 || (n > 0 && (size_t)n <= size));
	if (n > 0) {
		assert(copy[n - 1] == '\n');
		assert(req.error == NULL);
		assert(strlen(req.name) <= ENROLL_NAME_MAX);
		(void)enroll_name_valid(req.name);
		/* What parsed must re-format and re-parse to the same fields. */
		if (strchr(req.name, '\'') == NULL && strpbrk(req.ip, " ") == NULL) {
			ssize_t m = enroll_format_request(line, sizeof(line), req.name,
			    req.has_password ? req.password : NULL, req.version, req.groups, req.ip);
			if (m > 0 && strstr(req.password, " OSSEC A:'") == NULL) {
				struct enroll_req again;

				assert(enroll_parse_request(line, (size_t)m, &again) == m);
				assert(strcmp(again.name, req.name) == 0);
				assert(strcmp(again.version, req.version) == 0);
				assert(strcmp(again.groups, req.groups) == 0);
				assert(strcmp(again.ip, req.ip) == 0);
			}
		}
	} else if (n == -1) {
		assert(req.error != NULL);
	}

	n = enroll_parse_reply(copy, size, &rep);
	assert(n == -1 || n == -2 || (n > 0 && (size_t)n <= size));
	if (n > 0 && rep.ok) {
		assert(enroll_name_valid(rep.name));
		assert(enroll_format_key(line, sizeof(line), rep.id, rep.name, rep.ip, rep.key) > 0);
	}
	free(copy);
	return 0;
}
