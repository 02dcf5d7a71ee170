/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the Hyper-V synthetic MSRs under TCG, as a guest sees them.
 *
 * Guest tests in guest/tests-msr.c; every expected value here comes from
 * the TLFS (or, where it is silent, from what KVM does), never from the
 * implementation.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "hv-harness.h"

#define VEC_UD                  6
#define VEC_GP                  13
#define FAULT_NONE              HV_GUEST_FAULT_NONE

/* guest/tests-msr.c */
#define READ_FAULTED            0xfa17fa17fa17fa17ull
#define PAGE_FILL               0xaaaaaaaaaaaaaaaaull
#define GUEST_OS_ID_LINUX       0x8100000601000000ull

/* TLFS */
#define HV_STATUS_INVALID_HYPERCALL_CODE    2
#define HYPERCALL_ENABLE        1ull
#define HYPERCALL_LOCKED        2ull
#define CRASH_CTL_NOTIFY        (1ull << 63)
#define REF_TIME_HZ             10000000ull
/* The hypercall page: VMCALL or VMMCALL, then RET (little endian) */
#define PAGE_VMCALL_RET         0xc3c1010full
#define PAGE_VMMCALL_RET        0xc3d9010full

#define AMD_CPU                 "qemu64"
#define INTEL_CPU               "qemu64,vendor=GenuineIntel"

static HvGuest *boot(const char *cpu, int smp, const char *test,
                     const char *qemu_args)
{
    HvGuestOptions opts = {
        .cpu = cpu,
        .smp = smp,
        .test = test,
        .qemu_args = qemu_args,
    };
    HvGuest *g = hv_guest_start_opts(&opts);

    hv_assert_guest_passed(g);
    return g;
}

/* ---- Guest OS ID and hypercall page ----------------------------------- */

static void check_hypercall_msr(HvGuest *g, uint64_t page_code)
{
    const HvGuestRecord *r;
    uint64_t gpa;

    hv_assert_no_fault(g, "cpu0.guest_os_id.initial");
    hv_assert_value(g, 0, 0, "cpu0.guest_os_id.initial");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.initial");
    /* No hypercall interface before the page is enabled */
    hv_assert_fault(g, VEC_UD, "cpu0.vmcall.disabled");
    hv_assert_fault(g, VEC_UD, "cpu0.vmmcall.disabled");

    /* Without a guest OS ID the write is ignored, as in KVM */
    hv_assert_no_fault(g, "cpu0.hypercall.no_os_id");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.no_os_id");
    hv_assert_value(g, 1, PAGE_FILL, "cpu0.hypercall.no_os_id");

    hv_assert_no_fault(g, "cpu0.guest_os_id.write");
    hv_assert_value(g, 0, GUEST_OS_ID_LINUX, "cpu0.guest_os_id.write");

    /*
     * Reserved bits 11:2 are RsvdP: stored and read back (KVM); cleared
     * again for what follows
     */
    r = hv_assert_record(g, "cpu0.hypercall.enable");
    if (r) {
        gpa = r->values[1];
        hv_assert_no_fault(g, "cpu0.hypercall.rsvd_bit2");
        hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE | 1ull << 2,
                        "cpu0.hypercall.rsvd_bit2");
        hv_assert_no_fault(g, "cpu0.hypercall.rsvd_bit11");
        hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE | 1ull << 11,
                        "cpu0.hypercall.rsvd_bit11");
    }
    hv_assert_no_fault(g, "cpu0.hypercall.rsvd_clear");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.rsvd_clear");
    /* A page that is not RAM: #GP, no change */
    hv_assert_fault(g, VEC_GP, "cpu0.hypercall.ioapic");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.ioapic");
    hv_assert_fault(g, VEC_GP, "cpu0.hypercall.above_ram");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.above_ram");
    hv_assert_fault(g, VEC_GP, "cpu0.hypercall.bios_rom");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.bios_rom");

    /* Enabled: the instruction and RET at the start, the rest untouched */
    r = hv_assert_record(g, "cpu0.hypercall.enable");
    if (!r) {
        return;
    }
    gpa = r->values[1];
    hv_assert_no_fault(g, "cpu0.hypercall.enable");
    hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE, "cpu0.hypercall.enable");
    hv_assert_value(g, 2, (PAGE_FILL & ~0xffffffffull) | page_code,
                    "cpu0.hypercall.enable");
    hv_assert_value(g, 3, PAGE_FILL, "cpu0.hypercall.enable");

    hv_assert_no_fault(g, "cpu0.call.enabled");
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_CODE,
                    "cpu0.call.enabled");
    /* The guest's own hypercall instruction works too */
    if (page_code == PAGE_VMCALL_RET) {
        hv_assert_no_fault(g, "cpu0.vmcall.enabled");
        hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_CODE,
                        "cpu0.vmcall.enabled");
    } else {
        hv_assert_no_fault(g, "cpu0.vmmcall.enabled");
        hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_CODE,
                        "cpu0.vmmcall.enabled");
    }

    /* Disabled: the page keeps its code, but the instruction is #UD */
    hv_assert_no_fault(g, "cpu0.hypercall.disable");
    hv_assert_value(g, 0, gpa, "cpu0.hypercall.disable");
    hv_assert_value(g, 1, 1, "cpu0.call.disabled");
    hv_assert_fault(g, VEC_UD, "cpu0.call.disabled");

    /* Clearing the guest OS ID disables the page (KVM) */
    hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE, "cpu0.hypercall.reenable");
    hv_assert_no_fault(g, "cpu0.guest_os_id.zero");
    hv_assert_value(g, 0, gpa, "cpu0.guest_os_id.zero");
    hv_assert_fault(g, VEC_UD, "cpu0.call.no_os_id");

    /* Locked: immutable until reset, and hypercalls still work */
    hv_assert_no_fault(g, "cpu0.hypercall.lock");
    hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE | HYPERCALL_LOCKED,
                    "cpu0.hypercall.lock");
    hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE | HYPERCALL_LOCKED,
                    "cpu0.hypercall.locked_move");
    hv_assert_value(g, 1, PAGE_FILL, "cpu0.hypercall.locked_move");
    hv_assert_value(g, 0, gpa | HYPERCALL_ENABLE | HYPERCALL_LOCKED,
                    "cpu0.hypercall.locked_clear");
    hv_assert_no_fault(g, "cpu0.call.locked");
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_CODE,
                    "cpu0.call.locked");
}

