/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Hyper-V Top Level Functional Specification (TLFS) definitions:
 * CPUID leaves, synthetic MSRs, hypercall codes and status values, and the
 * structures a guest and the hypervisor share in guest memory.
 *
 * This header is self-contained (only <stdint.h>) so the accelerator-neutral
 * Hyper-V model can be compiled and unit-tested outside QEMU.  QEMU's
 * target/i386/kvm/hyperv-proto.h and include/hw/hyperv/hyperv-proto.h
 * forward here, so there is a single copy of every TLFS constant.
 *
 * Names follow QEMU's historical spelling where QEMU had one, and the
 * TLFS / Linux (include/hyperv/hvgdk*.h) spelling otherwise.
 */

#ifndef TARGET_I386_HYPERV_HYPERV_PROTO_H
#define TARGET_I386_HYPERV_HYPERV_PROTO_H

#include <stdint.h>

/*
 * CPUID leaves (TLFS 2.4)
 */
#define HV_CPUID_VENDOR_AND_MAX_FUNCTIONS     0x40000000
#define HV_CPUID_INTERFACE                    0x40000001
#define HV_CPUID_VERSION                      0x40000002
#define HV_CPUID_FEATURES                     0x40000003
#define HV_CPUID_ENLIGHTMENT_INFO             0x40000004
#define HV_CPUID_IMPLEMENT_LIMITS             0x40000005
#define HV_CPUID_HARDWARE_FEATURES            0x40000006
#define HV_CPUID_NESTED_FEATURES              0x4000000A
#define HV_CPUID_SYNDBG_VENDOR_AND_MAX_FUNCTIONS    0x40000080
#define HV_CPUID_SYNDBG_INTERFACE                   0x40000081
#define HV_CPUID_SYNDBG_PLATFORM_CAPABILITIES       0x40000082
#define HV_CPUID_MIN                          0x40000005
#define HV_CPUID_MAX                          0x4000ffff
#define HV_HYPERVISOR_PRESENT_BIT             0x80000000

/* "Hv#1": the Microsoft hypervisor interface signature, leaf 0x40000001 */
#define HV_INTERFACE_SIGNATURE                0x31237648

/*
 * HV_CPUID_FEATURES.EAX bits (partition privilege mask, low half)
 */
#define HV_VP_RUNTIME_AVAILABLE      (1u << 0)
#define HV_TIME_REF_COUNT_AVAILABLE  (1u << 1)
#define HV_SYNIC_AVAILABLE           (1u << 2)
#define HV_SYNTIMERS_AVAILABLE       (1u << 3)
#define HV_APIC_ACCESS_AVAILABLE     (1u << 4)
#define HV_HYPERCALL_AVAILABLE       (1u << 5)
#define HV_VP_INDEX_AVAILABLE        (1u << 6)
#define HV_RESET_AVAILABLE           (1u << 7)
#define HV_REFERENCE_TSC_AVAILABLE   (1u << 9)
#define HV_GUEST_IDLE_REG_AVAILABLE  (1u << 10)
#define HV_ACCESS_FREQUENCY_MSRS     (1u << 11)
#define HV_ACCESS_REENLIGHTENMENTS_CONTROL  (1u << 13)
#define HV_ACCESS_TSC_INVARIANT      (1u << 15)

/*
 * HV_CPUID_FEATURES.EBX bits (partition privilege mask, high half)
 */
#define HV_POST_MESSAGES             (1u << 4)
#define HV_SIGNAL_EVENTS             (1u << 5)
#define HV_PARTITION_DEBUGGING_ALLOWED          (1u << 12)
/* EnableExtendedHypercalls: call codes 0x8001 and up (hv-ext-hypercalls) */
#define HV_ENABLE_EXTENDED_HYPERCALLS           (1u << 20)

/*
 * HV_CPUID_FEATURES.EDX bits
 */
#define HV_MWAIT_AVAILABLE                      (1u << 0)
#define HV_GUEST_DEBUGGING_AVAILABLE            (1u << 1)
#define HV_PERF_MONITOR_AVAILABLE               (1u << 2)
#define HV_CPU_DYNAMIC_PARTITIONING_AVAILABLE   (1u << 3)
#define HV_HYPERCALL_XMM_INPUT_AVAILABLE        (1u << 4)
#define HV_GUEST_IDLE_STATE_AVAILABLE           (1u << 5)
#define HV_FREQUENCY_MSRS_AVAILABLE             (1u << 8)
#define HV_GUEST_CRASH_MSR_AVAILABLE            (1u << 10)
#define HV_FEATURE_DEBUG_MSRS_AVAILABLE         (1u << 11)
#define HV_EXT_GVA_RANGES_FLUSH_AVAILABLE       (1u << 14)
#define HV_HYPERCALL_XMM_OUTPUT_AVAILABLE       (1u << 15)
#define HV_STIMER_DIRECT_MODE_AVAILABLE         (1u << 19)

