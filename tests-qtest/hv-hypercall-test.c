/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: Hyper-V hypercalls under TCG, made by a guest through the
 * hypercall page.
 *
 * Guest tests in guest/tests-hypercall.c.  Expected status codes are the
 * TLFS's (appendix "Hypercall Status Codes"); where the TLFS leaves a
 * choice, KVM's kvm_hv_hypercall() is the reference.
 */

#include "qemu/osdep.h"
#include "hv-harness.h"

#define VEC_UD                  6
#define VEC_GP                  13

/* TLFS status codes */
#define HV_STATUS_SUCCESS                   0
#define HV_STATUS_INVALID_HYPERCALL_CODE    2
#define HV_STATUS_INVALID_HYPERCALL_INPUT   3
#define HV_STATUS_INVALID_ALIGNMENT         4
#define HV_STATUS_INVALID_PARAMETER         5
#define HV_STATUS_ACCESS_DENIED             6
#define HV_STATUS_INVALID_CONNECTION_ID     18

/* RAX of a rep hypercall: status, reps completed in bits 43:32 */
#define REPS(status, n)         ((uint64_t)(status) | (uint64_t)(n) << 32)

/* guest/tests-hypercall.c */
#define FLUSH_PAGE_A            0xa0a0a0a0a0a0a0a0ull
#define FLUSH_PAGE_B            0xb0b0b0b0b0b0b0b0ull

#define AMD_CPU                 "qemu64"
#define INTEL_CPU               "qemu64,vendor=GenuineIntel"

/* -accel for the next boot(); NULL: the harness's default (MTTCG) */
static const char *boot_accel;

static HvGuest *boot(const char *cpu, int smp, const char *test,
                     const char *guest_args, const char *qemu_args)
{
    HvGuestOptions opts = {
        .accel = boot_accel,
        .cpu = cpu,
        .smp = smp,
        .test = test,
        .guest_args = guest_args,
        .qemu_args = qemu_args,
    };
    HvGuest *g = hv_guest_start_opts(&opts);

    hv_assert_guest_passed(g);
    hv_assert_no_fault(g, "cpu0.hc.enable");
    return g;
}

/* Call @name returned @rax and did not fault */
static void check_call(HvGuest *g, const char *prefix, const char *name,
                       uint64_t rax)
{
    hv_assert_no_fault(g, "cpu0.%s.%s", prefix, name);
    hv_assert_value(g, 0, rax, "cpu0.%s.%s", prefix, name);
}

/* ---- Dispatcher -------------------------------------------------------- */

static void test_basic_spinlocks(void)
{
    static const char *const rsvd[] = {
        "spin_rsvd27", "spin_rsvd30", "spin_rsvd44", "spin_rsvd47",
        "spin_rsvd60", "spin_rsvd63",
    };
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-relaxed,hv-spinlocks=0xfff", 1,
                                "hc-basic", NULL, NULL);
    int i;

    check_call(g, "hc", "undefined", HV_STATUS_INVALID_HYPERCALL_CODE);
    check_call(g, "hc", "code0", HV_STATUS_INVALID_HYPERCALL_CODE);
    /* The guest was told to notify: HvNotifyLongSpinWait is allowed */
    check_call(g, "hc", "spin", HV_STATUS_SUCCESS);
    check_call(g, "hc", "spin_fast", HV_STATUS_SUCCESS);
    /* Control bits 30:27, 47:44 and 63:60 are reserved */
    for (i = 0; i < G_N_ELEMENTS(rsvd); i++) {
        check_call(g, "hc", rsvd[i], HV_STATUS_INVALID_HYPERCALL_INPUT);
    }
    /* A simple call has no rep count and no variable header */
    check_call(g, "hc", "spin_rep", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "hc", "spin_varhdr", HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* The guest's own instruction (AMD: VMMCALL) */
    check_call(g, "hc", "vmmcall", HV_STATUS_INVALID_HYPERCALL_CODE);
}

