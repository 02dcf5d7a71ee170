/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-stimer-test.c: the synthetic timers (TLFS "Timers":
 * "Synthetic Timers"; message mode through the SynIC, direct mode).
 *
 * Tests run from the BSP's setup() with interrupts enabled.  The SINT
 * handler copies every message it finds in its slot into a log (and, in
 * "consume" mode, empties the slot and writes EOM); the tests record
 * what the log and the registers show, the qtest judges.  Times are
 * partition reference time, 100 ns units.
 */
#include "hv-time.h"

#define ST_ENABLE                       (1ull << 0)
#define ST_PERIODIC                     (1ull << 1)
#define ST_LAZY                         (1ull << 2)
#define ST_AUTO_ENABLE                  (1ull << 3)
#define ST_APIC_VECTOR(v)               ((uint64_t)(v) << 4)
#define ST_DIRECT                       (1ull << 12)
#define ST_SINTX(s)                     ((uint64_t)(s) << 16)

/* Vectors and SINTs (hv-stimer-test.c has the same) */
#define ST_VEC(sint)                    (0x60 + (sint))
#define ST_VEC_DIRECT                   0xb0
#define ST_SINT                         2
#define ST_SINT2                        3

/* 1 ms in reference time */
#define ST_MS                           (HV_REF_TIME_HZ / 1000)

#define ST_READ_FAULTED                 0xfa17fa17fa17fa17ull
#define ST_LOG_MAX                      4096

/* TLFS HV_MESSAGE with HV_TIMER_MESSAGE_PAYLOAD */
typedef struct HvTimerMessage {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint16_t reserved;
    uint64_t sender;
    uint32_t timer_index;
    uint32_t reserved2;
    uint64_t expiration_time;
    uint64_t delivery_time;
    uint64_t rest[27];
} HvTimerMessage;

_Static_assert(sizeof(HvTimerMessage) == 256, "HV_MESSAGE layout");

/* What the handler saw in the slot */
typedef struct StMsg {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint32_t index;
    uint64_t exp;
    uint64_t delivery;
    uint64_t seen;              /* reference time in the handler */
    /*
     * Reference time once the handler emptied the slot (0: it left the
     * message there)
     */
    uint64_t freed;
} StMsg;

#define ST_LOG_PAGES ((sizeof(StMsg) * ST_LOG_MAX + 4095) / 4096)

typedef struct StSint {
    StMsg *log;
    volatile uint32_t n;        /* messages logged */
    volatile uint32_t empty;    /* interrupts that found the slot empty */
    volatile bool consume;      /* empty the slot and write EOM */
    volatile bool no_eom;       /* with consume: but write no EOM */
} StSint;

#define ST_MAX_CPUS                     2

/* Each CPU's message page and logs; st_simp and st_sints are CPU 0's */
static volatile HvTimerMessage *st_simp_of[ST_MAX_CPUS];
static StSint st_sints_of[ST_MAX_CPUS][HV_SINT_COUNT];
static StSint *const st_sints = st_sints_of[0];
static volatile HvTimerMessage *st_simp;   /* QEMU's page */
static HvTscPage *st_tsc_page;
static volatile uint32_t st_direct_count;  /* from the handler */
static volatile uint32_t st_direct_isr;    /* from the handler */
static volatile uint64_t st_direct_seen;   /* from the handler */
static volatile uint32_t st_mailbox;       /* written by the qtest */

static void st_sint_irq(GuestIrqFrame *frame)
{
    unsigned int sint = frame->vector - ST_VEC(0);
    unsigned int cpu = cpu_index();
    volatile HvTimerMessage *m;             /* QEMU's page */
    StSint *s;
    uint64_t now = ref_time_msr();

    if (cpu >= ST_MAX_CPUS || !st_simp_of[cpu]) {
        return;
    }
    m = &st_simp_of[cpu][sint];
    s = &st_sints_of[cpu][sint];
    if (m->type == 0) {
        s->empty++;
        return;
    }
    StMsg *l = s->log && s->n < ST_LOG_MAX ? &s->log[s->n] : NULL;

    if (l) {
        l->type = m->type;
        l->size = m->size;
        l->flags = m->flags;
        l->index = m->timer_index;
        l->exp = m->expiration_time;
        l->delivery = m->delivery_time;
        l->seen = now;
        l->freed = 0;
    }
    s->n++;
    if (s->consume) {
        m->type = 0;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (l) {
            l->freed = ref_time_msr();
        }
        if (!s->no_eom) {
            wrmsr(HV_X64_MSR_EOM, 0);
        }
    }
}

static void st_direct_irq(GuestIrqFrame *frame)
{
    unsigned int vec = frame->vector;

    st_direct_isr = (apic_read(APIC_ISR + (vec / 32) * 0x10) >>
                     (vec % 32)) & 1;
    st_direct_seen = ref_time_msr();
    st_direct_count++;
}

static uint64_t rdmsr_or_faulted(uint32_t msr)
{
    uint64_t val;

    return rdmsr_safe(msr, &val) == HV_GUEST_FAULT_NONE ? val
                                                        : ST_READ_FAULTED;
}

/*
 * The reference time for polling loops: from the TSC page, which (unlike
 * the MSR) takes no lock in QEMU that the timers need too.  Times that
 * are recorded come from the MSR, the clock the timers use.
 */
static uint64_t st_poll_time(void)
{
    return ref_time(st_tsc_page);
}

