package io.tcpstack.udp;

import static io.tcpstack.testing.Packets.HOST;
import static io.tcpstack.testing.Packets.STACK;
import static io.tcpstack.testing.Packets.address;
import static io.tcpstack.testing.Packets.checksum;
import static io.tcpstack.testing.Packets.ipv4;
import static io.tcpstack.testing.Packets.pattern;
import static io.tcpstack.testing.Packets.payload;
import static io.tcpstack.testing.Packets.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.Ipv4Layer;
import io.tcpstack.ip.Offload;
import io.tcpstack.stats.CounterSet;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.CapturingSink;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.StackHarness;
import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Header;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * UDP at the datagram level: exact packets in, exact packets out, every drop counted. Expected
 * datagrams are built with {@link Packets} (plain byte arithmetic), not with the stack's own
 * wire classes.
 */
class UdpLayerTest {

  private static final int UDP = 17;
  private static final int ICMP = 1;
  private static final long SECOND = 1_000_000_000L;
  private static final int CLIENT_PORT = 40_000;

  private final StackHarness h = new StackHarness(StackConfig.builder().address(STACK, 24).mtu(1500)
      .ephemeralPortSeed(7).build());

  @AfterEach
  void close() {
    h.close();
  }

  private UdpLayer udp() {
    return h.stack().udp();
  }

  /** A UDP datagram (header and data) with its checksum over the pseudo-header, computed byte by byte. */
  static byte[] udp(int src, int dst, int srcPort, int dstPort, byte[] data) {
    byte[] d = new byte[8 + data.length];
    ByteBuffer.wrap(d).putShort((short) srcPort).putShort((short) dstPort).putShort((short) d.length).putShort((short) 0)
        .put(data);
    int sum = udpChecksum(src, dst, d);
    sum = sum == 0 ? 0xFFFF : sum;
    d[6] = (byte) (sum >>> 8);
    d[7] = (byte) sum;
    return d;
  }

  /** The RFC 768 checksum of {@code d} as it stands (checksum field included), over the pseudo-header. */
  static int udpChecksum(int src, int dst, byte[] d) {
    byte[] p = new byte[12 + d.length];
    ByteBuffer.wrap(p).putInt(src).putInt(dst).put((byte) 0).put((byte) UDP).putShort((short) d.length).put(d);
    return checksum(p, 0, p.length);
  }

  /** A datagram from the host's client port to the stack's {@code port}, in an IPv4 packet. */
  private static byte[] toStack(int port, byte[] data) {
    return ipv4(HOST, STACK, UDP, udp(HOST, STACK, CLIENT_PORT, port, data));
  }

