#!/bin/sh
# Every libFuzzer target still builds and runs: its seeds (fuzz/seeds/<name>/), then a
# short run of fresh inputs.  Targets rotted unnoticed when only `make fuzz` built them;
# `make check` runs this so a struct change that breaks one fails CI.  Long fuzzing is
# `make fuzz` and then build-fuzz/fuzz_X -max_total_time=600 (docs/security.md).
#   sh scripts/fuzz-smoke.sh [runs]      (default 2000 fresh inputs per target)
set -eu
runs=${1:-2000}
failed=0
n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in build-fuzz/fuzz_*; do
	case "$f" in *.d|*.o) continue ;; esac
	[ -x "$f" ] || continue
	name=$(basename "$f")
	seeds="fuzz/seeds/${name#fuzz_}"
	mkdir -p "$tmp/$name"
	set -- "$tmp/$name"
	[ -d "$seeds" ] && set -- "$@" "$seeds"
	n=$((n + 1))
	if ! "$f" -runs="$runs" -max_total_time=5 "$@" >"$tmp/$name.log" 2>&1; then
		echo "fuzz-smoke: $name FAILED"
		tail -n 40 "$tmp/$name.log"
		failed=$((failed + 1))
	fi
done
echo "fuzz-smoke: $n targets, $failed failed"
[ "$n" -gt 0 ] && [ "$failed" -eq 0 ]
