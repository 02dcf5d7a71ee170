/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv KVM tests: host profiles of the recording fake /dev/kvm.
 *
 * The Hyper-V side of every profile is a fixture of
 * tests-unit/kvm-fixtures.h (worked out from the kernels' sources, see
 * there).  The rest of the host -- the CPU behind KVM_GET_SUPPORTED_CPUID,
 * the non-Hyper-V capabilities and MSRs -- is one plausible Intel (Cascade
 * Lake) and one AMD (Zen 2) machine, the same for every kernel: this fake
 * exists to exercise QEMU's Hyper-V path, and keeping the rest constant
 * keeps every recorded difference about Hyper-V.
 */

#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

#include "fake-kvm-host.h"
#include "kvm-fixtures.h"

/*
 * Linux v6.1.192, Intel VMX host loaded with kvm_intel.nested=0.
 *
 * vmx_set_cpu_caps() only sets X86_FEATURE_VMX with nested, so
 * nested_get_evmcs_version() returns 0 (it tests
 * kvm_cpu_cap_get(X86_FEATURE_VMX)): no HV_X64_ENLIGHTENED_VMCS_RECOMMENDED
 * and no version range in 0x4000000A, whose NESTED_MSR_BITMAP and
 * PERF_GLOBAL_CTRL bits kvm_get_hv_cpuid() sets unconditionally.
 * vmx_nested_ops.enable_evmcs is static and hardware_setup() leaves it
 * alone without nested, so KVM_CAP_HYPERV_ENLIGHTENED_VMCS still reads 1.
 */
static const HvCpuidLeaf kvm_v6_1_intel_nonested_leaves[] = {
    { 0x40000000, 0x40000082, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000001, 0x31237648, 0, 0, 0 },
    { 0x40000002, 0x00003839, 0x000a0000, 0, 0 },
    { 0x40000003, 0x00002aff, 0x00000830, 0, 0x00080d12 },
    { 0x40000004, 0x00000e2c, 0x00000fff, 0, 0 },
    { 0x40000005, 0x00000400, 0x00000040, 0, 0 },
    { 0x40000080, 0, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000081, 0x31235356, 0, 0, 0 },
    { 0x40000082, 0x00000002, 0, 0, 0 },
    { 0x4000000a, 0x00080000, 0x00000001, 0, 0 },
};

static const HvKvmHost kvm_v6_1_intel_nonested = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = true,
        [HV_KVM_CAP_SYS_HYPERV_CPUID] = true,
        [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = true,
    },
    .leaves = kvm_v6_1_intel_nonested_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v6_1_intel_nonested_leaves),
};

/*
 * Linux v6.1.192, Intel, on a host where SMT is impossible (nosmt, or a CPU
 * without it): kvm_get_hv_cpuid() sets HV_X64_NO_NONARCH_CORESHARING
 * (0x40000004.EAX bit 18) when !cpu_smt_possible(); otherwise the 6.1
 * Intel fixture.  What hv-no-nonarch-coresharing=auto passes on.
 */
static HvCpuidLeaf
kvm_v6_1_intel_nosmt_leaves[FIXTURE_LEN(kvm_v6_1_intel_leaves)];

static HvKvmHost kvm_v6_1_intel_nosmt = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = true,
        [HV_KVM_CAP_SYS_HYPERV_CPUID] = true,
        [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = true,
    },
    .leaves = kvm_v6_1_intel_nosmt_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v6_1_intel_leaves),
};

static void __attribute__((constructor)) make_nosmt_leaves(void)
{
    int i;

    for (i = 0; i < FIXTURE_LEN(kvm_v6_1_intel_leaves); i++) {
        kvm_v6_1_intel_nosmt_leaves[i] = kvm_v6_1_intel_leaves[i];
        if (kvm_v6_1_intel_nosmt_leaves[i].function == 0x40000004) {
            kvm_v6_1_intel_nosmt_leaves[i].eax |= 1u << 18;
        }
    }
}

/*
 * A kernel before KVM_GET_SUPPORTED_HV_CPUID (Linux 5.0): Linux 4.19, whose
 * check_extension has KVM_CAP_HYPERV, _VAPIC, _TIME, _SYNIC, _SYNIC2,
 * _VP_INDEX, _EVENTFD (4.16) and _TLBFLUSH (4.18), but neither _SEND_IPI
 * nor _ENLIGHTENED_VMCS (4.20) nor _CPUID (5.0).  QEMU rebuilds the
 * leaves from these capabilities and the MSR list
 * (get_supported_hv_cpuid_legacy()); 4.19 lists every Hyper-V MSR of
 * the later kernels but the synthetic debugger's (5.8).
 */
