package io.tcpstack.examples.http;

import java.io.IOException;

/**
 * A request the server cannot take, with the status code that says why (400, 408, 413, 414, 431,
 * 501, 505). After one of these the byte stream can no longer be trusted to be at the start of the
 * next request, so the server answers with {@link #status()} and closes the connection.
 */
public final class HttpException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public HttpException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** The response status code (RFC 9110 §15). */
  public int status() {
    return status;
  }
}
