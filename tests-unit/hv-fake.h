/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: a fake machine around the Hyper-V core.
 *
 * HvOps backed by a few MiB of fake guest RAM with an MMIO hole, a clock
 * and a TSC the test steps by hand, and recorders for everything the core
 * asks the machine to do (TLB flushes, IPIs, EOI/ICR/TPR, reset, crash,
 * spin-wait yields, SynIC interrupts, page updates and acknowledgements).
 * Every guest memory access is logged, so a test can check that the core
 * touched exactly the bytes the TLFS lets it touch.  The synthetic timers
 * run on a fake timer queue: fake_run_until() moves the reference time
 * forward and fires what falls due, in order.
 */

#ifndef TESTS_UNIT_HV_FAKE_H
#define TESTS_UNIT_HV_FAKE_H

#include "hv-unit.h"
#include "hv-core.h"

/* 4 MiB of RAM at GPA 0 ... */
#define FAKE_RAM_SIZE       0x400000ull
/* ... except a 64 KiB MMIO hole at 2 MiB */
#define FAKE_HOLE_START     0x200000ull
#define FAKE_HOLE_END       0x210000ull

#define FAKE_LOG_MAX        64
#define FAKE_MAX_GVAS       512
#define FAKE_IRQ_LOG_MAX    64
#define FAKE_VPS            4

typedef struct FakeAccess {
    uint64_t gpa;
    uint64_t len;
    uint8_t data[24];       /* the first bytes written (writes only) */
    unsigned seq;           /* order among all reads and writes */
} FakeAccess;

/* An interrupt the core raised through sint_deliver */
typedef struct FakeIrq {
    HvVp *vp;
    uint8_t vector;
    bool auto_eoi;
} FakeIrq;

/* The host timer behind one synthetic timer */
typedef struct FakeTimer {
    bool armed;
    uint64_t exp_time;          /* reference time it was armed for */
    unsigned arm_count;
    unsigned cancel_count;
} FakeTimer;

typedef struct Fake {
    uint8_t *ram;
    HvOps ops;
    HvPartition part;
    HvVp vp[FAKE_VPS];
    /*
     * VPs the partition has (the core does not know: which VP indexes
     * exist is the glue's business); the first FAKE_VPS are in vp[]
     */
    uint32_t n_vps;

    /* Every guest memory access the core made, in order */
    unsigned n_reads, n_writes, n_accesses;
    FakeAccess reads[FAKE_LOG_MAX];
    FakeAccess writes[FAKE_LOG_MAX];

    int64_t clock_ns;
    uint64_t tsc;
    uint64_t runtime;

    unsigned eoi_count;
    HvVp *eoi_vp;
    uint64_t icr;
    bool icr_ok;
    uint64_t tpr;
    bool tpr_ok;

    unsigned reset_count;
    unsigned crash_count;
    uint64_t crash_params[HV_CRASH_PARAMS];

    unsigned flush_count;
    HvVp *flush_caller;
    HvVpSet flush_set;
    bool flush_gvas_null;
    unsigned flush_n_gvas;
    uint64_t flush_gvas[FAKE_MAX_GVAS];

    unsigned ipi_count;
    HvVp *ipi_caller;
    HvVpSet ipi_set;
    uint8_t ipi_vector;

    unsigned spin_count;
    HvVp *spin_caller;
    unsigned idle_count;
    HvVp *idle_vp;

    /* sint_deliver: every interrupt, the first FAKE_IRQ_LOG_MAX logged */
    unsigned irq_count;
    FakeIrq irqs[FAKE_IRQ_LOG_MAX];
    FakeIrq last_irq;

    /* synic_update, and what the VP and the write log held at the time */
    unsigned synic_update_count;
    HvVp *synic_update_vp;
    uint64_t synic_update_simp;
    uint64_t synic_update_siefp;
    uint64_t synic_update_scontrol;
    unsigned synic_update_n_writes;

    /* sint_ack, per SINT */
    unsigned sint_ack_count;
    unsigned sint_acks[HV_SINT_COUNT];
    HvVp *sint_ack_vp;

    /* fetch_or_gpa8 (only when a test installs fake_fetch_or_gpa8) */
    unsigned fetch_or_count;

    FakeTimer timers[FAKE_VPS][HV_STIMER_COUNT];
    unsigned timers_fired;
} Fake;

static inline bool fake_is_ram(uint64_t gpa, uint64_t len)
{
    if (gpa > FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - gpa) {
        return false;
    }
    return gpa + len <= FAKE_HOLE_START || gpa >= FAKE_HOLE_END;
}

