/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-badinput-test.c: a matrix of malformed hypercalls and
 * synthetic MSR writes, made by every vCPU at the same time, then
 * malformed hyperv-testdev commands from the BSP, then one good
 * hypercall of each kind to show that everything still works.
 *
 * Records (the qtest has the expected values):
 *   cpuN.hc.NAME     RAX of hypercall case NAME; fault of the call
 *   cpuN.msr.NAME    value before, value after the bad WRMSR, fault of
 *                    the RDMSR before (SX_FAULTED: read faulted); fault
 *                    of the bad WRMSR
 *   td.NAME          RAX of the call made after testdev command(s) NAME
 *   final.NAME       RAX of a good call after everything else
 */
#include "libguest.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define HVCALL_SPIN                     0x0008
#define HC_BIT(n)                       (1ull << (n))

#define BI_PAGE                         4096
#define BI_RAM_END                      0x04000000ull   /* -m 64 */
#define BI_VEC                          0x41
#define BI_FAULTED                      0xfa17fa17fa17fa17ull

/* hyperv-testdev */
#define TESTDEV_PORT                    0x3000
enum {
    TD_SINT_ROUTE_CREATE = 1,
    TD_SINT_ROUTE_DESTROY = 2,
    TD_SINT_ROUTE_SET_SINT = 3,
    TD_MSG_CONN_CREATE = 4,
    TD_MSG_CONN_DESTROY = 5,
    TD_EVT_CONN_CREATE = 6,
    TD_EVT_CONN_DESTROY = 7,
};
#define BI_MSG_CONN                     10
#define BI_EVT_CONN                     20
#define BI_UNKNOWN_CONN                 99
#define BI_MSG_SINT                     2
#define BI_EVT_SINT                     3

/* Synthetic MSRs */
#define MSR_HYPERCALL                   0x40000001
#define MSR_VP_INDEX                    0x40000002
#define MSR_RESET                       0x40000003
#define MSR_VP_RUNTIME                  0x40000010
#define MSR_TIME_REF_COUNT              0x40000020
#define MSR_REFERENCE_TSC               0x40000021
#define MSR_TSC_FREQUENCY               0x40000022
#define MSR_APIC_FREQUENCY              0x40000023
#define MSR_EOI                         0x40000070
#define MSR_APIC_ASSIST                 0x40000073
#define MSR_SCONTROL                    0x40000080
#define MSR_SVERSION                    0x40000081
#define MSR_SIEFP                       0x40000082
#define MSR_SIMP                        0x40000083
#define MSR_EOM                         0x40000084
#define MSR_SINT(n)                     (0x40000090 + (n))
#define MSR_STIMER0_CONFIG              0x400000b0
#define MSR_SYNDBG_CONTROL              0x400000f1
#define MSR_CRASH_CTL                   0x40000105
#define MSR_REENLIGHTENMENT             0x40000106
#define MSR_TSC_EMULATION_CONTROL       0x40000107

typedef struct BiCall {
    const char *name;
    uint64_t control;
    unsigned int n;             /* input words copied to the input */
    uint64_t in[8];
    uint32_t offset;            /* input GPA = page + offset ... */
    uint64_t gpa;               /* ... or this, when not 0 */
    uint32_t out_offset;        /* output GPA = page + this, when not 0 */
    bool fast;                  /* in[0] in RDX, in[1] in R8 */
    uint8_t self_word;          /* in[] word that gets 1 << VP, 0: none */
    uint16_t fill_banks;        /* words of 0 after in[], bank contents */
} BiCall;

/* Post message input: connection, type, size */
#define PM(conn, type, size)    { (conn) | (uint64_t)0 << 32, \
                                  (type) | (uint64_t)(size) << 32 }

