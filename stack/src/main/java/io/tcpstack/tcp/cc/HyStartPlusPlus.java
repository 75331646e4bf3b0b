package io.tcpstack.tcp.cc;

/**
 * HyStart++ (RFC 9406): the first slow start of a connection, ended before it overshoots. Slow
 * start watches the minimum RTT of each round; when it rises by a threshold, the queue at the
 * bottleneck is filling and slow start gives way to Conservative Slow Start (CSS), which grows a
 * quarter as fast. If the RTT falls back below the baseline during CSS, the exit was spurious and
 * slow start resumes; after {@link #CSS_ROUNDS} rounds of CSS, congestion avoidance begins. A loss
 * ends it all: the algorithm that owns the window reduces it as usual ({@link #stop()}).
 *
 * <p><b>Rounds</b> (RFC 9406 §4.2) end when the sequence number that was SND.NXT at the start of
 * the round ("windowEnd") is acknowledged. The congestion control does not see sequence numbers,
 * so the same boundary is found by counting bytes: at the ACK that starts a round, windowEnd -
 * SND.UNA is what is still in flight after it ({@code flightBeforeAck - ackedBytes}: nothing the
 * ACK makes room for has been sent yet), and the round ends once that many more bytes have been
 * acknowledged. As HyStart++ runs only in the first slow start (§4.2: later slow starts use the
 * ssthresh they found), before any loss, cumulative ACKs move exactly as SND.UNA and nothing is
 * sent twice, so this is the RFC's windowEnd without an interface change.
 *
 * <p><b>RTT samples</b> reach it through {@link #onRttSample} before the ACK that carried them
 * ({@link CongestionControl#onRttSample}); they are counted with that ACK, after its round check,
 * as the RFC's per-ACK steps do. The connection takes one sample per flight (RFC 6298, RFC 7323
 * §4.2), fewer than {@link #N_RTT_SAMPLE} per round: until the algorithm gets a sample from every
 * ACK (RACK's per-segment send times, or each ACK's TSecr), the delay check does not fire and
 * HyStart++ stays in standard slow start — the RFC's behaviour with too few samples.
 *
 * <p>Sizes in bytes, times in nanoseconds; deterministic; stack thread only.
 */
public final class HyStartPlusPlus {

  /** RFC 9406 §4.3: the lower bound of the RTT increase that ends slow start, 4 ms. */
  public static final long MIN_RTT_THRESH_NS = 4_000_000L;
  /** RFC 9406 §4.3: the upper bound of the RTT increase that ends slow start, 16 ms. */
  public static final long MAX_RTT_THRESH_NS = 16_000_000L;
  /** RFC 9406 §4.3: the threshold is the last round's minimum RTT divided by 8, within the bounds. */
  public static final int MIN_RTT_DIVISOR = 8;
  /** RFC 9406 §4.3: RTT samples a round needs before its minimum is compared. */
  public static final int N_RTT_SAMPLE = 8;
  /** RFC 9406 §4.3: CSS grows cwnd by a quarter of what slow start would. */
  public static final int CSS_GROWTH_DIVISOR = 4;
  /** RFC 9406 §4.3: rounds of CSS before congestion avoidance. */
  public static final int CSS_ROUNDS = 5;
  /**
   * RFC 9406 §4.3: L, the most an ACK may grow cwnd, in SMSS — 8 for a sender that does not pace
   * (this stack sends as ACKs arrive), infinity for one that does.
   */
  public static final int L_NON_PACED = 8;

  /** Where the first slow start is. */
  public enum Phase {
    /** Standard slow start (RFC 9406 §4.2), watching the RTT. */
    SLOW_START,
    /** Conservative Slow Start after an RTT increase (RFC 9406 §4.2). */
    CSS,
    /** Over: CSS ran its rounds (the owner enters congestion avoidance), or a loss happened. */
    DONE
  }

  private static final long NO_RTT = Long.MAX_VALUE;

  private Phase phase = Phase.SLOW_START;
  /** RFC 9406 §4.2 lastRoundMinRTT, currentRoundMinRTT, cssBaselineMinRtt; {@link #NO_RTT} is "infinity". */
  private long lastRoundMinRttNs = NO_RTT;
  private long currentRoundMinRttNs = NO_RTT;
  private long cssBaselineMinRttNs = NO_RTT;
  /** RFC 9406 §4.2 rttSampleCount: samples in the current round. */
  private int rttSampleCount;
  /** Samples that came with the ACK being processed, not yet counted; their minimum. */
  private int pendingSamples;
  private long pendingMinRttNs = NO_RTT;
  /** Bytes still to be acknowledged before the current round ends (windowEnd - SND.UNA); 0 before the first. */
  private long roundRemaining;
  /** Rounds that ended in CSS (the one CSS began in counts). */
  private int cssRounds;
  /** Acknowledged bytes in CSS not yet turned into growth: the remainder of the division by 4. */
  private long cssCarry;
  private long rounds;

