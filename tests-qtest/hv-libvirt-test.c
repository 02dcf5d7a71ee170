/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: what a guest sees under TCG for the -cpu strings libvirt
 * emits for its <hyperv> children, <timer name='hypervclock'/> and
 * <panic model='hyperv'/>.
 *
 * The -cpu strings are spelled exactly as libvirt's qemuBuildCpuCommandLine()
 * writes them (src/qemu/qemu_command.c; tests/qemuxmlconfdata/hyperv*.args):
 * "qemu64" for a <domain type='qemu'> without <cpu>, the hypervclock timer
 * first (",hv-time=on"), then the <hyperv> children in libvirt's enum order
 * as ",hv-NAME=on", spinlocks as ",hv-spinlocks=0x%x", vendor_id as
 * ",hv-vendor-id=VALUE", <stimer><direct/> as ",hv-stimer-direct=on" right
 * after hv-stimer, <tlbflush><direct/><extended/> as ",hv-tlbflush-direct=on"
 * and ",hv-tlbflush-ext=on" after hv-tlbflush, mode='passthrough' as
 * ",hv-passthrough=on", and the panic device as ",hv-crash".  docs/libvirt.md
 * has the table.
 *
 * Each case boots the payload's cpuid-dump and checks leaves
 * 0x40000000-0x4000000A against values derived from the TLFS bit
 * definitions (target/i386/hyperv/hyperv-proto.h).  VMX-only children
 * (evmcs, emsr_bitmap, tlbflush direct) must produce QEMU's "TCG doesn't
 * support requested feature" warning, be absent from CPUID, and make
 * ",enforce" fail; every other child must pass ",enforce".
 */

#include "qemu/osdep.h"
#include "hv-harness.h"
#include "target/i386/hyperv/hyperv-proto.h"

/* The leaves every Hyper-V guest sees (see hv-cpuid-test.c) */
#define HV_INTERFACE_HV1        0x31237648          /* "Hv#1" */
#define HV_VERSION_EAX_DEFAULT  0x3839              /* build 14393: WS 2016 */
#define HV_VERSION_EBX_DEFAULT  0x000a0000          /* 10.0 */
#define HV_LIMITS_MAX_VPS       0xffffffff          /* x-hv-max-vps default */
#define HV_LIMITS_MAX_LPS       64
#define HV_SPINLOCKS_NEVER      0xffffffff

typedef struct LibvirtCase {
    const char *name;           /* test path component */
    const char *xml;            /* the domain XML, for messages */
    const char *cpu;            /* -cpu, exactly as libvirt writes it */
    const char *qemu_args;      /* other options libvirt adds, or NULL */
    bool no_hyperv;             /* the guest sees no Hyper-V at all */
    /* 0x40000003 bits besides HYPERCALL (EAX) and CPU_DYN_PART (EDX) */
    uint32_t feat_eax, feat_ebx, feat_edx;
    uint32_t info_eax;          /* 0x40000004.EAX */
    uint32_t spinlocks;         /* 0x40000004.EBX; 0: never notify */
    const char *vendor;         /* NULL: "Microsoft Hv" */
    const char *filtered;       /* the VMX-only feature TCG drops, or NULL */
} LibvirtCase;

/*
 * The seed's domain: relaxed, vapic, spinlocks retries='8191', vpindex,
 * runtime, synic, stimer, frequencies, and in <clock offset='localtime'>
 * <timer name='hypervclock' present='yes'/>.
 */
#define SEED_CPU "qemu64,hv-time=on,hv-relaxed=on,hv-vapic=on," \
                 "hv-spinlocks=0x1fff,hv-vpindex=on,hv-runtime=on," \
                 "hv-synic=on,hv-stimer=on,hv-frequencies=on"

