/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the synthetic MSRs, partition and VP reset, the partition
 * reference time and the reference TSC page.
 *
 * Semantics are the TLFS's; where it is silent, Linux KVM's
 * arch/x86/kvm/hyperv.c decides (each such place says so).  Pure C: all
 * contact with the machine goes through HvOps.
 */

#include <string.h>

#include "hv-internal.h"

/*
 * Reserved bits.  The TLFS makes most of them reserve-preserve (RsvdP):
 * KVM stores whatever the guest writes to HYPERCALL, REFERENCE_TSC,
 * VP_ASSIST_PAGE, REENLIGHTENMENT_CONTROL and TSC_EMULATION_CONTROL and
 * hands it back on reads, and so does this core.  Only RESET and
 * TSC_EMULATION_STATUS look at their value as a whole (below).
 */
#define TSC_EMULATION_IN_PROGRESS   1ull
/* KVM resets on a write of exactly 1 and ignores any other value */
#define RESET_REQUEST               1ull

/*
 * The reference time counts 100 ns intervals: the TSC page's scale is
 * (10^7 << 64) / TSC frequency.
 */
#define REF_TIME_HZ                 10000000ull

/*
 * The synthetic MSR range, 0x40000000-0x400001FF.  Every MSR in it is the
 * hypervisor's: one this core does not implement #GPs (KVM's "unhandled
 * wrmsr" / "unhandled rdmsr"), it never falls through to the CPU's own
 * MSRs.
 */
static bool msr_in_hyperv_range(uint32_t msr)
{
    return (msr & ~0x1ffu) == 0x40000000;
}

/*
 * The features whose MSRs answer without hv-enforce-cpuid.  KVM then skips
 * its privilege check (hv_check_msr_access()), so every MSR it keeps state
 * for answers, except that the SynIC and synthetic timer MSRs need an
 * active SynIC (synic_set_msr(), stimer_set_config()), which QEMU only
 * asks for with hv-synic, and the synthetic debugger MSRs need hv-syndbg
 * (kvm_hv_is_syndbg_enabled()).
 */
static uint64_t unenforced_features(const HvPartition *part)
{
    uint64_t features = HV_FEAT_ALL;

    if (!(part->features & HV_FEAT_BIT(HYPERV_FEAT_SYNIC))) {
        features &= ~(HV_FEAT_BIT(HYPERV_FEAT_SYNIC) |
                      HV_FEAT_BIT(HYPERV_FEAT_STIMER));
    }
    if (!(part->features & HV_FEAT_BIT(HYPERV_FEAT_SYNDBG))) {
        features &= ~HV_FEAT_BIT(HYPERV_FEAT_SYNDBG);
    }
    /*
     * KVM has no guest idle MSR at all: 0x400000F0 #GPs there with or
     * without enforcement.  Only hv-guest-idle makes it answer here.
     */
    if (!(part->features & HV_FEAT_BIT(HYPERV_FEAT_GUEST_IDLE))) {
        features &= ~HV_FEAT_BIT(HYPERV_FEAT_GUEST_IDLE);
    }
    return features;
}

bool hv_partition_msr_exposed(const HvPartition *part, uint32_t msr)
{
    /*
     * A partition only exists when Hyper-V is on, and then the guest OS
     * ID and hypercall MSRs (HV_HYPERCALL_AVAILABLE) are always there.
     */
    return hv_msr_exposed(msr, part->enforce_cpuid ? part->features
                                                   : unenforced_features(part),
                          true);
}

int hv_invtsc_cpuid_bit(const HvPartition *part)
{
    if (!(part->features & HV_FEAT_BIT(HYPERV_FEAT_INVTSC))) {
        return -1;
    }
    return part->invtsc_control & HV_EXPOSE_INVARIANT_TSC ? 1 : 0;
}

bool hv_hypercalls_enabled(const HvPartition *part)
{
    return part->hypercall & HV_HYPERCALL_ENABLE;
}

static bool write_gpa(const HvOps *ops, uint64_t gpa, const void *buf,
                      uint64_t len)
{
    return ops->write_gpa && ops->write_gpa(ops->opaque, gpa, buf, len);
}

