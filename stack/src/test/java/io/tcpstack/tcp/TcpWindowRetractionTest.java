package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 7323 §2.4: with a window scale the window field has a granularity, and the right edge it
 * says may fall short of one offered before; a segment that fitted any window we sent is still
 * taken whole.
 */
class TcpWindowRetractionTest {

  static final int PEER_ISS = 30_000;
  /** Our buffer: the shift is 1 (70000 >> 1 fits the field), so the field says even numbers only. */
  static final int BUFFER = 70_000;

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;
  int iss;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, 1000, -1, new byte[0], null);
  }

  /** The peer's bytes [from, to) of its stream; returns our one ACK. */
  Seg deliver(int from, int to) {
    h.send(peer().ack(iss + 1).seq(PEER_ISS + 1 + from).flags(PSH | ACK).payload(new byte[to - from]));
    List<Seg> acks = h.take();
    assertEquals(1, acks.size(), "one ACK at once: " + acks);
    return acks.get(0);
  }

  @Test
  void aSegmentThatFitsAWindowOfferedBeforeIsTakenWhole() {
    TcpConfig config = TcpConfig.builder().receiveBufferSize(BUFFER).delayedAck(Duration.ZERO).build();
    TcpListener listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).window(65535).rawOptions(new byte[] {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 3, 3, 0}));
    Seg synAck = h.take().get(0);
    assertEquals(1, synAck.windowScale);
    iss = synAck.seq;
    h.send(peer().ack(iss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    // Nothing is read: each ACK's right edge (ACK + field << 1) is where the buffer ends, when the
    // field can say it. At an odd number of free bytes it cannot: the field rounds down by one byte.
    int bestEdge = 0;
    for (int n = 1; n <= 2; n++) {
      Seg ack = deliver(n - 1, n);
      assertEquals(PEER_ISS + 1 + n, ack.ack);
      bestEdge = Math.max(bestEdge, n + (ack.window << 1));
    }
    assertEquals(BUFFER, bestEdge, "an ACK offered the whole buffer");
    Seg last = deliver(2, 3);
    assertEquals(BUFFER - 1, 3 + (last.window << 1), "the field now says one byte less");
    // The peer fills the window it was offered earlier, up to the buffer's end: every byte is taken.
    int at = 3;
    while (at < BUFFER) {
      int to = Math.min(at + MSS, BUFFER);
      Seg ack = deliver(at, to);
      assertEquals(PEER_ISS + 1 + to, ack.ack, "RFC 7323 §2.4: taken, as in the window offered before");
      at = to;
    }
    assertEquals(BUFFER, conn.readable());
  }
}