static const LibvirtCase cases[] = {
    {
        .name = "seed",
        .xml = "<relaxed/><vapic/><spinlocks retries='8191'/><vpindex/>"
               "<runtime/><synic/><stimer/><frequencies/> + "
               "<clock offset='localtime'><timer name='hypervclock'/>",
        .cpu = SEED_CPU,
        .qemu_args = "-rtc base=localtime",
        .feat_eax = HV_TIME_REF_COUNT_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE |
                    HV_APIC_ACCESS_AVAILABLE | HV_VP_INDEX_AVAILABLE |
                    HV_VP_RUNTIME_AVAILABLE | HV_SYNIC_AVAILABLE |
                    HV_SYNTIMERS_AVAILABLE | HV_ACCESS_FREQUENCY_MSRS,
        .feat_ebx = HV_POST_MESSAGES | HV_SIGNAL_EVENTS,
        .feat_edx = HV_FREQUENCY_MSRS_AVAILABLE,
        .info_eax = HV_RELAXED_TIMING_RECOMMENDED |
                    HV_APIC_ACCESS_RECOMMENDED,
        .spinlocks = 0x1fff,
    }, {
        .name = "relaxed",
        .xml = "<relaxed state='on'/>",
        .cpu = "qemu64,hv-relaxed=on",
        .info_eax = HV_RELAXED_TIMING_RECOMMENDED,
    }, {
        .name = "vapic",
        .xml = "<vapic state='on'/>",
        .cpu = "qemu64,hv-vapic=on",
        .feat_eax = HV_APIC_ACCESS_AVAILABLE,
        .info_eax = HV_APIC_ACCESS_RECOMMENDED,
    }, {
        /* libvirt raises retries below 4095 to 4095 */
        .name = "spinlocks",
        .xml = "<spinlocks state='on' retries='4095'/>",
        .cpu = "qemu64,hv-spinlocks=0xfff",
        .spinlocks = 0xfff,
    }, {
        .name = "vpindex",
        .xml = "<vpindex state='on'/>",
        .cpu = "qemu64,hv-vpindex=on",
        .feat_eax = HV_VP_INDEX_AVAILABLE,
    }, {
        .name = "runtime",
        .xml = "<runtime state='on'/>",
        .cpu = "qemu64,hv-runtime=on",
        .feat_eax = HV_VP_RUNTIME_AVAILABLE,
    }, {
        .name = "synic",
        .xml = "<vpindex state='on'/><synic state='on'/>",
        .cpu = "qemu64,hv-vpindex=on,hv-synic=on",
        .feat_eax = HV_VP_INDEX_AVAILABLE | HV_SYNIC_AVAILABLE,
        .feat_ebx = HV_POST_MESSAGES | HV_SIGNAL_EVENTS,
    }, {
        .name = "stimer",
        .xml = "<vpindex/><synic/><stimer/> + hypervclock",
        .cpu = "qemu64,hv-time=on,hv-vpindex=on,hv-synic=on,hv-stimer=on",
        .feat_eax = HV_TIME_REF_COUNT_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE |
                    HV_VP_INDEX_AVAILABLE | HV_SYNIC_AVAILABLE |
                    HV_SYNTIMERS_AVAILABLE,
        .feat_ebx = HV_POST_MESSAGES | HV_SIGNAL_EVENTS,
    }, {
        /* libvirt's tests/qemuxmlconfdata/hyperv-stimer-direct */
        .name = "stimer-direct",
        .xml = "<vpindex/><synic/><stimer><direct state='on'/></stimer> + "
               "hypervclock",
        .cpu = "qemu64,hv-time=on,hv-vpindex=on,hv-synic=on,hv-stimer=on,"
               "hv-stimer-direct=on",
        .feat_eax = HV_TIME_REF_COUNT_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE |
                    HV_VP_INDEX_AVAILABLE | HV_SYNIC_AVAILABLE |
                    HV_SYNTIMERS_AVAILABLE,
        .feat_ebx = HV_POST_MESSAGES | HV_SIGNAL_EVENTS,
        .feat_edx = HV_STIMER_DIRECT_MODE_AVAILABLE,
    }, {
        .name = "hypervclock",
        .xml = "<clock><timer name='hypervclock' present='yes'/></clock>",
        .cpu = "qemu64,hv-time=on",
        .feat_eax = HV_TIME_REF_COUNT_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE,
    }, {
        .name = "reset",
        .xml = "<reset state='on'/>",
        .cpu = "qemu64,hv-reset=on",
        .feat_eax = HV_RESET_AVAILABLE,
    }, {
        /* vendor_id alone does not turn Hyper-V on (as upstream QEMU) */
        .name = "vendor_id",
        .xml = "<vendor_id state='on' value='KVM Hv'/>",
        .cpu = "qemu64,hv-vendor-id=KVM Hv",
        .no_hyperv = true,
    }, {
        .name = "vendor_id-relaxed",
        .xml = "<relaxed state='on'/><vendor_id state='on' value='KVM Hv'/>",
        .cpu = "qemu64,hv-relaxed=on,hv-vendor-id=KVM Hv",
        .info_eax = HV_RELAXED_TIMING_RECOMMENDED,
        .vendor = "KVM Hv",
    }, {
        .name = "frequencies",
        .xml = "<frequencies state='on'/>",
        .cpu = "qemu64,hv-frequencies=on",
        .feat_eax = HV_ACCESS_FREQUENCY_MSRS,
        .feat_edx = HV_FREQUENCY_MSRS_AVAILABLE,
    }, {
        .name = "reenlightenment",
        .xml = "<reenlightenment state='on'/>",
        .cpu = "qemu64,hv-reenlightenment=on",
        .feat_eax = HV_ACCESS_REENLIGHTENMENTS_CONTROL,
    }, {
        .name = "tlbflush",
        .xml = "<vpindex state='on'/><tlbflush state='on'/>",
        .cpu = "qemu64,hv-vpindex=on,hv-tlbflush=on",
        .feat_eax = HV_VP_INDEX_AVAILABLE,
        .info_eax = HV_REMOTE_TLB_FLUSH_RECOMMENDED |
                    HV_EX_PROCESSOR_MASKS_RECOMMENDED,
    }, {
        .name = "tlbflush-extended",
        .xml = "<vpindex/><tlbflush><extended state='on'/></tlbflush>",
        .cpu = "qemu64,hv-vpindex=on,hv-tlbflush=on,hv-tlbflush-ext=on",
        .feat_eax = HV_VP_INDEX_AVAILABLE,
        .feat_edx = HV_EXT_GVA_RANGES_FLUSH_AVAILABLE,
        .info_eax = HV_REMOTE_TLB_FLUSH_RECOMMENDED |
                    HV_EX_PROCESSOR_MASKS_RECOMMENDED,
    }, {
        .name = "ipi",
        .xml = "<vpindex state='on'/><ipi state='on'/>",
        .cpu = "qemu64,hv-vpindex=on,hv-ipi=on",
        .feat_eax = HV_VP_INDEX_AVAILABLE,
        .info_eax = HV_CLUSTER_IPI_RECOMMENDED |
                    HV_EX_PROCESSOR_MASKS_RECOMMENDED,
    }, {
        /* hv-avic drops hv-vapic's APIC_ACCESS_RECOMMENDED */
        .name = "avic",
        .xml = "<vapic state='on'/><avic state='on'/>",
        .cpu = "qemu64,hv-vapic=on,hv-avic=on",
        .feat_eax = HV_APIC_ACCESS_AVAILABLE,
        .info_eax = HV_DEPRECATING_AEOI_RECOMMENDED,
    }, {
        .name = "xmm_input",
        .xml = "<xmm_input state='on'/>",
        .cpu = "qemu64,hv-xmm-input=on",
        .feat_edx = HV_HYPERCALL_XMM_INPUT_AVAILABLE,
    }, {
        .name = "panic-hyperv",
        .xml = "<devices><panic model='hyperv'/></devices>",
        .cpu = "qemu64,hv-crash",
        .feat_edx = HV_GUEST_CRASH_MSR_AVAILABLE,
    }, {
        .name = "evmcs",
        .xml = "<vapic state='on'/><evmcs state='on'/>",
        .cpu = "qemu64,hv-vapic=on,hv-evmcs=on",
        .feat_eax = HV_APIC_ACCESS_AVAILABLE,
        .info_eax = HV_APIC_ACCESS_RECOMMENDED,
        .filtered = "hv-evmcs",
    }, {
        /* Filtered, nothing is left: the guest sees no Hyper-V at all */
        .name = "emsr_bitmap",
        .xml = "<emsr_bitmap state='on'/>",
        .cpu = "qemu64,hv-emsr-bitmap=on",
        .no_hyperv = true,
        .filtered = "hv-emsr-bitmap",
    }, {
        .name = "emsr_bitmap-relaxed",
        .xml = "<relaxed state='on'/><emsr_bitmap state='on'/>",
        .cpu = "qemu64,hv-relaxed=on,hv-emsr-bitmap=on",
        .info_eax = HV_RELAXED_TIMING_RECOMMENDED,
        .filtered = "hv-emsr-bitmap",
    }, {
        .name = "tlbflush-direct",
        .xml = "<vapic/><vpindex/><tlbflush><direct state='on'/></tlbflush>",
        .cpu = "qemu64,hv-vapic=on,hv-vpindex=on,hv-tlbflush=on,"
               "hv-tlbflush-direct=on",
        .feat_eax = HV_APIC_ACCESS_AVAILABLE | HV_VP_INDEX_AVAILABLE,
        .info_eax = HV_APIC_ACCESS_RECOMMENDED |
                    HV_REMOTE_TLB_FLUSH_RECOMMENDED |
                    HV_EX_PROCESSOR_MASKS_RECOMMENDED,
        .filtered = "hv-tlbflush-direct",
    }, {
        /*
         * Under TCG "the host" is QEMU's TCG backend: every enlightenment
         * it implements, except hv-syndbg (never part of hv-passthrough)
         * and the nested-VMX ones (TCG has no VMX) -- without warnings.
         * hv-avic is among them, so no APIC_ACCESS_RECOMMENDED.
         */
        .name = "passthrough",
        .xml = "<hyperv mode='passthrough'/>",
        .cpu = "qemu64,hv-passthrough=on",
        .feat_eax = HV_VP_RUNTIME_AVAILABLE | HV_TIME_REF_COUNT_AVAILABLE |
                    HV_SYNIC_AVAILABLE | HV_SYNTIMERS_AVAILABLE |
                    HV_APIC_ACCESS_AVAILABLE | HV_VP_INDEX_AVAILABLE |
                    HV_RESET_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE |
                    HV_ACCESS_FREQUENCY_MSRS |
                    HV_ACCESS_REENLIGHTENMENTS_CONTROL,
        .feat_ebx = HV_POST_MESSAGES | HV_SIGNAL_EVENTS,
        .feat_edx = HV_HYPERCALL_XMM_INPUT_AVAILABLE |
                    HV_FREQUENCY_MSRS_AVAILABLE |
                    HV_GUEST_CRASH_MSR_AVAILABLE |
                    HV_EXT_GVA_RANGES_FLUSH_AVAILABLE |
                    HV_STIMER_DIRECT_MODE_AVAILABLE,
        .info_eax = HV_RELAXED_TIMING_RECOMMENDED |
                    HV_REMOTE_TLB_FLUSH_RECOMMENDED |
                    HV_CLUSTER_IPI_RECOMMENDED |
                    HV_EX_PROCESSOR_MASKS_RECOMMENDED |
                    HV_DEPRECATING_AEOI_RECOMMENDED,
    },
};