/*
 * HV_CPUID_ENLIGHTMENT_INFO.EAX bits
 */
#define HV_AS_SWITCH_RECOMMENDED            (1u << 0)
#define HV_LOCAL_TLB_FLUSH_RECOMMENDED      (1u << 1)
#define HV_REMOTE_TLB_FLUSH_RECOMMENDED     (1u << 2)
#define HV_APIC_ACCESS_RECOMMENDED          (1u << 3)
#define HV_SYSTEM_RESET_RECOMMENDED         (1u << 4)
#define HV_RELAXED_TIMING_RECOMMENDED       (1u << 5)
#define HV_DEPRECATING_AEOI_RECOMMENDED     (1u << 9)
#define HV_CLUSTER_IPI_RECOMMENDED          (1u << 10)
#define HV_EX_PROCESSOR_MASKS_RECOMMENDED   (1u << 11)
#define HV_ENLIGHTENED_VMCS_RECOMMENDED     (1u << 14)
#define HV_NO_NONARCH_CORESHARING           (1u << 18)

/*
 * HV_CPUID_SYNDBG_PLATFORM_CAPABILITIES.EAX bits
 */
#define HV_SYNDBG_CAP_ALLOW_KERNEL_DEBUGGING    (1u << 1)

/*
 * HV_CPUID_NESTED_FEATURES.EAX bits
 */
#define HV_NESTED_DIRECT_FLUSH              (1u << 17)
#define HV_NESTED_MSR_BITMAP                (1u << 19)

/*
 * Basic virtualized MSRs
 */
#define HV_X64_MSR_GUEST_OS_ID                0x40000000
#define HV_X64_MSR_HYPERCALL                  0x40000001
#define HV_X64_MSR_VP_INDEX                   0x40000002
#define HV_X64_MSR_RESET                      0x40000003
#define HV_X64_MSR_VP_RUNTIME                 0x40000010
#define HV_X64_MSR_TIME_REF_COUNT             0x40000020
#define HV_X64_MSR_REFERENCE_TSC              0x40000021
#define HV_X64_MSR_TSC_FREQUENCY              0x40000022
#define HV_X64_MSR_APIC_FREQUENCY             0x40000023

/*
 * Virtual APIC MSRs
 */
#define HV_X64_MSR_EOI                        0x40000070
#define HV_X64_MSR_ICR                        0x40000071
#define HV_X64_MSR_TPR                        0x40000072
#define HV_X64_MSR_APIC_ASSIST_PAGE           0x40000073

/*
 * Synthetic interrupt controller MSRs
 */
#define HV_X64_MSR_SCONTROL                   0x40000080
#define HV_X64_MSR_SVERSION                   0x40000081
#define HV_X64_MSR_SIEFP                      0x40000082
#define HV_X64_MSR_SIMP                       0x40000083
#define HV_X64_MSR_EOM                        0x40000084
#define HV_X64_MSR_SINT0                      0x40000090
#define HV_X64_MSR_SINT1                      0x40000091
#define HV_X64_MSR_SINT2                      0x40000092
#define HV_X64_MSR_SINT3                      0x40000093
#define HV_X64_MSR_SINT4                      0x40000094
#define HV_X64_MSR_SINT5                      0x40000095
#define HV_X64_MSR_SINT6                      0x40000096
#define HV_X64_MSR_SINT7                      0x40000097
#define HV_X64_MSR_SINT8                      0x40000098
#define HV_X64_MSR_SINT9                      0x40000099
#define HV_X64_MSR_SINT10                     0x4000009A
#define HV_X64_MSR_SINT11                     0x4000009B
#define HV_X64_MSR_SINT12                     0x4000009C
#define HV_X64_MSR_SINT13                     0x4000009D
#define HV_X64_MSR_SINT14                     0x4000009E
#define HV_X64_MSR_SINT15                     0x4000009F

/*
 * Synthetic timer MSRs
 */
