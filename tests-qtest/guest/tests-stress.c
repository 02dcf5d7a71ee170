/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-stress-test.c: every vCPU at once, for seconds=N of
 * reference time, sends PV IPIs (HvCallSendSyntheticClusterIpi/Ex) to the
 * others, makes PV TLB flush hypercalls, posts messages through
 * HvPostMessage to a hyperv-testdev message connection, signals events
 * through HvSignalEvent to a hyperv-testdev event connection, and takes
 * the expirations of a 1 ms periodic synthetic timer.  Everything sent is
 * counted on both sides, so that the qtest can tell that nothing was lost.
 *
 * Exact counts need at most one thing in flight per channel: a fixed
 * interrupt that is still pending in the target's IRR, an event flag that
 * is still set and a message that the testdev still holds all swallow the
 * next one.  So each sender uses its own IPI vector and sends to a target
 * again only once the target took the previous IPI; VP v posts messages
 * and signals events to VP v + 1 (mod N), again only once that VP took
 * the previous one.
 *
 * Synthetic timer: timer 0 of every VP, periodic, 1 ms, message mode on
 * SINT ST_SINT, an AutoEOI SINT as Windows' timer SINT is (so no EOI
 * acknowledges it: only EOM, when the guest saw MessagePending).  Every
 * ST_LATE_EVERY-th message stays in its slot for ST_LATE_PERIODS periods
 * and is freed by the main loop, not the handler: the ticks meanwhile
 * find the slot full.  TLFS (and KVM): a periodic timer whose expiration comes
 * too late to be signaled on time skips the periods that passed, it does
 * not queue them; KVM also drops a periodic tick whose message slot is
 * still full.  Each HV_MESSAGE_TIMER_EXPIRED carries the expiration time
 * it stands for and the time it was delivered, and the handler notes when
 * it emptied the slot, so it checks every step: the next expiration time
 * must be the previous one plus 1 to (1 + the periods the previous
 * delivery was late by or its slot stayed full for) periods -- no tick
 * that found the slot free may be lost.
 *
 * Migration: hyperv-testdev keeps no migration state (its connections
 * are guest-created host objects), and a message it staged in QEMU when
 * the source stopped does not travel either.  The qtest therefore asks
 * for a pause first (mailbox STRESS_PAUSE): the vCPUs stop posting and
 * signalling, the BSP waits until every message and event arrived and
 * says so (ack STRESS_PAUSE); IPIs, flushes and timers go on throughout.
 * After the migration (or snapshot load) the qtest writes STRESS_RESUME,
 * the BSP creates the connections anew and acks STRESS_RESUME.
 *
 * Records:
 *   stress.ctl            GPA of the StressCtl block (mailbox, ack,
 *                         elapsed time, per-CPU progress)
 *   cpuN.ipi              IPIs sent (per target, summed); IPIs taken (from
 *                         every sender); IPIs this CPU sent that its
 *                         targets did not take; hypercall errors
 *   cpuN.flush            flush hypercalls that succeeded; that failed;
 *                         RAX of the first failure
 *   cpuN.msg              messages posted; messages taken (from VP N - 1);
 *                         taken with a wrong type/sequence/size;
 *                         HV_STATUS_INSUFFICIENT_BUFFERS answers
 *   cpuN.evt              events signalled; events taken (flag found set);
 *                         interrupts with the flag clear; failures
 *   cpuN.msg_err          RAX of the first failed HvPostMessage / HvSignalEvent
 *   cpuN.stimer           expirations (messages); periods skipped (as the
 *                         expiration times tell); steps that broke the
 *                         rule above; other messages on the timer's SINT
 *   cpuN.stimer_time      reference time just before / after the timer
 *                         was enabled; first expiration; last expiration
 *   cpuN.stimer_end       reference time when the stress ended; iterations
 *                         of the main loop
 *   cpuN.drain            1 when everything this CPU sent arrived at the
 *                         end (within the drain timeout)
 */
#include "hv-time.h"

/* TLFS SynIC and synthetic timer MSRs */
#define ST_ENABLE                       (1ull << 0)
#define ST_PERIODIC                     (1ull << 1)
#define ST_SINTX(s)                     ((uint64_t)(s) << 16)

/* TLFS hypercalls */
#define FLUSH_ALL_PROCESSORS            (1ull << 0)
#define SET_SPARSE                      0

