/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Smoke test of the qemu-hyperv guest harness: boots the guest payload
 * under TCG on one and several vCPUs and checks that what it reports
 * matches QEMU's own view of the CPUs, that fault recovery, barriers,
 * IPIs and concurrent records work, and that guest-side errors (unknown
 * test, unexpected exception) come back as failures rather than hangs.
 */
#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hv-harness.h"

#define MSR_IA32_APIC_BASE          0x1b
#define MSR_X2APIC_ID               0x802
#define MSR_NONEXISTENT             0xdeadbeef
#define APIC_BASE_BSP               (1ull << 8)
#define APIC_BASE_ENABLE            (1ull << 11)
#define APIC_BASE_ADDR_MASK         0xfffff000ull
#define APIC_DEFAULT_BASE           0xfee00000ull

#define VECTOR_UD                   6
#define VECTOR_GP                   13

typedef struct BootCase {
    const char *path;
    const char *cpu;
    int smp;
    /* CPUID vendor -cpu asks for; NULL: whatever QEMU says it configured */
    const char *vendor;
} BootCase;

static const BootCase boot_cases[] = {
    { "qemu64/smp1", "qemu64", 1, "AuthenticAMD" },
    { "qemu64/smp4", "qemu64", 4, "AuthenticAMD" },
    { "qemu64-intel/smp2", "qemu64,vendor=GenuineIntel", 2, "GenuineIntel" },
    { "max/smp4", "max", 4, NULL },
};

/* QEMU's view of one vCPU, by cpu-index. */
typedef struct QemuCpu {
    uint64_t apic_id;
    char *vendor;
    uint64_t family, model, stepping;
} QemuCpu;

static QDict *qom_get(QTestState *qts, const char *path, const char *prop)
{
    return qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                     "{ 'path': %s, 'property': %s } }", path, prop);
}

static uint64_t qom_get_uint(QTestState *qts, const char *path,
                             const char *prop)
{
    QDict *rsp = qom_get(qts, path, prop);
    uint64_t val;

    g_assert(qdict_haskey(rsp, "return"));
    val = qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    return val;
}

static char *qom_get_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qom_get(qts, path, prop);
    char *val;

    g_assert(qdict_haskey(rsp, "return"));
    val = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return val;
}

/* Fills cpus[cpu-index] from query-cpus-fast and the CPUs' properties. */
static void query_qemu_cpus(QTestState *qts, QemuCpu *cpus, int smp)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-cpus-fast' }");
    QList *list = qdict_get_qlist(rsp, "return");
    const QListEntry *e;
    int seen = 0;

    g_assert(list);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *cpu = qobject_to(QDict, qlist_entry_obj(e));
        int64_t index = qdict_get_int(cpu, "cpu-index");
        const char *path = qdict_get_str(cpu, "qom-path");

        g_assert_cmpint(index, >=, 0);
        g_assert_cmpint(index, <, smp);
        cpus[index].apic_id = qom_get_uint(qts, path, "apic-id");
        cpus[index].vendor = qom_get_str(qts, path, "vendor");
        cpus[index].family = qom_get_uint(qts, path, "family");
        cpus[index].model = qom_get_uint(qts, path, "model");
        cpus[index].stepping = qom_get_uint(qts, path, "stepping");
        seen++;
    }
    g_assert_cmpint(seen, ==, smp);
    qobject_unref(rsp);
}

/* CPUID.1:EAX as QEMU builds it from family/model/stepping. */
static uint32_t cpuid_version(const QemuCpu *c)
{
    uint32_t base_family = c->family > 0xf ? 0xf : c->family;
    uint32_t ext_family = c->family > 0xf ? c->family - 0xf : 0;

    return (c->stepping & 0xf) | ((c->model & 0xf) << 4) |
           (base_family << 8) | (((c->model >> 4) & 0xf) << 16) |
           (ext_family << 20);
}

