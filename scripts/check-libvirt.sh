#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-libvirt: the installed qemu-system-x86_64 driven by Debian 12's
# own libvirt 9.0, as a user drives it, with make demo's guest.
#
#   1. Debian's libvirt-daemon, libvirt-daemon-driver-qemu and
#      libvirt-clients (scripts/install-deps.sh libvirt), QEMU built as
#      "make" does, "make install PREFIX=build/libvirt/prefix", and make
#      demo's guest (scripts/demo-guest.sh, cached)
#   2. a libvirtd of our own: session mode (qemu:///session), its
#      configuration, socket and state under build/libvirt/state, no
#      systemd; stopped at the end, also when something fails
#   3. scripts/check-libvirt.py: TCG domains (<domain type='qemu'>, q35,
#      <cpu mode='maximum'/>, <emulator> = the installed binary) with the
#      seed's <hyperv> block, mode='custom' with every child libvirt 9.0
#      knows, mode='passthrough', only <timer name='hypervclock'/>, no
#      <hyperv>, vendor_id 'KVM Hv'; and the domains libvirt must refuse
#      (evmcs on, stimer without hypervclock) with the documented message
#
# Prints TAP ("libvirt NAME: ..."), saved to build/libvirt/check-libvirt.tap,
# and ends with "N passed, N failed".  Logs: build/libvirt/runs/<domain>/
# (domain.xml, serial.log, domain.log: libvirt's log with the QEMU command
# line) and build/libvirt/libvirtd.log.
#
# Settings: CHECK_LIBVIRT_TIMEOUT=300 (seconds per boot),
# CHECK_LIBVIRT_ONLY=seed,custom (some domains only), CHECK_LIBVIRT_USERNS=0
# (run libvirtd through setpriv even where user namespaces work).
set -e -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export BUILD_DIR
source "$here/apt-private.sh"

lv="$BUILD_DIR/libvirt"
mkdir -p "$lv"
# One run at a time per build directory: a second libvirtd on the same
# state would take the first one's domains.  -o: the libvirtd started
# below must not inherit the lock.
if [ -z "$QEMU_HYPERV_LIBVIRT_LOCKED" ]; then
    export QEMU_HYPERV_LIBVIRT_LOCKED=1
    exec flock -o "$lv/.lock" bash "$0" "$@"
fi
t_all=$SECONDS
step() { echo ">> $*"; }

# 1. What it needs.
step "libvirt: Debian's libvirt 9.0, QEMU, make install, the demo guest"
EXTRA_PKGS="${EXTRA_PKGS:+$EXTRA_PKGS }cpio kmod" bash "$here/install-deps.sh" libvirt
bash "$here/build-qemu.sh" > "$lv/build.out" || { cat "$lv/build.out"; die "building QEMU failed"; }
PREFIX="$lv/prefix" DESTDIR= bash "$here/install.sh" install > "$lv/install.out" ||
    { cat "$lv/install.out"; die "make install PREFIX=$lv/prefix failed"; }
tail -n 3 "$lv/install.out" | head -n 1
emulator="$lv/prefix/bin/qemu-system-x86_64"
bash "$here/demo-guest.sh" "$lv/guest.env" > "$lv/guest.out" 2>&1 ||
    { cat "$lv/guest.out"; die "building the demo guest failed"; }
source "$lv/guest.env"
echo "   guest: Debian $DEMO_GUEST_PKG + busybox initramfs (scripts/demo-init.sh)"
echo "   $(virsh --version | sed 's/^/virsh /'), $(libvirtd --version) ($((SECONDS - t_all)) s so far)"
t_domains=$SECONDS

