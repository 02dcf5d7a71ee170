#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run QEMU's scripts/checkpatch.pl over every patch in patches/series and
# over the drop-in module's and qtests' C sources.  Fails on any error or
# warning.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
checkpatch="$BUILD_DIR/qemu/scripts/checkpatch.pl"
[ -f "$checkpatch" ] || { echo "error: $checkpatch missing; run 'make' first" >&2; exit 1; }
bad=0
check() {
    local out
    out=$(perl "$checkpatch" --no-tree "$@" 2>&1)
    if ! echo "$out" | grep -q '^total: 0 errors, 0 warnings'; then
        echo "$out"
        bad=1
    fi
}
while read -r p _; do
    case "$p" in ''|'#'*) continue ;; esac
    check "$top/patches/$p"
done < "$top/patches/series"
for f in "$top"/target-i386-hyperv/*.[ch]; do
    [ -f "$f" ] && check -f "$f"
done
# Through the tree's tests/qtest/hyperv link: checkpatch applies the tests/
# rules (g_assert_cmp*() is fine there) by path.
cd "$BUILD_DIR/qemu" || exit 1
for f in "$top"/tests-qtest/*.[ch]; do
    [ -f "$f" ] && check -f "tests/qtest/hyperv/$(basename "$f")"
done
if [ $bad = 0 ]; then
    echo "checkpatch: all patches and sources clean"
fi
exit $bad
