/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv: QEMU's VMBus (hw/hyperv/vmbus.c, -device vmbus-bridge)
 * under TCG, driven by a minimal VMBus client in the guest payload
 * instead of Linux: version negotiation, channel offers (hv-balloon's),
 * a GPADL and the balloon channel opened and closed, UNLOAD; then
 * malformed and out-of-order channel messages (issue #7), after which
 * QEMU must still run and the bus must accept a clean connection.
 * Run with the VMBus talking to VP 0 on 1 vCPU and to VP 1 on 2 vCPUs.
 *
 * Expected values are what hw/hyperv/vmbus.c defines: it accepts every
 * version in (0, VMBUS_VERSION_WIN10], listens on message connection 1
 * only, and ignores (answers nothing to) messages it cannot act on.
 * Guest side: guest/tests-vmbus.c.
 */

#include "qemu/osdep.h"
#include "hv-harness.h"
#include "qobject/qdict.h"

#define VMB_CPU "qemu64,hv-relaxed,hv-vpindex,hv-time,hv-synic,hv-stimer," \
                "hv-vapic,hv-runtime"
#define VMB_INSTANCE "11223344-5566-7788-99aa-bbccddeeff00"
#define VMB_DEVICES "-device vmbus-bridge -device hv-balloon,instanceid=" \
                    VMB_INSTANCE
/* Hyper-V Dynamic Memory (hv_balloon) interface type */
#define HV_DM_GUID "525074dc-8985-46e2-8057-a307dc18a502"

#define HV_STATUS_SUCCESS                   0
#define HV_STATUS_INVALID_HYPERCALL_INPUT   3
#define HV_STATUS_INVALID_PARAMETER         5
#define HV_STATUS_INSUFFICIENT_BUFFERS      19
#define HV_STATUS_INVALID_CONNECTION_ID     18

/* guest/tests-vmbus.c */
#define VMB_NONE                0xff
#define VMB_GPADL_PAGES         4

enum {
    MSG_OFFERCHANNEL = 1, MSG_ALLOFFERS_DELIVERED = 4,
    MSG_OPENCHANNEL_RESULT = 6, MSG_GPADL_CREATED = 10,
    MSG_GPADL_TORNDOWN = 12, MSG_VERSION_RESPONSE = 15,
    MSG_UNLOAD_RESPONSE = 17, MSG_COUNT = 18,
};

/* VMBus versions QEMU supports (include/hw/hyperv/vmbus-proto.h) */
static const struct {
    uint32_t version;
    bool supported;
} versions[] = {
    { 0x0000000d, true },       /* WS2008 */
    { 0x00010001, true },       /* WIN7 */
    { 0x00020004, true },       /* WIN8 */
    { 0x00030000, true },       /* WIN8_1 */
    { 0x00040000, true },       /* WIN10 */
    { 0x00000000, false },
    { 0x00050000, false },      /* WIN10_V5: Linux's, not QEMU's */
    { 0x00040001, false },
    { 0x00050002, false },
    { 0xffffffff, false },
};

typedef struct VmbCase {
    int smp;
    int vp;
} VmbCase;

static const VmbCase cases[] = {
    { 1, 0 },
    { 2, 1 },
};

static HvGuest *boot(const VmbCase *c, const char *test)
{
    g_autofree char *args = g_strdup_printf("vp=%d", c->vp);
    HvGuestOptions opts = {
        .cpu = VMB_CPU,
        .smp = c->smp,
        .test = test,
        .guest_args = args,
        .qemu_args = VMB_DEVICES,
    };
    HvGuest *g = hv_guest_start_opts(&opts);

    if (getenv("HV_VMBUS_DUMP")) {
        unsigned int i;

        for (i = 0; i < hv_guest_nr_records(g); i++) {
            const HvGuestRecord *r = hv_guest_record(g, i);

            g_test_message("%-36s %" PRIx64 " %" PRIx64 " %" PRIx64
                           " %" PRIx64, r->name, r->values[0], r->values[1],
                           r->values[2], r->values[3]);
        }
    }
    hv_assert_guest_passed(g);
    return g;
}

/* The GUID whose bytes (Hyper-V's little-endian layout) are @lo, @hi */
static char *guid_string(uint64_t lo, uint64_t hi)
{
    uint8_t b[16];

    memcpy(b, &lo, 8);
    memcpy(b + 8, &hi, 8);
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
                           b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                           b[15]);
}

static void check_guid(HvGuest *g, const char *name, const char *expected)
{
    const HvGuestRecord *r = hv_assert_record(g, "%s", name);
    g_autofree char *s = NULL;

    if (!r) {
        return;
    }
    s = guid_string(r->values[0], r->values[1]);
    if (strcmp(s, expected)) {
        hv_fail(g, "%s: GUID %s, expected %s", name, s, expected);
    }
}

/* A reply record (record_reply()): status, nothing else, answer came */
static void check_reply(HvGuest *g, const char *name, uint64_t status)
{
    hv_assert_value(g, 0, status, "%s", name);
    hv_assert_value(g, 1, 0, "%s", name);
    hv_assert_value(g, 2, VMB_NONE, "%s", name);
    hv_assert_value(g, 3, 1, "%s", name);
}

/* A reply record whose only other message was of type @type */
static void check_reply_one(HvGuest *g, const char *name, uint64_t status,
                            uint32_t type)
{
    hv_assert_value(g, 0, status, "%s", name);
    hv_assert_value(g, 1, 1, "%s", name);
    hv_assert_value(g, 2, type, "%s", name);
    hv_assert_value(g, 3, 1, "%s", name);
}

/* A connect() record: VERSION_RESPONSE(@supported) on VP @vp */
static void check_connect(HvGuest *g, const char *name, bool supported,
                          int vp)
{
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "%s", name);
    hv_assert_value(g, 1, 1, "%s", name);
    hv_assert_value(g, 2, supported, "%s", name);
    hv_assert_value(g, 3, vp, "%s", name);
}

