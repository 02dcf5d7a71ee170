/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: unit tests of the extended hypercalls
 * (target-i386-hyperv/hv-ext-hypercall.c): HvExtCallQueryCapabilities,
 * HvExtCallGetBootZeroedMemory and HvExtCallMemoryHeatHint through the
 * dispatcher (TCG) and hv_ext_hypercall() itself (the KVM exit), with
 * KVM's answers where the TLFS is silent.
 */

#include "hv-fake.h"

#define F_EXT           BIT64(23)       /* hv-ext-hypercalls */
#define F_VPINDEX       BIT64(5)

#define S_OK            0
#define S_CODE          2
#define S_INPUT         3
#define S_ALIGN         4
#define S_PARAM         5
#define S_DENIED        6

#define C_QUERY         0x8001ull
#define C_BOOT_ZEROED   0x8002ull
#define C_HEAT_HINT     0x8003ull
#define FAST            (1ull << 16)
#define VARHEAD(n)      ((uint64_t)(n) << 17)
#define REPS(n)         ((uint64_t)(n) << 32)
#define REP_START(n)    ((uint64_t)(n) << 48)

#define IN              0x10000ull
#define OUT             0x20000ull

/* What the glue was asked, and what it answers */
typedef struct ExtFake {
    unsigned hints;
    unsigned type[16];
    uint64_t gpa[16], len[16];
    uint16_t answer_at[16];     /* status for the n-th hint (0: success) */
    bool can_discard;
    unsigned n_ranges;          /* boot_zeroed_memory's answer */
    uint64_t out_seen;          /* the output's first word at that time */
    unsigned zeroed_calls;
} ExtFake;

static ExtFake ext;
static Fake *ext_f;

static uint16_t fake_heat_hint(void *opaque G_GNUC_UNUSED, unsigned type, uint64_t gpa,
                               uint64_t len)
{
    unsigned n = ext.hints++;

    if (n < 16) {
        ext.type[n] = type;
        ext.gpa[n] = gpa;
        ext.len[n] = len;
        return ext.answer_at[n];
    }
    return S_OK;
}

static bool fake_can_discard(void *opaque G_GNUC_UNUSED)
{
    return ext.can_discard;
}

static unsigned fake_boot_zeroed(void *opaque G_GNUC_UNUSED,
                                 uint64_t (*ranges)[2],
                                 unsigned max)
{
    unsigned i;

    ext.zeroed_calls++;
    g_assert_cmpuint(max, ==, 255);
    ext.out_seen = fake_get64(ext_f, OUT);
    for (i = 0; i < ext.n_ranges && i < max; i++) {
        ranges[i][0] = 0x100 + 0x10 * i;
        ranges[i][1] = 0x1000 - i;
    }
    return i;
}

static Fake *ext_new(uint64_t features)
{
    Fake *f = fake_new(features, 1);

    memset(&ext, 0, sizeof(ext));
    ext.can_discard = true;
    f->ops.memory_heat_hint = fake_heat_hint;
    f->ops.can_discard = fake_can_discard;
    f->ops.boot_zeroed_memory = fake_boot_zeroed;
    ext_f = f;
    return f;
}

static uint64_t result(uint16_t status, unsigned reps)
{
    return status | (uint64_t)reps << 32;
}

static void test_query(void)
{
    Fake *f = ext_new(F_EXT);

    fake_put64(f, OUT, ~0ull);
    check_hex64("query", fake_call64(f, C_QUERY, 0, OUT), S_OK);
    check_hex64("caps", fake_get64(f, OUT), 0x103);
    g_assert_cmpuint(f->n_writes, ==, 1);
    g_assert_cmpuint(f->writes[0].len, ==, 8);

    /* No discard now: no cold discard bit */
    ext.can_discard = false;
    fake_call64(f, C_QUERY, 0, OUT);
    check_hex64("caps, no discard", fake_get64(f, OUT), 0x3);

    /* The input GPA is ignored */
    check_hex64("any ingpa", fake_call64(f, C_QUERY, 0x12345677, OUT), S_OK);
    check_hex64("fast", fake_call64(f, C_QUERY | FAST, 0, OUT), S_PARAM);
    check_hex64("rep", fake_call64(f, C_QUERY | REPS(1), 0, OUT), S_INPUT);
    check_hex64("rep start", fake_call64(f, C_QUERY | REP_START(1), 0, OUT),
                S_INPUT);
    check_hex64("varhead", fake_call64(f, C_QUERY | VARHEAD(1), 0, OUT),
                S_INPUT);
    check_hex64("reserved", fake_call64(f, C_QUERY | 1ull << 27, 0, OUT),
                S_INPUT);
    check_hex64("align", fake_call64(f, C_QUERY, 0, OUT + 4), S_ALIGN);
    check_hex64("hole", fake_call64(f, C_QUERY, 0, FAKE_HOLE_START), S_INPUT);
    check_hex64("past RAM", fake_call64(f, C_QUERY, 0, FAKE_RAM_SIZE), S_INPUT);
    check_hex64("0x8004", fake_call64(f, 0x8004, 0, OUT), S_CODE);
    check_hex64("0x8041", fake_call64(f, 0x8041, 0, OUT), S_CODE);
    check_hex64("0x8042", fake_call64(f, 0x8042, 0, OUT), S_CODE);
    fake_free(f);
}

