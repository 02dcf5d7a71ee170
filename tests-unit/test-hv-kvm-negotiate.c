/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: negotiating hv-* features with a host KVM
 * (hv-kvm-negotiate.c), against what real kernels report
 * (kvm-fixtures.h).
 *
 * Which features each kernel supports was worked out by hand from the
 * fixture leaves and upstream QEMU 10.0's kvm_hyperv_properties[] bits,
 * plus the two capabilities QEMU needs beyond CPUID bits: hv-vpindex needs
 * KVM_CAP_HYPERV_VP_INDEX (hv_vpindex_settable) and hv-evmcs needs
 * KVM_CAP_HYPERV_ENLIGHTENED_VMCS (KVM_ENABLE_CAP in hyperv_init_vcpu()).
 * The expected problem lines are the model's documented wording, written
 * out here as templates filled with literal names.
 */

#include "hv-unit.h"
#include "kvm-fixtures.h"

#define ALL_FEATURES    0xffffffull

/* Property and description of each feature, by number */
static const struct {
    const char *prop;
    const char *desc;
} names[HYPERV_FEAT_COUNT] = {
    { "hv-relaxed", "relaxed timing (hv-relaxed)" },
    { "hv-vapic", "virtual APIC (hv-vapic)" },
    { "hv-time", "clocksources (hv-time)" },
    { "hv-crash", "crash MSRs (hv-crash)" },
    { "hv-reset", "reset MSR (hv-reset)" },
    { "hv-vpindex", "VP_INDEX MSR (hv-vpindex)" },
    { "hv-runtime", "VP_RUNTIME MSR (hv-runtime)" },
    { "hv-synic", "synthetic interrupt controller (hv-synic)" },
    { "hv-stimer", "synthetic timers (hv-stimer)" },
    { "hv-frequencies", "frequency MSRs (hv-frequencies)" },
    { "hv-reenlightenment", "reenlightenment MSRs (hv-reenlightenment)" },
    { "hv-tlbflush", "paravirtualized TLB flush (hv-tlbflush)" },
    { "hv-evmcs", "enlightened VMCS (hv-evmcs)" },
    { "hv-ipi", "paravirtualized IPI (hv-ipi)" },
    { "hv-stimer-direct", "direct mode synthetic timers (hv-stimer-direct)" },
    { "hv-avic", "AVIC/APICv support (hv-avic/hv-apicv)" },
    { "hv-syndbg", "Enable synthetic kernel debugger channel (hv-syndbg)" },
    { "hv-emsr-bitmap", "enlightened MSR-Bitmap (hv-emsr-bitmap)" },
    { "hv-xmm-input", "XMM fast hypercall input (hv-xmm-input)" },
    { "hv-tlbflush-ext",
      "Extended gva ranges for TLB flush hypercalls (hv-tlbflush-ext)" },
    { "hv-tlbflush-direct", "direct TLB flush (hv-tlbflush-direct)" },
    { "hv-invtsc", "invariant TSC control (hv-invtsc)" },
    { "hv-guest-idle", "guest idle MSR (hv-guest-idle)" },
    { "hv-ext-hypercalls", "extended hypercalls (hv-ext-hypercalls)" },
};

/*
 * Each feature with everything it depends on (including SynIC's VP_INDEX),
 * so that asking for it alone raises no dependency problem.
 */
static const uint64_t with_deps[HYPERV_FEAT_COUNT] = {
    [0] = BIT64(0),
    [1] = BIT64(1),
    [2] = BIT64(2),
    [3] = BIT64(3),
    [4] = BIT64(4),
    [5] = BIT64(5),
    [6] = BIT64(6),
    [7] = BIT64(7) | BIT64(5),
    [8] = BIT64(8) | BIT64(7) | BIT64(5) | BIT64(2),
    [9] = BIT64(9),
    [10] = BIT64(10),
    [11] = BIT64(11) | BIT64(5),
    [12] = BIT64(12) | BIT64(1),
    [13] = BIT64(13) | BIT64(5),
    [14] = BIT64(14) | BIT64(8) | BIT64(7) | BIT64(5) | BIT64(2),
    [15] = BIT64(15),
    [16] = BIT64(16) | BIT64(7) | BIT64(5) | BIT64(0),
    [17] = BIT64(17),
    [18] = BIT64(18),
    [19] = BIT64(19) | BIT64(11) | BIT64(5),
    [20] = BIT64(20) | BIT64(1),
    [21] = BIT64(21),
    [22] = BIT64(22),
    [23] = BIT64(23),
};

/* The problem lines, as templates */
#define UNSUPPORTED_FMT "Hyper-V %s is not supported by kernel (%s%s); " \
                        "remove %s or upgrade the host kernel"
#define CAP_MISSING     " missing"
#define CAP_NO_BIT      " present, but the feature is not in " \
                        "KVM_GET_SUPPORTED_HV_CPUID"
