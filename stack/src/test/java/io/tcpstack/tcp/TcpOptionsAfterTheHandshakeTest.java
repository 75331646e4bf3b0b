package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.RST;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tcpstack.stats.StackCounter;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the SYN-only options mean outside a SYN, and what a RST's timestamp may change: RFC 7323
 * §2.2 (a Window Scale option outside a SYN is ignored), §2.3 (a shift above 14 is used as 14),
 * §5.2 (a RST's Timestamps option updates nothing), RFC 2018 §2 (SACK-Permitted only in a SYN).
 */
class TcpOptionsAfterTheHandshakeTest {

  static final int PEER_ISS = 20_000;
  static final int PEER_TS = 1_000;

  final TcpHarness h = new TcpHarness();
  TcpConnection conn;
  int iss;

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

  /** Passive open with the SYN's {@code synOptions}; the peer's ACK says {@code window}. Returns our SYN-ACK. */
  Seg accept(byte[] synOptions, int window) {
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).window(65535).rawOptions(synOptions));
    List<Seg> synAck = h.take();
    assertEquals(1, synAck.size());
    iss = synAck.get(0).seq;
    h.send(peer().ack(iss + 1).window(window));
    conn = listener.accept();
    assertNotNull(conn);
    return synAck.get(0);
  }

  @Test
  void aWindowScaleOptionOutsideASynIsIgnored() {
    // RFC 7323 §2.2: the shift is the SYN's (7); a Window Scale option in a later segment changes nothing.
    accept(new byte[] {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 3, 3, 7}, 100);
    assertEquals(100 << 7, conn.info().sendWindow());
    h.send(peer().ack(iss + 1).window(200).rawOptions(new byte[] {1, 3, 3, 0}));
    assertEquals(200 << 7, conn.info().sendWindow(), "still shifted by the SYN's 7, not the ACK's 0");
    h.send(peer().ack(iss + 1).window(300).rawOptions(new byte[] {1, 3, 3, 14}));
    assertEquals(300 << 7, conn.info().sendWindow(), "nor by 14");
  }

  @Test
  void aShiftAboveFourteenInTheSynIsUsedAsFourteen() {
    // RFC 7323 §2.3: a shift count above 14 is taken as 14.
    accept(new byte[] {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 3, 3, 20}, 1);
    assertEquals(1 << 14, conn.info().sendWindow());
    h.send(peer().ack(iss + 1).window(3));
    assertEquals(3 << 14, conn.info().sendWindow());
  }

  @Test
  void sackPermittedIsSentInTheSynAckOnlyNeverLater() {
    // RFC 2018 §2: SACK-Permitted goes in a SYN (or SYN-ACK) and in no other segment.
    Seg synAck = accept(new byte[] {2, 4, (byte) (MSS >> 8), (byte) MSS, 1, 1, 4, 2}, 65535);
    assertTrue(synAck.sackPermitted, "the SYN-ACK answers SACK-Permitted");
    assertTrue(conn.sackEnabled());
    // Data both ways, out of order too (ACKs with SACK blocks), then the close.
    h.write(conn, new byte[3000]);
    h.send(peer().ack(iss + 1).window(65535).seq(PEER_ISS + 1 + 1000).flags(PSH | ACK).payload(new byte[500]));
    h.send(peer().ack(iss + 1 + 3000).window(65535).flags(PSH | ACK).payload(new byte[1000]));
    h.atMs(1000);
    h.shutdownOutput(conn);
    List<Seg> later = h.take();
    assertTrue(later.size() >= 4, "data, ACKs and the FIN: " + later);
    assertTrue(later.stream().anyMatch(s -> s.sack.length > 0), "an ACK carried SACK blocks");
    for (Seg s : later) {
      assertFalse(s.sackPermitted, "no SACK-Permitted outside a SYN: " + s);
    }
  }

  @Test
  void aResetsTimestampNeverBecomesTsRecent() {
    // RFC 7323 §5.2: a RST is not checked by PAWS, and its Timestamps option updates no state.
    TcpListener listener = h.listen(LOCAL_PORT, 8, TcpConfig.DEFAULT);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS).ts(PEER_TS, 0));
    Seg synAck = h.take().get(0);
    iss = synAck.seq;
    assertTrue(synAck.timestamps);
    h.atMs(10).send(peer().ack(iss + 1).ts(PEER_TS + 1, synAck.tsVal));
    conn = listener.accept();
    assertNotNull(conn);
    assertTrue(conn.timestamps.enabled);
    // A RST inside the window but not at RCV.NXT, with a TSval far ahead: a challenge ACK (RFC 5961
    // §3.2) that still echoes the handshake's TSval.
    h.atMs(20).send(peer().seq(PEER_ISS + 1 + 100).flags(RST).ts(PEER_TS + 1_000_000, 0));
    List<Seg> challenge = h.take();
    assertEquals(1, challenge.size());
    assertEquals(PEER_TS + 1, challenge.get(0).tsEcr, "TS.Recent unchanged by the RST");
    assertEquals(TcpState.ESTABLISHED, conn.state());
    // Data with the next TSval is taken: had the RST set TS.Recent, PAWS would drop it.
    h.atMs(30).send(peer().ack(iss + 1).flags(PSH | ACK).payload("abc").ts(PEER_TS + 2, synAck.tsVal));
    h.atMs(300);
    assertEquals(3, conn.readable());
    assertEquals(0, h.counter(StackCounter.TCP_PAWS_DROPS));
  }
}
