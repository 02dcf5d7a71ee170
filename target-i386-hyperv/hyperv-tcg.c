/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the TCG backend.
 *
 * Under TCG QEMU is the hypervisor: the hyperv-tcg*.c files connect the
 * accelerator-neutral core (hv-core.h) to QEMU; hyperv-tcg-internal.h
 * says which file does what.  This one keeps the partition: it creates
 * it with the first vCPU, sets up and tears down the VPs, gives the core
 * guest memory, system reset and guest-panic reporting, and is where
 * RDMSR/WRMSR of the synthetic MSRs and the hypercalls come in.
 *
 * Locking: with MTTCG every vCPU thread can run an MSR access or a
 * hypercall at the same time.  The core is serialized by the BQL, as
 * QEMU's own APIC MSR emulation is.  Only a PV TLB flush waits for other
 * vCPUs, and only outside cpu_exec() and the BQL (hyperv-tcg-ipi.c).
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "cpu.h"
#include "hw/core/cpu.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "system/tcg.h"
#include "hw/hyperv/hyperv.h"
#include "kvm/hyperv.h"
#include "hyperv-cpu.h"
#include "hyperv-gpa.h"
#include "hyperv-ext-hypercall.h"
#include "hyperv-tcg-internal.h"
#include "trace.h"

HvPartition hv_tcg_partition;
HvOps hv_tcg_ops;
bool hv_tcg_created;

static void tcg_reset(void *opaque)
{
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
}

/*
 * The VP read HV_X64_MSR_GUEST_IDLE: helper_rdmsr() halts the vCPU once
 * the read completes, and x86_cpu_has_work() wakes it for any pending
 * interrupt, masked or not (patch 0017)
 */
static void tcg_guest_idle(void *opaque, HvVp *vp)
{
    hv_tcg_vp_cpu(vp)->env.hv_guest_idle = true;
}

/*
 * A guest with the idle MSR (Linux's Hyper-V PV qspinlock) spins on PAUSE
 * SPIN_THRESHOLD (32768) times before it idles a VP that waits for a
 * lock, and under TCG a PAUSE costs ~100 ns: 3 ms and more of host CPU
 * burnt while the lock holder, or the waiter the lock goes to next, may
 * be waiting for that very CPU.  A hardware hypervisor deschedules such a
 * VP (pause-loop exiting); here a vCPU thread that executed
 * PAUSE_YIELD_SPINS PAUSEs in a row at one guest address yields its host
 * CPU (without the BQL, which helper_pause() does not hold).
 *
 * Only while the vCPUs outnumber the host CPUs QEMU may run on: with a
 * host CPU for each, the thread the spinner waits for is running already,
 * and a sched_yield() every ~15 us would be a system call for nothing
 * (make bench measured it as 4-6 % more time per contended lock at 2 vCPUs
 * on 2 host CPUs).
 */
#define PAUSE_YIELD_SPINS 128

bool hyperv_tcg_pause_yield;
static __thread target_ulong pause_eip;
static __thread unsigned pause_spins;
static unsigned hv_tcg_vcpus;

/* The host CPUs this process may run on (taskset, cgroup cpuset) */
static unsigned host_cpus_available(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        return CPU_COUNT(&set);
    }
    return sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * A vCPU was created (at startup or hot-plugged): whether PAUSE loops
 * yield.  An unplugged vCPU is not counted out; yielding then costs a
 * little time, never correctness.
 */
static void pause_yield_update(X86CPU *cpu)
{
    hv_tcg_vcpus++;
    hyperv_tcg_pause_yield =
        (cpu->hyperv_features & HV_FEAT_BIT(HYPERV_FEAT_GUEST_IDLE)) &&
        hv_tcg_vcpus > host_cpus_available();
}

void hyperv_tcg_pause_spin(CPUX86State *env)
{
    if (env->eip != pause_eip) {
        pause_eip = env->eip;
        pause_spins = 0;
    } else if (++pause_spins >= PAUSE_YIELD_SPINS) {
        trace_hyperv_pause_yield(env_archcpu(env)->hyperv_vp.vp_index,
                                 pause_spins);
        pause_spins = 0;
        sched_yield();
    }
}

static void tcg_crash(void *opaque, const uint64_t params[HV_CRASH_PARAMS])
{
    CPUState *cs = current_cpu;
    X86CPU *cpu = X86_CPU(cs);

    /*
     * x86_cpu_get_crash_info() (also behind the "crash-information" QOM
     * property) reads the Hyper-V crash parameters from here, as it does
     * under KVM.
     */
    memcpy(cpu->env.msr_hv_crash_params, params,
           sizeof(cpu->env.msr_hv_crash_params));
    qemu_system_guest_panicked(cpu_get_crash_info(cs));
}

