package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Batches and corking (issue 11): the segments read in one turn are answered at its end — one ACK
 * for a run of in-order segments, duplicate ACKs at once (RFC 5681 §4.2) — and the writes an event
 * handler makes leave together when the turn's handlers are done.
 */
class TcpBatchTest {

  static final int PEER_ISS = 10_000;
  /** Our window: the default 256 KiB buffer, scale 0 (the peer's SYN offered none). */
  static final int WINDOW = 65535;

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;
  int iss;

  @BeforeEach
  void established() {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
    iss = h.take().get(0).seq;
    h.send(peer().ack(iss + 1));
    conn = listener.accept();
    assertNotNull(conn);
  }

  @AfterEach
  void close() {
    conn.dispose();
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, 65535, -1, new byte[0], null);
  }

  Seg data(int off, int len) {
    return peer().seq(PEER_ISS + 1 + off).ack(iss + 1).flags(PSH | ACK).payload(new byte[len]);
  }

  Seg ourAck(int peerOff) {
    return new Seg(LOCAL_PORT, PEER_PORT, iss + 1, PEER_ISS + 1 + peerOff, ACK, WINDOW, -1, new byte[0], null);
  }

  @Test
  void aRunOfInOrderSegmentsInOneBatchGetsOneAckAtItsEnd() {
    h.stack().beginBatch();
    for (int i = 0; i < 6; i++) {
      h.send(data(i * MSS, MSS));
    }
    h.expectNothing(); // three ACKs would have left one by one (every second full segment)
    h.stack().endBatch();
    h.expect(ourAck(6 * MSS));
  }

  @Test
  void outOfOrderSegmentsDrawDuplicateAcksAtOnceEvenInABatch() {
    h.stack().beginBatch();
    h.send(data(MSS, MSS)); // the first segment is missing
    h.expect(ourAck(0));
    h.send(data(2 * MSS, MSS));
    h.expect(ourAck(0)); // RFC 5681 §4.2: one duplicate ACK per segment out of order
    h.send(data(0, MSS)); // fills the gap: acknowledged at once too
    h.expect(ourAck(3 * MSS));
    h.stack().endBatch();
    h.expectNothing();
  }

  @Test
  void writesAHandlerMakesInOneTurnLeaveTogether() {
    conn.subscribe(new TcpEvents() {
      @Override
      public void onReadable(TcpConnection c) {
        io.netty.buffer.ByteBuf in = Unpooled.buffer(4096);
        c.receive(in, 4096, h.now());
        in.release();
        for (int i = 0; i < 3; i++) {
          io.netty.buffer.ByteBuf out = Unpooled.wrappedBuffer(new byte[100]);
          assertEquals(100, c.send(out, 100, h.now()));
          out.release();
        }
      }
    });
    h.send(data(0, 10));
    // One segment of 300 bytes (carrying the ACK), not three of 100.
    List<Seg> out = h.take();
    assertEquals(1, out.size(), out.toString());
    assertEquals(300, out.get(0).payload.length);
    assertEquals(PEER_ISS + 1 + 10, out.get(0).ack);
  }
}
