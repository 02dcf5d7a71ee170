/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv KVM tests: a recording fake /dev/kvm (LD_PRELOAD shim).
 *
 * Test code only, never part of the product.  Loaded into an unmodified
 * qemu-system-x86_64, it answers the KVM ioctls QEMU makes to create a
 * machine, its vCPUs and their state from a host profile (fake-kvm-host.c,
 * whose Hyper-V side is tests-unit/kvm-fixtures.h) and writes down what
 * QEMU asks the kernel to do about Hyper-V: every KVM_SET_CPUID2 entry,
 * every KVM_ENABLE_CAP, the Hyper-V MSRs written with KVM_SET_MSRS, SINT
 * routes, Hyper-V eventfds, and the answers to scripted KVM_EXIT_HYPERV
 * exits.  Nothing of the guest runs: a vCPU in KVM_RUN either plays the
 * next step of a script or waits to be kicked, as an idle guest would.
 *
 * Environment:
 *   FAKE_KVM_PROFILE   host profile (fake-kvm-host.c; "list" lists them),
 *                      or "real": the machine's own /dev/kvm answers and
 *                      the shim only records (make check-kvm)
 *   FAKE_KVM_RECORD    file the recording is appended to, one line per
 *                      event, each starting with its scope ("sys", "vm",
 *                      "vcpuN"); within a scope the order is QEMU's
 *   FAKE_KVM_SCRIPT    steps vCPU 0 plays in KVM_RUN, one per line:
 *                        hcall INPUT PARAM0 PARAM1  KVM_EXIT_HYPERV_HCALL
 *                        synic MSR CONTROL EVT MSG  KVM_EXIT_HYPERV_SYNIC
 *                        syndbg MSR CONTROL SEND RECV PENDING
 *                                                   KVM_EXIT_HYPERV_SYNDBG
 *                        mem GPA HEXBYTES           write guest memory
 *                        dump GPA LEN               record guest memory
 *                        waitmem GPA                wait (5 s at most) for
 *                                                   QEMU to write a nonzero
 *                                                   dword there
 *                        idle                       wait to be kicked
 *                        shutdown                   KVM_EXIT_SHUTDOWN
 *   FAKE_KVM_GUEST_MSRS "INDEX=VALUE,..." MSR values the guest has set
 *                      once it ran: KVM_GET_MSRS returns them after the
 *                      vCPU's first KVM_RUN (for migration tests)
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

#include "fake-kvm-host.h"

#define MAX_FDS         4096
#define MAX_VCPUS       64
#define MAX_SLOTS       512
#define MAX_BLOBS       32
#define MAX_MSRS        512
#define MAX_STEPS       256
#define RUN_SIZE        (3 * 4096)

typedef enum FdKind {
    FD_NONE,
    FD_SYS,
    FD_VM,
    FD_VCPU,
} FdKind;

/* The last value QEMU set through a KVM_SET_* ioctl, for its KVM_GET_* */
typedef struct Blob {
    unsigned long key;
    void *data;
    size_t len;
} Blob;

typedef struct Msr {
    uint32_t index;
    uint64_t value;
} Msr;

typedef struct Vcpu {
    int id;
    int fd;
    struct kvm_run *run;
    Blob blobs[MAX_BLOBS];
    Msr msrs[MAX_MSRS];
    int n_msrs;
    bool evmcs_enabled;
    bool ran;
    int step;           /* next script step */
    int pending;        /* the step whose exit QEMU is handling, or -1 */
    int wait_ms;        /* how long the current waitmem step has waited */
} Vcpu;

typedef struct Slot {
    uint32_t slot;
    uint64_t gpa;
    uint64_t size;
    uint64_t hva;
} Slot;

typedef struct Step {
    char op[16];
    uint64_t arg[5];
    char *hex;
} Step;

static struct {
    pthread_mutex_t lock;
    const FakeHostProfile *host;
    int record_fd;
    FdKind kind[MAX_FDS];
    Vcpu *vcpu_of_fd[MAX_FDS];
    Vcpu *vcpus[MAX_VCPUS];
    Blob vm_blobs[MAX_BLOBS];
    Slot slots[MAX_SLOTS];
    Step steps[MAX_STEPS];
    int n_steps;
    Msr guest_msrs[MAX_MSRS];
    int n_guest_msrs;
    bool ready;
    bool real;
} fk = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .record_fd = -1,
};

static void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "fake-kvm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    _exit(99);
}

/* One line, one write(): lines from different threads never mix */
static void record(const char *scope, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    if (fk.record_fd < 0) {
        return;
    }
    n = snprintf(line, sizeof(line), "%s ", scope);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    if (write(fk.record_fd, line, n) != n) {
        fatal("cannot write the recording: %s", strerror(errno));
    }
}

static const char *vcpu_scope(const Vcpu *v, char *buf, size_t len)
{
    snprintf(buf, len, "vcpu%d", v->id);
    return buf;
}

/* 0x-prefixed hex or decimal, as the script and the MSR list write them */
static uint64_t parse_u64(const char *str)
{
    uint64_t v = 0;
    int base = 10;

    if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
        base = 16;
        str += 2;
    }
    for (; *str; str++) {
        int d;

        if (*str >= '0' && *str <= '9') {
            d = *str - '0';
        } else if (base == 16 && *str >= 'a' && *str <= 'f') {
            d = *str - 'a' + 10;
        } else if (base == 16 && *str >= 'A' && *str <= 'F') {
            d = *str - 'A' + 10;
        } else {
            break;
        }
        v = v * base + d;
    }
    return v;
}

