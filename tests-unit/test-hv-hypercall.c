/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: the hypercall dispatcher, the TLB flush, IPI
 * and spin-wait hypercalls, and VP set parsing (hv-hypercall.c).
 *
 * Expected values are literals: status codes and call codes from the
 * TLFS (appendix "Hypercall status codes", the HvCall* pages, HV_VP_SET),
 * with Linux KVM's kvm_hv_hypercall() deciding what the TLFS leaves open.
 * Feature bits are X86CPU::hyperv_features bit numbers.
 */

#include "hv-fake.h"

/* HV_STATUS values (TLFS) */
#define S_SUCCESS       0x0000
#define S_CODE          0x0002  /* HV_STATUS_INVALID_HYPERCALL_CODE */
#define S_INPUT         0x0003  /* HV_STATUS_INVALID_HYPERCALL_INPUT */
#define S_ALIGNMENT     0x0004  /* HV_STATUS_INVALID_ALIGNMENT */
#define S_PARAMETER     0x0005  /* HV_STATUS_INVALID_PARAMETER */
#define S_DENIED        0x0006  /* HV_STATUS_ACCESS_DENIED */
#define S_OP_DENIED     0x0008  /* HV_STATUS_OPERATION_DENIED */

/* Call codes (TLFS) */
#define C_FLUSH_SPACE       0x0002
#define C_FLUSH_LIST        0x0003
#define C_SPIN_WAIT         0x0008
#define C_IPI               0x000b
#define C_FLUSH_SPACE_EX    0x0013
#define C_FLUSH_LIST_EX     0x0014
#define C_IPI_EX            0x0015
#define C_POST_MESSAGE      0x005c
#define C_SIGNAL_EVENT      0x005d
#define C_POST_DEBUG        0x0069
#define C_RETRIEVE_DEBUG    0x006a
#define C_RESET_DEBUG       0x006b

/* Feature bits */
#define F_VPINDEX       BIT64(5)
#define F_SYNIC         BIT64(7)
#define F_TLBFLUSH      BIT64(11)
#define F_IPI           BIT64(13)
#define F_XMM           BIT64(18)
#define F_TLBFLUSH_EXT  BIT64(19)
#define F_SYNDBG        BIT64(16)

#define F_FLUSH         (F_VPINDEX | F_TLBFLUSH)
#define F_SEND_IPI      (F_VPINDEX | F_IPI)

/* Hypercall input value: TLFS bit layout, written out */
#define CTL(code, fast, var, count, start) \
    ((uint64_t)(code) | (uint64_t)(fast) << 16 | (uint64_t)(var) << 17 | \
     (uint64_t)(count) << 32 | (uint64_t)(start) << 48)

/* Result value: status in 15:0, reps completed in 43:32 */
#define RES(status, reps)   ((uint64_t)(status) | (uint64_t)(reps) << 32)

/* A page of hypercall input */
#define IN      0x10000ull

/* hv-fake.h's hypercall helpers, by the short names this file uses often */
#define regs64 fake_regs64
#define call64 fake_call64

/* Put @n input words at @gpa */
static void put_input(Fake *f, uint64_t gpa, const uint64_t *words,
                      unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        fake_put64(f, gpa + 8 * i, words[i]);
    }
}

/* Exactly the VPs in @vps (terminated by -1) are in @set */
static void check_set(const HvVpSet *set, const int *vps)
{
    uint64_t want[HV_MAX_VPS / 64] = { 0 };
    int i;

    g_assert_false(set->all);
    for (i = 0; vps[i] >= 0; i++) {
        want[vps[i] / 64] |= 1ull << (vps[i] % 64);
    }
    for (i = 0; i < HV_MAX_VPS / 64; i++) {
        if (set->banks[i] != want[i]) {
            g_test_fail_printf("bank %d is 0x%016" PRIx64 ", expected 0x%016"
                               PRIx64, i, set->banks[i], want[i]);
        }
    }
}

/* --- the dispatcher --- */

/* TLFS: CPL > 0 or real mode gets #UD, and nothing runs */
static void test_cpl(void)
{
    Fake *f = fake_new(F_FLUSH, 4);
    HvHypercallRegs r = regs64(CTL(C_SPIN_WAIT, 0, 0, 0, 0), 0, 0);

    f->part.spinlock_attempts = 0x1000;
    r.cpl0 = false;
    g_assert_false(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX", r.rax, S_CODE);
    g_assert_cmpuint(f->spin_count, ==, 0);

    r = regs64(CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0);
    r.cpl0 = false;
    g_assert_false(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    g_assert_cmpuint(f->flush_count + f->n_reads, ==, 0);
    fake_free(f);
}

static void test_unknown_code(void)
{
    static const uint16_t codes[] = {
        0x0000, 0x0001, 0x0004, 0x0012, 0x0016, 0x0068, 0x006c, 0x0070,
        /* past the extended hypercalls (test-hv-ext-hypercall.c) */
        0x8042, 0xffff,
    };
    Fake *f = fake_new(HV_FEAT_ALL, 4);
    size_t i;

    for (i = 0; i < ARRAY_LEN(codes); i++) {
        check_hex64("RAX", call64(f, CTL(codes[i], 0, 0, 0, 0), IN, 0),
                    S_CODE);
        check_hex64("RAX fast", call64(f, CTL(codes[i], 1, 0, 0, 0), 0, 0),
                    S_CODE);
    }
    g_assert_cmpuint(f->n_reads + f->flush_count + f->ipi_count, ==, 0);
    fake_free(f);
}

/* Bits 27-30, 44-47 and 60-63 of the input value are RsvdZ */
static void test_reserved_bits(void)
{
    static const int bits[] = {
        27, 28, 29, 30, 44, 45, 46, 47, 60, 61, 62, 63,
    };
    Fake *f = fake_new(F_FLUSH, 4);
    size_t i;

    fake_put64(f, IN + 8, 1);           /* HV_FLUSH_ALL_PROCESSORS */
    for (i = 0; i < ARRAY_LEN(bits); i++) {
        uint64_t bit = 1ull << bits[i];

        check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0) | bit,
                                  IN, 0), S_INPUT);
        check_hex64("RAX unknown", call64(f, 0x0001 | bit, IN, 0), S_INPUT);
    }
    g_assert_cmpuint(f->flush_count + f->n_reads, ==, 0);
    /* The same call without them works */
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    fake_free(f);
}

