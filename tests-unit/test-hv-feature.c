/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: the hv-* feature table (hv-feature.c).
 *
 * The expected values are written here as literals, taken by hand from
 * upstream QEMU 10.0 (build/qemu-src, 10.0.13):
 *   - target/i386/cpu.h             HYPERV_FEAT_* numbers
 *   - target/i386/cpu.c             the "hv-*" DEFINE_PROP_BIT64 names and
 *                                   the hv-* property defaults
 *   - target/i386/kvm/kvm.c         kvm_hyperv_properties[]: desc, CPUID
 *                                   flags, dependencies, skip_passthrough;
 *                                   kvm_hyperv_expand_features() for the
 *                                   extra SynIC -> VP_INDEX rule
 *   - target/i386/kvm/hyperv-proto.h the TLFS bit values (written out below
 *                                   as numbers, not as the model's macros)
 * and, for which MSR each feature unlocks, from Linux's
 * hv_check_msr_access() (arch/x86/kvm/hyperv.c, v6.1.192).
 */

#include "hv-unit.h"

/* Register numbers are the model's names: only their meaning matters */
typedef struct ExpectedFlag {
    uint32_t func;
    HvCpuidReg reg;
    uint32_t bits;
} ExpectedFlag;

typedef struct ExpectedFeature {
    int number;             /* HYPERV_FEAT_* in upstream target/i386/cpu.h */
    int model_enum;         /* the model's HYPERV_FEAT_* for the same name */
    const char *prop;       /* DEFINE_PROP_BIT64 name, target/i386/cpu.c */
    const char *desc;       /* kvm_hyperv_properties[].desc */
    ExpectedFlag flags[2];  /* kvm_hyperv_properties[].flags */
    uint64_t deps;          /* kvm_hyperv_properties[].dependencies */
    bool skip_passthrough;
    bool needs_vmx;         /* nested VMX (eVMCS) enlightenments */
    bool tcg;               /* implemented by QEMU's TCG backend today */
    bool no_kvm;            /* not implemented by KVM (TCG only) */
} ExpectedFeature;

static const ExpectedFeature expected_features[] = {
    {
        .number = 0, .model_enum = HYPERV_FEAT_RELAXED,
        .prop = "hv-relaxed",
        .desc = "relaxed timing (hv-relaxed)",
        /* HV_RELAXED_TIMING_RECOMMENDED (1u << 5) */
        .flags = { { 0x40000004, HV_REG_EAX, 0x00000020 } },
        .tcg = true,
    }, {
        .number = 1, .model_enum = HYPERV_FEAT_VAPIC,
        .prop = "hv-vapic",
        .desc = "virtual APIC (hv-vapic)",
        /* HV_APIC_ACCESS_AVAILABLE (1u << 4) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000010 } },
        .tcg = true,
    }, {
        .number = 2, .model_enum = HYPERV_FEAT_TIME,
        .prop = "hv-time",
        .desc = "clocksources (hv-time)",
        /* HV_TIME_REF_COUNT_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000202 } },
        .tcg = true,
    }, {
        .number = 3, .model_enum = HYPERV_FEAT_CRASH,
        .prop = "hv-crash",
        .desc = "crash MSRs (hv-crash)",
        /* HV_GUEST_CRASH_MSR_AVAILABLE (1u << 10) */
        .flags = { { 0x40000003, HV_REG_EDX, 0x00000400 } },
        .tcg = true,
    }, {
        .number = 4, .model_enum = HYPERV_FEAT_RESET,
        .prop = "hv-reset",
        .desc = "reset MSR (hv-reset)",
        /* HV_RESET_AVAILABLE (1u << 7) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000080 } },
        .tcg = true,
    }, {
        .number = 5, .model_enum = HYPERV_FEAT_VPINDEX,
        .prop = "hv-vpindex",
        .desc = "VP_INDEX MSR (hv-vpindex)",
        /* HV_VP_INDEX_AVAILABLE (1u << 6) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000040 } },
        .tcg = true,
    }, {
        .number = 6, .model_enum = HYPERV_FEAT_RUNTIME,
        .prop = "hv-runtime",
        .desc = "VP_RUNTIME MSR (hv-runtime)",
        /* HV_VP_RUNTIME_AVAILABLE (1u << 0) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000001 } },
        .tcg = true,
    }, {
        .number = 7, .model_enum = HYPERV_FEAT_SYNIC,
        .prop = "hv-synic",
        .desc = "synthetic interrupt controller (hv-synic)",
        /* HV_SYNIC_AVAILABLE (1u << 2) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000004 } },
        .tcg = true,
    }, {
        .number = 8, .model_enum = HYPERV_FEAT_STIMER,
        .prop = "hv-stimer",
        .desc = "synthetic timers (hv-stimer)",
        /* HV_SYNTIMERS_AVAILABLE (1u << 3) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000008 } },
        .deps = BIT64(7) | BIT64(2),            /* synic, time */
        .tcg = true,
    }, {
        .number = 9, .model_enum = HYPERV_FEAT_FREQUENCIES,
        .prop = "hv-frequencies",
        .desc = "frequency MSRs (hv-frequencies)",
        /* HV_ACCESS_FREQUENCY_MSRS, HV_FREQUENCY_MSRS_AVAILABLE */
        .flags = {
            { 0x40000003, HV_REG_EAX, 0x00000800 },
            { 0x40000003, HV_REG_EDX, 0x00000100 },
        },
        .tcg = true,
    }, {
        .number = 10, .model_enum = HYPERV_FEAT_REENLIGHTENMENT,
        .prop = "hv-reenlightenment",
        .desc = "reenlightenment MSRs (hv-reenlightenment)",
        /* HV_ACCESS_REENLIGHTENMENTS_CONTROL (1u << 13) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00002000 } },
        .tcg = true,
    }, {
        .number = 11, .model_enum = HYPERV_FEAT_TLBFLUSH,
        .prop = "hv-tlbflush",
        .desc = "paravirtualized TLB flush (hv-tlbflush)",
        /* HV_REMOTE_TLB_FLUSH_RECOMMENDED | HV_EX_PROCESSOR_MASKS_RECOMM. */
        .flags = { { 0x40000004, HV_REG_EAX, 0x00000804 } },
        .deps = BIT64(5),                       /* vpindex */
        .tcg = true,
    }, {
        .number = 12, .model_enum = HYPERV_FEAT_EVMCS,
        .prop = "hv-evmcs",
        .desc = "enlightened VMCS (hv-evmcs)",
        /* HV_ENLIGHTENED_VMCS_RECOMMENDED (1u << 14) */
        .flags = { { 0x40000004, HV_REG_EAX, 0x00004000 } },
        .deps = BIT64(1),                       /* vapic */
        .needs_vmx = true,
    }, {
        .number = 13, .model_enum = HYPERV_FEAT_IPI,
        .prop = "hv-ipi",
        .desc = "paravirtualized IPI (hv-ipi)",
        /* HV_CLUSTER_IPI_RECOMMENDED | HV_EX_PROCESSOR_MASKS_RECOMMENDED */
        .flags = { { 0x40000004, HV_REG_EAX, 0x00000c00 } },
        .deps = BIT64(5),                       /* vpindex */
        .tcg = true,
    }, {
        .number = 14, .model_enum = HYPERV_FEAT_STIMER_DIRECT,
        .prop = "hv-stimer-direct",
        .desc = "direct mode synthetic timers (hv-stimer-direct)",
        /* HV_STIMER_DIRECT_MODE_AVAILABLE (1u << 19) */
        .flags = { { 0x40000003, HV_REG_EDX, 0x00080000 } },
        .deps = BIT64(8),                       /* stimer */
        .tcg = true,
    }, {
        .number = 15, .model_enum = HYPERV_FEAT_AVIC,
        .prop = "hv-avic",
        .desc = "AVIC/APICv support (hv-avic/hv-apicv)",
        /* HV_DEPRECATING_AEOI_RECOMMENDED (1u << 9) */
        .flags = { { 0x40000004, HV_REG_EAX, 0x00000200 } },
        .tcg = true,
    }, {
        .number = 16, .model_enum = HYPERV_FEAT_SYNDBG,
        .prop = "hv-syndbg",
        .desc = "Enable synthetic kernel debugger channel (hv-syndbg)",
        /* HV_FEATURE_DEBUG_MSRS_AVAILABLE (1u << 11) */
        .flags = { { 0x40000003, HV_REG_EDX, 0x00000800 } },
        .deps = BIT64(7) | BIT64(0),            /* synic, relaxed */
        .skip_passthrough = true,
        .tcg = true,
    }, {
        .number = 17, .model_enum = HYPERV_FEAT_MSR_BITMAP,
        .prop = "hv-emsr-bitmap",
        .desc = "enlightened MSR-Bitmap (hv-emsr-bitmap)",
        /* HV_NESTED_MSR_BITMAP (1u << 19) */
        .flags = { { 0x4000000a, HV_REG_EAX, 0x00080000 } },
        .needs_vmx = true,
    }, {
        .number = 18, .model_enum = HYPERV_FEAT_XMM_INPUT,
        .prop = "hv-xmm-input",
        .desc = "XMM fast hypercall input (hv-xmm-input)",
        /* HV_HYPERCALL_XMM_INPUT_AVAILABLE (1u << 4) */
        .flags = { { 0x40000003, HV_REG_EDX, 0x00000010 } },
        .tcg = true,
    }, {
        .number = 19, .model_enum = HYPERV_FEAT_TLBFLUSH_EXT,
        .prop = "hv-tlbflush-ext",
        .desc = "Extended gva ranges for TLB flush hypercalls "
                "(hv-tlbflush-ext)",
        /* HV_EXT_GVA_RANGES_FLUSH_AVAILABLE (1u << 14) */
        .flags = { { 0x40000003, HV_REG_EDX, 0x00004000 } },
        .deps = BIT64(11),                      /* tlbflush */
        .tcg = true,
    }, {
        .number = 20, .model_enum = HYPERV_FEAT_TLBFLUSH_DIRECT,
        .prop = "hv-tlbflush-direct",
        .desc = "direct TLB flush (hv-tlbflush-direct)",
        /* HV_NESTED_DIRECT_FLUSH (1u << 17) */
        .flags = { { 0x4000000a, HV_REG_EAX, 0x00020000 } },
        .deps = BIT64(1),                       /* vapic */
        .needs_vmx = true,
    }, {
        /* Past upstream: numbered after upstream's, never renumbered */
        .number = 21, .model_enum = HYPERV_FEAT_INVTSC,
        .prop = "hv-invtsc",
        .desc = "invariant TSC control (hv-invtsc)",
        /* HV_ACCESS_TSC_INVARIANT (1u << 15) */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00008000 } },
        .skip_passthrough = true,
        .tcg = true,
    }, {
        .number = 22, .model_enum = HYPERV_FEAT_GUEST_IDLE,
        .prop = "hv-guest-idle",
        .desc = "guest idle MSR (hv-guest-idle)",
        /*
         * AccessGuestIdleReg (1u << 10), Linux's HV_MSR_GUEST_IDLE_AVAILABLE;
         * HV_GUEST_IDLE_STATE_AVAILABLE (1u << 5)
         */
        .flags = { { 0x40000003, HV_REG_EAX, 0x00000400 },
                   { 0x40000003, HV_REG_EDX, 0x00000020 } },
        .skip_passthrough = true,
        .tcg = true,
        .no_kvm = true,
    }, {
        .number = 23, .model_enum = HYPERV_FEAT_EXT_HYPERCALLS,
        .prop = "hv-ext-hypercalls",
        .desc = "extended hypercalls (hv-ext-hypercalls)",
        /* EnableExtendedHypercalls (1u << 20), in the high half */
        .flags = { { 0x40000003, HV_REG_EBX, 0x00100000 } },
        .skip_passthrough = true,
        .tcg = true,
    },
};