  /** The IPv4 packet the stack sends first (identification 0), carrying {@code udp} to the host. */
  private static byte[] fromStack(int id, byte[] udpDatagram) {
    return ipv4(STACK, HOST, UDP, id, false, false, 0, 64, udpDatagram);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(ByteBuf b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  /** Binds {@code port} with a listener that sends every datagram back to its sender: an echo server. */
  private UdpEndpoint echo(int port) {
    UdpEndpoint e = udp().bind(port, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.setEvents(new UdpEvents() {
      @Override
      public void onReadable(UdpEndpoint endpoint) {
        ByteBuf b = Unpooled.buffer(UdpLayer.MAX_PAYLOAD);
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

  // --- echo and checksums ---

  @Test
  void anEchoServerSendsTheDatagramBackExactly() {
    echo(7);
    List<byte[]> out = h.send(toStack(7, bytes("hello, udp")));
    assertEquals(1, out.size());
    assertArrayEquals(fromStack(0, udp(STACK, HOST, 7, CLIENT_PORT, bytes("hello, udp"))), out.get(0));
    assertEquals(1, h.counter(StackCounter.UDP_IN_DATAGRAMS));
    assertEquals(1, h.counter(StackCounter.UDP_OUT_DATAGRAMS));
  }

  @Test
  void anEmptyDatagramIsDeliveredAndEchoed() {
    echo(7);
    List<byte[]> out = h.send(toStack(7, new byte[0]));
    assertArrayEquals(fromStack(0, udp(STACK, HOST, 7, CLIENT_PORT, new byte[0])), out.get(0));
  }

  @Test
  void theSentDatagramWithAComputedZeroCarries0xFFFF() {
    byte[] data = new byte[2];
    byte[] probe = udp(STACK, HOST, 7, CLIENT_PORT, data);
    probe[6] = 0;
    probe[7] = 0;
    int without = udpChecksum(STACK, HOST, probe);
    data[0] = (byte) (without >>> 8);
    data[1] = (byte) without;
    CapturingSink sink = new CapturingSink();
    CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class);
    StackConfig config = StackConfig.builder().address(STACK, 24).mtu(1500).ephemeralPortSeed(7).build();
    Ipv4Layer ip = new Ipv4Layer(config, counters, sink);
    try {
      UdpLayer layer = new UdpLayer(ip, counters, config);
      UdpEndpoint e = layer.bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
      e.send(Unpooled.wrappedBuffer(data), HOST, CLIENT_PORT);
      byte[] sent = sink.take().get(0);
      assertEquals(0xFFFF, u16(sent, 20 + 6), "RFC 768: a computed zero is transmitted as all ones");
      assertArrayEquals(fromStack(0, udp(STACK, HOST, 7, CLIENT_PORT, data)), sent);
    } finally {
      ip.close();
    }
  }

  @Test
  void aDatagramWithChecksum0xFFFFThatVerifiesIsAccepted() {
    byte[] data = new byte[2];
    byte[] probe = udp(HOST, STACK, CLIENT_PORT, 7, data);
    probe[6] = 0;
    probe[7] = 0;
    int without = udpChecksum(HOST, STACK, probe);
    data[0] = (byte) (without >>> 8);
    data[1] = (byte) without;
    byte[] d = udp(HOST, STACK, CLIENT_PORT, 7, data);
    assertEquals(0xFFFF, u16(d, 6));
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    h.send(ipv4(HOST, STACK, UDP, d));
    assertEquals(1, e.queuedDatagrams());
    assertEquals(0, h.counter(StackCounter.UDP_IN_CSUM_ERRORS));
  }

  @Test
  void aZeroChecksumMeansNoneAndTheDatagramIsAccepted() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] d = udp(HOST, STACK, CLIENT_PORT, 7, bytes("no sum"));
    d[6] = 0;
    d[7] = 0;
    assertTrue(h.send(ipv4(HOST, STACK, UDP, d)).isEmpty());
    ByteBuf b = Unpooled.buffer(64);
    try {
      assertEquals(6, e.receive(b));
      assertEquals("no sum", string(b));
      assertEquals(IpAddress.ofIpv4(HOST), e.senderAddress());
      assertEquals(CLIENT_PORT, e.senderPort());
    } finally {
      b.release();
    }
  }

  @Test
  void aBadChecksumIsDroppedAndCountedWithoutAnAnswer() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] p = toStack(7, bytes("flipped"));
    p[p.length - 1] ^= 1;
    assertTrue(h.send(p).isEmpty());
    byte[] closed = toStack(9999, bytes("flipped"));
    closed[closed.length - 1] ^= 1;
    assertTrue(h.send(closed).isEmpty(), "a corrupt datagram to a closed port draws no Port Unreachable either");
    assertEquals(0, e.queuedDatagrams());
    assertEquals(2, h.counter(StackCounter.UDP_IN_CSUM_ERRORS));
    assertEquals(2, h.counter(StackCounter.UDP_IN_ERRORS));
    assertEquals(0, h.counter(StackCounter.UDP_NO_PORTS));
    assertEquals(0, h.counter(StackCounter.UDP_IN_DATAGRAMS));
  }

  @Test
  void aChecksumTheLinkVouchedForIsNotVerified() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] p = toStack(7, bytes("partial"));
    p[20 + 6] = 0x12; // as the local host leaves it for the link: not a finished checksum
    ByteBuf b = Unpooled.wrappedBuffer(p);
    try {
      h.stack().receive(b, Offload.CHECKSUM_VALID, 0);
    } finally {
      b.release();
    }
    assertEquals(1, e.queuedDatagrams());
    assertEquals(0, h.counter(StackCounter.UDP_IN_ERRORS));
  }

