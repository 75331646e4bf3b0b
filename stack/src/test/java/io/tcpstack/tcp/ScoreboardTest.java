package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The SACK scoreboard alone: RFC 6675's pipe and NextSeg() rule 1, IsLost by DupThresh, RACK's
 * time-ordered detection (RFC 8985 §6.2), cumulative ACKs, and sequence numbers across 2^32.
 */
class ScoreboardTest {

  private static final int MSS = 1000;
  private static final long MS = 1_000_000L;

  /** What the board reported as delivered, as "start-end" relative to the base. */
  private final List<String> delivered = new ArrayList<>();
  private int base;

  private Scoreboard board(int baseSeq, int segments, long sentEveryNs) {
    base = baseSeq;
    Scoreboard b = new Scoreboard(4); // small, so that the ring grows
    for (int i = 0; i < segments; i++) {
      b.sent(seq(i * MSS), seq((i + 1) * MSS), false, i * sentEveryNs);
    }
    return b;
  }

  private int seq(int offset) {
    return SeqNum.add(base, offset);
  }

  private final Scoreboard.Delivered recorder = (start, end, flags, sentNs, order) ->
      delivered.add(SeqNum.diff(start, base) + "-" + SeqNum.diff(end, base));

  private void sackSegments(Scoreboard b, int from, int to) {
    b.sack(seq(from * MSS), seq(to * MSS), recorder);
  }

  @Nested
  class Pipe {
    @Test
    void everythingSentCountsOnceUntilSackedOrLost() {
      Scoreboard b = board(1000, 10, 0);
      assertEquals(10 * MSS, b.pipe());
      sackSegments(b, 2, 4);
      assertEquals(8 * MSS, b.pipe(), "SACKed octets left the network");
      assertEquals(List.of("2000-3000", "3000-4000"), delivered);
      b.markLost(0);
      assertEquals(7 * MSS, b.pipe(), "a lost segment is no longer in the network");
      b.retransmitted(0, 5);
      assertEquals(8 * MSS, b.pipe(), "its retransmission is");
    }

    @Test
    void aRetransmissionOfASegmentNotLostCountsTwice() {
      Scoreboard b = board(0, 3, 0);
      b.retransmitted(2, 10); // a tail loss probe
      assertEquals(4 * MSS, b.pipe());
    }

    @Test
    void cumulativeAckForgetsRecordsAndTheirCounts() {
      Scoreboard b = board(0, 6, 0);
      sackSegments(b, 3, 4);
      b.markLost(0);
      b.retransmitted(0, 1);
      b.acknowledge(seq(4 * MSS), recorder);
      assertEquals(2, b.size());
      assertEquals(0, b.sackedBytes());
      assertEquals(0, b.lostBytes());
      assertEquals(2 * MSS, b.pipe());
      assertEquals(List.of("3000-4000", "0-1000", "1000-2000", "2000-3000"), delivered,
          "each record is reported once: when SACKed, or when acknowledged if never SACKed");
    }

    @Test
    void anAckInsideARecordTrimsIt() {
      Scoreboard b = board(0, 2, 0);
      b.acknowledge(seq(1500), recorder);
      assertEquals(1, b.size());
      assertEquals(seq(1500), b.start(0));
      assertEquals(500, b.pipe());
    }
  }

  @Nested
  class NextSeg {
    @Test
    void lostSegmentsComeInSequenceOrderEachOnce() {
      Scoreboard b = board(0, 8, 0);
      b.markLost(5);
      b.markLost(1);
      assertEquals(1, b.nextLost());
      b.retransmitted(1, 1);
      assertEquals(5, b.nextLost());
      b.retransmitted(5, 1);
      assertEquals(-1, b.nextLost());
    }

    @Test
    void aLostRetransmissionIsSentAgain() {
      Scoreboard b = board(0, 4, 0);
      b.markLost(0);
      b.retransmitted(0, 10);
      assertEquals(-1, b.nextLost());
      b.markLost(0); // RACK found the retransmission lost too
      assertEquals(0, b.nextLost());
      assertEquals(3 * MSS, b.pipe());
    }

    @Test
    void sackedSegmentsAreNeverResent() {
      Scoreboard b = board(0, 4, 0);
      sackSegments(b, 1, 2);
      b.markAllLost();
      List<Integer> order = new ArrayList<>();
      for (int i; (i = b.nextLost()) >= 0; ) {
        order.add(i);
        b.retransmitted(i, 1);
      }
      assertEquals(List.of(0, 2, 3), order, "after a timeout, what the peer holds is skipped");
    }
  }

  @Nested
  class IsLost {
    @Test
    void aSegmentWithThreeSackedSegmentsAboveIsLost() {
      Scoreboard b = board(0, 6, 0);
      sackSegments(b, 1, 3);
      assertEquals(0, b.markLostByDupThresh(3), "two SACKed above: not yet");
      sackSegments(b, 3, 4);
      assertEquals(1, b.markLostByDupThresh(3));
      assertEquals(0, b.nextLost());
      assertEquals(0, b.markLostByDupThresh(3), "marked once");
    }

