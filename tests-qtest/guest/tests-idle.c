/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-idle-test.c: HV_X64_MSR_GUEST_IDLE (hv-guest-idle).
 * A read idles the VP until an interrupt is pending, even with IF=0; it
 * then returns 0, and the interrupt is taken once the guest enables
 * interrupts (TLFS).  Linux's Hyper-V qspinlock waits this way.
 *
 * test=guest-idle (smp=2, hv-vpindex, hv-time, hv-synic, hv-stimer,
 * hv-stimer-direct, hv-ipi, hv-guest-idle): CPU 1 reads the MSR with
 * IF=0, CPU 0 waits GI_WAIT_MS, checks that the read has not returned,
 * then wakes CPU 1.  For each wake source NAME (ipi: a fixed IPI through
 * the local APIC; pvipi: HvCallSendSyntheticClusterIpi, fast; nmi: an
 * NMI IPI; stimer: none from CPU 0, CPU 1's own synthetic timer 0 in
 * direct mode expires GI_WAIT_MS after it was armed):
 *
 *   idle.NAME    (fault of the read) value read; reference time the read
 *                took; interrupts and NMIs CPU 1 took during the read
 *   after.NAME   interrupts and NMIs it took by 100 ms after STI; the
 *                read returned at or after the timer's expiration
 *                (stimer; else 0)
 *   kick.NAME    the read had returned before the wake (must be 0 but
 *                for stimer, which CPU 0 does not wake);
 *                RAX of the hypercall (pvipi) or 0
 *
 * test=guest-idle-stress (smp >= 3, the guest-idle CPU set): lost
 * wake-ups.  CPUs 1..n-1 pass a token round a ring rounds= times (default
 * 4000).  A CPU waits for it as Linux's Hyper-V qspinlock waits for a
 * lock: IF=0, look at the token, and only if it is not its turn read the
 * idle MSR (or, every third wait, STI; HLT, or spin with PAUSE), then
 * IF=1.  The owner moves the token on and then wakes the next CPU -- by a
 * fixed IPI, a PV IPI, or a PV IPI to the next and a bystander, in turn --
 * so the wake often arrives between the waiter's look and its read: the
 * read must then return at once, as the interrupt is pending.  A lost
 * wake-up stops the ring.  CPU 0 only watches: if the token has not moved
 * for GS_STALL_MS of reference time it records the stall (who owns the
 * token and how it waits) and wakes the owner itself, so that the test
 * ends and says what happened instead of timing out.  lose=N leaves out
 * the wake of hand-off N: a lost wake-up for the watcher to find.
 *
 *   stress.cpuN  idle MSR reads, HLTs, PAUSE waits, wakes sent
 *                (N = 1..n-1)
 *   stress       hand-offs done, rounds, stalls seen by CPU 0
 *   stress.stall (one per stall) hand-off, owner, how the owner waited
 *                (1 idle MSR, 2 HLT, 3 PAUSE, 0 not waiting)
 *
 * test=guest-idle-gp: privilege.  cpuid 0x40000003 is recorded;
 *
 *   gp.read      (fault) RDMSR 0x400000F0, only without hv-guest-idle (with
 *                it the read would idle a VP nobody wakes)
 *   gp.write     (fault) WRMSR 0x400000F0 = 0: read-only
 */
#include "libguest.h"
#include "hv-tlfs.h"
#include "hv-time.h"

#define HV_X64_MSR_GUEST_IDLE           0x400000f0

#define GI_VEC                          0xc0
#define GI_VEC_TIMER                    0xc1
#define GI_WAIT_MS                      20
#define GI_MS                           (HV_REF_TIME_HZ / 1000)

#define ST_ENABLE                       (1ull << 0)
#define ST_APIC_VECTOR(v)               ((uint64_t)(v) << 4)
#define ST_DIRECT                       (1ull << 12)

#define APIC_ICR_NMI                    0x00400

enum { GI_IPI = 1, GI_PVIPI, GI_NMI, GI_STIMER, GI_MIG };

static const char *const gi_names[] = {
    [GI_IPI] = "ipi", [GI_PVIPI] = "pvipi", [GI_NMI] = "nmi",
    [GI_STIMER] = "stimer", [GI_MIG] = "mig",
};

static volatile uint32_t gi_irqs;       /* CPU 1's interrupts */
static volatile uint32_t gi_nmis;       /* CPU 1's NMIs */
static volatile uint32_t gi_go;         /* case CPU 0 has handed out */
static volatile uint32_t gi_in_read;    /* case CPU 1 is about to idle in */
static volatile uint32_t gi_returned;   /* case whose read returned */

