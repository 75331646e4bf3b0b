package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.device.Impairment;
import io.tcpstack.device.SimulatedNetwork;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.Cubic;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.SeededStream;
import java.security.MessageDigest;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two stacks in one process over a simulated link on a virtual clock: megabytes each way through
 * loss, duplication, reordering, delay with jitter and corruption, for many seeds. Every transfer
 * must arrive byte-exact (SHA-256) and both sides must close properly. A failing seed is in the
 * test's name and message; replay one with {@code -Dtcpstack.sim.seed=N}; run more with {@code -Dtcpstack.sim.seeds=COUNT}; try
 * another path with {@code -Dtcpstack.sim.impairment=loss=20%,delay=1ms}.
 */
class TcpSimulationTest {

  private static final int A = Packets.HOST;
  private static final int B = Packets.STACK;
  private static final long SECOND = 1_000_000_000L;
  private static final int PORT = 7;
  private static final long APPLICATION_TICK_NS = 1_000_000L;

  static LongStream seeds() {
    String one = System.getProperty("tcpstack.sim.seed");
    int count = Integer.getInteger("tcpstack.sim.seeds", 24);
    return one != null ? LongStream.of(Long.parseLong(one)) : LongStream.rangeClosed(1, count);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void bothWaysByteExactThroughAnImpairedLinkThenBothClose(long seed) {
    String profile = System.getProperty("tcpstack.sim.impairment", "loss=5%,dup=1%,reorder=10%,delay=10ms,jitter=5ms,corrupt=0.1%");
    Impairment impairment = Impairment.parse(profile + ",seed=" + seed);
    Transfer t = new Transfer(seed, impairment, 2_000_000, 2_000_000);
    t.run(1800 * SECOND);
  }

  /**
   * Issue 12: with SACK, RACK and RFC 6675, a single loss per window is repaired without a timeout,
   * and each loss costs one retransmission — for every seed, through reordering and duplication too.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void singleLossesPerWindowAreRepairedWithoutATimeout(long seed) {
    // 0.2% loss: losses one per window (a window here is some 20-40 segments), with duplicates and
    // reordering. What no sender can repair without its timer — a retransmission lost while nothing
    // newer is in flight (RACK needs a later delivery, and RFC 8985 §7 sends no probe during
    // recovery) — does not happen on seeds 1-24 at this rate; at 0.5% it does on a few seeds in 200.
    Transfer t = new Transfer(seed, Impairment.parse("loss=0.2%,dup=0.5%,reorder=1%,delay=2ms,seed=" + seed), 4_000_000, 0);
    t.run(600 * SECOND);
    assertEquals(0, t.aInfo.timeoutRetransmits(), "seed " + seed + ": " + t.aInfo + " " + t.aCounters);
    assertTrue(t.aInfo.retransmittedSegments() == 0 || t.aInfo.fastRetransmits() > 0,
        "what was lost was repaired by SACK recovery (a seed may lose only ACKs): " + t.aInfo);
  }

  @Test
  void sixteenMegabytesOverACleanLink() {
    new Transfer(99, Impairment.parse("delay=1ms,seed=99"), 16_000_000, 1_000).run(600 * SECOND);
  }

  @Test
  void fastWriterAndSlowReaderOverALossyLinkCompleteByteExact() {
    Transfer t = new Transfer(7, Impairment.parse("loss=2%,delay=5ms,seed=7"), 3_000_000, 0);
    t.readChunk = 100; // 100 bytes per millisecond: the sender is held by the window throughout
    t.run(3600 * SECOND);
  }

  @Test
  void aReaderThatStopsForAWhileIsProbedThenTheTransferCompletes() {
    Transfer t = new Transfer(8, Impairment.parse("loss=2%,delay=5ms,seed=8"), 2_000_000, 0);
    t.readPausedUntilNs = 20 * SECOND; // the receive buffer fills, the window goes to zero
    t.run(3600 * SECOND);
    assertTrue(t.aInfo.windowProbes() >= 3, "the sender probed the zero window: " + t.aInfo);
  }

  /**
   * One way, 1% loss, 20 ms each way, NewReno: the congestion window of the sender, sampled at every event,
   * shows slow start (growth from the initial window with no threshold yet), fast recovery (entered
   * on duplicate ACKs, halving the threshold), and congestion avoidance after it (growth of at most
   * one segment at a time, while cwnd is at or above ssthresh). Shape only — no wall time.
   */
  @Test
  void congestionWindowShowsSlowStartRecoveryAndAvoidance() {
    Transfer t = new Transfer(11, Impairment.parse("loss=1%,delay=20ms,seed=5"), 8_000_000, 0);
    // Unscaled windows (at most 65535 in flight): the trace samples cwnd once per event, and a
    // larger window lets slow start outgrow the samples between two of them, so the peak it shows
    // would understate the flight that the threshold is halved from.
    t.config = TcpConfig.builder().windowScaling(false).congestionControl(CongestionAlgorithm.NEWRENO).build();
    t.trace = new java.util.ArrayList<>();
    t.run(3600 * SECOND);
    java.util.List<TcpInfo> trace = t.trace;
    int mss = trace.get(trace.size() - 1).sendMss();
    int iw = io.tcpstack.tcp.cc.NewReno.initialWindow(mss);

    // Slow start: from the initial window, with no threshold yet, to well beyond it.
    int firstLoss = indexOf(trace, i -> i.inRecovery() || i.timeoutRetransmits() > 0);
    assertTrue(firstLoss > 0, "a loss happened");
    assertEquals(iw, trace.get(0).cwnd());
    int peak = trace.subList(0, firstLoss).stream().mapToInt(TcpInfo::cwnd).max().orElseThrow();
    assertTrue(peak >= 2 * iw, "slow start doubled the initial window before the first loss: " + peak);
    assertTrue(trace.subList(0, firstLoss).stream().allMatch(i -> i.ssthresh() == Integer.MAX_VALUE));

    // Fast recovery: entered on duplicate ACKs, threshold halved from the flight.
    TcpInfo entering = trace.get(indexOf(trace, TcpInfo::inRecovery));
    assertTrue(entering.fastRetransmits() > 0, "recovery began with a fast retransmit");
    assertTrue(entering.ssthresh() <= peak / 2 + mss, "ssthresh " + entering.ssthresh() + " vs peak " + peak);

    // Congestion avoidance: outside recovery, at or above ssthresh, cwnd grows one MSS at a time.
    int avoidanceSteps = 0;
    for (int i = 1; i < trace.size(); i++) {
      TcpInfo a = trace.get(i - 1);
      TcpInfo b = trace.get(i);
      if (!a.inRecovery() && !b.inRecovery() && a.cwnd() >= a.ssthresh() && a.ssthresh() == b.ssthresh()
          && a.timeoutRetransmits() == b.timeoutRetransmits() && b.cwnd() > a.cwnd()) {
        assertEquals(a.cwnd() + mss, b.cwnd(), "congestion avoidance adds one MSS at a time");
        avoidanceSteps++;
      }
    }
    assertTrue(avoidanceSteps >= 5, "congestion avoidance grew the window: " + avoidanceSteps + " steps");
    TcpInfo last = trace.get(trace.size() - 1);
    assertTrue(last.fastRetransmits() > last.timeoutRetransmits(),
        "losses were mostly repaired by fast retransmit, not timeouts: " + last);
  }

  /**
   * The same path with CUBIC, the stack's default: the reduction on duplicate ACKs keeps 70% of the
   * flight (RFC 9438 §4.6's β_cubic, where NewReno keeps half); congestion avoidance grows the window
   * back a fraction of a segment per ACK (§4.2-§4.5: the target is approached by (target -
   * cwnd)/cwnd per segment, the Reno-friendly region by α/cwnd). Shape only — no wall time.
   */
  @Test
  void cubicReducesByBetaAndGrowsBackBetweenLosses() {
    Transfer t = new Transfer(12, Impairment.parse("loss=1%,delay=20ms,seed=5"), 8_000_000, 0);
    // The stack's default, CUBIC. Without SACK every ACK outside recovery acknowledges a segment or
    // two, so the steps below are per ACK (with SACK, the ACK that fills a hole found outside
    // recovery acknowledges many segments at once, and the step is that many times larger).
    t.config = TcpConfig.builder().windowScaling(false).sack(false).build();
    t.trace = new java.util.ArrayList<>();
    t.run(3600 * SECOND);
    java.util.List<TcpInfo> trace = t.trace;
    int mss = trace.get(trace.size() - 1).sendMss();
    assertTrue(trace.stream().allMatch(i -> i.congestionControl().equals("cubic")));

    // Slow start outgrows the peer's unscaled window, so the first loss finds that window in
    // flight, in whole segments: ssthresh = 0.7 of it.
    int firstLoss = indexOf(trace, TcpInfo::inRecovery);
    assertTrue(firstLoss > 0, "a loss happened");
    assertTrue(trace.subList(0, firstLoss).stream().allMatch(i -> i.ssthresh() == Integer.MAX_VALUE));
    int flight = 65_535 / mss * mss;
    assertEquals(flight * Cubic.BETA_CUBIC_TENTHS / 10, trace.get(firstLoss).ssthresh());

    int avoidanceSteps = 0;
    for (int i = 1; i < trace.size(); i++) {
      TcpInfo a = trace.get(i - 1);
      TcpInfo b = trace.get(i);
      if (!a.inRecovery() && !b.inRecovery() && a.cwnd() >= a.ssthresh() && a.ssthresh() == b.ssthresh()
          && a.timeoutRetransmits() == b.timeoutRetransmits() && b.cwnd() > a.cwnd()) {
        assertTrue(b.cwnd() - a.cwnd() < mss, "congestion avoidance grows by less than a segment per ACK: "
            + a.cwnd() + " -> " + b.cwnd());
        avoidanceSteps++;
      }
    }
    assertTrue(avoidanceSteps >= 100, "congestion avoidance grew the window: " + avoidanceSteps + " steps");
    TcpInfo last = trace.get(trace.size() - 1);
    assertTrue(last.fastRetransmits() > last.timeoutRetransmits(),
        "losses were mostly repaired by fast retransmit, not timeouts: " + last);
  }

  private static int indexOf(java.util.List<TcpInfo> trace, java.util.function.Predicate<TcpInfo> p) {
    for (int i = 0; i < trace.size(); i++) {
      if (p.test(trace.get(i))) {
        return i;
      }
    }
    return -1;
  }

  /** One connection from A to B; each side writes its stream, half-closes, reads the other's to EOF. */
  private static final class Transfer {
    TcpConfig config = TcpConfig.DEFAULT;
    final long seed;
    final Impairment impairment;
    final int aToB;
    final int bToA;
    int readChunk = 64 * 1024;
    /** B's application reads nothing before this virtual time. */
    long readPausedUntilNs = Long.MIN_VALUE;
    /** When set, A's connection is sampled at every step (only when something changed). */
    java.util.List<TcpInfo> trace;
    TcpInfo aInfo;
    TcpInfo bInfo;
    String aCounters;

    Transfer(long seed, Impairment impairment, int aToB, int bToA) {
      this.seed = seed;
      this.impairment = impairment;
      this.aToB = aToB;
      this.bToA = bToA;
    }

    void run(long limitNs) {
      // Millions of packets: Netty's paranoid leak tracker would record a stack trace at each. This
      // allocator skips it, and its metric counts live bytes exactly, checked after the close.
      UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(true, true);
      StackConfig ca = StackConfig.builder().address(A, 24).allocator(allocator)
          .isnKey(key(seed, 1)).ephemeralPortSeed((int) seed).build();
      StackConfig cb = StackConfig.builder().address(B, 24).allocator(allocator)
          .isnKey(key(seed, 2)).ephemeralPortSeed((int) seed + 1).build();
      try (SimulatedNetwork net = SimulatedNetwork.builder(ca, cb).impairment(impairment).build()) {
        NetworkStack a = net.a().stack();
        NetworkStack b = net.b().stack();
        TcpListener listener = b.tcp().listen(PORT, 4, config);
        Side sa = new Side(a.tcp().connect(B, PORT, config, net.nowNs()), stream(seed * 2, aToB), readChunk);
        Side[] sb = new Side[1];
        byte[] bData = stream(seed * 2 + 1, bToA);
        BooleanSupplier applications = () -> {
          long now = net.nowNs();
          if (sb[0] == null) {
            TcpConnection c = listener.accept();
            if (c != null) {
              sb[0] = new Side(c, bData, readChunk);
            }
          }
          sa.pump(now);
          if (sb[0] != null) {
            sb[0].pump(now, now - readPausedUntilNs >= 0 || readPausedUntilNs == Long.MIN_VALUE);
          }
          if (trace != null && sa.conn.state() != TcpState.SYN_SENT) {
            TcpInfo info = sa.conn.info();
            TcpInfo prev = trace.isEmpty() ? null : trace.get(trace.size() - 1);
            if (prev == null || prev.cwnd() != info.cwnd() || prev.ssthresh() != info.ssthresh()
                || prev.inRecovery() != info.inRecovery() || prev.timeoutRetransmits() != info.timeoutRetransmits()) {
              trace.add(info);
            }
          }
          return sb[0] != null && sa.finished() && sb[0].finished()
              && sa.conn.state() == TcpState.CLOSED && sb[0].conn.state() == TcpState.CLOSED;
        };
        // The applications act at every event and at least once per millisecond of virtual time.
        long limit = net.nowNs() + limitNs;
        boolean done = false;
        while (!done && limit - net.nowNs() > 0) {
          done = net.runUntil(applications, Math.min(limit, net.nowNs() + APPLICATION_TICK_NS));
        }
        String where = "seed " + seed + " (" + impairment + "), t=" + net.nowNs() / 1_000_000 + " ms, A " + sa + ", B " + sb[0];
        assertTrue(done, "did not finish: " + where);
        assertNotNull(sb[0], where);
        assertArrayEquals(digest(stream(seed * 2, aToB)), sb[0].received(), "A->B stream differs: " + where);
        assertArrayEquals(digest(bData), sa.received(), "B->A stream differs: " + where);
        assertEquals(aToB, sb[0].receivedBytes, where);
        assertNull(sa.conn.error(), where);
        assertNull(sb[0].conn.error(), where);
        aInfo = sa.conn.info();
        bInfo = sb[0].conn.info();
        aCounters = a.counters().toString();
        sa.conn.dispose();
        sb[0].conn.dispose();
      }
      assertEquals(0, allocator.metric().usedDirectMemory() + allocator.metric().usedHeapMemory(),
          "bytes still allocated after both stacks closed: seed " + seed);
    }
  }

  /** One side of a transfer: writes its data as the window allows, reads everything, then closes. */
  private static final class Side {
    final TcpConnection conn;
    final ByteBuf toSend;
    final ByteBuf readBuffer;
    final MessageDigest sha = SeededStream.sha256();
    final int readChunk;
    long receivedBytes;
    boolean shutdown;
    byte[] digest;

    Side(TcpConnection conn, byte[] data, int readChunk) {
      this.conn = conn;
      this.toSend = Unpooled.wrappedBuffer(data);
      this.readBuffer = Unpooled.buffer(64 * 1024);
      this.readChunk = readChunk;
    }

    void pump(long now) {
      pump(now, true);
    }

    void pump(long now, boolean read) {
      if (conn.state() != TcpState.CLOSED) {
        write(now);
      }
      if (!read) {
        return;
      }
      // Bytes received before the close stay readable after it (e.g. once TIME-WAIT ends).
      readBuffer.clear();
      int n = conn.receive(readBuffer, readChunk, now);
      if (n > 0) {
        sha.update(readBuffer.array(), readBuffer.arrayOffset(), n);
        receivedBytes += n;
      }
    }

    private void write(long now) {
      if (toSend.isReadable() && conn.canSend()) {
        conn.send(toSend, toSend.readableBytes(), now);
      }
      if (!toSend.isReadable() && !shutdown && conn.canSend()) {
        shutdown = true;
        conn.shutdownOutput(now);
      }
    }

    boolean finished() {
      return shutdown && conn.isEndOfStream();
    }

    byte[] received() {
      if (digest == null) {
        digest = sha.digest();
      }
      return digest;
    }

    @Override
    public String toString() {
      return "{" + conn.describe() + ", read " + receivedBytes + ", unsent " + toSend.readableBytes() + "}";
    }
  }

  private static byte[] key(long seed, int side) {
    byte[] k = new byte[16];
    for (int i = 0; i < 8; i++) {
      k[i] = (byte) (seed >>> (8 * i));
    }
    k[8] = (byte) side;
    return k;
  }

  private static byte[] stream(long seed, int n) {
    byte[] data = new byte[n];
    new SeededStream(seed).next(data, 0, n);
    return data;
  }

  private static byte[] digest(byte[] data) {
    return SeededStream.sha256().digest(data);
  }
}
