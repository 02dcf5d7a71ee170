/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: HV_X64_MSR_GUEST_IDLE (hv-guest-idle) under TCG.
 *
 * A read idles the VP until an interrupt is pending, even with IF=0; it
 * returns 0 and the interrupt is taken after STI (TLFS).  The guest
 * (guest/tests-idle.c) idles CPU 1 with IF=0 and wakes it from CPU 0 by
 * a fixed IPI, a PV IPI hypercall and an NMI, or by CPU 1's own direct
 * synthetic timer; the read must not return before the wake.  Then 8
 * vCPUs wake each other round a ring: no wake-up may get lost.  Privilege:
 * KVM has no such MSR, so without hv-guest-idle it #GPs, enforced or not.
 */

#include "qemu/osdep.h"
#include "hv-harness.h"

#define IDLE_CPU    "qemu64,hv-vpindex,hv-time,hv-synic,hv-stimer," \
                    "hv-stimer-direct,hv-ipi,hv-guest-idle"
/* guest/tests-idle.c: how long CPU 0 waits before the wake, 100 ns */
#define GI_WAIT     (20 * 10000)
#define VEC_GP      13
#define HV_GUEST_IDLE_REG_AVAILABLE     (1u << 10)   /* EAX */
#define HV_GUEST_IDLE_STATE_AVAILABLE   (1u << 5)    /* EDX */

#define rec hv_guest_good_record

static void check_case(HvGuest *g, const char *name, bool nmi, bool timer)
{
    const HvGuestRecord *r = rec(g, "idle.%s", name);
    const HvGuestRecord *k = rec(g, "kick.%s", name);
    const HvGuestRecord *a = rec(g, "after.%s", name);

    g_test_message("%s: the read took %" PRIu64 " us", name,
                   r->values[1] / 10);
    g_assert_cmphex(r->values[0], ==, 0);
    /*
     * Not woken by nothing: still idle when CPU 0 woke it, or (timer)
     * until the timer expired
     */
    if (!timer) {
        g_assert_cmpuint(k->values[0], ==, 0);
        g_assert_cmpuint(r->values[1], >=, GI_WAIT);
    }
    if (nmi) {
        /* IF does not hold an NMI back: taken before the read returned */
        g_assert_cmpuint(r->values[3], ==, 1);
        g_assert_cmpuint(a->values[1], ==, 1);
        g_assert_cmpuint(a->values[0], ==, 0);
    } else {
        /* Held back by IF=0 during the read, taken after STI */
        g_assert_cmpuint(r->values[2], ==, 0);
        g_assert_cmpuint(a->values[0], ==, 1);
        g_assert_cmpuint(a->values[1], ==, 0);
    }
    if (timer) {
        g_assert_cmpuint(a->values[2], ==, 1);
    }
}

static void test_wake(const void *opaque)
{
    HvGuestOptions opts = {
        .accel = opaque,
        .cpu = IDLE_CPU,
        .smp = 2,
        .test = "guest-idle",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);

    hv_assert_guest_passed(g);
    check_case(g, "ipi", false, false);
    check_case(g, "pvipi", false, false);
    g_assert_cmphex(rec(g, "kick.pvipi")->values[1], ==, 0);
    check_case(g, "nmi", true, false);
    check_case(g, "stimer", false, true);
}

