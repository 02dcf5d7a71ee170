/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-windows-test: what a Windows guest does with Hyper-V,
 * in the order it does it (TLFS; "Requirements for Implementing the
 * Microsoft Hypervisor Interface"), then a reset, then all of it again.
 *
 * The guest only reports; the qtest judges every result against what
 * Linux KVM (arch/x86/kvm/hyperv.c) gives with QEMU's default
 * hv-enforce-cpuid=off.  Whatever the partition lacks is still tried, so
 * that the qtest can check the #GP or status KVM gives for it.
 *
 * One test, "windows", run with -action reboot=reset,panic=none:
 *
 *   setup (BSP, the APs through smp_call()):
 *     reset state of the synthetic MSRs, partition-wide and per VP;
 *     GUEST_OS_ID := a Windows id; the hypercall page, locked; the
 *     reference TSC page; per VP: VP index, VP assist page, TPR MSR,
 *     SynIC (SIMP, SIEFP, the timer SINT with AutoEOI, SCONTROL); on the
 *     BSP: the EOI and ICR MSRs, stimer 0 periodic in message mode on the
 *     timer SINT with the message slot freed late, then promptly;
 *     HvFlushVirtualAddressSpaceEx and HvSendSyntheticClusterIpiEx with
 *     sparse VP sets; HvNotifyLongSpinWait
 *   cpu_fn (every VP at once): reference time from the TSC page (or, when
 *     TscSequence is 0, from TIME_REF_COUNT) and from the MSR in turn
 *   finish (BSP): the ICR and EOI MSRs in x2APIC mode (when CPUID has
 *     x2APIC); before the reset: crash parameters written, then the reset
 *     through HV_X64_MSR_RESET; after it: the crash report
 *
 * The reset: the first boot saves its records in RAM that no boot
 * touches (WIN_SAVE_GPA), writes HV_X64_MSR_RESET := 1 and waits; when
 * that faults or resets nothing within 2 s, it resets through port 0xcf9
 * instead so that the second half still runs.  The second boot commits
 * the saved records again, then reports what the reset did (win_save).
 *
 * Records are prefixed "p1." (before the reset) and "p2." (after it).
 * Values read with a faulting RDMSR are WIN_READ_FAULTED.
 *
 *   pN.init.NAME            partition-wide MSR before anything was
 *                           written: value; fault.  NAME: os_id,
 *                           hypercall, ref_tsc, reset, crash_p0..4,
 *                           crash_ctl
 *   pN.cpuC.init.NAME       per-VP MSR: value; fault.  NAME: vp_index,
 *                           assist, scontrol, simp, siefp, sint (the timer
 *                           SINT), st0_config, st0_count, tpr
 *   pN.os_id                WRMSR GUEST_OS_ID := WIN_GUEST_OS_ID: fault;
 *                           read back
 *   pN.hypercall            WRMSR HYPERCALL := page | enable | locked
 *                           (page filled with WIN_FILL): fault; read back,
 *                           page GPA, first qword of the page, 1 when the
 *                           guest takes its vendor for VMMCALL
 *   pN.ref_tsc              WRMSR REFERENCE_TSC := page | enable: fault;
 *                           read back, page GPA
 *   pN.cpuC.vp_index        RDMSR VP_INDEX: value; fault
 *   pN.cpuC.assist          WRMSR VP_ASSIST_PAGE := page | enable (page
 *                           filled with ones): fault; read back, GPA,
 *                           dwords 0 and 1 of the page
 *   pN.cpuC.tpr             WRMSR TPR := 0x20: fault; xAPIC TPR, TPR MSR
 *   pN.cpuC.synic.NAME      WRMSR of SIMP, SIEFP, SINT (vector |
 *                           AutoEOI), SCONTROL (NAME: simp, siefp, sint,
 *                           scontrol): fault; read back
 *   pN.eoi                  a self-IPI whose handler sends no EOI, then
 *                           WRMSR EOI: fault; taken, ISR bit before, after
 *   pN.icr                  WRMSR ICR := self, fixed, WIN_VEC_ICR: fault;
 *                           value written, interrupts taken
 *   pN.icr.read             RDMSR ICR right after: value; fault
 *   pN.icr.other            WRMSR ICR := the last VP (one VP: APIC ID
 *                           WIN_NO_APIC_ID), fixed, WIN_VEC_ICR: fault;
 *                           value written, read back, interrupts the last
 *                           VP took (0 with one VP)
 *   pN.stimer.start         COUNT := WIN_PERIOD, CONFIG := enable |
 *                           periodic | SINTx: fault of the first faulting
 *                           write; CONFIG, COUNT read back
 *   pN.stimer.late          with the slot freed WIN_HOLD after each
 *                           message (type := 0, EOM only when
 *                           MessagePending is set): messages; slots that
 *                           had MessagePending set; EOMs written;
 *                           interrupts that found the slot empty
 *   pN.stimer.check         over every message: expirations not after
 *                           the one before; expirations not a whole
 *                           number of periods after the first; late-phase
 *                           messages whose expiration lies more than
 *                           WIN_LATE_SLACK before the slot was freed
 *                           (queued);
 *                           late-phase messages seen before the slot was
 *                           freed
 *   pN.stimer.bad           messages not HV_MESSAGE_TIMER_EXPIRED of timer
 *                           0 with a 24-byte payload; delivered before
 *                           their expiration or seen before delivery;
 *                           interrupts with the vector in service (no
 *                           AutoEOI); messages in all
 *   pN.stimer.prompt        with the slot freed in the handler: messages
 *                           within WIN_PROMPT_WAIT_MS; smallest and
 *                           largest gap of the late phase, in periods;
 *                           messages after the timer was stopped
 *   pN.flush                HvFlushVirtualAddressSpaceEx, sparse set of
 *                           every VP in bank 0, after a PTE changed: RAX;
 *                           read before the change, stale read, read
 *                           after the call (WIN_PAGE_A/B); fault
 *   pN.flush.bank1          the same naming bank 1 only: RAX; fault
 *   pN.ipi                  HvSendSyntheticClusterIpiEx, sparse set of
 *                           every other VP (the caller itself with one
 *                           VP), WIN_VEC_IPI: RAX, the VP mask; fault
 *   pN.ipi.bank1            the same naming bank 1 only, WIN_VEC_IPI2:
 *                           RAX; fault
 *   pN.cpuC.ipi             WIN_VEC_IPI taken, WIN_VEC_IPI2 taken
 *   pN.spin.fast / .slow    HvNotifyLongSpinWait, fast (RDX = spin count)
 *                           and memory-based: RAX; fault
 *   pN.cpuC.time            page samples, page reads that found
 *                           TscSequence 0 (MSR read instead), MSR
 *                           samples, reference time elapsed
 *   pN.cpuC.time.mono       backwards steps: page to page, MSR to MSR,
 *                           page to the MSR read after it; MSR to the page
 *                           read after it by more than WIN_TIME_SLACK
 *   pN.cpuC.time.max        largest backwards step MSR to page read after
 *   pN.time.cross           across VPs: page backwards steps, largest;
 *                           MSR backwards steps, largest
 *   pN.x2apic.enable        WRMSR IA32_APIC_BASE.EXTD: fault (only with
 *                           x2APIC in CPUID)
 *   pN.x2apic.icr           WRMSR ICR := x2APIC ID << 32 | fixed,
 *                           WIN_VEC_X2: fault; value written, read back,
 *                           interrupts taken
 *   pN.x2apic.icr_far       WRMSR ICR := WIN_NO_X2APIC_ID << 32 | fixed:
 *                           fault; value written, read back
 *   pN.x2apic.eoi           WRMSR EOI: fault; ISR bit before, after
 *   p1.crash.pN             WRMSR CRASH_Pn (no CRASH_CTL): fault; read
 *                           back
 *   p1.reset.read           RDMSR RESET: value; fault
 *   p2.reset                WRMSR RESET := 1 of the first boot: fault;
 *                           1 when port 0xcf9 had to reset instead, 1
 *                           when that WRMSR returned at all
 *   p2.crash.nodump         WRMSR CRASH_CTL := NoCrashDump | PreOSId 7:
 *                           fault
 *   p2.crash.preos          WRMSR CRASH_CTL := PreOSId 5: fault
 *   p2.crash.pN             WRMSR CRASH_Pn: fault; read back, written
 *   p2.crash.notify         WRMSR CRASH_CTL := CrashNotify |
 *                           CrashMessage: fault; CRASH_CTL read back
 *   p2.done                 the second half ran to its end
 */
#include "hv-time.h"

/* Vendor Microsoft, OS type Windows NT, 10.0, build 14393 */
#define WIN_GUEST_OS_ID         0x0001040a00003839ull

#define WIN_READ_FAULTED        0xfa17fa17fa17fa17ull
#define WIN_FILL                0xaaaaaaaaaaaaaaaaull
#define WIN_MAX_CPUS            8

/* TLFS names the shared headers lack */
#define WIN_MSR_CRASH_P(n)      (HV_X64_MSR_CRASH_P0 + (n))
#define WIN_CRASH_NOTIFY        (1ull << 63)
#define WIN_CRASH_MESSAGE       (1ull << 62)
#define WIN_CRASH_NO_DUMP       (1ull << 61)
#define WIN_CRASH_PRE_OS_ID(x)  ((uint64_t)(x) << 58)
#define WIN_SET_SPARSE_4K       0ull
#define WIN_FLUSH_ALL_SPACES    (1ull << 1)
#define WIN_ST_ENABLE           (1ull << 0)
#define WIN_ST_PERIODIC         (1ull << 1)
#define WIN_ST_SINTX(s)         ((uint64_t)(s) << 16)
#define WIN_TIMER_PAYLOAD_SIZE  24

/* Architectural */
#define WIN_MSR_APIC_BASE       0x1b
#define WIN_APIC_BASE_EXTD      (1ull << 10)
#define WIN_MSR_X2APIC_ID       0x802
#define WIN_MSR_X2APIC_ISR0     0x810
#define WIN_CPUID_1_ECX_X2APIC  (1u << 21)
#define WIN_NO_APIC_ID          0xfeull
#define WIN_NO_X2APIC_ID        0x12345678ull
#define WIN_PTE_P               1ull
#define WIN_PTE_RW              2ull

/* Vectors (hv-windows-test.c has the same) */
#define WIN_SINT                1
#define WIN_VEC_SINT            0x90
#define WIN_VEC_HIGH            0x80
#define WIN_VEC_ICR             0x61
#define WIN_VEC_IPI             0x71
#define WIN_VEC_IPI2            0x72
#define WIN_VEC_X2              0x81

/* Times, in reference time (100 ns) */
#define WIN_MS                  (HV_REF_TIME_HZ / 1000)
#define WIN_PERIOD              (5 * WIN_MS)
#define WIN_HOLD                (4 * WIN_PERIOD)
/*
 * A timer callback the host ran late may still bring an expiration from
 * before the slot was freed; one queued behind the busy slot lags by
 * WIN_HOLD - WIN_PERIOD more with every message.
 */
#define WIN_LATE_SLACK          (3 * WIN_PERIOD)
#define WIN_LATE_MSGS           8
#define WIN_PROMPT_MSGS         10
#define WIN_MSG_WAIT_MS         1000
#define WIN_PROMPT_WAIT_MS      2000
#define WIN_IRQ_WAIT_MS         1000
#define WIN_TIME_MS             40
#define WIN_TIME_SLACK          10
#define WIN_RESET_WAIT_US       (2 * 1000 * 1000)
#define WIN_LOG_MAX             64

/* The test mapping of the flush check: PDPT[4], at 4 GiB */
#define WIN_FLUSH_VA            0x100000000ull
#define WIN_PAGE_A              0xa0a0a0a0a0a0a0a0ull
#define WIN_PAGE_B              0xb0b0b0b0b0b0b0b0ull

/* Bug check code and parameters the crash reports */
#define WIN_BUGCHECK            0x1eull
#define WIN_BUGCHECK_P1         0xffffffffc0000005ull
#define WIN_BUGCHECK_P2         0xfffff80312345678ull
static const char win_crash_text[] =
    "KMODE_EXCEPTION_NOT_HANDLED (qemu-hyperv hv-windows-test)";

/*
 * Between the stacks and the heap (layout.h): neither the payload, nor
 * SeaBIOS, nor QEMU's reset touch it, so it survives the reset.
 */
#define WIN_SAVE_GPA            0x600000ull
#define WIN_SAVE_END            0x7f0000ull
#define WIN_SAVE_MAGIC          0x3153574f444e4957ull   /* "WINDOWS1" */

typedef struct WinSave {
    uint64_t magic;
    uint32_t nr_records;
    uint32_t nr_failures;
    uint8_t reset_fault;        /* WRMSR RESET := 1, HV_GUEST_FAULT_NONE */
    uint8_t reset_returned;     /* that WRMSR returned */
    uint8_t fallback;           /* port 0xcf9 reset instead */
    uint8_t reserved[5];
    char message[HV_GUEST_MESSAGE_LEN];
    HvGuestRecord records[];
} WinSave;

/* TLFS HV_MESSAGE with HV_TIMER_MESSAGE_PAYLOAD */
typedef struct WinTimerMessage {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint16_t reserved;
    uint64_t sender;
    uint32_t timer_index;
    uint32_t reserved2;
    uint64_t expiration_time;
    uint64_t delivery_time;
    uint64_t rest[27];
} WinTimerMessage;

_Static_assert(sizeof(WinTimerMessage) == 256, "HV_MESSAGE layout");

/* What the SINT handler found in the slot */
typedef struct WinMsg {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint32_t index;
    uint64_t exp;
    uint64_t delivery;
    uint64_t seen;
} WinMsg;

static unsigned int win_phase;
static unsigned int win_nr;
static HvTscPage *win_tsc_page;
static uint64_t *win_hc_in;
static volatile WinTimerMessage *win_simp[WIN_MAX_CPUS];   /* QEMU's */

/* Written by the interrupt handlers */
static WinMsg win_log[WIN_LOG_MAX];
static volatile uint32_t win_nmsg;                  /* by the handler */
static volatile uint32_t win_empty;                 /* by the handler */
static volatile uint32_t win_in_service;            /* by the handler */
static volatile bool win_consume;                   /* read by handler */
static volatile uint32_t win_high_taken;            /* by the handler */
static volatile uint32_t win_icr_taken[WIN_MAX_CPUS];   /* by handler */
static volatile uint32_t win_x2_taken;              /* by the handler */
static volatile uint32_t win_ipi_taken[WIN_MAX_CPUS];   /* by handler */
static volatile uint32_t win_ipi2_taken[WIN_MAX_CPUS];  /* by handler */

/* Shared by the VPs in cpu_fn */
static SharedTime win_cross_page, win_cross_msr;

#define WREC(fault, n, v, fmt, ...) \
    record(fault, n, v, "p%u." fmt, win_phase, ##__VA_ARGS__)

static uint64_t rdmsr_or_faulted(uint32_t msr)
{
    uint64_t val;

    return rdmsr_safe(msr, &val) == HV_GUEST_FAULT_NONE ? val
                                                        : WIN_READ_FAULTED;
}

/* Not PAUSE: under TCG it takes QEMU's lock, which the timers need */
static inline void win_relax(void)
{
    asm volatile("" : : : "memory");
}

/* Reference time from the TSC page when it is valid, else the MSR */
static uint64_t win_now(void)
{
    return ref_time(win_tsc_page);
}

static void win_wait_until(uint64_t t)
{
    while (win_now() < t || ref_time_msr() < t) {
        win_relax();
    }
}

/* Waits for *p >= want with interrupts on; false after @ms */
static bool win_wait_ge(const volatile uint32_t *p, uint32_t want,
                        uint64_t ms)
{
    uint64_t end = win_now() + ms * WIN_MS;
    bool ok;

    irq_enable();
    while (*p < want && win_now() < end) {
        win_relax();
    }
    ok = *p >= want;
    irq_disable();
    return ok;
}

/* Lets interrupts in for @ms */
static void win_irq_delay_ms(uint64_t ms)
{
    uint64_t end = win_now() + ms * WIN_MS;

    irq_enable();
    while (win_now() < end) {
        win_relax();
    }
    irq_disable();
}

static uint64_t apic_bit(uint32_t base, uint8_t vector)
{
    return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

static void on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
    smp_call(cpu, fn, arg);
    smp_wait(cpu);
}

static void fill_qwords(void *page, uint64_t pattern)
{
    uint64_t *p = page;
    unsigned int i;

    for (i = 0; i < 512; i++) {
        p[i] = pattern;
    }
}

/* ---- Interrupt handlers ---------------------------------------------- */

/* The timer SINT, AutoEOI: the runtime sends no EOI */
static void win_sint_irq(GuestIrqFrame *frame)
{
    volatile WinTimerMessage *m;            /* QEMU's page */
    uint64_t now = ref_time_msr();

    if (cpu_index() != 0 || !win_simp[0]) {
        return;
    }
    if (apic_bit(APIC_ISR, WIN_VEC_SINT)) {
        win_in_service++;
    }
    m = &win_simp[0][WIN_SINT];
    if (m->type == 0) {
        win_empty++;
        return;
    }
    if (win_nmsg < WIN_LOG_MAX) {
        WinMsg *l = &win_log[win_nmsg];

        l->type = m->type;
        l->size = m->size;
        l->flags = m->flags;
        l->index = m->timer_index;
        l->exp = m->expiration_time;
        l->delivery = m->delivery_time;
        l->seen = now;
    }
    win_nmsg++;
    if (win_consume) {
        m->type = 0;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (m->flags & HV_MESSAGE_FLAG_PENDING) {
            wrmsr(HV_X64_MSR_EOM, 0);
        }
    }
}

static void win_high_irq(GuestIrqFrame *frame)
{
    win_high_taken++;
}

static void win_icr_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();

    if (cpu < WIN_MAX_CPUS) {
        win_icr_taken[cpu]++;
    }
}

static void win_x2_irq(GuestIrqFrame *frame)
{
    win_x2_taken++;
}

static void win_ipi_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();

    if (cpu < WIN_MAX_CPUS) {
        if (frame->vector == WIN_VEC_IPI) {
            win_ipi_taken[cpu]++;
        } else {
            win_ipi2_taken[cpu]++;
        }
    }
}

