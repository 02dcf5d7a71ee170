/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-hypercall-test: hypercalls through the hypercall page
 * (TLFS "Hypercall Interface", "Virtual MMU" flushes, "Virtual Interrupt
 * Controller" cluster IPIs, HvNotifyLongSpinWait).
 *
 * Every test enables the hypercall page first (record "cpu0.hc.enable":
 * fault), then reports the RAX of each call; the qtest judges.  A call
 * whose instruction faulted reports RAX 0 and the fault.
 */
#include "libguest.h"

/* The call tables below leave the trailing flags out where they are 0 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* HV_FLUSH_FLAGS, HV_GENERIC_SET_* */
#define FLUSH_ALL_PROCESSORS            (1ull << 0)
#define FLUSH_EXTENDED_RANGE            (1ull << 3)
#define SET_SPARSE                      0
#define SET_ALL                         1

#define GPA_ABOVE_RAM                   0x08000000ull
#define GPA_IOAPIC                      0xfec00000ull
#define PAGE_SIZE                       4096
#define WAIT_TIMEOUT_US                 (5 * 1000 * 1000)

/* The input page every slow call uses; shared, so one caller at a time */
static uint64_t *hc_in;

static void hc_setup_common(void)
{
    record(hv_hypercall_enable(), 0, NULL, "cpu0.hc.enable");
    hc_in = alloc_pages(2);
    if (!hv_hypercall_page) {
        guest_abort("no hypercall page");
    }
}

/* A memory-based call with @n input words at hc_in */
static uint8_t hc_slow(uint64_t control, const uint64_t *words,
                       unsigned int n, uint64_t *rax)
{
    memcpy(hc_in, words, n * 8);
    return hv_call(control, (uintptr_t)hc_in, 0, rax);
}

static void rec_call(uint8_t fault, uint64_t rax, const char *fmt,
                     const char *what)
{
    record(fault, 1, &rax, fmt, what);
}

/*
 * hc-basic: the dispatcher, on the BSP.
 *
 *   cpu0.hc.NAME                 RAX; fault.  NAME: undefined (0x0fff),
 *                                code0, spin (HvNotifyLongSpinWait),
 *                                spin_fast, spin_rsvd27 / _rsvd30 /
 *                                _rsvd44 / _rsvd47 / _rsvd60 / _rsvd63
 *                                (a reserved control bit set), spin_rep
 *                                (rep count 1), spin_varhdr (variable
 *                                header size 1)
 *   cpu0.hc.vmcall / .vmmcall    the raw instructions, code 0x0fff
 */
static void hc_basic_setup(void)
{
    static const unsigned int rsvd[] = { 27, 30, 44, 47, 60, 63 };
    uint64_t rax;
    unsigned int i;
    uint8_t fault;

    hc_setup_common();
    fault = hv_call(0x0fff, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "undefined");
    fault = hv_call(0, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "code0");
    fault = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "spin");
    fault = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HC_FAST, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "spin_fast");
    for (i = 0; i < ARRAY_SIZE(rsvd); i++) {
        fault = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | (1ull << rsvd[i]), 0,
                        0, &rax);
        record(fault, 1, &rax, "cpu0.hc.spin_rsvd%u", rsvd[i]);
    }
    fault = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HC_REP_COUNT(1), 0, 0,
                    &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "spin_rep");
    fault = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HC_VARHEAD(1), 0, 0,
                    &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "spin_varhdr");

    fault = vmcall_safe(0x0fff, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "vmcall");
    fault = vmmcall_safe(0x0fff, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.hc.%s", "vmmcall");
}

GUEST_TEST(hc_basic,
    .name = "hc-basic",
    .description = "hypercall dispatch: codes, control bits, spin wait",
    .setup = hc_basic_setup,
);

/*
 * hc-access: one well-formed call of every hypercall the TCG backend
 * knows, on the BSP; whether the partition may make it is up to the
 * features.  Each targets the caller itself.
 *
 *   cpu0.hc.NAME                 RAX; fault.  NAME: flush_space,
 *                                flush_list, flush_space_ex,
 *                                flush_list_ex, send_ipi, send_ipi_ex,
 *                                spin, post_message, signal_event
 */
#define ACCESS_IPI_VECTOR       0x41

static volatile uint32_t access_ipis;               /* by the handler */

static void access_ipi_handler(GuestIrqFrame *frame)
{
    access_ipis++;
}