static void test_basic_intel(void)
{
    g_autoptr(HvGuest) g = boot(INTEL_CPU ",hv-relaxed,hv-spinlocks=0xfff",
                                1, "hc-basic", NULL, NULL);

    check_call(g, "hc", "undefined", HV_STATUS_INVALID_HYPERCALL_CODE);
    check_call(g, "hc", "spin", HV_STATUS_SUCCESS);
    check_call(g, "hc", "vmcall", HV_STATUS_INVALID_HYPERCALL_CODE);
}

/*
 * Without a spinlock retry count the guest may not notify, when
 * hv-enforce-cpuid says so (KVM's hv_check_hypercall_access())
 */
static void test_basic_no_spinlocks(const void *opaque)
{
    const char *cpu = opaque;
    g_autofree char *enforced = g_strdup_printf("%s,hv-enforce-cpuid=on",
                                                cpu);
    g_autoptr(HvGuest) g = boot(enforced, 1, "hc-basic", NULL, NULL);
    g_autoptr(HvGuest) u = NULL;

    check_call(g, "hc", "undefined", HV_STATUS_INVALID_HYPERCALL_CODE);
    check_call(g, "hc", "spin", HV_STATUS_ACCESS_DENIED);
    check_call(g, "hc", "spin_fast", HV_STATUS_ACCESS_DENIED);

    /* QEMU's default: KVM checks nothing, the call is a plain yield */
    u = boot(cpu, 1, "hc-basic", NULL, NULL);
    check_call(u, "hc", "spin", HV_STATUS_SUCCESS);
    check_call(u, "hc", "spin_fast", HV_STATUS_SUCCESS);
}

/* ---- Which hypercalls the partition may make -------------------------- */

typedef struct AccessCase {
    const char *name;
    const char *cpu;
    bool tlbflush, ipi, spin, synic;
    /* hv-enforce-cpuid=off, QEMU's default: no call is denied */
    bool unenforced;
} AccessCase;

static const AccessCase access_cases[] = {
    { "vpindex", AMD_CPU ",hv-vpindex" },
    { "tlbflush", AMD_CPU ",hv-vpindex,hv-tlbflush", .tlbflush = true },
    { "ipi", AMD_CPU ",hv-vpindex,hv-ipi", .ipi = true },
    /*
     * hv-synic: the SynIC calls are allowed; connection 0 does not exist
     */
    { "synic", AMD_CPU ",hv-vpindex,hv-synic", .synic = true },
    { "all", AMD_CPU ",hv-vpindex,hv-tlbflush,hv-ipi,hv-spinlocks=0x1000",
      .tlbflush = true, .ipi = true, .spin = true },
    { "unenforced-vpindex", AMD_CPU ",hv-vpindex", .unenforced = true },
    { "unenforced-synic", AMD_CPU ",hv-vpindex,hv-synic", .synic = true,
      .unenforced = true },
};

static void test_access(const void *opaque)
{
    const AccessCase *c = opaque;
    g_autofree char *cpu = c->unenforced ? g_strdup(c->cpu) :
                           g_strdup_printf("%s,hv-enforce-cpuid=on", c->cpu);
    g_autoptr(HvGuest) g = boot(cpu, 1, "hc-access", NULL, NULL);
    uint64_t denied = HV_STATUS_ACCESS_DENIED;
    /*
     * Not enforcing, KVM runs every call; the SynIC ones fail as they do
     * without an active SynIC
     */
    bool all = c->unenforced;
    uint64_t no_synic = c->unenforced ? HV_STATUS_INVALID_HYPERCALL_INPUT
                                      : denied;

    check_call(g, "hc", "flush_space", c->tlbflush || all ? 0 : denied);
    check_call(g, "hc", "flush_list",
               c->tlbflush || all ? REPS(0, 1) : denied);
    check_call(g, "hc", "flush_space_ex", c->tlbflush || all ? 0 : denied);
    check_call(g, "hc", "flush_list_ex",
               c->tlbflush || all ? REPS(0, 1) : denied);
    check_call(g, "hc", "send_ipi", c->ipi || all ? 0 : denied);
    check_call(g, "hc", "send_ipi_ex", c->ipi || all ? 0 : denied);
    check_call(g, "hc", "spin", c->spin || all ? 0 : denied);
    check_call(g, "hc", "post_message",
               c->synic ? HV_STATUS_INVALID_CONNECTION_ID : no_synic);
    check_call(g, "hc", "signal_event",
               c->synic ? HV_STATUS_INVALID_CONNECTION_ID : no_synic);
}

