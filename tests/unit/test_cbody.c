/* test_cbody.c — cluster frame bodies: valid ones round-trip, invalid ones are refused with a why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/agent.h"
#include "node/registry/groups.h"
#include "node/registry/registry_db.h"
#include "proto/cbody.h"
#include "proto/cmsg.h"

/*
 * The tables' JSON may say "@<c><n>@" for n copies of the character c
 * ("@a63@" is 63 'a's), so that the length limits read as numbers.
 */
static char *
expand(const char *s)
{
	size_t cap = strlen(s) + 1, len = 0, n;
	char *out = malloc(cap), *end, c;

	assert_non_null(out);
	while (*s != '\0') {
		if (s[0] == '@' && s[1] != '\0' && (n = strtoul(s + 2, &end, 10)) > 0 && *end == '@') {
			c = s[1];
			cap += n;
			out = realloc(out, cap);
			assert_non_null(out);
			memset(out + len, c, n);
			len += n;
			s = end + 1;
		} else
			out[len++] = *s++;
	}
	out[len] = '\0';
	return out;
}

static json_t *
load(const char *text)
{
	char *t = expand(text);
	json_error_t err;
	json_t *j;

	/* JSON_ALLOW_NUL: cmsg_decode never yields a NUL in a string, but the
	 * decoders take any json_t and must refuse one where a C string is kept. */
	j = json_loads(t, JSON_ALLOW_NUL, &err);
	if (j == NULL)
		fail_msg("table JSON does not parse (%s): %s", err.text, text);
	free(t);
	return j;
}

/*
 * decode_encode: body decoded as type, then encoded again into *enc.
 * Returns what the decoder returned.
 */
static int
decode_encode(int type, const json_t *body, json_t **enc, const char **why)
{
	int rc = -1;

	*enc = NULL;
	switch (type) {
	case CMSG_HELLO: {
		struct cbody_hello h;

		if ((rc = cbody_hello_decode(body, &h, why)) == 0)
			*enc = cbody_hello_encode(&h);
		break;
	}
	case CMSG_ERROR: {
		struct cbody_error e;

		if ((rc = cbody_error_decode(body, &e, why)) == 0)
			*enc = cbody_error_encode(&e);
		break;
	}
	case CMSG_ACK: {
		struct cbody_ack a;

		if ((rc = cbody_ack_decode(body, &a, why)) == 0)
			*enc = cbody_ack_encode(&a);
		break;
	}
	case CMSG_KEYS: {
		struct cbody_keys k;

		if ((rc = cbody_keys_decode(body, &k, why)) == 0) {
			*enc = cbody_keys_encode(&k);
			cbody_keys_free(&k);
		}
		break;
	}
	case CMSG_GROUPS: {
		struct cbody_groups g;

		if ((rc = cbody_groups_decode(body, &g, why)) == 0) {
			*enc = cbody_groups_encode(&g);
			cbody_groups_free(&g);
		}
		break;
	}
	case CMSG_RESULT: {
		struct cbody_result r;

		if ((rc = cbody_result_decode(body, &r, why)) == 0) {
			*enc = cbody_result_encode(&r);
			cbody_result_free(&r);
		}
		break;
	}
	case CMSG_ENROLL: {
		struct cbody_enroll e;

		if ((rc = cbody_enroll_decode(body, &e, why)) == 0)
			*enc = cbody_enroll_encode(&e);
		break;
	}
	case CMSG_ENROLL_REPLY: {
		struct cbody_enroll_reply r;

		if ((rc = cbody_enroll_reply_decode(body, &r, why)) == 0)
			*enc = cbody_enroll_reply_encode(&r);
		break;
	}
	case CMSG_PING:
	case CMSG_PONG:
		if ((rc = cbody_empty_decode(body, why)) == 0)
			*enc = cbody_empty_encode();
		break;
	default:
		fail_msg("no decoder for type %d", type);
	}
	return rc;
}

#define KEY "@f64@"
#define AGENT(id) "{\"id\":" #id ",\"name\":\"web-01\",\"ip\":\"any\",\"key\":\"" KEY "\"," \
	"\"group\":\"default\"}"

