/* api_envelope.c — Wazuh's AffectedItemsWazuhResult, rendered as framework/wazuh/core/results.py does. */
#include "node/api/api_envelope.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "node/api/api_errors.h"

struct envelope_fail {
	char *id;
	int code;
};

struct envelope {
	json_t *affected;              /* array of items */
	struct envelope_fail *fails;
	size_t nfails, capfails;
	long total;                    /* total_affected_items override, or -1 */
	int oom;                       /* an append failed: render reports 1000 */
	int msg_code;                  /* failures with this code show msg_text */
	char *msg_text;
	int numeric_ids;               /* failed ids that are numbers render as numbers */
};

struct envelope *
envelope_new(void)
{
	struct envelope *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->affected = json_array()) == NULL) {
		free(e);
		return NULL;
	}
	e->total = -1;
	return e;
}

void
envelope_free(struct envelope *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nfails; i++)
		free(e->fails[i].id);
	free(e->fails);
	free(e->msg_text);
	json_decref(e->affected);
	free(e);
}

void
envelope_affect(struct envelope *e, json_t *item)
{
	if (item == NULL) {
		e->oom = 1;
		return;
	}
	if (json_array_append_new(e->affected, item) == -1)
		e->oom = 1;
}

void
envelope_fail(struct envelope *e, const char *id, int code)
{
	struct envelope_fail *v;
	size_t cap;

	if (e->nfails == e->capfails) {
		cap = e->capfails ? e->capfails * 2 : 16;
		if ((v = reallocarray(e->fails, cap, sizeof(*v))) == NULL) {
			e->oom = 1;
			return;
		}
		e->fails = v;
		e->capfails = cap;
	}
	if ((e->fails[e->nfails].id = strdup(id)) == NULL) {
		e->oom = 1;
		return;
	}
	e->fails[e->nfails++].code = code;
}

void
envelope_set_message(struct envelope *e, int code, const char *message)
{
	free(e->msg_text);
	e->msg_code = code;
	if ((e->msg_text = strdup(message)) == NULL)
		e->oom = 1;
}

void
envelope_set_numeric_ids(struct envelope *e)
{
	e->numeric_ids = 1;
}

/* id_json: a failed id as Wazuh shows it: a number when numeric ids are on and it is one. */
static json_t *
id_json(const struct envelope *e, const char *id)
{
	const char *p = id;

	if (e->numeric_ids && *p != '\0' && strlen(id) < 16) {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '\0')
			return json_integer(strtoll(id, NULL, 10));
	}
	return json_string(id);
}

void
envelope_set_total(struct envelope *e, long total)
{
	e->total = total;
}

const char *
envelope_affected_id(const struct envelope *e, size_t i)
{
	json_t *v = json_array_get(e->affected, i);

	return json_is_string(v) ? json_string_value(v) : "";
}

int
envelope_affected_count(const struct envelope *e)
{
	return (int)json_array_size(e->affected);
}

/*
 * id_cmp: Wazuh sorts ids numerically.  Digit strings compare by value (so
 * "9" < "010"), equal values by their text; other strings sort after every
 * number, by their text.
 */
static int
id_cmp(const char *a, const char *b)
{
	const char *ea, *eb;
	size_t la, lb;
	int da, db, c;

	for (ea = a; isdigit((unsigned char)*ea); ea++)
		;
	for (eb = b; isdigit((unsigned char)*eb); eb++)
		;
	da = (*ea == '\0' && ea != a);
	db = (*eb == '\0' && eb != b);
	if (da != db)
		return da ? -1 : 1;
	if (!da)
		return strcmp(a, b);
	/* Compare the values without converting: skip leading zeros, then length, then digits. */
	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a, b);
	return c;
}

static int
fail_cmp(const void *x, const void *y)
{
	const struct envelope_fail *a = x, *b = y;
	int c;

	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	if ((c = id_cmp(a->id, b->id)) != 0)
		return c;
	return strcmp(a->id, b->id);
}

/* fails_dedup: sorts the failures by (code, id) and drops repeats, as Wazuh's id sets do. */
static size_t
fails_dedup(struct envelope_fail *v, size_t n)
{
	size_t i, out = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), fail_cmp);
	for (i = 1; i < n; i++) {
		if (v[i].code == v[out].code && strcmp(v[i].id, v[out].id) == 0)
			free(v[i].id);
		else
			v[++out] = v[i];
	}
	return out + 1;
}

int
envelope_failed_count(const struct envelope *e)
{
	struct envelope_fail *v;
	size_t i, n;

	if (e->nfails < 2)
		return (int)e->nfails;
	/* Count distinct (code, id) pairs on a shallow copy: the envelope is const. */
	if ((v = calloc(e->nfails, sizeof(*v))) == NULL)
		return (int)e->nfails;
	memcpy(v, e->fails, e->nfails * sizeof(*v));
	qsort(v, e->nfails, sizeof(*v), fail_cmp);
	for (i = 1, n = 1; i < e->nfails; i++)
		if (v[i].code != v[i - 1].code || strcmp(v[i].id, v[i - 1].id) != 0)
			n++;
	free(v);
	return (int)n;
}

/* item_id: the id text an affected item sorts by ("id" member, or the string itself). */
static const char *
item_id(json_t *item)
{
	json_t *id;

	if (json_is_string(item))
		return json_string_value(item);
	if (json_is_object(item) && (id = json_object_get(item, "id")) != NULL &&
	    json_is_string(id))
		return json_string_value(id);
	return "";
}