# 2. libvirtd.  A root libvirtd is the system daemon, with its state fixed
# under /etc, /run and /var/lib/libvirt; an unprivileged one is a session
# daemon that keeps everything in its XDG directories.  So it runs as
# nobody, preferably in a user namespace that maps root to nobody: libvirtd
# sees uid 65534, while the files it reads and writes stay root's, so the
# checkout may be anywhere (under /root too).  Where user namespaces are
# not allowed (some container policies), setpriv makes it nobody for real,
# which then must be able to read the checkout.
state="$lv/state"
# UNIX socket paths (QEMU's monitor: <config>/libvirt/qemu/lib/domain-N-NAME/
# monitor.sock) must fit in 108 bytes: a deep checkout gets a short link.
if [ $(( ${#state} + 70 )) -gt 107 ]; then
    short="/tmp/qemu-hyperv-lv-$(echo "$state" | sha256sum | cut -c1-12)"
    mkdir -p "$state"
    ln -sfn "$state" "$short"
    state=$short
fi
mkdir -p "$state"/{home,config,runtime,cache}
chmod 700 "$state/runtime"
# LIBVIRT_AUTOSTART=0: virsh must not start a session libvirtd of its own
# when ours is not (yet) there.
xdg=(env HOME="$state/home" XDG_CONFIG_HOME="$state/config" XDG_RUNTIME_DIR="$state/runtime"
     XDG_CACHE_HOME="$state/cache" LIBVIRT_AUTOSTART=0 LC_ALL=C)
if [ "${CHECK_LIBVIRT_USERNS:-1}" != 0 ] && unshare --user --map-user=65534 --map-group=65534 true 2> /dev/null; then
    as_nobody=(unshare --user --map-user=65534 --map-group=65534 -- "${xdg[@]}")
    how="a user namespace (root mapped to nobody)"
    # Root's again, should an earlier run have used setpriv.
    mkdir -p "$lv/runs"
    chown -R 0:0 "$state/" "$lv/runs"
else
    as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups -- "${xdg[@]}")
    how="setpriv (as nobody)"
    mkdir -p "$lv/runs"
    chown -R 65534:65534 "$state/" "$lv/runs"
    for f in "$emulator" "$DEMO_GUEST_KERNEL" "$DEMO_GUEST_INITRD"; do
        "${as_nobody[@]}" test -r "$f" ||
            die "user namespaces are not allowed here and nobody cannot read $f: use a checkout that every user can read (e.g. under /srv)"
    done
fi

# Stop a process of ours by its pid file, if it is still what the file
# says: kill_ours <pid file> <regex its command line matches> [signal].
kill_ours() {
    local p
    [ -s "$1" ] || return 0
    p=$(cat "$1")
    if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' < "/proc/$p/cmdline" | grep -q -- "$2"; then
        kill "${3:--TERM}" "$p" 2> /dev/null || true
    fi
}
# libvirt's helper daemons, which it would start on demand and which outlive
# it, and a libvirtd left running by an interrupted run (their pid files
# are in our state directory).
kill_helpers() {
    kill_ours "$state/runtime/libvirt/virtlogd.pid" '^/usr/sbin/virtlogd '
    kill_ours "$state/runtime/libvirt/virtlockd.pid" '^/usr/sbin/virtlockd '
}
kill_ours "$state/runtime/libvirt/libvirtd.pid" "^libvirtd --config $lv/libvirtd.conf "
kill_helpers

cat > "$lv/libvirtd.conf" << EOF
# make check-libvirt's session libvirtd (scripts/check-libvirt.sh)
log_outputs="3:file:$lv/libvirtd.log"
EOF
# The domain logs are written by libvirtd itself, not through virtlogd.
mkdir -p "$state/config/libvirt"
cat > "$state/config/libvirt/qemu.conf" << EOF
# make check-libvirt (scripts/check-libvirt.sh)
stdio_handler = "file"
EOF
rm -f "$lv/libvirtd.log"
: > "$lv/libvirtd.log"
[ "$how" = "setpriv (as nobody)" ] && chown 65534:65534 "$lv/libvirtd.log"
virsh=("${as_nobody[@]}" virsh -q -c qemu:///session)
libvirtd_pid=
stop_libvirtd() {
    [ -n "$libvirtd_pid" ] || return 0
    local d f
    # Domains first: libvirtd leaves running QEMUs behind when it exits.
    for d in $("${virsh[@]}" list --name 2> /dev/null); do
        "${virsh[@]}" destroy "$d" > /dev/null 2>&1 || true
    done
    kill "$libvirtd_pid" 2> /dev/null || true
    for _ in $(seq 20); do
        kill -0 "$libvirtd_pid" 2> /dev/null || break
        sleep 0.5
    done
    kill -9 "$libvirtd_pid" 2> /dev/null || true
    kill_helpers
    for f in "$state"/runtime/libvirt/qemu/run/*.pid; do
        kill_ours "$f" "^$emulator " -KILL
    done
    libvirtd_pid=
}
trap stop_libvirtd EXIT
trap 'exit 130' INT TERM

step "libvirt: starting libvirtd (qemu:///session in $state, through $how)"
"${as_nobody[@]}" libvirtd --config "$lv/libvirtd.conf" > "$lv/libvirtd.out" 2>&1 &
libvirtd_pid=$!
up=0
for _ in $(seq 120); do
    kill -0 "$libvirtd_pid" 2> /dev/null ||
        { cat "$lv/libvirtd.out"; die "libvirtd exited (log: $lv/libvirtd.log)"; }
    if "${virsh[@]}" uri > /dev/null 2>&1; then
        up=1
        break
    fi
    sleep 0.5
done
[ $up = 1 ] || die "libvirtd did not answer within 60 s (log: $lv/libvirtd.log)"

# 3. The domains.
step "libvirt: domains (TCG, 2 vCPUs, 512 MiB, <emulator>$emulator</emulator>)"
tap="$lv/check-libvirt.tap"
rm -f "$tap" "$lv/runs/check-libvirt.tap"
set +e
"${as_nobody[@]}" /usr/bin/python3 "$here/check-libvirt.py" \
    --emulator "$emulator" --kernel "$DEMO_GUEST_KERNEL" --initrd "$DEMO_GUEST_INITRD" \
    --out "$lv/runs" --logdir "$state/cache/libvirt/qemu/log" --tap "$lv/runs/check-libvirt.tap" \
    --timeout "${CHECK_LIBVIRT_TIMEOUT:-300}" --only "${CHECK_LIBVIRT_ONLY:-}"
rc=$?
set -e
stop_libvirtd

cp "$lv/runs/check-libvirt.tap" "$tap" 2> /dev/null || : > "$tap"
# 0: all passed, 1: some failed; anything else: it did not get to the end.
if [ $rc != 0 ] && [ $rc != 1 ]; then
    echo "not ok - libvirt: scripts/check-libvirt.py stopped with status $rc" >> "$tap"
elif [ ! -s "$tap" ]; then
    echo "not ok - libvirt: scripts/check-libvirt.py wrote no results" > "$tap"
fi
passed=$(grep -c '^ok ' "$tap" || true)
failed=$(grep -c '^not ok ' "$tap" || true)
if [ "$failed" != 0 ]; then
    echo "# failed (logs: $lv/runs/<domain>/):"
    grep '^not ok ' "$tap" | cut -c1-300 | sed 's/^/#   /'
fi
echo "# check-libvirt took $((SECONDS - t_all)) s, $((SECONDS - t_domains)) s of them libvirtd and the domains"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
