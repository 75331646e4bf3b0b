package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * SYN cookies (RFC 4987 §3.6, Linux's scheme): the cookie itself — each MSS bucket round trip,
 * expiry after {@link SynCookies#MAX_AGE} periods, forgeries refused — and, segment by segment,
 * when a listener answers with one (its own SYN queue full, or the stack's half-open limit), the
 * options a cookie keeps in our TSval, and a connection made from a cookie carrying data both ways.
 *
 * <p>The harness's ISN key is 16 zero bytes: the test computes the cookies and timestamp offsets
 * the stack must use from the same key.
 */
class TcpSynCookiesTest {

  static final int PEER_ISS = 10_000;
  static final int PEER_TS = 1_000_000;
  static final int WINDOW = 65535;
  static final long MS = 1_000_000L;
  /** Our window scale for the default 256 KiB receive buffer (RFC 7323 §2.3): 262144 >> 3 fits 16 bits. */
  static final int OUR_SCALE = 3;
  static final TcpConfig NO_DELAYED_ACK = TcpConfig.builder().delayedAck(Duration.ZERO).build();

  static final IsnGenerator KEY = new IsnGenerator(new byte[16]);
  static final SynCookies COOKIES = new SynCookies(KEY);

  TcpHarness h;
  TcpListener listener;
  TcpConnection conn;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    if (h != null) {
      h.close();
      assertEquals(0, h.stack().tcp().pool().inUse(), "every chunk is back in the pool");
    }
  }

  static Seg peer(int port) {
    return new Seg(port, LOCAL_PORT, PEER_ISS + 1, 0, 0, WINDOW, -1, new byte[0], null);
  }

  static Seg peer() {
    return peer(PEER_PORT);
  }

  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, WINDOW, -1, new byte[0], null);
  }

  /** The cookie the stack must send the peer's port {@code port} for its SYN at {@code nowNs}. */
  static int cookie(int port, int mss, long nowNs) {
    return COOKIES.cookie(Packets.STACK, LOCAL_PORT, Packets.HOST, port, PEER_ISS, SynCookies.mssIndex(mss), nowNs);
  }

  /** Our TS clock's offset toward the peer's port {@code port} (RFC 7323 §5.4). */
  static int tsOffset(int port) {
    return KEY.timestampOffset(Packets.STACK, LOCAL_PORT, Packets.HOST, port);
  }

  /** SYN options: MSS, then (if not negative) Window Scale, SACK-Permitted if asked, Timestamps if asked. */
  static byte[] synOptions(int mss, int windowScale, boolean sack, boolean timestamps) {
    ByteBuffer b = ByteBuffer.allocate(40);
    b.put((byte) 2).put((byte) 4).putShort((short) mss);
    if (windowScale >= 0) {
      b.put((byte) 1).put((byte) 3).put((byte) 3).put((byte) windowScale);
    }
    if (sack) {
      b.put((byte) 1).put((byte) 1).put((byte) 4).put((byte) 2);
    }
    if (timestamps) {
      b.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt(PEER_TS).putInt(0);
    }
    byte[] options = new byte[b.position()];
    b.flip().get(options);
    return options;
  }

  /**
   * A stack whose listener on {@link TcpHarness#LOCAL_PORT} has a SYN queue of one, already taken by
   * a SYN from port {@code PEER_PORT + 1}: the next SYN gets a cookie.
   */
  void synQueueFull(TcpConfig config) {
    h = new TcpHarness(b -> b.synBacklog(1));
    listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN).mss(MSS));
    assertEquals(1, h.take().size());
    assertEquals(1, listener.halfOpen());
  }

  // ---------------------------------------------------------------- the cookie

  @Nested
  class Cookie {
    @Test
    void eachMssBucketSurvivesTheRoundTrip() {
      for (int i = 0; i < SynCookies.MSS_TABLE.length; i++) {
        int mss = SynCookies.MSS_TABLE[i];
        int c = COOKIES.cookie(Packets.STACK, 80, Packets.HOST, 40000 + i, PEER_ISS * i, SynCookies.mssIndex(mss), 0);
        assertEquals(i, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000 + i, PEER_ISS * i, 0), "MSS " + mss);
        assertEquals(mss, SynCookies.MSS_TABLE[SynCookies.mssIndex(mss)]);
      }
    }

    @Test
    void theMssBecomesTheLargestBucketNotAboveIt() {
      assertEquals(536, SynCookies.MSS_TABLE[SynCookies.mssIndex(100)]);
      assertEquals(536, SynCookies.MSS_TABLE[SynCookies.mssIndex(1299)]);
      assertEquals(1300, SynCookies.MSS_TABLE[SynCookies.mssIndex(1439)]);
      assertEquals(1440, SynCookies.MSS_TABLE[SynCookies.mssIndex(1448)]);
      assertEquals(1460, SynCookies.MSS_TABLE[SynCookies.mssIndex(8960)]);
    }

    @Test
    void aCookieIsGoodInItsPeriodAndTheNextOnly() {
      long madeNs = 5 * SynCookies.PERIOD_NS + 17 * MS;
      int c = COOKIES.cookie(Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, 3, madeNs);
      assertEquals(3, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, madeNs));
      long nextPeriodEndNs = 7 * SynCookies.PERIOD_NS - 1;
      assertEquals(3, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, nextPeriodEndNs));
      assertEquals(SynCookies.INVALID,
          COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, 7 * SynCookies.PERIOD_NS));
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS,
          5 * SynCookies.PERIOD_NS - 1), "a cookie from the future");
    }

    @Test
    void aCookieForAnotherTupleOrSequenceOrAlteredFails() {
      int c = COOKIES.cookie(Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, 2, 0);
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40001, PEER_ISS, 0));
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 81, Packets.HOST, 40000, PEER_ISS, 0));
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 80, Packets.HOST + 1, 40000, PEER_ISS, 0));
      // SEQ enters the cookie by addition, as in Linux: another SYN's sequence number shifts the
      // encoded data by the difference, valid only within the 4 MSS indexes (no gain to a peer who
      // holds the cookie anyway).
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS + 1000, 0));
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS - 3, 0));
      for (int bit = 0; bit < 32; bit++) {
        int altered = c ^ (1 << bit);
        int got = COOKIES.check(altered, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, 0);
        // The low two bits may move the MSS index to another valid one; nothing else passes.
        assertTrue(got == SynCookies.INVALID || (bit < 2 && got != 2), "bit " + bit + " gave " + got);
      }
    }

    @Test
    void anotherKeyMakesOtherCookies() {
      byte[] key = new byte[16];
      key[0] = 1;
      SynCookies other = new SynCookies(new IsnGenerator(key));
      int c = other.cookie(Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, 1, 0);
      assertEquals(SynCookies.INVALID, COOKIES.check(c, Packets.STACK, 80, Packets.HOST, 40000, PEER_ISS, 0));
    }

    @Test
    void theTimestampKeepsWindowScaleAndSackAndNeverRunsAhead() {
      long nowNs = 123_456 * MS;
      int ts = SynCookies.encodeTimestamp(nowNs, 7, true);
      assertEquals(7, SynCookies.decodeWindowScale(ts));
      assertTrue(SynCookies.decodeSack(ts));
      assertFalse(SynCookies.decodeEcn(ts));
      assertTrue(SeqNum.le(ts, Timestamps.tsVal(0, nowNs)));
      assertTrue(Timestamps.tsVal(0, nowNs) - ts < 64);
      int none = SynCookies.encodeTimestamp(nowNs, TcpOptions.NO_WINDOW_SCALE, false);
      assertEquals(TcpOptions.NO_WINDOW_SCALE, SynCookies.decodeWindowScale(none));
      assertFalse(SynCookies.decodeSack(none));
      // At a clock whose low bits are below the options': one step of 64 back, not ahead.
      int atZero = SynCookies.encodeTimestamp(64 * MS, 14, true);
      assertEquals(30, atZero);
    }
  }

  // ---------------------------------------------------------------- when cookies are sent

  @Nested
  class WhenSent {
    @Test
    void aFullSynQueueAnswersWithACookieAndKeepsNothing() {
      synQueueFull(TcpConfig.DEFAULT);
      int before = h.stack().tcp().openConnectionCount();
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      h.expect(local().seq(cookie(PEER_PORT, MSS, 0)).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS));
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
      assertEquals(before, h.stack().tcp().openConnectionCount(), "no state for the cookie");
      assertEquals(1, listener.halfOpen());
    }

    @Test
    void withCookiesOffAFullSynQueueDropsTheSyn() {
      h = new TcpHarness(b -> b.synBacklog(1).synCookies(false));
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN));
      assertEquals(1, h.take().size());
      h.send(peer().seq(PEER_ISS).flags(SYN));
      h.expectNothing();
      assertEquals(1, h.counter(StackCounter.TCP_SYN_QUEUE_OVERFLOWS));
      assertEquals(0, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
    }

    @Test
    void theStacksHalfOpenLimitAcrossListenersTriggersCookies() {
      h = new TcpHarness(b -> b.maxHalfOpen(2));
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      TcpListener other = h.listen(LOCAL_PORT + 1, 8, TcpConfig.DEFAULT);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      h.send(peer().ports(PEER_PORT, LOCAL_PORT + 1).seq(PEER_ISS).flags(SYN).mss(MSS));
      assertEquals(2, h.take().size());
      assertEquals(2, h.stack().tcp().halfOpenCount());
      h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN).mss(MSS));
      h.expect(local().ports(LOCAL_PORT, PEER_PORT + 1).seq(cookie(PEER_PORT + 1, MSS, 0)).ack(PEER_ISS + 1)
          .flags(SYN | ACK).mss(MSS));
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
      assertEquals(2, h.stack().tcp().halfOpenCount());
      assertEquals(1, listener.halfOpen());
      assertEquals(1, other.halfOpen());
      // The half-open ones complete as usual and make room: the next SYN gets state again.
      h.send(peer().seq(PEER_ISS + 1).flags(RST));
      assertEquals(1, h.stack().tcp().halfOpenCount());
      h.send(peer(PEER_PORT + 2).seq(PEER_ISS).flags(SYN).mss(MSS));
      assertEquals(1, h.take().size());
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
      assertEquals(2, h.stack().tcp().halfOpenCount());
    }
  }

  // ---------------------------------------------------------------- the ACK that returns a cookie

  @Nested
  class CookieAck {
    @Test
    void aHandshakeByCookieThenDataBothWaysByteExact() {
      synQueueFull(NO_DELAYED_ACK);
      int c = cookie(PEER_PORT, MSS, 0);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      h.expect(local().seq(c).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS));
      h.atMs(20).send(peer().ack(c + 1).flags(PSH | ACK).payload("hello, cookie"));
      h.expect(local().seq(c + 1).ack(PEER_ISS + 1 + 13).flags(ACK));
      conn = listener.accept();
      assertNotNull(conn);
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertArrayEquals("hello, cookie".getBytes(StandardCharsets.US_ASCII), h.read(conn, 100));
      assertEquals(MSS, conn.sendMss());
      assertFalse(conn.sackEnabled());
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_VALIDATED));
      assertEquals(0, h.counter(StackCounter.TCP_SYN_COOKIES_FAILED));
      assertEquals(1, listener.halfOpen(), "the cookie never took a place in the SYN queue");

      h.write(conn, "and back".getBytes(StandardCharsets.US_ASCII));
      h.expect(local().seq(c + 1).ack(PEER_ISS + 14).flags(PSH | ACK).payload("and back"));
      h.send(peer().seq(PEER_ISS + 14).ack(c + 1 + 8).flags(ACK));
      h.expectNothing();
      assertEquals(WINDOW, conn.info().sendWindow(), "an unscaled window without timestamps");
      // And the close, to show the sequence space is whole.
      h.shutdownOutput(conn);
      h.expect(local().seq(c + 9).ack(PEER_ISS + 14).flags(Seg.FIN | ACK));
    }

    @Test
    void theMssComesBackAsItsBucket() {
      synQueueFull(TcpConfig.DEFAULT);
      int c = COOKIES.cookie(Packets.STACK, LOCAL_PORT, Packets.HOST, PEER_PORT, PEER_ISS, SynCookies.mssIndex(1400), 0);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(1400));
      h.expect(local().seq(c).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS));
      h.send(peer().ack(c + 1).flags(ACK));
      conn = listener.accept();
      assertEquals(1300, conn.sendMss());
    }

    @Test
    void withTimestampsWindowScaleAndSackComeBackFromTheTsval() {
      synQueueFull(TcpConfig.DEFAULT);
      int c = cookie(PEER_PORT, MSS, 70 * MS);
      h.atMs(70).send(peer().seq(PEER_ISS).flags(SYN).window(WINDOW).rawOptions(synOptions(MSS, 7, true, true)));
      List<Seg> out = h.take();
      assertEquals(1, out.size());
      Seg synAck = out.get(0);
      assertEquals(local().seq(c).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS), synAck);
      assertEquals(OUR_SCALE, synAck.windowScale);
      assertTrue(synAck.sackPermitted);
      assertTrue(synAck.timestamps);
      assertEquals(PEER_TS, synAck.tsEcr);
      int clock = synAck.tsVal - tsOffset(PEER_PORT);
      assertEquals(7 | SynCookies.TS_SACK, clock & SynCookies.TS_OPTION_MASK, "wscale 7 and SACK in the low bits");
      // 70 ms with its low 6 bits replaced by 23 is 87, ahead of the clock: one step of 64 back.
      assertEquals(23, clock);

      h.atMs(90).send(peer().ack(c + 1).flags(ACK).window(100).ts(PEER_TS + 20, synAck.tsVal));
      conn = listener.accept();
      assertNotNull(conn);
      assertTrue(conn.sackEnabled());
      assertEquals(100 << 7, conn.info().sendWindow(), "the peer's window scaled by its shift, 7");
      assertEquals(MSS - 12, conn.sendMss(), "timestamps take 12 bytes of every segment");
      h.write(conn, new byte[] {1, 2, 3});
      out = h.take();
      assertEquals(1, out.size());
      assertTrue(out.get(0).timestamps);
      assertEquals(PEER_TS + 20, out.get(0).tsEcr, "TS.Recent from the cookie's ACK");
      assertEquals(90 + tsOffset(PEER_PORT), out.get(0).tsVal);
      assertEquals((256 * 1024) >> OUR_SCALE, out.get(0).window, "our whole buffer, scaled by our shift, 3");
    }

    @Test
    void withoutTimestampsTheCookieKeepsNoWindowScaleNorSack() {
      synQueueFull(TcpConfig.DEFAULT);
      int c = cookie(PEER_PORT, MSS, 0);
      h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(synOptions(MSS, 7, true, false)));
      List<Seg> out = h.take();
      assertEquals(List.of(local().seq(c).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS)), out);
      assertEquals(-1, out.get(0).windowScale, "no Window Scale offered");
      assertFalse(out.get(0).sackPermitted, "no SACK offered");
      assertFalse(out.get(0).timestamps);
      h.send(peer().ack(c + 1).flags(ACK).window(100));
      conn = listener.accept();
      assertNotNull(conn);
      assertFalse(conn.sackEnabled());
      assertEquals(100, conn.info().sendWindow(), "an unscaled window");
    }

    @Test
    void aForgedCookieDrawsRstAndIsCounted() {
      synQueueFull(TcpConfig.DEFAULT);
      int c = cookie(PEER_PORT, MSS, 0);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      h.take();
      h.send(peer().ack(c + 1 + (1 << 20)).flags(ACK));
      h.expect(local().seq(c + 1 + (1 << 20)).flags(RST).window(0));
      h.send(peer().seq(PEER_ISS + 1001).ack(c + 1).flags(ACK)); // another SYN's sequence number
      h.expect(local().seq(c + 1).flags(RST).window(0));
      assertEquals(2, h.counter(StackCounter.TCP_SYN_COOKIES_FAILED));
      assertEquals(0, h.counter(StackCounter.TCP_SYN_COOKIES_VALIDATED));
      assertNull(listener.accept());
    }

    @Test
    void anExpiredCookieIsRefusedAndCounted() {
      synQueueFull(TcpConfig.DEFAULT);
      int c = cookie(PEER_PORT, MSS, 0);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      h.take();
      // Another cookie a period later keeps the port checking cookies; the first is two periods old.
      h.at(SynCookies.PERIOD_NS + MS).take(); // the half-open connection's SYN-ACK retransmissions
      h.send(peer(PEER_PORT + 7).seq(PEER_ISS).flags(SYN).mss(MSS));
      assertEquals(2, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
      h.at(2 * SynCookies.PERIOD_NS).take();
      h.send(peer().ack(c + 1).flags(ACK));
      h.expect(local().seq(c + 1).flags(RST).window(0));
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_FAILED));
      assertNull(listener.accept());
    }

    @Test
    void aCookieOnePeriodOldStillWorks() {
      synQueueFull(TcpConfig.DEFAULT);
      int c = cookie(PEER_PORT, MSS, 0);
      h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
      h.take();
      h.at(2 * SynCookies.PERIOD_NS - 1).take();
      h.send(peer().ack(c + 1).flags(ACK));
      h.expectNothing();
      conn = listener.accept();
      assertNotNull(conn);
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_VALIDATED));
    }

    @Test
    void withoutCookiesSentRecentlyABareAckDrawsRstUnchecked() {
      h = new TcpHarness();
      listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      int c = cookie(PEER_PORT, MSS, 0);
      h.send(peer().ack(c + 1).flags(ACK));
      h.expect(local().seq(c + 1).flags(RST).window(0));
      assertEquals(0, h.counter(StackCounter.TCP_SYN_COOKIES_FAILED));
      assertNull(listener.accept(), "a valid cookie nobody was sent makes no connection");
    }

    @Test
    void aFullAcceptQueueDropsTheCookieAck() {
      h = new TcpHarness(b -> b.synBacklog(1));
      listener = h.listen(LOCAL_PORT, 1, NO_DELAYED_ACK);
      h.send(peer(PEER_PORT + 100).seq(PEER_ISS).flags(SYN).mss(MSS));
      assertEquals(1, h.take().size());
      int c1 = cookie(PEER_PORT + 1, MSS, 0);
      int c2 = cookie(PEER_PORT + 2, MSS, 0);
      h.send(peer(PEER_PORT + 1).seq(PEER_ISS).flags(SYN).mss(MSS));
      h.send(peer(PEER_PORT + 2).seq(PEER_ISS).flags(SYN).mss(MSS));
      assertEquals(2, h.take().size());
      assertEquals(2, h.counter(StackCounter.TCP_SYN_COOKIES_SENT));
      h.send(peer(PEER_PORT + 1).ack(c1 + 1).flags(ACK));
      assertEquals(1, listener.pending(), "the accept queue (1) is full");
      h.send(peer(PEER_PORT + 2).ack(c2 + 1).flags(ACK));
      h.expectNothing(); // dropped, as Linux does: no RST, the client's retransmission may find room
      assertEquals(1, h.counter(StackCounter.TCP_LISTEN_OVERFLOWS));
      assertEquals(1, h.counter(StackCounter.TCP_SYN_COOKIES_VALIDATED));
      TcpConnection first = listener.accept();
      try {
        h.send(peer(PEER_PORT + 2).ack(c2 + 1).flags(ACK));
        conn = listener.accept();
        assertNotNull(conn, "the cookie's ACK again, with room now");
        assertEquals(PEER_PORT + 2, conn.remotePort());
      } finally {
        first.dispose();
      }
    }
  }
}
