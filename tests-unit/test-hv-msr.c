/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: synthetic MSRs, reset, the reference time and
 * the reference TSC page (hv-msr.c).
 *
 * Expected values are literals from the TLFS ("Partition Reference Time
 * Enlightenment", "Hypercall Interface", the MSR definitions) and, for the
 * corner cases the TLFS leaves open, Linux KVM's arch/x86/kvm/hyperv.c.
 * MSR numbers and feature bit numbers are written as numbers, not with
 * the model's macros.  TSC page scales were worked out independently:
 * (10^7 << 64) / frequency, truncated.
 */

#include "hv-fake.h"

/* Feature bit numbers (X86CPU::hyperv_features) */
#define F_RELAXED       0
#define F_VAPIC         1
#define F_TIME          2
#define F_CRASH         3
#define F_RESET         4
#define F_VPINDEX       5
#define F_RUNTIME       6
#define F_SYNIC         7
#define F_STIMER        8
#define F_FREQUENCIES   9
#define F_REENLIGHT     10
#define F_SYNDBG        16
#define F_INVTSC        21
#define F_GUEST_IDLE    22

#define TSC_PAGE        0x5000ull

static HvMsrResult rd(Fake *f, uint32_t msr, uint64_t *val)
{
    return hv_msr_read(&f->part, &f->vp[0], &f->ops, msr, val);
}

static HvMsrResult wr(Fake *f, uint32_t msr, uint64_t val)
{
    return hv_msr_write(&f->part, &f->vp[0], &f->ops, msr, val);
}

/* Read an MSR that must be readable */
static uint64_t rd_ok(Fake *f, uint32_t msr)
{
    uint64_t val = 0xdeadbeefdeadbeefull;

    g_assert_cmpint(rd(f, msr, &val), ==, HV_MSR_OK);
    return val;
}

/* What a guest computes from the TSC page (TLFS): 0 sequence = invalid */
static bool guest_page_time(Fake *f, uint64_t page, uint64_t tsc,
                            uint64_t *time)
{
    uint32_t seq = fake_get32(f, page);
    uint64_t scale = fake_get64(f, page + 8);
    uint64_t offset = fake_get64(f, page + 16);

    if (!seq) {
        return false;
    }
    *time = (uint64_t)(((unsigned __int128)tsc * scale) >> 64) + offset;
    return true;
}

/* MSRs outside the synthetic range 0x40000000-0x400001FF */
static void test_not_hyperv(void)
{
    static const uint32_t others[] = {
        0x00000010, 0x3fffffff, 0x40000200, 0x4b564d00,
        0xc0000080, 0xffffffff,
    };
    Fake *f = fake_new(HV_FEAT_ALL, 1);
    uint64_t val = 0;
    size_t i;

    for (i = 0; i < ARRAY_LEN(others); i++) {
        g_assert_cmpint(rd(f, others[i], &val), ==, HV_MSR_NOT_HYPERV);
        g_assert_cmpint(wr(f, others[i], 0), ==, HV_MSR_NOT_HYPERV);
        g_assert_false(hv_partition_msr_exposed(&f->part, others[i]));
    }
    /* Inside the range but unassigned: #GP, not someone else's MSR */
    g_assert_cmpint(rd(f, 0x400000fe, &val), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000004, 0), ==, HV_MSR_GP);
    fake_free(f);
}

/*
 * 0x40000109-0x400001FF: no MSR of this core's, yet the hypervisor's
 * range, so #GP as KVM gives, never the CPU's own RDMSR (0) / WRMSR
 * (ignored).  Whatever the privileges and hv-enforce-cpuid.
 */
static void test_unassigned_high_range(void)
{
    static const uint32_t high[] = {
        0x40000109, 0x40000114, 0x40000115, 0x40000117, 0x40000119,
        0x40000180, 0x400001f0, 0x400001ff,
    };
    int enforce;
    size_t i;

    for (enforce = 0; enforce <= 1; enforce++) {
        Fake *f = fake_new(HV_FEAT_ALL, 1);
        uint64_t val = 0x1234;

        f->part.enforce_cpuid = enforce;
        for (i = 0; i < ARRAY_LEN(high); i++) {
            g_assert_cmpint(rd(f, high[i], &val), ==, HV_MSR_GP);
            g_assert_cmpint(wr(f, high[i], 0), ==, HV_MSR_GP);
            g_assert_cmpint(wr(f, high[i], 1), ==, HV_MSR_GP);
        }
        g_assert_cmphex(val, ==, 0x1234);
        g_assert_cmpuint(f->n_writes, ==, 0);
        fake_free(f);
    }
}

/* Which feature unlocks which MSR (TLFS privilege bits, KVM's check) */
static const struct {
    uint32_t msr;
    int feat;
    bool write_only;
} msr_features[] = {
    { 0x40000002, F_VPINDEX, false },
    { 0x40000003, F_RESET, false },
    { 0x40000010, F_RUNTIME, false },
    { 0x40000020, F_TIME, false },
    { 0x40000021, F_TIME, false },
    { 0x40000022, F_FREQUENCIES, false },
    { 0x40000023, F_FREQUENCIES, false },
    { 0x40000070, F_VAPIC, true },
    { 0x40000071, F_VAPIC, false },
    { 0x40000072, F_VAPIC, false },
    { 0x40000073, F_VAPIC, false },
    { 0x40000100, F_CRASH, false },
    { 0x40000101, F_CRASH, false },
    { 0x40000102, F_CRASH, false },
    { 0x40000103, F_CRASH, false },
    { 0x40000104, F_CRASH, false },
    { 0x40000105, F_CRASH, false },
    { 0x40000106, F_REENLIGHT, false },
    { 0x40000107, F_REENLIGHT, false },
    { 0x40000108, F_REENLIGHT, false },
    { 0x40000118, F_INVTSC, false },
};

/* hv-enforce-cpuid=on: KVM's hv_check_msr_access() */
static void test_privilege(void)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(msr_features); i++) {
        uint32_t msr = msr_features[i].msr;
        uint64_t feat = BIT64(msr_features[i].feat);
        Fake *without = fake_new(HV_FEAT_ALL & ~feat, 1);
        Fake *with = fake_new(feat, 1);
        uint64_t val = 0;

        without->part.enforce_cpuid = true;
        with->part.enforce_cpuid = true;
        /* Not exposed: #GP both ways, and nothing happens */
        g_assert_false(hv_partition_msr_exposed(&without->part, msr));
        g_assert_cmpint(rd(without, msr, &val), ==, HV_MSR_GP);
        g_assert_cmpint(wr(without, msr, 0), ==, HV_MSR_GP);
        g_assert_cmpuint(without->eoi_count + without->reset_count +
                         without->crash_count + without->n_writes, ==, 0);

        /* Exposed by its own feature alone */
        g_assert_true(hv_partition_msr_exposed(&with->part, msr));
        if (!msr_features[i].write_only) {
            g_assert_cmpint(rd(with, msr, &val), ==, HV_MSR_OK);
        } else {
            g_assert_cmpint(wr(with, msr, 0), ==, HV_MSR_OK);
        }
        fake_free(without);
        fake_free(with);
    }
}

/*
 * hv-enforce-cpuid=off, QEMU's default: KVM without
 * KVM_CAP_HYPERV_ENFORCE_CPUID answers every MSR it keeps state for,
 * whatever the guest's CPUID says.  libvirt's usual Windows set
 * (relaxed, vapic, spinlocks, time) has no hv-vpindex, yet the guest
 * reads its VP index; hv-relaxed alone still has the APIC MSRs.
 */
