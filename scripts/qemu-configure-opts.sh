#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by build-qemu.sh (the patched QEMU) and build-qemu-stock.sh (the
# same source without the series, the oracle of tests-kvm/): both must be
# configured alike, or their KVM ioctls would differ for reasons that have
# nothing to do with the series.  Sets configure_opts; needs $top.
configure_opts=(--target-list=x86_64-softmmu --python=/usr/bin/python3
                --disable-download --without-default-features
                --enable-tcg --enable-kvm --enable-fdt=system --enable-hv-balloon
                --disable-install-blobs --disable-docs --disable-werror)
# ccache: QEMU hands meson its compiler in a machine file, so meson's own
# ccache detection never applies; Debian's ccache masquerade directory
# does.  Paths inside the checkout are hashed relative to it, so another
# clone (CI, a second worktree) hits the same cache.
if [ -x /usr/lib/ccache/gcc ] && [ "${QEMU_HYPERV_CCACHE:-1}" != 0 ]; then
    configure_opts+=(--cc=/usr/lib/ccache/gcc --cxx=/usr/lib/ccache/g++)
    export CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=true
fi