#define HV_X64_MSR_STIMER0_CONFIG               0x400000B0
#define HV_X64_MSR_STIMER0_COUNT                0x400000B1
#define HV_X64_MSR_STIMER1_CONFIG               0x400000B2
#define HV_X64_MSR_STIMER1_COUNT                0x400000B3
#define HV_X64_MSR_STIMER2_CONFIG               0x400000B4
#define HV_X64_MSR_STIMER2_COUNT                0x400000B5
#define HV_X64_MSR_STIMER3_CONFIG               0x400000B6
#define HV_X64_MSR_STIMER3_COUNT                0x400000B7

/*
 * Synthetic debugger MSRs
 */
#define HV_X64_MSR_SYNDBG_CONTROL               0x400000F1
#define HV_X64_MSR_SYNDBG_STATUS                0x400000F2
#define HV_X64_MSR_SYNDBG_SEND_BUFFER           0x400000F3
#define HV_X64_MSR_SYNDBG_RECV_BUFFER           0x400000F4
#define HV_X64_MSR_SYNDBG_PENDING_BUFFER        0x400000F5
#define HV_X64_MSR_SYNDBG_OPTIONS               0x400000FF

#define HV_X64_SYNDBG_OPTION_USE_HCALLS         (1ul << 2)

/*
 * Guest crash notification MSRs
 */
#define HV_X64_MSR_CRASH_P0                     0x40000100
#define HV_X64_MSR_CRASH_P1                     0x40000101
#define HV_X64_MSR_CRASH_P2                     0x40000102
#define HV_X64_MSR_CRASH_P3                     0x40000103
#define HV_X64_MSR_CRASH_P4                     0x40000104
#define HV_CRASH_PARAMS    (HV_X64_MSR_CRASH_P4 - HV_X64_MSR_CRASH_P0 + 1)
#define HV_X64_MSR_CRASH_CTL                    0x40000105
#define HV_CRASH_CTL_NOTIFY                     (1ull << 63)

/*
 * Reenlightenment notification MSRs
 */
#define HV_X64_MSR_REENLIGHTENMENT_CONTROL      0x40000106
#define HV_REENLIGHTENMENT_ENABLE_BIT           (1u << 16)
#define HV_X64_MSR_TSC_EMULATION_CONTROL        0x40000107
#define HV_X64_MSR_TSC_EMULATION_STATUS         0x40000108

/*
 * Invariant TSC control (HV_ACCESS_TSC_INVARIANT): setting bit 0 makes the
 * architectural invariant TSC bit, CPUID 0x80000007.EDX[8], visible
 */
#define HV_X64_MSR_TSC_INVARIANT_CONTROL        0x40000118
#define HV_EXPOSE_INVARIANT_TSC                 (1ull << 0)

/*
 * Guest idle (HV_GUEST_IDLE_STATE_AVAILABLE): reading it idles the VP
 * until an interrupt is pending, even one the guest has masked (IF=0)
 */
#define HV_X64_MSR_GUEST_IDLE                   0x400000F0

/*
 * Hypercall MSR bits
 */
#define HV_HYPERCALL_ENABLE                   (1u << 0)
#define HV_HYPERCALL_LOCKED                   (1u << 1)

/*
 * Reference TSC MSR bits and page (TLFS 12.7)
 */
#define HV_REFERENCE_TSC_ENABLE               (1u << 0)

struct hyperv_reference_tsc_page {
    uint32_t tsc_sequence;
    uint32_t _reserved1;
    uint64_t tsc_scale;
    int64_t  tsc_offset;
};

/*
 * Synthetic interrupt controller definitions
 */
#define HV_SYNIC_VERSION                      1
#define HV_SYNIC_ENABLE                       (1u << 0)
#define HV_SIMP_ENABLE                        (1u << 0)
#define HV_SIEFP_ENABLE                       (1u << 0)
#define HV_SINT_MASKED                        (1u << 16)
#define HV_SINT_AUTO_EOI                      (1u << 17)
#define HV_SINT_POLLING                       (1u << 18)
#define HV_SINT_VECTOR_MASK                   0xff

#define HV_STIMER_COUNT                       4

/* HV_X64_MSR_STIMERx_CONFIG */
#define HV_STIMER_ENABLE                      (1ull << 0)
#define HV_STIMER_PERIODIC                    (1ull << 1)
#define HV_STIMER_LAZY                        (1ull << 2)
#define HV_STIMER_AUTO_ENABLE                 (1ull << 3)
#define HV_STIMER_DIRECT                      (1ull << 12)
#define HV_STIMER_RSVD                        0xfffffffffff0e000ull
#define HV_STIMER_APIC_VECTOR(config)         (((config) >> 4) & 0xff)
#define HV_STIMER_SINT(config)                (((config) >> 16) & 0xf)