  /** A connection starts (or the owner restarts): slow start, no round yet. */
  public void reset() {
    phase = Phase.SLOW_START;
    lastRoundMinRttNs = NO_RTT;
    currentRoundMinRttNs = NO_RTT;
    cssBaselineMinRttNs = NO_RTT;
    rttSampleCount = 0;
    pendingSamples = 0;
    pendingMinRttNs = NO_RTT;
    roundRemaining = 0;
    cssRounds = 0;
    cssCarry = 0;
    rounds = 0;
  }

  /** A loss or a timeout (RFC 9406 §4.2: HyStart++ ends; the congestion control reduces as usual). */
  public void stop() {
    phase = Phase.DONE;
  }

  /** Puts the phase back as it was before a {@link #stop()} later found spurious (an undo). */
  void restore(Phase phase) {
    this.phase = phase;
  }

  public Phase phase() {
    return phase;
  }

  /** Whether it still governs slow start (not {@link Phase#DONE}). */
  public boolean active() {
    return phase != Phase.DONE;
  }

  /** Rounds started so far (for tests and diagnostics). */
  public long rounds() {
    return rounds;
  }

  /** An RTT sample of the ACK about to be processed; counted by its {@link #onAck}. */
  public void onRttSample(long rttNs) {
    pendingSamples++;
    pendingMinRttNs = Math.min(pendingMinRttNs, rttNs);
  }

  /**
   * One ACK of new data in slow start (RFC 9406 §4.2): ends the round if windowEnd is reached,
   * counts the ACK's RTT sample, and checks for slow-start exit (an RTT increase) or, in CSS, for a
   * spurious exit and for the end of CSS. Afterwards {@link #phase()} is {@link Phase#DONE} if CSS
   * has run its rounds: the owner sets ssthresh = cwnd and enters congestion avoidance.
   *
   * @return how many bytes cwnd grows by for this ACK (before the phase changes)
   */
  public int onAck(int ackedBytes, int flightBeforeAck, int mss) {
    if (phase == Phase.DONE) {
      return 0;
    }
    roundRemaining -= ackedBytes;
    if (roundRemaining <= 0) {
      // windowEnd acknowledged: the next round runs to what is outstanding now (SND.NXT).
      roundRemaining = Math.max(0, flightBeforeAck - ackedBytes);
      startRound();
      if (phase == Phase.DONE) {
        pendingSamples = 0;
        pendingMinRttNs = NO_RTT;
        return 0;
      }
    }
    // cwnd = cwnd + min(N, L*SMSS), divided by CSS_GROWTH_DIVISOR in CSS.
    long n = Math.min(ackedBytes, (long) L_NON_PACED * mss);
    long growth;
    if (phase == Phase.CSS) {
      cssCarry += n;
      growth = cssCarry / CSS_GROWTH_DIVISOR;
      cssCarry -= growth * CSS_GROWTH_DIVISOR;
    } else {
      growth = n;
    }
    if (pendingSamples > 0) {
      currentRoundMinRttNs = Math.min(currentRoundMinRttNs, pendingMinRttNs);
      rttSampleCount += pendingSamples;
      pendingSamples = 0;
      pendingMinRttNs = NO_RTT;
      check();
    }
    return (int) growth;
  }

  /** RFC 9406 §4.2: at the start of each round in slow start and CSS. */
  private void startRound() {
    rounds++;
    if (phase == Phase.CSS && ++cssRounds >= CSS_ROUNDS) {
      phase = Phase.DONE; // "If CSS_ROUNDS rounds are complete, enter congestion avoidance"
      return;
    }
    lastRoundMinRttNs = currentRoundMinRttNs;
    currentRoundMinRttNs = NO_RTT;
    rttSampleCount = 0;
  }

  private void check() {
    if (rttSampleCount < N_RTT_SAMPLE) {
      return;
    }
    if (phase == Phase.SLOW_START) {
      if (currentRoundMinRttNs != NO_RTT && lastRoundMinRttNs != NO_RTT) {
        long rttThresh = Math.max(MIN_RTT_THRESH_NS, Math.min(lastRoundMinRttNs / MIN_RTT_DIVISOR, MAX_RTT_THRESH_NS));
        if (currentRoundMinRttNs >= lastRoundMinRttNs + rttThresh) {
          cssBaselineMinRttNs = currentRoundMinRttNs;
          phase = Phase.CSS;
          cssRounds = 0;
          cssCarry = 0;
        }
      }
    } else if (currentRoundMinRttNs < cssBaselineMinRttNs) {
      // The RTT fell below the baseline: the exit was spurious; resume slow start, HyStart++ included.
      cssBaselineMinRttNs = NO_RTT;
      phase = Phase.SLOW_START;
    }
  }

  @Override
  public String toString() {
    return "hystart++ " + phase.name().toLowerCase(java.util.Locale.ROOT) + " round=" + rounds;
  }
}
