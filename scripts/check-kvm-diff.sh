#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The KVM backend against stock QEMU (tests-kvm/, docs/kvm-differential.md):
# builds stock QEMU from the same source without the series
# (build-qemu-stock.sh, cached like the patched build) and the recording
# fake /dev/kvm, then runs tests-kvm/kvm-diff.py over its matrix.  Prints
# TAP ("ok - kvm-diff: <case>").  Expects the patched QEMU built
# (build-qemu.sh).  Each case's transcripts stay in build/kvm/transcripts.
#
#   --real   the matrix's configurations against this machine's /dev/kvm
#            (make check-kvm); skipped, saying why, without a /dev/kvm
#            that has KVM_CAP_HYPERV
#   other arguments go to kvm-diff.py (--only GLOB, --list, --jobs N)
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR/kvm"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export BUILD_DIR
ours="$BUILD_DIR/qemu-build/qemu-system-x86_64"
out="$BUILD_DIR/kvm/transcripts"

if [ "$1" = --real ]; then
    # KVM_CHECK_EXTENSION(KVM_CAP_HYPERV) on /dev/kvm
    why=$(/usr/bin/python3 -c '
import fcntl, os, sys
try:
    fd = os.open("/dev/kvm", os.O_RDWR)
except OSError as e:
    print("no usable /dev/kvm (%s)" % e.strerror); sys.exit()
if fcntl.ioctl(fd, 0xAE03, 44) <= 0:
    print("/dev/kvm has no KVM_CAP_HYPERV (kernel built without CONFIG_KVM_HYPERV)")
')
    if [ -n "$why" ]; then
        echo "ok - kvm-diff: real /dev/kvm # SKIP $why; the fake /dev/kvm matrix of make check covers the KVM path"
        exit 0
    fi
fi

[ -x "$ours" ] || { echo "not ok - kvm-diff: $ours missing (run make first)"; exit 1; }
stock=$(bash "$here/build-qemu-stock.sh" 2> "$BUILD_DIR/kvm/stock-build.err" |
        tee "$BUILD_DIR/kvm/stock-build.log" | tail -n 1)
if [ ! -x "$stock" ]; then
    tail -n 20 "$BUILD_DIR/kvm/stock-build.err" | sed 's/^/# /'
    echo "not ok - kvm-diff: building stock QEMU failed (log: $BUILD_DIR/kvm/stock-build.err)"
    exit 1
fi
if ! make -s -C "$top/tests-kvm" O="$BUILD_DIR/kvm" > "$BUILD_DIR/kvm/shim-build.log" 2>&1; then
    sed 's/^/# /' "$BUILD_DIR/kvm/shim-build.log"
    echo "not ok - kvm-diff: building the fake /dev/kvm failed"
    exit 1
fi
rm -rf "$out"
exec /usr/bin/python3 "$top/tests-kvm/kvm-diff.py" --ours "$ours" \
    --stock "$stock" --shim "$BUILD_DIR/kvm/fake-kvm.so" --out "$out" "$@"