/*
 * Not cpu_relax(): under TCG every PAUSE leaves the vCPU loop, which then
 * takes QEMU's big lock, the lock the timer callbacks wait for.
 */
static inline void st_relax(void)
{
    asm volatile("" : : : "memory");
}

static void st_delay_ms(uint64_t ms)
{
    uint64_t end = st_poll_time() + ms * ST_MS;

    while (st_poll_time() < end) {
        st_relax();
    }
}

/* Spins until the reference time (MSR) reaches @t */
static void st_wait_until(uint64_t t)
{
    while (st_poll_time() < t || ref_time_msr() < t) {
        st_relax();
    }
}

static bool st_wait_ge(const volatile uint32_t *p, /* by the handler */
                       uint32_t want, uint64_t ms)
{
    uint64_t end = st_poll_time() + ms * ST_MS;

    while (*p < want) {
        if (st_poll_time() > end) {
            return *p >= want;
        }
        st_relax();
    }
    return true;
}

/*
 * The SynIC on with its message page, SINT ST_SINT and ST_SINT2 at
 * ST_VEC(), handlers installed, interrupts on.
 */
static void st_setup_common(bool synic)
{
    unsigned int i;

    for (i = 0; i < HV_SINT_COUNT; i++) {
        irq_set_handler(ST_VEC(i), st_sint_irq, 0);
        st_sints[i].log = NULL;
    }
    st_sints[ST_SINT].log = alloc_pages(ST_LOG_PAGES);
    st_sints[ST_SINT2].log = alloc_pages(ST_LOG_PAGES);
    irq_set_handler(ST_VEC_DIRECT, st_direct_irq, 0);
    st_simp = st_simp_of[0] = alloc_pages(1);
    st_tsc_page = alloc_pages(1);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_LINUX);
    if (tsc_page_enable(st_tsc_page) != HV_GUEST_FAULT_NONE) {
        st_tsc_page = NULL;
    }
    if (synic) {
        wrmsr(HV_X64_MSR_SIMP, (uintptr_t)st_simp | 1);
        wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)alloc_pages(1) | 1);
        wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
        wrmsr(HV_X64_MSR_SINT(ST_SINT), ST_VEC(ST_SINT));
        wrmsr(HV_X64_MSR_SINT(ST_SINT2), ST_VEC(ST_SINT2));
    }
    irq_enable();
}

/* Records message @i of @s's log as NAME.msg and NAME.time */
static void record_sint_msg(const StSint *s, uint32_t i, const char *name)
{
    const StMsg *l = &s->log[i];
    uint64_t v[4];

    if (i >= s->n || i >= ST_LOG_MAX) {
        v[0] = v[1] = v[2] = v[3] = 0;
        record(HV_GUEST_FAULT_NONE, 4, v, "%s.msg", name);
        record(HV_GUEST_FAULT_NONE, 4, v, "%s.time", name);
        return;
    }
    v[0] = l->type;
    v[1] = l->size | (uint32_t)l->flags << 8;
    v[2] = l->index;
    v[3] = s->n;
    record(HV_GUEST_FAULT_NONE, 4, v, "%s.msg", name);
    v[0] = l->exp;
    v[1] = l->delivery;
    v[2] = l->seen;
    v[3] = s->empty;
    record(HV_GUEST_FAULT_NONE, 4, v, "%s.time", name);
}

/* The same for CPU 0's SINT @sint */
static void record_msg(unsigned int sint, uint32_t i, const char *name)
{
    record_sint_msg(&st_sints[sint], i, name);
}

static void record_regs(unsigned int i, const char *name)
{
    uint64_t v[2];

    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(i));
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(i));
    record(HV_GUEST_FAULT_NONE, 2, v, "%s", name);
}

/* Starts timer @i: COUNT first, then CONFIG (the order Linux uses) */
static void stimer_start(unsigned int i, uint64_t config, uint64_t count)
{
    wrmsr(HV_X64_MSR_STIMER_COUNT(i), count);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(i), config);
}

static void stimer_stop(unsigned int i)
{
    wrmsr(HV_X64_MSR_STIMER_CONFIG(i), 0);
    wrmsr(HV_X64_MSR_STIMER_COUNT(i), 0);
}

/* ---- stimer-oneshot ----------------------------------------------------- */

/*
 * stimer-oneshot: one-shot timers in message mode on SINT ST_SINT,
 * consumed by the handler.
 *
 *   oneshot.armed        timer 1 (count = now + 20 ms): CONFIG, COUNT
 *   oneshot.msg          its message: message_type; payload_size |
 *                        message_flags << 8; timer index; messages
 *                        logged after 50 ms more
 *   oneshot.time         expiration time; delivery time; reference time
 *                        in the handler; interrupts with an empty slot
 *   oneshot.count        the count written; reference time when written
 *   oneshot.after        CONFIG, COUNT once it expired
 *   past.msg/.time       timer 2 with a count 1 ms in the past
 *   past.count           its count
 *   far                  timer 0 with count UINT64_MAX: messages in
 *                        20 ms; CONFIG
 *   sintx0.regs          timer 3 enabled in message mode with SINTx 0:
 *                        CONFIG, COUNT read back
 *   sintx0.msgs          messages logged 20 ms later (in all)
 */
