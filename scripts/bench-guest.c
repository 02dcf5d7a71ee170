// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * make bench: the guest side of the microbenchmarks, built static into the
 * demo initramfs (scripts/demo-guest.sh) and run by scripts/bench-init.sh.
 *
 *   bench-guest clock MS        clock_gettime(CLOCK_MONOTONIC) cost on the
 *                               current clocksource: "clock ns X calls N
 *                               best B" (B: the fastest 200 calls)
 *   bench-guest tlb MODE MS     TLB-shootdown storm for MS milliseconds with
 *                               every CPU busy: one spinning thread per CPU
 *                               1..n-1 (same mm, so each is a flush target),
 *                               the initiator on CPU 0.  MODE "mprotect"
 *                               flips a page the spinners keep reading
 *                               between read-only and read-write; "munmap"
 *                               replaces it (mmap MAP_FIXED unmaps the old
 *                               page) and writes a new value into the new
 *                               one.  "tlb MODE ops N ms T stale S cpus C"
 *                               (S: a spinner read the old page after the
 *                               flush - a stale translation; must be 0)
 *   bench-guest ipi MS          cross-CPU wake-up ping-pong between CPU 0
 *                               and CPU 1 through futexes (both sides sleep,
 *                               so every wake-up is an IPI to an idle CPU):
 *                               "ipi roundtrips N ms T"
 *   bench-guest spin MS         one thread per CPU contending on a
 *                               user-space test-and-test-and-set spinlock
 *                               that waits with PAUSE (every PAUSE leaves
 *                               TCG's cpu_exec()): "spin acquisitions N ms
 *                               T cpus C"
 *   bench-guest futex MODE MS   one thread per CPU in a loop of
 *                               FUTEX_WAKE_BITSET calls that wake nobody.
 *                               MODE "shared": every thread on one word
 *                               that 64 sleeping threads wait on with
 *                               another bitset, so each call walks the
 *                               64 waiters of the futex hash bucket's
 *                               chain under its spinlock, one kernel
 *                               spinlock contended by every CPU; "private":
 *                               a word per thread without waiters (the
 *                               same system calls, no lock taken).
 *                               "futex MODE calls N ms T cpus C"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0) {
        fprintf(stderr, "sched_setaffinity(%d): %s\n", cpu, strerror(errno));
    }
}

static int ncpus(void)
{
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* --- clock_gettime ------------------------------------------------------ */

static int bench_clock(double ms)
{
    struct timespec ts;
    unsigned long calls = 0;
    double t0 = now_ms(), t, tw = t0, best = 1e30;

    pin(0);
    do {
        for (int i = 0; i < 200; i++) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
        }
        calls += 200;
        t = now_ms();
        /*
         * The best window of 200 calls (the one after now_ms() too) as
         * well: what a read costs when neither the host nor an interrupt
         * took the vCPU away meanwhile
         */
        if (t - tw < best) {
            best = t - tw;
        }
        tw = t;
    } while (t - t0 < ms);
    printf("clock ns %.1f calls %lu best %.1f\n", (t - t0) * 1e6 / calls, calls,
           best * 1e6 / 201);
    return 0;
}

/* --- TLB shootdown ------------------------------------------------------ */

static volatile unsigned long *shared_page;
static atomic_ulong published;
static atomic_int tlb_stop, tlb_ready;
static atomic_ulong stale_reads;

static void *spinner(void *arg)
{
    pin((int)(long)arg);
    atomic_fetch_add(&tlb_ready, 1);
    while (!atomic_load_explicit(&tlb_stop, memory_order_relaxed)) {
        /*
         * "published" is odd while the initiator replaces the page and
         * 2 * v once the new page holds v (after the flush): a read
         * between two equal even values must see v, never the old page.
         */
        unsigned long w1 = atomic_load_explicit(&published, memory_order_acquire);
        unsigned long got = *shared_page;

        atomic_thread_fence(memory_order_seq_cst);
        if (!(w1 & 1) && atomic_load(&published) == w1 && got != w1 / 2) {
            atomic_fetch_add(&stale_reads, 1);
        }
    }
    return NULL;
}

