package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.Ipv4Header;

/**
 * A transport protocol above IPv4 (ICMP, TCP, ...): receives the datagrams addressed to it, and the
 * ICMP error messages about the datagrams it sent.
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
}