static void stimer_oneshot_setup(void)
{
    StSint *s = &st_sints[ST_SINT];
    uint64_t now, count, v[2];
    uint32_t n;

    st_setup_common(true);
    s->consume = true;

    now = ref_time_msr();
    count = now + 20 * ST_MS;
    stimer_start(1, ST_ENABLE | ST_SINTX(ST_SINT), count);
    record_regs(1, "oneshot.armed");
    st_wait_ge(&s->n, 1, 1000);
    st_delay_ms(50);
    record_msg(ST_SINT, 0, "oneshot");
    v[0] = count;
    v[1] = now;
    record(HV_GUEST_FAULT_NONE, 2, v, "oneshot.count");
    record_regs(1, "oneshot.after");

    n = s->n;
    count = ref_time_msr() - ST_MS;
    stimer_start(2, ST_ENABLE | ST_SINTX(ST_SINT), count);
    st_wait_ge(&s->n, n + 1, 1000);
    st_delay_ms(20);
    record_msg(ST_SINT, n, "past");
    v[0] = count;
    record(HV_GUEST_FAULT_NONE, 1, v, "past.count");

    /* The end of time: saturated, never expires */
    n = s->n;
    stimer_start(0, ST_ENABLE | ST_SINTX(ST_SINT), UINT64_MAX);
    st_delay_ms(20);
    v[0] = s->n - n;
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
    record(HV_GUEST_FAULT_NONE, 2, v, "far");
    stimer_stop(0);

    n = s->n;
    stimer_start(3, ST_ENABLE, ref_time_msr() + 5 * ST_MS);
    record_regs(3, "sintx0.regs");
    st_delay_ms(20);
    v[0] = s->n - n;
    record(HV_GUEST_FAULT_NONE, 1, v, "sintx0.msgs");
    stimer_stop(1);
    stimer_stop(2);
    stimer_stop(3);
    irq_disable();
}

GUEST_TEST(stimer_oneshot,
    .name = "stimer-oneshot",
    .description = "one-shot synthetic timers, message mode",
    .setup = stimer_oneshot_setup,
);

/* ---- Periodic timer analysis -------------------------------------------- */

/*
 * Checks the expirations of a periodic timer with period @period in
 * SINT @sint's log from message @from on:
 *   v[0] consecutive expirations equal or going backwards
 *   v[1] expirations not a whole number of periods after the first
 *   v[2] periods skipped without reason: a gap of more than one period
 *        although the skipped expirations lay after the message before the
 *        gap was delivered and its slot emptied (only a late host loses
 *        them, or a slot still full: KVM drops those periodic ticks)
 *   v[3] messages delivered before their expiration, or seen before
 *        their delivery time
 * and *@skipped the number of periods skipped in all.
 */
static void periodic_check(unsigned int sint, uint32_t from, uint64_t period,
                           uint64_t *v, uint64_t *skipped)
{
    const StSint *s = &st_sints[sint];
    uint32_t n = s->n < ST_LOG_MAX ? s->n : ST_LOG_MAX;
    uint32_t i;

    v[0] = v[1] = v[2] = v[3] = 0;
    *skipped = 0;
    for (i = from; i < n; i++) {
        const StMsg *l = &s->log[i];

        if (l->delivery < l->exp || l->seen < l->delivery) {
            v[3]++;
        }
        if (i == from) {
            continue;
        }
        if (l->exp <= l[-1].exp) {
            v[0]++;
            continue;
        }
        if ((l->exp - s->log[from].exp) % period) {
            v[1]++;
        }
        if (l->exp - l[-1].exp > period) {
            uint64_t busy_until = l[-1].freed ? l[-1].freed : UINT64_MAX;

            *skipped += (l->exp - l[-1].exp) / period - 1;
            if (l->exp - period > l[-1].delivery &&
                l->exp - period > busy_until) {
                v[2]++;
            }
        }
    }
}

/* ---- stimer-periodic ---------------------------------------------------- */

/*
 * stimer-periodic: timer 0, periodic, 1 ms, on SINT ST_SINT; the handler
 * empties the slot and writes EOM every time.
 *
 *   periodic.count       messages seen within 1 s of enabling it; in all
 *                        until disabled (1 s + 5 ms); interrupts with an
 *                        empty slot; messages logged after the timer was
 *                        disabled
 *   periodic.first       first expiration - reference time just before
 *                        enabling; messages that were no
 *                        HV_MESSAGE_TIMER_EXPIRED of timer 0 with a
 *                        24-byte payload; message_flags seen non-zero;
 *                        periods skipped
 *   periodic.check       see periodic_check()
 *   periodic.latency     largest delivery - expiration; largest
 *                        seen - delivery
 *   periodic.window      expirations within 1 s of enabling (periods
 *                        from the first message's expiration to the last
 *                        one's up to then, delivered or skipped);
 *                        messages delivered for them
 *   periodic.regs        CONFIG, COUNT while running
 */