static int bench_tlb(const char *mode, double ms)
{
    int n = ncpus();
    pthread_t *t = calloc(n, sizeof(*t));
    unsigned long ops = 0;
    bool flip = !strcmp(mode, "mprotect");
    double t0, t1;

    if (!flip && strcmp(mode, "munmap")) {
        fprintf(stderr, "tlb: mode mprotect or munmap\n");
        return 2;
    }
    pin(0);
    shared_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared_page == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    *shared_page = 0;
    for (long i = 1; i < n; i++) {
        pthread_create(&t[i], NULL, spinner, (void *)i);
    }
    while (atomic_load(&tlb_ready) < n - 1) {
        sched_yield();
    }
    t0 = now_ms();
    do {
        for (int i = 0; i < 2; i++) {
            if (flip) {
                /* Both changes flush every CPU that runs this mm. */
                atomic_store(&published, 2 * ops + 1);
                mprotect((void *)shared_page, 4096, PROT_READ);
                mprotect((void *)shared_page, 4096, PROT_READ | PROT_WRITE);
                *shared_page = ops + 1;
                atomic_store_explicit(&published, 2 * (ops + 1), memory_order_release);
            } else {
                /* MAP_FIXED unmaps the old page: the spinners' TLBs hold it */
                atomic_store(&published, 2 * ops + 1);
                void *p = mmap((void *)shared_page, 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
                if (p != (void *)shared_page) {
                    perror("mmap(MAP_FIXED)");
                    return 1;
                }
                *shared_page = ops + 1;
                atomic_store_explicit(&published, 2 * (ops + 1), memory_order_release);
            }
            ops++;
        }
        t1 = now_ms();
    } while (t1 - t0 < ms);
    atomic_store(&tlb_stop, 1);
    for (int i = 1; i < n; i++) {
        pthread_join(t[i], NULL);
    }
    printf("tlb %s ops %lu ms %.0f stale %lu cpus %d\n", mode, ops, t1 - t0,
           (unsigned long)atomic_load(&stale_reads), n);
    return 0;
}

/* --- cross-CPU wake-up -------------------------------------------------- */

static atomic_int ping, pong, ipi_stop;

static void futex_wait(atomic_int *addr, int val)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *ponger(void *arg)
{
    (void)arg;
    pin(1);
    for (int i = 1;; i++) {
        int v;

        while ((v = atomic_load(&ping)) != i) {
            if (atomic_load(&ipi_stop)) {
                return NULL;
            }
            futex_wait(&ping, v);
        }
        atomic_store(&pong, i);
        futex_wake(&pong);
    }
}

static int bench_ipi(double ms)
{
    pthread_t t;
    int i;
    double t0, t1;

    if (ncpus() < 2) {
        printf("ipi skip one-cpu\n");
        return 0;
    }
    pin(0);
    pthread_create(&t, NULL, ponger, NULL);
    usleep(10000);
    t0 = now_ms();
    for (i = 1;; i++) {
        int v;

        atomic_store(&ping, i);
        futex_wake(&ping);
        while ((v = atomic_load(&pong)) != i) {
            futex_wait(&pong, v);
        }
        t1 = now_ms();
        if (t1 - t0 >= ms) {
            break;
        }
    }
    atomic_store(&ipi_stop, 1);
    atomic_store(&ping, -1);
    futex_wake(&ping);
    pthread_join(t, NULL);
    printf("ipi roundtrips %d ms %.0f\n", i, t1 - t0);
    return 0;
}

/* --- user-space spinlock ------------------------------------------------ */

static atomic_int spin_word, spin_ready, spin_stop;
static volatile unsigned long spin_shared;
static struct {
    unsigned long n;
    char pad[56];
} spin_count[256];

static void spin_lock(void)
{
    while (atomic_exchange_explicit(&spin_word, 1, memory_order_acquire)) {
        while (atomic_load_explicit(&spin_word, memory_order_relaxed)) {
            __builtin_ia32_pause();
        }
    }
}

static void spin_unlock(void)
{
    atomic_store_explicit(&spin_word, 0, memory_order_release);
}

/* One round: the lock, a short critical section, a little work outside */
static void spin_round(void)
{
    spin_lock();
    for (int k = 0; k < 16; k++) {
        spin_shared++;
    }
    spin_unlock();
    for (volatile int k = 0; k < 64; k++) {
    }
}

static void *spin_worker(void *arg)
{
    int id = (int)(long)arg, n = ncpus();
    unsigned long c = 0;

    pin(id);
    atomic_fetch_add(&spin_ready, 1);
    while (atomic_load(&spin_ready) < n) {
        __builtin_ia32_pause();
    }
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed)) {
        spin_round();
        c++;
    }
    spin_count[id].n = c;
    return NULL;
}

/* CPU 0 contends too, and looks at the clock every 256 rounds */
static int bench_spin(double ms)
{
    int n = ncpus();
    pthread_t *t = calloc(n, sizeof(*t));
    unsigned long total = 0;
    double t0, t1;

    if (n > (int)(sizeof(spin_count) / sizeof(spin_count[0]))) {
        n = sizeof(spin_count) / sizeof(spin_count[0]);
    }
    pin(0);
    for (long i = 1; i < n; i++) {
        pthread_create(&t[i], NULL, spin_worker, (void *)i);
    }
    atomic_fetch_add(&spin_ready, 1);
    while (atomic_load(&spin_ready) < n) {
        sched_yield();
    }
    t0 = now_ms();
    do {
        for (int i = 0; i < 256; i++) {
            spin_round();
        }
        total += 256;
        t1 = now_ms();
    } while (t1 - t0 < ms);
    atomic_store(&spin_stop, 1);
    for (int i = 1; i < n; i++) {
        pthread_join(t[i], NULL);
        total += spin_count[i].n;
    }
    printf("spin acquisitions %lu ms %.0f cpus %d\n", total, t1 - t0, n);
    return 0;
}