/*
 * The 21 upstream features and qemu-hyperv's own (21: hv-invtsc,
 * 22: hv-guest-idle, 23: hv-ext-hypercalls)
 */
#define ALL_FEATURES    0xffffffull

static void test_feature_count(void)
{
    g_assert_cmpint(HYPERV_FEAT_COUNT, ==, 24);
    g_assert_cmpint(ARRAY_LEN(expected_features), ==, 24);
    g_assert_cmphex(HV_FEAT_ALL, ==, ALL_FEATURES);
}

/* One test per feature: the whole table row */
static void test_feature_row(gconstpointer opaque)
{
    const ExpectedFeature *e = opaque;
    const HvFeatureInfo *info;
    int i;

    /* The model's enum is the ABI bit number upstream uses */
    g_assert_cmpint(e->model_enum, ==, e->number);
    g_assert_cmpint(e->number, <, HYPERV_FEAT_COUNT);
    if (e->number >= HYPERV_FEAT_COUNT) {
        return;
    }
    info = &hv_features[e->number];

    g_assert_cmpstr(info->prop, ==, e->prop);
    g_assert_cmpstr(info->desc, ==, e->desc);
    for (i = 0; i < 2; i++) {
        char what[64];

        snprintf(what, sizeof(what), "%s flags[%d].func", e->prop, i);
        check_hex32(what, info->flags[i].func, e->flags[i].func);
        snprintf(what, sizeof(what), "%s flags[%d].reg", e->prop, i);
        check_hex32(what, info->flags[i].reg, e->flags[i].reg);
        snprintf(what, sizeof(what), "%s flags[%d].bits", e->prop, i);
        check_hex32(what, info->flags[i].bits, e->flags[i].bits);
    }
    check_mask("dependencies", info->dependencies, e->deps);
    g_assert_cmpint(info->skip_passthrough, ==, e->skip_passthrough);
    g_assert_cmpint(info->needs_vmx, ==, e->needs_vmx);

    /* KVM implements all but hv-guest-idle; TCG only some */
    g_assert_cmpint(!!(info->backends & HV_BACKEND_KVM), ==, !e->no_kvm);
    g_assert_cmpint(!!(info->backends & HV_BACKEND_TCG), ==, e->tcg);
}

