/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the bad-input matrix.  Every hypercall the TCG backend
 * implements with misaligned, page-crossing and non-RAM input, bad rep
 * and variable header fields, reserved control bits, bad VP sets and
 * banks, unknown connections; every synthetic MSR written with reserved
 * bits (and read-only ones written at all), once with its feature exposed
 * and once without; hyperv-testdev commands with malformed fields.  All
 * vCPUs run the matrix at the same time, on 1 and on 4 vCPUs.  Each case
 * must get the exact TLFS status or #GP, and QEMU must keep running:
 * QMP query-status says "running" and good calls still work afterwards.
 *
 * Expected values: the TLFS ("Hypercall Interface", the hypercall pages,
 * HV_STATUS); where it leaves a choice, KVM's arch/x86/kvm/hyperv.c
 * (said so).  HvPostMessage / HvSignalEvent are answered by QEMU's
 * hw/hyperv under KVM and TCG alike; where that differs from the TLFS,
 * the comment says so.  Guest side: guest/tests-badinput.c.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "hv-harness.h"

#define VEC_UD                  6
#define VEC_GP                  13

#define S_SUCCESS               0
#define S_CODE                  2       /* INVALID_HYPERCALL_CODE */
#define S_INPUT                 3       /* INVALID_HYPERCALL_INPUT */
#define S_ALIGN                 4       /* INVALID_ALIGNMENT */
#define S_PARAM                 5       /* INVALID_PARAMETER */
#define S_DENIED                6       /* ACCESS_DENIED */
#define S_PORT                  17      /* INVALID_PORT_ID */
#define S_CONN                  18      /* INVALID_CONNECTION_ID */
#define REPS(status, n)         ((uint64_t)(status) | (uint64_t)(n) << 32)
#define UD                      (~0ull)  /* #UD instead of a status */

#define BI_FAULTED              0xfa17fa17fa17fa17ull

#define FULL_CPU    "qemu64,hv-vpindex,hv-synic,hv-time,hv-stimer,hv-ipi," \
                    "hv-tlbflush,hv-relaxed,hv-spinlocks=0xfff,hv-vapic," \
                    "hv-runtime,hv-frequencies,hv-reset,hv-crash," \
                    "hv-reenlightenment"
/* Without the features, and the privilege checks enforced as KVM can */
#define BARE_CPU    "qemu64,hv-relaxed,hv-enforce-cpuid=on"

typedef struct HcExpect {
    const char *name;
    uint64_t full;              /* with the features (FULL_CPU) */
    uint64_t bare;              /* without (BARE_CPU) */
} HcExpect;

/*
 * Without the feature a known call is HV_STATUS_ACCESS_DENIED before
 * anything else is looked at (KVM: the privilege check comes first).
 */
#define D S_DENIED