static void hc_access_setup(void)
{
    static const struct {
        const char *name;
        uint64_t control;
        unsigned int n;
        uint64_t in[6];
    } calls[] = {
        { "flush_space", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 } },
        { "flush_list", HVCALL_FLUSH_LIST | HC_REP_COUNT(1), 4,
          { 0, 0, 1, 0x100000 } },
        { "flush_space_ex", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
          { 0, 0, SET_SPARSE, 1, 1 } },
        { "flush_list_ex", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) |
          HC_REP_COUNT(1), 6, { 0, 0, SET_SPARSE, 1, 1, 0x100000 } },
        { "send_ipi", HVCALL_SEND_IPI, 2, { ACCESS_IPI_VECTOR, 1 } },
        { "send_ipi_ex", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
          { ACCESS_IPI_VECTOR, SET_SPARSE, 1, 1 } },
        { "spin", HVCALL_NOTIFY_LONG_SPIN_WAIT, 0, { 0 } },
        /* connection 1 (none exists), message type 1, no payload */
        { "post_message", HVCALL_POST_MESSAGE, 2, { 1, 1 } },
        { "signal_event", HVCALL_SIGNAL_EVENT, 1, { 1 } },
    };
    unsigned int i;

    hc_setup_common();
    irq_set_handler(ACCESS_IPI_VECTOR, access_ipi_handler, 0);
    for (i = 0; i < ARRAY_SIZE(calls); i++) {
        uint64_t rax;
        uint8_t fault = hc_slow(calls[i].control, calls[i].in, calls[i].n,
                                &rax);

        rec_call(fault, rax, "cpu0.hc.%s", calls[i].name);
    }
    /* Take the self-IPIs that were sent, if any */
    irq_enable();
    udelay(10000);
    irq_disable();
}

GUEST_TEST(hc_access,
    .name = "hc-access",
    .description = "which hypercalls the partition may make",
    .setup = hc_access_setup,
);

/*
 * hc-flush (2+ CPUs): the PV TLB flushes reach the TLB (TCG's softmmu
 * TLB) of the CPU they name.  A test VA outside the identity map is
 * mapped with a 4 KiB PTE to one of two pages; per round, with CPU 0
 * making the calls and CPU 1 reading:
 *
 *   1. the PTE points to the old page; CPU 1 INVLPGs and reads it,
 *   2. CPU 0 points the PTE to the new page, without telling CPU 1,
 *   3. CPU 1 reads again (TCG typically still has the old translation),
 *   4. CPU 0 makes the flush hypercall naming CPU 1,
 *   5. CPU 1 reads: it must see the new page now.
 *
 * Rounds whose NAME starts with "self_" do all of that on CPU 0, which
 * names itself (and CPU 1) in the flush.
 *
 *   cpu0.flush.NAME              RAX, first read, stale read, read after
 *                                the flush; fault of the call.  The pages
 *                                hold FLUSH_PAGE_A / FLUSH_PAGE_B.
 *
 * Rounds with XMM fast input run only with xmm=1 on the command line,
 * extended ranges only with ext=1.
 */
#define FLUSH_VA                0x100000000ull  /* PDPT[4], 4 GiB */
#define FLUSH_VA_OTHER          0x100200000ull
#define FLUSH_PAGE_A            0xa0a0a0a0a0a0a0a0ull
#define FLUSH_PAGE_B            0xb0b0b0b0b0b0b0b0ull
#define PTE_P                   1ull
#define PTE_RW                  2ull

typedef struct FlushRound {
    const char *name;
    uint64_t control;
    unsigned int n;             /* input words (slow) */
    uint64_t in[8];             /* fast: RDX, R8, XMM0.lo, XMM0.hi, ... */
    bool fast;
    bool self;
    bool xmm;                   /* needs xmm=1 */
    bool ext;                   /* needs ext=1 */
} FlushRound;

/*
 * CPU 1 is VP 1; bank 0 bit 1.  The control round names VP 2 instead:
 * CPU 1 keeps its stale translation, which shows that in the other
 * rounds it is the flush that makes the read fresh.
 */
