/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-migration-test.c: sets up the Hyper-V state a guest
 * OS would (guest OS ID, hypercall page, TSC page, crash parameters),
 * then samples the reference time on every CPU while the qtest migrates
 * the VM or saves and loads a snapshot, and finally records the state
 * again so that the qtest can compare before and after.
 */
#include "hv-time.h"

/* Values the qtest looks for (hv-migration-test.c has the same) */
#define MIG_GUEST_OS_ID         0x8100000000001234ull
#define MIG_CRASH_P(n)          (0x1111111111111111ull * ((n) + 1))
/* What "change" writes: must differ from the values above */
#define MIG_GUEST_OS_ID_CHANGED 0x8100000000005678ull
#define MIG_CRASH_P_CHANGED(n)  (0xa0a0a0a0a0a0a0a0ull + (n))
#define MIG_HCPAGE_FILL         0xcc

/* Mailbox values */
enum {
    MIG_WAIT = 0,               /* keep sampling */
    MIG_GO = 1,                 /* record the state and finish */
    MIG_CHANGE = 2,             /* CPU 0 changes the state, then wait */
};

/* How long mig_record_state() measures the reference time's rate */
#define MIG_RATE_MS             100

/* TLFS hypercall codes and status */
#define HV_HYPERCALL_FAST               (1ull << 16)

/*
 * migration: the MSRs are listed in mig_msrs[].  With tscpage=0 on the
 * command line the TSC page stays disabled (REFERENCE_TSC is written 0),
 * so that the reference time comes from the MSR alone.
 *
 *   hpet                     HPET period, femtoseconds
 *   mailbox                  GPA of the mailbox word (see MIG_*)
 *   setup.wrmsr.MMMMMMMM     WRMSR fault of the set-up writes
 *   before.msr.MMMMMMMM      the MSR after set-up (value; fault)
 *   before.hcpage            first 16 bytes of the hypercall page
 *   before.tscpage           TscSequence, TscScale, TscOffset, and
 *                            HV_X64_MSR_TSC_FREQUENCY
 *   before.hypercall         through the hypercall page: status of
 *                            code 0 (invalid), of a fast
 *                            HvCallNotifyLongSpinWait
 *   before.rate              over MIG_RATE_MS: TSC ticks, reference time
 *                            (from the TSC page when on), HPET ticks
 *   cpuN.before.vp           VP_INDEX, VP_RUNTIME
 *   cpuN.ready               (no values) the CPU is sampling
 *   changed                  (MIG_CHANGE) CPU 0 changed the state: the
 *                            WRMSR faults OR-ed together
 *   cpuN.after.vp            VP_INDEX, VP_RUNTIME
 *   cpuN.after.msr.MMMMMMMM  the MSR once the qtest said go, on every CPU
 *   cpuN.time.page           samples, backwards steps, largest backwards
 *                            step, largest forward step of the page time
 *   cpuN.time.msr            the same for the MSR
 *   cpuN.time.tsc            the same for RDTSC
 *   cpu0.time.tsc_hpet       (TSC page on) TSC and HPET compared between
 *                            consecutive samples (see tsc_hpet_track()):
 *                            comparisons, most the TSC was ahead, most it
 *                            was behind, 100 ns units
 *   cpuN.time.invalid        page reads that found sequence 0
 *   time.cross               across CPUs: page backwards steps, largest;
 *                            MSR backwards steps, largest
 *   after.hcpage, after.tscpage, after.hypercall, after.rate: as
 *                            before.*
 */
static const uint32_t mig_msrs[] = {
    HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL, HV_X64_MSR_REFERENCE_TSC,
    HV_X64_MSR_CRASH_P0, HV_X64_MSR_CRASH_P0 + 1, HV_X64_MSR_CRASH_P0 + 2,
    HV_X64_MSR_CRASH_P0 + 3, HV_X64_MSR_CRASH_P0 + 4,
};

static uint8_t *mig_hcpage;
static HvTscPage *mig_tscpage;
static volatile uint32_t mig_mailbox;       /* written by the qtest */
static SharedTime mig_cross_page, mig_cross_msr;
static uint32_t mig_changed;
static bool mig_use_tsc_page;

/*
 * Calls the hypercall page (which holds VMCALL or VMMCALL; RET): RCX =
 * control, RDX = input GPA or first fast input, R8 = output GPA or
 * second fast input; returns RAX.  The x64 calling convention lets the
 * callee clobber R9-R11 as well.
 */
