#!/usr/bin/env python3
"""Captures packets that Linux sends into a TUN device, as hex test vectors for io.tcpstack.wire.

How to re-run (as root; needs python3 >= 3.8, iproute2 and iputils ping):

    cd stack/src/test/resources/wire && sudo python3 capture.py            # writes next to itself
    sudo python3 stack/src/test/resources/wire/capture.py /some/other/dir  # or into a directory

Re-running replaces the *.hex files and capture-log.txt with new packets (new ports, sequence
numbers, identifications, timestamps), so the expectations in
stack/src/test/java/io/tcpstack/wire/LinuxCapturesTest.java must be updated to match.

What it does:
  1. Creates a network namespace of its own, "tcps-cap-<pid>", and re-runs itself inside it with
     `ip netns exec`. Everything below happens inside that namespace: no interface of the root
     namespace is touched and no packet can leave the namespace. The namespace is deleted in a
     `finally`, even when the capture fails; the only process ever killed is this script's own
     child (on timeout).
  2. Inside: opens /dev/net/tun (TUNSETIFF, IFF_TUN | IFF_NO_PI, so every read is one bare IP
     packet), gives the kernel side 198.18.0.1/24 (RFC 2544 benchmarking range) and sets it up.
     198.18.0.2 is the address the "stack" would have; nobody answers for it, except where this
     script writes a crafted packet into the device.
  3. Makes Linux send packets and records each one as it arrives on the device:
       icmp-echo-request      ping -c1 198.18.0.2
       tcp-syn                non-blocking connect() from 198.18.0.1:40007 to 198.18.0.2:7
       udp-odd-payload        sendto() of the 15 bytes "hello, tcpstack" from :40009 to :9
       udp-fragment-1..3      sendto() of 3000 bytes (i & 0xff) from :40010 to :9; MTU 1500, so
                              the kernel fragments the 3008-byte datagram into three
       icmp-port-unreachable  Linux's answer to udp-to-closed-port, a datagram this script crafts
                              and writes into the device (198.18.0.2:40000 -> 198.18.0.1:9)
       tcp-rst-ack            Linux's answer to tcp-syn-to-closed-port, a SYN this script crafts
                              (198.18.0.2:40001 -> 198.18.0.1:9)
       ipv6-router-solicitation  whatever IPv6 router solicitation Linux sends on its own after
                              the device comes up (waits up to 8 s; fine if none arrives)
     The crafted packets (udp-to-closed-port, tcp-syn-to-closed-port) are saved too, marked as
     crafted: they are this script's bytes, not Linux's.
  4. Writes one <name>.hex per packet (comment lines start with '#', then the bytes in hex, 16 per
     line) and capture-log.txt listing every packet the device delivered, in order.
"""

import datetime
import fcntl
import os
import platform
import select
import signal
import socket
import struct
import subprocess
import sys
import time

NAMESPACE_PREFIX = "tcps-cap-"
DEVICE = "tcpscap0"
KERNEL_ADDRESS = "198.18.0.1"
PEER_ADDRESS = "198.18.0.2"
PREFIX_LENGTH = 24
MTU = 1500

# linux/if_tun.h
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
ICMPV6_ROUTER_SOLICITATION = 133

ROUTER_SOLICITATION_WAIT_S = 8.0
STEP_TIMEOUT_S = 5.0


# ---------------------------------------------------------------------------------------------
# Outside: create the namespace, run the capture inside it, always delete the namespace.
# ---------------------------------------------------------------------------------------------

def outside(out_dir):
    if os.geteuid() != 0:
        sys.exit("capture.py: must run as root (creates a network namespace and a TUN device)")
    # SIGTERM would end Python without running `finally`; make it an exit that does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    namespace = NAMESPACE_PREFIX + str(os.getpid())
    # The namespace we were started in; the inner run refuses to work in it.
    started_in = str(os.stat("/proc/self/ns/net").st_ino)
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    try:
        subprocess.run(
            ["ip", "netns", "exec", namespace, sys.executable, os.path.abspath(__file__),
             "--inside", namespace, started_in, out_dir],
            check=True, timeout=120)
    finally:
        subprocess.run(["ip", "netns", "delete", namespace], check=False)
    print(f"capture.py: done; namespace {namespace} deleted; vectors in {out_dir}")


