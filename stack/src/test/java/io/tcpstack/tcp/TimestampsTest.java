package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;

/** The rules of {@link Timestamps} on their own (RFC 7323 §3–§5); segment-level tests are in TcpTimestampsTest. */
class TimestampsTest {

  static final long MS = 1_000_000L;
  static final long DAY_NS = 24L * 60 * 60 * 1_000_000_000L;

  /** Negotiated at t=0 from a SYN with sequence number 100 and TSval 5000: TS.Recent 5000, Last.ACK.sent 101. */
  static Timestamps negotiated() {
    Timestamps ts = new Timestamps();
    ts.offset = 7;
    ts.negotiated(segment(TcpHeader.FLAG_SYN, 100, 5000, 0), 0);
    return ts;
  }

  static SegmentRepr segment(int flags, int seq, int tsVal, int tsEcr) {
    SegmentRepr s = new SegmentRepr();
    s.flags = flags;
    s.seq = seq;
    s.timestamps = true;
    s.tsVal = tsVal;
    s.tsEcr = tsEcr;
    return s;
  }

  static SegmentRepr ack(int seq, int tsVal) {
    return segment(TcpHeader.FLAG_ACK, seq, tsVal, 0);
  }

  @Test
  void theClockTicksEveryMillisecondFromTheOffset() {
    Timestamps ts = negotiated();
    assertEquals(7, ts.tsVal(0));
    assertEquals(7, ts.tsVal(MS - 1));
    assertEquals(8, ts.tsVal(MS));
    assertEquals(7 + 1234, ts.tsVal(1234 * MS + 5));
    // A monotonic clock's origin is arbitrary: ticks stay 1 ms long across zero.
    assertEquals(6, ts.tsVal(-1));
    assertEquals(6, ts.tsVal(-MS));
    assertEquals(5, ts.tsVal(-MS - 1));
    // 2^32 ms (49.7 days) later the 32-bit clock is back where it was.
    assertEquals(7, ts.tsVal((1L << 32) * MS));
  }

  @Test
  void negotiationTakesTsRecentFromTheSyn() {
    Timestamps ts = negotiated();
    assertTrue(ts.enabled);
    assertEquals(5000, ts.recent);
    assertEquals(101, ts.lastAckSent);
  }

  @Test
  void pawsRejectsOnlyAnOlderTsValOnANonRstSegmentWithTimestamps() {
    Timestamps ts = negotiated();
    assertTrue(ts.pawsRejects(ack(101, 4999), MS), "RFC 7323 §5.3 R1: older than TS.Recent");
    assertFalse(ts.pawsRejects(ack(101, 5000), MS), "equal is not older");
    assertFalse(ts.pawsRejects(ack(101, 5001), MS));
    assertFalse(ts.pawsRejects(segment(TcpHeader.FLAG_RST, 101, 1, 0), MS), "a RST is not checked");
    SegmentRepr without = ack(101, 1);
    without.timestamps = false;
    assertFalse(ts.pawsRejects(without, MS), "nothing to check without the option");
    ts.enabled = false;
    assertFalse(ts.pawsRejects(ack(101, 1), MS), "nor without timestamps in use");
  }

  @Test
  void timestampsCompareModulo2To32() {
    Timestamps ts = negotiated();
    ts.recent = 0xFFFF_FFF0;
    assertFalse(ts.pawsRejects(ack(101, 5), MS), "5 is 21 ticks after 0xFFFFFFF0");
    assertTrue(ts.pawsRejects(ack(101, 0xFFFF_FFE0), MS));
    ts.maybeUpdateRecent(ack(101, 5), MS);
    assertEquals(5, ts.recent);
  }