/* ---- The reset: saving and replaying the first boot's records --------- */

static WinSave *win_save(void)
{
    return (WinSave *)(uintptr_t)WIN_SAVE_GPA;
}

static HvGuestResults *win_results(void)
{
    return (HvGuestResults *)(uintptr_t)HV_GUEST_RESULTS_GPA;
}

static void win_save_records(void)
{
    WinSave *s = win_save();
    HvGuestResults *res = win_results();
    const HvGuestRecord *recs =
        (const HvGuestRecord *)(uintptr_t)HV_GUEST_RECORDS_GPA;
    uint32_t n = __atomic_load_n(&res->nr_records, __ATOMIC_SEQ_CST);
    uint32_t max = (WIN_SAVE_END - WIN_SAVE_GPA - sizeof(*s)) /
                   sizeof(HvGuestRecord);

    if (n > HV_GUEST_MAX_RECORDS) {
        n = HV_GUEST_MAX_RECORDS;
    }
    if (n > max) {
        guest_abort("%u records do not fit the save area", n);
    }
    memcpy(s->records, recs, n * sizeof(HvGuestRecord));
    s->nr_records = n;
    s->nr_failures = res->nr_failures;
    memcpy(s->message, res->message, sizeof(s->message));
    s->reset_fault = HV_GUEST_FAULT_NONE;
    s->reset_returned = 0;
    s->fallback = 0;
    __atomic_store_n(&s->magic, WIN_SAVE_MAGIC, __ATOMIC_SEQ_CST);
}

