#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make demo: the report.

  demo-report.py --hv DIR --nohv DIR --cpu CPU_STRING [--guest DESC] [--probe]
  demo-report.py --verdict DIR     "ok", or what went wrong in that run

DIR are the output directories of scripts/demo-run.py (serial.log,
result.json, qemu-stderr.log).  For every hv-* property asked for in CPU_STRING
it prints: in the guest's CPUID (decoded from the guest kernel's
"Hyper-V: privilege flags ..." line, cross-checked with the CPUID the demo
probe read from user space) and used by the guest (with the evidence from
the guest and from QEMU), side by side with the run without hv-*.  Nothing
is inferred that the logs do not show: where a run crashed, hung or the
guest printed nothing, the row says so.

Exit status: 0 when nothing went wrong, 3 when the report lists problems.
"""
import argparse
import json
import os
import re
import sys
import textwrap

# Hyper-V CPUID 0x40000003 / 0x40000004 bits (TLFS), as Linux names them.
FEATURES = {0: 'VP_RUNTIME', 1: 'TIME_REF_COUNT', 2: 'SYNIC', 3: 'SYNTIMER', 4: 'APIC_ACCESS',
            5: 'HYPERCALL', 6: 'VP_INDEX', 7: 'RESET', 8: 'STATS', 9: 'REFERENCE_TSC',
            10: 'GUEST_IDLE', 11: 'FREQUENCY_MSRS', 12: 'DEBUG_MSRS', 13: 'REENLIGHTENMENT',
            15: 'TSC_INVARIANT'}
PRIV_HIGH = {0: 'CreatePartitions', 1: 'AccessPartitionId', 2: 'AccessMemoryPool',
             4: 'PostMessages', 5: 'SignalEvents', 6: 'CreatePort', 7: 'ConnectPort',
             8: 'AccessStats', 11: 'Debugging', 12: 'CpuManagement',
             20: 'EnableExtendedHypercalls'}
MISC = {0: 'MWAIT', 1: 'GUEST_DEBUGGING', 2: 'PERF_MONITOR', 3: 'CPU_DYNAMIC_PARTITIONING',
        4: 'XMM_HYPERCALL_INPUT', 5: 'GUEST_IDLE_STATE', 6: 'HYPERVISOR_SLEEP_STATE',
        8: 'FREQUENCY_MSRS', 10: 'GUEST_CRASH_MSRS', 11: 'DEBUG_MSRS',
        14: 'EXT_GVA_RANGES_FLUSH', 15: 'XMM_HYPERCALL_OUTPUT', 19: 'STIMER_DIRECT_MODE'}
HINTS = {0: 'AS_SWITCH', 1: 'LOCAL_TLB_FLUSH', 2: 'REMOTE_TLB_FLUSH', 3: 'APIC_ACCESS',
         4: 'SYSTEM_RESET', 5: 'RELAXED_TIMING', 9: 'DEPRECATING_AEOI', 10: 'CLUSTER_IPI',
         11: 'EX_PROCESSOR_MASKS', 14: 'ENLIGHTENED_VMCS', 18: 'NO_NONARCH_CORESHARING'}

# property -> the bits that say "offered" (register name, bit)
PROP_BITS = {
    'hv-relaxed': [('hints', 5)],
    'hv-vapic': [('low', 4)],
    'hv-time': [('low', 1), ('low', 9)],
    'hv-crash': [('misc', 10)],
    'hv-reset': [('low', 7)],
    'hv-vpindex': [('low', 6)],
    'hv-runtime': [('low', 0)],
    'hv-synic': [('low', 2)],
    'hv-stimer': [('low', 3)],
    'hv-frequencies': [('low', 11), ('misc', 8)],
    'hv-reenlightenment': [('low', 13)],
    'hv-invtsc': [('low', 15)],
    'hv-guest-idle': [('low', 10), ('misc', 5)],
    'hv-ext-hypercalls': [('high', 20)],
    'hv-tlbflush': [('hints', 2)],
    'hv-ipi': [('hints', 10)],
    'hv-stimer-direct': [('misc', 19)],
    'hv-avic': [('hints', 9)],
    'hv-xmm-input': [('misc', 4)],
    'hv-tlbflush-ext': [('misc', 14)],
    'hv-evmcs': [('hints', 14)],
    'hv-no-nonarch-coresharing': [('hints', 18)],
}


def bits(value, names):
    return ' '.join(names.get(i, 'bit%d' % i) for i in range(32) if value >> i & 1) or '-'


class Run:
    """What one boot left behind."""

    def __init__(self, d):
        self.dir = d
        self.ok = d is not None and os.path.isdir(d)
        self.result = {}
        self.klog = []       # kernel messages, timestamps stripped, in order
        self.demo = []       # "DEMO ..." lines without the prefix
        self.raw = []
        self.stderr = ''
        self.crash_at = None
        self.reported = False
        self.end = 'not run'
        if not self.ok:
            return
        try:
            with open(os.path.join(d, 'result.json')) as f:
                self.result = json.load(f)
        except (OSError, ValueError):
            self.result = {}
        try:
            with open(os.path.join(d, 'serial.log'), errors='replace') as f:
                self.raw = [l.rstrip('\r\n') for l in f]
        except OSError:
            pass
        try:
            with open(os.path.join(d, 'qemu-stderr.log'), errors='replace') as f:
                self.stderr = f.read()
        except OSError:
            pass
        seen = set()
        for i, l in enumerate(self.raw):
            if l.startswith('DEMO-CRASH') and self.crash_at is None:
                self.crash_at = len(self.klog)
            m = re.match(r'^(?:DEMO dmesg )?\[\s*(\d+\.\d+)\]\s?(.*)$', l)
            if m:
                key = (m.group(1), m.group(2))
                if key not in seen:
                    seen.add(key)
                    # The deliberate crash starts here even when the
                    # kernel's lines overtake init's DEMO-CRASH on the console
                    if m.group(2).startswith('sysrq: Trigger a crash') and self.crash_at is None:
                        self.crash_at = len(self.klog)
                    self.klog.append(m.group(2))
            elif l.startswith('DEMO '):
                self.demo.append(l[5:])
        self.end = self.result.get('end', 'not run' if not self.raw else 'unknown')
        self.reported = any(l.startswith('DEMO-REPORT-END') for l in self.raw)

    def hv_counters(self):
        """QEMU's Hyper-V counters summed over the vCPUs (query-hyperv at
        the end of the guest's report), or None."""
        q = (self.result.get('query-hyperv') or {}).get('return') or {}
        if not q.get('enabled'):
            return None
        tot = {'vcpus': 0, 'by-call': {}}
        for v in q.get('vcpus', []):
            c = v.get('counters')
            if not c:
                continue
            tot['vcpus'] += 1
            for k in ('hypercalls', 'hypercall-errors', 'sint-deliveries',
                      'stimer-expirations', 'msr-reads', 'msr-writes'):
                tot[k] = tot.get(k, 0) + c.get(k, 0)
            for h in c.get('hypercalls-by-call', []):
                tot['by-call'][h['call']] = tot['by-call'].get(h['call'], 0) + h['count']
        return tot if tot['vcpus'] else None

    # --- queries ---
    def k(self, pattern):
        """First kernel message matching pattern (regex), or None."""
        r = re.compile(pattern)
        for l in self.klog:
            m = r.search(l)
            if m:
                return m
        return None

    def d(self, prefix):
        return [l[len(prefix):].strip() for l in self.demo if l.startswith(prefix)]

    def d1(self, prefix):
        v = self.d(prefix)
        return v[-1] if v else None

    def irq(self, phase, name):
        for l in self.d('irq %s %s ' % (phase, name)):
            try:
                return int(l.split()[0])
            except (ValueError, IndexError):
                return None
        return None

    def irq_delta(self, name, a='before-stress', b='after-stress'):
        x, y = self.irq(a, name), self.irq(b, name)
        return None if x is None or y is None else y - x

    def flags(self):
        m = self.k(r'Hyper-V: privilege flags low (0x[0-9a-f]+), high (0x[0-9a-f]+),'
                   r'(?: ext (0x[0-9a-f]+),)? hints (0x[0-9a-f]+), misc (0x[0-9a-f]+)')
        if m:
            return {'low': int(m.group(1), 16), 'high': int(m.group(2), 16),
                    'hints': int(m.group(4), 16), 'misc': int(m.group(5), 16), 'src': 'dmesg'}
        m = self.k(r'Hyper-V: features (0x[0-9a-f]+), hints (0x[0-9a-f]+)')
        if m:
            return {'low': int(m.group(1), 16), 'high': 0, 'hints': int(m.group(2), 16),
                    'misc': 0, 'src': 'dmesg (old format: no misc)'}
        return None

    def cpuid(self):
        leaves = {}
        for l in self.d('cpuid 0x'):
            p = ('0x' + l).split()
            if len(p) == 5:
                leaves[int(p[0], 16)] = [int(x, 16) for x in p[1:]]
        return leaves

    def stress(self, what):
        for l in self.d('stress '):
            if l.startswith(what + ' '):
                p = l.split()
                return dict(zip(p[1::2], p[2::2]))
        return None

    def clockevents(self):
        return self.d('timer_list Clock Event Device:')

    def problems(self):
        """Kernel warnings, oopses and stalls before any deliberate crash."""
        klog = self.klog[:self.crash_at] if self.crash_at is not None else self.klog
        pat = re.compile(r'WARNING:|BUG:|Oops|general protection|soft lockup|hung_task|rcu.*stall|'
                         r'unchecked MSR access|Kernel panic|segfault')
        return [l for l in klog if pat.search(l)]

    def event(self, name):
        for e in self.result.get('events', []):
            if e['event'] == name:
                return e
        return None

    def crashed_in(self):
        """Which init step the guest was in when the run ended badly."""
        steps = [l for l in self.demo if l.startswith('step ')]
        return steps[-1][5:] if steps else ('kernel boot' if self.klog else 'firmware/before the kernel')


