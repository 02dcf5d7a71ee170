// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * make demo: the demo guest's probe, run by its /init (built static, see
 * scripts/demo-guest.sh).
 *
 * "demo-probe cpuid" prints the hypervisor CPUID leaves as the guest sees
 * them: "cpuid 0x400000NN eax ebx ecx edx".
 *
 * "demo-probe stress N" exercises remote TLB flushes and IPIs, N times each.
 *
 * Two threads, pinned to CPU 0 and CPU 1.  The main thread replaces the page
 * behind a fixed address (mmap MAP_FIXED: the old page is unmapped, so the
 * kernel must flush the other CPU's TLB - through the Hyper-V flush hypercall
 * when the guest uses it, or an IPI) and writes a new sequence number into
 * the new page; the other thread, which keeps the address in its TLB, must
 * read that number and never the old page's.  Then the threads ping-pong
 * through a futex, which wakes a sleeping CPU with an IPI (the Hyper-V IPI
 * hypercall when the guest uses it).
 *
 * Output, one line each: "tlb iterations N stale S ms T",
 * "ipi pingpong N ms T", or "skip <why>".
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include <cpuid.h>

static volatile unsigned long *page;
static atomic_ulong seq, ack;
static atomic_int stop;
static unsigned long stale, first_stale_want, first_stale_got;
static atomic_int ping, pong;
static long iterations;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

static void futex_wait(atomic_int *addr, int val)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *reader(void *arg)
{
    unsigned long seen = 0;

    (void)arg;
    if (pin(1) < 0) {
        perror("sched_setaffinity(1)");
    }
    /* Phase 1: read the remapped page after every remap. */
    for (;;) {
        unsigned long want;

        while ((want = atomic_load_explicit(&seq, memory_order_acquire)) == seen) {
            if (atomic_load(&stop)) {
                goto phase2;
            }
        }
        unsigned long got = *page;
        if (got != want) {
            if (!stale++) {
                first_stale_want = want;
                first_stale_got = got;
            }
        }
        seen = want;
        atomic_store_explicit(&ack, want, memory_order_release);
    }
phase2:
    /* Phase 2: sleep on a futex until woken, answer, sleep again. */
    for (long i = 1; i <= iterations; i++) {
        while (atomic_load(&ping) != i) {
            futex_wait(&ping, (int)(i - 1));
        }
        atomic_store(&pong, (int)i);
        futex_wake(&pong);
    }
    return NULL;
}

static int dump_cpuid(void)
{
    unsigned a, b, c, d, max;

    __cpuid(1, a, b, c, d);
    if (!(c & (1u << 31))) {
        printf("cpuid no-hypervisor-bit\n");
        return 0;
    }
    __cpuid(0x40000000, max, b, c, d);
    if (max < 0x40000000 || max > 0x400000ff) {
        max = 0x40000000;
    }
    for (unsigned leaf = 0x40000000; leaf <= max; leaf++) {
        __cpuid_count(leaf, 0, a, b, c, d);
        printf("cpuid 0x%08x %08x %08x %08x %08x\n", leaf, a, b, c, d);
    }
    /* Where QEMU moves its own signature when it offers Hyper-V's. */
    __cpuid(0x40000100, a, b, c, d);
    printf("cpuid 0x%08x %08x %08x %08x %08x\n", 0x40000100, a, b, c, d);
    return 0;
}

static int stress(void)
{
    pthread_t t;
    double t0;

    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        printf("skip only one CPU online\n");
        return 0;
    }
    if (pin(0) < 0) {
        perror("sched_setaffinity(0)");
        return 1;
    }
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    if (pthread_create(&t, NULL, reader, NULL)) {
        printf("skip pthread_create failed\n");
        return 1;
    }

    t0 = now_ms();
    for (unsigned long i = 1; i <= (unsigned long)iterations; i++) {
        void *p = mmap((void *)page, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != (void *)page) {
            perror("mmap(MAP_FIXED)");
            return 1;
        }
        *page = i;
        atomic_store_explicit(&seq, i, memory_order_release);
        while (atomic_load_explicit(&ack, memory_order_acquire) != i) {
            /* spin: the reader runs on the other CPU */
        }
    }
    printf("tlb iterations %ld stale %lu ms %.0f", iterations, stale, now_ms() - t0);
    if (stale) {
        printf(" first-stale want %lu got %lu", first_stale_want, first_stale_got);
    }
    printf("\n");
    fflush(stdout);
    atomic_store(&stop, 1);

    t0 = now_ms();
    for (long i = 1; i <= iterations; i++) {
        /* Give the reader time to go to sleep, so the wake-up needs an IPI. */
        usleep(200);
        atomic_store(&ping, (int)i);
        futex_wake(&ping);
        while (atomic_load(&pong) != i) {
            futex_wait(&pong, (int)(i - 1));
        }
    }
    printf("ipi pingpong %ld ms %.0f\n", iterations, now_ms() - t0);
    pthread_join(t, NULL);
    return 0;
}

/*
 * make demo's cold discard check (hv-ext-hypercalls): map @mib MiB, touch
 * every page, say "touched" and wait for a line on stdin (the host reads
 * QEMU's RSS), then unmap it all and say "freed".  The kernel's free page
 * reporting then hands the pages to Hyper-V (HvExtCallMemoryHeatHint,
 * cold discard) and QEMU gives them back to the host.
 */
static int touch(long mib)
{
    size_t len = (size_t)mib << 20, i;
    char line[64];
    char *p;

    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED) {
        printf("touch mmap %ld MiB failed: %s\n", mib, strerror(errno));
        return 1;
    }
    for (i = 0; i < len; i += 4096) {
        p[i] = (char)(i >> 12) | 1;
    }
    printf("DEMO-MEMHINT-TOUCHED %ld\n", mib);
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin)) {
        line[0] = 0;
    }
    munmap(p, len);
    printf("DEMO-MEMHINT-FREED %ld\n", mib);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "cpuid")) {
        return dump_cpuid();
    }
    if (argc > 1 && !strcmp(argv[1], "stress")) {
        iterations = argc > 2 ? atol(argv[2]) : 2000;
        return stress();
    }
    if (argc > 1 && !strcmp(argv[1], "touch")) {
        return touch(argc > 2 ? atol(argv[2]) : 256);
    }
    fprintf(stderr, "usage: demo-probe cpuid | stress [N] | touch [MiB]\n");
    return 2;
}
