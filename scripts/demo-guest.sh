#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make demo: build the default demo guest under $BUILD_DIR/demo/.
#
#   kernel    Debian's own kernel package for bookworm: the linux-image-*-amd64
#             that linux-image-amd64 depends on (DEMO_KERNEL=<package> picks
#             another one, e.g. a bookworm-backports kernel), fetched with
#             "apt-get download" through the private apt configuration of
#             scripts/apt-private.sh and unpacked with "dpkg-deb -x" - it is
#             never installed on this machine.
#   initramfs busybox-static (also downloaded, not installed), the kernel's
#             hv_vmbus, hv_utils and hv_balloon modules with their
#             dependencies per modules.dep (depmod -b on the unpacked
#             package), scripts/demo-probe.c built static, and
#             scripts/demo-init.sh as /init; for make bench also
#             scripts/bench-guest.c (static) and scripts/bench-init.sh.
#             cpio (newc) + gzip.
#
# Usage: demo-guest.sh <env-file>; writes DEMO_GUEST_KERNEL=, DEMO_GUEST_INITRD=,
# DEMO_GUEST_KVER= and DEMO_GUEST_PKG= lines to <env-file>.
# Downloads and the finished guest are cached: a second run does nothing.
set -e
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
source "$here/apt-private.sh"

env_out=${1:?usage: demo-guest.sh <env-file>}
demo="$BUILD_DIR/demo"
debs="$demo/debs"
mkdir -p "$debs"
step() { echo ">> demo: $*"; }

modules=(hv_vmbus hv_utils hv_balloon)

apt_private_init
apt_private_update

# The package's candidate "Version SHA256 Filename Size", or nothing.
pkg_info() {
    apt_private_cache show --no-all-versions "$1" 2> /dev/null |
        awk '/^Version:/ { v = $2 } /^SHA256:/ { s = $2 } /^Filename:/ { f = $2 } /^Size:/ { z = $2 }
             /^$/ { if (v != "") { print v, s, f, z; exit } }
             END { if (v != "") print v, s, f, z }' | head -n 1
}

# Download (or find in the cache) the candidate .deb of a package; prints its path.
fetch_deb() {
    local pkg=$1 info version sha file size deb
    info=$(pkg_info "$pkg")
    [ -n "$info" ] || die "package $pkg is not known to apt (bookworm, bookworm-updates, bookworm-security, bookworm-backports)"
    read -r version sha file size <<< "$info"
    deb="$debs/$(basename "$file")"
    if [ -f "$deb" ] && [ "$(sha256sum < "$deb" | cut -d' ' -f1)" = "$sha" ]; then
        step "using cached $(basename "$deb")" >&2
    else
        step "downloading $pkg $version ($((size / 1048576)) MiB) with apt-get download" >&2
        rm -rf "$debs/partial" && mkdir -p "$debs/partial"
        (cd "$debs/partial" && apt_private -q -o APT::Sandbox::User=root download "$pkg=$version") \
            > "$debs/download.log" 2>&1 ||
            { tail -n 15 "$debs/download.log" >&2; die "apt-get download $pkg=$version failed (log: $debs/download.log)"; }
        local got
        got=$(ls "$debs/partial/"*.deb 2> /dev/null | head -n 1)
        [ -n "$got" ] || die "apt-get download $pkg=$version produced no .deb (log: $debs/download.log)"
        [ "$(sha256sum < "$got" | cut -d' ' -f1)" = "$sha" ] ||
            die "$got does not match the SHA256 of the archive's Packages index"
        mv "$got" "$deb"
        rmdir "$debs/partial"
    fi
    echo "$deb"
}

