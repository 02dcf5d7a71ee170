/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: a guest that uses Hyper-V the way Windows does (TLFS;
 * "Requirements for Implementing the Microsoft Hypervisor Interface"):
 * guest OS identity and a locked hypercall page, the VP assist page and
 * the synthetic APIC MSRs, the SynIC with a periodic synthetic timer on
 * an AutoEOI SINT whose message slot the guest frees late, sparse-set PV
 * flushes and IPIs, HvNotifyLongSpinWait, the reference TSC page, a
 * reset in the middle and the whole sequence again, and at the end a
 * crash report through the crash MSRs.
 *
 * Run with libvirt's usual Windows flags (no hv-vpindex, no SynIC) and
 * with the full set, on 1 and 4 vCPUs, Intel and AMD.  Every expected
 * value is what Linux KVM (arch/x86/kvm/hyperv.c) gives with QEMU's
 * default hv-enforce-cpuid=off, where KVM answers the synthetic MSRs and
 * hypercalls whether or not their CPUID bit is set, except for what
 * needs an active SynIC.
 *
 * Guest side in guest/tests-windows.c, which documents the records.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "hv-harness.h"

#define VEC_GP                  13
#define FAULT_NONE              HV_GUEST_FAULT_NONE

/* guest/tests-windows.c */
#define WIN_GUEST_OS_ID         0x0001040a00003839ull
#define WIN_READ_FAULTED        0xfa17fa17fa17fa17ull
#define WIN_FILL                0xaaaaaaaaaaaaaaaaull
#define WIN_SINT                1
#define WIN_VEC_SINT            0x90
#define WIN_VEC_ICR             0x61
#define WIN_PERIOD              50000ull
#define WIN_LATE_MSGS           8
#define WIN_PROMPT_MSGS         10
#define WIN_PAGE_A              0xa0a0a0a0a0a0a0a0ull
#define WIN_PAGE_B              0xb0b0b0b0b0b0b0b0ull
#define WIN_BUGCHECK            0x1eull
#define WIN_BUGCHECK_P1         0xffffffffc0000005ull
#define WIN_BUGCHECK_P2         0xfffff80312345678ull

/* TLFS */
#define HV_STATUS_SUCCESS       0
#define HYPERCALL_ENABLE        1ull
#define HYPERCALL_LOCKED        2ull
#define SINT_MASKED             (1ull << 16)
#define SINT_AUTO_EOI           (1ull << 17)
#define ST_ENABLE               (1ull << 0)
#define ST_PERIODIC             (1ull << 1)
#define ST_SINTX(s)             ((uint64_t)(s) << 16)
#define CRASH_CTL_NOTIFY        (1ull << 63)
/* The hypercall page: VMCALL or VMMCALL, then RET (little endian) */
#define PAGE_VMCALL_RET         0xc3c1010full
#define PAGE_VMMCALL_RET        0xc3d9010full

/*
 * Both models have x2APIC, which Windows uses when it is there; qemu64
 * is what TCG runs without warnings.
 */
#define INTEL_CPU               "qemu64,vendor=GenuineIntel,+x2apic"
#define AMD_CPU                 "qemu64,vendor=AuthenticAMD,+x2apic"

/* What libvirt gives a Windows guest by default */
#define HV_LIBVIRT              "hv-relaxed,hv-vapic,hv-spinlocks=0x1fff," \
                                "hv-time"
#define HV_FULL                 "hv-relaxed,hv-vapic,hv-spinlocks=0x1fff," \
                                "hv-vpindex,hv-runtime,hv-time,hv-synic," \
                                "hv-stimer,hv-stimer-direct," \
                                "hv-frequencies,hv-ipi,hv-tlbflush," \
                                "hv-tlbflush-ext,hv-reset,hv-crash"

typedef struct WinCase {
    const char *name;
    bool amd;
    bool full;
    int smp;
} WinCase;

