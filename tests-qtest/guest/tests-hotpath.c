/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-hotpath-test.c and of make bench's hot-path rows
 * (scripts/bench.sh): what a guest pays for the Hyper-V hooks on paths
 * it takes whether or not it uses an enlightenment -- leaving cpu_exec()
 * (PAUSE), HLT, an I/O port write, RDTSC, RDMSR of an ordinary MSR, an
 * interrupt.  Timed with RDTSC at CPL 0, in guest TSC cycles; the same
 * loops run with and without hv-*, and on an unpatched QEMU.
 *
 * Command line:
 *   pauses=N       hotpath-pause: PAUSEs to execute (default 100000)
 *   iterations=N   bench-hotpath: samples per measurement (default 1000)
 *   batch=K        bench-hotpath: instructions per sample for the cheap
 *                  ones (default 128: the guest TSC under TCG moves in
 *                  steps of ~20 cycles on this project's test host, and
 *                  a RDMSR takes 8)
 */
#include "hv-time.h"

#define HV_CPUID_FEATURES               0x40000003
#define HV_ACCESS_VP_RUNTIME            (1u << 0)
#define HV_ACCESS_REF_COUNTER           (1u << 1)

#define MSR_EFER                        0xc0000080
/* The PC's POST diagnostic port: an ordinary device access, no effect */
#define PORT_POST                       0x80

#define HOTPATH_VECTOR                  0x51
/* ICR destination shorthand "self" */
#define APIC_ICR_SELF                   (1u << 18)

/* The Hyper-V privileges (CPUID 0x40000003 EAX); 0 without Hyper-V */
static uint32_t hotpath_privileges(void)
{
    CpuidResult r = cpuid(0x40000000, 0);

    /* "Microsoft Hv" */
    if (r.ebx != 0x7263694d || r.ecx != 0x666f736f || r.edx != 0x76482074 ||
        r.eax < HV_CPUID_FEATURES) {
        return 0;
    }
    return cpuid(HV_CPUID_FEATURES, 0).eax;
}

/* ---- hotpath-pause ------------------------------------------------------ */

/*
 * hotpath-pause: PAUSE in a loop, the spin-wait of every OS.  Under TCG
 * each PAUSE leaves cpu_exec(); the qtest checks what that cost QEMU
 * (its counters), this side only says how many.  With hv-runtime and
 * hv-time the VP runtime must grow while the loop runs, and not faster
 * than the reference time.
 *
 *   hotpath.pause       PAUSEs, guest TSC cycles they took
 *   hotpath.runtime     VP runtime before, after; reference time before,
 *                       after (only with both privileges)
 */
static void hotpath_pause_setup(void)
{
    uint64_t n = cmdline_get_u64("pauses", 100000);
    uint32_t priv = hotpath_privileges();
    bool runtime = (priv & HV_ACCESS_VP_RUNTIME) &&
                   (priv & HV_ACCESS_REF_COUNTER);
    uint64_t v[4] = { 0 }, t0;

    if (runtime) {
        v[2] = ref_time_msr();
        v[0] = rdmsr(HV_X64_MSR_VP_RUNTIME);
    }
    t0 = rdtsc_ordered();
    for (uint64_t i = 0; i < n; i++) {
        cpu_relax();
    }
    t0 = rdtsc_ordered() - t0;
    if (runtime) {
        v[1] = rdmsr(HV_X64_MSR_VP_RUNTIME);
        v[3] = ref_time_msr();
        record(HV_GUEST_FAULT_NONE, 4, v, "hotpath.runtime");
    }
    v[0] = n;
    v[1] = t0;
    record(HV_GUEST_FAULT_NONE, 2, v, "hotpath.pause");
}

GUEST_TEST(hotpath_pause,
    .name = "hotpath-pause",
    .description = "a PAUSE loop (each PAUSE leaves cpu_exec under TCG)",
    .setup = hotpath_pause_setup,
);

/*
 * hotpath-runtime-snap: the VP runtime across savevm/loadvm.  The guest
 * reads the VP runtime and the reference time, announces its mailbox and
 * spins until the qtest writes it; the qtest saves a snapshot, lets the
 * guest spin on, and loads the snapshot before it writes the mailbox.
 * The VP runtime must go on from its saved value: not count the time
 * the vCPU thread ran between savevm and loadvm (the reference time does
 * not either).
 *
 *   mailbox             GPA of the mailbox word
 *   hotpath.snap        VP runtime before, after; reference time before,
 *                       after
 */
static volatile uint32_t snap_mailbox;      /* written by the qtest */

static void hotpath_snap_setup(void)
{
    uint64_t v[4];

    v[2] = ref_time_msr();
    v[0] = rdmsr(HV_X64_MSR_VP_RUNTIME);
    mailbox_announce(&snap_mailbox, "mailbox");
    while (!snap_mailbox) {
        cpu_relax();
    }
    v[1] = rdmsr(HV_X64_MSR_VP_RUNTIME);
    v[3] = ref_time_msr();
    record(HV_GUEST_FAULT_NONE, 4, v, "hotpath.snap");
}

GUEST_TEST(hotpath_runtime_snap,
    .name = "hotpath-runtime-snap",
    .description = "VP runtime across savevm/loadvm (needs the qtest)",
    .setup = hotpath_snap_setup,
);

/* ---- bench-hotpath ------------------------------------------------------ */

