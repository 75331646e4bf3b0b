package io.tcpstack.tcp;

import io.tcpstack.wire.Icmpv4Header;

/**
 * Why a connection ended abnormally; the API turns each into an {@code IOException} subclass.
 *
 * <p>The ICMP errors below {@link #ABORTED} are soft errors (RFC 1122 §4.2.3.9): a connection that
 * hears one goes on, and reports it only if its retransmissions then go unanswered — in place of
 * {@link #TIMED_OUT}, as Linux reports its {@code sk_err_soft}. So a connect that times out after a
 * router said "host unreachable" says so. Each is also told when it arrives, with {@link
 * TcpEvents#onSoftError} (RFC 9293 §3.9.1.8, MUST-47), as is {@link #RETRANSMITTING}.
 */
public enum TcpError {
  /**
   * RST in answer to our SYN: nothing listens on that port. Also ICMP protocol or port unreachable,
   * at once in SYN-SENT (RFC 1122 §4.2.3.9 hard errors), and instead of a timeout after one in a
   * synchronized state.
   */
  REFUSED("connection refused"),
  /** The peer reset an established connection. */
  RESET("connection reset by peer"),
  /** Retransmissions went unanswered past the retry limit (RFC 1122 §4.2.3.5 R2). */
  TIMED_OUT("connection timed out"),
  /** This side aborted (RST sent). */
  ABORTED("connection aborted"),
  /** Timed out after ICMP Destination Unreachable: network unreachable (codes 0, 6, 11). */
  NET_UNREACHABLE("network unreachable"),
  /**
   * Timed out after ICMP Destination Unreachable: host unreachable (codes 1, 5, 7, 8, 12, 14, 15: no
   * route, host unknown or isolated, source route failed, precedence).
   */
  HOST_UNREACHABLE("host unreachable"),
  /** Timed out after ICMP Destination Unreachable: communication administratively prohibited (9, 10, 13; a firewall). */
  ADMIN_PROHIBITED("communication administratively prohibited"),
  /** Timed out after ICMP Time Exceeded: the TTL ran out on the way (a routing loop), or reassembly at the peer. */
  TTL_EXCEEDED("time to live exceeded in transit"),
  /** Timed out after ICMP Parameter Problem: a router or the peer could not process our IP header. */
  PARAMETER_PROBLEM("IP parameter problem"),
  /**
   * Never why a connection ended: told only as a soft error ({@link TcpEvents#onSoftError}) when
   * {@link TcpConfig#R1_RETRIES} consecutive retransmissions of a segment went unanswered (RFC 9293
   * §3.8.3 R1, SHLD-9). The connection goes on retransmitting until R2.
   */
  RETRANSMITTING("retransmissions unanswered");

  /** Destination Unreachable codes of RFC 1122 §3.2.2.1 and RFC 1812 §5.2.7.1. */
  private static final int CODE_NET_UNKNOWN = 6;
  private static final int CODE_HOST_UNKNOWN = 7;
  private static final int CODE_HOST_ISOLATED = 8;
  private static final int CODE_NET_PROHIBITED = 9;
  private static final int CODE_HOST_PROHIBITED = 10;
  private static final int CODE_NET_UNREACHABLE_FOR_TOS = 11;
  private static final int CODE_COMMUNICATION_PROHIBITED = 13;

  private final String message;

  TcpError(String message) {
    this.message = message;
  }

  public String message() {
    return message;
  }

  /**
   * What an ICMP error of {@code type} and {@code code} says to the application (Linux's {@code
   * icmp_err_convert} in spirit): protocol and port unreachable are {@link #REFUSED}.
   */
  static TcpError ofIcmp(int type, int code) {
    if (type == Icmpv4Header.TYPE_TIME_EXCEEDED) {
      return TTL_EXCEEDED;
    }
    if (type == Icmpv4Header.TYPE_PARAMETER_PROBLEM) {
      return PARAMETER_PROBLEM;
    }
    switch (code) {
      case Icmpv4Header.CODE_NET_UNREACHABLE, CODE_NET_UNKNOWN, CODE_NET_UNREACHABLE_FOR_TOS:
        return NET_UNREACHABLE;
      case Icmpv4Header.CODE_PROTOCOL_UNREACHABLE, Icmpv4Header.CODE_PORT_UNREACHABLE:
        return REFUSED;
      case CODE_NET_PROHIBITED, CODE_HOST_PROHIBITED, CODE_COMMUNICATION_PROHIBITED:
        return ADMIN_PROHIBITED;
      default:
        return HOST_UNREACHABLE;
    }
  }

  /** RFC 1122 §4.2.3.9: protocol and port unreachable are hard errors ("SHOULD abort the connection"). */
  static boolean isHardIcmpError(int type, int code) {
    return type == Icmpv4Header.TYPE_DESTINATION_UNREACHABLE
        && (code == Icmpv4Header.CODE_PROTOCOL_UNREACHABLE || code == Icmpv4Header.CODE_PORT_UNREACHABLE);
  }
}
