#!/usr/bin/env bash
# build-qemu.sh - build the project's fault-injecting qemu-system-aarch64
# from Debian 12's qemu source package plus our patches (patches/*.patch).
#
#   scripts/qemu/build-qemu.sh [--print] [--keep-build] [-v]
#
# Steps (each skipped when its product is cached):
#   1. host build tools (apt-get install --no-install-recommends): build-essential
#      ninja-build meson libglib2.0-dev libpixman-1-dev libfdt-dev pkg-config
#      flex bison python3-venv dpkg-dev, and qemu-efi-aarch64 (UEFI for the
#      ACPI boots);
#   2. the qemu source package through a PRIVATE apt configuration with
#      deb-src lines for bookworm, bookworm-updates and bookworm-security
#      ($CACHE/apt-src; the host's apt sources are not touched):
#      apt-get source --download-only qemu, then dpkg-source -x;
#   3. our patches applied in name order (patch -p1);
#   4. configure --target-list=aarch64-softmmu --without-default-features
#      --enable-fdt=system, ninja qemu-system-aarch64 (about 7 minutes on
#      2 cores; -j from SMMUTRACE_JOBS, default 2).
# Result: $CACHE/qemu/<source version>-<patch hash>/qemu-system-aarch64,
# where <patch hash> is the first 12 hex digits of the sha256 of the patches.
# Changing a patch builds a new one incrementally in the build tree kept
# per source version ($CACHE/qemu/build-<version>); old binaries stay until
# removed.
#
#   --print       print the path of the binary this tree would use and exit
#                 (0 if built, 1 if not)
#   --source      only fetch and unpack the pristine source; print its directory
#
# Environment: SMMUTRACE_CACHE, SMMUTRACE_MIRROR, SMMUTRACE_SECURITY_MIRROR,
# SMMUTRACE_JOBS.  Exit codes: 0 ok, 1 error, 2 mirror unreachable.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

PRINT=0; SOURCE_ONLY=0
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --print) PRINT=1 ;;
        --source) SOURCE_ONLY=1 ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