/*
 * Synthetic debugger control definitions
 */
#define HV_SYNDBG_CONTROL_SEND              (1u << 0)
#define HV_SYNDBG_CONTROL_RECV              (1u << 1)
#define HV_SYNDBG_CONTROL_SEND_SIZE(ctl)    ((ctl >> 16) & 0xffff)
#define HV_SYNDBG_STATUS_INVALID            (0)
#define HV_SYNDBG_STATUS_SEND_SUCCESS       (1u << 0)
#define HV_SYNDBG_STATUS_RECV_SUCCESS       (1u << 2)
#define HV_SYNDBG_STATUS_RESET              (1u << 3)
#define HV_SYNDBG_STATUS_SET_SIZE(st, sz)   (st | (sz << 16))

/*
 * Hypercall status codes (TLFS appendix B)
 */
#define HV_STATUS_SUCCESS                     0
#define HV_STATUS_INVALID_HYPERCALL_CODE      2
#define HV_STATUS_INVALID_HYPERCALL_INPUT     3
#define HV_STATUS_INVALID_ALIGNMENT           4
#define HV_STATUS_INVALID_PARAMETER           5
#define HV_STATUS_ACCESS_DENIED               6
#define HV_STATUS_INVALID_PARTITION_STATE     7
#define HV_STATUS_OPERATION_DENIED            8
#define HV_STATUS_INSUFFICIENT_MEMORY         11
#define HV_STATUS_INVALID_VP_INDEX            14
#define HV_STATUS_INVALID_PORT_ID             17
#define HV_STATUS_INVALID_CONNECTION_ID       18
#define HV_STATUS_INSUFFICIENT_BUFFERS        19
#define HV_STATUS_NOT_ACKNOWLEDGED            20
#define HV_STATUS_INVALID_VP_STATE            21
#define HV_STATUS_NO_DATA                     27
#define HV_STATUS_FEATURE_UNAVAILABLE         30

/*
 * Hypercall codes (TLFS appendix A)
 */
#define HV_FLUSH_VIRTUAL_ADDRESS_SPACE        0x0002
#define HV_FLUSH_VIRTUAL_ADDRESS_LIST         0x0003
#define HV_NOTIFY_LONG_SPIN_WAIT              0x0008
#define HV_SEND_SYNTHETIC_CLUSTER_IPI         0x000b
#define HV_FLUSH_VIRTUAL_ADDRESS_SPACE_EX     0x0013
#define HV_FLUSH_VIRTUAL_ADDRESS_LIST_EX      0x0014
#define HV_SEND_SYNTHETIC_CLUSTER_IPI_EX      0x0015
#define HV_POST_MESSAGE                       0x005c
#define HV_SIGNAL_EVENT                       0x005d
#define HV_POST_DEBUG_DATA                    0x0069
#define HV_RETRIEVE_DEBUG_DATA                0x006a
#define HV_RESET_DEBUG_SESSION                0x006b

/*
 * Extended hypercalls (TLFS "Extended Hypercalls"): partition privilege
 * HV_ENABLE_EXTENDED_HYPERCALLS.  HvExtCallQueryCapabilities reports one
 * bit per further call, so the range ends 64 codes after it (KVM's
 * HV_EXT_CALL_MAX, up to which KVM hands the calls to user space).
 */
#define HV_EXT_CALL_QUERY_CAPABILITIES        0x8001
#define HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY    0x8002
#define HV_EXT_CALL_MEMORY_HEAT_HINT          0x8003
#define HV_EXT_CALL_MAX                       0x8041

/* HvExtCallQueryCapabilities output bits */
#define HV_EXT_CAPABILITY_GET_BOOT_ZEROED_MEMORY    (1ull << 0)
#define HV_EXT_CAPABILITY_MEMORY_HEAT_HINT          (1ull << 1)
/* Linux's hv_balloon asks for this one before it reports free pages */
#define HV_EXT_CAPABILITY_MEMORY_COLD_DISCARD_HINT  (1ull << 8)

/*
 * HvExtCallMemoryHeatHint (rep): one 8-byte header (heat type in bits
 * 1:0, the rest reserved), then one HV_GPA_PAGE_RANGE per rep, all in
 * one page.
 */
