package io.tcpstack.wire;

import static io.tcpstack.wire.Icmpv4Header.CHECKSUM_FIELD_OFFSET;
import static io.tcpstack.wire.Icmpv4Header.CODE_FIELD_OFFSET;
import static io.tcpstack.wire.Icmpv4Header.IDENTIFIER_FIELD_OFFSET;
import static io.tcpstack.wire.Icmpv4Header.NEXT_HOP_MTU_FIELD_OFFSET;
import static io.tcpstack.wire.Icmpv4Header.REST_OF_HEADER_FIELD_OFFSET;
import static io.tcpstack.wire.Icmpv4Header.SEQUENCE_NUMBER_FIELD_OFFSET;
import static io.tcpstack.wire.Icmpv4Header.TYPE_FIELD_OFFSET;
import static io.tcpstack.wire.WireTestSupport.ALLOC;
import static io.tcpstack.wire.WireTestSupport.I32;
import static io.tcpstack.wire.WireTestSupport.U16;
import static io.tcpstack.wire.WireTestSupport.U8;
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

class Icmpv4HeaderTest {

  private static Field<Icmpv4Header> field(
      int offset, int length, ObjIntConsumer<Icmpv4Header> set, ToIntFunction<Icmpv4Header> get) {
    return new Field<>((b, o) -> new Icmpv4Header().wrap(b, o), offset, length, set, get);
  }

  @Test
  void settersRoundTripEveryFieldAtItsExtremesAndTouchNothingElse() {
    field(TYPE_FIELD_OFFSET, 1, Icmpv4Header::setType, Icmpv4Header::type).assertRoundTrips(U8);
    field(CODE_FIELD_OFFSET, 1, Icmpv4Header::setCode, Icmpv4Header::code).assertRoundTrips(U8);
    field(CHECKSUM_FIELD_OFFSET, 2, Icmpv4Header::setChecksum, Icmpv4Header::checksum)
        .assertRoundTrips(U16);
    field(IDENTIFIER_FIELD_OFFSET, 2, Icmpv4Header::setIdentifier, Icmpv4Header::identifier)
        .assertRoundTrips(U16);
    field(
            SEQUENCE_NUMBER_FIELD_OFFSET,
            2,
            Icmpv4Header::setSequenceNumber,
            Icmpv4Header::sequenceNumber)
        .assertRoundTrips(U16);
    field(NEXT_HOP_MTU_FIELD_OFFSET, 2, Icmpv4Header::setNextHopMtu, Icmpv4Header::nextHopMtu)
        .assertRoundTrips(U16);
    field(REST_OF_HEADER_FIELD_OFFSET, 4, Icmpv4Header::setRestOfHeader, Icmpv4Header::restOfHeader)
        .assertRoundTrips(I32);
    field(TYPE_FIELD_OFFSET, 1, Icmpv4Header::setType, Icmpv4Header::type).assertWrites(0x108, 8);
  }

  @Test
  void identifierAndSequenceNumberAreTheRestOfHeadersHalves() {
    Field<Icmpv4Header> rest =
        field(
            REST_OF_HEADER_FIELD_OFFSET,
            4,
            Icmpv4Header::setRestOfHeader,
            Icmpv4Header::restOfHeader);
    rest.readBy(Icmpv4Header::identifier).assertWrites(0xFEDC_BA98, 0xFEDC);
    rest.readBy(Icmpv4Header::sequenceNumber).assertWrites(0xFEDC_BA98, 0xBA98);
    rest.readBy(Icmpv4Header::nextHopMtu).assertWrites(0x0000_05DC, 1500);
  }

