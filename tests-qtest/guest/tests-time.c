/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest tests of the Hyper-V partition reference time (TLFS 12.7):
 * HV_X64_MSR_TIME_REF_COUNT and the reference TSC page.  hv-time-test.c
 * boots them and judges what they record; see guest/hv-time.h for the
 * TLFS formulas.
 */
#include "hv-time.h"

/* Where no TSC page can be: far above the -m 64 of the harness. */
#define NOT_RAM_GPA             0x10000000ull

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/*
 * time-consistency: every CPU reads the reference time from the TSC page
 * and from the MSR in turn, for duration_ms= (default 1000) of reference
 * time, as page (p1), MSR (m), page (p2).  Sources that agree give
 * p1 <= m <= p2.
 *
 *   tsc_page.enable          WRMSR REFERENCE_TSC fault; MSR read back,
 *                            page GPA
 *   cpuN.time.samples        page samples, MSR samples, reference time
 *                            elapsed, retries of the sequence protocol
 *   cpuN.time.page_vs_msr    times m < p1, max (p1 - m), times m > p2,
 *                            max (m - p2)
 *   cpuN.time.latency        max (m - p1), page reads that found sequence
 *                            0, first sequence seen, sequence changes
 *   cpuN.time.page_mono      backwards steps, largest backwards step,
 *                            largest forward step of the page time
 *   cpuN.time.msr_mono       the same for the MSR
 *   time.cross               across CPUs (published with cmpxchg): page
 *                            backwards steps, largest; MSR backwards
 *                            steps, largest
 */
static HvTscPage *tc_page;
static uint64_t tc_duration;
static SharedTime tc_cross_page, tc_cross_msr;

static void tc_setup(void)
{
    uint64_t v[2] = { 0, 0 };
    uint8_t fault;

    tc_duration = cmdline_get_u64("duration_ms", 1000) *
                  (HV_REF_TIME_HZ / 1000);
    tc_page = alloc_pages(1);
    fault = tsc_page_enable(tc_page);
    rdmsr_safe(HV_X64_MSR_REFERENCE_TSC, &v[0]);
    v[1] = (uintptr_t)tc_page;
    record(fault, 2, v, "tsc_page.enable");
}

static bool tc_read_page(void *arg, uint64_t *t)
{
    return tsc_page_read(tc_page, t, NULL, NULL);
}

static bool tc_read_msr(void *arg, uint64_t *t)
{
    *t = ref_time_msr();
    return true;
}

static void tc_cpu(unsigned int cpu)
{
    TimeTrack page = { 0 }, msr = { 0 };
    uint64_t start, p1 = 0, m, p2 = 0, retries = 0, invalid = 0;
    uint64_t n_before = 0, max_before = 0, n_after = 0, max_after = 0;
    uint64_t max_latency = 0, seq_changes = 0;
    uint32_t seq, first_seq = 0, last_seq = 0;
    uint64_t v[4];

    smp_barrier();
    start = ref_time_msr();
    do {
        bool ok1 = tsc_page_read(tc_page, &p1, &seq, &retries);
        bool ok2;

        m = ref_time_msr();
        ok2 = tsc_page_read(tc_page, &p2, NULL, &retries);
        time_track(&msr, m);
        if (!ok1 || !ok2) {
            invalid++;
            continue;
        }
        if (!first_seq) {
            first_seq = seq;
        } else if (seq != last_seq) {
            seq_changes++;
        }
        last_seq = seq;

        time_track(&page, p1);
        time_track(&page, p2);
        if (m < p1) {
            n_before++;
            max_before = max_u64(max_before, p1 - m);
        } else {
            max_latency = max_u64(max_latency, m - p1);
        }
        if (m > p2) {
            n_after++;
            max_after = max_u64(max_after, m - p2);
        }
        shared_time_check(&tc_cross_page, tc_read_page, NULL);
        shared_time_check(&tc_cross_msr, tc_read_msr, NULL);
    } while (m - start < tc_duration);
    smp_barrier();

    v[0] = page.samples;
    v[1] = msr.samples;
    v[2] = m - start;
    v[3] = retries;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.samples", cpu);
    v[0] = n_before;
    v[1] = max_before;
    v[2] = n_after;
    v[3] = max_after;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.page_vs_msr", cpu);
    v[0] = max_latency;
    v[1] = invalid;
    v[2] = first_seq;
    v[3] = seq_changes;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.latency", cpu);
    v[0] = page.backwards;
    v[1] = page.max_backwards;
    v[2] = page.max_step;
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu%u.time.page_mono", cpu);
    v[0] = msr.backwards;
    v[1] = msr.max_backwards;
    v[2] = msr.max_step;
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu%u.time.msr_mono", cpu);
}

