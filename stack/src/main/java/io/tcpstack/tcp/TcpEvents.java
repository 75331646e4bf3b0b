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
   * The connection is over: it reached CLOSED, or TIME-WAIT (where the layer keeps only a record of
   * it); {@link TcpConnection#error()} says why, if abnormally. Told once.
   */
  default void onClosed(TcpConnection c) {}
}
