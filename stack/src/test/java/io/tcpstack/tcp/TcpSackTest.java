package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * SACK at the segment level: SACK-Permitted negotiation (RFC 2018 §2), the blocks our ACKs carry
 * for every hole pattern (RFC 2018 §4, D-SACK RFC 2883 §4), and the sender's recovery from SACK
 * information (RFC 6675 §5 with RACK, RFC 8985).
 */
class TcpSackTest {

  static final int PEER_ISS = 50_000;
  /** MSS 1460, NOP, NOP, SACK-Permitted. */
  static final byte[] SYN_OPTIONS_WITH_SACK = {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 1, 4, 2};
  static final long MS = 1_000_000L;

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;
  int ourIss;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, ACK, 65535, -1, new byte[0], null);
  }

  /** Passive open with the given SYN; returns our SYN-ACK. */
  Seg accept(Seg syn, TcpConfig config) {
    TcpListener listener = h.listen(LOCAL_PORT, 8, config);
    h.send(syn);
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    ourIss = synAck.get(0).seq;
    h.send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    return synAck.get(0);
  }

  Seg acceptWithSack() {
    return acceptWithSack(TcpConfig.DEFAULT);
  }

  Seg acceptWithSack(TcpConfig config) {
    return accept(peer().seq(PEER_ISS).flags(SYN).rawOptions(SYN_OPTIONS_WITH_SACK), config);
  }

  /** Sequence numbers of the peer's data, from its first byte. */
  static int peerSeq(int offset) {
    return PEER_ISS + 1 + offset;
  }

  static int[] rel(int[] edges, int base) {
    int[] r = new int[edges.length];
    for (int i = 0; i < edges.length; i++) {
      r[i] = edges[i] - base;
    }
    return r;
  }

  @Nested
  class Negotiation {
    @Test
    void aSynWithSackPermittedGetsItBackAndAcksCarryBlocks() {
      Seg synAck = acceptWithSack();
      assertTrue(synAck.sackPermitted, "RFC 2018 §2: the SYN-ACK answers SACK-Permitted");
      assertTrue(conn.sackEnabled());
    }

    @Test
    void aSynWithoutItGetsNoneAndAcksNeverCarryBlocks() {
      Seg synAck = accept(peer().seq(PEER_ISS).flags(SYN).mss(MSS), TcpConfig.DEFAULT);
      assertFalse(synAck.sackPermitted, "RFC 2018 §2: SACK-Permitted only in answer to it");
      assertFalse(conn.sackEnabled());
      h.send(peer().ack(ourIss + 1).seq(peerSeq(1000)).payload(new byte[500]));
      List<Seg> acks = h.take();
      assertEquals(1, acks.size());
      assertEquals(0, acks.get(0).sack.length, "out of order, but no SACK was agreed");
    }

    @Test
    void turnedOffItIsNeitherOfferedNorAccepted() {
      Seg synAck = accept(peer().seq(PEER_ISS).flags(SYN).rawOptions(SYN_OPTIONS_WITH_SACK),
          TcpConfig.builder().sack(false).build());
      assertFalse(synAck.sackPermitted);
      assertFalse(conn.sackEnabled());
    }

    @Test
    void anActiveOpenOffersItAndUsesItOnlyIfTheSynAckAgrees() {
      conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
      Seg syn = h.take().get(0);
      assertTrue(syn.sackPermitted, "our SYN offers SACK");
      h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, syn.seq + 1, SYN | ACK, 20_000, MSS, new byte[0], null));
      assertFalse(conn.sackEnabled(), "the SYN-ACK did not agree");
    }

    @Test
    void anActiveOpenUsesItWhenTheSynAckAgrees() {
      conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
      Seg syn = h.take().get(0);
      h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, syn.seq + 1, SYN | ACK, 20_000, -1, new byte[0],
          SYN_OPTIONS_WITH_SACK));
      assertTrue(conn.sackEnabled());
    }
  }

  @Nested
  class Blocks {
    /** Sends the peer's bytes [from, to) and returns the blocks of the one ACK that answers, relative to its ISS+1. */
    int[] deliver(int from, int to) {
      h.send(peer().ack(ourIss + 1).seq(peerSeq(from)).flags(PSH | ACK).payload(new byte[to - from]));
      List<Seg> acks = h.take();
      assertEquals(1, acks.size(), "one ACK at once: " + acks);
      return rel(acks.get(0).sack, PEER_ISS + 1);
    }

    @Test
    void everyHolePatternIsReportedMostRecentFirst() {
      acceptWithSack();
      assertArrayEquals(new int[] {1000, 2000}, deliver(1000, 2000), "one hole before one block");
      assertArrayEquals(new int[] {3000, 4000, 1000, 2000}, deliver(3000, 4000), "the newest block first");
      assertArrayEquals(new int[] {5000, 6000, 3000, 4000, 1000, 2000}, deliver(5000, 6000));
      assertArrayEquals(new int[] {7000, 8000, 5000, 6000, 3000, 4000, 1000, 2000}, deliver(7000, 8000),
          "four blocks: all that fit without timestamps");
      assertArrayEquals(new int[] {9000, 9500, 7000, 8000, 5000, 6000, 3000, 4000}, deliver(9000, 9500),
          "five ranges: the oldest reported one is left out");
      assertArrayEquals(new int[] {1000, 4000, 9000, 9500, 7000, 8000, 5000, 6000}, deliver(2000, 3000),
          "a hole filled between two blocks: they merge, and the merged block goes first");
      assertArrayEquals(new int[] {9000, 9500, 7000, 8000, 5000, 6000}, deliver(0, 1000),
          "the first hole filled: RCV.NXT moves to 4000; the blocks above, most recently changed first");
      assertEquals(peerSeq(4000), conn.rcvNxt());
      assertArrayEquals(new int[] {}, deliver(4000, 10_000), "all holes filled: no blocks");
    }

    @Test
    void aDuplicateIsReportedFirstAsADsack() {
      acceptWithSack();
      assertArrayEquals(new int[] {}, deliver(0, 3000), "in order: no blocks (two full segments' worth: ACKed at once)");
      assertArrayEquals(new int[] {0, 1000}, deliver(0, 1000), "RFC 2883 §4: below RCV.NXT, the duplicate alone");
      deliver(4000, 5000);
      assertArrayEquals(new int[] {4000, 5000, 4000, 5000}, deliver(4000, 5000),
          "RFC 2883 §4: a duplicate above RCV.NXT, then the block that holds it");
      assertEquals(2, h.counter(StackCounter.TCP_DSACKS_OUT));
    }
  }

  @Nested
  class Recovery {
    /** Established with SACK and peer MSS 1460; {@code segments} full segments written. */
    void established(int segments) {
      established(segments, TcpConfig.DEFAULT);
    }

    void established(int segments, TcpConfig config) {
      acceptWithSack(config);
      h.write(conn, new byte[segments * MSS]);
    }

    int our(int segment) {
      return ourIss + 1 + segment * MSS;
    }

    Seg ackWithSack(int ackSegment, int... sackSegments) {
      int[] edges = new int[sackSegments.length];
      for (int i = 0; i < edges.length; i++) {
        edges[i] = our(sackSegments[i]);
      }
      return peer().ack(our(ackSegment)).sack(edges);
    }

    List<Integer> sentSegments() {
      List<Integer> out = new ArrayList<>();
      for (Seg s : h.take()) {
        if (s.payload.length > 0) {
          out.add((s.seq - (ourIss + 1)) / MSS);
        }
      }
      return out;
    }

    @Test
    void threeSackedAboveAHoleStartRecoveryAndTheHoleIsResentAtOnceThenPrrPacesTheRest() {
      // NewReno's window, named (CUBIC's is below): ssthresh = FlightSize/2.
      established(20, TcpConfig.builder().congestionControl(CongestionAlgorithm.NEWRENO).build());
      assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), sentSegments(), "the initial window, ten segments");
      h.atMs(10);
      h.send(ackWithSack(0, 2, 5)); // segments 2, 3, 4 arrived; 0 and 1 did not
      // RFC 6675 §5 (4.3): the first lost segment at once. Then PRR (RFC 6937): the pipe (8760) is
      // above ssthresh (7300), so this ACK's 4380 delivered octets allow ceil(4380 * 7300 / 14600)
      // = 2190 out, less the 1460 just sent: segment 1 goes too.
      assertEquals(List.of(0, 1), sentSegments());
      assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES));
      h.send(ackWithSack(0, 2, 7));
      assertEquals(List.of(), sentSegments(), "two more SACKed: the pipe (7300) is at ssthresh, nothing more");
      h.send(ackWithSack(0, 2, 8));
      assertEquals(List.of(10), sentSegments(), "one more: the pipe (5840) below ssthresh — new data (NextSeg rule 2)");
      assertEquals(0, h.counter(StackCounter.TCP_RTO_EXPIRIES));
    }

    @Test
    void withCubicTheWindowAfterTheReductionLetsBothHolesGo() {
      established(20); // the stack's default, CUBIC
      assertEquals(10, sentSegments().size());
      h.atMs(10);
      h.send(ackWithSack(0, 2, 5));
      // RFC 9438 §4.6: ssthresh = 0.7·14600 = 10220; the pipe (7300) leaves room for both holes.
      assertEquals(10220, conn.info().ssthresh());
      assertEquals(List.of(0, 1), sentSegments(), "RFC 6675 §5: lost segments while the pipe is below the window");
      assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES));
    }

    @Test
    void anAckThatMovesTheCumulativeEdgeAndSacksAboveANewHoleIsNotReordering() {
      established(20);
      assertEquals(10, sentSegments().size());
      h.atMs(10);
      // A delayed (or stretch) ACK: 0 and 1 arrived in order, 2 did not, 3 did. Nothing arrived
      // out of its sending order — RFC 8985 §6.2 step 3 takes an ACK's segments in ascending order,
      // so 0 and 1 are not "delivered below RACK.fack" just because the block above is read first.
      h.send(ackWithSack(2, 3, 4));
      assertFalse(sentSegments().contains(2), "one SACKed above the hole: within the reordering window");
      h.send(ackWithSack(2, 3, 6));
      // RFC 6675 §4 IsLost: three SACKed segments above 2 — lost now, as no reordering was seen.
      assertTrue(sentSegments().contains(2), "DupThresh still in force: the hole is resent at once");
      assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES));
    }

    @Test
    void aLostRetransmissionIsFoundByRackAndSentAgainWithoutATimeout() {
      established(20);
      h.take();
      h.atMs(10);
      h.send(ackWithSack(0, 1, 4)); // 0 lost: resent at 10 ms
      assertEquals(List.of(0), sentSegments());
      h.atMs(20);
      h.send(ackWithSack(0, 1, 10)); // everything else arrived: new data follows
      h.take();
      h.atMs(30);
      // Segment 10, sent at 20 ms after the retransmission of 0, is SACKed; 0 is not: its retransmission was lost too.
      h.send(ackWithSack(0, 1, 11));
      List<Integer> sent = sentSegments();
      assertTrue(sent.contains(0), "RACK: the retransmission of 0 is lost, sent again: " + sent);
      assertEquals(0, h.counter(StackCounter.TCP_RTO_EXPIRIES));
      assertTrue(h.counter(StackCounter.TCP_RACK_LOST_SEGMENTS) >= 1, "found by RACK's time test");
    }

    @Test
    void recoveryEndsWhenEverythingSentBeforeItIsAcknowledged() {
      established(12);
      h.take();
      h.atMs(10);
      h.send(ackWithSack(0, 1, 4));
      h.take();
      h.atMs(20);
      h.send(peer().ack(our(10)));
      assertFalse(conn.info().inRecovery(), "RFC 6675 §5: the episode ended with everything sent before it");
      assertEquals(List.of(10, 11), sentSegments(), "the rest goes");
      h.send(peer().ack(our(12)));
      assertEquals(conn.sndNxt(), conn.sndUna(), "all acknowledged");
      assertFalse(conn.info().inRecovery(), "RFC 6675 §5: the episode ended");
      assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES));
      assertEquals(0, h.counter(StackCounter.TCP_RTO_EXPIRIES));
    }

    @Test
    void aTailLossIsProbedBeforeTheRetransmissionTimer() {
      established(3);
      assertEquals(List.of(0, 1, 2), sentSegments());
      h.atMs(5);
      h.send(peer().ack(our(1))); // an RTT sample of 5 ms; segments 1 and 2 are lost, the tail
      h.take();
      h.atMs(100); // 2·SRTT (+ the delayed-ACK allowance for one segment) passed, the 1 s RTO not yet
      List<Integer> probe = sentSegments();
      assertEquals(List.of(2), probe, "RFC 8985 §7.3: no new data, so the last segment is the probe");
      assertEquals(1, h.counter(StackCounter.TCP_TLP_PROBES));
      h.atMs(105);
      h.send(peer().ack(our(1)).sack(our(2), our(3))); // the probe arrived: 1 is now lost by RACK
      assertTrue(sentSegments().contains(1), "the probe's SACK repaired the hole without a timeout");
      assertEquals(0, h.counter(StackCounter.TCP_RTO_EXPIRIES));
    }

    @Test
    void anEpisodeWhoseRetransmissionsAllArrivedTwiceIsUndone() {
      established(12);
      h.take();
      h.atMs(10);
      h.send(ackWithSack(0, 1, 4)); // 0 looks lost (reordered, in truth): resent
      assertEquals(List.of(0), sentSegments());
      h.atMs(20);
      // RFC 2883 §4: the peer got 0 twice — a D-SACK below the cumulative ACK.
      h.send(peer().ack(our(10)).sack(our(0), our(1)));
      assertEquals(1, h.counter(StackCounter.TCP_DSACKS_IN));
      assertFalse(conn.info().inRecovery());
      assertEquals(1, h.counter(StackCounter.TCP_SPURIOUS_RECOVERY_UNDOS), "RFC 2883 §5: the reduction was not needed");
    }

    @Test
    void sackBlocksOutsideTheWindowAreIgnoredAndCounted() {
      established(4);
      h.take();
      h.send(peer().ack(our(0)).sack(our(10), our(12)));
      assertEquals(1, h.counter(StackCounter.TCP_SACK_BLOCKS_INVALID));
      assertEquals(List.of(), sentSegments());
    }
  }
}
