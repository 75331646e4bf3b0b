package io.tcpstack.jmh;

import io.netty.buffer.ByteBuf;
import io.tcpstack.ip.PacketSink;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.TcpHeader;

/**
 * The in-memory link of the segment-path benchmarks: counts what the stack transmits and, for the
 * peer's ACKs, keeps the sequence number just past each segment in a fixed ring. Reads a few header
 * fields; allocates nothing per packet.
 */
final class CountingSink implements PacketSink {

  /** More than a window's worth of segments in flight (64 KiB / 536). */
  private static final int RING = 256;

  long packets;
  long bytes;
  private final int[] ends = new int[RING];
  private final int[] flags = new int[RING];

  @Override
  public void transmit(ByteBuf packet) {
    int ip = packet.readerIndex();
    int ipHeaderLength = (packet.getByte(ip) & 0x0F) * Ipv4Header.IHL_UNIT;
    int totalLength = packet.getUnsignedShort(ip + Ipv4Header.TOTAL_LENGTH_FIELD_OFFSET);
    int tcp = ip + ipHeaderLength;
    int tcpHeaderLength =
        (packet.getUnsignedByte(tcp + TcpHeader.DATA_OFFSET_FIELD_OFFSET) >>> 4) * TcpHeader.DATA_OFFSET_UNIT;
    int segmentFlags = packet.getUnsignedByte(tcp + TcpHeader.FLAGS_FIELD_OFFSET);
    int dataLength = totalLength - ipHeaderLength - tcpHeaderLength;
    int slot = (int) (packets & (RING - 1));
    ends[slot] =
        packet.getInt(tcp + TcpHeader.SEQUENCE_NUMBER_FIELD_OFFSET)
            + dataLength
            + ((segmentFlags & (TcpHeader.FLAG_SYN | TcpHeader.FLAG_FIN)) != 0 ? 1 : 0);
    flags[slot] = segmentFlags;
    packets++;
    bytes += packet.readableBytes();
  }

  /** The sequence number just past packet number {@code n} (counting from 0), if still in the ring. */
  int end(long n) {
    check(n);
    return ends[(int) (n & (RING - 1))];
  }

  /** The TCP flags of packet number {@code n}. */
  int flags(long n) {
    check(n);
    return flags[(int) (n & (RING - 1))];
  }

  private void check(long n) {
    if (n < 0 || n >= packets || packets - n > RING) {
      throw new IllegalStateException("packet " + n + " is not in the ring (" + packets + " sent)");
    }
  }
}
