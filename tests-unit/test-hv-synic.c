/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: the synthetic interrupt controller (hv-synic.c):
 * its MSRs and their reserved bits, SINT signaling, the AutoEOI bitmap,
 * EOM and EOI acknowledgement, the message slot protocol and event flags.
 *
 * Expected values are literals from the TLFS ("Inter-Partition
 * Communication": SynIC MSRs, SIM and SIEF pages, HV_MESSAGE) and, for the
 * corner cases it leaves open, Linux KVM's arch/x86/kvm/hyperv.c.  MSR
 * numbers, bit numbers and structure offsets are written as numbers, not
 * with the model's macros.
 */

#include "hv-fake.h"

/* Feature bit numbers (X86CPU::hyperv_features) */
#define F_TIME          2
#define F_VPINDEX       5
#define F_SYNIC         7
#define F_STIMER        8

#define SCONTROL        0x40000080
#define SVERSION        0x40000081
#define SIEFP           0x40000082
#define SIMP            0x40000083
#define EOM             0x40000084
#define SINT(n)         (0x40000090 + (n))

/* SINTx bits (TLFS): vector 7:0, Masked 16, AutoEOI 17, Polling 18 */
#define MASKED          0x10000ull
#define AUTO_EOI        0x20000ull
#define POLLING         0x40000ull

/* Where the tests put the pages */
#define MSG_PAGE        0x10000ull
#define EVT_PAGE        0x11000ull

/* HV_MESSAGE: type +0, payload size +4, flags +5, sender +8, payload +16 */
#define SLOT(sint)      (MSG_PAGE + (sint) * 256ull)

static HvMsrResult rd_vp(Fake *f, int vp, uint32_t msr, uint64_t *val)
{
    return hv_msr_read(&f->part, &f->vp[vp], &f->ops, msr, val);
}

static HvMsrResult wr_vp(Fake *f, int vp, uint32_t msr, uint64_t val)
{
    return hv_msr_write(&f->part, &f->vp[vp], &f->ops, msr, val);
}

static HvMsrResult rd(Fake *f, uint32_t msr, uint64_t *val)
{
    return rd_vp(f, 0, msr, val);
}

static HvMsrResult wr(Fake *f, uint32_t msr, uint64_t val)
{
    return wr_vp(f, 0, msr, val);
}

static uint64_t rd_ok(Fake *f, uint32_t msr)
{
    uint64_t val = 0xdeadbeefdeadbeefull;

    g_assert_cmpint(rd(f, msr, &val), ==, HV_MSR_OK);
    return val;
}

static Fake *synic_fake(void)
{
    return fake_new(BIT64(F_SYNIC) | BIT64(F_VPINDEX), 4);
}

/* A SynIC that is on, with its message and event flags pages */
static Fake *synic_on_fake(void)
{
    Fake *f = synic_fake();

    g_assert_cmpint(wr(f, SCONTROL, 1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SIMP, MSG_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SIEFP, EVT_PAGE | 1), ==, HV_MSR_OK);
    fake_clear_log(f);
    f->synic_update_count = 0;
    return f;
}

static bool page_is(Fake *f, uint64_t gpa, uint8_t byte)
{
    uint64_t i;

    for (i = 0; i < 0x1000; i++) {
        if (f->ram[gpa + i] != byte) {
            return false;
        }
    }
    return true;
}

static void test_privilege(void)
{
    Fake *without = fake_new(HV_FEAT_ALL & ~BIT64(F_SYNIC), 1);
    Fake *with = fake_new(BIT64(F_SYNIC), 1);
    uint64_t val;
    uint32_t msr;

    for (msr = 0x40000080; msr <= 0x4000009f; msr++) {
        bool assigned = msr <= 0x40000084 || msr >= 0x40000090;

        g_assert_cmpint(rd(without, msr, &val), ==, HV_MSR_GP);
        g_assert_cmpint(wr(without, msr, 0x10000), ==, HV_MSR_GP);
        g_assert_cmpint(rd(with, msr, &val), ==,
                        assigned ? HV_MSR_OK : HV_MSR_GP);
        g_assert_cmpint(hv_partition_msr_exposed(&with->part, msr), ==,
                        assigned);
    }
    g_assert_cmpuint(without->synic_update_count + without->sint_ack_count +
                     without->n_writes + without->n_reads, ==, 0);
    fake_free(without);
    fake_free(with);
}

/* TLFS: all 0 at VP creation and reset, SINTx 0x10000; SVERSION is 1 */
static void test_reset_values(void)
{
    Fake *f = synic_fake();
    uint64_t val;
    int vp, n;

    for (vp = 0; vp < 4; vp++) {
        g_assert_cmpint(rd_vp(f, vp, SCONTROL, &val), ==, HV_MSR_OK);
        check_hex64("SCONTROL", val, 0);
        g_assert_cmpint(rd_vp(f, vp, SVERSION, &val), ==, HV_MSR_OK);
        check_hex64("SVERSION", val, 1);
        g_assert_cmpint(rd_vp(f, vp, SIEFP, &val), ==, HV_MSR_OK);
        check_hex64("SIEFP", val, 0);
        g_assert_cmpint(rd_vp(f, vp, SIMP, &val), ==, HV_MSR_OK);
        check_hex64("SIMP", val, 0);
        g_assert_cmpint(rd_vp(f, vp, EOM, &val), ==, HV_MSR_OK);
        check_hex64("EOM", val, 0);
        for (n = 0; n < 16; n++) {
            g_assert_cmpint(rd_vp(f, vp, SINT(n), &val), ==, HV_MSR_OK);
            check_hex64("SINTx", val, 0x10000);
        }
    }
    fake_free(f);
}

static void test_scontrol(void)
{
    Fake *f = synic_fake();
    int b;

    g_assert_cmpint(wr(f, SCONTROL, 1), ==, HV_MSR_OK);
    check_hex64("SCONTROL", rd_ok(f, SCONTROL), 1);
    g_assert_cmpuint(f->synic_update_count, ==, 1);
    g_assert_true(f->synic_update_vp == &f->vp[0]);
    check_hex64("SCONTROL at synic_update", f->synic_update_scontrol, 1);
    /* Per VP */
    check_hex64("VP1 SCONTROL", f->vp[1].scontrol, 0);

    /* Bits 63:1 are RsvdP: stored and read back, as KVM does */
    for (b = 1; b < 64; b++) {
        g_assert_cmpint(wr(f, SCONTROL, 1 | BIT64(b)), ==, HV_MSR_OK);
        check_hex64("SCONTROL", rd_ok(f, SCONTROL), 1 | BIT64(b));
        g_assert_true(f->vp[0].scontrol & 1);
    }
    g_assert_cmpint(wr(f, SCONTROL, BIT64(5)), ==, HV_MSR_OK);
    check_hex64("SCONTROL", rd_ok(f, SCONTROL), BIT64(5));
    g_assert_cmpint(wr(f, SCONTROL, 1), ==, HV_MSR_OK);
    check_hex64("SCONTROL", rd_ok(f, SCONTROL), 1);
    g_assert_cmpuint(f->synic_update_count, ==, 1 + 63 + 2);

    g_assert_cmpint(wr(f, SCONTROL, 0), ==, HV_MSR_OK);
    check_hex64("SCONTROL", rd_ok(f, SCONTROL), 0);
    g_assert_cmpuint(f->synic_update_count, ==, 1 + 63 + 3);
    g_assert_cmpuint(f->n_writes + f->n_reads, ==, 0);
    fake_free(f);
}

/* TLFS: SVERSION is read-only, "Attempts to write ... result in a #GP" */
static void test_sversion(void)
{
    Fake *f = synic_fake();

    g_assert_cmpint(wr(f, SVERSION, 1), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, SVERSION, 0), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, SVERSION, 2), ==, HV_MSR_GP);
    check_hex64("SVERSION", rd_ok(f, SVERSION), 1);
    fake_free(f);
}

