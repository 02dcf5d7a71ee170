/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the accelerator-neutral Hyper-V core.
 *
 * Synthetic MSRs, the hypercall page and the hypercall dispatcher, the
 * partition reference time and the reference TSC page, the SynIC and the
 * synthetic timers, as the TLFS specifies them (Linux KVM's
 * arch/x86/kvm/hyperv.c is the reference for corner cases).  It is pure
 * C: everything it needs from QEMU (guest memory, clocks, interrupts,
 * timers, TLB flushes, reset and crash reporting) comes through HvOps, so
 * it is unit-tested and fuzzed outside QEMU.  The TCG backend
 * (hyperv-tcg.c) is its only user inside QEMU; under KVM the kernel does
 * all of this.
 *
 * Every MSR access and every hypercall goes through one privilege check,
 * hv_msr_exposed() / hv_hypercall_exposed(), against the features the
 * partition was configured with.
 *
 * The core keeps no locks: the caller serializes every call that takes the
 * same HvPartition (QEMU holds the BQL around them).
 */

#ifndef TARGET_I386_HYPERV_HV_CORE_H
#define TARGET_I386_HYPERV_HV_CORE_H

#include "hv-model.h"

/* The most VPs the VP-set formats of the TLFS can name (64 banks of 64) */
#define HV_MAX_VPS                  4096

#define HV_PAGE_SIZE                4096
#define HV_PAGE_MASK                (~(uint64_t)(HV_PAGE_SIZE - 1))

/*
 * Statistics the core keeps per VP for introspection (QMP query-hyperv,
 * HMP info hyperv): not guest visible, so neither migrated nor cleared
 * by hv_vp_reset(); they count from the VP's creation.
 */
typedef enum HvStatCall {
    HV_STAT_CALL_FLUSH_SPACE,       /* HvCallFlushVirtualAddressSpace */
    HV_STAT_CALL_FLUSH_LIST,        /* HvCallFlushVirtualAddressList */
    HV_STAT_CALL_FLUSH_SPACE_EX,    /* HvCallFlushVirtualAddressSpaceEx */
    HV_STAT_CALL_FLUSH_LIST_EX,     /* HvCallFlushVirtualAddressListEx */
    HV_STAT_CALL_SEND_IPI,          /* HvCallSendSyntheticClusterIpi */
    HV_STAT_CALL_SEND_IPI_EX,       /* HvCallSendSyntheticClusterIpiEx */
    HV_STAT_CALL_POST_MESSAGE,      /* HvCallPostMessage */
    HV_STAT_CALL_SIGNAL_EVENT,      /* HvCallSignalEvent */
    HV_STAT_CALL_LONG_SPIN_WAIT,    /* HvCallNotifyLongSpinWait */
    HV_STAT_CALL_OTHER,             /* any other call code */
    HV_STAT_CALL_COUNT
} HvStatCall;

typedef struct HvVpStats {
    /*
     * Hypercall instructions the core handled as hypercalls (calls from
     * CPL > 0, which #UD, included), by call code, and how many of them
     * completed with a status other than HV_STATUS_SUCCESS
     */
    uint64_t hypercalls;
    uint64_t hypercalls_by_call[HV_STAT_CALL_COUNT];
    uint64_t hypercall_errors;
    /* Interrupts raised for each SINT (hv_synic_set_sint() delivered) */
    uint64_t sint_deliveries[HV_SINT_COUNT];
    /* Expirations of each synthetic timer (hv_stimer_expired() fired) */
    uint64_t stimer_expirations[HV_STIMER_COUNT];
    /* RDMSR / WRMSR of the synthetic MSR range, #GP ones included */
    uint64_t msr_reads;
    uint64_t msr_writes;
} HvVpStats;

/* The HvStatCall bucket of hypercall @code */
HvStatCall hv_stat_call_of(uint16_t code);
/* The call code of bucket @call (0 for HV_STAT_CALL_OTHER) */
uint16_t hv_stat_call_code(HvStatCall call);
/* The TLFS name of bucket @call ("HvCallPostMessage"; "other") */
const char *hv_stat_call_name(HvStatCall call);

/*
 * Per virtual processor state.  Guest visible, so migrated, except the
 * fields said not to be; after loading it, the glue calls
 * hv_vp_post_load().
 */
