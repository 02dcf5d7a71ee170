#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu-hyperv: write the seed corpus of the Hyper-V core fuzzer
# (tests-fuzz/corpus/seed-*), one input per kind of operation, in the
# input format that fuzz-hv.c documents above fuzz_one().
#
#   python3 tests-fuzz/gen-corpus.py [DIR]
#
# Crash reproducers (corpus/crash-*) are added by hand: this script leaves
# them alone.
import os
import struct
import sys

OP_MSR_WRITE, OP_MSR_READ, OP_HYPERCALL, OP_MEM_WRITE, OP_ADVANCE, \
    OP_STIMER_EXPIRED, OP_EOI, OP_PARTITION_RESET, OP_VP_RESET, \
    OP_POST_LOAD, OP_POST_MESSAGE, OP_EVENT_FLAG, OP_SET_SINT, OP_TSC_FREQ, \
    OP_TSC_PAGE_UPDATE = range(15)

# Feature bits (X86CPU::hyperv_features)
RELAXED, VAPIC, TIME, CRASH, RESET, VPINDEX, RUNTIME, SYNIC, STIMER, \
    FREQUENCIES, REENLIGHTENMENT, TLBFLUSH, EVMCS, IPI, STIMER_DIRECT, \
    AVIC, SYNDBG, MSR_BITMAP, XMM_INPUT, TLBFLUSH_EXT, TLBFLUSH_DIRECT = \
    range(21)
ALL = (1 << 21) - 1
INVTSC, GUEST_IDLE, EXT_HYPERCALLS = range(21, 24)

# MSRs
GUEST_OS_ID, HYPERCALL, VP_INDEX, RESET_MSR = 0x40000000, 0x40000001, \
    0x40000002, 0x40000003
VP_RUNTIME, TIME_REF_COUNT, REFERENCE_TSC = 0x40000010, 0x40000020, \
    0x40000021
TSC_FREQUENCY, APIC_FREQUENCY = 0x40000022, 0x40000023
EOI, ICR, TPR, ASSIST = 0x40000070, 0x40000071, 0x40000072, 0x40000073
SCONTROL, SVERSION, SIEFP, SIMP, EOM = 0x40000080, 0x40000081, \
    0x40000082, 0x40000083, 0x40000084
SINT0 = 0x40000090
STIMER0_CONFIG = 0x400000b0
CRASH_P0, CRASH_CTL = 0x40000100, 0x40000105
REENL_CTL, TSC_EMU_CTL, TSC_EMU_STATUS = 0x40000106, 0x40000107, 0x40000108

# Hypercall codes: indexes into fuzz-hv.c's call_list
C_FLUSH_SPACE, C_FLUSH_LIST, C_SPIN, C_IPI, C_FLUSH_SPACE_EX, \
    C_FLUSH_LIST_EX, C_IPI_EX, C_POST_MESSAGE, C_SIGNAL_EVENT, \
    C_POST_DEBUG, C_RETRIEVE_DEBUG, C_RESET_DEBUG, C_0, C_1, C_AF, \
    C_FFFF, C_EXT_QUERY, C_EXT_BOOT_ZEROED, C_EXT_HEAT_HINT, C_EXT_8004, \
    C_EXT_MAX, C_EXT_8042 = range(22)


def u8(v):
    return struct.pack('<B', v & 0xff)


def u16(v):
    return struct.pack('<H', v & 0xffff)


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def u64(v):
    return struct.pack('<Q', v & 0xffffffffffffffff)


def page(p, low=0):
    """in_addr(): page @p of the fake RAM (64 pages; 16-17 a hole)."""
    return u8(1 | (p << 1)) + u64(low)


def raw(v):
    return u8(0) + u64(v)


def header(n_vps, features, flags=0, tsc=5):
    return u8(n_vps - 1) + u8(features) + u8(features >> 8) + \
        u8(features >> 16) + u8(flags) + u8(tsc)


def msr_sel(msr):
    return u16(0x8000 | (msr - 0x40000000))


def wrmsr(vp, msr, val):
    v = val if isinstance(val, bytes) else raw(val)
    return u8(OP_MSR_WRITE) + u8(vp) + msr_sel(msr) + v


def rdmsr(vp, msr):
    return u8(OP_MSR_READ) + u8(vp) + msr_sel(msr)


