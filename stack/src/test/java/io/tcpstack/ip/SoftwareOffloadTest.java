package io.tcpstack.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutting a TCP super-segment in software, as the kernel's tcp_gso_segment does. */
class SoftwareOffloadTest {

  static final int MSS = 1000;

  final List<byte[]> out = new ArrayList<>();
  final PacketSink sink = p -> out.add(ByteBufUtil.getBytes(p));

  /** A super-segment of {@code len} payload bytes with SEQ 5000, flags as given, checksum partial. */
  static byte[] superSegment(int len, int flags) {
    byte[] tcp = new Seg(40000, 80, 5000, 777, flags, 30000, -1, Packets.pattern(len), null)
        .toBytes(Packets.STACK, Packets.HOST);
    int partial = SoftwareOffload.partialChecksum(Packets.STACK, Packets.HOST, tcp.length);
    tcp[16] = (byte) (partial >>> 8);
    tcp[17] = (byte) partial;
    return Packets.ipv4(Packets.STACK, Packets.HOST, 6, 0x1234, true, false, 0, 64, tcp);
  }

  List<byte[]> finish(byte[] packet, int offload) {
    ByteBuf in = Unpooled.wrappedBuffer(packet);
    ByteBuf scratch = Unpooled.buffer(2048);
    try {
      int n = new SoftwareOffload().finish(in, offload, scratch, sink);
      assertEquals(out.size(), n);
      assertArrayEquals(packet, ByteBufUtil.getBytes(in), "the super-segment is left as it was");
      return out;
    } finally {
      in.release();
      scratch.release();
    }
  }

  @Test
  void aSuperSegmentIsCutIntoSegmentsOfTheGivenSize() {
    List<byte[]> segments = finish(superSegment(3 * MSS + 123, Seg.ACK | Seg.PSH | Seg.FIN), Offload.partialChecksum(MSS));
    assertEquals(4, segments.size());
    byte[] data = Packets.pattern(3 * MSS + 123);
    for (int i = 0; i < 4; i++) {
      byte[] p = segments.get(i);
      Seg s = Seg.parse(p); // verifies the IP header and TCP checksums
      int len = i < 3 ? MSS : 123;
      assertEquals(20 + 20 + len, Packets.u16(p, 2), "IP total length");
      assertEquals(0x1234 + i, Packets.u16(p, 4), "IP identification: one more per segment, as Linux's TSO");
      assertEquals(5000 + i * MSS, s.seq);
      assertEquals(777, s.ack);
      assertEquals(i < 3 ? Seg.ACK : Seg.ACK | Seg.PSH | Seg.FIN, s.flags, "FIN and PSH only on the last");
      assertArrayEquals(Arrays.copyOfRange(data, i * MSS, i * MSS + len), s.payload);
    }
  }

  @Test
  void aPartialChecksumWithoutSegmentSizeIsCompletedInOnePacket() {
    byte[] packet = superSegment(1500, Seg.ACK);
    List<byte[]> segments = finish(packet, Offload.partialChecksum(0));
    assertEquals(1, segments.size());
    Seg s = Seg.parse(segments.get(0));
    assertArrayEquals(Packets.pattern(1500), s.payload);
  }

  @Test
  void aPacketThatIsNotTcpPassesUnchanged() {
    byte[] ping = Packets.ipv4(Packets.STACK, Packets.HOST, 1, Packets.echoRequest(1, 1, new byte[8]));
    List<byte[]> packets = finish(ping, Offload.partialChecksum(MSS));
    assertEquals(1, packets.size());
    assertArrayEquals(ping, packets.get(0));
  }

  @Test
  void theDefaultSinkFinishesWhatItIsGiven() {
    byte[] packet = superSegment(2 * MSS, Seg.ACK);
    ByteBuf in = Unpooled.wrappedBuffer(packet);
    try {
      sink.transmit(in, Offload.partialChecksum(MSS));
    } finally {
      in.release();
    }
    assertEquals(2, out.size());
    assertEquals(5000 + MSS, Seg.parse(out.get(1)).seq);
  }

  @Test
  void anIpv6SegmentsPartialChecksumIsCompletedOverTheIpv6PseudoHeader() {
    io.tcpstack.wire.IpAddress src = io.tcpstack.testing.Packets6.HOST6;
    io.tcpstack.wire.IpAddress dst = io.tcpstack.testing.Packets6.STACK6;
    Seg seg = new Seg(40000, 80, 5000, 777, Seg.ACK | Seg.PSH, 30000, -1, Packets.pattern(700), null);
    byte[] tcp = seg.toBytes6(src, dst);
    // NEEDS_CSUM as the kernel leaves it: the field holds the pseudo-header sum only.
    int partial = io.tcpstack.wire.InternetChecksum.pseudoHeaderSum6(src.hi(), src.lo(), dst.hi(), dst.lo(), 6,
        tcp.length);
    tcp[16] = (byte) (partial >>> 8);
    tcp[17] = (byte) partial;
    byte[] packet = io.tcpstack.testing.Packets6.ipv6(src, dst, 6, tcp);
    List<byte[]> finished = finish(packet, Offload.partialChecksum(0));
    assertEquals(1, finished.size());
    assertEquals(seg, Seg.parse6(finished.get(0))); // verifies the checksum over the IPv6 pseudo-header
  }
}
