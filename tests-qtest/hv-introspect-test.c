/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: introspection of the Hyper-V state -- QMP query-hyperv,
 * HMP info hyperv and the hyperv_* trace events -- against what a guest
 * did (guest/tests-introspect.c).
 *
 * The guest sets the guest OS ID, the hypercall page, the TSC page,
 * SynIC SINTs, timers, crash and reenlightenment MSRs on 2 vCPUs, makes
 * a known number of hypercalls, waits while the test takes a snapshot,
 * then makes a known number more, with a timer expiring into SINT 2.
 * query-hyperv must show exactly the values the guest wrote, and its
 * counters must move by exactly what the guest did in between.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "hv-harness.h"

#define INT_SMP         2
#define INT_FEATURES    "hv-relaxed,hv-vapic,hv-time,hv-crash,hv-vpindex," \
                        "hv-synic,hv-stimer,hv-reenlightenment," \
                        "hv-tlbflush,hv-ipi"
#define INT_CPU         "qemu64," INT_FEATURES

/* guest/tests-introspect.c */
#define INT_VEC_SINT2   0x50

#define HV_SINT_MASKED          (1ull << 16)
#define HV_SINT_AUTO_EOI        (1ull << 17)
#define HV_SINT_POLLING         (1ull << 18)
#define HV_STATUS_INVALID_HYPERCALL_CODE    2
#define HV_GUEST_OS_ID_LINUX    0x8100000601000000ull

/* The hv-* features, in the model's table order */
static const char *const int_features[] = {
    "hv-relaxed", "hv-vapic", "hv-time", "hv-crash", "hv-vpindex",
    "hv-synic", "hv-stimer", "hv-reenlightenment", "hv-tlbflush", "hv-ipi",
};

/* int_fail() needs GLib 2.70 */
#define int_fail(...) do { g_test_message(__VA_ARGS__); g_test_fail(); } \
                      while (0)

static uint64_t get_u64(QDict *d, const char *key)
{
    QNum *n = qobject_to(QNum, qdict_get(d, key));
    uint64_t v = 0;

    if (!n || !qnum_get_try_uint(n, &v)) {
        int64_t i;

        if (!n || !qnum_get_try_int(n, &i)) {
            int_fail("query-hyperv: no number '%s'", key);
            return 0;
        }
        v = i;
    }
    return v;
}

static QDict *list_item(QList *list, unsigned int index)
{
    QListEntry *e;
    unsigned int i = 0;

    QLIST_FOREACH_ENTRY(list, e) {
        if (i++ == index) {
            return qobject_to(QDict, qlist_entry_obj(e));
        }
    }
    int_fail("query-hyperv: no list item %u", index);
    return qdict_new();
}

static QDict *query(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-hyperv' }");
    QDict *ret;

    g_assert(qdict_haskey(rsp, "return"));
    ret = qdict_get_qdict(rsp, "return");
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

static QDict *vcpu(QDict *info, int cpu)
{
    return list_item(qdict_get_qlist(info, "vcpus"), cpu);
}

static uint64_t vcpu_u64(QDict *info, int cpu, const char *key)
{
    return get_u64(vcpu(info, cpu), key);
}

static QDict *sint(QDict *info, int cpu, int n)
{
    return list_item(qdict_get_qlist(qdict_get_qdict(vcpu(info, cpu),
                                                     "synic"), "sints"), n);
}

static QDict *stimer(QDict *info, int cpu, int n)
{
    return list_item(qdict_get_qlist(vcpu(info, cpu), "stimers"), n);
}

static QDict *counters(QDict *info, int cpu)
{
    return qdict_get_qdict(vcpu(info, cpu), "counters");
}

/* counters.hypercalls-by-call[].count of @call */
static uint64_t calls(QDict *info, int cpu, const char *call)
{
    QList *list = qdict_get_qlist(counters(info, cpu), "hypercalls-by-call");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(d, "call"), call)) {
            return get_u64(d, "count");
        }
    }
    int_fail("query-hyperv: no counter for %s", call);
    return 0;
}