static void stimer_periodic_setup(void)
{
    StSint *s = &st_sints[ST_SINT];
    uint64_t start, end, v[4], skipped, lat_d = 0, lat_s = 0;
    uint32_t i, n, in_1s = 0, bad = 0, flags = 0, exp_in_1s = 0;
    uint64_t last_exp = 0;

    st_setup_common(true);
    s->consume = true;

    start = ref_time_msr();
    stimer_start(0, ST_ENABLE | ST_PERIODIC | ST_SINTX(ST_SINT), ST_MS);
    record_regs(0, "periodic.regs");
    end = start + HV_REF_TIME_HZ;
    /* Halted between the interrupts, as an idle guest would be */
    while (st_poll_time() < end + 5 * ST_MS) {
        safe_halt();
    }
    st_wait_until(end + 5 * ST_MS);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), 0);
    n = s->n;
    st_delay_ms(10);

    for (i = 0; i < n && i < ST_LOG_MAX; i++) {
        const StMsg *l = &s->log[i];

        if (l->seen <= end) {
            in_1s++;
        }
        if (l->exp <= end) {
            exp_in_1s++;
            last_exp = l->exp;
        }
        if (l->type != HV_MESSAGE_TIMER_EXPIRED || l->index != 0 ||
            l->size != 24) {
            bad++;
        }
        if (l->flags) {
            flags++;
        }
        if (l->delivery >= l->exp && l->delivery - l->exp > lat_d) {
            lat_d = l->delivery - l->exp;
        }
        if (l->seen >= l->delivery && l->seen - l->delivery > lat_s) {
            lat_s = l->seen - l->delivery;
        }
    }
    v[0] = in_1s;
    v[1] = n;
    v[2] = s->empty;
    v[3] = s->n - n;
    record(HV_GUEST_FAULT_NONE, 4, v, "periodic.count");
    periodic_check(ST_SINT, 0, ST_MS, v, &skipped);
    record(HV_GUEST_FAULT_NONE, 4, v, "periodic.check");
    v[0] = n ? s->log[0].exp - start : 0;
    v[1] = bad;
    v[2] = flags;
    v[3] = skipped;
    record(HV_GUEST_FAULT_NONE, 4, v, "periodic.first");
    v[0] = lat_d;
    v[1] = lat_s;
    record(HV_GUEST_FAULT_NONE, 2, v, "periodic.latency");
    v[0] = n ? (last_exp - s->log[0].exp) / ST_MS + 1 : 0;
    v[1] = exp_in_1s;
    record(HV_GUEST_FAULT_NONE, 2, v, "periodic.window");
    stimer_stop(0);
    irq_disable();
}

GUEST_TEST(stimer_periodic,
    .name = "stimer-periodic",
    .description = "periodic synthetic timer: 1 ms for 1 s",
    .setup = stimer_periodic_setup,
);

/* ---- stimer-autoenable -------------------------------------------------- */

/*
 * stimer-autoenable: AutoEnable (CONFIG bit 3) on timer 2, SINT ST_SINT,
 * consumed.
 *
 *   auto.config0         CONFIG, COUNT after writing CONFIG = AutoEnable
 *                        | SINTx (Enable clear)
 *   auto.config1         after writing COUNT = now + 10 ms
 *   auto.msg/.time       the message
 *   auto.count           the count written
 *   auto.after           CONFIG, COUNT once it expired
 *   auto.periodic        periodic with AutoEnable, COUNT = 1 ms: CONFIG
 *                        after the COUNT write; messages once 5 came (or
 *                        after 1 s)
 *   auto.zero            COUNT := 0: CONFIG, COUNT; messages in the
 *                        20 ms after that
 */
static void stimer_autoenable_setup(void)
{
    StSint *s = &st_sints[ST_SINT];
    uint64_t count, v[3];
    uint32_t n;

    st_setup_common(true);
    s->consume = true;

    wrmsr(HV_X64_MSR_STIMER_CONFIG(2), ST_AUTO_ENABLE | ST_SINTX(ST_SINT));
    record_regs(2, "auto.config0");
    count = ref_time_msr() + 10 * ST_MS;
    wrmsr(HV_X64_MSR_STIMER_COUNT(2), count);
    record_regs(2, "auto.config1");
    st_wait_ge(&s->n, 1, 1000);
    st_delay_ms(20);
    record_msg(ST_SINT, 0, "auto");
    v[0] = count;
    record(HV_GUEST_FAULT_NONE, 1, v, "auto.count");
    record_regs(2, "auto.after");

    wrmsr(HV_X64_MSR_STIMER_CONFIG(2),
          ST_AUTO_ENABLE | ST_PERIODIC | ST_SINTX(ST_SINT));
    n = s->n;
    wrmsr(HV_X64_MSR_STIMER_COUNT(2), ST_MS);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(2));
    st_wait_ge(&s->n, n + 5, 1000);
    v[1] = s->n - n;
    record(HV_GUEST_FAULT_NONE, 2, v, "auto.periodic");

    wrmsr(HV_X64_MSR_STIMER_COUNT(2), 0);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(2));
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(2));
    /* One may have been on its way */
    st_delay_ms(2);
    n = s->n;
    st_delay_ms(20);
    v[2] = s->n - n;
    record(HV_GUEST_FAULT_NONE, 3, v, "auto.zero");
    stimer_stop(2);
    irq_disable();
}

GUEST_TEST(stimer_autoenable,
    .name = "stimer-autoenable",
    .description = "synthetic timers: AutoEnable",
    .setup = stimer_autoenable_setup,
);

/* ---- stimer-direct ------------------------------------------------------ */

static uint64_t slots_in_use(void)
{
    uint64_t n = 0;
    unsigned int i;

    for (i = 0; i < HV_SINT_COUNT; i++) {
        n += st_simp[i].type != 0;
    }
    return n;
}

