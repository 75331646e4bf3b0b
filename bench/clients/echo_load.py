#!/usr/bin/env python3
"""echo_load.py: many concurrent TCP connections to an echo server (RFC 862), every byte checked.

Python 3 standard library only (selectors, one thread). Used by bench/scale and by tests; the
command line and the JSON below are a stable interface: add to them, don't change them.

usage: echo_load.py HOST PORT [options]        (HOST: an IPv4 address, PORT: an echo server's)

Two modes.

  echo mode (the default): phases, one after another, all connections together:
    connect  open --connections N connections, at most --connect-batch connects in flight at once
             (so the server's listen queue is filled fairly, not flooded); one that is not
             established within --connect-timeout seconds counts as failed
    rounds   --rounds R times, every connection writes a message of a random size
             (--min-size..--max-size bytes, random content, reproducible from --seed) and reads
             back exactly those bytes, compared byte for byte; connections run their rounds
             independently of each other
    hold     only with --hold: the connections stay open and idle; "holding N" (N open
             connections) is printed on stdout, then the hold lasts until stdin reaches EOF, a
             SIGTERM, SIGINT or SIGUSR1 arrives, or --hold-seconds pass (default 600), whichever
             is first. Stdin at /dev/null or a file ends the hold at once: callers that run it
             in the background with stdin at /dev/null give --no-stdin (then stdin is ignored).
             A connection the server closes or resets while held counts as failed
    close    every connection half-closes (FIN) and waits for the server's FIN (an echo server
             closes when it reads EOF), then closes: a graceful close, checked
  --abort-fraction F: that fraction of the connections (chosen from --seed) abort in one of
    their rounds instead: after writing half of that round's message they close with SO_LINGER
    {on, 0}, so the server gets a RST mid-message. They count as "aborted", not as failed.

  clients mode (--clients C --round-trips K): C clients at once (at most --connect-batch of them
    connecting at any moment), each: connect, K times (write --rt-size bytes, default 64, read
    them back, checked), half-close, wait for the server's FIN, close. Reports the wall time from
    the first connect to the last close ("wall_s").

options:
  --connections N       echo mode: connections (default 100)
  --rounds R            echo mode: messages per connection (default 3)
  --min-size B          smallest message, bytes (default 1)
  --max-size B          largest message, bytes (default 2048)
  --seed S              seed for sizes, contents and the aborting connections (default 1)
  --connect-batch M     most connects in flight at once (default 1000)
  --connect-timeout S   seconds for one connection to be established (default 60)
  --abort-fraction F    echo mode: fraction 0..1 of connections that abort with a RST (default 0)
  --hold                echo mode: hold the connections open after the rounds (above)
  --hold-seconds S      longest hold (default 600); implies --hold
  --no-stdin            during the hold, ignore stdin
  --clients C           clients mode: C clients
  --round-trips K       clients mode: round trips per client (default 10)
  --rt-size B           clients mode: bytes per round trip (default 64)
  --timeout S           the whole run, the hold excepted, in seconds (default 300): past it,
                        what is unfinished counts as failed, and the exit status is 1

output: stdout gets "holding N" (with --hold, once the hold begins), then exactly one line of JSON,
always last, also on failure (not on a usage error). Progress and errors go to stderr.
  mode             "echo" or "clients"
  target           "HOST:PORT"
  connections      connections asked for (clients mode: C)
  rounds           R (clients mode: K)
  established      connections whose connect succeeded
  failed           connections that failed: connect refused or timed out, reset, early EOF,
                   wrong bytes, lost while held, not closed gracefully, timed out (each counted
                   once, with its reason in "errors")
  aborted          connections closed with a RST on purpose (--abort-fraction)
  completed        connections that did all their rounds and closed gracefully
  bytes_verified   bytes read back and found equal to what was sent
  mismatches       connections that read back a wrong byte
  held             connections open when the hold began (null without --hold)
  hold_lost        connections lost during the hold
  errors           {reason: count}: "ECONNREFUSED", "ECONNRESET", "connect timeout", "eof",
                   "mismatch", "held: eof", "timeout", ... (errno names, or words)
  timed_out        true if --timeout ran out
  elapsed          seconds per phase: {"connect", "rounds", "hold", "close", "total"}
                   (clients mode: "connect" is until the last connect finished; phases overlap)
  wall_s           clients mode: first connect to last close, seconds (echo mode: total)
  nofile           the RLIMIT_NOFILE soft limit the run used
  ok               true exactly when the exit status is 0

exit status: 0 every connection established and every byte verified (planned aborts aside),
1 anything else (failed connections, mismatches, timeout, RLIMIT_NOFILE too low), 2 usage error.

examples:
  echo_load.py 198.18.0.2 7 --connections 10000 --rounds 3 --hold --hold-seconds 60
  echo_load.py 198.18.0.2 7 --connections 500 --abort-fraction 0.1
  echo_load.py 198.18.0.2 7 --clients 1000 --round-trips 10
"""