static void test_boot(const void *opaque)
{
    const BootCase *bc = opaque;
    g_autoptr(HvGuest) g = hv_guest_start(bc->cpu, bc->smp, "smoke", NULL);
    g_autoptr(GHashTable) apic_ids = g_hash_table_new(NULL, NULL);
    QemuCpu *qcpus = g_new0(QemuCpu, bc->smp);
    const HvGuestRecord *r;
    int i;

    hv_assert_guest_passed(g);
    g_assert_cmpuint(hv_guest_nr_cpus(g), ==, bc->smp);
    query_qemu_cpus(hv_guest_qts(g), qcpus, bc->smp);

    /* Every CPU reported once, under the index QEMU gave it. */
    g_assert_null(hv_guest_findf(g, "cpu%d.apic_id", bc->smp));
    for (i = 0; i < bc->smp; i++) {
        const char *vendor = bc->vendor ?: qcpus[i].vendor;

        r = hv_assert_record(g, "cpu%d.apic_id", i);
        hv_assert_value(g, 1, r->values[0], "cpu%d.apic_id", i);
        hv_assert_value(g, 0, qcpus[i].apic_id, "cpu%d.apic_id", i);
        /* + 1: APIC ID 0 would be the NULL key */
        if (!g_hash_table_add(apic_ids,
                              GUINT_TO_POINTER(r->values[0] + 1))) {
            hv_fail(g, "record cpu%d.apic_id: APIC ID %" PRIu64
                    " reported by another CPU too", i, r->values[0]);
        }

        /* Leaf 0: vendor; leaf 1: signature as QEMU configured it. */
        hv_assert_string12(g, 1, 3, 2, vendor, "cpu%d.cpuid.00000000", i);
        g_assert_cmpstr(qcpus[i].vendor, ==, vendor);
        hv_assert_value_masked(g, 0, 0x0fff0fff, cpuid_version(&qcpus[i]),
                               "cpu%d.cpuid.00000001", i);
        hv_assert_value_masked(g, 1, 0xff000000, r->values[0] << 24,
                               "cpu%d.cpuid.00000001", i);

        /* Without hv-* properties TCG shows its own signature. */
        hv_assert_value(g, 0, 0x40000001, "cpu%d.cpuid.40000000", i);
        hv_assert_string12(g, 1, 2, 3, "TCGTCGTCGTCG",
                           "cpu%d.cpuid.40000000", i);

        /* Fault recovery: x2APIC MSRs #GP in xAPIC mode. */
        hv_assert_fault(g, VECTOR_GP, "cpu%d.msr.%08x", i, MSR_X2APIC_ID);
        hv_assert_fault(g, VECTOR_GP, "cpu%d.wrmsr.%08x", i, MSR_X2APIC_ID);
        hv_assert_no_fault(g, "cpu%d.msr.%08x", i, MSR_IA32_APIC_BASE);
        hv_assert_value_masked(g, 0, APIC_BASE_ADDR_MASK | APIC_BASE_ENABLE |
                               APIC_BASE_BSP,
                               APIC_DEFAULT_BASE | APIC_BASE_ENABLE |
                               (i == 0 ? APIC_BASE_BSP : 0),
                               "cpu%d.msr.%08x", i, MSR_IA32_APIC_BASE);
        hv_assert_record(g, "cpu%d.msr.%08x", i, MSR_NONEXISTENT);

        /* No hypercall interface without Hyper-V enlightenments. */
        hv_assert_fault(g, VECTOR_UD, "cpu%d.vmcall", i);
        hv_assert_fault(g, VECTOR_UD, "cpu%d.vmmcall", i);

        hv_assert_value(g, 0, bc->smp, "cpu%d.barrier", i);
        hv_assert_value(g, 0, 1, "cpu%d.ipi", i);
        hv_assert_value(g, 1, (i + bc->smp - 1) % bc->smp, "cpu%d.ipi", i);
    }

    r = hv_guest_findf(g, "cpu0.msr.%08x", MSR_NONEXISTENT);
    g_test_message("rdmsr 0x%x (no such MSR): value 0x%" PRIx64
                   ", fault %s", MSR_NONEXISTENT, r->values[0],
                   hv_fault_name(r->fault_vector));

    for (i = 0; i < bc->smp; i++) {
        g_free(qcpus[i].vendor);
    }
    g_free(qcpus);
}

static void test_unknown_test(void)
{
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", 1, "no-such-test", NULL);

    hv_assert_guest_failed(g, "unknown test 'no-such-test'");
    g_assert_cmpstr(hv_guest_test_name(g), ==, "no-such-test");
    g_assert_cmpuint(hv_guest_nr_records(g), ==, 0);
}

static void test_unexpected_fault(void)
{
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", 2,
                                          "selftest-unexpected-fault", NULL);
    const HvGuestRecord *r;

    hv_assert_guest_failed(g, "cpu1: unexpected #UD");
    r = hv_assert_record(g, "cpu1.exception.#UD");
    g_assert_cmphex(r->flags & HV_GUEST_RECORD_EXCEPTION, !=, 0);
    g_assert_cmpuint(r->cpu, ==, 1);
    g_assert_null(hv_guest_find(g, "cpu0.exception.#UD"));
}

#define RECORDS_PER_CPU 200

static void test_concurrent_records(void)
{
    const int smp = 4;
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", smp, "selftest-records",
                                          "count=" G_STRINGIFY(
                                              RECORDS_PER_CPU));
    int cpu, i;

    hv_assert_guest_passed(g);
    g_assert_cmpuint(hv_guest_nr_records(g), ==, smp * RECORDS_PER_CPU);
    for (cpu = 0; cpu < smp; cpu++) {
        for (i = 0; i < RECORDS_PER_CPU; i++) {
            const HvGuestRecord *r =
                hv_assert_record(g, "cpu%d.seq.%d", cpu, i);

            hv_assert_value(g, 0, i, "cpu%d.seq.%d", cpu, i);
            hv_assert_value(g, 1, cpu, "cpu%d.seq.%d", cpu, i);
            g_assert_cmpuint(r->cpu, ==, cpu);
        }
    }
}