/*
 * Reference time
 *
 * Two sources, never both: the clock (clock_ns / 100 + ref_time_offset)
 * while the TSC page is disabled or invalid, and the guest TSC through the
 * page's own scale and offset while it is valid, exactly as the guest
 * computes it from the page, so the MSR and the page never disagree (KVM's
 * get_time_ref_counter() does the same).  Whenever the source changes, the
 * new one is anchored to the value the old one had at that moment, so the
 * reference time never goes backwards.
 */

static bool tsc_page_valid(const HvPartition *part)
{
    return (part->reference_tsc & HV_REFERENCE_TSC_ENABLE) &&
           part->tsc_sequence != 0;
}

static int64_t clock_100ns(const HvOps *ops)
{
    return ops->clock_ns ? ops->clock_ns(ops->opaque) / 100 : 0;
}

static uint64_t clock_ref_time(const HvPartition *part, const HvOps *ops)
{
    return (uint64_t)clock_100ns(ops) + (uint64_t)part->ref_time_offset;
}

/* Make the clock-based reference time continue from @now */
static void clock_anchor(HvPartition *part, const HvOps *ops, uint64_t now)
{
    part->ref_time_offset = (int64_t)(now - (uint64_t)clock_100ns(ops));
}

/*
 * What a guest reading the TSC page computes: the TLFS formula, with
 * 64-bit wrap-around like the guest's own arithmetic.
 */
static uint64_t tsc_page_time(uint64_t tsc, uint64_t scale, int64_t offset)
{
    return (uint64_t)(((unsigned __int128)tsc * scale) >> 64) +
           (uint64_t)offset;
}

static uint64_t partition_tsc(const HvOps *ops)
{
    return ops->partition_tsc ? ops->partition_tsc(ops->opaque) : 0;
}

uint64_t hv_ref_time(HvPartition *part, const HvOps *ops)
{
    if (tsc_page_valid(part)) {
        return tsc_page_time(partition_tsc(ops), part->tsc_scale,
                             part->tsc_offset);
    }
    return clock_ref_time(part, ops);
}

/*
 * The next sequence: non-zero, not the "invalid" 0xFFFFFFFF, and not the
 * previous one.
 */
static uint32_t next_tsc_sequence(const HvPartition *part)
{
    uint32_t prev = part->tsc_sequence ? part->tsc_sequence
                                       : part->tsc_last_sequence;
    uint32_t seq = prev + 1;

    if (seq == 0 || seq == 0xffffffff) {
        seq = 1;
    }
    return seq;
}

void hv_tsc_page_update(HvPartition *part, const HvOps *ops)
{
    static const uint8_t zero_seq[4];
    uint64_t gpa = part->reference_tsc & HV_PAGE_MASK;
    bool was_valid = tsc_page_valid(part);
    uint32_t seq = next_tsc_sequence(part);
    uint8_t buf[20];
    uint64_t tsc, now, scale;
    int64_t offset;

    if (!(part->reference_tsc & HV_REFERENCE_TSC_ENABLE)) {
        /*
         * A disabled page holds nothing valid, whatever a migration
         * stream says: enabling it later must start from the clock, not
         * from stale parameters.
         */
        part->tsc_sequence = 0;
        return;
    }

    /*
     * One TSC reading for both the current time and the new offset, so
     * the new parameters continue the old time exactly.
     */
    tsc = partition_tsc(ops);
    now = was_valid ? tsc_page_time(tsc, part->tsc_scale, part->tsc_offset)
                    : clock_ref_time(part, ops);

    /*
     * TLFS update protocol: sequence 0 first (the guest falls back to the
     * TIME_REF_COUNT MSR), then the parameters, then a new sequence.
     */
    part->tsc_sequence = 0;
    if (!write_gpa(ops, gpa, zero_seq, sizeof(zero_seq))) {
        /* Not RAM: the guest cannot read it either; use the MSR */
        goto invalid;
    }
    /* Other vCPUs read the page meanwhile: 0 before the parameters... */
    hv_smp_wmb();

    /*
     * The scale is a 64.64 fixed-point number of 100 ns units per tick;
     * it must be below 1.0, i.e. the TSC faster than 10 MHz.  An unknown
     * frequency (0) leaves the page at sequence 0.
     */
    if (!ops->partition_tsc || ops->tsc_hz <= REF_TIME_HZ) {
        goto invalid;
    }
    scale = (uint64_t)(((unsigned __int128)REF_TIME_HZ << 64) / ops->tsc_hz);
    offset = (int64_t)(now - tsc_page_time(tsc, scale, 0));

    /* Reserved dword, TscScale, TscOffset (offsets 4, 8, 16) */
    hv_st32_le(buf, 0);
    hv_st64_le(buf + 4, scale);
    hv_st64_le(buf + 12, (uint64_t)offset);
    if (!write_gpa(ops, gpa + 4, buf, sizeof(buf))) {
        goto invalid;
    }

    /* ...and the parameters before the new sequence */
    hv_smp_wmb();
    hv_st32_le(buf, seq);
    if (!write_gpa(ops, gpa, buf, 4)) {
        goto invalid;
    }
    part->tsc_scale = scale;
    part->tsc_offset = offset;
    part->tsc_sequence = seq;
    part->tsc_last_sequence = seq;
    return;

invalid:
    /* The clock takes over from where the time was */
    part->tsc_sequence = 0;
    clock_anchor(part, ops, now);
}