static const HvKvmHost kvm_v4_19_legacy = {
    .cap = {
        [HV_KVM_CAP_HYPERV] = true,
        [HV_KVM_CAP_HYPERV_VAPIC] = true,
        [HV_KVM_CAP_HYPERV_TIME] = true,
        [HV_KVM_CAP_HYPERV_SYNIC] = true,
        [HV_KVM_CAP_HYPERV_SYNIC2] = true,
        [HV_KVM_CAP_HYPERV_VP_INDEX] = true,
        [HV_KVM_CAP_HYPERV_TLBFLUSH] = true,
    },
    .leaves = NULL,
    .n_leaves = 0,
};

static const FakeHostProfile profiles[] = {
    { "4.19-intel", "Linux 4.19, Intel, nested: no KVM_GET_SUPPORTED_HV_CPUID",
      &kvm_v4_19_legacy, false, true, true, false, 288 },
    { "5.10-intel", "Linux 5.10, Intel, nested (vCPU HV_CPUID ioctl only)",
      &kvm_v5_10_intel, false, false, true, false, 288 },
    { "5.15-intel", "Linux 5.15, Intel, nested",
      &kvm_v5_15_intel, false, false, true, false, 1024 },
    { "6.1-intel", "Linux 6.1, Intel, nested",
      &kvm_v6_1_intel, false, false, true, false, 1024 },
    /* KVM forwards extended hypercalls (EnableExtendedHypercalls) since 6.2 */
    { "6.6-intel", "Linux 6.6, Intel, nested (extended hypercalls)",
      &kvm_v6_6_intel, false, false, true, false, 1024 },
    { "6.1-intel-nosmt", "Linux 6.1, Intel, nested, no SMT on the host",
      &kvm_v6_1_intel_nosmt, false, false, true, false, 1024 },
    { "6.1-intel-nonested", "Linux 6.1, Intel, kvm_intel.nested=0",
      &kvm_v6_1_intel_nonested, false, false, false, false, 1024 },
    { "6.1-amd", "Linux 6.1, AMD, nested",
      &kvm_v6_1_amd, false, false, true, true, 1024 },
    /* Only the base CPUID differs: the AMD leaves have no nested bits */
    { "6.1-amd-nonested", "Linux 6.1, AMD, kvm_amd.nested=0",
      &kvm_v6_1_amd, false, false, false, true, 1024 },
    { "nohyperv", "Linux >= 6.8 built with CONFIG_KVM_HYPERV=n, Intel",
      &kvm_no_hyperv, true, false, true, false, 4096 },
};

const FakeHostProfile *fake_host_profile(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (!strcmp(profiles[i].name, name)) {
            return &profiles[i];
        }
    }
    return NULL;
}

void fake_host_profiles_list(void)
{
    size_t i;

    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        printf("%-20s %s\n", profiles[i].name, profiles[i].desc);
    }
}

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/*
 * An Intel Xeon (Cascade Lake, family 6 model 0x55) as KVM reports it:
 * TSC-deadline and OSXSAVE/OSPKE left to QEMU, no PMU (leaf 0xA absent),
 * XCR0 x87|SSE|AVX|AVX-512|PKRU.
 */
static const FakeCpuidEntry intel_cpuid[] = {
    { 0x0, 0, 0, 0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69 },
    /* ECX without VMX (bit 5): patched in by fake_host_cpuid() */
    { 0x1, 0, 0, 0x00050657, 0x00000800, 0xf6fa3203, 0x0f8bfbff },
    { 0x6, 0, 0, 0x00000004, 0, 0, 0 },
    { 0x7, 0, SIG, 0, 0xd19f07ab, 0x00000808, 0xbc000400 },
    { 0xd, 0, SIG, 0x000002e7, 0x00000a88, 0x00000a88, 0 },
    { 0xd, 1, SIG, 0x0000000f, 0, 0, 0 },
    { 0xd, 2, SIG, 0x00000100, 0x00000240, 0, 0 },
    { 0xd, 5, SIG, 0x00000040, 0x00000440, 0, 0 },
    { 0xd, 6, SIG, 0x00000200, 0x00000480, 0, 0 },
    { 0xd, 7, SIG, 0x00000400, 0x00000680, 0, 0 },
    { 0xd, 9, SIG, 0x00000008, 0x00000a80, 0, 0 },
    { 0x80000000, 0, 0, 0x80000008, 0, 0, 0 },
    { 0x80000001, 0, 0, 0, 0, 0x00000121, 0x2c100800 },
    { 0x80000007, 0, 0, 0, 0, 0, 0x00000100 },
    { 0x80000008, 0, 0, 0x0000302e, 0, 0, 0 },
};

