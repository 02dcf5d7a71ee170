/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the four synthetic timers of each VP (hv-stimer,
 * hv-stimer-direct).
 *
 * Semantics are the TLFS's ("Timers": "Synthetic Timers"); where it is
 * silent, Linux KVM's arch/x86/kvm/hyperv.c (stimer_*) decides (each such
 * place says so).  Timers count in partition reference time
 * (hv_ref_time()); the glue provides one host timer per synthetic timer
 * (HvOps.stimer_arm / stimer_cancel) and calls hv_stimer_expired() when
 * it fires.
 *
 * A timer is in one of these states, all of them in HvVp:
 *   disabled       config.Enable clear
 *   idle           enabled, but its count is 0: nothing to wait for
 *   armed          waiting for stimer_exp_time (bit in stimer_armed)
 *   msg pending    expired, its message waits for its slot or for the
 *                  SynIC page (bit in stimer_msg_pending; the timer is
 *                  not armed meanwhile, so periodic ticks do not pile up)
 */

#include <string.h>

#include "hv-internal.h"


/*
 * HV_TIMER_MESSAGE_PAYLOAD: UINT32 TimerIndex, UINT32 Reserved,
 * ExpirationTime, DeliveryTime (100 ns reference time)
 */
#define TIMER_PAYLOAD_SIZE      24

static uint32_t bit(unsigned index)
{
    return 1u << index;
}

static bool feature_on(const HvPartition *part, int feat)
{
    return part->features & HV_FEAT_BIT(feat);
}

/* @a + @b, or the farthest time there is if that wraps */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static void arm(HvVp *vp, const HvOps *ops, unsigned i, uint64_t exp_time)
{
    vp->stimer_exp_time[i] = exp_time;
    vp->stimer_armed |= bit(i);
    if (ops->stimer_arm) {
        ops->stimer_arm(ops->opaque, vp, i, exp_time);
    }
}

/* Stop timer @i and forget its expiration and queued message (KVM) */
static void stimer_cleanup(HvVp *vp, const HvOps *ops, unsigned i)
{
    if ((vp->stimer_armed & bit(i)) && ops->stimer_cancel) {
        ops->stimer_cancel(ops->opaque, vp, i);
    }
    vp->stimer_armed &= ~bit(i);
    vp->stimer_msg_pending &= ~bit(i);
    vp->stimer_exp_time[i] = 0;
}

/*
 * Start an enabled timer with a non-zero count.  TLFS: a one-shot count is
 * the absolute expiration time ("If a one shot is enabled and the
 * specified count is in the past, it will expire immediately": the glue
 * fires a past time at once); a periodic count is the period, "the first
 * period begins when the synthetic timer is enabled".
 */
static void stimer_start(HvPartition *part, HvVp *vp, const HvOps *ops,
                         unsigned i)
{
    uint64_t count = vp->stimer_count[i];

    if (vp->stimer_config[i] & HV_STIMER_PERIODIC) {
        arm(vp, ops, i, add_sat(hv_ref_time(part, ops), count));
    } else {
        arm(vp, ops, i, count);
    }
}

static bool stimer_can_run(const HvVp *vp, unsigned i)
{
    return (vp->stimer_config[i] & HV_STIMER_ENABLE) && vp->stimer_count[i];
}

/*
 * TLFS: "It is not permitted to set the SINTx field to zero for an enabled
 * timer (that is not in direct mode). If attempted, the timer will be
 * marked disabled (that is, bit 0 cleared) immediately."
 */
static uint64_t check_sintx(uint64_t config)
{
    if (!(config & HV_STIMER_DIRECT) && HV_STIMER_SINT(config) == 0) {
        config &= ~HV_STIMER_ENABLE;
    }
    return config;
}

static HvMsrResult write_config(HvPartition *part, HvVp *vp,
                                const HvOps *ops, unsigned i, uint64_t val)
{
    /*
     * Reserved bits are stored and read back (RsvdP, as KVM does).  Direct
     * mode without hv-stimer-direct #GPs only with hv-enforce-cpuid: KVM
     * checks HV_STIMER_DIRECT_MODE_AVAILABLE only when enforcing.
     */
    if ((val & HV_STIMER_DIRECT) && part->enforce_cpuid &&
        !feature_on(part, HYPERV_FEAT_STIMER_DIRECT)) {
        return HV_MSR_GP;
    }
    /*
     * TLFS: writing the configuration of an enabled timer is undefined;
     * KVM stops the timer and starts it afresh with the new settings.
     */
    stimer_cleanup(vp, ops, i);
    vp->stimer_config[i] = check_sintx(val);
    /*
     * KVM: enabled with a zero count, the timer stays enabled and idle;
     * writing a count starts it.
     */
    if (stimer_can_run(vp, i)) {
        stimer_start(part, vp, ops, i);
    }
    return HV_MSR_OK;
}