/* Valid bodies: each decodes, and encodes back to itself (or to canon, when
 * decoding drops unknown keys or cuts a string). */
static const struct valid_case {
	int type;
	const char *json;
	const char *canon;
} valid[] = {
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"worker1\",\"role\":\"worker\"}", NULL },
	{ CMSG_HELLO, "{\"proto\":1,\"node\":\"m\",\"role\":\"master\"}", NULL },
	{ CMSG_HELLO, "{\"proto\":2147483647,\"node\":\"A-z.0_9\",\"role\":\"master\"}", NULL },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"@n63@\",\"role\":\"worker\"}", NULL },
	{ CMSG_HELLO, "{\"proto\":4,\"node\":\"w\",\"role\":\"worker\",\"caps\":[\"x\"]}",
	  "{\"proto\":4,\"node\":\"w\",\"role\":\"worker\"}" },
	{ CMSG_ERROR, "{\"message\":\"duplicate node name 'worker1': ...\"}", NULL },
	{ CMSG_ERROR, "{\"message\":\"\"}", NULL },
	{ CMSG_ERROR, "{\"message\":\"@m255@\"}", NULL },
	{ CMSG_ERROR, "{\"message\":\"@m300@\"}", "{\"message\":\"@m255@\"}" },
	/* cut before a 2-byte character that would straddle byte 255 */
	{ CMSG_ERROR, "{\"message\":\"@m254@\\u00e9\"}", "{\"message\":\"@m254@\"}" },
	{ CMSG_ERROR, "{\"message\":\"ab\\u0000cd\"}", "{\"message\":\"ab\"}" },
	{ CMSG_ERROR, "{\"message\":\"x\",\"code\":3}", "{\"message\":\"x\"}" },
	{ CMSG_ACK, "{\"seq\":1}", NULL },
	{ CMSG_ACK, "{\"seq\":17}", NULL },
	{ CMSG_ACK, "{\"seq\":9223372036854775807}", NULL },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(1) "],\"removed\":[]}", NULL },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[]}", NULL },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(1) "],\"removed\":[],\"part\":1,"
	  "\"more\":true}", NULL },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":[],\"part\":100000,"
	  "\"more\":false}", NULL },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[1,99999999]}", NULL },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(1) "," AGENT(99999999) "],\"removed\":[]}",
	  NULL },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[{\"id\":7,\"name\":\"@n128@\",\"ip\":\"@i63@\","
	  "\"key\":\"@A64@\",\"group\":\"@g255@\"}],\"removed\":[]}", NULL },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[{\"id\":7,\"name\":\"n\",\"ip\":\"10.0.0.0/8\","
	  "\"key\":\"0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef0123\","
	  "\"group\":\"\"}],\"removed\":[3]}", NULL },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\",\"key\":\""
	  KEY "\",\"group\":\"a,b\",\"os\":\"linux\"}],\"removed\":[],\"epoch\":2}",
	  "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\",\"key\":\""
	  KEY "\",\"group\":\"a,b\"}],\"removed\":[]}" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[],\"removed\":[]}", NULL },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[{\"name\":\"web\",\"conf\":\"<agent_config/>\"}],"
	  "\"removed\":[]}", NULL },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[],\"removed\":[\"old\",\"...\",\"All\"]}", NULL },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[{\"name\":\"@g128@\",\"conf\":\"\"}],"
	  "\"removed\":[\"@o128@\"]}", NULL },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[{\"name\":\"big\",\"conf\":\"@c262144@\"}],"
	  "\"removed\":[]}", NULL },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[{\"name\":\"w\",\"conf\":\"\",\"sum\":1}],"
	  "\"removed\":[],\"x\":null}",
	  "{\"full\":false,\"groups\":[{\"name\":\"w\",\"conf\":\"\"}],\"removed\":[]}" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":[0,1791]}", NULL },
	{ CMSG_RESULT, "{\"req\":1,\"codes\":[]}", NULL },
	{ CMSG_RESULT, "{\"req\":9223372036854775807,\"codes\":[9999,0,1000]}", NULL },
	{ CMSG_RESULT, "{\"req\":2,\"codes\":[1],\"node\":\"w\"}", "{\"req\":2,\"codes\":[1]}" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"OSSEC A:'web-01' G:'default'\\n\","
	  "\"peer\":\"10.0.0.7\"}", NULL },
	{ CMSG_ENROLL, "{\"req\":3,\"line\":\"\",\"peer\":\"::1\"}", NULL },
	{ CMSG_ENROLL, "{\"req\":3,\"line\":\"@l4096@\",\"peer\":\"@p63@\"}", NULL },
	{ CMSG_ENROLL_REPLY, "{\"req\":1,\"reply\":\"OSSEC K:'001 web-01 any " KEY "'\"}", NULL },
	{ CMSG_ENROLL_REPLY, "{\"req\":1,\"reply\":\"\"}", NULL },
	{ CMSG_ENROLL_REPLY, "{\"req\":8,\"reply\":\"@r1024@\",\"t\":1}",
	  "{\"req\":8,\"reply\":\"@r1024@\"}" },
	{ CMSG_PING, "{}", NULL },
	{ CMSG_PONG, "{}", NULL },
	{ CMSG_PING, "{\"t\":1}", "{}" },
};

/* Invalid bodies: each is refused, and *why names the field (what). */
static const struct invalid_case {
	int type;
	const char *json;
	const char *what;
} invalid[] = {
	{ CMSG_HELLO, "[]", "not an object" },
	{ CMSG_HELLO, "{\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":\"3\",\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":3.0,\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":0,\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":-3,\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":2147483648,\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":null,\"node\":\"w\",\"role\":\"worker\"}", "proto" },
	{ CMSG_HELLO, "{\"proto\":3,\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"\",\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"@n64@\",\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"a b\",\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w\\u00f6rker\",\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w/1\",\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w\\u0000x\",\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":7,\"role\":\"worker\"}", "node" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w\"}", "role" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w\",\"role\":\"boss\"}", "role" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w\",\"role\":\"Worker\"}", "role" },
	{ CMSG_HELLO, "{\"proto\":3,\"node\":\"w\",\"role\":1}", "role" },
	{ CMSG_ERROR, "{}", "message" },
	{ CMSG_ERROR, "{\"message\":5}", "message" },
	{ CMSG_ERROR, "{\"message\":null}", "message" },
	{ CMSG_ERROR, "{\"message\":[\"x\"]}", "message" },
	{ CMSG_ACK, "{}", "seq" },
	{ CMSG_ACK, "{\"seq\":0}", "seq" },
	{ CMSG_ACK, "{\"seq\":-1}", "seq" },
	{ CMSG_ACK, "{\"seq\":\"17\"}", "seq" },
	{ CMSG_ACK, "{\"seq\":17.5}", "seq" },
	{ CMSG_ACK, "{\"seq\":1e19}", "seq" },
	{ CMSG_ACK, "{\"seq\":true}", "seq" },
	{ CMSG_KEYS, "{\"agents\":[],\"removed\":[]}", "full" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":[],\"part\":1}", "part" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":[],\"more\":false}", "part" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[],\"part\":1,\"more\":false}",
	  "part" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":[],\"part\":0,\"more\":true}",
	  "part" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":[],\"part\":100001,"
	  "\"more\":true}", "part" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":[],\"part\":2,\"more\":1}",
	  "part" },
	{ CMSG_KEYS, "{\"full\":1,\"agents\":[],\"removed\":[]}", "full" },
	{ CMSG_KEYS, "{\"full\":\"true\",\"agents\":[],\"removed\":[]}", "full" },
	{ CMSG_KEYS, "{\"full\":true,\"removed\":[]}", "agents" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":{},\"removed\":[]}", "agents" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[]}", "removed" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[],\"removed\":3}", "removed" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[0]}", "removed" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[-1]}", "removed" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[100000000]}", "removed" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[\"1\"]}", "removed" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[],\"removed\":[1,null]}", "removed" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[1],\"removed\":[]}", "agent is not an object" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(0) "],\"removed\":[]}", "id" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(-5) "],\"removed\":[]}", "id" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(100000000) "],\"removed\":[]}", "id" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT("1") "],\"removed\":[]}", "id" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"name\":\"n\",\"ip\":\"any\",\"key\":\"" KEY
	  "\",\"group\":\"\"}],\"removed\":[]}", "id" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"ip\":\"any\",\"key\":\"" KEY
	  "\",\"group\":\"\"}],\"removed\":[]}", "name" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"\",\"ip\":\"any\",\"key\":\"" KEY
	  "\",\"group\":\"\"}],\"removed\":[]}", "name" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"@n129@\",\"ip\":\"any\","
	  "\"key\":\"" KEY "\",\"group\":\"\"}],\"removed\":[]}", "name" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"a\\u0000b\",\"ip\":\"any\","
	  "\"key\":\"" KEY "\",\"group\":\"\"}],\"removed\":[]}", "name" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"key\":\"" KEY
	  "\",\"group\":\"\"}],\"removed\":[]}", "ip" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"\",\"key\":\"" KEY
	  "\",\"group\":\"\"}],\"removed\":[]}", "ip" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"@i64@\",\"key\":\""
	  KEY "\",\"group\":\"\"}],\"removed\":[]}", "ip" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"group\":\"\"}],\"removed\":[]}", "key" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"key\":\"@f63@\",\"group\":\"\"}],\"removed\":[]}", "key" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"key\":\"@f65@\",\"group\":\"\"}],\"removed\":[]}", "key" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"key\":\"@g64@\",\"group\":\"\"}],\"removed\":[]}", "key" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"key\":\"" KEY "\"}],\"removed\":[]}", "group" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"key\":\"" KEY "\",\"group\":[\"a\"]}],\"removed\":[]}", "group" },
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[{\"id\":1,\"name\":\"n\",\"ip\":\"any\","
	  "\"key\":\"" KEY "\",\"group\":\"@g256@\"}],\"removed\":[]}", "group" },
	/* one bad entry after good ones: the whole body goes, nothing leaks */
	{ CMSG_KEYS, "{\"full\":true,\"agents\":[" AGENT(1) "," AGENT(2) "," AGENT(0) "],"
	  "\"removed\":[]}", "id" },
	{ CMSG_KEYS, "{\"full\":false,\"agents\":[" AGENT(1) "],\"removed\":[4,5,0]}", "removed" },
	{ CMSG_GROUPS, "{\"groups\":[],\"removed\":[]}", "full" },
	{ CMSG_GROUPS, "{\"full\":null,\"groups\":[],\"removed\":[]}", "full" },
	{ CMSG_GROUPS, "{\"full\":true,\"removed\":[]}", "groups" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":\"web\",\"removed\":[]}", "groups" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[]}", "removed" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[],\"removed\":{}}", "removed" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[[\"web\",\"\"]],\"removed\":[]}",
	  "group is not an object" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"conf\":\"\"}],\"removed\":[]}", "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":1,\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"\",\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"all\",\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\".\",\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"..\",\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"a/b\",\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"a,b\",\"conf\":\"\"}],\"removed\":[]}",
	  "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"@g129@\",\"conf\":\"\"}],"
	  "\"removed\":[]}", "name" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"web\"}],\"removed\":[]}", "conf" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"web\",\"conf\":null}],\"removed\":[]}",
	  "conf" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"web\",\"conf\":\"@c262145@\"}],"
	  "\"removed\":[]}", "conf" },
	{ CMSG_GROUPS, "{\"full\":true,\"groups\":[{\"name\":\"web\",\"conf\":\"a\\u0000b\"}],"
	  "\"removed\":[]}", "conf" },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[],\"removed\":[\"all\"]}", "removed" },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[],\"removed\":[\"\"]}", "removed" },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[],\"removed\":[1]}", "removed" },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[],\"removed\":[\"ok\",\"../etc\"]}", "removed" },
	{ CMSG_GROUPS, "{\"full\":false,\"groups\":[{\"name\":\"ok\",\"conf\":\"\"},"
	  "{\"name\":\"all\",\"conf\":\"\"}],\"removed\":[]}", "name" },
	{ CMSG_RESULT, "{\"codes\":[]}", "req" },
	{ CMSG_RESULT, "{\"req\":0,\"codes\":[]}", "req" },
	{ CMSG_RESULT, "{\"req\":-5,\"codes\":[]}", "req" },
	{ CMSG_RESULT, "{\"req\":\"5\",\"codes\":[]}", "req" },
	{ CMSG_RESULT, "{\"req\":5}", "codes" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":{}}", "codes" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":[-1]}", "code" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":[10000]}", "code" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":[0,\"0\"]}", "code" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":[0.0]}", "code" },
	{ CMSG_RESULT, "{\"req\":5,\"codes\":[0,1,null]}", "code" },
	{ CMSG_ENROLL, "{\"line\":\"x\",\"peer\":\"1.2.3.4\"}", "req" },
	{ CMSG_ENROLL, "{\"req\":0,\"line\":\"x\",\"peer\":\"1.2.3.4\"}", "req" },
	{ CMSG_ENROLL, "{\"req\":1,\"peer\":\"1.2.3.4\"}", "line" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":5,\"peer\":\"1.2.3.4\"}", "line" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"@l4097@\",\"peer\":\"1.2.3.4\"}", "line" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"a\\u0000b\",\"peer\":\"1.2.3.4\"}", "line" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"x\"}", "peer" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"x\",\"peer\":\"\"}", "peer" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"x\",\"peer\":\"@p64@\"}", "peer" },
	{ CMSG_ENROLL, "{\"req\":1,\"line\":\"x\",\"peer\":[]}", "peer" },
	{ CMSG_ENROLL_REPLY, "{\"reply\":\"x\"}", "req" },
	{ CMSG_ENROLL_REPLY, "{\"req\":-3,\"reply\":\"x\"}", "req" },
	{ CMSG_ENROLL_REPLY, "{\"req\":3}", "reply" },
	{ CMSG_ENROLL_REPLY, "{\"req\":3,\"reply\":[]}", "reply" },
	{ CMSG_ENROLL_REPLY, "{\"req\":3,\"reply\":\"@r1025@\"}", "reply" },
	{ CMSG_ENROLL_REPLY, "{\"req\":3,\"reply\":\"a\\u0000b\"}", "reply" },
	{ CMSG_PING, "[]", "not an object" },
	{ CMSG_PONG, "[{}]", "not an object" },
};

