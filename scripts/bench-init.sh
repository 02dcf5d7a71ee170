#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: what the demo initramfs runs instead of the demo when the
# kernel command line has bench.tests=... (scripts/demo-init.sh execs this).
# Every result line starts with "BENCH " for scripts/bench-report.py.
#   bench.tests=clock,tlb,ipi,spin,futex,idle   which benchmarks (comma separated)
#   bench.ms=2000                    duration of each clock/tlb/ipi/spin run
#   bench.idle=30                    seconds of idle for the host CPU% mark
export PATH=/bin:/sbin
say() { echo "BENCH $*"; }
cmdline=$(cat /proc/cmdline)
tests=clock,tlb,ipi ms=2000 idle=30
for w in $cmdline; do
    case "$w" in
    bench.tests=*) tests=${w#bench.tests=} ;;
    bench.ms=*) ms=${w#bench.ms=} ;;
    bench.idle=*) idle=${w#bench.idle=} ;;
    esac
done
has_test() { case ",$tests," in *",$1,"*) return 0 ;; esac; return 1; }

ncpus=$(grep -c ^processor /proc/cpuinfo)
say "init uptime $(cut -d' ' -f1 /proc/uptime) cpus $ncpus"
cs_dir=/sys/devices/system/clocksource/clocksource0
default_cs=$(cat $cs_dir/current_clocksource)
say "clocksource default $default_cs available $(cat $cs_dir/available_clocksource)"

irqsum() {  # the sum over CPUs of one /proc/interrupts row
    awk -v n="$1:" '$1 == n { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s; f = 1 }
                    END { if (!f) print 0 }' /proc/interrupts
}
# RCU: the RCU softirqs (/proc/softirqs), e.g. page tables freed through RCU
softirqsum() {
    awk -v n="$1:" '$1 == n { s = 0; for (i = 2; i <= NF; i++) s += $i; print s; f = 1 }
                    END { if (!f) print 0 }' /proc/softirqs
}
irqs() { echo "TLB $(irqsum TLB) CAL $(irqsum CAL) RES $(irqsum RES) HYP $(irqsum HYP) HVS $(irqsum HVS) LOC $(irqsum LOC) RCU $(softirqsum RCU)"; }
# One bench-guest run, its result line with the interrupt counts around it
say_with_irqs() {
    before=$(irqs)
    out=$(/bin/bench-guest "$@")
    say "$out irq-before $before irq-after $(irqs)"
}

if has_test clock; then
    b=/bin/bench-guest
    say "clock default $($b clock "$ms" | cut -d' ' -f2-)"
    for cs in hyperv_clocksource_tsc_page tsc hpet acpi_pm; do
        case " $(cat $cs_dir/available_clocksource) " in *" $cs "*) ;; *) continue ;; esac
        echo "$cs" > $cs_dir/current_clocksource
        if [ "$(cat $cs_dir/current_clocksource)" = "$cs" ]; then
            say "clock $cs $($b clock "$ms" | cut -d' ' -f2-)"
        fi
    done
    echo "$default_cs" > $cs_dir/current_clocksource
fi
# Overcommitted (4 and more vCPUs on the 2-core host) a storm's rate goes
# with the host's load: three rounds, the report takes the best
overcommit_rounds=1
[ "$ncpus" -ge 4 ] && overcommit_rounds=3
if has_test tlb; then
    for rep in $(seq "$overcommit_rounds"); do
        for mode in mprotect munmap; do
            say_with_irqs tlb $mode "$ms"
        done
    done
fi
if has_test ipi; then
    say_with_irqs ipi "$ms"
fi
if has_test spin; then
    # The spinlock's rate swings from round to round with where the host
    # runs the vCPU threads (2.7 to 5.6 M/s for one configuration at 4
    # vCPUs on 2 host cores): the report takes the mean of a boot's rounds
    # and pairs the boot with its partner of the same run
    spin_rounds=4
    [ "$ncpus" -ge 4 ] && spin_rounds=10
    for rep in $(seq "$spin_rounds"); do
        say_with_irqs spin "$ms"
    done
fi
if has_test futex; then
    # A kernel spinlock (the futex hash bucket) contended by every vCPU,
    # then, once, the same calls on a bucket each.  Five rounds: a round's
    # rate goes with where the host runs the vCPU threads meanwhile, the
    # report compares the mean of every round of every run
    for rep in 1 2 3 4 5; do
        say_with_irqs futex shared "$ms"
        [ "$rep" = 1 ] && say_with_irqs futex private "$ms"
    done
fi
if has_test idle; then
    sleep 2
    say "mark idle-begin"
    sleep "$idle"
    say "mark idle-end"
fi
dmesg | grep -iE 'clocksource|tsc|hyper-?v|unstable|clockevent|spinlock' | sed 's/^/BENCH dmesg /'
dmesg | grep -E 'WARNING: CPU|BUG:|Oops|soft lockup|rcu.*stall' | sed 's/^/BENCH problem /'
# The timer interrupts of each CPU (local APIC timer or Hyper-V stimer)
grep -E '^ *(LOC|HVS):' /proc/interrupts | sed 's/^ */BENCH interrupts /'
say "uptime $(cut -d' ' -f1 /proc/uptime)"
# QEMU's own counters of this boot (query-hyperv: hypercalls by call):
# the host answers BENCH-GO once it has them (scripts/demo-run.py)
echo "BENCH-STATS"
read -t 20 line || true
echo "BENCH-END"
echo "DEMO-POWEROFF"
poweroff -f
