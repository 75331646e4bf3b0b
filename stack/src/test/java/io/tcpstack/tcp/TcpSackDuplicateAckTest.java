package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 5681 §3.2 step 1: a sender with SACK sends new data on a duplicate ACK only if that ACK
 * brings new SACK information; a duplicate that repeats what the sender knows releases nothing.
 */
class TcpSackDuplicateAckTest {

  static final int PEER_ISS = 70_000;
  /** MSS 1460, NOP, NOP, SACK-Permitted. */
  static final byte[] SYN_OPTIONS_WITH_SACK = {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 1, 4, 2};

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;
  int ourIss;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, ACK, 65535, -1, new byte[0], null);
  }

  int our(int segment) {
    return ourIss + 1 + segment * MSS;
  }

  List<Integer> sentSegments() {
    List<Integer> out = new ArrayList<>();
    for (Seg s : h.take()) {
      if (s.payload.length > 0) {
        out.add((s.seq - (ourIss + 1)) / MSS);
      }
    }
    return out;
  }

  @Test
  void aDuplicateAckWithoutNewSackInformationReleasesNoNewData() {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).rawOptions(SYN_OPTIONS_WITH_SACK));
    ourIss = h.take().get(0).seq;
    h.send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
    assertTrue(conn.sackEnabled());
    h.write(conn, new byte[30 * MSS]);
    assertEquals(10, sentSegments().size(), "the initial window");
    h.atMs(10);
    // Segment 1 arrived, 0 did not: new SACK information, one segment left the network.
    h.send(peer().ack(our(0)).sack(our(1), our(2)));
    List<Integer> first = sentSegments();
    assertEquals(List.of(10), first, "one new segment for the one the SACK says left the network");
    // The same duplicate again: nothing new is known, nothing new goes.
    h.send(peer().ack(our(0)).sack(our(1), our(2)));
    assertEquals(List.of(), sentSegments(), "RFC 5681 §3.2: no new data without new SACK information");
    h.send(peer().ack(our(0)).sack(our(1), our(2)));
    assertEquals(List.of(), sentSegments());
    // A duplicate that SACKs one more segment lets one more go.
    h.send(peer().ack(our(0)).sack(our(1), our(3)));
    assertEquals(List.of(11), sentSegments());
  }
}
