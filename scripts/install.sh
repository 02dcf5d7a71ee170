#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make install / make uninstall: qemu-system-x86_64 as built by
# scripts/build-qemu.sh, with what it needs at run time, under
# $DESTDIR$PREFIX (PREFIX default /usr/local):
#
#   bin/qemu-system-x86_64
#   share/qemu/          the data directory: keymaps and trace-events-all
#                        (what QEMU's own "meson install" puts there), the
#                        option ROMs built here (linuxboot, multiboot, pvh,
#                        kvmvapic) as files, and links to Debian's SeaBIOS
#                        (/usr/share/seabios) and iPXE NIC ROMs
#                        (/usr/lib/ipxe/qemu), so that package updates of
#                        those reach this QEMU too
#   share/doc/qemu-hyperv/   README.md, docs/*.md, the patch series
#   share/qemu-hyperv/installed-files   what was installed, for uninstall
#
# The binary is built relocatable (QEMU's default): it finds its data in
# ../share/qemu next to wherever it is, so any PREFIX works without -L,
# and so does a DESTDIR staging tree before it is moved into place.
#
# Usage: install.sh install|uninstall   (PREFIX, DESTDIR from the environment)
set -e -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
bdir="$BUILD_DIR/qemu-build"
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}

die() { echo "error: $*" >&2; exit 1; }

case "$PREFIX" in
/*) ;;
*) die "PREFIX=$PREFIX is not an absolute path" ;;
esac
[ -z "$DESTDIR" ] || case "$DESTDIR" in
/*) ;;
*) DESTDIR=$(pwd)/$DESTDIR ;;
esac
PREFIX=${PREFIX%/}
root="$DESTDIR$PREFIX"
manifest_rel=share/qemu-hyperv/installed-files

uninstall() {
    local m="$root/$manifest_rel" f d n=0
    [ -f "$m" ] || die "nothing of qemu-hyperv is installed under $root (no $m)"
    while read -r f; do
        [ -n "$f" ] || continue
        if [ -L "$DESTDIR$f" ] || [ -f "$DESTDIR$f" ]; then
            rm -f "$DESTDIR$f"
            n=$((n + 1))
        fi
    done < "$m"
    rm -f "$m"
    # The directories install made, deepest first, if nothing else is there.
    for d in share/qemu/keymaps share/qemu share/doc/qemu-hyperv share/qemu-hyperv; do
        rmdir "$root/$d" 2> /dev/null || true
    done
    echo "removed $n files of qemu-hyperv from $root"
}

case "${1:-}" in
install) ;;
uninstall) uninstall; exit 0 ;;
*) die "usage: install.sh install|uninstall (PREFIX=$PREFIX DESTDIR=$DESTDIR)" ;;
esac

[ -x "$bdir/qemu-system-x86_64" ] || die "$bdir/qemu-system-x86_64 is not built: run 'make' first"
datadir=$(sed -n 's/^#define CONFIG_QEMU_DATADIR "\(.*\)"$/\1/p' "$bdir/config-host.h")
bundle="$bdir/qemu-bundle$datadir"
[ -e "$bundle/bios-256k.bin" ] ||
    die "$bundle has no firmware: run 'make' again (scripts/build-qemu.sh links it there)"
grep -q '^#define CONFIG_RELOCATABLE' "$bdir/config-host.h" ||
    die "$bdir was configured with --disable-relocatable: its data directory would be $datadir, not under PREFIX"

# What goes where: "file <src> <dest>" or "link <target> <dest>", dest
# relative to PREFIX.  The data directory is the one the build tree's QEMU
# uses (its qemu-bundle), so the installed binary sees the same files.
plan=("file $bdir/qemu-system-x86_64 bin/qemu-system-x86_64")
while read -r -d '' p; do
    rel=${p#"$bundle"/}
    if [ -L "$p" ]; then
        target=$(readlink -f "$p")
        # Outputs that qemu-system-x86_64 does not need are not built
        # (trace-events-all, for simpletrace.py).
        [ -e "$target" ] || continue
        case "$target" in
        /usr/share/*|/usr/lib/*) plan+=("link $target share/qemu/$rel"); continue ;;
        esac
        p=$target
    fi
    plan+=("file $p share/qemu/$rel")
done < <(find "$bundle" \( -type f -o -type l \) -print0 | LC_ALL=C sort -z)
for f in "$top/README.md" "$top"/docs/*.md "$top/patches/series"; do
    plan+=("file $f share/doc/qemu-hyperv/$(basename "$f")")
done

# Never overwrite a file that belongs to a Debian package (PREFIX=/usr with
# Debian's qemu-system-x86 installed): dpkg would not know it was replaced.
if [ -z "$DESTDIR" ] && command -v dpkg > /dev/null; then
    existing=()
    for e in "${plan[@]}"; do
        read -r _ _ dest <<< "$e"
        if [ -e "$PREFIX/$dest" ] || [ -L "$PREFIX/$dest" ]; then
            existing+=("$PREFIX/$dest")
        fi
    done
    owned=
    if [ ${#existing[@]} -gt 0 ]; then
        owned=$(dpkg -S "${existing[@]}" 2> /dev/null | head -n 3 || true)
    fi
    if [ -n "$owned" ]; then
        die "$(printf 'these files belong to Debian packages:\n%s\n' "$owned")install under another PREFIX (the default is /usr/local) or remove those packages first"
    fi
fi

echo ">> install: qemu-hyperv into $root"
mkdir -p "$root/$(dirname "$manifest_rel")"
manifest="$root/$manifest_rel"
: > "$manifest.new"
for e in "${plan[@]}"; do
    read -r kind src dest <<< "$e"
    mkdir -p "$root/$(dirname "$dest")"
    rm -f "$root/$dest"
    case "$kind" in
    link) ln -s "$src" "$root/$dest" ;;
    file)
        mode=0644
        [ "$dest" = bin/qemu-system-x86_64 ] && mode=0755
        install -m "$mode" "$src" "$root/$dest"
        ;;
    esac
    echo "$PREFIX/$dest" >> "$manifest.new"
done
echo "$PREFIX/$manifest_rel" >> "$manifest.new"
mv "$manifest.new" "$manifest"

# The installed binary must find its firmware by itself: a PC and a q35
# machine with their default devices (VGA BIOS, NIC ROM) start and quit.
qemu="$root/bin/qemu-system-x86_64"
version=$("$qemu" --version | head -n 1)
for m in pc q35; do
    out=$(printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' |
          timeout 60 "$qemu" -machine "$m" -accel tcg -display none -monitor none -serial none \
                             -qmp stdio 2>&1) ||
        die "$qemu -machine $m does not start: $(grep -v '^{' <<< "$out" | head -n 3)"
done
echo "installed $qemu: $version"
echo "  data directory $root/share/qemu ($(grep -c '/share/qemu/' "$manifest") files; SeaBIOS and iPXE linked from Debian's packages)"
echo "  'make uninstall PREFIX=$PREFIX${DESTDIR:+ DESTDIR=$DESTDIR}' removes it"
