#!/usr/bin/env bash
# fetch.sh - install the host tools and download the arm64 pieces of the
# emulated SMMUv3 test setup (Debian's stock arm64 kernels under QEMU with
# its emulated SMMUv3) into a cache.
#
#   scripts/qemu/fetch.sh [--refresh] [--no-host] [-v]
#
# Host packages (apt-get install --no-install-recommends): qemu-system-arm,
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, cpio, bpftool, xz-utils, zstd.
#
# arm64 packages are downloaded with a PRIVATE apt configuration (the host's
# dpkg architectures are not touched) into ${SMMUTRACE_CACHE:-/var/cache/smmutrace}:
#   - the bookworm kernel the bookworm linux-image-arm64 metapackage points at
#     (6.1.0-N-arm64; the -unsigned package if it exists),
#   - the bookworm-backports kernel its linux-image-arm64 points at (6.12.x),
#   - busybox-static,
#   - the -dev and library packages needed to link a static aarch64 binary
#     with -lbpf -lelf -lz -lzstd -ljansson -lcap (unpacked into $CACHE/sysroot).
# Everything is unpacked with dpkg -x.  Repeat runs use the cached indexes and
# .debs and download nothing; --refresh re-reads the indexes (newer kernels
# may then be chosen and downloaded).
#
# Environment: SMMUTRACE_CACHE, SMMUTRACE_MIRROR (default
# http://deb.debian.org/debian), SMMUTRACE_SECURITY_MIRROR (default
# http://deb.debian.org/debian-security), SMMUTRACE_DEV_SUITE (default: the
# normal bookworm candidate; e.g. bookworm-backports for newer libbpf).
# Exit codes: 0 ok, 1 other error, 2 mirror unreachable / download failed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

REFRESH=0
HOST=1
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --refresh) REFRESH=1 ;;
        --no-host) HOST=0 ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

MIRROR=${SMMUTRACE_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${SMMUTRACE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
DEV_SUITE=${SMMUTRACE_DEV_SUITE:-}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

HOST_PKGS=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross cpio
           bpftool xz-utils zstd gzip tar coreutils kmod clang)
# libbpf.a needs libelf and zlib; libelf-dev only pulls in libzstd-dev from
# elfutils 0.189 on (bookworm has 0.188), but -lzstd is part of the project's
# link line, so its static library is always provided.
DEV_PKGS=(libbpf-dev libbpf1 libelf-dev libelf1 zlib1g-dev zlib1g
          libzstd-dev libzstd1 libjansson-dev libjansson4 libcap-dev libcap2)

# ------------------------------------------------------- private arm64 apt
setup_private_apt() {
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/preferences.d"
    [ -e "$APTDIR/status" ] || : >"$APTDIR/status"
    local src
    src=$(cat <<EOF
deb [arch=arm64 signed-by=$KEYRING] $MIRROR bookworm main
deb [arch=arm64 signed-by=$KEYRING] $MIRROR bookworm-updates main
deb [arch=arm64 signed-by=$KEYRING] $SECMIRROR bookworm-security main
deb [arch=arm64 signed-by=$KEYRING] $MIRROR bookworm-backports main
EOF
)
    if [ ! -e "$APTDIR/sources.list" ] || [ "$(cat "$APTDIR/sources.list")" != "$src" ]; then
        printf '%s\n' "$src" >"$APTDIR/sources.list"
        REFRESH=1
    fi
    if [ "$REFRESH" = 1 ] || ! compgen -G "$APTDIR/lists/*bookworm-backports*Packages*" >/dev/null; then
        log "updating private arm64 package indexes ($MIRROR, $SECMIRROR)"
        if ! run_quiet apt_private update --error-on=any; then
            die "cannot read the arm64 package indexes from $MIRROR / $SECMIRROR (mirror unreachable?)" 2
        fi
        rm -f "$CACHE/resolved.env"
    fi
}

# resolve the kernel image package behind the linux-image-arm64 metapackage
resolve_kernel() {
    local label=$1 suite_re=$2 excl_re=$3 metaver dep pkg ver
    # shellcheck disable=SC2046
    metaver=$(max_version $(suite_versions linux-image-arm64 "$suite_re" "$excl_re"))
    [ -n "$metaver" ] || die "linux-image-arm64 not found in $label indexes"
    dep=$(apt_cache_private show "linux-image-arm64=$metaver" |
          sed -n 's/^Depends: *//p' | head -n1 | tr ',' '\n' |
          sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n1)
    [ -n "$dep" ] || die "cannot parse Depends of linux-image-arm64=$metaver"
    pkg=$dep
    if [ -n "$(suite_versions "$dep-unsigned" "$suite_re" "$excl_re")" ]; then
        pkg=$dep-unsigned
    fi
    # shellcheck disable=SC2046
    ver=$(max_version $(suite_versions "$pkg" "$suite_re" "$excl_re"))
    [ -n "$ver" ] || die "no version of $pkg in $label"
    printf '%s %s %s\n' "$metaver" "$pkg" "$ver"
}

candidate() { # pkg -> candidate version (optionally from DEV_SUITE)
    local extra=()
    [ -n "$DEV_SUITE" ] && extra=(-o APT::Default-Release="$DEV_SUITE")
    apt_cache_private "${extra[@]}" policy "$1" | sed -n 's/^ *Candidate: *//p' | head -n1
}

# every package of DEV_PKGS has a version in the cached resolution
resolved_covers() {
    local p specs
    specs=$(sed -n 's/^DEV_SPECS=//p' "$CACHE/resolved.env")
    for p in "${DEV_PKGS[@]}"; do
        case " ${specs//\"/} " in *" $p="*) ;; *) return 1 ;; esac
    done
}

