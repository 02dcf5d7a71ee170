/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: vCPU hot-plug and hot-unplug under TCG.
 *
 * The guest (guest/tests-hotplug.c) boots with one CPU of -smp 1,
 * maxcpus=4; the qtest plugs a vCPU into slot 3 (socket 3, APIC ID 3,
 * cpu_index 3), which the guest starts with INIT-SIPI-SIPI.  Its VP index
 * is its cpu_index, as under KVM (hyperv_vp_index()), so VP 3 exists
 * while there are two VPs:
 *
 *   vp-sets   HvCallSendSyntheticClusterIpi(Ex) and HvCallFlushVirtual
 *             AddressSpace(Ex) naming VP 3 reach that vCPU (KVM's
 *             kvm_hv_send_ipi() and kvm_hv_flush_tlb() look VPs up by
 *             index, there is no bound at the VP count);
 *   unplug    a vCPU whose synthetic timer is armed is unplugged (guest
 *             ACPI eject) before the timer expires: nothing of it may
 *             fire afterwards, QEMU must go on, and its SynIC message
 *             page no longer covers guest RAM.
 */

#include "qemu/osdep.h"
#include "hv-harness.h"

#define HP_CPU          "qemu64,hv-vpindex,hv-time,hv-synic,hv-stimer," \
                        "hv-ipi,hv-tlbflush"
#define HP_SOCKET       3
#define HP_ID           "hp3"

/* guest/tests-hotplug.c */
#define HP_PLUGGED      1
#define HP_UNPLUG_ASKED 2
#define HP_PAGE_A       0xa0a0a0a0a0a0a0a0ull
#define HP_PAGE_B       0xb0b0b0b0b0b0b0b0ull
#define CPUHP_ENABLED   1
#define CPUHP_REMOVING  4

/* TLFS STIMERx_CONFIG.Enable */
#define ST_ENABLE       1

static HvGuest *hp_launch(const char *guest_args, const char *qemu_args)
{
    /* Merged with the harness's -smp 1 */
    g_autofree char *args =
        g_strdup_printf("-smp maxcpus=4,sockets=4,cores=1,threads=1 %s",
                        qemu_args ?: "");
    HvGuestOptions opts = {
        .cpu = HP_CPU,
        .smp = 1,
        .test = "hotplug",
        .guest_args = guest_args,
        .qemu_args = args,
    };
    HvGuest *g = hv_guest_launch(&opts);
    uint64_t mailbox = hv_guest_wait_record(g, "mailbox")->values[0];

    hv_guest_cpu_add(g, HP_ID, HP_SOCKET);
    qtest_writel(hv_guest_qts(g), mailbox, HP_PLUGGED);
    return g;
}

/* The new vCPU came up in the guest, and is VP 3 */
static void check_new_cpu(HvGuest *g)
{
    hv_assert_no_fault(g, "hc.enable");
    hv_assert_value(g, 0, 1, "new.up");
    hv_assert_value(g, 1, HP_SOCKET, "new.up");
    hv_assert_value(g, 0, HP_SOCKET, "new.vp_index");
}