  @Test
  void settersReturnThisSoCallsChain() {
    using(
        ALLOC.directBuffer(8).writeZero(8),
        buf -> {
          Icmpv4Header h = new Icmpv4Header();
          assertSame(h, h.wrap(buf, 0));
          assertSame(h, h.wrap(buf, 0, 8));
          assertSame(
              h, h.setType(0).setCode(0).setChecksum(0).setIdentifier(0).setSequenceNumber(0));
          assertSame(h, h.setRestOfHeader(0).setNextHopMtu(0).fillChecksum(8));
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 9, 64, 65, 1480})
  void fillChecksumCoversHeaderAndDataAndRecordsTheLength(int length) {
    using(
        ALLOC.directBuffer(length + 4).writeZero(length + 4),
        buf -> {
          for (int i = 8; i < length; i++) {
            buf.setByte(2 + i, i * 7);
          }
          Icmpv4Header h =
              new Icmpv4Header()
                  .wrap(buf, 2)
                  .setType(Icmpv4Header.TYPE_ECHO_REPLY)
                  .setCode(0)
                  .setChecksum(0xFFFF) // overwritten
                  .setIdentifier(0x8001)
                  .setSequenceNumber(0xFFFF)
                  .fillChecksum(length);
          assertEquals(length, h.length());
          assertEquals(length - 8, h.dataLength());
          assertEquals(10, h.dataIndex());
          assertTrue(h.isChecksumValid());
          for (int i = 0; i < length; i += Math.max(1, length / 40)) {
            int original = buf.getUnsignedByte(2 + i);
            buf.setByte(2 + i, original ^ 0x01);
            assertFalse(h.isChecksumValid(), "byte " + i);
            buf.setByte(2 + i, original);
          }
          buf.setByte(2 + length, 0x55); // after the message: not covered
          assertTrue(h.isChecksumValid());
        });
  }

  @Test
  void fillChecksumRejectsLengthsShorterThanTheHeader() {
    using(
        ALLOC.directBuffer(8).writeZero(8),
        buf -> {
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class,
                  () -> new Icmpv4Header().wrap(buf, 0).fillChecksum(7));
          assertTrue(e.getMessage().contains("8-byte header"), e.getMessage());
        });
  }

  @Test
  void wrapCheckedNeedsTheEightByteHeaderAndRemembersTheLength() {
    byte[] bytes = new byte[20];
    for (int length = 0; length < 8; length++) {
      int n = length;
      using(
          exact(bytes, n),
          buf -> assertEquals(WireCheck.TRUNCATED, new Icmpv4Header().wrapChecked(buf, 0, n)));
    }
    using(
        exact(bytes, 20),
        buf -> {
          Icmpv4Header h = new Icmpv4Header();
          assertEquals(WireCheck.OK, h.wrapChecked(buf, 12, 8));
          assertEquals(8, h.length());
          assertEquals(0, h.dataLength());
          assertEquals(WireCheck.OK, h.wrapChecked(buf, 3, 17));
          assertEquals(17, h.length());
          assertEquals(9, h.dataLength());
          assertEquals(11, h.dataIndex());
          assertThrows(IndexOutOfBoundsException.class, () -> h.wrapChecked(buf, 3, 18));
          assertThrows(IndexOutOfBoundsException.class, () -> h.wrapChecked(buf, -1, 8));
        });
  }

  @Test
  void wrapWithoutLengthRunsToTheWriterIndex() {
    using(
        ALLOC.directBuffer(100).writeZero(40),
        buf -> {
          Icmpv4Header h = new Icmpv4Header().wrap(buf, 20);
          assertEquals(20, h.length());
          assertEquals(12, h.dataLength());
          assertEquals(0, new Icmpv4Header().wrap(buf, 50).length(), "past the writer index");
          assertEquals(30, h.wrap(buf, 20, 30).length());
        });
  }

  @Test
  void toStringShowsTheMainFieldsAndNeverThrows() {
    assertEquals("Icmpv4Header{unwrapped}", new Icmpv4Header().toString());
    using(
        ALLOC.directBuffer(8).writeZero(8),
        buf -> {
          String s = new Icmpv4Header().wrap(buf, 0).setType(3).setCode(3).toString();
          assertTrue(s.startsWith("Icmpv4Header{type 3 code 3"), s);
          assertTrue(new Icmpv4Header().wrap(buf, 1).toString().contains("truncated"));
        });
  }
}