static void test_hypercall_amd(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-relaxed", 1, "hv-hypercall-msr",
                                NULL);

    check_hypercall_msr(g, PAGE_VMMCALL_RET);
}

static void test_hypercall_intel(void)
{
    g_autoptr(HvGuest) g = boot(INTEL_CPU ",hv-relaxed", 1,
                                "hv-hypercall-msr", NULL);

    check_hypercall_msr(g, PAGE_VMCALL_RET);
}

/*
 * Hygon's CPUs are AMD's design with AMD-V: the hypercall instruction is
 * VMMCALL there too (KVM on such a host patches in VMMCALL).
 */
static void test_hypercall_hygon(void)
{
    g_autoptr(HvGuest) g = boot("Dhyana,hv-relaxed", 1, "hv-hypercall-msr",
                                NULL);

    check_hypercall_msr(g, PAGE_VMMCALL_RET);
}

/*
 * Without any hv-* there is no Hyper-V partition: QEMU's TCG treats the
 * MSRs as it treats every MSR it does not know (reads 0, ignores writes),
 * and above all no hypercall page appears and VMCALL stays #UD.
 */
static void test_hypercall_no_hyperv(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU, 1, "hv-hypercall-msr", NULL);

    hv_assert_value(g, 0, 0, "cpu0.guest_os_id.initial");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.initial");
    hv_assert_value(g, 2, PAGE_FILL, "cpu0.hypercall.enable");
    hv_assert_value(g, 0, 0, "cpu0.hypercall.enable");
    hv_assert_value(g, 1, 0, "cpu0.call.enabled");
    hv_assert_fault(g, VEC_UD, "cpu0.vmcall.enabled");
    hv_assert_fault(g, VEC_UD, "cpu0.vmmcall.enabled");
}

/* ---- VP index ---------------------------------------------------------- */

static void check_vp_index(HvGuest *g, int smp)
{
    int cpu;

    g_assert_cmpuint(hv_guest_nr_cpus(g), ==, smp);
    for (cpu = 0; cpu < smp; cpu++) {
        /* QEMU's VP index is the vCPU index, whatever the APIC ID */
        hv_assert_no_fault(g, "cpu%d.vp_index", cpu);
        hv_assert_value(g, 0, cpu, "cpu%d.vp_index", cpu);
        /* Read-only (TLFS): writes #GP, also of the same value */
        hv_assert_fault(g, VEC_GP, "cpu%d.vp_index.write_same", cpu);
        hv_assert_fault(g, VEC_GP, "cpu%d.vp_index.write_other", cpu);
        hv_assert_value(g, 0, cpu, "cpu%d.vp_index.write_other", cpu);
    }
}

