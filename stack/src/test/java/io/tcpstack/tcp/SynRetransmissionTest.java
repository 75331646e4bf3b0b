package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.MSS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcpstack.testing.Seg;
import org.junit.jupiter.api.Test;

/** How long an active open keeps trying (RFC 9293 §3.8.3). */
class SynRetransmissionTest extends ConnectionFixture {

  @Test
  void byDefaultASynIsRetransmittedForAtLeastThreeMinutesBeforeTheConnectTimesOut() {
    // RFC 9293 MUST-23: R2 for a SYN gives at least 3 minutes of retransmission; MUST-22: SYN
    // retransmissions are handled as data's (RTO backoff, then "timed out" to the application).
    conn = h.connect(8080, TcpConfig.DEFAULT);
    int connIss = h.take().get(0).seq;
    Seg syn = new Seg(conn.localPort(), 8080, connIss, 0, SYN, WINDOW, MSS, new byte[0], null);
    long[] retransmittedAtS = {1, 3, 7, 15, 31, 63, 123};
    for (long s : retransmittedAtS) {
      h.atMs(s * 1000 - 1).expectNothing();
      h.atMs(s * 1000).expect(syn);
    }
    h.atMs(180_000).expectNothing();
    assertEquals(TcpState.SYN_SENT, conn.state(), "still trying at 3 minutes");
    h.atMs(183_000).expectNothing();
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(TcpError.TIMED_OUT, conn.error());
  }
}
