/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-synic-test.c: the synthetic interrupt controller (TLFS
 * "Inter-Partition Communication": SynIC MSRs, SINTs, message slots,
 * event flags, HvPostMessage and HvSignalEvent).
 *
 * Everything runs from the BSP's setup(): the other CPUs sit in the
 * runtime's idle loop (HLT with interrupts enabled), so they take the
 * SINTs raised for them, and the BSP runs code on them with smp_call().
 * QEMU's "hyperv-testdev" (hw/hyperv/hyperv_testdev.c, one 32-bit I/O
 * port at 0x3000) is the other end: it creates SINT routes and raises
 * SINTs, and answers HvPostMessage / HvSignalEvent on the connections
 * the guest asks it to create by posting the message back / setting the
 * event flag.
 *
 * The tests report what they see in records documented next to each
 * test; the qtest judges.  A value read back from an MSR whose RDMSR
 * faulted is SYN_READ_FAULTED.
 */
#include "hv-time.h"

/* TLFS hypercalls */
#define HV_HYPERCALL_FAST               (1ull << 16)
#define HV_HYPERCALL_VARHEAD(n)         ((uint64_t)(n) << 17)
#define HV_HYPERCALL_REP_COUNT(n)       ((uint64_t)(n) << 32)

/* hyperv-testdev: one 32-bit write, sint | vp << 8 | op << 16 | conn << 24 */
#define TESTDEV_PORT                    0x3000
enum {
    TESTDEV_SINT_ROUTE_CREATE = 1,
    TESTDEV_SINT_ROUTE_DESTROY = 2,
    TESTDEV_SINT_ROUTE_SET_SINT = 3,
    TESTDEV_MSG_CONN_CREATE = 4,
    TESTDEV_MSG_CONN_DESTROY = 5,
    TESTDEV_EVT_CONN_CREATE = 6,
    TESTDEV_EVT_CONN_DESTROY = 7,
};

/* Vectors (hv-synic-test.c has the same) */
#define SYN_VEC(sint)                   (0x40 + (sint))
#define SYN_VEC_AUTO_EOI                0x80    /* SINT 8, AutoEOI */
#define SYN_VEC_LOW                     0x38    /* SINT 9, lower class */
#define SYN_VEC_HIGH                    0x90    /* SINT 10, no AutoEOI */
#define SYN_MSG_SINT                    2
#define SYN_EVT_SINT                    3

/* Message and event connections the guest creates in the testdev */
#define SYN_MSG_CONN(vp)                (10 + (vp))
#define SYN_EVT_CONN(vp)                (20 + (vp))
#define SYN_UNKNOWN_CONN                99

/* Message types and payload the guest posts */
#define SYN_MSG_TYPE_A                  0x1234
#define SYN_MSG_TYPE_B                  0x1235
#define SYN_PAYLOAD(type, i)            (0x5a5a000000000000ull | \
                                         (uint64_t)(type) << 16 | (i))

#define SYN_READ_FAULTED                0xfa17fa17fa17fa17ull
#define SYN_MAX_CPUS                    4
/* Guest RAM ends here (the harness gives -m 64) */
#define SYN_RAM_END                     0x04000000ull

typedef struct SynCpu {
    volatile HvMessage *simp;           /* written by QEMU and the guest */
    volatile uint8_t *siefp;            /* written by QEMU and the guest */
    volatile uint32_t count[256];       /* by vector, from the handler */
    volatile uint32_t isr_seen[256];    /* ISR bit while the handler ran */
    volatile uint32_t total;
    volatile uint32_t last_vector;      /* from the handler */
} SynCpu;

static SynCpu syn_cpus[SYN_MAX_CPUS];
static HvPostMessageInput *syn_input;

static void syn_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();
    unsigned int vec = frame->vector;
    SynCpu *c;

    if (cpu >= SYN_MAX_CPUS) {
        return;
    }
    c = &syn_cpus[cpu];
    c->isr_seen[vec] = (apic_read(APIC_ISR + (vec / 32) * 0x10) >>
                        (vec % 32)) & 1;
    c->count[vec]++;
    c->total++;
    c->last_vector = vec;
}

static void testdev(uint8_t op, uint8_t vp, uint8_t sint, uint8_t conn)
{
    outl(TESTDEV_PORT, sint | (uint32_t)vp << 8 | (uint32_t)op << 16 |
         (uint32_t)conn << 24);
}

/* Spins (interrupts as they are) for @ms of reference time */
static void syn_delay_ms(uint64_t ms)
{
    uint64_t end = ref_time_msr() + ms * (HV_REF_TIME_HZ / 1000);

    while (ref_time_msr() < end) {
        udelay(10);
    }
}

/* Waits up to @ms for *@p >= @want */
static bool wait_ge(const volatile uint32_t *p, uint32_t want, uint64_t ms)
{
    uint64_t end = ref_time_msr() + ms * (HV_REF_TIME_HZ / 1000);

    while (*p < want) {
        if (ref_time_msr() > end) {
            return *p >= want;
        }
        udelay(10);
    }
    return true;
}

/* Waits up to @ms for (*@p & @mask) == @val */
static bool wait_bits8(const volatile uint8_t *p, uint8_t mask, uint8_t val,
                       uint64_t ms)
{
    uint64_t end = ref_time_msr() + ms * (HV_REF_TIME_HZ / 1000);

    while ((*p & mask) != val) {
        if (ref_time_msr() > end) {
            return (*p & mask) == val;
        }
        udelay(10);
    }
    return true;
}

static bool wait_u32(const volatile uint32_t *p, /* written by others */
                     uint32_t val, uint64_t ms)
{
    uint64_t end = ref_time_msr() + ms * (HV_REF_TIME_HZ / 1000);

    while (*p != val) {
        if (ref_time_msr() > end) {
            return *p == val;
        }
        udelay(10);
    }
    return true;
}

/* ---- Running things on a given CPU -------------------------------------- */

static void on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
    smp_call(cpu, fn, arg);
    smp_wait(cpu);
}

typedef struct MsrOp {
    uint32_t msr;
    uint64_t val;
    uint8_t fault;
} MsrOp;

static void msr_write_fn(void *arg)
{
    MsrOp *op = arg;

    op->fault = wrmsr_safe(op->msr, op->val);
}

static void msr_read_fn(void *arg)
{
    MsrOp *op = arg;

    op->fault = rdmsr_safe(op->msr, &op->val);
    if (op->fault != HV_GUEST_FAULT_NONE) {
        op->val = SYN_READ_FAULTED;
    }
}

