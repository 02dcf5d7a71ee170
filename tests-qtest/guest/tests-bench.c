/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-bench-test.c and of make bench's "guest cycles" rows
 * (scripts/bench.sh): what a hypercall, a SynIC message and a SynIC event
 * cost, timed with RDTSC in the freestanding payload (at CPL 0, where a
 * Linux user process cannot go).  All values are guest TSC cycles; the
 * bench.tsc record gives the rate to turn them into time.
 *
 * The tests only measure and record; the qtest checks that the numbers
 * are there and consistent, scripts/bench.sh reports them (verbose=1
 * prints every record as "rec NAME v1 v2 ..." in hex on the debugcon).
 *
 * Command line:
 *   iterations=N   samples per measurement (default 1000)
 *   batch=K        bench-hcall: operations per sample (default 8), so
 *                  that the two RDTSCs around a sample weigh 1/K
 *
 * Each timing record is { min, median, n, extra } over the n samples,
 * per operation, in guest TSC cycles.
 */
#include "hv-time.h"

/* TLFS */
#define HVCALL_SEND_IPI                 0x000b
#define HVCALL_POST_MESSAGE             0x005c
#define HVCALL_SIGNAL_EVENT             0x005d
#define HC_FAST                         (1ull << 16)
#define HV_STATUS_INSUFFICIENT_BUFFERS  19

/*
 * CPUID 0x40000003 EAX: partition privileges.  TCG reads an MSR it does
 * not know as 0 without a #GP, so the privileges, not faults, tell what
 * is there.
 */
#define HV_CPUID_FEATURES               0x40000003
#define HV_ACCESS_REF_COUNTER           (1u << 1)
#define HV_ACCESS_HYPERCALL_MSRS        (1u << 5)
#define HV_ACCESS_VP_INDEX              (1u << 6)
#define HV_ACCESS_FREQUENCY_MSRS        (1u << 11)

#define HV_X64_MSR_SCONTROL             0x40000080
#define HV_X64_MSR_SIEFP                0x40000082
#define HV_X64_MSR_SIMP                 0x40000083
#define HV_X64_MSR_EOM                  0x40000084
#define HV_X64_MSR_SINT(n)              (0x40000090 + (n))

/* hyperv-testdev (see tests-synic.c): sint | vp << 8 | op << 16 | conn << 24 */
#define TESTDEV_PORT                    0x3000
#define TESTDEV_MSG_CONN_CREATE         4
#define TESTDEV_EVT_CONN_CREATE         6

#define BENCH_MSG_SINT                  2
#define BENCH_EVT_SINT                  3
#define BENCH_MSG_VEC                   0x42
#define BENCH_EVT_VEC                   0x43
#define BENCH_MSG_CONN(vp)              (30 + (vp))
#define BENCH_EVT_CONN(vp)              (40 + (vp))
#define BENCH_MSG_TYPE                  0x4242
#define BENCH_IPI_VECTOR                0x41
#define BENCH_MAX_CPUS                  4
/* A message or event that has not arrived after this is lost */
#define BENCH_TIMEOUT_TSC               (5000000ull * GUEST_TSC_TICKS_PER_US)

typedef struct BenchCpu {
    volatile HvMessage *simp;           /* written by QEMU and the guest */
    volatile uint8_t *siefp;            /* written by QEMU and the guest */
    volatile uint32_t msgs;             /* by the handler */
    volatile uint64_t msg_tsc;          /* by the handler: TSC at entry */
    volatile uint64_t last_payload;     /* by the handler */
    volatile uint32_t evts;             /* by the handler */
} BenchCpu;

static BenchCpu bench_cpus[BENCH_MAX_CPUS];

/* The partition privileges; 0 without the Hyper-V CPUID leaves */
static uint32_t hv_privileges(void)
{
    CpuidResult r = cpuid(0x40000000, 0);

    /* "Microsoft Hv" */
    if (r.ebx != 0x7263694d || r.ecx != 0x666f736f || r.edx != 0x76482074 ||
        r.eax < HV_CPUID_FEATURES) {
        return 0;
    }
    return cpuid(HV_CPUID_FEATURES, 0).eax;
}

/* ---- Samples ------------------------------------------------------------ */