/* An AMD EPYC (Zen 2, family 0x17 model 0x31); SVM patched in if nested */
static const FakeCpuidEntry amd_cpuid[] = {
    { 0x0, 0, 0, 0x0000000d, 0x68747541, 0x444d4163, 0x69746e65 },
    { 0x1, 0, 0, 0x00830f10, 0x00000800, 0xf6f83203, 0x078bfbff },
    { 0x6, 0, 0, 0x00000004, 0, 0, 0 },
    { 0x7, 0, SIG, 0, 0x219c01a9, 0x00400004, 0 },
    { 0xd, 0, SIG, 0x00000007, 0x00000340, 0x00000340, 0 },
    { 0xd, 1, SIG, 0x0000000f, 0, 0, 0 },
    { 0xd, 2, SIG, 0x00000100, 0x00000240, 0, 0 },
    { 0x80000000, 0, 0, 0x80000008, 0x68747541, 0x444d4163, 0x69746e65 },
    { 0x80000001, 0, 0, 0x00830f10, 0, 0x008003f3, 0x2fd3fbff },
    { 0x80000007, 0, 0, 0, 0, 0, 0x00000100 },
    { 0x80000008, 0, 0, 0x00003030, 0x0100d205, 0, 0 },
};

/* KVM's own leaves; QEMU moves them to 0x40000100 when Hyper-V is on */
static const FakeCpuidEntry kvm_pv_cpuid[] = {
    { 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d },
    { 0x40000001, 0, 0, 0x0100fefb, 0, 0, 0 },
};

static int add_entries(FakeCpuidEntry *out, int n, int max,
                       const FakeCpuidEntry *src, int count)
{
    int i;

    for (i = 0; i < count; i++) {
        if (n < max) {
            out[n] = src[i];
        }
        n++;
    }
    return n;
}

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

int fake_host_cpuid(const FakeHostProfile *p, FakeCpuidEntry *out, int max)
{
    static const FakeCpuidEntry svm_leaf = {
        /*
         * NPT LBRV NRIPS TSC_SCALE VMCBCLEAN FLUSHBYASID DECODEASSISTS
         * PAUSEFILTER PFTHRESHOLD V_VMSAVE_VMLOAD VGIF
         */
        0x8000000a, 0, 0, 0x00000001, 0x00008000, 0, 0x000194fb
    };
    int n = 0, i;

    if (p->amd) {
        n = add_entries(out, n, max, amd_cpuid, N_OF(amd_cpuid));
    } else {
        n = add_entries(out, n, max, intel_cpuid, N_OF(intel_cpuid));
    }
    if (p->nested && n <= max) {
        for (i = 0; i < n; i++) {
            if (out[i].function == 0x1 && !p->amd) {
                out[i].ecx |= 1u << 5;             /* VMX */
            }
            if (out[i].function == 0x80000001 && p->amd) {
                out[i].ecx |= 1u << 2;             /* SVM */
            }
            if (out[i].function == 0x80000000 && p->amd) {
                out[i].eax = 0x8000000a;
            }
        }
        if (p->amd) {
            n = add_entries(out, n, max, &svm_leaf, 1);
        }
    }
    return add_entries(out, n, max, kvm_pv_cpuid, N_OF(kvm_pv_cpuid));
}

/* msrs_to_save and emulated_msrs that every profile reports */
static const uint32_t base_msrs[] = {
    0x174, 0x175, 0x176,                    /* SYSENTER_CS/ESP/EIP */
    0xc0000081, 0xc0000082, 0xc0000083,     /* STAR, LSTAR, CSTAR */
    0xc0000084, 0xc0000102,                 /* SYSCALL_MASK, KERNEL_GS */
    0x10, 0x277, 0x3a, 0xc0000103,          /* TSC, PAT, FEAT_CTL, TSC_AUX */
    0x48,                                   /* SPEC_CTRL */
    0x11, 0x12, 0x4b564d00, 0x4b564d01,     /* kvmclock */
    0x4b564d02, 0x4b564d03, 0x4b564d04,     /* async PF, steal, PV EOI */
    0x4b564d05, 0x4b564d06, 0x4b564d07,     /* poll, async PF int/ack */
    0x3b, 0x6e0, 0x10a, 0x1a0,              /* TSC_ADJUST, TSCDEADLINE, */
                                            /* ARCH_CAPS, MISC_ENABLE */
    0x17a, 0x17b, 0x4d0,                    /* MCG_STATUS/CTL/EXT_CTL */
    0x9e, 0x34, 0xce, 0x140,                /* SMBASE, SMI_COUNT, */
                                            /* PLATFORM_INFO, MISC_FEAT */
    0xc001011f, 0x1fc, 0x8b, 0xc0010015,    /* VIRT_SPEC_CTRL, POWER_CTL, */
                                            /* UCODE_REV, K7_HWCR */
};

