/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: the Hyper-V CPUID leaves (hv-cpuid.c).
 *
 * The expected leaves are literals worked out by hand from upstream QEMU
 * 10.0's hyperv_fill_cpuids() and hv_build_cpuid_leaf() (target/i386/kvm/
 * kvm.c), the kvm_hyperv_properties[] bits, the hv-* property defaults
 * (target/i386/cpu.c) and x86_cpu_hyperv_realize().  Strings are spelled
 * out as the little-endian register values CPUID returns:
 *   "Micr" 0x7263694d  "osof" 0x666f736f  "t Hv" 0x76482074
 *   "t VS" 0x53562074  "Hv#1" 0x31237648  "VS#1" 0x31235356
 */

#include "hv-unit.h"

#define ALL_FEATURES        0x1fffffull

/* Feature bits by their upstream numbers (target/i386/cpu.h) */
#define F_RELAXED           BIT64(0)
#define F_VAPIC             BIT64(1)
#define F_TIME              BIT64(2)
#define F_CRASH             BIT64(3)
#define F_RESET             BIT64(4)
#define F_VPINDEX           BIT64(5)
#define F_RUNTIME           BIT64(6)
#define F_SYNIC             BIT64(7)
#define F_STIMER            BIT64(8)
#define F_FREQUENCIES       BIT64(9)
#define F_REENLIGHTENMENT   BIT64(10)
#define F_TLBFLUSH          BIT64(11)
#define F_EVMCS             BIT64(12)
#define F_IPI               BIT64(13)
#define F_STIMER_DIRECT     BIT64(14)
#define F_AVIC              BIT64(15)
#define F_SYNDBG            BIT64(16)
#define F_MSR_BITMAP        BIT64(17)
#define F_XMM_INPUT         BIT64(18)
#define F_TLBFLUSH_EXT      BIT64(19)
#define F_TLBFLUSH_DIRECT   BIT64(20)

/* Leaf 0x40000000 with the default "Microsoft Hv" vendor */
#define LEAF_VENDOR_MS(max) \
    { 0x40000000, (max), 0x7263694d, 0x666f736f, 0x76482074 }
#define LEAF_INTERFACE      { 0x40000001, 0x31237648, 0, 0, 0 }
/* Build 0x3839 = 14393 (Windows Server 2016), version 10.0, as KVM */
#define LEAF_VERSION        { 0x40000002, 0x00003839, 0x000a0000, 0, 0 }
/* hv-spinlocks default: never notify */
#define LEAF_ENLIGHT(eax)   { 0x40000004, (eax), 0xffffffff, 0, 0 }
/* x-hv-max-vps -1, 64 logical processors */
#define LEAF_LIMITS         { 0x40000005, 0xffffffff, 64, 0, 0 }
/* 0x40000006..0x40000009 exist, zeroed, below the nested leaf */
#define LEAF_ZERO(fn)       { (fn), 0, 0, 0, 0 }
/* "Microsoft VS", "VS#1", HV_SYNDBG_CAP_ALLOW_KERNEL_DEBUGGING */
#define LEAF_SYNDBG_VENDOR  \
    { 0x40000080, 0, 0x7263694d, 0x666f736f, 0x53562074 }
#define LEAF_SYNDBG_IFACE   { 0x40000081, 0x31235356, 0, 0, 0 }
#define LEAF_SYNDBG_CAPS    { 0x40000082, 0x00000002, 0, 0, 0 }

/* A default configuration, as the KVM backend uses it */
static void config_kvm(HvConfig *cfg, uint64_t features)
{
    hv_config_init_defaults(cfg);
    cfg->features = features;
    cfg->hypercall_available = true;
}

static int build(const HvConfig *cfg, HvCpuidLeaf *leaves)
{
    int n = hv_cpuid_build(cfg, leaves);

    g_assert_cmpint(n, >, 0);
    g_assert_cmpint(n, <=, HV_CPUID_MAX_LEAVES);
    return n;
}