static void test_privilege_unenforced(void)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(msr_features); i++) {
        uint32_t msr = msr_features[i].msr;
        uint64_t feat = BIT64(msr_features[i].feat);
        Fake *without = fake_new(BIT64(F_RELAXED), 2);
        uint64_t val = 0;

        g_assert_true(hv_partition_msr_exposed(&without->part, msr));
        if (!msr_features[i].write_only) {
            g_assert_cmpint(rd(without, msr, &val), ==, HV_MSR_OK);
        } else {
            g_assert_cmpint(wr(without, msr, 0), ==, HV_MSR_OK);
        }
        (void)feat;
        fake_free(without);
    }
}

/*
 * ...but the SynIC and timer MSRs need an active SynIC (hv-synic), and
 * the synthetic debugger's need hv-syndbg, enforced or not (KVM).
 */
static void test_privilege_unenforced_synic(void)
{
    static const uint32_t synic_msrs[] = {
        0x40000080, 0x40000081, 0x40000082, 0x40000083, 0x40000084,
        0x40000090, 0x4000009f, 0x400000b0, 0x400000b7,
    };
    static const uint32_t stimer_msrs[] = { 0x400000b0, 0x400000b7 };
    static const uint32_t syndbg_msrs[] = {
        0x400000f1, 0x400000f2, 0x400000f3, 0x400000f4, 0x400000f5,
        0x400000ff,
    };
    Fake *none = fake_new(HV_FEAT_ALL & ~(BIT64(F_SYNIC) | BIT64(F_STIMER) |
                                          BIT64(F_SYNDBG)), 1);
    Fake *synic = fake_new(BIT64(F_SYNIC), 1);
    uint64_t val;
    size_t i;

    for (i = 0; i < ARRAY_LEN(synic_msrs); i++) {
        bool stimer = synic_msrs[i] >= 0x400000b0;

        /* KVM reads the timer MSRs without an active SynIC, as 0 */
        val = 1;
        g_assert_cmpint(rd(none, synic_msrs[i], &val), ==,
                        stimer ? HV_MSR_OK : HV_MSR_GP);
        g_assert_cmphex(val, ==, stimer ? 0 : 1);
        g_assert_cmpint(wr(none, synic_msrs[i], 0), ==, HV_MSR_GP);
        /* hv-synic alone brings the timer MSRs along (no enforcement) */
        g_assert_cmpint(rd(synic, synic_msrs[i], &val), ==, HV_MSR_OK);
    }
    /* ...but not when enforcing */
    none->part.enforce_cpuid = true;
    for (i = 0; i < ARRAY_LEN(stimer_msrs); i++) {
        g_assert_cmpint(rd(none, stimer_msrs[i], &val), ==, HV_MSR_GP);
    }
    for (i = 0; i < ARRAY_LEN(syndbg_msrs); i++) {
        g_assert_cmpint(rd(none, syndbg_msrs[i], &val), ==, HV_MSR_GP);
        g_assert_cmpint(wr(none, syndbg_msrs[i], 0), ==, HV_MSR_GP);
    }
    fake_free(none);
    fake_free(synic);
}

/* The VP index without hv-vpindex is the VP's own (KVM) */
static void test_vp_index_unenforced(void)
{
    Fake *f = fake_new(BIT64(F_RELAXED) | BIT64(F_VAPIC) | BIT64(F_TIME), 4);
    uint64_t val = 0;

    g_assert_cmpint(hv_msr_read(&f->part, &f->vp[3], &f->ops, 0x40000002,
                                &val), ==, HV_MSR_OK);
    g_assert_cmpuint(val, ==, 3);
    /* Still read-only for the guest */
    g_assert_cmpint(hv_msr_write(&f->part, &f->vp[3], &f->ops, 0x40000002,
                                 3), ==, HV_MSR_GP);
    fake_free(f);
}

/*
 * hv-invtsc: HV_X64_MSR_TSC_INVARIANT_CONTROL as KVM (Linux 6.3+) has it:
 * bit 0 only, not cleared again by the guest, 0 after a reset; CPUID
 * 0x80000007.EDX[8] hidden until it is set
 */
static void test_invtsc(void)
{
    Fake *f = fake_new(BIT64(F_INVTSC), 1);
    Fake *off = fake_new(BIT64(F_RELAXED), 1);
    uint64_t val;

    g_assert_cmpint(hv_invtsc_cpuid_bit(&f->part), ==, 0);
    g_assert_cmpint(hv_invtsc_cpuid_bit(&off->part), ==, -1);
    check_hex64("TSC_INVARIANT_CONTROL", rd_ok(f, 0x40000118), 0);
    g_assert_cmpint(wr(f, 0x40000118, 2), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000118, 3), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000118, 1ull << 63), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000118, 0), ==, HV_MSR_OK);
    g_assert_cmpint(hv_invtsc_cpuid_bit(&f->part), ==, 0);
    g_assert_cmpint(wr(f, 0x40000118, 1), ==, HV_MSR_OK);
    check_hex64("TSC_INVARIANT_CONTROL", rd_ok(f, 0x40000118), 1);
    g_assert_cmpint(hv_invtsc_cpuid_bit(&f->part), ==, 1);
    /* Once exposed, the invariant TSC stays */
    g_assert_cmpint(wr(f, 0x40000118, 0), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000118, 1), ==, HV_MSR_OK);
    check_hex64("TSC_INVARIANT_CONTROL", rd_ok(f, 0x40000118), 1);
    /* A reset starts the partition afresh */
    hv_partition_reset(&f->part, &f->ops);
    check_hex64("TSC_INVARIANT_CONTROL after reset", rd_ok(f, 0x40000118), 0);
    g_assert_cmpint(hv_invtsc_cpuid_bit(&f->part), ==, 0);

    /* Without hv-invtsc: #GP only with hv-enforce-cpuid (KVM) */
    off->part.enforce_cpuid = true;
    g_assert_cmpint(rd(off, 0x40000118, &val), ==, HV_MSR_GP);
    g_assert_cmpint(wr(off, 0x40000118, 1), ==, HV_MSR_GP);
    off->part.enforce_cpuid = false;
    g_assert_cmpint(wr(off, 0x40000118, 1), ==, HV_MSR_OK);
    g_assert_cmpint(hv_invtsc_cpuid_bit(&off->part), ==, -1);
    fake_free(f);
    fake_free(off);
}

/*
 * hv-guest-idle: a read of HV_X64_MSR_GUEST_IDLE returns 0 and asks the
 * glue to idle the reading VP; writes #GP (read-only).  KVM has no such
 * MSR, so without hv-guest-idle it #GPs even unenforced.
 */
static void test_guest_idle(void)
{
    Fake *f = fake_new(BIT64(F_GUEST_IDLE), 2);
    Fake *off = fake_new(HV_FEAT_ALL & ~BIT64(F_GUEST_IDLE), 1);
    uint64_t val = 0xdeadbeef;

    g_assert_cmpint(hv_msr_read(&f->part, &f->vp[1], &f->ops, 0x400000F0,
                                &val), ==, HV_MSR_OK);
    check_hex64("GUEST_IDLE", val, 0);
    g_assert_cmpuint(f->idle_count, ==, 1);
    g_assert_true(f->idle_vp == &f->vp[1]);
    g_assert_cmpint(wr(f, 0x400000F0, 0), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x400000F0, 1), ==, HV_MSR_GP);
    g_assert_cmpuint(f->idle_count, ==, 1);
    f->part.enforce_cpuid = true;
    check_hex64("GUEST_IDLE enforced", rd_ok(f, 0x400000F0), 0);
    g_assert_cmpuint(f->idle_count, ==, 2);

    /* Without a glue hook the read still succeeds: a spurious wake-up */
    f->ops.guest_idle = NULL;
    check_hex64("GUEST_IDLE no hook", rd_ok(f, 0x400000F0), 0);
    g_assert_cmpuint(f->idle_count, ==, 2);

    /* Without hv-guest-idle: #GP, enforced or not, and no idling */
    g_assert_false(hv_partition_msr_exposed(&off->part, 0x400000F0));
    g_assert_cmpint(rd(off, 0x400000F0, &val), ==, HV_MSR_GP);
    g_assert_cmpint(wr(off, 0x400000F0, 0), ==, HV_MSR_GP);
    off->part.enforce_cpuid = true;
    g_assert_cmpint(rd(off, 0x400000F0, &val), ==, HV_MSR_GP);
    g_assert_cmpuint(off->idle_count, ==, 0);
    fake_free(f);
    fake_free(off);
}

