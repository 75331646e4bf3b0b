package io.tcpstack.tcp;

import static io.tcpstack.testing.Packets6.HOST6;
import static io.tcpstack.testing.Packets6.STACK6;
import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The send MSS assumed when the peer's SYN carries no MSS option (RFC 9293 §3.7.1). */
class DefaultSendMssTest {

  @Test
  void withoutAnMssOptionAnIpv6PeerGets1220ByteSegments() {
    // RFC 9293 MUST-15: 1280 - 60 over IPv6 (536 over IPv4: TcpConnectionTest.Options#withoutMssOptionThePeerGets536ByteSegments).
    try (TcpHarness h = TcpHarness.ipv6()) {
      TcpListener l = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
      Seg peer = new Seg(PEER_PORT, LOCAL_PORT, 10_000, 0, SYN, 65535, -1, new byte[0], null);
      h.send(peer);
      int iss = h.take().get(0).seq;
      h.send(peer.seq(10_001).flags(0).ack(iss + 1));
      TcpConnection c = l.accept();
      assertEquals(TcpState.ESTABLISHED, c.state());
      h.write(c, Packets.pattern(3000));
      List<Seg> out = h.take();
      assertEquals(1220, out.get(0).payload.length);
      assertEquals(ACK, out.get(0).flags & ACK);
      assertEquals(1220, c.sendMss());
      assertEquals(HOST6, c.remoteIp());
      assertEquals(STACK6, c.localIp());
      c.dispose();
    }
  }
}
