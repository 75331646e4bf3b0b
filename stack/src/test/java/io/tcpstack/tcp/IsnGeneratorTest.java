package io.tcpstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsnGeneratorTest {

  /**
   * SipHash-2-4's reference vectors (vectors.h of the reference implementation, github.com/veorq/
   * SipHash): entry i is the 8-byte output, in the byte order the reference writes it (little
   * endian), for the key 00 01 .. 0f and the i-byte message 00 01 .. (i-1).
   */
  private static final String[] SIPHASH24_VECTORS = {
    "310e0edd47db6f72",
    "fd67dc93c539f874",
    "5a4fa9d909806c0d",
    "2d7efbd796666785",
    "b7877127e09427cf",
    "8da699cd64557618",
    "cee3fe586e46c9cb",
    "37d1018bf50002ab",
    "6224939a79f5f593",
    "b0e4a90bdf82009e",
    "f3b9dd94c5bb5d7a",
    "a7ad6b22462fb3f4",
    "fbe50e86bc8f1e75",
    "903d84c02756ea14",
    "eef27a8e90ca23f7",
    "e545be4961ca29a1",
    "db9bc2577fcc2a3f",
    "9447be2cf5e99a69",
    "9cd38d96f0b3c14b",
    "bd6179a71dc96dbb",
    "98eea21af25cd6be",
    "c7673b2eb0cbf2d0",
    "883ea3e395675393",
    "c8ce5ccd8c030ca8",
    "94af49f6c650adb8",
    "eab8858ade92e1bc",
    "f315bb5bb835d817",
    "adcf6b0763612e2f",
    "a5c91da7acaa4dde",
    "716595876650a2a6",
    "28ef495c53a387ad",
    "42c341d8fa92d832",
    "ce7cf2722f512771",
    "e37859f94623f3a7",
    "381205bb1ab0e012",
    "ae97a10fd434e015",
    "b4a31508beff4d31",
    "81396229f0907902",
    "4d0cf49ee5d4dcca",
    "5c73336a76d8bf9a",
    "d0a704536ba93e0e",
    "925958fcd6420cad",
    "a915c29bc8067318",
    "952b79f3bc0aa6d4",
    "f21df2e41d4535f9",
    "87577519048f53a9",
    "10a56cf5dfcd9adb",
    "eb75095ccd986cd0",
    "51a9cb9ecba312e6",
    "96afadfc2ce666c7",
    "72fe52975a4364ee",
    "5a1645b276d592a1",
    "b274cb8ebf87870a",
    "6f9bb4203de7b381",
    "eaecb2a30b22a87f",
    "9924a43cc1315724",
    "bd838d3aafbf8db7",
    "0b1a2a3265d51aea",
    "135079a3231ce660",
    "932b2846e4d70666",
    "e1915f5cb1eca46c",
    "f325965ca16d629f",
    "575ff28e60381be5",
    "724506eb4c328a95"
  };

  /** The key of the reference vectors: 00 01 02 .. 0f. */
  private static final byte[] VECTOR_KEY = sequence(16);

  private static final int LOCAL = 0xC612_0002; // 198.18.0.2
  private static final int REMOTE = 0xC612_0001; // 198.18.0.1
  private static final int LOCAL_PORT = 7;
  private static final int REMOTE_PORT = 40007;
  private static final long T0 = 1_234_567_890_123L;

  private final IsnGenerator generator = new IsnGenerator(VECTOR_KEY);

  private static byte[] sequence(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  private static long vector(int i) {
    long v = 0;
    String hex = SIPHASH24_VECTORS[i];
    for (int b = 0; b < 8; b++) {
      v |= Long.parseLong(hex.substring(2 * b, 2 * b + 2), 16) << (8 * b);
    }
    return v;
  }

  private static final long K0 = IsnGenerator.littleEndianLong(VECTOR_KEY, 0, 8);
  private static final long K1 = IsnGenerator.littleEndianLong(VECTOR_KEY, 8, 8);

  @Test
  void sipHashMatchesAllSixtyFourReferenceVectors() {
    assertEquals(64, SIPHASH24_VECTORS.length);
    assertEquals(0x0706_0504_0302_0100L, K0);
    assertEquals(0x0F0E_0D0C_0B0A_0908L, K1);
    byte[] message = sequence(64);
    for (int i = 0; i < 64; i++) {
      assertEquals(
          vector(i),
          IsnGenerator.sipHash24(K0, K1, message, 0, i),
          "message of " + i + " bytes");
    }
    // The example of the SipHash paper's appendix: the 15-byte message.
    assertEquals(0xA129_CA61_49BE_45E5L, IsnGenerator.sipHash24(K0, K1, message, 0, 15));
  }

  @Test
  void sipHashReadsTheMessageAtAnOffset() {
    byte[] shifted = new byte[40];
    System.arraycopy(sequence(33), 0, shifted, 7, 33);
    for (int i = 0; i <= 33; i++) {
      assertEquals(vector(i), IsnGenerator.sipHash24(K0, K1, shifted, 7, i), "length " + i);
    }
  }

  @Test
  void theAllocationFreeFormMatchesTheReferenceVectorsForEightToFifteenBytes() {
    byte[] message = sequence(16);
    for (int length = 8; length <= 15; length++) {
      long word = IsnGenerator.littleEndianLong(message, 0, 8);
      long last = IsnGenerator.littleEndianLong(message, 8, length - 8) | ((long) length << 56);
      assertEquals(vector(length), IsnGenerator.sipHash24(K0, K1, word, last), "length " + length);
    }
  }

  @Test
  void theOffsetIsSipHashOfAddressesThenPortsInNetworkOrderFolded() {
    SplittableRandom random = new SplittableRandom(0x1_5EEDL);
    byte[] key = new byte[16];
    random.nextBytes(key);
    IsnGenerator keyed = new IsnGenerator(key);
    long k0 = IsnGenerator.littleEndianLong(key, 0, 8);
    long k1 = IsnGenerator.littleEndianLong(key, 8, 8);
    for (int i = 0; i < 10_000; i++) {
      int la = random.nextInt();
      int ra = random.nextInt();
      int lp = random.nextInt(0, 65536);
      int rp = random.nextInt(0, 65536);
      byte[] tuple =
          ByteBuffer.allocate(12).putInt(la).putInt(ra).putShort((short) lp).putShort((short) rp)
              .array();
      long h = IsnGenerator.sipHash24(k0, k1, tuple, 0, tuple.length);
      assertEquals((int) (h ^ (h >>> 32)), keyed.offset(la, lp, ra, rp));
      assertEquals(
          IsnGenerator.clock(T0) + (int) (h ^ (h >>> 32)), keyed.isn(la, lp, ra, rp, T0));
    }
  }

  @Test
  void theSameTupleAndTimeGiveTheSameIsn() {
    int isn = generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0);
    assertEquals(isn, generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0));
    assertEquals(isn, new IsnGenerator(VECTOR_KEY).isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0));
  }

  @Test
  void theIsnAdvancesByOneEveryFourMicroseconds() {
    int isn = generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0);
    for (long k : new long[] {1, 2, 3, 250, 250_000, 1L << 31, (1L << 32) - 1, 1L << 32, 1L << 40}) {
      assertEquals(
          isn + (int) k,
          generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0 + k * IsnGenerator.TICK_NS),
          "after " + k + " ticks");
    }
  }

  @Test
  void theIsnHoldsStillWithinATick() {
    long tickStart = Math.floorDiv(T0, IsnGenerator.TICK_NS) * IsnGenerator.TICK_NS;
    int isn = generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, tickStart);
    assertEquals(isn, generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, tickStart + 3_999));
    assertEquals(isn + 1, generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, tickStart + 4_000));
    assertEquals(isn - 1, generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, tickStart - 1));
  }

  @Test
  void theClockTicksEvenlyAcrossANegativeOrigin() {
    // System.nanoTime() may be negative: every tick is 4 µs long, also around zero.
    assertEquals(0, IsnGenerator.clock(0));
    assertEquals(0, IsnGenerator.clock(3_999));
    assertEquals(-1, IsnGenerator.clock(-1));
    assertEquals(-1, IsnGenerator.clock(-4_000));
    assertEquals(-2, IsnGenerator.clock(-4_001));
    assertEquals(0, IsnGenerator.clock(4_000L << 32), "M is 32 bits: it wraps after 2^32 ticks");
    assertEquals(1, IsnGenerator.clock(Long.MIN_VALUE + 4_000) - IsnGenerator.clock(Long.MIN_VALUE));
    assertEquals(1, IsnGenerator.clock(Long.MAX_VALUE) - IsnGenerator.clock(Long.MAX_VALUE - 4_000));
    int isn = generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, 0);
    assertEquals(isn - 1, generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, -1));
    assertEquals(isn - 2, generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, -4_001));
  }

  @Test
  void changingAnyPartOfTheTupleChangesTheOffset() {
    Set<Integer> offsets = new HashSet<>();
    offsets.add(generator.offset(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT));
    offsets.add(generator.offset(LOCAL + 1, LOCAL_PORT, REMOTE, REMOTE_PORT));
    offsets.add(generator.offset(LOCAL, LOCAL_PORT + 1, REMOTE, REMOTE_PORT));
    offsets.add(generator.offset(LOCAL, LOCAL_PORT, REMOTE + 1, REMOTE_PORT));
    offsets.add(generator.offset(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT + 1));
    // The same endpoints seen from the other side are another connection.
    offsets.add(generator.offset(REMOTE, REMOTE_PORT, LOCAL, LOCAL_PORT));
    // Moving a bit between the address and port fields must not cancel out.
    offsets.add(generator.offset(LOCAL, REMOTE_PORT, REMOTE, LOCAL_PORT));
    assertEquals(7, offsets.size());
  }

  @Test
  void offsetsOfManyTuplesLookRandom() {
    SplittableRandom random = new SplittableRandom(0x2_5EEDL);
    int n = 20_000;
    Set<Integer> offsets = new HashSet<>();
    long ones = 0;
    // Successive ports of one client, as a port allocator hands them out: the worst case for a
    // weak function.
    for (int i = 0; i < n; i++) {
      int offset =
          i % 2 == 0
              ? generator.offset(LOCAL, 80, REMOTE, 32768 + i / 2)
              : generator.offset(random.nextInt(), random.nextInt(0, 65536), random.nextInt(), 80);
      offsets.add(offset);
      ones += Integer.bitCount(offset);
    }
    // 20 000 random 32-bit values collide about 0.05 times on average.
    assertTrue(offsets.size() >= n - 2, (n - offsets.size()) + " collisions");
    double meanBits = ones / (double) n;
    assertTrue(Math.abs(meanBits - 16) < 0.2, "mean set bits " + meanBits);
  }

  @Test
  void differentKeysGiveDifferentIsns() {
    byte[] other = VECTOR_KEY.clone();
    other[15] ^= 1;
    IsnGenerator second = new IsnGenerator(other);
    assertNotEquals(
        generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0),
        second.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0));
    other[15] ^= 1;
    other[0] ^= (byte) 0x80;
    assertNotEquals(
        generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0),
        new IsnGenerator(other).isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0));
  }

  @Test
  void theKeyIsCopiedAndBytesBeyondSixteenAreIgnored() {
    byte[] key = Arrays.copyOf(VECTOR_KEY, 32);
    Arrays.fill(key, 16, 32, (byte) 0x77);
    IsnGenerator longer = new IsnGenerator(key);
    int isn = generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0);
    assertEquals(isn, longer.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0));
    Arrays.fill(key, (byte) 0);
    assertEquals(isn, longer.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0));
  }

  @Test
  void onlyTheLowSixteenBitsOfAPortCount() {
    assertEquals(
        generator.isn(LOCAL, LOCAL_PORT, REMOTE, REMOTE_PORT, T0),
        generator.isn(LOCAL, LOCAL_PORT | 0x7_0000, REMOTE, REMOTE_PORT | 0xFFFF_0000, T0));
  }

  @Test
  void aKeyShorterThan128BitsIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new IsnGenerator(new byte[15]));
    assertTrue(e.getMessage().contains("SecureRandom"), e.getMessage());
    assertThrows(NullPointerException.class, () -> new IsnGenerator(null));
  }

  @Test
  void isnAllocatesNothing() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assumeTrue(
        threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    assumeTrue(
        counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());
    long sink = 0;
    for (int i = 0; i < 20_000; i++) {
      sink += generator.isn(LOCAL, i, REMOTE, REMOTE_PORT, T0 + i);
    }
    long before = counter.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 500_000; i++) {
      sink += generator.isn(LOCAL, i, REMOTE, REMOTE_PORT, T0 + i);
    }
    long allocated = counter.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < 4096, allocated + " bytes allocated over 500000 ISNs");
    assertTrue(sink != 0);
  }
}
