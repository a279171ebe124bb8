#!/usr/bin/env bash
# boot.sh - boot a cached arm64 kernel under QEMU (virt + SMMUv3, TCG) with a
# busybox initramfs, a virtio-blk disk behind the SMMU and a results disk;
# collect the guest's results on the host.
#
#   scripts/qemu/boot.sh -k KERNEL (-i INITRD | -s SCENARIO [--add H[:G]]...)
#                        [-o OUTDIR] [-t SECONDS] [--append "ARGS"]
#                        [--disk-mb N] [--smp N] [--mem MB]
#                        [--acpi] [--ats] [--qemu BIN] [-v]
#
#   -k KERNEL     6.1 | 6.12 | <release> | <unpacked kernel dir>
#   -i INITRD     an initramfs from mkinitramfs.sh, or
#   -s SCENARIO   build one now with mkinitramfs.sh (--add/--module passed on)
#   -o OUTDIR     default $CACHE/runs/<release>; gets console.log, results/
#                 (the guest's /results: scenario.log, dmesg.txt, rc, meta.txt
#                 and whatever the scenario put there), timing.txt, disk.img
#   -t SECONDS    hard limit; QEMU is killed after it (default 300). The guest
#                 kills its scenario SECONDS-20 s after boot so results survive.
#   --append A    extra kernel command line
#   --console-results  no results disk: the guest prints its results tar
#                 (gzip+base64) on the serial console instead
#   --acpi        boot through UEFI (Debian's qemu-efi-aarch64, -bios) with
#                 ACPI tables instead of the device tree (acpi=force); the
#                 SMMU is then arm-smmu-v3.0.auto, as on ACPI servers
#   --ats         ATS: the SMMU gets IDR0.ATS (-global arm-smmuv3.ats=on),
#                 the test disk sits behind a pcie-root-port with ats=on, and
#                 two more ATS disks (serials smmutrace-ats0/-ats1,
#                 OUTDIR/ats0.img, ats1.img) are functions 0 and 1 of one
#                 slot behind a second root port: one IOMMU group, so their
#                 ATC invalidations share every batch.  Needs our patched
#                 QEMU (scripts/qemu/build-qemu.sh, built if not cached) and
#                 --acpi for kernels without of_pci_check_device_ats (6.1).
#   --qemu BIN    this qemu-system-aarch64 (default: the one on PATH; with
#                 --ats, the one build-qemu.sh prints)
#   -v            show the serial console live (default: only progress lines)
#
# Machine: qemu-system-aarch64 -M virt,iommu=smmuv3 -cpu cortex-a57 -smp 2
# -m 1024 -nographic -no-reboot -nic none; kernel command line
# "console=ttyAMA0 iommu.strict=1 iomem=relaxed panic=-1 smmutrace_timeout=N";
#   disk 1: virtio-blk-pci, iommu_platform=on, serial smmutrace-test, raw
#           OUTDIR/disk.img (sparse, --disk-mb, default 64): DMA goes through
#           the SMMU (guest /dev/vda normally; $SMMUTRACE_DISK in scenarios)
#   disk 2: virtio-blk-pci, iommu_platform=off, serial smmutrace-results, raw
#           OUTDIR/results.img (zeroed each run): the guest writes a tar archive
#           of /results onto it; DMA bypasses the SMMU so injected SMMU faults
#           cannot damage the results.  Extracted to OUTDIR/results/.
#
# Exit status: the scenario's exit status if the guest finished; 124 if the
# time limit was hit; 3 if the guest died (panic, crash) before finishing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

KERNEL=""; INITRD=""; SCENARIO=""; OUTDIR=""; TMO=300; APPEND=""
DISK_MB=64; SMP=2; MEM=1024; RESDISK=1; ACPI=0; ATS=0; QEMU_BIN=""
MKARGS=()
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -k|--kernel) KERNEL=$2; shift ;;
        -i|--initrd) INITRD=$2; shift ;;
        -s|--scenario) SCENARIO=$2; shift ;;
        --add|--module) MKARGS+=("$1" "$2"); shift ;;
        -o|--outdir) OUTDIR=$2; shift ;;
        -t|--timeout) TMO=$2; shift ;;
        --append) APPEND=$2; shift ;;
        --console-results) RESDISK=0 ;;
        --disk-mb) DISK_MB=$2; shift ;;
        --smp) SMP=$2; shift ;;
        --mem) MEM=$2; shift ;;
        --acpi) ACPI=1 ;;
        --ats) ATS=1 ;;
        --qemu) QEMU_BIN=$2; shift ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[ -n "$KERNEL" ] || { usage >&2; die "-k KERNEL is required"; }
