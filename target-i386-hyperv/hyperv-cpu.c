/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: glue between X86CPU's hv-* properties and the Hyper-V model.
 *
 * With KVM, the kernel implements the enlightenments and hyperv-kvm.c
 * negotiates them.  With TCG QEMU itself is the hypervisor: the guest gets
 * exactly the features QEMU's own backend implements.  Other accelerators
 * (HVF, WHPX, NVMM, qtest) have neither backend, so the guest gets no
 * Hyper-V interface at all.  Everything the guest cannot get is filtered
 * out with a warning (an error with "enforce"), like any other CPU feature
 * the accelerator lacks.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "system/kvm.h"
#include "system/tcg.h"
#include "cpu.h"
#include "kvm/kvm_i386.h"
#include "hyperv-cpu.h"
#include "hyperv-tcg.h"

void hyperv_cpu_get_config(X86CPU *cpu, HvConfig *cfg)
{
    hv_config_init_defaults(cfg);
    cfg->features = cpu->hyperv_features;
    cfg->passthrough = cpu->hyperv_passthrough;
    cfg->enforce_cpuid = cpu->hyperv_enforce_cpuid;
    cfg->synic_kvm_only = cpu->hyperv_synic_kvm_only;
    cfg->spinlock_attempts = cpu->hyperv_spinlock_attempts;
    memcpy(cfg->vendor_id, cpu->hyperv_vendor_id, sizeof(cfg->vendor_id));
    memcpy(cfg->interface_id, cpu->hyperv_interface_id,
           sizeof(cfg->interface_id));
    cfg->ver_build = cpu->hyperv_ver_id_build;
    cfg->ver_major = cpu->hyperv_ver_id_major;
    cfg->ver_minor = cpu->hyperv_ver_id_minor;
    cfg->ver_sp = cpu->hyperv_ver_id_sp;
    cfg->ver_sb = cpu->hyperv_ver_id_sb;
    cfg->ver_sn = cpu->hyperv_ver_id_sn;
    cfg->max_vps = cpu->hv_max_vps;
    memcpy(cfg->limits, cpu->hyperv_limits, sizeof(cfg->limits));
    switch (cpu->hyperv_no_nonarch_cs) {
    case ON_OFF_AUTO_ON:
        cfg->no_nonarch_cs = HV_NO_NONARCH_CS_ON;
        break;
    case ON_OFF_AUTO_AUTO:
        cfg->no_nonarch_cs = HV_NO_NONARCH_CS_AUTO;
        break;
    default:
        cfg->no_nonarch_cs = HV_NO_NONARCH_CS_OFF;
        break;
    }
}

bool hyperv_cpu_requested(X86CPU *cpu)
{
    HvConfig cfg;

    hyperv_cpu_get_config(cpu, &cfg);
    return hv_config_enabled(&cfg);
}

void hyperv_set_problems_error(const HvProblems *problems, Error **errp)
{
    int i;

    error_setg(errp, "%s", problems->msg[0]);
    for (i = 1; i < problems->count; i++) {
        error_append_hint(errp, "%s\n", problems->msg[i]);
    }
}

/* The accelerator that runs this CPU, as QEMU names it in warnings */
static const char *accel_display_name(void)
{
    return tcg_enabled() ? "TCG" : current_accel_name();
}

/*
 * What QEMU's own backend implements under the current accelerator (not
 * KVM).  Its MSRs and hypercalls are TCG helpers, so there is nothing
 * behind the CPUID leaves under any other accelerator.
 */
static uint64_t accel_backend_features(void)
{
    return tcg_enabled() ? hv_backend_features(HV_BACKEND_TCG) : 0;
}

/*
 * Every vCPU filters its own copy of the one -cpu the user gave: warn once
 * per property, not once per vCPU.
 */
static void warn_unsupported_once(const char *prop, bool *warned)
{
    if (!*warned) {
        *warned = true;
        warn_report("%s doesn't support requested feature: %s",
                    accel_display_name(), prop);
    }
}

bool hyperv_expand_features(X86CPU *cpu, Error **errp)
{
    HvProblems problems;
    HvConfig cfg;

    if (kvm_enabled()) {
        return kvm_hyperv_expand_features(cpu, errp);
    }

    hyperv_cpu_get_config(cpu, &cfg);
    if (!hv_config_enabled(&cfg)) {
        return true;
    }

    /* hv-passthrough: everything QEMU's own backend implements here */
    if (cpu->hyperv_passthrough) {
        cpu->hyperv_features |= accel_backend_features() &
                                ~hv_skip_passthrough_features();
        cfg.features = cpu->hyperv_features;
    }

    hv_problems_init(&problems);
    if (!hv_check_dependencies(&cfg, &problems)) {
        hyperv_set_problems_error(&problems, errp);
        return false;
    }
    return true;
}