static const WinCase win_cases[] = {
    { "libvirt/intel/smp1", false, false, 1 },
    { "libvirt/intel/smp4", false, false, 4 },
    { "libvirt/amd/smp1", true, false, 1 },
    { "libvirt/amd/smp4", true, false, 4 },
    { "full/intel/smp1", false, true, 1 },
    { "full/intel/smp4", false, true, 4 },
    { "full/amd/smp1", true, true, 1 },
    { "full/amd/smp4", true, true, 4 },
};

static uint64_t val(HvGuest *g, int idx, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static uint64_t val(HvGuest *g, int idx, const char *fmt, ...)
{
    g_autofree char *name = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    r = hv_assert_record(g, "%s", name);
    return r ? r->values[idx] : 0;
}

/* values[@idx] of the record is at least @lo */
static void check_ge(HvGuest *g, const char *name, int idx, uint64_t lo)
{
    const HvGuestRecord *r = hv_assert_record(g, "%s", name);

    if (r && r->values[idx] < lo) {
        hv_fail(g, "%s: value %d is %" PRIu64 ", expected at least %"
                PRIu64, name, idx, r->values[idx], lo);
    }
}

/* An MSR read: no fault and @expected */
static void check_read(HvGuest *g, uint64_t expected, const char *name)
{
    hv_assert_no_fault(g, "%s", name);
    hv_assert_value(g, 0, expected, "%s", name);
}

/* ---- Reset state ------------------------------------------------------- */

/*
 * What every boot starts from (TLFS; QEMU resets the MSRs and hands them
 * to KVM): no identity, no hypercall page, no TSC page, no crash
 * parameters; per VP: VP index = vCPU index, no assist page, the SynIC
 * off with its SINTs masked, the timers off, TPR 0.
 */
static void check_reset_state(HvGuest *g, const WinCase *c, int p)
{
    static const char *const zero[] = {
        "os_id", "hypercall", "ref_tsc", "reset", "crash_p0", "crash_p1",
        "crash_p2", "crash_p3", "crash_p4",
    };
    g_autofree char *ctl = g_strdup_printf("p%d.init.crash_ctl", p);
    int i, cpu;

    for (i = 0; i < G_N_ELEMENTS(zero); i++) {
        g_autofree char *name = g_strdup_printf("p%d.init.%s", p, zero[i]);

        check_read(g, 0, name);
    }
    /* QEMU sets CRASH_CTL = CrashNotify in KVM, whatever hv-crash says */
    check_read(g, CRASH_CTL_NOTIFY, ctl);

    for (cpu = 0; cpu < c->smp; cpu++) {
        g_autofree char *pfx = g_strdup_printf("p%d.cpu%d.init", p, cpu);
        g_autofree char *vp = g_strdup_printf("%s.vp_index", pfx);
        g_autofree char *assist = g_strdup_printf("%s.assist", pfx);
        g_autofree char *config = g_strdup_printf("%s.st0_config", pfx);
        g_autofree char *count = g_strdup_printf("%s.st0_count", pfx);
        g_autofree char *tpr = g_strdup_printf("%s.tpr", pfx);
        static const char *const synic[] = {
            "scontrol", "simp", "siefp", "sint",
        };

        /* KVM: the VP index reads without hv-vpindex too */
        check_read(g, cpu, vp);
        check_read(g, 0, assist);
        /* KVM: timer reads need no active SynIC, writes do */
        check_read(g, 0, config);
        check_read(g, 0, count);
        check_read(g, 0, tpr);
        for (i = 0; i < G_N_ELEMENTS(synic); i++) {
            g_autofree char *name = g_strdup_printf("%s.%s", pfx, synic[i]);

            if (c->full) {
                check_read(g, !strcmp(synic[i], "sint") ? SINT_MASKED : 0,
                           name);
            } else {
                /* KVM: no active SynIC, no SynIC MSRs */
                hv_assert_fault(g, VEC_GP, "%s", name);
            }
        }
    }
}

/* ---- One half of the scenario ------------------------------------------ */

static void check_identity(HvGuest *g, const WinCase *c, int p)
{
    uint64_t gpa = val(g, 1, "p%d.hypercall", p);
    uint64_t code = c->amd ? PAGE_VMMCALL_RET : PAGE_VMCALL_RET;

    hv_assert_no_fault(g, "p%d.os_id", p);
    hv_assert_value(g, 0, WIN_GUEST_OS_ID, "p%d.os_id", p);

    /* The vendor's instruction and RET, the rest of the page untouched */
    hv_assert_no_fault(g, "p%d.hypercall", p);
    hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE | HYPERCALL_LOCKED,
                    "p%d.hypercall", p);
    hv_assert_value(g, 2, (WIN_FILL & ~0xffffffffull) | code,
                    "p%d.hypercall", p);
    hv_assert_value(g, 3, c->amd, "p%d.hypercall", p);

    hv_assert_no_fault(g, "p%d.ref_tsc", p);
    hv_assert_value(g, 0, val(g, 1, "p%d.ref_tsc", p) | 1, "p%d.ref_tsc", p);
}