#define NO_HYPERV       "this host's KVM has no Hyper-V emulation " \
                        "(KVM_CAP_HYPERV missing: kernel built without " \
                        "CONFIG_KVM_HYPERV?)"
#define NO_HYPERV_FMT   "%s: " NO_HYPERV "; remove %s or use -accel tcg"
#define ENFORCE_LINE    "hv-enforce-cpuid is not supported by kernel " \
                        "(KVM_CAP_HYPERV_ENFORCE_CPUID missing); remove " \
                        "hv-enforce-cpuid or upgrade the host kernel"

#define NOT_KVM_FMT     "Hyper-V %s is not implemented by KVM (TCG only); " \
                        "remove %s or use -accel tcg"

/* @cap NULL: no kernel implements @feat */
static char *unsupported_line(int feat, const char *cap, bool present)
{
    if (!cap) {
        return g_strdup_printf(NOT_KVM_FMT, names[feat].desc,
                               names[feat].prop);
    }
    return g_strdup_printf(UNSUPPORTED_FMT, names[feat].desc, cap,
                           present ? CAP_NO_BIT : CAP_MISSING,
                           names[feat].prop);
}

/* A feature a kernel lacks, and the capability the line must name */
typedef struct Missing {
    int feat;
    const char *cap;            /* NULL: KVM does not implement it */
    bool cap_present;
} Missing;

typedef struct KernelCase {
    const char *name;
    const HvKvmHost *host;
    uint64_t supported;         /* hv_kvm_feature_supported() */
    uint64_t passthrough;       /* what hv-passthrough turns on */
    uint32_t max_vps;           /* KVM_MAX_VCPUS */
    bool enforce_cpuid;         /* KVM_CAP_HYPERV_ENFORCE_CPUID */
    Missing missing[8];
    int n_missing;
} KernelCase;

static const KernelCase kernels[] = {
    {
        .name = "v5.10-intel",
        .host = &kvm_v5_10_intel,
        /* all but avic, emsr-bitmap, xmm-input, tlbflush-ext/-direct */
        .supported = 0x017fff,
        .passthrough = 0x007fff,            /* ... and not syndbg */
        .max_vps = 288,
        .enforce_cpuid = false,
        .missing = {
            { 15, "KVM_CAP_HYPERV_CPUID", true },
            { 17, "KVM_CAP_HYPERV_CPUID", true },
            { 18, "KVM_CAP_HYPERV_CPUID", true },
            { 19, "KVM_CAP_HYPERV_CPUID", true },
            { 20, "KVM_CAP_HYPERV_DIRECT_TLBFLUSH", false },
            { 21, "KVM_CAP_HYPERV_CPUID", true },
            { 22, NULL, false },
            { 23, "KVM_CAP_HYPERV_CPUID", true },
        },
        .n_missing = 8,
    }, {
        .name = "v5.15-intel",
        .host = &kvm_v5_15_intel,
        /* all but emsr-bitmap, tlbflush-ext, tlbflush-direct */
        .supported = 0x05ffff,
        .passthrough = 0x04ffff,
        .max_vps = 1024,
        .enforce_cpuid = true,
        .missing = {
            { 17, "KVM_CAP_HYPERV_CPUID", true },
            { 19, "KVM_CAP_HYPERV_CPUID", true },
            { 20, "KVM_CAP_HYPERV_DIRECT_TLBFLUSH", false },
            { 21, "KVM_CAP_HYPERV_CPUID", true },
            { 22, NULL, false },
            { 23, "KVM_CAP_HYPERV_CPUID", true },
        },
        .n_missing = 6,
    }, {
        .name = "v6.1-intel",
        .host = &kvm_v6_1_intel,
        /* all but tlbflush-ext, tlbflush-direct */
        .supported = 0x07ffff,
        .passthrough = 0x06ffff,
        .max_vps = 1024,
        .enforce_cpuid = true,
        .missing = {
            { 19, "KVM_CAP_HYPERV_CPUID", true },
            { 20, "KVM_CAP_HYPERV_DIRECT_TLBFLUSH", false },
            { 21, "KVM_CAP_HYPERV_CPUID", true },
            { 22, NULL, false },
            { 23, "KVM_CAP_HYPERV_CPUID", true },
        },
        .n_missing = 5,
    }, {
        .name = "v6.1-amd",
        .host = &kvm_v6_1_amd,
        /* all but evmcs, tlbflush-ext, tlbflush-direct */
        .supported = 0x07efff,
        .passthrough = 0x06efff,
        .max_vps = 1024,
        .enforce_cpuid = true,
        .missing = {
            { 12, "KVM_CAP_HYPERV_ENLIGHTENED_VMCS", false },
            { 19, "KVM_CAP_HYPERV_CPUID", true },
            { 20, "KVM_CAP_HYPERV_DIRECT_TLBFLUSH", false },
            { 21, "KVM_CAP_HYPERV_CPUID", true },
            { 22, NULL, false },
            { 23, "KVM_CAP_HYPERV_CPUID", true },
        },
        .n_missing = 6,
    }, {
        .name = "v6.6-intel",
        .host = &kvm_v6_6_intel,
        /*
         * all but tlbflush-direct (no KVM_CAP_HYPERV_DIRECT_TLBFLUSH in
         * the fixture); hv-invtsc (21), hv-tlbflush-ext (19) and
         * hv-ext-hypercalls (23, Linux 6.2+) are there
         */
        .supported = 0xafffff,
        .passthrough = 0x0effff,            /* not syndbg, not invtsc */
        .max_vps = 1024,
        .enforce_cpuid = true,
        .missing = {
            { 20, "KVM_CAP_HYPERV_DIRECT_TLBFLUSH", false },
            { 22, NULL, false },
        },
        .n_missing = 2,
    },
};