/* GUEST_OS_ID and HYPERCALL exist in every Hyper-V partition */
static void test_base_msrs(void)
{
    Fake *f = fake_new(0, 1);

    f->part.enforce_cpuid = true;

    g_assert_true(hv_partition_msr_exposed(&f->part, 0x40000000));
    g_assert_true(hv_partition_msr_exposed(&f->part, 0x40000001));
    g_assert_false(hv_partition_msr_exposed(&f->part, 0x40000002));
    g_assert_cmpint(wr(f, 0x40000000, 0x8100000000000000ull), ==,
                    HV_MSR_OK);
    check_hex64("GUEST_OS_ID", rd_ok(f, 0x40000000), 0x8100000000000000ull);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0);
    fake_free(f);
}

static void test_guest_os_id(void)
{
    Fake *f = fake_new(0, 1);

    g_assert_cmpint(wr(f, 0x40000000, 0x1234), ==, HV_MSR_OK);
    check_hex64("GUEST_OS_ID", rd_ok(f, 0x40000000), 0x1234);
    g_assert_cmpint(wr(f, 0x40000001, 0x3000 | 1), ==, HV_MSR_OK);
    g_assert_true(hv_hypercalls_enabled(&f->part));

    /* KVM: writing 0 disables the hypercall page */
    g_assert_cmpint(wr(f, 0x40000000, 0), ==, HV_MSR_OK);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0x3000);
    g_assert_false(hv_hypercalls_enabled(&f->part));
    fake_free(f);
}

static void check_hypercall_page(bool vmmcall, const uint8_t *want)
{
    Fake *f = fake_new(0, 1);
    int i;

    f->part.vmmcall = vmmcall;
    memset(f->ram + 0x3000, 0xaa, 0x1000);
    g_assert_cmpint(wr(f, 0x40000000, 0x1), ==, HV_MSR_OK);
    g_assert_false(hv_hypercalls_enabled(&f->part));
    g_assert_cmpint(wr(f, 0x40000001, 0x3001), ==, HV_MSR_OK);
    g_assert_true(hv_hypercalls_enabled(&f->part));
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0x3001);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(f->ram[0x3000 + i], ==, want[i]);
    }
    /* The rest of the page is the guest's */
    for (i = 4; i < 0x1000; i++) {
        g_assert_cmphex(f->ram[0x3000 + i], ==, 0xaa);
    }
    fake_free(f);
}

static void test_hypercall_page_vmcall(void)
{
    static const uint8_t vmcall_ret[] = { 0x0f, 0x01, 0xc1, 0xc3 };

    check_hypercall_page(false, vmcall_ret);
}

static void test_hypercall_page_vmmcall(void)
{
    static const uint8_t vmmcall_ret[] = { 0x0f, 0x01, 0xd9, 0xc3 };

    check_hypercall_page(true, vmmcall_ret);
}

static void test_hypercall_msr_rules(void)
{
    Fake *f = fake_new(0, 1);
    int bit;

    /* Without a guest OS ID, writes are ignored (KVM) */
    g_assert_cmpint(wr(f, 0x40000001, 0x3001), ==, HV_MSR_OK);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0);
    g_assert_false(hv_hypercalls_enabled(&f->part));
    g_assert_cmpuint(f->n_writes, ==, 0);

    g_assert_cmpint(wr(f, 0x40000000, 0x1), ==, HV_MSR_OK);
    /* Bits 11:2 are RsvdP: stored and read back (KVM) */
    for (bit = 2; bit <= 11; bit++) {
        g_assert_cmpint(wr(f, 0x40000001, 0x3001 | 1ull << bit), ==,
                        HV_MSR_OK);
        check_hex64("HYPERCALL", rd_ok(f, 0x40000001),
                    0x3001 | 1ull << bit);
    }
    g_assert_cmpint(wr(f, 0x40000001, 0), ==, HV_MSR_OK);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0);

    /* A page that is not RAM: #GP, MSR unchanged */
    g_assert_cmpint(wr(f, 0x40000001, 0x200001), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000001, 0x100000001ull), ==, HV_MSR_GP);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0);
    g_assert_false(hv_hypercalls_enabled(&f->part));

    /* Disabling needs no page */
    g_assert_cmpint(wr(f, 0x40000001, 0x3001), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000001, 0x200000), ==, HV_MSR_OK);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0x200000);
    g_assert_false(hv_hypercalls_enabled(&f->part));

    /* Locked: later writes are ignored */
    g_assert_cmpint(wr(f, 0x40000001, 0x3003), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000001, 0), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000001, 0x7001), ==, HV_MSR_OK);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0x3003);
    g_assert_true(hv_hypercalls_enabled(&f->part));
    g_assert_cmphex(f->ram[0x7000], ==, 0);

    /* ...even clearing the guest OS ID, which unlocked would disable it */
    g_assert_cmpint(wr(f, 0x40000000, 0), ==, HV_MSR_OK);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0x3003);
    g_assert_true(hv_hypercalls_enabled(&f->part));
    fake_free(f);
}

static void test_vp_index(void)
{
    Fake *f = fake_new(BIT64(F_VPINDEX), 8);
    uint64_t val = 0;

    hv_vp_reset(&f->vp[1], 7);
    g_assert_cmpint(hv_msr_read(&f->part, &f->vp[1], &f->ops, 0x40000002,
                                &val), ==, HV_MSR_OK);
    g_assert_cmpuint(val, ==, 7);
    check_hex64("VP_INDEX of VP 0", rd_ok(f, 0x40000002), 0);
    /* Only the host sets it */
    g_assert_cmpint(wr(f, 0x40000002, 3), ==, HV_MSR_GP);
    g_assert_cmpint(hv_msr_write(&f->part, &f->vp[1], &f->ops, 0x40000002,
                                 7), ==, HV_MSR_GP);
    fake_free(f);
}

static void test_vp_runtime(void)
{
    Fake *f = fake_new(BIT64(F_RUNTIME), 4);
    uint64_t val = 0;

    f->runtime = 123456;
    check_hex64("VP_RUNTIME", rd_ok(f, 0x40000010), 123456);
    g_assert_cmpint(hv_msr_read(&f->part, &f->vp[2], &f->ops, 0x40000010,
                                &val), ==, HV_MSR_OK);
    g_assert_cmpuint(val, ==, 123458);
    g_assert_cmpint(wr(f, 0x40000010, 0), ==, HV_MSR_GP);
    fake_free(f);
}

static void test_time_ref_count_clock(void)
{
    Fake *f = fake_new(BIT64(F_TIME), 1);

    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 0);
    /* 100 ns units */
    f->clock_ns = 123456789;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 1234567);
    f->clock_ns += 99;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 1234568);
    g_assert_cmpint(wr(f, 0x40000020, 0), ==, HV_MSR_GP);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 1234568);

    /* Counted from (re)start of the partition */
    f->clock_ns = 5000000000ll;
    hv_partition_reset(&f->part, &f->ops);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 0);
    f->clock_ns += 1000;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10);
    g_assert_cmpuint(hv_ref_time(&f->part, &f->ops), ==, 10);
    fake_free(f);
}

static void test_frequencies(void)
{
    Fake *f = fake_new(BIT64(F_FREQUENCIES), 1);

    check_hex64("TSC_FREQUENCY", rd_ok(f, 0x40000022), 2500000000ull);
    check_hex64("APIC_FREQUENCY", rd_ok(f, 0x40000023), 200000000ull);
    g_assert_cmpint(wr(f, 0x40000022, 1), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000023, 1), ==, HV_MSR_GP);
    fake_free(f);
}

