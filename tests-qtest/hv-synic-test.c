/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the SynIC under TCG, as a guest sees it (TLFS
 * "Inter-Partition Communication"): its MSRs, SINTs raised through QEMU's
 * hyperv-testdev, AutoEOI, message slots and the PENDING / EOM protocol,
 * event flags, HvPostMessage and HvSignalEvent.
 *
 * Guest tests in guest/tests-synic.c.  Expected values are the TLFS's;
 * where it is silent, KVM's (arch/x86/kvm/hyperv.c), and for the message
 * and event connections, which QEMU's hw/hyperv/hyperv.c serves under
 * KVM as well, what that code answers (said where it differs from the
 * TLFS).
 */

#include "qemu/osdep.h"
#include "hv-harness.h"
#include "qobject/qdict.h"

#define VEC_GP                  13

/* TLFS */
#define HV_SYNIC_VERSION                    1
#define HV_SINT_MASKED                      (1ull << 16)
#define HV_SINT_AUTO_EOI                    (1ull << 17)
#define HV_SINT_POLLING                     (1ull << 18)
#define HV_MESSAGE_FLAG_PENDING             1
#define HV_STATUS_SUCCESS                   0
#define HV_STATUS_INVALID_HYPERCALL_CODE    2
#define HV_STATUS_INVALID_HYPERCALL_INPUT   3
#define HV_STATUS_INVALID_ALIGNMENT         4
#define HV_STATUS_INVALID_PARAMETER         5
#define HV_STATUS_INVALID_PORT_ID           17
#define HV_STATUS_INVALID_CONNECTION_ID     18

/* guest/tests-synic.c */
#define SYN_VEC(sint)           (0x40 + (sint))
#define SYN_MSG_TYPE_A          0x1234
#define SYN_MSG_TYPE_B          0x1235
#define SYN_PAYLOAD(type, i)    (0x5a5a000000000000ull | \
                                 (uint64_t)(type) << 16 | (i))
#define SYN_READ_FAULTED        0xfa17fa17fa17fa17ull

#define SYN_CPU                 "qemu64,hv-vpindex,hv-synic,hv-time"
#define TESTDEV                 "-device hyperv-testdev"

static HvGuest *boot(int smp, const char *test, const char *guest_args,
                     const char *qemu_args)
{
    HvGuestOptions opts = {
        .cpu = SYN_CPU,
        .smp = smp,
        .test = test,
        .guest_args = guest_args,
        .qemu_args = qemu_args,
    };
    HvGuest *g = hv_guest_start_opts(&opts);

    hv_assert_guest_passed(g);
    return g;
}

/* ---- MSRs ---------------------------------------------------------------- */

static void check_wr(HvGuest *g, const char *name, bool gp, uint64_t readback)
{
    if (gp) {
        hv_assert_fault(g, VEC_GP, "cpu0.wr.%s", name);
    } else {
        hv_assert_no_fault(g, "cpu0.wr.%s", name);
    }
    hv_assert_value(g, 0, readback, "cpu0.wr.%s", name);
}

/* The write was taken and reads back as written */
static void check_wr_stored(HvGuest *g, const char *name)
{
    const HvGuestRecord *r = hv_assert_record(g, "cpu0.wr.%s", name);

    hv_assert_no_fault(g, "cpu0.wr.%s", name);
    if (r) {
        hv_assert_value(g, 0, r->values[1], "cpu0.wr.%s", name);
    }
}

static void check_reset_values(HvGuest *g, int cpu, const char *when)
{
    int i;

    /* TLFS: SCONTROL, SIEFP, SIMP 0; EOM reads 0; SINTs masked */
    hv_assert_value(g, 0, 0, "cpu%d.%s.regs", cpu, when);
    hv_assert_value(g, 1, 0, "cpu%d.%s.regs", cpu, when);
    hv_assert_value(g, 2, 0, "cpu%d.%s.regs", cpu, when);
    hv_assert_value(g, 3, 0, "cpu%d.%s.regs", cpu, when);
    for (i = 0; i < 16; i++) {
        hv_assert_value(g, 0, HV_SINT_MASKED, "cpu%d.%s.sint%d", cpu, when,
                        i);
    }
}