static void check_per_vp(HvGuest *g, const WinCase *c, int p)
{
    static const char *const synic[] = {
        "simp", "siefp", "sint", "scontrol",
    };
    int cpu, i;

    for (cpu = 0; cpu < c->smp; cpu++) {
        uint64_t gpa = val(g, 1, "p%d.cpu%d.assist", p, cpu);

        hv_assert_no_fault(g, "p%d.cpu%d.vp_index", p, cpu);
        hv_assert_value(g, 0, cpu, "p%d.cpu%d.vp_index", p, cpu);

        /* Enabling clears the APIC assist dword, and only that (KVM) */
        hv_assert_no_fault(g, "p%d.cpu%d.assist", p, cpu);
        hv_assert_value(g, 0, gpa | 1, "p%d.cpu%d.assist", p, cpu);
        hv_assert_value(g, 2, 0, "p%d.cpu%d.assist", p, cpu);
        hv_assert_value(g, 3, 0xffffffff, "p%d.cpu%d.assist", p, cpu);

        /* The TPR MSR is the APIC's TPR */
        hv_assert_no_fault(g, "p%d.cpu%d.tpr", p, cpu);
        hv_assert_value(g, 0, 0x20, "p%d.cpu%d.tpr", p, cpu);
        hv_assert_value(g, 1, 0x20, "p%d.cpu%d.tpr", p, cpu);

        for (i = 0; i < G_N_ELEMENTS(synic); i++) {
            g_autofree char *name = g_strdup_printf("p%d.cpu%d.synic.%s", p,
                                                    cpu, synic[i]);

            if (!c->full) {
                hv_assert_fault(g, VEC_GP, "%s", name);
                hv_assert_value(g, 0, WIN_READ_FAULTED, "%s", name);
                continue;
            }
            hv_assert_no_fault(g, "%s", name);
            if (!strcmp(synic[i], "sint")) {
                hv_assert_value(g, 0, WIN_VEC_SINT | SINT_AUTO_EOI, "%s",
                                name);
            } else if (!strcmp(synic[i], "scontrol")) {
                hv_assert_value(g, 0, 1, "%s", name);
            } else {
                hv_assert_value_masked(g, 0, 0xfff, 1, "%s", name);
            }
        }
    }
}

static void check_apic(HvGuest *g, const WinCase *c, int p)
{
    /* EOI ends the interrupt in service */
    hv_assert_no_fault(g, "p%d.eoi", p);
    hv_assert_value(g, 0, 1, "p%d.eoi", p);
    hv_assert_value(g, 1, 1, "p%d.eoi", p);
    hv_assert_value(g, 2, 0, "p%d.eoi", p);

    /* The ICR sends the self-IPI and reads back ICR2 << 32 | ICR (KVM) */
    hv_assert_no_fault(g, "p%d.icr", p);
    hv_assert_value(g, 1, 1, "p%d.icr", p);
    hv_assert_no_fault(g, "p%d.icr.read", p);
    hv_assert_value(g, 0, val(g, 0, "p%d.icr", p), "p%d.icr.read", p);
    /* ... with the destination in bits 63:56, to another VP too */
    hv_assert_no_fault(g, "p%d.icr.other", p);
    hv_assert_value(g, 1, val(g, 0, "p%d.icr.other", p), "p%d.icr.other", p);
    hv_assert_value(g, 2, c->smp > 1, "p%d.icr.other", p);
}

