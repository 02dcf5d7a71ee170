#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu-hyperv KVM tests: the differential against stock QEMU.
#
# Runs our qemu-system-x86_64 and stock QEMU (the same source without the
# series) under the recording fake /dev/kvm (fake-kvm.so), for a matrix of
# -cpu configurations x host profiles, and compares what each asked the
# "kernel" to do about Hyper-V (KVM_SET_CPUID2 entries, KVM_ENABLE_CAP,
# Hyper-V MSRs, routes, eventfds), what it answered to scripted
# KVM_EXIT_HYPERV exits, its migration stream, its exit status and its
# messages.  Every difference must be explained by an entry of
# kvm-diff.allow, each of which docs/kvm-differential.md describes.
#
# Prints TAP: "ok - kvm-diff: <case>" per case.  --real runs the matrix's
# configurations against the machine's own /dev/kvm instead (the shim then
# only records), for "make check-kvm".

import argparse
import collections
import configparser
import concurrent.futures
import fnmatch
import hashlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

PROFILES = ["4.19-intel", "5.10-intel", "5.15-intel", "6.1-intel",
            "6.1-intel-nosmt", "6.1-intel-nonested", "6.1-amd",
            "6.1-amd-nonested", "nohyperv"]

# The profiles every configuration runs on; the others only where they
# make a difference (see CONFIGS)
MAIN_PROFILES = ["5.10-intel", "5.15-intel", "6.1-intel",
                 "6.1-intel-nonested", "6.1-amd", "6.1-amd-nonested",
                 "nohyperv"]
LEGACY = ["4.19-intel"]
NOSMT = ["6.1-intel-nosmt"]

WIN7 = "hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-time"
# What libvirt emits for a Windows 10 / Server 2016+ domain
WIN10 = ("hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-vpindex,hv-runtime,"
         "hv-synic,hv-stimer,hv-reset,hv-frequencies,hv-reenlightenment,"
         "hv-tlbflush,hv-ipi,hv-time,hv-vendor-id=KVMKVMKVM")
ALL_KVM = (WIN10 + ",hv-stimer-direct,hv-crash,hv-avic")


class Case:
    def __init__(self, name, profile, cpu, args=(), mode="boot",
                 script=None, guest_msrs=None, smp=1, qmp=(), stock_cpu=None):
        self.name = name
        self.profile = profile
        self.cpu = cpu
        # stock's -cpu when it lacks a property ours has (else cpu)
        self.stock_cpu = stock_cpu
        self.args = list(args)
        self.mode = mode
        self.script = script
        self.guest_msrs = guest_msrs
        self.smp = smp
        self.qmp = list(qmp)
        # "{port}" in args and script: a UDP port of the harness's own
        self.port = None


# QMP commands after start-up, their outcome recorded
MIGRATE = [("migrate", {"uri": "exec:cat > /dev/null"})]
HOTPLUG = [("device_add", {"driver": "host-x86_64-cpu", "id": "cpu1",
                           "socket-id": 0, "core-id": 1, "thread-id": 0})]


