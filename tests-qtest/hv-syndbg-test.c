/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qemu-hyperv qtest: the synthetic kernel debugger (hv-syndbg) under TCG.
 *
 * The guest (guest/tests-syndbg.c) talks to QEMU's hv-syndbg device
 * through the synthetic debugger MSRs and hypercalls; the device carries
 * the data over UDP to host_ip:host_port, where this test listens and
 * answers like a debugger would.  The interface is KVM's and QEMU's (the
 * TLFS does not document it): SYNDBG_STATUS reads 1 after a send, 4 |
 * size << 16 after a receive, 0 when nothing was done; HvPostDebugData
 * takes an Ethernet/IPv4/UDP frame and sends its payload,
 * HvRetrieveDebugData returns the datagram wrapped in such a frame.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "hv-harness.h"

#define HV_STATUS_SUCCESS               0
#define HV_STATUS_INVALID_PARAMETER     5
#define HV_STATUS_NO_DATA               27

#define SYNDBG_STATUS_SEND_SUCCESS      1
#define SYNDBG_STATUS_RECV_SUCCESS      4
#define SYNDBG_CONTROL_SEND             1
#define SYNDBG_OPTION_USE_HCALLS        (1u << 2)

#define FRAME_HLEN                      (14 + 20 + 8)
#define RETRIEVE_COUNT                  (4096 - 8)

#define SYNDBG_CPU  "qemu64,hv-relaxed,hv-vpindex,hv-synic,hv-time,hv-syndbg"

/* The debugger's end: a UDP socket on 127.0.0.1 */
typedef struct Debugger {
    int fd;
    int port;
    struct sockaddr_in peer;    /* QEMU's socket, once it sent something */
} Debugger;

static void debugger_open(Debugger *d)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    socklen_t len = sizeof(addr);

    d->fd = socket(AF_INET, SOCK_DGRAM, 0);
    g_assert_cmpint(d->fd, >=, 0);
    g_assert_cmpint(bind(d->fd, (struct sockaddr *)&addr, sizeof(addr)), ==,
                    0);
    g_assert_cmpint(getsockname(d->fd, (struct sockaddr *)&addr, &len), ==,
                    0);
    d->port = ntohs(addr.sin_port);
}

/* The next datagram from QEMU, NUL-terminated; NULL after 30 s */
static char *debugger_recv(Debugger *d)
{
    struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
    socklen_t len = sizeof(d->peer);
    char buf[4096];
    ssize_t n;

    if (poll(&pfd, 1, 30000) != 1) {
        return NULL;
    }
    n = recvfrom(d->fd, buf, sizeof(buf) - 1, 0,
                 (struct sockaddr *)&d->peer, &len);
    g_assert_cmpint(n, >=, 0);
    buf[n] = 0;
    return g_strdup(buf);
}

static void debugger_send(Debugger *d, const char *text)
{
    g_assert_cmpint(sendto(d->fd, text, strlen(text), 0,
                           (struct sockaddr *)&d->peer, sizeof(d->peer)),
                    ==, strlen(text));
}

/* The first 16 bytes of @text (zero-padded) as two little-endian words */
static void text_words(const char *text, uint64_t *w)
{
    unsigned int i;

    w[0] = w[1] = 0;
    for (i = 0; i < 16 && text[i]; i++) {
        w[i / 8] |= (uint64_t)(uint8_t)text[i] << (8 * (i % 8));
    }
}

static HvGuest *launch(Debugger *d, const char *test, bool use_hcalls)
{
    g_autofree char *args =
        g_strdup_printf("-device vmbus-bridge -device hv-syndbg,"
                        "host_ip=127.0.0.1,host_port=%d,use_hcalls=%s",
                        d->port, use_hcalls ? "on" : "off");
    HvGuestOptions opts = {
        .cpu = SYNDBG_CPU,
        .smp = 1,
        .test = test,
        .qemu_args = args,
    };

    return hv_guest_launch(&opts);
}

/*
 * Boots @test; once the guest recorded @record, the debugger must have
 * received @sent, and answers @reply.  Returns the finished guest.
 */
static HvGuest *exchange(Debugger *d, const char *test, bool use_hcalls,
                         const char *record, const char *sent,
                         const char *reply)
{
    HvGuest *g;
    g_autofree char *got = NULL;

    debugger_open(d);
    g = launch(d, test, use_hcalls);
    g_assert_nonnull(hv_guest_wait_record(g, "%s", record));
    got = debugger_recv(d);
    g_assert_cmpstr(got, ==, sent);
    debugger_send(d, reply);
    hv_guest_wait(g);
    hv_assert_guest_passed(g);
    return g;
}

