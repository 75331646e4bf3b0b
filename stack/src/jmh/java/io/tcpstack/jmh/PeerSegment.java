package io.tcpstack.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.testing.Packets;
import io.tcpstack.testing.Seg;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.TcpHeader;

/**
 * One IPv4 datagram from the peer, built once in a direct buffer and re-aimed with {@link #set}: the
 * sequence and acknowledgment numbers change, the TCP checksum is updated incrementally (RFC 1624
 * eqn. 3), so feeding it costs the benchmark no allocation and no full checksum pass.
 */
final class PeerSegment implements AutoCloseable {

  private static final int TCP = Ipv4Header.MIN_LENGTH;
  private static final int SEQ = TCP + TcpHeader.SEQUENCE_NUMBER_FIELD_OFFSET;
  private static final int ACK = TCP + TcpHeader.ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET;
  private static final int CHECKSUM = TCP + TcpHeader.CHECKSUM_FIELD_OFFSET;

  final ByteBuf buffer;
  private final int length;

  PeerSegment(Seg segment) {
    byte[] datagram =
        Packets.ipv4(Packets.HOST, Packets.STACK, IpProtocol.TCP, 0x4242, true, false, 0, 64,
            segment.toBytes(Packets.HOST, Packets.STACK));
    length = datagram.length;
    buffer = Unpooled.directBuffer(length);
    buffer.writeBytes(datagram);
  }

  /** Sets SEG.SEQ and SEG.ACK and returns the datagram, readable from its first byte. */
  ByteBuf set(int seq, int ack) {
    long sum = ~buffer.getUnsignedShort(CHECKSUM) & 0xFFFF;
    sum += minus(buffer.getInt(SEQ)) + plus(seq) + minus(buffer.getInt(ACK)) + plus(ack);
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    buffer.setInt(SEQ, seq);
    buffer.setInt(ACK, ack);
    buffer.setShort(CHECKSUM, (int) ~sum & 0xFFFF);
    return buffer.setIndex(0, length);
  }

  /** The 32-bit word as two 16-bit words added. */
  private static long plus(int word) {
    return (word >>> 16) + (word & 0xFFFF);
  }

  /** The 32-bit word's two 16-bit words in one's complement: subtracting them. */
  private static long minus(int word) {
    return (~word >>> 16 & 0xFFFF) + (~word & 0xFFFF);
  }

  @Override
  public void close() {
    buffer.release();
  }
}
