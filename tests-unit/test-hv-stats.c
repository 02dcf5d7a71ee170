/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: the per-VP statistics of the core (HvVpStats),
 * which QMP query-hyperv and HMP info hyperv show: hypercalls by call
 * code and failed ones, SINT interrupts, synthetic timer expirations and
 * synthetic MSR accesses.  They are no guest state: a VP reset keeps
 * them.
 *
 * MSR numbers, call codes and bit numbers are written as TLFS numbers.
 */

#include "hv-fake.h"

/* Feature bit numbers (X86CPU::hyperv_features) */
#define F_TIME          2
#define F_VPINDEX       5
#define F_SYNIC         7
#define F_STIMER        8
#define F_TLBFLUSH      11
#define F_IPI           13

#define GUEST_OS_ID     0x40000000
#define HYPERCALL       0x40000001
#define VP_INDEX        0x40000002
#define SCONTROL        0x40000080
#define SIMP            0x40000083
#define SINT(n)         (0x40000090 + (n))
#define CONFIG(t)       (0x400000b0 + 2 * (t))
#define COUNT(t)        (0x400000b1 + 2 * (t))
/* In the synthetic range, but no MSR: #GP */
#define NO_SUCH_MSR     0x400000ff

#define MSG_PAGE        0x10000ull
#define IN              0x20000ull

static const uint64_t all_features =
    BIT64(F_TIME) | BIT64(F_VPINDEX) | BIT64(F_SYNIC) | BIT64(F_STIMER) |
    BIT64(F_TLBFLUSH) | BIT64(F_IPI);

static uint64_t call(Fake *f, int vp, uint64_t control, uint64_t in,
                     uint64_t out, bool cpl0)
{
    HvHypercallRegs r = fake_regs64(control, in, out);

    r.cpl0 = cpl0;
    hv_hypercall(&f->part, &f->vp[vp], &f->ops, &r);
    return r.rax;
}

static void test_call_names(void)
{
    static const struct {
        uint16_t code;
        HvStatCall call;
        const char *name;
    } calls[] = {
        { 0x0002, HV_STAT_CALL_FLUSH_SPACE, "HvCallFlushVirtualAddressSpace" },
        { 0x0003, HV_STAT_CALL_FLUSH_LIST, "HvCallFlushVirtualAddressList" },
        { 0x0013, HV_STAT_CALL_FLUSH_SPACE_EX,
          "HvCallFlushVirtualAddressSpaceEx" },
        { 0x0014, HV_STAT_CALL_FLUSH_LIST_EX,
          "HvCallFlushVirtualAddressListEx" },
        { 0x000b, HV_STAT_CALL_SEND_IPI, "HvCallSendSyntheticClusterIpi" },
        { 0x0015, HV_STAT_CALL_SEND_IPI_EX,
          "HvCallSendSyntheticClusterIpiEx" },
        { 0x005c, HV_STAT_CALL_POST_MESSAGE, "HvCallPostMessage" },
        { 0x005d, HV_STAT_CALL_SIGNAL_EVENT, "HvCallSignalEvent" },
        { 0x0008, HV_STAT_CALL_LONG_SPIN_WAIT, "HvCallNotifyLongSpinWait" },
    };
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(calls); i++) {
        g_assert_cmpint(hv_stat_call_of(calls[i].code), ==, calls[i].call);
        g_assert_cmpint(hv_stat_call_code(calls[i].call), ==, calls[i].code);
        g_assert_cmpstr(hv_stat_call_name(calls[i].call), ==, calls[i].name);
    }
    g_assert_cmpint(hv_stat_call_of(0), ==, HV_STAT_CALL_OTHER);
    g_assert_cmpint(hv_stat_call_of(0x0001), ==, HV_STAT_CALL_OTHER);
    g_assert_cmpint(hv_stat_call_of(0xffff), ==, HV_STAT_CALL_OTHER);
    g_assert_cmpint(hv_stat_call_code(HV_STAT_CALL_OTHER), ==, 0);
    g_assert_cmpstr(hv_stat_call_name(HV_STAT_CALL_OTHER), ==, "other");
    g_assert_cmpstr(hv_stat_call_name(HV_STAT_CALL_COUNT), ==, "other");
}