def requested_props(cpu):
    props = {}
    for p in cpu.split(',')[1:]:
        name, _, val = p.partition('=')
        if name.startswith('hv-') and val not in ('off', 'false', 'no'):
            props[name] = val or 'on'
    return props


BAD_ENDS = ('timeout', 'qemu-crash', 'stuck-at-end', 'qemu-exit', 'unknown')


def describe_end(r):
    res = r.result
    if not r.ok or not res:
        return 'not run'
    end = res.get('end')
    t = res.get('seconds')
    s = {'poweroff': 'powered off', 'panic': 'panicked (deliberately)', 'reboot': 'rebooted',
         'timeout': 'HUNG: timed out', 'qemu-crash': 'QEMU CRASHED (rc %s)' % res.get('rc'),
         'stuck-at-end': 'HUNG after its report', 'observed': 'stopped at DEMO_TIMEOUT',
         'qemu-exit': 'QEMU exited (rc %s)' % res.get('rc')}.get(end, end)
    first_err = next((l.strip() for l in r.stderr.splitlines() if l.strip()), '')
    if end == 'qemu-exit' and not r.raw and first_err:
        s += ': %s' % first_err
    elif end in BAD_ENDS:
        s += ' during "%s"' % r.crashed_in()
    return '%s after %ss' % (s, t)