/* No glue for a call: its bit is clear and it is an unknown code */
static void test_no_ops(void)
{
    Fake *f = ext_new(F_EXT);

    f->ops.boot_zeroed_memory = NULL;
    f->ops.memory_heat_hint = NULL;
    fake_call64(f, C_QUERY, 0, OUT);
    check_hex64("caps", fake_get64(f, OUT), 0);
    check_hex64("boot zeroed", fake_call64(f, C_BOOT_ZEROED, 0, OUT), S_CODE);
    check_hex64("heat hint", fake_call64(f, C_HEAT_HINT | REPS(1), IN, 0),
                S_CODE);
    fake_free(f);
}

/*
 * Without the privilege: QEMU's KVM exit knows no such code, a fast one
 * KVM answers; with hv-enforce-cpuid KVM denies every code of the range
 */
static void test_privilege(void)
{
    Fake *f = ext_new(F_VPINDEX);

    check_hex64("query", fake_call64(f, C_QUERY, 0, OUT), S_CODE);
    check_hex64("fast", fake_call64(f, C_HEAT_HINT | FAST, 0, 0), S_PARAM);
    g_assert_cmpuint(f->n_writes, ==, 0);
    f->part.enforce_cpuid = true;
    check_hex64("enforced", fake_call64(f, C_QUERY, 0, OUT), S_DENIED);
    check_hex64("enforced fast", fake_call64(f, C_QUERY | FAST, 0, OUT),
                S_DENIED);
    check_hex64("enforced 0x8041", fake_call64(f, 0x8041, 0, OUT), S_DENIED);
    check_hex64("enforced 0x8042", fake_call64(f, 0x8042, 0, OUT), S_CODE);
    f->part.features |= F_EXT;
    check_hex64("enforced, granted", fake_call64(f, C_QUERY, 0, OUT), S_OK);
    fake_free(f);

    /* The KVM exit's entry point decides the same way */
    f = ext_new(0);
    check_hex64("kvm exit", hv_ext_hypercall(0, &f->ops, C_QUERY, 0, OUT),
                S_CODE);
    check_hex64("kvm exit, granted",
                hv_ext_hypercall(F_EXT, &f->ops, C_QUERY, 0, OUT), S_OK);
    check_hex64("kvm exit, not extended",
                hv_ext_hypercall(F_EXT, &f->ops, 0x0002, 0, OUT), S_CODE);
    fake_free(f);
}

