package io.tcpstack.tcp.cc;

/**
 * CUBIC congestion control (RFC 9438): after a reduction the window follows a cubic function of
 * the time since congestion avoidance began, concave up to the window where the loss happened
 * (W_max) and convex beyond it, so it returns quickly to where it was and then probes with care;
 * never slower than Reno would (the Reno-friendly region). The first slow start uses HyStart++
 * (RFC 9406, {@link HyStartPlusPlus}); recovery is the one {@code LossRecovery} drives (RFC 5681
 * §3.2 and RFC 6582, or RFC 6675 with SACK), entered with CUBIC's β.
 *
 * <p>The RFC counts in segments; this class keeps bytes, as the interface does. Each formula is
 * scaled by the SMSS where it is used: K = cbrt((W_max - cwnd_epoch) / SMSS / C) (K in seconds),
 * W_cubic(t) = C·(t-K)³·SMSS + W_max, W_est += α·acked·SMSS / cwnd, and the per-ACK step of the
 * concave and convex regions (target - cwnd)/cwnd per segment becomes (target - cwnd)·acked/cwnd
 * bytes. Fractions of a byte carry over to the next ACK.
 *
 * <p>Time is the caller's {@code nowNs}; the smoothed RTT of the target window (§4.2) is kept from
 * the samples of {@link #onRttSample} with RFC 6298's gain.
 */
public final class Cubic implements CongestionControl {

  /** RFC 9438 §4.1.1 (§5.1): C = 0.4, in segments per second cubed. */
  public static final double C = 0.4;
  /** RFC 9438 §4.1.1 (§4.6): the multiplicative decrease factor β_cubic = 0.7 (7/10, exact in integers). */
  public static final int BETA_CUBIC_TENTHS = 7;
  public static final double BETA_CUBIC = BETA_CUBIC_TENTHS / 10.0;
  /** RFC 9438 §4.1.1 (§4.3): α_cubic = 3(1 - β_cubic)/(1 + β_cubic), Reno's average window for this β. */
  public static final double ALPHA_CUBIC = 3 * (1 - BETA_CUBIC) / (1 + BETA_CUBIC);
  /** RFC 9438 §4.3: once W_est reaches cwnd_prior it grows as Reno does, α = 1. */
  public static final double ALPHA_RENO = 1.0;
  /** RFC 9438 §4.7 fast convergence: W_max = cwnd·(1 + β_cubic)/2 when the loss came below the last W_max. */
  public static final double FAST_CONVERGENCE_FACTOR = (1 + BETA_CUBIC) / 2;
  /** RFC 9438 §4.2: the target window is at most 1.5·cwnd (growth stays below slow start's). */
  public static final double MAX_TARGET_FACTOR = 1.5;
  /** RFC 9438 §4.6: ssthresh (and cwnd after a loss) at least 2 SMSS. */
  public static final int MIN_SSTHRESH_SEGMENTS = 2;
  /** RFC 5681 §3.2 step 3: entering fast recovery, cwnd = ssthresh + 3·SMSS for the three segments that left. */
  public static final int DUP_THRESH = FastRecovery.DUP_THRESH;
  /** RFC 6298 §2.3: the smoothed RTT moves by 1/8 of each sample's difference (alpha = 1/8). */
  static final int SRTT_GAIN_SHIFT = 3;

  private static final double NS_PER_SECOND = 1e9;
  private static final long NOT_LIMITED = Long.MIN_VALUE;

  /** Which rule moved the window at the last ACK (RFC 9438 §4.2's regions, and the slow starts). */
  public enum Region {
    /** Slow start: RFC 5681 §3.1, or HyStart++ before it found the queue (RFC 9406 §4.2). */
    SLOW_START,
    /** HyStart++'s Conservative Slow Start (RFC 9406 §4.2). */
    CONSERVATIVE_SLOW_START,
    /** Fast recovery after a loss (RFC 5681 §3.2, RFC 6582), entered with CUBIC's β. */
    RECOVERY,
    /** W_cubic(t) is below Reno's estimate: cwnd follows W_est (RFC 9438 §4.3). */
    RENO_FRIENDLY,
    /** cwnd below W_max: the steep, then flattening approach to it (RFC 9438 §4.4). */
    CONCAVE,
    /** cwnd at or above W_max: probing, slowly and then faster (RFC 9438 §4.5). */
    CONVEX
  }

