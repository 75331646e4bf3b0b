package io.tcpstack.tcp;

/** Why a connection ended abnormally; the API turns each into an {@code IOException} subclass. */
public enum TcpError {
  /** RST in answer to our SYN: nothing listens on that port. */
  REFUSED("connection refused"),
  /** The peer reset an established connection. */
  RESET("connection reset by peer"),
  /** Retransmissions went unanswered past the retry limit (RFC 1122 §4.2.3.5 R2). */
  TIMED_OUT("connection timed out"),
  /** This side aborted (RST sent). */
  ABORTED("connection aborted");

  private final String message;

  TcpError(String message) {
    this.message = message;
  }

  public String message() {
    return message;
  }
}
