# shellcheck shell=bash
# Common helpers for scripts/qemu/*.sh (sourced, not executed).
#
# Cache layout (${SMMUTRACE_CACHE:-/var/cache/smmutrace}):
#   apt/                 private arm64 apt configuration, indexes and archive cache
#   debs/                downloaded arm64 .deb files
#   resolved.env         package names/versions/kernel releases chosen by fetch.sh
#   kernels/<release>/   dpkg -x of each kernel image package (boot/, lib/modules/)
#   kernels/6.1, 6.12    symlinks to the bookworm and bookworm-backports kernels
#   busybox/             dpkg -x of busybox-static (bin/busybox)
#   sysroot/             dpkg -x of the arm64 -dev packages (cross-link target)
#   cross.env            CROSS_* variables for cross-building against sysroot/
#   btf/                 guest /sys/kernel/btf/vmlinux copies (vmlinux-<release>.btf)
#   initramfs/, runs/    build products of mkinitramfs.sh / boot.sh

SMMUTRACE_CACHE=${SMMUTRACE_CACHE:-/var/cache/smmutrace}
CACHE=$SMMUTRACE_CACHE
VERBOSE=${VERBOSE:-0}
_PROG=$(basename "${0:-smmutrace}" .sh)

log()  { printf '[%s] %s\n' "$_PROG" "$*" >&2; }
vlog() { if [ "$VERBOSE" = 1 ]; then log "$@"; fi; return 0; }
warn() { printf '[%s] WARNING: %s\n' "$_PROG" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$_PROG" "$1" >&2; exit "${2:-1}"; }

# Run a command; keep its output in a log file unless VERBOSE=1.  On failure
# show the tail of the output.
run_quiet() {
    local out rc=0
    if [ "$VERBOSE" = 1 ]; then "$@"; return; fi
    out=$(mktemp)
    "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        printf '[%s] command failed (rc=%d): %s\n' "$_PROG" "$rc" "$*" >&2
        tail -n 30 "$out" | sed 's/^/    /' >&2
    fi
    rm -f "$out"
    return "$rc"
}

need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "'$c' not found; run scripts/qemu/fetch.sh first"
    done
}

# Resolve a kernel argument to its unpacked directory.
# Accepts: an alias (6.1, 6.12, bookworm, backports), a kernel release
# (6.1.0-56-arm64) or a directory containing boot/vmlinuz-*.
kernel_dir() {
    local k=$1 d
    case "$k" in
        bookworm) k=6.1 ;;
        backports|bookworm-backports) k=6.12 ;;
    esac
    if [ -d "$k/boot" ]; then d=$k
    elif [ -d "$CACHE/kernels/$k/boot" ]; then d=$CACHE/kernels/$k
    else die "unknown kernel '$1' (not in $CACHE/kernels; run scripts/qemu/fetch.sh)"
    fi
    (cd "$d" && pwd -P)
}

# Kernel release (the lib/modules/<release> name) of an unpacked kernel dir.
kernel_release() {
    local d=$1 r
    r=$(find "$d/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | head -n1)
    [ -n "$r" ] || die "no lib/modules/<release> in $d"
    printf '%s\n' "$r"
}
