/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest tests of the qemu-hyperv payload, selected with test=NAME.
 *
 * Record names are "cpu<index>.<what>"; what each record's values mean is
 * documented next to the test.  Tests only report what they observe: the
 * qtest on the host side decides what is right.
 */
#include "libguest.h"

#define MSR_IA32_APIC_BASE      0x1b
/* x2APIC ID: accessing it while the APIC is in xAPIC mode must #GP. */
#define MSR_X2APIC_ID           0x802
/*
 * Implemented by no CPU; QEMU 10.0's TCG reads it as 0 and ignores writes
 * (no #GP), so the smoke test only reports what happens.
 */
#define MSR_NONEXISTENT         0xdeadbeef

#define IPI_TIMEOUT_US          (5 * 1000 * 1000)

/*
 * smoke: proves the harness itself.
 *
 *   cpuN.apic_id             xAPIC ID register, CPUID.1:EBX[31:24], slot
 *                            (order in which the CPU came up)
 *   cpuN.cpuid.LLLLLLLL      leaves 0, 1, 0x40000000: eax, ebx, ecx, edx
 *   cpuN.msr.00000802        rdmsr_safe of the x2APIC ID in xAPIC mode:
 *                            value, fault
 *   cpuN.wrmsr.00000802      wrmsr_safe of the same: fault
 *   cpuN.msr.0000001b        rdmsr_safe of IA32_APIC_BASE: value, fault
 *   cpuN.msr.deadbeef        rdmsr_safe of an MSR no CPU has: value, fault
 *   cpuN.vmcall / .vmmcall   hypercall instruction: rax, fault
 *   cpuN.barrier             CPUs that had arrived when the barrier let
 *                            this one through
 *   cpuN.ipi                 IPIs taken on SMOKE_IPI_VECTOR, index of the
 *                            CPU that sent them (the previous in a ring)
 */
#define SMOKE_IPI_VECTOR        0x40

static uint32_t smoke_arrivals;
/* Written by the interrupt handler / the sending CPU: volatile. */
static volatile uint32_t smoke_ipi_count[GUEST_MAX_CPUS];    /* by handler */
static volatile uint32_t smoke_ipi_sender[GUEST_MAX_CPUS];   /* by sender */

static void smoke_ipi_handler(GuestIrqFrame *frame)
{
    __atomic_add_fetch(&smoke_ipi_count[cpu_index()], 1, __ATOMIC_SEQ_CST);
}

static void smoke_setup(void)
{
    irq_set_handler(SMOKE_IPI_VECTOR, smoke_ipi_handler, 0);
}

static void smoke_cpu(unsigned int cpu)
{
    CpuidResult leaf1 = cpuid(1, 0);
    unsigned int next = (cpu + 1) % nr_cpus();
    uint64_t v[3], val;
    uint8_t fault;

    v[0] = apic_id();
    v[1] = leaf1.ebx >> 24;
    v[2] = this_cpu()->slot;
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu%u.apic_id", cpu);

    record_cpuid(0);
    record_cpuid(1);
    record_cpuid(0x40000000);

    fault = rdmsr_safe(MSR_X2APIC_ID, &val);
    record(fault, 1, &val, "cpu%u.msr.%08x", cpu, MSR_X2APIC_ID);
    fault = wrmsr_safe(MSR_X2APIC_ID, 0);
    record(fault, 0, NULL, "cpu%u.wrmsr.%08x", cpu, MSR_X2APIC_ID);
    fault = rdmsr_safe(MSR_IA32_APIC_BASE, &val);
    record(fault, 1, &val, "cpu%u.msr.%08x", cpu, MSR_IA32_APIC_BASE);
    fault = rdmsr_safe(MSR_NONEXISTENT, &val);
    record(fault, 1, &val, "cpu%u.msr.%08x", cpu, MSR_NONEXISTENT);

    fault = vmcall_safe(0, 0, 0, &val);
    record(fault, 1, &val, "cpu%u.vmcall", cpu);
    fault = vmmcall_safe(0, 0, 0, &val);
    record(fault, 1, &val, "cpu%u.vmmcall", cpu);

    __atomic_add_fetch(&smoke_arrivals, 1, __ATOMIC_SEQ_CST);
    smp_barrier();
    v[0] = __atomic_load_n(&smoke_arrivals, __ATOMIC_SEQ_CST);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu%u.barrier", cpu);
    /* Nobody may send an IPI before every handler is in place. */
    smp_barrier();

    smoke_ipi_sender[next] = cpu;
    irq_enable();
    apic_send_ipi(cpu_by_index(next)->apic_id, SMOKE_IPI_VECTOR);
    wait_for_u32(&smoke_ipi_count[cpu], 1, IPI_TIMEOUT_US);
    /* Let a duplicate delivery show up before counting. */
    smp_barrier();
    irq_disable();
    v[0] = smoke_ipi_count[cpu];
    v[1] = smoke_ipi_sender[cpu];
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.ipi", cpu);
}

