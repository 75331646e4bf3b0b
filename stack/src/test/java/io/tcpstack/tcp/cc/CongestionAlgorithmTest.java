package io.tcpstack.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Choosing an algorithm by name; NewReno's switch-over; what both reduce from. */
class CongestionAlgorithmTest {

  static final int MSS = 1000;

  @Test
  void cubicIsTheDefault() {
    assertEquals(CongestionAlgorithm.CUBIC, CongestionAlgorithm.DEFAULT);
  }

  @Test
  void namesAreWhatTheInstancesCallThemselves() {
    for (CongestionAlgorithm a : CongestionAlgorithm.values()) {
      assertEquals(a, CongestionAlgorithm.byName(a.id()));
      assertEquals(a.id(), a.get().name());
      assertEquals(a.id(), a.toString());
      assertNotSame(a.get(), a.get(), "one instance per connection");
    }
    assertInstanceOf(Cubic.class, CongestionAlgorithm.byName("cubic").get());
    assertInstanceOf(NewReno.class, CongestionAlgorithm.byName("NewReno").get());
    assertEquals("cubic or newreno", CongestionAlgorithm.names());
  }

  @Test
  void anUnknownNameSaysWhichAreKnown() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CongestionAlgorithm.byName("bbr"));
    assertEquals("unknown congestion control 'bbr': use cubic or newreno", e.getMessage());
  }

  @Test
  void newRenoResumesFromAnotherAlgorithmsWindow() {
    NewReno n = new NewReno();
    n.resume(MSS, 30 * MSS, 20 * MSS, 0);
    assertEquals(30 * MSS, n.cwnd());
    assertEquals(20 * MSS, n.ssthresh());
    for (int i = 0; i < 30; i++) {
      n.onAck(MSS, n.cwnd(), 0);
    }
    assertEquals(31 * MSS, n.cwnd(), "congestion avoidance: one SMSS per window");
  }

  @Test
  void aFlightThatCountsSackedDataAboveTheWindowStillReducesIt() {
    // With SACK, LossRecovery reports SND.MAX − SND.UNA at the loss: 60 segments, of which the peer
    // holds most, while cwnd is 20. Half of 60 is no reduction at all (ssthresh 30 > cwnd 20): under
    // steady loss NewReno then never came down and outran CUBIC (RFC 9438 §4.3 would have it equal).
    NewReno n = new NewReno();
    n.resume(MSS, 20 * MSS, 10 * MSS, 0);
    n.onEnterRecovery(60 * MSS, 0);
    assertEquals(10 * MSS, n.ssthresh(), "RFC 5681 equation (4): FlightSize/2, FlightSize at most cwnd");
    Cubic c = new Cubic();
    c.resume(MSS, 20 * MSS, 10 * MSS, 0);
    c.onEnterRecovery(60 * MSS, 0);
    assertEquals(14 * MSS, c.ssthresh(), "RFC 9438 §4.6: β_cubic of the same capped flight");
  }
}
