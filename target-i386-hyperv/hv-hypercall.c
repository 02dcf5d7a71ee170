/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the hypercall dispatcher and the hypercalls the core
 * implements (virtual TLB flushes, synthetic cluster IPIs, long spin wait
 * notification), and VP set parsing.
 *
 * Semantics are the TLFS's ("Hypercall Interface"); where it is silent,
 * Linux KVM's kvm_hv_hypercall() decides (each such place says so).  The
 * guest controls every input, so every input is checked before use and
 * guest memory is only read where the TLFS puts the input parameters.
 */

#include <string.h>

#include "hv-internal.h"

/* Fast input: RDX and R8, then XMM0-XMM5 (112 bytes in all) */
#define FAST_GPR_WORDS      2
#define FAST_XMM_WORDS      (FAST_GPR_WORDS + \
                             2 * HV_HYPERCALL_MAX_XMM_REGISTERS)

/* Slow input must fit in one page (it may not cross a page boundary) */
#define MAX_INPUT_WORDS     (HV_PAGE_SIZE / 8)

typedef struct HvCall HvCall;

/* What the dispatcher needs to know about a hypercall */
typedef struct HvCallInfo {
    uint16_t code;
    bool rep;               /* a rep call: takes a rep count and list */
    bool var_header;        /* takes a variable-size input header */
    bool xmm;               /* fast form may pass input in XMM registers */
    uint8_t fixed_words;    /* fixed input header, 8-byte words */
    uint64_t (*run)(HvCall *call);
} HvCallInfo;

/* One hypercall in progress */
struct HvCall {
    HvPartition *part;
    HvVp *vp;
    const HvOps *ops;
    const HvCallInfo *info;
    bool fast;
    unsigned var_cnt;       /* variable header size, 8-byte words */
    unsigned rep_cnt;
    unsigned rep_start;
    uint64_t ingpa;         /* input GPA, or the first fast input word */
    uint64_t outgpa;        /* output GPA, or the second fast input word */
    /*
     * The input parameters as 8-byte words: fixed header, variable header,
     * then the rep list indexed from its element 0 (elements before
     * rep_start are not read from memory and are left 0).
     */
    uint64_t in[MAX_INPUT_WORDS];
};

static unsigned popcount64(uint64_t v)
{
    return __builtin_popcountll(v);
}

uint16_t hv_parse_vp_set(const uint64_t *words, unsigned n_words,
                         HvVpSet *set, unsigned *consumed)
{
    uint64_t format, valid_banks;
    unsigned n_banks, bank, i = 0;

    memset(set, 0, sizeof(*set));
    if (n_words < 2) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    format = words[0];
    valid_banks = words[1];
    if (format != HV_GENERIC_SET_SPARSE_4K && format != HV_GENERIC_SET_ALL) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    /*
     * One bank word per bit of ValidBanksMask.  KVM wants them present
     * (and counted in the variable header) for the "all" format too, and
     * skips them.
     */
    n_banks = popcount64(valid_banks);
    if (n_words - 2 < n_banks) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (format == HV_GENERIC_SET_ALL) {
        set->all = true;
    } else {
        /* Bank contents come in ascending bank order */
        for (bank = 0; bank < 64; bank++) {
            if (valid_banks & (1ull << bank)) {
                set->banks[bank] = words[2 + i++];
            }
        }
    }
    *consumed = 2 + n_banks;
    return HV_STATUS_SUCCESS;
}

/*
 * Does @set name any VP at all?  Which VPs exist is the glue's business:
 * VP indexes need not be dense (CPU hot-plug leaves holes), so the set
 * goes to it as the guest wrote it and it matches each VP's own index, as
 * KVM's sparse_set_to_vcpu_mask() does; indexes no VP has are ignored.
 */
static bool vp_set_empty(const HvVpSet *set)
{
    unsigned bank;

    if (set->all) {
        return false;
    }
    for (bank = 0; bank < HV_MAX_VPS / 64; bank++) {
        if (set->banks[bank]) {
            return false;
        }
    }
    return true;
}