static void test_feature_by_prop(gconstpointer opaque)
{
    const ExpectedFeature *e = opaque;

    g_assert_cmpint(hv_feature_by_prop(e->prop), ==, e->number);
}

static void test_feature_by_prop_unknown(void)
{
    g_assert_cmpint(hv_feature_by_prop("hv-bogus"), ==, -1);
    g_assert_cmpint(hv_feature_by_prop("relaxed"), ==, -1);
    g_assert_cmpint(hv_feature_by_prop("hv-relaxe"), ==, -1);
    g_assert_cmpint(hv_feature_by_prop("hv-relaxed "), ==, -1);
    g_assert_cmpint(hv_feature_by_prop("HV-RELAXED"), ==, -1);
    g_assert_cmpint(hv_feature_by_prop("hv-passthrough"), ==, -1);
    g_assert_cmpint(hv_feature_by_prop("hv-spinlocks"), ==, -1);
    g_assert_cmpint(hv_feature_by_prop(""), ==, -1);
}

static void test_skip_passthrough(void)
{
    /*
     * hv-syndbg (bit 16), hv-invtsc (21, it changes what CPUID says
     * about the TSC) and hv-guest-idle (22, it changes how Linux's
     * spinlocks wait) and hv-ext-hypercalls (23, stock QEMU never offers
     * them) are left out of hv-passthrough
     */
    check_mask("skip_passthrough", hv_skip_passthrough_features(),
               BIT64(16) | BIT64(21) | BIT64(22) | BIT64(23));
}

static void test_backend_tcg(void)
{
    /*
     * TCG today: relaxed (0), vapic (1), time (2), crash (3), reset (4),
     * vpindex (5), runtime (6), synic (7), stimer (8), frequencies (9),
     * reenlightenment (10), tlbflush (11), ipi (13), stimer-direct (14),
     * avic (15), syndbg (16), xmm-input (18), tlbflush-ext (19),
     * invtsc (21), guest-idle (22), ext-hypercalls (23); not the
     * nested-VMX evmcs (12),
     * emsr-bitmap (17), tlbflush-direct (20)
     */
    check_mask("TCG features", hv_backend_features(HV_BACKEND_TCG),
               BIT64(0) | BIT64(1) | BIT64(2) | BIT64(3) | BIT64(4) |
               BIT64(5) | BIT64(6) | BIT64(7) | BIT64(8) | BIT64(9) |
               BIT64(10) | BIT64(11) | BIT64(13) | BIT64(14) |
               BIT64(15) | BIT64(16) | BIT64(18) | BIT64(19) |
               BIT64(21) | BIT64(22) | BIT64(23));
}

static void test_backend_kvm(void)
{
    /* All but hv-guest-idle (22), which KVM does not implement */
    check_mask("KVM features", hv_backend_features(HV_BACKEND_KVM),
               ALL_FEATURES & ~BIT64(22));
    check_mask("KVM|TCG features", hv_backend_features(HV_BACKEND_ALL),
               ALL_FEATURES);
    check_mask("no backend", hv_backend_features(0), 0);
}

