/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtest side of the qemu-hyperv guest harness; see hv-harness.h.
 */
#include "qemu/osdep.h"
#include <poll.h>
#include <sys/wait.h>
#include "qemu/bswap.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "hv-harness.h"

#define HV_GUEST_DEFAULT_TIMEOUT_S  30
/* Between two looks at the results area. */
#define HV_POLL_INTERVAL_US         5000
/* How often (in polls) to ask QMP whether the VM still runs. */
#define HV_RUNSTATE_POLLS           20
/* The debug output shown in a failure message is cut to its tail. */
#define HV_DEBUG_TAIL               4096
/* hv_qemu_try_start(): how long QEMU may take to start or fail. */
#define HV_QEMU_START_TIMEOUT_S     30

struct HvGuest {
    QTestState *qts;
    char *describe;
    char *debug_path;
    char *debug_output;
    HvGuestResults results;
    HvGuestRecord *records;
    unsigned int nr_records;
    /* For hv_guest_wait() and hv_guest_migrate() */
    char *qemu_args;
    int timeout_ms;
    /* hv_guest_snapshot_save(): the qcow2 image that holds snapshots */
    char *snapshot_path;
};

static const char *const fault_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/*
 * A QEMU that died makes libqtest's next write to it fail.  With SIGPIPE
 * ignored that fails the test with a message, and libqtest's abort
 * handler names the signal QEMU died of; otherwise the test binary is
 * killed without a word.
 */
static void __attribute__((constructor)) hv_harness_ignore_sigpipe(void)
{
    signal(SIGPIPE, SIG_IGN);
}

const char *hv_fault_name(int vector)
{
    if (vector == HV_GUEST_FAULT_NONE) {
        return "none";
    }
    return vector >= 0 && vector < 32 ? fault_names[vector] : "?";
}

const char *hv_guest_payload(void)
{
    const char *path = getenv("HV_GUEST_PAYLOAD");

    return path && *path ? path : HV_GUEST_PAYLOAD;
}

static int hv_guest_timeout_ms(const HvGuestOptions *opts)
{
    const char *env = getenv("HV_GUEST_TIMEOUT");

    if (opts->timeout_ms > 0) {
        return opts->timeout_ms;
    }
    if (env && atoi(env) > 0) {
        return atoi(env) * 1000;
    }
    return HV_GUEST_DEFAULT_TIMEOUT_S * 1000;
}

/* Like libqtest, which keeps its own helper for this private. */
static const char *hv_qemu_binary(void)
{
    const char *qemu = getenv("QTEST_QEMU_BINARY");

    if (!qemu) {
        g_error("environment variable QTEST_QEMU_BINARY required");
    }
    return qemu;
}

/*
 * -L options for QEMU's firmware (SeaBIOS, the multiboot option ROM):
 * the existing directories of HV_GUEST_FIRMWARE_PATH, or by default of
 * the build tree's pc-bios/ and the distribution's SeaBIOS directory.
 */
static char *hv_firmware_args(void)
{
    const char *path = getenv("HV_GUEST_FIRMWARE_PATH");
    g_auto(GStrv) dirs = g_strsplit(path ?: HV_QEMU_FIRMWARE_PATH, ":", -1);
    GString *args = g_string_new(NULL);
    int i;

    for (i = 0; dirs[i]; i++) {
        if (*dirs[i] && g_file_test(dirs[i], G_FILE_TEST_IS_DIR)) {
            g_autofree char *quoted = g_shell_quote(dirs[i]);

            g_string_append_printf(args, " -L %s", quoted);
        }
    }
    return g_string_free(args, false);
}

/*
 * QEMU boots a multiboot kernel through the multiboot_dma.bin option ROM;
 * without it the guest never runs and hv_guest_start() could only time
 * out.  Returns NULL when QEMU will find the ROM, else why not.
 */
static const char *hv_missing_firmware(void)
{
    static bool checked;
    static char *missing;
    const char *rom = "multiboot_dma.bin";
    const char *path = getenv("HV_GUEST_FIRMWARE_PATH");
    g_auto(GStrv) dirs = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *qemu_dirs = NULL;
    g_autofree char *all_dirs = NULL;
    int i;

    if (checked) {
        return missing;
    }
    checked = true;

    /* Ours, then QEMU's own data directories as "-L help" lists them. */
    cmd = g_strdup_printf("sh -c 'exec %s -L help'", hv_qemu_binary());
    if (!g_spawn_command_line_sync(cmd, &qemu_dirs, NULL, NULL, NULL)) {
        qemu_dirs = g_strdup("");
    }
    g_strdelimit(g_strstrip(qemu_dirs), "\n", ':');
    all_dirs = g_strdup_printf("%s:%s", path ?: HV_QEMU_FIRMWARE_PATH,
                               qemu_dirs);
    dirs = g_strsplit(all_dirs, ":", -1);
    for (i = 0; dirs[i]; i++) {
        g_autofree char *file = g_build_filename(dirs[i], rom, NULL);

        if (*dirs[i] && g_file_test(file, G_FILE_TEST_EXISTS)) {
            return NULL;
        }
    }
    missing = g_strdup_printf("QEMU's %s option ROM is in none of %s: "
                              "build pc-bios/optionrom or point "
                              "HV_GUEST_FIRMWARE_PATH at it", rom,
                              all_dirs);
    return missing;
}

static bool hv_verbose(void)
{
    return getenv("HV_GUEST_VERBOSE") != NULL;
}

/* ---- Reading the results area ---------------------------------------- */