static const HcExpect hc_expect[] = {
    { "code0", S_CODE, S_CODE },
    { "code_0fff", S_CODE, S_CODE },
    /* Reserved control bits: 31:27, 47:44, 63:60 */
    { "code_0fff_rsvd63", S_INPUT, S_INPUT },

    /* TLFS: input 8-byte aligned, within one page */
    { "fs_ok", S_SUCCESS, D },
    { "fs_align1", S_ALIGN, D },
    { "fs_align4", S_ALIGN, D },
    { "fs_cross", S_ALIGN, D },
    /* Input that is not RAM: KVM's HV_STATUS_INVALID_HYPERCALL_INPUT */
    { "fs_beyond_ram", S_INPUT, D },
    { "fs_gpa_1t", S_INPUT, D },
    { "fs_ram_end", S_ALIGN, D },
    /* No output parameters: the output GPA is not used (KVM) */
    { "fs_out_align", S_SUCCESS, D },
    /* A simple call takes no rep count/start and no variable header */
    { "fs_rep", S_INPUT, D },
    { "fs_rep_start", S_INPUT, D },
    { "fs_varhead", S_INPUT, D },
    { "fs_rsvd27", S_INPUT, D },
    /* KVM: bit 31 is reserved (RSVD0 31:27) for a non-nested guest */
    { "fs_rsvd31", S_INPUT, D },
    { "fs_rsvd44", S_INPUT, D },
    { "fs_rsvd60", S_INPUT, D },
    { "fs_rsvd63", S_INPUT, D },
    /* VP indexes no VP has are ignored (KVM) */
    { "fs_vp_beyond", S_SUCCESS, D },
    /* HV_FLUSH_USE_EXTENDED_RANGE_FORMAT without hv-tlbflush-ext */
    { "fs_bad_flags", S_PARAM, D },

    /* A rep call needs rep start < rep count; all reps complete */
    { "fl_ok", REPS(S_SUCCESS, 2), D },
    { "fl_rep0", S_INPUT, D },
    { "fl_start_eq", S_INPUT, D },
    { "fl_start_gt", S_INPUT, D },
    { "fl_start_max", S_INPUT, D },
    /* 4095 GVAs do not fit the input page */
    { "fl_count_max", S_ALIGN, D },
    { "fl_cross", S_ALIGN, D },
    { "fl_align", S_ALIGN, D },
    { "fl_beyond_ram", S_INPUT, D },
    { "fl_varhead", S_INPUT, D },

    /* TLFS: a call without input ignores the input GPA */
    { "spin_ok", S_SUCCESS, D },
    { "spin_gpa_align", S_SUCCESS, D },
    { "spin_rep", S_INPUT, D },
    { "spin_varhead", S_INPUT, D },
    { "spin_rsvd60", S_INPUT, D },

    { "ipi_ok", S_SUCCESS, D },
    { "ipi_fast_ok", S_SUCCESS, D },
    { "ipi_align", S_ALIGN, D },
    { "ipi_cross", S_ALIGN, D },
    { "ipi_beyond_ram", S_INPUT, D },
    { "ipi_rep", S_INPUT, D },
    { "ipi_varhead", S_INPUT, D },
    /* KVM: only vectors 0x10-0xff; VTL 0 only; the rest RsvdZ */
    { "ipi_vec_0f", S_INPUT, D },
    { "ipi_vec_100", S_INPUT, D },
    { "ipi_vtl1", S_INPUT, D },
    { "ipi_rsvd", S_INPUT, D },
    { "ipi_vp_beyond", S_SUCCESS, D },
    { "ipi_fast_vec_0f", S_INPUT, D },

    { "fsx_ok", S_SUCCESS, D },
    { "fsx_all", S_SUCCESS, D },
    /* HV_GENERIC_SET_FORMAT: only sparse 4K (0) and all (1) */
    { "fsx_format2", S_PARAM, D },
    { "fsx_format_big", S_PARAM, D },
    /* The variable header holds exactly the banks ValidBanksMask names */
    { "fsx_var_short", S_INPUT, D },
    { "fsx_var_long", S_INPUT, D },
    { "fsx_var_none", S_INPUT, D },
    { "fsx_banks64", S_SUCCESS, D },
    { "fsx_banks65", S_INPUT, D },
    { "fsx_far_bank", S_SUCCESS, D },
    { "fsx_align", S_ALIGN, D },
    { "fsx_cross", S_ALIGN, D },
    { "fsx_rep", S_INPUT, D },
    /*
     * Ex input needs XMM fast input: without hv-xmm-input #UD, but only
     * with hv-enforce-cpuid (KVM); FULL_CPU does not enforce, so the XMM
     * input is taken, and BARE_CPU denies the call first
     */
    { "fsx_fast_noxmm", S_SUCCESS, D },

    { "flx_ok", REPS(S_SUCCESS, 1), D },
    { "flx_rep0", S_INPUT, D },
    { "flx_format2", S_PARAM, D },
    { "flx_cross", S_ALIGN, D },
    { "flx_start_gt", S_INPUT, D },

    { "ipx_ok", S_SUCCESS, D },
    { "ipx_format2", S_PARAM, D },
    { "ipx_var_short", S_INPUT, D },
    { "ipx_banks65", S_INPUT, D },
    { "ipx_vec_0f", S_INPUT, D },
    { "ipx_far_bank", S_SUCCESS, D },
    { "ipx_align", S_ALIGN, D },
    { "ipx_rep", S_INPUT, D },

    { "pm_unknown_conn", S_CONN, D },
    { "pm_align4", S_ALIGN, D },
    { "pm_align2", S_ALIGN, D },
    { "pm_cross", S_ALIGN, D },
    /* hw/hyperv: no fast form of HvPostMessage */
    { "pm_fast", S_CODE, D },
    { "pm_rep", S_INPUT, D },
    { "pm_varhead", S_INPUT, D },
    { "pm_rsvd44", S_INPUT, D },

    { "se_unknown_conn", S_CONN, D },
    /* Flag numbers other than 0 (hw/hyperv, KVM) */
    { "se_flag_number", S_PORT, D },
    { "se_rsvd", S_INPUT, D },
    { "se_slow_unknown", S_CONN, D },
    { "se_slow_align", S_ALIGN, D },
    { "se_rep", S_INPUT, D },
    { "se_varhead", S_INPUT, D },
    { "se_ok", S_SUCCESS, D },
};

