#!/usr/bin/env python3
"""tput.py: one-connection throughput and latency clients for bench/throughput and bench/loss.

Python 3 standard library only. Prints exactly one line of JSON on stdout, also on failure
(not on a usage error); progress and errors go to stderr.

usage: tput.py MODE HOST PORT [options]        (HOST: an IPv4 address)

modes:
  read    connect, read --bytes N bytes as they come (chargen, RFC 864), then close.
          Time: connect start to the Nth byte read. {"bytes", "seconds", "mb_s"}
  write   connect, send --bytes N bytes as fast as the socket takes them (discard, RFC 863),
          half-close, wait for the server's FIN (a discard server closes when it reads EOF),
          close. Time: connect start to the server's FIN, so every byte has been read by the
          server. {"bytes", "seconds", "mb_s"}
  echo    connect, send --bytes N bytes of a pseudo-random pattern (a 1,000,003-byte block of
          seeded random bytes, repeated) while a second thread reads them back from an echo server
          (RFC 862) and compares every byte; half-close, read until the server's FIN. Time: connect
          start to the FIN, after the Nth byte came back right. Moves N bytes each way, byte-exact.
          {"bytes", "seconds", "mb_s", "echoed"}
  rtt     connect (TCP_NODELAY), --warmup round trips, then --round-trips timed round trips of
          --size bytes to an echo server (RFC 862), every byte checked; half-close, wait for the
          FIN. {"round_trips", "p50_us", "p99_us", "min_us", "max_us", "mean_us"}

options:
  --bytes N          read/write/echo: bytes to move (default 1000000000)
  --chunk B          read/write/echo: bytes per recv/send call (default 262144)
  --round-trips K    rtt: timed round trips (default 20000)
  --warmup W         rtt: untimed round trips first (default 1000)
  --size B           rtt: bytes per round trip (default 64)
  --timeout S        the whole run, seconds (default 120): past it, "ok" is false, exit 1

Every result has "mode", "target", "ok" and, on failure, "error". MB = 10^6 bytes.
exit status: 0 ok, 1 failed (refused, reset, short read, mismatch, timeout), 2 usage.
"""

import argparse
import ipaddress
import json
import os
import random
import socket
import sys
import threading
import time


def log(msg):
    print("tput: " + msg, file=sys.stderr, flush=True)


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("--timeout ran out")
        return left


