package io.tcpstack.udp;

import io.tcpstack.wire.Ipv4Address;

/**
 * The one place that knows how UDP names a peer's address: an IPv4 address in an {@code int}
 * (network byte order in its bits, as {@link Ipv4Address}), with the port beside it as another
 * {@code int}. The receive queue stores it in {@link #ADDRESS_BYTES} bytes per datagram; {@link
 * UdpEndpoint} keeps the connected peer and the last sender in this form.
 *
 * <p>When UDP learns IPv6, this class, the {@code int address} parameters of {@link UdpEndpoint}
 * and {@link UdpLayer}, and the API's conversion ({@code io.tcpstack.api.UdpAddresses}) are what
 * change; nothing else in the package looks inside an address.
 */
final class UdpPeer {

  /** Bytes an address takes in a receive-queue record. */
  static final int ADDRESS_BYTES = 4;

  /** No address: an unconnected endpoint's peer. */
  static final int NONE = Ipv4Address.UNSPECIFIED;

  private UdpPeer() {}

  /** Writes {@code address} into {@code queue}'s ring at {@code at}; returns the index after it. */
  static int write(DatagramQueue queue, int at, int address) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      at = queue.putByte(at, address >>> shift);
    }
    return at;
  }

  /** Reads an address written by {@link #write}. */
  static int read(DatagramQueue queue, int at) {
    int address = 0;
    for (int i = 0; i < ADDRESS_BYTES; i++) {
      address = address << 8 | queue.getByte(at);
      at = queue.wrap(at + 1);
    }
    return address;
  }

  /**
   * Whether a datagram to {@code address} must never draw an ICMP error: the limited broadcast, a
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

  static String toString(int address, int port) {
    return Ipv4Address.toString(address) + ":" + port;
  }
}