static void test_backend_nested_vmx(void)
{
    /* hv-evmcs (12), hv-emsr-bitmap (17), hv-tlbflush-direct (20) */
    const uint64_t vmx = BIT64(12) | BIT64(17) | BIT64(20);
    uint64_t flagged = 0;
    int feat;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (hv_features[feat].needs_vmx) {
            flagged |= BIT64(feat);
        }
    }
    check_mask("needs_vmx", flagged, vmx);
    check_mask("nested VMX features under TCG",
               hv_backend_features(HV_BACKEND_TCG) & vmx, 0);
}

/*
 * Which feature unlocks which synthetic MSR: Linux's hv_check_msr_access()
 * gates every MSR on exactly one CPUID bit, i.e. on one hv-* feature.
 */
typedef struct ExpectedMsr {
    uint32_t msr;
    int feat;               /* literal feature number */
    const char *name;
} ExpectedMsr;

static const ExpectedMsr expected_msrs[] = {
    { 0x40000002, 5, "VP_INDEX" },
    { 0x40000003, 4, "RESET" },
    { 0x40000010, 6, "VP_RUNTIME" },
    { 0x40000020, 2, "TIME_REF_COUNT" },
    { 0x40000021, 2, "REFERENCE_TSC" },
    { 0x40000022, 9, "TSC_FREQUENCY" },
    { 0x40000023, 9, "APIC_FREQUENCY" },
    { 0x40000070, 1, "EOI" },
    { 0x40000071, 1, "ICR" },
    { 0x40000072, 1, "TPR" },
    { 0x40000073, 1, "VP_ASSIST_PAGE" },
    { 0x40000080, 7, "SCONTROL" },
    { 0x40000081, 7, "SVERSION" },
    { 0x40000082, 7, "SIEFP" },
    { 0x40000083, 7, "SIMP" },
    { 0x40000084, 7, "EOM" },
    { 0x40000090, 7, "SINT0" },
    { 0x40000091, 7, "SINT1" },
    { 0x40000092, 7, "SINT2" },
    { 0x40000093, 7, "SINT3" },
    { 0x40000094, 7, "SINT4" },
    { 0x40000095, 7, "SINT5" },
    { 0x40000096, 7, "SINT6" },
    { 0x40000097, 7, "SINT7" },
    { 0x40000098, 7, "SINT8" },
    { 0x40000099, 7, "SINT9" },
    { 0x4000009a, 7, "SINT10" },
    { 0x4000009b, 7, "SINT11" },
    { 0x4000009c, 7, "SINT12" },
    { 0x4000009d, 7, "SINT13" },
    { 0x4000009e, 7, "SINT14" },
    { 0x4000009f, 7, "SINT15" },
    { 0x400000b0, 8, "STIMER0_CONFIG" },
    { 0x400000b1, 8, "STIMER0_COUNT" },
    { 0x400000b2, 8, "STIMER1_CONFIG" },
    { 0x400000b3, 8, "STIMER1_COUNT" },
    { 0x400000b4, 8, "STIMER2_CONFIG" },
    { 0x400000b5, 8, "STIMER2_COUNT" },
    { 0x400000b6, 8, "STIMER3_CONFIG" },
    { 0x400000b7, 8, "STIMER3_COUNT" },
    { 0x400000f1, 16, "SYNDBG_CONTROL" },
    { 0x400000f2, 16, "SYNDBG_STATUS" },
    { 0x400000f3, 16, "SYNDBG_SEND_BUFFER" },
    { 0x400000f4, 16, "SYNDBG_RECV_BUFFER" },
    { 0x400000f5, 16, "SYNDBG_PENDING_BUFFER" },
    { 0x400000ff, 16, "SYNDBG_OPTIONS" },
    { 0x40000100, 3, "CRASH_P0" },
    { 0x40000101, 3, "CRASH_P1" },
    { 0x40000102, 3, "CRASH_P2" },
    { 0x40000103, 3, "CRASH_P3" },
    { 0x40000104, 3, "CRASH_P4" },
    { 0x40000105, 3, "CRASH_CTL" },
    { 0x40000106, 10, "REENLIGHTENMENT_CONTROL" },
    { 0x40000107, 10, "TSC_EMULATION_CONTROL" },
    { 0x40000108, 10, "TSC_EMULATION_STATUS" },
};

static void test_msr_owner(gconstpointer opaque)
{
    const ExpectedMsr *e = opaque;
    const uint64_t own = BIT64(e->feat);

    /* Its feature alone unlocks it, base or not */
    g_assert_true(hv_msr_exposed(e->msr, own, false));
    g_assert_true(hv_msr_exposed(e->msr, own, true));
    /* Every other feature together does not, nor does the base set */
    g_assert_false(hv_msr_exposed(e->msr, ALL_FEATURES & ~own, false));
    g_assert_false(hv_msr_exposed(e->msr, ALL_FEATURES & ~own, true));
    g_assert_false(hv_msr_exposed(e->msr, 0, true));
}

static void test_msr_time_ref_count(void)
{
    /* HV_X64_MSR_TIME_REF_COUNT only with hv-time */
    g_assert_true(hv_msr_exposed(0x40000020, BIT64(2), false));
    g_assert_false(hv_msr_exposed(0x40000020, 0, false));
    g_assert_false(hv_msr_exposed(0x40000020, 0, true));
    g_assert_false(hv_msr_exposed(0x40000020, ALL_FEATURES & ~BIT64(2),
                                  true));
}

