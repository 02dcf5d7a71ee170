/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: libFuzzer harness over the accelerator-neutral Hyper-V core
 * (target-i386-hyperv/hv-*.c).
 *
 * One input is a partition configuration followed by a sequence of
 * operations on 1-8 VPs, all guest controlled: MSR reads and writes,
 * hypercalls (registers, XMM input and guest memory from the input),
 * guest stores to memory, clock advances with timer expirations, EOIs,
 * messages and event flags from the host side, partition and VP resets,
 * TSC frequency changes and migration (arbitrary VP state, then
 * hv_vp_post_load()).  The input format is described next to fuzz_one()
 * and produced by tests-fuzz/gen-corpus.py for the seed corpus.
 *
 * The fake machine checks what the core does with it and abort()s on
 * anything the TLFS (or the HvOps contract in hv-core.h) forbids, so that
 * libFuzzer, or the replay driver, reports it with the input:
 *  - guest memory: 256 KiB of RAM at GPA 0 with a 2-page MMIO hole; every
 *    access the core makes must stay within one 4 KiB page, and that page
 *    must be one the guest gave the core (hypercall input page for reads
 *    in a hypercall, the SynIC / TSC / hypercall / assist pages for
 *    writes); the core's buffers are copied byte for byte, so ASan sees
 *    any overrun of them;
 *  - MSRs: a synthetic MSR whose feature is not exposed #GPs with
 *    hv-enforce-cpuid, and without it only the SynIC, timer, debugger and
 *    guest idle MSRs need their feature (checked against a table written here from
 *    the TLFS and KVM, not the model's); reads
 *    change no state; a write that #GPs changes no state and no memory;
 *    plain registers read back what was written;
 *  - hypercalls: the result is a TLFS status with reserved bits clear and
 *    reps completed <= rep count (0 for simple calls); with
 *    hv-enforce-cpuid a call whose feature is off gets
 *    HV_STATUS_ACCESS_DENIED, without it no call is denied; #UD only with
 *    an invalid code or input status; IPI vectors 16-255 and VP sets that
 *    name some VP (indexes no VP has are the glue's to ignore); extended
 *    hypercalls: a fast one gets KVM's answer, heat hints reach the glue
 *    page aligned, below 2^52, at most one per rep, and succeed exactly
 *    when every rep did;
 *  - time: the reference time never goes backwards (until a reset or a
 *    migration); a valid TSC page holds what the core computes from;
 *  - SynIC and timers: interrupts only for an enabled SynIC or a direct
 *    timer, AutoEOI only for AutoEOI vectors, SINT numbers < 16, timer
 *    indexes < 4; an armed timer is enabled, has a non-zero count and has
 *    a host timer armed for its expiration; a timer never signals before
 *    its expiration time.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-core.h"
#include "fuzz-hv.h"

#define RAM_PAGES           64
#define RAM_SIZE            ((uint64_t)RAM_PAGES * HV_PAGE_SIZE)
#define HOLE_FIRST_PAGE     16          /* pages 16-17 are not RAM */
#define HOLE_PAGES          2
#define ADDR_PAGES          80          /* page numbers the input picks */
#define MAX_VPS             8
#define MAX_OPS             256
#define MAX_FIRES           64          /* timer expirations per op */

/* STIMER config bits, from the TLFS */
#define STIMER_ENABLE       (1ull << 0)
#define STIMER_PERIODIC     (1ull << 1)
#define STIMER_DIRECT       (1ull << 12)

#define FAIL(...) fuzz_fail(__func__, __LINE__, __VA_ARGS__)

static void __attribute__((noreturn, format(printf, 3, 4)))
fuzz_fail(const char *func, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "INVARIANT VIOLATED (%s:%d): ", func, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* The host timer behind one synthetic timer */
typedef struct FuzzTimer {
    bool armed;
    uint64_t exp_time;
} FuzzTimer;

/* What the current operation allows the core to touch */
typedef enum FuzzPhase {
    PHASE_OTHER,        /* SynIC / timers / MSRs: registered pages only */
    PHASE_HYPERCALL,    /* reads of the input page, writes of output */
    PHASE_GLUE,         /* the fake's own accesses: anything */
} FuzzPhase;

typedef struct Fuzz {
    uint8_t *ram;
    HvOps ops;
    HvPartition part;
    HvVp vp[MAX_VPS];
    unsigned n_vps;
    FuzzTimer timers[MAX_VPS][HV_STIMER_COUNT];

    /* guest TSC: tsc_base + (clock_ns - tsc_clock_base) at tsc_hz */
    int64_t clock_ns;
    uint64_t tsc_base;
    int64_t tsc_clock_base;
    uint64_t new_tsc_hz;        /* for tsc_emulation_done */

    /* Reference time monotonicity */
    uint64_t last_ref;

    /* Access checking */
    FuzzPhase phase;
    bool extra_page_ok;         /* page of an MSR value being written */
    uint64_t extra_page;
    uint64_t in_page, out_page; /* hypercall input / output GPA pages */
    uint64_t in_gpa;            /* hypercall input GPA */
    bool hc_fast;               /* fast hypercall: no input in memory */
    bool in_glue;               /* the fake itself reads guest memory */
    unsigned side_effects;      /* flush_tlb / send_ipi calls */
    unsigned good_writes;       /* successful writes (all phases) */
    unsigned deliveries;        /* sint_deliver calls */

    /* State loaded from the input, not produced by the core */
    bool vp_loaded[MAX_VPS];
    uint16_t synic_status;      /* what synic_hypercall answers */
    unsigned ops_done;

    /* Extended hypercalls: heat hint ranges the glue got this call */
    unsigned ext_hints;
    unsigned ext_zeroed_calls;
    unsigned ext_discard_toggle;
} Fuzz;

static Fuzz fz;

/* Where the fake puts what it reads from the core, so it is read */
static volatile uint64_t sink;

/* The input, read front to back; reads past its end give zeroes */
typedef struct Input {
    const uint8_t *data;
    size_t size, pos;
} Input;

static uint8_t in_u8(Input *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint16_t in_u16(Input *in)
{
    uint16_t lo = in_u8(in);

    return lo | (uint16_t)in_u8(in) << 8;
}

static uint32_t in_u32(Input *in)
{
    uint32_t lo = in_u16(in);

    return lo | (uint32_t)in_u16(in) << 16;
}

static uint64_t in_u64(Input *in)
{
    uint64_t lo = in_u32(in);

    return lo | (uint64_t)in_u32(in) << 32;
}

/*
 * A GPA-like 64-bit value: mode bit 0 set picks page (mode >> 1) %
 * ADDR_PAGES with the low 12 bits of the raw value (flags, offset);
 * otherwise the raw value.
 */
static uint64_t in_addr(Input *in)
{
    uint8_t mode = in_u8(in);
    uint64_t raw = in_u64(in);

    if (mode & 1) {
        return (raw & ~HV_PAGE_MASK) |
               (uint64_t)((mode >> 1) % ADDR_PAGES) * HV_PAGE_SIZE;
    }
    return raw;
}

/* Guest memory */

static bool is_ram(uint64_t gpa, uint64_t len)
{
    uint64_t first, last;

    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa || !len) {
        return false;
    }
    first = gpa / HV_PAGE_SIZE;
    last = (gpa + len - 1) / HV_PAGE_SIZE;
    return last < HOLE_FIRST_PAGE || first >= HOLE_FIRST_PAGE + HOLE_PAGES;
}

static uint64_t page_of(uint64_t v)
{
    return v & HV_PAGE_MASK;
}

/* Is @page one the guest registered with the core for it to write? */
static bool registered_page(uint64_t page)
{
    unsigned i;

    if (fz.extra_page_ok && page == fz.extra_page) {
        return true;
    }
    if ((fz.part.hypercall & HV_HYPERCALL_ENABLE) &&
        page == page_of(fz.part.hypercall)) {
        return true;
    }
    if ((fz.part.reference_tsc & HV_REFERENCE_TSC_ENABLE) &&
        page == page_of(fz.part.reference_tsc)) {
        return true;
    }
    for (i = 0; i < fz.n_vps; i++) {
        const HvVp *vp = &fz.vp[i];

        if (((vp->simp & HV_SIMP_ENABLE) && page == page_of(vp->simp)) ||
            ((vp->siefp & HV_SIEFP_ENABLE) && page == page_of(vp->siefp)) ||
            ((vp->vapic_assist & HV_VP_ASSIST_PAGE_ENABLE) &&
             page == page_of(vp->vapic_assist))) {
            return true;
        }
    }
    return false;
}

static void check_access(const char *what, uint64_t gpa, uint64_t len,
                         bool write)
{
    uint64_t page = page_of(gpa);

    if (fz.phase == PHASE_GLUE) {
        return;
    }
    if (!len || len > HV_PAGE_SIZE || (gpa & ~HV_PAGE_MASK) + len >
        HV_PAGE_SIZE) {
        FAIL("%s of %" PRIu64 " bytes at 0x%" PRIx64 " crosses a page",
             what, len, gpa);
    }
    if (fz.phase == PHASE_HYPERCALL) {
        if (!write && fz.in_glue) {
            return;
        }
        if (!write && fz.hc_fast) {
            FAIL("fast hypercall read guest memory at 0x%" PRIx64, gpa);
        }
        if (!write && page == fz.in_page && gpa >= fz.in_gpa) {
            return;
        }
        if (write && page == fz.out_page) {
            return;
        }
        FAIL("hypercall %s at 0x%" PRIx64 " outside its input/output page",
             what, gpa);
    }
    if (!registered_page(page)) {
        FAIL("%s at 0x%" PRIx64 " (%" PRIu64 " bytes): not a page the guest "
             "gave the core", what, gpa, len);
    }
}

static bool fake_read_gpa(void *opaque, uint64_t gpa, void *buf,
                          uint64_t len)
{
    check_access("read", gpa, len, false);
    if (!is_ram(gpa, len)) {
        return false;
    }
    /* byte by byte: ASan checks every byte of the core's buffer */
    for (uint64_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = fz.ram[gpa + i];
    }
    return true;
}

static bool fake_write_gpa(void *opaque, uint64_t gpa, const void *buf,
                           uint64_t len)
{
    check_access("write", gpa, len, true);
    if (!is_ram(gpa, len)) {
        return false;
    }
    for (uint64_t i = 0; i < len; i++) {
        fz.ram[gpa + i] = ((const uint8_t *)buf)[i];
    }
    fz.good_writes++;
    return true;
}

static bool fake_fetch_or_gpa8(void *opaque, uint64_t gpa, uint8_t bits,
                               uint8_t *old)
{
    check_access("fetch_or", gpa, 1, true);
    if (!is_ram(gpa, 1)) {
        return false;
    }
    *old = fz.ram[gpa];
    fz.ram[gpa] |= bits;
    fz.good_writes++;
    return true;
}

/* Clocks */

static int64_t fake_clock_ns(void *opaque)
{
    return fz.clock_ns;
}

static uint64_t fake_partition_tsc(void *opaque)
{
    unsigned __int128 ticks = (unsigned __int128)(fz.clock_ns -
                                                  fz.tsc_clock_base) *
                              fz.ops.tsc_hz / 1000000000u;

    return fz.tsc_base + (uint64_t)ticks;
}

/* The guest TSC continues from where it is at another rate */
static void set_tsc_hz(uint64_t hz)
{
    fz.tsc_base = fake_partition_tsc(NULL);
    fz.tsc_clock_base = fz.clock_ns;
    fz.ops.tsc_hz = hz;
}

static uint64_t fake_vp_runtime(void *opaque, HvVp *vp)
{
    return (uint64_t)fz.clock_ns / 100;
}

static unsigned vp_num(const HvVp *vp)
{
    if (vp < fz.vp || vp >= fz.vp + fz.n_vps) {
        FAIL("callback for a VP that does not exist (%p)", (void *)vp);
    }
    return vp - fz.vp;
}

/* APIC */

static void fake_apic_eoi(void *opaque, HvVp *vp)
{
    vp_num(vp);
}

static bool fake_apic_icr_write(void *opaque, HvVp *vp, uint64_t icr)
{
    vp_num(vp);
    return !(icr & (1ull << 63));    /* some values fail, as APICs may */
}

static uint64_t fake_apic_icr_read(void *opaque, HvVp *vp)
{
    return vp_num(vp);
}

static bool fake_apic_tpr_write(void *opaque, HvVp *vp, uint64_t tpr)
{
    vp_num(vp);
    return tpr < 16;
}

static uint64_t fake_apic_tpr_read(void *opaque, HvVp *vp)
{
    return vp_num(vp);
}

static void fake_reset(void *opaque)
{
}

static void fake_crash(void *opaque, const uint64_t params[HV_CRASH_PARAMS])
{

    for (int i = 0; i < HV_CRASH_PARAMS; i++) {
        sink += params[i];
    }
}

static void check_vp_set(const char *what, const HvVpSet *set)
{
    unsigned i;

    if (fz.phase != PHASE_HYPERCALL || set->all) {
        return;
    }
    for (i = 0; i < HV_MAX_VPS; i++) {
        if (hv_vp_set_has(set, i)) {
            return;
        }
    }
    FAIL("%s to an empty VP set", what);
}

static void fake_flush_tlb(void *opaque, HvVp *caller, const HvVpSet *set,
                           const uint64_t *gvas, unsigned n_gvas)
{
    unsigned i;

    vp_num(caller);
    fz.side_effects++;
    check_vp_set("flush", set);
    if (!gvas && n_gvas) {
        FAIL("flush of %u ranges without a list", n_gvas);
    }
    if (n_gvas > HV_PAGE_SIZE / 8) {
        FAIL("flush of %u ranges: more than a page of input", n_gvas);
    }
    /* Every range is read, so ASan checks the list is all there */
    for (i = 0; i < n_gvas; i++) {
        sink += gvas[i];
    }
}

static void fake_send_ipi(void *opaque, HvVp *caller, const HvVpSet *set,
                          uint8_t vector)
{
    fz.side_effects++;
    if (fz.phase == PHASE_HYPERCALL) {
        vp_num(caller);
        if (vector < HV_IPI_LOW_VECTOR) {
            FAIL("IPI with vector %u", vector);
        }
    }
    check_vp_set("IPI", set);
}

static void fake_long_spin_wait(void *opaque, HvVp *caller)
{
    vp_num(caller);
}

/* A read of the guest idle MSR: the VP must be one of the partition's */
static void fake_guest_idle(void *opaque, HvVp *vp)
{
    vp_num(vp);
}

static void fake_tsc_emulation_done(void *opaque)
{
    set_tsc_hz(fz.new_tsc_hz);
    fz.ops.tsc_frequency_msr_hz = 0;
}

/* Is there a direct-mode timer of @vp with APIC vector @vector? */
static bool direct_timer_vector(const HvVp *vp, uint8_t vector)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        uint64_t config = vp->stimer_config[i];

        if ((config & STIMER_DIRECT) && ((config >> 4) & 0xff) == vector) {
            return true;
        }
    }
    return false;
}

static void fake_sint_deliver(void *opaque, HvVp *vp, uint8_t vector,
                              bool auto_eoi)
{
    unsigned n = vp_num(vp), i;

    fz.deliveries++;
    if (fz.vp_loaded[n]) {
        return;
    }
    if (auto_eoi && !hv_synic_vector_is_auto_eoi(vp, vector)) {
        FAIL("AutoEOI interrupt %u on VP %u that is no AutoEOI vector",
             vector, n);
    }
    if (direct_timer_vector(vp, vector) && !auto_eoi) {
        return;
    }
    /*
     * Otherwise a SINT's: the SynIC enabled, and an unmasked, non-polling
     * SINT with that vector and that AutoEOI flag (from sint[] itself,
     * not the core's bitmaps)
     */
    if (vp->scontrol & HV_SYNIC_ENABLE) {
        for (i = 0; i < HV_SINT_COUNT; i++) {
            uint64_t sint = vp->sint[i];

            if (!(sint & (HV_SINT_MASKED | HV_SINT_POLLING)) &&
                (sint & HV_SINT_VECTOR_MASK) == vector && vector >= 16 &&
                !(sint & HV_SINT_AUTO_EOI) == !auto_eoi) {
                return;
            }
        }
    }
    FAIL("interrupt %u (AutoEOI %d) on VP %u (SCONTROL 0x%" PRIx64 ") "
         "that is neither a SINT's nor a direct timer's", vector, auto_eoi,
         n, vp->scontrol);
}

static void fake_synic_update(void *opaque, HvVp *vp)
{
    vp_num(vp);
}

static void fake_sint_ack(void *opaque, HvVp *vp, uint32_t sint)
{
    vp_num(vp);
    if (sint >= HV_SINT_COUNT) {
        FAIL("ack of SINT %u", sint);
    }
}

static void fake_stimer_arm(void *opaque, HvVp *vp, unsigned index,
                            uint64_t exp_time)
{
    unsigned n = vp_num(vp);

    if (index >= HV_STIMER_COUNT) {
        FAIL("arm of timer %u", index);
    }
    fz.timers[n][index].armed = true;
    fz.timers[n][index].exp_time = exp_time;
}

static void fake_stimer_cancel(void *opaque, HvVp *vp, unsigned index)
{
    unsigned n = vp_num(vp);

    if (index >= HV_STIMER_COUNT) {
        FAIL("cancel of timer %u", index);
    }
    fz.timers[n][index].armed = false;
}

/*
 * HvPostMessage / HvSignalEvent as QEMU's hw/hyperv answers them: the
 * message input is read from guest memory.
 */
static uint16_t fake_synic_hypercall(void *opaque, HvVp *vp, uint16_t code,
                                     uint64_t param, bool fast)
{
    struct hyperv_post_message_input msg;

    vp_num(vp);
    if (code != HV_POST_MESSAGE && code != HV_SIGNAL_EVENT) {
        FAIL("synic_hypercall for code 0x%x", code);
    }
    if (code == HV_POST_MESSAGE) {
        if (fast) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        bool ok;

        fz.in_glue = true;
        ok = fake_read_gpa(NULL, param, &msg, sizeof(msg));
        fz.in_glue = false;
        if (!ok) {
            return HV_STATUS_INVALID_ALIGNMENT;
        }
    }
    return fz.synic_status;
}

/*
 * Invariants
 */

/*
 * Extended hypercalls' glue: a heat hint names a page-aligned, non-empty
 * range below 2^52 with a known heat type, during a hypercall; guest RAM
 * is the fake's RAM.  Boot-zeroed memory answers a varying number of
 * ranges, capped at what the core asks for.
 */
static uint16_t fake_memory_heat_hint(void *opaque, unsigned type,
                                      uint64_t gpa, uint64_t len)
{
    if (fz.phase != PHASE_HYPERCALL) {
        FAIL("heat hint outside a hypercall");
    }
    if (type > 2) {
        FAIL("heat hint of type %u", type);
    }
    if (!len || ((gpa | len) & ~HV_PAGE_MASK) || gpa + len < gpa ||
        gpa + len > (1ull << 52)) {
        FAIL("heat hint of 0x%" PRIx64 " bytes at 0x%" PRIx64, len, gpa);
    }
    fz.ext_hints++;
    return is_ram(gpa, len) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
}

static bool fake_can_discard(void *opaque)
{
    return ++fz.ext_discard_toggle & 1;
}

static unsigned fake_boot_zeroed_memory(void *opaque, uint64_t (*ranges)[2],
                                        unsigned max)
{
    unsigned n = (fz.ops_done * 37) % 300, i;

    if (fz.phase != PHASE_HYPERCALL) {
        FAIL("boot-zeroed memory outside a hypercall");
    }
    if (max != 255) {
        FAIL("boot-zeroed memory: room for %u ranges", max);
    }
    fz.ext_zeroed_calls++;
    n = n < max ? n : max;
    for (i = 0; i < n; i++) {
        /* ranges[] is the core's buffer: ASan sees an overrun */
        ranges[i][0] = i * 3;
        ranges[i][1] = i + 1;
    }
    return n;
}

static bool valid_status(uint16_t st)
{
    switch (st) {
    case HV_STATUS_SUCCESS:
    case HV_STATUS_INVALID_HYPERCALL_CODE:
    case HV_STATUS_INVALID_HYPERCALL_INPUT:
    case HV_STATUS_INVALID_ALIGNMENT:
    case HV_STATUS_INVALID_PARAMETER:
    case HV_STATUS_ACCESS_DENIED:
    case HV_STATUS_INVALID_PARTITION_STATE:
    case HV_STATUS_OPERATION_DENIED:
    case HV_STATUS_INSUFFICIENT_MEMORY:
    case HV_STATUS_INVALID_VP_INDEX:
    case HV_STATUS_INVALID_PORT_ID:
    case HV_STATUS_INVALID_CONNECTION_ID:
    case HV_STATUS_INSUFFICIENT_BUFFERS:
    case HV_STATUS_NOT_ACKNOWLEDGED:
    case HV_STATUS_INVALID_VP_STATE:
    case HV_STATUS_NO_DATA:
    case HV_STATUS_FEATURE_UNAVAILABLE:
        return true;
    default:
        return false;
    }
}

/*
 * The feature that unlocks synthetic MSR @msr (TLFS "Feature and
 * Interface Discovery", KVM's hv_check_msr_access()): -1 for the MSRs
 * every partition has, -2 for an MSR no feature unlocks.
 */
static int msr_feature(uint32_t msr)
{
    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
    case HV_X64_MSR_HYPERCALL:
        return -1;
    case HV_X64_MSR_VP_INDEX:
        return HYPERV_FEAT_VPINDEX;
    case HV_X64_MSR_RESET:
        return HYPERV_FEAT_RESET;
    case HV_X64_MSR_VP_RUNTIME:
        return HYPERV_FEAT_RUNTIME;
    case HV_X64_MSR_TIME_REF_COUNT:
    case HV_X64_MSR_REFERENCE_TSC:
        return HYPERV_FEAT_TIME;
    case HV_X64_MSR_TSC_FREQUENCY:
    case HV_X64_MSR_APIC_FREQUENCY:
        return HYPERV_FEAT_FREQUENCIES;
    case HV_X64_MSR_EOI ... HV_X64_MSR_APIC_ASSIST_PAGE:
        return HYPERV_FEAT_VAPIC;
    case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        return HYPERV_FEAT_SYNIC;
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
        return HYPERV_FEAT_STIMER;
    case HV_X64_MSR_SYNDBG_CONTROL ... HV_X64_MSR_SYNDBG_PENDING_BUFFER:
    case HV_X64_MSR_SYNDBG_OPTIONS:
        return HYPERV_FEAT_SYNDBG;
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_CTL:
        return HYPERV_FEAT_CRASH;
    case HV_X64_MSR_REENLIGHTENMENT_CONTROL ...
         HV_X64_MSR_TSC_EMULATION_STATUS:
        return HYPERV_FEAT_REENLIGHTENMENT;
    case HV_X64_MSR_TSC_INVARIANT_CONTROL:
        return HYPERV_FEAT_INVTSC;
    case HV_X64_MSR_GUEST_IDLE:
        return HYPERV_FEAT_GUEST_IDLE;
    default:
        return -2;
    }
}

