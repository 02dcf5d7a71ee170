/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-reenlightenment-test.c: a guest that asked to be told
 * about TSC frequency changes (HV_X64_MSR_REENLIGHTENMENT_CONTROL) and,
 * optionally, to have the old frequency emulated until it has switched
 * its clocks (HV_X64_MSR_TSC_EMULATION_CONTROL) is migrated to a VM whose
 * TSC runs at another rate.  TLFS "Timers": reenlightenment.
 *
 * Command line: emulate=0|1 (TSC emulation), notify=0|1 (the interrupt).
 *
 *   mailbox                 GPA of the word the qtest sets after migrating
 *   before.freq             TSC_FREQUENCY; TSC rate measured against
 *                           the reference time (Hz)
 *   after.irq               reenlightenment interrupts taken on CPU 1;
 *                           the vector seen
 *   after.status            TSC_EMULATION_STATUS; TSC_FREQUENCY
 *   after.rate              measured TSC rate (Hz) before acknowledging
 *   acked.status            TSC_EMULATION_STATUS after writing 0
 *   acked.rate              measured TSC rate (Hz) after that
 *   time                    backwards steps of the TSC-page time seen
 *                           over the whole test; page sequence before,
 *                           after migration, after the acknowledgement
 *
 * reenlightenment-reset (one CPU): TSC emulation on, the qtest migrates
 * the guest to another rate and then resets it; the guest boots again
 * with the same command line, and the partition must start afresh.
 *
 *   boot.freq               TSC_FREQUENCY; measured TSC rate (Hz);
 *                           TSC_EMULATION_STATUS, at boot
 *   mailbox                 as above; RE_GO after the migration, then
 *                           RE_DONE to finish
 *   after.status            TSC_EMULATION_STATUS; TSC_FREQUENCY; measured
 *                           TSC rate (Hz), after RE_GO
 */
#include "hv-time.h"

#define RE_VECTOR           0xd2
#define RE_TARGET_VP        1ull
#define RE_ENABLE           (1ull << 16)
#define RE_GO               1
#define RE_DONE             2

static HvTscPage *re_page;
static volatile uint32_t re_mailbox;
static volatile uint32_t re_irq_count;
static volatile uint32_t re_irq_vector;
static TimeTrack re_track;

static void re_handler(GuestIrqFrame *frame)
{
    re_irq_count++;
    re_irq_vector = frame->vector;
}

/*
 * The TSC and the reference time MSR at one moment: the MSR read between
 * two RDTSCs, the tightest pair of 10 tries.  The MSR read leaves the
 * vCPU loop and may wait for QEMU's lock; a loaded host preempting the
 * vCPU there must not count as TSC ticks or reference time.
 */
static void re_clocks(uint64_t *tsc, uint64_t *ref)
{
    uint64_t best = UINT64_MAX;
    unsigned int i;

    for (i = 0; i < 10; i++) {
        uint64_t t1 = rdtsc_ordered();
        uint64_t r = ref_time_msr();
        uint64_t t2 = rdtsc_ordered();

        if (t2 - t1 < best) {
            best = t2 - t1;
            *tsc = t1 + (t2 - t1) / 2;
            *ref = r;
        }
    }
}

/* The guest TSC rate, Hz, measured over 50 ms of reference time */
static uint64_t re_tsc_hz(void)
{
    uint64_t t0, r0, t1, r1;

    re_clocks(&t0, &r0);
    ref_delay_ms(50);
    re_clocks(&t1, &r1);
    return (t1 - t0) * HV_REF_TIME_HZ / (r1 - r0);
}

static void re_sample(void)
{
    uint64_t t;

    if (tsc_page_read(re_page, &t, NULL, NULL)) {
        time_track(&re_track, t);
    }
}

static void re_setup(void)
{
    irq_set_handler(RE_VECTOR, re_handler, 0);
}