import argparse
import errno
import ipaddress
import json
import os
import random
import resource
import selectors
import signal
import socket
import struct
import sys
import time

# connection states
CONNECTING, IDLE, ROUND, CLOSING, DONE, FAILED, ABORTED = range(7)

POOL_SIZE = 1 << 20  # random bytes that messages are cut from
READ_CHUNK = 65536


def log(msg):
    print("echo_load: " + msg, file=sys.stderr, flush=True)


class Usage(Exception):
    pass


class Conn:
    __slots__ = ("idx", "sock", "state", "events", "t_connect", "round", "plan", "off", "size",
                 "sent", "recvd", "abort_round", "abort_at")

    def __init__(self, idx, plan, abort_round):
        self.idx = idx
        self.sock = None
        self.state = CONNECTING
        self.events = 0
        self.t_connect = 0.0
        self.round = 0
        self.plan = plan  # [(offset, size), ...] one per round
        self.off = 0
        self.size = 0
        self.sent = 0
        self.recvd = 0
        self.abort_round = abort_round  # -1: never
        self.abort_at = 0


class Load:
    def __init__(self, args, pool, plans, abort_rounds, batch):
        self.args = args
        self.addr = (args.host, args.port)
        self.pool = pool
        self.view = memoryview(pool)
        self.sel = selectors.DefaultSelector()
        self.conns = [Conn(i, plans[i], abort_rounds[i]) for i in range(len(plans))]
        self.batch = batch
        self.pending = 0  # index of the next connection to start
        self.connecting = {}  # idx -> Conn
        self.in_round = 0
        self.closing = 0
        self.established = 0
        self.failed = 0
        self.aborted = 0
        self.completed = 0
        self.bytes_verified = 0
        self.mismatches = 0
        self.hold_lost = 0
        self.errors = {}
        self.after_connect = None  # what a newly established connection does (mode-specific)
        self.after_rounds = None
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, None)
        signal.set_wakeup_fd(self.wake_w.fileno(), warn_on_full_buffer=False)

    @property
    def stop_signal(self):
        return STOP[0]

    @stop_signal.setter
    def stop_signal(self, value):
        STOP[0] = value

    # ------------------------------------------------------------ registration

    def _set_events(self, c, events):
        if events == c.events:
            return
        if c.events == 0:
            self.sel.register(c.sock, events, c)
        elif events == 0:
            self.sel.unregister(c.sock)
        else:
            self.sel.modify(c.sock, events, c)
        c.events = events

    def _drop(self, c):
        """Unregisters and closes the socket (a plain close)."""
        if c.sock is None:
            return
        self._set_events(c, 0)
        try:
            c.sock.close()
        except OSError:
            pass
        c.sock = None

    def fail(self, c, reason):
        if c.state in (FAILED, ABORTED, DONE):
            return
        if c.state == CONNECTING:
            self.connecting.pop(c.idx, None)
        elif c.state == ROUND:
            self.in_round -= 1
        elif c.state == CLOSING:
            self.closing -= 1
        c.state = FAILED
        self.failed += 1
        self.errors[reason] = self.errors.get(reason, 0) + 1
        self._drop(c)

    # ------------------------------------------------------------ connect

    def start_connects(self):
        """Starts connects until --connect-batch are in flight or none is left to start."""
        now = time.monotonic()
        while self.pending < len(self.conns) and len(self.connecting) < self.batch:
            c = self.conns[self.pending]
            self.pending += 1
            try:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            except OSError as e:
                c.state = CONNECTING
                self.fail(c, errname(e.errno))
                continue
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.sock = s
            c.t_connect = now
            self.connecting[c.idx] = c
            err = s.connect_ex(self.addr)
            if err not in (0, errno.EINPROGRESS):
                self.fail(c, errname(err))
                continue
            self._set_events(c, selectors.EVENT_WRITE)

    def on_connect_event(self, c):
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.fail(c, errname(err))
            return
        del self.connecting[c.idx]
        self.established += 1
        c.state = IDLE
        self._set_events(c, selectors.EVENT_READ)  # an idle connection must stay silent
        self.after_connect(c)

    def expire_connects(self, now):
        limit = self.args.connect_timeout
        late = [c for c in self.connecting.values() if now - c.t_connect > limit]
        for c in late:
            self.fail(c, "connect timeout")

    # ------------------------------------------------------------ rounds

    def start_round(self, c):
        if c.round >= len(c.plan):
            self.after_rounds(c)
            return
        if c.state != ROUND:
            c.state = ROUND
            self.in_round += 1
        c.off, c.size = c.plan[c.round]
        c.sent = 0
        c.recvd = 0
        c.abort_at = c.size // 2 if c.round == c.abort_round else -1
        self._send(c)

    def _send(self, c):
        if c.abort_at == 0 or (c.abort_at > 0 and c.sent >= c.abort_at):
            self._abort(c)
            return
        end = c.size if c.abort_at < 0 else c.abort_at
        if c.sent < end:
            try:
                n = c.sock.send(self.view[c.off + c.sent:c.off + end])
                c.sent += n
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as e:
                self.fail(c, errname(e.errno))
                return
            if c.abort_at > 0 and c.sent >= c.abort_at:
                self._abort(c)
                return
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if c.sent < c.size else 0)
        self._set_events(c, want)

    def _abort(self, c):
        """Closes with SO_LINGER {1, 0}: the kernel sends a RST, not a FIN."""
        self.in_round -= 1
        c.state = ABORTED
        self.aborted += 1
        try:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self._drop(c)

    def _read_round(self, c):
        try:
            data = c.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.fail(c, errname(e.errno))
            return
        if not data:
            self.fail(c, "eof")
            return
        n = len(data)
        if c.recvd + n > c.sent or data != self.pool[c.off + c.recvd:c.off + c.recvd + n]:
            # more than was sent, or different bytes: a wrong echo either way
            self.mismatches += 1
            self.fail(c, "mismatch")
            return
        c.recvd += n
        self.bytes_verified += n
        if c.recvd == c.size:
            c.round += 1
            self.start_round(c)

    # ------------------------------------------------------------ idle, close

    def _read_idle(self, c, label):
        """An idle connection became readable: the server sent something, closed or reset."""
        try:
            data = c.sock.recv(READ_CHUNK)
            reason = "unexpected data" if data else "eof"
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            reason = errname(e.errno)
        if label:
            self.hold_lost += 1
            reason = label + ": " + reason
        self.fail(c, reason)

    def start_close(self, c):
        """Half-closes (FIN) and waits for the server's FIN."""
        if c.state == ROUND:
            self.in_round -= 1
        c.state = CLOSING
        self.closing += 1
        try:
            c.sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.fail(c, errname(e.errno))
            return
        self._set_events(c, selectors.EVENT_READ)

    def _read_closing(self, c):
        try:
            data = c.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.fail(c, "close: " + errname(e.errno))
            return
        if data:
            self.fail(c, "close: unexpected data")
            return
        self.closing -= 1
        c.state = DONE
        self.completed += 1
        self._drop(c)

    # ------------------------------------------------------------ the loop

    def loop(self, until, deadline, hold_label=None, watch_connects=False):
        """Dispatches events until until() is true (True), the deadline passes or a signal
        arrives (False)."""
        next_expiry = 0.0
        while not until():
            if self.stop_signal:
                return False
            now = time.monotonic()
            if now >= deadline:
                return False
            if watch_connects:
                self.start_connects()
                if now >= next_expiry:
                    self.expire_connects(now)
                    next_expiry = now + 0.25
                if until():
                    return True
            for key, mask in self.sel.select(min(deadline - now, 0.25)):
                c = key.data
                if c is None:
                    drain(key.fileobj)
                    continue
                if c.sock is None:
                    continue  # closed by an earlier event of this batch
                if c.state == CONNECTING:
                    self.on_connect_event(c)
                elif c.state == ROUND:
                    if mask & selectors.EVENT_READ:
                        self._read_round(c)
                    if c.state == ROUND and mask & selectors.EVENT_WRITE:
                        self._send(c)
                elif c.state == CLOSING:
                    self._read_closing(c)
                elif c.state == IDLE:
                    self._read_idle(c, hold_label)
        return True

    def hold(self, seconds, watch_stdin):
        """Waits, idle, for stdin EOF, a signal or the hold's end; watches for lost connections."""
        stdin_key = None
        if watch_stdin:
            try:
                stdin_key = self.sel.register(0, selectors.EVENT_READ, "stdin")
                was_blocking = os.get_blocking(0)
                os.set_blocking(0, False)
            except PermissionError:
                # not pollable: a file or /dev/null, whose reads never block: read it to its end
                stdin_key = None
                try:
                    while os.read(0, 65536):
                        pass
                except OSError:
                    pass
                return "stdin closed"
            except (OSError, ValueError) as e:
                stdin_key = None
                log("cannot watch stdin (%s); the hold ends on a signal or after --hold-seconds" % e)
        end = time.monotonic() + seconds
        try:
            while True:
                if self.stop_signal:
                    self.stop_signal = None  # the hold's normal end; the run goes on
                    return "signal"
                now = time.monotonic()
                if now >= end:
                    return "hold-seconds"
                for key, mask in self.sel.select(min(end - now, 1.0)):
                    if key.data == "stdin":
                        try:
                            data = os.read(0, 4096)
                        except (BlockingIOError, InterruptedError):
                            continue
                        if not data:
                            return "stdin closed"
                    elif key.data is None:
                        drain(key.fileobj)
                    elif key.data.sock is not None and key.data.state == IDLE:
                        self._read_idle(key.data, "held")
        finally:
            if stdin_key is not None:
                self.sel.unregister(0)
                os.set_blocking(0, was_blocking)


