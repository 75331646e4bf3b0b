package io.tcpstack.api;

import java.net.SocketException;

/** The socket (or the stack under it) was closed by this side; it cannot be used any more. */
public final class SocketClosedException extends SocketException {
  /**
   * Creates the exception.
   *
   * @param message what happened, and to which connection or socket
   */
  public SocketClosedException(String message) {
    super(message);
  }
}