static void
test_valid_round_trip(void **state)
{
	const struct valid_case *c;
	json_t *body, *want, *enc;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		c = &valid[i];
		body = load(c->json);
		want = c->canon != NULL ? load(c->canon) : json_incref(body);
		why = NULL;
		if (decode_encode(c->type, body, &enc, &why) != 0)
			fail_msg("valid[%zu] %s refused: %s", i, cmsg_type_name(c->type), why);
		if (enc == NULL)
			fail_msg("valid[%zu] %s: decoded, but does not encode", i,
			    cmsg_type_name(c->type));
		if (!json_equal(enc, want))
			fail_msg("valid[%zu] %s: encodes to something else", i,
			    cmsg_type_name(c->type));
		json_decref(enc);
		json_decref(want);
		json_decref(body);
	}
}

static void
test_invalid_refused(void **state)
{
	const struct invalid_case *c;
	json_t *body, *enc;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		c = &invalid[i];
		body = load(c->json);
		why = NULL;
		if (decode_encode(c->type, body, &enc, &why) != -1)
			fail_msg("invalid[%zu] %s accepted: %.80s", i, cmsg_type_name(c->type),
			    c->json);
		assert_null(enc);
		if (why == NULL || strstr(why, c->what) == NULL)
			fail_msg("invalid[%zu] %s: why \"%s\" does not name \"%s\"", i,
			    cmsg_type_name(c->type), why != NULL ? why : "(null)", c->what);
		/* why may be NULL: the first problem is still refused */
		assert_int_equal(decode_encode(c->type, body, &enc, NULL), -1);
		json_decref(body);
	}
}

