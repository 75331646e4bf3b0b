package io.tcpstack.tcp.cc;

import java.util.function.LongUnaryOperator;

/**
 * A bulk sender in front of a {@link CongestionControl}, in virtual time: it keeps cwnd filled
 * with whole segments and the peer acknowledges one segment per ACK, in order. It numbers the
 * rounds as RFC 9406 §4.2 does, by sequence number — a round ends when the SND.NXT of its start
 * ("windowEnd") is acknowledged — so a test can give each round its RTT and check that the
 * congestion control, which counts bytes instead, saw the same rounds.
 */
final class Flow {

  final CongestionControl cc;
  final int mss;
  long nowNs;
  /** SND.UNA, SND.NXT, relative to the first data byte. */
  long una;
  long nxt;
  long windowEnd;
  /** RFC 9406 rounds so far (the first ACK starts round 1). */
  long round;

  /** Starts {@code cc} (the initial window) and sends it. */
  Flow(CongestionControl cc, int mss, long nowNs) {
    this(cc, mss, nowNs, true);
  }

  /** With {@code start} false, {@code cc} is already running: its cwnd is sent, and rounds count from the next ACK. */
  Flow(CongestionControl cc, int mss, long nowNs, boolean start) {
    this.cc = cc;
    this.mss = mss;
    this.nowNs = nowNs;
    if (start) {
      cc.start(mss, nowNs);
    }
    fill();
  }

  /** The bytes in flight. */
  long flight() {
    return nxt - una;
  }

  /**
   * One ACK for the oldest segment, {@code gapNs} after the previous one, with an RTT sample of
   * {@code rttOfRound(round)} (none if that is negative).
   */
  void ack(long gapNs, LongUnaryOperator rttOfRound) {
    nowNs += gapNs;
    int flight = (int) flight();
    if (una + mss >= windowEnd) { // windowEnd acknowledged: a new round, to SND.NXT now
      round++;
      windowEnd = nxt;
    }
    long rtt = rttOfRound.applyAsLong(round);
    if (rtt >= 0) {
      cc.onRttSample(rtt, nowNs);
    }
    cc.onAck(mss, flight, nowNs);
    una += mss;
    fill();
  }

  /** ACKs until round {@code last} has ended (the ACK that starts round {@code last + 1} is not sent). */
  void ackThroughRound(long last, long gapNs, LongUnaryOperator rttOfRound) {
    while (!(una + mss >= windowEnd && round == last)) {
      ack(gapNs, rttOfRound);
    }
  }

  /** ACKs, one every {@code gapNs}, until {@code untilNs}. */
  void ackUntil(long untilNs, long gapNs, long rttNs) {
    while (nowNs + gapNs <= untilNs) {
      ack(gapNs, r -> rttNs);
    }
  }

  /**
   * One round trip of a steady flow: the ACKs for what is in flight now, spread evenly over {@code
   * rttNs}, each with that RTT.
   */
  void roundTrip(long rttNs) {
    long acks = Math.max(1, flight() / mss);
    for (long i = 0; i < acks; i++) {
      ack(rttNs / acks, r -> rttNs);
    }
  }

  private void fill() {
    while (nxt - una + mss <= cc.cwnd()) {
      nxt += mss;
    }
  }
}
