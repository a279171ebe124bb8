#!/bin/bash
# The parser side of replay alone (read, intake, parse; events only counted)
# against grep -c on the same logs.  Ratios from one run, never pass/fail.
#   bench/parse.sh BENCH_PARSE LOG...
set -euo pipefail

BIN=$(realpath "$1")
shift
OUT=${BENCH_OUT:-$(dirname "$0")/out}
mkdir -p "$OUT"

# best of 3 wall-clock seconds; output to a file (grep stops early on /dev/null)
best() {
	local b=999999 t
	for _ in 1 2 3; do
		/usr/bin/time -f "%e" -o "$OUT/time" "$@" >"$OUT/stdout"
		t=$(cat "$OUT/time")
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b) ? a : b }')
	done
	echo "$b"
}

printf '%-28s %10s %10s %8s  %s\n' log "grep -c" "parse" "x grep" "bench_parse says"
for log in "$@"; do
	cat "$log" >/dev/null	# from the page cache
	g=$(best grep -c 'arm-smmu-v3' "$log")
	t=$(best "$BIN" "$log")
	printf '%-28s %10s %10s %8s  %s\n' "$(basename "$log")" "$g" "$t" \
		"$(awk -v a="$g" -v b="$t" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')" \
		"$(cat "$OUT/stdout")"
done
