/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: what the files of the Hyper-V core share among themselves
 * and nobody else uses (the glue includes hv-core.h only).
 */

#ifndef TARGET_I386_HYPERV_HV_INTERNAL_H
#define TARGET_I386_HYPERV_HV_INTERNAL_H

#include "hv-core.h"

/* Guest memory is little-endian whatever the host is */
static inline void hv_st32_le(uint8_t *p, uint32_t v)
{
    int i;

    for (i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

static inline void hv_st64_le(uint8_t *p, uint64_t v)
{
    hv_st32_le(p, v);
    hv_st32_le(p + 4, v >> 32);
}

static inline uint32_t hv_ld32_le(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t hv_ld64_le(const uint8_t *p)
{
    return hv_ld32_le(p) | (uint64_t)hv_ld32_le(p + 4) << 32;
}

static inline bool hv_read_gpa(const HvOps *ops, uint64_t gpa, void *buf,
                               uint64_t len)
{
    return ops->read_gpa && ops->read_gpa(ops->opaque, gpa, buf, len);
}

static inline bool hv_write_gpa(const HvOps *ops, uint64_t gpa,
                                const void *buf, uint64_t len)
{
    return ops->write_gpa && ops->write_gpa(ops->opaque, gpa, buf, len);
}

/*
 * Order the core's writes into guest pages that the guest reads while
 * it runs, possibly on another host CPU (the TSC page on every vCPU; a
 * message slot, should a glue post from outside the VP's thread): the
 * glue's read_gpa / write_gpa are plain loads and stores of guest RAM,
 * which a weakly-ordered host (arm64) may reorder.  C11 fences, so the
 * core needs nothing from QEMU; docs/memory-ordering.md has the argument.
 */
static inline void hv_smp_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void hv_smp_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* SynIC MSRs 0x40000080-0x40000084 and 0x40000090-0x4000009F (hv-synic.c) */
HvMsrResult hv_synic_msr_read(HvPartition *part, HvVp *vp, const HvOps *ops,
                              uint32_t msr, uint64_t *val);
HvMsrResult hv_synic_msr_write(HvPartition *part, HvVp *vp, const HvOps *ops,
                               uint32_t msr, uint64_t val);

/*
 * Does SINT @sint's message slot of @vp hold a message right now?  (False
 * when the SynIC or its message page is off, or the page is not RAM.)
 */
bool hv_synic_slot_busy(HvVp *vp, const HvOps *ops, uint32_t sint);

/* Synthetic timer MSRs 0x400000B0-0x400000B7 (hv-stimer.c) */
HvMsrResult hv_stimer_msr_read(HvPartition *part, HvVp *vp, const HvOps *ops,
                               uint32_t msr, uint64_t *val);
HvMsrResult hv_stimer_msr_write(HvPartition *part, HvVp *vp,
                                const HvOps *ops, uint32_t msr, uint64_t val);

/* SINT @sint was acknowledged: retry the timer messages queued for it */
void hv_stimer_sint_acked(HvPartition *part, HvVp *vp, const HvOps *ops,
                          uint32_t sint);

/* The message page may have become usable: retry every queued message */
void hv_stimer_retry_pending(HvPartition *part, HvVp *vp, const HvOps *ops);

#endif
