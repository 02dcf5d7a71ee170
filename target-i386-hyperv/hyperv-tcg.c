/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the TCG backend.
 *
 * Under TCG QEMU is the hypervisor: this file connects the
 * accelerator-neutral core (hv-core.h) to QEMU — guest memory, the
 * virtual clock and the guest TSC, the local APICs, the TCG TLBs, system
 * reset and guest-panic reporting — and keeps the partition and VP state
 * in vmstate.
 *
 * Locking: with MTTCG every vCPU thread can run an MSR access or a
 * hypercall at the same time.  The core is serialized by the BQL, as
 * QEMU's own APIC MSR emulation is.  Only a PV TLB flush waits for other
 * vCPUs, and only outside cpu_exec() and the BQL (see tcg_flush_tlb()).
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/host-utils.h"
#include "cpu.h"
#include "exec/cputlb.h"
#include "hw/core/cpu.h"
#include "hw/i386/apic.h"
#include "hw/i386/apic_internal.h"
#include "hw/pci/msi.h"
#include "migration/vmstate.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "system/tcg.h"
#include "system/cpu-timers.h"
#include "qemu/seqlock.h"
#include "hw/hyperv/hyperv.h"
#include "kvm/hyperv.h"
#include "hyperv-cpu.h"
#include "hyperv-tcg.h"
#include "trace.h"

static HvPartition hv_partition;
static HvOps hv_ops;
static bool hv_partition_created;

/*
 * The timers re-arm and the SINT vectors are recomputed once the VM runs
 * again: the reference time they need loads with the partition, which may
 * come after this vCPU's state.
 */
static bool hv_vps_loaded;

/*
 * The guest TSC.  Under TCG it is the host's TSC (cpus_get_elapsed_ticks(),
 * stopped while the VM is stopped), scaled to the rate the partition's
 * guest TSC runs at:
 *
 *   guest = guest_base + (ticks - host_base) * hz / host_tsc_hz
 *
 * hz is the host's own rate unless x-hv-tsc-hz asks for another, and it
 * migrates: on a host with a different TSC rate the guest keeps its rate
 * (within 250 ppm) or is told about the change by reenlightenment.
 * vCPU threads read it without the BQL; it changes rarely, under a seqlock.
 */
typedef struct HvTscClock {
    uint64_t host_base;
    uint64_t guest_base;
    uint64_t hz;
} HvTscClock;

static QemuSeqLock hv_tsc_lock;
static HvTscClock hv_tsc;
static uint64_t host_tsc_hz;
/* The rate this host wants the guest TSC at, applied after emulation */
static uint64_t hv_tsc_target_hz;

static X86CPU *vp_cpu(HvVp *vp)
{
    return container_of(vp, X86CPU, hyperv_vp);
}

/*
 * Is [@gpa, @gpa + @len) guest RAM (writable RAM when @write)?  The
 * hypercall page, the TSC page and hypercall parameters must be ordinary
 * memory: MMIO, ROM or holes get the TLFS error instead.
 */