/* The hypervisor's MSR range: all of it #GPs unless implemented */
static bool msr_in_range(uint32_t msr)
{
    return msr >= 0x40000000 && msr <= 0x400001ff;
}

/*
 * Is feature @feat's MSR open to the guest?  With hv-enforce-cpuid only
 * when the feature is on; without it (KVM skipping hv_check_msr_access())
 * always, except the SynIC and timer MSRs, which need an active SynIC,
 * the debugger's, which need hv-syndbg, and the guest idle MSR, which
 * KVM does not have at all.
 */
static bool msr_feature_open(int feat)
{
    bool on = fz.part.features & HV_FEAT_BIT(feat);

    if (fz.part.enforce_cpuid) {
        return on;
    }
    switch (feat) {
    case HYPERV_FEAT_SYNIC:
    case HYPERV_FEAT_STIMER:
        return fz.part.features & HV_FEAT_BIT(HYPERV_FEAT_SYNIC);
    case HYPERV_FEAT_SYNDBG:
    case HYPERV_FEAT_GUEST_IDLE:
        return on;
    default:
        return true;
    }
}

/* The feature behind hypercall @code, -1 when not one the core knows */
static int hypercall_feature(uint16_t code)
{
    switch (code) {
    case HV_FLUSH_VIRTUAL_ADDRESS_SPACE:
    case HV_FLUSH_VIRTUAL_ADDRESS_LIST:
    case HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
    case HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
        return HYPERV_FEAT_TLBFLUSH;
    case HV_SEND_SYNTHETIC_CLUSTER_IPI:
    case HV_SEND_SYNTHETIC_CLUSTER_IPI_EX:
        return HYPERV_FEAT_IPI;
    case HV_POST_MESSAGE:
    case HV_SIGNAL_EVENT:
        return HYPERV_FEAT_SYNIC;
    case HV_EXT_CALL_QUERY_CAPABILITIES ... HV_EXT_CALL_MAX:
        /* KVM: the whole range needs EnableExtendedHypercalls */
        return HYPERV_FEAT_EXT_HYPERCALLS;
    default:
        return -1;
    }
}