#define HV_EXT_MEMORY_HEAT_HINT_COLD          0
#define HV_EXT_MEMORY_HEAT_HINT_HOT           1
#define HV_EXT_MEMORY_HEAT_HINT_COLD_DISCARD  2
#define HV_EXT_MEMORY_HEAT_HINT_TYPE_MASK     0x3ull
#define HV_MEMORY_HINT_MAX_GPA_PAGE_RANGES    ((4096 - 8) / 8)

/*
 * HV_GPA_PAGE_RANGE: AdditionalPages (10:0), LargePage (11), then either
 * BasePfn (63:12, 4 KiB pages) or, for a large page, PageSize (12: 0 is
 * 2 MiB, 1 is 1 GiB), reserved (20:13) and BaseLargePfn (63:21, in
 * 2 MiB units).
 */
#define HV_GPA_PAGE_RANGE_ADDITIONAL_MASK     0x7ffull
#define HV_GPA_PAGE_RANGE_LARGE_PAGE          (1ull << 11)
#define HV_GPA_PAGE_RANGE_BASE_PFN_SHIFT      12
#define HV_GPA_PAGE_RANGE_PAGE_SIZE_1GB       (1ull << 12)
#define HV_GPA_PAGE_RANGE_LARGE_RSVD_MASK     (0xffull << 13)
#define HV_GPA_PAGE_RANGE_BASE_LARGE_SHIFT    21

/*
 * HvExtCallGetBootZeroedMemory (simple): 0xFF8 bytes of output, a range
 * count then up to 255 ranges of (first page number, page count).
 */
#define HV_EXT_BOOT_ZEROED_OUTPUT_SIZE        0xff8
#define HV_EXT_BOOT_ZEROED_MAX_RANGES         255

/*
 * Hypercall input value (RCX) layout (TLFS 3.7)
 */
#define HV_HYPERCALL_CODE_MASK                0xffffull
#define HV_HYPERCALL_FAST                     (1u << 16)
#define HV_HYPERCALL_VARHEAD_SHIFT            17
#define HV_HYPERCALL_VARHEAD_MASK             (0x3ffull << 17)
#define HV_HYPERCALL_NESTED                   (1ull << 31)
#define HV_HYPERCALL_REP_COUNT_SHIFT          32
#define HV_HYPERCALL_REP_COUNT_MASK           (0xfffull << 32)
#define HV_HYPERCALL_REP_START_SHIFT          48
#define HV_HYPERCALL_REP_START_MASK           (0xfffull << 48)
/*
 * bits 27-31, 44-47 and 60-63.  Bit 31 (IsNested) is only for a nested
 * hypervisor's calls to its parent: reserved for this partition's guest,
 * as in KVM (HV_HYPERCALL_RSVD0_MASK is 31:27).
 */
#define HV_HYPERCALL_RSVD_MASK                0xf000f000f8000000ull

/* Hypercall result value (RAX) layout */
#define HV_HYPERCALL_RESULT_REP_SHIFT         32

/* Fast hypercall input in XMM registers: XMM0-XMM5 (TLFS 3.7.8) */
#define HV_HYPERCALL_MAX_XMM_REGISTERS        6

/*
 * VP assist page MSR (HV_X64_MSR_APIC_ASSIST_PAGE) bits
 */
#define HV_VP_ASSIST_PAGE_ENABLE              (1u << 0)

/*
 * HV_VP_SET formats
 */
#define HV_GENERIC_SET_SPARSE_4K              0
#define HV_GENERIC_SET_ALL                    1

/*
 * HV_FLUSH_FLAGS of the virtual TLB flush hypercalls
 */
#define HV_FLUSH_ALL_PROCESSORS               (1ull << 0)
#define HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES   (1ull << 1)
#define HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY     (1ull << 2)
#define HV_FLUSH_USE_EXTENDED_RANGE_FORMAT    (1ull << 3)

/*
 * Vectors HvSendSyntheticClusterIpi(Ex) may send
 */
#define HV_IPI_LOW_VECTOR                     0x10
#define HV_IPI_HIGH_VECTOR                    0xff

/*
 * Message size
 */
#define HV_MESSAGE_PAYLOAD_SIZE               240

/*
 * Message types
 */
