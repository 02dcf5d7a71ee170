/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest side of hv-vmbus-test.c: a minimal VMBus client, without Linux,
 * talking to QEMU's vmbus-bridge (hw/hyperv/vmbus.c) with hv-balloon on
 * the bus.
 *
 * The guest turns the SynIC on on every CPU (SIM and SIEF pages, SINT 2,
 * VMBus's, unmasked at VMB_VEC everywhere), posts VMBus channel messages
 * with HvPostMessage to the VMBus message connection and reads QEMU's
 * answers out of the SIM page slot of SINT 2 of whichever CPU gets them
 * (clearing the slot and writing EOM on that CPU).  Which VP QEMU sends
 * to is the target_vcpu of INITIATE_CONTACT: vp=N on the command line.
 *
 * Tests:
 *   vmbus-proto  version negotiation, offers, a GPADL and the balloon
 *                channel opened and closed, UNLOAD
 *   vmbus-bad    malformed and out-of-order messages that QEMU must
 *                survive, then a clean reconnection
 *
 * The records are documented next to each test; the qtest judges.
 */
#include "hv-time.h"

/* TLFS SynIC */
#define HV_HYPERCALL_FAST               (1ull << 16)

/* VMBus (QEMU's include/hw/hyperv/vmbus-proto.h, Linux's hyperv.h) */
#define HV_MESSAGE_VMBUS                1
#define VMBUS_MESSAGE_CONNECTION_ID     1
#define VMBUS_EVENT_CONNECTION_ID       2
#define VMBUS_MESSAGE_CONNECTION_ID_4   4
#define VMBUS_SINT                      2

#define VMBUS_VERSION_WS2008            ((0 << 16) | 13)
#define VMBUS_VERSION_WIN7              ((1 << 16) | 1)
#define VMBUS_VERSION_WIN8              ((2 << 16) | 4)
#define VMBUS_VERSION_WIN8_1            ((3 << 16) | 0)
#define VMBUS_VERSION_WIN10             ((4 << 16) | 0)
#define VMBUS_VERSION_WIN10_V5          ((5 << 16) | 0)

enum {
    MSG_INVALID = 0, MSG_OFFERCHANNEL = 1, MSG_RESCIND = 2,
    MSG_REQUESTOFFERS = 3, MSG_ALLOFFERS_DELIVERED = 4,
    MSG_OPENCHANNEL = 5, MSG_OPENCHANNEL_RESULT = 6, MSG_CLOSECHANNEL = 7,
    MSG_GPADL_HEADER = 8, MSG_GPADL_BODY = 9, MSG_GPADL_CREATED = 10,
    MSG_GPADL_TEARDOWN = 11, MSG_GPADL_TORNDOWN = 12,
    MSG_RELID_RELEASED = 13, MSG_INITIATE_CONTACT = 14,
    MSG_VERSION_RESPONSE = 15, MSG_UNLOAD = 16, MSG_UNLOAD_RESPONSE = 17,
    MSG_COUNT = 18,
};

#define VMB_VEC                         0x52
#define VMB_MAX_CPUS                    4
#define VMB_NONE                        0xffu   /* no message */
#define VMB_FAULTED                     0xfa17fa17fa17fa17ull
#define VMB_GPADL_PAGES                 4
/* Guest RAM ends here (the harness gives -m 64) */
#define VMB_RAM_END                     0x04000000ull

typedef struct VmbHeader {
    uint32_t type;
    uint32_t padding;
} VmbHeader;

typedef struct VmbInitiate {
    VmbHeader h;
    uint32_t version;
    uint32_t target_vcpu;
    uint64_t interrupt_page;
    uint64_t monitor_page1;
    uint64_t monitor_page2;
} VmbInitiate;

typedef struct VmbVersionResponse {
    VmbHeader h;
    uint8_t supported;
    uint8_t status;
} VmbVersionResponse;

typedef struct VmbOffer {
    VmbHeader h;
    uint8_t type_uuid[16];
    uint8_t instance_uuid[16];
    uint64_t reserved1, reserved2;
    uint16_t channel_flags;
    uint16_t mmio_size_mb;
    uint8_t user_data[120];
    uint16_t sub_channel_index;
    uint16_t reserved3;
    uint32_t child_relid;
    uint8_t monitor_id;
    uint8_t monitor_flags;
    uint16_t interrupt_flags;
    uint32_t connection_id;
} VmbOffer;

typedef struct __attribute__((packed)) VmbGpadlHeader {
    VmbHeader h;
    uint32_t child_relid;
    uint32_t gpadl_id;
    uint16_t range_buflen;
    uint16_t rangecount;
    uint32_t byte_count;
    uint32_t byte_offset;
    uint64_t pfn[26];
} VmbGpadlHeader;

typedef struct VmbGpadlBody {
    VmbHeader h;
    uint32_t message_number;
    uint32_t gpadl_id;
    uint64_t pfn[28];
} VmbGpadlBody;

typedef struct VmbGpadlTeardown {
    VmbHeader h;
    uint32_t child_relid;
    uint32_t gpadl_id;
} VmbGpadlTeardown;

typedef struct VmbGpadlCreated {
    VmbHeader h;
    uint32_t child_relid;
    uint32_t gpadl_id;
    uint32_t status;
} VmbGpadlCreated;

typedef struct VmbOpen {
    VmbHeader h;
    uint32_t child_relid;
    uint32_t open_id;
    uint32_t gpadl_id;
    uint32_t target_vp;
    uint32_t ring_buffer_offset;
    uint8_t user_data[120];
} VmbOpen;

typedef struct VmbOpenResult {
    VmbHeader h;
    uint32_t child_relid;
    uint32_t open_id;
    uint32_t status;
} VmbOpenResult;

typedef struct VmbClose {
    VmbHeader h;
    uint32_t child_relid;
} VmbClose;

_Static_assert(sizeof(VmbInitiate) == 40, "initiate contact");
_Static_assert(__builtin_offsetof(VmbOffer, child_relid) == 184, "offer");
_Static_assert(sizeof(VmbOpen) == 148, "open channel");
_Static_assert(__builtin_offsetof(VmbGpadlHeader, byte_count) == 20,
               "gpadl header");

/* A message QEMU sent, as the guest took it out of a SIM slot */
typedef struct VmbMsg {
    uint32_t hv_type;
    uint32_t size;
    uint32_t vp;                        /* whose slot it was in */
    union {
        uint8_t raw[240];
        VmbHeader h;
        VmbVersionResponse version;
        VmbOffer offer;
        VmbGpadlCreated created;
        VmbOpenResult open;
        VmbGpadlTeardown torndown;      /* gpadl_id where child_relid is */
    } u;
} VmbMsg;

typedef struct VmbCpu {
    volatile HvMessage *simp;           /* written by QEMU and the guest */
    volatile uint8_t *siefp;            /* written by QEMU */
    volatile uint32_t irqs;             /* from the handler */
    uint32_t msgs;                      /* messages found in its slot */
} VmbCpu;

static VmbCpu vmb_cpus[VMB_MAX_CPUS];
static HvPostMessageInput *vmb_in;
static uint32_t vmb_vp;

static void vmb_irq(GuestIrqFrame *frame)
{
    unsigned int cpu = cpu_index();

    if (cpu < VMB_MAX_CPUS) {
        vmb_cpus[cpu].irqs++;
    }
}

static void on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
    smp_call(cpu, fn, arg);
    smp_wait(cpu);
}

