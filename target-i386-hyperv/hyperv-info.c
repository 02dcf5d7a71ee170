/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: introspection -- QMP query-hyperv and HMP info hyperv.
 *
 * Per vCPU: what implements its Hyper-V enlightenments, the hv-*
 * features, VP index, guest OS ID, hypercall page, reference TSC page,
 * SynIC, synthetic timers, crash and reenlightenment MSRs, and the
 * statistics of the core (HvVpStats).  Under TCG the values come from the
 * core's partition and VP state; under KVM from QEMU's copy of the
 * kernel's MSRs (env->msr_hv_*) after cpu_synchronize_state(), and there
 * are no counters: the kernel keeps none that QEMU could read.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-misc-target.h"
#include "monitor/monitor.h"
#include "monitor/hmp-target.h"
#include "hw/core/cpu.h"
#include "hw/hyperv/hyperv.h"
#include "system/hw_accel.h"
#include "system/kvm.h"
#include "cpu.h"
#include "hyperv-cpu.h"
#include "hyperv-ext-hypercall.h"
#include "hyperv-tcg.h"

/* What the info is taken from: the TCG core, or QEMU's KVM MSR copies */
typedef struct HvSource {
    const HvPartition *part;    /* TCG */
    const HvVp *vp;             /* TCG */
    const CPUX86State *env;     /* KVM */
} HvSource;

static HyperVBackend vcpu_backend(X86CPU *cpu)
{
    if (!hyperv_cpu_requested(cpu)) {
        return HYPER_V_BACKEND_NONE;
    }
    if (hyperv_tcg_partition()) {
        return HYPER_V_BACKEND_TCG;
    }
    return kvm_enabled() ? HYPER_V_BACKEND_KVM : HYPER_V_BACKEND_NONE;
}

static HyperVTscPage *tsc_page_info(const HvSource *src)
{
    HyperVTscPage *t = g_new0(HyperVTscPage, 1);

    t->msr = src->part ? src->part->reference_tsc : src->env->msr_hv_tsc;
    t->enabled = t->msr & HV_REFERENCE_TSC_ENABLE;
    t->gpa = t->msr & HV_PAGE_MASK;
    if (src->part) {
        t->has_sequence = t->has_scale = t->has_offset = true;
        t->sequence = src->part->tsc_sequence;
        t->scale = src->part->tsc_scale;
        t->offset = src->part->tsc_offset;
    }
    return t;
}

static HyperVSynic *synic_info(const HvSource *src)
{
    HyperVSynic *s = g_new0(HyperVSynic, 1);
    HyperVSintList **tail = &s->sints;
    unsigned i;

    if (src->vp) {
        s->scontrol = src->vp->scontrol;
        s->simp = src->vp->simp;
        s->siefp = src->vp->siefp;
    } else {
        s->scontrol = src->env->msr_hv_synic_control;
        s->simp = src->env->msr_hv_synic_msg_page;
        s->siefp = src->env->msr_hv_synic_evt_page;
    }
    s->enabled = s->scontrol & HV_SYNIC_ENABLE;
    for (i = 0; i < HV_SINT_COUNT; i++) {
        HyperVSint *sint = g_new0(HyperVSint, 1);
        uint64_t raw = src->vp ? src->vp->sint[i]
                               : src->env->msr_hv_synic_sint[i];

        sint->sint = i;
        sint->raw = raw;
        sint->vector = raw & HV_SINT_VECTOR_MASK;
        sint->masked = raw & HV_SINT_MASKED;
        sint->auto_eoi = raw & HV_SINT_AUTO_EOI;
        sint->polling = raw & HV_SINT_POLLING;
        if (src->vp) {
            sint->has_deliveries = true;
            sint->deliveries = src->vp->stats.sint_deliveries[i];
        }
        QAPI_LIST_APPEND(tail, sint);
    }
    return s;
}

static HyperVStimerList *stimers_info(const HvSource *src)
{
    HyperVStimerList *list = NULL, **tail = &list;
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        HyperVStimer *t = g_new0(HyperVStimer, 1);
        uint64_t config;

        t->index = i;
        if (src->vp) {
            config = src->vp->stimer_config[i];
            t->count = src->vp->stimer_count[i];
        } else {
            config = src->env->msr_hv_stimer_config[i];
            t->count = src->env->msr_hv_stimer_count[i];
        }
        t->config = config;
        t->enabled = config & HV_STIMER_ENABLE;
        t->periodic = config & HV_STIMER_PERIODIC;
        t->direct = config & HV_STIMER_DIRECT;
        t->apic_vector = HV_STIMER_APIC_VECTOR(config);
        t->sint = HV_STIMER_SINT(config);
        if (src->vp) {
            t->has_armed = t->has_message_pending = true;
            t->armed = src->vp->stimer_armed & (1u << i);
            t->message_pending = src->vp->stimer_msg_pending & (1u << i);
            if (t->armed || t->message_pending) {
                t->has_expiration = true;
                t->expiration = src->vp->stimer_exp_time[i];
            }
            t->has_expirations = t->has_missed = true;
            t->expirations = src->vp->stats.stimer_expirations[i];
            t->missed = src->vp->stimer_missed[i];
        }
        QAPI_LIST_APPEND(tail, t);
    }
    return list;
}