/* The guest enables, moves or disables the TSC page */
static HvMsrResult write_reference_tsc(HvPartition *part, const HvOps *ops,
                                       uint64_t val)
{
    if (!(val & HV_REFERENCE_TSC_ENABLE)) {
        if (tsc_page_valid(part)) {
            uint64_t now = hv_ref_time(part, ops);

            part->tsc_sequence = 0;
            clock_anchor(part, ops, now);
        }
        part->reference_tsc = val;
        return HV_MSR_OK;
    }
    /*
     * While disabled the sequence is 0, so hv_tsc_page_update() starts
     * from the clock; while enabled it starts from the old parameters.
     */
    part->reference_tsc = val;
    hv_tsc_page_update(part, ops);
    return HV_MSR_OK;
}

/*
 * The hypercall page: the instruction sequence the guest calls to make a
 * hypercall (KVM writes the same 4 bytes and leaves the rest of the page
 * alone).
 */
static HvMsrResult write_hypercall(HvPartition *part, const HvOps *ops,
                                   uint64_t val)
{
    static const uint8_t vmcall[] = { 0x0f, 0x01, 0xc1, 0xc3 };
    static const uint8_t vmmcall[] = { 0x0f, 0x01, 0xd9, 0xc3 };

    /* TLFS: once locked, the MSR keeps its value until reset */
    if (part->hypercall & HV_HYPERCALL_LOCKED) {
        return HV_MSR_OK;
    }
    /* KVM: hypercalls stay disabled until the guest identifies itself */
    if (!part->guest_os_id) {
        return HV_MSR_OK;
    }
    if ((val & HV_HYPERCALL_ENABLE) &&
        !write_gpa(ops, val & HV_PAGE_MASK,
                   part->vmmcall ? vmmcall : vmcall, sizeof(vmcall))) {
        return HV_MSR_GP;
    }
    part->hypercall = val;
    return HV_MSR_OK;
}

static HvMsrResult write_vp_assist(HvVp *vp, const HvOps *ops, uint64_t val)
{
    static const uint8_t zero[4];

    /*
     * Clear only the APIC assist dword at the start of the page, as KVM
     * does: the rest of the page may hold state the guest (or a migration)
     * put there.
     */
    if ((val & HV_VP_ASSIST_PAGE_ENABLE) &&
        !write_gpa(ops, val & HV_PAGE_MASK, zero, sizeof(zero))) {
        return HV_MSR_GP;
    }
    vp->vapic_assist = val;
    return HV_MSR_OK;
}

/*
 * Without hv-enforce-cpuid KVM reads the synthetic timer MSRs even
 * without an active SynIC (stimer_get_config() and stimer_get_count()
 * check nothing); only writes need the SynIC.
 */
static bool stimer_read_unenforced(const HvPartition *part, uint32_t msr)
{
    return !part->enforce_cpuid && msr >= HV_X64_MSR_STIMER0_CONFIG &&
           msr <= HV_X64_MSR_STIMER3_COUNT;
}