static const FlushRound flush_rounds[] = {
    { "control", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1ull << 2 } },
    { "space", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1ull << 1 } },
    { "space_all", HVCALL_FLUSH_SPACE, 3, { 0, FLUSH_ALL_PROCESSORS, 0 } },
    { "list", HVCALL_FLUSH_LIST | HC_REP_COUNT(1), 4,
      { 0, 0, 1ull << 1, FLUSH_VA } },
    { "list_rep_start", HVCALL_FLUSH_LIST | HC_REP_COUNT(2) |
      HC_REP_START(1), 5, { 0, 0, 1ull << 1, FLUSH_VA_OTHER, FLUSH_VA } },
    { "space_ex", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, SET_SPARSE, 1, 1ull << 1 } },
    { "space_ex_all", HVCALL_FLUSH_SPACE_EX, 4, { 0, 0, SET_ALL, 0 } },
    { "list_ex", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) | HC_REP_COUNT(1), 6,
      { 0, 0, SET_SPARSE, 1, 1ull << 1, FLUSH_VA } },
    { "list_ex_all", HVCALL_FLUSH_LIST_EX | HC_REP_COUNT(1), 5,
      { 0, 0, SET_ALL, 0, FLUSH_VA } },
    { "list_ext_range", HVCALL_FLUSH_LIST | HC_REP_COUNT(1), 4,
      { 0, FLUSH_EXTENDED_RANGE, 1ull << 1, FLUSH_VA }, .ext = true },
    { "space_fast", HVCALL_FLUSH_SPACE | HC_FAST, 3, { 0, 0, 1ull << 1 },
      .fast = true, .xmm = true },
    { "space_ex_fast", HVCALL_FLUSH_SPACE_EX | HC_FAST | HC_VARHEAD(1), 5,
      { 0, 0, SET_SPARSE, 1, 1ull << 1 }, .fast = true, .xmm = true },
    { "list_ex_fast", HVCALL_FLUSH_LIST_EX | HC_FAST | HC_VARHEAD(1) |
      HC_REP_COUNT(1), 6, { 0, 0, SET_SPARSE, 1, 1ull << 1, FLUSH_VA },
      .fast = true, .xmm = true },
    { "self_space", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1ull << 0 },
      .self = true },
    { "self_list_ex", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) |
      HC_REP_COUNT(1), 6, { 0, 0, SET_SPARSE, 1, 3, FLUSH_VA },
      .self = true },
    { "self_space_ex_all", HVCALL_FLUSH_SPACE_EX, 4, { 0, 0, SET_ALL, 0 },
      .self = true },
};

static uint64_t *flush_pt;                  /* the PTE page */
static uint64_t flush_page_gpa[2];
static volatile uint32_t flush_step;        /* shared by CPUs 0 and 1 */
static volatile uint64_t flush_seen[3];     /* written by CPU 1 */
static bool flush_xmm, flush_ext;

static uint64_t read_va(void)
{
    return *(volatile uint64_t *)(uintptr_t)FLUSH_VA;   /* test mapping */
}

