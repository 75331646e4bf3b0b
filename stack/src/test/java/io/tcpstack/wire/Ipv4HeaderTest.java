package io.tcpstack.wire;

import static io.tcpstack.wire.Ipv4Header.CHECKSUM_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.DESTINATION_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.DSCP_ECN_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.FLAGS_FRAGMENT_OFFSET_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.IDENTIFICATION_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.PROTOCOL_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.SOURCE_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.TOTAL_LENGTH_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.TTL_FIELD_OFFSET;
import static io.tcpstack.wire.Ipv4Header.VERSION_IHL_FIELD_OFFSET;
import static io.tcpstack.wire.WireTestSupport.ALLOC;
import static io.tcpstack.wire.WireTestSupport.I32;
import static io.tcpstack.wire.WireTestSupport.U16;
import static io.tcpstack.wire.WireTestSupport.U8;
import static io.tcpstack.wire.WireTestSupport.captured;
import static io.tcpstack.wire.WireTestSupport.exact;
import static io.tcpstack.wire.WireTestSupport.hex;
import static io.tcpstack.wire.WireTestSupport.using;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.WireTestSupport.Field;
import java.util.function.ObjIntConsumer;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4HeaderTest {

  private static Field<Ipv4Header> field(
      int offset, int length, ObjIntConsumer<Ipv4Header> set, ToIntFunction<Ipv4Header> get) {
    return new Field<>((b, o) -> new Ipv4Header().wrap(b, o), offset, length, set, get);
  }

  /** A valid 20-byte header, 198.18.0.1 > 198.18.0.2 UDP, with these first and length fields. */
  private static byte[] header(int versionIhl, int totalLength) {
    byte[] b = hex("45000000 12344000 40110000 c6120001 c6120002");
    b[0] = (byte) versionIhl;
    b[2] = (byte) (totalLength >>> 8);
    b[3] = (byte) totalLength;
    return b;
  }

  /** {@code header} followed by zeros to {@code length} bytes. */
  private static byte[] packet(int versionIhl, int totalLength, int length) {
    byte[] b = new byte[length];
    byte[] h = header(versionIhl, totalLength);
    System.arraycopy(h, 0, b, 0, Math.min(h.length, length));
    return b;
  }

  private static WireCheck check(byte[] bytes, int length) {
    ByteBuf buf = exact(bytes, length);
    try {
      return new Ipv4Header().wrapChecked(buf, 0, length);
    } finally {
      buf.release();
    }
  }

  @Nested
  class Setters {
    @Test
    void roundTripEveryFieldAtItsExtremesAndTouchNothingElse() {
      field(DSCP_ECN_FIELD_OFFSET, 1, Ipv4Header::setDscpEcn, Ipv4Header::dscpEcn)
          .assertRoundTrips(U8);
      field(TOTAL_LENGTH_FIELD_OFFSET, 2, Ipv4Header::setTotalLength, Ipv4Header::totalLength)
          .assertRoundTrips(U16);
      field(
              IDENTIFICATION_FIELD_OFFSET,
              2,
              Ipv4Header::setIdentification,
              Ipv4Header::identification)
          .assertRoundTrips(U16);
      field(TTL_FIELD_OFFSET, 1, Ipv4Header::setTtl, Ipv4Header::ttl).assertRoundTrips(U8);
      field(PROTOCOL_FIELD_OFFSET, 1, Ipv4Header::setProtocol, Ipv4Header::protocol)
          .assertRoundTrips(U8);
      field(CHECKSUM_FIELD_OFFSET, 2, Ipv4Header::setChecksum, Ipv4Header::checksum)
          .assertRoundTrips(U16);
      field(SOURCE_FIELD_OFFSET, 4, Ipv4Header::setSource, Ipv4Header::source)
          .assertRoundTrips(I32);
      field(DESTINATION_FIELD_OFFSET, 4, Ipv4Header::setDestination, Ipv4Header::destination)
          .assertRoundTrips(I32);
    }

    @Test
    void writeTheLowBitsOfOversizedValues() {
      field(TTL_FIELD_OFFSET, 1, Ipv4Header::setTtl, Ipv4Header::ttl).assertWrites(0x1FF, 0xFF);
      field(TOTAL_LENGTH_FIELD_OFFSET, 2, Ipv4Header::setTotalLength, Ipv4Header::totalLength)
          .assertWrites(0x1_0005, 5);
    }

    @Test
    void dscpAndEcnShareTheTypeOfServiceByte() {
      Field<Ipv4Header> tos =
          field(DSCP_ECN_FIELD_OFFSET, 1, Ipv4Header::setDscpEcn, Ipv4Header::dscpEcn);
      // 0xb9: DSCP 46 (EF, RFC 3246) and ECN 1 (ECT(1), RFC 3168).
      tos.readBy(Ipv4Header::dscp).assertWrites(0xb9, 46);
      tos.readBy(Ipv4Header::ecn).assertWrites(0xb9, 1);
      tos.readBy(Ipv4Header::dscp).assertWrites(0xFF, 63);
      tos.readBy(Ipv4Header::ecn).assertWrites(0xFF, 3);
    }

    @Test
    void versionAndHeaderLengthWritesVersion4AndIhl() {
      Field<Ipv4Header> versionIhl =
          field(
              VERSION_IHL_FIELD_OFFSET,
              1,
              Ipv4Header::setVersionAndHeaderLength,
              Ipv4Header::headerLength);
      for (int headerLength = 20; headerLength <= 60; headerLength += 4) {
        versionIhl.assertWrites(headerLength, headerLength);
        versionIhl.readBy(Ipv4Header::version).assertWrites(headerLength, 4);
        versionIhl.readBy(Ipv4Header::ihl).assertWrites(headerLength, headerLength / 4);
        versionIhl.readBy(Ipv4Header::optionsLength).assertWrites(headerLength, headerLength - 20);
      }
    }

    @ParameterizedTest
    @ValueSource(ints = {-4, 0, 16, 19, 21, 22, 23, 61, 64, 68})
    void versionAndHeaderLengthRejectsWhatIhlCannotEncode(int headerLength) {
      using(
          ALLOC.directBuffer(60).writeZero(60),
          buf -> {
            IllegalArgumentException e =
                assertThrows(
                    IllegalArgumentException.class,
                    () -> new Ipv4Header().wrap(buf, 0).setVersionAndHeaderLength(headerLength));
            assertTrue(e.getMessage().contains("multiple of 4 from 20 to 60"), e.getMessage());
          });
    }

    @Test
    void flagsAndFragmentOffsetRoundTripAndClearTheReservedFlag() {
      for (boolean df : new boolean[] {false, true}) {
        for (boolean mf : new boolean[] {false, true}) {
          for (int offset :
              new int[] {0, 8, 1480, 2960, 0x1000 * 8, Ipv4Header.MAX_FRAGMENT_OFFSET}) {
            String what = "df " + df + " mf " + mf + " offset " + offset;
            int expectedWord = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | offset / 8;
            field(
                    FLAGS_FRAGMENT_OFFSET_FIELD_OFFSET,
                    2,
                    (h, unused) -> h.setFlagsAndFragmentOffset(df, mf, offset),
                    Ipv4Header::flagsAndFragmentOffset)
                .assertWrites(0, expectedWord);
            using(
                ALLOC.directBuffer(20).writeZero(20),
                buf -> {
                  buf.setByte(6, 0xFF); // the reserved flag, among others, set beforehand
                  Ipv4Header h =
                      new Ipv4Header().wrap(buf, 0).setFlagsAndFragmentOffset(df, mf, offset);
                  assertAll(
                      what,
                      () -> assertEquals(df, h.dontFragment()),
                      () -> assertEquals(mf, h.moreFragments()),
                      () -> assertEquals(offset, h.fragmentOffset()),
                      () -> assertFalse(h.reservedFlag()),
                      () -> assertEquals(mf || offset != 0, h.isFragment()));
                });
          }
        }
      }
    }

    @ParameterizedTest
    @ValueSource(
        ints = {-8, -1, 1, 4, 1481, Ipv4Header.MAX_FRAGMENT_OFFSET + 8, 65_536, Integer.MIN_VALUE})
    void flagsAndFragmentOffsetRejectsOffsetsTheFieldCannotHold(int offset) {
      using(
          ALLOC.directBuffer(20).writeZero(20),
          buf -> {
            IllegalArgumentException e =
                assertThrows(
                    IllegalArgumentException.class,
                    () ->
                        new Ipv4Header()
                            .wrap(buf, 0)
                            .setFlagsAndFragmentOffset(false, true, offset));
            assertTrue(e.getMessage().contains("multiple of 8 from 0 to 65528"), e.getMessage());
          });
    }

    @Test
    void returnThisSoCallsChain() {
      using(
          ALLOC.directBuffer(20).writeZero(20),
          buf -> {
            Ipv4Header h = new Ipv4Header();
            assertSame(h, h.wrap(buf, 0));
            assertSame(h, h.setVersionAndHeaderLength(20));
            assertSame(h, h.setDscpEcn(0));
            assertSame(h, h.setTotalLength(20));
            assertSame(h, h.setIdentification(0));
            assertSame(h, h.setFlagsAndFragmentOffset(true, false, 0));
            assertSame(h, h.setTtl(1));
            assertSame(h, h.setProtocol(6));
            assertSame(h, h.setChecksum(0));
            assertSame(h, h.setSource(1));
            assertSame(h, h.setDestination(2));
            assertSame(h, h.fillChecksum());
          });
    }
  }

  @Nested
  class Checksum {
    @ParameterizedTest
    @ValueSource(ints = {20, 24, 60})
    void fillChecksumCoversOptionsAndAnySingleBitFlipBreaksIt(int headerLength) {
      // Room for the longest header wherever a flipped IHL bit makes the checksum reach.
      using(
          ALLOC.directBuffer(3 + 60 + 4),
          buf -> {
            buf.writeZero(3 + 60 + 4);
            for (int i = 20; i < headerLength; i++) {
              buf.setByte(3 + i, i == 20 ? 1 : i); // option bytes (NOP, then anything)
            }
            Ipv4Header h =
                new Ipv4Header()
                    .wrap(buf, 3)
                    .setVersionAndHeaderLength(headerLength)
                    .setTotalLength(headerLength + 4)
                    .setIdentification(0xbeef)
                    .setFlagsAndFragmentOffset(true, false, 0)
                    .setTtl(64)
                    .setProtocol(IpProtocol.TCP)
                    .setChecksum(0x1234) // overwritten: fillChecksum ignores what was there
                    .setSource(0xC612_0001)
                    .setDestination(0x8000_0002)
                    .fillChecksum();
            assertTrue(h.isChecksumValid());
            for (int bit = 0; bit < headerLength * 8; bit++) {
              int index = 3 + bit / 8;
              int original = buf.getUnsignedByte(index);
              buf.setByte(index, original ^ (0x80 >>> (bit % 8)));
              assertFalse(h.isChecksumValid(), "bit " + bit);
              buf.setByte(index, original);
            }
            // Bytes after the header are not covered.
            buf.setByte(3 + headerLength, 0xFF);
            assertTrue(h.isChecksumValid());
          });
    }

    @Test
    void verifiesLinuxsHeaders() {
      for (String name : WireTestSupport.LINUX_VECTORS) {
        byte[] p = captured(name);
        using(
            exact(p, p.length),
            buf -> {
              Ipv4Header h = new Ipv4Header();
              assertEquals(WireCheck.OK, h.wrapChecked(buf, 0, p.length), name);
              assertTrue(h.isChecksumValid(), name);
              int linux = h.checksum();
              assertEquals(
                  linux, h.fillChecksum().checksum(), name + ": fillChecksum agrees with Linux");
            });
      }
    }
  }

  @Nested
  class WrapChecked {
    @Test
    void acceptsAMinimalDatagram() {
      assertEquals(WireCheck.OK, check(header(0x45, 20), 20));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 10, 19})
    void reportsTruncatedBelowTwentyBytes(int length) {
      assertEquals(WireCheck.TRUNCATED, check(packet(0x45, 20, 20), length));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x05, 0x15, 0x35, 0x65, 0xF5})
    void reportsBadVersionForAnythingButFour(int versionIhl) {
      assertEquals(WireCheck.BAD_VERSION, check(header(versionIhl, 20), 20));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x40, 0x41, 0x44})
    void reportsBadHeaderLengthBelowFiveWords(int versionIhl) {
      assertEquals(WireCheck.BAD_HEADER_LENGTH, check(header(versionIhl, 20), 20));
    }

    @Test
    void reportsBadHeaderLengthWhenOptionsRunPastTheBytes() {
      assertEquals(WireCheck.BAD_HEADER_LENGTH, check(packet(0x46, 24, 23), 23));
      assertEquals(WireCheck.BAD_HEADER_LENGTH, check(packet(0x4F, 60, 59), 59));
      assertEquals(WireCheck.OK, check(packet(0x4F, 60, 60), 60));
    }

    @Test
    void reportsBadTotalLengthBelowTheHeaderOrPastTheBytes() {
      assertEquals(WireCheck.BAD_TOTAL_LENGTH, check(packet(0x45, 19, 40), 40));
      assertEquals(WireCheck.BAD_TOTAL_LENGTH, check(packet(0x45, 0, 40), 40));
      assertEquals(WireCheck.BAD_TOTAL_LENGTH, check(packet(0x46, 23, 40), 40));
      assertEquals(WireCheck.BAD_TOTAL_LENGTH, check(packet(0x45, 41, 40), 40));
      assertEquals(WireCheck.BAD_TOTAL_LENGTH, check(packet(0x45, 0xFFFF, 40), 40));
    }

    @Test
    void ignoresBytesAfterTheTotalLength() {
      using(
          exact(packet(0x46, 30, 64), 64),
          buf -> {
            Ipv4Header h = new Ipv4Header();
            assertEquals(WireCheck.OK, h.wrapChecked(buf, 0, 64));
            assertEquals(24, h.payloadIndex());
            assertEquals(6, h.payloadLength(), "total length, not the bytes given");
            assertEquals(4, h.optionsLength());
            assertEquals(20, h.optionsIndex());
          });
    }

    @Test
    void checksInTheOrderTheEnumDeclares() {
      // Version 6 and IHL 0 and total length 0: version is reported first.
      assertEquals(WireCheck.BAD_VERSION, check(packet(0x60, 0, 20), 20));
      // IHL 4 and total length 0: header length first.
      assertEquals(WireCheck.BAD_HEADER_LENGTH, check(packet(0x44, 0, 20), 20));
    }

    @Test
    void stillWrapsWhenTheCheckFails() {
      using(
          exact(packet(0x65, 20, 20), 20),
          buf -> {
            Ipv4Header h = new Ipv4Header();
            assertEquals(WireCheck.BAD_VERSION, h.wrapChecked(buf, 0, 20));
            assertSame(buf, h.buffer());
            assertEquals(0, h.offset());
            assertEquals(6, h.version());
          });
    }

    @Test
    void throwsForRangesOutsideTheBufferBecauseThatIsACallerBug() {
      using(
          exact(packet(0x45, 20, 20), 20),
          buf -> {
            Ipv4Header h = new Ipv4Header();
            assertThrows(IndexOutOfBoundsException.class, () -> h.wrapChecked(buf, 0, 21));
            assertThrows(IndexOutOfBoundsException.class, () -> h.wrapChecked(buf, 1, 20));
            assertThrows(IndexOutOfBoundsException.class, () -> h.wrapChecked(buf, -1, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> h.wrapChecked(buf, 0, -1));
          });
    }
  }

  @Nested
  class Flyweight {
    @Test
    void rewrapsOntoAnotherBufferAndOffset() {
      byte[] a = captured("tcp-syn");
      byte[] b = captured("udp-odd-payload");
      using(
          exact(a, a.length),
          bufA ->
              using(
                  WireTestSupport.Placement.DIRECT_AT_ODD_INDEX.place(b),
                  bufB -> {
                    Ipv4Header h = new Ipv4Header();
                    assertEquals(WireCheck.OK, h.wrapChecked(bufA, 0, a.length));
                    assertEquals(IpProtocol.TCP, h.protocol());
                    assertEquals(WireCheck.OK, h.wrapChecked(bufB, bufB.readerIndex(), b.length));
                    assertEquals(IpProtocol.UDP, h.protocol());
                    assertSame(bufB, h.buffer());
                    assertEquals(bufB.readerIndex(), h.offset());
                    assertEquals(bufB.readerIndex() + 20, h.payloadIndex());
                  }));
    }

    @Test
    void toStringShowsTheMainFieldsAndNeverThrows() {
      assertEquals("Ipv4Header{unwrapped}", new Ipv4Header().toString());
      byte[] p = captured("udp-fragment-2");
      using(
          exact(p, p.length),
          buf -> {
            String s = new Ipv4Header().wrap(buf, 0).toString();
            assertTrue(s.contains("198.18.0.1 > 198.18.0.2 UDP"), s);
            assertTrue(s.contains("id 0xac8c MF off 1480"), s);
            assertTrue(new Ipv4Header().wrap(buf, p.length - 19).toString().contains("truncated"));
          });
    }
  }
}