static bool feature_on(const HvPartition *part, int feat)
{
    return part->features & HV_FEAT_BIT(feat);
}

static uint64_t rep_result(uint16_t status, unsigned reps_done)
{
    return status | (uint64_t)reps_done << HV_HYPERCALL_RESULT_REP_SHIFT;
}

/*
 * HvFlushVirtualAddressSpace(Ex) / HvFlushVirtualAddressList(Ex)
 *
 * Input: AddressSpace, Flags, then ProcessorMask (non-Ex) or an HV_VP_SET
 * whose bank words are the variable header (Ex), then for the List forms
 * the GVA ranges.  QEMU cannot flush by address space, so every address
 * space is flushed (as KVM does).
 */
static uint64_t hc_flush(HvCall *c)
{
    bool ex = c->info->code == HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX ||
              c->info->code == HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX;
    uint64_t flags = c->in[1];
    const uint64_t *gvas = NULL;
    unsigned n_gvas = 0, list;
    HvVpSet set;

    if ((flags & HV_FLUSH_USE_EXTENDED_RANGE_FORMAT) &&
        !feature_on(c->part, HYPERV_FEAT_TLBFLUSH_EXT)) {
        return HV_STATUS_INVALID_PARAMETER;
    }

    if (!ex) {
        uint64_t mask = c->in[2];

        memset(&set, 0, sizeof(set));
        set.banks[0] = mask;
        /*
         * KVM: Windows Server 2012 sends an empty mask without
         * HV_FLUSH_ALL_PROCESSORS and expects a flush; treat it as "all".
         */
        set.all = (flags & HV_FLUSH_ALL_PROCESSORS) || !mask;
        list = 3;
    } else {
        unsigned consumed;
        uint16_t status = hv_parse_vp_set(&c->in[2], 2 + c->var_cnt, &set,
                                          &consumed);

        if (status != HV_STATUS_SUCCESS) {
            return status;
        }
        /* The variable header is exactly the bank words (KVM) */
        if (consumed != 2 + c->var_cnt) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        /* Flushing more than asked is always safe */
        if (flags & HV_FLUSH_ALL_PROCESSORS) {
            set.all = true;
        }
        list = 4 + c->var_cnt;
    }

    /*
     * The List forms flush the ranges from rep start on.  Ranges in the
     * extended format (large pages, 2047 extra pages) are not what
     * flush_tlb's callers decode: flush everything for them instead.
     */
    if (c->info->rep && !(flags & HV_FLUSH_USE_EXTENDED_RANGE_FORMAT)) {
        gvas = &c->in[list + c->rep_start];
        n_gvas = c->rep_cnt - c->rep_start;
    }

    if (!vp_set_empty(&set) && c->ops->flush_tlb) {
        c->ops->flush_tlb(c->ops->opaque, c->vp, &set, gvas, n_gvas);
    }
    /* Every range was flushed: all reps are complete */
    return rep_result(HV_STATUS_SUCCESS, c->rep_cnt);
}

/*
 * HvSendSyntheticClusterIpi(Ex)
 *
 * Input: Vector (32 bits), TargetVtl (8 bits), 24 reserved bits, then a
 * 64-bit ProcessorMask (non-Ex) or an HV_VP_SET (Ex).
 */
