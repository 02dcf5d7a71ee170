/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runtime of the qemu-hyperv guest payload: a freestanding x86-64 kernel
 * just big enough to poke at what QEMU exposes to a Hyper-V guest and to
 * report what it saw through the results area of hv-guest-abi.h.
 *
 * Execution model: the BSP parses the multiboot command line, brings up
 * smp=N CPUs, then runs the selected GUEST_TEST's setup() on the BSP,
 * cpu_fn() on every CPU at the same time (each with its logical index),
 * and finish() on the BSP.  Logical indexes are the rank of the CPU's
 * APIC ID, so with QEMU's default topologies index N is QEMU's cpu-index
 * N (and thus Hyper-V's VP index N).
 *
 * Command line (multiboot, i.e. QEMU's -append; hv-harness.c builds it):
 *   test=NAME       GUEST_TEST to run; required (unknown: test fails)
 *   smp=N           CPUs to bring up, default 1; must match QEMU's -smp
 *   verbose=1       print every record to the debugcon port
 * plus what tests read for themselves, e.g. msrs= (msr-probe) and
 * count= (selftest-records).  Tokens without '=' (QEMU puts the payload
 * path first) are ignored.
 */
#ifndef GUEST_LIBGUEST_H
#define GUEST_LIBGUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv-guest-abi.h"
#include "layout.h"
#include "hv-tlfs.h"

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define GUEST_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define GUEST_NORETURN      __attribute__((noreturn))

/* ---- C library subset (libguest.c) ---------------------------------- */

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Copies at most size - 1 characters and always NUL terminates. */
size_t strlcpy(char *dst, const char *src, size_t size);
/* Base 0 = auto (0x prefix for hex); stops at the first invalid char. */
uint64_t parse_u64(const char *s, const char **end, int base);

/*
 * %d %i %u %x %X %p %s %c %%; flags '0' '-', width, .precision (for %s
 * only), l/ll/z modifiers.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) GUEST_PRINTF(3, 4);

/*
 * Prints to the ISA debugcon port (HV_GUEST_DEBUGCON_PORT), one CPU at a
 * time; the harness saves that output and shows it when a test fails.
 */
void guest_printf(const char *fmt, ...) GUEST_PRINTF(1, 2);

/* ---- Instructions ---------------------------------------------------- */

typedef struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
} CpuidResult;

static inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf)
{
    CpuidResult r;

    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    asm volatile("wrmsr"
                 : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                 : "memory");
}

