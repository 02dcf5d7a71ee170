/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: the synthetic timers (hv-stimer.c): their MSRs
 * and reserved bits, one-shot, periodic, auto-enable, lazy and direct
 * timers, the expiration message, a busy message slot, missed periods,
 * reset and re-arming after migration.
 *
 * Expected values are literals from the TLFS ("Timers": "Synthetic
 * Timers", HV_TIMER_MESSAGE_PAYLOAD, HV_MESSAGE) and, for the corner cases
 * it leaves open, Linux KVM's arch/x86/kvm/hyperv.c (stimer_*).  MSR
 * numbers, bit numbers and offsets are written as numbers.  Times are
 * reference time, 100 ns units; the fake machine's timer queue fires each
 * timer exactly at the time it was armed for.
 */

#include "hv-fake.h"

/* Feature bit numbers (X86CPU::hyperv_features) */
#define F_TIME          2
#define F_VPINDEX       5
#define F_SYNIC         7
#define F_STIMER        8
#define F_STIMER_DIRECT 14

#define SCONTROL        0x40000080
#define SIMP            0x40000083
#define EOM             0x40000084
#define SINT(n)         (0x40000090 + (n))
#define CONFIG(t)       (0x400000b0 + 2 * (t))
#define COUNT(t)        (0x400000b1 + 2 * (t))

/*
 * STIMERx_CONFIG (TLFS): Enable 0, Periodic 1, Lazy 2, AutoEnable 3,
 * ApicVector 11:4, DirectMode 12, SINTx 19:16
 */
#define EN              0x1ull
#define PERIODIC        0x2ull
#define LAZY            0x4ull
#define AUTO            0x8ull
#define DIRECT          0x1000ull
#define VEC(v)          ((uint64_t)(v) << 4)
#define SINTX(n)        ((uint64_t)(n) << 16)

#define MSG_PAGE        0x10000ull
#define SLOT(sint)      (MSG_PAGE + (sint) * 256ull)

/* HvMessageTypeTimerExpired */
#define TIMER_EXPIRED   0x80000010u

static HvMsrResult rd(Fake *f, uint32_t msr, uint64_t *val)
{
    return hv_msr_read(&f->part, &f->vp[0], &f->ops, msr, val);
}

static HvMsrResult wr(Fake *f, uint32_t msr, uint64_t val)
{
    return hv_msr_write(&f->part, &f->vp[0], &f->ops, msr, val);
}

static uint64_t rd_ok(Fake *f, uint32_t msr)
{
    uint64_t val = 0xdeadbeefdeadbeefull;

    g_assert_cmpint(rd(f, msr, &val), ==, HV_MSR_OK);
    return val;
}

static void wr_ok(Fake *f, uint32_t msr, uint64_t val)
{
    if (wr(f, msr, val) != HV_MSR_OK) {
        g_test_fail_printf("WRMSR 0x%x 0x%" PRIx64 " failed", msr, val);
    }
}

/*
 * hv-synic + hv-stimer + hv-time (+ @extra), VP 0's SynIC on with its
 * message page at MSG_PAGE, SINT2 vector 0x42 and SINT5 vector 0x45.
 */
static Fake *stimer_fake(uint64_t extra)
{
    Fake *f = fake_new(BIT64(F_SYNIC) | BIT64(F_STIMER) | BIT64(F_TIME) |
                       BIT64(F_VPINDEX) | extra, 4);

    wr_ok(f, SCONTROL, 1);
    wr_ok(f, SIMP, MSG_PAGE | 1);
    wr_ok(f, SINT(2), 0x42);
    wr_ok(f, SINT(5), 0x45);
    fake_clear_log(f);
    return f;
}

static FakeTimer *timer(Fake *f, int t)
{
    return &f->timers[0][t];
}

/* The timer message in @slot: HV_MESSAGE header + HV_TIMER_MESSAGE_PAYLOAD */
typedef struct TimerMsg {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint32_t index;
    uint32_t reserved;
    uint64_t expiration;
    uint64_t delivery;
} TimerMsg;

static TimerMsg read_msg(Fake *f, uint64_t slot)
{
    TimerMsg m = {
        .type = fake_get32(f, slot),
        .size = f->ram[slot + 4],
        .flags = f->ram[slot + 5],
        .index = fake_get32(f, slot + 16),
        .reserved = fake_get32(f, slot + 20),
        .expiration = fake_get64(f, slot + 24),
        .delivery = fake_get64(f, slot + 32),
    };

    return m;
}

/*
 * A timer message for timer @index that expired at @exp, delivered at
 * @deliv, with message_flags @flags (0 unless noted)
 */
#define check_msg(f, slot, index, exp, deliv) \
    check_msg_at(__LINE__, (f), (slot), (index), (exp), (deliv), 0)
#define check_msg_flags(f, slot, index, exp, deliv, flags) \
    check_msg_at(__LINE__, (f), (slot), (index), (exp), (deliv), (flags))

static void check_msg_at(int line, Fake *f, uint64_t slot, uint32_t index,
                         uint64_t exp, uint64_t delivery, uint8_t flags)
{
    TimerMsg m = read_msg(f, slot);

    if (m.type != TIMER_EXPIRED || m.size != 24 || m.flags != flags ||
        m.index != index || m.reserved != 0 || m.expiration != exp ||
        m.delivery != delivery || fake_get64(f, slot + 8) != 0 ||
        f->ram[slot + 6] || f->ram[slot + 7]) {
        g_test_fail_printf("line %d: message type 0x%x size %u flags 0x%x "
                           "index %u reserved %u expiration %" PRIu64
                           " delivery %" PRIu64 ", expected timer %u "
                           "expiring at %" PRIu64 " delivered at %" PRIu64
                           " flags 0x%x", line, m.type, m.size, m.flags,
                           m.index, m.reserved, m.expiration, m.delivery,
                           index, exp, delivery, flags);
    }
}

/* The guest's ISR: take the message out of the slot, EOM if asked to */
static void guest_consume(Fake *f, uint64_t slot)
{
    bool pending = f->ram[slot + 5] & 1;

    fake_put32(f, slot, 0);
    if (pending) {
        wr_ok(f, EOM, 0);
    }
}

/* hv-enforce-cpuid=on: hv-stimer's privilege (KVM) */
static void test_privilege(void)
{
    Fake *without = fake_new(HV_FEAT_ALL & ~BIT64(F_STIMER), 1);
    Fake *with = fake_new(BIT64(F_STIMER), 1);
    uint64_t val;
    uint32_t msr;

    without->part.enforce_cpuid = true;
    with->part.enforce_cpuid = true;
    for (msr = 0x400000b0; msr <= 0x400000b7; msr++) {
        g_assert_cmpint(rd(without, msr, &val), ==, HV_MSR_GP);
        g_assert_cmpint(wr(without, msr, 0), ==, HV_MSR_GP);
        g_assert_true(hv_partition_msr_exposed(&with->part, msr));
        g_assert_cmpint(rd(with, msr, &val), ==, HV_MSR_OK);
    }
    /* Not a timer MSR */
    g_assert_cmpint(rd(with, 0x400000b8, &val), ==, HV_MSR_GP);
    g_assert_cmpint(rd(with, 0x400000af, &val), ==, HV_MSR_GP);
    fake_free(without);
    fake_free(with);
}

/* TLFS: every CONFIG (and COUNT) is 0 at VP creation and reset */
static void test_reset_values(void)
{
    Fake *f = stimer_fake(0);
    int t;

    for (t = 0; t < 4; t++) {
        check_hex64("STIMERx_CONFIG", rd_ok(f, CONFIG(t)), 0);
        check_hex64("STIMERx_COUNT", rd_ok(f, COUNT(t)), 0);
        g_assert_false(timer(f, t)->armed);
    }
    fake_free(f);
}

/*
 * Without hv-enforce-cpuid (QEMU's default), KVM lets the timer MSRs
 * through whenever the SynIC is active, hv-stimer or not; without an
 * active SynIC it still reads them, but refuses writes.
 */
static void test_privilege_unenforced(void)
{
    Fake *synic = fake_new(HV_FEAT_BIT(HYPERV_FEAT_SYNIC), 1);
    Fake *none = fake_new(HV_FEAT_ALL & ~(HV_FEAT_BIT(HYPERV_FEAT_SYNIC) |
                                          BIT64(F_STIMER)), 1);
    uint64_t val;
    uint32_t msr;

    for (msr = 0x400000b0; msr <= 0x400000b7; msr++) {
        g_assert_cmpint(rd(synic, msr, &val), ==, HV_MSR_OK);
        g_assert_cmpint(wr(synic, msr, 0), ==, HV_MSR_OK);
        /* Reads need no SynIC (stimer_get_config()), writes do */
        g_assert_cmpint(rd(none, msr, &val), ==, HV_MSR_OK);
        g_assert_cmpuint(val, ==, 0);
        g_assert_cmpint(wr(none, msr, 0), ==, HV_MSR_GP);
    }
    fake_free(synic);
    fake_free(none);
}

/*
 * Bits 15:13 and 63:20 are reserved-preserve: stored and read back, as
 * KVM does.  DirectMode without hv-stimer-direct #GPs only with
 * hv-enforce-cpuid (KVM).
 */
static void test_config_reserved(void)
{
    Fake *f = stimer_fake(0);
    Fake *d = stimer_fake(BIT64(F_STIMER_DIRECT));
    int t, b;

    f->part.enforce_cpuid = true;
    for (t = 0; t < 4; t++) {
        wr_ok(f, CONFIG(t), PERIODIC | SINTX(2));
        for (b = 13; b < 64; b++) {
            if (b >= 16 && b < 20) {
                continue;
            }
            g_assert_cmpint(wr(f, CONFIG(t), PERIODIC | SINTX(2) | BIT64(b)),
                            ==, HV_MSR_OK);
            check_hex64("CONFIG", rd_ok(f, CONFIG(t)),
                        PERIODIC | SINTX(2) | BIT64(b));
        }
        wr_ok(f, CONFIG(t), PERIODIC | SINTX(2));
        g_assert_cmpint(wr(f, CONFIG(t), DIRECT | VEC(0x50)), ==,
                        HV_MSR_GP);
        g_assert_cmpint(wr(f, CONFIG(t), EN | DIRECT | VEC(0x50)), ==,
                        HV_MSR_GP);
        check_hex64("CONFIG after #GP", rd_ok(f, CONFIG(t)),
                    PERIODIC | SINTX(2));
        /* Not enforcing: direct mode is taken */
        f->part.enforce_cpuid = false;
        g_assert_cmpint(wr(f, CONFIG(t), DIRECT | VEC(0x50)), ==,
                        HV_MSR_OK);
        check_hex64("CONFIG", rd_ok(f, CONFIG(t)), DIRECT | VEC(0x50));
        wr_ok(f, CONFIG(t), PERIODIC | SINTX(2));
        f->part.enforce_cpuid = true;

        wr_ok(d, CONFIG(t), DIRECT | VEC(0x50));
        check_hex64("direct CONFIG", rd_ok(d, CONFIG(t)), 0x1500);
    }
    /* Every valid bit reads back (not enabled: no count) */
    wr_ok(f, CONFIG(1), 0xf0ffe);
    check_hex64("CONFIG", rd_ok(f, CONFIG(1)), 0xf0ffe);
    wr_ok(d, CONFIG(1), 0xf1ffe);
    check_hex64("CONFIG", rd_ok(d, CONFIG(1)), 0xf1ffe);
    g_assert_false(timer(f, 1)->armed);
    /* COUNT has no reserved bits */
    wr_ok(f, COUNT(3), 0xffffffffffffffffull);
    check_hex64("COUNT", rd_ok(f, COUNT(3)), 0xffffffffffffffffull);
    fake_free(f);
    fake_free(d);
}

/*
 * TLFS: "It is not permitted to set the SINTx field to zero for an enabled
 * timer (that is not in direct mode). If attempted, the timer will be
 * marked disabled (that is, bit 0 cleared) immediately."
 */
static void test_config_sintx_zero(void)
{
    Fake *f = stimer_fake(BIT64(F_STIMER_DIRECT));

    wr_ok(f, COUNT(0), 1000000);
    wr_ok(f, CONFIG(0), EN);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0);
    wr_ok(f, CONFIG(0), EN | PERIODIC | LAZY);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x6);
    g_assert_false(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->arm_count, ==, 0);
    /* Auto-enable does not get around it */
    wr_ok(f, CONFIG(0), AUTO);
    wr_ok(f, COUNT(0), 2000000);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x8);
    g_assert_false(timer(f, 0)->armed);

    /* Direct mode does not use SINTx */
    wr_ok(f, CONFIG(0), EN | DIRECT | VEC(0x50));
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x1501);
    g_assert_true(timer(f, 0)->armed);
    fake_free(f);
}