static void test_none(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x40000005),
        LEAF_INTERFACE,
        LEAF_VERSION,
        /* HV_HYPERCALL_AVAILABLE; HV_CPU_DYNAMIC_PARTITIONING_AVAILABLE */
        { 0x40000003, 0x00000020, 0, 0, 0x00000008 },
        LEAF_ENLIGHT(0),
        LEAF_LIMITS,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, 0);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_none_no_hypercall(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x40000005),
        LEAF_INTERFACE,
        LEAF_VERSION,
        { 0x40000003, 0, 0, 0, 0x00000008 },
        LEAF_ENLIGHT(0),
        LEAF_LIMITS,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    hv_config_init_defaults(&cfg);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_minimal(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x40000005),
        LEAF_INTERFACE,
        LEAF_VERSION,
        /*
         * HYPERCALL 0x20 | APIC_ACCESS 0x10 | TIME_REF_COUNT 0x2
         * | REFERENCE_TSC 0x200
         */
        { 0x40000003, 0x00000232, 0, 0, 0x00000008 },
        /* RELAXED_TIMING 0x20 | APIC_ACCESS_RECOMMENDED 0x8 */
        LEAF_ENLIGHT(0x00000028),
        LEAF_LIMITS,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_RELAXED | F_VAPIC | F_TIME);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_full(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x40000082),
        LEAF_INTERFACE,
        LEAF_VERSION,
        /*
         * EAX: runtime 0x1, time 0x202, synic 0x4, stimer 0x8, vapic 0x10,
         *      hypercall 0x20, vpindex 0x40, reset 0x80, frequencies 0x800,
         *      reenlightenment 0x2000
         * EBX: POST_MESSAGES 0x10 | SIGNAL_EVENTS 0x20
         * EDX: dynamic partitioning 0x8, xmm-input 0x10, frequencies
         *      0x100, crash 0x400, syndbg 0x800, tlbflush-ext 0x4000,
         *      stimer-direct 0x80000
         */
        { 0x40000003, 0x00002aff, 0x00000030, 0, 0x00084d18 },
        /*
         * relaxed 0x20, avic 0x200, tlbflush 0x804, ipi 0xc00, evmcs
         * 0x4000; no APIC_ACCESS_RECOMMENDED with hv-avic
         */
        LEAF_ENLIGHT(0x00004e24),
        LEAF_LIMITS,
        LEAF_ZERO(0x40000006),
        LEAF_ZERO(0x40000007),
        LEAF_ZERO(0x40000008),
        LEAF_ZERO(0x40000009),
        /* eVMCS 1..1 0x0101, DIRECT_FLUSH 0x20000, MSR_BITMAP 0x80000 */
        { 0x4000000a, 0x000a0101, 0, 0, 0 },
        LEAF_SYNDBG_VENDOR,
        LEAF_SYNDBG_IFACE,
        LEAF_SYNDBG_CAPS,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, ALL_FEATURES);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_full_but_syndbg(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x4000000a),
        LEAF_INTERFACE,
        LEAF_VERSION,
        { 0x40000003, 0x00002aff, 0x00000030, 0, 0x00084518 },
        LEAF_ENLIGHT(0x00004e24),
        LEAF_LIMITS,
        LEAF_ZERO(0x40000006),
        LEAF_ZERO(0x40000007),
        LEAF_ZERO(0x40000008),
        LEAF_ZERO(0x40000009),
        { 0x4000000a, 0x000a0101, 0, 0, 0 },
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, ALL_FEATURES & ~F_SYNDBG);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_nested_evmcs(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x4000000a),
        LEAF_INTERFACE,
        LEAF_VERSION,
        { 0x40000003, 0x00000030, 0, 0, 0x00000008 },
        /* ENLIGHTENED_VMCS 0x4000 | APIC_ACCESS_RECOMMENDED 0x8 */
        LEAF_ENLIGHT(0x00004008),
        LEAF_LIMITS,
        LEAF_ZERO(0x40000006),
        LEAF_ZERO(0x40000007),
        LEAF_ZERO(0x40000008),
        LEAF_ZERO(0x40000009),
        /* DEFAULT_EVMCS_VERSION: versions 1 to 1 */
        { 0x4000000a, 0x00000101, 0, 0, 0 },
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_VAPIC | F_EVMCS);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_nested_emsr_bitmap(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x4000000a),
        LEAF_INTERFACE,
        LEAF_VERSION,
        { 0x40000003, 0x00000020, 0, 0, 0x00000008 },
        LEAF_ENLIGHT(0),
        LEAF_LIMITS,
        LEAF_ZERO(0x40000006),
        LEAF_ZERO(0x40000007),
        LEAF_ZERO(0x40000008),
        LEAF_ZERO(0x40000009),
        /* MSR_BITMAP, no eVMCS version without hv-evmcs */
        { 0x4000000a, 0x00080000, 0, 0, 0 },
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_MSR_BITMAP);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_nested_tlbflush_direct(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x4000000a),
        LEAF_INTERFACE,
        LEAF_VERSION,
        { 0x40000003, 0x00000030, 0, 0, 0x00000008 },
        LEAF_ENLIGHT(0x00000008),
        LEAF_LIMITS,
        LEAF_ZERO(0x40000006),
        LEAF_ZERO(0x40000007),
        LEAF_ZERO(0x40000008),
        LEAF_ZERO(0x40000009),
        { 0x4000000a, 0x00020000, 0, 0, 0 },
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_VAPIC | F_TLBFLUSH_DIRECT);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_syndbg(void)
{
    static const ExpectedLeaf want[] = {
        LEAF_VENDOR_MS(0x40000082),
        LEAF_INTERFACE,
        LEAF_VERSION,
        /* synic 0x4, hypercall 0x20, vpindex 0x40; EDX debug MSRs 0x800 */
        { 0x40000003, 0x00000064, 0x00000030, 0, 0x00000808 },
        LEAF_ENLIGHT(0x00000020),
        LEAF_LIMITS,
        LEAF_SYNDBG_VENDOR,
        LEAF_SYNDBG_IFACE,
        LEAF_SYNDBG_CAPS,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_SYNDBG | F_SYNIC | F_RELAXED | F_VPINDEX);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_syndbg_nested(void)
{
    static const ExpectedLeaf want[] = {
        /* MAX(0x4000000A, 0x40000082) */
        LEAF_VENDOR_MS(0x40000082),
        LEAF_INTERFACE,
        LEAF_VERSION,
        { 0x40000003, 0x00000074, 0x00000030, 0, 0x00000808 },
        LEAF_ENLIGHT(0x00004028),
        LEAF_LIMITS,
        LEAF_ZERO(0x40000006),
        LEAF_ZERO(0x40000007),
        LEAF_ZERO(0x40000008),
        LEAF_ZERO(0x40000009),
        { 0x4000000a, 0x00000101, 0, 0, 0 },
        LEAF_SYNDBG_VENDOR,
        LEAF_SYNDBG_IFACE,
        LEAF_SYNDBG_CAPS,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_SYNDBG | F_SYNIC | F_RELAXED | F_VPINDEX |
               F_VAPIC | F_EVMCS);
    n = build(&cfg, leaves);
    check_leaves(leaves, n, want, (int)ARRAY_LEN(want));
}

static void test_vendor_id(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    const HvCpuidLeaf *leaf;
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_SYNDBG | F_SYNIC | F_RELAXED | F_VPINDEX);
    g_assert_true(hv_config_set_vendor(&cfg, "KVMKVMKVM"));
    n = build(&cfg, leaves);

    leaf = find_leaf(leaves, n, 0x40000000);
    if (leaf) {
        static const ExpectedLeaf want = {
            0x40000000, 0x40000082, 0x4b4d564b, 0x564b4d56, 0x0000004d
        };
        check_leaf_regs(__FILE__, __LINE__, leaf, &want);
    }
    /* The synthetic debugger's vendor is fixed: "Microsoft VS" */
    leaf = find_leaf(leaves, n, 0x40000080);
    if (leaf) {
        static const ExpectedLeaf want = {
            0x40000080, 0, 0x7263694d, 0x666f736f, 0x53562074
        };
        check_leaf_regs(__FILE__, __LINE__, leaf, &want);
    }
}