static HyperVCounters *counters_info(const HvVp *vp)
{
    HyperVCounters *c = g_new0(HyperVCounters, 1);
    HyperVHypercallCountList **tail = &c->hypercalls_by_call;
    unsigned i;

    c->hypercalls = vp->stats.hypercalls;
    c->hypercall_errors = vp->stats.hypercall_errors;
    for (i = 0; i < HV_STAT_CALL_COUNT; i++) {
        HyperVHypercallCount *h = g_new0(HyperVHypercallCount, 1);

        h->call = g_strdup(hv_stat_call_name(i));
        h->code = hv_stat_call_code(i);
        h->count = vp->stats.hypercalls_by_call[i];
        QAPI_LIST_APPEND(tail, h);
    }
    for (i = 0; i < HV_SINT_COUNT; i++) {
        c->sint_deliveries += vp->stats.sint_deliveries[i];
    }
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        c->stimer_expirations += vp->stats.stimer_expirations[i];
    }
    c->msr_reads = vp->stats.msr_reads;
    c->msr_writes = vp->stats.msr_writes;
    return c;
}

static HyperVVcpuInfo *vcpu_info(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    HyperVVcpuInfo *info = g_new0(HyperVVcpuInfo, 1);
    strList **features = &info->features;
    HvSource src = { 0 };
    unsigned i;

    info->cpu_index = cs->cpu_index;
    info->qom_path = object_get_canonical_path(OBJECT(cs));
    info->backend = vcpu_backend(cpu);
    for (i = 0; i < HYPERV_FEAT_COUNT; i++) {
        if (cpu->hyperv_features & HV_FEAT_BIT(i)) {
            QAPI_LIST_APPEND(features, g_strdup(hv_features[i].prop));
        }
    }
    if (info->backend == HYPER_V_BACKEND_NONE) {
        return info;
    }
    if (info->backend == HYPER_V_BACKEND_TCG) {
        src.part = hyperv_tcg_partition();
        src.vp = &cpu->hyperv_vp;
    } else {
        cpu_synchronize_state(cs);
        src.env = &cpu->env;
    }

    info->has_vp_index = info->has_guest_os_id = info->has_hypercall = true;
    if (src.part) {
        info->vp_index = src.vp->vp_index;
        info->guest_os_id = src.part->guest_os_id;
        info->hypercall = src.part->hypercall;
    } else {
        info->vp_index = hyperv_vp_index(cs);
        info->guest_os_id = src.env->msr_hv_guest_os_id;
        info->hypercall = src.env->msr_hv_hypercall;
    }
    if (info->hypercall & HV_HYPERCALL_ENABLE) {
        info->has_hypercall_page = true;
        info->hypercall_page = info->hypercall & HV_PAGE_MASK;
    }
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_VAPIC)) {
        info->has_vp_assist = true;
        info->vp_assist = src.vp ? src.vp->vapic_assist
                                 : src.env->msr_hv_vapic;
    }
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_TIME)) {
        info->tsc_page = tsc_page_info(&src);
    }
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_SYNIC)) {
        info->synic = synic_info(&src);
    }
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_STIMER)) {
        info->has_stimers = true;
        info->stimers = stimers_info(&src);
    }
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_CRASH)) {
        uint64List **tail = &info->crash_params;

        info->has_crash_params = true;
        for (i = 0; i < HV_CRASH_PARAMS; i++) {
            QAPI_LIST_APPEND(tail, src.part ? src.part->crash_params[i]
                                            : src.env->msr_hv_crash_params[i]);
        }
    }
    if (hyperv_feat_enabled(cpu, HYPERV_FEAT_REENLIGHTENMENT)) {
        HyperVReenlightenment *r = g_new0(HyperVReenlightenment, 1);

        if (src.part) {
            r->control = src.part->reenlightenment_control;
            r->tsc_emulation_control = src.part->tsc_emulation_control;
            r->tsc_emulation_status = src.part->tsc_emulation_status;
        } else {
            r->control = src.env->msr_hv_reenlightenment_control;
            r->tsc_emulation_control = src.env->msr_hv_tsc_emulation_control;
            r->tsc_emulation_status = src.env->msr_hv_tsc_emulation_status;
        }
        info->reenlightenment = r;
    }
    if (src.vp) {
        info->counters = counters_info(src.vp);
    }
    return info;
}

