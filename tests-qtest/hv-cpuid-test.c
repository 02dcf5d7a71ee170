/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the Hyper-V CPUID leaves a guest sees under TCG, and the
 * checks QEMU applies to hv-* combinations (both accelerators).
 *
 * The guest payload runs "cpuid-dump" on every vCPU: it executes CPUID for
 * 0x40000000-0x4000000A, 0x40000080-0x40000082 and 0x40000100-0x40000101
 * and records eax..edx as "cpuN.cpuid.LLLLLLLL".
 *
 * Under an accelerator without a Hyper-V backend (HVF, WHPX, NVMM; here
 * "-accel qtest" stands in for them) no guest code runs, so those tests
 * read what the leaves are built from instead: see test_no_backend().
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qobject/qbool.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "hv-harness.h"

/* TLFS bits the tests look for (values from the TLFS, not from QEMU) */
#define FEAT_EAX_VP_RUNTIME         (1u << 0)
#define FEAT_EAX_TIME_REF_COUNT     (1u << 1)
#define FEAT_EAX_SYNIC              (1u << 2)
#define FEAT_EAX_SYNTIMERS          (1u << 3)
#define FEAT_EAX_APIC_ACCESS        (1u << 4)
#define FEAT_EAX_HYPERCALL          (1u << 5)
#define FEAT_EAX_VP_INDEX           (1u << 6)
#define FEAT_EAX_RESET              (1u << 7)
#define FEAT_EAX_REFERENCE_TSC      (1u << 9)
#define FEAT_EAX_FREQUENCY_MSRS     (1u << 11)
#define FEAT_EAX_REENLIGHTENMENT    (1u << 13)
#define FEAT_EDX_XMM_INPUT          (1u << 4)
#define FEAT_EDX_CPU_DYN_PART       (1u << 3)
#define FEAT_EDX_FREQUENCY_MSRS     (1u << 8)
#define FEAT_EDX_CRASH_MSRS         (1u << 10)
#define FEAT_EDX_EXT_GVA_RANGES     (1u << 14)
#define FEAT_EDX_STIMER_DIRECT      (1u << 19)
#define FEAT_EBX_POST_MESSAGES      (1u << 4)
#define FEAT_EBX_SIGNAL_EVENTS      (1u << 5)
#define INFO_EAX_REMOTE_TLB_FLUSH   (1u << 2)
#define INFO_EAX_APIC_ACCESS        (1u << 3)
#define INFO_EAX_RELAXED_TIMING     (1u << 5)
#define INFO_EAX_DEPRECATING_AEOI   (1u << 9)
#define INFO_EAX_CLUSTER_IPI        (1u << 10)
#define INFO_EAX_EX_PROC_MASKS      (1u << 11)
#define INFO_EAX_ENLIGHTENED_VMCS   (1u << 14)
#define INFO_EAX_NO_NONARCH_CS      (1u << 18)

typedef struct LeafExpect {
    uint32_t leaf;
    uint32_t regs[4];           /* eax, ebx, ecx, edx */
} LeafExpect;

/* Boot cpuid-dump and check @n leaves on each of @smp vCPUs */
static HvGuest *boot_dump(const char *cpu, int smp)
{
    HvGuest *g = hv_guest_start(cpu, smp, "cpuid-dump", NULL);

    hv_assert_guest_passed(g);
    g_assert_cmpuint(hv_guest_nr_cpus(g), ==, smp);
    return g;
}

static void check_leaves(HvGuest *g, const LeafExpect *expect, int n)
{
    unsigned int cpu;
    int i, r;

    for (cpu = 0; cpu < hv_guest_nr_cpus(g); cpu++) {
        for (i = 0; i < n; i++) {
            for (r = 0; r < 4; r++) {
                hv_assert_value(g, r, expect[i].regs[r],
                                "cpu%u.cpuid.%08x", cpu, expect[i].leaf);
            }
        }
    }
}

/* "Microsoft Hv" as CPUID registers ebx, ecx, edx */
#define MS_HV_EBX   0x7263694d
#define MS_HV_ECX   0x666f736f
#define MS_HV_EDX   0x76482074
/* "TCGTCGTCGTCG" */
#define TCG_EBX     0x54474354
#define TCG_ECX     0x43544743
#define TCG_EDX     0x47435447

