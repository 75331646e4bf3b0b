package io.tcpstack.wire;

import static io.tcpstack.wire.UdpHeader.CHECKSUM_FIELD_OFFSET;
import static io.tcpstack.wire.UdpHeader.DESTINATION_PORT_FIELD_OFFSET;
import static io.tcpstack.wire.UdpHeader.LENGTH_FIELD_OFFSET;
import static io.tcpstack.wire.UdpHeader.SOURCE_PORT_FIELD_OFFSET;
import static io.tcpstack.wire.WireTestSupport.ALLOC;
import static io.tcpstack.wire.WireTestSupport.U16;
import static io.tcpstack.wire.WireTestSupport.exact;
import static io.tcpstack.wire.WireTestSupport.using;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.wire.WireTestSupport.Field;
import java.util.function.ObjIntConsumer;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UdpHeaderTest {

  private static Field<UdpHeader> field(
      int offset, int length, ObjIntConsumer<UdpHeader> set, ToIntFunction<UdpHeader> get) {
    return new Field<>((b, o) -> new UdpHeader().wrap(b, o), offset, length, set, get);
  }

  private static final int SOURCE = Ipv4Address.parse("198.18.0.2");
  private static final int DESTINATION = Ipv4Address.parse("198.18.0.1");

  @Test
  void settersRoundTripEveryFieldAtItsExtremesAndTouchNothingElse() {
    field(SOURCE_PORT_FIELD_OFFSET, 2, UdpHeader::setSourcePort, UdpHeader::sourcePort)
        .assertRoundTrips(U16);
    field(
            DESTINATION_PORT_FIELD_OFFSET,
            2,
            UdpHeader::setDestinationPort,
            UdpHeader::destinationPort)
        .assertRoundTrips(U16);
    field(LENGTH_FIELD_OFFSET, 2, UdpHeader::setLength, UdpHeader::length).assertRoundTrips(U16);
    field(CHECKSUM_FIELD_OFFSET, 2, UdpHeader::setChecksum, UdpHeader::checksum)
        .assertRoundTrips(U16);
  }

  @Test
  void settersReturnThisSoCallsChain() {
    using(
        ALLOC.directBuffer(8).writeZero(8),
        buf -> {
          UdpHeader h = new UdpHeader();
          assertSame(h, h.wrap(buf, 0));
          assertSame(
              h,
              h.setSourcePort(1)
                  .setDestinationPort(2)
                  .setLength(8)
                  .setChecksum(0)
                  .fillChecksum(SOURCE, DESTINATION));
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 15, 1472})
  void fillChecksumCoversPseudoHeaderAndPayload(int payloadLength) {
    int length = 8 + payloadLength;
    // Untracked: the bit-flip loop makes millions of accesses.
    using(
        WireTestSupport.UNTRACKED.directBuffer(length + 3).writeZero(length + 3),
        buf -> {
          for (int i = 0; i < payloadLength; i++) {
            buf.setByte(3 + 8 + i, 'a' + i % 26);
          }
          UdpHeader h =
              new UdpHeader()
                  .wrap(buf, 3)
                  .setSourcePort(53)
                  .setDestinationPort(0xFFFF)
                  .setLength(length)
                  .setChecksum(0x5555) // overwritten
                  .fillChecksum(SOURCE, DESTINATION);
          assertEquals(payloadLength, h.payloadLength());
          assertEquals(3 + 8, h.payloadIndex());
          assertTrue(h.isChecksumValid(SOURCE, DESTINATION));
          assertFalse(h.isChecksumValid(SOURCE, DESTINATION + 1), "another destination");
          for (int i = 0; i < length; i++) {
            if (i == LENGTH_FIELD_OFFSET || i == LENGTH_FIELD_OFFSET + 1) {
              continue; // another length sums other bytes: wrapChecked's business, tested below
            }
            int original = buf.getUnsignedByte(3 + i);
            buf.setByte(3 + i, original ^ 0x04);
            // Flipping a bit of a 0x0004 checksum makes it 0, "no checksum": valid by definition.
            boolean becameNone = i >= 6 && i < 8 && h.checksum() == UdpHeader.NO_CHECKSUM;
            assertEquals(becameNone, h.isChecksumValid(SOURCE, DESTINATION), "byte " + i);
            buf.setByte(3 + i, original);
          }
        });
  }

  @Test
  void aComputedZeroChecksumIsSentAsAllOnes() {
    // RFC 768: 0 in the field means "no checksum", so a computed 0 goes out as 0xffff. Make the
    // datagram's sum 0xffff by choosing its last payload word.
    using(
        ALLOC.directBuffer(12).writeZero(12),
        buf -> {
          UdpHeader h =
              new UdpHeader()
                  .wrap(buf, 0)
                  .setSourcePort(1234)
                  .setDestinationPort(5678)
                  .setLength(12);
          buf.setShort(8, 0x4242);
          int sum =
              InternetChecksum.sum(
                  buf,
                  0,
                  12,
                  InternetChecksum.pseudoHeaderSum(SOURCE, DESTINATION, IpProtocol.UDP, 12));
          buf.setShort(10, InternetChecksum.finish(sum)); // now the whole sum is 0xffff
          h.fillChecksum(SOURCE, DESTINATION);
          assertEquals(UdpHeader.COMPUTED_ZERO_CHECKSUM, h.checksum());
          assertEquals(0xFFFF, h.checksum());
          assertTrue(h.isChecksumValid(SOURCE, DESTINATION), "0xffff verifies like 0 would");
          // Any other datagram with a correct checksum still verifies; a corrupted one does not.
          buf.setShort(8, 0x4243);
          assertFalse(h.isChecksumValid(SOURCE, DESTINATION));
        });
  }

  @Test
  void aZeroChecksumFieldMeansNoneAndIsValid() {
    using(
        ALLOC.directBuffer(16).writeZero(16),
        buf -> {
          UdpHeader h =
              new UdpHeader().wrap(buf, 0).setLength(16).setChecksum(UdpHeader.NO_CHECKSUM);
          buf.setLong(8, 0x0123_4567_89AB_CDEFL);
          assertTrue(h.isChecksumValid(SOURCE, DESTINATION));
          assertTrue(h.isChecksumValid(0, -1));
        });
  }

  @Test
  void fillChecksumNeedsTheLengthFieldFirst() {
    using(
        ALLOC.directBuffer(8).writeZero(8),
        buf -> {
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      new UdpHeader().wrap(buf, 0).setLength(7).fillChecksum(SOURCE, DESTINATION));
          assertTrue(e.getMessage().contains("set it first"), e.getMessage());
        });
  }

  @Test
  void wrapCheckedReportsTruncatedBelowEightBytes() {
    byte[] bytes = {0, 1, 0, 2, 0, 8, 0, 0};
    for (int length = 0; length < 8; length++) {
      int n = length;
      using(
          exact(bytes, n),
          buf -> assertEquals(WireCheck.TRUNCATED, new UdpHeader().wrapChecked(buf, 0, n)));
    }
    using(
        exact(bytes, 8), buf -> assertEquals(WireCheck.OK, new UdpHeader().wrapChecked(buf, 0, 8)));
  }

  @Test
  void wrapCheckedReportsBadLengthBelowTheHeaderOrPastTheBytes() {
    byte[] bytes = new byte[40];
    for (int field : new int[] {0, 1, 7, 8, 9, 39, 40, 41, 0xFFFF}) {
      bytes[4] = (byte) (field >>> 8);
      bytes[5] = (byte) field;
      WireCheck expected = field < 8 || field > 40 ? WireCheck.BAD_LENGTH : WireCheck.OK;
      using(
          exact(bytes, 40),
          buf -> {
            UdpHeader h = new UdpHeader();
            assertEquals(expected, h.wrapChecked(buf, 0, 40), "length field " + field);
            if (expected == WireCheck.OK) {
              assertEquals(field - 8, h.payloadLength(), "bytes past the length field are ignored");
            }
          });
    }
  }

  @Test
  void wrapCheckedThrowsForRangesOutsideTheBuffer() {
    using(
        exact(new byte[8], 8),
        buf -> {
          assertThrows(
              IndexOutOfBoundsException.class, () -> new UdpHeader().wrapChecked(buf, 1, 8));
          assertThrows(
              IndexOutOfBoundsException.class, () -> new UdpHeader().wrapChecked(buf, 0, -8));
        });
  }

  @Test
  void toStringShowsTheMainFieldsAndNeverThrows() {
    assertEquals("UdpHeader{unwrapped}", new UdpHeader().toString());
    using(
        ALLOC.directBuffer(8).writeZero(8),
        buf -> {
          String s =
              new UdpHeader()
                  .wrap(buf, 0)
                  .setSourcePort(40009)
                  .setDestinationPort(9)
                  .setLength(23)
                  .toString();
          assertEquals("UdpHeader{40009 > 9 len 23 sum 0x0}", s);
          assertTrue(new UdpHeader().wrap(buf, 1).toString().contains("truncated"));
        });
  }

  @Test
  void overIpv6TheChecksumCoversTheIpv6PseudoHeaderAndAComputedZeroIsSentAsAllOnes() {
    IpAddress src = IpAddress.parse("fd00:7463:7073::2");
    IpAddress dst = IpAddress.parse("fd00:7463:7073::1");
    using(
        ALLOC.directBuffer(12).writeZero(12),
        buf -> {
          UdpHeader h = new UdpHeader().wrap(buf, 0).setSourcePort(1234).setDestinationPort(5678).setLength(12);
          buf.setShort(8, 0x4242);
          int sum = InternetChecksum.sum(buf, 0, 12,
              InternetChecksum.pseudoHeaderSum6(src.hi(), src.lo(), dst.hi(), dst.lo(), IpProtocol.UDP, 12));
          buf.setShort(10, InternetChecksum.finish(sum)); // now the whole sum is 0xffff
          h.fillChecksum6(src.hi(), src.lo(), dst.hi(), dst.lo());
          assertEquals(UdpHeader.COMPUTED_ZERO_CHECKSUM, h.checksum(), "RFC 8200 §8.1: zero goes as FFFF");
          assertTrue(h.isChecksumValid6(src.hi(), src.lo(), dst.hi(), dst.lo()));
          assertFalse(h.isChecksumValid6(dst.hi(), dst.lo(), src.hi(), src.lo() + 1), "other addresses");
          assertFalse(h.isChecksumValid(Ipv4Address.parse("198.18.0.2"), Ipv4Address.parse("198.18.0.1")),
              "not the IPv4 pseudo-header");
          buf.setShort(8, 0x4243);
          assertFalse(h.isChecksumValid6(src.hi(), src.lo(), dst.hi(), dst.lo()), "a corrupted datagram");
        });
  }
}
