/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the TCG backend's Hyper-V state across migration and
 * savevm/loadvm ("hyperv-tcg-partition" and "cpu/hyperv-tcg-vp").
 *
 * The guest (guest/tests-migration.c, test "migration") sets the guest
 * OS ID, enables the hypercall page and the TSC page and writes the crash
 * parameters, then samples the reference time on every vCPU until the
 * qtest writes MIG_GO into its mailbox.  Everything the guest records
 * afterwards is compared with what it recorded before the event, or with
 * the TLFS.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "hv-harness.h"

#define MIG_CPU     "qemu64,hv-vpindex,hv-time,hv-frequencies,hv-crash," \
                    "hv-runtime,hv-spinlocks=0x1fff"
#define MIG_SMP     2

/* guest/tests-migration.c */
#define MIG_GUEST_OS_ID         0x8100000000001234ull
#define MIG_CRASH_P(n)          (0x1111111111111111ull * ((n) + 1))
#define MIG_HCPAGE_FILL         0xcc
#define MIG_GO                  1
#define MIG_CHANGE              2

/* TLFS */
#define HV_X64_MSR_GUEST_OS_ID          0x40000000
#define HV_X64_MSR_HYPERCALL            0x40000001
#define HV_X64_MSR_REFERENCE_TSC        0x40000021
#define HV_X64_MSR_CRASH_P0             0x40000100
#define HV_STATUS_SUCCESS               0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define REF_HZ                          10000000ull
/* Femtoseconds per reference time unit (100 ns) */
#define FS_PER_REF                      100000000.0

/* Rates must match within 0.1 % */
#define RATE_TOLERANCE                  0.001
/*
 * The TSC and the HPET may disagree by this much (100 ns units) over an
 * interval, e.g. the one across the migration: 100 us
 */
#define TSC_HPET_SLACK                  1000

/*
 * A migration case: TSC page on or off; the guest TSC rate (x-hv-tsc-hz)
 * on the source and on the destination, 0 for the host's.
 */
typedef struct MigCase {
    const char *name;
    bool tsc_page;
    uint64_t src_tsc_hz;
    uint64_t dst_tsc_hz;
} MigCase;

static const MigCase mig_cases[] = {
    { "file", true, 0, 0 },
    { "file-no-tsc-page", false, 0, 0 },
    /* No reenlightenment: the destination's rate applies at once */
    { "tsc-rate-change", true, 2000000000, 3000000000 },
};

static const uint32_t mig_msrs[] = {
    HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL, HV_X64_MSR_REFERENCE_TSC,
    HV_X64_MSR_CRASH_P0, HV_X64_MSR_CRASH_P0 + 1, HV_X64_MSR_CRASH_P0 + 2,
    HV_X64_MSR_CRASH_P0 + 3, HV_X64_MSR_CRASH_P0 + 4,
};

/* Short name for hv_guest_good_record(), used throughout */
#define rec hv_guest_good_record

static char *mig_cpu(uint64_t tsc_hz)
{
    return tsc_hz ? g_strdup_printf("%s,x-hv-tsc-hz=%" PRIu64, MIG_CPU,
                                    tsc_hz)
                  : g_strdup(MIG_CPU);
}

/* Boots the guest and waits until every vCPU samples the time */
static HvGuest *mig_launch(uint64_t *mailbox, const char *guest_args,
                           uint64_t tsc_hz)
{
    g_autofree char *cpu_opts = mig_cpu(tsc_hz);
    HvGuestOptions opts = {
        .cpu = cpu_opts,
        .smp = MIG_SMP,
        .test = "migration",
        .guest_args = guest_args,
    };
    HvGuest *g = hv_guest_launch(&opts);
    int cpu;

    *mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    for (cpu = 0; cpu < MIG_SMP; cpu++) {
        hv_guest_wait_record(g, "cpu%d.ready", cpu);
    }
    /* Let them take samples before the event */
    g_usleep(200 * 1000);
    return g;
}

