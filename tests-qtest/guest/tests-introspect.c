/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-introspect-test.c: puts the Hyper-V state that QMP
 * query-hyperv and HMP info hyperv show into known values, and makes a
 * known number of hypercalls, SINT interrupts, timer expirations and
 * synthetic MSR accesses, so that the qtest can compare what QEMU reports
 * with what the guest did.
 *
 * introspect (smp=2; hv-vpindex, hv-time, hv-synic, hv-stimer,
 * hv-tlbflush, hv-ipi, hv-crash, hv-reenlightenment, hv-vapic):
 *
 * Phase 1.  setup() enables the hypercall page (guest OS ID
 * HV_GUEST_OS_ID_LINUX), the reference TSC page, the crash and
 * reenlightenment MSRs; then every CPU N enables its SynIC, programs
 * SINTs and two timers and makes 2 + N HvCallFlushVirtualAddressSpace
 * calls.  Records:
 *
 *   mailbox                  GPA of the word the qtest sets to go on
 *   hypercall                HV_X64_MSR_HYPERCALL, guest OS ID
 *   tscpage                  REFERENCE_TSC MSR, TscSequence, TscScale,
 *                            TscOffset as read from the page
 *   cpuN.synic               SCONTROL, SIMP, SIEFP written
 *   cpuN.sint.S              raw value written to SINT S (S = 2, 3, 4, 5)
 *   cpuN.stimer.T            config, count written to timer T (T = 0, 3)
 *   cpuN.vp_assist           HV_X64_MSR_APIC_ASSIST_PAGE written
 *   cpuN.phase1              hypercall statuses ORed, VP index
 *
 * Then every CPU waits for the mailbox, touching no synthetic MSR.
 *
 * Phase 2.  Every CPU N makes 3 + N HvCallFlushVirtualAddressSpace, 2
 * HvCallSendSyntheticClusterIpi to itself, 1 HvCallPostMessage to a
 * connection nobody listens to (fails) and 1 call with code 0x0001
 * (fails), and arms its timer 1 (one-shot, SINT 2) 2 ms ahead and waits
 * for the message interrupt.  Records:
 *
 *   cpuN.phase2              hypercalls, synthetic MSR reads and writes
 *                            made in phase 2, SINT 2 interrupts taken
 *   cpuN.phase2.status       flush/IPI statuses ORed, PostMessage status,
 *                            unknown-call status, IPIs taken
 */
#include "hv-time.h"

#define HV_X64_MSR_REENLIGHTENMENT_CTL  0x40000106
#define HV_X64_MSR_TSC_EMULATION_CTL    0x40000107

#define STIMER_ENABLE                   (1ull << 0)
#define STIMER_PERIODIC                 (1ull << 1)
#define STIMER_SINT(s)                  ((uint64_t)(s) << 16)

#define HV_HYPERCALL_FAST               (1ull << 16)
#define HV_FLUSH_ALL_PROCESSORS         1ull

/* Vectors; hv-introspect-test.c has the same values */
#define INT_VEC_SINT2                   0x50
#define INT_VEC_IPI                     0x58
#define INT_MAX_CPUS                    2

/* The 2 ms the phase 2 timer waits, and how long the guest waits for it */
#define INT_TIMER_DELAY                 20000ull
#define INT_WAIT_US                     (5 * 1000 * 1000)

static volatile uint32_t int_mailbox;           /* written by the qtest */
static volatile uint32_t int_sint2[INT_MAX_CPUS];   /* by the handler */
static volatile uint32_t int_ipis[INT_MAX_CPUS];    /* by the handler */
static void *int_simp[INT_MAX_CPUS], *int_siefp[INT_MAX_CPUS];
static void *int_assist[INT_MAX_CPUS];
static uint64_t *int_input;

/* Synthetic MSR accesses and hypercalls of this CPU in phase 2 */
static uint32_t int_rd[INT_MAX_CPUS], int_wr[INT_MAX_CPUS];
static uint32_t int_calls[INT_MAX_CPUS];

static void int_sint2_irq(GuestIrqFrame *frame)
{
    int_sint2[cpu_index()]++;
}