typedef struct FeatureCase {
    const KernelCase *kernel;
    int feat;
} FeatureCase;

static FeatureCase feature_cases[ARRAY_LEN(kernels)][HYPERV_FEAT_COUNT];
static FeatureCase no_hyperv_cases[HYPERV_FEAT_COUNT];

static const Missing *find_missing(const KernelCase *k, int feat)
{
    int i;

    for (i = 0; i < k->n_missing; i++) {
        if (k->missing[i].feat == feat) {
            return &k->missing[i];
        }
    }
    return NULL;
}

/* The fixtures themselves: the leaves are what the kernel sources say */
static void test_fixture_shape(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    const HvKvmHost *h = k->host;

    g_assert_true(h->cap[HV_KVM_CAP_HYPERV]);
    g_assert_true(h->cap[HV_KVM_CAP_HYPERV_CPUID]);
    g_assert_false(h->cap[HV_KVM_CAP_HYPERV_DIRECT_TLBFLUSH]);
    g_assert_cmpint(h->cap[HV_KVM_CAP_HYPERV_ENFORCE_CPUID], ==,
                    k->enforce_cpuid);
    g_assert_cmpint(h->cap[HV_KVM_CAP_SYS_HYPERV_CPUID], ==,
                    k->enforce_cpuid);
    check_hex32("highest leaf", hv_kvm_host_cpuid(h, 0x40000000, HV_REG_EAX),
                0x40000082);
    check_hex32("max VPs", hv_kvm_host_cpuid(h, 0x40000005, HV_REG_EAX),
                k->max_vps);
    check_hex32("spinlocks", hv_kvm_host_cpuid(h, 0x40000004, HV_REG_EBX),
                0xfff);
}

static void test_supported_mask(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    uint64_t supported = 0;
    int feat;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (hv_kvm_feature_supported(k->host, feat)) {
            supported |= BIT64(feat);
        }
    }
    check_mask("supported", supported, k->supported);
}

/* Every feature alone (with its dependencies) on every kernel */
static void test_feature(gconstpointer opaque)
{
    const FeatureCase *c = opaque;
    const KernelCase *k = c->kernel;
    const Missing *missing = find_missing(k, c->feat);
    HvProblems problems;
    HvConfig cfg;
    bool ok;

    g_assert_cmpint(hv_kvm_feature_supported(k->host, c->feat), ==,
                    !missing);

    hv_config_init_defaults(&cfg);
    cfg.features = with_deps[c->feat];
    hv_problems_init(&problems);
    ok = hv_kvm_negotiate(&cfg, k->host, &problems);

    if (missing) {
        g_autofree char *line = unsupported_line(c->feat, missing->cap,
                                                 missing->cap_present);
        const char *want[] = { line };

        g_assert_false(ok);
        check_problems(&problems, want, 1);
    } else {
        g_assert_true(ok);
        check_problems(&problems, NULL, 0);
    }
    /* Negotiation does not change an explicit request */
    check_mask("features after negotiation", cfg.features,
               with_deps[c->feat]);
}

/* Everything at once: one line per feature the kernel lacks, in order */
static void test_all_requested(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    HvProblems problems;
    HvConfig cfg;
    int i;

    for (i = 0; i < k->n_missing; i++) {
        g_ptr_array_add(lines, unsupported_line(k->missing[i].feat,
                                                k->missing[i].cap,
                                                k->missing[i].cap_present));
    }
    hv_config_init_defaults(&cfg);
    cfg.features = ALL_FEATURES;
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_problems(&problems, (const char *const *)lines->pdata,
                   (int)lines->len);

    /* Exactly the supported ones go through */
    cfg.features = k->supported;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_problems(&problems, NULL, 0);
}

