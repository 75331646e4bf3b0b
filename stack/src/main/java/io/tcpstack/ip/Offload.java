package io.tcpstack.ip;

/**
 * Checksum and segmentation work the link does for the stack, in the virtio-net model that a TUN
 * device with {@code IFF_VNET_HDR} speaks (virtio 1.x §5.1.6; Linux's {@code virtio_net_hdr}).
 *
 * <p>Two kinds of values, both plain {@code int}s so that nothing is allocated per packet:
 *
 * <ul>
 *   <li><b>Capabilities</b> of a link ({@link #TX_CHECKSUM}, {@link #TX_SEGMENTATION}), given to the
 *       stack when it is built: what it may leave to the link on transmit.
 *   <li><b>Packet metadata</b> passed with one packet: on transmit, {@link #partialChecksum} — the
 *       TCP checksum field holds only the pseudo-header sum, and a packet longer than the MTU is a
 *       super-segment to be cut into segments of the given size (TSO); on receive, {@link
 *       #CHECKSUM_VALID} — the link verified the transport checksum, or the packet was made by the
 *       local host and its checksum was never filled in (the kernel's {@code CHECKSUM_PARTIAL}).
 *       {@link #NONE} (0) is a finished packet both ways.
 * </ul>
 *
 * <p>Without capabilities (the simulator, tests, a TUN device without the header, {@code
 * --offload off}) the stack sends finished packets of at most the MTU and verifies every checksum.
 */
public final class Offload {

  /** No offload: a finished packet (transmit), nothing known about its checksum (receive). */
  public static final int NONE = 0;

  /** Capability: the link completes a TCP checksum that holds only the pseudo-header sum. */
  public static final int TX_CHECKSUM = 1;

  /**
   * Capability: the link cuts a TCP super-segment (up to 65535 bytes of IP datagram) into segments
   * of the size the metadata gives, repeating the headers (TCP segmentation offload). Needs {@link
   * #TX_CHECKSUM}.
   */
  public static final int TX_SEGMENTATION = 2;

  /** Metadata (transmit): the TCP checksum is partial; the low 16 bits give the segment size. */
  public static final int PARTIAL_CHECKSUM = 1 << 16;

  /** Metadata (receive): the transport checksum need not be verified. */
  public static final int CHECKSUM_VALID = 1 << 17;

  private static final int SEGMENT_SIZE_MASK = 0xFFFF;

  private Offload() {}

  /**
   * Transmit metadata for a TCP packet whose checksum the link completes; if the packet is longer
   * than the MTU, the link cuts it into segments of {@code segmentSize} payload bytes.
   */
  public static int partialChecksum(int segmentSize) {
    if (segmentSize < 0 || segmentSize > SEGMENT_SIZE_MASK) {
      throw new IllegalArgumentException("segment size must be 0..65535, got " + segmentSize);
    }
    return PARTIAL_CHECKSUM | segmentSize;
  }

  /** Whether transmit metadata marks the checksum partial. */
  public static boolean isPartialChecksum(int meta) {
    return (meta & PARTIAL_CHECKSUM) != 0;
  }

  /** The segment size of transmit metadata (0 if none was given). */
  public static int segmentSize(int meta) {
    return meta & SEGMENT_SIZE_MASK;
  }

  /** Whether receive metadata says the checksum need not be verified. */
  public static boolean isChecksumValid(int meta) {
    return (meta & CHECKSUM_VALID) != 0;
  }

  /** Whether {@code capabilities} include {@code capability}. */
  public static boolean has(int capabilities, int capability) {
    return (capabilities & capability) == capability;
  }

  /** Packet metadata in words, for logs: {@code partial checksum, segments of 1448}. */
  public static String describe(int meta) {
    StringBuilder s = new StringBuilder();
    if (isPartialChecksum(meta)) {
      s.append("partial checksum");
      if (segmentSize(meta) > 0) {
        s.append(", segments of ").append(segmentSize(meta));
      }
    }
    if (isChecksumValid(meta)) {
      s.append(s.length() > 0 ? ", " : "").append("checksum valid");
    }
    return s.length() > 0 ? s.toString() : "none";
  }
}