static uint64_t hc_send_ipi(HvCall *c)
{
    bool ex = c->info->code == HV_SEND_SYNTHETIC_CLUSTER_IPI_EX;
    uint32_t vector = (uint32_t)c->in[0];
    HvVpSet set;

    /*
     * Only VTL 0 exists, and the rest is reserved: KVM rejects a non-zero
     * upper half in the fast form; the memory form has the same layout.
     */
    if (c->in[0] >> 32) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (!ex) {
        memset(&set, 0, sizeof(set));
        set.banks[0] = c->in[1];
    } else {
        unsigned consumed;
        uint16_t status = hv_parse_vp_set(&c->in[1], 2 + c->var_cnt, &set,
                                          &consumed);

        if (status != HV_STATUS_SUCCESS) {
            return status;
        }
        if (consumed != 2 + c->var_cnt) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
    }
    /* KVM: only the vectors an APIC can deliver as fixed interrupts */
    if (vector < HV_IPI_LOW_VECTOR || vector > HV_IPI_HIGH_VECTOR) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (!vp_set_empty(&set) && c->ops->send_ipi) {
        c->ops->send_ipi(c->ops->opaque, c->vp, &set, vector);
    }
    return HV_STATUS_SUCCESS;
}

/* HvNotifyLongSpinWait: no input; a hint to run another VP */
static uint64_t hc_long_spin_wait(HvCall *c)
{
    if (c->ops->long_spin_wait) {
        c->ops->long_spin_wait(c->ops->opaque, c->vp);
    }
    return HV_STATUS_SUCCESS;
}

/*
 * HvPostMessage / HvSignalEvent: the connections are the devices' business
 * (ops->synic_hypercall).  As in KVM, the caller's SCONTROL does not
 * matter: the target VP's SynIC decides whether anything arrives.
 * Without hv-synic (hv-enforce-cpuid=off, so the privilege check let them
 * through) they fail as KVM's do without an active SynIC.
 */
static uint64_t hc_synic(HvCall *c)
{
    if (!feature_on(c->part, HYPERV_FEAT_SYNIC) || !c->ops->synic_hypercall) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    /*
     * The TLFS alignment rules hold for HvPostMessage's 256-byte input
     * too (QEMU's handler only needs 4-byte alignment).
     */
    if (c->info->code == HV_POST_MESSAGE && !c->fast &&
        ((c->ingpa & 7) ||
         (c->ingpa & ~HV_PAGE_MASK) + sizeof(struct hyperv_post_message_input) >
         HV_PAGE_SIZE)) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    if (c->info->code == HV_POST_MESSAGE && !c->fast) {
        uint8_t header[16];     /* connection, reserved, type, size */
        uint64_t type_size;
        uint32_t type, size;

        if (!c->ops->read_gpa ||
            !c->ops->read_gpa(c->ops->opaque, c->ingpa, header,
                              sizeof(header))) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        type_size = hv_ld64_le(header + 8);
        type = (uint32_t)type_size;
        size = type_size >> 32;
        /*
         * TLFS: any message type with the most significant bit clear
         * except zero (the others are the hypervisor's own), and at most
         * HV_MESSAGE_PAYLOAD_SIZE bytes of payload.
         */
        if (type == 0 || (type & 0x80000000u) ||
            size > HV_MESSAGE_PAYLOAD_SIZE) {
            return HV_STATUS_INVALID_PARAMETER;
        }
    }
    return c->ops->synic_hypercall(c->ops->opaque, c->vp,
                                   c->info->code, c->ingpa, c->fast);
}

/*
 * HvPostDebugData, HvRetrieveDebugData, HvResetDebugSession: the
 * synthetic debugger's transport (ops->syndbg_hypercall) reads and writes
 * the input and output pages itself.  Not in the TLFS; KVM's checks.
 */
static uint64_t hc_syndbg(HvCall *c)
{
    if (c->fast && c->info->code != HV_RESET_DEBUG_SESSION) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    /* KVM: without the debugger these are unknown calls */
    if (!feature_on(c->part, HYPERV_FEAT_SYNDBG)) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    if (!(c->part->syndbg_options & HV_X64_SYNDBG_OPTION_USE_HCALLS)) {
        return HV_STATUS_OPERATION_DENIED;
    }
    if (!c->ops->syndbg_hypercall) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    return c->ops->syndbg_hypercall(c->ops->opaque, c->vp, c->info->code,
                                    c->ingpa, c->outgpa);
}

