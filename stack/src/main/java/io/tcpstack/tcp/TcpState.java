package io.tcpstack.tcp;

/** The connection states of RFC 9293 §3.3.2. */
public enum TcpState {
  CLOSED,
  LISTEN,
  SYN_SENT,
  SYN_RECEIVED,
  ESTABLISHED,
  FIN_WAIT_1,
  FIN_WAIT_2,
  CLOSE_WAIT,
  CLOSING,
  LAST_ACK,
  TIME_WAIT;

  /** RFC 9293 §3.3.2: the synchronized states, where both sides know each other's sequence numbers. */
  public boolean isSynchronized() {
    return compareTo(ESTABLISHED) >= 0;
  }
}