static void check_stimer(HvGuest *g, const WinCase *c, int p)
{
    g_autofree char *late = g_strdup_printf("p%d.stimer.late", p);
    g_autofree char *bad = g_strdup_printf("p%d.stimer.bad", p);
    g_autofree char *prompt = g_strdup_printf("p%d.stimer.prompt", p);
    int i;

    if (!c->full) {
        /* KVM: no active SynIC, no timer writes; reads give 0 */
        hv_assert_fault(g, VEC_GP, "p%d.stimer.start", p);
        hv_assert_value(g, 0, 0, "p%d.stimer.start", p);
        hv_assert_value(g, 1, 0, "p%d.stimer.start", p);
        return;
    }
    hv_assert_no_fault(g, "p%d.stimer.start", p);
    hv_assert_value(g, 0, ST_ENABLE | ST_PERIODIC | ST_SINTX(WIN_SINT),
                    "p%d.stimer.start", p);
    hv_assert_value(g, 1, WIN_PERIOD, "p%d.stimer.start", p);

    /*
     * KVM (stimer_send_msg(): no retry for periodic timers): an
     * expiration that finds the slot busy is dropped, MessagePending is
     * not set, so the guest writes no EOM, and the next expiration after
     * the slot is free brings the next message.  No hang.
     */
    check_ge(g, late, 0, WIN_LATE_MSGS);
    hv_assert_value(g, 1, 0, "%s", late);
    hv_assert_value(g, 2, 0, "%s", late);
    hv_assert_value(g, 3, 0, "%s", late);
    /*
     * Expirations move on by whole periods; none was queued behind a busy
     * slot; nothing was delivered into a busy slot
     */
    for (i = 0; i < 4; i++) {
        hv_assert_value(g, i, 0, "p%d.stimer.check", p);
    }
    hv_assert_value(g, 0, 0, "%s", bad);
    hv_assert_value(g, 1, 0, "%s", bad);
    /* AutoEOI: the vector is never in service */
    hv_assert_value(g, 2, 0, "%s", bad);
    /* Freed promptly, the timer goes on; stopped, it stops */
    check_ge(g, prompt, 0, WIN_PROMPT_MSGS);
    if (val(g, 3, "%s", prompt) > 1) {
        hv_fail(g, "%s: %" PRIu64 " messages after the timer was stopped",
                prompt, val(g, 3, "%s", prompt));
    }
    g_test_message("p%d: %" PRIu64 " timer messages, late-phase gaps %"
                   PRIu64 "..%" PRIu64 " periods", p, val(g, 3, "%s", bad),
                   val(g, 1, "%s", prompt), val(g, 2, "%s", prompt));
}

static void check_hypercalls(HvGuest *g, const WinCase *c, int p)
{
    uint64_t mask = c->smp > 1 ? ((1ull << c->smp) - 1) & ~1ull : 1;
    int cpu;

    /*
     * KVM (hv_check_hypercall_access() with enforcement off): flushes and
     * IPIs are accepted without hv-tlbflush / hv-ipi too, and the VP
     * index is the vCPU index without hv-vpindex
     */
    hv_assert_no_fault(g, "p%d.flush", p);
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "p%d.flush", p);
    hv_assert_value(g, 1, WIN_PAGE_A, "p%d.flush", p);
    hv_assert_value(g, 3, WIN_PAGE_B, "p%d.flush", p);
    /* A bank no VP is in: nothing to do, success */
    hv_assert_no_fault(g, "p%d.flush.bank1", p);
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "p%d.flush.bank1", p);

    hv_assert_no_fault(g, "p%d.ipi", p);
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "p%d.ipi", p);
    hv_assert_value(g, 1, mask, "p%d.ipi", p);
    hv_assert_no_fault(g, "p%d.ipi.bank1", p);
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "p%d.ipi.bank1", p);
    for (cpu = 0; cpu < c->smp; cpu++) {
        /* Every named VP once, no other; bank 1 reaches nobody */
        hv_assert_value(g, 0, !!(mask & (1ull << cpu)), "p%d.cpu%d.ipi", p,
                        cpu);
        hv_assert_value(g, 1, 0, "p%d.cpu%d.ipi", p, cpu);
    }

    hv_assert_no_fault(g, "p%d.spin.fast", p);
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "p%d.spin.fast", p);
    hv_assert_no_fault(g, "p%d.spin.slow", p);
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "p%d.spin.slow", p);
}