static uint8_t wrmsr_on(unsigned int cpu, uint32_t msr, uint64_t val)
{
    MsrOp op = { .msr = msr, .val = val };

    on_cpu(cpu, msr_write_fn, &op);
    return op.fault;
}

static uint64_t rdmsr_on(unsigned int cpu, uint32_t msr)
{
    MsrOp op = { .msr = msr };

    on_cpu(cpu, msr_read_fn, &op);
    return op.val;
}

static void eoi_fn(void *arg)
{
    apic_eoi();
}

typedef struct IsrOp {
    uint8_t vector;
    uint32_t bit;
} IsrOp;

static void isr_fn(void *arg)
{
    IsrOp *op = arg;

    op->bit = (apic_read(APIC_ISR + (op->vector / 32) * 0x10) >>
               (op->vector % 32)) & 1;
}

static uint32_t isr_on(unsigned int cpu, uint8_t vector)
{
    IsrOp op = { .vector = vector };

    on_cpu(cpu, isr_fn, &op);
    return op.bit;
}

/* Empties SINT @sint's slot on the CPU that owns it, then writes EOM */
static void clear_and_eom_fn(void *arg)
{
    SynCpu *c = &syn_cpus[cpu_index()];
    unsigned int sint = (uintptr_t)arg;

    c->simp[sint].type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wrmsr(HV_X64_MSR_EOM, 0);
}

/* ---- Common set-up ------------------------------------------------------ */

/* SIMP, SIEFP and SCONTROL on the calling CPU */
static void synic_enable_fn(void *arg)
{
    SynCpu *c = &syn_cpus[cpu_index()];

    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)c->simp | HV_SYNIC_PAGE_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)c->siefp | HV_SYNIC_PAGE_ENABLE);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
}

/* Every SINT of the calling CPU unmasked at SYN_VEC(sint) */
static void sints_unmask_fn(void *arg)
{
    unsigned int i;

    for (i = 0; i < HV_SINT_COUNT; i++) {
        wrmsr(HV_X64_MSR_SINT(i), SYN_VEC(i));
    }
}

/*
 * Handlers for every vector the tests use, pages for every CPU, and
 * (unless @enable is false) the SynIC on on every CPU with all SINTs
 * unmasked.  Leaves interrupts enabled on the BSP.
 */
static void syn_setup_common(bool enable)
{
    unsigned int i;

    if (nr_cpus() > SYN_MAX_CPUS) {
        guest_abort("at most %u CPUs", SYN_MAX_CPUS);
    }
    for (i = 0; i < HV_SINT_COUNT; i++) {
        irq_set_handler(SYN_VEC(i), syn_irq, 0);
    }
    irq_set_handler(SYN_VEC_AUTO_EOI, syn_irq, IRQ_NO_EOI);
    irq_set_handler(SYN_VEC_LOW, syn_irq, 0);
    irq_set_handler(SYN_VEC_HIGH, syn_irq, IRQ_NO_EOI);
    for (i = 0; i < nr_cpus(); i++) {
        syn_cpus[i].simp = alloc_pages(1);
        syn_cpus[i].siefp = alloc_pages(1);
        if (enable) {
            on_cpu(i, synic_enable_fn, NULL);
            on_cpu(i, sints_unmask_fn, NULL);
        }
    }
    syn_input = alloc_pages(1);
    irq_enable();
}

/* ---- synic-msr ---------------------------------------------------------- */

static uint64_t rdmsr_or_faulted(uint32_t msr)
{
    uint64_t val;

    return rdmsr_safe(msr, &val) == HV_GUEST_FAULT_NONE ? val
                                                        : SYN_READ_FAULTED;
}

/* WRMSR @msr := @val after @base; records fault and what reads back */
static void msr_try(uint32_t msr, uint64_t base, uint64_t val,
                    const char *what)
{
    uint64_t v[2];
    uint8_t fault;

    wrmsr(msr, base);
    fault = wrmsr_safe(msr, val);
    v[0] = rdmsr_or_faulted(msr);
    v[1] = val;
    record(fault, 2, v, "cpu0.wr.%s", what);
}

static void record_reset_values(unsigned int cpu, const char *when)
{
    uint64_t v[4];
    unsigned int i;

    v[0] = rdmsr_on(cpu, HV_X64_MSR_SCONTROL);
    v[1] = rdmsr_on(cpu, HV_X64_MSR_SIMP);
    v[2] = rdmsr_on(cpu, HV_X64_MSR_SIEFP);
    v[3] = rdmsr_on(cpu, HV_X64_MSR_EOM);
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.%s.regs", cpu, when);
    for (i = 0; i < HV_SINT_COUNT; i++) {
        v[0] = rdmsr_on(cpu, HV_X64_MSR_SINT(i));
        record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.%s.sint%u", cpu, when, i);
    }
}

/*
 * synic-msr: the SynIC MSRs.
 *
 *   cpuN.sversion            SVERSION; fault of the RDMSR
 *   cpuN.reset.regs          SCONTROL, SIMP, SIEFP, EOM at power-on
 *   cpuN.reset.sintS         SINTS at power-on
 *   cpu0.wr.sversion         WRMSR SVERSION := 1: fault; read back
 *   cpu0.wr.NAME             WRMSR fault; value read back, value written.
 *                            For the SINTs (NAME sint_*) SINT3 holds
 *                            0x10000 before each try, SCONTROL 0, SIMP
 *                            and SIEFP 0.
 *   cpu0.simp.enable         WRMSR SIMP := page | 1: fault; read back,
 *                            page GPA; qword written to the page, read
 *                            back through the page
 *   cpu0.simp.disable        WRMSR SIMP := page: read back
 *   cpu0.siefp.enable        as simp.enable
 *   cpu0.siefp.disable       as simp.disable
 *   cpu0.eom                 WRMSR EOM := 0x1234: fault; EOM read back
 *   cpu1.after.regs / sintS  CPU 1's registers after CPU 0 changed its
 *                            own (smp > 1)
 */