def evaluate(prop, val, H, N, offered):
    """-> (used, evidence with hv-*, without hv-*)"""
    broken = H.end in BAD_ENDS
    fl = H.flags()
    why_missing = 'no guest report: the run %s' % describe_end(H) if H.demo else \
        'not visible without the demo init (no /proc or /sys report from this guest)'

    def tsc_calib(r):
        m = r.k(r'tsc: (Fast TSC calibration[^\n]*|Unable to calibrate[^\n]*|Detected [0-9.]+ MHz processor)')
        return m.group(1) if m else None

    if prop == 'hv-relaxed':
        return ('n/a', 'Linux does not act on this hint (Windows relaxes its watchdogs)', '-')
    if prop == 'hv-runtime':
        return ('n/a', 'Linux x86 guests do not read the VP runtime MSR (Windows does)', '-')
    if prop == 'hv-reset':
        return ('n/a', 'Linux resets through ACPI/the keyboard controller, not the reset MSR', '-')
    if prop == 'hv-spinlocks':
        leaves = H.cpuid()
        ebx = leaves.get(0x40000004, [0, None])[1]
        m = H.k(r'Hyper-V: PV spinlocks (enabled|disabled)')
        ev = '0x40000004.EBX = %s (retry count; Linux ignores it)' % ('0x%x' % ebx if ebx is not None else '?')
        if m and m.group(1) == 'disabled':
            return ('no', ev + '; "Hyper-V: PV spinlocks disabled": Linux also wants the guest-idle '
                    'MSR (0x40000003.EAX[10], hv-guest-idle, TCG only) and the cluster IPI hint (hv-ipi)',
                    '-')
        if m:
            return ('yes', ev + '; "Hyper-V: PV spinlocks enabled"', '-')
        return ('?', ev, '-')
    if prop == 'hv-vapic':
        m = H.k(r'Hyper-V: Using enlightened APIC \((\w+) mode\)')
        nm = N.k(r'(x2apic enabled|x2apic: IRQ remapping doesn\'t support X2APIC mode)')
        nev = 'native %s' % ('x2APIC' if nm and nm.group(1) == 'x2apic enabled' else 'xAPIC')
        if m:
            return ('yes', '"Hyper-V: Using enlightened APIC (%s mode)": EOIs through the synthetic '
                    'EOI MSR' % m.group(1), nev)
        return ('no' if offered else '-', 'no "Using enlightened APIC" line', nev)
    if prop == 'hv-vpindex':
        ok = H.k(r'Hyper-V: Using IPI hypercalls|Using hypercall for remote TLB flush|Vmbus version')
        return ('yes' if ok else '?',
                'read at CPU bring-up; the IPI/flush hypercalls and VMBus address vCPUs by it'
                if ok else 'no user of the VP index seen', '-')
    if prop == 'hv-time':
        cur = H.d1('clocksource current_clocksource') or \
            (H.k(r'clocksource: Switched to clocksource (\S+)') or [None, None])[1]
        ncur = N.d1('clocksource current_clocksource') or \
            (N.k(r'clocksource: Switched to clocksource (\S+)') or [None, None])[1]
        used = 'yes' if cur == 'hyperv_clocksource_tsc_page' else 'no'
        if cur == 'tsc' and H.k(r'clocksource: hyperv_clocksource_tsc_page:') and \
                fl and fl['low'] & (1 << 15):
            # Linux ranks the TSC page below an invariant TSC (hv-invtsc)
            return ('yes', 'TSC page registered; the invariant TSC ranks above it '
                    '(hv-invtsc), current clocksource tsc', 'clocksource %s' % ncur)
        return (used, 'current clocksource %s' % cur, 'clocksource %s' % ncur)
    if prop == 'hv-frequencies':
        m = H.k(r'Hyper-V: LAPIC Timer Frequency: (0x[0-9a-f]+)')
        hc, nc = tsc_calib(H), tsc_calib(N)
        pit = H.k(r'tsc: Fast TSC calibration|Unable to calibrate against PIT')
        if m and not pit:
            return ('yes', 'TSC and APIC timer rates from the MSRs: "LAPIC Timer Frequency: %s", '
                    '"%s", no PIT calibration' % (m.group(1), hc), nc or '-')
        return ('no' if offered else '-', hc or 'no frequency lines', nc or '-')
    if prop == 'hv-synic':
        v = H.k(r'hv_vmbus: Vmbus version:\s*(\S+)')
        hyp = H.irq('final', 'HYP')
        if v and hyp:
            return ('yes', 'VMBus %s over SynIC messages; %d "HYP" (Hypervisor callback) interrupts'
                    % (v.group(1), hyp), 'no HYP vector')
        if v and not H.reported:
            return ('?', 'VMBus %s connected over SynIC messages; %s' % (v.group(1), why_missing), 'no HYP vector')
        return ('no' if offered else '-', 'VMBus did not connect' if not v else 'no HYP interrupts', 'no HYP vector')
    if prop == 'hv-stimer':
        ce = H.clockevents()
        n = ce.count('Hyper-V clockevent')
        nce = sorted(set(N.clockevents()))
        if n:
            return ('yes', 'per-CPU clockevent "Hyper-V clockevent" x%d (/proc/timer_list)' % n,
                    'clockevents %s' % ', '.join(nce) if nce else '-')
        hvs = H.irq('final', 'HVS') or H.irq('before-stress', 'HVS') or H.irq('boot', 'HVS')
        if hvs:
            return ('yes', '%d "HVS" stimer0 interrupts drive the clockevent (the guest did not get to '
                    'report /proc/timer_list)' % hvs, 'clockevents %s' % ', '.join(nce) if nce else '-')
        if not H.reported:
            return ('?', why_missing, 'clockevents %s' % ', '.join(nce) if nce else '-')
        return ('no' if offered else '-', 'clockevents: %s' % (', '.join(sorted(set(ce))) or '?'),
                'clockevents %s' % ', '.join(nce) if nce else '-')
    if prop == 'hv-stimer-direct':
        hvs = H.irq('final', 'HVS')
        loc = N.irq('final', 'LOC')
        hloc = H.irq('final', 'LOC')
        if hvs is None:
            hvs = H.irq('before-stress', 'HVS') or H.irq('boot', 'HVS')
            hloc = H.irq('before-stress', 'LOC') or H.irq('boot', 'LOC')
        if hvs is None:
            return ('?', why_missing, '%s LOC (APIC timer) interrupts' % loc if loc is not None else '-')
        ev = '%s "HVS" (stimer0 direct) interrupts, %s LOC (APIC timer)' % (hvs, hloc)
        return ('yes' if hvs else 'no' if offered else '-', ev,
                '%s LOC (APIC timer) interrupts' % loc if loc is not None else '-')
    if prop in ('hv-ipi', 'hv-tlbflush'):
        what, line = ('ipi', 'Hyper-V: Using IPI hypercalls') if prop == 'hv-ipi' else \
                     ('tlb', 'Using hypercall for remote TLB flush')
        said = H.k(re.escape(line))
        hs, ns = H.stress(what), N.stress(what)
        nev = '-'
        if what == 'tlb':
            nd = N.irq_delta('TLB')
            if ns:
                nev = '%s flushes: +%s TLB-shootdown IPIs, %s stale, %s ms' % (
                    ns.get('iterations'), nd, ns.get('stale'), ns.get('ms'))
        else:
            nd = N.irq_delta('RES')
            if ns:
                nev = '%s wake-ups: RES +%s, %s ms' % (ns.get('pingpong'), nd, ns.get('ms'))
        if not said:
            return ('no' if offered else '-', 'the guest did not choose hypercalls', nev)
        if broken and not hs and H.crashed_in() == 'stress' and (what == 'tlb' or H.stress('tlb')):
            return ('FAIL', '"%s", then the run %s while the guest was doing %s' % (
                line, {'qemu-crash': 'QEMU crashed', 'timeout': 'hung'}.get(H.end, H.end),
                'remote TLB flushes' if what == 'tlb' else 'cross-CPU wake-ups'), nev)
        skip = H.d1('stress skip')
        if skip:
            return ('?', '"%s"; not exercised: %s' % (line, skip), nev)
        if not hs:
            return ('?', '"%s"; %s' % (line, why_missing if broken else 'no stress result'), nev)
        if what == 'tlb':
            hd = H.irq_delta('TLB')
            stale = int(hs.get('stale', '0'))
            ev = '"%s"; %s remote flushes: +%s TLB-shootdown IPIs, %s stale reads, %s ms' % (
                line, hs.get('iterations'), hd, stale, hs.get('ms'))
            used = 'FAIL' if stale else 'yes' if hd is not None and hd < 50 else '?'
            return (used, ev, nev)
        hd = H.irq_delta('RES')
        return ('yes', '"%s"; %s cross-CPU wake-ups delivered (RES +%s), %s ms' % (
            line, hs.get('pingpong'), hd, hs.get('ms')), nev)
    if prop == 'hv-crash':
        e = H.event('GUEST_PANICKED')
        ne = N.event('GUEST_PANICKED')
        nev = 'panic: no GUEST_PANICKED, %s' % N.end if N.crash_at is not None and not ne else \
              ('GUEST_PANICKED %s' % ne['data'] if ne else '-')
        if e:
            info = e['data'].get('info', {})
            if info.get('type') == 'hyper-v':
                a = [info.get('arg%d' % i, 0) for i in range(1, 6)]
                gid = a[1]
                osid = ''
                if gid >> 63 and (gid >> 48) & 0x7f00 == 0x0100:
                    v = (gid >> 16) & 0xffffff
                    osid = ' = Linux %d.%d.%d' % (v >> 16, v >> 8 & 0xff, v & 0xff)
                rip = H.k(r'RIP: 0033:(0x[0-9a-f]+)')
                same = ' (= the RIP the guest printed)' if rip and int(rip.group(1), 16) == a[2] else ''
                return ('yes', 'deliberate panic -> QMP GUEST_PANICKED, Hyper-V crash MSRs: P0 %#x, '
                        'P1 guest OS id %#x%s, P2 RIP %#x%s, P3 %#x, P4 %#x' % (
                            a[0], gid, osid, a[2], same, a[3], a[4]), nev)
            return ('?', 'GUEST_PANICKED without Hyper-V parameters: %s' % e['data'], nev)
        if H.crash_at is not None:
            return ('no' if offered else '-', 'the guest panicked; QEMU reported no GUEST_PANICKED', nev)
        return ('?', why_missing if broken else 'no deliberate panic in this run', nev)
    if prop == 'hv-reenlightenment':
        hre = H.irq('final', 'HRE')
        return ('n/a' if not hre else 'yes',
                '"HRE" vector installed (%s interrupts); Linux arms reenlightenment only when it '
                'hosts KVM guests itself' % hre if hre is not None else 'Linux arms it only when it hosts KVM guests',
                '-')
    if prop == 'hv-avic':
        return ('n/a', 'a hint for AMD AVIC hosts', '-')
    if prop == 'hv-guest-idle':
        # Linux's PV qspinlock needs the guest idle MSR and the cluster IPI hint
        m = H.k(r'Hyper-V: PV spinlocks (enabled|disabled)')
        if m and m.group(1) == 'enabled':
            return ('yes', '"Hyper-V: PV spinlocks enabled": lock waiters idle in '
                    'HV_X64_MSR_GUEST_IDLE with IF=0, the unlocker wakes them with an IPI', '-')
        return ('no' if offered else '-', '%s (Linux also wants hv-ipi)' %
                ('"Hyper-V: PV spinlocks %s"' % m.group(1) if m else 'no "PV spinlocks" line'), '-')
    if prop == 'hv-invtsc':
        cur = H.d1('clocksource current_clocksource') or \
            (H.k(r'clocksource: Switched to clocksource (\S+)') or [None, None])[1]
        ncur = N.d1('clocksource current_clocksource') or \
            (N.k(r'clocksource: Switched to clocksource (\S+)') or [None, None])[1]
        unstable = H.k(r'Marking TSC unstable due to ([^\n]*)')
        if cur == 'tsc' and not unstable:
            return ('yes', 'current clocksource tsc, never marked unstable: the guest '
                    'enabled the invariant TSC (HV_X64_MSR_TSC_INVARIANT_CONTROL)',
                    'clocksource %s' % ncur)
        return ('no' if offered else '-', 'current clocksource %s%s' %
                (cur, '; "Marking TSC unstable due to %s"' % unstable.group(1)
                 if unstable else ''), 'clocksource %s' % ncur)
    if prop == 'hv-ext-hypercalls':
        # hv_balloon asks HvExtCallQueryCapabilities for the cold discard
        # hint, then reports freed pages with HvExtCallMemoryHeatHint
        m = H.k(r'(Cold memory discard hint enabled[^\n]*)')
        mh = (H.result or {}).get('memhint') or {}
        if not m:
            return ('no' if offered else '-', 'no "Cold memory discard hint enabled" (hv_balloon '
                    'needs the VMBus hv-balloon device)', '-')
        ev = '"%s"' % m.group(1).strip()
        if not mh.get('history'):
            return ('?', ev + '; no touch-and-free measurement in this run', '-')
        base, ret, t200 = mh.get('rss_touched'), mh.get('returned'), mh.get('t_200mib')
        ev += '; a guest process touched and freed %d MiB: QEMU RSS %s MiB, %s MiB back within %ds%s' % (
            mh.get('mib', 0), base >> 20 if base else '?', ret >> 20 if ret is not None else '?',
            mh.get('watch_seconds', 10), ' (200 MiB after %.1fs)' % t200 if t200 is not None else '')
        if t200 is None:
            return ('FAIL', ev + '; less than 200 MiB came back', '-')
        return ('yes', ev, '-')
    return ('?', 'no check for this property', '-')