static void win_replay_records(void)
{
    WinSave *s = win_save();
    uint64_t v[3];
    uint32_t i;

    __atomic_store_n(&s->magic, 0, __ATOMIC_SEQ_CST);
    for (i = 0; i < s->nr_records; i++) {
        const HvGuestRecord *r = &s->records[i];

        if (r->committed != 1) {
            continue;
        }
        record(r->fault_vector, r->nr_values, r->values, "%s", r->name);
    }
    if (s->nr_failures) {
        guest_fail("before the reset: %s", s->message);
    }
    v[0] = s->fallback;
    v[1] = s->reset_returned;
    v[2] = s->nr_records;
    record(s->reset_fault, 3, v, "p2.reset");
}

/* ---- setup: reset state ------------------------------------------------ */

typedef struct WinMsrName {
    uint32_t msr;
    const char *name;
} WinMsrName;

static const WinMsrName win_pw_msrs[] = {
    { HV_X64_MSR_GUEST_OS_ID, "os_id" },
    { HV_X64_MSR_HYPERCALL, "hypercall" },
    { HV_X64_MSR_REFERENCE_TSC, "ref_tsc" },
    { HV_X64_MSR_RESET, "reset" },
    { WIN_MSR_CRASH_P(0), "crash_p0" },
    { WIN_MSR_CRASH_P(1), "crash_p1" },
    { WIN_MSR_CRASH_P(2), "crash_p2" },
    { WIN_MSR_CRASH_P(3), "crash_p3" },
    { WIN_MSR_CRASH_P(4), "crash_p4" },
    { HV_X64_MSR_CRASH_CTL, "crash_ctl" },
};