static void hv_results_from_le(HvGuestResults *r)
{
    r->magic = le64_to_cpu(r->magic);
    r->abi_version = le32_to_cpu(r->abi_version);
    r->state = le32_to_cpu(r->state);
    r->nr_cpus = le32_to_cpu(r->nr_cpus);
    r->nr_records = le32_to_cpu(r->nr_records);
    r->max_records = le32_to_cpu(r->max_records);
    r->nr_failures = le32_to_cpu(r->nr_failures);
    r->tsc_start = le64_to_cpu(r->tsc_start);
    r->tsc_end = le64_to_cpu(r->tsc_end);
    r->test[sizeof(r->test) - 1] = '\0';
    r->message[sizeof(r->message) - 1] = '\0';
}

static void hv_record_from_le(HvGuestRecord *r)
{
    int i;

    r->name[sizeof(r->name) - 1] = '\0';
    for (i = 0; i < HV_GUEST_RECORD_VALUES; i++) {
        r->values[i] = le64_to_cpu(r->values[i]);
    }
    r->flags = le32_to_cpu(r->flags);
    r->fault_error_code = le32_to_cpu(r->fault_error_code);
    r->cpu = le16_to_cpu(r->cpu);
    r->committed = le32_to_cpu(r->committed);
}

/* Copies header and committed records out of the guest. */
static void hv_guest_read_results(HvGuest *g)
{
    unsigned int i, n;
    HvGuestRecord *raw;

    qtest_bufread(g->qts, HV_GUEST_RESULTS_GPA, &g->results,
                  sizeof(g->results));
    hv_results_from_le(&g->results);
    g_free(g->records);
    g->records = NULL;
    g->nr_records = 0;
    if (g->results.magic != HV_GUEST_RESULTS_MAGIC) {
        return;
    }

    n = MIN(g->results.nr_records, HV_GUEST_MAX_RECORDS);
    if (!n) {
        return;
    }
    raw = g_new(HvGuestRecord, n);
    qtest_bufread(g->qts, HV_GUEST_RECORDS_GPA, raw, n * sizeof(*raw));
    g->records = g_new(HvGuestRecord, n);
    for (i = 0; i < n; i++) {
        hv_record_from_le(&raw[i]);
        /* A CPU that died mid-record leaves it uncommitted: skip it. */
        if (raw[i].committed == 1) {
            g->records[g->nr_records++] = raw[i];
        }
    }
    g_free(raw);
}

static const char *hv_state_name(uint32_t state)
{
    switch (state) {
    case HV_GUEST_STATE_BOOTING:
        return "not started";
    case HV_GUEST_STATE_RUNNING:
        return "running";
    case HV_GUEST_STATE_PASSED:
        return "passed";
    case HV_GUEST_STATE_FAILED:
        return "failed";
    default:
        return "corrupt";
    }
}

/* What a failure message shows about the guest besides the check. */
static char *hv_guest_report(HvGuest *g)
{
    const char *out = hv_guest_debug_output(g);
    size_t len = strlen(out);
    const char *tail = len > HV_DEBUG_TAIL ? out + len - HV_DEBUG_TAIL : out;

    return g_strdup_printf("%s\n"
                           "  guest state: %s, %u CPUs, %u records, "
                           "message: \"%s\"\n"
                           "  guest debug output%s:\n%s",
                           g->describe,
                           g->results.magic == HV_GUEST_RESULTS_MAGIC ?
                               hv_state_name(g->results.state) :
                               "no results area",
                           g->results.nr_cpus, g->nr_records,
                           g->results.message,
                           tail != out ? " (tail)" : "", tail);
}

/* ---- Starting and stopping ------------------------------------------- */

/* NULL when QEMU still runs the guest, else the run state it is in. */
static char *hv_guest_stopped_state(HvGuest *g)
{
    QDict *rsp, *ret;
    char *status = NULL;

    if (!qtest_probe_child(g->qts)) {
        return g_strdup("QEMU exited");
    }
    rsp = qtest_qmp(g->qts, "{ 'execute': 'query-status' }");
    ret = qdict_get_qdict(rsp, "return");
    if (!ret) {
        status = g_strdup("query-status failed");
    } else if (!qdict_get_bool(ret, "running")) {
        status = g_strdup_printf("VM stopped, run state %s",
                                 qdict_get_str(ret, "status"));
    }
    qobject_unref(rsp);
    return status;
}