  private final boolean fastConvergence;
  /** Null when HyStart++ is off: RFC 5681 slow start throughout. */
  private final HyStartPlusPlus hyStart;

  private int mss = 536;
  private int cwnd;
  private int ssthresh = Integer.MAX_VALUE;
  private Region region = Region.SLOW_START;
  /** Between a timeout and the next ACK of new data: a further timeout keeps ssthresh (RFC 5681 §3.1). */
  private boolean timedOut;

  // RFC 9438 §4.1.2's state, in bytes and nanoseconds.
  /** W_max; 0 when undefined (no congestion event yet, or forgotten at a timeout, §4.8). */
  private double wMax;
  /** cwnd_prior: cwnd when ssthresh was last set (before the reduction, or at a HyStart++ exit, §4.10). */
  private int cwndPrior;
  /** K in seconds: when W_cubic reaches W_max. */
  private double k;
  /** Whether a congestion avoidance stage is under way; t_epoch and cwnd_epoch are its start. */
  private boolean epochStarted;
  private long tEpochNs;
  private int cwndEpoch;
  /** W_est, Reno's window estimate (§4.3). */
  private double wEst;
  /** Fractions of a byte of growth not yet in cwnd. */
  private double growthCarry;
  /** When the sender stopped filling cwnd in congestion avoidance, or {@link #NOT_LIMITED}. */
  private long appLimitedSinceNs = NOT_LIMITED;

  private boolean hasRtt;
  private long srttNs;

  // The state before the last reduction, for undo (§4.9).
  private boolean canUndo;
  private int priorCwnd;
  private int priorSsthresh;
  private int priorCwndPrior;
  private double priorWMax;
  private double priorK;
  private boolean priorEpochStarted;
  private long priorTEpochNs;
  private int priorCwndEpoch;
  private double priorWEst;
  private HyStartPlusPlus.Phase priorHyStartPhase;

  /** CUBIC as RFC 9438 recommends: fast convergence on, HyStart++ in the first slow start. */
  public Cubic() {
    this(true, true);
  }

  /**
   * @param fastConvergence RFC 9438 §4.7 (SHOULD be on; off suits a single flow on a path)
   * @param hyStart HyStart++ (RFC 9406) in the first slow start; off: RFC 5681 slow start
   */
  public Cubic(boolean fastConvergence, boolean hyStart) {
    this.fastConvergence = fastConvergence;
    this.hyStart = hyStart ? new HyStartPlusPlus() : null;
  }

  @Override
  public String name() {
    return "cubic";
  }

  @Override
  public void start(int mss, long nowNs) {
    this.mss = mss;
    cwnd = CongestionControl.initialWindow(mss);
    ssthresh = Integer.MAX_VALUE;
    region = Region.SLOW_START;
    timedOut = false;
    wMax = 0;
    cwndPrior = 0;
    k = 0;
    epochStarted = false;
    wEst = 0;
    growthCarry = 0;
    appLimitedSinceNs = NOT_LIMITED;
    canUndo = false;
    if (hyStart != null) {
      hyStart.reset();
    }
  }

  /** Goes on from another algorithm's window as after a HyStart++ exit: no W_max yet (§4.10). */
  @Override
  public void resume(int mss, int cwnd, int ssthresh, long nowNs) {
    start(mss, nowNs);
    this.cwnd = Math.max(cwnd, mss);
    this.ssthresh = ssthresh;
    this.cwndPrior = this.cwnd;
    if (hyStart != null && ssthresh != Integer.MAX_VALUE) {
      hyStart.stop(); // RFC 9406 §4.2: only the first slow start
    }
    region = this.cwnd < ssthresh ? slowStartRegion() : Region.CONCAVE;
  }