/*
 * stimer-direct: direct mode (hv-stimer-direct), vector ST_VEC_DIRECT.
 * The SynIC is on with its message page (to see that no message comes).
 *
 *   direct.armed         CONFIG, COUNT after starting timer 0 one-shot
 *                        (count = now + 10 ms, SINTx ST_SINT too)
 *   direct.oneshot       interrupts at ST_VEC_DIRECT after 30 ms; its
 *                        ISR bit in the handler; reference time in the
 *                        handler; message slots in use
 *   direct.count         the count written
 *   direct.after         CONFIG, COUNT once it expired
 *   direct.periodic      timer 1 periodic, 1 ms, until 5 interrupts came
 *                        (at most 1 s): interrupts;
 *                        message slots in use; interrupts with an empty
 *                        slot; messages logged
 */
static void stimer_direct_setup(void)
{
    uint64_t count, v[4];
    uint32_t n;
    uint8_t fault;

    st_setup_common(true);
    count = ref_time_msr() + 10 * ST_MS;
    wrmsr(HV_X64_MSR_STIMER_COUNT(0), count);
    fault = wrmsr_safe(HV_X64_MSR_STIMER_CONFIG(0),
                       ST_ENABLE | ST_DIRECT |
                       ST_APIC_VECTOR(ST_VEC_DIRECT) | ST_SINTX(ST_SINT));
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(0));
    record(fault, 2, v, "direct.armed");
    st_wait_ge(&st_direct_count, 1, 1000);
    st_delay_ms(30);
    v[0] = st_direct_count;
    v[1] = st_direct_isr;
    v[2] = st_direct_seen;
    v[3] = slots_in_use();
    record(HV_GUEST_FAULT_NONE, 4, v, "direct.oneshot");
    v[0] = count;
    record(HV_GUEST_FAULT_NONE, 1, v, "direct.count");
    record_regs(0, "direct.after");

    n = st_direct_count;
    stimer_start(1, ST_ENABLE | ST_PERIODIC | ST_DIRECT |
                 ST_APIC_VECTOR(ST_VEC_DIRECT) | ST_SINTX(ST_SINT), ST_MS);
    st_wait_ge(&st_direct_count, n + 5, 1000);
    stimer_stop(1);
    st_delay_ms(2);
    v[0] = st_direct_count - n;
    v[1] = slots_in_use();
    v[2] = st_sints[ST_SINT].empty;
    v[3] = st_sints[ST_SINT].n;
    record(HV_GUEST_FAULT_NONE, 4, v, "direct.periodic");
    stimer_stop(0);
    irq_disable();
}

GUEST_TEST(stimer_direct,
    .name = "stimer-direct",
    .description = "direct-mode synthetic timers",
    .setup = stimer_direct_setup,
);

/*
 * stimer-direct-off: without hv-stimer-direct.
 *
 *   nodirect.wr          WRMSR CONFIG(0) := Enable | Direct | vector:
 *                        fault; CONFIG, COUNT read back
 *   nodirect.msg         WRMSR CONFIG(0) := Enable | SINTx: fault;
 *                        CONFIG read back
 */
static void stimer_direct_off_setup(void)
{
    uint64_t v[2];
    uint8_t fault;

    st_setup_common(true);
    fault = wrmsr_safe(HV_X64_MSR_STIMER_CONFIG(0),
                       ST_ENABLE | ST_DIRECT |
                       ST_APIC_VECTOR(ST_VEC_DIRECT));
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(0));
    record(fault, 2, v, "nodirect.wr");
    fault = wrmsr_safe(HV_X64_MSR_STIMER_CONFIG(0),
                       ST_ENABLE | ST_SINTX(ST_SINT));
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
    record(fault, 1, v, "nodirect.msg");
    stimer_stop(0);
    irq_disable();
}

GUEST_TEST(stimer_direct_off,
    .name = "stimer-direct-off",
    .description = "direct mode without hv-stimer-direct",
    .setup = stimer_direct_off_setup,
);

/* ---- stimer-busy -------------------------------------------------------- */

/*
 * stimer-busy: a timer message that finds its slot full.  The handler
 * logs messages but leaves the slot alone (no EOM).
 *
 *   busy.first.*         timer 0 one-shot: its message (record_msg)
 *   busy.pending         timer 1 one-shot 5 ms later on the same SINT,
 *                        20 ms after: messages logged; the slot's
 *                        message_flags; its timer index; its
 *                        message_type
 *   busy.eom             reference time just before clearing the slot
 *                        and writing EOM; the count of timer 1
 *   busy.second.*        the message that came after EOM
 *   busy.eoi             with the slot full again, timer 2 expires; then
 *                        the guest sends itself a fixed IPI at the
 *                        SINT's vector, whose handler empties the slot
 *                        (no EOM) and returns, i.e. EOIs it: messages
 *                        logged; the last one's timer index; its
 *                        expiration; timer 2's count
 *   busy.simp_off        timer 0 expires while the SIM page is off:
 *                        messages logged in 10 ms; after the page is
 *                        enabled again and EOM written; the message's
 *                        timer index; its expiration
 *   busy.simp_off.count  timer 0's count
 */