resolve_all() {
    local r
    if [ -s "$CACHE/resolved.env" ] && resolved_covers; then
        vlog "using $CACHE/resolved.env"
        return
    fi
    log "resolving package versions"
    local k61 k612
    k61=$(resolve_kernel bookworm 'bookworm(-security|-updates)?/' 'backports')
    k612=$(resolve_kernel bookworm-backports 'bookworm-backports/' '')
    {
        # shellcheck disable=SC2086
        set -- $k61
        echo "META_61_VERSION=$1"; echo "KERNEL_61_PKG=$2"; echo "KERNEL_61_VERSION=$3"
        # shellcheck disable=SC2086
        set -- $k612
        echo "META_612_VERSION=$1"; echo "KERNEL_612_PKG=$2"; echo "KERNEL_612_VERSION=$3"
        r=$(candidate busybox-static)
        if [ -z "$r" ] || [ "$r" = "(none)" ]; then die "busybox-static (arm64) not found"; fi
        echo "BUSYBOX_VERSION=$r"
        local p list=""
        for p in "${DEV_PKGS[@]}"; do
            r=$(candidate "$p")
            if [ -z "$r" ] || [ "$r" = "(none)" ]; then die "$p (arm64) not found"; fi
            list="$list $p=$r"
        done
        echo "DEV_SPECS=\"${list# }\""
    } >"$CACHE/resolved.env.tmp"
    mv "$CACHE/resolved.env.tmp" "$CACHE/resolved.env"
}