/*
 * One-shot: the count is the absolute expiration time; "When a one-shot
 * timer expires, it is automatically marked as disabled."
 */
static void test_one_shot(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 50000);
    g_assert_false(timer(f, 0)->armed);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    g_assert_true(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 50000);

    g_assert_cmpuint(fake_run_until(f, 49999, NULL, NULL), ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 0);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);

    g_assert_cmpuint(fake_run_until(f, 60000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 50000, 50000);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x42);
    g_assert_true(f->last_irq.vp == &f->vp[0]);
    g_assert_false(f->last_irq.auto_eoi);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20000);
    check_hex64("COUNT", rd_ok(f, COUNT(0)), 50000);
    g_assert_false(timer(f, 0)->armed);
    /* The other slots are untouched */
    g_assert_cmphex(fake_get32(f, SLOT(1)), ==, 0);
    g_assert_cmphex(fake_get32(f, SLOT(3)), ==, 0);

    /* Nothing more */
    guest_consume(f, SLOT(2));
    g_assert_cmpuint(fake_run_until(f, 1000000, NULL, NULL), ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 1);

    /* Enabling it again starts it again */
    fake_set_ref_time(f, 1000000);
    wr_ok(f, COUNT(0), 1000500);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 2000000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 1000500, 1000500);
    fake_free(f);
}