static void synic_enable_fn(void *arg)
{
    VmbCpu *c = &vmb_cpus[cpu_index()];
    unsigned int i;

    wrmsr(HV_X64_MSR_SIMP, (uintptr_t)c->simp | 1);
    wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)c->siefp | 1);
    wrmsr(HV_X64_MSR_SCONTROL, 1);
    for (i = 0; i < 16; i++) {
        wrmsr(HV_X64_MSR_SINT(i), i == VMBUS_SINT ? VMB_VEC
                                                  : HV_SINT_MASKED | VMB_VEC);
    }
}

static void eom_fn(void *arg)
{
    wrmsr(HV_X64_MSR_EOM, 0);
}

static void vmb_setup_common(void)
{
    unsigned int i;
    uint8_t fault;

    if (nr_cpus() > VMB_MAX_CPUS) {
        guest_abort("at most %u CPUs", VMB_MAX_CPUS);
    }
    vmb_vp = cmdline_get_u64("vp", 0);
    irq_set_handler(VMB_VEC, vmb_irq, 0);
    fault = hv_hypercall_enable();
    if (fault != HV_GUEST_FAULT_NONE) {
        guest_abort("hypercall page: %s", exception_name(fault));
    }
    for (i = 0; i < nr_cpus(); i++) {
        vmb_cpus[i].simp = alloc_pages(1);
        vmb_cpus[i].siefp = alloc_pages(1);
        on_cpu(i, synic_enable_fn, NULL);
    }
    vmb_in = alloc_pages(1);
    irq_enable();
}

/* ---- Posting and receiving --------------------------------------------- */

static uint64_t post_raw(uint32_t conn, uint32_t hv_type, const void *msg,
                         uint32_t size)
{
    uint64_t rax;

    memset(vmb_in, 0, sizeof(*vmb_in));
    vmb_in->connection_id = conn;
    vmb_in->message_type = hv_type;
    vmb_in->payload_size = size;
    memcpy(vmb_in->payload, msg, size < 240 ? size : 240);
    if (hv_call(HVCALL_POST_MESSAGE, (uintptr_t)vmb_in, 0, &rax) !=
        HV_GUEST_FAULT_NONE) {
        return VMB_FAULTED;
    }
    return rax;
}

/*
 * A VMBus message to the VMBus message connection; a full queue
 * (INSUFFICIENT_BUFFERS, QEMU still busy with earlier ones) is retried
 * for up to a second.
 */
static uint64_t post(const void *msg, uint32_t size)
{
    uint64_t status = 0;
    unsigned int i;

    for (i = 0; i < 1000; i++) {
        status = post_raw(VMBUS_MESSAGE_CONNECTION_ID, HV_MESSAGE_VMBUS, msg,
                          size);
        if ((status & 0xffff) != HV_STATUS_INSUFFICIENT_BUFFERS) {
            break;
        }
        ref_delay_ms(1);
    }
    return status;
}

/*
 * Takes the next message out of any CPU's SINT 2 slot, waiting up to
 * @ms; empties the slot and writes EOM on that CPU.
 */
static bool recv(VmbMsg *m, uint64_t ms)
{
    uint64_t end = ref_time_msr() + ms * (HV_REF_TIME_HZ / 1000);
    unsigned int i;

    do {
        for (i = 0; i < nr_cpus(); i++) {
            volatile HvMessage *slot =          /* QEMU writes it */
                &vmb_cpus[i].simp[VMBUS_SINT];

            if (slot->type == 0) {
                continue;
            }
            m->hv_type = slot->type;
            m->size = slot->size;
            m->vp = i;
            memcpy(m->u.raw, (const void *)slot->payload, 240);
            vmb_cpus[i].msgs++;
            slot->type = 0;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            on_cpu(i, eom_fn, NULL);
            return true;
        }
        udelay(10);
    } while (ref_time_msr() < end);
    return false;
}

/* What came back until a message of type @until (or 2 s of nothing) */
typedef struct VmbReply {
    uint64_t status;                    /* of the post */
    uint32_t others;                    /* messages before @until */
    uint32_t first_type;                /* VMB_NONE: none */
    bool got;                           /* @until arrived */
    VmbMsg first;                       /* first other message */
    VmbMsg answer;                      /* the @until message */
} VmbReply;

static VmbReply vmb_reply;

static void collect(VmbReply *r, uint32_t until)
{
    VmbMsg m;

    r->others = 0;
    r->first_type = VMB_NONE;
    r->got = false;
    while (recv(&m, 2000)) {
        if (m.u.h.type == until) {
            r->answer = m;
            r->got = true;
            return;
        }
        if (!r->others++) {
            r->first = m;
            r->first_type = m.u.h.type;
        }
    }
}