/* A known call whose feature is not exposed: ACCESS_DENIED (KVM) */
static void test_access_denied(void)
{
    static const struct {
        uint16_t code;
        uint64_t feature;
    } calls[] = {
        { C_FLUSH_SPACE, F_TLBFLUSH },
        { C_FLUSH_LIST, F_TLBFLUSH },
        { C_FLUSH_SPACE_EX, F_TLBFLUSH },
        { C_FLUSH_LIST_EX, F_TLBFLUSH },
        { C_IPI, F_IPI },
        { C_IPI_EX, F_IPI },
        { C_POST_MESSAGE, F_SYNIC },
        { C_SIGNAL_EVENT, F_SYNIC },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(calls); i++) {
        Fake *f = fake_new(HV_FEAT_ALL & ~calls[i].feature, 4);
        Fake *g = fake_new(calls[i].feature | F_VPINDEX, 4);

        /* hv-enforce-cpuid=on: KVM's hv_check_hypercall_access() */
        f->part.enforce_cpuid = true;
        g->part.enforce_cpuid = true;
        g_assert_false(hv_partition_hypercall_exposed(&f->part,
                                                      calls[i].code));
        g_assert_true(hv_partition_hypercall_exposed(&g->part,
                                                     calls[i].code));
        check_hex64("RAX", call64(f, CTL(calls[i].code, 0, 0, 0, 0), IN, 0),
                    S_DENIED);
        check_hex64("RAX fast", call64(f, CTL(calls[i].code, 1, 0, 0, 0),
                                       0, 0), S_DENIED);
        /* Denied before the input value is even looked at (KVM) */
        check_hex64("RAX rsvd", call64(f, CTL(calls[i].code, 0, 0, 0, 0) |
                                       1ull << 63, IN, 0), S_DENIED);
        g_assert_cmpuint(f->n_reads + f->flush_count + f->ipi_count, ==, 0);
        fake_free(f);
        fake_free(g);
    }
}

/*
 * hv-enforce-cpuid=off (QEMU's default): KVM checks no privilege, so a
 * flush or an IPI without hv-tlbflush / hv-ipi works, and so does
 * HvNotifyLongSpinWait whatever the retry count; HvPostMessage and
 * HvSignalEvent fail with INVALID_HYPERCALL_INPUT without an active
 * SynIC, as KVM's do.
 */