/*
 * "If a one shot is enabled and the specified count is in the past, it
 * will expire immediately."
 */
static void test_one_shot_past(void)
{
    Fake *f = stimer_fake(0);

    fake_set_ref_time(f, 100000);
    wr_ok(f, COUNT(1), 1000);
    wr_ok(f, CONFIG(1), EN | SINTX(5));
    g_assert_true(timer(f, 1)->armed);
    g_assert_cmpuint(timer(f, 1)->exp_time, ==, 1000);
    /* The queue fires it right away, without moving the time */
    g_assert_cmpuint(fake_run_until(f, 100000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(5), 1, 1000, 100000);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x45);
    check_hex64("CONFIG", rd_ok(f, CONFIG(1)), 0x50000);
    fake_free(f);
}

static void guest_slot2(Fake *f, void *opaque)
{
    (void)opaque;
    guest_consume(f, SLOT(2));
}

/*
 * Periodic: the count is the period, "The first period begins when the
 * synthetic timer is enabled"; "Periodic timers remain enabled until
 * explicitly disabled."
 */
static void test_periodic(void)
{
    Fake *f = stimer_fake(0);
    uint64_t t;

    fake_set_ref_time(f, 5000);
    wr_ok(f, CONFIG(0), PERIODIC | SINTX(2));
    wr_ok(f, COUNT(0), 10000);
    g_assert_false(timer(f, 0)->armed);
    wr_ok(f, CONFIG(0), EN | PERIODIC | SINTX(2));
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 15000);

    for (t = 15000; t <= 45000; t += 10000) {
        g_assert_cmpuint(fake_run_until(f, t, NULL, NULL), ==, 1);
        check_msg(f, SLOT(2), 0, t, t);
        guest_consume(f, SLOT(2));
    }
    g_assert_cmpuint(f->irq_count, ==, 4);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20003);
    g_assert_true(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 55000);
    g_assert_cmpuint(f->vp[0].stimer_missed[0], ==, 0);

    /* Disabled: stopped */
    wr_ok(f, CONFIG(0), PERIODIC | SINTX(2));
    g_assert_false(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->cancel_count, ==, 1);
    g_assert_cmpuint(fake_run_until(f, 100000, NULL, NULL), ==, 0);
    fake_free(f);
}

/*
 * "If AutoEnable is set, then writing a non-zero value to the
 * corresponding count register will cause Enable to be set and activate
 * the counter."  "Writing the value zero to the Count register will stop
 * the counter, thereby disabling the timer, independent of the setting of
 * AutoEnable".
 */
