package io.tcpstack.api;

import java.net.ConnectException;

/** The peer answered the SYN with RST: nothing listens there (RFC 9293 §3.10.7.3). */
public final class ConnectionRefusedException extends ConnectException {
  public ConnectionRefusedException(String message) {
    super(message);
  }
}