/* ---- PV TLB flush ------------------------------------------------------ */

typedef struct FlushExpect {
    const char *name;
    uint64_t rax;
    bool xmm, ext, self;
} FlushExpect;

static const FlushExpect flush_expect[] = {
    { "control", 0 },
    { "space", 0 },
    { "space_all", 0 },
    { "list", REPS(0, 1) },
    /* Reps from the start index on; all of them complete */
    { "list_rep_start", REPS(0, 2) },
    { "space_ex", 0 },
    { "space_ex_all", 0 },
    { "list_ex", REPS(0, 1) },
    { "list_ex_all", REPS(0, 1) },
    { "list_ext_range", REPS(0, 1), .ext = true },
    { "space_fast", 0, .xmm = true },
    { "space_ex_fast", 0, .xmm = true },
    { "list_ex_fast", REPS(0, 1), .xmm = true },
    { "self_space", 0, .self = true },
    { "self_list_ex", REPS(0, 1), .self = true },
    { "self_space_ex_all", 0, .self = true },
};

typedef struct FlushCase {
    const char *name;
    const char *cpu;
    int smp;
    bool xmm, ext;
    const char *accel;
} FlushCase;

static const FlushCase flush_cases[] = {
    { "amd-xmm-ext", AMD_CPU ",hv-vpindex,hv-tlbflush,hv-tlbflush-ext,"
      "hv-xmm-input", 2, .xmm = true, .ext = true },
    { "intel", INTEL_CPU ",hv-vpindex,hv-tlbflush", 3 },
    /* All vCPUs on one thread: the flush of another vCPU is immediate */
    { "single-thread", AMD_CPU ",hv-vpindex,hv-tlbflush", 2,
      .accel = "tcg,thread=single" },
};

static void test_flush(const void *opaque)
{
    const FlushCase *c = opaque;
    g_autofree char *args = g_strdup_printf("xmm=%d ext=%d", c->xmm, c->ext);
    g_autoptr(HvGuest) g = NULL;
    int i, stale = 0, rounds = 0;

    boot_accel = c->accel;
    g = boot(c->cpu, c->smp, "hc-flush", args, NULL);
    boot_accel = NULL;

    for (i = 0; i < G_N_ELEMENTS(flush_expect); i++) {
        const FlushExpect *e = &flush_expect[i];
        const HvGuestRecord *r;
        uint64_t first;

        if ((e->xmm && !c->xmm) || (e->ext && !c->ext)) {
            g_assert_null(hv_guest_findf(g, "cpu0.flush.%s", e->name));
            continue;
        }
        check_call(g, "flush", e->name, e->rax);
        r = hv_assert_record(g, "cpu0.flush.%s", e->name);
        if (!r) {
            continue;
        }
        first = r->values[1];
        /* The first read saw the old page... */
        if (first != FLUSH_PAGE_A && first != FLUSH_PAGE_B) {
            hv_fail(g, "flush round %s: first read 0x%" PRIx64, e->name,
                    first);
        }
        if (i == 0) {
            /* The control: a flush of another VP leaves CPU 1 stale */
            hv_assert_value(g, 3, first, "cpu0.flush.%s", e->name);
            continue;
        }
        /* ...the one after the flush must see the new one */
        hv_assert_value(g, 3, first == FLUSH_PAGE_A ? FLUSH_PAGE_B
                                                    : FLUSH_PAGE_A,
                        "cpu0.flush.%s", e->name);
        rounds++;
        stale += r->values[2] == first;
        g_test_message("round %s: before the flush %s", e->name,
                       r->values[2] == first ? "stale (cached)" : "fresh");
    }
    /*
     * TCG keeps translations until it is told to drop them: if no read
     * came back stale, the test did not show that the flush did anything.
     */
    g_assert_cmpint(stale, >, 0);
    g_test_message("%d of %d rounds had a stale translation to flush",
                   stale, rounds);
}