static void test_vp_index(const void *opaque)
{
    int smp = GPOINTER_TO_INT(opaque);
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-vpindex", smp, "hv-vp-index",
                                NULL);

    check_vp_index(g, smp);
}

/* Two sockets of three cores: APIC IDs 0, 1, 2, 4, 5, 6 */
static void test_vp_index_topology(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-vpindex", 6, "hv-vp-index",
                                "-smp 6,sockets=2,cores=3,threads=1");

    hv_assert_value(g, 1, 4, "cpu3.vp_index");
    check_vp_index(g, 6);
}

/* ---- VP runtime -------------------------------------------------------- */

static void check_vp_runtime(HvGuest *g, int smp)
{
    const HvGuestRecord *spin = hv_assert_record(g, "cpu0.runtime.spin");
    uint64_t spin_runtime, spin_ref;
    int cpu;

    if (!spin) {
        return;
    }
    spin_runtime = spin->values[1] - spin->values[0];
    spin_ref = spin->values[3] - spin->values[2];
    g_test_message("spinning VP: runtime %" PRIu64 " of %" PRIu64
                   " (100 ns units)", spin_runtime, spin_ref);
    /* It ran: the runtime grew, but not faster than real time */
    g_assert_cmpuint(spin->values[1], >, spin->values[0]);
    g_assert_cmpuint(spin_ref, >=, REF_TIME_HZ / 10);
    g_assert_cmpuint(spin_runtime, <=, spin_ref);

    for (cpu = 0; cpu < smp; cpu++) {
        hv_assert_fault(g, VEC_GP, "cpu%d.runtime.write", cpu);
    }
    for (cpu = 1; cpu < smp; cpu++) {
        const HvGuestRecord *r = hv_assert_record(g, "cpu%d.runtime.halted",
                                                  cpu);
        uint64_t halted;

        if (!r) {
            continue;
        }
        halted = r->values[1] - r->values[0];
        g_test_message("halted VP %d: runtime %" PRIu64 " of %" PRIu64, cpu,
                       halted, r->values[3] - r->values[2]);
        /* A VP in HLT does not run: well under a quarter of the spin */
        if (halted >= spin_ref / 4) {
            hv_fail(g, "VP %d sat in HLT for %" PRIu64 " but its runtime "
                    "grew by %" PRIu64 " (100 ns units)", cpu,
                    r->values[3] - r->values[2], halted);
        }
    }
}

static void test_vp_runtime(const void *opaque)
{
    int smp = GPOINTER_TO_INT(opaque);
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-runtime,hv-time", smp,
                                "hv-vp-runtime", NULL);

    check_vp_runtime(g, smp);
}

/*
 * One-thread TCG runs every vCPU on the same host thread: the runtime of
 * one VP must still not include the time the others ran.
 */
static void test_vp_runtime_single_thread(void)
{
    HvGuestOptions opts = {
        .accel = "tcg,thread=single",
        .cpu = AMD_CPU ",hv-runtime,hv-time",
        .smp = 2,
        .test = "hv-vp-runtime",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);

    hv_assert_guest_passed(g);
    check_vp_runtime(g, 2);
}

/* ---- Reference time and frequencies ----------------------------------- */

/* |@measured / @expected - 1| <= @percent / 100 */
static void check_rate(HvGuest *g, const char *what, double measured,
                       double expected, double percent)
{
    double error = (measured / expected - 1.0) * 100.0;

    if (error < 0) {
        error = -error;
    }

    g_test_message("%s: measured %.0f Hz, expected %.0f Hz (%.3f%% off)",
                   what, measured, expected, error);
    if (!(error <= percent)) {
        hv_fail(g, "%s: measured %.0f Hz, expected %.0f Hz: %.3f%% off, "
                "more than %.1f%%", what, measured, expected, error, percent);
    }
}

