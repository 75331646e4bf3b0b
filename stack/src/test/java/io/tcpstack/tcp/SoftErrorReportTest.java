package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Seg;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Soft errors told to the application as they happen (RFC 9293 §3.9.1.8 MUST-47, §3.8.3 SHLD-9,
 * §3.9.2.2 SHLD-25): an ICMP error that does not abort the connection, and retransmissions of a
 * segment reaching R1 ({@link TcpConfig#R1_RETRIES}), each through {@link TcpEvents#onSoftError},
 * while the connection goes on. Segment level; a router at 198.18.0.254 sends the ICMP messages
 * ({@link TcpIcmpTest#icmpAbout}).
 */
class SoftErrorReportTest extends ConnectionFixture {

  /** RFC 792 Destination Unreachable, code 1 (host unreachable), written out here. */
  private static final int UNREACHABLE = 3;
  private static final int HOST_UNREACHABLE = 1;

  /** Records every soft error and whether the connection was closed. */
  static final class Recorder implements TcpEvents {
    final List<TcpError> softErrors = new ArrayList<>();
    final List<TcpState> statesWhenTold = new ArrayList<>();
    boolean closed;

    @Override
    public void onSoftError(TcpConnection c, TcpError error) {
      softErrors.add(error);
      statesWhenTold.add(c.state());
    }

    @Override
    public void onClosed(TcpConnection c) {
      closed = true;
    }
  }

  @Test
  void anIcmpHostUnreachableForAnEstablishedConnectionIsToldAtOnceAndTheConnectionGoesOn() {
    // RFC 9293 MUST-47: a soft error is reported to the application asynchronously, when it arrives;
    // SHLD-25: Destination Unreachable code 1 is made known; MUST-56: the connection is not aborted.
    established();
    Recorder events = new Recorder();
    conn.subscribe(events);
    byte[] data = bytes(20);
    h.write(conn, TcpIcmpTest.slice(data, 0, 10));
    Seg seg = h.take().get(0);
    h.atMs(5).send(TcpIcmpTest.icmpAbout(UNREACHABLE, HOST_UNREACHABLE, 0, TcpIcmpTest.datagram(seg), 28));
    h.expectNothing();
    assertEquals(List.of(TcpError.HOST_UNREACHABLE), events.softErrors, "told at once, not at a timeout");
    assertEquals(List.of(TcpState.ESTABLISHED), events.statesWhenTold);
    assertEquals(1, h.counter(StackCounter.TCP_ICMP_SOFT_ERRORS));
    assertEquals(TcpState.ESTABLISHED, conn.state());
    assertEquals(null, conn.error());
    // The connection lives on: the peer acknowledges, more data goes out, nothing more is told.
    h.atMs(10).send(peer().ack(iss + 11));
    h.write(conn, TcpIcmpTest.slice(data, 10, 10));
    h.expect(local().seq(iss + 11).ack(PEER_ISS + 1).flags(ACK | PSH).payload(TcpIcmpTest.slice(data, 10, 10)));
    h.atMs(20).send(peer().ack(iss + 21));
    assertEquals(TcpState.ESTABLISHED, conn.state());
    assertEquals(1, events.softErrors.size());
    assertTrue(!events.closed);
  }

  @Test
  void theThirdConsecutiveRetransmissionOfASegmentIsToldOnceAndAgainOnlyAfterProgress() {
    // RFC 9293 MUST-47 and SHLD-9: excessive retransmissions are a soft error told to the
    // application when they reach R1 (before R2); SHLD-10: R1 is 3 retransmissions.
    assertEquals(3, TcpConfig.R1_RETRIES);
    established();
    Recorder events = new Recorder();
    conn.subscribe(events);
    byte[] data = bytes(10);
    h.write(conn, data);
    Seg first = h.take().get(0);
    int retransmissions = 0;
    List<Integer> toldAfter = new ArrayList<>(); // soft errors told after each retransmission
    for (long ms = 0; retransmissions < 6; ms += 50) {
      for (Seg s : h.atMs(ms).take()) {
        assertEquals(first, s, "only the unacknowledged segment goes again");
        retransmissions++;
        toldAfter.add(events.softErrors.size());
      }
    }
    assertEquals(List.of(0, 0, 1, 1, 1, 1), toldAfter, "told once, with the third retransmission");
    assertEquals(List.of(TcpError.RETRANSMITTING), events.softErrors);
    assertEquals(TcpState.ESTABLISHED, conn.state(), "R2 (15) is far off: the connection goes on");
    assertEquals(null, conn.error());

    // The peer acknowledges: a new episode. The next segment's third retransmission is told again.
    h.at(h.now()).send(peer().ack(iss + 11));
    h.take();
    h.write(conn, data);
    Seg second = h.take().get(0);
    retransmissions = 0;
    toldAfter.clear();
    long start = h.now() / MS;
    for (long ms = start; retransmissions < 3; ms += 50) {
      for (Seg s : h.atMs(ms).take()) {
        assertEquals(second, s);
        retransmissions++;
        toldAfter.add(events.softErrors.size());
      }
    }
    assertEquals(List.of(1, 1, 2), toldAfter);
    assertEquals(List.of(TcpError.RETRANSMITTING, TcpError.RETRANSMITTING), events.softErrors);
    assertEquals(List.of(TcpState.ESTABLISHED, TcpState.ESTABLISHED), events.statesWhenTold);
    assertTrue(!events.closed);
  }
}
