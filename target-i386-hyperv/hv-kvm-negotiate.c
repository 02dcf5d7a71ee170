/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: negotiating the requested hv-* features with the host KVM.
 *
 * Pure logic over what the kernel reported (capabilities and
 * KVM_GET_SUPPORTED_HV_CPUID), so it is unit-tested against fixture tables
 * taken from real kernels.  Unlike upstream QEMU, which silently drops every
 * hv-* flag when the kernel has no KVM_CAP_HYPERV at all, each requested
 * feature the host cannot provide is reported on its own line, naming the
 * property and the missing kernel capability.
 */

#include <string.h>

#include "hv-model.h"

uint32_t hv_kvm_host_cpuid(const HvKvmHost *host, uint32_t func,
                           HvCpuidReg reg)
{
    const HvCpuidLeaf *leaf = hv_cpuid_find(host->leaves, host->n_leaves,
                                            func);

    return leaf ? hv_cpuid_leaf_reg(leaf, reg) : 0;
}

bool hv_kvm_feature_supported(const HvKvmHost *host, int feat)
{
    int i;

    if (!(hv_features[feat].backends & HV_BACKEND_KVM)) {
        return false;
    }
    if (hv_features[feat].kvm_cap_required &&
        !host->cap[hv_features[feat].kvm_cap]) {
        return false;
    }

    for (i = 0; i < 2; i++) {
        const HvCpuidBits *f = &hv_features[feat].flags[i];

        if (!f->func) {
            continue;
        }
        if ((hv_kvm_host_cpuid(host, f->func, f->reg) & f->bits) != f->bits) {
            return false;
        }
    }
    return true;
}

/* hv-passthrough: take the host's identity and every supported feature */
static void expand_passthrough(HvConfig *cfg, const HvKvmHost *host)
{
    uint32_t ver_ebx, ver_edx;
    int feat;

    cfg->vendor_id[0] = hv_kvm_host_cpuid(host,
                            HV_CPUID_VENDOR_AND_MAX_FUNCTIONS, HV_REG_EBX);
    cfg->vendor_id[1] = hv_kvm_host_cpuid(host,
                            HV_CPUID_VENDOR_AND_MAX_FUNCTIONS, HV_REG_ECX);
    cfg->vendor_id[2] = hv_kvm_host_cpuid(host,
                            HV_CPUID_VENDOR_AND_MAX_FUNCTIONS, HV_REG_EDX);

    cfg->interface_id[0] = hv_kvm_host_cpuid(host, HV_CPUID_INTERFACE,
                                             HV_REG_EAX);
    cfg->interface_id[1] = hv_kvm_host_cpuid(host, HV_CPUID_INTERFACE,
                                             HV_REG_EBX);
    cfg->interface_id[2] = hv_kvm_host_cpuid(host, HV_CPUID_INTERFACE,
                                             HV_REG_ECX);
    cfg->interface_id[3] = hv_kvm_host_cpuid(host, HV_CPUID_INTERFACE,
                                             HV_REG_EDX);

    ver_ebx = hv_kvm_host_cpuid(host, HV_CPUID_VERSION, HV_REG_EBX);
    ver_edx = hv_kvm_host_cpuid(host, HV_CPUID_VERSION, HV_REG_EDX);
    cfg->ver_build = hv_kvm_host_cpuid(host, HV_CPUID_VERSION, HV_REG_EAX);
    cfg->ver_major = ver_ebx >> 16;
    cfg->ver_minor = ver_ebx & 0xffff;
    cfg->ver_sp = hv_kvm_host_cpuid(host, HV_CPUID_VERSION, HV_REG_ECX);
    cfg->ver_sb = ver_edx >> 24;
    cfg->ver_sn = ver_edx & 0xffffff;

    cfg->max_vps = (int32_t)hv_kvm_host_cpuid(host, HV_CPUID_IMPLEMENT_LIMITS,
                                              HV_REG_EAX);
    cfg->limits[0] = hv_kvm_host_cpuid(host, HV_CPUID_IMPLEMENT_LIMITS,
                                       HV_REG_EBX);
    cfg->limits[1] = hv_kvm_host_cpuid(host, HV_CPUID_IMPLEMENT_LIMITS,
                                       HV_REG_ECX);
    cfg->limits[2] = hv_kvm_host_cpuid(host, HV_CPUID_IMPLEMENT_LIMITS,
                                       HV_REG_EDX);

    cfg->spinlock_attempts = hv_kvm_host_cpuid(host, HV_CPUID_ENLIGHTMENT_INFO,
                                               HV_REG_EBX);

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (hv_kvm_feature_supported(host, feat) &&
            !hv_features[feat].skip_passthrough) {
            cfg->features |= HV_FEAT_BIT(feat);
        }
    }
}

