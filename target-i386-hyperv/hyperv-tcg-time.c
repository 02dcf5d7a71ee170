/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: time in the TCG backend -- the guest TSC (scaled to the
 * partition's rate, migrated, reenlightened), the reference time, the VP
 * runtime, and the host timers behind the synthetic timers.
 *
 * Hot paths: every guest RDTSC (hyperv_tcg_guest_tsc(), inline in
 * hyperv-tcg.h) and every cpu_exec() entry and exit
 * (hyperv_tcg_exec_enter/exit) come here; neither takes a lock or makes
 * a system call.
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/host-utils.h"
#include "qemu/seqlock.h"
#include "cpu.h"
#include "hw/core/cpu.h"
#include "migration/vmstate.h"
#include "system/cpu-timers.h"
#include "system/tcg.h"
#include "hyperv-tcg-internal.h"
#include "trace.h"

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
uint64_t hv_tcg_tsc_target_hz;

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

void hv_tcg_vp_runtime_reset(X86CPU *cpu)
{
    /* Its thread does not run yet: its CPU clock starts from 0 */
    cpu->hyperv_runtime_ns = 0;
    cpu->hyperv_runtime_anchor_ns = 0;
    cpu->hyperv_runtime_ticks = 0;
    cpu->hyperv_runtime_entry_ticks = 0;
}

void hv_tcg_vp_runtime_pre_save(X86CPU *cpu)
{
    /* Save the runtime itself, not a base in this thread's clock */
    vp_runtime_anchor(cpu, vp_runtime_ns(cpu));
}

void hv_tcg_vp_runtime_post_load(X86CPU *cpu)
{
    /* Go on from the saved runtime, whatever this thread's clock says */
    vp_runtime_anchor(cpu, cpu->hyperv_runtime_ns);
}

/*
 * cpu_exec() enters / leaves guest code.  A counter for
 * hv-hotpath-test, and the host ticks with one thread for all vCPUs.
 */
void hyperv_tcg_exec_enter(X86CPU *cpu)
{
    if (hv_tcg_created) {
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
    return vp_runtime_ns(hv_tcg_vp_cpu(vp)) / 100;
}

/*
 * Synthetic timers run on QEMU_CLOCK_VIRTUAL, which the reference time
 * follows (both stop with the VM); a timer that fires a little early is
 * re-armed by the core.
 *
 * The host timer fires in the main loop, but the expiration is signaled
 * in the VP's own thread (queued work, under the BQL), as KVM signals it
 * in the vCPU's context: the timer message then lands in the SIM page
 * while that VP runs no guest code, so the slot protocol -- the guest
 * clears message_type, fences, reads MessagePending; the hypervisor sets
 * MessagePending only when it finds the slot full -- cannot interleave
 * with the guest's half on any host memory model (docs/memory-ordering.md).
 */
static void stimer_expired(CPUState *cs, run_on_cpu_data data)
{
    X86CPU *cpu = X86_CPU(cs);
    unsigned index = data.host_int;
    HvVp *vp = &cpu->hyperv_vp;
    uint64_t expirations = vp->stats.stimer_expirations[index];
    uint64_t config = vp->stimer_config[index];
    uint64_t exp_time = vp->stimer_exp_time[index];

    /* Work queued before the VP was torn down (unplug) finds it gone */
    if (!hyperv_tcg_active(cpu)) {
        return;
    }
    hv_stimer_expired(&hv_tcg_partition, vp, &hv_tcg_ops, index);
    if (vp->stats.stimer_expirations[index] != expirations) {
        trace_hyperv_stimer_expired(vp->vp_index, index, config, exp_time,
                                    qemu_cpu_is_self(cs));
        if (!(config & HV_STIMER_DIRECT)) {
            trace_hyperv_stimer_message(
                vp->vp_index, index, HV_STIMER_SINT(config),
                vp->stimer_msg_pending & (1u << index));
        }
    }
}

static void stimer_timer_fired(X86CPU *cpu, unsigned index)
{
    async_run_on_cpu(CPU(cpu), stimer_expired, RUN_ON_CPU_HOST_INT(index));
}

/* One callback per timer index: the QEMUTimer's opaque is the vCPU */
static void stimer0_cb(void *cpu)
{
    stimer_timer_fired(cpu, 0);
}

static void stimer1_cb(void *cpu)
{
    stimer_timer_fired(cpu, 1);
}

static void stimer2_cb(void *cpu)
{
    stimer_timer_fired(cpu, 2);
}

static void stimer3_cb(void *cpu)
{
    stimer_timer_fired(cpu, 3);
}

static QEMUTimerCB *const stimer_cbs[] = {
    stimer0_cb, stimer1_cb, stimer2_cb, stimer3_cb,
};
QEMU_BUILD_BUG_ON(ARRAY_SIZE(stimer_cbs) != HV_STIMER_COUNT);

static void tcg_stimer_arm(void *opaque, HvVp *vp, unsigned index,
                           uint64_t exp_time)
{
    X86CPU *cpu = hv_tcg_vp_cpu(vp);
    uint64_t now = hv_ref_time(&hv_tcg_partition, &hv_tcg_ops);
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
    X86CPU *cpu = hv_tcg_vp_cpu(vp);

    trace_hyperv_stimer_cancel(vp->vp_index, index);
    if (cpu->hyperv_stimers[index]) {
        timer_del(cpu->hyperv_stimers[index]);
    }
}

void hv_tcg_stimers_free(X86CPU *cpu)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        timer_free(cpu->hyperv_stimers[i]);
        cpu->hyperv_stimers[i] = NULL;
    }
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

uint64_t hv_tcg_tsc_clock_hz(void)
{
    return hv_tsc.hz;
}

/* From now on the guest TSC runs at @hz, continuing from its value now */
void hv_tcg_set_guest_tsc_hz(uint64_t hz)
{
    uint64_t ticks = cpus_get_elapsed_ticks();

    tsc_fast_path_off();
    seqlock_write_begin(&hv_tsc_lock);
    hv_tsc.guest_base = scale_ticks(&hv_tsc, ticks);
    hv_tsc.host_base = ticks;
    hv_tsc.hz = hz;
    seqlock_write_end(&hv_tsc_lock);
    tsc_fast_path_update();
    hv_tcg_ops.tsc_hz = hz;
}

/* The guest has taken the new TSC frequency in: stop emulating the old */
static void tcg_tsc_emulation_done(void *opaque)
{
    hv_tcg_set_guest_tsc_hz(hv_tcg_tsc_target_hz);
    hv_tcg_ops.tsc_frequency_msr_hz = 0;
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

void hv_tcg_time_init(X86CPU *cpu)
{
    /* Without a per-thread CPU clock, the VP runtime counts host ticks */
#ifdef CONFIG_POSIX
    hv_runtime_per_exec = !qemu_tcg_mttcg_enabled();
#else
    hv_runtime_per_exec = true;
#endif
    host_ticks_hz = calibrate_tsc_hz();
    /* With icount, cpu_get_tsc() counts virtual nanoseconds */
    host_tsc_hz = icount_enabled() ? NANOSECONDS_PER_SECOND : host_ticks_hz;
    hv_tcg_tsc_target_hz = cpu->hyperv_tcg_tsc_hz ? cpu->hyperv_tcg_tsc_hz
                                                   : host_tsc_hz;
    seqlock_init(&hv_tsc_lock);
    tsc_fast_path_off();
    hv_tsc.host_base = cpus_get_elapsed_ticks();
    hv_tsc.guest_base = hv_tsc.host_base;
    hv_tsc.hz = hv_tcg_tsc_target_hz;
    tsc_fast_path_update();
    /* The clock loads before the partition, whose post_load uses it */
    vmstate_register(NULL, 0, &vmstate_hyperv_tsc_clock, &hv_tsc);
}

void hv_tcg_time_ops(HvOps *ops)
{
    ops->clock_ns = tcg_clock_ns;
    ops->partition_tsc = tcg_partition_tsc;
    ops->tsc_hz = hv_tcg_tsc_target_hz;
    ops->tsc_emulation_done = tcg_tsc_emulation_done;
    ops->vp_runtime = tcg_vp_runtime;
    ops->stimer_arm = tcg_stimer_arm;
    ops->stimer_cancel = tcg_stimer_cancel;
}