def hcall(vp, code, ingpa, outgpa=raw(0), fast=0, var=0, count=0, start=0,
          mode=0, xmm=None, rsvd=None):
    m = 1 | mode | (8 if xmm is not None else 0)
    flags = fast | (0 if rsvd is None else 2 | rsvd << 2)
    b = u8(OP_HYPERCALL) + u8(vp) + u8(m) + u8(code) + u8(flags) + \
        u16(var) + u16(count) + u16(start) + ingpa + outgpa
    if xmm is not None:
        b += b''.join(u64(w) for w in (xmm + [0] * 12)[:12])
    return b


def hcall_raw(vp, control, ingpa, outgpa=raw(0), mode=0):
    return u8(OP_HYPERCALL) + u8(vp) + u8(mode & ~1) + u64(control) + \
        ingpa + outgpa


def mem(p, off, data):
    return u8(OP_MEM_WRITE) + u8(p) + u16(off) + u8(len(data)) + data


def words(*ws):
    return b''.join(u64(w) for w in ws)


def advance(amount, unit=1):
    """unit 0 ns, 1 us, 2 ms"""
    return u8(OP_ADVANCE) + u32(amount) + u8(unit)


def expired(vp, index):
    return u8(OP_STIMER_EXPIRED) + u8(vp) + u8(index)


def eoi(vp, vector):
    return u8(OP_EOI) + u8(vp) + u8(vector)


def post_message(vp, sint, mtype, size, payload=b''):
    return u8(OP_POST_MESSAGE) + u8(vp) + u8(sint) + u32(mtype) + \
        u8(size) + u8(0) + u64(0x1234) + (payload + bytes(16))[:16]


def hypercall_page(vp=0, p=1):
    return wrmsr(vp, GUEST_OS_ID, 0x8100000000000000) + \
        wrmsr(vp, HYPERCALL, page(p, 1))


def synic_on(vp, simp=4, siefp=5, sint=2, vector=0x40, auto_eoi=False):
    return wrmsr(vp, SIMP, page(simp + 2 * vp, 1)) + \
        wrmsr(vp, SIEFP, page(siefp + 2 * vp, 1)) + \
        wrmsr(vp, SINT0 + sint, vector | (1 << 17 if auto_eoi else 0)) + \
        wrmsr(vp, SCONTROL, 1)


SEEDS = {}

SEEDS['msr-basic'] = header(4, ALL) + hypercall_page() + b''.join(
    rdmsr(vp, m) for vp in range(4) for m in (
        GUEST_OS_ID, HYPERCALL, VP_INDEX, VP_RUNTIME, TIME_REF_COUNT,
        TSC_FREQUENCY, APIC_FREQUENCY, ICR, TPR, SVERSION, EOM)) + \
    wrmsr(1, ASSIST, page(7, 1)) + rdmsr(1, ASSIST) + \
    wrmsr(0, ICR, 0x40) + wrmsr(0, TPR, 3) + wrmsr(0, EOI, 0) + \
    wrmsr(0, CRASH_P0, 0xdead) + wrmsr(0, CRASH_P0 + 4, 7) + \
    wrmsr(0, CRASH_CTL, 1 << 63) + rdmsr(0, CRASH_CTL) + \
    wrmsr(0, RESET_MSR, 1) + wrmsr(0, RESET_MSR, 2) + \
    wrmsr(0, HYPERCALL, page(1, 3)) + wrmsr(0, HYPERCALL, page(1, 0)) + \
    wrmsr(0, GUEST_OS_ID, 0) + rdmsr(0, 0x40000005) + \
    wrmsr(2, VP_INDEX, 5) + wrmsr(0, 0x400000f1, 1) + rdmsr(0, 0x400000ff)

SEEDS['msr-no-features'] = header(2, 0) + hypercall_page() + b''.join(
    wrmsr(1, m, 1) + rdmsr(1, m) for m in (
        VP_INDEX, RESET_MSR, TIME_REF_COUNT, REFERENCE_TSC, EOI, ASSIST,
        SCONTROL, SINT0, STIMER0_CONFIG, STIMER0_CONFIG + 1, CRASH_CTL,
        REENL_CTL, TSC_EMU_STATUS, 0x1b))