/* hyperv-testdev (see tests-synic.c) */
#define TESTDEV_PORT                    0x3000
#define TESTDEV_MSG_CONN_CREATE         4
#define TESTDEV_MSG_CONN_DESTROY        5
#define TESTDEV_EVT_CONN_CREATE         6
#define TESTDEV_EVT_CONN_DESTROY        7

/* Vectors, SINTs, connections (hv-stress-test.c knows none of them) */
#define SX_IPI_VEC(sender)              (0x50 + (sender))
#define SX_MAX_CPUS                     16
#define ST_SINT                         1
#define MSG_SINT                        2
#define EVT_SINT                        3
#define SX_VEC(sint)                    (0x70 + (sint))
#define MSG_CONN(vp)                    (10 + (vp))
#define EVT_CONN(vp)                    (40 + (vp))
#define MSG_TYPE                        0x5354
#define MSG_SIZE                        16

#define ST_PERIOD                       (HV_REF_TIME_HZ / 1000)   /* 1 ms */
#define ST_LATE_EVERY                   3
#define ST_LATE_PERIODS                 2
#define DRAIN_TIMEOUT                   (20 * HV_REF_TIME_HZ)

/* Mailbox commands and acks (hv-stress-test.c has the same) */
#define STRESS_RUN                      0
#define STRESS_PAUSE                    1
#define STRESS_RESUME                   2

/*
 * Shared with the qtest, which reads it through qtest_read*() (GPA in
 * record "stress.ctl"); layout in hv-stress-test.c too.
 */
typedef struct StressCtl {
    volatile uint32_t mailbox;          /* written by the qtest */
    volatile uint32_t ack;              /* written by the BSP */
    volatile uint64_t elapsed;          /* reference time since start */
    volatile uint64_t progress[SX_MAX_CPUS];   /* loop iterations */
} StressCtl;

typedef struct SxCpu {
    volatile HvMessage *simp;           /* written by QEMU and the guest */
    volatile uint8_t *siefp;            /* written by QEMU and the guest */
    uint64_t *in;                       /* this CPU's hypercall input */
    /* IPIs, by the peer: sent to it / taken from it (handler) */
    volatile uint32_t ipi_sent[SX_MAX_CPUS];
    volatile uint32_t ipi_taken[SX_MAX_CPUS];   /* by the handler */
    uint64_t ipi_calls, ipi_errors;
    uint64_t flush_ok, flush_errors, flush_first_err;
    /* messages and events this CPU sent to VP + 1, took from VP - 1 */
    volatile uint32_t msg_sent, msg_taken, msg_bad, msg_busy;
    volatile uint32_t evt_sent, evt_taken, evt_empty, evt_errors; /* IRQ */
    volatile uint32_t msg_errors;       /* read by other CPUs */
    uint64_t first_err;
    volatile uint32_t posting;          /* a post/signal in progress */
    /* the timer (handler) */
    volatile uint64_t st_n, st_missed, st_bad, st_other;
    volatile uint64_t st_first_exp, st_last_exp, st_last_delivery; /* IRQ */
    volatile uint64_t st_last_freed;    /* IRQ: slot emptied, ref time */
    volatile uint32_t st_late;          /* IRQ: the slot is left full... */
    volatile uint64_t st_late_until;    /* ...until then (sx_now()) */
    uint64_t st_t0, st_t1, st_end, iterations;
    uint32_t rng;
} SxCpu;

static SxCpu sx_cpus[SX_MAX_CPUS];
static StressCtl sx_ctl;
static HvTscPage *sx_tsc_page;
static uint64_t sx_duration;            /* reference time */
static uint64_t sx_start;
static volatile uint32_t sx_post_enabled;   /* BSP: msgs/events allowed */
static volatile uint32_t sx_stop;           /* BSP: the time is up */
static bool sx_flush = true;

/* No PAUSE under TCG: it leaves the vCPU loop for QEMU's big lock */
static inline void sx_relax(void)
{
    asm volatile("" : : : "memory");
}

static uint64_t sx_now(void)
{
    return ref_time(sx_tsc_page);
}

static uint32_t sx_rand(SxCpu *c)
{
    c->rng = c->rng * 1103515245u + 12345u;
    return c->rng >> 16;
}

static void testdev(uint8_t op, uint8_t vp, uint8_t sint, uint8_t conn)
{
    outl(TESTDEV_PORT, sint | (uint32_t)vp << 8 | (uint32_t)op << 16 |
         (uint32_t)conn << 24);
}