static void check_ratio(HvGuest *g, const char *name, double measured,
                        double expected, const char *what)
{
    double err = measured / expected - 1.0;

    g_test_message("%s: %s %.1f, expected %.1f (%+.4f %%)", name, what,
                   measured, expected, err * 100);
    if (fabs(err) > RATE_TOLERANCE) {
        hv_fail(g, "record %s: %s is %.1f, expected %.1f +- %.2f %% "
                "(off by %+.4f %%)", name, what, measured, expected,
                RATE_TOLERANCE * 100, err * 100);
    }
}

/*
 * The reference time advances at 10 MHz against the TSC at @tsc_hz
 * (TSC_FREQUENCY) and against the HPET.
 */
static void check_rate(HvGuest *g, const char *name, uint64_t tsc_hz,
                       uint64_t hpet_fs)
{
    const HvGuestRecord *r = rec(g, "%s", name);
    uint64_t dtsc = r->values[0], dref = r->values[1];
    uint64_t dhpet = r->values[2];

    if (!dtsc || !dref || !dhpet || !tsc_hz) {
        hv_fail(g, "record %s: TSC, reference time or HPET did not advance",
                name);
        return;
    }
    check_ratio(g, name, (double)dref * tsc_hz / dtsc, REF_HZ,
                "reference time per second of TSC_FREQUENCY");
    check_ratio(g, name, (double)dref, (double)dhpet * hpet_fs / FS_PER_REF,
                "reference time over the HPET's");
}

/*
 * TscSequence non-zero, TscScale = 10^7 * 2^64 / TSC_FREQUENCY (+- 1), and
 * TSC_FREQUENCY @tsc_hz unless that is 0.
 */
static void check_tsc_page(HvGuest *g, const char *name, uint64_t tsc_hz)
{
    const HvGuestRecord *r = rec(g, "%s", name);
    uint64_t hz = r->values[3], expected;

    if (tsc_hz) {
        hv_assert_value(g, 3, tsc_hz, "%s", name);
    }

    if (!r->values[0]) {
        hv_fail(g, "record %s: TscSequence is 0", name);
    }
    if (hz <= REF_HZ) {
        hv_fail(g, "record %s: TSC_FREQUENCY %" PRIu64, name, hz);
        return;
    }
    expected = (uint64_t)(((unsigned __int128)REF_HZ << 64) / hz);
    if (r->values[1] + 1 < expected || r->values[1] > expected + 1) {
        hv_fail(g, "record %s: TscScale 0x%" PRIx64 ", expected 0x%" PRIx64
                " for TSC_FREQUENCY %" PRIu64, name, r->values[1],
                expected, hz);
    }
}

/*
 * What must hold after the event.  @max_step_us bounds the step of the
 * reference time between two samples: it cannot exceed the wall time
 * the event took plus some scheduling slack.  @c says whether the guest
 * had the TSC page enabled (else it wrote REFERENCE_TSC 0) and which TSC
 * rates it ran at before and after.
 */