static void test_no_hyperv(void)
{
    g_autoptr(HvGuest) g = boot_dump("qemu64", 1);
    static const LeafExpect expect[] = {
        { 0x40000000, { 0x40000001, TCG_EBX, TCG_ECX, TCG_EDX } },
    };

    check_leaves(g, expect, G_N_ELEMENTS(expect));
}

static void test_minimal(void)
{
    g_autoptr(HvGuest) g = boot_dump("qemu64,hv-relaxed", 1);
    static const LeafExpect expect[] = {
        { 0x40000000, { 0x40000005, MS_HV_EBX, MS_HV_ECX, MS_HV_EDX } },
        { 0x40000001, { 0x31237648, 0, 0, 0 } },            /* "Hv#1" */
        { 0x40000002, { 0x3839, 0x000a0000, 0, 0 } },       /* 14393: WS2016 */
        /* The hypercall MSR is the base of every Hyper-V interface */
        { 0x40000003, { FEAT_EAX_HYPERCALL, 0, 0, FEAT_EDX_CPU_DYN_PART } },
        { 0x40000004, { INFO_EAX_RELAXED_TIMING, 0xffffffff, 0, 0 } },
        { 0x40000005, { 0xffffffff, 64, 0, 0 } },
        /* QEMU's own signature moves out of Hyper-V's way */
        { 0x40000100, { 0x40000101, TCG_EBX, TCG_ECX, TCG_EDX } },
    };

    check_leaves(g, expect, G_N_ELEMENTS(expect));
}

/*
 * Every hv-* feature that can be combined (no nested-VMX ones): the guest
 * must see exactly the ones the TCG backend implements today.
 */
#define FULL_SET "hv-relaxed,hv-vapic,hv-time,hv-crash,hv-reset," \
                 "hv-vpindex,hv-runtime,hv-synic,hv-stimer," \
                 "hv-stimer-direct,hv-frequencies,hv-reenlightenment," \
                 "hv-tlbflush,hv-tlbflush-ext,hv-ipi,hv-avic,hv-xmm-input," \
                 "hv-spinlocks=0x1fff"

static void test_full_set(void)
{
    g_autoptr(HvGuest) g = boot_dump("qemu64," FULL_SET, 2);
    static const LeafExpect expect[] = {
        { 0x40000000, { 0x40000005, MS_HV_EBX, MS_HV_ECX, MS_HV_EDX } },
        { 0x40000003, { FEAT_EAX_VP_RUNTIME | FEAT_EAX_TIME_REF_COUNT |
                        FEAT_EAX_SYNIC | FEAT_EAX_SYNTIMERS |
                        FEAT_EAX_REFERENCE_TSC | FEAT_EAX_APIC_ACCESS |
                        FEAT_EAX_HYPERCALL | FEAT_EAX_VP_INDEX |
                        FEAT_EAX_RESET | FEAT_EAX_FREQUENCY_MSRS |
                        FEAT_EAX_REENLIGHTENMENT,
                        FEAT_EBX_POST_MESSAGES | FEAT_EBX_SIGNAL_EVENTS, 0,
                        FEAT_EDX_CPU_DYN_PART | FEAT_EDX_XMM_INPUT |
                        FEAT_EDX_FREQUENCY_MSRS | FEAT_EDX_CRASH_MSRS |
                        FEAT_EDX_EXT_GVA_RANGES |
                        FEAT_EDX_STIMER_DIRECT } },
        /* hv-avic: no APIC_ACCESS_RECOMMENDED despite hv-vapic */
        { 0x40000004, { INFO_EAX_RELAXED_TIMING | INFO_EAX_DEPRECATING_AEOI |
                        INFO_EAX_REMOTE_TLB_FLUSH | INFO_EAX_CLUSTER_IPI |
                        INFO_EAX_EX_PROC_MASKS, 0x1fff, 0, 0 } },
    };

    check_leaves(g, expect, G_N_ELEMENTS(expect));
}

