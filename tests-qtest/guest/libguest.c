/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runtime of the qemu-hyperv guest payload: C library subset, debug
 * output, results area, command line, IDT, xAPIC, SMP bring-up and the
 * test runner.  See libguest.h for the execution model.
 */
#include "libguest.h"

#define MULTIBOOT_BOOTLOADER_MAGIC  0x2badb002
#define MULTIBOOT_INFO_MEMORY       (1u << 0)
#define MULTIBOOT_INFO_CMDLINE      (1u << 2)

#define MSR_GS_BASE                 0xc0000101

#define PAGE_SIZE                   4096

/* How long the BSP waits for the APs to answer INIT-SIPI-SIPI. */
#define AP_STARTUP_TIMEOUT_US       (10 * 1000 * 1000)

/* ---- C library subset ------------------------------------------------ */

/*
 * String instructions rather than loops: gcc may turn a byte loop back
 * into a call to memset/memcpy, i.e. into infinite recursion here.
 */
void *memset(void *s, int c, size_t n)
{
    void *d = s;

    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;

    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    char *d = dst;
    const char *s = src;

    if (d <= s || d >= s + n) {
        return memcpy(dst, src, n);
    }
    while (n--) {
        d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    size_t i;

    for (i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] - y[i];
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;

        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return 99;
}

uint64_t parse_u64(const char *s, const char **end, int base)
{
    uint64_t val = 0;
    int d;

    if (base == 0) {
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            base = 16;
            s += 2;
        } else {
            base = 10;
        }
    } else if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    while ((d = digit_value(*s)) < base) {
        val = val * base + d;
        s++;
    }
    if (end) {
        *end = s;
    }
    return val;
}

typedef struct OutBuf {
    char *buf;
    size_t size;
    size_t pos;
} OutBuf;

static void out_char(OutBuf *o, char c)
{
    if (o->pos + 1 < o->size) {
        o->buf[o->pos] = c;
    }
    o->pos++;
}

static void out_padded(OutBuf *o, const char *prefix, const char *s,
                       size_t len, int width, bool left, bool zero)
{
    size_t plen = strlen(prefix);
    size_t total = plen + len;
    size_t pad = width > 0 && (size_t)width > total ? width - total : 0;

    if (!left && !zero) {
        while (pad--) {
            out_char(o, ' ');
        }
    }
    while (*prefix) {
        out_char(o, *prefix++);
    }
    if (!left && zero) {
        while (pad--) {
            out_char(o, '0');
        }
    }
    while (len--) {
        out_char(o, *s++);
    }
    if (left) {
        while (pad--) {
            out_char(o, ' ');
        }
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    OutBuf o = { .buf = buf, .size = size, .pos = 0 };

    for (; *fmt; fmt++) {
        bool left = false, zero = false, is_signed = false;
        const char *digits = "0123456789abcdef";
        const char *prefix = "";
        int width = 0, precision = -1, longs = 0, base = 10;
        char tmp[24];
        char *p = tmp + sizeof(tmp);
        uint64_t val;

        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') {
                left = true;
            } else if (*fmt == '0') {
                zero = true;
            } else {
                break;
            }
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            precision = 0;
            while (*fmt >= '0' && *fmt <= '9') {
                precision = precision * 10 + (*fmt++ - '0');
            }
        }
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        if (*fmt == 'z') {
            longs = 1;
            fmt++;
        }

        switch (*fmt) {
        case '\0':
            fmt--;
            continue;
        case '%':
            out_char(&o, '%');
            continue;
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            out_padded(&o, "", tmp, 1, width, left, false);
            continue;
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t len = 0;

            if (!s) {
                s = "(null)";
            }
            while (s[len] && (precision < 0 || len < (size_t)precision)) {
                len++;
            }
            out_padded(&o, "", s, len, width, left, false);
            continue;
        }
        case 'p':
            val = (uintptr_t)va_arg(ap, void *);
            prefix = "0x";
            base = 16;
            break;
        case 'd':
        case 'i':
            is_signed = true;
            /* fall through */
        case 'u':
        case 'x':
        case 'X':
            if (*fmt == 'x' || *fmt == 'X') {
                base = 16;
            }
            if (*fmt == 'X') {
                digits = "0123456789ABCDEF";
            }
            if (longs) {
                val = va_arg(ap, uint64_t);
            } else {
                val = va_arg(ap, unsigned int);
                if (is_signed) {
                    val = (uint64_t)(int64_t)(int32_t)val;
                }
            }
            if (is_signed && (int64_t)val < 0) {
                prefix = "-";
                val = -val;
            }
            break;
        default:
            out_char(&o, '%');
            out_char(&o, *fmt);
            continue;
        }

        do {
            *--p = digits[val % base];
            val /= base;
        } while (val);
        out_padded(&o, prefix, p, tmp + sizeof(tmp) - p, width, left, zero);
    }
    if (size) {
        buf[o.pos < size ? o.pos : size - 1] = '\0';
    }
    return o.pos;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return ret;
}