#undef D

/* What a bad WRMSR does when the MSR is there (FULL_CPU) */
typedef enum MsrBad {
    MSR_BAD_GP,                 /* #GP, the MSR keeps its value */
    MSR_BAD_READS_ZERO,         /* taken; reads give 0 (EOM) */
    /* taken and stored: reads give what was written (RsvdP bits, KVM) */
    MSR_BAD_STORED,
    MSR_BAD_IGNORED,            /* taken; reads give the old value */
} MsrBad;

typedef struct MsrExpect {
    const char *name;
    bool partition;             /* recorded by CPU 0 only */
    MsrBad full;                /* with the feature exposed */
    bool bare_exposed;          /* there without any feature */
    uint64_t set;               /* guest/tests-badinput.c bi_msrs[].set */
} MsrExpect;

#define BIT(n)  (1ull << (n))

static const MsrExpect msr_expect[] = {
    /*
     * The reserved bits KVM stores and reads back (TLFS: RsvdP):
     * HYPERCALL 11:2, REFERENCE_TSC and VP_ASSIST_PAGE 11:1, SCONTROL,
     * SIEFP / SIMP 11:1, SINTx 63:19 and 15:8, STIMERx_CONFIG 63:20 and
     * 15:13, REENLIGHTENMENT_CONTROL, TSC_EMULATION_CONTROL
     */
    { "hypercall_bit2", true, MSR_BAD_STORED, true, BIT(2) },
    { "hypercall_bit11", true, MSR_BAD_STORED, true, BIT(11) },
    { "reference_tsc_bit1", true, MSR_BAD_STORED, false, BIT(1) },
    /* KVM resets on exactly 1 and ignores other values */
    { "reset_bit1", true, MSR_BAD_IGNORED },
    /* Read-only MSRs: any write #GPs, the same value too */
    { "vp_index_same", false, MSR_BAD_GP },
    { "vp_index_other", false, MSR_BAD_GP },
    { "vp_runtime", false, MSR_BAD_GP },
    { "time_ref_count", false, MSR_BAD_GP },
    { "tsc_frequency", false, MSR_BAD_GP },
    { "apic_frequency", false, MSR_BAD_GP },
    { "apic_assist_bit1", false, MSR_BAD_STORED, false, BIT(1) },
    { "scontrol_bit1", false, MSR_BAD_STORED, false, BIT(1) },
    { "scontrol_bit63", false, MSR_BAD_STORED, false, BIT(63) },
    { "sversion", false, MSR_BAD_GP },
    { "siefp_bit1", false, MSR_BAD_STORED, false, BIT(1) },
    { "simp_bit11", false, MSR_BAD_STORED, false, BIT(11) },
    /* TLFS: EOM is written with any value; reads return 0 */
    { "eom_value", false, MSR_BAD_READS_ZERO },
    { "sint4_bit19", false, MSR_BAD_STORED, false, BIT(19) },
    { "sint4_bit63", false, MSR_BAD_STORED, false, BIT(63) },
    { "stimer0_bit13", false, MSR_BAD_STORED, false, BIT(13) },
    { "stimer0_bit20", false, MSR_BAD_STORED, false, BIT(20) },
    /*
     * DirectMode without hv-stimer-direct: #GP only with
     * hv-enforce-cpuid (KVM); FULL_CPU does not enforce
     */
    { "stimer0_direct", false, MSR_BAD_STORED, false, BIT(12) },
    /* The synthetic debugger is never exposed here */
    { "syndbg_control", false, MSR_BAD_GP },
    /*
     * CRASH_CTL: every bit taken, reads say CrashNotify (KVM); the guest
     * writes bit 0 alone, CrashNotify would report a crash
     */
    { "crash_ctl_bit0", true, MSR_BAD_IGNORED },
    { "reenlightenment_bit8", true, MSR_BAD_STORED, false, BIT(8) },
    { "tsc_emulation_bit1", true, MSR_BAD_STORED, false, BIT(1) },
};