/* The decoders agree with groups.c on group names: a worker never takes a
 * name from the master that its own groups would refuse, nor the reverse. */
static void
test_group_names_as_groups_c(void **state)
{
	static const char *const names[] = {
		"default", "db.prod-1_X", "...", "alll", "All", "", ".", "..", "all", "a b",
		"a,b", "a/b", "a:b", "\xc3\xa9", "-", "_", ".hidden",
	};
	struct cbody_groups g;
	json_t *body;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		body = json_pack("{s:b, s:[], s:[s]}", "full", 0, "groups", "removed", names[i]);
		assert_non_null(body);
		if ((cbody_groups_decode(body, &g, &why) == 0) != (group_name_valid(names[i]) != 0))
			fail_msg("group name \"%s\": cbody and groups.c disagree", names[i]);
		cbody_groups_free(&g);
		json_decref(body);
	}
}

/* The limits proto states for itself are node's field sizes. */
static void
test_limits_match_node(void **state)
{
	struct agent *a = NULL;

	(void)state;
	(void)a;
	assert_int_equal(CBODY_AGENT_ID_MAX, REGDB_ID_MAX);
	assert_int_equal(CBODY_AGENT_NAME_MAX + 1, sizeof(a->name));
	assert_int_equal(CBODY_AGENT_IP_MAX + 1, sizeof(a->ip));
	assert_true(CBODY_AGENT_KEY_LEN + 1 <= sizeof(a->key));
	assert_int_equal(CBODY_AGENT_GROUP_MAX + 1, sizeof(a->group));
	assert_int_equal(CBODY_GROUP_NAME_MAX, GROUP_NAME_MAX);
	assert_int_equal(CBODY_GROUP_CONF_MAX, GROUP_CONF_MAX);
	assert_int_equal(CBODY_NODE_NAME_MAX + 1, sizeof(a->node_name));
}

