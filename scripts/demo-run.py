#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make demo: boot one guest under QEMU and record what happened.

  demo-run.py --out DIR --label hv [--timeout S] [--balloon-mib N] -- QEMU ARGS...

QEMU gets -serial stdio (the guest console: saved to DIR/serial.log, and the
host answers the demo init's balloon hand-shake on it) and a QMP socket
(every message saved to DIR/qmp.log).  When the guest prints
DEMO-BALLOON-READY the host asks the balloon for --balloon-mib MiB over QMP
("balloon"), polls "query-balloon" until the guest got there or stopped
moving, then answers DEMO-GO.  Progress goes to stdout; DIR/result.json says
how the boot ended: "poweroff", "panic" (GUEST_PANICKED), "reboot",
"qemu-exit" (anything else), "timeout" (with the vCPU registers saved in
DIR/hang-registers.txt), "stuck-at-end" (the guest finished its report but
neither powered off nor panicked), "qemu-crash" (killed by a signal) or,
with --observe (a guest without the demo init), "observed" (stopped at
--timeout).
"""
import argparse
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--label', required=True)
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--balloon-mib', type=int, default=0)
    ap.add_argument('--end-marker', default='DEMO-REPORT-END')
    ap.add_argument('--observe', action='store_true',
                    help='a guest without the demo init: watch it until --timeout, that is no hang')
    ap.add_argument('qemu', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    qemu = a.qemu[1:] if a.qemu and a.qemu[0] == '--' else a.qemu
    os.makedirs(a.out, exist_ok=True)
    return Run(a, qemu).run()


class Run:
    def __init__(self, a, qemu):
        self.a = a
        self.out = a.out
        self.qmp_path = os.path.join(a.out, 'qmp.sock')
        self.qemu = qemu + ['-qmp', 'unix:%s,server=on,wait=off' % self.qmp_path,
                            '-serial', 'stdio']
        self.events = []
        self.lines = queue.Queue()
        self.replies = queue.Queue()
        self.result = {'label': a.label, 'command': self.qemu, 'milestones': {},
                       'balloon': None, 'events': self.events}
        self.t0 = time.monotonic()
        self.qmp_sock = None
        self.qmp_log = open(os.path.join(a.out, 'qmp.log'), 'w')
        self.qmp_lock = threading.Lock()

    def elapsed(self):
        return time.monotonic() - self.t0

    def say(self, msg):
        self.last_say = time.monotonic()
        print('   [%s %5.1fs] %s' % (self.a.label, self.elapsed(), msg), flush=True)

    def milestone(self, name, msg=None):
        if name not in self.result['milestones']:
            self.result['milestones'][name] = round(self.elapsed(), 1)
            if msg:
                self.say(msg)

    # --- serial console ---------------------------------------------------
    def serial_reader(self):
        with open(os.path.join(self.out, 'serial.log'), 'wb') as log:
            buf = b''
            while True:
                data = self.proc.stdout.read1(65536)
                if not data:
                    break
                log.write(data)
                log.flush()
                buf += data
                *done, buf = buf.split(b'\n')
                for line in done:
                    self.lines.put(line.decode('utf-8', 'replace').rstrip('\r'))
            if buf:
                self.lines.put(buf.decode('utf-8', 'replace'))
        self.lines.put(None)

    def send_console(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    # --- QMP --------------------------------------------------------------
    def qmp_connect(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.qmp_path)
                break
            except OSError:
                s.close()
                time.sleep(0.1)
        else:
            return False
        self.qmp_sock = s
        self.qmp_file = s.makefile('rwb')
        threading.Thread(target=self.qmp_reader, daemon=True).start()
        greeting = self.replies.get(timeout=10)
        if 'QMP' not in greeting:
            return False
        return 'return' in self.qmp('qmp_capabilities')

    def qmp_reader(self):
        try:
            self.qmp_read_loop()
        except (OSError, ValueError):
            pass
        self.replies.put({'error': {'class': 'Disconnected', 'desc': 'QMP connection closed'}})

    def qmp_read_loop(self):
        for raw in self.qmp_file:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            self.qmp_log.write('<- %.1f %s' % (self.elapsed(), raw.decode()))
            self.qmp_log.flush()
            if 'event' in msg:
                self.events.append({'t': round(self.elapsed(), 1), 'event': msg['event'],
                                    'data': msg.get('data', {})})
                if msg['event'] == 'GUEST_PANICKED':
                    self.say('QMP event GUEST_PANICKED %s' % json.dumps(msg.get('data', {})))
            else:
                self.replies.put(msg)

    def qmp(self, cmd, timeout=30, **args):
        if not self.qmp_sock:
            return {'error': {'class': 'NoQMP', 'desc': 'no QMP connection'}}
        with self.qmp_lock:
            req = {'execute': cmd}
            if args:
                req['arguments'] = args
            raw = json.dumps(req)
            self.qmp_log.write('-> %.1f %s\n' % (self.elapsed(), raw))
            self.qmp_log.flush()
            try:
                self.qmp_file.write(raw.encode() + b'\n')
                self.qmp_file.flush()
                return self.replies.get(timeout=timeout)
            except (OSError, queue.Empty) as e:
                return {'error': {'class': 'NoReply', 'desc': str(e)}}

    # --- balloon ----------------------------------------------------------
    # QEMU's hv-balloon acts on a target only once the guest driver has been
    # connected for HV_BALLOON_POST_INIT_WAIT (50 s of virtual time), so the
    # target is set as soon as the guest loaded hv_balloon, and the host
    # waits for it when the guest says it is ready.
    def balloon_request(self):
        if self.result['balloon'] is not None:
            return
        target = self.a.balloon_mib << 20
        b = {'target': target, 'history': [], 'error': None}
        self.result['balloon'] = b
        first = self.qmp('query-balloon')
        if 'return' in first:
            b['before'] = first['return'].get('actual')
        r = self.qmp('balloon', value=target)
        if 'error' in r:
            b['error'] = 'QMP balloon: %s' % r['error'].get('desc', r['error'])
            self.say('balloon: %s' % b['error'])
            return
        b['requested_at'] = round(self.elapsed(), 1)
        self.say('balloon: QMP balloon %d MiB (guest has %s MiB; QEMU waits 50s after the driver connects)' %
                 (self.a.balloon_mib, (b.get('before') or 0) >> 20 or '?'))

    def balloon_wait(self):
        self.balloon_request()
        b = self.result['balloon']
        if b['error']:
            return
        target = b['target']
        last, last_change, start = None, time.monotonic(), time.monotonic()
        while self.proc.poll() is None:
            r = self.qmp('query-balloon')
            if 'return' not in r:
                b['error'] = 'query-balloon: %s' % r['error'].get('desc')
                break
            actual = r['return'].get('actual')
            b['history'].append([round(self.elapsed(), 1), actual])
            if actual != last:
                if last is not None:
                    self.say('balloon: query-balloon: %d MiB' % (actual >> 20))
                last, last_change = actual, time.monotonic()
            if actual is not None and actual <= target + (2 << 20):
                b['reached'] = True
                break
            if time.monotonic() - last_change > 90 or time.monotonic() - start > 300:
                break
            time.sleep(1)
        b['after'] = last
        self.say('balloon: %s MiB (target %d MiB) after %.0fs' %
                 ((last or 0) >> 20, target >> 20, time.monotonic() - start))

    # --- main loop ----------------------------------------------------------
    def run(self):
        stderr = open(os.path.join(self.out, 'qemu-stderr.log'), 'wb')
        with open(os.path.join(self.out, 'command.txt'), 'w') as f:
            f.write(' '.join(self.qemu) + '\n')
        try:
            os.unlink(self.qmp_path)
        except FileNotFoundError:
            pass
        try:
            self.proc = subprocess.Popen(self.qemu, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=stderr, start_new_session=True)
        except OSError as e:
            print('error: cannot start %s: %s' % (self.qemu[0], e), file=sys.stderr)
            return 2
        threading.Thread(target=self.serial_reader, daemon=True).start()
        if not self.qmp_connect():
            self.say('warning: no QMP connection (QEMU exited early?)')
        deadline = self.t0 + self.a.timeout
        last_line = ''
        self.last_say = time.monotonic()
        ended = None
        while True:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                line = ''
            if line is None:
                break
            if line:
                last_line = line
                self.on_line(line)
            if time.monotonic() - self.last_say > 30:
                self.say('... still running; last console line: %s' % last_line[:100])
            end_t = self.result['milestones'].get('end-marker')
            if end_t is not None and self.elapsed() > end_t + 60:
                ended = 'stuck-at-end'
                self.say('the guest finished its report but did not power off or panic within 60s')
                self.dump_hang()
                break
            if time.monotonic() > deadline and self.a.observe:
                ended = 'observed'
                self.say('stopping the guest after %ds (DEMO_TIMEOUT)' % self.a.timeout)
                break
            if time.monotonic() > deadline:
                ended = 'timeout'
                self.say('TIMEOUT after %ds; last console line: %s' % (self.a.timeout, last_line[:100]))
                self.dump_hang()
                break
        # The console closed (QEMU is exiting) or we gave up on the guest.
        if ended:
            self.qmp('quit', timeout=5)
        try:
            rc = self.proc.wait(timeout=10 if ended else 30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            rc = self.proc.wait()
        stderr.close()
        self.result['rc'] = rc
        self.result['seconds'] = round(self.elapsed(), 1)
        names = [e['event'] for e in self.events]
        if ended:
            pass
        elif rc < 0:
            ended = 'qemu-crash'
            self.say('QEMU was killed by signal %d (%s)' % (-rc, signal.Signals(-rc).name))
        elif 'GUEST_PANICKED' in names:
            ended = 'panic'
        elif 'DEMO-POWEROFF' in self.result['milestones'] or \
                any(e['event'] == 'SHUTDOWN' and e['data'].get('reason') == 'guest-shutdown'
                    for e in self.events):
            ended = 'poweroff'
        elif any(e['event'] == 'SHUTDOWN' and e['data'].get('reason') == 'guest-reset'
                 for e in self.events) or 'RESET' in names:
            ended = 'reboot'
        else:
            ended = 'qemu-exit'
        self.result['end'] = ended
        with open(os.path.join(self.out, 'qemu-stderr.log'), errors='replace') as f:
            self.result['qemu_stderr'] = f.read()[-4000:]
        with open(os.path.join(self.out, 'result.json'), 'w') as f:
            json.dump(self.result, f, indent=1)
        self.say('QEMU exited (%s, status %s)' % (ended, rc))
        return 0

    def on_line(self, line):
        ms = self.result['milestones']
        if 'Linux version' in line:
            self.milestone('kernel', 'kernel started')
        elif 'Run /init as init process' in line:
            m = re.match(r'\[\s*(\d+\.\d+)\]', line)
            self.milestone('init', 'init started (guest uptime %ss)' % (m.group(1) if m else '?'))
        elif line.startswith('DEMO init start uptime '):
            self.milestone('init-start-line')
        elif line.startswith('DEMO uptime '):
            self.milestone('uptime-line')
        elif line.startswith('DEMO step '):
            step = line.split()[2:]
            self.milestone('step ' + ' '.join(step), ' '.join(step))
        elif line.startswith('DEMO stress '):
            self.say(line[len('DEMO '):])
        elif line.startswith('DEMO module ') and 'failed' in line:
            self.say(line[len('DEMO '):])
        elif line.startswith('DEMO module hv_balloon loaded'):
            if self.a.balloon_mib > 0:
                self.balloon_request()
        elif line.strip() == 'DEMO-BALLOON-READY':
            self.milestone('balloon-ready')
            if self.a.balloon_mib > 0:
                self.balloon_wait()
            self.send_console('DEMO-GO\n')
        elif line.startswith('DEMO-MEMHINT-TOUCHED'):
            # The guest process holds its memory: QEMU's RSS now
            m = self.result.setdefault('memhint', {})
            m['mib'] = int(line.split()[1])
            m['rss_touched'] = self.rss()
            self.say('memhint: the guest touched %d MiB; QEMU RSS %s MiB' %
                     (m['mib'], m['rss_touched'] >> 20 if m['rss_touched'] else '?'))
            self.send_console('DEMO-GO\n')
        elif line.startswith('DEMO-MEMHINT-FREED'):
            self.memhint_watch()
            self.send_console('DEMO-GO\n')
        elif line.startswith('BENCH init '):
            self.milestone('bench-init', 'benchmarks start')
        elif line.startswith('BENCH mark '):
            self.cpu_mark(line.split()[2])
        elif line.startswith('DEMO-REPORT-END'):
            self.milestone('report', 'guest report complete')
            # QEMU's own view: per-vCPU Hyper-V state and counters
            self.result['query-hyperv'] = self.qmp('query-hyperv')
        elif line.startswith('BENCH-STATS'):
            # make bench: the boot's Hyper-V counters before it powers off
            self.result['query-hyperv'] = self.qmp('query-hyperv')
            self.send_console('BENCH-GO\n')
        elif line.startswith('DEMO-CRASH'):
            self.milestone('DEMO-CRASH', 'guest panics on purpose (hv-crash)')
        elif line.startswith('DEMO-POWEROFF'):
            self.milestone('DEMO-POWEROFF', 'guest powers off')
        elif 'Kernel panic' in line and 'DEMO-CRASH' not in ms:
            self.say('guest: ' + line.strip())
        elif any(k in line for k in ('WARNING:', 'BUG:', 'Oops', 'soft lockup', 'rcu_sched detected stall',
                                     'rcu: INFO')):
            self.say('guest: ' + line.strip())
        if self.a.end_marker and self.a.end_marker in line:
            self.milestone('end-marker')

    def rss(self):
        """QEMU's resident set size, bytes (None when unknown)."""
        try:
            with open('/proc/%d/status' % self.proc.pid) as f:
                for l in f:
                    if l.startswith('VmRSS:'):
                        return int(l.split()[1]) << 10
        except (OSError, ValueError):
            pass
        return None

    def memhint_watch(self, seconds=10):
        """The guest freed its memory: QEMU's RSS for @seconds, every 0.25 s."""
        m = self.result.setdefault('memhint', {})
        t0 = time.monotonic()
        hist = []
        while True:
            t = time.monotonic() - t0
            hist.append((round(t, 2), self.rss()))
            if t >= seconds:
                break
            time.sleep(0.25)
        m['history'] = hist
        m['watch_seconds'] = seconds
        base = m.get('rss_touched')
        vals = [r for _, r in hist if r is not None]
        if base and vals:
            m['returned'] = base - min(vals)
            # When 200 MiB had come back, if it did
            m['t_200mib'] = next((t for t, r in hist if r is not None and base - r >= 200 << 20), None)
        self.say('memhint: the guest freed it; QEMU RSS %s -> %s MiB within %ds' % (
            base >> 20 if base else '?', min(vals) >> 20 if vals else '?', seconds))

    def cpu_mark(self, name):
        """make bench: the QEMU process's CPU time (all threads) now."""
        try:
            with open('/proc/%d/stat' % self.proc.pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        except (OSError, IndexError, ValueError):
            cpu = None
        self.result.setdefault('marks', {})[name] = {'t': round(self.elapsed(), 3), 'cpu': cpu}

    def dump_hang(self):
        with open(os.path.join(self.out, 'hang-registers.txt'), 'w') as f:
            for cmd in ('info status', 'info cpus', 'info registers -a', 'info lapic'):
                r = self.qmp('human-monitor-command', timeout=10, **{'command-line': cmd})
                f.write('(qemu) %s\n%s\n' % (cmd, r.get('return', r.get('error'))))
        self.say('vCPU state saved to %s' % os.path.join(self.out, 'hang-registers.txt'))


if __name__ == '__main__':
    sys.exit(main())