static void stimer_busy_setup(void)
{
    StSint *s = &st_sints[ST_SINT];
    volatile HvTimerMessage *slot;          /* QEMU's page */
    uint64_t count1, count2, v[4];
    uint32_t n;

    st_setup_common(true);
    slot = &st_simp[ST_SINT];
    s->consume = false;

    stimer_start(0, ST_ENABLE | ST_SINTX(ST_SINT), ref_time_msr() + ST_MS);
    st_wait_ge(&s->n, 1, 1000);
    record_msg(ST_SINT, 0, "busy.first");

    count1 = ref_time_msr() + 5 * ST_MS;
    stimer_start(1, ST_ENABLE | ST_SINTX(ST_SINT), count1);
    st_delay_ms(25);
    /*
     * A loaded host may run QEMU's timer callback late: give it up to a
     * second to mark the busy slot, then as long again for a (wrong)
     * second message to show up.
     */
    for (n = 0; !(slot->flags & HV_MESSAGE_FLAG_PENDING) && n < 1000; n++) {
        st_delay_ms(1);
    }
    st_delay_ms(25);
    v[0] = s->n;
    v[1] = slot->flags;
    v[2] = slot->timer_index;
    v[3] = slot->type;
    record(HV_GUEST_FAULT_NONE, 4, v, "busy.pending");

    v[0] = ref_time_msr();
    v[1] = count1;
    record(HV_GUEST_FAULT_NONE, 2, v, "busy.eom");
    slot->type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wrmsr(HV_X64_MSR_EOM, 0);
    st_wait_ge(&s->n, 2, 1000);
    st_delay_ms(5);
    record_msg(ST_SINT, 1, "busy.second");

    /* Slot full again (timer 1's message): timer 2 waits behind it */
    count2 = ref_time_msr() + 2 * ST_MS;
    stimer_start(2, ST_ENABLE | ST_SINTX(ST_SINT), count2);
    st_delay_ms(10);
    s->no_eom = true;
    s->consume = true;
    apic_send_ipi(apic_id(), ST_VEC(ST_SINT));
    st_wait_ge(&s->n, 4, 1000);
    st_delay_ms(5);
    v[0] = s->n;
    v[1] = s->n >= 1 ? s->log[s->n - 1].index : 0;
    v[2] = s->n >= 1 ? s->log[s->n - 1].exp : 0;
    v[3] = count2;
    record(HV_GUEST_FAULT_NONE, 4, v, "busy.eoi");

    /* SIM page off: the message waits for the page */
    s->no_eom = false;
    n = s->n;
    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)st_simp);
    count1 = ref_time_msr() + ST_MS;
    stimer_start(0, ST_ENABLE | ST_SINTX(ST_SINT), count1);
    st_delay_ms(10);
    v[0] = s->n - n;
    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)st_simp | 1);
    wrmsr(HV_X64_MSR_EOM, 0);
    st_wait_ge(&s->n, n + 1, 1000);
    st_delay_ms(5);
    v[1] = s->n - n;
    v[2] = s->n > n ? s->log[n].index : ST_READ_FAULTED;
    v[3] = s->n > n ? s->log[n].exp : ST_READ_FAULTED;
    record(HV_GUEST_FAULT_NONE, 4, v, "busy.simp_off");
    v[0] = count1;
    record(HV_GUEST_FAULT_NONE, 1, v, "busy.simp_off.count");
    stimer_stop(0);
    stimer_stop(1);
    stimer_stop(2);
    irq_disable();
}

GUEST_TEST(stimer_busy,
    .name = "stimer-busy",
    .description = "timer message to a full slot: PENDING, EOM, EOI",
    .setup = stimer_busy_setup,
);

/* ---- stimer-missed ------------------------------------------------------ */

/*
 * stimer-missed: periodic timer 0 (1 ms) while the guest leaves its slot
 * full for more than 10 periods, then empties it as Linux and Windows do
 * (message_type := 0, fence, EOM only if MessagePending is set).  KVM
 * drops the periodic ticks that find the slot full, without setting
 * MessagePending, and keeps ticking: the next message needs no EOM.
 *
 *   missed.first         at the end of the busy time: messages logged;
 *                        the slot's message_flags; the first message's
 *                        expiration and delivery time
 *   missed.eom           reference time when the slot was emptied
 *                        (t_eom); whether EOM was written
 *   missed.second        the message after that: expiration; delivery;
 *                        seen; messages after the first whose
 *                        expiration lies before t_eom
 *   missed.third         the next one: expiration; delivery; messages
 *                        logged after t_eom whose expiration lies before
 *                        t_eom, besides the second; messages after 5.5
 *                        more periods
 *   missed.check         see periodic_check(), from the second message
 */