/* keys and groups hand out the body's own strings, not copies. */
static void
test_borrowed(void **state)
{
	json_t *kb = load("{\"full\":true,\"agents\":[" AGENT(3) "],\"removed\":[9]}");
	json_t *gb = load("{\"full\":false,\"groups\":[{\"name\":\"web\",\"conf\":\"<x/>\"}],"
	    "\"removed\":[\"old\"]}");
	struct cbody_keys k;
	struct cbody_groups g;
	const json_t *e;

	(void)state;
	assert_int_equal(cbody_keys_decode(kb, &k, NULL), 0);
	assert_true(k.full);
	assert_int_equal(k.nagents, 1);
	assert_int_equal(k.agents[0].id, 3);
	e = json_array_get(json_object_get(kb, "agents"), 0);
	assert_ptr_equal(k.agents[0].name, json_string_value(json_object_get(e, "name")));
	assert_ptr_equal(k.agents[0].key, json_string_value(json_object_get(e, "key")));
	assert_int_equal(k.nremoved, 1);
	assert_int_equal(k.removed[0], 9);
	cbody_keys_free(&k);
	assert_null(k.agents);
	cbody_keys_free(&k);   /* twice is harmless */
	cbody_keys_free(NULL);

	assert_int_equal(cbody_groups_decode(gb, &g, NULL), 0);
	assert_false(g.full);
	assert_int_equal(g.ngroups, 1);
	e = json_array_get(json_object_get(gb, "groups"), 0);
	assert_ptr_equal(g.groups[0].conf, json_string_value(json_object_get(e, "conf")));
	assert_int_equal(g.groups[0].conf_len, 4);
	assert_string_equal(g.removed[0], "old");
	cbody_groups_free(&g);
	cbody_groups_free(NULL);
	cbody_result_free(NULL);
	json_decref(kb);
	json_decref(gb);
}