static void parse_script(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];

    if (!f) {
        fatal("FAKE_KVM_SCRIPT=%s: %s", path, strerror(errno));
    }
    while (fgets(line, sizeof(line), f)) {
        Step *s;
        char *tok, *save = NULL;
        int i = 0;

        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        if (fk.n_steps == MAX_STEPS) {
            fatal("%s: more than %d steps", path, MAX_STEPS);
        }
        s = &fk.steps[fk.n_steps++];
        tok = strtok_r(line, " \t\n", &save);
        snprintf(s->op, sizeof(s->op), "%s", tok);
        while ((tok = strtok_r(NULL, " \t\n", &save)) != NULL) {
            if (!strcmp(s->op, "mem") && i == 1) {
                s->hex = strdup(tok);
                break;
            }
            if (i < 5) {
                s->arg[i++] = parse_u64(tok);
            }
        }
    }
    fclose(f);
}

static void parse_guest_msrs(const char *spec)
{
    char *copy = strdup(spec), *tok, *save = NULL;

    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');

        if (!eq || fk.n_guest_msrs == MAX_MSRS) {
            fatal("FAKE_KVM_GUEST_MSRS: bad entry '%s'", tok);
        }
        fk.guest_msrs[fk.n_guest_msrs].index = parse_u64(tok);
        fk.guest_msrs[fk.n_guest_msrs].value = parse_u64(eq + 1);
        fk.n_guest_msrs++;
    }
    free(copy);
}

static void fake_init(void)
{
    const char *name, *rec, *script, *msrs;

    if (fk.ready) {
        return;
    }
    name = getenv("FAKE_KVM_PROFILE");
    if (!name) {
        fatal("FAKE_KVM_PROFILE is not set");
    }
    fk.real = !strcmp(name, "real");
    fk.host = fk.real ? NULL : fake_host_profile(name);
    if (!fk.host && !fk.real) {
        fprintf(stderr, "fake-kvm: unknown profile '%s'; profiles:\n", name);
        fake_host_profiles_list();
        _exit(99);
    }
    rec = getenv("FAKE_KVM_RECORD");
    if (rec && *rec) {
        fk.record_fd = open(rec, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                            0644);
        if (fk.record_fd < 0) {
            fatal("FAKE_KVM_RECORD=%s: %s", rec, strerror(errno));
        }
    }
    script = getenv("FAKE_KVM_SCRIPT");
    if (script && *script) {
        parse_script(script);
    }
    msrs = getenv("FAKE_KVM_GUEST_MSRS");
    if (msrs && *msrs) {
        parse_guest_msrs(msrs);
    }
    fk.ready = true;
    record("sys", "profile %s", fk.real ? "real" : fk.host->name);
}

/* A real file descriptor stands for each KVM object: memfds, mappable */
static int new_fd(FdKind kind, const char *name, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0 || fd >= MAX_FDS) {
        fatal("memfd_create: %s", fd < 0 ? strerror(errno) : "fd too high");
    }
    if (size && ftruncate(fd, size) < 0) {
        fatal("ftruncate: %s", strerror(errno));
    }
    fk.kind[fd] = kind;
    return fd;
}

/* ---- interposed libc entry points ---- */

static bool is_kvm_path(const char *path)
{
    return path && !strcmp(path, "/dev/kvm");
}

static int real_openat(int dirfd, const char *path, int flags, mode_t mode);

static int open_kvm(int flags)
{
    int fd;

    pthread_mutex_lock(&fk.lock);
    fake_init();
    if (fk.real) {
        fd = real_openat(AT_FDCWD, "/dev/kvm", flags, 0);
        if (fd >= 0 && fd < MAX_FDS) {
            fk.kind[fd] = FD_SYS;
        }
    } else {
        fd = new_fd(FD_SYS, "fake-kvm", 0);
    }
    pthread_mutex_unlock(&fk.lock);
    return fd;
}