static void test_msr(void)
{
    g_autoptr(HvGuest) g = boot(2, "synic-msr", NULL, NULL);
    const HvGuestRecord *r;
    int cpu;

    for (cpu = 0; cpu < 2; cpu++) {
        hv_assert_no_fault(g, "cpu%d.sversion", cpu);
        hv_assert_value(g, 0, HV_SYNIC_VERSION, "cpu%d.sversion", cpu);
        check_reset_values(g, cpu, "reset");
    }
    /* SVERSION is read-only */
    hv_assert_fault(g, VEC_GP, "cpu0.wr.sversion");
    hv_assert_value(g, 0, HV_SYNIC_VERSION, "cpu0.wr.sversion");

    /*
     * Reserved bits are reserve-preserve (TLFS): KVM stores what the guest
     * writes and reads it back, and so does QEMU
     */
    check_wr(g, "scontrol_enable", false, 1);
    check_wr_stored(g, "scontrol_bit1");
    check_wr_stored(g, "scontrol_bit63");
    check_wr(g, "scontrol_disable", false, 0);
    check_wr_stored(g, "simp_bit1");
    check_wr_stored(g, "simp_bit11");
    check_wr_stored(g, "siefp_bit1");
    check_wr_stored(g, "siefp_bit11");
    check_wr_stored(g, "sint_bit8");
    check_wr_stored(g, "sint_bit15");
    check_wr_stored(g, "sint_bit19");
    check_wr_stored(g, "sint_bit63");

    /* TLFS: valid vectors are 16-255; KVM lets a masked SINT have less */
    check_wr(g, "sint_vec15", true, HV_SINT_MASKED);
    check_wr(g, "sint_vec0", true, HV_SINT_MASKED);
    check_wr(g, "sint_vec15_autoeoi", true, HV_SINT_MASKED);
    check_wr(g, "sint_vec15_masked", false, HV_SINT_MASKED | 0x0f);
    check_wr(g, "sint_vec16", false, 0x10);
    check_wr(g, "sint_vec255", false, 0xff);
    check_wr(g, "sint_autoeoi", false, HV_SINT_AUTO_EOI | 0x41);
    check_wr(g, "sint_polling", false, HV_SINT_POLLING | 0x42);
    check_wr(g, "sint_all_flags", false, HV_SINT_MASKED | HV_SINT_AUTO_EOI |
             HV_SINT_POLLING | 0xfe);
    check_wr(g, "sint_mask", false, HV_SINT_MASKED);

    /* The pages: enable bit and GPA read back; RAM the guest can use */
    r = hv_assert_record(g, "cpu0.simp.enable");
    if (r) {
        hv_assert_no_fault(g, "cpu0.simp.enable");
        hv_assert_value(g, 0, r->values[1] | 1, "cpu0.simp.enable");
        hv_assert_value(g, 3, r->values[2], "cpu0.simp.enable");
        hv_assert_no_fault(g, "cpu0.simp.disable");
        hv_assert_value(g, 0, r->values[1], "cpu0.simp.disable");
    }
    r = hv_assert_record(g, "cpu0.siefp.enable");
    if (r) {
        hv_assert_no_fault(g, "cpu0.siefp.enable");
        hv_assert_value(g, 0, r->values[1] | 1, "cpu0.siefp.enable");
        hv_assert_value(g, 3, r->values[2], "cpu0.siefp.enable");
        hv_assert_no_fault(g, "cpu0.siefp.disable");
        hv_assert_value(g, 0, r->values[1], "cpu0.siefp.disable");
    }
    /* TLFS: EOM is write-only and "reads always return zeros" */
    hv_assert_no_fault(g, "cpu0.eom");
    hv_assert_value(g, 0, 0, "cpu0.eom");

    /* Per VP: CPU 0's writes left CPU 1's registers alone */
    check_reset_values(g, 1, "after");
}

/* ---- SINTs ----------------------------------------------------------- */

