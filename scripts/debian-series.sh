#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu-hyperv as a quilt series for Debian's qemu 10.0 source package.
#
#   debian-series.sh [generate]  write $BUILD_DIR/debian-series/ (make debian-series)
#   debian-series.sh check       TAP lines: the series applies to Debian's
#                                source package and gives build/qemu (make check)
#   debian-series.sh build-check configure + build x86_64-softmmu from the
#                                quilt tree (make debian-build-check; slow)
#
# The series is patches/series (each patch with DEP-3 fields added) plus one
# generated patch, 0000, that creates target/i386/hyperv/ (from
# target-i386-hyperv/) and tests/qtest/hyperv/ (from tests-qtest/) as real
# files: our build links those directories into the tree instead.  The files
# are taken from the working tree, exactly what `make` compiles.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
out="$BUILD_DIR/debian-series"
sub=qemu-hyperv
module_patch="0000-target-i386-hyperv-tests-qtest-hyperv-add-the-qemu-hyperv-module.patch"

die() { echo "error: $*" >&2; exit 1; }

# Files of a directory of this repository that git does not ignore (tracked
# or not), as the build sees them through its symlink.
module_files() {
    (cd "$top" && git ls-files --cached --others --exclude-standard -- "$1" |
        sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
}

# patches/series entries, in order.
series_patches() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series" | awk '{ print $1 }'
}

# $1: the patch; DEP-3 fields go at the end of its description (before the
# "---" that git format-patch writes, or before the first diff).
dep3_patch() {
    awk -v name="$(basename "$1")" '
        !done && ($0 == "---" || /^diff --git / || /^--- (a\/|\/dev\/null)/) {
            print "Forwarded: no"
            print "Origin: other, qemu-hyperv patches/" name
            print ""
            done = 1
        }
        { print }' "$1"
}

write_module_patch() {
    local date f dst
    date=$(cd "$top" && git log -1 --format=%aD 2>/dev/null || date -R)
    cat <<EOF
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: qemu-hyperv developers <qemu-hyperv@example.org>
Date: $date
Subject: [PATCH] target/i386/hyperv, tests/qtest/hyperv: add the qemu-hyperv module

The accelerator-neutral Hyper-V model and core, its KVM and TCG glue
(target/i386/hyperv/) and the Hyper-V qtests with their freestanding
guest payload (tests/qtest/hyperv/).  qemu-hyperv keeps them as separate
directories (target-i386-hyperv/, tests-qtest/) that its own build links
into the QEMU tree; this patch creates them as files, so the rest of the
series (which builds and registers them) applies to a plain tree.

Forwarded: no
Origin: other, qemu-hyperv target-i386-hyperv/ and tests-qtest/ (generated)
Signed-off-by: qemu-hyperv developers <qemu-hyperv@example.org>
---
EOF
    { module_files target-i386-hyperv | sed 's|^|target/i386/hyperv |'
      module_files tests-qtest | sed 's|^|tests/qtest/hyperv |'; } |
    while read -r dst f; do
        dst="$dst/${f#*/}"
        echo "diff --git a/$dst b/$dst"
        echo "new file mode 100644"
        (cd "$top" && diff -u --label /dev/null --label "b/$dst" /dev/null "$f") || true
    done
    echo "-- "
    echo "2.39.5"
}

