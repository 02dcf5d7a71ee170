/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLFS names the guest tests use: synthetic MSRs, hypercall codes and
 * the hypercall input value, SynIC bits, statuses and the message layouts.  Written from the
 * TLFS, independently of QEMU's and the module's headers, so that a
 * mistake there cannot hide in both the code and its test.
 */
#ifndef GUEST_HV_TLFS_H
#define GUEST_HV_TLFS_H

/* Synthetic MSRs */
#define HV_X64_MSR_GUEST_OS_ID          0x40000000
#define HV_X64_MSR_HYPERCALL            0x40000001
#define HV_X64_MSR_VP_INDEX             0x40000002
#define HV_X64_MSR_RESET                0x40000003
#define HV_X64_MSR_VP_RUNTIME           0x40000010
#define HV_X64_MSR_TIME_REF_COUNT       0x40000020
#define HV_X64_MSR_REFERENCE_TSC        0x40000021
#define HV_X64_MSR_TSC_FREQUENCY        0x40000022
#define HV_X64_MSR_APIC_FREQUENCY       0x40000023
#define HV_X64_MSR_EOI                  0x40000070
#define HV_X64_MSR_ICR                  0x40000071
#define HV_X64_MSR_TPR                  0x40000072
#define HV_X64_MSR_VP_ASSIST_PAGE       0x40000073
#define HV_X64_MSR_APIC_ASSIST_PAGE     0x40000073
#define HV_X64_MSR_SCONTROL             0x40000080
#define HV_X64_MSR_SVERSION             0x40000081
#define HV_X64_MSR_SIEFP                0x40000082
#define HV_X64_MSR_SIMP                 0x40000083
#define HV_X64_MSR_EOM                  0x40000084
#define HV_X64_MSR_SINT(n)              (0x40000090 + (n))
#define HV_X64_MSR_STIMER_CONFIG(i)     (0x400000b0 + 2 * (i))
#define HV_X64_MSR_STIMER_COUNT(i)      (0x400000b1 + 2 * (i))
#define HV_X64_MSR_CRASH_CTL            0x40000105
#define HV_X64_MSR_REENLIGHTENMENT_CONTROL 0x40000106
#define HV_X64_MSR_TSC_EMULATION_CONTROL 0x40000107
#define HV_X64_MSR_TSC_EMULATION_STATUS 0x40000108

/* SynIC */
#define HV_SYNIC_ENABLE                 1ull
#define HV_SYNIC_PAGE_ENABLE            1ull
#define HV_SINT_COUNT                   16
#define HV_SINT_MASKED                  (1ull << 16)
#define HV_SINT_AUTO_EOI                (1ull << 17)
#define HV_SINT_POLLING                 (1ull << 18)
#define HV_MESSAGE_FLAG_PENDING         1
#define HV_MESSAGE_TIMER_EXPIRED        0x80000010u

/* Hypercall codes */
#define HVCALL_FLUSH_SPACE              0x0002
#define HVCALL_FLUSH_LIST               0x0003
#define HVCALL_NOTIFY_LONG_SPIN_WAIT    0x0008
#define HVCALL_SEND_IPI                 0x000b
#define HVCALL_FLUSH_SPACE_EX           0x0013
#define HVCALL_FLUSH_LIST_EX            0x0014
#define HVCALL_SEND_IPI_EX              0x0015
#define HVCALL_POST_MESSAGE             0x005c
#define HVCALL_SIGNAL_EVENT             0x005d
#define HVCALL_POST_DEBUG_DATA          0x0069
#define HVCALL_RETRIEVE_DEBUG_DATA      0x006a
#define HVCALL_RESET_DEBUG_SESSION      0x006b

/* The hypercall input value (RCX) */
#define HC_FAST                         (1ull << 16)
#define HC_VARHEAD(n)                   ((uint64_t)(n) << 17)
#define HC_REP_COUNT(n)                 ((uint64_t)(n) << 32)
#define HC_REP_START(n)                 ((uint64_t)(n) << 48)

/* Hypercall statuses */
#define HV_STATUS_SUCCESS               0
#define HV_STATUS_INSUFFICIENT_BUFFERS  19

/* TLFS HV_MESSAGE: one 256-byte slot per SINT in the SIM page */
typedef struct HvMessage {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint16_t reserved;
    uint64_t sender;
    uint64_t payload[30];
} HvMessage;

/* TLFS HvPostMessage input */
typedef struct HvPostMessageInput {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint64_t payload[30];
} HvPostMessageInput;

_Static_assert(sizeof(HvMessage) == 256, "HV_MESSAGE layout");
_Static_assert(sizeof(HvPostMessageInput) == 256, "HvPostMessage input");

#endif /* GUEST_HV_TLFS_H */