static void check_ref_time(const char *when)
{
    unsigned i;

    for (i = 0; i < fz.n_vps; i++) {
        uint64_t t = hv_ref_time(&fz.part, &fz.ops);

        if (t < fz.last_ref) {
            FAIL("reference time went back from %" PRIu64 " to %" PRIu64
                 " (%s, VP %u)", fz.last_ref, t, when, i);
        }
        fz.last_ref = t;
    }
}

/* A valid TSC page holds the core's sequence, scale and offset */
static void check_tsc_page(void)
{
    uint64_t gpa = page_of(fz.part.reference_tsc);
    uint64_t scale = 0, offset = 0;
    uint32_t seq = 0;
    int i;

    if (!(fz.part.reference_tsc & HV_REFERENCE_TSC_ENABLE) ||
        !fz.part.tsc_sequence) {
        return;
    }
    if (fz.part.tsc_sequence == 0xffffffff) {
        FAIL("TSC page sequence 0xffffffff");
    }
    if (!is_ram(gpa, HV_PAGE_SIZE)) {
        FAIL("TSC page valid at 0x%" PRIx64 ", which is not RAM", gpa);
    }
    for (i = 3; i >= 0; i--) {
        seq = seq << 8 | fz.ram[gpa + i];
    }
    for (i = 7; i >= 0; i--) {
        scale = scale << 8 | fz.ram[gpa + 8 + i];
        offset = offset << 8 | fz.ram[gpa + 16 + i];
    }
    if (seq != fz.part.tsc_sequence || scale != fz.part.tsc_scale ||
        offset != (uint64_t)fz.part.tsc_offset) {
        FAIL("TSC page holds seq %u scale 0x%" PRIx64 " offset 0x%" PRIx64
             ", the core uses seq %u scale 0x%" PRIx64 " offset 0x%" PRIx64,
             seq, scale, offset, fz.part.tsc_sequence, fz.part.tsc_scale,
             (uint64_t)fz.part.tsc_offset);
    }
}