static void gi_irq(GuestIrqFrame *frame)
{
    gi_irqs++;
}

static void gi_nmi(GuestIrqFrame *frame)
{
    gi_nmis++;
}

/* CPU 1: one read of the idle MSR with IF=0 */
static void gi_idle_cpu1(void *arg)
{
    uint32_t n = (uint32_t)(uintptr_t)arg;
    uint32_t irqs0, nmis0, irqs_ret, nmis_ret;
    uint64_t t0, t1, val = ~0ull, expiry = 0, v[4];
    uint8_t fault;

    /*
     * smp_call()'s wake-up IPI may still be pending, and it would end the
     * read at once: take it first.  It is in our IRR once CPU 0 returned
     * from smp_call() and sets gi_go.
     */
    irq_enable();
    wait_for_u32(&gi_go, n, 1000 * 1000);
    t0 = ref_time_msr() + GI_MS;
    while (ref_time_msr() < t0) {
        cpu_relax();
    }
    irq_disable();
    if (n == GI_STIMER) {
        /* Synthetic timers need an enabled SynIC (KVM) */
        wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
        expiry = ref_time_msr() + GI_WAIT_MS * GI_MS;
        wrmsr(HV_X64_MSR_STIMER_COUNT(0), expiry);
        wrmsr(HV_X64_MSR_STIMER_CONFIG(0), ST_ENABLE | ST_DIRECT |
              ST_APIC_VECTOR(GI_VEC_TIMER));
    }
    irqs0 = gi_irqs;
    nmis0 = gi_nmis;
    t0 = ref_time_msr();
    __atomic_store_n(&gi_in_read, n, __ATOMIC_SEQ_CST);
    fault = rdmsr_safe(HV_X64_MSR_GUEST_IDLE, &val);
    t1 = ref_time_msr();
    irqs_ret = gi_irqs;
    nmis_ret = gi_nmis;
    __atomic_store_n(&gi_returned, n, __ATOMIC_SEQ_CST);
    /* The interrupt that ended the idle read is taken now */
    irq_enable();
    if (n != GI_NMI) {
        wait_for_u32(&gi_irqs, irqs0 + 1, 100 * 1000);
    }
    irq_disable();
    v[0] = val;
    v[1] = t1 - t0;
    v[2] = irqs_ret - irqs0;
    v[3] = nmis_ret - nmis0;
    record(fault, 4, v, "idle.%s", gi_names[n]);
    v[0] = gi_irqs - irqs0;
    v[1] = gi_nmis - nmis0;
    v[2] = expiry ? t1 >= expiry : 0;
    record(HV_GUEST_FAULT_NONE, 3, v, "after.%s", gi_names[n]);
    if (n == GI_STIMER) {
        wrmsr(HV_X64_MSR_STIMER_CONFIG(0), 0);
    }
    irq_enable();
}

static void gi_wake(uint32_t n, uint32_t apic, uint64_t *rax)
{
    switch (n) {
    case GI_IPI:
    case GI_MIG:
        apic_send_ipi(apic, GI_VEC);
        break;
    case GI_PVIPI:
        /* VP index 1: QEMU's VP index is the vCPU index */
        hv_call(HVCALL_SEND_IPI | HC_FAST, GI_VEC, 1ull << 1, rax);
        break;
    case GI_NMI:
        apic_write(APIC_ICR_HIGH, apic << 24);
        apic_write(APIC_ICR_LOW, APIC_ICR_NMI | APIC_ICR_ASSERT);
        break;
    }
}

static volatile uint32_t gi_mailbox;    /* written by the qtest */

/*
 * One case: CPU 1 idles, CPU 0 waits GI_WAIT_MS (and, for GI_MIG, until
 * the qtest has migrated the VM and written the mailbox), then wakes it
 */
static void gi_case(GuestCpu *cpu1, uint32_t n)
{
    uint64_t v[2] = { 0, 0 }, t;

    smp_call(1, gi_idle_cpu1, (void *)(uintptr_t)n);
    __atomic_store_n(&gi_go, n, __ATOMIC_SEQ_CST);
    if (!wait_for_u32(&gi_in_read, n, 1000 * 1000)) {
        guest_abort("cpu1 did not start case %s", gi_names[n]);
    }
    /*
     * Nothing wakes it meanwhile: the read must not return.  In reference
     * time: udelay() only bounds TSC ticks.
     */
    t = ref_time_msr() + GI_WAIT_MS * GI_MS;
    while (ref_time_msr() < t) {
        cpu_relax();
    }
    if (n == GI_MIG) {
        mailbox_announce(&gi_mailbox, "mailbox");
        while (!gi_mailbox) {
            cpu_relax();
        }
    }
    v[0] = __atomic_load_n(&gi_returned, __ATOMIC_SEQ_CST) == n;
    gi_wake(n, cpu1->apic_id, &v[1]);
    smp_wait(1);
    record(HV_GUEST_FAULT_NONE, 2, v, "kick.%s", gi_names[n]);
}

