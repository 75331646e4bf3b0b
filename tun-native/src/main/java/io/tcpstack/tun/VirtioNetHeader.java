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

  /**
   * {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} ({@code <linux/virtio_net.h>}): use csum_start and
   * csum_offset.
   */
  public static final int F_NEEDS_CSUM = 1;

  /**
   * {@code VIRTIO_NET_HDR_F_DATA_VALID} ({@code <linux/virtio_net.h>}): the checksum is known good.
   */
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

  /** Byte offset of {@code flags} (u8) within the header. */
  public static final int FLAGS_FIELD_OFFSET = 0;
  /** Byte offset of {@code gso_type} (u8) within the header. */
  public static final int GSO_TYPE_FIELD_OFFSET = 1;
  /** Byte offset of {@code hdr_len} (le16) within the header. */
  public static final int HDR_LEN_FIELD_OFFSET = 2;
  /** Byte offset of {@code gso_size} (le16) within the header. */
  public static final int GSO_SIZE_FIELD_OFFSET = 4;
  /** Byte offset of {@code csum_start} (le16) within the header. */
  public static final int CSUM_START_FIELD_OFFSET = 6;
  /** Byte offset of {@code csum_offset} (le16) within the header. */
  public static final int CSUM_OFFSET_FIELD_OFFSET = 8;

  private ByteBuf buffer;
  private int offset;

  /**
   * Binds this view to the header at absolute index {@code index} of {@code buffer}, unchecked.
   *
   * @param buffer the buffer holding the header; not null
   * @param index the absolute index of the header's first byte; {@link #LENGTH} bytes must follow
   * @return this view
   */
  public VirtioNetHeader wrap(ByteBuf buffer, int index) {
    this.buffer = buffer;
    this.offset = index;
    return this;
  }

  /**
   * The buffer this view is bound to.
   *
   * @return the buffer, or null if {@link #wrap} was never called
   */
  public ByteBuf buffer() {
    return buffer;
  }

  /**
   * The absolute index of the header's first byte.
   *
   * @return the index in {@link #buffer()}
   */
  public int offset() {
    return offset;
  }

  /**
   * The absolute index of the packet after the header.
   *
   * @return {@link #offset()} + {@link #LENGTH}
   */
  public int packetIndex() {
    return offset + LENGTH;
  }

  /**
   * Zeroes all ten bytes: no flags, {@link #GSO_NONE} — what to put before a finished packet.
   *
   * @return this view
   */
  public VirtioNetHeader clear() {
    buffer.setZero(offset, LENGTH);
    return this;
  }

  /**
   * The {@code flags} byte.
   *
   * @return the flags, 0 to 255: {@link #F_NEEDS_CSUM}, {@link #F_DATA_VALID} or-ed
   */
  public int flags() {
    return buffer.getUnsignedByte(offset + FLAGS_FIELD_OFFSET);
  }

  /**
   * Sets the {@code flags} byte.
   *
   * @param flags {@link #F_NEEDS_CSUM}, {@link #F_DATA_VALID} or-ed, or 0; only the low 8 bits are
   *     written
   * @return this view
   */
  public VirtioNetHeader flags(int flags) {
    buffer.setByte(offset + FLAGS_FIELD_OFFSET, flags);
    return this;
  }

  /**
   * Whether {@link #F_NEEDS_CSUM} is set: the packet's checksum is still to be computed from
   * {@link #checksumStart()} and stored at {@link #checksumOffset()}.
   *
   * @return true if the flag is set
   */
  public boolean needsChecksum() {
    return (flags() & F_NEEDS_CSUM) != 0;
  }

  /**
   * Whether {@link #F_DATA_VALID} is set: the checksum was verified or need not be.
   *
   * @return true if the flag is set
   */
  public boolean dataValid() {
    return (flags() & F_DATA_VALID) != 0;
  }

  /**
   * The {@code gso_type} byte.
   *
   * @return {@link #GSO_NONE}, {@link #GSO_TCPV4}, {@link #GSO_TCPV6} or {@link #GSO_UDP}, possibly
   *     or-ed with {@link #GSO_ECN}
   */
  public int gsoType() {
    return buffer.getUnsignedByte(offset + GSO_TYPE_FIELD_OFFSET);
  }

  /**
   * Sets the {@code gso_type} byte.
   *
   * @param gsoType one of the {@code GSO_*} constants, possibly or-ed with {@link #GSO_ECN}
   * @return this view
   */
  public VirtioNetHeader gsoType(int gsoType) {
    buffer.setByte(offset + GSO_TYPE_FIELD_OFFSET, gsoType);
    return this;
  }

  /**
   * The {@code hdr_len} field: a hint of the header bytes (IP + transport) copied to every segment.
   *
   * @return the length in bytes, 0 to 65535
   */
  public int headerLength() {
    return buffer.getUnsignedShortLE(offset + HDR_LEN_FIELD_OFFSET);
  }

  /**
   * Sets the {@code hdr_len} field.
   *
   * @param hdrLen the IP + transport header length in bytes; only the low 16 bits are written
   * @return this view
   */
  public VirtioNetHeader headerLength(int hdrLen) {
    buffer.setShortLE(offset + HDR_LEN_FIELD_OFFSET, hdrLen);
    return this;
  }

  /**
   * The {@code gso_size} field: the payload size of each segment of a super-packet.
   *
   * @return the segment payload size in bytes, 0 to 65535; meaningful only if {@link #gsoType()}
   *     is not {@link #GSO_NONE}
   */
  public int gsoSize() {
    return buffer.getUnsignedShortLE(offset + GSO_SIZE_FIELD_OFFSET);
  }

  /**
   * Sets the {@code gso_size} field.
   *
   * @param gsoSize the segment payload size in bytes; only the low 16 bits are written
   * @return this view
   */
  public VirtioNetHeader gsoSize(int gsoSize) {
    buffer.setShortLE(offset + GSO_SIZE_FIELD_OFFSET, gsoSize);
    return this;
  }

  /**
   * Where checksumming starts, counted from the packet's first byte (the IP header).
   *
   * @return the {@code csum_start} field, in bytes
   */
  public int checksumStart() {
    return buffer.getUnsignedShortLE(offset + CSUM_START_FIELD_OFFSET);
  }

  /**
   * Sets the {@code csum_start} field.
   *
   * @param csumStart where checksumming starts, in bytes from the packet's first byte (the IP
   *     header); only the low 16 bits are written
   * @return this view
   */
  public VirtioNetHeader checksumStart(int csumStart) {
    buffer.setShortLE(offset + CSUM_START_FIELD_OFFSET, csumStart);
    return this;
  }

  /**
   * Where the checksum goes, counted from {@link #checksumStart()} (16 for TCP, 6 for UDP).
   *
   * @return the {@code csum_offset} field, in bytes
   */
  public int checksumOffset() {
    return buffer.getUnsignedShortLE(offset + CSUM_OFFSET_FIELD_OFFSET);
  }

  /**
   * Sets the {@code csum_offset} field.
   *
   * @param csumOffset where the checksum goes, in bytes from {@link #checksumStart()} (16 for TCP,
   *     6 for UDP); only the low 16 bits are written
   * @return this view
   */
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