/*
 * SIMP / SIEFP: enable bit 0, GPA 63:12, bits 11:1 reserved (#GP).  A page
 * that appears is cleared after the glue placed it (KVM's SynIC); the
 * same value written again clears nothing.
 */
static void check_page_msr(uint32_t msr)
{
    Fake *f = synic_fake();
    uint64_t *reg = msr == SIMP ? &f->vp[0].simp : &f->vp[0].siefp;
    int b;

    memset(f->ram + 0x10000, 0xa5, 0x4000);
    g_assert_cmpint(wr(f, msr, 0x10001), ==, HV_MSR_OK);
    check_hex64("page MSR", rd_ok(f, msr), 0x10001);
    g_assert_true(page_is(f, 0x10000, 0));
    g_assert_true(page_is(f, 0x11000, 0xa5));
    g_assert_true(page_is(f, 0xf000, 0));
    g_assert_cmpuint(f->ram[0xffff], ==, 0);
    /* The glue placed the page before it was cleared */
    g_assert_cmpuint(f->synic_update_count, ==, 1);
    g_assert_cmpuint(f->synic_update_n_writes, ==, 0);
    check_hex64("SIMP/SIEFP at synic_update",
                msr == SIMP ? f->synic_update_simp : f->synic_update_siefp,
                0x10001);
    g_assert_cmpuint(f->n_writes, ==, 1);
    g_assert_cmphex(f->writes[0].gpa, ==, 0x10000);
    g_assert_cmphex(f->writes[0].len, ==, 0x1000);

    /* The same value again: the glue hears of it, the page stays */
    memset(f->ram + 0x10000, 0x5a, 0x1000);
    fake_clear_log(f);
    g_assert_cmpint(wr(f, msr, 0x10001), ==, HV_MSR_OK);
    g_assert_cmpuint(f->synic_update_count, ==, 2);
    g_assert_cmpuint(f->n_writes, ==, 0);
    g_assert_true(page_is(f, 0x10000, 0x5a));

    /* Disabled: the address stays, nothing is cleared */
    g_assert_cmpint(wr(f, msr, 0x10000), ==, HV_MSR_OK);
    check_hex64("page MSR", rd_ok(f, msr), 0x10000);
    g_assert_cmpuint(f->n_writes, ==, 0);
    g_assert_cmpuint(f->synic_update_count, ==, 3);

    /* Enabled again: cleared again */
    g_assert_cmpint(wr(f, msr, 0x10001), ==, HV_MSR_OK);
    g_assert_true(page_is(f, 0x10000, 0));

    /* Moved while enabled: the new page is cleared, the old one kept */
    memset(f->ram + 0x10000, 0x77, 0x3000);
    g_assert_cmpint(wr(f, msr, 0x12001), ==, HV_MSR_OK);
    g_assert_true(page_is(f, 0x12000, 0));
    g_assert_true(page_is(f, 0x10000, 0x77));

    /*
     * Bits 11:1 are RsvdP: stored and read back (KVM); the page stays
     * where it is, so nothing is cleared
     */
    f->synic_update_count = 0;
    memset(f->ram + 0x12000, 0x55, 0x1000);
    fake_clear_log(f);
    for (b = 1; b < 12; b++) {
        g_assert_cmpint(wr(f, msr, 0x12001 | BIT64(b)), ==, HV_MSR_OK);
        check_hex64("page MSR", rd_ok(f, msr), 0x12001 | BIT64(b));
    }
    g_assert_cmpint(wr(f, msr, 0x12001), ==, HV_MSR_OK);
    check_hex64("page MSR", rd_ok(f, msr), 0x12001);
    g_assert_true(page_is(f, 0x12000, 0x55));
    g_assert_cmpuint(f->n_writes, ==, 0);

    /* High GPA bits are the address, not reserved */
    g_assert_cmpint(wr(f, msr, 0xfffffffffffff000ull), ==, HV_MSR_OK);
    check_hex64("page MSR", rd_ok(f, msr), 0xfffffffffffff000ull);

    /*
     * Not RAM (the MMIO hole, beyond RAM): #GP as KVM, and the register
     * keeps its value; the glue is told twice (placed, then put back).
     */
    g_assert_cmpint(wr(f, msr, 0x12001), ==, HV_MSR_OK);
    f->synic_update_count = 0;
    g_assert_cmpint(wr(f, msr, 0x200001), ==, HV_MSR_GP);
    check_hex64("page MSR", rd_ok(f, msr), 0x12001);
    check_hex64("page MSR field", *reg, 0x12001);
    g_assert_cmpuint(f->synic_update_count, ==, 2);
    check_hex64("SIMP/SIEFP at last synic_update",
                msr == SIMP ? f->synic_update_simp : f->synic_update_siefp,
                0x12001);
    g_assert_cmpint(wr(f, msr, 0x100000000001ull), ==, HV_MSR_GP);
    check_hex64("page MSR", rd_ok(f, msr), 0x12001);
    /* Disabling a page that is not RAM is fine */
    g_assert_cmpint(wr(f, msr, 0x200000), ==, HV_MSR_OK);

    /* Other VPs are not affected */
    check_hex64("VP1 page MSR", msr == SIMP ? f->vp[1].simp : f->vp[1].siefp,
                0);
    fake_free(f);
}

