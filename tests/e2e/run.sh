#!/usr/bin/env bash
# End-to-end suite on the real arm-smmu-v3 driver (`make e2e`).
#
#   tests/e2e/run.sh [-k KERNEL]... [-o OUTDIR] [--bin SMMUTRACE] [-v]
#
#   -k KERNEL   a kernel scripts/qemu/boot.sh takes (6.1, 6.12, ...), or the
#               rig's patched 6.12 (scripts/kernel/build-kernel.sh, built and
#               cached on first use) booted in one of the quarantine series'
#               semantics: 6.12-bitmap-v2 (arm_smmu_v3.atc_sync_errno=110,
#               -ETIMEDOUT) or 6.12-bitmap-v3 (=5, -EIO).  Default: 6.1 6.12
#               6.12-bitmap-v2 6.12-bitmap-v3
#   -o OUTDIR   results (default .output/e2e): OUTDIR/<release>/{console.log,
#               results/, timing.txt}, OUTDIR/summary.txt
#   --bin B     use this aarch64 smmutrace instead of building one
#   -v          show the guest console live
#
# E2E_SYNC_SLOT_KERNELS (default "6.1 6.12-bitmap-v3"): kernels whose sw_timeout scenario
# runs smmutrace with --sync-slot; E2E_BOOT_TIMEOUT (default 300 s);
# E2E_ATC=0 skips the ATC boots (which need our patched QEMU, built once by
# scripts/qemu/build-qemu.sh, about 7 minutes on 2 cores).
#
# Steps: scripts/qemu/fetch.sh (host packages, Debian arm64 kernels, busybox
# and the cross sysroot, all cached in ${SMMUTRACE_CACHE:-/var/cache/smmutrace};
# repeat runs download nothing), `make ARCH=arm64` (static aarch64 binary),
# then for each kernel ONE boot that runs tests/e2e/guest/e2e.sh: scenarios
# traffic, sw_timeout and illegal, each with its own smmutrace run and its
# own section of the kernel log.  tests/e2e/check.py then compares
# smmutrace's JSON with what that kernel printed and counted in the same run,
# and tests/e2e/mutate.py makes sure it fails on broken copies of that run.
# Then a second boot per kernel on our fault-injecting SMMU (boot.sh --acpi
# --ats, tests/e2e/guest/atc.sh): the ATC scenarios atc_single,
# atc_two_devices, hw_before_sw, sw_before_hw and atc_repeated, checked
# against each scenario's truth file and the kernel's log (check_atc.py).
# A summary table (kernel x scenario x result) ends the output.
#
# Exit status: 0 all passed; 1 a check failed; 2 the Debian mirror is
# unreachable and the cache is incomplete (never a silent skip).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QEMU_DIR=$ROOT/scripts/qemu
KERNELS=(); OUTDIR=$ROOT/.output/e2e; BIN=""; VERBOSE=0
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -k|--kernel) KERNELS+=("$2"); shift ;;
        -o|--outdir) OUTDIR=$2; shift ;;
        --bin) BIN=$2; shift ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; echo "e2e: unknown argument: $1" >&2; exit 1 ;;
    esac
    shift
done
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=(6.1 6.12 6.12-bitmap-v2 6.12-bitmap-v3)
BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-300}
say() { printf 'e2e: %s\n' "$*"; }
die() { printf 'e2e: FAILED: %s\n' "$1" >&2; exit "${2:-1}"; }
T0=$(date +%s)
V=(); [ "$VERBOSE" = 1 ] && V=(-v)

# the kernel boot.sh boots for a name, and the command line that selects
# the series' semantics on the patched kernel
boot_kernel() { case "$1" in *-bitmap-v[23]) echo "${1%-v?}" ;; *) echo "$1" ;; esac; }
boot_append() {
    case "$1" in
        *-bitmap-v2) echo "arm_smmu_v3.atc_sync_errno=110" ;;
        *-bitmap-v3) echo "arm_smmu_v3.atc_sync_errno=5" ;;
    esac
}

# ---- 1. host tools, kernels, busybox, cross sysroot (cached) -----------------
say "fetching host tools and Debian arm64 packages (cache ${SMMUTRACE_CACHE:-/var/cache/smmutrace})"
rc=0; "$QEMU_DIR/fetch.sh" "${V[@]}" || rc=$?
if [ "$rc" = 2 ]; then
    die "the Debian package mirror (${SMMUTRACE_MIRROR:-http://deb.debian.org/debian}) cannot be reached and the cache is incomplete; the end-to-end suite needs Debian's arm64 kernels. Fix network access or set SMMUTRACE_MIRROR, then run again." 2