static const WinMsrName win_cpu_msrs[] = {
    { HV_X64_MSR_VP_INDEX, "vp_index" },
    { HV_X64_MSR_VP_ASSIST_PAGE, "assist" },
    { HV_X64_MSR_SCONTROL, "scontrol" },
    { HV_X64_MSR_SIMP, "simp" },
    { HV_X64_MSR_SIEFP, "siefp" },
    { HV_X64_MSR_SINT(WIN_SINT), "sint" },
    { HV_X64_MSR_STIMER_CONFIG(0), "st0_config" },
    { HV_X64_MSR_STIMER_COUNT(0), "st0_count" },
    { HV_X64_MSR_TPR, "tpr" },
};

static void win_read_msrs(const WinMsrName *m, unsigned int n,
                          const char *prefix)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        uint64_t v;
        uint8_t fault = rdmsr_safe(m[i].msr, &v);

        WREC(fault, 1, &v, "%sinit.%s", prefix, m[i].name);
    }
}

static void win_cpu_init_reads(void *arg)
{
    char prefix[16];

    snprintf(prefix, sizeof(prefix), "cpu%u.", cpu_index());
    win_read_msrs(win_cpu_msrs, ARRAY_SIZE(win_cpu_msrs), prefix);
}

/* ---- setup: identity, hypercall page, TSC page ------------------------- */

static void win_identity(void)
{
    uint64_t v[4];
    uint8_t fault;
    void *page;

    fault = wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, WIN_GUEST_OS_ID);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_GUEST_OS_ID);
    WREC(fault, 1, v, "os_id");

    /* Another page after the reset: the lock must be gone */
    if (win_phase == 2) {
        alloc_pages(1);
    }
    page = alloc_pages(1);
    fill_qwords(page, WIN_FILL);
    fault = wrmsr_safe(HV_X64_MSR_HYPERCALL, (uintptr_t)page |
                       HV_HYPERCALL_PAGE_ENABLE | HV_HYPERCALL_PAGE_LOCKED);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_HYPERCALL);
    v[1] = (uintptr_t)page;
    v[2] = ((volatile uint64_t *)page)[0];      /* written by QEMU */
    v[3] = hypercall_insn_is_vmmcall();
    WREC(fault, 4, v, "hypercall");
    if (fault == HV_GUEST_FAULT_NONE &&
        ((uint32_t)v[2] == 0xc3c1010f || (uint32_t)v[2] == 0xc3d9010f)) {
        hv_hypercall_page = page;
    } else {
        guest_fail("p%u: no usable hypercall page", win_phase);
    }

    win_tsc_page = alloc_pages(1);
    fault = tsc_page_enable(win_tsc_page);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_REFERENCE_TSC);
    v[1] = (uintptr_t)win_tsc_page;
    WREC(fault, 2, v, "ref_tsc");
    if (fault != HV_GUEST_FAULT_NONE) {
        win_tsc_page = NULL;
    }
}