static void re_cpu(unsigned int cpu)
{
    uint64_t v[4];
    uint32_t seq0, seq1;

    if (cpu != 0) {
        /* The target VP takes the interrupt */
        irq_enable();
        while (re_mailbox != RE_GO) {
            cpu_relax();
        }
        irq_disable();
        return;
    }

    wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_LINUX);
    re_page = alloc_pages(1);
    if (tsc_page_enable(re_page) != HV_GUEST_FAULT_NONE) {
        guest_fail("cannot enable the TSC page");
    }
    v[0] = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    v[1] = re_tsc_hz();
    record(HV_GUEST_FAULT_NONE, 2, v, "before.freq");

    if (cmdline_get_u64("notify", 1)) {
        wrmsr(HV_X64_MSR_REENLIGHTENMENT_CONTROL,
              RE_VECTOR | RE_ENABLE | RE_TARGET_VP << 32);
    }
    wrmsr(HV_X64_MSR_TSC_EMULATION_CONTROL,
          cmdline_get_u64("emulate", 1) ? 1 : 0);
    seq0 = re_page->tsc_sequence;

    mailbox_announce(&re_mailbox, "mailbox");
    while (re_mailbox != RE_GO) {
        re_sample();
    }
    /* Give the interrupt time to arrive on CPU 1 */
    ref_delay_ms(20);
    re_sample();
    seq1 = re_page->tsc_sequence;

    v[0] = re_irq_count;
    v[1] = re_irq_vector;
    record(HV_GUEST_FAULT_NONE, 2, v, "after.irq");
    v[0] = rdmsr(HV_X64_MSR_TSC_EMULATION_STATUS);
    v[1] = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    record(HV_GUEST_FAULT_NONE, 2, v, "after.status");
    v[0] = re_tsc_hz();
    record(HV_GUEST_FAULT_NONE, 1, v, "after.rate");
    re_sample();

    /* The guest has recalibrated: acknowledge */
    wrmsr(HV_X64_MSR_TSC_EMULATION_STATUS, 0);
    re_sample();
    v[0] = rdmsr(HV_X64_MSR_TSC_EMULATION_STATUS);
    record(HV_GUEST_FAULT_NONE, 1, v, "acked.status");
    v[0] = re_tsc_hz();
    record(HV_GUEST_FAULT_NONE, 1, v, "acked.rate");
    re_sample();

    v[0] = re_track.backwards;
    v[1] = seq0;
    v[2] = seq1;
    v[3] = re_page->tsc_sequence;
    record(HV_GUEST_FAULT_NONE, 4, v, "time");
}

GUEST_TEST(reenlightenment,
    .name = "reenlightenment",
    .description = "TSC frequency change: notification, TSC emulation",
    .setup = re_setup,
    .cpu_fn = re_cpu,
);

static void re_reset_setup(void)
{
    uint64_t v[3];

    wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_LINUX);
    v[0] = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    v[1] = re_tsc_hz();
    v[2] = rdmsr(HV_X64_MSR_TSC_EMULATION_STATUS);
    record(HV_GUEST_FAULT_NONE, 3, v, "boot.freq");

    /* Told on VP 0, with interrupts off: the interrupt stays pending */
    irq_set_handler(RE_VECTOR, re_handler, 0);
    wrmsr(HV_X64_MSR_REENLIGHTENMENT_CONTROL, RE_VECTOR | RE_ENABLE);
    wrmsr(HV_X64_MSR_TSC_EMULATION_CONTROL, 1);

    mailbox_announce(&re_mailbox, "mailbox");
    while (re_mailbox < RE_GO) {
        cpu_relax();
    }
    v[0] = rdmsr(HV_X64_MSR_TSC_EMULATION_STATUS);
    v[1] = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    v[2] = re_tsc_hz();
    record(HV_GUEST_FAULT_NONE, 3, v, "after.status");
    /* The first boot ends in the qtest's reset */
    while (re_mailbox < RE_DONE) {
        cpu_relax();
    }
}

GUEST_TEST(reenlightenment_reset,
    .name = "reenlightenment-reset",
    .description = "a reset ends TSC emulation: the TSC runs at its MSR",
    .setup = re_reset_setup,
);