SEEDS['tsc-page'] = header(2, ALL, tsc=5) + rdmsr(0, TIME_REF_COUNT) + \
    advance(1000, 1) + wrmsr(0, REFERENCE_TSC, page(2, 1)) + \
    advance(5, 2) + rdmsr(1, TIME_REF_COUNT) + \
    wrmsr(0, REFERENCE_TSC, page(3, 1)) + advance(7, 0) + \
    u8(OP_TSC_PAGE_UPDATE) + u8(1) + \
    wrmsr(0, REENL_CTL, 0x100000000 | (1 << 16) | 0x33) + \
    wrmsr(0, TSC_EMU_CTL, 1) + u8(OP_TSC_FREQ) + u8(0) + u8(6) + \
    rdmsr(0, TSC_FREQUENCY) + rdmsr(0, TSC_EMU_STATUS) + advance(9, 2) + \
    wrmsr(1, TSC_EMU_STATUS, 0) + rdmsr(0, TIME_REF_COUNT) + \
    wrmsr(0, TSC_EMU_CTL, 0) + u8(OP_TSC_FREQ) + u8(1) + u8(0) + \
    advance(3, 2) + wrmsr(0, REFERENCE_TSC, page(17, 1)) + \
    wrmsr(0, REFERENCE_TSC, 0) + rdmsr(0, TIME_REF_COUNT)

SEEDS['hypercall-flush'] = header(8, ALL) + hypercall_page() + \
    mem(3, 0, words(0, 0, 0x5)) + \
    hcall(0, C_FLUSH_SPACE, page(3)) + \
    mem(3, 0, words(0, 1, 0, 0x1000, 0x2000, 0x3005)) + \
    hcall(1, C_FLUSH_LIST, page(3), count=3) + \
    hcall(1, C_FLUSH_LIST, page(3), count=3, start=1) + \
    mem(3, 0x800, words(0, 0, 0, 0x3, 0xff, 0x1000)) + \
    hcall(2, C_FLUSH_SPACE_EX, page(3, 0x800), var=1) + \
    hcall(2, C_FLUSH_LIST_EX, page(3, 0x800), var=1, count=1) + \
    hcall(0, C_FLUSH_SPACE, raw(0), fast=1, xmm=[0x3]) + \
    hcall(0, C_FLUSH_SPACE_EX, raw(0), fast=1, var=1,
          xmm=[0, 3, 0x1, 0x7]) + \
    mem(3, 0x100, words(0, 8, 0, 1, 0x1000)) + \
    hcall(3, C_FLUSH_LIST, page(3, 0x100), count=2)

SEEDS['hypercall-ipi'] = header(8, ALL) + hypercall_page() + \
    mem(3, 0, words(0x40, 0xfe)) + hcall(0, C_IPI, page(3)) + \
    mem(3, 0x40, words(0x41, 0, 2, 0xff)) + \
    hcall(1, C_IPI_EX, page(3, 0x40), var=0) + \
    hcall(1, C_IPI_EX, page(3, 0x40), var=1) + \
    hcall(2, C_IPI, raw(0x50), raw(0xff), fast=1) + \
    hcall(2, C_IPI_EX, raw(0x50), raw(1), fast=1, var=1, xmm=[0, 0]) + \
    hcall(0, C_IPI, raw(0x5), raw(1), fast=1) + \
    hcall(0, C_IPI, raw(0x1_00000050), raw(1), fast=1)

SEEDS['hypercall-bad'] = header(3, ALL & ~(1 << XMM_INPUT)) + \
    hypercall_page() + \
    hcall(0, C_FLUSH_SPACE, page(3, 4)) + \
    hcall(0, C_FLUSH_SPACE, page(3, 0xff8)) + \
    hcall(0, C_FLUSH_SPACE, page(16)) + \
    hcall(0, C_FLUSH_SPACE, page(70)) + \
    hcall(0, C_FLUSH_SPACE, raw(1 << 52)) + \
    hcall(0, C_FLUSH_LIST, page(3), count=2, start=2) + \
    hcall(0, C_FLUSH_LIST, page(3), count=0xfff) + \
    hcall(0, C_FLUSH_SPACE, page(3), var=3) + \
    hcall(0, C_FLUSH_SPACE, page(3), rsvd=1) + \
    hcall(0, C_FLUSH_SPACE, raw(0), fast=1, xmm=[1]) + \
    hcall(0, C_1, page(3)) + hcall(0, C_FFFF, page(3)) + \
    hcall(0, C_POST_DEBUG, page(3)) + \
    hcall(1, C_FLUSH_SPACE, page(3), mode=2) + \
    hcall(1, C_FLUSH_SPACE, page(3), mode=4) + \
    hcall_raw(2, 0xffffffffffffffff, raw(0)) + \
    hcall_raw(2, 0x0000000100000003, page(3), mode=2) + \
    mem(3, 0, words(2, 0)) + hcall(0, C_FLUSH_SPACE_EX, page(3)) + \
    hcall(0, C_IPI, page(3), count=1)

