package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pure parts of RFC 5961: §5.2's acceptable ACK range and §7's randomized budget. */
class Rfc5961Test {

  static final long SECOND = ChallengeAckLimiter.SECOND_NS;

  @Test
  void ackRangeIsSndUnaMinusMaxSndWndToSndMax() {
    int iss = 1000;
    int una = iss + 1 + 100_000;
    int max = una + 5000;
    long sent = 105_000;
    assertTrue(Rfc5961.ackAcceptable(max, una, max, 20_000, iss, sent));
    assertFalse(Rfc5961.ackAcceptable(max + 1, una, max, 20_000, iss, sent));
    assertTrue(Rfc5961.ackAcceptable(una, una, max, 20_000, iss, sent));
    assertTrue(Rfc5961.ackAcceptable(una - 20_000, una, max, 20_000, iss, sent));
    assertFalse(Rfc5961.ackAcceptable(una - 20_001, una, max, 20_000, iss, sent));
    assertFalse(Rfc5961.ackAcceptable(una + Integer.MIN_VALUE, una, max, 20_000, iss, sent), "half the space away");
  }

  @Test
  void theLowerEdgeNeverLiesBeforeTheIss() {
    int iss = -10; // across the wrap of the sequence space
    int una = iss + 1 + 50;
    assertTrue(Rfc5961.ackAcceptable(iss, una, una, 65_535, iss, 50));
    assertFalse(Rfc5961.ackAcceptable(iss - 1, una, una, 65_535, iss, 50));
  }

  @Test
  void afterMoreThanAnyWindowWasSentOnlyTheWindowBounds() {
    // The distance from the ISS wrapped (6 GB sent): it no longer narrows the range.
    int iss = 0;
    int una = 100; // 6 GB later, modulo 2^32, just past the ISS again
    long sent = 6L << 30;
    assertTrue(Rfc5961.ackAcceptable(una - 30_000, una, una, 30_000, iss, sent));
    assertFalse(Rfc5961.ackAcceptable(una - 30_001, una, una, 30_000, iss, sent));
  }

  @Test
  void resetAfterFinOnlyInTheStatesAfterThePeersFin() {
    assertTrue(Rfc5961.resetAfterFin(TcpState.CLOSE_WAIT, 99, 100));
    assertTrue(Rfc5961.resetAfterFin(TcpState.LAST_ACK, 99, 100));
    assertTrue(Rfc5961.resetAfterFin(TcpState.CLOSING, 99, 100));
    assertFalse(Rfc5961.resetAfterFin(TcpState.ESTABLISHED, 99, 100));
    assertFalse(Rfc5961.resetAfterFin(TcpState.FIN_WAIT_2, 99, 100));
    assertFalse(Rfc5961.resetAfterFin(TcpState.CLOSE_WAIT, 98, 100));
  }

  /** The budget of one second: how many tryAcquire calls succeed at {@code atNs}. */
  static int budget(ChallengeAckLimiter l, long atNs) {
    int n = 0;
    while (l.tryAcquire(atNs)) {
      n++;
    }
    return n;
  }

  @Test
  void eachSecondsBudgetLiesBetweenHalfTheLimitAndOneAndAHalfTimesIt() {
    ChallengeAckLimiter l = new ChallengeAckLimiter(1000, 1);
    int min = Integer.MAX_VALUE;
    int max = 0;
    long total = 0;
    for (int s = 0; s < 2000; s++) {
      int b = budget(l, s * SECOND + 123);
      min = Math.min(min, b);
      max = Math.max(max, b);
      total += b;
      assertFalse(l.tryAcquire(s * SECOND + SECOND - 1), "spent until the second ends");
    }
    assertTrue(min >= 500 && max <= 1499, min + ".." + max);
    assertTrue(min < 520 && max > 1480, "drawn over the whole range: " + min + ".." + max);
    assertEquals(1000, total / 2000.0, 20, "the limit on average");
  }

  @Test
  void theBudgetIsUnpredictableAcrossSecondsButTheSameForTheSameSeed() {
    ChallengeAckLimiter a = new ChallengeAckLimiter(1000, 77);
    ChallengeAckLimiter b = new ChallengeAckLimiter(1000, 77);
    ChallengeAckLimiter c = new ChallengeAckLimiter(1000, 78);
    int differentFromC = 0;
    int previous = -1;
    int changes = 0;
    for (int s = 0; s < 20; s++) {
      int x = budget(a, s * SECOND);
      assertEquals(x, budget(b, s * SECOND));
      if (x != budget(c, s * SECOND)) {
        differentFromC++;
      }
      if (x != previous) {
        changes++;
      }
      previous = x;
    }
    assertTrue(differentFromC > 15 && changes > 15);
  }

  @Test
  void aSecondIsTheClocksWholeSecondEvenBeforeZero() {
    ChallengeAckLimiter l = new ChallengeAckLimiter(1, 0); // a budget of exactly 1
    assertTrue(l.tryAcquire(-1));
    assertFalse(l.tryAcquire(-SECOND)); // the same second, [-1 s, 0)
    assertTrue(l.tryAcquire(0));
    assertFalse(l.tryAcquire(SECOND - 1));
    assertTrue(l.tryAcquire(SECOND));
  }

  @Test
  void maxValueMeansNoLimitAndBelowOneIsRefused() {
    ChallengeAckLimiter l = new ChallengeAckLimiter(Integer.MAX_VALUE, 0);
    for (int i = 0; i < 100_000; i++) {
      assertTrue(l.tryAcquire(0));
    }
    assertThrows(IllegalArgumentException.class, () -> new ChallengeAckLimiter(0, 0));
    assertTrue(new ChallengeAckLimiter(Integer.MAX_VALUE - 1, 0).tryAcquire(0), "no overflow near the top");
  }
}
