package io.tcpstack.tcp;

/**
 * What a connection tells the layer above (the socket API) as it happens, on the stack thread.
 * Every method defaults to doing nothing.
 */
public interface TcpEvents {
  TcpEvents NONE = new TcpEvents() {};

  /** The handshake completed (ESTABLISHED). */
  default void onEstablished(TcpConnection c) {}

  /** Data or the peer's FIN arrived: {@link TcpConnection#receive} has something to return. */
  default void onReadable(TcpConnection c) {}

  /** Send-buffer space was freed by an acknowledgment. */
  default void onWritable(TcpConnection c) {}

  /** The connection reached CLOSED; {@link TcpConnection#error()} says why, if abnormally. */
  default void onClosed(TcpConnection c) {}
}