static void test_auto_enable(void)
{
    Fake *f = stimer_fake(0);

    fake_set_ref_time(f, 7000);
    wr_ok(f, CONFIG(2), AUTO | PERIODIC | SINTX(2));
    check_hex64("CONFIG", rd_ok(f, CONFIG(2)), 0x2000a);
    g_assert_false(timer(f, 2)->armed);
    wr_ok(f, COUNT(2), 20000);
    check_hex64("CONFIG", rd_ok(f, CONFIG(2)), 0x2000b);
    g_assert_true(timer(f, 2)->armed);
    g_assert_cmpuint(timer(f, 2)->exp_time, ==, 27000);

    wr_ok(f, COUNT(2), 0);
    check_hex64("CONFIG", rd_ok(f, CONFIG(2)), 0x2000a);
    g_assert_false(timer(f, 2)->armed);
    g_assert_cmpuint(timer(f, 2)->cancel_count, ==, 1);
    g_assert_cmpuint(fake_run_until(f, 100000, NULL, NULL), ==, 0);

    /* One-shot */
    wr_ok(f, CONFIG(3), AUTO | SINTX(2));
    wr_ok(f, COUNT(3), 170000);
    check_hex64("CONFIG", rd_ok(f, CONFIG(3)), 0x20009);
    g_assert_cmpuint(timer(f, 3)->exp_time, ==, 170000);
    g_assert_cmpuint(fake_run_until(f, 200000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 3, 170000, 170000);
    check_hex64("CONFIG", rd_ok(f, CONFIG(3)), 0x20008);

    /* Without AutoEnable a count does not enable */
    wr_ok(f, CONFIG(1), SINTX(2));
    wr_ok(f, COUNT(1), 300000);
    check_hex64("CONFIG", rd_ok(f, CONFIG(1)), 0x20000);
    g_assert_false(timer(f, 1)->armed);
    fake_free(f);
}

/* Count 0 stops an enabled timer whatever its mode */
static void test_count_zero(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 90000);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    g_assert_true(timer(f, 0)->armed);
    wr_ok(f, COUNT(0), 0);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20000);
    g_assert_false(timer(f, 0)->armed);
    g_assert_cmpuint(fake_run_until(f, 1000000, NULL, NULL), ==, 0);

    /* KVM: enabled with a zero count, it stays enabled and idle ... */
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20001);
    g_assert_false(timer(f, 0)->armed);
    /* ... until a count starts it; a new count restarts it */
    wr_ok(f, COUNT(0), 1500000);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 1500000);
    wr_ok(f, COUNT(0), 1200000);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 1200000);
    g_assert_cmpuint(fake_run_until(f, 2000000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 1200000, 1200000);
    fake_free(f);
}

/*
 * Lazy: read back, and the timer behaves as every periodic timer here
 * (KVM: all periodic timers are lazy, missed expirations are skipped).
 */
static void test_lazy(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(1), 3000);
    wr_ok(f, CONFIG(1), EN | PERIODIC | LAZY | SINTX(2));
    check_hex64("CONFIG", rd_ok(f, CONFIG(1)), 0x20007);
    g_assert_cmpuint(timer(f, 1)->exp_time, ==, 3000);
    g_assert_cmpuint(fake_run_until(f, 3000, guest_slot2, NULL), ==, 1);
    /* The guest is away for about 10 periods */
    fake_set_ref_time(f, 34000);
    g_assert_cmpuint(fake_run_until(f, 34000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 1, 6000, 34000);
    g_assert_cmpuint(timer(f, 1)->exp_time, ==, 36000);
    g_assert_cmpuint(f->vp[0].stimer_missed[1], ==, 9);
    fake_free(f);
}

/*
 * Direct mode: "assert an interrupt upon timer expiration instead of
 * sending a message"; "The ApicVector field controls the interrupt vector
 * that is asserted".
 */
static void test_direct(void)
{
    Fake *f = stimer_fake(BIT64(F_STIMER_DIRECT));
    int i;

    wr_ok(f, COUNT(0), 30000);
    wr_ok(f, CONFIG(0), EN | DIRECT | VEC(0x55));
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 30000);
    fake_clear_log(f);
    g_assert_cmpuint(fake_run_until(f, 40000, NULL, NULL), ==, 1);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x55);
    g_assert_false(f->last_irq.auto_eoi);
    g_assert_true(f->last_irq.vp == &f->vp[0]);
    /* No message */
    g_assert_cmpuint(f->n_writes + f->n_reads, ==, 0);
    for (i = 0; i < 0x1000; i++) {
        g_assert_cmphex(f->ram[MSG_PAGE + i], ==, 0);
    }
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x1550);

    /*
     * Periodic, with the SynIC off and nobody taking anything: it keeps
     * interrupting, it does not depend on a slot or on SCONTROL.
     */
    wr_ok(f, SCONTROL, 0);
    wr_ok(f, CONFIG(3), DIRECT | VEC(0x56) | PERIODIC);
    wr_ok(f, COUNT(3), 1000);
    wr_ok(f, CONFIG(3), EN | DIRECT | VEC(0x56) | PERIODIC);
    g_assert_cmpuint(fake_run_until(f, 50000, NULL, NULL), ==, 10);
    g_assert_cmpuint(f->irq_count, ==, 11);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x56);
    g_assert_cmpuint(timer(f, 3)->exp_time, ==, 51000);
    fake_free(f);
}

/*
 * A busy slot: the message stays queued with PENDING set in the slot;
 * the guest empties the slot and writes EOM: then it is delivered, flags
 * 0, with the expiration it was due at and the time it was delivered.
 */