static VmbReply *send_expect(const void *msg, uint32_t size, uint32_t until)
{
    VmbReply *r = &vmb_reply;

    r->status = post(msg, size);
    collect(r, until);
    return r;
}

static uint64_t initiate_at(uint32_t conn, uint32_t version, uint32_t vcpu,
                            uint64_t int_page)
{
    VmbInitiate m = {
        .h.type = MSG_INITIATE_CONTACT,
        .version = version,
        .target_vcpu = vcpu,
        .interrupt_page = int_page,
        .monitor_page1 = (uintptr_t)alloc_pages(1),
        .monitor_page2 = (uintptr_t)alloc_pages(1),
    };

    return post_raw(conn, HV_MESSAGE_VMBUS, &m, sizeof(m));
}

/*
 * INITIATE_CONTACT(@version) to VP @vcpu, waits for VERSION_RESPONSE.
 * Records @name: post status; VERSION_RESPONSE arrived; version_supported;
 * VP whose slot it was in | messages before it << 8.
 */
static VmbReply *connect(uint32_t version, uint32_t vcpu, uint64_t int_page,
                         const char *name)
{
    VmbReply *r = &vmb_reply;
    uint64_t v[4];

    r->status = initiate_at(VMBUS_MESSAGE_CONNECTION_ID, version, vcpu,
                            int_page);
    collect(r, MSG_VERSION_RESPONSE);
    v[0] = r->status;
    v[1] = r->got;
    v[2] = r->got ? r->answer.u.version.supported : VMB_NONE;
    v[3] = (r->got ? r->answer.vp : VMB_NONE) | (uint64_t)r->others << 8;
    record(HV_GUEST_FAULT_NONE, 4, v, "%s", name);
    return r;
}

/* Records a reply as @name: status; others; first other type; got */
static void record_reply(const VmbReply *r, const char *name)
{
    uint64_t v[4] = { r->status, r->others, r->first_type, r->got };

    record(HV_GUEST_FAULT_NONE, 4, v, "%s", name);
}

static uint64_t guid_qword(const uint8_t *g, unsigned int off)
{
    uint64_t q;

    memcpy(&q, g + off, 8);
    return q;
}

/*
 * REQUESTOFFERS; records every offer as @prefix.N.{type,inst,ids} and
 * returns how many came (*@relid: the first offer's child relid).
 *   PREFIX.N.type  the interface type GUID's bytes as two qwords
 *   PREFIX.N.inst  the instance GUID's the same way
 *   PREFIX.N.ids   child_relid; connection_id; sub_channel_index; VP
 *   PREFIX         post status; offers; ALLOFFERS_DELIVERED came;
 *                  other messages
 */
static uint32_t request_offers(const char *prefix, uint32_t *relid)
{
    VmbHeader req = { .type = MSG_REQUESTOFFERS };
    uint32_t n = 0, others = 0;
    uint64_t v[4], status;
    bool done = false;
    VmbMsg m;

    status = post(&req, sizeof(req));
    while (!done && recv(&m, 2000)) {
        if (m.u.h.type == MSG_ALLOFFERS_DELIVERED) {
            done = true;
        } else if (m.u.h.type == MSG_OFFERCHANNEL) {
            v[0] = guid_qword(m.u.offer.type_uuid, 0);
            v[1] = guid_qword(m.u.offer.type_uuid, 8);
            record(HV_GUEST_FAULT_NONE, 2, v, "%s.%u.type", prefix, n);
            v[0] = guid_qword(m.u.offer.instance_uuid, 0);
            v[1] = guid_qword(m.u.offer.instance_uuid, 8);
            record(HV_GUEST_FAULT_NONE, 2, v, "%s.%u.inst", prefix, n);
            v[0] = m.u.offer.child_relid;
            v[1] = m.u.offer.connection_id;
            v[2] = m.u.offer.sub_channel_index;
            v[3] = m.vp;
            record(HV_GUEST_FAULT_NONE, 4, v, "%s.%u.ids", prefix, n);
            if (!n && relid) {
                *relid = m.u.offer.child_relid;
            }
            n++;
        } else {
            others++;
        }
    }
    v[0] = status;
    v[1] = n;
    v[2] = done;
    v[3] = others;
    record(HV_GUEST_FAULT_NONE, 4, v, "%s", prefix);
    return n;
}

static uint32_t gpadl_header(VmbGpadlHeader *m, uint32_t relid, uint32_t id,
                             const uint64_t *pfns, unsigned int npfn,
                             unsigned int declared)
{
    unsigned int i;

    memset(m, 0, sizeof(*m));
    m->h.type = MSG_GPADL_HEADER;
    m->child_relid = relid;
    m->gpadl_id = id;
    m->rangecount = 1;
    m->range_buflen = 8 + 8 * declared;
    m->byte_count = declared * 4096;
    for (i = 0; i < npfn && i < ARRAY_SIZE(m->pfn); i++) {
        m->pfn[i] = pfns[i];
    }
    return 28 + 8 * npfn;
}

/* Pages for a GPADL, as PFNs */
static void alloc_gpadl(uint64_t *pfns, unsigned int n)
{
    uint8_t *p = alloc_pages(n);
    unsigned int i;

    for (i = 0; i < n; i++) {
        pfns[i] = ((uintptr_t)p >> 12) + i;
    }
}

static void record_irqs(void)
{
    unsigned int i;
    uint64_t v[2];

    for (i = 0; i < nr_cpus(); i++) {
        v[0] = vmb_cpus[i].irqs;
        v[1] = vmb_cpus[i].msgs;
        record(HV_GUEST_FAULT_NONE, 2, v, "cpu%u.irqs", i);
    }
}

/* ---- vmbus-proto -------------------------------------------------------- */

