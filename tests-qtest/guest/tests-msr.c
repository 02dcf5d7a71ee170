/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-msr-test: the Hyper-V synthetic MSRs (TLFS: guest OS
 * identity and hypercall page, VP index, VP runtime, partition reference
 * time, frequency MSRs, crash and reset MSRs, the enlightened APIC MSRs).
 *
 * The tests only report what they observe, in records named
 * "cpu<index>.<what>" documented next to each test; the qtest judges.
 * A value read back from an MSR whose RDMSR faulted is READ_FAULTED.
 */
#include "libguest.h"

#define HV_X64_MSR_CRASH_P0             0x40000100
#define HV_CRASH_CTL_NOTIFY             (1ull << 63)

/* A hypercall code no Hyper-V version defines */
#define HVCALL_UNDEFINED                0x0fff

/* Guest-physical addresses that are no RAM (the harness gives -m 64) */
#define GPA_IOAPIC                      0xfec00000ull
#define GPA_ABOVE_RAM                   0x08000000ull
#define GPA_BIOS_ROM                    0xffff0000ull

#define READ_FAULTED                    0xfa17fa17fa17fa17ull
#define PAGE_FILL                       0xaaaaaaaaaaaaaaaaull

/* The reference time counts 100 ns units */
#define REF_TIME_HZ                     10000000ull

#define WAIT_TIMEOUT_US                 (5 * 1000 * 1000)

static uint64_t rdmsr_or_faulted(uint32_t msr)
{
    uint64_t val;

    return rdmsr_safe(msr, &val) == HV_GUEST_FAULT_NONE ? val : READ_FAULTED;
}

static void fill_page(void *page, uint64_t pattern)
{
    uint64_t *p = page;
    unsigned int i;

    for (i = 0; i < 512; i++) {
        p[i] = pattern;
    }
}

static uint64_t page_qword(const void *page, unsigned int i)
{
    return ((const volatile uint64_t *)page)[i];  /* written by QEMU */
}

/*
 * Only CALL a page that holds VMCALL or VMMCALL followed by RET: anything
 * else would run off into garbage.
 */
static bool page_callable(const void *page)
{
    uint32_t code = page_qword(page, 0);

    return code == 0xc3c1010f || code == 0xc3d9010f;
}

/* Records { RAX, callable } of an undefined hypercall through @page. */
static void call_page(const void *page, const char *what)
{
    uint64_t v[2] = { READ_FAULTED, page_callable(page) };
    uint8_t fault = HV_GUEST_FAULT_NONE;

    if (v[1]) {
        fault = hv_hypercall_page_call(page, HVCALL_UNDEFINED, 0, 0, &v[0]);
    }
    record(fault, 2, v, "cpu0.call.%s", what);
}

/*
 * hv-hypercall-msr: guest OS ID and hypercall MSRs on the BSP.
 *
 *   cpu0.guest_os_id.initial     value
 *   cpu0.hypercall.initial       value
 *   cpu0.vmcall.NAME             raw VMCALL / VMMCALL of an undefined
 *   cpu0.vmmcall.NAME            hypercall: RAX, fault; NAME is disabled
 *                                (before the page) or enabled
 *   cpu0.hypercall.no_os_id      WRMSR page|1 before any guest OS ID:
 *                                fault; read back, first page qword
 *   cpu0.guest_os_id.write       fault; read back
 *   cpu0.hypercall.NAME          WRMSR fault; read back.  NAME: rsvd_bit2,
 *                                rsvd_bit11 (page|1 plus a reserved bit),
 *                                ioapic, above_ram, bios_rom (page|1 at
 *                                such a GPA)
 *   cpu0.hypercall.enable        fault; read back, page GPA, page qwords
 *                                0 and 511 (filled with 0xaa before)
 *   cpu0.call.NAME               an undefined hypercall through the page:
 *                                RAX, whether the page held a hypercall
 *                                sequence at all; fault
 *   cpu0.hypercall.disable       WRMSR page (enable bit clear): read back
 *   cpu0.guest_os_id.zero        guest OS ID := 0: read back hypercall MSR
 *   cpu0.hypercall.lock          WRMSR page|3: read back
 *   cpu0.hypercall.locked_move   WRMSR page2|1 while locked: read back,
 *                                first qword of page2
 *   cpu0.hypercall.locked_clear  WRMSR 0 while locked: read back
 */
static void hypercall_try(uint64_t val, const char *what)
{
    uint8_t fault = wrmsr_safe(HV_X64_MSR_HYPERCALL, val);
    uint64_t v = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);

    record(fault, 1, &v, "cpu0.hypercall.%s", what);
}

