package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The state loss recovery and keep-alive keep between segments: RFC 6675 §5 (the duplicate count
 * starts over at a cumulative ACK), §5.1 (a timeout ends SACK recovery), RFC 1122 §4.2.3.6 (a
 * keep-alive turned on with the defaults waits two hours).
 */
class TcpRecoveryStateTest {

  static final int PEER_ISS = 80_000;
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

  void accept(Seg syn, TcpConfig config) {
    TcpListener listener = h.listen(LOCAL_PORT, 8, config);
    h.send(syn);
    ourIss = h.take().get(0).seq;
    h.send(peer().ack(ourIss + 1));
    conn = listener.accept();
    assertNotNull(conn);
  }

  @Test
  void aCumulativeAckStartsTheDuplicateCountOver() {
    // RFC 6675 §5 (1), as RFC 5681 §3.2: duplicates are counted since the last ACK that moved SND.UNA.
    accept(peer().seq(PEER_ISS).flags(SYN).mss(MSS),
        TcpConfig.builder().congestionControl(CongestionAlgorithm.NEWRENO).build());
    h.write(conn, new byte[20 * MSS]);
    h.take();
    h.atMs(10);
    h.send(peer().ack(our(0)));
    h.send(peer().ack(our(0)));
    h.send(peer().ack(our(1))); // moves SND.UNA: the count starts over
    h.send(peer().ack(our(1)));
    h.send(peer().ack(our(1)));
    assertEquals(0, conn.info().fastRetransmits(), "two duplicates since the cumulative ACK, not four");
    h.send(peer().ack(our(1)));
    assertEquals(1, conn.info().fastRetransmits(), "the third duplicate of the new edge");
  }

  @Test
  void aTimeoutDuringSackRecoveryEndsTheRecovery() {
    // RFC 6675 §5.1: RecoveryPoint = HighData and the recovery ends; the timeout's own rules take over.
    accept(peer().seq(PEER_ISS).flags(SYN).rawOptions(SYN_OPTIONS_WITH_SACK), TcpConfig.DEFAULT);
    assertTrue(conn.sackEnabled());
    h.write(conn, new byte[10 * MSS]);
    h.take();
    h.atMs(10);
    h.send(peer().ack(our(0)).sack(our(2), our(5))); // 0 and 1 lost: recovery
    assertTrue(conn.info().inRecovery());
    assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES));
    for (int ms = 20; ms <= 10_000 && h.counter(StackCounter.TCP_RTO_EXPIRIES) == 0; ms += 10) {
      h.atMs(ms);
      h.take();
    }
    assertEquals(1, h.counter(StackCounter.TCP_RTO_EXPIRIES));
    assertFalse(conn.info().inRecovery(), "the timeout ended the recovery");
    // More SACK information about data sent before the timeout starts no new episode.
    h.send(peer().ack(our(0)).sack(our(2), our(8)));
    assertEquals(1, h.counter(StackCounter.TCP_SACK_RECOVERIES));
    assertFalse(conn.info().inRecovery());
  }

  @Test
  void keepAliveTurnedOnWithTheDefaultsWaitsTwoHoursOfSilence() {
    // RFC 1122 §4.2.3.6: the interval defaults to no less than two hours.
    accept(peer().seq(PEER_ISS).flags(SYN).mss(MSS), TcpConfig.builder().keepAlive(true).build());
    long twoHours = Duration.ofHours(2).toMillis();
    h.atMs(twoHours - 1).expectNothing();
    h.atMs(twoHours + 1);
    Seg probe = h.take().get(0);
    assertEquals(ourIss, probe.seq, "a probe: SEG.SEQ = SND.NXT - 1");
  }
}
