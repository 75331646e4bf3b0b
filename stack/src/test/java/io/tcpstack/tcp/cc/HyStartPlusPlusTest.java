package io.tcpstack.tcp.cc;

import static io.tcpstack.tcp.cc.HyStartPlusPlus.Phase.CSS;
import static io.tcpstack.tcp.cc.HyStartPlusPlus.Phase.DONE;
import static io.tcpstack.tcp.cc.HyStartPlusPlus.Phase.SLOW_START;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HyStart++ (RFC 9406 §4): rounds as the RFC numbers them, the exit from slow start into
 * Conservative Slow Start on an RTT increase, the return to slow start when the exit was
 * spurious, the end of CSS after CSS_ROUNDS rounds; inside CUBIC (RFC 9438 §4.10) and NewReno.
 */
class HyStartPlusPlusTest {

  static final int MSS = 1000;
  static final long MS = 1_000_000L;
  static final long GAP = MS; // between ACKs; HyStart++ looks only at the RTT samples

  /** Only HyStart++'s slow start, to watch it from a {@link Flow}. */
  static final class SlowStartOnly implements CongestionControl {
    final HyStartPlusPlus hyStart = new HyStartPlusPlus();
    int mss;
    int cwnd;
    int ssthresh = Integer.MAX_VALUE;

    @Override
    public String name() {
      return "hystart";
    }

    @Override
    public void start(int mss, long nowNs) {
      this.mss = mss;
      cwnd = CongestionControl.initialWindow(mss);
      hyStart.reset();
    }

    @Override
    public void resume(int mss, int cwnd, int ssthresh, long nowNs) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int cwnd() {
      return cwnd;
    }

    @Override
    public int ssthresh() {
      return ssthresh;
    }

    @Override
    public void onRttSample(long rttNs, long nowNs) {
      hyStart.onRttSample(rttNs);
    }

    @Override
    public void onAck(int ackedBytes, int flightBeforeAck, long nowNs) {
      if (hyStart.active()) {
        cwnd += hyStart.onAck(ackedBytes, flightBeforeAck, mss);
        if (!hyStart.active()) {
          ssthresh = cwnd;
        }
      }
    }

    @Override
    public void onEnterRecovery(int flightSize, long nowNs) {
      hyStart.stop();
    }

    @Override
    public void onDuplicateAckInRecovery() {}

    @Override
    public void onPartialAck(int ackedBytes) {}

    @Override
    public void onExitRecovery(int flightSize, long nowNs) {}

    @Override
    public void onRetransmitTimeout(int flightSize, long nowNs) {
      hyStart.stop();
    }
  }

  /** 100 ms for rounds 1-3, then {@code after}. */
  static LongUnaryOperator risingAfterRound3(long afterNs) {
    return r -> r <= 3 ? 100 * MS : afterNs;
  }

  @Test
  void constantsAreRfc9406s() {
    assertEquals(4 * MS, HyStartPlusPlus.MIN_RTT_THRESH_NS);
    assertEquals(16 * MS, HyStartPlusPlus.MAX_RTT_THRESH_NS);
    assertEquals(8, HyStartPlusPlus.MIN_RTT_DIVISOR);
    assertEquals(8, HyStartPlusPlus.N_RTT_SAMPLE);
    assertEquals(4, HyStartPlusPlus.CSS_GROWTH_DIVISOR);
    assertEquals(5, HyStartPlusPlus.CSS_ROUNDS);
    assertEquals(8, HyStartPlusPlus.L_NON_PACED);
  }

  @Test
  void roundsCountedInBytesAreTheRoundsBySequenceNumber() {
    SlowStartOnly cc = new SlowStartOnly();
    Flow f = new Flow(cc, MSS, 0);
    for (int i = 0; i < 3000; i++) {
      f.ack(GAP, r -> 100 * MS);
      assertEquals(f.round, cc.hyStart.rounds(), "after ACK " + i);
    }
    assertEquals(SLOW_START, cc.hyStart.phase(), "a steady RTT never ends slow start");
    assertTrue(f.round >= 8, "rounds: " + f.round);
  }

  @Nested
  class SlowStartExit {

