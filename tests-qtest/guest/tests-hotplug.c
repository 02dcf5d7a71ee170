/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-hotplug-test.c: a vCPU that QEMU plugs in after boot
 * is a VP like the others, and one that is unplugged leaves nothing
 * behind that could still fire.
 *
 * QEMU makes the VP index the vCPU's cpu_index, as KVM's default
 * (hyperv_vp_index()), so after hot-plug into a later slot the VP indexes
 * are sparse: with one CPU booted and the new one in slot 3, VP 3 exists
 * while there are only two VPs.  Windows names VPs by index in the flush
 * and IPI hypercalls, so those must reach VP 3.
 *
 * The guest boots with one CPU (smp=1; QEMU has maxcpus > 1) and talks
 * to the qtest through a mailbox word (HP_*).  Command line: apic=N, the
 * APIC ID of the CPU the qtest plugs in (default 3); sets=0 skips the
 * IPIs and flushes, unplug=0 the timer and the unplug.
 *
 *   mailbox          GPA of the word the qtest writes (mailbox_announce)
 *   new.up           logical index of the new CPU (-1: it did not come
 *                    up after INIT-SIPI-SIPI); its APIC ID
 *   new.vp_index     HV_X64_MSR_VP_INDEX read on the new CPU
 *   ipi.NAME         RAX; interrupts the new CPU took within 1 s of the
 *                    call naming its VP.  NAME: slow (HvCallSendSynthetic
 *                    ClusterIpi), fast (the same, fast), ex (...IpiEx,
 *                    sparse set)
 *   flush.NAME       RAX; what the new CPU read at the test VA before the
 *                    PTE changed, after (stale unless the TLB was
 *                    flushed), after the call.  NAME: control (names VP 2,
 *                    which does not exist), space (HvCallFlushVirtual
 *                    AddressSpace), space_ex (...SpaceEx, sparse set)
 *   stimer.armed     timer 0 of the new CPU, message mode: CONFIG, COUNT
 *                    (its expiration), reference time when armed
 *   unplug.ready     the new CPU is offline (parked), timer still armed;
 *                    the qtest now asks QEMU to unplug it
 *   unplug.eject     ACPI CPU hotplug selector of the CPU; its flags
 *                    before the eject (4: removal asked for) and after
 *                    (bit 0 clear: gone); reference time of the eject
 *   unplug.after     reference time after the wait (past the timer's
 *                    expiration); first qword of the page that was the
 *                    new CPU's SynIC message page; the pattern the guest
 *                    had written there
 */
#include "hv-time.h"

#define HP_PLUGGED              1       /* the qtest did device_add */
#define HP_UNPLUG_ASKED         2       /* the qtest did device_del */

#define HP_IPI_VEC              0x60    /* + 0..2 */
#define HP_NR_IPIS              3
#define HP_SINT                 2
#define HP_SINT_VEC             0x70
#define HP_WAIT_US              (1000 * 1000)

/*
 * The timer must outlive the unplug, which takes the qtest a few QMP
 * round trips: 3 s, and the qtest checks that the eject came first.
 */
#define HP_STIMER_MS            3000
#define HP_MS                   (HV_REF_TIME_HZ / 1000)

/* STIMERx_CONFIG */
#define ST_ENABLE               (1ull << 0)
#define ST_SINTX(s)             ((uint64_t)(s) << 16)

/* HV_GENERIC_SET_* */
#define SET_SPARSE              0

/*
 * QEMU's ACPI CPU hotplug registers on q35 (ICH9_CPU_HOTPLUG_IO_BASE):
 * what the ACPI methods of an OS use.  Writing 0 at the base while the
 * legacy interface is there switches to the modern one.
 */
#define CPUHP_BASE              0x0cd8
#define CPUHP_SELECTOR          0       /* 32-bit, write */
#define CPUHP_FLAGS             4       /* 8-bit */
#define CPUHP_CMD               5       /* 8-bit, write */
#define CPUHP_CMD_DATA          8       /* 32-bit */
#define CPUHP_CMD_GET_CPU_ID    3
#define CPUHP_FLAG_REMOVING     4
#define CPUHP_FLAG_EJECT        8

