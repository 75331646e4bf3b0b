package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.Seg.URG;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Segment-level tests of the RFC 9293 state machine: each puts a connection in a state, feeds it
 * segments at virtual times and asserts exactly the segments it emits.
 */
class TcpConnectionTest extends ConnectionFixture {

  // ------------------------------------------------------------------ CLOSED

  @Nested
  class ClosedPort {
    @Test
    void synToClosedPortDrawsRstAck() {
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460).ports(PEER_PORT, 8));
      h.expect(new Seg(8, PEER_PORT, 0, PEER_ISS + 1, RST | ACK, 0, -1, new byte[0], null));
      assertEquals(1, h.counter(StackCounter.TCP_NO_PORT));
    }

    @Test
    void ackToClosedPortDrawsRstAtItsAck() {
      h.send(peer().ack(777).ports(PEER_PORT, 8));
      h.expect(new Seg(8, PEER_PORT, 777, 0, RST, 0, -1, new byte[0], null));
    }

    @Test
    void dataWithoutAckDrawsRstAcknowledgingIt() {
      h.send(peer().seq(5).flags(PSH).payload("abc").ports(PEER_PORT, 8));
      h.expect(new Seg(8, PEER_PORT, 0, 8, RST | ACK, 0, -1, new byte[0], null));
    }

    @Test
    void rstToClosedPortIsIgnored() {
      h.send(peer().flags(RST).ports(PEER_PORT, 8));
      h.expectNothing();
    }

    @Test
    void badChecksumIsDroppedAndCounted() {
      byte[] t = peer().flags(SYN).toBytes(Packets.HOST, Packets.STACK);
      t[17] ^= 1;
      byte[] p = Packets.ipv4(Packets.HOST, Packets.STACK, 6, t);
      io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(p);
      try {
        h.stack().receive(b, 0);
      } finally {
        b.release();
      }
      h.expectNothing();
      assertEquals(1, h.counter(StackCounter.TCP_IN_BAD_CHECKSUM));
    }
  }

  // ------------------------------------------------------------------ LISTEN

  @Nested
  class Listen {
    @Test
    void synDrawsSynAckWithOurMss() {
      synReceived(TcpConfig.DEFAULT);
      assertEquals(1, h.counter(StackCounter.TCP_PASSIVE_OPENS));
    }

    @Test
    void synAckOffersTheFullWindowWhateverThePeersIsn() {
      // Regression: the offered right edge started at 0, so a peer ISN just below 2^32 made the
      // SYN-ACK offer a few thousand bytes (found by the 100 MB test against Linux).
      h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(-5000).flags(SYN).mss(1460));
      List<Seg> out = h.take();
      assertEquals(1, out.size());
      assertEquals(local().seq(out.get(0).seq).ack(-4999).flags(SYN | ACK).mss(MSS), out.get(0));
    }

    @Test
    void ackDrawsRst() {
      h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().ack(4242));
      h.expect(local().seq(4242).flags(RST).window(0));
    }

    @Test
    void rstIsIgnored() {
      h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().flags(RST));
      h.expectNothing();
    }

    @Test
    void segmentWithoutSynOrAckIsDropped() {
      h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().flags(PSH).payload("x"));
      h.expectNothing();
    }

    @Test
    void aFullAcceptQueueDropsNewSyns() {
      listener = h.listen(LOCAL_PORT, 1, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN));
      int synAck = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS + 1).ack(synAck + 1)); // established, waiting in the accept queue
      h.expectNothing();
      h.send(peer().seq(PEER_ISS).flags(SYN).ports(PEER_PORT + 1, LOCAL_PORT));
      h.expectNothing(); // not admitted: the client retransmits its SYN later
      assertEquals(1, h.counter(StackCounter.TCP_LISTEN_OVERFLOWS));
      assertNotNull(listener.accept());
      h.send(peer().seq(PEER_ISS).flags(SYN).ports(PEER_PORT + 1, LOCAL_PORT));
      assertEquals(1, h.take().size(), "admitted once accept() made room");
    }

    @Test
    void halfOpenConnectionsWaitInTheSynQueueNotTheAcceptQueue() {
      listener = h.listen(LOCAL_PORT, 1, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN));
      int first = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS).flags(SYN).ports(PEER_PORT + 1, LOCAL_PORT));
      int second = h.take().get(0).seq; // both half-open: the SYN queue is separate (Linux's two queues)
      h.send(peer().seq(PEER_ISS + 1).ack(first + 1));
      h.send(peer().seq(PEER_ISS + 1).ack(second + 1).ports(PEER_PORT + 1, LOCAL_PORT));
      h.expectNothing(); // the accept queue is full: that ACK is dropped, the connection stays half-open
      assertEquals(1, h.counter(StackCounter.TCP_LISTEN_OVERFLOWS));
      assertEquals(1, listener.pending());
      assertNotNull(listener.accept());
      h.send(peer().seq(PEER_ISS + 1).ack(second + 1).ports(PEER_PORT + 1, LOCAL_PORT));
      assertEquals(1, listener.pending(), "the peer's next ACK finds room");
    }

    @Test
    void listeningTwiceOnAPortIsAnError() {
      h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT));
      assertTrue(e.getMessage().contains("already listening"), e.getMessage());
    }

    @Test
    void closedListenerRefuses() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      listener.close(h.now());
      h.send(peer().seq(PEER_ISS).flags(SYN));
      h.expect(local().seq(0).ack(PEER_ISS + 1).flags(RST | ACK).window(0));
    }
  }

  // ------------------------------------------------------------------ SYN-RECEIVED

  @Nested
  class SynReceived {
    @Test
    void ackCompletesHandshake() {
      established();
      assertEquals(1, h.counter(StackCounter.TCP_ESTABLISHED));
    }

    @Test
    void retransmittedSynDrawsSynAckAgainNotRst() {
      synReceived(TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
      h.expect(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS));
    }

    @Test
    void unacceptableAckDrawsRst() {
      synReceived(TcpConfig.DEFAULT);
      h.send(peer().ack(iss + 100));
      h.expect(local().seq(iss + 100).flags(RST).window(0));
      assertNull(listener.accept());
    }

    @Test
    void rstReturnsToListenSilently() {
      synReceived(TcpConfig.DEFAULT);
      h.send(peer().flags(RST));
      h.expectNothing();
      assertEquals(0, h.stack().tcp().connectionCount());
      // The listener still works.
      h.send(peer().seq(PEER_ISS + 50).flags(SYN).ports(PEER_PORT + 1, LOCAL_PORT));
      assertEquals(SYN | ACK, h.take().get(0).flags);
    }

    @Test
    void synAckIsRetransmittedWithBackoffThenGivesUp() {
      synReceived(TcpConfig.DEFAULT.toBuilder().retries(2, 15).build());
      Seg synAck = local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS);
      h.atMs(999).expectNothing();
      h.atMs(1000).expect(synAck); // RFC 6298 §2.1: initial RTO 1 s
      h.atMs(2999).expectNothing();
      h.atMs(3000).expect(synAck); // backed off to 2 s
      h.atMs(7000).expectNothing(); // retries exhausted: the half-open connection is dropped
      assertEquals(0, h.stack().tcp().connectionCount());
    }
  }

  // ------------------------------------------------------------------ SYN-SENT

  @Nested
  class SynSent {
    int connIss;

    void synSent(TcpConfig config) {
      conn = h.connect(8080, config);
      List<Seg> out = h.take();
      assertEquals(1, out.size());
      connIss = out.get(0).seq;
      assertEquals(new Seg(conn.localPort(), 8080, connIss, 0, SYN, WINDOW, MSS, new byte[0], null), out.get(0));
      assertEquals(TcpState.SYN_SENT, conn.state());
    }

    Seg fromPeer() {
      return new Seg(8080, conn.localPort(), PEER_ISS, 0, 0, 29200, -1, new byte[0], null);
    }

    Seg toPeer() {
      return new Seg(conn.localPort(), 8080, 0, 0, 0, WINDOW, -1, new byte[0], null);
    }

    @Test
    void synAckEstablishes() {
      synSent(TcpConfig.DEFAULT);
      h.send(fromPeer().flags(SYN).ack(connIss + 1).mss(1400));
      h.expect(toPeer().seq(connIss + 1).ack(PEER_ISS + 1));
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(1400, conn.sendMss(), "the peer's smaller MSS is honoured");
    }

    @Test
    void rstWithAcceptableAckMeansRefused() {
      synSent(TcpConfig.DEFAULT);
      h.send(fromPeer().seq(0).flags(RST).ack(connIss + 1));
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.REFUSED, conn.error());
    }

    @Test
    void rstWithoutAckIsIgnored() {
      synSent(TcpConfig.DEFAULT);
      h.send(fromPeer().flags(RST));
      h.expectNothing();
      assertEquals(TcpState.SYN_SENT, conn.state());
    }

    @Test
    void unacceptableAckDrawsRst() {
      synSent(TcpConfig.DEFAULT);
      h.send(fromPeer().flags(SYN).ack(connIss + 5));
      h.expect(toPeer().seq(connIss + 5).flags(RST).window(0));
      assertEquals(TcpState.SYN_SENT, conn.state());
    }

    @Test
    void simultaneousOpen() {
      synSent(TcpConfig.DEFAULT);
      // RFC 9293 §3.5 figure 8: the peer's SYN crosses ours.
      h.send(fromPeer().flags(SYN).mss(1460));
      h.expect(toPeer().seq(connIss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS));
      assertEquals(TcpState.SYN_RECEIVED, conn.state());
      h.send(fromPeer().seq(PEER_ISS + 1).flags(SYN | ACK).ack(connIss + 1).mss(1460));
      // Its SYN-ACK repeats the SYN we already have (seq below RCV.NXT): answered with an ACK.
      h.send(fromPeer().seq(PEER_ISS + 1).ack(connIss + 1));
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void rtoIsThreeSecondsAfterATimedOutSyn() {
      synSent(TcpConfig.DEFAULT);
      h.atMs(1000).take(); // the SYN timed out once
      h.atMs(1500).send(fromPeer().flags(SYN).ack(connIss + 1).mss(1460));
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(3000 * MS, conn.rtoNs(), "RFC 6298 §5.7");
    }

    @Test
    void synIsRetransmittedWithBackoffUntilLimitThenFailsConnect() {
      synSent(TcpConfig.DEFAULT.toBuilder().retries(3, 15).build());
      Seg syn = toPeer().seq(connIss).flags(SYN).mss(MSS);
      h.atMs(1000).expect(syn);
      h.atMs(3000).expect(syn);
      h.atMs(7000).expect(syn);
      h.atMs(14_999).expectNothing();
      h.atMs(15_000).expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.TIMED_OUT, conn.error());
      assertEquals(3, h.counter(StackCounter.TCP_RETRANS_SEGS));
    }
  }

  // ------------------------------------------------------------------ ESTABLISHED

  @Nested
  class Established {
    @Test
    void dataIsAcknowledgedAndReadable() {
      established();
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("hello"));
      h.expectNothing(); // the ACK is delayed (RFC 5681 §4.2) ...
      h.atMs(39).expectNothing();
      h.atMs(40).expect(local().seq(iss + 1).ack(PEER_ISS + 1 + 5)); // ... by 40 ms
      assertArrayEquals("hello".getBytes(), h.read(conn, 100));
    }

    @Test
    void dataIsSentInMssSizedSegments() {
      established();
      assertEquals(3000, h.write(conn, bytes(3000)));
      List<Seg> out = h.take();
      assertEquals(3, out.size());
      assertEquals(local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK).payload(java.util.Arrays.copyOfRange(bytes(3000), 0, 1460)), out.get(0));
      assertEquals(1460, out.get(1).payload.length);
      assertEquals(80, out.get(2).payload.length);
      assertEquals(PSH | ACK, out.get(2).flags, "PSH on the last segment of the write");
    }

    @Test
    void neverSendsBeyondThePeersWindow() {
      established();
      h.send(peer().ack(iss + 1).window(2000));
      h.write(conn, bytes(3000));
      List<Seg> out = h.take();
      assertEquals(1, out.size(), "one full segment fits; the 540 bytes left of the window are a sliver SWS avoidance holds");
      assertEquals(1460, out.get(0).payload.length);
      h.send(peer().ack(iss + 1 + 1460).window(2000));
      out = h.take();
      assertEquals(2, out.size());
      assertEquals(1460, out.get(0).payload.length);
      assertEquals(80, out.get(1).payload.length, "the rest of the queue fits the window: it goes");
    }

    @Test
    void outOfOrderSegmentIsKeptAndAckedAtOnceThenGapFillReassembles() {
      established();
      byte[] data = bytes(300);
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 101).payload(java.util.Arrays.copyOfRange(data, 100, 300)));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1)); // duplicate ACK: RCV.NXT unchanged
      assertEquals(0, conn.readable());
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 1).payload(java.util.Arrays.copyOfRange(data, 0, 100)));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 301));
      assertArrayEquals(data, h.read(conn, 1000));
    }

    @Test
    void outOfOrderDataSurvivesTheApplicationDrainingTheInOrderBytes() {
      established();
      byte[] data = bytes(300);
      h.send(peer().ack(iss + 1).payload(java.util.Arrays.copyOfRange(data, 0, 100)));
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 201).payload(java.util.Arrays.copyOfRange(data, 200, 300)));
      h.take();
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, 100), h.read(conn, 1000)); // ring now empty
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 101).payload(java.util.Arrays.copyOfRange(data, 100, 200)));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 301));
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 300), h.read(conn, 1000));
    }

    @Test
    void duplicatesAndOverlapsAreTrimmed() {
      established();
      byte[] data = bytes(200);
      h.send(peer().ack(iss + 1).payload(java.util.Arrays.copyOfRange(data, 0, 100)));
      h.take();
      h.send(peer().ack(iss + 1).payload(java.util.Arrays.copyOfRange(data, 0, 100))); // duplicate
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 101));
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 51).payload(java.util.Arrays.copyOfRange(data, 50, 200))); // overlap
      h.expectNothing(); // 100 new bytes: a delayed ACK
      h.atMs(40).expect(local().seq(iss + 1).ack(PEER_ISS + 201));
      assertArrayEquals(data, h.read(conn, 1000));
    }

    /**
     * The reassembly queue keeps at most {@link Assembler#MAX_RANGES} (32) ranges ahead of RCV.NXT
     * (RFC 9293 §3.10.7.4 lets a receiver hold such segments; the cap bounds its bookkeeping): a
     * 33rd disjoint range is dropped and counted, everything kept is delivered once the gaps fill,
     * and the dropped segment, sent again, completes the stream byte-exact.
     */
    @Test
    void theReassemblyQueueKeepsThirtyTwoGapsAndDropsAThirtyThirdRangeUntilItIsResent() {
      established();
      int slot = 10;
      int ranges = Assembler.MAX_RANGES + 1;
      byte[] data = bytes(2 * slot * ranges);
      for (int k = 0; k < ranges; k++) { // [10, 20), [30, 40), ... : a gap before each
        int at = slot * (2 * k + 1);
        h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + at).payload(java.util.Arrays.copyOfRange(data, at, at + slot)));
        h.expect(local().seq(iss + 1).ack(PEER_ISS + 1)); // each a duplicate ACK (RFC 5681 §4.2)
      }
      assertEquals(Assembler.MAX_RANGES, h.counter(StackCounter.TCP_OUT_OF_ORDER));
      assertEquals(1, h.counter(StackCounter.TCP_OUT_OF_ORDER_QUEUE_FULL));
      for (int k = 0; k < Assembler.MAX_RANGES; k++) { // fill every gap before a kept range
        int at = slot * 2 * k;
        h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + at).payload(java.util.Arrays.copyOfRange(data, at, at + slot)));
        h.expect(local().seq(iss + 1).ack(PEER_ISS + 1 + at + 2 * slot)); // the gap and the range after it
      }
      int edge = 2 * slot * Assembler.MAX_RANGES; // the 33rd gap, then the dropped range
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + edge).payload(java.util.Arrays.copyOfRange(data, edge, edge + slot)));
      h.take();
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + edge + slot)
          .payload(java.util.Arrays.copyOfRange(data, edge + slot, edge + 2 * slot))); // the peer resends it
      h.atMs(40).take();
      assertArrayEquals(data, h.read(conn, 10_000));
    }

    @Test
    void segmentOutsideTheWindowDrawsAck() {
      established();
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + 70_000).payload("far"));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1));
    }

    @Test
    void pureAckAtTheRightEdgeOfOurWindowIsProcessed() {
      // A peer that filled our whole window sends its ACKs with SEQ = RCV.NXT + RCV.WND.
      established();
      h.write(conn, bytes(100));
      h.take();
      h.send(peer().ack(iss + 101).seq(PEER_ISS + 1 + WINDOW));
      h.expectNothing();
      assertEquals(iss + 101, conn.sndUna());
    }

    @Test
    void pureAckBeyondTheRightEdgeDrawsAckAndIsIgnored() {
      established();
      h.write(conn, bytes(100));
      h.take();
      h.send(peer().ack(iss + 101).seq(PEER_ISS + 1 + WINDOW + 1));
      h.expect(local().seq(iss + 101).ack(PEER_ISS + 1));
      assertEquals(iss + 1, conn.sndUna());
    }

    @Test
    void exactRstResets() {
      established();
      h.send(peer().flags(RST));
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.RESET, conn.error());
    }

    @Test
    void inWindowRstDrawsChallengeAck() {
      established();
      h.send(peer().seq(PEER_ISS + 100).flags(RST));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1)); // RFC 5961 §3.2
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void outOfWindowRstIsDropped() {
      established();
      h.send(peer().seq(PEER_ISS - 100).flags(RST));
      h.expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void synDrawsChallengeAck() {
      established();
      h.send(peer().flags(SYN).seq(PEER_ISS + 1));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1)); // RFC 5961 §4.2
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void ackOfUnsentDataDrawsAck() {
      established();
      h.send(peer().ack(iss + 5000));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1));
    }

    @Test
    void urgentDataStaysInTheStream() {
      established();
      Seg urgent = peer().ack(iss + 1).flags(ACK | URG | PSH).payload("ab!cd");
      h.send(urgent);
      h.take();
      assertArrayEquals("ab!cd".getBytes(), h.read(conn, 100));
    }

    @Test
    void segmentWithoutAckIsDropped() {
      established();
      h.send(peer().flags(PSH).payload("nope"));
      h.expectNothing();
      assertEquals(0, conn.readable());
    }
  }

  // ------------------------------------------------------------------ retransmission

  @Nested
  class Retransmission {
    // The handshake completes at t=0 in virtual time: its RTT sample is 0, so RTO is the 200 ms floor.

    @Test
    void retransmitsWithExponentialBackoffAndStopsWhenAcked() {
      established();
      assertEquals(200 * MS, conn.rtoNs(), "RFC 6298 §2.4 floor (200 ms, documented)");
      h.write(conn, bytes(100));
      Seg data = local().seq(iss + 1).ack(PEER_ISS + 1).flags(PSH | ACK).payload(bytes(100));
      h.expect(data);
      h.atMs(199).expectNothing();
      h.atMs(200).expect(data);
      h.atMs(599).expectNothing();
      h.atMs(600).expect(data); // backed off to 400 ms
      h.atMs(1399).expectNothing();
      h.atMs(1400).expect(data); // 800 ms
      h.send(peer().ack(iss + 101));
      h.atMs(60_000).expectNothing();
      assertEquals(3, h.counter(StackCounter.TCP_RETRANS_SEGS));
    }

    @Test
    void firstRttSampleSetsTheRto() {
      synReceived(TcpConfig.DEFAULT);
      h.atMs(100).send(peer().ack(iss + 1)); // the SYN-ACK took 100 ms to be acknowledged
      conn = listener.accept();
      // RFC 6298 §2.2: SRTT = 100 ms, RTTVAR = 50 ms, RTO = 100 + 4 * 50 = 300 ms.
      assertEquals(300 * MS, conn.rtoNs());
      h.write(conn, bytes(10));
      h.take();
      h.atMs(399).expectNothing();
      assertEquals(1, h.atMs(400).take().size());
    }

    @Test
    void initialRtoIsOneSecondBeforeAnySample() {
      synReceived(TcpConfig.DEFAULT);
      h.atMs(999).expectNothing();
      assertEquals(SYN | ACK, h.atMs(1000).take().get(0).flags); // RFC 6298 §2.1
    }

    @Test
    void karnNeverSamplesARetransmittedSegment() {
      established();
      h.write(conn, bytes(10));
      h.take();
      h.atMs(200).take(); // retransmitted; RTO backed off to 400 ms
      h.atMs(250).send(peer().ack(iss + 11));
      assertEquals(400 * MS, conn.rtoNs(), "the ACK of a retransmitted segment gives no sample");
    }

    @Test
    void timerRestartsOnlyWhenAnAckCoversNewData() {
      established();
      h.write(conn, bytes(2000));
      h.take();
      h.atMs(100).send(peer().ack(iss + 1)); // acknowledges nothing new: the timer keeps running
      h.expectNothing();
      List<Seg> out = h.atMs(200).take();
      assertEquals(1, out.size(), "RFC 6298 §5.4: only the earliest segment is retransmitted");
      assertEquals(iss + 1, out.get(0).seq);
      assertEquals(1460, out.get(0).payload.length);
    }

    @Test
    void afterTimeoutResendsTheRestAsAcksComeIn() {
      established();
      h.write(conn, bytes(3000));
      h.take();
      h.atMs(100).send(peer().ack(iss + 1461)); // first segment acked: timer restarts (100 + 200)
      h.atMs(299).expectNothing();
      List<Seg> out = h.atMs(300).take();
      assertEquals(1, out.size());
      assertEquals(iss + 1461, out.get(0).seq);
      h.send(peer().ack(iss + 2921));
      List<Seg> rest = h.take();
      assertEquals(1, rest.size());
      assertEquals(iss + 2921, rest.get(0).seq);
      assertEquals(80, rest.get(0).payload.length);
    }

    @Test
    void abortsAfterRetryLimitWithTimedOut() {
      established(TcpConfig.DEFAULT.toBuilder().retries(6, 2).build());
      h.write(conn, bytes(10));
      h.take();
      assertEquals(1, h.atMs(200).take().size());
      assertEquals(1, h.atMs(600).take().size());
      h.atMs(1400).expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.TIMED_OUT, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_TIMEOUTS));
    }

    @Test
    void finIsRetransmitted() {
      established();
      h.shutdownOutput(conn);
      Seg fin = local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK);
      h.expect(fin);
      h.atMs(200).expect(fin);
    }

    @Test
    void zeroWindowIsProbedAndTransferResumesWhenItOpens() {
      established();
      h.send(peer().ack(iss + 1).window(0));
      h.write(conn, bytes(10));
      h.expectNothing(); // nothing fits in a zero window
      List<Seg> probe = h.atMs(200).take();
      assertEquals(1, probe.size());
      assertEquals(1, probe.get(0).payload.length);
      h.send(peer().ack(iss + 2).window(1000)); // the probe byte was taken; window open
      List<Seg> rest = h.take();
      assertEquals(1, rest.size());
      assertEquals(iss + 2, rest.get(0).seq);
      assertEquals(9, rest.get(0).payload.length);
    }
  }

  // ------------------------------------------------------------------ closing

  @Nested
  class Closing {
    @Test
    void activeCloseThroughFinWait1FinWait2TimeWaitToClosed() {
      established();
      h.shutdownOutput(conn);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
      assertEquals(TcpState.FIN_WAIT_1, conn.state());
      h.send(peer().ack(iss + 2));
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      h.atMs(10).send(peer().ack(iss + 2).flags(FIN | ACK));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
      assertTrue(conn.isEndOfStream());
      h.atMs(10 + 59_999).expectNothing();
      assertEquals(TcpState.TIME_WAIT, conn.state());
      h.atMs(10 + 60_000);
      assertEquals(TcpState.CLOSED, conn.state(), "2 MSL = 60 s");
      assertNull(conn.error());
    }

    @Test
    void finAndAckOfOurFinTogetherGoStraightToTimeWait() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 1).flags(FIN | ACK)); // their FIN crosses ours
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.CLOSING, conn.state());
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }

    @Test
    void passiveCloseThroughCloseWaitAndLastAck() {
      established();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 2));
      assertEquals(TcpState.CLOSE_WAIT, conn.state());
      assertTrue(conn.isEndOfStream(), "read returns end of stream after the peer's FIN");
      h.shutdownOutput(conn);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 2).flags(FIN | ACK));
      assertEquals(TcpState.LAST_ACK, conn.state());
      h.send(peer().seq(PEER_ISS + 2).ack(iss + 2));
      assertEquals(TcpState.CLOSED, conn.state());
      assertNull(conn.error());
    }

    @Test
    void halfCloseLetsThePeerKeepSending() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2));
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      h.send(peer().ack(iss + 2).flags(PSH | ACK).payload("still talking"));
      h.atMs(40).expect(local().seq(iss + 2).ack(PEER_ISS + 1 + 13)); // a delayed ACK
      assertArrayEquals("still talking".getBytes(), h.read(conn, 100));
      assertThrows(IllegalStateException.class, () -> h.write(conn, bytes(1)));
    }

    @Test
    void closeWaitSideCanStillSend() {
      established();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.take();
      h.write(conn, "bye".getBytes());
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 2).flags(PSH | ACK).payload("bye"));
    }

    @Test
    void finAfterAGapIsHeldUntilTheGapFills() {
      established();
      h.send(peer().ack(iss + 1).seq(PEER_ISS + 4).flags(FIN | ACK).payload("def"));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1));
      assertEquals(TcpState.ESTABLISHED, conn.state());
      h.send(peer().ack(iss + 1).payload("abc"));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 8));
      assertEquals(TcpState.CLOSE_WAIT, conn.state());
      assertArrayEquals("abcdef".getBytes(), h.read(conn, 100));
      assertTrue(conn.isEndOfStream());
    }

    @Test
    void anOrphanedConnectionGivesUpWaitingInFinWait2AfterTheFinTimeout() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2));
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      conn.dispose(); // the application let go; the peer never sends its FIN
      h.atMs(59_999).expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      h.atMs(60_000).expectNothing(); // closed quietly, as Linux after tcp_fin_timeout
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(1, h.counter(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS));
      assertEquals(0, h.stack().tcp().connectionCount());
      conn = null;
    }

    @Test
    void aHalfClosedConnectionTheApplicationHoldsWaitsInFinWait2AsLongAsItLikes() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2));
      h.atMs(600_000).expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state(), "it may still be reading");
      h.send(peer().ack(iss + 2).payload("late"));
      assertArrayEquals("late".getBytes(), h.read(conn, 10));
    }

    @Test
    void timeWaitAcksARetransmittedFinAndRestartsTwoMsl() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.take();
      h.atMs(30_000).send(peer().ack(iss + 2).flags(FIN | ACK));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      h.atMs(60_000);
      assertEquals(TcpState.TIME_WAIT, conn.state(), "restarted at 30 s");
      h.atMs(90_000);
      assertEquals(TcpState.CLOSED, conn.state());
    }

    @Test
    void timeWaitIgnoresRstPerRfc1337() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.take();
      h.send(peer().seq(PEER_ISS + 2).flags(RST));
      h.expectNothing();
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }

    @Test
    void newSynReopensATimeWaitTupleForTheListener() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.take();
      h.atMs(1000).send(peer().seq(PEER_ISS + 100_000).flags(SYN).mss(1460));
      List<Seg> out = h.take();
      assertEquals(1, out.size());
      assertEquals(SYN | ACK, out.get(0).flags);
      assertEquals(PEER_ISS + 100_001, out.get(0).ack);
      assertEquals(TcpState.CLOSED, conn.state(), "the old incarnation is gone");
    }

    @Test
    void rstInCloseWaitResets() {
      established();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.take();
      h.send(peer().seq(PEER_ISS + 2).flags(RST));
      assertEquals(TcpError.RESET, conn.error());
    }

    @Test
    void rstInLastAckClosesWithoutError() {
      established();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().seq(PEER_ISS + 2).flags(RST));
      assertEquals(TcpState.CLOSED, conn.state());
      assertNull(conn.error());
    }

    @Test
    void abortSendsRst() {
      established();
      h.abort(conn);
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(TcpError.ABORTED, conn.error());
    }

    @Test
    void abortInCloseWaitSendsRst() {
      established();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.take();
      h.abort(conn);
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(TcpState.CLOSED, conn.state());
    }

    @Test
    void abortInTimeWaitDeletesTheConnectionWithoutRst() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.take();
      assertEquals(TcpState.TIME_WAIT, conn.state());
      h.abort(conn); // RFC 9293 §3.10.5: "Respond with 'ok' and delete the TCB"
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
    }

    @Test
    void abortInLastAckDeletesTheConnectionWithoutRst() {
      established();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.take();
      h.shutdownOutput(conn);
      h.take();
      assertEquals(TcpState.LAST_ACK, conn.state());
      h.abort(conn);
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
    }

    @Test
    void abortInClosingDeletesTheConnectionWithoutRst() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 1).flags(FIN | ACK));
      h.take();
      assertEquals(TcpState.CLOSING, conn.state());
      h.abort(conn);
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
    }
  }

  // ------------------------------------------------------------------ options

  @Nested
  class Options {
    @Test
    void withoutMssOptionThePeerGets536ByteSegments() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN));
      iss = h.take().get(0).seq;
      h.send(peer().ack(iss + 1));
      conn = listener.accept();
      h.write(conn, bytes(1000));
      List<Seg> out = h.take();
      assertEquals(536, out.get(0).payload.length); // RFC 9293 MUST-15
      assertEquals(464, out.get(1).payload.length);
    }

    @Test
    void largerPeerMssIsCappedAtOurs() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(9000));
      iss = h.take().get(0).seq;
      h.send(peer().ack(iss + 1));
      conn = listener.accept();
      assertEquals(MSS, conn.sendMss());
    }

    @Test
    void unknownOptionsAreIgnored() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      byte[] options = {(byte) 99, 4, 1, 2, 2, 4, 0x05, (byte) 0xb4}; // unknown kind 99, then MSS 1460
      h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(options));
      assertEquals(SYN | ACK, h.take().get(0).flags);
    }

    @Test
    void illegalOptionLengthIsDroppedWithoutCrashing() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      byte[] options = {2, 0, 0, 0}; // length 0: MUST-7
      h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(options));
      h.expectNothing();
      assertEquals(1, h.counter(StackCounter.TCP_IN_ERRS));
    }
  }

  // ------------------------------------------------------------------ sequence space

  @Nested
  class Wraparound {
    @Test
    void receivesAcrossTheWrapOfThePeersSequenceSpace() {
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      int peerIss = 0xFFFF_FF00;
      Seg p = peer().seq(peerIss).flags(SYN).mss(1460);
      h.send(p);
      iss = h.take().get(0).seq;
      h.send(p.flags(ACK).seq(peerIss + 1).ack(iss + 1));
      conn = listener.accept();
      byte[] data = bytes(1000);
      int seq = peerIss + 1;
      for (int off = 0; off < data.length; off += 100) {
        h.send(peer().seq(seq + off).ack(iss + 1).payload(java.util.Arrays.copyOfRange(data, off, off + 100)));
      }
      List<Seg> acks = h.atMs(40).take(); // the last ACK is a delayed one
      assertEquals(peerIss + 1 + 1000, acks.get(acks.size() - 1).ack);
      assertTrue(Integer.compareUnsigned(acks.get(acks.size() - 1).ack, 0x1000) < 0, "wrapped past 2^32");
      assertArrayEquals(data, h.read(conn, 2000));
    }

    @Test
    void sendsAcrossTheWrapOfItsOwnSequenceSpace() {
      // RFC 6528: ISN = M + F(tuple, key). Pick the time so that our ISN lands just below 2^32.
      int f = new IsnGenerator(new byte[16]).isn(Packets.STACK, LOCAL_PORT, Packets.HOST, PEER_PORT, 0);
      long ticks = Integer.toUnsignedLong(0xFFFF_FE00 - f);
      h.at(ticks * 4000);
      synReceived(TcpConfig.DEFAULT);
      assertEquals(0xFFFF_FE00, iss);
      h.send(peer().ack(iss + 1));
      conn = listener.accept();
      h.write(conn, bytes(3000));
      List<Seg> out = h.take();
      assertEquals(3, out.size());
      h.send(peer().ack(iss + 1 + 3000));
      assertEquals(iss + 3001, conn.sndUna());
      assertTrue(Integer.compareUnsigned(conn.sndUna(), 0x1000) < 0, "wrapped past 2^32");
      h.atMs(ticks * 4000 / 1_000_000 + 10_000).expectNothing();
    }
  }

  @Test
  void disposeOfAnOpenConnectionIsDeferredUntilClosed() {
    established();
    TcpConnection c = conn;
    conn = null;
    c.dispose(); // still ESTABLISHED: buffers stay until it closes
    h.send(peer().flags(RST));
    assertEquals(TcpState.CLOSED, c.state());
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().sendBufferSize(10));
    assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().rto(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(60)));
    assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().msl(Duration.ZERO));
  }
}
