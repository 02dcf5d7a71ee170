/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtest side of the qemu-hyperv guest harness.
 *
 * hv_guest_start() boots the guest payload (guest/, built by meson) under
 * TCG with "-kernel <payload> -append 'test=NAME smp=N ...'", waits until
 * the guest declares its results area (hv-guest-abi.h) done, and copies
 * the results out.  Tests then look records up by name and check their
 * values with the hv_assert_*() macros, whose failure messages name the
 * record, the guest test and the QEMU configuration.
 *
 * Environment:
 *   QTEST_QEMU_BINARY   QEMU to run (as for every qtest)
 *   HV_GUEST_PAYLOAD    payload to boot instead of the one meson built
 *   HV_GUEST_TIMEOUT    seconds to wait for the guest (default 30)
 *   HV_GUEST_FIRMWARE_PATH  colon-separated firmware directories, passed
 *                       as -L (default: the build's pc-bios/, which needs
 *                       bios-256k.bin and multiboot_dma.bin, then
 *                       /usr/share/seabios)
 *   HV_GUEST_QEMU_ARGS  extra QEMU arguments for every run
 *   HV_GUEST_VERBOSE    guest prints every record; the debugcon output is
 *                       shown after each run
 */
#ifndef HV_HARNESS_H
#define HV_HARNESS_H

#include "libqtest.h"
#include "hv-guest-abi.h"

typedef struct HvGuest HvGuest;

typedef struct HvGuestOptions {
    const char *accel;          /* -accel, default "tcg" */
    const char *machine;        /* -machine, default "q35" */
    const char *cpu;            /* -cpu, e.g. "qemu64,hv-vpindex=on" */
    int smp;                    /* -smp and the guest's smp=; default 1 */
    const char *memory;         /* -m, default "64" */
    const char *test;           /* guest test, test= */
    const char *guest_args;     /* more guest command line, may be NULL */
    const char *qemu_args;      /* more QEMU arguments, may be NULL */
    int timeout_ms;             /* 0: HV_GUEST_TIMEOUT or 60 s */
} HvGuestOptions;

/*
 * Boots @test on "-cpu @cpu_opts -smp @smp" and waits for the guest to
 * finish.  @guest_args (may be NULL) is appended to the guest command
 * line, e.g. "msrs=0x40000000,0x40000001".  A guest that does not finish
 * in time, or a QEMU that stops (e.g. triple fault), fails the current
 * test with the guest's debug output; a guest that finishes with a
 * failure does not: check with hv_assert_guest_passed().
 */
HvGuest *hv_guest_start(const char *cpu_opts, int smp, const char *test,
                        const char *guest_args);
HvGuest *hv_guest_start_opts(const HvGuestOptions *opts);
/*
 * Boots @opts as hv_guest_start_opts() does with QEMU's trace events
 * @events (comma-separated) logged, asserts that the guest passed, quits
 * QEMU and returns the log (g_free() it).  Only the "log" trace backend
 * writes one: with another the log has none of the events.
 */
char *hv_guest_run_traced(const HvGuestOptions *opts, const char *events);
/* Lines of @log with trace event @event, and containing @with if not NULL */
unsigned int hv_trace_count(const char *log, const char *event,
                            const char *with);
/* Quits QEMU and frees everything; NULL is fine. */
void hv_guest_stop(HvGuest *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvGuest, hv_guest_stop)

/*
 * hv_guest_start_opts() in two steps, for tests that act on the guest
 * while it runs: hv_guest_launch() returns as soon as QEMU is up, and
 * hv_guest_wait() waits for the guest to finish and reports as
 * hv_guest_start() does.
 */
HvGuest *hv_guest_launch(const HvGuestOptions *opts);
void hv_guest_wait(HvGuest *g);

/*
 * Waits until the running guest has committed a record called @fmt...
 * (printf-style) and returns it; fails the test (returns NULL) when the
 * guest finishes or stops first, or after the guest's timeout.  The
 * record is valid until the next call that reads the results again.
 * With guest/hv-time.h's mailbox_announce(), the guest tells the qtest
 * where to qtest_writel() to make it go on.
 */
