/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-exthcall-test.c: the extended hypercalls
 * (hv-ext-hypercalls): HvExtCallQueryCapabilities (0x8001),
 * HvExtCallGetBootZeroedMemory (0x8002), HvExtCallMemoryHeatHint (0x8003).
 * Every call goes through the hypercall page; a record's value is the
 * whole result (status in bits 15:0, reps done in 43:32) unless said.
 *
 * test=exthcall: the calls and their bad input.
 *   caps          result; the capability bitmap
 *   q.NAME        results of QueryCapabilities with bad input
 *   code.XXXX     result of extended call code XXXX (none such)
 *   bz            result; range count; pages; reported pages that did not
 *                 read zero
 *   bz.overlap    reported pages of the payload image, of a page the
 *                 guest wrote, of the output page
 *   bz.NAME       results of GetBootZeroedMemory with bad output GPAs
 *   hint.NAME     result; pages of the hinted range that read zero
 *                 afterwards; pages that kept their contents
 *   bad.NAME      results of MemoryHeatHint with bad input
 *   rep.NAME      rep semantics: result; first range zero; third range
 *                 zero
 *
 * test=exthcall-off: 0x8001 and a fast 0x8003 without the privilege.
 *   off.query, off.fast, off.heat    results
 *
 * test=exthcall-mig: fills MIG_PAGES pages at MIG_GPA, discards the odd
 * ones, announces "mailbox" and waits for the qtest (which migrates);
 *   mig           odd pages that read zero; even pages with their pattern
 *
 * test=exthcall-reset: GetBootZeroedMemory before and after a reset.
 * First boot (no RESET_MAGIC at RESET_GPA): writes it and RESET_PAGES
 * pages of pattern after it, announces "mailbox", waits for MB_GO (the
 * qtest writes a byte at HOST_GPA before), calls and records "boot1",
 * then waits for the reset.  Second boot: calls and records "boot2".
 *   bootN         result; range count; pages; reported pages that did not
 *                 read zero
 *   bootN.overlap reported pages of RESET_GPA's pattern, of HOST_GPA, of
 *                 the payload image
 */
#include "libguest.h"
#include "hv-tlfs.h"
#include "hv-time.h"

#define EXT_QUERY           0x8001ull
#define EXT_BOOT_ZEROED     0x8002ull
#define EXT_HEAT_HINT       0x8003ull
#define HC_FAST             (1ull << 16)
#define HC_VARHEAD(n)       ((uint64_t)(n) << 17)
#define HC_REP_COUNT(n)     ((uint64_t)(n) << 32)
#define HC_REP_START(n)     ((uint64_t)(n) << 48)

#define HINT_COLD           0
#define HINT_HOT            1
#define HINT_COLD_DISCARD   2
#define RANGE_LARGE         (1ull << 11)
#define RANGE_1G            (1ull << 12)

#define PAGE                4096ull
#define BIOS_GPA            0xfffff000ull   /* pc.bios, ROM */
#define HPET_GPA            0xfed00000ull   /* MMIO */

#define MIG_GPA             0x2000000ull
#define MIG_PAGES           64
#define RESET_GPA           0x2000000ull
#define RESET_PAGES         16
#define RESET_MAGIC         0x5e7b007ed0000001ull
#define HOST_GPA            0x3000000ull
#define MB_GO               1

static volatile uint32_t ext_mailbox;

static uint64_t ext_call(uint64_t control, uint64_t in, uint64_t out)
{
    uint64_t r = 0;
    uint8_t f = hv_call(control, in, out, &r);

    return f == HV_GUEST_FAULT_NONE ? r : 0xdead0000ull | f;
}

static void rec1(uint64_t v, const char *name)
{
    record(HV_GUEST_FAULT_NONE, 1, &v, "%s", name);
}

/* A 4 KiB range of @count pages from @gpa (1 to 2048 pages) */
static uint64_t range4k(uint64_t gpa, unsigned count)
{
    return (gpa / PAGE) << 12 | (count - 1);
}