/* Fixed-field bodies are copies: they outlive the body. */
static void
test_copied(void **state)
{
	json_t *b = load("{\"req\":7,\"line\":\"OSSEC A:'x'\",\"peer\":\"10.1.2.3\"}");
	struct cbody_enroll e;
	struct cbody_hello h;

	(void)state;
	assert_int_equal(cbody_enroll_decode(b, &e, NULL), 0);
	json_decref(b);
	assert_int_equal(e.req, 7);
	assert_int_equal(e.line_len, 11);
	assert_string_equal(e.line, "OSSEC A:'x'");
	assert_string_equal(e.peer, "10.1.2.3");
	b = load("{\"proto\":3,\"node\":\"w1\",\"role\":\"master\"}");
	assert_int_equal(cbody_hello_decode(b, &h, NULL), 0);
	json_decref(b);
	assert_int_equal(h.proto, 3);
	assert_string_equal(h.node, "w1");
	assert_int_equal(h.role, CBODY_ROLE_MASTER);
}

static void
test_error_set(void **state)
{
	struct cbody_error e;
	char big[400];
	json_t *j;

	(void)state;
	cbody_error_set(&e, "expected hello");
	assert_string_equal(e.message, "expected hello");
	cbody_error_set(&e, NULL);
	assert_string_equal(e.message, "");
	/* 253 ASCII bytes, then a 3-byte character across byte 255: cut before it */
	memset(big, 'x', 253);
	memcpy(big + 253, "\xe2\x82\xac", 3);
	big[256] = '\0';
	cbody_error_set(&e, big);
	assert_int_equal(strlen(e.message), 253);
	assert_non_null(j = cbody_error_encode(&e));
	json_decref(j);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cbody_error_set(&e, big);
	assert_int_equal(strlen(e.message), CBODY_ERROR_MAX);
}