/* ---- setup: per VP ------------------------------------------------------ */

static uint8_t win_wr(uint32_t msr, uint64_t val, const char *name)
{
    unsigned int cpu = cpu_index();
    uint8_t fault = wrmsr_safe(msr, val);
    uint64_t v = rdmsr_or_faulted(msr);

    WREC(fault, 1, &v, "cpu%u.synic.%s", cpu, name);
    return fault;
}

static void win_cpu_enlighten(void *arg)
{
    unsigned int cpu = cpu_index();
    void *assist = alloc_pages(1);
    void *simp = alloc_pages(1), *siefp = alloc_pages(1);
    uint64_t v[4];
    uint8_t fault;

    fault = rdmsr_safe(HV_X64_MSR_VP_INDEX, &v[0]);
    WREC(fault, 1, v, "cpu%u.vp_index", cpu);

    fill_qwords(assist, ~0ull);
    fault = wrmsr_safe(HV_X64_MSR_VP_ASSIST_PAGE, (uintptr_t)assist | 1);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_VP_ASSIST_PAGE);
    v[1] = (uintptr_t)assist;
    v[2] = ((volatile uint32_t *)assist)[0];     /* written by QEMU */
    v[3] = ((volatile uint32_t *)assist)[1];
    WREC(fault, 4, v, "cpu%u.assist", cpu);

    fault = wrmsr_safe(HV_X64_MSR_TPR, 0x20);
    v[0] = apic_read(APIC_TPR);
    v[1] = rdmsr_or_faulted(HV_X64_MSR_TPR);
    apic_write(APIC_TPR, 0);
    WREC(fault, 2, v, "cpu%u.tpr", cpu);

    /* The order Windows uses: pages, SINTs, then the SynIC on */
    win_simp[cpu] = simp;
    win_wr(HV_X64_MSR_SIMP, (uintptr_t)simp | HV_SYNIC_PAGE_ENABLE, "simp");
    win_wr(HV_X64_MSR_SIEFP, (uintptr_t)siefp | HV_SYNIC_PAGE_ENABLE,
           "siefp");
    win_wr(HV_X64_MSR_SINT(WIN_SINT), WIN_VEC_SINT | HV_SINT_AUTO_EOI,
           "sint");
    win_wr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE, "scontrol");
}

/* ---- setup: the APIC MSRs on the BSP ------------------------------------ */

static void win_apic_msrs(void)
{
    uint64_t v[3], icr, rb, dest;
    uint8_t fault, rfault;

    irq_disable();
    apic_send_ipi(apic_id(), WIN_VEC_HIGH);
    win_wait_ge(&win_high_taken, 1, WIN_IRQ_WAIT_MS);
    v[0] = win_high_taken;
    v[1] = apic_bit(APIC_ISR, WIN_VEC_HIGH);
    fault = wrmsr_safe(HV_X64_MSR_EOI, 0);
    v[2] = apic_bit(APIC_ISR, WIN_VEC_HIGH);
    WREC(fault, 3, v, "eoi");
    if (v[2]) {
        apic_eoi();
    }

    /* xAPIC: the destination is bits 63:56 (ICR2 << 32) */
    icr = ((uint64_t)apic_id() << 56) | APIC_ICR_ASSERT | WIN_VEC_ICR;
    fault = wrmsr_safe(HV_X64_MSR_ICR, icr);
    rfault = rdmsr_safe(HV_X64_MSR_ICR, &rb);
    win_wait_ge(&win_icr_taken[0], 1, WIN_IRQ_WAIT_MS);
    v[0] = icr;
    v[1] = win_icr_taken[0];
    WREC(fault, 2, v, "icr");
    WREC(rfault, 1, &rb, "icr.read");

    /* The last VP, or with one VP an APIC ID nobody has: ICR2 reads too */
    dest = win_nr > 1 ? cpu_by_index(win_nr - 1)->apic_id : WIN_NO_APIC_ID;
    icr = (dest << 56) | APIC_ICR_ASSERT | WIN_VEC_ICR;
    fault = wrmsr_safe(HV_X64_MSR_ICR, icr);
    v[0] = icr;
    v[1] = rdmsr_or_faulted(HV_X64_MSR_ICR);
    if (win_nr > 1) {
        win_wait_ge(&win_icr_taken[win_nr - 1], 1, WIN_IRQ_WAIT_MS);
    }
    v[2] = win_nr > 1 ? win_icr_taken[win_nr - 1] : 0;
    WREC(fault, 3, v, "icr.other");
}

/* ---- setup: stimer 0, periodic, message mode, slot freed late --------- */

/* @nfree: slots the late phase freed, at t_free[] */
static void win_stimer_check(const uint64_t *t_free, uint32_t nfree)
{
    uint32_t n = win_nmsg < WIN_LOG_MAX ? win_nmsg : WIN_LOG_MAX;
    uint64_t v[4] = { 0, 0, 0, 0 }, bad[4] = { 0, 0, 0, 0 };
    uint32_t i;

    for (i = 0; i < n; i++) {
        const WinMsg *l = &win_log[i];

        if (l->type != HV_MESSAGE_TIMER_EXPIRED || l->index != 0 ||
            l->size != WIN_TIMER_PAYLOAD_SIZE) {
            bad[0]++;
        }
        if (l->delivery < l->exp || l->seen < l->delivery) {
            bad[1]++;
        }
        if (i == 0) {
            continue;
        }
        if (l->exp <= l[-1].exp) {
            v[0]++;
        } else if ((l->exp - win_log[0].exp) % WIN_PERIOD) {
            v[1]++;
        }
        /* Message i came after the guest freed the slot of message i-1 */
        if (i <= nfree) {
            if (l->exp + WIN_LATE_SLACK < t_free[i - 1]) {
                v[2]++;
            }
            if (l->seen < t_free[i - 1]) {
                v[3]++;
            }
        }
    }
    WREC(HV_GUEST_FAULT_NONE, 4, v, "stimer.check");
    bad[2] = win_in_service;
    bad[3] = win_nmsg;
    WREC(HV_GUEST_FAULT_NONE, 4, bad, "stimer.bad");
}

