/*
 * fuzz_control.c — control message parsers over arbitrary bytes: classify,
 * startup JSON, keepalive (and format/parse round trip), version compare,
 * restart command and its recognition, the "Agent started" event.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct agent_info ai, back;
	char v[32], buf[4096], *z;
	ssize_t n;
	int rc;

	(void)control_classify(msg, size);
	rc = control_parse_startup(msg, size, v, sizeof(v));
	assert(rc >= -1 && rc <= 1 && strlen(v) < sizeof(v));
	assert(rc == 0 || v[0] == '\0');
	(void)control_is_restart(msg, size);
	/* "Agent started" is an event, never a control message. */
	rc = control_is_agent_started(msg, size);
	assert(rc == 0 || rc == 1);
	assert(rc == 0 || control_classify(msg, size) == CONTROL_EVENT);

	if (control_parse_keepalive(msg, size, &ai) == 0) {
		assert(ai.version[0] != '\0');
		assert(strlen(ai.labels) < sizeof(ai.labels));
		n = control_format_keepalive(buf, sizeof(buf), &ai);
		/* Without " / " the version is only found again if it starts with "Wazuh". */
		if (n > 0 && (ai.config_sum[0] || strncmp(ai.version, "Wazuh", 5) == 0)) {
			assert((size_t)n == strlen(buf));
			/* What we format, we parse back to the same version. */
			assert(control_parse_keepalive(buf, (size_t)n, &back) == 0);
			assert(strcmp(back.version, ai.version) == 0);
		}
		n = control_restart_command(ai.version, buf, sizeof(buf));
		if (n > 0)
			assert(control_is_restart(buf, (size_t)n) == 1);
	}

	/* Versions: split the input in two NUL-terminated strings. */
	if ((z = malloc(size + 2)) == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = z[size + 1] = '\0';
	{
		char *a = z, *b = z + strnlen(z, size) + 1;
		int ab = control_version_cmp(a, b), ba = control_version_cmp(b, a);

		assert((ab > 0) == (ba < 0) && (ab == 0) == (ba == 0));
		assert(control_version_cmp(a, a) == 0);
	}
	free(z);
	return 0;
}