[ -n "$INITRD" ] || [ -n "$SCENARIO" ] || die "need -i INITRD or -s SCENARIO"
if [ -n "$INITRD" ] && [ ${#MKARGS[@]} -gt 0 ]; then die "--add/--module need -s SCENARIO, not -i"; fi
case "$TMO" in ''|*[!0-9]*) die "bad timeout: $TMO" ;; esac
if [ -z "$QEMU_BIN" ] && [ "$ATS" = 1 ]; then
    QEMU_BIN=$("$HERE/build-qemu.sh") || die "cannot build the patched QEMU (scripts/qemu/build-qemu.sh)"
fi
QEMU_BIN=${QEMU_BIN:-qemu-system-aarch64}
need_cmd "$QEMU_BIN" timeout tar
EFI=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
if [ "$ACPI" = 1 ] && [ ! -r "$EFI" ]; then
    die "no $EFI: install qemu-efi-aarch64 (scripts/qemu/build-qemu.sh does)"
fi
KDIR=$(kernel_dir "$KERNEL")
REL=$(kernel_release "$KDIR")
IMAGE=$KDIR/boot/vmlinuz-$REL
[ -r "$IMAGE" ] || die "no kernel image $IMAGE"
[ -n "$OUTDIR" ] || OUTDIR=$CACHE/runs/$REL
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

if [ -z "$INITRD" ]; then
    INITRD=$OUTDIR/initramfs.cpio.gz
    v=(); [ "$VERBOSE" = 1 ] && v=(-v)
    "$HERE/mkinitramfs.sh" -k "$KDIR" -s "$SCENARIO" -o "$INITRD" "${MKARGS[@]}" "${v[@]}"
fi
[ -r "$INITRD" ] || die "cannot read initrd $INITRD"

DISK=$OUTDIR/disk.img
RESIMG=$OUTDIR/results.img
LOG=$OUTDIR/console.log
[ -e "$DISK" ] || truncate -s "${DISK_MB}M" "$DISK"
rm -f "$RESIMG"; truncate -s 64M "$RESIMG"
rm -rf "$OUTDIR/results"; mkdir -p "$OUTDIR/results"
: >"$LOG"

GUEST_TMO=$(( TMO > 60 ? TMO - 20 : TMO * 2 / 3 ))
NDISKS=$(( RESDISK + 1 + 2 * ATS ))
CMDLINE="console=ttyAMA0 iommu.strict=1 iomem=relaxed panic=-1 smmutrace_timeout=$GUEST_TMO smmutrace_disks=$NDISKS"
[ "$ACPI" = 1 ] && CMDLINE="$CMDLINE acpi=force"
CMDLINE="$CMDLINE${APPEND:+ $APPEND}"
BLK=virtio-blk-pci,iommu_platform=on,disable-legacy=on
# shellcheck disable=SC2054
QEMU=("$QEMU_BIN" -M virt,iommu=smmuv3 -cpu cortex-a57 -smp "$SMP" -m "$MEM"
      -nographic -no-reboot -nic none
      -kernel "$IMAGE" -initrd "$INITRD" -append "$CMDLINE"
      -drive "if=none,id=test,file=$DISK,format=raw")
[ "$ACPI" = 1 ] && QEMU+=(-bios "$EFI")
if [ "$ATS" = 1 ]; then
    for i in 0 1; do [ -e "$OUTDIR/ats$i.img" ] || truncate -s 16M "$OUTDIR/ats$i.img"; done
    # shellcheck disable=SC2054
    QEMU+=(-global arm-smmuv3.ats=on
           -device pcie-root-port,id=rp1,chassis=1,slot=1
           -device "$BLK,ats=on,drive=test,bus=rp1,addr=0.0,serial=smmutrace-test"
           -device pcie-root-port,id=rp2,chassis=2,slot=2
           -drive "if=none,id=ats0,file=$OUTDIR/ats0.img,format=raw"
           -device "$BLK,ats=on,drive=ats0,bus=rp2,addr=0.0,multifunction=on,serial=smmutrace-ats0"
           -drive "if=none,id=ats1,file=$OUTDIR/ats1.img,format=raw"
           -device "$BLK,ats=on,drive=ats1,bus=rp2,addr=0.1,serial=smmutrace-ats1")
else
    QEMU+=(-device "$BLK,drive=test,serial=smmutrace-test")
fi
if [ "$RESDISK" = 1 ]; then
    QEMU+=(-drive "if=none,id=res,file=$RESIMG,format=raw"
           -device "virtio-blk-pci,drive=res,disable-legacy=on,serial=smmutrace-results")
fi
printf '%q ' "${QEMU[@]}" >"$OUTDIR/qemu-cmd.txt"; echo >>"$OUTDIR/qemu-cmd.txt"

log "booting $REL$([ "$ACPI" = 1 ] && echo ", ACPI/UEFI")$([ "$ATS" = 1 ] && echo ", ATS") (timeout ${TMO}s, log $LOG)"
T0=$(date +%s.%N)
timeout -k 5 "$TMO" "${QEMU[@]}" </dev/null >>"$LOG" 2>&1 &
QPID=$!
TPID=""
if [ "$VERBOSE" = 1 ]; then tail -n +1 -f --pid="$QPID" "$LOG" & TPID=$!; fi
# timeout(1) forwards the signal to QEMU
trap 'kill "$QPID" 2>/dev/null; exit 130' INT TERM
T_INIT=""
while kill -0 "$QPID" 2>/dev/null; do
    if [ -z "$T_INIT" ] && grep -q '^SMMUTRACE-INIT' "$LOG" 2>/dev/null; then
        T_INIT=$(date +%s.%N)
        vlog "guest init reached"
    fi
    sleep 0.2
done
QRC=0; wait "$QPID" || QRC=$?
trap - INT TERM
if [ -n "$TPID" ]; then wait "$TPID" 2>/dev/null || true; fi
T1=$(date +%s.%N)
el() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
TOTAL=$(el "$T0" "$T1")
[ -n "$T_INIT" ] || { grep -q '^SMMUTRACE-INIT' "$LOG" && T_INIT=$T1; } || true
HOST_INIT=$([ -n "$T_INIT" ] && el "$T0" "$T_INIT" || echo "-")
marker() { tr -d '\r' <"$LOG" | sed -n "s/^$1 .*uptime=\([0-9.]*\).*/\1/p" | tail -n1; }
GUEST_INIT=$(marker SMMUTRACE-INIT); GUEST_DONE=$(marker SMMUTRACE-DONE)

# results: raw tar on the results disk, else the base64 fallback on the console
if [ "$(head -c 512 "$RESIMG" | tr -d '\0' | wc -c)" -gt 0 ]; then
    tar -xf "$RESIMG" -C "$OUTDIR/results" 2>/dev/null || warn "results disk: tar extraction incomplete"
elif grep -q '^SMMUTRACE-RESULTS-BASE64-BEGIN' "$LOG"; then
    tr -d '\r' <"$LOG" | sed -n '/^SMMUTRACE-RESULTS-BASE64-BEGIN/,/^SMMUTRACE-RESULTS-BASE64-END/p' |
        sed '1d;$d' | base64 -d | tar -xz -C "$OUTDIR/results" || warn "console results: decode failed"
fi
chmod 0755 "$OUTDIR/results"
rm -f "$RESIMG"

DONE_RC=$(tr -d '\r' <"$LOG" | sed -n 's/^SMMUTRACE-DONE rc=\([0-9]*\).*/\1/p' | tail -n1)
{
    echo "kernel=$REL"
    echo "host_total_s=$TOTAL"
    echo "host_to_init_s=$HOST_INIT"
    echo "guest_uptime_at_init_s=${GUEST_INIT:--}"
    echo "guest_uptime_at_done_s=${GUEST_DONE:--}"
    echo "qemu_rc=$QRC"
    echo "scenario_rc=${DONE_RC:--}"
} >"$OUTDIR/timing.txt"

if [ -n "$DONE_RC" ]; then
    log "$REL: done, scenario rc=$DONE_RC; boot ${GUEST_INIT:-?}s (guest uptime at init, host ${HOST_INIT}s), total ${TOTAL}s; results in $OUTDIR/results"
    exit "$DONE_RC"
fi
if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
    warn "$REL: time limit ${TMO}s hit, QEMU killed; last console lines:"
    tail -n 15 "$LOG" | sed 's/^/    /' >&2
    exit 124
fi
warn "$REL: guest stopped without finishing (qemu rc=$QRC); last console lines:"
tail -n 25 "$LOG" | sed 's/^/    /' >&2
exit 3
