#!/bin/bash
# smmutrace --live in full mode on Debian's real arm64 kernels (QEMU virt +
# SMMUv3, the driver built in), with injected faults; asserts the results.
# Slow (TCG): not part of `make test`; run with `make test-live-arm64`.
#
#   tests/live/arm64.sh SMMUTRACE_ARM64_BINARY [KERNEL...]   (default: 6.1 6.12)
set -euo pipefail
BIN=$(realpath "${1:?usage: arm64.sh SMMUTRACE_ARM64 [KERNEL...]}")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
CACHE=${SMMUTRACE_CACHE:-/var/cache/smmutrace}
KERNELS=("$@")
[[ ${#KERNELS[@]} -gt 0 ]] || KERNELS=(6.1 6.12)

"$ROOT/scripts/qemu/fetch.sh" >/dev/null
rc=0
for k in "${KERNELS[@]}"; do
	for slot in "" 1; do
		out=$CACHE/runs/live-$k${slot:+-syncslot}
		scen=$(mktemp)
		# the guest does not inherit our environment: bake the variant in
		{ echo '#!/bin/sh'; echo "SYNC_SLOT=$slot"; tail -n +2 "$HERE/arm64-scenario.sh"; } >"$scen"
		echo "== $k${slot:+ (--sync-slot)}: $out"
		if "$ROOT/scripts/qemu/boot.sh" -k "$k" -t 240 -s "$scen" \
			--add "$BIN:/bin/smmutrace" -o "$out"; then
			python3 "$HERE/check_arm64.py" "$out/results" "$k" "$slot" || rc=1
		else
			echo "  boot.sh failed"
			rc=1
		fi
		rm -f "$scen"
	done
done
exit $rc
