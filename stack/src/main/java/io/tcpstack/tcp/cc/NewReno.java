package io.tcpstack.tcp.cc;

/**
 * NewReno congestion control: slow start and congestion avoidance of RFC 5681 §3.1, fast
 * retransmit and fast recovery of RFC 5681 §3.2 with the partial-ACK handling of RFC 6582 §3.2,
 * and the initial window of RFC 6928. Optionally HyStart++ (RFC 9406) in the first slow start.
 */
public final class NewReno implements CongestionControl {

  /** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)). */
  public static final int RFC6928_IW_SEGMENTS = CongestionControl.RFC6928_IW_SEGMENTS;
  public static final int RFC6928_IW_BYTES = CongestionControl.RFC6928_IW_BYTES;
  /** RFC 5681 §3.2 step 2 (equation 4): ssthresh is at least two segments. */
  public static final int MIN_SSTHRESH_SEGMENTS = 2;
  /** RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS, for the three segments that left. */
  public static final int DUP_THRESH = FastRecovery.DUP_THRESH;

  /** Null when HyStart++ is off (the default): RFC 5681 slow start throughout. */
  private final HyStartPlusPlus hyStart;
  private int mss = 536;
  private int cwnd;
  private int ssthresh = Integer.MAX_VALUE;
  /** Bytes acknowledged in congestion avoidance not yet turned into window (RFC 5681 §3.1, byte counting). */
  private int bytesAckedInAvoidance;

  /** NewReno with RFC 5681 slow start. */
  public NewReno() {
    this(false);
  }

  /** @param hyStart HyStart++ (RFC 9406) in the first slow start */
  public NewReno(boolean hyStart) {
    this.hyStart = hyStart ? new HyStartPlusPlus() : null;
  }

  @Override
  public String name() {
    return "newreno";
  }

  @Override
  public void start(int mss, long nowNs) {
    this.mss = mss;
    this.cwnd = initialWindow(mss);
    this.ssthresh = Integer.MAX_VALUE;
    this.bytesAckedInAvoidance = 0;
    if (hyStart != null) {
      hyStart.reset();
    }
  }

  @Override
  public void resume(int mss, int cwnd, int ssthresh, long nowNs) {
    start(mss, nowNs);
    this.cwnd = Math.max(cwnd, mss);
    this.ssthresh = ssthresh;
    if (hyStart != null && ssthresh != Integer.MAX_VALUE) {
      hyStart.stop(); // RFC 9406 §4.2: only the first slow start
    }
  }

  /** RFC 6928 §2. */
  public static int initialWindow(int mss) {
    return CongestionControl.initialWindow(mss);
  }

  @Override
  public int cwnd() {
    return cwnd;
  }

  @Override
  public int ssthresh() {
    return ssthresh;
  }

  /** HyStart++'s phase, or null when it is off (the default). */
  public HyStartPlusPlus.Phase hyStartPhase() {
    return hyStart == null ? null : hyStart.phase();
  }

  @Override
  public void onRttSample(long rttNs, long nowNs) {
    if (hyStart != null) {
      hyStart.onRttSample(rttNs);
    }
  }

  @Override
  public void onAck(int ackedBytes, int flightBeforeAck, long nowNs) {
    // Grow only a window that was being used: an application- or receiver-limited sender would
    // otherwise inflate cwnd without bound (RFC 7661 §4 in spirit; Linux's tcp_is_cwnd_limited).
    boolean cwndLimited = 2L * flightBeforeAck >= cwnd;
    if (cwnd < ssthresh && hyStart != null && hyStart.active()) {
      // RFC 9406 §4.2: slow start and CSS grow as HyStart++ says; after CSS, congestion avoidance.
      int growth = hyStart.onAck(ackedBytes, flightBeforeAck, mss);
      if (cwndLimited) {
        cwnd = FastRecovery.saturatedAdd(cwnd, growth);
      }
      if (!hyStart.active()) {
        ssthresh = cwnd;
      }
      return;
    }
    if (!cwndLimited) {
      return;
    }
    if (cwnd < ssthresh) {
      // RFC 5681 §3.1 slow start (equation 2): cwnd += min(N, SMSS).
      cwnd = FastRecovery.saturatedAdd(cwnd, Math.min(ackedBytes, mss));
    } else {
      // RFC 5681 §3.1 congestion avoidance, byte counting (equation 3's recommended form):
      // one SMSS per cwnd's worth of acknowledged bytes.
      bytesAckedInAvoidance += ackedBytes;
      if (bytesAckedInAvoidance >= cwnd) {
        bytesAckedInAvoidance -= cwnd;
        cwnd = FastRecovery.saturatedAdd(cwnd, mss);
      }
    }
  }

  @Override
  public void onEnterRecovery(int flightSize, long nowNs) {
    stopHyStart();
    // RFC 5681 §3.2 step 2, equation (4): ssthresh = max(FlightSize/2, 2·SMSS), FlightSize at most
    // cwnd. With SACK the connection reports SND.MAX − SND.UNA, which counts the data the peer
    // already holds above the hole too and can be several windows when the loss is found late; half
    // of that would "reduce" to above cwnd, and the window would never come down under loss (CUBIC
    // caps its flight the same way; Linux halves cwnd).
    ssthresh = reducedThreshold(Math.min(flightSize, cwnd));
    cwnd = FastRecovery.inflatedWindow(ssthresh, mss);   // step 3: inflate by the three segments that left
    bytesAckedInAvoidance = 0;
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
    bytesAckedInAvoidance = 0;
  }

  @Override
  public void onRetransmitTimeout(int flightSize, long nowNs) {
    stopHyStart();
    ssthresh = reducedThreshold(flightSize); // RFC 5681 §3.1 equation (4)
    cwnd = mss;                              // the loss window, LW = 1 SMSS
    bytesAckedInAvoidance = 0;
  }

  private void stopHyStart() {
    if (hyStart != null) {
      hyStart.stop();
    }
  }

  private int reducedThreshold(int flightSize) {
    return Math.max(flightSize / 2, MIN_SSTHRESH_SEGMENTS * mss);
  }


  @Override
  public String toString() {
    return "newreno cwnd=" + cwnd + " ssthresh=" + (ssthresh == Integer.MAX_VALUE ? "inf" : Integer.toString(ssthresh))
        + (hyStart != null && hyStart.active() ? " " + hyStart : "");
  }
}