static void test_msr_sint_synic(void)
{
    uint32_t msr;

    for (msr = 0x40000090; msr <= 0x4000009f; msr++) {
        g_assert_true(hv_msr_exposed(msr, BIT64(7), false));
        g_assert_false(hv_msr_exposed(msr, ALL_FEATURES & ~BIT64(7),
                                      true));
    }
    /* Neither side of the SINT range belongs to the SynIC */
    g_assert_false(hv_msr_exposed(0x4000008f, BIT64(7), false));
    g_assert_false(hv_msr_exposed(0x400000a0, BIT64(7), false));
}

static void test_msr_base(void)
{
    /* GUEST_OS_ID and HYPERCALL: only the base set (HYPERCALL_AVAILABLE) */
    g_assert_true(hv_msr_exposed(0x40000000, 0, true));
    g_assert_true(hv_msr_exposed(0x40000001, 0, true));
    g_assert_false(hv_msr_exposed(0x40000000, ALL_FEATURES, false));
    g_assert_false(hv_msr_exposed(0x40000001, ALL_FEATURES, false));

    g_assert_cmphex(hv_base_msrs[0], ==, 0x40000000);
    g_assert_cmphex(hv_base_msrs[1], ==, 0x40000001);
    g_assert_cmphex(hv_base_msrs[2], ==, 0);
}

static void test_msr_unknown(void)
{
    /* Not synthetic MSRs of any hv-* feature */
    static const uint32_t msrs[] = {
        0, 0x40000004, 0x40000024, 0x40000074, 0x400000ef, 0x400000f6,
        0x40000109, 0x4000ffff, 0x00000010, 0xc0000080,
    };
    int i;

    for (i = 0; i < (int)ARRAY_LEN(msrs); i++) {
        if (hv_msr_exposed(msrs[i], ALL_FEATURES, true)) {
            g_test_fail_printf("MSR 0x%08" PRIx32 " exposed", msrs[i]);
        }
    }
    /* HV_X64_MSR_GUEST_IDLE is hv-guest-idle's, and only its */
    g_assert_true(hv_msr_exposed(0x400000f0, BIT64(22), true));
    g_assert_false(hv_msr_exposed(0x400000f0, ALL_FEATURES & ~BIT64(22),
                                  true));
}

/*
 * Dependencies: the messages are QEMU's, "Hyper-V %s requires Hyper-V %s"
 * with kvm_hyperv_properties[].desc on both sides.
 */
typedef struct DepCase {
    const char *name;
    uint64_t features;
    bool synic_kvm_only;
    const char *want[3];
    int n_want;
} DepCase;

#define D_RELAXED       "relaxed timing (hv-relaxed)"
#define D_VAPIC         "virtual APIC (hv-vapic)"
#define D_TIME          "clocksources (hv-time)"
#define D_VPINDEX       "VP_INDEX MSR (hv-vpindex)"
#define D_SYNIC         "synthetic interrupt controller (hv-synic)"
#define D_STIMER        "synthetic timers (hv-stimer)"
#define D_TLBFLUSH      "paravirtualized TLB flush (hv-tlbflush)"
#define D_EVMCS         "enlightened VMCS (hv-evmcs)"
#define D_IPI           "paravirtualized IPI (hv-ipi)"
#define D_STIMER_DIRECT "direct mode synthetic timers (hv-stimer-direct)"
#define D_SYNDBG        "Enable synthetic kernel debugger channel (hv-syndbg)"
#define D_TLBFLUSH_EXT  \
    "Extended gva ranges for TLB flush hypercalls (hv-tlbflush-ext)"
#define D_TLBFLUSH_DIRECT "direct TLB flush (hv-tlbflush-direct)"

#define REQUIRES(a, b)  "Hyper-V " a " requires Hyper-V " b

static const DepCase dep_cases[] = {
    {
        "stimer-needs-synic", BIT64(8) | BIT64(2), false,
        { "Hyper-V synthetic timers (hv-stimer) requires Hyper-V synthetic "
          "interrupt controller (hv-synic)" }, 1,
    }, {
        "stimer-needs-time", BIT64(8) | BIT64(7) | BIT64(5), false,
        { REQUIRES(D_STIMER, D_TIME) }, 1,
    }, {
        /* both missing: one line each, in feature number order */
        "stimer-needs-both", BIT64(8), false,
        { REQUIRES(D_STIMER, D_TIME), REQUIRES(D_STIMER, D_SYNIC) }, 2,
    }, {
        "tlbflush-needs-vpindex", BIT64(11), false,
        { REQUIRES(D_TLBFLUSH, D_VPINDEX) }, 1,
    }, {
        "evmcs-needs-vapic", BIT64(12), false,
        { REQUIRES(D_EVMCS, D_VAPIC) }, 1,
    }, {
        "ipi-needs-vpindex", BIT64(13), false,
        { REQUIRES(D_IPI, D_VPINDEX) }, 1,
    }, {
        "stimer-direct-needs-stimer", BIT64(14), false,
        { REQUIRES(D_STIMER_DIRECT, D_STIMER) }, 1,
    }, {
        "syndbg-needs-synic", BIT64(16) | BIT64(0), false,
        { REQUIRES(D_SYNDBG, D_SYNIC) }, 1,
    }, {
        "syndbg-needs-relaxed", BIT64(16) | BIT64(7) | BIT64(5), false,
        { REQUIRES(D_SYNDBG, D_RELAXED) }, 1,
    }, {
        "tlbflush-ext-needs-tlbflush", BIT64(19), false,
        { REQUIRES(D_TLBFLUSH_EXT, D_TLBFLUSH) }, 1,
    }, {
        "tlbflush-direct-needs-vapic", BIT64(20), false,
        { REQUIRES(D_TLBFLUSH_DIRECT, D_VAPIC) }, 1,
    }, {
        /* kvm_hyperv_expand_features(): "not covered by the table" */
        "synic-needs-vpindex", BIT64(7), false,
        { REQUIRES(D_SYNIC, D_VPINDEX) }, 1,
    }, {
        "synic-kvm-only-no-vpindex", BIT64(7), true,
        { NULL }, 0,
    }, {
        /* the dependency rules hold for synic_kvm_only too */
        "synic-kvm-only-stimer", BIT64(7) | BIT64(8), true,
        { REQUIRES(D_STIMER, D_TIME) }, 1,
    }, {
        /* IPI and TLB flush both without VP_INDEX, plus SynIC */
        "three-missing-vpindex", BIT64(7) | BIT64(11) | BIT64(13), false,
        {
            REQUIRES(D_TLBFLUSH, D_VPINDEX), REQUIRES(D_IPI, D_VPINDEX),
            REQUIRES(D_SYNIC, D_VPINDEX),
        }, 3,
    }, {
        "all-features", ALL_FEATURES, false, { NULL }, 0,
    }, {
        "no-features", 0, false, { NULL }, 0,
    }, {
        /* every feature that depends on nothing, alone */
        "independent-features",
        BIT64(0) | BIT64(1) | BIT64(2) | BIT64(3) | BIT64(4) | BIT64(5) |
        BIT64(6) | BIT64(9) | BIT64(10) | BIT64(15) | BIT64(17) | BIT64(18),
        false, { NULL }, 0,
    },
};

