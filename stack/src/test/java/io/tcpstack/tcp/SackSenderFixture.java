package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What the sender-side segment tests share: a {@link TcpHarness}, one connection it accepted, the
 * peer's segments, and our data counted in whole segments from our ISN (segment {@code n} starts
 * at {@code ourIss + 1 + n * MSS}).
 */
abstract class SackSenderFixture {

  /** MSS 1460, NOP, NOP, SACK-Permitted. */
  static final byte[] SYN_OPTIONS_WITH_SACK = {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 1, 4, 2};
  static final long MS = 1_000_000L;

  final TcpHarness h = new TcpHarness();
  private final int peerIss;
  TcpConnection conn;
  int ourIss;

  SackSenderFixture(int peerIss) {
    this.peerIss = peerIss;
  }

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  /** A segment from the peer after its SYN: ACK set, window 65535, no data. */
  Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, peerIss + 1, 0, ACK, 65535, -1, new byte[0], null);
  }

  /** Where our segment {@code segment} starts. */
  int our(int segment) {
    return ourIss + 1 + segment * MSS;
  }

  /** The peer's ACK of our segments before {@code ackSegment}, SACKing each pair of edges (in segments). */
  Seg ackWithSack(int ackSegment, int... sackSegments) {
    int[] edges = new int[sackSegments.length];
    for (int i = 0; i < edges.length; i++) {
      edges[i] = our(sackSegments[i]);
    }
    return peer().ack(our(ackSegment)).sack(edges);
  }

  /** The numbers of the data segments sent since the last look. */
  List<Integer> sentSegments() {
    List<Integer> out = new ArrayList<>();
    for (Seg s : h.take()) {
      if (s.payload.length > 0) {
        out.add((s.seq - (ourIss + 1)) / MSS);
      }
    }
    return out;
  }

  /** Passive open: the peer's {@code syn}, our SYN-ACK, the peer's ACK; the connection in {@link #conn}. */
  void accept(Seg syn, TcpConfig config) {
    TcpListener listener = h.listen(LOCAL_PORT, 8, config);
    h.send(syn);
    ourIss = h.take().get(0).seq;
    h.send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
  }
}