HvGuest *hv_guest_launch(const HvGuestOptions *opts)
{
    HvGuest *g = g_new0(HvGuest, 1);
    const char *payload = hv_guest_payload();
    const char *accel = opts->accel ?: "tcg";
    const char *machine = opts->machine ?: "q35";
    const char *env_args = getenv("HV_GUEST_QEMU_ARGS");
    int smp = opts->smp > 0 ? opts->smp : 1;
    int timeout_ms = hv_guest_timeout_ms(opts);
    g_autofree char *append = NULL;
    g_autofree char *append_quoted = NULL;
    g_autofree char *args = NULL;
    g_autofree char *firmware_args = hv_firmware_args();
    int fd;

    g_assert(opts->cpu && opts->test);
    if (!g_file_test(payload, G_FILE_TEST_EXISTS)) {
        g_error("guest payload %s not found (build it, or set "
                "HV_GUEST_PAYLOAD)", payload);
    }
    if (hv_missing_firmware()) {
        g_error("%s", hv_missing_firmware());
    }

    g->describe = g_strdup_printf("guest test %s: -accel %s -machine %s "
                                  "-cpu %s -smp %d%s%s%s%s",
                                  opts->test, accel, machine, opts->cpu, smp,
                                  opts->guest_args ? ", guest args: " : "",
                                  opts->guest_args ?: "",
                                  opts->qemu_args ? ", QEMU args: " : "",
                                  opts->qemu_args ?: "");

    fd = g_file_open_tmp("hv-guest-XXXXXX.log", &g->debug_path, NULL);
    g_assert(fd >= 0);
    close(fd);

    append = g_strdup_printf("test=%s smp=%d%s%s%s", opts->test, smp,
                             hv_verbose() ? " verbose=1" : "",
                             opts->guest_args ? " " : "",
                             opts->guest_args ?: "");
    append_quoted = g_shell_quote(append);
    /*
     * libqtest appends "-accel qtest"; the first accelerator that works
     * wins, so the guest runs under @accel.  A triple fault would reset
     * the guest and boot it again: turn it into a paused VM instead, which
     * the poll loop notices.
     */
    args = g_strdup_printf("-accel %s -machine %s -cpu %s -smp %d -m %s "
                           "-nodefaults -kernel %s -append %s "
                           "-chardev file,id=hvdbg,path=%s,append=on "
                           "-device isa-debugcon,iobase=0x%x,chardev=hvdbg "
                           "-action reboot=shutdown,shutdown=pause%s %s %s",
                           accel, machine, opts->cpu, smp,
                           opts->memory ?: "64", payload, append_quoted,
                           g->debug_path, HV_GUEST_DEBUGCON_PORT,
                           firmware_args, opts->qemu_args ?: "",
                           env_args ?: "");
    g->qts = qtest_init(args);
    g->qemu_args = g_steal_pointer(&args);
    g->timeout_ms = timeout_ms;
    return g;
}

void hv_guest_wait(HvGuest *g)
{
    const char *payload = hv_guest_payload();
    int timeout_ms = g->timeout_ms;
    g_autofree char *stop_reason = NULL;
    gint64 deadline;
    int polls = 0;

    deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        uint64_t magic;
        uint32_t state;

        /* Talking to a QEMU that exited would kill us with SIGPIPE */
        if (!qtest_probe_child(g->qts)) {
            stop_reason = g_strdup("QEMU exited");
            break;
        }
        magic = qtest_readq(g->qts, HV_GUEST_RESULTS_GPA +
                            offsetof(HvGuestResults, magic));
        state = qtest_readl(g->qts, HV_GUEST_RESULTS_GPA +
                            offsetof(HvGuestResults, state));
        if (magic == HV_GUEST_RESULTS_MAGIC &&
            (state == HV_GUEST_STATE_PASSED ||
             state == HV_GUEST_STATE_FAILED)) {
            break;
        }
        if (++polls % HV_RUNSTATE_POLLS == 0) {
            stop_reason = hv_guest_stopped_state(g);
            if (stop_reason) {
                break;
            }
        }
        if (g_get_monotonic_time() > deadline) {
            stop_reason = g_strdup_printf("guest did not finish within "
                                          "%d ms", timeout_ms);
            break;
        }
        g_usleep(HV_POLL_INTERVAL_US);
    }

    if (qtest_probe_child(g->qts)) {
        hv_guest_read_results(g);
    }
    if (hv_verbose()) {
        g_test_message("%s: guest debug output:", g->describe);
        g_test_message("%s", hv_guest_debug_output(g));
    }
    if (stop_reason) {
        g_autofree char *report = hv_guest_report(g);
        g_autofree char *msg = g_strdup_printf("%s\n  %s", stop_reason,
                                               report);

        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                            msg);
    } else if (g->results.abi_version != HV_GUEST_ABI_VERSION) {
        g_autofree char *msg =
            g_strdup_printf("guest payload speaks ABI version %u, the "
                            "harness %u: rebuild the payload (%s)",
                            g->results.abi_version, HV_GUEST_ABI_VERSION,
                            payload);

        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                            msg);
    }
}

HvGuest *hv_guest_start_opts(const HvGuestOptions *opts)
{
    HvGuest *g = hv_guest_launch(opts);

    hv_guest_wait(g);
    return g;
}

char *hv_guest_run_traced(const HvGuestOptions *opts, const char *events)
{
    g_autofree char *trace = NULL;
    g_autofree char *args = NULL;
    g_auto(GStrv) names = g_strsplit(events, ",", -1);
    GString *enable = g_string_new(NULL);
    HvGuestOptions traced = *opts;
    HvGuest *g;
    char *log = NULL;
    int fd, i;

    fd = g_file_open_tmp("hv-guest-XXXXXX.trace", &trace, NULL);
    g_assert(fd >= 0);
    close(fd);
    for (i = 0; names[i]; i++) {
        g_string_append_printf(enable, "-trace enable=%s ", names[i]);
    }
    args = g_strdup_printf("%s %s-D %s", opts->qemu_args ?: "", enable->str,
                           trace);
    g_string_free(enable, true);
    traced.qemu_args = args;
    g = hv_guest_start_opts(&traced);
    hv_assert_guest_passed(g);
    hv_guest_stop(g);

    g_assert_true(g_file_get_contents(trace, &log, NULL, NULL));
    unlink(trace);
    return log;
}

unsigned int hv_trace_count(const char *log, const char *event,
                            const char *with)
{
    g_autofree char *name = g_strdup_printf("%s ", event);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    unsigned int n = 0;
    int i;

    for (i = 0; lines[i]; i++) {
        n += strstr(lines[i], name) && (!with || strstr(lines[i], with));
    }
    return n;
}