static const HvCallInfo hv_calls[] = {
    {
        .code = HV_FLUSH_VIRTUAL_ADDRESS_SPACE,
        .xmm = true, .fixed_words = 3, .run = hc_flush,
    }, {
        .code = HV_FLUSH_VIRTUAL_ADDRESS_LIST,
        .rep = true, .xmm = true, .fixed_words = 3, .run = hc_flush,
    }, {
        .code = HV_NOTIFY_LONG_SPIN_WAIT,
        .run = hc_long_spin_wait,
    }, {
        .code = HV_SEND_SYNTHETIC_CLUSTER_IPI,
        .fixed_words = 2, .run = hc_send_ipi,
    }, {
        .code = HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX,
        .var_header = true, .xmm = true, .fixed_words = 4, .run = hc_flush,
    }, {
        .code = HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX,
        .rep = true, .var_header = true, .xmm = true, .fixed_words = 4,
        .run = hc_flush,
    }, {
        .code = HV_SEND_SYNTHETIC_CLUSTER_IPI_EX,
        .var_header = true, .xmm = true, .fixed_words = 3,
        .run = hc_send_ipi,
    }, {
        .code = HV_POST_MESSAGE,
        .run = hc_synic,
    }, {
        .code = HV_SIGNAL_EVENT,
        .run = hc_synic,
    }, {
        .code = HV_POST_DEBUG_DATA,
        .run = hc_syndbg,
    }, {
        .code = HV_RETRIEVE_DEBUG_DATA,
        .run = hc_syndbg,
    }, {
        .code = HV_RESET_DEBUG_SESSION,
        .run = hc_syndbg,
    },
};

static const HvCallInfo *find_call(uint16_t code)
{
    size_t i;

    for (i = 0; i < sizeof(hv_calls) / sizeof(hv_calls[0]); i++) {
        if (hv_calls[i].code == code) {
            return &hv_calls[i];
        }
    }
    return NULL;
}

static const struct {
    uint16_t code;
    const char *name;
} hv_stat_calls[HV_STAT_CALL_COUNT] = {
    [HV_STAT_CALL_FLUSH_SPACE] = {
        HV_FLUSH_VIRTUAL_ADDRESS_SPACE, "HvCallFlushVirtualAddressSpace" },
    [HV_STAT_CALL_FLUSH_LIST] = {
        HV_FLUSH_VIRTUAL_ADDRESS_LIST, "HvCallFlushVirtualAddressList" },
    [HV_STAT_CALL_FLUSH_SPACE_EX] = {
        HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX,
        "HvCallFlushVirtualAddressSpaceEx" },
    [HV_STAT_CALL_FLUSH_LIST_EX] = {
        HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX, "HvCallFlushVirtualAddressListEx" },
    [HV_STAT_CALL_SEND_IPI] = {
        HV_SEND_SYNTHETIC_CLUSTER_IPI, "HvCallSendSyntheticClusterIpi" },
    [HV_STAT_CALL_SEND_IPI_EX] = {
        HV_SEND_SYNTHETIC_CLUSTER_IPI_EX, "HvCallSendSyntheticClusterIpiEx" },
    [HV_STAT_CALL_POST_MESSAGE] = { HV_POST_MESSAGE, "HvCallPostMessage" },
    [HV_STAT_CALL_SIGNAL_EVENT] = { HV_SIGNAL_EVENT, "HvCallSignalEvent" },
    [HV_STAT_CALL_LONG_SPIN_WAIT] = {
        HV_NOTIFY_LONG_SPIN_WAIT, "HvCallNotifyLongSpinWait" },
    [HV_STAT_CALL_OTHER] = { 0, "other" },
};

HvStatCall hv_stat_call_of(uint16_t code)
{
    unsigned i;

    for (i = 0; i < HV_STAT_CALL_OTHER; i++) {
        if (hv_stat_calls[i].code == code) {
            return i;
        }
    }
    return HV_STAT_CALL_OTHER;
}