#define HV_MESSAGE_NONE                       0x00000000
#define HV_MESSAGE_VMBUS                      0x00000001
#define HV_MESSAGE_UNMAPPED_GPA               0x80000000
#define HV_MESSAGE_GPA_INTERCEPT              0x80000001
#define HV_MESSAGE_TIMER_EXPIRED              0x80000010
#define HV_MESSAGE_INVALID_VP_REGISTER_VALUE  0x80000020
#define HV_MESSAGE_UNRECOVERABLE_EXCEPTION    0x80000021
#define HV_MESSAGE_UNSUPPORTED_FEATURE        0x80000022
#define HV_MESSAGE_EVENTLOG_BUFFERCOMPLETE    0x80000040
#define HV_MESSAGE_X64_IOPORT_INTERCEPT       0x80010000
#define HV_MESSAGE_X64_MSR_INTERCEPT          0x80010001
#define HV_MESSAGE_X64_CPUID_INTERCEPT        0x80010002
#define HV_MESSAGE_X64_EXCEPTION_INTERCEPT    0x80010003
#define HV_MESSAGE_X64_APIC_EOI               0x80010004
#define HV_MESSAGE_X64_LEGACY_FP_ERROR        0x80010005

/*
 * Message flags
 */
#define HV_MESSAGE_FLAG_PENDING               0x1

/*
 * Number of synthetic interrupts
 */
#define HV_SINT_COUNT                         16

/*
 * Event flags number per SINT
 */
#define HV_EVENT_FLAGS_COUNT                  (256 * 8)

/*
 * Connection id valid bits
 */
#define HV_CONNECTION_ID_MASK                 0x00ffffff

/*
 * Input structure for POST_MESSAGE hypercall
 */
struct hyperv_post_message_input {
    uint32_t connection_id;
    uint32_t _reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint8_t  payload[HV_MESSAGE_PAYLOAD_SIZE];
};

/*
 * Input structure for SIGNAL_EVENT hypercall
 */
struct hyperv_signal_event_input {
    uint32_t connection_id;
    uint16_t flag_number;
    uint16_t _reserved_zero;
};

/*
 * SynIC message structures
 */
struct hyperv_message_header {
    uint32_t message_type;
    uint8_t  payload_size;
    uint8_t  message_flags; /* HV_MESSAGE_FLAG_XX */
    uint8_t  _reserved[2];
    uint64_t sender;
};

struct hyperv_message {
    struct hyperv_message_header header;
    uint8_t payload[HV_MESSAGE_PAYLOAD_SIZE];
};

struct hyperv_message_page {
    struct hyperv_message slot[HV_SINT_COUNT];
};

/*
 * SynIC event flags structures.  The layout is a little-endian bitmap of
 * HV_EVENT_FLAGS_COUNT bits; declared with unsigned long words to match
 * QEMU's bitmap helpers (DECLARE_BITMAP) without depending on them.
 */
struct hyperv_event_flags {
    unsigned long flags[HV_EVENT_FLAGS_COUNT / (8 * sizeof(unsigned long))];
};

struct hyperv_event_flags_page {
    struct hyperv_event_flags slot[HV_SINT_COUNT];
};

/*
 * Kernel debugger structures
 */

/* Options flags for hyperv_reset_debug_session */
#define HV_DEBUG_PURGE_INCOMING_DATA        0x00000001
#define HV_DEBUG_PURGE_OUTGOING_DATA        0x00000002
struct hyperv_reset_debug_session_input {
    uint32_t options;
} __attribute__ ((__packed__));

struct hyperv_reset_debug_session_output {
    uint32_t host_ip;
    uint32_t target_ip;
    uint16_t host_port;
    uint16_t target_port;
    uint8_t host_mac[6];
    uint8_t target_mac[6];
} __attribute__ ((__packed__));

/* Options for hyperv_post_debug_data */
#define HV_DEBUG_POST_LOOP                  0x00000001

struct hyperv_post_debug_data_input {
    uint32_t count;
    uint32_t options;
    /*uint8_t data[HV_HYP_PAGE_SIZE - 2 * sizeof(uint32_t)];*/
} __attribute__ ((__packed__));

struct hyperv_post_debug_data_output {
    uint32_t pending_count;
} __attribute__ ((__packed__));

/* Options for hyperv_retrieve_debug_data */
#define HV_DEBUG_RETRIEVE_LOOP              0x00000001
#define HV_DEBUG_RETRIEVE_TEST_ACTIVITY     0x00000002

struct hyperv_retrieve_debug_data_input {
    uint32_t count;
    uint32_t options;
    uint64_t timeout;
} __attribute__ ((__packed__));

struct hyperv_retrieve_debug_data_output {
    uint32_t retrieved_count;
    uint32_t remaining_count;
} __attribute__ ((__packed__));

#endif
