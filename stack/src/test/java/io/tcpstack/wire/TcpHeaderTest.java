package io.tcpstack.wire;

import static io.tcpstack.wire.TcpHeader.ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.CHECKSUM_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.DATA_OFFSET_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.DESTINATION_PORT_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.SEQUENCE_NUMBER_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.SOURCE_PORT_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.URGENT_POINTER_FIELD_OFFSET;
import static io.tcpstack.wire.TcpHeader.WINDOW_FIELD_OFFSET;
import static io.tcpstack.wire.WireTestSupport.ALLOC;
import static io.tcpstack.wire.WireTestSupport.I32;
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

class TcpHeaderTest {

  private static Field<TcpHeader> field(
      int offset, int length, ObjIntConsumer<TcpHeader> set, ToIntFunction<TcpHeader> get) {
    return new Field<>((b, o) -> new TcpHeader().wrap(b, o), offset, length, set, get);
  }

  private static final int SOURCE = Ipv4Address.parse("198.18.0.2");
  private static final int DESTINATION = Ipv4Address.parse("203.0.113.200");

  private static final int[] FLAGS = {
    TcpHeader.FLAG_FIN, TcpHeader.FLAG_SYN, TcpHeader.FLAG_RST, TcpHeader.FLAG_PSH,
    TcpHeader.FLAG_ACK, TcpHeader.FLAG_URG, TcpHeader.FLAG_ECE, TcpHeader.FLAG_CWR,
  };

  @Test
  void settersRoundTripEveryFieldAtItsExtremesAndTouchNothingElse() {
    field(SOURCE_PORT_FIELD_OFFSET, 2, TcpHeader::setSourcePort, TcpHeader::sourcePort)
        .assertRoundTrips(U16);
    field(
            DESTINATION_PORT_FIELD_OFFSET,
            2,
            TcpHeader::setDestinationPort,
            TcpHeader::destinationPort)
        .assertRoundTrips(U16);
    field(SEQUENCE_NUMBER_FIELD_OFFSET, 4, TcpHeader::setSequenceNumber, TcpHeader::sequenceNumber)
        .assertRoundTrips(I32);
    field(
            ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET,
            4,
            TcpHeader::setAcknowledgmentNumber,
            TcpHeader::acknowledgmentNumber)
        .assertRoundTrips(I32);
    field(WINDOW_FIELD_OFFSET, 2, TcpHeader::setWindow, TcpHeader::window).assertRoundTrips(U16);
    field(CHECKSUM_FIELD_OFFSET, 2, TcpHeader::setChecksum, TcpHeader::checksum)
        .assertRoundTrips(U16);
    field(URGENT_POINTER_FIELD_OFFSET, 2, TcpHeader::setUrgentPointer, TcpHeader::urgentPointer)
        .assertRoundTrips(U16);
    field(SOURCE_PORT_FIELD_OFFSET, 2, TcpHeader::setSourcePort, TcpHeader::sourcePort)
        .assertWrites(0x1_0050, 80);
  }

  @Test
  void dataOffsetAndFlagsRoundTripAndZeroTheReservedBits() {
    int[] flagValues = new int[FLAGS.length + 3];
    System.arraycopy(FLAGS, 0, flagValues, 0, FLAGS.length);
    flagValues[FLAGS.length] = 0;
    flagValues[FLAGS.length + 1] = TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK;
    flagValues[FLAGS.length + 2] = 0xFF;
    for (int headerLength = 20; headerLength <= 60; headerLength += 4) {
      int hl = headerLength;
      Field<TcpHeader> word =
          field(
              DATA_OFFSET_FIELD_OFFSET,
              2,
              (h, f) -> h.setDataOffsetAndFlags(hl, f),
              TcpHeader::flags);
      for (int flags : flagValues) {
        word.assertWrites(flags, flags);
        word.readBy(TcpHeader::headerLength).assertWrites(flags, hl);
        word.readBy(TcpHeader::dataOffset).assertWrites(flags, hl / 4);
        word.readBy(TcpHeader::reservedBits).assertWrites(flags, 0);
        word.readBy(TcpHeader::optionsLength).assertWrites(flags, hl - 20);
      }
    }
    // Only the 8 flag bits are written.
    Field<TcpHeader> word =
        field(
            DATA_OFFSET_FIELD_OFFSET,
            2,
            (h, f) -> h.setDataOffsetAndFlags(20, f),
            TcpHeader::flags);
    word.assertWrites(0x312, 0x12);
    word.readBy(TcpHeader::headerLength).assertWrites(0x312, 20);
  }

