#!/usr/bin/env bash
# build-kernel.sh - cross-build the arm64 kernel that carries smmutrace's
# implementation of the quarantine series' atc_sync_timeouts bitmap, from
# Debian's linux-source-6.12 (bookworm-backports), for the emulated rig.
#
#   scripts/kernel/build-kernel.sh [-j JOBS] [--keep-tree] [--print-dir] [-v]
#
#   -j JOBS       parallel make jobs (default 2)
#   --keep-tree   keep the unpacked, configured source tree after the build
#                 (in $CACHE/kernel-build/tree-<key>), for incremental work
#   --print-dir   print the kernel directory on stdout when done
#
# Source: the newest linux-source-6.12 in bookworm-backports, through the
# private arm64 apt configuration of scripts/qemu/fetch.sh (run first; it
# also installs the cross compiler).  Patches: scripts/kernel/patches/*.patch
# in order, with no fuzz.  Configuration: `make allnoconfig` with
# scripts/kernel/rig.config as KCONFIG_ALLCONFIG, then `make olddefconfig`;
# a fragment line that does not survive fails the build, naming it.
#
# Output, laid out like an unpacked Debian kernel package so that
# scripts/qemu/boot.sh -k and mkinitramfs.sh take it as they are:
#   $CACHE/kernel-build/<source version>-<key>/boot/{vmlinuz,config,System.map}-<release>
#                                             /lib/modules/<release>/modules.builtin...
#                                             /build-info.txt
#   $CACHE/kernels/6.12-bitmap -> that directory
# <key> hashes the source version, the fragment, the patches, RECIPE below
# and the toolchain's versions: any change builds a new kernel, a repeat
# run with nothing changed takes seconds.
#
# Boot parameter added by the patch: arm_smmu_v3.atc_sync_errno=110 (v2 of
# the series, -ETIMEDOUT, the default) or =5 (v3, -EIO).
#
# Exit codes: 0 ok, 1 build error, 2 mirror unreachable / download failed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QEMU_DIR=$(cd "$HERE/../qemu" && pwd)
# shellcheck source=../qemu/lib.sh
. "$QEMU_DIR/lib.sh"

JOBS=2; KEEP=0; PRINT=0
# bump when the steps below change what is built (not for comments)
RECIPE=1
ALIAS=6.12-bitmap
SOURCE_PKG=linux-source-6.12
SOURCE_SUITE=bookworm-backports/
FRAGMENT=$HERE/rig.config
BUILD_PKGS=(make bc bison flex libelf-dev libssl-dev pahole patch xz-utils kmod
            gcc-aarch64-linux-gnu)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -j) JOBS=$2; shift ;;
        -j*) JOBS=${1#-j} ;;
        --keep-tree) KEEP=1 ;;
        --print-dir) PRINT=1 ;;
        -v|--verbose) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
