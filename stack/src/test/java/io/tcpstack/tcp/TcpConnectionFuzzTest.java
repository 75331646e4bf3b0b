package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tcpstack.testing.Fuzzing;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import io.tcpstack.testing.TrackingAllocator;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer, docs/fuzzing.md) of live connections: the input is a script of
 * segments from the peer, clock advances and application calls, played against one stack through
 * {@link TcpHarness} on a virtual clock, from LISTEN (or SYN-SENT) through the handshake, data in
 * both directions, and every way of closing.
 *
 * <p>The segments are chosen relative to the connection's state so that they land where the
 * interesting decisions are: sequence numbers near RCV.NXT, acknowledgments near SND.UNA and
 * SND.NXT, SACK blocks above SND.UNA, timestamps near the peer's clock and the stack's last TSval;
 * but flags (all eight, in any combination), windows, options (well-formed or raw bytes), payload
 * lengths and raw sequence numbers are the fuzzer's. The peer's data byte at sequence number
 * {@code s} is always {@link #peerByte(int)}, so retransmissions and overlaps agree, and the
 * application's byte at stream position {@code p} is {@link #appByte(long)}.
 *
 * <p>Invariants after every step: no exception escapes the stack (the application calls are made
 * only when their documentation allows them); every packet the stack sends is a well-formed TCP
 * segment (checksums, DF: {@link TcpHarness} checks), a RST carries no data, and a data segment
 * carries exactly the bytes the application wrote at those sequence numbers; for every connection,
 * SND.UNA &lt;= SND.NXT ({@link SeqNum}), the readable bytes fit the receive buffer, the bytes read
 * plus those readable account for RCV.NXT, the bytes read are exactly the peer's, min RTO &lt;= RTO
 * &lt;= max RTO, cwnd &gt; 0; the stack's buffer memory stays within its budget. At the end the
 * connections are disposed, the stack closed, and every buffer must have been released (at once,
 * through a tracking allocator; and, replaying saved inputs, through Netty's paranoid leak detector).
 */
class TcpConnectionFuzzTest {

  private static final int PEER_PORT = TcpHarness.PEER_PORT;
  private static final int LOCAL_PORT = TcpHarness.LOCAL_PORT;
  private static final long BUFFER_MEMORY = 1 << 20;

  /** The peer's byte at sequence number {@code s}: the same in every (re)transmission. */
  static byte peerByte(int s) {
    return (byte) (s * 0x9E3779B1 >>> 24);
  }

  /** The application's byte at stream position {@code p}. */
  static byte appByte(long p) {
    return (byte) (p * 31 + (p >>> 8) + 7);
  }

  /** The fuzzer's bytes, read in order; 0 once they run out. */
  private static final class Script {
    private final byte[] in;
    private int at;

    Script(byte[] in) {
      this.in = in;
    }

    boolean more() {
      return at < in.length;
    }

    int u8() {
      return at < in.length ? in[at++] & 0xFF : 0;
    }

    int s8() {
      return (byte) u8();
    }

    int u16() {
      return (u8() << 8) | u8();
    }

    int s16() {
      return (short) u16();
    }

    int u32() {
      return (u16() << 16) | u16();
    }
  }

  /** A connection the application holds, and what the test knows of its streams. */
  private static final class Tracked {
    final TcpConnection c;
    /** Sequence number of the next byte the application will read; valid once {@link #synced}. */
    int readSeq;
    boolean synced;
    long written;

    Tracked(TcpConnection c) {
      this.c = c;
    }
  }

  private TcpHarness h;
  private TcpConfig config;
  private final List<Tracked> tracked = new ArrayList<>();
  private int peerPort;
  private int localPort;
  /** What the stack last said: the sequence number after its last segment, its last ACK and TSval. */
  private int stackSeqEnd;
  private int stackAck;
  private int stackTsVal;
  private int stackIss;
  private int stackSyns;
  private int peerTsClock;

  @FuzzTest(maxDuration = "10m")
  void segments(byte[] input) {
    Script s = new Script(input);
    int mode = s.u8();
    int sizes = s.u8();
    boolean passive = (mode & 1) == 0;
    config =
        TcpConfig.builder()
            .sack((mode & 2) != 0)
            .timestamps((mode & 4) != 0)
            .windowScaling((mode & 8) != 0)
            .noDelay((mode & 16) != 0)
            .congestionControl((mode & 32) != 0 ? "newreno" : "cubic")
            .receiveBufferSize(1024 << (sizes & 7))
            .sendBufferSize(1024 << ((sizes >>> 3) & 7))
            .keepAlive(Duration.ofSeconds(10), Duration.ofSeconds(1), 3)
            .keepAlive((sizes & 0x40) != 0)
            .finWait2Timeout(Duration.ofSeconds(5))
            .build();
    int peerIss = s.u32();
    peerTsClock = s.u32();
    TrackingAllocator alloc = Fuzzing.allocator();
    h = new TcpHarness(b -> b.allocator(alloc).bufferMemory(BUFFER_MEMORY).maxConnections(4));
    TcpListener listener = null;
    try {
      if (passive) {
        listener = h.listen(LOCAL_PORT, 2, config);
        peerPort = PEER_PORT;
        localPort = LOCAL_PORT;
        stackAck = peerIss;
      } else {
        TcpConnection c = h.connect(PEER_PORT, config);
        tracked.add(new Tracked(c));
        peerPort = PEER_PORT;
        localPort = c.localPort();
        stackAck = peerIss;
      }
      observe();
      while (s.more()) {
        step(s, listener, peerIss);
        observe();
        checkInvariants();
      }
    } finally {
      for (Tracked t : tracked) {
        if ((mode & 64) != 0) {
          t.c.abort(h.now());
        }
        t.c.dispose();
      }
      h.close();
    }
    assertEquals(0, h.stack().tcp().connectionCount(), "every connection closed with the stack");
    alloc.assertAllReleased();
  }

  private void step(Script s, TcpListener listener, int peerIss) {
    int op = s.u8();
    if (op < 0x80) {
      segment(s, op, peerIss);
      return;
    }
    switch (op & 0x0F) {
      case 0, 1, 2 -> {
        // Time passes: 2^0 ns to 2^39 ns (about nine minutes), and the timers run.
        int exp = s.u8() % 40;
        long dt = (1L << exp) + s.u8();
        peerTsClock += (int) (dt / 1_000_000L);
        h.at(h.now() + dt);
      }
      case 3, 4 -> {
        Tracked t = pick(s);
        if (t != null && t.c.canSend()) {
          int n = 1 + s.u16() % 70_000;
          byte[] data = new byte[n];
          for (int i = 0; i < n; i++) {
            data[i] = appByte(t.written + i);
          }
          int taken = h.write(t.c, data);
          assertTrue(taken >= 0 && taken <= n, () -> "send() took " + taken + " of " + n);
          t.written += taken;
        }
      }
      case 5, 6 -> {
        Tracked t = pick(s);
        if (t != null) {
          read(t, 1 + s.u16());
        }
      }
      case 7 -> {
        Tracked t = pick(s);
        if (t != null) {
          h.shutdownOutput(t.c);
        }
      }
      case 8 -> {
        if (listener != null && !listener.isClosed()) {
          TcpConnection c = listener.accept();
          if (c != null) {
            tracked.add(new Tracked(c));
          }
        }
      }
      case 9 -> {
        Tracked t = pick(s);
        if (t != null && s.u8() == 0xA5) {
          h.abort(t.c); // rare: the fuzzer must mean it
        }
      }
      case 10 -> {
        Tracked t = pick(s);
        if (t != null) {
          t.c.setNoDelay(!t.c.noDelay(), h.now());
          h.take().forEach(this::checkEmitted);
        }
      }
      case 11 -> {
        Tracked t = pick(s);
        if (t != null) {
          t.c.setKeepAlive((s.u8() & 1) != 0, h.now());
        }
      }
      case 12 -> {
        if (listener != null && s.u8() == 0x5A) {
          listener.close(h.now());
        }
      }
      default -> {
        // A segment from a second peer port: another connection, or a SYN flood's worth of them.
        int saved = peerPort;
        peerPort = PEER_PORT + 1 + (op >>> 4 & 3);
        segment(s, s.u8() & 0x7F, peerIss);
        peerPort = saved;
      }
    }
  }

  private Tracked pick(Script s) {
    if (tracked.isEmpty()) {
      return null;
    }
    return tracked.get(s.u8() % tracked.size());
  }

  /** The connection the peer's segments are aimed at, if the application holds it. */
  private TcpConnection current() {
    for (int i = tracked.size() - 1; i >= 0; i--) {
      TcpConnection c = tracked.get(i).c;
      if (c.remotePort() == peerPort && c.state() != TcpState.CLOSED) {
        return c;
      }
    }
    return null;
  }

  /** One segment from the peer, chosen by {@code op} and the script. */
  private void segment(Script s, int op, int peerIss) {
    TcpConnection c = current();
    int rcvBase = c != null ? c.rcvNxt() : stackAck;
    int sndNxt = c != null ? c.sndNxt() : stackSeqEnd;
    int sndUna = c != null ? c.sndUna() : stackSeqEnd;
    int flags = s.u8();
    int seq;
    switch (op & 3) {
      case 0 -> seq = rcvBase + s.s8();
      case 1 -> seq = rcvBase + s.s16();
      case 2 -> seq = (op & 4) != 0 ? peerIss : s.u32();
      default -> seq = rcvBase + s.s8() * TcpHarness.MSS;
    }
    int ack;
    switch ((op >>> 3) & 3) {
      case 0 -> ack = sndNxt + s.s8();
      case 1 -> ack = sndUna + s.s8();
      case 2 -> ack = s.u32();
      default -> ack = sndUna + s.s16();
    }
    int window = s.u16();
    byte[] options = options(s, sndUna, sndNxt);
    int lengthByte = s.u8();
    int length = lengthByte < 0x80 ? lengthByte : (lengthByte - 0x80) * 64;
    int first = seq + ((flags & Seg.SYN) != 0 ? 1 : 0);
    byte[] payload = new byte[length];
    for (int i = 0; i < length; i++) {
      payload[i] = peerByte(first + i);
    }
    Seg seg = new Seg(peerPort, localPort, seq, ack, flags, window, -1, payload, options);
    h.send(seg);
    h.take().forEach(this::checkEmitted);
  }

  /** TCP options for the peer's segment, padded to a multiple of 4 bytes. */
  private byte[] options(Script s, int sndUna, int sndNxt) {
    int kind = s.u8();
    ByteBuffer b = ByteBuffer.allocate(40);
    switch (kind & 7) {
      case 0 -> {}
      case 1 -> b.put((byte) 2).put((byte) 4).putShort((short) s.u16());
      case 2 -> {
        int tsVal = peerTsClock + s.s8();
        int tsEcr = (kind & 8) != 0 ? s.u32() : stackTsVal + s.s8();
        b.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt(tsVal).putInt(tsEcr);
      }
      case 3 -> b.put((byte) 1).put((byte) 3).put((byte) 3).put((byte) s.u8());
      case 4 -> b.put((byte) 1).put((byte) 1).put((byte) 4).put((byte) 2);
      case 5 -> {
        int blocks = 1 + (kind >>> 3 & 3);
        b.put((byte) 1).put((byte) 1).put((byte) 5).put((byte) (2 + 8 * blocks));
        int span = Math.max(1, sndNxt - sndUna);
        for (int i = 0; i < blocks; i++) {
          int left = sndUna + (int) ((long) s.u16() * span / 0x10000) + s.s8();
          b.putInt(left).putInt(left + s.u16() % (span + 1) + s.s8());
        }
      }
      case 6 -> {
        // What a SYN carries: MSS, SACK-Permitted, timestamps, window scale.
        b.put((byte) 2).put((byte) 4).putShort((short) (s.u16() | 1));
        b.put((byte) 4).put((byte) 2).put((byte) 8).put((byte) 10).putInt(peerTsClock).putInt(stackTsVal);
        b.put((byte) 1).put((byte) 3).put((byte) 3).put((byte) (s.u8() & 0x0F));
      }
      default -> {
        int n = s.u8() % 41;
        for (int i = 0; i < n; i++) {
          b.put((byte) s.u8());
        }
      }
    }
    int n = (b.position() + 3) & ~3;
    byte[] out = new byte[n];
    b.flip();
    b.get(out, 0, b.remaining());
    return out;
  }

  private void read(Tracked t, int max) {
    byte[] got = h.read(t.c, max);
    if (got.length == 0) {
      return;
    }
    if (!t.synced) {
      fail("read " + got.length + " bytes before the connection was synchronized");
    }
    for (int i = 0; i < got.length; i++) {
      if (got[i] != peerByte(t.readSeq + i)) {
        fail("byte " + i + " of a read of " + got.length + " at sequence number " + SeqNum.toString(t.readSeq + i)
            + " is not the peer's");
      }
    }
    t.readSeq += got.length;
    h.take().forEach(this::checkEmitted);
  }

  /** Notes what the stack sent, and checks each segment. */
  private void observe() {
    h.take().forEach(this::checkEmitted);
  }

  private void checkEmitted(Seg seg) {
    if (seg.dstPort == PEER_PORT && (seg.flags & Seg.SYN) != 0 && (stackSyns == 0 || seg.seq != stackIss)) {
      stackIss = seg.seq;
      stackSyns++; // connections toward PEER_PORT so far (a retransmitted SYN has the same ISS)
    }
    if (seg.dstPort == peerPort) {
      stackSeqEnd = seg.seq + seg.len();
      if ((seg.flags & Seg.ACK) != 0) {
        stackAck = seg.ack;
      }
      if (seg.timestamps) {
        stackTsVal = seg.tsVal;
      }
    }
    if ((seg.flags & Seg.RST) != 0) {
      assertEquals(0, seg.payload.length, "a RST carries no data");
    }
    // With one connection toward PEER_PORT ever, its data must be the application's bytes.
    if (seg.payload.length > 0 && seg.dstPort == PEER_PORT && stackSyns == 1 && tracked.size() == 1) {
      int first = seg.seq - stackIss - 1 + ((seg.flags & Seg.SYN) != 0 ? 1 : 0);
      for (int i = 0; i < seg.payload.length; i++) {
        long pos = Integer.toUnsignedLong(first + i);
        if (seg.payload[i] != appByte(pos)) {
          fail("byte " + i + " of " + seg + " is not the application's byte " + pos);
        }
      }
      long written = tracked.get(0).written;
      assertTrue(Integer.toUnsignedLong(first) + seg.payload.length <= written,
          () -> seg + " sends beyond the " + written + " bytes written");
    }
  }

  private void checkInvariants() {
    BufferPool pool = h.stack().tcp().pool();
    assertTrue(pool.inUse() <= pool.maxBytes(), () -> "buffer memory " + pool.inUse() + " over " + pool.maxBytes());
    for (Tracked t : tracked) {
      TcpConnection c = t.c;
      TcpState state = c.state();
      // messages built only on failure: this runs after every step of every input
      assertTrue(SeqNum.le(c.sndUna(), c.sndNxt()), () -> "SND.UNA " + SeqNum.toString(c.sndUna())
          + " > SND.NXT " + SeqNum.toString(c.sndNxt()) + " in " + state);
      assertTrue(c.readable() >= 0 && c.readable() <= config.receiveBufferSize(),
          () -> "readable " + c.readable() + " over the receive buffer " + config.receiveBufferSize());
      assertTrue(c.writable() >= 0 && c.writable() <= config.sendBufferSize(), () -> "writable " + c.writable());
      if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
        continue;
      }
      assertTrue(c.rtoNs() >= config.minRtoNs && c.rtoNs() <= config.maxRtoNs, () -> "RTO " + c.rtoNs());
      if (!state.isSynchronized()) {
        continue;
      }
      TcpInfo info = c.info();
      assertTrue(info.cwnd() > 0, () -> "cwnd " + info.cwnd());
      boolean finIn = state == TcpState.CLOSE_WAIT || state == TcpState.LAST_ACK || state == TcpState.CLOSING;
      int expected = c.rcvNxt() - c.readable() - (finIn ? 1 : 0);
      if (!t.synced) {
        t.readSeq = expected;
        t.synced = true;
      } else if (t.readSeq != expected) {
        fail("read up to " + SeqNum.toString(t.readSeq) + " with " + c.readable() + " readable, but RCV.NXT is "
            + SeqNum.toString(c.rcvNxt()) + " in " + state);
      }
    }
  }
}