  @ParameterizedTest
  @ValueSource(ints = {-4, 0, 16, 19, 21, 22, 23, 61, 64, 80})
  void dataOffsetAndFlagsRejectsHeaderLengthsTheFieldCannotHold(int headerLength) {
    using(
        ALLOC.directBuffer(60).writeZero(60),
        buf -> {
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      new TcpHeader()
                          .wrap(buf, 0)
                          .setDataOffsetAndFlags(headerLength, TcpHeader.FLAG_ACK));
          assertTrue(e.getMessage().contains("multiple of 4 from 20 to 60"), e.getMessage());
        });
  }

  @Test
  void reservedBitsAndFlagsReadFromTheirOwnBits() {
    using(
        ALLOC.directBuffer(20).writeZero(20),
        buf -> {
          TcpHeader h = new TcpHeader().wrap(buf, 0);
          buf.setByte(12, 0x5F); // data offset 5, all reserved bits set
          buf.setByte(13, 0x00);
          assertEquals(0x0F, h.reservedBits());
          assertEquals(5, h.dataOffset());
          assertEquals(0, h.flags());
          buf.setByte(12, 0x50);
          buf.setByte(13, 0xFF);
          assertEquals(0, h.reservedBits());
          assertEquals(0xFF, h.flags());
        });
  }

  @Test
  void hasFlagsNeedsEveryBitOfTheMask() {
    using(
        ALLOC.directBuffer(20).writeZero(20),
        buf -> {
          TcpHeader h =
              new TcpHeader()
                  .wrap(buf, 0)
                  .setDataOffsetAndFlags(20, TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK);
          assertTrue(h.hasFlags(TcpHeader.FLAG_SYN));
          assertTrue(h.hasFlags(TcpHeader.FLAG_ACK));
          assertTrue(h.hasFlags(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK));
          assertTrue(h.hasFlags(0));
          assertFalse(h.hasFlags(TcpHeader.FLAG_SYN | TcpHeader.FLAG_FIN));
          for (int flag : FLAGS) {
            assertEquals(
                flag == TcpHeader.FLAG_SYN || flag == TcpHeader.FLAG_ACK, h.hasFlags(flag));
          }
        });
  }

  @Test
  void settersReturnThisSoCallsChain() {
    using(
        ALLOC.directBuffer(20).writeZero(20),
        buf -> {
          TcpHeader h = new TcpHeader();
          assertSame(h, h.wrap(buf, 0));
          assertSame(h, h.wrap(buf, 0, 20));
          assertSame(
              h,
              h.setSourcePort(1)
                  .setDestinationPort(2)
                  .setSequenceNumber(3)
                  .setAcknowledgmentNumber(4)
                  .setDataOffsetAndFlags(20, 0)
                  .setWindow(5)
                  .setChecksum(6)
                  .setUrgentPointer(7)
                  .fillChecksum(SOURCE, DESTINATION, 20));
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 7, 1460})
  void fillChecksumCoversPseudoHeaderOptionsAndPayload(int payloadLength) {
    int length = 24 + payloadLength;
    // Untracked: the bit-flip loop makes millions of accesses.
    using(
        WireTestSupport.UNTRACKED.directBuffer(1 + length + 1).writeZero(1 + length + 1),
        buf -> {
          buf.setInt(1 + 20, 0x0204_05b4); // MSS option
          for (int i = 0; i < payloadLength; i++) {
            buf.setByte(1 + 24 + i, 0xF0 + i);
          }
          TcpHeader h =
              new TcpHeader()
                  .wrap(buf, 1)
                  .setSourcePort(0xFFFF)
                  .setDestinationPort(80)
                  .setSequenceNumber(-1)
                  .setAcknowledgmentNumber(Integer.MIN_VALUE)
                  .setDataOffsetAndFlags(24, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH)
                  .setWindow(65535)
                  .setChecksum(0xABCD) // overwritten
                  .setUrgentPointer(0)
                  .fillChecksum(SOURCE, DESTINATION, length);
          assertEquals(length, h.length());
          assertEquals(payloadLength, h.payloadLength());
          assertEquals(1 + 24, h.payloadIndex());
          assertEquals(1 + 20, h.optionsIndex());
          assertEquals(4, h.optionsLength());
          assertTrue(h.isChecksumValid(SOURCE, DESTINATION));
          assertTrue(h.isChecksumValid(DESTINATION, SOURCE), "the pseudo-header sum is symmetric");
          assertFalse(h.isChecksumValid(SOURCE + 1, DESTINATION), "another source");
          assertFalse(h.isChecksumValid(SOURCE, DESTINATION ^ 0x0100_0000), "another destination");
          for (int i = 0; i < length; i++) {
            int original = buf.getUnsignedByte(1 + i);
            buf.setByte(1 + i, original ^ 0x10);
            assertFalse(h.isChecksumValid(SOURCE, DESTINATION), "byte " + i);
            buf.setByte(1 + i, original);
          }
          // The segment length is in the pseudo-header: a shorter length is another checksum.
          if (payloadLength >= 2) {
            h.wrap(buf, 1, length - 2);
            assertFalse(h.isChecksumValid(SOURCE, DESTINATION));
          }
        });
  }

  @Test
  void fillChecksumRejectsLengthsShorterThanTheHeader() {
    using(
        ALLOC.directBuffer(20).writeZero(20),
        buf -> {
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class,
                  () -> new TcpHeader().wrap(buf, 0).fillChecksum(SOURCE, DESTINATION, 19));
          assertTrue(e.getMessage().contains("20-byte header"), e.getMessage());
        });
  }

  @Test
  void wrapCheckedReportsTruncatedBelowTwentyBytes() {
    byte[] bytes = new byte[20];
    bytes[12] = 0x50;
    for (int length = 0; length < 20; length++) {
      int n = length;
      using(
          exact(bytes, n),
          buf -> assertEquals(WireCheck.TRUNCATED, new TcpHeader().wrapChecked(buf, 0, n)));
    }
    using(
        exact(bytes, 20),
        buf -> assertEquals(WireCheck.OK, new TcpHeader().wrapChecked(buf, 0, 20)));
  }

  @Test
  void wrapCheckedReportsBadHeaderLengthBelowFiveWordsOrPastTheBytes() {
    byte[] bytes = new byte[60];
    for (int dataOffset = 0; dataOffset < 16; dataOffset++) {
      bytes[12] = (byte) (dataOffset << 4);
      for (int length : new int[] {20, 23, 24, 40, 59, 60}) {
        WireCheck expected =
            dataOffset < 5 || dataOffset * 4 > length ? WireCheck.BAD_HEADER_LENGTH : WireCheck.OK;
        int n = length;
        using(
            exact(bytes, n),
            buf -> {
              TcpHeader h = new TcpHeader();
              assertEquals(expected, h.wrapChecked(buf, 0, n));
              assertEquals(n, h.length(), "remembers the segment length");
            });
      }
    }
  }

  @Test
  void wrapCheckedThrowsForRangesOutsideTheBuffer() {
    using(
        exact(new byte[20], 20),
        buf -> {
          assertThrows(
              IndexOutOfBoundsException.class, () -> new TcpHeader().wrapChecked(buf, 0, 21));
          assertThrows(
              IndexOutOfBoundsException.class, () -> new TcpHeader().wrapChecked(buf, 20, 1));
        });
  }

  @Test
  void wrapWithoutLengthRunsToTheWriterIndex() {
    using(
        ALLOC.directBuffer(100).writeZero(60),
        buf -> {
          buf.setByte(10 + 12, 0x60); // data offset 6: 24-byte header
          TcpHeader h = new TcpHeader().wrap(buf, 10);
          assertEquals(50, h.length());
          assertEquals(26, h.payloadLength());
          assertEquals(0, new TcpHeader().wrap(buf, 70).length(), "past the writer index");
        });
  }

  @Test
  void toStringShowsTheMainFieldsAndNeverThrows() {
    assertEquals("TcpHeader{unwrapped}", new TcpHeader().toString());
    using(
        ALLOC.directBuffer(20).writeZero(20),
        buf -> {
          String s =
              new TcpHeader()
                  .wrap(buf, 0)
                  .setSourcePort(40007)
                  .setDestinationPort(7)
                  .setSequenceNumber(-1)
                  .setDataOffsetAndFlags(20, TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK)
                  .toString();
          assertTrue(s.startsWith("TcpHeader{40007 > 7 SA seq 4294967295 ack 0"), s);
          assertTrue(new TcpHeader().wrap(buf, 1).toString().contains("truncated"));
        });
  }
}
