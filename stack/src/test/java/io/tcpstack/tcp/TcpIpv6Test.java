package io.tcpstack.tcp;

import static io.tcpstack.testing.Packets6.HOST6;
import static io.tcpstack.testing.Packets6.STACK6;
import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Packets6;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import io.tcpstack.wire.IpAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TCP over IPv6, segment by segment: the same state machine as over IPv4 (the other segment tests
 * cover it), here with what differs — the 128-bit demux, the checksum over the IPv6 pseudo-header
 * (RFC 8200 §8.1), MSS = MTU - 60 (RFC 8200 §8.3), ISNs and ports hashed over the 128-bit
 * addresses, and ICMPv6 errors. Every segment the stack emits is checked by the harness to be an
 * IPv6 packet from fd00:7463:7073::2 to ::1, hop limit 64, its TCP checksum right over the IPv6
 * pseudo-header.
 */
class TcpIpv6Test {

  static final int PEER_ISS = 10_000;
  static final int WINDOW = 65535;
  /** RFC 8200 §8.3: MTU 1500 - 40 (IPv6) - 20 (TCP). */
  static final int MSS6 = 1440;
  static final IsnGenerator ISN = new IsnGenerator(new byte[16]);

  private final TcpHarness h = TcpHarness.ipv6();
  private TcpConnection conn;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, 29200, -1, new byte[0], null);
  }

  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, WINDOW, -1, new byte[0], null);
  }

  private int established() {
    TcpListener l = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS6));
    int iss = ISN.isn(STACK6, LOCAL_PORT, HOST6, PEER_PORT, 0);
    h.expect(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS6));
    h.send(peer().ack(iss + 1));
    h.expectNothing();
    conn = l.accept();
    assertNotNull(conn);
    assertEquals(TcpState.ESTABLISHED, conn.state());
    assertEquals(HOST6, conn.remoteIp());
    assertEquals(STACK6, conn.localIp());
    return iss;
  }

  @Test
  void passiveHandshakeAnnouncesMtuLess60AndTheIsnOfThe128BitTuple() {
    int iss = established();
    assertNotEquals(ISN.isn(Packets.STACK, LOCAL_PORT, Packets.HOST, PEER_PORT, 0), iss,
        "not the IPv4 tuple's ISN");
    assertEquals(1, h.counter(StackCounter.TCP_PASSIVE_OPENS));
  }

  @Test
  void dataBothWaysInSegmentsOfTheIpv6Mss() {
    int iss = established();
    byte[] data = Packets.pattern(3000);
    assertEquals(3000, h.write(conn, data));
    List<Seg> out = h.take();
    assertEquals(3, out.size());
    assertEquals(local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK).payload(Arrays.copyOfRange(data, 0, MSS6)),
        out.get(0));
    assertEquals(local().seq(iss + 1 + MSS6).ack(PEER_ISS + 1).flags(ACK)
        .payload(Arrays.copyOfRange(data, MSS6, 2 * MSS6)), out.get(1));
    assertEquals(local().seq(iss + 1 + 2 * MSS6).ack(PEER_ISS + 1).flags(PSH | ACK)
        .payload(Arrays.copyOfRange(data, 2 * MSS6, 3000)), out.get(2));
    h.send(peer().ack(iss + 3001).flags(PSH | ACK).payload("hello over IPv6"));
    assertArrayEquals("hello over IPv6".getBytes(StandardCharsets.US_ASCII), h.read(conn, 100));
    assertEquals(iss + 3001, conn.sndUna());
  }

  @Test
  void activeOpenFromAnEphemeralPort() {
    TcpConnection c = h.connect(80, TcpConfig.DEFAULT);
    conn = c;
    List<Seg> out = h.take();
    assertEquals(1, out.size());
    Seg syn = out.get(0);
    int port = c.localPort();
    assertEquals(new Seg(port, 80, ISN.isn(STACK6, port, HOST6, 80, 0), 0, SYN, WINDOW, MSS6, new byte[0], null), syn);
    assertEquals(TcpState.SYN_SENT, c.state());
    h.send(new Seg(80, port, 5000, syn.seq + 1, SYN | ACK, 28800, MSS6, new byte[0], null));
    h.expect(new Seg(port, 80, syn.seq + 1, 5001, ACK, WINDOW, -1, new byte[0], null));
    assertEquals(TcpState.ESTABLISHED, c.state());
    assertEquals(1, h.counter(StackCounter.TCP_ACTIVE_OPENS));
  }

  @Test
  void synToAClosedPortDrawsRstAck() {
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS6).ports(PEER_PORT, 8));
    h.expect(new Seg(8, PEER_PORT, 0, PEER_ISS + 1, RST | ACK, 0, -1, new byte[0], null));
    h.send(peer().ack(777).ports(PEER_PORT, 8));
    h.expect(new Seg(8, PEER_PORT, 777, 0, RST, 0, -1, new byte[0], null));
    assertEquals(2, h.counter(StackCounter.TCP_NO_PORT));
  }

  @Test
  void rstClosesTheConnection() {
    int iss = established();
    h.send(peer().seq(PEER_ISS + 1).flags(RST));
    h.expectNothing();
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(0, h.stack().tcp().openConnectionCount());
    h.send(peer().ack(iss + 1));
    h.expect(local().seq(iss + 1).flags(RST).window(0)); // a closed port now
  }

  @Test
  void checksumOverTheIpv4PseudoHeaderIsRejected() {
    h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    // The same segment, summed as if the addresses were IPv4: wrong over IPv6.
    byte[] tcp = peer().seq(PEER_ISS).flags(SYN).mss(MSS6).toBytes(Packets.HOST, Packets.STACK);
    h.send(Packets6.ipv6(HOST6, STACK6, 6, tcp));
    h.expectNothing();
    assertEquals(1, h.counter(StackCounter.TCP_IN_BAD_CHECKSUM));
  }

  @Test
  void oneListenerTakesBothFamilies() {
    TcpListener l = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS6));
    int iss6 = h.take().get(0).seq;
    h.send(peer().ack(iss6 + 1));
    // From 198.18.0.1 to the same port, over IPv4.
    byte[] syn4 = peer().seq(PEER_ISS).flags(SYN).mss(1460).toBytes(Packets.HOST, Packets.STACK);
    h.stack().receive(io.netty.buffer.Unpooled.wrappedBuffer(
        Packets.ipv4(Packets.HOST, Packets.STACK, 6, syn4)), h.now());
    int iss4 = ISN.isn(Packets.STACK, LOCAL_PORT, Packets.HOST, PEER_PORT, 0);
    byte[] ack4 = peer().ack(iss4 + 1).toBytes(Packets.HOST, Packets.STACK);
    h.stack().receive(io.netty.buffer.Unpooled.wrappedBuffer(
        Packets.ipv4(Packets.HOST, Packets.STACK, 6, ack4)), h.now());
    TcpConnection first = l.accept();
    TcpConnection second = l.accept();
    assertEquals(HOST6, first.remoteIp());
    assertEquals(IpAddress.ofIpv4(Packets.HOST), second.remoteIp());
    assertEquals(2, h.stack().tcp().openConnectionCount());
    first.dispose();
    second.dispose();
  }

  @Test
  void timeWaitAnswersARetransmittedFin() {
    int iss = established();
    h.close(conn);
    h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
    h.send(peer().ack(iss + 2).flags(FIN | ACK));
    h.expect(local().seq(iss + 2).ack(PEER_ISS + 2).flags(ACK));
    assertEquals(1, h.stack().tcp().timeWaitCount());
    assertEquals(0, h.stack().tcp().openConnectionCount());
    h.atMs(100).send(peer().ack(iss + 2).flags(FIN | ACK));
    h.expect(local().seq(iss + 2).ack(PEER_ISS + 2).flags(ACK));
    h.atMs(120_000).expectNothing();
    assertEquals(0, h.stack().tcp().timeWaitCount(), "gone after 2 MSL");
  }

  /** An ICMPv6 error from a router on the path about the segment {@code about}. */
  private static byte[] icmpv6About(int type, int code, int rest, Seg about) {
    IpAddress router = IpAddress.parse("fd00:1::1");
    byte[] quoted = Packets6.ipv6(STACK6, HOST6, 6, about.toBytes6(STACK6, HOST6));
    byte[] body = Arrays.copyOf(quoted, Math.min(quoted.length, 1232));
    return Packets6.ipv6(router, STACK6, 58, Packets6.icmpv6(router, STACK6, type, code, rest, body));
  }

  @Test
  void packetTooBigLowersTheMssAndResendsTheFlight() {
    int iss = established();
    byte[] data = Packets.pattern(2 * MSS6);
    h.write(conn, data);
    List<Seg> sent = h.take();
    assertEquals(2, sent.size());
    h.atMs(10).send(icmpv6About(2, 0, 1280, sent.get(0)));
    List<Seg> resent = h.take();
    assertEquals(local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK).payload(Arrays.copyOfRange(data, 0, 1220)),
        resent.get(0), "RFC 8200 §8.3: 1280 - 60");
    assertEquals(1, h.counter(StackCounter.TCP_PMTU_UPDATES));
    assertEquals(1280, h.stack().ip6().pathMtu(HOST6.hi(), HOST6.lo(), h.now()), "kept for new connections");
  }

  @Test
  void packetTooBigBelowTheMinimumMtuStopsAt1280() {
    established();
    h.write(conn, Packets.pattern(MSS6));
    Seg sent = h.take().get(0);
    h.send(icmpv6About(2, 0, 600, sent));
    assertEquals(1220, h.take().get(0).payload.length);
  }

  @Test
  void portUnreachableRefusesAConnectionAttempt() {
    TcpConnection c = h.connect(80, TcpConfig.DEFAULT);
    conn = c;
    Seg syn = h.take().get(0);
    h.send(icmpv6About(1, 4, 0, syn));
    assertEquals(TcpState.CLOSED, c.state());
    assertEquals(TcpError.REFUSED, c.error());
    assertEquals(1, h.counter(StackCounter.TCP_ICMP_HARD_ERRORS));
  }

  @Test
  void icmpv6ErrorForNoConnectionIsCounted() {
    Seg stray = local().seq(1).ack(1).flags(ACK).ports(7, 9);
    h.send(icmpv6About(1, 3, 0, stray));
    assertEquals(1, h.counter(StackCounter.TCP_ICMP_NO_CONNECTION));
  }

  @Test
  void connectingOverIpv6WithoutAnAddressIsRefusedAtOnce() {
    try (TcpHarness v4 = new TcpHarness()) {
      assertThrows(IllegalStateException.class, () -> v4.stack().tcp().connect(HOST6, 80, TcpConfig.DEFAULT, 0));
    }
  }

  @Test
  void synCookieOverIpv6CompletesTheHandshake() {
    try (TcpHarness c = TcpHarness.ipv6(b -> b.synBacklog(1))) {
      TcpListener l = c.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      c.send(peer().ports(PEER_PORT + 1, LOCAL_PORT).seq(PEER_ISS).flags(SYN).mss(MSS6));
      assertEquals(1, c.take().size(), "the SYN queue's one place");
      c.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS6));
      int cookie = new SynCookies(ISN).cookie(STACK6, LOCAL_PORT, HOST6, PEER_PORT, PEER_ISS,
          SynCookies.mssIndex(MSS6), 0);
      c.expect(local().seq(cookie).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS6));
      assertEquals(1, c.counter(StackCounter.TCP_SYN_COOKIES_SENT));
      c.send(peer().ack(cookie + 1));
      c.expectNothing();
      assertEquals(1, c.counter(StackCounter.TCP_SYN_COOKIES_VALIDATED));
      TcpConnection made = l.accept();
      assertEquals(HOST6, made.remoteIp());
      assertEquals(TcpState.ESTABLISHED, made.state());
      assertNotEquals(cookie, new SynCookies(ISN).cookie(Packets.STACK, LOCAL_PORT, Packets.HOST, PEER_PORT, PEER_ISS,
          SynCookies.mssIndex(MSS6), 0), "not the IPv4 tuple's cookie");
      made.dispose();
    }
  }

  @Test
  void ipv6HashesMatchTheGeneralSipHash() {
    // The allocation-free form against the general algorithm (itself checked on the reference
    // vectors in IsnGeneratorTest) over the 36-byte tuple.
    byte[] key = Packets.pattern(16);
    IsnGenerator g = new IsnGenerator(key);
    long k0 = IsnGenerator.littleEndianLong(key, 0, 8);
    long k1 = IsnGenerator.littleEndianLong(key, 8, 8);
    java.nio.ByteBuffer m = java.nio.ByteBuffer.allocate(36);
    m.put(Packets6.bytes(STACK6)).put(Packets6.bytes(HOST6)).putShort((short) 7).putShort((short) 40000);
    long h64 = IsnGenerator.sipHash24(k0, k1, m.array(), 0, 36);
    assertEquals((int) (h64 ^ (h64 >>> 32)), g.offset(STACK6, 7, HOST6, 40000));
    assertEquals(g.offset(Packets.STACK, 7, Packets.HOST, 40000),
        g.offset(IpAddress.ofIpv4(Packets.STACK), 7, IpAddress.ofIpv4(Packets.HOST), 40000), "IPv4 unchanged");
  }
}