HvGuest *hv_guest_start(const char *cpu_opts, int smp, const char *test,
                        const char *guest_args)
{
    HvGuestOptions opts = {
        .cpu = cpu_opts,
        .smp = smp,
        .test = test,
        .guest_args = guest_args,
    };

    return hv_guest_start_opts(&opts);
}

void hv_guest_stop(HvGuest *g)
{
    if (!g) {
        return;
    }
    if (g->qts) {
        qtest_quit(g->qts);
    }
    if (g->debug_path) {
        unlink(g->debug_path);
    }
    if (g->snapshot_path) {
        unlink(g->snapshot_path);
    }
    g_free(g->snapshot_path);
    g_free(g->qemu_args);
    g_free(g->debug_path);
    g_free(g->debug_output);
    g_free(g->describe);
    g_free(g->records);
    g_free(g);
}

/* ---- Accessors ------------------------------------------------------- */

QTestState *hv_guest_qts(HvGuest *g)
{
    return g->qts;
}

const char *hv_guest_describe(HvGuest *g)
{
    return g->describe;
}

uint32_t hv_guest_state(HvGuest *g)
{
    return g->results.magic == HV_GUEST_RESULTS_MAGIC ?
        g->results.state : HV_GUEST_STATE_BOOTING;
}

bool hv_guest_passed(HvGuest *g)
{
    return hv_guest_state(g) == HV_GUEST_STATE_PASSED;
}

const char *hv_guest_message(HvGuest *g)
{
    return g->results.message;
}

unsigned int hv_guest_nr_cpus(HvGuest *g)
{
    return g->results.nr_cpus;
}

const char *hv_guest_test_name(HvGuest *g)
{
    return g->results.test;
}

const char *hv_guest_debug_output(HvGuest *g)
{
    g_free(g->debug_output);
    g->debug_output = NULL;
    if (!g_file_get_contents(g->debug_path, &g->debug_output, NULL, NULL)) {
        g->debug_output = g_strdup("");
    }
    return g->debug_output;
}

unsigned int hv_guest_nr_records(HvGuest *g)
{
    return g->nr_records;
}

const HvGuestRecord *hv_guest_record(HvGuest *g, unsigned int i)
{
    return i < g->nr_records ? &g->records[i] : NULL;
}

const HvGuestRecord *hv_guest_find(HvGuest *g, const char *name)
{
    unsigned int i;

    for (i = 0; i < g->nr_records; i++) {
        if (!strcmp(g->records[i].name, name)) {
            return &g->records[i];
        }
    }
    return NULL;
}

const HvGuestRecord *hv_guest_findf(HvGuest *g, const char *fmt, ...)
{
    g_autofree char *name = NULL;
    va_list ap;

    va_start(ap, fmt);
    name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return hv_guest_find(g, name);
}

unsigned int hv_guest_count(HvGuest *g, const char *name)
{
    unsigned int i, n = 0;

    for (i = 0; i < g->nr_records; i++) {
        n += !strcmp(g->records[i].name, name);
    }
    return n;
}

char *hv_record_string12(const HvGuestRecord *r, int a, int b, int c)
{
    char s[13];
    uint32_t w[3] = {
        cpu_to_le32(r->values[a]),
        cpu_to_le32(r->values[b]),
        cpu_to_le32(r->values[c]),
    };

    memcpy(s, w, 12);
    s[12] = '\0';
    return g_strdup(s);
}

/* ---- Assertions ------------------------------------------------------ */

void hv_check_fail(const char *file, int line, const char *func, HvGuest *g,
                   const char *fmt, ...)
{
    g_autofree char *what = NULL;
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    msg = g_strdup_printf("%s (%s)", what, g->describe);
    g_assertion_message(G_LOG_DOMAIN, file, line, func, msg);
}

static char *hv_record_to_string(const HvGuestRecord *r)
{
    GString *s = g_string_new(NULL);
    int i;

    g_string_append_printf(s, "%s = {", r->name);
    for (i = 0; i < r->nr_values && i < HV_GUEST_RECORD_VALUES; i++) {
        g_string_append_printf(s, "%s0x%" PRIx64, i ? ", " : " ",
                               r->values[i]);
    }
    g_string_append_printf(s, " } fault %s", hv_fault_name(r->fault_vector));
    if (r->fault_vector != HV_GUEST_FAULT_NONE) {
        g_string_append_printf(s, " (error code 0x%x)", r->fault_error_code);
    }
    g_string_append_printf(s, ", cpu %u, flags 0x%x", r->cpu, r->flags);
    return g_string_free(s, false);
}

void hv_check_guest_passed(const char *file, int line, const char *func,
                           HvGuest *g)
{
    g_autofree char *report = NULL;
    g_autofree char *msg = NULL;
    g_autoptr(GString) failed = NULL;
    unsigned int i;

    if (hv_guest_passed(g)) {
        return;
    }
    report = hv_guest_report(g);
    failed = g_string_new(NULL);
    for (i = 0; i < g->nr_records; i++) {
        if (g->records[i].flags & (HV_GUEST_RECORD_FAILED |
                                   HV_GUEST_RECORD_EXCEPTION)) {
            g_autofree char *r = hv_record_to_string(&g->records[i]);

            g_string_append_printf(failed, "\n  failed record: %s", r);
        }
    }
    msg = g_strdup_printf("guest did not pass: \"%s\"%s\n  %s",
                          hv_guest_message(g), failed->str, report);
    g_assertion_message(G_LOG_DOMAIN, file, line, func, msg);
}

