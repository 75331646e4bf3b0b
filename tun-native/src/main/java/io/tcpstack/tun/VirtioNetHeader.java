package io.tcpstack.tun;

import io.netty.buffer.ByteBuf;

/**
 * A view of the {@code struct virtio_net_hdr} (the kernel's {@code <linux/virtio_net.h>}; virtio
 * 1.x spec §5.1.6 "Device Operation") that a TUN device opened with {@code IFF_VNET_HDR} puts in
 * front of every packet it hands out and expects in front of every packet written to it: see
 * {@link TunDevice.Builder#vnetHeader(boolean)}.
 *
 * <pre>
 *  byte  0               1               2               3
 *       +---------------+---------------+-------------------------------+
 *     0 |     flags     |   gso_type    |        hdr_len  (le16)        |
 *       +---------------+---------------+-------------------------------+
 *     4 |        gso_size (le16)        |       csum_start (le16)       |
 *       +-------------------------------+-------------------------------+
 *     8 |      csum_offset (le16)       |  then the IPv4 or IPv6 packet
 *       +-------------------------------+
 * </pre>
 *
 * <ul>
 *   <li>{@code flags}: {@link #F_NEEDS_CSUM} — the packet's checksum is not filled in: sum from
 *       {@code csum_start} (counted from the IP header, i.e. from just after this header) to the
 *       end and store the result at {@code csum_start + csum_offset}; the kernel has already put
 *       the pseudo-header sum there. {@link #F_DATA_VALID} — the checksum was verified (or need not
 *       be); on write it asks the kernel to trust it.
 *   <li>{@code gso_type}: {@link #GSO_NONE}, or the packet is a super-packet of {@code gso_size}
 *       -byte segments to be cut: {@link #GSO_TCPV4}, {@link #GSO_TCPV6}, {@link #GSO_UDP}, possibly
 *       with {@link #GSO_ECN}.
 *   <li>{@code hdr_len}: a hint of the header bytes (IP + transport) copied to every segment.
 * </ul>
 *
 * <p>Byte order: little-endian. The kernel writes the 16-bit fields in the device's "vnet
 * endianness": little-endian if {@code TUNSETVNETLE} was set, big-endian if {@code TUNSETVNETBE}
 * was, otherwise the host's own order ({@code tun_is_little_endian()} →
 * {@code virtio_legacy_is_little_endian()} in drivers/net/tun.c and
 * include/linux/virtio_byteorder.h). tcpstack runs on x86_64 and little-endian aarch64, so the
 * default is little-endian; on a big-endian host {@link TunDevice} asks for {@code TUNSETVNETLE},
 * and falls back to no header if the kernel refuses, so this view is always right to read
 * little-endian.
 *
 * <p>A reusable flyweight like the stack's header views: {@link #wrap} binds it to an absolute
 * index without any check; every accessor reads or writes the buffer there and never moves its
 * indices. The caller makes sure {@link #LENGTH} bytes are there.
 */
public final class VirtioNetHeader {

  /** {@code sizeof(struct virtio_net_hdr)}: the size {@link TunDevice} sets with TUNSETVNETHDRSZ. */
  public static final int LENGTH = 10;

