#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build qemu-system-x86_64 with the qemu-hyperv patch series and module.
#
#   pristine source  : $QEMU_SRC, or Debian's qemu 10.0.x source package
#                      fetched to build/qemu-src (scripts/fetch-qemu.sh)
#   patched tree     : build/qemu  (rsync of the pristine tree + patches/series,
#                      target/i386/hyperv -> target-i386-hyperv/ and
#                      tests/qtest/hyperv -> tests-qtest/ as symlinks, so an
#                      edit in the module is picked up by ninja directly)
#   build directory  : build/qemu-build (x86_64-softmmu, TCG + KVM, ccache)
#
# Every step is skipped when its inputs did not change, so a second run only
# runs ninja.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export BUILD_DIR
source "$here/apt-private.sh"

# One build at a time per build directory: concurrent ninja runs in one
# tree corrupt its logs, and re-patching under a running build breaks it.
if [ -z "$QEMU_HYPERV_BUILD_LOCKED" ]; then
    export QEMU_HYPERV_BUILD_LOCKED=1
    exec flock "$BUILD_DIR/.build.lock" bash "$0" "$@"
fi

work="$BUILD_DIR/qemu"
bdir="$BUILD_DIR/qemu-build"
series="$top/patches/series"

step() { echo ">> $*"; }

bash "$here/install-deps.sh"

# 1. The pristine QEMU tree.
if [ -n "$QEMU_SRC" ]; then
    pristine=$(cd "$QEMU_SRC" 2>/dev/null && pwd) ||
        die "QEMU_SRC=$QEMU_SRC is not a directory"
    [ -f "$pristine/VERSION" ] && [ -f "$pristine/target/i386/cpu.c" ] ||
        die "QEMU_SRC=$QEMU_SRC does not look like a QEMU source tree (no VERSION / target/i386/cpu.c)"
else
    bash "$here/fetch-qemu.sh"
    pristine="$BUILD_DIR/qemu-src"
fi
qemu_version=$(cat "$pristine/VERSION")
case "$qemu_version" in
10.0.*) ;;
*) die "QEMU $qemu_version in $pristine: qemu-hyperv's patches are for QEMU 10.0.x" ;;
esac

# 2. The patched tree.  Its identity is the pristine path + version + the
# content of every patch in the series.
patch_id=$( { echo "$pristine $qemu_version"; cat "$series";
              sed -e '/^#/d' -e '/^$/d' "$series" | while read -r p _; do
                  cat "$top/patches/$p"; done; } | sha256sum | cut -d' ' -f1)
stamp="$work/.qemu-hyperv-patched"
if [ "$(cat "$stamp" 2>/dev/null)" != "$patch_id" ]; then
    step "qemu: preparing patched tree $work (QEMU $qemu_version)"
    mkdir -p "$work"
    rm -f "$stamp"
    # Restore pristine files; touch what changed so ninja notices even when
    # the pristine copy is older than the objects built from a patched one.
    rsync -a --delete --out-format='%n' \
          --exclude=/target/i386/hyperv --exclude=/tests/qtest/hyperv \
          --exclude=/.qemu-hyperv-patched \
          "$pristine/" "$work/" > "$BUILD_DIR/rsync.log"
    (cd "$work" && grep -v '/$' "$BUILD_DIR/rsync.log" | xargs -r -d '\n' touch --)
    ln -sfn "$top/target-i386-hyperv" "$work/target/i386/hyperv"
    ln -sfn "$top/tests-qtest" "$work/tests/qtest/hyperv"
    sed -e '/^#/d' -e '/^$/d' "$series" | while read -r p _; do
        if ! patch -d "$work" -p1 -N -s --no-backup-if-mismatch -r - \
                 < "$top/patches/$p" > "$BUILD_DIR/patch.log" 2>&1; then
            cat "$BUILD_DIR/patch.log" >&2
            die "patch $p does not apply to QEMU $qemu_version ($pristine); rebase it onto this version or use QEMU_SRC=<a QEMU 10.0.x tree>"
        fi
    done
    echo "$patch_id" > "$stamp"
fi
ln -sfn "$top/target-i386-hyperv" "$work/target/i386/hyperv"
ln -sfn "$top/tests-qtest" "$work/tests/qtest/hyperv"

