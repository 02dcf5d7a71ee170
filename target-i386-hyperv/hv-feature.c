/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the hv-* feature table and the checks driven by it.
 *
 * The CPUID bits, dependencies and passthrough exclusions are those of
 * upstream QEMU 10.0 (target/i386/kvm/kvm.c), so existing command lines
 * and libvirt domain XML keep producing exactly the same guest CPUID.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv-model.h"

const char *const hv_kvm_cap_names[HV_KVM_CAP_COUNT] = {
    [HV_KVM_CAP_HYPERV] = "KVM_CAP_HYPERV",
    [HV_KVM_CAP_HYPERV_VAPIC] = "KVM_CAP_HYPERV_VAPIC",
    [HV_KVM_CAP_HYPERV_TIME] = "KVM_CAP_HYPERV_TIME",
    [HV_KVM_CAP_HYPERV_SYNIC] = "KVM_CAP_HYPERV_SYNIC",
    [HV_KVM_CAP_HYPERV_SYNIC2] = "KVM_CAP_HYPERV_SYNIC2",
    [HV_KVM_CAP_HYPERV_VP_INDEX] = "KVM_CAP_HYPERV_VP_INDEX",
    [HV_KVM_CAP_HYPERV_TLBFLUSH] = "KVM_CAP_HYPERV_TLBFLUSH",
    [HV_KVM_CAP_HYPERV_SEND_IPI] = "KVM_CAP_HYPERV_SEND_IPI",
    [HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS] = "KVM_CAP_HYPERV_ENLIGHTENED_VMCS",
    [HV_KVM_CAP_HYPERV_CPUID] = "KVM_CAP_HYPERV_CPUID",
    [HV_KVM_CAP_HYPERV_DIRECT_TLBFLUSH] = "KVM_CAP_HYPERV_DIRECT_TLBFLUSH",
    [HV_KVM_CAP_SYS_HYPERV_CPUID] = "KVM_CAP_SYS_HYPERV_CPUID",
    [HV_KVM_CAP_HYPERV_ENFORCE_CPUID] = "KVM_CAP_HYPERV_ENFORCE_CPUID",
};

const uint32_t hv_base_msrs[] = {
    HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL, 0
};

static const uint32_t vapic_msrs[] = {
    HV_X64_MSR_EOI, HV_X64_MSR_ICR, HV_X64_MSR_TPR,
    HV_X64_MSR_APIC_ASSIST_PAGE, 0
};
static const uint32_t time_msrs[] = {
    HV_X64_MSR_TIME_REF_COUNT, HV_X64_MSR_REFERENCE_TSC, 0
};
static const uint32_t crash_msrs[] = {
    HV_X64_MSR_CRASH_P0, HV_X64_MSR_CRASH_P1, HV_X64_MSR_CRASH_P2,
    HV_X64_MSR_CRASH_P3, HV_X64_MSR_CRASH_P4, HV_X64_MSR_CRASH_CTL, 0
};
static const uint32_t reset_msrs[] = { HV_X64_MSR_RESET, 0 };
static const uint32_t vpindex_msrs[] = { HV_X64_MSR_VP_INDEX, 0 };
static const uint32_t runtime_msrs[] = { HV_X64_MSR_VP_RUNTIME, 0 };
static const uint32_t synic_msrs[] = {
    HV_X64_MSR_SCONTROL, HV_X64_MSR_SVERSION, HV_X64_MSR_SIEFP,
    HV_X64_MSR_SIMP, HV_X64_MSR_EOM,
    HV_X64_MSR_SINT0, HV_X64_MSR_SINT1, HV_X64_MSR_SINT2, HV_X64_MSR_SINT3,
    HV_X64_MSR_SINT4, HV_X64_MSR_SINT5, HV_X64_MSR_SINT6, HV_X64_MSR_SINT7,
    HV_X64_MSR_SINT8, HV_X64_MSR_SINT9, HV_X64_MSR_SINT10,
    HV_X64_MSR_SINT11, HV_X64_MSR_SINT12, HV_X64_MSR_SINT13,
    HV_X64_MSR_SINT14, HV_X64_MSR_SINT15, 0
};
static const uint32_t stimer_msrs[] = {
    HV_X64_MSR_STIMER0_CONFIG, HV_X64_MSR_STIMER0_COUNT,
    HV_X64_MSR_STIMER1_CONFIG, HV_X64_MSR_STIMER1_COUNT,
    HV_X64_MSR_STIMER2_CONFIG, HV_X64_MSR_STIMER2_COUNT,
    HV_X64_MSR_STIMER3_CONFIG, HV_X64_MSR_STIMER3_COUNT, 0
};
static const uint32_t frequencies_msrs[] = {
    HV_X64_MSR_TSC_FREQUENCY, HV_X64_MSR_APIC_FREQUENCY, 0
};
static const uint32_t reenlightenment_msrs[] = {
    HV_X64_MSR_REENLIGHTENMENT_CONTROL, HV_X64_MSR_TSC_EMULATION_CONTROL,
    HV_X64_MSR_TSC_EMULATION_STATUS, 0
};
static const uint32_t invtsc_msrs[] = {
    HV_X64_MSR_TSC_INVARIANT_CONTROL, 0
};
static const uint32_t guest_idle_msrs[] = {
    HV_X64_MSR_GUEST_IDLE, 0
};
static const uint32_t syndbg_msrs[] = {
    HV_X64_MSR_SYNDBG_CONTROL, HV_X64_MSR_SYNDBG_STATUS,
    HV_X64_MSR_SYNDBG_SEND_BUFFER, HV_X64_MSR_SYNDBG_RECV_BUFFER,
    HV_X64_MSR_SYNDBG_PENDING_BUFFER, HV_X64_MSR_SYNDBG_OPTIONS, 0
};