struct sort_item {
	json_t *item;
	size_t pos;
};

static int
item_cmp(const void *x, const void *y)
{
	const struct sort_item *a = x, *b = y;
	int c;

	if ((c = id_cmp(item_id(a->item), item_id(b->item))) != 0)
		return c;
	return (a->pos > b->pos) - (a->pos < b->pos);   /* stable */
}

/* sorted_affected: a new array with the items of e sorted by numeric id, stably. */
static json_t *
sorted_affected(struct envelope *e)
{
	size_t i, n = json_array_size(e->affected);
	struct sort_item *v;
	json_t *out;

	if ((out = json_array()) == NULL)
		return NULL;
	if (n == 0)
		return out;
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v[i].item = json_array_get(e->affected, i);
		v[i].pos = i;
	}
	qsort(v, n, sizeof(*v), item_cmp);
	for (i = 0; i < n; i++)
		if (json_array_append(out, v[i].item) == -1) {
			json_decref(out);
			out = NULL;
			break;
		}
	free(v);
	return out;
}

/* failed_items: [{"error":{"code","message","remediation"?},"id":[...]}] grouped per code. */
static json_t *
failed_items(struct envelope *e, size_t *total)
{
	json_t *arr, *group = NULL, *ids = NULL, *err = NULL;
	const struct api_error *ae;
	size_t i, j;

	e->nfails = fails_dedup(e->fails, e->nfails);
	*total = e->nfails;
	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < e->nfails; i = j) {
		int code = e->fails[i].code;

		ae = api_error_lookup(code);
		if ((group = json_object()) == NULL || (err = json_object()) == NULL ||
		    (ids = json_array()) == NULL)
			goto fail;
		if (json_object_set_new(err, "code", json_integer(code)) == -1 ||
		    json_object_set_new(err, "message", json_string(code == e->msg_code &&
		    e->msg_text != NULL ? e->msg_text : ae != NULL ? ae->message :
		    "Unknown error")) == -1)
			goto fail;
		if (ae != NULL && ae->remediation != NULL &&
		    json_object_set_new(err, "remediation", json_string(ae->remediation)) == -1)
			goto fail;
		for (j = i; j < e->nfails && e->fails[j].code == code; j++) {
			json_t *s = id_json(e, e->fails[j].id);

			/* An id that is not UTF-8 cannot be shown; Wazuh would never have had it. */
			if (s == NULL)
				s = json_string("?");
			if (json_array_append_new(ids, s) == -1)
				goto fail;
		}
		if (json_object_set_new(group, "error", err) == -1) {
			err = NULL;
			goto fail;
		}
		err = NULL;
		if (json_object_set_new(group, "id", ids) == -1) {
			ids = NULL;
			goto fail;
		}
		ids = NULL;
		if (json_array_append_new(arr, group) == -1) {
			group = NULL;
			goto fail;
		}
		group = NULL;
	}
	return arr;
fail:
	json_decref(err);
	json_decref(ids);
	json_decref(group);
	json_decref(arr);
	return NULL;
}

/*
 * envelope_render: error is 0 when nothing failed, 1 when nothing was
 * affected and something failed, 2 when both (the contract's corrected
 * values); the message follows the total of affected items first, as
 * results.py does (none_msg even when nothing failed either).
 */
json_t *
envelope_render(struct envelope *e, const char *all_msg, const char *some_msg,
    const char *none_msg, int sort_affected)
{
	json_t *body = NULL, *data = NULL, *affected = NULL, *failed = NULL;
	size_t nfailed = 0;
	long total;
	const char *msg;
	int error;

	if (e->oom)
		return NULL;
	if (sort_affected)
		affected = sorted_affected(e);
	else
		affected = json_incref(e->affected);
	if (affected == NULL || (failed = failed_items(e, &nfailed)) == NULL)
		goto err;
	total = e->total >= 0 ? e->total : (long)json_array_size(e->affected);
	if (total == 0)
		msg = none_msg;
	else if (nfailed == 0)
		msg = all_msg;
	else
		msg = some_msg;
	if (nfailed == 0)
		error = 0;
	else if (total == 0)
		error = 1;
	else
		error = 2;
	if ((body = json_object()) == NULL || (data = json_object()) == NULL)
		goto err;
	if (json_object_set_new(data, "affected_items", affected) == -1) {
		affected = NULL;
		goto err;
	}
	affected = NULL;
	if (json_object_set_new(data, "total_affected_items", json_integer(total)) == -1 ||
	    json_object_set_new(data, "total_failed_items", json_integer((json_int_t)nfailed)) == -1)
		goto err;
	if (json_object_set_new(data, "failed_items", failed) == -1) {
		failed = NULL;
		goto err;
	}
	failed = NULL;
	if (json_object_set_new(body, "data", data) == -1) {
		data = NULL;
		goto err;
	}
	data = NULL;
	if (msg != NULL && json_object_set_new(body, "message", json_string(msg)) == -1)
		goto err;
	if (json_object_set_new(body, "error", json_integer(error)) == -1)
		goto err;
	return body;
err:
	json_decref(affected);
	json_decref(failed);
	json_decref(data);
	json_decref(body);
	return NULL;
}
