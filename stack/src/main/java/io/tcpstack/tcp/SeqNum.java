package io.tcpstack.tcp;

/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): the only place sequence numbers are
 * compared or moved.
 *
 * <p>A sequence number is an {@code int} holding the raw 32 bits, as {@link
 * io.tcpstack.wire.TcpHeader#sequenceNumber()} returns it; the sign bit is just bit 31. The
 * sequence space is finite, so RFC 9293 §3.4 has every computation on it done modulo 2^32: a plain
 * {@code <} on two sequence numbers is wrong as soon as they straddle the wraparound (0xFFFFFFF0 is
 * <em>before</em> 0x00000010). Here {@code a < b} means that {@code b} is reached from {@code a} by
 * moving forward less than 2^31: the signed difference {@code a - b} is negative (the serial-number
 * arithmetic of RFC 1982 §3.2, with SERIAL_BITS = 32).
 *
 * <p>The order is only meaningful between numbers less than 2^31 apart, which the window limits
 * guarantee (a window is at most 2^30 bytes, RFC 7323 §2.3). Two numbers exactly 2^31 apart compare
 * as each less than the other; do not rely on that.
 *
 * <p>Pure static functions: no allocation, no state.
 */
public final class SeqNum {

  private SeqNum() {}

  /** Whether {@code a} comes before {@code b}, modulo 2^32. */
  public static boolean lt(int a, int b) {
    return a - b < 0;
  }

  /** Whether {@code a} is {@code b} or comes before it, modulo 2^32. */
  public static boolean le(int a, int b) {
    return a - b <= 0;
  }

  /** Whether {@code a} comes after {@code b}, modulo 2^32. */
  public static boolean gt(int a, int b) {
    return a - b > 0;
  }

  /** Whether {@code a} is {@code b} or comes after it, modulo 2^32. */
  public static boolean ge(int a, int b) {
    return a - b >= 0;
  }

  /**
   * {@code a + n} modulo 2^32: the sequence number {@code n} octets after {@code a} ({@code n} may
   * be negative, to move back).
   */
  public static int add(int a, int n) {
    return a + n;
  }

  /**
   * The signed distance from {@code b} to {@code a} ({@code a - b}): positive when {@code a} is
   * after {@code b}. Exact when the two are less than 2^31 apart, as in-window numbers are; for
   * example {@code diff(SND.NXT, SND.UNA)} is the number of octets in flight.
   */
  public static int diff(int a, int b) {
    return a - b;
  }

  /**
   * Whether {@code start <= x < start + length} modulo 2^32: {@code x} lies in the window of {@code
   * length} octets that begins at {@code start}, such as the receive window {@code RCV.NXT =<
   * SEG.SEQ < RCV.NXT + RCV.WND} (RFC 9293 §3.4). An empty window ({@code length} 0) holds nothing.
   *
   * @param length the window size, read as an unsigned 32-bit number; TCP windows never exceed
   *     2^30 (RFC 7323 §2.3), but any length up to 2^32 - 1 gives the right answer
   */
  public static boolean inWindow(int x, int start, int length) {
    // x - start is x's offset into the window, 0 to 2^32 - 1; it is inside if below the length.
    return Integer.compareUnsigned(x - start, length) < 0;
  }

  /** The later of {@code a} and {@code b}, modulo 2^32. */
  public static int max(int a, int b) {
    return gt(a, b) ? a : b;
  }

  /** The earlier of {@code a} and {@code b}, modulo 2^32. */
  public static int min(int a, int b) {
    return lt(a, b) ? a : b;
  }

  /** The sequence number as the unsigned value it is on the wire, 0 to 2^32 - 1: for printing. */
  public static long toUnsigned(int s) {
    return Integer.toUnsignedLong(s);
  }

  /** The sequence number in decimal, as tcpdump and Wireshark (absolute mode) show it. */
  public static String toString(int s) {
    return Integer.toUnsignedString(s);
  }
}