static const uint16_t synic_hypercalls[] = {
    HV_POST_MESSAGE, HV_SIGNAL_EVENT, 0
};
static const uint16_t tlbflush_hypercalls[] = {
    HV_FLUSH_VIRTUAL_ADDRESS_SPACE, HV_FLUSH_VIRTUAL_ADDRESS_LIST,
    HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX, 0
};
static const uint16_t ipi_hypercalls[] = {
    HV_SEND_SYNTHETIC_CLUSTER_IPI, HV_SEND_SYNTHETIC_CLUSTER_IPI_EX, 0
};
static const uint16_t ext_hypercalls[] = {
    HV_EXT_CALL_QUERY_CAPABILITIES, HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY,
    HV_EXT_CALL_MEMORY_HEAT_HINT, 0
};
static const uint16_t syndbg_hypercalls[] = {
    HV_POST_DEBUG_DATA, HV_RETRIEVE_DEBUG_DATA, HV_RESET_DEBUG_SESSION, 0
};

#define FEAT(n)     HV_FEAT_BIT(HYPERV_FEAT_##n)

/*
 * The table.  "backends" says who implements the feature today; the TCG
 * column grows as the userspace implementation lands.  Hints that only
 * change what the guest is told (relaxed timing, AutoEOI deprecation) need
 * no hypervisor support and work everywhere.
 */