static void invlpg(uint64_t va)
{
    asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static void set_pte(unsigned int page)
{
    __atomic_store_n(&flush_pt[0], flush_page_gpa[page] | PTE_P | PTE_RW,
                     __ATOMIC_SEQ_CST);
}

static void hc_flush_setup(void)
{
    uint64_t *pd = alloc_pages(1), *a = alloc_pages(1), *b = alloc_pages(1);
    unsigned int i;

    hc_setup_common();
    flush_xmm = cmdline_get_u64("xmm", 0);
    flush_ext = cmdline_get_u64("ext", 0);
    flush_pt = alloc_pages(1);
    for (i = 0; i < 512; i++) {
        a[i] = FLUSH_PAGE_A;
        b[i] = FLUSH_PAGE_B;
    }
    flush_page_gpa[0] = (uintptr_t)a;
    flush_page_gpa[1] = (uintptr_t)b;
    set_pte(0);
    pd[0] = (uintptr_t)flush_pt | PTE_P | PTE_RW;
    pdpt[4] = (uintptr_t)pd | PTE_P | PTE_RW;
}

static uint8_t flush_call(const FlushRound *r, uint64_t *rax)
{
    if (r->fast) {
        uint64_t xmm[12] = { 0 };

        memcpy(xmm, &r->in[2], (r->n - 2) * 8);
        return hv_hypercall_page_call_xmm(hv_hypercall_page, r->control,
                                          r->in[0], r->in[1], xmm, rax);
    }
    return hc_slow(r->control, r->in, r->n, rax);
}

/* Step @s of round @round: CPUs 0 and 1 take turns */
static bool flush_wait(unsigned int round, unsigned int s)
{
    if (!wait_for_u32(&flush_step, round * 8 + s, WAIT_TIMEOUT_US)) {
        guest_fail("cpu%u: flush round %u: step %u timed out", cpu_index(),
                   round, s);
        return false;
    }
    return true;
}

static void flush_next(unsigned int round, unsigned int s)
{
    __atomic_store_n(&flush_step, round * 8 + s, __ATOMIC_SEQ_CST);
}

static void hc_flush_cpu(unsigned int cpu)
{
    unsigned int round;

    if (cpu == 0) {
        sse_enable();
    }
    if (cpu > 1) {
        return;
    }
    for (round = 0; round < ARRAY_SIZE(flush_rounds); round++) {
        const FlushRound *r = &flush_rounds[round];
        unsigned int old = round % 2, new = !old;
        uint64_t v[4];
        uint8_t fault;

        if ((r->xmm && !flush_xmm) || (r->ext && !flush_ext)) {
            continue;
        }
        if (r->self) {
            if (cpu == 0) {
                set_pte(old);
                invlpg(FLUSH_VA);
                v[1] = read_va();
                set_pte(new);
                v[2] = read_va();
                fault = flush_call(r, &v[0]);
                v[3] = read_va();
                record(fault, 4, v, "cpu0.flush.%s", r->name);
            }
            continue;
        }
        if (cpu == 0) {
            set_pte(old);
            flush_next(round, 1);
            if (!flush_wait(round, 2)) {
                return;
            }
            set_pte(new);
            flush_next(round, 3);
            if (!flush_wait(round, 4)) {
                return;
            }
            fault = flush_call(r, &v[0]);
            flush_next(round, 5);
            if (!flush_wait(round, 6)) {
                return;
            }
            v[1] = flush_seen[0];
            v[2] = flush_seen[1];
            v[3] = flush_seen[2];
            record(fault, 4, v, "cpu0.flush.%s", r->name);
        } else {
            if (!flush_wait(round, 1)) {
                return;
            }
            invlpg(FLUSH_VA);
            flush_seen[0] = read_va();
            flush_next(round, 2);
            if (!flush_wait(round, 3)) {
                return;
            }
            flush_seen[1] = read_va();
            flush_next(round, 4);
            if (!flush_wait(round, 5)) {
                return;
            }
            flush_seen[2] = read_va();
            flush_next(round, 6);
        }
    }
}

GUEST_TEST(hc_flush,
    .name = "hc-flush",
    .description = "PV TLB flushes reach the TLB of the VP they name",
    .setup = hc_flush_setup,
    .cpu_fn = hc_flush_cpu,
);

/*
 * hc-bad-input: malformed flush and IPI calls on the BSP; every one must
 * fail with a TLFS status (or, for XMM fast input the partition lacks,
 * #UD) and leave QEMU running.
 *
 *   cpu0.bad.NAME                RAX; fault (see the table below)
 */
typedef struct BadCall {
    const char *name;
    uint64_t control;
    unsigned int n;             /* input words */
    uint64_t in[8];
    int64_t offset;             /* input GPA = hc_in + offset ... */
    uint64_t gpa;               /* ... or this, when not 0 */
    bool fast;                  /* RDX, R8, then XMM0... from in[] */
} BadCall;

static const BadCall bad_calls[] = {
    /* Where the input is */
    { "misaligned", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 }, .offset = 4 },
    { "cross_page", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 },
      .offset = PAGE_SIZE - 16 },
    { "above_ram", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 },
      .gpa = GPA_ABOVE_RAM },
    { "ioapic", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 }, .gpa = GPA_IOAPIC },
    { "list_cross_page", HVCALL_FLUSH_LIST | HC_REP_COUNT(2), 5,
      { 0, 0, 1, 0x100000, 0x200000 }, .offset = PAGE_SIZE - 32 },
    /* Rep and variable header fields */
    { "list_rep0", HVCALL_FLUSH_LIST, 4, { 0, 0, 1, 0x100000 } },
    { "list_start_eq", HVCALL_FLUSH_LIST | HC_REP_COUNT(2) |
      HC_REP_START(2), 5, { 0, 0, 1, 0x100000, 0x200000 } },
    { "list_start_gt", HVCALL_FLUSH_LIST | HC_REP_COUNT(2) |
      HC_REP_START(3), 5, { 0, 0, 1, 0x100000, 0x200000 } },
    { "list_partial", HVCALL_FLUSH_LIST | HC_REP_COUNT(3) |
      HC_REP_START(1), 6, { 0, 0, 1, 0x100000, 0x200000, 0x300000 } },
    { "space_rep", HVCALL_FLUSH_SPACE | HC_REP_COUNT(1), 4,
      { 0, 0, 1, 0x100000 } },
    { "space_varhdr", HVCALL_FLUSH_SPACE | HC_VARHEAD(1), 4,
      { 0, 0, 1, 0 } },
    { "ipi_rep", HVCALL_SEND_IPI | HC_REP_COUNT(1), 2, { 0x41, 0 } },
    /* VP sets */
    { "ex_var_short", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 6,
      { 0, 0, SET_SPARSE, 3, 1, 0 } },
    { "ex_var_long", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(2), 6,
      { 0, 0, SET_SPARSE, 1, 1, 0 } },
    { "ex_var_none", HVCALL_FLUSH_SPACE_EX, 5, { 0, 0, SET_SPARSE, 1, 1 } },
    { "ex_format2", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, 2, 1, 1 } },
    { "ex_format_big", HVCALL_FLUSH_SPACE_EX, 4,
      { 0, 0, 1ull << 32, 0 } },
    { "ex_far_bank", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, SET_SPARSE, 1ull << 63, 1ull << 63 } },
    { "ipi_ex_format2", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { 0x41, 2, 1, 1 } },
    { "ipi_ex_var_short", HVCALL_SEND_IPI_EX, 4, { 0x41, SET_SPARSE, 1, 1 } },
    /* Flags */
    { "ext_range", HVCALL_FLUSH_LIST | HC_REP_COUNT(1), 4,
      { 0, FLUSH_EXTENDED_RANGE, 1, 0x100000 } },
    /* Fast input */
    { "fast_space", HVCALL_FLUSH_SPACE | HC_FAST, 3, { 0, 0, 1 },
      .fast = true },
    { "fast_too_long", HVCALL_FLUSH_LIST_EX | HC_FAST | HC_REP_COUNT(11),
      15, { 0, 0, SET_ALL, 0 }, .fast = true },
    { "fast_ipi", HVCALL_SEND_IPI | HC_FAST, 2, { 0x0f, 1 },
      .fast = true },
};

