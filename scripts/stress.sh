#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make stress: the long SMP stress qtest (tests-qtest/hv-stress-test.c),
# 8 vCPUs under MTTCG for HV_STRESS_SECONDS (default 30) of guest time,
# plain and with a migration + savevm/loadvm in the middle.  Prints the
# TAP output with one "# stress: ..." summary line per run.
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
bdir="$BUILD_DIR/qemu-build"
QEMU_EXTRA_TARGETS="tests/qtest/hyperv/hv-stress-test" \
    bash "$here/build-qemu.sh" || exit 1
export QTEST_QEMU_BINARY="$bdir/qemu-system-x86_64"
export HV_STRESS_SECONDS=${HV_STRESS_SECONDS:-30}
"$bdir/tests/qtest/hyperv/hv-stress-test" --tap -k
