#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Developer helper: turn edits made in build/qemu into a git-format patch.
#
#   scripts/mkpatch.sh patches/NNNN-name.patch msgfile file...
#
# msgfile holds the subject on its first line, a blank line, then the body
# (ending with Signed-off-by).  Each file's diff is taken against the pristine
# tree plus the patches that come before NNNN in the series, so regenerate
# patches in series order.
set -e
out=$1 msg=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
base="$top/build/mkpatch-base"
# The "after" tree: build/qemu, or AFTER_DIR (an intermediate state when
# one file's changes are split over several patches)
after=${AFTER_DIR:-$top/build/qemu}
rm -rf "$base" && mkdir -p "$base"
name=$(basename "$out")
# Reconstruct "pristine + earlier patches" for the files we diff.
for f in "$@"; do
    mkdir -p "$base/$(dirname "$f")"
    if [ -e "$top/build/qemu-src/$f" ]; then cp "$top/build/qemu-src/$f" "$base/$f"; fi
done
sed -e '/^#/d' -e '/^$/d' "$top/patches/series" | while read -r p _; do
    [ "$p" = "$name" ] && break
    for f in "$@"; do
        if grep -q "^+++ b/$f\$" "$top/patches/$p"; then
            filterdiff -p1 -i "$f" "$top/patches/$p" | patch -s -d "$base" -p1 --no-backup-if-mismatch
        fi
    done
done
{
    echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
    echo "From: qemu-hyperv developers <qemu-hyperv@example.org>"
    echo "Date: $(date -R)"
    echo "Subject: [PATCH] $(head -n 1 "$msg")"
    echo
    tail -n +3 "$msg"
    echo "---"
    for f in "$@"; do
        if [ -e "$base/$f" ]; then a="a/$f"; else a=/dev/null; fi
        diff -u --label "$a" --label "b/$f" \
            "$( [ -e "$base/$f" ] && echo "$base/$f" || echo /dev/null)" "$after/$f" || true
    done | sed -e '1{/^$/d}'
    echo "-- "
    echo "2.39.5"
} > "$out.tmp"
# Prepend "diff --git" headers for git-apply/quilt friendliness.
awk '/^--- (a\/|\/dev\/null)/ { hold = $0; next }
     hold != "" && /^\+\+\+ b\// { f = substr($2, 3); print "diff --git a/" f " b/" f;
                                   if (hold ~ /dev\/null/) print "new file mode 100644";
                                   print hold; print; hold = ""; next }
     { print }' "$out.tmp" > "$out"
rm -f "$out.tmp"