HvMsrResult hv_msr_read(HvPartition *part, HvVp *vp, const HvOps *ops,
                        uint32_t msr, uint64_t *val)
{
    if (!msr_in_hyperv_range(msr)) {
        return HV_MSR_NOT_HYPERV;
    }
    vp->stats.msr_reads++;
    if (!hv_partition_msr_exposed(part, msr) &&
        !stimer_read_unenforced(part, msr)) {
        return HV_MSR_GP;
    }

    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
        *val = part->guest_os_id;
        break;
    case HV_X64_MSR_HYPERCALL:
        *val = part->hypercall;
        break;
    case HV_X64_MSR_VP_INDEX:
        *val = vp->vp_index;
        break;
    case HV_X64_MSR_RESET:
        *val = 0;
        break;
    case HV_X64_MSR_VP_RUNTIME:
        *val = ops->vp_runtime ? ops->vp_runtime(ops->opaque, vp) : 0;
        break;
    case HV_X64_MSR_TIME_REF_COUNT:
        *val = hv_ref_time(part, ops);
        break;
    case HV_X64_MSR_REFERENCE_TSC:
        *val = part->reference_tsc;
        break;
    case HV_X64_MSR_TSC_FREQUENCY:
        *val = ops->tsc_frequency_msr_hz ? ops->tsc_frequency_msr_hz
                                         : ops->tsc_hz;
        break;
    case HV_X64_MSR_APIC_FREQUENCY:
        *val = ops->apic_hz;
        break;
    case HV_X64_MSR_ICR:
        if (!ops->apic_icr_read) {
            return HV_MSR_GP;
        }
        *val = ops->apic_icr_read(ops->opaque, vp);
        break;
    case HV_X64_MSR_TPR:
        if (!ops->apic_tpr_read) {
            return HV_MSR_GP;
        }
        *val = ops->apic_tpr_read(ops->opaque, vp);
        break;
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        *val = vp->vapic_assist;
        break;
    case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        return hv_synic_msr_read(part, vp, ops, msr, val);
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
        return hv_stimer_msr_read(part, vp, ops, msr, val);
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
        *val = part->crash_params[msr - HV_X64_MSR_CRASH_P0];
        break;
    case HV_X64_MSR_CRASH_CTL:
        /* Reads report what the partition can do: crash notification */
        *val = HV_CRASH_CTL_NOTIFY;
        break;
    case HV_X64_MSR_REENLIGHTENMENT_CONTROL:
        *val = part->reenlightenment_control;
        break;
    case HV_X64_MSR_TSC_EMULATION_CONTROL:
        *val = part->tsc_emulation_control;
        break;
    case HV_X64_MSR_TSC_EMULATION_STATUS:
        *val = part->tsc_emulation_status;
        break;
    case HV_X64_MSR_TSC_INVARIANT_CONTROL:
        *val = part->invtsc_control;
        break;
    case HV_X64_MSR_GUEST_IDLE:
        /* The VP idles after this read, which returns 0 (TLFS) */
        *val = 0;
        if (ops->guest_idle) {
            ops->guest_idle(ops->opaque, vp);
        }
        break;
    case HV_X64_MSR_SYNDBG_CONTROL:
        *val = part->syndbg_control;
        break;
    case HV_X64_MSR_SYNDBG_STATUS:
        *val = part->syndbg_status;
        break;
    case HV_X64_MSR_SYNDBG_SEND_BUFFER:
        *val = part->syndbg_send_page;
        break;
    case HV_X64_MSR_SYNDBG_RECV_BUFFER:
        *val = part->syndbg_recv_page;
        break;
    case HV_X64_MSR_SYNDBG_PENDING_BUFFER:
        *val = part->syndbg_pending_page;
        break;
    case HV_X64_MSR_SYNDBG_OPTIONS:
        *val = part->syndbg_options;
        break;
    default:
        /* HV_X64_MSR_EOI is write-only */
        return HV_MSR_GP;
    }
    return HV_MSR_OK;
}