static uint64_t range2m(uint64_t gpa, unsigned count)
{
    return (gpa >> 21) << 21 | RANGE_LARGE | (count - 1);
}

static uint64_t hint(uint64_t *in, uint64_t type, const uint64_t *ranges,
                     unsigned n, uint64_t extra)
{
    unsigned i;

    in[0] = type;
    for (i = 0; i < n; i++) {
        in[1 + i] = ranges[i];
    }
    return ext_call(EXT_HEAT_HINT | HC_REP_COUNT(n) | extra,
                    (uintptr_t)in, 0);
}

static void fill(uint64_t gpa, unsigned pages, uint64_t seed)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)gpa;
    uint64_t i;

    for (i = 0; i < pages * PAGE / 8; i++) {
        p[i] = seed ^ (i * 0x9e3779b97f4a7c15ull) ^ 1;
    }
}

static bool page_is_zero(uint64_t gpa)
{
    const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)gpa;
    unsigned i;

    for (i = 0; i < PAGE / 8; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

static bool page_has_pattern(uint64_t gpa, uint64_t seed, uint64_t first)
{
    const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)gpa;
    unsigned i;

    for (i = 0; i < PAGE / 8; i++) {
        if (p[i] != (seed ^ ((first + i) * 0x9e3779b97f4a7c15ull) ^ 1)) {
            return false;
        }
    }
    return true;
}

static unsigned zero_pages(uint64_t gpa, unsigned pages)
{
    unsigned i, n = 0;

    for (i = 0; i < pages; i++) {
        n += page_is_zero(gpa + i * PAGE);
    }
    return n;
}

/* Pages @first.. of what fill(@gpa, .., @seed) wrote that still hold it */
static unsigned pattern_pages(uint64_t gpa, unsigned first, unsigned pages,
                              uint64_t seed)
{
    unsigned i, n = 0;

    for (i = first; i < first + pages; i++) {
        n += page_has_pattern(gpa + i * PAGE, seed, i * PAGE / 8);
    }
    return n;
}

/* Pages of [@gpa, @gpa + @pages) inside the ranges of @out */
static uint64_t overlap(const uint64_t *out, uint64_t gpa, uint64_t pages)
{
    uint64_t first = gpa / PAGE, last = first + pages, n = 0, i;

    for (i = 0; i < out[0] && i < 255; i++) {
        uint64_t s = out[1 + 2 * i], e = s + out[2 + 2 * i];
        uint64_t lo = s > first ? s : first, hi = e < last ? e : last;

        n += hi > lo ? hi - lo : 0;
    }
    return n;
}

/*
 * GetBootZeroedMemory into @out, checked at once (before the guest writes
 * anything else): v[0] result, v[1] ranges, v[2] pages, v[3] reported
 * pages that are not zero, v[4] pages of the payload image reported
 */
static void boot_zeroed(uint64_t *out, uint64_t *v)
{
    extern char _start[];
    uint64_t i, j;

    v[0] = ext_call(EXT_BOOT_ZEROED, 0, (uintptr_t)out);
    v[1] = out[0];
    v[2] = v[3] = 0;
    for (i = 0; i < out[0] && i < 255; i++) {
        uint64_t start = out[1 + 2 * i], count = out[2 + 2 * i];

        v[2] += count;
        for (j = 0; j < count; j++) {
            uint64_t gpa = (start + j) * PAGE;

            /* The guest maps the first 4 GiB only */
            if (gpa >= (4ull << 30) || !page_is_zero(gpa)) {
                v[3]++;
            }
        }
    }
    v[4] = overlap(out, (uintptr_t)_start & ~(PAGE - 1), 16);
}