static void test_dependencies(gconstpointer opaque)
{
    const DepCase *c = opaque;
    HvProblems problems;
    HvConfig cfg;
    bool ok;

    hv_config_init_defaults(&cfg);
    cfg.features = c->features;
    cfg.synic_kvm_only = c->synic_kvm_only;
    hv_problems_init(&problems);
    ok = hv_check_dependencies(&cfg, &problems);
    g_assert_cmpint(ok, ==, c->n_want == 0);
    check_problems(&problems, c->want, c->n_want);
}

static void test_dependencies_each_alone(void)
{
    /* Each feature with its dependencies (and VP_INDEX for SynIC) is fine */
    const ExpectedFeature *e;
    HvProblems problems;
    HvConfig cfg;

    for (e = expected_features; e < expected_features +
         ARRAY_LEN(expected_features); e++) {
        hv_config_init_defaults(&cfg);
        cfg.features = BIT64(e->number) | e->deps;
        if (cfg.features & BIT64(8)) {
            cfg.features |= BIT64(7) | BIT64(2);    /* stimer's deps */
        }
        if (cfg.features & BIT64(11)) {
            cfg.features |= BIT64(5);               /* tlbflush's dep */
        }
        if (cfg.features & BIT64(7)) {
            cfg.features |= BIT64(5);               /* synic -> vpindex */
        }
        hv_problems_init(&problems);
        if (!hv_check_dependencies(&cfg, &problems)) {
            g_test_fail_printf("%s: %s", e->prop, problems.msg[0]);
        }
    }
}

static void test_dependencies_keep_earlier(void)
{
    /* Lines already there stay; the result only reflects new problems */
    static const char *const want[] = {
        "an earlier problem", REQUIRES(D_EVMCS, D_VAPIC),
    };
    HvProblems problems;
    HvConfig cfg;

    hv_config_init_defaults(&cfg);
    hv_problems_init(&problems);
    hv_problem_add(&problems, "an earlier problem");

    cfg.features = BIT64(0);
    g_assert_true(hv_check_dependencies(&cfg, &problems));
    g_assert_cmpint(problems.count, ==, 1);

    cfg.features = BIT64(12);
    g_assert_false(hv_check_dependencies(&cfg, &problems));
    check_problems(&problems, want, 2);
}

/* hv_filter_features: what a backend keeps of a request */
typedef struct FilterCase {
    const char *name;
    uint64_t requested, supported;
    uint64_t keep, filtered;
} FilterCase;

static const FilterCase filter_cases[] = {
    {
        /* TCG: relaxed, avic kept; time dropped */
        "tcg-relaxed-avic-time",
        BIT64(0) | BIT64(15) | BIT64(2), BIT64(0) | BIT64(15),
        BIT64(0) | BIT64(15), BIT64(2),
    }, {
        "tcg-everything", ALL_FEATURES, BIT64(0) | BIT64(15),
        BIT64(0) | BIT64(15), ALL_FEATURES & ~(BIT64(0) | BIT64(15)),
    }, {
        /* no synic: stimer goes with it, then stimer-direct with stimer */
        "cascade-synic",
        BIT64(7) | BIT64(5) | BIT64(2) | BIT64(8) | BIT64(14),
        ALL_FEATURES & ~BIT64(7),
        BIT64(5) | BIT64(2), BIT64(7) | BIT64(8) | BIT64(14),
    }, {
        /* no vpindex: tlbflush, then tlbflush-ext; ipi too */
        "cascade-vpindex",
        BIT64(5) | BIT64(11) | BIT64(19) | BIT64(13) | BIT64(0),
        ALL_FEATURES & ~BIT64(5),
        BIT64(0), BIT64(5) | BIT64(11) | BIT64(19) | BIT64(13),
    }, {
        /* no time: stimer, stimer-direct; synic and syndbg stay */
        "cascade-time",
        BIT64(0) | BIT64(2) | BIT64(5) | BIT64(7) | BIT64(8) | BIT64(14) |
        BIT64(16),
        ALL_FEATURES & ~BIT64(2),
        BIT64(0) | BIT64(5) | BIT64(7) | BIT64(16),
        BIT64(2) | BIT64(8) | BIT64(14),
    }, {
        /* no vapic: evmcs and tlbflush-direct, not emsr-bitmap */
        "cascade-vapic",
        BIT64(1) | BIT64(12) | BIT64(17) | BIT64(20),
        ALL_FEATURES & ~BIT64(1),
        BIT64(17), BIT64(1) | BIT64(12) | BIT64(20),
    }, {
        /* the dropped dependency is only the feature's own */
        "unsupported-dependent-only",
        BIT64(7) | BIT64(8) | BIT64(2) | BIT64(14),
        ALL_FEATURES & ~BIT64(8),
        BIT64(7) | BIT64(2), BIT64(8) | BIT64(14),
    }, {
        /* a dependency that was never requested is not "dropped" */
        "unrequested-dependency", BIT64(8), ALL_FEATURES,
        BIT64(8), 0,
    }, {
        "all-supported", ALL_FEATURES, ALL_FEATURES, ALL_FEATURES, 0,
    }, {
        "nothing-requested", 0, BIT64(0), 0, 0,
    }, {
        "nothing-supported", BIT64(0) | BIT64(1), 0,
        0, BIT64(0) | BIT64(1),
    },
};