static const BiCall bi_calls[] = {
    /* Unknown codes, reserved control bits */
    { "code0", 0 },
    { "code_0fff", 0x0fff },
    { "code_0fff_rsvd63", 0x0fff | HC_BIT(63) },

    /* HvFlushVirtualAddressSpace: space, flags, processor mask */
    { "fs_ok", HVCALL_FLUSH_SPACE, 3, { 0, 0, 0 }, .self_word = 2 },
    { "fs_align1", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 }, .offset = 1 },
    { "fs_align4", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 }, .offset = 4 },
    { "fs_cross", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 },
      .offset = BI_PAGE - 16 },
    { "fs_beyond_ram", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 },
      .gpa = BI_RAM_END + 0x100000 },
    { "fs_gpa_1t", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 }, .gpa = 1ull << 40 },
    { "fs_ram_end", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 },
      .gpa = BI_RAM_END - 16 },
    { "fs_out_align", HVCALL_FLUSH_SPACE, 3, { 0, 0, 1 }, .out_offset = 4 },
    { "fs_rep", HVCALL_FLUSH_SPACE | HC_REP_COUNT(1), 3, { 0, 0, 1 } },
    { "fs_rep_start", HVCALL_FLUSH_SPACE | HC_REP_START(1), 3,
      { 0, 0, 1 } },
    { "fs_varhead", HVCALL_FLUSH_SPACE | HC_VARHEAD(1), 4, { 0, 0, 1 } },
    { "fs_rsvd27", HVCALL_FLUSH_SPACE | HC_BIT(27), 3, { 0, 0, 1 } },
    { "fs_rsvd31", HVCALL_FLUSH_SPACE | HC_BIT(31), 3, { 0, 0, 1 } },
    { "fs_rsvd44", HVCALL_FLUSH_SPACE | HC_BIT(44), 3, { 0, 0, 1 } },
    { "fs_rsvd60", HVCALL_FLUSH_SPACE | HC_BIT(60), 3, { 0, 0, 1 } },
    { "fs_rsvd63", HVCALL_FLUSH_SPACE | HC_BIT(63), 3, { 0, 0, 1 } },
    { "fs_vp_beyond", HVCALL_FLUSH_SPACE, 3, { 0, 0, HC_BIT(63) } },
    { "fs_bad_flags", HVCALL_FLUSH_SPACE, 3, { 0, HC_BIT(3), 1 } },

    /* HvFlushVirtualAddressList: + GVA list (reps) */
    { "fl_ok", HVCALL_FLUSH_LIST | HC_REP_COUNT(2), 5,
      { 0, 0, 1, 0x100000, 0x200000 } },
    { "fl_rep0", HVCALL_FLUSH_LIST, 5, { 0, 0, 1, 0x100000, 0x200000 } },
    { "fl_start_eq", HVCALL_FLUSH_LIST | HC_REP_COUNT(2) | HC_REP_START(2),
      5, { 0, 0, 1, 0x100000, 0x200000 } },
    { "fl_start_gt", HVCALL_FLUSH_LIST | HC_REP_COUNT(1) | HC_REP_START(5),
      5, { 0, 0, 1, 0x100000, 0x200000 } },
    { "fl_start_max", HVCALL_FLUSH_LIST | HC_REP_COUNT(2) |
      HC_REP_START(0xfff), 5, { 0, 0, 1, 0x100000, 0x200000 } },
    { "fl_count_max", HVCALL_FLUSH_LIST | HC_REP_COUNT(0xfff), 5,
      { 0, 0, 1, 0x100000, 0x200000 } },
    { "fl_cross", HVCALL_FLUSH_LIST | HC_REP_COUNT(2), 5,
      { 0, 0, 1, 0x100000, 0x200000 }, .offset = BI_PAGE - 32 },
    { "fl_align", HVCALL_FLUSH_LIST | HC_REP_COUNT(2), 5,
      { 0, 0, 1, 0x100000, 0x200000 }, .offset = 4 },
    { "fl_beyond_ram", HVCALL_FLUSH_LIST | HC_REP_COUNT(1), 4,
      { 0, 0, 1, 0x100000 }, .gpa = BI_RAM_END + 0x100000 },
    { "fl_varhead", HVCALL_FLUSH_LIST | HC_REP_COUNT(1) | HC_VARHEAD(1), 5,
      { 0, 0, 1, 0, 0x100000 } },

    /* HvNotifyLongSpinWait: no input, so its GPA does not matter */
    { "spin_ok", HVCALL_SPIN },
    { "spin_gpa_align", HVCALL_SPIN, .gpa = 0x3 },
    { "spin_rep", HVCALL_SPIN | HC_REP_COUNT(1) },
    { "spin_varhead", HVCALL_SPIN | HC_VARHEAD(2) },
    { "spin_rsvd60", HVCALL_SPIN | HC_BIT(60) },

    /* HvCallSendSyntheticClusterIpi: vector, processor mask */
    { "ipi_ok", HVCALL_SEND_IPI, 2, { BI_VEC, 0 }, .self_word = 1 },
    { "ipi_fast_ok", HVCALL_SEND_IPI | HC_FAST, 2, { BI_VEC, 0 },
      .fast = true, .self_word = 1 },
    { "ipi_align", HVCALL_SEND_IPI, 2, { BI_VEC, 1 }, .offset = 4 },
    { "ipi_cross", HVCALL_SEND_IPI, 2, { BI_VEC, 1 }, .offset = BI_PAGE - 8 },
    { "ipi_beyond_ram", HVCALL_SEND_IPI, 2, { BI_VEC, 1 },
      .gpa = BI_RAM_END + 0x100000 },
    { "ipi_rep", HVCALL_SEND_IPI | HC_REP_COUNT(1), 2, { BI_VEC, 1 } },
    { "ipi_varhead", HVCALL_SEND_IPI | HC_VARHEAD(1), 3, { BI_VEC, 1 } },
    { "ipi_vec_0f", HVCALL_SEND_IPI, 2, { 0x0f, 1 } },
    { "ipi_vec_100", HVCALL_SEND_IPI, 2, { 0x100, 1 } },
    { "ipi_vtl1", HVCALL_SEND_IPI, 2, { BI_VEC | HC_BIT(32), 1 } },
    { "ipi_rsvd", HVCALL_SEND_IPI, 2, { BI_VEC | HC_BIT(40), 1 } },
    { "ipi_vp_beyond", HVCALL_SEND_IPI, 2, { BI_VEC, HC_BIT(63) } },
    { "ipi_fast_vec_0f", HVCALL_SEND_IPI | HC_FAST, 2, { 0x0f, 1 },
      .fast = true },

    /* HvFlushVirtualAddressSpaceEx: space, flags, HV_VP_SET */
    { "fsx_ok", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, 0, 1, 0 }, .self_word = 4 },
    { "fsx_all", HVCALL_FLUSH_SPACE_EX, 4, { 0, 0, 1, 0 } },
    { "fsx_format2", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, 2, 1, 1 } },
    { "fsx_format_big", HVCALL_FLUSH_SPACE_EX, 4, { 0, 0, HC_BIT(32), 0 } },
    { "fsx_var_short", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 6,
      { 0, 0, 0, 3, 1, 0 } },
    { "fsx_var_long", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(2), 6,
      { 0, 0, 0, 1, 1, 0 } },
    { "fsx_var_none", HVCALL_FLUSH_SPACE_EX, 5, { 0, 0, 0, 1, 1 } },
    /* All 64 banks, every VP index 0..4095: those beyond are ignored */
    { "fsx_banks64", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(64), 4,
      { 0, 0, 0, ~0ull }, .fill_banks = 64 },
    /* 65 bank words for the 64 banks ValidBanksMask can name */
    { "fsx_banks65", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(65), 4,
      { 0, 0, 0, ~0ull }, .fill_banks = 65 },
    { "fsx_far_bank", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, 0, HC_BIT(63), HC_BIT(63) } },
    { "fsx_align", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, 0, 1, 1 }, .offset = 4 },
    { "fsx_cross", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), 5,
      { 0, 0, 0, 1, 1 }, .offset = BI_PAGE - 24 },
    { "fsx_rep", HVCALL_FLUSH_SPACE_EX | HC_REP_COUNT(1), 5,
      { 0, 0, 1, 0, 0 } },
    { "fsx_fast_noxmm", HVCALL_FLUSH_SPACE_EX | HC_FAST, 2, { 0, 0 },
      .fast = true },

    /* HvFlushVirtualAddressListEx */
    { "flx_ok", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) | HC_REP_COUNT(1), 6,
      { 0, 0, 0, 1, 1, 0x100000 } },
    { "flx_rep0", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1), 6,
      { 0, 0, 0, 1, 1, 0x100000 } },
    { "flx_format2", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) | HC_REP_COUNT(1),
      6, { 0, 0, 2, 1, 1, 0x100000 } },
    { "flx_cross", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) | HC_REP_COUNT(2),
      7, { 0, 0, 0, 1, 1, 0x100000, 0x200000 }, .offset = BI_PAGE - 40 },
    { "flx_start_gt", HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) |
      HC_REP_COUNT(1) | HC_REP_START(2), 6, { 0, 0, 0, 1, 1, 0x100000 } },

    /* HvCallSendSyntheticClusterIpiEx: vector, HV_VP_SET */
    { "ipx_ok", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4, { BI_VEC, 0, 1, 0 },
      .self_word = 3 },
    { "ipx_format2", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { BI_VEC, 2, 1, 1 } },
    { "ipx_var_short", HVCALL_SEND_IPI_EX, 4, { BI_VEC, 0, 1, 1 } },
    { "ipx_banks65", HVCALL_SEND_IPI_EX | HC_VARHEAD(65), 3,
      { BI_VEC, 0, ~0ull }, .fill_banks = 65 },
    { "ipx_vec_0f", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { 0x0f, 0, 1, 1 } },
    { "ipx_far_bank", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { BI_VEC, 0, HC_BIT(63), HC_BIT(63) } },
    { "ipx_align", HVCALL_SEND_IPI_EX | HC_VARHEAD(1), 4,
      { BI_VEC, 0, 1, 1 }, .offset = 4 },
    { "ipx_rep", HVCALL_SEND_IPI_EX | HC_VARHEAD(1) | HC_REP_COUNT(1), 4,
      { BI_VEC, 0, 1, 1 } },

    /* HvPostMessage: connection, RsvdZ, type, size, payload */
    { "pm_unknown_conn", HVCALL_POST_MESSAGE, 2,
      PM(BI_UNKNOWN_CONN, 1, 8) },
    { "pm_size_241", HVCALL_POST_MESSAGE, 2, PM(BI_MSG_CONN, 1, 241) },
    { "pm_size_huge", HVCALL_POST_MESSAGE, 2,
      PM(BI_MSG_CONN, 1, 0xffffffffu) },
    { "pm_align4", HVCALL_POST_MESSAGE, 2, PM(BI_UNKNOWN_CONN, 1, 8),
      .offset = 4 },
    { "pm_align2", HVCALL_POST_MESSAGE, 2, PM(BI_UNKNOWN_CONN, 1, 8),
      .offset = 2 },
    { "pm_cross", HVCALL_POST_MESSAGE, 2, PM(BI_UNKNOWN_CONN, 1, 8),
      .offset = BI_PAGE - 128 },
    { "pm_fast", HVCALL_POST_MESSAGE | HC_FAST, 2,
      PM(BI_UNKNOWN_CONN, 1, 8), .fast = true },
    { "pm_rep", HVCALL_POST_MESSAGE | HC_REP_COUNT(1), 2,
      PM(BI_UNKNOWN_CONN, 1, 8) },
    { "pm_varhead", HVCALL_POST_MESSAGE | HC_VARHEAD(1), 2,
      PM(BI_UNKNOWN_CONN, 1, 8) },
    { "pm_rsvd44", HVCALL_POST_MESSAGE | HC_BIT(44), 2,
      PM(BI_UNKNOWN_CONN, 1, 8) },

    /* HvSignalEvent: connection, flag number, RsvdZ */
    { "se_unknown_conn", HVCALL_SIGNAL_EVENT | HC_FAST, 1,
      { BI_UNKNOWN_CONN }, .fast = true },
    { "se_flag_number", HVCALL_SIGNAL_EVENT | HC_FAST, 1,
      { BI_EVT_CONN | HC_BIT(32) }, .fast = true },
    { "se_rsvd", HVCALL_SIGNAL_EVENT | HC_FAST, 1,
      { BI_EVT_CONN | HC_BIT(48) }, .fast = true },
    { "se_slow_unknown", HVCALL_SIGNAL_EVENT, 1, { BI_UNKNOWN_CONN } },
    { "se_slow_align", HVCALL_SIGNAL_EVENT, 1, { BI_UNKNOWN_CONN },
      .offset = 4 },
    { "se_rep", HVCALL_SIGNAL_EVENT | HC_FAST | HC_REP_COUNT(1), 1,
      { BI_EVT_CONN }, .fast = true },
    { "se_varhead", HVCALL_SIGNAL_EVENT | HC_FAST | HC_VARHEAD(1), 1,
      { BI_EVT_CONN }, .fast = true },
    { "se_ok", HVCALL_SIGNAL_EVENT | HC_FAST, 1, { BI_EVT_CONN },
      .fast = true },
};

