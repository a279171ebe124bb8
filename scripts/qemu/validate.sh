#!/usr/bin/env bash
# validate.sh - boot every cached kernel with scenarios/validate.sh and report
# the facts the smmutrace design depends on (kallsyms, BTF, kprobes, BPF,
# printk:console, injected faults, timings).
#
#   scripts/qemu/validate.sh [-k KERNEL]... [-t SECONDS] [-v]
#
#   -k KERNEL   kernel(s) to test (default: 6.1 and 6.12)
#   -t SECONDS  per-boot time limit (default 300)
#
# Needs scripts/qemu/fetch.sh to have run (it is called, cheap when cached).
# Per kernel: results in $CACHE/runs/validate-<release>/ (console.log,
# results/facts.txt, results/dmesg-faults.txt, ...), the guest's
# /sys/kernel/btf/vmlinux saved as $CACHE/btf/vmlinux-<release>.btf.
# The summary is printed and saved as $CACHE/runs/validate-summary.txt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

KERNELS=(); TMO=300
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -k|--kernel) KERNELS+=("$2"); shift ;;
        -t|--timeout) TMO=$2; shift ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=(6.1 6.12)
V=(); [ "$VERBOSE" = 1 ] && V=(-v)

"$HERE/fetch.sh" "${V[@]}"
need_cmd bpftool aarch64-linux-gnu-gcc clang
# shellcheck disable=SC1091
. "$CACHE/cross.env"

# cross-build the guest helper (static aarch64)
BPFCHECK=$CACHE/guest/bpfcheck
SRC=$HERE/guest/bpfcheck.c
if [ ! -x "$BPFCHECK" ] || [ "$SRC" -nt "$BPFCHECK" ] || [ "$CACHE/cross.env" -nt "$BPFCHECK" ]; then
    log "cross-building $BPFCHECK"
    mkdir -p "$(dirname "$BPFCHECK")"
    # shellcheck disable=SC2086
    run_quiet "$CROSS_CC" -O2 -Wall $CROSS_CFLAGS -o "$BPFCHECK.tmp" "$SRC" \
        $CROSS_LDFLAGS $CROSS_LIBS || die "cannot build bpfcheck"
    mv "$BPFCHECK.tmp" "$BPFCHECK"
fi

# CO-RE smoke objects, against the committed arm64 vmlinux.h (falls back to a
# header generated from the cached 6.12 BTF if the repo has none yet)
VMLINUX_H_DIR=$HERE/../../vmlinux/arm64
if [ ! -r "$VMLINUX_H_DIR/vmlinux.h" ]; then
    VMLINUX_H_DIR=$CACHE/guest/vmlinux-arm64
    if [ ! -r "$VMLINUX_H_DIR/vmlinux.h" ]; then
        f=$(find "$CACHE/btf" -name 'vmlinux-6.12*.btf' 2>/dev/null | head -n1)
        if [ -n "$f" ]; then
            mkdir -p "$VMLINUX_H_DIR"
            bpftool btf dump file "$f" format c >"$VMLINUX_H_DIR/vmlinux.h"
        fi
    fi
fi
ADDS=(--add "$BPFCHECK:/bin/bpfcheck")
if [ -r "$VMLINUX_H_DIR/vmlinux.h" ]; then
    for v in "" features features-first; do
        o=$CACHE/guest/corecheck${v:+-$v}.bpf.o
        case "$v" in
            features) def=-DREAD_FEATURES ;;
            features-first) def=-DREAD_FEATURES_FIRST ;;
            *) def=-DPLAIN ;;
        esac
        if [ ! -e "$o" ] || [ "$HERE/guest/corecheck.bpf.c" -nt "$o" ] || [ "$VMLINUX_H_DIR/vmlinux.h" -nt "$o" ]; then
            run_quiet clang -O2 -g -target bpf -D__TARGET_ARCH_arm64 "$def" \
                -I"$VMLINUX_H_DIR" -I"$CROSS_SYSROOT/usr/include" \
                -c "$HERE/guest/corecheck.bpf.c" -o "$o" || die "cannot build $o"
        fi
        ADDS+=(--add "$o:/lib/smmutrace/$(basename "$o")")
    done
else
    warn "no arm64 vmlinux.h yet: CO-RE checks skipped (run scripts/gen-vmlinux.sh, then again)"
fi

SUMMARY=$CACHE/runs/validate-summary.txt
mkdir -p "$CACHE/runs" "$CACHE/btf"
: >"$SUMMARY.tmp"
FAIL=0
T_ALL0=$(date +%s)
for k in "${KERNELS[@]}"; do
    KDIR=$(kernel_dir "$k")
    REL=$(kernel_release "$KDIR")
    OUT=$CACHE/runs/validate-$REL
    rc=0
    "$HERE/boot.sh" -k "$KDIR" -s "$HERE/scenarios/validate.sh" \
        "${ADDS[@]}" -o "$OUT" -t "$TMO" "${V[@]}" || rc=$?
    {
        echo "===== $REL (boot.sh rc=$rc)"
        sed 's/^/timing: /' "$OUT/timing.txt" 2>/dev/null || true
        if [ -s "$OUT/results/vmlinux.btf" ]; then
            cp "$OUT/results/vmlinux.btf" "$CACHE/btf/vmlinux-$REL.btf"
            echo "btf: saved $CACHE/btf/vmlinux-$REL.btf ($(wc -c <"$CACHE/btf/vmlinux-$REL.btf") bytes)"
            raw=$(bpftool btf dump file "$CACHE/btf/vmlinux-$REL.btf" format raw)
            for t in arm_smmu_device arm_smmu_domain arm_smmu_cmdq arm_smmu_master arm_smmu_stream; do
                # several lines when SMMUv2 (CONFIG_ARM_SMMU=y) has a same-named struct
                line=$(grep -E "^\[[0-9]+\] STRUCT '$t' " <<<"$raw" | sed 's/ *$//' | paste -sd';' - || true)
                echo "btf (host bpftool): struct $t: ${line:-ABSENT}"
            done
        else
            echo "btf: NOT COPIED"
        fi
        cat "$OUT/results/facts.txt" 2>/dev/null || echo "(no facts: guest did not finish)"
        echo "dmesg after the fault phases:"
        sed -e 's/^/    /' "$OUT/results/dmesg-faults.txt" 2>/dev/null || true
    } >>"$SUMMARY.tmp"
    [ "$rc" = 0 ] || FAIL=1
done
echo "===== total wall time $(( $(date +%s) - T_ALL0 ))s for ${KERNELS[*]}" >>"$SUMMARY.tmp"
mv "$SUMMARY.tmp" "$SUMMARY"
if [ "$VERBOSE" = 1 ]; then cat "$SUMMARY"; fi
log "summary: $SUMMARY"
exit "$FAIL"