  @Test
  void echoingADatagramAllocatesNothing() {
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean,
        "no per-thread allocation counter");
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    // Not the leak-detecting allocator: at paranoid level it records (allocates) every access.
    io.netty.buffer.ByteBufAllocator quiet = new io.netty.buffer.UnpooledByteBufAllocator(true, true);
    StackConfig config = StackConfig.builder().address(STACK, 24).mtu(1500).allocator(quiet).build();
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
        // One object per datagram would be 1.6 MB at least; what remains is the JVM's own (a few KiB).
        assertTrue(allocated < 16 * 1024, allocated + " bytes allocated over 100000 echoes");
        assertEquals(120_000L * (20 + 8 + 1000), sent[0]);
      } finally {
        in.release();
        scratch.release();
      }
    }
  }

  // --- lengths ---

  @Nested
  class Lengths {

    private final UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);

    private byte[] withLength(int lengthField, byte[] data) {
      byte[] d = udp(HOST, STACK, CLIENT_PORT, 7, data);
      d[4] = (byte) (lengthField >>> 8);
      d[5] = (byte) lengthField;
      d[6] = 0; // no checksum, so only the length is wrong
      d[7] = 0;
      return ipv4(HOST, STACK, UDP, d);
    }

    @Test
    void aLengthFieldBelowTheHeaderIsDroppedAndCounted() {
      assertTrue(h.send(withLength(7, bytes("abcd"))).isEmpty());
      assertEquals(1, h.counter(StackCounter.UDP_IN_ERRORS));
      assertEquals(0, e.queuedDatagrams());
    }

    @Test
    void aLengthFieldBeyondTheIpPayloadIsDroppedAndCounted() {
      assertTrue(h.send(withLength(8 + 5, bytes("abcd"))).isEmpty());
      assertEquals(1, h.counter(StackCounter.UDP_IN_ERRORS));
      assertEquals(0, e.queuedDatagrams());
    }

    @Test
    void aHeaderCutShortIsDroppedAndCounted() {
      assertTrue(h.send(ipv4(HOST, STACK, UDP, Arrays.copyOf(udp(HOST, STACK, CLIENT_PORT, 7, new byte[0]), 7))).isEmpty());
      assertEquals(1, h.counter(StackCounter.UDP_IN_ERRORS));
    }

    @Test
    void aLengthFieldShorterThanTheIpPayloadDeliversThatMuchAndIgnoresThePadding() {
      h.send(withLength(8 + 2, bytes("abcd")));
      ByteBuf b = Unpooled.buffer(16);
      try {
        assertEquals(2, e.receive(b));
        assertEquals("ab", string(b));
      } finally {
        b.release();
      }
      assertEquals(0, h.counter(StackCounter.UDP_IN_ERRORS));
    }
  }

  // --- closed ports: ICMP Port Unreachable ---

  @Nested
  class PortUnreachable {

    @Test
    void aDatagramToAClosedPortDrawsPortUnreachableQuotingIt() {
      byte[] sent = toStack(9999, bytes("anyone there?"));
      List<byte[]> out = h.send(sent);
      assertEquals(1, out.size());
      // RFC 792: type 3 code 3, four unused zero bytes, the datagram from its IP header on.
      assertArrayEquals(ipv4(STACK, HOST, ICMP, 0, false, false, 0, 64, Packets.icmp(3, 3, 0, 0, sent)), out.get(0));
      assertEquals(1, h.counter(StackCounter.UDP_NO_PORTS));
      assertEquals(1, h.counter(StackCounter.ICMP_OUT_DEST_UNREACHS));
    }

    @Test
    void theQuoteStopsWhereTheMessageWouldPass576Bytes() {
      byte[] sent = toStack(9999, pattern(1000));
      byte[] icmp = payload(h.send(sent).get(0));
      assertEquals(576 - 20, icmp.length, "RFC 1812 §4.3.2.3: at most 576 bytes in all");
      assertArrayEquals(Packets.icmp(3, 3, 0, 0, Arrays.copyOf(sent, 576 - 28)), icmp);
    }

    @Test
    void aDatagramReassembledFromFragmentsIsQuotedFromItsHeader() {
      byte[] whole = udp(HOST, STACK, CLIENT_PORT, 9999, pattern(3000));
      byte[][] fragments = Packets.fragments(HOST, STACK, UDP, 77, whole, 1480);
      List<byte[]> out = new ArrayList<>();
      for (byte[] f : fragments) {
        out.addAll(h.send(f));
      }
      assertEquals(1, out.size());
      byte[] icmp = payload(out.get(0));
      assertEquals(3, icmp[0]);
      assertEquals(3, icmp[1]);
      assertEquals(0, checksum(icmp, 0, icmp.length));
      byte[] quote = Arrays.copyOfRange(icmp, 8, icmp.length);
      assertEquals(STACK, Packets.u32(quote, 16), "the quoted header names us as destination");
      assertArrayEquals(Arrays.copyOf(whole, quote.length - 20), Arrays.copyOfRange(quote, 20, quote.length));
    }

    @Test
    void aDestinationGetsABurstOfSixThenOneASecond() {
      for (int i = 0; i < 10; i++) {
        h.send(toStack(9999, pattern(4)));
      }
      assertEquals(6, h.counter(StackCounter.ICMP_OUT_DEST_UNREACHS), "Linux's XRLIM_BURST_FACTOR");
      assertEquals(4, h.counter(StackCounter.ICMP_OUT_RATE_LIMITED));
      assertEquals(10, h.counter(StackCounter.UDP_NO_PORTS), "every one counted, answered or not");
      h.at(SECOND - 1);
      assertTrue(h.send(toStack(9999, pattern(4))).isEmpty(), "not a whole second's credit yet");
      h.at(SECOND);
      assertEquals(1, h.send(toStack(9999, pattern(4))).size(), "icmp_ratelimit: one per 1000 ms");
      assertTrue(h.send(toStack(9999, pattern(4))).isEmpty());
      h.at(100 * SECOND);
      int answered = 0;
      for (int i = 0; i < 10; i++) {
        answered += h.send(toStack(9999, pattern(4))).size();
      }
      assertEquals(6, answered, "an idle destination saves up six, no more");
    }

    @Test
    void allDestinationsTogetherGetFiftyAtOnceThenAThousandASecond() {
      int answered = 0;
      for (int i = 0; i < 60; i++) {
        int source = address(10, 0, i / 250, 1 + i % 250);
        answered += h.send(ipv4(source, STACK, UDP, udp(source, STACK, CLIENT_PORT, 9999, pattern(4)))).size();
      }
      assertEquals(50, answered, "icmp_msgs_burst");
      h.at(SECOND / 1000);
      int source = address(10, 0, 1, 1);
      assertEquals(1, h.send(ipv4(source, STACK, UDP, udp(source, STACK, CLIENT_PORT, 9999, pattern(4)))).size(),
          "icmp_msgs_per_sec: one more after a millisecond");
    }

    @Test
    void neverForABroadcastOrMulticastDestination() {
      // The IP layer delivers only datagrams to our own address; the UDP layer checks anyway.
      CapturingSink sink = new CapturingSink();
      CounterSet<StackCounter> counters = new CounterSet<>(StackCounter.class);
      StackConfig config = StackConfig.builder().address(STACK, 24).mtu(1500).build();
      Ipv4Layer ip = new Ipv4Layer(config, counters, sink);
      try {
        UdpLayer layer = new UdpLayer(ip, counters, config);
        for (int destination : new int[] {0xFFFF_FFFF, address(198, 18, 0, 255), address(224, 0, 0, 251)}) {
          byte[] p = ipv4(HOST, destination, UDP, udp(HOST, destination, CLIENT_PORT, 9999, pattern(4)));
          ByteBuf b = Unpooled.wrappedBuffer(p);
          Ipv4Header header = new Ipv4Header().wrap(b, 0);
          layer.receive(header, b, 20, p.length - 20, Offload.NONE, 0);
          b.release();
        }
        assertTrue(sink.take().isEmpty());
        assertEquals(3, counters.get(StackCounter.UDP_NO_PORTS));
        assertEquals(0, counters.get(StackCounter.ICMP_OUT_DEST_UNREACHS));
      } finally {
        ip.close();
      }
    }
  }

  // --- the receive queue ---

  @Test
  void aFullReceiveQueueDropsAndCountsUntilTheApplicationReads() {
    UdpEndpoint e = udp().bind(7, 2048);
    for (int i = 0; i < 5; i++) {
      h.send(toStack(7, pattern(500))); // 8 + 500 bytes of the queue each
    }
    assertEquals(4, e.queuedDatagrams());
    assertEquals(4 * (DatagramQueue.RECORD_HEADER_IPV4 + 500), e.queuedBytes());
    assertEquals(1, h.counter(StackCounter.UDP_RCVBUF_ERRORS));
    assertEquals(1, h.counter(StackCounter.UDP_IN_ERRORS));
    assertEquals(4, h.counter(StackCounter.UDP_IN_DATAGRAMS));

    byte[] got = new byte[600];
    assertEquals(500, e.receive(got, 0, got.length));
    h.send(toStack(7, pattern(500)));
    assertEquals(4, e.queuedDatagrams(), "room for one again");
    assertEquals(1, h.counter(StackCounter.UDP_RCVBUF_ERRORS));
    // The ring wrapped: every datagram still comes out whole and in order.
    for (int i = 0; i < 4; i++) {
      Arrays.fill(got, (byte) 0);
      assertEquals(500, e.receive(got, 0, got.length));
      assertArrayEquals(pattern(500), Arrays.copyOf(got, 500));
    }
    assertEquals(-1, e.receive(got, 0, got.length));
    assertEquals(0, e.queuedBytes());
  }

  @Test
  void aReceiveIntoASmallerBufferTakesWhatFitsAndDropsTheRest() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    h.send(toStack(7, bytes("0123456789")));
    h.send(toStack(7, bytes("next")));
    ByteBuffer small = ByteBuffer.allocate(4);
    assertEquals(4, e.receive(small));
    assertEquals("0123", new String(small.array(), StandardCharsets.US_ASCII));
    byte[] next = new byte[10];
    assertEquals(4, e.receive(next, 0, 10), "the rest of the first datagram is gone, as recv truncates");
    assertEquals("next", new String(next, 0, 4, StandardCharsets.US_ASCII));
  }

  // --- sending ---

  @Test
  void aDatagramLargerThanTheMtuLeavesInFragments() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    byte[] data = pattern(4000);
    e.send(Unpooled.wrappedBuffer(data), HOST, CLIENT_PORT);
    List<byte[]> out = h.poll();
    assertEquals(3, out.size(), "4008 bytes in 1480-byte pieces");
    for (byte[] f : out) {
      assertTrue(f.length <= 1500);
      assertEquals(0, u16(f, 6) & 0x4000, "DF clear");
      assertEquals(0, checksum(f, 0, 20));
    }
    assertArrayEquals(udp(STACK, HOST, 5000, CLIENT_PORT, data), Packets.reassemble(out));
    assertEquals(1, h.counter(StackCounter.IP_FRAG_OKS));
    assertEquals(3, h.counter(StackCounter.IP_FRAG_CREATES));
  }

  @Test
  void aDatagramLargerThanIpv4CarriesIsRefused() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.send(Unpooled.wrappedBuffer(new byte[UdpLayer.MAX_PAYLOAD]), HOST, CLIENT_PORT);
    assertEquals(45, h.poll().size(), "65535 bytes in 1480-byte pieces");
    ByteBuf tooBig = Unpooled.wrappedBuffer(new byte[UdpLayer.MAX_PAYLOAD + 1]);
    assertThrows(IllegalArgumentException.class, () -> e.send(tooBig, HOST, CLIENT_PORT));
    assertEquals(UdpLayer.MAX_PAYLOAD + 1, tooBig.readableBytes(), "nothing taken");
    assertTrue(h.poll().isEmpty());
  }

  @Test
  void broadcastMulticastAndZeroDestinationsAreRefused() {
    UdpEndpoint e = udp().open(UdpLayer.DEFAULT_RECEIVE_BUFFER);
    for (int bad : new int[] {0, 0xFFFF_FFFF, address(198, 18, 0, 255), address(239, 1, 2, 3)}) {
      assertThrows(IllegalArgumentException.class, () -> e.send(Unpooled.buffer(0), bad, 7));
    }
    assertThrows(IllegalArgumentException.class, () -> e.send(Unpooled.buffer(0), HOST, 0));
    assertTrue(h.poll().isEmpty());
  }

  // --- ports ---

  @Test
  void anUnboundSenderGetsAnEphemeralPortThatIsThenBound() {
    UdpEndpoint a = udp().open(UdpLayer.DEFAULT_RECEIVE_BUFFER);
    assertEquals(0, a.localPort());
    a.send(Unpooled.wrappedBuffer(bytes("hi")), HOST, 53);
    int port = a.localPort();
    assertTrue(port >= UdpLayer.EPHEMERAL_FIRST && port <= UdpLayer.EPHEMERAL_LAST, "RFC 6335 range: " + port);
    assertArrayEquals(fromStack(0, udp(STACK, HOST, port, 53, bytes("hi"))), h.poll().get(0));
    assertEquals(a, udp().endpoint(port));
    UdpEndpoint b = udp().bind(0, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    assertNotEquals(port, b.localPort());
    // A reply to the ephemeral port reaches the sender.
    h.send(ipv4(HOST, STACK, UDP, udp(HOST, STACK, 53, port, bytes("answer"))));
    assertEquals(1, a.queuedDatagrams());
    a.close();
    assertNull(udp().endpoint(port));
  }

  @Test
  void ephemeralPortsFollowTheSecretKey() {
    int[] first = new int[2];
    for (int run = 0; run < 2; run++) {
      try (StackHarness other = new StackHarness(StackConfig.builder().address(STACK, 24).ephemeralPortSeed(7).build())) {
        first[run] = other.stack().udp().bind(0, UdpLayer.DEFAULT_RECEIVE_BUFFER).localPort();
      }
    }
    assertEquals(first[0], first[1], "the same key, the same port: deterministic");
    try (StackHarness other = new StackHarness(StackConfig.builder().address(STACK, 24).ephemeralPortSeed(8).build())) {
      assertNotEquals(first[0], other.stack().udp().bind(0, UdpLayer.DEFAULT_RECEIVE_BUFFER).localPort());
    }
  }

  @Test
  void aPortCanBeBoundOnceAndAgainAfterClose() {
    UdpEndpoint e = udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    assertThrows(IllegalStateException.class, () -> udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER));
    e.close();
    udp().bind(7, UdpLayer.DEFAULT_RECEIVE_BUFFER);
  }

  @Test
  void udpAndTcpPortsAreSeparateSpaces() {
    h.stack().tcp().listen(7, 16, io.tcpstack.tcp.TcpConfig.DEFAULT);
    echo(7);
    assertEquals(1, h.send(toStack(7, bytes("x"))).size());
    assertEquals(0, h.counter(StackCounter.UDP_NO_PORTS));
  }

  // --- connected endpoints and ICMP errors ---

  /** An ICMP error from the host about a datagram the stack sent ({@code quoted}, whole). */
  private static byte[] icmpAbout(int type, int code, byte[] quoted) {
    return ipv4(HOST, STACK, ICMP, Packets.icmp(type, code, 0, 0, Arrays.copyOf(quoted, 28)));
  }

  @Test
  void aConnectedEndpointTakesItsPeerOnlyAndIsToldOfPortUnreachable() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    List<UdpError> told = new ArrayList<>();
    e.setEvents(new UdpEvents() {
      @Override
      public void onError(UdpEndpoint endpoint) {
        told.add(endpoint.error());
      }
    });
    e.connect(HOST, 7);
    e.send(Unpooled.wrappedBuffer(bytes("ping")));
    byte[] sent = h.poll().get(0);
    assertArrayEquals(fromStack(0, udp(STACK, HOST, 5000, 7, bytes("ping"))), sent);

    // From another port of the same host: not for a connected socket; Linux answers as for a closed port.
    List<byte[]> out = h.send(ipv4(HOST, STACK, UDP, udp(HOST, STACK, 8, 5000, bytes("stranger"))));
    assertEquals(1, out.size());
    assertEquals(3, payload(out.get(0))[0]);
    assertEquals(0, e.queuedDatagrams());

    h.send(icmpAbout(3, 3, sent));
    assertEquals(List.of(UdpError.PORT_UNREACHABLE), told);
    assertEquals(UdpError.PORT_UNREACHABLE, e.takeError());
    assertNull(e.takeError(), "one message fails one call");
    assertEquals(1, h.counter(StackCounter.UDP_ICMP_ERRORS_REPORTED));
  }

  @Test
  void anUnconnectedEndpointIsNotToldAndTransientErrorsAreIgnored() {
    UdpEndpoint e = udp().bind(5000, UdpLayer.DEFAULT_RECEIVE_BUFFER);
    e.send(Unpooled.wrappedBuffer(bytes("ping")), HOST, 7);
    byte[] sent = h.poll().get(0);
    h.send(icmpAbout(3, 3, sent));
    assertNull(e.error());

    e.connect(HOST, 7);
    h.send(icmpAbout(3, 1, sent)); // host unreachable: transient, as Linux
    h.send(icmpAbout(11, 0, sent)); // time exceeded
    assertNull(e.error());
    h.send(icmpAbout(3, 2, sent));
    assertEquals(UdpError.PROTOCOL_UNREACHABLE, e.takeError());
    e.disconnect();
    h.send(icmpAbout(3, 3, sent));
    assertNull(e.error());
    assertEquals(4, h.counter(StackCounter.ICMP_IN_IGNORED));
  }
}