static void check_timers(void)
{
    unsigned n, i;

    for (n = 0; n < fz.n_vps; n++) {
        const HvVp *vp = &fz.vp[n];

        if ((vp->stimer_armed | vp->stimer_msg_pending) &
            ~((1u << HV_STIMER_COUNT) - 1)) {
            FAIL("VP %u: timer bits armed 0x%x pending 0x%x", n,
                 vp->stimer_armed, vp->stimer_msg_pending);
        }
        for (i = 0; i < HV_STIMER_COUNT; i++) {
            if (!(vp->stimer_armed & (1u << i))) {
                continue;
            }
            if (!(vp->stimer_config[i] & STIMER_ENABLE)) {
                FAIL("VP %u timer %u armed but disabled", n, i);
            }
            if (!fz.timers[n][i].armed ||
                fz.timers[n][i].exp_time != vp->stimer_exp_time[i]) {
                FAIL("VP %u timer %u waits for %" PRIu64 " but no host "
                     "timer is armed for it", n, i, vp->stimer_exp_time[i]);
            }
            if (fz.vp_loaded[n]) {
                continue;
            }
            if (!vp->stimer_count[i]) {
                FAIL("VP %u timer %u armed with count 0", n, i);
            }
            if (vp->stimer_msg_pending & (1u << i)) {
                FAIL("VP %u timer %u armed with its message pending", n, i);
            }
        }
    }
}

/*
 * Operations
 */

enum {
    OP_MSR_WRITE,
    OP_MSR_READ,
    OP_HYPERCALL,
    OP_MEM_WRITE,
    OP_ADVANCE,
    OP_STIMER_EXPIRED,
    OP_EOI,
    OP_PARTITION_RESET,
    OP_VP_RESET,
    OP_POST_LOAD,
    OP_POST_MESSAGE,
    OP_EVENT_FLAG,
    OP_SET_SINT,
    OP_TSC_FREQ,
    OP_TSC_PAGE_UPDATE,
    OP_COUNT
};

/* MSRs picked by index: every synthetic MSR and a few neighbours */
static const uint32_t msr_list[] = {
    HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_HYPERCALL, HV_X64_MSR_VP_INDEX,
    HV_X64_MSR_RESET, HV_X64_MSR_VP_RUNTIME, HV_X64_MSR_TIME_REF_COUNT,
    HV_X64_MSR_REFERENCE_TSC, HV_X64_MSR_TSC_FREQUENCY,
    HV_X64_MSR_APIC_FREQUENCY, HV_X64_MSR_EOI, HV_X64_MSR_ICR,
    HV_X64_MSR_TPR, HV_X64_MSR_APIC_ASSIST_PAGE, HV_X64_MSR_SCONTROL,
    HV_X64_MSR_SVERSION, HV_X64_MSR_SIEFP, HV_X64_MSR_SIMP, HV_X64_MSR_EOM,
    HV_X64_MSR_SINT0, HV_X64_MSR_SINT1, HV_X64_MSR_SINT2, HV_X64_MSR_SINT3,
    HV_X64_MSR_SINT15, HV_X64_MSR_STIMER0_CONFIG, HV_X64_MSR_STIMER0_COUNT,
    HV_X64_MSR_STIMER1_CONFIG, HV_X64_MSR_STIMER1_COUNT,
    HV_X64_MSR_STIMER2_CONFIG, HV_X64_MSR_STIMER2_COUNT,
    HV_X64_MSR_STIMER3_CONFIG, HV_X64_MSR_STIMER3_COUNT,
    HV_X64_MSR_SYNDBG_CONTROL, HV_X64_MSR_SYNDBG_STATUS,
    HV_X64_MSR_SYNDBG_SEND_BUFFER, HV_X64_MSR_SYNDBG_RECV_BUFFER,
    HV_X64_MSR_SYNDBG_PENDING_BUFFER, HV_X64_MSR_SYNDBG_OPTIONS,
    HV_X64_MSR_CRASH_P0, HV_X64_MSR_CRASH_P4, HV_X64_MSR_CRASH_CTL,
    HV_X64_MSR_REENLIGHTENMENT_CONTROL, HV_X64_MSR_TSC_EMULATION_CONTROL,
    HV_X64_MSR_TSC_EMULATION_STATUS, HV_X64_MSR_TSC_INVARIANT_CONTROL,
    HV_X64_MSR_GUEST_IDLE,
    0x40000109, 0x3fffffff, 0x1b,
};
#define N_MSRS  (sizeof(msr_list) / sizeof(msr_list[0]))