static GuestCpu *gi_init(void)
{
    GuestCpu *cpu1 = cpu_by_index(1);

    if (!cpu1) {
        guest_abort("guest-idle needs smp=2");
    }
    irq_set_handler(GI_VEC, gi_irq, 0);
    irq_set_handler(GI_VEC_TIMER, gi_irq, 0);
    irq_set_handler(VEC_NMI, gi_nmi, IRQ_NO_EOI);
    if (hv_hypercall_enable() != HV_GUEST_FAULT_NONE) {
        guest_abort("no hypercall page");
    }
    return cpu1;
}

static void gi_setup(void)
{
    GuestCpu *cpu1 = gi_init();
    uint32_t n;

    for (n = GI_IPI; n <= GI_STIMER; n++) {
        gi_case(cpu1, n);
    }
}

GUEST_TEST(guest_idle,
    .name = "guest-idle",
    .description = "HV_X64_MSR_GUEST_IDLE: woken by IPI, PV IPI, NMI, "
                   "direct synthetic timer, with IF=0",
    .setup = gi_setup,
);

/*
 * test=guest-idle-mig: CPU 1 idles as in guest-idle, the qtest migrates
 * the VM and writes the mailbox, then CPU 0 wakes CPU 1 with a fixed IPI
 * (idle.mig, after.mig, kick.mig; mailbox: the mailbox's GPA)
 */
static void gi_mig_setup(void)
{
    gi_case(gi_init(), GI_MIG);
}

GUEST_TEST(guest_idle_mig,
    .name = "guest-idle-mig",
    .description = "HV_X64_MSR_GUEST_IDLE: a VP idle across a migration",
    .setup = gi_mig_setup,
);

static void gi_gp_setup(void)
{
    uint64_t val;

    record_cpuid(0x40000003);
    /* AccessGuestIdleReg */
    if (!(cpuid(0x40000003, 0).eax & (1u << 10))) {
        record(rdmsr_safe(HV_X64_MSR_GUEST_IDLE, &val), 0, NULL, "gp.read");
    }
    record(wrmsr_safe(HV_X64_MSR_GUEST_IDLE, 0), 0, NULL, "gp.write");
}

GUEST_TEST(guest_idle_gp,
    .name = "guest-idle-gp",
    .description = "HV_X64_MSR_GUEST_IDLE privilege; read-only",
    .setup = gi_gp_setup,
);

/* ---- test=guest-idle-stress ----------------------------------------- */

#define GS_VEC                          0xc2
/* CPU 0 calls it a stall after this long without a hand-off */
#define GS_STALL_MS                     5000
#define GS_MAX_CPUS                     64

enum { GS_NOT_WAITING, GS_IDLE_MSR, GS_HLT, GS_PAUSE };

static volatile uint32_t gs_turn;       /* hand-offs done */
static uint32_t gs_rounds, gs_ring, gs_lose;
static volatile uint32_t gs_waiting[GS_MAX_CPUS];  /* how each CPU waits */
static struct {
    volatile uint32_t reads, halts, pauses, sent;
} gs_cpu[GS_MAX_CPUS];

/* The ring is CPUs 1..n-1; hand-off t belongs to: */
static unsigned int gs_owner(uint32_t t)
{
    return 1 + t % gs_ring;
}

static void gs_irq(GuestIrqFrame *frame)
{
}

/* The VP index is the vCPU index (QEMU) = the logical index here */
static void gs_wake(uint32_t t, unsigned int to)
{
    uint64_t mask = 1ull << to, rax;

    switch (t % 3) {
    case 0:
        apic_send_ipi(cpu_by_index(to)->apic_id, GS_VEC);
        break;
    case 1:
        hv_call(HVCALL_SEND_IPI | HC_FAST, GS_VEC, mask, &rax);
        break;
    case 2:
        /* and a bystander, whose wait must simply go on */
        mask |= 1ull << gs_owner(t + 1 + gs_ring / 2);
        hv_call(HVCALL_SEND_IPI | HC_FAST, GS_VEC, mask, &rax);
        break;
    }
}

