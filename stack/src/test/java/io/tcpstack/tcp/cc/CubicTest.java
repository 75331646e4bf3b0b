package io.tcpstack.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * CUBIC (RFC 9438) against the RFC's formulas: K and W_cubic(t) (§4.2), the step each ACK takes
 * toward the target, the Reno-friendly, concave and convex regions (§4.3-§4.5), the reduction
 * (§4.6), fast convergence (§4.7), timeouts (§4.8), undo (§4.9), and time that does not count
 * while the application leaves the window unused (§4.2). The RFC counts segments; with an SMSS of
 * 1000 bytes, a segment count is the byte count / 1000.
 */
class CubicTest {

  static final int MSS = 1000;
  static final long MS = 1_000_000L;
  static final long S = 1_000 * MS;

  /** Slow start (RFC 5681, one segment per ACK) from the initial window to exactly {@code segments}. */
  static void growTo(CongestionControl c, int segments) {
    while (c.cwnd() < segments * MSS) {
      c.onAck(MSS, c.cwnd(), 0);
    }
    assertEquals(segments * MSS, c.cwnd());
  }

  /**
   * CUBIC whose first loss came at exactly {@code w} segments with {@code w} in flight; recovery
   * has ended (at time 0) with cwnd = ssthresh = 0.7·w; the smoothed RTT is {@code rttNs}.
   */
  static Cubic afterLossAt(int w, long rttNs) {
    Cubic c = new Cubic();
    c.start(MSS, 0);
    c.onRttSample(rttNs, 0);
    growTo(c, w);
    c.onEnterRecovery(w * MSS, 0);
    c.onExitRecovery(c.ssthresh(), 0);
    assertEquals(w * MSS * 7 / 10, c.cwnd());
    assertEquals(c.ssthresh(), c.cwnd());
    return c;
  }

  /** The RFC's W_cubic(t) in segments (Figure 1). */
  static double wCubicSegments(double t, double k, double wMaxSegments) {
    return Cubic.C * Math.pow(t - k, 3) + wMaxSegments;
  }

  @Test
  void constantsAreRfc9438s() {
    assertEquals(0.4, Cubic.C);                  // §4.1.1
    assertEquals(0.7, Cubic.BETA_CUBIC);         // §4.1.1
    assertEquals(3 * 0.3 / 1.7, Cubic.ALPHA_CUBIC, 1e-15); // §4.3
    assertEquals(0.85, Cubic.FAST_CONVERGENCE_FACTOR, 1e-15); // §4.7
    assertEquals(1.5, Cubic.MAX_TARGET_FACTOR);  // §4.2
    assertEquals(2, Cubic.MIN_SSTHRESH_SEGMENTS); // §4.6
  }

  @Test
  void startsWithTheInitialWindowAndNoThreshold() {
    Cubic c = new Cubic();
    c.start(1460, 0);
    assertEquals("cubic", c.name());
    assertEquals(14_600, c.cwnd()); // RFC 6928
    assertEquals(Integer.MAX_VALUE, c.ssthresh());
    assertEquals(Cubic.Region.SLOW_START, c.region());
    assertEquals(HyStartPlusPlus.Phase.SLOW_START, c.hyStartPhase());
    assertEquals(0, c.wMax(), "no congestion event yet");
  }

  // ------------------------------------------------------------------ §4.2 the window increase function

  @Nested
  class WindowIncreaseFunction {

    @Test
    void kIsTheTimeFromCwndEpochBackToWMax() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onAck(MSS, c.cwnd(), 5 * S); // the first ACK of congestion avoidance starts the stage
      assertEquals(70_000, c.cwndEpoch());
      assertEquals(100_000, c.wMax());
      // Figure 2: K = cubic_root((W_max - cwnd_epoch)/C) = cbrt(30 / 0.4) = cbrt(75) s.
      assertEquals(Math.cbrt(75), c.k(), 1e-12);
      assertEquals(4.2172, c.k(), 1e-4);
    }