static void tc_finish(void)
{
    uint64_t v[4] = {
        tc_cross_page.backwards, tc_cross_page.max_backwards,
        tc_cross_msr.backwards, tc_cross_msr.max_backwards,
    };

    record(HV_GUEST_FAULT_NONE, 4, v, "time.cross");
}

GUEST_TEST(time_consistency,
    .name = "time-consistency",
    .description = "TSC page vs TIME_REF_COUNT on all CPUs, monotonicity",
    .setup = tc_setup,
    .cpu_fn = tc_cpu,
    .finish = tc_finish,
);

/*
 * tsc-page-params: the TSC page's parameters and the rate of the
 * reference time, measured against RDTSC and against the HPET.  Run on
 * one CPU; rate_ms= (default 200) is the length of each measurement in
 * reference time.
 *
 *   ref_time.start           TIME_REF_COUNT when the test starts
 *   tsc_freq                 HV_X64_MSR_TSC_FREQUENCY (fault if absent)
 *   hpet                     HPET period in femtoseconds
 *   rate.clock               TSC page off, MSR: TSC ticks, reference
 *                            time, HPET ticks elapsed
 *   tsc_page.enable          WRMSR fault; MSR read back, page GPA
 *   tsc_page.params          TscSequence, TscScale, TscOffset, reserved
 *                            dword after the sequence
 *   rate.msr                 TSC page on, MSR: as rate.clock
 *   rate.page                TSC page on, time from the page: the same
 */
static void tsc_params_cpu(unsigned int cpu)
{
    uint64_t ms = cmdline_get_u64("rate_ms", 200);
    HvTscPage *page;
    uint64_t v[4];
    uint8_t fault;

    if (cpu != 0) {
        return;
    }
    v[0] = ref_time_msr();
    record(HV_GUEST_FAULT_NONE, 1, v, "ref_time.start");
    fault = rdmsr_safe(HV_X64_MSR_TSC_FREQUENCY, &v[0]);
    record(fault, 1, v, "tsc_freq");
    v[0] = hpet_start();
    record(HV_GUEST_FAULT_NONE, 1, v, "hpet");

    rate_measure(NULL, ms, "rate.clock");

    page = alloc_pages(1);
    fault = tsc_page_enable(page);
    v[0] = rdmsr(HV_X64_MSR_REFERENCE_TSC);
    v[1] = (uintptr_t)page;
    record(fault, 2, v, "tsc_page.enable");
    v[0] = page->tsc_sequence;
    v[1] = page->tsc_scale;
    v[2] = page->tsc_offset;
    v[3] = page->reserved1;
    record(HV_GUEST_FAULT_NONE, 4, v, "tsc_page.params");

    rate_measure(NULL, ms, "rate.msr");
    rate_measure(page, ms, "rate.page");
}

GUEST_TEST(tsc_page_params,
    .name = "tsc-page-params",
    .description = "TSC page scale and the 10 MHz rate of reference time",
    .cpu_fn = tsc_params_cpu,
);

