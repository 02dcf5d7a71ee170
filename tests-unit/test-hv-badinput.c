/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: unit tests for what the bad-input qtest
 * (tests-qtest/hv-badinput-test.c) found in the core.
 */

#include "hv-fake.h"

#define S_SUCCESS       0x0000
#define S_INPUT         0x0003  /* HV_STATUS_INVALID_HYPERCALL_INPUT */
#define C_FLUSH_SPACE   0x0002
#define F_FLUSH         (BIT64(5) | BIT64(11))  /* hv-vpindex, hv-tlbflush */
#define IN              0x10000ull

/*
 * Control bit 31 (IsNested) is reserved for a guest that is no nested
 * hypervisor: KVM's HV_HYPERCALL_RSVD0_MASK is 31:27.  It used to be
 * taken for an ordinary call.
 */
static void test_control_bit31(void)
{
    Fake *f = fake_new(F_FLUSH, 4);

    fake_put64(f, IN + 8, 1);           /* HV_FLUSH_ALL_PROCESSORS */
    check_hex64("RAX", fake_call64(f, C_FLUSH_SPACE | 1ull << 31, IN, 0),
                S_INPUT);
    check_hex64("RAX unknown", fake_call64(f, 0x0001 | 1ull << 31, IN, 0),
                S_INPUT);
    g_assert_cmpuint(f->flush_count + f->n_reads, ==, 0);
    check_hex64("RAX", fake_call64(f, C_FLUSH_SPACE, IN, 0), S_SUCCESS);
    g_assert_cmpuint(f->flush_count, ==, 1);
    fake_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hv/badinput/control-bit31", test_control_bit31);
    return g_test_run();
}
