/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: hw/hyperv in the TCG backend -- QEMU's SynIC half (message
 * and event-flag overlay pages, SINT routes of VMBus and hyperv-testdev,
 * HvPostMessage and HvSignalEvent) and the hv-syndbg device.
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "cpu.h"
#include "hw/core/cpu.h"
#include "hw/hyperv/hyperv.h"
#include "kvm/hyperv.h"
#include "hyperv-tcg-internal.h"
#include "trace.h"

static void tcg_sint_deliver(void *opaque, HvVp *vp, uint8_t vector,
                             bool auto_eoi)
{
    trace_hyperv_sint_deliver(vp->vp_index, vector, auto_eoi);
    /* AutoEOI is applied when the APIC accepts it (hyperv_tcg_apic_*) */
    hv_tcg_send_fixed_irq(hv_tcg_vp_cpu(vp), vector);
}

/* Map QEMU's message and event-flag pages where the guest put them */
static void tcg_synic_update(void *opaque, HvVp *vp)
{
    hyperv_synic_update(CPU(hv_tcg_vp_cpu(vp)), vp->scontrol & HV_SYNIC_ENABLE,
                        (vp->simp & HV_SIMP_ENABLE) ?
                        (vp->simp & HV_PAGE_MASK) : 0,
                        (vp->siefp & HV_SIEFP_ENABLE) ?
                        (vp->siefp & HV_PAGE_MASK) : 0);
}

static void tcg_sint_ack(void *opaque, HvVp *vp, uint32_t sint)
{
    trace_hyperv_sint_ack(vp->vp_index, sint);
    hyperv_sint_ack(CPU(hv_tcg_vp_cpu(vp)), sint);
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
    ret = hv_synic_set_sint(&hv_tcg_partition, &cpu->hyperv_vp, &hv_tcg_ops,
                            sint);
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

void hv_tcg_synic_ops(HvOps *ops)
{
    ops->sint_deliver = tcg_sint_deliver;
    ops->synic_update = tcg_synic_update;
    ops->sint_ack = tcg_sint_ack;
    ops->synic_hypercall = tcg_synic_hypercall;
    ops->syndbg_send = tcg_syndbg_send;
    ops->syndbg_recv = tcg_syndbg_recv;
    ops->syndbg_pending_page = tcg_syndbg_pending_page;
    ops->syndbg_options = tcg_syndbg_options;
    ops->syndbg_hypercall = tcg_syndbg_hypercall;
}

void hv_tcg_synic_init(void)
{
    hyperv_set_userspace_synic(tcg_set_sint);
}