static const uint32_t cpuid_dump_leaves[] = {
    0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000004,
    0x40000005, 0x40000006, 0x40000007, 0x40000008, 0x40000009,
    0x4000000a, 0x40000080, 0x40000081, 0x40000082, 0x40000100,
    0x40000101,
};

static void test_cpuid_dump(void)
{
    const int smp = 2;
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", smp, "cpuid-dump", NULL);
    int cpu, j;
    size_t i;

    hv_assert_guest_passed(g);
    g_assert_cmpuint(hv_guest_nr_records(g), ==,
                     smp * ARRAY_SIZE(cpuid_dump_leaves));
    /* Every CPU sees the same hypervisor leaves. */
    for (i = 0; i < ARRAY_SIZE(cpuid_dump_leaves); i++) {
        const HvGuestRecord *r0 =
            hv_assert_record(g, "cpu0.cpuid.%08x", cpuid_dump_leaves[i]);

        for (cpu = 1; cpu < smp; cpu++) {
            for (j = 0; j < 4; j++) {
                hv_assert_value(g, j, r0->values[j], "cpu%d.cpuid.%08x", cpu,
                                cpuid_dump_leaves[i]);
            }
        }
    }
    hv_assert_string12(g, 1, 2, 3, "TCGTCGTCGTCG", "cpu0.cpuid.40000000");
}

static void test_msr_probe(void)
{
    const int smp = 2;
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", smp, "msr-probe",
                                          "msrs=0x1b,0x802");
    int cpu;

    hv_assert_guest_passed(g);
    for (cpu = 0; cpu < smp; cpu++) {
        hv_assert_no_fault(g, "cpu%d.msr.0000001b", cpu);
        hv_assert_value_masked(g, 0, APIC_BASE_ADDR_MASK, APIC_DEFAULT_BASE,
                               "cpu%d.msr.0000001b", cpu);
        hv_assert_fault(g, VECTOR_GP, "cpu%d.msr.00000802", cpu);
    }
}

static void test_msr_probe_without_msrs(void)
{
    g_autoptr(HvGuest) g = hv_guest_start("qemu64", 1, "msr-probe", NULL);

    hv_assert_guest_failed(g, "no msrs=");
}

static void test_qemu_start_checks(void)
{
    hv_assert_qemu_accepts("qemu64", NULL);
    hv_assert_qemu_rejects("no-such-cpu-model", NULL,
                           "unable to find CPU model 'no-such-cpu-model'");
}

/*
 * The harness's own failure reporting, checked in subprocesses: a wrong
 * expectation must name the record, a missing record must be reported as
 * missing, and a guest that brings the VM down must fail fast.
 */
static void test_harness_names_record(void)
{
    if (g_test_subprocess()) {
        g_autoptr(HvGuest) g = hv_guest_start("qemu64", 1, "smoke", NULL);

        hv_assert_guest_passed(g);
        /* One CPU: the barrier saw one arrival, not 12345. */
        hv_assert_value(g, 0, 12345, "cpu%d.barrier", 0);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*record cpu0.barrier: value 0 is 0x1, "
                              "expected 0x3039*guest test smoke*");
}

static void test_harness_missing_record(void)
{
    if (g_test_subprocess()) {
        g_autoptr(HvGuest) g = hv_guest_start("qemu64", 1, "smoke", NULL);

        hv_assert_no_fault(g, "cpu%d.apic_id", 1);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*record cpu1.apic_id: missing*");
}

static void test_harness_guest_crash(void)
{
    if (g_test_subprocess()) {
        HvGuestOptions opts = {
            .cpu = "qemu64",
            .test = "selftest-triple-fault",
            /* Must fail through the run-state check, not the timeout. */
            .timeout_ms = 20000,
        };
        g_autoptr(HvGuest) g = hv_guest_start_opts(&opts);

        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*VM stopped, run state shutdown*");
}

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);

    for (i = 0; i < ARRAY_SIZE(boot_cases); i++) {
        g_autofree char *path = g_strdup_printf("/hyperv/smoke/boot/%s",
                                                boot_cases[i].path);

        qtest_add_data_func(path, &boot_cases[i], test_boot);
    }
    qtest_add_func("/hyperv/smoke/unknown-test", test_unknown_test);
    qtest_add_func("/hyperv/smoke/unexpected-fault", test_unexpected_fault);
    qtest_add_func("/hyperv/smoke/concurrent-records",
                   test_concurrent_records);
    qtest_add_func("/hyperv/smoke/cpuid-dump", test_cpuid_dump);
    qtest_add_func("/hyperv/smoke/msr-probe", test_msr_probe);
    qtest_add_func("/hyperv/smoke/msr-probe-without-msrs",
                   test_msr_probe_without_msrs);
    qtest_add_func("/hyperv/smoke/qemu-start-checks", test_qemu_start_checks);
    qtest_add_func("/hyperv/smoke/harness/names-record",
                   test_harness_names_record);
    qtest_add_func("/hyperv/smoke/harness/missing-record",
                   test_harness_missing_record);
    qtest_add_func("/hyperv/smoke/harness/guest-crash",
                   test_harness_guest_crash);

    return g_test_run();
}