static void raw_hypercalls(const char *what)
{
    uint64_t rax;
    uint8_t fault;

    fault = vmcall_safe(HVCALL_UNDEFINED, 0, 0, &rax);
    record(fault, 1, &rax, "cpu0.vmcall.%s", what);
    fault = vmmcall_safe(HVCALL_UNDEFINED, 0, 0, &rax);
    record(fault, 1, &rax, "cpu0.vmmcall.%s", what);
}

static void hypercall_msr_setup(void)
{
    void *page = alloc_pages(1), *page2 = alloc_pages(1);
    uint64_t gpa = (uintptr_t)page, gpa2 = (uintptr_t)page2;
    uint64_t v[4];
    uint8_t fault;

    fill_page(page, PAGE_FILL);
    fill_page(page2, PAGE_FILL);

    fault = rdmsr_safe(HV_X64_MSR_GUEST_OS_ID, &v[0]);
    record(fault, 1, v, "cpu0.guest_os_id.initial");
    fault = rdmsr_safe(HV_X64_MSR_HYPERCALL, &v[0]);
    record(fault, 1, v, "cpu0.hypercall.initial");
    raw_hypercalls("disabled");

    fault = wrmsr_safe(HV_X64_MSR_HYPERCALL, gpa | HV_HYPERCALL_PAGE_ENABLE);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);
    v[1] = page_qword(page, 0);
    record(fault, 2, v, "cpu0.hypercall.no_os_id");

    fault = wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_LINUX);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_GUEST_OS_ID);
    record(fault, 1, v, "cpu0.guest_os_id.write");

    hypercall_try(gpa | HV_HYPERCALL_PAGE_ENABLE | (1ull << 2), "rsvd_bit2");
    hypercall_try(gpa | HV_HYPERCALL_PAGE_ENABLE | (1ull << 11),
                  "rsvd_bit11");
    hypercall_try(0, "rsvd_clear");
    hypercall_try(GPA_IOAPIC | HV_HYPERCALL_PAGE_ENABLE, "ioapic");
    hypercall_try(GPA_ABOVE_RAM | HV_HYPERCALL_PAGE_ENABLE, "above_ram");
    hypercall_try(GPA_BIOS_ROM | HV_HYPERCALL_PAGE_ENABLE, "bios_rom");

    fault = wrmsr_safe(HV_X64_MSR_HYPERCALL, gpa | HV_HYPERCALL_PAGE_ENABLE);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);
    v[1] = gpa;
    v[2] = page_qword(page, 0);
    v[3] = page_qword(page, 511);
    record(fault, 4, v, "cpu0.hypercall.enable");
    call_page(page, "enabled");
    raw_hypercalls("enabled");

    /* Disabled again: the page keeps its code, which now #UDs */
    hypercall_try(gpa, "disable");
    call_page(page, "disabled");

    /* Enabled, then the guest OS ID goes back to 0 */
    hypercall_try(gpa | HV_HYPERCALL_PAGE_ENABLE, "reenable");
    fault = wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, 0);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);
    record(fault, 1, v, "cpu0.guest_os_id.zero");
    call_page(page, "no_os_id");

    /* Locked: the MSR is immutable until reset */
    wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_LINUX);
    hypercall_try(gpa | HV_HYPERCALL_PAGE_ENABLE | HV_HYPERCALL_PAGE_LOCKED,
                  "lock");
    fault = wrmsr_safe(HV_X64_MSR_HYPERCALL, gpa2 | HV_HYPERCALL_PAGE_ENABLE);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);
    v[1] = page_qword(page2, 0);
    record(fault, 2, v, "cpu0.hypercall.locked_move");
    hypercall_try(0, "locked_clear");
    call_page(page, "locked");
}

GUEST_TEST(hv_hypercall_msr,
    .name = "hv-hypercall-msr",
    .description = "guest OS ID and hypercall page MSRs",
    .setup = hypercall_msr_setup,
);

/*
 * hv-vp-index: every CPU reads and tries to write its VP index.
 *
 *   cpuN.vp_index                value, APIC ID; fault
 *   cpuN.vp_index.write_same     WRMSR of the value read: fault; read back
 *   cpuN.vp_index.write_other    WRMSR of value + 1: fault; read back
 */
