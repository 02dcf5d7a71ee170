/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the partition reference time under TCG (TLFS 12.7):
 * HV_X64_MSR_TIME_REF_COUNT and the reference TSC page, on several vCPUs,
 * across moves of the page and while the VM is stopped.
 *
 * The guest side is guest/tests-time.c; what each record holds is
 * documented there.  Expectations come from the TLFS (100 ns units, the
 * page formula, sequence 0 = invalid) or from values the guest saw
 * earlier, never from the implementation under test.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qobject/qdict.h"
#include "hv-harness.h"

#define TIME_CPU        "qemu64,hv-vpindex,hv-time,hv-frequencies"

/* Reference time units: 100 ns */
#define REF_HZ          10000000ull
#define REF_PER_MS      (REF_HZ / 1000)

/* The TSC page and the MSR must agree within 1 us */
#define PAGE_MSR_SLACK  10
/* Rates must match within 0.1 % */
#define RATE_TOLERANCE  0.001

/* Femtoseconds per reference time unit */
#define FS_PER_REF      100000000.0

/* guest/tests-time.c: where it puts the TSC page that is not RAM */
#define NOT_RAM_GPA     0x10000000ull

/* Short name for hv_guest_good_record(), used throughout */
#define rec hv_guest_good_record

static void check_le(HvGuest *g, const HvGuestRecord *r, int idx,
                     uint64_t max, const char *what)
{
    if (r->values[idx] > max) {
        hv_fail(g, "record %s: %s is %" PRIu64 ", at most %" PRIu64
                " allowed", r->name, what, r->values[idx], max);
    }
}

