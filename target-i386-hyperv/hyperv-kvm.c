/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the KVM backend's CPUID side.
 *
 * KVM implements the enlightenments in the kernel; QEMU's part is to check
 * that the host kernel provides what the user asked for and to give the
 * guest the Hyper-V CPUID leaves through KVM_SET_CPUID2.  The checking is
 * pure logic (hv-kvm-negotiate.c); this file only gathers the host's
 * capabilities and converts between KVM's structures and the model's.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "system/kvm.h"
#include "cpu.h"
#include "kvm/kvm_i386.h"
#include "hyperv-cpu.h"

/* The kernel's number for each capability the model names */
static const unsigned int kvm_cap_numbers[HV_KVM_CAP_COUNT] = {
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

static void kvm_hyperv_host_caps(HvKvmHost *host)
{
    int i;

    for (i = 0; i < HV_KVM_CAP_COUNT; i++) {
        host->cap[i] = kvm_check_extension(kvm_state, kvm_cap_numbers[i]) > 0;
    }
}

/* Copy the kernel's supported Hyper-V leaves into the model's form */
static HvCpuidLeaf *kvm_hyperv_host_leaves(CPUState *cs, int *n)
{
    struct kvm_cpuid2 *cpuid = kvm_hyperv_get_host_cpuid(cs);
    HvCpuidLeaf *leaves;
    int i;

    *n = cpuid ? cpuid->nent : 0;
    leaves = g_new0(HvCpuidLeaf, *n + 1);
    for (i = 0; i < *n; i++) {
        leaves[i].function = cpuid->entries[i].function;
        leaves[i].eax = cpuid->entries[i].eax;
        leaves[i].ebx = cpuid->entries[i].ebx;
        leaves[i].ecx = cpuid->entries[i].ecx;
        leaves[i].edx = cpuid->entries[i].edx;
    }
    return leaves;
}

/* hv-passthrough: make the properties show what the host gave us */
static void kvm_hyperv_store_passthrough(X86CPU *cpu, const HvConfig *cfg)
{
    cpu->hyperv_features = cfg->features;
    memcpy(cpu->hyperv_vendor_id, cfg->vendor_id,
           sizeof(cpu->hyperv_vendor_id));
    cpu->hyperv_vendor = g_realloc(cpu->hyperv_vendor,
                                   sizeof(cpu->hyperv_vendor_id) + 1);
    memcpy(cpu->hyperv_vendor, cpu->hyperv_vendor_id,
           sizeof(cpu->hyperv_vendor_id));
    cpu->hyperv_vendor[sizeof(cpu->hyperv_vendor_id)] = 0;
    memcpy(cpu->hyperv_interface_id, cfg->interface_id,
           sizeof(cpu->hyperv_interface_id));
    cpu->hyperv_ver_id_build = cfg->ver_build;
    cpu->hyperv_ver_id_major = cfg->ver_major;
    cpu->hyperv_ver_id_minor = cfg->ver_minor;
    cpu->hyperv_ver_id_sp = cfg->ver_sp;
    cpu->hyperv_ver_id_sb = cfg->ver_sb;
    cpu->hyperv_ver_id_sn = cfg->ver_sn;
    cpu->hv_max_vps = cfg->max_vps;
    memcpy(cpu->hyperv_limits, cfg->limits, sizeof(cpu->hyperv_limits));
    cpu->hyperv_spinlock_attempts = cfg->spinlock_attempts;
}

/*
 * Expand Hyper-V CPU features: check that all the requested features are
 * supported by the host and that the configuration is sane (all the
 * required dependencies are included); take care of hv-passthrough.
 */
bool kvm_hyperv_expand_features(X86CPU *cpu, Error **errp)
{
    CPUState *cs = CPU(cpu);
    g_autofree HvCpuidLeaf *leaves = NULL;
    HvProblems problems;
    HvKvmHost host = { 0 };
    HvConfig cfg;

    if (!hyperv_cpu_requested(cpu)) {
        return true;
    }

    kvm_hyperv_host_caps(&host);
    if (host.cap[HV_KVM_CAP_HYPERV]) {
        /*
         * At CPU feature expansion time there is no vCPU yet, so without
         * KVM_CAP_SYS_HYPERV_CPUID the check waits for kvm_arch_init_vcpu.
         */
        if (!cs->kvm_state && !host.cap[HV_KVM_CAP_SYS_HYPERV_CPUID]) {
            return true;
        }
        leaves = kvm_hyperv_host_leaves(cs, &host.n_leaves);
        host.leaves = leaves;
    }

    hyperv_cpu_get_config(cpu, &cfg);
    hv_problems_init(&problems);
    if (!hv_kvm_negotiate(&cfg, &host, &problems)) {
        hyperv_set_problems_error(&problems, errp);
        return false;
    }
    if (cfg.passthrough) {
        kvm_hyperv_store_passthrough(cpu, &cfg);
    }
    return true;
}

int kvm_hyperv_fill_cpuids(CPUState *cs, struct kvm_cpuid_entry2 *entries)
{
    X86CPU *cpu = X86_CPU(cs);
    HvCpuidLeaf leaves[HV_CPUID_MAX_LEAVES];
    HvConfig cfg;
    int i, n;

    hyperv_cpu_get_config(cpu, &cfg);
    cfg.hypercall_available = hv_base_backends & HV_BACKEND_KVM;
    if (cfg.no_nonarch_cs == HV_NO_NONARCH_CS_AUTO) {
        int n_host;
        g_autofree HvCpuidLeaf *host_leaves =
            kvm_hyperv_host_leaves(cs, &n_host);
        const HvCpuidLeaf *info = hv_cpuid_find(host_leaves, n_host,
                                                HV_CPUID_ENLIGHTMENT_INFO);

        cfg.host_no_nonarch_cs = info &&
                                 (info->eax & HV_NO_NONARCH_CORESHARING);
    }

    n = hv_cpuid_build(&cfg, leaves);
    for (i = 0; i < n; i++) {
        memset(&entries[i], 0, sizeof(entries[i]));
        entries[i].function = leaves[i].function;
        entries[i].eax = leaves[i].eax;
        entries[i].ebx = leaves[i].ebx;
        entries[i].ecx = leaves[i].ecx;
        entries[i].edx = leaves[i].edx;
    }
    return n;
}