static bool gpa_range_is_ram(uint64_t gpa, uint64_t len, bool write)
{
    RCU_READ_LOCK_GUARD();

    while (len) {
        hwaddr xlat, chunk = len;
        MemoryRegion *mr;

        mr = address_space_translate(&address_space_memory, gpa, &xlat,
                                     &chunk, write, MEMTXATTRS_UNSPECIFIED);
        if (!memory_region_is_ram(mr) || memory_region_is_ram_device(mr) ||
            (write && memory_region_is_rom(mr)) || !chunk) {
            return false;
        }
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

static bool tcg_read_gpa(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
    return gpa_range_is_ram(gpa, len, false) &&
           address_space_read(&address_space_memory, gpa,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

static bool tcg_write_gpa(void *opaque, uint64_t gpa, const void *buf,
                          uint64_t len)
{
    return gpa_range_is_ram(gpa, len, true) &&
           address_space_write(&address_space_memory, gpa,
                               MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

static int64_t tcg_clock_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static uint64_t tcg_partition_tsc(void *opaque)
{
    CPUX86State *env = &X86_CPU(first_cpu)->env;

    /* What helper_rdtsc returns to the guest on VP 0 (never unplugged) */
    return cpu_get_tsc(env) + env->tsc_offset;
}

/*
 * VP runtime: the host CPU time of the vCPU, which is what KVM reports
 * (the runtime of the vCPU's task).  Nothing is sampled on the way into
 * or out of cpu_exec(): every PAUSE leaves it, so a clock read there (a
 * system call: CLOCK_THREAD_CPUTIME_ID has no vDSO) costs a spinning
 * guest ~25 times its PAUSE.
 *
 * - One thread per vCPU (MTTCG): the vCPU thread's CPU clock, read only
 *   when asked (the guest's VP_RUNTIME read, savevm/migration, loadvm).
 *   A halted vCPU sleeps, so halted time is left out.
 * - One thread for every vCPU (thread=single, icount), or no per-thread
 *   CPU clock: the thread's time must be split between the vCPUs, so each
 *   gets the host ticks (RDTSC, not a system call) between its cpu_exec()
 *   entries and exits.  A halted vCPU does not enter cpu_exec().
 *
 * The value is continuous over savevm/loadvm and migration:
 * hyperv_runtime_ns is the runtime at an anchor, and the clock or the
 * ticks count from there.
 */
static bool hv_runtime_per_exec;
static uint64_t host_ticks_hz;

/* vCPU @cpu's thread's CPU time, ns; @fallback when it cannot be read */
static int64_t vcpu_thread_cpu_ns(X86CPU *cpu, int64_t fallback)
{
    CPUState *cs = CPU(cpu);
    clockid_t clk = CLOCK_THREAD_CPUTIME_ID;
    struct timespec ts;

#ifdef CONFIG_POSIX
    if (cs != current_cpu &&
        (!qatomic_read(&cs->created) ||
         pthread_getcpuclockid(cs->thread->thread, &clk))) {
        return fallback;
    }
#else
    g_assert(cs == current_cpu);
#endif
    /* A system call: hv-hotpath-test counts them, per PAUSE loop */
    qatomic_inc(&cpu->hyperv_runtime_clock_reads);
    if (clock_gettime(clk, &ts)) {
        return fallback;
    }
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

static int64_t vp_runtime_ns(X86CPU *cpu)
{
    uint64_t ticks;

    if (!hv_runtime_per_exec) {
        return cpu->hyperv_runtime_ns +
               vcpu_thread_cpu_ns(cpu, cpu->hyperv_runtime_anchor_ns) -
               cpu->hyperv_runtime_anchor_ns;
    }
    ticks = cpu->hyperv_runtime_ticks;
    /* The VP reads its own runtime in the middle of a slice */
    if (cpu->hyperv_runtime_entry_ticks && current_cpu == CPU(cpu)) {
        ticks += cpu_get_host_ticks() - cpu->hyperv_runtime_entry_ticks;
    }
    return cpu->hyperv_runtime_ns +
           muldiv64(ticks, NANOSECONDS_PER_SECOND,
                    host_ticks_hz ?: NANOSECONDS_PER_SECOND);
}

/* From now on the VP runtime counts on from @ns */
static void vp_runtime_anchor(X86CPU *cpu, int64_t ns)
{
    cpu->hyperv_runtime_ns = ns;
    cpu->hyperv_runtime_ticks = 0;
    if (!hv_runtime_per_exec) {
        cpu->hyperv_runtime_anchor_ns = vcpu_thread_cpu_ns(cpu, 0);
    }
}

/*
 * cpu_exec() enters / leaves guest code.  A counter for
 * hv-hotpath-test, and the host ticks with one thread for all vCPUs.
 */
void hyperv_tcg_exec_enter(X86CPU *cpu)
{
    if (hv_partition_created) {
        cpu->hyperv_exec_entries++;
        if (hv_runtime_per_exec) {
            cpu->hyperv_runtime_entry_ticks = cpu_get_host_ticks() | 1;
        }
    }
}

void hyperv_tcg_exec_exit(X86CPU *cpu)
{
    if (hv_runtime_per_exec && cpu->hyperv_runtime_entry_ticks) {
        cpu->hyperv_runtime_ticks += cpu_get_host_ticks() -
                                     cpu->hyperv_runtime_entry_ticks;
        cpu->hyperv_runtime_entry_ticks = 0;
    }
}

static uint64_t tcg_vp_runtime(void *opaque, HvVp *vp)
{
    return vp_runtime_ns(vp_cpu(vp)) / 100;
}

/*
 * The enlightened APIC MSRs act on the VP's own local APIC: through the
 * x2APIC MSR interface in x2APIC mode, else through its MMIO page.
 */
static bool apic_reg_write(X86CPU *cpu, int index, uint64_t val)
{
    CPUState *cs = CPU(cpu);

    if (is_x2apic_mode(cpu->apic_state)) {
        return apic_msr_write(index, val) == 0;
    }
    if (index == 0x30) {
        /* xAPIC ICR: destination in ICR2[31:24], then ICR low sends */
        address_space_stl(cs->as, APIC_DEFAULT_ADDRESS + 0x310,
                          (uint32_t)(val >> 32), MEMTXATTRS_UNSPECIFIED,
                          NULL);
    }
    address_space_stl(cs->as, APIC_DEFAULT_ADDRESS + (index << 4),
                      (uint32_t)val, MEMTXATTRS_UNSPECIFIED, NULL);
    return true;
}

static uint64_t apic_reg_read(X86CPU *cpu, int index)
{
    CPUState *cs = CPU(cpu);
    uint64_t val = 0;

    if (is_x2apic_mode(cpu->apic_state)) {
        apic_msr_read(index, &val);
        if (index == 0x30) {
            uint64_t high = 0;

            /*
             * QEMU's x2APIC ICR read gives the low half only; the
             * destination is in the high half (KVM returns all 64 bits)
             */
            apic_msr_read(0x31, &high);
            val = (uint32_t)val | high << 32;
        }
        return val;
    }
    val = address_space_ldl(cs->as, APIC_DEFAULT_ADDRESS + (index << 4),
                            MEMTXATTRS_UNSPECIFIED, NULL);
    if (index == 0x30) {
        val |= (uint64_t)address_space_ldl(cs->as,
                                           APIC_DEFAULT_ADDRESS + 0x310,
                                           MEMTXATTRS_UNSPECIFIED,
                                           NULL) << 32;
    }
    return val;
}

static void tcg_apic_eoi(void *opaque, HvVp *vp)
{
    apic_reg_write(vp_cpu(vp), 0x0b, 0);
}

static bool tcg_apic_icr_write(void *opaque, HvVp *vp, uint64_t icr)
{
    return apic_reg_write(vp_cpu(vp), 0x30, icr);
}

static uint64_t tcg_apic_icr_read(void *opaque, HvVp *vp)
{
    return apic_reg_read(vp_cpu(vp), 0x30);
}

static bool tcg_apic_tpr_write(void *opaque, HvVp *vp, uint64_t tpr)
{
    return apic_reg_write(vp_cpu(vp), 0x08, tpr & 0xff);
}

static uint64_t tcg_apic_tpr_read(void *opaque, HvVp *vp)
{
    return apic_reg_read(vp_cpu(vp), 0x08);
}

static void tcg_reset(void *opaque)
{
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
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

/*
 * PV TLB flush (HvCallFlushVirtualAddress{Space,List}[Ex]).
 *
 * A vCPU's TCG TLB may only be touched from its own thread, so each other
 * target gets the flush as queued work (async_run_on_cpu), which its thread
 * runs before it executes guest code again: queueing kicks the vCPU out of
 * its translation blocks, and a vCPU that is outside cpu_exec() processes
 * its work queue before re-entering it (or, if it already looked at the
 * queue, finds exit_request set on entry and leaves before running a TB).
 *
 * The TLFS wants the flush complete when the hypercall returns.  The caller
 * -- its translation block ends with the hypercall -- therefore runs a
 * waiting item of its own before its next guest instruction, and that item
 * waits only for the targets that are executing guest code right now
 * (cpu->running, i.e. inside cpu_exec()) and have not flushed yet.  A
 * target that is halted, stopped, waiting for the BQL or an exclusive
 * section outside cpu_exec(), or whose thread is anywhere else outside the
 * TCG execution loop, is not waited for: its pending flush runs before its
 * next translation block.  The waiting item drops the BQL (targets need it
 * to run their queued work), is not "running" itself (two vCPUs flushing
 * each other do not wait for each other: each flushes before it resumes),
 * and does not stop the whole machine as an exclusive section would:
 * vCPUs outside the set keep running, and so does a target that flushed
 * after giving up its host CPU for at most 5 ms (flush_tlb_work()).
 *
 * Ordering: the caller queues the items and kicks the targets (cpu_exit():
 * exit_request, then icount_decr) before the smp_mb() in flush_wait(),
 * which then reads cpu->running; a target sets cpu->running, smp_mb(),
 * then reads exit_request in cpu_exec().  So a target that the caller saw
 * not running either finds the item in its queue or leaves cpu_exec() at
 * once.  A full flush answers a ranged request.
 */
typedef struct HvFlushRequest HvFlushRequest;

typedef struct HvFlushTarget {
    HvFlushRequest *req;
    CPUState *cs;
    bool flushed;               /* set by the target's thread */
} HvFlushTarget;

struct HvFlushRequest {
    unsigned refs;              /* the caller + each target not done */
    bool complete;              /* the caller stopped waiting */
    unsigned n;
    HvFlushTarget t[];
};

static QemuMutex hv_flush_lock;
static QemuCond hv_flush_cond;          /* a target flushed */
static QemuCond hv_flush_done_cond;     /* a caller stopped waiting */

/* Under the BQL (process_queued_cpu_work, or after flush_wait took it) */
static void flush_request_unref(HvFlushRequest *req)
{
    if (qatomic_fetch_dec(&req->refs) == 1) {
        for (unsigned i = 0; i < req->n; i++) {
            object_unref(OBJECT(req->t[i].cs));
        }
        g_free(req);
    }
}

static void flush_tlb_work(CPUState *cs, run_on_cpu_data data)
{
    HvFlushTarget *t = data.host_ptr;
    HvFlushRequest *req = t->req;

    tlb_flush(cs);
    qemu_mutex_lock(&hv_flush_lock);
    qatomic_store_release(&t->flushed, true);
    qemu_cond_broadcast(&hv_flush_cond);
    /*
     * Under overcommit the targets still to flush may be waiting for a
     * host CPU: give this one up until the caller is done (briefly, and
     * without the BQL) instead of spinning on in guest code.  Not
     * "running" meanwhile, this vCPU holds up no other flush.
     */
    if (!qatomic_read(&req->complete)) {
        int64_t deadline = get_clock() + 5 * SCALE_MS;

        bql_unlock();
        while (!qatomic_read(&req->complete) && get_clock() < deadline) {
            qemu_cond_timedwait(&hv_flush_done_cond, &hv_flush_lock, 1);
        }
        qemu_mutex_unlock(&hv_flush_lock);
        bql_lock();
    } else {
        qemu_mutex_unlock(&hv_flush_lock);
    }
    flush_request_unref(req);
}

static bool flush_waits_for(HvFlushRequest *req)
{
    for (unsigned i = 0; i < req->n; i++) {
        if (!qatomic_load_acquire(&req->t[i].flushed) &&
            qatomic_read(&req->t[i].cs->running)) {
            return true;
        }
    }
    return false;
}

/* The caller's item: runs before its next guest instruction */
static void flush_wait(CPUState *self, run_on_cpu_data data)
{
    HvFlushRequest *req = data.host_ptr;

    /* The kicks (exit_request) before the reads of cpu->running */
    smp_mb();
    if (flush_waits_for(req)) {
        bql_unlock();
        qemu_mutex_lock(&hv_flush_lock);
        while (flush_waits_for(req)) {
            /*
             * Woken by each flush; the timeout only catches a target that
             * left cpu_exec() without having run its item yet.
             */
            qemu_cond_timedwait(&hv_flush_cond, &hv_flush_lock, 1);
        }
        qatomic_set(&req->complete, true);
        qemu_cond_broadcast(&hv_flush_done_cond);
        qemu_mutex_unlock(&hv_flush_lock);
        bql_lock();
    } else {
        qatomic_set(&req->complete, true);
    }
    flush_request_unref(req);
}

static void tcg_flush_tlb(void *opaque, HvVp *caller, const HvVpSet *set,
                          const uint64_t *gvas, unsigned n_gvas)
{
    CPUState *self = CPU(vp_cpu(caller));
    HvFlushRequest *req;
    unsigned n = 0;
    CPUState *cs;

    trace_hyperv_pv_flush(caller->vp_index, set->all, gvas ? n_gvas : 0);
    CPU_FOREACH(cs) {
        if (hv_vp_set_has(set, X86_CPU(cs)->hyperv_vp.vp_index)) {
            if (cs == self) {
                tlb_flush(cs);
            } else {
                n++;
            }
        }
    }
    if (!n) {
        return;
    }
    if (!hv_flush_cond.initialized) {
        qemu_mutex_init(&hv_flush_lock);
        qemu_cond_init(&hv_flush_cond);
        qemu_cond_init(&hv_flush_done_cond);
    }
    req = g_malloc0(sizeof(*req) + n * sizeof(req->t[0]));
    req->refs = n + 1;
    CPU_FOREACH(cs) {
        if (cs != self &&
            hv_vp_set_has(set, X86_CPU(cs)->hyperv_vp.vp_index)) {
            HvFlushTarget *t = &req->t[req->n++];

            t->req = req;
            t->cs = cs;
            object_ref(OBJECT(cs));
        }
    }
    for (unsigned i = 0; i < req->n; i++) {
        async_run_on_cpu(req->t[i].cs, flush_tlb_work,
                         RUN_ON_CPU_HOST_PTR(&req->t[i]));
    }
    async_run_on_cpu(self, flush_wait, RUN_ON_CPU_HOST_PTR(req));
}

static void send_fixed_irq(X86CPU *cpu, uint8_t vector);

static void tcg_send_ipi(void *opaque, HvVp *caller, const HvVpSet *set,
                         uint8_t vector)
{
    CPUState *cs;

    trace_hyperv_pv_ipi(caller ? caller->vp_index : UINT32_MAX, vector,
                        set->all);

    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);

        if (hv_vp_set_has(set, cpu->hyperv_vp.vp_index)) {
            send_fixed_irq(cpu, vector);
        }
    }
}

/* A fixed, edge-triggered interrupt to one vCPU's APIC */
static void send_fixed_irq(X86CPU *cpu, uint8_t vector)
{
    APICCommonState *apic;
    MSIMessage msg;

    if (!cpu->apic_state) {
        return;
    }
    apic = APIC_COMMON(cpu->apic_state);
    msg.address = APIC_DEFAULT_ADDRESS |
                  ((uint64_t)(cpu->apic_id & 0xff) << 12) |
                  ((uint64_t)(cpu->apic_id & ~0xffu) << 32);
    msg.data = vector;
    APIC_COMMON_GET_CLASS(apic)->send_msi(&msg);
}

static void tcg_sint_deliver(void *opaque, HvVp *vp, uint8_t vector,
                             bool auto_eoi)
{
    trace_hyperv_sint_deliver(vp->vp_index, vector, auto_eoi);
    /* AutoEOI is applied when the APIC accepts it (hyperv_tcg_apic_*) */
    send_fixed_irq(vp_cpu(vp), vector);
}

/* Map QEMU's message and event-flag pages where the guest put them */
static void tcg_synic_update(void *opaque, HvVp *vp)
{
    hyperv_synic_update(CPU(vp_cpu(vp)), vp->scontrol & HV_SYNIC_ENABLE,
                        (vp->simp & HV_SIMP_ENABLE) ?
                        (vp->simp & HV_PAGE_MASK) : 0,
                        (vp->siefp & HV_SIEFP_ENABLE) ?
                        (vp->siefp & HV_PAGE_MASK) : 0);
}

static void tcg_sint_ack(void *opaque, HvVp *vp, uint32_t sint)
{
    trace_hyperv_sint_ack(vp->vp_index, sint);
    hyperv_sint_ack(CPU(vp_cpu(vp)), sint);
}

const char *hyperv_synic_status_name(HvSynicStatus status)
{
    static const char *const names[] = {
        [HV_SYNIC_OK] = "delivered",
        [HV_SYNIC_NO_IRQ] = "masked or polling",
        [HV_SYNIC_BUSY] = "slot busy",
        [HV_SYNIC_DISABLED] = "SynIC or page disabled",
        [HV_SYNIC_FAULT] = "page not RAM",
        [HV_SYNIC_INVALID] = "invalid",
    };

    return status < ARRAY_SIZE(names) && names[status] ? names[status] : "?";
}

/* hw/hyperv's SINT routes (VMBus, hyperv-testdev) raise SINTs here */
static int tcg_set_sint(CPUState *cs, uint32_t sint)
{
    X86CPU *cpu = X86_CPU(cs);
    HvSynicStatus ret;

    if (!hyperv_tcg_active(cpu)) {
        return -ENXIO;
    }
    BQL_LOCK_GUARD();
    ret = hv_synic_set_sint(&hv_partition, &cpu->hyperv_vp, &hv_ops, sint);
    trace_hyperv_sint_set(cpu->hyperv_vp.vp_index, sint,
                          hyperv_synic_status_name(ret));
    /* As KVM's irqfd: a SINT the VP cannot take now is lost, no error */
    return ret == HV_SYNIC_INVALID ? -EINVAL : 0;
}

static uint16_t tcg_synic_hypercall(void *opaque, HvVp *vp, uint16_t code,
                                    uint64_t param, bool fast)
{
    return code == HV_POST_MESSAGE ? hyperv_hcall_post_message(param, fast)
                                   : hyperv_hcall_signal_event(param, fast);
}

/*
 * The synthetic debugger: QEMU's hv-syndbg device (hw/hyperv) carries the
 * data, as it does for KVM's KVM_EXIT_HYPERV_SYNDBG and debug hypercalls.
 * Without the device these report failure.
 */
static uint32_t tcg_syndbg_send(void *opaque, uint64_t gpa, uint32_t count)
{
    return hyperv_syndbg_send(gpa, count);
}

static uint32_t tcg_syndbg_recv(void *opaque, uint64_t gpa, uint32_t count)
{
    return hyperv_syndbg_recv(gpa, count);
}

static void tcg_syndbg_pending_page(void *opaque, uint64_t gpa)
{
    hyperv_syndbg_set_pending_page(gpa);
}

static uint64_t tcg_syndbg_options(void *opaque)
{
    return hyperv_syndbg_query_options();
}

static uint16_t tcg_syndbg_hypercall(void *opaque, HvVp *vp, uint16_t code,
                                     uint64_t ingpa, uint64_t outgpa)
{
    switch (code) {
    case HV_POST_DEBUG_DATA:
        return hyperv_hcall_post_dbg_data(ingpa, outgpa, false);
    case HV_RETRIEVE_DEBUG_DATA:
        return hyperv_hcall_retreive_dbg_data(ingpa, outgpa, false);
    default:
        return hyperv_hcall_reset_dbg_session(outgpa);
    }
}

/*
 * Synthetic timers run on QEMU_CLOCK_VIRTUAL, which the reference time
 * follows (both stop with the VM); a timer that fires a little early is
 * re-armed by the core.
 */
static void stimer_expired(X86CPU *cpu, unsigned index)
{
    HvVp *vp = &cpu->hyperv_vp;
    uint64_t expirations = vp->stats.stimer_expirations[index];
    uint64_t config = vp->stimer_config[index];
    uint64_t exp_time = vp->stimer_exp_time[index];

    hv_stimer_expired(&hv_partition, vp, &hv_ops, index);
    if (vp->stats.stimer_expirations[index] != expirations) {
        trace_hyperv_stimer_expired(vp->vp_index, index, config, exp_time);
        if (!(config & HV_STIMER_DIRECT)) {
            trace_hyperv_stimer_message(
                vp->vp_index, index, HV_STIMER_SINT(config),
                vp->stimer_msg_pending & (1u << index));
        }
    }
}

/* One callback per timer index: the QEMUTimer's opaque is the vCPU */
static void stimer0_cb(void *cpu)
{
    stimer_expired(cpu, 0);
}

static void stimer1_cb(void *cpu)
{
    stimer_expired(cpu, 1);
}

static void stimer2_cb(void *cpu)
{
    stimer_expired(cpu, 2);
}

static void stimer3_cb(void *cpu)
{
    stimer_expired(cpu, 3);
}

static QEMUTimerCB *const stimer_cbs[] = {
    stimer0_cb, stimer1_cb, stimer2_cb, stimer3_cb,
};
QEMU_BUILD_BUG_ON(ARRAY_SIZE(stimer_cbs) != HV_STIMER_COUNT);

static void tcg_stimer_arm(void *opaque, HvVp *vp, unsigned index,
                           uint64_t exp_time)
{
    X86CPU *cpu = vp_cpu(vp);
    uint64_t now = hv_ref_time(&hv_partition, &hv_ops);
    int64_t delta_ns;

    if (!cpu->hyperv_stimers[index]) {
        cpu->hyperv_stimers[index] =
            timer_new_ns(QEMU_CLOCK_VIRTUAL, stimer_cbs[index], cpu);
    }
    /* Saturate: the guest may ask for the end of time */
    delta_ns = exp_time <= now ? 0 :
               (exp_time - now > INT64_MAX / 200 ? INT64_MAX / 2 :
                (int64_t)(exp_time - now) * 100);
    trace_hyperv_stimer_arm(vp->vp_index, index, exp_time, delta_ns);
    timer_mod(cpu->hyperv_stimers[index],
              qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + delta_ns);
}

static void tcg_stimer_cancel(void *opaque, HvVp *vp, unsigned index)
{
    X86CPU *cpu = vp_cpu(vp);

    trace_hyperv_stimer_cancel(vp->vp_index, index);
    if (cpu->hyperv_stimers[index]) {
        timer_del(cpu->hyperv_stimers[index]);
    }
}

static void tcg_long_spin_wait(void *opaque, HvVp *caller)
{
    /* Give the lock holder's thread a chance to run */
    bql_unlock();
    sched_yield();
    bql_lock();
}

/*
 * cpu_get_tsc() counts the host's RDTSC (stopped while the VM is stopped).
 * Measure that rate against CLOCK_MONOTONIC_RAW.
 */
static void tsc_and_clock(uint64_t *ticks, int64_t *ns, uint64_t *width)
{
    struct timespec ts;
    uint64_t before, after;

    before = cpu_get_host_ticks();
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    after = cpu_get_host_ticks();
    *ticks = before + (after - before) / 2;
    *width = after - before;
    *ns = ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

/* The tightest TSC/clock pair of a few tries: preemption can't widen it */
static void tsc_and_clock_best(uint64_t *ticks, int64_t *ns)
{
    uint64_t best = UINT64_MAX;
    int i;

    for (i = 0; i < 8; i++) {
        uint64_t t, w;
        int64_t n;

        tsc_and_clock(&t, &n, &w);
        if (w < best) {
            best = w;
            *ticks = t;
            *ns = n;
        }
    }
}

static uint64_t calibrate_tsc_hz(void)
{
    uint64_t c0, c1;
    int64_t t0, t1;

    tsc_and_clock_best(&c0, &t0);
    g_usleep(20000);
    tsc_and_clock_best(&c1, &t1);
    return t1 > t0 ? muldiv64(c1 - c0, NANOSECONDS_PER_SECOND, t1 - t0) : 0;
}

static uint64_t scale_ticks(const HvTscClock *c, uint64_t ticks)
{
    /*
     * Every guest RDTSC comes here: keep the 128-bit division of
     * muldiv64() off the usual case, a guest TSC at the host's rate.
     */
    if (likely(c->hz == host_tsc_hz)) {
        return c->guest_base + (ticks - c->host_base);
    }
    return c->guest_base + muldiv64(ticks - c->host_base, c->hz,
                                    host_tsc_hz);
}

uint64_t hyperv_tcg_guest_tsc_scaled(uint64_t ticks)
{
    HvTscClock c;
    unsigned seq;

    do {
        seq = seqlock_read_begin(&hv_tsc_lock);
        c = hv_tsc;
    } while (seqlock_read_retry(&hv_tsc_lock, seq));
    return scale_ticks(&c, ticks);
}

/*
 * While the guest TSC runs at the host's rate -- always, unless a
 * migration came from a host of another rate or x-hv-tsc-hz asks for
 * one -- it is the host ticks plus an offset, which the inline
 * hyperv_tcg_guest_tsc() adds without a call or the seqlock.  Call
 * tsc_fast_path_off() before hv_tsc changes, tsc_fast_path_update()
 * after.
 */
bool hyperv_tcg_tsc_at_host_rate = true;
uint64_t hyperv_tcg_tsc_offset;

static void tsc_fast_path_off(void)
{
    qatomic_set(&hyperv_tcg_tsc_at_host_rate, false);
    /* Readers stop adding the offset before hv_tsc changes */
    smp_wmb();
}

static void tsc_fast_path_update(void)
{
    if (hv_tsc.hz == host_tsc_hz) {
        qatomic_set(&hyperv_tcg_tsc_offset,
                    hv_tsc.guest_base - hv_tsc.host_base);
        qatomic_store_release(&hyperv_tcg_tsc_at_host_rate, true);
    }
}

/* From now on the guest TSC runs at @hz, continuing from its value now */
static void set_guest_tsc_hz(uint64_t hz)
{
    uint64_t ticks = cpus_get_elapsed_ticks();

    tsc_fast_path_off();
    seqlock_write_begin(&hv_tsc_lock);
    hv_tsc.guest_base = scale_ticks(&hv_tsc, ticks);
    hv_tsc.host_base = ticks;
    hv_tsc.hz = hz;
    seqlock_write_end(&hv_tsc_lock);
    tsc_fast_path_update();
    hv_ops.tsc_hz = hz;
}

/* The guest has taken the new TSC frequency in: stop emulating the old */
static void tcg_tsc_emulation_done(void *opaque)
{
    set_guest_tsc_hz(hv_tsc_target_hz);
    hv_ops.tsc_frequency_msr_hz = 0;
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
    set_guest_tsc_hz(hv_tsc_target_hz);
    hv_ops.tsc_frequency_msr_hz = 0;
    hv_partition_reset(&hv_partition, &hv_ops);
    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);

        hv_stimer_cancel_all(&cpu->hyperv_vp, &hv_ops);
        hv_vp_reset(&cpu->hyperv_vp, cpu->hyperv_vp.vp_index);
        hyperv_synic_reset(cs);
    }
}

/*
 * An interrupt raised while an incoming migration is loading would be
 * overwritten by the APIC state loaded after it: hold it until the VM
 * runs.
 */
static struct {
    bool pending;
    HvVpSet set;
    uint8_t vector;
} hv_deferred_ipi;

static void defer_ipi(void *opaque, HvVp *caller, const HvVpSet *set,
                      uint8_t vector)
{
    hv_deferred_ipi.pending = true;
    hv_deferred_ipi.set = *set;
    hv_deferred_ipi.vector = vector;
}

static void hyperv_tcg_vm_state_change(void *opaque, bool running,
                                       RunState state)
{
    CPUState *cs;

    if (running && hv_vps_loaded) {
        hv_vps_loaded = false;
        CPU_FOREACH(cs) {
            hv_vp_post_load(&hv_partition, &X86_CPU(cs)->hyperv_vp,
                            &hv_ops);
        }
    }
    if (running && hv_deferred_ipi.pending) {
        hv_deferred_ipi.pending = false;
        tcg_send_ipi(NULL, NULL, &hv_deferred_ipi.set,
                     hv_deferred_ipi.vector);
    }
}

static int hyperv_partition_post_load(void *opaque, int version_id)
{
    X86CPU *cpu = X86_CPU(first_cpu);
    uint64_t src_hz = hv_tsc.hz;

    /*
     * hv_tsc came from the source: the guest TSC continues at the source's
     * rate.  A rate within NTP's 250 ppm of it (two calibrations of the
     * same kind of host) is kept; anything else is a frequency change
     * that the guest hears about through reenlightenment, and TSC
     * emulation keeps the old rate until the guest acknowledges it.
     */
    hv_ops.tsc_hz = src_hz;
    hv_ops.tsc_frequency_msr_hz = 0;
    if (src_hz && (hv_tsc_target_hz > src_hz + src_hz / 4000 ||
                   hv_tsc_target_hz < src_hz - src_hz / 4000)) {
        HvOps loading_ops = hv_ops;

        loading_ops.send_ipi = defer_ipi;
        if (hv_tsc_frequency_changed(&hv_partition, &cpu->hyperv_vp,
                                     &loading_ops)) {
            hv_ops.tsc_frequency_msr_hz = hv_tsc_target_hz;
        } else {
            set_guest_tsc_hz(hv_tsc_target_hz);
        }
    }
    /* Rewrite the TSC page for the rate the guest TSC now runs at */
    hv_tsc_page_update(&hv_partition, &hv_ops);
    return 0;
}

static int hyperv_tsc_clock_pre_save(void *opaque)
{
    uint64_t ticks = cpus_get_elapsed_ticks();

    /* Save the guest TSC itself, not a base in this host's tick units */
    tsc_fast_path_off();
    seqlock_write_begin(&hv_tsc_lock);
    hv_tsc.guest_base = scale_ticks(&hv_tsc, ticks);
    hv_tsc.host_base = ticks;
    seqlock_write_end(&hv_tsc_lock);
    tsc_fast_path_update();
    return 0;
}

static int hyperv_tsc_clock_pre_load(void *opaque)
{
    /* The fields are overwritten as they load */
    tsc_fast_path_off();
    return 0;
}

static int hyperv_tsc_clock_post_load(void *opaque, int version_id)
{
    /*
     * Go on from the saved guest TSC in this host's ticks, which need not
     * continue the source's (loadvm: they have moved on since savevm).
     */
    hv_tsc.host_base = cpus_get_elapsed_ticks();
    tsc_fast_path_update();
    return 0;
}

static const VMStateDescription vmstate_hyperv_tsc_clock = {
    .name = "hyperv-tcg-tsc-clock",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = hyperv_tsc_clock_pre_save,
    .pre_load = hyperv_tsc_clock_pre_load,
    .post_load = hyperv_tsc_clock_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(host_base, HvTscClock),
        VMSTATE_UINT64(guest_base, HvTscClock),
        VMSTATE_UINT64(hz, HvTscClock),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * The synthetic debugger's MSRs.  (The hv-syndbg device itself blocks
 * migration; without it the guest can still program the MSRs.)
 */
static bool hyperv_partition_syndbg_needed(void *opaque)
{
    HvPartition *part = opaque;

    return part->syndbg_control || part->syndbg_status ||
           part->syndbg_send_page || part->syndbg_recv_page ||
           part->syndbg_pending_page || part->syndbg_options;
}

static const VMStateDescription vmstate_hyperv_partition_syndbg = {
    .name = "hyperv-tcg-partition/syndbg",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hyperv_partition_syndbg_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(syndbg_control, HvPartition),
        VMSTATE_UINT64(syndbg_status, HvPartition),
        VMSTATE_UINT64(syndbg_send_page, HvPartition),
        VMSTATE_UINT64(syndbg_recv_page, HvPartition),
        VMSTATE_UINT64(syndbg_pending_page, HvPartition),
        VMSTATE_UINT64(syndbg_options, HvPartition),
        VMSTATE_END_OF_LIST()
    }
};

/* HV_X64_MSR_TSC_INVARIANT_CONTROL (hv-invtsc), once the guest set it */
static bool hyperv_partition_invtsc_needed(void *opaque)
{
    HvPartition *part = opaque;

    return part->invtsc_control != 0;
}

static const VMStateDescription vmstate_hyperv_partition_invtsc = {
    .name = "hyperv-tcg-partition/invtsc",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hyperv_partition_invtsc_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(invtsc_control, HvPartition),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_hyperv_partition = {
    .name = "hyperv-tcg-partition",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = hyperv_partition_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(guest_os_id, HvPartition),
        VMSTATE_UINT64(hypercall, HvPartition),
        VMSTATE_UINT64(reference_tsc, HvPartition),
        VMSTATE_UINT64_ARRAY(crash_params, HvPartition, HV_CRASH_PARAMS),
        VMSTATE_UINT64(crash_ctl, HvPartition),
        VMSTATE_UINT64(reenlightenment_control, HvPartition),
        VMSTATE_UINT64(tsc_emulation_control, HvPartition),
        VMSTATE_UINT64(tsc_emulation_status, HvPartition),
        VMSTATE_INT64(ref_time_offset, HvPartition),
        VMSTATE_UINT32(tsc_sequence, HvPartition),
        VMSTATE_UINT64(tsc_scale, HvPartition),
        VMSTATE_INT64(tsc_offset, HvPartition),
        VMSTATE_UINT32(tsc_last_sequence, HvPartition),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_hyperv_partition_syndbg,
        &vmstate_hyperv_partition_invtsc,
        NULL
    }
};


static int hyperv_tcg_vp_pre_save(void *opaque)
{
    X86CPU *cpu = opaque;

    /* Save the runtime itself, not a base in this thread's clock */
    vp_runtime_anchor(cpu, vp_runtime_ns(cpu));
    return 0;
}

static int hyperv_tcg_vp_post_load(void *opaque, int version_id)
{
    X86CPU *cpu = opaque;

    /* Go on from the saved runtime, whatever this thread's clock says */
    vp_runtime_anchor(cpu, cpu->hyperv_runtime_ns);
    hv_vps_loaded = true;
    return 0;
}

static bool hyperv_tcg_vp_needed(void *opaque)
{
    return hyperv_tcg_active(opaque);
}

const VMStateDescription vmstate_hyperv_tcg_vp = {
    .name = "cpu/hyperv-tcg-vp",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hyperv_tcg_vp_needed,
    .pre_save = hyperv_tcg_vp_pre_save,
    .post_load = hyperv_tcg_vp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(hyperv_vp.vp_index, X86CPU),
        VMSTATE_UINT64(hyperv_vp.vapic_assist, X86CPU),
        VMSTATE_INT64(hyperv_runtime_ns, X86CPU),
        VMSTATE_UINT64(hyperv_vp.scontrol, X86CPU),
        VMSTATE_UINT64(hyperv_vp.siefp, X86CPU),
        VMSTATE_UINT64(hyperv_vp.simp, X86CPU),
        VMSTATE_UINT64_ARRAY(hyperv_vp.sint, X86CPU, HV_SINT_COUNT),
        VMSTATE_UINT64_ARRAY(hyperv_vp.stimer_config, X86CPU,
                             HV_STIMER_COUNT),
        VMSTATE_UINT64_ARRAY(hyperv_vp.stimer_count, X86CPU,
                             HV_STIMER_COUNT),
        VMSTATE_UINT64_ARRAY(hyperv_vp.stimer_exp_time, X86CPU,
                             HV_STIMER_COUNT),
        VMSTATE_UINT32(hyperv_vp.stimer_armed, X86CPU),
        VMSTATE_UINT32(hyperv_vp.stimer_msg_pending, X86CPU),
        VMSTATE_END_OF_LIST()
    }
};

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
    memset(&hv_partition, 0, sizeof(hv_partition));

    /* Without a per-thread CPU clock, the VP runtime counts host ticks */
#ifdef CONFIG_POSIX
    hv_runtime_per_exec = !qemu_tcg_mttcg_enabled();
#else
    hv_runtime_per_exec = true;
#endif
    host_ticks_hz = calibrate_tsc_hz();
    /* With icount, cpu_get_tsc() counts virtual nanoseconds */
    host_tsc_hz = icount_enabled() ? NANOSECONDS_PER_SECOND : host_ticks_hz;
    hv_tsc_target_hz = cpu->hyperv_tcg_tsc_hz ? cpu->hyperv_tcg_tsc_hz
                                               : host_tsc_hz;
    seqlock_init(&hv_tsc_lock);
    tsc_fast_path_off();
    hv_tsc.host_base = cpus_get_elapsed_ticks();
    hv_tsc.guest_base = hv_tsc.host_base;
    hv_tsc.hz = hv_tsc_target_hz;
    tsc_fast_path_update();
    hv_partition.features = cpu->hyperv_features;
    hv_partition.spinlock_attempts = cfg.spinlock_attempts;
    hv_partition.enforce_cpuid = cfg.enforce_cpuid;
    /*
     * The message and event pages are QEMU's own overlay pages (hw/hyperv),
     * kept across enable/disable as with KVM's SynIC: don't clear them.
     */
    hv_partition.synic_keep_pages = true;
    /* AMD and its Hygon derivative call with VMMCALL, Intel with VMCALL */
    hv_partition.vmmcall = IS_AMD_CPU(&cpu->env) ||
                           cpu_is_vendor(cpu, CPUID_VENDOR_HYGON);

    hv_ops = (HvOps) {
        .read_gpa = tcg_read_gpa,
        .write_gpa = tcg_write_gpa,
        .clock_ns = tcg_clock_ns,
        .partition_tsc = tcg_partition_tsc,
        .tsc_hz = hv_tsc_target_hz,
        .tsc_emulation_done = tcg_tsc_emulation_done,
        /* TCG's APIC timer counts QEMU_CLOCK_VIRTUAL nanoseconds */
        .apic_hz = NANOSECONDS_PER_SECOND,
        .vp_runtime = tcg_vp_runtime,
        .apic_eoi = tcg_apic_eoi,
        .apic_icr_write = tcg_apic_icr_write,
        .apic_icr_read = tcg_apic_icr_read,
        .apic_tpr_write = tcg_apic_tpr_write,
        .apic_tpr_read = tcg_apic_tpr_read,
        .reset = tcg_reset,
        .crash = tcg_crash,
        .flush_tlb = tcg_flush_tlb,
        .send_ipi = tcg_send_ipi,
        .long_spin_wait = tcg_long_spin_wait,
        .sint_deliver = tcg_sint_deliver,
        .synic_update = tcg_synic_update,
        .sint_ack = tcg_sint_ack,
        .synic_hypercall = tcg_synic_hypercall,
        .syndbg_send = tcg_syndbg_send,
        .syndbg_recv = tcg_syndbg_recv,
        .syndbg_pending_page = tcg_syndbg_pending_page,
        .syndbg_options = tcg_syndbg_options,
        .syndbg_hypercall = tcg_syndbg_hypercall,
        .stimer_arm = tcg_stimer_arm,
        .stimer_cancel = tcg_stimer_cancel,
    };
    hv_partition_reset(&hv_partition, &hv_ops);
    /* The clock loads before the partition, whose post_load uses it */
    vmstate_register(NULL, 0, &vmstate_hyperv_tsc_clock, &hv_tsc);
    vmstate_register(NULL, 0, &vmstate_hyperv_partition, &hv_partition);
    qemu_register_reset(hyperv_tcg_system_reset, NULL);
    qemu_add_vm_change_state_handler(hyperv_tcg_vm_state_change, NULL);
    hyperv_set_userspace_synic(tcg_set_sint);
    hv_partition_created = true;
}

void hyperv_tcg_vcpu_realize(X86CPU *cpu)
{
    if (!tcg_enabled() || !hyperv_cpu_requested(cpu)) {
        return;
    }
    if (!hv_partition_created) {
        hyperv_tcg_partition_create(cpu);
    }
    /* VP index = vCPU index, as hyperv_vp_index() has it under KVM */
    hv_vp_reset(&cpu->hyperv_vp, CPU(cpu)->cpu_index);
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
    /* Its thread does not run yet: its CPU clock starts from 0 */
    cpu->hyperv_runtime_ns = 0;
    cpu->hyperv_runtime_anchor_ns = 0;
    cpu->hyperv_runtime_ticks = 0;
    cpu->hyperv_runtime_entry_ticks = 0;
    object_property_add_uint64_ptr(OBJECT(cpu), "x-hv-exec-entries",
                                   &cpu->hyperv_exec_entries,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(OBJECT(cpu), "x-hv-runtime-clock-reads",
                                   &cpu->hyperv_runtime_clock_reads,
                                   OBJ_PROP_FLAG_READ);
}

void hyperv_tcg_vcpu_unrealize(X86CPU *cpu)
{
    unsigned i;

    if (!tcg_enabled() || !hyperv_cpu_requested(cpu) ||
        !hv_partition_created) {
        return;
    }
    /*
     * Hot-unplug: the vCPU thread is gone, the X86CPU is about to be.
     * Its timers' callbacks would run on freed memory, and QEMU's SynIC
     * message and event pages would stay mapped over guest RAM.
     */
    hv_stimer_cancel_all(&cpu->hyperv_vp, &hv_ops);
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        timer_free(cpu->hyperv_stimers[i]);
        cpu->hyperv_stimers[i] = NULL;
    }
    hyperv_synic_reset(CPU(cpu));
}

bool hyperv_tcg_apic_auto_eoi(CPUState *cs, int vector)
{
    X86CPU *cpu = X86_CPU(cs);

    return hyperv_tcg_active(cpu) &&
           hv_synic_vector_is_auto_eoi(&cpu->hyperv_vp, vector);
}

void hyperv_tcg_apic_eoi(CPUState *cs, int vector)
{
    X86CPU *cpu = X86_CPU(cs);

    if (hyperv_tcg_active(cpu) &&
        hv_synic_vector_is_sint(&cpu->hyperv_vp, vector)) {
        hv_synic_eoi(&hv_partition, &cpu->hyperv_vp, &hv_ops, vector);
    }
}

bool hyperv_tcg_active(X86CPU *cpu)
{
    /*
     * The partition exists only when Hyper-V was asked for under TCG, and
     * every vCPU has the same -cpu.  Cheap on purpose: the APIC hooks and
     * every RDMSR/WRMSR come through here.
     */
    return hv_partition_created;
}

const HvPartition *hyperv_tcg_partition(void)
{
    return hv_partition_created ? &hv_partition : NULL;
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
    r = hv_msr_read(&hv_partition, &cpu->hyperv_vp, &hv_ops, msr, val);
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
    r = hv_msr_write(&hv_partition, &cpu->hyperv_vp, &hv_ops, msr, val);
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
    if (!hv_hypercalls_enabled(&hv_partition)) {
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
    if (!hv_hypercall(&hv_partition, &cpu->hyperv_vp, &hv_ops, &regs)) {
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