/* ---- Locks and debug output ------------------------------------------ */

typedef struct Spinlock {
    uint32_t locked;
} Spinlock;

/* Interrupt-safe: returns the RFLAGS to hand back to spin_unlock_irq. */
static uint64_t spin_lock_irq(Spinlock *l)
{
    uint64_t flags = read_rflags();

    irq_disable();
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            cpu_relax();
        }
    }
    return flags;
}

static void spin_unlock_irq(Spinlock *l, uint64_t flags)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    if (flags & (1 << 9)) {
        irq_enable();
    }
}

static Spinlock print_lock;

static void debugcon_write(const char *s)
{
    while (*s) {
        outb(HV_GUEST_DEBUGCON_PORT, *s++);
    }
}

void guest_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    uint64_t flags;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    flags = spin_lock_irq(&print_lock);
    debugcon_write(buf);
    spin_unlock_irq(&print_lock, flags);
}

/* ---- Time and memory ------------------------------------------------- */

void udelay(uint64_t us)
{
    uint64_t start = rdtsc();

    while (rdtsc() - start < us * GUEST_TSC_TICKS_PER_US) {
        cpu_relax();
    }
}

bool wait_for_u32(const volatile uint32_t *p, /* written by others */
                  uint32_t val, uint64_t timeout_us)
{
    uint64_t start = rdtsc();

    while (*p != val) {
        if (rdtsc() - start >= timeout_us * GUEST_TSC_TICKS_PER_US) {
            return *p == val;
        }
        cpu_relax();
    }
    return true;
}

static uint64_t heap_next = GUEST_HEAP_BASE;
static uint64_t ram_end;        /* 0: unknown */

void *alloc_pages(unsigned int nr_pages)
{
    uint64_t size = (uint64_t)nr_pages * PAGE_SIZE;
    uint64_t addr = __atomic_fetch_add(&heap_next, size, __ATOMIC_RELAXED);

    if (ram_end && addr + size > ram_end) {
        guest_abort("alloc_pages(%u): out of guest RAM (ends at 0x%lx)",
                    nr_pages, ram_end);
    }
    memset((void *)(uintptr_t)addr, 0, size);
    return (void *)(uintptr_t)addr;
}

/* ---- Results area ---------------------------------------------------- */

static HvGuestResults *const results =
    (HvGuestResults *)(uintptr_t)HV_GUEST_RESULTS_GPA;
static HvGuestRecord *const records =
    (HvGuestRecord *)(uintptr_t)HV_GUEST_RECORDS_GPA;
static bool verbose;

bool guest_verbose(void)
{
    return verbose;
}

static void results_init(void)
{
    /* A reset (e.g. a triple fault) must not leave stale records behind. */
    memset(records, 0, sizeof(HvGuestRecord) * HV_GUEST_MAX_RECORDS);
    memset(results, 0, sizeof(*results));
    results->abi_version = HV_GUEST_ABI_VERSION;
    results->max_records = HV_GUEST_MAX_RECORDS;
    results->nr_cpus = 1;
    results->state = HV_GUEST_STATE_RUNNING;
    __atomic_store_n(&results->magic, HV_GUEST_RESULTS_MAGIC,
                     __ATOMIC_SEQ_CST);
}

static void vguest_fail(const char *fmt, va_list ap)
{
    char msg[HV_GUEST_MESSAGE_LEN];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (__atomic_fetch_add(&results->nr_failures, 1, __ATOMIC_SEQ_CST) == 0) {
        strlcpy(results->message, msg, sizeof(results->message));
    }
    guest_printf("FAIL: %s\n", msg);
}

void guest_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vguest_fail(fmt, ap);
    va_end(ap);
}

