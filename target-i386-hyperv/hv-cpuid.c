/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the Hyper-V CPUID leaves (0x40000000-0x4000000A and the
 * synthetic debugger leaves 0x40000080-0x40000082), built from an HvConfig.
 *
 * The KVM backend hands these to KVM_SET_CPUID2, the TCG backend answers
 * the guest's CPUID instruction from them: both see the same bits.
 */

#include <string.h>

#include "hv-model.h"

uint32_t hv_cpuid_leaf_reg(const HvCpuidLeaf *leaf, HvCpuidReg reg)
{
    switch (reg) {
    case HV_REG_EAX:
        return leaf->eax;
    case HV_REG_EBX:
        return leaf->ebx;
    case HV_REG_ECX:
        return leaf->ecx;
    case HV_REG_EDX:
    default:
        return leaf->edx;
    }
}

static uint32_t *leaf_reg_ptr(HvCpuidLeaf *leaf, HvCpuidReg reg)
{
    switch (reg) {
    case HV_REG_EAX:
        return &leaf->eax;
    case HV_REG_EBX:
        return &leaf->ebx;
    case HV_REG_ECX:
        return &leaf->ecx;
    case HV_REG_EDX:
    default:
        return &leaf->edx;
    }
}

const HvCpuidLeaf *hv_cpuid_find(const HvCpuidLeaf *leaves, int n,
                                 uint32_t function)
{
    int i;

    for (i = 0; i < n; i++) {
        if (leaves[i].function == function) {
            return &leaves[i];
        }
    }
    return NULL;
}

/* OR the CPUID bits of every enabled feature into the leaves they live in */
static void apply_feature_bits(uint64_t features, HvCpuidLeaf *leaves, int n)
{
    int feat, i;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (!(features & HV_FEAT_BIT(feat))) {
            continue;
        }
        for (i = 0; i < 2; i++) {
            const HvCpuidBits *f = &hv_features[feat].flags[i];
            HvCpuidLeaf *leaf;

            if (!f->func) {
                continue;
            }
            leaf = (HvCpuidLeaf *)hv_cpuid_find(leaves, n, f->func);
            if (leaf) {
                *leaf_reg_ptr(leaf, f->reg) |= f->bits;
            }
        }
    }
}

static HvCpuidLeaf *add_leaf(HvCpuidLeaf *leaves, int *n, uint32_t function)
{
    HvCpuidLeaf *leaf = &leaves[(*n)++];

    memset(leaf, 0, sizeof(*leaf));
    leaf->function = function;
    return leaf;
}

static uint32_t str_reg(const char *s)
{
    return (uint8_t)s[0] | (uint8_t)s[1] << 8 | (uint8_t)s[2] << 16 |
           (uint32_t)(uint8_t)s[3] << 24;
}