static void test_full_set_warnings(void)
{
    /*
     * Each feature TCG lacks gets QEMU's warning, naming it: the nested
     * virtualization ones, as TCG emulates no VMX.
     */
    static const char *const missing[] = {
        "hv-evmcs", "hv-emsr-bitmap", "hv-tlbflush-direct",
    };
    static const char *const implemented[] = {
        "hv-relaxed", "hv-vapic", "hv-time", "hv-crash", "hv-reset",
        "hv-vpindex", "hv-runtime", "hv-frequencies", "hv-reenlightenment",
        "hv-tlbflush",
        "hv-tlbflush-ext", "hv-ipi", "hv-avic", "hv-xmm-input",
        "hv-synic", "hv-stimer", "hv-stimer-direct", "hv-syndbg",
    };
    g_autofree char *output = NULL;
    int i;

    g_assert_cmpint(hv_qemu_try_cpu("qemu64," FULL_SET ",hv-syndbg,hv-evmcs,"
                                    "hv-emsr-bitmap,hv-tlbflush-direct", NULL,
                                    &output), ==, 0);
    for (i = 0; i < G_N_ELEMENTS(missing); i++) {
        g_autofree char *line =
            g_strdup_printf("warning: TCG doesn't support requested "
                            "feature: %s\n", missing[i]);

        if (!strstr(output, line)) {
            g_test_message("no warning for %s; QEMU said:", missing[i]);
            g_test_message("%s", output);
            g_test_fail();
        }
    }
    /* ...and none for the features it does implement */
    for (i = 0; i < G_N_ELEMENTS(implemented); i++) {
        g_autofree char *tail = g_strdup_printf("feature: %s\n",
                                                implemented[i]);

        g_assert_null(strstr(output, tail));
    }
}

static void test_vendor_id(void)
{
    g_autoptr(HvGuest) g =
        boot_dump("qemu64,hv-relaxed,hv-vendor-id=KVMKVMKVM", 1);

    hv_assert_string12(g, 1, 2, 3, "KVMKVMKVM", "cpu0.cpuid.40000000");
    hv_assert_value(g, 0, 0x40000005, "cpu0.cpuid.40000000");
}

static void test_spinlocks(void)
{
    /* hv-spinlocks alone turns the interface on, as under KVM */
    g_autoptr(HvGuest) g = boot_dump("qemu64,hv-spinlocks=0x1fff", 1);

    hv_assert_string12(g, 1, 2, 3, "Microsoft Hv", "cpu0.cpuid.40000000");
    hv_assert_value(g, 1, 0x1fff, "cpu0.cpuid.40000004");
    hv_assert_value(g, 0, 0, "cpu0.cpuid.40000004");
}

static void test_version_id(void)
{
    g_autoptr(HvGuest) g = boot_dump("qemu64,hv-relaxed,"
                                     "hv-version-id-build=14393,"
                                     "hv-version-id-major=10,"
                                     "hv-version-id-minor=3,"
                                     "hv-version-id-spack=2,"
                                     "hv-version-id-sbranch=5,"
                                     "hv-version-id-snumber=0x123456", 1);
    static const LeafExpect expect[] = {
        { 0x40000002, { 14393, 0x000a0003, 2, 0x05123456 } },
    };

    check_leaves(g, expect, G_N_ELEMENTS(expect));
}

static void test_no_nonarch_coresharing(void)
{
    g_autoptr(HvGuest) g =
        boot_dump("qemu64,hv-relaxed,hv-no-nonarch-coresharing=on", 1);

    hv_assert_value(g, 0, INFO_EAX_RELAXED_TIMING | INFO_EAX_NO_NONARCH_CS,
                    "cpu0.cpuid.40000004");
}

static void test_avic(void)
{
    g_autoptr(HvGuest) g = boot_dump("qemu64,hv-avic", 1);

    hv_assert_value(g, 0, INFO_EAX_DEPRECATING_AEOI, "cpu0.cpuid.40000004");
}

static void test_passthrough(void)
{
    /* Under TCG, hv-passthrough is everything the TCG backend implements */
    g_autoptr(HvGuest) g = boot_dump("qemu64,hv-passthrough", 1);

    hv_assert_string12(g, 1, 2, 3, "Microsoft Hv", "cpu0.cpuid.40000000");
    hv_assert_value(g, 0, INFO_EAX_RELAXED_TIMING | INFO_EAX_DEPRECATING_AEOI |
                    INFO_EAX_REMOTE_TLB_FLUSH | INFO_EAX_CLUSTER_IPI |
                    INFO_EAX_EX_PROC_MASKS, "cpu0.cpuid.40000004");
    hv_assert_value_masked(g, 0, FEAT_EAX_SYNIC | FEAT_EAX_SYNTIMERS,
                           FEAT_EAX_SYNIC | FEAT_EAX_SYNTIMERS,
                           "cpu0.cpuid.40000003");
    /* hv-syndbg is never part of hv-passthrough */
    hv_assert_value_masked(g, 3, 1u << 11, 0, "cpu0.cpuid.40000003");
    hv_assert_value_masked(g, 0, FEAT_EAX_HYPERCALL | FEAT_EAX_TIME_REF_COUNT,
                           FEAT_EAX_HYPERCALL | FEAT_EAX_TIME_REF_COUNT,
                           "cpu0.cpuid.40000003");
}