  /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} (<linux/virtio_net.h>): use csum_start and csum_offset. */
  public static final int F_NEEDS_CSUM = 1;

  /** {@code VIRTIO_NET_HDR_F_DATA_VALID} (<linux/virtio_net.h>): the checksum is known good. */
  public static final int F_DATA_VALID = 2;

  /** {@code VIRTIO_NET_HDR_GSO_NONE}: a single packet, not to be segmented. */
  public static final int GSO_NONE = 0;

  /** {@code VIRTIO_NET_HDR_GSO_TCPV4}: a TCP/IPv4 super-packet (TSO). */
  public static final int GSO_TCPV4 = 1;

  /** {@code VIRTIO_NET_HDR_GSO_UDP}: a UDP super-packet (UFO, IP fragmentation). */
  public static final int GSO_UDP = 3;

  /** {@code VIRTIO_NET_HDR_GSO_TCPV6}: a TCP/IPv6 super-packet (TSO). */
  public static final int GSO_TCPV6 = 4;

  /** {@code VIRTIO_NET_HDR_GSO_ECN}: or-ed into gso_type when the TCP segments carry CWR. */
  public static final int GSO_ECN = 0x80;

  public static final int FLAGS_FIELD_OFFSET = 0;
  public static final int GSO_TYPE_FIELD_OFFSET = 1;
  public static final int HDR_LEN_FIELD_OFFSET = 2;
  public static final int GSO_SIZE_FIELD_OFFSET = 4;
  public static final int CSUM_START_FIELD_OFFSET = 6;
  public static final int CSUM_OFFSET_FIELD_OFFSET = 8;

  private ByteBuf buffer;
  private int offset;

  /** Binds this view to the header at absolute index {@code index} of {@code buffer}, unchecked. */
  public VirtioNetHeader wrap(ByteBuf buffer, int index) {
    this.buffer = buffer;
    this.offset = index;
    return this;
  }

  public ByteBuf buffer() {
    return buffer;
  }

  /** The absolute index of the header's first byte. */
  public int offset() {
    return offset;
  }

  /** The absolute index of the packet after the header. */
  public int packetIndex() {
    return offset + LENGTH;
  }

  /** Zeroes all ten bytes: no flags, {@link #GSO_NONE} — what to put before a finished packet. */
  public VirtioNetHeader clear() {
    buffer.setZero(offset, LENGTH);
    return this;
  }

  public int flags() {
    return buffer.getUnsignedByte(offset + FLAGS_FIELD_OFFSET);
  }

  public VirtioNetHeader flags(int flags) {
    buffer.setByte(offset + FLAGS_FIELD_OFFSET, flags);
    return this;
  }

  public boolean needsChecksum() {
    return (flags() & F_NEEDS_CSUM) != 0;
  }

  public boolean dataValid() {
    return (flags() & F_DATA_VALID) != 0;
  }

  public int gsoType() {
    return buffer.getUnsignedByte(offset + GSO_TYPE_FIELD_OFFSET);
  }

  public VirtioNetHeader gsoType(int gsoType) {
    buffer.setByte(offset + GSO_TYPE_FIELD_OFFSET, gsoType);
    return this;
  }

  public int headerLength() {
    return buffer.getUnsignedShortLE(offset + HDR_LEN_FIELD_OFFSET);
  }

  public VirtioNetHeader headerLength(int hdrLen) {
    buffer.setShortLE(offset + HDR_LEN_FIELD_OFFSET, hdrLen);
    return this;
  }

  public int gsoSize() {
    return buffer.getUnsignedShortLE(offset + GSO_SIZE_FIELD_OFFSET);
  }

  public VirtioNetHeader gsoSize(int gsoSize) {
    buffer.setShortLE(offset + GSO_SIZE_FIELD_OFFSET, gsoSize);
    return this;
  }

  /** Where checksumming starts, counted from the packet's first byte (the IP header). */
  public int checksumStart() {
    return buffer.getUnsignedShortLE(offset + CSUM_START_FIELD_OFFSET);
  }

  public VirtioNetHeader checksumStart(int csumStart) {
    buffer.setShortLE(offset + CSUM_START_FIELD_OFFSET, csumStart);
    return this;
  }

  /** Where the checksum goes, counted from {@link #checksumStart()} (16 for TCP, 6 for UDP). */
  public int checksumOffset() {
    return buffer.getUnsignedShortLE(offset + CSUM_OFFSET_FIELD_OFFSET);
  }

  public VirtioNetHeader checksumOffset(int csumOffset) {
    buffer.setShortLE(offset + CSUM_OFFSET_FIELD_OFFSET, csumOffset);
    return this;
  }

  @Override
  public String toString() {
    if (buffer == null) {
      return "VirtioNetHeader[unbound]";
    }
    return "VirtioNetHeader[flags " + flags() + ", gso_type " + gsoType() + ", hdr_len " + headerLength()
        + ", gso_size " + gsoSize() + ", csum_start " + checksumStart() + ", csum_offset " + checksumOffset() + "]";
  }
}
