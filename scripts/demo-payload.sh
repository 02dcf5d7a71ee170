#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make demo DEMO_GUEST=payload: build QEMU with qemu-hyperv, boot the
# freestanding qtest payload (cpuid-dump) under TCG with a set of hv-*
# enlightenments and print what it sees in the Hyper-V CPUID leaves, decoded,
# next to what was requested.  Nothing is downloaded for the guest.
# DEMO_CPU (the whole -cpu string, hv-* included) and DEMO_SMP override the
# defaults.  The default demo (a Linux guest) is scripts/demo.sh.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
export BUILD_DIR
bdir="$BUILD_DIR/qemu-build"

# The enlightenments of the libvirt example in the project brief, plus the
# Hyper-V clock (<timer name='hypervclock'/> is hv-time).
DEMO_CPU=${DEMO_CPU:-max,hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-vpindex,hv-runtime,hv-synic,hv-stimer,hv-frequencies,hv-time}
DEMO_SMP=${DEMO_SMP:-2}

QEMU_EXTRA_TARGETS=hv-guest-payload bash "$here/build-qemu.sh" > /dev/null
payload="$bdir/tests/qtest/hyperv/hv-guest.elf"
[ -f "$payload" ] || { echo "error: guest payload $payload was not built" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo ">> booting under TCG: -cpu $DEMO_CPU -smp $DEMO_SMP"
# The payload parks its CPUs when done; stop QEMU once it says so.
"$bdir/qemu-system-x86_64" -accel tcg -machine q35 -m 64 -nodefaults \
    -display none -cpu "$DEMO_CPU" -smp "$DEMO_SMP" \
    -L "$bdir/pc-bios" -L /usr/share/seabios \
    -kernel "$payload" -append "test=cpuid-dump smp=$DEMO_SMP verbose=1" \
    -chardev file,id=dbg,path="$log" -device isa-debugcon,iobase=0xe9,chardev=dbg \
    2> "$log.qemu" &
qemu_pid=$!
for _ in $(seq 300); do
    grep -q "hv-guest: test cpuid-dump" "$log" 2>/dev/null && break
    kill -0 $qemu_pid 2>/dev/null || break
    sleep 0.1
done
kill $qemu_pid 2>/dev/null || true
wait $qemu_pid 2>/dev/null || true
sed 's/^/   QEMU: /' "$log.qemu"
rm -f "$log.qemu"

/usr/bin/python3 - "$DEMO_CPU" "$log" <<'PYEOF'
import re, sys
requested = [p.split('=')[0] for p in sys.argv[1].split(',')[1:]]
leaves = {}
for line in open(sys.argv[2]):
    m = re.match(r'rec cpu0\.cpuid\.([0-9a-f]{8})((?: [0-9a-f]+){4})', line)
    if m:
        leaves[int(m.group(1), 16)] = [int(v, 16) for v in m.group(2).split()]
if not leaves:
    sys.exit("error: the guest reported nothing")
def s12(regs):
    return b''.join(r.to_bytes(4, 'little') for r in regs).decode('latin1').rstrip('\0')
sig = s12(leaves[0x40000000][1:4])
print(">> guest CPUID 0x40000000: \"%s\", highest leaf 0x%08x" % (sig, leaves[0x40000000][0]))
if sig != "Microsoft Hv":
    print("   (no Hyper-V interface offered)")
feat = leaves.get(0x40000003, [0] * 4)
info = leaves.get(0x40000004, [0] * 4)
# property -> (leaf register, bits) as the TLFS defines them
bits = {
    'hv-runtime': (feat[0], 1 << 0), 'hv-time': (feat[0], (1 << 1) | (1 << 9)),
    'hv-synic': (feat[0], 1 << 2), 'hv-stimer': (feat[0], 1 << 3),
    'hv-vapic': (feat[0], 1 << 4), 'hv-vpindex': (feat[0], 1 << 6),
    'hv-reset': (feat[0], 1 << 7), 'hv-frequencies': (feat[0], 1 << 11),
    'hv-reenlightenment': (feat[0], 1 << 13), 'hv-crash': (feat[3], 1 << 10),
    'hv-stimer-direct': (feat[3], 1 << 19), 'hv-xmm-input': (feat[3], 1 << 4),
    'hv-relaxed': (info[0], 1 << 5), 'hv-tlbflush': (info[0], 1 << 2),
    'hv-ipi': (info[0], 1 << 10), 'hv-avic': (info[0], 1 << 9),
    'hv-evmcs': (info[0], 1 << 14),
}
print(">> %-20s %s" % ("requested", "in the guest's CPUID"))
for p in requested:
    if p == 'hv-spinlocks':
        print("   %-20s %s" % (p, "yes (retries 0x%x)" % info[1] if info[1] != 0xffffffff else "no"))
    elif p in bits:
        reg, mask = bits[p]
        print("   %-20s %s" % (p, "yes" if reg & mask == mask else "no (filtered: see the warning above)"))
print(">> hypercall MSR offered: %s" % ("yes" if feat[0] & (1 << 5) else "no"))
top_leaf = leaves[0x40000000][0]
print(">> the guest's hypervisor leaves (eax ebx ecx edx):")
for leaf in sorted(leaves):
    if leaf > top_leaf and leaf < 0x40000100:
        continue
    print("   0x%08x: %s" % (leaf, " ".join("%08x" % v for v in leaves[leaf])))
PYEOF