static void test_busy_then_eom(void)
{
    Fake *f = stimer_fake(0);

    fake_put32(f, SLOT(2), 1);          /* someone else's message */
    f->ram[SLOT(2) + 4] = 8;
    wr_ok(f, COUNT(0), 10000);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 10000, NULL, NULL), ==, 1);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 1);
    g_assert_cmphex(f->ram[SLOT(2) + 4], ==, 8);
    g_assert_cmphex(f->ram[SLOT(2) + 5], ==, 1);
    g_assert_cmpuint(f->irq_count, ==, 0);
    /* Still enabled until the message is out; not armed meanwhile */
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20001);
    g_assert_false(timer(f, 0)->armed);

    /* An EOM while the slot is still full: PENDING again, no delivery */
    fake_set_ref_time(f, 20000);
    wr_ok(f, EOM, 0);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 1);
    g_assert_cmphex(f->ram[SLOT(2) + 5], ==, 1);
    g_assert_cmpuint(f->irq_count, ==, 0);

    fake_set_ref_time(f, 30000);
    guest_consume(f, SLOT(2));
    check_msg(f, SLOT(2), 0, 10000, 30000);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x42);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20000);

    /* Delivered once only */
    guest_consume(f, SLOT(2));
    wr_ok(f, EOM, 0);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 1);
    fake_free(f);
}

/* The same, acknowledged by an EOI of the SINT's vector (KVM) */
static void test_busy_then_eoi(void)
{
    Fake *f = stimer_fake(0);

    fake_put32(f, SLOT(5), 1);
    wr_ok(f, COUNT(3), 10000);
    wr_ok(f, CONFIG(3), EN | SINTX(5));
    g_assert_cmpuint(fake_run_until(f, 12000, NULL, NULL), ==, 1);
    g_assert_cmphex(f->ram[SLOT(5) + 5], ==, 1);
    fake_put32(f, SLOT(5), 0);

    /* The EOI of another vector does nothing */
    hv_synic_eoi(&f->part, &f->vp[0], &f->ops, 0x42);
    g_assert_cmphex(fake_get32(f, SLOT(5)), ==, 0);
    hv_synic_eoi(&f->part, &f->vp[0], &f->ops, 0x45);
    check_msg(f, SLOT(5), 3, 10000, 12000);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x45);
    check_hex64("CONFIG", rd_ok(f, CONFIG(3)), 0x50000);
    fake_free(f);
}

/*
 * The message page or the SynIC disabled at expiry: the message stays
 * queued (TLFS) and goes when the page is enabled (after it is cleared).
 */
static void test_page_disabled(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, SIMP, MSG_PAGE);
    wr_ok(f, COUNT(0), 10000);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    fake_clear_log(f);
    g_assert_cmpuint(fake_run_until(f, 10000, NULL, NULL), ==, 1);
    g_assert_cmpuint(f->n_writes + f->n_reads + f->irq_count, ==, 0);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20001);

    fake_set_ref_time(f, 25000);
    memset(f->ram + MSG_PAGE, 0x99, 0x1000);
    wr_ok(f, SIMP, MSG_PAGE | 1);
    check_msg(f, SLOT(2), 0, 10000, 25000);
    g_assert_cmphex(f->ram[SLOT(2) - 1], ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 1);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20000);

    /* SCONTROL off: the same, until it is turned on */
    guest_consume(f, SLOT(2));
    wr_ok(f, SCONTROL, 0);
    wr_ok(f, COUNT(1), 30000);
    wr_ok(f, CONFIG(1), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 30000, NULL, NULL), ==, 1);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    fake_set_ref_time(f, 31000);
    wr_ok(f, SCONTROL, 1);
    check_msg(f, SLOT(2), 1, 30000, 31000);
    g_assert_cmpuint(f->irq_count, ==, 2);
    fake_free(f);
}

/* TLFS: a masked SINT still gets the message; only the interrupt is lost */
static void test_sint_masked(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, SINT(2), 0x10042);
    wr_ok(f, COUNT(0), 10000);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 10000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 10000, 10000);
    g_assert_cmpuint(f->irq_count, ==, 0);
    check_hex64("CONFIG", rd_ok(f, CONFIG(0)), 0x20000);
    /* Nothing queued: an EOM brings nothing more */
    fake_put32(f, SLOT(2), 0);
    wr_ok(f, EOM, 0);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    fake_free(f);
}

/*
 * Missed periods: the guest (or host) was late by more than a period.
 * One message, for the expiration that was due; the missed ones are not
 * queued, and the timer keeps its phase.
 */
static void test_missed_periods(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 1000);
    wr_ok(f, CONFIG(0), EN | PERIODIC | SINTX(2));
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 1000);

    fake_set_ref_time(f, 5500);
    g_assert_cmpuint(fake_run_until(f, 5500, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 1000, 5500);
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 6000);
    g_assert_cmpuint(f->vp[0].stimer_missed[0], ==, 4);

    guest_consume(f, SLOT(2));
    g_assert_cmpuint(fake_run_until(f, 6000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 6000, 6000);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 7000);

    /* Exactly on a later period: that one is skipped too */
    guest_consume(f, SLOT(2));
    fake_set_ref_time(f, 8000);
    g_assert_cmpuint(fake_run_until(f, 8000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 7000, 8000);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 9000);
    g_assert_cmpuint(f->vp[0].stimer_missed[0], ==, 5);
    fake_free(f);
}

/*
 * A periodic timer whose slot is busy: KVM's stimer_send_msg() drops that
 * expiration (no queued message, MessagePending left alone) and the timer
 * keeps ticking, so a guest that frees its slot late -- an AutoEOI SINT
 * is never acknowledged by an EOI -- gets the next period's message.
 */