/*
 * The extended hypercalls, partition-wide and the same under either
 * accelerator (hyperv-ext-hypercall.c)
 */
static HyperVExtHypercalls *ext_hypercalls_info(void)
{
    const HvExtStats *st = hyperv_ext_stats();
    HyperVExtHypercalls *e = g_new0(HyperVExtHypercalls, 1);
    HvOps ops = { 0 };

    hyperv_ext_hypercall_ops(&ops);
    e->cold_discard = hv_ext_capabilities(&ops) &
                      HV_EXT_CAPABILITY_MEMORY_COLD_DISCARD_HINT;
    e->heat_hints = st->heat_hints;
    e->discarded_bytes = st->discarded_bytes;
    e->dropped_bytes = st->dropped_bytes;
    e->boot_zeroed_calls = st->boot_zeroed_calls;
    e->boot_zeroed_pages = st->boot_zeroed_pages;
    return e;
}

HyperVInfo *qmp_query_hyperv(Error **errp)
{
    HyperVInfo *info = g_new0(HyperVInfo, 1);
    HyperVVcpuInfoList **tail = &info->vcpus;
    bool ext = false;
    CPUState *cs;

    CPU_FOREACH(cs) {
        HyperVVcpuInfo *v = vcpu_info(cs);

        if (v->backend != HYPER_V_BACKEND_NONE) {
            info->enabled = true;
            if (X86_CPU(cs)->hyperv_features &
                HV_FEAT_BIT(HYPERV_FEAT_EXT_HYPERCALLS)) {
                ext = true;
            }
        }
        QAPI_LIST_APPEND(tail, v);
    }
    if (ext) {
        info->ext_hypercalls = ext_hypercalls_info();
    }
    return info;
}

static void print_sint(Monitor *mon, const HyperVSint *s)
{
    monitor_printf(mon, "    SINT%-2u 0x%08" PRIx64 ": vector 0x%02x%s%s%s",
                   s->sint, s->raw, s->vector, s->masked ? " masked" : "",
                   s->auto_eoi ? " auto-eoi" : "",
                   s->polling ? " polling" : "");
    if (s->has_deliveries) {
        monitor_printf(mon, ", %" PRIu64 " deliveries", s->deliveries);
    }
    monitor_printf(mon, "\n");
}

static void print_stimer(Monitor *mon, const HyperVStimer *t)
{
    monitor_printf(mon, "  stimer%u: config 0x%" PRIx64 " count %" PRIu64
                   " (%s%s, ", t->index, t->config, t->count,
                   t->enabled ? "enabled" : "disabled",
                   t->periodic ? " periodic" : " one-shot");
    if (t->direct) {
        monitor_printf(mon, "direct vector 0x%02x)", t->apic_vector);
    } else {
        monitor_printf(mon, "SINT%u)", t->sint);
    }
    if (t->has_armed && t->armed) {
        monitor_printf(mon, ", armed for %" PRIu64, t->expiration);
    }
    if (t->has_message_pending && t->message_pending) {
        monitor_printf(mon, ", message pending for %" PRIu64, t->expiration);
    }
    if (t->has_expirations) {
        monitor_printf(mon, ", %" PRIu64 " expirations, %" PRIu64 " missed",
                       t->expirations, t->missed);
    }
    monitor_printf(mon, "\n");
}