/*
 * MSR selector: bit 15 clear: msr_list[sel % N_MSRS]; bit 15 set:
 * 0x40000000 + (sel & 0x1ff), i.e. the whole synthetic range and the
 * crash / reenlightenment MSRs above it.
 */
static uint32_t in_msr(Input *in)
{
    uint16_t sel = in_u16(in);

    if (sel & 0x8000) {
        return 0x40000000 + (sel & 0x1ff);
    }
    return msr_list[sel % N_MSRS];
}

static HvVp *in_vp(Input *in, unsigned *n)
{
    *n = in_u8(in) % fz.n_vps;
    return &fz.vp[*n];
}

/* MSRs that read back exactly what a successful write stored */
static bool msr_reads_back(uint32_t msr)
{
    switch (msr) {
    case HV_X64_MSR_GUEST_OS_ID:
    case HV_X64_MSR_REFERENCE_TSC:
    case HV_X64_MSR_APIC_ASSIST_PAGE:
    case HV_X64_MSR_SCONTROL:
    case HV_X64_MSR_SIEFP:
    case HV_X64_MSR_SIMP:
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
    case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
    case HV_X64_MSR_REENLIGHTENMENT_CONTROL:
    case HV_X64_MSR_TSC_EMULATION_CONTROL:
    case HV_X64_MSR_STIMER0_COUNT:
    case HV_X64_MSR_STIMER1_COUNT:
    case HV_X64_MSR_STIMER2_COUNT:
    case HV_X64_MSR_STIMER3_COUNT:
        return true;
    default:
        return false;
    }
}

static void check_msr_gate(uint32_t msr, HvMsrResult r, const char *what)
{
    int feat;

    if (!msr_in_range(msr)) {
        if (r != HV_MSR_NOT_HYPERV) {
            FAIL("%s of non-Hyper-V MSR 0x%x gave %d", what, msr, r);
        }
        return;
    }
    if (r == HV_MSR_NOT_HYPERV) {
        FAIL("%s of MSR 0x%x: not Hyper-V?", what, msr);
    }
    feat = msr_feature(msr);
    /* KVM reads the timer MSRs without a SynIC when not enforcing */
    if (feat == HYPERV_FEAT_STIMER && !fz.part.enforce_cpuid &&
        !strcmp(what, "read")) {
        return;
    }
    if (r == HV_MSR_OK &&
        (feat == -2 || (feat >= 0 && !msr_feature_open(feat)))) {
        FAIL("%s of MSR 0x%x succeeded without its feature (%d) in "
             "features 0x%" PRIx64, what, msr, feat, fz.part.features);
    }
}

/*
 * Guest-visible VP state: everything but the statistics (which count
 * every access, reads included)
 */
static bool vp_state_equal(const HvVp *a, const HvVp *b)
{
    HvVp x, y;

    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    memset(&x.stats, 0, sizeof(x.stats));
    memset(&y.stats, 0, sizeof(y.stats));
    return !memcmp(&x, &y, sizeof(x));
}

static void op_msr_write(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);
    uint32_t msr = in_msr(in);
    uint64_t val = in_addr(in), back = 0;
    HvPartition part_before;
    HvVp vp_before;
    unsigned writes = fz.good_writes;
    HvMsrResult r;

    memcpy(&part_before, &fz.part, sizeof(part_before));
    memcpy(&vp_before, vp, sizeof(vp_before));
    fz.extra_page_ok = true;
    fz.extra_page = page_of(val);
    r = hv_msr_write(&fz.part, vp, &fz.ops, msr, val);
    fz.extra_page_ok = false;
    check_msr_gate(msr, r, "write");
    if (msr == HV_X64_MSR_GUEST_IDLE && r != HV_MSR_GP) {
        FAIL("write of the read-only GUEST_IDLE did not #GP");
    }
    if (r == HV_MSR_GP) {
        /*
         * A #GP write leaves the state alone.  (hv_ref_time() may have
         * been sampled, which changes nothing either.)
         */
        if (memcmp(&part_before, &fz.part, sizeof(fz.part)) ||
            !vp_state_equal(&vp_before, vp)) {
            FAIL("write 0x%" PRIx64 " to MSR 0x%x #GPs but changed state",
                 val, msr);
        }
        if (fz.good_writes != writes) {
            FAIL("write 0x%" PRIx64 " to MSR 0x%x #GPs but wrote memory",
                 val, msr);
        }
        return;
    }
    if (r == HV_MSR_OK && msr_reads_back(msr)) {
        if (hv_msr_read(&fz.part, vp, &fz.ops, msr, &back) != HV_MSR_OK ||
            back != val) {
            FAIL("MSR 0x%x written 0x%" PRIx64 " reads 0x%" PRIx64, msr,
                 val, back);
        }
    }
    if (msr == HV_X64_MSR_REFERENCE_TSC) {
        check_tsc_page();
    }
}

static void op_msr_read(Input *in)
{
    unsigned n, i;
    HvVp *vp = in_vp(in, &n);
    uint32_t msr = in_msr(in);
    HvPartition part_before;
    HvVp vps_before[MAX_VPS];
    unsigned writes = fz.good_writes;
    uint64_t val = 0;
    HvMsrResult r;

    memcpy(&part_before, &fz.part, sizeof(part_before));
    memcpy(vps_before, fz.vp, sizeof(fz.vp));
    r = hv_msr_read(&fz.part, vp, &fz.ops, msr, &val);
    check_msr_gate(msr, r, "read");
    if (memcmp(&part_before, &fz.part, sizeof(fz.part)) ||
        writes != fz.good_writes) {
        FAIL("read of MSR 0x%x changed state", msr);
    }
    for (i = 0; i < fz.n_vps; i++) {
        if (!vp_state_equal(&vps_before[i], &fz.vp[i])) {
            FAIL("read of MSR 0x%x changed VP %u", msr, i);
        }
    }
    if (r == HV_MSR_OK && msr == HV_X64_MSR_TIME_REF_COUNT) {
        if (val < fz.last_ref) {
            FAIL("TIME_REF_COUNT went back from %" PRIu64 " to %" PRIu64,
                 fz.last_ref, val);
        }
        fz.last_ref = val;
    }
    if (r == HV_MSR_OK && msr == HV_X64_MSR_GUEST_IDLE && val) {
        FAIL("GUEST_IDLE reads %" PRIu64 ", not 0", val);
    }
    if (r == HV_MSR_OK && msr == HV_X64_MSR_VP_INDEX && val != n) {
        FAIL("VP_INDEX of VP %u reads %" PRIu64, n, val);
    }
}

/* Hypercall codes picked by index (some unknown ones too) */
static const uint16_t call_list[] = {
    HV_FLUSH_VIRTUAL_ADDRESS_SPACE, HV_FLUSH_VIRTUAL_ADDRESS_LIST,
    HV_NOTIFY_LONG_SPIN_WAIT, HV_SEND_SYNTHETIC_CLUSTER_IPI,
    HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX, HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX,
    HV_SEND_SYNTHETIC_CLUSTER_IPI_EX, HV_POST_MESSAGE, HV_SIGNAL_EVENT,
    HV_POST_DEBUG_DATA, HV_RETRIEVE_DEBUG_DATA, HV_RESET_DEBUG_SESSION,
    0x0000, 0x0001, 0x00af, 0xffff,
    HV_EXT_CALL_QUERY_CAPABILITIES, HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY,
    HV_EXT_CALL_MEMORY_HEAT_HINT, 0x8004, HV_EXT_CALL_MAX, 0x8042,
};
#define N_CALLS (sizeof(call_list) / sizeof(call_list[0]))