def drain(sock):
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def errname(err):
    return errno.errorcode.get(err, "errno %d" % err)


def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return needed
        except (ValueError, OSError):
            raise RuntimeError(
                "needs %d open files, but RLIMIT_NOFILE is %d (hard limit %d) and raising the hard "
                "limit is not permitted: raise it (ulimit -Hn %d, as root or in limits.conf) or use "
                "fewer connections" % (needed, soft, hard, needed))
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="echo_load.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="echo_load.py HOST PORT [options]", add_help=True)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--min-size", type=int, default=1)
    p.add_argument("--max-size", type=int, default=2048)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--connect-batch", type=int, default=1000)
    p.add_argument("--connect-timeout", type=float, default=60.0)
    p.add_argument("--abort-fraction", type=float, default=0.0)
    p.add_argument("--hold", action="store_true")
    p.add_argument("--hold-seconds", type=float, default=None)
    p.add_argument("--no-stdin", action="store_true")
    p.add_argument("--clients", type=int, default=None)
    p.add_argument("--round-trips", type=int, default=10)
    p.add_argument("--rt-size", type=int, default=64)
    p.add_argument("--timeout", type=float, default=300.0)
    a = p.parse_args(argv)
    problems = []
    try:
        a.host = str(ipaddress.IPv4Address(a.host))  # a literal: no name lookups, ever
    except ValueError:
        problems.append("HOST must be an IPv4 address, e.g. 198.18.0.2")
    if not 0 < a.port < 65536:
        problems.append("PORT must be 1..65535")
    if a.connections < 1:
        problems.append("--connections must be at least 1")
    if a.rounds < 0:
        problems.append("--rounds must be at least 0")
    if not 1 <= a.min_size <= a.max_size <= POOL_SIZE:
        problems.append("need 1 <= --min-size <= --max-size <= %d" % POOL_SIZE)
    if a.connect_batch < 1:
        problems.append("--connect-batch must be at least 1")
    if a.connect_timeout <= 0 or a.timeout <= 0:
        problems.append("--connect-timeout and --timeout must be positive")
    if not 0.0 <= a.abort_fraction <= 1.0:
        problems.append("--abort-fraction must be between 0 and 1")
    if a.hold_seconds is not None:
        if a.hold_seconds < 0:
            problems.append("--hold-seconds must not be negative")
        a.hold = True
    elif a.hold:
        a.hold_seconds = 600.0
    if a.clients is not None:
        if a.clients < 1 or a.round_trips < 1:
            problems.append("--clients and --round-trips must be at least 1")
        if not 1 <= a.rt_size <= POOL_SIZE:
            problems.append("--rt-size must be 1..%d" % POOL_SIZE)
        if a.hold or a.abort_fraction:
            problems.append("--hold and --abort-fraction are for echo mode, not with --clients")
    if problems:
        p.error("; ".join(problems))
    return a