static void test_msr(void)
{
    static const char sent[] = "hello debugger, from SYNDBG_CONTROL";
    static const char reply[] = "the debugger answers the MSR path";
    Debugger d;
    g_autoptr(HvGuest) g = exchange(&d, "syndbg-msr", false, "cpu0.msr.sent",
                                    sent, reply);
    uint64_t w[2];

    /* CPUID: the debugger's leaves, and the debug MSRs offered */
    hv_assert_value(g, 0, 0x40000082, "cpu0.cpuid.40000000");
    hv_assert_value_masked(g, 3, 1u << 11, 1u << 11, "cpu0.cpuid.40000003");
    hv_assert_string12(g, 1, 2, 3, "Microsoft VS", "cpu0.cpuid.40000080");
    hv_assert_value(g, 0, 0x31235356 /* "VS#1" */, "cpu0.cpuid.40000081");
    hv_assert_value(g, 0, 1u << 1 /* AllowKernelDebugging */,
                    "cpu0.cpuid.40000082");

    /* use_hcalls=off: the device does not offer the hypercalls */
    hv_assert_value(g, 0, 0, "cpu0.options");
    hv_assert_no_fault(g, "cpu0.buffers");
    hv_assert_value(g, 0, 0, "cpu0.buffers");
    hv_assert_value(g, 1, 0, "cpu0.buffers");
    hv_assert_value(g, 2, 0, "cpu0.buffers");

    /* RECV with nothing pending: status 0 */
    hv_assert_no_fault(g, "cpu0.msr.recv_empty");
    hv_assert_value(g, 0, 0, "cpu0.msr.recv_empty");

    hv_assert_no_fault(g, "cpu0.msr.sent");
    hv_assert_value(g, 0, SYNDBG_STATUS_SEND_SUCCESS, "cpu0.msr.sent");
    hv_assert_value(g, 1, SYNDBG_CONTROL_SEND | (strlen(sent) << 16),
                    "cpu0.msr.sent");

    /* QEMU raised the pending byte; RECV took the datagram and cleared it */
    hv_assert_value(g, 0, 1, "cpu0.msr.pending");
    hv_assert_no_fault(g, "cpu0.msr.received");
    hv_assert_value(g, 0, SYNDBG_STATUS_RECV_SUCCESS | (strlen(reply) << 16),
                    "cpu0.msr.received");
    text_words(reply, w);
    hv_assert_value(g, 1, w[0], "cpu0.msr.received");
    hv_assert_value(g, 2, w[1], "cpu0.msr.received");
    hv_assert_value(g, 3, 0, "cpu0.msr.received");
    close(d.fd);
}

static void test_hypercalls(void)
{
    static const char sent[] = "hello debugger, from HvPostDebugData";
    static const char reply[] = "the debugger answers the hypercall path";
    Debugger d;
    /*
     * The malformed frame before the good one was dropped: the first
     * datagram the debugger gets is the good one
     */
    g_autoptr(HvGuest) g = exchange(&d, "syndbg-hcall", true,
                                    "cpu0.hcall.sent", sent, reply);
    uint64_t w[2];

    hv_assert_value(g, 0, SYNDBG_OPTION_USE_HCALLS, "cpu0.options");

    /* HvResetDebugSession: the debugger's address, host byte order */
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "cpu0.hcall.reset");
    hv_assert_value(g, 1, 0x7f000001, "cpu0.hcall.reset");
    hv_assert_value(g, 2, d.port, "cpu0.hcall.reset");

    /* An IP header longer than the frame: not UDP, dropped, nothing left */
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "cpu0.hcall.bad_frame");
    /* More than the input page holds; fast input */
    hv_assert_value(g, 0, HV_STATUS_INVALID_PARAMETER, "cpu0.hcall.big_count");
    hv_assert_value(g, 0, HV_STATUS_INVALID_PARAMETER, "cpu0.hcall.fast");

    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "cpu0.hcall.sent");
    hv_assert_value(g, 1, 0, "cpu0.hcall.sent");

    hv_assert_value(g, 0, 1, "cpu0.hcall.pending");
    hv_assert_value(g, 0, HV_STATUS_SUCCESS, "cpu0.hcall.retrieved");
    hv_assert_value(g, 1, FRAME_HLEN + strlen(reply), "cpu0.hcall.retrieved");
    hv_assert_value(g, 2, RETRIEVE_COUNT - FRAME_HLEN - strlen(reply),
                    "cpu0.hcall.retrieved");
    text_words(reply, w);
    hv_assert_value(g, 0, w[0], "cpu0.hcall.frame");
    hv_assert_value(g, 1, w[1], "cpu0.hcall.frame");
    hv_assert_value(g, 2, 0x0800, "cpu0.hcall.frame");
    hv_assert_value(g, 3, 17, "cpu0.hcall.frame");

    hv_assert_value(g, 0, HV_STATUS_NO_DATA, "cpu0.hcall.retrieved_again");
    hv_assert_value(g, 1, 0, "cpu0.hcall.retrieved_again");
    close(d.fd);
}

static void test_needs_host_ip(void)
{
    hv_assert_qemu_rejects(SYNDBG_CPU, "-device vmbus-bridge -device hv-syndbg",
                           "hv-syndbg needs host_ip");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/hyperv/syndbg/msr", test_msr);
    qtest_add_func("/hyperv/syndbg/hypercalls", test_hypercalls);
    qtest_add_func("/hyperv/syndbg/needs-host-ip", test_needs_host_ip);

    return g_test_run();
}