static void test_simp(void)
{
    check_page_msr(SIMP);
}

static void test_siefp(void)
{
    check_page_msr(SIEFP);
}

/* KVM_CAP_HYPERV_SYNIC2: enabling leaves the page as it is */
static void test_keep_pages(void)
{
    Fake *f = synic_fake();

    f->part.synic_keep_pages = true;
    memset(f->ram + 0x10000, 0xa5, 0x2000);
    g_assert_cmpint(wr(f, SIMP, 0x10001), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SIEFP, 0x11001), ==, HV_MSR_OK);
    g_assert_true(page_is(f, 0x10000, 0xa5));
    g_assert_true(page_is(f, 0x11000, 0xa5));
    g_assert_cmpuint(f->n_writes, ==, 0);
    /* Nothing written, so nothing fails where there is no RAM */
    g_assert_cmpint(wr(f, SIMP, 0x200001), ==, HV_MSR_OK);
    check_hex64("SIMP", rd_ok(f, SIMP), 0x200001);
    fake_free(f);
}

/*
 * SINTx: vector 7:0, Masked 16, AutoEOI 17, Polling 18; bits 15:8 and
 * 63:19 reserved.  TLFS: vectors 0-15 #GP; KVM lets a masked SINT have
 * one (nested Hyper-V writes 0x10000).
 */