static void test_time_msrs(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-time,hv-frequencies", 1,
                                "hv-time-msrs", NULL);
    const HvGuestRecord *tsc_hz, *apic_hz, *mono, *rate, *apic;

    /* Read-only MSRs */
    hv_assert_fault(g, VEC_GP, "cpu0.tsc_frequency.write");
    hv_assert_fault(g, VEC_GP, "cpu0.apic_frequency.write");
    hv_assert_fault(g, VEC_GP, "cpu0.time_ref_count.write");

    hv_assert_no_fault(g, "cpu0.tsc_frequency");
    hv_assert_no_fault(g, "cpu0.apic_frequency");
    tsc_hz = hv_assert_record(g, "cpu0.tsc_frequency");
    apic_hz = hv_assert_record(g, "cpu0.apic_frequency");
    mono = hv_assert_record(g, "cpu0.time_ref_count.monotonic");
    rate = hv_assert_record(g, "cpu0.time_ref_count.rate");
    apic = hv_assert_record(g, "cpu0.apic_timer.rate");
    if (!tsc_hz || !apic_hz || !mono || !rate || !apic) {
        return;
    }
    g_assert_cmpuint(tsc_hz->values[0], >, 0);
    g_assert_cmpuint(apic_hz->values[0], >, 0);

    hv_assert_value(g, 0, 0, "cpu0.time_ref_count.monotonic");
    g_assert_cmpuint(mono->values[2], >, mono->values[1]);

    /*
     * TIME_REF_COUNT counts at 10 MHz: against the TSC at the rate
     * TSC_FREQUENCY claims, that is the TSC rate within 1%.
     */
    g_assert_cmpuint(rate->values[1], >=, REF_TIME_HZ / 10);
    check_rate(g, "TSC against TIME_REF_COUNT",
               (double)rate->values[0] * REF_TIME_HZ / rate->values[1],
               tsc_hz->values[0], 1.0);

    /* The LAPIC timer (divide by 1) counts at APIC_FREQUENCY, within 2% */
    g_assert_cmpuint(apic->values[1], >=, REF_TIME_HZ / 10);
    check_rate(g, "LAPIC timer against TIME_REF_COUNT",
               (double)apic->values[0] * REF_TIME_HZ / apic->values[1],
               apic_hz->values[0], 2.0);
}

/* ---- Crash MSRs -------------------------------------------------------- */

static const uint64_t crash_params[5] = {
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x1ull,
    0x8000000000000000ull, 0xdeadbeefcafef00dull,
};

static void test_crash(void)
{
    /* With panic=none the guest goes on after the crash report */
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-crash", 1, "hv-crash",
                                "-action panic=none");
    QTestState *qts = hv_guest_qts(g);
    QDict *rsp, *data, *info;
    int i;

    /* Reads say what the partition supports: crash notification */
    hv_assert_no_fault(g, "cpu0.crash.ctl");
    hv_assert_value(g, 0, CRASH_CTL_NOTIFY, "cpu0.crash.ctl");
    for (i = 0; i < 5; i++) {
        hv_assert_no_fault(g, "cpu0.crash.p%d.initial", i);
        hv_assert_value(g, 0, 0, "cpu0.crash.p%d.initial", i);
        hv_assert_no_fault(g, "cpu0.crash.p%d", i);
        hv_assert_value(g, 0, crash_params[i], "cpu0.crash.p%d", i);
    }
    /*
     * KVM and Xen take every bit, reporting a crash only on CrashNotify:
     * Windows writes CrashMessage (62) with it, and may write NoCrashDump
     * (61) and PreOSId (60:58)
     */
    hv_assert_no_fault(g, "cpu0.crash.ctl.rsvd");
    hv_assert_no_fault(g, "cpu0.crash.ctl.message");
    hv_assert_no_fault(g, "cpu0.crash.ctl.nodump");
    hv_assert_no_fault(g, "cpu0.crash.ctl.preos");
    hv_assert_no_fault(g, "cpu0.crash.ctl.zero");
    hv_assert_no_fault(g, "cpu0.crash.notify");
    hv_assert_value(g, 0, CRASH_CTL_NOTIFY, "cpu0.crash.notify");

    if (!hv_guest_passed(g)) {
        return;
    }
    /* The guest is done, so the event has been sent: collect it */
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'query-status' }"));
    rsp = qtest_qmp_event_ref(qts, "GUEST_PANICKED");
    if (!rsp) {
        hv_fail(g, "no GUEST_PANICKED event after CRASH_CTL := NOTIFY");
        return;
    }
    data = qdict_get_qdict(rsp, "data");
    g_assert_cmpstr(qdict_get_str(data, "action"), ==, "run");
    info = qdict_get_qdict(data, "info");
    g_assert_nonnull(info);
    g_assert_cmpstr(qdict_get_str(info, "type"), ==, "hyper-v");
    for (i = 0; i < 5; i++) {
        g_autofree char *key = g_strdup_printf("arg%d", i + 1);
        QNum *arg = qobject_to(QNum, qdict_get(info, key));
        uint64_t val;

        g_assert_true(arg && qnum_get_try_uint(arg, &val));
        g_assert_cmphex(val, ==, crash_params[i]);
    }
    qobject_unref(rsp);

    /* Exactly one crash: the writes without CrashNotify reported none */
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'query-status' }"));
    g_assert_null(qtest_qmp_event_ref(qts, "GUEST_PANICKED"));
}

