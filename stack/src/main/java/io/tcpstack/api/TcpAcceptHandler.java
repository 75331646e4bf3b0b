package io.tcpstack.api;

/** Told of each connection a {@link TcpServerChannel} accepts, on the stack thread. */
@FunctionalInterface
public interface TcpAcceptHandler {

  /**
   * {@code channel} is established and now belongs to the handler, which typically subscribes a
   * {@link TcpChannelHandler} to it. Whatever already arrived on it is announced by an
   * {@code onReadable} right after this returns, so nothing is missed by subscribing here.
   *
   * @param channel the new connection, established; the handler's to read, write and close
   */
  void onAccepted(TcpChannel channel);
}