    @Test
    void wCubicFollowsFigure1() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onAck(MSS, c.cwnd(), 5 * S);
      double k = c.k();
      assertEquals(70_000, c.wCubic(0), 1e-6, "W_cubic(0) = cwnd_epoch");
      assertEquals(100_000, c.wCubic(k), 1e-6, "W_cubic(K) = W_max");
      assertEquals(130_000, c.wCubic(2 * k), 1e-6, "symmetric about K");
      for (double t : new double[] {0.5, 1, 2, 3.5, 6, 10}) {
        assertEquals(MSS * wCubicSegments(t, k, 100), c.wCubic(t), 1e-6, "t=" + t);
      }
      assertEquals(MSS * (0.4 * Math.pow(1 - Math.cbrt(75), 3) + 100), c.wCubic(1), 1e-6);
    }

    @Test
    void eachAckMovesCwndByTargetMinusCwndOverCwnd() {
      long rtt = 100 * MS;
      Cubic c = afterLossAt(100, rtt);
      c.onAck(MSS, c.cwnd(), 5 * S); // t = 0
      double k = c.k();
      for (double t : new double[] {0.5, 1.0, 2.0, 3.0}) {
        int before = c.cwnd();
        c.onAck(MSS, before, 5 * S + (long) (t * S));
        // §4.2: target = W_cubic(t + RTT) within [cwnd, 1.5 cwnd]; §4.4: cwnd += (target - cwnd)/cwnd
        // per segment acknowledged.
        double target = Math.min(Math.max(MSS * wCubicSegments(t + 0.1, k, 100), before), 1.5 * before);
        double expected = before + (target - before) * MSS / before;
        assertEquals(Cubic.Region.CONCAVE, c.region());
        assertEquals(expected, c.cwnd(), 1.0, "t=" + t);
      }
    }

    @Test
    void theTargetIsAtMostOneAndAHalfCwnd() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      c.onRttSample(100 * MS, 0);
      c.resume(MSS, 20 * MSS, 20 * MSS, 0); // no W_max: the stage starts with K = 0
      c.onAck(MSS, c.cwnd(), 0);
      assertEquals(0, c.k());
      int before = c.cwnd();
      c.onAck(MSS, before, 100 * S); // W_cubic(100 s) is far beyond 1.5 cwnd
      assertEquals(before + (1.5 * before - before) * MSS / before, c.cwnd(), 1.0);
      assertEquals(before + MSS / 2, c.cwnd(), 1, "half a segment per segment acknowledged");
      assertEquals(Cubic.Region.CONVEX, c.region());
    }
  }

  // ------------------------------------------------------------------ §4.3-§4.5 regions

  @Nested
  class Regions {

    @Test
    void wEstStartsAtCwndEpochAndGrowsByAlphaCubicPerWindow() {
      Cubic c = afterLossAt(10, 10 * MS);
      c.onAck(MSS, c.cwnd(), 0);
      // §4.3: W_est = cwnd_epoch at the start of the stage, then += α_cubic·segments_acked/cwnd.
      assertEquals(7_000 + Cubic.ALPHA_CUBIC * MSS * MSS / 7_000, c.wEst(), 1e-9);
      assertEquals(10_000, c.cwndPrior());
    }

    @Test
    void theRenoFriendlyRegionTakesOverAtASmallWMaxAndShortRtt() {
      long rtt = 10 * MS;
      Cubic c = afterLossAt(10, rtt);
      Flow f = new Flow(c, MSS, 0, false);
      while (f.nowNs < 1 * S) {
        f.roundTrip(rtt);
      }
      // W_cubic(1 s) is below W_max (K = cbrt(7.5) = 1.96 s), but a hundred round trips of Reno
      // (α_cubic until W_est reaches cwnd_prior, then 1 per RTT) are far beyond it.
      assertEquals(Cubic.Region.RENO_FRIENDLY, c.region());
      double t = f.nowNs / (double) S;
      assertTrue(c.wCubic(t) < 10_000, "W_cubic(" + t + ") = " + c.wCubic(t));
      assertEquals((int) c.wEst(), c.cwnd(), "cwnd = W_est");
      assertTrue(c.cwnd() > 80 * MSS && c.cwnd() < 110 * MSS, "about one segment per round trip: " + c.cwnd());
      // Beyond cwnd_prior, α = 1: one more segment per window's worth of ACKs.
      int before = c.cwnd();
      f.roundTrip(rtt);
      assertEquals(before + MSS, c.cwnd(), 0.05 * MSS);
    }

    @Test
    void concaveBelowWMaxThenConvexAbove() {
      // At a large W_max (1000 segments, K = cbrt(750) = 9.1 s) the cubic function outgrows Reno's
      // estimate throughout, so the curve shows: concave up to W_max, convex beyond.
      long rtt = 100 * MS;
      Cubic c = afterLossAt(1000, rtt);
      Flow f = new Flow(c, MSS, 0, false);
      f.roundTrip(rtt);
      double k = c.k();
      assertEquals(Math.cbrt(750), k, 1e-9);
      int growthEarly = 0;
      int growthLate = 0;
      while (f.nowNs < (long) ((k - 0.5) * S)) {
        int before = c.cwnd();
        f.roundTrip(rtt);
        double t = f.nowNs / (double) S;
        assertEquals(Cubic.Region.CONCAVE, c.region(), "t=" + t);
        assertTrue(c.cwnd() < 1_000_000);
        // cwnd keeps to the curve: between W_cubic(t) and W_cubic(t + RTT), within a segment.
        assertTrue(c.cwnd() >= c.wCubic(t) - MSS && c.cwnd() <= c.wCubic(t + 0.1) + MSS,
            "t=" + t + " cwnd=" + c.cwnd() + " W_cubic=" + c.wCubic(t));
        if (growthEarly == 0) {
          growthEarly = c.cwnd() - before;
        }
        growthLate = c.cwnd() - before;
      }
      assertTrue(growthLate < growthEarly / 10, "concave: the growth flattens near W_max: " + growthEarly + " -> " + growthLate);
      while (f.nowNs < (long) ((k + 1) * S)) {
        f.roundTrip(rtt);
      }
      assertEquals(Cubic.Region.CONVEX, c.region());
      assertTrue(c.cwnd() > 1_000_000);
      int before = c.cwnd();
      f.roundTrip(rtt);
      int convexEarly = c.cwnd() - before;
      while (f.nowNs < (long) ((k + 3) * S)) {
        f.roundTrip(rtt);
      }
      before = c.cwnd();
      f.roundTrip(rtt);
      assertTrue(c.cwnd() - before > 2 * convexEarly, "convex: the growth speeds up beyond W_max");
      double t = f.nowNs / (double) S;
      assertEquals(Cubic.Region.CONVEX, c.region());
      assertTrue(c.cwnd() >= c.wCubic(t) - MSS && c.cwnd() <= c.wCubic(t + 0.1) + MSS,
          "t=" + t + " cwnd=" + c.cwnd() + " W_cubic=" + c.wCubic(t));
    }
  }

  // ------------------------------------------------------------------ §4.6 multiplicative decrease

  @Nested
  class MultiplicativeDecrease {

    @Test
    void aLossSetsSsthreshToBetaTimesTheFlight() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      growTo(c, 100);
      c.onEnterRecovery(90_000, 0);
      assertEquals(63_000, c.ssthresh(), "flight_size·β_cubic");
      assertEquals(63_000 + 3 * MSS, c.cwnd(), "RFC 5681 §3.2 step 3");
      assertEquals(100_000, c.cwndPrior());
      assertEquals(100_000, c.wMax(), "the first loss: W_max = cwnd");
      assertEquals(Cubic.Region.RECOVERY, c.region());
      assertEquals(HyStartPlusPlus.Phase.DONE, c.hyStartPhase(), "RFC 9406 §4.2: a loss ends HyStart++");
    }

    @Test
    void aFlightBeyondCwndIsCountedAsCwnd() {
      // With SACK, SND.MAX - SND.UNA also counts what the peer holds beyond a hole: it can exceed
      // cwnd, and 0.7 of it would not be a reduction.
      Cubic c = new Cubic();
      c.start(MSS, 0);
      growTo(c, 60);
      c.onEnterRecovery(97 * MSS, 0);
      assertEquals(42_000, c.ssthresh(), "cwnd·β_cubic");
      Cubic t = new Cubic();
      t.start(MSS, 0);
      growTo(t, 60);
      t.onRetransmitTimeout(97 * MSS, 0);
      assertEquals(42_000, t.ssthresh(), "a timeout too");
    }

    @Test
    void ssthreshIsAtLeastTwoSegments() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      c.onEnterRecovery(2 * MSS, 0);
      assertEquals(2 * MSS, c.ssthresh()); // max(1400, 2000)
      assertEquals(5 * MSS, c.cwnd());
    }

    @Test
    void recoveryInflatesAndDeflatesAsRfc6582() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      growTo(c, 20);
      c.onEnterRecovery(20 * MSS, 0);
      assertEquals(14_000 + 3 * MSS, c.cwnd());
      c.onDuplicateAckInRecovery();
      assertEquals(14_000 + 4 * MSS, c.cwnd(), "step 4");
      c.onPartialAck(5 * MSS);
      assertEquals(14_000 + 4 * MSS - 5 * MSS + MSS, c.cwnd(), "partial: deflate, add one back");
      c.onExitRecovery(3 * MSS, 0);
      assertEquals(4 * MSS, c.cwnd(), "full: min(ssthresh, max(FlightSize, SMSS) + SMSS)");
      assertEquals(Cubic.Region.SLOW_START, c.region(), "below ssthresh again");
    }
  }

  // ------------------------------------------------------------------ §4.7 fast convergence

  @Nested
  class FastConvergence {

    /** A flow after its first loss at 100 segments, some round trips into the concave region. */
    Cubic concaveAfterALoss(Cubic c) {
      c.start(MSS, 0);
      c.onRttSample(100 * MS, 0);
      growTo(c, 100);
      c.onEnterRecovery(100 * MSS, 0);
      c.onExitRecovery(c.ssthresh(), 0);
      Flow f = new Flow(c, MSS, 0, false);
      for (int i = 0; i < 10; i++) {
        f.roundTrip(100 * MS);
      }
      assertTrue(c.cwnd() < 100_000 && c.cwnd() > 70_000, "below the last W_max: " + c.cwnd());
      return c;
    }

    @Test
    void aLossBelowWMaxLowersWMaxFurther() {
      Cubic c = concaveAfterALoss(new Cubic());
      int cwnd = c.cwnd();
      c.onEnterRecovery(cwnd, 10 * S);
      assertEquals(cwnd * 0.85, c.wMax(), 1e-6, "W_max = cwnd·(1 + β_cubic)/2");
      assertEquals(cwnd, c.cwndPrior());
      assertEquals(cwnd * 7 / 10, c.ssthresh());
      // The next stage climbs to the lowered W_max: K = cbrt((W_max - cwnd_epoch)/C).
      c.onExitRecovery(c.ssthresh(), 10 * S);
      c.onAck(MSS, c.cwnd(), 10 * S);
      assertEquals(Math.cbrt((cwnd * 0.85 - c.cwndEpoch()) / MSS / Cubic.C), c.k(), 1e-9);
    }

    @Test
    void withoutFastConvergenceWMaxIsTheCwndAtTheLoss() {
      Cubic c = concaveAfterALoss(new Cubic(false, true));
      int cwnd = c.cwnd();
      c.onEnterRecovery(cwnd, 10 * S);
      assertEquals(cwnd, c.wMax());
    }

    @Test
    void aLossAboveWMaxRemembersTheCwnd() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      c.onRttSample(100 * MS, 0);
      growTo(c, 20);
      c.onEnterRecovery(20 * MSS, 0);
      c.onExitRecovery(c.ssthresh(), 0);
      Flow f = new Flow(c, MSS, 0, false);
      while (c.cwnd() <= 25 * MSS) {
        f.roundTrip(100 * MS);
      }
      int cwnd = c.cwnd();
      c.onEnterRecovery(cwnd, f.nowNs);
      assertEquals(cwnd, c.wMax());
    }
  }

  // ------------------------------------------------------------------ §4.8 timeout

  @Nested
  class Timeout {

    @Test
    void aTimeoutCollapsesCwndAndSetsSsthreshWithBeta() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onAck(MSS, c.cwnd(), S);
      c.onRetransmitTimeout(60 * MSS, 2 * S);
      assertEquals(MSS, c.cwnd(), "RFC 5681 §3.1: the loss window");
      assertEquals(42_000, c.ssthresh(), "flight_size·β_cubic, as §4.6");
      assertEquals(0, c.wMax(), "forgotten: the next stage starts from its own window");
      assertEquals(Cubic.Region.SLOW_START, c.region());
    }

    @Test
    void aSecondTimeoutKeepsSsthresh() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onRetransmitTimeout(60 * MSS, S);
      c.onRetransmitTimeout(60 * MSS, 2 * S);
      assertEquals(42_000, c.ssthresh());
      c.onRetransmitTimeout(2 * MSS, 3 * S);
      assertEquals(42_000, c.ssthresh(), "RFC 5681 §3.1: held constant for a segment the timer resent");
      assertEquals(MSS, c.cwnd());
    }

    @Test
    void afterATimeoutSlowStartThenAStageWithKZeroFromItsOwnWindow() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onRetransmitTimeout(20 * MSS, S);
      assertEquals(14_000, c.ssthresh());
      c.onAck(3 * MSS, MSS, S);
      assertEquals(2 * MSS, c.cwnd(), "RFC 5681 slow start: min(N, SMSS) — HyStart++ was only for the first");
      while (c.cwnd() < c.ssthresh()) {
        c.onAck(MSS, c.cwnd(), S);
      }
      c.onAck(MSS, c.cwnd(), 2 * S);
      assertEquals(14_000, c.cwndEpoch());
      assertEquals(0, c.k(), "§4.8: K = 0");
      assertEquals(14_000, c.wMax(), "§4.8: W_max = cwnd at the start of the stage");
      assertEquals(14_000 + 0.4 * 8 * MSS, c.wCubic(2), 1e-6, "W_cubic(t) = C·t³ + cwnd_epoch");
      assertEquals(14_000, c.wEst(), Cubic.ALPHA_RENO * MSS, "§4.8: W_est starts at cwnd_epoch");
    }
  }

  // ------------------------------------------------------------------ §4.9 spurious congestion events

  @Nested
  class Undo {

    @Test
    void undoRestoresTheStateBeforeTheReduction() {
      Cubic c = afterLossAt(100, 100 * MS);
      Flow f = new Flow(c, MSS, 0, false);
      for (int i = 0; i < 5; i++) {
        f.roundTrip(100 * MS);
      }
      int cwnd = c.cwnd();
      double wMax = c.wMax();
      double k = c.k();
      double wEst = c.wEst();
      int epoch = c.cwndEpoch();
      c.onEnterRecovery(cwnd, f.nowNs);
      c.onExitRecovery(c.ssthresh(), f.nowNs);
      assertTrue(c.undo());
      assertEquals(cwnd, c.cwnd());
      assertEquals(70_000, c.ssthresh());
      assertEquals(wMax, c.wMax());
      assertEquals(k, c.k());
      assertEquals(wEst, c.wEst());
      assertEquals(epoch, c.cwndEpoch());
      assertEquals(100_000, c.cwndPrior());
      assertFalse(c.undo(), "only once");
      // The stage goes on where it was: the next ACK follows the same curve.
      f.roundTrip(100 * MS);
      assertEquals(Cubic.Region.CONCAVE, c.region());
    }

    @Test
    void undoAfterTimeoutsRestoresTheStateBeforeTheFirst() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onRetransmitTimeout(70 * MSS, S);
      c.onRetransmitTimeout(70 * MSS, 2 * S);
      assertTrue(c.undo());
      assertEquals(70_000, c.cwnd());
      assertEquals(70_000, c.ssthresh());
      assertEquals(100_000, c.wMax());
    }

    @Test
    void undoOfALossInTheFirstSlowStartResumesHyStart() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      growTo(c, 30);
      c.onEnterRecovery(30 * MSS, 0);
      assertTrue(c.undo());
      assertEquals(Integer.MAX_VALUE, c.ssthresh());
      assertEquals(30 * MSS, c.cwnd());
      assertEquals(HyStartPlusPlus.Phase.SLOW_START, c.hyStartPhase());
    }

    @Test
    void nothingToUndo() {
      Cubic c = new Cubic();
      c.start(MSS, 0);
      assertFalse(c.undo());
      assertEquals(10 * MSS, c.cwnd());
      assertFalse(new NewReno().undo());
    }
  }

  // ------------------------------------------------------------------ §4.2: application-limited periods

  @Nested
  class ApplicationLimited {

    @Test
    void anAckOfAWindowNotFilledDoesNotGrowIt() {
      Cubic c = afterLossAt(100, 100 * MS);
      c.onAck(MSS, c.cwnd(), S);
      int cwnd = c.cwnd();
      c.onAck(MSS, cwnd / 4, 2 * S);
      assertEquals(cwnd, c.cwnd());
    }

    @Test
    void timeWhileTheApplicationLeavesTheWindowUnusedDoesNotCountInT() {
      Cubic steady = afterLossAt(100, 100 * MS);
      Cubic paused = afterLossAt(100, 100 * MS);
      steady.onAck(MSS, steady.cwnd(), 1 * S);
      paused.onAck(MSS, paused.cwnd(), 1 * S);
      // The paused flow's application stops at 1.1 s (an ACK finds the window a quarter used) and
      // fills it again ten seconds later: that ACK continues the curve from where it stopped.
      paused.onAck(MSS, paused.cwnd() / 4, 1_100 * MS);
      steady.onAck(MSS, steady.cwnd(), 1_100 * MS);
      paused.onAck(MSS, paused.cwnd(), 11_100 * MS);
      assertEquals(steady.k(), paused.k());
      assertEquals(steady.cwnd(), paused.cwnd());
      int steadyAfter = steady.cwnd();
      steady.onAck(MSS, steady.cwnd(), 1_200 * MS);
      paused.onAck(MSS, paused.cwnd(), 11_200 * MS);
      assertEquals(steady.cwnd(), paused.cwnd(), "the same curve, ten seconds later");
      assertTrue(steady.cwnd() > steadyAfter);
    }
  }

  // ------------------------------------------------------------------ switching algorithms

  @Test
  void resumeTakesOverTheWindowWithoutHistory() {
    Cubic c = new Cubic();
    c.resume(MSS, 50 * MSS, 30 * MSS, 0);
    assertEquals(50 * MSS, c.cwnd());
    assertEquals(30 * MSS, c.ssthresh());
    assertEquals(HyStartPlusPlus.Phase.DONE, c.hyStartPhase(), "a threshold is known: not the first slow start");
    c.onAck(MSS, c.cwnd(), S);
    assertEquals(0, c.k());
    assertEquals(50 * MSS, c.wMax(), "the stage starts as after HyStart++ (§4.10): W_max = cwnd_epoch");
  }
}