/* Publishes the final state; only the first caller gets to do it. */
static void guest_finish(void)
{
    uint32_t expected = HV_GUEST_STATE_RUNNING;
    uint32_t final = __atomic_load_n(&results->nr_failures, __ATOMIC_SEQ_CST) ?
        HV_GUEST_STATE_FAILED : HV_GUEST_STATE_PASSED;

    results->tsc_end = rdtsc();
    if (__atomic_compare_exchange_n(&results->state, &expected, final, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        guest_printf("hv-guest: test %s %s (%u records, %u failures)\n",
                     results->test,
                     final == HV_GUEST_STATE_PASSED ? "passed" : "FAILED",
                     results->nr_records, results->nr_failures);
    }
}

void guest_abort(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vguest_fail(fmt, ap);
    va_end(ap);
    guest_finish();
    cpu_park();
}

static bool vrecord(uint32_t flags, uint8_t fault_vector,
                    unsigned int nr_values, const uint64_t *values,
                    const char *name_fmt, va_list ap)
{
    uint32_t slot = __atomic_fetch_add(&results->nr_records, 1,
                                       __ATOMIC_RELAXED);
    HvGuestRecord *r;
    unsigned int i;
    int len;

    if (slot >= HV_GUEST_MAX_RECORDS) {
        if (slot == HV_GUEST_MAX_RECORDS) {
            guest_fail("results area full (%u records)",
                       HV_GUEST_MAX_RECORDS);
        }
        return false;
    }
    r = &records[slot];
    len = vsnprintf(r->name, sizeof(r->name), name_fmt, ap);
    if (len >= (int)sizeof(r->name)) {
        guest_fail("record name too long: %s...", r->name);
    }
    if (nr_values > HV_GUEST_RECORD_VALUES) {
        guest_fail("record %s: %u values, at most %u fit", r->name,
                   nr_values, HV_GUEST_RECORD_VALUES);
        nr_values = HV_GUEST_RECORD_VALUES;
    }
    for (i = 0; i < HV_GUEST_RECORD_VALUES; i++) {
        r->values[i] = i < nr_values ? values[i] : 0;
    }
    r->nr_values = nr_values;
    r->flags = flags;
    r->fault_vector = fault_vector;
    r->fault_error_code = fault_vector == HV_GUEST_FAULT_NONE ?
        0 : this_cpu()->fault_error_code;
    r->cpu = this_cpu()->index;
    __atomic_store_n(&r->committed, 1, __ATOMIC_RELEASE);

    if (verbose) {
        char line[160];
        int n = snprintf(line, sizeof(line), "rec %s", r->name);

        for (i = 0; i < nr_values && n < (int)sizeof(line); i++) {
            n += snprintf(line + n, sizeof(line) - n, " %lx", r->values[i]);
        }
        if (fault_vector != HV_GUEST_FAULT_NONE && n < (int)sizeof(line)) {
            snprintf(line + n, sizeof(line) - n, " fault=%s",
                     exception_name(fault_vector));
        }
        guest_printf("%s\n", line);
    }
    return true;
}

bool record(uint8_t fault_vector, unsigned int nr_values,
            const uint64_t *values, const char *name_fmt, ...)
{
    va_list ap;
    bool ok;

    va_start(ap, name_fmt);
    ok = vrecord(0, fault_vector, nr_values, values, name_fmt, ap);
    va_end(ap);
    return ok;
}

static bool record_flags(uint32_t flags, unsigned int nr_values,
                         const uint64_t *values, const char *name_fmt, ...)
    GUEST_PRINTF(4, 5);

static bool record_flags(uint32_t flags, unsigned int nr_values,
                         const uint64_t *values, const char *name_fmt, ...)
{
    va_list ap;
    bool ok;

    va_start(ap, name_fmt);
    ok = vrecord(flags, HV_GUEST_FAULT_NONE, nr_values, values, name_fmt,
                 ap);
    va_end(ap);
    return ok;
}

void record_cpuid(uint32_t leaf)
{
    CpuidResult r = cpuid(leaf, 0);
    uint64_t v[4] = { r.eax, r.ebx, r.ecx, r.edx };

    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.cpuid.%08x", cpu_index(), leaf);
}

/* ---- Command line ---------------------------------------------------- */

static char cmdline[1024];

static void cmdline_init(uint32_t mb_info)
{
    const uint32_t *mbi = (const uint32_t *)(uintptr_t)mb_info;

    if (mbi[0] & MULTIBOOT_INFO_CMDLINE) {
        const char *src = (const char *)(uintptr_t)mbi[4];

        if (strlcpy(cmdline, src, sizeof(cmdline)) >= sizeof(cmdline)) {
            guest_fail("command line longer than %zu bytes",
                       sizeof(cmdline) - 1);
        }
    }
    if (mbi[0] & MULTIBOOT_INFO_MEMORY) {
        /* mem_upper: KiB of RAM from 1 MiB up */
        ram_end = 0x100000 + (uint64_t)mbi[2] * 1024;
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

const char *cmdline_get(const char *key)
{
    size_t klen = strlen(key);
    const char *p = cmdline;

    while (*p) {
        while (is_blank(*p)) {
            p++;
        }
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            return p + klen + 1;
        }
        while (*p && !is_blank(*p)) {
            p++;
        }
    }
    return NULL;
}

bool cmdline_get_str(const char *key, char *buf, size_t size)
{
    const char *v = cmdline_get(key);
    size_t n = 0;

    if (!v) {
        return false;
    }
    while (v[n] && !is_blank(v[n])) {
        n++;
    }
    if (n >= size) {
        guest_fail("%s=...: value longer than %zu bytes", key, size - 1);
        n = size - 1;
    }
    memcpy(buf, v, n);
    buf[n] = '\0';
    return true;
}

uint64_t cmdline_get_u64(const char *key, uint64_t default_val)
{
    const char *v = cmdline_get(key);
    const char *end;
    uint64_t val;

    if (!v) {
        return default_val;
    }
    val = parse_u64(v, &end, 0);
    if (end == v || (*end && !is_blank(*end))) {
        guest_fail("%s=...: not a number", key);
        return default_val;
    }
    return val;
}

unsigned int cmdline_get_u64_list(const char *key, uint64_t *vals,
                                  unsigned int max)
{
    const char *p = cmdline_get(key);
    unsigned int n = 0;

    if (!p) {
        return 0;
    }
    while (*p && !is_blank(*p)) {
        const char *end;
        uint64_t val = parse_u64(p, &end, 0);

        if (end == p || (*end && *end != ',' && !is_blank(*end))) {
            guest_fail("%s=...: bad number at \"%.8s\"", key, p);
            break;
        }
        if (n == max) {
            guest_fail("%s=...: more than %u values", key, max);
            break;
        }
        vals[n++] = val;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* ---- Exceptions and interrupts --------------------------------------- */

typedef struct IdtEntry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} IdtEntry;

static IdtEntry idt[256] __attribute__((aligned(16)));
static struct {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed)) idt_desc;

static IrqHandler irq_handlers[256];
static unsigned int irq_flags[256];

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *exception_name(unsigned int vector)
{
    return vector < 32 ? exception_names[vector] : "INT";
}

static void idt_init(void)
{
    unsigned int i;

    for (i = 0; i < 256; i++) {
        uint64_t addr = (uintptr_t)isr_stubs + 16 * i;

        idt[i].offset_low = addr;
        idt[i].selector = GUEST_CS64;
        idt[i].ist = 0;
        idt[i].type_attr = 0x8e;        /* present, DPL 0, interrupt gate */
        idt[i].offset_mid = addr >> 16;
        idt[i].offset_high = addr >> 32;
        idt[i].reserved = 0;
    }
    idt_desc.limit = sizeof(idt) - 1;
    idt_desc.base = (uintptr_t)idt;
}

static void idt_load(void)
{
    asm volatile("lidt %0" : : "m"(idt_desc));
}

void irq_set_handler(uint8_t vector, IrqHandler handler, unsigned int flags)
{
    if ((vector < VEC_FIRST_TEST_IRQ || vector > VEC_LAST_TEST_IRQ) &&
        vector != VEC_NMI) {
        guest_fail("irq_set_handler: vector 0x%x is reserved", vector);
        return;
    }
    irq_flags[vector] = flags;
    __atomic_store_n(&irq_handlers[vector], handler, __ATOMIC_RELEASE);
}

void safe_insn_begin(void)
{
    this_cpu()->fault_vector = HV_GUEST_FAULT_NONE;
    this_cpu()->fault_error_code = 0;
    asm volatile("" : : : "memory");
}

uint8_t safe_insn_end(void)
{
    asm volatile("" : : : "memory");
    return this_cpu()->fault_vector;
}

uint32_t last_fault_error_code(void)
{
    return this_cpu()->fault_error_code;
}

static uint64_t ex_table_fixup(uint64_t rip)
{
    const ExTableEntry *e;

    for (e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->insn == rip) {
            return e->fixup;
        }
    }
    return 0;
}

static void handle_exception(GuestIrqFrame *f)
{
    GuestCpu *c = this_cpu();
    uint64_t fixup = ex_table_fixup(f->rip);
    uint64_t cr2 = read_cr2();

    if (fixup) {
        c->fault_vector = f->vector;
        c->fault_error_code = f->error_code;
        f->rip = fixup;
        return;
    }
    if (c->call_guard_rsp) {
        /*
         * Inside a page that hv_hypercall_page_call() called, or in user
         * mode code entered the same way: back to the kernel.
         */
        c->fault_vector = f->vector;
        c->fault_error_code = f->error_code;
        f->rip = c->call_guard_rip;
        f->rsp = c->call_guard_rsp;
        f->cs = GUEST_CS64;
        f->ss = GUEST_DS;
        c->call_guard_rsp = 0;
        return;
    }

    if (c->exception_depth++) {
        /* Keep it simple: no locks, no records, just say it and stop. */
        debugcon_write("hv-guest: nested unexpected exception, parking\n");
        cpu_park();
    }

    {
        uint64_t v[4] = { f->rip, f->error_code, cr2, c->index };

        record_flags(HV_GUEST_RECORD_EXCEPTION | HV_GUEST_RECORD_FAILED, 4, v,
                     "cpu%u.exception.%s", c->index,
                     exception_name(f->vector));
    }
    guest_abort("cpu%u: unexpected %s (vector %lu) at rip 0x%lx, "
                "error code 0x%lx, cr2 0x%lx", c->index,
                exception_name(f->vector), f->vector, f->rip, f->error_code,
                cr2);
}

void idt_dispatch(GuestIrqFrame *f)
{
    unsigned int vector = f->vector;
    IrqHandler handler;

    /* An NMI a test expects (irq_set_handler(VEC_NMI, ...)): no EOI */
    if (vector == VEC_NMI) {
        handler = __atomic_load_n(&irq_handlers[vector], __ATOMIC_ACQUIRE);
        if (handler) {
            handler(f);
            return;
        }
    }
    if (vector < 32) {
        handle_exception(f);
        return;
    }
    if (vector == VEC_SPURIOUS ||
        (vector >= VEC_PIC_BASE && vector < VEC_PIC_BASE + 16)) {
        /*
         * Spurious interrupts are not in service: no EOI.  With every
         * 8259 input masked, only its spurious IRQ7/IRQ15 can get here.
         */
        return;
    }
    if (vector == VEC_WAKE) {
        apic_eoi();
        return;
    }
    handler = __atomic_load_n(&irq_handlers[vector], __ATOMIC_ACQUIRE);
    if (!handler) {
        guest_fail("cpu%u: unexpected interrupt, vector 0x%x", cpu_index(),
                   vector);
        apic_eoi();
        return;
    }
    handler(f);
    if (!(irq_flags[vector] & IRQ_NO_EOI)) {
        apic_eoi();
    }
}

/* ---- Hypercalls ------------------------------------------------------ */

bool hypercall_insn_is_vmmcall(void)
{
    CpuidResult r = cpuid(0, 0);

    /* "AuthenticAMD" and "HygonGenuine" use VMMCALL */
    return (r.ebx == 0x68747541 && r.edx == 0x69746e65 &&
            r.ecx == 0x444d4163) ||
           (r.ebx == 0x6f677948 && r.edx == 0x6e65476e &&
            r.ecx == 0x656e6975);
}

void *hv_hypercall_page;

uint8_t hv_hypercall_enable(void)
{
    void *page = alloc_pages(1);
    uint64_t id;
    uint8_t fault = rdmsr_safe(HV_X64_MSR_GUEST_OS_ID, &id);

    if (fault == HV_GUEST_FAULT_NONE && !id) {
        fault = wrmsr_safe(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_LINUX);
    }
    if (fault == HV_GUEST_FAULT_NONE) {
        fault = wrmsr_safe(HV_X64_MSR_HYPERCALL,
                           (uintptr_t)page | HV_HYPERCALL_PAGE_ENABLE);
    }
    if (fault == HV_GUEST_FAULT_NONE) {
        hv_hypercall_page = page;
    }
    return fault;
}

/*
 * The guard: a fault at any RIP resumes at label 2 with the stack pointer
 * of before the CALL (see handle_exception()).
 */
#define HV_CALL_ASM(loads)                                          \
    loads                                                           \
    "leaq 2f(%%rip), %%rax\n"                                       \
    "movq %%rax, %%gs:%c[grip]\n"                                   \
    "movq %%rsp, %%gs:%c[grsp]\n"                                   \
    "xorl %%eax, %%eax\n"                                           \
    "call *%[page]\n"                                               \
    "2:\n"                                                          \
    "movq $0, %%gs:%c[grsp]\n"

uint8_t hv_hypercall_page_call(const void *page, uint64_t control,
                               uint64_t rdx, uint64_t r8, uint64_t *result)
{
    register uint64_t r8_reg asm("r8") = r8;
    uint64_t rax;

    safe_insn_begin();
    asm volatile(HV_CALL_ASM("")
                 : "=&a"(rax), "+c"(control), "+d"(rdx), "+r"(r8_reg)
                 : [page] "r"(page),
                   [grip] "i"(offsetof(GuestCpu, call_guard_rip)),
                   [grsp] "i"(offsetof(GuestCpu, call_guard_rsp))
                 : "memory", "cc");
    *result = rax;
    return safe_insn_end();
}

uint8_t hv_hypercall_page_call_xmm(const void *page, uint64_t control,
                                   uint64_t rdx, uint64_t r8,
                                   const uint64_t *xmm, uint64_t *result)
{
    register uint64_t r8_reg asm("r8") = r8;
    uint64_t rax;

    /* No clobbers for XMM0-5: -mgeneral-regs-only code never uses them */
    safe_insn_begin();
    asm volatile(HV_CALL_ASM("movdqu 0(%[xmm]), %%xmm0\n"
                             "movdqu 16(%[xmm]), %%xmm1\n"
                             "movdqu 32(%[xmm]), %%xmm2\n"
                             "movdqu 48(%[xmm]), %%xmm3\n"
                             "movdqu 64(%[xmm]), %%xmm4\n"
                             "movdqu 80(%[xmm]), %%xmm5\n")
                 : "=&a"(rax), "+c"(control), "+d"(rdx), "+r"(r8_reg)
                 : [page] "r"(page), [xmm] "r"(xmm),
                   [grip] "i"(offsetof(GuestCpu, call_guard_rip)),
                   [grsp] "i"(offsetof(GuestCpu, call_guard_rsp))
                 : "memory", "cc");
    *result = rax;
    return safe_insn_end();
}

void sse_enable(void)
{
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();

    cr0 = (cr0 & ~((1ull << 2) | (1ull << 3))) | (1ull << 1);  /* EM TS MP */
    cr4 |= (1ull << 9) | (1ull << 10);              /* OSFXSR OSXMMEXCPT */
    asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

/* ---- xAPIC ----------------------------------------------------------- */

static void apic_wait_icr_idle(void)
{
    while (apic_read(APIC_ICR_LOW) & APIC_ICR_BUSY) {
        cpu_relax();
    }
}

static void apic_send_icr(uint32_t dest_apic_id, uint32_t low)
{
    uint64_t flags = read_rflags();

    /* An interrupt handler sending an IPI must not split the pair. */
    irq_disable();
    apic_wait_icr_idle();
    apic_write(APIC_ICR_HIGH, dest_apic_id << 24);
    apic_write(APIC_ICR_LOW, low);
    apic_wait_icr_idle();
    if (flags & (1 << 9)) {
        irq_enable();
    }
}

void apic_send_ipi(uint32_t dest_apic_id, uint8_t vector)
{
    apic_send_icr(dest_apic_id, APIC_ICR_FIXED | APIC_ICR_ASSERT | vector);
}

/*
 * SeaBIOS leaves the 8259s unmasked at vector 0x08, where the PIT tick
 * would look like a #DF once interrupts are on: move them out of the way
 * of the exception vectors and mask every input.
 */
static void pic_disable(void)
{
    outb(0x20, 0x11);                   /* ICW1: edge, cascade, ICW4 */
    outb(0xa0, 0x11);
    outb(0x21, VEC_PIC_BASE);           /* ICW2: vector base */
    outb(0xa1, VEC_PIC_BASE + 8);
    outb(0x21, 0x04);                   /* ICW3: slave on IRQ2 */
    outb(0xa1, 0x02);
    outb(0x21, 0x01);                   /* ICW4: 8086 mode */
    outb(0xa1, 0x01);
    outb(0x21, 0xff);                   /* OCW1: mask all */
    outb(0xa1, 0xff);
}

static void apic_enable_local(void)
{
    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);     /* software enable */
}

/* ---- Per-CPU state and SMP ------------------------------------------- */

static GuestCpu cpu_slots[GUEST_MAX_CPUS];
static GuestCpu *cpus[GUEST_MAX_CPUS];
static unsigned int online_cpus = 1;
static uint32_t ap_arrived;
static uint32_t smp_released;
static GuestBarrier all_cpus_barrier;

static GuestCpu *percpu_init(uint32_t slot)
{
    GuestCpu *c = &cpu_slots[slot];

    c->self = c;
    c->slot = slot;
    c->fault_vector = HV_GUEST_FAULT_NONE;
    wrmsr(MSR_GS_BASE, (uintptr_t)c);
    return c;
}

unsigned int nr_cpus(void)
{
    return online_cpus;
}

GuestCpu *cpu_by_index(unsigned int index)
{
    return index < online_cpus ? cpus[index] : NULL;
}

void barrier_init(GuestBarrier *b, uint32_t total)
{
    b->count = 0;
    b->generation = 0;
    b->total = total;
}

void barrier_wait(GuestBarrier *b)
{
    uint32_t gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);

    /*
     * The generation cannot move before our increment (the last arrival
     * moves it), so reading it first is race free.
     */
    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->total) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->generation, gen + 1, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen) {
        cpu_relax();
    }
}