static void test_crash(void)
{
    Fake *f = fake_new(BIT64(F_CRASH), 1);
    int i;

    for (i = 0; i < 5; i++) {
        g_assert_cmpint(wr(f, 0x40000100 + i, 0x1111111111111111ull * (i + 1)),
                        ==, HV_MSR_OK);
    }
    for (i = 0; i < 5; i++) {
        g_assert_cmphex(rd_ok(f, 0x40000100 + i), ==,
                        0x1111111111111111ull * (i + 1));
    }
    /* CTL reads the capability: CrashNotify (bit 63) */
    check_hex64("CRASH_CTL", rd_ok(f, 0x40000105), 0x8000000000000000ull);

    /*
     * CrashMessage (62), NoCrashDump (61), PreOSId (60:58) and the rest:
     * accepted without a notification unless CrashNotify is set (KVM)
     */
    g_assert_cmpint(wr(f, 0x40000105, 0x4000000000000000ull), ==,
                    HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000105, 0x2000000000000000ull), ==,
                    HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000105, 0x1c00000000000000ull), ==,
                    HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000105, 0x1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000105, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(f->crash_count, ==, 0);
    check_hex64("CRASH_CTL", rd_ok(f, 0x40000105), 0x8000000000000000ull);

    g_assert_cmpint(wr(f, 0x40000105, 0x8000000000000000ull), ==,
                    HV_MSR_OK);
    g_assert_cmpuint(f->crash_count, ==, 1);
    for (i = 0; i < 5; i++) {
        g_assert_cmphex(f->crash_params[i], ==,
                        0x1111111111111111ull * (i + 1));
    }
    /* What Windows writes: CrashNotify | CrashMessage, PreOSId 0 */
    g_assert_cmpint(wr(f, 0x40000105, 0xc000000000000000ull), ==,
                    HV_MSR_OK);
    g_assert_cmpuint(f->crash_count, ==, 2);
    g_assert_cmpint(wr(f, 0x40000105, 0xfc00000000000001ull), ==,
                    HV_MSR_OK);
    g_assert_cmpuint(f->crash_count, ==, 3);
    fake_free(f);
}

static void test_reset_msr(void)
{
    Fake *f = fake_new(BIT64(F_RESET), 1);

    check_hex64("RESET", rd_ok(f, 0x40000003), 0);
    g_assert_cmpint(wr(f, 0x40000003, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(f->reset_count, ==, 0);
    /* KVM resets on exactly 1 and ignores every other value */
    g_assert_cmpint(wr(f, 0x40000003, 2), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000003, 3), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000003, 0x8000000000000001ull), ==,
                    HV_MSR_OK);
    g_assert_cmpuint(f->reset_count, ==, 0);
    g_assert_cmpint(wr(f, 0x40000003, 1), ==, HV_MSR_OK);
    g_assert_cmpuint(f->reset_count, ==, 1);
    fake_free(f);
}

static void test_vapic_msrs(void)
{
    Fake *f = fake_new(BIT64(F_VAPIC), 2);
    uint64_t val;

    /* EOI is write-only */
    g_assert_cmpint(rd(f, 0x40000070, &val), ==, HV_MSR_GP);
    g_assert_cmpint(hv_msr_write(&f->part, &f->vp[1], &f->ops, 0x40000070,
                                 0), ==, HV_MSR_OK);
    g_assert_cmpuint(f->eoi_count, ==, 1);
    g_assert_true(f->eoi_vp == &f->vp[1]);

    /* ICR: the 64-bit x2APIC format, destination in bits 63:32 */
    g_assert_cmpint(wr(f, 0x40000071, 0x0000000300004041ull), ==,
                    HV_MSR_OK);
    check_hex64("ICR written", f->icr, 0x0000000300004041ull);
    check_hex64("ICR", rd_ok(f, 0x40000071), 0x0000000300004041ull);
    f->icr_ok = false;
    g_assert_cmpint(wr(f, 0x40000071, 0x41), ==, HV_MSR_GP);

    g_assert_cmpint(wr(f, 0x40000072, 0x20), ==, HV_MSR_OK);
    check_hex64("TPR", rd_ok(f, 0x40000072), 0x20);
    f->tpr_ok = false;
    g_assert_cmpint(wr(f, 0x40000072, 0x30), ==, HV_MSR_GP);
    check_hex64("TPR", rd_ok(f, 0x40000072), 0x20);
    fake_free(f);
}

static void test_vp_assist_page(void)
{
    Fake *f = fake_new(BIT64(F_VAPIC), 1);
    int bit, i;

    memset(f->ram + 0x6000, 0xaa, 0x1000);
    /* Disabled: the address is just stored */
    g_assert_cmpint(wr(f, 0x40000073, 0x6000), ==, HV_MSR_OK);
    g_assert_cmpuint(f->n_writes, ==, 0);
    check_hex64("VP_ASSIST_PAGE", rd_ok(f, 0x40000073), 0x6000);

    /* Enabled: the APIC assist dword is cleared, nothing else (KVM) */
    g_assert_cmpint(wr(f, 0x40000073, 0x6001), ==, HV_MSR_OK);
    check_hex64("VP_ASSIST_PAGE", rd_ok(f, 0x40000073), 0x6001);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(f->ram[0x6000 + i], ==, 0);
    }
    for (i = 4; i < 0x1000; i++) {
        g_assert_cmphex(f->ram[0x6000 + i], ==, 0xaa);
    }

    /* Bits 11:1 are RsvdP: stored and read back (KVM) */
    for (bit = 1; bit <= 11; bit++) {
        g_assert_cmpint(wr(f, 0x40000073, 0x6001 | 1ull << bit), ==,
                        HV_MSR_OK);
        check_hex64("VP_ASSIST_PAGE", rd_ok(f, 0x40000073),
                    0x6001 | 1ull << bit);
    }
    g_assert_cmpint(wr(f, 0x40000073, 0x6001), ==, HV_MSR_OK);
    /* Not RAM */
    g_assert_cmpint(wr(f, 0x40000073, 0x20f001), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000073, 0x400001), ==, HV_MSR_GP);
    check_hex64("VP_ASSIST_PAGE", rd_ok(f, 0x40000073), 0x6001);

    hv_vp_reset(&f->vp[0], 0);
    check_hex64("VP_ASSIST_PAGE after reset", rd_ok(f, 0x40000073), 0);
    fake_free(f);
}

static void test_reenlightenment(void)
{
    Fake *f = fake_new(BIT64(F_REENLIGHT), 4);
    int bit;

    /* Vector 7:0, Enable 16, TargetVp 63:32 */
    g_assert_cmpint(wr(f, 0x40000106, 0x00000003000100f3ull), ==,
                    HV_MSR_OK);
    check_hex64("REENLIGHTENMENT_CONTROL", rd_ok(f, 0x40000106),
                0x00000003000100f3ull);
    /* Bits 31:17 and 15:8 are RsvdP: stored and read back (KVM) */
    for (bit = 8; bit <= 31; bit++) {
        if (bit == 16) {
            continue;
        }
        g_assert_cmpint(wr(f, 0x40000106, 0x00000003000100f3ull |
                           1ull << bit), ==, HV_MSR_OK);
        check_hex64("REENLIGHTENMENT_CONTROL", rd_ok(f, 0x40000106),
                    0x00000003000100f3ull | 1ull << bit);
    }
    g_assert_cmpint(wr(f, 0x40000106, 0x00000003000100f3ull), ==,
                    HV_MSR_OK);

    g_assert_cmpint(wr(f, 0x40000107, 1), ==, HV_MSR_OK);
    check_hex64("TSC_EMULATION_CONTROL", rd_ok(f, 0x40000107), 1);
    g_assert_cmpint(wr(f, 0x40000107, 0x8000000000000003ull), ==,
                    HV_MSR_OK);
    check_hex64("TSC_EMULATION_CONTROL", rd_ok(f, 0x40000107),
                0x8000000000000003ull);
    g_assert_cmpint(wr(f, 0x40000107, 1), ==, HV_MSR_OK);

    /* TSC_EMULATION_STATUS: the guest may only write 0 (KVM) */
    g_assert_cmpint(wr(f, 0x40000108, 2), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000108, 1), ==, HV_MSR_GP);
    g_assert_cmpint(wr(f, 0x40000108, 0), ==, HV_MSR_OK);

    /* The host sets InProgress; the guest may only clear it */
    f->part.tsc_emulation_status = 1;
    check_hex64("TSC_EMULATION_STATUS", rd_ok(f, 0x40000108), 1);
    g_assert_cmpint(wr(f, 0x40000108, 1), ==, HV_MSR_GP);
    check_hex64("TSC_EMULATION_STATUS", rd_ok(f, 0x40000108), 1);
    g_assert_cmpint(wr(f, 0x40000108, 0), ==, HV_MSR_OK);
    check_hex64("TSC_EMULATION_STATUS", rd_ok(f, 0x40000108), 0);
    fake_free(f);
}

