#!/usr/bin/env bash
# `make demo`: boot Debian's 6.12 arm64 kernel under QEMU with an emulated
# SMMUv3 (our fault-injecting model, scripts/qemu/build-qemu.sh), run
# `smmutrace --live` on the real arm-smmu-v3 driver, make an ATS device stop
# answering ATC invalidations, inject two more command-queue faults, show
# everything as it happens, then say in plain words what happened.  Non-interactive; about a minute once the cache is
# filled (the first run downloads ~150 MB of Debian packages).
#
#   tests/e2e/demo.sh [-k KERNEL] [-o OUTDIR] [--bin SMMUTRACE_ARM64]
#
# Needs the host build (.output/<arch>/smmutrace, for the explanation: it
# replays the capture the guest recorded) and the cross build; `make demo`
# makes both.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QEMU_DIR=$ROOT/scripts/qemu
KERNEL=6.12; OUTDIR=$ROOT/.output/demo; BIN=""
HOST_ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
HOST_BIN=$ROOT/.output/$HOST_ARCH/smmutrace
while [ $# -gt 0 ]; do
    case "$1" in
        -k) KERNEL=$2; shift ;;
        -o) OUTDIR=$2; shift ;;
        --bin) BIN=$2; shift ;;
        *) echo "demo: unknown argument $1" >&2; exit 1 ;;
    esac
    shift
done
say() { printf '==> %s\n' "$*"; }
die() { printf 'demo: FAILED: %s\n' "$1" >&2; exit "${2:-1}"; }
T0=$(date +%s)

say "fetching QEMU, the cross compiler and Debian's arm64 kernels (cached in ${SMMUTRACE_CACHE:-/var/cache/smmutrace})"
rc=0; "$QEMU_DIR/fetch.sh" >"${TMPDIR:-/tmp}/smmutrace-demo-fetch.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 5 "${TMPDIR:-/tmp}/smmutrace-demo-fetch.log" >&2
    [ "$rc" = 2 ] && die "the Debian package mirror cannot be reached (set SMMUTRACE_MIRROR?)" 2
    die "scripts/qemu/fetch.sh failed (exit $rc)"
fi
mkdir -p "$OUTDIR"; OUTDIR=$(cd "$OUTDIR" && pwd)
if [ -z "$BIN" ]; then
    say "cross-building smmutrace for arm64 (make ARCH=arm64)"
    make -C "$ROOT" --no-print-directory ARCH=arm64 >"$OUTDIR/build.log" 2>&1 ||
        { tail -n 20 "$OUTDIR/build.log" >&2; die "make ARCH=arm64 failed"; }
    BIN=$ROOT/.output/arm64/smmutrace
fi
cp "$BIN" "$OUTDIR/smmutrace.arm64"
[ -x "$HOST_BIN" ] || die "no host build at $HOST_BIN (run make first)"

say "building our fault-injecting QEMU from Debian's source (cached; ~7 minutes the first time)"
rc=0; QEMU_BIN=$("$QEMU_DIR/build-qemu.sh" 2>"$OUTDIR/build-qemu.log") || rc=$?
if [ "$rc" != 0 ]; then
    tail -n 5 "$OUTDIR/build-qemu.log" >&2
    [ "$rc" = 2 ] && die "the Debian package mirror cannot be reached (set SMMUTRACE_MIRROR?)" 2
    die "scripts/qemu/build-qemu.sh failed (exit $rc)"
fi
REL=$(basename "$(readlink -f "${SMMUTRACE_CACHE:-/var/cache/smmutrace}/kernels/$KERNEL")")
say "booting Debian's $REL under qemu-system-aarch64 -M virt,iommu=smmuv3 (TCG, 2 vCPUs, UEFI + ACPI)"
say "  our SMMU model has ATS and a fault injector; the ATS virtio disks' DMA goes through it;"
say "  iommu.strict=1: every unmap invalidates"
echo
printf '%s\n' "    demo      | what the guest does" "    kernel    | what the arm-smmu-v3 driver printed" \
    "    smmutrace | smmutrace --live, text output, as it streams" ""
rm -rf "$OUTDIR/guest"; mkdir -p "$OUTDIR/guest"
"$QEMU_DIR/boot.sh" -k "$KERNEL" -s "$HERE/guest/demo.sh" --acpi --ats --qemu "$QEMU_BIN" \
    --add "$HERE/guest/lib.sh:/lib/e2e/lib.sh" --add "$OUTDIR/smmutrace.arm64:/bin/smmutrace" \
    -o "$OUTDIR/guest" -t 170 >"$OUTDIR/boot.log" 2>&1 &
BOOT=$!
trap 'kill "$BOOT" 2>/dev/null || true' INT TERM
# the console, as it comes: the scenario's part, each line labelled
LOG=$OUTDIR/guest/console.log
while [ ! -e "$LOG" ] && kill -0 "$BOOT" 2>/dev/null; do sleep 0.2; done
tail -n +1 -f --pid="$BOOT" "$LOG" 2>/dev/null | tr -d '\r' | awk '
    /^SMMUTRACE-SCENARIO-BEGIN/ { on = 1; next }
    /^SMMUTRACE-SCENARIO-END/   { on = 0; next }
    !on { next }
    /^DEMO /                    { sub(/^DEMO /, ""); print "    demo      | " $0; fflush(); next }
    /^\[ *[0-9]+\.[0-9]+\] /    { sub(/^\[ *[0-9]+\.[0-9]+\] /, ""); print "    kernel    | " $0; fflush(); next }
                                { print "    smmutrace | " $0; fflush() }'
rc=0; wait "$BOOT" || rc=$?
trap - INT TERM
echo
RES=$OUTDIR/guest/results
[ "$rc" = 0 ] || { cat "$OUTDIR/boot.log" >&2; die "the guest did not finish (boot.sh exit $rc; console $LOG)"; }
[ -s "$RES/dmesg.txt" ] || die "no kernel log came back from the guest"

# what happened, from smmutrace's own record of the run (its capture, replayed
# here on the host) and from what the kernel printed
if [ -s "$RES/demo.cap" ]; then
    "$HOST_BIN" replay --json "$RES/demo.cap" >"$OUTDIR/replay.ndjson" 2>"$OUTDIR/replay.err" ||
        die "smmutrace replay of the capture failed: $(cat "$OUTDIR/replay.err")"
    SRC=capture
else
    "$HOST_BIN" replay --json "$RES/dmesg.txt" >"$OUTDIR/replay.ndjson" 2>"$OUTDIR/replay.err" ||
        die "smmutrace replay of the kernel log failed: $(cat "$OUTDIR/replay.err")"
    SRC=log
fi
python3 "$HERE/explain.py" "$RES" "$OUTDIR/replay.ndjson" "$SRC" "$OUTDIR"
echo
echo "(demo took $(( $(date +%s) - T0 )) s; guest files in $RES)"