generate() {
    local p n=0
    rm -rf "$out.tmp"
    mkdir -p "$out.tmp/debian/patches/$sub"
    write_module_patch > "$out.tmp/debian/patches/$sub/$module_patch"
    echo "$sub/$module_patch" > "$out.tmp/debian/patches/$sub/series"
    for p in $(series_patches); do
        [ -f "$top/patches/$p" ] || die "patches/series names $p, which does not exist"
        dep3_patch "$top/patches/$p" > "$out.tmp/debian/patches/$sub/$p"
        echo "$sub/$p" >> "$out.tmp/debian/patches/$sub/series"
        n=$((n + 1))
    done
    cat > "$out.tmp/apply.sh" <<'EOF'
#!/bin/sh
# Add the qemu-hyperv patches to an unpacked Debian qemu source package:
#   sh apply.sh /path/to/qemu-10.0.x
# Copies debian/patches/qemu-hyperv/ and appends its series to
# debian/patches/series (once).  Then `quilt push -a` or
# `dpkg-source --before-build .` / `dpkg-buildpackage` applies them.
set -e
src=$(cd "$(dirname "$0")" && pwd)
dst=${1:?usage: apply.sh <unpacked Debian qemu source>}
[ -f "$dst/debian/patches/series" ] || { echo "$dst: no debian/patches/series" >&2; exit 1; }
rm -rf "$dst/debian/patches/qemu-hyperv"
mkdir -p "$dst/debian/patches/qemu-hyperv"
cp "$src"/debian/patches/qemu-hyperv/*.patch "$dst/debian/patches/qemu-hyperv/"
grep -v '^qemu-hyperv/' "$dst/debian/patches/series" > "$dst/debian/patches/series.new" || true
cat "$src/debian/patches/qemu-hyperv/series" >> "$dst/debian/patches/series.new"
mv "$dst/debian/patches/series.new" "$dst/debian/patches/series"
EOF
    chmod +x "$out.tmp/apply.sh"
    cat > "$out.tmp/README" <<EOF
qemu-hyperv for Debian's qemu 10.0 source package
=================================================

debian/patches/qemu-hyperv/ holds $((n + 1)) quilt patches (DEP-3 headers, -p1):

  $module_patch
      creates target/i386/hyperv/ and tests/qtest/hyperv/ (the module and
      its qtests, as files)
$(series_patches | sed 's/^/  /')
      the hooks into QEMU, as in qemu-hyperv's patches/series

debian/patches/qemu-hyperv/series lists them in order; they go after
Debian's own patches.  Generated by \`make debian-series\` from
qemu-hyperv $(cd "$top" && git describe --always --dirty 2>/dev/null || echo unknown).

To use it:

  apt-get source qemu            # Debian's qemu 1:10.0.x (trixie)
  sh apply.sh qemu-10.0.*        # copies the patches, appends the series
  cd qemu-10.0.*
  dch --local +hyperv "Add qemu-hyperv (Hyper-V enlightenments under KVM and TCG)."
  dpkg-buildpackage -us -uc -b   # dpkg-source applies the series first

or by hand: copy debian/patches/qemu-hyperv/ into the package's
debian/patches/ and append debian/patches/qemu-hyperv/series to
debian/patches/series; \`QUILT_PATCHES=debian/patches quilt push -a\`
applies them to an unpacked tree.

Every patch applies without fuzz or offset to qemu 1:10.0.13+ds-0+deb13u1
(checked by qemu-hyperv's \`make check\`).  The module adds no build
dependency: the qtests' guest payload needs the host's x86-64 gcc and
objcopy, which the qemu build already uses.  Only x86_64-softmmu (and
i386-softmmu, which builds the same target/i386) compiles the new code.
EOF
    rm -rf "$out"
    mv "$out.tmp" "$out"
    echo ">> debian series: $out ($((n + 1)) patches; see $out/README)"
}

# Same identity as scripts/build-qemu.sh gives the patched tree.
tree_id() {
    { echo "$BUILD_DIR/qemu-src $(cat "$BUILD_DIR/qemu-src/VERSION")"; cat "$top/patches/series"
      for p in $(series_patches); do cat "$top/patches/$p"; done; } | sha256sum | cut -d' ' -f1
}

# Unpack Debian's source package (as fetch-qemu.sh downloaded it) to $1.
unpack_debian() {
    local dsc
    dsc=$(ls "$BUILD_DIR"/qemu-dl/qemu_*.dsc 2>/dev/null | head -n 1)
    [ -n "$dsc" ] || return 1
    rm -rf "$1"
    dpkg-source --require-strong-checksums -x "$dsc" "$1" > "$1.log" 2>&1 ||
        { tail -n 20 "$1.log" | sed 's/^/# /'
          df -h "$(dirname "$1")" | sed 's/^/# /'; return 2; }
}

# What the series changed, as a tree comparable with build/qemu: $2 is the
# series-free copy of debian/patches/series.
diff_with_build_tree() {
    local tree=$1 orig_series=$2 rc=0
    mv "$tree/debian/patches/$sub" "$tree.$sub"
    cp "$tree/debian/patches/series" "$tree.series"
    cp "$orig_series" "$tree/debian/patches/series"
    # build/qemu links target/i386/hyperv and tests/qtest/hyperv into this
    # repository; diff follows the links.  .pc is quilt's state, the stamps
    # are ours; ignored files in the module directories are not packaged.
    # A top-level build/ is what QEMU's configure (or a stray tool run in
    # build/qemu) leaves behind; QEMU's .gitignore lists it too.
    diff -r -q -x .pc -x '.qemu-hyperv-*' -x '*.o' -x '*.tmp' -x __pycache__ \
        "$BUILD_DIR/qemu" "$tree" 2>&1 |
        grep -v -x -F "Only in $BUILD_DIR/qemu: build" > "$tree.diff" && rc=1
    mv "$tree.series" "$tree/debian/patches/series"
    mv "$tree.$sub" "$tree/debian/patches/$sub"
    return $rc
}

check() {
    local work="$BUILD_DIR/debian-check" tree log n rc=0 last
    SECONDS=0
    if [ -n "$QEMU_SRC" ]; then
        echo "ok - debian series: applies to Debian's qemu source package # SKIP QEMU_SRC build, no Debian source package"
        return 0
    fi
    if ! ls "$BUILD_DIR"/qemu-dl/qemu_*.dsc > /dev/null 2>&1; then
        echo "ok - debian series: applies to Debian's qemu source package # SKIP no Debian source package in $BUILD_DIR/qemu-dl (run make)"
        return 0
    fi
    generate > /dev/null
    n=$(wc -l < "$out/debian/patches/$sub/series")
    rm -rf "$work" && mkdir -p "$work"
    tree="$work/qemu"
    if unpack_debian "$tree"; then
        echo "ok - debian series: dpkg-source -x $(basename "$(ls "$BUILD_DIR"/qemu-dl/qemu_*.dsc)")"
    else
        echo "not ok - debian series: dpkg-source -x failed (log: $tree.log)"
        return 1
    fi
    cp "$tree/debian/patches/series" "$work/series.debian"
    last=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$work/series.debian" | tail -n 1 | awk '{ print $1 }')
    sh "$out/apply.sh" "$tree"

    # 1. quilt, as a packager would: no fuzz allowed, no offsets wanted.
    log="$work/quilt.log"
    if (cd "$tree" && QUILT_PATCHES=debian/patches QUILT_PC=.pc quilt --quiltrc=- push -a --fuzz=0) > "$log" 2>&1 &&
       [ "$(cd "$tree" && QUILT_PATCHES=debian/patches quilt --quiltrc=- applied 2>/dev/null | grep -c "^$sub/")" = "$n" ]; then
        if grep -qiE 'offset|fuzz' "$log"; then
            grep -iE '^Applying|offset|fuzz' "$log" | sed 's/^/# /'
            echo "not ok - debian series: quilt push -a applies all $n patches but with offsets"
            rc=1
        else
            echo "ok - debian series: quilt push -a applies all $n patches without fuzz or offset"
        fi
    else
        tail -n 20 "$log" | sed 's/^/# /'
        echo "not ok - debian series: quilt push -a failed (log: $log)"
        return 1
    fi

    # 2. The result is what `make` builds (build/qemu with the links
    # resolved): so the x86_64-softmmu build of `make` is this tree's build.
    # Hold the build lock so that no re-patching happens meanwhile.
    exec 9> "$BUILD_DIR/.build.lock"
    flock 9
    echo "# debian series: build lock taken at $SECONDS s"
    if [ "$(cat "$BUILD_DIR/qemu/.qemu-hyperv-patched" 2>/dev/null)" != "$(tree_id)" ]; then
        echo "not ok - debian series: build/qemu is not built from the current patches/series (run make)"
        rc=1
    elif diff_with_build_tree "$tree" "$work/series.debian"; then
        echo "ok - debian series: quilt tree is identical to build/qemu (links resolved)"
    else
        head -n 20 "$tree.diff" | sed 's/^/# /'
        echo "not ok - debian series: quilt tree differs from build/qemu (list: $tree.diff)"
        rc=1
    fi

    # 3. dpkg-source's own quilt engine (what dpkg-buildpackage runs):
    # back to Debian's patches only, then --before-build.
    log="$work/dpkg-source.log"
    if (cd "$tree" && QUILT_PATCHES=debian/patches quilt --quiltrc=- pop -q "$last") > "$log" 2>&1 &&
       (cd "$tree" && dpkg-source --before-build .) >> "$log" 2>&1 &&
       [ "$(grep -c "applying $sub/" "$log")" = "$n" ] &&
       diff_with_build_tree "$tree" "$work/series.debian"; then
        echo "ok - debian series: dpkg-source --before-build applies all $n patches, same tree"
    else
        tail -n 20 "$log" "$tree.diff" 2>/dev/null | sed 's/^/# /'
        echo "not ok - debian series: dpkg-source --before-build (log: $log)"
        rc=1
    fi
    flock -u 9
    exec 9>&-
    [ "$rc" != 0 ] || rm -rf "$work"
    echo "# debian series check: $SECONDS s"
    return $rc
}

build_check() {
    local work="$BUILD_DIR/debian-build-check" tree
    generate
    rm -rf "$work" && mkdir -p "$work"
    tree="$work/qemu"
    unpack_debian "$tree" || die "no Debian source package in $BUILD_DIR/qemu-dl (run make first)"
    sh "$out/apply.sh" "$tree"
    (cd "$tree" && QUILT_PATCHES=debian/patches quilt --quiltrc=- push -a --fuzz=0 -q) ||
        die "quilt push -a failed in $tree"
    mkdir -p "$work/build"
    echo ">> debian-build-check: configuring x86_64-softmmu in $work/build"
    # The options of scripts/build-qemu.sh.
    (cd "$work/build" && "$tree/configure" --target-list=x86_64-softmmu --python=/usr/bin/python3 \
        --disable-download --without-default-features \
        --enable-tcg --enable-kvm --enable-fdt=system --enable-hv-balloon \
        --disable-install-blobs --disable-docs --disable-werror) > "$work/configure.log" 2>&1 ||
        { tail -n 25 "$work/configure.log"; die "configure failed (log: $work/configure.log)"; }
    echo ">> debian-build-check: building qemu-system-x86_64 and the Hyper-V qtests (log: $work/ninja.log)"
    ninja -C "$work/build" qemu-system-x86_64 tests/qtest/hyperv/hv-cpuid-test > "$work/ninja.log" 2>&1 ||
        { grep -E -A12 'error:|FAILED' "$work/ninja.log" | head -n 60; die "build failed (log: $work/ninja.log)"; }
    "$work/build/qemu-system-x86_64" -accel tcg -cpu qemu64,hv-relaxed,hv-vpindex,hv-synic \
        -machine none -nodefaults -display none -S -daemonize -pidfile "$work/qemu.pid" ||
        die "the built QEMU does not start with hv-* under TCG"
    kill "$(cat "$work/qemu.pid")"
    echo ">> debian-build-check: ok ($work/build/qemu-system-x86_64)"
}

case "${1:-generate}" in
generate) generate ;;
check) check ;;
build-check) build_check ;;
*) die "usage: $0 [generate|check|build-check]" ;;
esac