static void int_ipi_irq(GuestIrqFrame *frame)
{
    int_ipis[cpu_index()]++;
}

static uint64_t int_rdmsr(uint32_t msr)
{
    int_rd[cpu_index()]++;
    return rdmsr(msr);
}

static void int_wrmsr(uint32_t msr, uint64_t val)
{
    int_wr[cpu_index()]++;
    wrmsr(msr, val);
}

static uint64_t int_call(uint64_t control, uint64_t rdx, uint64_t r8)
{
    uint64_t result = 0;

    int_calls[cpu_index()]++;
    if (hv_call(control, rdx, r8, &result) != HV_GUEST_FAULT_NONE) {
        guest_fail("introspect: hypercall 0x%llx faulted",
                   (unsigned long long)control);
    }
    return result & 0xffff;
}

static void introspect_setup(void)
{
    HvTscPage *tsc_page = alloc_pages(1);
    uint64_t v[4];
    unsigned int i;

    if (nr_cpus() > INT_MAX_CPUS) {
        guest_abort("introspect: at most %d CPUs", INT_MAX_CPUS);
    }
    if (hv_hypercall_enable() != HV_GUEST_FAULT_NONE) {
        guest_abort("introspect: no hypercall page");
    }
    v[0] = rdmsr(HV_X64_MSR_HYPERCALL);
    v[1] = rdmsr(HV_X64_MSR_GUEST_OS_ID);
    record(HV_GUEST_FAULT_NONE, 2, v, "hypercall");

    wrmsr(HV_X64_MSR_REFERENCE_TSC, (uintptr_t)tsc_page | HV_REF_TSC_ENABLE);
    v[0] = rdmsr(HV_X64_MSR_REFERENCE_TSC);
    v[1] = tsc_page->tsc_sequence;
    v[2] = tsc_page->tsc_scale;
    v[3] = tsc_page->tsc_offset;
    record(HV_GUEST_FAULT_NONE, 4, v, "tscpage");

    for (i = 0; i < 5; i++) {
        wrmsr(HV_X64_MSR_CRASH_P0 + i, 0xc0de0000ull + i);
    }
    /* Vector 0x90, enabled (bit 16), target VP 1 */
    wrmsr(HV_X64_MSR_REENLIGHTENMENT_CTL, 0x90 | 1ull << 16 | 1ull << 32);
    wrmsr(HV_X64_MSR_TSC_EMULATION_CTL, 1);

    for (i = 0; i < nr_cpus(); i++) {
        int_simp[i] = alloc_pages(1);
        int_siefp[i] = alloc_pages(1);
        int_assist[i] = alloc_pages(1);
    }
    int_input = alloc_pages(1);
    /* HvCallFlushVirtualAddressSpace: all address spaces, all VPs */
    int_input[0] = 0;
    int_input[1] = HV_FLUSH_ALL_PROCESSORS;
    int_input[2] = 0;
    irq_set_handler(INT_VEC_SINT2, int_sint2_irq, 0);
    irq_set_handler(INT_VEC_IPI, int_ipi_irq, 0);
    mailbox_announce(&int_mailbox, "mailbox");
}

static uint64_t flush_all(void)
{
    return int_call(HVCALL_FLUSH_SPACE, (uintptr_t)int_input, 0);
}