const HvFeatureInfo hv_features[HYPERV_FEAT_COUNT] = {
    [HYPERV_FEAT_RELAXED] = {
        .prop = "hv-relaxed",
        .desc = "relaxed timing (hv-relaxed)",
        .flags = {
            { HV_CPUID_ENLIGHTMENT_INFO, HV_REG_EAX,
              HV_RELAXED_TIMING_RECOMMENDED }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
    },
    [HYPERV_FEAT_VAPIC] = {
        .prop = "hv-vapic",
        .desc = "virtual APIC (hv-vapic)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_APIC_ACCESS_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_VAPIC,
        .msrs = vapic_msrs,
    },
    [HYPERV_FEAT_TIME] = {
        .prop = "hv-time",
        .desc = "clocksources (hv-time)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX,
              HV_TIME_REF_COUNT_AVAILABLE | HV_REFERENCE_TSC_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_TIME,
        .msrs = time_msrs,
    },
    [HYPERV_FEAT_CRASH] = {
        .prop = "hv-crash",
        .desc = "crash MSRs (hv-crash)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EDX, HV_GUEST_CRASH_MSR_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = crash_msrs,
    },
    [HYPERV_FEAT_RESET] = {
        .prop = "hv-reset",
        .desc = "reset MSR (hv-reset)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_RESET_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = reset_msrs,
    },
    [HYPERV_FEAT_VPINDEX] = {
        .prop = "hv-vpindex",
        .desc = "VP_INDEX MSR (hv-vpindex)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_VP_INDEX_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_VP_INDEX,
        .kvm_cap_required = true,
        .msrs = vpindex_msrs,
    },
    [HYPERV_FEAT_RUNTIME] = {
        .prop = "hv-runtime",
        .desc = "VP_RUNTIME MSR (hv-runtime)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_VP_RUNTIME_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = runtime_msrs,
    },
    [HYPERV_FEAT_SYNIC] = {
        .prop = "hv-synic",
        .desc = "synthetic interrupt controller (hv-synic)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_SYNIC_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_SYNIC2,
        .msrs = synic_msrs,
        .hypercalls = synic_hypercalls,
    },
    [HYPERV_FEAT_STIMER] = {
        .prop = "hv-stimer",
        .desc = "synthetic timers (hv-stimer)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_SYNTIMERS_AVAILABLE }
        },
        .dependencies = FEAT(SYNIC) | FEAT(TIME),
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_SYNIC2,
        .msrs = stimer_msrs,
    },
    [HYPERV_FEAT_FREQUENCIES] = {
        .prop = "hv-frequencies",
        .desc = "frequency MSRs (hv-frequencies)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_ACCESS_FREQUENCY_MSRS },
            { HV_CPUID_FEATURES, HV_REG_EDX, HV_FREQUENCY_MSRS_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = frequencies_msrs,
    },
    [HYPERV_FEAT_REENLIGHTENMENT] = {
        .prop = "hv-reenlightenment",
        .desc = "reenlightenment MSRs (hv-reenlightenment)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX,
              HV_ACCESS_REENLIGHTENMENTS_CONTROL }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = reenlightenment_msrs,
    },
    [HYPERV_FEAT_TLBFLUSH] = {
        .prop = "hv-tlbflush",
        .desc = "paravirtualized TLB flush (hv-tlbflush)",
        .flags = {
            { HV_CPUID_ENLIGHTMENT_INFO, HV_REG_EAX,
              HV_REMOTE_TLB_FLUSH_RECOMMENDED |
              HV_EX_PROCESSOR_MASKS_RECOMMENDED }
        },
        .dependencies = FEAT(VPINDEX),
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_TLBFLUSH,
        .hypercalls = tlbflush_hypercalls,
    },
    [HYPERV_FEAT_EVMCS] = {
        .prop = "hv-evmcs",
        .desc = "enlightened VMCS (hv-evmcs)",
        .flags = {
            { HV_CPUID_ENLIGHTMENT_INFO, HV_REG_EAX,
              HV_ENLIGHTENED_VMCS_RECOMMENDED }
        },
        .dependencies = FEAT(VAPIC),
        .needs_vmx = true,
        .backends = HV_BACKEND_KVM,
        .kvm_cap = HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS,
        .kvm_cap_required = true,
    },
    [HYPERV_FEAT_IPI] = {
        .prop = "hv-ipi",
        .desc = "paravirtualized IPI (hv-ipi)",
        .flags = {
            { HV_CPUID_ENLIGHTMENT_INFO, HV_REG_EAX,
              HV_CLUSTER_IPI_RECOMMENDED |
              HV_EX_PROCESSOR_MASKS_RECOMMENDED }
        },
        .dependencies = FEAT(VPINDEX),
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_SEND_IPI,
        .hypercalls = ipi_hypercalls,
    },
    [HYPERV_FEAT_STIMER_DIRECT] = {
        .prop = "hv-stimer-direct",
        .desc = "direct mode synthetic timers (hv-stimer-direct)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EDX,
              HV_STIMER_DIRECT_MODE_AVAILABLE }
        },
        .dependencies = FEAT(STIMER),
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
    },
    [HYPERV_FEAT_AVIC] = {
        .prop = "hv-avic",
        .desc = "AVIC/APICv support (hv-avic/hv-apicv)",
        .flags = {
            { HV_CPUID_ENLIGHTMENT_INFO, HV_REG_EAX,
              HV_DEPRECATING_AEOI_RECOMMENDED }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
    },
    [HYPERV_FEAT_SYNDBG] = {
        .prop = "hv-syndbg",
        .desc = "Enable synthetic kernel debugger channel (hv-syndbg)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EDX,
              HV_FEATURE_DEBUG_MSRS_AVAILABLE }
        },
        .dependencies = FEAT(SYNIC) | FEAT(RELAXED),
        .skip_passthrough = true,
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = syndbg_msrs,
        .hypercalls = syndbg_hypercalls,
    },
    [HYPERV_FEAT_MSR_BITMAP] = {
        .prop = "hv-emsr-bitmap",
        .desc = "enlightened MSR-Bitmap (hv-emsr-bitmap)",
        .flags = {
            { HV_CPUID_NESTED_FEATURES, HV_REG_EAX, HV_NESTED_MSR_BITMAP }
        },
        .needs_vmx = true,
        .backends = HV_BACKEND_KVM,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
    },
    [HYPERV_FEAT_XMM_INPUT] = {
        .prop = "hv-xmm-input",
        .desc = "XMM fast hypercall input (hv-xmm-input)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EDX,
              HV_HYPERCALL_XMM_INPUT_AVAILABLE }
        },
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
    },
    [HYPERV_FEAT_TLBFLUSH_EXT] = {
        .prop = "hv-tlbflush-ext",
        .desc = "Extended gva ranges for TLB flush hypercalls "
                "(hv-tlbflush-ext)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EDX,
              HV_EXT_GVA_RANGES_FLUSH_AVAILABLE }
        },
        .dependencies = FEAT(TLBFLUSH),
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
    },
    [HYPERV_FEAT_TLBFLUSH_DIRECT] = {
        .prop = "hv-tlbflush-direct",
        .desc = "direct TLB flush (hv-tlbflush-direct)",
        .flags = {
            { HV_CPUID_NESTED_FEATURES, HV_REG_EAX, HV_NESTED_DIRECT_FLUSH }
        },
        .dependencies = FEAT(VAPIC),
        .needs_vmx = true,
        .backends = HV_BACKEND_KVM,
        .kvm_cap = HV_KVM_CAP_HYPERV_DIRECT_TLBFLUSH,
    },
    /*
     * Invariant TSC control.  KVM offers it since Linux 6.3 (the bit in
     * KVM_GET_SUPPORTED_HV_CPUID); older kernels get the usual error.  It
     * changes what a guest with an invariant TSC bit sees (hidden until
     * the guest enables the control), so hv-passthrough leaves it alone
     * and the user asks for it.
     */
    [HYPERV_FEAT_INVTSC] = {
        .prop = "hv-invtsc",
        .desc = "invariant TSC control (hv-invtsc)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_ACCESS_TSC_INVARIANT }
        },
        .skip_passthrough = true,
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = invtsc_msrs,
    },
    /*
     * Guest idle MSR.  KVM does not implement it (the MSR #GPs there and
     * KVM_GET_SUPPORTED_HV_CPUID never reports the bit), so it is TCG
     * only and refused under KVM.  With it and hv-ipi, Linux switches to
     * its Hyper-V paravirtual qspinlock, which changes how every lock of
     * the guest waits: hv-passthrough does not turn it on behind the
     * user's back.
     */
    [HYPERV_FEAT_GUEST_IDLE] = {
        .prop = "hv-guest-idle",
        .desc = "guest idle MSR (hv-guest-idle)",
        /*
         * The privilege to access the MSR (AccessGuestIdleReg), which
         * Linux checks, and "guest idle state available"
         */
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EAX, HV_GUEST_IDLE_REG_AVAILABLE },
            { HV_CPUID_FEATURES, HV_REG_EDX, HV_GUEST_IDLE_STATE_AVAILABLE }
        },
        .skip_passthrough = true,
        .backends = HV_BACKEND_TCG,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .msrs = guest_idle_msrs,
    },
    /*
     * Extended hypercalls (HvExtCallQueryCapabilities, ...GetBootZeroed-
     * Memory, ...MemoryHeatHint): QEMU implements them for both backends
     * (hv-ext-hypercall.c); KVM hands them to QEMU once the guest has the
     * privilege (Linux 6.2 and later, which report the bit in
     * KVM_GET_SUPPORTED_HV_CPUID).  Stock QEMU never sets the bit, so
     * hv-passthrough leaves it off.
     */
    [HYPERV_FEAT_EXT_HYPERCALLS] = {
        .prop = "hv-ext-hypercalls",
        .desc = "extended hypercalls (hv-ext-hypercalls)",
        .flags = {
            { HV_CPUID_FEATURES, HV_REG_EBX, HV_ENABLE_EXTENDED_HYPERCALLS }
        },
        .skip_passthrough = true,
        .backends = HV_BACKEND_ALL,
        .kvm_cap = HV_KVM_CAP_HYPERV_CPUID,
        .hypercalls = ext_hypercalls,
    },
};

