package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of a TCP segment's header (RFC 9293 §3.1) in a {@link ByteBuf}, with the segment length,
 * which the checksum covers.
 *
 * <pre>
 *  byte  0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     0 |          Source Port          |       Destination Port        |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     4 |                        Sequence Number                        |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     8 |                    Acknowledgment Number                      |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    12 |  Data |       |C|E|U|A|P|R|S|F|                               |
 *       | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *       |       |       |R|E|G|K|H|T|N|N|                               |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    16 |           Checksum            |         Urgent Pointer        |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    20 |                           [Options]                           |  data offset &gt; 5 only
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       :                             Data                              :
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Data Offset counts the header in 32-bit words (5 to 15: 20 to 60 bytes). The checksum covers a
 * pseudo-header (source and destination address, protocol 6, segment length; see {@link
 * InternetChecksum#pseudoHeaderSum}), the header and the data. Sequence and acknowledgment numbers
 * are raw 32-bit values: compare them only with modular arithmetic.
 *
 * <p>A reusable flyweight: see the {@linkplain io.tcpstack.wire package conventions}. The segment
 * length is remembered from {@link #wrapChecked}, {@link #wrap(ByteBuf, int, int)} or {@link
 * #fillChecksum}; after {@code wrapChecked} returned {@link WireCheck#OK}, every accessor, the
 * options and payload ranges and {@link #isChecksumValid} stay inside it. Options are not parsed
 * here; {@link #optionsIndex()} and {@link #optionsLength()} delimit them.
 */
public final class TcpHeader {

  /** The header without options: data offset 5 (RFC 9293 §3.1). */
  public static final int MIN_LENGTH = 20;

  /** The header with the most options: data offset 15, the largest 4-bit value. */
  public static final int MAX_HEADER_LENGTH = 60;

  /** Units of Data Offset: 32-bit words (RFC 9293 §3.1). */
  public static final int DATA_OFFSET_UNIT = 4;

  /** Control bit FIN, "no more data from sender" (RFC 9293 §3.1); a bit of {@link #flags()}. */
  public static final int FLAG_FIN = 0x01;

  /** Control bit SYN, "synchronize sequence numbers" (RFC 9293 §3.1). */
  public static final int FLAG_SYN = 0x02;

  /** Control bit RST, "reset the connection" (RFC 9293 §3.1). */
  public static final int FLAG_RST = 0x04;

  /** Control bit PSH, "push function" (RFC 9293 §3.1). */
  public static final int FLAG_PSH = 0x08;

  /** Control bit ACK, "acknowledgment field is significant" (RFC 9293 §3.1). */
  public static final int FLAG_ACK = 0x10;

  /** Control bit URG, "urgent pointer field is significant" (RFC 9293 §3.1). */
  public static final int FLAG_URG = 0x20;

  /** Control bit ECE, "ECN-Echo" (RFC 3168 §6.1). */
  public static final int FLAG_ECE = 0x40;

  /** Control bit CWR, "Congestion Window Reduced" (RFC 3168 §6.1). */
  public static final int FLAG_CWR = 0x80;

  public static final int SOURCE_PORT_FIELD_OFFSET = 0;
  public static final int DESTINATION_PORT_FIELD_OFFSET = 2;
  public static final int SEQUENCE_NUMBER_FIELD_OFFSET = 4;
  public static final int ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET = 8;

  /** Data offset (high 4 bits) and the reserved bits (low 4 bits). */
  public static final int DATA_OFFSET_FIELD_OFFSET = 12;

  public static final int FLAGS_FIELD_OFFSET = 13;
  public static final int WINDOW_FIELD_OFFSET = 14;
  public static final int CHECKSUM_FIELD_OFFSET = 16;
  public static final int URGENT_POINTER_FIELD_OFFSET = 18;
  public static final int OPTIONS_FIELD_OFFSET = 20;

  private ByteBuf buffer;
  private int offset;
  private int length;

  /**
   * Binds this view to the segment at absolute index {@code offset}, without any check. The segment
   * length is taken to run to the buffer's writer index; use {@link #wrap(ByteBuf, int, int)} to
   * give it, or let {@link #fillChecksum} set it.
   */
  public TcpHeader wrap(ByteBuf buffer, int offset) {
    return wrap(buffer, offset, Math.max(0, buffer.writerIndex() - offset));
  }

  /** Binds this view to the {@code length}-byte segment at {@code offset}, without any check. */
  public TcpHeader wrap(ByteBuf buffer, int offset, int length) {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /**
   * Binds this view to the {@code length}-byte segment at {@code offset}, then checks it: at least
   * 20 bytes ({@link WireCheck#TRUNCATED}), 20 &lt;= header length &lt;= {@code length} ({@link
   * WireCheck#BAD_HEADER_LENGTH}). The checksum is not verified: see {@link #isChecksumValid}.
   *
   * @param length the segment length, header and data: the IP payload length
   * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside the
   *     buffer's capacity: a bug in the caller, not bad input
   */
  public WireCheck wrapChecked(ByteBuf buffer, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, buffer.capacity());
    wrap(buffer, offset, length);
    if (length < MIN_LENGTH) {
      return WireCheck.TRUNCATED;
    }
    int headerLength = headerLength();
    if (headerLength < MIN_LENGTH || headerLength > length) {
      return WireCheck.BAD_HEADER_LENGTH;
    }
    return WireCheck.OK;
  }

  /** The buffer this view is bound to. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** The absolute index of the segment's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The segment length in bytes, header and data: what the checksum covers. */
  public int length() {
    return length;
  }

  public int sourcePort() {
    return buffer.getUnsignedShort(offset + SOURCE_PORT_FIELD_OFFSET);
  }

  public int destinationPort() {
    return buffer.getUnsignedShort(offset + DESTINATION_PORT_FIELD_OFFSET);
  }

  /** The raw 32-bit sequence number. */
  public int sequenceNumber() {
    return buffer.getInt(offset + SEQUENCE_NUMBER_FIELD_OFFSET);
  }

  /** The raw 32-bit acknowledgment number; meaningful only with {@link #FLAG_ACK}. */
  public int acknowledgmentNumber() {
    return buffer.getInt(offset + ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET);
  }

  /** The header length field in 32-bit words. */
  public int dataOffset() {
    return buffer.getUnsignedByte(offset + DATA_OFFSET_FIELD_OFFSET) >>> 4;
  }

  /** The header length in bytes, options included: {@code dataOffset() * 4}. */
  public int headerLength() {
    return dataOffset() * DATA_OFFSET_UNIT;
  }

  /** The 4 reserved bits between data offset and flags; senders write zero (RFC 9293 §3.1). */
  public int reservedBits() {
    return buffer.getUnsignedByte(offset + DATA_OFFSET_FIELD_OFFSET) & 0x0F;
  }

  /** The 8 control bits: {@link #FLAG_FIN} to {@link #FLAG_CWR}. */
  public int flags() {
    return buffer.getUnsignedByte(offset + FLAGS_FIELD_OFFSET);
  }

  /** Whether <em>all</em> the control bits in {@code mask} are set. */
  public boolean hasFlags(int mask) {
    return (flags() & mask) == mask;
  }

  public int window() {
    return buffer.getUnsignedShort(offset + WINDOW_FIELD_OFFSET);
  }

  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_FIELD_OFFSET);
  }

  public int urgentPointer() {
    return buffer.getUnsignedShort(offset + URGENT_POINTER_FIELD_OFFSET);
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

  /** The payload's length: {@code length() - headerLength()}. */
  public int payloadLength() {
    return length - headerLength();
  }

  /**
   * Whether the checksum is right (RFC 9293 §3.1): over the pseudo-header for these addresses and
   * the whole {@link #length()}-byte segment.
   */
  public boolean isChecksumValid(int sourceAddress, int destinationAddress) {
    int pseudo =
        InternetChecksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.TCP, length);
    return InternetChecksum.finish(InternetChecksum.sum(buffer, offset, length, pseudo)) == 0;
  }

  /**
   * Whether the checksum is right over the IPv6 pseudo-header (RFC 8200 §8.1) for these addresses
   * (each as bytes 0-7 and 8-15) and the whole {@link #length()}-byte segment.
   */
  public boolean isChecksumValid6(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
    int pseudo = InternetChecksum.pseudoHeaderSum6(sourceHi, sourceLo, destinationHi, destinationLo,
        IpProtocol.TCP, length);
    return InternetChecksum.finish(InternetChecksum.sum(buffer, offset, length, pseudo)) == 0;
  }

  public TcpHeader setSourcePort(int port) {
    buffer.setShort(offset + SOURCE_PORT_FIELD_OFFSET, port);
    return this;
  }

  public TcpHeader setDestinationPort(int port) {
    buffer.setShort(offset + DESTINATION_PORT_FIELD_OFFSET, port);
    return this;
  }

  public TcpHeader setSequenceNumber(int sequenceNumber) {
    buffer.setInt(offset + SEQUENCE_NUMBER_FIELD_OFFSET, sequenceNumber);
    return this;
  }

  public TcpHeader setAcknowledgmentNumber(int acknowledgmentNumber) {
    buffer.setInt(offset + ACKNOWLEDGMENT_NUMBER_FIELD_OFFSET, acknowledgmentNumber);
    return this;
  }

  /**
   * Writes the data offset for {@code headerLength}, zero reserved bits and the control bits.
   *
   * @param headerLength in bytes, options included: a multiple of 4 from 20 to 60
   * @param flags the control bits ({@link #FLAG_FIN} ...); the low 8 bits are written
   * @throws IllegalArgumentException if {@code headerLength} cannot be encoded
   */
  public TcpHeader setDataOffsetAndFlags(int headerLength, int flags) {
    if (headerLength < MIN_LENGTH
        || headerLength > MAX_HEADER_LENGTH
        || headerLength % DATA_OFFSET_UNIT != 0) {
      throw new IllegalArgumentException(
          "TCP header length "
              + headerLength
              + " cannot be encoded: use a multiple of 4 from 20 to 60");
    }
    buffer.setShort(
        offset + DATA_OFFSET_FIELD_OFFSET,
        (headerLength / DATA_OFFSET_UNIT) << 12 | (flags & 0xFF));
    return this;
  }

  public TcpHeader setWindow(int window) {
    buffer.setShort(offset + WINDOW_FIELD_OFFSET, window);
    return this;
  }

  public TcpHeader setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_FIELD_OFFSET, checksum);
    return this;
  }

  public TcpHeader setUrgentPointer(int urgentPointer) {
    buffer.setShort(offset + URGENT_POINTER_FIELD_OFFSET, urgentPointer);
    return this;
  }

  /**
   * Records {@code length} as the segment length, then computes and writes the checksum over the
   * pseudo-header and that many bytes. Call it last, once header, options and data are in place.
   *
   * @param length the segment length in bytes, header and data
   * @throws IllegalArgumentException if {@code length} is below the 20-byte header
   */
  public TcpHeader fillChecksum(int sourceAddress, int destinationAddress, int length) {
    if (length < MIN_LENGTH) {
      throw new IllegalArgumentException(
          "TCP segment length " + length + " is shorter than the 20-byte header");
    }
    this.length = length;
    setChecksum(0);
    int pseudo =
        InternetChecksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.TCP, length);
    return setChecksum(
        InternetChecksum.finish(InternetChecksum.sum(buffer, offset, length, pseudo)));
  }

  /**
   * As {@link #fillChecksum(int, int, int)} over the IPv6 pseudo-header (RFC 8200 §8.1) of these
   * addresses (each as bytes 0-7 and 8-15).
   */
  public TcpHeader fillChecksum6(long sourceHi, long sourceLo, long destinationHi, long destinationLo, int length) {
    if (length < MIN_LENGTH) {
      throw new IllegalArgumentException(
          "TCP segment length " + length + " is shorter than the 20-byte header");
    }
    this.length = length;
    setChecksum(0);
    int pseudo = InternetChecksum.pseudoHeaderSum6(sourceHi, sourceLo, destinationHi, destinationLo,
        IpProtocol.TCP, length);
    return setChecksum(InternetChecksum.finish(InternetChecksum.sum(buffer, offset, length, pseudo)));
  }

  /** The main fields, for logs and test failures; reads the buffer only if the header fits. */
  @Override
  public String toString() {
    if (buffer == null) {
      return "TcpHeader{unwrapped}";
    }
    if (offset < 0 || offset > buffer.capacity() - MIN_LENGTH) {
      return "TcpHeader{truncated at " + offset + "}";
    }
    StringBuilder s =
        new StringBuilder("TcpHeader{")
            .append(sourcePort())
            .append(" > ")
            .append(destinationPort())
            .append(' ');
    String names = "FSRPAUEC";
    int flags = flags();
    for (int bit = 0; bit < names.length(); bit++) {
      if ((flags & (1 << bit)) != 0) {
        s.append(names.charAt(bit));
      }
    }
    return s.append(" seq ")
        .append(Integer.toUnsignedString(sequenceNumber()))
        .append(" ack ")
        .append(Integer.toUnsignedString(acknowledgmentNumber()))
        .append(" win ")
        .append(window())
        .append(" hl ")
        .append(headerLength())
        .append(" len ")
        .append(length)
        .append(" sum 0x")
        .append(Integer.toHexString(checksum()))
        .append('}')
        .toString();
  }
}