typedef struct BiMsr {
    const char *name;
    uint32_t msr;
    uint64_t set;               /* bits OR-ed into the value read */
    bool partition;             /* partition-wide: CPU 0 only */
    bool set_only;              /* write @set alone, not OR-ed */
} BiMsr;

static const BiMsr bi_msrs[] = {
    { "hypercall_bit2", MSR_HYPERCALL, HC_BIT(2), true },
    { "hypercall_bit11", MSR_HYPERCALL, HC_BIT(11), true },
    { "reference_tsc_bit1", MSR_REFERENCE_TSC, HC_BIT(1), true },
    { "reset_bit1", MSR_RESET, HC_BIT(1), true },
    { "vp_index_same", MSR_VP_INDEX, 0 },
    { "vp_index_other", MSR_VP_INDEX, HC_BIT(5) },
    { "vp_runtime", MSR_VP_RUNTIME, HC_BIT(40) },
    { "time_ref_count", MSR_TIME_REF_COUNT, HC_BIT(50) },
    { "tsc_frequency", MSR_TSC_FREQUENCY, HC_BIT(0) },
    { "apic_frequency", MSR_APIC_FREQUENCY, HC_BIT(0) },
    { "apic_assist_bit1", MSR_APIC_ASSIST, HC_BIT(1) },
    { "scontrol_bit1", MSR_SCONTROL, HC_BIT(1) },
    { "scontrol_bit63", MSR_SCONTROL, HC_BIT(63) },
    { "sversion", MSR_SVERSION, HC_BIT(4) },
    { "siefp_bit1", MSR_SIEFP, HC_BIT(1) },
    { "simp_bit11", MSR_SIMP, HC_BIT(11) },
    { "eom_value", MSR_EOM, 0x1234 },
    { "sint4_bit19", MSR_SINT(4), HC_BIT(19) },
    { "sint4_bit63", MSR_SINT(4), HC_BIT(63) },
    { "stimer0_bit13", MSR_STIMER0_CONFIG, HC_BIT(13) },
    { "stimer0_bit20", MSR_STIMER0_CONFIG, HC_BIT(20) },
    { "stimer0_direct", MSR_STIMER0_CONFIG, HC_BIT(12) },
    { "syndbg_control", MSR_SYNDBG_CONTROL, HC_BIT(0) },
    /* Alone: with CrashNotify (what reads give) it would be a crash */
    { "crash_ctl_bit0", MSR_CRASH_CTL, HC_BIT(0), true, .set_only = true },
    { "reenlightenment_bit8", MSR_REENLIGHTENMENT, HC_BIT(8), true },
    { "tsc_emulation_bit1", MSR_TSC_EMULATION_CONTROL, HC_BIT(1), true },
};