/*
 * Hypercall: mode byte (bit 0: structured control, bit 1: 32-bit mode,
 * bit 2: CPL > 0, bit 3: XMM registers follow, bits 4-7: what the
 * synic_hypercall fake answers), control (structured: code index, flags
 * byte with fast in bit 0 and bit 1 "set a reserved bit", varhead count,
 * rep count and start, 2 bytes each; raw: 8 bytes), input and output
 * GPA (in_addr()), XMM0-5 (96 bytes) when asked for.
 */
static void op_hypercall(Input *in)
{
    static const uint16_t synic_answers[] = {
        HV_STATUS_SUCCESS, HV_STATUS_INVALID_CONNECTION_ID,
        HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_INVALID_PORT_ID,
        HV_STATUS_INVALID_HYPERCALL_INPUT, HV_STATUS_INVALID_VP_INDEX,
    };
    unsigned n;
    HvVp *vp = in_vp(in, &n);
    uint8_t mode = in_u8(in);
    uint64_t control, ingpa, outgpa, result;
    HvHypercallRegs regs;
    unsigned rep_cnt, reps_done;
    uint16_t code, status;
    int feat, i;
    bool ok;

    if (mode & 1) {
        uint8_t flags;

        code = call_list[in_u8(in) % N_CALLS];
        flags = in_u8(in);
        control = code | (uint64_t)(flags & 1) << 16 |
                  (uint64_t)(in_u16(in) & 0x3ff) << 17 |
                  (uint64_t)(in_u16(in) & 0xfff) << 32 |
                  (uint64_t)(in_u16(in) & 0xfff) << 48;
        if (flags & 2) {
            control |= 1ull << (27 + (flags >> 2) % 4);
        }
    } else {
        control = in_u64(in);
    }
    ingpa = in_addr(in);
    outgpa = in_addr(in);
    memset(&regs, 0, sizeof(regs));
    if (mode & 8) {
        for (i = 0; i < 6; i++) {
            regs.xmm[i][0] = in_u64(in);
            regs.xmm[i][1] = in_u64(in);
        }
    }
    regs.long_mode = !(mode & 2);
    regs.cpl0 = !(mode & 4);
    if (regs.long_mode) {
        regs.rcx = control;
        regs.rdx = ingpa;
        regs.r8 = outgpa;
    } else {
        regs.rdx = control >> 32;
        regs.rax = (uint32_t)control;
        regs.rbx = ingpa >> 32;
        regs.rcx = (uint32_t)ingpa;
        regs.rdi = outgpa >> 32;
        regs.rsi = (uint32_t)outgpa;
    }
    fz.synic_status = synic_answers[(mode >> 4) %
                                    (sizeof(synic_answers) /
                                     sizeof(synic_answers[0]))];

    fz.phase = PHASE_HYPERCALL;
    fz.side_effects = 0;
    fz.hc_fast = control & HV_HYPERCALL_FAST;
    fz.in_gpa = ingpa;
    fz.in_page = page_of(ingpa);
    fz.out_page = page_of(outgpa);
    fz.ext_hints = 0;
    fz.ext_zeroed_calls = 0;
    ok = hv_hypercall(&fz.part, vp, &fz.ops, &regs);
    fz.phase = PHASE_OTHER;

    result = regs.long_mode ? regs.rax : regs.rdx << 32 | (uint32_t)regs.rax;
    status = result & 0xffff;
    reps_done = (result >> 32) & 0xfff;
    code = control & 0xffff;
    rep_cnt = (control >> 32) & 0xfff;
    if (!valid_status(status)) {
        FAIL("hypercall 0x%" PRIx64 ": status 0x%x is no TLFS status",
             control, status);
    }
    if (result & 0xfffff000ffff0000ull) {
        FAIL("hypercall 0x%" PRIx64 ": result 0x%" PRIx64 " has reserved "
             "bits set", control, result);
    }
    if (reps_done > rep_cnt) {
        FAIL("hypercall 0x%" PRIx64 ": %u reps done of %u", control,
             reps_done, rep_cnt);
    }
    if (!ok && status != HV_STATUS_INVALID_HYPERCALL_CODE &&
        status != HV_STATUS_INVALID_HYPERCALL_INPUT) {
        FAIL("hypercall 0x%" PRIx64 ": #UD with status 0x%x", control,
             status);
    }
    if (status != HV_STATUS_SUCCESS && fz.side_effects) {
        FAIL("hypercall 0x%" PRIx64 " failed (0x%x) but flushed or sent "
             "IPIs", control, status);
    }
    if (!regs.cpl0 && ok) {
        FAIL("hypercall 0x%" PRIx64 " from CPL > 0 did not #UD", control);
    }
    feat = hypercall_feature(code);
    if (regs.cpl0 && !fz.part.enforce_cpuid &&
        status == HV_STATUS_ACCESS_DENIED) {
        FAIL("hypercall 0x%x denied without hv-enforce-cpuid", code);
    }
    if (regs.cpl0 && feat >= 0) {
        bool on = fz.part.features & HV_FEAT_BIT(feat) ||
                  !fz.part.enforce_cpuid;

        if (!on && status != HV_STATUS_ACCESS_DENIED) {
            FAIL("hypercall 0x%x without its feature: status 0x%x", code,
                 status);
        }
        if (on && status == HV_STATUS_ACCESS_DENIED) {
            FAIL("hypercall 0x%x with its feature denied", code);
        }
        if (code != HV_FLUSH_VIRTUAL_ADDRESS_LIST &&
            code != HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX &&
            code != HV_EXT_CALL_MEMORY_HEAT_HINT && reps_done) {
            FAIL("simple hypercall 0x%x completed %u reps", code,
                 reps_done);
        }
    }
    if (regs.cpl0 && code >= HV_EXT_CALL_QUERY_CAPABILITIES &&
        code <= HV_EXT_CALL_MAX) {
        unsigned rep_start = (control >> 48) & 0xfff;

        /* KVM answers fast extended calls itself */
        if ((control & HV_HYPERCALL_FAST) &&
            status != HV_STATUS_INVALID_PARAMETER &&
            status != HV_STATUS_ACCESS_DENIED &&
            status != HV_STATUS_INVALID_HYPERCALL_INPUT) {
            FAIL("fast extended hypercall 0x%" PRIx64 ": status 0x%x",
                 control, status);
        }
        if (fz.ext_hints && (code != HV_EXT_CALL_MEMORY_HEAT_HINT ||
            rep_start >= rep_cnt || fz.ext_hints > rep_cnt - rep_start)) {
            FAIL("hypercall 0x%" PRIx64 ": %u heat hints", control,
                 fz.ext_hints);
        }
        if (fz.ext_zeroed_calls &&
            (code != HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY ||
             fz.ext_zeroed_calls > 1)) {
            FAIL("hypercall 0x%" PRIx64 ": %u boot-zeroed scans", control,
                 fz.ext_zeroed_calls);
        }
        if (code == HV_EXT_CALL_MEMORY_HEAT_HINT &&
            (status == HV_STATUS_SUCCESS) != (reps_done == rep_cnt &&
                                              rep_cnt)) {
            FAIL("heat hint 0x%" PRIx64 ": status 0x%x with %u of %u reps",
                 control, status, reps_done, rep_cnt);
        }
    }
    if (regs.cpl0 && code == HV_NOTIFY_LONG_SPIN_WAIT &&
        status == HV_STATUS_ACCESS_DENIED && fz.part.enforce_cpuid &&
        fz.part.spinlock_attempts != 0 &&
        fz.part.spinlock_attempts != 0xffffffff) {
        FAIL("HvNotifyLongSpinWait denied with spinlock retries %u",
             fz.part.spinlock_attempts);
    }
}

