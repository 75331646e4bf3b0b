package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tcpstack.wire.InternetChecksum;
import io.tcpstack.wire.IpProtocol;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.Ipv6Header;
import io.tcpstack.wire.TcpHeader;

/**
 * What a link with offloads does, done in software: completes a partial TCP checksum and cuts a TCP
 * super-segment into segments of a given size (the kernel's {@code tcp_gso_segment}). Used where
 * the packets must be finished ones: below an impairment ({@code --impair} drops and corrupts
 * single packets, not super-segments), for a sink that declared no offloads, and in tests.
 *
 * <p>Each segment repeats the IP and TCP headers (options included) with: IP total length and
 * identification (the first segment keeps the original, each next one adds one, as Linux does),
 * the IP header checksum; the TCP sequence number advanced by the payload before it; FIN and PSH
 * only on the last segment and CWR only on the first (RFC 3168 §6.1.2, Linux's TSO rules); and a
 * full TCP checksum. A TCP/IPv6 packet with a partial checksum gets its checksum completed (no
 * IPv6 super-segments reach it: the link does not ask the kernel for them).
 */
public final class SoftwareOffload {

  private final Ipv4Header ip = new Ipv4Header();
  private final Ipv6Header ip6 = new Ipv6Header();
  private final TcpHeader tcp = new TcpHeader();

  /**
   * Finishes the IPv4 packet that is {@code packet}'s readable bytes according to {@code offload}
   * and passes the result (one packet, or one per segment) to {@code out}, built in {@code
   * scratch} (a buffer of at least the segment size plus 120 bytes, reused for each). A packet
   * that is not TCP over IPv4 with a consistent header goes to {@code out} unchanged. {@code
   * packet} is not modified.
   *
   * @return the number of packets passed on
   */
  public int finish(ByteBuf packet, int offload, ByteBuf scratch, PacketSink out) {
    int start = packet.readerIndex();
    int length = packet.readableBytes();
    if (offload != Offload.NONE && Offload.segmentSize(offload) == 0 && isTcp6(packet, start, length)) {
      // TCP over IPv6 with a partial checksum (the kernel's NEEDS_CSUM; it cuts no IPv6 super-segments
      // for us, TUN_F_TSO6 is not asked for): completed over the IPv6 pseudo-header, RFC 8200 §8.1.
      scratch.clear();
      scratch.writeBytes(packet, start, length);
      int tcpLength = ip6.payloadLength();
      tcp.wrap(scratch, Ipv6Header.LENGTH, tcpLength)
          .fillChecksum6(ip6.sourceHi(), ip6.sourceLo(), ip6.destinationHi(), ip6.destinationLo(), tcpLength);
      out.transmit(scratch);
      return 1;
    }
    if (offload == Offload.NONE || !isTcp(packet, start, length)) {
      out.transmit(packet);
      return 1;
    }
    int ipHeaderLength = ip.headerLength();
    int headersLength = ipHeaderLength + tcp.headerLength();
    int payloadLength = ip.totalLength() - headersLength;
    int segmentSize = Offload.segmentSize(offload);
    if (segmentSize == 0 || payloadLength <= segmentSize) {
      segmentSize = Math.max(payloadLength, 1);
    }
    int seq = tcp.sequenceNumber();
    int flags = tcp.flags();
    int identification = ip.identification();
    int count = 0;
    for (int offset = 0; offset < payloadLength || count == 0; offset += segmentSize) {
      int n = Math.min(segmentSize, payloadLength - offset);
      boolean first = offset == 0;
      boolean last = offset + n >= payloadLength;
      scratch.clear();
      scratch.writeBytes(packet, start, headersLength);
      scratch.writeBytes(packet, start + headersLength + offset, n);
      int segmentFlags = flags;
      if (!last) {
        segmentFlags &= ~(TcpHeader.FLAG_FIN | TcpHeader.FLAG_PSH);
      }
      if (!first) {
        segmentFlags &= ~TcpHeader.FLAG_CWR;
      }
      Ipv4Header segmentIp = ip.wrap(scratch, 0)
          .setTotalLength(headersLength + n)
          .setIdentification((identification + count) & 0xFFFF);
      segmentIp.fillChecksum();
      int source = segmentIp.source();
      int destination = segmentIp.destination();
      tcp.wrap(scratch, ipHeaderLength, headersLength - ipHeaderLength + n)
          .setSequenceNumber(seq + offset)
          .setDataOffsetAndFlags(headersLength - ipHeaderLength, segmentFlags)
          .fillChecksum(source, destination, headersLength - ipHeaderLength + n);
      out.transmit(scratch);
      count++;
    }
    return count;
  }

  /**
   * {@link PacketSink#transmit(ByteBuf, int)}'s default: {@link #finish} with a buffer allocated
   * for the call. For sinks off the fast path (tests, a link that declared no offloads).
   */
  static void finishWithTemporaryBuffer(ByteBuf packet, int offload, PacketSink out) {
    ByteBuf scratch = Unpooled.buffer(packet.readableBytes() + Ipv4Header.MAX_HEADER_LENGTH + TcpHeader.MAX_HEADER_LENGTH);
    try {
      new SoftwareOffload().finish(packet, offload, scratch, out);
    } finally {
      scratch.release();
    }
  }

  /**
   * The value a partial TCP checksum field holds: the pseudo-header sum, not complemented (what
   * Linux's {@code tcp_v4_send_check} leaves for the device), for a TCP length of {@code
   * tcpLength} (header and all payload, of the whole super-segment).
   */
  public static int partialChecksum(int source, int destination, int tcpLength) {
    return InternetChecksum.pseudoHeaderSum(source, destination, IpProtocol.TCP, tcpLength);
  }

  /** Wraps the views over a TCP/IPv4 packet; false if it is anything else or inconsistent. */
  /** Whether {@code packet} is TCP right after a 40-byte IPv6 header, whole and consistent ({@link #ip6} wraps it). */
  private boolean isTcp6(ByteBuf packet, int start, int length) {
    if (length < Ipv6Header.LENGTH + TcpHeader.MIN_LENGTH || (packet.getUnsignedByte(start) >>> 4) != Ipv6Header.VERSION) {
      return false;
    }
    ip6.wrap(packet, start);
    return ip6.nextHeader() == IpProtocol.TCP && ip6.payloadLength() >= TcpHeader.MIN_LENGTH
        && Ipv6Header.LENGTH + ip6.payloadLength() <= length;
  }

  private boolean isTcp(ByteBuf packet, int start, int length) {
    if (length < Ipv4Header.MIN_LENGTH || (packet.getUnsignedByte(start) >>> 4) != Ipv4Header.VERSION) {
      return false;
    }
    ip.wrap(packet, start);
    int ipHeaderLength = ip.headerLength();
    if (ip.protocol() != IpProtocol.TCP || ip.isFragment() || ip.totalLength() > length
        || ipHeaderLength < Ipv4Header.MIN_LENGTH || ip.totalLength() < ipHeaderLength + TcpHeader.MIN_LENGTH) {
      return false;
    }
    tcp.wrap(packet, start + ipHeaderLength, ip.totalLength() - ipHeaderLength);
    int tcpHeaderLength = tcp.headerLength();
    return tcpHeaderLength >= TcpHeader.MIN_LENGTH && ipHeaderLength + tcpHeaderLength <= ip.totalLength();
  }
}