static void test_vendor_id_truncated(void)
{
    static const ExpectedLeaf want = {
        /* "0123" "4567" "89AB" */
        0x40000000, 0x40000005, 0x33323130, 0x37363534, 0x42413938
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_RELAXED);
    g_assert_false(hv_config_set_vendor(&cfg, "0123456789ABCDEF"));
    build(&cfg, leaves);
    check_leaf_regs(__FILE__, __LINE__, &leaves[0], &want);
}

static void test_spinlocks(void)
{
    static const uint32_t values[] = { 0xfff, 0x1fff, 0x12345678 };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int i, n;

    for (i = 0; i < (int)ARRAY_LEN(values); i++) {
        const HvCpuidLeaf *leaf;

        config_kvm(&cfg, 0);
        cfg.spinlock_attempts = values[i];
        n = build(&cfg, leaves);
        leaf = find_leaf(leaves, n, 0x40000004);
        if (leaf) {
            check_hex32("0x40000004 EBX (hv-spinlocks)", leaf->ebx,
                        values[i]);
            check_hex32("0x40000004 EAX", leaf->eax, 0);
        }
    }
}

static void test_version_id(void)
{
    static const ExpectedLeaf want = {
        /* EBX = major << 16 | minor, EDX = sbranch << 24 | snumber */
        0x40000002, 0x00004563, 0x12345678, 0xdeadbeef, 0xab345678
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_RELAXED);
    cfg.ver_build = 0x4563;
    cfg.ver_major = 0x1234;
    cfg.ver_minor = 0x5678;
    cfg.ver_sp = 0xdeadbeef;
    cfg.ver_sb = 0xab;
    cfg.ver_sn = 0x12345678;        /* only 24 bits fit */
    n = build(&cfg, leaves);
    check_leaf_regs(__FILE__, __LINE__,
                    find_leaf(leaves, n, 0x40000002) ?: &leaves[0], &want);
}

