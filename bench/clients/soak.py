#!/usr/bin/env python3
"""soak.py: the client side of bench/soak (`./tcpstack soak`): many connections at once doing
mixed work against `./tcpstack serve` for a chosen time, every byte checked.

Python 3 standard library only (asyncio). Runs in the namespace of the stack's TUN device.

usage: soak.py HOST --minutes M [--workers N] [--seed S] [--stack-pid PID] [--sample S]

Each of --workers (default 200) workers loops until the time is up, picking a job at random:
  echo       echo (TCP 7): up to 256 KiB of seeded random bytes written in random pieces while
             they are read back and compared; close after the last byte came back
  half-close echo: everything written, then shutdown(SHUT_WR) at once; every byte read back after
             our FIN, then the server's FIN (EOF) expected
  download   http (TCP 80): GET /bytes/N (N up to 4 MB) on a keep-alive connection, one to three
             requests, the body compared with the a..z pattern
  upload     discard (TCP 9): up to 4 MB written, half-close, the server's FIN awaited
  abort      echo: some bytes written and some read back, then closed with SO_LINGER 0 (RST)
Every --sample seconds (default 10) one line: elapsed, the stack's RSS (from /proc/PID/status),
its open and TIME-WAIT connections (from the home page of its http service), the connections the
workers hold, jobs done, bytes checked, failures. At the end one line of JSON on stdout:
{"jobs": {...}, "bytes_checked", "mismatches", "failures", "failure_examples", "samples": [...]}.
exit status: 0 no mismatch and no failure, 1 otherwise, 2 usage.
"""

import argparse
import asyncio
import json
import os
import random
import re
import socket
import struct
import sys
import time

ECHO, DISCARD, HTTP = 7, 9, 80
ALPHABET = bytes(range(ord("a"), ord("z") + 1))
JOB_TIMEOUT = 300.0  # a job stalled this long fails (generous: the soak runs beside other work)


def pattern(offset, n):
    """n bytes of the /bytes pattern (a..z repeated) from offset."""
    start = offset % 26
    reps = (start + n) // 26 + 1
    return (ALPHABET * reps)[start:start + n]


class Stats:
    def __init__(self):
        self.jobs = {}
        self.bytes_checked = 0
        self.mismatches = 0
        self.failures = 0
        self.failure_examples = []
        self.open_connections = 0

    def fail(self, kind, why):
        self.failures += 1
        if len(self.failure_examples) < 10:
            self.failure_examples.append(f"{kind}: {why}")
        print(f"soak.py: {kind} failed: {why}", file=sys.stderr)


async def connect(host, port, stats):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    stats.open_connections += 1
    return reader, writer


def closed(stats):
    stats.open_connections -= 1


async def echo_job(host, rng, stats, half_close):
    n = rng.randint(1, 256 * 1024)
    data = rng.randbytes(n)
    reader, writer = await connect(host, ECHO, stats)
    try:
        async def send():
            at = 0
            while at < n:
                piece = rng.randint(1, 64 * 1024)
                writer.write(data[at:at + piece])
                at += piece
                await writer.drain()
            if half_close:
                writer.write_eof()

        sender = asyncio.ensure_future(send())
        got = 0
        while got < n:
            chunk = await reader.read(min(65536, n - got))
            if not chunk:
                raise ConnectionError(f"EOF after {got} of {n} echoed bytes")
            if chunk != data[got:got + len(chunk)]:
                stats.mismatches += 1
                raise ValueError(f"echoed bytes differ at offset {got}")
            got += len(chunk)
        await sender
        stats.bytes_checked += 2 * n
        if half_close:
            rest = await reader.read(1)
            if rest:
                stats.mismatches += 1
                raise ValueError("bytes after the last echoed one")
    finally:
        writer.close()
        closed(stats)


