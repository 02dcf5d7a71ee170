/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: SMP stress under MTTCG.  8 vCPUs send each other PV IPIs,
 * make PV TLB flushes, post messages to and signal events through
 * hyperv-testdev and take 1 ms periodic synthetic timer expirations, all
 * at once, for HV_STRESS_SECONDS (default 5) of guest reference time;
 * once plain, once with a migration (to a file and back into a new QEMU)
 * and a savevm/loadvm in the middle.  Nothing may be lost: every IPI,
 * message and event is counted by sender and receiver, every timer
 * expiration is accounted for (TLFS: a periodic timer that could not be
 * signaled on time skips the periods that passed; each expiration
 * message says which period it is and when it was delivered, so the
 * guest checks every skip).  QEMU may not hang (the guest reports
 * progress, the qtest has a deadline) and may print nothing on stderr.
 *
 * Guest side: guest/tests-stress.c (which says why messages and events
 * pause around a migration).  `make stress` runs this with
 * HV_STRESS_SECONDS=30.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hv-harness.h"

#define STRESS_CPU      "qemu64,hv-vpindex,hv-synic,hv-time,hv-stimer," \
                        "hv-ipi,hv-tlbflush,hv-relaxed"
#define STRESS_SMP      8

/* guest/tests-stress.c */
#define STRESS_RUN      0
#define STRESS_PAUSE    1
#define STRESS_RESUME   2
#define CTL_MAILBOX     0
#define CTL_ACK         4
#define CTL_ELAPSED     8
#define CTL_PROGRESS    16
#define REF_HZ          10000000ull
#define ST_SINT         1
#define MSG_SINT        2
#define EVT_SINT        3
#define ST_PERIOD       (REF_HZ / 1000)

/* A vCPU that makes no progress for this long has hung (slow host!) */
#define HANG_US         (120 * G_USEC_PER_SEC)

#define rec hv_guest_good_record

typedef struct Stress {
    HvGuest *g;
    uint64_t ctl;
    int seconds;
    uint64_t progress[STRESS_SMP];
    gint64 progress_at[STRESS_SMP];
} Stress;

/* Item @index of the list @key of @d, an object (NULL when missing) */
static QDict *item(QDict *d, const char *key, int index)
{
    QList *list = d ? qdict_get_qlist(d, key) : NULL;
    QListEntry *e;

    if (list) {
        QLIST_FOREACH_ENTRY(list, e) {
            if (!index--) {
                return qobject_to(QDict, qlist_entry_obj(e));
            }
        }
    }
    return NULL;
}

/*
 * The host's side of the count, from query-hyperv once the guest is done:
 * the interrupts each SINT raised equal the messages and events the
 * guest took, one each (one in flight per channel, the AutoEOI timer SINT
 * included), and every timer expiration was a message the guest took or a
 * tick dropped for a full slot (counted among the missed periods).
 */