static void hc_bad_input_setup(void)
{
    unsigned int i;

    hc_setup_common();
    sse_enable();
    for (i = 0; i < ARRAY_SIZE(bad_calls); i++) {
        const BadCall *b = &bad_calls[i];
        uint64_t rax, gpa;
        uint8_t fault;

        if (b->fast) {
            uint64_t xmm[12] = { 0 };

            memcpy(xmm, &b->in[2], 6 * 8);
            fault = hv_hypercall_page_call_xmm(hv_hypercall_page,
                                               b->control, b->in[0],
                                               b->in[1], xmm, &rax);
        } else {
            memset(hc_in, 0, 2 * PAGE_SIZE);
            gpa = b->gpa ? b->gpa : (uintptr_t)hc_in + b->offset;
            if (!b->gpa) {
                memcpy((void *)(uintptr_t)gpa, b->in, b->n * 8);
            }
            fault = hv_call(b->control, gpa, 0, &rax);
        }
        rec_call(fault, rax, "cpu0.bad.%s", b->name);
    }
}

GUEST_TEST(hc_bad_input,
    .name = "hc-bad-input",
    .description = "malformed flush and IPI hypercalls",
    .setup = hc_bad_input_setup,
);

/*
 * hc-ipi (2+ CPUs): HvSendSyntheticClusterIpi(Ex) from CPU 0; the other
 * CPUs wait with interrupts on.  Every valid send uses its own vector,
 * 0x50 and up.
 *
 *   cpu0.ipi.NAME                RAX; fault
 *   cpuN.ipi_taken.NAME          interrupts CPU N took on that vector
 *
 * Sends that name VP indexes (masks of up to 64 VPs) use vp= from the
 * command line as the "other" VP (default 1).  XMM fast input rounds
 * run with xmm=1 only.
 */
typedef struct IpiSend {
    const char *name;
    uint64_t control;
    unsigned int n;
    uint64_t in[6];             /* in[0]: vector, VTL, reserved */
    bool fast;
    bool xmm;
    unsigned int other_word;    /* in[] word that gets 1 << vp, 0: none */
    uint64_t self_bits;         /* more bits for that word */
} IpiSend;

static const IpiSend ipi_sends[] = {
    { "slow", HVCALL_SEND_IPI, 2, { 0x50, 0 }, .other_word = 1 },
    { "slow_self", HVCALL_SEND_IPI, 2, { 0x51, 0 }, .other_word = 1,
      .self_bits = 1 },
    { "fast", HVCALL_SEND_IPI | HC_FAST, 2, { 0x52, 0 }, .fast = true,
      .other_word = 1 },
    { "ex", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { 0x53, SET_SPARSE, 1, 0 }, .other_word = 3 },
    { "ex_all", HVCALL_SEND_IPI_EX, 3, { 0x54, SET_ALL, 0 } },
    { "ex_fast", HVCALL_SEND_IPI_EX | HC_FAST | HC_VARHEAD(1), 4,
      { 0x55, SET_SPARSE, 1, 0 }, .fast = true, .xmm = true,
      .other_word = 3 },
    { "beyond", HVCALL_SEND_IPI, 2, { 0x56, 1ull << 63 }, .other_word = 1 },
    { "beyond_only", HVCALL_SEND_IPI, 2, { 0x57, 1ull << 62 } },
    { "ex_bank1_only", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { 0x58, SET_SPARSE, 2, 1 } },
    { "ex_two_banks", HVCALL_SEND_IPI_EX | HC_VARHEAD(2), 5,
      { 0x59, SET_SPARSE, 3, 0, 1 }, .other_word = 3 },
    /* Invalid: nobody may take these */
    { "vector_0f", HVCALL_SEND_IPI, 2, { 0x0f, 0 }, .other_word = 1 },
    { "vector_100", HVCALL_SEND_IPI, 2, { 0x100, 0 }, .other_word = 1 },
    { "vtl1", HVCALL_SEND_IPI, 2, { 0x5a | (1ull << 32), 0 },
      .other_word = 1 },
    { "fast_vtl1", HVCALL_SEND_IPI | HC_FAST, 2, { 0x5b | (1ull << 32), 0 },
      .fast = true, .other_word = 1 },
    { "rsvd_upper", HVCALL_SEND_IPI, 2, { 0x5c | (1ull << 40), 0 },
      .other_word = 1 },
    { "ex_format2", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { 0x5d, 2, 1, 0 }, .other_word = 3 },
};