static void test_boot_zeroed(void)
{
    Fake *f = ext_new(F_EXT);
    unsigned i;

    ext.n_ranges = 3;
    check_hex64("call", fake_call64(f, C_BOOT_ZEROED, 0, OUT), S_OK);
    /* The output page was not zero while the glue looked */
    check_hex64("output while scanning", ext.out_seen, ~0ull);
    check_hex64("count", fake_get64(f, OUT), 3);
    for (i = 0; i < 3; i++) {
        check_hex64("start", fake_get64(f, OUT + 8 + 16 * i), 0x100 + 0x10 * i);
        check_hex64("pages", fake_get64(f, OUT + 16 + 16 * i), 0x1000 - i);
    }
    /* The rest of the 0xFF8 bytes is zero; the page's last 8 untouched */
    for (i = 3; i < 255; i++) {
        g_assert_cmphex(fake_get64(f, OUT + 8 + 16 * i), ==, 0);
        g_assert_cmphex(fake_get64(f, OUT + 16 + 16 * i), ==, 0);
    }
    fake_put64(f, OUT + 0xff8, 0x55);
    ext.n_ranges = 300;
    check_hex64("max", fake_call64(f, C_BOOT_ZEROED, 0, OUT), S_OK);
    check_hex64("count max", fake_get64(f, OUT), 255);
    check_hex64("past the output", fake_get64(f, OUT + 0xff8), 0x55);

    /* 0xFF8 bytes fit at offsets 0 and 8 of a page, no further */
    check_hex64("offset 8", fake_call64(f, C_BOOT_ZEROED, 0, OUT + 8), S_OK);
    ext.zeroed_calls = 0;
    check_hex64("offset 16", fake_call64(f, C_BOOT_ZEROED, 0, OUT + 16),
                S_ALIGN);
    check_hex64("offset 4", fake_call64(f, C_BOOT_ZEROED, 0, OUT + 4), S_ALIGN);
    check_hex64("hole", fake_call64(f, C_BOOT_ZEROED, 0, FAKE_HOLE_START),
                S_INPUT);
    check_hex64("rep", fake_call64(f, C_BOOT_ZEROED | REPS(1), 0, OUT),
                S_INPUT);
    check_hex64("fast", fake_call64(f, C_BOOT_ZEROED | FAST, 0, OUT), S_PARAM);
    /* Bad output: the glue never looked */
    g_assert_cmpuint(ext.zeroed_calls, ==, 0);
    fake_free(f);
}

static uint64_t hint(Fake *f, uint64_t header, const uint64_t *ranges,
                     unsigned n, uint64_t extra)
{
    unsigned i;

    fake_put64(f, IN, header);
    for (i = 0; i < n; i++) {
        fake_put64(f, IN + 8 + 8 * i, ranges[i]);
    }
    return fake_call64(f, C_HEAT_HINT | REPS(n) | extra, IN, 0);
}

static void test_heat_hint_ranges(void)
{
    Fake *f = ext_new(F_EXT);
    uint64_t r[4];

    /* 4 KiB pages: BasePfn, AdditionalPages */
    r[0] = 0x123ull << 12 | 4;
    /* 2 MiB pages: LargePage, PageSize 0, BaseLargePfn in 2 MiB units */
    r[1] = 3ull << 21 | 1ull << 11 | 1;
    /* 1 GiB pages: BaseLargePfn 1 GiB aligned */
    r[2] = 512ull << 21 | 1ull << 12 | 1ull << 11 | 0;
    /* The most pages one range can name */
    r[3] = 0x1000ull << 12 | 0x7ff;
    check_hex64("hint", hint(f, 2, r, 4, 0), result(S_OK, 4));
    g_assert_cmpuint(ext.hints, ==, 4);
    g_assert_cmpuint(ext.type[0], ==, 2);
    check_hex64("gpa 4k", ext.gpa[0], 0x123000);
    check_hex64("len 4k", ext.len[0], 5 * 4096);
    check_hex64("gpa 2m", ext.gpa[1], 6ull << 20);
    check_hex64("len 2m", ext.len[1], 4ull << 20);
    check_hex64("gpa 1g", ext.gpa[2], 1ull << 30);
    check_hex64("len 1g", ext.len[2], 1ull << 30);
    check_hex64("len max", ext.len[3], 2048 * 4096);

    /* Hot and cold go to the glue too */
    ext.hints = 0;
    check_hex64("hot", hint(f, 1, r, 1, 0), result(S_OK, 1));
    check_hex64("cold", hint(f, 0, r, 1, 0), result(S_OK, 1));
    g_assert_cmpuint(ext.type[0], ==, 1);
    g_assert_cmpuint(ext.type[1], ==, 0);

    /* Bad ranges: INVALID_PARAMETER, reps done before them */
    ext.hints = 0;
    r[1] = 3ull << 21 | 1ull << 11 | 1ull << 13;        /* reserved bit */
    check_hex64("large reserved", hint(f, 2, r, 2, 0), result(S_PARAM, 1));
    r[1] = 3ull << 21 | 1ull << 12 | 1ull << 11;        /* 1G unaligned */
    check_hex64("1g unaligned", hint(f, 2, r, 2, 0), result(S_PARAM, 1));
    r[1] = ~0ull & ~(1ull << 11);                       /* past 2^52 */
    check_hex64("huge 4k", hint(f, 2, r, 2, 0), result(S_PARAM, 1));
    r[1] = (1ull << 31) << 21 | 1ull << 11;
    check_hex64("huge 2m", hint(f, 2, r, 2, 0), result(S_PARAM, 1));
    r[1] = ((1ull << 40) - 2048) << 12 | 0x7ff;         /* ends at 2^52 */
    check_hex64("end at 2^52", hint(f, 2, r, 2, 0), result(S_OK, 2));
    r[1] = ((1ull << 40) - 2047) << 12 | 0x7ff;
    check_hex64("past 2^52", hint(f, 2, r, 2, 0), result(S_PARAM, 1));
    fake_free(f);
}