/* Test mapping: a 4 KiB page at 4 GiB, outside the identity map */
#define HP_VA                   0x100000000ull
#define HP_PAGE_A               0xa0a0a0a0a0a0a0a0ull
#define HP_PAGE_B               0xb0b0b0b0b0b0b0b0ull
#define HP_SIMP_PATTERN         0x5a5a5a5a5a5a5a5aull
#define PTE_P                   1ull
#define PTE_RW                  2ull

static volatile uint32_t hp_mailbox;            /* written by the qtest */
/* Counted by the interrupt handler, per logical CPU */
static volatile uint32_t hp_ipis[GUEST_MAX_CPUS][HP_NR_IPIS];
static uint64_t *hp_in;
static uint64_t *hp_pt;
static uint64_t hp_page_gpa[2];
static volatile uint32_t hp_step;               /* shared by two CPUs */
static volatile uint64_t hp_seen[3];            /* written by the new CPU */
static uint64_t *hp_simp;
static uint64_t hp_vp;
static uint64_t hp_expiry;

static void hp_ipi_handler(GuestIrqFrame *frame)
{
    hp_ipis[cpu_index()][frame->vector - HP_IPI_VEC]++;
}

static uint64_t hp_read_va(void)
{
    return *(volatile uint64_t *)(uintptr_t)HP_VA;  /* test mapping */
}

static void hp_set_pte(unsigned int page)
{
    __atomic_store_n(&hp_pt[0], hp_page_gpa[page] | PTE_P | PTE_RW,
                     __ATOMIC_SEQ_CST);
}

static void hp_wait_mailbox(uint32_t val)
{
    while (hp_mailbox < val) {
        cpu_relax();
    }
}

/* On the new CPU */
static void hp_read_vp_index(void *arg)
{
    hp_vp = rdmsr(HV_X64_MSR_VP_INDEX);
    record(HV_GUEST_FAULT_NONE, 1, &hp_vp, "new.vp_index");
}

static bool hp_wait_step(uint32_t s)
{
    if (!wait_for_u32(&hp_step, s, HP_WAIT_US * 5)) {
        guest_fail("cpu%u: flush step %u timed out", cpu_index(), s);
        return false;
    }
    return true;
}

/* On the new CPU: its side of one flush round (see hp_flush()) */
static void hp_flush_reader(void *arg)
{
    asm volatile("invlpg (%0)" : : "r"(HP_VA) : "memory");
    hp_seen[0] = hp_read_va();
    __atomic_store_n(&hp_step, 2, __ATOMIC_SEQ_CST);
    if (!hp_wait_step(3)) {
        return;
    }
    hp_seen[1] = hp_read_va();
    __atomic_store_n(&hp_step, 4, __ATOMIC_SEQ_CST);
    if (!hp_wait_step(5)) {
        return;
    }
    hp_seen[2] = hp_read_va();
    __atomic_store_n(&hp_step, 6, __ATOMIC_SEQ_CST);
}

/*
 * The new CPU caches the translation of HP_VA; the BSP points the PTE to
 * the other page and makes the flush call; the new CPU reads again.
 */
static void hp_flush(unsigned int cpu, unsigned int round, const char *name,
                     uint64_t control, const uint64_t *in, unsigned int n)
{
    unsigned int old = round % 2;
    uint64_t v[4];
    uint8_t fault;

    hp_set_pte(old);
    __atomic_store_n(&hp_step, 1, __ATOMIC_SEQ_CST);
    smp_call(cpu, hp_flush_reader, NULL);
    if (hp_wait_step(2)) {
        hp_set_pte(!old);
        __atomic_store_n(&hp_step, 3, __ATOMIC_SEQ_CST);
    }
    if (hp_wait_step(4)) {
        memcpy(hp_in, in, n * 8);
        fault = hv_call(control, (uintptr_t)hp_in, 0, &v[0]);
        __atomic_store_n(&hp_step, 5, __ATOMIC_SEQ_CST);
        hp_wait_step(6);
        v[1] = hp_seen[0];
        v[2] = hp_seen[1];
        v[3] = hp_seen[2];
        record(fault, 4, v, "flush.%s", name);
    }
    smp_wait(cpu);
}