# ---------------------------------------------------------------------------------------------
# Inside the namespace.
# ---------------------------------------------------------------------------------------------

def inside(namespace, started_in, out_dir):
    if str(os.stat("/proc/self/ns/net").st_ino) == started_in:
        sys.exit("capture.py --inside: refusing to run in the namespace capture.py started in")
    identified = subprocess.run(["ip", "netns", "identify", str(os.getpid())],
                                capture_output=True, text=True).stdout.strip()
    if identified != namespace:
        sys.exit(f"capture.py --inside: expected namespace {namespace}, in '{identified}'")

    log = []
    capture = Capture(log)
    tun = open_tun(DEVICE)
    try:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "addr", "add", f"{KERNEL_ADDRESS}/{PREFIX_LENGTH}", "dev", DEVICE)
        sh("ip", "link", "set", DEVICE, "mtu", str(MTU), "up")
        up_at = time.monotonic()
        capture.tun = tun
        log.append(f"# device {DEVICE} up: {KERNEL_ADDRESS}/{PREFIX_LENGTH}, mtu {MTU}")
        log.append("# " + sh("ip", "-6", "addr", "show", "dev", DEVICE).replace("\n", "\n# "))

        vectors = []  # (name, description, bytes)
        vectors.append(capture_ping(capture))
        vectors.append(capture_tcp_syn(capture))
        vectors.append(capture_udp_odd(capture))
        vectors.extend(capture_udp_fragments(capture))
        vectors.extend(capture_port_unreachable(capture))
        vectors.extend(capture_rst(capture))
        rs = capture_router_solicitation(capture, up_at)
        if rs is not None:
            vectors.append(rs)
    finally:
        os.close(tun)

    stamp = (f"Linux {platform.release()}, "
             f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    for name, description, packet in vectors:
        write_hex(os.path.join(out_dir, name + ".hex"), name, description, stamp, packet)
    with open(os.path.join(out_dir, "capture-log.txt"), "w") as f:
        f.write(f"# Every packet {DEVICE} delivered during one run of capture.py, in order.\n")
        f.write(f"# {stamp}\n")
        f.write("\n".join(log) + "\n")
    print("\n".join(log))


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    except BaseException:
        os.close(fd)
        raise
    return fd


def sh(*args):
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout.strip()


class Capture:
    """Reads packets from the device, logs every one, hands back those a step waits for."""

    def __init__(self, log):
        self.log = log
        self.tun = None
        self.ipv6 = []  # every IPv6 packet seen, whatever step was waiting

    def read_until(self, wanted, what, timeout=STEP_TIMEOUT_S, count=1):
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {what} within {timeout} s")
            readable, _, _ = select.select([self.tun], [], [], left)
            if not readable:
                continue
            packet = os.read(self.tun, 65535)
            self.log.append(describe(packet))
            if packet[0] >> 4 == 6:
                self.ipv6.append(packet)
            if wanted(packet):
                found.append(packet)
        return found

    def write(self, packet, what):
        self.log.append(f"(written into the device by capture.py: {what}) " + describe(packet))
        os.write(self.tun, packet)


def is_ipv4(p, protocol):
    return len(p) >= 20 and p[0] >> 4 == 4 and p[9] == protocol


def ports(p):
    ihl = (p[0] & 0x0F) * 4
    return struct.unpack("!HH", p[ihl:ihl + 4])


def capture_ping(capture):
    ping = subprocess.Popen(["ping", "-n", "-c", "1", "-W", "1", PEER_ADDRESS],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        (packet,) = capture.read_until(
            lambda p: is_ipv4(p, PROTO_ICMP) and p[(p[0] & 0x0F) * 4] == 8, "ICMP echo request")
    finally:
        try:
            ping.wait(timeout=5)
        except subprocess.TimeoutExpired:
            ping.kill()  # our own child only
            ping.wait()
    return ("icmp-echo-request",
            f"ICMP echo request sent by `ping -n -c 1 -W 1 {PEER_ADDRESS}` (iputils).", packet)


def capture_tcp_syn(capture):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setblocking(False)
        s.bind((KERNEL_ADDRESS, 40007))
        s.connect_ex((PEER_ADDRESS, 7))
        (packet,) = capture.read_until(
            lambda p: is_ipv4(p, PROTO_TCP) and ports(p) == (40007, 7), "TCP SYN")
    finally:
        s.close()
    return ("tcp-syn",
            f"TCP SYN sent by Linux for a non-blocking connect() from {KERNEL_ADDRESS}:40007 "
            f"to {PEER_ADDRESS}:7 (default socket options).", packet)


def capture_udp_odd(capture):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((KERNEL_ADDRESS, 40009))
        s.sendto(b"hello, tcpstack", (PEER_ADDRESS, 9))
        (packet,) = capture.read_until(
            lambda p: is_ipv4(p, PROTO_UDP) and ports(p) == (40009, 9), "UDP datagram")
    finally:
        s.close()
    return ("udp-odd-payload",
            f"UDP datagram from {KERNEL_ADDRESS}:40009 to {PEER_ADDRESS}:9 carrying the 15 "
            "bytes \"hello, tcpstack\" (odd length), sent with sendto().", packet)


def capture_udp_fragments(capture):
    payload = bytes(i & 0xFF for i in range(3000))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((KERNEL_ADDRESS, 40010))
        s.sendto(payload, (PEER_ADDRESS, 9))
        fragments = capture.read_until(
            lambda p: is_ipv4(p, PROTO_UDP) and (struct.unpack("!H", p[6:8])[0] & 0x3FFF) != 0,
            "UDP fragments", count=3)
    finally:
        s.close()
    return [(f"udp-fragment-{i + 1}",
             f"Fragment {i + 1} of 3 of one UDP datagram from {KERNEL_ADDRESS}:40010 to "
             f"{PEER_ADDRESS}:9 with 3000 payload bytes (byte i is i & 0xff); device MTU {MTU}, "
             "so Linux fragmented it.", f)
            for i, f in enumerate(fragments)]


def capture_port_unreachable(capture):
    crafted = ipv4_packet(PEER_ADDRESS, KERNEL_ADDRESS, PROTO_UDP, identification=0x1234,
                          payload=udp_datagram(PEER_ADDRESS, KERNEL_ADDRESS, 40000, 9,
                                               b"anyone on port 9?"))
    capture.write(crafted, "UDP to a closed port")
    (packet,) = capture.read_until(
        lambda p: is_ipv4(p, PROTO_ICMP) and p[(p[0] & 0x0F) * 4] == 3,
        "ICMP destination unreachable")
    return [("udp-to-closed-port",
             f"CRAFTED by capture.py (not sent by Linux): UDP datagram {PEER_ADDRESS}:40000 -> "
             f"{KERNEL_ADDRESS}:9 with the 17 bytes \"anyone on port 9?\"; written into the "
             "device so that Linux answers with icmp-port-unreachable.", crafted),
            ("icmp-port-unreachable",
             "ICMP destination unreachable (port unreachable) sent by Linux in answer to "
             "udp-to-closed-port.", packet)]


def capture_rst(capture):
    crafted = ipv4_packet(PEER_ADDRESS, KERNEL_ADDRESS, PROTO_TCP, identification=0x4321,
                          payload=tcp_syn(PEER_ADDRESS, KERNEL_ADDRESS, 40001, 9,
                                          sequence=0x12345678))
    capture.write(crafted, "TCP SYN to a closed port")
    (packet,) = capture.read_until(
        lambda p: is_ipv4(p, PROTO_TCP) and ports(p) == (9, 40001), "TCP RST")
    return [("tcp-syn-to-closed-port",
             f"CRAFTED by capture.py (not sent by Linux): TCP SYN {PEER_ADDRESS}:40001 -> "
             f"{KERNEL_ADDRESS}:9, sequence number 0x12345678, window 64240, no options; written "
             "into the device so that Linux answers with tcp-rst-ack.", crafted),
            ("tcp-rst-ack", "TCP RST+ACK sent by Linux in answer to tcp-syn-to-closed-port.",
             packet)]


def capture_router_solicitation(capture, up_at):
    def is_rs(p):
        return (len(p) >= 41 and p[0] >> 4 == 6 and p[6] == 58
                and p[40] == ICMPV6_ROUTER_SOLICITATION)

    seen = [p for p in capture.ipv6 if is_rs(p)]
    if not seen:
        left = up_at + ROUTER_SOLICITATION_WAIT_S - time.monotonic()
        try:
            seen = capture.read_until(is_rs, "IPv6 router solicitation", timeout=max(left, 0.1))
        except TimeoutError:
            capture.log.append("# no IPv6 router solicitation within "
                               f"{ROUTER_SOLICITATION_WAIT_S} s of the device coming up")
            return None
    return ("ipv6-router-solicitation",
            "IPv6 router solicitation (ICMPv6 type 133) Linux sent on its own after the device "
            "came up. Not IPv4: the IPv4 views must reject it (version 6).", seen[0])


# ---------------------------------------------------------------------------------------------
# Crafting (independent of the Java code under test) and describing packets.
# ---------------------------------------------------------------------------------------------

def checksum(data):
    """RFC 1071, written the obvious way."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_packet(source, destination, protocol, identification, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), identification, 0x4000,
                         64, protocol, 0, socket.inet_aton(source), socket.inet_aton(destination))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def pseudo_header(source, destination, protocol, length):
    return socket.inet_aton(source) + socket.inet_aton(destination) + struct.pack(
        "!BBH", 0, protocol, length)


def udp_datagram(source, destination, source_port, destination_port, payload):
    length = 8 + len(payload)
    datagram = struct.pack("!HHHH", source_port, destination_port, length, 0) + payload
    c = checksum(pseudo_header(source, destination, PROTO_UDP, length) + datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", c) + datagram[8:]


def tcp_syn(source, destination, source_port, destination_port, sequence):
    segment = struct.pack("!HHIIBBHHH", source_port, destination_port, sequence, 0, 5 << 4,
                          0x02, 64240, 0, 0)
    c = checksum(pseudo_header(source, destination, PROTO_TCP, len(segment)) + segment)
    return segment[:16] + struct.pack("!H", c) + segment[18:]


def describe(p):
    version = p[0] >> 4
    if version == 6 and len(p) >= 40:
        kind = f"next header {p[6]}"
        if p[6] == 58 and len(p) > 40:
            kind = f"ICMPv6 type {p[40]} code {p[41]}"
        return (f"IPv6 {socket.inet_ntop(socket.AF_INET6, p[8:24])} -> "
                f"{socket.inet_ntop(socket.AF_INET6, p[24:40])} hop limit {p[7]} {kind}, "
                f"{len(p)} bytes: {p.hex()}")
    if version == 4 and len(p) >= 20:
        ihl = (p[0] & 0x0F) * 4
        flags = struct.unpack("!H", p[6:8])[0]
        head = (f"IPv4 {socket.inet_ntoa(p[12:16])} -> {socket.inet_ntoa(p[16:20])} "
                f"proto {p[9]} ttl {p[8]} id 0x{struct.unpack('!H', p[4:6])[0]:04x} "
                f"{'DF ' if flags & 0x4000 else ''}{'MF ' if flags & 0x2000 else ''}"
                f"frag offset {(flags & 0x1FFF) * 8}")
        if p[9] in (PROTO_TCP, PROTO_UDP) and len(p) >= ihl + 4 and flags & 0x1FFF == 0:
            head += " ports %d -> %d" % ports(p)
        return f"{head}, {len(p)} bytes: {p.hex()}"
    return f"unknown, {len(p)} bytes: {p.hex()}"


def write_hex(path, name, description, stamp, packet):
    lines = [f"# {name}: {description}",
             f"# Captured by capture.py through TUN device {DEVICE} (IFF_TUN | IFF_NO_PI) in a "
             f"throwaway network namespace; {stamp}.",
             f"# {len(packet)} bytes, one packet; the bytes in hex, 16 per line."]
    for i in range(0, len(packet), 16):
        lines.append(" ".join(f"{b:02x}" for b in packet[i:i + 16]))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--inside":
        inside(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        outside(os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                                else os.path.dirname(os.path.abspath(__file__))))