static void check_features(QDict *info, int cpu)
{
    QList *list = qdict_get_qlist(vcpu(info, cpu), "features");
    QListEntry *e;
    size_t i = 0;

    QLIST_FOREACH_ENTRY(list, e) {
        const char *f = qstring_get_str(qobject_to(QString,
                                                   qlist_entry_obj(e)));

        g_assert_cmpuint(i, <, G_N_ELEMENTS(int_features));
        g_assert_cmpstr(f, ==, int_features[i]);
        i++;
    }
    g_assert_cmpuint(i, ==, G_N_ELEMENTS(int_features));
}

/* What phase 1 left, against the guest's records */
static void check_state(HvGuest *g, QDict *info, int cpu)
{
    QDict *v = vcpu(info, cpu);
    QDict *tsc = qdict_get_qdict(v, "tsc-page");
    QDict *synic = qdict_get_qdict(v, "synic");
    const HvGuestRecord *r;
    QList *crash;
    QDict *t;
    int i;

    g_assert_cmpstr(qdict_get_str(v, "backend"), ==, "tcg");
    g_assert_cmpint(qdict_get_int(v, "cpu-index"), ==, cpu);
    check_features(info, cpu);
    g_assert_cmpuint(get_u64(v, "vp-index"), ==, cpu);

    r = hv_guest_good_record(g, "hypercall");
    g_assert_cmphex(get_u64(v, "guest-os-id"), ==, HV_GUEST_OS_ID_LINUX);
    g_assert_cmphex(get_u64(v, "guest-os-id"), ==, r->values[1]);
    g_assert_cmphex(get_u64(v, "hypercall"), ==, r->values[0]);
    g_assert_cmphex(get_u64(v, "hypercall-page"), ==,
                    r->values[0] & ~0xfffull);

    r = hv_guest_good_record(g, "tscpage");
    g_assert_cmphex(get_u64(tsc, "msr"), ==, r->values[0]);
    g_assert_true(qdict_get_bool(tsc, "enabled"));
    g_assert_cmphex(get_u64(tsc, "gpa"), ==, r->values[0] & ~0xfffull);
    g_assert_cmpuint(get_u64(tsc, "sequence"), ==, r->values[1]);
    g_assert_cmpuint(get_u64(tsc, "sequence"), !=, 0);
    g_assert_cmphex(get_u64(tsc, "scale"), ==, r->values[2]);
    g_assert_cmpint(qdict_get_int(tsc, "offset"), ==, (int64_t)r->values[3]);

    r = hv_guest_good_record(g, "cpu%d.synic", cpu);
    g_assert_true(qdict_get_bool(synic, "enabled"));
    g_assert_cmphex(get_u64(synic, "scontrol"), ==, r->values[0]);
    g_assert_cmphex(get_u64(synic, "simp"), ==, r->values[1]);
    g_assert_cmphex(get_u64(synic, "siefp"), ==, r->values[2]);
    for (i = 0; i < 16; i++) {
        QDict *s = sint(info, cpu, i);
        uint64_t raw = HV_SINT_MASKED;

        if (i >= 2 && i <= 5) {
            raw = hv_guest_good_record(g, "cpu%d.sint.%d", cpu,
                                       i)->values[0];
        }
        g_assert_cmpuint(get_u64(s, "sint"), ==, i);
        g_assert_cmphex(get_u64(s, "raw"), ==, raw);
        g_assert_cmphex(get_u64(s, "vector"), ==, raw & 0xff);
        g_assert_cmpint(qdict_get_bool(s, "masked"), ==,
                        !!(raw & HV_SINT_MASKED));
        g_assert_cmpint(qdict_get_bool(s, "auto-eoi"), ==,
                        !!(raw & HV_SINT_AUTO_EOI));
        g_assert_cmpint(qdict_get_bool(s, "polling"), ==,
                        !!(raw & HV_SINT_POLLING));
    }
    /* The guest's choices, decoded: see guest/tests-introspect.c */
    g_assert_cmphex(get_u64(sint(info, cpu, 2), "raw"), ==, INT_VEC_SINT2);
    g_assert_true(qdict_get_bool(sint(info, cpu, 3), "auto-eoi"));
    g_assert_true(qdict_get_bool(sint(info, cpu, 4), "polling"));
    g_assert_true(qdict_get_bool(sint(info, cpu, 5), "masked"));

    /* Timer 0: armed for the absolute time the guest gave it */
    r = hv_guest_good_record(g, "cpu%d.stimer.0", cpu);
    t = stimer(info, cpu, 0);
    g_assert_cmphex(get_u64(t, "config"), ==, r->values[0]);
    g_assert_cmpuint(get_u64(t, "count"), ==, r->values[1]);
    g_assert_true(qdict_get_bool(t, "enabled"));
    g_assert_false(qdict_get_bool(t, "periodic"));
    g_assert_false(qdict_get_bool(t, "direct"));
    g_assert_cmpuint(get_u64(t, "sint"), ==, 2);
    g_assert_true(qdict_get_bool(t, "armed"));
    g_assert_false(qdict_get_bool(t, "message-pending"));
    g_assert_cmpuint(get_u64(t, "expiration"), ==, r->values[1]);
    g_assert_cmpuint(get_u64(t, "expirations"), ==, 0);
    /* Timer 3: periodic, SINT 5, disabled */
    r = hv_guest_good_record(g, "cpu%d.stimer.3", cpu);
    t = stimer(info, cpu, 3);
    g_assert_cmphex(get_u64(t, "config"), ==, r->values[0]);
    g_assert_cmpuint(get_u64(t, "count"), ==, r->values[1]);
    g_assert_false(qdict_get_bool(t, "enabled"));
    g_assert_true(qdict_get_bool(t, "periodic"));
    g_assert_cmpuint(get_u64(t, "sint"), ==, 5);
    g_assert_false(qdict_get_bool(t, "armed"));
    g_assert_false(qdict_haskey(t, "expiration"));

    r = hv_guest_good_record(g, "cpu%d.vp_assist", cpu);
    g_assert_cmphex(get_u64(v, "vp-assist"), ==, r->values[0]);

    crash = qdict_get_qlist(v, "crash-params");
    g_assert_cmpuint(qlist_size(crash), ==, 5);
    for (i = 0; i < 5; i++) {
        QNum *n = qobject_to(QNum, qlist_peek(crash));
        uint64_t p;

        g_assert(n && qnum_get_try_uint(n, &p));
        g_assert_cmphex(p, ==, 0xc0de0000ull + i);
        qobject_unref(qlist_pop(crash));
    }
    t = qdict_get_qdict(v, "reenlightenment");
    g_assert_cmphex(get_u64(t, "control"), ==,
                    0x90 | 1ull << 16 | 1ull << 32);
    g_assert_cmphex(get_u64(t, "tsc-emulation-control"), ==, 1);
    g_assert_cmphex(get_u64(t, "tsc-emulation-status"), ==, 0);
}