static void test_sint_msr(void)
{
    static const uint64_t ok[] = {
        0x30, 0x10, 0xff, 0x10000, 0x10005, 0x1000f, 0x30040, 0x70040,
        0x60020, 0x40010, 0x20010, 0x100ff,
    };
    static const uint64_t bad_vector[] = {
        0x0, 0x1, 0xf, 0x20000, 0x2000f, 0x40000, 0x40005, 0x60002,
    };
    Fake *f = synic_fake();
    size_t i;
    int n, b;

    for (n = 0; n < 16; n++) {
        for (i = 0; i < ARRAY_LEN(ok); i++) {
            g_assert_cmpint(wr(f, SINT(n), ok[i]), ==, HV_MSR_OK);
            check_hex64("SINTx", rd_ok(f, SINT(n)), ok[i]);
        }
        g_assert_cmpint(wr(f, SINT(n), 0x10000 | (n + 0x20)), ==,
                        HV_MSR_OK);
        for (i = 0; i < ARRAY_LEN(bad_vector); i++) {
            g_assert_cmpint(wr(f, SINT(n), bad_vector[i]), ==, HV_MSR_GP);
        }
        check_hex64("SINTx after #GP", rd_ok(f, SINT(n)), 0x10000 | (n + 0x20));
        /* Bits 15:8 and 63:19 are RsvdP: stored and read back (KVM) */
        for (b = 8; b < 64; b++) {
            if (b >= 16 && b < 19) {
                continue;
            }
            g_assert_cmpint(wr(f, SINT(n), 0x40 | BIT64(b)), ==, HV_MSR_OK);
            check_hex64("SINTx", rd_ok(f, SINT(n)), 0x40 | BIT64(b));
            g_assert_true(hv_synic_vector_is_sint(&f->vp[0], 0x40));
            g_assert_cmpint(wr(f, SINT(n), 0x10040 | BIT64(b)), ==,
                            HV_MSR_OK);
            check_hex64("SINTx", rd_ok(f, SINT(n)), 0x10040 | BIT64(b));
        }
        g_assert_cmpint(wr(f, SINT(n), 0x10000 | (n + 0x20)), ==,
                        HV_MSR_OK);
    }
    /* Per VP */
    for (n = 0; n < 16; n++) {
        check_hex64("VP1 SINTx", f->vp[1].sint[n], 0x10000);
    }
    g_assert_cmpuint(f->n_writes + f->n_reads + f->irq_count, ==, 0);
    fake_free(f);
}

/* Check the vectors of @vp that are SINT / AutoEOI vectors, exactly */
static void check_vectors(Fake *f, const int *sint_vecs, int n_sint,
                          const int *aeoi_vecs, int n_aeoi)
{
    int v, i;

    for (v = 0; v < 256; v++) {
        bool want_sint = false, want_aeoi = false;

        for (i = 0; i < n_sint; i++) {
            want_sint |= sint_vecs[i] == v;
        }
        for (i = 0; i < n_aeoi; i++) {
            want_aeoi |= aeoi_vecs[i] == v;
        }
        if (hv_synic_vector_is_sint(&f->vp[0], v) != want_sint ||
            hv_synic_vector_is_auto_eoi(&f->vp[0], v) != want_aeoi) {
            g_test_fail_printf("vector 0x%x: SINT %d AutoEOI %d, expected "
                               "%d %d", v,
                               hv_synic_vector_is_sint(&f->vp[0], v),
                               hv_synic_vector_is_auto_eoi(&f->vp[0], v),
                               want_sint, want_aeoi);
        }
    }
}

static void test_auto_eoi_bitmap(void)
{
    Fake *f = synic_fake();

    check_vectors(f, NULL, 0, NULL, 0);

    /* SINT2: vector 0x40, AutoEOI */
    g_assert_cmpint(wr(f, SINT(2), 0x20040), ==, HV_MSR_OK);
    check_vectors(f, (int[]){ 0x40 }, 1, (int[]){ 0x40 }, 1);

    /* SINT3 shares the vector without AutoEOI: any AutoEOI one wins */
    g_assert_cmpint(wr(f, SINT(3), 0x40), ==, HV_MSR_OK);
    check_vectors(f, (int[]){ 0x40 }, 1, (int[]){ 0x40 }, 1);

    /* SINT2 masked: SINT3 still has the vector, without AutoEOI */
    g_assert_cmpint(wr(f, SINT(2), 0x30040), ==, HV_MSR_OK);
    check_vectors(f, (int[]){ 0x40 }, 1, NULL, 0);

    /* SINT3 moves to 0x41: 0x40 is nobody's any more */
    g_assert_cmpint(wr(f, SINT(3), 0x41), ==, HV_MSR_OK);
    check_vectors(f, (int[]){ 0x41 }, 1, NULL, 0);

    /* A polling SINT never interrupts: its vector is not a SINT vector */
    g_assert_cmpint(wr(f, SINT(4), 0x60050), ==, HV_MSR_OK);
    check_vectors(f, (int[]){ 0x41 }, 1, NULL, 0);

    /* SINT15 AutoEOI at 0xff, SINT0 at 0x10 */
    g_assert_cmpint(wr(f, SINT(15), 0x200ff), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(0), 0x10), ==, HV_MSR_OK);
    check_vectors(f, (int[]){ 0x10, 0x41, 0xff }, 3, (int[]){ 0xff }, 1);

    /* Back to masked: nothing */
    g_assert_cmpint(wr(f, SINT(15), 0x10000), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(0), 0x10000), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(3), 0x10041), ==, HV_MSR_OK);
    check_vectors(f, NULL, 0, NULL, 0);
    fake_free(f);
}