static void synic_msr_setup(void)
{
    uint64_t page = (uintptr_t)alloc_pages(1);
    uint64_t page2 = (uintptr_t)alloc_pages(1);
    volatile uint64_t *q;               /* a SynIC page */
    unsigned int cpu;
    uint64_t v[4];
    uint8_t fault;

    for (cpu = 0; cpu < nr_cpus(); cpu++) {
        MsrOp op = { .msr = HV_X64_MSR_SVERSION };

        on_cpu(cpu, msr_read_fn, &op);
        record(op.fault, 1, &op.val, "cpu%u.sversion", cpu);
        record_reset_values(cpu, "reset");
    }

    fault = wrmsr_safe(HV_X64_MSR_SVERSION, 1);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_SVERSION);
    record(fault, 1, v, "cpu0.wr.sversion");

    msr_try(HV_X64_MSR_SCONTROL, 0, HV_SYNIC_ENABLE, "scontrol_enable");
    msr_try(HV_X64_MSR_SCONTROL, 0, 1ull << 1 | 1, "scontrol_bit1");
    msr_try(HV_X64_MSR_SCONTROL, 0, 1ull << 63 | 1, "scontrol_bit63");
    msr_try(HV_X64_MSR_SCONTROL, 0, 0, "scontrol_disable");

    msr_try(HV_X64_MSR_SIMP, 0, page | 1 | 1ull << 1, "simp_bit1");
    msr_try(HV_X64_MSR_SIMP, 0, page | 1 | 1ull << 11, "simp_bit11");
    msr_try(HV_X64_MSR_SIEFP, 0, page | 1 | 1ull << 1, "siefp_bit1");
    msr_try(HV_X64_MSR_SIEFP, 0, page | 1 | 1ull << 11, "siefp_bit11");

    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x40 | 1ull << 8,
            "sint_bit8");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x40 | 1ull << 15,
            "sint_bit15");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x40 | 1ull << 19,
            "sint_bit19");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x40 | 1ull << 63,
            "sint_bit63");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x0f, "sint_vec15");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x00, "sint_vec0");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x0f | HV_SINT_AUTO_EOI,
            "sint_vec15_autoeoi");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x0f | HV_SINT_MASKED,
            "sint_vec15_masked");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x10, "sint_vec16");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0xff, "sint_vec255");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x41 | HV_SINT_AUTO_EOI,
            "sint_autoeoi");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED, 0x42 | HV_SINT_POLLING,
            "sint_polling");
    msr_try(HV_X64_MSR_SINT(3), HV_SINT_MASKED,
            0xfe | HV_SINT_MASKED | HV_SINT_AUTO_EOI | HV_SINT_POLLING,
            "sint_all_flags");
    msr_try(HV_X64_MSR_SINT(3), 0x43, HV_SINT_MASKED, "sint_mask");
    wrmsr(HV_X64_MSR_SINT(3), HV_SINT_MASKED);

    /* The pages: enabled at a GPA, usable, disabled */
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
    fault = wrmsr_safe(HV_X64_MSR_SIMP, page | HV_SYNIC_PAGE_ENABLE);
    q = (volatile uint64_t *)(uintptr_t)page;   /* QEMU's page */
    q[100] = 0x1122334455667788ull;
    v[0] = rdmsr_or_faulted(HV_X64_MSR_SIMP);
    v[1] = page;
    v[2] = 0x1122334455667788ull;
    v[3] = q[100];
    record(fault, 4, v, "cpu0.simp.enable");
    q[100] = 0;
    fault = wrmsr_safe(HV_X64_MSR_SIMP, page);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_SIMP);
    record(fault, 1, v, "cpu0.simp.disable");

    fault = wrmsr_safe(HV_X64_MSR_SIEFP, page2 | HV_SYNIC_PAGE_ENABLE);
    q = (volatile uint64_t *)(uintptr_t)page2;  /* QEMU's page */
    q[200] = 0x8877665544332211ull;
    v[0] = rdmsr_or_faulted(HV_X64_MSR_SIEFP);
    v[1] = page2;
    v[2] = 0x8877665544332211ull;
    v[3] = q[200];
    record(fault, 4, v, "cpu0.siefp.enable");
    q[200] = 0;
    fault = wrmsr_safe(HV_X64_MSR_SIEFP, page2);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_SIEFP);
    record(fault, 1, v, "cpu0.siefp.disable");

    fault = wrmsr_safe(HV_X64_MSR_EOM, 0x1234);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_EOM);
    record(fault, 1, v, "cpu0.eom");

    /* CPU 0 leaves something set: the other VPs' registers are their own */
    wrmsr(HV_X64_MSR_SIMP, page | HV_SYNIC_PAGE_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, page2 | HV_SYNIC_PAGE_ENABLE);
    wrmsr(HV_X64_MSR_SINT(0), 0x50);
    for (cpu = 1; cpu < nr_cpus(); cpu++) {
        record_reset_values(cpu, "after");
    }
    wrmsr(HV_X64_MSR_SINT(0), HV_SINT_MASKED);
    wrmsr(HV_X64_MSR_SIMP, 0);
    wrmsr(HV_X64_MSR_SIEFP, 0);
    wrmsr(HV_X64_MSR_SCONTROL, 0);
}

GUEST_TEST(synic_msr,
    .name = "synic-msr",
    .description = "SynIC MSRs: version, reset values, reserved bits",
    .setup = synic_msr_setup,
);

/* ---- synic-sint --------------------------------------------------------- */

/* Total interrupts of every CPU, to take deltas */
static void snapshot_totals(uint32_t *totals)
{
    unsigned int i;

    for (i = 0; i < nr_cpus(); i++) {
        totals[i] = syn_cpus[i].total;
    }
}

static uint32_t others_delta(unsigned int vp, const uint32_t *totals)
{
    uint32_t d = 0;
    unsigned int i;

    for (i = 0; i < nr_cpus(); i++) {
        if (i != vp) {
            d += syn_cpus[i].total - totals[i];
        }
    }
    return d;
}

/*
 * Raises SINT @sint of @vp through the testdev and records, as @name:
 * interrupts taken at SYN_VEC(@sint) by @vp, interrupts @vp took in all,
 * the last vector @vp took, interrupts the other CPUs took.
 */
static void raise_and_record(unsigned int vp, unsigned int sint,
                             uint64_t wait_ms, const char *name)
{
    SynCpu *c = &syn_cpus[vp];
    uint32_t totals[SYN_MAX_CPUS];
    uint32_t before = c->count[SYN_VEC(sint)];
    uint64_t v[4];

    snapshot_totals(totals);
    c->last_vector = 0;
    testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, sint, 0);
    wait_ge(&c->count[SYN_VEC(sint)], before + 1, wait_ms);
    /* A duplicate would come right behind */
    syn_delay_ms(2);
    v[0] = c->count[SYN_VEC(sint)] - before;
    v[1] = c->total - totals[vp];
    v[2] = c->last_vector;
    v[3] = others_delta(vp, totals);
    record(HV_GUEST_FAULT_NONE, 4, v, "%s", name);
}

/* Delta of the interrupts at @vec on @vp since *@snap, which is updated */
static uint32_t delta(unsigned int vp, uint8_t vec, uint32_t *snap)
{
    uint32_t now = syn_cpus[vp].count[vec];
    uint32_t d = now - *snap;

    *snap = now;
    return d;
}

