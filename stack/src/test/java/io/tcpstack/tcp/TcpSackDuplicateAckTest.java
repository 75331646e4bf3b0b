package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Seg;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 5681 §3.2 step 1: a sender with SACK sends new data on a duplicate ACK only if that ACK
 * brings new SACK information; a duplicate that repeats what the sender knows releases nothing.
 */
class TcpSackDuplicateAckTest extends SackSenderFixture {

  static final int PEER_ISS = 70_000;

  TcpSackDuplicateAckTest() {
    super(PEER_ISS);
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