static HvMsrResult write_count(HvPartition *part, HvVp *vp, const HvOps *ops,
                               unsigned i, uint64_t val)
{
    stimer_cleanup(vp, ops, i);
    vp->stimer_count[i] = val;
    if (!val) {
        /* TLFS: "independent of the setting of AutoEnable" */
        vp->stimer_config[i] &= ~HV_STIMER_ENABLE;
    } else if (vp->stimer_config[i] & HV_STIMER_AUTO_ENABLE) {
        vp->stimer_config[i] = check_sintx(vp->stimer_config[i] |
                                           HV_STIMER_ENABLE);
    }
    /* KVM: a new count restarts an enabled timer */
    if (stimer_can_run(vp, i)) {
        stimer_start(part, vp, ops, i);
    }
    return HV_MSR_OK;
}

HvMsrResult hv_stimer_msr_read(HvPartition *part, HvVp *vp, const HvOps *ops,
                               uint32_t msr, uint64_t *val)
{
    unsigned i = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;

    (void)part;
    (void)ops;
    if (msr < HV_X64_MSR_STIMER0_CONFIG || i >= HV_STIMER_COUNT) {
        return HV_MSR_GP;
    }
    *val = (msr - HV_X64_MSR_STIMER0_CONFIG) % 2 ? vp->stimer_count[i]
                                                 : vp->stimer_config[i];
    return HV_MSR_OK;
}

HvMsrResult hv_stimer_msr_write(HvPartition *part, HvVp *vp,
                                const HvOps *ops, uint32_t msr, uint64_t val)
{
    unsigned i = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;

    if (msr < HV_X64_MSR_STIMER0_CONFIG || i >= HV_STIMER_COUNT) {
        return HV_MSR_GP;
    }
    if ((msr - HV_X64_MSR_STIMER0_CONFIG) % 2) {
        return write_count(part, vp, ops, i, val);
    }
    return write_config(part, vp, ops, i, val);
}

/*
 * Post timer @i's HV_MESSAGE_TIMER_EXPIRED for the expiration in
 * stimer_exp_time, delivered @now.  True when the message is in its slot.
 */
static bool stimer_send_msg(HvPartition *part, HvVp *vp, const HvOps *ops,
                            unsigned i, uint64_t now)
{
    struct hyperv_message msg;
    HvSynicStatus st;

    memset(&msg, 0, sizeof(msg));
    msg.header.message_type = HV_MESSAGE_TIMER_EXPIRED;
    msg.header.payload_size = TIMER_PAYLOAD_SIZE;
    hv_st32_le(msg.payload, i);
    hv_st32_le(msg.payload + 4, 0);
    hv_st64_le(msg.payload + 8, vp->stimer_exp_time[i]);
    hv_st64_le(msg.payload + 16, now);
    st = hv_synic_post_message(part, vp, ops,
                               HV_STIMER_SINT(vp->stimer_config[i]), &msg);
    /* TLFS: in the slot with the SINT masked, only the interrupt is lost */
    return st == HV_SYNIC_OK || st == HV_SYNIC_NO_IRQ;
}

/*
 * Timer @i's expiration was signaled @now.  TLFS: "When a one-shot timer
 * expires, it is automatically marked as disabled. Periodic timers remain
 * enabled until explicitly disabled."  The next periodic expiration is
 * one period after the one just signaled; when the guest is so late that
 * it has passed too, the missed ones are skipped, not queued (TLFS "lazy"
 * timers; KVM treats every periodic timer so): the timer keeps its phase
 * and expires next at the first multiple of the period after @now.
 */
static void stimer_signaled(HvVp *vp, const HvOps *ops, unsigned i,
                            uint64_t now)
{
    uint64_t exp = vp->stimer_exp_time[i];
    uint64_t period = vp->stimer_count[i];
    unsigned __int128 next;

    if (!(vp->stimer_config[i] & HV_STIMER_PERIODIC) || !period) {
        vp->stimer_config[i] &= ~HV_STIMER_ENABLE;
        return;
    }
    next = (unsigned __int128)exp + period;
    if (now >= next) {
        uint64_t late = (now - exp) / period;

        /* exp + period ... exp + late * period have all passed */
        vp->stimer_missed[i] += late;
        next = exp + (unsigned __int128)(late + 1) * period;
    }
    arm(vp, ops, i, next > UINT64_MAX ? UINT64_MAX : (uint64_t)next);
}