# -cpu configurations: (name, properties after the model, smp, extra args,
# profiles (None: all)[, QMP commands]).  A migration attempt shows the
# migration blockers (hv-passthrough, hv-no-nonarch-coresharing=auto,
# nested guests).
CONFIGS = [
    ("no-hv", "", 1, [], ["6.1-intel", "nohyperv"]),
    ("win7", WIN7, 1, [], MAIN_PROFILES + LEGACY),
    ("win10", WIN10, 2, [], MAIN_PROFILES + LEGACY, MIGRATE),
    ("all", ALL_KVM, 2, [], MAIN_PROFILES + LEGACY),
    ("enforce", WIN10 + ",hv-enforce-cpuid", 2, [], MAIN_PROFILES + LEGACY),
    ("passthrough", "hv-passthrough", 2, [], PROFILES, MIGRATE),
    ("passthrough-enforce", "hv-passthrough,hv-enforce-cpuid", 1, [],
     MAIN_PROFILES + LEGACY),
    ("hotplug", WIN10, "1,maxcpus=2,cores=2", [], ["5.10-intel", "6.1-intel",
                                          "6.1-amd", "nohyperv"], HOTPLUG),
    ("evmcs", "hv-vapic,hv-evmcs", 1, [], MAIN_PROFILES + LEGACY, MIGRATE),
    ("emsr-bitmap", "hv-vapic,hv-evmcs,hv-emsr-bitmap", 1, [], None),
    ("tlbflush-direct", "hv-vapic,hv-evmcs,hv-tlbflush-direct", 1, [],
     ["6.1-intel", "nohyperv"]),
    ("xmm-tlbflush-ext", "hv-vpindex,hv-tlbflush,hv-xmm-input,"
     "hv-tlbflush-ext", 1, [], ["5.10-intel", "6.1-intel"]),
    ("syndbg", "hv-relaxed,hv-vpindex,hv-synic,hv-syndbg", 1, [],
     ["4.19-intel", "5.10-intel", "6.1-amd", "nohyperv"]),
    ("spinlocks", "hv-spinlocks=0xfff", 1, [], MAIN_PROFILES + LEGACY),
    ("vendor-id", "hv-relaxed,hv-vendor-id=Contoso", 1, [],
     ["6.1-intel", "nohyperv"]),
    ("version-id", "hv-relaxed,hv-version-id-build=0x4563,"
     "hv-version-id-major=6,hv-version-id-minor=3,hv-version-id-spack=1,"
     "hv-version-id-sbranch=2,hv-version-id-snumber=3", 1, [],
     ["6.1-intel"]),
    ("nonarch-on", "hv-relaxed,hv-no-nonarch-coresharing=on", 1, [],
     MAIN_PROFILES + NOSMT),
    ("nonarch-auto", "hv-relaxed,hv-no-nonarch-coresharing=auto", 1, [],
     PROFILES, MIGRATE),
    ("dep-stimer", "hv-stimer", 1, [], ["5.15-intel", "nohyperv"]),
    ("dep-synic", "hv-synic", 1, [], ["5.15-intel"]),
    ("synic-kvm-only", "hv-synic,x-hv-synic-kvm-only=on", 1, [],
     ["5.15-intel", "nohyperv"]),
    ("max-vps", "hv-relaxed,hv-vpindex,x-hv-max-vps=8", 2, [],
     ["6.1-intel"]),
    ("passthrough-off", "hv-passthrough,hv-evmcs=off,hv-stimer-direct=off,"
     "hv-vendor-id=Contoso", 1, [], ["5.10-intel", "6.1-intel"], MIGRATE),
    ("vendor-id-long", "hv-relaxed,hv-vendor-id=MicrosoftHvTooLong", 1, [],
     ["6.1-intel"]),
    ("spinlocks-low", "hv-spinlocks=0x5", 1, [], ["6.1-intel"]),
    ("enforce-alone", "hv-enforce-cpuid", 1, [], ["5.10-intel",
                                                 "6.1-intel"]),
    # GPU passthrough guests hide KVM's signature but keep Hyper-V
    ("kvm-off", "kvm=off,hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-time,"
     "hv-vendor-id=0123456789ab", 1, [], ["6.1-intel", "6.1-amd"]),
    ("dep-tlbflush", "hv-tlbflush", 1, [], ["6.1-intel"]),
    ("dep-stimer-direct", "hv-time,hv-stimer-direct", 1, [], ["6.1-intel"]),
    ("dep-syndbg", "hv-vpindex,hv-synic,hv-syndbg", 1, [], ["6.1-intel"]),
    ("model", WIN10, 2, [], None),
    ("old-machine", WIN10, 1, ["-M", "pc-q35-5.1"], ["6.1-intel"]),
    ("older-machine", WIN10 + ",hv-passthrough", 1, ["-M", "pc-i440fx-4.2"],
     ["6.1-intel"]),
]