/* Each CPU's two input pages */
static uint8_t *bi_pages[GUEST_MAX_CPUS];
static volatile uint32_t bi_ipis[GUEST_MAX_CPUS];  /* by the handler */
static volatile uint8_t *bi_simp0;                  /* QEMU's page */
static bool bi_synic;

static void bi_ipi(GuestIrqFrame *frame)
{
    bi_ipis[cpu_index()]++;
}

static void bi_sint(GuestIrqFrame *frame)
{
}

static void testdev(uint8_t op, uint8_t vp, uint8_t sint, uint8_t conn)
{
    outl(TESTDEV_PORT, sint | (uint32_t)vp << 8 | (uint32_t)op << 16 |
         (uint32_t)conn << 24);
}

static void bi_setup(void)
{
    unsigned int i;

    bi_synic = cmdline_get_u64("synic", 1);
    record(hv_hypercall_enable(), 0, NULL, "hc.enable");
    if (!hv_hypercall_page) {
        guest_abort("no hypercall page");
    }
    for (i = 0; i < nr_cpus(); i++) {
        bi_pages[i] = alloc_pages(2);
    }
    irq_set_handler(BI_VEC, bi_ipi, 0);
    irq_set_handler(0x60 + BI_MSG_SINT, bi_sint, 0);
    irq_set_handler(0x60 + BI_EVT_SINT, bi_sint, 0);
    if (bi_synic) {
        bi_simp0 = alloc_pages(1);
        wrmsr(MSR_SIMP, (uintptr_t)bi_simp0 | 1);
        wrmsr(MSR_SIEFP, (uintptr_t)alloc_pages(1) | 1);
        wrmsr(MSR_SCONTROL, 1);
        wrmsr(MSR_SINT(BI_MSG_SINT), 0x60 + BI_MSG_SINT);
        wrmsr(MSR_SINT(BI_EVT_SINT), 0x60 + BI_EVT_SINT);
        testdev(TD_MSG_CONN_CREATE, 0, BI_MSG_SINT, BI_MSG_CONN);
        testdev(TD_EVT_CONN_CREATE, 0, BI_EVT_SINT, BI_EVT_CONN);
    }
}