/* ---- Reset MSR --------------------------------------------------------- */

static void test_reset(void)
{
    /* The harness turns resets into shutdowns; this test wants one */
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-reset", 1, "hv-reset",
                                "-action reboot=reset");
    QTestState *qts = hv_guest_qts(g);
    QDict *rsp, *data;

    hv_assert_value(g, 0, 2, "cpu0.reset.boot");
    hv_assert_no_fault(g, "cpu0.reset.read");
    hv_assert_value(g, 0, 0, "cpu0.reset.read");
    /* KVM resets on a write of exactly 1 and ignores other values */
    hv_assert_no_fault(g, "cpu0.reset.write2");
    hv_assert_no_fault(g, "cpu0.reset.write_rsvd");
    hv_assert_no_fault(g, "cpu0.reset.write0");
    hv_assert_no_fault(g, "cpu0.reset.hypercall");
    /* A reset starts the partition afresh */
    hv_assert_value(g, 0, 0, "cpu0.reset.after");
    hv_assert_value(g, 1, 0, "cpu0.reset.after");

    if (!hv_guest_passed(g)) {
        return;
    }
    qobject_unref(qtest_qmp(qts, "{ 'execute': 'query-status' }"));
    rsp = qtest_qmp_event_ref(qts, "RESET");
    if (!rsp) {
        hv_fail(g, "no RESET event after HV_X64_MSR_RESET := 1");
        return;
    }
    data = qdict_get_qdict(rsp, "data");
    g_assert_true(qdict_get_bool(data, "guest"));
    g_assert_cmpstr(qdict_get_str(data, "reason"), ==, "guest-reset");
    qobject_unref(rsp);
    /*
     * SeaBIOS resets once more when it finds itself rebooted, so there is
     * no point in counting RESET events; that WRMSR 0 and the reserved
     * values reset nothing shows in the guest: it saw only two boots.
     */
}

/* ---- Enlightened APIC -------------------------------------------------- */

#define VAPIC_ICR               0x60
#define VAPIC_HIGH              0x80

