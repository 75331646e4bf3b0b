package io.tcpstack.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The flyweight against hand-made bytes laid out as in {@code <linux/virtio_net.h>}. */
class VirtioNetHeaderTest {

  /**
   * The header Linux 6.18 put before a TCP SYN it sent through a TUN device opened with
   * IFF_VNET_HDR and offloads TUN_F_CSUM | TUN_F_TSO4 (captured by
   * TunDeviceVnetHeaderTest.kernelSynCarriesAPartialChecksumWithOffloads): NEEDS_CSUM, GSO_NONE,
   * hdr_len 0, gso_size 0, csum_start 20 (after the IPv4 header), csum_offset 16 (TCP checksum).
   */
  static final String CAPTURED_SYN_HEADER = "01000000000014001000";

  @Test
  void fieldOffsetsFollowTheKernelStruct() {
    assertEquals(10, VirtioNetHeader.LENGTH);
    assertEquals(0, VirtioNetHeader.FLAGS_FIELD_OFFSET);
    assertEquals(1, VirtioNetHeader.GSO_TYPE_FIELD_OFFSET);
    assertEquals(2, VirtioNetHeader.HDR_LEN_FIELD_OFFSET);
    assertEquals(4, VirtioNetHeader.GSO_SIZE_FIELD_OFFSET);
    assertEquals(6, VirtioNetHeader.CSUM_START_FIELD_OFFSET);
    assertEquals(8, VirtioNetHeader.CSUM_OFFSET_FIELD_OFFSET);
  }

  @Test
  void parsesHandMadeLittleEndianBytes() {
    // flags NEEDS_CSUM|DATA_VALID, gso TCPV6|ECN, hdr_len 0x0102, gso_size 0x0304,
    // csum_start 0x0506, csum_offset 0x0708, each le16: low byte first.
    byte[] bytes = {3, (byte) 0x84, 2, 1, 4, 3, 6, 5, 8, 7};
    ByteBuf buf = Unpooled.buffer().writeZero(3).writeBytes(bytes);
    VirtioNetHeader h = new VirtioNetHeader().wrap(buf, 3);
    assertEquals(3, h.flags());
    assertTrue(h.needsChecksum());
    assertTrue(h.dataValid());
    assertEquals(VirtioNetHeader.GSO_TCPV6 | VirtioNetHeader.GSO_ECN, h.gsoType());
    assertEquals(0x0102, h.headerLength());
    assertEquals(0x0304, h.gsoSize());
    assertEquals(0x0506, h.checksumStart());
    assertEquals(0x0708, h.checksumOffset());
    assertEquals(13, h.packetIndex());
    assertEquals(0, buf.readerIndex(), "accessors never move the indices");
    assertEquals(13, buf.writerIndex());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff})
  void everyFieldRoundTripsAtItsExtremes(int value) {
    ByteBuf buf = Unpooled.buffer(16).writeZero(16);
    VirtioNetHeader h = new VirtioNetHeader().wrap(buf, 2);
    int u8 = value & 0xff;
    h.flags(u8).gsoType(u8).headerLength(value).gsoSize(value).checksumStart(value).checksumOffset(value);
    assertEquals(u8, h.flags());
    assertEquals(u8, h.gsoType());
    assertEquals(value, h.headerLength());
    assertEquals(value, h.gsoSize());
    assertEquals(value, h.checksumStart());
    assertEquals(value, h.checksumOffset());
    // Little-endian on the wire; nothing written outside the ten bytes.
    assertEquals(value & 0xff, buf.getUnsignedByte(2 + VirtioNetHeader.CSUM_OFFSET_FIELD_OFFSET));
    assertEquals(value >>> 8, buf.getUnsignedByte(2 + VirtioNetHeader.CSUM_OFFSET_FIELD_OFFSET + 1));
    assertEquals(0, buf.getShort(0));
    assertEquals(0, buf.getInt(12));
    // Parse what was emitted with a second view: same values.
    VirtioNetHeader again = new VirtioNetHeader().wrap(Unpooled.wrappedBuffer(ByteBufUtil.getBytes(buf, 2, 10)), 0);
    assertEquals(h.toString(), again.toString());
  }

  @Test
  void clearZeroesExactlyTheTenBytes() {
    ByteBuf buf = Unpooled.buffer(12).writeBytes(new byte[] {9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9});
    VirtioNetHeader h = new VirtioNetHeader().wrap(buf, 1).clear();
    assertArrayEquals(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, ByteBufUtil.getBytes(buf));
    assertEquals(0, h.flags());
    assertEquals(VirtioNetHeader.GSO_NONE, h.gsoType());
  }

  @Test
  void parsesTheHeaderLinuxPutBeforeASyn() {
    ByteBuf buf = Unpooled.wrappedBuffer(HexFormat.of().parseHex(CAPTURED_SYN_HEADER));
    VirtioNetHeader h = new VirtioNetHeader().wrap(buf, 0);
    assertTrue(h.needsChecksum());
    assertFalse(h.dataValid());
    assertEquals(VirtioNetHeader.GSO_NONE, h.gsoType());
    assertEquals(0, h.headerLength());
    assertEquals(0, h.gsoSize());
    assertEquals(20, h.checksumStart());
    assertEquals(16, h.checksumOffset());
  }
}
