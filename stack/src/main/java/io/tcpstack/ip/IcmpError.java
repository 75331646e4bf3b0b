package io.tcpstack.ip;

import io.netty.buffer.ByteBuf;
import io.tcpstack.wire.Icmpv4Header;

/**
 * An ICMP error message about a datagram this host sent (RFC 792; RFC 1122 §3.2.2.1, §4.2.3.9), as
 * the ICMP layer hands it to the transport protocol that sent the datagram: the message's type and
 * code, the next-hop MTU of a "fragmentation needed" (RFC 1191 §4), and the quoted datagram — its
 * addresses, total length and the first bytes of its transport header (at least the 8 that RFC 792
 * promises: for TCP and UDP, the ports; for TCP, the sequence number too).
 *
 * <p>For IPv6 (RFC 4443; {@link #isIpv6()}) the same instance carries the ICMPv6 type and code,
 * Packet Too Big's MTU, and the quoted packet's destination as two longs; {@link #reporter()},
 * {@link #quotedSource()} and {@link #quotedDestination()} are then 0.
 *
 * <p>The ICMP layer has checked that the quote holds a whole IPv4 header and 8 bytes after it, that
 * it is the first (or only) fragment, and that its source is this host. Everything else — which
 * connection it names, whether its sequence number is plausible (RFC 5927 §4.1) — is the
 * transport's to check.
 *
 * <p>One instance, reused for every message: valid only during {@link
 * ProtocolHandler#receiveIcmpError}, whose handler must not keep it nor its buffer. Stack thread
 * only.
 */
public final class IcmpError {

  /** RFC 792: the quote holds "the internet header plus the first 64 bits of the original data". */
  public static final int MIN_QUOTED_TRANSPORT_BYTES = 8;

  private int type;
  private int code;
  private int nextHopMtu;
  private int reporter;
  private int quotedProtocol;
  private int quotedSource;
  private int quotedDestination;
  private int quotedTotalLength;
  private ByteBuf buffer;
  private int transportIndex;
  private int transportLength;
  private boolean ipv6;
  private long quotedDestinationHi;
  private long quotedDestinationLo;

  /**
   * An ICMPv6 error (RFC 4443): {@code type} and {@code code} are ICMPv6's ({@link
   * io.tcpstack.wire.Icmpv6Header}), {@code nextHopMtu} the MTU of a Packet Too Big, and the quoted
   * packet's destination is {@code quotedDestinationHi, quotedDestinationLo}; {@code
   * quotedPayloadLength} is its Payload Length plus the 40-byte header.
   */
  void set6(int type, int code, int nextHopMtu, int quotedProtocol, long quotedDestinationHi, long quotedDestinationLo,
      int quotedTotalLength, ByteBuf buffer, int transportIndex, int transportLength) {
    set(type, code, nextHopMtu, 0, quotedProtocol, 0, 0, quotedTotalLength, buffer, transportIndex, transportLength);
    this.ipv6 = true;
    this.quotedDestinationHi = quotedDestinationHi;
    this.quotedDestinationLo = quotedDestinationLo;
  }

  /** Whether this is an ICMPv6 error about an IPv6 packet: then {@link #type()} and {@link #code()} are ICMPv6's. */
  public boolean isIpv6() {
    return ipv6;
  }

  /** IPv6: the quoted packet's destination, bytes 0-7. */
  public long quotedDestinationHi() {
    return quotedDestinationHi;
  }

  /** IPv6: the quoted packet's destination, bytes 8-15. */
  public long quotedDestinationLo() {
    return quotedDestinationLo;
  }

  /** Whether this is an ICMPv6 Packet Too Big (RFC 4443 §3.2): {@link #nextHopMtu()} is its MTU. */
  public boolean isPacketTooBig() {
    return ipv6 && type == io.tcpstack.wire.Icmpv6Header.TYPE_PACKET_TOO_BIG;
  }

  void set(int type, int code, int nextHopMtu, int reporter, int quotedProtocol, int quotedSource,
      int quotedDestination, int quotedTotalLength, ByteBuf buffer, int transportIndex, int transportLength) {
    this.type = type;
    this.code = code;
    this.nextHopMtu = nextHopMtu;
    this.reporter = reporter;
    this.quotedProtocol = quotedProtocol;
    this.quotedSource = quotedSource;
    this.quotedDestination = quotedDestination;
    this.quotedTotalLength = quotedTotalLength;
    this.buffer = buffer;
    this.transportIndex = transportIndex;
    this.transportLength = transportLength;
    this.ipv6 = false;
  }

  /** Drops the reference to the packet's buffer once the handler returned. */
  void clear() {
    buffer = null;
  }

  /** {@link Icmpv4Header#TYPE_DESTINATION_UNREACHABLE}, {@code TYPE_TIME_EXCEEDED} or {@code TYPE_PARAMETER_PROBLEM}. */
  public int type() {
    return type;
  }

  public int code() {
    return code;
  }

  /** Whether this is "fragmentation needed and DF set" (RFC 792; RFC 1191's Datagram Too Big). */
  public boolean isFragmentationNeeded() {
    return !ipv6 && type == Icmpv4Header.TYPE_DESTINATION_UNREACHABLE && code == Icmpv4Header.CODE_FRAGMENTATION_NEEDED;
  }

  /**
   * The Next-Hop MTU of a "fragmentation needed" message (RFC 1191 §4), 0 from a router that
   * predates RFC 1191 (and for every other message).
   */
  public int nextHopMtu() {
    return nextHopMtu;
  }

  /** Who sent the ICMP message (a router on the path, or the destination itself). */
  public int reporter() {
    return reporter;
  }

  /** The IP protocol of the quoted datagram ({@link io.tcpstack.wire.IpProtocol}). */
  public int quotedProtocol() {
    return quotedProtocol;
  }

  /** The quoted datagram's source: always this host's address. */
  public int quotedSource() {
    return quotedSource;
  }

  /** The quoted datagram's destination: the remote end of the connection or flow it belongs to. */
  public int quotedDestination() {
    return quotedDestination;
  }

  /** The Total Length field of the quoted datagram (RFC 1191 §5 uses it when the MTU is missing). */
  public int quotedTotalLength() {
    return quotedTotalLength;
  }

  /** The buffer holding the quote; see {@link #transportIndex()}. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Absolute index in {@link #buffer()} of the quoted transport header. */
  public int transportIndex() {
    return transportIndex;
  }

  /** Bytes of the quoted transport header present: at least {@link #MIN_QUOTED_TRANSPORT_BYTES}. */
  public int transportLength() {
    return transportLength;
  }

  /** TCP and UDP: the quoted source port (ours). */
  public int sourcePort() {
    return buffer.getUnsignedShort(transportIndex);
  }

  /** TCP and UDP: the quoted destination port (the peer's). */
  public int destinationPort() {
    return buffer.getUnsignedShort(transportIndex + 2);
  }

  @Override
  public String toString() {
    return (ipv6 ? "Icmpv6Error{type " : "IcmpError{type ") + type + " code " + code + " mtu " + nextHopMtu
        + " protocol " + quotedProtocol + " to " + (ipv6
            ? io.tcpstack.wire.IpAddress.ipv6ToString(quotedDestinationHi, quotedDestinationLo)
            : io.tcpstack.wire.Ipv4Address.toString(quotedDestination)) + "}";
  }
}