static void test_vapic(const void *opaque)
{
    int smp = GPOINTER_TO_INT(opaque);
    g_autoptr(HvGuest) g = boot(AMD_CPU ",hv-vapic", smp, "hv-vapic", NULL);
    const HvGuestRecord *r;
    uint64_t dest;
    int cpu;

    /* The high-priority interrupt is in service and blocks the low one */
    hv_assert_value(g, 0, 1, "cpu0.eoi.before");
    hv_assert_value(g, 1, 1, "cpu0.eoi.before");
    hv_assert_value(g, 2, 0, "cpu0.eoi.before");
    hv_assert_value(g, 3, 1, "cpu0.eoi.before");
    /* The EOI MSR ends it: the low one gets in */
    hv_assert_no_fault(g, "cpu0.eoi.msr");
    hv_assert_value(g, 0, 1, "cpu0.eoi.msr");
    hv_assert_value(g, 1, 0, "cpu0.eoi.msr");
    /* EOI is write-only */
    hv_assert_fault(g, VEC_GP, "cpu0.eoi.read");

    /* The TPR MSR is the APIC's TPR */
    hv_assert_no_fault(g, "cpu0.tpr.msr_write");
    hv_assert_value(g, 0, 0x20, "cpu0.tpr.msr_write");
    hv_assert_value(g, 1, 0x20, "cpu0.tpr.msr_write");
    hv_assert_no_fault(g, "cpu0.tpr.mmio_write");
    hv_assert_value(g, 0, 0x30, "cpu0.tpr.mmio_write");

    for (cpu = 0; cpu < smp; cpu++) {
        uint64_t gpa;

        r = hv_assert_record(g, "cpu%d.assist.enable", cpu);
        if (!r) {
            continue;
        }
        gpa = r->values[1];
        /* Enabling clears the APIC assist dword, and only that */
        hv_assert_no_fault(g, "cpu%d.assist.enable", cpu);
        hv_assert_value(g, 0, gpa | 1, "cpu%d.assist.enable", cpu);
        hv_assert_value(g, 2, 0, "cpu%d.assist.enable", cpu);
        hv_assert_value(g, 3, 0xffffffff, "cpu%d.assist.enable", cpu);
        /* Bits 11:1 are RsvdP: stored and read back (KVM) */
        hv_assert_no_fault(g, "cpu%d.assist.rsvd", cpu);
        hv_assert_value(g, 0, gpa | 3, "cpu%d.assist.rsvd", cpu);
        hv_assert_fault(g, VEC_GP, "cpu%d.assist.ioapic", cpu);
        hv_assert_value(g, 0, gpa | 3, "cpu%d.assist.ioapic", cpu);
        hv_assert_no_fault(g, "cpu%d.assist.disable", cpu);
        hv_assert_value(g, 0, gpa, "cpu%d.assist.disable", cpu);
    }

    if (smp < 2) {
        return;
    }
    /* The ICR MSR sends a fixed IPI to the last CPU, and only to it */
    hv_assert_no_fault(g, "cpu0.icr.send");
    hv_assert_value_masked(g, 0, 0xff, VAPIC_ICR, "cpu0.icr.send");
    r = hv_assert_record(g, "cpu0.icr.send");
    if (!r) {
        return;
    }
    dest = r->values[1];
    hv_assert_value_masked(g, 0, 0xffull << 56, dest << 56, "cpu0.icr.send");
    for (cpu = 0; cpu < smp; cpu++) {
        hv_assert_value(g, 0, cpu == smp - 1, "cpu%d.icr.taken", cpu);
    }
}

static void test_vapic_x2apic(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU ",+x2apic,hv-vapic", 1,
                                "hv-vapic-x2apic", NULL);
    const HvGuestRecord *r;
    uint64_t id;

    hv_assert_no_fault(g, "cpu0.x2apic.enable");
    hv_assert_no_fault(g, "cpu0.x2apic.tpr_msr_write");
    hv_assert_value(g, 0, 0x20, "cpu0.x2apic.tpr_msr_write");
    hv_assert_no_fault(g, "cpu0.x2apic.tpr_x2_write");
    hv_assert_value(g, 0, 0x30, "cpu0.x2apic.tpr_x2_write");
    /*
     * x2APIC ICR: the destination is bits 63:32, and reads return all 64
     * bits (KVM's kvm_lapic_msr_read()); ID 0x55 belongs to nobody
     */
    hv_assert_no_fault(g, "cpu0.x2apic.icr_other");
    hv_assert_value_masked(g, 0, 0xffffffff000000ffull,
                           0x55ull << 32 | VAPIC_HIGH,
                           "cpu0.x2apic.icr_other");
    hv_assert_no_fault(g, "cpu0.x2apic.icr_self");
    r = hv_assert_record(g, "cpu0.x2apic.icr_self");
    if (!r) {
        return;
    }
    id = r->values[1];
    hv_assert_value_masked(g, 0, 0xff, VAPIC_HIGH, "cpu0.x2apic.icr_self");
    hv_assert_value_masked(g, 0, 0xffffffffull << 32, id << 32,
                           "cpu0.x2apic.icr_self");
    hv_assert_no_fault(g, "cpu0.x2apic.eoi");
    hv_assert_value(g, 0, 1, "cpu0.x2apic.eoi");
    hv_assert_value(g, 1, 1, "cpu0.x2apic.eoi");
    hv_assert_value(g, 2, 0, "cpu0.x2apic.eoi");
}

/* ---- Synthetic MSRs of features that are off -------------------------- */

typedef struct ProbeCase {
    const char *name;
    const char *cpu;
    int smp;
    /*
     * With hv-enforce-cpuid=on: the MSRs that must not #GP (besides the
     * guest OS ID and hypercall).  Without it, every MSR KVM keeps state
     * for answers, the SynIC and timer ones only with hv-synic.
     */
    uint32_t exposed[16];
    bool unenforced;
} ProbeCase;