static void test_smp_identical(void)
{
    g_autoptr(HvGuest) g = boot_dump("qemu64,hv-relaxed,hv-avic", 4);
    unsigned int cpu;
    uint32_t leaf;
    int r;

    for (leaf = 0x40000000; leaf <= 0x40000005; leaf++) {
        const HvGuestRecord *r0 = hv_assert_record(g, "cpu0.cpuid.%08x",
                                                   leaf);

        for (cpu = 1; cpu < 4; cpu++) {
            for (r = 0; r < 4; r++) {
                hv_assert_value(g, r, r0->values[r], "cpu%u.cpuid.%08x",
                                cpu, leaf);
            }
        }
    }
}

typedef struct DepCase {
    const char *cpu;
    const char *error;
} DepCase;

/* The dependency rules, identical to KVM's, with QEMU's messages */
static const DepCase dep_cases[] = {
    { "qemu64,hv-stimer,hv-time,hv-vpindex",
      "Hyper-V synthetic timers (hv-stimer) requires Hyper-V synthetic "
      "interrupt controller (hv-synic)" },
    { "qemu64,hv-stimer,hv-synic,hv-vpindex",
      "Hyper-V synthetic timers (hv-stimer) requires Hyper-V clocksources "
      "(hv-time)" },
    { "qemu64,hv-synic",
      "Hyper-V synthetic interrupt controller (hv-synic) requires Hyper-V "
      "VP_INDEX MSR (hv-vpindex)" },
    { "qemu64,hv-tlbflush",
      "Hyper-V paravirtualized TLB flush (hv-tlbflush) requires Hyper-V "
      "VP_INDEX MSR (hv-vpindex)" },
    { "qemu64,hv-ipi",
      "Hyper-V paravirtualized IPI (hv-ipi) requires Hyper-V VP_INDEX MSR "
      "(hv-vpindex)" },
    { "qemu64,hv-stimer-direct",
      "Hyper-V direct mode synthetic timers (hv-stimer-direct) requires "
      "Hyper-V synthetic timers (hv-stimer)" },
    { "qemu64,hv-evmcs",
      "Hyper-V enlightened VMCS (hv-evmcs) requires Hyper-V virtual APIC "
      "(hv-vapic)" },
    { "qemu64,hv-tlbflush-ext,hv-vpindex",
      "Hyper-V Extended gva ranges for TLB flush hypercalls "
      "(hv-tlbflush-ext) requires Hyper-V paravirtualized TLB flush "
      "(hv-tlbflush)" },
    { "qemu64,hv-syndbg,hv-synic,hv-vpindex",
      "Hyper-V Enable synthetic kernel debugger channel (hv-syndbg) "
      "requires Hyper-V relaxed timing (hv-relaxed)" },
    { "qemu64,hv-tlbflush-direct",
      "Hyper-V direct TLB flush (hv-tlbflush-direct) requires Hyper-V "
      "virtual APIC (hv-vapic)" },
};

static void test_dependency(const void *opaque)
{
    const DepCase *c = opaque;

    hv_assert_qemu_rejects(c->cpu, NULL, c->error);
}

/* Nested-virtualization features can never exist under TCG */
static const char *const vmx_features[] = {
    "hv-evmcs", "hv-emsr-bitmap", "hv-tlbflush-direct",
};