static void check_time(HvGuest *g, const WinCase *c, int p)
{
    int cpu, i;

    for (cpu = 0; cpu < c->smp; cpu++) {
        g_autofree char *name = g_strdup_printf("p%d.cpu%d.time", p, cpu);
        uint64_t page = val(g, 0, "%s", name);
        uint64_t fallback = val(g, 1, "%s", name);

        if (page + fallback == 0 || val(g, 2, "%s", name) == 0) {
            hv_fail(g, "%s: no samples", name);
        }
        if (fallback) {
            g_test_message("%s: %" PRIu64 " of %" PRIu64 " page reads found "
                           "TscSequence 0", name, fallback, page + fallback);
        }
        /* Monotonic on each VP, from either source to the other */
        for (i = 0; i < 4; i++) {
            hv_assert_value(g, i, 0, "p%d.cpu%d.time.mono", p, cpu);
        }
    }
    /* ... and from one VP to another */
    hv_assert_value(g, 0, 0, "p%d.time.cross", p);
    hv_assert_value(g, 2, 0, "p%d.time.cross", p);
}

static void check_x2apic(HvGuest *g, int p)
{
    if (!hv_guest_findf(g, "p%d.x2apic.enable", p)) {
        hv_fail(g, "p%d: the guest saw no x2APIC in CPUID", p);
        return;
    }
    hv_assert_no_fault(g, "p%d.x2apic.enable", p);
    /* x2APIC: ICR reads back all 64 bits (KVM), the self-IPI arrives */
    hv_assert_no_fault(g, "p%d.x2apic.icr", p);
    hv_assert_value(g, 1, val(g, 0, "p%d.x2apic.icr", p), "p%d.x2apic.icr",
                    p);
    hv_assert_value(g, 2, 1, "p%d.x2apic.icr", p);
    hv_assert_no_fault(g, "p%d.x2apic.icr_far", p);
    hv_assert_value(g, 1, val(g, 0, "p%d.x2apic.icr_far", p),
                    "p%d.x2apic.icr_far", p);
    hv_assert_no_fault(g, "p%d.x2apic.eoi", p);
    hv_assert_value(g, 0, 1, "p%d.x2apic.eoi", p);
    hv_assert_value(g, 1, 0, "p%d.x2apic.eoi", p);
}

static void check_crash_params(HvGuest *g, int p)
{
    int i;

    for (i = 0; i < 5; i++) {
        hv_assert_no_fault(g, "p%d.crash.p%d", p, i);
        hv_assert_value(g, 0, val(g, 1, "p%d.crash.p%d", p, i),
                        "p%d.crash.p%d", p, i);
    }
}

static void check_half(HvGuest *g, const WinCase *c, int p)
{
    check_reset_state(g, c, p);
    check_identity(g, c, p);
    check_per_vp(g, c, p);
    check_apic(g, c, p);
    check_stimer(g, c, p);
    check_hypercalls(g, c, p);
    check_time(g, c, p);
    check_x2apic(g, p);
}

/* ---- The crash report --------------------------------------------------- */

