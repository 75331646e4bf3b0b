package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.tcp.cc.NewReno;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Segment-level tests of flow control, delayed ACKs, Nagle, congestion control and keep-alive:
 * each puts a connection in a state, feeds it segments at virtual times and asserts exactly the
 * segments it emits, and when.
 *
 * <p>The handshake completes at t=0, so its RTT sample is 0 and RTO is the 200 ms floor. The peer
 * offers a window of 29200 and an MSS of 1460; our initial congestion window is 10*MSS = 14600 (RFC
 * 6928). Data the tests write is one continuous stream whose byte {@code i} is {@code i % 251}, so
 * {@link #out} can build the segment carrying any part of it.
 */
class TcpFlowControlTest {

  static final int PEER_ISS = 10_000;
  /** The window the peer offers unless a test changes it. */
  static final int PEER_WINDOW = 29200;
  /** Our window with the default 256 KiB receive buffer: capped without window scaling. */
  static final int WINDOW = 65535;
  static final long MS = 1_000_000L;
  /**
   * The sections that assert NewReno's exact windows (fast retransmit, NewReno recovery, timeouts,
   * window growth) name it: the stack's default is CUBIC ({@link CubicWindows} has its numbers).
   */
  static final TcpConfig NEWRENO = TcpConfig.builder().congestionControl(CongestionAlgorithm.NEWRENO).build();

  final TcpHarness h = new TcpHarness();
  TcpListener listener;
  TcpConnection conn;
  int iss;
  /** The window our segments carry (the receive buffer, at most 65535). */
  int ourWindow = WINDOW;
  /** How many bytes of the stream the tests have written so far. */
  int written;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  // ------------------------------------------------------------------ fixtures

  /** A segment from the peer to the stack. */
  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, PEER_WINDOW, -1, new byte[0], null);
  }

  /** A segment from the stack to the peer, with the window we currently offer. */
  Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, ourWindow, -1, new byte[0], null);
  }

  /** A pure ACK from the peer acknowledging our stream up to {@code off} (SEQ=PEER_ISS+1). */
  static Seg peerAck(int iss, int off) {
    return peer().ack(iss + 1 + off);
  }

  Seg ackOf(int off) {
    return peerAck(iss, off);
  }

  /** Our data segment carrying stream bytes [off, off+len), acknowledging the peer's SYN. */
  Seg out(int off, int len, int flags) {
    return local().seq(iss + 1 + off).ack(PEER_ISS + 1).flags(flags).payload(stream(off, len));
  }

  /** Our pure ACK (SEQ=SND.MAX) acknowledging the peer's data up to {@code peerOff}. */
  Seg ourAck(int sndMaxOff, int peerOff) {
    return local().seq(iss + 1 + sndMaxOff).ack(PEER_ISS + 1 + peerOff);
  }

  /** Peer data carrying {@code len} bytes at offset {@code off} of its stream, acknowledging ours at {@code ackOff}. */
  Seg peerData(int off, int len, int ackOff) {
    return peer().seq(PEER_ISS + 1 + off).ack(iss + 1 + ackOff).flags(PSH | ACK).payload(stream(off, len));
  }

  static byte[] stream(int off, int len) {
    byte[] d = new byte[len];
    for (int i = 0; i < len; i++) {
      d[i] = (byte) ((off + i) % 251);
    }
    return d;
  }

  /** Writes the next {@code n} bytes of the stream; all must be taken. */
  void write(int n) {
    assertEquals(n, h.write(conn, stream(written, n)), "the send buffer took everything");
    written += n;
  }

  void established(TcpConfig config) {
    established(config, PEER_WINDOW);
  }

  /** ESTABLISHED through a passive open; the peer's SYN and ACK offer {@code peerWindow}. */
  void established(TcpConfig config, int peerWindow) {
    ourWindow = Math.min(config.receiveBufferSize(), WINDOW);
    listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460).window(peerWindow));
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    iss = synAck.get(0).seq;
    assertEquals(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS), synAck.get(0));
    h.send(peer().ack(iss + 1).window(peerWindow));
    h.expectNothing();
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(TcpState.ESTABLISHED, conn.state());
  }

  void established() {
    established(TcpConfig.DEFAULT);
  }

  int inFlight() {
    return conn.sndNxt() - conn.sndUna();
  }

  // ------------------------------------------------------------------ 1. zero window, persist timer

  @Nested
  class ZeroWindow {

    @Test
    void probesWithBackoffWhileRefusedThenSendsEverythingWhenTheWindowOpens() {
      established();
      h.send(ackOf(0).window(0));
      h.expectNothing();
      assertEquals(0, conn.info().sendWindow());
      write(3000);
      h.expectNothing(); // nothing fits in a zero window

      // RFC 1122 §4.2.2.17: the first probe after one RTO (200 ms), then exponential backoff.
      Seg probe = out(0, 1, ACK);
      long t = 0;
      long interval = 200;
      for (int i = 1; i <= 4; i++) {
        t += interval;
        h.atMs(t - 1).expectNothing();
        h.atMs(t).expect(probe);
        h.atMs(t + 1).send(ackOf(0).window(0)); // the peer refuses the byte: still closed
        h.expectNothing();
        assertEquals(i, conn.info().windowProbes());
        interval *= 2;
      }
      assertEquals(3000, t); // 200, 600, 1400, 3000
      assertEquals(4, h.counter(StackCounter.TCP_WINDOW_PROBES));

      // The window opens: the data flows at once, from the refused probe byte on.
      h.atMs(3010).send(ackOf(0).window(PEER_WINDOW));
      h.expect(out(0, 1460, ACK), out(1460, 1460, ACK), out(2920, 80, PSH | ACK));
      assertEquals(4, conn.info().windowProbes());
      h.atMs(3011).send(ackOf(3000));
      h.atMs(20_000).expectNothing(); // no more probes, nothing to retransmit
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void afterARefusedProbeAResetAndAcksCarryASequenceNumberThePeerAccepts() {
      established();
      h.send(ackOf(0).window(0));
      write(100);
      h.atMs(200).expect(out(0, 1, ACK)); // the probe: SND.MAX is now one past the peer's window
      h.atMs(201).send(ackOf(0).window(0).payload("x")); // refused; and data for us to acknowledge
      // RFC 9293 §3.10.7.4 / RFC 5961 §3.2: a peer with a closed window takes only SEQ = RCV.NXT.
      h.atMs(241).expect(local().seq(iss + 1).ack(PEER_ISS + 2)); // (a delayed ACK)
      h.abort(conn);
      h.expect(local().seq(iss + 1).flags(RST).window(0));
    }

    @Test
    void probeIntervalIsCappedAtTheMaximumRto() {
      established(TcpConfig.builder().rto(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(2)).build());
      h.send(ackOf(0).window(0));
      write(100);
      h.expectNothing();
      long[] at = {200, 600, 1400, 3000, 5000, 7000, 9000};
      for (long t : at) {
        h.atMs(t - 1).expectNothing();
        h.atMs(t).expect(out(0, 1, ACK));
        h.atMs(t + 1).send(ackOf(0).window(0));
        h.expectNothing();
      }
      assertEquals(at.length, conn.info().windowProbes());
    }

    @Test
    void aPeerThatAnswersProbesIsNeverTimedOut() {
      // RFC 1122 §4.2.2.17: the connection MUST stay open as long as the receiver answers the probes.
      established(TcpConfig.builder().rto(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(2))
          .retries(6, 3).build());
      h.send(ackOf(0).window(0));
      write(100);
      long t = 0;
      long interval = 200;
      for (int i = 1; i <= 20; i++) { // far past the 3 data retries
        t += interval;
        h.atMs(t - 1).expectNothing();
        h.atMs(t).expect(out(0, 1, ACK));
        h.atMs(t + 1).send(ackOf(0).window(0));
        h.expectNothing();
        interval = Math.min(interval * 2, 2000);
      }
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(20, conn.info().windowProbes());
      assertEquals(20, h.counter(StackCounter.TCP_WINDOW_PROBES));
      assertEquals(0, h.counter(StackCounter.TCP_TIMEOUTS));
      h.atMs(t + 10).send(ackOf(0).window(PEER_WINDOW));
      h.expect(out(0, 100, PSH | ACK));
    }

    @Test
    void aPeerThatStopsAnsweringProbesTimesOut() {
      established(TcpConfig.builder().rto(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(2))
          .retries(6, 3).build());
      h.send(ackOf(0).window(0));
      write(100);
      h.atMs(200).expect(out(0, 1, ACK));
      h.atMs(600).expect(out(0, 1, ACK));
      h.atMs(1400).expect(out(0, 1, ACK));
      List<Seg> last = h.atMs(3000).take();
      assertTrue(last.stream().allMatch(s -> (s.flags & RST) != 0), "no fourth probe: " + last);
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.TIMED_OUT, conn.error());
      assertEquals(3, conn.info().windowProbes());
    }

    @Test
    void aWindowThatShrinksToZeroUnderDataInFlightIsProbedAndNeverTimedOutWhileThePeerAnswers() {
      // The peer acknowledges the first segment and closes its window with two more in flight
      // (RFC 9293 §3.8.6 discourages shrinking; RFC 1122 §4.2.2.16: the sender MUST be robust).
      // RFC 9293 §3.8.6.1: the sender must regularly send at least one octet (new or retransmitted)
      // even though the window is zero; RFC 1122 §4.2.2.17: as long as the peer answers, the
      // connection MUST stay open.
      established(TcpConfig.builder().rto(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(2))
          .retries(6, 3).build());
      write(4380);
      h.expect(out(0, 1460, ACK), out(1460, 1460, ACK), out(2920, 1460, PSH | ACK));
      h.atMs(10).send(ackOf(1460).window(0));
      h.expectNothing();
      int answered = 0;
      long firstProbeAt = -1;
      List<Long> sentAt = new java.util.ArrayList<>();
      for (long t = 11; t <= 40_000 && conn.state() != TcpState.CLOSED; t++) {
        List<Seg> got = h.atMs(t).take();
        for (Seg s : got) {
          assertEquals(iss + 1 + 1460, s.seq, "probes and retransmissions start at SND.UNA: " + s);
          assertTrue(s.payload.length >= 1, "a probe carries data: " + s);
          if (firstProbeAt < 0) {
            firstProbeAt = t;
          }
        }
        if (!got.isEmpty()) {
          sentAt.add(t);
          h.atMs(t).send(ackOf(1460).window(0)); // answered at once, window still closed
          answered++;
        }
      }
      long first = firstProbeAt;
      int n = answered;
      org.junit.jupiter.api.Assertions.assertAll(
          () -> assertEquals(TcpState.ESTABLISHED, conn.state(),
              "timed out though every probe was answered (sent at " + sentAt + " ms): " + conn.describe()),
          () -> assertEquals(210, first, "the RTO (armed at 10 ms by the ACK) sends at least one octet at 210 ms"),
          () -> assertTrue(n >= 10, "probed regularly: " + n));
      h.atMs(40_001).send(ackOf(1460).window(PEER_WINDOW));
      h.expect(out(1460, 1460, ACK), out(2920, 1460, PSH | ACK));
    }

    @Test
    void persistStartsWhenTheLastDataInFlightIsAcknowledgedWithAZeroWindow() {
      established();
      h.send(ackOf(0).window(2920));
      write(3000);
      h.expect(out(0, 1460, ACK), out(1460, 1460, ACK)); // 80 bytes wait for window
      h.atMs(10).send(ackOf(2920).window(0));
      h.expectNothing();
      h.atMs(209).expectNothing();
      h.atMs(210).expect(out(2920, 1, ACK)); // one RTO (200 ms floor) after the window closed
      assertEquals(1, conn.info().windowProbes());
      h.atMs(211).send(ackOf(2921).window(0)); // the peer took the probe byte, but is full again
      h.expectNothing();
      h.atMs(220).send(ackOf(2921).window(1000));
      h.expect(out(2921, 79, PSH | ACK));
    }
  }

  // ------------------------------------------------------------------ 2. our receive window

  @Nested
  class ReceiveWindow {

    @Test
    void windowShrinksToZeroAndReadingReopensItAtOnce() {
      established(TcpConfig.builder().receiveBufferSize(4096).build());
      assertEquals(4096, ourWindow);

      h.send(peerData(0, 1460, 0));
      h.expectNothing(); // delayed
      h.atMs(1).send(peerData(1460, 1460, 0));
      ourWindow = 4096 - 2920;
      h.expect(ourAck(0, 2920)); // second full segment: at once, window 1176
      assertEquals(1176, conn.info().receiveWindow());

      h.atMs(2).send(peerData(2920, 1176, 0)); // fills the window exactly
      h.expectNothing();
      h.atMs(41).expectNothing();
      ourWindow = 0;
      h.atMs(42).expect(ourAck(0, 4096)); // the delayed ACK closes the window
      assertEquals(0, conn.info().receiveWindow());
      assertEquals(4096, conn.readable());

      // A zero-window probe from the peer: not acceptable, answered at once with window 0.
      h.atMs(50).send(peerData(4096, 1, 0));
      h.expect(ourAck(0, 4096));
      assertEquals(4096, conn.readable());

      // RFC 9293 §3.8.6.2.2: 1000 bytes freed is less than min(4096/2, 1460): no update.
      assertEquals(1000, h.atMs(60).read(conn, 1000).length);
      h.expectNothing();
      assertEquals(0, conn.info().receiveWindow());

      // 1460 bytes freed: the window update goes at once, not with a delayed ACK.
      assertEquals(460, h.atMs(61).read(conn, 460).length);
      ourWindow = 1460;
      h.expect(ourAck(0, 4096));
      assertEquals(1460, conn.info().receiveWindow());
      h.atMs(1000).expectNothing();
    }

    @Test
    void readingTheWholeBufferAnnouncesTheWholeWindowAtOnce() {
      established(TcpConfig.builder().receiveBufferSize(4096).build());
      h.send(peerData(0, 1460, 0));
      h.send(peerData(1460, 1460, 0));
      h.send(peerData(2920, 1176, 0));
      h.atMs(40).take();
      assertEquals(0, conn.info().receiveWindow());
      assertEquals(4096, h.atMs(50).read(conn, 10_000).length);
      h.expect(ourAck(0, 4096)); // window 4096
      assertEquals(4096, conn.info().receiveWindow());
      h.atMs(500).expectNothing();
    }

    @Test
    void readingAFewBytesDoesNotMoveTheRightEdge() {
      established(TcpConfig.builder().receiveBufferSize(4096).build());
      h.send(peerData(0, 1000, 0));
      ourWindow = 3096;
      h.atMs(40).expect(ourAck(0, 1000));

      // 100 bytes read: less than min(4096/2, 1000): no window update ...
      assertEquals(100, h.atMs(50).read(conn, 100).length);
      h.expectNothing();
      assertEquals(3096, conn.info().receiveWindow());

      // ... and the next ACK keeps the right edge where it was (RCV.NXT+RCV.WND = 4096), not 4196.
      h.atMs(60).send(peerData(1000, 100, 0));
      h.expectNothing();
      ourWindow = 2996;
      h.atMs(100).expect(ourAck(0, 1100));
    }
  }

  // ------------------------------------------------------------------ 3. sender SWS avoidance

  @Nested
  class SenderSillyWindow {

    @Test
    void aSliverIsNotSentWhileDataIsInFlightButTheOverrideTimerSendsItWhenNothingIs() {
      established();
      h.send(ackOf(0).window(2000));
      write(3000);
      // 1460 fits; the 540 left of the window is less than an MSS, less than half the largest
      // window offered (29200) and not all that is queued: RFC 9293 §3.8.6.2.1 holds it.
      h.expect(out(0, 1460, ACK));
      h.atMs(5).send(ackOf(0).window(2000)); // nothing new: still in flight, still held
      h.expectNothing();
      // Everything in flight is acknowledged; the usable window is still the 540-byte sliver.
      h.atMs(10).send(ackOf(1460).window(540));
      h.expectNothing();
      // With nothing in flight the override (persist) timer sends what the window allows.
      h.atMs(209).expectNothing();
      h.atMs(210).expect(out(1460, 540, ACK));
      assertEquals(0, conn.info().windowProbes(), "not a zero-window probe");
      h.atMs(220).send(ackOf(2000).window(2000));
      h.expect(out(2000, 1000, PSH | ACK)); // all that is left fits: it goes
    }

    @Test
    void aWindowOfAtLeastHalfTheLargestOfferIsUsedEvenBelowAnMss() {
      // RFC 9293 §3.8.6.2.1: send when at least Fs * max(SND.WND) can go, Fs = 1/2.
      established(TcpConfig.DEFAULT, 1000);
      write(3000);
      h.expect(out(0, 1000, ACK));
      h.atMs(10).send(ackOf(1000).window(550)); // 550 >= 1000/2
      h.expect(out(1000, 550, ACK));
      h.atMs(20).send(ackOf(1550).window(400)); // 400 < 500, not all queued: held ...
      h.expectNothing();
      h.atMs(219).expectNothing();
      h.atMs(220).expect(out(1550, 400, ACK)); // ... until the override timer, nothing being in flight
      h.atMs(230).send(ackOf(1950).window(1000));
      h.expect(out(1950, 1000, ACK));
      h.atMs(240).send(ackOf(2950).window(1000));
      h.expect(out(2950, 50, PSH | ACK));
    }

    @Test
    void aSmallWindowThatTakesAllTheQueuedDataIsUsed() {
      established();
      h.send(ackOf(0).window(500));
      write(300);
      h.expect(out(0, 300, PSH | ACK));
    }
  }

  // ------------------------------------------------------------------ 4. delayed ACK

  @Nested
  class DelayedAck {

    @Test
    void oneSegmentIsAcknowledgedAfterFortyMilliseconds() {
      established();
      h.send(peerData(0, 1000, 0));
      h.expectNothing();
      h.atMs(39).expectNothing();
      h.atMs(40).expect(ourAck(0, 1000));
      assertEquals(1, conn.info().delayedAcks());
      assertEquals(1, h.counter(StackCounter.TCP_DELAYED_ACKS));
      h.atMs(1000).expectNothing();
    }

    @Test
    void theSecondFullSizedSegmentIsAcknowledgedAtOnce() {
      established();
      h.send(peerData(0, 1460, 0));
      h.expectNothing();
      h.atMs(5).send(peerData(1460, 1460, 0));
      h.expect(ourAck(0, 2920));
      h.atMs(100).expectNothing(); // no delayed ACK left over
      assertEquals(0, conn.info().delayedAcks());
    }

    @Test
    void outOfOrderSegmentDrawsAnImmediateDuplicateAckAndTheGapFillAnImmediateAck() {
      established();
      h.send(peerData(1460, 1460, 0));
      h.expect(ourAck(0, 0)); // RFC 5681 §4.2: immediate duplicate ACK
      h.atMs(1).send(peerData(2920, 500, 0));
      h.expect(ourAck(0, 0));
      h.atMs(2).send(peerData(0, 500, 0)); // fills part of the gap
      h.expect(ourAck(0, 500)); // RFC 5681 §4.2: at once
      h.atMs(3).send(peerData(500, 960, 0)); // fills the rest
      h.expect(ourAck(0, 3420)); // at once
      h.atMs(100).expectNothing();
    }

    @Test
    void outOfOrderSegmentWhileAnAckIsDelayedIsAcknowledgedAtOnce() {
      established();
      h.send(peerData(0, 100, 0));
      h.expectNothing();
      h.atMs(10).send(peerData(200, 100, 0));
      h.expect(ourAck(0, 100));
      h.atMs(100).expectNothing();
    }

    @Test
    void dataFromTheApplicationCarriesTheDelayedAck() {
      established();
      h.send(peerData(0, 5, 0));
      h.expectNothing();
      h.atMs(10);
      write(5);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 6).flags(PSH | ACK).payload(stream(0, 5)));
      h.atMs(40).expectNothing(); // no separate ACK
      h.atMs(100).expectNothing();
      assertEquals(0, conn.info().delayedAcks());
    }

    @Test
    void theDelayIsConfigurable() {
      established(TcpConfig.builder().delayedAck(Duration.ofMillis(200)).build());
      h.send(peerData(0, 10, 0));
      h.atMs(199).expectNothing();
      h.atMs(200).expect(ourAck(0, 10));
    }

    @Test
    void theDelayCannotExceedFiveHundredMilliseconds() {
      // RFC 5681 §4.2: an ACK MUST be generated within 500 ms of the arrival of the first unacknowledged packet.
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> TcpConfig.builder().delayedAck(Duration.ofMillis(501)));
    }

    @Test
    void zeroDelayAcknowledgesEverySegmentAtOnce() {
      established(TcpConfig.builder().delayedAck(Duration.ZERO).build());
      h.send(peerData(0, 10, 0));
      h.expect(ourAck(0, 10));
    }
  }

  // ------------------------------------------------------------------ 5. Nagle

  @Nested
  class Nagle {

    @Test
    void smallWritesWaitForTheAckOfTheSmallSegmentInFlightAndAreCoalesced() {
      established();
      write(100);
      h.expect(out(0, 100, PSH | ACK));
      write(50);
      h.expectNothing();
      write(50);
      h.expectNothing();
      h.atMs(20).expectNothing();
      h.atMs(30).send(ackOf(100));
      h.expect(out(100, 100, PSH | ACK)); // one segment for both writes
    }

    @Test
    void noDelaySendsWhatWasHeldAndLaterSmallWritesAtOnce() {
      established();
      write(100);
      h.expect(out(0, 100, PSH | ACK));
      write(50);
      h.expectNothing();
      conn.setNoDelay(true, h.now());
      h.expect(out(100, 50, PSH | ACK));
      write(30);
      h.expect(out(150, 30, PSH | ACK));
      assertTrue(conn.noDelay());
    }

    @Test
    void noDelayFromTheConfigSendsSmallWritesAtOnce() {
      established(TcpConfig.builder().noDelay(true).build());
      write(100);
      h.expect(out(0, 100, PSH | ACK));
      write(50);
      h.expect(out(100, 50, PSH | ACK));
    }

    @Test
    void heldDataGoesAsSoonAsAFullSegmentCanBeSent() {
      // RFC 9293 §3.7.4: buffer until the outstanding data is acknowledged or a full segment can be sent.
      established();
      write(100);
      h.expect(out(0, 100, PSH | ACK));
      write(50);
      h.expectNothing();
      write(1460);
      h.expect(out(100, 1460, ACK)); // the 50 bytes left over wait: the small segment is still out
      h.atMs(10).send(ackOf(100));
      h.expect(out(1560, 50, PSH | ACK));
    }

    @Test
    void theTailOfALargeWriteIsNotHeld() {
      established();
      write(3000);
      h.expect(out(0, 1460, ACK), out(1460, 1460, ACK), out(2920, 80, PSH | ACK));
    }

    @Test
    void minshallHoldsASmallSegmentOnlyWhileAnotherSmallOneIsUnacknowledged() {
      established();
      write(2920);
      h.expect(out(0, 1460, ACK), out(1460, 1460, PSH | ACK));
      write(100); // only full-sized segments in flight: goes at once
      h.expect(out(2920, 100, PSH | ACK));
      write(50); // now a small segment is in flight: held
      h.expectNothing();
      h.atMs(10).send(ackOf(2920)); // the full segments acknowledged, not the small one
      h.expectNothing();
      h.atMs(20).send(ackOf(3020));
      h.expect(out(3020, 50, PSH | ACK));
    }

    @Test
    void shutdownOutputSendsHeldDataBeforeOrWithTheFin() {
      established();
      write(100);
      h.expect(out(0, 100, PSH | ACK));
      write(50);
      h.expectNothing();
      h.shutdownOutput(conn);
      List<Seg> got = h.take();
      List<Seg> separate = List.of(out(100, 50, PSH | ACK), local().seq(iss + 151).ack(PEER_ISS + 1).flags(FIN | ACK));
      List<Seg> together = List.of(out(100, 50, FIN | PSH | ACK));
      assertTrue(got.equals(separate) || got.equals(together), "held data then FIN, got " + got);
    }
  }

  // ------------------------------------------------------------------ 6. what is a duplicate ACK

  @Nested
  class DuplicateAckDefinition {
    // RFC 5681 §2: outstanding data, no data in the ACK, SYN and FIN off, ACK = the greatest
    // received, and the same window as the last ACK.

    void threeSegmentsInFlight() {
      established();
      write(3000);
      h.expect(out(0, 1460, ACK), out(1460, 1460, ACK), out(2920, 80, PSH | ACK));
    }

    @Test
    void threeIdenticalPureAcksAreDuplicatesAndTheThirdRetransmits() {
      threeSegmentsInFlight();
      h.atMs(10).send(ackOf(0));
      h.atMs(11).send(ackOf(0));
      h.expectNothing();
      h.atMs(12).send(ackOf(0));
      h.expect(out(0, 1460, ACK));
      assertEquals(3, conn.info().duplicateAcks());
      assertEquals(3, h.counter(StackCounter.TCP_DUP_ACKS_IN));
    }

    @Test
    void acksCarryingDataAreNotDuplicates() {
      threeSegmentsInFlight();
      for (int i = 0; i < 4; i++) {
        h.atMs(10 + i).send(peerData(i, 1, 0));
      }
      h.expectNothing(); // no retransmission (and our ACK is delayed)
      assertEquals(0, conn.info().duplicateAcks());
      assertEquals(0, conn.info().fastRetransmits());
    }

    @Test
    void acksWithAChangingWindowAreNotDuplicates() {
      threeSegmentsInFlight();
      h.atMs(10).send(ackOf(0).window(30000));
      h.atMs(11).send(ackOf(0).window(31000));
      h.atMs(12).send(ackOf(0).window(30500));
      h.atMs(13).send(ackOf(0).window(32000));
      h.expectNothing();
      assertEquals(0, conn.info().duplicateAcks());
      assertEquals(0, conn.info().fastRetransmits());
    }

    @Test
    void aWindowUpdateIsNotADuplicateButIdenticalAcksAfterItAre() {
      threeSegmentsInFlight();
      h.atMs(10).send(ackOf(0).window(40000)); // window update
      assertEquals(0, conn.info().duplicateAcks());
      h.atMs(11).send(ackOf(0).window(40000));
      h.atMs(12).send(ackOf(0).window(40000));
      h.expectNothing();
      assertEquals(2, conn.info().duplicateAcks());
      h.atMs(13).send(ackOf(0).window(40000));
      h.expect(out(0, 1460, ACK));
      assertEquals(3, conn.info().duplicateAcks());
    }

    @Test
    void aFinIsNotADuplicate() {
      threeSegmentsInFlight();
      h.atMs(10).send(ackOf(0).flags(FIN | ACK));
      h.expect(ourAck(3000, 1)); // our ACK of the FIN, SEQ=SND.MAX
      assertEquals(0, conn.info().duplicateAcks());
    }

    @Test
    void withNothingOutstandingNoAckIsADuplicate() {
      established();
      for (int i = 0; i < 4; i++) {
        h.atMs(10 + i).send(ackOf(0));
      }
      h.expectNothing();
      assertEquals(0, conn.info().duplicateAcks());
      assertEquals(0, h.counter(StackCounter.TCP_DUP_ACKS_IN));
    }
  }

  // ------------------------------------------------------------------ 6b. limited transmit

  @Nested
  class LimitedTransmit {
    // RFC 3042 (RFC 5681 §3.2 SHOULD): the first and second duplicate ACKs each let one new
    // segment go beyond cwnd; cwnd does not change.

    @Test
    void eachOfTheFirstTwoDuplicatesReleasesOneNewSegment() {
      established();
      write(14600 + 3 * MSS); // the initial window, and three segments waiting behind it
      assertEquals(10, h.take().size(), "the initial window (RFC 6928)");
      h.atMs(10).send(ackOf(0));
      h.expect(out(14600, MSS, ACK));
      assertEquals(14600, conn.info().cwnd(), "cwnd unchanged");
      h.atMs(11).send(ackOf(0));
      h.expect(out(14600 + MSS, MSS, ACK));
      h.atMs(12).send(ackOf(0));
      h.expect(out(0, MSS, ACK)); // the third: fast retransmit, not limited transmit
      assertEquals(1, conn.info().fastRetransmits());
    }
  }

  // ------------------------------------------------------------------ 7. fast retransmit

  @Nested
  class FastRetransmit {

    @Test
    void theThirdDuplicateAckRetransmitsAndEntersRecovery() {
      established(NEWRENO);
      write(14600);
      assertEquals(10, h.take().size(), "the initial window (RFC 6928)");
      h.atMs(10).send(ackOf(0));
      h.expectNothing();
      h.atMs(11).send(ackOf(0));
      h.expectNothing();
      assertEquals(0, conn.info().fastRetransmits());
      h.atMs(12).send(ackOf(0));
      h.expect(out(0, 1460, ACK)); // the first unacknowledged segment, only
      TcpInfo info = conn.info();
      assertEquals(1, info.fastRetransmits());
      assertEquals(1, h.counter(StackCounter.TCP_FAST_RETRANSMITS));
      assertEquals(1, info.retransmittedSegments());
      assertEquals(0, info.timeoutRetransmits());
      assertTrue(info.inRecovery());
      // RFC 5681 §3.2 steps 2-3: ssthresh = max(FlightSize/2, 2*SMSS) = 7300; cwnd = ssthresh + 3*SMSS.
      assertEquals(7300, info.ssthresh());
      assertEquals(7300 + 3 * MSS, info.cwnd());
    }

    @Test
    void furtherDuplicateAcksInflateTheWindowAndReleaseNewData() {
      established(NEWRENO);
      write(14600);
      h.take();
      for (int i = 0; i < 3; i++) {
        h.atMs(10 + i).send(ackOf(0));
      }
      h.expect(out(0, 1460, ACK));
      write(7300); // 5 more segments queued; 14600 in flight > cwnd 11680: nothing goes
      h.expectNothing();
      // RFC 5681 §3.2 step 4: +1 SMSS per further duplicate ACK.
      h.atMs(20).send(ackOf(0));
      h.expectNothing();
      assertEquals(11680 + MSS, conn.info().cwnd());
      h.atMs(21).send(ackOf(0));
      h.expectNothing();
      assertEquals(11680 + 2 * MSS, conn.info().cwnd());
      // Step 5: cwnd (16060) now exceeds what is outstanding (14600): one new segment.
      h.atMs(22).send(ackOf(0));
      h.expect(out(14600, 1460, ACK));
      h.atMs(23).send(ackOf(0));
      h.expect(out(16060, 1460, ACK));
      assertEquals(1, conn.info().fastRetransmits());
      assertEquals(7300, conn.info().ssthresh());
      assertEquals(7, conn.info().duplicateAcks());
    }

    @Test
    void ssthreshIsAtLeastTwoSegments() {
      established(NEWRENO);
      write(3 * MSS);
      h.take();
      for (int i = 0; i < 3; i++) {
        h.atMs(10 + i).send(ackOf(0));
      }
      h.expect(out(0, 1460, ACK));
      assertEquals(2 * MSS, conn.info().ssthresh()); // max(4380/2, 2920)
      assertEquals(5 * MSS, conn.info().cwnd());
    }
  }

  // ------------------------------------------------------------------ 8. NewReno

  @Nested
  class NewRenoRecovery {

    /**
     * Ten segments in flight, segments 0 and 5 lost. Eight duplicate ACKs (for 1-4 and 6-9): the
     * third retransmits segment 0; five more written segments are released by the inflation.
     */
    void twoHoles() {
      established(NEWRENO);
      write(14600);
      h.take();
      for (int i = 0; i < 3; i++) {
        h.atMs(10 + i).send(ackOf(0));
      }
      h.expect(out(0, 1460, ACK));
      write(7300); // segments 10-14
      h.atMs(13).send(ackOf(0));
      h.atMs(14).send(ackOf(0));
      h.expectNothing();
      h.atMs(15).send(ackOf(0));
      h.expect(out(14600, 1460, ACK)); // segment 10
      h.atMs(16).send(ackOf(0));
      h.expect(out(16060, 1460, ACK)); // 11
      h.atMs(17).send(ackOf(0));
      h.expect(out(17520, 1460, ACK)); // 12
      assertEquals(7300 + 8 * MSS, conn.info().cwnd());
    }

    @Test
    void aPartialAckRetransmitsTheNextHoleAtOnce() {
      twoHoles();
      // The retransmitted segment 0 arrives: the peer acknowledges 0-4, segment 5 is missing.
      h.atMs(30).send(ackOf(7300));
      // RFC 6582 §3.2 step 5 (partial): retransmit the first unacknowledged segment, deflate cwnd
      // by the amount acknowledged and add back one SMSS, send new data if cwnd allows.
      List<Seg> got = h.take();
      assertEquals(out(7300, 1460, ACK), got.get(0), "the next hole, retransmitted at once");
      assertEquals(18980 - 7300 + MSS, conn.info().cwnd());
      assertEquals(List.of(out(7300, 1460, ACK), out(18980, 1460, ACK)), got);
      assertTrue(conn.info().inRecovery());
      assertEquals(1, conn.info().fastRetransmits());
      assertEquals(7300, conn.info().ssthresh());
    }

    @Test
    void aFullAckEndsRecoveryWithTheRfc6582Window() {
      twoHoles();
      h.atMs(30).send(ackOf(7300));
      h.take(); // segment 5 again, and segment 13
      // Segment 5 arrives: the ACK covers everything up to "recover" (and 10-12).
      h.atMs(40).send(ackOf(18980));
      TcpInfo info = conn.info();
      assertFalse(info.inRecovery());
      // cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), FlightSize = segment 13 = 1460.
      assertEquals(Math.min(7300, Math.max(MSS, MSS) + MSS), info.cwnd());
      assertEquals(7300, info.ssthresh());
      h.expect(out(20440, 1460, PSH | ACK)); // segment 14 fits the new window
      assertEquals(1, info.fastRetransmits());
      assertEquals(2, info.retransmittedSegments());
    }

    @Test
    void theFirstPartialAckRestartsTheRetransmissionTimer() {
      twoHoles(); // the timer was started at t=0 and would expire at 200
      h.atMs(30).send(ackOf(7300));
      h.take();
      h.atMs(200).expectNothing();
      h.atMs(229).expectNothing();
      h.atMs(230).expect(out(7300, 1460, ACK)); // RFC 6582 §3.2 step 5: restarted at 30 (+200 ms)
      TcpInfo info = conn.info();
      assertEquals(1, info.timeoutRetransmits());
      assertFalse(info.inRecovery(), "RFC 6582 §3.2 step 6: a timeout ends fast recovery");
      assertEquals(MSS, info.cwnd());
    }

    @Test
    void duplicateAcksAfterAPartialAckDoNotReduceTheWindowAgain() {
      twoHoles();
      h.atMs(30).send(ackOf(7300));
      h.take();
      // The peer still misses 5 and answers later arrivals with duplicate ACKs of 7300: losses of
      // the same window of data, so no new fast retransmit and no second reduction.
      h.atMs(31).send(ackOf(7300));
      h.expect(out(20440, 1460, PSH | ACK)); // inflation releases segment 14
      h.atMs(32).send(ackOf(7300));
      h.atMs(33).send(ackOf(7300));
      h.expectNothing(); // no second fast retransmit of segment 5
      TcpInfo info = conn.info();
      assertEquals(1, info.fastRetransmits());
      assertEquals(7300, info.ssthresh(), "one reduction per window of data (RFC 6582)");
      assertTrue(info.inRecovery());
      h.atMs(40).send(ackOf(21900));
      info = conn.info();
      assertFalse(info.inRecovery());
      assertEquals(Math.min(7300, MSS + MSS), info.cwnd()); // FlightSize 0
      assertEquals(7300, info.ssthresh());
      h.expectNothing();
    }
  }

  // ------------------------------------------------------------------ 9. retransmission timeout

  @Nested
  class RetransmissionTimeout {

    @Test
    void timeoutCollapsesCwndToOneSegmentAndResendsInSlowStart() {
      established(NEWRENO);
      write(14600);
      h.take();
      h.atMs(199).expectNothing();
      h.atMs(200).expect(out(0, 1460, ACK)); // only the first segment
      TcpInfo info = conn.info();
      assertEquals(MSS, info.cwnd()); // RFC 5681 §3.1: LW = 1 SMSS
      assertEquals(7300, info.ssthresh()); // max(FlightSize/2, 2*SMSS)
      assertEquals(1, info.timeoutRetransmits());
      assertEquals(1, h.counter(StackCounter.TCP_RTO_EXPIRIES));
      h.atMs(209).expectNothing();

      h.atMs(210).send(ackOf(1460));
      h.expect(out(1460, 1460, ACK), out(2920, 1460, ACK));
      assertEquals(2 * MSS, conn.info().cwnd());
      h.atMs(220).send(ackOf(4380));
      h.expect(out(4380, 1460, ACK), out(5840, 1460, ACK), out(7300, 1460, ACK));
      assertEquals(3 * MSS, conn.info().cwnd());
      h.atMs(230).send(ackOf(8760));
      h.expect(out(8760, 1460, ACK), out(10220, 1460, ACK), out(11680, 1460, ACK), out(13140, 1460, PSH | ACK));
      assertEquals(4 * MSS, conn.info().cwnd());
      h.atMs(240).send(ackOf(14600));
      h.expectNothing();
      assertEquals(5 * MSS, conn.info().cwnd());
      assertEquals(1, conn.info().timeoutRetransmits());
      assertEquals(0, conn.info().fastRetransmits());
    }

    @Test
    void aSecondTimeoutBacksOffAndKeepsSsthresh() {
      established(NEWRENO);
      write(14600);
      h.take();
      h.atMs(200).expect(out(0, 1460, ACK));
      h.atMs(599).expectNothing();
      h.atMs(600).expect(out(0, 1460, ACK)); // RFC 6298 §5.5: RTO doubled to 400 ms; still one segment
      TcpInfo info = conn.info();
      assertEquals(MSS, info.cwnd());
      assertEquals(7300, info.ssthresh(), "RFC 5681 §3.1: held constant for a segment already retransmitted by the timer");
      assertEquals(2, info.timeoutRetransmits());
    }

    @Test
    void ssthreshAfterATimeoutIsAtLeastTwoSegments() {
      established(NEWRENO);
      write(1000);
      h.expect(out(0, 1000, PSH | ACK));
      h.atMs(200).expect(out(0, 1000, PSH | ACK));
      assertEquals(MSS, conn.info().cwnd());
      assertEquals(2 * MSS, conn.info().ssthresh());
    }
  }

  // ------------------------------------------------------------------ 9b. CUBIC, the default

  @Nested
  class CubicWindows {
    // RFC 9438 §4.6 and §4.8 through the connection: β_cubic = 0.7 of the flight where NewReno takes half.

    @Test
    void theThirdDuplicateAckKeepsSeventyPercentOfTheFlight() {
      established();
      assertEquals("cubic", conn.info().congestionControl());
      write(14600);
      assertEquals(10, h.take().size(), "the initial window (RFC 6928)");
      for (int i = 0; i < 2; i++) {
        h.atMs(10 + i).send(ackOf(0));
        h.expectNothing();
      }
      h.atMs(12).send(ackOf(0));
      h.expect(out(0, 1460, ACK));
      TcpInfo info = conn.info();
      assertTrue(info.inRecovery());
      assertEquals(10220, info.ssthresh(), "max(FlightSize·0.7, 2·SMSS)");
      assertEquals(10220 + 3 * MSS, info.cwnd(), "RFC 5681 §3.2 step 3");
      // Step 4: one more duplicate inflates cwnd past what is outstanding: one new segment.
      write(MSS);
      h.atMs(13).send(ackOf(0));
      h.expect(out(14600, 1460, PSH | ACK));
      assertEquals(10220 + 4 * MSS, conn.info().cwnd());
    }

    @Test
    void aTimeoutKeepsSeventyPercentAndResendsOneSegment() {
      established();
      write(14600);
      h.take();
      h.atMs(200).expect(out(0, 1460, ACK));
      TcpInfo info = conn.info();
      assertEquals(MSS, info.cwnd()); // RFC 5681 §3.1 LW, as RFC 9438 §4.8 says
      assertEquals(10220, info.ssthresh());
      h.atMs(600).expect(out(0, 1460, ACK)); // backed off; ssthresh held
      assertEquals(10220, conn.info().ssthresh());
      h.atMs(610).send(ackOf(1460));
      h.expect(out(1460, 1460, ACK), out(2920, 1460, ACK));
      assertEquals(2 * MSS, conn.info().cwnd(), "slow start after a timeout: one SMSS per ACK");
    }
  }

  // ------------------------------------------------------------------ 9c. choosing the algorithm

  @Nested
  class CongestionControlChoice {

    @Test
    void aTcpConfigNamesTheAlgorithmOfItsConnections() {
      established(TcpConfig.builder().congestionControl("newreno").build());
      assertEquals("newreno", conn.congestionControl());
      assertEquals("newreno", conn.info().congestionControl());
      assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().congestionControl("reno"));
    }

    @Test
    void aStackCanDefaultToNewRenoAndAConnectionStillChooseCubic() {
      try (TcpHarness other = new TcpHarness(b -> b.congestionControl(CongestionAlgorithm.NEWRENO))) {
        TcpConnection a = other.connect(PEER_PORT, TcpConfig.DEFAULT);
        TcpConnection b = other.connect(PEER_PORT, TcpConfig.builder().congestionControl(CongestionAlgorithm.CUBIC).build());
        assertEquals("newreno", a.congestionControl());
        assertEquals("cubic", b.congestionControl());
        a.abort(other.now());
        b.abort(other.now());
        a.dispose();
        b.dispose();
      }
    }

    @Test
    void switchedBeforeTheHandshakeTheNewAlgorithmStartsWithTheInitialWindow() {
      conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
      iss = h.take().get(0).seq;
      conn.setCongestionControl(new NewReno(), h.now());
      assertEquals("newreno", conn.congestionControl());
      h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, PEER_WINDOW, MSS, new byte[0], null));
      h.take();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(14600, conn.info().cwnd());
      assertEquals(Integer.MAX_VALUE, conn.info().ssthresh());
    }

    @Test
    void switchedWhileEstablishedTheNewAlgorithmTakesOverTheWindow() {
      established();
      write(14600);
      h.take();
      h.atMs(200).expect(out(0, 1460, ACK)); // CUBIC: cwnd 1460, ssthresh 10220
      h.atMs(210).send(ackOf(1460));
      h.take();
      assertEquals(2 * MSS, conn.info().cwnd());
      conn.setCongestionControl(new NewReno(), h.now());
      TcpInfo info = conn.info();
      assertEquals("newreno", info.congestionControl());
      assertEquals(2 * MSS, info.cwnd());
      assertEquals(10220, info.ssthresh());
      h.atMs(220).send(ackOf(4380));
      h.take();
      assertEquals(3 * MSS, conn.info().cwnd(), "NewReno's slow start goes on from there");
    }

    @Test
    void everyRttSampleReachesTheCongestionControl() {
      List<Long> samples = new java.util.ArrayList<>();
      established(TcpConfig.builder().congestionControl(() -> new ForwardingNewReno(samples)).build());
      assertEquals(List.of(0L), samples, "the handshake's");
      write(MSS);
      h.take();
      h.atMs(30).send(ackOf(MSS));
      assertEquals(List.of(0L, 30 * MS), samples);
    }
  }

  /** NewReno that records the RTT samples it hears of. */
  static final class ForwardingNewReno implements io.tcpstack.tcp.cc.CongestionControl {
    final NewReno d = new NewReno();
    final List<Long> samples;

    ForwardingNewReno(List<Long> samples) {
      this.samples = samples;
    }

    @Override
    public void onRttSample(long rttNs, long nowNs) {
      samples.add(rttNs);
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void start(int mss, long nowNs) {
      d.start(mss, nowNs);
    }

    @Override
    public void resume(int mss, int cwnd, int ssthresh, long nowNs) {
      d.resume(mss, cwnd, ssthresh, nowNs);
    }

    @Override
    public int cwnd() {
      return d.cwnd();
    }

    @Override
    public int ssthresh() {
      return d.ssthresh();
    }

    @Override
    public void onAck(int ackedBytes, int flightBeforeAck, long nowNs) {
      d.onAck(ackedBytes, flightBeforeAck, nowNs);
    }

    @Override
    public void onEnterRecovery(int flightSize, long nowNs) {
      d.onEnterRecovery(flightSize, nowNs);
    }

    @Override
    public void onDuplicateAckInRecovery() {
      d.onDuplicateAckInRecovery();
    }

    @Override
    public void onPartialAck(int ackedBytes) {
      d.onPartialAck(ackedBytes);
    }

    @Override
    public void onExitRecovery(int flightSize, long nowNs) {
      d.onExitRecovery(flightSize, nowNs);
    }

    @Override
    public void onRetransmitTimeout(int flightSize, long nowNs) {
      d.onRetransmitTimeout(flightSize, nowNs);
    }
  }

  // ------------------------------------------------------------------ 10. slow start, congestion avoidance

  @Nested
  class WindowGrowth {

    @Test
    void slowStartAddsOneSegmentPerAck() {
      established(NEWRENO);
      h.send(ackOf(0).window(WINDOW)); // the receiver's window does not limit
      write(40 * MSS);
      assertEquals(10, h.take().size());
      assertEquals(Integer.MAX_VALUE, conn.info().ssthresh());
      for (int k = 1; k <= 8; k++) {
        h.atMs(10 + k).send(ackOf(k * MSS).window(WINDOW));
        List<Seg> got = h.take();
        assertEquals(14600 + k * MSS, conn.info().cwnd(), "RFC 5681 §3.1 equation 2, ACK " + k);
        assertEquals(2, got.size(), "each ACK releases the acknowledged segment and one more");
        assertEquals(conn.info().cwnd(), inFlight());
      }
    }

    @Test
    void aboveSsthreshTheWindowGrowsAboutOneSegmentPerWindow() {
      established(NEWRENO);
      write(60 * MSS);
      assertEquals(10, h.take().size());
      h.atMs(200).expect(out(0, 1460, ACK)); // timeout: cwnd 1460, ssthresh 7300
      assertEquals(7300, conn.info().ssthresh());

      // The whole first flight was lost: the peer acknowledges one segment at a time.
      int acked = 0;
      long t = 210;
      // Slow start: 1460 -> 2920 -> 4380 -> 5840 -> 7300.
      for (int k = 2; k <= 5; k++) {
        acked += MSS;
        h.atMs(t++).send(ackOf(acked));
        h.take();
        assertEquals(k * MSS, conn.info().cwnd());
        assertEquals(k * MSS, inFlight());
      }
      // Congestion avoidance: over the next window's worth of ACKs (7300 bytes), cwnd grows by
      // about one SMSS (RFC 5681 §3.1), never more; one more window, about one more.
      int start = conn.info().cwnd();
      int prev = start;
      for (int i = 0; i < start / MSS; i++) {
        acked += MSS;
        h.atMs(t++).send(ackOf(acked));
        h.take();
        int cwnd = conn.info().cwnd();
        assertTrue(cwnd >= prev && cwnd - start <= MSS, "cwnd " + cwnd + " after CA ACK " + i);
        assertTrue(inFlight() <= cwnd && inFlight() > cwnd - MSS, "the sender fills cwnd: " + inFlight());
        prev = cwnd;
      }
      int afterOneWindow = conn.info().cwnd();
      assertTrue(afterOneWindow - start >= MSS * 9 / 10, "about one SMSS per window: " + start + " -> " + afterOneWindow);
      int second = afterOneWindow;
      for (int i = 0; i < second / MSS; i++) {
        acked += MSS;
        h.atMs(t++).send(ackOf(acked));
        h.take();
      }
      int afterTwo = conn.info().cwnd();
      assertTrue(afterTwo - afterOneWindow >= MSS * 8 / 10 && afterTwo - afterOneWindow <= MSS,
          "about one SMSS in the second window: " + afterOneWindow + " -> " + afterTwo);
      assertEquals(7300, conn.info().ssthresh());
    }
  }

  // ------------------------------------------------------------------ 11. keep-alive

  @Nested
  class KeepAlive {

    final TcpConfig keepAlive = TcpConfig.builder()
        .keepAlive(Duration.ofSeconds(10), Duration.ofSeconds(1), 3).build();

    Seg probe() {
      // RFC 1122 §4.2.3.6: <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data.
      return local().seq(iss).ack(PEER_ISS + 1).flags(ACK);
    }

    @Test
    void offByDefault() {
      established();
      h.atMs(Duration.ofHours(2).toMillis()).expectNothing();
      h.atMs(Duration.ofHours(2).toMillis() + 75_000).expectNothing();
      h.atMs(Duration.ofHours(5).toMillis()).expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(0, conn.info().keepAliveProbes());
    }

    @Test
    void probeAfterTheIdleTimeAndAnAnsweringPeerKeepsTheConnection() {
      established(keepAlive);
      h.atMs(9_999).expectNothing();
      h.atMs(10_000).expect(probe());
      h.atMs(10_005).send(ackOf(0)); // the peer answers
      h.expectNothing();
      h.atMs(11_000).expectNothing(); // no second probe at the interval: the peer is alive
      h.atMs(20_004).expectNothing();
      h.atMs(20_005).expect(probe()); // idle again for 10 s
      h.atMs(20_006).send(ackOf(0));
      h.expectNothing();
      h.atMs(30_005).expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(2, conn.info().keepAliveProbes());
      assertEquals(2, h.counter(StackCounter.TCP_KEEPALIVE_PROBES));
    }

    @Test
    void idleTimeCountsFromTheLastSegmentReceived() {
      established(keepAlive);
      h.atMs(5_000).send(peerData(0, 10, 0));
      h.atMs(5_040).expect(ourAck(0, 10)); // delayed ACK
      h.atMs(14_999).expectNothing();
      h.atMs(15_000).expect(local().seq(iss).ack(PEER_ISS + 11).flags(ACK));
    }

    @Test
    void unansweredProbesCloseTheConnectionAsTimedOut() {
      established(keepAlive);
      h.atMs(10_000).expect(probe());
      h.atMs(10_999).expectNothing();
      h.atMs(11_000).expect(probe());
      h.atMs(12_000).expect(probe());
      assertEquals(TcpState.ESTABLISHED, conn.state());
      List<Seg> last = h.atMs(13_000).take();
      assertTrue(last.stream().allMatch(s -> (s.flags & RST) != 0), "no fourth probe: " + last);
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.TIMED_OUT, conn.error());
      assertEquals(3, conn.info().keepAliveProbes());
      assertEquals(3, h.counter(StackCounter.TCP_KEEPALIVE_PROBES));
      assertEquals(1, h.counter(StackCounter.TCP_KEEPALIVE_TIMEOUTS));
    }

    @Test
    void setKeepAliveTurnsItOnForAnOpenConnection() {
      established(keepAlive.toBuilder().keepAlive(false).build());
      h.atMs(60_000).expectNothing();
      conn.setKeepAlive(true, h.now());
      h.atMs(69_999).expectNothing();
      h.atMs(70_000).expect(probe());
    }
  }
}