int hv_cpuid_build(const HvConfig *cfg, HvCpuidLeaf *leaves)
{
    uint64_t f = cfg->features;
    bool nested = f & (HV_FEAT_BIT(HYPERV_FEAT_EVMCS) |
                       HV_FEAT_BIT(HYPERV_FEAT_MSR_BITMAP) |
                       HV_FEAT_BIT(HYPERV_FEAT_TLBFLUSH_DIRECT));
    HvCpuidLeaf *max, *leaf;
    uint32_t function;
    int n = 0;

    max = add_leaf(leaves, &n, HV_CPUID_VENDOR_AND_MAX_FUNCTIONS);
    max->eax = nested ? HV_CPUID_NESTED_FEATURES : HV_CPUID_IMPLEMENT_LIMITS;
    if (f & HV_FEAT_BIT(HYPERV_FEAT_SYNDBG)) {
        max->eax = HV_CPUID_SYNDBG_PLATFORM_CAPABILITIES;
    }
    max->ebx = cfg->vendor_id[0];
    max->ecx = cfg->vendor_id[1];
    max->edx = cfg->vendor_id[2];

    leaf = add_leaf(leaves, &n, HV_CPUID_INTERFACE);
    leaf->eax = cfg->interface_id[0];
    leaf->ebx = cfg->interface_id[1];
    leaf->ecx = cfg->interface_id[2];
    leaf->edx = cfg->interface_id[3];

    leaf = add_leaf(leaves, &n, HV_CPUID_VERSION);
    leaf->eax = cfg->ver_build;
    leaf->ebx = (uint32_t)cfg->ver_major << 16 | cfg->ver_minor;
    leaf->ecx = cfg->ver_sp;
    leaf->edx = (uint32_t)cfg->ver_sb << 24 | (cfg->ver_sn & 0xffffff);

    leaf = add_leaf(leaves, &n, HV_CPUID_FEATURES);
    /*
     * The hypercall and guest OS ID MSRs are the base of every Hyper-V
     * interface; a backend sets hypercall_available once it has them.
     */
    if (cfg->hypercall_available) {
        leaf->eax |= HV_HYPERCALL_AVAILABLE;
    }
    /* SynIC and VMBus devices need the message and event hypercalls */
    if ((f & HV_FEAT_BIT(HYPERV_FEAT_SYNIC)) && !cfg->synic_kvm_only) {
        leaf->ebx |= HV_POST_MESSAGES | HV_SIGNAL_EVENTS;
    }
    /* Not a hypervisor service, but Windows needs it for CPU hotplug */
    leaf->edx |= HV_CPU_DYNAMIC_PARTITIONING_AVAILABLE;

    leaf = add_leaf(leaves, &n, HV_CPUID_ENLIGHTMENT_INFO);
    leaf->ebx = cfg->spinlock_attempts;
    /* With APICv/AVIC the hardware APIC beats the enlightened MSRs */
    if ((f & HV_FEAT_BIT(HYPERV_FEAT_VAPIC)) &&
        !(f & HV_FEAT_BIT(HYPERV_FEAT_AVIC))) {
        leaf->eax |= HV_APIC_ACCESS_RECOMMENDED;
    }
    if (cfg->no_nonarch_cs == HV_NO_NONARCH_CS_ON ||
        (cfg->no_nonarch_cs == HV_NO_NONARCH_CS_AUTO &&
         cfg->host_no_nonarch_cs)) {
        leaf->eax |= HV_NO_NONARCH_CORESHARING;
    }

    leaf = add_leaf(leaves, &n, HV_CPUID_IMPLEMENT_LIMITS);
    leaf->eax = (uint32_t)cfg->max_vps;
    leaf->ebx = cfg->limits[0];
    leaf->ecx = cfg->limits[1];
    leaf->edx = cfg->limits[2];

    if (nested) {
        /* 0x40000006..0x40000009 exist, zeroed, below the nested leaf */
        for (function = HV_CPUID_IMPLEMENT_LIMITS + 1;
             function < HV_CPUID_NESTED_FEATURES; function++) {
            add_leaf(leaves, &n, function);
        }
        leaf = add_leaf(leaves, &n, HV_CPUID_NESTED_FEATURES);
        if (f & HV_FEAT_BIT(HYPERV_FEAT_EVMCS)) {
            /* EAX[15:0] is the supported eVMCS version range */
            leaf->eax |= HV_DEFAULT_EVMCS_VERSION;
        }
    }

    if (f & HV_FEAT_BIT(HYPERV_FEAT_SYNDBG)) {
        leaf = add_leaf(leaves, &n, HV_CPUID_SYNDBG_VENDOR_AND_MAX_FUNCTIONS);
        leaf->ebx = str_reg("Micr");
        leaf->ecx = str_reg("osof");
        leaf->edx = str_reg("t VS");

        leaf = add_leaf(leaves, &n, HV_CPUID_SYNDBG_INTERFACE);
        leaf->eax = str_reg("VS#1");

        leaf = add_leaf(leaves, &n, HV_CPUID_SYNDBG_PLATFORM_CAPABILITIES);
        leaf->eax = HV_SYNDBG_CAP_ALLOW_KERNEL_DEBUGGING;
    }

    apply_feature_bits(f, leaves, n);
    return n;
}