static void check_panic_event(HvGuest *g, const WinCase *c)
{
    QTestState *qts = hv_guest_qts(g);
    uint64_t expected[5] = {
        WIN_BUGCHECK, WIN_BUGCHECK_P1, WIN_BUGCHECK_P2,
        val(g, 1, "p2.crash.p3"), val(g, 1, "p2.crash.p4"),
    };
    QDict *rsp, *data, *info;
    int i;

    /* The guest is done, so the event has been sent */
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'query-status' }"));
    rsp = qtest_qmp_event_ref(qts, "GUEST_PANICKED");
    if (!rsp) {
        hv_fail(g, "no GUEST_PANICKED event after CRASH_CTL := "
                "CrashNotify | CrashMessage");
        return;
    }
    data = qdict_get_qdict(rsp, "data");
    g_assert_cmpstr(qdict_get_str(data, "action"), ==, "run");
    info = qdict_get_qdict(data, "info");
    if (!c->full) {
        /* QEMU with KVM: crash information only with hv-crash */
        if (info) {
            hv_fail(g, "GUEST_PANICKED carries crash information without "
                    "hv-crash");
        }
    } else if (!info) {
        hv_fail(g, "GUEST_PANICKED without crash information");
    } else {
        g_assert_cmpstr(qdict_get_str(info, "type"), ==, "hyper-v");
        for (i = 0; i < 5; i++) {
            g_autofree char *key = g_strdup_printf("arg%d", i + 1);
            QNum *arg = qobject_to(QNum, qdict_get(info, key));
            uint64_t v = 0;

            if (!arg || !qnum_get_try_uint(arg, &v) || v != expected[i]) {
                hv_fail(g, "GUEST_PANICKED %s is 0x%" PRIx64 ", expected 0x%"
                        PRIx64, key, v, expected[i]);
            }
        }
    }
    qobject_unref(rsp);

    /* One crash: the NoCrashDump and PreOSId writes reported none */
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'query-status' }"));
    rsp = qtest_qmp_event_ref(qts, "GUEST_PANICKED");
    if (rsp) {
        hv_fail(g, "more than one GUEST_PANICKED event");
        qobject_unref(rsp);
    }
}

static void test_windows(const void *opaque)
{
    const WinCase *c = opaque;
    g_autofree char *cpu = g_strdup_printf("%s,%s", c->amd ? AMD_CPU
                                                           : INTEL_CPU,
                                           c->full ? HV_FULL : HV_LIBVIRT);
    HvGuestOptions opts = {
        .cpu = cpu,
        .smp = c->smp,
        .test = "windows",
        /* The reset must reset, the crash must not stop the guest */
        .qemu_args = "-action reboot=reset,panic=none",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);

    hv_assert_guest_passed(g);

    check_half(g, c, 1);
    hv_assert_no_fault(g, "p1.reset.read");
    hv_assert_value(g, 0, 0, "p1.reset.read");
    check_crash_params(g, 1);

    /* KVM: HV_X64_MSR_RESET := 1 resets, with or without hv-reset */
    hv_assert_no_fault(g, "p2.reset");
    hv_assert_value(g, 0, 0, "p2.reset");
    if (!hv_guest_find(g, "p2.done")) {
        hv_fail(g, "the second half did not run to its end");
        return;
    }
    check_half(g, c, 2);

    /*
     * KVM takes any CRASH_CTL value (no reserved-bit check); only
     * CrashNotify reports, and CRASH_CTL reads what QEMU set: CrashNotify
     */
    hv_assert_no_fault(g, "p2.crash.nodump");
    hv_assert_no_fault(g, "p2.crash.preos");
    check_crash_params(g, 2);
    hv_assert_no_fault(g, "p2.crash.notify");
    hv_assert_value(g, 0, CRASH_CTL_NOTIFY, "p2.crash.notify");
    check_panic_event(g, c);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    /* One failing check must not hide the others */
    g_test_set_nonfatal_assertions();

    for (i = 0; i < G_N_ELEMENTS(win_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hyperv/windows/%s",
                                                win_cases[i].name);

        qtest_add_data_func(path, &win_cases[i], test_windows);
    }
    return g_test_run();
}