static void check_passthrough_identity(const KernelCase *k,
                                       const HvConfig *cfg)
{
    /* "Linux KVM Hv" */
    check_hex32("vendor[0]", cfg->vendor_id[0], 0x756e694c);
    check_hex32("vendor[1]", cfg->vendor_id[1], 0x564b2078);
    check_hex32("vendor[2]", cfg->vendor_id[2], 0x7648204d);
    check_hex32("interface[0]", cfg->interface_id[0], 0x31237648);
    check_hex32("interface[1]", cfg->interface_id[1], 0);
    check_hex32("interface[2]", cfg->interface_id[2], 0);
    check_hex32("interface[3]", cfg->interface_id[3], 0);
    check_hex32("version build", cfg->ver_build, 0x3839);
    check_hex32("version major", cfg->ver_major, 0x000a);
    check_hex32("version minor", cfg->ver_minor, 0);
    check_hex32("version spack", cfg->ver_sp, 0);
    check_hex32("version sbranch", cfg->ver_sb, 0);
    check_hex32("version snumber", cfg->ver_sn, 0);
    g_assert_cmpint(cfg->max_vps, ==, k->max_vps);
    check_hex32("limits[0]", cfg->limits[0], 64);
    check_hex32("limits[1]", cfg->limits[1], 0);
    check_hex32("limits[2]", cfg->limits[2], 0);
    check_hex32("hv-spinlocks", cfg->spinlock_attempts, 0xfff);
}

static void test_passthrough(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvProblems problems;
    HvConfig cfg;
    int n;

    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_problems(&problems, NULL, 0);
    check_mask("hv-passthrough features", cfg.features, k->passthrough);
    check_passthrough_identity(k, &cfg);

    /* What the guest then sees */
    cfg.hypercall_available = true;
    n = hv_cpuid_build(&cfg, leaves);
    check_hex32("leaf 0x40000000 EBX", leaves[0].ebx, 0x756e694c);
    check_hex32("leaf 0x40000005 EAX", leaves[5].eax, k->max_vps);
    check_hex32("leaf 0x40000004 EBX", leaves[4].ebx, 0xfff);
    /* nested leaves exactly when the kernel has a nested feature */
    check_hex32("highest leaf", leaves[0].eax,
                (k->passthrough & (BIT64(12) | BIT64(17) | BIT64(20))) ?
                0x4000000a : 0x40000005);
    g_assert_cmpint(n, ==, leaves[0].eax == 0x4000000a ? 11 : 6);
}

static void test_passthrough_overrides(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    HvProblems problems;
    HvConfig cfg;

    /* The user's identity settings give way to the host's */
    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    hv_config_set_vendor(&cfg, "KVMKVMKVM");
    cfg.interface_id[1] = 1;
    cfg.ver_build = 1;
    cfg.ver_major = 2;
    cfg.ver_sb = 3;
    cfg.max_vps = 8;
    cfg.limits[1] = 4;
    cfg.spinlock_attempts = 0x2000;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_passthrough_identity(k, &cfg);
}

static void test_passthrough_syndbg(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    HvProblems problems;
    HvConfig cfg;

    /* hv-passthrough,hv-syndbg: syndbg stays, the rest is the host's */
    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    cfg.features = BIT64(16);
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_problems(&problems, NULL, 0);
    check_mask("features", cfg.features, k->passthrough | BIT64(16));
}

/* hv-passthrough,hv-guest-idle: the explicit request is still refused */
static void test_passthrough_guest_idle(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    g_autofree char *line = unsupported_line(22, NULL, false);
    const char *want[] = { line };
    HvProblems problems;
    HvConfig cfg;

    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    cfg.features = BIT64(22);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_problems(&problems, want, 1);
}

static void test_enforce_cpuid(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    static const char *const want[] = { ENFORCE_LINE };
    HvProblems problems;
    HvConfig cfg;
    bool ok;

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(0);
    cfg.enforce_cpuid = true;
    hv_problems_init(&problems);
    ok = hv_kvm_negotiate(&cfg, k->host, &problems);
    g_assert_cmpint(ok, ==, k->enforce_cpuid);
    check_problems(&problems, want, k->enforce_cpuid ? 0 : 1);
}

static void test_not_enabled(gconstpointer opaque)
{
    const KernelCase *k = opaque;
    HvProblems problems;
    HvConfig cfg;

    /* No hv-* at all: nothing to negotiate, whatever the host */
    hv_config_init_defaults(&cfg);
    cfg.enforce_cpuid = true;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, k->host, &problems));
    check_problems(&problems, NULL, 0);
    check_mask("features", cfg.features, 0);
}

/* The CONFIG_KVM_HYPERV=n host: one line per request, each naming it */
static void test_no_hyperv_feature(gconstpointer opaque)
{
    const FeatureCase *c = opaque;
    g_autofree char *line = g_strdup_printf(NO_HYPERV_FMT,
                                            names[c->feat].prop,
                                            names[c->feat].prop);
    const char *want[] = { line };
    HvProblems problems;
    HvConfig cfg;

    g_assert_false(hv_kvm_feature_supported(&kvm_no_hyperv, c->feat));
    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(c->feat);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_no_hyperv, &problems));
    check_problems(&problems, want, 1);
}