static void test_unenforced(void)
{
    Fake *f = fake_new(F_VPINDEX, 4);

    fake_put64(f, IN, 0);
    fake_put64(f, IN + 8, 0);
    fake_put64(f, IN + 16, 0x6);
    check_hex64("flush", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    g_assert_cmphex(f->flush_set.banks[0], ==, 0x6);
    check_hex64("ipi", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0x30, 0x5),
                S_SUCCESS);
    g_assert_cmpuint(f->ipi_count, ==, 1);
    g_assert_cmphex(f->ipi_set.banks[0], ==, 0x5);

    f->part.spinlock_attempts = 0xffffffff;
    check_hex64("spin", call64(f, CTL(C_SPIN_WAIT, 0, 0, 0, 0), 0, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->spin_count, ==, 1);

    fake_clear_log(f);
    check_hex64("post", call64(f, CTL(C_POST_MESSAGE, 0, 0, 0, 0), IN, 0),
                S_INPUT);
    check_hex64("signal", call64(f, CTL(C_SIGNAL_EVENT, 1, 0, 0, 0), 1, 0),
                S_INPUT);
    g_assert_cmpuint(f->n_reads, ==, 0);
    fake_free(f);
}

/* HvNotifyLongSpinWait needs a spinlock retry count the guest honours */
static void test_long_spin_wait(void)
{
    Fake *f = fake_new(HV_FEAT_ALL, 4);
    HvHypercallRegs r;

    f->part.enforce_cpuid = true;
    f->part.spinlock_attempts = 0xffffffff;
    g_assert_false(hv_partition_hypercall_exposed(&f->part, C_SPIN_WAIT));
    check_hex64("RAX never", call64(f, CTL(C_SPIN_WAIT, 0, 0, 0, 0), 0, 0),
                S_DENIED);
    f->part.spinlock_attempts = 0;
    g_assert_false(hv_partition_hypercall_exposed(&f->part, C_SPIN_WAIT));
    check_hex64("RAX 0", call64(f, CTL(C_SPIN_WAIT, 0, 0, 0, 0), 0, 0),
                S_DENIED);
    g_assert_cmpuint(f->spin_count, ==, 0);

    f->part.spinlock_attempts = 0x1000;
    g_assert_true(hv_partition_hypercall_exposed(&f->part, C_SPIN_WAIT));
    /* No input: the (unaligned, unmapped) GPA is ignored */
    r = regs64(CTL(C_SPIN_WAIT, 0, 0, 0, 0), 0x200003, 0x7);
    g_assert_true(hv_hypercall(&f->part, &f->vp[2], &f->ops, &r));
    check_hex64("RAX", r.rax, S_SUCCESS);
    g_assert_cmpuint(f->spin_count, ==, 1);
    g_assert_true(f->spin_caller == &f->vp[2]);
    check_hex64("RAX fast", call64(f, CTL(C_SPIN_WAIT, 1, 0, 0, 0), 0, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->spin_count, ==, 2);

    /* A simple call without variable header */
    check_hex64("RAX rep", call64(f, CTL(C_SPIN_WAIT, 0, 0, 1, 0), 0, 0),
                S_INPUT);
    check_hex64("RAX start", call64(f, CTL(C_SPIN_WAIT, 0, 0, 0, 1), 0, 0),
                S_INPUT);
    check_hex64("RAX var", call64(f, CTL(C_SPIN_WAIT, 0, 1, 0, 0), 0, 0),
                S_INPUT);
    g_assert_cmpuint(f->spin_count, ==, 2);
    g_assert_cmpuint(f->n_reads, ==, 0);
    fake_free(f);
}

/* 64-bit: RCX, RDX, R8 in, RAX out; nothing else is touched */
static void test_convention_64(void)
{
    static const uint64_t input[] = { 0, 0, 0x5, 0x7000, 0x9000 };
    static const int vps[] = { 0, 2, -1 };
    Fake *f = fake_new(F_FLUSH, 4);
    HvHypercallRegs r;

    put_input(f, IN, input, ARRAY_LEN(input));
    r = regs64(CTL(C_FLUSH_LIST, 0, 0, 2, 0), IN, 0);
    r.rbx = 0x1111;
    r.rsi = 0x2222;
    r.rdi = 0x3333;
    r.rax = 0xffffffffffffffffull;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX", r.rax, RES(S_SUCCESS, 2));
    check_hex64("RCX", r.rcx, CTL(C_FLUSH_LIST, 0, 0, 2, 0));
    check_hex64("RDX", r.rdx, IN);
    check_hex64("RBX", r.rbx, 0x1111);
    check_hex64("RSI", r.rsi, 0x2222);
    check_hex64("RDI", r.rdi, 0x3333);
    g_assert_cmpuint(f->flush_count, ==, 1);
    check_set(&f->flush_set, vps);
    g_assert_cmpuint(f->flush_n_gvas, ==, 2);
    check_hex64("gva 0", f->flush_gvas[0], 0x7000);
    check_hex64("gva 1", f->flush_gvas[1], 0x9000);
    fake_free(f);
}

/* 32-bit: EDX:EAX control, EBX:ECX input, EDI:ESI output, EDX:EAX out */
static void test_convention_32(void)
{
    static const uint64_t input[] = { 0, 0, 0x5, 0x7000, 0x9000, 0xb000 };
    static const int vps[] = { 0, 2, -1 };
    uint64_t control = CTL(C_FLUSH_LIST, 0, 0, 3, 0);
    Fake *f = fake_new(F_FLUSH, 4);
    HvHypercallRegs r;

    put_input(f, IN, input, ARRAY_LEN(input));
    memset(&r, 0, sizeof(r));
    r.cpl0 = true;
    /* The upper halves of the 64-bit registers are not part of it */
    r.rax = 0xaaaaaaaa00000000ull | (uint32_t)control;
    r.rdx = 0xbbbbbbbb00000000ull | control >> 32;
    r.rcx = 0xcccccccc00000000ull | IN;
    r.rbx = 0xdddddddd00000000ull;
    r.rsi = 0x12345678;
    r.rdi = 0x9abcdef0;
    r.r8 = 0xffffffffffffffffull;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("EAX", r.rax, S_SUCCESS);
    check_hex64("EDX", r.rdx, 3);
    check_hex64("EBX", r.rbx, 0xdddddddd00000000ull);
    g_assert_cmpuint(f->flush_count, ==, 1);
    check_set(&f->flush_set, vps);
    g_assert_cmpuint(f->flush_n_gvas, ==, 3);
    check_hex64("gva 2", f->flush_gvas[2], 0xb000);

    /* EBX is the upper half of the input GPA: 4 GiB up is not RAM */
    r.rax = (uint32_t)control;
    r.rdx = control >> 32;
    r.rcx = IN;
    r.rbx = 1;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("EAX", r.rax, S_INPUT);
    check_hex64("EDX", r.rdx, 0);
    g_assert_cmpuint(f->reads[f->n_reads - 1].gpa, ==, 0x100000000ull | IN);

    /* Fast: EBX:ECX and EDI:ESI are the two input words */
    f->part.features |= F_SEND_IPI;
    control = CTL(C_IPI, 1, 0, 0, 0);
    memset(&r, 0, sizeof(r));
    r.cpl0 = true;
    r.rax = control;
    r.rcx = 0x40;                       /* vector */
    r.rbx = 0;
    r.rsi = 0x1;                        /* VP 0 */
    r.rdi = 0x2;                        /* VP 33 */
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("EAX", r.rax, S_SUCCESS);
    g_assert_cmpuint(f->ipi_count, ==, 1);
    /* VP 33 does not exist: the glue ignores it */
    g_assert_cmphex(f->ipi_set.banks[0], ==, 0x200000001ull);
    fake_free(f);
}

/* --- TLB flush --- */

static void test_flush_space(void)
{
    static const int vps_0_2[] = { 0, 2, -1 };
    Fake *f = fake_new(F_FLUSH, 4);
    HvHypercallRegs r;

    /* AddressSpace, Flags, ProcessorMask */
    fake_put64(f, IN, 0x1234000);
    fake_put64(f, IN + 8, 0);
    fake_put64(f, IN + 16, 0x5);
    r = regs64(CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0);
    g_assert_true(hv_hypercall(&f->part, &f->vp[1], &f->ops, &r));
    check_hex64("RAX", r.rax, S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    g_assert_true(f->flush_caller == &f->vp[1]);
    check_set(&f->flush_set, vps_0_2);
    g_assert_true(f->flush_gvas_null);
    /* Exactly the 24 input bytes were read */
    g_assert_cmpuint(f->n_reads, ==, 1);
    g_assert_cmphex(f->reads[0].gpa, ==, IN);
    g_assert_cmpuint(f->reads[0].len, ==, 24);

    /* HV_FLUSH_ALL_PROCESSORS */
    fake_put64(f, IN + 8, 1);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_true(f->flush_set.all);

    /* KVM: an empty mask means all processors (Windows Server 2012) */
    fake_put64(f, IN + 8, 0);
    fake_put64(f, IN + 16, 0);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_true(f->flush_set.all);

    /* Other flags are accepted (and everything is flushed) */
    fake_put64(f, IN + 8, 0x6);
    fake_put64(f, IN + 16, 0x2);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 4);
    g_assert_cmphex(f->flush_set.banks[0], ==, 0x2);
    fake_free(f);
}

static void test_flush_list(void)
{
    static const uint64_t input[] = {
        0, 1, 0, 0x1000, 0x2000 | 0xfff, 0x3000, 0x4000, 0x5000,
    };
    Fake *f = fake_new(F_FLUSH, 4);
    int i;

    put_input(f, IN, input, ARRAY_LEN(input));
    check_hex64("RAX", call64(f, CTL(C_FLUSH_LIST, 0, 0, 5, 0), IN, 0),
                RES(S_SUCCESS, 5));
    g_assert_true(f->flush_set.all);
    g_assert_false(f->flush_gvas_null);
    g_assert_cmpuint(f->flush_n_gvas, ==, 5);
    for (i = 0; i < 5; i++) {
        check_hex64("gva", f->flush_gvas[i], input[3 + i]);
    }
    fake_free(f);
}

/* Resuming at rep start: only the rest of the list is read and flushed */
static void test_flush_list_rep_start(void)
{
    static const uint64_t input[] = {
        0, 1, 0, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000,
    };
    Fake *f = fake_new(F_FLUSH, 4);

    put_input(f, IN, input, ARRAY_LEN(input));
    fake_clear_log(f);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_LIST, 0, 0, 5, 2), IN, 0),
                RES(S_SUCCESS, 5));
    g_assert_cmpuint(f->flush_n_gvas, ==, 3);
    check_hex64("gva 0", f->flush_gvas[0], 0x3000);
    check_hex64("gva 1", f->flush_gvas[1], 0x4000);
    check_hex64("gva 2", f->flush_gvas[2], 0x5000);
    /* Header, then elements 2-4 */
    g_assert_cmpuint(f->n_reads, ==, 2);
    g_assert_cmphex(f->reads[0].gpa, ==, IN);
    g_assert_cmpuint(f->reads[0].len, ==, 24);
    g_assert_cmphex(f->reads[1].gpa, ==, IN + 24 + 16);
    g_assert_cmpuint(f->reads[1].len, ==, 24);

    /* The last element alone */
    check_hex64("RAX", call64(f, CTL(C_FLUSH_LIST, 0, 0, 5, 4), IN, 0),
                RES(S_SUCCESS, 5));
    g_assert_cmpuint(f->flush_n_gvas, ==, 1);
    check_hex64("gva 0", f->flush_gvas[0], 0x5000);
    fake_free(f);
}

/* TLFS rep rules, KVM's per-call checks */
static void test_flush_rep_checks(void)
{
    Fake *f = fake_new(F_FLUSH, 4);

    fake_put64(f, IN + 8, 1);
    /* Rep calls need a rep count greater than the start index */
    check_hex64("list count 0", call64(f, CTL(C_FLUSH_LIST, 0, 0, 0, 0),
                                       IN, 0), S_INPUT);
    check_hex64("list start 0 count 0",
                call64(f, CTL(C_FLUSH_LIST, 0, 0, 0, 1), IN, 0), S_INPUT);
    check_hex64("list start = count",
                call64(f, CTL(C_FLUSH_LIST, 0, 0, 3, 3), IN, 0), S_INPUT);
    check_hex64("list start > count",
                call64(f, CTL(C_FLUSH_LIST, 0, 0, 3, 4), IN, 0), S_INPUT);
    check_hex64("list-ex count 0",
                call64(f, CTL(C_FLUSH_LIST_EX, 0, 0, 0, 0), IN, 0), S_INPUT);
    /* Simple calls take no rep fields */
    check_hex64("space count", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 1, 0),
                                      IN, 0), S_INPUT);
    check_hex64("space start", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 1),
                                      IN, 0), S_INPUT);
    check_hex64("space-ex count",
                call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 1, 0), IN, 0),
                S_INPUT);
    /* Only the Ex forms have a variable header */
    check_hex64("space var", call64(f, CTL(C_FLUSH_SPACE, 0, 1, 0, 0),
                                    IN, 0), S_INPUT);
    check_hex64("list var", call64(f, CTL(C_FLUSH_LIST, 0, 1, 1, 0),
                                   IN, 0), S_INPUT);
    g_assert_cmpuint(f->flush_count + f->n_reads, ==, 0);
    fake_free(f);
}