/* Empties the slot the TLFS way: type first, then EOM if pending */
static bool win_free_slot(volatile WinTimerMessage *slot)
{
    slot->type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (slot->flags & HV_MESSAGE_FLAG_PENDING) {
        wrmsr(HV_X64_MSR_EOM, 0);
        return true;
    }
    return false;
}

static void win_stimer(void)
{
    volatile WinTimerMessage *slot = &win_simp[0][WIN_SINT];   /* QEMU's */
    uint64_t t_free[WIN_LATE_MSGS + 1], v[4];
    uint64_t min_gap = UINT64_MAX, max_gap = 0;
    uint32_t k, nfree, late_n, pending = 0, eoms = 0, after;
    uint8_t fault;

    irq_set_handler(WIN_VEC_SINT, win_sint_irq, IRQ_NO_EOI);
    fault = wrmsr_safe(HV_X64_MSR_STIMER_COUNT(0), WIN_PERIOD);
    if (fault == HV_GUEST_FAULT_NONE) {
        fault = wrmsr_safe(HV_X64_MSR_STIMER_CONFIG(0), WIN_ST_ENABLE |
                           WIN_ST_PERIODIC | WIN_ST_SINTX(WIN_SINT));
    }
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(0));
    WREC(fault, 2, v, "stimer.start");
    if (fault != HV_GUEST_FAULT_NONE) {
        return;
    }

    /* Late: each message sits in its slot for WIN_HOLD */
    for (k = 0; k < WIN_LATE_MSGS; k++) {
        const WinMsg *l;

        if (!win_wait_ge(&win_nmsg, k + 1, WIN_MSG_WAIT_MS)) {
            break;
        }
        l = &win_log[(win_nmsg - 1) % WIN_LOG_MAX];
        win_wait_until(l->seen + WIN_HOLD);
        pending += !!(slot->flags & HV_MESSAGE_FLAG_PENDING);
        t_free[k] = ref_time_msr();
        eoms += win_free_slot(slot);
    }
    /* The next message may already be there: free it here */
    nfree = k;
    t_free[k] = ref_time_msr();
    late_n = win_nmsg;
    win_consume = true;
    if (slot->type) {
        eoms += win_free_slot(slot);
    }
    v[0] = late_n;
    v[1] = pending;
    v[2] = eoms;
    v[3] = win_empty;
    WREC(HV_GUEST_FAULT_NONE, 4, v, "stimer.late");

    /* Prompt: the handler frees the slot; the timer must go on */
    win_wait_ge(&win_nmsg, late_n + WIN_PROMPT_MSGS, WIN_PROMPT_WAIT_MS);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), 0);
    wrmsr(HV_X64_MSR_STIMER_COUNT(0), 0);
    after = win_nmsg;
    win_irq_delay_ms(3 * WIN_PERIOD / WIN_MS);

    for (k = 1; k < late_n && k < WIN_LOG_MAX; k++) {
        uint64_t gap = (win_log[k].exp - win_log[k - 1].exp) / WIN_PERIOD;

        min_gap = gap < min_gap ? gap : min_gap;
        max_gap = gap > max_gap ? gap : max_gap;
    }
    v[0] = after - late_n;
    v[1] = min_gap == UINT64_MAX ? 0 : min_gap;
    v[2] = max_gap;
    v[3] = win_nmsg - after;
    WREC(HV_GUEST_FAULT_NONE, 4, v, "stimer.prompt");
    win_stimer_check(t_free, nfree);
}

/* ---- setup: flush and IPI hypercalls ------------------------------------ */

static uint8_t win_call(uint64_t control, const uint64_t *in, unsigned int n,
                        uint64_t *rax)
{
    memcpy(win_hc_in, in, n * 8);
    return hv_call(control, (uintptr_t)win_hc_in, 0, rax);
}

static uint64_t win_read_va(void)
{
    return *(volatile uint64_t *)(uintptr_t)WIN_FLUSH_VA;  /* test map */
}

static void win_flush(void)
{
    uint64_t *pd = alloc_pages(1), *pt = alloc_pages(1);
    uint64_t *a = alloc_pages(1), *b = alloc_pages(1);
    uint64_t all = (1ull << win_nr) - 1, v[4], rax, in[5];
    uint8_t fault;

    fill_qwords(a, WIN_PAGE_A);
    fill_qwords(b, WIN_PAGE_B);
    pt[0] = (uintptr_t)a | WIN_PTE_P | WIN_PTE_RW;
    pd[0] = (uintptr_t)pt | WIN_PTE_P | WIN_PTE_RW;
    pdpt[4] = (uintptr_t)pd | WIN_PTE_P | WIN_PTE_RW;
    asm volatile("invlpg (%0)" : : "r"(WIN_FLUSH_VA) : "memory");
    v[1] = win_read_va();
    __atomic_store_n(&pt[0], (uintptr_t)b | WIN_PTE_P | WIN_PTE_RW,
                     __ATOMIC_SEQ_CST);
    v[2] = win_read_va();

    /* Address space, flags, then HV_VP_SET: format, bank mask, bank 0 */
    in[0] = read_cr3();
    in[1] = WIN_FLUSH_ALL_SPACES;
    in[2] = WIN_SET_SPARSE_4K;
    in[3] = 1;
    in[4] = all;
    fault = win_call(HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), in, 5, &rax);
    v[0] = rax;
    v[3] = win_read_va();
    WREC(fault, 4, v, "flush");

    /* Bank 1 only: VPs 64..127, none of which exists */
    in[3] = 2;
    in[4] = 1;
    fault = win_call(HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), in, 5, &rax);
    WREC(fault, 1, &rax, "flush.bank1");
}