HvMsrResult hv_msr_write(HvPartition *part, HvVp *vp, const HvOps *ops,
                         uint32_t msr, uint64_t val)
{
    if (!msr_in_hyperv_range(msr)) {
        return HV_MSR_NOT_HYPERV;
    }
    vp->stats.msr_writes++;
    if (!hv_partition_msr_exposed(part, msr)) {
        return HV_MSR_GP;
    }

    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
        part->guest_os_id = val;
        /*
         * KVM: clearing the guest OS ID disables the hypercall page --
         * unless the guest locked the hypercall MSR, which the TLFS makes
         * immutable until the partition is reset.
         */
        if (!val && !(part->hypercall & HV_HYPERCALL_LOCKED)) {
            part->hypercall &= ~(uint64_t)HV_HYPERCALL_ENABLE;
        }
        return HV_MSR_OK;
    case HV_X64_MSR_HYPERCALL:
        return write_hypercall(part, ops, val);
    case HV_X64_MSR_REFERENCE_TSC:
        return write_reference_tsc(part, ops, val);
    case HV_X64_MSR_RESET:
        if (val == RESET_REQUEST && ops->reset) {
            ops->reset(ops->opaque);
        }
        return HV_MSR_OK;
    case HV_X64_MSR_EOI:
        if (!ops->apic_eoi) {
            return HV_MSR_GP;
        }
        ops->apic_eoi(ops->opaque, vp);
        return HV_MSR_OK;
    case HV_X64_MSR_ICR:
        return ops->apic_icr_write &&
               ops->apic_icr_write(ops->opaque, vp, val) ? HV_MSR_OK
                                                          : HV_MSR_GP;
    case HV_X64_MSR_TPR:
        return ops->apic_tpr_write &&
               ops->apic_tpr_write(ops->opaque, vp, val) ? HV_MSR_OK
                                                          : HV_MSR_GP;
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        return write_vp_assist(vp, ops, val);
    case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        return hv_synic_msr_write(part, vp, ops, msr, val);
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
        return hv_stimer_msr_write(part, vp, ops, msr, val);
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
        part->crash_params[msr - HV_X64_MSR_CRASH_P0] = val;
        return HV_MSR_OK;
    case HV_X64_MSR_CRASH_CTL:
        /*
         * Windows sets CrashMessage (62) with the message in P3/P4, and may
         * set NoCrashDump (61) and PreOSId (60:58): KVM and Xen accept
         * every bit and report the crash on CrashNotify (63).
         */
        if ((val & HV_CRASH_CTL_NOTIFY) && ops->crash) {
            ops->crash(ops->opaque, part->crash_params);
        }
        return HV_MSR_OK;
    case HV_X64_MSR_REENLIGHTENMENT_CONTROL:
        part->reenlightenment_control = val;
        return HV_MSR_OK;
    case HV_X64_MSR_TSC_EMULATION_CONTROL:
        part->tsc_emulation_control = val;
        return HV_MSR_OK;
    case HV_X64_MSR_TSC_EMULATION_STATUS:
        /*
         * The guest may only clear InProgress (it says it has seen the
         * migration); only the hypervisor sets it.  KVM #GPs any
         * non-zero write.
         */
        if (val) {
            return HV_MSR_GP;
        }
        if (part->tsc_emulation_status & TSC_EMULATION_IN_PROGRESS) {
            /*
             * The guest has switched its clocks to the new frequency:
             * the TSC may now run at it, and the TSC page follow.
             */
            part->tsc_emulation_status = val;
            if (ops->tsc_emulation_done) {
                ops->tsc_emulation_done(ops->opaque);
            }
            hv_tsc_page_update(part, ops);
            return HV_MSR_OK;
        }
        part->tsc_emulation_status = val;
        return HV_MSR_OK;
    case HV_X64_MSR_TSC_INVARIANT_CONTROL:
        /*
         * KVM: only bit 0 exists, and once the guest has exposed the
         * invariant TSC it cannot take it back (its CPUID would change
         * under the feet of code that read it).
         */
        if ((val & ~HV_EXPOSE_INVARIANT_TSC) ||
            (part->invtsc_control && !val)) {
            return HV_MSR_GP;
        }
        part->invtsc_control = val;
        return HV_MSR_OK;
    case HV_X64_MSR_SYNDBG_CONTROL:
        /*
         * The synthetic debugger is not in the TLFS; KVM and QEMU define
         * it: the SEND bit sends SEND_SIZE bytes of the send page, else
         * the RECV bit receives into the receive page, and STATUS tells
         * how it went.  No bit is reserved.
         */
        part->syndbg_control = val;
        if (val & HV_SYNDBG_CONTROL_SEND) {
            part->syndbg_status = ops->syndbg_send ?
                ops->syndbg_send(ops->opaque, part->syndbg_send_page,
                                 HV_SYNDBG_CONTROL_SEND_SIZE(val)) :
                HV_SYNDBG_STATUS_INVALID;
        } else if (val & HV_SYNDBG_CONTROL_RECV) {
            part->syndbg_status = ops->syndbg_recv ?
                ops->syndbg_recv(ops->opaque, part->syndbg_recv_page,
                                 HV_PAGE_SIZE) :
                HV_SYNDBG_STATUS_INVALID;
        }
        return HV_MSR_OK;
    case HV_X64_MSR_SYNDBG_STATUS:
        part->syndbg_status = val;
        return HV_MSR_OK;
    case HV_X64_MSR_SYNDBG_SEND_BUFFER:
        part->syndbg_send_page = val;
        return HV_MSR_OK;
    case HV_X64_MSR_SYNDBG_RECV_BUFFER:
        part->syndbg_recv_page = val;
        return HV_MSR_OK;
    case HV_X64_MSR_SYNDBG_PENDING_BUFFER:
        part->syndbg_pending_page = val;
        if (ops->syndbg_pending_page) {
            ops->syndbg_pending_page(ops->opaque, val);
        }
        return HV_MSR_OK;
    case HV_X64_MSR_SYNDBG_OPTIONS:
        part->syndbg_options = val;
        return HV_MSR_OK;
    default:
        /*
         * Read-only: VP_INDEX (only the host sets it), VP_RUNTIME,
         * TIME_REF_COUNT, the frequency MSRs.
         */
        return HV_MSR_GP;
    }
}

