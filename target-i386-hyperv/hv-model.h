/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the accelerator-neutral Hyper-V feature model.
 *
 * One table describes every hv-* CPU property: the CPUID bits it sets,
 * the features it depends on, the MSRs and hypercalls it unlocks and which
 * backends (KVM's in-kernel Hyper-V, or QEMU's own TCG implementation)
 * provide it.  The CPUID builder, the dependency check, the TCG filter and
 * the KVM capability negotiation are all driven by that table, so "-cpu"
 * means the same thing whatever the accelerator.
 *
 * Everything declared here is pure C (no QEMU, GLib or KVM calls) so it is
 * unit-tested outside QEMU; the QEMU glue lives in hyperv-cpu.c,
 * hyperv-kvm.c and hyperv-tcg.c.
 */

#ifndef TARGET_I386_HYPERV_HV_MODEL_H
#define TARGET_I386_HYPERV_HV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hyperv-proto.h"

/*
 * Feature numbers.  These are the bit positions of X86CPU::hyperv_features
 * behind the "hv-*" properties, so they are ABI (machine types, migration)
 * and must never be renumbered.
 */
enum {
    HYPERV_FEAT_RELAXED = 0,
    HYPERV_FEAT_VAPIC = 1,
    HYPERV_FEAT_TIME = 2,
    HYPERV_FEAT_CRASH = 3,
    HYPERV_FEAT_RESET = 4,
    HYPERV_FEAT_VPINDEX = 5,
    HYPERV_FEAT_RUNTIME = 6,
    HYPERV_FEAT_SYNIC = 7,
    HYPERV_FEAT_STIMER = 8,
    HYPERV_FEAT_FREQUENCIES = 9,
    HYPERV_FEAT_REENLIGHTENMENT = 10,
    HYPERV_FEAT_TLBFLUSH = 11,
    HYPERV_FEAT_EVMCS = 12,
    HYPERV_FEAT_IPI = 13,
    HYPERV_FEAT_STIMER_DIRECT = 14,
    HYPERV_FEAT_AVIC = 15,
    HYPERV_FEAT_SYNDBG = 16,
    HYPERV_FEAT_MSR_BITMAP = 17,
    HYPERV_FEAT_XMM_INPUT = 18,
    HYPERV_FEAT_TLBFLUSH_EXT = 19,
    HYPERV_FEAT_TLBFLUSH_DIRECT = 20,
    /* Past upstream QEMU: qemu-hyperv's own */
    HYPERV_FEAT_INVTSC = 21,
    HYPERV_FEAT_GUEST_IDLE = 22,
    HYPERV_FEAT_EXT_HYPERCALLS = 23,
    HYPERV_FEAT_COUNT
};

#define HV_FEAT_BIT(feat)           (1ull << (feat))
#define HV_FEAT_ALL                 (HV_FEAT_BIT(HYPERV_FEAT_COUNT) - 1)

#ifndef HYPERV_SPINLOCK_NEVER_NOTIFY
#define HYPERV_SPINLOCK_NEVER_NOTIFY             0xFFFFFFFF
#endif

/* eVMCS version range [1..1] that hv-evmcs exposes in leaf 0x4000000A */
#define HV_DEFAULT_EVMCS_VERSION    ((1 << 8) | 1)

/* The backends that can implement an enlightenment. */
#define HV_BACKEND_KVM              (1u << 0)
#define HV_BACKEND_TCG              (1u << 1)
#define HV_BACKEND_ALL              (HV_BACKEND_KVM | HV_BACKEND_TCG)

typedef enum HvCpuidReg {
    HV_REG_EAX,
    HV_REG_EBX,
    HV_REG_ECX,
    HV_REG_EDX,
} HvCpuidReg;

typedef struct HvCpuidBits {
    uint32_t func;
    HvCpuidReg reg;
    uint32_t bits;
} HvCpuidBits;

typedef struct HvCpuidLeaf {
    uint32_t function;
    uint32_t eax, ebx, ecx, edx;
} HvCpuidLeaf;