static const uint32_t vmb_versions[] = {
    VMBUS_VERSION_WS2008, VMBUS_VERSION_WIN7, VMBUS_VERSION_WIN8,
    VMBUS_VERSION_WIN8_1, VMBUS_VERSION_WIN10,
    0, VMBUS_VERSION_WIN10_V5, (4 << 16) | 1, (5 << 16) | 2, 0xffffffff,
};

/*
 * vmbus-proto (vp=N: the VP QEMU is to talk to):
 *   ver.XXXXXXXX     INITIATE_CONTACT(version 0xXXXXXXXX): see connect()
 *   conn4            INITIATE_CONTACT(WIN10) to connection 4: post
 *                    status; messages that came within 50 ms
 *   connect          INITIATE_CONTACT(WIN10), as ver.*
 *   offers...        see request_offers()
 *   gpadl            GPADL_HEADER, 4 pages in the message: reply; then
 *   gpadl.created    gpadl_id; child_relid; creation status
 *   open             OPENCHANNEL(first offer, that GPADL, send ring at
 *                    page 2, target VP N): reply; then
 *   open.result      child_relid; open_id; status; VP it came to
 *   close            CLOSECHANNEL then REQUESTOFFERS as a ping: reply
 *                    until ALLOFFERS_DELIVERED
 *   teardown         GPADL_TEARDOWN: reply until GPADL_TORNDOWN; its
 *   teardown.id      gpadl_id
 *   unload           UNLOAD: reply until UNLOAD_RESPONSE
 *   after_unload     REQUESTOFFERS then INITIATE_CONTACT(0) as a ping:
 *                    reply until VERSION_RESPONSE (no offers: the bus
 *                    forgot the connection)
 *   cpuN.irqs        interrupts at VMB_VEC; messages found in its slot
 */
static void vmbus_proto_setup(void)
{
    uint64_t pfns[VMB_GPADL_PAGES], v[4];
    VmbGpadlHeader gh;
    VmbHeader hdr = { 0 };
    uint32_t relid = 0, size;
    unsigned int i;
    VmbReply *r;
    VmbMsg m;
    char name[32];

    vmb_setup_common();

    for (i = 0; i < ARRAY_SIZE(vmb_versions); i++) {
        snprintf(name, sizeof(name), "ver.%08x", vmb_versions[i]);
        connect(vmb_versions[i], vmb_vp, (uintptr_t)alloc_pages(1), name);
    }
    v[0] = initiate_at(VMBUS_MESSAGE_CONNECTION_ID_4, VMBUS_VERSION_WIN10,
                       vmb_vp, 0);
    v[1] = 0;
    while (recv(&m, 50)) {
        v[1]++;
    }
    record(HV_GUEST_FAULT_NONE, 2, v, "conn4");

    connect(VMBUS_VERSION_WIN10, vmb_vp, 0, "connect");
    request_offers("offers", &relid);

    /* A GPADL for the ring buffers, the channel opened and closed */
    alloc_gpadl(pfns, VMB_GPADL_PAGES);
    size = gpadl_header(&gh, relid, 0x1000, pfns, VMB_GPADL_PAGES,
                        VMB_GPADL_PAGES);
    r = send_expect(&gh, size, MSG_GPADL_CREATED);
    record_reply(r, "gpadl");
    v[0] = r->answer.u.created.gpadl_id;
    v[1] = r->answer.u.created.child_relid;
    v[2] = r->answer.u.created.status;
    record(HV_GUEST_FAULT_NONE, 3, v, "gpadl.created");

    {
        VmbOpen o = {
            .h.type = MSG_OPENCHANNEL,
            .child_relid = relid,
            .open_id = 0x55,
            .gpadl_id = 0x1000,
            .target_vp = vmb_vp,
            .ring_buffer_offset = 2,
        };

        r = send_expect(&o, sizeof(o), MSG_OPENCHANNEL_RESULT);
        record_reply(r, "open");
        v[0] = r->answer.u.open.child_relid;
        v[1] = r->answer.u.open.open_id;
        v[2] = r->answer.u.open.status;
        v[3] = r->answer.vp;
        record(HV_GUEST_FAULT_NONE, 4, v, "open.result");
    }
    {
        VmbClose c = { .h.type = MSG_CLOSECHANNEL, .child_relid = relid };

        v[0] = post(&c, sizeof(c));
        hdr.type = MSG_REQUESTOFFERS;
        r = send_expect(&hdr, sizeof(hdr), MSG_ALLOFFERS_DELIVERED);
        r->status = v[0];
        record_reply(r, "close");
    }
    {
        VmbGpadlTeardown t = {
            .h.type = MSG_GPADL_TEARDOWN,
            .child_relid = relid,
            .gpadl_id = 0x1000,
        };

        r = send_expect(&t, sizeof(t), MSG_GPADL_TORNDOWN);
        record_reply(r, "teardown");
        v[0] = r->answer.u.torndown.child_relid;    /* gpadl_id */
        record(HV_GUEST_FAULT_NONE, 1, v, "teardown.id");
    }

    hdr.type = MSG_UNLOAD;
    r = send_expect(&hdr, sizeof(hdr), MSG_UNLOAD_RESPONSE);
    record_reply(r, "unload");

    hdr.type = MSG_REQUESTOFFERS;
    v[0] = post(&hdr, sizeof(hdr));
    r = connect(0, vmb_vp, 0, "after_unload.ping");
    r->status = v[0];
    record_reply(r, "after_unload");

    record_irqs();
    irq_disable();
}

GUEST_TEST(vmbus_proto,
    .name = "vmbus-proto",
    .description = "VMBus client: versions, offers, GPADL, open, unload",
    .setup = vmbus_proto_setup,
);

/* ---- vmbus-bad ---------------------------------------------------------- */

/* What answers a ping in the current state */
enum { PING_DISCONNECTED, PING_CONNECTED };

/*
 * Posts @size bytes of @msg (to the VMBus connection, as a VMBus
 * message), then a ping whose answer comes after whatever @msg caused:
 * connected, REQUESTOFFERS (answer ALLOFFERS_DELIVERED, offers already
 * sent are not sent again); disconnected, INITIATE_CONTACT with an
 * unsupported version (answer VERSION_RESPONSE, version_supported 0).
 * Records NAME: post status; messages before the ping's answer; the
 * first one's type (VMB_NONE: none); ping answered.
 */
