#!/usr/bin/env python3
"""A framing server on the kernel side, for the stack's framing-client example: reads
length-prefixed messages (4-byte big-endian length, then the bytes) and answers each with a framed
"<n> <sha256>", until the client closes.

Usage:  framing_server.py PORT
Output: "listening on PORT", then "message of <n> bytes" per message, then "client closed".
"""

import hashlib
import socket
import struct
import sys

HEADER = struct.Struct(">I")


def recv_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None if not data else bytes(data)
        data += chunk
    return bytes(data)


def main():
    port = int(sys.argv[1])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", port))
    server.listen(1)
    server.settimeout(60)
    print(f"listening on {port}", flush=True)
    conn, _ = server.accept()
    conn.settimeout(60)
    while True:
        header = recv_exactly(conn, HEADER.size)
        if header is None:
            print("client closed", flush=True)
            return 0
        (length,) = HEADER.unpack(header)
        message = recv_exactly(conn, length) if length else b""
        if message is None or len(message) != length:
            print("error: the stream ended inside a message", flush=True)
            return 1
        print(f"message of {length} bytes", flush=True)
        reply = f"{length} {hashlib.sha256(message).hexdigest()}".encode()
        conn.sendall(HEADER.pack(len(reply)) + reply)


if __name__ == "__main__":
    sys.exit(main())