/* emulated_msrs_all's Hyper-V block, v5.10 to v6.1 alike */
static const uint32_t hv_msrs[] = {
    0x40000000, 0x40000001, 0x40000020, 0x40000021,
    0x40000022, 0x40000023,
    0x40000100, 0x40000101, 0x40000102, 0x40000103, 0x40000104, 0x40000105,
    0x40000003, 0x40000002, 0x40000010, 0x40000080, 0x400000b0,
    0x40000073, 0x40000106, 0x40000107, 0x40000108,
};

/* ...and its synthetic debugger MSRs, since v5.8 */
static const uint32_t syndbg_msrs[] = {
    0x400000ff, 0x400000f1, 0x400000f2, 0x400000f3, 0x400000f4, 0x400000f5,
};

/* vmx_has_emulated_msr(): the VMX capability MSRs only with nested */
static const uint32_t vmx_msrs[] = {
    0x480, 0x481, 0x482, 0x483, 0x484, 0x485, 0x486, 0x487, 0x488, 0x489,
    0x48a, 0x48b, 0x48c, 0x48d, 0x48e, 0x48f, 0x490, 0x491,
};

static const uint32_t svm_msrs[] = {
    0xc0010117, 0xc0000104,                 /* VM_HSAVE_PA, TSC_RATIO */
};

static int add_msrs(uint32_t *out, int n, int max, const uint32_t *src,
                    int count)
{
    int i;

    for (i = 0; i < count; i++) {
        if (n < max) {
            out[n] = src[i];
        }
        n++;
    }
    return n;
}

int fake_host_msrs(const FakeHostProfile *p, uint32_t *out, int max)
{
    int n = add_msrs(out, 0, max, base_msrs, N_OF(base_msrs));

    if (!p->no_hyperv) {
        n = add_msrs(out, n, max, hv_msrs, N_OF(hv_msrs));
    }
    if (!p->no_hyperv && !p->no_syndbg) {
        n = add_msrs(out, n, max, syndbg_msrs, N_OF(syndbg_msrs));
    }
    if (p->amd) {
        n = add_msrs(out, n, max, svm_msrs, N_OF(svm_msrs));
    } else if (p->nested) {
        n = add_msrs(out, n, max, vmx_msrs, N_OF(vmx_msrs));
    }
    return n;
}

