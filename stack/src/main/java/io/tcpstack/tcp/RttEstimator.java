package io.tcpstack.tcp;

/**
 * The retransmission timeout of one connection, computed as RFC 6298 specifies. Times are
 * nanoseconds.
 *
 * <ul>
 *   <li>Before any measurement, RTO is the initial value, {@link #INITIAL_RTO_NS} (1 s) as §2.1
 *       recommends unless the caller chose otherwise.
 *   <li>The first measurement R sets SRTT = R, RTTVAR = R/2 (§2.2); each later one R' sets RTTVAR
 *       = (1 - β)·RTTVAR + β·|SRTT - R'| and then SRTT = (1 - α)·SRTT + α·R', in that order, with α
 *       = 1/8 and β = 1/4 (§2.3).
 *   <li>After each, RTO = SRTT + max(G, K·RTTVAR) with K = 4 and a clock granularity G of 1 ms
 *       (§2.2, §2.3, §4), clamped to the minimum (§2.4) and maximum (§2.5) given to the
 *       constructor.
 *   <li>{@link #backoff()} doubles RTO up to the maximum when the timer expires (§5.5). A new
 *       measurement recomputes RTO from SRTT and RTTVAR and so drops the backoff ("collapsing" it,
 *       as the note after §5.7 says): {@link #sample} resets the backoff itself.
 * </ul>
 *
 * <p><b>The caller's part.</b> It applies Karn's algorithm (§3): no sample from a segment that was
 * retransmitted (unless timestamps remove the ambiguity), and it decides when the backed-off value
 * may be dropped without a sample ({@link #resetBackoff}). It applies §5.7 by calling {@link
 * #afterSynTimeout} when a connection whose SYN had to be retransmitted is established.
 *
 * <p><b>Arithmetic.</b> Exact integer arithmetic on {@code long} nanoseconds: RTTVAR = (3·RTTVAR +
 * |SRTT - R'|) / 4 and SRTT = (7·SRTT + R') / 8, truncating. Each update loses under a nanosecond,
 * where Linux and BSD keep SRTT scaled by 8 (and RTTVAR by 4) in coarse ticks to keep fractional
 * bits; at nanosecond resolution the loss is far below the 1 ms granularity, and the plain formula
 * is easier to check against the RFC. Samples above {@link #MAX_SAMPLE_NS} (about 36 years) are
 * saturated so that no intermediate value can overflow.
 *
 * <p><b>Minimum and maximum.</b> RFC 6298 §2.4 says RTO SHOULD be rounded up to 1 s
 * ({@link #RFC_MIN_RTO_NS}); Linux uses 200 ms, and the choice belongs to the configuration. §2.5
 * allows a maximum if it is at least 60 s ({@link #RFC_LOWEST_MAX_RTO_NS}). This class enforces
 * only what the constructor is given.
 *
 * <p>No allocation, no clock: a value object for the stack thread.
 */
public final class RttEstimator {

  /** RTO before the first measurement: 1 second (RFC 6298 §2.1). */
  public static final long INITIAL_RTO_NS = 1_000_000_000L;

  /** The lower bound RFC 6298 §2.4 recommends for RTO: 1 second. */
  public static final long RFC_MIN_RTO_NS = 1_000_000_000L;

  /** The smallest upper bound RFC 6298 §2.5 allows on RTO: 60 seconds. */
  public static final long RFC_LOWEST_MAX_RTO_NS = 60_000_000_000L;

  /**
   * G, the clock granularity (RFC 6298 §2.2, §4): 1 ms. Our clock reads nanoseconds, but the stack
   * loop wakes for timers with millisecond precision at best, and G keeps RTO above SRTT when
   * RTTVAR is near zero.
   */
  public static final long CLOCK_GRANULARITY_NS = 1_000_000L;

  /** K, the weight of RTTVAR in RTO (RFC 6298 §2.2). */
  public static final int K = 4;

  /** α = 1/ALPHA_DIVISOR = 1/8, the gain of SRTT (RFC 6298 §2.3). */
  public static final int ALPHA_DIVISOR = 8;

  /** β = 1/BETA_DIVISOR = 1/4, the gain of RTTVAR (RFC 6298 §2.3). */
  public static final int BETA_DIVISOR = 4;

  /**
   * The RTO at which data transmission starts after a SYN's timer expired, if RTO was lower: 3
   * seconds (RFC 6298 §5.7).
   */
  public static final long RTO_AFTER_SYN_TIMEOUT_NS = 3_000_000_000L;

  /**
   * The largest sample used as given; larger ones are saturated to this. Small enough that 8 times
   * it fits in a {@code long}.
   */
  public static final long MAX_SAMPLE_NS = Long.MAX_VALUE / ALPHA_DIVISOR;

  private final long minRtoNs;
  private final long maxRtoNs;

  private boolean hasSample;
  private long srttNs;
  private long rttvarNs;
  /** RTO without backoff: from the last sample (§2), or the initial value. */
  private long baseRtoNs;
  /** RTO with backoff: what the retransmission timer uses. In [minRtoNs, maxRtoNs]. */
  private long rtoNs;
  private int backoffCount;

