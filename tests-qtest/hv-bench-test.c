/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the guest benchmarks of make bench (guest/tests-bench.c)
 * run to the end and report consistent numbers.  No timing thresholds:
 * how fast is for scripts/bench.sh; here only that every measurement is
 * there, took all its samples, is non-zero, has min <= median, and that
 * the calls it timed succeeded.
 */

#include "qemu/osdep.h"
#include "hv-harness.h"

#define BENCH_CPU       "qemu64,hv-vpindex,hv-time,hv-frequencies,hv-ipi," \
                        "hv-synic"
#define ITERATIONS      50
#define HV_STATUS_ACCESS_DENIED 6

#define rec hv_guest_good_record

static HvGuest *boot(const char *cpu, int smp, const char *test,
                     const char *qemu_args)
{
    HvGuestOptions opts = {
        .cpu = cpu,
        .smp = smp,
        .test = test,
        .guest_args = "iterations=" G_STRINGIFY(ITERATIONS) " batch=4",
        .qemu_args = qemu_args,
    };

    return hv_guest_start_opts(&opts);
}

/* { min, median, n, extra }: all samples, 0 < min <= median */
static const HvGuestRecord *check_timing(HvGuest *g, const char *name)
{
    const HvGuestRecord *r = rec(g, "%s", name);

    hv_assert_value(g, 2, ITERATIONS, "%s", name);
    if (r->values[0] == 0 || r->values[0] > r->values[1]) {
        hv_fail(g, "%s: min %" PRIu64 ", median %" PRIu64 " cycles",
                name, r->values[0], r->values[1]);
    }
    return r;
}

/* bench.tsc: the frequency MSR and the measured TSC rate agree (2x) */
static void check_tsc(HvGuest *g)
{
    const HvGuestRecord *r = rec(g, "bench.tsc");
    uint64_t msr = r->values[0], measured = r->values[1];

    if (!msr || !measured || msr > 2 * measured || measured > 2 * msr) {
        hv_fail(g, "bench.tsc: HV_X64_MSR_TSC_FREQUENCY %" PRIu64
                " Hz, measured %" PRIu64 " Hz", msr, measured);
    }
}

static void test_hcall(void)
{
    g_autoptr(HvGuest) g = boot(BENCH_CPU, 1, "bench-hcall", NULL);

    hv_assert_guest_passed(g);
    check_tsc(g);
    /* The null IPI hypercall succeeded every time */
    check_timing(g, "bench.hcall");
    hv_assert_value(g, 3, 0, "bench.hcall");
    check_timing(g, "bench.cpuid");
    check_timing(g, "bench.rdmsr");
    check_timing(g, "bench.rdtsc");
}

/*
 * Without hv-ipi, and with hv-enforce-cpuid (without it KVM and QEMU take
 * the call), the call is refused: reported, not timed
 */
static void test_hcall_denied(void)
{
    g_autoptr(HvGuest) g = boot("qemu64,hv-vpindex,hv-time,"
                                "hv-enforce-cpuid=on", 1, "bench-hcall",
                                NULL);

    hv_assert_guest_failed(g, "status 0x6");
    hv_assert_no_fault(g, "bench.hcall");
    hv_assert_value(g, 2, 0, "bench.hcall");
    hv_assert_value_masked(g, 3, 0xffff, HV_STATUS_ACCESS_DENIED,
                           "bench.hcall");
    /* The references are still measured; no hv-frequencies: no MSR rate */
    check_timing(g, "bench.cpuid");
    check_timing(g, "bench.rdmsr");
    hv_assert_value(g, 0, 0, "bench.tsc");
}

/*
 * No hv-* at all: nothing to call, and the Hyper-V MSRs (which TCG reads
 * as 0 without a #GP) are not used; the references are still measured.
 */
static void test_hcall_nohv(void)
{
    g_autoptr(HvGuest) g = boot("qemu64", 1, "bench-hcall", NULL);

    hv_assert_guest_failed(g, "no Hyper-V hypercall interface");
    hv_assert_value(g, 2, 0, "bench.hcall");
    hv_assert_value(g, 0, 0, "bench.tsc");
    hv_assert_value(g, 1, 0, "bench.tsc");
    hv_assert_value(g, 2, 0, "bench.rdmsr");
    check_timing(g, "bench.cpuid");
    check_timing(g, "bench.rdtsc");
}

static void test_sint(gconstpointer data)
{
    int smp = GPOINTER_TO_INT(data);
    g_autoptr(HvGuest) g = boot(BENCH_CPU, smp, "bench-sint",
                                "-device hyperv-testdev");

    hv_assert_guest_passed(g);
    check_tsc(g);
    check_timing(g, "bench.msg.self");
    check_timing(g, "bench.msgdeliver.self");
    check_timing(g, "bench.evt.self");
    if (smp > 1) {
        check_timing(g, "bench.msg.other");
        check_timing(g, "bench.msgdeliver.other");
        check_timing(g, "bench.evt.other");
    } else {
        g_assert_null(hv_guest_find(g, "bench.msg.other"));
    }
}

/* No testdev: no connection, HvPostMessage fails and the guest says so */
static void test_sint_no_testdev(void)
{
    g_autoptr(HvGuest) g = boot(BENCH_CPU, 1, "bench-sint", NULL);

    hv_assert_guest_failed(g, "HvPostMessage status 0x12");
    g_assert_null(hv_guest_find(g, "bench.msg.self"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_test_subprocess()) {
        g_test_set_nonfatal_assertions();
    }

    qtest_add_func("/hyperv/bench/hcall", test_hcall);
    qtest_add_func("/hyperv/bench/hcall-denied", test_hcall_denied);
    qtest_add_func("/hyperv/bench/hcall-nohv", test_hcall_nohv);
    qtest_add_data_func("/hyperv/bench/sint/smp1", GINT_TO_POINTER(1),
                        test_sint);
    qtest_add_data_func("/hyperv/bench/sint/smp2", GINT_TO_POINTER(2),
                        test_sint);
    qtest_add_func("/hyperv/bench/sint/no-testdev", test_sint_no_testdev);
    return g_test_run();
}
