/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest-physical memory layout of the qemu-hyperv guest payload.
 *
 * Included from assembly (boot.S, guest.ld via cpp is not used) and C, so
 * it holds plain #defines only.
 *
 *   0x008000  AP start-up trampoline (copied here; must be < 1 MiB and
 *             4 KiB aligned for the SIPI vector).  QEMU's multiboot
 *             loader keeps its E820 map / info block at 0x9000.
 *   0x100000  payload image (text, data, bss incl. page tables); QEMU
 *             puts the multiboot command line right after it
 *   0x200000  results area (hv-guest-abi.h), ~400 KiB
 *   0x400000  per-CPU stacks, GUEST_STACK_SIZE each, indexed by arrival
 *   0x800000  page allocator for tests (alloc_pages()), up to the end of
 *             guest RAM the harness gives (-m 64 by default)
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define GUEST_LOAD_ADDR         0x100000
#define GUEST_TRAMPOLINE_ADDR   0x8000
#define GUEST_STACKS_BASE       0x400000
#define GUEST_STACK_SHIFT       14
#define GUEST_STACK_SIZE        (1 << GUEST_STACK_SHIFT)
#define GUEST_HEAP_BASE         0x800000

/* xAPIC physical destination IDs stop at 254; 128 vCPUs is plenty. */
#define GUEST_MAX_CPUS          128

/* GDT selectors (boot.S) */
#define GUEST_CS64              0x08
#define GUEST_DS                0x10
#define GUEST_CS32              0x18

#define GUEST_LAPIC_BASE        0xfee00000

#endif /* GUEST_LAYOUT_H */