static void gs_ring_cpu(unsigned int me)
{
    uint32_t w = 0;

    for (;;) {
        uint32_t t;

        irq_disable();
        t = __atomic_load_n(&gs_turn, __ATOMIC_SEQ_CST);
        if (t >= gs_rounds) {
            irq_enable();
            break;
        }
        if (gs_owner(t) != me) {
            uint32_t how = ++w % 3 == 0 ? (w % 2 ? GS_HLT : GS_PAUSE)
                                        : GS_IDLE_MSR;

            gs_waiting[me] = how;
            if (how == GS_IDLE_MSR) {
                /* As Linux's hv_qlock_wait(): IF=0 across look and read */
                (void)rdmsr(HV_X64_MSR_GUEST_IDLE);
                gs_cpu[me].reads++;
                irq_enable();
            } else if (how == GS_HLT) {
                gs_cpu[me].halts++;
                safe_halt();
            } else {
                irq_enable();
                while (__atomic_load_n(&gs_turn, __ATOMIC_SEQ_CST) == t) {
                    cpu_relax();
                }
                gs_cpu[me].pauses++;
            }
            gs_waiting[me] = GS_NOT_WAITING;
            continue;
        }
        irq_enable();
        /* The token first, then the wake: the wake may beat the look */
        __atomic_store_n(&gs_turn, t + 1, __ATOMIC_SEQ_CST);
        if (t + 1 == gs_lose) {
            /* lose=N: no wake for hand-off N, to see the watcher catch it */
        } else if (t + 1 < gs_rounds) {
            gs_wake(t, gs_owner(t + 1));
        } else {
            for (unsigned int c = 1; c <= gs_ring; c++) {
                if (c != me) {
                    apic_send_ipi(cpu_by_index(c)->apic_id, GS_VEC);
                }
            }
        }
        gs_cpu[me].sent++;
    }
}

static void gs_watch(void)
{
    uint32_t last = ~0u, stalls = 0, t;
    uint64_t since = ref_time_msr(), v[3];

    while ((t = __atomic_load_n(&gs_turn, __ATOMIC_SEQ_CST)) < gs_rounds) {
        uint64_t now = ref_time_msr();

        if (t != last) {
            last = t;
            since = now;
        } else if (now - since > (uint64_t)GS_STALL_MS * GI_MS) {
            unsigned int owner = gs_owner(t);

            v[0] = t;
            v[1] = owner;
            v[2] = gs_waiting[owner];
            record(HV_GUEST_FAULT_NONE, 3, v, "stress.stall");
            stalls++;
            apic_send_ipi(cpu_by_index(owner)->apic_id, GS_VEC);
            since = now;
        }
        cpu_relax();
    }
    v[0] = t;
    v[1] = gs_rounds;
    v[2] = stalls;
    record(HV_GUEST_FAULT_NONE, 3, v, "stress");
}

static void gs_setup(void)
{
    if (nr_cpus() < 3 || nr_cpus() > GS_MAX_CPUS) {
        guest_abort("guest-idle-stress needs 3 to %d CPUs", GS_MAX_CPUS);
    }
    gs_ring = nr_cpus() - 1;
    gs_rounds = cmdline_get_u64("rounds", 4000);
    gs_lose = cmdline_get_u64("lose", 0);
    irq_set_handler(GS_VEC, gs_irq, 0);
    if (hv_hypercall_enable() != HV_GUEST_FAULT_NONE) {
        guest_abort("no hypercall page");
    }
}

static void gs_cpu_fn(unsigned int cpu)
{
    uint64_t v[4];

    smp_barrier();
    if (!cpu) {
        gs_watch();
        return;
    }
    gs_ring_cpu(cpu);
    v[0] = gs_cpu[cpu].reads;
    v[1] = gs_cpu[cpu].halts;
    v[2] = gs_cpu[cpu].pauses;
    v[3] = gs_cpu[cpu].sent;
    record(HV_GUEST_FAULT_NONE, 4, v, "stress.cpu%u", cpu);
}

GUEST_TEST(guest_idle_stress,
    .name = "guest-idle-stress",
    .description = "HV_X64_MSR_GUEST_IDLE: no lost wake-up in a ring of "
                   "idling CPUs woken by IPIs and PV IPIs",
    .setup = gs_setup,
    .cpu_fn = gs_cpu_fn,
);
