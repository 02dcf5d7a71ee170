/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: what real host kernels tell QEMU about their
 * Hyper-V emulation, for hv_kvm_negotiate().
 *
 * Each fixture is a host capability set (KVM_CHECK_EXTENSION on the
 * KVM_CAP_HYPERV* the model names) and the leaves KVM_GET_SUPPORTED_HV_CPUID
 * returns, as QEMU's get_supported_hv_cpuid() (target/i386/kvm/kvm.c) hands
 * them to the model.  They were worked out by hand from the kernel sources
 * named on each fixture; the register values are literals.
 *
 * Sources read:
 *   v5.10.13  github.com/Rtoax/linux-5.10.13 (a v5.10.13 tree with study
 *             comments added; the functions used here are unmodified)
 *             at 188192adf32c74e3828ea01dc9d7d14700154857:
 *             arch/x86/kvm/hyperv.c kvm_vcpu_ioctl_get_hv_cpuid(),
 *             arch/x86/kvm/x86.c kvm_vm_ioctl_check_extension(),
 *             arch/x86/include/asm/kvm_host.h (KVM_MAX_VCPUS 288)
 *   v5.15.85  github.com/Tptogiar/linux-5.15.85
 *             at b77857a91704dc6e3dcfafe597b9add58c739343:
 *             arch/x86/kvm/hyperv.c kvm_get_hv_cpuid(),
 *             arch/x86/kvm/x86.c kvm_vm_ioctl_check_extension(),
 *             arch/x86/include/asm/kvm_host.h (KVM_MAX_VCPUS 1024)
 *   v6.1.192  Debian bookworm's linux-source-6.1 6.1.192-2 (upstream
 *             6.1.192, Makefile VERSION 6 PATCHLEVEL 1 SUBLEVEL 192):
 *             arch/x86/kvm/hyperv.c kvm_get_hv_cpuid(),
 *             arch/x86/kvm/x86.c kvm_vm_ioctl_check_extension(),
 *             arch/x86/kvm/vmx/evmcs.c nested_get_evmcs_version(),
 *             arch/x86/kvm/vmx/evmcs.h (KVM_EVMCS_VERSION 1),
 *             arch/x86/kvm/vmx/vmx.c, arch/x86/kvm/svm/nested.c,
 *             arch/x86/include/asm/kvm_host.h (KVM_MAX_VCPUS 1024),
 *             include/uapi/linux/kvm.h (the KVM_CAP_* numbers below)
 * TLFS bit values: arch/x86/include/asm/hyperv-tlfs.h and
 * include/asm-generic/hyperv-tlfs.h of the same trees.
 *
 * Assumptions common to the kernel fixtures:
 *   - bare-metal host: KVM does not itself run on Hyper-V, so
 *     kvm_x86_ops.enable_direct_tlbflush stays NULL and
 *     KVM_CAP_HYPERV_DIRECT_TLBFLUSH reads 0 (vmx.c / svm_onhyperv.h only
 *     set it when ms_hyperv.nested_features has HV_X64_NESTED_DIRECT_FLUSH)
 *   - in-kernel LAPIC (QEMU's kernel-irqchip=on or split), so
 *     lapic_in_kernel(vcpu) holds: HV_STIMER_DIRECT_MODE_AVAILABLE, and on
 *     6.1 HV_X64_CLUSTER_IPI_RECOMMENDED, are set
 *   - SMT possible on the host: cpu_smt_possible() is true, so
 *     HV_X64_NO_NONARCH_CORESHARING is clear
 *   - "Intel" fixtures: VMX with kvm_intel.nested=1, so X86_FEATURE_VMX is
 *     in KVM's CPU caps and nested_ops->get_evmcs_version/enable_evmcs are
 *     set (KVM_CAP_HYPERV_ENLIGHTENED_VMCS reads 1)
 *
 * KVM_CAP numbers (include/uapi/linux/kvm.h) and where they appear:
 *   KVM_CAP_HYPERV 44, KVM_CAP_HYPERV_VAPIC 45, KVM_CAP_HYPERV_TIME 96,
 *   KVM_CAP_HYPERV_SYNIC 123, KVM_CAP_HYPERV_SYNIC2 148,
 *   KVM_CAP_HYPERV_VP_INDEX 149, KVM_CAP_HYPERV_TLBFLUSH 155,
 *   KVM_CAP_HYPERV_SEND_IPI 161, KVM_CAP_HYPERV_ENLIGHTENED_VMCS 163,
 *   KVM_CAP_HYPERV_CPUID 167 (Linux 5.0, with KVM_GET_SUPPORTED_HV_CPUID):
 *     all of these are in the check_extension of every kernel below.
 *   KVM_CAP_HYPERV_DIRECT_TLBFLUSH 175: reported, but 0 on bare metal.
 *   KVM_CAP_SYS_HYPERV_CPUID 191 (Linux 5.11, KVM_GET_SUPPORTED_HV_CPUID
 *     on /dev/kvm) and KVM_CAP_HYPERV_ENFORCE_CPUID 199 (Linux 5.14): not
 *     in v5.10.13's check_extension, present in v5.15.85's and v6.1's.
 *
 * Register values are little-endian strings where the kernel memcpy()s
 * one: "Linu" 0x756e694c, "x KV" 0x564b2078, "M Hv" 0x7648204d,
 * "Hv#1" 0x31237648, "VS#1" 0x31235356.
 */

#ifndef TESTS_UNIT_KVM_FIXTURES_H
#define TESTS_UNIT_KVM_FIXTURES_H

#include "hv-model.h"

#define FIXTURE_LEN(a)  ((int)(sizeof(a) / sizeof((a)[0])))

/* The capabilities every kernel with KVM_GET_SUPPORTED_HV_CPUID has */
#define KVM_CAPS_HYPERV_BASE \
    [HV_KVM_CAP_HYPERV] = true, \
    [HV_KVM_CAP_HYPERV_VAPIC] = true, \
    [HV_KVM_CAP_HYPERV_TIME] = true, \
    [HV_KVM_CAP_HYPERV_SYNIC] = true, \
    [HV_KVM_CAP_HYPERV_SYNIC2] = true, \
    [HV_KVM_CAP_HYPERV_VP_INDEX] = true, \
    [HV_KVM_CAP_HYPERV_TLBFLUSH] = true, \
    [HV_KVM_CAP_HYPERV_SEND_IPI] = true, \
    [HV_KVM_CAP_HYPERV_CPUID] = true

/*
 * Linux v5.10.13, Intel VMX host.
 *
 * v5.10 has no KVM_CAP_SYS_HYPERV_CPUID: QEMU asks on the vCPU, before it
 * enables KVM_CAP_HYPERV_ENLIGHTENED_VMCS there, so
 * nested_get_evmcs_version() (vmx->nested.enlightened_vmcs_enabled still
 * false) returns 0: the kernel drops the last entry, 0x4000000A, and
 * leaves HV_X64_ENLIGHTENED_VMCS_RECOMMENDED clear.  QEMU's
 * get_supported_hv_cpuid() then sets HV_ENLIGHTENED_VMCS_RECOMMENDED in
 * 0x40000004.EAX itself because KVM_CAP_HYPERV_ENLIGHTENED_VMCS > 0 (the
 * "EVMCS bit" comment there): that fixup is included below.
 * v5.10 has neither HV_DEPRECATING_AEOI_RECOMMENDED nor
 * HV_X64_HYPERCALL_XMM_INPUT_AVAILABLE.
 */
static const HvCpuidLeaf kvm_v5_10_intel_leaves[] = {
    /* "Linux KVM Hv", highest leaf HYPERV_CPUID_SYNDBG_PLATFORM_CAPS. */
    { 0x40000000, 0x40000082, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000001, 0x31237648, 0, 0, 0 },
    /* "Hyper-V 2016": build 0x3839, version 10.0 */
    { 0x40000002, 0x00003839, 0x000a0000, 0, 0 },
    /*
     * EAX: VP_RUNTIME 0x1 | TIME_REF_COUNT 0x2 | SYNIC 0x4 | SYNTIMER 0x8
     *      | APIC_ACCESS 0x10 | HYPERCALL 0x20 | VP_INDEX 0x40 | RESET 0x80
     *      | REFERENCE_TSC 0x200 | ACCESS_FREQUENCY_MSRS 0x800
     *      | ACCESS_REENLIGHTENMENT 0x2000
     * EBX: POST_MESSAGES 0x10 | SIGNAL_EVENTS 0x20 | HV_DEBUGGING 0x800
     * EDX: GUEST_DEBUGGING 0x2 | FREQUENCY_MSRS 0x100 | CRASH_MSR 0x400
     *      | DEBUG_MSRS 0x800 | STIMER_DIRECT_MODE 0x80000
     */
    { 0x40000003, 0x00002aff, 0x00000830, 0, 0x00080d02 },
    /*
     * EAX: REMOTE_TLB_FLUSH 0x4 | APIC_ACCESS 0x8 | RELAXED_TIMING 0x20
     *      | CLUSTER_IPI 0x400 | EX_PROCESSOR_MASKS 0x800
     *      | ENLIGHTENED_VMCS 0x4000 (QEMU's fixup, see above)
     * EBX: spinlock retries 0xfff
     */
    { 0x40000004, 0x00004c2c, 0x00000fff, 0, 0 },
    /* KVM_MAX_VCPUS 288, 64 logical processors */
    { 0x40000005, 0x00000120, 0x00000040, 0, 0 },
    { 0x40000080, 0, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000081, 0x31235356, 0, 0, 0 },
    /* HV_X64_SYNDBG_CAP_ALLOW_KERNEL_DEBUGGING */
    { 0x40000082, 0x00000002, 0, 0, 0 },
};

static const HvKvmHost kvm_v5_10_intel = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = true,
    },
    .leaves = kvm_v5_10_intel_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v5_10_intel_leaves),
};