static void stimer_missed_setup(void)
{
    StSint *s = &st_sints[ST_SINT];
    volatile HvTimerMessage *slot;          /* QEMU's page */
    uint64_t t_eom, first, second, v[4], skipped;
    uint32_t i, stale = 0, before = 0;

    st_setup_common(true);
    slot = &st_simp[ST_SINT];
    s->consume = false;

    stimer_start(0, ST_ENABLE | ST_PERIODIC | ST_SINTX(ST_SINT), ST_MS);
    st_wait_ge(&s->n, 1, 1000);
    first = s->log[0].exp;
    /*
     * The expiration that will wait behind the first message: the first
     * one after that message's delivery (missed-period rule; normally
     * first + 1 ms).  Ten periods after it, and just after an expiration
     * (the next is 0.9 periods away), empty the slot and write EOM.
     */
    second = first + ((s->log[0].delivery - first) / ST_MS + 1) * ST_MS;
    st_wait_until(second + 10 * ST_MS + ST_MS / 10);

    v[0] = s->n;
    v[1] = slot->flags;
    v[2] = first;
    v[3] = s->log[0].delivery;
    record(HV_GUEST_FAULT_NONE, 4, v, "missed.first");
    s->consume = true;
    t_eom = ref_time_msr();
    slot->type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    v[1] = slot->flags & HV_MESSAGE_FLAG_PENDING;
    if (v[1]) {
        wrmsr(HV_X64_MSR_EOM, 0);
    }
    v[0] = t_eom;
    record(HV_GUEST_FAULT_NONE, 2, v, "missed.eom");

    st_wait_ge(&s->n, 3, 1000);
    st_wait_until(t_eom + 6 * ST_MS + ST_MS / 2);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), 0);
    st_delay_ms(2);

    for (i = 1; i < s->n && i < ST_LOG_MAX; i++) {
        if (s->log[i].exp < t_eom) {
            before++;
        }
        if (i > 1 && s->log[i].exp < t_eom) {
            stale++;
        }
    }
    v[0] = s->log[1].exp;
    v[1] = s->log[1].delivery;
    v[2] = s->log[1].seen;
    v[3] = before;
    record(HV_GUEST_FAULT_NONE, 4, v, "missed.second");
    v[0] = s->log[2].exp;
    v[1] = s->log[2].delivery;
    v[2] = stale;
    v[3] = s->n;
    record(HV_GUEST_FAULT_NONE, 4, v, "missed.third");
    periodic_check(ST_SINT, 1, ST_MS, v, &skipped);
    record(HV_GUEST_FAULT_NONE, 4, v, "missed.check");
    stimer_stop(0);
    irq_disable();
}

GUEST_TEST(stimer_missed,
    .name = "stimer-missed",
    .description = "periodic timer, slot full: missed periods not queued",
    .setup = stimer_missed_setup,
);

/* ---- stimer-migrate ----------------------------------------------------- */

#define MIG_PERIOD              (2 * ST_MS)
#define MIG_GO                  1

static void record_synic_msrs(const char *when)
{
    uint64_t v[4];

    v[0] = rdmsr_or_faulted(HV_X64_MSR_SCONTROL);
    v[1] = rdmsr_or_faulted(HV_X64_MSR_SIMP);
    v[2] = rdmsr_or_faulted(HV_X64_MSR_SINT(ST_SINT));
    v[3] = rdmsr_or_faulted(HV_X64_MSR_SINT(ST_SINT2));
    record(HV_GUEST_FAULT_NONE, 4, v, "%s.synic", when);
    v[0] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(0));
    v[1] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(0));
    v[2] = rdmsr_or_faulted(HV_X64_MSR_STIMER_CONFIG(2));
    v[3] = rdmsr_or_faulted(HV_X64_MSR_STIMER_COUNT(2));
    record(HV_GUEST_FAULT_NONE, 4, v, "%s.stimer", when);
}

/*
 * stimer-migrate: migrated with a timer message pending behind a full
 * slot and a periodic timer running.  SINT ST_SINT2's slot holds timer
 * 1's message, timer 2's (one-shot, same SINT) waits behind it; timer 0
 * is periodic (MIG_PERIOD) on SINT ST_SINT, consumed with EOM each time.
 *
 *   before.busy          SINT ST_SINT2's slot: timer index;
 *                        message_flags; messages logged on it; timer 2's
 *                        count
 *   before.synic/stimer  SCONTROL, SIMP, SINT ST_SINT, SINT ST_SINT2;
 *                        CONFIG/COUNT of timers 0 and 2
 *   mailbox              GPA of the word the qtest sets to MIG_GO after
 *                        migrating
 *   after.synic/stimer   as before.*
 *   after.busy           as before.busy, once MIG_GO came
 *   after.go             reference time at MIG_GO; periodic messages
 *                        logged by then
 *   pending.msg/.time    the message of timer 2 that came after the
 *                        guest emptied the slot and wrote EOM
 *   periodic.check       periodic_check() over all of timer 0's messages
 *   periodic.after       messages of timer 0 seen in the 200 ms after
 *                        MIG_GO; periods skipped in all; messages in all;
 *                        messages that were not timer 0's
 *   periodic.window      expirations in the 200 ms after MIG_GO (from
 *                        the first message's expiration in them to the
 *                        last one's; delivered or skipped)
 */
