package io.tcpstack.wire;

import static io.tcpstack.wire.WireTestSupport.captured;
import static io.tcpstack.wire.WireTestSupport.capturedOrNull;
import static io.tcpstack.wire.WireTestSupport.exact;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Truncated, corrupted and random bytes through every view's {@code wrapChecked}: never an
 * exception, always the answer the decision rules give (computed here straight from the bytes), and
 * after {@link WireCheck#OK} every accessor works on a buffer that ends exactly where the given
 * bytes end, so any read past them would throw.
 */
class MalformedInputTest {

  // ---- What wrapChecked must answer, read straight from the bytes --------------------------

  private static int u8(byte[] b, int i) {
    return b[i] & 0xFF;
  }

  private static int u16(byte[] b, int i) {
    return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
  }

  static WireCheck expectedIpv4(byte[] b, int offset, int length) {
    if (length < 20) {
      return WireCheck.TRUNCATED;
    }
    if (u8(b, offset) >>> 4 != 4) {
      return WireCheck.BAD_VERSION;
    }
    int headerLength = (u8(b, offset) & 0x0F) * 4;
    if (headerLength < 20 || headerLength > length) {
      return WireCheck.BAD_HEADER_LENGTH;
    }
    int totalLength = u16(b, offset + 2);
    if (totalLength < headerLength || totalLength > length) {
      return WireCheck.BAD_TOTAL_LENGTH;
    }
    return WireCheck.OK;
  }

  static WireCheck expectedIcmp(int length) {
    return length < 8 ? WireCheck.TRUNCATED : WireCheck.OK;
  }

  static WireCheck expectedTcp(byte[] b, int offset, int length) {
    if (length < 20) {
      return WireCheck.TRUNCATED;
    }
    int headerLength = (u8(b, offset + 12) >>> 4) * 4;
    return headerLength < 20 || headerLength > length ? WireCheck.BAD_HEADER_LENGTH : WireCheck.OK;
  }

  static WireCheck expectedUdp(byte[] b, int offset, int length) {
    if (length < 8) {
      return WireCheck.TRUNCATED;
    }
    int field = u16(b, offset + 4);
    return field < 8 || field > length ? WireCheck.BAD_LENGTH : WireCheck.OK;
  }

  // ---- Running every view over some bytes ------------------------------------------------

  private final Ipv4Header ip = new Ipv4Header();
  private final Icmpv4Header icmp = new Icmpv4Header();
  private final TcpHeader tcp = new TcpHeader();
  private final UdpHeader udp = new UdpHeader();

  /**
   * Runs every view's wrapChecked on {@code bytes[offset, end)} in a buffer of capacity {@code
   * end}, compares with the expected answer, and exercises every accessor after OK.
   */
  private void checkEveryView(byte[] bytes, int end, int offset, String what) {
    int length = end - offset;
    ByteBuf buf = exact(WireTestSupport.UNTRACKED, bytes, end);
    try {
      Supplier<String> input =
          () -> what + " at " + offset + ": " + ByteBufUtil.hexDump(bytes, 0, Math.min(end, 64));
      WireCheck c = ip.wrapChecked(buf, offset, length);
      assertEquals(expectedIpv4(bytes, offset, length), c, () -> "IPv4, " + input.get());
      if (c == WireCheck.OK) {
        exercise(ip, offset, length);
      }
      c = icmp.wrapChecked(buf, offset, length);
      assertEquals(expectedIcmp(length), c, () -> "ICMP, " + input.get());
      if (c == WireCheck.OK) {
        exercise(icmp, offset, length);
      }
      c = tcp.wrapChecked(buf, offset, length);
      assertEquals(expectedTcp(bytes, offset, length), c, () -> "TCP, " + input.get());
      if (c == WireCheck.OK) {
        exercise(tcp, offset, length);
      }
      c = udp.wrapChecked(buf, offset, length);
      assertEquals(expectedUdp(bytes, offset, length), c, () -> "UDP, " + input.get());
      if (c == WireCheck.OK) {
        exercise(udp, offset, length);
      }
    } finally {
      buf.release();
    }
  }

  /** Sums a range: throws if any byte of it is outside the buffer. */
  private static void touch(ByteBuf buf, int index, int length) {
    InternetChecksum.sum(buf, index, length, 0);
  }

  private static void assertInside(int index, int length, int offset, int end, String what) {
    assertTrue(
        length >= 0 && index >= offset && index + length <= end,
        what + " [" + index + ", +" + length + ")");
  }

  private static long sink;

  private static void exercise(Ipv4Header h, int offset, int length) {
    sink += h.version() + h.ihl() + h.headerLength() + h.dscpEcn() + h.dscp() + h.ecn();
    sink += h.totalLength() + h.identification() + h.flagsAndFragmentOffset() + h.fragmentOffset();
    sink += h.ttl() + h.protocol() + h.checksum() + h.source() + h.destination();
    sink += (h.dontFragment() ? 1 : 0) + (h.moreFragments() ? 1 : 0) + (h.reservedFlag() ? 1 : 0);
    sink += (h.isFragment() ? 1 : 0) + (h.isChecksumValid() ? 1 : 0) + h.toString().length();
    int end = offset + length;
    assertInside(h.optionsIndex(), h.optionsLength(), offset + 20, end, "IPv4 options");
    assertInside(
        h.payloadIndex(), h.payloadLength(), offset + h.headerLength(), end, "IPv4 payload");
    touch(h.buffer(), h.optionsIndex(), h.optionsLength());
    touch(h.buffer(), h.payloadIndex(), h.payloadLength());
  }

  private static void exercise(Icmpv4Header h, int offset, int length) {
    sink += h.type() + h.code() + h.checksum() + h.identifier() + h.sequenceNumber();
    sink += h.nextHopMtu() + h.restOfHeader() + h.length() + (h.isChecksumValid() ? 1 : 0);
    sink += h.toString().length();
    assertInside(h.dataIndex(), h.dataLength(), offset + 8, offset + length, "ICMP data");
    touch(h.buffer(), h.dataIndex(), h.dataLength());
  }

  private static void exercise(TcpHeader h, int offset, int length) {
    sink += h.sourcePort() + h.destinationPort() + h.sequenceNumber() + h.acknowledgmentNumber();
    sink += h.dataOffset() + h.headerLength() + h.reservedBits() + h.flags() + h.window();
    sink +=
        h.checksum() + h.urgentPointer() + h.length() + (h.hasFlags(TcpHeader.FLAG_ACK) ? 1 : 0);
    sink += (h.isChecksumValid(0xC612_0001, 0xC612_0002) ? 1 : 0) + h.toString().length();
    int end = offset + length;
    assertInside(h.optionsIndex(), h.optionsLength(), offset + 20, end, "TCP options");
    assertInside(
        h.payloadIndex(), h.payloadLength(), offset + h.headerLength(), end, "TCP payload");
    touch(h.buffer(), h.optionsIndex(), h.optionsLength());
    touch(h.buffer(), h.payloadIndex(), h.payloadLength());
  }

  private static void exercise(UdpHeader h, int offset, int length) {
    sink += h.sourcePort() + h.destinationPort() + h.length() + h.checksum();
    sink += (h.isChecksumValid(0xC612_0001, 0xC612_0002) ? 1 : 0) + h.toString().length();
    assertInside(h.payloadIndex(), h.payloadLength(), offset + 8, offset + length, "UDP payload");
    touch(h.buffer(), h.payloadIndex(), h.payloadLength());
  }

  private static List<String> allVectors() {
    List<String> names = new ArrayList<>(List.of(WireTestSupport.LINUX_VECTORS));
    names.addAll(List.of(WireTestSupport.CRAFTED_VECTORS));
    if (capturedOrNull("ipv6-router-solicitation") != null) {
      names.add("ipv6-router-solicitation");
    }
    return names;
  }

  // ---- The tests -------------------------------------------------------------------------

  @Test
  void everyPrefixOfEveryCapturedPacketGetsTheRightAnswerFromEveryView() {
    for (String name : allVectors()) {
      byte[] packet = captured(name);
      for (int end = 0; end <= packet.length; end++) {
        checkEveryView(packet, end, 0, name + " cut to " + end);
        if (end >= 20) {
          // Where the transport header starts: every capture has a 20-byte IPv4 header.
          checkEveryView(packet, end, 20, name + " cut to " + end);
        }
      }
    }
  }

  @Test
  void prefixesOfTheTcpSynAreTruncatedThenIncompleteThenOk() {
    byte[] syn = captured("tcp-syn");
    for (int end = 0; end <= syn.length; end++) {
      ByteBuf buf = exact(syn, end);
      try {
        WireCheck expectedIp =
            end < 20 ? WireCheck.TRUNCATED : end < 60 ? WireCheck.BAD_TOTAL_LENGTH : WireCheck.OK;
        assertEquals(expectedIp, ip.wrapChecked(buf, 0, end), "cut to " + end);
        if (end >= 20) {
          WireCheck expectedTcp =
              end < 40
                  ? WireCheck.TRUNCATED
                  : end < 60 ? WireCheck.BAD_HEADER_LENGTH : WireCheck.OK;
          assertEquals(expectedTcp, tcp.wrapChecked(buf, 20, end - 20), "cut to " + end);
        }
      } finally {
        buf.release();
      }
    }
  }

  @Test
  void seededRandomBytesGetTheRightAnswerFromEveryView() {
    Random random = new Random(0x5EED_0001L);
    for (int round = 0; round < 20_000; round++) {
      int end = random.nextInt(10) == 0 ? random.nextInt(1600) : random.nextInt(100);
      byte[] bytes = new byte[end];
      random.nextBytes(bytes);
      int offset = end == 0 ? 0 : random.nextInt(Math.min(end, 8) + 1);
      int length = end - offset;
      // Steer half the inputs past the first checks, so the later ones get exercised too.
      if (length > 0 && random.nextBoolean()) {
        bytes[offset] = (byte) (0x40 | random.nextInt(16)); // IPv4, any IHL
      }
      if (length >= 4 && random.nextBoolean()) {
        int total = Math.max(0, length - 4 + random.nextInt(9)); // near the real length
        bytes[offset + 2] = (byte) (total >>> 8);
        bytes[offset + 3] = (byte) total;
      }
      if (length >= 6 && random.nextBoolean()) {
        int udpLength = Math.max(0, length - 4 + random.nextInt(9));
        bytes[offset + 4] = (byte) (udpLength >>> 8);
        bytes[offset + 5] = (byte) udpLength;
      }
      checkEveryView(bytes, end, offset, "round " + round);
    }
  }

  @Test
  void seededCorruptionsOfCapturedPacketsGetTheRightAnswerFromEveryView() {
    Random random = new Random(0x5EED_0002L);
    for (String name : allVectors()) {
      byte[] original = captured(name);
      for (int round = 0; round < 300; round++) {
        byte[] bytes = original.clone();
        int corruptions = 1 + random.nextInt(4);
        for (int i = 0; i < corruptions; i++) {
          // Mostly the headers, where lengths live.
          int at = random.nextInt(Math.min(bytes.length, random.nextBoolean() ? 48 : bytes.length));
          bytes[at] = (byte) random.nextInt(256);
        }
        int end = random.nextInt(3) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;
        checkEveryView(bytes, end, 0, name + " corrupted, round " + round);
        if (end >= 20) {
          checkEveryView(bytes, end, 20, name + " corrupted, round " + round);
        }
      }
    }
  }
}
