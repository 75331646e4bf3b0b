package io.tcpstack.udp;

import static io.tcpstack.testing.Packets.HOST;
import static io.tcpstack.testing.Packets.STACK;
import static io.tcpstack.testing.Packets.ipv4;
import static io.tcpstack.testing.Packets.pattern;
import static io.tcpstack.testing.Packets6.HOST6;
import static io.tcpstack.testing.Packets6.ICMPV6;
import static io.tcpstack.testing.Packets6.STACK6;
import static io.tcpstack.testing.Packets6.UDP;
import static io.tcpstack.testing.Packets6.icmpv6;
import static io.tcpstack.testing.Packets6.ipv6;
import static io.tcpstack.testing.Packets6.u16;
import static io.tcpstack.testing.Packets6.u32;
import static io.tcpstack.testing.Packets6.u8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets6;
import io.tcpstack.testing.StackHarness;
import io.tcpstack.wire.IpAddress;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * UDP over IPv6 (RFC 768 with RFC 8200 §8) at the datagram level: exact packets in and out, built
 * byte by byte with {@link Packets6}, every drop counted — and the same port speaking both families.
 */
class UdpIpv6Test {

  private static final int CLIENT_PORT = 40_000;
  private static final int ICMP6_DESTINATION_UNREACHABLE = 1;
  private static final int ICMP6_PACKET_TOO_BIG = 2;
  private static final int ICMP6_TIME_EXCEEDED = 3;
  private static final int ICMP6_PORT_UNREACHABLE = 4;
  private static final int ICMP6_ADDRESS_UNREACHABLE = 3;

  private final StackHarness h = StackHarness.dualStack();

  @AfterEach
  void close() {
    h.close();
  }

  private UdpLayer udp() {
    return h.stack().udp();
  }

  /** A UDP datagram with its checksum over the IPv6 pseudo-header, a computed zero sent as 0xFFFF. */
  static byte[] udp6(IpAddress src, IpAddress dst, int srcPort, int dstPort, byte[] data) {
    byte[] d = new byte[8 + data.length];
    ByteBuffer.wrap(d).putShort((short) srcPort).putShort((short) dstPort).putShort((short) d.length)
        .putShort((short) 0).put(data);
    int sum = Packets6.checksum(src, dst, UDP, d);
    sum = sum == 0 ? 0xFFFF : sum;
    d[6] = (byte) (sum >>> 8);
    d[7] = (byte) sum;
    return d;
  }

  private static byte[] toStack(int port, byte[] data) {
    return ipv6(HOST6, STACK6, UDP, udp6(HOST6, STACK6, CLIENT_PORT, port, data));
  }