def wrap_row(cols, widths):
    cells = [textwrap.wrap(c, w) or [''] for c, w in zip(cols, widths)]
    out = []
    for i in range(max(len(c) for c in cells)):
        out.append('  ' + ' '.join((c[i] if i < len(c) else '').ljust(w) for c, w in zip(cells, widths)).rstrip())
    return out


def verdict(r):
    """What went wrong in one demo-init run, one short phrase each (empty: nothing)."""
    bad = []
    if not r.ok or not r.result:
        return ['not run']
    if r.end not in ('panic', 'poweroff', 'reboot', 'observed'):
        bad.append(describe_end(r))
    elif r.end != 'observed' and not r.reported:
        bad.append('no guest report (%s)' % describe_end(r))
    if r.problems():
        bad.append('guest kernel: %s' % r.problems()[0])
    s = r.stress('tlb')
    if s and int(s.get('stale', 0)):
        bad.append('%s stale TLB reads' % s['stale'])
    return bad


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--verdict':
        bad = verdict(Run(sys.argv[2]))
        print('; '.join(bad) if bad else 'ok')
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument('--hv', required=True)
    ap.add_argument('--nohv')
    ap.add_argument('--cpu', required=True)
    ap.add_argument('--nohv-cpu', default='')
    ap.add_argument('--guest', default='')
    ap.add_argument('--probe', action='store_true', help='the guest runs the demo init (DEMO lines)')
    ap.add_argument('--balloon', default='', help='"on", or why the hv-balloon device is absent')
    ap.add_argument('--tap', help='also write TAP lines (for make check) to this file')
    a = ap.parse_args()
    H, N = Run(a.hv), Run(a.nohv)
    props = requested_props(a.cpu)
    problems = []
    out = []
    w = out.append
    tap_rows = []       # (property, in CPUID, used, evidence)
    tap_devices = []    # (what, ok, evidence)

    w('')
    w('=' * 100)
    w('make demo report: Hyper-V enlightenments under TCG')
    w('=' * 100)
    if a.guest:
        w('guest     %s' % a.guest)
    w('run hv    -cpu %s' % a.cpu)
    w('          -> %s   (logs: %s)' % (describe_end(H), a.hv))
    if a.nohv:
        w('run no-hv -cpu %s' % (a.nohv_cpu or a.cpu.split(',')[0]))
        w('          -> %s   (logs: %s)' % (describe_end(N), a.nohv))

    # QEMU's own complaints (filtered features, errors)
    for r, label in ((H, 'hv'), (N, 'no-hv')):
        for l in r.stderr.splitlines():
            if l.strip() and 'terminating on signal' not in l:
                w('  QEMU (%s): %s' % (label, l.strip()))

    # --- detection ---
    w('')
    w('What the guest detected')
    fl = H.flags()
    hyp = H.k(r'Hypervisor detected: (.*)')
    nhyp = N.k(r'Hypervisor detected: (.*)')
    rows = [('hypervisor', hyp.group(1) if hyp else 'none detected',
             nhyp.group(1) if nhyp else 'none detected')]
    hb = H.k(r'Hyper-V:? Host Build:?\s*(\S+)')
    if hb:
        rows.append(('host build', hb.group(1), '-'))
    if fl:
        rows.append(('0x40000003.EAX', '%#x %s' % (fl['low'], bits(fl['low'], FEATURES)), '-'))
        rows.append(('0x40000003.EBX', '%#x %s' % (fl['high'], bits(fl['high'], PRIV_HIGH)), '-'))
        rows.append(('0x40000003.EDX', '%#x %s' % (fl['misc'], bits(fl['misc'], MISC)), '-'))
        rows.append(('0x40000004.EAX', '%#x %s' % (fl['hints'], bits(fl['hints'], HINTS)), '-'))
    else:
        rows.append(('Hyper-V flags', 'no "Hyper-V: privilege flags" line in the guest log', '-'))
    leaves = H.cpuid()
    nleaves = N.cpuid()

    def sig(ls):
        if 0x40000000 not in ls:
            return None
        b = b''.join(x.to_bytes(4, 'little') for x in ls[0x40000000][1:4])
        return '"%s" (max leaf %#x)' % (b.decode('latin1').rstrip('\0'), ls[0x40000000][0])
    if leaves or nleaves:
        rows.append(('CPUID 0x40000000', sig(leaves) or '-', sig(nleaves) or '-'))
    if fl and 0x40000003 in leaves:
        direct = {'low': leaves[0x40000003][0], 'high': leaves[0x40000003][1],
                  'misc': leaves[0x40000003][3], 'hints': leaves.get(0x40000004, [0])[0]}
        diff = [k for k in direct if k in fl and direct[k] != fl[k]]
        rows.append(('cross-check', 'CPUID read by the probe in user space %s' %
                     ('agrees' if not diff else 'DIFFERS in %s' % diff), '-'))
        if diff:
            problems.append('the CPUID the guest kernel logged differs from what user space reads: %s' % diff)
    def clock(r):
        """Guest seconds vs host seconds between the init's first line and its report."""
        ms = r.result.get('milestones', {})
        g0 = r.d1('init start uptime')
        g1 = r.d1('uptime')
        if g0 is None or g1 is None or 'init-start-line' not in ms or 'uptime-line' not in ms:
            return None, None
        try:
            g = float(g1.split()[0]) - float(g0.split()[0])
        except ValueError:
            return None, None
        h = ms['uptime-line'] - ms['init-start-line']
        return g, h
    cg, ch = clock(H)
    ncg, nch = clock(N)
    if cg is not None or ncg is not None:
        fmt = lambda g, h: 'guest %.1fs in %.1fs of host time' % (g, h) if g is not None else '-'
        rows.append(('guest clock', fmt(cg, ch), fmt(ncg, nch)))
        if cg is not None and ch > 5 and abs(cg - ch) > max(3, 0.1 * ch):
            problems.append('the guest clock (%s) ran %.0f%% off the host\'s: %.1fs while the host counted %.1fs' % (
                H.d1('clocksource current_clocksource') or '?', 100 * (cg - ch) / ch, cg, ch))
    def cur_cs(r):
        m = r.k(r'clocksource: Switched to clocksource (\S+)')
        return r.d1('clocksource current_clocksource') or (m.group(1) + ' (dmesg)' if m else None)
    cs, ncs = cur_cs(H), cur_cs(N)
    if cs or ncs:
        rows.append(('clocksource', cs or '?', ncs or '?'))
        rows.append(('available', H.d1('clocksource available_clocksource') or '?',
                     N.d1('clocksource available_clocksource') or '?'))
    for r_ in wrap_row(('', 'with hv-*', 'without hv-*'), (18, 52, 28)):
        w(r_)
    for name, x, y in rows:
        if not N.ok:
            y = 'not run'
        for r_ in wrap_row((name, x, y), (18, 52, 28)):
            w(r_)

    # --- per enlightenment ---
    if not H.klog and not H.demo:
        w('')
        w('The guest printed no Linux kernel log on the serial console (ttyS0), so there is no')
        w('guest-side evidence to report per enlightenment.  For a Linux guest, boot it with')
        w('console=ttyS0; the console and QEMU logs are in %s.' % a.hv)
        props = {}
    widths = (19, 6, 5, 44, 30)
    if props:
        w('')
        w('Enlightenments: requested -> in the guest\'s CPUID -> used by the guest')
        for r_ in wrap_row(('requested', 'CPUID', 'used', 'evidence (with hv-*)', 'without hv-*'), widths):
            w(r_)
        w('  ' + '-' * (sum(widths) + len(widths) - 1))
    for prop, val in props.items():
        if prop == 'hv-spinlocks':
            ebx = leaves.get(0x40000004, [0, None])[1] if leaves else None
            offered = ebx is not None and ebx != 0xffffffff
            cpuid = ('yes' if offered else 'no') if ebx is not None else '?'
        elif prop in PROP_BITS and fl:
            offered = all(fl[reg] >> b & 1 for reg, b in PROP_BITS[prop])
            cpuid = 'yes' if offered else 'NO'
            if not offered:
                filt = [l for l in H.stderr.splitlines() if prop in l]
                problems.append('%s was requested but is not in the guest\'s CPUID%s' %
                                (prop, ': ' + filt[0].strip() if filt else ''))
        else:
            offered, cpuid = False, '?'
        used, ev, nev = evaluate(prop, val, H, N, offered)
        tap_rows.append((prop, cpuid, used, ev))
        if not N.ok:
            nev = 'not run'
        if used == 'FAIL':
            problems.append('%s: %s' % (prop, ev))
        label = prop if val == 'on' else '%s=%s' % (prop, val)
        for r_ in wrap_row((label, cpuid, used, ev, nev), widths):
            w(r_)

    # --- devices ---
    if a.probe:
        w('')
        w('VMBus devices')
        v = H.k(r'hv_vmbus: Vmbus version:\s*(\S+)')
        nmods = N.d('module hv_vmbus failed:')
        for r_ in wrap_row(('vmbus-bridge', 'yes' if v else 'NO',
                            'hv_vmbus: Vmbus version %s' % v.group(1) if v else
                            'hv_vmbus did not connect (%s)' % (H.d1('module hv_vmbus') or 'not loaded'),
                            'hv_vmbus: %s' % nmods[0].split(':')[-1].strip() if nmods else
                            '-' if N.ok else 'not run'),
                           (19, 12, 44, 30)):
            w(r_)
        if not v and 'vmbus-bridge' in ' '.join(H.result.get('command', [])) and \
                (H.reported or H.d('module hv_vmbus')):
            problems.append('VMBus did not connect (guest step "%s")' % H.crashed_in())
        tap_devices.append(('vmbus-bridge: hv_vmbus connected', bool(v),
                            'Vmbus version %s' % v.group(1) if v else 'no "Vmbus version" line'))
        devs = H.d('vmbus-device ')
        for dv in devs:
            p = dv.split()
            w('    device %s class %s driver %s' % (p[0], p[2] if len(p) > 2 else '?', p[-1]))
        if a.balloon == 'on':
            bound = [dv for dv in devs if dv.split()[-1] == 'hv_balloon']
            tap_devices.append(('hv-balloon: offered on VMBus and bound by hv_balloon',
                                bool(bound), bound[0] if bound else
                                '%d VMBus devices, none bound to hv_balloon' % len(devs)))
        b = H.result.get('balloon')
        bal_ev = ''
        if a.balloon != 'on':
            used, bal_ev = 'n/a', a.balloon or 'not requested'
        elif not b:
            used, bal_ev = 'NO', 'the guest never got to the balloon step'
            problems.append('hv-balloon: %s' % bal_ev)
        elif b.get('error'):
            used, bal_ev = 'NO', b['error']
            problems.append('hv-balloon: %s' % b['error'])
        else:
            before, after, target = b.get('before') or 0, b.get('after') or 0, b['target']
            hist = b.get('history') or []
            t_first = next((t for t, x in hist if x is not None and x < before), None)
            dbg = {}
            for l in H.d('balloon-debugfs after '):
                k_, _, v_ = l.partition(':')
                dbg[k_.strip()] = v_.strip()
            mi_b = H.d1('meminfo before-balloon') or ''
            mi_a = H.d1('meminfo after-balloon') or ''
            mt = lambda s: (re.search(r'MemTotal: (\d+)', s) or [None, '?'])[1]
            bal_ev = 'QMP balloon %d MiB: query-balloon %d -> %d MiB' % (target >> 20, before >> 20, after >> 20)
            if t_first is not None:
                bal_ev += ' (moving %.0fs after the request: QEMU waits 50s after the driver connects)' % (
                    t_first - b.get('requested_at', 0))
            if dbg:
                bal_ev += '; guest hv_balloon: pages_ballooned %s, MemTotal %s -> %s kB' % (
                    dbg.get('pages_ballooned', '?'), mt(mi_b), mt(mi_a))
            used = 'yes' if b.get('reached') else 'NO'
            if not b.get('reached'):
                problems.append('hv-balloon: the guest did not reach the target (%s)' % bal_ev)
        for r_ in wrap_row(('hv-balloon', used, bal_ev, 'no device' if N.ok else 'not run'), (19, 12, 44, 30)):
            w(r_)
        if a.balloon == 'on':
            tap_devices.append(('hv-balloon: balloons when asked over QMP', used == 'yes', bal_ev))

    # --- QEMU's side ---
    hc = H.hv_counters()
    if hc:
        w('')
        w('QEMU\'s Hyper-V counters (query-hyperv when the guest finished its report, %d vCPUs)' %
          hc['vcpus'])
        w('  hypercalls %d (%d with an error status), synthetic MSR reads %d, writes %d' % (
            hc.get('hypercalls', 0), hc.get('hypercall-errors', 0), hc.get('msr-reads', 0),
            hc.get('msr-writes', 0)))
        calls = ', '.join('%s %d' % (k, v) for k, v in sorted(hc['by-call'].items()) if v)
        for r_ in wrap_row((calls or 'no hypercalls',), (96,)):
            w('  ' + r_.strip())
        w('  SINT interrupts %d, synthetic timer expirations %d' % (
            hc.get('sint-deliveries', 0), hc.get('stimer-expirations', 0)))
        flushes = sum(v for k, v in hc['by-call'].items() if 'Flush' in k)
        ipis = sum(v for k, v in hc['by-call'].items() if 'Ipi' in k or 'IPI' in k)
        tap_devices.append(('QEMU counted PV TLB flush hypercalls', flushes > 0,
                            '%d flush hypercalls' % flushes))
        tap_devices.append(('QEMU counted PV IPI hypercalls', ipis > 0, '%d IPI hypercalls' % ipis))
        tap_devices.append(('QEMU counted SINT interrupts and timer expirations',
                            hc.get('sint-deliveries', 0) > 0 and hc.get('stimer-expirations', 0) > 0,
                            '%d SINT interrupts, %d expirations' % (
                                hc.get('sint-deliveries', 0), hc.get('stimer-expirations', 0))))
    elif H.ok and H.reported and 'query-hyperv' in H.result:
        problems.append('query-hyperv gave no Hyper-V counters: %s' %
                        json.dumps(H.result.get('query-hyperv'))[:200])

    # --- problems ---
    for r, label in ((H, 'with hv-*'), (N, 'without hv-*')):
        if not r.ok:
            continue
        if r.end in BAD_ENDS and (a.probe or r.end != 'qemu-exit'):
            tail = r.raw[-8:] or ['(no console output)']
            problems.append('run %s: %s; last console lines:\n%s' % (
                label, describe_end(r), '\n'.join('        | ' + l for l in tail)))
        for l in r.problems()[:12]:
            problems.append('run %s, guest kernel: %s' % (label, l))
        for l in r.d('module ') if r is H else []:
            if 'failed' in l:
                problems.append('run %s: %s' % (label, l))
        s = r.stress('tlb')
        if s and int(s.get('stale', 0)):
            problems.append('run %s: %s stale TLB reads after a remote flush (%s)' % (label, s['stale'], s))
    w('')
    if problems:
        w('PROBLEMS (logs kept under %s)' % os.path.dirname(os.path.abspath(a.hv)))
        for p in problems:
            w('  - ' + p)
    else:
        w('No problems seen: %s, no kernel warnings.' %
          ('both runs ended as expected' if N.ok and N.end != 'observed' else
           'the run ended as expected' if H.end != 'observed' else
           'the guest ran until DEMO_TIMEOUT without a crash'))
    w('')
    print('\n'.join(out))
    if a.tap:
        write_tap(a.tap, H, tap_rows, tap_devices, problems)
    return 3 if problems else 0


