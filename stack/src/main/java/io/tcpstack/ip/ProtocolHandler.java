package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.Ipv4Header;
import io.tcpstack.wire.Ipv6Header;

/**
 * A transport protocol above IPv4 (ICMP, TCP, ...) and, when registered with the {@link
 * Ipv6Layer} too, above IPv6: receives the datagrams addressed to it, and the ICMP and ICMPv6
 * error messages about the datagrams it sent.
 */
@FunctionalInterface
public interface ProtocolHandler {
  /**
   * Handles one datagram, already validated by the IP layer: version, lengths, header checksum,
   * destination, and reassembled if it came in fragments. The handler must not keep {@code buf} or
   * {@code ip} after returning.
   *
   * @param ip the datagram's header, wrapped over {@code buf}
   * @param payloadIndex absolute index of the IP payload in {@code buf}
   * @param payloadLength length of the IP payload
   * @param offload what the link says about the packet ({@link Offload#CHECKSUM_VALID}), or {@link
   *     Offload#NONE}
   */
  void receive(Ipv4Header ip, ByteBuf buf, int payloadIndex, int payloadLength, int offload, long nowNs);

  /**
   * An ICMP error message (Destination Unreachable, Time Exceeded, Parameter Problem) about a
   * datagram of this protocol that this host sent, passed up as RFC 1122 §3.2.2.1 and §4.2.3.9
   * require; the ICMP layer has checked the quote (see {@link IcmpError}). The handler must not keep
   * {@code error} after returning. By default, ignored.
   */
  default void receiveIcmpError(IcmpError error, long nowNs) {
  }

  /**
   * Handles one IPv6 packet for this protocol, already validated by the {@link Ipv6Layer}:
   * version, length, destination (this host, or for ICMPv6 a multicast group it listens to),
   * source, extension headers walked (RFC 8200 §4), reassembled if it came in fragments. The
   * payload is the upper-layer message after the last extension header. A handler registered with
   * the IPv6 layer must override this; by default the packet is ignored. The handler must not keep
   * {@code buf} or {@code ip} after returning.
   *
   * @param ip the packet's fixed header, wrapped over {@code buf}: its addresses are those of the
   *     pseudo-header (RFC 8200 §8.1)
   */
  default void receiveIpv6(Ipv6Header ip, ByteBuf buf, int payloadIndex, int payloadLength, int offload, long nowNs) {
  }
}