static void test_heat_hint_input(void)
{
    Fake *f = ext_new(F_EXT);
    uint64_t r[3] = { 0x100ull << 12, 0x200ull << 12, 0x300ull << 12 };

    check_hex64("type 3", hint(f, 3, r, 1, 0), result(S_PARAM, 0));
    check_hex64("header reserved", hint(f, 2 | 1ull << 63, r, 1, 0),
                result(S_PARAM, 0));
    check_hex64("no reps", hint(f, 2, r, 0, 0), S_INPUT);
    check_hex64("start = count", hint(f, 2, r, 1, REP_START(1)), S_INPUT);
    check_hex64("varhead", hint(f, 2, r, 1, VARHEAD(1)), S_INPUT);
    check_hex64("fast", hint(f, 2, r, 1, FAST), S_PARAM);
    g_assert_cmpuint(ext.hints, ==, 0);
    /* At most (4096 - 8) / 8 ranges: the input is one page */
    check_hex64("512 reps", fake_call64(f, C_HEAT_HINT | REPS(512), IN, 0),
                S_INPUT);
    check_hex64("align", fake_call64(f, C_HEAT_HINT | REPS(1), IN + 4, 0),
                S_ALIGN);
    check_hex64("cross", fake_call64(f, C_HEAT_HINT | REPS(2), IN + 4080, 0),
                S_ALIGN);
    check_hex64("511 at page start",
                fake_call64(f, C_HEAT_HINT | REPS(511), IN, 0) & 0xffff, S_OK);
    ext.hints = 0;
    check_hex64("input in the hole",
                fake_call64(f, C_HEAT_HINT | REPS(1), FAKE_HOLE_START, 0),
                S_INPUT);
    g_assert_cmpuint(ext.hints, ==, 0);
    fake_free(f);
}

/* Reps in order; the glue's refusal stops the call; rep start resumes */
static void test_heat_hint_reps(void)
{
    Fake *f = ext_new(F_EXT);
    uint64_t r[3] = { 0x100ull << 12, 0x200ull << 12, 0x300ull << 12 };
    unsigned i;

    ext.answer_at[1] = S_PARAM;
    check_hex64("stop", hint(f, 2, r, 3, 0), result(S_PARAM, 1));
    g_assert_cmpuint(ext.hints, ==, 2);
    memset(&ext.answer_at, 0, sizeof(ext.answer_at));
    ext.hints = 0;
    fake_clear_log(f);
    /* Rep 1 is garbage now: from rep 2 on it is never read */
    fake_put64(f, IN + 16, ~0ull);
    check_hex64("resume", fake_call64(f, C_HEAT_HINT | REPS(3) | REP_START(2),
                                 IN, 0), result(S_OK, 3));
    g_assert_cmpuint(ext.hints, ==, 1);
    check_hex64("resumed range", ext.gpa[0], 0x300000);
    for (i = 0; i < f->n_reads && i < FAKE_LOG_MAX; i++) {
        g_assert_false(f->reads[i].gpa <= IN + 16 &&
                       f->reads[i].gpa + f->reads[i].len > IN + 16);
    }
    fake_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hv/ext-hypercall/query", test_query);
    g_test_add_func("/hv/ext-hypercall/no-ops", test_no_ops);
    g_test_add_func("/hv/ext-hypercall/privilege", test_privilege);
    g_test_add_func("/hv/ext-hypercall/boot-zeroed", test_boot_zeroed);
    g_test_add_func("/hv/ext-hypercall/heat-hint/ranges",
                    test_heat_hint_ranges);
    g_test_add_func("/hv/ext-hypercall/heat-hint/input",
                    test_heat_hint_input);
    g_test_add_func("/hv/ext-hypercall/heat-hint/reps", test_heat_hint_reps);
    return g_test_run();
}
