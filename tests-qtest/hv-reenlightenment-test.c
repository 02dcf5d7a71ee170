/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: reenlightenment under TCG.  The guest (guest/
 * tests-reenlightenment.c) runs its TSC at one rate (x-hv-tsc-hz), is
 * migrated to a VM configured for another, and must be notified, keep
 * the old rate while TSC emulation is on, and get the new one once it
 * acknowledges (TLFS "Timers": reenlightenment).  A reset during that
 * emulation starts the partition afresh: the TSC runs at the rate
 * HV_X64_MSR_TSC_FREQUENCY reports, this host's.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "hv-harness.h"

#define RE_CPU      "qemu64,hv-vpindex,hv-time,hv-frequencies," \
                    "hv-reenlightenment"
#define RE_VECTOR   0xd2
#define RE_GO       1
#define RE_DONE     2

typedef struct ReCase {
    const char *name;
    bool emulate;
    bool notify;
    uint64_t src_hz, dst_hz;
} ReCase;

static const ReCase re_cases[] = {
    { "emulated", true, true, 2000000000, 3000000000 },
    { "not-emulated", false, true, 2000000000, 3000000000 },
    { "silent", true, false, 3000000000, 2000000000 },
    /* Within 250 ppm: the same frequency, nothing happens */
    { "same-rate", true, true, 2000000000, 2000100000 },
};

/* Value @idx of record @name, a measured TSC rate, within 1 % of @expected */
static void check_rate(HvGuest *g, const char *name, int idx,
                       uint64_t expected)
{
    const HvGuestRecord *r = hv_assert_record(g, "%s", name);
    double err = (double)r->values[idx] / expected - 1.0;

    g_test_message("%s: %" PRIu64 " Hz, expected %" PRIu64, name,
                   r->values[idx], expected);
    if (fabs(err) > 0.01) {
        hv_fail(g, "%s: TSC runs at %" PRIu64 " Hz, expected %" PRIu64,
                name, r->values[idx], expected);
    }
}

static void test_reenlightenment(const void *data)
{
    const ReCase *c = data;
    g_autofree char *src_cpu = g_strdup_printf("%s,x-hv-tsc-hz=%" PRIu64,
                                               RE_CPU, c->src_hz);
    g_autofree char *dst_args = g_strdup_printf("-cpu %s,x-hv-tsc-hz=%"
                                                PRIu64, RE_CPU, c->dst_hz);
    g_autofree char *guest_args = g_strdup_printf("emulate=%d notify=%d",
                                                  c->emulate, c->notify);
    bool change = c->src_hz != 2000000000 || c->dst_hz != 2000100000;
    uint64_t old_hz = c->src_hz;
    uint64_t new_hz = change ? c->dst_hz : c->src_hz;
    HvGuestOptions opts = {
        .cpu = src_cpu,
        .smp = 2,
        .test = "reenlightenment",
        .guest_args = guest_args,
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    const HvGuestRecord *r;
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    hv_guest_migrate_args(g, dst_args);
    qtest_writel(hv_guest_qts(g), mailbox, RE_GO);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);

    hv_assert_value(g, 0, old_hz, "before.freq");
    check_rate(g, "before.freq", 1, old_hz);

    /* The interrupt, on the target VP, only when asked for and changed */
    hv_assert_value(g, 0, change && c->notify ? 1 : 0, "after.irq");
    if (change && c->notify) {
        hv_assert_value(g, 1, RE_VECTOR, "after.irq");
    }
    /* TSC_FREQUENCY tells the new rate at once */
    hv_assert_value(g, 1, new_hz, "after.status");
    /* InProgress while the old rate is emulated */
    hv_assert_value(g, 0, change && c->emulate ? 1 : 0, "after.status");
    check_rate(g, "after.rate", 0, change && c->emulate ? old_hz : new_hz);

    hv_assert_value(g, 0, 0, "acked.status");
    check_rate(g, "acked.rate", 0, new_hz);

    /* The page time never went backwards; the page was rewritten */
    r = hv_assert_record(g, "time");
    hv_assert_value(g, 0, 0, "time");
    g_assert_cmpuint(r->values[2], !=, 0);
    g_assert_cmpuint(r->values[3], !=, 0);
    if (change && c->emulate) {
        /* Switching to the new rate after the acknowledgement */
        g_assert_cmpuint(r->values[3], !=, r->values[2]);
    }
}

/*
 * Emulating a 2 GHz source's TSC on a 3 GHz destination, then a reset
 * (system_reset over QMP, with the VM stopped, so that the results area
 * can be cleared for the second boot).
 */
static void test_reset(void)
{
    uint64_t src_hz = 2000000000, dst_hz = 3000000000;
    g_autofree char *src_cpu = g_strdup_printf("%s,x-hv-tsc-hz=%" PRIu64,
                                               RE_CPU, src_hz);
    g_autofree char *dst_args = g_strdup_printf("-cpu %s,x-hv-tsc-hz=%"
                                                PRIu64, RE_CPU, dst_hz);
    HvGuestOptions opts = {
        .cpu = src_cpu,
        .smp = 1,
        .test = "reenlightenment-reset",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    QTestState *qts;
    const HvGuestRecord *r;
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    hv_assert_value(g, 0, src_hz, "boot.freq");
    check_rate(g, "boot.freq", 1, src_hz);
    hv_guest_migrate_args(g, dst_args);
    qts = hv_guest_qts(g);
    qtest_writel(qts, mailbox, RE_GO);
    r = hv_guest_wait_record(g, "after.status");
    g_assert_nonnull(r);
    g_test_message("after the migration: status %" PRIu64 ", TSC_FREQUENCY %"
                   PRIu64 ", TSC at %" PRIu64 " Hz", r->values[0],
                   r->values[1], r->values[2]);
    /* InProgress: the source's rate emulated, the new one announced */
    hv_assert_value(g, 0, 1, "after.status");
    hv_assert_value(g, 1, dst_hz, "after.status");
    check_rate(g, "after.status", 2, src_hz);

    /* The harness turns resets into a pause; this one is wanted */
    qtest_qmp_assert_success(qts, "{ 'execute': 'set-action', 'arguments':"
                             " { 'reboot': 'reset' } }");
    qtest_qmp_assert_success(qts, "{ 'execute': 'stop' }");
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    qtest_memset(qts, HV_GUEST_RESULTS_GPA, 0, sizeof(HvGuestResults));
    qtest_qmp_assert_success(qts, "{ 'execute': 'cont' }");

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    r = hv_assert_record(g, "boot.freq");
    g_test_message("after the reset: TSC_FREQUENCY %" PRIu64 ", TSC at %"
                   PRIu64 " Hz, status %" PRIu64, r->values[0],
                   r->values[1], r->values[2]);
    hv_assert_value(g, 2, 0, "boot.freq");
    /* The partition starts afresh at this host's rate, and says so */
    hv_assert_value(g, 0, dst_hz, "boot.freq");
    check_rate(g, "boot.freq", 1, dst_hz);
    qtest_writel(qts, mailbox, RE_DONE);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(re_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/reenlightenment/%s", re_cases[i].name);

        qtest_add_data_func(path, &re_cases[i], test_reenlightenment);
    }
    qtest_add_func("/hyperv/reenlightenment/reset", test_reset);
    return g_test_run();
}
