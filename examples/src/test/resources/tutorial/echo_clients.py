#!/usr/bin/env python3
"""Several clients of an echo server at once: all connect first, then take turns sending lines,
each reading its own echo back before the next sends.

Usage:  echo_clients.py HOST PORT CLIENTS ROUNDS
Output: "client <i> round <r>: <echo>" per echo, then "all <n> echoes matched".
"""

import socket
import sys


def read_line(sock):
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = sock.recv(1024)
        if not chunk:
            raise EOFError("the server closed early")
        data += chunk
    return data.decode("utf-8").rstrip("\n")


def main():
    host, port, clients, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    socks = [socket.create_connection((host, port), timeout=30) for _ in range(clients)]
    count = 0
    for r in range(rounds):
        for i, s in enumerate(socks):
            line = f"client {i} says {r} — ünïcödé"
            s.sendall((line + "\n").encode("utf-8"))
            echo = read_line(s)
            print(f"client {i} round {r}: {echo}", flush=True)
            if echo != line:
                print("mismatch")
                return 1
            count += 1
    for s in socks:
        s.close()
    print(f"all {count} echoes matched", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
