package io.tcpstack.netty;

import io.tcpstack.StackConfig;
import io.tcpstack.wire.IpAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The one place where the transport converts between Netty's {@link InetSocketAddress}es and the
 * stack's addresses ({@link IpAddress}, IPv4 or IPv6).
 */
final class StackAddresses {

  private StackAddresses() {}

  /** {@code address:port}, as Netty shows it. */
  static InetSocketAddress toSocketAddress(IpAddress address, int port) {
    return new InetSocketAddress(address.toInet(), port);
  }

  /** The stack's own address in the family of {@code peer}: where a connection to {@code peer} is local. */
  static IpAddress localFor(StackConfig config, IpAddress peer) {
    return peer.isIpv4() || config.address6() == null ? IpAddress.ofIpv4(config.address()) : config.address6();
  }

  /**
   * The stack's form of a peer to connect to.
   *
   * @throws IllegalArgumentException for anything but a resolved {@link InetSocketAddress}
   */
  static IpAddress peerAddress(SocketAddress address) {
    InetSocketAddress inet = inet(address);
    if (inet.isUnresolved()) {
      throw new IllegalArgumentException("unresolved address " + inet
          + ": the stack has no resolver; pass an address (new InetSocketAddress(InetAddress, port))");
    }
    return IpAddress.fromInet(inet.getAddress());
  }

  /**
   * Whether a server may bind {@code address} on a stack configured as {@code config}: the wildcard
   * address or one of the stack's own (a listener takes both families on its port).
   */
  static boolean bindable(InetSocketAddress address, StackConfig config) {
    InetAddress a = address.getAddress();
    if (a == null || a.isAnyLocalAddress()) {
      return true;
    }
    IpAddress ip = IpAddress.fromInet(a);
    return ip.equals(IpAddress.ofIpv4(config.address())) || ip.equals(config.address6());
  }

  static InetSocketAddress inet(SocketAddress address) {
    if (!(address instanceof InetSocketAddress)) {
      throw new IllegalArgumentException("unsupported address type " + (address == null ? "null"
          : address.getClass().getName()) + ": the stack's channels take InetSocketAddress");
    }
    return (InetSocketAddress) address;
  }
}