SEEDS['synic'] = header(2, ALL, flags=0) + hypercall_page() + \
    synic_on(0) + synic_on(1, sint=3, vector=0x41, auto_eoi=True) + \
    post_message(0, 2, 1, 16, b'hello') + \
    post_message(0, 2, 1, 16, b'busy') + eoi(0, 0x40) + \
    wrmsr(0, EOM, 0) + post_message(1, 3, 2, 241) + \
    post_message(1, 3, 0, 8) + post_message(1, 16, 1, 8) + \
    u8(OP_EVENT_FLAG) + u8(0) + u8(2) + u16(77) + \
    u8(OP_EVENT_FLAG) + u8(0) + u8(2) + u16(77) + \
    u8(OP_EVENT_FLAG) + u8(1) + u8(3) + u16(2047) + \
    u8(OP_EVENT_FLAG) + u8(1) + u8(3) + u16(2048) + \
    u8(OP_SET_SINT) + u8(1) + u8(3) + u8(OP_SET_SINT) + u8(1) + u8(16) + \
    mem(6, 0, words(1, 1, 0x20) + b'payload!') + \
    hcall(0, C_POST_MESSAGE, page(6)) + \
    hcall(0, C_POST_MESSAGE, page(6, 0xf08)) + \
    hcall(1, C_SIGNAL_EVENT, raw(0x10001), fast=1) + \
    wrmsr(0, SINT0 + 4, 0x5) + wrmsr(0, SINT0 + 4, 0x10005) + \
    wrmsr(0, SINT0 + 5, 0x40 | (1 << 18)) + eoi(0, 0x40) + \
    wrmsr(0, SIMP, page(4, 1)) + wrmsr(0, SIMP, page(9, 1)) + \
    wrmsr(0, SIEFP, page(17, 1)) + wrmsr(0, SCONTROL, 2) + \
    wrmsr(0, SCONTROL, 0) + post_message(0, 2, 1, 16)

SEEDS['synic-keep-pages'] = header(1, ALL, flags=2 | 4 | 8) + \
    hypercall_page() + mem(4, 0x200, words(1, 0)) + synic_on(0) + \
    post_message(0, 2, 1, 16) + hcall(0, C_POST_MESSAGE, page(6)) + \
    hcall(0, C_SIGNAL_EVENT, raw(1), fast=1)


def stimer_config(enable=1, periodic=0, lazy=0, auto=0, vector=0, direct=0,
                  sint=2):
    return enable | periodic << 1 | lazy << 2 | auto << 3 | vector << 4 | \
        direct << 12 | sint << 16


SEEDS['stimer'] = header(2, ALL) + synic_on(0) + synic_on(1) + \
    wrmsr(0, STIMER0_CONFIG, stimer_config(periodic=1)) + \
    wrmsr(0, STIMER0_CONFIG + 1, 10000) + advance(1, 2) + \
    advance(3, 2) + wrmsr(0, EOM, 0) + advance(1, 2) + eoi(0, 0x40) + \
    wrmsr(0, STIMER0_CONFIG + 2, stimer_config(direct=1, vector=0x50)) + \
    wrmsr(0, STIMER0_CONFIG + 3, 500000) + advance(60, 2) + \
    wrmsr(1, STIMER0_CONFIG + 5, 100) + \
    wrmsr(1, STIMER0_CONFIG + 4, stimer_config(auto=1, enable=0)) + \
    wrmsr(1, STIMER0_CONFIG + 5, 100) + expired(1, 2) + \
    expired(1, 7) + advance(1, 1) + rdmsr(1, STIMER0_CONFIG + 4) + \
    wrmsr(1, STIMER0_CONFIG + 6, stimer_config(sint=0)) + \
    wrmsr(1, STIMER0_CONFIG + 6, stimer_config(periodic=1, sint=3)) + \
    wrmsr(1, STIMER0_CONFIG + 7, 1) + advance(100, 2) + \
    wrmsr(1, SINT0 + 3, 0x42) + wrmsr(1, EOM, 0) + advance(100, 2) + \
    wrmsr(0, STIMER0_CONFIG + 1, 0) + wrmsr(1, SCONTROL, 0) + \
    advance(100, 2) + wrmsr(1, SCONTROL, 1) + \
    wrmsr(0, STIMER0_CONFIG, stimer_config(direct=1, vector=3)) + \
    wrmsr(0, STIMER0_CONFIG + 1, 1) + advance(1, 1)

