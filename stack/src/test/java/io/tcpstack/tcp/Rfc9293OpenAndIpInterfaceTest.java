package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.NetworkStack;
import io.tcpstack.StackConfig;
import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.CapturingSink;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import io.tcpstack.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * RFC 9293's MUSTs about the OPEN call (§3.9.1.1), the IP interface (§3.9.1.9, §3.9.2: DSCP, TTL,
 * IP options, source routes, ICMP Source Quench, address validation) and the options we write
 * (§3.1, §3.2), at segment level; the raw IP packets where the IP header is what is checked.
 */
class Rfc9293OpenAndIpInterfaceTest {

  static final int PEER_ISS = 10_000;

  final TcpHarness h = new TcpHarness();

  @AfterEach
  void close() {
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS, 0, 0, 29200, -1, new byte[0], null);
  }

  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, 65535, -1, new byte[0], null);
  }

  /** An IPv4 datagram from the peer to {@code dst} carrying {@code s}, its header with {@code options} (a multiple of 4 bytes). */
  static byte[] ipv4WithOptions(int src, int dst, byte[] options, Seg s) {
    byte[] tcp = s.toBytes(src, dst);
    int hl = 20 + options.length;
    byte[] p = new byte[hl + tcp.length];
    ByteBuffer b = ByteBuffer.wrap(p);
    b.put((byte) (0x40 | hl / 4)).put((byte) 0).putShort((short) p.length).putShort((short) 0x4242);
    b.putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0);
    b.putInt(src).putInt(dst).put(options).put(tcp);
    int c = Packets.checksum(p, 0, hl);
    p[10] = (byte) (c >>> 8);
    p[11] = (byte) c;
    return p;
  }

  // ------------------------------------------------------------------ OPEN (§3.9.1.1)

  @Nested
  class Open {

    @Test
    void aSecondListenOnAPortFailsAndLeavesTheListenerAndItsConnectionAlone() {
      // RFC 9293 MUST-41: a passive OPEN makes a new LISTEN record or fails; it never touches an existing one.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().flags(SYN).mss(1460));
      int iss = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 1));
      TcpConnection conn = listener.accept();
      assertNotNull(conn);
      assertThrows(IllegalStateException.class, () -> h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT));
      assertEquals(TcpState.ESTABLISHED, conn.state());
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 1).flags(ACK | PSH).payload("still here"));
      assertArrayEquals("still here".getBytes(), h.read(conn, 100));
      // The listener still takes new connections.
      h.send(peer().ports(PEER_PORT + 1, LOCAL_PORT).flags(SYN).mss(1460));
      List<Seg> out = h.take();
      assertEquals(1, out.size());
      assertEquals(SYN | ACK, out.get(0).flags);
      conn.dispose();
      listener.close(h.now());
    }

    @Test
    void aPortWhoseConnectionIsInSynSentOrSynReceivedCanBeListenedOn() {
      // RFC 9293 MUST-42: LISTEN on a port while a connection from that local port is in SYN-SENT or SYN-RECEIVED.
      TcpConnection c = h.connect(LOCAL_PORT, TcpConfig.DEFAULT);
      Seg syn = h.take().get(0);
      int port = syn.srcPort;
      assertEquals(TcpState.SYN_SENT, c.state());
      TcpListener first = h.listen(port, 8, TcpConfig.DEFAULT);
      first.close(h.now());
      // Simultaneous open: the peer's own SYN takes the connection to SYN-RECEIVED.
      h.send(new Seg(LOCAL_PORT, port, PEER_ISS, 0, SYN, 29200, 1460, new byte[0], null));
      assertEquals(TcpState.SYN_RECEIVED, c.state());
      h.take();
      TcpListener second = h.listen(port, 8, TcpConfig.DEFAULT);
      h.send(new Seg(LOCAL_PORT, port, PEER_ISS + 1, syn.seq + 1, ACK, 29200, -1, new byte[0], null));
      assertEquals(TcpState.ESTABLISHED, c.state());
      assertNull(second.accept(), "the connection is not the listener's");
      second.close(h.now());
      c.dispose();
    }

    @Test
    void anActiveOpenToABroadcastMulticastOrUnspecifiedAddressIsRejected() {
      // RFC 9293 MUST-46: an OPEN to a broadcast or multicast remote address is an error.
      int[] bad = {Packets.address(255, 255, 255, 255), Packets.address(198, 18, 0, 255), Packets.address(224, 0, 0, 1),
          Packets.address(239, 1, 2, 3), Packets.address(0, 0, 0, 0)};
      for (int a : bad) {
        assertThrows(IllegalArgumentException.class,
            () -> h.stack().tcp().connect(a, 80, TcpConfig.DEFAULT, h.now()), Packets.address(0, 0, 0, 0) + " " + a);
      }
      for (String a : new String[] {"ff02::1", "ff05::2", "::"}) {
        assertThrows(IllegalArgumentException.class,
            () -> h.stack().tcp().connect(IpAddress.parse(a), 80, TcpConfig.DEFAULT, h.now()), a);
      }
      h.expectNothing();
      assertEquals(0, h.stack().tcp().connectionCount());
      // A unicast address on the same subnet is fine.
      TcpConnection c = h.stack().tcp().connect(Packets.address(198, 18, 0, 1), 80, TcpConfig.DEFAULT, h.now());
      assertEquals(SYN, h.take().get(0).flags);
      c.dispose();
    }
  }

  // ------------------------------------------------------------------ the IP header of our segments

  /** A stack whose emitted packets are kept raw, to read their IP headers. */
  static final class RawStack implements AutoCloseable {
    final CapturingSink sink = new CapturingSink();
    final NetworkStack stack = new NetworkStack(StackConfig.builder().address(Packets.STACK, 24).isnKey(new byte[16])
        .ephemeralPortSeed(0).build(), sink, Offload.NONE);

    void send(byte[] packet) {
      ByteBuf b = Unpooled.directBuffer(packet.length);
      try {
        b.writeBytes(packet);
        stack.receive(b, Offload.NONE, 0);
      } finally {
        b.release();
      }
    }

    void send(Seg s) {
      send(Packets.ipv4(Packets.HOST, Packets.STACK, 6, s.toBytes(Packets.HOST, Packets.STACK)));
    }

    int write(TcpConnection c, byte[] data) {
      ByteBuf b = Unpooled.wrappedBuffer(data);
      try {
        return c.send(b, data.length, 0);
      } finally {
        b.release();
      }
    }

    @Override
    public void close() {
      stack.close();
    }
  }

  static int dscp(byte[] ipv4) {
    return Packets.u8(ipv4, 1) >>> 2;
  }

  static int ttl(byte[] ipv4) {
    return Packets.u8(ipv4, 8);
  }

  @Nested
  class IpHeader {

    @Test
    void everySegmentOfAConnectionCarriesTheDscpAndTtlTheApplicationChose() {
      // RFC 9293 MUST-48: the application sets the DS field of its segments; MUST-49: the TTL is configurable.
      TcpConfig config = TcpConfig.builder().dscp(46).ttl(7).build();
      try (RawStack s = new RawStack()) {
        TcpConnection c = s.stack.tcp().connect(Packets.HOST, 80, config, 0);
        List<byte[]> out = s.sink.take();
        Seg syn = Seg.parse(out.get(0));
        s.send(new Seg(80, syn.srcPort, PEER_ISS, syn.seq + 1, SYN | ACK, 29200, 1460, new byte[0], null));
        s.write(c, new byte[100]);
        s.send(new Seg(80, syn.srcPort, PEER_ISS + 1, syn.seq + 101, ACK | PSH, 29200, -1, new byte[10], null));
        c.abort(0);
        out.addAll(s.sink.take());
        // SYN, ACK of the SYN-ACK, data, RST (the data from the peer may be acknowledged with the RST or before it).
        assertTrue(out.size() >= 4, out.size() + " packets");
        for (byte[] p : out) {
          assertEquals(46, dscp(p), "DSCP of " + Seg.parse(p));
          assertEquals(0, Packets.u8(p, 1) & 3, "ECN bits");
          assertEquals(7, ttl(p), "TTL of " + Seg.parse(p));
        }
        c.dispose();
      }
    }

    @Test
    void aListenersDscpAndTtlGoToTheConnectionsItAcceptsAndTheDefaultsAreZeroAnd64() {
      // RFC 9293 MUST-48, MUST-49 for a passive OPEN; the defaults when the application says nothing.
      try (RawStack s = new RawStack()) {
        TcpListener marked = s.stack.tcp().listen(LOCAL_PORT, 8, TcpConfig.builder().dscp(10).ttl(200).build());
        TcpListener plain = s.stack.tcp().listen(LOCAL_PORT + 1, 8, TcpConfig.DEFAULT);
        s.send(peer().flags(SYN).mss(1460));
        s.send(peer().ports(PEER_PORT, LOCAL_PORT + 1).flags(SYN).mss(1460));
        List<byte[]> out = s.sink.take();
        assertEquals(2, out.size());
        assertEquals(10, dscp(out.get(0)));
        assertEquals(200, ttl(out.get(0)));
        assertEquals(0, dscp(out.get(1)));
        assertEquals(TcpConfig.DEFAULT_TTL, ttl(out.get(1)));
        assertEquals(64, TcpConfig.DEFAULT_TTL);
        marked.close(0);
        plain.close(0);
      }
    }

    @Test
    void aDscpOrTtlOutOfRangeIsRefused() {
      assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().dscp(64));
      assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().dscp(-1));
      assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().ttl(0));
      assertThrows(IllegalArgumentException.class, () -> TcpConfig.builder().ttl(256));
      assertEquals(63, TcpConfig.builder().dscp(63).ttl(255).build().dscp());
    }

    @Test
    void theSynAndEverySegmentAfterItLeaveFromTheStacksAddress() {
      // RFC 9293 MUST-44: without a local address given, the IP layer picks it before the first SYN;
      // MUST-45: every later segment of the connection uses that same address.
      try (RawStack s = new RawStack()) {
        TcpConnection c = s.stack.tcp().connect(Packets.HOST, 80, TcpConfig.DEFAULT, 0);
        assertEquals(IpAddress.ofIpv4(Packets.STACK), c.localIp());
        List<byte[]> out = s.sink.take();
        Seg syn = Seg.parse(out.get(0));
        s.send(new Seg(80, syn.srcPort, PEER_ISS, syn.seq + 1, SYN | ACK, 29200, 1460, new byte[0], null));
        s.write(c, new byte[3000]);
        c.close(0);
        out.addAll(s.sink.take());
        assertTrue(out.size() >= 4);
        for (byte[] p : out) {
          assertEquals(Packets.STACK, Packets.u32(p, 12), "source of " + Seg.parse(p));
        }
        c.dispose();
      }
    }
  }

  // ------------------------------------------------------------------ what arrives (§3.9.2)

  @Nested
  class Arriving {

    @Test
    void ipOptionsTheStackDoesNotUnderstandAreIgnoredAndTheSegmentTaken() {
      // RFC 9293 MUST-50: IP options TCP does not understand are ignored.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      byte[][] optionSets = {
          {(byte) 0x9e, 4, 0, 0}, // an unassigned option (copied, class 0, number 30) with a length
          {7, 7, 4, 0, 0, 0, 0, 0}, // Record Route, one empty slot
          {(byte) 0x44, 8, 5, 0, 0, 0, 0, 0}, // Internet Timestamp, one empty slot
          {1, 1, 1, 0}}; // NOPs then EOL
      for (int i = 0; i < optionSets.length; i++) {
        h.send(ipv4WithOptions(Packets.HOST, Packets.STACK, optionSets[i],
            peer().ports(PEER_PORT + i, LOCAL_PORT).flags(SYN).mss(1460)));
        List<Seg> out = h.take();
        assertEquals(1, out.size(), "options " + i);
        assertEquals(SYN | ACK, out.get(0).flags);
        assertEquals(PEER_ISS + 1, out.get(0).ack);
      }
      listener.close(h.now());
    }

    @Test
    void aSourceRoutedDatagramIsDroppedAndCounted() {
      // RFC 9293 MUST-51..53: the stack offers no source routing, so a source-routed SYN (loose or
      // strict, its route completed or not) is dropped before TCP, and never answered by another route.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      byte[] lsrrDone = {(byte) 131, 7, 8, (byte) 198, 18, 0, 9, 0}; // pointer past the one address: completed
      byte[] ssrr = {1, (byte) 137, 7, 4, (byte) 198, 18, 0, 9};
      h.send(ipv4WithOptions(Packets.HOST, Packets.STACK, lsrrDone, peer().flags(SYN).mss(1460)));
      h.send(ipv4WithOptions(Packets.HOST, Packets.STACK, ssrr, peer().ports(PEER_PORT + 1, LOCAL_PORT).flags(SYN).mss(1460)));
      h.expectNothing();
      assertEquals(2, h.counter(StackCounter.IP_IN_SOURCE_ROUTED));
      assertNull(listener.accept());
      // The same SYN without the option is answered.
      h.send(peer().flags(SYN).mss(1460));
      assertEquals(SYN | ACK, h.take().get(0).flags);
      listener.close(h.now());
    }

    @Test
    void aSynToABroadcastOrMulticastAddressIsDiscardedSilently() {
      // RFC 9293 MUST-57: a segment addressed to a broadcast or multicast address is discarded silently.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      int[] destinations = {Packets.address(255, 255, 255, 255), Packets.address(198, 18, 0, 255),
          Packets.address(224, 0, 0, 1)};
      for (int d : destinations) {
        Seg syn = peer().flags(SYN).mss(1460);
        h.send(Packets.ipv4(Packets.HOST, d, 6, 1, false, false, 0, 64, syn.toBytes(Packets.HOST, d)));
      }
      h.expectNothing();
      assertEquals(destinations.length, h.counter(StackCounter.IP_IN_NOT_FOR_US));
      assertNull(listener.accept());
      assertEquals(0, h.stack().tcp().connectionCount());
      listener.close(h.now());
    }

    @Test
    void aSynFromAnInvalidSourceAddressIsIgnored() {
      // RFC 9293 MUST-63: a SYN whose source address is not a valid unicast address is ignored.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      int[] sources = {Packets.address(0, 0, 0, 0), Packets.address(127, 0, 0, 1), Packets.address(224, 0, 0, 1),
          Packets.address(255, 255, 255, 255), Packets.address(198, 18, 0, 255), Packets.STACK};
      for (int src : sources) {
        Seg syn = peer().flags(SYN).mss(1460);
        h.send(Packets.ipv4(src, Packets.STACK, 6, 1, false, false, 0, 64, syn.toBytes(src, Packets.STACK)));
      }
      h.expectNothing();
      assertEquals(sources.length, h.counter(StackCounter.IP_IN_BAD_SOURCE));
      assertEquals(0, h.stack().tcp().connectionCount());
      listener.close(h.now());
    }

    @Test
    void aSourceQuenchAboutAConnectionsSegmentIsDiscardedSilently() {
      // RFC 9293 MUST-55: ICMP Source Quench is discarded silently: nothing sent, the connection goes on as before.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().flags(SYN).mss(1460));
      int iss = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 1));
      TcpConnection conn = listener.accept();
      h.write(conn, new byte[1000]);
      Seg data = h.take().get(0);
      long cwnd = conn.info().cwnd();
      byte[] datagram = Packets.ipv4(Packets.STACK, Packets.HOST, 6, 0x1111, true, false, 0, 63,
          data.toBytes(Packets.STACK, Packets.HOST));
      byte[] quote = java.util.Arrays.copyOf(datagram, 28);
      h.send(Packets.ipv4(Packets.address(198, 18, 0, 254), Packets.STACK, 1, Packets.icmp(4, 0, 0, 0, quote)));
      h.expectNothing();
      assertEquals(1, h.counter(StackCounter.ICMP_IN_IGNORED));
      assertEquals(cwnd, conn.info().cwnd());
      assertNull(conn.error());
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 1001));
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(iss + 1001, conn.sndUna());
      conn.dispose();
      listener.close(h.now());
    }

    @Test
    void aRstIsTakenEvenWhenTheReceiveWindowIsZero() {
      // RFC 9293 MUST-66: RST is processed even when the receive window is zero.
      TcpConfig small = TcpConfig.builder().receiveBufferSize(1024).windowScaling(false).timestamps(false).sack(false).build();
      TcpListener listener = h.listen(LOCAL_PORT, 8, small);
      h.send(peer().flags(SYN).mss(1460));
      int iss = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 1));
      TcpConnection conn = listener.accept();
      int offered = 0;
      int seq = PEER_ISS + 1;
      // Fill the window the stack offers, never reading.
      for (int i = 0; i < 8; i++) {
        h.send(peer().seq(seq).ack(iss + 1).flags(ACK).payload(new byte[256]));
        List<Seg> acks = h.atMs(h.now() / 1_000_000 + 500).take();
        if (!acks.isEmpty()) {
          offered = acks.get(acks.size() - 1).window;
        }
        seq = conn.rcvNxt();
        if (offered == 0 && !acks.isEmpty()) {
          break;
        }
      }
      assertEquals(0, offered, "the receive window closed");
      h.send(peer().seq(conn.rcvNxt()).flags(RST));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.RESET, conn.error());
      conn.dispose();
      listener.close(h.now());
    }
  }

  // ------------------------------------------------------------------ SEND without a PUSH flag (§3.9.1.2)

  @Nested
  class Push {

    @Test
    void aWriteLeavesAtOnceAndItsLastSegmentAloneCarriesPsh() {
      // RFC 9293 MUST-60: without PUSH flags on SEND, data is never held indefinitely; MUST-61: the
      // segment that empties the send queue carries PSH.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().flags(SYN).mss(1460));
      int iss = h.take().get(0).seq;
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 1));
      TcpConnection conn = listener.accept();
      h.write(conn, new byte[4000]);
      List<Seg> out = h.take();
      assertEquals(List.of(1460, 1460, 1080), out.stream().map(x -> x.payload.length).toList());
      assertEquals(List.of(ACK, ACK, ACK | PSH), out.stream().map(x -> x.flags).toList());
      // A small write while nothing is in flight leaves at once too, with PSH.
      h.send(peer().seq(PEER_ISS + 1).ack(iss + 4001));
      h.write(conn, new byte[10]);
      out = h.take();
      assertEquals(1, out.size());
      assertEquals(ACK | PSH, out.get(0).flags);
      conn.dispose();
      listener.close(h.now());
    }
  }

  // ------------------------------------------------------------------ the options we write (§3.1, §3.2)

  @Nested
  class OurOptions {

    /** Every emitted packet's TCP options, checked: lengths on all but EOL and NOP, zeros after EOL. */
    void checkOptions(byte[] ipv4, boolean syn) {
      byte[] t = Packets.payload(ipv4);
      int hl = (Packets.u8(t, 12) >>> 4) * 4;
      int i = 20;
      boolean sawMss = false;
      while (i < hl) {
        int kind = Packets.u8(t, i);
        if (kind == 0) {
          // RFC 9293 MUST-69: what follows EOL in the header is zero padding.
          for (int j = i + 1; j < hl; j++) {
            assertEquals(0, Packets.u8(t, j), "padding after EOL");
          }
          break;
        }
        if (kind == 1) {
          i++;
          continue;
        }
        // RFC 9293 MUST-68: every option but EOL and NOP has a length, and it fits the header.
        assertTrue(i + 1 < hl, "option " + kind + " has its length byte");
        int length = Packets.u8(t, i + 1);
        assertTrue(length >= 2 && i + length <= hl, "option " + kind + " length " + length);
        sawMss |= kind == 2;
        i += length;
      }
      // RFC 9293 MUST-65: the MSS option only in a SYN.
      assertEquals(syn, sawMss, "MSS option in " + Seg.parse(ipv4));
    }

    @Test
    void everyOptionWeSendHasALengthThePaddingIsZeroAndMssRidesOnlyOnSyns() {
      // RFC 9293 MUST-65, MUST-68, MUST-69, over a connection with every option negotiated.
      try (RawStack s = new RawStack()) {
        TcpListener listener = s.stack.tcp().listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
        byte[] linuxSynOptions = {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
        s.send(peer().flags(SYN).rawOptions(linuxSynOptions));
        List<byte[]> out = s.sink.take();
        Seg synAck = Seg.parse(out.get(0));
        assertTrue(synAck.timestamps && synAck.sackPermitted && synAck.windowScale >= 0);
        s.send(peer().seq(PEER_ISS + 1).ack(synAck.seq + 1).ts(2, synAck.tsVal));
        TcpConnection conn = listener.accept();
        s.write(conn, new byte[5000]);
        // Out-of-order data draws an ACK with SACK blocks.
        s.send(peer().seq(PEER_ISS + 101).ack(synAck.seq + 1).flags(ACK | PSH).payload(new byte[50]).ts(3, synAck.tsVal));
        conn.abort(0);
        out.addAll(s.sink.take());
        assertTrue(out.size() >= 4);
        boolean sawSack = false;
        for (byte[] p : out) {
          Seg seg = Seg.parse(p);
          checkOptions(p, (seg.flags & SYN) != 0);
          sawSack |= seg.sack.length > 0;
        }
        assertTrue(sawSack, "an ACK with SACK blocks was checked");
        conn.dispose();
        listener.close(0);
      }
    }

    @Test
    void theMssWeOfferFitsWhatTheIpLayerCanReceive() {
      // RFC 9293 MUST-67: the MSS we send is at most MMS_R - 20; MMS_R (RFC 1122 §3.3.2) is the largest
      // datagram we reassemble (65535) less the IP header, and we offer the MTU less 40, below it.
      TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer().flags(SYN).mss(1460));
      Seg synAck = h.take().get(0);
      assertEquals(1460, synAck.mss);
      assertTrue(synAck.mss <= StackConfig.MAX_DATAGRAM - 20 - 20);
      listener.close(h.now());
    }
  }
}
