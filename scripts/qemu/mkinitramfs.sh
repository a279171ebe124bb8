#!/usr/bin/env bash
# mkinitramfs.sh - build a busybox initramfs (newc cpio, gzip) for one of the
# cached arm64 kernels, with a guest workload ("scenario") baked in.
#
#   scripts/qemu/mkinitramfs.sh -k KERNEL [-s SCENARIO] [-o OUT.cpio.gz]
#                               [--add HOST[:GUEST]]... [--module NAME]... [-v]
#
#   -k KERNEL     6.1 | 6.12 | <release> | <unpacked kernel dir>   (required)
#   -s SCENARIO   shell script run by the guest as its workload (busybox sh);
#                 without it the guest only prints a system summary
#   -o OUT        output file (default $CACHE/initramfs/<release>.cpio.gz)
#   --add H[:G]   copy host file/dir H to guest path G (default /bin/<name>);
#                 repeatable (e.g. the cross-built static smmutrace binary)
#   --module M    also include kernel module M (+ its dependencies)
#
# Contents: /bin/busybox (applet symlinks are created at boot with
# `busybox --install -s`), the modules the virtio-blk disks need on that
# kernel (virtio_pci, virtio_blk and dependencies, only those that are =m,
# decompressed, with a depmod-generated modules.dep), /init, /scenario.sh.
#
# Guest protocol (what /init does, see the generated file for details):
#   mount proc, sysfs, devtmpfs, debugfs, tracefs, bpffs; insmod modules in
#   dependency order; find the disks by virtio serial: "smmutrace-test"
#   (the disk behind the SMMU, exported as $SMMUTRACE_DISK) and
#   "smmutrace-results" (the results disk); run /scenario.sh with
#   SMMUTRACE_RESULTS=/results (a tmpfs directory; put files there) under a
#   guest-side timeout (smmutrace_timeout=N on the kernel command line),
#   its output goes to the console and to /results/scenario.log; then
#   /results also gets dmesg.txt, rc, meta.txt; it is written as a plain tar
#   archive onto the raw results disk (raw tar at offset 0, zero padded) and
#   synced; without a results disk the tar is printed, gzip+base64, between
#   "SMMUTRACE-RESULTS-BASE64-BEGIN/END" lines.  The console shows
#   "SMMUTRACE-INIT", "SMMUTRACE-SCENARIO-BEGIN", "SMMUTRACE-SCENARIO-END rc=N"
#   and "SMMUTRACE-DONE rc=N" markers; then `poweroff -f`.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

KERNEL=""
SCENARIO=""
OUT=""
ADDS=()
MODULES=(virtio_pci virtio_blk)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -k|--kernel) KERNEL=$2; shift ;;
        -s|--scenario) SCENARIO=$2; shift ;;
        -o|--output) OUT=$2; shift ;;
        --add) ADDS+=("$2"); shift ;;
        --module) MODULES+=("$2"); shift ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[ -n "$KERNEL" ] || { usage >&2; die "-k KERNEL is required"; }
need_cmd cpio gzip depmod modinfo xz zstd
KDIR=$(kernel_dir "$KERNEL")
REL=$(kernel_release "$KDIR")
MODDIR=$KDIR/lib/modules/$REL
BUSYBOX=$CACHE/busybox/bin/busybox
[ -x "$BUSYBOX" ] || die "no $BUSYBOX; run scripts/qemu/fetch.sh"
if [ -n "$SCENARIO" ]; then [ -r "$SCENARIO" ] || die "cannot read scenario $SCENARIO"; fi
[ -n "$OUT" ] || OUT=$CACHE/initramfs/$REL.cpio.gz
mkdir -p "$(dirname "$OUT")"

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,mnt,results,etc,root,lib/modules/"$REL"}
cp "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"

# ------------------------------------------------------------------ modules
norm() { printf '%s\n' "${1//-/_}"; }
declare -A MODPATH=() SEEN=() BUILTIN=()
while read -r p; do
    b=${p##*/}; b=${b%%.ko*}; b=${b//-/_}
    MODPATH[$b]=$p
done < <(cd "$MODDIR" && find kernel -name '*.ko*' -type f)
while read -r p; do
    b=${p##*/}; b=${b%%.ko*}; b=${b//-/_}
    BUILTIN[$b]=1
done <"$MODDIR/modules.builtin"

LOAD=()
add_module() {
    local m dep deps
    m=$(norm "$1")
    [ -n "${SEEN[$m]:-}" ] && return 0
    SEEN[$m]=1
    if [ -n "${BUILTIN[$m]:-}" ]; then vlog "module $m is built in"; return 0; fi
    [ -n "${MODPATH[$m]:-}" ] || die "module $m not found for $REL"
    deps=$(modinfo -F depends "$MODDIR/${MODPATH[$m]}")
    for dep in ${deps//,/ }; do add_module "$dep"; done
    LOAD+=("$m")
}
for m in "${MODULES[@]}"; do add_module "$m"; done
: >"$ROOT/etc/modules.load"
for m in "${LOAD[@]}"; do
    src=$MODDIR/${MODPATH[$m]}
    rel_ko=${MODPATH[$m]%%.ko*}.ko
    mkdir -p "$(dirname "$ROOT/lib/modules/$REL/$rel_ko")"
    case "$src" in
        *.ko) cp "$src" "$ROOT/lib/modules/$REL/$rel_ko" ;;
        *.ko.xz) xz -dc "$src" >"$ROOT/lib/modules/$REL/$rel_ko" ;;
        *.ko.zst) zstd -qdc "$src" >"$ROOT/lib/modules/$REL/$rel_ko" ;;
        *.ko.gz) gzip -dc "$src" >"$ROOT/lib/modules/$REL/$rel_ko" ;;
        *) die "unknown module compression: $src" ;;
    esac
    echo "$rel_ko" >>"$ROOT/etc/modules.load"