/* Signal timer @i's expiration now; queue its message when it can't go */
static void stimer_fire(HvPartition *part, HvVp *vp, const HvOps *ops,
                        unsigned i)
{
    uint64_t config = vp->stimer_config[i];
    uint64_t now = hv_ref_time(part, ops);

    if (config & HV_STIMER_DIRECT) {
        /*
         * TLFS: a direct timer "asserts an interrupt" with ApicVector; a
         * disabled APIC loses it, as it loses a SINT's.
         */
        if (ops->sint_deliver) {
            ops->sint_deliver(ops->opaque, vp, HV_STIMER_APIC_VECTOR(config),
                              false);
        }
    } else if ((config & HV_STIMER_PERIODIC) &&
               hv_synic_slot_busy(vp, ops, HV_STIMER_SINT(config))) {
        /*
         * KVM (stimer_send_msg()): a periodic tick whose slot still holds
         * a message is dropped, not queued, and PENDING is left alone; the
         * timer keeps ticking.  Queuing it would stop the timer until the
         * guest acknowledges the SINT, which an AutoEOI SINT never does
         * by itself.
         */
        vp->stimer_missed[i]++;
    } else if (!stimer_send_msg(part, vp, ops, i, now)) {
        /* KVM: retried when the SINT is acknowledged */
        vp->stimer_msg_pending |= bit(i);
        return;
    }
    stimer_signaled(vp, ops, i, now);
}

void hv_stimer_expired(HvPartition *part, HvVp *vp, const HvOps *ops,
                       unsigned index)
{
    if (index >= HV_STIMER_COUNT || !(vp->stimer_armed & bit(index)) ||
        !(vp->stimer_config[index] & HV_STIMER_ENABLE)) {
        return;     /* stale: the timer was stopped or re-armed since */
    }
    /*
     * TLFS: "a timer expiration signal will never be delivered before the
     * expiration time".  The glue's clock may round: wait some more.
     */
    if (hv_ref_time(part, ops) < vp->stimer_exp_time[index]) {
        arm(vp, ops, index, vp->stimer_exp_time[index]);
        return;
    }
    vp->stimer_armed &= ~bit(index);
    vp->stats.stimer_expirations[index]++;
    stimer_fire(part, vp, ops, index);
}

/* Try timer @i's queued message again */
static void stimer_retry(HvPartition *part, HvVp *vp, const HvOps *ops,
                         unsigned i)
{
    uint64_t now = hv_ref_time(part, ops);

    if (stimer_send_msg(part, vp, ops, i, now)) {
        vp->stimer_msg_pending &= ~bit(i);
        stimer_signaled(vp, ops, i, now);
    }
}

static bool stimer_queued_on(const HvVp *vp, unsigned i, uint32_t sint)
{
    uint64_t config = vp->stimer_config[i];

    return (vp->stimer_msg_pending & bit(i)) && (config & HV_STIMER_ENABLE) &&
           !(config & HV_STIMER_DIRECT) && HV_STIMER_SINT(config) == sint;
}

void hv_stimer_sint_acked(HvPartition *part, HvVp *vp, const HvOps *ops,
                          uint32_t sint)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        if (stimer_queued_on(vp, i, sint)) {
            stimer_retry(part, vp, ops, i);
        }
    }
}

void hv_stimer_retry_pending(HvPartition *part, HvVp *vp, const HvOps *ops)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        if (stimer_queued_on(vp, i, HV_STIMER_SINT(vp->stimer_config[i]))) {
            stimer_retry(part, vp, ops, i);
        }
    }
}

void hv_stimer_rearm_all(HvPartition *part, HvVp *vp, const HvOps *ops)
{
    unsigned i;

    (void)part;
    /* Loaded state: only HV_STIMER_COUNT timers have state bits */
    vp->stimer_armed &= bit(HV_STIMER_COUNT) - 1;
    vp->stimer_msg_pending &= bit(HV_STIMER_COUNT) - 1;
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        /*
         * Armed and msg pending exclude each other; a loaded state that
         * has both (never one the core saved) keeps the queued message
         * and waits for EOM / EOI, as a queued timer does.
         */
        if ((vp->stimer_armed & bit(i)) &&
            !(vp->stimer_msg_pending & bit(i)) &&
            (vp->stimer_config[i] & HV_STIMER_ENABLE)) {
            arm(vp, ops, i, vp->stimer_exp_time[i]);
        } else {
            vp->stimer_armed &= ~bit(i);
        }
    }
}

void hv_stimer_cancel_all(HvVp *vp, const HvOps *ops)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        if ((vp->stimer_armed & bit(i)) && ops->stimer_cancel) {
            ops->stimer_cancel(ops->opaque, vp, i);
        }
    }
}