static VmbReply *bad(const char *name, const void *msg, uint32_t size,
                     int ping)
{
    VmbReply *r = &vmb_reply;
    VmbHeader ro = { .type = MSG_REQUESTOFFERS };
    uint64_t status;

    status = post_raw(VMBUS_MESSAGE_CONNECTION_ID, HV_MESSAGE_VMBUS, msg,
                      size);
    if (ping == PING_CONNECTED) {
        post(&ro, sizeof(ro));
        collect(r, MSG_ALLOFFERS_DELIVERED);
    } else {
        initiate_at(VMBUS_MESSAGE_CONNECTION_ID, 0xdead0001, vmb_vp, 0);
        collect(r, MSG_VERSION_RESPONSE);
    }
    r->status = status;
    record_reply(r, name);
    return r;
}

/* Just the status of one post (nothing reaches the VMBus queue) */
static void bad_post(const char *name, uint32_t conn, uint32_t hv_type,
                     const void *msg, uint32_t size)
{
    uint64_t v = post_raw(conn, hv_type, msg, size);

    record(HV_GUEST_FAULT_NONE, 1, &v, "%s", name);
}

/*
 * vmbus-bad: every record NAME is what bad() records unless said.
 *   pre.unload, pre.reqoffers, pre.gpadl, pre.open, pre.teardown,
 *   pre.close, pre.body          those before any INITIATE_CONTACT
 *   pre.unload2                  UNLOAD again (after the ping): reply
 *                                until UNLOAD_RESPONSE
 *   hv.*                         bad_post(): HvPostMessage status only
 *   type.N                       VMBus message type N (8 bytes)
 *   short.NAME                   message NAME cut short
 *   ic.vcpu_N                    INITIATE_CONTACT(WIN10) to VP N
 *   ic.win7_intpage_NAME         INITIATE_CONTACT(WIN7), interrupt page
 *                                at a bad GPA, then HvSignalEvent on the
 *                                VMBus event connection (its status in
 *                                ic.win7_intpage_NAME.signal)
 *   connect, offers...           a WIN10 connection
 *   open.*                       OPENCHANNEL variants; open.NAME.status
 *                                the OPENCHANNEL_RESULT status
 *   gpadl.*                      GPADL_HEADER/BODY/TEARDOWN variants
 *   close.*                      CLOSECHANNEL twice
 *   ic.again                     INITIATE_CONTACT(WIN10) while connected
 *   burst                        32 REQUESTOFFERS without reading: posts
 *                                accepted; INSUFFICIENT_BUFFERS answers;
 *                                other statuses; ALLOFFERS_DELIVERED
 *                                read back afterwards
 *   unload, unload2              UNLOAD twice
 *   final.connect, final.offers  a clean connection at the end
 *   cpuN.irqs                    as in vmbus-proto
 */