static void check_host_counts(Stress *s)
{
    QDict *rsp = qtest_qmp(hv_guest_qts(s->g),
                           "{ 'execute': 'query-hyperv' }");
    QDict *info = qdict_get_qdict(rsp, "return");
    int cpu;

    for (cpu = 0; cpu < STRESS_SMP; cpu++) {
        int prev = (cpu + STRESS_SMP - 1) % STRESS_SMP;
        QDict *vcpu = item(info, "vcpus", cpu);
        QDict *synic = vcpu ? qdict_get_qdict(vcpu, "synic") : NULL;
        QDict *st = item(vcpu, "stimers", 0);
        QDict *sint_st = item(synic, "sints", ST_SINT);
        QDict *sint_msg = item(synic, "sints", MSG_SINT);
        QDict *sint_evt = item(synic, "sints", EVT_SINT);
        const HvGuestRecord *gst = rec(s->g, "cpu%d.stimer", cpu);
        const HvGuestRecord *gmsg = rec(s->g, "cpu%d.msg", cpu);
        const HvGuestRecord *gevt = rec(s->g, "cpu%d.evt", cpu);
        uint64_t exps, missed, dst, dmsg, devt;

        if (!st || !sint_st || !sint_msg || !sint_evt) {
            hv_fail(s->g, "query-hyperv: no SynIC / timer of vCPU %d", cpu);
            break;
        }
        exps = qdict_get_int(st, "expirations");
        missed = qdict_get_int(st, "missed");
        dst = qdict_get_int(sint_st, "deliveries");
        dmsg = qdict_get_int(sint_msg, "deliveries");
        devt = qdict_get_int(sint_evt, "deliveries");
        if (dst != gst->values[0] + gst->values[3] ||
            dmsg != gmsg->values[1] ||
            devt != gevt->values[1] + gevt->values[2] ||
            exps < dst || exps - dst > missed) {
            hv_fail(s->g, "vCPU %d: the host raised %" PRIu64 " timer, %"
                    PRIu64 " message, %" PRIu64 " event SINTs (%" PRIu64
                    " expirations, %" PRIu64 " missed); the guest took %"
                    PRIu64 " timer messages, %" PRIu64 " messages from VP %d"
                    ", %" PRIu64 " event interrupts", cpu, dst, dmsg, devt,
                    exps, missed, gst->values[0] + gst->values[3],
                    gmsg->values[1], prev, gevt->values[1] + gevt->values[2]);
        }
    }
    qobject_unref(rsp);
}

static int stress_seconds(void)
{
    const char *s = getenv("HV_STRESS_SECONDS");
    int n = s ? atoi(s) : 0;

    return n > 0 ? n : 5;
}

/* Every vCPU moved on since the last look, or not for less than HANG_US */
static bool stress_check_progress(Stress *s)
{
    QTestState *qts = hv_guest_qts(s->g);
    gint64 now = g_get_monotonic_time();
    int cpu;

    for (cpu = 0; cpu < STRESS_SMP; cpu++) {
        uint64_t p = qtest_readq(qts, s->ctl + CTL_PROGRESS + 8 * cpu);

        if (p != s->progress[cpu] || !s->progress_at[cpu]) {
            s->progress[cpu] = p;
            s->progress_at[cpu] = now;
        } else if (now - s->progress_at[cpu] > HANG_US) {
            hv_fail(s->g, "vCPU %d made no progress for %d s (%" PRIu64
                    " iterations)", cpu, (int)(HANG_US / G_USEC_PER_SEC),
                    p);
            return false;
        }
    }
    return true;
}

/* Waits until the ctl word at @off satisfies @pred; false on a hang */
static bool stress_wait(Stress *s, unsigned off, uint64_t want, bool ge,
                        const char *what)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)(s->seconds * 20 + 300) * G_USEC_PER_SEC;

    for (;;) {
        QTestState *qts = hv_guest_qts(s->g);
        uint64_t v = off == CTL_ELAPSED ? qtest_readq(qts, s->ctl + off)
                                        : qtest_readl(qts, s->ctl + off);

        if (ge ? v >= want : v == want) {
            return true;
        }
        if (!qtest_probe_child(qts)) {
            hv_fail(s->g, "QEMU exited while waiting for %s", what);
            return false;
        }
        if (!stress_check_progress(s)) {
            return false;
        }
        if (g_get_monotonic_time() > deadline) {
            hv_fail(s->g, "timed out waiting for %s", what);
            return false;
        }
        g_usleep(50 * 1000);
    }
}

/* Messages and events paused and all delivered */
static bool stress_pause(Stress *s)
{
    qtest_writel(hv_guest_qts(s->g), s->ctl + CTL_MAILBOX, STRESS_PAUSE);
    return stress_wait(s, CTL_ACK, STRESS_PAUSE, false, "the pause ack");
}

static bool stress_resume(Stress *s)
{
    qtest_writel(hv_guest_qts(s->g), s->ctl + CTL_MAILBOX, STRESS_RESUME);
    return stress_wait(s, CTL_ACK, STRESS_RESUME, false, "the resume ack");
}