/* The cpu string as one shell word: libvirt passes it as one argv entry */
static char *quoted_cpu(const LibvirtCase *c, const char *suffix)
{
    g_autofree char *cpu = g_strconcat(c->cpu, suffix, NULL);

    return g_shell_quote(cpu);
}

static void check_leaf(HvGuest *g, const LibvirtCase *c, uint32_t leaf,
                       uint32_t eax, uint32_t ebx, uint32_t ecx,
                       uint32_t edx)
{
    const uint32_t want[4] = { eax, ebx, ecx, edx };
    int r;

    for (r = 0; r < 4; r++) {
        hv_assert_value(g, r, want[r], "cpu0.cpuid.%08x", leaf);
    }
}

/* The string as CPUID signature registers: 12 bytes, NUL padded */
static void vendor_regs(const char *s, uint32_t regs[3])
{
    char buf[12] = { 0 };

    memcpy(buf, s, MIN(strlen(s), sizeof(buf)));
    memcpy(regs, buf, sizeof(buf));
}

static void test_libvirt_cpuid(const void *opaque)
{
    const LibvirtCase *c = opaque;
    g_autofree char *cpu = quoted_cpu(c, "");
    HvGuestOptions opts = {
        .cpu = cpu, .smp = 1, .test = "cpuid-dump", .qemu_args = c->qemu_args,
    };
    g_autoptr(HvGuest) g = NULL;
    uint32_t vendor[3];
    uint32_t leaf;

    g_test_message("libvirt %s -> -cpu %s", c->xml, cpu);
    g = hv_guest_start_opts(&opts);
    hv_assert_guest_passed(g);

    if (c->no_hyperv) {
        /* QEMU's own TCG signature stays at 0x40000000 */
        hv_assert_string12(g, 1, 2, 3, "TCGTCGTCGTCG", "cpu0.cpuid.40000000");
        return;
    }

    vendor_regs(c->vendor ?: "Microsoft Hv", vendor);
    check_leaf(g, c, HV_CPUID_VENDOR_AND_MAX_FUNCTIONS,
               HV_CPUID_IMPLEMENT_LIMITS, vendor[0], vendor[1], vendor[2]);
    check_leaf(g, c, HV_CPUID_INTERFACE, HV_INTERFACE_HV1, 0, 0, 0);
    check_leaf(g, c, HV_CPUID_VERSION, HV_VERSION_EAX_DEFAULT,
               HV_VERSION_EBX_DEFAULT, 0, 0);
    check_leaf(g, c, HV_CPUID_FEATURES,
               HV_HYPERCALL_AVAILABLE | c->feat_eax, c->feat_ebx, 0,
               HV_CPU_DYNAMIC_PARTITIONING_AVAILABLE | c->feat_edx);
    check_leaf(g, c, HV_CPUID_ENLIGHTMENT_INFO, c->info_eax,
               c->spinlocks ?: HV_SPINLOCKS_NEVER, 0, 0);
    check_leaf(g, c, HV_CPUID_IMPLEMENT_LIMITS, HV_LIMITS_MAX_VPS,
               HV_LIMITS_MAX_LPS, 0, 0);
    /*
     * Beyond the maximum leaf: nothing, in particular no nested leaf
     * 0x4000000A (evmcs, emsr_bitmap, tlbflush direct) under TCG.
     */
    for (leaf = HV_CPUID_HARDWARE_FEATURES; leaf <= HV_CPUID_NESTED_FEATURES;
         leaf++) {
        check_leaf(g, c, leaf, 0, 0, 0, 0);
    }
}