static void hyperv_tcg_system_reset(void *opaque)
{
    CPUState *cs;

    /*
     * The partition starts afresh, as on a host of this rate: a reset
     * taken while the old rate of a migration source was emulated for the
     * guest ends that emulation along with TSC_EMULATION_STATUS, or RDTSC
     * and TSC_FREQUENCY would disagree for good.
     */
    hv_tcg_set_guest_tsc_hz(hv_tcg_tsc_target_hz);
    hv_tcg_ops.tsc_frequency_msr_hz = 0;
    hv_partition_reset(&hv_tcg_partition, &hv_tcg_ops);
    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);

        hv_stimer_cancel_all(&cpu->hyperv_vp, &hv_tcg_ops);
        hv_vp_reset(&cpu->hyperv_vp, cpu->hyperv_vp.vp_index);
        hyperv_synic_reset(cs);
    }
}

static bool cpu_is_vendor(X86CPU *cpu, const char *vendor)
{
    uint32_t regs[3];

    memcpy(regs, vendor, sizeof(regs));
    return cpu->env.cpuid_vendor1 == regs[0] &&
           cpu->env.cpuid_vendor2 == regs[1] &&
           cpu->env.cpuid_vendor3 == regs[2];
}

static void hyperv_tcg_partition_create(X86CPU *cpu)
{
    HvConfig cfg;

    hyperv_cpu_get_config(cpu, &cfg);
    memset(&hv_tcg_partition, 0, sizeof(hv_tcg_partition));

    hv_tcg_time_init(cpu);
    hv_tcg_partition.features = cpu->hyperv_features;
    hv_tcg_partition.spinlock_attempts = cfg.spinlock_attempts;
    hv_tcg_partition.enforce_cpuid = cfg.enforce_cpuid;
    /*
     * The message and event pages are QEMU's own overlay pages (hw/hyperv),
     * kept across enable/disable as with KVM's SynIC: don't clear them.
     */
    hv_tcg_partition.synic_keep_pages = true;
    /* AMD and its Hygon derivative call with VMMCALL, Intel with VMCALL */
    hv_tcg_partition.vmmcall = IS_AMD_CPU(&cpu->env) ||
                           cpu_is_vendor(cpu, CPUID_VENDOR_HYGON);

    hv_tcg_ops = (HvOps) {
        .read_gpa = hyperv_read_gpa,
        .write_gpa = hyperv_write_gpa,
        .reset = tcg_reset,
        .crash = tcg_crash,
        .guest_idle = tcg_guest_idle,
    };
    hv_tcg_time_ops(&hv_tcg_ops);
    hv_tcg_apic_ops(&hv_tcg_ops);
    hv_tcg_ipi_ops(&hv_tcg_ops);
    hv_tcg_synic_ops(&hv_tcg_ops);
    hyperv_ext_hypercall_ops(&hv_tcg_ops);
    hv_partition_reset(&hv_tcg_partition, &hv_tcg_ops);
    hv_tcg_state_init();
    qemu_register_reset(hyperv_tcg_system_reset, NULL);
    hv_tcg_synic_init();
    hv_tcg_created = true;
}

void hyperv_tcg_vcpu_realize(X86CPU *cpu)
{
    if (!tcg_enabled() || !hyperv_cpu_requested(cpu)) {
        return;
    }
    if (!hv_tcg_created) {
        hyperv_tcg_partition_create(cpu);
    }
    /* VP index = vCPU index, as hyperv_vp_index() has it under KVM */
    hv_vp_reset(&cpu->hyperv_vp, CPU(cpu)->cpu_index);
    pause_yield_update(cpu);
    if (cpu->hyperv_features & HV_FEAT_BIT(HYPERV_FEAT_SYNIC)) {
        /* QEMU's half of the SynIC: overlay pages, SINT routes */
        hyperv_x86_synic_add(cpu);
    }
    /* Skip SynIC and VP_INDEX since they are hard deps already */
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_STIMER) &&
        hyperv_feat_enabled(cpu, HYPERV_FEAT_VAPIC) &&
        hyperv_feat_enabled(cpu, HYPERV_FEAT_RUNTIME)) {
        hyperv_x86_set_vmbus_recommended_features_enabled();
    }
    hv_tcg_vp_runtime_reset(cpu);
    object_property_add_uint64_ptr(OBJECT(cpu), "x-hv-exec-entries",
                                   &cpu->hyperv_exec_entries,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(OBJECT(cpu), "x-hv-runtime-clock-reads",
                                   &cpu->hyperv_runtime_clock_reads,
                                   OBJ_PROP_FLAG_READ);
}

void hyperv_tcg_vcpu_unrealize(X86CPU *cpu)
{
    if (!tcg_enabled() || !hyperv_cpu_requested(cpu) ||
        !hv_tcg_created) {
        return;
    }
    /*
     * Hot-unplug: the vCPU thread is gone, the X86CPU is about to be.
     * Its timers' callbacks would run on freed memory, and QEMU's SynIC
     * message and event pages would stay mapped over guest RAM.
     */
    hv_stimer_cancel_all(&cpu->hyperv_vp, &hv_tcg_ops);
    hv_tcg_stimers_free(cpu);
    hyperv_synic_reset(CPU(cpu));
}