/* Guest store: page, offset, length, bytes */
static void op_mem_write(Input *in)
{
    uint64_t gpa = (uint64_t)(in_u8(in) % RAM_PAGES) * HV_PAGE_SIZE +
                   (in_u16(in) & 0xfff);
    unsigned len = in_u8(in), i;

    for (i = 0; i < len; i++) {
        uint8_t b = in_u8(in);

        if (gpa + i < RAM_SIZE) {
            fz.ram[gpa + i] = b;
        }
    }
}

static uint64_t ref_now(void)
{
    return hv_ref_time(&fz.part, &fz.ops);
}

/* Fire host timer (@n, @i) as the glue does; checks the TLFS rule */
static void fire_timer(unsigned n, unsigned i)
{
    HvVp *vp = &fz.vp[n];
    bool was_armed = vp->stimer_armed & (1u << i);
    uint64_t exp = vp->stimer_exp_time[i];
    unsigned deliveries = fz.deliveries, writes = fz.good_writes;
    uint64_t now;

    fz.timers[n][i].armed = false;
    hv_stimer_expired(&fz.part, vp, &fz.ops, i);
    now = ref_now();
    if (was_armed && now < exp && !fz.vp_loaded[n] &&
        (fz.deliveries != deliveries || fz.good_writes != writes ||
         !(vp->stimer_armed & (1u << i)) || vp->stimer_exp_time[i] != exp)) {
        FAIL("VP %u timer %u signaled at %" PRIu64 ", before its expiration "
             "%" PRIu64, n, i, now, exp);
    }
    /*
     * A periodic timer that signaled waits for a time still to come:
     * missed periods are skipped, never fired in a burst.
     */
    if (was_armed && !fz.vp_loaded[n] && (vp->stimer_armed & (1u << i)) &&
        vp->stimer_exp_time[i] != exp && vp->stimer_exp_time[i] <= now &&
        vp->stimer_exp_time[i] != UINT64_MAX) {
        FAIL("VP %u timer %u re-armed for %" PRIu64 ", not after now (%"
             PRIu64 ")", n, i, vp->stimer_exp_time[i], now);
    }
}

/*
 * Clock advance: 4-byte amount and a unit byte (ns, us, ms); then the
 * host timers that are due fire in order, MAX_FIRES at most.
 */
static void op_advance(Input *in)
{
    static const int64_t units[] = { 1, 1000, 1000000 };
    uint32_t amount = in_u32(in);
    int64_t unit = units[in_u8(in) % 3];
    unsigned fires;

    fz.clock_ns += (int64_t)amount * unit;
    for (fires = 0; fires < MAX_FIRES; fires++) {
        uint64_t now = ref_now(), best_exp = UINT64_MAX;
        unsigned n, i, best_n = 0, best_i = 0;
        bool found = false;

        for (n = 0; n < fz.n_vps; n++) {
            for (i = 0; i < HV_STIMER_COUNT; i++) {
                FuzzTimer *t = &fz.timers[n][i];

                if (t->armed && t->exp_time <= now &&
                    (!found || t->exp_time < best_exp)) {
                    found = true;
                    best_exp = t->exp_time;
                    best_n = n;
                    best_i = i;
                }
            }
        }
        if (!found) {
            break;
        }
        fire_timer(best_n, best_i);
    }
}

/* A host timer fires whenever it likes (early, stale, unknown index) */
static void op_stimer_expired(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);
    uint8_t index = in_u8(in);

    if (index < HV_STIMER_COUNT) {
        fire_timer(n, index);
    } else {
        hv_stimer_expired(&fz.part, vp, &fz.ops, index);
    }
}

static void op_eoi(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);

    hv_synic_eoi(&fz.part, vp, &fz.ops, in_u8(in));
}

/* What the glue does on a system reset */
static void partition_reset(void)
{
    unsigned n;

    hv_partition_reset(&fz.part, &fz.ops);
    for (n = 0; n < fz.n_vps; n++) {
        hv_stimer_cancel_all(&fz.vp[n], &fz.ops);
        hv_vp_reset(&fz.vp[n], n);
        fz.vp_loaded[n] = false;
    }
    fz.last_ref = 0;
}

static void op_vp_reset(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);

    hv_stimer_cancel_all(vp, &fz.ops);
    hv_vp_reset(vp, n);
    fz.vp_loaded[n] = false;
}

/*
 * Migration: a mask byte says which groups of VP fields the input
 * replaces (bit 0 SynIC registers, 1 SINTs, 2 timer configs and counts,
 * 3 timer expirations and state bits, 4 the partition's time state),
 * then hv_vp_post_load() as the glue runs it on the destination.
 */
static void op_post_load(Input *in)
{
    unsigned n, i;
    HvVp *vp = in_vp(in, &n);
    uint8_t mask = in_u8(in);

    /* The destination's host timers start out idle */
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        fz.timers[n][i].armed = false;
    }
    if (mask & 1) {
        vp->scontrol = in_u64(in);
        vp->simp = in_addr(in);
        vp->siefp = in_addr(in);
        vp->vapic_assist = in_addr(in);
    }
    if (mask & 2) {
        for (i = 0; i < HV_SINT_COUNT; i++) {
            vp->sint[i] = in_u64(in);
        }
    }
    if (mask & 4) {
        for (i = 0; i < HV_STIMER_COUNT; i++) {
            vp->stimer_config[i] = in_u64(in);
            vp->stimer_count[i] = in_u64(in);
        }
    }
    if (mask & 8) {
        for (i = 0; i < HV_STIMER_COUNT; i++) {
            vp->stimer_exp_time[i] = in_u64(in);
        }
        vp->stimer_armed = in_u32(in);
        vp->stimer_msg_pending = in_u32(in);
    }
    if (mask & 16) {
        /*
         * Loaded times stay below 2^62 (15,000 years): one near 2^64
         * wraps around in the next clock advance, which is no bug.
         */
        fz.part.ref_time_offset = (int64_t)(in_u64(in) >> 2);
        fz.part.reference_tsc = in_addr(in);
        fz.part.tsc_sequence = in_u32(in);
        fz.part.tsc_scale = in_u64(in);
        fz.part.tsc_offset = (int64_t)(in_u64(in) >> 2);
        fz.part.tsc_last_sequence = in_u32(in);
        fz.last_ref = 0;
        hv_tsc_page_update(&fz.part, &fz.ops);
    }
    if (mask & 0x1f) {
        fz.vp_loaded[n] = true;
    }
    if (mask & 16) {
        fz.last_ref = 0;        /* the time is the loaded one now */
    }
    hv_vp_post_load(&fz.part, vp, &fz.ops);
}

/* Host side: a device posts a message (SINT, type, size, payload) */
static void op_post_message(Input *in)
{
    unsigned n, i;
    HvVp *vp = in_vp(in, &n);
    struct hyperv_message msg;
    uint32_t sint = in_u8(in);
    HvSynicStatus st;

    memset(&msg, 0, sizeof(msg));
    msg.header.message_type = in_u32(in);
    msg.header.payload_size = in_u8(in);
    msg.header.message_flags = in_u8(in);
    msg.header.sender = in_u64(in);
    for (i = 0; i < 16; i++) {
        msg.payload[i] = in_u8(in);
    }
    st = hv_synic_post_message(&fz.part, vp, &fz.ops, sint, &msg);
    if (st > HV_SYNIC_INVALID) {
        FAIL("post_message status %d", st);
    }
    if ((sint >= HV_SINT_COUNT || msg.header.payload_size >
         HV_MESSAGE_PAYLOAD_SIZE) && st != HV_SYNIC_INVALID) {
        FAIL("post_message to SINT %u, size %u: status %d", sint,
             msg.header.payload_size, st);
    }
}

static void op_event_flag(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);
    uint32_t sint = in_u8(in);
    unsigned flag = in_u16(in);
    HvSynicStatus st = hv_synic_set_event_flag(&fz.part, vp, &fz.ops, sint,
                                               flag);

    if ((sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_COUNT) &&
        st != HV_SYNIC_INVALID) {
        FAIL("event flag %u of SINT %u: status %d", flag, sint, st);
    }
}

