/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: what a hypercall does to other vCPUs in the TCG backend --
 * PV TLB flushes (HvCallFlushVirtualAddress*), PV IPIs
 * (HvCallSendSyntheticClusterIpi*) and the long spin wait
 * (HvCallNotifyLongSpinWait).
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "cpu.h"
#include "exec/cputlb.h"
#include "hw/core/cpu.h"
#include "hyperv-tcg-internal.h"
#include "trace.h"

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
 * once.
 *
 * HvCallFlushVirtualAddressList names the pages: the caller and each
 * target flush only those (in every address space: TCG's TLB is not
 * tagged by CR3, and flushing more is always allowed), up to
 * FLUSH_MAX_PAGES; beyond that, and for the address-space forms, the whole
 * TLB.  A whole-TLB flush costs the vCPU a refill of every page its
 * kernel and programs touch next, and Linux includes the caller in each
 * flush it asks for (the mm's CPUs): flushing whole TLBs made the PV
 * flush slower than the IPI shootdown it replaces on an idle host.
 */
typedef struct HvFlushRequest HvFlushRequest;

typedef struct HvFlushTarget {
    HvFlushRequest *req;
    CPUState *cs;
    bool flushed;               /* set by the target's thread */
} HvFlushTarget;

/* Pages flushed one by one at most; more and the whole TLB goes */
#define FLUSH_MAX_PAGES 32

typedef struct HvFlushPages {
    bool all;                   /* the whole TLB */
    unsigned n;
    uint64_t va[FLUSH_MAX_PAGES];
} HvFlushPages;

struct HvFlushRequest {
    unsigned refs;              /* the caller + each target not done */
    bool complete;              /* the caller stopped waiting */
    HvFlushPages pages;
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

/*
 * The pages of @n_gvas TLFS GVA ranges (page number in bits 63:12, the
 * number of pages that follow in bits 11:0), or all for @gvas NULL
 */
static void flush_pages_of(HvFlushPages *p, const uint64_t *gvas,
                           unsigned n_gvas)
{
    p->all = !gvas;
    p->n = 0;
    for (unsigned i = 0; i < n_gvas && !p->all; i++) {
        uint64_t va = gvas[i] & ~(uint64_t)0xfff;
        unsigned count = (gvas[i] & 0xfff) + 1;

        if (count > FLUSH_MAX_PAGES - p->n) {
            p->all = true;
            break;
        }
        while (count--) {
            p->va[p->n++] = va;
            va += 0x1000;
        }
    }
}

/* On @cs's own thread */
static void flush_pages(CPUState *cs, const HvFlushPages *p)
{
    if (p->all) {
        tlb_flush(cs);
        return;
    }
    for (unsigned i = 0; i < p->n; i++) {
        tlb_flush_page(cs, p->va[i]);
    }
}

static void flush_tlb_work(CPUState *cs, run_on_cpu_data data)
{
    HvFlushTarget *t = data.host_ptr;
    HvFlushRequest *req = t->req;

    flush_pages(cs, &req->pages);
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
    CPUState *self = CPU(hv_tcg_vp_cpu(caller));
    HvFlushRequest *req;
    HvFlushPages pages;
    unsigned n = 0;
    CPUState *cs;

    trace_hyperv_pv_flush(caller->vp_index, set->all, gvas ? n_gvas : 0);
    flush_pages_of(&pages, gvas, n_gvas);
    CPU_FOREACH(cs) {
        if (hv_vp_set_has(set, X86_CPU(cs)->hyperv_vp.vp_index)) {
            if (cs == self) {
                flush_pages(cs, &pages);
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
    req->pages = pages;
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

void hv_tcg_send_ipi(void *opaque, HvVp *caller, const HvVpSet *set,
                     uint8_t vector)
{
    CPUState *cs;

    trace_hyperv_pv_ipi(caller ? caller->vp_index : UINT32_MAX, vector,
                        set->all);

    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);

        if (hv_vp_set_has(set, cpu->hyperv_vp.vp_index)) {
            hv_tcg_send_fixed_irq(cpu, vector);
        }
    }
}

static void tcg_long_spin_wait(void *opaque, HvVp *caller)
{
    /* Give the lock holder's thread a chance to run */
    bql_unlock();
    sched_yield();
    bql_lock();
}

void hv_tcg_ipi_ops(HvOps *ops)
{
    ops->flush_tlb = tcg_flush_tlb;
    ops->send_ipi = hv_tcg_send_ipi;
    ops->long_spin_wait = tcg_long_spin_wait;
}