def connect(host, port, deadline, nodelay=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(min(deadline.left(), 30.0))
    s.connect((host, port))
    return s


def wait_fin(s, deadline):
    """After our FIN: reads (and ignores) until the server's FIN."""
    buf = bytearray(65536)
    while True:
        s.settimeout(min(deadline.left(), 30.0))
        if s.recv_into(buf) == 0:
            return


def do_read(a, deadline, result):
    buf = bytearray(a.chunk)
    view = memoryview(buf)
    got = 0
    t0 = time.perf_counter()
    s = connect(a.host, a.port, deadline)
    try:
        while got < a.bytes:
            s.settimeout(min(deadline.left(), 30.0))
            n = s.recv_into(view[:min(a.chunk, a.bytes - got)])
            if n == 0:
                raise ConnectionError("eof after %d bytes" % got)
            got += n
        t1 = time.perf_counter()
    finally:
        result["bytes"] = got
        # unread data in flight: the close sends a RST, which is what we want (stop now)
        s.close()
    result["seconds"] = round(t1 - t0, 6)
    result["mb_s"] = round(got / (t1 - t0) / 1e6, 3)


def do_write(a, deadline, result):
    data = (b"0123456789abcdef" * (a.chunk // 16 + 1))[:a.chunk]
    view = memoryview(data)
    sent = 0
    t0 = time.perf_counter()
    s = connect(a.host, a.port, deadline)
    try:
        while sent < a.bytes:
            s.settimeout(min(deadline.left(), 30.0))
            sent += s.send(view[:min(a.chunk, a.bytes - sent)])
        s.shutdown(socket.SHUT_WR)
        wait_fin(s, deadline)
        t1 = time.perf_counter()
    finally:
        result["bytes"] = sent
        s.close()
    result["seconds"] = round(t1 - t0, 6)
    result["mb_s"] = round(sent / (t1 - t0) / 1e6, 3)


ECHO_BLOCK = 1000003  # a prime: a stream shifted by anything but a multiple of it cannot match


def do_echo(a, deadline, result):
    block = random.Random(20260101).randbytes(ECHO_BLOCK)
    expected = block + block[:a.chunk]  # any chunk at any offset is one slice
    pattern = memoryview(expected)
    t0 = time.perf_counter()
    s = connect(a.host, a.port, deadline)
    state = {"echoed": 0, "error": None}

    def reader():
        buf = bytearray(a.chunk)
        view = memoryview(buf)
        got = 0
        try:
            while True:
                s.settimeout(min(deadline.left(), 30.0))
                n = s.recv_into(view)
                if n == 0:
                    break
                if got + n > a.bytes:
                    raise ValueError("more bytes came back than were sent: %d" % (got + n))
                off = got % ECHO_BLOCK
                if buf[:n] != expected[off:off + n]:  # bytes with bytes: one memcmp
                    bad = next(i for i in range(n) if buf[i] != expected[off + i])
                    raise ValueError("byte %d came back wrong" % (got + bad))
                got += n
                state["echoed"] = got
        except (OSError, ValueError, TimeoutError) as e:
            state["error"] = e

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    sent = 0
    try:
        while sent < a.bytes and state["error"] is None:
            s.settimeout(min(deadline.left(), 30.0))
            off = sent % ECHO_BLOCK
            sent += s.send(pattern[off:off + min(a.chunk, a.bytes - sent)])
        if state["error"] is None:
            s.shutdown(socket.SHUT_WR)
        t.join(max(0.0, deadline.end - time.monotonic()))
        t1 = time.perf_counter()
        if t.is_alive():
            raise TimeoutError("--timeout ran out with %d of %d bytes echoed" % (state["echoed"], a.bytes))
        if state["error"] is not None:
            raise state["error"]
        if state["echoed"] != a.bytes:
            raise ConnectionError("eof after %d of %d bytes echoed" % (state["echoed"], a.bytes))
    finally:
        result["bytes"] = sent
        result["echoed"] = state["echoed"]
        s.close()
    result["seconds"] = round(t1 - t0, 6)
    result["mb_s"] = round(sent / (t1 - t0) / 1e6, 3)


def do_rtt(a, deadline, result):
    msg = bytes((i * 7 + 13) & 0xFF for i in range(a.size))
    buf = bytearray(max(a.size, 65536))
    view = memoryview(buf)
    s = connect(a.host, a.port, deadline, nodelay=True)
    times = []
    try:
        s.settimeout(min(deadline.left(), 30.0))
        perf = time.perf_counter_ns
        for i in range(a.warmup + a.round_trips):
            if i % 256 == 0:
                s.settimeout(min(deadline.left(), 30.0))
            t0 = perf()
            s.sendall(msg)
            got = 0
            while got < a.size:
                n = s.recv_into(view[got:a.size])
                if n == 0:
                    raise ConnectionError("eof in round trip %d" % i)
                got += n
            t1 = perf()
            if view[:a.size] != msg:
                raise ValueError("round trip %d: wrong bytes came back" % i)
            if i >= a.warmup:
                times.append(t1 - t0)
        s.shutdown(socket.SHUT_WR)
        wait_fin(s, deadline)
    finally:
        result["round_trips"] = len(times)
        s.close()
    times.sort()
    n = len(times)

    def pct(p):  # nearest rank
        return round(times[min(n - 1, max(0, -(-p * n // 100) - 1))] / 1000.0, 1)
    result.update(p50_us=pct(50), p99_us=pct(99), min_us=round(times[0] / 1000.0, 1),
                  max_us=round(times[-1] / 1000.0, 1), mean_us=round(sum(times) / n / 1000.0, 1))


def main(argv):
    p = argparse.ArgumentParser(prog="tput.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                usage="tput.py MODE HOST PORT [options]")
    p.add_argument("mode", choices=("read", "write", "echo", "rtt"))
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--bytes", type=int, default=1000000000)
    p.add_argument("--chunk", type=int, default=262144)
    p.add_argument("--round-trips", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args(argv)
    try:
        a.host = str(ipaddress.IPv4Address(a.host))  # a literal: no name lookups
    except ValueError:
        p.error("HOST must be an IPv4 address")
    if not 0 < a.port < 65536 or a.bytes < 1 or a.chunk < 1 or a.round_trips < 1 or a.warmup < 0 \
            or not 1 <= a.size <= 65536 or a.timeout <= 0:
        p.error("PORT 1..65535; --bytes, --chunk, --round-trips >= 1; --warmup >= 0; --size 1..65536; --timeout > 0")
    result = {"mode": a.mode, "target": "%s:%d" % (a.host, a.port), "ok": False}
    deadline = Deadline(a.timeout)
    try:
        {"read": do_read, "write": do_write, "echo": do_echo, "rtt": do_rtt}[a.mode](a, deadline, result)
        result["ok"] = True
    except (OSError, ValueError, TimeoutError) as e:
        result["error"] = "%s: %s" % (type(e).__name__, e)
        log("error: " + result["error"])
    except KeyboardInterrupt:
        result["error"] = "interrupted"
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
