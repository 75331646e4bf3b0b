package io.tcpstack.wire;

/**
 * The IPv4 header's protocol numbers this stack speaks, from IANA's registry "Assigned Internet
 * Protocol Numbers" (https://www.iana.org/assignments/protocol-numbers), which replaced RFC 1700.
 */
public final class IpProtocol {

  /** Internet Control Message Protocol, RFC 792. */
  public static final int ICMP = 1;

  /** Transmission Control Protocol, RFC 9293. */
  public static final int TCP = 6;

  /** User Datagram Protocol, RFC 768. */
  public static final int UDP = 17;

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
      default:
        return "protocol " + protocol;
    }
  }
}