def cpu_string(profile, config_name, props):
    if config_name == "model":
        model = "EPYC-v4" if "amd" in profile else "Skylake-Server-v4"
    else:
        model = "host"
    return model + ("," + props if props else "")


def boot_matrix(profiles):
    for name, props, smp, args, only, *qmp in CONFIGS:
        for p in profiles:
            if p not in (only or MAIN_PROFILES):
                continue
            yield Case("%s/%s" % (p, name), p, cpu_string(p, name, props),
                       args, smp=smp, qmp=qmp[0] if qmp else ())


# ---- KVM_EXIT_HYPERV cases ----

HV_POST_MESSAGE = 0x5c
HV_SIGNAL_EVENT = 0x5d
HV_FAST = 1 << 16
VMBUS_EVENT_CONNECTION_ID = 2

EXIT_CASES = [
    # name, cpu properties, extra args, script
    ("hcall-unknown", WIN10, [],
     ["hcall 0x0099 0 0", "hcall 0x8001 0 0", "hcall 0x8003 0x1000 0",
      "shutdown"]),
    ("post-message-no-handler", WIN10, [],
     ["mem 0x10000 "
      "2a000000" "00000000" "01000000" "08000000" "0102030405060708",
      "hcall 0x%x 0x10000 0" % HV_POST_MESSAGE,
      "hcall 0x%x 0x10000 0" % (HV_POST_MESSAGE | HV_FAST),
      "hcall 0x%x 0xfffffffffff000 0" % HV_POST_MESSAGE,
      "shutdown"]),
    ("signal-event", WIN10, ["-device", "vmbus-bridge"],
     ["hcall 0x%x %d 0" % (HV_SIGNAL_EVENT | HV_FAST,
                           VMBUS_EVENT_CONNECTION_ID),
      "hcall 0x%x 0x77 0" % (HV_SIGNAL_EVENT | HV_FAST),
      "hcall 0x%x 0x10000 0" % HV_SIGNAL_EVENT,
      "shutdown"]),
    ("synic-msrs", WIN10, [],
     ["synic 0x40000080 0x1 0 0",
      "synic 0x40000082 0x21001 0x21001 0",
      "synic 0x40000083 0x1 0x21001 0x20001",
      "dump 0x20000 16",
      "shutdown"]),
    ("synic-msr-without-synic", WIN7, [],
     ["synic 0x40000080 0x1 0 0", "shutdown"]),
    ("vmbus-initiate-contact", WIN10, ["-device", "vmbus-bridge"],
     ["synic 0x40000080 0x1 0 0",
      "synic 0x40000082 0x1 0x21001 0",
      "synic 0x40000083 0x1 0x21001 0x20001",
      # CHANNELMSG_INITIATE_CONTACT (14), version 4.0, target VP 0,
      # interrupt page and monitor pages
      "mem 0x10000 "
      "01000000" "00000000" "01000000" "28000000"
      "0e000000" "00000000" "00000400" "00000000"
      "0000030000000000" "0000040000000000" "0000050000000000",
      "hcall 0x%x 0x10000 0" % HV_POST_MESSAGE,
      # VMBus answers (VERSION_RESPONSE) in SINT 2's slot of the SIM page
      "waitmem 0x20200",
      "dump 0x20200 32",
      "shutdown"]),
]