static void test_hypercalls(void)
{
    Fake *f = fake_new(all_features, 4);
    HvVpStats *s = &f->vp[1].stats;
    uint64_t zero[HV_STAT_CALL_COUNT] = { 0 };

    g_assert_cmpmem(f->vp[1].stats.hypercalls_by_call, sizeof(zero),
                    zero, sizeof(zero));
    /* HvCallFlushVirtualAddressSpace, HV_FLUSH_ALL_PROCESSORS: success */
    fake_put64(f, IN, 0);
    fake_put64(f, IN + 8, 1);
    fake_put64(f, IN + 16, 0);
    g_assert_cmpuint(call(f, 1, 0x0002, IN, 0, true), ==, 0);
    g_assert_cmpuint(f->flush_count, ==, 1);
    /* Fast HvCallSendSyntheticClusterIpi, vector 0x30 to VP 0: success */
    g_assert_cmpuint(call(f, 1, 0x000b | 1 << 16, 0x30, 1, true), ==, 0);
    g_assert_cmpuint(call(f, 1, 0x000b | 1 << 16, 0x30, 1, true), ==, 0);
    g_assert_cmpuint(f->ipi_count, ==, 2);
    /* Code 1 (none): HV_STATUS_INVALID_HYPERCALL_CODE */
    g_assert_cmpuint(call(f, 1, 0x0001, 0, 0, true), ==, 2);
    /* HvCallPostMessage without a handler: INVALID_HYPERCALL_INPUT */
    g_assert_cmpuint(call(f, 1, 0x005c, IN, 0, true), !=, 0);
    /* From CPL 3: #UD, counted, failed */
    call(f, 1, 0x0002, IN, 0, false);

    g_assert_cmpuint(s->hypercalls, ==, 6);
    g_assert_cmpuint(s->hypercalls_by_call[HV_STAT_CALL_FLUSH_SPACE], ==, 2);
    g_assert_cmpuint(s->hypercalls_by_call[HV_STAT_CALL_SEND_IPI], ==, 2);
    g_assert_cmpuint(s->hypercalls_by_call[HV_STAT_CALL_OTHER], ==, 1);
    g_assert_cmpuint(s->hypercalls_by_call[HV_STAT_CALL_POST_MESSAGE], ==, 1);
    g_assert_cmpuint(s->hypercalls_by_call[HV_STAT_CALL_FLUSH_LIST], ==, 0);
    g_assert_cmpuint(s->hypercall_errors, ==, 3);
    /* Only the calling VP counts */
    g_assert_cmpuint(f->vp[0].stats.hypercalls, ==, 0);
    fake_free(f);
}

static void test_msrs(void)
{
    Fake *f = fake_new(all_features, 4);
    HvVp *vp = &f->vp[2];
    uint64_t val;

    g_assert_cmpint(hv_msr_read(&f->part, vp, &f->ops, VP_INDEX, &val), ==,
                    HV_MSR_OK);
    g_assert_cmpint(hv_msr_write(&f->part, vp, &f->ops, GUEST_OS_ID, 1), ==,
                    HV_MSR_OK);
    g_assert_cmpint(hv_msr_read(&f->part, vp, &f->ops, NO_SUCH_MSR, &val),
                    ==, HV_MSR_GP);
    g_assert_cmpint(hv_msr_write(&f->part, vp, &f->ops, VP_INDEX, 0), ==,
                    HV_MSR_GP);
    g_assert_cmpint(hv_msr_write(&f->part, vp, &f->ops, GUEST_OS_ID, 2), ==,
                    HV_MSR_OK);
    /* Not a synthetic MSR: not counted */
    g_assert_cmpint(hv_msr_read(&f->part, vp, &f->ops, 0x10, &val), ==,
                    HV_MSR_NOT_HYPERV);
    g_assert_cmpuint(vp->stats.msr_reads, ==, 2);
    g_assert_cmpuint(vp->stats.msr_writes, ==, 3);
    g_assert_cmpuint(f->vp[0].stats.msr_reads, ==, 0);
    fake_free(f);
}