/* A host TSC frequency change: notification, emulation, acknowledgement */
static unsigned emulation_done_count;
static Fake *emulation_fake;

static void count_emulation_done(void *opaque G_GNUC_UNUSED)
{
    emulation_done_count++;
    /* The host stops emulating: the TSC now runs at the new rate */
    emulation_fake->ops.tsc_hz = 3000000000ull;
    emulation_fake->ops.tsc_frequency_msr_hz = 0;
}

static void test_tsc_frequency_change(void)
{
    Fake *f = fake_new(BIT64(F_REENLIGHT) | BIT64(F_TIME) |
                       BIT64(F_FREQUENCIES), 4);
    uint32_t seq;

    emulation_fake = f;
    emulation_done_count = 0;
    f->ops.tsc_emulation_done = count_emulation_done;
    f->ops.tsc_hz = 2000000000ull;
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);

    /* Nothing enabled: no interrupt, no emulation */
    g_assert_false(hv_tsc_frequency_changed(&f->part, &f->vp[0], &f->ops));
    g_assert_cmpuint(f->ipi_count, ==, 0);
    check_hex64("TSC_EMULATION_STATUS", rd_ok(f, 0x40000108), 0);

    /* Vector 0xf3 to VP 2, and TSC emulation */
    g_assert_cmpint(wr(f, 0x40000106, 0x00000002000100f3ull), ==,
                    HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000107, 1), ==, HV_MSR_OK);
    g_assert_true(hv_tsc_frequency_changed(&f->part, &f->vp[0], &f->ops));
    g_assert_cmpuint(f->ipi_count, ==, 1);
    g_assert_cmpuint(f->ipi_vector, ==, 0xf3);
    g_assert_false(f->ipi_set.all);
    check_hex64("IPI set bank 0", f->ipi_set.banks[0], 1ull << 2);
    check_hex64("TSC_EMULATION_STATUS", rd_ok(f, 0x40000108), 1);

    /* While emulating, the MSR already reports the new frequency */
    f->ops.tsc_frequency_msr_hz = 3000000000ull;
    check_hex64("TSC_FREQUENCY", rd_ok(f, 0x40000022), 3000000000ull);

    /* The guest acknowledges: emulation stops, the page follows */
    seq = fake_get32(f, TSC_PAGE);
    g_assert_cmpint(wr(f, 0x40000108, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(emulation_done_count, ==, 1);
    check_hex64("TscScale at 3 GHz", fake_get64(f, TSC_PAGE + 8),
                0x00da740da740da74ull);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), !=, seq);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), !=, 0);

    /* Clearing an already clear status is not another acknowledgement */
    g_assert_cmpint(wr(f, 0x40000108, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(emulation_done_count, ==, 1);

    /* Without hv-reenlightenment nothing happens at all */
    fake_free(f);
    f = fake_new(BIT64(F_TIME), 1);
    f->part.reenlightenment_control = 0x00000000000100f3ull;
    f->part.tsc_emulation_control = 1;
    g_assert_false(hv_tsc_frequency_changed(&f->part, &f->vp[0], &f->ops));
    g_assert_cmpuint(f->ipi_count, ==, 0);
    fake_free(f);
}

/* Scale = (10^7 << 64) / f, truncated */
static void test_tsc_page_scale(void)
{
    static const struct {
        uint64_t hz;
        uint64_t scale;
    } cases[] = {
        { 1000000000ull, 0x028f5c28f5c28f5cull },
        { 2500000000ull, 0x010624dd2f1a9fbeull },
        { 3000000000ull, 0x00da740da740da74ull },
        { 10000001ull, 0xfffffe5280d924c8ull },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        Fake *f = fake_new(BIT64(F_TIME), 1);

        f->ops.tsc_hz = cases[i].hz;
        g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
        check_hex64("TscScale", fake_get64(f, TSC_PAGE + 8),
                    cases[i].scale);
        check_hex64("part->tsc_scale", f->part.tsc_scale, cases[i].scale);
        g_assert_cmpuint(fake_get32(f, TSC_PAGE), !=, 0);
        g_assert_cmpuint(fake_get32(f, TSC_PAGE), !=, 0xffffffff);
        check_hex64("REFERENCE_TSC", rd_ok(f, 0x40000021), TSC_PAGE | 1);
        fake_free(f);
    }
}

/* The offset makes the page continue the reference time */
static void test_tsc_page_offset(void)
{
    Fake *f = fake_new(BIT64(F_TIME), 1);
    uint64_t t;

    f->ops.tsc_hz = 1000000000ull;
    f->clock_ns = 1000;                 /* reference time 10 */
    f->tsc = 2000000000ull;             /* 2e9 * scale >> 64 = 19999999 */
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    check_hex64("TscOffset", fake_get64(f, TSC_PAGE + 16),
                (uint64_t)(10 - 19999999));
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10);
    g_assert_true(guest_page_time(f, TSC_PAGE, f->tsc, &t));
    g_assert_cmpuint(t, ==, 10);

    /* One second of TSC is 10^7 units; the clock no longer matters */
    f->tsc += 1000000000ull;
    f->clock_ns += 123456789;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10000010);
    fake_free(f);
}

/* The MSR and the guest's own page computation agree exactly */
static void test_tsc_page_guest_agrees(void)
{
    static const uint64_t freqs[] = {
        1000000000ull, 2500000000ull, 3000000000ull, 3192614000ull,
    };
    size_t i;
    int n;

    for (i = 0; i < ARRAY_LEN(freqs); i++) {
        Fake *f = fake_new(BIT64(F_TIME), 1);
        uint64_t lcg = 0x9e3779b97f4a7c15ull, last = 0;

        f->ops.tsc_hz = freqs[i];
        f->clock_ns = 7777777777ll;
        f->tsc = 0x123456789abcull;
        g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
        for (n = 0; n < 2000; n++) {
            uint64_t msr, guest = 0;

            lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
            /* Steps from 1 tick to about 2^30 ticks */
            f->tsc += (lcg >> 34) >> (lcg & 31);
            msr = rd_ok(f, 0x40000020);
            g_assert_true(guest_page_time(f, TSC_PAGE, f->tsc, &guest));
            if (msr != guest) {
                g_test_fail_printf("tsc 0x%" PRIx64 " @ %" PRIu64 " Hz: MSR %"
                                   PRIu64 ", guest %" PRIu64, f->tsc,
                                   freqs[i], msr, guest);
                break;
            }
            g_assert_cmpuint(msr, >=, last);
            last = msr;
        }
        fake_free(f);
    }
}

