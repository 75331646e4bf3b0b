package io.tcpstack.tcp;

/**
 * What a connection tells its subscribers (the socket APIs, an application's handler), on the stack
 * thread. Events are delivered after the work that raised them (a segment, a timer, a call) has
 * finished with the connection, never from inside it, so a subscriber may read, write or close and
 * sees a consistent connection. They are edge-triggered: {@code onReadable} says that something
 * arrived since the last delivery, so a subscriber reads until {@link TcpConnection#receive}
 * returns 0. Every method defaults to doing nothing.
 */
public interface TcpEvents {

  /** The handshake completed (ESTABLISHED). */
  default void onEstablished(TcpConnection c) {}

  /**
   * The peer sent urgent data (RFC 9293 §3.8.5, MUST-32): its urgent pointer arrived with none
   * pending, or moved on, and {@link TcpConnection#urgentRemaining} octets of it are left to read.
   * Told before {@link #onReadable} when both come from one segment. The urgent octets are in the
   * stream, in order, among the others.
   */
  default void onUrgent(TcpConnection c) {}

  /** Data or the peer's FIN arrived: {@link TcpConnection#receive} has something to return. */
  default void onReadable(TcpConnection c) {}

  /** Send-buffer space was freed by an acknowledgment. */
  default void onWritable(TcpConnection c) {}

  /**
   * Our FIN was acknowledged: every byte sent arrived (FIN-WAIT-2; CLOSED or TIME-WAIT follow with
   * {@link #onClosed} when the peer had closed first). What a lingering close waits for.
   */
  default void onFinAcknowledged(TcpConnection c) {}

  /**
   * A soft error (RFC 9293 §3.9.1.8, MUST-47): something went wrong that does not end the
   * connection, which goes on. Either an ICMP error arrived for it that TCP does not abort on (RFC
   * 1122 §4.2.3.9: net or host unreachable, prohibited, time exceeded, parameter problem), or {@link TcpConfig#R1_RETRIES} consecutive retransmissions of a
   * segment went unanswered ({@link TcpError#RETRANSMITTING}, RFC 9293 §3.8.3 SHLD-9), told once
   * until the peer acknowledges something. If several arose in one piece of work, the last is told.
   * Ignoring it (the default) is how an application turns these reports off (SHLD-20).
   *
   * @param c the connection, still open
   * @param error what went wrong
   */
  default void onSoftError(TcpConnection c, TcpError error) {}

  /**
   * The connection is over: it reached CLOSED, or TIME-WAIT (where the layer keeps only a record of
   * it); {@link TcpConnection#error()} says why, if abnormally. Told once.
   */
  default void onClosed(TcpConnection c) {}
}
