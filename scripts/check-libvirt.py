#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make check-libvirt: make demo's guest in libvirt domains, as TAP.

  check-libvirt.py --emulator QEMU --kernel K --initrd I --out DIR --logdir D
                   [--tap FILE] [--timeout S] [--only NAME,...]

Runs where scripts/check-libvirt.sh has put it: next to a session libvirtd
(qemu:///session, its state in the XDG directories of the environment).
Each domain is a transient TCG domain (<domain type='qemu'>, "virsh
create") whose <emulator> is the installed qemu-system-x86_64.  A domain
that should boot runs make demo's guest (scripts/demo-init.sh) with its
console in a file; the guest powers off, or panics on purpose where the
domain has <panic model='hyperv'/>.  Its console and libvirt's domain log
are then judged by scripts/demo-report.py's code: what the guest detected,
each hv-* property in its CPUID and used where Linux uses it.  A domain
that should be refused must fail "virsh create" with the message that
docs/libvirt.md quotes.  libvirt's own -cpu string is checked too.

Every TAP line starts with "libvirt NAME:".  Exit status 0 when all passed.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('demo_report', os.path.join(HERE, 'demo-report.py'))
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

VIRSH = ['virsh', '-q', '-c', 'qemu:///session']

# The seed document's <hyperv> block and clock, verbatim.
SEED_HYPERV = """<hyperv>
      <relaxed state='on'/>
      <vapic state='on'/>
      <spinlocks state='on' retries='8191'/>
      <vpindex state='on'/>
      <runtime state='on' />
      <synic state='on'/>
      <stimer state='on'/>
      <frequencies state='on'/>
    </hyperv>"""
SEED_CLOCK = """<clock offset='localtime'>
    <timer name='hypervclock' present='yes'/>
  </clock>"""
SEED_CPU = ('max,hv-time=on,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff,hv-vpindex=on,'
            'hv-runtime=on,hv-synic=on,hv-stimer=on,hv-frequencies=on')


# TCG's most complete model, as make demo uses (-cpu max).
CPU = "<cpu mode='maximum'/>"


def seed_with(extra):
    return SEED_HYPERV.replace('</hyperv>', '  %s\n    </hyperv>' % extra)


# Every child libvirt 9.0 knows (its domaincommon.rng), each on, but evmcs:
# that one is refused under TCG (see "seed+evmcs").
CUSTOM_HYPERV = """<hyperv mode='custom'>
      <relaxed state='on'/>
      <vapic state='on'/>
      <spinlocks state='on' retries='8191'/>
      <vpindex state='on'/>
      <runtime state='on'/>
      <synic state='on'/>
      <stimer state='on'><direct state='on'/></stimer>
      <reset state='on'/>
      <vendor_id state='on' value='Microsoft Hv'/>
      <frequencies state='on'/>
      <reenlightenment state='on'/>
      <tlbflush state='on'/>
      <ipi state='on'/>
      <evmcs state='off'/>
      <avic state='on'/>
    </hyperv>"""
UTC_HVCLOCK = """<clock offset='utc'>
    <timer name='hypervclock' present='yes'/>
  </clock>"""

# What the guest gets from hv-passthrough under TCG (docs/libvirt.md).
PASSTHROUGH_PROPS = ['hv-relaxed', 'hv-vapic', 'hv-time', 'hv-crash', 'hv-reset', 'hv-vpindex',
                     'hv-runtime', 'hv-synic', 'hv-stimer', 'hv-stimer-direct', 'hv-frequencies',
                     'hv-reenlightenment', 'hv-tlbflush', 'hv-tlbflush-ext', 'hv-ipi', 'hv-avic',
                     'hv-xmm-input']

# name, what, <features> children, <clock>, panic device, VMBus, expectation.
# "boot": the -cpu string libvirt must emit and whether the guest detects
# Hyper-V; "refuse": the message "virsh create" must fail with.
DOMAINS = [
    dict(name='no-hyperv', what='no <hyperv>, no hypervclock', hyperv='', clock="<clock offset='utc'/>",
         cpu='max', detect=False),
    dict(name='seed', what="the seed's <hyperv> block and <clock>, verbatim", hyperv=SEED_HYPERV,
         clock=SEED_CLOCK, vmbus=True, cpu=SEED_CPU, detect=True),
    dict(name='custom', what="mode='custom', every child libvirt 9.0 knows (evmcs off), "
         "<panic model='hyperv'/>", hyperv=CUSTOM_HYPERV, clock=UTC_HVCLOCK, panic=True, vmbus=True,
         cpu='max,hv-time=on,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff,hv-vpindex=on,hv-runtime=on,'
             'hv-synic=on,hv-stimer=on,hv-stimer-direct=on,hv-reset=on,hv-vendor-id=Microsoft Hv,'
             'hv-frequencies=on,hv-reenlightenment=on,hv-tlbflush=on,hv-ipi=on,hv-avic=on,hv-crash',
         detect=True),
    dict(name='passthrough', what="<hyperv mode='passthrough'/>, <panic model='hyperv'/>",
         hyperv="<hyperv mode='passthrough'/>", clock="<clock offset='utc'/>", panic=True, vmbus=True,
         cpu='max,hv-passthrough=on,hv-crash', props=PASSTHROUGH_PROPS, detect=True),
    # Linux wants the VP_INDEX MSR before it takes the partition for
    # Hyper-V (ms_hyperv_platform()): the TSC page alone is not enough.
    dict(name='hypervclock', what="only <timer name='hypervclock'/>", hyperv='',
         clock=UTC_HVCLOCK, cpu='max,hv-time=on', detect=False,
         why='x86/hyperv: VP_INDEX MSR not available'),
    dict(name='vendor-kvm', what="the seed's block plus <vendor_id state='on' value='KVM Hv'/>",
         hyperv=seed_with("<vendor_id state='on' value='KVM Hv'/>"), clock=SEED_CLOCK,
         cpu=SEED_CPU.replace('hv-stimer=on,', 'hv-stimer=on,hv-vendor-id=KVM Hv,'), detect=False),
    dict(name='seed+evmcs', what="the seed's block plus <evmcs state='on'/>",
         hyperv=seed_with("<evmcs state='on'/>"), clock=SEED_CLOCK,
         refuse="unsupported configuration: host doesn't support hyperv 'evmcs' feature",
         qemu_says="warning: TCG doesn't support requested feature: hv-evmcs"),
    dict(name='seed+evmcs-off', what="the seed's block plus <evmcs state='off'/>",
         hyperv=seed_with("<evmcs state='off'/>"), clock=SEED_CLOCK, cpu=SEED_CPU, start_only=True),
    dict(name='seed-no-hypervclock', what="the seed's block without its hypervclock timer",
         hyperv=SEED_HYPERV, clock="<clock offset='localtime'/>",
         refuse='Hyper-V synthetic timers (hv-stimer) requires Hyper-V clocksources (hv-time)'),
]


def domain_xml(d, a, serial):
    append = 'console=ttyS0 panic=-1 demo.stress=%d' % a.stress
    if d.get('panic'):
        append += ' demo.crash=1'
    features = '<acpi/>\n    %s' % d['hyperv'] if d['hyperv'] else '<acpi/>'
    devices = ["<emulator>%s</emulator>" % a.emulator,
               "<serial type='file'><source path='%s' append='off'/><target port='0'/></serial>" % serial,
               "<memballoon model='none'/>"]
    if d.get('panic'):
        devices.append("<panic model='hyperv'/>")
    # libvirt 9.0 has no VMBus device: QEMU's vmbus-bridge is added as an
    # argument, so that Linux connects VMBus over the SynIC.
    qemu_ns = ''
    if d.get('vmbus'):
        qemu_ns = ("  <qemu:commandline>\n    <qemu:arg value='-device'/>\n"
                   "    <qemu:arg value='vmbus-bridge'/>\n  </qemu:commandline>\n")
    return """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>%(name)s</name>
  <memory unit='MiB'>512</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>%(kernel)s</kernel>
    <initrd>%(initrd)s</initrd>
    <cmdline>%(append)s</cmdline>
  </os>
  <features>
    %(features)s
  </features>
  %(cpu)s
  %(clock)s
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    %(devices)s
  </devices>
%(qemu_ns)s</domain>
""" % dict(name=d['name'], kernel=a.kernel, initrd=a.initrd, append=append, features=features,
           cpu=CPU, clock=d['clock'], devices='\n    '.join(devices), qemu_ns=qemu_ns)


def canon(e):
    """An XML element as comparable data: tag, attributes, children."""
    return (e.tag, sorted(e.attrib.items()), [canon(c) for c in e])


def readme_example(path):
    """The README's libvirt example must be what the 'seed' domain boots:
    -> [(ok, what)]."""
    import xml.etree.ElementTree as ET
    try:
        with open(path) as f:
            text = f.read()
        sect = text[text.index('\n## libvirt\n'):]
        block = re.search(r'```xml\n(.*?)```', sect, re.S).group(1)
        dom = ET.fromstring(block)
    except (OSError, ValueError, AttributeError, ET.ParseError) as e:
        return [(False, 'README.md: no parsable ```xml block under "## libvirt" (%s)' % e)]
    want = {'features/hyperv': ET.fromstring(SEED_HYPERV), 'clock': ET.fromstring(SEED_CLOCK),
            'cpu': ET.fromstring(CPU)}
    res = []
    for where, w in want.items():
        got = dom.find(where)
        res.append((got is not None and canon(got) == canon(w),
                    "README.md's example has the seed domain's <%s>" % where))
    emu = dom.findtext('devices/emulator') or ''
    res.append((emu == '/usr/local/bin/qemu-system-x86_64',
                "README.md's example points <emulator> at make install's default, %s" % (emu or 'nothing')))
    return res


def virsh(*args, timeout=120):
    try:
        p = subprocess.run(VIRSH + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, '', 'virsh %s: no answer from libvirtd in %ds' % (' '.join(args), timeout)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def domain_log(a, name):
    try:
        with open(os.path.join(a.logdir, name + '.log'), errors='replace') as f:
            return f.read()
    except OSError:
        return ''


def cpu_arg(log):
    """The -cpu argument of the last QEMU command line in a domain log."""
    m = re.findall(r"^-cpu (?:'([^']*)'|(\S+)) \\$", log, re.M)
    return (m[-1][0] or m[-1][1]) if m else None


def qemu_lines(log):
    return [l for l in log.splitlines() if 'qemu-system-x86_64: ' in l and 'terminating on signal' not in l]


def start(d, a, out):
    """virsh create; -> (rc, stderr, the domain log so far)."""
    os.makedirs(out, exist_ok=True)
    serial = os.path.join(out, 'serial.log')
    for f in (serial, os.path.join(a.logdir, d['name'] + '.log')):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass
    xml = os.path.join(out, 'domain.xml')
    with open(xml, 'w') as f:
        f.write(domain_xml(d, a, serial))
    rc, _, err = virsh('create', xml)
    return rc, err


def wait_gone(name, timeout):
    """Wait until the transient domain is gone; -> seconds, or None on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        rc, out, _ = virsh('domstate', name)
        if rc != 0:
            return time.monotonic() - t0
        time.sleep(1)
    return None


def collect(d, out, log, seconds):
    """Make the run directory look like scripts/demo-run.py's."""
    res = {'label': d['name'], 'command': ['-cpu', cpu_arg(log) or '?'], 'milestones': {},
           'balloon': None, 'events': [], 'seconds': round(seconds or 0, 1)}
    m = re.search(r"panic hyper-v: arg1='(\w+)', arg2='(\w+)', arg3='(\w+)', arg4='(\w+)', arg5='(\w+)'", log)
    if m:
        info = {'type': 'hyper-v'}
        for i in range(5):
            info['arg%d' % (i + 1)] = int(m.group(i + 1), 16)
        res['events'].append({'t': 0, 'event': 'GUEST_PANICKED', 'data': {'action': 'pause', 'info': info}})
    reason = re.findall(r'shutting down, reason=(\S+)', log)
    reason = reason[-1] if reason else None
    if seconds is None:
        res['end'] = 'timeout'
    else:
        res['end'] = {'crashed': 'panic', 'shutdown': 'poweroff', 'destroyed': 'poweroff'}.get(
            reason, 'qemu-exit')
    res['libvirt-reason'] = reason
    res['rc'] = 0
    with open(os.path.join(out, 'qemu-stderr.log'), 'w') as f:
        f.write('\n'.join(qemu_lines(log)) + '\n')
    with open(os.path.join(out, 'domain.log'), 'w') as f:
        f.write(log)
    with open(os.path.join(out, 'result.json'), 'w') as f:
        json.dump(res, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--emulator', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--initrd', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--logdir', required=True, help="libvirt's domain log directory")
    ap.add_argument('--tap')
    ap.add_argument('--timeout', type=float, default=300)
    ap.add_argument('--stress', type=int, default=400)
    ap.add_argument('--only', default='')
    ap.add_argument('--readme', default=os.path.join(HERE, '..', 'README.md'))
    a = ap.parse_args()
    only = [n for n in a.only.split(',') if n]
    lines = []

    if a.tap:
        open(a.tap, 'w').close()

    def t(ok, name, what):
        l = '%s - libvirt %s: %s' % ('ok' if ok else 'not ok', name, ' '.join(str(what).split()))
        lines.append(l)
        print(l, flush=True)
        if a.tap:   # as it goes: what was checked survives a crash of this script
            with open(a.tap, 'a') as f:
                f.write(l + '\n')

    runs = {}
    for d in DOMAINS:
        if only and d['name'] not in only:
            continue
        name = d['name']
        out = os.path.join(a.out, name)
        shutil.rmtree(out, ignore_errors=True)
        print('# %s: %s' % (name, d['what']), flush=True)
        t0 = time.monotonic()
        rc, err = start(d, a, out)
        log = domain_log(a, name)
        if 'refuse' in d:
            msg = err.splitlines()[-1] if err else ''
            msg = re.sub(r'^error: ', '', msg)
            t(rc != 0 and d['refuse'] in msg, name, 'refused: %s' % (msg if rc else 'it started'))
            if rc == 0:
                virsh('destroy', name)
            if d.get('qemu_says'):
                said = [l for l in qemu_lines(log) if d['qemu_says'] in l]
                t(bool(said), name, 'QEMU said "%s"' % d['qemu_says'] if said else
                  'QEMU did not say "%s"' % d['qemu_says'])
            continue
        cpu = cpu_arg(log)
        t(rc == 0 and cpu == d['cpu'], name, 'starts with -cpu %s' % cpu if rc == 0 else
          'does not start: %s' % err.replace('\n', ' '))
        if rc == 0 and cpu != d['cpu']:
            print('#   expected -cpu %s' % d['cpu'])
        if rc != 0:
            continue
        if d.get('start_only'):
            virsh('destroy', name)
            continue
        seconds = wait_gone(name, a.timeout)
        if seconds is None:
            virsh('destroy', name)
        log = domain_log(a, name)
        collect(d, out, log, seconds)
        r = report.Run(out)
        # The guest's console output can still sit in the tty when the
        # kernel prints the deliberate panic: that starts at "sysrq:
        # Trigger a crash" even where DEMO-CRASH comes out after it.
        if any(l.startswith('DEMO-CRASH') for l in r.raw):
            for i, l in enumerate(r.klog):
                if l.startswith('sysrq: Trigger a crash'):
                    r.crash_at = i if r.crash_at is None else min(r.crash_at, i)
                    break
        runs[name] = r
        print('#   %s after %.0fs (libvirt: %s)' % (r.end, time.monotonic() - t0,
                                                     r.result.get('libvirt-reason')), flush=True)
        want_end = 'panic' if d.get('panic') else 'poweroff'
        t(r.end == want_end and r.reported, name,
          'the guest ran to its report and %s' % {'panic': 'panicked on purpose (on_crash destroy)',
                                                   'poweroff': 'powered off'}[want_end]
          if r.end == want_end and r.reported else report.describe_end(r))
        d['_out'] = out

    if not only or 'seed' in only:
        for ok, what in readme_example(a.readme):
            t(ok, 'seed', what)

    # The verdicts, with the no-<hyperv> domain as the run without hv-*.
    N = runs.get('no-hyperv') or report.Run(None)
    for d in DOMAINS:
        name = d['name']
        if name not in runs:
            continue
        H = runs[name]
        hyp = H.k(r'Hypervisor detected: (.*)')
        seen = hyp.group(1) if hyp else 'no hypervisor'
        leaves = H.cpuid()
        sig = None
        if 0x40000000 in leaves:
            sig = b''.join(x.to_bytes(4, 'little') for x in leaves[0x40000000][1:4]).decode('latin1').rstrip('\0')
        props = d.get('props') or list(report.requested_props(d['cpu']).keys())
        # The guest kernel's view ("Hyper-V: privilege flags"), or where it
        # did not take the partition for Hyper-V, the CPUID its user space
        # read (the demo probe).
        fl = H.flags()
        if not fl and 0x40000003 in leaves:
            fl = {'low': leaves[0x40000003][0], 'high': leaves[0x40000003][1],
                  'misc': leaves[0x40000003][3], 'hints': leaves.get(0x40000004, [0])[0]}
        if d['detect']:
            t(seen == 'Microsoft Hyper-V', name, 'the guest detects %s' % seen)
        else:
            why = H.k(re.escape(d['why'])) if d.get('why') else None
            t(seen != 'Microsoft Hyper-V' and not H.flags() and (why or not d.get('why')), name,
              'the guest detects %s%s%s' % (
                  seen, ' (CPUID 0x40000000 reads "%s"; Linux requires "Microsoft Hv")' % sig
                  if sig and sig != 'Microsoft Hv' else '',
                  ': "%s"' % why.group(0) if why else ''))
        if name == 'vendor-kvm':
            t(sig == 'KVM Hv', name, 'CPUID 0x40000000 vendor "%s" as asked' % sig)
        if not d['detect']:
            # In CPUID, but a guest that did not detect Hyper-V uses none of it.
            for prop in props:
                if prop in report.PROP_BITS:
                    t(bool(fl) and all(fl[reg] >> b & 1 for reg, b in report.PROP_BITS[prop]), name,
                      '%s in CPUID (read by the probe)' % prop)
            cs = H.d1('clocksource current_clocksource')
            hv_lines = [l for l in H.klog if l.startswith('Hyper-V')]
            t(cs != 'hyperv_clocksource_tsc_page' and not hv_lines, name,
              'Linux uses no enlightenment: clocksource %s, %s' % (
                  cs, '%d "Hyper-V" kernel lines' % len(hv_lines) if hv_lines else 'no "Hyper-V" kernel lines'))
            t(not H.problems(), name, 'no guest kernel warnings' if not H.problems() else H.problems()[0])
            continue
        for prop in props:
            if prop == 'hv-vendor-id':
                t(sig == 'Microsoft Hv', name, 'hv-vendor-id: CPUID 0x40000000 reads "%s"' % sig)
                continue
            if prop == 'hv-spinlocks':
                ebx = leaves.get(0x40000004, [0, None])[1]
                t(ebx == 0x1fff, name, 'hv-spinlocks: 0x40000004.EBX = %s' % (
                    '0x%x' % ebx if ebx is not None else '?'))
                offered = ebx == 0x1fff
            else:
                offered = bool(fl) and prop in report.PROP_BITS and \
                    all(fl[reg] >> b & 1 for reg, b in report.PROP_BITS[prop])
                t(offered, name, '%s in the guest\'s CPUID' % prop)
            used, ev, _ = report.evaluate(prop, 'on', H, N, offered)
            if prop == 'hv-vapic' and 'hv-avic' in props:
                # hv-avic drops APIC_ACCESS_RECOMMENDED, and Linux uses the
                # enlightened APIC only when it is recommended (as on KVM).
                rec = bool(fl) and fl['hints'] >> 3 & 1
                t(not rec and used != 'yes', name, 'hv-vapic not used, as with hv-avic it must not be: '
                  '0x40000004.EAX[3] APIC_ACCESS_RECOMMENDED is %s, %s' % (rec and 1 or 0, ev))
                continue
            if prop in report.LINUX_USES:
                t(used == 'yes', name, '%s used: %s' % (prop, ev))
            else:
                t(used not in ('NO', 'FAIL'), name, '%s (%s): %s' % (prop, used, ev))
        t(not H.problems(), name, 'no guest kernel warnings' if not H.problems() else H.problems()[0])
        if 'hv-evmcs' not in d['cpu']:
            filtered = [l for l in H.stderr.splitlines() if "doesn't support" in l]
            t(not filtered, name, 'QEMU filtered nothing' if not filtered else filtered[0])

    return 0 if all(l.startswith('ok ') for l in lines) and lines else 1


if __name__ == '__main__':
    sys.exit(main())
