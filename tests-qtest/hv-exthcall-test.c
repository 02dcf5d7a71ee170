/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the extended hypercalls (hv-ext-hypercalls) under TCG.
 *
 * HvExtCallQueryCapabilities, HvExtCallGetBootZeroedMemory and
 * HvExtCallMemoryHeatHint with good and bad input (guest/tests-exthcall.c
 * records every result): statuses, rep semantics, cold discards that
 * read back as zero and survive a migration as zero, boot-zeroed ranges
 * that read as zero and leave out what the firmware, the payload, the
 * guest, the host (qtest) and the boot before a reset wrote.  Without the
 * privilege the calls fail as KVM and QEMU's KVM exit make them fail.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "hv-harness.h"

#define EXT_CPU         "qemu64,hv-vpindex,hv-ext-hypercalls"

#define ST_OK           0
#define ST_CODE         2       /* HV_STATUS_INVALID_HYPERCALL_CODE */
#define ST_INPUT        3       /* HV_STATUS_INVALID_HYPERCALL_INPUT */
#define ST_ALIGN        4       /* HV_STATUS_INVALID_ALIGNMENT */
#define ST_PARAM        5       /* HV_STATUS_INVALID_PARAMETER */
#define ST_DENIED       6       /* HV_STATUS_ACCESS_DENIED */

#define CAP_BOOT_ZEROED     (1ull << 0)
#define CAP_HEAT_HINT       (1ull << 1)
#define CAP_COLD_DISCARD    (1ull << 8)
#define EXT_PRIVILEGE       (1u << 20)  /* CPUID 0x40000003.EBX */

/* guest/tests-exthcall.c */
#define HOST_GPA        0x3000000ull
#define MB_GO           1

#define rec hv_guest_good_record

static uint64_t result(uint16_t status, unsigned reps)
{
    return status | (uint64_t)reps << 32;
}

static void check_status(HvGuest *g, const char *name, uint64_t want)
{
    const HvGuestRecord *r = rec(g, "%s", name);

    if (r->values[0] != want) {
        hv_assert_value(g, 0, want, "%s", name);
    }
}

/* query-hyperv's ext-hypercalls, NULL when absent; unref the reply */
static QDict *ext_info(HvGuest *g, QDict **rsp)
{
    QDict *ret;

    *rsp = qtest_qmp(hv_guest_qts(g), "{ 'execute': 'query-hyperv' }");
    ret = qdict_get_qdict(*rsp, "return");
    g_assert_nonnull(ret);
    return qdict_haskey(ret, "ext-hypercalls") ?
           qdict_get_qdict(ret, "ext-hypercalls") : NULL;
}