static void test_sint(const void *opaque)
{
    int smp = GPOINTER_TO_INT(opaque);
    g_autoptr(HvGuest) g = boot(smp, "synic-sint", NULL, TESTDEV);
    int vp, s;

    for (vp = 0; vp < smp; vp++) {
        for (s = 0; s < 16; s++) {
            /* Once, at its vector, on its VP only */
            hv_assert_value(g, 0, 1, "sint.vp%d.s%d", vp, s);
            hv_assert_value(g, 1, 1, "sint.vp%d.s%d", vp, s);
            hv_assert_value(g, 2, SYN_VEC(s), "sint.vp%d.s%d", vp, s);
            hv_assert_value(g, 3, 0, "sint.vp%d.s%d", vp, s);
        }
        /* TLFS: a masked SINT loses the interrupt (not held) */
        hv_assert_value(g, 0, 0, "masked.vp%d", vp);
        hv_assert_value(g, 1, 0, "masked.vp%d", vp);
        hv_assert_value(g, 2, 1, "masked.vp%d", vp);
        /* TLFS: polling mode raises no interrupt */
        hv_assert_value(g, 0, 0, "polling.vp%d", vp);
        /* SCONTROL off: nothing is delivered, nor later */
        hv_assert_value(g, 0, 0, "disabled.vp%d", vp);
        hv_assert_value(g, 1, 0, "disabled.vp%d", vp);
        hv_assert_value(g, 2, 1, "disabled.vp%d", vp);

        /*
         * AutoEOI: never in service, so a lower priority class still
         * gets through although the handler sent no EOI
         */
        hv_assert_value(g, 0, 1, "autoeoi.vp%d", vp);
        hv_assert_value(g, 1, 0, "autoeoi.vp%d", vp);
        hv_assert_value(g, 2, 1, "autoeoi.vp%d", vp);
        hv_assert_value(g, 3, 0, "autoeoi.vp%d", vp);
        /* Without it: in service until the EOI, which lets the other in */
        hv_assert_value(g, 0, 1, "noautoeoi.vp%d", vp);
        hv_assert_value(g, 1, 1, "noautoeoi.vp%d", vp);
        hv_assert_value(g, 2, 0, "noautoeoi.vp%d", vp);
        hv_assert_value(g, 3, 1, "noautoeoi.vp%d", vp);
    }
}

/* ---- Messages ---------------------------------------------------------- */

static void test_msg(void)
{
    g_autoptr(HvGuest) g = boot(2, "synic-msg", NULL, TESTDEV);
    const HvGuestRecord *r;
    int vp;

    for (vp = 0; vp < 2; vp++) {
        /* The message in the target VP's slot, with one interrupt */
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "msg.vp%d.post", vp);
        hv_assert_value(g, 1, SYN_MSG_TYPE_A, "msg.vp%d.post", vp);
        hv_assert_value(g, 2, 24, "msg.vp%d.post", vp);
        hv_assert_value(g, 3, 1, "msg.vp%d.post", vp);
        hv_assert_value(g, 0, SYN_PAYLOAD(SYN_MSG_TYPE_A, 0),
                        "msg.vp%d.payload", vp);
        hv_assert_value(g, 1, SYN_PAYLOAD(SYN_MSG_TYPE_A, 1),
                        "msg.vp%d.payload", vp);
        hv_assert_value(g, 2, SYN_PAYLOAD(SYN_MSG_TYPE_A, 2),
                        "msg.vp%d.payload", vp);
        /* TLFS: only payload_size bytes are sent */
        hv_assert_value(g, 3, 0, "msg.vp%d.payload", vp);

        /* Slot full: the next message waits, PENDING says so */
        r = hv_assert_record(g, "msg.vp%d.busy", vp);
        if (r) {
            g_test_message("msg.vp%d.busy: %" PRIu64 " HvPostMessage calls",
                           vp, r->values[1]);
        }
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "msg.vp%d.busy", vp);
        hv_assert_value_masked(g, 2, HV_MESSAGE_FLAG_PENDING,
                               HV_MESSAGE_FLAG_PENDING, "msg.vp%d.busy", vp);
        hv_assert_value(g, 3, SYN_MSG_TYPE_A, "msg.vp%d.busy", vp);
        hv_assert_value(g, 0, 1, "msg.vp%d.busy2", vp);
        hv_assert_value(g, 1, SYN_PAYLOAD(SYN_MSG_TYPE_A, 0),
                        "msg.vp%d.busy2", vp);

        /* Slot emptied, EOM: the waiting message comes, once */
        hv_assert_value(g, 0, SYN_MSG_TYPE_B, "msg.vp%d.redeliver", vp);
        hv_assert_value(g, 1, SYN_PAYLOAD(SYN_MSG_TYPE_B, 0),
                        "msg.vp%d.redeliver", vp);
        hv_assert_value(g, 2, 0, "msg.vp%d.redeliver", vp);
        hv_assert_value(g, 3, 2, "msg.vp%d.redeliver", vp);
    }
}