/* Monotonic across enable, update, disable, re-enable and invalidation */
static void test_tsc_page_monotonic(void)
{
    Fake *f = fake_new(BIT64(F_TIME), 1);
    uint64_t before, t, guest;

    f->ops.tsc_hz = 2500000000ull;
    f->clock_ns = 1000000;              /* 10000 */
    f->tsc = 5000000000ull;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10000);

    /* Enable: the page continues exactly where the clock was */
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10000);
    g_assert_true(guest_page_time(f, TSC_PAGE, f->tsc, &guest));
    g_assert_cmpuint(guest, ==, 10000);

    /* 1 ms of TSC (2.5e6 ticks): 20009999 - 19999999 = 10000 units */
    f->tsc += 2500000;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 20000);

    /* A new TSC rate: new scale, same time */
    f->ops.tsc_hz = 3000000000ull;
    hv_tsc_page_update(&f->part, &f->ops);
    check_hex64("TscScale", fake_get64(f, TSC_PAGE + 8),
                0x00da740da740da74ull);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 20000);
    g_assert_true(guest_page_time(f, TSC_PAGE, f->tsc, &guest));
    g_assert_cmpuint(guest, ==, 20000);

    /*
     * The TSC ran a second while the clock stood still: disabling must
     * not fall back to the (earlier) clock time.
     */
    f->tsc += 3000000000ull;
    before = rd_ok(f, 0x40000020);
    g_assert_cmpuint(before, >=, 10019999);
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE), ==, HV_MSR_OK);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, before);
    f->clock_ns += 100;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, before + 1);
    f->tsc += 3000000000ull;            /* ignored while disabled */
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, before + 1);

    /* Enable again */
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, before + 1);

    /* The page becomes invalid (unknown rate): the clock continues */
    f->tsc += 300000;                   /* +1000 units */
    t = rd_ok(f, 0x40000020);
    g_assert_cmpuint(t, >=, before + 1000);
    f->ops.tsc_hz = 0;
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), ==, 0);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, t);
    f->clock_ns += 1000;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, t + 10);
    fake_free(f);
}

/*
 * TLFS update protocol: the sequence goes to 0 before TscScale/TscOffset
 * change, and to a new non-zero value only after.
 */
static void check_update_protocol(Fake *f, uint64_t page)
{
    bool params_written = false, seq_zeroed = false, seq_set = false;
    unsigned i;

    g_assert_cmpuint(f->n_writes, <=, FAKE_LOG_MAX);
    for (i = 0; i < f->n_writes; i++) {
        const FakeAccess *a = &f->writes[i];
        uint32_t seq;

        g_assert_cmphex(a->gpa, >=, page);
        g_assert_cmphex(a->gpa + a->len, <=, page + 24);
        if (a->gpa + a->len > page + 8) {
            /* Parameters change only while the sequence is 0 */
            g_assert_true(seq_zeroed);
            g_assert_false(seq_set);
            params_written = true;
        }
        if (a->gpa != page) {
            continue;
        }
        seq = a->data[0] | a->data[1] << 8 | a->data[2] << 16 |
              (uint32_t)a->data[3] << 24;
        if (!seq) {
            seq_zeroed = true;
        } else {
            g_assert_true(params_written);
            seq_set = true;
        }
    }
    g_assert_true(seq_zeroed);
    g_assert_true(params_written);
    g_assert_true(seq_set);
}

static void test_tsc_page_sequence(void)
{
    Fake *f = fake_new(BIT64(F_TIME), 1);
    uint32_t s1, s2, s3;

    f->ops.tsc_hz = 2500000000ull;
    fake_clear_log(f);
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    check_update_protocol(f, TSC_PAGE);
    s1 = fake_get32(f, TSC_PAGE);
    g_assert_cmpuint(s1, !=, 0);
    g_assert_cmpuint(s1, !=, 0xffffffff);
    g_assert_cmpuint(f->part.tsc_sequence, ==, s1);

    fake_clear_log(f);
    hv_tsc_page_update(&f->part, &f->ops);
    check_update_protocol(f, TSC_PAGE);
    s2 = fake_get32(f, TSC_PAGE);
    g_assert_cmpuint(s2, !=, 0);
    g_assert_cmpuint(s2, !=, s1);

    /* Through disabled (and invalid) and back: still a new sequence */
    g_assert_cmpint(wr(f, 0x40000021, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(f->part.tsc_sequence, ==, 0);
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    s3 = fake_get32(f, TSC_PAGE);
    g_assert_cmpuint(s3, !=, 0);
    g_assert_cmpuint(s3, !=, s2);

    f->ops.tsc_hz = 0;
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), ==, 0);
    f->ops.tsc_hz = 2500000000ull;
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), !=, 0);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), !=, s3);

    /* Wrap: 0xFFFFFFFF (invalid) and 0 are skipped */
    f->part.tsc_sequence = 0xfffffffd;
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmphex(fake_get32(f, TSC_PAGE), ==, 0xfffffffe);
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmphex(fake_get32(f, TSC_PAGE), ==, 1);
    fake_free(f);
}

static void test_tsc_page_invalid(void)
{
    Fake *f = fake_new(BIT64(F_TIME), 1);
    int bit;

    /* Bits 11:1 are RsvdP: stored and read back (KVM) */
    for (bit = 1; bit <= 11; bit++) {
        g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1ull << bit), ==,
                        HV_MSR_OK);
        check_hex64("REFERENCE_TSC", rd_ok(f, 0x40000021),
                    TSC_PAGE | 1ull << bit);
    }
    g_assert_cmpint(wr(f, 0x40000021, 0), ==, HV_MSR_OK);
    check_hex64("REFERENCE_TSC", rd_ok(f, 0x40000021), 0);

    /* Unknown TSC rate: sequence 0, the guest uses the MSR */
    memset(f->ram + TSC_PAGE, 0xaa, 24);
    f->ops.tsc_hz = 0;
    f->clock_ns = 200000;
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), ==, 0);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 2000);
    f->tsc += 1000000000;
    f->clock_ns += 100;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 2001);

    /* 10 MHz and below: the scale would not fit in 64 bits */
    memset(f->ram + TSC_PAGE, 0xaa, 24);
    f->ops.tsc_hz = 10000000;
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmpuint(fake_get32(f, TSC_PAGE), ==, 0);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 2001);

    /* Not RAM: accepted, but the time keeps coming from the clock */
    f->ops.tsc_hz = 2500000000ull;
    g_assert_cmpint(wr(f, 0x40000021, 0x200000 | 1), ==, HV_MSR_OK);
    check_hex64("REFERENCE_TSC", rd_ok(f, 0x40000021), 0x200001);
    g_assert_cmpuint(f->part.tsc_sequence, ==, 0);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 2001);
    f->clock_ns += 100;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 2002);

    /* Disabled: hv_tsc_page_update() does nothing */
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE), ==, HV_MSR_OK);
    fake_clear_log(f);
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmpuint(f->n_writes, ==, 0);
    fake_free(f);
}

/*
 * A migration stream whose disabled TSC page still has a sequence and
 * parameters (found by the fuzzer): the page update after loading forgets
 * them, so that enabling the page later continues the reference time
 * from the clock instead of jumping to what the stale parameters say.
 */
static void test_tsc_page_post_load_disabled(void)
{
    Fake *f = fake_new(BIT64(F_TIME), 1);
    uint64_t t;

    f->clock_ns = 1000000;
    f->tsc = 12345;
    f->part.reference_tsc = TSC_PAGE;
    f->part.tsc_sequence = 7;
    f->part.tsc_scale = 1ull << 62;
    f->part.tsc_offset = 99;
    hv_tsc_page_update(&f->part, &f->ops);
    g_assert_cmpuint(f->part.tsc_sequence, ==, 0);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10000);

    /* Not RAM: the clock goes on from 10000 */
    g_assert_cmpint(wr(f, 0x40000021, 0x200000 | 1), ==, HV_MSR_OK);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10000);

    /* RAM: the page continues from there too */
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    g_assert_cmpuint(f->part.tsc_sequence, !=, 0);
    g_assert_true(guest_page_time(f, TSC_PAGE, f->tsc, &t));
    g_assert_cmpuint(t, ==, 10000);
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 10000);
    fake_free(f);
}