void hv_check_guest_failed(const char *file, int line, const char *func,
                           HvGuest *g, const char *substr)
{
    if (hv_guest_state(g) != HV_GUEST_STATE_FAILED) {
        hv_check_fail(file, line, func, g, "guest should have failed with "
                "\"%s\", but its state is %s", substr,
                hv_state_name(hv_guest_state(g)));
    } else if (!strstr(hv_guest_message(g), substr)) {
        hv_check_fail(file, line, func, g, "guest failed with \"%s\", expected "
                "a message containing \"%s\"", hv_guest_message(g), substr);
    }
}

static const HvGuestRecord *hv_vcheck_record(const char *file, int line,
                                             const char *func, HvGuest *g,
                                             char **name_out,
                                             const char *fmt, va_list ap)
    G_GNUC_PRINTF(6, 0);

static const HvGuestRecord *hv_vcheck_record(const char *file, int line,
                                             const char *func, HvGuest *g,
                                             char **name_out,
                                             const char *fmt, va_list ap)
{
    char *name = g_strdup_vprintf(fmt, ap);
    unsigned int n = hv_guest_count(g, name);

    *name_out = name;
    if (n != 1) {
        hv_check_fail(file, line, func, g, "record %s: %s", name,
                n ? "reported more than once" : "missing");
        return NULL;
    }
    return hv_guest_find(g, name);
}

const HvGuestRecord *hv_check_record(const char *file, int line,
                                     const char *func, HvGuest *g,
                                     const char *fmt, ...)
{
    g_autofree char *name = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    r = hv_vcheck_record(file, line, func, g, &name, fmt, ap);
    va_end(ap);
    return r;
}

static void hv_check_value_common(const char *file, int line,
                                  const char *func, HvGuest *g,
                                  const HvGuestRecord *r, int idx,
                                  uint64_t mask, uint64_t expected)
{
    g_autofree char *rs = NULL;

    if (!r) {
        return;         /* already reported */
    }
    rs = hv_record_to_string(r);
    if (idx < 0 || idx >= r->nr_values) {
        hv_check_fail(file, line, func, g, "record %s: has no value %d\n  %s",
                r->name, idx, rs);
    } else if ((r->values[idx] & mask) != expected) {
        if (mask == UINT64_MAX) {
            hv_check_fail(file, line, func, g,
                    "record %s: value %d is 0x%" PRIx64 ", expected 0x%"
                    PRIx64 "\n  %s", r->name, idx, r->values[idx],
                    expected, rs);
        } else {
            hv_check_fail(file, line, func, g,
                    "record %s: value %d & 0x%" PRIx64 " is 0x%" PRIx64
                    ", expected 0x%" PRIx64 "\n  %s", r->name, idx, mask,
                    r->values[idx] & mask, expected, rs);
        }
    }
}

void hv_check_value(const char *file, int line, const char *func,
                    HvGuest *g, int idx, uint64_t expected,
                    const char *fmt, ...)
{
    g_autofree char *name = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    r = hv_vcheck_record(file, line, func, g, &name, fmt, ap);
    va_end(ap);
    hv_check_value_common(file, line, func, g, r, idx, UINT64_MAX, expected);
}

void hv_check_value_masked(const char *file, int line, const char *func,
                           HvGuest *g, int idx, uint64_t mask,
                           uint64_t expected, const char *fmt, ...)
{
    g_autofree char *name = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    r = hv_vcheck_record(file, line, func, g, &name, fmt, ap);
    va_end(ap);
    hv_check_value_common(file, line, func, g, r, idx, mask, expected);
}

void hv_check_fault(const char *file, int line, const char *func,
                    HvGuest *g, int vector, const char *fmt, ...)
{
    g_autofree char *name = NULL;
    g_autofree char *rs = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    r = hv_vcheck_record(file, line, func, g, &name, fmt, ap);
    va_end(ap);
    if (!r || r->fault_vector == vector) {
        return;
    }
    rs = hv_record_to_string(r);
    hv_check_fail(file, line, func, g, "record %s: fault %s (%d), expected %s "
            "(%d)\n  %s", r->name, hv_fault_name(r->fault_vector),
            r->fault_vector, hv_fault_name(vector), vector, rs);
}

void hv_check_string12(const char *file, int line, const char *func,
                       HvGuest *g, int a, int b, int c, const char *expected,
                       const char *fmt, ...)
{
    g_autofree char *name = NULL;
    g_autofree char *actual = NULL;
    g_autofree char *rs = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    r = hv_vcheck_record(file, line, func, g, &name, fmt, ap);
    va_end(ap);
    if (!r) {
        return;
    }
    if (MAX(a, MAX(b, c)) >= r->nr_values || MIN(a, MIN(b, c)) < 0) {
        hv_check_fail(file, line, func, g, "record %s: has no values %d, "
                      "%d, %d", r->name, a, b, c);
        return;
    }
    actual = hv_record_string12(r, a, b, c);
    if (strcmp(actual, expected)) {
        rs = hv_record_to_string(r);
        hv_check_fail(file, line, func, g, "record %s: values %d, %d, %d "
                      "spell \"%s\", expected \"%s\"\n  %s", r->name, a,
                      b, c, actual, expected, rs);
    }
}

/* ---- QEMU start-up checks -------------------------------------------- */