    @Test
    void anRttIncreaseAfterEightSamplesEntersConservativeSlowStart() {
      SlowStartOnly cc = new SlowStartOnly();
      Flow f = new Flow(cc, MSS, 0);
      LongUnaryOperator rtt = risingAfterRound3(113 * MS); // 100 + 100/8 = 112.5 ms
      f.ackThroughRound(3, GAP, rtt);
      assertEquals(SLOW_START, cc.hyStart.phase());
      for (int sample = 1; sample <= 7; sample++) {
        int before = cc.cwnd();
        f.ack(GAP, rtt);
        assertEquals(4, f.round);
        assertEquals(SLOW_START, cc.hyStart.phase(), "sample " + sample + " of round 4");
        assertEquals(before + MSS, cc.cwnd(), "slow start: min(N, L·SMSS)");
      }
      f.ack(GAP, rtt); // the eighth sample: currentRoundMinRTT >= lastRoundMinRTT + RttThresh
      assertEquals(CSS, cc.hyStart.phase());
      int before = cc.cwnd();
      f.ack(GAP, rtt);
      assertEquals(before + MSS / HyStartPlusPlus.CSS_GROWTH_DIVISOR, cc.cwnd(), "CSS: a quarter");
    }

    @Test
    void cssEndsAfterCssRoundsWithSsthreshAtCwnd() {
      SlowStartOnly cc = new SlowStartOnly();
      Flow f = new Flow(cc, MSS, 0);
      LongUnaryOperator rtt = risingAfterRound3(120 * MS);
      f.ackThroughRound(4, GAP, rtt);
      assertEquals(CSS, cc.hyStart.phase());
      // CSS began in round 4; rounds 5, 6, 7 and 8 start in CSS; the start of round 9 is the fifth.
      f.ackThroughRound(8, GAP, rtt);
      assertEquals(CSS, cc.hyStart.phase());
      assertEquals(Integer.MAX_VALUE, cc.ssthresh());
      int cwnd = cc.cwnd();
      f.ack(GAP, rtt);
      assertEquals(9, f.round);
      assertEquals(DONE, cc.hyStart.phase());
      assertEquals(cwnd, cc.cwnd(), "no growth on the ACK that ends CSS");
      assertEquals(cwnd, cc.ssthresh(), "RFC 9406 §4.2: ssthresh = cwnd");
    }

    @Test
    void aSpuriousExitResumesSlowStartWithHyStart() {
      SlowStartOnly cc = new SlowStartOnly();
      Flow f = new Flow(cc, MSS, 0);
      LongUnaryOperator rtt = r -> r <= 3 ? 100 * MS : r == 4 ? 120 * MS : r <= 6 ? 105 * MS : 130 * MS;
      f.ackThroughRound(4, GAP, rtt);
      assertEquals(CSS, cc.hyStart.phase());
      for (int sample = 1; sample <= 7; sample++) {
        f.ack(GAP, rtt);
        assertEquals(CSS, cc.hyStart.phase(), "sample " + sample + " of round 5");
      }
      f.ack(GAP, rtt); // 105 ms < cssBaselineMinRtt (120 ms) over eight samples: the exit was spurious
      assertEquals(SLOW_START, cc.hyStart.phase());
      int before = cc.cwnd();
      f.ack(GAP, rtt);
      assertEquals(before + MSS, cc.cwnd(), "slow start's growth again");
      // HyStart++ goes on watching: round 7 rises from round 6's 105 ms by more than 105/8.
      f.ackThroughRound(6, GAP, rtt);
      assertEquals(SLOW_START, cc.hyStart.phase());
      f.ackThroughRound(7, GAP, rtt);
      assertEquals(CSS, cc.hyStart.phase());
    }

    @ParameterizedTest(name = "last round {0} ms, this round {1} ms: CSS {2}")
    @CsvSource({
        "10, 13.9, false", "10, 14, true",    // 10/8 = 1.25 ms: MIN_RTT_THRESH (4 ms)
        "64, 71.9, false", "64, 72, true",    // 64/8 = 8 ms
        "200, 215.9, false", "200, 216, true" // 200/8 = 25 ms: MAX_RTT_THRESH (16 ms)
    })
    void theThresholdIsAnEighthOfTheLastMinimumWithinFourAndSixteenMs(double lastMs, double nowMs, boolean css) {
      SlowStartOnly cc = new SlowStartOnly();
      Flow f = new Flow(cc, MSS, 0);
      LongUnaryOperator rtt = r -> (long) ((r <= 3 ? lastMs : nowMs) * MS);
      f.ackThroughRound(4, GAP, rtt);
      assertEquals(css ? CSS : SLOW_START, cc.hyStart.phase());
    }

    @Test
    void withFewerThanEightSamplesPerRoundSlowStartGoesOn() {
      // One sample per round, as a sender that times one segment per round trip takes them.
      SlowStartOnly cc = new SlowStartOnly();
      Flow f = new Flow(cc, MSS, 0);
      long[] sampled = {0};
      f.ackThroughRound(8, GAP, r -> {
        if (r == sampled[0]) {
          return -1;
        }
        sampled[0] = r;
        return r <= 3 ? 100 * MS : 1000 * MS;
      });
      assertEquals(SLOW_START, cc.hyStart.phase());
    }