static void test_set_sint(void)
{
    Fake *f = synic_fake();
    HvVp *vp = &f->vp[0];

    g_assert_cmpint(wr(f, SINT(4), 0x31), ==, HV_MSR_OK);
    /* SynIC off: nothing is directed to the VP */
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 4), ==,
                    HV_SYNIC_DISABLED);
    g_assert_cmpuint(f->irq_count, ==, 0);

    g_assert_cmpint(wr(f, SCONTROL, 1), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 4), ==,
                    HV_SYNIC_OK);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_true(f->last_irq.vp == vp);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x31);
    g_assert_false(f->last_irq.auto_eoi);

    /* AutoEOI is passed along */
    g_assert_cmpint(wr(f, SINT(5), 0x20032), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 5), ==,
                    HV_SYNIC_OK);
    g_assert_cmpuint(f->irq_count, ==, 2);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x32);
    g_assert_true(f->last_irq.auto_eoi);

    /* Masked (the reset value) and polling: no interrupt */
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 6), ==,
                    HV_SYNIC_NO_IRQ);
    g_assert_cmpint(wr(f, SINT(7), 0x40033), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 7), ==,
                    HV_SYNIC_NO_IRQ);
    g_assert_cmpint(wr(f, SINT(4), 0x10031), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 4), ==,
                    HV_SYNIC_NO_IRQ);
    g_assert_cmpuint(f->irq_count, ==, 2);

    /* There are 16 SINTs */
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 16), ==,
                    HV_SYNIC_INVALID);
    g_assert_cmpint(hv_synic_set_sint(&f->part, vp, &f->ops, 0xffffffff),
                    ==, HV_SYNIC_INVALID);

    /* Another VP has its own SynIC, still off */
    g_assert_cmpint(wr_vp(f, 1, SINT(5), 0x20032), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_sint(&f->part, &f->vp[1], &f->ops, 5), ==,
                    HV_SYNIC_DISABLED);
    g_assert_cmpuint(f->irq_count, ==, 2);
    g_assert_cmpuint(f->n_writes + f->n_reads, ==, 0);
    fake_free(f);
}

/* EOM: a write acknowledges every SINT (KVM); reads give 0 (TLFS) */
static void test_eom(void)
{
    Fake *f = synic_on_fake();
    int n;

    g_assert_cmpint(wr(f, EOM, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(f->sint_ack_count, ==, 16);
    for (n = 0; n < 16; n++) {
        g_assert_cmpuint(f->sint_acks[n], ==, 1);
    }
    g_assert_true(f->sint_ack_vp == &f->vp[0]);
    /* The value is ignored (KVM) */
    g_assert_cmpint(wr(f, EOM, 0xffffffffffffffffull), ==, HV_MSR_OK);
    g_assert_cmpuint(f->sint_ack_count, ==, 32);
    check_hex64("EOM", rd_ok(f, EOM), 0);
    /* With no timer message queued, no memory is touched */
    g_assert_cmpuint(f->n_writes + f->n_reads + f->irq_count, ==, 0);

    g_assert_cmpint(wr_vp(f, 2, EOM, 0), ==, HV_MSR_OK);
    g_assert_true(f->sint_ack_vp == &f->vp[2]);
    fake_free(f);
}

/* EOI of a SINT vector acknowledges the unmasked SINTs with it (KVM) */
static void test_eoi(void)
{
    Fake *f = synic_on_fake();
    int n;

    g_assert_cmpint(wr(f, SINT(1), 0x40), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(5), 0x40), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(7), 0x41), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(9), 0x10040), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(11), 0x40040), ==, HV_MSR_OK);

    hv_synic_eoi(&f->part, &f->vp[0], &f->ops, 0x40);
    g_assert_cmpuint(f->sint_ack_count, ==, 2);
    for (n = 0; n < 16; n++) {
        g_assert_cmpuint(f->sint_acks[n], ==, n == 1 || n == 5);
    }

    hv_synic_eoi(&f->part, &f->vp[0], &f->ops, 0x41);
    g_assert_cmpuint(f->sint_ack_count, ==, 3);
    g_assert_cmpuint(f->sint_acks[7], ==, 1);

    /* Not a SINT vector: nothing */
    hv_synic_eoi(&f->part, &f->vp[0], &f->ops, 0x42);
    hv_synic_eoi(&f->part, &f->vp[0], &f->ops, 0x00);
    hv_synic_eoi(&f->part, &f->vp[1], &f->ops, 0x40);
    g_assert_cmpuint(f->sint_ack_count, ==, 3);
    g_assert_cmpuint(f->n_writes + f->n_reads, ==, 0);
    fake_free(f);
}