const unsigned hv_base_backends = HV_BACKEND_ALL;

uint64_t hv_skip_passthrough_features(void)
{
    uint64_t mask = 0;
    int feat;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (hv_features[feat].skip_passthrough) {
            mask |= HV_FEAT_BIT(feat);
        }
    }
    return mask;
}

int hv_feature_by_prop(const char *prop)
{
    int feat;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (!strcmp(hv_features[feat].prop, prop)) {
            return feat;
        }
    }
    return -1;
}

uint64_t hv_backend_features(unsigned backend)
{
    uint64_t mask = 0;
    int feat;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (hv_features[feat].backends & backend) {
            mask |= HV_FEAT_BIT(feat);
        }
    }
    return mask;
}

static bool msr_in_list(const uint32_t *list, uint32_t msr)
{
    for (; list && *list; list++) {
        if (*list == msr) {
            return true;
        }
    }
    return false;
}

bool hv_msr_exposed(uint32_t msr, uint64_t features, bool base)
{
    int feat;

    if (base && msr_in_list(hv_base_msrs, msr)) {
        return true;
    }
    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if ((features & HV_FEAT_BIT(feat)) &&
            msr_in_list(hv_features[feat].msrs, msr)) {
            return true;
        }
    }
    return false;
}

bool hv_hypercall_exposed(uint16_t code, uint64_t features)
{
    const uint16_t *list;
    int feat;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (!(features & HV_FEAT_BIT(feat))) {
            continue;
        }
        for (list = hv_features[feat].hypercalls; list && *list; list++) {
            if (*list == code) {
                return true;
            }
        }
    }
    return false;
}