static void test_flush_alignment(void)
{
    Fake *f = fake_new(F_FLUSH, 4);
    uint64_t page_end = IN + 0x1000;
    int i;

    fake_put64(f, IN + 8, 1);
    for (i = 1; i < 8; i++) {
        check_hex64("unaligned", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0),
                                        IN + i, 0), S_ALIGNMENT);
    }
    /* The 24-byte header may not cross into the next page */
    check_hex64("header crosses",
                call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), page_end - 16, 0),
                S_ALIGNMENT);
    /* Nor may the list, even the part before rep start */
    check_hex64("list crosses",
                call64(f, CTL(C_FLUSH_LIST, 0, 0, 3, 2), page_end - 40, 0),
                S_ALIGNMENT);
    /* Rep counts too large for any page */
    check_hex64("list too long",
                call64(f, CTL(C_FLUSH_LIST, 0, 0, 0xfff, 0), IN, 0),
                S_ALIGNMENT);
    g_assert_cmpuint(f->n_reads, ==, 0);

    /* Ending exactly at the page end is fine */
    fake_put64(f, page_end - 24 + 8, 1);
    check_hex64("fits", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0),
                               page_end - 24, 0), S_SUCCESS);
    fake_put64(f, page_end - 40 + 8, 1);
    check_hex64("list fits", call64(f, CTL(C_FLUSH_LIST, 0, 0, 2, 0),
                                    page_end - 40, 0), RES(S_SUCCESS, 2));
    g_assert_cmpuint(f->flush_count, ==, 2);

    /* Not RAM: KVM's INVALID_HYPERCALL_INPUT */
    check_hex64("hole", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0),
                               0x200000, 0), S_INPUT);
    check_hex64("past RAM", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0),
                                   0x400000, 0), S_INPUT);
    check_hex64("far", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0),
                              0xfffffffffffff000ull, 0), S_INPUT);
    g_assert_cmpuint(f->flush_count, ==, 2);
    fake_free(f);
}

/* HV_VP_SET with several banks: VPs 1, 63, 64+2, 192+5, 4095 */
static void test_flush_ex_sparse(void)
{
    static const int vps[] = { 1, 63, 66, 197, 4095, -1 };
    static const uint64_t input[] = {
        0,                          /* AddressSpace */
        0,                          /* Flags */
        0,                          /* Format: sparse */
        0x800000000000000bull,      /* banks 0, 1, 3, 63 */
        0x8000000000000002ull,      /* bank 0: VPs 1, 63 */
        0x4ull,                     /* bank 1: VP 66 */
        0x20ull,                    /* bank 3: VP 197 */
        0x8000000000000000ull,      /* bank 63: VP 4095 */
    };
    Fake *f = fake_new(F_FLUSH, 4096);

    put_input(f, IN, input, ARRAY_LEN(input));
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 4, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    check_set(&f->flush_set, vps);
    g_assert_true(hv_vp_set_has(&f->flush_set, 197));
    g_assert_false(hv_vp_set_has(&f->flush_set, 198));
    g_assert_true(f->flush_gvas_null);
    g_assert_cmpuint(f->n_reads, ==, 1);
    g_assert_cmpuint(f->reads[0].len, ==, 64);

    /* The variable header must be exactly the bank words */
    check_hex64("var 3", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 3, 0, 0),
                                IN, 0), S_INPUT);
    check_hex64("var 5", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 5, 0, 0),
                                IN, 0), S_INPUT);
    check_hex64("var 0", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 0, 0),
                                IN, 0), S_INPUT);
    g_assert_cmpuint(f->flush_count, ==, 1);

    /* No banks at all: nothing to flush */
    fake_put64(f, IN + 24, 0);
    check_hex64("empty", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 0, 0),
                                IN, 0), S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    fake_free(f);
}

