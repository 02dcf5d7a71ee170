/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: hooks the x86 CPU model calls into the Hyper-V model.
 */

#ifndef TARGET_I386_HYPERV_HYPERV_CPU_H
#define TARGET_I386_HYPERV_HYPERV_CPU_H

#include "hv-model.h"

typedef struct ArchCPU X86CPU;
typedef struct Error Error;

/* The HvConfig described by @cpu's hv-* properties */
void hyperv_cpu_get_config(X86CPU *cpu, HvConfig *cfg);

/* Set @errp from @problems (at least one): one line per problem */
void hyperv_set_problems_error(const HvProblems *problems, Error **errp);

/* Did the user ask for any Hyper-V enlightenment? */
bool hyperv_cpu_requested(X86CPU *cpu);

/*
 * Feature expansion (x86_cpu_expand_features): hv-passthrough and the
 * dependency rules, then the accelerator's own checks.  Sets @errp and
 * returns false on an invalid combination.
 */
bool hyperv_expand_features(X86CPU *cpu, Error **errp);

/*
 * Feature filtering (x86_cpu_filter_features): drop what the accelerator
 * cannot provide, with QEMU's "TCG doesn't support requested feature"
 * warning (once per property) when @verbose.  Under an accelerator with
 * no Hyper-V backend (neither KVM nor TCG) that is everything, including
 * hv-spinlocks and hv-passthrough.  Returns true if anything was dropped;
 * the dropped features are in X86CPU::hyperv_filtered_features.
 */
bool hyperv_filter_features(X86CPU *cpu, bool verbose);

/*
 * CPUID for the guest when QEMU implements Hyper-V itself (TCG only; the
 * caller checks): fills the registers and returns true for the Hyper-V
 * leaves and the relocated "TCGTCGTCGTCG" leaf 0x40000100; returns false
 * for anything else.
 */
bool hyperv_cpuid(X86CPU *cpu, uint32_t index, uint32_t *eax, uint32_t *ebx,
                  uint32_t *ecx, uint32_t *edx);

#endif