static void vp_index_cpu(unsigned int cpu)
{
    uint64_t v[2];
    uint8_t fault;

    fault = rdmsr_safe(HV_X64_MSR_VP_INDEX, &v[0]);
    v[1] = apic_id();
    record(fault, 2, v, "cpu%u.vp_index", cpu);
    fault = wrmsr_safe(HV_X64_MSR_VP_INDEX, v[0]);
    v[1] = rdmsr_or_faulted(HV_X64_MSR_VP_INDEX);
    record(fault, 1, &v[1], "cpu%u.vp_index.write_same", cpu);
    fault = wrmsr_safe(HV_X64_MSR_VP_INDEX, v[0] + 1);
    v[1] = rdmsr_or_faulted(HV_X64_MSR_VP_INDEX);
    record(fault, 1, &v[1], "cpu%u.vp_index.write_other", cpu);
}

GUEST_TEST(hv_vp_index,
    .name = "hv-vp-index",
    .description = "VP index MSR on every CPU",
    .cpu_fn = vp_index_cpu,
);

/*
 * hv-vp-runtime: CPU 0 spins for 100 ms of reference time, the other
 * CPUs halt meanwhile (needs hv-time besides hv-runtime).
 *
 *   cpu0.runtime.spin            VP runtime before, after; reference time
 *                                before, after (the runtime reads nest
 *                                inside the reference time reads)
 *   cpuN.runtime.halted          the same for a CPU that sat in HLT
 *   cpuN.runtime.write           WRMSR 0: fault
 */
#define RUNTIME_WAKE_VECTOR     0x21
#define RUNTIME_SPIN_REF        (REF_TIME_HZ / 10)

static volatile uint32_t runtime_done;      /* set by CPU 0 */

static void runtime_wake_handler(GuestIrqFrame *frame)
{
}

static void runtime_setup(void)
{
    irq_set_handler(RUNTIME_WAKE_VECTOR, runtime_wake_handler, 0);
}

static void runtime_cpu(unsigned int cpu)
{
    uint64_t v[4];
    unsigned int i;

    smp_barrier();
    v[2] = rdmsr_or_faulted(HV_X64_MSR_TIME_REF_COUNT);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_VP_RUNTIME);
    if (cpu == 0) {
        while (rdmsr_or_faulted(HV_X64_MSR_TIME_REF_COUNT) - v[2] <
               RUNTIME_SPIN_REF) {
            cpu_relax();
        }
    } else {
        irq_disable();
        while (!runtime_done) {
            safe_halt();
            irq_disable();
        }
    }
    v[1] = rdmsr_or_faulted(HV_X64_MSR_VP_RUNTIME);
    v[3] = rdmsr_or_faulted(HV_X64_MSR_TIME_REF_COUNT);
    if (cpu == 0) {
        runtime_done = 1;
        for (i = 1; i < nr_cpus(); i++) {
            apic_send_ipi(cpu_by_index(i)->apic_id, RUNTIME_WAKE_VECTOR);
        }
    }
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.runtime.%s", cpu,
           cpu ? "halted" : "spin");
    record(wrmsr_safe(HV_X64_MSR_VP_RUNTIME, 0), 0, NULL,
           "cpu%u.runtime.write", cpu);
}

GUEST_TEST(hv_vp_runtime,
    .name = "hv-vp-runtime",
    .description = "VP runtime of a spinning and of halted CPUs",
    .setup = runtime_setup,
    .cpu_fn = runtime_cpu,
);

/*
 * hv-time-msrs: reference time and frequency MSRs on the BSP (needs
 * hv-time and hv-frequencies).
 *
 *   cpu0.tsc_frequency           value; fault
 *   cpu0.apic_frequency          value; fault
 *   cpu0.NAME.write              WRMSR 0 (tsc_frequency, apic_frequency,
 *                                time_ref_count): fault
 *   cpu0.time_ref_count.monotonic  of 2000 back-to-back reads: how many
 *                                went backwards, first, last
 *   cpu0.time_ref_count.rate     TSC ticks, reference time elapsed over
 *                                100 ms, and the TSC uncertainty of the
 *                                two samples
 *   cpu0.apic_timer.rate         LAPIC timer counts (divide by 1), the
 *                                reference time elapsed over 100 ms, and
 *                                the count uncertainty of the two samples
 */
#define APIC_TIMER_INITIAL      0x380
#define APIC_TIMER_CURRENT      0x390
#define APIC_TIMER_DIVIDE       0x3e0
#define APIC_DIVIDE_BY_1        0xb
#define APIC_LVT_MASKED         (1u << 16)
#define TIME_SAMPLE_TRIES       8
#define TIME_MEASURE_REF        (REF_TIME_HZ / 10)

typedef struct TimeSample {
    uint64_t ref;           /* reference time */
    uint64_t other;         /* TSC or APIC timer count at the same time */
    uint64_t spread;        /* uncertainty of @other */
} TimeSample;