  /**
   * An estimator with no measurement yet, whose RTO is {@code initialRtoNs}.
   *
   * @param minRtoNs the least RTO, &gt; 0 (RFC 6298 §2.4 recommends 1 s)
   * @param maxRtoNs the greatest RTO, at least {@code minRtoNs} (RFC 6298 §2.5: at least 60 s)
   * @param initialRtoNs RTO until the first measurement, between the two (RFC 6298 §2.1: 1 s)
   * @throws IllegalArgumentException unless {@code 0 < minRtoNs <= initialRtoNs <= maxRtoNs}
   */
  public RttEstimator(long minRtoNs, long maxRtoNs, long initialRtoNs) {
    if (minRtoNs <= 0 || minRtoNs > initialRtoNs || initialRtoNs > maxRtoNs) {
      throw new IllegalArgumentException(
          "RTO bounds need 0 < min <= initial <= max, got min "
              + minRtoNs
              + " ns, initial "
              + initialRtoNs
              + " ns, max "
              + maxRtoNs
              + " ns");
    }
    this.minRtoNs = minRtoNs;
    this.maxRtoNs = maxRtoNs;
    this.baseRtoNs = initialRtoNs;
    this.rtoNs = initialRtoNs;
  }

  /**
   * One round-trip time measurement (RFC 6298 §2.2 for the first, §2.3 after): updates RTTVAR, then
   * SRTT, then RTO, and drops any backoff. Never pass a sample from a retransmitted segment (Karn's
   * algorithm, §3).
   *
   * @param rttNs the time from sending a segment to the arrival of its acknowledgment; 0 is allowed
   *     (a virtual clock can measure it)
   * @throws IllegalArgumentException if {@code rttNs} is negative: the caller's timestamps are wrong
   */
  public void sample(long rttNs) {
    if (rttNs < 0) {
      throw new IllegalArgumentException(
          "RTT sample "
              + rttNs
              + " ns is negative: the send time must come from the same clock, before now");
    }
    long r = Math.min(rttNs, MAX_SAMPLE_NS);
    if (!hasSample) {
      // §2.2: the first measurement.
      srttNs = r;
      rttvarNs = r / 2;
      hasSample = true;
    } else {
      // §2.3: RTTVAR first, from the SRTT before this sample; then SRTT.
      long deviation = Math.abs(srttNs - r);
      rttvarNs = ((BETA_DIVISOR - 1) * rttvarNs + deviation) / BETA_DIVISOR;
      srttNs = ((ALPHA_DIVISOR - 1) * srttNs + r) / ALPHA_DIVISOR;
    }
    baseRtoNs = clamp(srttNs + Math.max(CLOCK_GRANULARITY_NS, K * rttvarNs));
    rtoNs = baseRtoNs;
    backoffCount = 0;
  }

  /**
   * The timer expired: RTO = min(2·RTO, max) (RFC 6298 §5.5). The caller restarts the timer with
   * the new {@link #rtoNs()} (§5.6).
   */
  public void backoff() {
    rtoNs = rtoNs > maxRtoNs / 2 ? maxRtoNs : rtoNs * 2;
    if (backoffCount < Integer.MAX_VALUE) {
      backoffCount++;
    }
  }

  /**
   * Drops the backoff without a new measurement: RTO returns to the value computed from the last
   * sample (or the initial value). {@link #sample} does this itself; call this where a backed-off
   * RTO should end otherwise, such as when new data is acknowledged but Karn's algorithm forbids a
   * sample. (RFC 9293 §3.8.2 keeps the backed-off value until new data has been sent and
   * acknowledged without retransmission, which is when a sample comes.)
   */
  public void resetBackoff() {
    rtoNs = baseRtoNs;
    backoffCount = 0;
  }

  /**
   * RFC 6298 §5.7: the SYN's timer expired, and the handshake has now completed. If RTO is below 3
   * s it becomes 3 s (or the maximum, if that is lower), as the base value too; the next sample
   * replaces it as usual.
   */
  public void afterSynTimeout() {
    long floor = Math.min(RTO_AFTER_SYN_TIMEOUT_NS, maxRtoNs);
    baseRtoNs = Math.max(baseRtoNs, floor);
    rtoNs = Math.max(rtoNs, floor);
  }

  /**
   * Forgets SRTT and RTTVAR, so that the next sample counts as the first (§2.2). RFC 6298 §5 allows
   * this after several backoffs, when the old estimates are likely bogus. RTO and its backoff are
   * kept.
   */
  public void clearSamples() {
    hasSample = false;
    srttNs = 0;
    rttvarNs = 0;
  }

  /** The current RTO, backoff included: what to arm the retransmission timer with. */
  public long rtoNs() {
    return rtoNs;
  }

  /** Whether a measurement has been taken since construction (or {@link #clearSamples()}). */
  public boolean hasSample() {
    return hasSample;
  }

  /** SRTT, the smoothed round-trip time; 0 before the first sample. */
  public long srttNs() {
    return srttNs;
  }

  /** RTTVAR, the round-trip time variation; 0 before the first sample. */
  public long rttvarNs() {
    return rttvarNs;
  }

  /** How many times {@link #backoff()} doubled RTO since the last sample or reset. */
  public int backoffCount() {
    return backoffCount;
  }

  public long minRtoNs() {
    return minRtoNs;
  }

  public long maxRtoNs() {
    return maxRtoNs;
  }

  private long clamp(long rto) {
    return Math.max(minRtoNs, Math.min(maxRtoNs, rto));
  }

  /** The estimator's state, for logs and test failures. */
  @Override
  public String toString() {
    return "RttEstimator{rto "
        + rtoNs
        + " ns (base "
        + baseRtoNs
        + ", "
        + backoffCount
        + " backoffs), srtt "
        + (hasSample ? srttNs + " ns" : "none")
        + ", rttvar "
        + rttvarNs
        + " ns, bounds ["
        + minRtoNs
        + ", "
        + maxRtoNs
        + "] ns}";
  }
}