static uint64_t delta(QDict *a, QDict *b, const char *key)
{
    return get_u64(b, key) - get_u64(a, key);
}

static void check_hmp(HvGuest *g, QDict *info)
{
    g_autofree char *out = qtest_hmp(hv_guest_qts(g), "info hyperv");
    int cpu;

    if (g_test_verbose()) {
        g_test_message("info hyperv: %s", out);
    }

    for (cpu = 0; cpu < INT_SMP; cpu++) {
        QDict *c = counters(info, cpu);
        g_autofree char *head = NULL, *hc = NULL, *vp = NULL, *cnt = NULL;
        g_autofree char *tsc = NULL, *sint2 = NULL, *flush = NULL;
        g_autofree char *st0 = NULL, *sec = NULL;
        const char *start, *end;

        head = g_strdup_printf("CPU #%d (%s): Hyper-V by QEMU (TCG)\r\n",
                               cpu, qdict_get_str(vcpu(info, cpu),
                                                  "qom-path"));
        vp = g_strdup_printf("  VP index %d\r\n", cpu);
        hc = g_strdup_printf("  hypercall MSR 0x%016" PRIx64
                             ": page at 0x%" PRIx64 "\r\n",
                             vcpu_u64(info, cpu, "hypercall"),
                             vcpu_u64(info, cpu, "hypercall-page"));
        tsc = g_strdup_printf(", sequence %" PRIu64 " scale 0x%016" PRIx64,
                              get_u64(qdict_get_qdict(vcpu(info, cpu),
                                                      "tsc-page"),
                                      "sequence"),
                              get_u64(qdict_get_qdict(vcpu(info, cpu),
                                                      "tsc-page"), "scale"));
        sint2 = g_strdup_printf("    SINT2  0x%08x: vector 0x%02x, 1 "
                                "deliveries\r\n", INT_VEC_SINT2,
                                INT_VEC_SINT2);
        st0 = g_strdup_printf("  stimer0: config 0x%" PRIx64 " count %"
                              PRIu64 " (enabled one-shot, SINT2), armed "
                              "for %" PRIu64 ", 0 expirations, 0 missed\r\n",
                              get_u64(stimer(info, cpu, 0), "config"),
                              get_u64(stimer(info, cpu, 0), "count"),
                              get_u64(stimer(info, cpu, 0), "count"));
        cnt = g_strdup_printf("  counters: %" PRIu64 " hypercalls (2 "
                              "failed), 1 SINT deliveries, 1 stimer "
                              "expirations, %" PRIu64 " MSR reads, %"
                              PRIu64 " MSR writes\r\n",
                              get_u64(c, "hypercalls"),
                              get_u64(c, "msr-reads"),
                              get_u64(c, "msr-writes"));
        flush = g_strdup_printf("    HvCallFlushVirtualAddressSpace: %d\r\n",
                                5 + 2 * cpu);
        /* This vCPU's part of the output */
        start = strstr(out, head);
        g_assert_nonnull(start);
        end = strstr(start + 1, "CPU #");
        sec = end ? g_strndup(start, end - start) : g_strdup(start);
        g_assert_nonnull(strstr(sec, vp));
        g_assert_nonnull(strstr(sec, hc));
        g_assert_nonnull(strstr(sec, tsc));
        g_assert_nonnull(strstr(sec, sint2));
        g_assert_nonnull(strstr(sec, st0));
        g_assert_nonnull(strstr(sec, cnt));
        g_assert_nonnull(strstr(sec, flush));
    }
    g_assert_nonnull(strstr(out, "  guest OS ID 0x8100000601000000\r\n"));
    g_assert_nonnull(strstr(out, "  features: " "hv-relaxed hv-vapic hv-time "
                            "hv-crash hv-vpindex hv-synic hv-stimer "
                            "hv-reenlightenment hv-tlbflush hv-ipi\r\n"));
    g_assert_nonnull(strstr(out, "  crash P0 0xc0de0000 P1 0xc0de0001 P2 "
                            "0xc0de0002 P3 0xc0de0003 P4 0xc0de0004\r\n"));
    g_assert_nonnull(strstr(out, "    HvCallSendSyntheticClusterIpi: 2\r\n"));
    g_assert_nonnull(strstr(out, "    HvCallPostMessage: 1\r\n"));
    g_assert_nonnull(strstr(out, "    other: 1\r\n"));
}