bool hyperv_filter_features(X86CPU *cpu, bool verbose)
{
    static bool warned[HYPERV_FEAT_COUNT];
    static bool warned_spinlocks, warned_passthrough;
    uint64_t dropped;
    bool filtered;
    int feat;

    if (kvm_enabled()) {
        /* KVM refuses unsupported features in hyperv_expand_features() */
        return false;
    }

    cpu->hyperv_features = hv_filter_features(cpu->hyperv_features,
                                              accel_backend_features(),
                                              &dropped);
    cpu->hyperv_filtered_features |= dropped;
    filtered = dropped != 0;
    if (verbose) {
        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            if (dropped & HV_FEAT_BIT(feat)) {
                warn_unsupported_once(hv_features[feat].prop, &warned[feat]);
            }
        }
    }
    if (tcg_enabled()) {
        return filtered;
    }

    /*
     * No backend: either of these alone would still turn the Hyper-V
     * leaves on (hv_config_enabled()), i.e. show the guest a hypervisor
     * with nothing behind it.
     */
    if (cpu->hyperv_spinlock_attempts != HYPERV_SPINLOCK_NEVER_NOTIFY) {
        cpu->hyperv_spinlock_attempts = HYPERV_SPINLOCK_NEVER_NOTIFY;
        if (verbose) {
            warn_unsupported_once("hv-spinlocks", &warned_spinlocks);
        }
        filtered = true;
    }
    if (cpu->hyperv_passthrough) {
        cpu->hyperv_passthrough = false;
        if (verbose) {
            warn_unsupported_once("hv-passthrough", &warned_passthrough);
        }
        filtered = true;
    }
    return filtered;
}

/*
 * CPUID 0x80000007 with hv-invtsc: the invariant TSC bit (EDX[8]) is
 * hidden until the guest enables it through
 * HV_X64_MSR_TSC_INVARIANT_CONTROL, then shown, as KVM does -- and under
 * TCG shown even though TCG filters "invtsc" otherwise: the guest TSC is
 * the host's, scaled, or QEMU's virtual clock, invariant either way.
 * Without hv-invtsc the CPU model's leaf stands.
 */
static bool hyperv_cpuid_invtsc(X86CPU *cpu, uint32_t *eax, uint32_t *ebx,
                                uint32_t *ecx, uint32_t *edx)
{
    /*
     * CPUID runs without the BQL: features never change and the control
     * only goes from 0 to 1 (or back at a reset), so a racy read sees
     * the value before or after a guest's WRMSR, as on hardware.
     */
    const HvPartition *part = hyperv_tcg_partition();
    CPUX86State *env = &cpu->env;
    int invtsc = part ? hv_invtsc_cpuid_bit(part) : -1;

    if (invtsc < 0) {
        return false;
    }
    *eax = 0;
    *ebx = env->features[FEAT_8000_0007_EBX];
    *ecx = 0;
    *edx = (env->features[FEAT_8000_0007_EDX] & ~CPUID_APM_INVTSC) |
           (invtsc ? CPUID_APM_INVTSC : 0);
    return true;
}

bool hyperv_cpuid(X86CPU *cpu, uint32_t index, uint32_t *eax, uint32_t *ebx,
                  uint32_t *ecx, uint32_t *edx)
{
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    const HvCpuidLeaf *leaf;
    HvConfig cfg;
    int n;

    if (index == 0x80000007) {
        return hyperv_cpuid_invtsc(cpu, eax, ebx, ecx, edx);
    }
    if (index < HV_CPUID_VENDOR_AND_MAX_FUNCTIONS ||
        index > HV_CPUID_VENDOR_AND_MAX_FUNCTIONS + 0x1ff) {
        return false;
    }
    hyperv_cpu_get_config(cpu, &cfg);
    if (!hv_config_enabled(&cfg)) {
        return false;
    }

    /*
     * Hyper-V owns 0x40000000; QEMU's own "TCGTCGTCGTCG" signature moves
     * up to 0x40000100, where KVM puts its signature next to Hyper-V.
     */
    if (index == 0x40000100 || index == 0x40000101) {
        *eax = *ebx = *ecx = *edx = 0;
        if (index == 0x40000100 && cpu->expose_tcg) {
            uint32_t signature[3];

            memcpy(signature, "TCGTCGTCGTCG", 12);
            *eax = 0x40000101;
            *ebx = signature[0];
            *ecx = signature[1];
            *edx = signature[2];
        }
        return true;
    }

    cfg.hypercall_available = hv_base_backends & HV_BACKEND_TCG;
    n = hv_cpuid_build(&cfg, leaves);
    if (index > leaves[0].eax) {
        return false;
    }
    leaf = hv_cpuid_find(leaves, n, index);
    if (leaf) {
        *eax = leaf->eax;
        *ebx = leaf->ebx;
        *ecx = leaf->ecx;
        *edx = leaf->edx;
    } else {
        *eax = *ebx = *ecx = *edx = 0;
    }
    return true;
}
