package io.tcpstack.wire;

import static io.tcpstack.testing.Packets6.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 and ICMPv6 views, and the ICMPv6 checksum with the RFC 8200 §8.1 pseudo-header, on
 * packets Linux sent.
 *
 * <p>Captured on Linux 6.x with two network namespaces joined by a veth pair,
 * fd00:7463:7073::1/64 and ::2/64 (nodad), with {@code tcpdump -i DEV -xx -n icmp6}: the echo
 * request and reply of {@code ping -6 -c 1 -s 16 fd00:7463:7073::2}, and the port unreachable ::2
 * returned for a UDP datagram "tcpstack" from [::1]:40000 to port 9. The 14-byte Ethernet header
 * is left out.
 */
public class Ipv6HeaderTest {

  static final byte[] LINUX_ECHO_REQUEST = hex(
      "600e 1e1a 0018 3a40 fd00 7463 7073 0000 0000 0000 0000 0001 fd00 7463 7073 0000"
          + "0000 0000 0000 0002 8000 a022 6297 0001 d2c3 0f6b 0000 0000 cc10 0b00 0000 0000");
  static final byte[] LINUX_ECHO_REPLY = hex(
      "6009 d128 0018 3a40 fd00 7463 7073 0000 0000 0000 0000 0002 fd00 7463 7073 0000"
          + "0000 0000 0000 0001 8100 9f22 6297 0001 d2c3 0f6b 0000 0000 cc10 0b00 0000 0000");
  static final byte[] LINUX_PORT_UNREACHABLE = hex(
      "6001 9745 0040 3a40 fd00 7463 7073 0000 0000 0000 0000 0002 fd00 7463 7073 0000"
          + "0000 0000 0000 0001 0104 190a 0000 0000 600d cfe3 0010 1140 fd00 7463 7073 0000"
          + "0000 0000 0000 0001 fd00 7463 7073 0000 0000 0000 0000 0002 9c40 0009 0010 c3d3"
          + "7463 7073 7461 636b");

  /** The captured echo request, for tests elsewhere (its destination is the test stack's address). */
  public static byte[] linuxEchoRequest() {
    return LINUX_ECHO_REQUEST.clone();
  }

  private static ByteBuf wrap(byte[] b) {
    return Unpooled.wrappedBuffer(b);
  }

  @Test
  void readsLinuxEchoRequest() {
    ByteBuf b = wrap(LINUX_ECHO_REQUEST);
    Ipv6Header h = new Ipv6Header();
    assertEquals(WireCheck.OK, h.wrapChecked(b, 0, b.capacity()));
    assertEquals(6, h.version());
    assertEquals(0, h.trafficClass());
    assertEquals(0xe1e1a, h.flowLabel());
    assertEquals(24, h.payloadLength());
    assertEquals(IpProtocol.ICMPV6, h.nextHeader());
    assertEquals(64, h.hopLimit());
    assertEquals(IpAddress.parse("fd00:7463:7073::1"), h.source());
    assertEquals(IpAddress.parse("fd00:7463:7073::2"), h.destination());
    assertEquals(40, h.payloadIndex());
  }

  @Test
  void linuxIcmpv6ChecksumsVerify() {
    for (byte[] p : new byte[][] {LINUX_ECHO_REQUEST, LINUX_ECHO_REPLY, LINUX_PORT_UNREACHABLE}) {
      ByteBuf b = wrap(p);
      Ipv6Header ip = new Ipv6Header().wrap(b, 0);
      Icmpv6Header icmp = new Icmpv6Header();
      assertEquals(WireCheck.OK, icmp.wrapChecked(b, 40, ip.payloadLength()));
      assertTrue(icmp.isChecksumValid(ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo()));
      byte[] corrupted = p.clone();
      corrupted[corrupted.length - 1] ^= 1;
      ByteBuf c = wrap(corrupted);
      assertFalse(new Icmpv6Header().wrap(c, 40, ip.payloadLength())
          .isChecksumValid(ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo()));
    }
  }