static void exthcall_setup(void)
{
    uint64_t *in = alloc_pages(1), *out = alloc_pages(1);
    uint8_t *region = alloc_pages(1024 + 512);
    uint64_t big, r[4], v[8];
    uint8_t f;

    f = hv_hypercall_enable();
    if (f != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: fault %u", f);
    }
    record_cpuid(0x40000003);

    /* QueryCapabilities */
    out[0] = 0xdeadbeef;
    v[0] = ext_call(EXT_QUERY, 0, (uintptr_t)out);
    v[1] = out[0];
    record(HV_GUEST_FAULT_NONE, 2, v, "caps");
    rec1(ext_call(EXT_QUERY | HC_FAST, 0, 0), "q.fast");
    rec1(ext_call(EXT_QUERY | HC_REP_COUNT(1), 0, (uintptr_t)out), "q.rep");
    rec1(ext_call(EXT_QUERY | HC_REP_START(1), 0, (uintptr_t)out),
         "q.repstart");
    rec1(ext_call(EXT_QUERY | HC_VARHEAD(1), 0, (uintptr_t)out), "q.var");
    rec1(ext_call(EXT_QUERY | (1ull << 27), 0, (uintptr_t)out), "q.rsvd");
    rec1(ext_call(EXT_QUERY, 0, (uintptr_t)out + 4), "q.align");
    rec1(ext_call(EXT_QUERY, 0, BIOS_GPA), "q.rom");
    rec1(ext_call(EXT_QUERY, 0, HPET_GPA), "q.mmio");
    rec1(ext_call(EXT_QUERY, 0, 0x10000000), "q.pastram");
    rec1(ext_call(0x8004, 0, (uintptr_t)out), "code.8004");
    rec1(ext_call(0x8041, 0, (uintptr_t)out), "code.8041");
    rec1(ext_call(0x8042, 0, (uintptr_t)out), "code.8042");
    rec1(ext_call(0x8000, 0, (uintptr_t)out), "code.8000");

    /* GetBootZeroedMemory */
    fill((uintptr_t)region, 1, 0x77);
    boot_zeroed(out, v);
    v[5] = overlap(out, (uintptr_t)region, 1);
    v[6] = overlap(out, (uintptr_t)out, 1);
    record(HV_GUEST_FAULT_NONE, 4, v, "bz");
    record(HV_GUEST_FAULT_NONE, 3, v + 4, "bz.overlap");
    rec1(ext_call(EXT_BOOT_ZEROED, 0, (uintptr_t)out + 16), "bz.cross");
    rec1(ext_call(EXT_BOOT_ZEROED, 0, (uintptr_t)out + 4), "bz.align");
    rec1(ext_call(EXT_BOOT_ZEROED, 0, BIOS_GPA), "bz.rom");
    rec1(ext_call(EXT_BOOT_ZEROED | HC_REP_COUNT(1), 0, (uintptr_t)out),
         "bz.rep");
    rec1(ext_call(EXT_BOOT_ZEROED | HC_FAST, 0, 0), "bz.fast");
    /* The output may start 8 bytes into its page (0xFF8 bytes) */
    rec1(ext_call(EXT_BOOT_ZEROED, 0, (uintptr_t)out + 8) & 0xffff,
         "bz.offset8");

    /* MemoryHeatHint, cold discard of 4 KiB pages */
    fill((uintptr_t)region, 64, 1);
    r[0] = range4k((uintptr_t)region, 32);
    v[0] = hint(in, HINT_COLD_DISCARD, r, 1, 0);
    v[1] = zero_pages((uintptr_t)region, 32);
    v[2] = pattern_pages((uintptr_t)region, 32, 32, 1);
    record(HV_GUEST_FAULT_NONE, 3, v, "hint.discard");

    /* 2 MiB pages */
    big = ((uintptr_t)region + (2ull << 20) - 1) & ~((2ull << 20) - 1);
    fill(big, 512, 2);
    r[0] = range2m(big, 1);
    v[0] = hint(in, HINT_COLD_DISCARD, r, 1, 0);
    v[1] = zero_pages(big, 512);
    v[2] = 0;
    record(HV_GUEST_FAULT_NONE, 3, v, "hint.large");

    /* Hot and cold hints change nothing */
    fill((uintptr_t)region, 8, 3);
    r[0] = range4k((uintptr_t)region, 8);
    v[0] = hint(in, HINT_HOT, r, 1, 0);
    v[1] = zero_pages((uintptr_t)region, 8);
    v[2] = pattern_pages((uintptr_t)region, 0, 8, 3);
    record(HV_GUEST_FAULT_NONE, 3, v, "hint.hot");
    v[0] = hint(in, HINT_COLD, r, 1, 0);
    v[1] = zero_pages((uintptr_t)region, 8);
    v[2] = pattern_pages((uintptr_t)region, 0, 8, 3);
    record(HV_GUEST_FAULT_NONE, 3, v, "hint.cold");

    /* Bad input */
    r[0] = range4k((uintptr_t)region, 1);
    rec1(hint(in, 3, r, 1, 0), "bad.type");
    rec1(hint(in, HINT_COLD_DISCARD | 4, r, 1, 0), "bad.header");
    rec1(ext_call(EXT_HEAT_HINT, (uintptr_t)in, 0), "bad.norep");
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, HC_REP_START(1)), "bad.start");
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, HC_VARHEAD(1)), "bad.var");
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, HC_FAST), "bad.fast");
    rec1(ext_call(EXT_HEAT_HINT | HC_REP_COUNT(512), (uintptr_t)in, 0),
         "bad.count");
    in[0] = HINT_COLD_DISCARD;
    rec1(ext_call(EXT_HEAT_HINT | HC_REP_COUNT(1), (uintptr_t)in + 4, 0),
         "bad.align");
    rec1(ext_call(EXT_HEAT_HINT | HC_REP_COUNT(2), (uintptr_t)in + 4080, 0),
         "bad.cross");
    rec1(ext_call(EXT_HEAT_HINT | HC_REP_COUNT(1), HPET_GPA, 0),
         "bad.inmmio");
    r[0] = range4k(BIOS_GPA, 1);
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.rom");
    r[0] = range4k(0xfffc0000, 64);
    rec1(hint(in, HINT_HOT, r, 1, 0), "bad.romhot");
    r[0] = range4k(HPET_GPA, 1);
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.mmio");
    r[0] = range4k(0x10000000, 1);
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.pastram");
    /* The last 4 pages of the 64 MiB of RAM and 4 past it */
    r[0] = range4k((64ull << 20) - 4 * PAGE, 8);
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.straddle");
    r[0] = range2m(big, 1) | (1ull << 13);
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.largersvd");
    r[0] = range2m(big, 1) | RANGE_1G;
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.1gunaligned");
    r[0] = ~0ull & ~RANGE_LARGE;
    rec1(hint(in, HINT_COLD_DISCARD, r, 1, 0), "bad.huge");

    /* Rep semantics: good, bad, good; then again from rep 2 */
    fill((uintptr_t)region, 8, 4);
    r[0] = range4k((uintptr_t)region, 2);
    r[1] = range4k(BIOS_GPA, 1);
    r[2] = range4k((uintptr_t)region + 4 * PAGE, 2);
    v[0] = hint(in, HINT_COLD_DISCARD, r, 3, 0);
    v[1] = zero_pages((uintptr_t)region, 2);
    v[2] = zero_pages((uintptr_t)region + 4 * PAGE, 2);
    record(HV_GUEST_FAULT_NONE, 3, v, "rep.stop");
    /* Rep 1 is not read again: a bad range there is left behind */
    v[0] = hint(in, HINT_COLD_DISCARD, r, 3, HC_REP_START(2));
    v[1] = zero_pages((uintptr_t)region, 2);
    v[2] = zero_pages((uintptr_t)region + 4 * PAGE, 2);
    record(HV_GUEST_FAULT_NONE, 3, v, "rep.resume");
}