static void test_no_hyperv_everything(void)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    HvProblems problems;
    HvConfig cfg;
    int feat, i;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        g_ptr_array_add(lines, g_strdup_printf(NO_HYPERV_FMT,
                                               names[feat].prop,
                                               names[feat].prop));
    }
    g_ptr_array_add(lines, g_strdup("hv-spinlocks: " NO_HYPERV
                                    "; remove hv-spinlocks or use "
                                    "-accel tcg"));
    g_ptr_array_add(lines, g_strdup("hv-passthrough: " NO_HYPERV
                                    "; remove hv-passthrough or use "
                                    "-accel tcg"));

    hv_config_init_defaults(&cfg);
    cfg.features = ALL_FEATURES;
    cfg.spinlock_attempts = 0x1000;
    cfg.passthrough = true;
    cfg.enforce_cpuid = true;
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_no_hyperv, &problems));
    check_problems(&problems, (const char *const *)lines->pdata,
                   (int)lines->len);
    for (i = 0; i < problems.count; i++) {
        g_assert_nonnull(strstr(problems.msg[i], "KVM_CAP_HYPERV missing"));
    }
}

static void test_no_hyperv_spinlocks(void)
{
    static const char *const want[] = {
        "hv-spinlocks: " NO_HYPERV "; remove hv-spinlocks or use -accel tcg"
    };
    HvProblems problems;
    HvConfig cfg;

    hv_config_init_defaults(&cfg);
    cfg.spinlock_attempts = 0xfff;
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_no_hyperv, &problems));
    check_problems(&problems, want, 1);
}

static void test_no_hyperv_passthrough(void)
{
    static const char *const want[] = {
        "hv-passthrough: " NO_HYPERV "; remove hv-passthrough or use "
        "-accel tcg"
    };
    HvProblems problems;
    HvConfig cfg;

    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_no_hyperv, &problems));
    check_problems(&problems, want, 1);
    check_mask("features", cfg.features, 0);
}

static void test_no_hyperv_not_enabled(void)
{
    HvProblems problems;
    HvConfig cfg;

    hv_config_init_defaults(&cfg);
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, &kvm_no_hyperv, &problems));
    check_problems(&problems, NULL, 0);
}

/* hv-vpindex needs KVM_CAP_HYPERV_VP_INDEX even with the CPUID bit */
static void test_vpindex_needs_cap(void)
{
    g_autofree char *line = unsupported_line(5, "KVM_CAP_HYPERV_VP_INDEX",
                                             false);
    const char *want[] = { line };
    HvKvmHost host = kvm_v5_15_intel;
    HvProblems problems;
    HvConfig cfg;

    host.cap[HV_KVM_CAP_HYPERV_VP_INDEX] = false;
    check_hex32("HV_VP_INDEX_AVAILABLE in the leaves",
                hv_kvm_host_cpuid(&host, 0x40000003, HV_REG_EAX) & 0x40,
                0x40);
    g_assert_false(hv_kvm_feature_supported(&host, 5));
    g_assert_true(hv_kvm_feature_supported(&kvm_v5_15_intel, 5));

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(5);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &host, &problems));
    check_problems(&problems, want, 1);
}

/* hv-evmcs needs KVM_CAP_HYPERV_ENLIGHTENED_VMCS even with the bit */
static void test_evmcs_needs_cap(void)
{
    g_autofree char *line =
        unsupported_line(12, "KVM_CAP_HYPERV_ENLIGHTENED_VMCS", false);
    const char *want[] = { line };
    HvKvmHost host = kvm_v6_1_intel;
    HvProblems problems;
    HvConfig cfg;

    host.cap[HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = false;
    check_hex32("ENLIGHTENED_VMCS_RECOMMENDED in the leaves",
                hv_kvm_host_cpuid(&host, 0x40000004, HV_REG_EAX) & 0x4000,
                0x4000);
    g_assert_false(hv_kvm_feature_supported(&host, 12));

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(12) | BIT64(1);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &host, &problems));
    check_problems(&problems, want, 1);
}

/*
 * v5.10's raw answer, before QEMU's eVMCS fixup: the capability is there
 * but the bit is not, and the line says so.
 */
static void test_evmcs_cap_without_bit(void)
{
    g_autofree char *line =
        unsupported_line(12, "KVM_CAP_HYPERV_ENLIGHTENED_VMCS", true);
    const char *want[] = { line };
    HvCpuidLeaf leaves[ARRAY_LEN(kvm_v5_10_intel_leaves)];
    HvKvmHost host = kvm_v5_10_intel;
    HvProblems problems;
    HvConfig cfg;
    int i;

    memcpy(leaves, kvm_v5_10_intel_leaves, sizeof(leaves));
    for (i = 0; i < (int)ARRAY_LEN(leaves); i++) {
        if (leaves[i].function == 0x40000004) {
            leaves[i].eax &= ~0x4000u;
        }
    }
    host.leaves = leaves;

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(12) | BIT64(1);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &host, &problems));
    check_problems(&problems, want, 1);
}

