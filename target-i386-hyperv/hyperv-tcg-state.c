/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: migration of the TCG backend's state -- the partition (its
 * own section; the guest TSC clock's is in hyperv-tcg-time.c) and each VP
 * (a subsection of the vCPU), and what has to wait until the loaded VM
 * runs: timers, SINT vectors, an interrupt raised while loading.
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "hw/core/cpu.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "hyperv-tcg-internal.h"

/*
 * The timers re-arm and the SINT vectors are recomputed once the VM runs
 * again: the reference time they need loads with the partition, which may
 * come after this vCPU's state.
 */
static bool hv_vps_loaded;

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
            hv_vp_post_load(&hv_tcg_partition, &X86_CPU(cs)->hyperv_vp,
                            &hv_tcg_ops);
        }
    }
    if (running && hv_deferred_ipi.pending) {
        hv_deferred_ipi.pending = false;
        hv_tcg_send_ipi(NULL, NULL, &hv_deferred_ipi.set,
                        hv_deferred_ipi.vector);
    }
}

static int hyperv_partition_post_load(void *opaque, int version_id)
{
    X86CPU *cpu = X86_CPU(first_cpu);
    uint64_t src_hz = hv_tcg_tsc_clock_hz();

    /*
     * The TSC clock came from the source: the guest TSC continues at the
     * source's rate.  A rate within NTP's 250 ppm of it (two calibrations
     * of the same kind of host) is kept; anything else is a frequency
     * change that the guest hears about through reenlightenment, and TSC
     * emulation keeps the old rate until the guest acknowledges it.
     */
    hv_tcg_ops.tsc_hz = src_hz;
    hv_tcg_ops.tsc_frequency_msr_hz = 0;
    if (src_hz && (hv_tcg_tsc_target_hz > src_hz + src_hz / 4000 ||
                   hv_tcg_tsc_target_hz < src_hz - src_hz / 4000)) {
        HvOps loading_ops = hv_tcg_ops;

        loading_ops.send_ipi = defer_ipi;
        if (hv_tsc_frequency_changed(&hv_tcg_partition, &cpu->hyperv_vp,
                                     &loading_ops)) {
            hv_tcg_ops.tsc_frequency_msr_hz = hv_tcg_tsc_target_hz;
        } else {
            hv_tcg_set_guest_tsc_hz(hv_tcg_tsc_target_hz);
        }
    }
    /* Rewrite the TSC page for the rate the guest TSC now runs at */
    hv_tsc_page_update(&hv_tcg_partition, &hv_tcg_ops);
    return 0;
}

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
    hv_tcg_vp_runtime_pre_save(opaque);
    return 0;
}

static int hyperv_tcg_vp_post_load(void *opaque, int version_id)
{
    hv_tcg_vp_runtime_post_load(opaque);
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

void hv_tcg_state_init(void)
{
    vmstate_register(NULL, 0, &vmstate_hyperv_partition, &hv_tcg_partition);
    qemu_add_vm_change_state_handler(hyperv_tcg_vm_state_change, NULL);
}