/*
 * Linux v5.15.85, Intel VMX host.
 *
 * QEMU uses the system ioctl (KVM_CAP_SYS_HYPERV_CPUID), so vcpu == NULL:
 * nested_get_evmcs_version() returns (KVM_EVMCS_VERSION << 8) | 1 = 0x0101
 * for vcpu == NULL when VMX is exposed, 0x4000000A is kept and
 * HV_X64_ENLIGHTENED_VMCS_RECOMMENDED is set by the kernel.  (The
 * "!vcpu ||" test came with the system ioctl in v5.11, in the same patch;
 * this tree's vmx/evmcs.c was not available, v6.1.192's has it.)  New since
 * v5.10: HV_DEPRECATING_AEOI_RECOMMENDED, HV_X64_HYPERCALL_XMM_INPUT.
 * 0x4000000A.EAX is only the eVMCS version range in v5.15.
 */
static const HvCpuidLeaf kvm_v5_15_intel_leaves[] = {
    { 0x40000000, 0x40000082, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000001, 0x31237648, 0, 0, 0 },
    { 0x40000002, 0x00003839, 0x000a0000, 0, 0 },
    /* as v5.10, plus EDX: HYPERCALL_XMM_INPUT 0x10 */
    { 0x40000003, 0x00002aff, 0x00000830, 0, 0x00080d12 },
    /*
     * EAX: REMOTE_TLB_FLUSH 0x4 | APIC_ACCESS 0x8 | RELAXED_TIMING 0x20
     *      | DEPRECATING_AEOI 0x200 | CLUSTER_IPI 0x400
     *      | EX_PROCESSOR_MASKS 0x800 | ENLIGHTENED_VMCS 0x4000
     */
    { 0x40000004, 0x00004e2c, 0x00000fff, 0, 0 },
    /* KVM_MAX_VCPUS 1024 */
    { 0x40000005, 0x00000400, 0x00000040, 0, 0 },
    { 0x40000080, 0, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000081, 0x31235356, 0, 0, 0 },
    { 0x40000082, 0x00000002, 0, 0, 0 },
    /* eVMCS versions 1..1 */
    { 0x4000000a, 0x00000101, 0, 0, 0 },
};