static void test_version_id_fields(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_RELAXED);
    cfg.ver_sb = 0;
    cfg.ver_sn = 0xffffffff;
    build(&cfg, leaves);
    check_hex32("snumber alone", leaves[2].edx, 0x00ffffff);

    cfg.ver_sb = 0xff;
    cfg.ver_sn = 0;
    build(&cfg, leaves);
    check_hex32("sbranch alone", leaves[2].edx, 0xff000000);

    cfg.ver_major = 0xffff;
    cfg.ver_minor = 0;
    build(&cfg, leaves);
    check_hex32("major alone", leaves[2].ebx, 0xffff0000);

    cfg.ver_major = 0;
    cfg.ver_minor = 0xffff;
    build(&cfg, leaves);
    check_hex32("minor alone", leaves[2].ebx, 0x0000ffff);
}

static void test_hypercall_available(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_RELAXED | F_VAPIC);
    build(&cfg, leaves);
    check_hex32("0x40000003 EAX, hypercalls", leaves[3].eax, 0x00000030);

    cfg.hypercall_available = false;
    build(&cfg, leaves);
    check_hex32("0x40000003 EAX, no hypercalls", leaves[3].eax, 0x00000010);
}

static void test_synic_messages(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_SYNIC | F_VPINDEX);
    build(&cfg, leaves);
    check_hex32("0x40000003 EAX", leaves[3].eax, 0x00000064);
    check_hex32("0x40000003 EBX (POST_MESSAGES|SIGNAL_EVENTS)",
                leaves[3].ebx, 0x00000030);

    /* x-hv-synic-kvm-only: the SynIC, but no message/event hypercalls */
    cfg.synic_kvm_only = true;
    build(&cfg, leaves);
    check_hex32("0x40000003 EAX, kvm-only", leaves[3].eax, 0x00000064);
    check_hex32("0x40000003 EBX, kvm-only", leaves[3].ebx, 0);

    /* no SynIC, no messages */
    config_kvm(&cfg, F_VPINDEX);
    build(&cfg, leaves);
    check_hex32("0x40000003 EBX, no synic", leaves[3].ebx, 0);
}

static void test_apic_access_recommended(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_VAPIC);
    build(&cfg, leaves);
    check_hex32("vapic: 0x40000004 EAX", leaves[4].eax, 0x00000008);

    config_kvm(&cfg, F_VAPIC | F_AVIC);
    build(&cfg, leaves);
    check_hex32("vapic+avic: 0x40000004 EAX", leaves[4].eax, 0x00000200);

    config_kvm(&cfg, F_AVIC);
    build(&cfg, leaves);
    check_hex32("avic: 0x40000004 EAX", leaves[4].eax, 0x00000200);
    check_hex32("avic: 0x40000003 EAX", leaves[3].eax, 0x00000020);
}