/* A copy of @src's leaves that a test may edit */
typedef struct EditableHost {
    HvKvmHost host;
    HvCpuidLeaf leaves[16];
} EditableHost;

static HvCpuidLeaf *editable_host(EditableHost *e, const HvKvmHost *src,
                                  uint32_t function)
{
    int i;

    g_assert_cmpint(src->n_leaves, <=, (int)ARRAY_LEN(e->leaves));
    e->host = *src;
    memcpy(e->leaves, src->leaves, src->n_leaves * sizeof(e->leaves[0]));
    e->host.leaves = e->leaves;
    for (i = 0; i < src->n_leaves; i++) {
        if (e->leaves[i].function == function) {
            return &e->leaves[i];
        }
    }
    g_assert_not_reached();
    return NULL;
}

/* Every bit of a feature's flag must be there, not just one of them */
static void test_all_bits_of_a_flag(void)
{
    g_autofree char *tlbflush = unsupported_line(11, "KVM_CAP_HYPERV_TLBFLUSH",
                                                 true);
    g_autofree char *ipi = unsupported_line(13, "KVM_CAP_HYPERV_SEND_IPI",
                                            true);
    const char *want[] = { tlbflush, ipi };
    HvProblems problems;
    EditableHost e;
    HvConfig cfg;

    /* no HV_EX_PROCESSOR_MASKS_RECOMMENDED: half of both flags */
    editable_host(&e, &kvm_v6_1_intel, 0x40000004)->eax &= ~0x800u;
    g_assert_false(hv_kvm_feature_supported(&e.host, 11));
    g_assert_false(hv_kvm_feature_supported(&e.host, 13));
    g_assert_true(hv_kvm_feature_supported(&e.host, 0));

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(11) | BIT64(13) | BIT64(5) | BIT64(0);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &e.host, &problems));
    check_problems(&problems, want, 2);

    /* hv-time needs both the reference counter and the TSC page */
    editable_host(&e, &kvm_v6_1_intel, 0x40000003)->eax &= ~0x200u;
    g_assert_false(hv_kvm_feature_supported(&e.host, 2));
}

/* A feature with two flags needs both */
static void test_every_flag(void)
{
    g_autofree char *line = unsupported_line(9, "KVM_CAP_HYPERV_CPUID",
                                             true);
    const char *want[] = { line };
    HvProblems problems;
    EditableHost e;
    HvConfig cfg;

    /* HV_ACCESS_FREQUENCY_MSRS in EAX, but no HV_FREQUENCY_MSRS in EDX */
    editable_host(&e, &kvm_v6_1_intel, 0x40000003)->edx &= ~0x100u;
    g_assert_false(hv_kvm_feature_supported(&e.host, 9));

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(9);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &e.host, &problems));
    check_problems(&problems, want, 1);

    /* and the other way round */
    editable_host(&e, &kvm_v6_1_intel, 0x40000003)->eax &= ~0x800u;
    g_assert_false(hv_kvm_feature_supported(&e.host, 9));
}

/* hv-passthrough splits the version leaf into the hv-version-id-* fields */
static void test_passthrough_version_fields(void)
{
    static const ExpectedLeaf want = {
        0x40000002, 0x00004563, 0x000a0002, 0x00000011, 0xab123456
    };
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvCpuidLeaf *version;
    HvProblems problems;
    EditableHost e;
    HvConfig cfg;

    version = editable_host(&e, &kvm_v6_1_intel, 0x40000002);
    version->eax = 0x4563;
    version->ebx = 0x000a0002;
    version->ecx = 0x11;
    version->edx = 0xab123456;

    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, &e.host, &problems));
    check_hex32("build", cfg.ver_build, 0x4563);
    check_hex32("major", cfg.ver_major, 0x000a);
    check_hex32("minor", cfg.ver_minor, 0x0002);
    check_hex32("service pack", cfg.ver_sp, 0x11);
    check_hex32("service branch", cfg.ver_sb, 0xab);
    check_hex32("service number", cfg.ver_sn, 0x123456);

    /* and the guest sees the host's leaf unchanged */
    hv_cpuid_build(&cfg, leaves);
    check_leaf_regs(__FILE__, __LINE__, &leaves[2], &want);
}

static void test_dependency_problem(void)
{
    static const char *const want[] = {
        "Hyper-V synthetic timers (hv-stimer) requires Hyper-V synthetic "
        "interrupt controller (hv-synic)"
    };
    HvProblems problems;
    HvConfig cfg;

    /* supported by the kernel, but inconsistent */
    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(8) | BIT64(2) | BIT64(5);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_v6_1_intel, &problems));
    check_problems(&problems, want, 1);
}

