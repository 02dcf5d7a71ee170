/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest helpers for the reference time tests (tests-time.c,
 * tests-migration.c): the TLFS partition reference time from the
 * TIME_REF_COUNT MSR and from the reference TSC page, monotonicity
 * trackers, the HPET as a clock that is independent of Hyper-V, and a
 * mailbox word the qtest writes into guest memory.
 *
 * TLFS 12.7 (Partition Reference Time): the reference time counts 100 ns
 * units.  The reference TSC page holds TscSequence (u32 at offset 0),
 * TscScale (u64 at 8) and TscOffset (i64 at 16); while TscSequence is
 * non-zero, ReferenceTime = ((RDTSC * TscScale) >> 64) + TscOffset.
 * TscSequence 0 means "read HV_X64_MSR_TIME_REF_COUNT instead".
 */
#ifndef GUEST_HV_TIME_H
#define GUEST_HV_TIME_H

#include "libguest.h"

/* TLFS MSR numbers (guarded: libguest.h may grow the same names) */
#ifndef HV_X64_MSR_GUEST_OS_ID
#endif
#ifndef HV_X64_MSR_HYPERCALL
#endif
#ifndef HV_X64_MSR_VP_INDEX
#endif
#ifndef HV_X64_MSR_VP_RUNTIME
#endif
#ifndef HV_X64_MSR_TIME_REF_COUNT
#endif
#ifndef HV_X64_MSR_REFERENCE_TSC
#endif
#ifndef HV_X64_MSR_TSC_FREQUENCY
#endif
#ifndef HV_X64_MSR_CRASH_P0
#define HV_X64_MSR_CRASH_P0             0x40000100
#endif

/* HV_X64_MSR_REFERENCE_TSC: bit 0 enables, bits 63:12 are the GPA */
#define HV_REF_TSC_ENABLE               1ull

/* 100 ns units per second */
#define HV_REF_TIME_HZ                  10000000ull

/* TLFS HV_REFERENCE_TSC_PAGE (the first 24 of its 4096 bytes) */
typedef struct HvTscPage {
    volatile uint32_t tsc_sequence;     /* written by the hypervisor */
    volatile uint32_t reserved1;        /* written by the hypervisor */
    volatile uint64_t tsc_scale;        /* written by the hypervisor */
    volatile int64_t tsc_offset;        /* written by the hypervisor */
} HvTscPage;

/* RDTSC that is not executed ahead of the loads before it */
static inline uint64_t rdtsc_ordered(void)
{
    asm volatile("lfence" : : : "memory");
    return rdtsc();
}

static inline uint64_t ref_time_msr(void)
{
    return rdmsr(HV_X64_MSR_TIME_REF_COUNT);
}