typedef struct NonarchCase {
    const char *name;
    HvNoNonarchCs mode;
    bool host;
    uint32_t enlight_eax;
} NonarchCase;

static const NonarchCase nonarch_cases[] = {
    /* relaxed 0x20; HV_NO_NONARCH_CORESHARING 0x40000 */
    { "off-host-true", HV_NO_NONARCH_CS_OFF, true, 0x00000020 },
    { "off-host-false", HV_NO_NONARCH_CS_OFF, false, 0x00000020 },
    { "on-host-false", HV_NO_NONARCH_CS_ON, false, 0x00040020 },
    { "on-host-true", HV_NO_NONARCH_CS_ON, true, 0x00040020 },
    { "auto-host-true", HV_NO_NONARCH_CS_AUTO, true, 0x00040020 },
    { "auto-host-false", HV_NO_NONARCH_CS_AUTO, false, 0x00000020 },
};

static void test_no_nonarch_coresharing(gconstpointer opaque)
{
    const NonarchCase *c = opaque;
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_RELAXED);
    cfg.no_nonarch_cs = c->mode;
    cfg.host_no_nonarch_cs = c->host;
    build(&cfg, leaves);
    check_hex32("0x40000004 EAX", leaves[4].eax, c->enlight_eax);
}

static void test_dynamic_partitioning(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int feat;

    /* Every single feature, none, all, with and without hypercalls */
    for (feat = -2; feat < HYPERV_FEAT_COUNT; feat++) {
        uint64_t features = feat == -2 ? 0 :
                            feat == -1 ? ALL_FEATURES : BIT64(feat);
        int hc;

        for (hc = 0; hc < 2; hc++) {
            const HvCpuidLeaf *leaf;
            int n;

            config_kvm(&cfg, features);
            cfg.hypercall_available = hc;
            n = build(&cfg, leaves);
            leaf = find_leaf(leaves, n, 0x40000003);
            if (leaf && !(leaf->edx & 0x00000008)) {
                g_test_fail_printf("features 0x%" PRIx64 ": EDX 0x%08"
                                   PRIx32 " lacks dynamic partitioning",
                                   features, leaf->edx);
            }
        }
    }
}

static void test_limits(void)
{
    static const ExpectedLeaf want = {
        0x40000005, 0x00000400, 0x00000001, 0x00000002, 0x00000003
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_RELAXED);
    cfg.max_vps = 1024;
    cfg.limits[0] = 1;
    cfg.limits[1] = 2;
    cfg.limits[2] = 3;
    build(&cfg, leaves);
    check_leaf_regs(__FILE__, __LINE__, &leaves[5], &want);
}