typedef struct HvVp {
    uint32_t vp_index;          /* HV_X64_MSR_VP_INDEX */
    uint64_t vapic_assist;      /* HV_X64_MSR_APIC_ASSIST_PAGE */

    /* SynIC (hv-synic); SVERSION is the constant HV_SYNIC_VERSION */
    uint64_t scontrol;          /* HV_X64_MSR_SCONTROL */
    uint64_t siefp;             /* HV_X64_MSR_SIEFP */
    uint64_t simp;              /* HV_X64_MSR_SIMP */
    uint64_t sint[HV_SINT_COUNT];   /* HV_X64_MSR_SINT0-15 */

    /* Synthetic timers (hv-stimer): HV_X64_MSR_STIMERx_CONFIG / _COUNT */
    uint64_t stimer_config[HV_STIMER_COUNT];
    uint64_t stimer_count[HV_STIMER_COUNT];
    /*
     * The expiration (reference time, 100 ns units) the timer waits for
     * while armed, or whose message waits for its slot while pending.
     */
    uint64_t stimer_exp_time[HV_STIMER_COUNT];
    uint32_t stimer_armed;      /* bit x: timer x waits for its exp_time */
    uint32_t stimer_msg_pending;    /* bit x: timer x's message is queued */

    /*
     * Statistics, not guest visible: periodic expirations skipped because
     * the guest (or the host) was late, or dropped because the timer's
     * message slot was still full (as KVM drops them).
     */
    uint64_t stimer_missed[HV_STIMER_COUNT];
    /* Statistics, not guest visible (HvVpStats) */
    HvVpStats stats;

    /*
     * Derived from sint[] (hv_synic_update_vectors()); no need to migrate.
     * Bit v: vector v belongs to an unmasked, non-polling SINT / to one
     * with AutoEOI.
     */
    uint64_t sint_vectors[256 / 64];
    uint64_t auto_eoi_vectors[256 / 64];
} HvVp;

/* Partition-wide state.  Guest visible, so migrated. */
typedef struct HvPartition {
    uint64_t features;          /* HV_FEAT_BIT()s exposed to the guest */
    uint32_t spinlock_attempts; /* leaf 0x40000004.EBX */
    /*
     * hv-enforce-cpuid: every synthetic MSR and hypercall needs its
     * privilege in CPUID, as KVM does with KVM_CAP_HYPERV_ENFORCE_CPUID.
     * Off (QEMU's default), the guest gets what KVM gives it without that
     * capability: whatever the hypervisor keeps state for answers, the
     * SynIC and its timers only with an active SynIC (hv-synic), the
     * synthetic debugger only with hv-syndbg.
     */
    bool enforce_cpuid;
    bool vmmcall;               /* AMD: hypercall page uses VMMCALL */
    /*
     * Enabling the SynIC message or event flags page leaves its contents
     * alone (KVM_CAP_HYPERV_SYNIC2, which QEMU asks KVM for) instead of
     * clearing it (KVM's original SynIC, and this core's default).
     */
    bool synic_keep_pages;

    uint64_t guest_os_id;       /* HV_X64_MSR_GUEST_OS_ID */
    uint64_t hypercall;         /* HV_X64_MSR_HYPERCALL */
    uint64_t reference_tsc;     /* HV_X64_MSR_REFERENCE_TSC */
    uint64_t crash_params[HV_CRASH_PARAMS];
    uint64_t crash_ctl;         /* unused: reads give HV_CRASH_CTL_NOTIFY */
    uint64_t reenlightenment_control;
    uint64_t tsc_emulation_control;
    uint64_t tsc_emulation_status;
    /* HV_X64_MSR_TSC_INVARIANT_CONTROL (hv-invtsc) */
    uint64_t invtsc_control;

    /*
     * Reference time: 100 ns units since the partition started, derived
     * from HvOps.clock_ns plus this offset (set at reset and by migration
     * so that it never goes backwards).
     */
    int64_t ref_time_offset;
    /*
     * What the TSC page currently holds (when reference_tsc is enabled).
     * tsc_sequence is 0 while the page is not valid: the reference time
     * then comes from the clock.
     */
    uint32_t tsc_sequence;
    uint64_t tsc_scale;
    int64_t tsc_offset;
    /*
     * The last non-zero sequence written, so that the next one differs
     * from it even after the page went through sequence 0 (a guest that
     * read the old values must see the sequence change).
     */
    uint32_t tsc_last_sequence;

    /*
     * Synthetic debugger (hv-syndbg), partition-wide as in KVM:
     * HV_X64_MSR_SYNDBG_CONTROL, _STATUS, _SEND_BUFFER, _RECV_BUFFER,
     * _PENDING_BUFFER and _OPTIONS.
     */
    uint64_t syndbg_control;
    uint64_t syndbg_status;
    uint64_t syndbg_send_page;
    uint64_t syndbg_recv_page;
    uint64_t syndbg_pending_page;
    uint64_t syndbg_options;
} HvPartition;

