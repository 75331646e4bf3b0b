package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an IPv6 fixed header (RFC 8200 §3) in a {@link ByteBuf}, for reading and writing in
 * place, with the layouts of the extension headers the IP layer walks (RFC 8200 §4) as constants.
 *
 * <pre>
 *  byte  0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     0 |Version| Traffic Class |           Flow Label                  |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     4 |         Payload Length        |  Next Header  |   Hop Limit   |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     8 |                                                               |
 *       +                  Source Address (128 bits)                    +
 *       |                                                               |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    24 |                                                               |
 *       +               Destination Address (128 bits)                  +
 *       |                                                               |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Payload Length counts everything after the 40-byte fixed header, extension headers included.
 * Addresses are read as two longs each (bytes 0-7 and 8-15, network order; see {@link
 * IpAddress}), so that reading them allocates nothing.
 *
 * <p>A reusable flyweight: see the {@linkplain io.tcpstack.wire package conventions}. After {@link
 * #wrapChecked} returned {@link WireCheck#OK}, every accessor and the payload range stay inside the
 * bytes given.
 */
public final class Ipv6Header {

  /** RFC 8200 §3: "4-bit Internet Protocol version number = 6". */
  public static final int VERSION = 6;

  /** The fixed header: RFC 8200 §3. */
  public static final int LENGTH = 40;

  /** RFC 8200 §5: "IPv6 requires that every link in the Internet have an MTU of 1280 octets or greater." */
  public static final int MIN_MTU = 1280;

  public static final int VERSION_CLASS_FLOW_FIELD_OFFSET = 0;
  public static final int PAYLOAD_LENGTH_FIELD_OFFSET = 4;
  public static final int NEXT_HEADER_FIELD_OFFSET = 6;
  public static final int HOP_LIMIT_FIELD_OFFSET = 7;
  public static final int SOURCE_FIELD_OFFSET = 8;
  public static final int DESTINATION_FIELD_OFFSET = 24;

  // ------------------------------------------------------------ extension headers (RFC 8200 §4)

  /** Every extension header but Fragment starts with Next Header, then Hdr Ext Len (§4.3-§4.6). */
  public static final int EXTENSION_NEXT_HEADER_OFFSET = 0;
  /** Hdr Ext Len: "in 8-octet units, not including the first 8 octets" (§4.3). */
  public static final int EXTENSION_LENGTH_OFFSET = 1;
  /** The unit of extension header lengths (and of fragment offsets, §4.5). */
  public static final int EXTENSION_UNIT = 8;
  /** Routing header (§4.4): Routing Type, then Segments Left. */
  public static final int ROUTING_TYPE_OFFSET = 2;
  public static final int ROUTING_SEGMENTS_LEFT_OFFSET = 3;
  /** The Fragment header (§4.5) is always 8 bytes. */
  public static final int FRAGMENT_HEADER_LENGTH = 8;
  /** Fragment header: Fragment Offset (13 bits, 8-octet units), Res (2), M flag, at bytes 2-3. */
  public static final int FRAGMENT_OFFSET_FIELD_OFFSET = 2;
  /** Fragment header: the 32-bit Identification. */
  public static final int FRAGMENT_IDENTIFICATION_OFFSET = 4;
  /** The M flag ("1 = more fragments") in the Fragment Offset word. */
  public static final int FRAGMENT_FLAG_MORE = 0x0001;
  /** The offset bits of the Fragment Offset word (already in bytes once the low 3 bits are cleared). */
  public static final int FRAGMENT_OFFSET_MASK = 0xFFF8;
  /** Options (§4.2): Pad1 is a single zero byte; every other option is type, length, data. */
  public static final int OPTION_PAD1 = 0;

  private ByteBuf buffer;
  private int offset;

  /** Binds this view to the header at absolute index {@code offset}, without any check. */
  public Ipv6Header wrap(ByteBuf buffer, int offset) {
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  /**
   * Binds this view to the header at {@code offset}, then checks that the {@code length} bytes from
   * there hold a complete IPv6 packet: at least 40 bytes ({@link WireCheck#TRUNCATED}), version 6
   * ({@link WireCheck#BAD_VERSION}), 40 + payload length &lt;= {@code length} ({@link
   * WireCheck#BAD_TOTAL_LENGTH}). Bytes beyond the payload length are allowed and ignored. A payload
   * length of zero is taken as an empty payload: this host accepts no jumbograms (RFC 2675).
   *
   * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside the
   *     buffer's capacity: a bug in the caller, not bad input
   */
  public WireCheck wrapChecked(ByteBuf buffer, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, buffer.capacity());
    wrap(buffer, offset);
    if (length < LENGTH) {
      return WireCheck.TRUNCATED;
    }
    if (version() != VERSION) {
      return WireCheck.BAD_VERSION;
    }
    if (LENGTH + payloadLength() > length) {
      return WireCheck.BAD_TOTAL_LENGTH;
    }
    return WireCheck.OK;
  }

  public ByteBuf buffer() {
    return buffer;
  }

  /** The absolute index of the header's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  public int version() {
    return buffer.getUnsignedByte(offset) >>> 4;
  }

  /** Traffic Class (RFC 8200 §7): DSCP in the high 6 bits, ECN in the low 2. */
  public int trafficClass() {
    return (buffer.getUnsignedShort(offset) >>> 4) & 0xFF;
  }

  /** Flow Label, 20 bits (RFC 8200 §6). */
  public int flowLabel() {
    return buffer.getInt(offset) & 0xF_FFFF;
  }

  /** Bytes after the fixed header, extension headers included. */
  public int payloadLength() {
    return buffer.getUnsignedShort(offset + PAYLOAD_LENGTH_FIELD_OFFSET);
  }

  /** The type of the header right after the fixed one ({@link IpProtocol}). */
  public int nextHeader() {
    return buffer.getUnsignedByte(offset + NEXT_HEADER_FIELD_OFFSET);
  }

  public int hopLimit() {
    return buffer.getUnsignedByte(offset + HOP_LIMIT_FIELD_OFFSET);
  }

  /** Source address bytes 0-7. */
  public long sourceHi() {
    return buffer.getLong(offset + SOURCE_FIELD_OFFSET);
  }

  /** Source address bytes 8-15. */
  public long sourceLo() {
    return buffer.getLong(offset + SOURCE_FIELD_OFFSET + 8);
  }

  public long destinationHi() {
    return buffer.getLong(offset + DESTINATION_FIELD_OFFSET);
  }

  public long destinationLo() {
    return buffer.getLong(offset + DESTINATION_FIELD_OFFSET + 8);
  }

  /** The source as a value (allocates: not for per-packet paths). */
  public IpAddress source() {
    return IpAddress.ofIpv6(sourceHi(), sourceLo());
  }

  /** The destination as a value (allocates: not for per-packet paths). */
  public IpAddress destination() {
    return IpAddress.ofIpv6(destinationHi(), destinationLo());
  }

  /** The absolute index of the payload: the first byte after the fixed header. */
  public int payloadIndex() {
    return offset + LENGTH;
  }

  /**
   * Writes version 6, the traffic class and the flow label.
   */
  public Ipv6Header setVersionClassFlow(int trafficClass, int flowLabel) {
    buffer.setInt(offset, VERSION << 28 | (trafficClass & 0xFF) << 20 | (flowLabel & 0xF_FFFF));
    return this;
  }

  public Ipv6Header setPayloadLength(int payloadLength) {
    buffer.setShort(offset + PAYLOAD_LENGTH_FIELD_OFFSET, payloadLength);
    return this;
  }

  public Ipv6Header setNextHeader(int nextHeader) {
    buffer.setByte(offset + NEXT_HEADER_FIELD_OFFSET, nextHeader);
    return this;
  }

  public Ipv6Header setHopLimit(int hopLimit) {
    buffer.setByte(offset + HOP_LIMIT_FIELD_OFFSET, hopLimit);
    return this;
  }

  public Ipv6Header setSource(long hi, long lo) {
    buffer.setLong(offset + SOURCE_FIELD_OFFSET, hi);
    buffer.setLong(offset + SOURCE_FIELD_OFFSET + 8, lo);
    return this;
  }

  public Ipv6Header setDestination(long hi, long lo) {
    buffer.setLong(offset + DESTINATION_FIELD_OFFSET, hi);
    buffer.setLong(offset + DESTINATION_FIELD_OFFSET + 8, lo);
    return this;
  }

  /**
   * The pseudo-header sum (RFC 8200 §8.1) of an upper-layer message of {@code length} bytes and
   * protocol {@code nextHeader} carried from this header's source to its destination.
   */
  public int pseudoHeaderSum(int nextHeader, int length) {
    return InternetChecksum.pseudoHeaderSum6(sourceHi(), sourceLo(), destinationHi(), destinationLo(),
        nextHeader, length);
  }

  /** The main fields, for logs and test failures; reads the buffer only if the header fits. */
  @Override
  public String toString() {
    if (buffer == null) {
      return "Ipv6Header{unwrapped}";
    }
    if (offset < 0 || offset > buffer.capacity() - LENGTH) {
      return "Ipv6Header{truncated at " + offset + "}";
    }
    return "Ipv6Header{" + IpAddress.ipv6ToString(sourceHi(), sourceLo()) + " > "
        + IpAddress.ipv6ToString(destinationHi(), destinationLo()) + " " + IpProtocol.name(nextHeader())
        + " v" + version() + " plen " + payloadLength() + " hlim " + hopLimit() + " tc 0x"
        + Integer.toHexString(trafficClass()) + " flow 0x" + Integer.toHexString(flowLabel()) + "}";
  }
}
