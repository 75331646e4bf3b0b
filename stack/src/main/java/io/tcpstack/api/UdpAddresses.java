package io.tcpstack.api;

import io.tcpstack.udp.UdpLayer;
import io.tcpstack.wire.IpAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where the UDP API turns {@link InetSocketAddress}es into the core's address and port and back —
 * the API's one place that knows the core names an address by two {@code long}s, IPv4 as {@code
 * ::ffff:a.b.c.d} (see {@code io.tcpstack.udp.UdpPeer} for the core's). One instance per socket or
 * channel remembers the last address it made and the last one it was given, so a steady peer costs
 * no allocation per datagram (a new peer, of either family, costs one {@link InetSocketAddress}).
 * Not thread-safe: used on the stack thread.
 */
final class UdpAddresses {

  private long madeHi;
  private long madeLo;
  private int madePort;
  private InetSocketAddress made;
  private InetSocketAddress given;
  private IpAddress givenAddress;

  /**
   * {@code hi, lo} port {@code port} as an {@link InetSocketAddress} — with an {@link
   * java.net.Inet4Address} for IPv4, an {@link java.net.Inet6Address} for IPv6: the last one made,
   * if it is the same.
   */
  InetSocketAddress toInet(long hi, long lo, int port) {
    if (made == null || madeHi != hi || madeLo != lo || madePort != port) {
      made = new InetSocketAddress(IpAddress.isIpv4Mapped(hi, lo) ? IpAddress.ofIpv4((int) lo).toInet()
          : IpAddress.ofIpv6(hi, lo).toInet(), port);
      madeHi = hi;
      madeLo = lo;
      madePort = port;
    }
    return made;
  }

  /** The core's address for {@code to} (checked by {@link #check}). */
  IpAddress address(InetSocketAddress to) {
    if (to != given) {
      givenAddress = IpAddress.fromInet(to.getAddress());
      given = to;
    }
    return givenAddress;
  }

  /** The most data a datagram to {@code to} (checked) carries: less over IPv4 than over IPv6. */
  static int maxPayload(InetSocketAddress to) {
    return to.getAddress() instanceof Inet4Address ? UdpLayer.MAX_PAYLOAD : UdpLayer.MAX_PAYLOAD_IPV6;
  }

  /**
   * Checks that {@code to} is resolved: an IPv4 or IPv6 address (an IPv6 one's scope is ignored:
   * the stack has one link).
   *
   * @throws IllegalArgumentException for an unresolved address
   */
  static InetSocketAddress check(InetSocketAddress to) {
    Objects.requireNonNull(to, "address");
    InetAddress a = to.getAddress();
    if (a == null) {
      throw new IllegalArgumentException("unresolved address " + to + ": resolve it first (the stack does no DNS)");
    }
    return to;
  }
}