static void test_libvirt_enforce(const void *opaque)
{
    const LibvirtCase *c = opaque;
    g_autofree char *cpu = quoted_cpu(c, "");
    g_autofree char *cpu_enforce = quoted_cpu(c, ",enforce");
    g_autofree char *output = NULL;
    int status;

    status = hv_qemu_try_cpu(cpu, c->qemu_args, &output);
    g_assert_cmpint(status, ==, 0);
    if (c->filtered) {
        g_autofree char *warning =
            g_strdup_printf("warning: TCG doesn't support requested "
                            "feature: %s\n", c->filtered);

        if (!strstr(output, warning)) {
            g_test_message("-cpu %s: no \"%s\"; QEMU said:", cpu, warning);
            g_test_message("%s", output);
            g_test_fail();
        }
        hv_assert_qemu_rejects(cpu_enforce, c->qemu_args,
                               "TCG doesn't support requested features");
    } else {
        /* Nothing libvirt asked for is dropped under TCG */
        if (strstr(output, "doesn't support requested feature")) {
            g_test_message("-cpu %s: unexpected warning:", cpu);
            g_test_message("%s", output);
            g_test_fail();
        }
        hv_assert_qemu_accepts(cpu_enforce, c->qemu_args);
    }
}

typedef struct LibvirtDepCase {
    const char *xml;
    const char *cpu;
    const char *error;
} LibvirtDepCase;

