/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the QEMU side of the extended hypercalls (hv-ext-hypercalls)
 * for both accelerators: guest RAM discarded on a cold discard hint, and
 * the guest RAM that reads as zero (hyperv-ext-hypercall.c).
 */

#ifndef TARGET_I386_HYPERV_HYPERV_EXT_HYPERCALL_H
#define TARGET_I386_HYPERV_HYPERV_EXT_HYPERCALL_H

#include "hv-core.h"

typedef struct ArchCPU X86CPU;

/* Fill in the extended hypercalls' HvOps (the TCG partition's, or KVM's) */
void hyperv_ext_hypercall_ops(HvOps *ops);

/*
 * KVM_EXIT_HYPERV_HCALL of an extended hypercall (hv_ext_hypercall_code())
 * on @cpu: the result value for the guest
 */
uint64_t hyperv_ext_hypercall_kvm(X86CPU *cpu, uint64_t control,
                                  uint64_t ingpa, uint64_t outgpa);

/* What the extended hypercalls did, for query-hyperv / info hyperv */
typedef struct HvExtStats {
    uint64_t heat_hints;            /* ranges hinted (every type) */
    uint64_t discarded_bytes;       /* cold discards done */
    uint64_t dropped_bytes;         /* cold discards the host could not do */
    uint64_t boot_zeroed_calls;
    uint64_t boot_zeroed_pages;     /* pages in the last answer */
} HvExtStats;

const HvExtStats *hyperv_ext_stats(void);

#endif
