package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Seg;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 2018 §8: a SACK is advice, not an acknowledgment — the receiver may throw SACKed data away
 * (renege). So SACKed data is kept until the cumulative ACK covers it, and after a retransmission
 * timeout the segment at the left edge of the window is sent again even if it was SACKed.
 */
class TcpSackRenegingTest extends SackSenderFixture {

  static final int PEER_ISS = 90_000;

  TcpSackRenegingTest() {
    super(PEER_ISS);
  }

  @Test
  void afterATimeoutTheLeftEdgeIsResentThoughItWasSacked() {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(SYN_OPTIONS_WITH_SACK));
    ourIss = h.take().get(0).seq;
    h.atMs(10).send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    h.write(conn, new byte[4 * MSS]);
    assertEquals(List.of(0, 1, 2, 3), sentSegments());
    // The peer SACKs segments 0 and 1 but does not acknowledge them: a receiver that may renege.
    h.atMs(20).send(peer().ack(our(0)).sack(our(0), our(2)));
    h.take();
    assertEquals(our(0), conn.sndUna(), "a SACK acknowledges nothing");
    // Nothing more comes; the timers run out.
    List<Integer> resent = new ArrayList<>();
    for (int ms = 30; ms <= 5000 && h.counter(StackCounter.TCP_RTO_EXPIRIES) == 0; ms += 10) {
      h.atMs(ms);
      resent.addAll(sentSegments());
    }
    assertTrue(h.counter(StackCounter.TCP_RTO_EXPIRIES) > 0, "the retransmission timer ran out");
    resent.addAll(sentSegments());
    assertTrue(resent.contains(0), "RFC 2018 §8: segment 0 sent again after the timeout: " + resent);
    // The peer had reneged: now it acknowledges everything, and the connection goes on.
    h.atMs(6000).send(peer().ack(our(4)));
    assertEquals(our(4), conn.sndUna());
  }
}
