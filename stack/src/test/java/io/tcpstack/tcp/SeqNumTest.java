package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeqNumTest {

  /** 2^32, the size of the sequence space. */
  private static final long SPACE = 1L << 32;

  /** 2^31, the distance beyond which the order is undefined. */
  private static final long HALF = 1L << 31;

  /** Values where the int representation changes character: 0, the sign bit, all ones. */
  private static final int[] EDGES = {
    0, 1, 0x7FFF_FFFE, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFF0, 0xFFFF_FFFE, 0xFFFF_FFFF
  };

  /**
   * The reference order, from the unsigned values and nothing of the implementation: the distance
   * forward from {@code a} to {@code b} is (b - a) mod 2^32; b is after a when that is in (0,
   * 2^31).
   */
  private static long forward(int a, int b) {
    return Math.floorMod(Integer.toUnsignedLong(b) - Integer.toUnsignedLong(a), SPACE);
  }

  @Test
  void numbersJustBelowTheWrapComeBeforeNumbersJustAboveIt() {
    int before = 0xFFFF_FFF0;
    int after = 0x0000_0010;
    assertTrue(SeqNum.lt(before, after));
    assertTrue(SeqNum.le(before, after));
    assertFalse(SeqNum.gt(before, after));
    assertFalse(SeqNum.ge(before, after));
    assertTrue(SeqNum.gt(after, before));
    assertTrue(SeqNum.ge(after, before));
    assertFalse(SeqNum.lt(after, before));
    assertFalse(SeqNum.le(after, before));
    // A plain comparison of the ints gets it right here only by accident of sign...
    assertTrue(SeqNum.lt(0xFFFF_FFFF, 0));
    // ...and wrong across the sign bit, where the modular order is what counts.
    assertTrue(SeqNum.lt(0x7FFF_FFFF, 0x8000_0000));
    assertTrue(SeqNum.lt(0x7FFF_FFF0, 0x8000_0010));
  }

  @Test
  void aNumberIsNeitherBeforeNorAfterItself() {
    for (int a : EDGES) {
      assertFalse(SeqNum.lt(a, a), Integer.toHexString(a));
      assertTrue(SeqNum.le(a, a));
      assertFalse(SeqNum.gt(a, a));
      assertTrue(SeqNum.ge(a, a));
      assertEquals(0, SeqNum.diff(a, a));
      assertEquals(a, SeqNum.max(a, a));
      assertEquals(a, SeqNum.min(a, a));
    }
  }

  @Test
  void orderHoldsUpToJustUnderHalfTheSpaceFromEveryEdge() {
    for (int a : EDGES) {
      for (long d : new long[] {1, 2, 0xFFFF, HALF - 2, HALF - 1}) {
        int b = SeqNum.add(a, (int) d);
        String what = Integer.toHexString(a) + " + " + d;
        assertTrue(SeqNum.lt(a, b), what);
        assertTrue(SeqNum.gt(b, a), what);
        assertEquals(d, SeqNum.diff(b, a), what);
        assertEquals(-d, SeqNum.diff(a, b), what);
        assertEquals(b, SeqNum.max(a, b), what);
        assertEquals(b, SeqNum.max(b, a), what);
        assertEquals(a, SeqNum.min(a, b), what);
        assertEquals(a, SeqNum.min(b, a), what);
      }
    }
  }

  @Test
  void addWrapsModulo2To32() {
    assertEquals(0, SeqNum.add(0xFFFF_FFFF, 1));
    assertEquals(0x0F, SeqNum.add(0xFFFF_FFF0, 0x1F));
    assertEquals(0xFFFF_FFFF, SeqNum.add(0, -1));
    assertEquals(0x8000_0000, SeqNum.add(0x7FFF_FFFF, 1));
    assertEquals(0x2000_0000, SeqNum.add(0xE000_0000, 0x4000_0000));
  }

  @Test
  void diffIsTheSignedDistanceAcrossTheWrap() {
    assertEquals(0x20, SeqNum.diff(0x10, 0xFFFF_FFF0));
    assertEquals(-0x20, SeqNum.diff(0xFFFF_FFF0, 0x10));
    assertEquals(1, SeqNum.diff(0, 0xFFFF_FFFF));
    assertEquals(Integer.MAX_VALUE, SeqNum.diff(0x7FFF_FFFF, 0));
  }

  @Test
  void seededRandomPairsAgreeWithTheUnsignedReference() {
    SplittableRandom random = new SplittableRandom(0x5E9_0001L);
    for (int i = 0; i < 1_000_000; i++) {
      int a = random.nextInt();
      // Half the pairs near a (small distances, where off-by-one bugs live), half anywhere.
      int b = i % 2 == 0 ? a + random.nextInt(-1000, 1001) : random.nextInt();
      long forward = forward(a, b);
      if (forward == HALF) {
        continue; // exactly half the space apart: no order is defined
      }
      boolean after = forward != 0 && forward < HALF; // b after a
      boolean before = forward > HALF; // b before a
      long distance = after ? forward : before ? forward - SPACE : 0; // b - a, signed
      String what = Integer.toHexString(a) + " vs " + Integer.toHexString(b);
      assertEquals(after, SeqNum.lt(a, b), what);
      assertEquals(after || forward == 0, SeqNum.le(a, b), what);
      assertEquals(before, SeqNum.gt(a, b), what);
      assertEquals(before || forward == 0, SeqNum.ge(a, b), what);
      assertEquals(distance, SeqNum.diff(b, a), what);
      assertEquals(after ? b : a, SeqNum.max(a, b), what);
      assertEquals(after ? a : b, SeqNum.min(a, b), what);
      assertEquals(b, SeqNum.add(a, (int) distance), what);
    }
  }

  @Test
  void addMatchesBigIntegerArithmeticModulo2To32() {
    SplittableRandom random = new SplittableRandom(0x5E9_0002L);
    BigInteger modulus = BigInteger.ONE.shiftLeft(32);
    for (int i = 0; i < 100_000; i++) {
      int a = random.nextInt();
      int n = random.nextInt();
      long expected =
          BigInteger.valueOf(Integer.toUnsignedLong(a)).add(BigInteger.valueOf(n)).mod(modulus)
              .longValueExact();
      assertEquals(expected, SeqNum.toUnsigned(SeqNum.add(a, n)));
    }
  }

  @Test
  void inWindowHoldsFromStartToJustBeforeStartPlusLength() {
    int start = 1000;
    int length = 500;
    assertFalse(SeqNum.inWindow(999, start, length));
    assertTrue(SeqNum.inWindow(1000, start, length));
    assertTrue(SeqNum.inWindow(1499, start, length));
    assertFalse(SeqNum.inWindow(1500, start, length));
  }

  @Test
  void inWindowWorksAcrossTheWrap() {
    int start = 0xFFFF_FFF0;
    int length = 0x20;
    assertFalse(SeqNum.inWindow(0xFFFF_FFEF, start, length));
    assertTrue(SeqNum.inWindow(0xFFFF_FFF0, start, length));
    assertTrue(SeqNum.inWindow(0xFFFF_FFFF, start, length));
    assertTrue(SeqNum.inWindow(0, start, length));
    assertTrue(SeqNum.inWindow(0x0F, start, length));
    assertFalse(SeqNum.inWindow(0x10, start, length));
  }

  @Test
  void anEmptyWindowHoldsNothingAndAOneOctetWindowOnlyItsStart() {
    for (int start : EDGES) {
      assertFalse(SeqNum.inWindow(start, start, 0));
      assertFalse(SeqNum.inWindow(start + 1, start, 0));
      assertFalse(SeqNum.inWindow(start - 1, start, 0));
      assertTrue(SeqNum.inWindow(start, start, 1));
      assertFalse(SeqNum.inWindow(start + 1, start, 1));
      assertFalse(SeqNum.inWindow(start - 1, start, 1));
    }
  }

  @Test
  void inWindowTakesLengthsUpToTheLargestPositiveInt() {
    int length = Integer.MAX_VALUE; // 2^31 - 1
    for (int start : EDGES) {
      assertTrue(SeqNum.inWindow(start, start, length));
      assertTrue(SeqNum.inWindow(start + length - 1, start, length));
      assertFalse(SeqNum.inWindow(start + length, start, length));
      assertFalse(SeqNum.inWindow(start - 1, start, length));
    }
    // The largest window TCP can have: 65535 << 14 (RFC 7323 §2.3).
    int maxWindow = 0xFFFF << TcpOptions.MAX_WINDOW_SCALE;
    assertTrue(SeqNum.inWindow(0xFFFF_FFFF + maxWindow - 1, 0xFFFF_FFFF, maxWindow));
    assertFalse(SeqNum.inWindow(0xFFFF_FFFF + maxWindow, 0xFFFF_FFFF, maxWindow));
  }

  @Test
  void seededRandomWindowsAgreeWithTheUnsignedReference() {
    SplittableRandom random = new SplittableRandom(0x5E9_0003L);
    for (int i = 0; i < 1_000_000; i++) {
      int start = random.nextInt();
      int length = i % 2 == 0 ? random.nextInt(0, 70_000) : random.nextInt(0, Integer.MAX_VALUE);
      int x = i % 3 == 0 ? start + random.nextInt(-2, 3) : start + random.nextInt();
      if (i % 5 == 0) {
        x = start + length + random.nextInt(-2, 3); // around the right edge
      }
      boolean expected = forward(start, x) < length;
      assertEquals(
          expected,
          SeqNum.inWindow(x, start, length),
          Integer.toHexString(x) + " in [" + Integer.toHexString(start) + " +" + length + ")");
    }
  }

  @Test
  void maxAndMinFollowTheModularOrderNotTheIntOrder() {
    assertEquals(0x10, SeqNum.max(0xFFFF_FFF0, 0x10));
    assertEquals(0xFFFF_FFF0, SeqNum.min(0xFFFF_FFF0, 0x10));
    assertEquals(0x8000_0000, SeqNum.max(0x7FFF_FFFF, 0x8000_0000));
    assertEquals(0x7FFF_FFFF, SeqNum.min(0x8000_0000, 0x7FFF_FFFF));
  }

  @Test
  void printsAsTheUnsignedValueOnTheWire() {
    assertEquals(4_294_967_295L, SeqNum.toUnsigned(-1));
    assertEquals(0x8000_0000L, SeqNum.toUnsigned(Integer.MIN_VALUE));
    assertEquals(7L, SeqNum.toUnsigned(7));
    assertEquals("3544807761", SeqNum.toString(0xD349_7951));
  }
}