int hv_qemu_try_start(const char *args, char **output)
{
    const char *qemu = hv_qemu_binary();
    const char *env_args = getenv("HV_GUEST_QEMU_ARGS");
    g_autofree char *pidfile = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *firmware_args = hv_firmware_args();
    g_autoptr(GError) err = NULL;
    GString *out = g_string_new(NULL);
    gint64 deadline;
    int fd, out_fd, status = -1;
    bool eof = false, exited = false;
    GPid pid;

    fd = g_file_open_tmp("hv-qemu-XXXXXX.pid", &pidfile, NULL);
    g_assert(fd >= 0);
    close(fd);
    unlink(pidfile);

    /* -daemonize: the parent exits 0 only once initialisation is done. */
    cmd = g_strdup_printf("exec %s %s%s %s -daemonize -pidfile %s 2>&1",
                          qemu, args, firmware_args, env_args ?: "",
                          pidfile);
    {
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

        if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                      G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                      &pid, NULL, &out_fd, NULL, &err)) {
            g_error("cannot run %s: %s", qemu, err->message);
        }
    }

    deadline = g_get_monotonic_time() +
               (gint64)HV_QEMU_START_TIMEOUT_S * G_USEC_PER_SEC;
    while (!eof || !exited) {
        if (!eof) {
            struct pollfd pfd = { .fd = out_fd, .events = POLLIN };

            if (poll(&pfd, 1, 10) > 0) {
                char buf[4096];
                ssize_t len = read(out_fd, buf, sizeof(buf));

                if (len > 0) {
                    g_string_append_len(out, buf, len);
                } else if (len == 0 || errno != EINTR) {
                    eof = true;
                }
            }
        } else {
            g_usleep(1000);
        }
        if (!exited) {
            int wstatus;

            if (waitpid(pid, &wstatus, WNOHANG) == pid) {
                exited = true;
                status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
                         128 + WTERMSIG(wstatus);
            }
        }
        if (g_get_monotonic_time() > deadline) {
            if (!exited) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                g_string_append_printf(out, "\n[QEMU neither started nor "
                                       "failed within %d s: killed]\n",
                                       HV_QEMU_START_TIMEOUT_S);
                status = 128 + SIGKILL;
            }
            break;
        }
    }
    close(out_fd);
    g_spawn_close_pid(pid);

    /* It started and daemonized: stop the daemon, which we started. */
    if (status == 0) {
        g_autofree char *pid_text = NULL;

        if (g_file_get_contents(pidfile, &pid_text, NULL, NULL) &&
            atoi(pid_text) > 0) {
            kill(atoi(pid_text), SIGKILL);
        } else {
            g_string_append(out, "\n[QEMU started but wrote no pidfile]\n");
        }
    }
    unlink(pidfile);

    *output = g_string_free(out, false);
    return status;
}

int hv_qemu_try_cpu(const char *cpu_opts, const char *extra_args,
                    char **output)
{
    g_autofree char *args = g_strdup_printf("-accel tcg -machine q35 "
                                            "-cpu %s -nodefaults "
                                            "-display none -S %s",
                                            cpu_opts, extra_args ?: "");

    return hv_qemu_try_start(args, output);
}

void hv_check_qemu_rejects(const char *file, int line, const char *func,
                           const char *cpu_opts, const char *extra_args,
                           const char *substr)
{
    g_autofree char *output = NULL;
    g_autofree char *msg = NULL;
    int status = hv_qemu_try_cpu(cpu_opts, extra_args, &output);

    if (status == 0) {
        msg = g_strdup_printf("QEMU accepted -cpu %s %s, expected an "
                              "error containing \"%s\"; output:\n%s",
                              cpu_opts, extra_args ?: "", substr, output);
    } else if (!strstr(output, substr)) {
        msg = g_strdup_printf("QEMU rejected -cpu %s %s (status %d), but "
                              "its error does not contain \"%s\":\n%s",
                              cpu_opts, extra_args ?: "", status, substr,
                              output);
    }
    if (msg) {
        g_assertion_message(G_LOG_DOMAIN, file, line, func, msg);
    }
}

void hv_check_qemu_accepts(const char *file, int line, const char *func,
                           const char *cpu_opts, const char *extra_args)
{
    g_autofree char *output = NULL;
    int status = hv_qemu_try_cpu(cpu_opts, extra_args, &output);

    if (status != 0) {
        g_autofree char *msg =
            g_strdup_printf("QEMU rejected -cpu %s %s (status %d):\n%s",
                            cpu_opts, extra_args ?: "", status, output);

        g_assertion_message(G_LOG_DOMAIN, file, line, func, msg);
    }
}

/* ---- Acting on a running guest: records, migration, snapshots --------- */

const HvGuestRecord *hv_guest_wait_record(HvGuest *g, const char *fmt, ...)
{
    g_autofree char *name = NULL;
    g_autofree char *why = NULL;
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)g->timeout_ms * 1000;
    const HvGuestRecord *r;
    va_list ap;
    int polls = 0;

    va_start(ap, fmt);
    name = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    for (;;) {
        if (!qtest_probe_child(g->qts)) {
            why = g_strdup("QEMU exited");
            break;
        }
        hv_guest_read_results(g);
        r = hv_guest_find(g, name);
        if (r) {
            return r;
        }
        if (hv_guest_state(g) == HV_GUEST_STATE_PASSED ||
            hv_guest_state(g) == HV_GUEST_STATE_FAILED) {
            why = g_strdup("the guest finished without it");
            break;
        }
        if (++polls % HV_RUNSTATE_POLLS == 0) {
            why = hv_guest_stopped_state(g);
            if (why) {
                break;
            }
        }
        if (g_get_monotonic_time() > deadline) {
            why = g_strdup_printf("not there after %d ms", g->timeout_ms);
            break;
        }
        g_usleep(HV_POLL_INTERVAL_US);
    }

    {
        g_autofree char *report = hv_guest_report(g);
        g_autofree char *msg = g_strdup_printf("waiting for record %s: %s\n"
                                               "  %s", name, why, report);

        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,
                            msg);
    }
    return NULL;
}

