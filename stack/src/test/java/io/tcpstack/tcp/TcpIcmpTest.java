package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * ICMP errors about our segments, at segment level: path MTU discovery (RFC 1191), the checks of
 * RFC 5927 §4.1, soft and hard errors (RFC 1122 §4.2.3.9), malformed messages. A router at
 * 198.18.0.254 sends the ICMP messages, quoting the datagrams the stack sent.
 */
class TcpIcmpTest {

  static final int PEER_ISS = 10_000;
  static final int WINDOW = 65535;
  static final long MS = 1_000_000L;
  static final long MINUTE = 60_000 * MS;
  static final int ROUTER = Packets.address(198, 18, 0, 254);
  static final int ICMP = 1;
  /** RFC 792 types and codes, written out here rather than taken from the code under test. */
  static final int UNREACHABLE = 3;
  static final int TIME_EXCEEDED = 11;
  static final int HOST_UNREACHABLE = 1;
  static final int PORT_UNREACHABLE = 3;
  static final int FRAGMENTATION_NEEDED = 4;
  /** The stack's datagrams carry DF (0x4000 in the flags field). */
  static final boolean DF = true;

  final TcpHarness h = new TcpHarness();
  TcpListener listener;
  TcpConnection conn;
  final List<TcpConnection> others = new ArrayList<>();
  int iss;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    others.forEach(TcpConnection::dispose);
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, 29200, -1, new byte[0], null);
  }

  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, WINDOW, -1, new byte[0], null);
  }

  static byte[] bytes(int n) {
    return Packets.pattern(n);
  }

  /** {@code n} bytes of {@link #bytes} from {@code offset}. */
  static byte[] slice(byte[] data, int offset, int n) {
    return Arrays.copyOfRange(data, offset, offset + n);
  }

  /** The datagram the stack sent for {@code s}, as a router on the way saw it. */
  static byte[] datagram(Seg s) {
    return Packets.ipv4(Packets.STACK, Packets.HOST, 6, 0x1111, DF, false, 0, 63, s.toBytes(Packets.STACK, Packets.HOST));
  }

  /**
   * An ICMP error from the router about {@code datagram}, quoting its first {@code quote} bytes
   * (RFC 792: the IP header and 8 bytes; Linux quotes up to 576 bytes of ICMP in all).
   */
  static byte[] icmpAbout(int type, int code, int nextHopMtu, byte[] datagram, int quote) {
    byte[] quoted = Arrays.copyOf(datagram, Math.min(quote, datagram.length));
    return Packets.ipv4(ROUTER, Packets.STACK, ICMP, Packets.icmp(type, code, 0, nextHopMtu, quoted));
  }

  /** "Fragmentation needed and DF set" with the next-hop MTU, quoting the header and 8 bytes. */
  static byte[] fragmentationNeeded(int nextHopMtu, Seg about) {
    return icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, nextHopMtu, datagram(about), 28);
  }

  /** LISTEN, handshake with a peer whose MSS is 1460: ESTABLISHED, send MSS 1460. */
  void established() {
    listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    iss = h.take().get(0).seq;
    h.send(peer().ack(iss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(MSS, conn.sendMss());
  }

  /** Three full segments of {@code data} (4380 bytes) in flight. */
  List<Seg> threeSegmentsInFlight(byte[] data) {
    h.write(conn, data);
    List<Seg> out = h.take();
    assertEquals(List.of(
        local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK).payload(slice(data, 0, 1460)),
        local().seq(iss + 1461).ack(PEER_ISS + 1).flags(ACK).payload(slice(data, 1460, 1460)),
        local().seq(iss + 2921).ack(PEER_ISS + 1).flags(ACK | PSH).payload(slice(data, 2920, 1460))), out);
    return out;
  }

  /** The segments of {@code data} from its start at payload size {@code mss}, as resent after a go-back. */
  List<Seg> resentAt(int mss, byte[] data) {
    List<Seg> segs = new ArrayList<>();
    for (int offset = 0; offset < data.length; offset += mss) {
      int n = Math.min(mss, data.length - offset);
      boolean last = offset + n == data.length;
      segs.add(local().seq(iss + 1 + offset).ack(PEER_ISS + 1).flags(ACK | (last ? PSH : 0))
          .payload(slice(data, offset, n)));
    }
    return segs;
  }

  // ------------------------------------------------------------------ path MTU discovery (RFC 1191)

  @Nested
  class PathMtuDiscovery {
    @Test
    void fragmentationNeededLowersTheMssAndResendsTheFlightAtOnceInSegmentsOfTheNewSize() {
      established();
      byte[] data = bytes(4380);
      List<Seg> sent = threeSegmentsInFlight(data);
      TcpInfo before = conn.info();
      h.atMs(10).send(fragmentationNeeded(1280, sent.get(0)));
      // 1280 - 40 = 1240 bytes a segment, from SND.UNA, all of it now: 1240, 1240, 1240, 660.
      h.expect(resentAt(1240, data).toArray(new Seg[0]));
      assertEquals(1240, conn.sendMss());
      assertEquals(1, h.counter(StackCounter.TCP_PMTU_UPDATES));
      assertEquals(4, h.counter(StackCounter.TCP_RETRANS_SEGS));
      assertEquals(before.cwnd(), conn.info().cwnd(), "not congestion: cwnd stays (RFC 1191 §6.4)");
      assertEquals(before.ssthresh(), conn.info().ssthresh());
      h.atMs(60).send(peer().ack(iss + 4381));
      h.expectNothing();
      assertEquals(before.srttNs(), conn.info().srttNs(), "Karn: no RTT sample from resent segments");
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }

    @Test
    void furtherMessagesAboutTheSameFlightDoNotLowerItAgainNorResend() {
      established();
      byte[] data = bytes(4380);
      List<Seg> sent = threeSegmentsInFlight(data);
      h.send(fragmentationNeeded(1280, sent.get(0)));
      h.take();
      // RFC 1191 §6.4: the router's messages about the 2nd and 3rd segments say what we know.
      h.send(fragmentationNeeded(1280, sent.get(1)));
      h.send(fragmentationNeeded(1280, sent.get(2)));
      h.expectNothing();
      // Never raised by a message (RFC 1191 §3).
      h.send(fragmentationNeeded(1400, resentAt(1240, data).get(0)));
      h.expectNothing();
      assertEquals(1240, conn.sendMss());
      assertEquals(1, h.counter(StackCounter.TCP_PMTU_UPDATES));
    }

    @Test
    void aQuotedSequenceNumberOutsideTheFlightIsIgnoredAndCounted() {
      established();
      byte[] data = bytes(4380);
      List<Seg> sent = threeSegmentsInFlight(data);
      // RFC 5927 §4.1: SND.UNA <= SEG.SEQ < SND.MAX, else stale or forged.
      h.send(fragmentationNeeded(1280, sent.get(0).seq(iss))); // below SND.UNA (our SYN, acknowledged)
      h.send(fragmentationNeeded(1280, sent.get(0).seq(iss + 4381))); // SND.MAX: never sent
      h.send(fragmentationNeeded(1280, sent.get(0).seq(iss + 1_000_000)));
      h.expectNothing();
      assertEquals(MSS, conn.sendMss());
      assertEquals(3, h.counter(StackCounter.TCP_ICMP_OUT_OF_WINDOW));
      assertEquals(0, h.counter(StackCounter.TCP_PMTU_UPDATES));
    }

    @Test
    void withoutANextHopMtuTheNextPlateauBelowTheQuotedLengthIsTried() {
      established();
      byte[] data = bytes(4380);
      List<Seg> sent = threeSegmentsInFlight(data);
      // RFC 1191 §5: an old router (next-hop MTU 0) about a 1500-byte datagram: plateau 1492.
      h.send(fragmentationNeeded(0, sent.get(0)));
      List<Seg> resent = resentAt(1452, data);
      h.expect(resent.toArray(new Seg[0]));
      // Still too big: about a 1492-byte datagram, the next plateau, 1006.
      h.send(fragmentationNeeded(0, resent.get(0)));
      h.expect(resentAt(966, data).toArray(new Seg[0]));
      assertEquals(966, conn.sendMss());
      assertEquals(2, h.counter(StackCounter.TCP_PMTU_UPDATES));
    }

    @Test
    void segmentsNeverShrinkBelow536BytesAndGoWithoutDfOnAPathBelow576() {
      established();
      byte[] data = bytes(4380);
      List<Seg> sent = threeSegmentsInFlight(data);
      h.expectDontFragment(false);
      h.send(fragmentationNeeded(296, sent.get(0)));
      // 536-byte segments (the 576-byte floor), without DF for the 296-byte hop to fragment them.
      List<Seg> resent = resentAt(536, data);
      h.expect(resent.toArray(new Seg[0]));
      assertEquals(536, conn.sendMss());
      // Lower still (the 68-byte minimum): the estimate drops, the segments cannot.
      h.send(fragmentationNeeded(68, resent.get(0)));
      h.expectNothing();
      assertEquals(536, conn.sendMss());
      assertEquals(2, h.counter(StackCounter.TCP_PMTU_UPDATES));
    }

    @Test
    void anErrorAboutAnAckWhenNothingIsInFlightIsIgnored() {
      established();
      // Nothing in flight: no sequence number is acceptable (SND.UNA = SND.MAX).
      h.send(fragmentationNeeded(1280, local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK)));
      h.expectNothing();
      assertEquals(MSS, conn.sendMss());
      assertEquals(1, h.counter(StackCounter.TCP_ICMP_OUT_OF_WINDOW));
    }

    @Test
    void aNewConnectionToThatDestinationStartsWithTheLearnedMssUntilItExpires() {
      established();
      byte[] data = bytes(4380);
      List<Seg> sent = threeSegmentsInFlight(data);
      h.send(fragmentationNeeded(1280, sent.get(0)));
      h.take();
      h.send(peer().ack(iss + 4381));
      // A second connection from the same peer: its SYN says MSS 1460, and our SYN-ACK still
      // offers ours (RFC 1191 §6.4: PMTU discovery does not change the MSS option), but our
      // segments fit the path learned a moment ago.
      TcpConnection second = acceptFrom(PEER_PORT + 1);
      assertEquals(1240, second.sendMss());
      h.write(second, bytes(1300));
      List<Seg> out = h.take();
      assertEquals(2, out.size(), out.toString());
      assertEquals(1240, out.get(0).payload.length);
      assertEquals(60, out.get(1).payload.length);
      // RFC 1191 §6.3: ten minutes after it was last lowered, the estimate is forgotten.
      h.atMs(10 * 60_000 - 1).take();
      assertEquals(1240, acceptFrom(PEER_PORT + 2).sendMss());
      h.atMs(10 * 60_000).take();
      assertEquals(MSS, acceptFrom(PEER_PORT + 3).sendMss());
    }

    @Test
    void anActiveOpenTakesTheLearnedMssFromThePathToo() {
      established();
      List<Seg> sent = threeSegmentsInFlight(bytes(4380));
      h.send(fragmentationNeeded(1006, sent.get(0)));
      h.take();
      TcpConnection c = h.connect(8080, TcpConfig.DEFAULT);
      others.add(c);
      Seg syn = h.take().get(0);
      assertEquals(MSS, syn.mss, "our SYN offers our own MSS (RFC 1191 §3.1)");
      h.send(new Seg(8080, c.localPort(), PEER_ISS, syn.seq + 1, SYN | ACK, 29200, 1460, new byte[0], null));
      assertEquals(TcpState.ESTABLISHED, c.state());
      assertEquals(966, c.sendMss());
    }

    /** A passive open from the peer's port {@code port}; returns the established connection. */
    TcpConnection acceptFrom(int port) {
      h.send(peer().ports(port, LOCAL_PORT).seq(PEER_ISS).flags(SYN).mss(1460));
      List<Seg> synAck = h.take();
      assertEquals(1, synAck.size());
      assertEquals(MSS, synAck.get(0).mss);
      h.send(peer().ports(port, LOCAL_PORT).ack(synAck.get(0).seq + 1));
      TcpConnection c = listener.accept();
      assertNotNull(c);
      others.add(c);
      return c;
    }
  }

  // ------------------------------------------------------------------ soft and hard errors (RFC 1122 §4.2.3.9)

  @Nested
  class SoftAndHardErrors {
    int connIss;

    Seg syn() {
      return new Seg(conn.localPort(), 8080, connIss, 0, SYN, WINDOW, MSS, new byte[0], null);
    }

    void synSent(TcpConfig config) {
      conn = h.connect(8080, config);
      connIss = h.take().get(0).seq;
    }

    @Test
    void aConnectThatTimesOutAfterHostUnreachableSaysHostUnreachable() {
      synSent(TcpConfig.DEFAULT.toBuilder().retries(3, 15).build());
      h.atMs(10).send(icmpAbout(UNREACHABLE, HOST_UNREACHABLE, 0, datagram(syn()), 28));
      h.expectNothing();
      assertEquals(TcpState.SYN_SENT, conn.state(), "a soft error: RFC 1122 §4.2.3.9 MUST NOT abort");
      assertEquals(1, h.counter(StackCounter.TCP_ICMP_SOFT_ERRORS));
      h.atMs(1000).expect(syn());
      h.atMs(3000).expect(syn());
      h.atMs(7000).expect(syn());
      h.atMs(15_000).expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.HOST_UNREACHABLE, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_TIMEOUTS));
    }

    @Test
    void portUnreachableInSynSentRefusesTheConnectAtOnce() {
      synSent(TcpConfig.DEFAULT);
      h.atMs(5).send(icmpAbout(UNREACHABLE, PORT_UNREACHABLE, 0, datagram(syn()), 28));
      h.expectNothing();
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.REFUSED, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_ICMP_HARD_ERRORS));
      h.atMs(5000).expectNothing(); // no SYN retransmitted
    }

    @Test
    void anEstablishedConnectionGoesOnAfterAnyErrorAndReportsTheLastIfItTimesOut() {
      established();
      byte[] data = bytes(10);
      h.write(conn, data);
      Seg seg = h.take().get(0);
      // RFC 5927 §5.2: even port unreachable is soft once synchronized.
      h.send(icmpAbout(UNREACHABLE, PORT_UNREACHABLE, 0, datagram(seg), 28));
      h.send(icmpAbout(TIME_EXCEEDED, 0, 0, datagram(seg), 28));
      h.expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(2, h.counter(StackCounter.TCP_ICMP_SOFT_ERRORS));
      // The data retries run out (15 by default, back-off capped at 60 s): reported as the last error.
      for (long t = 0; t <= 30 * MINUTE && conn.state() != TcpState.CLOSED; t += 1000 * MS) {
        h.at(t).take();
      }
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.TTL_EXCEEDED, conn.error());
    }

    @Test
    void anAcknowledgmentAfterTheErrorMakesALaterTimeoutAPlainTimeout() {
      established();
      byte[] data = bytes(20);
      h.write(conn, slice(data, 0, 10));
      Seg seg = h.take().get(0);
      h.send(icmpAbout(UNREACHABLE, HOST_UNREACHABLE, 0, datagram(seg), 28));
      h.atMs(20).send(peer().ack(iss + 11)); // the peer is there after all
      h.write(conn, slice(data, 10, 10));
      for (long t = 0; t <= 30 * MINUTE && conn.state() != TcpState.CLOSED; t += 1000 * MS) {
        h.at(Math.max(t, h.now())).take();
      }
      assertEquals(TcpError.TIMED_OUT, conn.error());
    }

    @Test
    void icmpTypesAndCodesMapToWhatTheApplicationHears() {
      assertEquals(TcpError.NET_UNREACHABLE, TcpError.ofIcmp(UNREACHABLE, 0));
      assertEquals(TcpError.HOST_UNREACHABLE, TcpError.ofIcmp(UNREACHABLE, 1));
      assertEquals(TcpError.REFUSED, TcpError.ofIcmp(UNREACHABLE, 2));
      assertEquals(TcpError.REFUSED, TcpError.ofIcmp(UNREACHABLE, 3));
      assertEquals(TcpError.HOST_UNREACHABLE, TcpError.ofIcmp(UNREACHABLE, 5));
      assertEquals(TcpError.NET_UNREACHABLE, TcpError.ofIcmp(UNREACHABLE, 6));
      assertEquals(TcpError.HOST_UNREACHABLE, TcpError.ofIcmp(UNREACHABLE, 7));
      assertEquals(TcpError.ADMIN_PROHIBITED, TcpError.ofIcmp(UNREACHABLE, 9));
      assertEquals(TcpError.ADMIN_PROHIBITED, TcpError.ofIcmp(UNREACHABLE, 10));
      assertEquals(TcpError.NET_UNREACHABLE, TcpError.ofIcmp(UNREACHABLE, 11));
      assertEquals(TcpError.ADMIN_PROHIBITED, TcpError.ofIcmp(UNREACHABLE, 13));
      assertEquals(TcpError.TTL_EXCEEDED, TcpError.ofIcmp(TIME_EXCEEDED, 0));
      assertEquals(TcpError.TTL_EXCEEDED, TcpError.ofIcmp(TIME_EXCEEDED, 1));
      assertEquals(TcpError.PARAMETER_PROBLEM, TcpError.ofIcmp(12, 0));
    }
  }

  // ------------------------------------------------------------------ malformed and misdirected messages

  @Nested
  class Malformed {
    Seg inFlight;

    void establishedWithDataInFlight() {
      established();
      h.write(conn, bytes(1460));
      inFlight = h.take().get(0);
    }

    /** The message changed nothing: no segment, the MSS as it was. */
    void nothingHappened() {
      h.expectNothing();
      assertEquals(MSS, conn.sendMss());
      assertEquals(0, h.counter(StackCounter.TCP_PMTU_UPDATES));
    }

    @Test
    void aQuoteShorterThanTheHeaderAndEightBytesIsDroppedAndCounted() {
      establishedWithDataInFlight();
      byte[] d = datagram(inFlight);
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, d, 27)); // 7 bytes of TCP
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, d, 19)); // not even the IP header
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, d, 0));
      nothingHappened();
      assertEquals(3, h.counter(StackCounter.ICMP_IN_ERRORS));
      assertEquals(3, h.counter(StackCounter.ICMP_IN_DEST_UNREACHS));
    }

    @Test
    void aQuoteWithABadVersionOrHeaderLengthIsDroppedAndCounted() {
      establishedWithDataInFlight();
      byte[] v6 = datagram(inFlight);
      v6[0] = 0x65;
      byte[] ihl4 = datagram(inFlight);
      ihl4[0] = 0x44;
      byte[] ihl15 = datagram(inFlight); // claims 60 bytes of header: the quote ends before its TCP bytes
      ihl15[0] = 0x4F;
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, v6, 28));
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, ihl4, 28));
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, ihl15, 60));
      nothingHappened();
      assertEquals(3, h.counter(StackCounter.ICMP_IN_ERRORS));
    }

    @Test
    void aQuoteOfSomeoneElsesDatagramOrOfALaterFragmentIsDroppedAndCounted() {
      establishedWithDataInFlight();
      byte[] tcp = inFlight.toBytes(Packets.STACK, Packets.HOST);
      byte[] notOurs = Packets.ipv4(Packets.address(198, 18, 0, 9), Packets.HOST, 6, 1, DF, false, 0, 64, tcp);
      byte[] laterFragment = Packets.ipv4(Packets.STACK, Packets.HOST, 6, 1, false, false, 1480, 64, tcp);
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, notOurs, 28));
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, laterFragment, 28));
      nothingHappened();
      assertEquals(2, h.counter(StackCounter.ICMP_IN_ERRORS));
    }

    @Test
    void anErrorAboutNoConnectionOrAnotherProtocolIsIgnoredAndCounted() {
      establishedWithDataInFlight();
      h.send(fragmentationNeeded(1280, inFlight.ports(LOCAL_PORT, PEER_PORT + 1)));
      byte[] udp = Packets.ipv4(Packets.STACK, Packets.HOST, 17, 1, DF, false, 0, 64, new byte[1400]);
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, udp, 28));
      nothingHappened();
      assertEquals(1, h.counter(StackCounter.TCP_ICMP_NO_CONNECTION));
      assertEquals(1, h.counter(StackCounter.ICMP_IN_IGNORED));
    }

    @Test
    void aBadChecksumOrATruncatedMessageIsDroppedAndCounted() {
      establishedWithDataInFlight();
      byte[] bad = fragmentationNeeded(1280, inFlight);
      bad[20 + 8 + 12] ^= 1; // a byte of the quote: the ICMP checksum covers it
      h.send(bad);
      byte[] whole = fragmentationNeeded(1280, inFlight);
      h.send(Packets.ipv4(ROUTER, Packets.STACK, ICMP, Arrays.copyOfRange(whole, 20, 27)));
      nothingHappened();
      assertEquals(1, h.counter(StackCounter.ICMP_IN_BAD_CHECKSUM));
      assertEquals(1, h.counter(StackCounter.ICMP_IN_TRUNCATED));
    }

    @Test
    void theErrorPathAllocatesNothingPerMessage() {
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean
          && ((com.sun.management.ThreadMXBean) threads).isThreadAllocatedMemoryEnabled(), "no allocation counter");
      com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
      establishedWithDataInFlight();
      h.send(fragmentationNeeded(1280, inFlight));
      h.take();
      // Messages that go all the way to the connection: one in window that lowers nothing, one
      // out of window. Heap buffers: the paranoid leak detector allocates on every access of its own.
      io.netty.buffer.ByteBuf same = io.netty.buffer.Unpooled.wrappedBuffer(fragmentationNeeded(1280, inFlight));
      io.netty.buffer.ByteBuf stale = io.netty.buffer.Unpooled.wrappedBuffer(fragmentationNeeded(576, inFlight.seq(iss)));
      for (int i = 0; i < 20_000; i++) {
        h.stack().receive(same.resetReaderIndex(), h.now());
        h.stack().receive(stale.resetReaderIndex(), h.now());
      }
      long before = counter.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 100_000; i++) {
        h.stack().receive(same.resetReaderIndex(), h.now());
        h.stack().receive(stale.resetReaderIndex(), h.now());
      }
      long allocated = counter.getCurrentThreadAllocatedBytes() - before;
      assertTrue(allocated < 4096, allocated + " bytes allocated over 200000 messages");
      assertEquals(120_000, h.counter(StackCounter.TCP_ICMP_OUT_OF_WINDOW));
      h.expectNothing();
      assertEquals(1240, conn.sendMss());
    }

    @Test
    void aLongQuoteAsLinuxSendsIsFine() {
      establishedWithDataInFlight();
      h.send(icmpAbout(UNREACHABLE, FRAGMENTATION_NEEDED, 1280, datagram(inFlight), 548));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(ACK).payload(slice(bytes(1460), 0, 1240)),
          local().seq(iss + 1241).ack(PEER_ISS + 1).flags(ACK | PSH).payload(slice(bytes(1460), 1240, 220)));
      assertEquals(1, h.counter(StackCounter.TCP_PMTU_UPDATES));
    }
  }
}