static void test_periodic_busy(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 1000);
    wr_ok(f, CONFIG(0), EN | PERIODIC | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 1000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 1000, 1000);
    g_assert_cmpuint(f->irq_count, ==, 1);
    /* The guest does not take it: at 2000 the slot is busy, tick dropped */
    g_assert_cmpuint(fake_run_until(f, 2000, NULL, NULL), ==, 1);
    g_assert_cmphex(f->ram[SLOT(2) + 5], ==, 0);
    g_assert_cmpuint(f->vp[0].stimer_msg_pending, ==, 0);
    g_assert_true(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 3000);
    g_assert_cmpuint(f->vp[0].stimer_missed[0], ==, 1);
    g_assert_cmpuint(f->irq_count, ==, 1);
    check_msg(f, SLOT(2), 0, 1000, 1000);

    /* Freed at 2500 (no EOM needed: nothing pending); 3000 arrives */
    fake_set_ref_time(f, 2500);
    guest_consume(f, SLOT(2));
    g_assert_cmpuint(f->irq_count, ==, 1);
    g_assert_cmpuint(fake_run_until(f, 3000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 3000, 3000);
    g_assert_cmpuint(f->irq_count, ==, 2);

    /* Busy at 4000 and 5000, freed at 5500: 6000 arrives */
    g_assert_cmpuint(fake_run_until(f, 5000, NULL, NULL), ==, 2);
    g_assert_cmpuint(f->vp[0].stimer_missed[0], ==, 3);
    fake_set_ref_time(f, 5500);
    guest_consume(f, SLOT(2));
    g_assert_cmpuint(fake_run_until(f, 6000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 0, 6000, 6000);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 7000);
    g_assert_cmpuint(f->irq_count, ==, 3);
    fake_free(f);
}

typedef struct Tally {
    unsigned n;
    bool bad;
} Tally;

/* A guest that takes each message in time and checks it */
static void guest_1ms(Fake *f, void *opaque)
{
    Tally *tally = opaque;
    TimerMsg m = read_msg(f, SLOT(2));

    tally->n++;
    if (m.type != TIMER_EXPIRED || m.index != 2 ||
        m.expiration != 10000ull * tally->n || m.delivery < m.expiration ||
        m.flags) {
        if (!tally->bad) {
            g_test_fail_printf("tick %u: type 0x%x index %u expiration %"
                               PRIu64 " delivery %" PRIu64 " flags 0x%x",
                               tally->n, m.type, m.index, m.expiration,
                               m.delivery, m.flags);
        }
        tally->bad = true;
    }
    guest_consume(f, SLOT(2));
}

/* 1 ms periodic timer: 1000 expirations in 1 s of reference time */
static void test_periodic_1000_per_second(void)
{
    Fake *f = stimer_fake(0);
    Tally tally = { 0 };

    wr_ok(f, COUNT(2), 10000);
    wr_ok(f, CONFIG(2), EN | PERIODIC | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 10000000, guest_1ms, &tally), ==,
                     1000);
    g_assert_cmpuint(tally.n, ==, 1000);
    g_assert_false(tally.bad);
    g_assert_cmpuint(f->irq_count, ==, 1000);
    g_assert_cmpuint(f->vp[0].stimer_missed[2], ==, 0);
    g_assert_cmpuint(timer(f, 2)->exp_time, ==, 10010000);
    check_hex64("CONFIG", rd_ok(f, CONFIG(2)), 0x20003);
    fake_free(f);
}

/*
 * HV_TIMER_MESSAGE_PAYLOAD: TimerIndex (0-3), Reserved, ExpirationTime
 * ("the expected expiration time"), DeliveryTime ("when the message is
 * placed into the respective message slot"); 24 bytes, only those are
 * written.
 */
static void test_payload(void)
{
    Fake *f = stimer_fake(0);
    int i, t;

    for (t = 0; t < 4; t++) {
        uint64_t slot = SLOT(4 + t);

        wr_ok(f, SINT(4 + t), 0x60 + t);
        memset(f->ram + slot, 0xcc, 256);
        fake_put64(f, slot, 0);
        wr_ok(f, COUNT(t), 1000000 + 1000 * t);
        wr_ok(f, CONFIG(t), EN | SINTX(4 + t));
    }
    fake_set_ref_time(f, 1002500);
    g_assert_cmpuint(fake_run_until(f, 1002500, NULL, NULL), ==, 3);
    for (t = 0; t < 3; t++) {
        uint64_t slot = SLOT(4 + t);

        check_msg(f, slot, t, 1000000 + 1000 * t, 1002500);
        for (i = 40; i < 256; i++) {
            g_assert_cmphex(f->ram[slot + i], ==, 0xcc);
        }
    }
    g_assert_cmphex(fake_get32(f, SLOT(7)), ==, 0);
    g_assert_cmpuint(fake_run_until(f, 1003000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(7), 3, 1003000, 1003000);
    g_assert_cmpuint(f->irq_count, ==, 4);
    g_assert_cmpuint(f->last_irq.vector, ==, 0x63);
    fake_free(f);
}

/* Two timers on one SINT: the second waits for the first to be taken */
static void test_two_timers_one_sint(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 10000);
    wr_ok(f, COUNT(1), 10000);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    wr_ok(f, CONFIG(1), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 10000, NULL, NULL), ==, 2);
    /* The second one found the slot full: PENDING */
    check_msg_flags(f, SLOT(2), 0, 10000, 10000, 1);
    g_assert_cmpuint(f->irq_count, ==, 1);

    fake_set_ref_time(f, 10100);
    guest_consume(f, SLOT(2));
    check_msg(f, SLOT(2), 1, 10000, 10100);
    g_assert_cmpuint(f->irq_count, ==, 2);
    check_hex64("CONFIG0", rd_ok(f, CONFIG(0)), 0x20000);
    check_hex64("CONFIG1", rd_ok(f, CONFIG(1)), 0x20000);
    fake_free(f);
}