/* ---- Hypercalls ---------------------------------------------------------- */

static void check_call(HvGuest *g, const char *name, uint64_t rax)
{
    hv_assert_no_fault(g, "hc.%s", name);
    hv_assert_value(g, 0, rax, "hc.%s", name);
}

/* The call did not fault and did not succeed */
static void check_call_failed(HvGuest *g, const char *name)
{
    const HvGuestRecord *r = hv_assert_record(g, "hc.%s", name);

    hv_assert_no_fault(g, "hc.%s", name);
    if (r && (r->values[0] == HV_STATUS_SUCCESS ||
              r->values[0] == SYN_READ_FAULTED)) {
        hv_fail(g, "hc.%s: RAX 0x%" PRIx64 ", expected an error status",
                name, r->values[0]);
    }
}

static void test_hcall(void)
{
    g_autoptr(HvGuest) g = boot(2, "synic-hcall", NULL, TESTDEV);
    int vp;

    /* HvPostMessage */
    check_call(g, "post_unknown_conn", HV_STATUS_INVALID_CONNECTION_ID);
    /*
     * TLFS: a payload over 240 bytes is HV_STATUS_INVALID_PARAMETER (the
     * core checks before hw/hyperv, which would say INVALID_HYPERCALL_INPUT)
     */
    check_call(g, "post_size_241", HV_STATUS_INVALID_PARAMETER);
    check_call(g, "post_size_huge", HV_STATUS_INVALID_PARAMETER);
    /*
     * TLFS: HV_STATUS_INVALID_ALIGNMENT when the input is not 8-byte
     * aligned or spans pages (hw/hyperv itself only wants 4 bytes)
     */
    check_call(g, "post_unaligned2", HV_STATUS_INVALID_ALIGNMENT);
    check_call(g, "post_unaligned4", HV_STATUS_INVALID_ALIGNMENT);
    check_call(g, "post_page_cross", HV_STATUS_INVALID_ALIGNMENT);
    /* HvPostMessage has no fast form (hw/hyperv's answer) */
    check_call(g, "post_fast", HV_STATUS_INVALID_HYPERCALL_CODE);
    /* A simple call: no rep count, no variable header (KVM) */
    check_call(g, "post_rep", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "post_varhead", HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* Input that is not (all) RAM */
    check_call_failed(g, "post_beyond_ram");
    check_call_failed(g, "post_ram_end");

    /* HvSignalEvent */
    check_call(g, "signal_unknown_conn", HV_STATUS_INVALID_CONNECTION_ID);
    /* Flag numbers (bits 47:32) other than 0: hw/hyperv and KVM */
    check_call(g, "signal_flag_number", HV_STATUS_INVALID_PORT_ID);
    check_call(g, "signal_rsvd", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "signal_rep", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "signal_unaligned", HV_STATUS_INVALID_ALIGNMENT);
    check_call(g, "signal_slow_unknown", HV_STATUS_INVALID_CONNECTION_ID);
    check_call_failed(g, "signal_beyond_ram");

    for (vp = 0; vp < 2; vp++) {
        /* The flag in the target's page, and one interrupt */
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "evt.vp%d.first", vp);
        hv_assert_value(g, 1, 1, "evt.vp%d.first", vp);
        hv_assert_value(g, 2, 1, "evt.vp%d.first", vp);
        hv_assert_value(g, 3, 0, "evt.vp%d.first", vp);
        /* TLFS: a flag that is already set raises no interrupt */
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "evt.vp%d.again", vp);
        hv_assert_value(g, 1, 1, "evt.vp%d.again", vp);
        hv_assert_value(g, 2, 1, "evt.vp%d.again", vp);
        hv_assert_value(g, 3, 0, "evt.vp%d.again", vp);
        /* Cleared by the guest: it interrupts again */
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "evt.vp%d.cleared", vp);
        hv_assert_value(g, 1, 1, "evt.vp%d.cleared", vp);
        hv_assert_value(g, 2, 2, "evt.vp%d.cleared", vp);
        hv_assert_value(g, 3, 0, "evt.vp%d.cleared", vp);
        /* The input in memory */
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "evt.vp%d.slow", vp);
        hv_assert_value(g, 1, 1, "evt.vp%d.slow", vp);
        hv_assert_value(g, 2, 3, "evt.vp%d.slow", vp);
    }

    /*
     * TLFS: message types with bit 31 set are the hypervisor's, and
     * HvPostMessage fails them with HV_STATUS_INVALID_PARAMETER (the core
     * checks; hw/hyperv does not, so KVM guests get through).
     */
    check_call(g, "post_type_bit31", HV_STATUS_INVALID_PARAMETER);
}