/*
 * Polls the "status" of query-migrate on @qts until it is "completed"
 * (true) or "failed"/"cancelled" or @timeout_ms pass (false; *@why says
 * what happened).
 */
static bool hv_wait_migration(QTestState *qts, int timeout_ms, char **why)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *status = ret ? qdict_get_try_str(ret, "status") : NULL;

        if (status && !strcmp(status, "completed")) {
            qobject_unref(rsp);
            return true;
        }
        if (!ret || (status && (!strcmp(status, "failed") ||
                                !strcmp(status, "cancelled")))) {
            const char *desc = ret ? qdict_get_try_str(ret, "error-desc")
                                   : NULL;

            *why = g_strdup_printf("migration %s: %s",
                                   status ?: "query failed",
                                   desc ?: "no error-desc");
            qobject_unref(rsp);
            return false;
        }
        qobject_unref(rsp);
        if (g_get_monotonic_time() > deadline) {
            *why = g_strdup_printf("migration not completed after %d ms "
                                   "(status %s)", timeout_ms,
                                   status ?: "none");
            return false;
        }
        g_usleep(HV_POLL_INTERVAL_US);
    }
}

/* Waits until QEMU runs the guest again (e.g. after incoming migration) */
static bool hv_wait_running(HvGuest *g, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autofree char *stopped = hv_guest_stopped_state(g);

        if (!stopped) {
            return true;
        }
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        g_usleep(HV_POLL_INTERVAL_US);
    }
}

void hv_guest_migrate(HvGuest *g)
{
    hv_guest_migrate_args(g, NULL);
}

void hv_guest_migrate_args(HvGuest *g, const char *dst_args)
{
    g_autofree char *path = NULL;
    g_autofree char *uri = NULL;
    g_autofree char *args = NULL;
    g_autofree char *why = NULL;
    char *describe;
    int fd;

    fd = g_file_open_tmp("hv-migrate-XXXXXX.bin", &path, NULL);
    g_assert(fd >= 0);
    close(fd);
    uri = g_strdup_printf("file:%s", path);

    qtest_qmp_assert_success(g->qts, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    if (!hv_wait_migration(g->qts, g->timeout_ms, &why)) {
        unlink(path);
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g, "outgoing %s", why);
        return;
    }
    qtest_quit(g->qts);
    g->qts = NULL;

    /* The same machine, waiting for the state in the file */
    args = g_strdup_printf("%s %s -incoming defer", g->qemu_args,
                           dst_args ?: "");
    g->qts = qtest_init(args);
    describe = g_strdup_printf("%s, migrated through %s%s%s", g->describe,
                               uri, dst_args ? " to " : "", dst_args ?: "");
    g_free(g->describe);
    g->describe = describe;
    qtest_qmp_assert_success(g->qts, "{ 'execute': 'migrate-incoming', "
                             "'arguments': { 'uri': %s } }", uri);
    if (!hv_wait_migration(g->qts, g->timeout_ms, &why)) {
        unlink(path);
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g, "incoming %s", why);
        return;
    }
    unlink(path);
    if (!hv_wait_running(g, g->timeout_ms)) {
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g,
                      "the guest did not run after the incoming migration");
    }
}

/*
 * The entry of query-hotpluggable-cpus (in *@rsp, to qobject_unref())
 * whose socket-id is @socket, or NULL.
 */
static QDict *hv_hotpluggable_cpu(HvGuest *g, int socket, QDict **rsp)
{
    QListEntry *e;

    *rsp = qtest_qmp(g->qts, "{ 'execute': 'query-hotpluggable-cpus' }");
    g_assert(qdict_haskey(*rsp, "return"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(*rsp, "return"), e) {
        QDict *cpu = qobject_to(QDict, qlist_entry_obj(e));
        QDict *props = qdict_get_qdict(cpu, "props");

        if (props && qdict_haskey(props, "socket-id") &&
            qdict_get_int(props, "socket-id") == socket) {
            return cpu;
        }
    }
    return NULL;
}

void hv_guest_cpu_add(HvGuest *g, const char *id, int socket)
{
    QDict *rsp, *cpu = hv_hotpluggable_cpu(g, socket, &rsp);
    QDict *args;

    if (!cpu || qdict_haskey(cpu, "qom-path")) {
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g,
                      "no empty CPU slot with socket-id %d", socket);
        qobject_unref(rsp);
        return;
    }
    args = qdict_clone_shallow(qdict_get_qdict(cpu, "props"));
    qdict_put_str(args, "id", id);
    qtest_qmp_device_add_qdict(g->qts, qdict_get_str(cpu, "type"), args);
    qobject_unref(args);
    qobject_unref(rsp);
}

bool hv_guest_cpu_present(HvGuest *g, int socket)
{
    QDict *rsp, *cpu = hv_hotpluggable_cpu(g, socket, &rsp);
    bool present = cpu && qdict_haskey(cpu, "qom-path");

    qobject_unref(rsp);
    return present;
}

/*
 * Waits for block job @id to conclude and dismisses it.  Returns NULL on
 * success, else the job's error (g_free it).
 */