static void bi_call(unsigned int cpu, const BiCall *c)
{
    uint8_t *page = bi_pages[cpu];
    uint64_t in[8], rax = 0, gpa, out = 0;
    uint8_t fault;

    memcpy(in, c->in, sizeof(in));
    if (c->self_word) {
        in[c->self_word] |= 1ull << cpu;
    }
    if (c->fast) {
        fault = hv_call(c->control, in[0], in[1], &rax);
    } else {
        memset(page, 0, 2 * BI_PAGE);
        gpa = c->gpa ? c->gpa : (uintptr_t)page + c->offset;
        if (!c->gpa) {
            memcpy(page + c->offset, in, c->n * 8);
        }
        if (c->out_offset) {
            out = (uintptr_t)page + BI_PAGE + c->out_offset;
        }
        fault = hv_call(c->control, gpa, out, &rax);
    }
    record(fault, 1, &rax, "cpu%u.hc.%s", cpu, c->name);
}

static void bi_msr(unsigned int cpu, const BiMsr *m)
{
    uint64_t v[3];
    uint8_t fault_rd, fault;

    fault_rd = rdmsr_safe(m->msr, &v[0]);
    if (fault_rd != HV_GUEST_FAULT_NONE) {
        v[0] = BI_FAULTED;
    }
    fault = wrmsr_safe(m->msr, (fault_rd == HV_GUEST_FAULT_NONE &&
                                !m->set_only ? v[0] : 0) | m->set);
    if (rdmsr_safe(m->msr, &v[1]) != HV_GUEST_FAULT_NONE) {
        v[1] = BI_FAULTED;
    }
    v[2] = fault_rd;
    record(fault, 3, v, "cpu%u.msr.%s", cpu, m->name);
}