static void vmbus_bad_setup(void)
{
    uint64_t pfns[VMB_GPADL_PAGES], v[4];
    uint8_t buf[240];
    VmbHeader hdr = { 0 };
    VmbGpadlHeader gh;
    VmbGpadlBody gb;
    VmbReply *r;
    uint32_t relid = 0, size;
    unsigned int i;
    VmbMsg m;
    char name[40];

    vmb_setup_common();
    memset(buf, 0, sizeof(buf));

    /* Before any INITIATE_CONTACT: no SINT route to answer through */
    hdr.type = MSG_UNLOAD;
    bad("pre.unload", &hdr, sizeof(hdr), PING_DISCONNECTED);
    /*
     * After the ping's refused handshake QEMU has a SINT route and answers
     * UNLOAD; it drops what was queued behind it, so no ping here
     */
    r = send_expect(&hdr, sizeof(hdr), MSG_UNLOAD_RESPONSE);
    record_reply(r, "pre.unload2");
    hdr.type = MSG_REQUESTOFFERS;
    bad("pre.reqoffers", &hdr, sizeof(hdr), PING_DISCONNECTED);
    alloc_gpadl(pfns, VMB_GPADL_PAGES);
    size = gpadl_header(&gh, 1, 0x2000, pfns, VMB_GPADL_PAGES,
                        VMB_GPADL_PAGES);
    bad("pre.gpadl", &gh, size, PING_DISCONNECTED);
    {
        VmbOpen o = { .h.type = MSG_OPENCHANNEL, .child_relid = 1,
                      .gpadl_id = 0x2000, .ring_buffer_offset = 2 };
        VmbGpadlTeardown t = { .h.type = MSG_GPADL_TEARDOWN,
                               .child_relid = 1, .gpadl_id = 0x2000 };
        VmbClose c = { .h.type = MSG_CLOSECHANNEL, .child_relid = 1 };

        bad("pre.open", &o, sizeof(o), PING_DISCONNECTED);
        bad("pre.teardown", &t, sizeof(t), PING_DISCONNECTED);
        bad("pre.close", &c, sizeof(c), PING_DISCONNECTED);
    }
    memset(&gb, 0, sizeof(gb));
    gb.h.type = MSG_GPADL_BODY;
    gb.gpadl_id = 0x2000;
    bad("pre.body", &gb, 24, PING_DISCONNECTED);

    /* HvPostMessage-level rejections */
    hdr.type = MSG_REQUESTOFFERS;
    bad_post("hv.msgtype2", VMBUS_MESSAGE_CONNECTION_ID, 2, &hdr, 8);
    bad_post("hv.size0", VMBUS_MESSAGE_CONNECTION_ID, HV_MESSAGE_VMBUS,
             &hdr, 0);
    bad_post("hv.size4", VMBUS_MESSAGE_CONNECTION_ID, HV_MESSAGE_VMBUS,
             &hdr, 4);
    bad_post("hv.size241", VMBUS_MESSAGE_CONNECTION_ID, HV_MESSAGE_VMBUS,
             &hdr, 241);
    bad_post("hv.conn4", VMBUS_MESSAGE_CONNECTION_ID_4, HV_MESSAGE_VMBUS,
             &hdr, 8);
    bad_post("hv.conn_event", VMBUS_EVENT_CONNECTION_ID, HV_MESSAGE_VMBUS,
             &hdr, 8);

    /* INITIATE_CONTACT with bad fields */
    {
        const uint32_t vcpus[] = { 1000, 0xffffffff, nr_cpus() };
        VmbInitiate ic = { .h.type = MSG_INITIATE_CONTACT,
                           .version = VMBUS_VERSION_WIN10 };

        for (i = 0; i < ARRAY_SIZE(vcpus); i++) {
            ic.target_vcpu = vcpus[i];
            snprintf(name, sizeof(name), "ic.vcpu_%s",
                     i == 0 ? "1000" : i == 1 ? "ffffffff" : "nr_cpus");
            r = bad(name, &ic, sizeof(ic), PING_DISCONNECTED);
            v[0] = r->answer.u.version.supported;
            v[1] = r->answer.vp;
            record(HV_GUEST_FAULT_NONE, 2, v, "%s.ping", name);
        }
    }
    {
        static const struct {
            const char *name;
            uint64_t gpa;
        } pages[] = {
            { "beyond_ram", VMB_RAM_END + 0x100000 },
            { "huge", 0xfffffffffffff000ull },
            { "ram_end", VMB_RAM_END - 0x100 },
            { "apic", GUEST_LAPIC_BASE },
        };

        for (i = 0; i < ARRAY_SIZE(pages); i++) {
            snprintf(name, sizeof(name), "ic.win7_intpage_%s", pages[i].name);
            connect(VMBUS_VERSION_WIN7, vmb_vp, pages[i].gpa, name);
            if (hv_call(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST,
                        VMBUS_EVENT_CONNECTION_ID, 0, &v[0]) !=
                HV_GUEST_FAULT_NONE) {
                v[0] = VMB_FAULTED;
            }
            ref_delay_ms(5);
            snprintf(name, sizeof(name), "ic.win7_intpage_%s.signal",
                     pages[i].name);
            record(HV_GUEST_FAULT_NONE, 1, v, "%s", name);
        }
    }
    {
        /* Monitor pages beyond RAM (QEMU does not use them) */
        VmbInitiate ic = {
            .h.type = MSG_INITIATE_CONTACT,
            .version = VMBUS_VERSION_WIN10,
            .target_vcpu = vmb_vp,
            .interrupt_page = 0xfffffffffffff000ull,
            .monitor_page1 = VMB_RAM_END + 0x1000,
            .monitor_page2 = 0xffffffffffffffffull,
        };

        r = send_expect(&ic, sizeof(ic), MSG_VERSION_RESPONSE);
        record_reply(r, "ic.monitor_beyond_ram");
        v[0] = r->answer.u.version.supported;
        record(HV_GUEST_FAULT_NONE, 1, v, "ic.monitor_beyond_ram.supported");
    }

    /* Connected from here */
    connect(VMBUS_VERSION_WIN10, vmb_vp, 0, "connect");
    request_offers("offers", &relid);

    /* Unknown and host-to-guest message types */
    for (i = 0; i < MSG_COUNT + 3; i++) {
        static const uint32_t extra[] = { MSG_COUNT, 0x7fffffff, 0xffffffff };
        uint32_t type = i < MSG_COUNT ? i : extra[i - MSG_COUNT];

        if (type == MSG_REQUESTOFFERS || type == MSG_INITIATE_CONTACT ||
            type == MSG_UNLOAD || type == MSG_OPENCHANNEL ||
            type == MSG_CLOSECHANNEL || type == MSG_GPADL_HEADER ||
            type == MSG_GPADL_BODY || type == MSG_GPADL_TEARDOWN) {
            continue;
        }
        memset(buf, 0, sizeof(buf));
        ((VmbHeader *)buf)->type = type;
        snprintf(name, sizeof(name), "type.%u", type);
        bad(name, buf, 8, PING_CONNECTED);
    }

    /* Guest-to-host messages cut short */
    {
        static const struct {
            const char *name;
            uint32_t type;
            uint32_t size;
        } cuts[] = {
            { "initiate_8", MSG_INITIATE_CONTACT, 8 },
            { "initiate_39", MSG_INITIATE_CONTACT, 39 },
            { "gpadl_header_27", MSG_GPADL_HEADER, 27 },
            { "gpadl_header_19", MSG_GPADL_HEADER, 19 },
            { "gpadl_body_15", MSG_GPADL_BODY, 15 },
            { "gpadl_teardown_15", MSG_GPADL_TEARDOWN, 15 },
            { "open_147", MSG_OPENCHANNEL, 147 },
            { "open_8", MSG_OPENCHANNEL, 8 },
            { "close_11", MSG_CLOSECHANNEL, 11 },
            { "close_8", MSG_CLOSECHANNEL, 8 },
        };

        for (i = 0; i < ARRAY_SIZE(cuts); i++) {
            /* Fields that would be valid had they come */
            VmbOpen o = { .child_relid = relid, .gpadl_id = 0x3000,
                          .ring_buffer_offset = 2, .target_vp = vmb_vp };
            VmbInitiate ic = { .version = VMBUS_VERSION_WIN10,
                               .target_vcpu = vmb_vp };

            memset(buf, 0, sizeof(buf));
            if (cuts[i].type == MSG_OPENCHANNEL) {
                memcpy(buf, &o, sizeof(o));
            } else if (cuts[i].type == MSG_INITIATE_CONTACT) {
                memcpy(buf, &ic, sizeof(ic));
            } else if (cuts[i].type == MSG_GPADL_HEADER) {
                gpadl_header(&gh, relid, 0x3000, pfns, 1, 1);
                memcpy(buf, &gh, sizeof(gh));
            } else {
                ((VmbClose *)buf)->child_relid = relid;
            }
            ((VmbHeader *)buf)->type = cuts[i].type;
            snprintf(name, sizeof(name), "short.%s", cuts[i].name);
            bad(name, buf, cuts[i].size, PING_CONNECTED);
        }
    }

    /* OPENCHANNEL */
    {
        static const uint32_t relids[] = { 0, 999, 0xffffffff };
        VmbOpen o = { .h.type = MSG_OPENCHANNEL, .open_id = 7,
                      .gpadl_id = 0x4000, .target_vp = vmb_vp,
                      .ring_buffer_offset = 2 };

        for (i = 0; i < ARRAY_SIZE(relids); i++) {
            o.child_relid = relids[i];
            snprintf(name, sizeof(name), "open.relid_%x", relids[i]);
            bad(name, &o, sizeof(o), PING_CONNECTED);
        }
    }

    /* GPADL_HEADER / BODY / TEARDOWN */
    alloc_gpadl(pfns, VMB_GPADL_PAGES);
    size = gpadl_header(&gh, relid, 0x4000, pfns, VMB_GPADL_PAGES,
                        VMB_GPADL_PAGES);
    gh.rangecount = 0;
    bad("gpadl.rangecount0", &gh, size, PING_CONNECTED);
    gh.rangecount = 2;
    bad("gpadl.rangecount2", &gh, size, PING_CONNECTED);
    gh.rangecount = 1;
    gh.range_buflen = 0xffff;
    bad("gpadl.buflen_ffff", &gh, size, PING_CONNECTED);
    gh.range_buflen = 0;
    gh.byte_count = 0xfffff000;
    bad("gpadl.buflen0", &gh, size, PING_CONNECTED);
    gh.range_buflen = 4;
    bad("gpadl.buflen4", &gh, size, PING_CONNECTED);
    size = gpadl_header(&gh, relid, 0x4000, pfns, VMB_GPADL_PAGES,
                        VMB_GPADL_PAGES);
    gh.byte_offset = 8;
    bad("gpadl.byte_offset", &gh, size, PING_CONNECTED);
    gh.byte_offset = 0;
    gh.byte_count = 4096;
    bad("gpadl.byte_count", &gh, size, PING_CONNECTED);

    /* 88 pages declared, 4 in the message: waits for GPADL_BODY */
    size = gpadl_header(&gh, relid, 0x5000, pfns, VMB_GPADL_PAGES, 88);
    bad("gpadl.partial", &gh, size, PING_CONNECTED);
    gb.gpadl_id = 0x5999;
    bad("gpadl.body_unknown", &gb, sizeof(gb), PING_CONNECTED);
    /* 28 more pages in one body (beyond RAM), then the rest: created */
    gb.gpadl_id = 0x5000;
    for (i = 0; i < 28; i++) {
        gb.pfn[i] = (VMB_RAM_END >> 12) + 0x100 + i;
    }
    bad("gpadl.body1", &gb, sizeof(gb), PING_CONNECTED);
    bad("gpadl.body_short", &gb, 16, PING_CONNECTED);
    bad("gpadl.body2", &gb, sizeof(gb), PING_CONNECTED);
    r = bad("gpadl.body3", &gb, sizeof(gb), PING_CONNECTED);
    v[0] = r->first.u.created.gpadl_id;
    v[1] = r->first.u.created.status;
    record(HV_GUEST_FAULT_NONE, 2, v, "gpadl.body3.created");
    /* A body for the complete GPADL */
    bad("gpadl.body_full", &gb, sizeof(gb), PING_CONNECTED);
    /* The same GPADL id again */
    size = gpadl_header(&gh, relid, 0x5000, pfns, VMB_GPADL_PAGES,
                        VMB_GPADL_PAGES);
    bad("gpadl.dup", &gh, size, PING_CONNECTED);
    /* Zero pages: range_buflen 8, byte_count 0 */
    size = gpadl_header(&gh, relid, 0x6000, pfns, 0, 0);
    bad("gpadl.zero", &gh, size, PING_CONNECTED);
    bad("gpadl.zero_body", &(VmbGpadlBody){ .h.type = MSG_GPADL_BODY,
                                            .gpadl_id = 0x6000,
                                            .pfn = { pfns[0] } },
        24, PING_CONNECTED);

    /* OPENCHANNEL on bad GPADLs and offsets */
    size = gpadl_header(&gh, relid, 0x4000, pfns, VMB_GPADL_PAGES,
                        VMB_GPADL_PAGES);
    bad("gpadl.good", &gh, size, PING_CONNECTED);
    {
        static const struct {
            const char *name;
            uint32_t gpadl;
            uint32_t offset;
            uint32_t vp;
        } opens[] = {
            { "no_gpadl", 0x4999, 2, 0 },
            { "partial_gpadl", 0x5000, 2, 0 },   /* now complete, beyond RAM */
            { "zero_gpadl", 0x6000, 2, 0 },
            { "offset0", 0x4000, 0, 0 },
            { "offset1", 0x4000, 1, 0 },
            { "offset3", 0x4000, 3, 0 },
            { "offset4", 0x4000, 4, 0 },
            { "offset_ffffffff", 0x4000, 0xffffffff, 0 },
            { "offset_fffffffe", 0x4000, 0xfffffffe, 0 },
            { "vp_1000", 0x4000, 2, 1000 },
        };

        for (i = 0; i < ARRAY_SIZE(opens); i++) {
            VmbOpen o = {
                .h.type = MSG_OPENCHANNEL,
                .child_relid = relid,
                .open_id = 0x100 + i,
                .gpadl_id = opens[i].gpadl,
                .target_vp = opens[i].vp ? opens[i].vp : vmb_vp,
                .ring_buffer_offset = opens[i].offset,
            };
            VmbClose c = { .h.type = MSG_CLOSECHANNEL, .child_relid = relid };

            snprintf(name, sizeof(name), "open.%s", opens[i].name);
            r = bad(name, &o, sizeof(o), PING_CONNECTED);
            v[0] = r->first_type == MSG_OPENCHANNEL_RESULT ?
                   r->first.u.open.status : VMB_NONE;
            v[1] = r->first.u.open.open_id;
            record(HV_GUEST_FAULT_NONE, 2, v, "%s.status", name);
            /* Closed again whatever happened */
            post(&c, sizeof(c));
        }
    }

    /* A good open, then CLOSECHANNEL twice, OPENCHANNEL twice */
    {
        VmbOpen o = { .h.type = MSG_OPENCHANNEL, .child_relid = relid,
                      .open_id = 0x77, .gpadl_id = 0x4000,
                      .target_vp = vmb_vp, .ring_buffer_offset = 2 };
        VmbClose c = { .h.type = MSG_CLOSECHANNEL, .child_relid = relid };

        r = bad("open.good", &o, sizeof(o), PING_CONNECTED);
        v[0] = r->first.u.open.status;
        record(HV_GUEST_FAULT_NONE, 1, v, "open.good.status");
        bad("open.again", &o, sizeof(o), PING_CONNECTED);
        /* The GPADL torn down under the open channel */
        {
            VmbGpadlTeardown t = { .h.type = MSG_GPADL_TEARDOWN,
                                   .child_relid = relid, .gpadl_id = 0x4000 };

            bad("gpadl.teardown_open", &t, sizeof(t), PING_CONNECTED);
            bad("gpadl.teardown_open2", &t, sizeof(t), PING_CONNECTED);
            bad("gpadl.body_tornopen", &(VmbGpadlBody){
                    .h.type = MSG_GPADL_BODY, .gpadl_id = 0x4000 },
                sizeof(gb), PING_CONNECTED);
        }
        bad("close.first", &c, sizeof(c), PING_CONNECTED);
        bad("close.second", &c, sizeof(c), PING_CONNECTED);
        c.child_relid = 999;
        bad("close.unknown", &c, sizeof(c), PING_CONNECTED);
    }
    {
        VmbGpadlTeardown t = { .h.type = MSG_GPADL_TEARDOWN,
                               .child_relid = relid, .gpadl_id = 0x7777 };

        bad("gpadl.teardown_unknown", &t, sizeof(t), PING_CONNECTED);
        t.gpadl_id = 0x5000;
        bad("gpadl.teardown_5000", &t, sizeof(t), PING_CONNECTED);
        bad("gpadl.teardown_5000_again", &t, sizeof(t), PING_CONNECTED);
        t.gpadl_id = 0x6000;
        bad("gpadl.teardown_zero", &t, sizeof(t), PING_CONNECTED);

        /*
         * All GPADLs together list at most the guest's RAM in pages
         * (64 MiB: 16384): of three GPADLs of 8190 pages, the third is
         * refused.  GPADL_TEARDOWN tells which exist: it is answered for
         * those, incomplete or not.  Once the first two are gone, a new
         * one fits again.
         */
        size = gpadl_header(&gh, relid, 0x7001, pfns, VMB_GPADL_PAGES, 8190);
        bad("gpadl.cap.a", &gh, size, PING_CONNECTED);
        size = gpadl_header(&gh, relid, 0x7002, pfns, VMB_GPADL_PAGES, 8190);
        bad("gpadl.cap.b", &gh, size, PING_CONNECTED);
        size = gpadl_header(&gh, relid, 0x7003, pfns, VMB_GPADL_PAGES, 8190);
        bad("gpadl.cap.c", &gh, size, PING_CONNECTED);
        t.gpadl_id = 0x7003;
        bad("gpadl.cap.teardown_c", &t, sizeof(t), PING_CONNECTED);
        t.gpadl_id = 0x7001;
        bad("gpadl.cap.teardown_a", &t, sizeof(t), PING_CONNECTED);
        t.gpadl_id = 0x7002;
        bad("gpadl.cap.teardown_b", &t, sizeof(t), PING_CONNECTED);
        size = gpadl_header(&gh, relid, 0x7004, pfns, VMB_GPADL_PAGES, 8190);
        bad("gpadl.cap.d", &gh, size, PING_CONNECTED);
        t.gpadl_id = 0x7004;
        bad("gpadl.cap.teardown_d", &t, sizeof(t), PING_CONNECTED);
    }

    /* The rx queue: 32 posts without reading the answers */
    hdr.type = MSG_REQUESTOFFERS;
    v[0] = v[1] = v[2] = v[3] = 0;
    for (i = 0; i < 32; i++) {
        uint64_t st = post_raw(VMBUS_MESSAGE_CONNECTION_ID, HV_MESSAGE_VMBUS,
                               &hdr, sizeof(hdr));

        if (st == 0) {
            v[0]++;
        } else if (st == HV_STATUS_INSUFFICIENT_BUFFERS) {
            v[1]++;
        } else {
            v[2]++;
        }
    }
    while (recv(&m, 500)) {
        v[3] += m.u.h.type == MSG_ALLOFFERS_DELIVERED;
    }
    record(HV_GUEST_FAULT_NONE, 4, v, "burst");

    /* INITIATE_CONTACT while connected: a new handshake */
    connect(VMBUS_VERSION_WIN8_1, vmb_vp, 0, "ic.again");
    request_offers("ic.again.offers", NULL);

    hdr.type = MSG_UNLOAD;
    r = send_expect(&hdr, sizeof(hdr), MSG_UNLOAD_RESPONSE);
    record_reply(r, "unload");
    bad("unload2", &hdr, sizeof(hdr), PING_DISCONNECTED);

    /* The bus recovers */
    connect(VMBUS_VERSION_WIN10, vmb_vp, 0, "final.connect");
    request_offers("final.offers", NULL);
    hdr.type = MSG_UNLOAD;
    r = send_expect(&hdr, sizeof(hdr), MSG_UNLOAD_RESPONSE);
    record_reply(r, "final.unload");

    record_irqs();
    irq_disable();
}

GUEST_TEST(vmbus_bad,
    .name = "vmbus-bad",
    .description = "malformed VMBus messages QEMU must survive",
    .setup = vmbus_bad_setup,
);