#undef BIT

typedef struct BadCase {
    const char *name;
    const char *cpu;
    int smp;
    bool full;
} BadCase;

static const BadCase bad_cases[] = {
    { "full/smp1", FULL_CPU, 1, true },
    { "full/smp4", FULL_CPU, 4, true },
    { "bare/smp1", BARE_CPU, 1, false },
    { "bare/smp4", BARE_CPU, 4, false },
};

static void check_hc(HvGuest *g, int cpu, const HcExpect *e, bool full)
{
    uint64_t want = full ? e->full : e->bare;

    if (want == UD) {
        hv_assert_fault(g, VEC_UD, "cpu%d.hc.%s", cpu, e->name);
        return;
    }
    hv_assert_no_fault(g, "cpu%d.hc.%s", cpu, e->name);
    hv_assert_value(g, 0, want, "cpu%d.hc.%s", cpu, e->name);
}

static void check_msr(HvGuest *g, int cpu, const MsrExpect *e, bool full)
{
    const HvGuestRecord *r;

    if (e->partition && cpu) {
        g_assert_null(hv_guest_findf(g, "cpu%d.msr.%s", cpu, e->name));
        return;
    }
    r = hv_assert_record(g, "cpu%d.msr.%s", cpu, e->name);
    if (!r) {
        return;
    }
    if (!full && !e->bare_exposed) {
        /* TLFS: an MSR whose feature is not exposed #GPs both ways */
        hv_assert_value(g, 2, VEC_GP, "cpu%d.msr.%s", cpu, e->name);
        hv_assert_fault(g, VEC_GP, "cpu%d.msr.%s", cpu, e->name);
        hv_assert_value(g, 1, BI_FAULTED, "cpu%d.msr.%s", cpu, e->name);
        return;
    }
    /* syndbg_control: not exposed even in full */
    if (!strcmp(e->name, "syndbg_control")) {
        hv_assert_value(g, 2, VEC_GP, "cpu%d.msr.%s", cpu, e->name);
        hv_assert_fault(g, VEC_GP, "cpu%d.msr.%s", cpu, e->name);
        return;
    }
    hv_assert_value(g, 2, HV_GUEST_FAULT_NONE, "cpu%d.msr.%s", cpu, e->name);
    switch (e->full) {
    case MSR_BAD_GP:
        hv_assert_fault(g, VEC_GP, "cpu%d.msr.%s", cpu, e->name);
        /* ...and the MSR kept its value (time counters move on) */
        if (strcmp(e->name, "vp_runtime") &&
            strcmp(e->name, "time_ref_count")) {
            hv_assert_value(g, 1, r->values[0], "cpu%d.msr.%s", cpu,
                            e->name);
        }
        break;
    case MSR_BAD_READS_ZERO:
        hv_assert_no_fault(g, "cpu%d.msr.%s", cpu, e->name);
        hv_assert_value(g, 1, 0, "cpu%d.msr.%s", cpu, e->name);
        break;
    case MSR_BAD_STORED:
        hv_assert_no_fault(g, "cpu%d.msr.%s", cpu, e->name);
        hv_assert_value(g, 1, r->values[0] | e->set, "cpu%d.msr.%s", cpu,
                        e->name);
        break;
    case MSR_BAD_IGNORED:
        hv_assert_no_fault(g, "cpu%d.msr.%s", cpu, e->name);
        hv_assert_value(g, 1, r->values[0], "cpu%d.msr.%s", cpu, e->name);
        break;
    }
}

