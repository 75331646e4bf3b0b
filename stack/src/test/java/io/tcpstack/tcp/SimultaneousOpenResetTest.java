package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcpstack.testing.Seg;
import org.junit.jupiter.api.Test;

/**
 * SYN-RECEIVED remembers whether it came from LISTEN or from SYN-SENT (RFC 9293 §3.5, §3.10.7.4): a
 * reset sends a passive open back to LISTEN, but refuses an active one.
 */
class SimultaneousOpenResetTest extends ConnectionFixture {

  @Test
  void aResetInSynReceivedReachedByASimultaneousOpenRefusesTheConnect() {
    // RFC 9293 MUST-11 (the passive half: TcpConnectionTest.SynReceived#rstReturnsToListenSilently).
    conn = h.connect(8080, TcpConfig.DEFAULT);
    h.take(); // our SYN
    Seg fromPeer = new Seg(8080, conn.localPort(), 50_000, 0, SYN, 29200, 1460, new byte[0], null);
    h.send(fromPeer); // the peer's SYN crosses ours
    assertEquals(SYN | ACK, h.take().get(0).flags);
    assertEquals(TcpState.SYN_RECEIVED, conn.state());
    h.send(fromPeer.seq(50_001).flags(RST).noMss());
    h.expectNothing();
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(TcpError.REFUSED, conn.error(), "told as a refused connect, not returned to a listener");
  }
}
