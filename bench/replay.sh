#!/bin/bash
# Replay throughput against grep on the same generated logs, and memory.
# Ratios from one run; never a pass/fail timing.
#   bench/replay.sh SMMUTRACE [SIZE_MB]
#   SIZE_MB             the ordinary log (rare SMMU messages), default 1024
#   BENCH_DENSE_MB      the incident-dense log (an ATC timeout every 50 lines), default 300
#   BENCH_BASELINE=BIN  also time another smmutrace build on the same logs
#                       (e.g. main's), to compare before/after in one run
set -euo pipefail

BIN=$(realpath "$1")
SIZE=${2:-1024}
DENSE=${BENCH_DENSE_MB:-300}
BASE=${BENCH_BASELINE:+$(realpath "$BENCH_BASELINE")}
OUT=${BENCH_OUT:-$(dirname "$0")/out}
mkdir -p "$OUT"
CLEAN_LOG=$OUT/replay-$SIZE.log
DENSE_LOG=$OUT/replay-dense50-$DENSE.log
SMALL=$OUT/replay-64.log

gen() { # FILE SIZE_MB [genlog options]
	[[ -s $1 ]] && return
	echo "generating $2 MB log $1"
	python3 "$(dirname "$0")/genlog.py" "${@:3}" "$2" "$1"
}
gen "$CLEAN_LOG" "$SIZE"
gen "$DENSE_LOG" "$DENSE" --atc-every 50
gen "$SMALL" 64

# best of 3 wall-clock seconds (bash's microsecond clock: time(1)'s 10 ms
# steps are a tenth of a dense run) and the highest max RSS (KiB) of the
# runs; every tool writes to a file (GNU grep stops at the first match into
# /dev/null)
measure() {
	local best=999999 peak=0 t0 t1 t rss
	for _ in 1 2 3; do
		t0=$EPOCHREALTIME
		/usr/bin/time -f "%M" -o "$OUT/time" "$@" >"$OUT/stdout"
		t1=$EPOCHREALTIME
		read -r rss <"$OUT/time"
		t=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", b - a }')
		best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
		peak=$(( rss > peak ? rss : peak ))
	done
	echo "$best $peak"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
row() { # NAME SECONDS RSS MB GREP_SECONDS
	printf '  %-36s %8s %8.0f %8s KB %7s\n' "$1" "$2" \
		"$(awk -v m="$4" -v t="$2" 'BEGIN { print (t > 0) ? m / t : 0 }')" "$3" \
		"$(ratio "$5" "$2")"
}

# bench_log NAME LOG: grep, then replay --json (and text, and the baseline)
bench_log() {
	local name=$1 log=$2 mb t_grep rss t rss_json=0 n
	mb=$(( $(stat -c %s "$log") / 1048576 ))
	cat "$log" >/dev/null	# everything starts from the page cache
	read -r t_grep rss < <(measure grep -c 'arm-smmu-v3' "$log")
	read -r t rss_json < <(measure "$BIN" replay --json "$log")
	n=$(grep -c '"type":"incident"' "$OUT/stdout" || true)
	printf '\n%s: %s MB, %s incidents\n' "$name" "$mb" "$n"
	printf '  %-36s %8s %8s %11s %7s\n' tool seconds "MB/s" "max RSS" "x grep"
	row "grep -c 'arm-smmu-v3'" "$t_grep" "$rss" "$mb" "$t_grep"
	row "smmutrace replay --json" "$t" "$rss_json" "$mb" "$t_grep"
	eval "T_${name}_JSON=$t T_${name}_GREP=$t_grep RSS_${name}=$rss_json"
	read -r t rss < <(measure "$BIN" replay "$log")
	row "smmutrace replay (text)" "$t" "$rss" "$mb" "$t_grep"
	if [[ -n $BASE ]]; then
		read -r t rss < <(measure "$BASE" replay --json "$log")
		row "baseline replay --json" "$t" "$rss" "$mb" "$t_grep"
		eval "T_${name}_BASE=$t"
	fi
}

bench_log dense "$DENSE_LOG"
bench_log clean "$CLEAN_LOG"
read -r t_small rss_small < <(measure "$BIN" replay --json "$SMALL")

printf '\ntargets\n'
printf '  dense replay --json vs grep -c:  %s (target >= 1.00)\n' \
	"$(ratio "$T_dense_GREP" "$T_dense_JSON")"
printf '  peak RSS, dense / clean:         %s / %s KB (target < 65536)\n' \
	"$RSS_dense" "$RSS_clean"
printf '  clean replay --json vs grep -c:  %s\n' "$(ratio "$T_clean_GREP" "$T_clean_JSON")"
if [[ -n $BASE ]]; then
	printf '  speed vs baseline, dense:        %s (>1 = faster)\n' \
		"$(ratio "$T_dense_BASE" "$T_dense_JSON")"
	printf '  speed vs baseline, clean:        %s (target >= 1.00: no slower)\n' \
		"$(ratio "$T_clean_BASE" "$T_clean_JSON")"
fi
printf '  memory: %s KB on 64 MB vs %s KB on %s MB (ratio %s; flat = streaming)\n' \
	"$rss_small" "$RSS_clean" "$SIZE" "$(ratio "$RSS_clean" "$rss_small")"

# The same 64 MB log as pasted into a mail reply ("> " before every line):
# the intake layer's slow path (quote markers stripped, wraps rejoined).
QUOTED=$OUT/replay-64-quoted.log
[[ -s $QUOTED ]] || sed 's/^/> /' "$SMALL" >"$QUOTED"
cat "$SMALL" "$QUOTED" >/dev/null
read -r t_small _ < <(measure "$BIN" replay --json "$SMALL")
inc_clean=$(grep -c '"type":"incident"' "$OUT/stdout" || true)
read -r t_quoted _ < <(measure "$BIN" replay --json "$QUOTED")
inc_quoted=$(grep -c '"type":"incident"' "$OUT/stdout" || true)
printf '  pasted (quoted) 64 MB log: %s s vs %s s clean (%sx; %s vs %s incidents)\n' \
	"$t_quoted" "$t_small" "$(ratio "$t_quoted" "$t_small")" "$inc_quoted" "$inc_clean"