static uint64_t mig_hypercall(uint64_t control, uint64_t in, uint64_t out)
{
    register uint64_t r8 asm("r8") = out;
    uint64_t rax;

    asm volatile("call *%[page]"
                 : "=a"(rax), "+c"(control), "+d"(in), "+r"(r8)
                 : [page] "r"(mig_hcpage)
                 : "r9", "r10", "r11", "cc", "memory");
    return rax;
}

static void mig_record_state(const char *when)
{
    char name[HV_GUEST_RECORD_NAME_LEN];
    uint64_t v[4];

    memcpy(v, mig_hcpage, 16);
    record(HV_GUEST_FAULT_NONE, 2, v, "%s.hcpage", when);
    v[0] = mig_tscpage->tsc_sequence;
    v[1] = mig_tscpage->tsc_scale;
    v[2] = mig_tscpage->tsc_offset;
    v[3] = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    record(HV_GUEST_FAULT_NONE, 4, v, "%s.tscpage", when);
    v[0] = mig_hypercall(0, 0, 0) & 0xffff;
    v[1] = mig_hypercall(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST,
                         1, 0) & 0xffff;
    record(HV_GUEST_FAULT_NONE, 2, v, "%s.hypercall", when);
    snprintf(name, sizeof(name), "%s.rate", when);
    rate_measure(mig_use_tsc_page ? mig_tscpage : NULL, MIG_RATE_MS, name);
}

static void mig_setup(void)
{
    uint64_t hpet_fs;
    unsigned int i;
    uint8_t fault;

    hpet_fs = hpet_start();
    record(HV_GUEST_FAULT_NONE, 1, &hpet_fs, "hpet");
    mig_hcpage = alloc_pages(1);
    memset(mig_hcpage, MIG_HCPAGE_FILL, 4096);
    mig_tscpage = alloc_pages(1);

    /* A guest OS must identify itself before it enables hypercalls */
    fault = wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, MIG_GUEST_OS_ID);
    record(fault, 0, NULL, "setup.wrmsr.%08x", HV_X64_MSR_GUEST_OS_ID);
    fault = wrmsr_safe(HV_X64_MSR_HYPERCALL, (uintptr_t)mig_hcpage | 1);
    record(fault, 0, NULL, "setup.wrmsr.%08x", HV_X64_MSR_HYPERCALL);
    mig_use_tsc_page = cmdline_get_u64("tscpage", 1);
    fault = mig_use_tsc_page ? tsc_page_enable(mig_tscpage) :
                               wrmsr_safe(HV_X64_MSR_REFERENCE_TSC, 0);
    record(fault, 0, NULL, "setup.wrmsr.%08x", HV_X64_MSR_REFERENCE_TSC);
    for (i = 0; i < 5; i++) {
        fault = wrmsr_safe(HV_X64_MSR_CRASH_P0 + i, MIG_CRASH_P(i));
        record(fault, 0, NULL, "setup.wrmsr.%08x", HV_X64_MSR_CRASH_P0 + i);
    }
    for (i = 0; i < ARRAY_SIZE(mig_msrs); i++) {
        uint64_t val = 0;

        fault = rdmsr_safe(mig_msrs[i], &val);
        record(fault, 1, &val, "before.msr.%08x", mig_msrs[i]);
    }
    mig_record_state("before");
    mailbox_announce(&mig_mailbox, "mailbox");
}

/* MIG_CHANGE: CPU 0 rewrites every MSR the test checks. */
static void mig_change(void)
{
    uint64_t faults = 0;
    unsigned int i;

    faults |= wrmsr_safe(HV_X64_MSR_REFERENCE_TSC, 0) ^ HV_GUEST_FAULT_NONE;
    faults |= wrmsr_safe(HV_X64_MSR_HYPERCALL, 0) ^ HV_GUEST_FAULT_NONE;
    faults |= wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, MIG_GUEST_OS_ID_CHANGED) ^
              HV_GUEST_FAULT_NONE;
    for (i = 0; i < 5; i++) {
        faults |= wrmsr_safe(HV_X64_MSR_CRASH_P0 + i,
                             MIG_CRASH_P_CHANGED(i)) ^ HV_GUEST_FAULT_NONE;
    }
    record(HV_GUEST_FAULT_NONE, 1, &faults, "changed");
}

static bool mig_read_page(void *arg, uint64_t *t)
{
    return tsc_page_read(mig_tscpage, t, NULL, NULL);
}