static const unsigned int hv_cap_numbers[HV_KVM_CAP_COUNT] = {
    [HV_KVM_CAP_HYPERV] = KVM_CAP_HYPERV,
    [HV_KVM_CAP_HYPERV_VAPIC] = KVM_CAP_HYPERV_VAPIC,
    [HV_KVM_CAP_HYPERV_TIME] = KVM_CAP_HYPERV_TIME,
    [HV_KVM_CAP_HYPERV_SYNIC] = KVM_CAP_HYPERV_SYNIC,
    [HV_KVM_CAP_HYPERV_SYNIC2] = KVM_CAP_HYPERV_SYNIC2,
    [HV_KVM_CAP_HYPERV_VP_INDEX] = KVM_CAP_HYPERV_VP_INDEX,
    [HV_KVM_CAP_HYPERV_TLBFLUSH] = KVM_CAP_HYPERV_TLBFLUSH,
    [HV_KVM_CAP_HYPERV_SEND_IPI] = KVM_CAP_HYPERV_SEND_IPI,
    [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = KVM_CAP_HYPERV_ENLIGHTENED_VMCS,
    [HV_KVM_CAP_HYPERV_CPUID] = KVM_CAP_HYPERV_CPUID,
    [HV_KVM_CAP_HYPERV_DIRECT_TLBFLUSH] = KVM_CAP_HYPERV_DIRECT_TLBFLUSH,
    [HV_KVM_CAP_SYS_HYPERV_CPUID] = KVM_CAP_SYS_HYPERV_CPUID,
    [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = KVM_CAP_HYPERV_ENFORCE_CPUID,
};

/* What x86 KVM answers for everything else, the same on every profile */
static const struct {
    unsigned int cap;
    long value;
} base_caps[] = {
    { KVM_CAP_IRQCHIP, 1 },
    { KVM_CAP_USER_MEMORY, 1 },
    { KVM_CAP_SET_TSS_ADDR, 1 },
    { KVM_CAP_EXT_CPUID, 1 },
    { KVM_CAP_MP_STATE, 1 },
    { KVM_CAP_DESTROY_MEMORY_REGION_WORKS, 1 },
    { KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, 1 },
    { KVM_CAP_INTERNAL_ERROR_DATA, 1 },
    { KVM_CAP_NR_VCPUS, 64 },
    { KVM_CAP_NR_MEMSLOTS, 509 },
    { KVM_CAP_IRQ_ROUTING, 4096 },
    { KVM_CAP_IRQFD, 1 },
    { KVM_CAP_IOEVENTFD, 1 },
    { KVM_CAP_IOEVENTFD_ANY_LENGTH, 1 },
    { KVM_CAP_SIGNAL_MSI, 1 },
    { KVM_CAP_X86_ROBUST_SINGLESTEP, 1 },
    { KVM_CAP_IRQ_INJECT_STATUS, 1 },
    { KVM_CAP_SET_IDENTITY_MAP_ADDR, 1 },
    { KVM_CAP_PIT2, 1 },
    { KVM_CAP_PIT_STATE2, 1 },
    { KVM_CAP_ADJUST_CLOCK, KVM_CLOCK_TSC_STABLE },
    { KVM_CAP_VCPU_EVENTS, 1 },
    { KVM_CAP_DEBUGREGS, 1 },
    { KVM_CAP_XSAVE, 1 },
    { KVM_CAP_XCRS, 1 },
    { KVM_CAP_MCE, 32 },
    { KVM_CAP_TSC_CONTROL, 1 },
    { KVM_CAP_GET_TSC_KHZ, 1 },
    { KVM_CAP_TSC_DEADLINE_TIMER, 1 },
    { KVM_CAP_KVMCLOCK_CTRL, 1 },
    { KVM_CAP_READONLY_MEM, 1 },
    { KVM_CAP_SYNC_MMU, 1 },
    { KVM_CAP_IMMEDIATE_EXIT, 1 },
    { KVM_CAP_X2APIC_API, 3 },
    { KVM_CAP_SPLIT_IRQCHIP, 1 },
    { KVM_CAP_EXCEPTION_PAYLOAD, 1 },
    { KVM_CAP_SREGS2, 1 },
    { KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 1 },
    { KVM_CAP_SET_GUEST_DEBUG, 1 },
    { KVM_CAP_SET_BOOT_CPU_ID, 1 },
    { KVM_CAP_MSR_PLATFORM_INFO, 1 },
};

long fake_host_check_extension(const FakeHostProfile *p, unsigned long cap)
{
    const HvKvmHost *hv = p->hv_host;
    size_t i;

    for (i = 0; i < HV_KVM_CAP_COUNT; i++) {
        if (hv_cap_numbers[i] == cap) {
            return hv->cap[i];
        }
    }
    switch (cap) {
    case KVM_CAP_MAX_VCPUS:
    case KVM_CAP_MAX_VCPU_ID:
        return p->max_vcpus;
    case KVM_CAP_HYPERV_EVENTFD:
        /* in the CONFIG_KVM_HYPERV block of check_extension since 6.8 */
        return !p->no_hyperv;
    case KVM_CAP_NESTED_STATE:
        /* sizeof(kvm_nested_state) + the VMX/SVM payload */
        return p->amd ? 128 + 4096 : 128 + 2 * 4096;
    }
    for (i = 0; i < sizeof(base_caps) / sizeof(base_caps[0]); i++) {
        if (base_caps[i].cap == cap) {
            return base_caps[i].value;
        }
    }
    return 0;
}

int fake_host_hv_cpuid(const FakeHostProfile *p, FakeCpuidEntry *out,
                       int max)
{
    const HvKvmHost *hv = p->hv_host;
    int i;

    if (!hv->cap[HV_KVM_CAP_HYPERV_CPUID]) {
        return -1;
    }
    for (i = 0; i < hv->n_leaves && i < max; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        out[i].function = hv->leaves[i].function;
        out[i].eax = hv->leaves[i].eax;
        out[i].ebx = hv->leaves[i].ebx;
        out[i].ecx = hv->leaves[i].ecx;
        out[i].edx = hv->leaves[i].edx;
    }
    return hv->n_leaves;
}
