/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the TCG backend — QEMU itself implements the Hyper-V
 * interface (hv-core.h) for guests running under TCG.
 */

#ifndef TARGET_I386_HYPERV_HYPERV_TCG_H
#define TARGET_I386_HYPERV_HYPERV_TCG_H

#include "hv-core.h"

typedef struct ArchCPU X86CPU;
typedef struct CPUArchState CPUX86State;
typedef struct VMStateDescription VMStateDescription;

/* Set up @cpu's VP (and the partition, for the first vCPU) at realize */
void hyperv_tcg_vcpu_realize(X86CPU *cpu);
/* ...and tear it down when @cpu is unplugged, with the BQL held */
void hyperv_tcg_vcpu_unrealize(X86CPU *cpu);

/* cpu_exec() enters / leaves guest code on @cpu (VP runtime accounting) */
void hyperv_tcg_exec_enter(X86CPU *cpu);
void hyperv_tcg_exec_exit(X86CPU *cpu);

/*
 * Local APIC hooks for the SynIC: does accepting @vector on @cs skip the
 * in-service state (a SINT with AutoEOI)?  @vector was EOIed on @cs.
 * Both are called with the BQL held.
 */
typedef struct CPUState CPUState;
bool hyperv_tcg_apic_auto_eoi(CPUState *cs, int vector);
void hyperv_tcg_apic_eoi(CPUState *cs, int vector);

/*
 * The partition the TCG backend serves, NULL when it serves none (not
 * TCG, or no hv-* property).  For introspection (hyperv-info.c), with
 * the BQL held.
 */
const HvPartition *hyperv_tcg_partition(void);

/* "delivered", "slot busy", ...: for traces and the monitor */
const char *hyperv_synic_status_name(HvSynicStatus status);

/* Does the TCG backend serve Hyper-V to @cpu's guest? */
bool hyperv_tcg_active(X86CPU *cpu);

/* The synthetic MSRs all live in 0x40000000-0x400001FF */
static inline bool hyperv_tcg_msr_in_range(uint32_t msr)
{
    return (msr & ~0x1ffu) == 0x40000000;
}

HvMsrResult hyperv_tcg_rdmsr_synthetic(CPUX86State *env, uint32_t msr,
                                       uint64_t *val);
HvMsrResult hyperv_tcg_wrmsr_synthetic(CPUX86State *env, uint32_t msr,
                                       uint64_t val);

/*
 * RDMSR / WRMSR of @msr.  HV_MSR_NOT_HYPERV leaves the access to QEMU's
 * ordinary MSR emulation; HV_MSR_GP means the guest gets #GP(0).  Every
 * RDMSR and WRMSR of every guest comes here: the range check is inline.
 */
static inline HvMsrResult hyperv_tcg_rdmsr(CPUX86State *env, uint32_t msr,
                                           uint64_t *val)
{
    if (likely(!hyperv_tcg_msr_in_range(msr))) {
        return HV_MSR_NOT_HYPERV;
    }
    return hyperv_tcg_rdmsr_synthetic(env, msr, val);
}

static inline HvMsrResult hyperv_tcg_wrmsr(CPUX86State *env, uint32_t msr,
                                           uint64_t val)
{
    if (likely(!hyperv_tcg_msr_in_range(msr))) {
        return HV_MSR_NOT_HYPERV;
    }
    return hyperv_tcg_wrmsr_synthetic(env, msr, val);
}

/* VMCALL / VMMCALL: true when handled as a hypercall, else the caller #UDs */
bool hyperv_tcg_hypercall(CPUX86State *env);

/*
 * The guest TSC for cpu_get_tsc(): @ticks (cpus_get_elapsed_ticks()) scaled
 * to the rate the Hyper-V partition's TSC runs at.  Identity when QEMU
 * provides no Hyper-V.  Every guest RDTSC comes here: while the guest
 * TSC runs at the host's rate (the usual case) it is @ticks plus an
 * offset, inline.
 */
extern bool hyperv_tcg_tsc_at_host_rate;
extern uint64_t hyperv_tcg_tsc_offset;
uint64_t hyperv_tcg_guest_tsc_scaled(uint64_t ticks);

static inline uint64_t hyperv_tcg_guest_tsc(uint64_t ticks)
{
    if (likely(qatomic_load_acquire(&hyperv_tcg_tsc_at_host_rate))) {
        return ticks + qatomic_read(&hyperv_tcg_tsc_offset);
    }
    return hyperv_tcg_guest_tsc_scaled(ticks);
}

/*
 * PAUSE (helper_pause()).  With hv-guest-idle, while the vCPUs outnumber
 * the host CPUs, a vCPU that spins on PAUSE at one address gives up its
 * host CPU now and then, as pause-loop exiting makes a hardware
 * hypervisor do (hyperv-tcg.c)
 */
extern bool hyperv_tcg_pause_yield;
void hyperv_tcg_pause_spin(CPUX86State *env);

static inline void hyperv_tcg_pause(CPUX86State *env)
{
    if (unlikely(hyperv_tcg_pause_yield)) {
        hyperv_tcg_pause_spin(env);
    }
}

/* Migration of a VP's state (subsection of vmstate_x86_cpu) */
extern const VMStateDescription vmstate_hyperv_tcg_vp;

#endif