static void test_stress(const void *opaque)
{
    bool migrate = GPOINTER_TO_INT(opaque);
    Stress s = { .seconds = stress_seconds() };
    g_autofree char *err_path = NULL;
    g_autofree char *qemu_args = NULL;
    g_autofree char *guest_args = NULL;
    g_autofree char *err = NULL;
    uint64_t ipis = 0, flushes = 0, msgs = 0, evts = 0, exps = 0;
    uint64_t missed = 0, lost = 0, busy = 0;
    uint64_t duration;
    HvGuestOptions opts = {
        .cpu = STRESS_CPU,
        .smp = STRESS_SMP,
        .test = "stress",
    };
    int fd, cpu;

    duration = s.seconds * REF_HZ;
    fd = g_file_open_tmp("hv-stress-stderr-XXXXXX", &err_path, NULL);
    g_assert(fd >= 0);
    close(fd);
    /* libqtest runs QEMU through sh -c: capture its stderr */
    qemu_args = g_strdup_printf("-device hyperv-testdev 2>>%s", err_path);
    guest_args = g_strdup_printf("seconds=%d", s.seconds);
    opts.qemu_args = qemu_args;
    opts.guest_args = guest_args;
    opts.timeout_ms = (s.seconds * 20 + 300) * 1000;

    s.g = hv_guest_launch(&opts);
    s.ctl = hv_guest_wait_record(s.g, "stress.ctl")->values[0];

    if (migrate) {
        if (!stress_wait(&s, CTL_ELAPSED, duration / 3, true, "1/3 of the "
                         "time") || !stress_pause(&s)) {
            goto out;
        }
        hv_guest_migrate(s.g);
        if (!stress_resume(&s) ||
            !stress_wait(&s, CTL_ELAPSED, duration * 2 / 3, true,
                         "2/3 of the time") || !stress_pause(&s)) {
            goto out;
        }
        if (hv_guest_snapshot_save(s.g, "stress")) {
            hv_guest_snapshot_load(s.g, "stress");
        } else {
            g_test_message("no snapshots here (qcow2?): savevm skipped");
        }
        /* Back at the save point: paused, the mailbox says so */
        if (!stress_resume(&s)) {
            goto out;
        }
    }
    /* The guest finishes by itself; watch that it moves meanwhile */
    while (qtest_readl(hv_guest_qts(s.g),
                       HV_GUEST_RESULTS_GPA +
                       offsetof(HvGuestResults, state)) ==
           HV_GUEST_STATE_RUNNING) {
        if (!qtest_probe_child(hv_guest_qts(s.g))) {
            break;
        }
        if (!stress_check_progress(&s)) {
            goto out;
        }
        g_usleep(100 * 1000);
    }
    hv_guest_wait(s.g);
    hv_assert_guest_passed(s.g);
    g_assert_cmpuint(hv_guest_nr_cpus(s.g), ==, STRESS_SMP);

    for (cpu = 0; cpu < STRESS_SMP; cpu++) {
        int next = (cpu + 1) % STRESS_SMP;
        const HvGuestRecord *ipi = rec(s.g, "cpu%d.ipi", cpu);
        const HvGuestRecord *fl = rec(s.g, "cpu%d.flush", cpu);
        const HvGuestRecord *msg = rec(s.g, "cpu%d.msg", cpu);
        const HvGuestRecord *nmsg = rec(s.g, "cpu%d.msg", next);
        const HvGuestRecord *evt = rec(s.g, "cpu%d.evt", cpu);
        const HvGuestRecord *nevt = rec(s.g, "cpu%d.evt", next);
        const HvGuestRecord *st = rec(s.g, "cpu%d.stimer", cpu);
        const HvGuestRecord *t = rec(s.g, "cpu%d.stimer_time", cpu);
        const HvGuestRecord *end = rec(s.g, "cpu%d.stimer_end", cpu);

        /* Everything that was sent arrived, once */
        hv_assert_value(s.g, 0, 1, "cpu%d.drain", cpu);
        hv_assert_value(s.g, 2, 0, "cpu%d.ipi", cpu);
        hv_assert_value(s.g, 3, 0, "cpu%d.ipi", cpu);
        hv_assert_value(s.g, 1, 0, "cpu%d.flush", cpu);
        hv_assert_value(s.g, 1, msg->values[0], "cpu%d.msg", next);
        hv_assert_value(s.g, 2, 0, "cpu%d.msg", cpu);
        hv_assert_value(s.g, 1, evt->values[0], "cpu%d.evt", next);
        hv_assert_value(s.g, 3, 0, "cpu%d.evt", cpu);
        hv_assert_value(s.g, 0, 0, "cpu%d.msg_err", cpu);
        if (!ipi->values[0] || !msg->values[0] || !evt->values[0] ||
            !fl->values[0]) {
            hv_fail(s.g, "cpu%d sent nothing of some kind: %" PRIu64
                    " IPIs, %" PRIu64 " messages, %" PRIu64 " events, %"
                    PRIu64 " flushes", cpu, ipi->values[0], msg->values[0],
                    evt->values[0], fl->values[0]);
        }

        /*
         * The timer: every step between two expirations was one period
         * plus the periods the delivery before was late by; its first
         * period began when it was enabled; it ran until the end.
         */
        hv_assert_value(s.g, 2, 0, "cpu%d.stimer", cpu);
        hv_assert_value(s.g, 3, 0, "cpu%d.stimer", cpu);
        if (!st->values[0] || t->values[2] < t->values[0] + ST_PERIOD ||
            t->values[2] > t->values[1] + ST_PERIOD) {
            hv_fail(s.g, "cpu%d: %" PRIu64 " expirations, the first at %"
                    PRIu64 ", the timer was enabled in [%" PRIu64 ", %"
                    PRIu64 "]", cpu, st->values[0], t->values[2],
                    t->values[0], t->values[1]);
        }
        if (t->values[3] + ST_PERIOD <= end->values[0]) {
            hv_fail(s.g, "cpu%d: the last expiration was at %" PRIu64
                    ", the stress ended at %" PRIu64, cpu, t->values[3],
                    end->values[0]);
        }
        /* Expirations + skipped == periods from enable to the last one */
        if (st->values[0] + st->values[1] !=
            (t->values[3] - t->values[2]) / ST_PERIOD + 1) {
            hv_fail(s.g, "cpu%d: %" PRIu64 " expirations + %" PRIu64
                    " skipped, but %" PRIu64 " periods elapsed", cpu,
                    st->values[0], st->values[1],
                    (uint64_t)((t->values[3] - t->values[2]) / ST_PERIOD +
                               1));
        }

        ipis += ipi->values[0];
        lost += ipi->values[2];
        flushes += fl->values[0];
        msgs += msg->values[0];
        lost += msg->values[0] - nmsg->values[1];
        evts += evt->values[0];
        lost += evt->values[0] - nevt->values[1];
        busy += msg->values[3];
        exps += st->values[0];
        missed += st->values[1];
        lost += st->values[2];
    }

    /* Migration starts the host's counters afresh */
    if (!migrate) {
        check_host_counts(&s);
    }

    /* QEMU said nothing: no warning, no error */
    g_assert(g_file_get_contents(err_path, &err, NULL, NULL));
    if (err[0]) {
        hv_fail(s.g, "QEMU wrote to stderr:\n%s", err);
    }

    g_test_message("stress: %d vCPUs %d s%s: %" PRIu64 " IPIs, %" PRIu64
                   " flushes, %" PRIu64 " messages (%" PRIu64 " busy "
                   "retries), %" PRIu64 " events, %" PRIu64 " stimer "
                   "expirations + %" PRIu64 " skipped periods, %" PRIu64
                   " lost", STRESS_SMP, s.seconds,
                   migrate ? " with migration + savevm/loadvm" : "", ipis,
                   flushes, msgs, busy, evts, exps, missed, lost);

out:
    hv_guest_stop(s.g);
    unlink(err_path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* One failing check must not hide the others */
    g_test_set_nonfatal_assertions();

    qtest_add_data_func("/hyperv/stress/smp8", GINT_TO_POINTER(false),
                        test_stress);
    qtest_add_data_func("/hyperv/stress/smp8-migration",
                        GINT_TO_POINTER(true), test_stress);
    return g_test_run();
}
