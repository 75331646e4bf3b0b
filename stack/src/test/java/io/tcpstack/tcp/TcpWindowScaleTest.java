package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 7323 §2, window scaling: offered in every SYN we send, in a SYN-ACK only if the SYN offered
 * it; in force both ways only when both SYNs carried it; never applied to a SYN's window. Our shift
 * is the smallest that lets the field say the whole receive buffer: 3 for the default 256 KiB.
 */
class TcpWindowScaleTest {

  static final int PEER_ISS = 10_000;
  static final int OUR_SHIFT = 3;
  static final int PEER_SHIFT = 7;
  /** MSS 1460, NOP, Window Scale 7. */
  static final byte[] SYN_OPTIONS_WITH_SCALE = {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 3, 3, PEER_SHIFT};

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    h.close();
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, 1000, -1, new byte[0], null);
  }

  /** Passive open; returns our SYN-ACK. */
  Seg handshake(Seg syn, TcpConfig config, int peerWindowField) {
    TcpListener listener = h.listen(LOCAL_PORT, 8, config);
    h.send(syn);
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    h.send(peer().ack(synAck.get(0).seq + 1).window(peerWindowField));
    conn = listener.accept();
    assertNotNull(conn);
    return synAck.get(0);
  }

  @Test
  void bothOfferingScaleScalesBothDirectionsButNeverTheSyn() {
    Seg synAck = handshake(peer().seq(PEER_ISS).flags(SYN).window(65535).rawOptions(SYN_OPTIONS_WITH_SCALE),
        TcpConfig.DEFAULT, 100);
    assertEquals(OUR_SHIFT, synAck.windowScale, "RFC 7323 §2.2: the SYN-ACK answers with our shift");
    assertEquals(65535, synAck.window, "RFC 7323 §2.2: a SYN's window field is never scaled");
    // The peer's ACK said 100 << 7.
    assertEquals(100 << PEER_SHIFT, conn.info().sendWindow());
    // Data from the peer (more than two segments: ACKed at once). Our window is the free buffer,
    // 262144 - 4000, said as 258144 >> 3.
    h.send(peer().ack(synAck.seq + 1).window(100).flags(PSH | ACK).payload(new byte[4000]));
    List<Seg> acks = h.take();
    assertEquals(1, acks.size());
    assertEquals(PEER_ISS + 1 + 4000, acks.get(0).ack);
    assertEquals((262_144 - 4000) >> OUR_SHIFT, acks.get(0).window);
    assertEquals(262_144 - 4000, conn.info().receiveWindow());
  }

  @Test
  void aSynWithoutScaleGetsASynAckWithoutItAndNothingIsScaled() {
    Seg synAck = handshake(peer().seq(PEER_ISS).flags(SYN).window(65535).mss(MSS), TcpConfig.DEFAULT, 30_000);
    assertEquals(-1, synAck.windowScale, "RFC 7323 §2.2: no Window Scale in a SYN-ACK to a SYN without one");
    assertEquals(30_000, conn.info().sendWindow());
    h.send(peer().ack(synAck.seq + 1).window(30_000).flags(PSH | ACK).payload(new byte[4000]));
    List<Seg> acks = h.take();
    assertEquals(65535, acks.get(0).window, "unscaled, the window field tops out at 65535");
  }

  @Test
  void scalingTurnedOffAnswersWithoutIt() {
    Seg synAck = handshake(peer().seq(PEER_ISS).flags(SYN).window(65535).rawOptions(SYN_OPTIONS_WITH_SCALE),
        TcpConfig.builder().windowScaling(false).build(), 100);
    assertEquals(-1, synAck.windowScale);
    assertEquals(100, conn.info().sendWindow(), "the peer's shift is not applied when we did not agree");
  }

  @Test
  void anActiveOpenOffersScaleAndDropsItIfTheSynAckHasNone() {
    conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
    List<Seg> syn = h.take();
    assertEquals(1, syn.size());
    assertEquals(OUR_SHIFT, syn.get(0).windowScale, "RFC 7323 §2.2: our SYN offers our shift");
    int iss = syn.get(0).seq;
    // The SYN-ACK has no Window Scale: neither side scales.
    h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, 20_000, MSS, new byte[0], null));
    List<Seg> ack = h.take();
    assertEquals(65535, ack.get(0).window);
    assertEquals(20_000, conn.info().sendWindow());
  }

  @Test
  void anActiveOpenScalesWhenTheSynAckAgrees() {
    conn = h.connect(PEER_PORT, TcpConfig.DEFAULT);
    int iss = h.take().get(0).seq;
    h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS, iss + 1, SYN | ACK, 20_000, -1, new byte[0],
        SYN_OPTIONS_WITH_SCALE));
    List<Seg> ack = h.take();
    assertEquals(262_144 >> OUR_SHIFT, ack.get(0).window, "our first scaled window: the whole buffer");
    assertEquals(20_000, conn.info().sendWindow(), "the SYN-ACK's window is not scaled");
    h.send(new Seg(PEER_PORT, conn.localPort(), PEER_ISS + 1, iss + 1, ACK, 300, -1, new byte[0], null));
    assertEquals(300 << PEER_SHIFT, conn.info().sendWindow());
  }
}