static bool mig_read_msr(void *arg, uint64_t *t)
{
    *t = ref_time_msr();
    return true;
}

static void mig_cpu(unsigned int cpu)
{
    TimeTrack page = { 0 }, msr = { 0 }, tsc = { 0 };
    TscHpetTrack tsc_hpet = { 0 };
    uint64_t invalid = 0, t, v[4];
    uint32_t box;
    unsigned int i;

    v[0] = rdmsr(HV_X64_MSR_VP_INDEX);
    v[1] = rdmsr(HV_X64_MSR_VP_RUNTIME);
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.before.vp", cpu);
    record(HV_GUEST_FAULT_NONE, 0, NULL, "cpu%u.ready", cpu);

    while ((box = mig_mailbox) != MIG_GO) {
        if (box == MIG_CHANGE) {
            /* The state is about to be thrown away: stop sampling */
            if (cpu == 0 && !mig_changed) {
                mig_changed = 1;
                mig_change();
            }
            cpu_relax();
            continue;
        }
        if (mig_use_tsc_page) {
            if (tsc_page_read(mig_tscpage, &t, NULL, NULL)) {
                time_track(&page, t);
            } else {
                invalid++;
            }
            shared_time_check(&mig_cross_page, mig_read_page, NULL);
            if (cpu == 0) {
                tsc_hpet_track(&tsc_hpet, mig_tscpage);
            }
        }
        time_track(&msr, ref_time_msr());
        time_track(&tsc, rdtsc_ordered());
        shared_time_check(&mig_cross_msr, mig_read_msr, NULL);
    }

    v[0] = rdmsr(HV_X64_MSR_VP_INDEX);
    v[1] = rdmsr(HV_X64_MSR_VP_RUNTIME);
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.after.vp", cpu);
    for (i = 0; i < ARRAY_SIZE(mig_msrs); i++) {
        uint64_t val = 0;
        uint8_t fault = rdmsr_safe(mig_msrs[i], &val);

        record(fault, 1, &val, "cpu%u.after.msr.%08x", cpu, mig_msrs[i]);
    }
    v[0] = page.samples;
    v[1] = page.backwards;
    v[2] = page.max_backwards;
    v[3] = page.max_step;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.page", cpu);
    v[0] = msr.samples;
    v[1] = msr.backwards;
    v[2] = msr.max_backwards;
    v[3] = msr.max_step;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.msr", cpu);
    v[0] = tsc.samples;
    v[1] = tsc.backwards;
    v[2] = tsc.max_backwards;
    v[3] = tsc.max_step;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.tsc", cpu);
    if (cpu == 0) {
        v[0] = tsc_hpet.compared;
        v[1] = tsc_hpet.max_ahead;
        v[2] = tsc_hpet.max_behind;
        record(HV_GUEST_FAULT_NONE, 3, v, "cpu0.time.tsc_hpet");
    }
    record(HV_GUEST_FAULT_NONE, 1, &invalid, "cpu%u.time.invalid", cpu);
}

static void mig_finish(void)
{
    uint64_t v[4] = {
        mig_cross_page.backwards, mig_cross_page.max_backwards,
        mig_cross_msr.backwards, mig_cross_msr.max_backwards,
    };

    record(HV_GUEST_FAULT_NONE, 4, v, "time.cross");
    mig_record_state("after");
}

GUEST_TEST(migration,
    .name = "migration",
    .description = "Hyper-V state and reference time across migration",
    .setup = mig_setup,
    .cpu_fn = mig_cpu,
    .finish = mig_finish,
);

/*
 * migration-tsc-seq: the TSC page is enabled at A and disabled again
 * (A keeps the sequence it had), then the qtest migrates the VM and
 * writes the mailbox, and the guest enables the page at A again.  The
 * TLFS update protocol (read sequence, values, sequence again) only
 * works if a rewritten page never shows the sequence it held before.
 *
 *   seq.enabled              A's TscSequence after enabling
 *   seq.disabled             A's TscSequence after disabling
 *   mailbox                  GPA of the mailbox word
 *   seq.reenabled            WRMSR fault; A's TscSequence before and
 *                            after enabling it again
 */
static volatile uint32_t seq_mailbox;       /* written by the qtest */
static HvTscPage *seq_page;

