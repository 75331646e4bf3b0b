package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.testing.Seg;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 6298 §3: at least one RTT sample per round trip (Karn permitting): each flight of a
 * connection without timestamps is timed, and the sample reaches the estimator and the congestion
 * control.
 */
class TcpRttSamplingTest extends SackSenderFixture {

  static final int PEER_ISS = 40_000;

  TcpRttSamplingTest() {
    super(PEER_ISS);
  }

  @Test
  void everyRoundTripGivesOneSample() {
    List<Long> samples = new ArrayList<>();
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.builder()
        .congestionControl(() -> new TcpFlowControlTest.ForwardingNewReno(samples)).build());
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
    ourIss = h.take().get(0).seq;
    h.atMs(20).send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(List.of(20 * MS), samples, "the handshake's round trip");
    long t = 20;
    int acked = 0;
    long[] rtts = {30, 50, 10, 40};
    List<Long> expected = new ArrayList<>(samples);
    for (long rtt : rtts) {
      h.atMs(t).write(conn, new byte[2 * MSS]); // one flight of two segments
      assertEquals(2, h.take().size());
      acked += 2 * MSS;
      t += rtt;
      h.atMs(t).send(peer().ack(ourIss + 1 + acked));
      expected.add(rtt * MS);
      assertEquals(expected, samples, "one sample for the round trip of " + rtt + " ms");
    }
  }
}
