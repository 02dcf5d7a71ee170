#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch Debian's source package of QEMU 10.0.x (the newest 10.0 the machine's
# Debian sources offer), verify it and unpack it to $BUILD_DIR/qemu-src.
# apt verifies the Sources index against the Debian archive keyring and the
# .dsc/tarball checksums; dpkg-source re-checks every file against the .dsc.
set -e
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../build}
BUILD_DIR=$(mkdir -p "$BUILD_DIR" && cd "$BUILD_DIR" && pwd)
source "$here/apt-private.sh"

dest="$BUILD_DIR/qemu-src"
stamp="$dest/.qemu-hyperv-unpacked"
if [ -f "$stamp" ]; then
    exit 0
fi

apt_private_init
apt_private_update

version=$(apt_private_cache showsrc qemu 2>/dev/null |
          awk '/^Package: / { p = $2 } /^Version: / && p == "qemu" { print $2 }' |
          grep -E '^1:10\.0\.[0-9]+' | sort -V | tail -n 1)
[ -n "$version" ] ||
    die "the Debian sources configured on this machine offer no QEMU 10.0.x source package (looked in trixie, trixie-updates, trixie-security); set QEMU_SRC=<dir> to an unpacked QEMU 10.0.x tree"
echo ">> qemu: fetching Debian source package qemu $version"

dl="$BUILD_DIR/qemu-dl"
rm -rf "$dl" && mkdir -p "$dl"
(cd "$dl" && apt_private -q -y --download-only source "qemu=$version") > "$dl/apt.log" 2>&1 ||
    { tail -n 20 "$dl/apt.log" >&2; die "downloading qemu=$version failed (log: $dl/apt.log)"; }
dsc=$(ls "$dl"/qemu_*.dsc)
echo ">> qemu: verifying and unpacking $(basename "$dsc")"
rm -rf "$dest.tmp"
dpkg-source --require-strong-checksums -x "$dsc" "$dest.tmp" > "$dl/unpack.log" 2>&1 ||
    { tail -n 20 "$dl/unpack.log" >&2; die "dpkg-source could not verify/unpack $dsc (log: $dl/unpack.log)"; }
echo "$version" > "$dest.tmp/.qemu-hyperv-debian-version"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
touch "$stamp"
echo ">> qemu: source at $dest"