/* request_offers(): exactly the hv-balloon offer, on VP @vp */
static void check_offers(HvGuest *g, const char *prefix, int vp)
{
    g_autofree char *type = g_strdup_printf("%s.0.type", prefix);
    g_autofree char *inst = g_strdup_printf("%s.0.inst", prefix);

    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "%s", prefix);
    hv_assert_value(g, 1, 1, "%s", prefix);
    hv_assert_value(g, 2, 1, "%s", prefix);
    hv_assert_value(g, 3, 0, "%s", prefix);
    check_guid(g, type, HV_DM_GUID);
    check_guid(g, inst, VMB_INSTANCE);
    /* vmbus.c: relids from 1, connection id 16 + relid, subchannel 0 */
    hv_assert_value(g, 0, 1, "%s.0.ids", prefix);
    hv_assert_value(g, 1, 17, "%s.0.ids", prefix);
    hv_assert_value(g, 2, 0, "%s.0.ids", prefix);
    hv_assert_value(g, 3, vp, "%s.0.ids", prefix);
}

/* Every message came to VP @vp's SINT 2, with its interrupts */
static void check_irqs(HvGuest *g, const VmbCase *c)
{
    const HvGuestRecord *r;
    int i;

    for (i = 0; i < c->smp; i++) {
        r = hv_assert_record(g, "cpu%d.irqs", i);
        if (!r) {
            continue;
        }
        if (i == c->vp) {
            if (r->values[1] < 10) {
                hv_fail(g, "cpu%d.irqs: only %" PRIu64 " messages", i,
                        r->values[1]);
            }
            /*
             * The guest polls the slot from VP 0, so two messages may
             * come while VP 1's interrupt still waits in IRR: one each
             * at most, at least one
             */
            if (r->values[0] < 1 || r->values[0] > r->values[1]) {
                hv_fail(g, "cpu%d.irqs: %" PRIu64 " interrupts for %"
                        PRIu64 " messages", i, r->values[0], r->values[1]);
            }
        } else {
            hv_assert_value(g, 0, 0, "cpu%d.irqs", i);
            hv_assert_value(g, 1, 0, "cpu%d.irqs", i);
        }
    }
}