void smp_barrier(void)
{
    barrier_wait(&all_cpus_barrier);
}

void smp_call(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
    GuestCpu *c = cpu_by_index(cpu);
    uint32_t seq;

    if (!c) {
        guest_abort("smp_call: no CPU %u (%u online)", cpu, online_cpus);
    }
    if (c == this_cpu()) {
        fn(arg);
        return;
    }
    if (cpu == 0) {
        guest_abort("smp_call: the BSP does not take work");
    }
    seq = c->work_seq;
    if (c->work_done_seq != seq) {
        guest_abort("smp_call: CPU %u is busy", cpu);
    }
    c->work_fn = fn;
    c->work_arg = arg;
    __atomic_store_n(&c->work_seq, seq + 1, __ATOMIC_RELEASE);
    apic_send_ipi(c->apic_id, VEC_WAKE);
}

void smp_wait(unsigned int cpu)
{
    GuestCpu *c = cpu_by_index(cpu);

    while (c && c != this_cpu() &&
           __atomic_load_n(&c->work_done_seq, __ATOMIC_ACQUIRE) !=
           c->work_seq) {
        cpu_relax();
    }
}

void smp_call_all(void (*fn)(void *arg), void *arg)
{
    unsigned int i;

    for (i = 1; i < online_cpus; i++) {
        smp_call(i, fn, arg);
    }
    fn(arg);
    for (i = 1; i < online_cpus; i++) {
        smp_wait(i);
    }
}