# 3. Configure (once, or when the options change).
source "$here/qemu-configure-opts.sh"
opts_id=$(echo "$work ${configure_opts[*]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.qemu-hyperv-configured" 2>/dev/null)" != "$opts_id" ]; then
    step "qemu: configuring $bdir"
    # Other options (compilers above all) cannot be changed in place
    if [ -f "$bdir/.qemu-hyperv-configured" ]; then
        rm -rf "$bdir"
    fi
    mkdir -p "$bdir"
    (cd "$bdir" && "$work/configure" "${configure_opts[@]}") > "$BUILD_DIR/configure.log" 2>&1 ||
        { tail -n 25 "$BUILD_DIR/configure.log" >&2; die "QEMU configure failed (log: $BUILD_DIR/configure.log)"; }
    echo "$opts_id" > "$bdir/.qemu-hyperv-configured"
fi
# --version names the series, as a distribution's build names its package:
# "QEMU emulator version 10.0.13 (qemu-hyperv)".  Set in place: a changed
# configure option above would configure and build from scratch.
pkgversion=qemu-hyperv
if [ "$(/usr/bin/python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "pkgversion"))' \
        "$bdir/meson-info/intro-buildoptions.json" 2> /dev/null)" != "$pkgversion" ]; then
    "$bdir/pyvenv/bin/meson" configure -Dpkgversion="$pkgversion" "$bdir" >> "$BUILD_DIR/configure.log" 2>&1 ||
        { tail -n 25 "$BUILD_DIR/configure.log" >&2; die "meson configure -Dpkgversion failed (log: $BUILD_DIR/configure.log)"; }
fi

# 4. Build.
targets=(qemu-system-x86_64 ${QEMU_EXTRA_TARGETS:-})
if ! ninja -C "$bdir" -n "${targets[@]}" 2>/dev/null | grep -q '^ninja: no work to do'; then
    step "qemu: building ${targets[*]} (ninja -C $bdir, log: $BUILD_DIR/ninja.log)"
fi
ninja -C "$bdir" "${targets[@]}" > "$BUILD_DIR/ninja.log" 2>&1 ||
    { grep -E -A12 'error:|FAILED' "$BUILD_DIR/ninja.log" | head -n 60 >&2; die "QEMU build failed (log: $BUILD_DIR/ninja.log)"; }

# Option ROMs (linuxboot, multiboot, pvh) from source; firmware from Debian.
if [ -f "$bdir/pc-bios/optionrom/config.mak" ]; then
    make -s -C "$bdir/pc-bios/optionrom" > "$BUILD_DIR/optionrom.log" 2>&1 ||
        { tail -n 20 "$BUILD_DIR/optionrom.log" >&2; die "building QEMU's option ROMs failed (log: $BUILD_DIR/optionrom.log)"; }
fi
for f in /usr/share/seabios/*.bin; do
    [ -e "$bdir/pc-bios/$(basename "$f")" ] || ln -sf "$f" "$bdir/pc-bios/$(basename "$f")"
done
for f in "$bdir"/pc-bios/optionrom/*.bin; do
    [ -e "$f" ] && ln -sf "optionrom/$(basename "$f")" "$bdir/pc-bios/$(basename "$f")"
done
# The binary runs as printed, without -L: a QEMU in its build tree takes
# its data directory from <build>/qemu-bundle (get_relocated_path() in
# util/cutils.c), which meson fills with links to what "meson install"
# would install, and --disable-install-blobs leaves the firmware out.  So
# link it there, as QEMU's own build does for its blobs: SeaBIOS from
# Debian, the option ROMs built above, iPXE's ROMs for the NICs.
datadir=$(sed -n 's/^#define CONFIG_QEMU_DATADIR "\(.*\)"$/\1/p' "$bdir/config-host.h")
mkdir -p "$bdir/qemu-bundle$datadir"
for f in "$bdir"/pc-bios/*.bin /usr/lib/ipxe/qemu/*.rom; do
    if [ -e "$f" ]; then
        ln -sfn "$(readlink -f "$f")" "$bdir/qemu-bundle$datadir/$(basename "$f")"
    fi
done
echo "$bdir/qemu-system-x86_64"
