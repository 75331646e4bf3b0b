package io.tcpstack.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP address of either family as an immutable value: the 128 bits of an IPv6 address in two
 * longs, {@link #hi()} (bytes 0-7) and {@link #lo()} (bytes 8-15), network order. An IPv4 address
 * is held as its IPv4-mapped IPv6 address {@code ::ffff:a.b.c.d} (RFC 4291 §2.5.5.2), so one type
 * names the peer of a connection whatever its family; {@link #isIpv4()} tells the families apart.
 *
 * <p>Made once per connection or flow, never per packet: the per-packet paths read addresses from
 * the header views as {@code int}s (IPv4) or pairs of longs (IPv6).
 */
public final class IpAddress {

  /** Bytes of an IPv6 address (RFC 8200 §3). */
  public static final int IPV6_BYTES = 16;
  /** Bits of an IPv6 address. */
  public static final int IPV6_BITS = 128;
  /** The high 64 bits of every IPv4-mapped address: {@code 0:0:0:0}. */
  private static final long MAPPED_HI = 0L;
  /** The low 64 bits of an IPv4-mapped address less the IPv4 address: {@code 0:ffff:}. */
  private static final long MAPPED_LO_PREFIX = 0x0000_FFFF_0000_0000L;

  /** {@code ::}, the unspecified address (RFC 4291 §2.5.2). */
  public static final IpAddress UNSPECIFIED = new IpAddress(0, 0);

  private final long hi;
  private final long lo;

  private IpAddress(long hi, long lo) {
    this.hi = hi;
    this.lo = lo;
  }

  /** The IPv6 address whose bytes 0-7 are {@code hi} and 8-15 are {@code lo}, network order. */
  public static IpAddress ofIpv6(long hi, long lo) {
    return new IpAddress(hi, lo);
  }

  /** The IPv4 address {@code address} (network order in an int, as {@link Ipv4Address}), held as {@code ::ffff:a.b.c.d}. */
  public static IpAddress ofIpv4(int address) {
    return new IpAddress(MAPPED_HI, ipv4MappedLo(address));
  }

  /**
   * The low 64 bits of the IPv4-mapped address of {@code address} (its high 64 bits are 0): with
   * {@code 0} as {@code hi}, an IPv4 address as a pair of longs, to pass where either family goes
   * without making an object.
   */
  public static long ipv4MappedLo(int address) {
    return MAPPED_LO_PREFIX | (address & 0xFFFF_FFFFL);
  }

  /** Whether {@code hi, lo} is an IPv4-mapped address (RFC 4291 §2.5.5.2). */
  public static boolean isIpv4Mapped(long hi, long lo) {
    return hi == MAPPED_HI && (lo & 0xFFFF_FFFF_0000_0000L) == MAPPED_LO_PREFIX;
  }

  /** Whether {@code hi} (an address's first 64 bits) is in ff00::/8, multicast (RFC 4291 §2.7). */
  public static boolean isMulticast(long hi) {
    return (hi >>> 56) == 0xFF;
  }

  /** Whether this is an IPv4 address (held IPv4-mapped). */
  public boolean isIpv4() {
    return isIpv4Mapped(hi, lo);
  }

  /**
   * The IPv4 address, network order in an int.
   *
   * @throws IllegalStateException if this is an IPv6 address
   */
  public int ipv4() {
    if (!isIpv4()) {
      throw new IllegalStateException(this + " is an IPv6 address, not IPv4");
    }
    return (int) lo;
  }

  /** Bytes 0-7, network order. */
  public long hi() {
    return hi;
  }

  /** Bytes 8-15, network order. */
  public long lo() {
    return lo;
  }

  /** Whether this is an IPv6 multicast address (ff00::/8). */
  public boolean isMulticast() {
    return !isIpv4() && isMulticast(hi);
  }

  /**
   * Parses an IPv4 dotted quad ({@code 198.18.0.2}) or an IPv6 address in any RFC 4291 §2.2 form
   * ({@code fd00::2}, {@code ::ffff:198.18.0.2}), without brackets, prefix or zone.
   *
   * @throws IllegalArgumentException if {@code text} is neither
   */
  public static IpAddress parse(String text) {
    if (text.indexOf(':') < 0) {
      return ofIpv4(Ipv4Address.parse(text));
    }
    return parseIpv6(text);
  }

  private static IpAddress parseIpv6(String text) {
    int[] groups = new int[8];
    int count = 0;
    int gap = -1; // index in groups where "::" stands
    String s = text;
    if (s.isEmpty() || s.indexOf('%') >= 0) {
      throw bad(text, "not an IPv6 address");
    }
    int i = 0;
    if (s.startsWith("::")) {
      gap = 0;
      i = 2;
      if (s.length() == 2) {
        return UNSPECIFIED;
      }
    } else if (s.startsWith(":")) {
      throw bad(text, "a single ':' cannot start an address");
    }
    while (i < s.length()) {
      int end = s.indexOf(':', i);
      String part = end < 0 ? s.substring(i) : s.substring(i, end);
      if (part.indexOf('.') >= 0) {
        if (end >= 0 || count > 6) {
          throw bad(text, "an embedded IPv4 address must end it");
        }
        int v4;
        try {
          v4 = Ipv4Address.parse(part);
        } catch (IllegalArgumentException e) {
          throw bad(text, "bad embedded IPv4 address");
        }
        groups[count++] = v4 >>> 16;
        groups[count++] = v4 & 0xFFFF;
        i = s.length();
        break;
      }
      if (part.isEmpty() || part.length() > 4 || count == 8) {
        throw bad(text, "bad group '" + part + "'");
      }
      int value = 0;
      for (int k = 0; k < part.length(); k++) {
        int d = Character.digit(part.charAt(k), 16);
        if (d < 0) {
          throw bad(text, "bad group '" + part + "'");
        }
        value = value << 4 | d;
      }
      groups[count++] = value;
      if (end < 0) {
        i = s.length();
      } else if (end + 1 < s.length() && s.charAt(end + 1) == ':') {
        if (gap >= 0) {
          throw bad(text, "'::' may appear only once");
        }
        gap = count;
        i = end + 2;
      } else {
        if (end + 1 == s.length()) {
          throw bad(text, "a single ':' cannot end an address");
        }
        i = end + 1;
      }
    }
    if (gap < 0 && count != 8 || gap >= 0 && count > 7) {
      throw bad(text, "wrong number of groups");
    }
    int[] full = new int[8];
    if (gap < 0) {
      full = groups;
    } else {
      int tail = count - gap;
      System.arraycopy(groups, 0, full, 0, gap);
      System.arraycopy(groups, gap, full, 8 - tail, tail);
    }
    long hi = 0;
    long lo = 0;
    for (int g = 0; g < 4; g++) {
      hi = hi << 16 | full[g];
      lo = lo << 16 | full[g + 4];
    }
    return new IpAddress(hi, lo);
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException("'" + text + "' is not an IP address: " + why);
  }

  /**
   * The address of {@code address}: an {@link Inet4Address} as IPv4; an {@link Inet6Address} as
   * IPv6 (its scope is dropped; an IPv4-mapped one, which Java turns into Inet4Address, as IPv4).
   */
  public static IpAddress fromInet(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return ofIpv4(Ipv4Address.fromInet((Inet4Address) address));
    }
    return fromBytes(b);
  }

  /** The address of 4 (IPv4) or 16 (IPv6) bytes in network order. */
  public static IpAddress fromBytes(byte[] b) {
    if (b.length == 4) {
      return ofIpv4((b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF));
    }
    if (b.length != IPV6_BYTES) {
      throw new IllegalArgumentException("an IP address has 4 or 16 bytes, got " + b.length);
    }
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < 8; i++) {
      hi = hi << 8 | (b[i] & 0xFF);
      lo = lo << 8 | (b[i + 8] & 0xFF);
    }
    return new IpAddress(hi, lo);
  }

  /** The 4 (IPv4) or 16 (IPv6) bytes, network order. */
  public byte[] toBytes() {
    if (isIpv4()) {
      int v = (int) lo;
      return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
    byte[] b = new byte[IPV6_BYTES];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (hi >>> (56 - 8 * i));
      b[i + 8] = (byte) (lo >>> (56 - 8 * i));
    }
    return b;
  }

  /** An {@link Inet4Address} for IPv4, an {@link Inet6Address} for IPv6. */
  public InetAddress toInet() {
    try {
      return InetAddress.getByAddress(toBytes());
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  /** Bits {@code prefixLength} and on cleared: the network of a prefix. */
  public IpAddress network(int prefixLength) {
    if (prefixLength < 0 || prefixLength > IPV6_BITS) {
      throw new IllegalArgumentException("an IPv6 prefix length is 0..128, got " + prefixLength);
    }
    long hiMask = prefixLength >= 64 ? -1L : prefixLength == 0 ? 0 : -1L << (64 - prefixLength);
    long loMask = prefixLength <= 64 ? 0 : prefixLength == 128 ? -1L : -1L << (128 - prefixLength);
    return new IpAddress(hi & hiMask, lo & loMask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress a && a.hi == hi && a.lo == lo;
  }

  @Override
  public int hashCode() {
    long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo;
    return (int) (h ^ h >>> 32);
  }

  /**
   * IPv4 as a dotted quad; IPv6 in RFC 5952 §4 form: lower-case hex without leading zeros, the
   * longest run of two or more zero groups (the first of equal ones) as {@code ::}.
   */
  @Override
  public String toString() {
    if (isIpv4()) {
      return Ipv4Address.toString((int) lo);
    }
    return ipv6ToString(hi, lo);
  }

  /** RFC 5952 §4 text of the IPv6 address {@code hi, lo}. */
  public static String ipv6ToString(long hi, long lo) {
    int[] g = new int[8];
    for (int i = 0; i < 4; i++) {
      g[i] = (int) (hi >>> (48 - 16 * i)) & 0xFFFF;
      g[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xFFFF;
    }
    int bestStart = -1;
    int bestLength = 1; // RFC 5952 §4.2.2: a single zero group is not shortened
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLength - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }
}
