#!/usr/bin/env python3
"""Two clients of the tutorials' one-client-at-a-time server ("hello" to every message).

A connects and talks; B connects while A is still being served, and sends; A talks again and
leaves; only then is B served. The printed order shows B waited for A.

Usage:  hello_clients.py HOST PORT
Output: one line per answer, "A: <answer>" or "B: <answer>", in the order they were received.
"""

import socket
import sys


def connect(host, port):
    s = socket.create_connection((host, port), timeout=30)
    return s


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    a = connect(host, port)
    a.sendall(b"I am A")
    print("A:", a.recv(1024).decode("utf-8"), flush=True)
    b = connect(host, port)  # completes in the backlog; the server is busy with A
    b.sendall(b"I am B")
    a.sendall(b"A again")
    print("A:", a.recv(1024).decode("utf-8"), flush=True)
    a.close()  # the server's recv returns b"": it takes the next client, B
    print("B:", b.recv(1024).decode("utf-8"), flush=True)
    b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