MIRROR=${SMMUTRACE_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${SMMUTRACE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
JOBS=${SMMUTRACE_JOBS:-2}
BUILD_PKGS=(build-essential ninja-build meson libglib2.0-dev libpixman-1-dev
            libfdt-dev pkg-config flex bison python3-venv dpkg-dev
            qemu-efi-aarch64 patch xz-utils)
SRCDIR=$CACHE/apt-src

# ------------------------------------------------- private deb-src apt config
APT_OPTS=(
    -o Dir::State::Lists="$SRCDIR/lists"
    -o Dir::State::status="$SRCDIR/status"
    -o Dir::Etc::SourceList="$SRCDIR/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null
    -o Dir::Cache="$SRCDIR/cache"
    -o Acquire::Languages=none
    -o APT::Sandbox::User=root
    -q
)
apt_src() { apt-get "${APT_OPTS[@]}" "$@"; }

setup_src_apt() {
    local src
    mkdir -p "$SRCDIR/lists/partial" "$SRCDIR/cache/archives/partial"
    [ -e "$SRCDIR/status" ] || : >"$SRCDIR/status"
    src=$(cat <<EOS
deb-src [signed-by=$KEYRING] $MIRROR bookworm main
deb-src [signed-by=$KEYRING] $MIRROR bookworm-updates main
deb-src [signed-by=$KEYRING] $SECMIRROR bookworm-security main
EOS
)
    if [ "$(cat "$SRCDIR/sources.list" 2>/dev/null)" != "$src" ]; then
        printf '%s\n' "$src" >"$SRCDIR/sources.list"
        rm -f "$SRCDIR/lists/"*Sources* "$SRCDIR/version"
    fi
    if ! compgen -G "$SRCDIR/lists/*Sources*" >/dev/null; then
        log "reading the bookworm source package indexes ($MIRROR, $SECMIRROR)"
        run_quiet apt_src update --error-on=any >&2 ||
            die "cannot read the source indexes (mirror unreachable?)" 2
    fi
}

# newest qemu source version over the three suites; cached in $SRCDIR/version
# so that repeat runs (and --print) need neither the network nor apt
source_version() {
    if [ ! -s "$SRCDIR/version" ]; then
        setup_src_apt
        apt-cache "${APT_OPTS[@]}" showsrc qemu 2>/dev/null |
            sed -n 's/^Version: *//p' | sort -u |
            while read -r v; do printf '%s\n' "$v"; done >"$SRCDIR/versions.txt"
        local best="" v
        while read -r v; do
            if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
        done <"$SRCDIR/versions.txt"
        [ -n "$best" ] || die "no qemu source package in the bookworm indexes"
        printf '%s\n' "$best" >"$SRCDIR/version"
    fi
    cat "$SRCDIR/version"
}

patch_hash() {
    local p
    for p in "$HERE"/patches/*.patch; do
        [ -e "$p" ] || continue
        printf '%s\n' "$(basename "$p")"; cat "$p"
    done | sha256sum | cut -c1-12
}

fetch_source() { # version -> unpacked source dir
    local ver=$1 dsc dir=$CACHE/qemu/src/qemu-${1#*:}
    if [ -e "$dir/.unpacked" ]; then printf '%s\n' "$dir"; return; fi
    setup_src_apt
    mkdir -p "$CACHE/qemu/src"
    dsc=$CACHE/qemu/src/qemu_${ver#*:}.dsc
    if [ ! -s "$dsc" ]; then
        log "downloading the qemu $ver source package"
        (cd "$CACHE/qemu/src" && run_quiet apt_src source --download-only "qemu=$ver" >&2) ||
            die "cannot download the qemu source package (mirror unreachable?)" 2
    fi
    log "unpacking $(basename "$dsc")"
    rm -rf "$dir"
    run_quiet dpkg-source --no-check -x "$dsc" "$dir" >&2 || die "dpkg-source -x failed"
    : >"$dir/.unpacked"
    printf '%s\n' "$dir"
}

# One build tree per source version ($CACHE/qemu/build-<version>) is kept:
# a new patch set restores the files the previous one touched (copied, so
# their mtime is new and ninja recompiles them), applies the new patches
# and rebuilds only what changed (seconds instead of minutes).
build() { # src key -> binary
    local src=$1 key=$2 b=$CACHE/qemu/build-${VER#*:} out=$CACHE/qemu/$2 p f
    if [ ! -e "$b/.copied" ]; then
        rm -rf "$b"; mkdir -p "$b"
        cp -a "$src/." "$b/src"
        : >"$b/.copied"
    fi
    if [ -s "$b/patched-files" ]; then
        vlog "restoring the files the previous patches touched"
        while read -r f; do cp "$src/$f" "$b/src/$f"; done <"$b/patched-files"
    fi
    : >"$b/patched-files"
    for p in "$HERE"/patches/*.patch; do
        [ -e "$p" ] || continue
        log "applying $(basename "$p")"
        sed -n 's,^+++ [^/]*/\([^\t ]*\).*,\1,p' "$p" >>"$b/patched-files"
        (cd "$b/src" && run_quiet patch -p1 --no-backup-if-mismatch -i "$p" >&2) ||
            die "patch $(basename "$p") does not apply to qemu $VER"
    done
    if [ ! -e "$b/src/build/build.ninja" ]; then
        log "configuring (aarch64-softmmu, minimal features)"
        mkdir -p "$b/src/build"
        (cd "$b/src/build" && run_quiet ../configure --target-list=aarch64-softmmu \
            --without-default-features --enable-fdt=system --disable-docs \
            --disable-werror >&2) || die "configure failed"
    fi
    log "building qemu-system-aarch64 (-j$JOBS; about 7 minutes on 2 cores from scratch)"
    (cd "$b/src/build" && run_quiet ninja -j "$JOBS" qemu-system-aarch64 >&2) ||
        die "build failed"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    cp "$b/src/build/qemu-system-aarch64" "$out.tmp/"
    printf 'source=qemu %s\npatches=%s\n' "$VER" "$key" >"$out.tmp/BUILD-INFO"
    rm -rf "$out"; mv "$out.tmp" "$out"
    printf '%s\n' "$out/qemu-system-aarch64"
}

# ---------------------------------------------------------------------- main
mkdir -p "$CACHE/qemu"
if [ "$PRINT" = 1 ]; then
    [ -s "$SRCDIR/version" ] || { echo "(qemu source version not resolved yet)"; exit 1; }
    bin=$CACHE/qemu/$(cat "$SRCDIR/version" | tr ':' '_')-$(patch_hash)/qemu-system-aarch64
    printf '%s\n' "$bin"
    [ -x "$bin" ]
    exit
fi
VER=$(source_version)
KEY=$(printf '%s' "$VER" | tr ':' '_')-$(patch_hash)
BIN=$CACHE/qemu/$KEY/qemu-system-aarch64
if [ "$SOURCE_ONLY" = 1 ]; then install_host_pkgs "${BUILD_PKGS[@]}"; fetch_source "$VER"; exit; fi
if [ -x "$BIN" ]; then vlog "cached: $BIN"; printf '%s\n' "$BIN"; exit 0; fi
install_host_pkgs "${BUILD_PKGS[@]}"
need_cmd apt-get dpkg-source ninja meson patch
SRC=$(fetch_source "$VER")
build "$SRC" "$KEY"
