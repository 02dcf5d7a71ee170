/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the synthetic interrupt controller (SynIC) of each VP: its
 * MSRs, signaling a SINT, AutoEOI bookkeeping, end of message and EOI
 * acknowledgement, and the message slot and event flag protocols.
 *
 * Semantics are the TLFS's ("Inter-Partition Communication", "SynIC
 * MSRs"); where it is silent, Linux KVM's arch/x86/kvm/hyperv.c decides
 * (each such place says so).  The message and event flags pages may be
 * the glue's overlay pages (QEMU's hw/hyperv/hyperv.c keeps them so): the
 * core only reaches them through HvOps.read_gpa / write_gpa, after telling
 * the glue where they are (HvOps.synic_update).
 */

#include <string.h>

#include "hv-internal.h"

/*
 * The reserved bits of SCONTROL, SIEFP, SIMP and the SINTs are
 * reserve-preserve (TLFS): KVM stores what the guest writes and reads it
 * back, and so does this core; nothing looks at them.
 */

/* TLFS: "Valid values for vector are 16-255 inclusive" */
#define SINT_FIRST_VALID_VECTOR 16

/* struct hyperv_message in the message page: 16-byte header, payload */
#define MSG_SLOT_SIZE           256
#define MSG_TYPE_OFFSET         0
#define MSG_SIZE_OFFSET         4
#define MSG_FLAGS_OFFSET        5
#define MSG_PAYLOAD_OFFSET      16

/* One 2048-bit event flags bitmap per SINT */
#define EVENT_SLOT_SIZE         (HV_EVENT_FLAGS_COUNT / 8)

static bool synic_on(const HvVp *vp)
{
    return vp->scontrol & HV_SYNIC_ENABLE;
}

static uint8_t sint_vector(uint64_t sint)
{
    return sint & HV_SINT_VECTOR_MASK;
}

/* Does this SINT raise interrupts (unmasked, not in polling mode)? */
static bool sint_interrupts(uint64_t sint)
{
    return !(sint & (HV_SINT_MASKED | HV_SINT_POLLING));
}

static bool test_vector(const uint64_t *bitmap, uint8_t vector)
{
    return (bitmap[vector / 64] >> (vector % 64)) & 1;
}

void hv_synic_update_vectors(HvVp *vp)
{
    int i;

    memset(vp->sint_vectors, 0, sizeof(vp->sint_vectors));
    memset(vp->auto_eoi_vectors, 0, sizeof(vp->auto_eoi_vectors));
    for (i = 0; i < HV_SINT_COUNT; i++) {
        uint64_t sint = vp->sint[i];
        uint8_t vector = sint_vector(sint);

        /*
         * Several SINTs may share a vector (KVM keeps the same two
         * bitmaps): it is AutoEOI when any of them says so.
         */
        if (!sint_interrupts(sint) || vector < SINT_FIRST_VALID_VECTOR) {
            continue;
        }
        vp->sint_vectors[vector / 64] |= 1ull << (vector % 64);
        if (sint & HV_SINT_AUTO_EOI) {
            vp->auto_eoi_vectors[vector / 64] |= 1ull << (vector % 64);
        }
    }
}

bool hv_synic_vector_is_sint(const HvVp *vp, uint8_t vector)
{
    return test_vector(vp->sint_vectors, vector);
}

bool hv_synic_vector_is_auto_eoi(const HvVp *vp, uint8_t vector)
{
    return test_vector(vp->auto_eoi_vectors, vector);
}

HvSynicStatus hv_synic_set_sint(HvPartition *part, HvVp *vp,
                                const HvOps *ops, uint32_t sint)
{
    uint64_t val;

    (void)part;
    if (sint >= HV_SINT_COUNT) {
        return HV_SYNIC_INVALID;
    }
    /* TLFS: with SCONTROL.Enable clear nothing is directed to this VP */
    if (!synic_on(vp)) {
        return HV_SYNIC_DISABLED;
    }
    val = vp->sint[sint];
    /*
     * TLFS: a masked SINT loses the interrupt; a polling one is unmasked
     * but never interrupts.
     */
    if (!sint_interrupts(val)) {
        return HV_SYNIC_NO_IRQ;
    }
    vp->stats.sint_deliveries[sint]++;
    if (ops->sint_deliver) {
        ops->sint_deliver(ops->opaque, vp, sint_vector(val),
                          val & HV_SINT_AUTO_EOI);
    }
    return HV_SYNIC_OK;
}

/*
 * OR @bits into the guest byte at @gpa, the old value in *@old.  The
 * guest clears such bits with atomic instructions, so the glue's atomic
 * operation is used when it has one.
 */
static bool or_gpa8(const HvOps *ops, uint64_t gpa, uint8_t bits,
                    uint8_t *old)
{
    uint8_t b;

    if (ops->fetch_or_gpa8) {
        return ops->fetch_or_gpa8(ops->opaque, gpa, bits, old);
    }
    if (!hv_read_gpa(ops, gpa, &b, 1)) {
        return false;
    }
    *old = b;
    if ((b & bits) != bits) {
        b |= bits;
        if (!hv_write_gpa(ops, gpa, &b, 1)) {
            return false;
        }
    }
    /* As the atomic operation would: what follows reads after this */
    hv_smp_mb();
    return true;
}