static void test_interface_id(void)
{
    static const ExpectedLeaf want = {
        0x40000001, 0x11111111, 0x22222222, 0x33333333, 0x44444444
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;

    config_kvm(&cfg, F_RELAXED);
    cfg.interface_id[0] = 0x11111111;
    cfg.interface_id[1] = 0x22222222;
    cfg.interface_id[2] = 0x33333333;
    cfg.interface_id[3] = 0x44444444;
    build(&cfg, leaves);
    check_leaf_regs(__FILE__, __LINE__, &leaves[1], &want);
}

/*
 * Each feature alone, without the hypercall MSRs: exactly its own bits in
 * leaves 0x40000003/4 (plus the ones hyperv_fill_cpuids() adds for it) and
 * the right highest leaf.
 */
typedef struct SingleCase {
    uint64_t feature;
    const char *prop;
    uint32_t feat_eax, feat_ebx, feat_edx;
    uint32_t enlight_eax;
    uint32_t max_leaf;
    uint32_t nested_eax;        /* only when max_leaf >= 0x4000000a */
} SingleCase;

static const SingleCase single_cases[] = {
    { F_RELAXED, "hv-relaxed", 0, 0, 0x8, 0x20, 0x40000005, 0 },
    { F_VAPIC, "hv-vapic", 0x10, 0, 0x8, 0x8, 0x40000005, 0 },
    { F_TIME, "hv-time", 0x202, 0, 0x8, 0, 0x40000005, 0 },
    { F_CRASH, "hv-crash", 0, 0, 0x408, 0, 0x40000005, 0 },
    { F_RESET, "hv-reset", 0x80, 0, 0x8, 0, 0x40000005, 0 },
    { F_VPINDEX, "hv-vpindex", 0x40, 0, 0x8, 0, 0x40000005, 0 },
    { F_RUNTIME, "hv-runtime", 0x1, 0, 0x8, 0, 0x40000005, 0 },
    { F_SYNIC, "hv-synic", 0x4, 0x30, 0x8, 0, 0x40000005, 0 },
    { F_STIMER, "hv-stimer", 0x8, 0, 0x8, 0, 0x40000005, 0 },
    { F_FREQUENCIES, "hv-frequencies", 0x800, 0, 0x108, 0, 0x40000005, 0 },
    { F_REENLIGHTENMENT, "hv-reenlightenment", 0x2000, 0, 0x8, 0,
      0x40000005, 0 },
    { F_TLBFLUSH, "hv-tlbflush", 0, 0, 0x8, 0x804, 0x40000005, 0 },
    { F_EVMCS, "hv-evmcs", 0, 0, 0x8, 0x4000, 0x4000000a, 0x0101 },
    { F_IPI, "hv-ipi", 0, 0, 0x8, 0xc00, 0x40000005, 0 },
    { F_STIMER_DIRECT, "hv-stimer-direct", 0, 0, 0x80008, 0, 0x40000005,
      0 },
    { F_AVIC, "hv-avic", 0, 0, 0x8, 0x200, 0x40000005, 0 },
    { F_SYNDBG, "hv-syndbg", 0, 0, 0x808, 0, 0x40000082, 0 },
    { F_MSR_BITMAP, "hv-emsr-bitmap", 0, 0, 0x8, 0, 0x4000000a, 0x80000 },
    { F_XMM_INPUT, "hv-xmm-input", 0, 0, 0x18, 0, 0x40000005, 0 },
    { F_TLBFLUSH_EXT, "hv-tlbflush-ext", 0, 0, 0x4008, 0, 0x40000005, 0 },
    { F_TLBFLUSH_DIRECT, "hv-tlbflush-direct", 0, 0, 0x8, 0, 0x4000000a,
      0x20000 },
};

static void test_single(gconstpointer opaque)
{
    const SingleCase *c = opaque;
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    const HvCpuidLeaf *leaf;
    HvConfig cfg;
    int n, i;

    hv_config_init_defaults(&cfg);
    cfg.features = c->feature;
    n = build(&cfg, leaves);

    check_hex32("highest leaf", leaves[0].eax, c->max_leaf);
    for (i = 0; i < n; i++) {
        if (leaves[i].function > c->max_leaf) {
            g_test_fail_printf("leaf 0x%08" PRIx32 " beyond 0x%08" PRIx32,
                               leaves[i].function, c->max_leaf);
        }
    }
    check_hex32("0x40000003 EAX", leaves[3].eax, c->feat_eax);
    check_hex32("0x40000003 EBX", leaves[3].ebx, c->feat_ebx);
    check_hex32("0x40000003 ECX", leaves[3].ecx, 0);
    check_hex32("0x40000003 EDX", leaves[3].edx, c->feat_edx);
    check_hex32("0x40000004 EAX", leaves[4].eax, c->enlight_eax);

    leaf = hv_cpuid_find(leaves, n, 0x4000000a);
    if (c->max_leaf >= 0x4000000a && c->max_leaf < 0x40000080) {
        g_assert_nonnull(leaf);
        if (leaf) {
            check_hex32("0x4000000A EAX", leaf->eax, c->nested_eax);
        }
        g_assert_cmpint(n, ==, 11);
    } else {
        g_assert_null(leaf);
    }
}

static void test_max_leaf_is_highest(void)
{
    static const uint64_t configs[] = {
        0, F_RELAXED, F_EVMCS, F_MSR_BITMAP, F_TLBFLUSH_DIRECT, F_SYNDBG,
        F_SYNDBG | F_EVMCS, ALL_FEATURES,
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int i, j, n;

    for (i = 0; i < (int)ARRAY_LEN(configs); i++) {
        uint32_t highest = 0;

        config_kvm(&cfg, configs[i]);
        n = build(&cfg, leaves);
        check_hex32("first leaf", leaves[0].function, 0x40000000);
        for (j = 0; j < n; j++) {
            if (leaves[j].function > highest) {
                highest = leaves[j].function;
            }
        }
        check_hex32("leaf 0x40000000 EAX vs highest leaf", leaves[0].eax,
                    highest);
    }
}

static void test_find(void)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    const HvCpuidLeaf *leaf;
    HvConfig cfg;
    int n;

    config_kvm(&cfg, F_RELAXED);
    cfg.interface_id[0] = 0x11111111;
    cfg.interface_id[1] = 0x22222222;
    cfg.interface_id[2] = 0x33333333;
    cfg.interface_id[3] = 0x44444444;
    n = build(&cfg, leaves);

    g_assert_null(hv_cpuid_find(leaves, n, 0x4000000a));
    g_assert_null(hv_cpuid_find(leaves, n, 0x40000080));
    g_assert_null(hv_cpuid_find(leaves, n, 0x40000006));
    g_assert_null(hv_cpuid_find(leaves, 0, 0x40000000));
    g_assert_null(hv_cpuid_find(NULL, 0, 0x40000000));

    leaf = hv_cpuid_find(leaves, n, 0x40000001);
    g_assert_true(leaf == &leaves[1]);
    if (leaf) {
        check_hex32("EAX", hv_cpuid_leaf_reg(leaf, HV_REG_EAX), 0x11111111);
        check_hex32("EBX", hv_cpuid_leaf_reg(leaf, HV_REG_EBX), 0x22222222);
        check_hex32("ECX", hv_cpuid_leaf_reg(leaf, HV_REG_ECX), 0x33333333);
        check_hex32("EDX", hv_cpuid_leaf_reg(leaf, HV_REG_EDX), 0x44444444);
    }
}

int main(int argc, char **argv)
{
    int i;

    hv_unit_init(&argc, &argv);

    g_test_add_func("/hv-cpuid/none", test_none);
    g_test_add_func("/hv-cpuid/none-no-hypercall", test_none_no_hypercall);
    g_test_add_func("/hv-cpuid/minimal", test_minimal);
    g_test_add_func("/hv-cpuid/full", test_full);
    g_test_add_func("/hv-cpuid/full-but-syndbg", test_full_but_syndbg);
    g_test_add_func("/hv-cpuid/nested/evmcs", test_nested_evmcs);
    g_test_add_func("/hv-cpuid/nested/emsr-bitmap", test_nested_emsr_bitmap);
    g_test_add_func("/hv-cpuid/nested/tlbflush-direct",
                    test_nested_tlbflush_direct);
    g_test_add_func("/hv-cpuid/syndbg", test_syndbg);
    g_test_add_func("/hv-cpuid/syndbg-nested", test_syndbg_nested);
    g_test_add_func("/hv-cpuid/vendor-id", test_vendor_id);
    g_test_add_func("/hv-cpuid/vendor-id-truncated",
                    test_vendor_id_truncated);
    g_test_add_func("/hv-cpuid/spinlocks", test_spinlocks);
    g_test_add_func("/hv-cpuid/version-id", test_version_id);
    g_test_add_func("/hv-cpuid/version-id-fields", test_version_id_fields);
    g_test_add_func("/hv-cpuid/hypercall-available",
                    test_hypercall_available);
    g_test_add_func("/hv-cpuid/synic-messages", test_synic_messages);
    g_test_add_func("/hv-cpuid/apic-access-recommended",
                    test_apic_access_recommended);
    for (i = 0; i < (int)ARRAY_LEN(nonarch_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hv-cpuid/no-nonarch-coresharing/%s",
                            nonarch_cases[i].name);

        g_test_add_data_func(path, &nonarch_cases[i],
                             test_no_nonarch_coresharing);
    }
    g_test_add_func("/hv-cpuid/dynamic-partitioning-always",
                    test_dynamic_partitioning);
    g_test_add_func("/hv-cpuid/limits", test_limits);
    g_test_add_func("/hv-cpuid/interface-id", test_interface_id);
    for (i = 0; i < (int)ARRAY_LEN(single_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hv-cpuid/single/%s",
                                                single_cases[i].prop);

        g_test_add_data_func(path, &single_cases[i], test_single);
    }
    g_test_add_func("/hv-cpuid/max-leaf-is-highest",
                    test_max_leaf_is_highest);
    g_test_add_func("/hv-cpuid/find", test_find);

    return g_test_run();
}