fi
[ "$rc" = 0 ] || die "scripts/qemu/fetch.sh failed (exit $rc)"
"$ROOT/scripts/install-deps.sh"
for k in "${KERNELS[@]}"; do
    [ "$(boot_kernel "$k")" = 6.12-bitmap ] || continue
    say "the patched 6.12 kernel (scripts/kernel/build-kernel.sh; cached after the first build)"
    rc=0; "$ROOT/scripts/kernel/build-kernel.sh" "${V[@]}" || rc=$?
    [ "$rc" = 2 ] && die "the Debian package mirror cannot be reached and linux-source-6.12 is not cached; fix network access or set SMMUTRACE_MIRROR, then run again." 2
    [ "$rc" = 0 ] || die "scripts/kernel/build-kernel.sh failed (exit $rc)"
    break
done
ATC=${E2E_ATC:-1}
if [ "$ATC" = 1 ]; then
    say "building our fault-injecting QEMU (cached after the first build)"
    rc=0; ATC_QEMU=$("$QEMU_DIR/build-qemu.sh" "${V[@]}") || rc=$?
    [ "$rc" = 2 ] && die "the Debian mirror cannot be reached and the patched QEMU is not cached" 2
    [ "$rc" = 0 ] || die "scripts/qemu/build-qemu.sh failed (exit $rc)"
fi
T_FETCH=$(date +%s)

# ---- 2. the static aarch64 binary ------------------------------------------------
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
if [ -z "$BIN" ]; then
    say "cross-building smmutrace for arm64 (make ARCH=arm64)"
    make -C "$ROOT" --no-print-directory ARCH=arm64 >"$OUTDIR/build.log" 2>&1 ||
        { tail -n 30 "$OUTDIR/build.log" >&2; die "make ARCH=arm64 failed (log $OUTDIR/build.log)"; }
    BIN=$ROOT/.output/arm64/smmutrace
fi
[ -x "$BIN" ] || die "no aarch64 binary at $BIN"
# a private copy: the suite tests exactly this binary, whatever is rebuilt meanwhile
cp "$BIN" "$OUTDIR/smmutrace.arm64"
BIN=$OUTDIR/smmutrace.arm64
# static aarch64: the initramfs has no libc (readelf: binutils, with gcc)
readelf -h "$BIN" 2>/dev/null | grep -q 'Machine:.*AArch64' ||
    die "$BIN is not an aarch64 executable"
if readelf -l "$BIN" 2>/dev/null | grep -q 'INTERP'; then
    die "$BIN is dynamically linked; the guest needs a static binary"
fi
say "binary: $BIN ($(du -h "$BIN" | cut -f1), static aarch64)"
T_BUILD=$(date +%s)