static void test_calls(void)
{
    g_autoptr(HvGuest) g = hv_guest_start(EXT_CPU, 1, "exthcall", NULL);
    const HvGuestRecord *r;

    hv_assert_guest_passed(g);
    r = rec(g, "cpu0.cpuid.40000003");
    g_assert_cmphex(r->values[1] & EXT_PRIVILEGE, ==, EXT_PRIVILEGE);

    /* QueryCapabilities: the three bits, nothing else */
    hv_assert_value(g, 0, ST_OK, "caps");
    hv_assert_value(g, 1, CAP_BOOT_ZEROED | CAP_HEAT_HINT | CAP_COLD_DISCARD,
                    "caps");
    /* KVM answers a fast extended call itself */
    check_status(g, "q.fast", ST_PARAM);
    check_status(g, "q.rep", ST_INPUT);
    check_status(g, "q.repstart", ST_INPUT);
    check_status(g, "q.var", ST_INPUT);
    check_status(g, "q.rsvd", ST_INPUT);
    check_status(g, "q.align", ST_ALIGN);
    check_status(g, "q.rom", ST_INPUT);
    check_status(g, "q.mmio", ST_INPUT);
    check_status(g, "q.pastram", ST_INPUT);
    /* Within KVM's range but no such call; past it; before it */
    check_status(g, "code.8004", ST_CODE);
    check_status(g, "code.8041", ST_CODE);
    check_status(g, "code.8042", ST_CODE);
    check_status(g, "code.8000", ST_CODE);

    /* GetBootZeroedMemory */
    r = rec(g, "bz");
    g_test_message("boot-zeroed: %" PRIu64 " ranges, %" PRIu64 " pages",
                   r->values[1], r->values[2]);
    hv_assert_value(g, 0, ST_OK, "bz");
    g_assert_cmpuint(r->values[1], >=, 1);
    g_assert_cmpuint(r->values[1], <=, 255);
    /* Most of the 64 MiB is untouched */
    g_assert_cmpuint(r->values[2], >=, 8192);
    /* Every page reported reads as zero, and nothing written is in it */
    hv_assert_value(g, 3, 0, "bz");
    hv_assert_value(g, 0, 0, "bz.overlap");
    hv_assert_value(g, 1, 0, "bz.overlap");
    hv_assert_value(g, 2, 0, "bz.overlap");
    check_status(g, "bz.cross", ST_ALIGN);
    check_status(g, "bz.align", ST_ALIGN);
    check_status(g, "bz.rom", ST_INPUT);
    check_status(g, "bz.rep", ST_INPUT);
    check_status(g, "bz.fast", ST_PARAM);
    check_status(g, "bz.offset8", ST_OK);

    /* Cold discard: the range reads zero, the rest keeps its contents */
    hv_assert_value(g, 0, result(ST_OK, 1), "hint.discard");
    hv_assert_value(g, 1, 32, "hint.discard");
    hv_assert_value(g, 2, 32, "hint.discard");
    hv_assert_value(g, 0, result(ST_OK, 1), "hint.large");
    hv_assert_value(g, 1, 512, "hint.large");
    hv_assert_value(g, 0, result(ST_OK, 1), "hint.hot");
    hv_assert_value(g, 1, 0, "hint.hot");
    hv_assert_value(g, 2, 8, "hint.hot");
    hv_assert_value(g, 0, result(ST_OK, 1), "hint.cold");
    hv_assert_value(g, 2, 8, "hint.cold");

    check_status(g, "bad.type", result(ST_PARAM, 0));
    check_status(g, "bad.header", result(ST_PARAM, 0));
    check_status(g, "bad.norep", ST_INPUT);
    check_status(g, "bad.start", ST_INPUT);
    check_status(g, "bad.var", ST_INPUT);
    check_status(g, "bad.fast", ST_PARAM);
    check_status(g, "bad.count", ST_INPUT);
    check_status(g, "bad.align", ST_ALIGN);
    check_status(g, "bad.cross", ST_ALIGN);
    check_status(g, "bad.inmmio", ST_INPUT);
    check_status(g, "bad.rom", result(ST_PARAM, 0));
    check_status(g, "bad.romhot", result(ST_PARAM, 0));
    check_status(g, "bad.mmio", result(ST_PARAM, 0));
    check_status(g, "bad.pastram", result(ST_PARAM, 0));
    check_status(g, "bad.straddle", result(ST_PARAM, 0));
    check_status(g, "bad.largersvd", result(ST_PARAM, 0));
    check_status(g, "bad.1gunaligned", result(ST_PARAM, 0));
    check_status(g, "bad.huge", result(ST_PARAM, 0));

    /* Reps in order: the bad second one stops the call after one */
    hv_assert_value(g, 0, result(ST_PARAM, 1), "rep.stop");
    hv_assert_value(g, 1, 2, "rep.stop");
    hv_assert_value(g, 2, 0, "rep.stop");
    hv_assert_value(g, 0, result(ST_OK, 3), "rep.resume");
    hv_assert_value(g, 2, 2, "rep.resume");

    /*
     * query-hyperv: the good ranges (discard, large, hot, cold, the first
     * of rep.stop, rep.resume's) and what was discarded (32 + 512 + 2 + 2
     * pages); the two boot-zeroed calls that got to look at memory
     */
    {
        QDict *rsp, *e = ext_info(g, &rsp);

        g_assert_nonnull(e);
        g_assert_true(qdict_get_bool(e, "cold-discard"));
        g_assert_cmpint(qdict_get_int(e, "heat-hints"), ==, 6);
        g_assert_cmpint(qdict_get_int(e, "discarded-bytes"), ==, 548 * 4096);
        g_assert_cmpint(qdict_get_int(e, "dropped-bytes"), ==, 0);
        g_assert_cmpint(qdict_get_int(e, "boot-zeroed-calls"), ==, 2);
        g_assert_cmpint(qdict_get_int(e, "boot-zeroed-pages"), >=, 8192);
        qobject_unref(rsp);
    }
}

