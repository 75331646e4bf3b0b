package io.tcpstack.runtime;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.tcpstack.device.Device;
import io.tcpstack.ip.Offload;
import io.tcpstack.ip.SoftwareOffload;
import io.tcpstack.tun.TunDevice;
import io.tcpstack.tun.VirtioNetHeader;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.TcpHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A {@link TunDevice} seen as the stack's {@link Device}. Closing the link closes the device.
 *
 * <p>With a virtio-net header ({@link TunDevice#vnetHeaderSize()} &gt; 0) the link speaks the
 * kernel's offloads (see {@link Offload}): on receive it strips the header and reports {@link
 * Offload#CHECKSUM_VALID} for a packet the kernel verified ({@code DATA_VALID}) or made itself and
 * never summed ({@code NEEDS_CSUM}), and hands over TCP super-segments (up to 64 KiB, {@code
 * gso_type} TCPV4) whole; on transmit it writes the header in front of each packet with one
 * writev(2) — {@code NEEDS_CSUM} with {@code csum_start}/{@code csum_offset} for a partial TCP
 * checksum, and {@code GSO_TCPV4} with {@code gso_size} for a super-segment — so the kernel sums
 * and cuts, or delivers it whole to the local socket.
 *
 * <p>A link built with {@code splitSuperSegments} (below an impairment, which must drop and
 * corrupt single packets) declares no offloads to the stack and cuts what the kernel hands over
 * into finished packets of at most the MTU, in software ({@link SoftwareOffload}).
 */
public final class TunLink implements Device {

  /**
   * The transmit queue the stack asks of a TUN device it creates (Linux gives a new one 500
   * packets): what the kernel holds for the stack while the loop is busy before it drops. Ten
   * thousand connections that each send at once queue about a packet each, and more with their
   * retransmissions: 4096 dropped 38,000 packets of such a run and 16,384 still 27,000; 65,536
   * dropped none (measured by ScaleIT and against serve). Memory is taken only while packets wait;
   * a full queue of 1500-byte packets is about 150 MB of kernel memory and 0.2 s of queueing.
   */
  public static final int TX_QUEUE_PACKETS = 65_536;

  /** The TUN_F_* offloads the stack asks for: checksums and TCP/IPv4 super-segments both ways. */
  public static final int TUN_OFFLOADS = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4;

  /** RFC 9293 §3.1: the TCP checksum field's offset in the TCP header (virtio's csum_offset). */
  private static final int TCP_CHECKSUM_OFFSET = TcpHeader.CHECKSUM_FIELD_OFFSET;

  private final TunDevice tun;
  private final int headerSize;
  private final int offloads;
  private final boolean split;
  /** The virtio-net header written in front of each packet (stack thread). */
  private final ByteBuf txHeader;
  private final VirtioNetHeader txView = new VirtioNetHeader();
  private final VirtioNetHeader rxView = new VirtioNetHeader();
  private int receivedOffload;
  // Split mode: the segments cut from the last super-segment, waiting to be received.
  private final SoftwareOffload software;
  private final ArrayDeque<ByteBuf> segments;
  private final ByteBuf splitScratch;
  /** Where {@link SoftwareOffload} builds each segment before it is copied into {@link #segments}. */
  private final ByteBuf segmentScratch;
  private final ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;

  /**
   * A link that passes the device's offloads on to the stack.
   *
   * @param tun the open TUN device; not null; closed with this link
   */
  public TunLink(TunDevice tun) {
    this(tun, false);
  }

  /**
   * A link over {@code tun} that may cut super-segments itself.
   *
   * @param tun the open TUN device; not null; closed with this link
   * @param splitSuperSegments declare no offloads and cut what the kernel hands over into finished
   *     packets of at most the MTU (for a link below an impairment)
   */
  public TunLink(TunDevice tun, boolean splitSuperSegments) {
    this.tun = tun;
    this.headerSize = tun.vnetHeaderSize();
    this.split = splitSuperSegments && headerSize > 0;
    this.offloads = split ? Offload.NONE : offloadsOf(tun);
    // JDK direct buffers, freed by the collector: close() may run on another thread while the loop
    // still writes, so these are never released by hand.
    this.txHeader = headerSize > 0 ? Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(headerSize)) : null;
    this.software = split ? new SoftwareOffload() : null;
    this.segments = split ? new ArrayDeque<>() : null;
    this.splitScratch = split ? Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(tun.maxPacketSize())) : null;
    this.segmentScratch = split ? Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(tun.mtu())) : null;
  }

  private static int offloadsOf(TunDevice tun) {
    if (tun.vnetHeaderSize() == 0 || (tun.offloads() & TunDevice.TUN_F_CSUM) == 0) {
      return Offload.NONE;
    }
    int offloads = Offload.TX_CHECKSUM;
    if ((tun.offloads() & TunDevice.TUN_F_TSO4) != 0) {
      offloads |= Offload.TX_SEGMENTATION;
    }
    return offloads;
  }

  /**
   * The underlying TUN device.
   *
   * @return the device given at construction
   */
  public TunDevice tun() {
    return tun;
  }

  @Override
  public int mtu() {
    return tun.mtu();
  }

  @Override
  public int offloads() {
    return offloads;
  }

  @Override
  public int maxReceiveSize() {
    return split ? tun.mtu() : tun.maxPacketSize();
  }

  @Override
  public int receivedOffload() {
    return receivedOffload;
  }

  @Override
  public int receive(ByteBuf dst) throws IOException {
    receivedOffload = Offload.NONE;
    if (headerSize == 0) {
      return tun.read(dst);
    }
    if (split) {
      return receiveSplit(dst);
    }
    int start = dst.writerIndex();
    int n = tun.read(dst);
    if (n <= 0) {
      return n;
    }
    if (n < headerSize) {
      dst.writerIndex(start);
      return receive(dst); // cannot happen with a kernel that agreed to the header: skip it
    }
    rxView.wrap(dst, start);
    if ((rxView.flags() & (VirtioNetHeader.F_DATA_VALID | VirtioNetHeader.F_NEEDS_CSUM)) != 0) {
      receivedOffload = Offload.CHECKSUM_VALID;
    }
    dst.readerIndex(start + headerSize);
    return n - headerSize;
  }

  /** Split mode: the next waiting segment, or the next packet read and, if need be, cut. */
  private int receiveSplit(ByteBuf dst) throws IOException {
    ByteBuf next = segments.poll();
    if (next == null) {
      splitScratch.clear();
      int n = tun.read(splitScratch);
      if (n <= 0) {
        return n;
      }
      rxView.wrap(splitScratch, 0);
      int flags = rxView.flags();
      int gsoSize = rxView.gsoType() == VirtioNetHeader.GSO_NONE ? 0 : rxView.gsoSize();
      splitScratch.readerIndex(headerSize);
      if ((flags & VirtioNetHeader.F_NEEDS_CSUM) == 0 && gsoSize == 0) {
        int length = splitScratch.readableBytes();
        dst.writeBytes(splitScratch);
        return length;
      }
      software.finish(splitScratch, Offload.partialChecksum(gsoSize), segmentScratch,
          p -> segments.add(allocator.directBuffer(p.readableBytes()).writeBytes(p)));
      next = segments.poll();
      if (next == null) {
        return 0;
      }
    }
    try {
      int length = next.readableBytes();
      dst.writeBytes(next);
      return length;
    } finally {
      next.release();
    }
  }

  @Override
  public void transmit(ByteBuf packet) throws IOException {
    if (headerSize == 0) {
      tun.write(packet);
      return;
    }
    txView.wrap(txHeader.clear(), 0).clear();
    txHeader.writerIndex(headerSize);
    tun.write(txHeader, packet);
  }

  @Override
  public void transmit(ByteBuf packet, int offload) throws IOException {
    if (offload == Offload.NONE || headerSize == 0) {
      transmit(packet);
      return;
    }
    txHeader.clear();
    txView.wrap(txHeader, 0).clear();
    txHeader.writerIndex(headerSize);
    int start = packet.readerIndex();
    int ipHeaderLength = (packet.getUnsignedByte(start) & 0x0F) * Ipv4Header.IHL_UNIT;
    txView.flags(VirtioNetHeader.F_NEEDS_CSUM)
        .checksumStart(ipHeaderLength)
        .checksumOffset(TCP_CHECKSUM_OFFSET);
    int segmentSize = Offload.segmentSize(offload);
    if (segmentSize > 0 && packet.readableBytes() > tun.mtu()) {
      int tcpHeaderLength = (packet.getUnsignedByte(start + ipHeaderLength + TcpHeader.DATA_OFFSET_FIELD_OFFSET) >>> 4)
          * TcpHeader.DATA_OFFSET_UNIT;
      txView.gsoType(VirtioNetHeader.GSO_TCPV4)
          .gsoSize(segmentSize)
          .headerLength(ipHeaderLength + tcpHeaderLength);
    }
    tun.write(txHeader, packet);
  }

  @Override
  public boolean await(long timeoutNs) throws IOException {
    if (split && !segments.isEmpty()) {
      return true;
    }
    return tun.await(timeoutNs);
  }

  @Override
  public void wakeup() {
    tun.wakeup();
  }

  @Override
  public boolean isOpen() {
    return tun.isOpen();
  }

  @Override
  public void close() throws IOException {
    try {
      tun.close();
    } finally {
      if (split) {
        ByteBuf b;
        while ((b = segments.poll()) != null) {
          b.release();
        }
      }
    }
  }

  @Override
  public String toString() {
    return "tun " + tun.name() + (headerSize == 0 ? "" : split ? " (offloads cut in software)" : " (offloads 0x"
        + Integer.toHexString(offloads) + ")");
  }
}