/* APs sleep here between pieces of work; VEC_WAKE gets them out of HLT. */
static GUEST_NORETURN void ap_idle_loop(GuestCpu *c)
{
    for (;;) {
        uint32_t seq;

        irq_disable();
        seq = __atomic_load_n(&c->work_seq, __ATOMIC_ACQUIRE);
        if (seq == c->work_done_seq) {
            safe_halt();
            continue;
        }
        c->work_fn(c->work_arg);
        irq_disable();
        __atomic_store_n(&c->work_done_seq, seq, __ATOMIC_RELEASE);
    }
}

void ap_main(uint32_t slot)
{
    GuestCpu *c = percpu_init(slot);

    idt_load();
    c->apic_id = apic_id();
    apic_enable_local();
    __atomic_add_fetch(&ap_arrived, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&smp_released, __ATOMIC_ACQUIRE)) {
        cpu_relax();
    }
    ap_idle_loop(c);
}

/*
 * INIT-SIPI-SIPI to all other CPUs, then give every CPU its logical index:
 * the rank of its APIC ID, which matches QEMU's cpu-index order.
 */
static void smp_boot(unsigned int want)
{
    unsigned int i, j, arrived;

    cpus[0] = &cpu_slots[0];
    if (want <= 1) {
        return;
    }
    if (want > GUEST_MAX_CPUS) {
        guest_abort("smp=%u: at most %u CPUs supported", want,
                    GUEST_MAX_CPUS);
    }

    memcpy((void *)GUEST_TRAMPOLINE_ADDR, ap_trampoline_start,
           ap_trampoline_end - ap_trampoline_start);
    apic_send_icr(0, APIC_ICR_ALL_BUT_SELF | APIC_ICR_ASSERT |
                  APIC_ICR_INIT);
    udelay(10000);
    for (i = 0; i < 2; i++) {
        apic_send_icr(0, APIC_ICR_ALL_BUT_SELF | APIC_ICR_ASSERT |
                      APIC_ICR_STARTUP | (GUEST_TRAMPOLINE_ADDR >> 12));
        udelay(200);
    }

    wait_for_u32(&ap_arrived, want - 1, AP_STARTUP_TIMEOUT_US);
    /* Give CPUs beyond smp= a moment to show up, so they get reported. */
    udelay(1000);
    arrived = __atomic_load_n(&ap_arrived, __ATOMIC_SEQ_CST) + 1;
    if (arrived != want) {
        guest_abort("smp=%u but %u CPUs came up", want, arrived);
    }

    /* Insertion sort of the slots by APIC ID. */
    for (i = 0; i < want; i++) {
        GuestCpu *c = &cpu_slots[i];

        for (j = i; j > 0 && cpus[j - 1]->apic_id > c->apic_id; j--) {
            cpus[j] = cpus[j - 1];
        }
        cpus[j] = c;
    }
    for (i = 0; i < want; i++) {
        cpus[i]->index = i;
        if (i && cpus[i]->apic_id == cpus[i - 1]->apic_id) {
            guest_fail("CPUs %u and %u share APIC ID %u", i - 1, i,
                       cpus[i]->apic_id);
        }
    }
    online_cpus = want;
    __atomic_store_n(&smp_released, 1, __ATOMIC_SEQ_CST);
}

