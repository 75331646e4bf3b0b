package io.tcpstack.udp;

import io.tcpstack.wire.Icmpv4Header;
import io.tcpstack.wire.Icmpv6Header;

/**
 * Why a datagram sent from a connected UDP endpoint did not arrive, as an ICMP error message
 * reported it (RFC 1122 §4.1.3.3). Only the errors Linux reports to a connected socket without
 * {@code IP_RECVERR} — its "fatal" ones in {@code icmp_err_convert} — are kept; the transient
 * ones (network or host unreachable codes 0, 1, 11, 12; fragmentation needed; source route failed;
 * time exceeded) are ignored, as Linux ignores them.
 */
public enum UdpError {
  /** Port Unreachable: nothing listens on the peer's port (Linux's {@code ECONNREFUSED}). */
  PORT_UNREACHABLE("connection refused: the peer's port is closed (ICMP port unreachable)"),
  /** Protocol Unreachable: the peer does not speak UDP ({@code ENOPROTOOPT}). */
  PROTOCOL_UNREACHABLE("protocol unreachable: the peer does not speak UDP (ICMP protocol unreachable)"),
  /** Network unknown or administratively prohibited ({@code ENETUNREACH}). */
  NET_UNREACHABLE("network unreachable (ICMP destination unreachable)"),
  /** Host unknown, isolated, prohibited or filtered ({@code EHOSTUNREACH}, {@code EHOSTDOWN}). */
  HOST_UNREACHABLE("host unreachable (ICMP destination unreachable)"),
  /** Parameter Problem ({@code EPROTO}). */
  PARAMETER_PROBLEM("the peer reported a parameter problem (ICMP parameter problem)"),
  /**
   * ICMPv6 Destination Unreachable codes 1, 5 and 6: administratively prohibited, source address
   * failed policy, reject route ({@code EACCES}; RFC 4443 §3.1).
   */
  PROHIBITED("communication administratively prohibited (ICMPv6 destination unreachable)");

  /** RFC 1122 §3.2.2.1 codes 6-15 (RFC 1812 §5.2.7.1 added 13-15). */
  private static final int CODE_NET_UNKNOWN = 6;
  private static final int CODE_HOST_UNKNOWN = 7;
  private static final int CODE_HOST_ISOLATED = 8;
  private static final int CODE_NET_PROHIBITED = 9;
  private static final int CODE_HOST_PROHIBITED = 10;
  private static final int CODE_COMMUNICATION_PROHIBITED = 13;
  private static final int CODE_HOST_PRECEDENCE_VIOLATION = 14;
  private static final int CODE_PRECEDENCE_CUTOFF = 15;

  /** RFC 4443 §3.1 code 5, "Source address failed ingress/egress policy". */
  private static final int CODE6_SOURCE_POLICY_FAILED = 5;

  private final String message;

  UdpError(String message) {
    this.message = message;
  }

  /** What happened, for exception messages. */
  public String message() {
    return message;
  }

  /** The error an ICMP message of this type and code reports to a connected socket, or null: ignored. */
  static UdpError of(int type, int code) {
    if (type == Icmpv4Header.TYPE_PARAMETER_PROBLEM) {
      return PARAMETER_PROBLEM;
    }
    if (type != Icmpv4Header.TYPE_DESTINATION_UNREACHABLE) {
      return null; // time exceeded: transient (Linux: not fatal)
    }
    switch (code) {
      case Icmpv4Header.CODE_PORT_UNREACHABLE:
        return PORT_UNREACHABLE;
      case Icmpv4Header.CODE_PROTOCOL_UNREACHABLE:
        return PROTOCOL_UNREACHABLE;
      case CODE_NET_UNKNOWN:
      case CODE_NET_PROHIBITED:
        return NET_UNREACHABLE;
      case CODE_HOST_UNKNOWN:
      case CODE_HOST_ISOLATED:
      case CODE_HOST_PROHIBITED:
      case CODE_COMMUNICATION_PROHIBITED:
      case CODE_HOST_PRECEDENCE_VIOLATION:
      case CODE_PRECEDENCE_CUTOFF:
        return HOST_UNREACHABLE;
      default:
        return null; // net/host unreachable 0, 1, 11, 12, fragmentation needed, source route failed
    }
  }

  /**
   * The error an ICMPv6 message (RFC 4443) of this type and code reports to a connected socket, or
   * null: ignored. As Linux's {@code icmpv6_err_convert}: port unreachable, the prohibited codes and
   * Parameter Problem are hard errors; no route, beyond scope, address unreachable, Packet Too Big
   * and Time Exceeded are transient.
   */
  static UdpError of6(int type, int code) {
    if (type == Icmpv6Header.TYPE_PARAMETER_PROBLEM) {
      return PARAMETER_PROBLEM;
    }
    if (type != Icmpv6Header.TYPE_DESTINATION_UNREACHABLE) {
      return null;
    }
    switch (code) {
      case Icmpv6Header.CODE_PORT_UNREACHABLE:
        return PORT_UNREACHABLE;
      case Icmpv6Header.CODE_ADMINISTRATIVELY_PROHIBITED:
      case CODE6_SOURCE_POLICY_FAILED:
      case Icmpv6Header.CODE_REJECT_ROUTE:
        return PROHIBITED;
      default:
        return null;
    }
  }
}
