package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.MSS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.testing.Seg;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The state loss recovery and keep-alive keep between segments: RFC 6675 §5 (the duplicate count
 * starts over at a cumulative ACK), §5.1 (a timeout ends SACK recovery), RFC 1122 §4.2.3.6 (a
 * keep-alive turned on with the defaults waits two hours).
 */
class TcpRecoveryStateTest extends SackSenderFixture {

  static final int PEER_ISS = 80_000;

  TcpRecoveryStateTest() {
    super(PEER_ISS);
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
