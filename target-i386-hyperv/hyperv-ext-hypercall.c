/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the QEMU side of the extended hypercalls (hv-ext-hypercalls),
 * the same for TCG (the partition's HvOps) and KVM (KVM_EXIT_HYPERV_HCALL).
 *
 * HvExtCallMemoryHeatHint, cold discard: the guest says it no longer
 * needs a range of its RAM (Linux's hv_balloon reports its free pages so),
 * and QEMU gives the host memory behind it back with
 * ram_block_discard_range(), as virtio-balloon's free page reporting does.
 * Only guest RAM is accepted (a memory backend's, writable; no ROM, MMIO,
 * RAM devices or holes).  Where discarding is not allowed (a
 * ram_block_discard_disable() user such as VFIO, incoming postcopy, a
 * background snapshot) or cannot work (private file mappings, whose file
 * it would change; a backend that failed once), the hint is dropped: the
 * guest still gets success, and QueryCapabilities stops offering cold
 * discard.  Discarded pages read as zero, and are marked dirty for
 * migration so that a migration under way sends them as zero too.
 *
 * HvExtCallGetBootZeroedMemory: the guest RAM that reads as zero at the
 * time of the call (TLFS).  QEMU does not track every writer of guest RAM
 * (firmware, option ROMs, -kernel / -initrd, -device loader, DMA, the
 * guest itself before the call, whatever a guest reset left behind, as
 * QEMU does not clear RAM on reset), so it looks at the RAM itself: in an
 * anonymous private mapping a page the host never populated (or one that
 * was discarded) is zero without being read (/proc/self/pagemap), and a
 * populated page is zero if its contents are.  In file or shared
 * mappings only populated pages are looked at.  Nothing during incoming
 * postcopy, whose missing pages are not zero; nothing when pagemap cannot
 * be read.  The biggest ranges come first.
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "exec/ram_addr.h"
#include "system/hostmem.h"
#include "migration/misc.h"
#include "cpu.h"
#include "hyperv-ext-hypercall.h"
#include "hyperv-gpa.h"

#define EXT_PAGE            4096ull

static HvExtStats ext_stats;
/* A cold discard failed on this host: stop trying (and offering) them */
static bool ext_discard_broken;

const HvExtStats *hyperv_ext_stats(void)
{
    return &ext_stats;
}

/*
 * The first section of system memory that intersects [@gpa, @gpa + @len),
 * referenced; .mr is NULL when there is none
 */
static MemoryRegionSection find_section(uint64_t gpa, uint64_t len)
{
    return memory_region_find(get_system_memory(), gpa, len);
}

/* Guest RAM a guest may hint about and read back as zero */
static bool section_is_guest_ram(const MemoryRegionSection *s)
{
    MemoryRegion *mr = s->mr;

    return mr && int128_nz(s->size) && memory_region_is_ram(mr) &&
           !memory_region_is_ram_device(mr) && !memory_region_is_rom(mr) &&
           !memory_region_is_romd(mr) && !s->readonly && mr->ram_block &&
           mr->owner && object_dynamic_cast(mr->owner, TYPE_MEMORY_BACKEND);
}

static bool ext_can_discard(void *opaque)
{
    /* virtio-balloon's rule: postcopy cannot take concurrent discards */
    return !ext_discard_broken && !ram_block_discard_is_disabled() &&
           !migration_in_incoming_postcopy() && !migration_in_bg_snapshot();
}

/* Discard the host pages wholly inside @len bytes of @s from @off on */
static uint64_t discard_section(MemoryRegionSection *s, uint64_t off,
                                uint64_t len)
{
    MemoryRegion *mr = s->mr;
    RAMBlock *rb = mr->ram_block;
    uint64_t mr_off = s->offset_within_region + off;
    uint64_t rb_off, ps, start, end;
    uint8_t *host;

    host = (uint8_t *)memory_region_get_ram_ptr(mr) + mr_off;
    rb_off = host - (uint8_t *)qemu_ram_get_host_addr(rb);
    ps = qemu_ram_pagesize(rb);
    start = ROUND_UP(rb_off, ps);
    end = QEMU_ALIGN_DOWN(rb_off + len, ps);
    if (end <= start) {
        return 0;
    }
    /* Writing the file behind a private mapping would change the file */
    if (qemu_ram_get_fd(rb) >= 0 && !qemu_ram_is_shared(rb)) {
        return 0;
    }
    if (ram_block_discard_range(rb, start, end - start) < 0) {
        ext_discard_broken = true;
        return 0;
    }
    /* A migration under way sends them again, as the zeroes they are now */
    cpu_physical_memory_set_dirty_range(qemu_ram_get_offset(rb) + start,
                                        end - start,
                                        1 << DIRTY_MEMORY_MIGRATION);
    return end - start;
}

static uint16_t ext_memory_heat_hint(void *opaque, unsigned type,
                                     uint64_t gpa, uint64_t len)
{
    uint64_t cur, end = gpa + len, done = 0;

    BQL_LOCK_GUARD();
    /* First the whole range must be guest RAM */
    for (cur = gpa; cur < end;) {
        MemoryRegionSection s = find_section(cur, end - cur);
        bool ok = s.mr && s.offset_within_address_space == cur &&
                  section_is_guest_ram(&s);

        if (s.mr) {
            memory_region_unref(s.mr);
        }
        if (!ok) {
            return HV_STATUS_INVALID_PARAMETER;
        }
        cur += MIN(int128_get64(s.size), end - cur);
    }
    ext_stats.heat_hints++;
    /* Hot and cold are hints QEMU has no use for */
    if (type != HV_EXT_MEMORY_HEAT_HINT_COLD_DISCARD) {
        return HV_STATUS_SUCCESS;
    }
    if (!ext_can_discard(NULL)) {
        ext_stats.dropped_bytes += len;
        return HV_STATUS_SUCCESS;
    }
    for (cur = gpa; cur < end;) {
        MemoryRegionSection s = find_section(cur, end - cur);
        uint64_t chunk = MIN(int128_get64(s.size), end - cur);

        done += discard_section(&s, 0, chunk);
        memory_region_unref(s.mr);
        cur += chunk;
    }
    ext_stats.discarded_bytes += done;
    ext_stats.dropped_bytes += len - done;
    return HV_STATUS_SUCCESS;
}

/*
 * Boot-zeroed memory: runs of zero pages, of which the biggest are kept
 */
typedef struct ZeroRun {
    uint64_t page, count;
} ZeroRun;

typedef struct ZeroScan {
    int pagemap_fd;
    GArray *runs;
    uint64_t run_page, run_count;
} ZeroScan;

static void scan_flush(ZeroScan *z)
{
    if (z->run_count) {
        ZeroRun r = { z->run_page, z->run_count };

        g_array_append_val(z->runs, r);
    }
    z->run_count = 0;
}

static void scan_page(ZeroScan *z, uint64_t page, bool zero)
{
    if (!zero) {
        scan_flush(z);
        return;
    }
    if (z->run_count && z->run_page + z->run_count == page) {
        z->run_count++;
        return;
    }
    scan_flush(z);
    z->run_page = page;
    z->run_count = 1;
}

#define PM_PRESENT          (1ull << 63)
#define PM_SWAPPED          (1ull << 62)
#define PM_BATCH            512

/* The pages of guest RAM section @s, @gpa to @gpa + @len, 4 KiB aligned */
static bool scan_section(ZeroScan *z, MemoryRegionSection *s, uint64_t gpa,
                         uint64_t len)
{
    RAMBlock *rb = s->mr->ram_block;
    bool anon_private = qemu_ram_get_fd(rb) < 0 && !qemu_ram_is_shared(rb);
    uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(s->mr) +
                    s->offset_within_region + (gpa -
                    s->offset_within_address_space);
    uint64_t pm[PM_BATCH];
    uint64_t i, n;

    /* pagemap speaks of host pages: a 4 KiB guest page is one of them */
    if (qemu_real_host_page_size() != EXT_PAGE ||
        ((uintptr_t)host & (EXT_PAGE - 1))) {
        return false;
    }
    for (i = 0; i < len / EXT_PAGE; i += n) {
        uint64_t j;
        ssize_t got;

        n = MIN(PM_BATCH, len / EXT_PAGE - i);
        got = pread(z->pagemap_fd, pm, n * 8,
                    ((uintptr_t)host / EXT_PAGE + i) * 8);
        if (got != n * 8) {
            return false;
        }
        for (j = 0; j < n; j++) {
            uint8_t *p = host + (i + j) * EXT_PAGE;
            bool zero;

            if (pm[j] & PM_PRESENT) {
                zero = buffer_is_zero(p, EXT_PAGE);
            } else {
                zero = anon_private && !(pm[j] & PM_SWAPPED);
            }
            scan_page(z, gpa / EXT_PAGE + i + j, zero);
        }
    }
    return true;
}

static gint run_bigger_first(gconstpointer a, gconstpointer b)
{
    const ZeroRun *ra = a, *rb = b;

    if (ra->count != rb->count) {
        return ra->count > rb->count ? -1 : 1;
    }
    return ra->page < rb->page ? -1 : ra->page > rb->page;
}

static unsigned ext_boot_zeroed_memory(void *opaque, uint64_t (*ranges)[2],
                                       unsigned max)
{
    ZeroScan z = { .pagemap_fd = -1 };
    uint64_t cur = 0, end = 1ull << 52, pages = 0;
    unsigned n = 0, i;
    bool ok = true;

    BQL_LOCK_GUARD();
    ext_stats.boot_zeroed_calls++;
    ext_stats.boot_zeroed_pages = 0;
    /* Pages postcopy has not brought yet are missing, not zero */
    if (migration_in_incoming_postcopy()) {
        return 0;
    }
    z.pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
    if (z.pagemap_fd < 0) {
        return 0;
    }
    z.runs = g_array_new(false, false, sizeof(ZeroRun));
    while (ok && cur < end) {
        MemoryRegionSection s = find_section(cur, end - cur);
        uint64_t start, stop;

        if (!s.mr) {
            break;
        }
        start = ROUND_UP(s.offset_within_address_space, EXT_PAGE);
        stop = QEMU_ALIGN_DOWN(MIN(s.offset_within_address_space +
                                   int128_get64(s.size), end), EXT_PAGE);
        if (section_is_guest_ram(&s) && stop > start) {
            ok = scan_section(&z, &s, start, stop - start);
        }
        scan_flush(&z);
        cur = s.offset_within_address_space + int128_get64(s.size);
        memory_region_unref(s.mr);
        if (!int128_get64(s.size)) {
            break;
        }
    }
    scan_flush(&z);
    close(z.pagemap_fd);
    if (ok) {
        g_array_sort(z.runs, run_bigger_first);
        for (i = 0; i < z.runs->len && n < max; i++, n++) {
            ZeroRun *r = &g_array_index(z.runs, ZeroRun, i);

            ranges[n][0] = r->page;
            ranges[n][1] = r->count;
            pages += r->count;
        }
        ext_stats.boot_zeroed_pages = pages;
    }
    g_array_free(z.runs, true);
    return ok ? n : 0;
}

void hyperv_ext_hypercall_ops(HvOps *ops)
{
    ops->memory_heat_hint = ext_memory_heat_hint;
    ops->can_discard = ext_can_discard;
    ops->boot_zeroed_memory = ext_boot_zeroed_memory;
}

uint64_t hyperv_ext_hypercall_kvm(X86CPU *cpu, uint64_t control,
                                  uint64_t ingpa, uint64_t outgpa)
{
    HvOps ops = {
        .read_gpa = hyperv_read_gpa,
        .write_gpa = hyperv_write_gpa,
    };

    hyperv_ext_hypercall_ops(&ops);
    return hv_ext_hypercall(cpu->hyperv_features, &ops, control, ingpa,
                            outgpa);
}
