/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: guest memory as the Hyper-V core may use it (hyperv-gpa.c),
 * for the TCG partition and the KVM exit path alike.
 */

#ifndef TARGET_I386_HYPERV_HYPERV_GPA_H
#define TARGET_I386_HYPERV_HYPERV_GPA_H

/*
 * HvOps.read_gpa / write_gpa: guest RAM only (writable RAM for a write);
 * false, touching nothing, for MMIO, ROM or holes anywhere in the range
 */
bool hyperv_read_gpa(void *opaque, uint64_t gpa, void *buf, uint64_t len);
bool hyperv_write_gpa(void *opaque, uint64_t gpa, const void *buf,
                      uint64_t len);

#endif