static void test_flush_ex_formats(void)
{
    Fake *f = fake_new(F_FLUSH, 4);

    /* Format 1: all VPs */
    fake_put64(f, IN + 16, 1);
    fake_put64(f, IN + 24, 0);
    check_hex64("all", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_true(f->flush_set.all);

    /* Banks given with format 1 still count (KVM), and are skipped */
    fake_put64(f, IN + 24, 0x5);
    fake_put64(f, IN + 32, 0x1);
    fake_put64(f, IN + 40, 0x1);
    check_hex64("all+banks",
                call64(f, CTL(C_FLUSH_SPACE_EX, 0, 2, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_true(f->flush_set.all);
    g_assert_cmpuint(f->flush_count, ==, 2);
    check_hex64("all+banks mismatch",
                call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 0, 0), IN, 0),
                S_INPUT);

    /* Any other format is invalid */
    fake_put64(f, IN + 16, 2);
    fake_put64(f, IN + 24, 0);
    check_hex64("format 2", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 0, 0),
                                   IN, 0), S_PARAMETER);
    fake_put64(f, IN + 16, 0x8000000000000000ull);
    check_hex64("format 2^63",
                call64(f, CTL(C_FLUSH_SPACE_EX, 0, 0, 0, 0), IN, 0),
                S_PARAMETER);
    g_assert_cmpuint(f->flush_count, ==, 2);

    /* HV_FLUSH_ALL_PROCESSORS with a sparse set flushes everyone */
    fake_put64(f, IN + 8, 1);
    fake_put64(f, IN + 16, 0);
    fake_put64(f, IN + 24, 1);
    fake_put64(f, IN + 32, 1);
    check_hex64("flag", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 1, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_true(f->flush_set.all);
    fake_free(f);
}

/* The List Ex form: the GVA list follows the bank words */
static void test_flush_list_ex(void)
{
    static const int vps[] = { 3, 130, -1 };
    static const uint64_t input[] = {
        0, 0, 0, 0x5,
        0x8,                        /* bank 0: VP 3 */
        0x4,                        /* bank 2: VP 130 */
        0xa000, 0xb000, 0xc000,
    };
    Fake *f = fake_new(F_FLUSH, 256);

    put_input(f, IN, input, ARRAY_LEN(input));
    check_hex64("RAX", call64(f, CTL(C_FLUSH_LIST_EX, 0, 2, 3, 1), IN, 0),
                RES(S_SUCCESS, 3));
    check_set(&f->flush_set, vps);
    g_assert_cmpuint(f->flush_n_gvas, ==, 2);
    check_hex64("gva 0", f->flush_gvas[0], 0xb000);
    check_hex64("gva 1", f->flush_gvas[1], 0xc000);
    fake_free(f);
}

/* HV_FLUSH_USE_EXTENDED_RANGE_FORMAT needs hv-tlbflush-ext */
static void test_flush_ext_range(void)
{
    static const uint64_t input[] = { 0, 0x9, 0, 0x8010000000000123ull };
    Fake *f = fake_new(F_FLUSH, 4);

    put_input(f, IN, input, ARRAY_LEN(input));
    check_hex64("no ext", call64(f, CTL(C_FLUSH_LIST, 0, 0, 1, 0), IN, 0),
                S_PARAMETER);
    check_hex64("no ext space",
                call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_PARAMETER);
    g_assert_cmpuint(f->flush_count, ==, 0);

    /* With it: accepted, and flushed as a whole */
    f->part.features |= F_TLBFLUSH_EXT;
    check_hex64("ext", call64(f, CTL(C_FLUSH_LIST, 0, 0, 1, 0), IN, 0),
                RES(S_SUCCESS, 1));
    g_assert_cmpuint(f->flush_count, ==, 1);
    g_assert_true(f->flush_gvas_null);
    g_assert_true(f->flush_set.all);
    fake_free(f);
}

/*
 * VP indexes need not be dense: after CPU hot-plug a 2-vCPU partition may
 * have VPs 0 and 3.  The core hands the set on as the guest wrote it, and
 * the glue matches each VP's own index (KVM's sparse_set_to_vcpu_mask());
 * it never clips at the number of VPs.
 */
static void test_flush_sparse(void)
{
    Fake *f = fake_new(F_FLUSH, 2);

    f->vp[1].vp_index = 3;
    fake_put64(f, IN + 16, 0x8);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    g_assert_cmphex(f->flush_set.banks[0], ==, 0x8);
    g_assert_true(hv_vp_set_has(&f->flush_set, f->vp[1].vp_index));

    /* Ex: bank 5 (VP 320 up) reaches the glue too */
    fake_put64(f, IN + 16, 0);
    fake_put64(f, IN + 24, 0x21);
    fake_put64(f, IN + 32, 0x8000000000000008ull);
    fake_put64(f, IN + 40, 0x1);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 2, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 2);
    g_assert_true(hv_vp_set_has(&f->flush_set, 3));
    g_assert_true(hv_vp_set_has(&f->flush_set, 63));
    g_assert_true(hv_vp_set_has(&f->flush_set, 320));

    /* An empty set: nothing to do */
    fake_put64(f, IN + 24, 0x1);
    fake_put64(f, IN + 32, 0);
    check_hex64("RAX", call64(f, CTL(C_FLUSH_SPACE_EX, 0, 1, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 2);

    /* IPI to the hot-plugged VP 3 only */
    f->part.features |= F_SEND_IPI;
    check_hex64("ipi", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0x30, 0x8),
                S_SUCCESS);
    g_assert_cmpuint(f->ipi_count, ==, 1);
    g_assert_true(hv_vp_set_has(&f->ipi_set, 3));
    fake_free(f);
}

/* Fast flushes: RDX, R8, then XMM0-5 with hv-xmm-input */
static void test_flush_fast(void)
{
    static const int vps[] = { 1, 3, -1 };
    static const int vps_ex[] = { 2, 65, -1 };
    Fake *f = fake_new(F_FLUSH, 128);
    HvHypercallRegs r;

    /*
     * Without hv-xmm-input: #UD (TLFS, KVM with hv-enforce-cpuid), nothing
     * flushed; KVM without enforcement takes the XMM input.
     */
    f->part.enforce_cpuid = true;
    r = regs64(CTL(C_FLUSH_SPACE, 1, 0, 0, 0), 0, 0);
    r.xmm[0][0] = 0xa;
    g_assert_false(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX", r.rax, S_INPUT);
    g_assert_cmpuint(f->flush_count, ==, 0);
    f->part.enforce_cpuid = false;
    r = regs64(CTL(C_FLUSH_SPACE, 1, 0, 0, 0), 0, 0);
    r.xmm[0][0] = 0xa;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX unenforced", r.rax, S_SUCCESS);
    g_assert_cmphex(f->flush_set.banks[0], ==, 0xa);
    g_assert_cmpuint(f->flush_count, ==, 1);
    f->flush_count = 0;

    f->part.features |= F_XMM;
    /* AddressSpace in RDX, Flags in R8, ProcessorMask in XMM0 low */
    r = regs64(CTL(C_FLUSH_SPACE, 1, 0, 0, 0), 0x1000, 0);
    r.xmm[0][0] = 0xa;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX", r.rax, S_SUCCESS);
    check_set(&f->flush_set, vps);

    /* The GVA list continues in XMM0 high, XMM1... */
    r = regs64(CTL(C_FLUSH_LIST, 1, 0, 3, 1), 0x1000, 1);
    r.xmm[0][1] = 0x7000;
    r.xmm[1][0] = 0x8000;
    r.xmm[1][1] = 0x9000;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX", r.rax, RES(S_SUCCESS, 3));
    g_assert_true(f->flush_set.all);
    g_assert_cmpuint(f->flush_n_gvas, ==, 2);
    check_hex64("gva 0", f->flush_gvas[0], 0x8000);
    check_hex64("gva 1", f->flush_gvas[1], 0x9000);

    /* 11 list elements fit (3 header words + 11 = 112 bytes); 12 do not */
    r = regs64(CTL(C_FLUSH_LIST, 1, 0, 11, 0), 0, 1);
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX 11", r.rax, RES(S_SUCCESS, 11));
    r = regs64(CTL(C_FLUSH_LIST, 1, 0, 12, 0), 0, 1);
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX 12", r.rax, S_INPUT);

    /* Ex: HV_VP_SET in XMM0, banks from XMM1 */
    r = regs64(CTL(C_FLUSH_SPACE_EX, 1, 2, 0, 0), 0, 0);
    r.xmm[0][0] = 0;
    r.xmm[0][1] = 0x3;
    r.xmm[1][0] = 0x4;
    r.xmm[1][1] = 0x2;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX ex", r.rax, S_SUCCESS);
    check_set(&f->flush_set, vps_ex);

    /* Fast calls read no memory */
    g_assert_cmpuint(f->n_reads, ==, 0);
    fake_free(f);
}

/* --- IPIs --- */

static void test_ipi(void)
{
    static const int vps[] = { 1, 2, -1 };
    Fake *f = fake_new(F_SEND_IPI, 4);
    HvHypercallRegs r;

    /* Vector, TargetVtl + reserved, ProcessorMask */
    fake_put64(f, IN, 0x30);
    fake_put64(f, IN + 8, 0x6);
    r = regs64(CTL(C_IPI, 0, 0, 0, 0), IN, 0);
    g_assert_true(hv_hypercall(&f->part, &f->vp[3], &f->ops, &r));
    check_hex64("RAX", r.rax, S_SUCCESS);
    g_assert_cmpuint(f->ipi_count, ==, 1);
    g_assert_true(f->ipi_caller == &f->vp[3]);
    g_assert_cmphex(f->ipi_vector, ==, 0x30);
    check_set(&f->ipi_set, vps);
    g_assert_cmpuint(f->reads[0].len, ==, 16);

    /* Fast: RDX vector, R8 mask (no XMM needed) */
    check_hex64("fast", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0xff, 0x1),
                S_SUCCESS);
    g_assert_cmphex(f->ipi_vector, ==, 0xff);
    g_assert_cmphex(f->ipi_set.banks[0], ==, 0x1);
    check_hex64("fast 0x10", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0x10, 0x1),
                S_SUCCESS);
    g_assert_cmpuint(f->ipi_count, ==, 3);

    /* Vectors 0x10-0xff only (KVM) */
    check_hex64("vector 0x0f", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0xf, 1),
                S_INPUT);
    check_hex64("vector 0x100", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0x100, 1),
                S_INPUT);
    check_hex64("vector 0", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0, 1),
                S_INPUT);
    /* TargetVtl must be 0, the rest is reserved */
    check_hex64("vtl 1", call64(f, CTL(C_IPI, 1, 0, 0, 0),
                                0x100000030ull, 1), S_INPUT);
    check_hex64("rsvd", call64(f, CTL(C_IPI, 1, 0, 0, 0),
                               0x8000000000000030ull, 1), S_INPUT);
    fake_put64(f, IN, 0x100000030ull);
    check_hex64("vtl 1 slow", call64(f, CTL(C_IPI, 0, 0, 0, 0), IN, 0),
                S_INPUT);
    /* A simple call without variable header */
    check_hex64("rep", call64(f, CTL(C_IPI, 1, 0, 1, 0), 0x30, 1), S_INPUT);
    check_hex64("var", call64(f, CTL(C_IPI, 1, 1, 0, 0), 0x30, 1), S_INPUT);
    g_assert_cmpuint(f->ipi_count, ==, 3);

    /* An empty mask: nobody to interrupt */
    check_hex64("empty", call64(f, CTL(C_IPI, 1, 0, 0, 0), 0x30, 0),
                S_SUCCESS);
    g_assert_cmpuint(f->ipi_count, ==, 3);
    fake_free(f);
}