uint16_t hv_stat_call_code(HvStatCall call)
{
    return call < HV_STAT_CALL_COUNT ? hv_stat_calls[call].code : 0;
}

const char *hv_stat_call_name(HvStatCall call)
{
    return call < HV_STAT_CALL_COUNT ? hv_stat_calls[call].name : "other";
}

static bool hv_is_syndbg_call(uint16_t code)
{
    return code == HV_POST_DEBUG_DATA || code == HV_RETRIEVE_DEBUG_DATA ||
           code == HV_RESET_DEBUG_SESSION;
}

bool hv_partition_hypercall_exposed(const HvPartition *part, uint16_t code)
{
    /*
     * KVM's hv_check_hypercall_access(): the synthetic debugger's calls
     * pass when the debugger is off, so that they fail as unknown codes,
     * and nothing is checked without hv-enforce-cpuid.
     */
    if (!part->enforce_cpuid || hv_is_syndbg_call(code)) {
        return true;
    }
    if (hv_ext_hypercall_code(code)) {
        /* KVM: every code of the range needs the privilege */
        return feature_on(part, HYPERV_FEAT_EXT_HYPERCALLS);
    }
    if (code == HV_NOTIFY_LONG_SPIN_WAIT) {
        /*
         * KVM: only when leaf 0x40000004.EBX tells the guest to notify,
         * i.e. the retry count is neither 0 nor "never".
         */
        return part->spinlock_attempts != 0 &&
               part->spinlock_attempts != HYPERV_SPINLOCK_NEVER_NOTIFY;
    }
    return hv_hypercall_exposed(code, part->features);
}

static bool read_words(HvCall *c, uint64_t gpa, unsigned first,
                       unsigned count)
{
    uint8_t *bytes = (uint8_t *)&c->in[first];
    unsigned i;

    if (!count) {
        return true;
    }
    if (!c->ops->read_gpa ||
        !c->ops->read_gpa(c->ops->opaque, gpa, bytes, count * 8ull)) {
        return false;
    }
    for (i = 0; i < count; i++) {
        c->in[first + i] = hv_ld64_le(bytes + 8 * i);
    }
    return true;
}