static void introspect_phase1(unsigned int cpu)
{
    uint64_t v[3], sints[4], status = 0;
    uint64_t now;
    unsigned int i;

    v[0] = 1;
    v[1] = (uintptr_t)int_simp[cpu] | 1;
    v[2] = (uintptr_t)int_siefp[cpu] | 1;
    wrmsr(HV_X64_MSR_SCONTROL, v[0]);
    wrmsr(HV_X64_MSR_SIMP, v[1]);
    wrmsr(HV_X64_MSR_SIEFP, v[2]);
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu%u.synic", cpu);

    sints[0] = INT_VEC_SINT2;
    sints[1] = (0x60 + cpu) | HV_SINT_AUTO_EOI;
    sints[2] = (0x70 + cpu) | HV_SINT_POLLING;
    sints[3] = (0xa0 + cpu) | HV_SINT_MASKED | HV_SINT_AUTO_EOI;
    for (i = 0; i < 4; i++) {
        wrmsr(HV_X64_MSR_SINT(2 + i), sints[i]);
        record(HV_GUEST_FAULT_NONE, 1, &sints[i], "cpu%u.sint.%u", cpu,
               2 + i);
    }

    /* Timer 0: one-shot, absolute, 1000 s ahead: stays armed */
    now = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    v[0] = STIMER_ENABLE | STIMER_SINT(2);
    v[1] = now + 1000 * HV_REF_TIME_HZ + cpu;
    wrmsr(HV_X64_MSR_STIMER_COUNT(0), v[1]);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), v[0]);
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.stimer.0", cpu);
    /* Timer 3: periodic, SINT 5, not enabled */
    v[0] = STIMER_PERIODIC | STIMER_SINT(5);
    v[1] = 12345 + cpu;
    wrmsr(HV_X64_MSR_STIMER_COUNT(3), v[1]);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(3), v[0]);
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.stimer.3", cpu);

    v[0] = (uintptr_t)int_assist[cpu] | 1;
    wrmsr(HV_X64_MSR_APIC_ASSIST_PAGE, v[0]);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.vp_assist", cpu);

    for (i = 0; i < 2 + cpu; i++) {
        status |= flush_all();
    }
    v[0] = status;
    v[1] = rdmsr(HV_X64_MSR_VP_INDEX);
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.phase1", cpu);
}

static void introspect_phase2(unsigned int cpu)
{
    uint64_t v[4], status = 0;
    uint64_t post_status, unknown_status;
    unsigned int i;

    int_calls[cpu] = int_rd[cpu] = int_wr[cpu] = 0;
    for (i = 0; i < 3 + cpu; i++) {
        status |= flush_all();
    }
    for (i = 0; i < 2; i++) {
        /* Fast: vector in RDX, processor mask in R8 */
        status |= int_call(HVCALL_SEND_IPI | HV_HYPERCALL_FAST, INT_VEC_IPI,
                           1ull << cpu);
    }
    /* Connection 0x4242 does not exist; the input page is a valid GPA */
    int_input[8] = 0x4242;
    int_input[9] = 1;                   /* message type 1, size 0 */
    post_status = int_call(HVCALL_POST_MESSAGE,
                           (uintptr_t)&int_input[8], 0);
    unknown_status = int_call(0x0001, 0, 0);
    int_input[8] = 0;
    int_input[9] = 0;

    /* Timer 1: one-shot, SINT 2, INT_TIMER_DELAY ahead */
    int_wrmsr(HV_X64_MSR_STIMER_COUNT(1),
              int_rdmsr(HV_X64_MSR_TIME_REF_COUNT) + INT_TIMER_DELAY);
    int_wrmsr(HV_X64_MSR_STIMER_CONFIG(1), STIMER_ENABLE | STIMER_SINT(2));
    wait_for_u32(&int_sint2[cpu], 1, INT_WAIT_US);
    wait_for_u32(&int_ipis[cpu], 2, INT_WAIT_US);

    v[0] = int_calls[cpu];
    v[1] = int_rd[cpu];
    v[2] = int_wr[cpu];
    v[3] = int_sint2[cpu];
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.phase2", cpu);
    v[0] = status;
    v[1] = post_status;
    v[2] = unknown_status;
    v[3] = int_ipis[cpu];
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.phase2.status", cpu);
}

static void introspect_cpu(unsigned int cpu)
{
    introspect_phase1(cpu);
    irq_enable();
    /* No synthetic MSR access while the qtest takes its snapshot */
    while (!int_mailbox) {
        udelay(100);
    }
    introspect_phase2(cpu);
    smp_barrier();
    irq_disable();
}

GUEST_TEST(introspect,
    .name = "introspect",
    .description = "known Hyper-V state and counts for query-hyperv",
    .setup = introspect_setup,
    .cpu_fn = introspect_cpu,
);