async def download_job(host, rng, stats):
    reader, writer = await connect(host, HTTP, stats)
    try:
        for _ in range(rng.randint(1, 3)):
            n = rng.randint(0, 4_000_000)
            writer.write(f"GET /bytes/{n} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status:
                raise ValueError(f"status {status!r}")
            m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if not m or int(m.group(1)) != n:
                raise ValueError(f"Content-Length is not {n}: {head!r}")
            got = 0
            while got < n:
                chunk = await reader.read(min(1 << 20, n - got))
                if not chunk:
                    raise ConnectionError(f"EOF after {got} of {n} body bytes")
                if chunk != pattern(got, len(chunk)):
                    stats.mismatches += 1
                    raise ValueError(f"body differs from the pattern at offset {got}")
                got += len(chunk)
            stats.bytes_checked += n
    finally:
        writer.close()
        closed(stats)


async def upload_job(host, rng, stats):
    n = rng.randint(1, 4_000_000)
    block = rng.randbytes(65536)
    reader, writer = await connect(host, DISCARD, stats)
    try:
        at = 0
        while at < n:
            piece = min(len(block), n - at)
            writer.write(block[:piece])
            at += piece
            await writer.drain()
        writer.write_eof()
        if await reader.read(1):
            raise ValueError("the discard server sent data")
        stats.bytes_checked += n
    finally:
        writer.close()
        closed(stats)


async def abort_job(host, rng, stats):
    n = rng.randint(1, 128 * 1024)
    data = rng.randbytes(n)
    reader, writer = await connect(host, ECHO, stats)
    try:
        writer.write(data)
        await writer.drain()
        want = rng.randint(0, n)
        got = 0
        while got < want:
            chunk = await reader.read(want - got)
            if not chunk:
                raise ConnectionError(f"EOF after {got} of {want} echoed bytes")
            if chunk != data[got:got + len(chunk)]:
                stats.mismatches += 1
                raise ValueError(f"echoed bytes differ at offset {got}")
            got += len(chunk)
        stats.bytes_checked += 2 * got
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        writer.close()
        closed(stats)


JOBS = {
    "echo": lambda h, r, s: echo_job(h, r, s, False),
    "half-close": lambda h, r, s: echo_job(h, r, s, True),
    "download": download_job,
    "upload": upload_job,
    "abort": abort_job,
}


async def worker(host, seed, deadline, stats):
    rng = random.Random(seed)
    kinds = list(JOBS)
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        try:
            await asyncio.wait_for(JOBS[kind](host, rng, stats), JOB_TIMEOUT)
            stats.jobs[kind] = stats.jobs.get(kind, 0) + 1
        except Exception as e:  # every failure is counted and shown, none stops the soak
            stats.fail(kind, f"{type(e).__name__}: {e}")
            await asyncio.sleep(0.5)


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def stack_connections(host):
    """(open, time_wait) from the http service's home page, or (None, None)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, HTTP), 10)
        try:
            writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            page = await asyncio.wait_for(reader.read(-1), 10)
        finally:
            writer.close()
    except Exception:
        return None, None
    def gauge(name):
        m = re.search(rb"<td>" + name + rb"</td><td>(\d+)</td>", page)
        return int(m.group(1)) if m else 0
    return gauge(b"tcp_connections_open"), gauge(b"tcp_connections_time_wait")


async def sampler(host, pid, every, start, deadline, stats, samples):
    while True:
        now = time.monotonic()
        open_, tw = await stack_connections(host)
        s = {"t": round(now - start), "rss_mib": rss_mib(pid) if pid else None,
             "stack_open": open_, "stack_time_wait": tw, "client_open": stats.open_connections,
             "jobs": sum(stats.jobs.values()), "bytes_checked": stats.bytes_checked,
             "failures": stats.failures}
        samples.append(s)
        rss = f"{s['rss_mib']:.0f}" if s["rss_mib"] is not None else "?"
        print(f"soak.py: t={s['t']:>5}s rss={rss:>5} MiB stack open={open_} time-wait={tw} "
              f"clients hold={s['client_open']} jobs={s['jobs']} checked={s['bytes_checked'] / 1e6:.0f} MB "
              f"failures={s['failures']}", file=sys.stderr, flush=True)
        if now >= deadline:
            return
        await asyncio.sleep(min(every, max(0.0, deadline - now)))


async def main_async(args):
    stats = Stats()
    samples = []
    start = time.monotonic()
    deadline = start + args.minutes * 60
    workers = [asyncio.ensure_future(worker(args.host, args.seed * 100003 + i, deadline, stats))
               for i in range(args.workers)]
    await sampler(args.host, args.stack_pid, args.sample, start, deadline, stats, samples)
    await asyncio.gather(*workers)
    # after the last job: the stack's connections should drain to none open
    for _ in range(60):
        open_, tw = await stack_connections(args.host)
        if open_ is not None and open_ <= 1:  # the page's own connection
            break
        await asyncio.sleep(2)
    samples.append({"t": round(time.monotonic() - start), "rss_mib": rss_mib(args.stack_pid) if args.stack_pid else None,
                    "stack_open": open_, "stack_time_wait": tw, "client_open": stats.open_connections,
                    "jobs": sum(stats.jobs.values()), "bytes_checked": stats.bytes_checked,
                    "failures": stats.failures, "drained": True})
    return stats, samples


def main():
    p = argparse.ArgumentParser(prog="soak.py")
    p.add_argument("host")
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--workers", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stack-pid", type=int, default=0)
    p.add_argument("--sample", type=float, default=10.0)
    args = p.parse_args()
    if args.minutes <= 0 or args.workers < 1 or args.sample <= 0:
        p.error("--minutes, --workers and --sample must be positive")
    stats, samples = asyncio.run(main_async(args))
    print(json.dumps({"jobs": stats.jobs, "bytes_checked": stats.bytes_checked, "mismatches": stats.mismatches,
                      "failures": stats.failures, "failure_examples": stats.failure_examples,
                      "samples": samples}))
    sys.exit(0 if stats.mismatches == 0 and stats.failures == 0 else 1)


if __name__ == "__main__":
    main()