SYNDBG = "hv-relaxed,hv-vpindex,hv-synic,hv-syndbg"
SYNDBG_CONTROL, SYNDBG_PENDING = 0x400000f1, 0x400000f5
HV_POST_DEBUG_DATA, HV_RETRIEVE_DEBUG_DATA = 0x69, 0x6a
HV_RESET_DEBUG_SESSION = 0x6b
SYNDBG_SCRIPT = [
    "hcall 0x%x 0 0x11000" % HV_RESET_DEBUG_SESSION,
    "dump 0x11000 32",
    "syndbg 0x%x 0 0 0 0x12000" % SYNDBG_PENDING,
    "syndbg 0x%x 0 0 0 0" % SYNDBG_CONTROL,
    # SEND (bit 0) of 5 bytes (bits 16-31) from 0x13000
    "mem 0x13000 68656c6c6f",
    "syndbg 0x%x 0x50001 0x13000 0 0" % SYNDBG_CONTROL,
    # HvPostDebugData: count 4, options 0, then the data
    "mem 0x14000 040000000000000064617461",
    "hcall 0x%x 0x14000 0x15000" % HV_POST_DEBUG_DATA,
    "dump 0x15000 4",
    "shutdown",
]
EXIT_CASES += [
    ("syndbg", SYNDBG,
     ["-device", "vmbus-bridge",
      "-device", "hv-syndbg,host_ip=127.0.0.1,host_port={port}"],
     SYNDBG_SCRIPT),
    ("syndbg-no-device", SYNDBG, [], SYNDBG_SCRIPT),
    ("syndbg-msr-without-syndbg", WIN10, [],
     ["syndbg 0x%x 0 0 0 0" % SYNDBG_CONTROL, "shutdown"]),
]


# Extended hypercalls (hv-ext-hypercalls) on a kernel that forwards them
# (6.2+): stock has no such property and runs without it, so each answer
# differs as kvm-diff.allow's [ext-hypercalls] says; without the property
# both answer alike.  GPA 0x30000 holds data the cold discard hint drops.
EXT_HINT_INPUT = "mem 0x10000 " + "0200000000000000" + "0000030000000000"
EXT_SCRIPT = [
    "mem 0x30000 0123456789abcdef0123456789abcdef",
    EXT_HINT_INPUT,
    "hcall 0x8001 0 0x11000",
    "dump 0x11000 8",
    "hcall 0x100008003 0x10000 0",
    "dump 0x30000 16",
    "hcall 0x8002 0 0x12000",
    "dump 0x12000 8",
    "hcall 0x8004 0 0x11000",
    "shutdown",
]
EXT_CASES = [
    # name, ours' cpu properties, stock's
    ("ext-hypercalls", WIN10 + ",hv-ext-hypercalls", WIN10),
    ("ext-hypercalls-off", WIN10, None),
]


def exit_matrix():
    for name, props, args, script in EXIT_CASES:
        yield Case("6.1-intel/exit-" + name, "6.1-intel",
                   cpu_string("6.1-intel", name, props), args, mode="exit",
                   script=script)
    for name, props, stock_props in EXT_CASES:
        yield Case("6.6-intel/exit-" + name, "6.6-intel",
                   cpu_string("6.6-intel", name, props), mode="exit",
                   script=EXT_SCRIPT,
                   stock_cpu=cpu_string("6.6-intel", name, stock_props)
                   if stock_props else None)


# ---- migration under KVM ----

GUEST_HV_MSRS = {
    0x40000000: 0x1040a00003839,     # GUEST_OS_ID: Windows 10
    0x40000001: 0x1f000 | 1,         # HYPERCALL page, enabled
    0x40000073: 0x1e000 | 1,         # VP_ASSIST_PAGE
    0x40000021: 0x1d000 | 1,         # REFERENCE_TSC
    0x40000080: 1,                   # SCONTROL
    0x40000082: 0x21000 | 1,         # SIEFP
    0x40000083: 0x20000 | 1,         # SIMP
    0x40000090: 0x30,                # SINT0 vector 0x30
    0x40000092: 0x31,
    0x400000b0: 0x3001b,             # STIMER0_CONFIG
    0x400000b1: 100000,              # STIMER0_COUNT
    0x40000100: 0x11, 0x40000105: 0,  # CRASH_P0, CRASH_CTL
    0x40000106: 0x10021,             # REENLIGHTENMENT_CONTROL
    0x40000107: 1, 0x40000108: 1,    # TSC_EMULATION_CONTROL/STATUS
}

