/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-syndbg-test.c: the synthetic kernel debugger
 * (hv-syndbg).  It is not in the TLFS; KVM and QEMU define it: six MSRs
 * (0x400000F1-F5, 0x400000FF) and three hypercalls (HvPostDebugData,
 * HvRetrieveDebugData, HvResetDebugSession), with QEMU's hv-syndbg device
 * carrying the data to and from a UDP socket, where the qtest plays the
 * debugger.
 *
 * The guest sends through the MSRs, records "cpu0.msr.sent" and waits for
 * the qtest's reply to show up in the pending page; receives it; does the
 * same with the hypercalls when the device offers them (use_hcalls=on);
 * records everything for the qtest to judge.
 */
#include "libguest.h"

#define SYNDBG_CONTROL          0x400000F1
#define SYNDBG_STATUS           0x400000F2
#define SYNDBG_SEND_BUFFER      0x400000F3
#define SYNDBG_RECV_BUFFER      0x400000F4
#define SYNDBG_PENDING_BUFFER   0x400000F5
#define SYNDBG_OPTIONS          0x400000FF

#define SYNDBG_CONTROL_SEND     (1ull << 0)
#define SYNDBG_CONTROL_RECV     (1ull << 1)

#define SYNDBG_READ_FAULTED     0xfa17fa17fa17fa17ull
/* How long the guest waits for the qtest's datagram */
#define SYNDBG_WAIT_US          (30ull * 1000 * 1000)

/* The frame HvPostDebugData takes: Ethernet, IPv4, UDP, payload */
#define ETH_HLEN                14
#define IP_HLEN                 20
#define UDP_HLEN                8
#define FRAME_HLEN              (ETH_HLEN + IP_HLEN + UDP_HLEN)

static uint64_t rdmsr_or_faulted(uint32_t msr)
{
    uint64_t val;

    return rdmsr_safe(msr, &val) == HV_GUEST_FAULT_NONE ? val
                                                        : SYNDBG_READ_FAULTED;
}

static unsigned int str_copy(volatile uint8_t *dst, const char *src)
{
    unsigned int n = 0;

    while (src[n]) {
        dst[n] = src[n];
        n++;
    }
    return n;
}

/* Up to 16 bytes at @p as two little-endian words */
static void bytes_to_words(const volatile uint8_t *p, uint64_t *w)
{
    unsigned int i;

    w[0] = w[1] = 0;
    for (i = 0; i < 16; i++) {
        w[i / 8] |= (uint64_t)p[i] << (8 * (i % 8));
    }
}

static bool wait_pending(volatile uint8_t *pending)
{
    uint64_t waited = 0;

    while (!*pending) {
        if (waited >= SYNDBG_WAIT_US) {
            return false;
        }
        udelay(1000);
        waited += 1000;
    }
    return true;
}

/* An Ethernet/IPv4/UDP frame around @text at @frame; returns its length */
static unsigned int build_frame(volatile uint8_t *frame, const char *text,
                                unsigned int ihl)
{
    unsigned int i;

    for (i = 0; i < FRAME_HLEN; i++) {
        frame[i] = 0;
    }
    frame[12] = 0x08;                   /* EtherType IPv4 */
    frame[13] = 0x00;
    frame[ETH_HLEN] = 0x40 | ihl;       /* version 4, header length */
    frame[ETH_HLEN + 8] = 64;           /* TTL */
    frame[ETH_HLEN + 9] = 17;           /* UDP */
    return FRAME_HLEN + str_copy(frame + FRAME_HLEN, text);
}

static void syndbg_msr_setup(void)
{
    volatile uint8_t *send = alloc_pages(1);
    volatile uint8_t *recv = alloc_pages(1);
    volatile uint8_t *pending = alloc_pages(1);
    uint64_t v[4];
    unsigned int len;
    uint8_t fault;

    record_cpuid(0x40000000);
    record_cpuid(0x40000003);
    record_cpuid(0x40000080);
    record_cpuid(0x40000081);
    record_cpuid(0x40000082);
    v[0] = rdmsr_or_faulted(SYNDBG_OPTIONS);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.options");

    wrmsr(SYNDBG_SEND_BUFFER, (uintptr_t)send);
    wrmsr(SYNDBG_RECV_BUFFER, (uintptr_t)recv);
    fault = wrmsr_safe(SYNDBG_PENDING_BUFFER, (uintptr_t)pending);
    v[0] = rdmsr_or_faulted(SYNDBG_SEND_BUFFER) - (uintptr_t)send;
    v[1] = rdmsr_or_faulted(SYNDBG_RECV_BUFFER) - (uintptr_t)recv;
    v[2] = rdmsr_or_faulted(SYNDBG_PENDING_BUFFER) - (uintptr_t)pending;
    record(fault, 3, v, "cpu0.buffers");

    /* Nothing pending yet: RECV finds no data */
    fault = wrmsr_safe(SYNDBG_CONTROL, SYNDBG_CONTROL_RECV);
    v[0] = rdmsr_or_faulted(SYNDBG_STATUS);
    record(fault, 1, v, "cpu0.msr.recv_empty");

    len = str_copy(send, "hello debugger, from SYNDBG_CONTROL");
    fault = wrmsr_safe(SYNDBG_CONTROL,
                       SYNDBG_CONTROL_SEND | (uint64_t)len << 16);
    v[0] = rdmsr_or_faulted(SYNDBG_STATUS);
    v[1] = rdmsr_or_faulted(SYNDBG_CONTROL);
    v[2] = len;
    record(fault, 3, v, "cpu0.msr.sent");

    /* The qtest answers; QEMU raises the pending byte */
    v[0] = wait_pending(pending);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.msr.pending");
    fault = wrmsr_safe(SYNDBG_CONTROL, SYNDBG_CONTROL_RECV);
    v[0] = rdmsr_or_faulted(SYNDBG_STATUS);
    bytes_to_words(recv, &v[1]);
    v[3] = *pending;
    record(fault, 4, v, "cpu0.msr.received");
}

