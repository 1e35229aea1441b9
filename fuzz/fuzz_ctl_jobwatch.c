/* fuzz_ctl_jobwatch.c — libFuzzer target: vigilctl taking the API's job objects (ctl/progress.c). */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "ctl/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned long long ids[] = { 1, 2, 7 };
	long long counts[JW_NSTATES], total, sum = 0;
	struct jobwatch w;
	json_t *j, *it;
	size_t i;
	int s, out;

	if ((j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	if (jobwatch_init(&w, ids, 3) == -1) {
		json_decref(j);
		return 0;
	}
	/* one job, or an array of them (GET /jobs) */
	if (json_is_array(j)) {
		json_array_foreach(j, i, it)
			(void)jobwatch_update(&w, it);
	} else
		(void)jobwatch_update(&w, j);
	jobwatch_sum(&w, counts, &total);
	for (s = 0; s < JW_NSTATES; s++) {
		if (counts[s] < 0)
			abort();
		sum += counts[s];
	}
	if (sum != total)           /* only counts that add up are taken */
		abort();
	out = jobwatch_outcome(&w);
	if (out != JW_RUNNING && out != JW_COMPLETED_ALL && out != JW_INCOMPLETE)
		abort();
	jobwatch_free(&w);
	json_decref(j);
	return 0;
}