#define IPI_BASE                0x50
#define IPI_NR_VECTORS          14

/* Counted by the interrupt handler behind the compiler's back */
static volatile uint32_t ipi_taken[GUEST_MAX_CPUS][IPI_NR_VECTORS];
static volatile uint32_t ipi_done;              /* set by CPU 0 */
static unsigned int ipi_other_vp;
static bool ipi_xmm;

/* The ipi_taken[][] slot of a send's vector, or -1 */
static int ipi_slot(const IpiSend *s)
{
    uint32_t vector = s->in[0];

    return vector >= IPI_BASE && vector < IPI_BASE + IPI_NR_VECTORS ?
           (int)(vector - IPI_BASE) : -1;
}

static void ipi_handler(GuestIrqFrame *frame)
{
    ipi_taken[cpu_index()][frame->vector - IPI_BASE]++;
}

static void hc_ipi_setup(void)
{
    unsigned int i;

    hc_setup_common();
    ipi_other_vp = cmdline_get_u64("vp", 1);
    ipi_xmm = cmdline_get_u64("xmm", 0);
    for (i = 0; i < IPI_NR_VECTORS; i++) {
        irq_set_handler(IPI_BASE + i, ipi_handler, 0);
    }
}

static void hc_ipi_send(const IpiSend *s)
{
    uint64_t in[6], rax;
    uint8_t fault;

    memcpy(in, s->in, sizeof(in));
    if (s->other_word) {
        in[s->other_word] |= (1ull << (ipi_other_vp % 64)) | s->self_bits;
    }
    if (s->fast) {
        uint64_t xmm[12] = { 0 };

        memcpy(xmm, &in[2], 4 * 8);
        fault = hv_hypercall_page_call_xmm(hv_hypercall_page, s->control,
                                           in[0], in[1], xmm, &rax);
    } else {
        fault = hc_slow(s->control, in, s->n, &rax);
    }
    record(fault, 1, &rax, "cpu0.ipi.%s", s->name);
}

static void hc_ipi_cpu(unsigned int cpu)
{
    unsigned int i;

    smp_barrier();
    if (cpu == 0) {
        sse_enable();
        irq_enable();
        for (i = 0; i < ARRAY_SIZE(ipi_sends); i++) {
            const IpiSend *s = &ipi_sends[i];
            int slot = ipi_slot(s);

            if (s->xmm && !ipi_xmm) {
                continue;
            }
            hc_ipi_send(s);
            /* Where the other VP should get it, give it the time */
            if (s->other_word && slot >= 0 && ipi_other_vp < nr_cpus()) {
                wait_for_u32(&ipi_taken[ipi_other_vp][slot], 1, 100000);
            }
        }
        udelay(20000);
        ipi_done = 1;
    } else {
        irq_enable();
        while (!ipi_done) {
            cpu_relax();
        }
    }
    irq_disable();
    smp_barrier();
    for (i = 0; i < ARRAY_SIZE(ipi_sends); i++) {
        int slot = ipi_slot(&ipi_sends[i]);
        uint64_t v = slot >= 0 ? ipi_taken[cpu][slot] : 0;

        if (ipi_sends[i].xmm && !ipi_xmm) {
            continue;
        }
        record(HV_GUEST_FAULT_NONE, 1, &v, "cpu%u.ipi_taken.%s", cpu,
               ipi_sends[i].name);
    }
}

GUEST_TEST(hc_ipi,
    .name = "hc-ipi",
    .description = "synthetic cluster IPIs reach the VPs they name",
    .setup = hc_ipi_setup,
    .cpu_fn = hc_ipi_cpu,
);

/*
 * hc-32bit: the 32-bit calling convention, from compatibility mode (a
 * 32-bit code segment in long mode): control in EDX:EAX, input GPA (or
 * fast input) in EBX:ECX, output GPA in EDI:ESI, result in EDX:EAX.
 *
 *   cpu0.hc32.NAME               EAX, EDX after the call.  NAME:
 *                                undefined (code 0x0fff), flush_list
 *                                (rep count 1, the caller's own VP),
 *                                input_high (EBX = 1: input above 4 GiB),
 *                                fast_ipi (fixed IPI HC32_VECTOR to self)
 *   cpu0.hc32.ipi_taken          HC32_VECTOR interrupts taken
 */
#define HC32_VECTOR             0x42

typedef struct Regs32 {
    uint32_t eax, ebx, ecx, edx, esi, edi;
} Regs32;