static void hp_ipi(unsigned int cpu, unsigned int i, const char *name,
                   uint64_t control, uint64_t rdx, uint64_t r8)
{
    uint32_t before = hp_ipis[cpu][i];
    uint64_t v[2];
    uint8_t fault;

    fault = hv_call(control, rdx, r8, &v[0]);
    wait_for_u32(&hp_ipis[cpu][i], before + 1, HP_WAIT_US);
    v[1] = hp_ipis[cpu][i] - before;
    record(fault, 2, v, "ipi.%s", name);
}

/* On the new CPU: its SynIC and timer 0, expiring in HP_STIMER_MS */
static void hp_arm_stimer(void *arg)
{
    uint64_t v[3];

    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)hp_simp | HV_SYNIC_PAGE_ENABLE);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
    wrmsr(HV_X64_MSR_SINT(HP_SINT), HP_SINT_VEC);
    v[2] = ref_time_msr();
    hp_expiry = v[2] + HP_STIMER_MS * HP_MS;
    wrmsr(HV_X64_MSR_STIMER_COUNT(0), hp_expiry);
    wrmsr(HV_X64_MSR_STIMER_CONFIG(0), ST_ENABLE | ST_SINTX(HP_SINT));
    v[0] = rdmsr(HV_X64_MSR_STIMER_CONFIG(0));
    v[1] = rdmsr(HV_X64_MSR_STIMER_COUNT(0));
    record(HV_GUEST_FAULT_NONE, 3, v, "stimer.armed");
}

/* The ACPI CPU hotplug selector of the CPU with APIC ID @apic, or -1 */
static int hp_cpuhp_selector(uint32_t apic)
{
    int sel;

    for (sel = 0; sel < 256; sel++) {
        outl(CPUHP_BASE + CPUHP_SELECTOR, sel);
        outb(CPUHP_BASE + CPUHP_CMD, CPUHP_CMD_GET_CPU_ID);
        if (inl(CPUHP_BASE + CPUHP_CMD_DATA) == apic) {
            return sel;
        }
    }
    return -1;
}

/* What an OS's _EJ0 does once the CPU is offline */
static void hp_eject(uint32_t apic)
{
    int sel = hp_cpuhp_selector(apic);
    uint64_t v[4] = { sel, 0, 0, 0 };
    uint64_t end = ref_time_msr() + 5000 * HP_MS;

    if (sel >= 0) {
        outl(CPUHP_BASE + CPUHP_SELECTOR, sel);
        do {
            v[1] = inb(CPUHP_BASE + CPUHP_FLAGS);
        } while (!(v[1] & CPUHP_FLAG_REMOVING) && ref_time_msr() < end);
        v[3] = ref_time_msr();
        outb(CPUHP_BASE + CPUHP_FLAGS, CPUHP_FLAG_EJECT);
        v[2] = inb(CPUHP_BASE + CPUHP_FLAGS);
    }
    record(HV_GUEST_FAULT_NONE, 4, v, "unplug.eject");
}

static void hp_sets(unsigned int cpu);
static void hp_unplug(unsigned int cpu, uint32_t apic);