/*
 * synic-sint: raising SINTs through hyperv-testdev routes, on every CPU
 * (smp=N), each SINT S at vector SYN_VEC(S).
 *
 *   sint.vpV.sS        see raise_and_record()
 *   masked.vpV         SINT 5 masked: interrupts after the raise; after
 *                      unmasking it (the lost one must not come); after
 *                      raising it again unmasked
 *   polling.vpV        SINT 6 in polling mode: interrupts after the raise
 *   disabled.vpV       SCONTROL 0: interrupts for a raise of SINT 7;
 *                      after SCONTROL 1 again; after another raise
 *   autoeoi.vpV        SINT 8 at SYN_VEC_AUTO_EOI with AutoEOI, whose
 *                      handler sends no EOI: interrupts taken; its ISR
 *                      bit while the handler ran; interrupts then taken
 *                      at SYN_VEC_LOW (SINT 9, a lower priority class);
 *                      the ISR bit of SYN_VEC_AUTO_EOI afterwards
 *   noautoeoi.vpV      SINT 10 at SYN_VEC_HIGH without AutoEOI, whose
 *                      handler sends no EOI: interrupts taken; its ISR
 *                      bit while the handler ran; interrupts at
 *                      SYN_VEC_LOW for a raise of SINT 9 before the
 *                      guest's EOI; after it
 */
static void synic_sint_setup(void)
{
    unsigned int vp, s;

    syn_setup_common(true);
    for (vp = 0; vp < nr_cpus(); vp++) {
        for (s = 0; s < HV_SINT_COUNT; s++) {
            testdev(TESTDEV_SINT_ROUTE_CREATE, vp, s, 0);
        }
    }

    for (vp = 0; vp < nr_cpus(); vp++) {
        char name[HV_GUEST_RECORD_NAME_LEN];

        for (s = 0; s < HV_SINT_COUNT; s++) {
            snprintf(name, sizeof(name), "sint.vp%u.s%u", vp, s);
            raise_and_record(vp, s, 1000, name);
        }
    }

    for (vp = 0; vp < nr_cpus(); vp++) {
        SynCpu *c = &syn_cpus[vp];
        uint32_t snap;
        uint64_t v[4];

        /* Masked: lost, also once unmasked */
        wrmsr_on(vp, HV_X64_MSR_SINT(5), SYN_VEC(5) | HV_SINT_MASKED);
        snap = c->count[SYN_VEC(5)];
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 5, 0);
        syn_delay_ms(20);
        v[0] = delta(vp, SYN_VEC(5), &snap);
        wrmsr_on(vp, HV_X64_MSR_SINT(5), SYN_VEC(5));
        syn_delay_ms(20);
        v[1] = delta(vp, SYN_VEC(5), &snap);
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 5, 0);
        wait_ge(&c->count[SYN_VEC(5)], snap + 1, 1000);
        syn_delay_ms(2);
        v[2] = delta(vp, SYN_VEC(5), &snap);
        record(HV_GUEST_FAULT_NONE, 3, v, "masked.vp%u", vp);

        /* Polling: no interrupt */
        wrmsr_on(vp, HV_X64_MSR_SINT(6), SYN_VEC(6) | HV_SINT_POLLING);
        snap = c->count[SYN_VEC(6)];
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 6, 0);
        syn_delay_ms(20);
        v[0] = delta(vp, SYN_VEC(6), &snap);
        wrmsr_on(vp, HV_X64_MSR_SINT(6), SYN_VEC(6));
        record(HV_GUEST_FAULT_NONE, 1, v, "polling.vp%u", vp);

        /* SynIC off: nothing, and nothing held back for later */
        wrmsr_on(vp, HV_X64_MSR_SCONTROL, 0);
        snap = c->count[SYN_VEC(7)];
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 7, 0);
        syn_delay_ms(20);
        v[0] = delta(vp, SYN_VEC(7), &snap);
        wrmsr_on(vp, HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
        syn_delay_ms(20);
        v[1] = delta(vp, SYN_VEC(7), &snap);
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 7, 0);
        wait_ge(&c->count[SYN_VEC(7)], snap + 1, 1000);
        syn_delay_ms(2);
        v[2] = delta(vp, SYN_VEC(7), &snap);
        record(HV_GUEST_FAULT_NONE, 3, v, "disabled.vp%u", vp);
    }

    for (vp = 0; vp < nr_cpus(); vp++) {
        SynCpu *c = &syn_cpus[vp];
        uint32_t snap_auto, snap_low, snap_high;
        uint64_t v[4];

        wrmsr_on(vp, HV_X64_MSR_SINT(8), SYN_VEC_AUTO_EOI | HV_SINT_AUTO_EOI);
        wrmsr_on(vp, HV_X64_MSR_SINT(9), SYN_VEC_LOW);
        wrmsr_on(vp, HV_X64_MSR_SINT(10), SYN_VEC_HIGH);
        snap_auto = c->count[SYN_VEC_AUTO_EOI];
        snap_low = c->count[SYN_VEC_LOW];
        snap_high = c->count[SYN_VEC_HIGH];

        /* AutoEOI: the handler sends no EOI, lower classes still come */
        c->isr_seen[SYN_VEC_AUTO_EOI] = 0xff;
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 8, 0);
        wait_ge(&c->count[SYN_VEC_AUTO_EOI], snap_auto + 1, 1000);
        v[0] = delta(vp, SYN_VEC_AUTO_EOI, &snap_auto);
        v[1] = c->isr_seen[SYN_VEC_AUTO_EOI];
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 9, 0);
        wait_ge(&c->count[SYN_VEC_LOW], snap_low + 1, 1000);
        v[2] = delta(vp, SYN_VEC_LOW, &snap_low);
        v[3] = isr_on(vp, SYN_VEC_AUTO_EOI);
        record(HV_GUEST_FAULT_NONE, 4, v, "autoeoi.vp%u", vp);
        while (isr_on(vp, SYN_VEC_AUTO_EOI)) {
            /* It stuck in service: clean up for what follows */
            on_cpu(vp, eoi_fn, NULL);
        }

        /* No AutoEOI: in service until the guest's EOI */
        c->isr_seen[SYN_VEC_HIGH] = 0xff;
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 10, 0);
        wait_ge(&c->count[SYN_VEC_HIGH], snap_high + 1, 1000);
        v[0] = delta(vp, SYN_VEC_HIGH, &snap_high);
        v[1] = c->isr_seen[SYN_VEC_HIGH];
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, vp, 9, 0);
        syn_delay_ms(20);
        v[2] = delta(vp, SYN_VEC_LOW, &snap_low);
        on_cpu(vp, eoi_fn, NULL);
        wait_ge(&c->count[SYN_VEC_LOW], snap_low + 1, 1000);
        v[3] = delta(vp, SYN_VEC_LOW, &snap_low);
        record(HV_GUEST_FAULT_NONE, 4, v, "noautoeoi.vp%u", vp);
        while (isr_on(vp, SYN_VEC_HIGH)) {
            on_cpu(vp, eoi_fn, NULL);
        }
    }
    irq_disable();
}

