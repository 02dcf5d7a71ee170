#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: unit tests of the pure Hyper-V model (built outside QEMU)
# plus qemu-hyperv's qtests (built in QEMU's tree, run under TCG).
# Prints each test's TAP output and ends with "N passed, N failed".
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
bdir="$BUILD_DIR/qemu-build"
mkdir -p "$BUILD_DIR"
log="$BUILD_DIR/check.tap"
: > "$log"
status=0

# 1. QEMU with our qtests and guest payloads.
qtest_targets=$(cd "$bdir" 2>/dev/null && meson introspect --targets 2>/dev/null |
    /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["defined_in"].endswith("tests/qtest/hyperv/meson.build") and \
       t["type"] in ("executable", "custom"):
        for f in t["filename"]:
            print(f)' | sed "s|^$bdir/||")
# shellcheck disable=SC2086
QEMU_EXTRA_TARGETS="$qtest_targets" bash "$here/build-qemu.sh" || exit 1
if [ -z "$qtest_targets" ]; then
    # First configure just happened: ask meson again.
    qtest_targets=$(cd "$bdir" && meson introspect --targets | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["defined_in"].endswith("tests/qtest/hyperv/meson.build") and \
       t["type"] in ("executable", "custom"):
        for f in t["filename"]:
            print(f)' | sed "s|^$bdir/||")
    # shellcheck disable=SC2086
    ninja -C "$bdir" $qtest_targets > "$BUILD_DIR/ninja-qtest.log" 2>&1 ||
        { tail -n 40 "$BUILD_DIR/ninja-qtest.log"; echo "error: building the qtests failed"; exit 1; }
fi

run_tap() {
    local name=$1
    shift
    echo "# ---- $name"
    "$@" 2>&1 | tee -a "$log"
    local rc=${PIPESTATUS[0]}
    if [ "$rc" != 0 ]; then
        echo "# $name exited with status $rc"
        echo "not ok - $name exited with status $rc" >> "$log"
        status=1
    fi
}

# 2. Unit tests of the pure model.
echo ">> unit tests"
make -s -C "$top/tests-unit" O="$BUILD_DIR/unit" all > "$BUILD_DIR/unit-build.log" 2>&1 ||
    { cat "$BUILD_DIR/unit-build.log"; echo "not ok - unit test build" >> "$log"; status=1; }
for t in "$BUILD_DIR"/unit/test-*; do
    [ -x "$t" ] || continue
    run_tap "unit/$(basename "$t")" "$t" --tap
done

# Fuzzing the core (tests-fuzz/): the corpus replayed as a regression
# test, then a short libFuzzer run ("make fuzz" runs longer ones).
echo ">> fuzz"
if out=$(bash "$top/tests-fuzz/run-fuzz.sh" --replay 2>&1); then
    n=$(echo "$out" | sed -n 's/^replayed \([0-9]*\) inputs$/\1/p')
    echo "ok - fuzz: replayed ${n:-0} corpus inputs" | tee -a "$log"
else
    echo "$out" | tail -n 30
    echo "not ok - fuzz: corpus replay failed (log: $BUILD_DIR/fuzz/replay.log)" | tee -a "$log"
fi
fuzz_s=${CHECK_FUZZ_SECONDS:-20}
if out=$(FUZZ_SECONDS=$fuzz_s FUZZ_COVERAGE=0 bash "$top/tests-fuzz/run-fuzz.sh" 2>&1); then
    sum=$(echo "$out" | grep '^FUZZ-SUMMARY' | tail -1)
    execs=$(echo "$sum" | sed -n 's/.* execs=\([0-9]*\).*/\1/p')
    cov=$(echo "$sum" | sed -n 's/.* cov=\([0-9]*\).*/\1/p')
    echo "ok - fuzz: $fuzz_s s, ${execs:-0} execs, cov ${cov:-0}, 0 crashes" | tee -a "$log"
else
    echo "$out" | tail -n 30
    echo "not ok - fuzz: $(echo "$out" | grep -E '^(error|fuzz):' | head -1)" | tee -a "$log"
fi

# The generated feature table in docs/ must match the model's table.
if make -s -C "$top" "$BUILD_DIR/gen-feature-table" > /dev/null 2>&1 &&
   "$BUILD_DIR/gen-feature-table" | cmp -s - "$top/docs/feature-table.md"; then
    echo "ok - docs/feature-table.md matches the feature model" | tee -a "$log"
else
    echo "not ok - docs/feature-table.md is stale: run 'make docs/feature-table.md'" | tee -a "$log"
fi

# Every patch and source passes QEMU's checkpatch.pl.
if bash "$here/checkpatch.sh" > "$BUILD_DIR/checkpatch.log" 2>&1; then
    echo "ok - checkpatch: patches and sources clean" | tee -a "$log"
else
    cat "$BUILD_DIR/checkpatch.log"
    echo "not ok - checkpatch found problems (log: $BUILD_DIR/checkpatch.log)" | tee -a "$log"
fi

# ...and a new checkpatch WARNING really fails it (scripts/checkpatch-allowlist).
run_tap checkpatch-self-test bash "$here/checkpatch.sh" --self-test

# make bench's paired targets on made-up boots (no timing)
run_tap bench-report-self-test /usr/bin/python3 "$here/bench-report-test.py"

# The series as quilt patches applies to Debian's qemu source package and
# gives exactly build/qemu (scripts/debian-series.sh, docs/packaging.md).
run_tap debian-series bash "$here/debian-series.sh" check

# The KVM backend: our QEMU and stock QEMU (the same source without the
# series) under a recording fake /dev/kvm, for a matrix of -cpu sets x host
# kernels, KVM_EXIT_HYPERV exits and migration sections; every difference
# documented (tests-kvm/, docs/kvm-differential.md).
echo ">> kvm differential (transcripts: $BUILD_DIR/kvm/transcripts)"
run_tap kvm-diff bash "$here/check-kvm-diff.sh"

# 3. qtests, under TCG.
echo ">> qtests"
export QTEST_QEMU_BINARY="$bdir/qemu-system-x86_64"
for t in $qtest_targets; do
    case "$t" in
    *-test) run_tap "qtest/$(basename "$t")" "$bdir/$t" --tap -k ;;
    esac
done

# 4. A real Linux guest (make demo's: Debian's kernel package + a busybox
# initramfs) under TCG with the hv-* set, VMBus and hv-balloon: the guest
# must detect Hyper-V, use what Linux uses, connect VMBus, bind hv_balloon
# and balloon when asked over QMP.  CHECK_LINUX_GUEST=0 skips it.
if [ "${CHECK_LINUX_GUEST:-1}" != 0 ]; then
    echo ">> linux guest (make demo's guest, with hv-*; log: $BUILD_DIR/demo-check.log)"
    tap="$BUILD_DIR/demo-check.tap"
    rm -f "$tap"
    DEMO_NOHV=0 DEMO_TAP="$tap" bash "$here/demo.sh" > "$BUILD_DIR/demo-check.log" 2>&1
    if [ -s "$tap" ]; then
        tee -a "$log" < "$tap"
    else
        tail -n 30 "$BUILD_DIR/demo-check.log"
        echo "not ok - linux guest: the demo did not get to its report (log: $BUILD_DIR/demo-check.log)" | tee -a "$log"
    fi
fi

# 5. Debian 12's libvirt 9.0 drives the installed QEMU: its own libvirtd,
# make demo's guest in TCG domains with the seed's <hyperv> block and its
# variants, the refusals docs/libvirt.md quotes (scripts/check-libvirt.sh,
# about 2 minutes).  CHECK_LIBVIRT=0 skips it.
if [ "${CHECK_LIBVIRT:-1}" != 0 ]; then
    echo ">> libvirt (make check-libvirt; log: $BUILD_DIR/check-libvirt.log)"
    rm -f "$BUILD_DIR/libvirt/check-libvirt.tap"
    bash "$here/check-libvirt.sh" > "$BUILD_DIR/check-libvirt.log" 2>&1
    if [ -s "$BUILD_DIR/libvirt/check-libvirt.tap" ]; then
        tee -a "$log" < "$BUILD_DIR/libvirt/check-libvirt.tap"
    else
        tail -n 30 "$BUILD_DIR/check-libvirt.log"
        echo "not ok - libvirt: scripts/check-libvirt.sh did not get to its domains (log: $BUILD_DIR/check-libvirt.log)" | tee -a "$log"
    fi
fi

# The stress qtest's summary lines again, next to the totals
grep -E '^# stress: ' "$log" || true
passed=$(grep -cE '^ok ' "$log" | head -1)
skipped=$(grep -cE '^ok .*# (SKIP|skip)' "$log" | head -1)
failed=$(grep -cE '^not ok ' "$log" | head -1)
passed=$((passed - skipped))
[ "$failed" = 0 ] || status=1
[ "$skipped" = 0 ] || echo "($skipped skipped, counted in neither)"
# What failed, last, where a CI log's tail shows it.
if [ "$failed" != 0 ]; then
    echo "# failed:"
    grep -E '^not ok |^Bail out!' "$log" | cut -c1-300 | sed 's/^/#   /'
fi
echo "$passed passed, $failed failed"
exit $status