/* --- a kernel spinlock: the futex hash bucket ---------------------------- */

static struct {
    atomic_int word;
    char pad[60];
} futex_words[256];
static atomic_int futex_ready, futex_stop;
static struct {
    unsigned long n;
    char pad[56];
} futex_count[256];
static bool futex_shared;

/* Sleepers on the shared word: the bucket's chain that each call walks */
#define FUTEX_SLEEPERS 64
static atomic_int futex_sleep_word, futex_sleeping;

static void futex_round(int id)
{
    atomic_int *w = futex_shared ? &futex_sleep_word : &futex_words[id].word;

    /*
     * Wake one waiter whose bitset has bit 1: the sleepers wait with bit
     * 0 only, so the kernel walks the bucket's whole chain under its
     * spinlock and wakes nobody.  On a word without waiters (private) the
     * call returns before it takes the lock.
     */
    syscall(SYS_futex, w, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 2);
}

static void *futex_sleeper(void *arg)
{
    atomic_fetch_add(&futex_sleeping, 1);
    while (!atomic_load(&futex_stop)) {
        syscall(SYS_futex, &futex_sleep_word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 1);
    }
    return NULL;
}

static void *futex_worker(void *arg)
{
    int id = (int)(long)arg, n = ncpus();
    unsigned long c = 0;

    pin(id);
    atomic_fetch_add(&futex_ready, 1);
    while (atomic_load(&futex_ready) < n) {
        __builtin_ia32_pause();
    }
    while (!atomic_load_explicit(&futex_stop, memory_order_relaxed)) {
        futex_round(id);
        c++;
    }
    futex_count[id].n = c;
    return NULL;
}

/* CPU 0 calls too, and looks at the clock every 64 calls */
static int bench_futex(const char *mode, double ms)
{
    int n = ncpus();
    pthread_t *t = calloc(n, sizeof(*t));
    unsigned long total = 0;
    double t0, t1;

    if (strcmp(mode, "shared") && strcmp(mode, "private")) {
        fprintf(stderr, "futex: mode shared or private\n");
        return 2;
    }
    futex_shared = !strcmp(mode, "shared");
    if (n > (int)(sizeof(futex_count) / sizeof(futex_count[0]))) {
        n = sizeof(futex_count) / sizeof(futex_count[0]);
    }
    pin(0);
    if (futex_shared) {
        pthread_t s;
        pthread_attr_t a;

        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64 * 1024);
        for (int i = 0; i < FUTEX_SLEEPERS; i++) {
            pthread_create(&s, &a, futex_sleeper, NULL);
            pthread_detach(s);
        }
        while (atomic_load(&futex_sleeping) < FUTEX_SLEEPERS) {
            usleep(1000);
        }
        usleep(20000);
    }
    for (long i = 1; i < n; i++) {
        pthread_create(&t[i], NULL, futex_worker, (void *)i);
    }
    atomic_fetch_add(&futex_ready, 1);
    while (atomic_load(&futex_ready) < n) {
        sched_yield();
    }
    t0 = now_ms();
    do {
        for (int i = 0; i < 64; i++) {
            futex_round(0);
        }
        total += 64;
        t1 = now_ms();
    } while (t1 - t0 < ms);
    atomic_store(&futex_stop, 1);
    for (int i = 1; i < n; i++) {
        pthread_join(t[i], NULL);
        total += futex_count[i].n;
    }
    if (futex_shared) {
        syscall(SYS_futex, &futex_sleep_word, FUTEX_WAKE_PRIVATE, FUTEX_SLEEPERS, NULL, NULL, 0);
    }
    printf("futex %s calls %lu ms %.0f cpus %d\n", mode, total, t1 - t0, n);
    return 0;
}

int main(int argc, char **argv)
{
    double ms = argc > 2 ? atof(argv[argc - 1]) : 1000;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && !strcmp(argv[1], "clock")) {
        return bench_clock(ms);
    }
    if (argc > 3 && !strcmp(argv[1], "tlb")) {
        return bench_tlb(argv[2], ms);
    }
    if (argc > 2 && !strcmp(argv[1], "ipi")) {
        return bench_ipi(ms);
    }
    if (argc > 2 && !strcmp(argv[1], "spin")) {
        return bench_spin(ms);
    }
    if (argc > 3 && !strcmp(argv[1], "futex")) {
        return bench_futex(argv[2], ms);
    }
    fprintf(stderr, "usage: bench-guest clock MS | tlb mprotect|munmap MS | ipi MS | spin MS"
            " | futex shared|private MS\n");
    return 2;
}
