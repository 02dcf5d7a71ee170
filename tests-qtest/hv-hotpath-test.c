/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: a guest that enables Hyper-V does not pay for it on the
 * hot paths of TCG.  No timing thresholds (make bench measures the
 * cost); these tests count instead.
 *
 * The regression they guard against: every PAUSE leaves cpu_exec(), and
 * the VP runtime once sampled the vCPU thread's CPU clock at each
 * cpu_exec() entry and exit -- two system calls per PAUSE, a spin-wait
 * 26 times slower with any hv-* property.  The TCG backend counts, per
 * vCPU, the cpu_exec() entries it sees and the host CPU clocks it reads
 * for the VP runtime (QOM properties x-hv-exec-entries and
 * x-hv-runtime-clock-reads); a PAUSE loop must leave the second
 * independent of the number of PAUSEs.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hv-harness.h"

#define PAUSES          100000
/*
 * Clock reads a PAUSE loop may cost in all: the guest's own VP_RUNTIME
 * reads and what boot and shutdown need, but nothing per PAUSE.
 */
#define MAX_CLOCK_READS 64
#define ITERATIONS      50

#define rec hv_guest_good_record

typedef struct PauseCase {
    const char *name;
    const char *accel;
    const char *cpu;
    int smp;
    bool runtime;               /* the guest can read the VP runtime */
} PauseCase;

static const PauseCase pause_cases[] = {
    /* The configuration: any hv-* at all */
    { "relaxed", NULL, "qemu64,hv-relaxed", 1, false },
    { "runtime", NULL, "qemu64,hv-relaxed,hv-vpindex,hv-runtime,hv-time",
      1, true },
    { "runtime-smp2", NULL,
      "qemu64,hv-relaxed,hv-vpindex,hv-runtime,hv-time", 2, true },
    /* One thread for every vCPU: accounted without a clock either */
    { "single-thread", "tcg,thread=single",
      "qemu64,hv-relaxed,hv-vpindex,hv-runtime,hv-time", 2, true },
};

static uint64_t qom_get_uint(QTestState *qts, const char *path,
                             const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': %s, 'property': %s } }", path, prop);
    uint64_t val = 0;

    if (!qdict_haskey(rsp, "return")) {
        g_test_message("qom-get %s %s: no value", path, prop);
        g_assert_not_reached();
    }
    val = qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    return val;
}

/* The counters of every vCPU: cpu-index 0's entries, all clock reads */
static void read_counters(QTestState *qts, uint64_t *entries0,
                          uint64_t *clock_reads)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-cpus-fast' }");
    QList *list = qdict_get_qlist(rsp, "return");
    const QListEntry *e;

    g_assert(list);
    *entries0 = 0;
    *clock_reads = 0;
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *cpu = qobject_to(QDict, qlist_entry_obj(e));
        const char *path = qdict_get_str(cpu, "qom-path");

        if (qdict_get_int(cpu, "cpu-index") == 0) {
            *entries0 = qom_get_uint(qts, path, "x-hv-exec-entries");
        }
        *clock_reads += qom_get_uint(qts, path, "x-hv-runtime-clock-reads");
    }
    qobject_unref(rsp);
}

static void test_pause(const void *opaque)
{
    const PauseCase *pc = opaque;
    HvGuestOptions opts = {
        .accel = pc->accel,
        .cpu = pc->cpu,
        .smp = pc->smp,
        .test = "hotpath-pause",
        .guest_args = "pauses=" G_STRINGIFY(PAUSES),
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);
    const HvGuestRecord *r;
    uint64_t entries, clock_reads;

    hv_assert_guest_passed(g);
    hv_assert_value(g, 0, PAUSES, "hotpath.pause");
    read_counters(hv_guest_qts(g), &entries, &clock_reads);
    g_test_message("%d PAUSEs: %" PRIu64 " cpu_exec() entries on VP 0, "
                   "%" PRIu64 " VP runtime clock reads", PAUSES, entries,
                   clock_reads);
    /*
     * The premise: each PAUSE leaves cpu_exec().  Should TCG stop doing
     * that, this test no longer covers the path and must be revisited.
     */
    if (entries < PAUSES) {
        hv_fail(g, "%d PAUSEs but only %" PRIu64 " cpu_exec() entries: "
                "PAUSE no longer leaves cpu_exec()?", PAUSES, entries);
    }
    if (clock_reads > MAX_CLOCK_READS) {
        hv_fail(g, "%d PAUSEs made %" PRIu64 " host CPU clock reads for "
                "the VP runtime (at most %d allowed): the cpu_exec() path "
                "samples a clock again", PAUSES, clock_reads,
                MAX_CLOCK_READS);
    }
    if (!pc->runtime) {
        return;
    }
    /* Still right: the runtime grew, but not faster than real time */
    r = rec(g, "hotpath.runtime");
    g_test_message("VP runtime +%" PRIu64 " over +%" PRIu64
                   " of reference time (100 ns)", r->values[1] - r->values[0],
                   r->values[3] - r->values[2]);
    g_assert_cmpuint(r->values[1], >, r->values[0]);
    g_assert_cmpuint(r->values[1] - r->values[0], <=,
                     r->values[3] - r->values[2]);
}