static void check_running(HvGuest *g)
{
    QDict *rsp, *ret;

    rsp = qtest_qmp(hv_guest_qts(g), "{ 'execute': 'query-status' }");
    ret = qdict_get_qdict(rsp, "return");
    g_assert(ret);
    g_assert_cmpstr(qdict_get_try_str(ret, "status"), ==, "running");
    qobject_unref(rsp);
}

/* ---- Protocol ------------------------------------------------------------ */

static void test_proto(const void *opaque)
{
    const VmbCase *c = opaque;
    g_autoptr(HvGuest) g = boot(c, "vmbus-proto");
    int i;

    for (i = 0; i < G_N_ELEMENTS(versions); i++) {
        char name[32];

        snprintf(name, sizeof(name), "ver.%08x", versions[i].version);
        check_connect(g, name, versions[i].supported, c->vp);
    }
    /* Connection 4 is Linux's for WIN10_V5 and later: not QEMU's */
    hv_assert_value(g, 0, HV_STATUS_INVALID_CONNECTION_ID, "conn4");
    hv_assert_value(g, 1, 0, "conn4");

    check_connect(g, "connect", true, c->vp);
    check_offers(g, "offers", c->vp);

    check_reply(g, "gpadl", HV_STATUS_SUCCESS);
    hv_assert_value(g, 0, 0x1000, "gpadl.created");
    hv_assert_value(g, 1, 1, "gpadl.created");
    hv_assert_value(g, 2, 0, "gpadl.created");

    check_reply(g, "open", HV_STATUS_SUCCESS);
    hv_assert_value(g, 0, 1, "open.result");
    hv_assert_value(g, 1, 0x55, "open.result");
    hv_assert_value(g, 2, 0, "open.result");
    hv_assert_value(g, 3, c->vp, "open.result");

    check_reply(g, "close", HV_STATUS_SUCCESS);
    check_reply(g, "teardown", HV_STATUS_SUCCESS);
    hv_assert_value(g, 0, 0x1000, "teardown.id");
    check_reply(g, "unload", HV_STATUS_SUCCESS);
    /* After UNLOAD, REQUESTOFFERS gets nothing: no offers */
    check_reply(g, "after_unload", HV_STATUS_SUCCESS);

    check_irqs(g, c);
    check_running(g);
}

/* ---- Malformed messages -------------------------------------------------- */

/* Messages vmbus.c ignores: accepted, nothing comes back */
static const char *const ignored[] = {
    /* Not connected */
    "pre.unload", "pre.reqoffers", "pre.gpadl", "pre.open", "pre.teardown",
    "pre.close", "pre.body",
    /* INITIATE_CONTACT to a VP that does not exist: no answer */
    "ic.vcpu_1000", "ic.vcpu_ffffffff", "ic.vcpu_nr_cpus",
    /* Host-to-guest types: "unknown message type" */
    "type.1", "type.2", "type.4", "type.6", "type.10", "type.12", "type.13",
    "type.15", "type.17",
    /* Shorter than their struct */
    "short.initiate_8", "short.initiate_39", "short.gpadl_header_27",
    "short.gpadl_header_19", "short.gpadl_body_15",
    "short.gpadl_teardown_15", "short.open_147", "short.open_8",
    "short.close_11", "short.close_8",
    /* Unknown channel */
    "open.relid_0", "open.relid_3e7", "open.relid_ffffffff",
    /* GPADLs: one range, page-aligned, byte_count matching, else ignored */
    "gpadl.rangecount0", "gpadl.rangecount2", "gpadl.buflen_ffff",
    "gpadl.buflen0", "gpadl.buflen4", "gpadl.byte_offset",
    "gpadl.byte_count",
    /* Incomplete until the last GPADL_BODY */
    "gpadl.partial", "gpadl.body_unknown", "gpadl.body1", "gpadl.body_short",
    "gpadl.body2",
    /* Bodies for complete GPADLs, an existing id */
    "gpadl.body_full", "gpadl.dup", "gpadl.zero_body",
    /* Already open; already torn down; bodies for it */
    "open.again", "gpadl.teardown_open2", "gpadl.body_tornopen",
    /* CLOSECHANNEL: no answer in any case */
    "close.first", "close.second", "close.unknown",
    "gpadl.teardown_unknown", "gpadl.teardown_5000_again",
    /*
     * Incomplete GPADLs are not answered; the one beyond the guest's RAM
     * in pages does not exist, so its GPADL_TEARDOWN is not answered
     */
    "gpadl.cap.a", "gpadl.cap.b", "gpadl.cap.c", "gpadl.cap.d",
    "gpadl.cap.teardown_c",
    /* UNLOAD after UNLOAD: not connected */
    "unload2",
};