/*
 * Without hv-ext-hypercalls: KVM hands the codes to QEMU, which knows no
 * such call (fast ones KVM answers itself); with hv-enforce-cpuid KVM
 * denies them
 */
static void test_off(void)
{
    g_autoptr(HvGuest) g = hv_guest_start("qemu64,hv-vpindex", 1,
                                          "exthcall-off", NULL);
    g_autoptr(HvGuest) e = NULL;
    const HvGuestRecord *r;

    hv_assert_guest_passed(g);
    r = rec(g, "cpu0.cpuid.40000003");
    g_assert_cmphex(r->values[1] & EXT_PRIVILEGE, ==, 0);
    check_status(g, "off.query", ST_CODE);
    check_status(g, "off.fast", ST_PARAM);
    check_status(g, "off.heat", ST_CODE);
    {
        QDict *rsp;

        g_assert_null(ext_info(g, &rsp));
        qobject_unref(rsp);
    }

    e = hv_guest_start("qemu64,hv-vpindex,hv-enforce-cpuid", 1,
                       "exthcall-off", NULL);
    hv_assert_guest_passed(e);
    check_status(e, "off.query", ST_DENIED);
    check_status(e, "off.fast", ST_DENIED);
    check_status(e, "off.heat", ST_DENIED);
}

/* Discarded pages read zero on the destination too */
static void test_migration(void)
{
    HvGuestOptions opts = {
        .cpu = EXT_CPU,
        .smp = 1,
        .test = "exthcall-mig",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    hv_assert_value(g, 0, result(ST_OK, 32), "mig.hint");
    hv_guest_migrate(g);
    qtest_writel(hv_guest_qts(g), mailbox, MB_GO);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    hv_assert_value(g, 0, 32, "mig");
    hv_assert_value(g, 1, 32, "mig");
}

/*
 * Boot-zeroed memory: what the host wrote (qtest, as a -device loader
 * would) is left out; after a reset (QEMU does not clear RAM) what the
 * first boot wrote is left out too, and everything reported reads zero
 */
static void test_reset(void)
{
    HvGuestOptions opts = {
        .cpu = EXT_CPU,
        .smp = 1,
        .test = "exthcall-reset",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    QTestState *qts = hv_guest_qts(g);
    const HvGuestRecord *r;
    uint64_t mailbox;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    qtest_writeb(qts, HOST_GPA + 123, 0x5a);
    qtest_writel(qts, mailbox, MB_GO);
    r = hv_guest_wait_record(g, "boot1");
    g_assert_nonnull(r);
    g_test_message("before the reset: %" PRIu64 " ranges, %" PRIu64
                   " pages", r->values[1], r->values[2]);
    hv_assert_value(g, 0, ST_OK, "boot1");
    g_assert_cmpuint(r->values[2], >=, 8192);
    hv_assert_value(g, 3, 0, "boot1");
    hv_assert_value(g, 0, 0, "boot1.overlap");
    hv_assert_value(g, 1, 0, "boot1.overlap");
    hv_assert_value(g, 2, 0, "boot1.overlap");

    /* The harness turns resets into a pause; this one is wanted */
    qtest_qmp_assert_success(qts, "{ 'execute': 'set-action', 'arguments':"
                             " { 'reboot': 'reset' } }");
    qtest_qmp_assert_success(qts, "{ 'execute': 'stop' }");
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    qtest_memset(qts, HV_GUEST_RESULTS_GPA, 0, sizeof(HvGuestResults));
    qtest_qmp_assert_success(qts, "{ 'execute': 'cont' }");

    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    r = rec(g, "boot2");
    g_test_message("after the reset: %" PRIu64 " ranges, %" PRIu64 " pages",
                   r->values[1], r->values[2]);
    hv_assert_value(g, 0, ST_OK, "boot2");
    g_assert_cmpuint(r->values[2], >=, 8192);
    hv_assert_value(g, 3, 0, "boot2");
    hv_assert_value(g, 0, 0, "boot2.overlap");
    hv_assert_value(g, 1, 0, "boot2.overlap");
    hv_assert_value(g, 2, 0, "boot2.overlap");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hyperv/exthcall/calls", test_calls);
    qtest_add_func("/hyperv/exthcall/off", test_off);
    qtest_add_func("/hyperv/exthcall/migration", test_migration);
    qtest_add_func("/hyperv/exthcall/reset", test_reset);
    return g_test_run();
}
