#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /init of the make-demo initramfs (busybox-static).  It loads the Hyper-V
# guest modules, exercises remote TLB flushes and IPIs, and prints a
# machine-readable report on the console: every report line starts with
# "DEMO " so scripts/demo-report.py can pick them out of the serial log.
# Kernel parameters it understands:
#   demo.balloon=1  wait for the host to inflate the Hyper-V balloon (the
#                   host answers "DEMO-GO" on the console when it is done)
#   demo.stress=N   remote TLB flushes and IPIs to exercise (default 2000)
#   demo.memhint=N  touch and free N MiB in a process, telling the host when
#                   (DEMO-MEMHINT-TOUCHED / -FREED; it answers DEMO-GO after
#                   each), to see the freed memory go back to the host
#                   (free page reporting, hv-ext-hypercalls' cold discard)
#   demo.crash=1    end with a deliberate panic instead of a power-off, so the
#                   host sees whether the guest reports it (hv-crash)
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2> /dev/null
mount -t debugfs debugfs /sys/kernel/debug 2> /dev/null
exec < /dev/console > /dev/console 2>&1
# make bench boots the same initramfs to run its benchmarks instead.
case " $(cat /proc/cmdline) " in *" bench.tests="*) exec /bin/sh /bench-init.sh ;; esac

say() { echo "DEMO $*"; }
cmdline=$(cat /proc/cmdline)
has() { case " $cmdline " in *" $1 "*) return 0 ;; esac; return 1; }
for w in $cmdline; do
    case "$w" in
    demo.stress=*) stress_n=${w#demo.stress=} ;;
    demo.memhint=*) memhint_mib=${w#demo.memhint=} ;;
    esac
done

say "init start uptime $(cut -d' ' -f1 /proc/uptime) kernel $(uname -r) cpus $(grep -c ^processor /proc/cpuinfo)"

# Interrupt counters before anything Hyper-V is loaded or exercised.
irqs() {
    grep -E '^ *(LOC|CAL|TLB|RES|HYP|HVS|HRE):' /proc/interrupts |
        while read -r name rest; do
            sum=0
            for v in $rest; do
                case "$v" in *[!0-9]*) break ;; esac
                sum=$((sum + v))
            done
            echo "DEMO irq $1 ${name%:} $sum $(echo "$rest" | sed 's/^[0-9 ]*//')"
        done
}
irqs boot
[ -x /bin/demo-probe ] && /bin/demo-probe cpuid | sed 's/^/DEMO /'

# The modules, in modules.dep order (the file lists them dependencies first).
for m in $(cat /modules.load); do
    say "step insmod $m"
    if out=$(insmod "/lib/modules/$m.ko" 2>&1); then
        say "module $m loaded"
    else
        say "module $m failed: $out"
    fi
done

# Wait (up to 30 s) for every VMBus device to get a driver.
if [ -d /sys/bus/vmbus/devices ]; then
    say "step vmbus-bind"
    i=0
    while [ $i -lt 30 ]; do
        unbound=0
        for d in /sys/bus/vmbus/devices/*; do
            [ -e "$d" ] || continue
            [ -e "$d/driver" ] || unbound=1
        done
        [ $unbound = 0 ] && break
        sleep 1
        i=$((i + 1))
    done
fi

# Remote TLB flushes and IPIs: two threads on two CPUs, one remapping a page
# the other keeps reading (see demo-probe.c).  It also checks that the
# reader never sees a stale translation after the flush.
say "step stress"
irqs before-stress
if [ -x /bin/demo-probe ]; then
    /bin/demo-probe stress "${stress_n:-2000}" 2>&1 | sed 's/^/DEMO stress /'
else
    say "stress skipped: no demo-probe"
fi
irqs after-stress

meminfo() {
    say "meminfo $1 $(grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
}

# Cold discard: a process touches and frees memory; the host measures its
# RSS in between (demo-run.py answers DEMO-GO once it has).
if [ -n "$memhint_mib" ] && [ -x /bin/demo-probe ]; then
    say "step memhint"
    meminfo before-memhint
    /bin/demo-probe touch "$memhint_mib"
    if read -t 60 line && [ "$line" = DEMO-GO ]; then
        say "memhint host-done"
    else
        say "memhint host-no-answer"
    fi
    meminfo after-memhint
fi

# The balloon: tell the host we are ready, wait for it to inflate.
balloon_state() {
    for f in /sys/kernel/debug/hv-balloon; do
        [ -r "$f" ] && sed "s/^/DEMO balloon-debugfs $1 /" "$f"
    done
    # The VMBus channels' ring state: a host message the guest never got
    # shows up as read_avail > 0 with in_mask 0.
    for c in /sys/bus/vmbus/devices/*/channels/*; do
        [ -d "$c" ] || continue
        line=
        for a in cpu in_mask read_avail out_mask write_avail interrupts events; do
            [ -r "$c/$a" ] && line="$line $a=$(cat "$c/$a" 2> /dev/null)"
        done
        say "vmbus-channel $1 $(basename "$(dirname "$(dirname "$c")")")/$(basename "$c")$line"
    done
}
meminfo before-balloon
irqs before-balloon
balloon_state before
if has demo.balloon=1; then
    say "step balloon"
    echo "DEMO-BALLOON-READY"
    if read -t 400 line && [ "$line" = DEMO-GO ]; then
        say "balloon host-done"
    else
        say "balloon host-no-answer"
    fi
    meminfo after-balloon
    irqs after-balloon
    balloon_state after
fi

say "step report"
echo "DEMO-REPORT-BEGIN"
say "uptime $(cut -d' ' -f1 /proc/uptime)"
dmesg | grep -iE 'hyper-?v|hv_|vmbus|hypervisor|discard|clocksource|clockevent|stimer|tsc|x2apic|spinlock|lapic|apic timer|Linux version' |
    sed 's/^/DEMO dmesg /'
for f in current_clocksource available_clocksource; do
    say "clocksource $f $(cat /sys/devices/system/clocksource/clocksource0/$f)"
done
grep -E '^Clock Event Device:|^ *event_handler:' /proc/timer_list | sed 's/^ */DEMO timer_list /'
grep -E '^Tick Device: mode:' /proc/timer_list | sort | uniq -c | sed 's/^ */DEMO timer_list /'
irqs final
grep -E '^ *(HYP|HVS|HRE|LOC|CAL|TLB|RES):' /proc/interrupts | sed 's/^ */DEMO interrupts /'
for d in /sys/bus/vmbus/devices/*; do
    [ -e "$d" ] || continue
    drv=-
    [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    say "vmbus-device $(basename "$d") class $(cat "$d/class_id" 2> /dev/null) driver $drv"
done
[ -d /sys/bus/vmbus ] || say "vmbus-bus absent"
balloon_state final
say "tainted $(cat /proc/sys/kernel/tainted)"
dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|RIP:|soft lockup|hung_task|rcu.*stall|unchecked MSR|unhandled' |
    sed 's/^/DEMO problem /'
echo "DEMO-REPORT-END"

if has demo.crash=1; then
    echo "DEMO-CRASH: deliberate panic (sysrq c) so the host can see a Hyper-V crash report"
    echo 1 > /proc/sys/kernel/sysrq
    echo c > /proc/sysrq-trigger
fi
echo "DEMO-POWEROFF"
poweroff -f