static void check_after(HvGuest *g, uint64_t max_step_us, const MigCase *c)
{
    bool tsc_page = c->tsc_page;
    uint64_t hpet_fs;

    const HvGuestRecord *before, *after, *r;
    unsigned int i, cpu;

    hv_assert_guest_passed(g);
    g_assert_cmpuint(hv_guest_nr_cpus(g), ==, MIG_SMP);

    /* Set-up: the values the guest wrote (TLFS: the MSRs read back) */
    for (i = 0; i < G_N_ELEMENTS(mig_msrs); i++) {
        rec(g, "setup.wrmsr.%08x", mig_msrs[i]);
        rec(g, "before.msr.%08x", mig_msrs[i]);
    }
    hv_assert_value(g, 0, MIG_GUEST_OS_ID, "before.msr.%08x",
                    HV_X64_MSR_GUEST_OS_ID);
    hv_assert_value_masked(g, 0, 0xfff, 1, "before.msr.%08x",
                           HV_X64_MSR_HYPERCALL);
    if (tsc_page) {
        hv_assert_value_masked(g, 0, 0xfff, 1, "before.msr.%08x",
                               HV_X64_MSR_REFERENCE_TSC);
    } else {
        hv_assert_value(g, 0, 0, "before.msr.%08x",
                        HV_X64_MSR_REFERENCE_TSC);
    }
    for (i = 0; i < 5; i++) {
        hv_assert_value(g, 0, MIG_CRASH_P(i), "before.msr.%08x",
                        HV_X64_MSR_CRASH_P0 + i);
    }

    /* Partition-wide MSRs: the same on every vCPU after the event */
    for (cpu = 0; cpu < MIG_SMP; cpu++) {
        for (i = 0; i < G_N_ELEMENTS(mig_msrs); i++) {
            before = rec(g, "before.msr.%08x", mig_msrs[i]);
            rec(g, "cpu%u.after.msr.%08x", cpu, mig_msrs[i]);
            hv_assert_value(g, 0, before->values[0],
                            "cpu%u.after.msr.%08x", cpu, mig_msrs[i]);
        }
    }

    /* Per VP: the index stays, the run time does not go backwards */
    for (cpu = 0; cpu < MIG_SMP; cpu++) {
        before = rec(g, "cpu%u.before.vp", cpu);
        after = rec(g, "cpu%u.after.vp", cpu);
        hv_assert_value(g, 0, cpu, "cpu%u.before.vp", cpu);
        hv_assert_value(g, 0, cpu, "cpu%u.after.vp", cpu);
        g_test_message("cpu%u: VP_RUNTIME %" PRIu64 " -> %" PRIu64, cpu,
                       before->values[1], after->values[1]);
        if (after->values[1] < before->values[1]) {
            hv_fail(g, "cpu%u: VP_RUNTIME went back from %" PRIu64 " to %"
                    PRIu64, cpu, before->values[1], after->values[1]);
        }
    }

    /* The hypercall page: as before, with something the hypervisor put */
    before = rec(g, "before.hcpage");
    after = rec(g, "after.hcpage");
    if (before->values[0] == 0x0101010101010101ull * MIG_HCPAGE_FILL) {
        hv_fail(g, "the hypercall page was not written when enabled");
    }
    hv_assert_value(g, 0, before->values[0], "after.hcpage");
    hv_assert_value(g, 1, before->values[1], "after.hcpage");
    /* and hypercalls through it still work */
    for (i = 0; i < 2; i++) {
        const char *name = i ? "after.hypercall" : "before.hypercall";

        rec(g, "%s", name);
        hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_CODE, "%s", name);
        hv_assert_value(g, 1, HV_STATUS_SUCCESS, "%s", name);
    }

    /* The TSC page and the 10 MHz reference time, before and after */
    hpet_fs = rec(g, "hpet")->values[0];
    if (tsc_page) {
        check_tsc_page(g, "before.tscpage", c->src_tsc_hz);
        check_tsc_page(g, "after.tscpage", c->dst_tsc_hz);
    }
    check_rate(g, "before.rate", rec(g, "before.tscpage")->values[3],
               hpet_fs);
    check_rate(g, "after.rate", rec(g, "after.tscpage")->values[3],
               hpet_fs);

    /* The reference time never went backwards, on any vCPU or across */
    for (cpu = 0; cpu < MIG_SMP; cpu++) {
        const HvGuestRecord *page = rec(g, "cpu%u.time.page", cpu);
        const HvGuestRecord *msr = rec(g, "cpu%u.time.msr", cpu);

        g_test_message("cpu%u: %" PRIu64 " page samples, largest step %"
                       PRIu64 " (page), %" PRIu64 " (MSR) x 100 ns", cpu,
                       page->values[0], page->values[3], msr->values[3]);
        if ((tsc_page && !page->values[0]) || !msr->values[0]) {
            hv_fail(g, "cpu%u took no time samples", cpu);
        }
        hv_assert_value(g, 1, 0, "cpu%u.time.page", cpu);
        hv_assert_value(g, 1, 0, "cpu%u.time.msr", cpu);
        /* Nor did the TSC the reference time is built on */
        r = rec(g, "cpu%u.time.tsc", cpu);
        g_test_message("cpu%u: TSC backwards %" PRIu64 " times, by up to %"
                       PRIu64 "; largest step %" PRIu64, cpu, r->values[1],
                       r->values[2], r->values[3]);
        hv_assert_value(g, 1, 0, "cpu%u.time.tsc", cpu);
        /* The page is never invalid while the guest can see it */
        hv_assert_value(g, 0, 0, "cpu%u.time.invalid", cpu);
        if (page->values[3] > max_step_us * 10 ||
            msr->values[3] > max_step_us * 10) {
            hv_fail(g, "cpu%u: the reference time jumped by %" PRIu64
                    " (page) / %" PRIu64 " (MSR) x 100 ns, more than the "
                    "%" PRIu64 " us the event took", cpu, page->values[3],
                    msr->values[3], max_step_us);
        }
    }
    rec(g, "time.cross");
    hv_assert_value(g, 0, 0, "time.cross");
    hv_assert_value(g, 2, 0, "time.cross");

    /*
     * The TSC, on which the TSC page builds the reference time, keeps in
     * step with the rest of the machine's clocks (here the HPET): both
     * stop with the VM and go on from where they stopped.
     */
    if (tsc_page) {
        r = rec(g, "cpu0.time.tsc_hpet");
        g_test_message("cpu0: TSC vs HPET over %" PRIu64 " intervals: "
                       "at most %" PRIu64 " ahead, %" PRIu64 " behind "
                       "(x 100 ns)", r->values[0], r->values[1],
                       r->values[2]);
        if (!r->values[0]) {
            hv_fail(g, "cpu0 never compared the TSC with the HPET");
        }
        if (r->values[1] > TSC_HPET_SLACK || r->values[2] > TSC_HPET_SLACK) {
            hv_fail(g, "the guest TSC and the HPET disagree: the TSC got "
                    "%" PRIu64 " x 100 ns ahead, %" PRIu64 " behind, at "
                    "most %d allowed", r->values[1], r->values[2],
                    TSC_HPET_SLACK);
        }
    }
}

