package io.tcpstack.tcp;

import static io.tcpstack.tcp.SeqNum.add;
import static io.tcpstack.tcp.SeqNum.diff;
import static io.tcpstack.tcp.SeqNum.gt;
import static io.tcpstack.tcp.SeqNum.lt;

/**
 * The checks of RFC 5961 ("Improving TCP's Robustness to Blind In-Window Attacks") that decide
 * whether a segment in a synchronized state is believed, as pure functions of the connection's
 * variables. The challenge ACKs they lead to are sent by {@link TcpConnection} and {@link
 * TimeWaitRecord} within the stack's budget ({@link ChallengeAckLimiter}, §7).
 */
final class Rfc5961 {

  /**
   * More than any window can be (65535 &lt;&lt; 14 &lt; 2^30, RFC 7323 §2.3): once this much was sent, the
   * sequence space acknowledged since our ISS no longer bounds {@link #ackAcceptable}.
   */
  static final long LARGER_THAN_ANY_WINDOW = 1L << 30;

  private Rfc5961() {}

  /**
   * RFC 5961 §5.2: SEG.ACK is acceptable only if {@code SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT}
   * (here SND.MAX, the highest ever sent: SND.NXT goes back after a timeout). Like Linux's {@code
   * tcp_ack}, the lower edge never lies before our ISS: early in a connection MAX.SND.WND may exceed
   * what was ever sent, and an ACK for sequence numbers before our SYN is as blind as one beyond
   * SND.MAX.
   *
   * @param maxSndWnd MAX.SND.WND, the largest window the peer ever offered (scaled)
   * @param bytesOut payload bytes ever sent: beyond {@link #LARGER_THAN_ANY_WINDOW} the distance
   *     from the ISS is no longer known modulo 2^32, and no longer matters
   */
  static boolean ackAcceptable(int segAck, int sndUna, int sndMax, int maxSndWnd, int iss, long bytesOut) {
    if (gt(segAck, sndMax)) {
      return false; // acknowledges something never sent
    }
    if (!lt(segAck, sndUna)) {
      return true;
    }
    long span = maxSndWnd;
    if (bytesOut < LARGER_THAN_ANY_WINDOW) {
      span = Math.min(span, diff(sndUna, iss));
    }
    return diff(sndUna, segAck) <= span; // an old duplicate within a window the peer offered
  }

  /**
   * Linux's {@code tcp_reset_check}: after the peer's FIN (CLOSE-WAIT, LAST-ACK, CLOSING) a RST at
   * RCV.NXT - 1 — the sequence number of that FIN, which some stacks reuse for the RST that
   * follows it — is as good as one at RCV.NXT (RFC 5961 §3.2 leaves the exact match to "the next
   * expected sequence number"; Linux accepts this one too).
   */
  static boolean resetAfterFin(TcpState state, int seq, int rcvNxt) {
    return seq == add(rcvNxt, -1)
        && (state == TcpState.CLOSE_WAIT || state == TcpState.LAST_ACK || state == TcpState.CLOSING);
  }
}