/*
 * tsc-page-move: enable, reject reserved bits, disable, move and break
 * the TSC page, watching that the reference time never goes backwards.
 * Every stage reads the time many times from the MSR and, while it is
 * valid, from the current page.  Pages A, B and C are RAM.
 *
 *   move.enable_a            fault; MSR read back, A's sequence, page
 *                            time, MSR time
 *   move.rsvd.N              WRMSR of A | enable | bit N (RsvdP: stored,
 *                            as KVM does): fault; MSR read back, A's
 *                            sequence, B's sequence
 *   move.disable             WRMSR 0: fault; MSR read back, A's sequence
 *   move.disabled            MSR time right after disabling, 10 ms later
 *   move.enable_b            as move.enable_a, for B
 *   move.rewrite_b           B enabled again: fault; sequence before,
 *                            after
 *   move.old_page            A changed since it was disabled (0/1), A's
 *                            sequence
 *   move.enable_a_again      A enabled again: fault; A's sequence when it
 *                            was disabled, its new sequence, page time
 *   move.not_ram             WRMSR of NOT_RAM_GPA | enable: fault; MSR
 *                            read back, MSR time right after, 10 ms later
 *   move.enable_c            as move.enable_a, for C
 *   move.mono                backwards steps, largest backwards step,
 *                            time samples (over all stages)
 */
static TimeTrack mv_track;

/* Samples the time for @ms ms: the MSR, and @page when it is valid. */
static void mv_watch(const HvTscPage *page, uint64_t ms)
{
    uint64_t start = ref_time_msr(), t;

    time_track(&mv_track, start);
    do {
        if (page && tsc_page_read(page, &t, NULL, NULL)) {
            time_track(&mv_track, t);
        }
        t = ref_time_msr();
        time_track(&mv_track, t);
    } while (t - start < ms * (HV_REF_TIME_HZ / 1000));
}

static void mv_enable(HvTscPage *page, const char *name)
{
    uint64_t v[4] = { 0, 0, 0, 0 };
    uint8_t fault = tsc_page_enable(page);

    v[0] = rdmsr(HV_X64_MSR_REFERENCE_TSC);
    v[1] = page->tsc_sequence;
    if (tsc_page_read(page, &v[2], NULL, NULL)) {
        time_track(&mv_track, v[2]);
    }
    v[3] = ref_time_msr();
    time_track(&mv_track, v[3]);
    record(fault, 4, v, "%s", name);
    mv_watch(page, 10);
}