/*
 * The KVM capabilities behind Hyper-V features, named so an error can tell
 * the user exactly what the host kernel lacks.  hyperv-kvm.c maps them to
 * the kernel's KVM_CAP_* numbers.
 */
typedef enum HvKvmCap {
    HV_KVM_CAP_HYPERV,
    HV_KVM_CAP_HYPERV_VAPIC,
    HV_KVM_CAP_HYPERV_TIME,
    HV_KVM_CAP_HYPERV_SYNIC,
    HV_KVM_CAP_HYPERV_SYNIC2,
    HV_KVM_CAP_HYPERV_VP_INDEX,
    HV_KVM_CAP_HYPERV_TLBFLUSH,
    HV_KVM_CAP_HYPERV_SEND_IPI,
    HV_KVM_CAP_HYPERV_ENLIGHTENED_VMCS,
    HV_KVM_CAP_HYPERV_CPUID,
    HV_KVM_CAP_HYPERV_DIRECT_TLBFLUSH,
    HV_KVM_CAP_SYS_HYPERV_CPUID,
    HV_KVM_CAP_HYPERV_ENFORCE_CPUID,
    HV_KVM_CAP_COUNT
} HvKvmCap;

extern const char *const hv_kvm_cap_names[HV_KVM_CAP_COUNT];

typedef struct HvFeatureInfo {
    const char *prop;           /* the -cpu property, e.g. "hv-time" */
    const char *desc;           /* used in error messages */
    HvCpuidBits flags[2];       /* CPUID bits the feature sets */
    uint64_t dependencies;      /* HV_FEAT_BIT()s that must also be on */
    bool skip_passthrough;      /* hv-passthrough does not turn it on */
    bool needs_vmx;             /* nested virtualization: KVM-only */
    unsigned backends;          /* HV_BACKEND_* that implement it */
    HvKvmCap kvm_cap;           /* how KVM announces it */
    bool kvm_cap_required;      /* KVM needs kvm_cap itself, not just bits */
    const uint32_t *msrs;       /* synthetic MSRs it unlocks, 0-ended */
    const uint16_t *hypercalls; /* hypercalls it unlocks, 0-ended */
} HvFeatureInfo;

extern const HvFeatureInfo hv_features[HYPERV_FEAT_COUNT];

/* MSRs and hypercalls every Hyper-V partition has (HV_HYPERCALL_AVAILABLE) */
extern const uint32_t hv_base_msrs[];

/* Index of the feature whose property is @prop ("hv-time"), or -1 */
int hv_feature_by_prop(const char *prop);

/*
 * Which backends implement the base of the interface: the hypercall page
 * MSR and the guest OS ID MSR (HV_HYPERCALL_AVAILABLE).
 */
extern const unsigned hv_base_backends;

/* Features that @backend (HV_BACKEND_*) implements */
uint64_t hv_backend_features(unsigned backend);

/* Features that hv-passthrough never turns on */
uint64_t hv_skip_passthrough_features(void);

/* Is @msr unlocked by @features (or by the base set when @base is true)? */
bool hv_msr_exposed(uint32_t msr, uint64_t features, bool base);

/*
 * Is hypercall @code unlocked by @features?  (HvNotifyLongSpinWait is not
 * tied to a feature but to the spinlock retry count: see hv-core.h.)
 */
bool hv_hypercall_exposed(uint16_t code, uint64_t features);

typedef enum HvNoNonarchCs {
    HV_NO_NONARCH_CS_OFF,
    HV_NO_NONARCH_CS_ON,
    HV_NO_NONARCH_CS_AUTO,
} HvNoNonarchCs;

/*
 * Everything that decides what the guest sees in leaves 0x40000000+.
 * Built from X86CPU's hv-* properties by the QEMU glue.
 */