int smp_start_hotplugged(uint32_t apic_id)
{
    uint32_t before = __atomic_load_n(&ap_arrived, __ATOMIC_SEQ_CST);
    unsigned int i;

    if (online_cpus >= GUEST_MAX_CPUS) {
        return -1;
    }
    /* smp=1 boots copied no trampoline and released no AP */
    memcpy((void *)GUEST_TRAMPOLINE_ADDR, ap_trampoline_start,
           ap_trampoline_end - ap_trampoline_start);
    __atomic_store_n(&smp_released, 1, __ATOMIC_SEQ_CST);
    apic_send_icr(apic_id, APIC_ICR_ASSERT | APIC_ICR_INIT);
    udelay(10000);
    for (i = 0; i < 2; i++) {
        apic_send_icr(apic_id, APIC_ICR_ASSERT | APIC_ICR_STARTUP |
                      (GUEST_TRAMPOLINE_ADDR >> 12));
        udelay(200);
    }
    if (!wait_for_u32(&ap_arrived, before + 1, AP_STARTUP_TIMEOUT_US)) {
        return -1;
    }
    /* ap_main() set the APIC ID before it counted itself in */
    for (i = 1; i < GUEST_MAX_CPUS; i++) {
        GuestCpu *c = &cpu_slots[i];

        if (c->self == c && c->apic_id == apic_id) {
            c->index = online_cpus;
            cpus[online_cpus] = c;
            __atomic_store_n(&online_cpus, online_cpus + 1,
                             __ATOMIC_SEQ_CST);
            return c->index;
        }
    }
    return -1;
}