static int real_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return syscall(SYS_openat, dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    va_list ap;

    if (is_kvm_path(path)) {
        return open_kvm(flags);
    }
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return real_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
    __attribute__((alias("open")));

int __open_2(const char *path, int flags)
{
    return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
    return open(path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    va_list ap;

    if (is_kvm_path(path)) {
        return open_kvm(flags);
    }
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

int close(int fd)
{
    if (fd >= 0 && fd < MAX_FDS && fk.kind[fd] != FD_NONE) {
        pthread_mutex_lock(&fk.lock);
        fk.kind[fd] = FD_NONE;
        fk.vcpu_of_fd[fd] = NULL;
        pthread_mutex_unlock(&fk.lock);
    }
    return syscall(SYS_close, fd);
}

/* ---- state kept for KVM_GET_* ---- */

static Blob *blob_find(Blob *blobs, unsigned long key, bool create)
{
    int i;

    for (i = 0; i < MAX_BLOBS; i++) {
        if (blobs[i].key == key) {
            return &blobs[i];
        }
    }
    if (!create) {
        return NULL;
    }
    for (i = 0; i < MAX_BLOBS; i++) {
        if (!blobs[i].key) {
            blobs[i].key = key;
            return &blobs[i];
        }
    }
    fatal("too many saved states");
    return NULL;
}

static void blob_set(Blob *blobs, unsigned long key, const void *data,
                     size_t len)
{
    Blob *b = blob_find(blobs, key, true);

    free(b->data);
    b->data = malloc(len);
    memcpy(b->data, data, len);
    b->len = len;
}

/* What was set, or zeroes (the kernel's state after vCPU creation) */
static void blob_get(Blob *blobs, unsigned long key, void *data, size_t len)
{
    Blob *b = blob_find(blobs, key, false);

    memset(data, 0, len);
    if (b) {
        memcpy(data, b->data, b->len < len ? b->len : len);
    }
}

static Msr *msr_find(Vcpu *v, uint32_t index, bool create)
{
    int i;

    for (i = 0; i < v->n_msrs; i++) {
        if (v->msrs[i].index == index) {
            return &v->msrs[i];
        }
    }
    if (!create) {
        return NULL;
    }
    if (v->n_msrs == MAX_MSRS) {
        fatal("too many MSRs");
    }
    v->msrs[v->n_msrs].index = index;
    v->msrs[v->n_msrs].value = 0;
    return &v->msrs[v->n_msrs++];
}

static void *gpa_to_hva(uint64_t gpa, uint64_t len)
{
    int i;

    for (i = 0; i < MAX_SLOTS; i++) {
        Slot *s = &fk.slots[i];

        if (s->size && gpa >= s->gpa && gpa + len <= s->gpa + s->size) {
            return (void *)(uintptr_t)(s->hva + (gpa - s->gpa));
        }
    }
    return NULL;
}

/* ---- names, for a readable recording ---- */

static const char *cap_name(uint32_t cap, char *buf, size_t len)
{
    static const struct {
        uint32_t cap;
        const char *name;
    } names[] = {
        { KVM_CAP_HYPERV, "HYPERV" },
        { KVM_CAP_HYPERV_VAPIC, "HYPERV_VAPIC" },
        { KVM_CAP_HYPERV_SPIN, "HYPERV_SPIN" },
        { KVM_CAP_HYPERV_TIME, "HYPERV_TIME" },
        { KVM_CAP_HYPERV_SYNIC, "HYPERV_SYNIC" },
        { KVM_CAP_HYPERV_SYNIC2, "HYPERV_SYNIC2" },
        { KVM_CAP_HYPERV_VP_INDEX, "HYPERV_VP_INDEX" },
        { KVM_CAP_HYPERV_EVENTFD, "HYPERV_EVENTFD" },
        { KVM_CAP_HYPERV_TLBFLUSH, "HYPERV_TLBFLUSH" },
        { KVM_CAP_HYPERV_SEND_IPI, "HYPERV_SEND_IPI" },
        { KVM_CAP_HYPERV_ENLIGHTENED_VMCS, "HYPERV_ENLIGHTENED_VMCS" },
        { KVM_CAP_HYPERV_CPUID, "HYPERV_CPUID" },
        { KVM_CAP_HYPERV_DIRECT_TLBFLUSH, "HYPERV_DIRECT_TLBFLUSH" },
        { KVM_CAP_HYPERV_ENFORCE_CPUID, "HYPERV_ENFORCE_CPUID" },
        { KVM_CAP_SYS_HYPERV_CPUID, "SYS_HYPERV_CPUID" },
        { KVM_CAP_X2APIC_API, "X2APIC_API" },
        { KVM_CAP_EXCEPTION_PAYLOAD, "EXCEPTION_PAYLOAD" },
        { KVM_CAP_SPLIT_IRQCHIP, "SPLIT_IRQCHIP" },
        { KVM_CAP_MAX_VCPU_ID, "MAX_VCPU_ID" },
        { KVM_CAP_ENFORCE_PV_FEATURE_CPUID, "ENFORCE_PV_FEATURE_CPUID" },
        { KVM_CAP_X86_USER_SPACE_MSR, "X86_USER_SPACE_MSR" },
        { KVM_CAP_X86_DISABLE_EXITS, "X86_DISABLE_EXITS" },
        { KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "MANUAL_DIRTY_LOG_PROTECT2" },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].cap == cap) {
            return names[i].name;
        }
    }
    snprintf(buf, len, "cap%u", cap);
    return buf;
}

/* ---- system fd ---- */

static int copy_cpuid(struct kvm_cpuid2 *c, const FakeCpuidEntry *e, int n)
{
    int i;

    if (c->nent < (uint32_t)n) {
        c->nent = n;
        return -E2BIG;
    }
    for (i = 0; i < n; i++) {
        memset(&c->entries[i], 0, sizeof(c->entries[i]));
        c->entries[i].function = e[i].function;
        c->entries[i].index = e[i].index;
        c->entries[i].flags = e[i].flags;
        c->entries[i].eax = e[i].eax;
        c->entries[i].ebx = e[i].ebx;
        c->entries[i].ecx = e[i].ecx;
        c->entries[i].edx = e[i].edx;
    }
    c->nent = n;
    return 0;
}

static int copy_msr_list(struct kvm_msr_list *l, const uint32_t *idx, int n)
{
    uint32_t room = l->nmsrs;

    l->nmsrs = n;
    if (room < (uint32_t)n) {
        return -E2BIG;
    }
    memcpy(l->indices, idx, n * sizeof(idx[0]));
    return 0;
}

/*
 * KVM_GET_SUPPORTED_HV_CPUID.  On the vCPU fd of a kernel without the
 * system ioctl (v5.10), the kernel leaves out what QEMU's
 * get_supported_hv_cpuid() adds back (HV_ENLIGHTENED_VMCS_RECOMMENDED, the
 * "EVMCS bit" fixup that the fixture includes) until eVMCS is enabled.
 */
static int get_hv_cpuid(const char *scope, Vcpu *v, struct kvm_cpuid2 *c)
{
    FakeCpuidEntry e[16];
    int n = fake_host_hv_cpuid(fk.host, e, 16), i, r;

    if (n < 0) {
        return -ENOTTY;
    }
    if (v && !fake_host_check_extension(fk.host, KVM_CAP_SYS_HYPERV_CPUID)
        && !v->evmcs_enabled) {
        for (i = 0; i < n; i++) {
            if (e[i].function == 0x40000004) {
                e[i].eax &= ~(1u << 14);
            }
        }
    }
    r = copy_cpuid(c, e, n);
    record(scope, "get_supported_hv_cpuid nent_in=%u -> %s", c->nent,
           r ? "E2BIG" : "ok");
    return r;
}

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
    switch (req) {
    case KVM_GET_API_VERSION:
        return KVM_API_VERSION;
    case KVM_CHECK_EXTENSION:
        return fake_host_check_extension(fk.host, (unsigned long)arg);
    case KVM_CREATE_VM: {
        int vmfd = new_fd(FD_VM, "fake-kvm-vm", 0);

        record("vm", "create type=%lu", (unsigned long)arg);
        return vmfd;
    }
    case KVM_GET_VCPU_MMAP_SIZE:
        return RUN_SIZE;
    case KVM_GET_SUPPORTED_CPUID: {
        FakeCpuidEntry e[64];
        int n = fake_host_cpuid(fk.host, e, 64);

        return copy_cpuid(arg, e, n);
    }
    case KVM_GET_EMULATED_CPUID: {
        struct kvm_cpuid2 *c = arg;

        c->nent = 0;
        return 0;
    }
    case KVM_GET_SUPPORTED_HV_CPUID:
        if (!fake_host_check_extension(fk.host, KVM_CAP_SYS_HYPERV_CPUID)) {
            return -ENOTTY;
        }
        return get_hv_cpuid("sys", NULL, arg);
    case KVM_GET_MSR_INDEX_LIST: {
        uint32_t idx[MAX_MSRS];
        int n = fake_host_msrs(fk.host, idx, MAX_MSRS);

        return copy_msr_list(arg, idx, n);
    }
    case KVM_GET_MSR_FEATURE_INDEX_LIST:
        return copy_msr_list(arg, NULL, 0);
    case KVM_X86_GET_MCE_CAP_SUPPORTED:
        /* MCG_CTL_P | MCG_SER_P | MCG_LMCE_P | 32 banks */
        *(uint64_t *)arg = 0x8000000 | 0x1000000 | 0x100 | 32;
        return 0;
    case KVM_GET_DEVICE_ATTR:
        return -ENXIO;
    }
    record("sys", "unhandled ioctl 0x%lx", req);
    return -ENOTTY;
}