/* CPU 1 idles with IF=0 across a migration; the IPI after it wakes it */
static void test_migration(const void *opaque)
{
    HvGuestOptions opts = {
        .cpu = IDLE_CPU,
        .smp = 2,
        .test = "guest-idle-mig",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    g_usleep(50 * 1000);
    hv_guest_migrate(g);
    g_usleep(50 * 1000);
    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    check_case(g, "mig", false, false);
}

/*
 * 8 vCPUs: 7 pass a token round a ring, waiting for it in the idle MSR
 * with IF=0 (and in HLT and PAUSE loops), woken by fixed and PV IPIs that
 * often arrive between their look at the token and the read.  A lost
 * wake-up stops the ring: the guest's watcher then records a stall.  No
 * timing: the counts only.
 */
static void test_stress(const void *opaque)
{
    HvGuestOptions opts = {
        .accel = opaque,
        .cpu = IDLE_CPU,
        .smp = 8,
        .test = "guest-idle-stress",
        .guest_args = "rounds=4000",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);
    const HvGuestRecord *r;
    uint64_t reads = 0, halts = 0, sent = 0;

    hv_assert_guest_passed(g);
    r = hv_guest_find(g, "stress.stall");
    if (r) {
        g_test_message("lost wake-up: hand-off %" PRIu64 ", cpu%" PRIu64
                       " waiting in %s", r->values[0], r->values[1],
                       r->values[2] == 1 ? "the idle MSR" :
                       r->values[2] == 2 ? "HLT" :
                       r->values[2] == 3 ? "a PAUSE loop" : "nothing");
    }
    g_assert_null(r);
    r = rec(g, "stress");
    g_assert_cmpuint(r->values[0], ==, 4000);
    g_assert_cmpuint(r->values[2], ==, 0);
    for (int cpu = 1; cpu < 8; cpu++) {
        r = rec(g, "stress.cpu%d", cpu);
        g_test_message("cpu%d: %" PRIu64 " idle reads, %" PRIu64 " HLTs, %"
                       PRIu64 " PAUSE waits, %" PRIu64 " wakes sent", cpu,
                       r->values[0], r->values[1], r->values[2],
                       r->values[3]);
        /* Every CPU had the token: 4000 hand-offs round a ring of 7 */
        g_assert_cmpuint(r->values[3], >=, 4000 / 7);
        reads += r->values[0];
        halts += r->values[1];
        sent += r->values[3];
    }
    g_assert_cmpuint(sent, ==, 4000);
    /* The idle MSR was in the mix, and so was HLT */
    g_assert_cmpuint(reads, >, 0);
    g_assert_cmpuint(halts, >, 0);
}

/* The host CPUs QEMU may run on: it inherits this process's affinity */
static unsigned host_cpus(void)
{
    cpu_set_t set;

    g_assert_cmpint(sched_getaffinity(0, sizeof(set), &set), ==, 0);
    return CPU_COUNT(&set);
}

/*
 * With hv-guest-idle a vCPU that spins on PAUSE at one address yields its
 * host CPU every 128 PAUSEs (pause-loop exiting), but only while the
 * vCPUs outnumber the host CPUs: with a host CPU for each, the yield is a
 * system call for nothing.  CPU 0 of guest-idle spins 20 ms per case on
 * PAUSE while CPU 1 idles; the trace says whether it yielded.
 */
static void test_pause_yield(const void *opaque)
{
    bool overcommit = opaque != NULL;
    unsigned host = host_cpus();
    int smp = overcommit ? MAX(3, host + 1) : 2;
    HvGuestOptions opts = {
        .cpu = IDLE_CPU,
        .smp = smp,
        .test = "guest-idle",
    };
    g_autofree char *log = NULL;
    unsigned yields;

    if (smp > 32) {
        g_test_skip("more than 31 host CPUs: no overcommit test");
        return;
    }
    /* hyperv_msr_read too: a "log" trace backend shows with those */
    log = hv_guest_run_traced(&opts, "hyperv_pause_yield,hyperv_msr_read");
    if (!hv_trace_count(log, "hyperv_msr_read", NULL)) {
        g_test_skip("no trace events (a trace backend other than log)");
        return;
    }
    yields = hv_trace_count(log, "hyperv_pause_yield", NULL);
    g_test_message("%d vCPUs, %u host CPUs: %u yields", smp, host, yields);
    if (smp > host) {
        g_assert_cmpuint(yields, >, 0);
    } else {
        g_assert_cmpuint(yields, ==, 0);
    }
}

typedef struct GpCase {
    const char *name;
    const char *cpu;
    bool feature;
} GpCase;

static const GpCase gp_cases[] = {
    { "enforced", "qemu64,hv-vpindex,hv-enforce-cpuid=on", false },
    /* Unlike the MSRs KVM keeps state for: KVM #GPs this one always */
    { "unenforced", "qemu64,hv-vpindex", false },
    { "read-only", "qemu64,hv-vpindex,hv-guest-idle", true },
};

static void test_gp(const void *opaque)
{
    const GpCase *c = opaque;
    g_autoptr(HvGuest) g = hv_guest_start(c->cpu, 1, "guest-idle-gp", NULL);
    const HvGuestRecord *r;

    hv_assert_guest_passed(g);
    r = rec(g, "cpu0.cpuid.40000003");
    g_assert_cmphex(r->values[0] & HV_GUEST_IDLE_REG_AVAILABLE, ==,
                    c->feature ? HV_GUEST_IDLE_REG_AVAILABLE : 0);
    g_assert_cmphex(r->values[3] & HV_GUEST_IDLE_STATE_AVAILABLE, ==,
                    c->feature ? HV_GUEST_IDLE_STATE_AVAILABLE : 0);
    if (!c->feature) {
        hv_assert_fault(g, VEC_GP, "gp.read");
    } else {
        g_assert_null(hv_guest_find(g, "gp.read"));
    }
    hv_assert_fault(g, VEC_GP, "gp.write");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_data_func("/hyperv/idle/wake/mttcg", "tcg", test_wake);
    qtest_add_data_func("/hyperv/idle/wake/single-thread",
                        "tcg,thread=single", test_wake);
    qtest_add_data_func("/hyperv/idle/migration", NULL, test_migration);
    qtest_add_data_func("/hyperv/idle/pause-yield/host-cpu-each", NULL,
                        test_pause_yield);
    qtest_add_data_func("/hyperv/idle/pause-yield/overcommit", "",
                        test_pause_yield);
    qtest_add_data_func("/hyperv/idle/stress/mttcg", "tcg", test_stress);
    qtest_add_data_func("/hyperv/idle/stress/single-thread",
                        "tcg,thread=single", test_stress);
    for (size_t i = 0; i < G_N_ELEMENTS(gp_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hyperv/idle/gp/%s",
                                                gp_cases[i].name);

        qtest_add_data_func(path, &gp_cases[i], test_gp);
    }
    return g_test_run();
}