static uint64_t *samples, *samples2;
static unsigned int nr_samples;

static void samples_alloc(void)
{
    uint64_t n = cmdline_get_u64("iterations", 1000);

    if (n < 1 || n > 1000000) {
        guest_abort("iterations=%lu: 1 to 1000000", n);
    }
    nr_samples = n;
    samples = alloc_pages((nr_samples * sizeof(uint64_t) + 4095) / 4096);
    samples2 = alloc_pages((nr_samples * sizeof(uint64_t) + 4095) / 4096);
}

/* Shell sort: no recursion, fine for a million samples */
static void sort_u64(uint64_t *a, unsigned int n)
{
    static const unsigned int gaps[] = {
        88573, 29524, 9841, 3280, 1093, 364, 121, 40, 13, 4, 1
    };
    unsigned int g, i, j;

    for (g = 0; g < ARRAY_SIZE(gaps); g++) {
        unsigned int gap = gaps[g];

        for (i = gap; i < n; i++) {
            uint64_t v = a[i];

            for (j = i; j >= gap && a[j - gap] > v; j -= gap) {
                a[j] = a[j - gap];
            }
            a[j] = v;
        }
    }
}

/* Records { min, median, n, extra } of @s[] divided by @per_sample */
static void record_array(uint64_t *s, const char *name,
                         unsigned int per_sample, uint64_t extra)
{
    uint64_t v[4];

    sort_u64(s, nr_samples);
    v[0] = s[0] / per_sample;
    v[1] = s[nr_samples / 2] / per_sample;
    v[2] = nr_samples;
    v[3] = extra;
    record(HV_GUEST_FAULT_NONE, 4, v, "%s", name);
}

static void record_samples(const char *name, unsigned int per_sample,
                           uint64_t extra)
{
    record_array(samples, name, per_sample, extra);
}

/*
 * samples[i] := TSC cycles of @batch executions of @body.  A macro, not a
 * function pointer: an indirect call is a TB lookup of its own in TCG.
 */
#define TIME_BATCHES(batch, body)                                       \
    do {                                                                \
        unsigned int i_, j_;                                            \
                                                                        \
        for (i_ = 0; i_ < nr_samples; i_++) {                           \
            uint64_t t0_ = rdtsc_ordered();                             \
                                                                        \
            for (j_ = 0; j_ < (batch); j_++) {                          \
                body;                                                   \
            }                                                           \
            samples[i_] = rdtsc_ordered() - t0_;                        \
        }                                                               \
    } while (0)

/*
 * bench.tsc: the guest TSC rate.  HV_X64_MSR_TSC_FREQUENCY (hv-frequencies;
 * else 0), and the TSC measured against the partition reference counter
 * over @ms (hv-time; else 0), both in Hz, and @ms.
 */
static void record_tsc_rate(uint64_t ms)
{
    uint32_t priv = hv_privileges();
    uint64_t v[3] = { 0, 0, ms };
    uint64_t r0, r1, t0, t1, hz;

    if ((priv & HV_ACCESS_FREQUENCY_MSRS) &&
        rdmsr_safe(HV_X64_MSR_TSC_FREQUENCY, &hz) == HV_GUEST_FAULT_NONE) {
        v[0] = hz;
    }
    if ((priv & HV_ACCESS_REF_COUNTER) &&
        rdmsr_safe(HV_X64_MSR_TIME_REF_COUNT, &r0) == HV_GUEST_FAULT_NONE) {
        t0 = rdtsc_ordered();
        r0 = ref_time_msr();
        do {
            r1 = ref_time_msr();
        } while (r1 - r0 < ms * (HV_REF_TIME_HZ / 1000));
        t1 = rdtsc_ordered();
        v[1] = (t1 - t0) * HV_REF_TIME_HZ / (r1 - r0);
    }
    record(HV_GUEST_FAULT_NONE, 3, v, "bench.tsc");
}

/* ---- bench-hcall -------------------------------------------------------- */

/*
 * CALL into the hypercall page without the fault guard of hv_call(), so
 * that the loop times the hypercall and little else.  Only after a
 * guarded call of the same kind succeeded.
 */
