#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build stock qemu-system-x86_64: the very source build-qemu.sh patches
# (Debian's qemu 10.0.x, or $QEMU_SRC), without the series, configured with
# the same options (qemu-configure-opts.sh).  It is the oracle of the KVM
# differential tests (tests-kvm/, docs/kvm-differential.md).
#
#   stock tree       : build/stock/qemu        (rsync of the pristine tree)
#   build directory  : build/stock/qemu-build
#
# The two directories sit side by side like build/qemu and build/qemu-build,
# so every compiler command line is the same as the patched build's once
# ccache has made its paths relative to the checkout: the files the series
# does not touch are ccache hits.  Each step is skipped when its inputs did
# not change; a second run only asks ninja, which has nothing to do.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export BUILD_DIR
source "$here/apt-private.sh"

# Its own lock: it may build while the patched tree is being built
if [ -z "$QEMU_HYPERV_STOCK_LOCKED" ]; then
    export QEMU_HYPERV_STOCK_LOCKED=1
    exec flock "$BUILD_DIR/.build-stock.lock" bash "$0" "$@"
fi

work="$BUILD_DIR/stock/qemu"
bdir="$BUILD_DIR/stock/qemu-build"
step() { echo ">> $*"; }

bash "$here/install-deps.sh"

# 1. The pristine tree, as build-qemu.sh finds it.
if [ -n "$QEMU_SRC" ]; then
    pristine=$(cd "$QEMU_SRC" 2>/dev/null && pwd) ||
        die "QEMU_SRC=$QEMU_SRC is not a directory"
else
    bash "$here/fetch-qemu.sh"
    pristine="$BUILD_DIR/qemu-src"
fi
qemu_version=$(cat "$pristine/VERSION")
case "$qemu_version" in
10.0.*) ;;
*) die "QEMU $qemu_version in $pristine: the stock oracle must be the 10.0.x source the series applies to" ;;
esac

# 2. A copy of it.  Its identity: where it came from and its version.
src_id=$(echo "$pristine $qemu_version $(cat "$pristine/.qemu-hyperv-debian-version" 2>/dev/null)" |
         sha256sum | cut -d' ' -f1)
stamp="$work/.qemu-hyperv-stock"
if [ "$(cat "$stamp" 2>/dev/null)" != "$src_id" ]; then
    step "qemu (stock): copying $pristine to $work (QEMU $qemu_version, no patches)"
    mkdir -p "$work"
    rm -f "$stamp"
    rsync -a --delete --exclude=/.qemu-hyperv-stock "$pristine/" "$work/"
    echo "$src_id" > "$stamp"
fi

# 3. Configure with the patched build's options.
source "$here/qemu-configure-opts.sh"
opts_id=$(echo "$work ${configure_opts[*]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.qemu-hyperv-configured" 2>/dev/null)" != "$opts_id" ]; then
    step "qemu (stock): configuring $bdir"
    rm -rf "$bdir"
    mkdir -p "$bdir"
    (cd "$bdir" && "$work/configure" "${configure_opts[@]}") > "$BUILD_DIR/stock/configure.log" 2>&1 ||
        { tail -n 25 "$BUILD_DIR/stock/configure.log" >&2; die "stock QEMU configure failed (log: $BUILD_DIR/stock/configure.log)"; }
    echo "$opts_id" > "$bdir/.qemu-hyperv-configured"
fi

# 4. Build.
if ! ninja -C "$bdir" -n qemu-system-x86_64 2>/dev/null | grep -q '^ninja: no work to do'; then
    step "qemu (stock): building qemu-system-x86_64 (log: $BUILD_DIR/stock/ninja.log)"
fi
ninja -C "$bdir" qemu-system-x86_64 > "$BUILD_DIR/stock/ninja.log" 2>&1 ||
    { grep -E -A12 'error:|FAILED' "$BUILD_DIR/stock/ninja.log" | head -n 60 >&2; die "stock QEMU build failed (log: $BUILD_DIR/stock/ninja.log)"; }

# Firmware as build-qemu.sh provides it: option ROMs built from this
# source, SeaBIOS from Debian, all linked into the data directory a QEMU
# in its build tree reads (<build>/qemu-bundle)
if [ -f "$bdir/pc-bios/optionrom/config.mak" ]; then
    make -s -C "$bdir/pc-bios/optionrom" > "$BUILD_DIR/stock/optionrom.log" 2>&1 ||
        { tail -n 20 "$BUILD_DIR/stock/optionrom.log" >&2; die "building the stock option ROMs failed (log: $BUILD_DIR/stock/optionrom.log)"; }
fi
for f in /usr/share/seabios/*.bin; do
    [ -e "$bdir/pc-bios/$(basename "$f")" ] || ln -sf "$f" "$bdir/pc-bios/$(basename "$f")"
done
for f in "$bdir"/pc-bios/optionrom/*.bin; do
    [ -e "$f" ] && ln -sf "optionrom/$(basename "$f")" "$bdir/pc-bios/$(basename "$f")"
done
datadir=$(sed -n 's/^#define CONFIG_QEMU_DATADIR "\(.*\)"$/\1/p' "$bdir/config-host.h")
mkdir -p "$bdir/qemu-bundle$datadir"
for f in "$bdir"/pc-bios/*.bin /usr/lib/ipxe/qemu/*.rom; do
    if [ -e "$f" ]; then
        ln -sfn "$(readlink -f "$f")" "$bdir/qemu-bundle$datadir/$(basename "$f")"
    fi
done
echo "$bdir/qemu-system-x86_64"
