package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an ICMPv6 message (RFC 4443 §2.1) in a {@link ByteBuf}: the 4-byte type, code and
 * checksum, the 4 bytes whose meaning depends on the type (echo identifier and sequence number,
 * the MTU of Packet Too Big, the pointer of Parameter Problem), then the message body.
 *
 * <pre>
 *  byte  0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     0 |     Type      |     Code      |          Checksum             |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     4 |   Identifier / MTU / Pointer / Unused (by type)               |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     8 |   Data / as much of the invoking packet as fits ...
 * </pre>
 *
 * <p>Unlike ICMPv4's, the checksum covers the IPv6 pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1):
 * {@link #isChecksumValid} and {@link #fillChecksum} take the addresses. A reusable flyweight: see
 * the {@linkplain io.tcpstack.wire package conventions}.
 */
public final class Icmpv6Header {

  /** Type, code, checksum and the type-specific word. */
  public static final int LENGTH = 8;

  /** RFC 4443 §3.1. */
  public static final int TYPE_DESTINATION_UNREACHABLE = 1;
  /** RFC 4443 §3.2. */
  public static final int TYPE_PACKET_TOO_BIG = 2;
  /** RFC 4443 §3.3. */
  public static final int TYPE_TIME_EXCEEDED = 3;
  /** RFC 4443 §3.4. */
  public static final int TYPE_PARAMETER_PROBLEM = 4;
  /** RFC 4443 §4.1. */
  public static final int TYPE_ECHO_REQUEST = 128;
  /** RFC 4443 §4.2. */
  public static final int TYPE_ECHO_REPLY = 129;
  /** RFC 2710 §3 (MLD): Multicast Listener Query, the first of the MLD types 130-132. */
  public static final int TYPE_MLD_QUERY = 130;
  /** RFC 4861 §4.1: Router Solicitation, the first of the Neighbor Discovery types 133-137. */
  public static final int TYPE_ROUTER_SOLICITATION = 133;
  /** RFC 4861 §4.5: Redirect, the last Neighbor Discovery type. */
  public static final int TYPE_REDIRECT = 137;
  /** RFC 3810 §5.2: Version 2 Multicast Listener Report. */
  public static final int TYPE_MLD_V2_REPORT = 143;

  /** RFC 4443 §2.1: "error messages have 0 in the high-order bit of their message Type field". */
  public static final int INFORMATIONAL_BIT = 0x80;

  /** Destination Unreachable, RFC 4443 §3.1: "no route to destination". */
  public static final int CODE_NO_ROUTE = 0;
  /** Destination Unreachable: "communication with destination administratively prohibited". */
  public static final int CODE_ADMINISTRATIVELY_PROHIBITED = 1;
  /** Destination Unreachable: "address unreachable". */
  public static final int CODE_ADDRESS_UNREACHABLE = 3;
  /** Destination Unreachable: "port unreachable". */
  public static final int CODE_PORT_UNREACHABLE = 4;
  /** Destination Unreachable: "reject route to destination" (code 6). */
  public static final int CODE_REJECT_ROUTE = 6;
  /** Time Exceeded, RFC 4443 §3.3: "hop limit exceeded in transit". */
  public static final int CODE_HOP_LIMIT_EXCEEDED = 0;
  /** Time Exceeded: "fragment reassembly time exceeded". */
  public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;
  /** Parameter Problem, RFC 4443 §3.4: "erroneous header field encountered". */
  public static final int CODE_ERRONEOUS_HEADER_FIELD = 0;
  /** Parameter Problem: "unrecognized Next Header type encountered". */
  public static final int CODE_UNRECOGNIZED_NEXT_HEADER = 1;
  /** Parameter Problem: "unrecognized IPv6 option encountered". */
  public static final int CODE_UNRECOGNIZED_OPTION = 2;

  public static final int TYPE_FIELD_OFFSET = 0;
  public static final int CODE_FIELD_OFFSET = 1;
  public static final int CHECKSUM_FIELD_OFFSET = 2;
  /** Echo: Identifier; Packet Too Big: the MTU (32 bits); Parameter Problem: the Pointer (32 bits). */
  public static final int REST_OF_HEADER_FIELD_OFFSET = 4;
  public static final int IDENTIFIER_FIELD_OFFSET = 4;
  public static final int SEQUENCE_NUMBER_FIELD_OFFSET = 6;
  public static final int DATA_FIELD_OFFSET = 8;

  private ByteBuf buffer;
  private int offset;
  private int length;

  /** Binds this view to a message at absolute {@code offset}, without any check. */
  public Icmpv6Header wrap(ByteBuf buffer, int offset, int length) {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /**
   * Binds this view and checks that the {@code length} bytes hold at least the 8-byte header
   * ({@link WireCheck#TRUNCATED}).
   */
  public WireCheck wrapChecked(ByteBuf buffer, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, buffer.capacity());
    wrap(buffer, offset, length);
    return length < LENGTH ? WireCheck.TRUNCATED : WireCheck.OK;
  }

  public ByteBuf buffer() {
    return buffer;
  }

  public int offset() {
    return offset;
  }

  /** The message's length: header and body. */
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

  /** Whether the type is an error message (RFC 4443 §2.1: types 0-127). */
  public boolean isError() {
    return isErrorType(type());
  }

  /** RFC 4443 §2.1: error types have the high-order bit clear. */
  public static boolean isErrorType(int type) {
    return (type & INFORMATIONAL_BIT) == 0;
  }

  public int identifier() {
    return buffer.getUnsignedShort(offset + IDENTIFIER_FIELD_OFFSET);
  }

  public int sequenceNumber() {
    return buffer.getUnsignedShort(offset + SEQUENCE_NUMBER_FIELD_OFFSET);
  }

  /** The 32-bit type-specific word: Packet Too Big's MTU, Parameter Problem's Pointer. */
  public long restOfHeader() {
    return buffer.getUnsignedInt(offset + REST_OF_HEADER_FIELD_OFFSET);
  }

  /** The absolute index of the body (the invoking packet of an error, an echo's data). */
  public int dataIndex() {
    return offset + DATA_FIELD_OFFSET;
  }

  public int dataLength() {
    return length - DATA_FIELD_OFFSET;
  }

  /**
   * Whether the checksum over the pseudo-header (these addresses, Next Header 58, {@link #length()})
   * and the message is right (RFC 4443 §2.3).
   */
  public boolean isChecksumValid(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
    int pseudo = InternetChecksum.pseudoHeaderSum6(sourceHi, sourceLo, destinationHi, destinationLo,
        IpProtocol.ICMPV6, length);
    return InternetChecksum.finish(InternetChecksum.sum(buffer, offset, length, pseudo)) == 0;
  }

  public Icmpv6Header setType(int type) {
    buffer.setByte(offset + TYPE_FIELD_OFFSET, type);
    return this;
  }

  public Icmpv6Header setCode(int code) {
    buffer.setByte(offset + CODE_FIELD_OFFSET, code);
    return this;
  }

  public Icmpv6Header setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_FIELD_OFFSET, checksum);
    return this;
  }

  public Icmpv6Header setRestOfHeader(long value) {
    buffer.setInt(offset + REST_OF_HEADER_FIELD_OFFSET, (int) value);
    return this;
  }

  /** Computes and writes the checksum (RFC 4443 §2.3) over the pseudo-header and {@link #length()} bytes; call it last. */
  public Icmpv6Header fillChecksum(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
    setChecksum(0);
    int pseudo = InternetChecksum.pseudoHeaderSum6(sourceHi, sourceLo, destinationHi, destinationLo,
        IpProtocol.ICMPV6, length);
    return setChecksum(InternetChecksum.finish(InternetChecksum.sum(buffer, offset, length, pseudo)));
  }

  @Override
  public String toString() {
    if (buffer == null) {
      return "Icmpv6Header{unwrapped}";
    }
    if (length < LENGTH) {
      return "Icmpv6Header{truncated, " + length + " bytes}";
    }
    return "Icmpv6Header{type " + type() + " code " + code() + " len " + length + " sum 0x"
        + Integer.toHexString(checksum()) + " rest 0x" + Long.toHexString(restOfHeader()) + "}";
  }
}
