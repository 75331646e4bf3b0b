package io.tcpstack.api;

import java.net.ConnectException;

/** The peer answered the SYN with RST: nothing listens there (RFC 9293 §3.10.7.3). */
public final class ConnectionRefusedException extends ConnectException {
  /**
   * Creates the exception.
   *
   * @param message what happened, and to which connection or socket
   */
  public ConnectionRefusedException(String message) {
    super(message);
  }
}