unpack_kernel() { # alias pkg ver
    local alias=$1 deb tmp rel stamp
    deb=$(deb_file "$2" "$3")
    stamp=$(basename "$deb")
    if [ -L "$CACHE/kernels/$alias" ] && [ "$(cat "$CACHE/kernels/$alias/.deb" 2>/dev/null)" = "$stamp" ]; then
        vlog "kernel $alias already unpacked"
        return
    fi
    log "unpacking $stamp"
    mkdir -p "$CACHE/kernels"
    tmp=$(mktemp -d "$CACHE/kernels/.unpack.XXXXXX")
    dpkg -x "$deb" "$tmp"
    rel=$(find "$tmp/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
    [ -n "$rel" ] || die "no lib/modules/<release> in $deb"
    [ -e "$tmp/boot/vmlinuz-$rel" ] || die "no boot/vmlinuz-$rel in $deb"
    echo "$stamp" >"$tmp/.deb"
    rm -rf "${CACHE:?}/kernels/$rel"
    mv "$tmp" "$CACHE/kernels/$rel"
    ln -sfn "$rel" "$CACHE/kernels/$alias"
}

unpack_busybox() {
    local deb
    deb=$(deb_file busybox-static "$BUSYBOX_VERSION")
    if [ "$(cat "$CACHE/busybox/.deb" 2>/dev/null)" = "$(basename "$deb")" ]; then return; fi
    log "unpacking $(basename "$deb")"
    rm -rf "$CACHE/busybox"
    dpkg -x "$deb" "$CACHE/busybox"
    [ -x "$CACHE/busybox/bin/busybox" ] || die "no bin/busybox in $deb"
    basename "$deb" >"$CACHE/busybox/.deb"
}

unpack_sysroot() {
    local want="" spec deb
    for spec in $DEV_SPECS; do want="$want $(basename "$(deb_file "${spec%%=*}" "${spec#*=}")")"; done
    if [ "$(cat "$CACHE/sysroot/.debs" 2>/dev/null)" = "$want" ]; then return; fi
    log "unpacking arm64 -dev packages into $CACHE/sysroot"
    # unpacked aside and swapped in: a build using the old sysroot meanwhile
    # sees a whole one, never a half-unpacked one
    local tmp
    tmp=$(mktemp -d "$CACHE/.sysroot.XXXXXX")
    for spec in $DEV_SPECS; do
        deb=$(deb_file "${spec%%=*}" "${spec#*=}")
        dpkg -x "$deb" "$tmp"
    done
    echo "$want" >"$tmp/.debs"
    rm -rf "$CACHE/cross-test" "$CACHE/.sysroot.old"
    [ -d "$CACHE/sysroot" ] && mv "$CACHE/sysroot" "$CACHE/.sysroot.old"
    mv "$tmp" "$CACHE/sysroot"
    rm -rf "$CACHE/.sysroot.old"
}

write_cross_env() {
    local s=$CACHE/sysroot
    cat >"$CACHE/cross.env.tmp" <<EOF
# generated by scripts/qemu/fetch.sh (shell: source it; make: include cross.mk)
CROSS_CC="aarch64-linux-gnu-gcc"
CROSS_SYSROOT="$s"
CROSS_CFLAGS="-I$s/usr/include -I$s/usr/include/aarch64-linux-gnu"
CROSS_LDFLAGS="-static -L$s/usr/lib/aarch64-linux-gnu"
CROSS_LIBS="-lbpf -lelf -lz -lzstd -ljansson"
EOF
    if cmp -s "$CACHE/cross.env.tmp" "$CACHE/cross.env"; then
        rm -f "$CACHE/cross.env.tmp"    # unchanged: keep the mtime for make
        return
    fi
    sed -e 's/^\(CROSS_[A-Z]*\)="\(.*\)"$/\1 := \2/' "$CACHE/cross.env.tmp" >"$CACHE/cross.mk"
    mv "$CACHE/cross.env.tmp" "$CACHE/cross.env"
}

# link a small program that touches every library, once per sysroot
cross_selftest() {
    local t=$CACHE/cross-test
    [ -x "$t/selftest" ] && return 0
    log "cross-link self-test (static aarch64: libbpf libelf zlib zstd jansson argp)"
    mkdir -p "$t"
    cat >"$t/selftest.c" <<'EOF'
#include <argp.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <libelf.h>
#include <zlib.h>
#include <zstd.h>
#include <jansson.h>
static struct argp argp = { 0 };
int main(int argc, char **argv)
{
	json_t *o;
	char *s;

	argp_parse(&argp, argc, argv, 0, 0, 0);
	o = json_pack("{s:s,s:i,s:s,s:I}", "libbpf", libbpf_version_string(),
		      "elf", (int)elf_version(EV_CURRENT), "zlib", zlibVersion(),
		      "zstd", (json_int_t)ZSTD_versionNumber());
	s = json_dumps(o, JSON_COMPACT);
	puts(s);
	return 0;
}
EOF
    # shellcheck disable=SC1091
    . "$CACHE/cross.env"
    # shellcheck disable=SC2086
    run_quiet "$CROSS_CC" -O2 $CROSS_CFLAGS -o "$t/selftest.tmp" "$t/selftest.c" \
        $CROSS_LDFLAGS $CROSS_LIBS || die "static aarch64 link test failed"
    mv "$t/selftest.tmp" "$t/selftest"
}

# ---------------------------------------------------------------------- main
if [ "$HOST" = 1 ]; then install_host_pkgs "${HOST_PKGS[@]}"; fi
need_cmd apt-get apt-cache dpkg dpkg-deb
[ -r "$KEYRING" ] || die "missing $KEYRING (debian-archive-keyring)"
mkdir -p "$CACHE"
setup_private_apt
resolve_all
# shellcheck disable=SC1091
. "$CACHE/resolved.env"

# shellcheck disable=SC2086
download "$KERNEL_61_PKG=$KERNEL_61_VERSION" "$KERNEL_612_PKG=$KERNEL_612_VERSION" \
         "busybox-static=$BUSYBOX_VERSION" $DEV_SPECS
unpack_kernel 6.1 "$KERNEL_61_PKG" "$KERNEL_61_VERSION"
unpack_kernel 6.12 "$KERNEL_612_PKG" "$KERNEL_612_VERSION"
unpack_busybox
unpack_sysroot
write_cross_env
if [ "$HOST" = 1 ] || command -v aarch64-linux-gnu-gcc >/dev/null; then cross_selftest; fi

log "bookworm kernel:  $KERNEL_61_PKG $KERNEL_61_VERSION (linux-image-arm64 $META_61_VERSION) -> $CACHE/kernels/6.1 = $(readlink "$CACHE/kernels/6.1")"
log "backports kernel: $KERNEL_612_PKG $KERNEL_612_VERSION (linux-image-arm64 $META_612_VERSION) -> $CACHE/kernels/6.12 = $(readlink "$CACHE/kernels/6.12")"
log "busybox-static:   $BUSYBOX_VERSION"
log "sysroot:          $DEV_SPECS"
log "cross flags:      $CACHE/cross.env"