static void test_ipi_ex(void)
{
    static const int vps[] = { 0, 200, -1 };
    static const uint64_t input[] = {
        0x41,               /* Vector */
        0,                  /* Format: sparse */
        0x9,                /* banks 0 and 3 */
        0x1,                /* VP 0 */
        0x100,              /* VP 192 + 8 */
    };
    Fake *f = fake_new(F_SEND_IPI, 256);
    HvHypercallRegs r;

    put_input(f, IN, input, ARRAY_LEN(input));
    check_hex64("RAX", call64(f, CTL(C_IPI_EX, 0, 2, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_cmphex(f->ipi_vector, ==, 0x41);
    check_set(&f->ipi_set, vps);
    g_assert_cmpuint(f->reads[0].len, ==, 40);

    check_hex64("mismatch", call64(f, CTL(C_IPI_EX, 0, 1, 0, 0), IN, 0),
                S_INPUT);
    check_hex64("rep", call64(f, CTL(C_IPI_EX, 0, 2, 1, 0), IN, 0),
                S_INPUT);

    /* All VPs */
    fake_put64(f, IN + 8, 1);
    fake_put64(f, IN + 16, 0);
    check_hex64("all", call64(f, CTL(C_IPI_EX, 0, 0, 0, 0), IN, 0),
                S_SUCCESS);
    g_assert_true(f->ipi_set.all);

    fake_put64(f, IN + 8, 7);
    check_hex64("format 7", call64(f, CTL(C_IPI_EX, 0, 0, 0, 0), IN, 0),
                S_PARAMETER);
    fake_put64(f, IN + 8, 1);
    fake_put64(f, IN, 0x0f);
    check_hex64("vector", call64(f, CTL(C_IPI_EX, 0, 0, 0, 0), IN, 0),
                S_INPUT);
    g_assert_cmpuint(f->ipi_count, ==, 2);

    /* Fast needs XMM: #UD without hv-xmm-input when enforcing */
    f->part.enforce_cpuid = true;
    r = regs64(CTL(C_IPI_EX, 1, 0, 0, 0), 0x41, 1);
    g_assert_false(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX", r.rax, S_INPUT);
    f->part.enforce_cpuid = false;

    /* RDX vector, R8 format, XMM0 low bank mask, then the banks */
    f->part.features |= F_XMM;
    r = regs64(CTL(C_IPI_EX, 1, 1, 0, 0), 0x42, 0);
    r.xmm[0][0] = 0x2;
    r.xmm[0][1] = 0x10;             /* bank 1: VP 68 */
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX fast", r.rax, S_SUCCESS);
    g_assert_cmphex(f->ipi_vector, ==, 0x42);
    g_assert_false(f->ipi_set.all);
    g_assert_true(hv_vp_set_has(&f->ipi_set, 68));
    g_assert_cmphex(f->ipi_set.banks[1], ==, 0x10);
    g_assert_cmpuint(f->ipi_count, ==, 3);

    /* 11 banks fit in the fast block (3 + 11 = 14 words), 12 do not */
    r = regs64(CTL(C_IPI_EX, 1, 12, 0, 0), 0x42, 0);
    r.xmm[0][0] = 0xfff;
    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    check_hex64("RAX 12 banks", r.rax, S_INPUT);
    fake_free(f);
}

/* --- VP sets --- */

static void test_parse_vp_set(void)
{
    static const int vps[] = { 5, 64 + 7, 128 + 63, -1 };
    const uint64_t sparse[] = {
        0, 0x7, 0x20, 0x80, 0x8000000000000000ull, 0xdead,
    };
    const uint64_t all[] = { 1, 0x3, 0xff, 0xff };
    const uint64_t bad[] = { 3, 0 };
    const uint64_t empty[] = { 0, 0 };
    HvVpSet set;
    unsigned consumed = 0;

    g_assert_cmpuint(hv_parse_vp_set(sparse, 5, &set, &consumed), ==,
                     S_SUCCESS);
    g_assert_cmpuint(consumed, ==, 5);
    check_set(&set, vps);
    /* Words after the set are not part of it */
    consumed = 0;
    g_assert_cmpuint(hv_parse_vp_set(sparse, 6, &set, &consumed), ==,
                     S_SUCCESS);
    g_assert_cmpuint(consumed, ==, 5);
    check_set(&set, vps);
    /* Missing bank words */
    g_assert_cmpuint(hv_parse_vp_set(sparse, 4, &set, &consumed), ==,
                     S_INPUT);
    g_assert_cmpuint(hv_parse_vp_set(sparse, 1, &set, &consumed), ==,
                     S_INPUT);
    g_assert_cmpuint(hv_parse_vp_set(sparse, 0, &set, &consumed), ==,
                     S_INPUT);

    g_assert_cmpuint(hv_parse_vp_set(all, 4, &set, &consumed), ==,
                     S_SUCCESS);
    g_assert_cmpuint(consumed, ==, 4);
    g_assert_true(set.all);
    g_assert_true(hv_vp_set_has(&set, 4095));

    g_assert_cmpuint(hv_parse_vp_set(bad, 2, &set, &consumed), ==,
                     S_PARAMETER);

    g_assert_cmpuint(hv_parse_vp_set(empty, 2, &set, &consumed), ==,
                     S_SUCCESS);
    g_assert_cmpuint(consumed, ==, 2);
    g_assert_false(set.all);
    g_assert_false(hv_vp_set_has(&set, 0));
}

/* --- SynIC calls, not implemented yet --- */

static void test_synic_calls(void)
{
    Fake *f = fake_new(F_SYNIC | F_VPINDEX, 4);

    /* Exposed but without a SynIC behind them: as KVM, INVALID_INPUT */
    check_hex64("post", call64(f, CTL(C_POST_MESSAGE, 0, 0, 0, 0), IN, 0),
                S_INPUT);
    check_hex64("signal", call64(f, CTL(C_SIGNAL_EVENT, 1, 0, 0, 0), 1, 0),
                S_INPUT);
    g_assert_cmpuint(f->n_reads, ==, 0);
    fake_free(f);
}

/*
 * HvPostMessage input checks before the connection is looked up (TLFS
 * HvCallPostMessage): a message type with the top bit clear, other than
 * zero, and a payload of at most 240 bytes; else HV_STATUS_INVALID_PARAMETER.
 */
static unsigned posted;

static uint16_t count_post(void *opaque G_GNUC_UNUSED, HvVp *vp G_GNUC_UNUSED,
                           uint16_t code, uint64_t param, bool fast)
{
    g_assert_cmphex(code, ==, C_POST_MESSAGE);
    g_assert_cmphex(param, ==, IN);
    g_assert_false(fast);
    posted++;
    return S_SUCCESS;
}

static void test_post_message_input(void)
{
    static const struct {
        uint32_t type, size;
        uint16_t status;
    } cases[] = {
        { 1, 0, S_SUCCESS },
        { 0x7fffffff, 240, S_SUCCESS },
        { 0, 16, S_PARAMETER },
        { 0x80000000, 16, S_PARAMETER },
        { 0x80000010, 16, S_PARAMETER },
        { 1, 241, S_PARAMETER },
        { 1, 0xffffffff, S_PARAMETER },
    };
    Fake *f = fake_new(F_SYNIC | F_VPINDEX, 1);
    size_t i;

    f->ops.synic_hypercall = count_post;
    posted = 0;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        uint64_t in[2] = { 7, cases[i].type | (uint64_t)cases[i].size << 32 };

        put_input(f, IN, in, 2);
        check_hex64("post", call64(f, CTL(C_POST_MESSAGE, 0, 0, 0, 0), IN, 0),
                    cases[i].status);
    }
    g_assert_cmpuint(posted, ==, 2);
    /* Input that is not RAM */
    check_hex64("post beyond RAM",
                call64(f, CTL(C_POST_MESSAGE, 0, 0, 0, 0),
                       FAKE_RAM_SIZE + 0x1000, 0), S_INPUT);
    g_assert_cmpuint(posted, ==, 2);
    fake_free(f);
}

/* --- any input --- */

static uint64_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state ^ *state >> 29;
}

/*
 * Random hypercalls: never a crash (ASan/UBSan watch), always a TLFS
 * status, never a memory write, and reads only inside the page the input
 * GPA points into, and none at all for fast calls.
 */
static void test_random_input(void)
{
    static const uint16_t codes[] = {
        C_FLUSH_SPACE, C_FLUSH_LIST, C_SPIN_WAIT, C_IPI, C_FLUSH_SPACE_EX,
        C_FLUSH_LIST_EX, C_IPI_EX, C_POST_MESSAGE, C_SIGNAL_EVENT, 0x0001,
    };
    static const uint64_t gpas[] = {
        IN, IN + 0xff8, IN + 0xfe0, IN + 0x800, 0x1ff000, 0x1ffff8,
        0x200000, 0x3ff000, 0x3ffff8, 0x400000, 0xfffffffffffff000ull,
    };
    Fake *f = fake_new(HV_FEAT_ALL, 4096);
    uint64_t rng = 0x0123456789abcdefull;
    unsigned seen[8] = { 0 }, calls = 0;
    unsigned i, n, k;

    f->part.spinlock_attempts = 0x1000;
    for (i = 0; i < FAKE_RAM_SIZE; i += 8) {
        uint64_t v = lcg_next(&rng);

        /* Mostly small words, so VP sets and formats are often valid */
        v = (v & 3) ? v >> (56 + (v & 7)) : v;
        memcpy(f->ram + i, &v, 8);
    }
    for (n = 0; n < 200000; n++) {
        uint64_t a = lcg_next(&rng), b = lcg_next(&rng);
        uint64_t control = codes[a % ARRAY_LEN(codes)];
        HvHypercallRegs r;
        uint64_t status, page;
        bool fast;

        control |= (b & 1) ? HV_HYPERCALL_FAST : 0;
        if ((b >> 40) & 1) {
            /* Plausible: rep and variable header fields where they go */
            bool is_rep = control == C_FLUSH_LIST ||
                          control == C_FLUSH_LIST_EX;
            bool is_ex = control == C_FLUSH_SPACE_EX ||
                         control == C_FLUSH_LIST_EX || control == C_IPI_EX;
            unsigned cnt = is_rep ? 1 + ((b >> 20) & 7) : 0;

            control |= (uint64_t)(is_ex ? (b >> 8) & 3 : 0) << 17;
            control |= (uint64_t)cnt << 32;
            control |= (uint64_t)(cnt ? (b >> 32) % cnt : 0) << 48;
        } else {
            control |= (uint64_t)((b >> 1) & 3 ? (b >> 8) & 3
                                               : (b >> 8) & 0x3ff) << 17;
            control |= (uint64_t)((b >> 3) & 1 ? (b >> 20) & 0xf
                                               : (b >> 20) & 0xfff) << 32;
            control |= (uint64_t)((b >> 4) & 3 ? 0 : (b >> 32) & 0xf) << 48;
        }
        if (!((b >> 5) & 63)) {
            control |= 1ull << (a >> 58);
        }
        fast = control & HV_HYPERCALL_FAST;

        memset(&r, 0, sizeof(r));
        r.long_mode = true;
        r.cpl0 = true;
        r.rcx = control;
        r.rdx = gpas[(a >> 8) % ARRAY_LEN(gpas)] + ((a >> 40) & 1 ? 4 : 0);
        r.r8 = (a >> 16) & 1 ? lcg_next(&rng) : (a >> 20) & 0xff;
        if (fast) {
            r.rdx = (a >> 24) & 1 ? lcg_next(&rng) : (a >> 28) & 0xff;
        }
        for (k = 0; k < 6; k++) {
            r.xmm[k][0] = (a >> k) & 1 ? lcg_next(&rng) : k;
            r.xmm[k][1] = (b >> k) & 1 ? lcg_next(&rng) : 1ull << k;
        }
        switch ((a >> 41) & 3) {
        case 0:
            f->part.features = (b >> 44) & HV_FEAT_ALL;
            break;
        case 1:
            f->part.features = HV_FEAT_ALL & ~F_XMM;
            break;
        default:
            f->part.features = HV_FEAT_ALL;
        }

        fake_clear_log(f);
        hv_hypercall(&f->part, &f->vp[0], &f->ops, &r);

        status = r.rax & 0xffff;
        if (status != S_SUCCESS && status != S_CODE && status != S_INPUT &&
            status != S_ALIGNMENT && status != S_PARAMETER &&
            status != S_DENIED) {
            g_test_fail_printf("control 0x%016" PRIx64 ": status 0x%"
                               PRIx64, control, status);
            break;
        }
        if ((r.rax >> 32) > ((control >> 32) & 0xfff) ||
            (r.rax & 0xffff0000ull)) {
            g_test_fail_printf("control 0x%016" PRIx64 ": result 0x%016"
                               PRIx64, control, r.rax);
            break;
        }
        seen[status]++;
        calls += f->flush_count + f->ipi_count + f->spin_count;
        f->flush_count = f->ipi_count = f->spin_count = 0;
        g_assert_cmpuint(f->n_writes, ==, 0);
        if (fast) {
            g_assert_cmpuint(f->n_reads, ==, 0);
        }
        page = r.rdx & ~0xfffull;
        for (k = 0; k < f->n_reads && k < FAKE_LOG_MAX; k++) {
            if (f->reads[k].gpa < page ||
                f->reads[k].gpa - page + f->reads[k].len > 0x1000) {
                g_test_fail_printf("control 0x%016" PRIx64 " input 0x%"
                                   PRIx64 ": read 0x%" PRIx64 "+%" PRIu64,
                                   control, r.rdx, f->reads[k].gpa,
                                   f->reads[k].len);
                break;
            }
        }
    }
    g_test_message("statuses: success %u code %u input %u alignment %u "
                   "parameter %u denied %u; %u flushes/IPIs/yields",
                   seen[S_SUCCESS], seen[S_CODE], seen[S_INPUT],
                   seen[S_ALIGNMENT], seen[S_PARAMETER], seen[S_DENIED],
                   calls);
    fake_free(f);
}

/*
 * HvPostDebugData / HvRetrieveDebugData / HvResetDebugSession: not in the
 * TLFS; KVM's checks (kvm_hv_hypercall()), then the device.
 */
static unsigned syndbg_calls;
static uint16_t syndbg_code;
static uint64_t syndbg_in, syndbg_out;

static uint16_t syndbg_hypercall(void *opaque G_GNUC_UNUSED,
                                 HvVp *vp G_GNUC_UNUSED, uint16_t code,
                                 uint64_t ingpa, uint64_t outgpa)
{
    syndbg_calls++;
    syndbg_code = code;
    syndbg_in = ingpa;
    syndbg_out = outgpa;
    return 0x13;    /* HV_STATUS_NO_DATA, from the device */
}

static uint64_t syndbg_use_hcalls(void *opaque G_GNUC_UNUSED)
{
    return 1ull << 2;
}

static void test_syndbg_hypercalls(void)
{
    Fake *off = fake_new(F_SYNIC, 1);
    Fake *f = fake_new(F_SYNDBG, 1);
    static const uint16_t codes[] = {
        C_POST_DEBUG, C_RETRIEVE_DEBUG, C_RESET_DEBUG
    };
    int i;

    syndbg_calls = 0;
    for (i = 0; i < 3; i++) {
        /*
         * Without hv-syndbg: an unknown call (KVM), enforced or not
         */
        g_assert_cmphex(call64(off, CTL(codes[i], 0, 0, 0, 0), IN, IN + 8),
                        ==, RES(S_CODE, 0));
        off->part.enforce_cpuid = true;
        g_assert_cmphex(call64(off, CTL(codes[i], 0, 0, 0, 0), IN, IN + 8),
                        ==, RES(S_CODE, 0));
        off->part.enforce_cpuid = false;
        /* The guest cleared USE_HCALLS (or the host never offered it) */
        g_assert_cmphex(call64(f, CTL(codes[i], 0, 0, 0, 0), IN, IN + 8),
                        ==, RES(S_OP_DENIED, 0));
    }
    f->ops.syndbg_options = syndbg_use_hcalls;
    hv_partition_reset(&f->part, &f->ops);
    /* No debugger device */
    g_assert_cmphex(call64(f, CTL(C_POST_DEBUG, 0, 0, 0, 0), IN, IN + 8),
                    ==, RES(S_CODE, 0));
    f->ops.syndbg_hypercall = syndbg_hypercall;
    for (i = 0; i < 3; i++) {
        g_assert_cmphex(call64(f, CTL(codes[i], 0, 0, 0, 0), IN, IN + 0x808),
                        ==, RES(0x13, 0));
        g_assert_cmpuint(syndbg_calls, ==, i + 1);
        g_assert_cmphex(syndbg_code, ==, codes[i]);
        check_hex64("input GPA", syndbg_in, IN);
        check_hex64("output GPA", syndbg_out, IN + 0x808);
    }
    /* Fast post/retrieve: invalid parameter; reset takes no input */
    g_assert_cmphex(call64(f, CTL(C_POST_DEBUG, 1, 0, 0, 0), 1, 2),
                    ==, RES(S_PARAMETER, 0));
    g_assert_cmphex(call64(f, CTL(C_RETRIEVE_DEBUG, 1, 0, 0, 0), 1, 2),
                    ==, RES(S_PARAMETER, 0));
    g_assert_cmpuint(syndbg_calls, ==, 3);
    g_assert_cmphex(call64(f, CTL(C_RESET_DEBUG, 1, 0, 0, 0), 1, 2),
                    ==, RES(0x13, 0));
    g_assert_cmpuint(syndbg_calls, ==, 4);
    /* Not rep calls */
    g_assert_cmphex(call64(f, CTL(C_POST_DEBUG, 0, 0, 1, 0), IN, IN + 8),
                    ==, RES(S_INPUT, 0));
    g_assert_cmpuint(syndbg_calls, ==, 4);
    fake_free(f);
    fake_free(off);
}

int main(int argc, char **argv)
{
    hv_unit_init(&argc, &argv);

    g_test_add_func("/hypercall/dispatch/cpl", test_cpl);
    g_test_add_func("/hypercall/dispatch/unknown-code", test_unknown_code);
    g_test_add_func("/hypercall/dispatch/reserved-bits", test_reserved_bits);
    g_test_add_func("/hypercall/dispatch/access-denied", test_access_denied);
    g_test_add_func("/hypercall/dispatch/convention-64", test_convention_64);
    g_test_add_func("/hypercall/dispatch/convention-32", test_convention_32);
    g_test_add_func("/hypercall/long-spin-wait", test_long_spin_wait);
    g_test_add_func("/hypercall/privilege/unenforced", test_unenforced);
    g_test_add_func("/hypercall/flush/space", test_flush_space);
    g_test_add_func("/hypercall/flush/list", test_flush_list);
    g_test_add_func("/hypercall/flush/list-rep-start",
                    test_flush_list_rep_start);
    g_test_add_func("/hypercall/flush/rep-checks", test_flush_rep_checks);
    g_test_add_func("/hypercall/flush/alignment", test_flush_alignment);
    g_test_add_func("/hypercall/flush/ex-sparse", test_flush_ex_sparse);
    g_test_add_func("/hypercall/flush/ex-formats", test_flush_ex_formats);
    g_test_add_func("/hypercall/flush/list-ex", test_flush_list_ex);
    g_test_add_func("/hypercall/flush/ext-range", test_flush_ext_range);
    g_test_add_func("/hypercall/flush/sparse-vp-index", test_flush_sparse);
    g_test_add_func("/hypercall/flush/fast", test_flush_fast);
    g_test_add_func("/hypercall/ipi/simple", test_ipi);
    g_test_add_func("/hypercall/ipi/ex", test_ipi_ex);
    g_test_add_func("/hypercall/vp-set/parse", test_parse_vp_set);
    g_test_add_func("/hypercall/synic", test_synic_calls);
    g_test_add_func("/hypercall/post-message/input", test_post_message_input);
    g_test_add_func("/hypercall/random-input", test_random_input);
    g_test_add_func("/hypercall/syndbg", test_syndbg_hypercalls);

    return g_test_run();
}