static void hp_setup(void)
{
    uint32_t apic = cmdline_get_u64("apic", 3);
    uint64_t *pd = alloc_pages(1), *a = alloc_pages(1), *b = alloc_pages(1);
    uint64_t v[2];
    unsigned int i;
    int cpu;

    /* As an OS's ACPI code does: QEMU's modern CPU hotplug interface */
    outb(CPUHP_BASE, 0);
    record(hv_hypercall_enable(), 0, NULL, "hc.enable");
    if (!hv_hypercall_page) {
        guest_abort("no hypercall page");
    }
    hp_in = alloc_pages(1);
    for (i = 0; i < HP_NR_IPIS; i++) {
        irq_set_handler(HP_IPI_VEC + i, hp_ipi_handler, 0);
    }
    hp_pt = alloc_pages(1);
    for (i = 0; i < 512; i++) {
        a[i] = HP_PAGE_A;
        b[i] = HP_PAGE_B;
    }
    hp_page_gpa[0] = (uintptr_t)a;
    hp_page_gpa[1] = (uintptr_t)b;
    hp_set_pte(0);
    pd[0] = (uintptr_t)hp_pt | PTE_P | PTE_RW;
    pdpt[4] = (uintptr_t)pd | PTE_P | PTE_RW;
    hp_simp = alloc_pages(1);
    for (i = 0; i < 512; i++) {
        hp_simp[i] = HP_SIMP_PATTERN;
    }

    mailbox_announce(&hp_mailbox, "mailbox");
    hp_wait_mailbox(HP_PLUGGED);
    cpu = smp_start_hotplugged(apic);
    v[0] = (uint64_t)(int64_t)cpu;
    v[1] = apic;
    record(HV_GUEST_FAULT_NONE, 2, v, "new.up");
    if (cpu < 0) {
        guest_fail("the hot-plugged CPU (APIC ID %u) did not come up", apic);
        return;
    }
    smp_call(cpu, hp_read_vp_index, NULL);
    smp_wait(cpu);
    if (hp_vp >= 64) {
        guest_fail("VP index %lu: the test names VPs in bank 0 only",
                   (unsigned long)hp_vp);
        return;
    }
    if (cmdline_get_u64("sets", 1)) {
        hp_sets(cpu);
    }
    if (cmdline_get_u64("unplug", 1)) {
        hp_unplug(cpu, apic);
    }
}

/* Flush and IPI hypercalls naming the new CPU's VP */
static void hp_sets(unsigned int cpu)
{
    uint64_t in[5];

    /* The new CPU idles with interrupts on: it takes the IPIs */
    hp_in[0] = HP_IPI_VEC;
    hp_in[1] = 1ull << hp_vp;
    hp_ipi(cpu, 0, "slow", HVCALL_SEND_IPI, (uintptr_t)hp_in, 0);
    hp_ipi(cpu, 1, "fast", HVCALL_SEND_IPI | HC_FAST, HP_IPI_VEC + 1,
           1ull << hp_vp);
    in[0] = HP_IPI_VEC + 2;
    in[1] = SET_SPARSE;
    in[2] = 1;
    in[3] = 1ull << hp_vp;
    memcpy(hp_in, in, 4 * 8);
    hp_ipi(cpu, 2, "ex", HVCALL_SEND_IPI_EX | HC_VARHEAD(1),
           (uintptr_t)hp_in, 0);

    in[0] = 0;                                  /* address space */
    in[1] = 0;                                  /* flags */
    in[2] = 1ull << 2;
    hp_flush(cpu, 0, "control", HVCALL_FLUSH_SPACE, in, 3);
    in[2] = 1ull << hp_vp;
    hp_flush(cpu, 1, "space", HVCALL_FLUSH_SPACE, in, 3);
    in[2] = SET_SPARSE;
    in[3] = 1;
    in[4] = 1ull << hp_vp;
    hp_flush(cpu, 2, "space_ex", HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), in,
             5);
}

/* Timer 0 armed on the new CPU, which goes offline and is ejected */
static void hp_unplug(unsigned int cpu, uint32_t apic)
{
    uint64_t v[3];

    smp_call(cpu, hp_arm_stimer, NULL);
    smp_wait(cpu);
    if (!smp_offline_last()) {
        guest_fail("the hot-plugged CPU did not go offline");
    }
    v[0] = hp_expiry;
    v[1] = ref_time_msr();
    record(HV_GUEST_FAULT_NONE, 2, v, "unplug.ready");
    hp_wait_mailbox(HP_UNPLUG_ASKED);
    hp_eject(apic);

    /* Past the expiration: the timer must be gone with its vCPU */
    while (ref_time_msr() < hp_expiry + 500 * HP_MS) {
        cpu_relax();
    }
    v[0] = ref_time_msr();
    v[1] = *(volatile uint64_t *)hp_simp;       /* QEMU's page, or RAM */
    v[2] = HP_SIMP_PATTERN;
    record(HV_GUEST_FAULT_NONE, 3, v, "unplug.after");
}

GUEST_TEST(hotplug,
    .name = "hotplug",
    .description = "a hot-plugged vCPU is a VP; an unplugged one is gone",
    .setup = hp_setup,
);