static void sx_connections_create(void)
{
    unsigned int vp;

    for (vp = 0; vp < nr_cpus(); vp++) {
        /* Fresh ones: after loadvm the old ones are still there */
        testdev(TESTDEV_MSG_CONN_DESTROY, 0, 0, MSG_CONN(vp));
        testdev(TESTDEV_EVT_CONN_DESTROY, 0, 0, EVT_CONN(vp));
        testdev(TESTDEV_MSG_CONN_CREATE, vp, MSG_SINT, MSG_CONN(vp));
        testdev(TESTDEV_EVT_CONN_CREATE, vp, EVT_SINT, EVT_CONN(vp));
    }
}

/* ---- Interrupt handlers ------------------------------------------------- */

static void sx_ipi_irq(GuestIrqFrame *frame)
{
    SxCpu *c = &sx_cpus[cpu_index()];
    unsigned int sender = frame->vector - SX_IPI_VEC(0);

    c->ipi_taken[sender]++;
}

/*
 * Empty the slot first, then look at PENDING (the TLFS's order, Linux's
 * vmbus_signal_eom()): a message that finds the slot still full sets
 * PENDING before it gives up, so one of the two sees the other.  Read
 * the other way round, PENDING set between the read and the clear is
 * missed, nobody writes EOM and the waiting message stays staged.
 */
static void sx_eom_if_pending(volatile HvMessage *m) /* QEMU's page */
{
    m->type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (m->flags & HV_MESSAGE_FLAG_PENDING) {
        wrmsr(HV_X64_MSR_EOM, 0);
    }
}

static void sx_stimer_irq(GuestIrqFrame *frame)
{
    SxCpu *c = &sx_cpus[cpu_index()];
    volatile HvMessage *m = &c->simp[ST_SINT];      /* QEMU's page */
    uint64_t exp, delivery;

    if (m->type == 0 || c->st_late) {
        return;
    }
    if (m->type != HV_MESSAGE_TIMER_EXPIRED || (m->payload[0] & 0xf) != 0) {
        c->st_other++;
        sx_eom_if_pending(m);
        return;
    }
    exp = m->payload[1];
    delivery = m->payload[2];
    if (c->st_n == 0) {
        c->st_first_exp = exp;
    } else {
        uint64_t step = exp - c->st_last_exp;
        uint64_t busy = c->st_last_freed > c->st_last_delivery ?
                        c->st_last_freed : c->st_last_delivery;
        uint64_t late = (busy - c->st_last_exp) / ST_PERIOD;

        /*
         * A whole number of periods, 1 + at most those the last one was
         * late by or its slot stayed full for: KVM drops a periodic tick
         * that finds the slot full, none that finds it free
         */
        if (exp <= c->st_last_exp || step % ST_PERIOD ||
            step / ST_PERIOD > late + 1) {
            c->st_bad++;
        }
        if (exp > c->st_last_exp) {
            c->st_missed += step / ST_PERIOD - 1;
        }
    }
    /* TLFS: never delivered before the expiration time */
    if (delivery < exp) {
        c->st_bad++;
    }
    c->st_last_exp = exp;
    c->st_last_delivery = delivery;
    c->st_n++;
    if (c->st_n % ST_LATE_EVERY == 0 && !sx_stop) {
        c->st_late_until = sx_now() + ST_LATE_PERIODS * ST_PERIOD;
        c->st_late = 1;
        return;
    }
    sx_eom_if_pending(m);
    c->st_last_freed = ref_time_msr();
}

/* The main loop empties a slot the handler left full, once it is time */
static void sx_stimer_free_late(SxCpu *c)
{
    if (c->st_late && (sx_stop || sx_now() >= c->st_late_until)) {
        irq_disable();
        c->st_late = 0;
        sx_eom_if_pending(&c->simp[ST_SINT]);
        c->st_last_freed = ref_time_msr();
        irq_enable();
    }
}

static void sx_msg_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();
    SxCpu *c = &sx_cpus[cpu];
    unsigned int from = (cpu + nr_cpus() - 1) % nr_cpus();
    volatile HvMessage *m = &c->simp[MSG_SINT];     /* QEMU's page */

    if (m->type == 0) {
        return;
    }
    if (m->type != MSG_TYPE || m->size != MSG_SIZE ||
        m->payload[0] != ((uint64_t)from << 32 | (c->msg_taken + 1)) ||
        m->payload[1] != ~m->payload[0]) {
        c->msg_bad++;
    }
    c->msg_taken++;
    sx_eom_if_pending(m);
}