static void stimer_migrate_setup(void)
{
    StSint *sp = &st_sints[ST_SINT], *sb = &st_sints[ST_SINT2];
    volatile HvTimerMessage *slot;          /* QEMU's page */
    uint64_t count2, t_go, v[4], skipped, first_after = 0, last_after = 0;
    uint32_t n_go, i, after = 0, bad = 0, nb;

    st_setup_common(true);
    slot = &st_simp[ST_SINT2];
    sp->consume = true;
    sb->consume = false;

    stimer_start(1, ST_ENABLE | ST_SINTX(ST_SINT2), ref_time_msr() + ST_MS);
    st_wait_ge(&sb->n, 1, 1000);
    count2 = ref_time_msr() + ST_MS;
    stimer_start(2, ST_ENABLE | ST_SINTX(ST_SINT2), count2);
    st_delay_ms(5);
    stimer_start(0, ST_ENABLE | ST_PERIODIC | ST_SINTX(ST_SINT), MIG_PERIOD);
    st_delay_ms(20);

    v[0] = slot->timer_index;
    v[1] = slot->flags;
    v[2] = sb->n;
    v[3] = count2;
    record(HV_GUEST_FAULT_NONE, 4, v, "before.busy");
    record_synic_msrs("before");

    mailbox_announce(&st_mailbox, "mailbox");
    while (st_mailbox != MIG_GO) {
        st_relax();
    }
    t_go = ref_time_msr();
    n_go = sp->n;
    record_synic_msrs("after");
    v[0] = slot->timer_index;
    v[1] = slot->flags;
    v[2] = sb->n;
    v[3] = count2;
    record(HV_GUEST_FAULT_NONE, 4, v, "after.busy");
    v[0] = t_go;
    v[1] = n_go;
    record(HV_GUEST_FAULT_NONE, 2, v, "after.go");

    nb = sb->n;
    sb->consume = true;
    slot->type = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wrmsr(HV_X64_MSR_EOM, 0);
    st_wait_ge(&sb->n, nb + 1, 1000);
    record_msg(ST_SINT2, nb, "pending");

    while (st_poll_time() < t_go + 200 * ST_MS) {
        safe_halt();
    }
    st_wait_until(t_go + 200 * ST_MS);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), 0);
    st_delay_ms(5);

    periodic_check(ST_SINT, 0, MIG_PERIOD, v, &skipped);
    record(HV_GUEST_FAULT_NONE, 4, v, "periodic.check");
    for (i = 0; i < sp->n && i < ST_LOG_MAX; i++) {
        if (sp->log[i].seen > t_go && sp->log[i].seen <= t_go +
            200 * ST_MS) {
            after++;
        }
        if (sp->log[i].exp > t_go && sp->log[i].exp <= t_go +
            200 * ST_MS) {
            if (!first_after) {
                first_after = sp->log[i].exp;
            }
            last_after = sp->log[i].exp;
        }
        if (sp->log[i].type != HV_MESSAGE_TIMER_EXPIRED ||
            sp->log[i].index != 0) {
            bad++;
        }
    }
    v[0] = after;
    v[1] = skipped;
    v[2] = sp->n;
    v[3] = bad;
    record(HV_GUEST_FAULT_NONE, 4, v, "periodic.after");
    v[0] = first_after ? (last_after - first_after) / MIG_PERIOD + 1 : 0;
    record(HV_GUEST_FAULT_NONE, 1, v, "periodic.window");
    stimer_stop(0);
    stimer_stop(1);
    stimer_stop(2);
    irq_disable();
}

GUEST_TEST(stimer_migrate,
    .name = "stimer-migrate",
    .description = "migration with a pending timer message, periodic timer",
    .setup = stimer_migrate_setup,
);

/* ---- stimer-smp --------------------------------------------------------- */

typedef struct StSmpArg {
    volatile HvTimerMessage *simp;          /* QEMU's page */
    StMsg *log;
    uint64_t count;
} StSmpArg;

/* On CPU 1: its own SynIC, then timer 3 one-shot at @arg->count */
static void stimer_smp_cpu1(void *opaque)
{
    StSmpArg *arg = opaque;
    StSint *s = &st_sints_of[1][ST_SINT];

    s->log = arg->log;
    s->consume = true;
    st_simp_of[1] = arg->simp;
    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)arg->simp | 1);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
    wrmsr(HV_X64_MSR_SINT(ST_SINT), ST_VEC(ST_SINT));
    stimer_start(3, ST_ENABLE | ST_SINTX(ST_SINT), arg->count);
}

static void stimer_smp_stop(void *opaque)
{
    stimer_stop(3);
}

/*
 * stimer-smp (smp=2): timer 3 of each CPU, one-shot on SINT ST_SINT of
 * its own SynIC, CPU 1's expiring gap=N ms (default 2) after CPU 0's.
 * CPU 1 waits in the idle loop (HLT).
 *
 *   smp.cpuN.msg/.time   the message CPU N found in its own slot
 *                        (record_msg)
 *   smp.cpuN.count       the count CPU N's timer was given
 */
static void stimer_smp_setup(void)
{
    StSmpArg arg;
    uint64_t v[1], gap;

    if (nr_cpus() < 2) {
        guest_abort("stimer-smp needs smp=2");
    }
    st_setup_common(true);
    st_sints[ST_SINT].consume = true;
    arg.simp = alloc_pages(1);
    arg.log = alloc_pages(ST_LOG_PAGES);
    gap = cmdline_get_u64("gap", 2) * ST_MS;
    arg.count = ref_time_msr() + 10 * ST_MS + gap;
    smp_call(1, stimer_smp_cpu1, &arg);
    smp_wait(1);
    stimer_start(3, ST_ENABLE | ST_SINTX(ST_SINT), arg.count - gap);

    st_wait_ge(&st_sints[ST_SINT].n, 1, 1000);
    st_wait_ge(&st_sints_of[1][ST_SINT].n, 1, 1000);
    st_delay_ms(20);
    record_msg(ST_SINT, 0, "smp.cpu0");
    v[0] = arg.count - gap;
    record(HV_GUEST_FAULT_NONE, 1, v, "smp.cpu0.count");
    record_sint_msg(&st_sints_of[1][ST_SINT], 0, "smp.cpu1");
    v[0] = arg.count;
    record(HV_GUEST_FAULT_NONE, 1, v, "smp.cpu1.count");
    stimer_stop(3);
    smp_call(1, stimer_smp_stop, NULL);
    smp_wait(1);
    irq_disable();
}

GUEST_TEST(stimer_smp,
    .name = "stimer-smp",
    .description = "synthetic timers of two VPs, each to its own SynIC",
    .setup = stimer_smp_setup,
);