/* Writing CONFIG or COUNT stops the timer and drops its queued message */
static void test_reconfigure(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 1000);
    wr_ok(f, CONFIG(0), EN | PERIODIC | SINTX(2));
    g_assert_true(timer(f, 0)->armed);
    wr_ok(f, CONFIG(0), 0);
    g_assert_false(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->cancel_count, ==, 1);
    g_assert_cmpuint(fake_run_until(f, 100000, NULL, NULL), ==, 0);

    /* Queued behind a busy slot, then reconfigured: gone */
    fake_put32(f, SLOT(2), 1);
    wr_ok(f, COUNT(1), 110000);
    wr_ok(f, CONFIG(1), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 110000, NULL, NULL), ==, 1);
    g_assert_cmphex(f->ram[SLOT(2) + 5], ==, 1);
    wr_ok(f, CONFIG(1), SINTX(2));
    guest_consume(f, SLOT(2));
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 0);

    /* Queued, then restarted with a new count: only the new one comes */
    fake_put32(f, SLOT(2), 1);
    wr_ok(f, COUNT(1), 120000);
    wr_ok(f, CONFIG(1), EN | SINTX(2));
    g_assert_cmpuint(fake_run_until(f, 120000, NULL, NULL), ==, 1);
    g_assert_cmphex(f->ram[SLOT(2) + 5], ==, 1);
    wr_ok(f, COUNT(1), 130000);
    g_assert_true(timer(f, 1)->armed);
    guest_consume(f, SLOT(2));
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    g_assert_cmpuint(fake_run_until(f, 130000, NULL, NULL), ==, 1);
    check_msg(f, SLOT(2), 1, 130000, 130000);
    g_assert_cmpuint(f->irq_count, ==, 1);
    fake_free(f);
}

/* The glue's timer fires early (clock rounding), or after a stop: ignored */
static void test_early_and_stale(void)
{
    Fake *f = stimer_fake(0);

    wr_ok(f, COUNT(0), 50000);
    wr_ok(f, CONFIG(0), EN | SINTX(2));
    g_assert_cmpuint(timer(f, 0)->arm_count, ==, 1);
    fake_set_ref_time(f, 49999);
    timer(f, 0)->armed = false;
    hv_stimer_expired(&f->part, &f->vp[0], &f->ops, 0);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    g_assert_true(timer(f, 0)->armed);
    g_assert_cmpuint(timer(f, 0)->exp_time, ==, 50000);
    g_assert_cmpuint(timer(f, 0)->arm_count, ==, 2);

    /* Stopped, then its old host timer fires anyway */
    wr_ok(f, CONFIG(0), SINTX(2));
    fake_set_ref_time(f, 60000);
    hv_stimer_expired(&f->part, &f->vp[0], &f->ops, 0);
    hv_stimer_expired(&f->part, &f->vp[0], &f->ops, 1);
    hv_stimer_expired(&f->part, &f->vp[0], &f->ops, 4);
    g_assert_cmphex(fake_get32(f, SLOT(2)), ==, 0);
    g_assert_cmpuint(f->irq_count, ==, 0);
    fake_free(f);
}

/* VP reset: all timers 0 (TLFS), the host timers dropped */
static void test_vp_reset(void)
{
    Fake *f = stimer_fake(0);
    int t;

    /* Timer 0 one-shot, so that its message queues for the busy slot */
    for (t = 0; t < 4; t++) {
        wr_ok(f, COUNT(t), 10000 * (t + 1));
        wr_ok(f, CONFIG(t), EN | (t ? PERIODIC : 0) | SINTX(2));
    }
    fake_put32(f, SLOT(2), 1);
    g_assert_cmpuint(fake_run_until(f, 10000, NULL, NULL), ==, 1);
    g_assert_cmpuint(f->vp[0].stimer_msg_pending, ==, 1);

    hv_stimer_cancel_all(&f->vp[0], &f->ops);
    for (t = 0; t < 4; t++) {
        g_assert_false(timer(f, t)->armed);
    }
    /* Timer 0 waits for its slot: no host timer to cancel */
    g_assert_cmpuint(timer(f, 0)->cancel_count, ==, 0);
    g_assert_cmpuint(timer(f, 1)->cancel_count, ==, 1);

    hv_vp_reset(&f->vp[0], 0);
    for (t = 0; t < 4; t++) {
        check_hex64("CONFIG", rd_ok(f, CONFIG(t)), 0);
        check_hex64("COUNT", rd_ok(f, COUNT(t)), 0);
        hv_stimer_expired(&f->part, &f->vp[0], &f->ops, t);
    }
    g_assert_cmpuint(f->vp[0].stimer_msg_pending, ==, 0);
    g_assert_cmpuint(f->vp[0].stimer_armed, ==, 0);
    /* The SynIC is reset too: an EOM delivers nothing */
    wr_ok(f, SCONTROL, 1);
    wr_ok(f, SIMP, MSG_PAGE | 1);
    wr_ok(f, EOM, 0);
    g_assert_cmpuint(f->irq_count, ==, 0);
    fake_free(f);
}

/*
 * Migration: the destination gets the partition, the VP and guest memory
 * as they were, calls hv_vp_post_load(), and the timers go on as if
 * nothing happened: the next expirations are the same, a queued message
 * is still queued.
 */