/* ---- Malformed input --------------------------------------------------- */

enum {
    BAD_INPUT_PLAIN,            /* no hv-xmm-input, hv-enforce-cpuid=on */
    BAD_INPUT_FULL,             /* hv-xmm-input, hv-tlbflush-ext */
    BAD_INPUT_UNENFORCED,       /* no hv-xmm-input, QEMU's default */
};

static void test_bad_input(const void *opaque)
{
    int mode = GPOINTER_TO_INT(opaque);
    bool full = mode == BAD_INPUT_FULL;
    g_autoptr(HvGuest) g =
        boot(full ? AMD_CPU ",hv-vpindex,hv-tlbflush,hv-tlbflush-ext,"
                    "hv-ipi,hv-xmm-input"
                  : mode == BAD_INPUT_PLAIN ?
                    INTEL_CPU ",hv-vpindex,hv-tlbflush,hv-ipi,"
                    "hv-enforce-cpuid=on"
                  : INTEL_CPU ",hv-vpindex,hv-tlbflush,hv-ipi",
             1, "hc-bad-input", NULL, NULL);

    /* Input must be 8-byte aligned and within one page */
    check_call(g, "bad", "misaligned", HV_STATUS_INVALID_ALIGNMENT);
    check_call(g, "bad", "cross_page", HV_STATUS_INVALID_ALIGNMENT);
    check_call(g, "bad", "list_cross_page", HV_STATUS_INVALID_ALIGNMENT);
    /* ...and in RAM */
    check_call(g, "bad", "above_ram", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "ioapic", HV_STATUS_INVALID_HYPERCALL_INPUT);

    /* Rep calls need 0 <= rep start < rep count; others no rep fields */
    check_call(g, "bad", "list_rep0", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "list_start_eq", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "list_start_gt", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "list_partial", REPS(0, 3));
    check_call(g, "bad", "space_rep", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "ipi_rep", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "space_varhdr", HV_STATUS_INVALID_HYPERCALL_INPUT);

    /* The variable header holds exactly the banks of ValidBanksMask */
    check_call(g, "bad", "ex_var_short", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "ex_var_long", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "ex_var_none", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_call(g, "bad", "ipi_ex_var_short",
               HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* Only the sparse (0) and all (1) formats exist */
    check_call(g, "bad", "ex_format2", HV_STATUS_INVALID_PARAMETER);
    check_call(g, "bad", "ex_format_big", HV_STATUS_INVALID_PARAMETER);
    check_call(g, "bad", "ipi_ex_format2", HV_STATUS_INVALID_PARAMETER);
    /* VP 4095 does not exist: ignored */
    check_call(g, "bad", "ex_far_bank", HV_STATUS_SUCCESS);

    /* Extended GVA ranges only with hv-tlbflush-ext */
    check_call(g, "bad", "ext_range",
               full ? REPS(0, 1) : HV_STATUS_INVALID_PARAMETER);

    /*
     * XMM fast input without hv-xmm-input is #UD (TLFS; KVM with
     * hv-enforce-cpuid); KVM without enforcement takes the XMM input
     */
    if (mode != BAD_INPUT_PLAIN) {
        check_call(g, "bad", "fast_space", HV_STATUS_SUCCESS);
        /* More than RDX, R8 and XMM0-5 hold */
        check_call(g, "bad", "fast_too_long",
                   HV_STATUS_INVALID_HYPERCALL_INPUT);
    } else {
        hv_assert_fault(g, VEC_UD, "cpu0.bad.fast_space");
        hv_assert_fault(g, VEC_UD, "cpu0.bad.fast_too_long");
    }
    /* A fast IPI fits in RDX and R8: no XMM needed; vector 0x0f is bad */
    check_call(g, "bad", "fast_ipi", HV_STATUS_INVALID_HYPERCALL_INPUT);
}

/* ---- Synthetic cluster IPIs -------------------------------------------- */

typedef struct IpiExpect {
    const char *name;
    uint64_t rax;
    bool other;                 /* the other VP takes it */
    bool self;                  /* VP 0 takes it */
    bool all;                   /* every VP takes it */
    bool xmm;
} IpiExpect;

static const IpiExpect ipi_expect[] = {
    { "slow", 0, .other = true },
    { "slow_self", 0, .other = true, .self = true },
    { "fast", 0, .other = true },
    { "ex", 0, .other = true },
    { "ex_all", 0, .all = true },
    { "ex_fast", 0, .other = true, .xmm = true },
    /* VP indexes no VP has are ignored */
    { "beyond", 0, .other = true },
    { "beyond_only", 0 },
    { "ex_bank1_only", 0 },
    { "ex_two_banks", 0, .other = true },
    /* A fixed interrupt needs a vector in 0x10-0xff; VTL 0 only */
    { "vector_0f", HV_STATUS_INVALID_HYPERCALL_INPUT },
    { "vector_100", HV_STATUS_INVALID_HYPERCALL_INPUT },
    { "vtl1", HV_STATUS_INVALID_HYPERCALL_INPUT },
    { "fast_vtl1", HV_STATUS_INVALID_HYPERCALL_INPUT },
    { "rsvd_upper", HV_STATUS_INVALID_HYPERCALL_INPUT },
    { "ex_format2", HV_STATUS_INVALID_PARAMETER },
};

typedef struct IpiCase {
    const char *name;
    const char *cpu;
    int smp;
    int other_vp;
    bool xmm;
    const char *qemu_args;
    const char *accel;
} IpiCase;

static const IpiCase ipi_cases[] = {
    { "amd-xmm", AMD_CPU ",hv-vpindex,hv-ipi,hv-xmm-input", 2, 1, true },
    { "intel-smp3", INTEL_CPU ",hv-vpindex,hv-ipi", 3, 2 },
    /* Two sockets of three cores: VP 4 has APIC ID 5 */
    { "topology", AMD_CPU ",hv-vpindex,hv-ipi", 6, 4, false,
      "-smp 6,sockets=2,cores=3,threads=1" },
    { "single-thread", AMD_CPU ",hv-vpindex,hv-ipi", 2, 1,
      .accel = "tcg,thread=single" },
};

static void test_ipi(const void *opaque)
{
    const IpiCase *c = opaque;
    g_autofree char *args = g_strdup_printf("vp=%d xmm=%d", c->other_vp,
                                            c->xmm);
    g_autoptr(HvGuest) g = NULL;
    int i, cpu;

    boot_accel = c->accel;
    g = boot(c->cpu, c->smp, "hc-ipi", args, c->qemu_args);
    boot_accel = NULL;

    for (i = 0; i < G_N_ELEMENTS(ipi_expect); i++) {
        const IpiExpect *e = &ipi_expect[i];

        if (e->xmm && !c->xmm) {
            continue;
        }
        check_call(g, "ipi", e->name, e->rax);
        for (cpu = 0; cpu < c->smp; cpu++) {
            bool taken = e->all || (e->other && cpu == c->other_vp) ||
                         (e->self && cpu == 0);

            hv_assert_value(g, 0, taken, "cpu%d.ipi_taken.%s", cpu,
                            e->name);
        }
    }
}

/* ---- The 32-bit calling convention ----------------------------------- */

static void test_32bit(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-vpindex,hv-tlbflush,hv-ipi", 1,
                                "hc-32bit", NULL, NULL);

    /* Values: EAX, EDX; the result is EDX:EAX */
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_CODE,
                    "cpu0.hc32.undefined");
    hv_assert_value(g, 1, 0, "cpu0.hc32.undefined");
    /* The rep count travels in EDX, and so do the reps completed */
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "cpu0.hc32.flush_list");
    hv_assert_value(g, 1, 1, "cpu0.hc32.flush_list");
    /* EBX is the upper half of the input GPA: 4 GiB up is no RAM here */
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_INPUT,
                    "cpu0.hc32.input_high");
    hv_assert_value(g, 1, 0, "cpu0.hc32.input_high");
    /* Fast input in EBX:ECX and EDI:ESI */
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "cpu0.hc32.fast_ipi");
    hv_assert_value(g, 1, 0, "cpu0.hc32.fast_ipi");
    hv_assert_value(g, 0, 1, "cpu0.hc32.ipi_taken");
}