static inline void outb(uint16_t port, uint8_t val)
{
    asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t val)
{
    asm volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t val)
{
    asm volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t val;

    asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t val;

    asm volatile("inw %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t val;

    asm volatile("inl %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

#define DEFINE_READ_CR(n)                                   \
    static inline uint64_t read_cr##n(void)                 \
    {                                                       \
        uint64_t val;                                       \
        asm volatile("mov %%cr" #n ", %0" : "=r"(val));     \
        return val;                                         \
    }
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
#undef DEFINE_READ_CR

static inline void cpu_relax(void)
{
    asm volatile("pause" : : : "memory");
}

static inline void irq_enable(void)
{
    asm volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
    asm volatile("cli" : : : "memory");
}

/* Waits for an interrupt with interrupts enabled (STI shadow covers HLT). */
static inline void safe_halt(void)
{
    asm volatile("sti; hlt" : : : "memory");
}

static inline uint64_t read_rflags(void)
{
    uint64_t f;

    asm volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

/* ---- Exceptions and interrupts (libguest.c) ------------------------- */

/* Register frame built by isr_common in boot.S, lowest address first. */
typedef struct GuestIrqFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
} GuestIrqFrame;

enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4,
    VEC_BR = 5, VEC_UD = 6, VEC_NM = 7, VEC_DF = 8, VEC_TS = 10,
    VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MF = 16,
    VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20, VEC_CP = 21,
};

/* Vectors the runtime keeps for itself; tests may use 0x20..0xdf. */
#define VEC_FIRST_TEST_IRQ  0x20
#define VEC_LAST_TEST_IRQ   0xdf
#define VEC_PIC_BASE        0xe0    /* 8259 remapped here, all masked */
#define VEC_WAKE            0xf0    /* IPI that wakes an idle AP */
#define VEC_SPURIOUS        0xff

/* "#GP" etc. for a vector < 32, "INT" otherwise. */
const char *exception_name(unsigned int vector);

/*
 * Fault-recovering instructions.  Each wraps one instruction with an
 * .ex_table entry; if it raises an exception, the handler records vector
 * and error code in the per-CPU area and resumes after it.  They return
 * the vector taken, or HV_GUEST_FAULT_NONE; last_fault_error_code() gives
 * the error code that came with it.
 */
#define EX_TABLE_ENTRY(insn_label, fixup_label)     \
    ".pushsection .ex_table, \"a\"\n"               \
    ".balign 8\n"                                   \
    ".quad " insn_label ", " fixup_label "\n"       \
    ".popsection\n"

void safe_insn_begin(void);
uint8_t safe_insn_end(void);
uint32_t last_fault_error_code(void);

static inline uint8_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;

    safe_insn_begin();
    asm volatile("1: rdmsr\n"
                 "2:\n"
                 EX_TABLE_ENTRY("1b", "2b")
                 : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = ((uint64_t)hi << 32) | lo;
    return safe_insn_end();
}

static inline uint8_t wrmsr_safe(uint32_t msr, uint64_t val)
{
    safe_insn_begin();
    asm volatile("1: wrmsr\n"
                 "2:\n"
                 EX_TABLE_ENTRY("1b", "2b")
                 : : "c"(msr), "a"((uint32_t)val),
                     "d"((uint32_t)(val >> 32))
                 : "memory");
    return safe_insn_end();
}

/* Memory accesses that may fault, e.g. to probe an overlay page. */
static inline uint8_t readq_safe(const volatile uint64_t *addr, /* MMIO */
                                 uint64_t *val)
{
    uint64_t v = 0;

    safe_insn_begin();
    asm volatile("1: movq (%1), %0\n"
                 "2:\n"
                 EX_TABLE_ENTRY("1b", "2b")
                 : "+r"(v) : "r"(addr) : "memory");
    *val = v;
    return safe_insn_end();
}

static inline uint8_t writeq_safe(volatile uint64_t *addr, /* MMIO */
                                  uint64_t val)
{
    safe_insn_begin();
    asm volatile("1: movq %1, (%0)\n"
                 "2:\n"
                 EX_TABLE_ENTRY("1b", "2b")
                 : : "r"(addr), "r"(val) : "memory");
    return safe_insn_end();
}

/*
 * Hyper-V hypercall ABI (TLFS "Hypercall Interface", x64): RCX = control,
 * RDX = input GPA, R8 = output GPA, result in RAX.  The fast form passes
 * two input qwords in RDX/R8 instead.  VMCALL is Intel's instruction,
 * VMMCALL AMD's; hypercall_insn_is_vmmcall() picks by CPUID vendor.  When
 * the instruction faults (#UD when QEMU offers no hypercall interface),
 * *result is left 0 and the vector is returned.
 */
#define DEFINE_HYPERCALL_SAFE(name, insn)                                   \
    static inline uint8_t name(uint64_t control, uint64_t rdx, uint64_t r8, \
                               uint64_t *result)                            \
    {                                                                       \
        register uint64_t r8_reg asm("r8") = r8;                            \
        uint64_t rax = 0;                                                   \
                                                                            \
        safe_insn_begin();                                                  \
        asm volatile("1: " insn "\n"                                        \
                     "2:\n"                                                 \
                     EX_TABLE_ENTRY("1b", "2b")                             \
                     : "+a"(rax), "+c"(control), "+d"(rdx), "+r"(r8_reg)    \
                     : : "memory");                                         \
        *result = rax;                                                      \
        return safe_insn_end();                                             \
    }
DEFINE_HYPERCALL_SAFE(vmcall_safe, "vmcall")
DEFINE_HYPERCALL_SAFE(vmmcall_safe, "vmmcall")
#undef DEFINE_HYPERCALL_SAFE

bool hypercall_insn_is_vmmcall(void);

/* Memory-based hypercall: input/output are guest-physical addresses. */
static inline uint8_t hypercall_safe(uint64_t control, uint64_t in_gpa,
                                     uint64_t out_gpa, uint64_t *result)
{
    return hypercall_insn_is_vmmcall() ?
        vmmcall_safe(control, in_gpa, out_gpa, result) :
        vmcall_safe(control, in_gpa, out_gpa, result);
}

/* Fast hypercall: set HV_HYPERCALL_FAST_BIT (bit 16) in @control. */
static inline uint8_t hypercall_fast_safe(uint64_t control, uint64_t in1,
                                          uint64_t in2, uint64_t *result)
{
    return hypercall_safe(control, in1, in2, result);
}

/*
 * The Hyper-V hypercall page (TLFS "Establishing the Hypercall
 * Interface"): the guest writes its OS identity, then the GPA of a page
 * with the enable bit to HV_X64_MSR_HYPERCALL; the hypervisor fills the
 * page with the hypercall instruction sequence, which the guest CALLs.
 */
#define HV_X64_MSR_GUEST_OS_ID      0x40000000
#define HV_X64_MSR_HYPERCALL        0x40000001
#define HV_HYPERCALL_PAGE_ENABLE    (1ull << 0)
#define HV_HYPERCALL_PAGE_LOCKED    (1ull << 1)
/* Open-source encoding: vendor 0x8100 (Linux), kernel 6.1.0, as Linux */
#define HV_GUEST_OS_ID_LINUX        0x8100000601000000ull

/* The page hv_hypercall_enable() set up, NULL before. */
extern void *hv_hypercall_page;

/*
 * Writes HV_GUEST_OS_ID_LINUX to the guest OS ID MSR when it reads 0,
 * then enables the hypercall page at a freshly allocated page, which
 * becomes hv_hypercall_page.  Returns the vector of the first WRMSR that
 * faulted, or HV_GUEST_FAULT_NONE.  Call it on one CPU: the MSRs are
 * partition-wide.
 */
uint8_t hv_hypercall_enable(void);

/*
 * CALLs @page (a hypercall page) with RCX = @control, RDX = @rdx and R8 =
 * @r8, and stores RAX in *@result.  An exception inside the page (#UD
 * when hypercalls are off, say) returns here as with the *_safe()
 * helpers: the vector is returned and *@result is 0.
 */
uint8_t hv_hypercall_page_call(const void *page, uint64_t control,
                               uint64_t rdx, uint64_t r8, uint64_t *result);
/*
 * The same with XMM0-XMM5 loaded from @xmm (12 qwords, XMM0 low qword
 * first), for XMM fast input.  The caller must have run sse_enable() on
 * this CPU.  The runtime itself never touches XMM registers.
 */
uint8_t hv_hypercall_page_call_xmm(const void *page, uint64_t control,
                                   uint64_t rdx, uint64_t r8,
                                   const uint64_t *xmm, uint64_t *result);

/* Through hv_hypercall_page. */
static inline uint8_t hv_call(uint64_t control, uint64_t rdx, uint64_t r8,
                              uint64_t *result)
{
    return hv_hypercall_page_call(hv_hypercall_page, control, rdx, r8,
                                  result);
}

/* CR0.MP, CR4.OSFXSR and CR4.OSXMMEXCPT on this CPU: SSE works. */
void sse_enable(void);

/*
 * External interrupt handlers.  The runtime sends the xAPIC EOI after the
 * handler returns unless IRQ_NO_EOI is given (e.g. for a SINT with
 * AutoEOI).  Handlers run with interrupts disabled on the CPU that took
 * the interrupt.  The IDT is shared, so a handler serves all CPUs.
 * VEC_NMI takes a handler too (the only exception vector that does):
 * NMIs then go to it, without an EOI, instead of failing the test.
 */
typedef void (*IrqHandler)(GuestIrqFrame *frame);
enum {
    IRQ_NO_EOI = 1u << 0,
};
void irq_set_handler(uint8_t vector, IrqHandler handler, unsigned int flags);

/* ---- Local APIC (xAPIC, MMIO at GUEST_LAPIC_BASE) -------------------- */

#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ISR        0x100
#define APIC_IRR        0x200
#define APIC_ICR_LOW    0x300
#define APIC_ICR_HIGH   0x310
#define APIC_LVT_TIMER  0x320

#define APIC_ICR_FIXED          0x00000
#define APIC_ICR_INIT           0x00500
#define APIC_ICR_STARTUP        0x00600
#define APIC_ICR_BUSY           0x01000
#define APIC_ICR_ASSERT         0x04000
#define APIC_ICR_ALL_BUT_SELF   0xc0000

static inline uint32_t apic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(uintptr_t)(GUEST_LAPIC_BASE + reg); /* MMIO */
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(uintptr_t)(GUEST_LAPIC_BASE + reg) = val; /* MMIO */
}

static inline uint32_t apic_id(void)
{
    return apic_read(APIC_ID) >> 24;
}

static inline void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

/* Fixed-delivery IPI to one physical APIC ID. */
void apic_send_ipi(uint32_t dest_apic_id, uint8_t vector);

/* ---- Per-CPU state and SMP (libguest.c) ------------------------------ */

typedef struct GuestCpu {
    struct GuestCpu *self;              /* %gs:0, see this_cpu() */
    uint32_t index;                     /* logical index (APIC ID rank) */
    uint32_t apic_id;
    uint32_t slot;                      /* arrival order = stack slot */
    /*
     * *_safe() bookkeeping, written by the exception handler behind the
     * compiler's back: hence volatile.
     */
    volatile uint8_t fault_vector;          /* set by the #xx handler */
    volatile uint32_t fault_error_code;     /* set by the #xx handler */
    uint32_t exception_depth;
    /* Work handed to an idle AP by smp_call(), polled across CPUs. */
    void (*volatile work_fn)(void *arg);    /* written by the caller */
    void *volatile work_arg;                /* written by the caller */
    volatile uint32_t work_seq;             /* bumped by the caller */
    volatile uint32_t work_done_seq;        /* bumped by the AP */
    /*
     * hv_hypercall_page_call(): where an exception inside the called page
     * resumes (the stack pointer before the CALL; 0: no call running).
     * The exception returns to GUEST_CS64 there, so code entered in user
     * mode can use it too.
     */
    volatile uint64_t call_guard_rsp;       /* cleared by the handler */
    volatile uint64_t call_guard_rip;       /* read by the handler */
} GuestCpu;

static inline GuestCpu *this_cpu(void)
{
    GuestCpu *c;

    asm volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

static inline unsigned int cpu_index(void)
{
    return this_cpu()->index;
}

unsigned int nr_cpus(void);
/* NULL for an index >= nr_cpus(). */
GuestCpu *cpu_by_index(unsigned int index);

/*
 * Runs fn(arg) on the AP with logical index @cpu, which must be idle
 * (not running a cpu_fn or earlier work).  Returns at once; smp_wait()
 * waits for it.  For cpu 0 (the BSP) fn runs synchronously.
 */
void smp_call(unsigned int cpu, void (*fn)(void *arg), void *arg);
void smp_wait(unsigned int cpu);
/* Runs fn(arg) on every CPU (the caller being the BSP) and waits. */
void smp_call_all(void (*fn)(void *arg), void *arg);

/* Reusable barrier for a fixed number of CPUs. */
typedef struct GuestBarrier {
    volatile uint32_t count;                /* shared by the CPUs */
    volatile uint32_t generation;           /* shared by the CPUs */
    uint32_t total;
} GuestBarrier;

void barrier_init(GuestBarrier *b, uint32_t total);
void barrier_wait(GuestBarrier *b);
/* All nr_cpus() CPUs; only meaningful from a test's cpu_fn. */
void smp_barrier(void);

/*
 * CPU hot-plug, from the BSP.  smp_start_hotplugged() brings up the CPU
 * with APIC ID @apic_id that QEMU plugged in after boot (INIT-SIPI-SIPI
 * to it alone, as an OS does once ACPI told it); the CPU joins as
 * logical index nr_cpus() and takes work through smp_call().  Its index
 * then no longer follows the APIC ID order, and smp_barrier() and the
 * tests' cpu_fn do not count it.  Returns the index, or -1 when the CPU
 * did not come up.  smp_offline_last() takes the last CPU offline for
 * good before an eject: it leaves nr_cpus() and parks with interrupts
 * off.  False when it did not get there in time.
 */
int smp_start_hotplugged(uint32_t apic_id);
bool smp_offline_last(void);

/* ---- Time ------------------------------------------------------------ */

/*
 * TCG's TSC runs at the host TSC rate, which the guest does not know.
 * Delays and timeouts assume at least 1 GHz: they may be shorter or
 * longer in wall-clock time, but never shorter in TSC ticks.
 */
#define GUEST_TSC_TICKS_PER_US  1000ULL
void udelay(uint64_t us);
/* Spins with cpu_relax() until *p == val or @timeout_us elapse. */
bool wait_for_u32(const volatile uint32_t *p, uint32_t val,
                  uint64_t timeout_us);

/* ---- Memory ---------------------------------------------------------- */

/* Zeroed, page-aligned pages from GUEST_HEAP_BASE up; never freed. */
void *alloc_pages(unsigned int nr_pages);

/* ---- Command line ---------------------------------------------------- */

/*
 * The multiboot command line is "<payload path> key=value key=value...".
 * cmdline_get() returns the value of the first token "key=...", or NULL.
 * The returned string ends at the next blank, not at a NUL: use
 * cmdline_get_str() to copy it out.
 */
const char *cmdline_get(const char *key);
bool cmdline_get_str(const char *key, char *buf, size_t size);
uint64_t cmdline_get_u64(const char *key, uint64_t default_val);
/*
 * Parses "key=v1,v2,..." into @vals (up to @max entries); returns the
 * number parsed, 0 when the key is absent.
 */
unsigned int cmdline_get_u64_list(const char *key, uint64_t *vals,
                                  unsigned int max);

/* ---- Results (hv-guest-abi.h) ---------------------------------------- */

/*
 * Appends a record named after @name_fmt.  @fault_vector is what a
 * *_safe() helper returned (HV_GUEST_FAULT_NONE when nothing faulted); if
 * it is a fault, the error code of this CPU's last fault goes with it.
 * Safe to call on all CPUs at once.  Returns false when the area is full
 * (which also fails the test).
 */
bool record(uint8_t fault_vector, unsigned int nr_values,
            const uint64_t *values, const char *name_fmt, ...)
    GUEST_PRINTF(4, 5);

/* Records cpuid(leaf, 0) as "cpu<N>.cpuid.<leaf as %08x>". */
void record_cpuid(uint32_t leaf);

/*
 * Marks the test failed and keeps the first message for the host; the
 * test goes on.  guest_abort() also ends the test at once (final state
 * FAILED) and parks the calling CPU.
 */
void guest_fail(const char *fmt, ...) GUEST_PRINTF(1, 2);
void guest_abort(const char *fmt, ...) GUEST_PRINTF(1, 2) GUEST_NORETURN;

bool guest_verbose(void);

/* ---- Tests ----------------------------------------------------------- */

typedef struct GuestTest {
    const char *name;           /* matched against test= */
    const char *description;
    void (*setup)(void);        /* BSP, before any cpu_fn; optional */
    void (*cpu_fn)(unsigned int cpu);   /* every CPU; optional */
    void (*finish)(void);       /* BSP, after every cpu_fn; optional */
} GuestTest;

/* Registers a test in the guest_tests section (see guest.ld). */
#define GUEST_TEST(ident, ...)                                          \
    static const GuestTest guest_test_##ident                           \
        __attribute__((used, section("guest_tests"), aligned(8))) = {   \
        __VA_ARGS__                                                     \
    }

/* ---- Symbols of boot.S and guest.ld ----------------------------------- */

/* Stops the calling CPU for good (CLI; HLT). */
GUEST_NORETURN void cpu_park(void);

extern const char ap_trampoline_start[], ap_trampoline_end[];
/* The page tables: PML4[0] -> PDPT, PDPT[0..3] -> pd (4 GiB identity) */
extern uint64_t pml4[512], pdpt[512], pd[4 * 512];
/* 256 interrupt entry stubs, 16 bytes apart */
extern const char isr_stubs[];

typedef struct ExTableEntry {
    uint64_t insn;              /* address of an instruction that may fault */
    uint64_t fixup;             /* where to resume when it does */
} ExTableEntry;
extern const ExTableEntry __ex_table_start[], __ex_table_end[];
extern const GuestTest __start_guest_tests[], __stop_guest_tests[];

/* Called from boot.S */
void bsp_main(uint32_t mb_magic, uint32_t mb_info);
void ap_main(uint32_t slot);
void idt_dispatch(GuestIrqFrame *frame);

#endif /* GUEST_LIBGUEST_H */