/* A set of VP indexes, as the flush and IPI hypercalls name them. */
typedef struct HvVpSet {
    bool all;
    uint64_t banks[HV_MAX_VPS / 64];
} HvVpSet;

static inline bool hv_vp_set_has(const HvVpSet *set, uint32_t vp_index)
{
    return set->all || (vp_index < HV_MAX_VPS &&
                        (set->banks[vp_index / 64] >> (vp_index % 64)) & 1);
}

/* What the core needs from the hypervisor around it. */
typedef struct HvOps {
    void *opaque;
    /* Guest physical memory; false when (part of) the range is not RAM */
    bool (*read_gpa)(void *opaque, uint64_t gpa, void *buf, uint64_t len);
    bool (*write_gpa)(void *opaque, uint64_t gpa, const void *buf,
                      uint64_t len);
    /* A monotonic nanosecond clock that stops while the VM is stopped */
    int64_t (*clock_ns)(void *opaque);
    /*
     * The partition's TSC, as the guest's RDTSC would return it now on
     * VP 0.  The reference time is partition-wide: KVM computes it from
     * vCPU 0's TSC for every VP, so a VP that moved its own TSC (WRMSR
     * IA32_TSC, TSC_ADJUST) does not move TIME_REF_COUNT.
     */
    uint64_t (*partition_tsc)(void *opaque);
    /* Guest TSC and local APIC timer frequencies, Hz (0: unknown) */
    uint64_t tsc_hz;
    /*
     * What HV_X64_MSR_TSC_FREQUENCY reports when it differs from tsc_hz:
     * during reenlightenment TSC emulation the guest's TSC still runs at
     * the old rate (tsc_hz) while the MSR already tells the new one.
     * 0: tsc_hz.
     */
    uint64_t tsc_frequency_msr_hz;
    uint64_t apic_hz;
    /* Time the VP ran guest code, 100 ns units */
    uint64_t (*vp_runtime)(void *opaque, HvVp *vp);
    /* Local APIC of @vp: EOI, ICR and TPR accesses for hv-vapic */
    void (*apic_eoi)(void *opaque, HvVp *vp);
    bool (*apic_icr_write)(void *opaque, HvVp *vp, uint64_t icr);
    uint64_t (*apic_icr_read)(void *opaque, HvVp *vp);
    bool (*apic_tpr_write)(void *opaque, HvVp *vp, uint64_t tpr);
    uint64_t (*apic_tpr_read)(void *opaque, HvVp *vp);
    /* Guest asked to reset the partition / reported a crash */
    void (*reset)(void *opaque);
    void (*crash)(void *opaque, const uint64_t params[HV_CRASH_PARAMS]);
    /*
     * Flush the TLBs of the VPs in @set (all address spaces; @gvas lists
     * @n_gvas page ranges as the TLFS encodes them, or is NULL for a full
     * flush).  Must not wait for the target VPs to run.
     */
    void (*flush_tlb)(void *opaque, HvVp *caller, const HvVpSet *set,
                      const uint64_t *gvas, unsigned n_gvas);
    /* Send fixed interrupt @vector to each VP in @set */
    void (*send_ipi)(void *opaque, HvVp *caller, const HvVpSet *set,
                     uint8_t vector);
    /* The caller is spinning on a lock held by another VP: yield */
    void (*long_spin_wait)(void *opaque, HvVp *caller);
    /*
     * @vp read HV_X64_MSR_GUEST_IDLE (hv-guest-idle): once the read
     * completes (it returns 0), idle @vp until an interrupt, NMI, SMI or
     * INIT is pending for it, whether or not the guest has interrupts
     * enabled.  NULL: the read returns at once, which the TLFS allows (a
     * spurious wake-up).
     */
    void (*guest_idle)(void *opaque, HvVp *vp);
    /*
     * The guest acknowledged a TSC frequency change (cleared
     * TSC_EMULATION_STATUS.InProgress): stop emulating the old frequency
     * and update tsc_hz before the core rewrites the TSC page.
     */
    void (*tsc_emulation_done)(void *opaque);

    /*
     * SynIC (hv-synic) and synthetic timers (hv-stimer).
     *
     * The core calls these from the thread that runs @vp (an MSR access,
     * an EOI) or from wherever the glue calls hv_stimer_expired(); none of
     * them may call back into the core.
     */

    /*
     * Raise fixed, edge-triggered interrupt @vector in @vp's local APIC:
     * an unmasked SINT, or a direct-mode synthetic timer.  @auto_eoi is
     * the SINT's AutoEOI flag at this moment (false for direct-mode
     * timers); the APIC asks hv_synic_vector_is_auto_eoi() when the
     * interrupt is acknowledged.  A disabled APIC loses it (TLFS).
     */
    void (*sint_deliver)(void *opaque, HvVp *vp, uint8_t vector,
                         bool auto_eoi);
    /*
     * The guest wrote SCONTROL, SIMP or SIEFP (even with the same value):
     * make @vp->scontrol / simp / siefp take effect, e.g. map or unmap the
     * overlay pages.  Called before the core clears a newly enabled page
     * through write_gpa, so the zeroes land on what the guest will see.
     */
    void (*synic_update)(void *opaque, HvVp *vp);
    /*
     * SINT @sint of @vp was acknowledged: the guest wrote EOM (called for
     * every SINT, 0-15), or hv_synic_eoi() got an EOI of the SINT's
     * vector.  A message source that found the slot busy retries now
     * (QEMU's HvSintRoute ack notifier).  The core has already retried
     * its own timer messages for that SINT.
     */
    void (*sint_ack)(void *opaque, HvVp *vp, uint32_t sint);
    /*
     * Call hv_stimer_expired(@vp, @index) once the reference time
     * (hv_ref_time()) reaches @exp_time, 100 ns units; as soon as possible
     * when it already has.  Replaces an earlier arming of the same timer.
     * Never call back from inside stimer_arm itself.  @exp_time is guest
     * controlled, anything up to UINT64_MAX: convert with saturation.
     * Calling late is always correct (missed periods are skipped), so the
     * glue may rate-limit absurdly short periods; calling early only
     * re-arms.
     */
    void (*stimer_arm)(void *opaque, HvVp *vp, unsigned index,
                       uint64_t exp_time);
    /* Forget the arming of @vp's timer @index, if any */
    void (*stimer_cancel)(void *opaque, HvVp *vp, unsigned index);
    /*
     * Optional: atomically OR @bits into the guest byte at @gpa, the old
     * value in *@old; false when @gpa is not RAM.  Used for event flags
     * and the message PENDING flag, which the guest clears with atomic
     * instructions from other VPs.  NULL: a read, then a write.
     */
    bool (*fetch_or_gpa8)(void *opaque, uint64_t gpa, uint8_t bits,
                          uint8_t *old);
    /*
     * HvPostMessage / HvSignalEvent (@code): the message and event
     * connections live with the hypervisor's devices (QEMU's hw/hyperv).
     * @param is the input GPA, or the fast input.  Returns an HV_STATUS_*.
     * NULL: HV_STATUS_INVALID_HYPERCALL_INPUT, as with no SynIC.
     */
    uint16_t (*synic_hypercall)(void *opaque, HvVp *vp, uint16_t code,
                                uint64_t param, bool fast);

    /*
     * Synthetic debugger (hv-syndbg): the transport to the host's debugger
     * belongs to the hypervisor's device (QEMU's hv-syndbg); NULL when
     * there is none.
     *
     * syndbg_send / syndbg_recv: the guest wrote SYNDBG_CONTROL with the
     * SEND / RECV bit, for @count bytes at @gpa; the result is what
     * SYNDBG_STATUS then reads (HV_SYNDBG_STATUS_*).
     * syndbg_pending_page: the guest moved the page whose first byte says
     * "data pending".  syndbg_options: the SYNDBG_OPTIONS the host offers
     * at reset (HV_X64_SYNDBG_OPTION_USE_HCALLS).  syndbg_hypercall:
     * HvPostDebugData, HvRetrieveDebugData, HvResetDebugSession (@code)
     * with their input and output GPAs; returns an HV_STATUS_*.
     */
    uint32_t (*syndbg_send)(void *opaque, uint64_t gpa, uint32_t count);
    uint32_t (*syndbg_recv)(void *opaque, uint64_t gpa, uint32_t count);
    void (*syndbg_pending_page)(void *opaque, uint64_t gpa);
    uint64_t (*syndbg_options)(void *opaque);
    uint16_t (*syndbg_hypercall)(void *opaque, HvVp *vp, uint16_t code,
                                 uint64_t ingpa, uint64_t outgpa);

    /*
     * Extended hypercalls (hv-ext-hypercalls, hv-ext-hypercall.c).  The
     * core parses and checks the guest's input; these do what only the
     * hypervisor around it can.  NULL: the call is not offered (its
     * capability bit stays clear and it fails as an unknown code).
     *
     * memory_heat_hint: HvExtCallMemoryHeatHint of [@gpa, @gpa + @len)
     * (page aligned, not empty, no overflow) with heat @type
     * (HV_EXT_MEMORY_HEAT_HINT_*).  Returns HV_STATUS_SUCCESS, or
     * HV_STATUS_INVALID_PARAMETER when part of the range is not guest RAM
     * (a hole, MMIO, ROM), checked before anything of the range is
     * discarded.  A cold discard the host cannot do right now is dropped:
     * it is a hint.
     * can_discard: would a cold discard free host memory now?  Decides
     * HV_EXT_CAPABILITY_MEMORY_COLD_DISCARD_HINT; NULL: yes.
     * boot_zeroed_memory: up to @max ranges of guest RAM that read as
     * zero now, as (first 4 KiB page, page count) pairs in @ranges,
     * biggest first; returns how many.
     */
    uint16_t (*memory_heat_hint)(void *opaque, unsigned type, uint64_t gpa,
                                 uint64_t len);
    bool (*can_discard)(void *opaque);
    unsigned (*boot_zeroed_memory)(void *opaque, uint64_t (*ranges)[2],
                                   unsigned max);
} HvOps;