static void sx_evt_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();
    SxCpu *c = &sx_cpus[cpu];
    volatile uint8_t *byte =                        /* QEMU's page */
        &c->siefp[EVT_SINT * 256 + EVT_CONN(cpu) / 8];
    uint8_t bit = 1u << (EVT_CONN(cpu) % 8);

    if (__atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit) {
        c->evt_taken++;
    } else {
        c->evt_empty++;
    }
}

/* ---- The senders -------------------------------------------------------- */

static void sx_send_ipis(unsigned int cpu, SxCpu *c)
{
    uint64_t mask = 0, rax;
    unsigned int t, n = nr_cpus();
    uint8_t fault;

    for (t = 0; t < n; t++) {
        if (t != cpu && c->ipi_sent[t] == sx_cpus[t].ipi_taken[cpu] &&
            (sx_rand(c) & 1)) {
            mask |= 1ull << t;
        }
    }
    if (!mask) {
        return;
    }
    if (c->ipi_calls & 1) {
        /* Fast: vector in RDX, mask in R8 */
        fault = hv_call(HVCALL_SEND_IPI | HC_FAST, SX_IPI_VEC(cpu), mask,
                        &rax);
    } else {
        c->in[0] = SX_IPI_VEC(cpu);
        c->in[1] = SET_SPARSE;
        c->in[2] = 1;           /* bank 0 */
        c->in[3] = mask;
        fault = hv_call(HVCALL_SEND_IPI_EX | HC_VARHEAD(1),
                        (uintptr_t)c->in, 0, &rax);
    }
    c->ipi_calls++;
    if (fault != HV_GUEST_FAULT_NONE || rax != HV_STATUS_SUCCESS) {
        c->ipi_errors++;
        return;
    }
    for (t = 0; t < n; t++) {
        if (mask & (1ull << t)) {
            c->ipi_sent[t]++;
        }
    }
}

static void sx_send_flush(unsigned int cpu, SxCpu *c)
{
    uint64_t rax, all = (1ull << nr_cpus()) - 1;
    uint8_t fault;

    c->in[0] = 0;
    c->in[1] = 0;
    switch (sx_rand(c) % 3) {
    case 0:
        c->in[2] = (sx_rand(c) | (uint64_t)sx_rand(c) << 16) & all;
        c->in[2] |= 1ull << ((cpu + 1) % nr_cpus());
        fault = hv_call(HVCALL_FLUSH_SPACE, (uintptr_t)c->in, 0, &rax);
        break;
    case 1:
        c->in[2] = 1ull << ((cpu + 2) % nr_cpus());
        c->in[3] = 0x100000;
        fault = hv_call(HVCALL_FLUSH_LIST | HC_REP_COUNT(1),
                        (uintptr_t)c->in, 0, &rax);
        rax &= ~(1ull << 32);       /* 1 rep done */
        break;
    default:
        c->in[1] = FLUSH_ALL_PROCESSORS;
        c->in[2] = SET_SPARSE;
        c->in[3] = 0;
        fault = hv_call(HVCALL_FLUSH_SPACE_EX, (uintptr_t)c->in, 0, &rax);
        break;
    }
    if (fault != HV_GUEST_FAULT_NONE || rax != HV_STATUS_SUCCESS) {
        if (!c->flush_errors++) {
            c->flush_first_err = fault != HV_GUEST_FAULT_NONE ?
                                 0xf000 | fault : rax;
        }
        return;
    }
    c->flush_ok++;
}

static void sx_note_error(SxCpu *c, uint64_t rax)
{
    if (!c->first_err) {
        c->first_err = rax | 1ull << 63;
    }
}