static void test_filter(gconstpointer opaque)
{
    const FilterCase *c = opaque;
    uint64_t filtered = 0xdeadbeefull;
    uint64_t keep;

    keep = hv_filter_features(c->requested, c->supported, &filtered);
    check_mask("kept", keep, c->keep);
    check_mask("filtered", filtered, c->filtered);

    /* filtered is optional */
    keep = hv_filter_features(c->requested, c->supported, NULL);
    check_mask("kept (no filtered)", keep, c->keep);
}

/* hv-vendor-id */
static void test_vendor_microsoft(void)
{
    HvConfig cfg;

    memset(&cfg, 0xaa, sizeof(cfg));
    g_assert_true(hv_config_set_vendor(&cfg, "Microsoft Hv"));
    check_hex32("vendor[0] \"Micr\"", cfg.vendor_id[0], 0x7263694d);
    check_hex32("vendor[1] \"osof\"", cfg.vendor_id[1], 0x666f736f);
    check_hex32("vendor[2] \"t Hv\"", cfg.vendor_id[2], 0x76482074);
}

static void test_vendor_linux(void)
{
    HvConfig cfg;

    g_assert_true(hv_config_set_vendor(&cfg, "Linux KVM Hv"));
    check_hex32("vendor[0] \"Linu\"", cfg.vendor_id[0], 0x756e694c);
    check_hex32("vendor[1] \"x KV\"", cfg.vendor_id[1], 0x564b2078);
    check_hex32("vendor[2] \"M Hv\"", cfg.vendor_id[2], 0x7648204d);
}