static void test_rearm_after_migration(void)
{
    Fake *src = stimer_fake(0);
    Fake *dst = stimer_fake(0);
    int t;

    wr_ok(src, COUNT(0), 10000);
    wr_ok(src, CONFIG(0), EN | PERIODIC | SINTX(2));
    wr_ok(src, COUNT(1), 123456);
    wr_ok(src, CONFIG(1), EN | SINTX(2));
    fake_put32(src, SLOT(5), 1);
    wr_ok(src, COUNT(2), 20000);
    wr_ok(src, CONFIG(2), EN | SINTX(5));
    g_assert_cmpuint(fake_run_until(src, 35000, guest_slot2, NULL), ==, 4);
    g_assert_cmpuint(src->vp[0].stimer_msg_pending, ==, 4);
    g_assert_cmpuint(timer(src, 0)->exp_time, ==, 40000);

    /* What migration carries */
    dst->part = src->part;
    dst->clock_ns = src->clock_ns;
    dst->tsc = src->tsc;
    dst->vp[0] = src->vp[0];
    memcpy(dst->ram, src->ram, FAKE_RAM_SIZE);
    for (t = 0; t < 4; t++) {
        g_assert_false(timer(dst, t)->armed);
    }
    hv_vp_post_load(&dst->part, &dst->vp[0], &dst->ops);

    g_assert_true(timer(dst, 0)->armed);
    g_assert_cmpuint(timer(dst, 0)->exp_time, ==, 40000);
    g_assert_true(timer(dst, 1)->armed);
    g_assert_cmpuint(timer(dst, 1)->exp_time, ==, 123456);
    g_assert_false(timer(dst, 2)->armed);
    g_assert_false(timer(dst, 3)->armed);

    g_assert_cmpuint(fake_run_until(dst, 40000, NULL, NULL), ==, 1);
    check_msg(dst, SLOT(2), 0, 40000, 40000);
    g_assert_cmpuint(timer(dst, 0)->exp_time, ==, 50000);

    /* The queued message of timer 2 */
    fake_set_ref_time(dst, 41000);
    guest_consume(dst, SLOT(5));
    check_msg(dst, SLOT(5), 2, 20000, 41000);
    check_hex64("CONFIG2", dst->vp[0].stimer_config[2], 0x50000);
    fake_free(src);
    fake_free(dst);
}

/*
 * A migration stream with state the core never saves (found by the
 * fuzzer, tests-fuzz/corpus/seed-post-load): a timer both armed and with
 * its message queued, and state bits of timers 4-31.  After post-load
 * the queued message wins (the timer waits for EOM, is not armed, and
 * later expirations do not pile up), and only timers 0-3 have bits.
 */
static void test_post_load_inconsistent(void)
{
    Fake *f = stimer_fake(0);

    f->vp[0].stimer_config[1] = EN | SINTX(2);
    f->vp[0].stimer_count[1] = 50000;
    f->vp[0].stimer_exp_time[1] = 50000;
    f->vp[0].stimer_armed = 0xfffffff2;
    f->vp[0].stimer_msg_pending = 0xfffffff2;
    hv_vp_post_load(&f->part, &f->vp[0], &f->ops);

    check_hex32("stimer_armed", f->vp[0].stimer_armed, 0);
    check_hex32("stimer_msg_pending", f->vp[0].stimer_msg_pending, 0x2);
    g_assert_false(timer(f, 1)->armed);

    /* EOM delivers the queued message; the one-shot timer is then done */
    fake_set_ref_time(f, 60000);
    wr_ok(f, EOM, 0);
    check_msg(f, SLOT(2), 1, 50000, 60000);
    check_hex64("CONFIG1", f->vp[0].stimer_config[1], SINTX(2));
    g_assert_cmpuint(f->vp[0].stimer_msg_pending, ==, 0);
    g_assert_cmpuint(f->vp[0].stimer_armed, ==, 0);
    fake_free(f);
}

int main(int argc, char **argv)
{
    hv_unit_init(&argc, &argv);

    g_test_add_func("/stimer/privilege", test_privilege);
    g_test_add_func("/stimer/privilege/unenforced",
                    test_privilege_unenforced);
    g_test_add_func("/stimer/reset-values", test_reset_values);
    g_test_add_func("/stimer/config/reserved", test_config_reserved);
    g_test_add_func("/stimer/config/sintx-zero", test_config_sintx_zero);
    g_test_add_func("/stimer/one-shot", test_one_shot);
    g_test_add_func("/stimer/one-shot/past", test_one_shot_past);
    g_test_add_func("/stimer/periodic", test_periodic);
    g_test_add_func("/stimer/periodic/1000-per-second",
                    test_periodic_1000_per_second);
    g_test_add_func("/stimer/periodic/missed", test_missed_periods);
    g_test_add_func("/stimer/periodic/busy", test_periodic_busy);
    g_test_add_func("/stimer/auto-enable", test_auto_enable);
    g_test_add_func("/stimer/count-zero", test_count_zero);
    g_test_add_func("/stimer/lazy", test_lazy);
    g_test_add_func("/stimer/direct", test_direct);
    g_test_add_func("/stimer/message/payload", test_payload);
    g_test_add_func("/stimer/message/busy-eom", test_busy_then_eom);
    g_test_add_func("/stimer/message/busy-eoi", test_busy_then_eoi);
    g_test_add_func("/stimer/message/page-disabled", test_page_disabled);
    g_test_add_func("/stimer/message/sint-masked", test_sint_masked);
    g_test_add_func("/stimer/message/two-timers-one-sint",
                    test_two_timers_one_sint);
    g_test_add_func("/stimer/reconfigure", test_reconfigure);
    g_test_add_func("/stimer/early-and-stale", test_early_and_stale);
    g_test_add_func("/stimer/vp-reset", test_vp_reset);
    g_test_add_func("/stimer/rearm-after-migration",
                    test_rearm_after_migration);
    g_test_add_func("/stimer/post-load-inconsistent",
                    test_post_load_inconsistent);

    return g_test_run();
}