static void seq_setup(void)
{
    uint64_t v;
    uint8_t fault;

    seq_page = alloc_pages(1);
    fault = tsc_page_enable(seq_page);
    v = seq_page->tsc_sequence;
    record(fault, 1, &v, "seq.enabled");
    fault = wrmsr_safe(HV_X64_MSR_REFERENCE_TSC, 0);
    v = seq_page->tsc_sequence;
    record(fault, 1, &v, "seq.disabled");
    mailbox_announce(&seq_mailbox, "mailbox");
}

static void seq_cpu(unsigned int cpu)
{
    uint64_t v[2];
    uint8_t fault;

    if (cpu != 0) {
        return;
    }
    while (!seq_mailbox) {
        cpu_relax();
    }
    v[0] = seq_page->tsc_sequence;
    fault = tsc_page_enable(seq_page);
    v[1] = seq_page->tsc_sequence;
    record(fault, 2, v, "seq.reenabled");
}

GUEST_TEST(migration_tsc_seq,
    .name = "migration-tsc-seq",
    .description = "a TSC page enabled again after migration gets a new "
                   "sequence",
    .setup = seq_setup,
    .cpu_fn = seq_cpu,
);

/*
 * migration-invtsc (hv-invtsc): HV_X64_MSR_TSC_INVARIANT_CONTROL and the
 * invariant TSC bit it exposes.  Before the migration the guest checks
 * the privilege bit, that CPUID 0x80000007.EDX[8] is hidden, the MSR's
 * rules (KVM's: bit 0 only; not cleared again), and enables it; after
 * the migration both the MSR and the CPUID bit must still say so.
 *
 *   invtsc.cpuid             0x40000003.EAX; 0x80000007.EDX before
 *   invtsc.rd0               RDMSR: fault; value
 *   invtsc.wr2 / wr_high     WRMSR 2 / bit 63: fault
 *   invtsc.wr1               WRMSR 1: fault; value read back;
 *                            0x80000007.EDX after
 *   invtsc.clear             WRMSR 0 after 1: fault; value read back
 *   mailbox                  GPA of the mailbox word
 *   invtsc.after             after the migration: RDMSR value, fault;
 *                            0x80000007.EDX
 */
#define HV_X64_MSR_TSC_INVARIANT_CONTROL    0x40000118

static volatile uint32_t invtsc_mailbox;    /* written by the qtest */

static void invtsc_setup(void)
{
    uint64_t v[3];
    uint8_t fault;

    v[0] = cpuid(0x40000003, 0).eax;
    v[1] = cpuid(0x80000007, 0).edx;
    record(HV_GUEST_FAULT_NONE, 2, v, "invtsc.cpuid");
    v[0] = 0x55;
    fault = rdmsr_safe(HV_X64_MSR_TSC_INVARIANT_CONTROL, &v[0]);
    record(fault, 1, v, "invtsc.rd0");
    record(wrmsr_safe(HV_X64_MSR_TSC_INVARIANT_CONTROL, 2), 0, NULL,
           "invtsc.wr2");
    record(wrmsr_safe(HV_X64_MSR_TSC_INVARIANT_CONTROL, 1ull << 63), 0,
           NULL, "invtsc.wr_high");
    fault = wrmsr_safe(HV_X64_MSR_TSC_INVARIANT_CONTROL, 1);
    v[0] = rdmsr(HV_X64_MSR_TSC_INVARIANT_CONTROL);
    v[1] = cpuid(0x80000007, 0).edx;
    record(fault, 2, v, "invtsc.wr1");
    fault = wrmsr_safe(HV_X64_MSR_TSC_INVARIANT_CONTROL, 0);
    v[0] = rdmsr(HV_X64_MSR_TSC_INVARIANT_CONTROL);
    record(fault, 1, v, "invtsc.clear");
    mailbox_announce(&invtsc_mailbox, "mailbox");
}

static void invtsc_cpu(unsigned int cpu)
{
    uint64_t v[3];

    if (cpu != 0) {
        return;
    }
    while (!invtsc_mailbox) {
        cpu_relax();
    }
    v[1] = rdmsr_safe(HV_X64_MSR_TSC_INVARIANT_CONTROL, &v[0]);
    v[2] = cpuid(0x80000007, 0).edx;
    record(HV_GUEST_FAULT_NONE, 3, v, "invtsc.after");
}

GUEST_TEST(migration_invtsc,
    .name = "migration-invtsc",
    .description = "hv-invtsc: the control MSR, the CPUID bit, migration",
    .setup = invtsc_setup,
    .cpu_fn = invtsc_cpu,
);
