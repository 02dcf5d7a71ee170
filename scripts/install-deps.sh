#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install what building and testing qemu-hyperv needs, from the machine's own
# Debian sources plus bookworm-backports (meson >= 1.5, python3-pycotap)
# through the private apt configuration in scripts/apt-private.sh.
# Does nothing when everything is already there.
#
#   install-deps.sh           what make, make check and make install need
#   install-deps.sh libvirt   the same plus Debian 12's libvirt (make check-libvirt)
set -e
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../build}
mkdir -p "$BUILD_DIR"
source "$here/apt-private.sh"

# Packages from the release itself.
base_pkgs=(build-essential gcc-multilib pkg-config ninja-build ccache python3 python3-venv
           libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev flex bison
           quilt dpkg-dev rsync patchutils seabios ipxe-qemu bzip2 xz-utils ca-certificates
           debian-archive-keyring
           clang-14 libclang-rt-14-dev llvm-14)   # make fuzz: libFuzzer, llvm-cov
# Packages that bookworm has too old (meson 1.0) or not at all.
bpo_pkgs=(meson python3-pycotap)
# Extra packages asked for by the caller (e.g. make demo): EXTRA_PKGS="a b".
read -r -a extra_pkgs <<< "${EXTRA_PKGS:-}"

# make check-libvirt: bookworm's own libvirt 9.0 (not the backport), the
# daemon binary, its QEMU driver and virsh.  Not libvirt-daemon-system: its
# postinst would start a system libvirtd and add users; check-libvirt.sh
# starts its own daemon, with its state under build/.
libvirt_deps() {
    extra_pkgs+=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)
}
case "${1:-}" in
'') ;;
libvirt) libvirt_deps ;;
*) die "install-deps.sh: unknown argument '$1' (use 'libvirt' or nothing)" ;;
esac

missing=()
for p in "${base_pkgs[@]}" "${bpo_pkgs[@]}" "${extra_pkgs[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
        missing+=("$p")
done
meson_ok=0
if command -v meson > /dev/null &&
   dpkg --compare-versions "$(meson --version 2>/dev/null || echo 0)" ge 1.5; then
    meson_ok=1
fi
if [ ${#missing[@]} -eq 0 ] && [ $meson_ok = 1 ]; then
    exit 0
fi
[ "$(id -u)" = 0 ] ||
    die "missing packages: ${missing[*]}; run 'make' as root or install them with apt-get (meson and python3-pycotap from bookworm-backports)"

echo ">> deps: installing ${missing[*]:-meson (>= 1.5)}"
apt_private_init
apt_private_update
export DEBIAN_FRONTEND=noninteractive
log="$BUILD_DIR/apt/install.log"
apt_private -q -y --no-install-recommends install "${base_pkgs[@]}" "${extra_pkgs[@]}" > "$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "apt-get install failed (log: $log)"; }
apt_private -q -y --no-install-recommends -t bookworm-backports install "${bpo_pkgs[@]}" >> "$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "installing ${bpo_pkgs[*]} from bookworm-backports failed (log: $log)"; }
v=$(meson --version)
dpkg --compare-versions "$v" ge 1.5 || die "meson $v is too old; QEMU 10.0 needs >= 1.5"
