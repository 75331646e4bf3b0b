package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Seg;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keep-alive's defaults and when a probe may go (RFC 9293 §3.8.4). */
class KeepAliveDefaultsTest extends ConnectionFixture {

  @Test
  void turnedOnWithTheDefaultsTheFirstProbeWaitsForTwoHoursOfIdleness() {
    // RFC 9293 MUST-28: the interval defaults to no less than two hours.
    established(TcpConfig.DEFAULT.toBuilder().keepAlive(true).build());
    long twoHoursMs = Duration.ofHours(2).toMillis();
    h.atMs(twoHoursMs - 1).expectNothing();
    h.atMs(twoHoursMs).expect(local().seq(iss).ack(PEER_ISS + 1).flags(ACK));
  }

  @Test
  void noProbeGoesWhileSentDataIsOutstanding() {
    // RFC 9293 MUST-26: only when no sent data is outstanding; the retransmissions speak instead.
    established(TcpConfig.DEFAULT.toBuilder().keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(1), 3).build());
    h.write(conn, bytes(100));
    h.take();
    for (long ms = 100; ms <= 20_000; ms += 100) {
      List<Seg> out = h.atMs(ms).take();
      assertTrue(out.stream().allMatch(s -> s.payload.length > 0), "only retransmissions of the data: " + out);
    }
    assertEquals(0, conn.info().keepAliveProbes());
  }
}