static char *hv_wait_job(QTestState *qts, const char *id, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-jobs' }");
        QList *jobs = qdict_get_qlist(rsp, "return");
        const QListEntry *e;
        char *error = NULL;
        bool done = false;

        for (e = jobs ? qlist_first(jobs) : NULL; e; e = qlist_next(e)) {
            QDict *job = qobject_to(QDict, qlist_entry_obj(e));

            if (job && !strcmp(qdict_get_try_str(job, "id") ?: "", id) &&
                !strcmp(qdict_get_try_str(job, "status") ?: "",
                        "concluded")) {
                done = true;
                if (qdict_haskey(job, "error")) {
                    error = g_strdup(qdict_get_str(job, "error"));
                }
            }
        }
        qobject_unref(rsp);
        if (done) {
            qtest_qmp_assert_success(qts, "{ 'execute': 'job-dismiss', "
                                     "'arguments': { 'id': %s } }", id);
            return error;
        }
        if (g_get_monotonic_time() > deadline) {
            return g_strdup_printf("job %s did not conclude within %d ms",
                                   id, timeout_ms);
        }
        g_usleep(HV_POLL_INTERVAL_US);
    }
}

/*
 * Snapshots need a qcow2 image.  QEMU creates it itself (blockdev-create),
 * so no qemu-img is needed: a "file" node on an empty temporary file, a
 * qcow2 format created on it, and a qcow2 node "hv-snap" on top.
 */
#define HV_SNAPSHOT_NODE        "hv-snap"
#define HV_SNAPSHOT_FILE_NODE   "hv-snap-file"
#define HV_SNAPSHOT_IMAGE_SIZE  (1024 * 1024)

static bool hv_snapshot_disk(HvGuest *g, char **why)
{
    g_autofree char *path = NULL;
    QDict *rsp;
    int fd;

    if (g->snapshot_path) {
        return true;
    }
    fd = g_file_open_tmp("hv-snapshot-XXXXXX.qcow2", &path, NULL);
    g_assert(fd >= 0);
    close(fd);

    rsp = qtest_qmp(g->qts, "{ 'execute': 'blockdev-add', 'arguments': {"
                    " 'driver': 'file', 'node-name': %s,"
                    " 'filename': %s } }", HV_SNAPSHOT_FILE_NODE, path);
    if (!qdict_haskey(rsp, "return")) {
        *why = g_strdup_printf("blockdev-add file: %s",
                               qdict_get_try_str(qdict_get_qdict(rsp, "error"),
                                                 "desc") ?: "?");
        qobject_unref(rsp);
        unlink(path);
        return false;
    }
    qobject_unref(rsp);
    rsp = qtest_qmp(g->qts, "{ 'execute': 'blockdev-create', 'arguments': {"
                    " 'job-id': 'hv-snap-create', 'options': {"
                    " 'driver': 'qcow2', 'file': %s, 'size': %d } } }",
                    HV_SNAPSHOT_FILE_NODE, HV_SNAPSHOT_IMAGE_SIZE);
    if (!qdict_haskey(rsp, "return")) {
        *why = g_strdup_printf("blockdev-create qcow2: %s",
                               qdict_get_try_str(qdict_get_qdict(rsp, "error"),
                                                 "desc") ?: "?");
        qobject_unref(rsp);
        unlink(path);
        return false;
    }
    qobject_unref(rsp);
    *why = hv_wait_job(g->qts, "hv-snap-create", g->timeout_ms);
    if (*why) {
        unlink(path);
        return false;
    }
    qtest_qmp_assert_success(g->qts, "{ 'execute': 'blockdev-add', "
                             "'arguments': { 'driver': 'qcow2', "
                             "'node-name': %s, 'file': %s } }",
                             HV_SNAPSHOT_NODE, HV_SNAPSHOT_FILE_NODE);
    g->snapshot_path = g_steal_pointer(&path);
    return true;
}

bool hv_guest_snapshot_save(HvGuest *g, const char *tag)
{
    g_autofree char *why = NULL;

    if (!hv_snapshot_disk(g, &why)) {
        g_test_message("no snapshot image: %s", why);
        return false;
    }
    qtest_qmp_assert_success(g->qts, "{ 'execute': 'snapshot-save', "
                             "'arguments': { 'job-id': 'hv-snap-save', "
                             "'tag': %s, 'vmstate': %s, "
                             "'devices': [ %s ] } }", tag,
                             HV_SNAPSHOT_NODE, HV_SNAPSHOT_NODE);
    why = hv_wait_job(g->qts, "hv-snap-save", g->timeout_ms);
    if (why) {
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g, "snapshot-save %s: "
                      "%s", tag, why);
        return false;
    }
    return true;
}

void hv_guest_snapshot_load(HvGuest *g, const char *tag)
{
    g_autofree char *why = NULL;

    g_assert(g->snapshot_path);
    qtest_qmp_assert_success(g->qts, "{ 'execute': 'snapshot-load', "
                             "'arguments': { 'job-id': 'hv-snap-load', "
                             "'tag': %s, 'vmstate': %s, "
                             "'devices': [ %s ] } }", tag,
                             HV_SNAPSHOT_NODE, HV_SNAPSHOT_NODE);
    why = hv_wait_job(g->qts, "hv-snap-load", g->timeout_ms);
    if (why) {
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g, "snapshot-load %s: "
                      "%s", tag, why);
        return;
    }
    if (!hv_wait_running(g, g->timeout_ms)) {
        hv_check_fail(__FILE__, __LINE__, G_STRFUNC, g,
                      "the guest did not run after snapshot-load %s", tag);
    }
}

const HvGuestRecord *hv_guest_good_record(HvGuest *g, const char *fmt, ...)
{
    static const HvGuestRecord missing;
    g_autofree char *name = NULL;
    const HvGuestRecord *r;
    va_list ap;

    va_start(ap, fmt);
    name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    hv_assert_no_fault(g, "%s", name);
    r = hv_assert_record(g, "%s", name);
    return r ?: &missing;
}