GUEST_TEST(synic_sint,
    .name = "synic-sint",
    .description = "SINTs raised through hyperv-testdev, AutoEOI",
    .setup = synic_sint_setup,
);

/* ---- Hypercalls --------------------------------------------------------- */

/*
 * The hypercall @control (HvPostMessage, HvSignalEvent) with RDX = @gpa
 * (input GPA, or the fast input); returns RAX, or SYN_READ_FAULTED when
 * the call faulted.
 */
static uint64_t post_message_at(uint64_t gpa, uint64_t control)
{
    uint64_t rax;

    if (hv_call(control, gpa, 0, &rax) != HV_GUEST_FAULT_NONE) {
        return SYN_READ_FAULTED;
    }
    return rax;
}

static void fill_input(HvPostMessageInput *in, uint32_t conn, uint32_t type,
                       uint32_t size)
{
    unsigned int i;

    memset(in, 0, sizeof(*in));
    in->connection_id = conn;
    in->message_type = type;
    in->payload_size = size;
    for (i = 0; i < 30; i++) {
        in->payload[i] = SYN_PAYLOAD(type, i);
    }
}

/* HvPostMessage of @size payload bytes and @type to @conn */
static uint64_t post_message(uint32_t conn, uint32_t type, uint32_t size)
{
    fill_input(syn_input, conn, type, size);
    return post_message_at((uintptr_t)syn_input, HVCALL_POST_MESSAGE);
}

/*
 * HvPostMessage that the testdev may answer with INSUFFICIENT_BUFFERS
 * while it still finishes the previous message: retried for up to a
 * second.  *@tries (may be NULL) gets the number of calls made.
 */
static uint64_t post_message_retry(uint32_t conn, uint32_t type,
                                   uint32_t size, uint64_t *tries)
{
    uint64_t status = 0;
    unsigned int i;

    for (i = 0; i < 1000; i++) {
        status = post_message(conn, type, size);
        if ((status & 0xffff) != HV_STATUS_INSUFFICIENT_BUFFERS) {
            break;
        }
        syn_delay_ms(1);
    }
    if (tries) {
        *tries = i + 1;
    }
    return status;
}

static uint64_t signal_event_fast(uint64_t param)
{
    return post_message_at(param, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST);
}

/* ---- synic-msg ---------------------------------------------------------- */

/*
 * synic-msg: messages through hyperv-testdev message connections.
 * Connection SYN_MSG_CONN(V) posts what it gets to SINT SYN_MSG_SINT of
 * VP V.  Every CPU has its SIM page and its SINTs unmasked.
 *
 *   msg.vpV.post       HvPostMessage(type A, 24 bytes): RAX; the slot's
 *                      message_type; payload_size | message_flags << 8;
 *                      interrupts taken at SYN_VEC(SYN_MSG_SINT)
 *   msg.vpV.payload    the slot's first three payload qwords, and the
 *                      fourth (not part of the message: 0)
 *   msg.vpV.busy       slot left full, HvPostMessage(type B): RAX;
 *                      calls made (INSUFFICIENT_BUFFERS retried); the
 *                      slot's message_flags once PENDING showed up (or
 *                      after 1 s); message_type
 *   msg.vpV.busy2      interrupts so far; the slot's first payload qword
 *   msg.vpV.redeliver  the target VP clears message_type and writes EOM:
 *                      message_type; payload qword 0; message_flags;
 *                      interrupts
 */
static void synic_msg_setup(void)
{
    unsigned int vp;
    uint8_t fault;

    syn_setup_common(true);
    fault = hv_hypercall_enable();
    if (fault != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: %s", exception_name(fault));
    }
    for (vp = 0; vp < nr_cpus(); vp++) {
        testdev(TESTDEV_MSG_CONN_CREATE, vp, SYN_MSG_SINT, SYN_MSG_CONN(vp));
    }

    for (vp = 0; vp < nr_cpus(); vp++) {
        SynCpu *c = &syn_cpus[vp];
        volatile HvMessage *slot = &c->simp[SYN_MSG_SINT]; /* QEMU's */
        const volatile uint32_t *cnt =      /* from the handler */
            &c->count[SYN_VEC(SYN_MSG_SINT)];
        uint32_t base = *cnt;
        uint64_t v[4];

        v[0] = post_message(SYN_MSG_CONN(vp), SYN_MSG_TYPE_A, 24);
        wait_u32(&slot->type, SYN_MSG_TYPE_A, 1000);
        wait_ge(cnt, base + 1, 1000);
        syn_delay_ms(2);
        v[1] = slot->type;
        v[2] = slot->size | (uint32_t)slot->flags << 8;
        v[3] = *cnt - base;
        record(HV_GUEST_FAULT_NONE, 4, v, "msg.vp%u.post", vp);
        v[0] = slot->payload[0];
        v[1] = slot->payload[1];
        v[2] = slot->payload[2];
        v[3] = slot->payload[3];
        record(HV_GUEST_FAULT_NONE, 4, v, "msg.vp%u.payload", vp);

        /* The slot stays full: the next one waits, PENDING tells so */
        v[0] = post_message_retry(SYN_MSG_CONN(vp), SYN_MSG_TYPE_B, 16,
                                  &v[1]);
        wait_bits8(&slot->flags, HV_MESSAGE_FLAG_PENDING,
                   HV_MESSAGE_FLAG_PENDING, 1000);
        syn_delay_ms(5);
        v[2] = slot->flags;
        v[3] = slot->type;
        record(HV_GUEST_FAULT_NONE, 4, v, "msg.vp%u.busy", vp);
        v[0] = *cnt - base;
        v[1] = slot->payload[0];
        record(HV_GUEST_FAULT_NONE, 2, v, "msg.vp%u.busy2", vp);

        on_cpu(vp, clear_and_eom_fn, (void *)(uintptr_t)SYN_MSG_SINT);
        wait_u32(&slot->type, SYN_MSG_TYPE_B, 1000);
        wait_ge(cnt, base + 2, 1000);
        syn_delay_ms(2);
        v[0] = slot->type;
        v[1] = slot->payload[0];
        v[2] = slot->flags;
        v[3] = *cnt - base;
        record(HV_GUEST_FAULT_NONE, 4, v, "msg.vp%u.redeliver", vp);
        on_cpu(vp, clear_and_eom_fn, (void *)(uintptr_t)SYN_MSG_SINT);
    }
    irq_disable();
}

