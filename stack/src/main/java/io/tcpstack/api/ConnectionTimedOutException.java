package io.tcpstack.api;

import java.net.SocketException;

/**
 * Retransmissions went unanswered past the retry limit and the connection was aborted (RFC 1122
 * §4.2.3.5). Unlike a read timeout this is final: the connection is gone.
 */
public final class ConnectionTimedOutException extends SocketException {
  /**
   * Creates the exception.
   *
   * @param message what happened, and to which connection or socket
   */
  public ConnectionTimedOutException(String message) {
    super(message);
  }
}