/* No kernel implements @feat (hv-guest-idle): no upgrade helps */
static void add_not_kvm_problem(HvProblems *problems, int feat)
{
    hv_problem_add(problems, "Hyper-V %s is not implemented by KVM (TCG "
                   "only); remove %s or use -accel tcg",
                   hv_features[feat].desc, hv_features[feat].prop);
}

static const char no_hyperv_hint[] =
    "this host's KVM has no Hyper-V emulation (KVM_CAP_HYPERV missing: "
    "kernel built without CONFIG_KVM_HYPERV?)";

bool hv_kvm_negotiate(HvConfig *cfg, const HvKvmHost *host,
                      HvProblems *problems)
{
    int before = problems->count;
    int feat;

    if (!hv_config_enabled(cfg)) {
        return true;
    }

    if (!host->cap[HV_KVM_CAP_HYPERV]) {
        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            if (cfg->features & HV_FEAT_BIT(feat)) {
                hv_problem_add(problems, "%s: %s; remove %s or use -accel tcg",
                               hv_features[feat].prop, no_hyperv_hint,
                               hv_features[feat].prop);
            }
        }
        if (cfg->spinlock_attempts != HYPERV_SPINLOCK_NEVER_NOTIFY) {
            hv_problem_add(problems, "hv-spinlocks: %s; remove hv-spinlocks "
                           "or use -accel tcg", no_hyperv_hint);
        }
        if (cfg->passthrough) {
            hv_problem_add(problems, "hv-passthrough: %s; remove "
                           "hv-passthrough or use -accel tcg", no_hyperv_hint);
        }
        return false;
    }

    if (cfg->passthrough) {
        /* An explicit request stays (hv-passthrough,hv-syndbg) */
        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            if ((cfg->features & HV_FEAT_BIT(feat)) &&
                !(hv_features[feat].backends & HV_BACKEND_KVM)) {
                add_not_kvm_problem(problems, feat);
            }
        }
        expand_passthrough(cfg, host);
    } else {
        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            const HvFeatureInfo *info = &hv_features[feat];

            if (!(cfg->features & HV_FEAT_BIT(feat)) ||
                hv_kvm_feature_supported(host, feat)) {
                continue;
            }
            if (!(info->backends & HV_BACKEND_KVM)) {
                add_not_kvm_problem(problems, feat);
                continue;
            }
            hv_problem_add(problems, "Hyper-V %s is not supported by kernel "
                           "(%s%s); remove %s or upgrade the host kernel",
                           info->desc, hv_kvm_cap_names[info->kvm_cap],
                           host->cap[info->kvm_cap] ? " present, but the "
                           "feature is not in KVM_GET_SUPPORTED_HV_CPUID" :
                           " missing", info->prop);
        }
    }

    hv_check_dependencies(cfg, problems);

    if (cfg->enforce_cpuid && !host->cap[HV_KVM_CAP_HYPERV_ENFORCE_CPUID]) {
        hv_problem_add(problems, "hv-enforce-cpuid is not supported by "
                       "kernel (%s missing); remove hv-enforce-cpuid or "
                       "upgrade the host kernel",
                       hv_kvm_cap_names[HV_KVM_CAP_HYPERV_ENFORCE_CPUID]);
    }
    return problems->count == before;
}
