package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.Seg.URG;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcpstack.ip.Offload;
import io.tcpstack.testing.Seg;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9293 §3.4 (MUST-66) and §3.10.7.4: with our receive window zero no segment is acceptable,
 * yet the URG control of one at RCV.NXT is still processed — the application hears of the urgent
 * data the peer cannot send yet.
 */
class ZeroWindowUrgentTest extends ConnectionFixture {

  @Test
  void anUrgentPointerArrivingWhileTheReceiveWindowIsZeroIsStillProcessed() {
    // RFC 9293 MUST-66: URG is processed even when the receive window is zero.
    TcpConfig small = TcpConfig.builder().receiveBufferSize(1024).windowScaling(false).timestamps(false).sack(false).build();
    listener = h.listen(LOCAL_PORT, 8, small);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    iss = h.take().get(0).seq;
    h.send(peer().ack(iss + 1));
    conn = listener.accept();
    assertEquals(TcpState.ESTABLISHED, conn.state());
    UrgentDataTest.UrgentEvents events = new UrgentDataTest.UrgentEvents();
    conn.subscribe(events);
    // Fill the window the stack offers, never reading.
    int offered = -1;
    for (int i = 0; i < 16 && offered != 0; i++) {
      h.send(peer().seq(conn.rcvNxt()).ack(iss + 1).flags(ACK).payload(new byte[256]));
      List<Seg> acks = h.atMs(h.now() / MS + 500).take();
      if (!acks.isEmpty()) {
        offered = acks.get(acks.size() - 1).window;
      }
    }
    assertEquals(0, offered, "the receive window closed");
    assertEquals(0, conn.urgentRemaining());
    int unread = conn.readable();
    assertEquals(List.of(), events.remainingWhenTold);
    int rcvNxt = conn.rcvNxt();
    // No room for a single octet: the peer sends the urgent pointer alone, 5 octets past RCV.NXT.
    h.send(TcpRobustnessTest.raw(peer().seq(rcvNxt).ack(iss + 1).flags(ACK | URG), 0, 5, -1), Offload.NONE);
    assertEquals(List.of(unread + 5), events.remainingWhenTold, "told of the urgent data still to come");
    assertEquals(unread + 5, conn.urgentRemaining());
    assertEquals(rcvNxt, conn.rcvNxt(), "no data taken");
  }
}