static void tsc_move_cpu(unsigned int cpu)
{
    static uint8_t a_copy[4096];
    static const unsigned int rsvd_bits[] = { 1, 2, 11 };
    HvTscPage *a, *b, *c;
    uint64_t v[4];
    uint32_t seq;
    unsigned int i;
    uint8_t fault;

    if (cpu != 0) {
        return;
    }
    a = alloc_pages(1);
    b = alloc_pages(1);
    c = alloc_pages(1);

    mv_watch(NULL, 10);
    mv_enable(a, "move.enable_a");

    for (i = 0; i < ARRAY_SIZE(rsvd_bits); i++) {
        fault = wrmsr_safe(HV_X64_MSR_REFERENCE_TSC,
                           (uintptr_t)a | HV_REF_TSC_ENABLE |
                           (1ull << rsvd_bits[i]));
        v[0] = rdmsr(HV_X64_MSR_REFERENCE_TSC);
        v[1] = a->tsc_sequence;
        v[2] = b->tsc_sequence;
        record(fault, 3, v, "move.rsvd.%u", rsvd_bits[i]);
    }
    wrmsr(HV_X64_MSR_REFERENCE_TSC, (uintptr_t)a | HV_REF_TSC_ENABLE);
    mv_watch(a, 10);

    fault = wrmsr_safe(HV_X64_MSR_REFERENCE_TSC, 0);
    v[0] = ref_time_msr();
    time_track(&mv_track, v[0]);
    memcpy(a_copy, (const void *)a, sizeof(a_copy));
    v[1] = rdmsr(HV_X64_MSR_REFERENCE_TSC);
    v[2] = a->tsc_sequence;
    record(fault, 2, &v[1], "move.disable");
    mv_watch(NULL, 10);
    v[1] = ref_time_msr();
    time_track(&mv_track, v[1]);
    record(HV_GUEST_FAULT_NONE, 2, v, "move.disabled");

    mv_enable(b, "move.enable_b");
    seq = b->tsc_sequence;
    fault = tsc_page_enable(b);
    v[0] = seq;
    v[1] = b->tsc_sequence;
    record(fault, 2, v, "move.rewrite_b");
    mv_watch(b, 10);

    v[0] = memcmp(a_copy, (const void *)a, sizeof(a_copy)) != 0;
    v[1] = a->tsc_sequence;
    record(HV_GUEST_FAULT_NONE, 2, v, "move.old_page");

    seq = a->tsc_sequence;
    wrmsr(HV_X64_MSR_REFERENCE_TSC, 0);
    mv_watch(NULL, 10);
    fault = tsc_page_enable(a);
    v[0] = seq;
    v[1] = a->tsc_sequence;
    v[2] = 0;
    if (tsc_page_read(a, &v[2], NULL, NULL)) {
        time_track(&mv_track, v[2]);
    }
    record(fault, 3, v, "move.enable_a_again");
    mv_watch(a, 10);

    fault = wrmsr_safe(HV_X64_MSR_REFERENCE_TSC,
                       NOT_RAM_GPA | HV_REF_TSC_ENABLE);
    v[0] = rdmsr(HV_X64_MSR_REFERENCE_TSC);
    v[1] = ref_time_msr();
    time_track(&mv_track, v[1]);
    mv_watch(NULL, 10);
    v[2] = ref_time_msr();
    time_track(&mv_track, v[2]);
    record(fault, 3, v, "move.not_ram");

    mv_enable(c, "move.enable_c");

    v[0] = mv_track.backwards;
    v[1] = mv_track.max_backwards;
    v[2] = mv_track.samples;
    record(HV_GUEST_FAULT_NONE, 3, v, "move.mono");
}

GUEST_TEST(tsc_page_move,
    .name = "tsc-page-move",
    .description = "TSC page enable/disable/move, reserved bits, not RAM",
    .cpu_fn = tsc_move_cpu,
);

/*
 * time-pause: every CPU reads the time from the TSC page and the MSR
 * while the qtest stops and continues the VM.  The qtest steps the
 * mailbox through PAUSE_*: it writes PAUSE_STOPPING and waits for every
 * CPU to say it saw it, stops the VM, continues it, writes
 * PAUSE_RESUMED, waits for every CPU to say it saw that, then writes
 * PAUSE_DONE.  A CPU's last sample while it saw PAUSE_STOPPING and its
 * first while it saw PAUSE_RESUMED thus lie between the qtest's write of
 * PAUSE_STOPPING and its seeing cpuN.pause.resumed, with the whole pause
 * between the two.
 *
 *   pause.enable             WRMSR fault of the TSC page enable
 *   pause.mailbox            GPA of the mailbox word
 *   cpuN.pause.ready         (no values) the CPU is sampling
 *   cpuN.pause.stopping      (no values) the CPU saw PAUSE_STOPPING
 *   cpuN.pause.resumed       MSR time from the last sample seen with
 *                            PAUSE_STOPPING to the first with
 *                            PAUSE_RESUMED; the same for the page time
 *   cpuN.pause.page          samples, backwards steps, largest backwards
 *                            step, largest forward step of the page time
 *   cpuN.pause.msr           the same for the MSR
 */
enum {
    PAUSE_SAMPLE = 0,
    PAUSE_STOPPING = 1,
    PAUSE_RESUMED = 2,
    PAUSE_DONE = 3,
};

static HvTscPage *pause_page;
static volatile uint32_t pause_mailbox;     /* written by the qtest */