static uint64_t apic_timer_count(void)
{
    return apic_read(APIC_TIMER_CURRENT);
}

/*
 * The reference time bracketed by two readings of the other clock; of
 * several tries the tightest bracket wins (a vCPU thread preempted in
 * between would spoil one).
 */
static TimeSample time_sample(bool apic)
{
    TimeSample best = { 0, 0, UINT64_MAX };
    unsigned int i;

    for (i = 0; i < TIME_SAMPLE_TRIES; i++) {
        uint64_t a = apic ? apic_timer_count() : rdtsc();
        uint64_t ref = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
        uint64_t b = apic ? apic_timer_count() : rdtsc();
        /* The TSC counts up, the APIC timer down */
        uint64_t spread = apic ? a - b : b - a;

        if (spread < best.spread) {
            best.ref = ref;
            best.other = apic ? b + spread / 2 : a + spread / 2;
            best.spread = spread;
        }
    }
    return best;
}

static void time_measure(bool apic, const char *what)
{
    TimeSample s0, s1;
    uint64_t v[4];

    s0 = time_sample(apic);
    while (rdmsr(HV_X64_MSR_TIME_REF_COUNT) - s0.ref < TIME_MEASURE_REF) {
        cpu_relax();
    }
    s1 = time_sample(apic);
    v[0] = apic ? s0.other - s1.other : s1.other - s0.other;
    v[1] = s1.ref - s0.ref;
    v[2] = s0.spread;
    v[3] = s1.spread;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu0.%s.rate", what);
}

static void time_msrs_setup(void)
{
    static const struct {
        uint32_t msr;
        const char *name;
    } ro[] = {
        { HV_X64_MSR_TSC_FREQUENCY, "tsc_frequency" },
        { HV_X64_MSR_APIC_FREQUENCY, "apic_frequency" },
        { HV_X64_MSR_TIME_REF_COUNT, "time_ref_count" },
    };
    uint64_t v[4], prev, cur;
    unsigned int i, backwards = 0;
    uint8_t fault;

    for (i = 0; i < ARRAY_SIZE(ro); i++) {
        if (ro[i].msr != HV_X64_MSR_TIME_REF_COUNT) {
            fault = rdmsr_safe(ro[i].msr, &v[0]);
            record(fault, 1, v, "cpu0.%s", ro[i].name);
        }
        fault = wrmsr_safe(ro[i].msr, 0);
        record(fault, 0, NULL, "cpu0.%s.write", ro[i].name);
    }

    v[1] = prev = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    for (i = 0; i < 2000; i++) {
        cur = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
        backwards += cur < prev;
        prev = cur;
    }
    v[0] = backwards;
    v[2] = prev;
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu0.time_ref_count.monotonic");

    time_measure(false, "time_ref_count");

    /* One-shot, masked, divide by 1, from the largest count down */
    apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_BY_1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | 0x30);
    apic_write(APIC_TIMER_INITIAL, 0xffffffff);
    time_measure(true, "apic_timer");
    apic_write(APIC_TIMER_INITIAL, 0);
}

GUEST_TEST(hv_time_msrs,
    .name = "hv-time-msrs",
    .description = "TIME_REF_COUNT, TSC and APIC frequency MSRs",
    .setup = time_msrs_setup,
);

/*
 * hv-crash: crash parameter and control MSRs; the last step reports a
 * crash, which QEMU turns into a GUEST_PANICKED event (the qtest runs
 * QEMU with -action panic=none so that the guest goes on).
 *
 *   cpu0.crash.ctl               value; fault
 *   cpu0.crash.pN.initial        value; fault
 *   cpu0.crash.pN                WRMSR CRASH_PARAMS[N] (see the table):
 *                                fault; read back
 *   cpu0.crash.ctl.rsvd          WRMSR CRASH_CTL bit 0: fault
 *   cpu0.crash.ctl.message       WRMSR CRASH_CTL CrashMessage (62): fault
 *   cpu0.crash.ctl.nodump        WRMSR CRASH_CTL NoCrashDump (61): fault
 *   cpu0.crash.ctl.preos         WRMSR CRASH_CTL PreOSId (60:58): fault
 *   cpu0.crash.ctl.zero          WRMSR CRASH_CTL 0: fault
 *   cpu0.crash.notify            WRMSR CRASH_CTL CrashNotify | CrashMessage
 *                                (63, 62), as Windows writes it: fault;
 *                                read back of CRASH_CTL afterwards
 */
static const uint64_t crash_params[5] = {
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x1ull,
    0x8000000000000000ull, 0xdeadbeefcafef00dull,
};