done
cp "$MODDIR/modules.builtin" "$ROOT/lib/modules/$REL/"
[ -e "$MODDIR/modules.builtin.modinfo" ] && cp "$MODDIR/modules.builtin.modinfo" "$ROOT/lib/modules/$REL/"
cp "$ROOT/etc/modules.load" "$ROOT/lib/modules/$REL/modules.order"
depmod -b "$ROOT" "$REL" || die "depmod failed for $REL"
log "kernel $REL: modules to load: ${LOAD[*]:-(none, all built in)}"

# -------------------------------------------------------------- extra files
for a in "${ADDS[@]}"; do
    h=${a%%:*}
    if [ "$h" = "$a" ]; then g=/bin/$(basename "$h"); else g=${a#*:}; fi
    [ -e "$h" ] || die "--add: no such file: $h"
    case "$g" in /*) ;; *) die "--add: guest path must be absolute: $g" ;; esac
    mkdir -p "$ROOT$(dirname "$g")"
    cp -a "$h" "$ROOT$g"
    vlog "added $h -> $g"
done

if [ -n "$SCENARIO" ]; then
    cp "$SCENARIO" "$ROOT/scenario.sh"
else
    cat >"$ROOT/scenario.sh" <<'EOF'
#!/bin/sh
# default scenario: system summary
uname -a; cat /proc/cmdline; ls -l /dev/vd* 2>/dev/null; lsmod
EOF
fi
chmod 0755 "$ROOT/scenario.sh"

# --------------------------------------------------------------------- init
cat >"$ROOT/init" <<'EOF'
#!/bin/busybox sh
# smmutrace guest init (generated by scripts/qemu/mkinitramfs.sh)
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t tmpfs -o size=256m tmpfs /results
exec </dev/console >/dev/console 2>&1
echo "SMMUTRACE-INIT kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"

TIMEOUT=0; NDISKS=0
for a in $(cat /proc/cmdline); do
    case "$a" in
        smmutrace_timeout=*) TIMEOUT=${a#*=} ;;
        smmutrace_disks=*) NDISKS=${a#*=} ;;
    esac
done

KREL=$(uname -r)
while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$KREL/$m" || echo "SMMUTRACE-WARN insmod $m failed"
done </etc/modules.load

# wait (up to 10 s) for the virtio disks to show up
find_disk() {
    for s in /sys/block/vd*/serial; do
        [ -r "$s" ] || continue
        if [ "$(cat "$s")" = "$1" ]; then d=${s%/serial}; echo "/dev/${d##*/}"; return 0; fi
    done
    return 1
}
i=0
while [ $i -lt 100 ]; do
    if find_disk smmutrace-test >/dev/null && find_disk smmutrace-results >/dev/null &&
        [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -ge "$NDISKS" ]; then break; fi
    i=$((i+1)); sleep 0.1
done
export SMMUTRACE_DISK=$(find_disk smmutrace-test || true)
RESDISK=$(find_disk smmutrace-results || true)
export SMMUTRACE_RESULTS=/results SMMUTRACE_KREL=$KREL
echo "SMMUTRACE-DISKS test=${SMMUTRACE_DISK:-none} results=${RESDISK:-none} uptime=$(cut -d' ' -f1 /proc/uptime)"

echo "SMMUTRACE-SCENARIO-BEGIN uptime=$(cut -d' ' -f1 /proc/uptime)"
# The scenario runs in its own session/process group, so that on timeout or
# when it exits, everything it started can be killed (nothing left holding
# the output pipe).  Output: console + /results/scenario.log via tee.
mkfifo /tmp/scenario.out
tee /results/scenario.log </tmp/scenario.out &
TEE=$!
setsid sh -c 'exec sh /scenario.sh' >/tmp/scenario.out 2>&1 </dev/null &
SPID=$!
WD=""
if [ "$TIMEOUT" -gt 0 ] 2>/dev/null; then
    ( sleep "$TIMEOUT"; echo "SMMUTRACE-TIMEOUT scenario killed after ${TIMEOUT}s"; kill -KILL -"$SPID" ) &
    WD=$!
fi
wait "$SPID"
RC=$?
[ -n "$WD" ] && kill "$WD" 2>/dev/null
kill -KILL -"$SPID" 2>/dev/null
wait "$TEE"
echo "SMMUTRACE-SCENARIO-END rc=$RC uptime=$(cut -d' ' -f1 /proc/uptime)"

dmesg >/results/dmesg.txt
echo "$RC" >/results/rc
{
    echo "kernel=$KREL"; echo "uptime=$(cut -d' ' -f1 /proc/uptime)"
    echo "cmdline=$(cat /proc/cmdline)"; echo "nproc=$(nproc)"
} >/results/meta.txt
if [ -n "$RESDISK" ]; then
    tar -c -f "$RESDISK" -C /results . && sync &&
        echo "SMMUTRACE-RESULTS-WRITTEN disk=$RESDISK" ||
        echo "SMMUTRACE-WARN writing results to $RESDISK failed"
else
    echo "SMMUTRACE-RESULTS-BASE64-BEGIN"
    tar -c -C /results . | gzip -c | base64
    echo "SMMUTRACE-RESULTS-BASE64-END"
fi
echo "SMMUTRACE-DONE rc=$RC uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
EOF
chmod 0755 "$ROOT/init"

# ---------------------------------------------------------------- archive
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT ($(du -h "$OUT" | cut -f1))"
