package io.tcpstack.tcp;

import static io.tcpstack.testing.Seg.ACK;
import static io.tcpstack.testing.Seg.PSH;
import static io.tcpstack.testing.Seg.SYN;
import static io.tcpstack.testing.TcpHarness.LOCAL_PORT;
import static io.tcpstack.testing.TcpHarness.MSS;
import static io.tcpstack.testing.TcpHarness.PEER_PORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tcpstack.ip.Offload;
import io.tcpstack.stats.StackCounter;
import io.tcpstack.tcp.cc.CongestionAlgorithm;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.testing.TcpHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The TCP side of link offloads (issue 11): with {@link Offload#TX_SEGMENTATION} a connection
 * builds super-segments of whole MSS-sized segments that the link cuts, with a partial checksum
 * ({@link io.tcpstack.testing.CapturingSink} checks its value); with {@link
 * Offload#CHECKSUM_VALID} from the link an incoming checksum is not verified; and a super-segment
 * the link merged is taken whole. Our window is 65535 (the default receive buffer, unscaled); the
 * peer offers 65535 and MSS 1460; the initial congestion window is 10 MSS (RFC 6928).
 */
class TcpOffloadTest {

  static final int PEER_ISS = 10_000;
  static final int WINDOW = 65535;

  TcpHarness h;
  TcpConnection conn;
  int iss;
  int written;

  @AfterEach
  void close() {
    if (conn != null) {
      conn.dispose();
    }
    if (h != null) {
      h.close();
    }
  }

  static Seg peer() {
    return new Seg(PEER_PORT, LOCAL_PORT, PEER_ISS + 1, 0, 0, WINDOW, -1, new byte[0], null);
  }

  Seg out(int off, int len, int flags) {
    return new Seg(LOCAL_PORT, PEER_PORT, iss + 1 + off, PEER_ISS + 1, flags, WINDOW, -1, stream(off, len), null);
  }

  static byte[] stream(int off, int len) {
    byte[] d = new byte[len];
    for (int i = 0; i < len; i++) {
      d[i] = (byte) ((off + i) % 251);
    }
    return d;
  }

  void established(int linkOffloads) {
    established(linkOffloads, TcpConfig.DEFAULT);
  }

  void established(int linkOffloads, TcpConfig config) {
    h = new TcpHarness(b -> b, linkOffloads);
    TcpListener listener = h.listen(LOCAL_PORT, 8, config);
    h.send(peer().seq(PEER_ISS).flags(SYN).mss(MSS));
    List<Seg> synAck = h.take();
    iss = synAck.get(0).seq;
    h.send(peer().ack(iss + 1));
    h.expectNothing();
    conn = listener.accept();
    assertNotNull(conn);
    h.takeOffloads();
  }

  void write(int n) {
    assertEquals(n, h.write(conn, stream(written, n)));
    written += n;
  }

  // ------------------------------------------------------------------ transmit

  @Test
  void withSegmentationOffloadTheInitialWindowLeavesAsOneSuperSegment() {
    // NewReno named: the window after the first ACK is RFC 5681's (CUBIC's HyStart++ would add up
    // to L = 8 segments for an ACK of ten, RFC 9406 §4.2).
    established(Offload.TX_CHECKSUM | Offload.TX_SEGMENTATION,
        TcpConfig.builder().congestionControl(CongestionAlgorithm.NEWRENO).build());
    write(100_000);
    // RFC 6928: 10 segments may go at once; one datagram carries them, cut by the link at MSS.
    h.expect(out(0, 10 * MSS, ACK));
    assertEquals(List.of(Offload.partialChecksum(MSS)), h.takeOffloads());
    assertEquals(1, h.counter(StackCounter.IP_OUT_SUPER_PACKETS));
    // The ACK of all ten opens the window by one MSS (RFC 5681 slow start): eleven go next.
    h.send(peer().ack(iss + 1 + 10 * MSS));
    h.expect(out(10 * MSS, 11 * MSS, ACK));
  }

  @Test
  void aSuperSegmentEndsWithAShortSegmentOnlyWhenItMayGoOnItsOwn() {
    established(Offload.TX_CHECKSUM | Offload.TX_SEGMENTATION);
    // Everything queued fits and nothing small is in flight: the 80-byte tail goes with the rest.
    write(2 * MSS + 80);
    h.expect(out(0, 2 * MSS + 80, ACK | PSH));
    assertEquals(List.of(Offload.partialChecksum(MSS)), h.takeOffloads());
    // Nagle (RFC 9293 §3.7.4): with that short segment unacknowledged, a new tail waits; whole
    // segments go without it.
    write(2 * MSS + 80);
    h.expect(out(2 * MSS + 80, 2 * MSS, ACK));
    h.send(peer().ack(iss + 1 + 4 * MSS + 80));
    h.expect(out(4 * MSS + 80, 80, ACK | PSH));
    assertEquals(List.of(Offload.partialChecksum(MSS), Offload.partialChecksum(0)), h.takeOffloads(),
        "the 80 bytes are an ordinary segment, its checksum still left to the link");
  }

  @Test
  void withChecksumOffloadOnlySegmentsAreMssSizedWithPartialChecksums() {
    established(Offload.TX_CHECKSUM);
    write(3 * MSS);
    h.expect(out(0, MSS, ACK), out(MSS, MSS, ACK), out(2 * MSS, MSS, ACK | PSH));
    assertEquals(List.of(Offload.partialChecksum(0), Offload.partialChecksum(0), Offload.partialChecksum(0)),
        h.takeOffloads());
    assertEquals(0, h.counter(StackCounter.IP_OUT_SUPER_PACKETS));
  }

  @Test
  void withoutOffloadsSegmentsAreFinished() {
    established(Offload.NONE);
    write(3 * MSS);
    h.expect(out(0, MSS, ACK), out(MSS, MSS, ACK), out(2 * MSS, MSS, ACK | PSH));
    assertEquals(List.of(Offload.NONE, Offload.NONE, Offload.NONE), h.takeOffloads());
  }

  // ------------------------------------------------------------------ receive

  /** Peer data of {@code len} bytes at offset 0 of its stream, with its checksum spoiled if asked. */
  byte[] peerPacket(int len, boolean spoilChecksum) {
    byte[] tcp = peer().ack(iss + 1).flags(PSH | ACK).payload(stream(0, len)).toBytes(Packets.HOST, Packets.STACK);
    if (spoilChecksum) {
      tcp[16] ^= 0x5A; // RFC 9293 §3.1: the checksum field
    }
    return Packets.ipv4(Packets.HOST, Packets.STACK, 6, 0x4242, true, false, 0, 64, tcp);
  }

  @Test
  void aChecksumTheLinkVouchesForIsNotVerified() {
    established(Offload.NONE);
    h.send(peerPacket(100, true), Offload.NONE);
    h.expectNothing();
    assertEquals(1, h.counter(StackCounter.TCP_IN_BAD_CHECKSUM), "RFC 9293 MUST-2: verified and dropped");
    // A TUN device's DATA_VALID or NEEDS_CSUM: the kernel checked it, or made it and never summed it.
    h.send(peerPacket(100, true), Offload.CHECKSUM_VALID);
    assertEquals(1, h.counter(StackCounter.TCP_IN_BAD_CHECKSUM));
    assertArrayEquals(stream(0, 100), h.read(conn, 1000));
  }

  @Test
  void aSuperSegmentFromTheLinkIsTakenWholeAndAcknowledgedAtOnce() {
    established(Offload.NONE);
    h.send(peerPacket(20_000, false), Offload.CHECKSUM_VALID);
    assertEquals(1, h.counter(StackCounter.IP_IN_SUPER_PACKETS));
    // More than two full segments unacknowledged: the ACK is not delayed (RFC 5681 §4.2). The window
    // stays 65535: the 256 KiB buffer has room beyond what an unscaled window can say.
    h.expect(new Seg(LOCAL_PORT, PEER_PORT, iss + 1, PEER_ISS + 1 + 20_000, ACK, WINDOW, -1, new byte[0], null));
    assertArrayEquals(stream(0, 20_000), h.read(conn, 20_000));
  }
}