    @Test
    void holesBelowTheThirdSackedFromTheTopAreLostAndTheOnesAboveAreNot() {
      Scoreboard b = board(0, 10, 0);
      sackSegments(b, 1, 2);
      sackSegments(b, 3, 4);
      sackSegments(b, 5, 6);
      sackSegments(b, 7, 8);
      assertEquals(2, b.markLostByDupThresh(3), "segments 0 and 2 have at least three SACKed above");
      List<Integer> lost = new ArrayList<>();
      for (int i; (i = b.nextLost()) >= 0; ) {
        lost.add(i);
        b.retransmitted(i, 1);
      }
      assertEquals(List.of(0, 2), lost);
    }
  }

  @Nested
  class Rack {
    @Test
    void segmentsSentBeforeTheLatestDeliveredAreLostOnceRttPlusWindowPassed() {
      Scoreboard b = board(0, 5, MS); // sent at 0, 1, 2, 3, 4 ms
      sackSegments(b, 3, 4); // segment 3 (sent at 3 ms, the fourth transmission: order 3) delivered
      long rtt = 10 * MS;
      long window = 2 * MS;
      assertEquals(12 * MS, b.rackDetectLoss(3, rtt, window, 11 * MS),
          "at 11 ms nothing is due: segment 0 becomes lost at 0 + 10 + 2 ms");
      assertEquals(-1, b.nextLost());
      assertEquals(13 * MS, b.rackDetectLoss(3, rtt, window, 12 * MS));
      assertEquals(0, b.nextLost(), "segment 0 is lost at 12 ms; segment 1 is due at 13 ms");
      assertEquals(Long.MAX_VALUE, b.rackDetectLoss(3, rtt, window, 20 * MS),
          "segments 1 and 2 lost; 4 was sent after the delivered one and is not judged");
      List<Integer> lost = new ArrayList<>();
      for (int i; (i = b.nextLost()) >= 0; ) {
        lost.add(i);
        b.retransmitted(i, 20 * MS);
      }
      assertEquals(List.of(0, 1, 2), lost);
    }

    @Test
    void whatOneTurnSendsIsOrderedByTransmissionNotByItsSingleTimestamp() {
      Scoreboard b = board(0, 4, 0); // all four sent in one turn, at time 0: orders 0..3
      b.markLost(0);
      b.retransmitted(0, 0); // resent in the same turn, after 1..3: order 4
      sackSegments(b, 3, 4); // 3 delivered (order 3)
      b.rackDetectLoss(3, 0, 0, 0);
      List<Integer> lost = new ArrayList<>();
      for (int i; (i = b.nextLost()) >= 0; ) {
        lost.add(i);
        b.retransmitted(i, 0);
      }
      assertEquals(List.of(1, 2), lost, "1 and 2 were sent before 3; the retransmission of 0 after it");
    }

    @Test
    void aRetransmissionMovesToTheTailOfTheTimeOrder() {
      Scoreboard b = board(0, 3, MS);
      b.markLost(0);
      b.retransmitted(0, 5 * MS); // now the most recently sent
      sackSegments(b, 2, 3); // delivered: sent at 2 ms
      assertEquals(Long.MAX_VALUE, b.rackDetectLoss(2, MS, 0, 100 * MS));
      assertEquals(1, b.nextLost(), "segment 1 is lost; the retransmission of 0, sent later, is not judged");
      assertEquals(2 * MSS, b.lostBytes(), "0 (its retransmission still in flight) and 1");
      assertEquals(MSS, b.pipe(), "only the retransmission of 0 is in the network");
    }
  }

  @Test
  void recordsStayContiguousWhateverTheCallerMissed() {
    Scoreboard b = board(0, 2, 0); // [0, 2000)
    b.sent(seq(1500), seq(3000), false, 1); // overlaps: only [2000, 3000) is new
    b.sent(seq(4000), seq(5000), false, 2); // a gap: [3000, 4000) becomes a record of its own
    b.sent(seq(100), seq(900), false, 3); // wholly old: nothing
    assertEquals(5, b.size());
    int[] expected = {0, 1000, 2000, 3000, 4000, 5000};
    for (int i = 0; i < 5; i++) {
      assertEquals(seq(expected[i]), b.start(i));
      assertEquals(seq(expected[i + 1]), b.end(i));
    }
    assertEquals(5000, b.pipe());
  }

  @Test
  void worksAcrossTheWrapOfSequenceNumbersAndGrowsItsRing() {
    Scoreboard b = board(-2500, 40, 0); // the sequence space wraps inside the third record
    assertEquals(40, b.size());
    sackSegments(b, 10, 20);
    assertEquals(10 * MSS, b.sackedBytes());
    assertTrue(b.anySacked());
    assertEquals(seq(20 * MSS), b.highestSacked());
    b.acknowledge(seq(5 * MSS), recorder);
    assertEquals(35, b.size());
    assertEquals(25 * MSS, b.pipe());
    assertFalse(b.isEmpty());
  }
}