/* Gather the input parameters into c->in, from registers or memory */
static uint16_t fetch_input(HvCall *c, const HvHypercallRegs *regs)
{
    unsigned header = c->info->fixed_words + c->var_cnt;
    unsigned words = header + (c->info->rep ? c->rep_cnt : 0);

    if (c->fast) {
        uint64_t block[FAST_XMM_WORDS];
        unsigned avail = FAST_GPR_WORDS, i;

        if (c->info->xmm) {
            avail = FAST_XMM_WORDS;
        }
        if (words > avail) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        block[0] = c->ingpa;
        block[1] = c->outgpa;
        for (i = 0; i < HV_HYPERCALL_MAX_XMM_REGISTERS; i++) {
            block[FAST_GPR_WORDS + 2 * i] = regs->xmm[i][0];
            block[FAST_GPR_WORDS + 2 * i + 1] = regs->xmm[i][1];
        }
        memcpy(c->in, block, words * sizeof(block[0]));
        return HV_STATUS_SUCCESS;
    }

    /* No input parameters: the TLFS says the GPA is ignored */
    if (!words) {
        return HV_STATUS_SUCCESS;
    }
    if (c->ingpa & 7) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    /* Header and the whole rep list must sit in the page they start in */
    if ((c->ingpa & ~HV_PAGE_MASK) + words * 8ull > HV_PAGE_SIZE) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    /* Memory that is not RAM: KVM's answer */
    if (!read_words(c, c->ingpa, 0, header)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (c->info->rep &&
        !read_words(c, c->ingpa + (header + c->rep_start) * 8ull,
                    header + c->rep_start, c->rep_cnt - c->rep_start)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    return HV_STATUS_SUCCESS;
}

static uint64_t dispatch(HvCall *c, uint64_t control,
                         const HvHypercallRegs *regs, bool *raise_ud)
{
    uint16_t code = control & HV_HYPERCALL_CODE_MASK;
    uint16_t status;

    c->info = find_call(code);
    c->fast = control & HV_HYPERCALL_FAST;
    c->var_cnt = (control & HV_HYPERCALL_VARHEAD_MASK) >>
                 HV_HYPERCALL_VARHEAD_SHIFT;
    c->rep_cnt = (control & HV_HYPERCALL_REP_COUNT_MASK) >>
                 HV_HYPERCALL_REP_COUNT_SHIFT;
    c->rep_start = (control & HV_HYPERCALL_REP_START_MASK) >>
                   HV_HYPERCALL_REP_START_SHIFT;

    /*
     * Extended hypercalls (0x8001 and up): KVM checks the privilege and
     * the reserved bits, then QEMU runs them under either accelerator
     */
    if (hv_ext_hypercall_code(code)) {
        if (!hv_partition_hypercall_exposed(c->part, code)) {
            return HV_STATUS_ACCESS_DENIED;
        }
        return hv_ext_hypercall(c->part->features, c->ops, control,
                                c->ingpa, c->outgpa);
    }
    /* The privilege check comes first, as in KVM */
    if (c->info && !hv_partition_hypercall_exposed(c->part, code)) {
        return HV_STATUS_ACCESS_DENIED;
    }
    if (control & HV_HYPERCALL_RSVD_MASK) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (!c->info) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    /*
     * TLFS: XMM fast input without hv-xmm-input is a #UD.  KVM raises it
     * only with hv-enforce-cpuid, and otherwise takes the XMM input.
     */
    if (c->fast && c->info->xmm && c->part->enforce_cpuid &&
        !feature_on(c->part, HYPERV_FEAT_XMM_INPUT)) {
        *raise_ud = true;
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    /*
     * TLFS: the rep fields are for rep calls only, where the rep count
     * must be greater than the rep start index; a variable header only
     * for calls documented to take one.
     */
    if (c->info->rep) {
        if (c->rep_start >= c->rep_cnt) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
    } else if (c->rep_cnt || c->rep_start) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (c->var_cnt && !c->info->var_header) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }

    status = fetch_input(c, regs);
    if (status != HV_STATUS_SUCCESS) {
        return status;
    }
    return c->info->run(c);
}

bool hv_hypercall(HvPartition *part, HvVp *vp, const HvOps *ops,
                  HvHypercallRegs *regs)
{
    uint64_t control, result;
    bool raise_ud = false;
    HvCall c;

    memset(&c, 0, sizeof(c));
    c.part = part;
    c.vp = vp;
    c.ops = ops;

    /* TLFS register mapping: the 32-bit form splits each value in two */
    if (regs->long_mode) {
        control = regs->rcx;
        c.ingpa = regs->rdx;
        c.outgpa = regs->r8;
    } else {
        control = regs->rdx << 32 | (uint32_t)regs->rax;
        c.ingpa = regs->rbx << 32 | (uint32_t)regs->rcx;
        c.outgpa = regs->rdi << 32 | (uint32_t)regs->rsi;
    }

    if (!regs->cpl0) {
        /* TLFS: only CPL 0 in protected mode may call; others get #UD */
        raise_ud = true;
        result = HV_STATUS_INVALID_HYPERCALL_CODE;
    } else {
        result = dispatch(&c, control, regs, &raise_ud);
    }

    vp->stats.hypercalls++;
    vp->stats.hypercalls_by_call[hv_stat_call_of(control &
                                                 HV_HYPERCALL_CODE_MASK)]++;
    if ((uint16_t)result != HV_STATUS_SUCCESS) {
        vp->stats.hypercall_errors++;
    }

    if (regs->long_mode) {
        regs->rax = result;
    } else {
        regs->rdx = result >> 32;
        regs->rax = (uint32_t)result;
    }
    return !raise_ud;
}
