#!/usr/bin/env python3
"""Reads BYTES from a chargen server (RFC 864) and checks every byte against the pattern: lines of
72 printable ASCII characters, each starting one character further along, ended by CR LF.

Usage:  chargen_reader.py HOST PORT BYTES
Output: "ok <BYTES> bytes of the chargen pattern" (exit 0), or where the stream went wrong (exit 1);
        on standard error, the rate, for information.
"""

import socket
import sys
import time


def pattern():
    """One full rotation: 95 lines of 72 characters and CR LF."""
    lines = []
    for line in range(95):
        lines.append(bytes(32 + (line + c) % 95 for c in range(72)) + b"\r\n")
    return b"".join(lines)


def main():
    host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rotation = pattern()
    doubled = rotation * 2  # any window of up to one rotation starts somewhere in here
    s = socket.create_connection((host, port), timeout=60)
    start = time.monotonic()
    got = 0
    while got < total:
        data = s.recv(min(65536, total - got))
        if not data:
            print(f"error: the server closed after {got} bytes")
            return 1
        at = got % len(rotation)
        for i in range(0, len(data), len(rotation)):  # compare a rotation at a time
            piece = data[i:i + len(rotation)]
            offset = (at + i) % len(rotation)
            if doubled[offset:offset + len(piece)] != piece:
                print(f"error: wrong bytes at offset {got + i}")
                return 1
        got += len(data)
    elapsed = time.monotonic() - start
    s.close()
    print(f"ok {got} bytes of the chargen pattern", flush=True)
    print(f"{got * 8 / elapsed / 1e6:.0f} Mbit/s over {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