static inline uint64_t hcall_fast(uint64_t control, uint64_t rdx, uint64_t r8)
{
    register uint64_t r8_reg asm("r8") = r8;
    uint64_t rax;

    asm volatile("call *%[page]"
                 : "=a"(rax), "+c"(control), "+d"(rdx), "+r"(r8_reg)
                 : [page] "r"(hv_hypercall_page)
                 : "r9", "r10", "r11", "cc", "memory");
    return rax;
}

/*
 * bench-hcall (1 CPU is enough): a hypercall that does no work, fast
 * HvCallSendSyntheticClusterIpi with an empty processor mask through the
 * hypercall page (needs hv-vpindex, hv-ipi), and for reference, in the
 * same run, CPUID leaf 0, RDMSR of HV_X64_MSR_VP_INDEX (hv-vpindex) and
 * RDTSC.
 *
 *   bench.tsc      see record_tsc_rate()
 *   bench.hcall    min, median, n, status of the call (0: success);
 *                  n 0 when the guarded call faulted or failed, or the
 *                  partition may not use the hypercall MSRs (the test
 *                  then fails)
 *   bench.cpuid    min, median, n
 *   bench.rdmsr    min, median, n (n 0 without AccessVpIndex or when the
 *                  RDMSR faults)
 *   bench.rdtsc    min, median, n
 */
static void bench_hcall_setup(void)
{
    uint64_t batch = cmdline_get_u64("batch", 8);
    uint64_t rax = 0, val;
    uint8_t fault;

    if (batch < 1 || batch > 1000) {
        guest_abort("batch=%lu: 1 to 1000", batch);
    }
    samples_alloc();
    record_tsc_rate(50);

    if (!(hv_privileges() & HV_ACCESS_HYPERCALL_MSRS)) {
        /* No hypercall page to call (TCG: the MSR writes do not fault) */
        uint64_t v[4] = { 0 };

        record(HV_GUEST_FAULT_NONE, 4, v, "bench.hcall");
        guest_fail("no Hyper-V hypercall interface");
        goto references;
    }
    fault = hv_hypercall_enable();
    if (fault == HV_GUEST_FAULT_NONE) {
        fault = hv_call(HVCALL_SEND_IPI | HC_FAST, BENCH_IPI_VECTOR, 0, &rax);
    }
    if (fault != HV_GUEST_FAULT_NONE || (rax & 0xffff)) {
        uint64_t v[4] = { 0, 0, 0, rax };

        record(fault, 4, v, "bench.hcall");
        if (fault != HV_GUEST_FAULT_NONE) {
            guest_fail("HvCallSendSyntheticClusterIpi: %s",
                       exception_name(fault));
        } else {
            guest_fail("HvCallSendSyntheticClusterIpi: status 0x%lx",
                       rax & 0xffff);
        }
    } else {
        uint64_t status = 0;

        TIME_BATCHES(batch, status |= hcall_fast(HVCALL_SEND_IPI | HC_FAST,
                                                 BENCH_IPI_VECTOR, 0));
        record_samples("bench.hcall", batch, status & 0xffff);
    }

references:
    TIME_BATCHES(batch, cpuid(0, 0));
    record_samples("bench.cpuid", batch, 0);

    if ((hv_privileges() & HV_ACCESS_VP_INDEX) &&
        rdmsr_safe(HV_X64_MSR_VP_INDEX, &val) == HV_GUEST_FAULT_NONE) {
        TIME_BATCHES(batch, rdmsr(HV_X64_MSR_VP_INDEX));
        record_samples("bench.rdmsr", batch, 0);
    } else {
        uint64_t v[3] = { 0 };

        record(HV_GUEST_FAULT_NONE, 3, v, "bench.rdmsr");
    }

    TIME_BATCHES(batch, rdtsc());
    record_samples("bench.rdtsc", batch, 0);
}

GUEST_TEST(bench_hcall,
    .name = "bench-hcall",
    .description = "guest cycles of a null hypercall, CPUID, RDMSR, RDTSC",
    .setup = bench_hcall_setup,
);

/* ---- bench-sint --------------------------------------------------------- */