static void crash_setup(void)
{
    uint64_t v;
    unsigned int i;
    uint8_t fault;

    fault = rdmsr_safe(HV_X64_MSR_CRASH_CTL, &v);
    record(fault, 1, &v, "cpu0.crash.ctl");
    for (i = 0; i < 5; i++) {
        fault = rdmsr_safe(HV_X64_MSR_CRASH_P0 + i, &v);
        record(fault, 1, &v, "cpu0.crash.p%u.initial", i);
    }
    for (i = 0; i < 5; i++) {
        fault = wrmsr_safe(HV_X64_MSR_CRASH_P0 + i, crash_params[i]);
        v = rdmsr_or_faulted(HV_X64_MSR_CRASH_P0 + i);
        record(fault, 1, &v, "cpu0.crash.p%u", i);
    }
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, 1);
    record(fault, 0, NULL, "cpu0.crash.ctl.rsvd");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, 1ull << 62);
    record(fault, 0, NULL, "cpu0.crash.ctl.message");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, 1ull << 61);
    record(fault, 0, NULL, "cpu0.crash.ctl.nodump");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, 7ull << 58);
    record(fault, 0, NULL, "cpu0.crash.ctl.preos");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, 0);
    record(fault, 0, NULL, "cpu0.crash.ctl.zero");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL,
                       HV_CRASH_CTL_NOTIFY | (1ull << 62));
    v = rdmsr_or_faulted(HV_X64_MSR_CRASH_CTL);
    record(fault, 1, &v, "cpu0.crash.notify");
}

GUEST_TEST(hv_crash,
    .name = "hv-crash",
    .description = "crash MSRs; reports a crash",
    .setup = crash_setup,
);

/*
 * hv-reset: the reset MSR (run with -action reboot=reset).  The first
 * boot probes the MSR, enables the hypercall page, saves what it saw in
 * RAM that no boot clears (RESET_MARKER_GPA) and writes 1; the boot after
 * the reset reports.
 *
 *   cpu0.reset.read              RDMSR: value; fault
 *   cpu0.reset.write2            WRMSR 2 (a reserved bit): fault
 *   cpu0.reset.write_rsvd        WRMSR bit 63 | 1: fault (KVM resets on
 *                                exactly 1 only)
 *   cpu0.reset.write0            WRMSR 0: fault (no reset)
 *   cpu0.reset.hypercall         hypercall page enable: fault
 *   cpu0.reset.boot              which boot reports (2: after one reset)
 *   cpu0.reset.after             after the reset: guest OS ID, hypercall
 *                                MSR
 *   cpu0.reset.not_reset         only when WRMSR 1 did not reset within
 *                                5 s: fault of that WRMSR
 */
#define RESET_MARKER_GPA        0x7ff000ull     /* between stacks and heap */
#define RESET_MAGIC             0x5445534552564821ull
#define RESET_TIMEOUT_US        (5 * 1000 * 1000)

typedef struct ResetMarker {
    uint64_t magic;
    uint64_t read_val;
    uint8_t read_fault;
    uint8_t write2_fault;
    uint8_t write_rsvd_fault;
    uint8_t write0_fault;
    uint8_t hypercall_fault;
} ResetMarker;

static void reset_setup(void)
{
    volatile ResetMarker *m =               /* survives the reset */
        (volatile ResetMarker *)(uintptr_t)RESET_MARKER_GPA;
    uint64_t v[2];
    uint8_t fault;

    if (m->magic == RESET_MAGIC) {
        m->magic = 0;
        v[0] = m->read_val;
        record(m->read_fault, 1, v, "cpu0.reset.read");
        record(m->write2_fault, 0, NULL, "cpu0.reset.write2");
        record(m->write_rsvd_fault, 0, NULL, "cpu0.reset.write_rsvd");
        record(m->write0_fault, 0, NULL, "cpu0.reset.write0");
        record(m->hypercall_fault, 0, NULL, "cpu0.reset.hypercall");
        v[0] = 2;
        record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.reset.boot");
        v[0] = rdmsr_or_faulted(HV_X64_MSR_GUEST_OS_ID);
        v[1] = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);
        record(HV_GUEST_FAULT_NONE, 2, v, "cpu0.reset.after");
        return;
    }

    m->read_fault = rdmsr_safe(HV_X64_MSR_RESET, &v[0]);
    m->read_val = v[0];
    m->write2_fault = wrmsr_safe(HV_X64_MSR_RESET, 2);
    m->write_rsvd_fault = wrmsr_safe(HV_X64_MSR_RESET, (1ull << 63) | 1);
    m->write0_fault = wrmsr_safe(HV_X64_MSR_RESET, 0);
    m->hypercall_fault = hv_hypercall_enable();
    m->magic = RESET_MAGIC;
    guest_printf("hv-guest: resetting through HV_X64_MSR_RESET\n");

    fault = wrmsr_safe(HV_X64_MSR_RESET, 1);
    udelay(RESET_TIMEOUT_US);
    m->magic = 0;
    record(fault, 0, NULL, "cpu0.reset.not_reset");
    guest_fail("WRMSR HV_X64_MSR_RESET = 1 did not reset");
}