GUEST_TEST(syndbg_msr,
    .name = "syndbg-msr",
    .description = "synthetic debugger through its MSRs",
    .setup = syndbg_msr_setup,
);

static uint64_t call_or_faulted(uint64_t control, uint64_t in, uint64_t out)
{
    uint64_t rax;

    if (hv_call(control, in, out, &rax) != HV_GUEST_FAULT_NONE) {
        return SYNDBG_READ_FAULTED;
    }
    return rax;
}

static void syndbg_hcall_setup(void)
{
    volatile uint8_t *in = alloc_pages(1);
    volatile uint8_t *out = alloc_pages(1);
    volatile uint8_t *pending = alloc_pages(1);
    volatile uint32_t *in32 = (volatile uint32_t *)in;
    volatile uint32_t *out32 = (volatile uint32_t *)out;
    volatile uint16_t *out16 = (volatile uint16_t *)out;
    uint64_t v[4];
    unsigned int len;

    if (hv_hypercall_enable() != HV_GUEST_FAULT_NONE) {
        guest_abort("cannot enable the hypercall page");
    }
    v[0] = rdmsr_or_faulted(SYNDBG_OPTIONS);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.options");
    wrmsr(SYNDBG_PENDING_BUFFER, (uintptr_t)pending);

    /* HvResetDebugSession: where the debugger is */
    v[0] = call_or_faulted(HVCALL_RESET_DEBUG_SESSION, 0, (uintptr_t)out);
    v[1] = out32[0];                    /* host_ip */
    v[2] = out16[4];                    /* host_port */
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu0.hcall.reset");

    /* A frame whose IP header claims more than the frame holds */
    len = build_frame(in + 8, "", 15);
    in32[0] = len;
    in32[1] = 0;
    out32[0] = 0xdeadbeef;
    v[0] = call_or_faulted(HVCALL_POST_DEBUG_DATA, (uintptr_t)in,
                           (uintptr_t)out);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.hcall.bad_frame");

    /* A count beyond the input page */
    in32[0] = 4096;
    v[0] = call_or_faulted(HVCALL_POST_DEBUG_DATA, (uintptr_t)in,
                           (uintptr_t)out);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.hcall.big_count");

    /* Fast post: not allowed */
    v[0] = call_or_faulted(HVCALL_POST_DEBUG_DATA | (1ull << 16), 0, 0);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.hcall.fast");

    len = build_frame(in + 8, "hello debugger, from HvPostDebugData", 5);
    in32[0] = len;
    in32[1] = 0;
    out32[0] = 0xdeadbeef;
    v[0] = call_or_faulted(HVCALL_POST_DEBUG_DATA, (uintptr_t)in,
                           (uintptr_t)out);
    v[1] = out32[0];                    /* pending_count */
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu0.hcall.sent");

    v[0] = wait_pending(pending);
    record(HV_GUEST_FAULT_NONE, 1, v, "cpu0.hcall.pending");
    in32[0] = 4096 - 8;                 /* count */
    in32[1] = 0;                        /* options */
    in32[2] = in32[3] = 0;              /* timeout */
    v[0] = call_or_faulted(HVCALL_RETRIEVE_DEBUG_DATA, (uintptr_t)in,
                           (uintptr_t)out);
    v[1] = out32[0];                    /* retrieved_count */
    v[2] = out32[1];                    /* remaining_count */
    record(HV_GUEST_FAULT_NONE, 3, v, "cpu0.hcall.retrieved");
    /* The data follows the output header, in a UDP frame */
    bytes_to_words(out + 8 + FRAME_HLEN, v);
    v[2] = out[8 + 12] << 8 | out[8 + 13];  /* EtherType */
    v[3] = out[8 + ETH_HLEN + 9];           /* IP protocol */
    record(HV_GUEST_FAULT_NONE, 4, v, "cpu0.hcall.frame");

    /* Nothing left */
    v[0] = call_or_faulted(HVCALL_RETRIEVE_DEBUG_DATA, (uintptr_t)in,
                           (uintptr_t)out);
    v[1] = out32[0];
    record(HV_GUEST_FAULT_NONE, 2, v, "cpu0.hcall.retrieved_again");
}

GUEST_TEST(syndbg_hcall,
    .name = "syndbg-hcall",
    .description = "synthetic debugger through its hypercalls",
    .setup = syndbg_hcall_setup,
);