/* GPADL messages answered with one message of the given type */
static const struct {
    const char *name;
    uint32_t type;
} answered[] = {
    { "gpadl.body3", MSG_GPADL_CREATED },
    /* range_buflen 8, byte_count 0: a GPADL of no pages */
    { "gpadl.zero", MSG_GPADL_CREATED },
    { "gpadl.good", MSG_GPADL_CREATED },
    { "gpadl.teardown_open", MSG_GPADL_TORNDOWN },
    { "gpadl.teardown_5000", MSG_GPADL_TORNDOWN },
    { "gpadl.teardown_zero", MSG_GPADL_TORNDOWN },
    /* Incomplete GPADLs within the bound exist and can be torn down */
    { "gpadl.cap.teardown_a", MSG_GPADL_TORNDOWN },
    { "gpadl.cap.teardown_d", MSG_GPADL_TORNDOWN },
};

/* OPENCHANNEL variants: OPENCHANNEL_RESULT status (0: opened) */
static const struct {
    const char *name;
    uint32_t status;
} opens[] = {
    { "no_gpadl", 1 },
    /* Ring buffer headers in RAM, send ring data beyond it: opens */
    { "partial_gpadl", 0 },
    { "zero_gpadl", 1 },
    /* ringbufs_init(): 1 < offset < pages - 1 */
    { "offset0", 1 },
    { "offset1", 1 },
    { "offset3", 1 },
    { "offset4", 1 },
    { "offset_ffffffff", 1 },
    { "offset_fffffffe", 1 },
    /* No SINT route to a VP that does not exist */
    { "vp_1000", 1 },
};