static void test_synic_needs_vpindex(void)
{
    static const char *const want[] = {
        "Hyper-V synthetic interrupt controller (hv-synic) requires "
        "Hyper-V VP_INDEX MSR (hv-vpindex)"
    };
    HvProblems problems;
    HvConfig cfg;

    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(7);
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_v5_10_intel, &problems));
    check_problems(&problems, want, 1);

    /* the legacy KVM-only SynIC does without */
    cfg.synic_kvm_only = true;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, &kvm_v5_10_intel, &problems));
    check_problems(&problems, NULL, 0);
}

static void test_unsupported_and_dependency(void)
{
    g_autofree char *line = unsupported_line(19, "KVM_CAP_HYPERV_CPUID",
                                             true);
    const char *want[] = {
        line,
        "Hyper-V Extended gva ranges for TLB flush hypercalls "
        "(hv-tlbflush-ext) requires Hyper-V paravirtualized TLB flush "
        "(hv-tlbflush)",
        ENFORCE_LINE,
    };
    HvProblems problems;
    HvConfig cfg;

    /* all three kinds of problem, reported together */
    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(19);
    cfg.enforce_cpuid = true;
    hv_problems_init(&problems);
    g_assert_false(hv_kvm_negotiate(&cfg, &kvm_v5_10_intel, &problems));
    check_problems(&problems, want, 3);
}

/*
 * Linux < 5.0: Hyper-V, but no KVM_GET_SUPPORTED_HV_CPUID.  As upstream,
 * hv-passthrough expands from the leaves QEMU reconstructs from the
 * capabilities and the MSR list (here: the v5.10 leaves).
 */
static void test_passthrough_legacy_host(void)
{
    HvKvmHost host = kvm_v5_10_intel;
    HvProblems problems;
    HvConfig cfg;

    host.cap[HV_KVM_CAP_HYPERV_CPUID] = false;
    hv_config_init_defaults(&cfg);
    cfg.passthrough = true;
    hv_problems_init(&problems);
    g_assert_true(hv_kvm_negotiate(&cfg, &host, &problems));
    g_assert_cmpint(problems.count, ==, 0);
    check_mask("hv-passthrough features", cfg.features, 0x007fff);
}

static void test_keeps_earlier_problems(void)
{
    HvProblems problems;
    HvConfig cfg;

    hv_problems_init(&problems);
    hv_problem_add(&problems, "an earlier problem");
    hv_config_init_defaults(&cfg);
    cfg.features = BIT64(0);
    g_assert_true(hv_kvm_negotiate(&cfg, &kvm_v6_1_amd, &problems));
    g_assert_cmpint(problems.count, ==, 1);
}

static void test_host_cpuid(void)
{
    check_hex32("v5.10 0x4000000A (absent)",
                hv_kvm_host_cpuid(&kvm_v5_10_intel, 0x4000000a, HV_REG_EAX),
                0);
    check_hex32("v6.1 0x4000000A EAX",
                hv_kvm_host_cpuid(&kvm_v6_1_intel, 0x4000000a, HV_REG_EAX),
                0x00080101);
    check_hex32("v6.1 0x4000000A EBX",
                hv_kvm_host_cpuid(&kvm_v6_1_intel, 0x4000000a, HV_REG_EBX),
                0x00000001);
    check_hex32("v5.15 0x40000003 EDX",
                hv_kvm_host_cpuid(&kvm_v5_15_intel, 0x40000003, HV_REG_EDX),
                0x00080d12);
    check_hex32("v5.15 0x40000000 ECX",
                hv_kvm_host_cpuid(&kvm_v5_15_intel, 0x40000000, HV_REG_ECX),
                0x564b2078);
    check_hex32("no Hyper-V 0x40000003 EAX",
                hv_kvm_host_cpuid(&kvm_no_hyperv, 0x40000003, HV_REG_EAX), 0);
}