static uint64_t *hp_samples;
static unsigned int hp_nr;
static volatile uint32_t hp_irqs;           /* bumped by the handler */

static void hp_irq(GuestIrqFrame *frame)
{
    hp_irqs++;
}

/* Shell sort, as in tests-bench.c */
static void hp_sort(uint64_t *a, unsigned int n)
{
    static const unsigned int gaps[] = {
        88573, 29524, 9841, 3280, 1093, 364, 121, 40, 13, 4, 1
    };
    unsigned int g, i, j;

    for (g = 0; g < ARRAY_SIZE(gaps); g++) {
        unsigned int gap = gaps[g];

        for (i = gap; i < n; i++) {
            uint64_t v = a[i];

            for (j = i; j >= gap && a[j - gap] > v; j -= gap) {
                a[j] = a[j - gap];
            }
            a[j] = v;
        }
    }
}

/*
 * { min, median, n, K } of the samples, each the cycles of K operations:
 * the reader divides, so that a cheap instruction keeps its fraction
 */
static void hp_record(const char *name, unsigned int per_sample)
{
    uint64_t v[4];

    hp_sort(hp_samples, hp_nr);
    v[0] = hp_samples[0];
    v[1] = hp_samples[hp_nr / 2];
    v[2] = hp_nr;
    v[3] = per_sample;
    record(HV_GUEST_FAULT_NONE, 4, v, "%s", name);
}

/* A macro, not a function pointer: an indirect call is a TB lookup */
#define HP_TIME(batch, body)                                            \
    do {                                                                \
        for (unsigned int i_ = 0; i_ < hp_nr; i_++) {                   \
            uint64_t t0_ = rdtsc_ordered();                             \
                                                                        \
            for (unsigned int j_ = 0; j_ < (batch); j_++) {             \
                body;                                                   \
            }                                                           \
            hp_samples[i_] = rdtsc_ordered() - t0_;                     \
        }                                                               \
    } while (0)

static inline void self_ipi(void)
{
    apic_write(APIC_ICR_LOW, APIC_ICR_FIXED | APIC_ICR_ASSERT |
               APIC_ICR_SELF | HOTPATH_VECTOR);
}

/* Waits until the handler ran @want times; false after ~1 s of TSC */
static bool hp_wait_irqs(uint32_t want)
{
    uint64_t t0 = rdtsc();

    while (hp_irqs != want) {
        if (rdtsc() - t0 > 1000000ull * GUEST_TSC_TICKS_PER_US) {
            return false;
        }
    }
    return true;
}

/*
 * bench-hotpath (1 CPU): guest cycles of
 *
 *   hotpath.pause   PAUSE (leaves cpu_exec() under TCG)
 *   hotpath.hlt     CLI, self-IPI, STI; HLT: the HLT leaves cpu_exec(),
 *                   the pending interrupt wakes the vCPU at once and its
 *                   handler (EOI) runs
 *   hotpath.out     OUT to port 0x80: a device access (BQL)
 *   hotpath.rdtsc   RDTSC (hv-time: the partition's scaled TSC)
 *   hotpath.rdmsr   RDMSR of EFER, an MSR the Hyper-V range check passes
 *                   on to QEMU's own
 *   hotpath.irq     self-IPI to the handler's EOI with interrupts on: the
 *                   APIC's accept and EOI paths (SynIC AutoEOI checks)
 *
 * each { min, median, n, K }: cycles of K operations (batch=K for the
 * cheap ones, 1 for HLT and the interrupt).
 */
static void bench_hotpath_setup(void)
{
    uint64_t batch = cmdline_get_u64("batch", 128);
    uint64_t n = cmdline_get_u64("iterations", 1000);
    uint32_t want;

    if (batch < 1 || batch > 1000) {
        guest_abort("batch=%lu: 1 to 1000", batch);
    }
    if (n < 1 || n > 1000000) {
        guest_abort("iterations=%lu: 1 to 1000000", n);
    }
    hp_nr = n;
    hp_samples = alloc_pages((hp_nr * sizeof(uint64_t) + 4095) / 4096);
    irq_set_handler(HOTPATH_VECTOR, hp_irq, 0);

    HP_TIME(batch, cpu_relax());
    hp_record("hotpath.pause", batch);

    HP_TIME(1, {
        want = hp_irqs + 1;
        irq_disable();
        self_ipi();
        safe_halt();
        if (hp_irqs != want) {
            guest_abort("hotpath.hlt: the self-IPI did not arrive");
        }
    });
    irq_disable();
    hp_record("hotpath.hlt", 1);

    HP_TIME(batch, outb(PORT_POST, 0));
    hp_record("hotpath.out", batch);

    HP_TIME(batch, rdtsc());
    hp_record("hotpath.rdtsc", batch);

    HP_TIME(batch, rdmsr(MSR_EFER));
    hp_record("hotpath.rdmsr", batch);

    irq_enable();
    HP_TIME(1, {
        want = hp_irqs + 1;
        self_ipi();
        if (!hp_wait_irqs(want)) {
            guest_abort("hotpath.irq: the self-IPI did not arrive");
        }
    });
    irq_disable();
    hp_record("hotpath.irq", 1);
}

GUEST_TEST(bench_hotpath,
    .name = "bench-hotpath",
    .description = "guest cycles of PAUSE, HLT, OUT, RDTSC, RDMSR, an IRQ",
    .setup = bench_hotpath_setup,
);