static void fill_msg(struct hyperv_message *msg, uint32_t type,
                     uint8_t size)
{
    int i;

    memset(msg, 0, sizeof(*msg));
    msg->header.message_type = type;
    msg->header.payload_size = size;
    msg->header.message_flags = 0xff;   /* the sender's flags don't count */
    msg->header.sender = 0x1122334455667788ull;
    for (i = 0; i < 240; i++) {
        msg->payload[i] = i + 1;
    }
}

/*
 * An empty slot (type 0) gets payload_size payload bytes, the header
 * (flags 0) and the type last; then the SINT interrupts.
 */
static void test_message_deliver(void)
{
    Fake *f = synic_on_fake();
    struct hyperv_message msg;
    uint64_t slot = SLOT(3);
    int i;

    g_assert_cmpint(wr(f, SINT(3), 0x35), ==, HV_MSR_OK);
    memset(f->ram + slot, 0xee, 256);
    fake_put64(f, slot, 0);             /* type 0: empty */
    fill_msg(&msg, 0x1234, 8);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 3,
                                          &msg), ==, HV_SYNIC_OK);

    g_assert_cmphex(fake_get32(f, slot), ==, 0x1234);
    g_assert_cmphex(f->ram[slot + 4], ==, 8);
    g_assert_cmphex(f->ram[slot + 5], ==, 0);
    g_assert_cmphex(f->ram[slot + 6], ==, 0);
    g_assert_cmphex(f->ram[slot + 7], ==, 0);
    check_hex64("sender", fake_get64(f, slot + 8), 0x1122334455667788ull);
    for (i = 0; i < 8; i++) {
        g_assert_cmphex(f->ram[slot + 16 + i], ==, i + 1);
    }
    /* TLFS: only payload_size bytes are copied */
    for (i = 8; i < 240; i++) {
        g_assert_cmphex(f->ram[slot + 16 + i], ==, 0xee);
    }
    /* The neighbours are untouched */
    g_assert_cmphex(f->ram[slot - 1], ==, 0);
    g_assert_cmphex(f->ram[slot + 256], ==, 0);

    /* The guest polls the type: it is written last, on its own */
    g_assert_cmpuint(f->n_writes, >=, 2);
    g_assert_cmphex(f->writes[f->n_writes - 1].gpa, ==, slot);
    g_assert_cmphex(f->writes[f->n_writes - 1].len, ==, 4);
    for (i = 0; i < (int)f->n_writes - 1; i++) {
        g_assert_cmphex(f->writes[i].gpa, >=, slot + 4);
    }

    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x35);

    /* A full payload, on SINT15 */
    g_assert_cmpint(wr(f, SINT(15), 0x20036), ==, HV_MSR_OK);
    fill_msg(&msg, 0x80000010, 240);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 15,
                                          &msg), ==, HV_SYNIC_OK);
    g_assert_cmphex(fake_get32(f, SLOT(15)), ==, 0x80000010);
    g_assert_cmphex(f->ram[SLOT(15) + 4], ==, 240);
    g_assert_cmphex(f->ram[SLOT(15) + 255], ==, 240);
    g_assert_cmpuint(f->irq_count, ==, 2);
    g_assert_true(f->last_irq.auto_eoi);
    fake_free(f);
}