static inline bool fake_read_gpa(void *opaque, uint64_t gpa, void *buf,
                                 uint64_t len)
{
    Fake *f = opaque;

    if (f->n_reads < FAKE_LOG_MAX) {
        f->reads[f->n_reads].gpa = gpa;
        f->reads[f->n_reads].len = len;
        f->reads[f->n_reads].seq = f->n_accesses;
    }
    f->n_reads++;
    f->n_accesses++;
    if (!fake_is_ram(gpa, len)) {
        return false;
    }
    memcpy(buf, f->ram + gpa, len);
    return true;
}

static inline bool fake_write_gpa(void *opaque, uint64_t gpa,
                                  const void *buf, uint64_t len)
{
    Fake *f = opaque;

    if (f->n_writes < FAKE_LOG_MAX) {
        FakeAccess *a = &f->writes[f->n_writes];

        a->gpa = gpa;
        a->len = len;
        a->seq = f->n_accesses;
        memcpy(a->data, buf, MIN(len, sizeof(a->data)));
    }
    f->n_writes++;
    f->n_accesses++;
    if (!fake_is_ram(gpa, len)) {
        return false;
    }
    memcpy(f->ram + gpa, buf, len);
    return true;
}

static inline int64_t fake_clock_ns(void *opaque)
{
    return ((Fake *)opaque)->clock_ns;
}

static inline uint64_t fake_partition_tsc(void *opaque)
{
    return ((Fake *)opaque)->tsc;
}

static inline uint64_t fake_vp_runtime(void *opaque, HvVp *vp)
{
    return ((Fake *)opaque)->runtime + vp->vp_index;
}

static inline void fake_apic_eoi(void *opaque, HvVp *vp)
{
    Fake *f = opaque;

    f->eoi_count++;
    f->eoi_vp = vp;
}

static inline bool fake_apic_icr_write(void *opaque, HvVp *vp G_GNUC_UNUSED,
                                       uint64_t icr)
{
    Fake *f = opaque;

    if (f->icr_ok) {
        f->icr = icr;
    }
    return f->icr_ok;
}

static inline uint64_t fake_apic_icr_read(void *opaque,
                                          HvVp *vp G_GNUC_UNUSED)
{
    return ((Fake *)opaque)->icr;
}

static inline bool fake_apic_tpr_write(void *opaque, HvVp *vp G_GNUC_UNUSED,
                                       uint64_t tpr)
{
    Fake *f = opaque;

    if (f->tpr_ok) {
        f->tpr = tpr;
    }
    return f->tpr_ok;
}

static inline uint64_t fake_apic_tpr_read(void *opaque,
                                          HvVp *vp G_GNUC_UNUSED)
{
    return ((Fake *)opaque)->tpr;
}

static inline void fake_reset(void *opaque)
{
    ((Fake *)opaque)->reset_count++;
}

static inline void fake_crash(void *opaque,
                              const uint64_t params[HV_CRASH_PARAMS])
{
    Fake *f = opaque;

    f->crash_count++;
    memcpy(f->crash_params, params, sizeof(f->crash_params));
}

static inline void fake_flush_tlb(void *opaque, HvVp *caller,
                                  const HvVpSet *set, const uint64_t *gvas,
                                  unsigned n_gvas)
{
    Fake *f = opaque;

    f->flush_count++;
    f->flush_caller = caller;
    f->flush_set = *set;
    f->flush_gvas_null = !gvas;
    f->flush_n_gvas = n_gvas;
    g_assert_cmpuint(n_gvas, <=, FAKE_MAX_GVAS);
    if (gvas && n_gvas <= FAKE_MAX_GVAS) {
        memcpy(f->flush_gvas, gvas, n_gvas * sizeof(*gvas));
    }
}

static inline void fake_send_ipi(void *opaque, HvVp *caller,
                                 const HvVpSet *set, uint8_t vector)
{
    Fake *f = opaque;

    f->ipi_count++;
    f->ipi_caller = caller;
    f->ipi_set = *set;
    f->ipi_vector = vector;
}

static inline void fake_long_spin_wait(void *opaque, HvVp *caller)
{
    Fake *f = opaque;

    f->spin_count++;
    f->spin_caller = caller;
}

static inline void fake_guest_idle(void *opaque, HvVp *vp)
{
    Fake *f = opaque;

    f->idle_count++;
    f->idle_vp = vp;
}

