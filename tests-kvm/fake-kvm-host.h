/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv KVM tests: the host profiles of the recording fake /dev/kvm.
 *
 * A profile is what one real host kernel tells QEMU: its KVM_CHECK_EXTENSION
 * answers, KVM_GET_SUPPORTED_CPUID, KVM_GET_SUPPORTED_HV_CPUID and the MSR
 * index list.  The Hyper-V part (capabilities and leaves) is taken as is
 * from tests-unit/kvm-fixtures.h, the fixtures the model's unit tests use,
 * so the fake and the unit tests describe the same kernels.
 */

#ifndef TESTS_KVM_FAKE_KVM_HOST_H
#define TESTS_KVM_FAKE_KVM_HOST_H

#include <stdbool.h>
#include <stdint.h>

typedef struct FakeCpuidEntry {
    uint32_t function;
    uint32_t index;
    uint32_t flags;
    uint32_t eax, ebx, ecx, edx;
} FakeCpuidEntry;

typedef struct FakeHostProfile {
    const char *name;
    const char *desc;
    /* Hyper-V: capabilities and KVM_GET_SUPPORTED_HV_CPUID (the fixture) */
    const void *hv_host;            /* const HvKvmHost * */
    /* Linux >= 6.8 with CONFIG_KVM_HYPERV=n: no HV MSRs, no eventfd cap */
    bool no_hyperv;
    /* Before Linux 5.8: no synthetic debugger MSRs */
    bool no_syndbg;
    /* VMX or SVM exposed to guests (kvm_intel.nested / kvm_amd.nested) */
    bool nested;
    bool amd;
    /* KVM_CAP_MAX_VCPUS (KVM_MAX_VCPUS of that kernel) */
    int max_vcpus;
} FakeHostProfile;

const FakeHostProfile *fake_host_profile(const char *name);
void fake_host_profiles_list(void);

/* KVM_GET_SUPPORTED_CPUID of the profile's CPU, without Hyper-V leaves */
int fake_host_cpuid(const FakeHostProfile *p, FakeCpuidEntry *out, int max);

/* KVM_GET_MSR_INDEX_LIST */
int fake_host_msrs(const FakeHostProfile *p, uint32_t *out, int max);

/* KVM_CHECK_EXTENSION on the system or VM fd */
long fake_host_check_extension(const FakeHostProfile *p, unsigned long cap);

/* KVM_GET_SUPPORTED_HV_CPUID; -1 when the kernel has no such ioctl */
int fake_host_hv_cpuid(const FakeHostProfile *p, FakeCpuidEntry *out,
                       int max);

#endif