static void win_ipi(void)
{
    uint64_t all = (1ull << win_nr) - 1, mask, v[2], rax, in[4];
    unsigned int cpu;
    uint8_t fault;

    irq_set_handler(WIN_VEC_IPI, win_ipi_irq, 0);
    irq_set_handler(WIN_VEC_IPI2, win_ipi_irq, 0);
    mask = win_nr > 1 ? all & ~1ull : 1;

    /* Vector, then HV_VP_SET: format, bank mask, bank 0 */
    in[0] = WIN_VEC_IPI;
    in[1] = WIN_SET_SPARSE_4K;
    in[2] = 1;
    in[3] = mask;
    fault = win_call(HVCALL_SEND_IPI_EX | HC_VARHEAD(1), in, 4, &rax);
    v[0] = rax;
    v[1] = mask;
    WREC(fault, 2, v, "ipi");
    for (cpu = 0; cpu < win_nr; cpu++) {
        if (mask & (1ull << cpu)) {
            win_wait_ge(&win_ipi_taken[cpu], 1, WIN_IRQ_WAIT_MS);
        }
    }

    in[0] = WIN_VEC_IPI2;
    in[2] = 2;
    in[3] = 1;
    fault = win_call(HVCALL_SEND_IPI_EX | HC_VARHEAD(1), in, 4, &rax);
    WREC(fault, 1, &rax, "ipi.bank1");
    win_irq_delay_ms(20);

    for (cpu = 0; cpu < win_nr; cpu++) {
        v[0] = win_ipi_taken[cpu];
        v[1] = win_ipi2_taken[cpu];
        WREC(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.ipi", cpu);
    }
}

static void win_spin(void)
{
    uint64_t rax, in[1] = { 0x1fff };
    uint8_t fault;

    fault = hv_call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HC_FAST, 0x1fff, 0, &rax);
    WREC(fault, 1, &rax, "spin.fast");
    fault = win_call(HVCALL_NOTIFY_LONG_SPIN_WAIT, in, 1, &rax);
    WREC(fault, 1, &rax, "spin.slow");
}

static void win_setup(void)
{
    unsigned int cpu;
    uint64_t scontrol;

    win_phase = win_save()->magic == WIN_SAVE_MAGIC ? 2 : 1;
    if (win_phase == 2) {
        win_replay_records();
    }
    win_nr = nr_cpus();
    if (win_nr > WIN_MAX_CPUS) {
        guest_abort("at most %u CPUs", WIN_MAX_CPUS);
    }
    guest_printf("hv-guest: windows scenario, part %u\n", win_phase);
    irq_set_handler(WIN_VEC_HIGH, win_high_irq, IRQ_NO_EOI);
    irq_set_handler(WIN_VEC_ICR, win_icr_irq, 0);
    win_hc_in = alloc_pages(1);

    win_read_msrs(win_pw_msrs, ARRAY_SIZE(win_pw_msrs), "");
    for (cpu = 0; cpu < win_nr; cpu++) {
        on_cpu(cpu, win_cpu_init_reads, NULL);
    }

    win_identity();
    for (cpu = 0; cpu < win_nr; cpu++) {
        on_cpu(cpu, win_cpu_enlighten, NULL);
    }
    win_apic_msrs();

    scontrol = rdmsr_or_faulted(HV_X64_MSR_SCONTROL);
    if (scontrol != WIN_READ_FAULTED && (scontrol & HV_SYNIC_ENABLE)) {
        win_stimer();
    } else {
        /* No SynIC: what the timer MSRs do without it */
        uint64_t v[2];
        uint8_t fault = wrmsr_safe(HV_X64_MSR_STIMER_COUNT(0), WIN_PERIOD);

        v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
        v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(0));
        WREC(fault, 2, v, "stimer.start");
        wrmsr_safe(HV_X64_MSR_STIMER_COUNT(0), 0);
    }

    if (hv_hypercall_page) {
        win_flush();
        win_ipi();
        win_spin();
    }
}

/* ---- cpu_fn: reference time on every VP --------------------------------- */

static bool win_read_page(void *arg, uint64_t *t)
{
    return win_tsc_page && tsc_page_read(win_tsc_page, t, NULL, NULL);
}

static bool win_read_msr(void *arg, uint64_t *t)
{
    *t = ref_time_msr();
    return true;
}