static void bi_cpu(unsigned int cpu)
{
    unsigned int i;

    smp_barrier();
    irq_enable();
    for (i = 0; i < ARRAY_SIZE(bi_calls); i++) {
        bi_call(cpu, &bi_calls[i]);
    }
    for (i = 0; i < ARRAY_SIZE(bi_msrs); i++) {
        if (!bi_msrs[i].partition || cpu == 0) {
            bi_msr(cpu, &bi_msrs[i]);
        }
    }
    udelay(10000);
    smp_barrier();
    irq_disable();
}

static uint64_t bi_post(uint32_t conn)
{
    uint64_t *in = (uint64_t *)bi_pages[0], rax = 0;

    memset(in, 0, 256);
    in[0] = conn;
    in[1] = 1 | 8ull << 32;
    in[2] = 0x1111;
    if (hv_call(HVCALL_POST_MESSAGE, (uintptr_t)in, 0, &rax) !=
        HV_GUEST_FAULT_NONE) {
        rax = BI_FAULTED;
    }
    return rax;
}

static uint64_t bi_signal(uint32_t conn)
{
    uint64_t rax = 0;

    if (hv_call(HVCALL_SIGNAL_EVENT | HC_FAST, conn, 0, &rax) !=
        HV_GUEST_FAULT_NONE) {
        rax = BI_FAULTED;
    }
    return rax;
}