/*
 * The message arrived on this CPU: take it, free the slot, and write EOM
 * only when another message waits for the slot, as Linux
 * (vmbus_signal_eom()) and Windows do: EOM is a WRMSR exit, and the
 * round trip is to measure the hypervisor's path, not a needless exit.
 */
static void bench_msg_irq(GuestIrqFrame *frame)
{
    BenchCpu *c = &bench_cpus[cpu_index()];
    volatile HvMessage *slot = &c->simp[BENCH_MSG_SINT];
    uint64_t now = rdtsc_ordered();

    if (slot->type) {
        c->msg_tsc = now;
        c->last_payload = slot->payload[0];
        slot->type = 0;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (slot->flags & HV_MESSAGE_FLAG_PENDING) {
            wrmsr(HV_X64_MSR_EOM, 0);
        }
        c->msgs++;
    }
}

/* The event flag was set on this CPU: clear it and count it */
static void bench_evt_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();
    BenchCpu *c = &bench_cpus[cpu];
    volatile uint8_t *byte =                /* QEMU's page */
        &c->siefp[BENCH_EVT_SINT * 256 + BENCH_EVT_CONN(cpu) / 8];
    uint8_t bit = 1u << (BENCH_EVT_CONN(cpu) % 8);

    if (__atomic_fetch_and(byte, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit) {
        c->evts++;
    }
}

/* SynIC pages on, the two SINTs unmasked, on the calling CPU */
static void bench_synic_fn(void *arg)
{
    BenchCpu *c = &bench_cpus[cpu_index()];

    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)c->simp | 1);
    wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)c->siefp | 1);
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    wrmsr(HV_X64_MSR_SINT(BENCH_MSG_SINT), BENCH_MSG_VEC);
    wrmsr(HV_X64_MSR_SINT(BENCH_EVT_SINT), BENCH_EVT_VEC);
}

static void testdev(uint8_t op, uint8_t vp, uint8_t sint, uint8_t conn)
{
    outl(TESTDEV_PORT, sint | (uint32_t)vp << 8 | (uint32_t)op << 16 |
         (uint32_t)conn << 24);
}

/* Spins until *@p == @want; false after BENCH_TIMEOUT_TSC */
static bool spin_for(const volatile uint32_t *p, uint32_t want, uint64_t t0)
{
    while (*p != want) {
        if (rdtsc() - t0 > BENCH_TIMEOUT_TSC) {
            return false;
        }
    }
    return true;
}

/*
 * Message round trips from VP 0 to @vp: HvPostMessage (retried while
 * the testdev answers INSUFFICIENT_BUFFERS: its previous message is not
 * done yet) until @vp's handler took the message and wrote EOM.
 */
static void bench_msg(unsigned int vp, HvPostMessageInput *in)
{
    BenchCpu *c = &bench_cpus[vp];
    uint64_t retries = 0;
    unsigned int i;

    in->connection_id = BENCH_MSG_CONN(vp);
    in->message_type = BENCH_MSG_TYPE;
    in->payload_size = 8;
    for (i = 0; i < nr_samples; i++) {
        uint32_t want = c->msgs + 1;
        uint64_t t0, t_post, rax;

        in->payload[0] = i;
        t0 = rdtsc_ordered();
        for (;;) {
            t_post = rdtsc_ordered();
            rax = hcall_fast(HVCALL_POST_MESSAGE, (uintptr_t)in, 0) & 0xffff;
            if (rax != HV_STATUS_INSUFFICIENT_BUFFERS ||
                rdtsc() - t0 > BENCH_TIMEOUT_TSC) {
                break;
            }
            retries++;
        }
        if (rax) {
            guest_fail("msg to vp%u, sample %u: HvPostMessage status 0x%lx",
                       vp, i, rax);
            return;
        }
        if (!spin_for(&c->msgs, want, t0)) {
            guest_fail("msg to vp%u, sample %u: not received", vp, i);
            return;
        }
        samples[i] = rdtsc_ordered() - t0;
        samples2[i] = c->msg_tsc - t_post;
        if (c->last_payload != i) {
            guest_fail("msg to vp%u, sample %u: got payload %lu", vp, i,
                       c->last_payload);
            return;
        }
    }
    record_samples(vp ? "bench.msg.other" : "bench.msg.self", 1, retries);
    record_array(samples2, vp ? "bench.msgdeliver.other" :
                 "bench.msgdeliver.self", 1, 0);
}