void hv_partition_reset(HvPartition *part, const HvOps *ops)
{
    part->guest_os_id = 0;
    part->hypercall = 0;
    part->reference_tsc = 0;
    memset(part->crash_params, 0, sizeof(part->crash_params));
    part->crash_ctl = 0;
    part->reenlightenment_control = 0;
    part->tsc_emulation_control = 0;
    part->tsc_emulation_status = 0;
    part->invtsc_control = 0;
    part->tsc_sequence = 0;
    part->tsc_scale = 0;
    part->tsc_offset = 0;
    part->syndbg_control = 0;
    part->syndbg_status = 0;
    part->syndbg_send_page = 0;
    part->syndbg_recv_page = 0;
    part->syndbg_pending_page = 0;
    /* Like KVM's host write of SYNDBG_OPTIONS when the VM starts */
    part->syndbg_options = ops->syndbg_options ?
                           ops->syndbg_options(ops->opaque) : 0;
    /*
     * tsc_last_sequence survives: guest memory survives a reset, and a TSC
     * page enabled again at the same place must get a new sequence.
     *
     * The reference time counts from partition creation; a reset starts
     * the partition afresh, so it counts from 0 again.
     */
    clock_anchor(part, ops, 0);
}

void hv_vp_reset(HvVp *vp, uint32_t vp_index)
{
    int i;

    /*
     * TLFS: SCONTROL, SIEFP, SIMP and the timers are 0 at VP creation and
     * reset, the SINTs 0x10000 (masked); no message is queued.
     */
    HvVpStats stats = vp->stats;

    memset(vp, 0, sizeof(*vp));
    vp->stats = stats;
    vp->vp_index = vp_index;
    for (i = 0; i < HV_SINT_COUNT; i++) {
        vp->sint[i] = HV_SINT_MASKED;
    }
    hv_synic_update_vectors(vp);
}

void hv_vp_post_load(HvPartition *part, HvVp *vp, const HvOps *ops)
{
    hv_synic_update_vectors(vp);
    if (ops->synic_update) {
        ops->synic_update(ops->opaque, vp);
    }
    hv_stimer_rearm_all(part, vp, ops);
}

bool hv_tsc_frequency_changed(HvPartition *part, HvVp *vp, const HvOps *ops)
{
    uint64_t ctl = part->reenlightenment_control;

    if (!(part->features & HV_FEAT_BIT(HYPERV_FEAT_REENLIGHTENMENT))) {
        return false;
    }
    if ((ctl & HV_REENLIGHTENMENT_ENABLE_BIT) && ops->send_ipi) {
        HvVpSet target = { .all = false };
        uint32_t target_vp = ctl >> 32;

        if (target_vp < HV_MAX_VPS) {
            target.banks[target_vp / 64] = 1ull << (target_vp % 64);
            ops->send_ipi(ops->opaque, vp, &target, ctl & 0xff);
        }
    }
    if (part->tsc_emulation_control & 1) {
        part->tsc_emulation_status |= TSC_EMULATION_IN_PROGRESS;
        return true;
    }
    return false;
}
