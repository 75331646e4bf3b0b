package io.tcpstack.api;

import io.tcpstack.tcp.TcpError;

/**
 * What a {@link TcpChannel} tells its handlers, on the stack thread, in the manner of a Netty
 * channel handler on its event loop: no thread of its own, no hand-off. Each event is delivered
 * after the segment (or timer, or call) that caused it has been completely processed, so a handler
 * may read, write, shut down or close the channel from inside it and sees a consistent connection.
 *
 * <p>Events are edge-triggered: {@code onReadable} means something arrived since the last
 * delivery, so read until {@link TcpChannel#read} returns 0 (or -1); {@code onWritable} means
 * acknowledged data freed room in the send buffer. A handler must not block: the whole stack waits
 * for it. Every method defaults to doing nothing.
 */
public interface TcpChannelHandler {

  /**
   * An active open completed its handshake (accepted channels start established instead).
   *
   * @param channel the channel, now ESTABLISHED
   */
  default void onConnected(TcpChannel channel) {}

  /**
   * Bytes, or the end of the peer's stream, can be read.
   *
   * @param channel the channel to {@link TcpChannel#read} from
   */
  default void onReadable(TcpChannel channel) {}

  /**
   * Room opened in the send buffer.
   *
   * @param channel the channel to {@link TcpChannel#write} to
   */
  default void onWritable(TcpChannel channel) {}

  /**
   * A soft error (RFC 9293 §3.9.1.8, MUST-47): something went wrong that does not end the
   * connection, which goes on. A router reported the peer unreachable, or the like, by ICMP ({@link
   * TcpError#HOST_UNREACHABLE}, {@link TcpError#NET_UNREACHABLE}, {@link TcpError#ADMIN_PROHIBITED},
   * {@link TcpError#TTL_EXCEEDED}, {@link TcpError#PARAMETER_PROBLEM}, and {@link TcpError#REFUSED}
   * once the connection is established); or {@link io.tcpstack.tcp.TcpConfig#R1_RETRIES}
   * consecutive retransmissions went unanswered ({@link TcpError#RETRANSMITTING}, told once until
   * the peer acknowledges something). Should the connection later time out, {@code onClosed} follows
   * with the last ICMP error as its reason. A handler not interested ignores it (the default), which
   * is how an application turns these reports off.
   *
   * @param channel the channel, still open
   * @param error what went wrong
   */
  default void onSoftError(TcpChannel channel, TcpError error) {}

  /**
   * The connection is over — CLOSED, or in TIME-WAIT where only the stack's record of it remains:
   * {@link TcpChannel#error()} says why if it ended abnormally (reset, timed out, refused,
   * aborted), and is null after an orderly close. Told once.
   *
   * @param channel the channel that ended; {@link TcpChannel#isOpen()} is false
   */
  default void onClosed(TcpChannel channel) {}
}