/* guest/tests-msr.c probe_msrs[] */
static const uint32_t probe_msrs[] = {
    0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000004,
    0x40000010, 0x40000011, 0x40000020, 0x40000021, 0x40000022,
    0x40000023, 0x40000024, 0x40000070, 0x40000071, 0x40000072,
    0x40000073, 0x40000074, 0x40000080, 0x40000081, 0x40000082,
    0x40000083, 0x40000084, 0x40000090, 0x4000009f, 0x400000a0,
    0x400000b0, 0x400000b1, 0x400000b7, 0x400000f1, 0x400000ff,
    0x40000100, 0x40000101, 0x40000104, 0x40000105, 0x40000106,
    0x40000107, 0x40000108, 0x40000109, 0x40000114, 0x40000118,
    0x400001f0, 0x400001ff,
};

#define MSR_EOI                 0x40000070

static const ProbeCase probe_cases[] = {
    { "relaxed", AMD_CPU ",hv-relaxed", 2, { 0 } },
    { "vpindex", AMD_CPU ",hv-vpindex", 1, { 0x40000002 } },
    { "reset", AMD_CPU ",hv-reset", 1, { 0x40000003 } },
    { "runtime", AMD_CPU ",hv-runtime", 1, { 0x40000010 } },
    { "time", AMD_CPU ",hv-time", 1, { 0x40000020, 0x40000021 } },
    { "frequencies", AMD_CPU ",hv-frequencies", 1,
      { 0x40000022, 0x40000023 } },
    { "vapic", AMD_CPU ",hv-vapic", 1,
      { MSR_EOI, 0x40000071, 0x40000072, 0x40000073 } },
    { "crash", AMD_CPU ",hv-crash", 1,
      { 0x40000100, 0x40000101, 0x40000104, 0x40000105 } },
    { "reenlightenment", AMD_CPU ",hv-reenlightenment", 1,
      { 0x40000106, 0x40000107, 0x40000108 } },
    { "synic-stimer", AMD_CPU ",hv-vpindex,hv-time,hv-synic,hv-stimer", 1,
      { 0x40000002, 0x40000020, 0x40000021, 0x40000080, 0x40000081,
        0x40000082, 0x40000083, 0x40000084, 0x40000090, 0x4000009f,
        0x400000b0, 0x400000b1, 0x400000b7 } },
    /* QEMU's default, hv-enforce-cpuid=off */
    { "relaxed", AMD_CPU ",hv-relaxed", 2, { 0 }, true },
    /* libvirt's and Proxmox's usual Windows set: no hv-vpindex */
    { "windows-libvirt",
      INTEL_CPU ",hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-time", 2,
      { 0 }, true },
    { "synic", AMD_CPU ",hv-vpindex,hv-synic", 1, { 0 }, true },
};

/* What KVM answers without KVM_CAP_HYPERV_ENFORCE_CPUID */
static bool probe_exposed_unenforced(const ProbeCase *c, uint32_t msr)
{
    bool synic = strstr(c->cpu, "hv-synic") != NULL;

    switch (msr) {
    case 0x40000000 ... 0x40000003:
    case 0x40000010:
    case 0x40000020 ... 0x40000023:
    case 0x40000070 ... 0x40000073:
    case 0x40000100 ... 0x40000108:
    case 0x40000118:    /* Linux 6.3+ KVM: hv-invtsc's control, unchecked */
        return true;
    case 0x40000080 ... 0x40000084:
    case 0x40000090 ... 0x4000009f:
        return synic;
    case 0x400000b0 ... 0x400000b7:
        /* KVM reads these without a SynIC (the probe only reads them) */
        return true;
    default:
        /* Unassigned, the debugger's (no hv-syndbg), 0x40000109 and up */
        return false;
    }
}

static bool probe_exposed(const ProbeCase *c, uint32_t msr)
{
    int i;

    if (c->unenforced) {
        return probe_exposed_unenforced(c, msr);
    }
    if (msr == 0x40000000 || msr == 0x40000001) {
        return true;
    }
    for (i = 0; i < G_N_ELEMENTS(c->exposed) && c->exposed[i]; i++) {
        if (c->exposed[i] == msr) {
            return true;
        }
    }
    return false;
}