GUEST_TEST(synic_msg,
    .name = "synic-msg",
    .description = "messages through hyperv-testdev: slot, PENDING, EOM",
    .setup = synic_msg_setup,
);

/* ---- synic-hcall -------------------------------------------------------- */

static bool evt_flag(unsigned int vp, unsigned int sint, unsigned int flag)
{
    return (syn_cpus[vp].siefp[sint * 256 + flag / 8] >> (flag % 8)) & 1;
}

/* Bits set in @vp's event flags page other than (@sint, @flag) */
static uint64_t evt_other_bits(unsigned int vp, unsigned int sint,
                               unsigned int flag)
{
    uint64_t n = 0;
    unsigned int i;

    for (i = 0; i < 4096; i++) {
        uint8_t b = syn_cpus[vp].siefp[i];

        if (i == sint * 256 + flag / 8) {
            b &= ~(1u << (flag % 8));
        }
        for (; b; b &= b - 1) {
            n++;
        }
    }
    return n;
}

static void record_call(uint64_t rax, const char *what)
{
    record(HV_GUEST_FAULT_NONE, 1, &rax, "hc.%s", what);
}

/*
 * synic-hcall: HvPostMessage and HvSignalEvent from the guest.  The
 * testdev has message connections SYN_MSG_CONN(V) and event connections
 * SYN_EVT_CONN(V) (event flag number = connection ID, SINT
 * SYN_EVT_SINT of VP V).
 *
 *   hc.NAME            RAX of the call (SYN_READ_FAULTED: it faulted)
 *   evt.vpV.first      HvSignalEvent(SYN_EVT_CONN(V)), fast: RAX; the
 *                      flag in V's event flags page; interrupts taken at
 *                      SYN_VEC(SYN_EVT_SINT); other bits set in the page
 *   evt.vpV.again      the same while the flag is still set
 *   evt.vpV.cleared    the same after the guest cleared the flag
 *   evt.vpV.slow       the guest cleared it again; HvSignalEvent with
 *                      the input in memory: RAX, flag, interrupts
 */
