/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: what the files of the TCG backend share.  The rest of QEMU
 * uses hyperv-tcg.h.
 *
 *   hyperv-tcg.c         the partition: creation, VPs, guest memory
 *                        (hyperv-gpa.c's), reset and crash, the MSR
 *                        and hypercall entries
 *   hyperv-tcg-time.c    the guest TSC, reference time, VP runtime and
 *                        the synthetic timers' host timers
 *   hyperv-tcg-apic.c    the local APICs: enlightened APIC MSRs, fixed
 *                        interrupts, the SynIC's EOI and AutoEOI hooks
 *   hyperv-tcg-ipi.c     other vCPUs: PV TLB flush, PV IPI, long spin
 *                        wait
 *   hyperv-tcg-synic.c   hw/hyperv: SynIC pages and SINT routes, the
 *                        synthetic debugger device
 *   hyperv-tcg-state.c   vmstate of the partition and the VPs, and what
 *                        waits for the VM to run after loading
 *
 * Each of them fills its callbacks into the partition's HvOps.
 */

#ifndef TARGET_I386_HYPERV_HYPERV_TCG_INTERNAL_H
#define TARGET_I386_HYPERV_HYPERV_TCG_INTERNAL_H

#include "cpu.h"
#include "hyperv-tcg.h"

/* The one partition QEMU serves and its callbacks (hyperv-tcg.c) */
extern HvPartition hv_tcg_partition;
extern HvOps hv_tcg_ops;
/* Set once the partition exists: Hyper-V was asked for under TCG */
extern bool hv_tcg_created;

static inline X86CPU *hv_tcg_vp_cpu(HvVp *vp)
{
    return container_of(vp, X86CPU, hyperv_vp);
}

/* hyperv-tcg-time.c */
void hv_tcg_time_init(X86CPU *cpu);
void hv_tcg_time_ops(HvOps *ops);
/* The rate this host wants the guest TSC at, applied after emulation */
extern uint64_t hv_tcg_tsc_target_hz;
/* The rate the guest TSC runs at now (a migration source's, or ours) */
uint64_t hv_tcg_tsc_clock_hz(void);
void hv_tcg_set_guest_tsc_hz(uint64_t hz);
void hv_tcg_vp_runtime_reset(X86CPU *cpu);
void hv_tcg_vp_runtime_pre_save(X86CPU *cpu);
void hv_tcg_vp_runtime_post_load(X86CPU *cpu);
void hv_tcg_stimers_free(X86CPU *cpu);

/* hyperv-tcg-apic.c */
void hv_tcg_apic_ops(HvOps *ops);
void hv_tcg_send_fixed_irq(X86CPU *cpu, uint8_t vector);

/* hyperv-tcg-ipi.c */
void hv_tcg_ipi_ops(HvOps *ops);
void hv_tcg_send_ipi(void *opaque, HvVp *caller, const HvVpSet *set,
                     uint8_t vector);

/* hyperv-tcg-synic.c */
void hv_tcg_synic_ops(HvOps *ops);
/* hw/hyperv's SINT routes raise SINTs through the partition from now on */
void hv_tcg_synic_init(void);

/* hyperv-tcg-state.c: registers the partition's vmstate */
void hv_tcg_state_init(void);

#endif