static void check_ge(HvGuest *g, const HvGuestRecord *r, int idx,
                     uint64_t min, const char *what)
{
    if (r->values[idx] < min) {
        hv_fail(g, "record %s: %s is %" PRIu64 ", at least %" PRIu64
                " expected", r->name, what, r->values[idx], min);
    }
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
 * The enable record: no fault, and the MSR reads back the GPA with the
 * enable bit (bits 11:1 are reserved, i.e. 0).
 */
static void check_enable(HvGuest *g, const char *name)
{
    const HvGuestRecord *r = rec(g, "%s", name);

    if (r && r->values[0] != (r->values[1] | 1)) {
        hv_fail(g, "record %s: REFERENCE_TSC reads 0x%" PRIx64 " after "
                "writing 0x%" PRIx64, name, r->values[0], r->values[1] | 1);
    }
}

/*
 * Two vCPUs read the time from the page and the MSR in turn for a second
 * of reference time: the two sources agree, neither goes backwards on a
 * CPU, and neither goes backwards from one CPU to the other.
 */
static void test_consistency(void)
{
    g_autoptr(HvGuest) g = hv_guest_start(TIME_CPU, 2, "time-consistency",
                                          "duration_ms=1000");
    const HvGuestRecord *r;
    unsigned int cpu;

    hv_assert_guest_passed(g);
    check_enable(g, "tsc_page.enable");
    for (cpu = 0; cpu < 2; cpu++) {
        r = rec(g, "cpu%u.time.samples", cpu);
        g_test_message("cpu%u: %" PRIu64 " page samples, %" PRIu64
                       " MSR samples over %" PRIu64 " x 100 ns, %" PRIu64
                       " sequence retries", cpu, r->values[0], r->values[1],
                       r->values[2], r->values[3]);
        check_ge(g, r, 2, REF_HZ, "reference time elapsed");
        check_ge(g, r, 0, 1000, "page samples");

        /* p1 <= m: an MSR read after the page is never earlier */
        hv_assert_value(g, 0, 0, "cpu%u.time.page_vs_msr", cpu);
        /* m <= p2 + 1 us */
        r = rec(g, "cpu%u.time.page_vs_msr", cpu);
        check_le(g, r, 3, PAGE_MSR_SLACK, "max (MSR - page read after it)");

        r = rec(g, "cpu%u.time.latency", cpu);
        g_test_message("cpu%u: max (MSR - page read before it) %" PRIu64
                       " x 100 ns, %" PRIu64 " MSR reads after page",
                       cpu, r->values[0], r->values[1]);
        /* The page is valid all along: sequence never 0 nor changed */
        hv_assert_value(g, 1, 0, "cpu%u.time.latency", cpu);
        if (!r->values[2]) {
            hv_fail(g, "cpu%u never saw a non-zero TscSequence", cpu);
        }
        hv_assert_value(g, 3, 0, "cpu%u.time.latency", cpu);

        hv_assert_value(g, 0, 0, "cpu%u.time.page_mono", cpu);
        hv_assert_value(g, 0, 0, "cpu%u.time.msr_mono", cpu);
    }
    /* Page and MSR: no backwards step from one CPU to the other */
    hv_assert_value(g, 0, 0, "time.cross");
    hv_assert_value(g, 2, 0, "time.cross");
}

/*
 * A rate.* record: the reference time advanced at 10 MHz, against the TSC
 * at @tsc_hz (TSC_FREQUENCY) and against the HPET.
 */
static void check_rate(HvGuest *g, const char *name, uint64_t tsc_hz,
                       uint64_t hpet_fs)
{
    const HvGuestRecord *r = rec(g, "%s", name);
    uint64_t dtsc = r->values[0], dref = r->values[1];
    uint64_t dhpet = r->values[2];

    if (!dtsc || !dref || !dhpet) {
        hv_fail(g, "record %s: TSC, reference time or HPET did not advance",
                name);
        return;
    }
    check_ratio(g, name, (double)dref * tsc_hz / dtsc, REF_HZ,
                "reference time per second of TSC_FREQUENCY");
    check_ratio(g, name, (double)dref, (double)dhpet * hpet_fs / FS_PER_REF,
                "reference time over the HPET's");
}

/* A tsc-page-params case: the guest TSC at the host's rate or @tsc_hz */
typedef struct ParamsCase {
    const char *name;
    uint64_t tsc_hz;            /* x-hv-tsc-hz; 0: the host's rate */
} ParamsCase;

static const ParamsCase params_cases[] = {
    { "host-rate", 0 },
    { "1GHz", 1000000000 },
    /*
     * Below 10 MHz TscScale would be >= 1.0, which the page cannot hold:
     * the page must stay invalid (sequence 0) and the MSR take over.
     */
    { "5MHz", 5000000 },
};

/*
 * With a known TSC rate (above 10 MHz) the page is valid and its scale is
 * 10^7 * 2^64 / TSC_FREQUENCY; with the page off and on, the reference
 * time advances at 10 MHz against the TSC at TSC_FREQUENCY and against
 * the HPET; TSC_FREQUENCY is @want_tsc_hz unless that is 0.
 */
static void check_tsc_page_params(HvGuest *g, uint64_t want_tsc_hz)
{
    const HvGuestRecord *r;
    uint64_t tsc_hz, hpet_fs, scale, expected;

    hv_assert_guest_passed(g);

    /* Counted from partition creation: a few seconds at most by now */
    r = rec(g, "ref_time.start");
    g_test_message("reference time at the start: %" PRIu64 " x 100 ns",
                   r->values[0]);
    check_ge(g, r, 0, 1, "reference time");
    check_le(g, r, 0, 60 * REF_HZ, "reference time");

    r = rec(g, "tsc_freq");
    tsc_hz = r->values[0];
    g_test_message("TSC_FREQUENCY %" PRIu64 " Hz", tsc_hz);
    if (want_tsc_hz) {
        hv_assert_value(g, 0, want_tsc_hz, "tsc_freq");
    }
    check_ge(g, r, 0, 1, "TSC_FREQUENCY");
    hpet_fs = rec(g, "hpet")->values[0];
    g_assert_cmpuint(hpet_fs, >, 0);

    check_rate(g, "rate.clock", tsc_hz, hpet_fs);

    check_enable(g, "tsc_page.enable");
    r = rec(g, "tsc_page.params");
    if (tsc_hz <= REF_HZ) {
        /* The scale must be < 1.0: not with a TSC this slow */
        hv_assert_value(g, 0, 0, "tsc_page.params");
    } else {
        if (!r->values[0]) {
            hv_fail(g, "TscSequence is 0 with a known TSC frequency");
        }
        scale = r->values[1];
        expected = (uint64_t)(((unsigned __int128)REF_HZ << 64) / tsc_hz);
        g_test_message("TscScale 0x%" PRIx64 ", 10^7 * 2^64 / %" PRIu64
                       " = 0x%" PRIx64, scale, tsc_hz, expected);
        if (scale + 1 < expected || scale > expected + 1) {
            hv_fail(g, "TscScale 0x%" PRIx64 ", expected 0x%" PRIx64
                    " (10^7 * 2^64 / TSC_FREQUENCY %" PRIu64 ") +- 1",
                    scale, expected, tsc_hz);
        }
    }

    check_rate(g, "rate.msr", tsc_hz, hpet_fs);
    check_rate(g, "rate.page", tsc_hz, hpet_fs);
}

static void test_tsc_page_params(const void *data)
{
    const ParamsCase *c = data;
    g_autofree char *cpu = c->tsc_hz ?
        g_strdup_printf("%s,x-hv-tsc-hz=%" PRIu64, TIME_CPU, c->tsc_hz) :
        g_strdup(TIME_CPU);
    HvGuestOptions opts = {
        .cpu = cpu,
        .smp = 1,
        .test = "tsc-page-params",
        .guest_args = "rate_ms=200",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);

    check_tsc_page_params(g, c->tsc_hz);
}

/*
 * With -icount the TSC and QEMU's virtual clock count executed
 * instructions, not host time; the reference time must still be 10 MHz
 * of that time, and reading it must work.  (Last: a QEMU that exits
 * ends the whole test program.)
 */
static void test_icount(void)
{
    HvGuestOptions opts = {
        .cpu = TIME_CPU,
        .smp = 1,
        .test = "tsc-page-params",
        .guest_args = "rate_ms=100",
        .qemu_args = "-icount shift=auto",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);

    check_tsc_page_params(g, 0);
}

/*
 * Enabling, disabling and moving the page, reserved bits and a page that
 * is not RAM: the time never goes backwards, an old page is left alone,
 * and the MSR keeps working when the page cannot.
 */
static void check_page_enabled(HvGuest *g, const char *name)
{
    const HvGuestRecord *r = rec(g, "%s", name);

    /* Enable bit set, reserved bits 11:1 clear */
    hv_assert_value_masked(g, 0, 0xfff, 1, "%s", name);
    if (!r->values[1]) {
        hv_fail(g, "record %s: TscSequence 0 after enabling the page in "
                "RAM", name);
    }
}

static void test_tsc_page_move(void)
{
    g_autoptr(HvGuest) g = hv_guest_start(TIME_CPU, 1, "tsc-page-move",
                                          NULL);
    static const unsigned int rsvd_bits[] = { 1, 2, 11 };
    const HvGuestRecord *a, *b, *r;
    unsigned int i;

    hv_assert_guest_passed(g);

    check_page_enabled(g, "move.enable_a");
    a = rec(g, "move.enable_a");

    /*
     * Reserved bits 11:1 are RsvdP: KVM stores them and keeps the page
     * where it is, valid (a new sequence); no other page is written
     */
    for (i = 0; i < G_N_ELEMENTS(rsvd_bits); i++) {
        r = rec(g, "move.rsvd.%u", rsvd_bits[i]);
        hv_assert_no_fault(g, "move.rsvd.%u", rsvd_bits[i]);
        hv_assert_value(g, 0, a->values[0] | 1ull << rsvd_bits[i],
                        "move.rsvd.%u", rsvd_bits[i]);
        if (!r->values[1] || r->values[1] == 0xffffffff) {
            hv_fail(g, "move.rsvd.%u: page A's sequence is %" PRIu64,
                    rsvd_bits[i], r->values[1]);
        }
        hv_assert_value(g, 2, 0, "move.rsvd.%u", rsvd_bits[i]);
    }

    /* Disabled: the MSR reads 0 and the time goes on from the MSR */
    rec(g, "move.disable");
    hv_assert_value(g, 0, 0, "move.disable");
    r = rec(g, "move.disabled");
    if (r->values[1] < r->values[0] + 10 * REF_PER_MS) {
        hv_fail(g, "TIME_REF_COUNT went from %" PRIu64 " to %" PRIu64
                " in 10 ms with the page disabled", r->values[0],
                r->values[1]);
    }

    check_page_enabled(g, "move.enable_b");
    b = rec(g, "move.enable_b");
    if (b->values[0] == a->values[0]) {
        hv_fail(g, "REFERENCE_TSC reads the same for pages A and B");
    }

    /* Rewriting the page: a guest in the middle of a read must retry */
    r = rec(g, "move.rewrite_b");
    if (!r->values[1] || r->values[1] == r->values[0]) {
        hv_fail(g, "TscSequence %" PRIu64 " -> %" PRIu64 " when the page "
                "was enabled again", r->values[0], r->values[1]);
    }

    /* A page the guest gave up is no longer written */
    hv_assert_value(g, 0, 0, "move.old_page");

    r = rec(g, "move.enable_a_again");
    if (!r->values[1] || r->values[1] == r->values[0]) {
        hv_fail(g, "TscSequence %" PRIu64 " -> %" PRIu64 " when page A was "
                "enabled again", r->values[0], r->values[1]);
    }

    /*
     * Not RAM: no #GP (as KVM: the TLFS gives no error for it), the MSR
     * keeps the value, and TIME_REF_COUNT keeps counting.
     */
    r = rec(g, "move.not_ram");
    hv_assert_value(g, 0, NOT_RAM_GPA | 1, "move.not_ram");
    if (r->values[2] < r->values[1] + 10 * REF_PER_MS) {
        hv_fail(g, "TIME_REF_COUNT went from %" PRIu64 " to %" PRIu64
                " in 10 ms with the page outside RAM", r->values[1],
                r->values[2]);
    }

    check_page_enabled(g, "move.enable_c");

    r = rec(g, "move.mono");
    g_test_message("%" PRIu64 " time samples", r->values[2]);
    hv_assert_value(g, 0, 0, "move.mono");
}

/*
 * QMP stop, 300 ms, cont: the reference time of a stopped VM stands
 * still.  Each vCPU measures the reference time from its last sample
 * before the pause to its first after it, both taken between the
 * qtest's write of PAUSE_STOPPING and its seeing cpuN.pause.resumed;
 * that interval held the whole pause, so the guest's measure can be at
 * most the wall time of the interval less the pause (plus the 0.1 % the
 * TSC frequency may be off).  Besides, no step between two samples may
 * come near the pause, and no step goes backwards.
 */
#define PAUSE_MS            300
#define PAUSE_MAX_STEP_MS   (PAUSE_MS / 2)

/* guest/tests-time.c */
enum {
    PAUSE_STOPPING = 1,
    PAUSE_RESUMED = 2,
    PAUSE_DONE = 3,
};

/*
 * TIME_REF_COUNT is the partition's: a VP that moved its own TSC 2^40
 * ticks (minutes at any TSC rate) reads the same time as the others
 * (KVM's get_time_ref_counter() uses vCPU 0's TSC for all)
 */
static void test_ref_partition(void)
{
    g_autoptr(HvGuest) g = hv_guest_start(TIME_CPU, 2, "time-ref-partition",
                                          NULL);
    uint64_t after[2];
    int cpu;

    hv_assert_guest_passed(g);
    hv_assert_no_fault(g, "ref_part.enable");
    hv_assert_value(g, 1, HV_GUEST_FAULT_NONE, "cpu1.ref_part.after");
    for (cpu = 0; cpu < 2; cpu++) {
        const HvGuestRecord *b = hv_assert_record(g, "cpu%d.ref_part.before",
                                                  cpu);
        const HvGuestRecord *a = hv_assert_record(g, "cpu%d.ref_part.after",
                                                  cpu);

        if (!a || !b) {
            return;
        }
        after[cpu] = a->values[0];
        /* At most a second of TCG between the two reads, never minutes */
        if (a->values[0] < b->values[0] ||
            a->values[0] - b->values[0] > 10000000) {
            hv_fail(g, "cpu%d: TIME_REF_COUNT went from %" PRIu64 " to %"
                    PRIu64 " across CPU 1's WRMSR IA32_TSC", cpu,
                    b->values[0], a->values[0]);
        }
    }
    if (after[0] > after[1] + 10000000 || after[1] > after[0] + 10000000) {
        hv_fail(g, "TIME_REF_COUNT differs by more than 1 s between the "
                "VPs: %" PRIu64 " vs %" PRIu64, after[0], after[1]);
    }
}

static void test_pause(void)
{
    HvGuestOptions opts = {
        .cpu = TIME_CPU,
        .smp = 2,
        .test = "time-pause",
    };
    g_autoptr(HvGuest) g = NULL;
    gint64 t_stopping, t_stop, t_cont, t_resumed;
    QTestState *qts;
    uint64_t box, bound;
    uint64_t resumed[2][2];
    QDict *rsp;
    unsigned int cpu, i;

    g = hv_guest_launch(&opts);
    qts = hv_guest_qts(g);
    box = hv_guest_wait_record(g, "pause.mailbox")->values[0];
    for (cpu = 0; cpu < 2; cpu++) {
        hv_guest_wait_record(g, "cpu%u.pause.ready", cpu);
    }
    g_usleep(100 * 1000);

    t_stopping = g_get_monotonic_time();
    qtest_writel(qts, box, PAUSE_STOPPING);
    for (cpu = 0; cpu < 2; cpu++) {
        hv_guest_wait_record(g, "cpu%u.pause.stopping", cpu);
    }
    qtest_qmp_assert_success(qts, "{ 'execute': 'stop' }");
    t_stop = g_get_monotonic_time();
    rsp = qtest_qmp_assert_success_ref(qts,
                                       "{ 'execute': 'query-status' }");
    g_assert_false(qdict_get_bool(rsp, "running"));
    qobject_unref(rsp);
    g_usleep(PAUSE_MS * 1000);
    t_cont = g_get_monotonic_time();
    qtest_qmp_assert_success(qts, "{ 'execute': 'cont' }");
    qtest_writel(qts, box, PAUSE_RESUMED);
    for (cpu = 0; cpu < 2; cpu++) {
        const HvGuestRecord *r =
            hv_guest_wait_record(g, "cpu%u.pause.resumed", cpu);

        resumed[cpu][0] = r ? r->values[0] : 0;
        resumed[cpu][1] = r ? r->values[1] : 0;
    }
    t_resumed = g_get_monotonic_time();
    qtest_writel(qts, box, PAUSE_DONE);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    hv_assert_no_fault(g, "pause.enable");

    /* Wall time around the samples, less the pause, in 100 ns units */
    bound = (t_resumed - t_stopping - (t_cont - t_stop)) * 10;
    bound += bound * RATE_TOLERANCE;
    g_test_message("paused for %" PRId64 " us within %" PRId64 " us",
                   t_cont - t_stop, t_resumed - t_stopping);
    for (cpu = 0; cpu < 2; cpu++) {
        const HvGuestRecord *page = rec(g, "cpu%u.pause.page", cpu);
        const HvGuestRecord *msr = rec(g, "cpu%u.pause.msr", cpu);

        g_test_message("cpu%u: across the pause %" PRIu64 " (MSR), %"
                       PRIu64 " (page) x 100 ns, at most %" PRIu64
                       "; largest step %" PRIu64 " (page), %" PRIu64
                       " (MSR)", cpu, resumed[cpu][0], resumed[cpu][1],
                       bound, page->values[3], msr->values[3]);
        for (i = 0; i < 2; i++) {
            if (resumed[cpu][i] > bound) {
                hv_fail(g, "cpu%u: %s time advanced by %" PRIu64 " x 100 "
                        "ns across a %" PRId64 " us pause, at most %" PRIu64
                        " possible while running", cpu, i ? "page" : "MSR",
                        resumed[cpu][i], t_cont - t_stop, bound);
            }
        }
        check_ge(g, page, 0, 1, "page samples");
        hv_assert_value(g, 1, 0, "cpu%u.pause.page", cpu);
        hv_assert_value(g, 1, 0, "cpu%u.pause.msr", cpu);
        check_le(g, page, 3, PAUSE_MAX_STEP_MS * REF_PER_MS,
                 "largest step of the page time");
        check_le(g, msr, 3, PAUSE_MAX_STEP_MS * REF_PER_MS,
                 "largest step of TIME_REF_COUNT");
    }
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/hyperv/time/consistency", test_consistency);
    qtest_add_func("/hyperv/time/ref-count-partition-wide",
                   test_ref_partition);
    for (i = 0; i < G_N_ELEMENTS(params_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/time/tsc-page-params/%s",
                            params_cases[i].name);

        qtest_add_data_func(path, &params_cases[i], test_tsc_page_params);
    }
    qtest_add_func("/hyperv/time/tsc-page-move", test_tsc_page_move);
    qtest_add_func("/hyperv/time/pause-resume", test_pause);
    qtest_add_func("/hyperv/time/icount/tsc-page-params", test_icount);

    return g_test_run();
}