GUEST_TEST(smoke,
    .name = "smoke",
    .description = "APIC IDs, basic CPUID, faulting MSRs, barrier, IPIs",
    .setup = smoke_setup,
    .cpu_fn = smoke_cpu,
);

/*
 * cpuid-dump: the hypervisor CPUID leaves a Hyper-V guest looks at.
 *
 *   cpuN.cpuid.LLLLLLLL      eax, ebx, ecx, edx of leaf L, subleaf 0, for
 *                            0x40000000..0x4000000a, 0x40000080..0x40000082
 *                            and 0x40000100..0x40000101
 */
static const struct {
    uint32_t first, last;
} cpuid_dump_ranges[] = {
    { 0x40000000, 0x4000000a },
    { 0x40000080, 0x40000082 },
    { 0x40000100, 0x40000101 },
};

static void cpuid_dump_cpu(unsigned int cpu)
{
    unsigned int i;
    uint32_t leaf;

    for (i = 0; i < ARRAY_SIZE(cpuid_dump_ranges); i++) {
        for (leaf = cpuid_dump_ranges[i].first;
             leaf <= cpuid_dump_ranges[i].last; leaf++) {
            record_cpuid(leaf);
        }
    }
}

GUEST_TEST(cpuid_dump,
    .name = "cpuid-dump",
    .description = "hypervisor CPUID leaves on every CPU",
    .cpu_fn = cpuid_dump_cpu,
);

/*
 * msr-probe: reads every MSR of msrs=0x40000000,0x40000001,... on every
 * CPU with rdmsr_safe.
 *
 *   cpuN.msr.MMMMMMMM        value (0 when it faulted); the fault vector
 *                            and error code are in the record's fault
 *                            fields
 */
#define MSR_PROBE_MAX           64

static uint64_t msr_probe_list[MSR_PROBE_MAX];
static unsigned int msr_probe_count;

static void msr_probe_setup(void)
{
    msr_probe_count = cmdline_get_u64_list("msrs", msr_probe_list,
                                           MSR_PROBE_MAX);
    if (!msr_probe_count) {
        guest_fail("msr-probe: no msrs=0x...,0x... on the command line");
    }
}

static void msr_probe_cpu(unsigned int cpu)
{
    unsigned int i;

    for (i = 0; i < msr_probe_count; i++) {
        uint32_t msr = msr_probe_list[i];
        uint64_t val;
        uint8_t fault = rdmsr_safe(msr, &val);

        record(fault, 1, &val, "cpu%u.msr.%08x", cpu, msr);
    }
}

GUEST_TEST(msr_probe,
    .name = "msr-probe",
    .description = "rdmsr_safe of each MSR in msrs= on every CPU",
    .setup = msr_probe_setup,
    .cpu_fn = msr_probe_cpu,
);

/*
 * selftest-records: every CPU appends count= (default 100) records at the
 * same time, to show that slot allocation does not lose or mix records.
 *
 *   cpuN.seq.I               I, N
 */
static unsigned int selftest_record_count;

static void selftest_records_setup(void)
{
    selftest_record_count = cmdline_get_u64("count", 100);
}

static void selftest_records_cpu(unsigned int cpu)
{
    unsigned int i;

    smp_barrier();
    for (i = 0; i < selftest_record_count; i++) {
        uint64_t v[2] = { i, cpu };

        record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.seq.%u", cpu, i);
    }
}

GUEST_TEST(selftest_records,
    .name = "selftest-records",
    .description = "concurrent record allocation on all CPUs",
    .setup = selftest_records_setup,
    .cpu_fn = selftest_records_cpu,
);

/*
 * selftest-unexpected-fault: the highest-index CPU executes UD2 outside
 * any *_safe() helper; the runtime must report that as a failure (record
 * "cpuN.exception.#UD", state FAILED) instead of hanging.
 */
static void selftest_unexpected_fault_cpu(unsigned int cpu)
{
    if (cpu == nr_cpus() - 1) {
        asm volatile("ud2");
    }
}

GUEST_TEST(selftest_unexpected_fault,
    .name = "selftest-unexpected-fault",
    .description = "an unexpected #UD is reported, not fatal",
    .cpu_fn = selftest_unexpected_fault_cpu,
);

/*
 * selftest-triple-fault: the BSP loads an empty IDT and executes UD2, so
 * the CPU shuts down (triple fault).  The harness must report the stopped
 * VM at once instead of waiting for its timeout.
 */
static void selftest_triple_fault_setup(void)
{
    static const struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty_idt = { 0, 0 };

    asm volatile("lidt %0\n"
                 "ud2" : : "m"(empty_idt));
}

GUEST_TEST(selftest_triple_fault,
    .name = "selftest-triple-fault",
    .description = "a triple fault stops the VM; the harness must notice",
    .setup = selftest_triple_fault_setup,
);