static void sx_send_msg_evt(unsigned int cpu, SxCpu *c)
{
    unsigned int to = (cpu + 1) % nr_cpus();
    SxCpu *t = &sx_cpus[to];
    HvPostMessageInput *in = (HvPostMessageInput *)(c->in + 64);
    uint64_t rax;

    __atomic_store_n(&c->posting, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&sx_post_enabled, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&c->posting, 0, __ATOMIC_SEQ_CST);
        return;
    }
    if (c->msg_sent == t->msg_taken) {
        in->connection_id = MSG_CONN(to);
        in->reserved = 0;
        in->message_type = MSG_TYPE;
        in->payload_size = MSG_SIZE;
        in->payload[0] = (uint64_t)cpu << 32 | (c->msg_sent + 1);
        in->payload[1] = ~in->payload[0];
        if (hv_call(HVCALL_POST_MESSAGE, (uintptr_t)in, 0, &rax) !=
            HV_GUEST_FAULT_NONE) {
            rax = ~0ull;
        }
        if (rax == HV_STATUS_SUCCESS) {
            c->msg_sent++;
        } else if (rax == HV_STATUS_INSUFFICIENT_BUFFERS) {
            c->msg_busy++;
        } else {
            c->msg_errors++;
            sx_note_error(c, rax);
        }
    }
    if (c->evt_sent == t->evt_taken) {
        if (hv_call(HVCALL_SIGNAL_EVENT | HC_FAST, EVT_CONN(to), 0, &rax) !=
            HV_GUEST_FAULT_NONE) {
            rax = ~0ull;
        }
        if (rax == HV_STATUS_SUCCESS) {
            c->evt_sent++;
        } else {
            c->evt_errors++;
            sx_note_error(c, rax | 1ull << 62);
        }
    }
    __atomic_store_n(&c->posting, 0, __ATOMIC_SEQ_CST);
}

/* Everything posted/signalled arrived, and nobody is posting */
static bool sx_msgs_quiet(void)
{
    unsigned int v, n = nr_cpus();

    for (v = 0; v < n; v++) {
        SxCpu *c = &sx_cpus[v], *t = &sx_cpus[(v + 1) % n];

        if (__atomic_load_n(&c->posting, __ATOMIC_SEQ_CST) ||
            c->msg_sent != t->msg_taken || c->evt_sent != t->evt_taken) {
            return false;
        }
    }
    return true;
}

/* The BSP's part of the pause/resume protocol (see the top) */
static void sx_mailbox(void)
{
    uint32_t cmd = sx_ctl.mailbox;

    if (cmd == STRESS_PAUSE && sx_ctl.ack != STRESS_PAUSE) {
        __atomic_store_n(&sx_post_enabled, 0, __ATOMIC_SEQ_CST);
        if (sx_msgs_quiet()) {
            __atomic_store_n(&sx_ctl.ack, STRESS_PAUSE, __ATOMIC_SEQ_CST);
        }
    } else if (cmd == STRESS_RESUME && sx_ctl.ack == STRESS_PAUSE) {
        sx_connections_create();
        __atomic_store_n(&sx_post_enabled, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&sx_ctl.ack, STRESS_RESUME, __ATOMIC_SEQ_CST);
    }
}

/* ---- The test ----------------------------------------------------------- */

static void stress_setup(void)
{
    unsigned int i;

    if (nr_cpus() > SX_MAX_CPUS) {
        guest_abort("at most %u CPUs", SX_MAX_CPUS);
    }
    sx_duration = cmdline_get_u64("seconds", 5) * HV_REF_TIME_HZ;
    sx_flush = cmdline_get_u64("flush", 1);
    if (hv_hypercall_enable() != HV_GUEST_FAULT_NONE) {
        guest_abort("no hypercall page");
    }
    sx_tsc_page = alloc_pages(1);
    if (tsc_page_enable(sx_tsc_page) != HV_GUEST_FAULT_NONE) {
        sx_tsc_page = NULL;
    }
    for (i = 0; i < nr_cpus(); i++) {
        irq_set_handler(SX_IPI_VEC(i), sx_ipi_irq, 0);
        sx_cpus[i].simp = alloc_pages(1);
        sx_cpus[i].siefp = alloc_pages(1);
        sx_cpus[i].in = alloc_pages(1);
        sx_cpus[i].rng = 0x1234567u * (i + 1);
    }
    irq_set_handler(SX_VEC(ST_SINT), sx_stimer_irq, IRQ_NO_EOI);
    irq_set_handler(SX_VEC(MSG_SINT), sx_msg_irq, 0);
    irq_set_handler(SX_VEC(EVT_SINT), sx_evt_irq, 0);
    sx_connections_create();
    sx_post_enabled = 1;
    mailbox_announce(&sx_ctl.mailbox, "stress.ctl");
}