GUEST_TEST(hv_reset,
    .name = "hv-reset",
    .description = "reset MSR; resets the VM once",
    .setup = reset_setup,
);

/*
 * hv-vapic: the enlightened APIC MSRs.
 *
 *   cpu0.eoi.before              after a self-IPI on VAPIC_HIGH whose
 *                                handler does not EOI, and a self-IPI on
 *                                the lower VAPIC_LOW: VAPIC_HIGH taken,
 *                                its ISR bit, VAPIC_LOW taken, its IRR bit
 *   cpu0.eoi.msr                 WRMSR EOI: fault; VAPIC_LOW taken since,
 *                                ISR bit of VAPIC_HIGH
 *   cpu0.eoi.read                RDMSR EOI (write-only): fault
 *   cpu0.tpr.msr_write           WRMSR TPR 0x20: fault; xAPIC TPR, TPR MSR
 *   cpu0.tpr.mmio_write          xAPIC TPR := 0x30: RDMSR TPR; fault
 *   cpuN.assist.enable           WRMSR VP_ASSIST_PAGE page|1 (page filled
 *                                with 0xff): fault; read back, page GPA,
 *                                dwords 0 and 1 of the page
 *   cpuN.assist.rsvd             WRMSR page|1|2: fault; read back
 *   cpuN.assist.ioapic           WRMSR IOAPIC base|1: fault; read back
 *   cpuN.assist.disable          WRMSR page: fault; read back
 *   cpu0.icr.send                (2+ CPUs) WRMSR ICR: fixed IPI VAPIC_ICR
 *                                to the last CPU: fault; ICR read back,
 *                                destination APIC ID
 *   cpuN.icr.taken               VAPIC_ICR interrupts this CPU took
 */
#define VAPIC_HIGH              0x80
#define VAPIC_LOW               0x50
#define VAPIC_ICR               0x60
#define IRQ_SETTLE_US           10000

static volatile uint32_t vapic_high_taken;          /* by the handler */
static volatile uint32_t vapic_low_taken;           /* by the handler */
static volatile uint32_t vapic_icr_taken[GUEST_MAX_CPUS];  /* by handler */
static volatile uint32_t vapic_icr_done;            /* by CPU 0 */

static void vapic_high_handler(GuestIrqFrame *frame)
{
    vapic_high_taken++;
}

static void vapic_low_handler(GuestIrqFrame *frame)
{
    vapic_low_taken++;
}

static void vapic_icr_handler(GuestIrqFrame *frame)
{
    vapic_icr_taken[cpu_index()]++;
}

static void vapic_setup(void)
{
    /* VAPIC_HIGH stays in service until the EOI MSR ends it */
    irq_set_handler(VAPIC_HIGH, vapic_high_handler, IRQ_NO_EOI);
    irq_set_handler(VAPIC_LOW, vapic_low_handler, 0);
    irq_set_handler(VAPIC_ICR, vapic_icr_handler, 0);
}

