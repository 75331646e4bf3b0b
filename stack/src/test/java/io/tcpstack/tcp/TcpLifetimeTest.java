package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.FIN;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * No connection lives forever (issue 13, item 4), segment by segment on a virtual clock: the
 * FIN-WAIT-2 timeout of a closed connection, RST on data after the close and on a close with data
 * unread (RFC 9293 §3.6, RFC 1122 §4.2.2.13, RFC 2525 §2.17), the user timeout (RFC 9293 §3.10.8,
 * RFC 5482) and the lingering close's deadline. The fixture is {@link ConnectionFixture}: the
 * handshake completes at t=0, so the RTO is the 200 ms floor; the peer offers no SACK or timestamps.
 */
class TcpLifetimeTest extends ConnectionFixture {

  /** The application closes; the peer acknowledges our FIN at {@code ackMs}: FIN-WAIT-2. */
  void closedIntoFinWait2(long ackMs) {
    assertTrue(h.close(conn));
    h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
    assertEquals(TcpState.FIN_WAIT_1, conn.state());
    h.atMs(ackMs).send(peer().ack(iss + 2));
    h.expectNothing();
    assertEquals(TcpState.FIN_WAIT_2, conn.state());
  }

  /** The connection is gone from the stack and every buffer chunk is back in the pool. */
  void assertGone() {
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(0, h.stack().tcp().connectionCount());
    conn.dispose();
    conn = null;
    assertEquals(0, h.stack().tcp().pool().inUse(), "every chunk back in the pool");
  }

  // ------------------------------------------------------------------ FIN-WAIT-2

  @Nested
  class FinWait2Timeout {
    @Test
    void aClosedConnectionGivesUpSixtySecondsAfterItsFinWasAcknowledged() {
      established();
      closedIntoFinWait2(100);
      h.atMs(60_099).expectNothing(); // the peer never sends its FIN
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      h.atMs(60_100).expectNothing(); // closed quietly, as Linux after tcp_fin_timeout
      assertNull(conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS));
      assertGone();
    }

    @Test
    void theTimeoutRunsFromTheCloseWhenTheApplicationHalfClosedFirst() {
      established();
      h.shutdownOutput(conn);
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
      h.send(peer().ack(iss + 2));
      h.atMs(100_000).send(peer().ack(iss + 2).flags(PSH | ACK).payload("still talking"));
      assertArrayEquals("still talking".getBytes(), h.read(conn, 100)); // half-closed: it reads on
      h.atMs(100_040).expect(local().seq(iss + 2).ack(PEER_ISS + 14)); // a delayed ACK
      assertTrue(h.close(conn)); // now it closes completely: nothing to send, the FIN went long ago
      h.expectNothing();
      h.atMs(160_039).expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      h.atMs(160_040).expectNothing();
      assertEquals(1, h.counter(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS));
      assertGone();
    }