static uint32_t cpus_offlined;

static void offline_cpu(void *arg)
{
    irq_disable();
    __atomic_add_fetch(&cpus_offlined, 1, __ATOMIC_SEQ_CST);
    cpu_park();
}

bool smp_offline_last(void)
{
    uint32_t before = __atomic_load_n(&cpus_offlined, __ATOMIC_SEQ_CST);
    unsigned int last = online_cpus - 1;
    bool ok;

    if (last == 0) {
        guest_abort("smp_offline_last: the BSP stays");
    }
    smp_call(last, offline_cpu, NULL);
    ok = wait_for_u32(&cpus_offlined, before + 1, AP_STARTUP_TIMEOUT_US);
    /* It never finishes its work: the final parking must skip it */
    cpus[last] = NULL;
    __atomic_store_n(&online_cpus, last, __ATOMIC_SEQ_CST);
    return ok;
}

/* ---- Test runner ----------------------------------------------------- */

static const GuestTest *current_test;

static void run_test_cpu_fn(void *arg)
{
    current_test->cpu_fn(cpu_index());
}

static void park_cpu(void *arg)
{
    cpu_park();
}

static const GuestTest *find_test(const char *name)
{
    const GuestTest *t;

    for (t = __start_guest_tests; t < __stop_guest_tests; t++) {
        if (!strcmp(t->name, name)) {
            return t;
        }
    }
    return NULL;
}