SEEDS['reset'] = header(3, ALL) + hypercall_page() + synic_on(1) + \
    wrmsr(1, STIMER0_CONFIG, stimer_config(periodic=1)) + \
    wrmsr(1, STIMER0_CONFIG + 1, 1000) + \
    wrmsr(0, REFERENCE_TSC, page(2, 1)) + advance(10, 2) + \
    u8(OP_VP_RESET) + u8(1) + advance(10, 2) + rdmsr(1, SCONTROL) + \
    synic_on(2) + u8(OP_PARTITION_RESET) + rdmsr(0, TIME_REF_COUNT) + \
    rdmsr(0, HYPERCALL) + wrmsr(0, HYPERCALL, page(1, 1))


def post_load(vp, mask, scontrol=1, simp=page(4, 1), siefp=page(5, 1),
              assist=raw(0), sints=None, configs=None, counts=None,
              exps=None, armed=0, pending=0, part=None):
    b = u8(OP_POST_LOAD) + u8(vp) + u8(mask)
    if mask & 1:
        b += u64(scontrol) + simp + siefp + assist
    if mask & 2:
        b += b''.join(u64(s) for s in (sints or [0x10000] * 16))
    if mask & 4:
        for i in range(4):
            b += u64((configs or [0] * 4)[i]) + u64((counts or [0] * 4)[i])
    if mask & 8:
        b += b''.join(u64(e) for e in (exps or [0] * 4))
        b += u32(armed) + u32(pending)
    if mask & 16:
        b += part
    return b


SEEDS['post-load'] = header(2, ALL) + hypercall_page() + \
    post_load(0, 0x0f, sints=[0x10000, 0, 0x40, 0x20041] + [0x10000] * 12,
              configs=[stimer_config(periodic=1), stimer_config(sint=3),
                       stimer_config(direct=1, vector=0x60), 0],
              counts=[1000, 50000, 7, 0], exps=[2000, 50000, 3, 9],
              armed=0x7, pending=0x2) + advance(1, 2) + \
    wrmsr(0, EOM, 0) + eoi(0, 0x41) + \
    post_load(1, 0x1f, part=u64(12345) + page(2, 1) + u32(7) +
              u64(1 << 62) + u64(99) + u32(6)) + \
    rdmsr(1, TIME_REF_COUNT) + advance(5, 2) + \
    post_load(1, 0x08, exps=[0xffffffffffffffff] * 4, armed=0xffffffff,
              pending=0xffffffff) + advance(5, 2) + \
    post_load(0, 0)

SEEDS['spin-wait'] = header(2, 0, flags=0x10) + hypercall_page() + \
    hcall(1, C_SPIN, raw(0)) + hcall(1, C_SPIN, raw(0), count=1) + \
    hcall_raw(1, 0x8, raw(0)) + hcall(0, C_SPIN, raw(0), fast=1)

# hv-enforce-cpuid=on (header flags bit 6): the same MSRs and calls of
# features that are off, now refused (KVM_CAP_HYPERV_ENFORCE_CPUID)
ENFORCE = 0x40
SEEDS['msr-no-features-enforced'] = header(2, 0, flags=ENFORCE) + \
    hypercall_page() + b''.join(
        wrmsr(1, m, 1) + rdmsr(1, m) for m in (
            VP_INDEX, RESET_MSR, TIME_REF_COUNT, REFERENCE_TSC, EOI, ASSIST,
            SCONTROL, SINT0, STIMER0_CONFIG, STIMER0_CONFIG + 1, CRASH_CTL,
            REENL_CTL, TSC_EMU_STATUS, 0x1b, 0x40000118, 0x400001ff))
