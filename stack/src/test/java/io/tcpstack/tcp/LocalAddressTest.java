package io.tcpstack.tcp;

import static io.tcpstack.testing.Packets6.HOST6;
import static io.tcpstack.testing.Packets6.STACK6;
import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.CapturingSink;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Packets6;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.IpAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 9293 §3.9.1.1 (MUST-43): the OPEN call's optional local IP address. The stack has 198.18.0.2
 * and fd00:7463:7073::2; the peer is 198.18.0.1 and fd00:7463:7073::1. An active open names the
 * address its SYN leaves from; a listener bound to one of the stack's addresses takes only SYNs sent
 * to that address, and a SYN to the other finds no listener (RST, as a closed port); an address the
 * stack does not have is refused. Every packet the stack emits is checked for its IP source and
 * destination here, segment by segment.
 */
class LocalAddressTest {

  static final int PORT = 7;
  static final int PEER_PORT = 40000;
  static final int PEER_ISS = 10_000;
  static final int WINDOW = 65535;
  /** MTU 1500 less 40 (IPv4 + TCP). */
  static final int MSS = 1460;
  /** MTU 1500 less 60 (IPv6 + TCP, RFC 8200 §8.3). */
  static final int MSS6 = 1440;
  static final IpAddress STACK4 = IpAddress.ofIpv4(Packets.STACK);
  static final IpAddress HOST4 = IpAddress.ofIpv4(Packets.HOST);
  static final IsnGenerator ISN = new IsnGenerator(new byte[16]);

  private final CapturingSink sink = new CapturingSink();
  private final NetworkStack stack = new NetworkStack(StackConfig.builder()
      .address(Packets.STACK, 24)
      .address6(STACK6, 64)
      .isnKey(new byte[16])
      .ephemeralPortSeed(0)
      .build(), sink, Offload.NONE);
  private final List<TcpConnection> owned = new ArrayList<>();

  @AfterEach
  void close() {
    for (TcpConnection c : owned) {
      c.dispose();
    }
    stack.close();
  }

  /** A segment the stack sent, with the IP addresses it went between. */
  record Sent(IpAddress from, IpAddress to, Seg seg) {}

  /** Everything the stack emitted since the last call. */
  private List<Sent> sent() {
    List<Sent> out = new ArrayList<>();
    for (byte[] p : sink.take()) {
      if ((p[0] & 0xF0) == 0x60) {
        out.add(new Sent(Packets6.source(p), Packets6.destination(p), Seg.parse6(p)));
      } else {
        out.add(new Sent(IpAddress.ofIpv4(Packets.u32(p, 12)), IpAddress.ofIpv4(Packets.u32(p, 16)), Seg.parse(p)));
      }
    }
    return out;
  }

  /** Delivers {@code s} from the peer's address of the family of {@code to}, to {@code to}. */
  private void receive(IpAddress to, Seg s) {
    byte[] packet = to.isIpv4()
        ? Packets.ipv4(Packets.HOST, to.ipv4(), 6, 0x4242, true, false, 0, 64, s.toBytes(Packets.HOST, to.ipv4()))
        : Packets6.ipv6(HOST6, to, 6, s.toBytes6(HOST6, to));
    ByteBuf b = Unpooled.directBuffer(packet.length);
    try {
      b.writeBytes(packet);
      stack.receive(b, Offload.NONE, 0);
    } finally {
      b.release();
    }
  }

  static Seg synFromPeer() {
    return new Seg(PEER_PORT, PORT, PEER_ISS, 0, SYN, 29200, -1, new byte[0], null);
  }

  /** What the stack answers a SYN with on a port where nothing listens: RFC 9293 §3.10.7.1. */
  static Seg resetForClosedPort() {
    return new Seg(PORT, PEER_PORT, 0, PEER_ISS + 1, RST | ACK, 0, -1, new byte[0], null);
  }

  /** The SYN-ACK a listener's new connection with {@code local} sends the peer at {@code peer}. */
  static Seg synAck(IpAddress local, IpAddress peer) {
    int iss = ISN.isn(local, PORT, peer, PEER_PORT, 0);
    return new Seg(PORT, PEER_PORT, iss, PEER_ISS + 1, SYN | ACK, WINDOW, local.isIpv4() ? MSS : MSS6, new byte[0],
        null);
  }

  @Test
  void anActiveOpenNamingTheIpv4AddressSendsItsSynFromThatAddress() {
    // RFC 9293 MUST-43: the application names the local address of an active open.
    TcpConnection c = stack.tcp().connect(HOST4, 80, STACK4, TcpConfig.DEFAULT, 0);
    owned.add(c);
    int port = c.localPort();
    assertEquals(List.of(new Sent(STACK4, HOST4,
        new Seg(port, 80, ISN.isn(STACK4, port, HOST4, 80, 0), 0, SYN, WINDOW, MSS, new byte[0], null))), sent());
    assertEquals(STACK4, c.localIp());
    assertEquals(TcpState.SYN_SENT, c.state());
  }