static void check_td(HvGuest *g, const char *name, uint64_t rax)
{
    hv_assert_value(g, 0, rax, "td.%s", name);
}

static void test_bad_input(const void *opaque)
{
    const BadCase *c = opaque;
    HvGuestOptions opts = {
        .cpu = c->cpu,
        .smp = c->smp,
        .test = "bad-input",
        .guest_args = c->full ? "synic=1" : "synic=0",
        .qemu_args = "-device hyperv-testdev",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);
    QDict *rsp, *ret;
    int cpu, i;

    hv_assert_guest_passed(g);
    hv_assert_no_fault(g, "hc.enable");
    g_assert_cmpuint(hv_guest_nr_cpus(g), ==, c->smp);

    for (cpu = 0; cpu < c->smp; cpu++) {
        for (i = 0; i < G_N_ELEMENTS(hc_expect); i++) {
            check_hc(g, cpu, &hc_expect[i], c->full);
        }
        for (i = 0; i < G_N_ELEMENTS(msr_expect); i++) {
            check_msr(g, cpu, &msr_expect[i], c->full);
        }
    }

    if (c->full) {
        /*
         * TLFS: a payload over 240 bytes is HV_STATUS_INVALID_PARAMETER;
         * hw/hyperv's hyperv_hcall_post_message() answers (under KVM
         * too) HV_STATUS_INVALID_HYPERCALL_INPUT.  Either is an error.
         */
        for (cpu = 0; cpu < c->smp; cpu++) {
            const char *sz[] = { "pm_size_241", "pm_size_huge" };

            for (i = 0; i < G_N_ELEMENTS(sz); i++) {
                const HvGuestRecord *r = hv_assert_record(g, "cpu%d.hc.%s",
                                                          cpu, sz[i]);

                if (r && r->values[0] != S_PARAM &&
                    r->values[0] != S_INPUT) {
                    hv_fail(g, "cpu%d.hc.%s: RAX 0x%" PRIx64, cpu, sz[i],
                            r->values[0]);
                }
            }
        }

        /* hyperv-testdev: bad routes are refused, QEMU goes on */
        check_td(g, "routes", S_SUCCESS);
        check_td(g, "msg_conn_bad_vp", S_CONN);
        check_td(g, "msg_conn_bad_sint", S_CONN);
        check_td(g, "evt_conn_bad_vp", S_CONN);
        check_td(g, "evt_conn_bad_sint", S_CONN);
        check_td(g, "msg_conn_twice", S_SUCCESS);
        check_td(g, "evt_conn_twice", S_SUCCESS);
        check_td(g, "msg_destroyed", S_CONN);
        check_td(g, "evt_destroyed", S_CONN);
        check_td(g, "msg_churn", S_CONN);
        check_td(g, "msg_recreated", S_SUCCESS);
        check_td(g, "evt_recreated", S_SUCCESS);
        hv_assert_value(g, 0, S_SUCCESS, "final.flush");
        hv_assert_value(g, 0, S_SUCCESS, "final.ipi");
        hv_assert_value(g, 0, S_SUCCESS, "final.signal");
    } else {
        hv_assert_value(g, 0, S_DENIED, "final.flush");
        hv_assert_value(g, 0, S_DENIED, "final.ipi");
    }

    /* QEMU is still alive and running the VM */
    rsp = qtest_qmp(hv_guest_qts(g), "{ 'execute': 'query-status' }");
    ret = qdict_get_qdict(rsp, "return");
    g_assert(ret);
    g_assert_cmpstr(qdict_get_try_str(ret, "status"), ==, "running");
    qobject_unref(rsp);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    /* One failing check must not hide the others */
    g_test_set_nonfatal_assertions();

    for (i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hyperv/bad-input/%s",
                                                bad_cases[i].name);

        qtest_add_data_func(path, &bad_cases[i], test_bad_input);
    }
    return g_test_run();
}
