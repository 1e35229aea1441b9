#!/bin/sh
# Run every cmocka unit test binary in $1/tests; fail if any fails.
set -u
B=${1:-build}
fail=0; n=0
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	if ! "$t"; then
		echo "FAILED: $t"
		fail=$((fail + 1))
	fi
done
echo "unit: $n test programs, $fail failed"
[ "$fail" -eq 0 ]
