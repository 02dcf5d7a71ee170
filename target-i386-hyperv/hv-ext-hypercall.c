/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: the extended hypercalls (TLFS "Extended Hypercalls", call
 * codes 0x8001 and up, partition privilege EnableExtendedHypercalls):
 *
 *   HvExtCallQueryCapabilities    0x8001  simple  which calls follow
 *   HvExtCallGetBootZeroedMemory  0x8002  simple  RAM known to read zero
 *   HvExtCallMemoryHeatHint       0x8003  rep     hot / cold / cold
 *                                                 discard hints
 *
 * Both backends run them here: under TCG hv_hypercall() dispatches them,
 * under KVM the kernel hands them to QEMU (KVM_EXIT_HYPERV_HCALL) after
 * its own checks (privilege with hv-enforce-cpuid, reserved control bits,
 * fast calls), and QEMU's handler calls hv_ext_hypercall().  Guest memory
 * and the work itself (discarding RAM, knowing what is zero) come
 * through HvOps.  Every input is the guest's: checked before use.
 */

#include <string.h>

#include "hv-internal.h"

static bool feature_on(uint64_t features, int feat)
{
    return features & HV_FEAT_BIT(feat);
}

static uint64_t rep_result(uint16_t status, unsigned reps_done)
{
    return status | (uint64_t)reps_done << HV_HYPERCALL_RESULT_REP_SHIFT;
}

uint64_t hv_ext_capabilities(const HvOps *ops)
{
    uint64_t caps = 0;

    if (ops->boot_zeroed_memory) {
        caps |= HV_EXT_CAPABILITY_GET_BOOT_ZEROED_MEMORY;
    }
    if (ops->memory_heat_hint) {
        caps |= HV_EXT_CAPABILITY_MEMORY_HEAT_HINT;
        if (!ops->can_discard || ops->can_discard(ops->opaque)) {
            caps |= HV_EXT_CAPABILITY_MEMORY_COLD_DISCARD_HINT;
        }
    }
    return caps;
}

/*
 * Output of a simple call: @len bytes at @outgpa, 8-byte aligned and
 * within one page (TLFS 3.7.4); memory that is not RAM gets KVM's answer
 * for such parameters.
 */
