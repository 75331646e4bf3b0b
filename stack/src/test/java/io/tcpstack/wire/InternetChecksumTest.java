package io.tcpstack.wire;

import static io.tcpstack.wire.WireTestSupport.ALLOC;
import static io.tcpstack.wire.WireTestSupport.hex;
import static io.tcpstack.wire.WireTestSupport.using;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.WireTestSupport.Placement;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class InternetChecksumTest {

  /**
   * The sum written the obvious way, independent of {@link InternetChecksum}: 16-bit words,
   * end-around carry after every addition (RFC 1071 §1), odd last byte padded with zero.
   */
  static int referenceSum(byte[] data, int from, int length, int initial) {
    long sum = initial & 0xFFFF_FFFFL;
    while (sum > 0xFFFF) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    for (int i = 0; i < length; i += 2) {
      int high = data[from + i] & 0xFF;
      int low = i + 1 < length ? data[from + i + 1] & 0xFF : 0;
      sum += high << 8 | low;
      if (sum > 0xFFFF) {
        sum -= 0xFFFF; // end-around carry: drop 0x10000, add 1
      }
    }
    return (int) sum;
  }

  private static int sumOf(byte[] data, Placement placement) {
    ByteBuf buf = placement.place(data);
    try {
      return InternetChecksum.sum(buf, buf.readerIndex(), data.length, 0);
    } finally {
      buf.release();
    }
  }

  @ParameterizedTest
  @EnumSource(Placement.class)
  void matchesTheRfc1071WorkedExample(Placement placement) {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 after folding the carries.
    byte[] data = hex("0001 f203 f4f5 f6f7");
    assertEquals(0xddf2, sumOf(data, placement));
    using(
        placement.place(data),
        buf ->
            assertEquals(0x220d, InternetChecksum.checksum(buf, buf.readerIndex(), data.length)));
  }

  @ParameterizedTest
  @EnumSource(Placement.class)
  void padsAnOddLastByteWithZeroOnTheRight(Placement placement) {
    assertEquals(0xab00, sumOf(hex("ab"), placement));
    assertEquals(0x0102 + 0x0300, sumOf(hex("010203"), placement));
    // 0x1234 + 0x5678 + 0x9a00 = 0x102ac, folded: 0x02ac + 0x1.
    assertEquals(0x02ad, sumOf(hex("12345678 9a"), placement));
    byte[] large = new byte[1501];
    new Random(1501).nextBytes(large);
    assertEquals(referenceSum(large, 0, 1501, 0), sumOf(large, placement));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 7, 8, 9, 1500, 65_536})
  void allZeroDataSumsToZeroAndChecksumsToAllOnes(int length) {
    using(
        ALLOC.directBuffer(length).writeZero(length),
        buf -> {
          assertEquals(0, InternetChecksum.sum(buf, 0, length, 0));
          assertEquals(0xFFFF, InternetChecksum.checksum(buf, 0, length));
        });
  }

  @Test
  void dataSummingToAllOnesChecksumsToZero() {
    for (String digits : new String[] {"ffff", "1234 edcb", "00ff ff00", "8000 7fff", "ff ff ff"}) {
      byte[] data = hex(digits);
      using(
          Placement.DIRECT_AT_ODD_INDEX.place(data),
          buf -> {
            int start = buf.readerIndex();
            // "ff ff ff" is 0xffff + 0xff00 = 0x1feff, folded 0xff00: not all ones.
            int expected = digits.equals("ff ff ff") ? 0xff00 : 0xFFFF;
            assertEquals(expected, InternetChecksum.sum(buf, start, data.length, 0), digits);
            assertEquals(
                0xFFFF - expected, InternetChecksum.checksum(buf, start, data.length), digits);
          });
    }
  }

  @Test
  void foldsCarriesOfLongAllOnesRuns() {
    // 1 MiB of 0xFF: the accumulator's largest growth; every word is 0xFFFF.
    int length = 1 << 20;
    byte[] ones = new byte[length];
    Arrays.fill(ones, (byte) 0xFF);
    using(
        WireTestSupport.UNTRACKED.directBuffer(length).writeBytes(ones),
        buf -> {
          assertEquals(0xFFFF, InternetChecksum.sum(buf, 0, length, 0));
          assertEquals(0xFFFF, InternetChecksum.sum(buf, 1, length - 2, 0xFFFF));
          assertEquals(0, InternetChecksum.checksum(buf, 0, length));
        });
    // A carry out of the top word comes back in at the bottom: 0xffff + 0x0001 = 0x0001.
    assertEquals(0x0001, sumOf(hex("ffff 0001"), Placement.HEAP_AT_ZERO));
    assertEquals(0x0001, sumOf(hex("ffffffff ffffffff 0001"), Placement.HEAP_AT_ZERO));
  }

  @ParameterizedTest
  @EnumSource(Placement.class)
  void sumDoesNotDependOnWhereTheDataSits(Placement placement) {
    byte[] data = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7 01");
    int expected = referenceSum(data, 0, data.length, 0);
    for (int at = 0; at < 16; at++) {
      byte[] shifted = new byte[at + data.length + 3];
      Arrays.fill(shifted, (byte) 0x99);
      System.arraycopy(data, 0, shifted, at, data.length);
      ByteBuf buf = placement.place(shifted);
      try {
        assertEquals(
            expected,
            InternetChecksum.sum(buf, buf.readerIndex() + at, data.length, 0),
            "at " + at);
      } finally {
        buf.release();
      }
    }
  }

  @Test
  void continuesFromAnInitialSum() {
    byte[] data = hex("0001 f203 f4f5 f6f7 0102 03");
    using(
        Placement.DIRECT_AT_ODD_INDEX.place(data),
        buf -> {
          int start = buf.readerIndex();
          int whole = InternetChecksum.sum(buf, start, data.length, 0);
          for (int split = 0; split <= data.length - 1; split += 2) {
            int first = InternetChecksum.sum(buf, start, split, 0);
            assertEquals(
                whole,
                InternetChecksum.sum(buf, start + split, data.length - split, first),
                "split " + split);
          }
          assertEquals(0x1234, InternetChecksum.sum(buf, start, 0, 0x1234), "empty data");
          assertEquals(0xFFFF, InternetChecksum.sum(buf, start, 0, 0xFFFF), "all-ones initial");
          // initial is unsigned 32 bits and folded: 0x1_0002 is 0x0003, 0xffffffff is 0xffff.
          assertEquals(0x0003, InternetChecksum.sum(buf, start, 0, 0x1_0002));
          assertEquals(0xFFFF, InternetChecksum.sum(buf, start, 0, 0xFFFF_FFFF));
        });
  }

  @Test
  void finishComplementsTo16Bits() {
    assertEquals(0xFFFF, InternetChecksum.finish(0));
    assertEquals(0, InternetChecksum.finish(0xFFFF));
    assertEquals(0x220d, InternetChecksum.finish(0xddf2));
  }

  @Test
  void pseudoHeaderSumEqualsTheSumOfThePseudoHeaderBytes() {
    Random random = new Random(768);
    for (int i = 0; i < 1000; i++) {
      int source = i == 0 ? -1 : random.nextInt();
      int destination = i == 0 ? -1 : random.nextInt();
      int protocol = i % 2 == 0 ? IpProtocol.TCP : IpProtocol.UDP;
      int length = i == 0 ? 0xFFFF : random.nextInt(0x10000);
      ByteBuf pseudo =
          ALLOC
              .heapBuffer(12)
              .writeInt(source)
              .writeInt(destination)
              .writeByte(0)
              .writeByte(protocol)
              .writeShort(length);
      try {
        assertEquals(
            InternetChecksum.sum(pseudo, 0, 12, 0),
            InternetChecksum.pseudoHeaderSum(source, destination, protocol, length));
      } finally {
        pseudo.release();
      }
    }
  }

  @Test
  void matchesTheReferenceOnRandomDataLengthsAndOffsets() {
    Random random = new Random(1071);
    Placement[] placements = Placement.values();
    for (int round = 0; round < 3000; round++) {
      int length = random.nextInt(round % 10 == 0 ? 70_000 : 2_100);
      int at = random.nextInt(16);
      byte[] data = new byte[at + length];
      if (random.nextBoolean()) {
        random.nextBytes(data);
      } else {
        // Mostly 0xFF bytes: the carry-heaviest data.
        for (int i = 0; i < data.length; i++) {
          data[i] = random.nextInt(8) == 0 ? (byte) random.nextInt(256) : (byte) 0xFF;
        }
      }
      int initial = random.nextInt(4) == 0 ? 0 : random.nextInt(0x10000);
      int expected = referenceSum(data, at, length, initial);
      ByteBuf buf = placements[round % placements.length].place(data, WireTestSupport.UNTRACKED);
      try {
        int sum = InternetChecksum.sum(buf, buf.readerIndex() + at, length, initial);
        assertEquals(expected, sum, "round " + round + ": length " + length + " at " + at);
        assertEquals(
            InternetChecksum.finish(InternetChecksum.sum(buf, buf.readerIndex() + at, length, 0)),
            InternetChecksum.checksum(buf, buf.readerIndex() + at, length));
      } finally {
        buf.release();
      }
    }
  }

  @Test
  void rejectsRangesOutsideTheBuffer() {
    using(
        ALLOC.directBuffer(10, 10).writeZero(10),
        buf -> {
          assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(buf, 0, 11, 0));
          assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(buf, 9, 2, 0));
          assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(buf, -1, 2, 0));
          assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(buf, 0, -1, 0));
          assertEquals(0, InternetChecksum.sum(buf, 10, 0, 0));
        });
  }
}