    @Test
    void aHalfClosedConnectionTheApplicationStillHoldsNeverTimesOut() {
      established();
      h.shutdownOutput(conn);
      h.take();
      h.send(peer().ack(iss + 2));
      h.atMs(3_600_000).expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state(), "it may still be reading");
      assertEquals(0, h.counter(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS));
      h.send(peer().ack(iss + 2).flags(FIN | ACK).payload("late"));
      assertArrayEquals("late".getBytes(), h.read(conn, 10));
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }

    @Test
    void theTimeoutIsConfigurablePerConnection() {
      established(TcpConfig.builder().finWait2Timeout(Duration.ofSeconds(5)).build());
      closedIntoFinWait2(0);
      h.atMs(4_999).expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      h.atMs(5_000).expectNothing();
      assertEquals(1, h.counter(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS));
      assertGone();
    }

    @Test
    void thePeersFinInTimeEndsInTimeWaitAsUsual() {
      established();
      closedIntoFinWait2(0);
      h.atMs(59_000).send(peer().ack(iss + 2).flags(FIN | ACK));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
      assertEquals(0, h.counter(StackCounter.TCP_FIN_WAIT_2_TIMEOUTS));
    }
  }

  // ------------------------------------------------------------------ RST on data after close

  @Nested
  class ResetOnDataAfterClose {
    @Test
    void dataInFinWait2AfterTheCloseIsAnsweredWithRst() {
      established();
      closedIntoFinWait2(0);
      h.atMs(10).send(peer().ack(iss + 2).flags(PSH | ACK).payload("late"));
      // RFC 9293 §3.6 / RFC 2525 §2.17: <SEQ=SEG.ACK><CTL=RST>, as Linux (TCPAbortOnData).
      h.expect(local().seq(iss + 2).flags(RST).window(0));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.ABORTED, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_ABORT_ON_DATA));
      assertGone();
    }

    @Test
    void dataInFinWait1AfterTheCloseIsAnsweredWithRst() {
      established();
      assertTrue(h.close(conn));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1).flags(FIN | ACK));
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("crossing")); // sent before our FIN arrived
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(1, h.counter(StackCounter.TCP_ABORT_ON_DATA));
    }

    @Test
    void dataBeforeTheFinIsQueuedWhenTheApplicationClosedWithoutTheFinYet() {
      // The blocking API: close() says "no more reading" at once, its FIN follows its ring's data.
      established();
      assertTrue(conn.closeInput(0, h.now()));
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("x"));
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(1, h.counter(StackCounter.TCP_ABORT_ON_DATA));
    }

    @Test
    void aRetransmissionOfDataAlreadyReadIsOnlyAcknowledged() {
      established();
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("abc"));
      assertArrayEquals("abc".getBytes(), h.read(conn, 10));
      assertTrue(h.close(conn));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 4).flags(FIN | ACK));
      h.atMs(100).send(peer().ack(iss + 1).flags(PSH | ACK).payload("abc")); // our ACK was lost
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 4));
      assertEquals(TcpState.FIN_WAIT_1, conn.state());
      assertEquals(0, h.counter(StackCounter.TCP_ABORT_ON_DATA));
    }

    @Test
    void aHalfClosedConnectionStillReceivesData() {
      established();
      h.shutdownOutput(conn); // shutdownOutput only: the application reads on
      h.take();
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("in FIN-WAIT-1"));
      h.send(peer().ack(iss + 2).flags(PSH | ACK).seq(PEER_ISS + 14).payload(" and 2"));
      h.atMs(40).take();
      assertArrayEquals("in FIN-WAIT-1 and 2".getBytes(), h.read(conn, 100));
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      assertEquals(0, h.counter(StackCounter.TCP_ABORT_ON_DATA));
    }

    @Test
    void theFinAloneAfterTheCloseIsNoData() {
      established();
      closedIntoFinWait2(0);
      h.send(peer().ack(iss + 2).flags(FIN | ACK));
      h.expect(local().seq(iss + 2).ack(PEER_ISS + 2));
      assertEquals(TcpState.TIME_WAIT, conn.state());
    }

    @Test
    void aCloseWithDataUnreadSendsRstInsteadOfFin() {
      established();
      h.send(peer().ack(iss + 1).flags(PSH | ACK).payload("never read"));
      h.atMs(10);
      assertFalse(h.close(conn));
      // RFC 2525 §2.17, as Linux (TCPAbortOnClose): <SEQ=SND.NXT><CTL=RST>, no FIN.
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.ABORTED, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_ABORT_ON_CLOSE));
      h.atMs(1_000).expectNothing(); // no delayed ACK, no retransmission: gone
      assertGone();
    }

    @Test
    void aCloseAfterReadingEverythingUpToThePeersFinIsGraceful() {
      established();
      h.send(peer().ack(iss + 1).flags(PSH | FIN | ACK).payload("bye"));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 5));
      assertArrayEquals("bye".getBytes(), h.read(conn, 10));
      assertTrue(h.close(conn)); // the FIN is no data: nothing unread
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 5).flags(FIN | ACK));
      assertEquals(TcpState.LAST_ACK, conn.state());
      assertEquals(0, h.counter(StackCounter.TCP_ABORT_ON_CLOSE));
    }

    @Test
    void unreadDataTheApiHoldsCountsToo() {
      established();
      assertFalse(conn.closeInput(5, h.now())); // 5 bytes in a socket's receive ring
      h.expect(local().seq(iss + 1).flags(RST).window(0));
      assertEquals(1, h.counter(StackCounter.TCP_ABORT_ON_CLOSE));
    }
  }

  // ------------------------------------------------------------------ user timeout

  @Nested
  class UserTimeout {
    final TcpConfig threeSeconds = TcpConfig.builder().userTimeout(Duration.ofSeconds(3)).build();

    @Test
    void unacknowledgedDataAbortsTheConnectionWithRstAfterTheUserTimeout() {
      established(threeSeconds);
      h.write(conn, Packets.pattern(100));
      Seg data = local().seq(iss + 1).ack(PEER_ISS + 1).flags(PSH | ACK).payload(Packets.pattern(100));
      h.expect(data);
      h.atMs(200).expect(data);
      h.atMs(600).expect(data);
      h.atMs(1400).expect(data);
      h.atMs(2999).expectNothing();
      // RFC 9293 §3.10.8: aborted; the retransmission due at 3000 ms too is not sent.
      h.atMs(3000).expect(local().seq(iss + 101).flags(RST).window(0));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.TIMED_OUT, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_USER_TIMEOUTS));
      assertEquals(0, h.counter(StackCounter.TCP_TIMEOUTS), "not the retry limit");
      assertGone();
    }

    @Test
    void anAcknowledgmentOfNewDataStartsTheTimeAgain() {
      established(threeSeconds);
      h.write(conn, Packets.pattern(100));
      h.atMs(1400).take();
      h.atMs(2000).send(peer().ack(iss + 51)); // half of it arrived
      h.take();
      h.atMs(4999).take().forEach(s -> assertEquals(0, s.flags & RST));
      assertEquals(TcpState.ESTABLISHED, conn.state(), "3 s after the last progress, not after the write");
      h.atMs(5000).expect(local().seq(iss + 101).flags(RST).window(0));
      assertEquals(TcpError.TIMED_OUT, conn.error());
    }

    @Test
    void anIdleConnectionNeverTimesOut() {
      established(threeSeconds);
      h.write(conn, Packets.pattern(10));
      h.take();
      h.atMs(10).send(peer().ack(iss + 11));
      h.atMs(3_600_000).expectNothing();
      assertEquals(TcpState.ESTABLISHED, conn.state());
      h.write(conn, Packets.pattern(10)); // an hour later: the time starts now, not at the last ACK
      h.take();
      h.atMs(3_602_999).take().forEach(s -> assertEquals(0, s.flags & RST));
      assertEquals(TcpState.ESTABLISHED, conn.state());
      assertEquals(RST, h.atMs(3_603_000).take().get(0).flags);
      assertEquals(TcpError.TIMED_OUT, conn.error());
    }

    @Test
    void aZeroWindowThatNeverOpensTimesOutThoughProbesAreAnswered() {
      established(threeSeconds);
      h.send(peer().ack(iss + 1).window(0));
      h.write(conn, Packets.pattern(10));
      h.expectNothing();
      for (int ms = 100; ms < 3000; ms += 100) {
        for (Seg probe : h.atMs(ms).take()) {
          assertEquals(0, probe.flags & RST);
          h.send(peer().ack(iss + 1).window(0)); // alive, but the window stays shut
        }
      }
      assertEquals(TcpState.ESTABLISHED, conn.state());
      List<Seg> end = h.atMs(3000).take();
      assertEquals(RST, end.get(end.size() - 1).flags);
      assertEquals(TcpError.TIMED_OUT, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_USER_TIMEOUTS));
    }

    @Test
    void anUnansweredSynTimesOutWithoutRst() {
      TcpConnection c = h.connect(PEER_PORT, threeSeconds);
      assertEquals(SYN, h.take().get(0).flags);
      h.atMs(1000).take(); // the SYN again (initial RTO 1 s)
      h.atMs(2999).expectNothing();
      h.atMs(3000).expectNothing(); // nothing to reset in SYN-SENT (RFC 9293 §3.10.5)
      assertEquals(TcpState.CLOSED, c.state());
      assertEquals(TcpError.TIMED_OUT, c.error());
      assertEquals(1, h.counter(StackCounter.TCP_USER_TIMEOUTS));
      c.dispose();
    }

    @Test
    void theSetterAppliesToAnOpenConnection() {
      established();
      assertEquals(0, conn.userTimeoutNs(), "none by default");
      conn.setUserTimeout(Duration.ofSeconds(1).toNanos(), h.now());
      h.write(conn, Packets.pattern(100));
      h.take();
      h.atMs(200).take();
      h.atMs(600).take();
      h.atMs(999).expectNothing();
      h.atMs(1000).expect(local().seq(iss + 101).flags(RST).window(0));
      assertEquals(TcpError.TIMED_OUT, conn.error());
    }

    @Test
    void turnedOffItLeavesTheRetriesToDecide() {
      established(threeSeconds);
      conn.setUserTimeout(0, h.now());
      h.write(conn, Packets.pattern(100));
      h.take();
      for (int s = 1; s <= 60; s++) {
        h.atMs(s * 1000L).take().forEach(seg -> assertEquals(0, seg.flags & RST));
      }
      assertEquals(TcpState.ESTABLISHED, conn.state());
    }
  }

  // ------------------------------------------------------------------ lingering close

  @Nested
  class Linger {
    @Test
    void aLingerDeadlineBeforeTheFinIsAcknowledgedAborts() {
      established();
      h.write(conn, Packets.pattern(100));
      h.take();
      assertTrue(h.close(conn));
      h.expect(local().seq(iss + 101).ack(PEER_ISS + 1).flags(FIN | ACK));
      conn.lingerUntil(h.now() + Duration.ofMillis(500).toNanos());
      h.atMs(200).take(); // a retransmission
      h.atMs(499).expectNothing();
      h.atMs(500).expect(local().seq(iss + 102).flags(RST).window(0));
      assertEquals(TcpState.CLOSED, conn.state());
      assertEquals(TcpError.ABORTED, conn.error());
      assertEquals(1, h.counter(StackCounter.TCP_LINGER_TIMEOUTS));
    }

    @Test
    void aLingerDeadlineAfterTheFinWasAcknowledgedChangesNothing() {
      established();
      closedIntoFinWait2(0);
      assertTrue(conn.isFinAcknowledged());
      conn.lingerUntil(h.now() + Duration.ofMillis(500).toNanos());
      h.atMs(500).expectNothing();
      assertEquals(TcpState.FIN_WAIT_2, conn.state());
      assertFalse(conn.lingerExpired(h.now()));
      assertEquals(0, h.counter(StackCounter.TCP_LINGER_TIMEOUTS));
    }
  }
}
