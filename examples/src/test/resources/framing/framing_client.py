#!/usr/bin/env python3
"""A client for the framing example server (io.tcpstack.examples.FramingServer).

The socket tutorials' client does ``client.send(data)`` then ``client.recv(1024)`` and hopes one
recv() returns exactly one message. TCP is a byte stream, so it need not: sends may be merged and
split on the way (the "sticky packet" / 粘包 problem). The fix is to put the boundaries in the data:
each message is sent as a 4-byte big-endian length, struct.pack('>I', n), then the n bytes.

This client provokes the problem on purpose and checks that framing survives it:
  * it sends messages of the sizes given on the command line (contents from a seeded generator),
    cutting the framed byte stream into chunks of random sizes, with TCP_NODELAY, so that chunks
    split messages and merge the end of one with the start of the next;
  * a second thread receives the replies with recv() of random sizes and reassembles them;
  * each reply must be "<n> <sha256 hex>" of the message it answers.

Usage:  framing_client.py [--seed S] [--max-chunk B] [--timeout SEC] HOST PORT SIZE [SIZE ...]
Output: one line "ok <n> <sha256>" per message, in order, then exit 0; on a wrong or missing reply,
        a line starting "mismatch" or "error" and exit 1 (exit 2: bad command line).
"""

import argparse
import hashlib
import random
import socket
import struct
import sys
import threading

HEADER = struct.Struct(">I")  # the length prefix: 4 bytes, big-endian, unsigned


def frame(message):
    """The bytes that carry one message: its length, then the message."""
    return [HEADER.pack(len(message)), message]


def random_size(rng, max_chunk):
    """A chunk size: often tiny (1, 2, 3, 5 bytes or up to 100), sometimes up to max_chunk."""
    return rng.choice((1, 2, 3, 5, rng.randint(1, 100), rng.randint(1, max_chunk)))


def chunks(pieces, rng, max_chunk):
    """Yields the concatenation of pieces, cut at random places regardless of message boundaries."""
    pending, want = [], random_size(rng, max_chunk)
    for piece in pieces:
        view = memoryview(piece)
        while view:
            take = view[:want]
            pending.append(take)
            want -= len(take)
            view = view[len(take):]
            if want == 0:
                yield b"".join(pending)
                pending, want = [], random_size(rng, max_chunk)
    if pending:
        yield b"".join(pending)


def send_all(sock, messages, rng, max_chunk, failure):
    """Sends every message, framed, in random chunks; then half-closes (the server sees EOF)."""
    try:
        pieces = (piece for message in messages for piece in frame(message))
        for chunk in chunks(pieces, rng, max_chunk):
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        failure.append(e)


class Receiver:
    """Reads framed messages from a socket with recv() calls of random sizes."""

    def __init__(self, sock, rng, max_chunk):
        self.sock, self.rng, self.max_chunk = sock, rng, max_chunk
        self.buffer = bytearray()
        self.eof = False

    def _fill(self, n):
        """Receives until the buffer holds n bytes; False if the stream ends first."""
        while len(self.buffer) < n:
            data = self.sock.recv(random_size(self.rng, self.max_chunk))
            if not data:
                self.eof = True
                return False
            self.buffer += data
        return True

    def message(self):
        """The next message, or None at a clean end of stream; raises EOFError inside a message."""
        if not self._fill(HEADER.size):
            if self.buffer:
                raise EOFError(f"stream ended inside a reply header: got {len(self.buffer)} of 4 bytes")
            return None
        (length,) = HEADER.unpack_from(self.buffer)
        if not self._fill(HEADER.size + length):
            got = len(self.buffer) - HEADER.size
            raise EOFError(f"stream ended inside a reply: got {got} of {length} bytes")
        message = bytes(self.buffer[HEADER.size:HEADER.size + length])
        del self.buffer[:HEADER.size + length]
        return message


def size(text):
    n = int(text)
    if not 0 <= n <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"size out of range: {n}")
    return n


def main():
    parser = argparse.ArgumentParser(description="Send length-prefixed messages and check the replies.")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("sizes", metavar="SIZE", type=size, nargs="+", help="message sizes in bytes")
    parser.add_argument("--seed", type=int, default=1, help="seeds contents, chunk and recv sizes")
    parser.add_argument("--max-chunk", type=int, default=65536, help="largest send() and recv() size")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds any one socket call may take")
    args = parser.parse_args()

    content = random.Random(args.seed)
    messages = [content.randbytes(n) for n in args.sizes]

    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    except OSError as e:
        print(f"error: cannot connect to {args.host}:{args.port}: {e}")
        return 1
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # let small chunks leave as they are
    send_failure = []
    sender = threading.Thread(
        target=send_all, daemon=True,
        args=(sock, messages, random.Random(args.seed + 1), args.max_chunk, send_failure))
    sender.start()

    receiver = Receiver(sock, random.Random(args.seed + 2), args.max_chunk)
    try:
        for i, message in enumerate(messages):
            expected = f"{len(message)} {hashlib.sha256(message).hexdigest()}"
            reply = receiver.message()
            if reply is None:
                print(f"error: the server closed the connection after {i} of {len(messages)} replies")
                return 1
            text = reply.decode("utf-8", errors="replace")
            if text != expected:
                print(f"mismatch in message {i}: sent {expected!r}, the server replied {text!r}")
                return 1
            print(f"ok {expected}", flush=True)
        extra = receiver.message()
        if extra is not None:
            print(f"error: an unexpected extra reply {extra[:100]!r}")
            return 1
    except (OSError, EOFError) as e:
        print(f"error: {e}")
        return 1
    finally:
        sender.join(args.timeout)
        sock.close()
    if send_failure:
        print(f"error: sending failed: {send_failure[0]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