/* ---- Privilege --------------------------------------------------------- */

static void test_cpl3(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-relaxed", 1, "hc-cpl3", NULL,
                                NULL);

    /* The control: user mode was reached, where HLT is #GP(0) */
    hv_assert_fault(g, VEC_GP, "cpu0.cpl3.hlt");
    /* TLFS: hypercalls from CPL > 0 raise #UD */
    hv_assert_fault(g, VEC_UD, "cpu0.cpl3.vmcall");
    hv_assert_fault(g, VEC_UD, "cpu0.cpl3.vmmcall");
    hv_assert_fault(g, VEC_UD, "cpu0.cpl3.page");
    check_call(g, "cpl3", "cpl0_after", HV_STATUS_INVALID_HYPERCALL_CODE);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    /* One failing check must not hide the others */
    g_test_set_nonfatal_assertions();

    qtest_add_func("/hyperv/hypercall/basic/spinlocks",
                   test_basic_spinlocks);
    qtest_add_func("/hyperv/hypercall/basic/intel", test_basic_intel);
    qtest_add_data_func("/hyperv/hypercall/basic/no-spinlocks",
                        AMD_CPU ",hv-relaxed", test_basic_no_spinlocks);
    qtest_add_data_func("/hyperv/hypercall/basic/spinlocks-never",
                        AMD_CPU ",hv-relaxed,hv-spinlocks=0xffffffff",
                        test_basic_no_spinlocks);
    for (i = 0; i < G_N_ELEMENTS(access_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/hypercall/access/%s",
                            access_cases[i].name);

        qtest_add_data_func(path, &access_cases[i], test_access);
    }
    for (i = 0; i < G_N_ELEMENTS(flush_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/hypercall/flush/%s",
                            flush_cases[i].name);

        qtest_add_data_func(path, &flush_cases[i], test_flush);
    }
    qtest_add_data_func("/hyperv/hypercall/bad-input/xmm-ext",
                        GINT_TO_POINTER(BAD_INPUT_FULL), test_bad_input);
    qtest_add_data_func("/hyperv/hypercall/bad-input/plain",
                        GINT_TO_POINTER(BAD_INPUT_PLAIN), test_bad_input);
    qtest_add_data_func("/hyperv/hypercall/bad-input/unenforced",
                        GINT_TO_POINTER(BAD_INPUT_UNENFORCED),
                        test_bad_input);
    for (i = 0; i < G_N_ELEMENTS(ipi_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/hypercall/ipi/%s", ipi_cases[i].name);

        qtest_add_data_func(path, &ipi_cases[i], test_ipi);
    }

    qtest_add_func("/hyperv/hypercall/32bit", test_32bit);
    qtest_add_func("/hyperv/hypercall/cpl3", test_cpl3);

    return g_test_run();
}
