/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Result protocol between the qemu-hyperv guest payload and the qtests
 * that boot it.
 *
 * The guest writes its results into a fixed guest-physical area; the
 * qtest polls that area through the qtest protocol (qtest_readl/memread)
 * until the guest declares itself done.  This header is included by both
 * sides: by the freestanding guest (gcc -ffreestanding, no libc) and by the
 * host-side harness (after "qemu/osdep.h"), so it may only use <stdint.h>.
 *
 * Layout (little endian, no padding surprises: every field is naturally
 * aligned and the structs have fixed sizes checked below):
 *
 *   HV_GUEST_RESULTS_GPA:  HvGuestResults header (256 bytes)
 *   followed by:           HvGuestRecord records[HV_GUEST_MAX_RECORDS]
 *
 * The guest allocates record slots with an atomic fetch-and-add on
 * nr_records, fills the slot, and only then stores committed = 1, so that
 * concurrent writers on several vCPUs never share a slot and the host can
 * tell a finished record from a half-written one.
 */
#ifndef HV_GUEST_ABI_H
#define HV_GUEST_ABI_H

#include <stdint.h>

/* Guest-physical address of the results area: 2 MiB, above the payload. */
#define HV_GUEST_RESULTS_GPA        0x200000ULL

/* "HVRESULT" as a little-endian u64: written once the header is valid. */
#define HV_GUEST_RESULTS_MAGIC      0x544c555345525648ULL

/* Bumped whenever the layout below changes. */
#define HV_GUEST_ABI_VERSION        1

#define HV_GUEST_MAX_RECORDS        4096
#define HV_GUEST_RECORD_NAME_LEN    48
#define HV_GUEST_RECORD_VALUES      4
#define HV_GUEST_TEST_NAME_LEN      32
#define HV_GUEST_MESSAGE_LEN        128

/* The ISA debugcon port the guest prints its progress to. */
#define HV_GUEST_DEBUGCON_PORT      0xe9

/* HvGuestRecord.fault_vector when the recorded operation did not fault. */
#define HV_GUEST_FAULT_NONE         0xff

/* HvGuestResults.state */
enum {
    /* RAM is zero before the guest runs, so 0 means "not started yet". */
    HV_GUEST_STATE_BOOTING = 0,
    HV_GUEST_STATE_RUNNING = 1,
    /* Final states: the guest writes nothing after these. */
    HV_GUEST_STATE_PASSED  = 2,
    HV_GUEST_STATE_FAILED  = 3,
};

/* HvGuestRecord.flags */
enum {
    /* The guest itself judged this record to be a failure. */
    HV_GUEST_RECORD_FAILED     = 1u << 0,
    /* The record describes an unexpected exception (values: see below). */
    HV_GUEST_RECORD_EXCEPTION  = 1u << 1,
};

/*
 * One named result, e.g. "cpu1.cpuid.40000003" with values[] = eax, ebx,
 * ecx, edx.  For a HV_GUEST_RECORD_EXCEPTION record the values are
 * rip, error code, cr2, cpu index.
 */
typedef struct HvGuestRecord {
    char name[HV_GUEST_RECORD_NAME_LEN];        /* NUL terminated */
    uint64_t values[HV_GUEST_RECORD_VALUES];
    uint32_t flags;                             /* HV_GUEST_RECORD_* */
    uint32_t fault_error_code;      /* valid when fault_vector != NONE */
    uint8_t fault_vector;           /* exception taken or ..._FAULT_NONE */
    uint8_t nr_values;              /* how many of values[] are meaningful */
    uint16_t cpu;                   /* logical index of the writing CPU */
    uint32_t committed;             /* 1 once the rest is written */
} HvGuestRecord;

typedef struct HvGuestResults {
    uint64_t magic;                 /* HV_GUEST_RESULTS_MAGIC */
    uint32_t abi_version;           /* HV_GUEST_ABI_VERSION */
    uint32_t state;                 /* HV_GUEST_STATE_* */
    uint32_t nr_cpus;               /* CPUs that came up, BSP included */
    uint32_t nr_records;            /* slots handed out (may exceed max) */
    uint32_t max_records;           /* HV_GUEST_MAX_RECORDS */
    uint32_t nr_failures;           /* guest-side failures reported */
    uint64_t tsc_start;             /* BSP TSC when the test started */
    uint64_t tsc_end;               /* BSP TSC when the guest finished */
    char test[HV_GUEST_TEST_NAME_LEN];      /* test name from the cmdline */
    char message[HV_GUEST_MESSAGE_LEN];     /* first failure, NUL terminated */
    uint8_t reserved[256 - 48 - HV_GUEST_TEST_NAME_LEN -
                     HV_GUEST_MESSAGE_LEN];
} HvGuestResults;

#define HV_GUEST_RECORDS_GPA \
    (HV_GUEST_RESULTS_GPA + sizeof(HvGuestResults))

_Static_assert(sizeof(HvGuestRecord) == 96, "HvGuestRecord layout");
_Static_assert(sizeof(HvGuestResults) == 256, "HvGuestResults layout");

#endif /* HV_GUEST_ABI_H */