SAVEVM_CASES = [
    ("win10", WIN10 + ",hv-crash,hv-stimer-direct", []),
    ("win10-vmbus", WIN10, ["-device", "vmbus-bridge"]),
    ("win7", WIN7, []),
]


def savevm_matrix():
    msrs = ",".join("0x%x=0x%x" % kv for kv in sorted(GUEST_HV_MSRS.items()))
    for prof in ["6.1-intel", "6.1-amd"]:
        for name, props, args in SAVEVM_CASES:
            yield Case("%s/savevm-%s" % (prof, name), prof,
                       cpu_string(prof, name, props), args, mode="savevm",
                       guest_msrs=msrs)


# ---- running QEMU ----

class Qmp:
    """QMP over QEMU's stdio, with a deadline on every read."""

    def __init__(self, proc, deadline):
        self.proc = proc
        self.deadline = deadline
        self.buf = b""
        self.events = []

    def _line(self):
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("QMP timeout")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("QEMU closed QMP")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def greeting(self):
        return self._line()

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()
        while True:
            r = self._line()
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def wait_event(self, names):
        for i, e in enumerate(self.events):
            if e["event"] in names:
                return self.events.pop(i)
        while True:
            r = self._line()
            if "event" in r:
                if r["event"] in names:
                    return r
                self.events.append(r)


def normalize_stderr(text, binary):
    out = []
    for line in text.splitlines():
        line = line.replace(binary, "qemu-system-x86_64")
        line = re.sub(r"^\S*qemu-system-x86_64:", "qemu-system-x86_64:", line)
        if line.strip():
            out.append("stderr " + line)
    return out


def grouped_recording(path):
    """The recording, each scope's lines together in QEMU's order."""
    if not os.path.exists(path):
        return []
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    # Stable: within one scope, the order of the (single) issuing thread
    return sorted(lines, key=lambda ln: ln.split(" ", 1)[0])


# Fields that hold host clock readings (QEMU_CLOCK_VIRTUAL advances with
# the host between "cont" and "stop"): zeroed before sections are compared.
TIME_FIELDS = {
    "timer": {"cpu_ticks_offset", "cpu_clock_offset"},
    "apic": {"initial_count_load_time", "next_time", "timer_expiry"},
    "i8254": {"count_load_time", "next_transition_time",
              "channels[0].next_transition_time"},
}


def vmdesc_of(data):
    """The stream's JSON description: QEMU_VM_VMDESCRIPTION, be32, JSON."""
    p = len(data)
    while True:
        p = data.rfind(b"\x06", 0, p)
        if p < 0:
            raise ValueError("no vmdesc in the migration stream")
        if int.from_bytes(data[p + 1:p + 5], "big") == len(data) - p - 5:
            return p, json.loads(data[p + 5:])


def device_sections(data):
    """(device description, section body) for every non-iterable section.

    A section carries no length: it runs from its header
    (QEMU_VM_SECTION_FULL, id, name, instance, version) to the footer
    (QEMU_VM_SECTION_FOOTER and the id) before the next one; the last ends
    before QEMU_VM_EOF, which precedes the description.
    """
    p, desc = vmdesc_of(data)
    eof = p - 1
    if data[eof] != 0:
        raise ValueError("no QEMU_VM_EOF before the vmdesc")
    out, pos, prev = [], 8, None
    for dev in desc["devices"]:
        name = dev["name"].encode()
        pat = re.compile(b"\x04(....)" + re.escape(
            bytes([len(name)]) + name +
            dev["instance_id"].to_bytes(4, "big") +
            dev["version"].to_bytes(4, "big")), re.S)
        m = pat.search(data, pos)
        if not m:
            raise ValueError("no section for %s" % dev["name"])
        if prev:
            out.append((prev[0], data[prev[2]:m.start() - 5]))
            if data[m.start() - 5:m.start()] != b"\x7e" + prev[1]:
                raise ValueError("no footer after %s" % prev[0]["name"])
        prev = (dev, m.group(1), m.end())
        pos = m.end()
    out.append((prev[0], data[prev[2]:eof - 5]))
    return out


