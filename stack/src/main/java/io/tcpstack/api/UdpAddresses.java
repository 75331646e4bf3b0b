package io.tcpstack.api;

import io.tcpstack.wire.Ipv4Address;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where the UDP API turns {@link InetSocketAddress}es into the core's address and port and back —
 * the API's one place that knows the core names an IPv4 address by an {@code int} (see {@code
 * io.tcpstack.udp.UdpPeer} for the core's). One instance per socket or channel remembers the last
 * address it made and the last one it was given, so a steady peer costs no allocation per
 * datagram. Not thread-safe: used on the stack thread.
 */
final class UdpAddresses {

  private int madeAddress;
  private int madePort;
  private InetSocketAddress made;
  private InetSocketAddress given;
  private int givenAddress;

  /** {@code address:port} as an {@link InetSocketAddress}: the last one made, if it is the same. */
  InetSocketAddress toInet(int address, int port) {
    if (made == null || madeAddress != address || madePort != port) {
      made = new InetSocketAddress(Ipv4Address.toInet(address), port);
      madeAddress = address;
      madePort = port;
    }
    return made;
  }

  /** The core's address for {@code to} (checked by {@link #check}). */
  int address(InetSocketAddress to) {
    if (to != given) {
      givenAddress = Ipv4Address.fromInet((Inet4Address) to.getAddress());
      given = to;
    }
    return givenAddress;
  }

  /**
   * Checks that {@code to} is a resolved IPv4 address, as this stack's UDP needs for now.
   *
   * @throws IllegalArgumentException for an unresolved or IPv6 address
   */
  static InetSocketAddress check(InetSocketAddress to) {
    Objects.requireNonNull(to, "address");
    InetAddress a = to.getAddress();
    if (a == null) {
      throw new IllegalArgumentException("unresolved address " + to + ": resolve it first (the stack does no DNS)");
    }
    if (!(a instanceof Inet4Address)) {
      throw new IllegalArgumentException("UDP over IPv6 is coming but not here yet: this stack's UDP speaks IPv4 only, got "
          + to);
    }
    return to;
  }
}