/* The registers of a 64-bit hypercall from CPL 0: input and output GPAs */
static inline HvHypercallRegs fake_regs64(uint64_t control, uint64_t in,
                                          uint64_t out)
{
    HvHypercallRegs r;

    memset(&r, 0, sizeof(r));
    r.long_mode = true;
    r.cpl0 = true;
    r.rcx = control;
    r.rdx = in;
    r.r8 = out;
    return r;
}

/* That hypercall made by VP 0, which must take it: its RAX */
static inline uint64_t fake_call64(Fake *f, uint64_t control, uint64_t in,
                                   uint64_t out)
{
    HvHypercallRegs r = fake_regs64(control, in, out);

    g_assert_true(hv_hypercall(&f->part, &f->vp[0], &f->ops, &r));
    return r.rax;
}

static inline unsigned fake_vp_num(Fake *f, HvVp *vp)
{
    g_assert_true(vp >= f->vp && vp < f->vp + FAKE_VPS);
    return vp - f->vp;
}

static inline void fake_sint_deliver(void *opaque, HvVp *vp, uint8_t vector,
                                     bool auto_eoi)
{
    Fake *f = opaque;
    FakeIrq irq = { .vp = vp, .vector = vector, .auto_eoi = auto_eoi };

    if (f->irq_count < FAKE_IRQ_LOG_MAX) {
        f->irqs[f->irq_count] = irq;
    }
    f->irq_count++;
    f->last_irq = irq;
}

static inline void fake_synic_update(void *opaque, HvVp *vp)
{
    Fake *f = opaque;

    f->synic_update_count++;
    f->synic_update_vp = vp;
    f->synic_update_simp = vp->simp;
    f->synic_update_siefp = vp->siefp;
    f->synic_update_scontrol = vp->scontrol;
    f->synic_update_n_writes = f->n_writes;
}

static inline void fake_sint_ack(void *opaque, HvVp *vp, uint32_t sint)
{
    Fake *f = opaque;

    g_assert_cmpuint(sint, <, HV_SINT_COUNT);
    f->sint_ack_count++;
    f->sint_ack_vp = vp;
    if (sint < HV_SINT_COUNT) {
        f->sint_acks[sint]++;
    }
}

static inline void fake_stimer_arm(void *opaque, HvVp *vp, unsigned index,
                                   uint64_t exp_time)
{
    Fake *f = opaque;
    FakeTimer *t;

    g_assert_cmpuint(index, <, HV_STIMER_COUNT);
    t = &f->timers[fake_vp_num(f, vp)][index % HV_STIMER_COUNT];
    t->armed = true;
    t->exp_time = exp_time;
    t->arm_count++;
}

static inline void fake_stimer_cancel(void *opaque, HvVp *vp, unsigned index)
{
    Fake *f = opaque;
    FakeTimer *t;

    g_assert_cmpuint(index, <, HV_STIMER_COUNT);
    t = &f->timers[fake_vp_num(f, vp)][index % HV_STIMER_COUNT];
    t->armed = false;
    t->cancel_count++;
}

static inline bool fake_fetch_or_gpa8(void *opaque, uint64_t gpa,
                                      uint8_t bits, uint8_t *old)
{
    Fake *f = opaque;

    f->fetch_or_count++;
    if (!fake_is_ram(gpa, 1)) {
        return false;
    }
    *old = f->ram[gpa];
    f->ram[gpa] |= bits;
    return true;
}

/*
 * A partition with @features (HV_FEAT_BIT()s), @n_vps VPs, 2.5 GHz TSC and
 * 200 MHz APIC timer, reset at clock 0.  The first four VPs are in vp[].
 */
static inline Fake *fake_new(uint64_t features, uint32_t n_vps)
{
    Fake *f = g_new0(Fake, 1);
    int i;

    f->ram = g_malloc0(FAKE_RAM_SIZE);
    f->icr_ok = true;
    f->tpr_ok = true;
    f->ops = (HvOps) {
        .opaque = f,
        .read_gpa = fake_read_gpa,
        .write_gpa = fake_write_gpa,
        .clock_ns = fake_clock_ns,
        .partition_tsc = fake_partition_tsc,
        .tsc_hz = 2500000000ull,
        .apic_hz = 200000000ull,
        .vp_runtime = fake_vp_runtime,
        .apic_eoi = fake_apic_eoi,
        .apic_icr_write = fake_apic_icr_write,
        .apic_icr_read = fake_apic_icr_read,
        .apic_tpr_write = fake_apic_tpr_write,
        .apic_tpr_read = fake_apic_tpr_read,
        .reset = fake_reset,
        .crash = fake_crash,
        .flush_tlb = fake_flush_tlb,
        .send_ipi = fake_send_ipi,
        .long_spin_wait = fake_long_spin_wait,
        .guest_idle = fake_guest_idle,
        .sint_deliver = fake_sint_deliver,
        .synic_update = fake_synic_update,
        .sint_ack = fake_sint_ack,
        .stimer_arm = fake_stimer_arm,
        .stimer_cancel = fake_stimer_cancel,
    };
    f->n_vps = n_vps;
    f->part.features = features;
    f->part.spinlock_attempts = 0xffffffff;
    hv_partition_reset(&f->part, &f->ops);
    for (i = 0; i < FAKE_VPS; i++) {
        hv_vp_reset(&f->vp[i], i);
    }
    return f;
}