HvSynicStatus hv_synic_post_message(HvPartition *part, HvVp *vp,
                                    const HvOps *ops, uint32_t sint,
                                    const struct hyperv_message *msg)
{
    uint64_t slot = (vp->simp & HV_PAGE_MASK) + (uint64_t)sint *
                    MSG_SLOT_SIZE;
    uint8_t size = msg->header.payload_size;
    uint8_t hdr[12], type[4], old;

    if (sint >= HV_SINT_COUNT || size > HV_MESSAGE_PAYLOAD_SIZE ||
        msg->header.message_type == HV_MESSAGE_NONE) {
        return HV_SYNIC_INVALID;
    }
    /* TLFS: a disabled SynIC or SIM page takes no message */
    if (!synic_on(vp) || !(vp->simp & HV_SIMP_ENABLE)) {
        return HV_SYNIC_DISABLED;
    }

    /*
     * PENDING tells the guest that another message waits for the slot, so
     * that it writes EOM once it has emptied it.  The TCG glue posts only
     * from the VP's own thread, as KVM does, so the guest cannot empty the
     * slot meanwhile; for any glue that would post from elsewhere, PENDING
     * is set before the slot is looked at, with a full fence between, as
     * the TLFS orders it: a guest emptying the slot meanwhile then sees
     * the flag after it cleared message_type (docs/memory-ordering.md).
     * An empty slot gets its flags cleared again below.
     */
    if (!or_gpa8(ops, slot + MSG_FLAGS_OFFSET, HV_MESSAGE_FLAG_PENDING,
                 &old) ||
        !hv_read_gpa(ops, slot + MSG_TYPE_OFFSET, type, sizeof(type))) {
        return HV_SYNIC_FAULT;
    }
    if (hv_ld32_le(type) != HV_MESSAGE_NONE) {
        return HV_SYNIC_BUSY;
    }

    /*
     * The guest polls message_type: the payload (TLFS: only payload_size
     * bytes of it) and the rest of the header go first, with the flags
     * clear as KVM and QEMU leave them, and the type last.
     */
    if (size && !hv_write_gpa(ops, slot + MSG_PAYLOAD_OFFSET, msg->payload,
                              size)) {
        return HV_SYNIC_FAULT;
    }
    memset(hdr, 0, sizeof(hdr));
    hdr[MSG_SIZE_OFFSET - 4] = size;
    hv_st64_le(hdr + 4, msg->header.sender);
    if (!hv_write_gpa(ops, slot + MSG_SIZE_OFFSET, hdr, sizeof(hdr))) {
        return HV_SYNIC_FAULT;
    }
    hv_smp_wmb();
    hv_st32_le(type, msg->header.message_type);
    if (!hv_write_gpa(ops, slot + MSG_TYPE_OFFSET, type, sizeof(type))) {
        return HV_SYNIC_FAULT;
    }

    /* TLFS: the message stays even if the SINT is masked; the IRQ is lost */
    return hv_synic_set_sint(part, vp, ops, sint) == HV_SYNIC_OK ?
           HV_SYNIC_OK : HV_SYNIC_NO_IRQ;
}

bool hv_synic_slot_busy(HvVp *vp, const HvOps *ops, uint32_t sint)
{
    uint64_t slot = (vp->simp & HV_PAGE_MASK) + (uint64_t)sint *
                    MSG_SLOT_SIZE;
    uint8_t type[4];

    return sint < HV_SINT_COUNT && synic_on(vp) &&
           (vp->simp & HV_SIMP_ENABLE) &&
           hv_read_gpa(ops, slot + MSG_TYPE_OFFSET, type, sizeof(type)) &&
           hv_ld32_le(type) != HV_MESSAGE_NONE;
}

HvSynicStatus hv_synic_set_event_flag(HvPartition *part, HvVp *vp,
                                      const HvOps *ops, uint32_t sint,
                                      unsigned flag)
{
    uint64_t gpa;
    uint8_t bit, old;

    if (sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_COUNT) {
        return HV_SYNIC_INVALID;
    }
    if (!synic_on(vp) || !(vp->siefp & HV_SIEFP_ENABLE)) {
        return HV_SYNIC_DISABLED;
    }

    /* A little-endian bitmap: flag n is bit n % 8 of byte n / 8 */
    gpa = (vp->siefp & HV_PAGE_MASK) + (uint64_t)sint * EVENT_SLOT_SIZE +
          flag / 8;
    bit = 1u << (flag % 8);
    if (!or_gpa8(ops, gpa, bit, &old)) {
        return HV_SYNIC_FAULT;
    }
    /* TLFS: only a flag that was clear interrupts the guest */
    if (old & bit) {
        return HV_SYNIC_OK;
    }
    return hv_synic_set_sint(part, vp, ops, sint) == HV_SYNIC_OK ?
           HV_SYNIC_OK : HV_SYNIC_NO_IRQ;
}