static const HvKvmHost kvm_v5_15_intel = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = true,
        [HV_KVM_CAP_SYS_HYPERV_CPUID] = true,
        [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = true,
    },
    .leaves = kvm_v5_15_intel_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v5_15_intel_leaves),
};

/*
 * Linux v6.1.192, Intel VMX host, system ioctl (vcpu == NULL).
 *
 * 0x4000000A is always there (no "skip NESTED_FEATURES" any more) with
 * HV_X64_NESTED_MSR_BITMAP in EAX and HV_X64_NESTED_EVMCS1_PERF_GLOBAL_CTRL
 * in EBX.  CLUSTER_IPI is set for vcpu == NULL.  v6.1 has neither
 * HV_FEATURE_EXT_GVA_RANGES_FLUSH nor HV_X64_NESTED_DIRECT_FLUSH (the L2
 * TLB flush work came in v6.2).
 */
static const HvCpuidLeaf kvm_v6_1_intel_leaves[] = {
    { 0x40000000, 0x40000082, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000001, 0x31237648, 0, 0, 0 },
    { 0x40000002, 0x00003839, 0x000a0000, 0, 0 },
    { 0x40000003, 0x00002aff, 0x00000830, 0, 0x00080d12 },
    { 0x40000004, 0x00004e2c, 0x00000fff, 0, 0 },
    { 0x40000005, 0x00000400, 0x00000040, 0, 0 },
    { 0x40000080, 0, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000081, 0x31235356, 0, 0, 0 },
    { 0x40000082, 0x00000002, 0, 0, 0 },
    /* eVMCS 0x0101 | NESTED_MSR_BITMAP 0x80000; EBX PERF_GLOBAL_CTRL */
    { 0x4000000a, 0x00080101, 0x00000001, 0, 0 },
};

