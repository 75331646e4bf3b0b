package io.tcpstack.tcp;

import java.util.SplittableRandom;

/**
 * The stack-wide limit on challenge ACKs (RFC 5961 §7: "An implementation SHOULD include an ACK
 * throttling mechanism"), randomized as Linux's {@code tcp_send_challenge_ack} has been since
 * CVE-2016-5696: a fixed budget per second is itself a side channel — an off-path attacker who
 * exhausts it learns from the ACKs it still sees whether its guess of a connection's 4-tuple or
 * sequence numbers drew challenge ACKs of its own (Cao et al., "Off-Path TCP Exploits", USENIX
 * Security 2016). So each second gets a budget drawn anew, uniformly from {@code half .. half +
 * limit - 1} with {@code half = (limit + 1) / 2}: on average the limit, never predictable.
 *
 * <p>Deterministic: the time is the caller's {@code nowNs}, the randomness a seeded generator (the
 * seed comes from {@link io.tcpstack.StackConfig#challengeAckSeed()}), so the same inputs give the
 * same ACKs. A second is {@code floorDiv(nowNs, 1 s)}, as Linux's {@code jiffies / HZ}.
 */
final class ChallengeAckLimiter {

  static final long SECOND_NS = 1_000_000_000L;

  private final int limit;
  private final SplittableRandom random;
  /** The second the budget was drawn for; none yet at first. */
  private long second = Long.MIN_VALUE;
  private long budget;

  /**
   * @param limit the average challenge ACKs per second, at least 1; {@link Integer#MAX_VALUE}: no
   *     limit
   * @param seed the seed of the budget's draw
   */
  ChallengeAckLimiter(int limit, long seed) {
    if (limit < 1) {
      throw new IllegalArgumentException("challenge ACK limit must be at least 1, got " + limit);
    }
    this.limit = limit;
    this.random = new SplittableRandom(seed);
  }

  /** Whether a challenge ACK may go at {@code nowNs}; if so, it is taken from this second's budget. */
  boolean tryAcquire(long nowNs) {
    if (limit == Integer.MAX_VALUE) {
      return true;
    }
    long now = Math.floorDiv(nowNs, SECOND_NS);
    if (now != second) {
      second = now;
      long half = ((long) limit + 1) >> 1;
      budget = half + random.nextInt(limit); // half .. half + limit - 1
    }
    if (budget > 0) {
      budget--;
      return true;
    }
    return false;
  }

  /** What is left of the current second's budget (for tests). */
  long remaining() {
    return budget;
  }
}
