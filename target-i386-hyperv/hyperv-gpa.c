/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: guest memory for the Hyper-V core.  The hypercall page, the
 * TSC page, the SynIC pages and hypercall parameters must be ordinary
 * memory: MMIO, ROM or holes get the TLFS error instead (a write to ROM
 * would otherwise be dropped silently, an MMIO access reach a device).
 */

#include "qemu/osdep.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hyperv-gpa.h"

/* Is [@gpa, @gpa + @len) guest RAM (writable RAM when @write)? */
static bool gpa_range_is_ram(uint64_t gpa, uint64_t len, bool write)
{
    RCU_READ_LOCK_GUARD();

    while (len) {
        hwaddr xlat, chunk = len;
        MemoryRegion *mr;

        mr = address_space_translate(&address_space_memory, gpa, &xlat,
                                     &chunk, write, MEMTXATTRS_UNSPECIFIED);
        if (!memory_region_is_ram(mr) || memory_region_is_ram_device(mr) ||
            (write && memory_region_is_rom(mr)) || !chunk) {
            return false;
        }
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

bool hyperv_read_gpa(void *opaque, uint64_t gpa, void *buf, uint64_t len)
{
    return gpa_range_is_ram(gpa, len, false) &&
           address_space_read(&address_space_memory, gpa,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

bool hyperv_write_gpa(void *opaque, uint64_t gpa, const void *buf,
                      uint64_t len)
{
    return gpa_range_is_ram(gpa, len, true) &&
           address_space_write(&address_space_memory, gpa,
                               MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}
