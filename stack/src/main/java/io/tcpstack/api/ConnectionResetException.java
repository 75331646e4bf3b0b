package io.tcpstack.api;

import java.net.SocketException;

/** The peer reset the connection (RST); data not yet read is lost. */
public final class ConnectionResetException extends SocketException {
  /**
   * Creates the exception.
   *
   * @param message what happened, and to which connection or socket
   */
  public ConnectionResetException(String message) {
    super(message);
  }
}