void bsp_main(uint32_t mb_magic, uint32_t mb_info)
{
    GuestCpu *bsp = percpu_init(0);
    char name[HV_GUEST_TEST_NAME_LEN];
    const GuestTest *t;
    unsigned int i;

    idt_init();
    idt_load();
    results_init();
    guest_printf("hv-guest: booting\n");

    if (mb_magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        guest_abort("not started by a multiboot loader (eax 0x%x)",
                    mb_magic);
    }
    cmdline_init(mb_info);
    guest_printf("hv-guest: command line: %s\n", cmdline);
    verbose = cmdline_get_u64("verbose", 0);

    pic_disable();
    bsp->apic_id = apic_id();
    apic_enable_local();

    if (!cmdline_get_str("test", name, sizeof(name))) {
        guest_abort("no test=NAME on the command line");
    }
    strlcpy(results->test, name, sizeof(results->test));
    t = find_test(name);
    if (!t) {
        guest_printf("hv-guest: known tests:");
        for (t = __start_guest_tests; t < __stop_guest_tests; t++) {
            guest_printf(" %s", t->name);
        }
        guest_printf("\n");
        guest_abort("unknown test '%s'", name);
    }
    current_test = t;

    smp_boot(cmdline_get_u64("smp", 1));
    results->nr_cpus = online_cpus;
    barrier_init(&all_cpus_barrier, online_cpus);
    guest_printf("hv-guest: %u CPUs up, running %s\n", online_cpus, t->name);

    results->tsc_start = rdtsc();
    if (t->setup) {
        t->setup();
    }
    if (t->cpu_fn) {
        smp_call_all(run_test_cpu_fn, NULL);
    }
    if (t->finish) {
        t->finish();
    }
    guest_finish();

    for (i = 1; i < online_cpus; i++) {
        smp_call(i, park_cpu, NULL);
    }
}