static uint64_t apic_vector_bit(uint32_t base, uint8_t vector)
{
    return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

/* Lets pending interrupts in for a moment */
static void irq_window(const volatile uint32_t *count, uint32_t val)
{
    irq_enable();
    if (count) {
        wait_for_u32(count, val, WAIT_TIMEOUT_US);
    } else {
        udelay(IRQ_SETTLE_US);
    }
    irq_disable();
}

static void vapic_eoi_tpr(void)
{
    uint64_t v[4];
    uint8_t fault;

    irq_disable();
    apic_send_ipi(apic_id(), VAPIC_HIGH);
    irq_window(&vapic_high_taken, 1);
    v[0] = vapic_high_taken;
    v[1] = apic_vector_bit(APIC_ISR, VAPIC_HIGH);
    apic_send_ipi(apic_id(), VAPIC_LOW);
    irq_window(NULL, 0);
    v[2] = vapic_low_taken;
    v[3] = apic_vector_bit(APIC_IRR, VAPIC_LOW);
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu0.eoi.before");

    fault = wrmsr_safe(HV_X64_MSR_EOI, 0);
    irq_window(&vapic_low_taken, 1);
    v[0] = vapic_low_taken;
    v[1] = apic_vector_bit(APIC_ISR, VAPIC_HIGH);
    record(fault, 2, v, "cpu0.eoi.msr");
    fault = rdmsr_safe(HV_X64_MSR_EOI, &v[0]);
    record(fault, 0, NULL, "cpu0.eoi.read");

    fault = wrmsr_safe(HV_X64_MSR_TPR, 0x20);
    v[0] = apic_read(APIC_TPR);
    v[1] = rdmsr_or_faulted(HV_X64_MSR_TPR);
    record(fault, 2, v, "cpu0.tpr.msr_write");
    apic_write(APIC_TPR, 0x30);
    fault = rdmsr_safe(HV_X64_MSR_TPR, &v[0]);
    record(fault, 1, v, "cpu0.tpr.mmio_write");
    apic_write(APIC_TPR, 0);
}

static void vapic_assist(unsigned int cpu)
{
    void *page = alloc_pages(1);
    uint64_t gpa = (uintptr_t)page;
    uint64_t v[4];
    uint8_t fault;

    fill_page(page, ~0ull);
    fault = wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, gpa | 1);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_VP_ASSIST_PAGE);
    v[1] = gpa;
    v[2] = ((volatile uint32_t *)page)[0];      /* written by QEMU */
    v[3] = ((volatile uint32_t *)page)[1];
    record(fault, 4, v, "cpu%u.assist.enable", cpu);

    fault = wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, gpa | 3);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_VP_ASSIST_PAGE);
    record(fault, 1, v, "cpu%u.assist.rsvd", cpu);
    fault = wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, GPA_IOAPIC | 1);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_VP_ASSIST_PAGE);
    record(fault, 1, v, "cpu%u.assist.ioapic", cpu);
    fault = wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, gpa);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_VP_ASSIST_PAGE);
    record(fault, 1, v, "cpu%u.assist.disable", cpu);
}

static void vapic_cpu(unsigned int cpu)
{
    uint64_t v[2];
    uint8_t fault;

    vapic_assist(cpu);
    if (cpu == 0) {
        vapic_eoi_tpr();
    }
    smp_barrier();
    if (nr_cpus() < 2) {
        return;
    }

    if (cpu == 0) {
        unsigned int target = nr_cpus() - 1;
        uint64_t dest = cpu_by_index(target)->apic_id;

        fault = wrmsr_safe(HV_X64_MSR_ICR, (dest << 56) | APIC_ICR_ASSERT |
                           VAPIC_ICR);
        v[0] = rdmsr_or_faulted(HV_X64_MSR_ICR);
        v[1] = dest;
        record(fault, 2, v, "cpu0.icr.send");
        wait_for_u32(&vapic_icr_taken[target], 1, WAIT_TIMEOUT_US);
        udelay(IRQ_SETTLE_US);
        vapic_icr_done = 1;
    } else {
        irq_enable();
        while (!vapic_icr_done) {
            cpu_relax();
        }
        irq_disable();
    }
    v[0] = vapic_icr_taken[cpu];
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.icr.taken", cpu);
}

GUEST_TEST(hv_vapic,
    .name = "hv-vapic",
    .description = "EOI, ICR, TPR and VP assist page MSRs",
    .setup = vapic_setup,
    .cpu_fn = vapic_cpu,
);

/*
 * hv-msr-probe: RDMSR of every synthetic MSR in probe_msrs[] on every
 * CPU; an MSR whose read faulted also gets a WRMSR of 0.
 *
 *   cpuN.probe.MMMMMMMM          RDMSR: value (0 when it faulted); fault
 *   cpuN.probe_wr.MMMMMMMM       WRMSR 0, only after a faulting read:
 *                                fault
 */
static const uint32_t probe_msrs[] = {
    0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000004,
    0x40000010, 0x40000011, 0x40000020, 0x40000021, 0x40000022,
    0x40000023, 0x40000024, 0x40000070, 0x40000071, 0x40000072,
    0x40000073, 0x40000074, 0x40000080, 0x40000081, 0x40000082,
    0x40000083, 0x40000084, 0x40000090, 0x4000009f, 0x400000a0,
    0x400000b0, 0x400000b1, 0x400000b7, 0x400000f1, 0x400000ff,
    0x40000100, 0x40000101, 0x40000104, 0x40000105, 0x40000106,
    0x40000107, 0x40000108, 0x40000109, 0x40000114, 0x40000118,
    0x400001f0, 0x400001ff,
};