  @Override
  public int cwnd() {
    return cwnd;
  }

  @Override
  public int ssthresh() {
    return ssthresh;
  }

  /** The rule that moved the window last. */
  public Region region() {
    return region;
  }

  /** W_max in bytes (0: none yet). */
  public double wMax() {
    return wMax;
  }

  /** K in seconds, of the current (or, before it starts, the last) congestion avoidance stage. */
  public double k() {
    return k;
  }

  /** W_est in bytes (§4.3). */
  public double wEst() {
    return wEst;
  }

  /** cwnd_prior in bytes. */
  public int cwndPrior() {
    return cwndPrior;
  }

  /** cwnd_epoch in bytes: cwnd when the current congestion avoidance stage began. */
  public int cwndEpoch() {
    return cwndEpoch;
  }

  /** HyStart++'s phase, or null when it is off. */
  public HyStartPlusPlus.Phase hyStartPhase() {
    return hyStart == null ? null : hyStart.phase();
  }

  /** RFC 9438 §4.2 Figure 1 in bytes: W_cubic(t) = C·(t-K)³·SMSS + W_max, t in seconds since t_epoch. */
  public double wCubic(double tSeconds) {
    double d = tSeconds - k;
    return C * d * d * d * mss + wMax;
  }

  @Override
  public void onRttSample(long rttNs, long nowNs) {
    if (!hasRtt) {
      srttNs = rttNs;
      hasRtt = true;
    } else {
      srttNs += (rttNs - srttNs) >> SRTT_GAIN_SHIFT;
    }
    if (hyStart != null) {
      hyStart.onRttSample(rttNs);
    }
  }

  @Override
  public void onAck(int ackedBytes, int flightBeforeAck, long nowNs) {
    timedOut = false;
    // Grow only a window that was being used (RFC 9438 §4.6 asks for such a measure when cwnd,
    // not FlightSize, is remembered; RFC 7661 in spirit; Linux's tcp_is_cwnd_limited).
    boolean cwndLimited = 2L * flightBeforeAck >= cwnd;
    if (cwnd < ssthresh) {
      slowStart(ackedBytes, flightBeforeAck, cwndLimited);
      return;
    }
    if (!cwndLimited) {
      // §4.2: t "MUST NOT include periods during which cwnd has not been updated due to
      // application-limited behavior": the epoch moves on by this period when growth resumes.
      if (appLimitedSinceNs == NOT_LIMITED) {
        appLimitedSinceNs = nowNs;
      }
      return;
    }
    congestionAvoidance(ackedBytes, nowNs);
  }

  private void slowStart(int ackedBytes, int flightBeforeAck, boolean cwndLimited) {
    if (hyStart != null && hyStart.active()) {
      int growth = hyStart.onAck(ackedBytes, flightBeforeAck, mss);
      if (cwndLimited) {
        cwnd = FastRecovery.saturatedAdd(cwnd, growth);
      }
      if (!hyStart.active()) {
        // RFC 9406 §4.2: CSS_ROUNDS done, "enter congestion avoidance by setting ssthresh = cwnd";
        // RFC 9438 §4.10: no loss, so W_max is undefined: cwnd_prior = cwnd, and the stage begins
        // with K = 0 and W_max = cwnd_epoch.
        ssthresh = cwnd;
        cwndPrior = cwnd;
        wMax = 0;
        epochStarted = false;
        region = Region.CONVEX;
      } else {
        region = slowStartRegion();
      }
      return;
    }
    region = Region.SLOW_START;
    if (cwndLimited) {
      cwnd = FastRecovery.saturatedAdd(cwnd, Math.min(ackedBytes, mss)); // RFC 5681 §3.1 equation 2
    }
  }

