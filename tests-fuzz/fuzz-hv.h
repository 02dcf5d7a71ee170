/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the entry point of the Hyper-V core fuzz harness
 * (fuzz-hv.c), called by libFuzzer or by the replay driver (replay.c).
 */

#ifndef TESTS_FUZZ_FUZZ_HV_H
#define TESTS_FUZZ_FUZZ_HV_H

#include <stddef.h>
#include <stdint.h>

/* Run one input; aborts when the core breaks an invariant */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
