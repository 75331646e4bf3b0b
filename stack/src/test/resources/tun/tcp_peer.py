#!/usr/bin/env python3
"""Kernel-side TCP peer for the stack's integration tests (runs inside the test's namespace).

  tcp_peer.py send HOST PORT NBYTES SEED       connect, send NBYTES of a seeded stream, shut down
                                               the write side, read until EOF; print "sent N SHA256"
  tcp_peer.py recv BIND PORT                   listen, accept one connection, read until EOF,
                                               print "received N SHA256" (prints "listening" first)
  tcp_peer.py fetch HOST PORT                  connect, read until EOF (a download), print
                                               "received N SHA256"
  tcp_peer.py echo HOST PORT NBYTES SEED       connect, send while reading the echo back; print
                                               "echoed N SHA256-sent SHA256-received"
  tcp_peer.py slowrecv BIND PORT RATE PAUSE    as recv, but a slow reader: it reads RATE*PAUSE
                                               bytes (RATE in bytes/s, PAUSE in ms) as they come,
                                               then reads nothing for PAUSE ms, and so on
  tcp_peer.py echoinfo HOST PORT NBYTES SEED   as echo, then a second line: what the kernel's
                                               socket negotiated (see tcp_info below)
  tcp_peer.py recvinfo BIND PORT               as recv, then that second line

The stream is SHA-256 in counter mode over the seed, so both sides can produce the same bytes.
"""
import hashlib
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 16


def stream(nbytes, seed):
    counter = 0
    left = nbytes
    while left > 0:
        block = b"".join(hashlib.sha256(b"%d:%d" % (seed, counter + i)).digest() for i in range(2048))
        counter += 2048
        piece = block[:left]
        left -= len(piece)
        yield piece


def send(host, port, nbytes, seed):
    s = socket.create_connection((host, port), timeout=120)
    h = hashlib.sha256()
    for piece in stream(nbytes, seed):
        s.sendall(piece)
        h.update(piece)
    s.shutdown(socket.SHUT_WR)
    while s.recv(CHUNK):
        pass
    s.close()
    print("sent", nbytes, h.hexdigest(), flush=True)


def recv(bind, port, info=False):
    l = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((bind, port))
    l.listen(1)
    print("listening", flush=True)
    l.settimeout(120)
    c, _ = l.accept()
    c.settimeout(120)
    h = hashlib.sha256()
    n = 0
    while True:
        data = c.recv(CHUNK)
        if not data:
            break
        n += len(data)
        h.update(data)
    negotiated = tcp_info(c)
    c.close()
    l.close()
    print("received", n, h.hexdigest(), flush=True)
    if info:
        print(negotiated, flush=True)


def tcp_info(s):
    """The options the kernel's socket negotiated, from struct tcp_info (linux/tcp.h): tcpi_options
    (TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK 2, TCPI_OPT_WSCALE 4) at byte 5, the window shifts at byte
    6 (tcpi_snd_wscale in the low nibble, tcpi_rcv_wscale in the high one), tcpi_snd_mss at 16."""
    raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    options = raw[5]
    (snd_mss,) = struct.unpack_from("I", raw, 16)
    return "ts=%d sack=%d wscale=%d snd_wscale=%d rcv_wscale=%d snd_mss=%d" % (
        options & 1, (options >> 1) & 1, (options >> 2) & 1, raw[6] & 15, raw[6] >> 4, snd_mss)


def fetch(host, port):
    s = socket.create_connection((host, port), timeout=120)
    h = hashlib.sha256()
    n = 0
    while True:
        data = s.recv(CHUNK)
        if not data:
            break
        n += len(data)
        h.update(data)
    s.close()
    print("received", n, h.hexdigest(), flush=True)


def echo(host, port, nbytes, seed, info=False):
    s = socket.create_connection((host, port), timeout=120)
    sent = hashlib.sha256()
    got = hashlib.sha256()
    count = [0]

    def reader():
        while True:
            data = s.recv(CHUNK)
            if not data:
                break
            count[0] += len(data)
            got.update(data)

    t = threading.Thread(target=reader)
    t.start()
    for piece in stream(nbytes, seed):
        s.sendall(piece)
        sent.update(piece)
    s.shutdown(socket.SHUT_WR)
    t.join(120)
    negotiated = tcp_info(s)
    s.close()
    print("echoed", count[0], sent.hexdigest(), got.hexdigest(), flush=True)
    if info:
        print(negotiated, flush=True)


def slowrecv(bind, port, rate, pause_ms):
    burst = max(1, rate * pause_ms // 1000)
    l = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((bind, port))
    l.listen(1)
    print("listening", flush=True)
    l.settimeout(120)
    c, _ = l.accept()
    c.settimeout(120)
    h = hashlib.sha256()
    n = 0
    done = False
    while not done:
        left = burst
        while left > 0:
            data = c.recv(min(CHUNK, left))
            if not data:
                done = True
                break
            n += len(data)
            left -= len(data)
            h.update(data)
        if not done:
            time.sleep(pause_ms / 1000)
    c.close()
    l.close()
    print("received", n, h.hexdigest(), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "recv":
        recv(sys.argv[2], int(sys.argv[3]))
    elif mode == "fetch":
        fetch(sys.argv[2], int(sys.argv[3]))
    elif mode == "echo":
        echo(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "echoinfo":
        echo(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), info=True)
    elif mode == "recvinfo":
        recv(sys.argv[2], int(sys.argv[3]), info=True)
    elif mode == "slowrecv":
        slowrecv(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)