static void synic_hcall_setup(void)
{
    HvPostMessageInput *in;
    uint8_t *page2;
    uint64_t *param;
    unsigned int vp;
    uint8_t fault;

    syn_setup_common(true);
    fault = hv_hypercall_enable();
    if (fault != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: %s", exception_name(fault));
    }
    for (vp = 0; vp < nr_cpus(); vp++) {
        testdev(TESTDEV_MSG_CONN_CREATE, vp, SYN_MSG_SINT, SYN_MSG_CONN(vp));
        testdev(TESTDEV_EVT_CONN_CREATE, vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
    }

    /* HvPostMessage input checks */
    record_call(post_message(SYN_UNKNOWN_CONN, SYN_MSG_TYPE_A, 8),
                "post_unknown_conn");
    record_call(post_message(SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 241),
                "post_size_241");
    record_call(post_message(SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 0xffffffff),
                "post_size_huge");
    page2 = alloc_pages(2);
    in = (HvPostMessageInput *)(page2 + 4);
    fill_input(in, SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 8);
    record_call(post_message_at((uintptr_t)in, HVCALL_POST_MESSAGE),
                "post_unaligned4");
    in = (HvPostMessageInput *)(page2 + 2);
    fill_input(in, SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 8);
    record_call(post_message_at((uintptr_t)in, HVCALL_POST_MESSAGE),
                "post_unaligned2");
    in = (HvPostMessageInput *)(page2 + 4096 - 128);
    fill_input(in, SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 8);
    record_call(post_message_at((uintptr_t)in, HVCALL_POST_MESSAGE),
                "post_page_cross");
    fill_input(syn_input, SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 8);
    record_call(post_message_at((uintptr_t)syn_input,
                                HVCALL_POST_MESSAGE | HV_HYPERCALL_FAST),
                "post_fast");
    record_call(post_message_at((uintptr_t)syn_input,
                                HVCALL_POST_MESSAGE |
                                HV_HYPERCALL_REP_COUNT(1)),
                "post_rep");
    record_call(post_message_at((uintptr_t)syn_input,
                                HVCALL_POST_MESSAGE |
                                HV_HYPERCALL_VARHEAD(1)),
                "post_varhead");
    record_call(post_message_at(SYN_RAM_END + 0x100000, HVCALL_POST_MESSAGE),
                "post_beyond_ram");
    record_call(post_message_at(SYN_RAM_END - 128, HVCALL_POST_MESSAGE),
                "post_ram_end");

    /* HvSignalEvent input checks */
    record_call(signal_event_fast(SYN_UNKNOWN_CONN), "signal_unknown_conn");
    record_call(signal_event_fast(SYN_EVT_CONN(0) | 1ull << 32),
                "signal_flag_number");
    record_call(signal_event_fast(SYN_EVT_CONN(0) | 1ull << 48),
                "signal_rsvd");
    record_call(post_message_at(SYN_UNKNOWN_CONN, HVCALL_SIGNAL_EVENT |
                                HV_HYPERCALL_FAST |
                                HV_HYPERCALL_REP_COUNT(1)),
                "signal_rep");
    param = alloc_pages(1);
    param[0] = SYN_UNKNOWN_CONN;
    record_call(post_message_at((uintptr_t)param + 4, HVCALL_SIGNAL_EVENT),
                "signal_unaligned");
    record_call(post_message_at((uintptr_t)param, HVCALL_SIGNAL_EVENT),
                "signal_slow_unknown");
    record_call(post_message_at(SYN_RAM_END + 0x100000, HVCALL_SIGNAL_EVENT),
                "signal_beyond_ram");

    /* Event flags: set once, interrupt only when the flag was clear */
    for (vp = 0; vp < nr_cpus(); vp++) {
        const volatile uint32_t *cnt =      /* from the handler */
            &syn_cpus[vp].count[SYN_VEC(SYN_EVT_SINT)];
        volatile uint8_t *byte =            /* QEMU's page */
            &syn_cpus[vp].siefp[SYN_EVT_SINT * 256 + SYN_EVT_CONN(vp) / 8];
        uint8_t bit = 1u << (SYN_EVT_CONN(vp) % 8);
        uint32_t base = *cnt;
        uint64_t v[4];

        v[0] = signal_event_fast(SYN_EVT_CONN(vp));
        wait_bits8(byte, bit, bit, 1000);
        wait_ge(cnt, base + 1, 1000);
        syn_delay_ms(2);
        v[1] = evt_flag(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        v[2] = *cnt - base;
        v[3] = evt_other_bits(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        record(HV_GUEST_FAULT_NONE, 4, v, "evt.vp%u.first", vp);

        v[0] = signal_event_fast(SYN_EVT_CONN(vp));
        syn_delay_ms(30);
        v[1] = evt_flag(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        v[2] = *cnt - base;
        v[3] = evt_other_bits(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        record(HV_GUEST_FAULT_NONE, 4, v, "evt.vp%u.again", vp);

        __atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST);
        v[0] = signal_event_fast(SYN_EVT_CONN(vp));
        wait_bits8(byte, bit, bit, 1000);
        wait_ge(cnt, base + 2, 1000);
        syn_delay_ms(2);
        v[1] = evt_flag(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        v[2] = *cnt - base;
        v[3] = evt_other_bits(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        record(HV_GUEST_FAULT_NONE, 4, v, "evt.vp%u.cleared", vp);

        __atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST);
        param[0] = SYN_EVT_CONN(vp);
        v[0] = post_message_at((uintptr_t)param, HVCALL_SIGNAL_EVENT);
        wait_bits8(byte, bit, bit, 1000);
        wait_ge(cnt, base + 3, 1000);
        syn_delay_ms(2);
        v[1] = evt_flag(vp, SYN_EVT_SINT, SYN_EVT_CONN(vp));
        v[2] = *cnt - base;
        record(HV_GUEST_FAULT_NONE, 3, v, "evt.vp%u.slow", vp);
        __atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST);
    }

    /*
     * A type with bit 31 set, to VP 1's connection (VP 0's slot may still
     * be full from the calls above)
     */
    record_call(post_message(nr_cpus() - 1 ? SYN_MSG_CONN(1) :
                             SYN_MSG_CONN(0), 0x80000001, 8),
                "post_type_bit31");
    syn_delay_ms(10);
    irq_disable();
}

GUEST_TEST(synic_hcall,
    .name = "synic-hcall",
    .description = "HvPostMessage, HvSignalEvent: statuses, event flags",
    .setup = synic_hcall_setup,
);

/* ---- synic-inflight ----------------------------------------------------- */

static volatile uint32_t inflight_mailbox;      /* written by the qtest */
static volatile uint32_t inflight_go;           /* BSP -> VP 1 */

/* VP 1 keeps interrupts off until the BSP says go, then takes them */
static void inflight_vp1_fn(void *arg)
{
    irq_disable();
    while (!__atomic_load_n(&inflight_go, __ATOMIC_ACQUIRE)) {
        asm volatile("" : : : "memory");
    }
    irq_enable();
}

/*
 * synic-inflight (smp=2, -device hyperv-testdev): a message and an event
 * in flight across a migration or savevm/loadvm.  VP 1 runs with
 * interrupts off; the BSP posts a message (connection SYN_MSG_CONN(1) ->
 * VP 1's SINT SYN_MSG_SINT) and signals an event (SYN_EVT_CONN(1) -> VP
 * 1's SINT SYN_EVT_SINT): both are in VP 1's pages with their interrupts
 * pending when the guest announces "mailbox".  The qtest moves the
 * guest and writes 1 there; then VP 1 takes its interrupts.  The handler
 * only counts, it leaves the slot and the flag as they are.
 *
 *   inflight.before  HvPostMessage RAX; HvSignalEvent RAX; the slot's
 *                    message_type; interrupts VP 1 took so far
 *   inflight.after   VP 1's message interrupts; event interrupts; the
 *                    slot's message_type; its first payload qword
 *   inflight.flag    the event flag; other bits set in VP 1's event page
 */
static void synic_inflight_setup(void)
{
    SynCpu *c = &syn_cpus[1];
    volatile HvMessage *slot;                   /* QEMU's page */
    const volatile uint32_t *msgs, *evts;       /* from the handler */
    uint64_t v[4];
    uint8_t fault;

    if (nr_cpus() < 2) {
        guest_abort("synic-inflight needs smp=2");
    }
    syn_setup_common(true);
    fault = hv_hypercall_enable();
    if (fault != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: %s", exception_name(fault));
    }
    slot = &c->simp[SYN_MSG_SINT];
    msgs = &c->count[SYN_VEC(SYN_MSG_SINT)];
    evts = &c->count[SYN_VEC(SYN_EVT_SINT)];
    testdev(TESTDEV_MSG_CONN_CREATE, 1, SYN_MSG_SINT, SYN_MSG_CONN(1));
    testdev(TESTDEV_EVT_CONN_CREATE, 1, SYN_EVT_SINT, SYN_EVT_CONN(1));
    smp_call(1, inflight_vp1_fn, NULL);
    syn_delay_ms(5);

    v[0] = post_message(SYN_MSG_CONN(1), SYN_MSG_TYPE_A, 24);
    v[1] = signal_event_fast(SYN_EVT_CONN(1));
    wait_u32(&slot->type, SYN_MSG_TYPE_A, 1000);
    syn_delay_ms(5);
    v[2] = slot->type;
    v[3] = *msgs + *evts;
    record(HV_GUEST_FAULT_NONE, 4, v, "inflight.before");

    mailbox_announce(&inflight_mailbox, "mailbox");
    while (inflight_mailbox != 1) {
        asm volatile("" : : : "memory");
    }
    __atomic_store_n(&inflight_go, 1, __ATOMIC_RELEASE);
    smp_wait(1);
    wait_ge(msgs, 1, 1000);
    wait_ge(evts, 1, 1000);
    syn_delay_ms(20);
    v[0] = *msgs;
    v[1] = *evts;
    v[2] = slot->type;
    v[3] = slot->payload[0];
    record(HV_GUEST_FAULT_NONE, 4, v, "inflight.after");
    v[0] = evt_flag(1, SYN_EVT_SINT, SYN_EVT_CONN(1));
    v[1] = evt_other_bits(1, SYN_EVT_SINT, SYN_EVT_CONN(1));
    record(HV_GUEST_FAULT_NONE, 2, v, "inflight.flag");
    irq_disable();
}

GUEST_TEST(synic_inflight,
    .name = "synic-inflight",
    .description = "a message and an event in flight across migration",
    .setup = synic_inflight_setup,
);

/* ---- synic-bad ---------------------------------------------------------- */

/*
 * synic-bad: guest input that QEMU must survive; case=NAME picks one.
 * Each records "bad.NAME" with what it saw; the qtest mainly checks that
 * the guest finished (QEMU did not abort).
 *
 *   sint16        SINT routes for SINT 16 and 255 of VP 0, raised: 0;
 *                 interrupts VP 0 took in all
 *   msg_scontrol  HvPostMessage from VP 0 to a connection for VP 1,
 *                 whose SIM page is on but SCONTROL off: RAX; interrupts
 *                 VP 1 took; the slot's message_type after 50 ms
 *   msg_simp_off  the same, VP 1's SynIC on but its SIM page off: RAX;
 *                 interrupts VP 1 took
 *   evt_siefp_off HvSignalEvent for VP 1 whose event flags page is off:
 *                 RAX; interrupts VP 1 took
 *   post_240      HvPostMessage with the largest payload, 240 bytes:
 *                 RAX; message_type; payload_size; last payload qword
 *   route_vp      SINT route for a VP that does not exist (7), raised;
 *                 no values
 *   msg_destroyed 20 times: message A fills VP 0's slot, message B waits
 *                 for it (PENDING), the connection is destroyed, then the
 *                 slot is emptied and EOM written -- B's connection is
 *                 gone, QEMU must neither deliver B nor touch what it
 *                 freed: posts that did not succeed; rounds in which a
 *                 message came after the destroy; HvPostMessage to the
 *                 destroyed connection: RAX
 */
static void synic_bad_setup(void)
{
    char what[32];
    uint64_t v[4] = { 0 };
    SynCpu *c1;
    uint8_t fault;

    if (!cmdline_get_str("case", what, sizeof(what))) {
        guest_abort("no case=NAME");
    }
    syn_setup_common(false);
    fault = hv_hypercall_enable();
    if (fault != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: %s", exception_name(fault));
    }
    on_cpu(0, synic_enable_fn, NULL);
    on_cpu(0, sints_unmask_fn, NULL);
    c1 = nr_cpus() > 1 ? &syn_cpus[1] : NULL;
    if (c1) {
        on_cpu(1, sints_unmask_fn, NULL);
    }

    if (!strcmp(what, "sint16")) {
        testdev(TESTDEV_SINT_ROUTE_CREATE, 0, 16, 0);
        testdev(TESTDEV_SINT_ROUTE_CREATE, 0, 255, 0);
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, 0, 16, 0);
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, 0, 255, 0);
        syn_delay_ms(20);
        v[0] = 0;
        v[1] = syn_cpus[0].total;
        record(HV_GUEST_FAULT_NONE, 2, v, "bad.%s", what);
    } else if (!strcmp(what, "msg_scontrol") && c1) {
        wrmsr_on(1, HV_X64_MSR_SIMP, (uintptr_t)c1->simp | 1);
        testdev(TESTDEV_MSG_CONN_CREATE, 1, SYN_MSG_SINT, SYN_MSG_CONN(1));
        v[0] = post_message(SYN_MSG_CONN(1), SYN_MSG_TYPE_A, 8);
        syn_delay_ms(50);
        v[1] = c1->total;
        v[2] = c1->simp[SYN_MSG_SINT].type;
        record(HV_GUEST_FAULT_NONE, 3, v, "bad.%s", what);
    } else if (!strcmp(what, "msg_simp_off") && c1) {
        wrmsr_on(1, HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
        testdev(TESTDEV_MSG_CONN_CREATE, 1, SYN_MSG_SINT, SYN_MSG_CONN(1));
        v[0] = post_message(SYN_MSG_CONN(1), SYN_MSG_TYPE_A, 8);
        syn_delay_ms(50);
        v[1] = c1->total;
        record(HV_GUEST_FAULT_NONE, 2, v, "bad.%s", what);
    } else if (!strcmp(what, "evt_siefp_off") && c1) {
        wrmsr_on(1, HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
        testdev(TESTDEV_EVT_CONN_CREATE, 1, SYN_EVT_SINT, SYN_EVT_CONN(1));
        v[0] = signal_event_fast(SYN_EVT_CONN(1));
        syn_delay_ms(50);
        v[1] = c1->total;
        record(HV_GUEST_FAULT_NONE, 2, v, "bad.%s", what);
    } else if (!strcmp(what, "post_240")) {
        volatile HvMessage *slot =          /* QEMU's page */
            &syn_cpus[0].simp[SYN_MSG_SINT];

        testdev(TESTDEV_MSG_CONN_CREATE, 0, SYN_MSG_SINT, SYN_MSG_CONN(0));
        v[0] = post_message(SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 240);
        wait_u32(&slot->type, SYN_MSG_TYPE_A, 1000);
        syn_delay_ms(5);
        v[1] = slot->type;
        v[2] = slot->size;
        v[3] = slot->payload[29];
        record(HV_GUEST_FAULT_NONE, 4, v, "bad.%s", what);
    } else if (!strcmp(what, "msg_destroyed")) {
        volatile HvMessage *slot =          /* QEMU's page */
            &syn_cpus[0].simp[SYN_MSG_SINT];
        unsigned int i;

        for (i = 0; i < 20; i++) {
            testdev(TESTDEV_MSG_CONN_CREATE, 0, SYN_MSG_SINT,
                    SYN_MSG_CONN(0));
            v[0] += post_message_retry(SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 8,
                                       NULL) != HV_STATUS_SUCCESS;
            wait_u32(&slot->type, SYN_MSG_TYPE_A, 1000);
            v[0] += post_message_retry(SYN_MSG_CONN(0), SYN_MSG_TYPE_B, 8,
                                       NULL) != HV_STATUS_SUCCESS;
            wait_bits8(&slot->flags, HV_MESSAGE_FLAG_PENDING,
                       HV_MESSAGE_FLAG_PENDING, 1000);
            testdev(TESTDEV_MSG_CONN_DESTROY, 0, 0, SYN_MSG_CONN(0));
            clear_and_eom_fn((void *)(uintptr_t)SYN_MSG_SINT);
            syn_delay_ms(5);
            v[1] += slot->type != 0;
            slot->type = 0;
        }
        v[2] = post_message(SYN_MSG_CONN(0), SYN_MSG_TYPE_A, 8);
        record(HV_GUEST_FAULT_NONE, 3, v, "bad.%s", what);
    } else if (!strcmp(what, "route_vp")) {
        testdev(TESTDEV_SINT_ROUTE_CREATE, 7, 2, 0);
        testdev(TESTDEV_SINT_ROUTE_SET_SINT, 7, 2, 0);
        syn_delay_ms(20);
        record(HV_GUEST_FAULT_NONE, 0, v, "bad.%s", what);
    } else {
        guest_abort("unknown case=%s (or too few CPUs)", what);
    }
    irq_disable();
}

GUEST_TEST(synic_bad,
    .name = "synic-bad",
    .description = "guest input to hyperv-testdev that QEMU must survive",
    .setup = synic_bad_setup,
);