/* SINT @sint was acknowledged (EOM, or EOI of its vector) */
static void sint_acked(HvPartition *part, HvVp *vp, const HvOps *ops,
                       uint32_t sint)
{
    /* KVM: the timers first, then the other message sources */
    hv_stimer_sint_acked(part, vp, ops, sint);
    if (ops->sint_ack) {
        ops->sint_ack(ops->opaque, vp, sint);
    }
}

void hv_synic_eoi(HvPartition *part, HvVp *vp, const HvOps *ops,
                  uint8_t vector)
{
    uint32_t i;

    if (!hv_synic_vector_is_sint(vp, vector)) {
        return;
    }
    for (i = 0; i < HV_SINT_COUNT; i++) {
        uint64_t sint = vp->sint[i];

        if (sint_interrupts(sint) && sint_vector(sint) == vector) {
            sint_acked(part, vp, ops, i);
        }
    }
}

static void synic_update(HvVp *vp, const HvOps *ops)
{
    if (ops->synic_update) {
        ops->synic_update(ops->opaque, vp);
    }
}

/*
 * SIEFP / SIMP.  A page that appears (enabled, or moved while enabled) is
 * cleared, as KVM's SynIC does for guest writes (TLFS: the pages are
 * clear at VP creation and reset), unless the partition keeps the pages
 * (synic_keep_pages, KVM's SynIC2).  Rewriting the same value clears
 * nothing: a guest may do that with messages in the page.  When the page
 * is not RAM the write #GPs, as KVM's does, and changes nothing.
 */
static HvMsrResult write_synic_page(HvPartition *part, HvVp *vp,
                                    const HvOps *ops, uint64_t *reg,
                                    uint64_t val)
{
    static const uint8_t zero[HV_PAGE_SIZE];
    uint64_t old = *reg;
    bool appears;

    appears = (val & HV_SIMP_ENABLE) &&
              (!(old & HV_SIMP_ENABLE) || ((old ^ val) & HV_PAGE_MASK));

    /* The glue places the page first, so the zeroes land in it */
    *reg = val;
    synic_update(vp, ops);
    if (appears && !part->synic_keep_pages &&
        !hv_write_gpa(ops, val & HV_PAGE_MASK, zero, sizeof(zero))) {
        *reg = old;
        synic_update(vp, ops);
        return HV_MSR_GP;
    }
    if (appears && reg == &vp->simp) {
        hv_stimer_retry_pending(part, vp, ops);
    }
    return HV_MSR_OK;
}

HvMsrResult hv_synic_msr_read(HvPartition *part, HvVp *vp, const HvOps *ops,
                              uint32_t msr, uint64_t *val)
{
    (void)part;
    (void)ops;

    switch (msr) {
    case HV_X64_MSR_SCONTROL:
        *val = vp->scontrol;
        break;
    case HV_X64_MSR_SVERSION:
        *val = HV_SYNIC_VERSION;
        break;
    case HV_X64_MSR_SIEFP:
        *val = vp->siefp;
        break;
    case HV_X64_MSR_SIMP:
        *val = vp->simp;
        break;
    case HV_X64_MSR_EOM:
        /* TLFS: "Reads from the EOM register always returns zeros" */
        *val = 0;
        break;
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        *val = vp->sint[msr - HV_X64_MSR_SINT0];
        break;
    default:
        return HV_MSR_GP;
    }
    return HV_MSR_OK;
}

HvMsrResult hv_synic_msr_write(HvPartition *part, HvVp *vp, const HvOps *ops,
                               uint32_t msr, uint64_t val)
{
    uint32_t i;

    switch (msr) {
    case HV_X64_MSR_SCONTROL: {
        bool was_on = synic_on(vp);

        vp->scontrol = val;
        synic_update(vp, ops);
        if (!was_on && synic_on(vp)) {
            /* Timer messages queued while it was off can go now */
            hv_stimer_retry_pending(part, vp, ops);
        }
        return HV_MSR_OK;
    }
    case HV_X64_MSR_SVERSION:
        /* TLFS: read-only, "Attempts to write ... result in a #GP" */
        return HV_MSR_GP;
    case HV_X64_MSR_SIEFP:
        return write_synic_page(part, vp, ops, &vp->siefp, val);
    case HV_X64_MSR_SIMP:
        return write_synic_page(part, vp, ops, &vp->simp, val);
    case HV_X64_MSR_EOM:
        /*
         * TLFS: the write is a trigger to scan the queues (its value is
         * ignored, as KVM does).  KVM acknowledges every SINT.
         */
        for (i = 0; i < HV_SINT_COUNT; i++) {
            sint_acked(part, vp, ops, i);
        }
        return HV_MSR_OK;
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        /*
         * TLFS: vectors 0-15 are invalid and #GP.  KVM lets a masked SINT
         * have one: nested Hyper-V writes 0x10000 at boot.
         */
        if (!(val & HV_SINT_MASKED) &&
            sint_vector(val) < SINT_FIRST_VALID_VECTOR) {
            return HV_MSR_GP;
        }
        vp->sint[msr - HV_X64_MSR_SINT0] = val;
        hv_synic_update_vectors(vp);
        return HV_MSR_OK;
    default:
        return HV_MSR_GP;
    }
}
