# shellcheck shell=bash
# Common helpers for scripts/qemu/*.sh (sourced, not executed).
#
# Cache layout (${SMMUTRACE_CACHE:-/var/cache/smmutrace}):
#   apt/                 private arm64 apt configuration, indexes and archive cache
#   debs/                downloaded arm64 .deb files
#   resolved.env         package names/versions/kernel releases chosen by fetch.sh
#   kernels/<release>/   dpkg -x of each kernel image package (boot/, lib/modules/)
#   kernels/6.1, 6.12    symlinks to the bookworm and bookworm-backports kernels
#   kernels/6.12-bitmap  symlink to the patched kernel scripts/kernel/build-kernel.sh
#                        built last (kernel-build/<source version>-<key>/)
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

# ---- host packages ---------------------------------------------------------
host_missing() {
    local p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$st" = "install ok installed" ] || printf '%s\n' "$p"
    done
}

# apt-get install what is missing (root); apt's output goes to stderr, for
# the scripts whose stdout carries a result (build-qemu.sh: the binary's path)
install_host_pkgs() { # pkg...
    local missing
    mapfile -t missing < <(host_missing "$@")
    if [ ${#missing[@]} -eq 0 ]; then
        vlog "host packages present"
        return
    fi
    [ "$(id -u)" = 0 ] || die "need root to install host packages: ${missing[*]}"
    log "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! run_quiet apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
        log "apt-get install failed; running apt-get update and retrying"
        run_quiet apt-get update -q --error-on=any >&2 ||
            die "apt-get update failed: is the Debian mirror reachable?" 2
        run_quiet apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
            die "cannot install host packages: ${missing[*]}" 2
    fi
}

# ---- the private arm64 apt configuration (set up by fetch.sh) -------------
APTDIR=$CACHE/apt
APT_OPTS=(
    -o APT::Architecture=arm64
    -o APT::Architectures=arm64
    -o Dir::State::Lists="$APTDIR/lists"
    -o Dir::State::status="$APTDIR/status"
    -o Dir::State::extended_states="$APTDIR/extended_states"
    -o Dir::Etc::SourceList="$APTDIR/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts="$APTDIR/preferences.d"
    -o Dir::Cache="$APTDIR/cache"
    -o Acquire::Languages=none
    -o APT::Sandbox::User=root
    -q
)
apt_private()       { apt-get "${APT_OPTS[@]}" "$@"; }
apt_cache_private() { apt-cache "${APT_OPTS[@]}" "$@"; }

# version-sorted max via dpkg semantics
max_version() {
    local best="" v
    for v in "$@"; do
        if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done
    printf '%s\n' "$best"
}

suite_versions() { # pkg suite-regex exclude-regex -> versions
    apt_cache_private madison "$1" 2>/dev/null |
        awk -F'|' '{v=$2; gsub(/ /,"",v); print v "\t" $3}' |
        grep -E "$2" | { if [ -n "${3:-}" ]; then grep -Ev "$3"; else cat; fi; } | cut -f1
}

deb_file() { # pkg ver -> path of the .deb apt-get download writes (arm64 or all)
    local base=$CACHE/debs/$1_${2//:/%3a}
    if [ -e "${base}_all.deb" ]; then printf '%s_all.deb\n' "$base"
    else printf '%s_arm64.deb\n' "$base"; fi
}

download() { # pkg=ver ...
    local spec need=()
    for spec in "$@"; do
        [ -s "$(deb_file "${spec%%=*}" "${spec#*=}")" ] || need+=("$spec")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    log "downloading: ${need[*]}"
    mkdir -p "$CACHE/debs"
    (cd "$CACHE/debs" && run_quiet apt_private download "${need[@]}") ||
        die "download failed (mirror unreachable?): ${need[*]}" 2
    for spec in "${need[@]}"; do
        [ -s "$(deb_file "${spec%%=*}" "${spec#*=}")" ] ||
            die "expected $(deb_file "${spec%%=*}" "${spec#*=}") after download"
    done
}