def field_spans(fields, off, spans):
    """Offsets of the fields (by name) as laid out by the description."""
    for f in fields:
        n = f.get("array_len", 1)
        if "struct" in f:
            for _ in range(n):
                off = field_spans(f["struct"]["fields"], off, spans)
                sub = f["struct"].get("subsections")
                if sub:
                    raise ValueError("subsections inside a struct")
        else:
            spans.append((f["name"], off, f["size"] * n))
            off += f["size"] * n
    return off


def masked(dev, body):
    times = TIME_FIELDS.get(dev["vmsd_name"])
    if not times:
        return body
    spans = []
    end = field_spans(dev["fields"], 0, spans)
    if dev.get("subsections") or end != len(body):
        raise ValueError("cannot lay out %s" % dev["name"])
    body = bytearray(body)
    for name, off, size in spans:
        if name in times:
            body[off:off + size] = bytes(size)
    return bytes(body)


def subsection_names(dev):
    out = []
    for sub in dev.get("subsections", []):
        out.append(sub["vmsd_name"])
        out += subsection_names(sub)
    return out


def migration_summary(path):
    """Each device section of the stream: its subsections and a digest.

    RAM (the iterative sections) is left out: how QEMU cuts it into
    iterations depends on timing, and it holds the guest's memory, not
    device state.
    """
    data = open(path, "rb").read()
    out = []
    try:
        for dev, body in device_sections(data):
            body = masked(dev, body)
            name = "%s.%d v%d" % (dev["name"], dev["instance_id"],
                                  dev["version"])
            out.append("migration section %s len=%d sha256=%s" % (
                name, len(body), hashlib.sha256(body).hexdigest()[:16]))
            for sub in subsection_names(dev):
                out.append("migration section %s subsection %s" %
                           (name, sub))
    except ValueError as e:
        out.append("migration stream unparsed: %s" % e)
    return out


