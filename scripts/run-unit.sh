#!/bin/sh
# Run every cmocka unit test binary in $1/tests; fail if any fails.
# The registry's tests also run on PostgreSQL: unless VIGIL_TEST_PG already names
# a database, a throwaway server is started for them (scripts/pg-test-server.sh)
# and stopped at the end; without PostgreSQL installed those cases are skipped.
set -u
B=${1:-build}
here=$(dirname "$0")
pgdir=""
if [ -z "${VIGIL_TEST_PG:-}" ] && [ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
	pgdir=$(mktemp -d /tmp/vigil-pg-unit.XXXXXX)
	trap 'sh "$here/pg-test-server.sh" stop "$pgdir"' EXIT
	trap 'exit 130' INT TERM
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	if uri=$(sh "$here/pg-test-server.sh" start "$pgdir" "$port"); then
		VIGIL_TEST_PG=$uri
		export VIGIL_TEST_PG
	else
		echo "unit: PostgreSQL test server did not start" >&2
		exit 1
	fi
fi
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
