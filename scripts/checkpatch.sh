#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run QEMU's scripts/checkpatch.pl over every patch in patches/series and
# over the drop-in module's and qtests' C sources.  Fails on any error or
# warning that scripts/checkpatch-allowlist does not list (each entry with
# its justification), and on any run that does not end in checkpatch.pl's
# "total:" line.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
checkpatch="$BUILD_DIR/qemu/scripts/checkpatch.pl"
[ -f "$checkpatch" ] || { echo "error: $checkpatch missing; run 'make' first" >&2; exit 1; }
allowlist="$here/checkpatch-allowlist"

# --self-test: this script must fail on a patch with one new warning, and
# pass once the allowlist names it (TAP lines, for make check).
if [ "$1" = --self-test ]; then
    t=$(mktemp -d)
    trap 'rm -rf "$t"' EXIT
    mkdir -p "$t/scripts" "$t/patches" "$t/target-i386-hyperv" "$t/tests-qtest"
    cp "$0" "$t/scripts/checkpatch.sh"
    grep '^#' "$allowlist" > "$t/scripts/checkpatch-allowlist"
    long=$(printf 'x%.0s' $(seq 1 80))
    printf '%s\n' "From: Test <test@example.org>" \
        "Subject: [PATCH] test: one long line" "" \
        "Signed-off-by: Test <test@example.org>" "---" \
        "diff --git a/hw/test.c b/hw/test.c" "--- a/hw/test.c" \
        "+++ b/hw/test.c" "@@ -1,1 +1,2 @@" \
        " /* SPDX-License-Identifier: GPL-2.0-or-later */" \
        "+int $long;" > "$t/patches/0001-test.patch"
    echo 0001-test.patch > "$t/patches/series"
    if BUILD_DIR=$BUILD_DIR bash "$t/scripts/checkpatch.sh" > "$t/out" 2>&1; then
        echo "not ok - checkpatch.sh passes a patch with a new WARNING"
        exit 1
    fi
    if ! grep -q '^WARNING: ' "$t/out"; then
        sed 's/^/# /' "$t/out"
        echo "not ok - checkpatch.sh self-test: no WARNING seen"
        exit 1
    fi
    echo "ok - checkpatch.sh fails on a patch with a new WARNING"
    printf 'hw/test.c\t^WARNING: line over\tself-test\n' \
        >> "$t/scripts/checkpatch-allowlist"
    if BUILD_DIR=$BUILD_DIR bash "$t/scripts/checkpatch.sh" > "$t/out" 2>&1; then
        echo "ok - checkpatch.sh accepts the WARNING once the allowlist names it"
    else
        sed 's/^/# /' "$t/out"
        echo "not ok - checkpatch.sh rejects an allowlisted WARNING"
        exit 1
    fi
    exit 0
fi
bad=0
# Prints the ERROR/WARNING reports of checkpatch.pl output on stdin that
# the allowlist does not cover ("FILE-GLOB<TAB>MESSAGE-REGEX<TAB>why").
unallowed() {
    awk -F '\t' -v list="$allowlist" '
        BEGIN {
            while ((getline l < list) > 0) {
                if (l ~ /^#/ || l ~ /^[ \t]*$/) continue
                split(l, f, "\t"); n++; glob[n] = f[1]; re[n] = f[2]
            }
        }
        function report() {
            if (msg == "") return
            for (i = 1; i <= n; i++) {
                g = glob[i]; gsub(/\./, "\\.", g); gsub(/\*/, ".*", g)
                if (file ~ ("^(.*/)?" g "$") && msg ~ re[i]) { msg = ""; return }
            }
            print msg " (" file ")"; msg = ""
        }
        /^(ERROR|WARNING): / { report(); msg = $0; file = "?"; next }
        /^#[0-9]+: FILE: / { sub(/^#[0-9]+: FILE: /, ""); sub(/:[0-9]+:$/, ""); file = $0; report() }
        END { report() }'
}
check() {
    local out left
    out=$(perl "$checkpatch" --no-tree "$@" 2>&1)
    left=$(echo "$out" | unallowed)
    if ! echo "$out" | grep -q '^total: ' || [ -n "$left" ]; then
        echo "$out"
        [ -z "$left" ] || printf 'not allowlisted:\n%s\n' "$left"
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
# The fake /dev/kvm of the KVM differential (test code, never built
# into QEMU) is written in QEMU's style too
for f in "$top"/tests-kvm/*.[ch]; do
    [ -f "$f" ] && check -f "$f"
done
if [ $bad = 0 ]; then
    echo "checkpatch: all patches and sources clean"
fi
exit $bad