# one summary row per scenario of a verdict.json (or one FAIL row without it)
verdict_rows() { # kernel release verdict.json label boot-rc
    if [ -s "$3" ]; then
        while IFS=$'\t' read -r scen result notes; do
            ROWS+=("$1"$'\t'"$2"$'\t'"$scen"$'\t'"$result"$'\t'"$notes")
        done < <(python3 -c '
import json, sys
for k, v in json.load(open(sys.argv[1])).items():
    r = v["result"] if v["result"] == "PASS" else "FAIL (%d of %d checks)" % (len(v["failed"]), v["checks"])
    print("%s\t%s\t%s" % (k, r, v["notes"][:90]))' "$3")
    else
        ROWS+=("$1"$'\t'"$2"$'\t'"$4"$'\t'"FAIL"$'\t'"no results: boot.sh exit $5")
    fi
}

# ---- 3. one boot per kernel ---------------------------------------------------------
FAIL=0
ROWS=()
for k in "${KERNELS[@]}"; do
    out=$OUTDIR/$k
    rm -rf "$out"; mkdir -p "$out"
    say "kernel $k: booting with the scenarios (limit ${BOOT_TIMEOUT}s)"
    # sw_timeout with --sync-slot (exact issuer slots) on the kernels in
    # E2E_SYNC_SLOT_KERNELS (default 6.1), without it (issuers matched by
    # prod window) elsewhere: both ways smmutrace finds the issuer get tested
    case " ${E2E_SYNC_SLOT_KERNELS-6.1 6.12-bitmap-v3} " in
        *" $k "*) echo "SW_SYNC_SLOT=1" ;;
        *) echo "SW_SYNC_SLOT=0" ;;
    esac >"$out/e2e.conf"
    tb=$(date +%s)
    brc=0
    "$QEMU_DIR/boot.sh" -k "$(boot_kernel "$k")" --append "$(boot_append "$k")" \
        -s "$HERE/guest/e2e.sh" --add "$out/e2e.conf:/etc/e2e.conf" \
        --add "$HERE/guest/lib.sh:/lib/e2e/lib.sh" --add "$BIN:/bin/smmutrace" \
        -o "$out" -t "$BOOT_TIMEOUT" "${V[@]}" || brc=$?
    te=$(date +%s)
    rel=$(sed -n 's/^kernel=//p' "$out/timing.txt" 2>/dev/null || echo "$k")
    # the kernel's own build config, from its package: what check.py expects
    # of the flavour (fentry needs CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
    for cfg in "${SMMUTRACE_CACHE:-/var/cache/smmutrace}/kernels/$(boot_kernel "$k")/boot/config-"*; do
        [ -f "$cfg" ] && [ -d "$out/results" ] && cp "$cfg" "$out/results/kconfig.txt"
    done
    if [ -s "$out/results/vmlinux.btf" ]; then
        mkdir -p "${SMMUTRACE_CACHE:-/var/cache/smmutrace}/btf"
        cp "$out/results/vmlinux.btf" "${SMMUTRACE_CACHE:-/var/cache/smmutrace}/btf/vmlinux-$rel.btf"
    fi
    # the patched kernel's two boots share a release: name the semantics too
    [ -z "$(boot_append "$k")" ] || rel="$rel ${k##*-}"
    if [ "$brc" != 0 ]; then
        say "kernel $k: boot.sh exit $brc (124 = time limit, 3 = guest died); console: $out/console.log"
    fi
    say "kernel $k ($rel): checking smmutrace's output against the kernel's record ($((te - tb))s)"
    crc=0
    python3 "$HERE/check.py" "$out/results" || crc=$?
    # and the checker itself: broken copies of this run must fail it
    if [ "$crc" = 0 ]; then python3 "$HERE/mutate.py" "$out/results" || crc=$?; fi
    [ "$brc" = 0 ] && [ "$crc" = 0 ] || FAIL=1
    verdict_rows "$k" "$rel" "$out/results/verdict.json" "(all)" "$brc"
    ROWS+=("$k"$'\t'"$rel"$'\t'"(boot)"$'\t'"$([ "$brc" = 0 ] && echo ok || echo "exit $brc")"$'\t'"$((te - tb)) s wall")
    [ "$ATC" = 1 ] || continue
    out=$OUTDIR/$k-atc
    rm -rf "$out"; mkdir -p "$out"
    say "kernel $k: booting the ATC scenarios (ACPI, ATS, fault-injecting SMMU; limit ${BOOT_TIMEOUT}s)"
    tb=$(date +%s); brc=0
    "$QEMU_DIR/boot.sh" -k "$(boot_kernel "$k")" --append "$(boot_append "$k")" \
        -s "$HERE/guest/atc.sh" --acpi --ats --qemu "$ATC_QEMU" \
        --add "$HERE/guest/lib.sh:/lib/e2e/lib.sh" --add "$BIN:/bin/smmutrace" \
        -o "$out" -t "$BOOT_TIMEOUT" "${V[@]}" || brc=$?
    te=$(date +%s)
    [ "$brc" = 0 ] || say "kernel $k: ATC boot exit $brc; console: $out/console.log"
    crc=0
    python3 "$HERE/check_atc.py" "$out/results" || crc=$?
    if [ "$crc" = 0 ]; then python3 "$HERE/mutate.py" --atc "$out/results" || crc=$?; fi
    [ "$brc" = 0 ] && [ "$crc" = 0 ] || FAIL=1
    verdict_rows "$k" "$rel" "$out/results/verdict.json" "(atc)" "$brc"
    ROWS+=("$k"$'\t'"$rel"$'\t'"(atc boot)"$'\t'"$([ "$brc" = 0 ] && echo ok || echo "exit $brc")"$'\t'"$((te - tb)) s wall")
done
T_END=$(date +%s)

# ---- 4. summary table ------------------------------------------------------------------
{
    echo
    echo "smmutrace end-to-end: real arm-smmu-v3 driver under qemu-system-aarch64 -M virt,iommu=smmuv3"
    printf '%-24s %-15s %-26s %s\n' KERNEL SCENARIO RESULT DETAILS
    printf '%-24s %-15s %-26s %s\n' ------------------------ --------------- -------------------------- -------
    for r in "${ROWS[@]}"; do
        IFS=$'\t' read -r _ rel scen result notes <<<"$r"
        printf '%-24s %-15s %-26s %s\n' "$rel" "$scen" "$result" "$notes"
    done
    echo "time: fetch $((T_FETCH - T0)) s, build $((T_BUILD - T_FETCH)) s, boots $((T_END - T_BUILD)) s, total $((T_END - T0)) s"
    echo "results: $OUTDIR/<kernel>/results (NDJSON, dmesg.txt, trace.txt, verdict.json)"
} | tee "$OUTDIR/summary.txt"
if [ "$FAIL" != 0 ]; then
    echo "e2e: FAILED (details above; guest console logs in $OUTDIR/<kernel>/console.log)" >&2
    exit 1
fi
echo "e2e: all scenarios passed on ${KERNELS[*]}"