static void test_vmx_feature_filtered(const void *opaque)
{
    const char *feature = opaque;
    g_autofree char *cpu = g_strdup_printf("qemu64,hv-vapic,hv-relaxed,%s",
                                           feature);
    g_autofree char *warning =
        g_strdup_printf("warning: TCG doesn't support requested feature: "
                        "%s\n", feature);
    g_autofree char *output = NULL;
    g_autoptr(HvGuest) g = NULL;

    g_assert_cmpint(hv_qemu_try_cpu(cpu, NULL, &output), ==, 0);
    g_assert_nonnull(strstr(output, warning));

    /* Filtered: no nested leaf, no eVMCS recommendation */
    g = boot_dump(cpu, 1);
    hv_assert_value(g, 0, 0x40000005, "cpu0.cpuid.40000000");
    hv_assert_value_masked(g, 0, INFO_EAX_ENLIGHTENED_VMCS, 0,
                           "cpu0.cpuid.40000004");
    hv_assert_value(g, 0, 0, "cpu0.cpuid.4000000a");
}

static void test_vmx_feature_enforce(const void *opaque)
{
    const char *feature = opaque;
    g_autofree char *cpu =
        g_strdup_printf("qemu64,hv-vapic,hv-relaxed,%s,enforce", feature);

    hv_assert_qemu_rejects(cpu, NULL, "TCG doesn't support requested "
                           "features");
}

/*
 * The KVM backend on a kernel without in-kernel Hyper-V: every requested
 * feature is refused on its own line naming the missing capability.
 */
#define KVM_CHECK_EXTENSION     0xae03
#define KVM_CAP_HYPERV          44

static void test_kvm_without_hyperv(void)
{
    g_autofree char *output = NULL;
    g_autofree char *args = NULL;
    g_autofree char *bindir = g_path_get_dirname(g_getenv("QTEST_QEMU_BINARY"));
    g_autofree char *kvm_args =
        g_strdup_printf("-accel kvm -machine q35 -nodefaults -display none "
                        "-S -L %s/pc-bios -L /usr/share/seabios -cpu qemu64",
                        bindir);
    int fd, status, cap;

    fd = open("/dev/kvm", O_RDWR);
    if (fd < 0) {
        g_test_skip("no usable /dev/kvm");
        return;
    }
    cap = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV);
    close(fd);
    if (cap > 0) {
        g_test_skip("this host's KVM has Hyper-V support");
        return;
    }

    /* The same machine without hv-* starts: the errors are Hyper-V's */
    g_assert_cmpint(hv_qemu_try_start(kvm_args, &output), ==, 0);
    g_free(output);
    output = NULL;

    args = g_strdup_printf("%s,hv-relaxed,hv-time,hv-vpindex", kvm_args);
    status = hv_qemu_try_start(args, &output);
    g_assert_cmpint(status, !=, 0);
    g_assert_nonnull(strstr(output, "hv-relaxed: this host's KVM has no "
                            "Hyper-V emulation (KVM_CAP_HYPERV missing"));
    g_assert_nonnull(strstr(output, "\nhv-time: this host's KVM has no "
                            "Hyper-V emulation (KVM_CAP_HYPERV missing"));
    g_assert_nonnull(strstr(output, "\nhv-vpindex: this host's KVM has no "
                            "Hyper-V emulation (KVM_CAP_HYPERV missing"));
}

/*
 * Accelerators with no Hyper-V backend: neither KVM nor QEMU's own (TCG)
 * implements the MSRs and hypercalls there, so advertising them would
 * promise the guest an interface with nothing behind it.  The warnings
 * name the accelerator as QEMU does (current_accel_name()): "QTest".
 */
#define NO_BACKEND_ARGS "-accel qtest -machine q35 -nodefaults -display none -S"

/* A failure that lets the other checks of the test run and report too */
#define soft_fail(...) do {                                 \
        g_test_message(__VA_ARGS__);                        \
        g_test_fail();                                      \
    } while (0)

/* How many times @needle occurs in @haystack */
static int count_substr(const char *haystack, const char *needle)
{
    const char *p = haystack;
    int n = 0;

    while ((p = strstr(p, needle))) {
        n++;
        p += strlen(needle);
    }
    return n;
}

/* "warning: @accel doesn't support requested feature: @prop" once in @out */
static void assert_warned_once(const char *out, const char *accel,
                               const char *prop)
{
    g_autofree char *line =
        g_strdup_printf("warning: %s doesn't support requested feature: "
                        "%s\n", accel, prop);
    int n = count_substr(out, line);

    if (n != 1) {
        soft_fail("expected \"%.*s\" once, got it %d times; QEMU said:\n%s",
                  (int)strlen(line) - 1, line, n, out);
    }
}