static void test_partition_reset(void)
{
    Fake *f = fake_new(HV_FEAT_ALL, 2);
    int i;

    f->part.spinlock_attempts = 0x1000;
    f->part.vmmcall = true;
    f->clock_ns = 4000000;
    g_assert_cmpint(wr(f, 0x40000000, 0x8100), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000001, 0x3001), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000021, TSC_PAGE | 1), ==, HV_MSR_OK);
    for (i = 0; i < 5; i++) {
        g_assert_cmpint(wr(f, 0x40000100 + i, i + 1), ==, HV_MSR_OK);
    }
    g_assert_cmpint(wr(f, 0x40000106, 0x100f3), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000107, 1), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x40000073, 0x6001), ==, HV_MSR_OK);
    f->tsc += 1000000;

    f->clock_ns = 9000000;
    hv_partition_reset(&f->part, &f->ops);
    hv_vp_reset(&f->vp[0], 5);

    check_hex64("GUEST_OS_ID", rd_ok(f, 0x40000000), 0);
    check_hex64("HYPERCALL", rd_ok(f, 0x40000001), 0);
    g_assert_false(hv_hypercalls_enabled(&f->part));
    check_hex64("REFERENCE_TSC", rd_ok(f, 0x40000021), 0);
    for (i = 0; i < 5; i++) {
        check_hex64("CRASH_Pn", rd_ok(f, 0x40000100 + i), 0);
    }
    check_hex64("REENLIGHTENMENT_CONTROL", rd_ok(f, 0x40000106), 0);
    check_hex64("TSC_EMULATION_CONTROL", rd_ok(f, 0x40000107), 0);
    check_hex64("TSC_EMULATION_STATUS", rd_ok(f, 0x40000108), 0);
    check_hex64("VP_ASSIST_PAGE", rd_ok(f, 0x40000073), 0);
    check_hex64("VP_INDEX", rd_ok(f, 0x40000002), 5);
    /* The reference time starts again from 0 */
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 0);
    f->clock_ns += 500;
    g_assert_cmpuint(rd_ok(f, 0x40000020), ==, 5);
    /* Configuration survives */
    g_assert_cmphex(f->part.features, ==, HV_FEAT_ALL);
    g_assert_cmphex(f->part.spinlock_attempts, ==, 0x1000);
    g_assert_true(f->part.vmmcall);
    fake_free(f);
}

static uint64_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state ^ *state >> 29;
}

/*
 * Random MSR accesses with the clock and TSC moving forward and the
 * synthetic timers firing: never a crash, guest memory touched only in
 * the page the written value names (hypercall, TSC, VP assist, SynIC
 * pages) or, for a retried timer message, in the VP's message page, and a
 * reference time that never goes backwards whatever the guest does to
 * the TSC page.
 */
static void test_random_access(void)
{
    static const uint64_t freqs[] = {
        0, 10000000, 1000000000ull, 2500000000ull, 3000000000ull,
    };
    Fake *f = fake_new(HV_FEAT_ALL, 4);
    uint64_t rng = 0xfeedfacecafebeefull, last = 0, now;
    unsigned n, k;

    for (n = 0; n < 100000; n++) {
        uint64_t a = lcg_next(&rng), b = lcg_next(&rng), val, got;
        uint32_t msr;
        HvMsrResult res;
        HvVp *vp;

        if (a & 1) {
            msr = 0x40000000 + (a >> 8) % 0x10a;
        } else if (a & 2) {
            msr = 0x40000080 + (a >> 8) % 0x38;     /* SynIC, timers */
        } else {
            msr = 0x40000000 + (a >> 8) % 0x30;
        }
        switch ((a >> 4) & 3) {
        case 0:
            val = b;
            break;
        case 1:
            val = b & 0x3fffff;         /* in RAM (or the hole) */
            break;
        default:
            val = (b & 0x3ff000) | ((b >> 30) & 1);
            break;
        }
        if ((a >> 40) % 64 == 0) {
            f->ops.tsc_hz = freqs[(a >> 48) % ARRAY_LEN(freqs)];
            hv_tsc_page_update(&f->part, &f->ops);
        }
        f->clock_ns += (a >> 50) & 0xffff;
        f->tsc += (b >> 44) & 0xfffff;
        /* Synthetic timers that fell due fire (without moving the time) */
        fake_run_until(f, hv_ref_time(&f->part, &f->ops), NULL,
                       NULL);

        vp = &f->vp[a >> 62];
        fake_clear_log(f);
        if ((a >> 6) & 1) {
            res = hv_msr_read(&f->part, vp, &f->ops, msr, &got);
        } else {
            res = hv_msr_write(&f->part, vp, &f->ops, msr, val);
        }
        g_assert_true(res == HV_MSR_OK || res == HV_MSR_GP ||
                      res == HV_MSR_NOT_HYPERV);
        /*
         * Memory is only touched by writes of the page MSRs (in the page
         * the value names) and, when they may retry a queued timer
         * message (SCONTROL, SIMP, EOM), in the VP's message page.
         */
        for (k = 0; k < f->n_reads && k < FAKE_LOG_MAX; k++) {
            uint64_t page = vp->simp & ~0xfffull;

            g_assert_true(msr == 0x40000080 || msr == 0x40000083 ||
                          msr == 0x40000084);
            g_assert_false((a >> 6) & 1);
            g_assert_cmphex(f->reads[k].gpa, >=, page);
            g_assert_cmphex(f->reads[k].gpa - page + f->reads[k].len,
                            <=, 0x1000);
        }
        for (k = 0; k < f->n_writes && k < FAKE_LOG_MAX; k++) {
            uint64_t page = val & ~0xfffull;

            g_assert_false((a >> 6) & 1);
            if (msr == 0x40000080 || msr == 0x40000084) {
                page = vp->simp & ~0xfffull;
            } else {
                g_assert_true(msr == 0x40000001 || msr == 0x40000021 ||
                              msr == 0x40000073 || msr == 0x40000082 ||
                              msr == 0x40000083);
            }
            g_assert_cmphex(f->writes[k].gpa, >=, page);
            g_assert_cmphex(f->writes[k].gpa - page + f->writes[k].len,
                            <=, 0x1000);
        }

        now = hv_ref_time(&f->part, &f->ops);
        if (now < last) {
            g_test_fail_printf("reference time went back from %" PRIu64
                               " to %" PRIu64 " (MSR 0x%x)", last, now,
                               msr);
            break;
        }
        last = now;
    }
    g_test_message("%u synthetic timer expirations, %u interrupts",
                   f->timers_fired, f->irq_count);
    fake_free(f);
}

/*
 * Synthetic debugger MSRs (hv-syndbg).  Not in the TLFS: KVM's
 * syndbg_set_msr()/syndbg_get_msr() and QEMU's handling of
 * KVM_EXIT_HYPERV_SYNDBG define them (0x400000F1-F5, 0x400000FF).
 */
typedef struct SyndbgLog {
    unsigned sends, recvs, pendings;
    uint64_t gpa, pending_gpa;
    uint32_t count;
} SyndbgLog;

static SyndbgLog syndbg_log;

static uint32_t syndbg_send(void *opaque G_GNUC_UNUSED, uint64_t gpa, uint32_t count)
{
    syndbg_log.sends++;
    syndbg_log.gpa = gpa;
    syndbg_log.count = count;
    return 0x1;     /* HV_SYNDBG_STATUS_SEND_SUCCESS */
}

static uint32_t syndbg_recv(void *opaque G_GNUC_UNUSED, uint64_t gpa, uint32_t count)
{
    syndbg_log.recvs++;
    syndbg_log.gpa = gpa;
    syndbg_log.count = count;
    return 0x4 | 42 << 16;  /* RECV_SUCCESS, 42 bytes */
}

