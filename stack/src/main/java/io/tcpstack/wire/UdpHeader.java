package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of a UDP datagram's header (RFC 768) in a {@link ByteBuf}.
 *
 * <pre>
 *  byte  0      7 8     15 16    23 24    31
 *       +--------+--------+--------+--------+
 *     0 |   Source Port   |Destination Port |
 *       +--------+--------+--------+--------+
 *     4 |     Length      |    Checksum     |
 *       +--------+--------+--------+--------+
 *     8 |          data octets ...
 *       +---------------- ...
 * </pre>
 *
 * <p>Length counts the header and the data in bytes. The checksum covers a pseudo-header (source
 * and destination address, protocol 17, the UDP length; see {@link
 * InternetChecksum#pseudoHeaderSum}), the header and the data; a zero checksum field means the
 * sender computed none (RFC 768).
 *
 * <p>A reusable flyweight: see the {@linkplain io.tcpstack.wire package conventions}. After {@link
 * #wrapChecked} returned {@link WireCheck#OK}, every accessor, the payload range and {@link
 * #isChecksumValid} stay inside the bytes given.
 */
public final class UdpHeader {

  /** The header: ports, length and checksum (RFC 768). */
  public static final int LENGTH = 8;

  /**
   * RFC 768: "An all zero transmitted checksum value means that the transmitter generated no
   * checksum".
   */
  public static final int NO_CHECKSUM = 0x0000;

  /** RFC 768: "If the computed checksum is zero, it is transmitted as all ones". */
  public static final int COMPUTED_ZERO_CHECKSUM = 0xFFFF;

  public static final int SOURCE_PORT_FIELD_OFFSET = 0;
  public static final int DESTINATION_PORT_FIELD_OFFSET = 2;
  public static final int LENGTH_FIELD_OFFSET = 4;
  public static final int CHECKSUM_FIELD_OFFSET = 6;
  public static final int DATA_FIELD_OFFSET = 8;

  private ByteBuf buffer;
  private int offset;

  /** Binds this view to the datagram at absolute index {@code offset}, without any check. */
  public UdpHeader wrap(ByteBuf buffer, int offset) {
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  /**
   * Binds this view to the datagram at {@code offset}, then checks it against the {@code length}
   * bytes from there: at least 8 ({@link WireCheck#TRUNCATED}), and 8 &lt;= the length field &lt;=
   * {@code length} ({@link WireCheck#BAD_LENGTH}). Bytes beyond the length field are allowed and
   * ignored. The checksum is not verified: see {@link #isChecksumValid}.
   *
   * @param length the bytes available: the IP payload length
   * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside the
   *     buffer's capacity: a bug in the caller, not bad input
   */
  public WireCheck wrapChecked(ByteBuf buffer, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, buffer.capacity());
    wrap(buffer, offset);
    if (length < LENGTH) {
      return WireCheck.TRUNCATED;
    }
    int datagramLength = length();
    if (datagramLength < LENGTH || datagramLength > length) {
      return WireCheck.BAD_LENGTH;
    }
    return WireCheck.OK;
  }

  /** The buffer this view is bound to. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** The absolute index of the datagram's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  public int sourcePort() {
    return buffer.getUnsignedShort(offset + SOURCE_PORT_FIELD_OFFSET);
  }

  public int destinationPort() {
    return buffer.getUnsignedShort(offset + DESTINATION_PORT_FIELD_OFFSET);
  }

  /** The length field: the datagram's length in bytes, header and data. */
  public int length() {
    return buffer.getUnsignedShort(offset + LENGTH_FIELD_OFFSET);
  }

  /** The checksum field; {@link #NO_CHECKSUM} if the sender computed none. */
  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_FIELD_OFFSET);
  }

  /** The absolute index of the data after the 8-byte header. */
  public int payloadIndex() {
    return offset + DATA_FIELD_OFFSET;
  }

  /** The data's length: {@code length() - 8}. */
  public int payloadLength() {
    return length() - LENGTH;
  }

  /**
   * Whether the checksum is right: true if the field is {@link #NO_CHECKSUM} (the sender computed
   * none, RFC 768), else checked over the pseudo-header for these addresses and the {@link
   * #length()}-byte datagram.
   */
  public boolean isChecksumValid(int sourceAddress, int destinationAddress) {
    if (checksum() == NO_CHECKSUM) {
      return true;
    }
    return InternetChecksum.finish(sum(sourceAddress, destinationAddress)) == 0;
  }

  /**
   * Whether the checksum over the IPv6 pseudo-header (RFC 8200 §8.1) for these addresses and the
   * {@link #length()}-byte datagram is right. Unlike {@link #isChecksumValid}, a zero field is not
   * taken as "no checksum": RFC 8200 §8.1 makes the checksum mandatory over IPv6, and a receiver
   * drops a datagram whose field is zero before asking this.
   */
  public boolean isChecksumValid6(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
    return InternetChecksum.finish(sum6(sourceHi, sourceLo, destinationHi, destinationLo)) == 0;
  }

  /**
   * As {@link #fillChecksum}, over the IPv6 pseudo-header (RFC 8200 §8.1: "if that computation
   * yields a result of zero, it must be changed to hex FFFF for placement in the UDP header").
   */
  public UdpHeader fillChecksum6(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
    if (length() < LENGTH) {
      throw new IllegalArgumentException(
          "UDP length field " + length() + " is shorter than the 8-byte header: set it first");
    }
    setChecksum(0);
    int checksum = InternetChecksum.finish(sum6(sourceHi, sourceLo, destinationHi, destinationLo));
    return setChecksum(checksum == 0 ? COMPUTED_ZERO_CHECKSUM : checksum);
  }

  private int sum6(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
    int length = length();
    int pseudo = InternetChecksum.pseudoHeaderSum6(sourceHi, sourceLo, destinationHi, destinationLo,
        IpProtocol.UDP, length);
    return InternetChecksum.sum(buffer, offset, length, pseudo);
  }

  public UdpHeader setSourcePort(int port) {
    buffer.setShort(offset + SOURCE_PORT_FIELD_OFFSET, port);
    return this;
  }

  public UdpHeader setDestinationPort(int port) {
    buffer.setShort(offset + DESTINATION_PORT_FIELD_OFFSET, port);
    return this;
  }

  /** Writes the length field: the datagram's length in bytes, header and data. */
  public UdpHeader setLength(int length) {
    buffer.setShort(offset + LENGTH_FIELD_OFFSET, length);
    return this;
  }

  public UdpHeader setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_FIELD_OFFSET, checksum);
    return this;
  }

  /**
   * Computes and writes the checksum over the pseudo-header and the {@link #length()}-byte
   * datagram; a computed 0 is written as {@link #COMPUTED_ZERO_CHECKSUM} (RFC 768), since 0 means
   * "no checksum". Call it last, once the length field and the data are in place.
   *
   * @throws IllegalArgumentException if the length field is below the 8-byte header
   */
  public UdpHeader fillChecksum(int sourceAddress, int destinationAddress) {
    if (length() < LENGTH) {
      throw new IllegalArgumentException(
          "UDP length field " + length() + " is shorter than the 8-byte header: set it first");
    }
    setChecksum(0);
    int checksum = InternetChecksum.finish(sum(sourceAddress, destinationAddress));
    return setChecksum(checksum == 0 ? COMPUTED_ZERO_CHECKSUM : checksum);
  }

  private int sum(int sourceAddress, int destinationAddress) {
    int length = length();
    int pseudo =
        InternetChecksum.pseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.UDP, length);
    return InternetChecksum.sum(buffer, offset, length, pseudo);
  }

  /** The main fields, for logs and test failures; reads the buffer only if the header fits. */
  @Override
  public String toString() {
    if (buffer == null) {
      return "UdpHeader{unwrapped}";
    }
    if (offset < 0 || offset > buffer.capacity() - LENGTH) {
      return "UdpHeader{truncated at " + offset + "}";
    }
    return "UdpHeader{"
        + sourcePort()
        + " > "
        + destinationPort()
        + " len "
        + length()
        + " sum 0x"
        + Integer.toHexString(checksum())
        + "}";
  }
}