/* Event round trips from VP 0 to @vp: HvSignalEvent until @vp's handler */
static void bench_evt(unsigned int vp)
{
    BenchCpu *c = &bench_cpus[vp];
    unsigned int i;

    for (i = 0; i < nr_samples; i++) {
        uint32_t want = c->evts + 1;
        uint64_t t0 = rdtsc_ordered();
        uint64_t rax = hcall_fast(HVCALL_SIGNAL_EVENT | HC_FAST,
                                  BENCH_EVT_CONN(vp), 0) & 0xffff;

        if (rax) {
            guest_fail("event to vp%u, sample %u: HvSignalEvent status 0x%lx",
                       vp, i, rax);
            return;
        }
        if (!spin_for(&c->evts, want, t0)) {
            guest_fail("event to vp%u, sample %u: not received", vp, i);
            return;
        }
        samples[i] = rdtsc_ordered() - t0;
    }
    record_samples(vp ? "bench.evt.other" : "bench.evt.self", 1, 0);
}

/*
 * bench-sint (needs -device hyperv-testdev, hv-vpindex, hv-synic): SynIC
 * round trips from VP 0, to VP 0 itself ("self") and, with smp=2 or
 * more, to VP 1 ("other"), which waits in HLT as an idle vCPU does.
 * Every CPU has its SIM and event flags pages, SINT BENCH_MSG_SINT and
 * BENCH_EVT_SINT unmasked; the testdev connections post each message
 * back to the target's SINT / set the target's event flag.
 *
 *   bench.tsc              see record_tsc_rate()
 *   bench.msg.self/other   HvPostMessage -> the message is in the
 *                          target's SIM slot and its SINT handler ran
 *                          (copied the payload, freed the slot, wrote
 *                          EOM) -> VP 0 sees the handler's count:
 *                          min, median, n, INSUFFICIENT_BUFFERS retries
 *                          (the testdev frees its message buffer in a
 *                          main-loop bottom half, after the delivery)
 *   bench.msgdeliver.self/other  the delivery alone: from the
 *                          HvPostMessage that succeeded to the entry of
 *                          the target's handler (TSC read there; TCG
 *                          vCPUs share one TSC): min, median, n, 0
 *   bench.evt.self/other   HvSignalEvent (fast) -> the target's handler
 *                          cleared the flag -> VP 0 sees it: min,
 *                          median, n, 0
 */
static void bench_sint_setup(void)
{
    unsigned int n = nr_cpus() < 2 ? 1 : 2;
    HvPostMessageInput *in;
    unsigned int vp;
    uint8_t fault;

    if (nr_cpus() > BENCH_MAX_CPUS) {
        guest_abort("at most %u CPUs", BENCH_MAX_CPUS);
    }
    samples_alloc();
    record_tsc_rate(50);
    fault = hv_hypercall_enable();
    if (fault != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: %s", exception_name(fault));
    }
    irq_set_handler(BENCH_MSG_VEC, bench_msg_irq, 0);
    irq_set_handler(BENCH_EVT_VEC, bench_evt_irq, 0);
    for (vp = 0; vp < nr_cpus(); vp++) {
        bench_cpus[vp].simp = alloc_pages(1);
        bench_cpus[vp].siefp = alloc_pages(1);
        smp_call(vp, bench_synic_fn, NULL);
        smp_wait(vp);
    }
    for (vp = 0; vp < n; vp++) {
        testdev(TESTDEV_MSG_CONN_CREATE, vp, BENCH_MSG_SINT,
                BENCH_MSG_CONN(vp));
        testdev(TESTDEV_EVT_CONN_CREATE, vp, BENCH_EVT_SINT,
                BENCH_EVT_CONN(vp));
    }
    in = alloc_pages(1);
    irq_enable();
    for (vp = 0; vp < n; vp++) {
        bench_msg(vp, in);
        bench_evt(vp);
    }
    irq_disable();
}

GUEST_TEST(bench_sint,
    .name = "bench-sint",
    .description = "guest cycles of SynIC message and event round trips",
    .setup = bench_sint_setup,
);