/* A full slot: PENDING (bit 0 of the flags) is set, nothing else moves */
static void check_busy(bool atomic)
{
    Fake *f = synic_on_fake();
    struct hyperv_message msg;
    uint64_t slot = SLOT(2);
    uint8_t before[256];

    if (atomic) {
        f->ops.fetch_or_gpa8 = fake_fetch_or_gpa8;
    }
    g_assert_cmpint(wr(f, SINT(2), 0x42), ==, HV_MSR_OK);
    memset(f->ram + slot, 0x33, 256);
    fake_put32(f, slot, 1);
    f->ram[slot + 5] = 0x02;
    memcpy(before, f->ram + slot, 256);

    fill_msg(&msg, 0x1234, 16);
    fake_clear_log(f);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_BUSY);
    g_assert_cmphex(f->ram[slot + 5], ==, 0x03);
    before[5] = 0x03;
    g_assert_cmpint(memcmp(before, f->ram + slot, 256), ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 0);
    if (atomic) {
        g_assert_cmpuint(f->fetch_or_count, ==, 1);
        g_assert_cmpuint(f->n_writes, ==, 0);
    } else {
        g_assert_cmpuint(f->n_writes, ==, 1);
        g_assert_cmphex(f->writes[0].gpa, ==, slot + 5);
        g_assert_cmphex(f->writes[0].len, ==, 1);
        /*
         * TLFS order: PENDING is set before message_type is read, so a
         * guest emptying the slot in between still sees it
         */
        g_assert_cmpuint(f->n_reads, >=, 1);
        g_assert_cmphex(f->reads[f->n_reads - 1].gpa, ==, slot);
        g_assert_cmpuint(f->writes[0].seq, <, f->reads[f->n_reads - 1].seq);
    }

    /* Again: still busy, the flag stays */
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_BUSY);
    g_assert_cmphex(f->ram[slot + 5], ==, 0x03);

    /* The guest empties the slot: delivered, flags cleared */
    fake_put32(f, slot, 0);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_OK);
    g_assert_cmphex(fake_get32(f, slot), ==, 0x1234);
    g_assert_cmphex(f->ram[slot + 5], ==, 0);
    g_assert_cmphex(f->ram[slot + 16], ==, 1);
    g_assert_cmpuint(f->irq_count, ==, 1);
    fake_free(f);
}

static void test_message_busy(void)
{
    check_busy(false);
}

static void test_message_busy_atomic(void)
{
    check_busy(true);
}

static void test_message_not_delivered(void)
{
    Fake *f = synic_on_fake();
    struct hyperv_message msg;

    fill_msg(&msg, 0x1234, 16);
    g_assert_cmpint(wr(f, SINT(2), 0x42), ==, HV_MSR_OK);

    /* Bad arguments */
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 16,
                                          &msg), ==, HV_SYNIC_INVALID);
    msg.header.payload_size = 241;
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_INVALID);
    fill_msg(&msg, 0, 16);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_INVALID);
    g_assert_cmpuint(f->n_writes + f->n_reads, ==, 0);

    /* SynIC or message page disabled */
    fill_msg(&msg, 0x1234, 16);
    g_assert_cmpint(wr(f, SCONTROL, 0), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_DISABLED);
    g_assert_cmpint(wr(f, SCONTROL, 1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SIMP, MSG_PAGE), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_DISABLED);
    g_assert_cmpuint(f->n_writes + f->n_reads + f->irq_count, ==, 0);

    /* TLFS: a masked SINT still gets the message, the interrupt is lost */
    g_assert_cmpint(wr(f, SIMP, MSG_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SINT(2), 0x10042), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_NO_IRQ);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0x1234);
    g_assert_cmpuint(f->irq_count, ==, 0);

    /* A page that is not RAM (only possible when pages are kept) */
    f->part.synic_keep_pages = true;
    g_assert_cmpint(wr(f, SIMP, 0x200001), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_post_message(&f->part, &f->vp[0], &f->ops, 2,
                                          &msg), ==, HV_SYNIC_FAULT);
    fake_free(f);
}

/* Event flags: flag n of SINTx is bit n % 8 of byte x * 256 + n / 8 */
static void check_event_flags(bool atomic)
{
    Fake *f = synic_on_fake();
    HvVp *vp = &f->vp[0];

    if (atomic) {
        f->ops.fetch_or_gpa8 = fake_fetch_or_gpa8;
    }
    g_assert_cmpint(wr(f, SINT(2), 0x52), ==, HV_MSR_OK);

    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 0),
                    ==, HV_SYNIC_OK);
    g_assert_cmphex(f->ram[EVT_PAGE + 0x200], ==, 0x01);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x52);

    /* Already set: no second interrupt */
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 0),
                    ==, HV_SYNIC_OK);
    g_assert_cmpuint(f->irq_count, ==, 1);

    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 13),
                    ==, HV_SYNIC_OK);
    g_assert_cmphex(f->ram[EVT_PAGE + 0x201], ==, 0x20);
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 2047),
                    ==, HV_SYNIC_OK);
    g_assert_cmphex(f->ram[EVT_PAGE + 0x2ff], ==, 0x80);
    g_assert_cmpuint(f->irq_count, ==, 3);
    /* Other bits survive */
    g_assert_cmphex(f->ram[EVT_PAGE + 0x200], ==, 0x01);
    g_assert_cmphex(f->ram[EVT_PAGE + 0x1ff], ==, 0);
    g_assert_cmphex(f->ram[EVT_PAGE + 0x300], ==, 0);

    /* Out of range */
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 2048),
                    ==, HV_SYNIC_INVALID);
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 16, 0),
                    ==, HV_SYNIC_INVALID);

    /* A masked SINT: the flag is set, no interrupt */
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 9, 8),
                    ==, HV_SYNIC_NO_IRQ);
    g_assert_cmphex(f->ram[EVT_PAGE + 0x901], ==, 0x01);
    g_assert_cmpuint(f->irq_count, ==, 3);
    if (atomic) {
        g_assert_cmpuint(f->fetch_or_count, ==, 5);
    }

    /* Page or SynIC disabled */
    g_assert_cmpint(wr(f, SIEFP, EVT_PAGE), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 1),
                    ==, HV_SYNIC_DISABLED);
    g_assert_cmpint(wr(f, SIEFP, EVT_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, SCONTROL, 0), ==, HV_MSR_OK);
    g_assert_cmpint(hv_synic_set_event_flag(&f->part, vp, &f->ops, 2, 1),
                    ==, HV_SYNIC_DISABLED);
    g_assert_cmpuint(f->irq_count, ==, 3);
    fake_free(f);
}

