/* fuzz_jwt.c — libFuzzer target: arbitrary tokens into auth_verify. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "node/api/auth.h"

#define NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth *fz_auth;
static char fz_dir[64];

static void
fz_cleanup(void)
{
	char path[128];

	auth_free(fz_auth);
	snprintf(path, sizeof(path), "%s/api.key", fz_dir);
	unlink(path);
	rmdir(fz_dir);
}

/* The key is made once per process, in a private temporary directory. */
static struct auth *
fz_get(void)
{
	char path[128];
	char *tok;
	char user[64];

	if (fz_auth != NULL)
		return fz_auth;
	log_init("fuzz_jwt", 0);
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/vigil-fuzz-jwt-XXXXXX");
	if (mkdtemp(fz_dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/api.key", fz_dir);
	if ((fz_auth = auth_new(path, 900)) == NULL)
		abort();
	atexit(fz_cleanup);
	/* Sanity: the target's key really verifies its own tokens. */
	tok = auth_issue(fz_auth, "wazuh", NOW);
	if (tok == NULL || auth_verify(fz_auth, tok, NOW, user, sizeof(user)) != AUTH_OK)
		abort();
	free(tok);
	return fz_auth;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth *a = fz_get();
	char *tok, user[64];
	enum auth_verdict v;

	if ((tok = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	memset(user, 'X', sizeof(user));
	v = auth_verify(a, tok, NOW, user, sizeof(user));
	/* Without our key nobody can forge a token: anything the fuzzer makes is refused. */
	assert(v == AUTH_INVALID);
	assert(user[0] == '\0');
	free(tok);
	return 0;
}
