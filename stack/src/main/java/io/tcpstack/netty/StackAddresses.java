package io.tcpstack.netty;

import io.tcpstack.wire.Ipv4Address;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The one place where the transport converts between Netty's {@link InetSocketAddress}es and the
 * stack's addresses (IPv4 as an {@code int} today): when the stack's API takes {@link InetAddress},
 * only this class changes.
 */
final class StackAddresses {

  private StackAddresses() {}

  /** {@code address:port} of the stack, as Netty shows it. */
  static InetSocketAddress toSocketAddress(int address, int port) {
    return new InetSocketAddress(Ipv4Address.toInet(address), port);
  }

  /**
   * The stack's form of a peer to connect to.
   *
   * @throws IllegalArgumentException for anything but a resolved IPv4 {@link InetSocketAddress}
   */
  static int peerAddress(SocketAddress address) {
    InetSocketAddress inet = inet(address);
    if (inet.isUnresolved()) {
      throw new IllegalArgumentException("unresolved address " + inet
          + ": the stack has no resolver; pass an address (new InetSocketAddress(InetAddress, port))");
    }
    if (!(inet.getAddress() instanceof Inet4Address)) {
      throw new IllegalArgumentException(inet + " is not an IPv4 address: the stack speaks IPv4");
    }
    return Ipv4Address.fromInet((Inet4Address) inet.getAddress());
  }

  /**
   * Whether a server may bind {@code address} on a stack whose address is {@code stackAddress}:
   * the wildcard address or the stack's own.
   */
  static boolean bindable(InetSocketAddress address, int stackAddress) {
    InetAddress a = address.getAddress();
    return a == null || a.isAnyLocalAddress()
        || a instanceof Inet4Address && Ipv4Address.fromInet((Inet4Address) a) == stackAddress;
  }

  static InetSocketAddress inet(SocketAddress address) {
    if (!(address instanceof InetSocketAddress)) {
      throw new IllegalArgumentException("unsupported address type " + (address == null ? "null"
          : address.getClass().getName()) + ": the stack's channels take InetSocketAddress");
    }
    return (InetSocketAddress) address;
  }
}