static const HvKvmHost kvm_v6_1_intel = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = true,
        [HV_KVM_CAP_SYS_HYPERV_CPUID] = true,
        [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = true,
    },
    .leaves = kvm_v6_1_intel_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v6_1_intel_leaves),
};

/*
 * Linux v6.6, Intel VMX host, system ioctl (vcpu == NULL): reconstructed
 * from v6.6's kvm_get_hv_cpuid() as the v6.1 fixture plus what came since:
 * HV_ACCESS_TSC_INVARIANT (v6.3, EAX[15]), HV_ENABLE_EXTENDED_HYPERCALLS
 * (EBX[20]) and HV_FEATURE_EXT_GVA_RANGES_FLUSH (EDX[14]).  Capabilities
 * as v6.1, which (like every fixture here) leaves out
 * KVM_CAP_HYPERV_DIRECT_TLBFLUSH and so HV_X64_NESTED_DIRECT_FLUSH.
 */
static const HvCpuidLeaf kvm_v6_6_intel_leaves[] = {
    { 0x40000000, 0x40000082, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000001, 0x31237648, 0, 0, 0 },
    { 0x40000002, 0x00003839, 0x000a0000, 0, 0 },
    { 0x40000003, 0x0000aaff, 0x00100830, 0, 0x00084d12 },
    { 0x40000004, 0x00004e2c, 0x00000fff, 0, 0 },
    { 0x40000005, 0x00000400, 0x00000040, 0, 0 },
    { 0x40000080, 0, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000081, 0x31235356, 0, 0, 0 },
    { 0x40000082, 0x00000002, 0, 0, 0 },
    /* as v6.1: the fixtures leave the direct L2 TLB flush out (no cap) */
    { 0x4000000a, 0x00080101, 0x00000001, 0, 0 },
};

static const HvKvmHost kvm_v6_6_intel = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = true,
        [HV_KVM_CAP_SYS_HYPERV_CPUID] = true,
        [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = true,
    },
    .leaves = kvm_v6_6_intel_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v6_6_intel_leaves),
};

/*
 * Linux v6.1.192, AMD SVM host, system ioctl (vcpu == NULL).
 *
 * svm_nested_ops has neither get_evmcs_version nor enable_evmcs: no eVMCS
 * version, no HV_X64_ENLIGHTENED_VMCS_RECOMMENDED, and
 * KVM_CAP_HYPERV_ENLIGHTENED_VMCS reads 0.  The enlightened MSR bitmap is
 * still advertised in 0x4000000A (nSVM implements it).
 */
static const HvCpuidLeaf kvm_v6_1_amd_leaves[] = {
    { 0x40000000, 0x40000082, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000001, 0x31237648, 0, 0, 0 },
    { 0x40000002, 0x00003839, 0x000a0000, 0, 0 },
    { 0x40000003, 0x00002aff, 0x00000830, 0, 0x00080d12 },
    /* as Intel, without ENLIGHTENED_VMCS 0x4000 */
    { 0x40000004, 0x00000e2c, 0x00000fff, 0, 0 },
    { 0x40000005, 0x00000400, 0x00000040, 0, 0 },
    { 0x40000080, 0, 0x756e694c, 0x564b2078, 0x7648204d },
    { 0x40000081, 0x31235356, 0, 0, 0 },
    { 0x40000082, 0x00000002, 0, 0, 0 },
    { 0x4000000a, 0x00080000, 0x00000001, 0, 0 },
};

static const HvKvmHost kvm_v6_1_amd = {
    .cap = {
        KVM_CAPS_HYPERV_BASE,
        [HV_KVM_CAP_SYS_HYPERV_CPUID] = true,
        [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = true,
    },
    .leaves = kvm_v6_1_amd_leaves,
    .n_leaves = FIXTURE_LEN(kvm_v6_1_amd_leaves),
};

/*
 * A host without Hyper-V emulation: Linux >= 6.8 built with
 * CONFIG_KVM_HYPERV=n (commit b4f69df0f65e "KVM: x86: Make Hyper-V
 * emulation optional", read as posted to kvm@vger.kernel.org), where
 * kvm_vm_ioctl_check_extension() compiles out every KVM_CAP_HYPERV* case
 * and the KVM_GET_SUPPORTED_HV_CPUID ioctls are not built.  Every
 * capability reads 0 and there are no leaves.
 */
static const HvKvmHost kvm_no_hyperv = {
    .cap = { [HV_KVM_CAP_HYPERV] = false },
    .leaves = NULL,
    .n_leaves = 0,
};

#endif