static void test_query(void)
{
    HvGuestOptions opts = {
        .cpu = INT_CPU,
        .smp = INT_SMP,
        .test = "introspect",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    QDict *before, *after;
    uint64_t mailbox;
    int cpu;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    for (cpu = 0; cpu < INT_SMP; cpu++) {
        hv_guest_wait_record(g, "cpu%d.phase1", cpu);
    }
    before = query(hv_guest_qts(g));
    g_assert_true(qdict_get_bool(before, "enabled"));
    g_assert_cmpuint(qlist_size(qdict_get_qlist(before, "vcpus")), ==,
                     INT_SMP);
    for (cpu = 0; cpu < INT_SMP; cpu++) {
        QDict *c = counters(before, cpu);

        hv_assert_value(g, 0, 0, "cpu%d.phase1", cpu);
        hv_assert_value(g, 1, cpu, "cpu%d.phase1", cpu);
        check_state(g, before, cpu);
        /* Phase 1: 2 + cpu flushes, nothing else, nothing failed */
        g_assert_cmpuint(get_u64(c, "hypercalls"), ==, 2 + cpu);
        g_assert_cmpuint(calls(before, cpu, "HvCallFlushVirtualAddressSpace"),
                         ==, 2 + cpu);
        g_assert_cmpuint(calls(before, cpu, "HvCallSendSyntheticClusterIpi"),
                         ==, 0);
        g_assert_cmpuint(get_u64(c, "hypercall-errors"), ==, 0);
        g_assert_cmpuint(get_u64(c, "sint-deliveries"), ==, 0);
        g_assert_cmpuint(get_u64(c, "stimer-expirations"), ==, 0);
        g_assert_cmpuint(get_u64(c, "msr-writes"), >, 10);
    }

    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    after = query(hv_guest_qts(g));

    for (cpu = 0; cpu < INT_SMP; cpu++) {
        QDict *a = counters(before, cpu), *b = counters(after, cpu);
        const HvGuestRecord *p2 = hv_guest_good_record(g, "cpu%d.phase2",
                                                       cpu);
        QDict *t1 = stimer(after, cpu, 1);

        /* What the guest saw in phase 2 */
        hv_assert_value(g, 0, 0, "cpu%d.phase2.status", cpu);
        hv_assert_value(g, 2, HV_STATUS_INVALID_HYPERCALL_CODE,
                        "cpu%d.phase2.status", cpu);
        hv_assert_value(g, 3, 2, "cpu%d.phase2.status", cpu);
        g_assert_cmpuint(hv_guest_good_record(g, "cpu%d.phase2.status",
                                              cpu)->values[1], !=, 0);
        hv_assert_value(g, 0, 7 + cpu, "cpu%d.phase2", cpu);
        hv_assert_value(g, 3, 1, "cpu%d.phase2", cpu);

        /* ... is what the counters moved by */
        g_assert_cmpuint(delta(a, b, "hypercalls"), ==, p2->values[0]);
        g_assert_cmpuint(calls(after, cpu, "HvCallFlushVirtualAddressSpace") -
                         calls(before, cpu, "HvCallFlushVirtualAddressSpace"),
                         ==, 3 + cpu);
        g_assert_cmpuint(calls(after, cpu, "HvCallSendSyntheticClusterIpi"),
                         ==, 2);
        g_assert_cmpuint(calls(after, cpu, "HvCallPostMessage"), ==, 1);
        g_assert_cmpuint(calls(after, cpu, "other"), ==, 1);
        g_assert_cmpuint(calls(after, cpu, "HvCallFlushVirtualAddressList"),
                         ==, 0);
        g_assert_cmpuint(calls(after, cpu, "HvCallSignalEvent"), ==, 0);
        g_assert_cmpuint(delta(a, b, "hypercall-errors"), ==, 2);
        g_assert_cmpuint(delta(a, b, "msr-reads"), ==, p2->values[1]);
        g_assert_cmpuint(delta(a, b, "msr-writes"), ==, p2->values[2]);
        g_assert_cmpuint(delta(a, b, "sint-deliveries"), ==, 1);
        g_assert_cmpuint(get_u64(sint(after, cpu, 2), "deliveries"), ==, 1);
        g_assert_cmpuint(get_u64(sint(after, cpu, 3), "deliveries"), ==, 0);
        g_assert_cmpuint(delta(a, b, "stimer-expirations"), ==, 1);
        /* Timer 1 fired once and, one-shot, disabled itself */
        g_assert_cmpuint(get_u64(t1, "expirations"), ==, 1);
        g_assert_false(qdict_get_bool(t1, "enabled"));
        g_assert_false(qdict_get_bool(t1, "armed"));
        /* Timer 0 still waits */
        g_assert_true(qdict_get_bool(stimer(after, cpu, 0), "armed"));
    }
    check_hmp(g, after);
    qobject_unref(before);
    qobject_unref(after);
}

static void test_no_hyperv(void)
{
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", 2, "smoke", NULL);
    QTestState *qts = hv_guest_qts(g);
    QDict *info;
    g_autofree char *out = NULL;
    int cpu;

    hv_assert_guest_passed(g);
    info = query(qts);
    g_assert_false(qdict_get_bool(info, "enabled"));
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "vcpus")), ==, 2);
    for (cpu = 0; cpu < 2; cpu++) {
        QDict *v = vcpu(info, cpu);

        g_assert_cmpstr(qdict_get_str(v, "backend"), ==, "none");
        g_assert_cmpuint(qlist_size(qdict_get_qlist(v, "features")), ==, 0);
        g_assert_false(qdict_haskey(v, "vp-index"));
        g_assert_false(qdict_haskey(v, "counters"));
        g_assert_false(qdict_haskey(v, "synic"));
    }
    out = qtest_hmp(qts, "info hyperv");
    g_assert_cmpstr(out, ==, "No Hyper-V: no vCPU has an hv-* enlightenment"
                    "\r\n");
    qobject_unref(info);
}