typedef struct HvConfig {
    uint64_t features;          /* HV_FEAT_BIT()s */
    bool passthrough;           /* hv-passthrough */
    bool enforce_cpuid;         /* hv-enforce-cpuid */
    bool synic_kvm_only;        /* x-hv-synic-kvm-only (old machine types) */
    uint32_t spinlock_attempts; /* hv-spinlocks */
    uint32_t vendor_id[3];      /* hv-vendor-id, as CPUID registers */
    uint32_t interface_id[4];
    uint32_t ver_build;         /* hv-version-id-* */
    uint16_t ver_major;
    uint16_t ver_minor;
    uint32_t ver_sp;
    uint8_t ver_sb;
    uint32_t ver_sn;
    int32_t max_vps;            /* x-hv-max-vps */
    uint32_t limits[3];
    HvNoNonarchCs no_nonarch_cs;
    bool host_no_nonarch_cs;    /* the host's answer, for =auto */
    /* The backend implements the hypercall and guest OS ID MSRs */
    bool hypercall_available;
} HvConfig;

/* Fill @cfg with QEMU's defaults for every hv-* property */
void hv_config_init_defaults(HvConfig *cfg);

/* Set vendor_id[] from a string, as hv-vendor-id does; false if > 12 */
bool hv_config_set_vendor(HvConfig *cfg, const char *vendor);

/* Does the configuration turn the Hyper-V interface on at all? */
bool hv_config_enabled(const HvConfig *cfg);

/* The most leaves hv_cpuid_build() produces */
#define HV_CPUID_MAX_LEAVES         16

/*
 * Build the Hyper-V CPUID leaves for @cfg into @leaves (room for
 * HV_CPUID_MAX_LEAVES).  Returns the number of leaves.  Leaf 0x40000000
 * comes first and its EAX is the highest Hyper-V leaf present.
 */
int hv_cpuid_build(const HvConfig *cfg, HvCpuidLeaf *leaves);

/* The leaf for @function in @leaves, or NULL */
const HvCpuidLeaf *hv_cpuid_find(const HvCpuidLeaf *leaves, int n,
                                 uint32_t function);

/* Register @reg of @leaf */
uint32_t hv_cpuid_leaf_reg(const HvCpuidLeaf *leaf, HvCpuidReg reg);

/* Problems found while checking a configuration: one line each. */
#define HV_MAX_PROBLEMS             (HYPERV_FEAT_COUNT + 8)
#define HV_PROBLEM_LEN              256

typedef struct HvProblems {
    int count;
    char msg[HV_MAX_PROBLEMS][HV_PROBLEM_LEN];
} HvProblems;

void hv_problems_init(HvProblems *p);
void hv_problem_add(HvProblems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Check that every requested feature's dependencies are requested too.
 * The messages are QEMU's ("Hyper-V %s requires Hyper-V %s").
 * Returns true when there is no problem.
 */
bool hv_check_dependencies(const HvConfig *cfg, HvProblems *problems);

/*
 * Features of @requested that survive on a backend providing @supported:
 * unsupported features are dropped, and so are features whose
 * dependencies were dropped.  *@filtered gets the dropped ones.
 */
uint64_t hv_filter_features(uint64_t requested, uint64_t supported,
                            uint64_t *filtered);

/*
 * What the host's KVM offers: its capabilities and the Hyper-V CPUID
 * leaves it supports (KVM_GET_SUPPORTED_HV_CPUID, or QEMU's legacy
 * reconstruction from the MSR list on kernels without it).
 */
typedef struct HvKvmHost {
    bool cap[HV_KVM_CAP_COUNT];
    const HvCpuidLeaf *leaves;
    int n_leaves;
} HvKvmHost;

/* Register @reg of host leaf @func (0 when absent) */
uint32_t hv_kvm_host_cpuid(const HvKvmHost *host, uint32_t func,
                           HvCpuidReg reg);

/* Does the host support every CPUID bit of @feat? */
bool hv_kvm_feature_supported(const HvKvmHost *host, int feat);

/*
 * Negotiate @cfg with the host KVM: expand hv-passthrough from the host's
 * leaves, then check that every requested feature is supported by the
 * kernel and that dependencies hold.  Each problem becomes one line in
 * @problems naming the property and the missing kernel capability.
 * Returns true when the configuration can run.
 */
bool hv_kvm_negotiate(HvConfig *cfg, const HvKvmHost *host,
                      HvProblems *problems);

#endif