/* The upper 64 bits of the 128-bit product (MUL: no libgcc needed) */
static inline uint64_t mul_u64_u64_shr64(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

/* How many times tsc_page_read() may retry before it gives up */
#define TSC_PAGE_MAX_TRIES              1000

/*
 * Reads the reference time from @page the way the TLFS tells the guest
 * to: sequence, scale, offset, RDTSC, sequence again; retry when the
 * sequence changed.  Returns false when the sequence is 0 (the guest must
 * use the MSR) or keeps changing; *@seq_out (may be NULL) gets the
 * sequence the values came with, *@retries (may be NULL) is incremented
 * for every retry.
 */
static inline bool tsc_page_read(const HvTscPage *page, uint64_t *time,
                                 uint32_t *seq_out, uint64_t *retries)
{
    unsigned int i;

    for (i = 0; i < TSC_PAGE_MAX_TRIES; i++) {
        uint32_t seq = page->tsc_sequence;
        uint64_t scale, tsc;
        int64_t offset;

        if (seq == 0) {
            if (seq_out) {
                *seq_out = 0;
            }
            return false;
        }
        asm volatile("" : : : "memory");
        scale = page->tsc_scale;
        offset = page->tsc_offset;
        tsc = rdtsc_ordered();
        asm volatile("" : : : "memory");
        if (page->tsc_sequence == seq) {
            *time = mul_u64_u64_shr64(tsc, scale) + (uint64_t)offset;
            if (seq_out) {
                *seq_out = seq;
            }
            return true;
        }
        if (retries) {
            (*retries)++;
        }
    }
    if (seq_out) {
        *seq_out = 0;
    }
    return false;
}

/* Enables the TSC page at @page; returns the WRMSR's fault vector. */
static inline uint8_t tsc_page_enable(HvTscPage *page)
{
    return wrmsr_safe(HV_X64_MSR_REFERENCE_TSC,
                      (uint64_t)(uintptr_t)page | HV_REF_TSC_ENABLE);
}

/*
 * Per-CPU monotonicity of one time source: how often and by how much it
 * went backwards, and the largest forward step between two samples.
 */
typedef struct TimeTrack {
    uint64_t last;
    uint64_t samples;
    uint64_t backwards;         /* number of backwards steps */
    uint64_t max_backwards;     /* largest backwards step */
    uint64_t max_step;          /* largest forward step */
} TimeTrack;

static inline void time_track(TimeTrack *t, uint64_t now)
{
    if (t->samples) {
        if (now < t->last) {
            t->backwards++;
            if (t->last - now > t->max_backwards) {
                t->max_backwards = t->last - now;
            }
        } else if (now - t->last > t->max_step) {
            t->max_step = now - t->last;
        }
    }
    t->last = now;
    t->samples++;
}

/*
 * Monotonicity across CPUs: a time every CPU publishes with cmpxchg.  A
 * reading taken after loading the published value must not be below it
 * (the CPU that published it read its time before that).  When the
 * cmpxchg loses against a newer value, the CPU reads the time again.
 */
typedef struct SharedTime {
    uint64_t last;              /* shared by the CPUs, atomics only */
    uint64_t backwards;         /* shared by the CPUs, atomics only */
    uint64_t max_backwards;     /* shared by the CPUs, atomics only */
} SharedTime;

/*
 * @read_time reads the time source; returns false when it could not
 * (e.g. the TSC page went invalid), in which case nothing is checked.
 */
static inline void shared_time_check(SharedTime *s,
                                     bool (*read_time)(void *arg,
                                                       uint64_t *t),
                                     void *arg)
{
    for (;;) {
        uint64_t last = __atomic_load_n(&s->last, __ATOMIC_SEQ_CST);
        uint64_t now, max;

        if (!read_time(arg, &now)) {
            return;
        }
        if (now < last) {
            __atomic_add_fetch(&s->backwards, 1, __ATOMIC_SEQ_CST);
            max = __atomic_load_n(&s->max_backwards, __ATOMIC_SEQ_CST);
            while (last - now > max &&
                   !__atomic_compare_exchange_n(&s->max_backwards, &max,
                                                last - now, false,
                                                __ATOMIC_SEQ_CST,
                                                __ATOMIC_SEQ_CST)) {
                /* max was reloaded: try again */
            }
            return;
        }
        if (__atomic_compare_exchange_n(&s->last, &last, now, false,
                                        __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            return;
        }
    }
}

/*
 * The HPET (q35 has one at 0xfed00000): its main counter runs on a clock
 * that has nothing to do with Hyper-V, so it can tell whether the
 * reference time really counts 100 ns units.
 */
#define HPET_BASE                       0xfed00000ull
#define HPET_CAP                        0x000   /* [63:32] period, fs */
#define HPET_CONFIG                     0x010   /* bit 0: ENABLE_CNF */
#define HPET_COUNTER                    0x0f0

static inline uint64_t hpet_read(uint32_t reg)
{
    return *(volatile uint64_t *)(uintptr_t)(HPET_BASE + reg); /* MMIO */
}

static inline void hpet_write(uint32_t reg, uint64_t val)
{
    *(volatile uint64_t *)(uintptr_t)(HPET_BASE + reg) = val; /* MMIO */
}

/* Starts the main counter; returns its period in femtoseconds. */
static inline uint64_t hpet_start(void)
{
    hpet_write(HPET_CONFIG, hpet_read(HPET_CONFIG) | 1);
    return hpet_read(HPET_CAP) >> 32;
}

/* Reference time (100 ns units) from @page when valid, else the MSR */
static inline uint64_t ref_time(const HvTscPage *page)
{
    uint64_t t;

    if (page && tsc_page_read(page, &t, NULL, NULL)) {
        return t;
    }
    return ref_time_msr();
}

/* Spins for @ms milliseconds of reference time (MSR). */
static inline void ref_delay_ms(uint64_t ms)
{
    uint64_t start = ref_time_msr();

    while (ref_time_msr() - start < ms * (HV_REF_TIME_HZ / 1000)) {
        cpu_relax();
    }
}

/*
 * The rate of the reference time: TSC ticks, reference time (from @page
 * when valid, else the MSR) and HPET ticks elapsed over @ms milliseconds,
 * recorded as @name with those three values.  The HPET must run
 * (hpet_start()).
 */
typedef struct RateSample {
    uint64_t tsc, ref, hpet;
} RateSample;

/*
 * The three clocks at (nearly) the same moment: the HPET read, which may
 * wait for QEMU's lock, between two reference time and TSC readings.  A
 * host that preempts the vCPU inside the window skews the midpoints, so
 * of 20 tries the one with the fewest TSC ticks between its two RDTSCs
 * counts, among those whose reference time readings lie within 10 us
 * (the reference time alone cannot tell: the preemption may fall
 * between an RDTSC and the reading next to it).
 */
static inline void rate_sample(RateSample *s, const HvTscPage *page)
{
    uint64_t best_width = UINT64_MAX;
    bool best_tight = false;
    unsigned int i;

    for (i = 0; i < 20; i++) {
        uint64_t t1 = rdtsc_ordered();
        uint64_t r1 = ref_time(page);
        uint64_t h = hpet_read(HPET_COUNTER);
        uint64_t r2 = ref_time(page);
        uint64_t t2 = rdtsc_ordered();
        bool tight = r2 - r1 <= 100;

        if (i == 0 || (tight && !best_tight) ||
            (tight == best_tight && t2 - t1 < best_width)) {
            best_width = t2 - t1;
            best_tight = tight;
            s->tsc = t1 + (t2 - t1) / 2;
            s->ref = r1 + (r2 - r1) / 2;
            s->hpet = h;
        }
    }
}

static inline void rate_measure(const HvTscPage *page, uint64_t ms,
                                const char *name)
{
    RateSample a, b;
    uint64_t v[3];

    rate_sample(&a, page);
    ref_delay_ms(ms);
    rate_sample(&b, page);
    v[0] = b.tsc - a.tsc;
    v[1] = b.ref - a.ref;
    v[2] = b.hpet - a.hpet;
    record(HV_GUEST_FAULT_NONE, 3, v, "%s", name);
}

/*
 * Does the TSC keep step with the HPET?  Each call reads RDTSC, the HPET
 * counter, RDTSC, and compares the TSC ticks since the previous call,
 * converted with the TSC page's scale (i.e. at HV_X64_MSR_TSC_FREQUENCY),
 * with the HPET's ticks: both clocks stop and go with the VM, so over any
 * interval they must agree, across a migration too.  Readings the host
 * interrupted (RDTSC pair more than ~10 us apart) are skipped.  When the
 * scale changed in between (the TSC rate did, at some point in the
 * interval), the HPET's time must lie between the TSC ticks converted at
 * the old and at the new rate.
 */
typedef struct TscHpetTrack {
    uint64_t hpet_fs;           /* HPET period; 0: not started yet */
    uint64_t last_tsc, last_hpet, last_scale;
    uint64_t compared;
    uint64_t max_ahead;         /* TSC ahead of the HPET, 100 ns units */
    uint64_t max_behind;        /* TSC behind the HPET, 100 ns units */
} TscHpetTrack;

static inline void tsc_hpet_track(TscHpetTrack *t, const HvTscPage *page)
{
    uint64_t t1, t2, h, tsc, dtsc, dhpet, scale;
    uint32_t seq;

    if (!t->hpet_fs) {
        t->hpet_fs = hpet_start();
    }
    do {
        seq = page->tsc_sequence;
        asm volatile("" : : : "memory");
        scale = page->tsc_scale;
        asm volatile("" : : : "memory");
    } while (seq && page->tsc_sequence != seq);
    t1 = rdtsc_ordered();
    h = hpet_read(HPET_COUNTER);
    t2 = rdtsc_ordered();
    /* 10 us at the TSC rate that scale encodes: 100 units of 100 ns */
    if (!seq || mul_u64_u64_shr64(t2 - t1, scale) > 100) {
        return;
    }
    tsc = t1 + (t2 - t1) / 2;
    if (t->last_tsc) {
        uint64_t lo, hi;

        lo = hi = mul_u64_u64_shr64(tsc - t->last_tsc, scale);
        if (t->last_scale != scale) {
            dtsc = mul_u64_u64_shr64(tsc - t->last_tsc, t->last_scale);
            lo = dtsc < lo ? dtsc : lo;
            hi = dtsc > hi ? dtsc : hi;
        }
        dhpet = (h - t->last_hpet) * t->hpet_fs / 100000000ull;
        if (lo > dhpet && lo - dhpet > t->max_ahead) {
            t->max_ahead = lo - dhpet;
        } else if (dhpet > hi && dhpet - hi > t->max_behind) {
            t->max_behind = dhpet - hi;
        }
        t->compared++;
    }
    t->last_tsc = tsc;
    t->last_hpet = h;
    t->last_scale = scale;
}

/*
 * A word the qtest writes into guest memory (qtest_writel) to tell the
 * guest to go on.  The guest announces its address in a record named
 * @name whose value 0 is the GPA; the payload is identity mapped.
 */
static inline void mailbox_announce(volatile uint32_t *box, const char *name)
{
    uint64_t gpa = (uintptr_t)box;

    record(HV_GUEST_FAULT_NONE, 1, &gpa, "%s", name);
}

#endif /* GUEST_HV_TIME_H */