GUEST_TEST(exthcall,
    .name = "exthcall",
    .description = "extended hypercalls: capabilities, boot-zeroed memory, "
                   "memory heat hints, bad input",
    .setup = exthcall_setup,
);

static void exthcall_off_setup(void)
{
    uint64_t *in = alloc_pages(1), *out = alloc_pages(1);
    uint8_t f = hv_hypercall_enable();

    if (f != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: fault %u", f);
    }
    record_cpuid(0x40000003);
    rec1(ext_call(EXT_QUERY, 0, (uintptr_t)out), "off.query");
    rec1(ext_call(EXT_HEAT_HINT | HC_FAST | HC_REP_COUNT(1), 0, 0),
         "off.fast");
    in[0] = HINT_COLD_DISCARD;
    in[1] = range4k((uintptr_t)out, 1);
    rec1(ext_call(EXT_HEAT_HINT | HC_REP_COUNT(1), (uintptr_t)in, 0),
         "off.heat");
}

GUEST_TEST(exthcall_off,
    .name = "exthcall-off",
    .description = "extended hypercalls without hv-ext-hypercalls",
    .setup = exthcall_off_setup,
);

static void exthcall_mig_setup(void)
{
    uint64_t *in = alloc_pages(1);
    uint64_t v[2] = { 0, 0 };
    unsigned i;
    uint8_t f = hv_hypercall_enable();

    if (f != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: fault %u", f);
    }
    fill(MIG_GPA, MIG_PAGES, 5);
    in[0] = HINT_COLD_DISCARD;
    for (i = 0; i < MIG_PAGES / 2; i++) {
        in[1 + i] = range4k(MIG_GPA + (2 * i + 1) * PAGE, 1);
    }
    v[0] = ext_call(EXT_HEAT_HINT | HC_REP_COUNT(MIG_PAGES / 2),
                    (uintptr_t)in, 0);
    rec1(v[0], "mig.hint");
    mailbox_announce(&ext_mailbox, "mailbox");
    while (ext_mailbox != MB_GO) {
        cpu_relax();
    }
    v[0] = v[1] = 0;
    for (i = 0; i < MIG_PAGES; i++) {
        uint64_t gpa = MIG_GPA + i * PAGE;

        if (i & 1) {
            v[0] += page_is_zero(gpa);
        } else {
            v[1] += page_has_pattern(gpa, 5, i * PAGE / 8);
        }
    }
    record(HV_GUEST_FAULT_NONE, 2, v, "mig");
}