def run_one(binary, case, shim, tmp, real=False, timeout=30, cpu=None):
    rec = os.path.join(tmp, "record.txt")
    env = dict(os.environ)
    env["LD_PRELOAD"] = shim
    env["FAKE_KVM_PROFILE"] = "real" if real else case.profile
    env["FAKE_KVM_RECORD"] = rec
    if case.script:
        path = os.path.join(tmp, "script.txt")
        with open(path, "w") as f:
            f.write("\n".join(case.script).replace("{port}", str(case.port))
                    + "\n")
        env["FAKE_KVM_SCRIPT"] = path
    if case.guest_msrs:
        env["FAKE_KVM_GUEST_MSRS"] = case.guest_msrs
    cmd = [binary, "-accel", "kvm", "-M", "q35", "-nodefaults",
           "-display", "none", "-S", "-qmp", "stdio", "-m", "64",
           "-rtc", "base=2020-01-01T00:00:00,clock=vm",
           "-smp", str(case.smp), "-cpu", cpu or case.cpu,
           "-action", "reboot=shutdown"] + \
        [a.replace("{port}", str(case.port)) for a in case.args]
    errf = open(os.path.join(tmp, "stderr.txt"), "w+")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=errf, env=env)
    qmp = Qmp(proc, time.monotonic() + timeout)
    out = []
    try:
        qmp.greeting()
        qmp.cmd("qmp_capabilities")
        for name, args in case.qmp:
            r = qmp.cmd(name, **args)
            out.append("qmp %s -> %s" % (name, "ok" if "return" in r else
                                         "error: " + r["error"]["desc"]))
            # Let a migration finish: quitting in its middle races
            while name == "migrate" and "return" in r:
                st = qmp.cmd("query-migrate")["return"].get("status")
                if st in ("completed", "failed"):
                    out.append("qmp migration %s" % st)
                    break
                time.sleep(0.01)
        if case.mode == "exit":
            qmp.cmd("cont")
            ev = qmp.wait_event(["SHUTDOWN", "STOP"])
            out.append("qmp event %s" % ev["event"])
            if ev["event"] == "SHUTDOWN":
                # QEMU exits by itself: a command now would race with its
                # monitor's clean-up (which crashes QEMU 10.0 now and then)
                raise EOFError
            st = qmp.cmd("query-status")
            out.append("qmp status %s" % st["return"]["status"])
        elif case.mode == "savevm":
            stream = os.path.join(tmp, "stream.bin")
            qmp.cmd("cont")
            # The guest has run (and set its MSRs) once vCPU 0 is in KVM_RUN
            while "vcpu0 runs" not in open(rec).read():
                if time.monotonic() > qmp.deadline:
                    raise TimeoutError
                time.sleep(0.005)
            qmp.cmd("stop")
            r = qmp.cmd("migrate", uri="file:" + stream)
            if "error" in r:
                out.append("qmp migrate error %s" % r["error"]["desc"])
            else:
                while True:
                    st = qmp.cmd("query-migrate")["return"]
                    if st.get("status") in ("completed", "failed"):
                        break
                    time.sleep(0.02)
                out.append("qmp migrate %s" % st["status"])
                if st["status"] == "completed":
                    out += migration_summary(stream)
        qmp.cmd("quit")
    except (EOFError, TimeoutError, BrokenPipeError, KeyError) as e:
        if isinstance(e, TimeoutError):
            out.append("harness timeout")
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
        out.append("harness killed QEMU")
    errf.seek(0)
    transcript = grouped_recording(rec)
    transcript += out
    transcript.append("qemu exit %d" % rc)
    transcript += normalize_stderr(errf.read(), binary)
    errf.close()
    return transcript


# ---- expected differences ----

class Allow:
    def __init__(self, ident, sec):
        self.ident = ident
        self.kind = sec.get("kind", "justified")
        self.reason = " ".join(sec.get("reason", "").split())
        self.cases = sec.get("cases", "*").split()
        self.stock = [re.compile(x) for x in
                      sec.get("stock", "").strip().splitlines() if x.strip()]
        self.ours = [re.compile(x) for x in
                     sec.get("ours", "").strip().splitlines() if x.strip()]
        self.used = False

    def applies(self, case):
        return any(fnmatch.fnmatchcase(case, c) for c in self.cases)

    def explains(self, side, line):
        pats = self.stock if side == "-" else self.ours
        return any(p.search(line) for p in pats)


def load_allow(path, docs):
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(path)
    doc_text = open(docs).read() if docs and os.path.exists(docs) else ""
    allows, problems = [], []
    for ident in cp.sections():
        a = Allow(ident, cp[ident])
        if not a.reason:
            problems.append("%s: no reason" % ident)
        if a.kind not in ("justified", "known-bug"):
            problems.append("%s: kind must be justified or known-bug" % ident)
        if doc_text and ("`%s`" % ident) not in doc_text:
            problems.append("%s: not described in %s" % (ident, docs))
        allows.append(a)
    return allows, problems


