package io.tcpstack.tcp.cc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Choosing an algorithm by name; NewReno's switch-over. */
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
}