static void test_vp_sets(void)
{
    static const char *const ipis[] = { "slow", "fast", "ex" };
    static const char *const flushes[] = { "space", "space_ex" };
    g_autoptr(HvGuest) g = hp_launch("apic=3 unplug=0", NULL);
    const HvGuestRecord *r;
    int i;

    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    check_new_cpu(g);

    for (i = 0; i < G_N_ELEMENTS(ipis); i++) {
        hv_assert_no_fault(g, "ipi.%s", ipis[i]);
        hv_assert_value(g, 0, 0, "ipi.%s", ipis[i]);
        /* Delivered, once */
        hv_assert_value(g, 1, 1, "ipi.%s", ipis[i]);
    }

    /* The control round names VP 2, which does not exist: stale stays */
    r = hv_assert_record(g, "flush.control");
    hv_assert_value(g, 0, 0, "flush.control");
    hv_assert_value(g, 1, HP_PAGE_A, "flush.control");
    hv_assert_value(g, 3, r->values[2], "flush.control");
    g_test_message("control round: before the flush %s",
                   r->values[2] == HP_PAGE_A ? "stale (cached)" : "fresh");

    /* Rounds 1 and 2 start from page B and from page A */
    for (i = 0; i < G_N_ELEMENTS(flushes); i++) {
        uint64_t old = i % 2 ? HP_PAGE_A : HP_PAGE_B;

        hv_assert_no_fault(g, "flush.%s", flushes[i]);
        hv_assert_value(g, 0, 0, "flush.%s", flushes[i]);
        hv_assert_value(g, 1, old, "flush.%s", flushes[i]);
        /* After the flush naming VP 3, the new translation */
        hv_assert_value(g, 3, old ^ HP_PAGE_A ^ HP_PAGE_B, "flush.%s",
                        flushes[i]);
    }
}

/*
 * The timer callbacks' trace events show whether one ran for the gone
 * vCPU: on its freed X86CPU, which QEMU need not survive.
 */
static void check_no_expiry_after_unplug(HvGuest *g, const char *trace)
{
    g_autofree char *log = NULL;

    g_assert_true(g_file_get_contents(trace, &log, NULL, NULL));
    if (!strstr(log, "hyperv_stimer_arm vp 3 ")) {
        /* A trace backend other than "log" */
        g_test_message("no trace events in %s: timer callbacks not checked",
                       trace);
        return;
    }
    if (strstr(log, "hyperv_stimer_expired vp 3 ")) {
        hv_fail(g, "a synthetic timer of the unplugged vCPU expired:\n%s",
                log);
    }
}

static void test_unplug(void)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = NULL;
    g_autoptr(HvGuest) g = NULL;
    const HvGuestRecord *r;
    uint64_t expiry;
    int fd;

    fd = g_file_open_tmp("hv-hotplug-XXXXXX.trace", &trace, NULL);
    g_assert(fd >= 0);
    close(fd);
    args = g_strdup_printf("-trace enable=hyperv_stimer_arm "
                           "-trace enable=hyperv_stimer_expired -D %s",
                           trace);
    g = hp_launch("apic=3 sets=0", args);
    expiry = hv_guest_wait_record(g, "unplug.ready")->values[0];
    qtest_qmp_device_del_send(hv_guest_qts(g), HP_ID);
    qtest_writel(hv_guest_qts(g),
                 hv_guest_find(g, "mailbox")->values[0], HP_UNPLUG_ASKED);
    /* The guest waits past the timer's expiration, QEMU must live on */
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    check_new_cpu(g);

    hv_assert_value_masked(g, 0, ST_ENABLE, ST_ENABLE, "stimer.armed");
    hv_assert_value(g, 1, expiry, "stimer.armed");

    /* Removal asked for, then the eject took the vCPU away... */
    hv_assert_value_masked(g, 1, CPUHP_REMOVING, CPUHP_REMOVING,
                           "unplug.eject");
    hv_assert_value_masked(g, 2, CPUHP_ENABLED, 0, "unplug.eject");
    g_assert_false(hv_guest_cpu_present(g, HP_SOCKET));
    /* ...before the timer expired, or this showed nothing */
    r = hv_assert_record(g, "unplug.eject");
    if (r->values[3] >= expiry) {
        hv_fail(g, "the eject came %" PRIu64 " ms after the timer expired",
                (r->values[3] - expiry) / 10000);
    }
    r = hv_assert_record(g, "unplug.after");
    g_assert_cmpuint(r->values[0], >, expiry);
    check_no_expiry_after_unplug(g, trace);
    unlink(trace);
    /* QEMU's message page of the gone vCPU is unmapped: the RAM is back */
    hv_assert_value(g, 1, r->values[2], "unplug.after");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hyperv/hotplug/vp-sets", test_vp_sets);
    qtest_add_func("/hyperv/hotplug/unplug", test_unplug);
    return g_test_run();
}