  /** RFC 9438 §4.2-§4.5, for one ACK of a window that is being filled. */
  private void congestionAvoidance(int ackedBytes, long nowNs) {
    if (!epochStarted) {
      startEpoch(nowNs);
    } else if (appLimitedSinceNs != NOT_LIMITED) {
      tEpochNs += nowNs - appLimitedSinceNs;
    }
    appLimitedSinceNs = NOT_LIMITED;
    double t = (nowNs - tEpochNs) / NS_PER_SECOND;
    double rtt = hasRtt ? srttNs / NS_PER_SECOND : 0;
    // §4.2: target = W_cubic(t + RTT), bounded to [cwnd, 1.5·cwnd].
    double target = Math.min(Math.max(wCubic(t + rtt), cwnd), MAX_TARGET_FACTOR * cwnd);
    // §4.3: W_est += α·segments_acked/cwnd (segments); α becomes 1 once W_est reaches cwnd_prior.
    double alpha = wEst >= cwndPrior ? ALPHA_RENO : ALPHA_CUBIC;
    wEst += alpha * ackedBytes * mss / cwnd;
    double exact;
    if (wCubic(t) < wEst) {
      region = Region.RENO_FRIENDLY; // §4.3: cwnd = W_est
      exact = Math.max(cwnd + growthCarry, wEst);
    } else {
      // §4.4 concave (cwnd < W_max), §4.5 convex: (target - cwnd)/cwnd per acknowledged segment.
      region = cwnd < wMax ? Region.CONCAVE : Region.CONVEX;
      exact = cwnd + growthCarry + (target - cwnd) * ackedBytes / cwnd;
    }
    setCwnd(exact);
  }

  /** §4.2: a congestion avoidance stage begins; §4.3: W_est = cwnd_epoch. */
  private void startEpoch(long nowNs) {
    epochStarted = true;
    tEpochNs = nowNs;
    cwndEpoch = cwnd;
    wEst = cwnd;
    growthCarry = 0;
    if (wMax <= cwnd) {
      // §4.8 (after a timeout) and §4.10 (slow start left without a loss): K = 0 and W_max = the
      // window at the start of the stage; also if cwnd has already passed W_max.
      wMax = cwnd;
      k = 0;
    } else {
      k = Math.cbrt((wMax - cwndEpoch) / mss / C); // §4.2 Figure 2
    }
  }

  @Override
  public void onEnterRecovery(int flightSize, long nowNs) {
    saveForUndo();
    stopHyStart();
    // §4.7 fast convergence: a loss below the last W_max means less bandwidth; release some.
    wMax = fastConvergence && cwnd < wMax ? cwnd * FAST_CONVERGENCE_FACTOR : cwnd;
    cwndPrior = cwnd;                               // §4.6
    ssthresh = reducedThreshold(flightSize);        // §4.6: max(flight_size·β_cubic, 2·SMSS), see there
    cwnd = FastRecovery.inflatedWindow(ssthresh, mss); // RFC 5681 §3.2 step 3
    endEpoch();
    region = Region.RECOVERY;
  }

  @Override
  public void onDuplicateAckInRecovery() {
    cwnd = FastRecovery.onDuplicateAck(cwnd, mss);
  }

  @Override
  public void onPartialAck(int ackedBytes) {
    cwnd = FastRecovery.deflatedWindow(cwnd, ackedBytes, mss); // RFC 6582 §3.2 step 5 (partial)
  }

  @Override
  public void onExitRecovery(int flightSize, long nowNs) {
    cwnd = FastRecovery.windowAtExit(ssthresh, flightSize, mss); // RFC 6582 §3.2 step 5 (full)
    growthCarry = 0;
    region = cwnd < ssthresh ? Region.SLOW_START : wCubicRegion();
  }

