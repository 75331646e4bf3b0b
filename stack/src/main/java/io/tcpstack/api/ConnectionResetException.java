package io.tcpstack.api;

import java.net.SocketException;

/** The peer reset the connection (RST); data not yet read is lost. */
public final class ConnectionResetException extends SocketException {
  public ConnectionResetException(String message) {
    super(message);
  }
}