static void test_vendor_too_long(void)
{
    HvConfig cfg;

    /* 13 characters: reported, and truncated to the first 12 */
    g_assert_false(hv_config_set_vendor(&cfg, "Microsoft Hv!"));
    check_hex32("vendor[0]", cfg.vendor_id[0], 0x7263694d);
    check_hex32("vendor[1]", cfg.vendor_id[1], 0x666f736f);
    check_hex32("vendor[2]", cfg.vendor_id[2], 0x76482074);

    g_assert_false(hv_config_set_vendor(&cfg,
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    check_hex32("vendor[0] \"ABCD\"", cfg.vendor_id[0], 0x44434241);
    check_hex32("vendor[1] \"EFGH\"", cfg.vendor_id[1], 0x48474645);
    check_hex32("vendor[2] \"IJKL\"", cfg.vendor_id[2], 0x4c4b4a49);
}

static void test_vendor_short(void)
{
    HvConfig cfg;

    /* A longer vendor first: its bytes must not survive */
    hv_config_set_vendor(&cfg, "Microsoft Hv");
    g_assert_true(hv_config_set_vendor(&cfg, "KVMKVMKVM"));
    check_hex32("vendor[0] \"KVMK\"", cfg.vendor_id[0], 0x4b4d564b);
    check_hex32("vendor[1] \"VMKV\"", cfg.vendor_id[1], 0x564b4d56);
    check_hex32("vendor[2] \"M\\0\\0\\0\"", cfg.vendor_id[2], 0x0000004d);

    g_assert_true(hv_config_set_vendor(&cfg, ""));
    check_hex32("vendor[0] empty", cfg.vendor_id[0], 0);
    check_hex32("vendor[1] empty", cfg.vendor_id[1], 0);
    check_hex32("vendor[2] empty", cfg.vendor_id[2], 0);

    /* bytes >= 0x80 keep their value (no sign extension) */
    g_assert_true(hv_config_set_vendor(&cfg, "\xff\xfe\xfd\xfc"));
    check_hex32("vendor[0] high bytes", cfg.vendor_id[0], 0xfcfdfeff);
}

static void test_config_defaults(void)
{
    HvConfig cfg;

    memset(&cfg, 0x55, sizeof(cfg));
    hv_config_init_defaults(&cfg);

    /* target/i386/cpu.c property defaults and x86_cpu_hyperv_realize() */
    check_mask("features", cfg.features, 0);
    g_assert_false(cfg.passthrough);
    g_assert_false(cfg.enforce_cpuid);
    g_assert_false(cfg.synic_kvm_only);
    check_hex32("hv-spinlocks", cfg.spinlock_attempts, 0xffffffff);
    check_hex32("vendor[0]", cfg.vendor_id[0], 0x7263694d);
    check_hex32("vendor[1]", cfg.vendor_id[1], 0x666f736f);
    check_hex32("vendor[2]", cfg.vendor_id[2], 0x76482074);
    check_hex32("interface[0] \"Hv#1\"", cfg.interface_id[0], 0x31237648);
    check_hex32("interface[1]", cfg.interface_id[1], 0);
    check_hex32("interface[2]", cfg.interface_id[2], 0);
    check_hex32("interface[3]", cfg.interface_id[3], 0);
    check_hex32("hv-version-id-build", cfg.ver_build, 0x3839);
    check_hex32("hv-version-id-major", cfg.ver_major, 0x000a);
    check_hex32("hv-version-id-minor", cfg.ver_minor, 0x0000);
    check_hex32("hv-version-id-spack", cfg.ver_sp, 0);
    check_hex32("hv-version-id-sbranch", cfg.ver_sb, 0);
    check_hex32("hv-version-id-snumber", cfg.ver_sn, 0);
    g_assert_cmpint(cfg.max_vps, ==, -1);
    check_hex32("limits[0]", cfg.limits[0], 64);
    check_hex32("limits[1]", cfg.limits[1], 0);
    check_hex32("limits[2]", cfg.limits[2], 0);
    g_assert_cmpint(cfg.no_nonarch_cs, ==, HV_NO_NONARCH_CS_OFF);
    g_assert_false(cfg.host_no_nonarch_cs);
    g_assert_false(cfg.hypercall_available);
}

static void test_config_enabled(void)
{
    HvConfig cfg;

    /* upstream hyperv_enabled(): spinlocks, any feature, or passthrough */
    hv_config_init_defaults(&cfg);
    g_assert_false(hv_config_enabled(&cfg));

    cfg.enforce_cpuid = true;
    cfg.no_nonarch_cs = HV_NO_NONARCH_CS_ON;
    hv_config_set_vendor(&cfg, "KVMKVMKVM");
    g_assert_false(hv_config_enabled(&cfg));

    hv_config_init_defaults(&cfg);
    cfg.spinlock_attempts = 0xfff;
    g_assert_true(hv_config_enabled(&cfg));

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(20);
    g_assert_true(hv_config_enabled(&cfg));

    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    g_assert_true(hv_config_enabled(&cfg));
}

static void test_problems_overflow(void)
{
    HvProblems problems;
    char long_line[400];
    int i;

    hv_problems_init(&problems);
    g_assert_cmpint(problems.count, ==, 0);

    /* A line longer than a slot is cut, not overflowed */
    memset(long_line, 'x', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = 0;
    hv_problem_add(&problems, "%s", long_line);
    g_assert_cmpint(strlen(problems.msg[0]), ==, HV_PROBLEM_LEN - 1);

    /* Room for 32 lines (HYPERV_FEAT_COUNT + 8); the rest are dropped */
    for (i = 1; i < 40; i++) {
        hv_problem_add(&problems, "line %d", i);
    }
    g_assert_cmpint(HV_MAX_PROBLEMS, ==, 32);
    g_assert_cmpint(problems.count, ==, 32);
    g_assert_cmpstr(problems.msg[31], ==, "line 31");
}

int main(int argc, char **argv)
{
    int i;

    hv_unit_init(&argc, &argv);

    g_test_add_func("/hv-feature/count", test_feature_count);
    for (i = 0; i < (int)ARRAY_LEN(expected_features); i++) {
        const ExpectedFeature *e = &expected_features[i];
        g_autofree char *row = g_strdup_printf("/hv-feature/table/%s",
                                               e->prop);
        g_autofree char *by = g_strdup_printf("/hv-feature/by-prop/%s",
                                              e->prop);

        g_test_add_data_func(row, e, test_feature_row);
        g_test_add_data_func(by, e, test_feature_by_prop);
    }
    g_test_add_func("/hv-feature/by-prop/unknown",
                    test_feature_by_prop_unknown);
    g_test_add_func("/hv-feature/skip-passthrough", test_skip_passthrough);
    g_test_add_func("/hv-feature/backend/tcg", test_backend_tcg);
    g_test_add_func("/hv-feature/backend/kvm", test_backend_kvm);
    g_test_add_func("/hv-feature/backend/nested-vmx-never-tcg",
                    test_backend_nested_vmx);

    for (i = 0; i < (int)ARRAY_LEN(expected_msrs); i++) {
        g_autofree char *path = g_strdup_printf("/hv-feature/msr/%s",
                                                expected_msrs[i].name);

        g_test_add_data_func(path, &expected_msrs[i], test_msr_owner);
    }
    g_test_add_func("/hv-feature/msr/time-ref-count-needs-time",
                    test_msr_time_ref_count);
    g_test_add_func("/hv-feature/msr/sint-needs-synic", test_msr_sint_synic);
    g_test_add_func("/hv-feature/msr/base", test_msr_base);
    g_test_add_func("/hv-feature/msr/unknown", test_msr_unknown);

    for (i = 0; i < (int)ARRAY_LEN(dep_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hv-feature/deps/%s",
                                                dep_cases[i].name);

        g_test_add_data_func(path, &dep_cases[i], test_dependencies);
    }
    g_test_add_func("/hv-feature/deps/each-feature-with-its-deps",
                    test_dependencies_each_alone);
    g_test_add_func("/hv-feature/deps/keeps-earlier-problems",
                    test_dependencies_keep_earlier);

    for (i = 0; i < (int)ARRAY_LEN(filter_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hv-feature/filter/%s",
                                                filter_cases[i].name);

        g_test_add_data_func(path, &filter_cases[i], test_filter);
    }

    g_test_add_func("/hv-feature/vendor/microsoft", test_vendor_microsoft);
    g_test_add_func("/hv-feature/vendor/linux-kvm", test_vendor_linux);
    g_test_add_func("/hv-feature/vendor/too-long", test_vendor_too_long);
    g_test_add_func("/hv-feature/vendor/short", test_vendor_short);
    g_test_add_func("/hv-feature/config/defaults", test_config_defaults);
    g_test_add_func("/hv-feature/config/enabled", test_config_enabled);
    g_test_add_func("/hv-feature/problems/overflow", test_problems_overflow);

    return g_test_run();
}
