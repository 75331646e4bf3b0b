package io.tcpstack.udp;

import io.tcpstack.wire.IpAddress;
import io.tcpstack.wire.Ipv4Address;

/**
 * The one place that knows how UDP names a peer's address: as {@link IpAddress} does, in two
 * {@code long}s (bytes 0-7 and 8-15 of the IPv6 address), an IPv4 address held as the IPv4-mapped
 * {@code ::ffff:a.b.c.d} (RFC 4291 §2.5.5.2) — so one endpoint speaks both families, as a Linux
 * {@code ::} socket does, and nothing is allocated per datagram. The port is beside it as an {@code
 * int}. The receive queue stores an address in a family byte and 4 or 16 bytes per datagram
 * ({@link #recordBytes}); {@link UdpEndpoint} keeps the connected peer and the last sender in the
 * two-long form.
 */
final class UdpPeer {

  /** Bytes an IPv4 sender takes in a receive-queue record: the family byte and 4. */
  static final int IPV4_RECORD_BYTES = 1 + Integer.BYTES;
  /** Bytes an IPv6 sender takes in a receive-queue record: the family byte and 16. */
  static final int IPV6_RECORD_BYTES = 1 + IpAddress.IPV6_BYTES;

  private static final int FAMILY_IPV4 = 4;
  private static final int FAMILY_IPV6 = 6;

  /** No address: an unconnected endpoint's peer ({@code ::}). */
  static final long NONE_HI = 0;
  static final long NONE_LO = 0;

  private static final long MAPPED_LO_PREFIX = 0x0000_FFFF_0000_0000L;

  private UdpPeer() {}

  /** The high long of every IPv4-mapped address. */
  static final long IPV4_HI = 0;

  /** The low long of IPv4 {@code address}, mapped. */
  static long loOf(int address) {
    return MAPPED_LO_PREFIX | (address & 0xFFFF_FFFFL);
  }

  static boolean isIpv4(long hi, long lo) {
    return IpAddress.isIpv4Mapped(hi, lo);
  }

  /** The IPv4 address of a mapped {@code hi, lo}. */
  static int ipv4(long lo) {
    return (int) lo;
  }

  /** Bytes the address takes in a receive-queue record. */
  static int recordBytes(long hi, long lo) {
    return isIpv4(hi, lo) ? IPV4_RECORD_BYTES : IPV6_RECORD_BYTES;
  }

  /** Writes the address into {@code queue}'s ring at {@code at}; returns the index after it. */
  static int write(DatagramQueue queue, int at, long hi, long lo) {
    if (isIpv4(hi, lo)) {
      at = queue.putByte(at, FAMILY_IPV4);
      return putBytes(queue, at, lo, Integer.BYTES);
    }
    at = queue.putByte(at, FAMILY_IPV6);
    at = putBytes(queue, at, hi, Long.BYTES);
    return putBytes(queue, at, lo, Long.BYTES);
  }

  private static int putBytes(DatagramQueue queue, int at, long value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
      at = queue.putByte(at, (int) (value >>> shift));
    }
    return at;
  }

  private static long getBytes(DatagramQueue queue, int at, int bytes) {
    long value = 0;
    for (int i = 0; i < bytes; i++) {
      value = value << 8 | queue.getByte(at);
      at = queue.wrap(at + 1);
    }
    return value;
  }

  /** The bytes the address written at {@code at} takes, family byte included. */
  static int readLength(DatagramQueue queue, int at) {
    return queue.getByte(at) == FAMILY_IPV4 ? IPV4_RECORD_BYTES : IPV6_RECORD_BYTES;
  }

  /** The high long of the address written by {@link #write} at {@code at}. */
  static long readHi(DatagramQueue queue, int at) {
    return queue.getByte(at) == FAMILY_IPV4 ? IPV4_HI : getBytes(queue, queue.wrap(at + 1), Long.BYTES);
  }

  /** The low long of the address written by {@link #write} at {@code at}. */
  static long readLo(DatagramQueue queue, int at) {
    if (queue.getByte(at) == FAMILY_IPV4) {
      return MAPPED_LO_PREFIX | getBytes(queue, queue.wrap(at + 1), Integer.BYTES);
    }
    return getBytes(queue, queue.wrap(at + 1 + Long.BYTES), Long.BYTES);
  }

  /**
   * Whether a datagram to IPv4 {@code address} must never draw an ICMP error: the limited broadcast, a
   * subnet's broadcast, multicast (RFC 1122 §3.2.2: "an ICMP error message MUST NOT be sent as the
   * result of receiving ... a datagram destined to an IP broadcast or IP multicast address").
   */
  static boolean isBroadcastOrMulticast(int address, int ourAddress, int prefixLength) {
    if (address == Ipv4Address.LIMITED_BROADCAST || (address >>> 28) == 0xE) {
      return true;
    }
    int hostMask = prefixLength >= Ipv4Address.BITS ? 0 : -1 >>> prefixLength;
    return hostMask != 0 && Ipv4Address.sameSubnet(address, ourAddress, prefixLength)
        && (address & hostMask) == hostMask;
  }

  /** An address to show: IPv4 dotted, IPv6 in brackets (RFC 5952 §6), then the port. */
  static String toString(long hi, long lo, int port) {
    if (isIpv4(hi, lo)) {
      return Ipv4Address.toString(ipv4(lo)) + ":" + port;
    }
    return "[" + IpAddress.ipv6ToString(hi, lo) + "]:" + port;
  }

  /** The address as an {@link IpAddress} (allocates: for callers off the datagram path). */
  static IpAddress toIpAddress(long hi, long lo) {
    return isIpv4(hi, lo) ? IpAddress.ofIpv4(ipv4(lo)) : IpAddress.ofIpv6(hi, lo);
  }
}