static void syndbg_pending(void *opaque G_GNUC_UNUSED, uint64_t gpa)
{
    syndbg_log.pendings++;
    syndbg_log.pending_gpa = gpa;
}

static uint64_t syndbg_options(void *opaque G_GNUC_UNUSED)
{
    return 1ull << 2;       /* HV_X64_SYNDBG_OPTION_USE_HCALLS */
}

static void test_syndbg(void)
{
    Fake *f = fake_new(BIT64(F_SYNDBG), 1);
    Fake *off = fake_new(BIT64(F_SYNIC), 1);
    static const uint32_t msrs[] = {
        0x400000F1, 0x400000F2, 0x400000F3, 0x400000F4, 0x400000F5,
        0x400000FF
    };
    uint64_t val;
    int i;

    memset(&syndbg_log, 0, sizeof(syndbg_log));
    /* Not exposed without the feature */
    for (i = 0; i < 6; i++) {
        g_assert_cmpint(hv_msr_read(&off->part, &off->vp[0], &off->ops,
                                    msrs[i], &val), ==, HV_MSR_GP);
        g_assert_cmpint(wr(off, msrs[i], 0), ==, HV_MSR_GP);
    }

    /* No debugger device: SEND and RECV report INVALID (0) */
    g_assert_cmpint(wr(f, 0x400000F2, 0x77), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x400000F1, 0x1 | 100 << 16), ==, HV_MSR_OK);
    check_hex64("STATUS, no device", rd_ok(f, 0x400000F2), 0);
    check_hex64("OPTIONS, no device", rd_ok(f, 0x400000FF), 0);

    f->ops.syndbg_send = syndbg_send;
    f->ops.syndbg_recv = syndbg_recv;
    f->ops.syndbg_pending_page = syndbg_pending;
    f->ops.syndbg_options = syndbg_options;
    hv_partition_reset(&f->part, &f->ops);
    check_hex64("OPTIONS from the host", rd_ok(f, 0x400000FF), 4);
    g_assert_cmpint(wr(f, 0x400000FF, 0), ==, HV_MSR_OK);
    check_hex64("OPTIONS written", rd_ok(f, 0x400000FF), 0);

    g_assert_cmpint(wr(f, 0x400000F3, 0x21000), ==, HV_MSR_OK);
    g_assert_cmpint(wr(f, 0x400000F4, 0x22000), ==, HV_MSR_OK);
    check_hex64("SEND_BUFFER", rd_ok(f, 0x400000F3), 0x21000);
    check_hex64("RECV_BUFFER", rd_ok(f, 0x400000F4), 0x22000);

    /* SEND: SEND_SIZE (bits 31:16) bytes of the send page */
    g_assert_cmpint(wr(f, 0x400000F1, 0x1 | 300 << 16), ==, HV_MSR_OK);
    g_assert_cmpuint(syndbg_log.sends, ==, 1);
    check_hex64("send gpa", syndbg_log.gpa, 0x21000);
    g_assert_cmpuint(syndbg_log.count, ==, 300);
    check_hex64("STATUS after SEND", rd_ok(f, 0x400000F2), 1);
    check_hex64("CONTROL", rd_ok(f, 0x400000F1), 0x1 | 300 << 16);

    /* SEND wins over RECV; RECV alone receives up to a page */
    g_assert_cmpint(wr(f, 0x400000F1, 0x3), ==, HV_MSR_OK);
    g_assert_cmpuint(syndbg_log.sends, ==, 2);
    g_assert_cmpuint(syndbg_log.recvs, ==, 0);
    g_assert_cmpint(wr(f, 0x400000F1, 0x2), ==, HV_MSR_OK);
    g_assert_cmpuint(syndbg_log.recvs, ==, 1);
    check_hex64("recv gpa", syndbg_log.gpa, 0x22000);
    g_assert_cmpuint(syndbg_log.count, ==, 4096);
    check_hex64("STATUS after RECV", rd_ok(f, 0x400000F2), 0x4 | 42 << 16);

    /* Neither bit: nothing happens, STATUS stays */
    g_assert_cmpint(wr(f, 0x400000F1, 0), ==, HV_MSR_OK);
    g_assert_cmpuint(syndbg_log.sends + syndbg_log.recvs, ==, 3);
    check_hex64("STATUS kept", rd_ok(f, 0x400000F2), 0x4 | 42 << 16);

    /* The pending page goes to the device */
    g_assert_cmpint(wr(f, 0x400000F5, 0x23000), ==, HV_MSR_OK);
    g_assert_cmpuint(syndbg_log.pendings, ==, 1);
    check_hex64("pending gpa", syndbg_log.pending_gpa, 0x23000);
    check_hex64("PENDING_BUFFER", rd_ok(f, 0x400000F5), 0x23000);

    /* Reset clears everything but the host's options */
    hv_partition_reset(&f->part, &f->ops);
    for (i = 0; i < 5; i++) {
        check_hex64("after reset", rd_ok(f, msrs[i]), 0);
    }
    check_hex64("OPTIONS after reset", rd_ok(f, 0x400000FF), 4);
    fake_free(f);
    fake_free(off);
}

int main(int argc, char **argv)
{
    hv_unit_init(&argc, &argv);

    g_test_add_func("/msr/range/not-hyperv", test_not_hyperv);
    g_test_add_func("/msr/range/unassigned-high",
                    test_unassigned_high_range);
    g_test_add_func("/msr/privilege/per-feature", test_privilege);
    g_test_add_func("/msr/privilege/unenforced", test_privilege_unenforced);
    g_test_add_func("/msr/privilege/unenforced-synic",
                    test_privilege_unenforced_synic);
    g_test_add_func("/msr/vp-index/unenforced", test_vp_index_unenforced);
    g_test_add_func("/msr/privilege/base", test_base_msrs);
    g_test_add_func("/msr/invtsc", test_invtsc);
    g_test_add_func("/msr/guest-idle", test_guest_idle);
    g_test_add_func("/msr/guest-os-id", test_guest_os_id);
    g_test_add_func("/msr/hypercall/page-vmcall",
                    test_hypercall_page_vmcall);
    g_test_add_func("/msr/hypercall/page-vmmcall",
                    test_hypercall_page_vmmcall);
    g_test_add_func("/msr/hypercall/rules", test_hypercall_msr_rules);
    g_test_add_func("/msr/vp-index", test_vp_index);
    g_test_add_func("/msr/vp-runtime", test_vp_runtime);
    g_test_add_func("/msr/time-ref-count/clock", test_time_ref_count_clock);
    g_test_add_func("/msr/frequencies", test_frequencies);
    g_test_add_func("/msr/crash", test_crash);
    g_test_add_func("/msr/reset", test_reset_msr);
    g_test_add_func("/msr/vapic/eoi-icr-tpr", test_vapic_msrs);
    g_test_add_func("/msr/vapic/assist-page", test_vp_assist_page);
    g_test_add_func("/msr/reenlightenment", test_reenlightenment);
    g_test_add_func("/msr/reenlightenment/frequency-change",
                    test_tsc_frequency_change);
    g_test_add_func("/tsc-page/scale", test_tsc_page_scale);
    g_test_add_func("/tsc-page/offset", test_tsc_page_offset);
    g_test_add_func("/tsc-page/guest-agrees", test_tsc_page_guest_agrees);
    g_test_add_func("/tsc-page/monotonic", test_tsc_page_monotonic);
    g_test_add_func("/tsc-page/sequence", test_tsc_page_sequence);
    g_test_add_func("/tsc-page/invalid", test_tsc_page_invalid);
    g_test_add_func("/tsc-page/post-load-disabled",
                    test_tsc_page_post_load_disabled);
    g_test_add_func("/reset/partition", test_partition_reset);
    g_test_add_func("/msr/random-access", test_random_access);
    g_test_add_func("/msr/syndbg", test_syndbg);

    return g_test_run();
}
