#!/bin/bash
# Replay time against the number of distinct SMMU names: the engine's
# registries are hashed and bounded, so twice the names (and twice the
# lines) should cost about twice the time, not four times.
# Ratios from one run; never a pass/fail timing.
#   bench/names.sh SMMUTRACE [NAMES]
set -euo pipefail

BIN=$(realpath "$1")
N=${2:-40000}
OUT=${BENCH_OUT:-$(dirname "$0")/out}
mkdir -p "$OUT"

# one ATC timeout and its issuer's line per SMMU name, gzipped as shipped logs are
gen() {
	[[ -s $2 ]] && return
	python3 - "$1" <<'PY' | gzip -c >"$2"
import sys
t = 10.0
for i in range(int(sys.argv[1])):
    s = "arm-smmu-v3.%d.auto" % i
    c = (i * 7) & 0xffff
    print("[%12.6f] arm-smmu-v3 %s: CMDQ error (cons 0x03%06x): ATC invalidate timeout"
          % (t, s, c))
    print("[%12.6f] arm-smmu-v3 %s: CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons 0x03%06x]"
          % (t + 0.0005, s, c, (c + 4) & 0xffff, c))
    t += 0.001
PY
}

best() {
	local b=999999 t
	for _ in 1 2 3 4 5; do
		/usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >/dev/null
		read -r t rss <"$OUT/time"
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b) ? a : b }')
	done
	echo "$b $rss"
}

SMALL=$OUT/names-$N.log.gz
LARGE=$OUT/names-$((2 * N)).log.gz
gen "$N" "$SMALL"
gen $((2 * N)) "$LARGE"
read -r t1 rss1 < <(best "$BIN" replay --json "$SMALL")
read -r t2 rss2 < <(best "$BIN" replay --json "$LARGE")
printf '\nreplay with many distinct SMMU names (best of 5)\n'
printf '  %8s names: %6ss, max RSS %s KB\n' "$N" "$t1" "$rss1"
printf '  %8s names: %6ss, max RSS %s KB\n' "$((2 * N))" "$t2" "$rss2"
printf '  time ratio %s/%s names: %.2f (target <= 2.50: linear in the input)\n' \
	"$((2 * N))" "$N" "$(awk -v a="$t2" -v b="$t1" 'BEGIN { print (b > 0) ? a / b : 0 }')"
