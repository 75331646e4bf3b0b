package io.tcpstack.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Linux's two ICMP rate limits, in virtual time. */
class IcmpRateLimiterTest {

  private static final long MS = 1_000_000L;
  private static final int A = 0xC612_0001;

  private static int allowed(IcmpRateLimiter l, int destination, long nowNs, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      n += l.allow(destination, nowNs) ? 1 : 0;
    }
    return n;
  }

  @Test
  void aDestinationSavesUpSixAndEarnsOneEachRatelimit() {
    IcmpRateLimiter l = new IcmpRateLimiter();
    assertEquals(6, allowed(l, A, 0, 20));
    assertEquals(0, allowed(l, A, 999 * MS, 1));
    assertEquals(1, allowed(l, A, 1000 * MS, 5), "999 ms saved before plus 1 ms: one message");
    assertEquals(2, allowed(l, A, 3000 * MS, 5));
    assertEquals(6, allowed(l, A, 60_000 * MS, 20), "never more than six saved");
  }

  @Test
  void theGlobalBucketHoldsFiftyAndEarnsOneAMillisecond() {
    IcmpRateLimiter l = new IcmpRateLimiter();
    int n = 0;
    for (int d = 0; d < 100; d++) {
      n += allowed(l, A + d * 7919, 0, 1);
    }
    assertEquals(50, n);
    assertFalse(l.allow(A + 1_000_000, 0));
    assertTrue(l.allow(A + 1_000_001, MS));
    assertFalse(l.allow(A + 1_000_002, MS));
    assertEquals(50, allowed(l, A + 2_000_000, 10_000 * MS, 1)
        + allowedMany(l, 10_000 * MS), "refilled to the burst, no more");
  }

  private static int allowedMany(IcmpRateLimiter l, long nowNs) {
    int n = 0;
    for (int d = 1; d < 100; d++) {
      n += l.allow(A + 3_000_000 + d * 104_729, nowNs) ? 1 : 0;
    }
    return n;
  }

  @Test
  void aDeniedMessageCostsNeitherBucket() {
    IcmpRateLimiter l = new IcmpRateLimiter(1000 * MS, 1000, 10);
    assertEquals(6, allowed(l, A, 0, 6));
    assertEquals(0, allowed(l, A, 0, 100), "per-destination denials");
    assertEquals(4, allowed(l, A + 1, 0, 10), "the global bucket lost only the six that went");
  }

  @Test
  void zeroTurnsALimitOff() {
    assertEquals(1000, allowed(new IcmpRateLimiter(0, 0, 1), A, 0, 1000));
    assertEquals(50, allowed(new IcmpRateLimiter(0, 1000, 50), A, 0, 1000));
    assertThrows(IllegalArgumentException.class, () -> new IcmpRateLimiter(-1, 1000, 50));
  }
}