static void pause_setup(void)
{
    uint8_t fault;

    pause_page = alloc_pages(1);
    fault = tsc_page_enable(pause_page);
    record(fault, 0, NULL, "pause.enable");
    mailbox_announce(&pause_mailbox, "pause.mailbox");
}

static void pause_cpu(unsigned int cpu)
{
    TimeTrack page = { 0 }, msr = { 0 };
    uint64_t t_page = 0, t_msr, stop_page = 0, stop_msr = 0, v[4];
    bool have_page, seen_stopping = false, seen_resumed = false;
    uint32_t box;

    record(HV_GUEST_FAULT_NONE, 0, NULL, "cpu%u.pause.ready", cpu);
    do {
        /* The mailbox first: the samples come after what it says */
        box = pause_mailbox;
        asm volatile("" : : : "memory");
        have_page = tsc_page_read(pause_page, &t_page, NULL, NULL);
        if (have_page) {
            time_track(&page, t_page);
        }
        t_msr = ref_time_msr();
        time_track(&msr, t_msr);

        if (box == PAUSE_STOPPING) {
            stop_page = t_page;
            stop_msr = t_msr;
            if (!seen_stopping) {
                seen_stopping = true;
                record(HV_GUEST_FAULT_NONE, 0, NULL,
                       "cpu%u.pause.stopping", cpu);
            }
        } else if (box == PAUSE_RESUMED && seen_stopping && !seen_resumed) {
            seen_resumed = true;
            v[0] = t_msr - stop_msr;
            v[1] = t_page - stop_page;
            record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.pause.resumed", cpu);
        }
    } while (box != PAUSE_DONE);

    v[0] = page.samples;
    v[1] = page.backwards;
    v[2] = page.max_backwards;
    v[3] = page.max_step;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.pause.page", cpu);
    v[0] = msr.samples;
    v[1] = msr.backwards;
    v[2] = msr.max_backwards;
    v[3] = msr.max_step;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.pause.msr", cpu);
}

GUEST_TEST(time_pause,
    .name = "time-pause",
    .description = "reference time while the qtest stops and continues",
    .setup = pause_setup,
    .cpu_fn = pause_cpu,
);

/*
 * time-ref-partition (2 CPUs): the reference time is partition-wide.
 * With the TSC page enabled, CPU 1 moves its own TSC 2^40 ticks ahead
 * (WRMSR IA32_TSC, as a guest that resynchronizes TSCs may do); KVM
 * computes TIME_REF_COUNT from vCPU 0's TSC for every vCPU, so neither
 * CPU's TIME_REF_COUNT jumps.
 *
 *   cpuN.ref_part.before     TIME_REF_COUNT before CPU 1's WRMSR
 *   cpuN.ref_part.after      TIME_REF_COUNT after it; fault of CPU 1's
 *                            WRMSR IA32_TSC (CPU 1 only)
 */
#define MSR_IA32_TSC    0x10

static HvTscPage *ref_part_page;

static void ref_part_setup(void)
{
    ref_part_page = alloc_pages(1);
    record(tsc_page_enable(ref_part_page), 0, NULL, "ref_part.enable");
}

static void ref_part_cpu(unsigned int cpu)
{
    uint64_t v[2];

    smp_barrier();
    v[0] = ref_time_msr();
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.ref_part.before", cpu);
    smp_barrier();
    v[1] = HV_GUEST_FAULT_NONE;
    if (cpu == 1) {
        v[1] = wrmsr_safe(MSR_IA32_TSC, rdtsc() + (1ull << 40));
    }
    smp_barrier();
    v[0] = ref_time_msr();
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.ref_part.after", cpu);
}

GUEST_TEST(time_ref_partition,
    .name = "time-ref-partition",
    .description = "TIME_REF_COUNT does not follow a VP's own TSC",
    .setup = ref_part_setup,
    .cpu_fn = ref_part_cpu,
);