static void test_msr_probe(const void *opaque)
{
    const ProbeCase *c = opaque;
    g_autofree char *cpu_opts = c->unenforced ? g_strdup(c->cpu) :
                                g_strdup_printf("%s,hv-enforce-cpuid=on",
                                                c->cpu);
    g_autoptr(HvGuest) g = boot(cpu_opts, c->smp, "hv-msr-probe", NULL);
    int cpu, i;

    for (cpu = 0; cpu < c->smp; cpu++) {
        for (i = 0; i < G_N_ELEMENTS(probe_msrs); i++) {
            uint32_t msr = probe_msrs[i];

            if (!probe_exposed(c, msr)) {
                /*
                 * TLFS and KVM: an MSR the partition lacks #GPs both ways,
                 * 0x40000109-0x400001FF included (never the CPU's own)
                 */
                hv_assert_fault(g, VEC_GP, "cpu%d.probe.%08x", cpu, msr);
                hv_assert_fault(g, VEC_GP, "cpu%d.probe_wr.%08x", cpu, msr);
            } else if (msr == MSR_EOI) {
                /* Write-only */
                hv_assert_fault(g, VEC_GP, "cpu%d.probe.%08x", cpu, msr);
                hv_assert_no_fault(g, "cpu%d.probe_wr.%08x", cpu, msr);
            } else {
                hv_assert_no_fault(g, "cpu%d.probe.%08x", cpu, msr);
            }
        }
    }
}

/*
 * No hv-* at all: no partition, so these are unknown MSRs to QEMU, which
 * TCG reads as 0 (the TLFS has nothing to say about a non-Hyper-V VM).
 */
static void test_msr_probe_no_hyperv(void)
{
    g_autoptr(HvGuest) g = boot(AMD_CPU, 1, "hv-msr-probe", NULL);
    int i;

    for (i = 0; i < G_N_ELEMENTS(probe_msrs); i++) {
        const HvGuestRecord *r = hv_assert_record(g, "cpu0.probe.%08x",
                                                  probe_msrs[i]);

        hv_assert_value(g, 0, 0, "cpu0.probe.%08x", probe_msrs[i]);
        if (r && r->fault_vector != FAULT_NONE) {
            g_test_message("MSR 0x%08x: %s without Hyper-V", probe_msrs[i],
                           hv_fault_name(r->fault_vector));
        }
    }
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    /* One failing check must not hide the others */
    g_test_set_nonfatal_assertions();

    qtest_add_func("/hyperv/msr/hypercall/amd", test_hypercall_amd);
    qtest_add_func("/hyperv/msr/hypercall/intel", test_hypercall_intel);
    qtest_add_func("/hyperv/msr/hypercall/hygon", test_hypercall_hygon);
    qtest_add_func("/hyperv/msr/hypercall/no-hyperv",
                   test_hypercall_no_hyperv);
    qtest_add_data_func("/hyperv/msr/vp-index/smp1", GINT_TO_POINTER(1),
                        test_vp_index);
    qtest_add_data_func("/hyperv/msr/vp-index/smp4", GINT_TO_POINTER(4),
                        test_vp_index);
    qtest_add_func("/hyperv/msr/vp-index/topology", test_vp_index_topology);
    qtest_add_data_func("/hyperv/msr/vp-runtime/smp1", GINT_TO_POINTER(1),
                        test_vp_runtime);
    qtest_add_data_func("/hyperv/msr/vp-runtime/smp2", GINT_TO_POINTER(2),
                        test_vp_runtime);
    qtest_add_func("/hyperv/msr/vp-runtime/single-thread",
                   test_vp_runtime_single_thread);
    qtest_add_func("/hyperv/msr/time-frequencies", test_time_msrs);
    qtest_add_func("/hyperv/msr/crash", test_crash);
    qtest_add_func("/hyperv/msr/reset", test_reset);
    qtest_add_data_func("/hyperv/msr/vapic/smp1", GINT_TO_POINTER(1),
                        test_vapic);
    qtest_add_data_func("/hyperv/msr/vapic/smp2", GINT_TO_POINTER(2),
                        test_vapic);
    qtest_add_func("/hyperv/msr/vapic/x2apic", test_vapic_x2apic);
    for (i = 0; i < G_N_ELEMENTS(probe_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/hyperv/msr/unexposed/%s/%s",
                            probe_cases[i].unenforced ? "unenforced"
                                                      : "enforced",
                            probe_cases[i].name);

        qtest_add_data_func(path, &probe_cases[i], test_msr_probe);
    }
    qtest_add_func("/hyperv/msr/unexposed/no-hyperv",
                   test_msr_probe_no_hyperv);

    return g_test_run();
}