  private static byte[] fromStack(int port, int toPort, byte[] data) {
    return ipv6(STACK6, HOST6, UDP, udp6(STACK6, HOST6, port, toPort, data));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Binds {@code port} with a listener that sends every datagram back to its sender. */
  private UdpEndpoint echo(int port) {
    UdpEndpoint e = udp().bind(port, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.setEvents(new UdpEvents() {
      @Override
      public void onReadable(UdpEndpoint endpoint) {
        ByteBuf b = Unpooled.buffer(UdpLayer.MAX_PAYLOAD_IPV6);
        try {
          while (endpoint.receive(b) >= 0) {
            endpoint.send(b, endpoint.senderHi(), endpoint.senderLo(), endpoint.senderPort());
            b.clear();
          }
        } finally {
          b.release();
        }
      }
    });
    return e;
  }

  // --- echo, both families on one port ---

  @Test
  void anEchoServerSendsTheDatagramBackOverIpv6Exactly() {
    echo(7);
    List<byte[]> out = h.send(toStack(7, bytes("hello, udp6")));
    assertEquals(1, out.size());
    assertArrayEquals(fromStack(7, CLIENT_PORT, bytes("hello, udp6")), out.get(0));
    assertEquals(1, h.counter(StackCounter.UDP_IN_DATAGRAMS));
    assertEquals(1, h.counter(StackCounter.UDP_OUT_DATAGRAMS));
  }

  @Test
  void onePortTakesBothFamiliesAndNamesEachSender() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    h.send(toStack(7, bytes("six")));
    h.send(ipv4(HOST, STACK, UDP, UdpLayerTest.udp(HOST, STACK, CLIENT_PORT + 1, 7, bytes("four"))));
    h.send(toStack(7, bytes("six again")));
    assertEquals(3, e.queuedDatagrams());
    assertEquals(2 * DatagramQueue.RECORD_HEADER_IPV6 + DatagramQueue.RECORD_HEADER_IPV4 + 3 + 4 + 9, e.queuedBytes());
    byte[] got = new byte[64];
    assertEquals(3, e.receive(got, 0, got.length));
    assertEquals(HOST6, e.senderAddress());
    assertEquals(HOST6.hi(), e.senderHi());
    assertEquals(HOST6.lo(), e.senderLo());
    assertEquals(CLIENT_PORT, e.senderPort());
    assertEquals(4, e.receive(got, 0, got.length));
    assertEquals(IpAddress.ofIpv4(HOST), e.senderAddress());
    assertEquals(CLIENT_PORT + 1, e.senderPort());
    assertEquals(9, e.receive(got, 0, got.length));
    assertEquals("six again", new String(got, 0, 9, StandardCharsets.UTF_8));
    assertEquals(HOST6, e.senderAddress());
  }

  @Test
  void theSentDatagramWithAComputedZeroCarries0xFFFF() {
    byte[] data = new byte[2];
    byte[] probe = udp6(STACK6, HOST6, 7, CLIENT_PORT, data);
    probe[6] = 0;
    probe[7] = 0;
    int without = Packets6.checksum(STACK6, HOST6, UDP, probe);
    data[0] = (byte) (without >>> 8);
    data[1] = (byte) without;
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.send(Unpooled.wrappedBuffer(data), HOST6, CLIENT_PORT);
    byte[] sent = h.poll().get(0);
    assertEquals(0xFFFF, u16(sent, 40 + 6), "RFC 8200 §8.1: a computed zero is sent as FFFF");
    assertArrayEquals(fromStack(7, CLIENT_PORT, data), sent);
  }

  // --- checksums: mandatory over IPv6 ---

  @Test
  void aZeroChecksumIsDroppedAndCountedWithoutAnAnswer() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] open = toStack(7, bytes("no sum"));
    open[40 + 6] = 0;
    open[40 + 7] = 0;
    assertTrue(h.send(open).isEmpty());
    byte[] closed = toStack(9999, bytes("no sum"));
    closed[40 + 6] = 0;
    closed[40 + 7] = 0;
    assertTrue(h.send(closed).isEmpty(), "no Port Unreachable for a datagram that is not valid");
    // Not even when the link vouches for the packet: a zero field is no checksum at all.
    ByteBuf b = Unpooled.wrappedBuffer(open);
    try {
      h.stack().receive(b, Offload.CHECKSUM_VALID, 0);
    } finally {
      b.release();
    }
    assertEquals(0, e.queuedDatagrams());
    assertEquals(3, h.counter(StackCounter.UDP_IN_CSUM_ERRORS));
    assertEquals(3, h.counter(StackCounter.UDP_IN_ERRORS));
    assertEquals(0, h.counter(StackCounter.UDP_NO_PORTS));
    assertEquals(0, h.counter(StackCounter.UDP_IN_DATAGRAMS));
  }

  @Test
  void aBadChecksumIsDroppedAndCounted() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] p = toStack(7, bytes("flipped"));
    p[p.length - 1] ^= 1;
    assertTrue(h.send(p).isEmpty());
    byte[] closed = toStack(9999, bytes("flipped"));
    closed[closed.length - 1] ^= 1;
    assertTrue(h.send(closed).isEmpty());
    assertEquals(0, e.queuedDatagrams());
    assertEquals(2, h.counter(StackCounter.UDP_IN_CSUM_ERRORS));
    assertEquals(2, h.counter(StackCounter.UDP_IN_ERRORS));
    assertEquals(0, h.counter(StackCounter.UDP_NO_PORTS));
  }

  @Test
  void aChecksumCoversTheIpv6PseudoHeader() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    // Right for IPv4's pseudo-header, wrong for IPv6's.
    byte[] d = UdpLayerTest.udp(HOST, STACK, CLIENT_PORT, 7, bytes("family"));
    assertTrue(h.send(ipv6(HOST6, STACK6, UDP, d)).isEmpty());
    assertEquals(0, e.queuedDatagrams());
    assertEquals(1, h.counter(StackCounter.UDP_IN_CSUM_ERRORS));
  }

  @Test
  void aLengthFieldBeyondThePayloadIsDroppedAndCounted() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] d = udp6(HOST6, STACK6, CLIENT_PORT, 7, bytes("abcd"));
    d[5] = (byte) (d[5] + 1);
    assertTrue(h.send(ipv6(HOST6, STACK6, UDP, d)).isEmpty());
    assertTrue(h.send(ipv6(HOST6, STACK6, UDP, Arrays.copyOf(d, 7))).isEmpty());
    assertEquals(2, h.counter(StackCounter.UDP_IN_ERRORS));
    assertEquals(0, e.queuedDatagrams());
  }

  // --- closed ports: ICMPv6 Port Unreachable ---

  @Test
  void aDatagramToAClosedPortDrawsIcmpv6PortUnreachableQuotingIt() {
    byte[] sent = toStack(9999, bytes("anyone there?"));
    List<byte[]> out = h.send(sent);
    assertEquals(1, out.size());
    // RFC 4443 §3.1: type 1 code 4, four unused zero bytes, the packet from its IPv6 header on.
    assertArrayEquals(ipv6(STACK6, HOST6, ICMPV6,
        icmpv6(STACK6, HOST6, ICMP6_DESTINATION_UNREACHABLE, ICMP6_PORT_UNREACHABLE, 0, sent)), out.get(0));
    assertEquals(1, h.counter(StackCounter.UDP_NO_PORTS));
    assertEquals(1, h.counter(StackCounter.ICMP6_OUT_DEST_UNREACHS));
  }

  @Test
  void thePortUnreachableQuoteStopsAtTheMinimumMtu() {
    byte[] sent = toStack(9999, pattern(1400));
    byte[] out = h.send(sent).get(0);
    assertEquals(1280, out.length, "RFC 4443 §2.4 (c): the message fits the IPv6 minimum MTU");
    assertArrayEquals(ipv6(STACK6, HOST6, ICMPV6, icmpv6(STACK6, HOST6, ICMP6_DESTINATION_UNREACHABLE,
        ICMP6_PORT_UNREACHABLE, 0, Arrays.copyOf(sent, 1280 - 48))), out);
  }

  @Test
  void aDatagramReassembledFromIpv6FragmentsIsDeliveredOrQuotedWhole() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] data = pattern(3000);
    for (byte[] f : Packets6.fragments(HOST6, STACK6, UDP, 77, udp6(HOST6, STACK6, CLIENT_PORT, 7, data), 1448)) {
      assertTrue(h.send(f).isEmpty());
    }
    byte[] got = new byte[4000];
    assertEquals(3000, e.receive(got, 0, got.length));
    assertArrayEquals(data, Arrays.copyOf(got, 3000));

    byte[] closed = udp6(HOST6, STACK6, CLIENT_PORT, 9999, data);
    List<byte[]> out = new ArrayList<>();
    for (byte[] f : Packets6.fragments(HOST6, STACK6, UDP, 78, closed, 1448)) {
      out.addAll(h.send(f));
    }
    assertEquals(1, out.size());
    byte[] icmp = Packets6.payload(out.get(0));
    assertEquals(ICMP6_DESTINATION_UNREACHABLE, u8(icmp, 0));
    assertEquals(ICMP6_PORT_UNREACHABLE, u8(icmp, 1));
    assertEquals(0, Packets6.checksum(STACK6, HOST6, ICMPV6, icmp), "a valid ICMPv6 checksum");
    assertEquals(1280 - 40, icmp.length);
    byte[] quote = Arrays.copyOfRange(icmp, 8, icmp.length);
    assertEquals(STACK6, Packets6.destination(quote), "the quoted header names us as destination");
    assertArrayEquals(Arrays.copyOf(closed, quote.length - 40), Arrays.copyOfRange(quote, 40, quote.length),
        "the reassembled datagram, quoted from its UDP header on");
  }

  @Test
  void aConnectedEndpointAnswersAStrangerAsAClosedPort() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.connect(HOST6, 7);
    byte[] stranger = ipv6(HOST6, STACK6, UDP, udp6(HOST6, STACK6, 8, 5000, bytes("stranger")));
    List<byte[]> out = h.send(stranger);
    assertEquals(1, out.size());
    assertEquals(ICMP6_DESTINATION_UNREACHABLE, u8(out.get(0), 40));
    assertEquals(ICMP6_PORT_UNREACHABLE, u8(out.get(0), 41));
    // An IPv4 datagram from the same port is not from the peer either.
    assertEquals(1, h.send(ipv4(HOST, STACK, UDP, UdpLayerTest.udp(HOST, STACK, 7, 5000, bytes("v4")))).size());
    h.send(ipv6(HOST6, STACK6, UDP, udp6(HOST6, STACK6, 7, 5000, bytes("peer"))));
    assertEquals(1, e.queuedDatagrams());
    assertEquals(2, h.counter(StackCounter.UDP_NO_PORTS));
  }

  // --- sending ---

  @Test
  void aDatagramLargerThanTheMtuLeavesInIpv6Fragments() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] data = pattern(4000);
    e.send(Unpooled.wrappedBuffer(data), HOST6, CLIENT_PORT);
    List<byte[]> out = h.poll();
    assertEquals(3, out.size(), "4008 bytes in pieces of 1448 (1500 - 40 - 8, a multiple of 8)");
    long id = u32(out.get(0), 44);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    for (int i = 0; i < out.size(); i++) {
      byte[] f = out.get(i);
      assertTrue(f.length <= 1500, "within the MTU: " + f.length);
      assertEquals(Packets6.FRAGMENT, u8(f, 6));
      assertEquals(UDP, u8(f, 40), "the Fragment header names UDP");
      assertEquals(whole.size(), u16(f, 42) & 0xFFF8, "fragments in order");
      assertEquals(i < out.size() - 1 ? 1 : 0, u16(f, 42) & 1, "M flag on all but the last");
      assertEquals(id, u32(f, 44), "one identification");
      whole.write(f, 48, f.length - 48);
    }
    assertArrayEquals(udp6(STACK6, HOST6, 5000, CLIENT_PORT, data), whole.toByteArray());
  }

  @Test
  void theLargestIpv6PayloadGoesAndOneMoreByteIsRefused() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    assertEquals(65_527, UdpLayer.MAX_PAYLOAD_IPV6);
    e.send(Unpooled.wrappedBuffer(new byte[UdpLayer.MAX_PAYLOAD_IPV6]), HOST6, CLIENT_PORT);
    assertEquals(46, h.poll().size(), "65535 bytes in 1448-byte pieces");
    ByteBuf tooBig = Unpooled.wrappedBuffer(new byte[UdpLayer.MAX_PAYLOAD_IPV6 + 1]);
    assertThrows(IllegalArgumentException.class, () -> e.send(tooBig, HOST6, CLIENT_PORT));
    assertEquals(UdpLayer.MAX_PAYLOAD_IPV6 + 1, tooBig.readableBytes(), "nothing taken");
    assertTrue(h.poll().isEmpty());
    assertEquals(1, h.counter(StackCounter.UDP_OUT_DATAGRAMS));
  }

  @Test
  void multicastAndUnspecifiedIpv6DestinationsAreRefused() {
    UdpEndpoint e = udp().open(UdpLayer.DEFAULT_RECEIVE_BUFFER);
    for (String bad : new String[] {"::", "ff02::1", "ff05::1:3"}) {
      IpAddress a = IpAddress.parse(bad);
      assertThrows(IllegalArgumentException.class, () -> e.send(Unpooled.buffer(0), a, 7), bad);
      assertThrows(IllegalArgumentException.class, () -> e.connect(a, 7), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> e.send(Unpooled.buffer(0), HOST6, 0));
    assertEquals(0, e.localPort(), "nothing refused binds a port");
    assertTrue(h.poll().isEmpty());
  }

  @Test
  void aStackWithoutAnIpv6AddressRefusesIpv6Destinations() {
    try (StackHarness v4 = StackHarness.standard()) {
      UdpEndpoint e = v4.stack().udp().open(UdpLayer.DEFAULT_RECEIVE_BUFFER);
      IllegalArgumentException x =
          assertThrows(IllegalArgumentException.class, () -> e.send(Unpooled.buffer(0), HOST6, 7));
      assertTrue(x.getMessage().contains("no IPv6 address"), x.getMessage());
      assertTrue(v4.poll().isEmpty());
    }
  }

  // --- connected endpoints and ICMPv6 errors ---

  /** An ICMPv6 error from the host about a packet the stack sent ({@code quoted}, whole). */
  private static byte[] icmp6About(int type, int code, int rest, byte[] quoted) {
    return ipv6(HOST6, STACK6, ICMPV6, icmpv6(HOST6, STACK6, type, code, rest, quoted));
  }

  @Test
  void aConnectedEndpointIsToldOfIcmpv6PortUnreachable() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    List<UdpError> told = new ArrayList<>();
    e.setEvents(new UdpEvents() {
      @Override
      public void onError(UdpEndpoint endpoint) {
        told.add(endpoint.error());
      }
    });
    e.connect(HOST6, 7);
    assertEquals(HOST6, e.remoteAddress());
    e.send(Unpooled.wrappedBuffer(bytes("ping")));
    byte[] sent = h.poll().get(0);
    assertArrayEquals(fromStack(5000, 7, bytes("ping")), sent);

    h.send(icmp6About(ICMP6_DESTINATION_UNREACHABLE, ICMP6_PORT_UNREACHABLE, 0, sent));
    assertEquals(List.of(UdpError.PORT_UNREACHABLE), told);
    assertEquals(UdpError.PORT_UNREACHABLE, e.takeError());
    assertNull(e.takeError(), "one message fails one call");
    assertEquals(1, h.counter(StackCounter.UDP_ICMP_ERRORS_REPORTED));
  }

  @Test
  void transientIcmpv6ErrorsAndErrorsForOthersAreIgnored() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.send(Unpooled.wrappedBuffer(bytes("ping")), HOST6, 7);
    byte[] sent = h.poll().get(0);
    h.send(icmp6About(ICMP6_DESTINATION_UNREACHABLE, ICMP6_PORT_UNREACHABLE, 0, sent));
    assertNull(e.error(), "unconnected: not told");

    e.connect(HOST6, 7);
    h.send(icmp6About(ICMP6_DESTINATION_UNREACHABLE, ICMP6_ADDRESS_UNREACHABLE, 0, sent));
    h.send(icmp6About(ICMP6_TIME_EXCEEDED, 0, 0, sent));
    h.send(icmp6About(ICMP6_PACKET_TOO_BIG, 0, 1280, sent));
    assertNull(e.error(), "transient, as Linux");
    // Connected over IPv4 to the same port: an ICMPv6 error about the IPv6 peer is not its own.
    e.connect(HOST, 7);
    h.send(icmp6About(ICMP6_DESTINATION_UNREACHABLE, ICMP6_PORT_UNREACHABLE, 0, sent));
    assertNull(e.error());
    assertEquals(5, h.counter(StackCounter.ICMP6_IN_IGNORED));
    assertEquals(0, h.counter(StackCounter.UDP_ICMP_ERRORS_REPORTED));
  }

  @Test
  void echoingOverIpv6AllocatesNothing() {
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean,
        "no per-thread allocation counter");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    // Not the leak-detecting allocator: at paranoid level it records (allocates) every access.
    io.netty.buffer.ByteBufAllocator quiet = new io.netty.buffer.UnpooledByteBufAllocator(true, true);
    StackConfig config = StackConfig.builder().address(STACK, 24).address6(STACK6, 64).mtu(1500).allocator(quiet)
        .build();
    long[] sent = {0};
    try (io.tcpstack.NetworkStack stack = new io.tcpstack.NetworkStack(config, p -> sent[0] += p.readableBytes())) {
      ByteBuf scratch = quiet.directBuffer(2048);
      UdpEndpoint e = stack.udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
      e.setEvents(new UdpEvents() {
        @Override
        public void onReadable(UdpEndpoint endpoint) {
          while (endpoint.receive(scratch) >= 0) {
            endpoint.send(scratch, endpoint.senderHi(), endpoint.senderLo(), endpoint.senderPort());
            scratch.clear();
          }
        }
      });
      ByteBuf in = quiet.directBuffer(1500).writeBytes(toStack(7, pattern(1000)));
      try {
        for (int i = 0; i < 20_000; i++) {
          stack.receive(in, i);
        }
        long before = counter.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
          stack.receive(in, 20_000 + i);
        }
        long allocated = counter.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 16 * 1024, allocated + " bytes allocated over 100000 echoes");
        assertEquals(120_000L * (40 + 8 + 1000), sent[0]);
        assertEquals(0, stack.counters().get(StackCounter.UDP_IN_ERRORS));
      } finally {
        in.release();
        scratch.release();
      }
    }
  }
}