static void test_cap_names(void)
{
    static const struct {
        HvKvmCap cap;
        const char *name;
    } want[] = {
        { HV_KVM_CAP_HYPERV, "KVM_CAP_HYPERV" },
        { HV_KVM_CAP_HYPERV_VAPIC, "KVM_CAP_HYPERV_VAPIC" },
        { HV_KVM_CAP_HYPERV_TIME, "KVM_CAP_HYPERV_TIME" },
        { HV_KVM_CAP_HYPERV_SYNIC, "KVM_CAP_HYPERV_SYNIC" },
        { HV_KVM_CAP_HYPERV_SYNIC2, "KVM_CAP_HYPERV_SYNIC2" },
        { HV_KVM_CAP_HYPERV_VP_INDEX, "KVM_CAP_HYPERV_VP_INDEX" },
        { HV_KVM_CAP_HYPERV_TLBFLUSH, "KVM_CAP_HYPERV_TLBFLUSH" },
        { HV_KVM_CAP_HYPERV_SEND_IPI, "KVM_CAP_HYPERV_SEND_IPI" },
        { HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS,
          "KVM_CAP_HYPERV_ENLIGHTENED_VMCS" },
        { HV_KVM_CAP_HYPERV_CPUID, "KVM_CAP_HYPERV_CPUID" },
        { HV_KVM_CAP_HYPERV_DIRECT_TLBFLUSH,
          "KVM_CAP_HYPERV_DIRECT_TLBFLUSH" },
        { HV_KVM_CAP_SYS_HYPERV_CPUID, "KVM_CAP_SYS_HYPERV_CPUID" },
        { HV_KVM_CAP_HYPERV_ENFORCE_CPUID, "KVM_CAP_HYPERV_ENFORCE_CPUID" },
    };
    int i;

    g_assert_cmpint(HV_KVM_CAP_COUNT, ==, ARRAY_LEN(want));
    for (i = 0; i < (int)ARRAY_LEN(want); i++) {
        g_assert_cmpstr(hv_kvm_cap_names[want[i].cap], ==, want[i].name);
    }
}

int main(int argc, char **argv)
{
    int k, feat;

    hv_unit_init(&argc, &argv);

    for (k = 0; k < (int)ARRAY_LEN(kernels); k++) {
        const KernelCase *kc = &kernels[k];
        static const struct {
            const char *name;
            GTestDataFunc func;
        } per_kernel[] = {
            { "fixture", test_fixture_shape },
            { "supported", test_supported_mask },
            { "all-requested", test_all_requested },
            { "passthrough", test_passthrough },
            { "passthrough-overrides-identity", test_passthrough_overrides },
            { "passthrough-with-syndbg", test_passthrough_syndbg },
            { "passthrough-with-guest-idle", test_passthrough_guest_idle },
            { "enforce-cpuid", test_enforce_cpuid },
            { "not-enabled", test_not_enabled },
        };
        int t;

        for (t = 0; t < (int)ARRAY_LEN(per_kernel); t++) {
            g_autofree char *path = g_strdup_printf("/hv-kvm/%s/%s",
                                                    kc->name,
                                                    per_kernel[t].name);

            g_test_add_data_func(path, kc, per_kernel[t].func);
        }
        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            g_autofree char *path =
                g_strdup_printf("/hv-kvm/%s/feature/%s", kc->name,
                                names[feat].prop);

            feature_cases[k][feat].kernel = kc;
            feature_cases[k][feat].feat = feat;
            g_test_add_data_func(path, &feature_cases[k][feat],
                                 test_feature);
        }
    }

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        g_autofree char *path =
            g_strdup_printf("/hv-kvm/no-hyperv/feature/%s", names[feat].prop);

        no_hyperv_cases[feat].feat = feat;
        g_test_add_data_func(path, &no_hyperv_cases[feat],
                             test_no_hyperv_feature);
    }
    g_test_add_func("/hv-kvm/no-hyperv/everything",
                    test_no_hyperv_everything);
    g_test_add_func("/hv-kvm/no-hyperv/spinlocks", test_no_hyperv_spinlocks);
    g_test_add_func("/hv-kvm/no-hyperv/passthrough",
                    test_no_hyperv_passthrough);
    g_test_add_func("/hv-kvm/no-hyperv/not-enabled",
                    test_no_hyperv_not_enabled);

    g_test_add_func("/hv-kvm/vpindex-needs-cap", test_vpindex_needs_cap);
    g_test_add_func("/hv-kvm/evmcs-needs-cap", test_evmcs_needs_cap);
    g_test_add_func("/hv-kvm/evmcs-cap-without-bit",
                    test_evmcs_cap_without_bit);
    g_test_add_func("/hv-kvm/all-bits-of-a-flag", test_all_bits_of_a_flag);
    g_test_add_func("/hv-kvm/every-flag", test_every_flag);
    g_test_add_func("/hv-kvm/passthrough-version-fields",
                    test_passthrough_version_fields);
    g_test_add_func("/hv-kvm/dependency-problem", test_dependency_problem);
    g_test_add_func("/hv-kvm/synic-needs-vpindex", test_synic_needs_vpindex);
    g_test_add_func("/hv-kvm/unsupported-and-dependency",
                    test_unsupported_and_dependency);
    g_test_add_func("/hv-kvm/passthrough-legacy-host",
                    test_passthrough_legacy_host);
    g_test_add_func("/hv-kvm/keeps-earlier-problems",
                    test_keeps_earlier_problems);
    g_test_add_func("/hv-kvm/host-cpuid", test_host_cpuid);
    g_test_add_func("/hv-kvm/cap-names", test_cap_names);

    return g_test_run();
}