/* Where the 32-bit code finds the hypercall page (below 4 GiB) */
uint32_t hc32_target;
static volatile uint32_t hc32_ipis;             /* by the handler */

static void hc32_ipi_handler(GuestIrqFrame *frame)
{
    hc32_ipis++;
}

/*
 * Far return into GUEST_CS32, CALL the page, far jump back.  No fault
 * handling: only call an enabled page.
 */
static void hc32_call(Regs32 *r)
{
    asm volatile("pushq %[cs32]\n"
                 "leaq 1f(%%rip), %%r11\n"
                 "pushq %%r11\n"
                 "lretq\n"
                 ".code32\n"
                 "1: call *hc32_target\n"
                 "ljmpl %[cs64], $2f\n"
                 ".code64\n"
                 "2:\n"
                 : "+a"(r->eax), "+b"(r->ebx), "+c"(r->ecx), "+d"(r->edx),
                   "+S"(r->esi), "+D"(r->edi)
                 : [cs32] "i"(GUEST_CS32), [cs64] "i"(GUEST_CS64)
                 : "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                   "memory", "cc");
}

static void hc32_record(Regs32 *r, const char *what)
{
    uint64_t v[2];

    hc32_call(r);
    v[0] = r->eax;
    v[1] = r->edx;
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu0.hc32.%s", what);
}

static void hc_32bit_setup(void)
{
    uint32_t in = 0;
    uint64_t v;
    Regs32 r;

    hc_setup_common();
    hc32_target = (uintptr_t)hv_hypercall_page;
    in = (uintptr_t)hc_in;
    irq_set_handler(HC32_VECTOR, hc32_ipi_handler, 0);

    r = (Regs32) { .eax = 0x0fff };
    hc32_record(&r, "undefined");

    /* HvFlushVirtualAddressList: space 0, flags 0, VP 0, one GVA */
    hc_in[0] = 0;
    hc_in[1] = 0;
    hc_in[2] = 1;
    hc_in[3] = 0x100000;
    r = (Regs32) { .eax = HVCALL_FLUSH_LIST, .edx = 1, .ecx = in };
    hc32_record(&r, "flush_list");
    r = (Regs32) { .eax = HVCALL_FLUSH_LIST, .edx = 1, .ecx = in,
                   .ebx = 1 };
    hc32_record(&r, "input_high");

    /* Fast: vector in EBX:ECX, processor mask (VP 0) in EDI:ESI */
    r = (Regs32) { .eax = HVCALL_SEND_IPI | HC_FAST, .ecx = HC32_VECTOR,
                   .esi = 1 };
    hc32_record(&r, "fast_ipi");
    irq_enable();
    wait_for_u32(&hc32_ipis, 1, WAIT_TIMEOUT_US);
    irq_disable();
    v = hc32_ipis;
    record(HV_GUEST_FAULT_NONE, 1, &v, "cpu0.hc32.ipi_taken");
}

GUEST_TEST(hc_32bit,
    .name = "hc-32bit",
    .description = "hypercalls with the 32-bit calling convention",
    .setup = hc_32bit_setup,
);

/*
 * hc-cpl3 (1 CPU): hypercalls from user mode must #UD (TLFS: only CPL 0
 * may call).  The test adds user segments and a TSS to a copy of the
 * GDT, lets user mode reach the first 2 MiB (the payload) and the heap's
 * first 2 MiB (user stack, hypercall page), and IRETs to a stub there
 * that makes the hypercall and then executes HLT (#GP in user mode).
 * Whichever exception comes first returns to the kernel.
 *
 *   cpu0.cpl3.NAME               RAX; fault.  NAME: hlt (just HLT: the
 *                                control, #GP shows CPL 3 was reached),
 *                                vmcall, vmmcall, page (CALL of the
 *                                hypercall page)
 *   cpu0.cpl3.cpl0_after         an undefined call from CPL 0 afterwards:
 *                                RAX; fault
 */
#define USER_CS                 (0x20 | 3)
#define USER_DS                 (0x28 | 3)
#define TSS_SEL                 0x30
#define PTE_US                  4ull

typedef struct __attribute__((packed)) Tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iopb;
} Tss64;

static uint64_t cpl3_gdt[8] __attribute__((aligned(16)));
static Tss64 cpl3_tss __attribute__((aligned(16)));

/* The user mode stubs: the hypercall, then HLT */
asm(".pushsection .text\n"
    "cpl3_vmcall: vmcall\n hlt\n"
    "cpl3_vmmcall: vmmcall\n hlt\n"
    "cpl3_page: call *%r9\n hlt\n"
    "cpl3_hlt: hlt\n"
    ".popsection\n");

/* The address of a label of the asm above */
#define CPL3_STUB(label) ({                                 \
    const char *addr_;                                      \
    asm("leaq " label "(%%rip), %0" : "=r"(addr_));         \
    addr_;                                                  \
})

