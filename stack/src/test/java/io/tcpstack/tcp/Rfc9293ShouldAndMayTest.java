package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Segment-level tests of RFC 9293 SHOULDs and MAYs (SHLD-n, MAY-n) that no other test showed on
 * its own: each puts a connection in a state, feeds it segments at virtual times and asserts the
 * segments it emits. The handshake completes at t=0 (RTT sample 0: RTO is the 200 ms floor); the
 * peer offers MSS 1460 and a window of 29200, no timestamps, SACK or window scaling.
 */
class Rfc9293ShouldAndMayTest {

  static final int PEER_ISS = 10_000;
  static final int PEER_WINDOW = 29200;

  TcpHarness h = new TcpHarness();
  TcpListener listener;
  TcpConnection conn;
  int iss;
  /** The window our segments carry. */
  int ourWindow = 65535;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, PEER_WINDOW, -1, new byte[0], null);
  }

  Seg local() {
    return new Seg(LOCAL_PORT, PEER_PORT, 0, 0, 0, ourWindow, -1, new byte[0], null);
  }

  static byte[] stream(int off, int len) {
    byte[] d = new byte[len];
    for (int i = 0; i < len; i++) {
      d[i] = (byte) ((off + i) % 251);
    }
    return d;
  }

  /** Our data segment carrying stream bytes [off, off+len). */
  Seg out(int off, int len, int flags) {
    return local().seq(iss + 1 + off).ack(PEER_ISS + 1).flags(flags).payload(stream(off, len));
  }

  /** A pure ACK from the peer acknowledging our stream up to {@code off}. */
  Seg ackOf(int off) {
    return peer().ack(iss + 1 + off);
  }

  /** Peer data: {@code len} bytes at offset {@code off} of its stream. */
  Seg peerData(int off, int len) {
    return peer().seq(PEER_ISS + 1 + off).ack(iss + 1).flags(PSH | ACK).payload(stream(off, len));
  }

  /** ESTABLISHED through a passive open. */
  void established(TcpConfig config) {
    ourWindow = Math.min(config.receiveBufferSize(), 65535);
    listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    iss = synAck.get(0).seq;
    h.send(ackOf(0));
    h.expectNothing();
    conn = listener.accept();
    assertNotNull(conn);
    assertEquals(TcpState.ESTABLISHED, conn.state());
  }

  // RFC 9293 SHLD-2: a RST may carry data (diagnostic text); it resets the connection all the same.
  @Test
  void aRstCarryingDataAtRcvNxtResetsTheConnection() {
    established(TcpConfig.DEFAULT);
    h.send(peer().flags(RST).payload("connection dropped by the application"));
    h.expectNothing(); // a RST is never answered
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(TcpError.RESET, conn.error());
  }

  // RFC 9293 SHLD-2: the same for a RST with data answering our SYN.
  @Test
  void aRstCarryingDataWithAnAcceptableAckRefusesTheConnect() {
    conn = h.connect(8080, TcpConfig.DEFAULT);
    List<Seg> syn = h.take();
    assertEquals(1, syn.size());
    int connIss = syn.get(0).seq;
    h.send(new Seg(8080, conn.localPort(), 0, 0, RST, 0, -1, new byte[0], null).ack(connIss + 1)
        .payload("no listener here"));
    h.expectNothing();
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(TcpError.REFUSED, conn.error());
  }

  // RFC 9293 MAY-3 (and SHLD-5): the MSS option goes in our SYN-ACK even when its value is IPv4's
  // default of 536 (a 576-byte link).
  @Test
  void theMssOptionIsSentEvenWhenItIsTheDefault536() {
    h.close();
    h = new TcpHarness(576);
    listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(1460));
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    assertEquals(SYN | ACK, synAck.get(0).flags);
    assertEquals(536, synAck.get(0).mss);
  }

  // RFC 9293 SHLD-11: R2 for data is at least 100 seconds. With the defaults, unacknowledged data is
  // still being retransmitted 100 s after it was first sent; the connection gives up later.
  @Test
  void withTheDefaultsUnacknowledgedDataIsRetransmittedForMoreThanOneHundredSeconds() {
    established(TcpConfig.DEFAULT);
    assertEquals(10, h.write(conn, stream(0, 10)));
    h.expect(out(0, 10, PSH | ACK));
    int retransmissions = 0;
    for (long ms = 10; ms <= 100_000; ms += 10) {
      retransmissions += h.atMs(ms).take().size();
    }
    assertEquals(TcpState.ESTABLISHED, conn.state(), "still trying after 100 s");
    assertTrue(retransmissions >= 3, "retransmissions in 100 s: " + retransmissions);
    for (long ms = 100_010; ms <= 1_200_000 && conn.state() != TcpState.CLOSED; ms += 10) {
      h.atMs(ms).take();
    }
    assertEquals(TcpState.CLOSED, conn.state());
    assertEquals(TcpError.TIMED_OUT, conn.error());
  }

  // RFC 9293 SHLD-15 and SHLD-16: when the peer moves the right edge of its window back below
  // SND.NXT, no new data is sent, and the retransmission resends only the old data that lies within
  // the window (SND.UNA .. SND.UNA + SND.WND); MAY-7 (beyond it) is not done.
  @Test
  void afterThePeerShrinksItsWindowNoNewDataGoesAndOnlyOldDataInsideItIsResent() {
    established(TcpConfig.DEFAULT);
    assertEquals(4000, h.write(conn, stream(0, 4000)));
    h.expect(out(0, 1460, ACK), out(1460, 1460, ACK), out(2920, 1080, PSH | ACK));
    h.atMs(1).send(ackOf(0).window(1000)); // right edge now SND.UNA + 1000 < SND.NXT
    h.expectNothing();
    assertEquals(2000, h.write(conn, stream(4000, 2000)));
    h.expectNothing(); // the usable window is negative: no new data
    h.atMs(199).expectNothing();
    h.atMs(201).expect(out(0, 1000, ACK)); // the timeout: the first 1000 bytes, inside the window
    h.atMs(202).send(ackOf(1000).window(1000));
    h.expect(out(1000, 1000, ACK)); // the window moved on: the next 1000 bytes, nothing beyond
    assertEquals(TcpState.ESTABLISHED, conn.state());
  }

  // RFC 9293 SHLD-14: our receiver never moves the right edge of the window it offered to the left,
  // whatever the peer sends and however little the application reads.
  @Test
  void theRightEdgeWeOfferNeverMovesLeft() {
    established(TcpConfig.builder().receiveBufferSize(8192).build());
    int[] sizes = {1460, 1460, 700, 1460, 300, 1460, 1000, 52, 1460, 1460};
    int[] reads = {0, 500, 0, 100, 3000, 0, 10, 0, 2000, 0};
    long edge = PEER_ISS + 1 + 8192; // the window our SYN-ACK offered
    int off = 0;
    long ms = 0;
    for (int i = 0; i < sizes.length; i++) {
      int room = (int) (edge - (PEER_ISS + 1 + off));
      int len = Math.min(sizes[i], room);
      if (len > 0) {
        h.atMs(++ms).send(peerData(off, len));
        off += len;
      }
      if (reads[i] > 0) {
        h.atMs(++ms).read(conn, reads[i]);
      }
      ms += 50; // past the delayed ACK
      h.atMs(ms);
      for (Seg s : h.take()) {
        long right = (s.ack & 0xFFFF_FFFFL) + s.window;
        assertTrue(right >= edge, "the right edge moved left: " + right + " < " + edge + " in " + s);
        edge = right;
      }
    }
    assertTrue(off > 8192, "the peer sent more than one window's worth: " + off);
  }

  // RFC 9293 MAY-8: a receiver may keep its window closed for as long as it likes: while the
  // application reads nothing, every probe is answered with a zero window and the connection stays.
  @Test
  void aWindowClosedBecauseTheApplicationDoesNotReadStaysClosedIndefinitely() {
    established(TcpConfig.builder().receiveBufferSize(4096).build());
    h.send(peerData(0, 1460));
    h.atMs(1).send(peerData(1460, 1460));
    h.take();
    h.atMs(2).send(peerData(2920, 1176)); // fills the window exactly
    ourWindow = 0;
    h.atMs(50).expect(local().seq(iss + 1).ack(PEER_ISS + 1 + 4096));
    long interval = 200;
    long t = 50;
    for (int i = 0; i < 40; i++) { // probes for well over an hour
      t += interval;
      h.atMs(t).send(peerData(4096, 1));
      h.expect(local().seq(iss + 1).ack(PEER_ISS + 1 + 4096)); // refused: window still 0
      interval = Math.min(interval * 2, 120_000);
    }
    assertTrue(t > 3_600_000, "an hour of probes: " + t);
    assertEquals(TcpState.ESTABLISHED, conn.state());
    assertEquals(0, conn.info().receiveWindow());
    assertEquals(4096, conn.readable());
  }
}
