#!/bin/bash
# Replay throughput against grep on the same generated log, and memory
# on a small versus a large log (flat memory = streaming).
# Ratios from one run; never a pass/fail timing.
#   bench/replay.sh SMMUTRACE [SIZE_MB]
set -euo pipefail

BIN=$(realpath "$1")
SIZE=${2:-1024}
OUT=${BENCH_OUT:-$(dirname "$0")/out}
mkdir -p "$OUT"
LOG=$OUT/replay-$SIZE.log
SMALL=$OUT/replay-64.log

gen() { [[ -s $2 ]] || { echo "generating $1 MB log $2"; python3 "$(dirname "$0")/genlog.py" "$1" "$2"; }; }
gen "$SIZE" "$LOG"
gen 64 "$SMALL"

# best of N wall-clock seconds and the max RSS (KiB) of the last run
measure() {
	local best=999999 rss=0 t
	for _ in 1 2 3 4 5; do
		/usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >"$OUT/stdout"
		read -r t rss <"$OUT/time"
		best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
	done
	echo "$best $rss"
}

cat "$LOG" >/dev/null	# both start from the page cache
read -r t_grep rss_grep < <(measure grep -c 'arm-smmu-v3' "$LOG")
read -r t_ours rss_ours < <(measure "$BIN" replay --json "$LOG")
incidents=$(grep -c '"type":"incident"' "$OUT/stdout" || true)
read -r t_small rss_small < <(measure "$BIN" replay --json "$SMALL")
mb=$(( $(stat -c %s "$LOG") / 1048576 ))

printf '\nreplay throughput, %s MB generated log (%s incidents)\n' "$mb" "$incidents"
printf '  %-34s %8s %10s %9s\n' tool seconds "MB/s" "max RSS"
printf '  %-34s %8s %10.0f %7s KB\n' "grep -c 'arm-smmu-v3'" "$t_grep" \
	"$(awk -v m="$mb" -v t="$t_grep" 'BEGIN { print m / t }')" "$rss_grep"
printf '  %-34s %8s %10.0f %7s KB\n' "smmutrace replay --json" "$t_ours" \
	"$(awk -v m="$mb" -v t="$t_ours" 'BEGIN { print m / t }')" "$rss_ours"
printf '  speed ratio smmutrace/grep: %.2f (target >= 0.50)\n' \
	"$(awk -v g="$t_grep" -v o="$t_ours" 'BEGIN { print g / o }')"
printf '  memory: %s KB on 64 MB vs %s KB on %s MB (ratio %.2f; flat = streaming)\n' \
	"$rss_small" "$rss_ours" "$mb" "$(awk -v a="$rss_ours" -v b="$rss_small" 'BEGIN { print a / b }')"