STOP = [None]  # the name of the signal that asked to stop, once one has


def on_signal(signum, frame):
    STOP[0] = signal.Signals(signum).name


def main(argv):
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(s, on_signal)
    args = parse_args(argv)
    t_start = time.monotonic()
    clients_mode = args.clients is not None
    n = args.clients if clients_mode else args.connections
    rounds = args.round_trips if clients_mode else args.rounds
    rng = random.Random(args.seed)
    max_size = args.rt_size if clients_mode else args.max_size
    pool = rng.randbytes(POOL_SIZE + max_size)

    plans = []
    for _ in range(n):
        plan = []
        for _ in range(rounds):
            size = args.rt_size if clients_mode else rng.randint(args.min_size, args.max_size)
            plan.append((rng.randrange(POOL_SIZE), size))
        plans.append(plan)
    abort_rounds = [-1] * n
    if not clients_mode and rounds > 0 and args.abort_fraction > 0:
        for i in rng.sample(range(n), round(n * args.abort_fraction)):
            abort_rounds[i] = rng.randrange(rounds)

    result = {
        "mode": "clients" if clients_mode else "echo",
        "target": "%s:%d" % (args.host, args.port),
        "connections": n, "rounds": rounds,
        "established": 0, "failed": 0, "aborted": 0, "completed": 0,
        "bytes_verified": 0, "mismatches": 0, "held": None, "hold_lost": 0,
        "errors": {}, "timed_out": False,
        "elapsed": {"connect": 0.0, "rounds": 0.0, "hold": 0.0, "close": 0.0, "total": 0.0},
        "wall_s": 0.0, "nofile": None, "ok": False,
    }
    error = None
    try:
        result["nofile"] = raise_nofile(n + 64)
    except (RuntimeError, ValueError, OSError) as e:
        error = str(e)
    if error:
        log("error: " + error)
        result["errors"]["nofile"] = n
        result["failed"] = n
        result["elapsed"]["total"] = round(time.monotonic() - t_start, 3)
        print(json.dumps(result), flush=True)
        return 1

    load = Load(args, pool, plans, abort_rounds, args.connect_batch)
    deadline = t_start + args.timeout
    el = result["elapsed"]
    finished = True
    if clients_mode:
        load.after_connect = load.start_round
        load.after_rounds = load.start_close
        t0 = time.monotonic()
        t_conn = [None]

        def all_done():
            if t_conn[0] is None and load.pending == n and not load.connecting:
                t_conn[0] = time.monotonic()
            return load.pending == n and not load.connecting and load.in_round == 0 and load.closing == 0
        finished = load.loop(all_done, deadline, watch_connects=True)
        t1 = time.monotonic()
        el["connect"] = round((t_conn[0] or t1) - t0, 3)
        el["rounds"] = round(t1 - t0, 3)
        result["wall_s"] = round(t1 - t0, 3)
    else:
        load.after_connect = lambda c: None  # wait, idle, for the others
        load.after_rounds = lambda c: set_idle(load, c)
        t0 = time.monotonic()
        finished = load.loop(lambda: load.pending == n and not load.connecting, deadline, watch_connects=True)
        el["connect"] = round(time.monotonic() - t0, 3)
        log("connect: %d established, %d failed in %.1f s" % (load.established, load.failed, el["connect"]))
        if finished:
            t0 = time.monotonic()
            for c in load.conns:
                if c.state == IDLE:
                    load.start_round(c)
            finished = load.loop(lambda: load.in_round == 0, deadline)
            el["rounds"] = round(time.monotonic() - t0, 3)
            log("rounds: %d bytes verified, %d failed so far, %.1f s"
                % (load.bytes_verified, load.failed, el["rounds"]))
        if finished and args.hold:
            t0 = time.monotonic()
            open_now = sum(1 for c in load.conns if c.state == IDLE)
            result["held"] = open_now
            print("holding %d" % open_now, flush=True)
            why = load.hold(args.hold_seconds, not args.no_stdin)
            el["hold"] = round(time.monotonic() - t0, 3)
            deadline += el["hold"]  # the hold does not count against --timeout
            log("hold ended (%s) after %.1f s, %d lost" % (why, el["hold"], load.hold_lost))
        if finished:
            t0 = time.monotonic()
            for c in load.conns:
                if c.state == IDLE:
                    load.start_close(c)
            finished = load.loop(lambda: load.closing == 0, deadline)
            el["close"] = round(time.monotonic() - t0, 3)

    if not finished:
        why = load.stop_signal or "timeout"
        if why == "timeout":
            result["timed_out"] = True
            log("error: --timeout %g s ran out; what was unfinished counts as failed" % args.timeout)
        else:
            log("error: stopped by %s; what was unfinished counts as failed" % why)
        for c in load.conns:
            if c.state == CONNECTING and c.sock is None:
                load.fail(c, "not started")
            elif c.state in (CONNECTING, IDLE, ROUND, CLOSING):
                load.fail(c, "timeout" if why == "timeout" else "interrupted")
    el["total"] = round(time.monotonic() - t_start, 3)
    if not clients_mode:
        result["wall_s"] = el["total"]
    for key in ("established", "failed", "aborted", "completed", "bytes_verified", "mismatches",
                "hold_lost", "errors"):
        result[key] = getattr(load, key)
    result["ok"] = (finished and load.failed == 0 and load.mismatches == 0
                    and load.completed + load.aborted == n)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


def set_idle(load, c):
    """After its last round a connection waits, idle, for the hold and the close."""
    if c.state == ROUND:
        load.in_round -= 1
    c.state = IDLE
    load._set_events(c, selectors.EVENT_READ)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        log("error: interrupted")
        sys.exit(1)