/* Result of an MSR access */
typedef enum HvMsrResult {
    HV_MSR_OK,          /* handled */
    HV_MSR_GP,          /* the guest gets #GP(0) */
    HV_MSR_NOT_HYPERV,  /* not a Hyper-V MSR: the caller handles it */
} HvMsrResult;

/* Reset the partition to power-on state (keeps features and config) */
void hv_partition_reset(HvPartition *part, const HvOps *ops);

/*
 * Reset a VP to power-on state: SynIC disabled, SINTs masked
 * (HV_SINT_MASKED), timers disabled and nothing pending; the statistics
 * (@vp->stats) carry on.  It calls no
 * HvOps: the glue unmaps its SynIC pages and drops its timers for @vp
 * itself (hv_stimer_cancel_all() before the reset does the latter; a
 * stale timer that fires anyway is ignored).
 */
void hv_vp_reset(HvVp *vp, uint32_t vp_index);

/*
 * After migration loaded @vp: recompute the derived fields, tell the glue
 * the SynIC pages (ops->synic_update) and re-arm the timers
 * (hv_stimer_rearm_all()).  Call it once the partition (and so the
 * reference time) is loaded.
 */
void hv_vp_post_load(HvPartition *part, HvVp *vp, const HvOps *ops);

/*
 * What CPUID 0x80000007.EDX[8], the architectural invariant TSC bit, says
 * with hv-invtsc: hidden (0) until the guest sets HV_EXPOSE_INVARIANT_TSC
 * in HV_X64_MSR_TSC_INVARIANT_CONTROL, then shown (1), as KVM's
 * kvm_hv_invtsc_suppressed() has it.  -1 without hv-invtsc: the CPU model
 * decides.
 */