  /**
   * §4.8: cwnd to the loss window as Reno does (RFC 5681 §3.1), ssthresh with β_cubic as in §4.6;
   * the next congestion avoidance stage starts with K = 0 and W_max = its own cwnd_epoch. A timeout
   * that follows a timeout with no new data acknowledged keeps ssthresh (RFC 5681 §3.1: "held
   * constant" for a segment the timer already retransmitted) and the state an undo would restore.
   */
  @Override
  public void onRetransmitTimeout(int flightSize, long nowNs) {
    if (!timedOut) {
      saveForUndo();
      cwndPrior = cwnd;
      ssthresh = reducedThreshold(flightSize);
    }
    timedOut = true;
    stopHyStart();
    cwnd = mss;
    wMax = 0;
    k = 0;
    endEpoch();
    region = Region.SLOW_START;
  }

  /** §4.9: back to the state before the last reduction; cwnd never shrinks by it. */
  @Override
  public boolean undo() {
    if (!canUndo) {
      return false;
    }
    canUndo = false;
    timedOut = false;
    cwnd = Math.max(cwnd, priorCwnd);
    ssthresh = priorSsthresh;
    cwndPrior = priorCwndPrior;
    wMax = priorWMax;
    k = priorK;
    epochStarted = priorEpochStarted;
    tEpochNs = priorTEpochNs;
    cwndEpoch = priorCwndEpoch;
    wEst = priorWEst;
    growthCarry = 0;
    appLimitedSinceNs = NOT_LIMITED;
    if (hyStart != null) {
      hyStart.restore(priorHyStartPhase);
    }
    region = cwnd < ssthresh ? slowStartRegion() : wCubicRegion();
    return true;
  }

  private Region wCubicRegion() {
    return cwnd < wMax ? Region.CONCAVE : Region.CONVEX;
  }

  private Region slowStartRegion() {
    return hyStart != null && hyStart.phase() == HyStartPlusPlus.Phase.CSS
        ? Region.CONSERVATIVE_SLOW_START : Region.SLOW_START;
  }

  private void saveForUndo() {
    canUndo = true;
    priorCwnd = cwnd;
    priorSsthresh = ssthresh;
    priorCwndPrior = cwndPrior;
    priorWMax = wMax;
    priorK = k;
    priorEpochStarted = epochStarted;
    priorTEpochNs = tEpochNs;
    priorCwndEpoch = cwndEpoch;
    priorWEst = wEst;
    priorHyStartPhase = hyStart == null ? null : hyStart.phase();
  }

  private void stopHyStart() {
    if (hyStart != null) {
      hyStart.stop();
    }
  }

  private void endEpoch() {
    epochStarted = false;
    growthCarry = 0;
    appLimitedSinceNs = NOT_LIMITED;
  }

  private void setCwnd(double exact) {
    if (exact >= Integer.MAX_VALUE) {
      cwnd = Integer.MAX_VALUE;
      growthCarry = 0;
      return;
    }
    int whole = (int) exact;
    growthCarry = exact - whole;
    cwnd = Math.max(whole, cwnd);
  }

  /**
   * §4.6: ssthresh = max(flight_size·β_cubic, 2·SMSS), with flight_size at most cwnd. The flight
   * is what the RFC reduces (an application-limited sender is not given back a window it did not
   * use); but SND.MAX − SND.UNA, which the connection reports, counts the data a SACK peer already
   * holds too, and can exceed cwnd — a "reduction" from it could raise the window. Capped at cwnd,
   * it is never more than Linux's cwnd·β_cubic.
   */
  private int reducedThreshold(int flightSize) {
    long flight = Math.min(flightSize, cwnd);
    return Math.max((int) (flight * BETA_CUBIC_TENTHS / 10), MIN_SSTHRESH_SEGMENTS * mss);
  }


  @Override
  public String toString() {
    return "cubic cwnd=" + cwnd + " ssthresh=" + (ssthresh == Integer.MAX_VALUE ? "inf" : Integer.toString(ssthresh))
        + " " + region.name().toLowerCase(java.util.Locale.ROOT) + (wMax > 0 ? String.format(
            java.util.Locale.ROOT, " wmax=%.0f k=%.3fs", wMax, k) : "")
        + (hyStart != null && hyStart.active() ? " " + hyStart : "");
  }
}
