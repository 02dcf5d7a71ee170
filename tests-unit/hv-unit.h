/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv unit tests: helpers shared by the test programs.
 *
 * Every test runs with non-fatal GLib assertions, so a failing check marks
 * its own test case "not ok" in the TAP output and the next test case
 * still runs.  The helpers below print what was compared (leaf, register,
 * problem line) so a failure can be read without a debugger.
 */

#ifndef TESTS_UNIT_HV_UNIT_H
#define TESTS_UNIT_HV_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "hv-model.h"

#define ARRAY_LEN(a)    (sizeof(a) / sizeof((a)[0]))

/* Bit @n of X86CPU::hyperv_features, written with the literal number */
#define BIT64(n)        (1ull << (n))

/* Compare two 64-bit values, naming them on a mismatch */
#define check_hex64(what, got, want) \
    check_hex64_at(__FILE__, __LINE__, (what), (got), (want))

static inline bool check_hex64_at(const char *file, int line,
                                  const char *what, uint64_t got,
                                  uint64_t want)
{
    if (got != want) {
        g_test_fail_printf("%s:%d: %s is 0x%016" PRIx64 ", expected 0x%016"
                           PRIx64, file, line, what, got, want);
        return false;
    }
    return true;
}

/* Compare two 32-bit values, naming them on a mismatch */
#define check_hex32(what, got, want) \
    check_hex32_at(__FILE__, __LINE__, (what), (got), (want))

static inline bool check_hex32_at(const char *file, int line,
                                  const char *what, uint32_t got,
                                  uint32_t want)
{
    if (got != want) {
        g_test_fail_printf("%s:%d: %s is 0x%08" PRIx32 ", expected 0x%08"
                           PRIx32, file, line, what, got, want);
        return false;
    }
    return true;
}

/* Compare two feature masks, naming them on a mismatch */
#define check_mask(what, got, want) \
    check_mask_at(__FILE__, __LINE__, (what), (got), (want))

static inline bool check_mask_at(const char *file, int line,
                                 const char *what, uint64_t got,
                                 uint64_t want)
{
    if (got != want) {
        int feat;
        GString *diff = g_string_new(NULL);

        for (feat = 0; feat < HYPERV_FEAT_COUNT; feat++) {
            if ((got ^ want) & BIT64(feat)) {
                g_string_append_printf(diff, " %c%s",
                                       got & BIT64(feat) ? '+' : '-',
                                       hv_features[feat].prop);
            }
        }
        g_test_fail_printf("%s:%d: %s is 0x%06" PRIx64 ", expected 0x%06"
                           PRIx64 " (extra/missing:%s)", file, line, what,
                           got, want, diff->str);
        g_string_free(diff, TRUE);
        return false;
    }
    return true;
}

/*
 * Check that @problems holds exactly the @n_want lines of @want, in order.
 * Prints every line that was produced when the count or a line differs.
 */
#define check_problems(problems, want, n_want) \
    check_problems_at(__FILE__, __LINE__, (problems), (want), (n_want))

static inline bool check_problems_at(const char *file, int line,
                                     const HvProblems *problems,
                                     const char *const *want, int n_want)
{
    bool ok = problems->count == n_want;
    int i;

    for (i = 0; ok && i < n_want; i++) {
        ok = !strcmp(problems->msg[i], want[i]);
    }
    if (!ok) {
        GString *s = g_string_new(NULL);

        g_string_append_printf(s, "%s:%d: got %d problem line(s), expected "
                               "%d", file, line, problems->count, n_want);
        for (i = 0; i < problems->count; i++) {
            g_string_append_printf(s, "\n#   got [%d]:  %s", i,
                                   problems->msg[i]);
        }
        for (i = 0; i < n_want; i++) {
            g_string_append_printf(s, "\n#   want [%d]: %s", i, want[i]);
        }
        g_test_fail_printf("%s", s->str);
        g_string_free(s, TRUE);
    }
    return ok;
}

/* Expected contents of one CPUID leaf */
typedef struct ExpectedLeaf {
    uint32_t function;
    uint32_t eax, ebx, ecx, edx;
} ExpectedLeaf;

/* Check one leaf register by register */
static inline bool check_leaf_regs(const char *file, int line,
                                   const HvCpuidLeaf *got,
                                   const ExpectedLeaf *want)
{
    static const char *const names[] = { "EAX", "EBX", "ECX", "EDX" };
    const uint32_t got_regs[] = { got->eax, got->ebx, got->ecx, got->edx };
    const uint32_t want_regs[] = {
        want->eax, want->ebx, want->ecx, want->edx
    };
    bool ok = true;
    int r;

    for (r = 0; r < 4; r++) {
        char what[64];

        snprintf(what, sizeof(what), "leaf 0x%08" PRIx32 " %s",
                 want->function, names[r]);
        ok &= check_hex32_at(file, line, what, got_regs[r], want_regs[r]);
    }
    return ok;
}

/*
 * Check that @leaves (@n of them) are exactly @want, in that order: the
 * same functions, the same registers, nothing more.
 */
#define check_leaves(leaves, n, want, n_want) \
    check_leaves_at(__FILE__, __LINE__, (leaves), (n), (want), (n_want))

static inline bool check_leaves_at(const char *file, int line,
                                   const HvCpuidLeaf *leaves, int n,
                                   const ExpectedLeaf *want, int n_want)
{
    bool ok = true;
    int i;

    if (n != n_want) {
        GString *s = g_string_new(NULL);

        for (i = 0; i < n; i++) {
            g_string_append_printf(s, " 0x%08" PRIx32, leaves[i].function);
        }
        g_test_fail_printf("%s:%d: %d leaves built (%s ), expected %d",
                           file, line, n, s->str, n_want);
        g_string_free(s, TRUE);
        return false;
    }
    for (i = 0; i < n; i++) {
        if (leaves[i].function != want[i].function) {
            g_test_fail_printf("%s:%d: leaf #%d is 0x%08" PRIx32
                               ", expected 0x%08" PRIx32, file, line, i,
                               leaves[i].function, want[i].function);
            ok = false;
            continue;
        }
        ok &= check_leaf_regs(file, line, &leaves[i], &want[i]);
    }
    return ok;
}

/* Find leaf @function in @leaves, failing the test when it is absent */
#define find_leaf(leaves, n, function) \
    find_leaf_at(__FILE__, __LINE__, (leaves), (n), (function))

static inline const HvCpuidLeaf *find_leaf_at(const char *file, int line,
                                              const HvCpuidLeaf *leaves,
                                              int n, uint32_t function)
{
    const HvCpuidLeaf *leaf = hv_cpuid_find(leaves, n, function);

    if (!leaf) {
        g_test_fail_printf("%s:%d: leaf 0x%08" PRIx32 " is missing", file,
                           line, function);
    }
    return leaf;
}

/* Start a test program: TAP-friendly, non-fatal assertions */
static inline void hv_unit_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    g_test_set_nonfatal_assertions();
}

#endif