case "$JOBS" in ''|*[!0-9]*) die "bad -j: $JOBS" ;; esac
mapfile -t PATCHES < <(find "$HERE/patches" -maxdepth 1 -name '*.patch' | LC_ALL=C sort)
[ ${#PATCHES[@]} -gt 0 ] || die "no patches in $HERE/patches"

# ---- 1. tools, the private apt indexes, the source package -------------------
v=(); [ "$VERBOSE" = 1 ] && v=(-v)
rc=0; "$QEMU_DIR/fetch.sh" "${v[@]}" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
install_host_pkgs "${BUILD_PKGS[@]}"

# shellcheck disable=SC2046
SRC_VER=$(max_version $(suite_versions "$SOURCE_PKG" "$SOURCE_SUITE" ''))
[ -n "$SRC_VER" ] || die "$SOURCE_PKG not found in $SOURCE_SUITE (run scripts/qemu/fetch.sh --refresh?)"
download "$SOURCE_PKG=$SRC_VER"
DEB=$(deb_file "$SOURCE_PKG" "$SRC_VER")

# ---- 2. the cache key -----------------------------------------------------------
toolchain() {
    aarch64-linux-gnu-gcc --version | head -n1
    aarch64-linux-gnu-ld --version | head -n1
    pahole --version
}
KEY=$({ echo "$SOURCE_PKG $SRC_VER recipe $RECIPE"; sha256sum "$FRAGMENT" "${PATCHES[@]}" | cut -d' ' -f1
        toolchain; } | sha256sum | cut -c1-12)
OUT=$CACHE/kernel-build/${SRC_VER//[~:+]/_}-$KEY
link_alias() {
    mkdir -p "$CACHE/kernels"
    ln -sfn "../kernel-build/$(basename "$OUT")" "$CACHE/kernels/$ALIAS"
}
if [ -s "$OUT/build-info.txt" ]; then
    link_alias
    log "cached: $CACHE/kernels/$ALIAS -> $OUT ($(sed -n 's/^release=//p' "$OUT/build-info.txt"))"
    if [ "$PRINT" = 1 ]; then echo "$OUT"; fi
    exit 0
fi

# ---- 3. unpack, patch, configure ---------------------------------------------------
T0=$(date +%s)
mkdir -p "$CACHE/kernel-build"
TREE=$CACHE/kernel-build/tree-$KEY
rm -rf "$TREE"
mkdir -p "$TREE/obj"
[ "$KEEP" = 1 ] || trap 'rm -rf "$TREE"' EXIT
log "unpacking $(basename "$DEB")"
dpkg-deb --fsys-tarfile "$DEB" | tar -xO "./usr/src/$SOURCE_PKG.tar.xz" | tar -xJ -C "$TREE" ||
    die "cannot unpack $DEB"
SRC=$TREE/$SOURCE_PKG
[ -f "$SRC/Makefile" ] || die "no $SOURCE_PKG/Makefile in $DEB"
for p in "${PATCHES[@]}"; do
    log "applying $(basename "$p")"
    run_quiet patch -d "$SRC" -p1 --fuzz=0 -i "$p" ||
        die "$(basename "$p") does not apply to $SOURCE_PKG $SRC_VER"
done

# reproducible: no host name, user or time in the image
export KBUILD_BUILD_TIMESTAMP="$SOURCE_PKG $SRC_VER" KBUILD_BUILD_USER=smmutrace
export KBUILD_BUILD_HOST=smmutrace
KMAKE=(make -C "$SRC" O="$TREE/obj" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
run_quiet "${KMAKE[@]}" KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig ||
    die "make allnoconfig with $FRAGMENT failed"
run_quiet "${KMAKE[@]}" olddefconfig || die "make olddefconfig failed"
lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$FRAGMENT" | while IFS= read -r l; do
           grep -qxF "$l" "$TREE/obj/.config" || printf ' %s' "$l"; done)
[ -z "$lost" ] || die "the configuration dropped (unmet dependencies):$lost"
T1=$(date +%s)

# ---- 4. build and lay out -------------------------------------------------------------
log "building (make -j$JOBS Image modules; about 7 min on 2 cores)"
run_quiet "${KMAKE[@]}" -j"$JOBS" Image modules || die "kernel build failed"
REL=$("${KMAKE[@]}" -s kernelrelease)
T2=$(date +%s)
STAGE=$CACHE/kernel-build/.stage-$KEY
rm -rf "$STAGE"
mkdir -p "$STAGE/boot"
cp "$TREE/obj/arch/arm64/boot/Image" "$STAGE/boot/vmlinuz-$REL"
cp "$TREE/obj/.config" "$STAGE/boot/config-$REL"
cp "$TREE/obj/System.map" "$STAGE/boot/System.map-$REL"
run_quiet "${KMAKE[@]}" INSTALL_MOD_PATH="$STAGE" modules_install || die "modules_install failed"
# nothing is modular: mkinitramfs.sh still looks for module files under kernel/
mkdir -p "$STAGE/lib/modules/$REL/kernel"
rm -f "$STAGE/lib/modules/$REL/build" "$STAGE/lib/modules/$REL/source"
{
    echo "release=$REL"
    echo "source=$SOURCE_PKG $SRC_VER"
    echo "key=$KEY"
    echo "recipe=$RECIPE"
    for p in "${PATCHES[@]}"; do echo "patch=$(basename "$p") $(sha256sum "$p" | cut -c1-16)"; done
    echo "fragment=$(basename "$FRAGMENT") $(sha256sum "$FRAGMENT" | cut -c1-16)"
    toolchain | sed 's/^/toolchain=/'
    echo "jobs=$JOBS"
    echo "unpack_config_s=$((T1 - T0))"
    echo "build_s=$((T2 - T1))"
    echo "total_s=$(($(date +%s) - T0))"
} >"$STAGE/build-info.txt"
rm -rf "$OUT"
mv "$STAGE" "$OUT"
link_alias
log "built $REL in $(($(date +%s) - T0)) s: $CACHE/kernels/$ALIAS -> $OUT"
if [ "$PRINT" = 1 ]; then echo "$OUT"; fi