static void cpl3_setup_cpu(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } desc;
    uint64_t tss = (uintptr_t)&cpl3_tss, limit = sizeof(cpl3_tss) - 1;
    void *kstack = alloc_pages(2);
    unsigned int i;

    asm volatile("sgdt %0" : "=m"(desc));
    memcpy(cpl3_gdt, (void *)(uintptr_t)desc.base, 4 * 8);
    cpl3_gdt[4] = 0x00affa000000ffffull;    /* 64-bit code, DPL 3 */
    cpl3_gdt[5] = 0x00cff2000000ffffull;    /* data, DPL 3 */
    cpl3_gdt[6] = (limit & 0xffff) | (tss & 0xffffff) << 16 |
                  0x89ull << 40 | (limit >> 16 & 0xf) << 48 |
                  (tss >> 24 & 0xff) << 56;  /* available 64-bit TSS */
    cpl3_gdt[7] = tss >> 32;
    cpl3_tss.rsp[0] = (uintptr_t)kstack + 2 * PAGE_SIZE;
    cpl3_tss.iopb = sizeof(cpl3_tss);
    desc.limit = sizeof(cpl3_gdt) - 1;
    desc.base = (uintptr_t)cpl3_gdt;
    asm volatile("lgdt %0\n"
                 "ltr %w1" : : "m"(desc), "r"(TSS_SEL) : "memory");

    /* User access to 0-2 MiB (code) and the first heap 2 MiB (data) */
    pml4[0] |= PTE_US;
    for (i = 0; i < 4; i++) {
        pdpt[i] |= PTE_US;
    }
    pd[0] |= PTE_US;
    pd[GUEST_HEAP_BASE >> 21] |= PTE_US;
    asm volatile("mov %%cr3, %%rax\n"
                 "mov %%rax, %%cr3" : : : "rax", "memory");
}

/* IRETQ to @rip at CPL 3; back here on the first exception */
static uint8_t cpl3_run(const char *rip, const void *page, uint64_t control,
                        uint64_t *result)
{
    static uint64_t *ustack;
    register uint64_t r8_reg asm("r8") = 0;
    register const void *r9_reg asm("r9") = page;
    uint64_t rax, rdx = 0;

    if (!ustack) {
        ustack = alloc_pages(1);
    }
    safe_insn_begin();
    asm volatile("leaq 2f(%%rip), %%rax\n"
                 "movq %%rax, %%gs:%c[grip]\n"
                 "movq %%rsp, %%gs:%c[grsp]\n"
                 "pushq %[uds]\n"
                 "pushq %[ursp]\n"
                 "pushq $2\n"               /* RFLAGS: IF = 0 */
                 "pushq %[ucs]\n"
                 "pushq %[urip]\n"
                 "xorl %%eax, %%eax\n"
                 "iretq\n"
                 "2:\n"
                 "movq $0, %%gs:%c[grsp]\n"
                 : "=&a"(rax), "+c"(control), "+d"(rdx), "+r"(r8_reg),
                   "+r"(r9_reg)
                 : [ursp] "r"((uintptr_t)ustack + PAGE_SIZE),
                   [urip] "r"(rip), [ucs] "i"(USER_CS), [uds] "i"(USER_DS),
                   [grip] "i"(offsetof(GuestCpu, call_guard_rip)),
                   [grsp] "i"(offsetof(GuestCpu, call_guard_rsp))
                 : "memory", "cc");
    *result = rax;
    return safe_insn_end();
}

static void hc_cpl3_setup(void)
{
    uint64_t rax;
    uint8_t fault;

    hc_setup_common();
    cpl3_setup_cpu();
    fault = cpl3_run(CPL3_STUB("cpl3_hlt"), NULL, 0, &rax);
    rec_call(fault, rax, "cpu0.cpl3.%s", "hlt");
    fault = cpl3_run(CPL3_STUB("cpl3_vmcall"), NULL, 0x0fff, &rax);
    rec_call(fault, rax, "cpu0.cpl3.%s", "vmcall");
    fault = cpl3_run(CPL3_STUB("cpl3_vmmcall"), NULL, 0x0fff, &rax);
    rec_call(fault, rax, "cpu0.cpl3.%s", "vmmcall");
    fault = cpl3_run(CPL3_STUB("cpl3_page"), hv_hypercall_page, 0x0fff, &rax);
    rec_call(fault, rax, "cpu0.cpl3.%s", "page");
    fault = hv_call(0x0fff, 0, 0, &rax);
    rec_call(fault, rax, "cpu0.cpl3.%s", "cpl0_after");
}

GUEST_TEST(hc_cpl3,
    .name = "hc-cpl3",
    .description = "hypercalls from user mode #UD",
    .setup = hc_cpl3_setup,
);