/*
 * Slack for a vCPU thread that the host did not run for a while (steps
 * of ~100 ms show up when several tests share two host CPUs).  What the
 * bound is for: a destination whose reference time does not continue
 * the source's, off by seconds or more.
 */
#define SCHED_SLACK_US      (1000 * 1000)

static void test_migrate_file(const void *data)
{
    const MigCase *c = data;
    g_autoptr(HvGuest) g = NULL;
    g_autofree char *dst_args = NULL;
    uint64_t mailbox;
    gint64 t0, t1;

    g = mig_launch(&mailbox, c->tsc_page ? NULL : "tscpage=0",
                   c->src_tsc_hz);
    if (c->dst_tsc_hz != c->src_tsc_hz) {
        g_autofree char *cpu_opts = mig_cpu(c->dst_tsc_hz);

        dst_args = g_strdup_printf("-cpu %s", cpu_opts);
    }
    t0 = g_get_monotonic_time();
    hv_guest_migrate_args(g, dst_args);
    t1 = g_get_monotonic_time();
    g_test_message("migration took %" PRId64 " us", t1 - t0);

    /* Let the vCPUs sample the time on the destination too */
    g_usleep(200 * 1000);
    qtest_writel(hv_guest_qts(g), mailbox, MIG_GO);
    hv_guest_wait(g);
    check_after(g, t1 - t0 + SCHED_SLACK_US, c);
}

/*
 * savevm, then the guest changes every MSR the test checks (and disables
 * the hypercall and TSC pages), then loadvm: the state must be the saved
 * one again, and the guest, back at the saved point, must see its time
 * go on.
 */
static void test_savevm_loadvm(void)
{
    g_autoptr(HvGuest) g = NULL;
    uint64_t mailbox;
    gint64 t0, t1;

    g = mig_launch(&mailbox, NULL, 0);
    t0 = g_get_monotonic_time();
    if (!hv_guest_snapshot_save(g, "hv-test")) {
        g_test_skip("QEMU cannot create a qcow2 image for snapshots");
        return;
    }
    g_usleep(100 * 1000);
    qtest_writel(hv_guest_qts(g), mailbox, MIG_CHANGE);
    if (hv_guest_wait_record(g, "changed")->values[0]) {
        hv_fail(g, "the guest could not change the Hyper-V MSRs");
    }
    hv_guest_snapshot_load(g, "hv-test");
    t1 = g_get_monotonic_time();
    g_test_message("savevm to loadvm took %" PRId64 " us", t1 - t0);

    g_usleep(200 * 1000);
    qtest_writel(hv_guest_qts(g), mailbox, MIG_GO);
    hv_guest_wait(g);
    /* The change went with the state it was made in */
    g_assert_cmpuint(hv_guest_count(g, "changed"), ==, 0);
    check_after(g, t1 - t0 + SCHED_SLACK_US, &mig_cases[0]);
}