int hv_invtsc_cpuid_bit(const HvPartition *part);

/* Is @msr a synthetic MSR this partition exposes? (the privilege check) */
bool hv_partition_msr_exposed(const HvPartition *part, uint32_t msr);

/*
 * Is hypercall @code one this partition exposes?  (the privilege check for
 * hypercalls; HvNotifyLongSpinWait needs a spinlock retry count the guest
 * is told to honour, i.e. neither 0 nor HYPERV_SPINLOCK_NEVER_NOTIFY)
 */
bool hv_partition_hypercall_exposed(const HvPartition *part, uint16_t code);

HvMsrResult hv_msr_read(HvPartition *part, HvVp *vp, const HvOps *ops,
                        uint32_t msr, uint64_t *val);
HvMsrResult hv_msr_write(HvPartition *part, HvVp *vp, const HvOps *ops,
                         uint32_t msr, uint64_t val);

/* The partition reference time (HV_X64_MSR_TIME_REF_COUNT), 100 ns */
uint64_t hv_ref_time(HvPartition *part, const HvOps *ops);

/*
 * Recompute and rewrite the reference TSC page (after enable, migration,
 * or a change of the TSC frequency).  While the page cannot be trusted
 * its sequence is 0, which tells the guest to use the MSR.
 */
void hv_tsc_page_update(HvPartition *part, const HvOps *ops);