static void msr_probe_all_cpu(unsigned int cpu)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(probe_msrs); i++) {
        uint64_t val;
        uint8_t fault = rdmsr_safe(probe_msrs[i], &val);

        record(fault, 1, &val, "cpu%u.probe.%08x", cpu, probe_msrs[i]);
        if (fault != HV_GUEST_FAULT_NONE) {
            record(wrmsr_safe(probe_msrs[i], 0), 0, NULL,
                   "cpu%u.probe_wr.%08x", cpu, probe_msrs[i]);
        }
    }
}

GUEST_TEST(hv_msr_probe,
    .name = "hv-msr-probe",
    .description = "which synthetic MSRs #GP, on every CPU",
    .cpu_fn = msr_probe_all_cpu,
);

/*
 * hv-vapic-x2apic (1 CPU): the enlightened APIC MSRs with the local APIC
 * in x2APIC mode, where they stand for the x2APIC MSRs.  The CPU stays in
 * x2APIC mode until the test ends (no xAPIC EOIs, no wake-up IPIs).
 *
 *   cpu0.x2apic.enable           WRMSR IA32_APIC_BASE.EXTD: fault
 *   cpu0.x2apic.tpr_msr_write    WRMSR TPR 0x20: fault; x2APIC TPR
 *   cpu0.x2apic.tpr_x2_write     x2APIC TPR := 0x30: RDMSR TPR; fault
 *   cpu0.x2apic.icr_other        WRMSR ICR: fixed IPI VAPIC_HIGH to x2APIC
 *                                ID 0x55, which no CPU has: fault; ICR
 *                                read back (all 64 bits, as KVM)
 *   cpu0.x2apic.icr_self         WRMSR ICR: fixed IPI VAPIC_HIGH to the
 *                                own x2APIC ID: fault; ICR read back,
 *                                x2APIC ID
 *   cpu0.x2apic.eoi              before the EOI MSR: VAPIC_HIGH taken,
 *                                its ISR bit; after: ISR bit; fault of
 *                                WRMSR EOI
 */
#define MSR_IA32_APIC_BASE      0x1b
#define APIC_BASE_EXTD          (1ull << 10)
#define MSR_X2APIC_ID           0x802
#define MSR_X2APIC_TPR          0x808
#define MSR_X2APIC_ISR0         0x810

static uint64_t x2apic_isr_bit(uint8_t vector)
{
    return (rdmsr(MSR_X2APIC_ISR0 + vector / 32) >> (vector % 32)) & 1;
}

static void vapic_x2apic_setup(void)
{
    uint64_t v[4], id;
    uint8_t fault;

    irq_set_handler(VAPIC_HIGH, vapic_high_handler, IRQ_NO_EOI);
    fault = wrmsr_safe(MSR_IA32_APIC_BASE,
                       rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
    record(fault, 0, NULL, "cpu0.x2apic.enable");
    if (fault != HV_GUEST_FAULT_NONE) {
        return;
    }
    id = rdmsr(MSR_X2APIC_ID);

    fault = wrmsr_safe(HV_X64_MSR_TPR, 0x20);
    v[0] = rdmsr(MSR_X2APIC_TPR);
    record(fault, 1, v, "cpu0.x2apic.tpr_msr_write");
    wrmsr(MSR_X2APIC_TPR, 0x30);
    fault = rdmsr_safe(HV_X64_MSR_TPR, &v[0]);
    record(fault, 1, v, "cpu0.x2apic.tpr_x2_write");
    wrmsr(MSR_X2APIC_TPR, 0);

    irq_disable();
    fault = wrmsr_safe(HV_X64_MSR_ICR, (0x55ull << 32) | APIC_ICR_ASSERT |
                       VAPIC_HIGH);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_ICR);
    record(fault, 1, v, "cpu0.x2apic.icr_other");
    fault = wrmsr_safe(HV_X64_MSR_ICR, (id << 32) | APIC_ICR_ASSERT |
                       VAPIC_HIGH);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_ICR);
    v[1] = id;
    record(fault, 2, v, "cpu0.x2apic.icr_self");
    irq_window(&vapic_high_taken, 1);
    v[0] = vapic_high_taken;
    v[1] = x2apic_isr_bit(VAPIC_HIGH);
    fault = wrmsr_safe(HV_X64_MSR_EOI, 0);
    v[2] = x2apic_isr_bit(VAPIC_HIGH);
    record(fault, 3, v, "cpu0.x2apic.eoi");
}

GUEST_TEST(hv_vapic_x2apic,
    .name = "hv-vapic-x2apic",
    .description = "EOI, ICR and TPR MSRs in x2APIC mode",
    .setup = vapic_x2apic_setup,
);
