package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 5681 §3.1: when the SYN or the SYN-ACK was lost, the sender starts with a window of one
 * segment instead of the initial window (RFC 6928's ten segments here); the window then grows by
 * slow start as usual.
 */
class TcpInitialWindowAfterSynLossTest {

  static final int PEER_ISS = 50_000;
  static final int PEER_WINDOW = 65_535;

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  /** A segment from the peer's port to ours, no options. */
  Seg fromPeer(int ourPort) {
    return new Seg(PEER_PORT, ourPort, PEER_ISS + 1, 0, 0, PEER_WINDOW, -1, new byte[0], null);
  }

  /** Writes 20 segments' worth and returns the data segments that leave at once. */
  List<Seg> writeMany() {
    h.write(conn, new byte[20 * MSS]);
    return h.take().stream().filter(s -> s.payload.length > 0).toList();
  }

  /** Passive open up to the SYN-ACK; returns the SYN-ACK. */
  Seg synReceived(TcpListener listener) {
    h.send(fromPeer(LOCAL_PORT).seq(PEER_ISS).flags(SYN).mss(MSS));
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    return synAck.get(0);
  }

  @Test
  void withoutALostSynTheInitialWindowIsTenSegments() {
    conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
    int iss = h.take().get(0).seq;
    h.send(fromPeer(conn.localPort()).seq(PEER_ISS).flags(SYN | ACK).ack(iss + 1).mss(MSS));
    assertEquals(TcpState.ESTABLISHED, conn.state());
    assertEquals(10, writeMany().size(), "RFC 6928: ten segments");
  }

  @Test
  void anActiveOpenWhoseSynTimedOutStartsWithOneSegment() {
    // RFC 5681 §3.1: "If the SYN or SYN/ACK is lost, the initial window ... MUST be one segment".
    conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
    int iss = h.take().get(0).seq;
    assertEquals(1, h.atMs(1000).take().size(), "the SYN timed out and was sent again");
    h.atMs(1100).send(fromPeer(conn.localPort()).seq(PEER_ISS).flags(SYN | ACK).ack(iss + 1).mss(MSS));
    assertEquals(TcpState.ESTABLISHED, conn.state());
    h.take();
    List<Seg> data = writeMany();
    assertEquals(1, data.size(), "one segment after a lost SYN");
    assertEquals(MSS, data.get(0).payload.length);
    // Slow start from there: its ACK lets two more go.
    h.atMs(1200).send(fromPeer(conn.localPort()).ack(iss + 1 + MSS).flags(ACK));
    assertEquals(2, h.take().stream().filter(s -> s.payload.length > 0).count());
  }

  @Test
  void aPassiveOpenWhoseSynAckTimedOutStartsWithOneSegment() {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    Seg synAck = synReceived(listener);
    assertEquals(1, h.atMs(1000).take().size(), "the SYN-ACK timed out and was sent again");
    h.atMs(1100).send(fromPeer(LOCAL_PORT).ack(synAck.seq + 1).flags(ACK));
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(1, writeMany().size(), "one segment after a lost SYN-ACK");
  }

  @Test
  void aPassiveOpenThatSawTheSynTwiceStartsWithOneSegment() {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    Seg synAck = synReceived(listener);
    // The peer's SYN again, before our timer: our SYN-ACK was lost on the way.
    h.atMs(500).send(fromPeer(LOCAL_PORT).seq(PEER_ISS).flags(SYN).mss(MSS));
    assertEquals(1, h.take().size(), "the SYN-ACK again");
    h.atMs(600).send(fromPeer(LOCAL_PORT).ack(synAck.seq + 1).flags(ACK));
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(1, writeMany().size(), "one segment after a lost SYN-ACK");
  }

  @Test
  void aPassiveOpenWithoutLossStartsWithTenSegments() {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    Seg synAck = synReceived(listener);
    h.atMs(100).send(fromPeer(LOCAL_PORT).ack(synAck.seq + 1).flags(ACK));
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(10, writeMany().size());
  }
}