/*
 * The TSC frequency the guest sees is about to change (e.g. the
 * partition was migrated to a host with another TSC rate).  With
 * hv-reenlightenment the guest is notified with its reenlightenment
 * interrupt (REENLIGHTENMENT_CONTROL), and if it enabled TSC emulation
 * TSC_EMULATION_STATUS.InProgress is set: the return value tells the
 * caller to keep the guest TSC at its old rate until
 * ops->tsc_emulation_done.
 */
bool hv_tsc_frequency_changed(HvPartition *part, HvVp *vp, const HvOps *ops);

/*
 * SynIC
 */

/* What became of a SINT signal, a message or an event flag */
typedef enum HvSynicStatus {
    /*
     * Done; the SINT's interrupt was raised (or, for an event flag that
     * was already set, not needed)
     */
    HV_SYNIC_OK,
    /* Done, but the SINT is masked or polling: no interrupt (TLFS: lost) */
    HV_SYNIC_NO_IRQ,
    /*
     * The message slot is full: its PENDING flag is now set; retry after
     * ops->sint_ack for that SINT
     */
    HV_SYNIC_BUSY,
    /* SCONTROL, or the page needed, is disabled */
    HV_SYNIC_DISABLED,
    /* The page is not RAM */
    HV_SYNIC_FAULT,
    /* SINT, event flag number, message type or payload size invalid */
    HV_SYNIC_INVALID,
} HvSynicStatus;

/*
 * Signal SINT @sint of @vp: with the SynIC enabled (SCONTROL) and the SINT
 * unmasked and not polling, ops->sint_deliver(vector, AutoEOI).  For the
 * glue's SINT routes (HvPostMessage / HvSignalEvent after it filled its
 * own pages) and for the core's own messages.
 */
HvSynicStatus hv_synic_set_sint(HvPartition *part, HvVp *vp,
                                const HvOps *ops, uint32_t sint);

/*
 * Post @msg to SINT @sint's slot of @vp's message page (TLFS "SynIC
 * Messages").  HV_MESSAGE_FLAG_PENDING is set in the slot first; then an
 * empty slot (message_type HV_MESSAGE_NONE) gets the payload
 * (payload_size bytes), the rest of the header with message_flags 0, and
 * message_type last, and the SINT is signaled.  A full slot is left with
 * PENDING set and HV_SYNIC_BUSY is returned.  The sender's message_flags
 * are ignored.
 */
HvSynicStatus hv_synic_post_message(HvPartition *part, HvVp *vp,
                                    const HvOps *ops, uint32_t sint,
                                    const struct hyperv_message *msg);

/*
 * Set event flag @flag of SINT @sint in @vp's event flags page and signal
 * the SINT if the flag was clear (TLFS "SynIC Event Flags").
 */
HvSynicStatus hv_synic_set_event_flag(HvPartition *part, HvVp *vp,
                                      const HvOps *ops, uint32_t sint,
                                      unsigned flag);

/* Does @vector belong to an unmasked, non-polling SINT of @vp? */
bool hv_synic_vector_is_sint(const HvVp *vp, uint8_t vector);

/*
 * Is @vector an AutoEOI vector of @vp?  (The APIC then neither sets ISR
 * for it on acknowledge nor expects an EOI, as KVM does.)
 */
bool hv_synic_vector_is_auto_eoi(const HvVp *vp, uint8_t vector);

/*
 * The guest EOI'd @vector (not an AutoEOI one): every unmasked SINT with
 * that vector is acknowledged, i.e. pending timer messages are retried
 * and ops->sint_ack is called (KVM's kvm_hv_synic_send_eoi()).  A vector
 * that is no SINT's is ignored, so the glue may call it for every EOI or
 * only when hv_synic_vector_is_sint().
 */
void hv_synic_eoi(HvPartition *part, HvVp *vp, const HvOps *ops,
                  uint8_t vector);

/* Recompute sint_vectors / auto_eoi_vectors from sint[] */
void hv_synic_update_vectors(HvVp *vp);