    @Test
    void anAckGrowsCwndByAtMostLSegments() {
      SlowStartOnly cc = new SlowStartOnly();
      cc.start(MSS, 0);
      cc.onAck(20 * MSS, 20 * MSS, 0);
      assertEquals(10 * MSS + HyStartPlusPlus.L_NON_PACED * MSS, cc.cwnd());
    }

    @Test
    void aLossEndsIt() {
      SlowStartOnly cc = new SlowStartOnly();
      Flow f = new Flow(cc, MSS, 0);
      f.ackThroughRound(2, GAP, r -> 100 * MS);
      cc.onEnterRecovery((int) f.flight(), f.nowNs);
      assertEquals(DONE, cc.hyStart.phase());
      assertEquals(0, cc.hyStart.onAck(MSS, (int) f.flight(), MSS));
    }
  }

  // ------------------------------------------------------------------ in the algorithms

  @Nested
  class InCubic {

    @Test
    void cubicLeavesTheFirstSlowStartThroughCssIntoAStageOfItsOwn() {
      Cubic c = new Cubic();
      Flow f = new Flow(c, MSS, 0);
      LongUnaryOperator rtt = risingAfterRound3(120 * MS);
      f.ackThroughRound(3, GAP, rtt);
      assertEquals(Cubic.Region.SLOW_START, c.region());
      f.ackThroughRound(4, GAP, rtt);
      assertEquals(CSS, c.hyStartPhase());
      assertEquals(Cubic.Region.CONSERVATIVE_SLOW_START, c.region());
      assertEquals(Integer.MAX_VALUE, c.ssthresh());
      f.ackThroughRound(8, GAP, rtt);
      f.ack(GAP, rtt);
      assertEquals(DONE, c.hyStartPhase());
      int cwnd = c.cwnd();
      // RFC 9438 §4.10: no loss, so no W_max: cwnd_prior = cwnd, and the stage starts with K = 0
      // and W_max = cwnd_epoch.
      assertEquals(cwnd, c.ssthresh());
      assertEquals(cwnd, c.cwndPrior());
      f.ack(GAP, rtt);
      assertEquals(cwnd, c.cwndEpoch());
      assertEquals(0, c.k());
      assertEquals(cwnd, c.wMax());
      // At t = 0, W_cubic = cwnd_epoch and W_est is already one ACK ahead of it.
      assertEquals(Cubic.Region.RENO_FRIENDLY, c.region());
    }

    @Test
    void withoutHyStartCubicSlowStartIgnoresTheRtt() {
      Cubic c = new Cubic(true, false);
      Flow f = new Flow(c, MSS, 0);
      f.ackThroughRound(8, GAP, risingAfterRound3(300 * MS));
      assertNull(c.hyStartPhase());
      assertEquals(Integer.MAX_VALUE, c.ssthresh());
      assertEquals(Cubic.Region.SLOW_START, c.region());
    }
  }

  @Nested
  class InNewReno {

    @Test
    void newRenoIsUnchangedByDefault() {
      NewReno n = new NewReno();
      Flow f = new Flow(n, MSS, 0);
      LongUnaryOperator rtt = risingAfterRound3(300 * MS);
      for (int i = 0; i < 200; i++) {
        int before = n.cwnd();
        f.ack(GAP, rtt);
        assertEquals(before + MSS, n.cwnd(), "RFC 5681 slow start, one SMSS per ACK");
      }
      assertNull(n.hyStartPhase());
      assertEquals(Integer.MAX_VALUE, n.ssthresh());
    }

    @Test
    void newRenoWithHyStartLeavesSlowStartAsCubicDoes() {
      NewReno n = new NewReno(true);
      Flow f = new Flow(n, MSS, 0);
      LongUnaryOperator rtt = risingAfterRound3(120 * MS);
      f.ackThroughRound(4, GAP, rtt);
      assertEquals(CSS, n.hyStartPhase());
      f.ackThroughRound(8, GAP, rtt);
      f.ack(GAP, rtt);
      assertEquals(DONE, n.hyStartPhase());
      assertEquals(n.cwnd(), n.ssthresh());
      // Congestion avoidance from here: one SMSS per cwnd of acknowledged bytes.
      int cwnd = n.cwnd();
      for (int acked = 0; acked < cwnd; acked += MSS) {
        f.ack(GAP, rtt);
      }
      assertEquals(cwnd + MSS, n.cwnd());
    }
  }
}