/* ---- Guest input QEMU must survive ---------------------------------- */

/*
 * Each of these used to abort QEMU (hyperv-testdev asserted on
 * guest-controlled input, hw/hyperv dereferenced NULL for an unknown VP
 * index); patch 0007 makes them guest errors.
 */
typedef struct BadCase {
    const char *name;
    int smp;
} BadCase;

static const BadCase bad_cases[] = {
    { "sint16", 1 },
    { "msg_scontrol", 2 },
    { "msg_simp_off", 2 },
    { "evt_siefp_off", 2 },
    { "post_240", 1 },
    { "route_vp", 2 },
    { "msg_destroyed", 1 },
};

static void bad_case_run(const BadCase *c)
{
    g_autofree char *args = g_strdup_printf("case=%s", c->name);
    g_autoptr(HvGuest) g = boot(c->smp, "synic-bad", args, TESTDEV);

    hv_assert_record(g, "bad.%s", c->name);
    if (!strcmp(c->name, "sint16")) {
        /* No SINT 16 or 255: no interrupt */
        hv_assert_value(g, 1, 0, "bad.%s", c->name);
    } else if (!strcmp(c->name, "msg_scontrol") ||
               !strcmp(c->name, "msg_simp_off") ||
               !strcmp(c->name, "evt_siefp_off")) {
        /* The testdev accepted it (as under KVM); no interrupt came */
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "bad.%s", c->name);
        hv_assert_value(g, 1, 0, "bad.%s", c->name);
    } else if (!strcmp(c->name, "post_240")) {
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "bad.%s", c->name);
        hv_assert_value(g, 1, SYN_MSG_TYPE_A, "bad.%s", c->name);
        hv_assert_value(g, 2, 240, "bad.%s", c->name);
        hv_assert_value(g, 3, SYN_PAYLOAD(SYN_MSG_TYPE_A, 29), "bad.%s",
                        c->name);
    } else if (!strcmp(c->name, "msg_destroyed")) {
        /* Every post accepted; nothing came once its connection was gone */
        hv_assert_value(g, 0, 0, "bad.%s", c->name);
        hv_assert_value(g, 1, 0, "bad.%s", c->name);
        hv_assert_value(g, 2, HV_STATUS_INVALID_CONNECTION_ID, "bad.%s",
                        c->name);
    }
}

/*
 * In a subprocess: when QEMU aborts, libqtest aborts the test program,
 * which must not take the other cases with it.
 */
static void test_bad(const void *opaque)
{
    const BadCase *c = opaque;

    if (g_test_subprocess()) {
        bad_case_run(c);
        return;
    }
    g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    if (g_test_trap_has_passed()) {
        return;
    }
    g_test_message("synic-bad case=%s: QEMU or the guest failed (see "
                   "above)", c->name);
    g_test_fail();
}