static void td_record(uint64_t rax, const char *name)
{
    record(HV_GUEST_FAULT_NONE, 1, &rax, "td.%s", name);
}

/* Empties VP 0's message slot (the testdev posts there) */
static void bi_slot_clear(void)
{
    volatile uint32_t *type = (volatile uint32_t *)     /* QEMU's page */
        (bi_simp0 + BI_MSG_SINT * 256);

    udelay(20000);
    *type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wrmsr(MSR_EOM, 0);
    udelay(20000);
}

/* Malformed hyperv-testdev commands, then good calls */
static void bi_finish(void)
{
    uint64_t rax, in[3] = { 0, 0, 1 };
    unsigned int i;

    if (bi_synic) {
        irq_enable();
        /* SINT routes to SINTs and VPs that do not exist, raised */
        testdev(TD_SINT_ROUTE_CREATE, 0, 16, 0);
        testdev(TD_SINT_ROUTE_CREATE, 0, 255, 0);
        testdev(TD_SINT_ROUTE_CREATE, 200, 1, 0);
        testdev(TD_SINT_ROUTE_SET_SINT, 0, 16, 0);
        testdev(TD_SINT_ROUTE_SET_SINT, 200, 1, 0);
        testdev(TD_SINT_ROUTE_DESTROY, 0, 255, 0);
        testdev(TD_SINT_ROUTE_DESTROY, 7, 7, 0);
        /* Unknown commands */
        testdev(0, 0, 0, 0);
        testdev(0xff, 0xff, 0xff, 0xff);
        td_record(bi_signal(BI_EVT_CONN), "routes");

        /* Connections for a VP / SINT that do not exist: none made */
        testdev(TD_MSG_CONN_CREATE, 200, BI_MSG_SINT, 30);
        testdev(TD_MSG_CONN_CREATE, 0, 16, 31);
        testdev(TD_EVT_CONN_CREATE, 200, BI_EVT_SINT, 32);
        testdev(TD_EVT_CONN_CREATE, 0, 200, 33);
        td_record(bi_post(30), "msg_conn_bad_vp");
        td_record(bi_post(31), "msg_conn_bad_sint");
        td_record(bi_signal(32), "evt_conn_bad_vp");
        td_record(bi_signal(33), "evt_conn_bad_sint");

        /* The same connection twice: the first one stays */
        testdev(TD_MSG_CONN_CREATE, 0, BI_MSG_SINT, BI_MSG_CONN);
        testdev(TD_EVT_CONN_CREATE, 0, BI_EVT_SINT, BI_EVT_CONN);
        td_record(bi_post(BI_MSG_CONN), "msg_conn_twice");
        bi_slot_clear();
        td_record(bi_signal(BI_EVT_CONN), "evt_conn_twice");

        /* Destroying what does not exist, twice what does */
        testdev(TD_MSG_CONN_DESTROY, 0, 0, 77);
        testdev(TD_EVT_CONN_DESTROY, 0, 0, 77);
        testdev(TD_MSG_CONN_CREATE, 0, BI_MSG_SINT, 40);
        testdev(TD_EVT_CONN_CREATE, 0, BI_EVT_SINT, 41);
        testdev(TD_MSG_CONN_DESTROY, 0, 0, 40);
        testdev(TD_MSG_CONN_DESTROY, 0, 0, 40);
        testdev(TD_EVT_CONN_DESTROY, 0, 0, 41);
        testdev(TD_EVT_CONN_DESTROY, 0, 0, 41);
        td_record(bi_post(40), "msg_destroyed");
        td_record(bi_signal(41), "evt_destroyed");

        /* Create / destroy over and over, then once more created */
        for (i = 0; i < 200; i++) {
            testdev(TD_MSG_CONN_CREATE, i % nr_cpus(), BI_MSG_SINT, 50);
            testdev(TD_EVT_CONN_CREATE, i % nr_cpus(), BI_EVT_SINT, 51);
            testdev(TD_SINT_ROUTE_CREATE, 0, 5, 0);
            testdev(TD_MSG_CONN_DESTROY, 0, 0, 50);
            testdev(TD_EVT_CONN_DESTROY, 0, 0, 51);
            testdev(TD_SINT_ROUTE_DESTROY, 0, 5, 0);
        }
        td_record(bi_post(50), "msg_churn");
        testdev(TD_MSG_CONN_CREATE, 0, BI_MSG_SINT, 50);
        testdev(TD_EVT_CONN_CREATE, 0, BI_EVT_SINT, 51);
        td_record(bi_post(50), "msg_recreated");
        bi_slot_clear();
        td_record(bi_signal(51), "evt_recreated");
        udelay(20000);
        irq_disable();
    }

    /* Still working: a good call of each kind */
    memcpy(bi_pages[0], in, sizeof(in));
    rax = 0;
    hv_call(HVCALL_FLUSH_SPACE, (uintptr_t)bi_pages[0], 0, &rax);
    record(HV_GUEST_FAULT_NONE, 1, &rax, "final.flush");
    rax = 0;
    hv_call(HVCALL_SEND_IPI | HC_FAST, BI_VEC, 1, &rax);
    record(HV_GUEST_FAULT_NONE, 1, &rax, "final.ipi");
    if (bi_synic) {
        rax = bi_signal(BI_EVT_CONN);
        record(HV_GUEST_FAULT_NONE, 1, &rax, "final.signal");
    }
    irq_enable();
    udelay(10000);
    irq_disable();
}

GUEST_TEST(bad_input,
    .name = "bad-input",
    .description = "malformed hypercalls, MSR writes and testdev commands",
    .setup = bi_setup,
    .cpu_fn = bi_cpu,
    .finish = bi_finish,
);