GUEST_TEST(exthcall_mig,
    .name = "exthcall-mig",
    .description = "discarded pages across a migration",
    .setup = exthcall_mig_setup,
);

static void exthcall_reset_setup(void)
{
    volatile uint64_t *magic = (volatile uint64_t *)(uintptr_t)RESET_GPA;
    uint64_t *out = alloc_pages(1);
    uint64_t v[7];
    bool second = *magic == RESET_MAGIC;
    uint8_t f = hv_hypercall_enable();

    if (f != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: fault %u", f);
    }
    if (!second) {
        fill(RESET_GPA + PAGE, RESET_PAGES - 1, 6);
        *magic = RESET_MAGIC;
        mailbox_announce(&ext_mailbox, "mailbox");
        while (ext_mailbox != MB_GO) {
            cpu_relax();
        }
    }
    boot_zeroed(out, v);
    v[6] = v[4];
    v[4] = overlap(out, RESET_GPA, RESET_PAGES);
    v[5] = overlap(out, HOST_GPA, 1);
    record(HV_GUEST_FAULT_NONE, 4, v, second ? "boot2" : "boot1");
    record(HV_GUEST_FAULT_NONE, 3, v + 4, second ? "boot2.overlap" :
           "boot1.overlap");
    if (!second) {
        /* The qtest resets the machine */
        for (;;) {
            cpu_relax();
        }
    }
}

GUEST_TEST(exthcall_reset,
    .name = "exthcall-reset",
    .description = "boot-zeroed memory before and after a reset",
    .setup = exthcall_reset_setup,
);