static void test_event_flags(void)
{
    check_event_flags(false);
}

static void test_event_flags_atomic(void)
{
    check_event_flags(true);
}

static void test_vp_reset(void)
{
    Fake *f = synic_on_fake();
    int n;

    for (n = 0; n < 16; n++) {
        g_assert_cmpint(wr(f, SINT(n), 0x20040 + n), ==, HV_MSR_OK);
    }
    hv_vp_reset(&f->vp[0], 7);
    check_hex64("SCONTROL", rd_ok(f, SCONTROL), 0);
    check_hex64("SIMP", rd_ok(f, SIMP), 0);
    check_hex64("SIEFP", rd_ok(f, SIEFP), 0);
    check_hex64("SVERSION", rd_ok(f, SVERSION), 1);
    for (n = 0; n < 16; n++) {
        check_hex64("SINTx", rd_ok(f, SINT(n)), 0x10000);
    }
    check_vectors(f, NULL, 0, NULL, 0);
    check_hex64("VP_INDEX", f->vp[0].vp_index, 7);
    fake_free(f);
}

/* Migration: the derived bitmaps come back, the glue is told the pages */
static void test_post_load(void)
{
    Fake *src = synic_on_fake();
    Fake *dst = synic_fake();

    g_assert_cmpint(wr(src, SINT(3), 0x20061), ==, HV_MSR_OK);
    g_assert_cmpint(wr(src, SINT(4), 0x62), ==, HV_MSR_OK);
    dst->vp[0] = src->vp[0];
    memset(dst->vp[0].sint_vectors, 0, sizeof(dst->vp[0].sint_vectors));
    memset(dst->vp[0].auto_eoi_vectors, 0,
           sizeof(dst->vp[0].auto_eoi_vectors));
    hv_vp_post_load(&dst->part, &dst->vp[0], &dst->ops);
    check_vectors(dst, (int[]){ 0x61, 0x62 }, 2, (int[]){ 0x61 }, 1);
    g_assert_cmpuint(dst->synic_update_count, ==, 1);
    check_hex64("SIMP at synic_update", dst->synic_update_simp,
                MSG_PAGE | 1);
    check_hex64("SIEFP at synic_update", dst->synic_update_siefp,
                EVT_PAGE | 1);
    /* Nothing is cleared or written on the way */
    g_assert_cmpuint(dst->n_writes, ==, 0);
    fake_free(src);
    fake_free(dst);
}

int main(int argc, char **argv)
{
    hv_unit_init(&argc, &argv);

    g_test_add_func("/synic/privilege", test_privilege);
    g_test_add_func("/synic/reset-values", test_reset_values);
    g_test_add_func("/synic/scontrol", test_scontrol);
    g_test_add_func("/synic/sversion", test_sversion);
    g_test_add_func("/synic/simp", test_simp);
    g_test_add_func("/synic/siefp", test_siefp);
    g_test_add_func("/synic/keep-pages", test_keep_pages);
    g_test_add_func("/synic/sint", test_sint_msr);
    g_test_add_func("/synic/auto-eoi-bitmap", test_auto_eoi_bitmap);
    g_test_add_func("/synic/set-sint", test_set_sint);
    g_test_add_func("/synic/eom", test_eom);
    g_test_add_func("/synic/eoi", test_eoi);
    g_test_add_func("/synic/message/deliver", test_message_deliver);
    g_test_add_func("/synic/message/busy", test_message_busy);
    g_test_add_func("/synic/message/busy-atomic", test_message_busy_atomic);
    g_test_add_func("/synic/message/not-delivered",
                    test_message_not_delivered);
    g_test_add_func("/synic/event-flags", test_event_flags);
    g_test_add_func("/synic/event-flags-atomic", test_event_flags_atomic);
    g_test_add_func("/synic/vp-reset", test_vp_reset);
    g_test_add_func("/synic/post-load", test_post_load);

    return g_test_run();
}