static inline void fake_free(Fake *f)
{
    g_free(f->ram);
    g_free(f);
}

/* Forget the memory accesses so far */
static inline void fake_clear_log(Fake *f)
{
    f->n_reads = 0;
    f->n_writes = 0;
    f->n_accesses = 0;
}

/* Little-endian guest memory accessors, independent of the core's */
static inline void fake_put64(Fake *f, uint64_t gpa, uint64_t v)
{
    int i;

    g_assert(fake_is_ram(gpa, 8));
    for (i = 0; i < 8; i++) {
        f->ram[gpa + i] = v >> (8 * i);
    }
}

static inline uint64_t fake_get64(Fake *f, uint64_t gpa)
{
    uint64_t v = 0;
    int i;

    g_assert(fake_is_ram(gpa, 8));
    for (i = 7; i >= 0; i--) {
        v = v << 8 | f->ram[gpa + i];
    }
    return v;
}

static inline uint32_t fake_get32(Fake *f, uint64_t gpa)
{
    g_assert(fake_is_ram(gpa, 4));
    return f->ram[gpa] | f->ram[gpa + 1] << 8 | f->ram[gpa + 2] << 16 |
           (uint32_t)f->ram[gpa + 3] << 24;
}

static inline void fake_put32(Fake *f, uint64_t gpa, uint32_t v)
{
    int i;

    g_assert(fake_is_ram(gpa, 4));
    for (i = 0; i < 4; i++) {
        f->ram[gpa + i] = v >> (8 * i);
    }
}

/*
 * The fake timer queue.  The reference time is the clock's while the TSC
 * page is off (clock_ns / 100 + the partition's offset).
 */
static inline uint64_t fake_ref_time(Fake *f)
{
    return hv_ref_time(&f->part, &f->ops);
}

static inline void fake_set_ref_time(Fake *f, uint64_t t)
{
    g_assert_false(f->part.reference_tsc & 1);
    f->clock_ns = (int64_t)(t - (uint64_t)f->part.ref_time_offset) * 100;
}

/* The armed timer that expires first (lowest VP, then index, on a tie) */
static inline FakeTimer *fake_next_timer(Fake *f, unsigned *vp,
                                         unsigned *index)
{
    FakeTimer *best = NULL;
    unsigned v, i;

    for (v = 0; v < FAKE_VPS; v++) {
        for (i = 0; i < HV_STIMER_COUNT; i++) {
            FakeTimer *t = &f->timers[v][i];

            if (t->armed && (!best || t->exp_time < best->exp_time)) {
                best = t;
                *vp = v;
                *index = i;
            }
        }
    }
    return best;
}

/* What the guest does after each timer that fired (may be NULL) */
typedef void FakeGuestFn(Fake *f, void *opaque);

/*
 * Move the reference time forward to @t, firing every timer that falls due
 * on the way at its expiration time, in order (one already due fires at
 * the current time), and calling @guest after each.  Returns the number
 * of timers fired.
 */
static inline unsigned fake_run_until(Fake *f, uint64_t t,
                                      FakeGuestFn *guest, void *opaque)
{
    unsigned fired = 0, v, i;
    FakeTimer *timer;

    while ((timer = fake_next_timer(f, &v, &i)) && timer->exp_time <= t) {
        if (timer->exp_time > fake_ref_time(f)) {
            fake_set_ref_time(f, timer->exp_time);
        }
        timer->armed = false;
        hv_stimer_expired(&f->part, &f->vp[v], &f->ops, i);
        fired++;
        f->timers_fired++;
        if (guest) {
            guest(f, opaque);
        }
        if (fired > 10000000) {
            g_test_fail_printf("timers keep firing at %" PRIu64, t);
            break;
        }
    }
    if (t > fake_ref_time(f)) {
        fake_set_ref_time(f, t);
    }
    return fired;
}

#endif
