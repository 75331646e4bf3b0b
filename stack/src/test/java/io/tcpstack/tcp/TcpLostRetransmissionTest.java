package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.testing.Seg;
import org.junit.jupiter.api.Test;

/**
 * RFC 5681 §4.3: the loss of a retransmission is a second sign of congestion, and the window comes
 * down a second time. With SACK, RACK (RFC 8985 §6.2) finds such a loss without the timer.
 */
class TcpLostRetransmissionTest extends SackSenderFixture {

  static final int PEER_ISS = 60_000;

  TcpLostRetransmissionTest() {
    super(PEER_ISS);
  }

  @Test
  void aRetransmissionFoundLostLowersTheWindowASecondTime() {
    TcpListener listener = h.listen(LOCAL_PORT, 8,
        TcpConfig.builder().congestionControl(CongestionAlgorithm.NEWRENO).build());
    h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(SYN_OPTIONS_WITH_SACK));
    ourIss = h.take().get(0).seq;
    h.send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    h.write(conn, new byte[20 * MSS]);
    assertEquals(10, sentSegments().size(), "the initial window");
    h.atMs(10);
    h.send(ackWithSack(0, 1, 4)); // 0 lost: resent at 10 ms; the first reduction
    assertTrue(sentSegments().contains(0));
    assertTrue(conn.info().inRecovery());
    int firstSsthresh = conn.info().ssthresh();
    assertEquals(7300, firstSsthresh, "RFC 5681 equation (4): half the ten segments in flight");
    h.atMs(20);
    h.send(ackWithSack(0, 1, 10)); // everything else arrived
    h.take();
    int cwndBefore = conn.info().cwnd();
    h.atMs(30);
    // A segment sent after the retransmission of 0 is SACKed; 0 is not: its retransmission was lost.
    h.send(ackWithSack(0, 1, 11));
    assertTrue(sentSegments().contains(0), "RACK: the retransmission of 0 is lost, sent again");
    assertTrue(conn.info().ssthresh() < firstSsthresh,
        "RFC 5681 §4.3: lowered a second time: " + conn.info().ssthresh() + " after " + firstSsthresh);
    assertTrue(conn.info().cwnd() < cwndBefore, "the window too: " + conn.info().cwnd() + " after " + cwndBefore);
    assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES), "within the one episode");
    assertEquals(0, h.counter(StackCounter.TCP_RTO_EXPIRIES));
  }
}