static QObject *qom_get(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': %s } }", path, prop);
    QObject *ret;

    g_assert(qdict_haskey(rsp, "return"));
    ret = qobject_ref(qdict_get(rsp, "return"));
    qobject_unref(rsp);
    return ret;
}

/*
 * What the guest's CPUID would show, read from the host side, as no guest
 * code runs under qtest.  cpu_x86_cpuid() builds the Hyper-V leaves on
 * every CPUID from the vCPU's hv-* properties and nothing else, and
 * answers none when those ask for no Hyper-V; so after realize the
 * properties must say "no Hyper-V" on every vCPU.  query-hyperv, which
 * lists the features each vCPU ended up with and what implements them,
 * must agree.
 */
static void assert_no_hyperv_visible(QTestState *qts, int smp)
{
    static const char *const bools[] = {
        "hv-relaxed", "hv-vpindex", "hv-passthrough",
    };
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-cpus-fast' }");
    QListEntry *e;
    QDict *info;
    int n = 0, i;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(rsp, "return"), e) {
        const char *path = qdict_get_str(qobject_to(QDict, e->value),
                                         "qom-path");
        QObject *v;

        for (i = 0; i < G_N_ELEMENTS(bools); i++) {
            v = qom_get(qts, path, bools[i]);
            if (qbool_get_bool(qobject_to(QBool, v))) {
                soft_fail("%s: %s is still on", path, bools[i]);
            }
            qobject_unref(v);
        }
        /* 0xffffffff: "never notify", i.e. no hv-spinlocks */
        v = qom_get(qts, path, "hv-spinlocks");
        if (qnum_get_uint(qobject_to(QNum, v)) != 0xffffffff) {
            soft_fail("%s: hv-spinlocks is still 0x%" PRIx64, path,
                      qnum_get_uint(qobject_to(QNum, v)));
        }
        qobject_unref(v);
        n++;
    }
    g_assert_cmpint(n, ==, smp);
    qobject_unref(rsp);

    rsp = qtest_qmp(qts, "{ 'execute': 'query-hyperv' }");
    info = qdict_get_qdict(rsp, "return");
    if (qdict_get_bool(info, "enabled")) {
        soft_fail("query-hyperv: enabled");
    }
    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "vcpus"), e) {
        QDict *vcpu = qobject_to(QDict, e->value);
        QList *features = qdict_get_qlist(vcpu, "features");
        QListEntry *f;

        if (strcmp(qdict_get_str(vcpu, "backend"), "none")) {
            soft_fail("query-hyperv: vCPU %" PRId64 " backend %s",
                      qdict_get_int(vcpu, "cpu-index"),
                      qdict_get_str(vcpu, "backend"));
        }
        QLIST_FOREACH_ENTRY(features, f) {
            soft_fail("query-hyperv: vCPU %" PRId64 " still has %s",
                      qdict_get_int(vcpu, "cpu-index"),
                      qstring_get_str(qobject_to(QString, f->value)));
        }
    }
    qobject_unref(rsp);
}

typedef struct NoBackendCase {
    const char *name;
    const char *cpu;
    const char *const warned[4];        /* NULL-terminated */
} NoBackendCase;

static const NoBackendCase no_backend_cases[] = {
    { "features", "qemu64,hv-relaxed,hv-vpindex",
      { "hv-relaxed", "hv-vpindex" } },
    /* hv-spinlocks alone turns the interface on, so it is filtered too */
    { "spinlocks", "qemu64,hv-spinlocks=0x1fff", { "hv-spinlocks" } },
    /* "everything this accelerator implements" is nothing */
    { "passthrough", "qemu64,hv-passthrough", { "hv-passthrough" } },
};