/*
 * Children that libvirt passes on without their dependencies: QEMU
 * refuses the domain and names the missing property.
 */
static const LibvirtDepCase dep_cases[] = {
    { "<synic/>", "qemu64,hv-synic=on",
      "(hv-synic) requires Hyper-V VP_INDEX MSR (hv-vpindex)" },
    { "<vpindex/><synic/><stimer/> without hypervclock",
      "qemu64,hv-vpindex=on,hv-synic=on,hv-stimer=on",
      "(hv-stimer) requires Hyper-V clocksources (hv-time)" },
    { "<tlbflush/>", "qemu64,hv-tlbflush=on",
      "(hv-tlbflush) requires Hyper-V VP_INDEX MSR (hv-vpindex)" },
    { "<ipi/>", "qemu64,hv-ipi=on",
      "(hv-ipi) requires Hyper-V VP_INDEX MSR (hv-vpindex)" },
    { "<evmcs/>", "qemu64,hv-evmcs=on",
      "(hv-evmcs) requires Hyper-V virtual APIC (hv-vapic)" },
    { "<vpindex/><tlbflush><direct/></tlbflush>",
      "qemu64,hv-vpindex=on,hv-tlbflush=on,hv-tlbflush-direct=on",
      "(hv-tlbflush-direct) requires Hyper-V virtual APIC (hv-vapic)" },
};

static void test_libvirt_dependency(const void *opaque)
{
    const LibvirtDepCase *c = opaque;
    g_autofree char *cpu = g_shell_quote(c->cpu);

    g_test_message("libvirt %s -> -cpu %s", c->xml, cpu);
    hv_assert_qemu_rejects(cpu, NULL, c->error);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/libvirt/cpuid/%s", cases[i].name);
        g_autofree char *path2 =
            g_strdup_printf("/hyperv/libvirt/enforce/%s", cases[i].name);

        qtest_add_data_func(path, &cases[i], test_libvirt_cpuid);
        qtest_add_data_func(path2, &cases[i], test_libvirt_enforce);
    }
    for (i = 0; i < G_N_ELEMENTS(dep_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/libvirt/dependency/%d", i);

        qtest_add_data_func(path, &dep_cases[i], test_libvirt_dependency);
    }

    return g_test_run();
}