const HvGuestRecord *hv_guest_wait_record(HvGuest *g, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/*
 * Migrates the running guest: QMP "migrate" to a temporary file: URI,
 * quits the source once the migration completed, starts the same QEMU
 * command line with "-incoming defer", loads the file with
 * "migrate-incoming" and waits until the guest runs again.  Afterwards
 * hv_guest_qts() is the new QEMU, and hv_guest_wait() and the other
 * functions poll the guest there.  The debug output file carries on.
 */
void hv_guest_migrate(HvGuest *g);
/*
 * The same, with @dst_args appended to the destination's command line,
 * e.g. "-cpu ..." (the last -cpu wins) for a destination that differs.
 */
void hv_guest_migrate_args(HvGuest *g, const char *dst_args);

/*
 * Snapshots of the running guest (savevm/loadvm, as the QMP jobs
 * snapshot-save and snapshot-load).  The first save makes QEMU create a
 * qcow2 image for them (blockdev-create: no qemu-img needed); false when
 * that fails, e.g. without qcow2 support (the test should skip).  Both
 * leave the guest running.
 */
bool hv_guest_snapshot_save(HvGuest *g, const char *tag);
void hv_guest_snapshot_load(HvGuest *g, const char *tag);

/*
 * CPU hot-plug over QMP.  hv_guest_cpu_add() plugs a vCPU of the -cpu
 * model (QEMU applies the -cpu properties to it) into the empty slot of
 * query-hotpluggable-cpus whose socket-id is @socket, as device @id; a
 * missing or occupied slot fails the test.  hv_guest_cpu_present()
 * tells whether that slot holds a vCPU.  To unplug, device_del
 * (qtest_qmp_device_del_send()) asks; on q35 the guest then ejects the
 * vCPU through the ACPI CPU hotplug registers, as its OS would.
 */
void hv_guest_cpu_add(HvGuest *g, const char *id, int socket);
bool hv_guest_cpu_present(HvGuest *g, int socket);

/* The payload that hv_guest_start() boots. */
const char *hv_guest_payload(void);

/* The QEMU instance, still running (guest parked), for QMP queries. */
QTestState *hv_guest_qts(HvGuest *g);
/* "test smoke: -machine q35 -cpu qemu64 -smp 4", for messages. */
const char *hv_guest_describe(HvGuest *g);
/* HV_GUEST_STATE_PASSED or HV_GUEST_STATE_FAILED */
uint32_t hv_guest_state(HvGuest *g);
bool hv_guest_passed(HvGuest *g);
/* The guest's first failure message; "" when none. */
const char *hv_guest_message(HvGuest *g);
/* CPUs the guest brought up, BSP included. */
unsigned int hv_guest_nr_cpus(HvGuest *g);
/* The test name the guest read from its command line. */
const char *hv_guest_test_name(HvGuest *g);
/* Everything the guest printed to the debugcon port. */
const char *hv_guest_debug_output(HvGuest *g);

/* Committed records, in the order the guest allocated them. */
unsigned int hv_guest_nr_records(HvGuest *g);
const HvGuestRecord *hv_guest_record(HvGuest *g, unsigned int i);
/* First record called @name, or NULL. */
const HvGuestRecord *hv_guest_find(HvGuest *g, const char *name);
const HvGuestRecord *hv_guest_findf(HvGuest *g, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
/*
 * The record called @fmt..., which must exist once and must not have
 * faulted (both asserted).  Under g_test_set_nonfatal_assertions() a
 * missing one reads as all zeroes, so callers need no NULL check.
 */
const HvGuestRecord *hv_guest_good_record(HvGuest *g, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* Number of records called @name. */
unsigned int hv_guest_count(HvGuest *g, const char *name);

/*
 * A 12-character string from the low 32 bits of three values, e.g. the
 * CPUID vendor (1, 3, 2 = ebx, edx, ecx) or hypervisor signature (1, 2, 3)
 * of a cpuid record.  Free with g_free().
 */
char *hv_record_string12(const HvGuestRecord *r, int a, int b, int c);

/*
 * Assertions.  They report through g_assertion_message(), i.e. like
 * g_assert(): fatal unless g_test_set_nonfatal_assertions() is in effect.
 * The record name is printf-style: hv_assert_value(g, 0, 1,
 * "cpu%u.barrier", i).
 */
#define hv_assert_guest_passed(g) \
    hv_check_guest_passed(__FILE__, __LINE__, G_STRFUNC, g)

/* The guest finished FAILED with a message containing @substr. */
#define hv_assert_guest_failed(g, substr) \
    hv_check_guest_failed(__FILE__, __LINE__, G_STRFUNC, g, substr)

/* Returns the record; fails when it is missing or duplicated. */
#define hv_assert_record(g, ...) \
    hv_check_record(__FILE__, __LINE__, G_STRFUNC, g, __VA_ARGS__)

/* values[@idx] == @expected */
#define hv_assert_value(g, idx, expected, ...) \
    hv_check_value(__FILE__, __LINE__, G_STRFUNC, g, idx, expected, \
                   __VA_ARGS__)

/* (values[@idx] & @mask) == @expected */
#define hv_assert_value_masked(g, idx, mask, expected, ...) \
    hv_check_value_masked(__FILE__, __LINE__, G_STRFUNC, g, idx, mask, \
                          expected, __VA_ARGS__)

/* The recorded operation did not fault. */
#define hv_assert_no_fault(g, ...) \
    hv_check_fault(__FILE__, __LINE__, G_STRFUNC, g, HV_GUEST_FAULT_NONE, \
                   __VA_ARGS__)

/* The recorded operation took exception @vector (13 = #GP, 6 = #UD). */
#define hv_assert_fault(g, vector, ...) \
    hv_check_fault(__FILE__, __LINE__, G_STRFUNC, g, vector, __VA_ARGS__)

/*
 * The 12-character string from values @a, @b, @c (see hv_record_string12)
 * is @expected, e.g. hv_assert_string12(g, 1, 3, 2, "GenuineIntel",
 * "cpu%u.cpuid.00000000", i).
 */
#define hv_assert_string12(g, a, b, c, expected, ...) \
    hv_check_string12(__FILE__, __LINE__, G_STRFUNC, g, a, b, c, expected, \
                      __VA_ARGS__)

/* Fails the test with a printf-style message plus the guest's setup. */
#define hv_fail(g, ...) \
    hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g, __VA_ARGS__)

/* The implementations behind the macros. */
void hv_check_guest_passed(const char *file, int line, const char *func,
                           HvGuest *g);
void hv_check_guest_failed(const char *file, int line, const char *func,
                           HvGuest *g, const char *substr);
const HvGuestRecord *hv_check_record(const char *file, int line,
                                     const char *func, HvGuest *g,
                                     const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
void hv_check_value(const char *file, int line, const char *func,
                    HvGuest *g, int idx, uint64_t expected,
                    const char *fmt, ...)
    G_GNUC_PRINTF(7, 8);
void hv_check_value_masked(const char *file, int line, const char *func,
                           HvGuest *g, int idx, uint64_t mask,
                           uint64_t expected, const char *fmt, ...)
    G_GNUC_PRINTF(8, 9);
void hv_check_fault(const char *file, int line, const char *func,
                    HvGuest *g, int vector, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);
void hv_check_string12(const char *file, int line, const char *func,
                       HvGuest *g, int a, int b, int c, const char *expected,
                       const char *fmt, ...)
    G_GNUC_PRINTF(9, 10);
void hv_check_fail(const char *file, int line, const char *func, HvGuest *g,
                   const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/* "#GP" for 13 etc., "none" for HV_GUEST_FAULT_NONE. */
const char *hv_fault_name(int vector);

/*
 * QEMU start-up checks, without qtest (libqtest aborts when QEMU fails to
 * start).  hv_qemu_try_start() runs QTEST_QEMU_BINARY with @args plus
 * -daemonize, so QEMU exits as soon as it either failed to initialise or
 * got through initialisation; in the latter case the daemonized QEMU is
 * killed again.  Returns QEMU's exit status (0: it started) and stores
 * its stdout + stderr in *@output (g_free it).
 */
int hv_qemu_try_start(const char *args, char **output);
/*
 * Same, with "-accel tcg -machine q35 -cpu @cpu_opts -nodefaults -display
 * none -S" in front of @extra_args (may be NULL).
 */
int hv_qemu_try_cpu(const char *cpu_opts, const char *extra_args,
                    char **output);

/* QEMU refuses -cpu @cpu_opts with an error that contains @substr. */
#define hv_assert_qemu_rejects(cpu_opts, extra_args, substr) \
    hv_check_qemu_rejects(__FILE__, __LINE__, G_STRFUNC, cpu_opts, \
                          extra_args, substr)
/* QEMU starts with -cpu @cpu_opts. */
#define hv_assert_qemu_accepts(cpu_opts, extra_args) \
    hv_check_qemu_accepts(__FILE__, __LINE__, G_STRFUNC, cpu_opts, \
                          extra_args)

void hv_check_qemu_rejects(const char *file, int line, const char *func,
                           const char *cpu_opts, const char *extra_args,
                           const char *substr);
void hv_check_qemu_accepts(const char *file, int line, const char *func,
                           const char *cpu_opts, const char *extra_args);

#endif /* HV_HARNESS_H */
