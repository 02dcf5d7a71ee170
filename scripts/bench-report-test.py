#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make check: scripts/bench-report.py's paired targets, on made-up boots.

The spin-wait rows compare the hv and no-hv boots of each run (bench.sh
boots them one right after the other, in both orders): a boot's rate is
the mean of its rounds, the target the geometric mean of the runs'
ratios.  Boots of different runs must not be mixed (the host drifts
between runs), and a boot without its partner counts for nothing.
Prints TAP.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write_boot(runs, label, run, rates_m):
    """A boot of @label in run @run with spin rounds of @rates_m M/s"""
    d = os.path.join(runs, '%s.%d' % (label, run))
    os.makedirs(d)
    with open(os.path.join(d, 'result.json'), 'w') as f:
        f.write('{"end": "poweroff", "milestones": {"bench-init": 7.0}}\n')
    with open(os.path.join(d, 'serial.log'), 'w') as f:
        for rate in rates_m:
            f.write('BENCH spin acquisitions %d ms 1500 cpus 4\n' % round(rate * 1.5e6))


def spin_row(runs, out):
    r = subprocess.run([sys.executable, os.path.join(HERE, 'bench-report.py'), '--runs', runs,
                        '--out', out, '--smp', '4'], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if 'spin-wait intel 4 vCPUs' in line:
            return line
    return r.stdout + r.stderr


def main():
    results = []

    def check(ok, name, detail):
        results.append((ok, name, detail))

    with tempfile.TemporaryDirectory() as tmp:
        # Run 1 at 2 M/s, run 2 at 8 M/s (host drift), hv 1.0x and 1.2x
        # the time; run 3's hv boot is missing.  Paired: sqrt(1.2) =
        # 1.095x; pooling the boots would say 5 / 4.33 = 1.154x.
        runs = os.path.join(tmp, 'runs')
        write_boot(runs, 'intel-4-nohv', 1, [1.5, 2.5])
        write_boot(runs, 'intel-4-hv', 1, [2.0, 2.0])
        write_boot(runs, 'intel-4-nohv', 2, [8.0, 8.0])
        write_boot(runs, 'intel-4-hv', 2, [6.0, 8.0 / 1.2 * 2 - 6.0])
        write_boot(runs, 'intel-4-nohv', 3, [1.0])
        row = spin_row(runs, os.path.join(tmp, 'out1'))
        m = re.search(r'(MET|MISSED) .* ([0-9.]+)x \+- ([0-9.na]+): (\d+) pairs of boots '
                      r'\((\d+) vs (\d+) rounds\)', row)
        check(m is not None, 'spin-wait row printed', row.strip())
        if m:
            check(m.group(2) == '1.095', 'the geometric mean of each run\'s ratio',
                  'got %sx, want 1.095x' % m.group(2))
            check(m.group(1) == 'MISSED', 'hv 9.5 % slower misses the 1.05x target', m.group(1))
            check(m.group(4) == '2' and m.group(5) == '4' and m.group(6) == '4',
                  'a boot without its partner is left out',
                  '%s pairs, %s vs %s rounds' % (m.group(4), m.group(5), m.group(6)))

        # hv faster in one run, as much slower in the other: level
        runs = os.path.join(tmp, 'runs2')
        write_boot(runs, 'intel-4-nohv', 1, [4.0])
        write_boot(runs, 'intel-4-hv', 1, [4.4])
        write_boot(runs, 'intel-4-nohv', 2, [4.4])
        write_boot(runs, 'intel-4-hv', 2, [4.0])
        row = spin_row(runs, os.path.join(tmp, 'out2'))
        m = re.search(r'(MET|MISSED) .* ([0-9.]+)x \+- ([0-9.]+):', row)
        check(m is not None and m.group(1) == 'MET' and m.group(2) == '1.000' and
              m.group(3) == '0.095', 'opposite pairs cancel, their spread is the error',
              row.strip())

    print('1..%d' % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        print('%s %d - bench-report: %s' % ('ok' if ok else 'not ok', i, name))
        if not ok:
            print('# %s' % detail)
    return 0 if all(r[0] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