def compare(case, stock, ours, allows):
    """Unexplained differences, and the allow entries that explained some."""
    s, o = collections.Counter(stock), collections.Counter(ours)
    diff = [("-", ln) for ln in stock if (s - o)[ln]]
    diff += [("+", ln) for ln in ours if (o - s)[ln]]
    # Each distinct line once, in transcript order
    seen, uniq = set(), []
    for d in diff:
        if d not in seen:
            seen.add(d)
            uniq.append(d)
    unexplained, used = [], []
    for side, line in uniq:
        hit = None
        for a in allows:
            if a.applies(case) and a.explains(side, line):
                hit = a
                break
        if hit:
            hit.used = True
            if hit not in used:
                used.append(hit)
        else:
            unexplained.append("%s %s" % (side, line))
    if not uniq and stock != ours:
        unexplained.append("  same lines, different order")
    return unexplained, used


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--stock", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--allow", default=os.path.join(HERE, "kvm-diff.allow"))
    ap.add_argument("--docs",
                    default=os.path.join(TOP, "docs", "kvm-differential.md"))
    ap.add_argument("--out", default=None,
                    help="keep each case's transcripts here")
    # QEMU start-up is mostly waiting on QMP: twice the CPUs keeps them busy
    ap.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 2))
    ap.add_argument("--only", default=None, help="case name glob")
    ap.add_argument("--real", action="store_true",
                    help="the machine's /dev/kvm instead of the fake")
    ap.add_argument("--list", action="store_true")
    opts = ap.parse_args()

    if opts.real:
        cases = [c for c in boot_matrix(["6.1-intel"])]
        for c in cases:
            c.name = "real/" + c.name.split("/", 1)[1]
            if c.name.endswith("/model"):
                c.cpu = "host" + c.cpu[c.cpu.index(","):]
    else:
        cases = list(boot_matrix(PROFILES)) + list(exit_matrix()) + \
            list(savevm_matrix())
    if opts.only:
        cases = [c for c in cases if fnmatch.fnmatchcase(c.name, opts.only)]
    if opts.list:
        for c in cases:
            print(c.name, c.mode, c.cpu, " ".join(c.args))
        return 0

    allows, problems = load_allow(opts.allow, opts.docs)
    for p in problems:
        print("not ok - kvm-diff: allow-list: %s" % p)
    work = tempfile.mkdtemp(prefix="kvm-diff-")
    t0 = time.monotonic()

    def job(case):
        res = {}
        udp = None
        if any("{port}" in a for a in case.args):
            # The syndbg device's peer: a socket that takes its datagrams
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            case.port = udp.getsockname()[1]
        for side, binary in (("stock", opts.stock), ("ours", opts.ours)):
            tmp = os.path.join(work, case.name.replace("/", "_"), side)
            os.makedirs(tmp)
            res[side] = run_one(binary, case, opts.shim, tmp, real=opts.real,
                                cpu=case.stock_cpu if side == "stock"
                                else None)
        if udp:
            udp.close()
        return case, res

    failed = len(problems)
    with concurrent.futures.ThreadPoolExecutor(opts.jobs) as ex:
        results = list(ex.map(job, cases))
    for case, res in results:
        if opts.out:
            d = os.path.join(opts.out, case.name.replace("/", "_"))
            os.makedirs(d, exist_ok=True)
            for side in ("stock", "ours"):
                with open(os.path.join(d, side + ".txt"), "w") as f:
                    f.write("\n".join(res[side]) + "\n")
        unexplained, used = compare(case.name, res["stock"], res["ours"],
                                    allows)
        if unexplained:
            failed += 1
            print("not ok - kvm-diff: %s: %d unexplained difference(s)" %
                  (case.name, len(unexplained)))
            for u in unexplained[:40]:
                print("#   " + u)
            if len(unexplained) > 40:
                print("#   ... %d more" % (len(unexplained) - 40))
            continue
        note = ""
        if used:
            tags = ["%s%s" % ("KNOWN BUG " if a.kind == "known-bug" else "",
                              a.ident) for a in used]
            note = " (differs as documented: %s)" % ", ".join(tags)
        print("ok - kvm-diff: %s%s" % (case.name, note))
    if not opts.only and not opts.real:
        for a in allows:
            if not a.used:
                failed += 1
                print("not ok - kvm-diff: allow-list entry %s explains no "
                      "difference any more: remove it (and its docs)" %
                      a.ident)
    shutil.rmtree(work, ignore_errors=True)
    print("# kvm-diff: %d cases (%d QEMU runs) in %.1f s" %
          (len(results), 2 * len(results), time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