bool hyperv_tcg_active(X86CPU *cpu)
{
    /*
     * The partition exists only when Hyper-V was asked for under TCG, and
     * every vCPU has the same -cpu.  Cheap on purpose: the APIC hooks and
     * every RDMSR/WRMSR come through here.
     */
    return hv_tcg_created;
}

const HvPartition *hyperv_tcg_partition(void)
{
    return hv_tcg_created ? &hv_tcg_partition : NULL;
}

static const char *msr_result_name(HvMsrResult r)
{
    return r == HV_MSR_OK ? "ok" : r == HV_MSR_GP ? "#GP" : "not Hyper-V";
}

HvMsrResult hyperv_tcg_rdmsr_synthetic(CPUX86State *env, uint32_t msr,
                                       uint64_t *val)
{
    X86CPU *cpu = env_archcpu(env);

    if (!hyperv_tcg_active(cpu)) {
        return HV_MSR_NOT_HYPERV;
    }
    HvMsrResult r;

    BQL_LOCK_GUARD();
    r = hv_msr_read(&hv_tcg_partition, &cpu->hyperv_vp, &hv_tcg_ops, msr, val);
    trace_hyperv_msr_read(cpu->hyperv_vp.vp_index, msr,
                          r == HV_MSR_OK ? *val : 0, msr_result_name(r));
    return r;
}

HvMsrResult hyperv_tcg_wrmsr_synthetic(CPUX86State *env, uint32_t msr,
                                       uint64_t val)
{
    X86CPU *cpu = env_archcpu(env);

    if (!hyperv_tcg_active(cpu)) {
        return HV_MSR_NOT_HYPERV;
    }
    HvMsrResult r;

    BQL_LOCK_GUARD();
    r = hv_msr_write(&hv_tcg_partition, &cpu->hyperv_vp, &hv_tcg_ops, msr,
                     val);
    trace_hyperv_msr_write(cpu->hyperv_vp.vp_index, msr, val,
                           msr_result_name(r));
    return r;
}

bool hyperv_tcg_hypercall(CPUX86State *env)
{
    X86CPU *cpu = env_archcpu(env);
    HvHypercallRegs regs = { 0 };
    int i;

    if (!hyperv_tcg_active(cpu)) {
        return false;
    }
    BQL_LOCK_GUARD();
    if (!hv_hypercalls_enabled(&hv_tcg_partition)) {
        trace_hyperv_hypercall_disabled(cpu->hyperv_vp.vp_index);
        return false;
    }

    /* The 64-bit convention needs a 64-bit code segment, not just LMA */
    regs.long_mode = env->hflags & HF_CS64_MASK;
    regs.cpl0 = (env->cr[0] & CR0_PE_MASK) && (env->hflags & HF_CPL_MASK) == 0;
    regs.rax = env->regs[R_EAX];
    regs.rbx = env->regs[R_EBX];
    regs.rcx = env->regs[R_ECX];
    regs.rdx = env->regs[R_EDX];
    regs.rsi = env->regs[R_ESI];
    regs.rdi = env->regs[R_EDI];
#ifdef TARGET_X86_64
    regs.r8 = env->regs[8];
#endif
    for (i = 0; i < 6; i++) {
        regs.xmm[i][0] = env->xmm_regs[i].ZMM_Q(0);
        regs.xmm[i][1] = env->xmm_regs[i].ZMM_Q(1);
    }

    if (trace_event_get_state_backends(TRACE_HYPERV_HYPERCALL)) {
        uint64_t control = regs.long_mode ? regs.rcx :
                           regs.rdx << 32 | (uint32_t)regs.rax;

        trace_hyperv_hypercall(cpu->hyperv_vp.vp_index, (uint16_t)control,
                               control, regs.long_mode ? regs.rdx :
                               regs.rbx << 32 | (uint32_t)regs.rcx,
                               regs.long_mode ? regs.r8 :
                               regs.rdi << 32 | (uint32_t)regs.rsi);
    }
    /* CPL > 0, real mode: #UD, as on Hyper-V and KVM */
    if (!hv_hypercall(&hv_tcg_partition, &cpu->hyperv_vp, &hv_tcg_ops,
                      &regs)) {
        trace_hyperv_hypercall_result(cpu->hyperv_vp.vp_index,
                                      (uint16_t)env->regs[R_ECX],
                                      (uint16_t)regs.rax, 0, true);
        return false;
    }
    trace_hyperv_hypercall_result(cpu->hyperv_vp.vp_index,
                                  regs.long_mode ? (uint16_t)env->regs[R_ECX]
                                  : (uint16_t)env->regs[R_EAX],
                                  (uint16_t)regs.rax,
                                  regs.long_mode ? (regs.rax >> 32) & 0xfff
                                  : regs.rdx & 0xfff, false);
    env->regs[R_EAX] = regs.rax;
    env->regs[R_EDX] = regs.rdx;
    return true;
}
