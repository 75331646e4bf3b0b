package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The fixture of the segment-level tests of one passively opened connection: a stack on a virtual
 * clock ({@link TcpHarness}), a listener on {@link TcpHarness#LOCAL_PORT}, and a peer whose ISS is
 * {@link #PEER_ISS}, which offers MSS 1460 and no other option. The handshake completes at t=0, so
 * the RTO is the 200 ms floor.
 */
abstract class ConnectionFixture {

  static final int PEER_ISS = 10_000;
  static final int WINDOW = 65535;
  static final long MS = 1_000_000L;

  TcpHarness h = new TcpHarness();
  TcpListener listener;
  TcpConnection conn;
  int iss;

  @AfterEach
  void closeFixture() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  /** A segment from the peer to the stack's listening port. */
  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, 29200, -1, new byte[0], null);
  }

  /** A segment from the stack to the peer. */
  static Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, WINDOW, -1, new byte[0], null);
  }

  /** LISTEN on port 7, SYN in, SYN-ACK out: SYN-RECEIVED. */
  void synReceived(TcpConfig config) {
    listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    List<Seg> out = h.take();
    assertEquals(1, out.size());
    iss = out.get(0).seq;
    assertEquals(local().seq(iss).ack(PEER_ISS + 1).flags(SYN | ACK).mss(MSS), out.get(0));
  }

  /** Then the peer's ACK: ESTABLISHED, accepted into {@link #conn}. */
  void established(TcpConfig config) {
    synReceived(config);
    h.send(peer().ack(iss + 1));
    h.expectNothing();
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(TcpState.ESTABLISHED, conn.state());
  }

  void established() {
    established(TcpConfig.DEFAULT);
  }

  static byte[] bytes(int n) {
    return Packets.pattern(n);
  }
}