/* ---- VM fd ---- */

static int create_vcpu(unsigned long id)
{
    Vcpu *v;
    int fd;

    if (id >= MAX_VCPUS || fk.vcpus[id]) {
        return -EINVAL;
    }
    v = calloc(1, sizeof(*v));
    v->id = id;
    v->pending = -1;
    fd = new_fd(FD_VCPU, "fake-kvm-vcpu", RUN_SIZE);
    v->fd = fd;
    v->run = mmap(NULL, RUN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (v->run == MAP_FAILED) {
        fatal("mmap of the run area: %s", strerror(errno));
    }
    fk.vcpus[id] = v;
    fk.vcpu_of_fd[fd] = v;
    record("vm", "create_vcpu %lu", id);
    return fd;
}

static void record_enable_cap(const char *scope, struct kvm_enable_cap *cap)
{
    char name[32];

    if (cap->cap == KVM_CAP_HYPERV_ENLIGHTENED_VMCS) {
        /* args[0] points to QEMU's variable for the version */
        record(scope, "enable_cap %s flags=0x%x args=<ptr>",
               cap_name(cap->cap, name, sizeof(name)), cap->flags);
        return;
    }
    record(scope, "enable_cap %s flags=0x%x args=0x%llx,0x%llx,0x%llx,0x%llx",
           cap_name(cap->cap, name, sizeof(name)), cap->flags,
           (unsigned long long)cap->args[0], (unsigned long long)cap->args[1],
           (unsigned long long)cap->args[2], (unsigned long long)cap->args[3]);
}

static int vm_ioctl(int fd, unsigned long req, void *arg)
{
    switch (req) {
    case KVM_CHECK_EXTENSION:
        return fake_host_check_extension(fk.host, (unsigned long)arg);
    case KVM_CREATE_VCPU:
        return create_vcpu((unsigned long)arg);
    case KVM_ENABLE_CAP: {
        struct kvm_enable_cap *cap = arg;

        record_enable_cap("vm", cap);
        if (!fake_host_check_extension(fk.host, cap->cap)) {
            return -EINVAL;
        }
        return 0;
    }
    case KVM_SET_USER_MEMORY_REGION: {
        struct kvm_userspace_memory_region *m = arg;

        if (m->slot >= MAX_SLOTS) {
            return -EINVAL;
        }
        fk.slots[m->slot].slot = m->slot;
        fk.slots[m->slot].gpa = m->guest_phys_addr;
        fk.slots[m->slot].size = m->memory_size;
        fk.slots[m->slot].hva = m->userspace_addr;
        return 0;
    }
    case KVM_GET_DIRTY_LOG: {
        struct kvm_dirty_log *d = arg;
        Slot *s = d->slot < MAX_SLOTS ? &fk.slots[d->slot] : NULL;

        /* Nothing runs, nothing is dirty */
        if (s && s->size) {
            memset(d->dirty_bitmap, 0, ((s->size / 4096 + 63) / 64) * 8);
        }
        return 0;
    }
    case KVM_SET_GSI_ROUTING: {
        struct kvm_irq_routing *r = arg;
        uint32_t i;

        for (i = 0; i < r->nr; i++) {
            if (r->entries[i].type == KVM_IRQ_ROUTING_HV_SINT) {
                record("vm", "route gsi=%u hv_sint vcpu=%u sint=%u",
                       r->entries[i].gsi, r->entries[i].u.hv_sint.vcpu,
                       r->entries[i].u.hv_sint.sint);
            }
        }
        return 0;
    }
    case KVM_HYPERV_EVENTFD: {
        struct kvm_hyperv_eventfd *e = arg;

        record("vm", "hyperv_eventfd conn=%u flags=0x%x", e->conn_id,
               e->flags);
        return fake_host_check_extension(fk.host, KVM_CAP_HYPERV_EVENTFD) ?
               0 : -ENOTTY;
    }
    case KVM_IRQ_LINE_STATUS: {
        struct kvm_irq_level *l = arg;

        l->status = 1;
        return 0;
    }
    case KVM_SIGNAL_MSI:
        return 1;
    case KVM_SET_CLOCK:
        blob_set(fk.vm_blobs, KVM_GET_CLOCK, arg,
                 sizeof(struct kvm_clock_data));
        return 0;
    case KVM_GET_CLOCK: {
        struct kvm_clock_data *c = arg;

        blob_get(fk.vm_blobs, KVM_GET_CLOCK, c, sizeof(*c));
        /* A stopped clock: the same reading in every run */
        if (!c->clock) {
            c->clock = 1000000000ull;
        }
        c->flags = KVM_CLOCK_TSC_STABLE;
        return 0;
    }
    case KVM_SET_IRQCHIP: {
        struct kvm_irqchip *c = arg;

        blob_set(fk.vm_blobs, KVM_GET_IRQCHIP + c->chip_id, c, sizeof(*c));
        return 0;
    }
    case KVM_GET_IRQCHIP: {
        struct kvm_irqchip *c = arg;
        uint32_t id = c->chip_id;

        blob_get(fk.vm_blobs, KVM_GET_IRQCHIP + id, c, sizeof(*c));
        c->chip_id = id;
        return 0;
    }
    case KVM_SET_PIT2:
        blob_set(fk.vm_blobs, KVM_GET_PIT2, arg, sizeof(struct kvm_pit_state2));
        return 0;
    case KVM_GET_PIT2:
        blob_get(fk.vm_blobs, KVM_GET_PIT2, arg, sizeof(struct kvm_pit_state2));
        return 0;
    case KVM_SET_TSS_ADDR:
    case KVM_SET_IDENTITY_MAP_ADDR:
    case KVM_SET_NR_MMU_PAGES:
    case KVM_CREATE_IRQCHIP:
    case KVM_CREATE_PIT2:
    case KVM_IRQFD:
    case KVM_IOEVENTFD:
    case KVM_IRQ_LINE:
    case KVM_SET_BOOT_CPU_ID:
    case KVM_REGISTER_COALESCED_MMIO:
    case KVM_UNREGISTER_COALESCED_MMIO:
    case KVM_REINJECT_CONTROL:
        return 0;
    case KVM_CREATE_DEVICE:
        return -ENODEV;
    case KVM_HAS_DEVICE_ATTR:
    case KVM_GET_DEVICE_ATTR:
        return -ENXIO;
    }
    record("vm", "unhandled ioctl 0x%lx", req);
    return -ENOTTY;
}

/* ---- vCPU fd ---- */

static int cmp_entry(const void *a, const void *b)
{
    const struct kvm_cpuid_entry2 *x = a, *y = b;

    if (x->function != y->function) {
        return x->function < y->function ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

static void record_cpuid(const char *scope, const struct kvm_cpuid2 *c)
{
    struct kvm_cpuid_entry2 *e = malloc(c->nent * sizeof(*e) + 1);
    uint32_t i;

    /* QEMU's order carries no meaning for KVM: record them sorted */
    memcpy(e, c->entries, c->nent * sizeof(*e));
    qsort(e, c->nent, sizeof(*e), cmp_entry);
    record(scope, "set_cpuid2 nent=%u", c->nent);
    for (i = 0; i < c->nent; i++) {
        record(scope, "cpuid 0x%08x.%u flags=%u eax=0x%08x ebx=0x%08x "
               "ecx=0x%08x edx=0x%08x", e[i].function, e[i].index,
               e[i].flags, e[i].eax, e[i].ebx, e[i].ecx, e[i].edx);
    }
    free(e);
}

static bool is_hv_msr(uint32_t index)
{
    return index >= 0x40000000 && index <= 0x400001ff;
}

/*
 * Whether KVM_SET_MSRS/KVM_GET_MSRS take this MSR.  For the Hyper-V range,
 * what kvm_hv_set_msr_common()/kvm_hv_get_msr_common() handle in v5.10 to
 * v6.1 (partition-wide and per-VP MSRs, SynIC, timers, crash,
 * reenlightenment, TSC emulation, syndbg since v5.8); nothing with
 * CONFIG_KVM_HYPERV=n, where kvm_set_msr_common() fails them like any
 * unknown MSR.  The kernel
 * stops at the first MSR it fails and returns how many it processed.
 */
static bool msr_accepted(uint32_t index)
{
    if (fk.real || !is_hv_msr(index)) {
        return true;
    }
    if (fk.host->no_hyperv) {
        return false;
    }
    if ((index >= 0x400000f1 && index <= 0x400000f5) || index == 0x400000ff) {
        return !fk.host->no_syndbg;                         /* syndbg */
    }
    return index <= 0x4000009f ||                           /* ... SINT15 */
           (index >= 0x400000b0 && index <= 0x400000b7) ||  /* stimers */
           (index >= 0x40000100 && index <= 0x40000108);    /* crash, */
                                                            /* reenl., TSC */
}

static int set_msrs(const char *scope, Vcpu *v, struct kvm_msrs *m)
{
    uint64_t digest = 0xcbf29ce484222325ull;
    uint32_t i, other = 0;

    for (i = 0; i < m->nmsrs; i++) {
        uint32_t index = m->entries[i].index;
        uint64_t data = m->entries[i].data;

        if (!msr_accepted(index)) {
            record(scope, "set_msr 0x%08x=0x%" PRIx64 " refused", index,
                   data);
            break;
        }
        msr_find(v, index, true)->value = data;
        if (is_hv_msr(index)) {
            record(scope, "set_msr 0x%08x=0x%" PRIx64, index, data);
        } else {
            /* FNV-1a over the other MSRs: compact, still catches changes */
            digest = (digest ^ index) * 0x100000001b3ull;
            digest = (digest ^ data) * 0x100000001b3ull;
            other++;
        }
    }
    if (other) {
        record(scope, "set_msrs other=%u digest=%016" PRIx64, other, digest);
    }
    return i;
}

static int get_msrs(Vcpu *v, struct kvm_msrs *m)
{
    uint32_t i;

    for (i = 0; i < m->nmsrs; i++) {
        Msr *msr;

        if (!msr_accepted(m->entries[i].index)) {
            break;
        }
        msr = msr_find(v, m->entries[i].index, false);
        m->entries[i].data = msr ? msr->value : 0;
    }
    return i;
}

/* The guest ran: it set what FAKE_KVM_GUEST_MSRS says */
static void guest_ran(const char *scope, Vcpu *v)
{
    int i;

    if (v->ran) {
        return;
    }
    v->ran = true;
    record(scope, "runs");
    for (i = 0; i < fk.n_guest_msrs; i++) {
        msr_find(v, fk.guest_msrs[i].index, true)->value =
            fk.guest_msrs[i].value;
    }
}

/* A running guest with nothing to do: return when QEMU kicks the vCPU */
static int run_idle(Vcpu *v)
{
    struct timespec ts = { 0, 1000000 };

    pthread_mutex_unlock(&fk.lock);
    while (!__atomic_load_n(&v->run->immediate_exit, __ATOMIC_ACQUIRE)) {
        if (nanosleep(&ts, NULL) < 0 && errno == EINTR) {
            break;
        }
    }
    pthread_mutex_lock(&fk.lock);
    return -EINTR;
}

static void record_hex(const char *scope, const char *what, uint64_t gpa,
                       const uint8_t *p, uint64_t len)
{
    char hex[2 * 256 + 1];
    uint64_t off, i;

    for (off = 0; off < len; off += 256) {
        uint64_t n = len - off < 256 ? len - off : 256;

        for (i = 0; i < n; i++) {
            snprintf(hex + 2 * i, 3, "%02x", p[off + i]);
        }
        hex[2 * n] = 0;
        record(scope, "%s 0x%" PRIx64 " %s", what, gpa + off, hex);
    }
}

/* What QEMU made of the exit it was handed last */
static void record_outcome(const char *scope, Vcpu *v)
{
    struct kvm_run *run = v->run;
    Step *s;

    if (v->pending < 0) {
        return;
    }
    s = &fk.steps[v->pending];
    v->pending = -1;
    if (!strcmp(s->op, "hcall")) {
        record(scope, "  -> result=0x%llx",
               (unsigned long long)run->hyperv.u.hcall.result);
    } else if (!strcmp(s->op, "syndbg")) {
        record(scope, "  -> status=0x%llx",
               (unsigned long long)run->hyperv.u.syndbg.status);
    } else {
        record(scope, "  -> re-entered");
    }
}

static int vcpu_run(const char *scope, Vcpu *v)
{
    struct kvm_run *run = v->run;

    guest_ran(scope, v);
    record_outcome(scope, v);
    if (run->immediate_exit) {
        return -EINTR;
    }
    while (v->id == 0 && v->step < fk.n_steps) {
        Step *s = &fk.steps[v->step++];

        if (!strcmp(s->op, "mem")) {
            size_t n = strlen(s->hex) / 2, i;
            uint8_t *p = gpa_to_hva(s->arg[0], n);

            if (!p) {
                fatal("mem: GPA 0x%" PRIx64 " is not RAM", s->arg[0]);
            }
            for (i = 0; i < n; i++) {
                unsigned int b;

                sscanf(s->hex + 2 * i, "%2x", &b);
                p[i] = b;
            }
            continue;
        }
        if (!strcmp(s->op, "dump")) {
            uint8_t *p = gpa_to_hva(s->arg[0], s->arg[1]);

            if (!p) {
                fatal("dump: GPA 0x%" PRIx64 " is not RAM", s->arg[0]);
            }
            record_hex(scope, "mem", s->arg[0], p, s->arg[1]);
            continue;
        }
        if (!strcmp(s->op, "waitmem")) {
            uint32_t *p = gpa_to_hva(s->arg[0], 4);
            struct timespec ts = { 0, 1000000 };

            if (!p) {
                fatal("waitmem: GPA 0x%" PRIx64 " is not RAM", s->arg[0]);
            }
            pthread_mutex_unlock(&fk.lock);
            /* QEMU writes the guest's memory from another thread */
            while (!__atomic_load_n(p, __ATOMIC_ACQUIRE) &&
                   v->wait_ms < 5000 &&
                   !__atomic_load_n(&run->immediate_exit, __ATOMIC_ACQUIRE)) {
                nanosleep(&ts, NULL);
                v->wait_ms++;
            }
            pthread_mutex_lock(&fk.lock);
            if (!*p && v->wait_ms < 5000) {
                /*
                 * QEMU kicked the vCPU: what it waits for may be work
                 * queued on this very vCPU (SynIC messages are delivered
                 * from the target vCPU's thread).  Let it run, come back.
                 */
                v->step--;
                return -EINTR;
            }
            record(scope, "waitmem 0x%" PRIx64 " %s", s->arg[0],
                   *p ? "written" : "timeout");
            v->wait_ms = 0;
            continue;
        }
        if (!strcmp(s->op, "idle")) {
            return run_idle(v);
        }
        if (!strcmp(s->op, "shutdown")) {
            record(scope, "exit shutdown");
            run->exit_reason = KVM_EXIT_SHUTDOWN;
            return 0;
        }
        memset(&run->hyperv, 0, sizeof(run->hyperv));
        run->exit_reason = KVM_EXIT_HYPERV;
        v->pending = s - fk.steps;
        if (!strcmp(s->op, "hcall")) {
            run->hyperv.type = KVM_EXIT_HYPERV_HCALL;
            run->hyperv.u.hcall.input = s->arg[0];
            run->hyperv.u.hcall.params[0] = s->arg[1];
            run->hyperv.u.hcall.params[1] = s->arg[2];
            record(scope, "exit hcall input=0x%" PRIx64 " params=0x%" PRIx64
                   ",0x%" PRIx64, s->arg[0], s->arg[1], s->arg[2]);
            return 0;
        }
        if (!strcmp(s->op, "synic")) {
            run->hyperv.type = KVM_EXIT_HYPERV_SYNIC;
            run->hyperv.u.synic.msr = s->arg[0];
            run->hyperv.u.synic.control = s->arg[1];
            run->hyperv.u.synic.evt_page = s->arg[2];
            run->hyperv.u.synic.msg_page = s->arg[3];
            record(scope, "exit synic msr=0x%" PRIx64 " control=0x%" PRIx64
                   " evt=0x%" PRIx64 " msg=0x%" PRIx64, s->arg[0], s->arg[1],
                   s->arg[2], s->arg[3]);
            return 0;
        }
        if (!strcmp(s->op, "syndbg")) {
            run->hyperv.type = KVM_EXIT_HYPERV_SYNDBG;
            run->hyperv.u.syndbg.msr = s->arg[0];
            run->hyperv.u.syndbg.control = s->arg[1];
            run->hyperv.u.syndbg.send_page = s->arg[2];
            run->hyperv.u.syndbg.recv_page = s->arg[3];
            run->hyperv.u.syndbg.pending_page = s->arg[4];
            record(scope, "exit syndbg msr=0x%" PRIx64 " control=0x%" PRIx64
                   " send=0x%" PRIx64 " recv=0x%" PRIx64 " pending=0x%"
                   PRIx64, s->arg[0], s->arg[1], s->arg[2], s->arg[3],
                   s->arg[4]);
            return 0;
        }
        fatal("unknown script step '%s'", s->op);
    }
    return run_idle(v);
}

/* KVM_SET_x and KVM_GET_x pairs whose state QEMU reads back */
static const struct {
    unsigned long set, get;
} state_ioctls[] = {
    { KVM_SET_REGS, KVM_GET_REGS },
    { KVM_SET_SREGS, KVM_GET_SREGS },
    { KVM_SET_SREGS2, KVM_GET_SREGS2 },
    { KVM_SET_FPU, KVM_GET_FPU },
    { KVM_SET_XSAVE, KVM_GET_XSAVE },
    { KVM_SET_XCRS, KVM_GET_XCRS },
    { KVM_SET_LAPIC, KVM_GET_LAPIC },
    { KVM_SET_MP_STATE, KVM_GET_MP_STATE },
    { KVM_SET_VCPU_EVENTS, KVM_GET_VCPU_EVENTS },
    { KVM_SET_DEBUGREGS, KVM_GET_DEBUGREGS },
};

static int vcpu_ioctl(Vcpu *v, unsigned long req, void *arg)
{
    char scope[16];
    size_t i;

    vcpu_scope(v, scope, sizeof(scope));
    for (i = 0; i < sizeof(state_ioctls) / sizeof(state_ioctls[0]); i++) {
        if (req == state_ioctls[i].set) {
            blob_set(v->blobs, state_ioctls[i].get, arg, _IOC_SIZE(req));
            return 0;
        }
        if (req == state_ioctls[i].get) {
            blob_get(v->blobs, req, arg, _IOC_SIZE(req));
            return 0;
        }
    }
    switch (req) {
    case KVM_RUN:
        return vcpu_run(scope, v);
    case KVM_SET_CPUID2:
        record_cpuid(scope, arg);
        return 0;
    case KVM_GET_SUPPORTED_HV_CPUID:
        return get_hv_cpuid(scope, v, arg);
    case KVM_ENABLE_CAP: {
        struct kvm_enable_cap *cap = arg;

        record_enable_cap(scope, cap);
        if (!fake_host_check_extension(fk.host, cap->cap)) {
            return -EINVAL;
        }
        if (cap->cap == KVM_CAP_HYPERV_ENLIGHTENED_VMCS) {
            const FakeHostProfile *p = fk.host;

            v->evmcs_enabled = true;
            /* nested_get_evmcs_version(): 1..1 with VMX exposed, else 0 */
            if (cap->args[0]) {
                *(uint16_t *)(uintptr_t)cap->args[0] =
                    p->nested && !p->amd ? 0x0101 : 0;
            }
        }
        return 0;
    }
    case KVM_SET_MSRS:
        return set_msrs(scope, v, arg);
    case KVM_GET_MSRS:
        return get_msrs(v, arg);
    case KVM_SET_NESTED_STATE: {
        struct kvm_nested_state *n = arg;

        blob_set(v->blobs, KVM_GET_NESTED_STATE, n,
                 n->size < 65536 ? n->size : 65536);
        return 0;
    }
    case KVM_GET_NESTED_STATE: {
        struct kvm_nested_state *n = arg;
        uint32_t room = n->size;

        blob_get(v->blobs, KVM_GET_NESTED_STATE, n, room);
        if (!n->size) {
            n->size = sizeof(*n);
        }
        return 0;
    }
    case KVM_GET_TSC_KHZ:
        return 2400000;
    case KVM_SET_TSC_KHZ:
        record(scope, "set_tsc_khz %lu", (unsigned long)arg);
        return 0;
    case KVM_SET_SIGNAL_MASK:
    case KVM_X86_SETUP_MCE:
    case KVM_X86_SET_MCE:
    case KVM_TPR_ACCESS_REPORTING:
    case KVM_SET_VAPIC_ADDR:
    case KVM_KVMCLOCK_CTRL:
    case KVM_SET_GUEST_DEBUG:
    case KVM_NMI:
    case KVM_SMI:
    case KVM_INTERRUPT:
        return 0;
    case KVM_GET_STATS_FD:
        return -ENOTTY;
    }
    record(scope, "unhandled ioctl 0x%lx", req);
    return -ENOTTY;
}

/*
 * FAKE_KVM_PROFILE=real: the kernel answers; record what QEMU asked of it.
 * KVM_RUN and everything else pass straight through, without the lock.
 */
static int real_ioctl(int fd, unsigned long req, void *arg)
{
    FdKind kind = fk.kind[fd];
    Vcpu *v = kind == FD_VCPU ? fk.vcpu_of_fd[fd] : NULL;
    char scope[16] = "sys";
    int r;

    if (kind == FD_VM) {
        snprintf(scope, sizeof(scope), "vm");
    } else if (v) {
        vcpu_scope(v, scope, sizeof(scope));
    }
    if (req == KVM_SET_CPUID2) {
        record_cpuid(scope, arg);
    } else if (req == KVM_ENABLE_CAP) {
        record_enable_cap(scope, arg);
    } else if (req == KVM_HYPERV_EVENTFD) {
        struct kvm_hyperv_eventfd *e = arg;

        record(scope, "hyperv_eventfd conn=%u flags=0x%x", e->conn_id,
               e->flags);
    } else if (req == KVM_SET_TSC_KHZ) {
        record(scope, "set_tsc_khz %lu", (unsigned long)arg);
    }
    r = syscall(SYS_ioctl, fd, req, arg);
    if (r < 0) {
        return -errno;
    }
    pthread_mutex_lock(&fk.lock);
    if (req == KVM_CREATE_VM && r < MAX_FDS) {
        fk.kind[r] = FD_VM;
        record("vm", "create type=%lu", (unsigned long)arg);
    } else if (req == KVM_CREATE_VCPU && r < MAX_FDS &&
               (unsigned long)arg < MAX_VCPUS) {
        v = calloc(1, sizeof(*v));
        v->id = (unsigned long)arg;
        v->fd = r;
        v->pending = -1;
        fk.vcpus[v->id] = v;
        fk.vcpu_of_fd[r] = v;
        fk.kind[r] = FD_VCPU;
        record("vm", "create_vcpu %lu", (unsigned long)arg);
    } else if (req == KVM_SET_MSRS && v) {
        struct kvm_msrs *m = arg;
        uint32_t n = m->nmsrs;

        /* What the kernel took: the first r entries */
        m->nmsrs = r;
        set_msrs(scope, v, m);
        m->nmsrs = n;
    } else if (req == KVM_GET_SUPPORTED_HV_CPUID) {
        record(scope, "get_supported_hv_cpuid -> ok");
    } else if (req == KVM_SET_GSI_ROUTING) {
        struct kvm_irq_routing *rt = arg;
        uint32_t i;

        for (i = 0; i < rt->nr; i++) {
            if (rt->entries[i].type == KVM_IRQ_ROUTING_HV_SINT) {
                record("vm", "route gsi=%u hv_sint vcpu=%u sint=%u",
                       rt->entries[i].gsi, rt->entries[i].u.hv_sint.vcpu,
                       rt->entries[i].u.hv_sint.sint);
            }
        }
    }
    pthread_mutex_unlock(&fk.lock);
    return r;
}

int ioctl(int fd, unsigned long req, ...)
{
    void *arg;
    va_list ap;
    int r;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (fd < 0 || fd >= MAX_FDS ||
        __atomic_load_n(&fk.kind[fd], __ATOMIC_RELAXED) == FD_NONE) {
        return syscall(SYS_ioctl, fd, req, arg);
    }
    if (fk.real) {
        r = real_ioctl(fd, req, arg);
        if (r < 0) {
            errno = -r;
            return -1;
        }
        return r;
    }
    pthread_mutex_lock(&fk.lock);
    /* Again under the lock: another thread may have closed it meanwhile */
    switch (fk.kind[fd]) {
    case FD_SYS:
        r = sys_ioctl(fd, req, arg);
        break;
    case FD_VM:
        r = vm_ioctl(fd, req, arg);
        break;
    case FD_VCPU:
        r = vcpu_ioctl(fk.vcpu_of_fd[fd], req, arg);
        break;
    default:
        r = -EBADF;
        break;
    }
    pthread_mutex_unlock(&fk.lock);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return r;
}