# 1. Which kernel.  A meta package (linux-image-amd64, linux-image-cloud-amd64,
# ...) is followed to the versioned linux-image-<abi>-<flavour> it depends on.
kpkg=${DEMO_KERNEL:-linux-image-amd64}
for _ in 1 2 3; do
    case "$kpkg" in
    linux-image-[0-9]*) break ;;
    esac
    dep=$(apt_private_cache depends "$kpkg" 2> /dev/null |
          awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    [ -n "$dep" ] || die "cannot resolve kernel package $kpkg: 'apt-cache depends $kpkg' names no linux-image-<version>-* package"
    kpkg=$dep
done
kdeb=$(fetch_deb "$kpkg")
bdeb=$(fetch_deb busybox-static)

# 2. The guest, cached by everything it is made of.
guest_id=$( { basename "$kdeb"; basename "$bdeb"; cat "$here/demo-init.sh" "$here/demo-probe.c" "$0" \
                "$here/bench-init.sh" "$here/bench-guest.c"; } |
            sha256sum | cut -c1-16)
gdir="$demo/guest-$kpkg"
if [ "$(cat "$gdir/.id" 2> /dev/null)" != "$guest_id" ] || [ ! -f "$gdir/initrd.gz" ]; then
    step "building the guest: $kpkg + busybox-static initramfs ($(printf '%s ' "${modules[@]}")+ deps)"
    rm -rf "$gdir" "$demo/unpack"
    mkdir -p "$gdir" "$demo/unpack"
    unp="$demo/unpack/kernel"
    dpkg-deb -x "$kdeb" "$unp" || die "dpkg-deb -x $kdeb failed"
    mdir=
    for d in "$unp"/lib/modules/* "$unp"/usr/lib/modules/*; do
        [ -d "$d/kernel" ] && { mdir=$d; break; }
    done
    [ -n "$mdir" ] || die "$kdeb has no lib/modules/<version>/kernel: not a kernel image package?"
    kver=$(basename "$mdir")
    vmlinuz=
    for f in "$unp/boot/vmlinuz-$kver" "$unp/usr/lib/linux/vmlinuz-$kver" "$mdir/vmlinuz"; do
        [ -f "$f" ] && { vmlinuz=$f; break; }
    done
    [ -n "$vmlinuz" ] || die "$kdeb has no vmlinuz for $kver"
    # modules.dep is made by depmod at install time; make it here.
    if [ ! -f "$mdir/modules.dep" ]; then
        base=${mdir%/lib/modules/$kver}
        depmod -b "$base" "$kver" > "$demo/unpack/depmod.log" 2>&1 ||
            { cat "$demo/unpack/depmod.log" >&2; die "depmod -b $base $kver failed"; }
    fi
    # Load order: each module after its dependencies.
    load=()
    add_module() {
        local rel=$1 d
        for d in "${load[@]}"; do [ "$d" = "$rel" ] && return 0; done
        local deps
        deps=$(awk -v m="$rel:" '$1 == m { for (i = NF; i > 1; i--) print $i }' "$mdir/modules.dep")
        for d in $deps; do add_module "$d"; done
        load+=("$rel")
    }
    for m in "${modules[@]}"; do
        rel=$(awk -v m="$m" -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n);
                                 if (n == m) { print $1; exit } }' "$mdir/modules.dep")
        [ -n "$rel" ] || die "$kpkg has no $m module (CONFIG_HYPERV* not built as modules?); pick another DEMO_KERNEL"
        add_module "$rel"
    done

    root="$demo/unpack/root"
    mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
    dpkg-deb -x "$bdeb" "$demo/unpack/busybox"
    cp "$demo/unpack/busybox/bin/busybox" "$root/bin/busybox"
    for a in $("$root/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
    done
    : > "$root/modules.load"
    for rel in "${load[@]}"; do
        name=$(basename "$rel"); name=${name%%.ko*}
        case "$rel" in
        *.ko) cp "$mdir/$rel" "$root/lib/modules/$name.ko" ;;
        *.ko.xz) xz -dc "$mdir/$rel" > "$root/lib/modules/$name.ko" ;;
        *.ko.gz) gzip -dc "$mdir/$rel" > "$root/lib/modules/$name.ko" ;;
        *.ko.zst) command -v zstd > /dev/null || die "$rel is zstd-compressed: apt-get install zstd"
                  zstd -qdc "$mdir/$rel" > "$root/lib/modules/$name.ko" ;;
        *) die "unexpected module file $rel" ;;
        esac
        echo "$name" >> "$root/modules.load"
    done
    install -m 0755 "$here/demo-init.sh" "$root/init"
    if ! gcc -O2 -static -pthread -o "$root/bin/demo-probe" "$here/demo-probe.c" \
             > "$demo/unpack/probe.log" 2>&1; then
        cat "$demo/unpack/probe.log" >&2
        echo "warning: building scripts/demo-probe.c failed; the guest will not dump CPUID or exercise TLB flushes/IPIs" >&2
    fi
    # make bench's programs (scripts/bench-init.sh runs them).
    install -m 0755 "$here/bench-init.sh" "$root/bench-init.sh"
    if ! gcc -O2 -static -pthread -o "$root/bin/bench-guest" "$here/bench-guest.c" \
             > "$demo/unpack/bench.log" 2>&1; then
        cat "$demo/unpack/bench.log" >&2
        die "building scripts/bench-guest.c failed"
    fi
    (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$gdir/initrd.gz" ||
        die "making the initramfs failed"
    cp "$vmlinuz" "$gdir/vmlinuz"
    cp "$unp/boot/config-$kver" "$gdir/config" 2> /dev/null || true
    printf '%s\n' "$kver" > "$gdir/kver"
    cp "$root/modules.load" "$gdir/modules.load"
    rm -rf "$demo/unpack"
    echo "$guest_id" > "$gdir/.id"
    step "guest ready: kernel $kver, initramfs $(du -k "$gdir/initrd.gz" | cut -f1) KiB, modules: $(tr '\n' ' ' < "$gdir/modules.load")"
else
    step "guest cached: $gdir (kernel $(cat "$gdir/kver"))"
fi

{
    echo "DEMO_GUEST_PKG=$kpkg"
    echo "DEMO_GUEST_KVER=$(cat "$gdir/kver")"
    echo "DEMO_GUEST_KERNEL=$gdir/vmlinuz"
    echo "DEMO_GUEST_INITRD=$gdir/initrd.gz"
} > "$env_out"
