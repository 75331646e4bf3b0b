#!/usr/bin/env python3
"""Sends malformed IP packets into a TUN device from the kernel side, as the stack will see them.

Run inside the test's network namespace: send_malformed.py IFNAME HOST_IP STACK_IP
A packet socket (AF_PACKET) writes the bytes to the device verbatim, so no kernel code fixes up
lengths or checksums on the way. Prints one line per packet sent: "sent NAME LENGTH".
"""
import socket
import struct
import sys

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ihl=5, version=4, total=None, ttl=64, fix=True):
    total = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 0x4321, 0, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    if fix:
        h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def icmp_echo(ident, seq, data, good=True):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    c = checksum(m) if good else (checksum(m) ^ 0x5555)
    return m[:2] + struct.pack("!H", c) + m[4:]


def main():
    ifname, host, stack = sys.argv[1], sys.argv[2], sys.argv[3]
    good = ipv4(host, stack, 1, icmp_echo(7, 1, b"x" * 16))
    bad_sum = bytearray(good)
    bad_sum[10] ^= 0xFF
    packets = [
        ("truncated", good[:12], ETH_P_IP),
        ("bad_version", bytes([0x55]) + good[1:], ETH_P_IP),
        ("bad_header_length", bytes([0x44]) + good[1:], ETH_P_IP),
        ("bad_total_length", ipv4(host, stack, 1, icmp_echo(7, 2, b"y" * 16), total=400), ETH_P_IP),
        ("bad_checksum", bytes(bad_sum), ETH_P_IP),
        ("not_for_us", ipv4(host, "198.18.0.77", 1, icmp_echo(7, 3, b"z" * 16)), ETH_P_IP),
        ("bad_source", ipv4("127.0.0.1", stack, 1, icmp_echo(7, 4, b"w" * 16)), ETH_P_IP),
        ("unknown_protocol", ipv4(host, stack, 99, b"\x01" * 20), ETH_P_IP),
        ("icmp_bad_checksum", ipv4(host, stack, 1, icmp_echo(7, 5, b"v" * 16, good=False)), ETH_P_IP),
        ("icmp_truncated", ipv4(host, stack, 1, b"\x08\x00\x00"), ETH_P_IP),
        ("ipv6", bytes([0x60]) + b"\0" * 39, ETH_P_IPV6),
    ]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
    try:
        for name, data, proto in packets:
            s.sendto(data, (ifname, proto))
            print("sent", name, len(data), flush=True)
    finally:
        s.close()


if __name__ == "__main__":
    main()
