package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an ICMPv4 message (RFC 792) in a {@link ByteBuf}: the 8-byte header and the length of
 * the whole message, which the checksum covers.
 *
 * <pre>
 *  byte  0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     0 |     Type      |     Code      |          Checksum             |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     4 |           Identifier          |        Sequence Number        |  echo, echo reply
 *       |                     unused (zero)                             |  destination unreachable,
 *       |             unused            |         Next-Hop MTU          |  frag. needed (RFC 1191)
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     8 |     Data ...  (echo: any bytes, returned in the reply; errors: the offending
 *       +-+-+-+-+-      datagram's IP header and at least its first 8 payload bytes)
 * </pre>
 *
 * <p>Bytes 4 to 7 depend on the type: {@link #restOfHeader()} reads them whole, {@link
 * #identifier()} and {@link #sequenceNumber()} read them as echo fields.
 *
 * <p>A reusable flyweight: see the {@linkplain io.tcpstack.wire package conventions}. The message
 * length is remembered from {@link #wrapChecked}, {@link #wrap(ByteBuf, int, int)} or {@link
 * #fillChecksum}; after {@code wrapChecked} returned {@link WireCheck#OK}, every accessor and
 * {@link #isChecksumValid()} stay inside it.
 */
public final class Icmpv4Header {

  /** The fixed header: type, code, checksum and 4 type-specific bytes (RFC 792). */
  public static final int LENGTH = 8;

  /** RFC 792, "Echo or Echo Reply Message". */
  public static final int TYPE_ECHO_REPLY = 0;

  /** RFC 792, "Destination Unreachable Message". */
  public static final int TYPE_DESTINATION_UNREACHABLE = 3;

  /** RFC 792, "Redirect Message". */
  public static final int TYPE_REDIRECT = 5;

  /** RFC 792, "Echo or Echo Reply Message". */
  public static final int TYPE_ECHO_REQUEST = 8;

  /** RFC 792, "Time Exceeded Message". */
  public static final int TYPE_TIME_EXCEEDED = 11;

  /** RFC 792, "Parameter Problem Message". */
  public static final int TYPE_PARAMETER_PROBLEM = 12;

  /** Destination unreachable code (RFC 792): "net unreachable". */
  public static final int CODE_NET_UNREACHABLE = 0;

  /** Destination unreachable code (RFC 792): "host unreachable". */
  public static final int CODE_HOST_UNREACHABLE = 1;

  /** Destination unreachable code (RFC 792): "protocol unreachable". */
  public static final int CODE_PROTOCOL_UNREACHABLE = 2;

  /** Destination unreachable code (RFC 792): "port unreachable". */
  public static final int CODE_PORT_UNREACHABLE = 3;

  /**
   * Destination unreachable code (RFC 792): "fragmentation needed and DF set"; RFC 1191 §4 puts the
   * next-hop MTU in bytes 6-7.
   */
  public static final int CODE_FRAGMENTATION_NEEDED = 4;

  /** Destination unreachable code (RFC 792): "source route failed". */
  public static final int CODE_SOURCE_ROUTE_FAILED = 5;

  /** Time exceeded code (RFC 792): "time to live exceeded in transit". */
  public static final int CODE_TTL_EXCEEDED_IN_TRANSIT = 0;

  /** Time exceeded code (RFC 792): "fragment reassembly time exceeded". */
  public static final int CODE_FRAGMENT_REASSEMBLY_TIME_EXCEEDED = 1;

  public static final int TYPE_FIELD_OFFSET = 0;
  public static final int CODE_FIELD_OFFSET = 1;
  public static final int CHECKSUM_FIELD_OFFSET = 2;
  public static final int REST_OF_HEADER_FIELD_OFFSET = 4;
  public static final int IDENTIFIER_FIELD_OFFSET = 4;
  public static final int SEQUENCE_NUMBER_FIELD_OFFSET = 6;
  public static final int NEXT_HOP_MTU_FIELD_OFFSET = 6;
  public static final int DATA_FIELD_OFFSET = 8;

  private ByteBuf buffer;
  private int offset;
  private int length;

  /**
   * Binds this view to the message at absolute index {@code offset}, without any check. The message
   * length is taken to run to the buffer's writer index; use {@link #wrap(ByteBuf, int, int)} to
   * give it, or let {@link #fillChecksum} set it.
   */
  public Icmpv4Header wrap(ByteBuf buffer, int offset) {
    return wrap(buffer, offset, Math.max(0, buffer.writerIndex() - offset));
  }

  /** Binds this view to the {@code length}-byte message at {@code offset}, without any check. */
  public Icmpv4Header wrap(ByteBuf buffer, int offset, int length) {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /**
   * Binds this view to the {@code length}-byte message at {@code offset}, then checks that it holds
   * the 8-byte header ({@link WireCheck#TRUNCATED} otherwise). The checksum is not verified: see
   * {@link #isChecksumValid()}.
   *
   * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside the
   *     buffer's capacity: a bug in the caller, not bad input
   */
  public WireCheck wrapChecked(ByteBuf buffer, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, buffer.capacity());
    wrap(buffer, offset, length);
    return length < LENGTH ? WireCheck.TRUNCATED : WireCheck.OK;
  }

  /** The buffer this view is bound to. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** The absolute index of the message's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The message length in bytes, header and data: what the checksum covers. */
  public int length() {
    return length;
  }

  public int type() {
    return buffer.getUnsignedByte(offset + TYPE_FIELD_OFFSET);
  }

  public int code() {
    return buffer.getUnsignedByte(offset + CODE_FIELD_OFFSET);
  }

  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_FIELD_OFFSET);
  }

  /** Echo and echo reply: the identifier (bytes 4-5). */
  public int identifier() {
    return buffer.getUnsignedShort(offset + IDENTIFIER_FIELD_OFFSET);
  }

  /** Echo and echo reply: the sequence number (bytes 6-7). */
  public int sequenceNumber() {
    return buffer.getUnsignedShort(offset + SEQUENCE_NUMBER_FIELD_OFFSET);
  }

  /** Destination unreachable, fragmentation needed: the next-hop MTU (RFC 1191 §4; bytes 6-7). */
  public int nextHopMtu() {
    return buffer.getUnsignedShort(offset + NEXT_HOP_MTU_FIELD_OFFSET);
  }

  /** Bytes 4 to 7, whose meaning depends on the type, as one 32-bit value. */
  public int restOfHeader() {
    return buffer.getInt(offset + REST_OF_HEADER_FIELD_OFFSET);
  }

  /** The absolute index of the data after the 8-byte header. */
  public int dataIndex() {
    return offset + DATA_FIELD_OFFSET;
  }

  /** The data's length: {@code length() - 8}. */
  public int dataLength() {
    return length - LENGTH;
  }

  /** Whether the checksum is right (RFC 792), over the whole {@link #length()}-byte message. */
  public boolean isChecksumValid() {
    return InternetChecksum.checksum(buffer, offset, length) == 0;
  }

  public Icmpv4Header setType(int type) {
    buffer.setByte(offset + TYPE_FIELD_OFFSET, type);
    return this;
  }

  public Icmpv4Header setCode(int code) {
    buffer.setByte(offset + CODE_FIELD_OFFSET, code);
    return this;
  }

  public Icmpv4Header setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_FIELD_OFFSET, checksum);
    return this;
  }

  public Icmpv4Header setIdentifier(int identifier) {
    buffer.setShort(offset + IDENTIFIER_FIELD_OFFSET, identifier);
    return this;
  }

  public Icmpv4Header setSequenceNumber(int sequenceNumber) {
    buffer.setShort(offset + SEQUENCE_NUMBER_FIELD_OFFSET, sequenceNumber);
    return this;
  }

  public Icmpv4Header setNextHopMtu(int mtu) {
    buffer.setShort(offset + NEXT_HOP_MTU_FIELD_OFFSET, mtu);
    return this;
  }

  public Icmpv4Header setRestOfHeader(int restOfHeader) {
    buffer.setInt(offset + REST_OF_HEADER_FIELD_OFFSET, restOfHeader);
    return this;
  }

  /**
   * Records {@code length} as the message length, then computes and writes the checksum over that
   * many bytes. Call it last, once the header and the data are in place.
   *
   * @param length the message length in bytes, header and data
   * @throws IllegalArgumentException if {@code length} is below the 8-byte header
   */
  public Icmpv4Header fillChecksum(int length) {
    if (length < LENGTH) {
      throw new IllegalArgumentException(
          "ICMP message length " + length + " is shorter than the 8-byte header");
    }
    this.length = length;
    setChecksum(0);
    return setChecksum(InternetChecksum.checksum(buffer, offset, length));
  }

  /** The main fields, for logs and test failures; reads the buffer only if the header fits. */
  @Override
  public String toString() {
    if (buffer == null) {
      return "Icmpv4Header{unwrapped}";
    }
    if (offset < 0 || offset > buffer.capacity() - LENGTH) {
      return "Icmpv4Header{truncated at " + offset + "}";
    }
    return "Icmpv4Header{type "
        + type()
        + " code "
        + code()
        + " rest 0x"
        + Integer.toHexString(restOfHeader())
        + " len "
        + length
        + " sum 0x"
        + Integer.toHexString(checksum())
        + "}";
  }
}