/*
 * A reset while the guest's SINT routes still exist in hyperv-testdev
 * (synic-sint leaves one per SINT and VP): the SynIC reset used to assert
 * that no route was left.  QEMU must reset and run on.
 */
static void test_reset_with_routes(void)
{
    g_autoptr(HvGuest) g = boot(2, "synic-sint", NULL, TESTDEV);
    QTestState *qts = hv_guest_qts(g);
    QDict *rsp, *ret;

    /* The harness turns resets into shutdowns: make this one a reset */
    rsp = qtest_qmp(qts, "{'execute': 'set-action',"
                         " 'arguments': {'reboot': 'reset'}}");
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    rsp = qtest_qmp(qts, "{'execute': 'system_reset'}");
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    qtest_qmp_eventwait(qts, "RESET");

    rsp = qtest_qmp(qts, "{'execute': 'query-status'}");
    ret = qdict_get_qdict(rsp, "return");
    g_assert_nonnull(ret);
    g_assert_cmpstr(qdict_get_str(ret, "status"), ==, "running");
    qobject_unref(rsp);
}

/* ---- In flight across migration ------------------------------------------ */

/*
 * A message in VP 1's slot and an event flag set, both with their
 * interrupts pending (VP 1 has interrupts off), when the guest is
 * migrated or a snapshot of it saved and loaded: afterwards VP 1 takes
 * each interrupt once and finds the message and the flag -- nothing lost,
 * nothing delivered twice.
 */
static void test_inflight(const void *opaque)
{
    bool snapshot = GPOINTER_TO_INT(opaque);
    HvGuestOptions opts = {
        .cpu = SYN_CPU,
        .smp = 2,
        .test = "synic-inflight",
        .qemu_args = TESTDEV,
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    uint64_t mailbox = hv_guest_wait_record(g, "mailbox")->values[0];

    if (snapshot) {
        if (!hv_guest_snapshot_save(g, "inflight")) {
            g_test_skip("QEMU cannot create a qcow2 image for snapshots");
            return;
        }
        hv_guest_snapshot_load(g, "inflight");
    } else {
        hv_guest_migrate(g);
    }
    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);

    /* In flight: posted and signaled, in VP 1's pages, not yet taken */
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "inflight.before");
    hv_assert_value(g, 1, HV_STATUS_SUCCESS, "inflight.before");
    hv_assert_value(g, 2, SYN_MSG_TYPE_A, "inflight.before");
    hv_assert_value(g, 3, 0, "inflight.before");
    /* Afterwards: one interrupt each, the message and the flag there */
    hv_assert_value(g, 0, 1, "inflight.after");
    hv_assert_value(g, 1, 1, "inflight.after");
    hv_assert_value(g, 2, SYN_MSG_TYPE_A, "inflight.after");
    hv_assert_value(g, 3, SYN_PAYLOAD(SYN_MSG_TYPE_A, 0), "inflight.after");
    hv_assert_value(g, 0, 1, "inflight.flag");
    hv_assert_value(g, 1, 0, "inflight.flag");
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    /* One failing check must not hide the others (not in subprocesses) */
    if (!g_test_subprocess()) {
        g_test_set_nonfatal_assertions();
    }

    qtest_add_func("/hyperv/synic/msr", test_msr);
    qtest_add_data_func("/hyperv/synic/sint/smp1", GINT_TO_POINTER(1),
                        test_sint);
    qtest_add_data_func("/hyperv/synic/sint/smp2", GINT_TO_POINTER(2),
                        test_sint);
    qtest_add_func("/hyperv/synic/message", test_msg);
    qtest_add_func("/hyperv/synic/hypercall", test_hcall);
    qtest_add_func("/hyperv/synic/reset-with-routes", test_reset_with_routes);
    qtest_add_data_func("/hyperv/synic/inflight/migrate",
                        GINT_TO_POINTER(false), test_inflight);
    qtest_add_data_func("/hyperv/synic/inflight/savevm-loadvm",
                        GINT_TO_POINTER(true), test_inflight);
    for (i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hyperv/synic/bad/%s",
                                                bad_cases[i].name);

        qtest_add_data_func(path, &bad_cases[i], test_bad);
    }
    return g_test_run();
}