  @Test
  void anActiveOpenNamingTheIpv6AddressSendsItsSynFromThatAddress() {
    // RFC 9293 MUST-43: the same over IPv6, from the stack's IPv6 address.
    TcpConnection c = stack.tcp().connect(HOST6, 80, STACK6, TcpConfig.DEFAULT, 0);
    owned.add(c);
    int port = c.localPort();
    assertEquals(List.of(new Sent(STACK6, HOST6,
        new Seg(port, 80, ISN.isn(STACK6, port, HOST6, 80, 0), 0, SYN, WINDOW, MSS6, new byte[0], null))), sent());
    assertEquals(STACK6, c.localIp());
  }

  @Test
  void aListenerOnTheIpv4AddressDoesNotAnswerASynToTheIpv6Address() {
    // RFC 9293 MUST-43: a passive open bound to one address takes SYNs sent to it only.
    TcpListener l = stack.tcp().listen(PORT, 8, STACK4, TcpConfig.DEFAULT);
    assertEquals(STACK4, l.localAddress());
    receive(STACK6, synFromPeer());
    assertEquals(List.of(new Sent(STACK6, HOST6, resetForClosedPort())), sent());
    assertEquals(1, stack.counters().get(StackCounter.TCP_NO_PORT));
    assertEquals(0, l.halfOpen());
    receive(STACK4, synFromPeer());
    assertEquals(List.of(new Sent(STACK4, HOST4, synAck(STACK4, HOST4))), sent());
    assertEquals(1, l.halfOpen());
  }

  @Test
  void aListenerOnTheIpv6AddressDoesNotAnswerASynToTheIpv4Address() {
    // RFC 9293 MUST-43: and the other way round.
    TcpListener l = stack.tcp().listen(PORT, 8, STACK6, TcpConfig.DEFAULT);
    receive(STACK4, synFromPeer());
    assertEquals(List.of(new Sent(STACK4, HOST4, resetForClosedPort())), sent());
    assertEquals(0, l.halfOpen());
    receive(STACK6, synFromPeer());
    assertEquals(List.of(new Sent(STACK6, HOST6, synAck(STACK6, HOST6))), sent());
    assertEquals(1, l.halfOpen());
  }

  @Test
  void aListenerNamingNoAddressAnswersSynsToBoth() {
    // RFC 9293 MUST-43: the local address is optional; without it the listener takes every address.
    TcpListener l = stack.tcp().listen(PORT, 8, null, TcpConfig.DEFAULT);
    assertNull(l.localAddress());
    receive(STACK4, synFromPeer());
    receive(STACK6, synFromPeer());
    assertEquals(List.of(new Sent(STACK4, HOST4, synAck(STACK4, HOST4)), new Sent(STACK6, HOST6, synAck(STACK6, HOST6))),
        sent());
    assertEquals(2, l.halfOpen());
  }

  @Test
  void aLocalAddressTheStackDoesNotHaveIsRefusedWithTheAddressesItHas() {
    // RFC 9293 MUST-43: the local address must be one of this host's.
    IpAddress foreign = IpAddress.ofIpv4(Packets.address(10, 9, 9, 9));
    String expected = "10.9.9.9 is not an address of this stack: it has 198.18.0.2 and fd00:7463:7073::2";
    IllegalArgumentException listen = assertThrows(IllegalArgumentException.class,
        () -> stack.tcp().listen(PORT, 8, foreign, TcpConfig.DEFAULT));
    assertEquals(expected, listen.getMessage());
    IllegalArgumentException connect = assertThrows(IllegalArgumentException.class,
        () -> stack.tcp().connect(HOST4, 80, foreign, TcpConfig.DEFAULT, 0));
    assertEquals(expected, connect.getMessage());
    IllegalArgumentException foreign6 = assertThrows(IllegalArgumentException.class,
        () -> stack.tcp().connect(HOST6, 80, HOST6, TcpConfig.DEFAULT, 0));
    assertEquals("fd00:7463:7073::1 is not an address of this stack: it has 198.18.0.2 and fd00:7463:7073::2",
        foreign6.getMessage());
    assertEquals(0, stack.tcp().listenerCount());
    assertEquals(0, stack.tcp().openConnectionCount());
    assertEquals(List.of(), sent());
  }

  @Test
  void aLocalAddressOfTheOtherFamilyThanThePeersIsRefused() {
    // RFC 9293 MUST-43: the stack's IPv4 address cannot reach an IPv6 peer, nor the other way round.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> stack.tcp().connect(HOST6, 80, STACK4, TcpConfig.DEFAULT, 0));
    assertEquals("cannot connect from 198.18.0.2 to fd00:7463:7073::1: the addresses are of different families",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> stack.tcp().connect(HOST4, 80, STACK6, TcpConfig.DEFAULT, 0));
    assertEquals(0, stack.tcp().openConnectionCount());
    assertEquals(List.of(), sent());
  }
}
