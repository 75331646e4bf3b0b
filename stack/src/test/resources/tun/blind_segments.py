#!/usr/bin/env python3
"""Sends crafted TCP segments to the stack from an address nobody owns on the TUN link, and
reports exactly what the stack sent back: what a blind attacker or a scanner sees.

Run inside the test's network namespace:
    blind_segments.py IFNAME STACK_IP FAKE_IP LISTEN_PORT CLOSED_PORT BURST

FAKE_IP must be an unused address of the link's subnet (never the kernel's own): the segments are
written to the device with a packet socket (AF_PACKET), so no kernel socket is involved, and the
stack's replies, addressed to FAKE_IP, are read from the device with another packet socket before
the kernel drops them (it does not forward). Standard library only.

Prints, for each case in order:
    case NAME
    reply NAME FLAGS SEQ ACK LEN      (one per segment the stack sent to FAKE_IP, in order)
    end NAME
FLAGS are letters of "FSRPAUEC" (FIN SYN RST PSH ACK URG ECE CWR) in that order; numbers unsigned.
"""
import os
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
QUIET = 0.3  # seconds without a reply that end a case


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def flag_names(flags):
    return "".join(c for i, c in enumerate("FSRPAUEC") if flags & (1 << i)) or "-"


class Link:
    def __init__(self, ifname, stack, me):
        self.ifname, self.stack, self.me = ifname, stack, me
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.rx.bind((ifname, ETH_P_IP))
        self.ip_id = 1

    def close(self):
        self.tx.close()
        self.rx.close()

    def send(self, sport, dport, seq, ack, flags, payload=b"", options=b"", window=29200):
        hl = 20 + len(options)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hl // 4) << 4,
                          flags, window, 0, 0) + options + payload
        pseudo = socket.inet_aton(self.me) + socket.inet_aton(self.stack) + struct.pack("!BBH", 0, 6, len(tcp))
        c = checksum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.ip_id, 0x4000, 64, 6, 0,
                         socket.inet_aton(self.me), socket.inet_aton(self.stack))
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.ip_id += 1
        self.tx.sendto(ip + tcp, (self.ifname, ETH_P_IP))

    def replies(self):
        """The stack's TCP segments to us until QUIET seconds pass without one."""
        got = []
        while True:
            ready, _, _ = select.select([self.rx], [], [], QUIET)
            if not ready:
                return got
            data, addr = self.rx.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING or len(data) < 40 or data[9] != 6:
                continue  # our own segments on their way to the stack, or not TCP
            if socket.inet_ntoa(data[12:16]) != self.stack or socket.inet_ntoa(data[16:20]) != self.me:
                continue
            ihl = (data[0] & 0x0F) * 4
            tcp = data[ihl:]
            sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", tcp[:14])
            got.append((flags, seq, ack, len(tcp) - (off >> 4) * 4))


def case(link, name, action):
    print("case", name, flush=True)
    action()
    replies = link.replies()
    for flags, seq, ack, length in replies:
        print("reply", name, flag_names(flags), seq, ack, length, flush=True)
    print("end", name, flush=True)
    return replies


def main():
    ifname, stack, me = sys.argv[1], sys.argv[2], sys.argv[3]
    listen_port, closed_port, burst = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    mss = struct.pack("!BBH", 2, 4, 1460)
    link = Link(ifname, stack, me)
    try:
        case(link, "synfin-listen", lambda: link.send(40001, listen_port, 1000, 0, SYN | FIN, options=mss))
        case(link, "ack-listen", lambda: link.send(40002, listen_port, 2000, 12345, ACK))
        case(link, "ack-closed", lambda: link.send(40003, closed_port, 2500, 777, ACK))
        case(link, "xmas-closed", lambda: link.send(40004, closed_port, 3000, 0, FIN | PSH | URG))
        case(link, "xmas-listen", lambda: link.send(40005, listen_port, 3000, 0, FIN | PSH | URG))
        case(link, "allflags-listen", lambda: link.send(40006, listen_port, 3500, 1, 0xFF))
        case(link, "noflags-closed", lambda: link.send(40007, closed_port, 4000, 0, 0, payload=b"abc"))

        # A connection of our own, from port 40100 with ISS 5000; then what a blind attacker who
        # guessed its 4-tuple, but not the stack's sequence numbers exactly, would send.
        s = 5000
        port = 40100
        syn_ack = case(link, "syn", lambda: link.send(port, listen_port, s, 0, SYN, options=mss))
        if len(syn_ack) != 1:
            sys.exit("no single SYN-ACK: %r" % (syn_ack,))
        iss = syn_ack[0][1]
        case(link, "ack", lambda: link.send(port, listen_port, s + 1, iss + 1, ACK))
        case(link, "rst-in-window", lambda: link.send(port, listen_port, s + 1 + 100, 0, RST))
        case(link, "syn-in-window", lambda: link.send(port, listen_port, s + 1, 0, SYN, options=mss))
        case(link, "old-ack", lambda: link.send(port, listen_port, s + 1, iss - 1000, ACK | PSH, payload=b"x"))

        def rsts():
            for i in range(burst):
                link.send(port, listen_port, s + 2 + i, 0, RST)
        case(link, "rst-burst", rsts)
        case(link, "exact-rst", lambda: link.send(port, listen_port, s + 1, 0, RST))
        case(link, "ack-after-reset", lambda: link.send(port, listen_port, s + 1, iss + 1, ACK))
    finally:
        link.close()


if __name__ == "__main__":
    main()