/*
 * Synthetic timers
 */

/*
 * The glue's timer for (@vp, @index), armed by ops->stimer_arm, fired.
 * Expires the timer if the reference time has reached its expiration:
 * message mode posts HV_MESSAGE_TIMER_EXPIRED to its SINT (the message
 * stays pending while the slot is busy or the page disabled, and is
 * retried on EOM, EOI or when the SynIC page is enabled), direct mode
 * raises its APIC vector.  A one-shot timer is then disabled, a periodic
 * one re-armed.  Early or stale calls are harmless.
 */
void hv_stimer_expired(HvPartition *part, HvVp *vp, const HvOps *ops,
                       unsigned index);

/*
 * ops->stimer_arm every timer of @vp that waits for its expiration
 * (stimer_armed), for stimer_exp_time: after migration.  A timer whose
 * message is queued is not armed; it waits for EOM / EOI.
 */
void hv_stimer_rearm_all(HvPartition *part, HvVp *vp, const HvOps *ops);

/* ops->stimer_cancel every armed timer of @vp (state is left alone) */
void hv_stimer_cancel_all(HvVp *vp, const HvOps *ops);

/* The registers a hypercall reads and writes */
typedef struct HvHypercallRegs {
    bool long_mode;             /* 64-bit calling convention */
    bool cpl0;                  /* called from CPL 0 in protected mode */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8;
    uint64_t xmm[6][2];         /* XMM0-5, for XMM fast input */
} HvHypercallRegs;

/*
 * Is a hypercall instruction (VMCALL / VMMCALL) handled as a Hyper-V
 * hypercall right now?  False (the guest gets #UD) until the guest
 * enables the hypercall page.
 */
bool hv_hypercalls_enabled(const HvPartition *part);

/*
 * Run the hypercall described by @regs and store the result value in
 * @regs (RAX, or EDX:EAX in 32-bit mode).  Bad input gets the TLFS status
 * code.
 *
 * Returns false when the TLFS wants the hypercall instruction to raise #UD
 * instead (as KVM does): a call from CPL > 0 or real mode, or an XMM fast
 * call without hv-xmm-input.  The caller should then inject #UD and leave
 * the guest's registers alone; the result registers still hold a status
 * (HV_STATUS_INVALID_HYPERCALL_CODE / _INPUT) for a caller that cannot.
 */
bool hv_hypercall(HvPartition *part, HvVp *vp, const HvOps *ops,
                  HvHypercallRegs *regs);

/*
 * Parse a VP set (TLFS "HV_VP_SET": format word, valid bank mask, then one
 * word per bank in the mask) from the @n_words 64-bit words at @words.
 * On success returns HV_STATUS_SUCCESS and sets *@consumed to the number
 * of words the set occupies; otherwise returns the TLFS status:
 * HV_STATUS_INVALID_PARAMETER for a format other than sparse (0) or all
 * (1), HV_STATUS_INVALID_HYPERCALL_INPUT when the bank words are missing.
 */
uint16_t hv_parse_vp_set(const uint64_t *words, unsigned n_words,
                         HvVpSet *set, unsigned *consumed);

/*
 * Extended hypercalls (hv-ext-hypercall.c)
 */

/* Is @code an extended hypercall (HV_EXT_CALL_QUERY_CAPABILITIES..MAX)? */
static inline bool hv_ext_hypercall_code(uint16_t code)
{
    return code >= HV_EXT_CALL_QUERY_CAPABILITIES && code <= HV_EXT_CALL_MAX;
}

/* The HvExtCallQueryCapabilities bitmap @ops offers now */
uint64_t hv_ext_capabilities(const HvOps *ops);

/*
 * Run extended hypercall @control (an hv_ext_hypercall_code()) with input
 * GPA @ingpa and output GPA @outgpa for a partition with @features, once
 * the privilege check passed; returns the result value (status, reps
 * completed).  Under TCG the dispatcher calls it, under KVM the
 * KVM_EXIT_HYPERV_HCALL handler does, with the same answers: a fast call
 * gets HV_STATUS_INVALID_PARAMETER (KVM's own answer), a partition without
 * hv-ext-hypercalls and a code no call has get
 * HV_STATUS_INVALID_HYPERCALL_CODE.
 */
uint64_t hv_ext_hypercall(uint64_t features, const HvOps *ops,
                          uint64_t control, uint64_t ingpa, uint64_t outgpa);

#endif