void hv_config_init_defaults(HvConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->spinlock_attempts = HYPERV_SPINLOCK_NEVER_NOTIFY;
    hv_config_set_vendor(cfg, "Microsoft Hv");
    /* 'Hv#1' interface identification */
    cfg->interface_id[0] = HV_INTERFACE_SIGNATURE;
    /* Build 14393 (Windows Server 2016) 10.0, as QEMU and KVM report */
    cfg->ver_build = 0x3839;
    cfg->ver_major = 0x000A;
    cfg->ver_minor = 0x0000;
    cfg->max_vps = -1;
    cfg->limits[0] = 64;
    cfg->no_nonarch_cs = HV_NO_NONARCH_CS_OFF;
}

bool hv_config_set_vendor(HvConfig *cfg, const char *vendor)
{
    size_t len = strlen(vendor);
    bool fits = len <= 12;
    uint8_t bytes[12] = { 0 };
    int i;

    memcpy(bytes, vendor, fits ? len : 12);
    for (i = 0; i < 3; i++) {
        /* CPUID registers hold the string little-endian */
        cfg->vendor_id[i] = bytes[4 * i] | bytes[4 * i + 1] << 8 |
                            bytes[4 * i + 2] << 16 |
                            (uint32_t)bytes[4 * i + 3] << 24;
    }
    return fits;
}

bool hv_config_enabled(const HvConfig *cfg)
{
    return cfg->spinlock_attempts != HYPERV_SPINLOCK_NEVER_NOTIFY ||
           cfg->features || cfg->passthrough;
}

void hv_problems_init(HvProblems *p)
{
    p->count = 0;
}

void hv_problem_add(HvProblems *p, const char *fmt, ...)
{
    va_list ap;

    if (p->count >= HV_MAX_PROBLEMS) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(p->msg[p->count++], HV_PROBLEM_LEN, fmt, ap);
    va_end(ap);
}

bool hv_check_dependencies(const HvConfig *cfg, HvProblems *problems)
{
    int before = problems->count;
    int feat, dep;

    for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
        if (!(cfg->features & HV_FEAT_BIT(feat))) {
            continue;
        }
        for (dep = 0; dep < HYPERV_FEAT_COUNT; dep++) {
            if ((hv_features[feat].dependencies & HV_FEAT_BIT(dep)) &&
                !(cfg->features & HV_FEAT_BIT(dep))) {
                hv_problem_add(problems, "Hyper-V %s requires Hyper-V %s",
                               hv_features[feat].desc, hv_features[dep].desc);
            }
        }
    }

    /*
     * QEMU's SynIC (message and event connections, VMBus) looks vCPUs up
     * by VP index; only the legacy in-KVM-only SynIC works without it.
     */
    if ((cfg->features & HV_FEAT_BIT(HYPERV_FEAT_SYNIC)) &&
        !cfg->synic_kvm_only &&
        !(cfg->features & HV_FEAT_BIT(HYPERV_FEAT_VPINDEX))) {
        hv_problem_add(problems, "Hyper-V %s requires Hyper-V %s",
                       hv_features[HYPERV_FEAT_SYNIC].desc,
                       hv_features[HYPERV_FEAT_VPINDEX].desc);
    }
    return problems->count == before;
}

uint64_t hv_filter_features(uint64_t requested, uint64_t supported,
                            uint64_t *filtered)
{
    uint64_t keep = requested & supported;
    bool changed;
    int feat;

    /* Dropping one feature can orphan another: iterate to a fixpoint. */
    do {
        changed = false;
        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            uint64_t deps = hv_features[feat].dependencies & requested;

            if ((keep & HV_FEAT_BIT(feat)) && (keep & deps) != deps) {
                keep &= ~HV_FEAT_BIT(feat);
                changed = true;
            }
        }
    } while (changed);

    if (filtered) {
        *filtered = requested & ~keep;
    }
    return keep;
}
