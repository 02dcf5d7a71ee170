/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the local APICs in the TCG backend -- the enlightened
 * APIC MSRs (EOI, ICR, TPR), fixed interrupts for SINTs and PV IPIs, and
 * the APIC's hooks for SynIC AutoEOI and EOI (hw/intc/apic.c).
 *
 * Hot paths: the two hooks run for every interrupt the APIC accepts and
 * every EOI, with or without a SynIC: a flag and a bitmap test.
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "hw/core/cpu.h"
#include "hw/i386/apic.h"
#include "hw/i386/apic_internal.h"
#include "hw/pci/msi.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hyperv-tcg-internal.h"

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
    apic_reg_write(hv_tcg_vp_cpu(vp), 0x0b, 0);
}

static bool tcg_apic_icr_write(void *opaque, HvVp *vp, uint64_t icr)
{
    return apic_reg_write(hv_tcg_vp_cpu(vp), 0x30, icr);
}

static uint64_t tcg_apic_icr_read(void *opaque, HvVp *vp)
{
    return apic_reg_read(hv_tcg_vp_cpu(vp), 0x30);
}

static bool tcg_apic_tpr_write(void *opaque, HvVp *vp, uint64_t tpr)
{
    return apic_reg_write(hv_tcg_vp_cpu(vp), 0x08, tpr & 0xff);
}

static uint64_t tcg_apic_tpr_read(void *opaque, HvVp *vp)
{
    return apic_reg_read(hv_tcg_vp_cpu(vp), 0x08);
}

/* A fixed, edge-triggered interrupt to one vCPU's APIC */
void hv_tcg_send_fixed_irq(X86CPU *cpu, uint8_t vector)
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
        hv_synic_eoi(&hv_tcg_partition, &cpu->hyperv_vp, &hv_tcg_ops, vector);
    }
}

void hv_tcg_apic_ops(HvOps *ops)
{
    /* TCG's APIC timer counts QEMU_CLOCK_VIRTUAL nanoseconds */
    ops->apic_hz = NANOSECONDS_PER_SECOND;
    ops->apic_eoi = tcg_apic_eoi;
    ops->apic_icr_write = tcg_apic_icr_write;
    ops->apic_icr_read = tcg_apic_icr_read;
    ops->apic_tpr_write = tcg_apic_tpr_write;
    ops->apic_tpr_read = tcg_apic_tpr_read;
}