/* Enabled by -trace, then switched over QMP; the log shows them */
static void test_trace(void)
{
    g_autofree char *log = NULL;
    g_autofree char *args = NULL;
    g_autofree char *text = NULL;
    g_autoptr(HvGuest) g = NULL;
    HvGuestOptions opts = {
        .cpu = INT_CPU,
        .smp = INT_SMP,
        .test = "introspect",
    };
    static const char *const events[] = {
        "hyperv_msr_read ", "hyperv_msr_write ", "hyperv_hypercall ",
        "hyperv_hypercall_result ", "hyperv_sint_deliver ",
        "hyperv_stimer_arm ", "hyperv_stimer_expired ",
        "hyperv_stimer_message ", "hyperv_pv_flush ", "hyperv_pv_ipi ",
    };
    QDict *rsp;
    QList *list;
    QListEntry *e;
    uint64_t mailbox;
    size_t i;
    int fd;

    fd = g_file_open_tmp("hv-introspect-trace-XXXXXX.log", &log, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    args = g_strdup_printf("-D %s -trace hyperv_*", log);
    opts.qemu_args = args;
    g = hv_guest_launch(&opts);
    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];

    /* Every event of the group is known and enabled */
    rsp = qtest_qmp(hv_guest_qts(g), "{ 'execute': 'trace-event-get-state',"
                    " 'arguments': { 'name': 'hyperv_*' } }");
    list = qdict_get_qlist(rsp, "return");
    for (i = 0; i < G_N_ELEMENTS(events); i++) {
        g_autofree char *name = g_strndup(events[i], strlen(events[i]) - 1);
        bool found = false;

        QLIST_FOREACH_ENTRY(list, e) {
            QDict *d = qobject_to(QDict, qlist_entry_obj(e));

            if (!strcmp(qdict_get_str(d, "name"), name)) {
                g_assert_cmpstr(qdict_get_str(d, "state"), ==, "enabled");
                found = true;
            }
        }
        g_assert_true(found);
    }
    qobject_unref(rsp);
    /* Switching them off and on again over QMP works */
    qtest_qmp_assert_success(hv_guest_qts(g),
                             "{ 'execute': 'trace-event-set-state', "
                             "'arguments': { 'name': 'hyperv_*', "
                             "'enable': false } }");
    qtest_qmp_assert_success(hv_guest_qts(g),
                             "{ 'execute': 'trace-event-set-state', "
                             "'arguments': { 'name': 'hyperv_*', "
                             "'enable': true } }");
    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    for (i = 0; i < G_N_ELEMENTS(events); i++) {
        if (!strstr(text, events[i])) {
            int_fail("no %s in the trace log", events[i]);
        }
    }
    /* The guest OS ID write, decoded */
    g_assert_nonnull(strstr(text, "hyperv_msr_write vp 0 msr 0x40000000 <- "
                            "0x8100000601000000 ok"));
    unlink(log);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hyperv/introspect/query", test_query);
    qtest_add_func("/hyperv/introspect/no-hyperv", test_no_hyperv);
    qtest_add_func("/hyperv/introspect/trace", test_trace);
    return g_test_run();
}