static uint16_t write_output(const HvOps *ops, uint64_t outgpa,
                             const void *buf, uint64_t len)
{
    if ((outgpa & 7) || (outgpa & ~HV_PAGE_MASK) + len > HV_PAGE_SIZE) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    if (!ops->write_gpa || !ops->write_gpa(ops->opaque, outgpa, buf, len)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    return HV_STATUS_SUCCESS;
}

/* HvExtCallQueryCapabilities: no input, the 64-bit bitmap as output */
static uint16_t ext_query_capabilities(const HvOps *ops, uint64_t outgpa)
{
    uint8_t out[8];

    hv_st64_le(out, hv_ext_capabilities(ops));
    return write_output(ops, outgpa, out, sizeof(out));
}

/*
 * HvExtCallGetBootZeroedMemory: no input; 0xFF8 bytes of output, the
 * range count then (first page number, page count) per range.  The
 * whole output area is written, unused ranges as zeroes.  The ranges read
 * as zero when the call is made (TLFS) and stay so when it returns: the
 * output page is never one of them.
 */
static uint16_t ext_get_boot_zeroed_memory(const HvOps *ops, uint64_t outgpa)
{
    uint64_t ranges[HV_EXT_BOOT_ZEROED_MAX_RANGES][2];
    uint8_t out[HV_EXT_BOOT_ZEROED_OUTPUT_SIZE];
    uint16_t status;
    unsigned n, i;

    /*
     * Write the output area before the glue looks at memory, so that its
     * page is not zero then (it will not be once the answer is in it): a
     * range count no answer has
     */
    memset(out, 0xff, sizeof(out));
    status = write_output(ops, outgpa, out, sizeof(out));
    if (status != HV_STATUS_SUCCESS) {
        return status;
    }
    n = ops->boot_zeroed_memory(ops->opaque, ranges,
                                HV_EXT_BOOT_ZEROED_MAX_RANGES);
    if (n > HV_EXT_BOOT_ZEROED_MAX_RANGES) {
        n = HV_EXT_BOOT_ZEROED_MAX_RANGES;
    }
    memset(out, 0, sizeof(out));
    hv_st64_le(out, n);
    for (i = 0; i < n; i++) {
        hv_st64_le(out + 8 + 16 * i, ranges[i][0]);
        hv_st64_le(out + 16 + 16 * i, ranges[i][1]);
    }
    return write_output(ops, outgpa, out, sizeof(out));
}

/*
 * Decode one HV_GPA_PAGE_RANGE into a byte range.  Large pages: 2 MiB
 * (PageSize 0) or 1 GiB (PageSize 1, BaseLargePfn 1 GiB aligned) units,
 * with the reserved bits clear.  Anything past the 52-bit guest physical
 * address space is no range.
 */
static bool decode_gpa_range(uint64_t r, uint64_t *gpa, uint64_t *len)
{
    uint64_t pages = (r & HV_GPA_PAGE_RANGE_ADDITIONAL_MASK) + 1;
    uint64_t base, unit;

    if (!(r & HV_GPA_PAGE_RANGE_LARGE_PAGE)) {
        base = (r >> HV_GPA_PAGE_RANGE_BASE_PFN_SHIFT) * HV_PAGE_SIZE;
        unit = HV_PAGE_SIZE;
    } else {
        uint64_t large = r >> HV_GPA_PAGE_RANGE_BASE_LARGE_SHIFT;

        if (r & HV_GPA_PAGE_RANGE_LARGE_RSVD_MASK) {
            return false;
        }
        unit = 2ull << 20;
        if (r & HV_GPA_PAGE_RANGE_PAGE_SIZE_1GB) {
            unit = 1ull << 30;
            if (large & 511) {
                return false;
            }
        }
        /* 43 bits of 2 MiB units: past 2^52 is caught below */
        if (large > (1ull << 31)) {
            return false;
        }
        base = large << 21;
    }
    *gpa = base;
    *len = pages * unit;
    return base < (1ull << 52) && *len <= (1ull << 52) - base;
}

/*
 * HvExtCallMemoryHeatHint: header (heat type, reserved), then one
 * HV_GPA_PAGE_RANGE per rep.  Reps are done in order; the first bad one
 * stops the call with its status and the number of reps done before it.
 */
static uint64_t ext_memory_heat_hint(const HvOps *ops, uint64_t ingpa,
                                     unsigned rep_cnt, unsigned rep_start)
{
    uint8_t buf[8 * (1 + HV_MEMORY_HINT_MAX_GPA_PAGE_RANGES)];
    uint64_t header, words;
    unsigned type, i;

    if (rep_start >= rep_cnt) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    /* The header and the whole list fit in the one page of input */
    if (rep_cnt > HV_MEMORY_HINT_MAX_GPA_PAGE_RANGES) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    words = 1 + rep_cnt;
    if ((ingpa & 7) || (ingpa & ~HV_PAGE_MASK) + words * 8 > HV_PAGE_SIZE) {
        return HV_STATUS_INVALID_ALIGNMENT;
    }
    /* The header, then the list from rep_start on */
    if (!ops->read_gpa || !ops->read_gpa(ops->opaque, ingpa, buf, 8) ||
        !ops->read_gpa(ops->opaque, ingpa + 8 * (1 + rep_start),
                       buf + 8 * (1 + rep_start),
                       8ull * (rep_cnt - rep_start))) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    header = hv_ld64_le(buf);
    type = header & HV_EXT_MEMORY_HEAT_HINT_TYPE_MASK;
    if ((header & ~HV_EXT_MEMORY_HEAT_HINT_TYPE_MASK) ||
        type > HV_EXT_MEMORY_HEAT_HINT_COLD_DISCARD) {
        return rep_result(HV_STATUS_INVALID_PARAMETER, rep_start);
    }
    for (i = rep_start; i < rep_cnt; i++) {
        uint64_t gpa, len;
        uint16_t status;

        if (!decode_gpa_range(hv_ld64_le(buf + 8 * (1 + i)), &gpa, &len)) {
            return rep_result(HV_STATUS_INVALID_PARAMETER, i);
        }
        status = ops->memory_heat_hint(ops->opaque, type, gpa, len);
        if (status != HV_STATUS_SUCCESS) {
            return rep_result(status, i);
        }
    }
    return rep_result(HV_STATUS_SUCCESS, rep_cnt);
}

uint64_t hv_ext_hypercall(uint64_t features, const HvOps *ops,
                          uint64_t control, uint64_t ingpa, uint64_t outgpa)
{
    uint16_t code = control & HV_HYPERCALL_CODE_MASK;
    unsigned var_cnt = (control & HV_HYPERCALL_VARHEAD_MASK) >>
                       HV_HYPERCALL_VARHEAD_SHIFT;
    unsigned rep_cnt = (control & HV_HYPERCALL_REP_COUNT_MASK) >>
                       HV_HYPERCALL_REP_COUNT_SHIFT;
    unsigned rep_start = (control & HV_HYPERCALL_REP_START_MASK) >>
                         HV_HYPERCALL_REP_START_SHIFT;
    bool simple;

    if (!hv_ext_hypercall_code(code)) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    if (control & HV_HYPERCALL_RSVD_MASK) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    /*
     * KVM answers a fast extended call itself, before user space sees it,
     * whether or not the partition has the calls
     */
    if (control & HV_HYPERCALL_FAST) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    /* Without the privilege QEMU's KVM exit handler knows no such code */
    if (!feature_on(features, HYPERV_FEAT_EXT_HYPERCALLS)) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    switch (code) {
    case HV_EXT_CALL_QUERY_CAPABILITIES:
    case HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY:
        simple = true;
        break;
    case HV_EXT_CALL_MEMORY_HEAT_HINT:
        simple = false;
        break;
    default:
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    if (code == HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY &&
        !ops->boot_zeroed_memory) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    if (code == HV_EXT_CALL_MEMORY_HEAT_HINT && !ops->memory_heat_hint) {
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    /* TLFS: no variable header; rep fields only for a rep call */
    if (var_cnt || (simple && (rep_cnt || rep_start))) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    switch (code) {
    case HV_EXT_CALL_QUERY_CAPABILITIES:
        return ext_query_capabilities(ops, outgpa);
    case HV_EXT_CALL_GET_BOOT_ZEROED_MEMORY:
        return ext_get_boot_zeroed_memory(ops, outgpa);
    default:
        return ext_memory_heat_hint(ops, ingpa, rep_cnt, rep_start);
    }
}