/* A sender's encode refuses what its peer's decode would refuse. */
static void
test_encode_refuses(void **state)
{
	struct cbody_hello h = { 3, "worker1", CBODY_ROLE_WORKER };
	struct cbody_error er;
	struct cbody_ack a = { 0 };
	struct cbody_key key = { 1, "web", "any", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", "default" };
	struct cbody_keys k = { 0, &key, 1, NULL, 0, 0, 0 };
	struct cbody_group gr = { "web", "<x/>", 4 };
	struct cbody_groups g = { 0, &gr, 1, NULL, 0 };
	int codes[] = { 0, 10000 };
	struct cbody_result r = { 5, codes, 2 };
	static struct cbody_enroll en;
	static struct cbody_enroll_reply rep;
	unsigned int bad_id = 0;
	json_t *j;

	(void)state;
	assert_non_null(j = cbody_hello_encode(&h));
	json_decref(j);
	h.proto = 0;
	assert_null(cbody_hello_encode(&h));
	h.proto = 3;
	snprintf(h.node, sizeof(h.node), "bad name");
	assert_null(cbody_hello_encode(&h));
	snprintf(h.node, sizeof(h.node), "w");
	h.role = 0;
	assert_null(cbody_hello_encode(&h));
	memset(h.node, 'a', sizeof(h.node));   /* unterminated */
	h.role = CBODY_ROLE_MASTER;
	assert_null(cbody_hello_encode(&h));

	cbody_error_set(&er, "\xff\xfe");      /* not UTF-8 */
	assert_null(cbody_error_encode(&er));

	assert_null(cbody_ack_encode(&a));
	a.seq = (uint64_t)INT64_MAX + 1;
	assert_null(cbody_ack_encode(&a));
	a.seq = (uint64_t)INT64_MAX;
	assert_non_null(j = cbody_ack_encode(&a));
	json_decref(j);

	assert_non_null(j = cbody_keys_encode(&k));
	json_decref(j);
	key.key = "0123";
	assert_null(cbody_keys_encode(&k));
	key.key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg";
	assert_null(cbody_keys_encode(&k));
	key.key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	key.group = NULL;
	assert_null(cbody_keys_encode(&k));
	key.group = "";
	key.name = "\xff";                     /* not UTF-8 */
	assert_null(cbody_keys_encode(&k));
	key.name = "web";
	k.removed = &bad_id;
	k.nremoved = 1;
	assert_null(cbody_keys_encode(&k));
	k.removed = NULL;
	assert_null(cbody_keys_encode(&k));    /* nremoved without an array */
	k.nremoved = 0;
	k.part = 1;                            /* parts are a full table's */
	assert_null(cbody_keys_encode(&k));
	k.full = 1;
	k.more = 1;
	assert_non_null(j = cbody_keys_encode(&k));
	json_decref(j);
	k.part = 0;                            /* more parts of no part */
	assert_null(cbody_keys_encode(&k));
	k.part = CBODY_KEYS_PARTS_MAX + 1;
	assert_null(cbody_keys_encode(&k));
	k.part = 0;
	k.more = 0;
	k.full = 0;

	assert_non_null(j = cbody_groups_encode(&g));
	json_decref(j);
	gr.name = "all";
	assert_null(cbody_groups_encode(&g));
	gr.name = "web";
	gr.conf = "a\0b";
	gr.conf_len = 3;
	assert_null(cbody_groups_encode(&g));
	gr.conf = "\xc3";                      /* cut UTF-8 */
	gr.conf_len = 1;
	assert_null(cbody_groups_encode(&g));
	gr.conf = NULL;
	gr.conf_len = 0;
	assert_non_null(j = cbody_groups_encode(&g));
	json_decref(j);

	assert_null(cbody_result_encode(&r));
	codes[1] = 9999;
	assert_non_null(j = cbody_result_encode(&r));
	json_decref(j);
	r.req = 0;
	assert_null(cbody_result_encode(&r));

	en.req = 1;
	snprintf(en.peer, sizeof(en.peer), "10.0.0.1");
	memcpy(en.line, "OSSEC\xff", 6);       /* an agent's line that is not UTF-8 */
	en.line_len = 6;
	assert_null(cbody_enroll_encode(&en));
	memcpy(en.line, "OS\0SEC", 6);
	assert_null(cbody_enroll_encode(&en));
	memcpy(en.line, "OSSEC ", 6);
	assert_non_null(j = cbody_enroll_encode(&en));
	json_decref(j);
	en.line_len = ENROLL_LINE_MAX + 1;
	assert_null(cbody_enroll_encode(&en));
	en.line_len = 6;
	en.peer[0] = '\0';
	assert_null(cbody_enroll_encode(&en));

	rep.req = 2;
	memset(rep.reply, 'r', sizeof(rep.reply));   /* unterminated */
	assert_null(cbody_enroll_reply_encode(&rep));
	rep.reply[ENROLL_REPLY_MAX] = '\0';
	assert_non_null(j = cbody_enroll_reply_encode(&rep));
	json_decref(j);
}

/* Decoded bodies go through a whole frame as well (cmsg_encode/cmsg_decode). */
static void
test_through_frames(void **state)
{
	struct cbody_ack a = { 42 }, back;
	json_t *body, *out = NULL;
	uint8_t *f;
	size_t len;
	int type = 0;

	(void)state;
	body = cbody_ack_encode(&a);
	assert_non_null(f = cmsg_encode(CMSG_ACK, body, &len));
	assert_int_equal(cmsg_decode(f, len, &type, &out), (ssize_t)len);
	assert_int_equal(type, CMSG_ACK);
	assert_int_equal(cbody_ack_decode(out, &back, NULL), 0);
	assert_int_equal(back.seq, 42);
	json_decref(out);
	json_decref(body);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_round_trip),
		cmocka_unit_test(test_invalid_refused),
		cmocka_unit_test(test_group_names_as_groups_c),
		cmocka_unit_test(test_limits_match_node),
		cmocka_unit_test(test_borrowed),
		cmocka_unit_test(test_copied),
		cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_through_frames),
	};

	printf("test_cbody: %zu valid and %zu invalid bodies\n", sizeof(valid) / sizeof(valid[0]),
	    sizeof(invalid) / sizeof(invalid[0]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