# What a Linux 6.1 guest visibly uses when offered (the others are hints
# Linux ignores, or MSRs only Windows reads: "n/a", or "no" with a reason)
LINUX_USES = ('hv-vapic', 'hv-vpindex', 'hv-time', 'hv-synic', 'hv-stimer',
              'hv-stimer-direct', 'hv-frequencies', 'hv-ipi', 'hv-tlbflush',
              'hv-crash', 'hv-invtsc', 'hv-guest-idle', 'hv-ext-hypercalls')


def write_tap(path, H, rows, devices, problems):
    """make check's view of the run: one TAP line per claim."""
    lines = []

    def t(ok, what):
        lines.append('%s - linux guest: %s' % ('ok' if ok else 'not ok',
                                               ' '.join(what.split())))

    hyp = H.k(r'Hypervisor detected: (.*)')
    t(bool(hyp) and 'Hyper-V' in hyp.group(1),
      'detects %s' % (hyp.group(1) if hyp else 'no hypervisor'))
    for prop, cpuid, used, ev in rows:
        t(cpuid == 'yes', '%s in the guest\'s CPUID' % prop)
        if prop in LINUX_USES:
            t(used == 'yes', '%s used: %s' % (prop, ev))
        else:
            t(used not in ('NO', 'FAIL'), '%s (%s): %s' % (prop, used, ev))
    for what, ok, ev in devices:
        t(ok, '%s: %s' % (what, ev))
    t(not problems, 'no problems' if not problems else
      '%d problems: %s' % (len(problems), problems[0].splitlines()[0]))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    sys.exit(main())