/*
 * A TSC page enabled at A, disabled (A keeps its sequence), migrated,
 * enabled at A again: it must show a new sequence, or a guest in the
 * middle of reading A would take old and new values for consistent.
 * (KVM continues from the sequence in the page; see
 * kvm_hv_setup_tsc_page().)
 */
static void test_tsc_sequence(void)
{
    HvGuestOptions opts = {
        .cpu = MIG_CPU,
        .smp = 1,
        .test = "migration-tsc-seq",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    const HvGuestRecord *r;
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    hv_guest_migrate(g);
    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);

    rec(g, "seq.enabled");
    rec(g, "seq.disabled");
    hv_assert_value(g, 0, rec(g, "seq.enabled")->values[0], "seq.disabled");
    r = rec(g, "seq.reenabled");
    g_test_message("TscSequence %" PRIu64 " before migration, %" PRIu64
                   " when enabled again after it", r->values[0],
                   r->values[1]);
    if (!r->values[1] || r->values[1] == r->values[0]) {
        hv_fail(g, "enabling the TSC page again after migration left "
                "TscSequence at %" PRIu64 " (it was %" PRIu64 ")",
                r->values[1], r->values[0]);
    }
}

/*
 * hv-invtsc: CPUID 0x80000007.EDX[8] is hidden until the guest sets
 * HV_X64_MSR_TSC_INVARIANT_CONTROL (only bit 0 exists, and it is not
 * cleared again: KVM's rules), and both survive a migration.  TCG filters
 * "invtsc" otherwise; with hv-invtsc its TSC counts as invariant.
 */
static void test_invtsc(void)
{
    HvGuestOptions opts = {
        .cpu = MIG_CPU ",hv-invtsc",
        .smp = 1,
        .test = "migration-invtsc",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    hv_guest_migrate(g);
    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);

    /* HV_ACCESS_TSC_INVARIANT; the invariant TSC bit still hidden */
    hv_assert_value_masked(g, 0, 1u << 15, 1u << 15, "invtsc.cpuid");
    hv_assert_value_masked(g, 1, 1u << 8, 0, "invtsc.cpuid");
    hv_assert_no_fault(g, "invtsc.rd0");
    hv_assert_value(g, 0, 0, "invtsc.rd0");
    hv_assert_fault(g, 13, "invtsc.wr2");
    hv_assert_fault(g, 13, "invtsc.wr_high");
    hv_assert_no_fault(g, "invtsc.wr1");
    hv_assert_value(g, 0, 1, "invtsc.wr1");
    hv_assert_value_masked(g, 1, 1u << 8, 1u << 8, "invtsc.wr1");
    hv_assert_fault(g, 13, "invtsc.clear");
    hv_assert_value(g, 0, 1, "invtsc.clear");
    /* The destination goes on where the source was */
    hv_assert_value(g, 0, 1, "invtsc.after");
    hv_assert_value(g, 1, HV_GUEST_FAULT_NONE, "invtsc.after");
    hv_assert_value_masked(g, 2, 1u << 8, 1u << 8, "invtsc.after");
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);

    for (i = 0; i < G_N_ELEMENTS(mig_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/migration/%s", mig_cases[i].name);

        qtest_add_data_func(path, &mig_cases[i], test_migrate_file);
    }
    qtest_add_func("/hyperv/migration/tsc-sequence", test_tsc_sequence);
    qtest_add_func("/hyperv/migration/savevm-loadvm", test_savevm_loadvm);
    qtest_add_func("/hyperv/migration/invtsc", test_invtsc);

    return g_test_run();
}