static void win_time_cpu(unsigned int cpu)
{
    TimeTrack page = { 0 }, msr = { 0 };
    uint64_t start, p, m = 0, last_m = 0, v[4];
    uint64_t fallbacks = 0, p_to_m = 0, m_to_p = 0, m_to_p_max = 0;
    bool have_m = false;

    smp_barrier();
    start = ref_time_msr();
    do {
        /* TLFS: TscSequence 0 means "read TIME_REF_COUNT instead" */
        if (!win_read_page(NULL, &p)) {
            fallbacks++;
            p = ref_time_msr();
        } else {
            time_track(&page, p);
        }
        if (have_m && p < last_m && last_m - p > WIN_TIME_SLACK) {
            m_to_p++;
        }
        if (have_m && p < last_m && last_m - p > m_to_p_max) {
            m_to_p_max = last_m - p;
        }
        m = ref_time_msr();
        if (m < p) {
            p_to_m++;
        }
        time_track(&msr, m);
        last_m = m;
        have_m = true;
        shared_time_check(&win_cross_page, win_read_page, NULL);
        shared_time_check(&win_cross_msr, win_read_msr, NULL);
    } while (m - start < WIN_TIME_MS * WIN_MS);
    smp_barrier();

    v[0] = page.samples;
    v[1] = fallbacks;
    v[2] = msr.samples;
    v[3] = m - start;
    WREC(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time", cpu);
    v[0] = page.backwards;
    v[1] = msr.backwards;
    v[2] = p_to_m;
    v[3] = m_to_p;
    WREC(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.time.mono", cpu);
    WREC(HV_GUEST_FAULT_NONE, 1, &m_to_p_max, "cpu%u.time.max", cpu);
}

/* ---- finish: x2APIC, then the reset or the crash ------------------------ */

static uint64_t x2apic_isr_bit(uint8_t vector)
{
    return (rdmsr(WIN_MSR_X2APIC_ISR0 + vector / 32) >> (vector % 32)) & 1;
}

/* Leaves the BSP in x2APIC mode: only the reset or the end follow */
static void win_x2apic(void)
{
    uint64_t v[3], id, icr;
    uint8_t fault;

    if (!(cpuid(1, 0).ecx & WIN_CPUID_1_ECX_X2APIC)) {
        return;
    }
    irq_set_handler(WIN_VEC_X2, win_x2_irq, IRQ_NO_EOI);
    irq_disable();
    fault = wrmsr_safe(WIN_MSR_APIC_BASE,
                       rdmsr(WIN_MSR_APIC_BASE) | WIN_APIC_BASE_EXTD);
    WREC(fault, 0, NULL, "x2apic.enable");
    if (fault != HV_GUEST_FAULT_NONE) {
        return;
    }
    id = rdmsr(WIN_MSR_X2APIC_ID);

    /* x2APIC: the destination is bits 63:32, and ICR reads all 64 bits */
    icr = (id << 32) | APIC_ICR_ASSERT | WIN_VEC_X2;
    fault = wrmsr_safe(HV_X64_MSR_ICR, icr);
    v[0] = icr;
    v[1] = rdmsr_or_faulted(HV_X64_MSR_ICR);
    win_wait_ge(&win_x2_taken, 1, WIN_IRQ_WAIT_MS);
    v[2] = win_x2_taken;
    WREC(fault, 3, v, "x2apic.icr");

    /* An x2APIC ID nobody has: all of bits 63:32 read back */
    icr = (WIN_NO_X2APIC_ID << 32) | APIC_ICR_ASSERT | WIN_VEC_X2;
    fault = wrmsr_safe(HV_X64_MSR_ICR, icr);
    v[0] = icr;
    v[1] = rdmsr_or_faulted(HV_X64_MSR_ICR);
    WREC(fault, 2, v, "x2apic.icr_far");

    v[0] = x2apic_isr_bit(WIN_VEC_X2);
    fault = wrmsr_safe(HV_X64_MSR_EOI, 0);
    v[1] = x2apic_isr_bit(WIN_VEC_X2);
    WREC(fault, 2, v, "x2apic.eoi");
}

static const uint64_t win_crash_params[3] = {
    WIN_BUGCHECK, WIN_BUGCHECK_P1, WIN_BUGCHECK_P2,
};

static void win_crash_param_writes(uint64_t msg_gpa, uint64_t msg_len)
{
    unsigned int i;

    for (i = 0; i < 5; i++) {
        uint64_t val = i < 3 ? win_crash_params[i] : i == 3 ? msg_gpa
                                                            : msg_len;
        uint8_t fault = wrmsr_safe(WIN_MSR_CRASH_P(i), val);
        uint64_t v[2] = { rdmsr_or_faulted(WIN_MSR_CRASH_P(i)), val };

        WREC(fault, 2, v, "crash.p%u", i);
    }
}

static void win_reset(void)
{
    WinSave *s = win_save();
    uint64_t v;
    uint8_t fault;

    fault = rdmsr_safe(HV_X64_MSR_RESET, &v);
    WREC(fault, 1, &v, "reset.read");
    /* Crash parameters that the reset must clear; no crash reported */
    win_crash_param_writes(0x1000, 0x10);

    win_save_records();
    guest_printf("hv-guest: resetting through HV_X64_MSR_RESET\n");
    fault = wrmsr_safe(HV_X64_MSR_RESET, 1);
    s->reset_fault = fault;
    s->reset_returned = 1;
    if (fault == HV_GUEST_FAULT_NONE) {
        udelay(WIN_RESET_WAIT_US);
    }
    guest_printf("hv-guest: no reset (%s), resetting through port 0xcf9\n",
                 exception_name(fault));
    s->fallback = 1;
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);
    udelay(WIN_RESET_WAIT_US);
    s->magic = 0;
    guest_abort("neither HV_X64_MSR_RESET nor port 0xcf9 reset the VM");
}

static void win_crash(void)
{
    char *msg = alloc_pages(1);
    uint64_t v;
    uint8_t fault;

    strlcpy(msg, win_crash_text, 4096);
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, WIN_CRASH_NO_DUMP |
                       WIN_CRASH_PRE_OS_ID(7));
    WREC(fault, 0, NULL, "crash.nodump");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, WIN_CRASH_PRE_OS_ID(5));
    WREC(fault, 0, NULL, "crash.preos");
    win_crash_param_writes((uintptr_t)msg, strlen(msg));
    guest_printf("hv-guest: reporting a crash through HV_X64_MSR_CRASH_CTL\n");
    fault = wrmsr_safe(HV_X64_MSR_CRASH_CTL, WIN_CRASH_NOTIFY |
                       WIN_CRASH_MESSAGE);
    v = rdmsr_or_faulted(HV_X64_MSR_CRASH_CTL);
    WREC(fault, 1, &v, "crash.notify");
}

static void win_finish(void)
{
    uint64_t v[4] = {
        win_cross_page.backwards, win_cross_page.max_backwards,
        win_cross_msr.backwards, win_cross_msr.max_backwards,
    };

    WREC(HV_GUEST_FAULT_NONE, 4, v, "time.cross");
    win_x2apic();
    if (win_phase == 1) {
        win_reset();
    }
    win_crash();
    WREC(HV_GUEST_FAULT_NONE, 0, NULL, "done");
}

GUEST_TEST(windows,
    .name = "windows",
    .description = "what Windows does with Hyper-V, a reset, all again",
    .setup = win_setup,
    .cpu_fn = win_time_cpu,
    .finish = win_finish,
);
