package io.tcpstack.wire;

/**
 * The IPv4 header's protocol numbers (and IPv6's Next Header values, the same registry) this stack speaks, from IANA's registry "Assigned Internet
 * Protocol Numbers" (https://www.iana.org/assignments/protocol-numbers), which replaced RFC 1700.
 */
public final class IpProtocol {

  /** Internet Control Message Protocol, RFC 792. */
  public static final int ICMP = 1;

  /** Transmission Control Protocol, RFC 9293. */
  public static final int TCP = 6;

  /** User Datagram Protocol, RFC 768. */
  public static final int UDP = 17;

  /** IPv6 Hop-by-Hop Options header (RFC 8200 §4.3): Next Header 0. */
  public static final int IPV6_HOP_BY_HOP = 0;

  /** IPv6 Routing header (RFC 8200 §4.4). */
  public static final int IPV6_ROUTING = 43;

  /** IPv6 Fragment header (RFC 8200 §4.5). */
  public static final int IPV6_FRAGMENT = 44;

  /** ICMP for IPv6, RFC 4443. */
  public static final int ICMPV6 = 58;

  /** IPv6 "No Next Header" (RFC 8200 §4.7): nothing follows. */
  public static final int IPV6_NO_NEXT_HEADER = 59;

  /** IPv6 Destination Options header (RFC 8200 §4.6). */
  public static final int IPV6_DESTINATION_OPTIONS = 60;

  private IpProtocol() {}

  /**
   * A short name for logs: {@code "ICMP"}, {@code "TCP"}, {@code "UDP"}, else {@code "protocol N"}.
   */
  public static String name(int protocol) {
    switch (protocol) {
      case ICMP:
        return "ICMP";
      case TCP:
        return "TCP";
      case UDP:
        return "UDP";
      case ICMPV6:
        return "ICMPv6";
      default:
        return "protocol " + protocol;
    }
  }
}