static void test_bad(const void *opaque)
{
    const VmbCase *c = opaque;
    g_autoptr(HvGuest) g = boot(c, "vmbus-bad");
    const HvGuestRecord *r;
    char name[48];
    int i;

    for (i = 0; i < G_N_ELEMENTS(ignored); i++) {
        check_reply(g, ignored[i], HV_STATUS_SUCCESS);
    }
    /* After a refused handshake there is a SINT route to answer on */
    check_reply(g, "pre.unload2", HV_STATUS_SUCCESS);
    for (i = 0; i < G_N_ELEMENTS(answered); i++) {
        check_reply_one(g, answered[i].name, HV_STATUS_SUCCESS,
                        answered[i].type);
    }
    hv_assert_value(g, 0, 0x5000, "gpadl.body3.created");
    hv_assert_value(g, 1, 0, "gpadl.body3.created");

    /* HvPostMessage: vmbus_recv_message() and the TLFS size limit */
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "hv.msgtype2");
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "hv.size0");
    hv_assert_value(g, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "hv.size4");
    hv_assert_value(g, 0, HV_STATUS_INVALID_PARAMETER, "hv.size241");
    hv_assert_value(g, 0, HV_STATUS_INVALID_CONNECTION_ID, "hv.conn4");
    hv_assert_value(g, 0, HV_STATUS_INVALID_CONNECTION_ID, "hv.conn_event");
    /* VMBus message types vmbus_recv_message() refuses */
    check_reply(g, "type.0", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_reply(g, "type.18", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_reply(g, "type.2147483647", HV_STATUS_INVALID_HYPERCALL_INPUT);
    check_reply(g, "type.4294967295", HV_STATUS_INVALID_HYPERCALL_INPUT);

    /* The ping after a bad target VP: refused version, on the right VP */
    for (i = 0; i < 3; i++) {
        static const char *const v[] = { "1000", "ffffffff", "nr_cpus" };

        hv_assert_value(g, 0, 0, "ic.vcpu_%s.ping", v[i]);
        hv_assert_value(g, 1, c->vp, "ic.vcpu_%s.ping", v[i]);
    }
    /* WIN7's interrupt page anywhere: accepted, signalling it is fine */
    for (i = 0; i < 4; i++) {
        static const char *const p[] = {
            "beyond_ram", "huge", "ram_end", "apic"
        };

        snprintf(name, sizeof(name), "ic.win7_intpage_%s", p[i]);
        check_connect(g, name, true, c->vp);
        hv_assert_value(g, 0, HV_STATUS_SUCCESS, "%s.signal", name);
    }
    check_reply(g, "ic.monitor_beyond_ram", HV_STATUS_SUCCESS);
    hv_assert_value(g, 0, 1, "ic.monitor_beyond_ram.supported");

    check_connect(g, "connect", true, c->vp);
    check_offers(g, "offers", c->vp);

    for (i = 0; i < G_N_ELEMENTS(opens); i++) {
        snprintf(name, sizeof(name), "open.%s", opens[i].name);
        check_reply_one(g, name, HV_STATUS_SUCCESS, MSG_OPENCHANNEL_RESULT);
        hv_assert_value(g, 0, opens[i].status, "%s.status", name);
        hv_assert_value(g, 1, 0x100 + i, "%s.status", name);
    }
    check_reply_one(g, "open.good", HV_STATUS_SUCCESS,
                    MSG_OPENCHANNEL_RESULT);
    hv_assert_value(g, 0, 0, "open.good.status");

    /*
     * 32 posts without reading: a queue of 16 (HV_MSG_QUEUE_LEN) plus what
     * QEMU already took; the rest INSUFFICIENT_BUFFERS; every accepted
     * one answered
     */
    r = hv_assert_record(g, "burst");
    if (r) {
        g_test_message("burst: %" PRIu64 " accepted, %" PRIu64 " refused",
                       r->values[0], r->values[1]);
        g_assert_cmpuint(r->values[0] + r->values[1], ==, 32);
        g_assert_cmpuint(r->values[0], >=, 16);
        g_assert_cmpuint(r->values[1], >=, 1);
        g_assert_cmpuint(r->values[2], ==, 0);
        g_assert_cmpuint(r->values[3], ==, r->values[0]);
    }

    /* A second INITIATE_CONTACT starts over: the offer comes again */
    check_connect(g, "ic.again", true, c->vp);
    check_offers(g, "ic.again.offers", c->vp);
    check_reply(g, "unload", HV_STATUS_SUCCESS);

    /* The bus recovered */
    check_connect(g, "final.connect", true, c->vp);
    check_offers(g, "final.offers", c->vp);
    check_reply(g, "final.unload", HV_STATUS_SUCCESS);

    check_irqs(g, c);
    check_running(g);
}

int main(int argc, char **argv)
{
    int i;

    g_test_init(&argc, &argv, NULL);
    if (!g_test_subprocess()) {
        g_test_set_nonfatal_assertions();
    }
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *p = g_strdup_printf("/hyperv/vmbus/proto/smp%d-vp%d",
                                             cases[i].smp, cases[i].vp);
        g_autofree char *b = g_strdup_printf("/hyperv/vmbus/bad/smp%d-vp%d",
                                             cases[i].smp, cases[i].vp);

        qtest_add_data_func(p, &cases[i], test_proto);
        qtest_add_data_func(b, &cases[i], test_bad);
    }
    return g_test_run();
}