static void print_vcpu(Monitor *mon, const HyperVVcpuInfo *v)
{
    const strList *f;
    const HyperVStimerList *t;
    const HyperVSintList *s;
    const HyperVHypercallCountList *h;
    const uint64List *p;
    unsigned i;

    monitor_printf(mon, "CPU #%" PRId64 " (%s): Hyper-V %s\n", v->cpu_index,
                   v->qom_path,
                   v->backend == HYPER_V_BACKEND_NONE ? "off" :
                   v->backend == HYPER_V_BACKEND_TCG ? "by QEMU (TCG)"
                                                     : "by the kernel (KVM)");
    monitor_printf(mon, "  features:");
    for (f = v->features; f; f = f->next) {
        monitor_printf(mon, " %s", f->value);
    }
    monitor_printf(mon, "%s\n", v->features ? "" : " none");
    if (v->backend == HYPER_V_BACKEND_NONE) {
        return;
    }
    monitor_printf(mon, "  VP index %" PRIu32 "\n", v->vp_index);
    monitor_printf(mon, "  guest OS ID 0x%016" PRIx64 "\n", v->guest_os_id);
    monitor_printf(mon, "  hypercall MSR 0x%016" PRIx64, v->hypercall);
    if (v->has_hypercall_page) {
        monitor_printf(mon, ": page at 0x%" PRIx64 "\n", v->hypercall_page);
    } else {
        monitor_printf(mon, ": page disabled\n");
    }
    if (v->has_vp_assist) {
        monitor_printf(mon, "  VP assist page MSR 0x%016" PRIx64 "\n",
                       v->vp_assist);
    }
    if (v->tsc_page) {
        monitor_printf(mon, "  TSC page MSR 0x%016" PRIx64 ": %s",
                       v->tsc_page->msr,
                       v->tsc_page->enabled ? "enabled" : "disabled");
        if (v->tsc_page->enabled) {
            monitor_printf(mon, " at 0x%" PRIx64, v->tsc_page->gpa);
        }
        if (v->tsc_page->has_sequence) {
            monitor_printf(mon, ", sequence %" PRIu32 " scale 0x%016" PRIx64
                           " offset %" PRId64, v->tsc_page->sequence,
                           v->tsc_page->scale, v->tsc_page->offset);
        }
        monitor_printf(mon, "\n");
    }
    if (v->synic) {
        monitor_printf(mon, "  SynIC %s: SCONTROL 0x%" PRIx64 " SIMP 0x%"
                       PRIx64 " SIEFP 0x%" PRIx64 "\n",
                       v->synic->enabled ? "enabled" : "disabled",
                       v->synic->scontrol, v->synic->simp, v->synic->siefp);
        for (s = v->synic->sints; s; s = s->next) {
            print_sint(mon, s->value);
        }
    }
    for (t = v->stimers; t; t = t->next) {
        print_stimer(mon, t->value);
    }
    if (v->crash_params) {
        monitor_printf(mon, "  crash");
        for (p = v->crash_params, i = 0; p; p = p->next, i++) {
            monitor_printf(mon, " P%u 0x%" PRIx64, i, p->value);
        }
        monitor_printf(mon, "\n");
    }
    if (v->reenlightenment) {
        monitor_printf(mon, "  reenlightenment control 0x%" PRIx64
                       ", TSC emulation control 0x%" PRIx64 " status 0x%"
                       PRIx64 "\n", v->reenlightenment->control,
                       v->reenlightenment->tsc_emulation_control,
                       v->reenlightenment->tsc_emulation_status);
    }
    if (!v->counters) {
        monitor_printf(mon, "  counters: none under KVM (the kernel "
                       "implements Hyper-V; the values above are QEMU's "
                       "copy of its MSRs)\n");
        return;
    }
    monitor_printf(mon, "  counters: %" PRIu64 " hypercalls (%" PRIu64
                   " failed), %" PRIu64 " SINT deliveries, %" PRIu64
                   " stimer expirations, %" PRIu64 " MSR reads, %" PRIu64
                   " MSR writes\n", v->counters->hypercalls,
                   v->counters->hypercall_errors,
                   v->counters->sint_deliveries,
                   v->counters->stimer_expirations, v->counters->msr_reads,
                   v->counters->msr_writes);
    for (h = v->counters->hypercalls_by_call; h; h = h->next) {
        monitor_printf(mon, "    %s: %" PRIu64 "\n", h->value->call,
                       h->value->count);
    }
}

void hmp_info_hyperv(Monitor *mon, const QDict *qdict)
{
    g_autoptr(HyperVInfo) info = qmp_query_hyperv(NULL);
    const HyperVVcpuInfoList *v;

    if (!info->enabled) {
        monitor_printf(mon, "No Hyper-V: no vCPU has an hv-* enlightenment"
                       "\n");
        return;
    }
    for (v = info->vcpus; v; v = v->next) {
        print_vcpu(mon, v->value);
    }
    if (info->ext_hypercalls) {
        const HyperVExtHypercalls *e = info->ext_hypercalls;

        monitor_printf(mon, "Extended hypercalls: cold discard %s, %" PRIu64
                       " ranges hinted, %" PRIu64 " KiB discarded, %" PRIu64
                       " KiB dropped; boot-zeroed memory asked %" PRIu64
                       " times, last answer %" PRIu64 " pages\n",
                       e->cold_discard ? "offered" : "not offered",
                       e->heat_hints, e->discarded_bytes >> 10,
                       e->dropped_bytes >> 10, e->boot_zeroed_calls,
                       e->boot_zeroed_pages);
    }
}