  @Test
  void aTsRecentOlderThan24DaysNoLongerRejectsAndIsReplaced() {
    Timestamps ts = negotiated();
    assertTrue(ts.pawsRejects(ack(101, 4000), Timestamps.PAWS_IDLE_NS));
    assertFalse(ts.pawsRejects(ack(101, 4000), Timestamps.PAWS_IDLE_NS + 1), "RFC 7323 §5.5");
    ts.maybeUpdateRecent(ack(101, 4000), 25 * DAY_NS);
    assertEquals(4000, ts.recent, "the stale TS.Recent is replaced even by an older-looking TSval");
    assertEquals(25 * DAY_NS, ts.recentAgeNs);
    assertTrue(ts.pawsRejects(ack(101, 3999), 25 * DAY_NS + MS), "and PAWS holds again from there");
  }

  @Test
  void tsRecentTakesOnlyANewerTsValFromASegmentAtOrBeforeLastAckSent() {
    Timestamps ts = negotiated();
    ts.maybeUpdateRecent(ack(102, 6000), MS);
    assertEquals(5000, ts.recent, "RFC 7323 §4.3: SEG.SEQ beyond Last.ACK.sent (a delayed ACK's second segment)");
    ts.maybeUpdateRecent(ack(101, 4000), MS);
    assertEquals(5000, ts.recent, "an older TSval");
    ts.maybeUpdateRecent(ack(101, 6000), 3 * MS);
    assertEquals(6000, ts.recent);
    assertEquals(3 * MS, ts.recentAgeNs);
    ts.maybeUpdateRecent(ack(50, 6001), 4 * MS);
    assertEquals(6001, ts.recent, "a segment before Last.ACK.sent (a retransmission) counts");
    ts.ackSent(2000);
    ts.maybeUpdateRecent(ack(1999, 6002), 5 * MS);
    assertEquals(6002, ts.recent, "Last.ACK.sent follows the ACKs we send");
  }

  @Test
  void rttIsOurClockNowLessTheEchoedTsVal() {
    Timestamps ts = negotiated();
    assertEquals(30 * MS, ts.rttSampleNs(ts.tsVal(100 * MS), 130 * MS + 999_999), "RFC 7323 §4.1, in whole ticks");
    assertEquals(MS, ts.rttSampleNs(ts.tsVal(100 * MS), 100 * MS), "within the tick: one tick");
    assertEquals(-1, ts.rttSampleNs(ts.tsVal(200 * MS), 100 * MS), "an echo from our future is no sample");
    assertEquals(-1, ts.rttSampleNs(0, 100 * MS), "TSecr 0: none");
    ts.enabled = false;
    assertEquals(-1, ts.rttSampleNs(ts.tsVal(100 * MS), 130 * MS), "timestamps not in use");
  }

  @Test
  void anArrivingSegmentsTsEcrCountsOnlyWithAck() {
    Timestamps ts = negotiated();
    ts.arrived(ack(101, 5001));
    assertEquals(0, ts.echoed);
    ts.arrived(segment(TcpHeader.FLAG_ACK, 101, 5001, 77));
    assertEquals(77, ts.echoed);
    ts.arrived(segment(TcpHeader.FLAG_SYN, 101, 5001, 77));
    assertEquals(0, ts.echoed, "RFC 7323 §3.2: TSecr is valid only with ACK");
  }

  @Test
  void theOffsetIsAKeyedHashOfTheFourTupleApartFromTheIsns() {
    IsnGenerator g = new IsnGenerator(new byte[16]);
    int a = 0xC612_0002;
    int b = 0xC612_0001;
    assertEquals(g.timestampOffset(a, 7, b, 40000), g.timestampOffset(a, 7, b, 40000), "the same for every incarnation");
    assertNotEquals(g.timestampOffset(a, 7, b, 40000), g.timestampOffset(a, 7, b, 40001));
    assertNotEquals(g.offset(a, 7, b, 40000), g.timestampOffset(a, 7, b, 40000), "a key of its own");
    byte[] other = new byte[16];
    other[0] = 1;
    assertNotEquals(g.timestampOffset(a, 7, b, 40000), new IsnGenerator(other).timestampOffset(a, 7, b, 40000));
  }
}