static void op_set_sint(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);
    uint32_t sint = in_u8(in);
    HvSynicStatus st = hv_synic_set_sint(&fz.part, vp, &fz.ops, sint);

    if (sint >= HV_SINT_COUNT && st != HV_SYNIC_INVALID) {
        FAIL("signal of SINT %u: status %d", sint, st);
    }
}

static const uint64_t tsc_hz_list[] = {
    0, 1000000, 10000000, 10000001, 1000000000, 2500000000ull,
    3000000007ull, 10000000000ull,
};
#define N_TSC_HZ    (sizeof(tsc_hz_list) / sizeof(tsc_hz_list[0]))

/*
 * The partition moved to a host with another TSC rate, as the glue's
 * post_load handles it: with TSC emulation the guest TSC keeps its rate
 * until the guest acknowledges (tsc_emulation_done); without, it changes
 * now and the TSC page is rewritten.
 */
static void op_tsc_freq(Input *in)
{
    unsigned n;
    HvVp *vp = in_vp(in, &n);
    uint64_t hz = tsc_hz_list[in_u8(in) % N_TSC_HZ];

    fz.new_tsc_hz = hz;
    if (hv_tsc_frequency_changed(&fz.part, vp, &fz.ops)) {
        fz.ops.tsc_frequency_msr_hz = hz;
    } else {
        set_tsc_hz(hz);
    }
    hv_tsc_page_update(&fz.part, &fz.ops);
    check_tsc_page();
}

static void op_tsc_page_update(Input *in)
{
    unsigned n;

    /*
     * The page is partition-wide; the VP byte stays in the input format
     * so that the corpus keeps its meaning
     */
    in_vp(in, &n);
    hv_tsc_page_update(&fz.part, &fz.ops);
    check_tsc_page();
}

/*
 * The input: a 6-byte header, then operations.
 *
 *   byte 0     number of VPs - 1 (mod 8)
 *   bytes 1-3  features (HV_FEAT_BIT()s, 24 bits, masked to the model's)
 *   byte 4     bit 0 vmmcall, bit 1 synic_keep_pages, bit 2 no
 *              fetch_or_gpa8, bit 3 no synic_hypercall, bits 4-5
 *              spinlock retries (0, 0xfff, never, 1), bit 6
 *              hv-enforce-cpuid, bit 7 no extended hypercall glue
 *              (memory_heat_hint, boot_zeroed_memory)
 *   byte 5     TSC frequency (tsc_hz_list index)
 *   then       operation byte (mod OP_COUNT) and its arguments, until
 *              the input ends or MAX_OPS operations ran
 */
static void fuzz_one(const uint8_t *data, size_t size)
{
    static const uint32_t spin[] = { 0, 0xfff, 0xffffffff, 1 };
    static int trace = -1;
    Input in = { .data = data, .size = size };
    uint8_t flags;
    unsigned n;

    if (trace < 0) {
        trace = getenv("FUZZ_TRACE") != NULL;
    }
    if (!fz.ram) {
        fz.ram = malloc(RAM_SIZE);
        if (!fz.ram) {
            abort();
        }
    }
    memset(fz.ram, 0, RAM_SIZE);
    memset(&fz.part, 0, sizeof(fz.part));
    memset(fz.vp, 0, sizeof(fz.vp));
    memset(fz.timers, 0, sizeof(fz.timers));
    memset(fz.vp_loaded, 0, sizeof(fz.vp_loaded));
    fz.clock_ns = 0;
    fz.tsc_base = 0;
    fz.tsc_clock_base = 0;
    fz.last_ref = 0;
    fz.phase = PHASE_OTHER;
    fz.extra_page_ok = false;
    fz.good_writes = 0;
    fz.deliveries = 0;
    fz.ops_done = 0;

    fz.n_vps = in_u8(&in) % MAX_VPS + 1;
    fz.part.features = (in_u8(&in) | (uint64_t)in_u8(&in) << 8 |
                        (uint64_t)in_u8(&in) << 16) & HV_FEAT_ALL;
    flags = in_u8(&in);
    fz.part.vmmcall = flags & 1;
    fz.part.synic_keep_pages = flags & 2;
    fz.part.spinlock_attempts = spin[(flags >> 4) & 3];
    fz.part.enforce_cpuid = flags & 0x40;
    fz.ops = (HvOps) {
        .read_gpa = fake_read_gpa,
        .write_gpa = fake_write_gpa,
        .clock_ns = fake_clock_ns,
        .partition_tsc = fake_partition_tsc,
        .tsc_hz = tsc_hz_list[in_u8(&in) % N_TSC_HZ],
        .apic_hz = 200000000,
        .vp_runtime = fake_vp_runtime,
        .apic_eoi = fake_apic_eoi,
        .apic_icr_write = fake_apic_icr_write,
        .apic_icr_read = fake_apic_icr_read,
        .apic_tpr_write = fake_apic_tpr_write,
        .apic_tpr_read = fake_apic_tpr_read,
        .reset = fake_reset,
        .crash = fake_crash,
        .flush_tlb = fake_flush_tlb,
        .send_ipi = fake_send_ipi,
        .long_spin_wait = fake_long_spin_wait,
        .guest_idle = fake_guest_idle,
        .tsc_emulation_done = fake_tsc_emulation_done,
        .sint_deliver = fake_sint_deliver,
        .synic_update = fake_synic_update,
        .sint_ack = fake_sint_ack,
        .stimer_arm = fake_stimer_arm,
        .stimer_cancel = fake_stimer_cancel,
        .fetch_or_gpa8 = flags & 4 ? NULL : fake_fetch_or_gpa8,
        .synic_hypercall = flags & 8 ? NULL : fake_synic_hypercall,
        .memory_heat_hint = flags & 0x80 ? NULL : fake_memory_heat_hint,
        .can_discard = fake_can_discard,
        .boot_zeroed_memory = flags & 0x80 ? NULL : fake_boot_zeroed_memory,
    };
    partition_reset();

    while (in.pos < in.size && fz.ops_done < MAX_OPS) {
        uint8_t op = in_u8(&in) % OP_COUNT;

        fz.ops_done++;
        if (trace) {
            fprintf(stderr, "# op %u: %u at input offset %zu, ref %" PRIu64
                    "\n", fz.ops_done, op, in.pos - 1, ref_now());
        }
        switch (op) {
        case OP_MSR_WRITE:
            op_msr_write(&in);
            break;
        case OP_MSR_READ:
            op_msr_read(&in);
            break;
        case OP_HYPERCALL:
            op_hypercall(&in);
            break;
        case OP_MEM_WRITE:
            op_mem_write(&in);
            break;
        case OP_ADVANCE:
            op_advance(&in);
            break;
        case OP_STIMER_EXPIRED:
            op_stimer_expired(&in);
            break;
        case OP_EOI:
            op_eoi(&in);
            break;
        case OP_PARTITION_RESET:
            partition_reset();
            break;
        case OP_VP_RESET:
            op_vp_reset(&in);
            break;
        case OP_POST_LOAD:
            op_post_load(&in);
            break;
        case OP_POST_MESSAGE:
            op_post_message(&in);
            break;
        case OP_EVENT_FLAG:
            op_event_flag(&in);
            break;
        case OP_SET_SINT:
            op_set_sint(&in);
            break;
        case OP_TSC_FREQ:
            op_tsc_freq(&in);
            break;
        case OP_TSC_PAGE_UPDATE:
            op_tsc_page_update(&in);
            break;
        }
        check_ref_time("after an operation");
        check_timers();
        for (n = 0; n < fz.n_vps; n++) {
            if (fz.vp[n].vp_index != n) {
                FAIL("VP %u has vp_index %u", n, fz.vp[n].vp_index);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