/* The guest's handler: empty SINT 5's message slot (nothing pending) */
static void consume_sint5(Fake *f, void *opaque G_GNUC_UNUSED)
{
    fake_put32(f, MSG_PAGE + 5 * 256, 0);
}

static void test_sints_and_stimers(void)
{
    Fake *f = fake_new(all_features, 4);
    HvVp *vp = &f->vp[0];
    HvOps *ops = &f->ops;
    HvPartition *p = &f->part;
    unsigned i;

    /* SynIC off: nothing delivered, nothing counted */
    g_assert_cmpint(hv_synic_set_sint(p, vp, ops, 3), ==, HV_SYNIC_DISABLED);
    g_assert_cmpint(hv_msr_write(p, vp, ops, SCONTROL, 1), ==, HV_MSR_OK);
    g_assert_cmpint(hv_msr_write(p, vp, ops, SIMP, MSG_PAGE | 1), ==,
                    HV_MSR_OK);
    /* Masked SINT 3: lost, not counted */
    g_assert_cmpint(hv_synic_set_sint(p, vp, ops, 3), ==, HV_SYNIC_NO_IRQ);
    g_assert_cmpint(hv_msr_write(p, vp, ops, SINT(3), 0x43), ==, HV_MSR_OK);
    g_assert_cmpint(hv_msr_write(p, vp, ops, SINT(5), 0x45), ==, HV_MSR_OK);
    for (i = 0; i < 3; i++) {
        g_assert_cmpint(hv_synic_set_sint(p, vp, ops, 3), ==, HV_SYNIC_OK);
    }
    g_assert_cmpuint(vp->stats.sint_deliveries[3], ==, 3);
    g_assert_cmpuint(f->irq_count, ==, 3);

    /* Periodic timer 1 to SINT 5, 1 ms: 4 expirations in 4.5 ms */
    g_assert_cmpint(hv_msr_write(p, vp, ops, COUNT(1), 10000), ==,
                    HV_MSR_OK);
    g_assert_cmpint(hv_msr_write(p, vp, ops, CONFIG(1),
                                 1 | 2 | (5ull << 16)), ==, HV_MSR_OK);
    fake_run_until(f, fake_ref_time(f) + 45000, consume_sint5, NULL);
    g_assert_cmpuint(vp->stats.stimer_expirations[1], ==, 4);
    g_assert_cmpuint(vp->stats.stimer_expirations[0], ==, 0);
    g_assert_cmpuint(vp->stats.sint_deliveries[5], ==, 4);
    /*
     * Not consumed: the next one is delivered, the two after it find the
     * slot busy and are dropped (KVM): expirations, no interrupts
     */
    fake_run_until(f, fake_ref_time(f) + 25000, NULL, NULL);
    g_assert_cmpuint(vp->stats.stimer_expirations[1], ==, 7);
    g_assert_cmpuint(vp->stats.sint_deliveries[5], ==, 5);
    g_assert_cmpuint(vp->stimer_missed[1], ==, 2);

    /* A stale call for a stopped timer is no expiration */
    g_assert_cmpint(hv_msr_write(p, vp, ops, CONFIG(1), 0), ==, HV_MSR_OK);
    hv_stimer_expired(p, vp, ops, 1);
    g_assert_cmpuint(vp->stats.stimer_expirations[1], ==, 7);

    /* A VP reset keeps the statistics and clears the state */
    hv_vp_reset(vp, 0);
    g_assert_cmpuint(vp->stats.sint_deliveries[3], ==, 3);
    g_assert_cmpuint(vp->stats.stimer_expirations[1], ==, 7);
    g_assert_cmpuint(vp->scontrol, ==, 0);
    g_assert_cmpuint(vp->sint[3], ==, 1ull << 16);
    fake_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hv-stats/call-names", test_call_names);
    g_test_add_func("/hv-stats/hypercalls", test_hypercalls);
    g_test_add_func("/hv-stats/msrs", test_msrs);
    g_test_add_func("/hv-stats/sints-and-stimers", test_sints_and_stimers);
    return g_test_run();
}