  @Test
  void fillChecksumReproducesLinux() {
    for (byte[] p : new byte[][] {LINUX_ECHO_REQUEST, LINUX_ECHO_REPLY, LINUX_PORT_UNREACHABLE}) {
      byte[] copy = p.clone();
      copy[42] = 0x55; // scribble on the checksum
      ByteBuf b = wrap(copy);
      Ipv6Header ip = new Ipv6Header().wrap(b, 0);
      new Icmpv6Header().wrap(b, 40, ip.payloadLength())
          .fillChecksum(ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo());
      assertEquals(Arrays.toString(p), Arrays.toString(copy));
    }
  }

  @Test
  void readsLinuxPortUnreachable() {
    ByteBuf b = wrap(LINUX_PORT_UNREACHABLE);
    Icmpv6Header icmp = new Icmpv6Header().wrap(b, 40, 64);
    assertEquals(Icmpv6Header.TYPE_DESTINATION_UNREACHABLE, icmp.type());
    assertEquals(Icmpv6Header.CODE_PORT_UNREACHABLE, icmp.code());
    assertTrue(icmp.isError());
    Ipv6Header quoted = new Ipv6Header();
    assertEquals(WireCheck.OK, quoted.wrapChecked(b, icmp.dataIndex(), icmp.dataLength()));
    assertEquals(IpProtocol.UDP, quoted.nextHeader());
    assertEquals(IpAddress.parse("fd00:7463:7073::2"), quoted.destination());
  }

  @Test
  void pseudoHeaderSumMatchesTheSumOfItsBytes() {
    ByteBuf b = wrap(LINUX_ECHO_REQUEST);
    Ipv6Header ip = new Ipv6Header().wrap(b, 0);
    // The 40-byte pseudo-header of RFC 8200 §8.1 written out and summed by the generic routine.
    ByteBuf pseudo = Unpooled.buffer(40);
    pseudo.writeBytes(b, 8, 32).writeInt(24).writeMedium(0).writeByte(IpProtocol.ICMPV6);
    assertEquals(InternetChecksum.sum(pseudo, 0, 40, 0), ip.pseudoHeaderSum(IpProtocol.ICMPV6, 24));
  }

  @Test
  void checksRejectShortAndLyingPackets() {
    Ipv6Header h = new Ipv6Header();
    assertEquals(WireCheck.TRUNCATED, h.wrapChecked(wrap(new byte[39]), 0, 39));
    byte[] v4 = LINUX_ECHO_REQUEST.clone();
    v4[0] = 0x45;
    assertEquals(WireCheck.BAD_VERSION, h.wrapChecked(wrap(v4), 0, v4.length));
    assertEquals(WireCheck.BAD_TOTAL_LENGTH, h.wrapChecked(wrap(LINUX_ECHO_REQUEST), 0, 63));
    byte[] padded = Arrays.copyOf(LINUX_ECHO_REQUEST, 80);
    assertEquals(WireCheck.OK, h.wrapChecked(wrap(padded), 0, 80), "bytes past the payload are ignored");
  }

  @Test
  void settersWriteWhatAccessorsRead() {
    ByteBuf b = Unpooled.buffer(40).writeZero(40);
    IpAddress s = IpAddress.parse("2001:db8::1");
    IpAddress d = IpAddress.parse("fd00::2");
    Ipv6Header h = new Ipv6Header().wrap(b, 0).setVersionClassFlow(0xb8, 0x12345).setPayloadLength(1234)
        .setNextHeader(6).setHopLimit(64).setSource(s.hi(), s.lo()).setDestination(d.hi(), d.lo());
    assertEquals(6, h.version());
    assertEquals(0xb8, h.trafficClass());
    assertEquals(0x12345, h.flowLabel());
    assertEquals(1234, h.payloadLength());
    assertEquals(s, h.source());
    assertEquals(d, h.destination());
  }
}