static void stress_cpu(unsigned int cpu)
{
    SxCpu *c = &sx_cpus[cpu];
    uint64_t v[4], now, deadline;
    unsigned int to = (cpu + 1) % nr_cpus(), t;
    bool drained;

    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)c->simp | 1);
    wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)c->siefp | 1);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
    wrmsr(HV_X64_MSR_SINT(ST_SINT), SX_VEC(ST_SINT) | HV_SINT_AUTO_EOI);
    wrmsr(HV_X64_MSR_SINT(MSG_SINT), SX_VEC(MSG_SINT));
    wrmsr(HV_X64_MSR_SINT(EVT_SINT), SX_VEC(EVT_SINT));
    smp_barrier();
    if (cpu == 0) {
        sx_start = sx_now();
    }
    smp_barrier();

    /* TLFS: the first period begins when the timer is enabled */
    wrmsr(HV_X64_MSR_STIMER_COUNT(0), ST_PERIOD);
    c->st_t0 = ref_time_msr();
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), ST_ENABLE | ST_PERIODIC |
          ST_SINTX(ST_SINT));
    c->st_t1 = ref_time_msr();
    irq_enable();

    while (!__atomic_load_n(&sx_stop, __ATOMIC_SEQ_CST)) {
        c->iterations++;
        sx_ctl.progress[cpu] = c->iterations;
        sx_send_ipis(cpu, c);
        if (sx_flush && (c->iterations % 8) == cpu % 8) {
            sx_send_flush(cpu, c);
        }
        sx_send_msg_evt(cpu, c);
        sx_stimer_free_late(c);
        if (cpu == 0) {
            now = sx_now();
            sx_ctl.elapsed = now - sx_start;
            sx_mailbox();
            if (now - sx_start >= sx_duration &&
                sx_ctl.mailbox != STRESS_PAUSE) {
                __atomic_store_n(&sx_stop, 1, __ATOMIC_SEQ_CST);
            }
        }
    }
    c->st_end = ref_time_msr();

    /* The timer's expiration due by now must come before it stops */
    deadline = sx_now() + DRAIN_TIMEOUT;
    while (c->st_last_exp + ST_PERIOD <= c->st_end && sx_now() < deadline) {
        sx_stimer_free_late(c);
        sx_relax();
    }
    irq_disable();
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), 0);
    irq_enable();

    /* Whatever this CPU sent must arrive */
    deadline = sx_now() + DRAIN_TIMEOUT;
    do {
        drained = c->msg_sent == sx_cpus[to].msg_taken &&
                  c->evt_sent == sx_cpus[to].evt_taken;
        for (t = 0; t < nr_cpus(); t++) {
            drained &= c->ipi_sent[t] == sx_cpus[t].ipi_taken[cpu];
        }
        if (drained) {
            break;
        }
        sx_relax();
    } while (sx_now() < deadline);
    smp_barrier();
    irq_disable();
    smp_barrier();

    v[0] = v[1] = v[2] = 0;
    for (t = 0; t < nr_cpus(); t++) {
        v[0] += c->ipi_sent[t];
        v[1] += c->ipi_taken[t];
        v[2] += c->ipi_sent[t] - sx_cpus[t].ipi_taken[cpu];
    }
    v[3] = c->ipi_errors;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.ipi", cpu);
    v[0] = c->flush_ok;
    v[1] = c->flush_errors;
    v[2] = c->flush_first_err;
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu%u.flush", cpu);
    v[0] = c->msg_sent;
    v[1] = c->msg_taken;
    v[2] = c->msg_bad;
    v[3] = c->msg_busy;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.msg", cpu);
    v[0] = c->evt_sent;
    v[1] = c->evt_taken;
    v[2] = c->evt_empty;
    v[3] = c->evt_errors + c->msg_errors;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.evt", cpu);
    v[0] = c->first_err;
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.msg_err", cpu);
    v[0] = c->st_n;
    v[1] = c->st_missed;
    v[2] = c->st_bad;
    v[3] = c->st_other;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.stimer", cpu);
    v[0] = c->st_t0;
    v[1] = c->st_t1;
    v[2] = c->st_first_exp;
    v[3] = c->st_last_exp;
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu%u.stimer_time", cpu);
    v[0] = c->st_end;
    v[1] = c->iterations;
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.stimer_end", cpu);
    v[0] = drained;
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.drain", cpu);
}

GUEST_TEST(stress,
    .name = "stress",
    .description = "PV IPIs, flushes, messages, events, stimers at once",
    .setup = stress_setup,
    .cpu_fn = stress_cpu,
);
