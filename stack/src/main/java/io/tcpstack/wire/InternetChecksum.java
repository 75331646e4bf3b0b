package io.tcpstack.wire;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The Internet checksum of RFC 1071: the 16-bit one's complement of the one's-complement sum of the
 * data taken as big-endian 16-bit words, an odd final byte padded on the right with a zero byte.
 *
 * <p>Work with <em>sums</em> ({@link #sum}, {@link #pseudoHeaderSum}: folded to 16 bits, not
 * complemented) while adding pieces up, and {@link #finish} once at the end. To verify, sum the
 * data <em>including</em> its checksum field: the result finishes to 0 exactly when the checksum is
 * right.
 *
 * <p>Pieces can be chained by passing one sum as the next call's {@code initial}; every piece but
 * the last must have an even length, because an odd piece is padded as if the data ended there.
 */
public final class InternetChecksum {

  /** Big-endian longs at any index of a byte array (network order, unaligned allowed). */
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** The largest folded sum; finishes to a checksum of 0. */
  private static final int MAX_SUM = 0xFFFF;

  private InternetChecksum() {}

  /**
   * The one's-complement sum of the {@code length} bytes at absolute index {@code index} (the
   * buffer's reader and writer indexes are ignored and left alone), added to {@code initial}.
   *
   * @param initial a previous sum to continue (0 to start); its 32 bits are taken as unsigned
   * @return the sum folded to 16 bits, 0 to 0xFFFF; not complemented. It is 0 only if all the data
   *     and {@code initial} are zero.
   * @throws IndexOutOfBoundsException if the range is not inside the buffer's capacity
   */
  public static int sum(ByteBuf buf, int index, int length, int initial) {
    Objects.checkFromIndexSize(index, length, buf.capacity());
    // RFC 1071 §2(B)-(C): the sum does not depend on how words are grouped, so add 32-bit words
    // into a 64-bit accumulator and fold the carries once at the end (§4.1 folds the same way).
    // Each step adds less than 2^33: no overflow below 2^30 steps, beyond any ByteBuf's size.
    long accumulator = initial & 0xFFFF_FFFFL;
    if (buf.hasArray()) {
      // Heap buffers: read the array directly; ByteBuf.getLong assembles heap longs byte by byte.
      accumulator = add(buf.array(), buf.arrayOffset() + index, length, accumulator);
    } else {
      accumulator = add(buf, index, length, accumulator);
    }
    return fold(accumulator);
  }

  private static long add(ByteBuf buf, int index, int length, long accumulator) {
    int i = index;
    int end = index + length;
    for (; end - i >= Long.BYTES; i += Long.BYTES) {
      long eight = buf.getLong(i);
      accumulator += (eight >>> 32) + (eight & 0xFFFF_FFFFL);
    }
    if (end - i >= Integer.BYTES) {
      accumulator += buf.getUnsignedInt(i);
      i += Integer.BYTES;
    }
    if (end - i >= Short.BYTES) {
      accumulator += buf.getUnsignedShort(i);
      i += Short.BYTES;
    }
    if (i < end) {
      // RFC 1071 §1: an odd count of bytes is padded on the right with a zero byte.
      accumulator += buf.getUnsignedByte(i) << 8;
    }
    return accumulator;
  }

  private static long add(byte[] array, int index, int length, long accumulator) {
    int i = index;
    int end = index + length;
    for (; end - i >= Long.BYTES; i += Long.BYTES) {
      long eight = (long) LONGS.get(array, i);
      accumulator += (eight >>> 32) + (eight & 0xFFFF_FFFFL);
    }
    for (; end - i >= Short.BYTES; i += Short.BYTES) {
      accumulator += (array[i] & 0xFF) << 8 | (array[i + 1] & 0xFF);
    }
    if (i < end) {
      accumulator += (array[i] & 0xFF) << 8; // RFC 1071 §1: pad with a zero byte
    }
    return accumulator;
  }

  /** The checksum to transmit for a folded sum: its one's complement, {@code ~sum & 0xFFFF}. */
  public static int finish(int sum) {
    return ~sum & MAX_SUM;
  }

  /**
   * The sum of the 12-byte pseudo-header that TCP (RFC 9293 §3.1) and UDP (RFC 768) prefix to the
   * checksummed data: source address, destination address, a zero byte, the protocol and the TCP or
   * UDP length.
   *
   * @param protocol the IP protocol number; its low 8 bits are used
   * @param length the length of the TCP segment or UDP datagram, header included; low 16 bits used
   * @return the sum folded to 16 bits, not complemented: pass it as {@link #sum}'s {@code initial}
   */
  public static int pseudoHeaderSum(int source, int destination, int protocol, int length) {
    long accumulator =
        (source >>> 16)
            + (source & 0xFFFF)
            + (destination >>> 16)
            + (destination & 0xFFFF)
            + (protocol & 0xFF)
            + (length & 0xFFFF);
    return fold(accumulator);
  }

  /**
   * The sum of the IPv6 pseudo-header (RFC 8200 §8.1) that TCP, UDP and ICMPv6 (RFC 4443 §2.3)
   * prefix to the checksummed data: the 128-bit source and destination addresses (each as two
   * longs, bytes 0-7 and 8-15), the 32-bit upper-layer packet length, three zero bytes and the Next
   * Header value of the upper-layer protocol.
   *
   * @return the sum folded to 16 bits, not complemented: pass it as {@link #sum}'s {@code initial}
   */
  public static int pseudoHeaderSum6(
      long sourceHi, long sourceLo, long destinationHi, long destinationLo, int nextHeader, int length) {
    long accumulator = words(sourceHi) + words(sourceLo) + words(destinationHi) + words(destinationLo)
        + (length >>> 16) + (length & 0xFFFF) + (nextHeader & 0xFF);
    return fold(accumulator);
  }

  /** The four 16-bit words of {@code v} added up (less than 2^18). */
  private static long words(long v) {
    return (v >>> 48) + ((v >>> 32) & 0xFFFF) + ((v >>> 16) & 0xFFFF) + (v & 0xFFFF);
  }

  /**
   * The checksum of the {@code length} bytes at absolute {@code index}: {@code finish(sum(...))}.
   */
  public static int checksum(ByteBuf buf, int index, int length) {
    return finish(sum(buf, index, length, 0));
  }

  /**
   * Folds a non-negative sum to 16 bits with end-around carry (RFC 1071 §4.1). 2^16 is 1 modulo
   * 0xFFFF, so adding the high part to the low part keeps the one's-complement sum unchanged.
   */
  private static int fold(long sum) {
    while ((sum >>> 16) != 0) {
      sum = (sum & MAX_SUM) + (sum >>> 16);
    }
    return (int) sum;
  }
}