/*
 * The VP runtime is read on demand now, from a clock that savevm and
 * loadvm do not stop: loadvm must go on from the saved runtime, not
 * count what the vCPU thread ran since the save.
 */
static void test_runtime_loadvm(const void *opaque)
{
    HvGuestOptions opts = {
        .accel = opaque,
        .cpu = "qemu64,hv-vpindex,hv-runtime,hv-time",
        .test = "hotpath-runtime-snap",
    };
    g_autoptr(HvGuest) g = hv_guest_launch(&opts);
    const HvGuestRecord *r;
    uint64_t mailbox, runtime, ref;

    mailbox = hv_guest_wait_record(g, "mailbox")->values[0];
    g_usleep(100 * 1000);
    if (!hv_guest_snapshot_save(g, "hotpath")) {
        g_test_skip("QEMU cannot create a qcow2 image for snapshots");
        return;
    }
    /*
     * The guest spins on meanwhile: its thread's CPU clock moves on, by
     * more than the reference time it runs before and after (the vCPU
     * gets only part of a host CPU, its thread waits for the BQL)
     */
    g_usleep(1000 * 1000);
    hv_guest_snapshot_load(g, "hotpath");
    g_usleep(100 * 1000);
    qtest_writel(hv_guest_qts(g), mailbox, 1);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    r = rec(g, "hotpath.snap");
    runtime = r->values[1] - r->values[0];
    ref = r->values[3] - r->values[2];
    g_test_message("VP runtime +%" PRIu64 " over +%" PRIu64 " of reference "
                   "time (100 ns), a snapshot saved and loaded meanwhile",
                   runtime, ref);
    g_assert_cmpuint(r->values[1], >, r->values[0]);
    if (runtime > ref) {
        hv_fail(g, "the VP runtime grew by %" PRIu64 " across savevm/loadvm"
                ", the reference time by %" PRIu64 " (100 ns): loadvm did "
                "not go on from the saved runtime", runtime, ref);
    }
}

/* { min, median, n, K }: all samples, 0 < min <= median, K >= 1 */
static void check_timing(HvGuest *g, const char *name)
{
    const HvGuestRecord *r = rec(g, "%s", name);

    hv_assert_value(g, 2, ITERATIONS, "%s", name);
    if (r->values[0] == 0 || r->values[0] > r->values[1] || !r->values[3]) {
        hv_fail(g, "%s: min %" PRIu64 ", median %" PRIu64 " cycles",
                name, r->values[0], r->values[1]);
    }
}

/* make bench's hot-path rows run, with Hyper-V and without */
static void test_bench(const void *opaque)
{
    HvGuestOptions opts = {
        .cpu = opaque,
        .test = "bench-hotpath",
        .guest_args = "iterations=" G_STRINGIFY(ITERATIONS) " batch=4",
    };
    g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);
    static const char *const names[] = {
        "hotpath.pause", "hotpath.hlt", "hotpath.out", "hotpath.rdtsc",
        "hotpath.rdmsr", "hotpath.irq",
    };

    hv_assert_guest_passed(g);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        check_timing(g, names[i]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(pause_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hyperv/hotpath/pause/%s",
                                                pause_cases[i].name);

        qtest_add_data_func(path, &pause_cases[i], test_pause);
    }
    qtest_add_data_func("/hyperv/hotpath/runtime-loadvm/mttcg", "tcg",
                        test_runtime_loadvm);
    qtest_add_data_func("/hyperv/hotpath/runtime-loadvm/single-thread",
                        "tcg,thread=single", test_runtime_loadvm);
    qtest_add_data_func("/hyperv/hotpath/bench/hv",
                        "qemu64,hv-relaxed,hv-vpindex,hv-runtime,hv-time,"
                        "hv-synic,hv-vapic", test_bench);
    qtest_add_data_func("/hyperv/hotpath/bench/nohv", "qemu64", test_bench);
    return g_test_run();
}