static void test_no_backend(const void *opaque)
{
    const NoBackendCase *c = opaque;
    g_autofree char *args = g_strdup_printf(NO_BACKEND_ARGS " -smp 2 -cpu %s",
                                            c->cpu);
    g_autofree char *output = NULL;
    g_autofree char *bindir = g_path_get_dirname(g_getenv("QTEST_QEMU_BINARY"));
    QTestState *qts;
    int i;

    /* It starts; one warning per filtered property, not one per vCPU */
    if (hv_qemu_try_start(args, &output) != 0) {
        soft_fail("QEMU refused %s:\n%s", args, output);
    }
    for (i = 0; c->warned[i]; i++) {
        assert_warned_once(output, "QTest", c->warned[i]);
    }

    /*
     * libqtest adds -accel qtest itself; the machine still needs a BIOS.
     * check=off: filtering must not depend on the warnings being on.
     */
    qts = qtest_initf("-machine q35 -nodefaults -smp 2 -cpu %s,check=off "
                      "-L %s/pc-bios -L /usr/share/seabios", c->cpu, bindir);
    assert_no_hyperv_visible(qts, 2);
    qtest_quit(qts);
}

static void test_no_backend_quiet(void)
{
    g_autofree char *output = NULL;

    /* Nothing asked for, nothing to warn about */
    g_assert_cmpint(hv_qemu_try_start(NO_BACKEND_ARGS " -cpu qemu64",
                                      &output), ==, 0);
    g_assert_null(strstr(output, "doesn't support"));
}

static void test_no_backend_enforce(void)
{
    g_autofree char *output = NULL;

    if (hv_qemu_try_start(NO_BACKEND_ARGS " -cpu qemu64,hv-relaxed,"
                          "hv-vpindex,enforce", &output) == 0) {
        soft_fail("QEMU started with enforce; it said:\n%s", output);
    }
    assert_warned_once(output, "QTest", "hv-relaxed");
    assert_warned_once(output, "QTest", "hv-vpindex");
    if (!strstr(output, "QTest doesn't support requested features")) {
        soft_fail("no \"QTest doesn't support requested features\" error; "
                  "QEMU said:\n%s", output);
    }
}

static void test_tcg_warning_once(void)
{
    g_autofree char *output = NULL;

    /* Every vCPU filters, but the user asked once */
    g_assert_cmpint(hv_qemu_try_cpu("qemu64,hv-vapic,hv-evmcs", "-smp 4",
                                    &output), ==, 0);
    assert_warned_once(output, "TCG", "hv-evmcs");
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/hyperv/cpuid/none", test_no_hyperv);
    qtest_add_func("/hyperv/cpuid/minimal", test_minimal);
    qtest_add_func("/hyperv/cpuid/full-set", test_full_set);
    qtest_add_func("/hyperv/cpuid/full-set-warnings", test_full_set_warnings);
    qtest_add_func("/hyperv/cpuid/vendor-id", test_vendor_id);
    qtest_add_func("/hyperv/cpuid/spinlocks", test_spinlocks);
    qtest_add_func("/hyperv/cpuid/version-id", test_version_id);
    qtest_add_func("/hyperv/cpuid/no-nonarch-coresharing",
                   test_no_nonarch_coresharing);
    qtest_add_func("/hyperv/cpuid/avic", test_avic);
    qtest_add_func("/hyperv/cpuid/passthrough", test_passthrough);
    qtest_add_func("/hyperv/cpuid/smp-identical", test_smp_identical);
    for (i = 0; i < G_N_ELEMENTS(dep_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/cpuid/dependency/%d", i);

        qtest_add_data_func(path, &dep_cases[i], test_dependency);
    }
    for (i = 0; i < G_N_ELEMENTS(vmx_features); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/cpuid/tcg-filters/%s", vmx_features[i]);
        g_autofree char *path2 =
            g_strdup_printf("/hyperv/cpuid/tcg-enforce/%s", vmx_features[i]);

        qtest_add_data_func(path, vmx_features[i], test_vmx_feature_filtered);
        qtest_add_data_func(path2, vmx_features[i], test_vmx_feature_enforce);
    }
    qtest_add_func("/hyperv/cpuid/tcg-warning-once", test_tcg_warning_once);
    for (i = 0; i < G_N_ELEMENTS(no_backend_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/cpuid/no-backend/%s",
                            no_backend_cases[i].name);

        qtest_add_data_func(path, &no_backend_cases[i], test_no_backend);
    }
    qtest_add_func("/hyperv/cpuid/no-backend/quiet", test_no_backend_quiet);
    qtest_add_func("/hyperv/cpuid/no-backend/enforce",
                   test_no_backend_enforce);
    qtest_add_func("/hyperv/kvm/no-hyperv-errors", test_kvm_without_hyperv);

    return g_test_run();
}