SEEDS['hypercall-no-features-enforced'] = header(4, 0, flags=ENFORCE) + \
    hypercall_page() + mem(3, 0, words(0, 0, 0x5)) + \
    hcall(0, C_FLUSH_SPACE, page(3)) + hcall(1, C_SPIN, raw(0)) + \
    hcall(0, C_FLUSH_SPACE, page(3), fast=1)

# Extended hypercalls (hv-ext-hypercalls): each call, good and bad input;
# heat hint ranges of 4 KiB, 2 MiB and 1 GiB pages, into the hole, past
# RAM, with reserved bits; rep start; fast; then without the privilege,
# enforced and not, and without the glue (byte 4 bit 7)
EXT = ALL | 1 << EXT_HYPERCALLS


def range4k(p, n=1):
    return (p * 4096) | (n - 1)


SEEDS['ext-hypercalls'] = header(2, EXT) + hypercall_page() + \
    hcall(0, C_EXT_QUERY, raw(0), page(4)) + \
    hcall(0, C_EXT_QUERY, raw(0), page(4, 4)) + \
    hcall(0, C_EXT_QUERY, raw(0), page(16)) + \
    hcall(0, C_EXT_QUERY, raw(0), page(4), count=1) + \
    hcall(0, C_EXT_QUERY, raw(0), page(4), fast=1) + \
    hcall(1, C_EXT_BOOT_ZEROED, raw(0), page(5)) + \
    hcall(1, C_EXT_BOOT_ZEROED, raw(0), page(5, 8)) + \
    hcall(1, C_EXT_BOOT_ZEROED, raw(0), page(5, 16)) + \
    hcall(1, C_EXT_BOOT_ZEROED, raw(0), page(17)) + \
    mem(3, 0, words(2, range4k(20, 4), range4k(16), range4k(40, 2))) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=1) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=3) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=3, start=2) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=3, start=3) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=0) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=512) + \
    hcall(0, C_EXT_HEAT_HINT, page(3, 4), count=1) + \
    hcall(0, C_EXT_HEAT_HINT, page(3, 0xff0), count=2) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=1, var=1) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=1, fast=1) + \
    mem(3, 0x100, words(2, 1 << 11, 1 << 11 | 1 << 12 | 1 << 21,
                        1 << 11 | 1 << 13, 0xffffffffffff0000,
                        range4k(60, 2048))) + \
    hcall(1, C_EXT_HEAT_HINT, page(3, 0x100), count=5) + \
    hcall(1, C_EXT_HEAT_HINT, page(3, 0x100), count=5, start=4) + \
    mem(3, 0x200, words(3, range4k(20))) + \
    hcall(1, C_EXT_HEAT_HINT, page(3, 0x200), count=1) + \
    mem(3, 0x200, words(1 << 63 | 2, range4k(20))) + \
    hcall(1, C_EXT_HEAT_HINT, page(3, 0x200), count=1) + \
    hcall(0, C_EXT_8004, raw(0), page(4)) + \
    hcall(0, C_EXT_MAX, raw(0), page(4)) + \
    hcall(0, C_EXT_8042, raw(0), page(4)) + \
    hcall(0, C_EXT_QUERY, raw(0), page(4), rsvd=1)
SEEDS['ext-hypercalls-off'] = header(2, ALL) + hypercall_page() + \
    hcall(0, C_EXT_QUERY, raw(0), page(4)) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=1, fast=1) + \
    hcall(0, C_EXT_BOOT_ZEROED, raw(0), page(5))
SEEDS['ext-hypercalls-enforced'] = header(2, ALL, flags=ENFORCE) + \
    hypercall_page() + hcall(0, C_EXT_QUERY, raw(0), page(4)) + \
    hcall(0, C_EXT_MAX, raw(0), page(4), fast=1) + \
    hcall(0, C_EXT_8042, raw(0), page(4))
SEEDS['ext-hypercalls-no-glue'] = header(1, EXT, flags=0x80) + \
    hypercall_page() + hcall(0, C_EXT_QUERY, raw(0), page(4)) + \
    hcall(0, C_EXT_BOOT_ZEROED, raw(0), page(5)) + \
    mem(3, 0, words(2, range4k(20))) + \
    hcall(0, C_EXT_HEAT_HINT, page(3), count=1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, 'seed-' + name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to %s' % (len(SEEDS), out))


if __name__ == '__main__':
    main()
