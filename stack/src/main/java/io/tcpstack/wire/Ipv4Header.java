package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an IPv4 header (RFC 791 §3.1) in a {@link ByteBuf}, for reading and writing in place.
 *
 * <pre>
 *  byte  0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     0 |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     4 |         Identification        |0|D|M|     Fragment Offset     |
 *       |                               | |F|F|                         |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     8 |  Time to Live |    Protocol   |         Header Checksum       |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    12 |                       Source Address                          |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    16 |                    Destination Address                        |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    20 |                    Options                    |    Padding    |  IHL &gt; 5 only
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>IHL counts the header in 32-bit words (5 to 15: 20 to 60 bytes); Total Length counts the whole
 * datagram in bytes; Fragment Offset counts 8-byte units (this view converts to bytes). The Type of
 * Service byte is split into DSCP (RFC 2474 §3) and ECN (RFC 3168 §5).
 *
 * <p>A reusable flyweight: see the {@linkplain io.tcpstack.wire package conventions}. After {@link
 * #wrapChecked} returned {@link WireCheck#OK}, every accessor, {@link #isChecksumValid()} and the
 * payload range stay inside the bytes given.
 */
public final class Ipv4Header {

  /** RFC 791 §3.1: "The Version field indicates the format of the internet header." */
  public static final int VERSION = 4;

  /** The header without options: IHL 5 (RFC 791 §3.1, "the minimum value ... is 5"). */
  public static final int MIN_LENGTH = 20;

  /** The header with the most options: IHL 15, the largest 4-bit value. */
  public static final int MAX_HEADER_LENGTH = 60;

  /** The largest total length, the limit of the 16-bit field (RFC 791 §3.1). */
  public static final int MAX_TOTAL_LENGTH = 0xFFFF;

  /** Units of IHL: 32-bit words (RFC 791 §3.1). */
  public static final int IHL_UNIT = 4;

  /** Units of Fragment Offset: 8 octets (RFC 791 §3.1). */
  public static final int FRAGMENT_OFFSET_UNIT = 8;

  /**
   * RFC 1700 ("IP TTL: 64") via RFC 1122 §3.2.1.7, which requires a fixed default TTL large enough
   * for the Internet's diameter.
   */
  public static final int DEFAULT_TTL = 64;

  /** Reserved flag bit of the flags/fragment-offset word; must be zero (RFC 791 §3.1). */
  public static final int FLAG_RESERVED = 0x8000;

  /** "Don't Fragment" bit of the flags/fragment-offset word (RFC 791 §3.1). */
  public static final int FLAG_DF = 0x4000;

  /** "More Fragments" bit of the flags/fragment-offset word (RFC 791 §3.1). */
  public static final int FLAG_MF = 0x2000;

  /** The 13 Fragment Offset bits of the flags/fragment-offset word. */
  public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

  /** The largest fragment offset in bytes: 0x1FFF units of 8. */
  public static final int MAX_FRAGMENT_OFFSET = FRAGMENT_OFFSET_MASK * FRAGMENT_OFFSET_UNIT;

  public static final int VERSION_IHL_FIELD_OFFSET = 0;
  public static final int DSCP_ECN_FIELD_OFFSET = 1;
  public static final int TOTAL_LENGTH_FIELD_OFFSET = 2;
  public static final int IDENTIFICATION_FIELD_OFFSET = 4;
  public static final int FLAGS_FRAGMENT_OFFSET_FIELD_OFFSET = 6;
  public static final int TTL_FIELD_OFFSET = 8;
  public static final int PROTOCOL_FIELD_OFFSET = 9;
  public static final int CHECKSUM_FIELD_OFFSET = 10;
  public static final int SOURCE_FIELD_OFFSET = 12;
  public static final int DESTINATION_FIELD_OFFSET = 16;
  public static final int OPTIONS_FIELD_OFFSET = 20;

  private ByteBuf buffer;
  private int offset;

  /** Binds this view to the header at absolute index {@code offset}, without any check. */
  public Ipv4Header wrap(ByteBuf buffer, int offset) {
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  /**
   * Binds this view to the header at {@code offset}, then checks that the {@code length} bytes from
   * there hold a complete IPv4 header and datagram: at least 20 bytes ({@link
   * WireCheck#TRUNCATED}), version 4 ({@link WireCheck#BAD_VERSION}), 20 &lt;= header length &lt;=
   * {@code length} ({@link WireCheck#BAD_HEADER_LENGTH}), header length &lt;= total length &lt;=
   * {@code length} ({@link WireCheck#BAD_TOTAL_LENGTH}). Bytes beyond the total length (link-layer
   * padding) are allowed and ignored. The checksum is not verified: see {@link #isChecksumValid()}.
   *
   * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside the
   *     buffer's capacity: a bug in the caller, not bad input
   */
  public WireCheck wrapChecked(ByteBuf buffer, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, buffer.capacity());
    wrap(buffer, offset);
    if (length < MIN_LENGTH) {
      return WireCheck.TRUNCATED;
    }
    if (version() != VERSION) {
      return WireCheck.BAD_VERSION;
    }
    int headerLength = headerLength();
    if (headerLength < MIN_LENGTH || headerLength > length) {
      return WireCheck.BAD_HEADER_LENGTH;
    }
    int totalLength = totalLength();
    if (totalLength < headerLength || totalLength > length) {
      return WireCheck.BAD_TOTAL_LENGTH;
    }
    return WireCheck.OK;
  }

  /** The buffer this view is bound to. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** The absolute index of the header's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  public int version() {
    return buffer.getUnsignedByte(offset + VERSION_IHL_FIELD_OFFSET) >>> 4;
  }

  /** The header length field in 32-bit words. */
  public int ihl() {
    return buffer.getUnsignedByte(offset + VERSION_IHL_FIELD_OFFSET) & 0x0F;
  }

  /** The header length in bytes, options included: {@code ihl() * 4}. */
  public int headerLength() {
    return ihl() * IHL_UNIT;
  }

  /** The former Type of Service byte: DSCP in the high 6 bits, ECN in the low 2. */
  public int dscpEcn() {
    return buffer.getUnsignedByte(offset + DSCP_ECN_FIELD_OFFSET);
  }

  /** Differentiated Services codepoint, 0 to 63 (RFC 2474 §3). */
  public int dscp() {
    return dscpEcn() >>> 2;
  }

  /** Explicit Congestion Notification codepoint, 0 to 3 (RFC 3168 §5). */
  public int ecn() {
    return dscpEcn() & 0x03;
  }

  /** The datagram's length in bytes, header included. */
  public int totalLength() {
    return buffer.getUnsignedShort(offset + TOTAL_LENGTH_FIELD_OFFSET);
  }

  public int identification() {
    return buffer.getUnsignedShort(offset + IDENTIFICATION_FIELD_OFFSET);
  }

  /** The raw 16-bit word of flags ({@link #FLAG_DF}, {@link #FLAG_MF}, ...) and fragment offset. */
  public int flagsAndFragmentOffset() {
    return buffer.getUnsignedShort(offset + FLAGS_FRAGMENT_OFFSET_FIELD_OFFSET);
  }

  public boolean dontFragment() {
    return (flagsAndFragmentOffset() & FLAG_DF) != 0;
  }

  public boolean moreFragments() {
    return (flagsAndFragmentOffset() & FLAG_MF) != 0;
  }

  /** Whether the reserved flag bit, which must be zero, is set. */
  public boolean reservedFlag() {
    return (flagsAndFragmentOffset() & FLAG_RESERVED) != 0;
  }

  /** Where this fragment's data goes in the original datagram's payload, in bytes (field * 8). */
  public int fragmentOffset() {
    return (flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK) * FRAGMENT_OFFSET_UNIT;
  }

  /** Whether this datagram is a fragment: more fragments follow, or it is not the first. */
  public boolean isFragment() {
    return (flagsAndFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
  }

  public int ttl() {
    return buffer.getUnsignedByte(offset + TTL_FIELD_OFFSET);
  }

  /** The payload's protocol: see {@link IpProtocol}. */
  public int protocol() {
    return buffer.getUnsignedByte(offset + PROTOCOL_FIELD_OFFSET);
  }

  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_FIELD_OFFSET);
  }

  /** The source address: see {@link Ipv4Address}. */
  public int source() {
    return buffer.getInt(offset + SOURCE_FIELD_OFFSET);
  }

  /** The destination address: see {@link Ipv4Address}. */
  public int destination() {
    return buffer.getInt(offset + DESTINATION_FIELD_OFFSET);
  }

  /** The absolute index of the options (the first byte after the fixed header). */
  public int optionsIndex() {
    return offset + OPTIONS_FIELD_OFFSET;
  }

  /** The length of the options and their padding: {@code headerLength() - 20}. */
  public int optionsLength() {
    return headerLength() - MIN_LENGTH;
  }

  /** The absolute index of the payload: the first byte after the header. */
  public int payloadIndex() {
    return offset + headerLength();
  }

  /** The payload's length: {@code totalLength() - headerLength()}. */
  public int payloadLength() {
    return totalLength() - headerLength();
  }

  /** Whether the header checksum is right (RFC 791 §3.1), over {@link #headerLength()} bytes. */
  public boolean isChecksumValid() {
    return InternetChecksum.checksum(buffer, offset, headerLength()) == 0;
  }

  /**
   * Writes version 4 and the IHL for {@code headerLength}.
   *
   * @param headerLength in bytes: a multiple of 4 from 20 to 60
   * @throws IllegalArgumentException if {@code headerLength} cannot be encoded
   */
  public Ipv4Header setVersionAndHeaderLength(int headerLength) {
    if (headerLength < MIN_LENGTH
        || headerLength > MAX_HEADER_LENGTH
        || headerLength % IHL_UNIT != 0) {
      throw new IllegalArgumentException(
          "IPv4 header length "
              + headerLength
              + " cannot be encoded: use a multiple of 4 from 20 to 60");
    }
    buffer.setByte(offset + VERSION_IHL_FIELD_OFFSET, VERSION << 4 | headerLength / IHL_UNIT);
    return this;
  }

  /** Writes the former Type of Service byte: DSCP in the high 6 bits, ECN in the low 2. */
  public Ipv4Header setDscpEcn(int dscpEcn) {
    buffer.setByte(offset + DSCP_ECN_FIELD_OFFSET, dscpEcn);
    return this;
  }

  public Ipv4Header setTotalLength(int totalLength) {
    buffer.setShort(offset + TOTAL_LENGTH_FIELD_OFFSET, totalLength);
    return this;
  }

  public Ipv4Header setIdentification(int identification) {
    buffer.setShort(offset + IDENTIFICATION_FIELD_OFFSET, identification);
    return this;
  }

  /**
   * Writes the flags and fragment offset word; the reserved flag is written as zero.
   *
   * @param offsetBytes the fragment offset in bytes: a multiple of 8 from 0 to {@link
   *     #MAX_FRAGMENT_OFFSET}
   * @throws IllegalArgumentException if {@code offsetBytes} cannot be encoded
   */
  public Ipv4Header setFlagsAndFragmentOffset(
      boolean dontFragment, boolean moreFragments, int offsetBytes) {
    if (offsetBytes < 0
        || offsetBytes > MAX_FRAGMENT_OFFSET
        || offsetBytes % FRAGMENT_OFFSET_UNIT != 0) {
      throw new IllegalArgumentException(
          "fragment offset "
              + offsetBytes
              + " cannot be encoded: use a multiple of 8 from 0 to "
              + MAX_FRAGMENT_OFFSET);
    }
    int word =
        (dontFragment ? FLAG_DF : 0)
            | (moreFragments ? FLAG_MF : 0)
            | offsetBytes / FRAGMENT_OFFSET_UNIT;
    buffer.setShort(offset + FLAGS_FRAGMENT_OFFSET_FIELD_OFFSET, word);
    return this;
  }

  public Ipv4Header setTtl(int ttl) {
    buffer.setByte(offset + TTL_FIELD_OFFSET, ttl);
    return this;
  }

  public Ipv4Header setProtocol(int protocol) {
    buffer.setByte(offset + PROTOCOL_FIELD_OFFSET, protocol);
    return this;
  }

  public Ipv4Header setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_FIELD_OFFSET, checksum);
    return this;
  }

  public Ipv4Header setSource(int address) {
    buffer.setInt(offset + SOURCE_FIELD_OFFSET, address);
    return this;
  }

  public Ipv4Header setDestination(int address) {
    buffer.setInt(offset + DESTINATION_FIELD_OFFSET, address);
    return this;
  }

  /**
   * Computes and writes the header checksum over {@link #headerLength()} bytes. Call it last, once
   * every other header field (options included) is written.
   */
  public Ipv4Header fillChecksum() {
    setChecksum(0);
    return setChecksum(InternetChecksum.checksum(buffer, offset, headerLength()));
  }

  /** The main fields, for logs and test failures; reads the buffer only if the header fits. */
  @Override
  public String toString() {
    if (buffer == null) {
      return "Ipv4Header{unwrapped}";
    }
    if (offset < 0 || offset > buffer.capacity() - MIN_LENGTH) {
      return "Ipv4Header{truncated at " + offset + "}";
    }
    return "Ipv4Header{"
        + Ipv4Address.toString(source())
        + " > "
        + Ipv4Address.toString(destination())
        + " "
        + IpProtocol.name(protocol())
        + " v"
        + version()
        + " hl "
        + headerLength()
        + " len "
        + totalLength()
        + " id 0x"
        + Integer.toHexString(identification())
        + (dontFragment() ? " DF" : "")
        + (moreFragments() ? " MF" : "")
        + " off "
        + fragmentOffset()
        + " ttl "
        + ttl()
        + " tos 0x"
        + Integer.toHexString(dscpEcn())
        + " sum 0x"
        + Integer.toHexString(checksum())
        + "}";
  }
}
