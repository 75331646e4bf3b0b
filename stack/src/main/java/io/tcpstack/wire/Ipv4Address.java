package io.tcpstack.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 addresses as {@code int}s: the 32 bits in network order, so {@code 198.18.0.1} is {@code
 * 0xC6120001} (addresses from 128.0.0.0 up are negative; compare them with {@code ==} only). This
 * is the form {@link Ipv4Header#source()} returns, and what the stack passes around instead of
 * {@link InetAddress} objects.
 */
public final class Ipv4Address {

  /** Bits in an IPv4 address, and so the largest prefix length (RFC 4632 §3.1). */
  public static final int BITS = 32;

  /** {@code 0.0.0.0}: "this host on this network" (RFC 1122 §3.2.1.3(a)). */
  public static final int UNSPECIFIED = 0;

  /** {@code 255.255.255.255}: the limited broadcast address (RFC 1122 §3.2.1.3(c)). */
  public static final int LIMITED_BROADCAST = 0xFFFF_FFFF;

  private static final int OCTETS = 4;

  private Ipv4Address() {}

  /**
   * Parses a dotted quad such as {@code "198.18.0.1"}: exactly four decimal numbers from 0 to 255
   * separated by single dots, nothing around them. Like {@code inet_pton}, rejects the shorthand
   * and octal forms {@code inet_aton} accepts ({@code "10.1"}, {@code "010.0.0.1"}).
   *
   * @throws IllegalArgumentException saying what is wrong, if {@code dotted} is not a dotted quad
   * @throws NullPointerException if {@code dotted} is null
   */
  public static int parse(String dotted) {
    int address = 0;
    int octets = 0;
    int i = 0;
    int n = dotted.length();
    while (true) {
      int start = i;
      int value = 0;
      while (i < n && i - start < 4 && dotted.charAt(i) >= '0' && dotted.charAt(i) <= '9') {
        value = value * 10 + (dotted.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0) {
        throw invalid(dotted, "expected a decimal number at position " + start);
      }
      if (digits > 3) {
        throw invalid(dotted, "number " + (octets + 1) + " has more than 3 digits");
      }
      if (value > 255) {
        throw invalid(dotted, "number " + (octets + 1) + " is greater than 255");
      }
      if (digits > 1 && dotted.charAt(start) == '0') {
        throw invalid(
            dotted, "number " + (octets + 1) + " has a leading zero (octal is not accepted)");
      }
      address = (address << 8) | value;
      octets++;
      if (octets == OCTETS) {
        if (i != n) {
          throw invalid(dotted, "unexpected '" + dotted.charAt(i) + "' after the fourth number");
        }
        return address;
      }
      if (i == n) {
        throw invalid(dotted, "only " + octets + " of 4 numbers");
      }
      if (dotted.charAt(i) != '.') {
        throw invalid(dotted, "unexpected '" + dotted.charAt(i) + "' at position " + i);
      }
      i++;
    }
  }

  /** The dotted quad for {@code address}, such as {@code "198.18.0.1"}. */
  public static String toString(int address) {
    return new StringBuilder(15)
        .append(address >>> 24)
        .append('.')
        .append((address >>> 16) & 0xFF)
        .append('.')
        .append((address >>> 8) & 0xFF)
        .append('.')
        .append(address & 0xFF)
        .toString();
  }

  /** The address of {@code address} as an {@code int}. */
  public static int fromInet(Inet4Address address) {
    byte[] b = address.getAddress();
    return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
  }

  /** {@code address} as an {@link Inet4Address} (no name lookup). */
  public static Inet4Address toInet(int address) {
    byte[] b = {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always an IPv4 address", e);
    }
  }

  /**
   * The netmask of a prefix length: {@code prefixLength} one bits followed by zeros, so 24 gives
   * {@code 0xFFFFFF00} and 0 gives 0.
   *
   * @throws IllegalArgumentException if {@code prefixLength} is not in 0..32
   */
  public static int netmask(int prefixLength) {
    if (prefixLength < 0 || prefixLength > BITS) {
      throw new IllegalArgumentException(
          "prefix length " + prefixLength + " is out of range: an IPv4 prefix has 0 to 32 bits");
    }
    // A shift by 32 is a shift by 0 in Java, so /0 needs its own case.
    return prefixLength == 0 ? 0 : -1 << (BITS - prefixLength);
  }

  /**
   * Whether {@code a} and {@code b} have the same first {@code prefixLength} bits.
   *
   * @throws IllegalArgumentException if {@code prefixLength} is not in 0..32
   */
  public static boolean sameSubnet(int a, int b, int prefixLength) {
    return ((a ^ b) & netmask(prefixLength)) == 0;
  }

  private static IllegalArgumentException invalid(String input, String reason) {
    return new IllegalArgumentException(
        "not an IPv4 address: \""
            + input
            + "\" ("
            + reason
            + "); expected four numbers 0-255 separated by dots, like 198.18.0.1");
  }
}
